//! Target requests spent, per account and calendar month (UTC): what `GET /v1/usage` shows
//! against the month's free allowance.

use sqlx::Row;

use super::{Store, StoreError, now};

/// One account's requests in one month.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Usage {
    pub account: String,
    /// The account's name as the target gave it, if known.
    pub label: Option<String>,
    pub month: String,
    pub requests: u64,
}

/// `YYYY-MM` of a Unix time (UTC), by the days-to-civil-date algorithm (H. Hinnant).
pub fn month_of(unix_seconds: i64) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}")
}

impl Store {
    /// Adds `requests` to the account's count for this month.
    pub async fn add_usage(
        &self,
        account: &str,
        label: Option<&str>,
        requests: u64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO usage (account, month, label, requests) VALUES ($1, $2, $3, $4)
             ON CONFLICT (account, month) DO UPDATE
                SET requests = usage.requests + excluded.requests,
                    label = COALESCE(excluded.label, usage.label)",
        )
        .bind(account)
        .bind(month_of(now()))
        .bind(label)
        .bind(requests as i64)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// This month's usage of the accounts `owner` has run jobs against.
    pub async fn usage(&self, owner: &str) -> Result<Vec<Usage>, StoreError> {
        let rows = sqlx::query(
            "SELECT account, label, month, requests FROM usage
             WHERE month = $1 AND account IN (SELECT account FROM jobs WHERE owner = $2)
             ORDER BY account",
        )
        .bind(month_of(now()))
        .bind(owner)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Usage {
                    account: row.try_get("account")?,
                    label: row.try_get("label")?,
                    month: row.try_get("month")?,
                    requests: row.try_get::<i64, _>("requests")? as u64,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_calendar_months_in_utc() {
        assert_eq!(month_of(0), "1970-01");
        assert_eq!(month_of(951_782_400), "2000-02"); // 2000-02-29
        assert_eq!(month_of(1_796_083_199), "2026-11"); // 2026-11-30 23:59:59
        assert_eq!(month_of(1_796_083_200), "2026-12");
    }

    async fn suite(store: Store) {
        use crate::store::NewJob;
        let run = format!("{:016x}", rand::random::<u64>());
        let account = format!("{run}-acct");
        store
            .submit(NewJob {
                id: crate::store::jobs::new_job_id(),
                owner: format!("{run}-ann"),
                sheet: format!("{run}/sheet"),
                account: account.clone(),
                request: "{}".into(),
                sealed_token: None,
                sealed_sheets_token: None,
            })
            .await
            .unwrap();
        store.add_usage(&account, None, 40).await.unwrap();
        store.add_usage(&account, Some("Ромашка"), 2).await.unwrap();
        let usage = store.usage(&format!("{run}-ann")).await.unwrap();
        assert_eq!(usage.len(), 1);
        assert_eq!(usage[0].requests, 42);
        assert_eq!(usage[0].label.as_deref(), Some("Ромашка"));
        assert_eq!(usage[0].month, month_of(now()));
        assert!(store.usage(&format!("{run}-bob")).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn usage_adds_up_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        suite(Store::open(&dir.path().join("u.sqlite")).await.unwrap()).await;
    }

    #[tokio::test]
    async fn usage_adds_up_on_postgres() {
        let Ok(url) = std::env::var("CONTACT_LOADER_TEST_POSTGRES") else {
            eprintln!("skipped PostgreSQL: CONTACT_LOADER_TEST_POSTGRES is not set");
            return;
        };
        suite(Store::open_url(&url).await.unwrap()).await;
    }
}
