//! Bringing one profile into Chat2Desk with the fewest requests, exactly once.
//!
//! The ledger entry says what the account holds as far as we know. A client we know is
//! only written where it differs; a client we do not know is created — Chat2Desk answers
//! "client already exist" with its id for a phone it has (`api.rs`), which is also what
//! makes a lost answer harmless: the create is sent again and names the client it made.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::api::{ClientUpdate, NewClient};
use super::client::{Chat2Desk, Created};
use super::cost::Calls;
use crate::pacing::{Halt, Pacing, TargetError, Ticket};
use crate::store::{Entry, StoreError};
use crate::targets::{AccountLedger, SyncError, Synced, TargetId};

/// What a profile should be in the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Wanted {
    /// The ledger's key: the contact's normalised key (`+79991234567`, `anna@mail.ru`).
    /// Not part of the fingerprint: it names the contact, it is not its state.
    #[serde(skip)]
    pub key: String,
    /// What Chat2Desk's `phone` carries: digits without `+`, or (**assumed**, api.rs) the
    /// e-mail address.
    pub contact: String,
    pub transport: String,
    pub channel_id: u64,
    pub nickname: Option<String>,
    pub comment: Option<String>,
    pub tag_ids: BTreeSet<u64>,
}

impl Wanted {
    /// A digest of the wanted state: equal digests, nothing to do.
    pub fn fingerprint(&self) -> String {
        let json = serde_json::to_vec(self).expect("plain data serialises");
        let digest = Sha256::digest(&json);
        digest[..12].iter().map(|b| format!("{b:02x}")).collect()
    }

    fn dialog(&self) -> (u64, String) {
        (self.channel_id, self.transport.clone())
    }
}

/// What the account holds, as far as we know: the ledger's `applied` column.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Known {
    pub nickname: Option<String>,
    pub comment: Option<String>,
    pub tag_ids: BTreeSet<u64>,
    /// (channel, transport) pairs the client was created on: each opens a dialog.
    pub dialogs: BTreeSet<(u64, String)>,
}

impl Known {
    fn from_entry(entry: Option<&Entry>) -> Option<Known> {
        serde_json::from_str(entry?.applied.as_deref()?).ok()
    }

    fn update_for(&self, wanted: &Wanted) -> ClientUpdate {
        // An empty cell never erases what the account has.
        let differs = |want: &Option<String>, have: &Option<String>| {
            want.as_ref().filter(|w| Some(*w) != have.as_ref()).cloned()
        };
        ClientUpdate {
            nickname: differs(&wanted.nickname, &self.nickname),
            comment: differs(&wanted.comment, &self.comment),
        }
    }

    fn missing_tags(&self, wanted: &Wanted) -> Vec<u64> {
        wanted.tag_ids.difference(&self.tag_ids).copied().collect()
    }
}

/// The requests a profile is expected to need, for the estimate and the reservation: what
/// the ledger says, or, for a contact it does not know, a new client (an existing one costs
/// a read more and saves the writes that change nothing).
pub fn expected_calls(wanted: &Wanted, entry: Option<&Entry>) -> Calls {
    if entry.and_then(|e| e.done.as_deref()) == Some(wanted.fingerprint().as_str()) {
        return Calls::default();
    }
    match (client_id(entry), Known::from_entry(entry)) {
        // A client we know, wanted on a dialog it lacks: the create is sent again, and its
        // channels read back, since a duplicate answer does not say whether it attached.
        (Some(_), Some(known)) => Calls {
            create: !known.dialogs.contains(&wanted.dialog()),
            read: !known.dialogs.contains(&wanted.dialog()),
            update: !known.update_for(wanted).is_empty(),
            assign_tags: !known.missing_tags(wanted).is_empty(),
        },
        _ => Calls {
            create: true,
            read: false,
            update: wanted.comment.is_some(),
            assign_tags: !wanted.tag_ids.is_empty(),
        },
    }
}

/// The client's id the ledger holds: Chat2Desk's ids are numbers.
fn client_id(entry: Option<&Entry>) -> Option<u64> {
    entry?.target_id.as_ref()?.as_str().parse().ok()
}

/// A profile brought into the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncedProfile {
    pub synced: Synced,
    pub id: u64,
    /// When the client cannot be reached on the dialog wanted (it was in the account on
    /// other channels or messengers): the (channel, transport) dialogs it has.
    pub reachable_only: Option<Vec<(u64, String)>>,
}

/// The dialogs a client known to the ledger has, when the wanted one is not among them.
pub fn reachable_only(wanted: &Wanted, entry: Option<&Entry>) -> Option<Vec<(u64, String)>> {
    let known = Known::from_entry(entry)?;
    (!known.dialogs.contains(&wanted.dialog())).then(|| known.dialogs.into_iter().collect())
}

/// Where a profile goes: the account and its ledger.
pub struct Sync<'a> {
    pub client: &'a Chat2Desk,
    pub pacing: &'a Pacing,
    pub ledger: &'a AccountLedger<'a>,
}

