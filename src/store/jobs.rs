//! The server's jobs: durable, taken by workers under leases, one at a time per target
//! account (so that an account's rate limit and monthly budget hold across jobs and across
//! instances), and one live job per sheet.
//!
//! A job is taken by taking its account's lease (`account_leases`, one row per account):
//! an upsert that succeeds only where no other worker holds a lease still running. The
//! upsert is atomic in both databases (PostgreSQL locks the conflicting row and re-checks
//! the condition; SQLite has one writer), so two instances never work for one account — or
//! on one job — at once. A worker renews its lease while it works; when it dies, the lease
//! runs out and another worker resumes the job where the ledger says it stopped.

use std::time::Duration;

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Queued,
    Running,
    Done,
    Failed,
    Cancelled,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }

    fn parse(s: &str) -> JobState {
        match s {
            "queued" => JobState::Queued,
            "running" => JobState::Running,
            "done" => JobState::Done,
            "cancelled" => JobState::Cancelled,
            _ => JobState::Failed,
        }
    }

    /// Queued or running: the sheet has a live job.
    pub fn is_live(self) -> bool {
        matches!(self, JobState::Queued | JobState::Running)
    }
}

/// A job to submit.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// Its id, from `new_job_id` (its tokens are sealed for it before it is stored).
    pub id: String,
    /// Who submitted it: only they see it.
    pub owner: String,
    /// The spreadsheet and sheet it works on: one live job per sheet.
    pub sheet: String,
    /// The target account (as the ledger names it): one running job per account.
    pub account: String,
    /// The request, as JSON, without secrets.
    pub request: String,
    /// The target token, sealed (`crate::secrets`); dropped when the job ends.
    pub sealed_token: Option<String>,
    /// The user's Google token, sealed; replaced by fresher ones while the job lives.
    pub sealed_sheets_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: String,
    pub owner: String,
    pub sheet: String,
    pub account: String,
    pub request: String,
    pub state: JobState,
    /// The worker's progress report, as JSON.
    pub progress: Option<String>,
    pub error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A job a worker has taken, with its sealed token and the lease's end (ms since the epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    pub job: Job,
    pub sealed_token: Option<String>,
    pub until_ms: i64,
}

/// A live job's sealed tokens, as `Store::live_tokens` gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveTokens {
    pub id: String,
    pub owner: String,
    pub token: Option<String>,
    pub sheets_token: Option<String>,
}

const JOB_COLUMNS: &str =
    "id, owner, sheet, account, request, state, progress, error, created_at, updated_at";

