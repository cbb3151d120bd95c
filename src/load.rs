//! `load`: check a list, then bring its profiles into Chat2Desk exactly once, within the
//! account's limits, and give every row a final status.
//!
//! The order: read the catalog (channels, transports, tags, allowance) → check the rows,
//! refusing those that name what the account lacks → compare every profile with the ledger
//! → estimate, and refuse a run that would be paid unless allowed → sync the profiles with
//! a few workers through one `Pacing` → derive each row's status from its profiles.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::sync::atomic::Ordering;

use rand::seq::SliceRandom;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::check::{CheckOptions, Checked, Outcome, check_with};
use crate::domain::{ContactKey, Problem, Warning};
use crate::identity::{Profile, Profiles};
use crate::input::{ReadError, Source};
use crate::messages::{self, Lang};
use crate::pacing::{Backoff, Halt, Pacing, Ticket};
use crate::store::{Store, StoreError};
use crate::targets::chat2desk::api::RUB_PER_PAID_REQUEST;
use crate::targets::chat2desk::catalog::Catalog;
use crate::targets::chat2desk::client::Chat2Desk;
use crate::targets::chat2desk::rules::{Defaults, Given, GivenError};
use crate::targets::chat2desk::sync::{
    Sync, SyncError, Synced, Wanted, expected_calls, reachable_only,
};

#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub check: CheckOptions,
    /// The channel for rows that name none (an id or a name).
    pub channel: Option<String>,
    /// The messenger (transport) for rows that name none, by family: "whatsapp" finds a
    /// channel's `wa_dialog`.
    pub transport: Option<String>,
    /// The channel e-mail contacts go to when theirs takes no e-mail and several do.
    pub email_channel: Option<String>,
    /// Tags for every row, on top of the row's own.
    pub tags: Vec<String>,
    /// A hard cap on requests in this run.
    pub max_requests: Option<u64>,
    /// Go past the month's free requests (each further one is paid).
    pub allow_paid: bool,
    /// Load only this many randomly chosen rows (a rehearsal in the real account).
    pub sample: Option<usize>,
    /// Requests per second at most.
    pub rate: f64,
    /// Profiles in flight at once, so that latency does not idle the rate.
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
            channel: None,
            transport: None,
            email_channel: None,
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
    #[error("Chat2Desk: {0}")]
    Target(String),
    #[error("the check of the list stopped: {0}")]
    Interrupted(String),
    #[error(transparent)]
    Given(#[from] GivenError),
    #[error(
        "this load needs about {needed} requests and {left} free ones are left this month: \
         {paid} would be paid ({cost:.2} RUB at {RUB_PER_PAID_REQUEST} each). \
         Run again with --allow-paid to go ahead, or --max-requests {stop_at_free} to stop at the free ones"
    )]
    WouldBePaid {
        needed: u64,
        left: u64,
        paid: u64,
        cost: f64,
        /// A `--max-requests` that spends only free requests (the catalog's included).
        stop_at_free: u64,
    },
    #[error(
        "this load needs about {needed} requests, and the account does not say how many of \
         this month's are free: some may be paid ({RUB_PER_PAID_REQUEST} RUB each past the free \
         ones). Run again with --allow-paid to go ahead, or --max-requests {UNKNOWN_ALLOWANCE_CONSENT} \
         to load a part"
    )]
    AllowanceUnknown { needed: u64 },
}

/// Requests a load may spend without consent when the account's allowance is unknown.
pub const UNKNOWN_ALLOWANCE_CONSENT: u64 = 1000;

/// A row's final status after a load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowStatus {
    Created,
    Updated,
    Unchanged,
    Merged {
        into_row: u32,
    },
    Invalid(Box<Problem>),
    Skipped,
    /// The target's own message, after retries.
    Failed(String),
    /// Not reached in this run (the cap, the quota, a stop, or not in the sample).
    Pending(Option<String>),
}

