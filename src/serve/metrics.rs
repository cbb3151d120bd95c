//! `/metrics` in Prometheus' text format: jobs by state (from the store, so every instance
//! reports the same), and this instance's counters of rows, target requests and Sheets calls.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::pacing::{Counters, Outcome};

/// A metric family: name, type, help, and its samples (labels, value).
type Family = (
    &'static str,
    &'static str,
    &'static str,
    Vec<(String, String)>,
);

/// This instance's counters since it started.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Rows finished, by status name.
    rows: Mutex<BTreeMap<String, u64>>,
    /// Every job's target requests, counted as they are sent (`Pacing::counting_into`).
    pub target: Arc<Counters>,
    pub sheets_requests: AtomicU64,
    pub jobs_done: AtomicU64,
    pub jobs_failed: AtomicU64,
}

impl Metrics {
    pub fn add_rows(&self, status: &str, count: u64) {
        *self
            .rows
            .lock()
            .expect("metrics lock")
            .entry(status.to_owned())
            .or_default() += count;
    }

    /// The text a scrape gets; `jobs` are the store's counts by state.
    pub fn render(&self, jobs: &[(String, i64)]) -> String {
        let counter = |value: &AtomicU64| value.load(Ordering::Relaxed).to_string();
        let rows: Vec<(String, String)> = self
            .rows
            .lock()
            .expect("metrics lock")
            .iter()
            .map(|(status, count)| (format!("{{status=\"{status}\"}}"), count.to_string()))
            .collect();
        let families: [Family; 6] = [
            (
                "contact_loader_jobs",
                "gauge",
                "Jobs in the store, by state.",
                jobs.iter()
                    .map(|(state, count)| (format!("{{state=\"{state}\"}}"), count.to_string()))
                    .collect(),
            ),
            (
                "contact_loader_jobs_ended_total",
                "counter",
                "Jobs this instance ended, by result.",
                vec![
                    ("{result=\"done\"}".into(), counter(&self.jobs_done)),
                    ("{result=\"failed\"}".into(), counter(&self.jobs_failed)),
                ],
            ),
            (
                "contact_loader_rows_total",
                "counter",
                "Rows this instance finished, by status.",
                rows,
            ),
            (
                "contact_loader_target_requests_total",
                "counter",
                "Requests to target APIs, by outcome (rate_limited: the target asked to slow down, a 429); every one counts against the account's month.",
                Outcome::ALL
                    .iter()
                    .map(|o| {
                        (
                            format!("{{outcome=\"{}\"}}", o.name()),
                            self.target.ended(*o).to_string(),
                        )
                    })
                    .collect(),
            ),
            (
                "contact_loader_target_retries_total",
                "counter",
                "Target requests sent again after a transient failure or a rate limit.",
                vec![(String::new(), counter(&self.target.retries))],
            ),
            (
                "contact_loader_sheets_requests_total",
                "counter",
                "Requests to the Google Sheets API.",
                vec![(String::new(), counter(&self.sheets_requests))],
            ),
        ];
        let mut out = String::new();
        for (name, kind, help, samples) in families {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, value) in samples {
                let _ = writeln!(out, "{name}{labels} {value}");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_stand_under_their_family() {
        let metrics = Metrics::default();
        metrics.add_rows("created", 3);
        metrics.add_rows("invalid", 1);
        metrics.jobs_failed.fetch_add(1, Ordering::Relaxed);
        let text = metrics.render(&[("running".into(), 2)]);
        assert!(text.contains(
            "# TYPE contact_loader_jobs gauge\ncontact_loader_jobs{state=\"running\"} 2\n"
        ));
        assert!(text.contains("contact_loader_rows_total{status=\"created\"} 3\n"));
        assert!(text.contains("contact_loader_target_requests_total{outcome=\"ok\"} 0\n"));
        assert!(text.contains("contact_loader_jobs_ended_total{result=\"failed\"} 1\n"));
        assert!(text.contains("# TYPE contact_loader_sheets_requests_total counter\ncontact_loader_sheets_requests_total 0\n"));
    }
}
