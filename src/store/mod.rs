//! Durable state, in an embedded SQLite file or in PostgreSQL: one interface, the same SQL
//! (`$n` parameters, which SQLite takes too; `BIGINT` integers; `ON CONFLICT` upserts), and
//! the same test suite run against both.
//!
//! - `ledger`: per target account and contact, what the target holds (exactly-once loads).
//! - `jobs`: the server's durable jobs, taken by workers under leases.
//! - `usage`: target requests spent per account and month.

pub mod jobs;
pub mod ledger;
pub mod usage;

use std::path::Path;
use std::sync::Once;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyConnection, AnyPool, Connection};
use thiserror::Error;

pub use jobs::{Job, JobState, NewJob, Taken};
pub use ledger::Entry;
pub use usage::Usage;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("cannot create the folder of the state file {path}: {source}")]
    Folder {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The database's own words in one line: sqlx's message already ends with its cause,
    /// so the cause is not chained again.
    #[error("the store {place} cannot be opened: {cause}")]
    Open {
        /// The file, or the database URL without its password.
        place: String,
        cause: sqlx::Error,
    },
    #[error("the store cannot be read or written: {0}")]
    Query(#[from] sqlx::Error),
}

/// Schema changes, in order, each the statements of one transaction. The SQL is written once for both databases: `$n` parameters
/// (SQLite takes them too), `BIGINT` integers, `ON CONFLICT` upserts.
const MIGRATIONS: &[&[&str]] = &[
    &["CREATE TABLE IF NOT EXISTS ledger (
        account     TEXT    NOT NULL,
        contact     TEXT    NOT NULL,
        target_id   BIGINT,
        applied     TEXT,
        done        TEXT,
        create_sent BIGINT  NOT NULL DEFAULT 0,
        updated_at  BIGINT  NOT NULL,
        PRIMARY KEY (account, contact)
    )"],
    // Jobs. `live` is the sheet while the job is queued or running and NULL after: its
    // unique index allows one live job per sheet (NULLs never collide, in either database).
    &["CREATE TABLE IF NOT EXISTS jobs (
        id          TEXT    NOT NULL PRIMARY KEY,
        owner       TEXT    NOT NULL,
        sheet       TEXT    NOT NULL,
        account     TEXT    NOT NULL,
        request     TEXT    NOT NULL,
        token       TEXT,
        state       TEXT    NOT NULL,
        live        TEXT,
        progress    TEXT,
        error       TEXT,
        created_at  BIGINT  NOT NULL,
        updated_at  BIGINT  NOT NULL
    )"],
    &["CREATE UNIQUE INDEX IF NOT EXISTS jobs_live_sheet ON jobs (live)"],
    // Who works for a target account, until when: one job per account at a time, across
    // instances, so that an account's rate limit and monthly budget hold.
    &["CREATE TABLE IF NOT EXISTS account_leases (
        account     TEXT    NOT NULL PRIMARY KEY,
        job_id      TEXT    NOT NULL,
        worker      TEXT    NOT NULL,
        until       BIGINT  NOT NULL
    )"],
    // The finished job's per-row report (CSV: row, status, reason, client id).
    &["ALTER TABLE jobs ADD COLUMN report TEXT"],
    // The user's Google token, sealed apart from the target's: the add-on sends a fresh one
    // with its polls (an OAuth token lives an hour; a long job outlives it).
    &["ALTER TABLE jobs ADD COLUMN sheets_token TEXT"],
    // Target requests spent, per account and calendar month (UTC).
    &["CREATE TABLE IF NOT EXISTS usage (
        account     TEXT    NOT NULL,
        month       TEXT    NOT NULL,
        label       TEXT,
        requests    BIGINT  NOT NULL,
        PRIMARY KEY (account, month)
    )"],
    // Which run (a server's job) sent a contact's first create: that run, resumed after a
    // crash, still reports the contact as created.
    &["ALTER TABLE ledger ADD COLUMN created_by TEXT"],
    // Target ids become opaque text (Intercom's are hex strings), and the ledger is keyed by
    // our normalised contact keys: a phone's `+digits` rather than Chat2Desk's wire form.
    // One transaction; each step is safe to run again. (`WHERE true`: SQLite's parser needs
    // a WHERE before an upsert's ON CONFLICT in an INSERT … SELECT.)
    &[
        "CREATE TABLE IF NOT EXISTS ledger_keyed (
            account     TEXT    NOT NULL,
            contact     TEXT    NOT NULL,
            target_id   TEXT,
            applied     TEXT,
            done        TEXT,
            create_sent BIGINT  NOT NULL DEFAULT 0,
            created_by  TEXT,
            updated_at  BIGINT  NOT NULL,
            PRIMARY KEY (account, contact)
        )",
        "INSERT INTO ledger_keyed
            (account, contact, target_id, applied, done, create_sent, created_by, updated_at)
         SELECT account,
            CASE WHEN contact LIKE '%@%' OR contact LIKE '%|%' OR contact LIKE '+%'
                THEN contact ELSE '+' || contact END,
            CAST(target_id AS TEXT), applied, done, create_sent, created_by, updated_at
         FROM ledger
         WHERE true
         ON CONFLICT (account, contact) DO NOTHING",
        "DROP TABLE ledger",
        "ALTER TABLE ledger_keyed RENAME TO ledger",
    ],
];

