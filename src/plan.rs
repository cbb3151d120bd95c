//! The plan: for each profile, the operations a target needs, and what they cost.
//!
//! The plan is data; `check` counts it and the loader (a later stage) executes it. It knows
//! nothing of the network. What a target charges for each operation is the target's cost
//! model (`crate::targets`), the one place that decision lives.

use crate::domain::ContactKey;
use crate::identity::{Profile, Profiles};

/// One step of bringing a profile into a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation<'a> {
    /// Create the profile (or find it, if the target already has the contact) with the
    /// fields the rows give it.
    Upsert(&'a Profile),
    /// Give it these tags (all at once where the target allows).
    AssignTags(&'a Profile),
    /// Link it with another profile of the same person.
    Link {
        profile: &'a Profile,
        with: &'a ContactKey,
    },
}

/// The operations for one profile, in the order they are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfilePlan<'a> {
    pub profile: u32,
    pub operations: Vec<Operation<'a>>,
}

/// What a target charges, in API requests, for an operation. **Checked** in the tests of
/// each target against its spec's cost table.
pub trait CostModel {
    fn requests(&self, operation: &Operation<'_>) -> u64;

    /// The whole list's price, for a target whose requests are not a sum over profiles
    /// (Intercom: a row's contacts are one Intercom contact, and one tag call tags many).
    fn whole(&self, _profiles: &Profiles) -> Option<u64> {
        None
    }
}

/// The plan of every profile, in creation order.
pub fn plan(profiles: &Profiles) -> impl Iterator<Item = ProfilePlan<'_>> {
    profiles.iter().map(move |(id, profile)| ProfilePlan {
        profile: id,
        operations: operations(profiles, id, profile).collect(),
    })
}

/// The operations of one profile, in the order they are applied.
fn operations<'a>(
    profiles: &'a Profiles,
    id: u32,
    profile: &'a Profile,
) -> impl Iterator<Item = Operation<'a>> {
    let tags = profile.has_tags().then_some(Operation::AssignTags(profile));
    let link = profiles.link_target(id).map(|root| Operation::Link {
        profile,
        with: &profiles.get(root).key,
    });
    [Some(Operation::Upsert(profile)), tags, link]
        .into_iter()
        .flatten()
}

/// Requests the whole plan costs under `model`, assuming no profile exists in the target
/// yet (an existing one costs the same or less: only the writes that change something).
/// Counted without building the plan: a million profiles, a million `Vec`s fewer.
pub fn estimate(profiles: &Profiles, model: &dyn CostModel) -> u64 {
    if let Some(whole) = model.whole(profiles) {
        return whole;
    }
    profiles
        .iter()
        .flat_map(|(id, profile)| operations(profiles, id, profile))
        .map(|op| model.requests(&op))
        .sum()
}

/// The estimate of a list of rows, for the cost-table tests of each target.
#[cfg(test)]
pub fn estimate_rows(rows: &[crate::domain::RawRow<'_>], model: &dyn CostModel) -> u64 {
    let mut identity = crate::identity::Identity::new();
    for (i, raw) in rows.iter().enumerate() {
        let (row, _) =
            crate::domain::Row::parse(raw, crate::domain::Region::default()).expect("a valid row");
        identity.add(i as u32 + 2, row);
    }
    estimate(&identity.finish(), model)
}
