//! A worker: takes a job under a lease, reads the sheet, runs the same engine as `check` or
//! `load`, writes each row's status and client id back into the sheet, and ends the job.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde_json::json;
use tokio::sync::Notify;
use tracing::Instrument;

use super::Shared;
use super::api::{Mode, Stored, TokenKind, token_purpose};
use crate::check::{CheckOptions, Checked, check};
use crate::input::Source;
use crate::load::{LoadError, LoadOptions, Loaded, LoadedRow, Progress};
use crate::pacing::{Backoff, Pacing};
use crate::report::{ReportLine, loaded_status_text, neutralised, status_text};
use crate::sheets::{ServiceAccount, Sheets, SheetsError, StatusColumns, StatusWriter};
use crate::store::{JobState, Taken};
use crate::targets::{Connected, Connection, Credentials};

/// A job whose sealed tokens were dropped (it ended once already).
const TOKENS_GONE: &str = "the job's tokens are gone: submit it again";

/// A sealed token this server's key does not open: the key changed since the job was sent
/// (or the store was altered). Logged for the operator; the owner sends the job again.
fn unopenable(kind: &str, error: &crate::secrets::SecretError) -> String {
    tracing::error!(
        token = kind,
        %error,
        "a job's token cannot be opened with this server's sealing key: was the key changed?"
    );
    "the job's tokens cannot be opened with this server's sealing key (it changed after the \
     job was sent): submit the job again"
        .to_owned()
}

/// What the job's Google token is sealed for.
fn google_purpose(taken: &Taken) -> String {
    token_purpose(&taken.job.id, &taken.job.owner, TokenKind::Google)
}

/// Rows loaded by a `sample` job.
const SAMPLE_ROWS: usize = 20;

/// How often a running job's progress is written for the add-on's progress bar.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// A load as the add-on sees it while it runs: profiles done of all, and each row's status
/// as soon as it is final, for the sheet and the counts.
#[derive(Default)]
struct Live {
    total: AtomicU64,
    done: AtomicU64,
    /// Requests the load expects, and the seconds they take at the account's announced
    /// rate (0: none announced), known before the first write.
    planned_requests: AtomicU64,
    planned_seconds: AtomicU64,
    rows: Mutex<LiveRows>,
}

/// The requests a load planned before its first write, and the seconds they take at the
/// account's announced rate (`None`: none announced).
#[derive(Debug, Clone, Copy)]
struct Plan {
    requests: u64,
    seconds: Option<u64>,
}

/// A row's status for the sheet: (sheet row, status, client id).
type Decided = (u32, String, Option<String>);

#[derive(Default)]
struct LiveRows {
    header_row: Option<u32>,
    /// Rows decided since the writer last took them.
    decided: Vec<Decided>,
    /// Each row's status name so far (by index into the checked rows; one per data row),
    /// for the counts.
    names: Vec<Option<&'static str>>,
    counts: BTreeMap<&'static str, u64>,
}

impl Live {
    fn lock(&self) -> std::sync::MutexGuard<'_, LiveRows> {
        // Plain data: still consistent after a panic elsewhere.
        self.rows.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The header's row (once known) and the rows decided since the last call.
    fn take(&self) -> (Option<u32>, Vec<Decided>) {
        let mut live = self.lock();
        (live.header_row, std::mem::take(&mut live.decided))
    }

