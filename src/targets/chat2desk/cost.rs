//! What each operation costs in Chat2Desk (`shared/specs/chat2desk.md`, "Cost model of one
//! row").

use crate::domain::ContactKey;
use crate::plan::{CostModel, Operation};

/// The calls one client needs, each one request. Both the estimate of `check` and the
/// loader's reservations count through this.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Calls {
    /// `POST /v1/clients` — also opens the dialog on a channel and transport.
    pub create: bool,
    /// `GET /v1/clients/{id}`: an existing client we know nothing of is read before writing,
    /// so that only what changes is written.
    pub read: bool,
    /// One `PUT /v1/clients/{id}` for the nickname and the comment together.
    pub update: bool,
    /// One `POST /v1/tags/assign_to` for all the tags.
    pub assign_tags: bool,
}

impl Calls {
    pub fn requests(self) -> u64 {
        [self.create, self.read, self.update, self.assign_tags]
            .into_iter()
            .map(u64::from)
            .sum()
    }
}

/// Chat2Desk's requests per operation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Chat2DeskCost;

impl Chat2DeskCost {
    /// Chat2Desk creates clients by phone (or, **assumed**, an e-mail on the `email`
    /// transport); a messenger id alone cannot become a client.
    pub fn can_load(key: &ContactKey) -> bool {
        !matches!(key, ContactKey::Messenger(_))
    }
}

impl CostModel for Chat2DeskCost {
    fn requests(&self, operation: &Operation<'_>) -> u64 {
        match operation {
            // `POST /v1/clients` takes the nickname but not the comment: a comment is one
            // more `PUT /v1/clients/{id}`. Company and position have no field.
            Operation::Upsert(p) if Self::can_load(&p.key) => Calls {
                create: true,
                update: p.comment.is_some(),
                ..Calls::default()
            }
            .requests(),
            Operation::AssignTags(p) if Self::can_load(&p.key) => Calls {
                assign_tags: true,
                ..Calls::default()
            }
            .requests(),
            // Chat2Desk has no links: each contact of a person is a client of its own.
            Operation::Link { .. } => 0,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::RawRow;

    fn estimate_for(rows: &[RawRow<'_>]) -> u64 {
        crate::plan::estimate_rows(rows, &Chat2DeskCost)
    }

    #[test]
    fn the_cost_table_of_the_spec_holds() {
        // New contact with a name: 1.
        assert_eq!(
            estimate_for(&[RawRow {
                contact: "89991234567",
                name: "Анна",
                ..Default::default()
            }]),
            1
        );
        // Name + comment + tags: create, PUT comment, one assign_to.
        assert_eq!(
            estimate_for(&[RawRow {
                contact: "89991234567",
                name: "Анна",
                comment: "звонить после 18",
                tags: "vip, вебинар",
                ..Default::default()
            }]),
            3
        );
        // The same contact on several rows: its requests once.
        let same = RawRow {
            contact: "89991234567",
            tags: "vip",
            ..Default::default()
        };
        assert_eq!(estimate_for(&[same, same, same]), 2);
        // A phone and an e-mail: two clients, no link request.
        assert_eq!(
            estimate_for(&[RawRow {
                phone: "89991234567",
                email: "anna@mail.ru",
                ..Default::default()
            }]),
            2
        );
        // A messenger id alone cannot be a Chat2Desk client.
        assert_eq!(
            estimate_for(&[RawRow {
                messenger_id: "telegram|123",
                tags: "vip",
                ..Default::default()
            }]),
            0
        );
    }
}
