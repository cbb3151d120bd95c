//! Bringing one contact into Intercom with the fewest requests, and never twice.
//!
//! The guards, from the spec's "What makes a naive importer create duplicates":
//! - a **user** is created first: Intercom's 409 names the one that exists ("the 409 is the
//!   guard, search is for contacts that existed before the run"); a text without the id is
//!   answered by a search;
//! - a **lead** has no such guard, so it is looked up first, and a create whose answer was
//!   lost is never sent again until the search — which lags "a few minutes" — has had the
//!   time to show it (`Settings::search_lag`): until then the row stays pending;
//! - the ledger, written before each next step, is the guard across runs: a known contact is
//!   only edited where it differs, a note is added once (its digest is recorded before it is
//!   sent; a lost answer is settled by listing the contact's notes), a company attached once;
//! - an archived match is reported, or revived when asked; a merged contact's 410 is
//!   followed and the ledger rewritten.
//!
//! Tags are not sent here: the target sends them for many contacts at once (`tags`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::api::{self, Contact, ContactRequest, Query, Role};
use super::client::{Created, Intercom, Reached};
use crate::domain::Warning;
use crate::messages::{Lang, said};
use crate::pacing::{Halt, Pacing, TargetError, Ticket};
use crate::store::Entry;
use crate::targets::{AccountLedger, Done, Entries, SyncError, Synced, TargetId};

/// The contact's fields we write with `POST`/`PUT`; an empty cell never erases what the
/// workspace has.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fields {
    pub name: Option<String>,
    pub phone: Option<String>,
    #[serde(default)]
    pub attributes: BTreeMap<String, Value>,
}

/// A company by our deterministic `company_id` (`rules::company_id`) and its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyRef {
    pub company_id: String,
    pub name: String,
}

/// What one contact should be.
#[derive(Debug, Clone, PartialEq)]
pub struct Wanted {
    /// The ledger's key: the contact's first profile's key (its e-mail for a user).
    pub key: String,
    pub role: Role,
    /// Trimmed and lower-cased ("E-mails are sent trimmed and lower-cased").
    pub email: Option<String>,
    /// The list's own key for a user ("only send `external_id` from a stable source key,
    /// never invent one per run"); never for a lead.
    pub external_id: Option<String>,
    /// How the contact is found when no id is known: by e-mail, phone, or messenger id.
    pub lookup: Query,
    pub fields: Fields,
    /// The comment, as a note.
    pub note: Option<String>,
    pub company: Option<CompanyRef>,
    pub tags: BTreeSet<String>,
    /// Profiles of the piece: one result each.
    pub profiles: usize,
    /// What the rows should say whatever happens (a text cut, a second phone not kept).
    pub notes: Vec<Warning>,
}

impl Wanted {
    /// A user with an e-mail and an external id is looked up by the e-mail first: "sending
    /// e-mail + a new `external_id` for someone who exists with that e-mail but no/other
    /// `external_id` creates a second user" [help 5053685].
    pub fn guards_external_id(&self) -> bool {
        self.role == Role::User && self.email.is_some() && self.external_id.is_some()
    }

    /// The fingerprint of everything the contact should be, recorded once it is.
    pub fn fingerprint(&self) -> String {
        let seen = serde_json::json!({
            "role": self.role,
            "email": self.email,
            "external_id": self.external_id,
            "fields": self.fields,
            "note": self.note,
            "company": self.company,
            "tags": self.tags,
        });
        hex(&Sha256::digest(seen.to_string().as_bytes()))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn digest(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes())[..12])
}

/// What the workspace holds of the contact, as far as we know: the ledger's `applied`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Known {
    pub fields: Fields,
    /// The comment's note: its digest, and its id once Intercom answered (none: sent, the
    /// answer lost).
    #[serde(default)]
    pub note: Option<NoteState>,
    /// The `company_id` attached.
    #[serde(default)]
    pub company: Option<String>,
    #[serde(default)]
    pub tags: BTreeSet<String>,
    /// Found archived and left so (no `--unarchive`): reported until revived.
    #[serde(default)]
    pub archived: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteState {
    pub digest: String,
    pub id: Option<String>,
}

impl Known {
    pub fn from_entry(entry: Option<&Entry>) -> Known {
        entry
            .and_then(|e| e.applied.as_deref())
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or_default()
    }