    /// What the add-on shows while a job runs: contacts done of all, the rows' counts so
    /// far, requests spent, the rate and the time left at that rate.
    fn progress(&self, pacing: &Pacing, started: Instant) -> String {
        let (done, total) = (
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        );
        let requests = pacing.counters.requests.load(Ordering::Relaxed);
        let seconds = started.elapsed().as_secs_f64().max(0.001);
        let per_second = done as f64 / seconds;
        let eta =
            (per_second > 0.0).then(|| ((total.saturating_sub(done)) as f64 / per_second).ceil());
        let plan = self.plan();
        let live = self.lock();
        let counts: BTreeMap<&str, u64> = live
            .counts
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| (*k, *n))
            .collect();
        json!({
            "rows": live.names.len(),
            "contacts_done": done,
            "contacts_total": total,
            "requests": requests,
            "requests_per_second": (requests as f64 / seconds * 10.0).round() / 10.0,
            "eta_seconds": eta,
            "planned_requests": plan.requests,
            "planned_seconds": plan.seconds,
            "by_status": counts,
        })
        .to_string()
    }

    /// What the load planned, as the progress gives it.
    fn plan(&self) -> Plan {
        Plan {
            requests: self.planned_requests.load(Ordering::Relaxed),
            seconds: match self.planned_seconds.load(Ordering::Relaxed) {
                0 => None,
                seconds => Some(seconds),
            },
        }
    }
}

impl Progress for Live {
    fn planned(&self, requests: u64, takes: Option<Duration>) {
        self.planned_requests.store(requests, Ordering::Relaxed);
        self.planned_seconds.store(
            takes.map_or(0, |t| t.as_secs_f64().ceil() as u64),
            Ordering::Relaxed,
        );
    }

    fn start(&self, profiles: u64) {
        self.total.store(profiles, Ordering::Relaxed);
    }
    fn advance(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
    }
    fn wants_rows(&self) -> bool {
        true
    }
    fn rows(&self, checked: &Checked, rows: &[(usize, LoadedRow)]) {
        let mut live = self.lock();
        live.header_row = Some(checked.header_row);
        if live.names.len() != checked.rows.len() {
            live.names = vec![None; checked.rows.len()];
        }
        for (i, loaded) in rows {
            let name = loaded.status.name();
            if let Some(old) = live.names[*i].replace(name)
                && let Some(count) = live.counts.get_mut(old)
            {
                *count = count.saturating_sub(1);
            }
            *live.counts.entry(name).or_default() += 1;
            live.decided.push((
                checked.rows[*i].row,
                loaded_status_text(checked, *i, loaded),
                loaded.target_id.as_ref().map(|id| id.to_string()),
            ));
        }
    }
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
            Ok(Some(taken)) => {
                // Every line logged for this job names it, its account and its spreadsheet.
                let spreadsheet = taken.job.sheet.split('\n').next().unwrap_or_default();
                let span = tracing::info_span!(
                    "job",
                    job = %taken.job.id,
                    account = %taken.job.account,
                    spreadsheet = %spreadsheet,
                    worker = %worker,
                );
                run(&shared, &worker, taken, &mut stop)
                    .instrument(span)
                    .await;
            }
            Ok(None) => {
                tokio::select! {
                    _ = shared.wake.notified() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.changed() => {}
                }
            }
            Err(error) => {
                tracing::error!(%worker, %error, "cannot take a job from the store");
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
    tracing::info!("job taken");
    let pacing = Arc::new(
        Pacing::new(shared.config.rate, None, Backoff::default())
            .counting_into(shared.metrics.target.clone()),
    );
    // Renews the lease while the job runs; a lost lease (cancelled, or taken over) or a
    // stopping server stops the job's requests.
    // Set when the job is to be left for another worker; a stop for the target's reasons
    // (its quota, a bad token) ends the job with its rows pending instead.
    let left = Arc::new(AtomicBool::new(false));
    let renewal = {
        let (shared, pacing, worker, job_id, mut stop, left) = (
            shared.clone(),
            pacing.clone(),
            worker.to_owned(),
            job_id.clone(),
            stop.clone(),
            left.clone(),
        );
        let period = Duration::from_secs(shared.config.lease_seconds) / 3;
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(period) => {}
                    _ = stop.changed() => {
                        left.store(true, Ordering::SeqCst);
                        pacing.stop("the server is stopping");
                        return;
                    }
                }
                let lease = Duration::from_secs(shared.config.lease_seconds);
                if !matches!(shared.store.renew(&worker, &job_id, lease).await, Ok(true)) {
                    left.store(true, Ordering::SeqCst);
                    pacing.stop("the job was cancelled or taken over");
                    return;
                }
            }
        })
    };
    let running = Running {
        shared,
        taken: &taken,
        pacing: &pacing,
        left: &left,
    };
    let outcome = run_job(&running).await;
    renewal.abort();
    let stopping = *stop.borrow() || left.load(Ordering::SeqCst);
    let outcome = match outcome {
        Ok(_) if stopping => Outcome::Left,
        Ok(()) => Outcome::Done,
        Err(_) if stopping => Outcome::Left,
        Err(message) => Outcome::Failed(message),
    };
    let requests = pacing.counters.requests.load(Ordering::Relaxed);
    let ended = match outcome {
        Outcome::Done => {
            tracing::info!(requests, "job done");
            shared.metrics.jobs_done.fetch_add(1, Ordering::Relaxed);
            shared
                .store
                .finish(worker, &job_id, JobState::Done, None)
                .await
        }
        Outcome::Failed(message) => {
            tracing::warn!(requests, error = %message, "job failed");
            shared.metrics.jobs_failed.fetch_add(1, Ordering::Relaxed);
            shared
                .store
                .finish(worker, &job_id, JobState::Failed, Some(&message))
                .await
        }
        // Resumed by the next worker to look, where the ledger says it stopped. (If the lease
        // was taken over, there is nothing of ours to let go.)
        Outcome::Left => {
            tracing::info!(requests, "job left to be resumed");
            shared.store.release(worker, &job_id).await
        }
    };
    if let Err(error) = ended {
        tracing::error!(%error, "the job's end cannot be recorded");
    }
}

