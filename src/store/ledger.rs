//! The ledger: per target account and contact, what we know the target holds.
//!
//! It is what makes a load exactly-once across crashes and re-runs (the idempotency-key idea
//! of zero-to-production's `src/idempotency/`): a row is reported done only after its entry
//! is written; a re-run compares the rows with it and spends nothing on what is done and
//! unchanged; after a crash it says which writes already happened.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Once;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Row};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("cannot create the folder of the state file {path}: {source}")]
    Folder {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the store {place} cannot be opened: {source}")]
    Open {
        /// The file, or the database URL without its password.
        place: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("the store cannot be read or written: {0}")]
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

/// Schema changes, in order. The SQL is written once for both databases: `$n` parameters
/// (SQLite takes them too), `BIGINT` integers, `ON CONFLICT` upserts.
const MIGRATIONS: &[&str] = &["CREATE TABLE IF NOT EXISTS ledger (
        account     TEXT    NOT NULL,
        contact     TEXT    NOT NULL,
        target_id   BIGINT,
        applied     TEXT,
        done        TEXT,
        create_sent BIGINT  NOT NULL DEFAULT 0,
        updated_at  BIGINT  NOT NULL,
        PRIMARY KEY (account, contact)
    )"];

/// The ledger, in an embedded SQLite file or in PostgreSQL: one interface, the same SQL.
#[derive(Debug, Clone)]
pub struct Ledger {
    pool: AnyPool,
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
        // The path goes into a URL: percent-encode what a URL would read otherwise.
        let encoded: String = path
            .to_string_lossy()
            .chars()
            .map(|c| match c {
                '%' | '?' | '#' | ' ' => format!("%{:02X}", c as u32),
                c => c.to_string(),
            })
            .collect();
        Ledger::connect(
            &format!("sqlite://{encoded}?mode=rwc"),
            &path.display().to_string(),
        )
        .await
    }

    /// Opens the store at a database URL: `postgres://…` or `sqlite://…`.
    pub async fn open_url(url: &str) -> Result<Ledger, StoreError> {
        Ledger::connect(url, &without_password(url)).await
    }

    async fn connect(url: &str, place: &str) -> Result<Ledger, StoreError> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let open_error = |source| StoreError::Open {
            place: place.to_owned(),
            source,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(|connection, _| {
                Box::pin(async move {
                    if connection.backend_name() == "SQLite" {
                        // WAL with synchronous=NORMAL survives a killed process (not a power
                        // cut) and lets readers and the writer work at once.
                        for pragma in [
                            "PRAGMA journal_mode = WAL",
                            "PRAGMA synchronous = NORMAL",
                            "PRAGMA busy_timeout = 10000",
                        ] {
                            sqlx::query(pragma).execute(&mut *connection).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await
            .map_err(open_error)?;
        let ledger = Ledger { pool };
        ledger.migrate().await?;
        Ok(ledger)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT NOT NULL PRIMARY KEY)",
        )
        .execute(&self.pool)
        .await?;
        for (i, migration) in MIGRATIONS.iter().enumerate() {
            let version = i as i64 + 1;
            let applied: Option<i64> =
                sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                    .bind(version)
                    .fetch_optional(&self.pool)
                    .await?;
            if applied.is_some() {
                continue;
            }
            let mut tx = self.pool.begin().await?;
            sqlx::query(*migration).execute(&mut *tx).await?;
            // Two instances starting together may both get here: the second insert is a
            // no-op, and the migrations themselves are idempotent.
            sqlx::query(
                "INSERT INTO schema_migrations (version) VALUES ($1) ON CONFLICT (version) DO NOTHING",
            )
            .bind(version)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Every entry of an account, by contact.
    pub async fn entries(&self, account: &str) -> Result<HashMap<String, Entry>, StoreError> {
        let rows = sqlx::query(
            "SELECT contact, target_id, applied, done, create_sent FROM ledger WHERE account = $1",
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
            "INSERT INTO ledger (account, contact, create_sent, updated_at) VALUES ($1, $2, 1, $3)
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
             VALUES ($1, $2, $3, $4, $5, $6)
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

/// A database URL as it may be shown: without its password.
fn without_password(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "the database URL".to_owned(),
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

    /// The store suite, the same for both databases. `reopen` opens the same store anew;
    /// accounts carry a run-unique prefix so that runs on one database do not meet.
    async fn suite(ledger: Ledger, reopen: impl AsyncFn() -> Ledger) {
        let run = format!("{:016x}", rand::random::<u64>());
        let (a, b, c) = (format!("{run}-a"), format!("{run}-b"), format!("{run}-c"));
        ledger.create_sent(&a, "79991234567").await.unwrap();
        ledger
            .record(&a, "79991234567", 1001, r#"{"nickname":"Анна"}"#, None)
            .await
            .unwrap();
        ledger
            .record(&a, "anna@mail.ru", 1002, "{}", Some("f1"))
            .await
            .unwrap();
        ledger
            .record(&b, "anna@mail.ru", 7, "{}", None)
            .await
            .unwrap();
        // An id beyond 2^31 survives the round trip.
        ledger
            .record(&b, "79990000000", 5_000_000_000, "{}", None)
            .await
            .unwrap();
        ledger.close().await;

        let ledger = reopen().await;
        let entries = ledger.entries(&a).await.unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(
            entries["79991234567"],
            Entry {
                target_id: Some(1001),
                applied: Some(r#"{"nickname":"Анна"}"#.into()),
                done: None,
                create_sent: true,
            }
        );
        assert_eq!(entries["anna@mail.ru"].done.as_deref(), Some("f1"));
        assert!(!entries["anna@mail.ru"].create_sent);
        let entries = ledger.entries(&b).await.unwrap();
        assert_eq!(entries["anna@mail.ru"].target_id, Some(7));
        assert_eq!(entries["79990000000"].target_id, Some(5_000_000_000));
        assert!(ledger.entries(&c).await.unwrap().is_empty());

        // A later record replaces the state and keeps the create mark.
        ledger
            .record(&a, "79991234567", 1001, "{}", Some("f2"))
            .await
            .unwrap();
        let entry = &ledger.entries(&a).await.unwrap()["79991234567"];
        assert_eq!(entry.done.as_deref(), Some("f2"));
        assert!(entry.create_sent);
        ledger.close().await;
    }

    #[tokio::test]
    async fn the_store_suite_passes_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state dir/ledger #1.sqlite");
        let ledger = Ledger::open(&path).await.unwrap();
        suite(ledger, async || Ledger::open(&path).await.unwrap()).await;
    }

    /// Runs when `CONTACT_LOADER_TEST_POSTGRES` names a database (`scripts/test` starts the
    /// machine's PostgreSQL and sets it); says so and passes when it does not.
    #[tokio::test]
    async fn the_store_suite_passes_on_postgres() {
        let Ok(url) = std::env::var("CONTACT_LOADER_TEST_POSTGRES") else {
            eprintln!("skipped PostgreSQL: CONTACT_LOADER_TEST_POSTGRES is not set");
            return;
        };
        let ledger = Ledger::open_url(&url).await.unwrap();
        suite(ledger, async || Ledger::open_url(&url).await.unwrap()).await;
    }

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            without_password("postgres://loader:secret@127.0.0.1:5432/db"),
            "postgres://loader:***@127.0.0.1:5432/db"
        );
    }
}