impl RowStatus {
    pub fn name(&self) -> &'static str {
        match self {
            RowStatus::Created => "created",
            RowStatus::Updated => "updated",
            RowStatus::Unchanged => "unchanged",
            RowStatus::Merged { .. } => "merged",
            RowStatus::Invalid(_) => "invalid",
            RowStatus::Skipped => "skipped",
            RowStatus::Failed(_) => "failed",
            RowStatus::Pending(_) => "pending",
        }
    }

    pub fn text(&self, lang: Lang) -> String {
        match self {
            RowStatus::Created => messages::created(lang),
            RowStatus::Updated => messages::updated(lang),
            RowStatus::Unchanged => messages::unchanged(lang),
            RowStatus::Merged { into_row } => messages::merged(lang, *into_row),
            RowStatus::Invalid(problem) => messages::invalid(lang, problem),
            RowStatus::Skipped => messages::skipped(lang),
            RowStatus::Failed(message) => messages::failed(lang, message),
            RowStatus::Pending(reason) => messages::pending(lang, reason.as_deref()),
        }
    }

    /// The reason for the report: the problem, the target's message, why it waits.
    pub fn reason(&self, lang: Lang) -> Option<String> {
        match self {
            RowStatus::Invalid(problem) => Some(messages::problem_text(lang, problem)),
            RowStatus::Failed(message) => Some(message.clone()),
            RowStatus::Pending(reason) => reason.clone(),
            _ => None,
        }
    }
}

/// One row after a load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedRow {
    pub status: RowStatus,
    /// The client id of the row's first contact.
    pub target_id: Option<u64>,
    /// Requests spent on the profiles this row created (a merged row's go to the row it
    /// was merged into), so the rows add up to the run's total less the catalog.
    pub requests: u64,
    /// What the load learnt that the row should say, beyond what the check said.
    pub warnings: Vec<Warning>,
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
    /// Free requests left this month at the end (from `api_info` at the start, less ours).
    pub quota_left: Option<u64>,
    /// Requests of this run beyond the free allowance.
    pub paid_requests: u64,
    /// Why the run stopped early, if it did.
    pub stopped: Option<String>,
    pub account_name: Option<String>,
}

/// The ledger's name for an account: a digest of the base URL and the token, so the token
/// itself is never stored.
pub fn account_id(client: &Chat2Desk) -> String {
    use secrecy::ExposeSecret;
    let mut hasher = Sha256::new();
    hasher.update(client.base_url().as_str().as_bytes());
    hasher.update(b"\n");
    hasher.update(client.token().expose_secret().as_bytes());
    let digest = hasher.finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("chat2desk:{hex}")
}

/// A profile's result.
#[derive(Debug, Clone)]
enum ProfileState {
    /// Not loadable into this target (a messenger id in Chat2Desk).
    NotLoadable,
    Done {
        synced: Synced,
        id: u64,
        requests: u64,
        /// What the row should also say (the client cannot be reached where asked).
        notes: Vec<Warning>,
    },
    Failed(String),
    Pending(Option<String>),
}

/// Observes progress (a progress bar in the terminal; the server's live statuses).
pub trait Progress: Send + std::marker::Sync {
    fn start(&self, _profiles: u64) {}
    fn advance(&self) {}
    fn finish(&self) {}
    /// Whether `rows` should be called: it costs an index of rows by profile.
    fn wants_rows(&self) -> bool {
        false
    }
    /// Rows (by index into `checked.rows`) whose status became final: once for the rows
    /// that need no request (invalid, skipped, done and unchanged), then for the rows of
    /// each profile as it finishes. The server writes them into the sheet as the job runs.
    fn rows(&self, _checked: &Checked, _rows: &[(usize, LoadedRow)]) {}
}

/// No progress shown.
pub struct Quiet;
impl Progress for Quiet {}