/// How a job reaches its sheet: with its user's Google token, which the add-on refreshes
/// with each poll, or as the server's service account.
enum Access {
    User {
        used: Option<String>,
    },
    Service {
        account: Arc<ServiceAccount>,
        refreshed: bool,
    },
}

impl Access {
    async fn open(
        shared: &Shared,
        taken: &Taken,
        stored: &Stored,
    ) -> Result<(Access, SecretString), String> {
        if stored.service_account {
            let account = shared.service_account.clone().ok_or(
                "the server no longer has a service account: send the job from the add-on again",
            )?;
            let token = account
                .token()
                .await
                .map_err(|e| format!("the service account cannot sign in to Google: {e}"))?;
            let access = Access::Service {
                account,
                refreshed: false,
            };
            return Ok((access, token));
        }
        let sealed = shared
            .store
            .sheets_token(&taken.job.id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or(TOKENS_GONE)?;
        let token = shared
            .sealer
            .open(&sealed, &google_purpose(taken))
            .map_err(|e| unopenable("Google", &e))?;
        Ok((Access::User { used: Some(sealed) }, token))
    }

    /// A token newer than the one Google refused: the add-on's latest, or one fresh
    /// service-account token (a second refusal is not a matter of time).
    async fn fresh(&mut self, shared: &Shared, taken: &Taken) -> Option<SecretString> {
        match self {
            Access::User { used } => {
                let (sealed, token) = google_token(shared, taken).await?;
                if used.as_ref() == Some(&sealed) {
                    return None;
                }
                *used = Some(sealed);
                Some(token)
            }
            Access::Service { account, refreshed } => {
                if *refreshed {
                    return None;
                }
                *refreshed = true;
                account.refresh().await.ok()
            }
        }
    }

    /// What the owner must do about a refusal.
    fn explain(&self, error: &SheetsError) -> Option<String> {
        match (self, error) {
            (Access::Service { account, .. }, SheetsError::Forbidden(_)) => Some(format!(
                "the sheet is not shared with the service account: share it with {} as an \
                 editor, then press Process list again",
                account.email()
            )),
            (Access::User { .. }, SheetsError::Unauthorized(_)) => Some(
                "the Google sign-in expired before the statuses could be written: open the \
                 add-on so that it signs in again, then press Process list again"
                    .to_owned(),
            ),
            _ => None,
        }
    }
}

/// One job's sheet: where it is, what it held when read, and how to write to it.
struct SheetJob<'a> {
    shared: &'a Shared,
    stored: &'a Stored,
    values: &'a [Vec<String>],
    sheets: Sheets,
}

