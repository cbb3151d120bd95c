//! What each operation costs in Omnidesk (`shared/specs/omnidesk.md`, "Cost model"): a new
//! profile is one `POST` with everything in its body (name, company, position, note, custom
//! fields, the tags' field); each profile beyond a cluster's first is one link.

use crate::plan::{CostModel, Operation};

/// Requests per operation for a contact the account does not have yet.
#[derive(Debug, Clone, Copy, Default)]
pub struct OmnideskCost;

impl CostModel for OmnideskCost {
    fn requests(&self, operation: &Operation<'_>) -> u64 {
        match operation {
            // "new contact, 1 identifier, name + company + position + comment + custom
            // fields + tags: 1".
            Operation::Upsert(_) => 1,
            // "tag: 0 extra (part of the create/`PUT` body)".
            Operation::AssignTags(_) => 0,
            // "k identifiers: 2k − 1 (k creates, k − 1 links to the first profile)".
            Operation::Link { .. } => 1,
        }
    }
}

/// Whether to look an identifier up before creating it. Creating first costs 1 for a new
/// contact and 3 for one the account has (the refused create, the lookup, the edit);
/// looking up first costs 2 and 1 (+ the edit). So looking up first pays only when at least
/// half the identifiers are in the account already — which cannot be so when the account
/// has fewer users than half of them.
pub fn search_first(users_in_account: Option<u64>, identifiers: usize) -> bool {
    users_in_account.is_some_and(|users| users.saturating_mul(2) >= identifiers as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::RawRow;

    fn estimate_for(rows: &[RawRow<'_>]) -> u64 {
        crate::plan::estimate_rows(rows, &OmnideskCost)
    }

    #[test]
    fn the_cost_table_of_the_spec_holds() {
        // One identifier with everything: 1.
        let full = RawRow {
            contact: "89991234567",
            name: "Анна",
            comment: "звонить после 18",
            tags: "vip, вебинар",
            company: "Ромашка",
            position: "директор",
            ..Default::default()
        };
        assert_eq!(estimate_for(&[full]), 1);
        // k identifiers: 2k − 1.
        let three = RawRow {
            phone: "89991234567",
            email: "anna@mail.ru",
            messenger_id: "telegram|123",
            ..Default::default()
        };
        assert_eq!(estimate_for(&[three]), 5);
        // The same person on several rows: once.
        assert_eq!(estimate_for(&[full, full, full]), 1);
        // A messenger id alone is a profile in Omnidesk.
        let telegram = RawRow {
            messenger_id: "telegram|123",
            ..Default::default()
        };
        assert_eq!(estimate_for(&[telegram]), 1);
    }

    #[test]
    fn looking_up_first_pays_only_for_a_full_account() {
        assert!(!search_first(None, 100));
        assert!(!search_first(Some(0), 100));
        assert!(!search_first(Some(49), 100));
        assert!(search_first(Some(50), 100));
        assert!(search_first(Some(10_000), 100));
    }
}