/// Loads `source` into the account behind `client`.
pub async fn load(
    source: Source,
    client: &Chat2Desk,
    ledger: &Store,
    options: &LoadOptions,
    pacing: &Pacing,
    progress: &dyn Progress,
) -> Result<Loaded, LoadError> {
    let catalog = Catalog::read(client, pacing)
        .await
        .map_err(|halt| LoadError::Target(halt.to_string()))?;
    let defaults = Defaults::resolve(
        &catalog,
        &Given {
            channel: options.channel.as_deref(),
            messenger: options.transport.as_deref(),
            email_channel: options.email_channel.as_deref(),
            tags: &options.tags,
        },
    )?;
    // Parsing a big list keeps both cores busy for seconds: off the async runtime, so that a
    // server's other jobs and requests go on meanwhile.
    let checked = {
        let (catalog, defaults, check) = (catalog.clone(), defaults.clone(), options.check);
        tokio::task::spawn_blocking(move || {
            check_with(source, check, &|row| defaults.rule(&catalog, row))
        })
        .await
        .map_err(|e| LoadError::Interrupted(e.to_string()))??
    };

    let account = account_id(client);
    let entries = ledger.entries(&account).await?;
    let wanted: Vec<Option<Wanted>> = checked
        .profiles
        .iter()
        .map(|(_, profile)| wanted(&defaults, &catalog, &checked.profiles, profile))
        .collect();

    // What each profile is expected to cost, from the ledger: 0 for one done and unchanged.
    let expected: Vec<u64> = wanted
        .iter()
        .map(|w| {
            w.as_ref()
                .map_or(0, |w| expected_calls(w, entries.get(&w.contact)).requests())
        })
        .collect();
    // The profiles to work on: not done-and-unchanged, and in the sample if there is one.
    let mut work: Vec<u32> = (0..wanted.len() as u32)
        .filter(|&p| wanted[p as usize].is_some() && expected[p as usize] > 0)
        .collect();
    let mut not_sampled = BTreeSet::new();
    if let Some(sample) = options.sample {
        let chosen = sample_profiles(&checked, &work, sample);
        not_sampled = work
            .iter()
            .copied()
            .filter(|p| !chosen.contains(p))
            .collect();
        work.retain(|p| chosen.contains(p));
    }
    let estimate: u64 = work.iter().map(|&p| expected[p as usize]).sum();
    // `api_info` is the run's first request and its answer counts it: every request after
    // it comes out of what it reported.
    let free_left = catalog.info.requests_left();
    let spent_on_catalog = pacing.counters.requests.load(Ordering::Relaxed);
    let left_now = free_left.map(|l| l.saturating_sub(spent_on_catalog - 1));
    // "When no allowance can be read, the loader does not know what is free: it says so,
    // and a load bigger than a small threshold needs the user's explicit consent."
    if left_now.is_none() && estimate > UNKNOWN_ALLOWANCE_CONSENT && !options.allow_paid {
        return Err(LoadError::AllowanceUnknown { needed: estimate });
    }
    if let Some(left) = left_now
        && estimate > left
        && !options.allow_paid
    {
        let stop_at_free = left + spent_on_catalog;
        if options.max_requests.is_none_or(|cap| cap > stop_at_free) {
            let paid = estimate - left;
            return Err(LoadError::WouldBePaid {
                needed: estimate,
                left,
                paid,
                cost: paid as f64 * RUB_PER_PAID_REQUEST,
                stop_at_free,
            });
        }
    }

    let states: Mutex<Vec<ProfileState>> = Mutex::new(
        wanted
            .iter()
            .map(|w| match w {
                None => ProfileState::NotLoadable,
                Some(_) => ProfileState::Pending(None),
            })
            .collect(),
    );
    {
        let mut states = states.lock().expect("states lock");
        for (p, w) in wanted.iter().enumerate() {
            if let Some(w) = w
                && let Some(entry) = entries.get(&w.contact)
                && expected[p] == 0
            {
                let ours = options.run.is_some() && entry.created_by == options.run;
                states[p] = ProfileState::Done {
                    synced: if ours {
                        Synced::Created
                    } else {
                        Synced::Unchanged
                    },
                    notes: unreachable_note(&catalog, w, reachable_only(w, Some(entry))),
                    id: entry.target_id.unwrap_or_default(),
                    requests: 0,
                };
            }
        }
        for &p in &not_sampled {
            states[p as usize] =
                ProfileState::Pending(Some(messages::not_in_sample(checked.lang())));
        }
    }
    let row_map = RowMap::new(&checked);
    let shown_in = progress.wants_rows().then(|| row_map.shown_in());
    if shown_in.is_some() {
        let decided: Vec<(usize, LoadedRow)> = row_map
            .all(&states.lock().expect("states lock"))
            .into_iter()
            .enumerate()
            .filter(|(_, row)| !undecided(row))
            .collect();
        progress.rows(&checked, &decided);
    }

    tracing::info!(
        rows = checked.rows.len(),
        profiles = checked.profiles.len(),
        to_sync = work.len(),
        estimated_requests = estimate,
        free_left = ?left_now,
        "loading"
    );
    let sync = Sync {
        client,
        pacing,
        ledger,
        account: &account,
        run: options.run.as_deref(),
    };
    let queue = Mutex::new(work.into_iter());
    progress.start(queue.lock().expect("queue lock").len() as u64);
    let worker = || async {
        loop {
            if pacing.is_stopping() {
                return;
            }
            let Some(p) = queue.lock().expect("queue lock").next() else {
                return;
            };
            let wanted = wanted[p as usize].as_ref().expect("work is loadable");
            let entry = entries.get(&wanted.contact);
            let expected = expected[p as usize];
            if !pacing.budget.reserve(expected) {
                pacing.stop("the request cap (--max-requests) is reached");
                return;
            }
            let mut ticket = Ticket {
                reserved: expected,
                ..Ticket::default()
            };
            let state = match sync.profile(wanted, entry, &mut ticket).await {
                Ok(synced) => ProfileState::Done {
                    notes: unreachable_note(&catalog, wanted, synced.reachable_only),
                    synced: synced.synced,
                    id: synced.id,
                    requests: ticket.spent,
                },
                Err(SyncError::Halt(Halt::Failed(error))) => {
                    tracing::warn!(%error, "a contact was not loaded");
                    ProfileState::Failed(error.to_string())
                }
                Err(SyncError::Halt(Halt::Stopped(reason))) => ProfileState::Pending(Some(reason)),
                Err(SyncError::Store(error)) => {
                    pacing.stop(format!("the state file failed: {error}"));
                    ProfileState::Pending(Some(error.to_string()))
                }
            };
            pacing.budget.release(ticket.reserved);
            let decided: Vec<(usize, LoadedRow)> = {
                let mut states = states.lock().expect("states lock");
                states[p as usize] = state;
                shown_in
                    .as_ref()
                    .and_then(|shown_in| shown_in.get(&p))
                    .into_iter()
                    .flatten()
                    .map(|&i| (i as usize, row_map.status(&states, i as usize)))
                    .filter(|(_, row)| !undecided(row))
                    .collect()
            };
            if !decided.is_empty() {
                progress.rows(&checked, &decided);
            }
            progress.advance();
        }
    };
    let workers: Vec<_> = (0..options.concurrency.max(1)).map(|_| worker()).collect();
    futures_util::future::join_all(workers).await;
    progress.finish();

    let stopped = pacing.stop_reason();
    let mut states = states.into_inner().expect("states lock");
    if let Some(reason) = &stopped {
        for state in &mut states {
            if let ProfileState::Pending(why @ None) = state {
                *why = Some(reason.clone());
            }
        }
    }
    let rows = row_map.all(&states);
    let api_requests = pacing.counters.requests.load(Ordering::Relaxed);
    tracing::info!(
        requests = api_requests,
        retries = pacing.counters.retries.load(Ordering::Relaxed),
        stopped = stopped.as_deref(),
        "loaded"
    );
    Ok(Loaded {
        rows,
        api_requests,
        catalog_requests: spent_on_catalog,
        retries: pacing.counters.retries.load(Ordering::Relaxed),
        rate_limited: pacing.counters.rate_limited.load(Ordering::Relaxed),
        quota_left: free_left.map(|left| left.saturating_sub(api_requests - 1)),
        paid_requests: free_left.map_or(0, |left| (api_requests - 1).saturating_sub(left)),
        stopped,
        account_name: catalog.info.company_name.clone(),
        checked,
    })
}