impl SheetJob<'_> {
    /// A writer for the `Status` and `Client ID` columns of the header on `header_row`.
    fn writer(&self, header_row: u32) -> StatusWriter {
        let header = self
            .values
            .get(header_row as usize - 1)
            .cloned()
            .unwrap_or_default();
        StatusWriter::new(
            self.sheets.clone(),
            &self.stored.spreadsheet_id,
            &self.stored.sheet,
            StatusColumns::find(&header).at_row(header_row),
        )
        .with_pacer(self.shared.sheets_pacer.clone())
    }
}

/// The job's target account: its kind, its sealed credentials opened, its settings.
fn target_of(
    shared: &Shared,
    taken: &Taken,
    stored: &Stored,
) -> Result<Box<dyn Connected>, String> {
    let sealed = taken.sealed_token.as_deref().ok_or(TOKENS_GONE)?;
    let secret = shared
        .sealer
        .open(
            sealed,
            &token_purpose(&taken.job.id, &taken.job.owner, TokenKind::Target),
        )
        .map_err(|e| unopenable("target", &e))?;
    let connection = Connection {
        base_url: Some(stored.base_url.clone()),
        credentials: Credentials::from_secret(&secret),
        settings: stored.settings.clone(),
        timeout: super::REQUEST_TIMEOUT,
    };
    stored.kind.kind().connect(&connection)
}

/// One job as it runs: the server's state, the job as taken, its pacing, and whether it is
/// being left (the server stops, the lease is lost).
struct Running<'a> {
    shared: &'a Shared,
    taken: &'a Taken,
    pacing: &'a Pacing,
    left: &'a AtomicBool,
}

/// One job, from the sheet to the sheet. Errors are texts for the job's owner. When `left`
/// is set (the server stops, the lease is lost) the job ends without its final pass: the
/// sheet keeps only final statuses, and the worker that resumes it writes the rest.
async fn run_job(running: &Running<'_>) -> Result<(), String> {
    let Running { shared, taken, .. } = *running;
    let stored: Stored =
        serde_json::from_str(&taken.job.request).map_err(|e| format!("unreadable job: {e}"))?;
    let (mut access, sheets_token) = Access::open(shared, taken, &stored).await?;
    let sheets = Sheets::new(
        &shared.config.sheets_url,
        sheets_token,
        super::REQUEST_TIMEOUT,
    )
    .map_err(|e| e.to_string())?;
    let worked = on_sheet(running, &stored, &mut access, sheets.clone()).await;
    // Every Sheets request of the job, however it ended (clones share the count).
    shared
        .metrics
        .sheets_requests
        .fetch_add(sheets.requests_sent(), Ordering::Relaxed);
    worked
}

/// The job once its sheet can be reached: read it, check or load it, write it back.
async fn on_sheet(
    running: &Running<'_>,
    stored: &Stored,
    access: &mut Access,
    sheets: Sheets,
) -> Result<(), String> {
    let shared = running.shared;
    let values = read_rows(&sheets, stored).await.map_err(|e| {
        access
            .explain(&e)
            .unwrap_or_else(|| format!("the sheet cannot be read: {e}"))
    })?;
    // The header and blank rows count too: a bound, not an exact count.
    let cap = shared.config.limits.rows_per_job;
    if values.len() > cap + 1 {
        return Err(format!(
            "the sheet has {} rows and this server takes at most {cap} in one job: split the \
             list over several sheets",
            values.len() - 1
        ));
    }
    let job = SheetJob {
        shared,
        stored,
        values: &values,
        sheets,
    };
    let source = Source::from_rows(&values);
    let region = match &stored.region {
        Some(region) => region.parse().map_err(|e: String| e)?,
        None => Default::default(),
    };
    let check_options = CheckOptions {
        region,
        ..CheckOptions::default()
    };
    let (checked, loaded, plan, writer) = match stored.mode {
        Mode::Check => (
            check(source, check_options).map_err(|e| e.to_string())?,
            None,
            None,
            None,
        ),
        Mode::Load | Mode::Sample => {
            let Some(load) = load(running, stored, &job, source, check_options, access).await?
            else {
                return Ok(());
            };
            (
                load.loaded.checked,
                Some(load.loaded.rows),
                Some(load.plan),
                load.writer,
            )
        }
    };
    let writer = writer.unwrap_or_else(|| job.writer(checked.header_row));
    finish(running, access, &checked, loaded.as_deref(), plan, writer).await
}

