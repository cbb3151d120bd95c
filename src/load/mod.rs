//! `load`: check a list, then bring its profiles into a target exactly once, within the
//! account's limits, and give every row a final status. Generic over [`Target`]: nothing
//! here names one.
//!
//! The order: read the catalog → resolve the run's settings against it → check the rows,
//! refusing those that name what the account lacks → compare every piece of work with the
//! ledger → estimate, and refuse a run that would be paid unless allowed (`consent`) → sync
//! the work with a few workers through one `Pacing` → derive each row's status from its
//! profiles (`rows`).

mod consent;
mod rows;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use thiserror::Error;

use crate::check::{CheckOptions, Checked, check_with};
use crate::input::{ReadError, Source};
use crate::messages;
use crate::pacing::{Backoff, Halt, Pacing, Ticket};
use crate::store::{Store, StoreError};
use crate::targets::{AccountLedger, Allowance, Entries, SyncError, Target, Work};

pub use consent::UNKNOWN_ALLOWANCE_CONSENT;
use rows::{Board, ProfileState};
pub use rows::{LoadedRow, RowStatus};

#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub check: CheckOptions,
    /// Tags for every row, on top of the row's own.
    pub tags: Vec<String>,
    /// A hard cap on requests in this run.
    pub max_requests: Option<u64>,
    /// Go past the free requests (each further one is paid).
    pub allow_paid: bool,
    /// Load only this many randomly chosen rows (a rehearsal in the real account).
    pub sample: Option<usize>,
    /// Requests per second at most.
    pub rate: f64,
    /// Pieces of work in flight at once, so that latency does not idle the rate.
    pub concurrency: usize,
    pub backoff: Backoff,
    /// This run's name, when it may be resumed under the same one (a server's job id): a
    /// contact it created before a crash is still reported created after the resume.
    pub run: Option<String>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            check: CheckOptions::default(),
            tags: Vec::new(),
            max_requests: None,
            allow_paid: false,
            sample: None,
            // **Assumed**: Chat2Desk does not publish a per-second limit; 10/s is polite.
            rate: 10.0,
            concurrency: 4,
            backoff: Backoff::default(),
            run: None,
        }
    }
}

#[derive(Debug, Error)]
pub enum LoadError {
    #[error("{0}")]
    Read(#[from] ReadError),
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The account could not be read; `code` says why for programs (`CREDENTIALS_REFUSED`,
    /// `TARGET_FAILED`: the add-on's words, `apps-script/CONTRACT.md`).
    #[error("{target}: {message}")]
    Target {
        target: &'static str,
        message: String,
        code: &'static str,
    },
    #[error("the check of the list stopped: {0}")]
    Interrupted(String),
    /// The run's settings do not fit the account (a channel it lacks, …).
    #[error("{0}")]
    Settings(crate::targets::refusal::Refusal),
    #[error(
        "this load needs about {needed} requests and {left} free ones are left: \
         {paid} would be paid ({cost:.2} {currency} at {each} each). \
         Run again with --allow-paid to go ahead, or --max-requests {stop_at_free} to stop at the free ones",
        currency = price.currency, each = price.each
    )]
    WouldBePaid {
        needed: u64,
        left: u64,
        paid: u64,
        cost: f64,
        price: crate::targets::Price,
        /// A `--max-requests` that spends only free requests (the catalog's included).
        stop_at_free: u64,
    },
    #[error(
        "this load needs about {needed} requests, and the account does not say how many are \
         free: some may be paid ({each} {currency} each past the free ones). Run again with \
         --allow-paid to go ahead, or --max-requests {UNKNOWN_ALLOWANCE_CONSENT} to load a part",
        currency = price.currency, each = price.each
    )]
    AllowanceUnknown {
        needed: u64,
        price: crate::targets::Price,
    },
}