    /// A contact we did not make (found, or named by a 409) may hold the comment as a note
    /// already — added by a run whose ledger is gone, or moved by a merge: it is looked for
    /// among the contact's notes before one is added ("a re-run without the ledger lists
    /// notes and skips an identical body").
    fn note_unknown(&mut self, wanted: &Wanted) {
        if let Some(comment) = &wanted.note {
            self.note = Some(NoteState {
                digest: digest(comment),
                id: None,
            });
        }
    }

    fn json(&self) -> String {
        serde_json::to_string(self).expect("a ledger state is JSON")
    }

    /// What a contact read from the workspace holds of our fields.
    fn of(contact: &Contact, wanted: &Fields) -> Fields {
        let text = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        Fields {
            name: text(&contact.name),
            phone: text(&contact.phone),
            attributes: wanted
                .attributes
                .keys()
                .filter_map(|k| Some((k.clone(), contact.custom_attributes.get(k)?.clone())))
                .filter(|(_, v)| !v.is_null())
                .collect(),
        }
    }
}

/// The `PUT` that brings `have` to `want`, if anything differs. Every attribute we map is
/// sent when any differs: should a `PUT` replace all of them (**assumed** it does not,
/// `AttributesUpdate`), ours are still all there.
fn edit(want: &Fields, have: &Fields) -> Option<ContactRequest> {
    let differs = |w: &Option<String>, h: &Option<String>| {
        w.as_ref().filter(|w| Some(*w) != h.as_ref()).cloned()
    };
    let mut update = ContactRequest {
        name: differs(&want.name, &have.name),
        phone: differs(&want.phone, &have.phone),
        ..Default::default()
    };
    if want
        .attributes
        .iter()
        .any(|(k, v)| have.attributes.get(k) != Some(v))
    {
        update.custom_attributes = want.attributes.clone();
    }
    (update != ContactRequest::default()).then_some(update)
}

/// What the workspace holds after `update` was applied to `have`.
fn applied(have: &Fields, update: &ContactRequest) -> Fields {
    let mut after = have.clone();
    if let Some(name) = &update.name {
        after.name = Some(name.clone());
    }
    if let Some(phone) = &update.phone {
        after.phone = Some(phone.clone());
    }
    after.attributes.extend(
        update
            .custom_attributes
            .iter()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    after
}

/// Requests the contact is expected to need, tags aside: 0 when it is done and unchanged.
pub fn expected(wanted: &Wanted, entries: &Entries) -> u64 {
    let entry = entries.get(&wanted.key);
    if entry.and_then(|e| e.done.as_deref()) == Some(wanted.fingerprint().as_str()) {
        return 0;
    }
    let known = Known::from_entry(entry);
    let mut requests = match entry.and_then(|e| e.target_id.as_ref()) {
        None => {
            super::cost::new_contact(wanted.role, false, false)
                + 2 * u64::from(wanted.guards_external_id())
        }
        Some(_) => u64::from(edit(&wanted.fields, &known.fields).is_some()),
    };
    if let Some(note) = &wanted.note
        && known
            .note
            .as_ref()
            .and_then(|n| n.id.as_ref().map(|_| &n.digest))
            != Some(&digest(note))
    {
        requests += 1;
    }
    if let Some(company) = &wanted.company
        && known.company.as_deref() != Some(company.company_id.as_str())
    {
        requests += 1;
    }
    // Only tags left (a run cut off while tagging): the piece is still to do.
    requests.max(u64::from(!wanted.tags.is_subset(&known.tags)))
}

/// The results of a contact that is done and unchanged, from the ledger.
pub fn settled(wanted: &Wanted, entries: &Entries, ledger: &AccountLedger<'_>) -> Vec<Done> {
    let entry = entries.get(&wanted.key);
    let synced = if ledger.created_by_this_run(entry) {
        Synced::Created
    } else {
        Synced::Unchanged
    };
    every(
        wanted,
        Done {
            synced,
            id: entry.and_then(|e| e.target_id.clone()),
            notes: wanted.notes.clone(),
        },
    )
}

/// One result per profile of the piece; the notes on the first.
pub fn every(wanted: &Wanted, first: Done) -> Vec<Done> {
    let mut done = vec![
        Done {
            notes: Vec::new(),
            ..first.clone()
        };
        wanted.profiles.max(1)
    ];
    done[0] = first;
    done
}

/// A contact brought in, before its tags.
#[derive(Debug, Clone)]
pub struct Brought {
    pub id: String,
    pub known: Known,
    pub done: Done,
}

/// The sync of one contact: what every step shares.
pub struct Sync<'a> {
    pub client: &'a Intercom,
    pub pacing: &'a Pacing,
    pub ledger: &'a AccountLedger<'a>,
    /// Revive archived contacts (`--unarchive`).
    pub unarchive: bool,
    /// How long the search may take to show a contact just created (`Settings::search_lag`).
    pub search_lag: Duration,
    pub companies: &'a Companies,
}

