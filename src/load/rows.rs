//! Each row's final status, from the results of the profiles it created: a row with a
//! phone and an e-mail is as far as its least advanced profile.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use super::Progress;
use crate::check::{Checked, Outcome};
use crate::domain::{Problem, Warning};
use crate::messages::{self, Lang};
use crate::targets::{Done, Synced, TargetId};

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
    /// The target's id for the row's first contact.
    pub target_id: Option<TargetId>,
    /// Requests spent on the profiles this row created (a merged row's go to the row it
    /// was merged into), so the rows add up to the run's total less the catalog.
    pub requests: u64,
    /// What the load learnt that the row should say, beyond what the check said.
    pub warnings: Vec<Warning>,
}

/// A profile's result.
#[derive(Debug, Clone)]
pub(super) enum ProfileState {
    /// Not loadable into this target (a messenger id in Chat2Desk).
    NotLoadable,
    Done {
        done: Done,
        /// Requests spent on it: a piece of work's are counted on its first profile.
        requests: u64,
    },
    Failed(String),
    Pending(Option<String>),
}

/// Every profile's state while a load runs, and the rows it decides, told to `progress` as
/// each becomes final.
pub(super) struct Board<'a> {
    checked: &'a Checked,
    states: Mutex<Vec<ProfileState>>,
    row_map: RowMap<'a>,
    /// Profile → the rows it decides, when `progress` wants rows.
    shown_in: Option<HashMap<u32, Vec<u32>>>,
    progress: &'a dyn Progress,
}

impl<'a> Board<'a> {
    /// The board before any request: the rows already final are told at once.
    pub(super) fn new(
        checked: &'a Checked,
        states: Vec<ProfileState>,
        progress: &'a dyn Progress,
    ) -> Board<'a> {
        let row_map = RowMap::new(checked);
        let shown_in = progress.wants_rows().then(|| row_map.shown_in());
        if shown_in.is_some() {
            let decided: Vec<(usize, LoadedRow)> = row_map
                .all(&states)
                .into_iter()
                .enumerate()
                .filter(|(_, row)| !undecided(row))
                .collect();
            progress.rows(checked, &decided);
        }
        Board {
            checked,
            states: Mutex::new(states),
            row_map,
            shown_in,
            progress,
        }
    }

    /// A piece of work ended: its profiles' states, and the rows that are now final.
    pub(super) fn settle(&self, profiles: &[u32], results: Vec<ProfileState>) {
        let decided: Vec<(usize, LoadedRow)> = {
            let mut states = self.states.lock().expect("states lock");
            for (&p, state) in profiles.iter().zip(results) {
                states[p as usize] = state;
            }
            let shown = self
                .shown_in
                .as_ref()
                .into_iter()
                .flat_map(|shown_in| profiles.iter().filter_map(|p| shown_in.get(p)).flatten());
            let rows: BTreeSet<u32> = shown.copied().collect();
            rows.into_iter()
                .map(|i| (i as usize, self.row_map.status(&states, i as usize)))
                .filter(|(_, row)| !undecided(row))
                .collect()
        };
        if !decided.is_empty() {
            self.progress.rows(self.checked, &decided);
        }
        self.progress.advance();
    }

    /// Every row's status once the run ended; what still waits says why it stopped.
    pub(super) fn finish(self, stopped: Option<&str>) -> Vec<LoadedRow> {
        let mut states = self.states.into_inner().expect("states lock");
        if let Some(reason) = stopped {
            for state in &mut states {
                if let ProfileState::Pending(why @ None) = state {
                    *why = Some(reason.to_owned());
                }
            }
        }
        self.row_map.all(&states)
    }
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
                            ProfileState::Done { done, .. } => done.notes.as_slice(),
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

fn target_id(state: &ProfileState) -> Option<TargetId> {
    match state {
        ProfileState::Done { done, .. } => done.id.clone(),
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
            ProfileState::Done { done, .. } => Some(done.synced),
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