/// What a profile should be in the account; `None` for one Chat2Desk cannot hold or that
/// cannot be placed (its row already says why).
fn wanted(
    defaults: &Defaults,
    catalog: &Catalog,
    profiles: &Profiles,
    profile: &Profile,
) -> Option<Wanted> {
    let placement = defaults
        .place(
            catalog,
            &profile.key,
            profile.channel(),
            profile.messenger(),
        )
        .ok()??;
    let mut tag_ids = defaults.tags.clone();
    tag_ids.extend(
        profiles
            .tags(profile)
            .filter_map(|l| catalog.tag(l))
            .map(|t| t.id),
    );
    // The ledger's key, and what Chat2Desk's `phone` carries: digits without `+`, or
    // (**assumed**, api.rs) the e-mail address.
    let contact = match &profile.key {
        ContactKey::Phone(digits) => digits.to_string(),
        ContactKey::Email(address) => address.to_string(),
        ContactKey::Messenger(_) => return None,
    };
    Some(Wanted {
        contact,
        transport: placement.transport,
        channel_id: placement.channel_id,
        nickname: profile.name.as_deref().map(str::to_owned),
        comment: profile.comment.as_deref().map(str::to_owned),
        tag_ids,
    })
}

/// The note for a client that cannot be reached on the dialog wanted, in the catalog's
/// names: "«Продажи» (wa_dialog)".
fn unreachable_note(
    catalog: &Catalog,
    wanted: &Wanted,
    reachable_only: Option<Vec<(u64, String)>>,
) -> Vec<Warning> {
    let name = |channel: u64, transport: &str| {
        let channel = catalog
            .channel_by_id(channel)
            .map_or_else(|| channel.to_string(), |c| c.name.clone());
        format!("«{channel}» ({transport})")
    };
    reachable_only
        .map(|dialogs| Warning::Unreachable {
            wanted: name(wanted.channel_id, &wanted.transport),
            reachable: dialogs.iter().map(|(c, t)| name(*c, t)).collect(),
        })
        .into_iter()
        .collect()
}

