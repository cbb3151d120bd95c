//! A worker: takes a job under a lease, reads the sheet, runs the same engine as `check` or
//! `load`, writes each row's status and client id back into the sheet, and ends the job.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde_json::json;

use super::Shared;
use super::api::{Mode, Stored, sheets_token_purpose};
use crate::check::{CheckOptions, Checked, check};
use crate::input::Source;
use crate::load::{LoadOptions, LoadedRow, Progress, load};
use crate::pacing::{Backoff, Pacing};
use crate::report::{ReportLine, status_text};
use crate::sheets::{Sheets, StatusColumns, StatusWriter};
use crate::store::{JobState, Taken};
use crate::targets::chat2desk::client::Chat2Desk;

/// Rows loaded by a `sample` job.
const SAMPLE_ROWS: usize = 20;

/// How often a running job's progress is written for the add-on's progress bar.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// Counts a load's profiles as they finish.
#[derive(Default)]
struct Counter {
    total: AtomicU64,
    done: AtomicU64,
}

impl Progress for Counter {
    fn start(&self, profiles: u64) {
        self.total.store(profiles, Ordering::Relaxed);
    }
    fn advance(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
    }
}

/// What the add-on shows while a job runs: contacts done of all, requests spent, the rate
/// and the time left at that rate.
fn running_progress(counter: &Counter, pacing: &Pacing, started: Instant) -> String {
    let (done, total) = (
        counter.done.load(Ordering::Relaxed),
        counter.total.load(Ordering::Relaxed),
    );
    let requests = pacing.counters.requests.load(Ordering::Relaxed);
    let seconds = started.elapsed().as_secs_f64().max(0.001);
    let per_second = done as f64 / seconds;
    let eta = (per_second > 0.0).then(|| ((total.saturating_sub(done)) as f64 / per_second).ceil());
    json!({
        "contacts_done": done,
        "contacts_total": total,
        "requests": requests,
        "requests_per_second": (requests as f64 / seconds * 10.0).round() / 10.0,
        "eta_seconds": eta,
    })
    .to_string()
}

/// Takes and runs jobs until `stop` says so.
pub async fn work(
    shared: Arc<Shared>,
    worker: String,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let lease = Duration::from_secs(shared.config.lease_seconds);
    while !*stop.borrow() {
        match shared.store.take(&worker, lease).await {
            Ok(Some(taken)) => run(&shared, &worker, taken, &mut stop).await,
            Ok(None) => {
                tokio::select! {
                    _ = shared.wake.notified() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.changed() => {}
                }
            }
            Err(error) => {
                eprintln!("contact-loader serve: {worker}: {error}");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Why a job did not end.
enum Outcome {
    Done,
    Failed(String),
    /// The server is stopping, or the lease was lost: leave the job to be resumed.
    Left,
}

async fn run(
    shared: &Arc<Shared>,
    worker: &str,
    taken: Taken,
    stop: &mut tokio::sync::watch::Receiver<bool>,
) {
    let job_id = taken.job.id.clone();
    let pacing = Arc::new(Pacing::new(shared.config.rate, None, Backoff::default()));
    // Renews the lease while the job runs; a lost lease (cancelled, or taken over) or a
    // stopping server stops the job's requests.
    let renewal = {
        let (shared, pacing, worker, job_id, mut stop) = (
            shared.clone(),
            pacing.clone(),
            worker.to_owned(),
            job_id.clone(),
            stop.clone(),
        );
        let period = Duration::from_secs(shared.config.lease_seconds) / 3;
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(period) => {}
                    _ = stop.changed() => {
                        pacing.stop("the server is stopping");
                        return;
                    }
                }
                let lease = Duration::from_secs(shared.config.lease_seconds);
                if !matches!(shared.store.renew(&worker, &job_id, lease).await, Ok(true)) {
                    pacing.stop("the job was cancelled or taken over");
                    return;
                }
            }
        })
    };
    let outcome = run_job(shared, &taken, &pacing).await;
    renewal.abort();
    let stopping = *stop.borrow();
    let outcome = match outcome {
        Ok(_) if pacing.is_stopping() || stopping => Outcome::Left,
        Ok(()) => Outcome::Done,
        Err(_) if stopping => Outcome::Left,
        Err(message) => Outcome::Failed(message),
    };
    let ended = match outcome {
        Outcome::Done => {
            shared
                .store
                .finish(worker, &job_id, JobState::Done, None)
                .await
        }
        Outcome::Failed(message) => {
            shared
                .store
                .finish(worker, &job_id, JobState::Failed, Some(&message))
                .await
        }
        // Resumed by the next worker to look, where the ledger says it stopped. (If the lease
        // was taken over, there is nothing of ours to let go.)
        Outcome::Left => shared.store.release(worker, &job_id).await,
    };
    if let Err(error) = ended {
        eprintln!("contact-loader serve: {worker}: {error}");
    }
}