/// Companies by `company_id`: "`POST /companies` once per distinct company (cached by
/// `company_id`)" — once per run here, and once per workspace through the ledger, where a
/// company is kept under `company:<company_id>`.
#[derive(Debug, Default)]
pub struct Companies {
    cells: std::sync::Mutex<HashMap<String, Arc<tokio::sync::OnceCell<String>>>>,
}

impl Companies {
    /// The ledger's key of a company.
    pub fn key(company_id: &str) -> String {
        format!("company:{company_id}")
    }

    /// The company's Intercom id: from the ledger, or upserted (by one piece; the others
    /// wait for it).
    async fn id(
        &self,
        sync: &Sync<'_>,
        company: &CompanyRef,
        entries: &Entries,
        ticket: &mut Ticket,
    ) -> Result<String, SyncError> {
        let cell = self
            .cells
            .lock()
            .expect("companies lock")
            .entry(company.company_id.clone())
            .or_default()
            .clone();
        let key = Companies::key(&company.company_id);
        let id = cell
            .get_or_try_init(|| async {
                if let Some(id) = entries.get(&key).and_then(|e| e.target_id.as_ref()) {
                    return Ok::<_, SyncError>(id.as_str().to_owned());
                }
                let made = sync
                    .send(ticket, || {
                        sync.client
                            .upsert_company(sync.pacing, &company.company_id, &company.name)
                    })
                    .await?;
                sync.ledger
                    .record(&key, &TargetId::from(made.id.clone()), "{}", None)
                    .await?;
                Ok(made.id)
            })
            .await?;
        Ok(id.clone())
    }
}

/// A contact is not loaded, in words for the row (row failures are in English, as every
/// target's: `RowStatus::Failed`).
fn refused(message: String) -> SyncError {
    SyncError::Halt(Halt::Failed(TargetError::Rejected {
        status: 409,
        message,
    }))
}