/// Picks the profiles of `count` random rows among those with work to do.
fn sample_profiles(checked: &Checked, work: &[u32], count: usize) -> BTreeSet<u32> {
    let work: BTreeSet<u32> = work.iter().copied().collect();
    let mut rows: Vec<u32> = checked
        .rows
        .iter()
        .filter_map(|r| match r.outcome {
            Outcome::Ready { profile } if work.contains(&profile) => Some(profile),
            _ => None,
        })
        .collect();
    rows.shuffle(&mut rand::rng());
    let mut chosen = BTreeSet::new();
    for profile in rows.into_iter().take(count) {
        // The row's other contacts come along: a person is loaded whole.
        chosen.extend(
            checked
                .profiles
                .cluster(profile)
                .iter()
                .filter(|p| work.contains(p)),
        );
    }
    chosen
}

/// Rows and the profiles whose results they show: a row's status comes from the profiles
/// it created, its client id from its first contact's profile (a merged row's from the
/// profile it was merged into).
struct RowMap<'a> {
    checked: &'a Checked,
    /// Row number → the profiles that row created.
    created_by: HashMap<u32, Vec<u32>>,
}

impl<'a> RowMap<'a> {
    fn new(checked: &'a Checked) -> RowMap<'a> {
        let mut created_by: HashMap<u32, Vec<u32>> = HashMap::new();
        for (id, profile) in checked.profiles.iter() {
            created_by.entry(profile.first_row).or_default().push(id);
        }
        RowMap {
            checked,
            created_by,
        }
    }

    /// Every row's status.
    fn all(&self, states: &[ProfileState]) -> Vec<LoadedRow> {
        (0..self.checked.rows.len())
            .map(|i| self.status(states, i))
            .collect()
    }

    /// Profile → the rows (indices) whose status or client id it decides.
    fn shown_in(&self) -> HashMap<u32, Vec<u32>> {
        let rows = &self.checked.rows;
        let mut shown_in: HashMap<u32, Vec<u32>> = HashMap::new();
        for (i, result) in rows.iter().enumerate() {
            if let Outcome::Ready { profile } | Outcome::Merged { profile, .. } = result.outcome {
                shown_in.entry(profile).or_default().push(i as u32);
            }
        }
        for (row, created) in &self.created_by {
            // Rows are in sheet order, so a row's number finds its index.
            if let Ok(i) = rows.binary_search_by_key(row, |r| r.row) {
                for &p in created {
                    let shown = shown_in.entry(p).or_default();
                    if !shown.contains(&(i as u32)) {
                        shown.push(i as u32);
                    }
                }
            }
        }
        shown_in
    }

    /// Row `i`'s status from the states of its profiles.
    fn status(&self, states: &[ProfileState], i: usize) -> LoadedRow {
        let result = &self.checked.rows[i];
        match &result.outcome {
            Outcome::Skipped => LoadedRow {
                status: RowStatus::Skipped,
                target_id: None,
                requests: 0,
                warnings: Vec::new(),
            },
            Outcome::Invalid(problem) => LoadedRow {
                status: RowStatus::Invalid(problem.clone()),
                target_id: None,
                requests: 0,
                warnings: Vec::new(),
            },
            Outcome::Merged { profile, into_row } => LoadedRow {
                status: RowStatus::Merged {
                    into_row: *into_row,
                },
                target_id: target_id(&states[*profile as usize]),
                requests: 0,
                warnings: Vec::new(),
            },
            Outcome::Ready { profile } => {
                let own = self
                    .created_by
                    .get(&result.row)
                    .map_or(&[][..], Vec::as_slice);
                let own_states: Vec<&ProfileState> =
                    own.iter().map(|p| &states[*p as usize]).collect();
                LoadedRow {
                    status: combine(&own_states),
                    target_id: target_id(&states[*profile as usize]),
                    requests: own_states
                        .iter()
                        .map(|s| match s {
                            ProfileState::Done { requests, .. } => *requests,
                            _ => 0,
                        })
                        .sum(),
                    warnings: own_states
                        .iter()
                        .flat_map(|s| match s {
                            ProfileState::Done { notes, .. } => notes.as_slice(),
                            _ => &[],
                        })
                        .cloned()
                        .collect(),
                }
            }
        }
    }
}

/// Not yet decided: a row waiting for a profile still in the queue.
fn undecided(row: &LoadedRow) -> bool {
    matches!(row.status, RowStatus::Pending(None))
}

fn target_id(state: &ProfileState) -> Option<u64> {
    match state {
        ProfileState::Done { id, .. } if *id > 0 => Some(*id),
        _ => None,
    }
}

/// A row with several profiles (a phone and an e-mail) is as far as its least advanced one.
fn combine(states: &[&ProfileState]) -> RowStatus {
    if let Some(message) = states.iter().find_map(|s| match s {
        ProfileState::Failed(m) => Some(m.clone()),
        _ => None,
    }) {
        return RowStatus::Failed(message);
    }
    if let Some(reason) = states.iter().find_map(|s| match s {
        ProfileState::Pending(r) => Some(r.clone()),
        _ => None,
    }) {
        return RowStatus::Pending(reason);
    }
    let synced: Vec<Synced> = states
        .iter()
        .filter_map(|s| match s {
            ProfileState::Done { synced, .. } => Some(*synced),
            _ => None,
        })
        .collect();
    if synced.contains(&Synced::Created) {
        RowStatus::Created
    } else if synced.contains(&Synced::Updated) {
        RowStatus::Updated
    } else {
        RowStatus::Unchanged
    }
}
