//! The ledger: per target account and contact, what we know the target holds.
//!
//! It is what makes a load exactly-once across crashes and re-runs (the idempotency-key idea
//! of zero-to-production's `src/idempotency/`): a row is reported done only after its entry
//! is written; a re-run compares the rows with it and spends nothing on what is done and
//! unchanged; after a crash it says which writes already happened.

use std::collections::HashMap;

use sqlx::Row;

use super::{Store, StoreError, now};
use crate::targets::TargetId;

/// What the ledger knows of one contact in one account. Contacts are our normalised keys
/// (`ContactKey`'s text: `+79991234567`, `anna@mail.ru`, `telegram|123`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry {
    /// The target's id for the contact, once known.
    pub target_id: Option<TargetId>,
    /// The target's state as far as we know it, as the target's connector writes it (JSON).
    pub applied: Option<String>,
    /// The fingerprint of the wanted state last applied in full.
    pub done: Option<String>,
    /// A create was sent and its answer may have been lost: "already exists" next time
    /// means we made it.
    pub create_sent: bool,
    /// The run that sent that create, if it named itself (a server's job id).
    pub created_by: Option<String>,
    /// When the entry was last written (unix seconds): for a create whose answer was lost,
    /// when it was sent.
    pub updated_at: i64,
}

