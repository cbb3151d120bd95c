//! The ledger: per target account and contact, what we know the target holds.
//!
//! It is what makes a load exactly-once across crashes and re-runs (the idempotency-key idea
//! of zero-to-production's `src/idempotency/`): a row is reported done only after its entry
//! is written; a re-run compares the rows with it and spends nothing on what is done and
//! unchanged; after a crash it says which writes already happened.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("cannot create the folder of the state file {path}: {source}")]
    Folder {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the state file {path} cannot be opened: {source}")]
    Open {
        path: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("the state file cannot be read or written: {0}")]
    Query(#[from] sqlx::Error),
}

/// What the ledger knows of one contact in one account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry {
    /// The target's id for the contact, once known.
    pub target_id: Option<u64>,
    /// The target's state as far as we know it, as the target's connector writes it (JSON).
    pub applied: Option<String>,
    /// The fingerprint of the wanted state last applied in full.
    pub done: Option<String>,
    /// A create was sent and its answer may have been lost: "already exists" next time
    /// means we made it.
    pub create_sent: bool,
}

/// Schema changes, applied in order; `PRAGMA user_version` counts those applied.
const MIGRATIONS: &[&str] = &["CREATE TABLE ledger (
        account     TEXT    NOT NULL,
        contact     TEXT    NOT NULL,
        target_id   INTEGER,
        applied     TEXT,
        done        TEXT,
        create_sent INTEGER NOT NULL DEFAULT 0,
        updated_at  INTEGER NOT NULL,
        PRIMARY KEY (account, contact)
    ) WITHOUT ROWID"];

#[derive(Debug, Clone)]
pub struct Ledger {
    pool: SqlitePool,
}

impl Ledger {
    /// Opens (or creates) the SQLite file at `path`.
    pub async fn open(path: &Path) -> Result<Ledger, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Folder {
                path: path.display().to_string(),
                source,
            })?;
        }
        let open_error = |source| StoreError::Open {
            path: path.display().to_string(),
            source,
        };
        let options = SqliteConnectOptions::from_str("sqlite://")
            .map_err(open_error)?
            .filename(path)
            .create_if_missing(true)
            // WAL with synchronous=NORMAL survives a killed process (not a power cut) and
            // lets readers and the writer work at once.
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(open_error)?;
        let ledger = Ledger { pool };
        ledger.migrate().await?;
        Ok(ledger)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let version: i64 = sqlx::query_scalar("PRAGMA user_version")
            .fetch_one(&mut *tx)
            .await?;
        for (i, migration) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
            sqlx::query(*migration).execute(&mut *tx).await?;
            // A number we formatted ourselves: nothing of a user's goes in.
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "PRAGMA user_version = {}",
                i + 1
            )))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every entry of an account, by contact.
    pub async fn entries(&self, account: &str) -> Result<HashMap<String, Entry>, StoreError> {
        let rows = sqlx::query(
            "SELECT contact, target_id, applied, done, create_sent FROM ledger WHERE account = ?",
        )
        .bind(account)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                let target_id: Option<i64> = row.try_get("target_id")?;
                Ok((
                    row.try_get("contact")?,
                    Entry {
                        target_id: target_id.map(|id| id as u64),
                        applied: row.try_get("applied")?,
                        done: row.try_get("done")?,
                        create_sent: row.try_get::<i64, _>("create_sent")? != 0,
                    },
                ))
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// Records that a create is about to be sent.
    pub async fn create_sent(&self, account: &str, contact: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO ledger (account, contact, create_sent, updated_at) VALUES (?, ?, 1, ?)
             ON CONFLICT (account, contact) DO UPDATE SET create_sent = 1, updated_at = excluded.updated_at",
        )
        .bind(account)
        .bind(contact)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records the target's id and state after a write; `done` is set when the wanted state
    /// is reached (`None` keeps the entry unfinished: a re-run goes on from here).
    pub async fn record(
        &self,
        account: &str,
        contact: &str,
        target_id: u64,
        applied: &str,
        done: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO ledger (account, contact, target_id, applied, done, updated_at)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (account, contact) DO UPDATE SET
                target_id = excluded.target_id, applied = excluded.applied,
                done = excluded.done, updated_at = excluded.updated_at",
        )
        .bind(account)
        .bind(contact)
        .bind(target_id as i64)
        .bind(applied)
        .bind(done)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn entries_survive_reopening_and_are_kept_per_account() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/ledger.sqlite");
        let ledger = Ledger::open(&path).await.unwrap();
        ledger.create_sent("a", "79991234567").await.unwrap();
        ledger
            .record("a", "79991234567", 1001, r#"{"nickname":"Анна"}"#, None)
            .await
            .unwrap();
        ledger
            .record("a", "anna@mail.ru", 1002, "{}", Some("f1"))
            .await
            .unwrap();
        ledger
            .record("b", "anna@mail.ru", 7, "{}", None)
            .await
            .unwrap();
        ledger.close().await;

        let ledger = Ledger::open(&path).await.unwrap();
        let a = ledger.entries("a").await.unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(
            a["79991234567"],
            Entry {
                target_id: Some(1001),
                applied: Some(r#"{"nickname":"Анна"}"#.into()),
                done: None,
                create_sent: true,
            }
        );
        assert_eq!(a["anna@mail.ru"].done.as_deref(), Some("f1"));
        assert_eq!(
            ledger.entries("b").await.unwrap()["anna@mail.ru"].target_id,
            Some(7)
        );
        assert!(ledger.entries("c").await.unwrap().is_empty());
    }
}