/// One job, from the sheet to the sheet. Errors are texts for the job's owner.
async fn run_job(shared: &Shared, taken: &Taken, pacing: &Pacing) -> Result<(), String> {
    let stored: Stored =
        serde_json::from_str(&taken.job.request).map_err(|e| format!("unreadable job: {e}"))?;
    let gone = "the job's tokens are gone: submit it again";
    let target_token = taken
        .sealed_token
        .as_deref()
        .and_then(|sealed| shared.sealer.open(sealed, &taken.job.sheet).ok())
        .ok_or(gone)?;
    let (_, sheets_token) = google_token(shared, taken).await.ok_or(gone)?;
    let timeout = Duration::from_secs(30);
    let sheets =
        Sheets::new(&shared.config.sheets_url, sheets_token, timeout).map_err(|e| e.to_string())?;
    let rows = sheets
        .values(&stored.spreadsheet_id, &stored.sheet)
        .await
        .map_err(|e| format!("the sheet cannot be read: {e}"))?;
    let source = Source::from_rows(&rows);
    let region = match &stored.region {
        Some(region) => region.parse().map_err(|e: String| e)?,
        None => Default::default(),
    };
    let check_options = CheckOptions {
        region,
        ..CheckOptions::default()
    };
    let (checked, loaded): (Checked, Option<Vec<LoadedRow>>) = match stored.mode {
        Mode::Check => (
            check(source, check_options).map_err(|e| e.to_string())?,
            None,
        ),
        Mode::Load | Mode::Sample => {
            let client = Chat2Desk::new(&stored.base_url, target_token, timeout)
                .map_err(|e| e.to_string())?;
            let options = LoadOptions {
                check: check_options,
                channel: stored.channel.clone(),
                transport: stored.transport.clone(),
                tags: stored.tags.clone(),
                sample: (stored.mode == Mode::Sample).then_some(SAMPLE_ROWS),
                rate: shared.config.rate,
                concurrency: shared.config.concurrency,
                ..LoadOptions::default()
            };
            let counter = Counter::default();
            let started = Instant::now();
            let loading = load(source, &client, &shared.store, &options, pacing, &counter);
            tokio::pin!(loading);
            let loaded = loop {
                tokio::select! {
                    loaded = &mut loading => break loaded,
                    _ = tokio::time::sleep(PROGRESS_EVERY) => {
                        let progress = running_progress(&counter, pacing, started);
                        // Progress is for show: a failed write is not the job's failure.
                        let _ = shared.store.set_progress(&taken.job.id, &progress).await;
                    }
                }
            };
            // Requests count against the account's month whether the load ends well or not.
            let label = loaded.as_ref().ok().and_then(|l| l.account_name.clone());
            let requests = pacing.counters.requests.load(Ordering::Relaxed);
            if let Err(error) = shared
                .store
                .add_usage(&taken.job.account, label.as_deref(), requests)
                .await
            {
                eprintln!("contact-loader serve: usage not recorded: {error}");
            }
            let loaded = loaded.map_err(|e| e.to_string())?;
            (loaded.checked, Some(loaded.rows))
        }
    };
    let load_rows = loaded.as_deref();

    let header = rows
        .get(checked.header_row as usize - 1)
        .cloned()
        .unwrap_or_default();
    let mut writer = StatusWriter::new(
        sheets,
        &stored.spreadsheet_id,
        &stored.sheet,
        StatusColumns::find(&header),
    )
    .with_min_interval(Duration::from_millis(shared.config.sheets_min_interval_ms));
    let mut report = csv::Writer::from_writer(Vec::new());
    let _ = report.write_record(["row", "status", "reason", "client_id"]);
    let mut counts = std::collections::BTreeMap::<&str, u64>::new();
    for (i, result) in checked.rows.iter().enumerate() {
        let status = status_text(&checked, load_rows, i);
        // The same status name and reason as `--report` gives.
        let line = ReportLine::new(&checked, result, load_rows.and_then(|l| l.get(i)));
        let client_id = line.load.and_then(|l| l.target_id).map(|id| id.to_string());
        *counts.entry(line.status).or_default() += 1;
        writer.push(result.row, &status, client_id.as_deref());
        let _ = report.write_record([
            result.row.to_string(),
            line.status.to_owned(),
            line.reason.unwrap_or_default(),
            client_id.unwrap_or_default(),
        ]);
    }
    let written = write_statuses(shared, taken, &mut writer).await;
    // The read, and the writes.
    shared
        .metrics
        .sheets_requests
        .fetch_add(1 + writer.requests(), Ordering::Relaxed);
    written.map_err(|e| match e {
        crate::sheets::SheetsError::Unauthorized(_) => "the Google sign-in expired before the \
            statuses could be written: open the add-on so that it signs in again, then press \
            Process list again"
            .to_owned(),
        other => format!("the statuses cannot be written to the sheet: {other}"),
    })?;
    for (status, count) in &counts {
        shared.metrics.add_rows(status, *count);
    }
    let report = String::from_utf8(report.into_inner().unwrap_or_default()).unwrap_or_default();
    let progress = json!({
        "rows": checked.rows.len(),
        "by_status": counts,
        "requests": pacing.counters.requests.load(Ordering::Relaxed),
    })
    .to_string();
    let store_error = |e: crate::store::StoreError| e.to_string();
    shared
        .store
        .set_report(&taken.job.id, &report)
        .await
        .map_err(store_error)?;
    shared
        .store
        .set_progress(&taken.job.id, &progress)
        .await
        .map_err(store_error)?;
    Ok(())
}