impl Sync<'_> {
    /// Finds or creates the contact, writes what differs, attaches its company and adds its
    /// note, recording each step. Tags are the caller's.
    pub async fn contact(
        &self,
        wanted: &Wanted,
        entries: &Entries,
        ticket: &mut Ticket,
    ) -> Result<Brought, SyncError> {
        let entry = entries.get(&wanted.key);
        let mut known = Known::from_entry(entry);
        let mut notes = wanted.notes.clone();
        let (mut id, mut synced) = match entry.and_then(|e| e.target_id.as_ref()) {
            Some(id) => (id.as_str().to_owned(), Synced::Unchanged),
            None => {
                self.find_or_create(wanted, entry, &mut known, &mut notes, ticket)
                    .await?
            }
        };
        if self.ledger.created_by_this_run(entry) {
            synced = Synced::Created;
        }
        if known.archived {
            // Found archived by an earlier run: revived when asked, else reported again
            // without a request.
            self.revive(wanted, &id, &mut known, ticket).await?;
        }
        if let Some(update) = edit(&wanted.fields, &known.fields) {
            id = self
                .update(wanted, id, update, &mut known, &mut notes, ticket)
                .await?;
            if synced == Synced::Unchanged {
                synced = Synced::Updated;
            }
        }
        // A contact merged away since the ledger named it answers these with a 410 (a PUT
        // would have followed it already): followed once, and the steps sent again.
        let mut followed = false;
        let changed = loop {
            match self.extras(wanted, &id, entries, &mut known, ticket).await {
                Err(SyncError::Halt(Halt::Failed(TargetError::Rejected {
                    status: 410, ..
                }))) if !followed => {
                    id = self.follow(wanted, &id, &mut known, ticket).await?;
                    followed = true;
                }
                other => break other?,
            }
        };
        if (changed || followed) && synced == Synced::Unchanged {
            synced = Synced::Updated;
        }
        Ok(Brought {
            done: Done {
                synced,
                id: Some(TargetId::from(id.clone())),
                notes,
            },
            id,
            known,
        })
    }

    /// The company's attachment and the note, where they are still to do; whether either
    /// was written.
    async fn extras(
        &self,
        wanted: &Wanted,
        id: &str,
        entries: &Entries,
        known: &mut Known,
        ticket: &mut Ticket,
    ) -> Result<bool, SyncError> {
        let mut changed = false;
        if let Some(company) = &wanted.company
            && known.company.as_deref() != Some(company.company_id.as_str())
        {
            let company_id = self.companies.id(self, company, entries, ticket).await?;
            self.send(ticket, || {
                self.client.attach_company(self.pacing, id, &company_id)
            })
            .await?;
            known.company = Some(company.company_id.clone());
            self.record(wanted, id, known).await?;
            changed = true;
        }
        if let Some(note) = &wanted.note {
            changed |= self.add_note(wanted, id, note, known, ticket).await?;
        }
        Ok(changed)
    }

    /// The contact `id` went into (its `Link`), or the one its lookup finds: the ledger
    /// rewritten, and what we knew of it forgotten.
    async fn follow(
        &self,
        wanted: &Wanted,
        id: &str,
        known: &mut Known,
        ticket: &mut Ticket,
    ) -> Result<String, SyncError> {
        let into = match self
            .send(ticket, || self.client.contact(self.pacing, id))
            .await?
        {
            Reached::Gone { into: Some(into) } => into,
            Reached::Gone { into: None } | Reached::Done(_) => {
                match self.search(wanted, ticket).await? {
                    Some((found, _)) if found.id != id => found.id,
                    _ => return Err(gone(&wanted.key, id)),
                }
            }
        };
        tracing::info!("a contact was merged into another: following it");
        *known = Known {
            fields: Fields::default(),
            ..Known::default()
        };
        known.note_unknown(wanted);
        self.record(wanted, &into, known).await?;
        Ok(into)
    }

    async fn send<T, F, Fut>(&self, ticket: &mut Ticket, request: F) -> Result<T, SyncError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, TargetError>>,
    {
        Ok(self.pacing.send(ticket, request).await?)
    }

    async fn record(&self, wanted: &Wanted, id: &str, known: &Known) -> Result<(), SyncError> {
        self.ledger
            .record(
                &wanted.key,
                &TargetId::from(id.to_owned()),
                &known.json(),
                None,
            )
            .await?;
        Ok(())
    }

    /// The contact's id, from a create (a user) or a search first (a lead), and whether we
    /// made it.
    async fn find_or_create(
        &self,
        wanted: &Wanted,
        entry: Option<&Entry>,
        known: &mut Known,
        notes: &mut Vec<Warning>,
        ticket: &mut Ticket,
    ) -> Result<(String, Synced), SyncError> {
        let sent_before = entry.is_some_and(|e| e.create_sent);
        if wanted.role == Role::Lead || sent_before || wanted.guards_external_id() {
            match self.search(wanted, ticket).await? {
                // A user's row never takes a lead for it: "prefer the user" (the lead
                // stays, named on the row).
                Some((found, rest)) if wanted.role == Role::User && found.role == Role::Lead => {
                    notes.push(leads_too(&found, &rest));
                }
                Some(found) => {
                    return self
                        .adopt(wanted, found, sent_before, known, notes, ticket)
                        .await;
                }
                None if sent_before && wanted.role == Role::Lead => {
                    // A create went out and its answer was lost: it may be in the workspace
                    // and not in the search yet.
                    let age = crate::store::now().saturating_sub(entry.map_or(0, |e| e.updated_at));
                    if (age as u64) < self.search_lag.as_secs() {
                        return Err(SyncError::Halt(Halt::Stopped(lead_unconfirmed(
                            self.search_lag,
                        ))));
                    }
                }
                None => {}
            }
        }
        // A user with an e-mail and an external id is created by the e-mail alone, so that
        // the 409 guards it, and given the external id after: the search before it may lag
        // behind a user someone made minutes ago, and e-mail + a new external id would make
        // a second one [help 5053685].
        let guarded = wanted.guards_external_id();
        let body = ContactRequest {
            role: Some(wanted.role),
            email: wanted.email.clone(),
            phone: wanted.fields.phone.clone(),
            name: wanted.fields.name.clone(),
            external_id: if guarded {
                None
            } else {
                wanted.external_id.clone()
            },
            custom_attributes: wanted.fields.attributes.clone(),
        };
        self.ledger.create_sent(&wanted.key).await?;
        // Whether the create itself may have been applied unanswered: only its own attempts
        // count, not an earlier request of the piece.
        let earlier = std::mem::take(&mut ticket.ambiguous);
        let (created, phone_dropped) = match wanted.role {
            Role::User => self.create_user(&body, notes, ticket).await?,
            Role::Lead => (self.create_lead(&body, ticket).await?, false),
        };
        let ours = ticket.ambiguous || sent_before;
        ticket.ambiguous |= earlier;
        let (id, synced) = match created {
            Created::New(contact) => {
                known.fields = Known::of(&contact, &wanted.fields);
                known.fields.attributes = wanted.fields.attributes.clone();
                (contact.id, Synced::Created)
            }
            Created::Exists { id, archived } => {
                let id = match id {
                    Some(id) => id,
                    None => match self.search_lagging(wanted, ticket).await? {
                        Some(found) => found.id,
                        None => {
                            return Err(SyncError::Halt(Halt::Stopped(lead_unconfirmed(
                                self.search_lag,
                            ))));
                        }
                    },
                };
                // Our own create, when an attempt of it (this run's or a run cut off) may
                // have been applied: then the body we sent is what it holds. Another's
                // gets the fields written, and its notes looked at before ours is added.
                if ours {
                    known.fields = wanted.fields.clone();
                } else {
                    self.ledger.not_created(&wanted.key).await?;
                    known.note_unknown(wanted);
                }
                if archived {
                    self.revive(wanted, &id, known, ticket).await?;
                }
                (
                    id,
                    if ours {
                        Synced::Created
                    } else {
                        Synced::Updated
                    },
                )
            }
        };
        if phone_dropped {
            // Refused once: not sent again by the edit that follows.
            known.fields.phone = wanted.fields.phone.clone();
        }
        self.record(wanted, &id, known).await?;
        if guarded && synced == Synced::Created {
            self.give_external_id(wanted, &id, notes, ticket).await?;
        }
        Ok((id, synced))
    }

    /// `PUT` of the external id on a user just created by its e-mail: a refusal (another
    /// user has it) is said on the row and changes nothing else.
    async fn give_external_id(
        &self,
        wanted: &Wanted,
        id: &str,
        notes: &mut Vec<Warning>,
        ticket: &mut Ticket,
    ) -> Result<(), SyncError> {
        let update = ContactRequest {
            external_id: wanted.external_id.clone(),
            ..Default::default()
        };
        match self
            .send(ticket, || self.client.update(self.pacing, id, &update))
            .await
        {
            Ok(_) => Ok(()),
            Err(SyncError::Halt(Halt::Failed(error))) => {
                tracing::warn!(%error, "Intercom refused a user's external id");
                notes.push(external_id_refused(
                    wanted.external_id.as_deref().unwrap_or_default(),
                ));
                Ok(())
            }
            Err(other) => Err(other),
        }
    }

    /// `POST /contacts` for a user: retried freely, as a repeat is answered by the 409. A
    /// refused phone is dropped (said on the row, and reported back so it is not sent again).
    async fn create_user(
        &self,
        body: &ContactRequest,
        notes: &mut Vec<Warning>,
        ticket: &mut Ticket,
    ) -> Result<(Created, bool), SyncError> {
        match self
            .send(ticket, || self.client.create(self.pacing, body))
            .await
        {
            Err(error) if body.phone.is_some() && phone_refused(&error) => {
                notes.push(phone_dropped(body.phone.as_deref().unwrap_or_default()));
                let body = ContactRequest {
                    phone: None,
                    ..body.clone()
                };
                let created = self
                    .send(ticket, || self.client.create(self.pacing, &body))
                    .await?;
                Ok((created, true))
            }
            other => Ok((other?, false)),
        }
    }

    /// `POST /contacts` for a lead, not sent again after an attempt that may have been
    /// applied (no answer, a 5xx): a repeat would be a second lead. The ledger keeps
    /// `create_sent`; the next run looks for it. A throttled attempt was not applied and
    /// is sent again. A refused phone fails the row: a lead is found by its phone, and one
    /// made without it could not be found again.
    async fn create_lead(
        &self,
        body: &ContactRequest,
        ticket: &mut Ticket,
    ) -> Result<Created, SyncError> {
        let guard = Once::default();
        let created = self
            .send(ticket, || {
                guard.attempt(self.client.create(self.pacing, body))
            })
            .await?;
        created.ok_or_else(|| SyncError::Halt(Halt::Stopped(lead_unconfirmed(self.search_lag))))
    }

    /// A contact the workspace had: its id recorded, an archived one revived or reported,
    /// the others a search found named on the row.
    async fn adopt(
        &self,
        wanted: &Wanted,
        found: (Contact, Vec<Contact>),
        ours: bool,
        known: &mut Known,
        notes: &mut Vec<Warning>,
        ticket: &mut Ticket,
    ) -> Result<(String, Synced), SyncError> {
        let (contact, rest) = found;
        if wanted.external_id.is_some() && contact.external_id != wanted.external_id {
            notes.push(other_external_id(&contact));
        }
        if !rest.is_empty() {
            let ids: Vec<String> = rest.iter().map(|c| c.id.clone()).collect();
            let chosen = contact.id.clone();
            notes.push(Warning::Target(said(|lang| match lang {
                Lang::Ru => format!(
                    "в Intercom несколько контактов с этими данными: взят {chosen}, ещё {}",
                    ids.join(", ")
                ),
                Lang::En => format!(
                    "Intercom has several contacts with these details: took {chosen}; also {}",
                    ids.join(", ")
                ),
            })));
        }
        known.fields = Known::of(&contact, &wanted.fields);
        if !ours {
            known.note_unknown(wanted);
        }
        if contact.archived {
            self.revive(wanted, &contact.id, known, ticket).await?;
        }
        self.record(wanted, &contact.id, known).await?;
        // Our own create whose answer was lost, found once the search showed it; else
        // updated only if a write follows.
        let synced = if ours {
            Synced::Created
        } else {
            Synced::Unchanged
        };
        Ok((contact.id, synced))
    }

    /// An archived contact: "revive (unarchive) or report, never create around them". One
    /// left archived is recorded so: the next run reports it again without a create, or
    /// revives it when asked.
    async fn revive(
        &self,
        wanted: &Wanted,
        id: &str,
        known: &mut Known,
        ticket: &mut Ticket,
    ) -> Result<(), SyncError> {
        if !self.unarchive {
            known.archived = true;
            self.record(wanted, id, known).await?;
            return Err(refused(format!(
                "{} is archived in Intercom (contact {id}): run again with --unarchive to \
                 revive it (also if you unarchived it there since)",
                wanted.key
            )));
        }
        self.send(ticket, || self.client.unarchive(self.pacing, id))
            .await?;
        known.archived = false;
        self.record(wanted, id, known).await
    }

    /// The contact by its lookup: the user over a lead, then the oldest.
    async fn search(
        &self,
        wanted: &Wanted,
        ticket: &mut Ticket,
    ) -> Result<Option<(Contact, Vec<Contact>)>, SyncError> {
        let found = self
            .send(ticket, || {
                self.client.search(self.pacing, wanted.lookup.clone())
            })
            .await?;
        Ok(api::pick(found, wanted.external_id.as_deref()))
    }

    /// A contact the workspace says exists (a 409 without its id): the search may not show
    /// it yet, so it is asked again after 1, 2 and 4 s.
    async fn search_lagging(
        &self,
        wanted: &Wanted,
        ticket: &mut Ticket,
    ) -> Result<Option<Contact>, SyncError> {
        for pause in [0, 1, 2, 4] {
            tokio::time::sleep(Duration::from_secs(pause)).await;
            // The 409 is about a user: a lead with the e-mail is not it.
            if let Some((found, _)) = self.search(wanted, ticket).await?
                && found.role == Role::User
            {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// `PUT` of what differs; a merged contact's 410 is followed to the one it went into
    /// (the ledger rewritten), a refused phone dropped and said.
    async fn update(
        &self,
        wanted: &Wanted,
        mut id: String,
        mut update: ContactRequest,
        known: &mut Known,
        notes: &mut Vec<Warning>,
        ticket: &mut Ticket,
    ) -> Result<String, SyncError> {
        for _ in 0..3 {
            let answer = self
                .send(ticket, || self.client.update(self.pacing, &id, &update))
                .await;
            match answer {
                Ok(Reached::Done(_)) => {
                    known.fields = applied(&known.fields, &update);
                    // Written to: not archived (unarchived in Intercom since, say).
                    known.archived = false;
                    self.record(wanted, &id, known).await?;
                    return Ok(id);
                }
                Ok(Reached::Gone { into }) => {
                    // "follow it and rewrite the ledger"; a 404 names no successor: the
                    // contact is found again by its lookup.
                    let next = match into {
                        Some(into) => into,
                        None => match self.search(wanted, ticket).await? {
                            Some((found, _)) => found.id,
                            None => return Err(gone(&wanted.key, &id)),
                        },
                    };
                    tracing::info!("a contact was merged into another: following it");
                    id = next;
                    // What the merged-into contact holds is not what we knew; the note a
                    // merge moved along is looked for before one is added.
                    known.fields = Fields::default();
                    known.company = None;
                    known.tags.clear();
                    known.note = None;
                    known.note_unknown(wanted);
                    update = edit(&wanted.fields, &known.fields).unwrap_or_default();
                    self.record(wanted, &id, known).await?;
                }
                // Archived since we recorded it (by a teammate, say): revived or reported,
                // as a create's 409 would have it.
                Err(SyncError::Halt(Halt::Failed(error))) if archived_refusal(&error) => {
                    self.revive(wanted, &id, known, ticket).await?;
                }
                Err(SyncError::Halt(Halt::Failed(error)))
                    if update.phone.is_some() && phone_refused(&error) =>
                {
                    notes.push(phone_dropped(update.phone.as_deref().unwrap_or_default()));
                    update.phone = None;
                    if update == ContactRequest::default() {
                        return Ok(id);
                    }
                }
                Err(other) => return Err(other),
            }
        }
        Err(gone(&wanted.key, &id))
    }

    /// Adds the comment as a note once: its digest is recorded before it is sent; a note
    /// sent before whose answer was lost is looked for among the contact's notes.
    async fn add_note(
        &self,
        wanted: &Wanted,
        id: &str,
        note: &str,
        known: &mut Known,
        ticket: &mut Ticket,
    ) -> Result<bool, SyncError> {
        let wanted_digest = digest(note);
        match &known.note {
            Some(state) if state.digest == wanted_digest && state.id.is_some() => {
                return Ok(false);
            }
            Some(state) if state.digest == wanted_digest => {
                let listed = self
                    .send(ticket, || self.client.notes(self.pacing, id))
                    .await?;
                if let Some(found) = listed.iter().find(|n| api::note_is(n, note)) {
                    known.note = Some(NoteState {
                        digest: wanted_digest,
                        id: Some(found.id.clone()),
                    });
                    self.record(wanted, id, known).await?;
                    return Ok(true);
                }
            }
            _ => {}
        }
        known.note = Some(NoteState {
            digest: wanted_digest.clone(),
            id: None,
        });
        self.record(wanted, id, known).await?;
        // Sent once: a retry of a note whose answer was lost would be a second note. A
        // lost answer leaves the digest without an id, which the next run settles.
        let guard = Once::default();
        let body = api::note_body(note);
        let added = self
            .send(ticket, || {
                guard.attempt(self.client.add_note(self.pacing, id, body.clone()))
            })
            .await?;
        let Some(added) = added else {
            return Err(SyncError::Halt(Halt::Stopped(note_unconfirmed())));
        };
        known.note = Some(NoteState {
            digest: wanted_digest,
            id: Some(added.id),
        });
        self.record(wanted, id, known).await?;
        Ok(true)
    }
}

/// Intercom refused the external id given to a user just created (another user has it).
fn external_id_refused(external_id: &str) -> Warning {
    let external_id = external_id.to_owned();
    Warning::Target(said(move |lang| match lang {
        Lang::Ru => format!(
            "Intercom не принял внешний ID {external_id} (он уже у другого пользователя?): \
             пользователь создан без него"
        ),
        Lang::En => format!(
            "Intercom refused the external id {external_id} (another user has it?): the user \
             is made without it"
        ),
    }))
}

/// The row's user is not the lead (or leads) Intercom has with its e-mail.
fn leads_too(lead: &Contact, rest: &[Contact]) -> Warning {
    let ids: Vec<String> = std::iter::once(lead)
        .chain(rest)
        .map(|c| c.id.clone())
        .collect();
    let ids = ids.join(", ");
    Warning::Target(said(move |lang| match lang {
        Lang::Ru => format!(
            "в Intercom есть лид с этим адресом ({ids}): создан пользователь, лид остался — \
             объедините их в Intercom, если это один человек"
        ),
        Lang::En => format!(
            "Intercom has a lead with this e-mail ({ids}): the user is made and the lead \
             stays; merge them in Intercom if they are one person"
        ),
    }))
}

/// The user Intercom has under the e-mail has no or another external id: ours is not
/// sent, so that no second user is made.
fn other_external_id(contact: &Contact) -> Warning {
    let theirs = contact.external_id.clone().unwrap_or_default();
    Warning::Target(said(move |lang| match (lang, theirs.is_empty()) {
        (Lang::Ru, true) => "в Intercom у этого адреса нет внешнего ID: он не изменён, \
                             чтобы не появился второй пользователь"
            .to_owned(),
        (Lang::Ru, false) => format!(
            "в Intercom у этого адреса внешний ID {theirs}: он не изменён, чтобы не появился \
             второй пользователь"
        ),
        (Lang::En, true) => "Intercom has this e-mail with no external id: it is left so, \
                             lest a second user be made"
            .to_owned(),
        (Lang::En, false) => format!(
            "Intercom has this e-mail with the external id {theirs}: it is left so, lest a \
             second user be made"
        ),
    }))
}

/// Whether Intercom refused the request for its phone ("With the workspace's phone
/// validation on … an invalid number fails the request; error shape **assumed** 400
/// `parameter_invalid`").
fn phone_refused(error: &impl std::fmt::Display) -> bool {
    let text = error.to_string().to_lowercase();
    text.contains("parameter_invalid") && text.contains("phone")
}

/// A request sent again only while no attempt of it may have been applied: after no answer
/// or a 5xx its next attempt answers `None` instead of sending (a note or a lead sent twice
/// is a second one); a throttled attempt was refused unapplied and is sent again.
#[derive(Debug, Default)]
struct Once(std::sync::atomic::AtomicBool);

impl Once {
    async fn attempt<T>(
        &self,
        request: impl Future<Output = Result<T, TargetError>>,
    ) -> Result<Option<T>, TargetError> {
        use std::sync::atomic::Ordering::SeqCst;
        if self.0.load(SeqCst) {
            return Ok(None);
        }
        let answer = request.await;
        if let Err(TargetError::NoAnswer(_) | TargetError::Server { .. }) = &answer {
            self.0.store(true, SeqCst);
        }
        answer.map(Some)
    }
}

/// Whether Intercom refused a write to a contact because it is archived (not in the spec;
/// the sandbox answers 400 "unarchive it first").
fn archived_refusal(error: &TargetError) -> bool {
    matches!(error, TargetError::Rejected { status: 400, message }
        if message.to_lowercase().contains("archived"))
}

fn phone_dropped(phone: &str) -> Warning {
    let phone = phone.to_owned();
    Warning::Target(said(move |lang| match lang {
        Lang::Ru => format!(
            "Intercom не принял номер {phone} (включена проверка номеров): контакт загружен без \
             телефона"
        ),
        Lang::En => format!(
            "Intercom refused the number {phone} (phone validation is on): the contact is \
             loaded without it"
        ),
    }))
}

fn gone(key: &str, id: &str) -> SyncError {
    refused(format!(
        "the Intercom contact {id} ({key}) is gone and no other was found: was it deleted?"
    ))
}

/// Why a lead stays pending: its create may have been applied, and the search cannot say
/// yet.
fn lead_unconfirmed(lag: Duration) -> String {
    format!(
        "Intercom did not confirm the contact's creation, and its search shows new contacts \
         only after a delay: run again in {} min, and it is checked before anything is sent",
        lag.as_secs().div_ceil(60).max(1)
    )
}

fn note_unconfirmed() -> String {
    "Intercom did not confirm the note: the next run checks the contact's notes before adding \
     it"
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_differs_is_written() {
        let want = Fields {
            name: Some("Anna".into()),
            phone: Some("+79991234567".into()),
            attributes: BTreeMap::from([("job_title".into(), Value::from("CEO"))]),
        };
        assert_eq!(edit(&want, &want), None);
        let have = Fields {
            name: Some("Anna".into()),
            ..Default::default()
        };
        let update = edit(&want, &have).unwrap();
        assert_eq!(update.name, None);
        assert_eq!(update.phone.as_deref(), Some("+79991234567"));
        assert_eq!(update.custom_attributes.len(), 1);
        assert_eq!(applied(&have, &update), want);
        // An empty cell erases nothing.
        assert_eq!(edit(&Fields::default(), &want), None);
    }
}