fn job_of(row: &AnyRow) -> Result<Job, sqlx::Error> {
    Ok(Job {
        id: row.try_get("id")?,
        owner: row.try_get("owner")?,
        sheet: row.try_get("sheet")?,
        account: row.try_get("account")?,
        request: row.try_get("request")?,
        state: JobState::parse(&row.try_get::<String, _>("state")?),
        progress: row.try_get("progress")?,
        error: row.try_get("error")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A new job's id: 128 random bits in hex.
pub fn new_job_id() -> String {
    format!(
        "{:016x}{:016x}",
        rand::random::<u64>(),
        rand::random::<u64>()
    )
}

impl Store {
    /// Submits a job; if the sheet has a live job already, returns that one instead
    /// (`false`: not new).
    pub async fn submit(&self, job: NewJob) -> Result<(Job, bool), StoreError> {
        let now = now_ms();
        let inserted = sqlx::query(
            "INSERT INTO jobs (id, owner, sheet, account, request, token, sheets_token, state, live, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $8, 'queued', $3, $7, $7)
             ON CONFLICT (live) DO NOTHING",
        )
        .bind(&job.id)
        .bind(&job.owner)
        .bind(&job.sheet)
        .bind(&job.account)
        .bind(&job.request)
        .bind(&job.sealed_token)
        .bind(now)
        .bind(&job.sealed_sheets_token)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1;
        let query = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE live = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(query))
            .bind(&job.sheet)
            .fetch_one(&self.pool)
            .await?;
        Ok((job_of(&row)?, inserted))
    }

    /// A job, if `owner` submitted it: nobody sees another's jobs.
    pub async fn job(&self, owner: &str, id: &str) -> Result<Option<Job>, StoreError> {
        let query = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1 AND owner = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(query))
            .bind(id)
            .bind(owner)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(job_of).transpose()?)
    }

    /// Takes the oldest job no one works on whose account is free, for `lease`.
    pub async fn take(&self, worker: &str, lease: Duration) -> Result<Option<Taken>, StoreError> {
        let now = now_ms();
        let until = now + lease.as_millis() as i64;
        // Queued jobs, and running ones whose worker's lease ran out (it died).
        let candidates: Vec<(String, String)> = sqlx::query(
            "SELECT id, account FROM jobs j
             WHERE j.state = 'queued'
                OR (j.state = 'running' AND NOT EXISTS (
                    SELECT 1 FROM account_leases l WHERE l.job_id = j.id AND l.until >= $1))
             ORDER BY j.created_at, j.id
             LIMIT 32",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| Ok((row.try_get("id")?, row.try_get("account")?)))
        .collect::<Result<_, sqlx::Error>>()?;
        for (id, account) in candidates {
            let acquired = sqlx::query(
                "INSERT INTO account_leases (account, job_id, worker, until) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (account) DO UPDATE
                    SET job_id = excluded.job_id, worker = excluded.worker, until = excluded.until
                    WHERE account_leases.until < $5",
            )
            .bind(&account)
            .bind(&id)
            .bind(worker)
            .bind(until)
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected()
                == 1;
            if !acquired {
                continue;
            }
            let query = format!(
                "UPDATE jobs SET state = 'running', updated_at = $2
                 WHERE id = $1 AND state IN ('queued', 'running')
                 RETURNING {JOB_COLUMNS}, token"
            );
            let row = sqlx::query(sqlx::AssertSqlSafe(query))
                .bind(&id)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
            match row {
                Some(row) => {
                    return Ok(Some(Taken {
                        job: job_of(&row)?,
                        sealed_token: row.try_get("token")?,
                        until_ms: until,
                    }));
                }
                // Cancelled or finished between the two statements: let the account go.
                None => self.release(worker, &id).await?,
            }
        }
        Ok(None)
    }

    /// Extends a worker's lease; `false` when it is no longer the worker's (it ran out and
    /// another took the job, or the job ended): the worker must stop.
    pub async fn renew(
        &self,
        worker: &str,
        job_id: &str,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let until = now_ms() + lease.as_millis() as i64;
        let renewed =
            sqlx::query("UPDATE account_leases SET until = $1 WHERE job_id = $2 AND worker = $3")
                .bind(until)
                .bind(job_id)
                .bind(worker)
                .execute(&self.pool)
                .await?
                .rows_affected()
                == 1;
        Ok(renewed)
    }

    /// Replaces a live job's Google token with a fresher one (sealed); `false` if `owner`
    /// has no such live job.
    pub async fn set_sheets_token(
        &self,
        owner: &str,
        id: &str,
        sealed: &str,
    ) -> Result<bool, StoreError> {
        let updated = sqlx::query(
            "UPDATE jobs SET sheets_token = $1 WHERE id = $2 AND owner = $3 AND state IN ('queued', 'running')",
        )
        .bind(sealed)
        .bind(id)
        .bind(owner)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1;
        Ok(updated)
    }

    /// The live jobs (queued or running) with their sealed tokens. A server checks at start that its key opens them.
    pub async fn live_tokens(&self) -> Result<Vec<LiveTokens>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, owner, token, sheets_token FROM jobs
             WHERE state IN ('queued', 'running') ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|row| {
                Ok(LiveTokens {
                    id: row.try_get("id")?,
                    owner: row.try_get("owner")?,
                    token: row.try_get("token")?,
                    sheets_token: row.try_get("sheets_token")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?)
    }

    /// A job's current Google token (sealed).
    pub async fn sheets_token(&self, id: &str) -> Result<Option<String>, StoreError> {
        let token: Option<Option<String>> =
            sqlx::query_scalar("SELECT sheets_token FROM jobs WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(token.flatten())
    }

    /// Records a running job's progress (JSON).
    pub async fn set_progress(&self, job_id: &str, progress: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE jobs SET progress = $1, updated_at = $2 WHERE id = $3")
            .bind(progress)
            .bind(now_ms())
            .bind(job_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Jobs by state, for `/metrics`.
    pub async fn job_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows =
            sqlx::query("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state ORDER BY state")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("state")?, row.try_get("n")?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// The sheet's live job (queued or running), whoever owns it.
    pub async fn live_job_of_sheet(&self, sheet: &str) -> Result<Option<Job>, StoreError> {
        let query = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE live = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(query))
            .bind(sheet)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(job_of).transpose()?)
    }

    /// How many live jobs `owner` has.
    pub async fn live_jobs_of(&self, owner: &str) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM jobs WHERE owner = $1 AND state IN ('queued', 'running')",
        )
        .bind(owner)
        .fetch_one(&self.pool)
        .await?;
        Ok(count.max(0) as u64)
    }

    /// Deletes the jobs that ended before `before_ms` (ms since the epoch), their reports
    /// with them; the number deleted.
    pub async fn purge_finished(&self, before_ms: i64) -> Result<u64, StoreError> {
        let deleted = sqlx::query(
            "DELETE FROM jobs WHERE state NOT IN ('queued', 'running') AND updated_at < $1",
        )
        .bind(before_ms)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(deleted)
    }

    /// Keeps a job's per-row report (CSV).
    pub async fn set_report(&self, job_id: &str, report: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE jobs SET report = $1 WHERE id = $2")
            .bind(report)
            .bind(job_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A job's report, if `owner` submitted it and it has one.
    pub async fn report(&self, owner: &str, id: &str) -> Result<Option<String>, StoreError> {
        let report: Option<Option<String>> =
            sqlx::query_scalar("SELECT report FROM jobs WHERE id = $1 AND owner = $2")
                .bind(id)
                .bind(owner)
                .fetch_optional(&self.pool)
                .await?;
        Ok(report.flatten())
    }

    /// Ends a job the worker holds: its state, its error, the token dropped, the sheet and
    /// the account free again.
    pub async fn finish(
        &self,
        worker: &str,
        job_id: &str,
        state: JobState,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE jobs SET state = $1, error = $2, token = NULL, sheets_token = NULL, live = NULL, updated_at = $3
             WHERE id = $4 AND state IN ('queued', 'running')",
        )
        .bind(state.as_str())
        .bind(error)
        .bind(now_ms())
        .bind(job_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM account_leases WHERE job_id = $1 AND worker = $2")
            .bind(job_id)
            .bind(worker)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Cancels a live job of `owner`'s; `false` if there is none. A worker on it sees the
    /// state at its next renewal and stops; the account's lease goes with the job.
    pub async fn cancel(&self, owner: &str, id: &str) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let cancelled = sqlx::query(
            "UPDATE jobs SET state = 'cancelled', token = NULL, sheets_token = NULL, live = NULL, updated_at = $1
             WHERE id = $2 AND owner = $3 AND state IN ('queued', 'running')",
        )
        .bind(now_ms())
        .bind(id)
        .bind(owner)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if cancelled {
            sqlx::query("DELETE FROM account_leases WHERE job_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(cancelled)
    }

    /// Lets go of a job without ending it (a stopping server): the next worker to look
    /// takes it at once instead of waiting for the lease to run out.
    pub async fn release(&self, worker: &str, job_id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM account_leases WHERE job_id = $1 AND worker = $2")
            .bind(job_id)
            .bind(worker)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::HashSet;
    use std::sync::Arc;

    use super::*;

    fn new_job(run: &str, owner: &str, sheet: &str, account: &str) -> NewJob {
        NewJob {
            id: new_job_id(),
            owner: owner.to_owned(),
            sheet: format!("{run}/{sheet}"),
            account: format!("{run}/{account}"),
            request: "{}".to_owned(),
            sealed_token: Some("sealed".to_owned()),
            sealed_sheets_token: Some("sealed-sheets".to_owned()),
        }
    }

    const LEASE: Duration = Duration::from_secs(30);

    /// The jobs suite, the same for both databases: `open` opens one more connection pool
    /// to the same database (another instance). Names carry a run-unique prefix, and every
    /// job this run leaves live is finished at the end.
    pub(crate) async fn suite(open: impl AsyncFn() -> Store) {
        let run = format!("{:016x}", rand::random::<u64>());
        let store = open().await;

        // One live job per sheet; nobody sees another's job.
        let (a, new) = store
            .submit(new_job(&run, "ann", "sheet-1", "acct-1"))
            .await
            .unwrap();
        assert!(new);
        assert_eq!(a.state, JobState::Queued);
        let (again, new) = store
            .submit(new_job(&run, "ann", "sheet-1", "acct-1"))
            .await
            .unwrap();
        assert!(!new);
        assert_eq!(again.id, a.id);
        assert_eq!(store.job("ann", &a.id).await.unwrap(), Some(a.clone()));
        assert_eq!(store.job("bob", &a.id).await.unwrap(), None);

        // One worker per account: a second job of the account waits.
        let (b, _) = store
            .submit(new_job(&run, "bob", "sheet-2", "acct-1"))
            .await
            .unwrap();
        let mine = |taken: Option<Taken>| taken.filter(|t| t.job.sheet.starts_with(&run));
        let first = mine(store.take("w1", LEASE).await.unwrap()).expect("a job is taken");
        assert_eq!(first.job.id, a.id);
        assert_eq!(first.job.state, JobState::Running);
        assert_eq!(first.sealed_token.as_deref(), Some("sealed"));
        assert_eq!(
            store.sheets_token(&a.id).await.unwrap().as_deref(),
            Some("sealed-sheets")
        );
        assert!(
            store
                .set_sheets_token("ann", &a.id, "fresher")
                .await
                .unwrap()
        );
        assert!(
            !store
                .set_sheets_token("bob", &a.id, "theirs")
                .await
                .unwrap()
        );
        assert_eq!(
            store.sheets_token(&a.id).await.unwrap().as_deref(),
            Some("fresher")
        );
        assert!(
            mine(store.take("w2", LEASE).await.unwrap()).is_none(),
            "acct-1 is busy"
        );
        assert!(store.renew("w1", &a.id, LEASE).await.unwrap());
        assert!(!store.renew("w2", &a.id, LEASE).await.unwrap());

        // Finishing frees the account and the sheet, and drops the token.
        store
            .finish("w1", &a.id, JobState::Done, None)
            .await
            .unwrap();
        assert_eq!(
            store.job("ann", &a.id).await.unwrap().unwrap().state,
            JobState::Done
        );
        let next = mine(store.take("w2", LEASE).await.unwrap()).expect("acct-1 is free");
        assert_eq!(next.job.id, b.id);
        let (c, new) = store
            .submit(new_job(&run, "ann", "sheet-1", "acct-1"))
            .await
            .unwrap();
        assert!(new, "the sheet's job ended: a new one may start");

        // A worker that dies leaves a lease that runs out; another resumes the job.
        store
            .finish("w2", &b.id, JobState::Done, None)
            .await
            .unwrap();
        let short = mine(store.take("w3", Duration::from_millis(50)).await.unwrap()).unwrap();
        assert_eq!(short.job.id, c.id);
        tokio::time::sleep(Duration::from_millis(120)).await;
        let resumed = mine(store.take("w4", LEASE).await.unwrap()).expect("the lease ran out");
        assert_eq!(resumed.job.id, c.id);
        assert!(
            !store.renew("w3", &c.id, LEASE).await.unwrap(),
            "w3 must stop"
        );

        // Cancelling a running job frees its account.
        assert!(store.cancel("ann", &c.id).await.unwrap());
        assert!(!store.cancel("ann", &c.id).await.unwrap());
        assert!(!store.renew("w4", &c.id, LEASE).await.unwrap());
        assert_eq!(
            store.job("ann", &c.id).await.unwrap().unwrap().state,
            JobState::Cancelled
        );

        // Several instances take jobs at once: no job is taken twice, and no account has two
        // workers at a time.
        let mut ids = Vec::new();
        for i in 0..12 {
            let (job, _) = store
                .submit(new_job(
                    &run,
                    "ann",
                    &format!("many-{i}"),
                    &format!("acct-m{}", i % 3),
                ))
                .await
                .unwrap();
            ids.push(job.id);
        }
        let instances: Vec<Arc<Store>> = {
            let mut v = Vec::new();
            for _ in 0..4 {
                v.push(Arc::new(open().await));
            }
            v
        };
        let mut taken = Vec::new();
        for round in 0..8 {
            let tasks: Vec<_> = instances
                .iter()
                .enumerate()
                .map(|(n, instance)| {
                    let instance = instance.clone();
                    tokio::spawn(async move {
                        let worker = format!("i{n}");
                        instance
                            .take(&worker, LEASE)
                            .await
                            .unwrap()
                            .map(|t| (worker, t))
                    })
                })
                .collect();
            let mut accounts = HashSet::new();
            let mut this_round = Vec::new();
            for task in tasks {
                if let Some((worker, t)) = task
                    .await
                    .unwrap()
                    .filter(|(_, t)| t.job.sheet.starts_with(&run))
                {
                    assert!(
                        accounts.insert(t.job.account.clone()),
                        "round {round}: one worker per account"
                    );
                    this_round.push((worker, t.job.id));
                }
            }
            for (worker, id) in &this_round {
                store
                    .finish(worker, id, JobState::Done, None)
                    .await
                    .unwrap();
            }
            taken.extend(this_round.into_iter().map(|(_, id)| id));
        }
        let unique: HashSet<&String> = taken.iter().collect();
        assert_eq!(unique.len(), taken.len(), "no job taken twice");
        assert_eq!(unique.len(), ids.len(), "every job taken");

        // Live jobs are counted per owner and found by sheet; finished ones are purged once
        // old enough, live ones never.
        let carl = format!("{run}-carl");
        let (d, _) = store
            .submit(NewJob {
                owner: carl.clone(),
                ..new_job(&run, "", "sheet-d", "acct-d")
            })
            .await
            .unwrap();
        assert_eq!(store.live_jobs_of(&carl).await.unwrap(), 1);
        assert_eq!(
            store
                .live_job_of_sheet(&d.sheet)
                .await
                .unwrap()
                .map(|j| j.owner),
            Some(carl.clone())
        );
        assert!(store.purge_finished(a.updated_at).await.is_ok());
        assert!(
            store.job("ann", &a.id).await.unwrap().is_some(),
            "not older than the cut"
        );
        store.purge_finished(now_ms() + 1).await.unwrap();
        assert_eq!(
            store.job("ann", &a.id).await.unwrap(),
            None,
            "a finished job is purged"
        );
        assert!(
            store.job(&carl, &d.id).await.unwrap().is_some(),
            "a live one stays"
        );
    }

    #[tokio::test]
    async fn the_jobs_suite_passes_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jobs.sqlite");
        suite(async || Store::open(&path).await.unwrap()).await;
    }

    #[tokio::test]
    async fn the_jobs_suite_passes_on_postgres() {
        let Ok(url) = std::env::var("CONTACT_LOADER_TEST_POSTGRES") else {
            eprintln!("skipped PostgreSQL: CONTACT_LOADER_TEST_POSTGRES is not set");
            return;
        };
        suite(async || Store::open_url(&url).await.unwrap()).await;
    }
}