/// A load as it ended: what it did, what it had planned, and the writer of the statuses
/// written while it ran (if any were).
struct Load {
    loaded: Loaded,
    plan: Plan,
    writer: Option<StatusWriter>,
}

/// Loads the sheet's rows into the job's target, its progress and the statuses decided so
/// far going out meanwhile. `None` when the job is `left`: the next worker ends it.
async fn load(
    running: &Running<'_>,
    stored: &Stored,
    job: &SheetJob<'_>,
    source: Source,
    check_options: CheckOptions,
    access: &mut Access,
) -> Result<Option<Load>, String> {
    let Running {
        shared,
        taken,
        pacing,
        left,
    } = *running;
    let target = target_of(shared, taken, stored)?;
    let options = LoadOptions {
        check: check_options,
        tags: stored.tags.clone(),
        sample: (stored.mode == Mode::Sample).then_some(SAMPLE_ROWS),
        rate: shared.config.rate,
        concurrency: shared.config.concurrency,
        allow_paid: stored.allow_paid,
        run: Some(taken.job.id.clone()),
        ..LoadOptions::default()
    };
    let live = Live::default();
    let started = Instant::now();
    let finished = Notify::new();
    let mut writer = None;
    let loading = async {
        let loaded = target
            .load(source, &shared.store, &options, pacing, &live)
            .await;
        finished.notify_one();
        loaded
    };
    // Meanwhile: the progress every second, and the statuses decided so far into the
    // sheet, as often as the sheet's write pace allows.
    let going = async {
        loop {
            let last = tokio::select! {
                _ = finished.notified() => true,
                _ = tokio::time::sleep(PROGRESS_EVERY) => false,
            };
            if last {
                return;
            }
            // Progress is for show: a failed write is not the job's failure.
            let progress = live.progress(pacing, started);
            let _ = shared.store.set_progress(&taken.job.id, &progress).await;
            let (Some(header_row), decided) = live.take() else {
                continue;
            };
            let writer = writer.get_or_insert_with(|| job.writer(header_row));
            for (row, status, client_id) in decided {
                writer.push(row, &status, client_id.as_deref());
            }
            // Whatever fails here stays pending for the job's final write.
            if let Err(SheetsError::Unauthorized(_)) = writer.flush_if_due().await
                && let Some(token) = access.fresh(shared, taken).await
            {
                writer.set_token(token);
            }
        }
    };
    let (loaded, ()) = tokio::join!(loading, going);
    // Requests count against the account's month whether the load ends well or not.
    let label = loaded.as_ref().ok().and_then(|l| l.account_name.clone());
    let requests = pacing.counters.requests.load(Ordering::Relaxed);
    if let Err(error) = shared
        .store
        .add_usage(&taken.job.account, label.as_deref(), requests)
        .await
    {
        tracing::error!(%error, requests, "the account's usage cannot be recorded");
    }
    if left.load(Ordering::SeqCst) {
        return Ok(None);
    }
    match loaded {
        Ok(loaded) => Ok(Some(Load {
            loaded,
            plan: live.plan(),
            writer,
        })),
        Err(error) => Err(refused(shared, taken, &error).await),
    }
}

