//! What a list costs in Intercom (`shared/specs/intercom.md`, "Cost model"): a new user is
//! one `POST /contacts` with its name, phone and attributes in the body; a lead is looked up
//! first ("no 409 protects it"), so two; a comment as a note and a company's attachment are
//! one more each; tags go in bulk, one call per tag per `api::TAG_BATCH` contacts; each
//! distinct company is upserted once.

use std::collections::{BTreeMap, BTreeSet};

use super::api::{self, Role};
use super::rules;
use crate::identity::Profiles;
use crate::plan::{CostModel, Operation};

#[derive(Debug, Clone, Copy, Default)]
pub struct IntercomCost;

/// Requests a contact the workspace does not have needs, tags aside.
pub fn new_contact(role: Role, note: bool, company: bool) -> u64 {
    let find_or_create = match role {
        Role::User => 1,
        Role::Lead => 2,
    };
    find_or_create + u64::from(note) + u64::from(company)
}

/// Bulk tag calls for `contacts` contacts per tag.
pub fn tag_calls(contacts_per_tag: impl Iterator<Item = usize>) -> u64 {
    contacts_per_tag
        .map(|n| n.div_ceil(api::TAG_BATCH) as u64)
        .sum()
}

impl CostModel for IntercomCost {
    /// Not used: the list is priced whole (`whole`), as its contacts are not its profiles.
    fn requests(&self, _operation: &Operation<'_>) -> u64 {
        0
    }

    fn whole(&self, profiles: &Profiles) -> Option<u64> {
        let mut requests = 0;
        let mut tagged: BTreeMap<&str, usize> = BTreeMap::new();
        let mut companies = BTreeSet::new();
        for contact in rules::contacts(profiles) {
            let members = || contact.iter().map(|&p| profiles.get(p));
            let first = profiles.get(contact[0]);
            let role = match first.key {
                crate::domain::ContactKey::Email(_) => Role::User,
                _ => Role::Lead,
            };
            let note = members().any(|p| p.comment.is_some());
            let company = members().find_map(|p| p.details.as_ref()?.company.as_deref());
            if let Some(name) = company {
                companies.insert(rules::company_id(name));
            }
            requests += new_contact(role, note, company.is_some());
            let tags: BTreeSet<&str> = members().flat_map(|p| profiles.tags(p)).collect();
            for tag in tags {
                *tagged.entry(tag).or_default() += 1;
            }
        }
        Some(requests + companies.len() as u64 + tag_calls(tagged.into_values()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::RawRow;

    fn estimate_for(rows: &[RawRow<'_>]) -> u64 {
        crate::plan::estimate_rows(rows, &IntercomCost)
    }

    #[test]
    fn the_cost_table_of_the_spec_holds() {
        // A new user with name, phone and attributes: 1.
        let user = RawRow {
            email: "anna@mail.ru",
            phone: "89991234567",
            name: "Анна",
            position: "директор",
            ..Default::default()
        };
        assert_eq!(estimate_for(&[user]), 1);
        // + a comment as a note, + a company (attached 1, upserted once).
        let full = RawRow {
            comment: "звонить после 18",
            company: "Ромашка",
            ..user
        };
        assert_eq!(estimate_for(&[full]), 1 + 1 + 1 + 1);
        // A lead (a phone alone): looked up, then created.
        let lead = RawRow {
            contact: "89997654321",
            ..Default::default()
        };
        assert_eq!(estimate_for(&[lead]), 2);
        // Tags in bulk: one call per tag for up to a batch of contacts.
        let tagged: Vec<String> = (0..150).map(|i| format!("user{i}@mail.ru")).collect();
        let rows: Vec<RawRow<'_>> = tagged
            .iter()
            .map(|email| RawRow {
                email,
                tags: "vip, webinar",
                ..Default::default()
            })
            .collect();
        assert_eq!(estimate_for(&rows), 150 + 2 * 2);
        // The same person on several rows: once.
        assert_eq!(estimate_for(&[user, user, user]), 1);
    }
}