/// A finished load.
#[derive(Debug)]
pub struct Loaded {
    pub checked: Checked,
    /// One per row of `checked.rows`, in the same order.
    pub rows: Vec<LoadedRow>,
    pub api_requests: u64,
    /// Of `api_requests`, those that read the account's catalog.
    pub catalog_requests: u64,
    pub retries: u64,
    pub rate_limited: u64,
    /// Free requests left at the end, when the account says.
    pub quota_left: Option<u64>,
    /// Requests of this run beyond the free allowance.
    pub paid_requests: u64,
    /// Whether the account counts requests against an allowance at all (Omnidesk and
    /// Intercom only pace them).
    pub metered: bool,
    /// Why the run stopped early, if it did.
    pub stopped: Option<String>,
    pub account_name: Option<String>,
}

/// Observes progress (a progress bar in the terminal; the server's live statuses).
pub trait Progress: Send + std::marker::Sync {
    /// Before the first write: the requests the run expects, and how long they take at the
    /// account's announced rate, when it announces one.
    fn planned(&self, _requests: u64, _takes: Option<std::time::Duration>) {}
    fn start(&self, _pieces: u64) {}
    fn advance(&self) {}
    fn finish(&self) {}
    /// Whether `rows` should be called: it costs an index of rows by profile.
    fn wants_rows(&self) -> bool {
        false
    }
    /// Rows (by index into `checked.rows`) whose status became final: once for the rows
    /// that need no request (invalid, skipped, done and unchanged), then for the rows of
    /// each piece of work as it finishes. The server writes them into the sheet as the job
    /// runs.
    fn rows(&self, _checked: &Checked, _rows: &[(usize, LoadedRow)]) {}
}

/// No progress shown.
pub struct Quiet;
impl Progress for Quiet {}

/// Loads `source` into `target`'s account.
pub async fn load<T: Target>(
    source: Source,
    target: &T,
    ledger: &Store,
    options: &LoadOptions,
    pacing: &Pacing,
    progress: &dyn Progress,
) -> Result<Loaded, LoadError> {
    let title = target.kind().title();
    let (_, header) = crate::check::find_header(&source)?;
    let catalog = target
        .read_catalog(pacing)
        .await
        .map_err(|halt| LoadError::Target {
            target: title,
            message: halt.to_string(),
            code: catalog_failure(pacing),
        })?;
    let account_name = T::account_name(&catalog);
    let rules = Arc::new(
        target
            .rules(catalog, &options.tags, &header)
            .map_err(LoadError::Settings)?,
    );
    let check = CheckOptions {
        spellings: T::spellings(&rules),
        ..options.check
    };
    let checked = check_rows::<T>(source, check, &rules).await?;
    T::ready(&rules, &checked.profiles).map_err(LoadError::Settings)?;
    let account = target.account();
    let entries = ledger.entries(&account).await?;
    let ledger = AccountLedger {
        store: ledger,
        account: &account,
        run: options.run.as_deref(),
    };
    let work = T::work(&rules, &checked.profiles);
    let expected: Vec<u64> = work
        .iter()
        .map(|w| T::expected(&rules, &w.wanted, &entries))
        .collect();
    let mut plan = consent::Plan::new(&checked, &work, &expected, options.sample);
    plan.estimate += T::batch_expected(
        &rules,
        plan.to_sync.iter().map(|&w| &work[w].wanted),
        &entries,
    );
    let spent_on_catalog = pacing.counters.requests.load(Ordering::Relaxed);
    let allowance = T::allowance(&rules, spent_on_catalog);
    consent::check(allowance, plan.estimate, spent_on_catalog, options)?;
    // At the account's own pace, before the first write: a long load says so.
    let per_minute = T::rate_per_minute(&rules);
    progress.planned(
        plan.estimate,
        per_minute
            .map(|n| std::time::Duration::from_secs_f64(plan.estimate as f64 * 60.0 / n as f64)),
    );

    let board = Board::new(
        &checked,
        first_states::<T>(&checked, &rules, &work, &plan, &entries, &ledger),
        progress,
    );
    tracing::info!(
        target = title,
        rows = checked.rows.len(),
        profiles = checked.profiles.len(),
        to_sync = plan.to_sync.len(),
        estimated_requests = plan.estimate,
        allowance = ?allowance,
        "loading"
    );
    let run = Run {
        target,
        rules: &rules,
        entries: &entries,
        ledger: &ledger,
        pacing,
    };
    let queue = Mutex::new(plan.to_sync.iter().copied());
    // Pieces synced whose batched writes are still to send: their rows wait for them.
    let deferred = Mutex::new(Vec::new());
    progress.start(plan.to_sync.len() as u64);
    let worker = || async {
        while !pacing.is_stopping() {
            let Some(w) = queue.lock().expect("queue lock").next() else {
                return;
            };
            let results = run.piece(&work[w], expected[w]).await;
            match synced(&results) {
                Some(done) if target.defers(&rules, &work[w].wanted) => {
                    deferred
                        .lock()
                        .expect("deferred lock")
                        .push((w, done, results));
                }
                _ => board.settle(&work[w].profiles, results),
            }
        }
    };
    let workers: Vec<_> = (0..options.concurrency.max(1)).map(|_| worker()).collect();
    futures_util::future::join_all(workers).await;
    run.batched(&work, deferred.into_inner().expect("deferred lock"), &board)
        .await;
    progress.finish();

    let stopped = pacing.stop_reason();
    let rows = board.finish(stopped.as_deref());
    let api_requests = pacing.counters.requests.load(Ordering::Relaxed);
    let retries = pacing.counters.retries.load(Ordering::Relaxed);
    tracing::info!(
        requests = api_requests,
        retries,
        stopped = stopped.as_deref(),
        "loaded"
    );
    let after_catalog = api_requests - spent_on_catalog;
    let (quota_left, paid_requests) = match allowance {
        Allowance::Free { left, .. } => (
            Some(left.saturating_sub(after_catalog)),
            after_catalog.saturating_sub(left),
        ),
        Allowance::Unknown { .. } | Allowance::Unmetered => (None, 0),
    };
    Ok(Loaded {
        rows,
        api_requests,
        catalog_requests: spent_on_catalog,
        retries,
        rate_limited: pacing.counters.rate_limited.load(Ordering::Relaxed),
        quota_left,
        paid_requests,
        metered: !matches!(allowance, Allowance::Unmetered),
        stopped,
        account_name,
        checked,
    })
}