/// The job's error for a load that failed; one refused before any write also leaves, where
/// its progress would be, what the add-on needs: the estimate it shows before it asks to
/// send the job again with `allow_paid`, or the refusal's code (the job's `error_code`).
async fn refused(shared: &Shared, taken: &Taken, error: &LoadError) -> String {
    let (progress, message) = match (consent_needed(error), error) {
        (Some((estimate, message)), _) => (
            Some(json!({ "estimate": estimate, "error_code": CONSENT_NEEDED })),
            message,
        ),
        (None, LoadError::Settings(refusal)) => (
            Some(json!({ "error_code": refusal.code })),
            error.to_string(),
        ),
        (None, LoadError::Target { code, .. }) => {
            (Some(json!({ "error_code": code })), error.to_string())
        }
        (None, _) => (None, error.to_string()),
    };
    if let Some(progress) = progress {
        let _ = shared
            .store
            .set_progress(&taken.job.id, &progress.to_string())
            .await;
    }
    message
}

/// The job's end: every row's status into the sheet (those not written yet), the report,
/// the counts, and the final progress.
async fn finish(
    running: &Running<'_>,
    access: &mut Access,
    checked: &Checked,
    load_rows: Option<&[LoadedRow]>,
    plan: Option<Plan>,
    mut writer: StatusWriter,
) -> Result<(), String> {
    let Running {
        shared,
        taken,
        pacing,
        ..
    } = *running;
    let mut report = csv::Writer::from_writer(Vec::new());
    let _ = report.write_record(["row", "status", "reason", "client_id"]);
    let mut counts = BTreeMap::<&str, u64>::new();
    for (i, result) in checked.rows.iter().enumerate() {
        let status = status_text(checked, load_rows, i);
        // The same status name and reason as `--report` gives.
        let line = ReportLine::new(checked, result, load_rows.and_then(|l| l.get(i)));
        let client_id = line.load.and_then(|l| l.target_id).map(|id| id.to_string());
        *counts.entry(line.status).or_default() += 1;
        // Rows already written as the job ran with this status cost nothing here.
        writer.push(result.row, &status, client_id.as_deref());
        // The reason and the id may be a target's text: safe to open as a spreadsheet.
        let _ = report.write_record([
            result.row.to_string(),
            line.status.to_owned(),
            neutralised(&line.reason.unwrap_or_default()).into_owned(),
            neutralised(&client_id.unwrap_or_default()).into_owned(),
        ]);
    }
    let written = write_statuses(running, &mut writer, access).await;
    written.map_err(|e| {
        access
            .explain(&e)
            .unwrap_or_else(|| format!("the statuses cannot be written to the sheet: {e}"))
    })?;
    for (status, count) in &counts {
        shared.metrics.add_rows(status, *count);
    }
    let report = String::from_utf8(report.into_inner().unwrap_or_default()).unwrap_or_default();
    let contacts = checked.profiles.len();
    let mut progress = json!({
        "rows": checked.rows.len(),
        "contacts_done": contacts,
        "contacts_total": contacts,
        "by_status": counts,
        "requests": pacing.counters.requests.load(Ordering::Relaxed),
        // Why rows were left pending (the account's quota, a request cap), if they were.
        "stopped": pacing.stop_reason(),
    });
    // What the load planned stays: the add-on shows it beside what it spent.
    if let Some(plan) = plan {
        progress["planned_requests"] = json!(plan.requests);
        progress["planned_seconds"] = json!(plan.seconds);
    }
    let progress = progress.to_string();
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

/// The code of a job refused for want of consent to paid (or uncounted) requests.
const CONSENT_NEEDED: &str = "consent_needed";

/// For a load refused before any write for want of consent: the estimate the add-on shows,
/// and the job's error. An unknown allowance has no free, paid or cost figures.
fn consent_needed(error: &LoadError) -> Option<(serde_json::Value, String)> {
    match *error {
        LoadError::WouldBePaid {
            needed,
            left,
            paid,
            cost,
            price,
            ..
        } => Some((
            json!({
                "requests": needed, "free_left": left, "paid": paid,
                "cost_rub": (cost * 100.0).round() / 100.0,
            }),
            format!(
                "this load needs about {needed} requests and {left} free ones are left this \
                 month: {paid} would be paid (about {cost:.2} {}). Nothing was loaded; confirm \
                 the paid requests to go ahead",
                price.currency
            ),
        )),
        LoadError::AllowanceUnknown { needed, .. } => Some((
            json!({"requests": needed, "free_left": null, "paid": null, "cost_rub": null}),
            format!(
                "this load needs about {needed} requests, and the account does not say how many \
                 of this month's are free. Nothing was loaded; confirm to go ahead"
            ),
        )),
        _ => None,
    }
}

/// The sheet's rows. The read changes nothing, so a rate limit or a lost answer is waited
/// out and the read repeated, a few times, with Google's exponential backoff.
async fn read_rows(sheets: &Sheets, stored: &Stored) -> Result<Vec<Vec<String>>, SheetsError> {
    let mut delay = Duration::from_secs(1);
    let mut attempts = 1;
    loop {
        match sheets
            .read_sheet(&stored.spreadsheet_id, &stored.sheet)
            .await
        {
            Err(error) if error.is_transient() && attempts < READ_ATTEMPTS => {
                let retry_after = error.retry_after().unwrap_or_default();
                tokio::time::sleep(delay.max(retry_after)).await;
                delay *= 2;
                attempts += 1;
            }
            other => return other,
        }
    }
}

/// Tries at reading a sheet: 1 + 2 + 4 + 8 s of waiting at most.
const READ_ATTEMPTS: u32 = 5;

/// The job's current Google token: sealed as stored, and opened.
async fn google_token(shared: &Shared, taken: &Taken) -> Option<(String, SecretString)> {
    let sealed = shared.store.sheets_token(&taken.job.id).await.ok()??;
    let token = shared.sealer.open(&sealed, &google_purpose(taken)).ok()?;
    Some((sealed, token))
}

/// How long a job's statuses wait for a fresh Google token once the one it has expired.
///
/// Only the add-on's polls bring one: the sidebar's while it is open, and with it closed the
/// add-on's hourly trigger (apps-script/src/Background.js). Apps Script runs an add-on's
/// time-driven trigger at most once an hour, at a slightly randomised moment (its
/// schedules drift by up to ±15 min: `nearMinute`), and the token a run hands over may be
/// one issued earlier, so it can expire soon after it came. The longest wait is therefore
/// from just after one run to the next: an hour and the jitter. 90 minutes covers that with
/// a quarter-hour to spare for a late run; longer would only hold the job for a user who
/// has gone (no trigger, no panel), whose rows then end pending for the next run.
const TOKEN_WAIT: Duration = Duration::from_secs(90 * 60);

/// Writes the statuses; when Google says the user's token expired, keeps them and waits
/// for the add-on to send a fresh one with its next poll — unless the job is `left` (the
/// server stops, the lease is lost): then the next worker writes them.
async fn write_statuses(
    running: &Running<'_>,
    writer: &mut StatusWriter,
    access: &mut Access,
) -> Result<(), SheetsError> {
    let Running {
        shared,
        taken,
        left,
        ..
    } = *running;
    loop {
        match writer.flush().await {
            Err(SheetsError::Unauthorized(message)) => {
                let waited = Instant::now();
                loop {
                    if let Some(token) = access.fresh(shared, taken).await {
                        writer.set_token(token);
                        break;
                    }
                    if matches!(access, Access::Service { .. })
                        || waited.elapsed() > TOKEN_WAIT
                        || left.load(Ordering::SeqCst)
                    {
                        return Err(SheetsError::Unauthorized(message));
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
            other => return other,
        }
    }
}
