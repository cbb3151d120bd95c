//! Before the first write: which work this run does (all that is not done, or a sample), what
//! it is expected to cost, and whether the account lets it spend that without the user's
//! consent.

use std::collections::{BTreeSet, HashMap};

use rand::seq::SliceRandom;

use super::{LoadError, LoadOptions};
use crate::check::{Checked, Outcome};
use crate::targets::{Allowance, Work};

/// Requests a load may spend without consent when the account's allowance is unknown.
pub const UNKNOWN_ALLOWANCE_CONSENT: u64 = 1000;

/// Where a piece of work stands before the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Done and unchanged: nothing to send.
    Done,
    /// To do, but not in the sample.
    NotSampled,
    ToSync,
}

/// The run's work, by index into the pieces.
pub struct Plan {
    parts: Vec<Part>,
    /// The pieces to sync, in order.
    pub to_sync: Vec<usize>,
    /// What they are expected to cost.
    pub estimate: u64,
}

impl Plan {
    pub fn new<W>(
        checked: &Checked,
        work: &[Work<W>],
        expected: &[u64],
        sample: Option<usize>,
    ) -> Plan {
        let mut parts: Vec<Part> = expected
            .iter()
            .map(|&e| if e == 0 { Part::Done } else { Part::ToSync })
            .collect();
        if let Some(count) = sample {
            let chosen = sampled(checked, work, &parts, count);
            for (w, part) in parts.iter_mut().enumerate() {
                if *part == Part::ToSync && !chosen.contains(&w) {
                    *part = Part::NotSampled;
                }
            }
        }
        let to_sync: Vec<usize> = (0..parts.len())
            .filter(|&w| parts[w] == Part::ToSync)
            .collect();
        let estimate = to_sync.iter().map(|&w| expected[w]).sum();
        Plan {
            parts,
            to_sync,
            estimate,
        }
    }

    pub fn part(&self, piece: usize) -> Part {
        self.parts[piece]
    }
}

/// The pieces of `count` random rows among those with work to do; a row's other contacts
/// come along, so that a person is loaded whole.
fn sampled<W>(
    checked: &Checked,
    work: &[Work<W>],
    parts: &[Part],
    count: usize,
) -> BTreeSet<usize> {
    let piece_of: HashMap<u32, usize> = work
        .iter()
        .enumerate()
        .filter(|(w, _)| parts[*w] == Part::ToSync)
        .flat_map(|(w, piece)| piece.profiles.iter().map(move |&p| (p, w)))
        .collect();
    let mut rows: Vec<u32> = checked
        .rows
        .iter()
        .filter_map(|r| match r.outcome {
            Outcome::Ready { profile } if piece_of.contains_key(&profile) => Some(profile),
            _ => None,
        })
        .collect();
    rows.shuffle(&mut rand::rng());
    let mut chosen = BTreeSet::new();
    for profile in rows.into_iter().take(count) {
        chosen.extend(
            checked
                .profiles
                .cluster(profile)
                .iter()
                .filter_map(|p| piece_of.get(p)),
        );
    }
    chosen
}

/// Refuses a run that would spend paid requests, or an unknown number of them past a small
/// threshold, without `--allow-paid` (or a cap that keeps it within the free ones).
pub fn check(
    allowance: Allowance,
    estimate: u64,
    spent_on_catalog: u64,
    options: &LoadOptions,
) -> Result<(), LoadError> {
    if options.allow_paid {
        return Ok(());
    }
    match allowance {
        Allowance::Unmetered => Ok(()),
        // "When no allowance can be read, the loader does not know what is free: it says so,
        // and a load bigger than a small threshold needs the user's explicit consent."
        Allowance::Unknown { price } if estimate > UNKNOWN_ALLOWANCE_CONSENT => {
            Err(LoadError::AllowanceUnknown {
                needed: estimate,
                price,
            })
        }
        Allowance::Unknown { .. } => Ok(()),
        Allowance::Free { left, price } if estimate > left => {
            let stop_at_free = left + spent_on_catalog;
            if options.max_requests.is_some_and(|cap| cap <= stop_at_free) {
                return Ok(());
            }
            let paid = estimate - left;
            Err(LoadError::WouldBePaid {
                needed: estimate,
                left,
                paid,
                cost: paid as f64 * price.each,
                price,
                stop_at_free,
            })
        }
        Allowance::Free { .. } => Ok(()),
    }
}