impl Sync<'_> {
    /// Applies `wanted`, recording every step in the ledger before going on, so that a
    /// crash at any point leaves an entry a re-run continues from. Returns the outcome and
    /// the client's id.
    pub async fn profile(
        &self,
        wanted: &Wanted,
        entry: Option<&Entry>,
        ticket: &mut Ticket,
    ) -> Result<SyncedProfile, SyncError> {
        let key = wanted.key.as_str();
        let mut target_id = client_id(entry);
        let mut known = target_id.and(Known::from_entry(entry));
        // Made by this very run before it was cut off and resumed.
        let mut created = self.ledger.created_by_this_run(entry);
        // Something in the account is different because of us (besides a creation).
        let mut changed = false;

        let dialog = wanted.dialog();
        if target_id.is_none() || known.as_ref().is_some_and(|k| !k.dialogs.contains(&dialog)) {
            let first_create = target_id.is_none();
            if first_create {
                self.ledger.create_sent(key).await?;
            }
            let new = NewClient {
                phone: wanted.contact.clone(),
                transport: wanted.transport.clone(),
                channel_id: wanted.channel_id,
                nickname: wanted.nickname.clone(),
            };
            let answer = self
                .pacing
                .send(ticket, || self.client.create_client(&new))
                .await?;
            let (id, existed) = match answer {
                Created::New(id) => (id, false),
                Created::Existing(id) => (id, true),
                // "A duplicate answer without an id falls back to one lookup by phone."
                Created::ExistingUnnamed => {
                    let found = self
                        .pacing
                        .send(ticket, || self.client.find_client(&wanted.contact))
                        .await?;
                    let id = found.ok_or_else(|| {
                        Halt::Failed(TargetError::Unreadable(
                            "Chat2Desk says the client exists, and no client has this phone".into(),
                        ))
                    })?;
                    (id, true)
                }
            };
            target_id = Some(id);
            if !existed {
                // A new client, made on the dialog asked for — also when the ledger knew one
                // that has since been deleted in the account: what it knew no longer holds.
                created = true;
                known = Some(Known {
                    nickname: wanted.nickname.clone(),
                    dialogs: BTreeSet::from([dialog.clone()]),
                    ..Known::default()
                });
            } else if first_create {
                // Ours if an earlier attempt of this create may have gone through, in this
                // run or in one that was cut off. Either way it is read below, as any client
                // we know nothing of: what it holds is the account's word.
                created = ticket.ambiguous || entry.is_some_and(|e| e.create_sent);
                if !created {
                    self.ledger.not_created(key).await?;
                }
            } else {
                // A client we know, asked for on another dialog: "No source shows that a
                // rejected duplicate `POST /v1/clients` attaches the existing client to the
                // requested channel and transport" — read where it can be reached now.
                let record = self.pacing.send(ticket, || self.client.client(id)).await?;
                if let Some(known) = &mut known {
                    known.dialogs = record.dialogs().collect();
                    changed = known.dialogs.contains(&dialog);
                }
            }
        }
        let id = target_id.expect("set above");
        let mut known = match known {
            Some(known) => known,
            None => {
                // A client we know nothing of: read it, so that only what differs is written,
                // and what it can be reached on is what the account says (spec: "what the
                // loader reports as reachable must come from there").
                let record = self.pacing.send(ticket, || self.client.client(id)).await?;
                Known {
                    dialogs: record.dialogs().collect(),
                    nickname: record.assigned_name,
                    comment: record.comment,
                    tag_ids: record.tags.iter().map(|t| t.id).collect(),
                }
            }
        };
        self.record(wanted, id, &known, false).await?;

        let update = known.update_for(wanted);
        if !update.is_empty() {
            self.pacing
                .send(ticket, || self.client.update_client(id, &update))
                .await?;
            if update.nickname.is_some() {
                known.nickname = update.nickname;
            }
            if update.comment.is_some() {
                known.comment = update.comment;
            }
            changed = true;
            self.record(wanted, id, &known, false).await?;
        }
        let missing = known.missing_tags(wanted);
        if !missing.is_empty() {
            self.pacing
                .send(ticket, || self.client.assign_tags(id, &missing))
                .await?;
            known.tag_ids.extend(missing);
            changed = true;
        }
        self.record(wanted, id, &known, true).await?;
        let synced = match (created, changed) {
            (true, _) => Synced::Created,
            (false, true) => Synced::Updated,
            (false, false) => Synced::Unchanged,
        };
        let reachable_only =
            (!known.dialogs.contains(&dialog)).then(|| known.dialogs.iter().cloned().collect());
        Ok(SyncedProfile {
            synced,
            id,
            reachable_only,
        })
    }

    async fn record(
        &self,
        wanted: &Wanted,
        id: u64,
        known: &Known,
        done: bool,
    ) -> Result<(), StoreError> {
        let applied = serde_json::to_string(known).expect("plain data serialises");
        let fingerprint = done.then(|| wanted.fingerprint());
        self.ledger
            .record(
                &wanted.key,
                &TargetId::from(id),
                &applied,
                fingerprint.as_deref(),
            )
            .await
    }
}