/// The code of a catalog that could not be read: the credentials refused, or anything else.
pub const CREDENTIALS_REFUSED: &str = "credentials_refused";
pub const TARGET_FAILED: &str = "target_failed";

/// Why the catalog could not be read, as a code.
pub fn catalog_failure(pacing: &Pacing) -> &'static str {
    if pacing.credentials_refused() {
        CREDENTIALS_REFUSED
    } else {
        TARGET_FAILED
    }
}

/// Checks the rows with the target's own rule. Parsing a big list keeps both cores busy
/// for seconds: off the async runtime, so that a server's other jobs and requests go on
/// meanwhile.
async fn check_rows<T: Target>(
    source: Source,
    options: CheckOptions,
    rules: &Arc<T::Rules>,
) -> Result<Checked, LoadError> {
    let rules = rules.clone();
    tokio::task::spawn_blocking(move || {
        check_with(source, options, &|row| T::check_row(&rules, row))
    })
    .await
    .map_err(|e| LoadError::Interrupted(e.to_string()))?
    .map_err(LoadError::from)
}

/// Every profile's state before any request: not loadable, done and unchanged (from the
/// ledger), not in the sample, or waiting for its turn.
fn first_states<T: Target>(
    checked: &Checked,
    rules: &T::Rules,
    work: &[Work<T::Wanted>],
    plan: &consent::Plan,
    entries: &Entries,
    ledger: &AccountLedger<'_>,
) -> Vec<ProfileState> {
    let mut states = vec![ProfileState::NotLoadable; checked.profiles.len()];
    let not_in_sample = messages::not_in_sample(checked.lang());
    for (w, piece) in work.iter().enumerate() {
        let state = match plan.part(w) {
            consent::Part::ToSync => ProfileState::Pending(None),
            consent::Part::NotSampled => ProfileState::Pending(Some(not_in_sample.clone())),
            consent::Part::Done => {
                let settled = T::settled(rules, &piece.wanted, entries, ledger);
                for (&p, done) in piece.profiles.iter().zip(settled) {
                    states[p as usize] = ProfileState::Done { done, requests: 0 };
                }
                continue;
            }
        };
        for &p in &piece.profiles {
            states[p as usize] = state.clone();
        }
    }
    states
}