impl Store {
    /// Every entry of an account, by contact.
    pub async fn entries(&self, account: &str) -> Result<HashMap<String, Entry>, StoreError> {
        let rows = sqlx::query(
            "SELECT contact, target_id, applied, done, create_sent, created_by, updated_at
             FROM ledger WHERE account = $1",
        )
        .bind(account)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                let target_id: Option<String> = row.try_get("target_id")?;
                Ok((
                    row.try_get("contact")?,
                    Entry {
                        target_id: target_id.map(TargetId::from),
                        applied: row.try_get("applied")?,
                        done: row.try_get("done")?,
                        create_sent: row.try_get::<i64, _>("create_sent")? != 0,
                        created_by: row.try_get("created_by")?,
                        updated_at: row.try_get("updated_at")?,
                    },
                ))
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// Records that a create is about to be sent, by `run` if it has a name.
    pub async fn create_sent(
        &self,
        account: &str,
        contact: &str,
        run: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO ledger (account, contact, create_sent, created_by, updated_at)
             VALUES ($1, $2, 1, $3, $4)
             ON CONFLICT (account, contact) DO UPDATE SET create_sent = 1,
                created_by = excluded.created_by, updated_at = excluded.updated_at",
        )
        .bind(account)
        .bind(contact)
        .bind(run)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The create turned out to find a contact someone else made: no run created it.
    pub async fn not_created(&self, account: &str, contact: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE ledger SET created_by = NULL, updated_at = $3 WHERE account = $1 AND contact = $2",
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
        target_id: &str,
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
        .bind(target_id)
        .bind(applied)
        .bind(done)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::without_password;

    /// The store suite, the same for both databases. `reopen` opens the same store anew;
    /// accounts carry a run-unique prefix so that runs on one database do not meet.
    async fn suite(ledger: Store, reopen: impl AsyncFn() -> Store) {
        let run = format!("{:016x}", rand::random::<u64>());
        let (a, b, c) = (format!("{run}-a"), format!("{run}-b"), format!("{run}-c"));
        ledger
            .create_sent(&a, "+79991234567", Some("job-1"))
            .await
            .unwrap();
        ledger
            .record(&a, "+79991234567", "1001", r#"{"nickname":"Анна"}"#, None)
            .await
            .unwrap();
        ledger
            .record(&a, "anna@mail.ru", "1002", "{}", Some("f1"))
            .await
            .unwrap();
        ledger
            .record(&b, "anna@mail.ru", "7", "{}", None)
            .await
            .unwrap();
        // An id is opaque text: a big number, a hex string.
        ledger
            .record(&b, "+79990000000", "5000000000", "{}", None)
            .await
            .unwrap();
        ledger
            .record(&b, "telegram|42", "65f0c1e2a3b4", "{}", None)
            .await
            .unwrap();
        ledger.close().await;

        let ledger = reopen().await;
        let entries = ledger.entries(&a).await.unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(
            entries["+79991234567"],
            Entry {
                target_id: Some(TargetId::from(1001)),
                applied: Some(r#"{"nickname":"Анна"}"#.into()),
                done: None,
                create_sent: true,
                created_by: Some("job-1".into()),
                updated_at: entries["+79991234567"].updated_at,
            }
        );
        assert!(entries["+79991234567"].updated_at > 0);
        assert_eq!(entries["anna@mail.ru"].done.as_deref(), Some("f1"));
        assert!(!entries["anna@mail.ru"].create_sent);
        assert_eq!(entries["anna@mail.ru"].created_by, None);
        ledger.not_created(&a, "+79991234567").await.unwrap();
        let entries = ledger.entries(&a).await.unwrap();
        assert_eq!(entries["+79991234567"].created_by, None);
        assert!(entries["+79991234567"].create_sent, "the mark stays");
        let entries = ledger.entries(&b).await.unwrap();
        assert_eq!(entries["anna@mail.ru"].target_id, Some(TargetId::from(7)));
        assert_eq!(
            entries["+79990000000"].target_id,
            Some(TargetId::from(5_000_000_000))
        );
        assert_eq!(
            entries["telegram|42"].target_id,
            Some(TargetId::from("65f0c1e2a3b4".to_owned()))
        );
        assert!(ledger.entries(&c).await.unwrap().is_empty());

        // A later record replaces the state and keeps the create mark.
        ledger
            .record(&a, "+79991234567", "1001", "{}", Some("f2"))
            .await
            .unwrap();
        let entry = &ledger.entries(&a).await.unwrap()["+79991234567"];
        assert_eq!(entry.done.as_deref(), Some("f2"));
        assert!(entry.create_sent);
        ledger.close().await;
    }

    #[tokio::test]
    async fn the_store_suite_passes_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state dir/ledger #1.sqlite");
        let ledger = Store::open(&path).await.unwrap();
        suite(ledger, async || Store::open(&path).await.unwrap()).await;
    }

    /// Runs when `CONTACT_LOADER_TEST_POSTGRES` names a database (`scripts/test` starts the
    /// machine's PostgreSQL and sets it); says so and passes when it does not.
    #[tokio::test]
    async fn the_store_suite_passes_on_postgres() {
        let Ok(url) = std::env::var("CONTACT_LOADER_TEST_POSTGRES") else {
            eprintln!("skipped PostgreSQL: CONTACT_LOADER_TEST_POSTGRES is not set");
            return;
        };
        let ledger = Store::open_url(&url).await.unwrap();
        suite(ledger, async || Store::open_url(&url).await.unwrap()).await;
    }

    /// A ledger written before ids became text and keys our contact keys: Chat2Desk's
    /// integer ids and its wire form of a phone (digits without `+`).
    #[tokio::test]
    async fn an_old_ledger_is_converted_on_open() {
        use sqlx::{AnyConnection, Connection};
        let dir = tempfile::tempdir().unwrap();
        // Any store opened first installs the database drivers.
        Store::open(&dir.path().join("other.sqlite"))
            .await
            .unwrap()
            .close()
            .await;
        let path = dir.path().join("old.sqlite");
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let mut old = AnyConnection::connect(&url).await.unwrap();
        sqlx::query("CREATE TABLE schema_migrations (version BIGINT NOT NULL PRIMARY KEY)")
            .execute(&mut old)
            .await
            .unwrap();
        let before = super::super::MIGRATIONS.len() - 1;
        for (i, migration) in super::super::MIGRATIONS[..before].iter().enumerate() {
            for statement in *migration {
                sqlx::query(*statement).execute(&mut old).await.unwrap();
            }
            sqlx::query("INSERT INTO schema_migrations (version) VALUES ($1)")
                .bind(i as i64 + 1)
                .execute(&mut old)
                .await
                .unwrap();
        }
        sqlx::query(
            "INSERT INTO ledger (account, contact, target_id, applied, done, create_sent,
                created_by, updated_at)
             VALUES ('chat2desk:ab', '79991234567', 1001, '{}', 'f1', 1, 'job-1', 0),
                    ('chat2desk:ab', 'anna@mail.ru', 5000000000, NULL, NULL, 0, NULL, 0)",
        )
        .execute(&mut old)
        .await
        .unwrap();
        old.close().await.unwrap();

        let ledger = Store::open(&path).await.unwrap();
        let entries = ledger.entries("chat2desk:ab").await.unwrap();
        assert_eq!(
            entries["+79991234567"],
            Entry {
                target_id: Some(TargetId::from(1001)),
                applied: Some("{}".into()),
                done: Some("f1".into()),
                create_sent: true,
                created_by: Some("job-1".into()),
                updated_at: 0,
            }
        );
        assert_eq!(
            entries["anna@mail.ru"].target_id,
            Some(TargetId::from(5_000_000_000))
        );
        assert_eq!(entries.len(), 2);
        ledger.close().await;
        // Opened again, nothing changes.
        let ledger = Store::open(&path).await.unwrap();
        assert_eq!(ledger.entries("chat2desk:ab").await.unwrap(), entries);
        ledger.close().await;
    }

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            without_password("postgres://loader:secret@127.0.0.1:5432/db"),
            "postgres://loader:***@127.0.0.1:5432/db"
        );
    }
}