/// The database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
}

impl Store {
    /// Opens (or creates) the SQLite file at `path`.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
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
        Store::connect(
            &format!("sqlite://{encoded}?mode=rwc"),
            &path.display().to_string(),
        )
        .await
    }

    /// Opens the store at a database URL: `postgres://…` or `sqlite://…`.
    pub async fn open_url(url: &str) -> Result<Store, StoreError> {
        Store::connect(url, &without_password(url)).await
    }

    async fn connect(url: &str, place: &str) -> Result<Store, StoreError> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let open_error = |cause| StoreError::Open {
            place: place.to_owned(),
            cause,
        };
        // One connection first, by hand: a file that is no database, a read-only one, a
        // refused login fail here at once with the database's own words. The pool would
        // retry such a connection until its acquire timeout and say only "timed out".
        let mut first = AnyConnection::connect(url).await.map_err(open_error)?;
        prepare(&mut first).await.map_err(open_error)?;
        first.close().await.map_err(open_error)?;
        let pool = AnyPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(|connection, _| Box::pin(prepare(connection)))
            .connect(url)
            .await
            .map_err(open_error)?;
        let store = Store { pool };
        store.migrate().await.map_err(|e| match e {
            StoreError::Query(source) => open_error(source),
            other => other,
        })?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT NOT NULL PRIMARY KEY)",
        )
        .execute(&self.pool)
        .await?;
        // A write on every start, even when no migration is due: a store that opens but
        // cannot be written (read-only) is found out now, not at the first job.
        sqlx::query(
            "INSERT INTO schema_migrations (version) VALUES (0) ON CONFLICT (version) DO NOTHING",
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
            for statement in *migration {
                sqlx::query(*statement).execute(&mut *tx).await?;
            }
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

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Readies a new connection. SQLite: WAL with synchronous=NORMAL survives a killed process
/// (not a power cut) and lets readers and the writer work at once; setting WAL writes, so
/// a read-only database is found out here. Both: one query, so that a file that is not a
/// database is found out too.
async fn prepare(connection: &mut AnyConnection) -> Result<(), sqlx::Error> {
    if connection.backend_name() == "SQLite" {
        for pragma in [
            "PRAGMA journal_mode = WAL",
            "PRAGMA synchronous = NORMAL",
            "PRAGMA busy_timeout = 10000",
        ] {
            sqlx::query(pragma).execute(&mut *connection).await?;
        }
    }
    sqlx::query("SELECT 1").execute(&mut *connection).await?;
    Ok(())
}

/// A database setting as it may be shown: a file path as it is, a URL without its password.
pub(crate) fn shown(database: &str) -> String {
    if database.contains("://") {
        without_password(database)
    } else {
        database.to_owned()
    }
}

/// A database URL as it may be shown: without its password.
pub(crate) fn without_password(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "the database URL".to_owned(),
    }
}

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