/// The results of a piece that `sync` brought in whole, or nothing.
fn synced(states: &[ProfileState]) -> Option<Vec<crate::targets::Done>> {
    states
        .iter()
        .map(|state| match state {
            ProfileState::Done { done, .. } => Some(done.clone()),
            _ => None,
        })
        .collect()
}

/// What every piece of work of one run shares.
struct Run<'a, T: Target> {
    target: &'a T,
    rules: &'a T::Rules,
    entries: &'a Entries,
    ledger: &'a AccountLedger<'a>,
    pacing: &'a Pacing,
}

impl<T: Target> Run<'_, T> {
    /// Sends the writes the deferred pieces share, and settles their rows.
    async fn batched(
        &self,
        work: &[Work<T::Wanted>],
        deferred: Vec<(usize, Vec<crate::targets::Done>, Vec<ProfileState>)>,
        board: &Board<'_>,
    ) {
        if deferred.is_empty() {
            return;
        }
        let pieces = deferred
            .iter()
            .map(|(w, done, _)| (&work[*w].wanted, done.clone()))
            .collect();
        let results = self
            .target
            .batched(self.rules, pieces, self.ledger, self.pacing)
            .await;
        for ((w, _, states), result) in deferred.into_iter().zip(results) {
            let settled = match result {
                Ok(done) => states
                    .into_iter()
                    .zip(done)
                    .map(|(state, done)| match state {
                        ProfileState::Done { requests, .. } => {
                            ProfileState::Done { done, requests }
                        }
                        other => other,
                    })
                    .collect(),
                Err(error) => self.failed(error, work[w].profiles.len()),
            };
            board.settle(&work[w].profiles, settled);
        }
    }

    /// What a piece's profiles become when its sync ended with `error`.
    fn failed(&self, error: SyncError, profiles: usize) -> Vec<ProfileState> {
        let state = match error {
            SyncError::Halt(Halt::Failed(error)) => {
                tracing::warn!(%error, "a contact was not loaded");
                ProfileState::Failed(error.to_string())
            }
            SyncError::Halt(Halt::Stopped(reason)) => ProfileState::Pending(Some(reason)),
            SyncError::Store(error) => {
                self.pacing.stop(format!("the state file failed: {error}"));
                ProfileState::Pending(Some(error.to_string()))
            }
        };
        vec![state; profiles]
    }

    /// Syncs one piece of work within the budget: one state per profile of it.
    async fn piece(&self, piece: &Work<T::Wanted>, expected: u64) -> Vec<ProfileState> {
        let pacing = self.pacing;
        let every = |state: ProfileState| vec![state; piece.profiles.len()];
        if !pacing.budget.reserve(expected) {
            pacing.stop("the request cap (--max-requests) is reached");
            return every(ProfileState::Pending(None));
        }
        let mut ticket = Ticket {
            reserved: expected,
            ..Ticket::default()
        };
        let synced = self
            .target
            .sync(
                self.rules,
                &piece.wanted,
                self.entries,
                self.ledger,
                pacing,
                &mut ticket,
            )
            .await;
        pacing.budget.release(ticket.reserved);
        match synced {
            Ok(done) => done
                .into_iter()
                .enumerate()
                .map(|(i, done)| ProfileState::Done {
                    done,
                    // Counted on the first profile, so that the rows add up to the total.
                    requests: if i == 0 { ticket.spent } else { 0 },
                })
                .collect(),
            Err(error) => self.failed(error, piece.profiles.len()),
        }
    }
}