/// The job's current Google token: sealed as stored, and opened.
async fn google_token(shared: &Shared, taken: &Taken) -> Option<(String, SecretString)> {
    let sealed = shared.store.sheets_token(&taken.job.id).await.ok()??;
    let token = shared
        .sealer
        .open(&sealed, &sheets_token_purpose(&taken.job.sheet))
        .ok()?;
    Some((sealed, token))
}

/// How long a job's statuses wait for a fresh Google token once the one it has expired.
const TOKEN_WAIT: Duration = Duration::from_secs(30 * 60);

/// Writes the statuses; when Google says the user's token expired, keeps them and waits
/// for the add-on to send a fresh one with its next poll.
async fn write_statuses(
    shared: &Shared,
    taken: &Taken,
    writer: &mut StatusWriter,
) -> Result<(), crate::sheets::SheetsError> {
    let mut used = google_token(shared, taken).await.map(|(sealed, _)| sealed);
    loop {
        match writer.flush().await {
            Err(crate::sheets::SheetsError::Unauthorized(message)) => {
                let waited = Instant::now();
                loop {
                    if waited.elapsed() > TOKEN_WAIT {
                        return Err(crate::sheets::SheetsError::Unauthorized(message));
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    if let Some((sealed, token)) = google_token(shared, taken).await
                        && used.as_ref() != Some(&sealed)
                    {
                        used = Some(sealed);
                        writer.set_token(token);
                        break;
                    }
                }
            }
            other => return other,
        }
    }
}
