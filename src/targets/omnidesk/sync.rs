//! Bringing one person — a linked cluster of profiles, one per identifier — into Omnidesk with
//! the fewest requests, exactly once.
//!
//! Each profile's ledger entry says what the account holds as far as we know. A profile we
//! know is only edited where it differs (no read); one we do not know is created with
//! everything in the body, or looked up first when that pays (`cost::search_first`). The
//! duplicate answer carries no id (**assumed**, `api::DuplicateAnswer`): the profile is then
//! found by a search (e-mail, phone) or, for a messenger id the API cannot search, among the
//! users created since the create was sent. The others are linked to the first, once.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::api::{self, Assumptions, NoteUpdate, User, UserFields};
use super::client::{Created, Omnidesk};
use crate::pacing::{Halt, Pacing, TargetError, Ticket};
use crate::store::{Entry, StoreError};
use crate::targets::{AccountLedger, Done, Entries, SyncError, Synced, TargetId};

/// What one profile's data should be; an empty cell never erases what the account has.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fields {
    pub name: Option<String>,
    pub company: Option<String>,
    pub position: Option<String>,
    /// The row's comment: `user_note`.
    pub note: Option<String>,
    /// Tags, kept in the tags' data field as a list.
    pub tags: BTreeSet<String>,
    /// Other data fields: `cf_<id>` → value.
    #[serde(default)]
    pub custom: BTreeMap<String, serde_json::Value>,
}

/// One profile of the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The ledger's key: the contact's normalised key.
    pub key: String,
    /// The identifier's request field (`user_email`, `user_telegram`, …) and value.
    pub field: &'static str,
    pub value: String,
    /// The e-mail as the list wrote it (`Ivan@Mail.ru` for `ivan@mail.ru`), in an account
    /// whose search tells case apart (`EmailCase::Sensitive`): the account may hold it so,
    /// and only a search in that spelling finds it.
    pub spelling: Option<String>,
    pub fields: Fields,
}

/// What shapes a person's requests besides the person: the tags' field, and the assumed
/// points the account plays otherwise (`rules::Settings::plays`).
#[derive(Debug, Clone, Default)]
pub struct Account {
    /// `cf_<id>` of the tags' field, when the run has one.
    pub tags_key: Option<String>,
    pub plays: Assumptions,
}

/// What a person should be: their profiles, the first the one the others link to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    pub members: Vec<Member>,
    /// Look identifiers up before creating them.
    pub search_first: bool,
}

/// What the account holds of one profile, as far as we know: the ledger's `applied`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Known {
    pub fields: Fields,
    /// The profile it is linked to (the person's first).
    pub linked_to: Option<u64>,
    /// The note the account held before our comment went in, kept in front of it when the
    /// comment changes; none when the note is all ours (a profile we created). Written even
    /// when none: an entry without it is from before it was kept (`from_entry`).
    #[serde(default)]
    pub their_note: Option<String>,
    /// A note append went out and whether it was applied is not known (the run was cut
    /// off): the profile is read before anything else is sent, since an append sent twice
    /// doubles the comment.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub appending: bool,
}

impl Known {
    fn from_entry(entry: Option<&Entry>) -> Option<Known> {
        let entry = entry?;
        let json: serde_json::Value = serde_json::from_str(entry.applied.as_deref()?).ok()?;
        let before_their_note = json.get("their_note").is_none();
        let mut known: Known = serde_json::from_value(json).ok()?;
        if before_their_note {
            // Then a user found in the account had the comment appended to its note, and
            // the ledger cannot tell it from one we created (`create_sent` stays on both):
            // all of the note counts as the account's, so that nothing of theirs is ever
            // sent away (at worst an old comment of ours stays in front of a new one).
            known.their_note = known.fields.note.clone();
        }
        Some(known)
    }

    /// What a profile read from the account holds. Its note is the account's own, unless
    /// it is just the comment `member` is created with: then a create of ours wrote it (an
    /// attempt whose answer was lost, in this run or one cut off), and a changed comment
    /// replaces it.
    fn of(user: &User, member: &Member, tags_key: Option<&str>) -> Known {
        let text = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        Known {
            their_note: text(&user.user_note)
                .filter(|note| plain(Some(note)) != plain(member.fields.note.as_deref())),
            appending: false,
            fields: Fields {
                name: text(&user.user_full_name),
                company: text(&user.company_name),
                position: text(&user.company_position),
                note: text(&user.user_note),
                tags: tags_key
                    .and_then(|key| user.custom_fields.get(key))
                    .and_then(|v| v.as_str())
                    .map(split_tags)
                    .unwrap_or_default(),
                custom: user
                    .custom_fields
                    .iter()
                    .filter(|(key, _)| Some(key.as_str()) != tags_key)
                    .map(|(key, value)| (key.clone(), value.clone()))
                    .collect(),
            },
            linked_to: None,
        }
    }
}

/// The tags' field holds them joined by ", ".
fn split_tags(text: &str) -> BTreeSet<String> {
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

fn join_tags(tags: &BTreeSet<String>) -> String {
    tags.iter().cloned().collect::<Vec<_>>().join(", ")
}

/// The edit that brings `have` to `want`, if any, and what the profile then holds. The
/// account's own note is kept and the comment put after it ("Merging an imported comment
/// with an existing note is the loader's decision"); a comment of ours that changed is
/// replaced. An account whose `PUT` appends to the note (`NoteUpdate::Appends`) is sent the
/// comment alone, and keeps what it had before it. Tags are added, never taken away.
fn edit(want: &Fields, have: &Known, account: &Account) -> Option<(UserFields, Fields)> {
    let mut update = UserFields::default();
    let mut after = have.fields.clone();
    let (their_note, have) = (have.their_note.as_deref(), &have.fields);
    let differs = |w: &Option<String>, h: &Option<String>| {
        w.as_ref().filter(|w| Some(*w) != h.as_ref()).cloned()
    };
    if let Some(name) = differs(&want.name, &have.name) {
        update.user_full_name = Some(name.clone());
        after.name = Some(name);
    }
    if let Some(company) = differs(&want.company, &have.company) {
        update.company_name = Some(company.clone());
        after.company = Some(company);
    }
    if let Some(position) = differs(&want.position, &have.position) {
        update.company_position = Some(position.clone());
        after.position = Some(position);
    }
    if let Some(comment) = &want.note {
        let note = have.note.as_deref();
        let (sent, kept) = match account.plays.note_update {
            NoteUpdate::Appends => match note {
                Some(note) if note.contains(comment.as_str()) => (None, None),
                Some(note) => (Some(comment.clone()), Some(format!("{note}\n{comment}"))),
                None => (Some(comment.clone()), Some(comment.clone())),
            },
            NoteUpdate::Replaces => {
                let whole = match their_note {
                    Some(theirs) if theirs.contains(comment.as_str()) => theirs.to_owned(),
                    Some(theirs) => format!("{theirs}\n{comment}"),
                    None => comment.clone(),
                };
                if note == Some(whole.as_str()) {
                    (None, None)
                } else {
                    (Some(whole.clone()), Some(whole))
                }
            }
        };
        if let Some(sent) = sent {
            update.user_note = Some(sent);
            after.note = kept;
        }
    }
    for (key, value) in &want.custom {
        if have.custom.get(key) != Some(value) {
            update.custom_fields.insert(key.clone(), value.clone());
            after.custom.insert(key.clone(), value.clone());
        }
    }
    if let Some(key) = account.tags_key.as_deref()
        && !want.tags.is_subset(&have.tags)
    {
        after.tags.extend(want.tags.iter().cloned());
        update
            .custom_fields
            .insert(key.to_owned(), join_tags(&after.tags).into());
    }
    (update != UserFields::default()).then_some((update, after))
}

impl Member {
    /// A digest of what this profile should be, linked to `root`: equal digests, nothing
    /// to do.
    pub fn fingerprint(&self, root: Option<&str>) -> String {
        let json = serde_json::to_vec(&(self.field, &self.value, &self.fields, root))
            .expect("plain data serialises");
        let digest = Sha256::digest(&json);
        digest[..12].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The create: the identifier and everything else in one body.
    fn create_body(&self, tags_key: Option<&str>) -> UserFields {
        let mut custom_fields = self.fields.custom.clone();
        if let Some(key) = tags_key
            && !self.fields.tags.is_empty()
        {
            custom_fields.insert(key.to_owned(), join_tags(&self.fields.tags).into());
        }
        UserFields {
            identifiers: BTreeMap::from([(self.field.to_owned(), self.value.clone())]),
            user_full_name: self.fields.name.clone(),
            company_name: self.fields.company.clone(),
            company_position: self.fields.position.clone(),
            user_note: self.fields.note.clone(),
            custom_fields,
            ..UserFields::default()
        }
    }

    fn searchable(&self) -> bool {
        self.field == api::EMAIL_FIELD || self.field == api::PHONE_FIELD
    }

    /// The searches before a create (`Lookup::BeforeCreate`): the value when the account is
    /// searched first, and the e-mail's own spelling, which a case-sensitive account's
    /// duplicate check would not catch on the create.
    fn searches_first(&self, search_first: bool) -> u64 {
        if !self.searchable() {
            0
        } else {
            u64::from(self.spelling.is_some()) + u64::from(search_first)
        }
    }

    /// Whether a user found in the account is this profile: e-mails compared ignoring case
    /// (server-side case handling **assumed**), phones by their digits (stored format
    /// **assumed** as sent).
    fn is(&self, user: &User) -> bool {
        let Some(stored) = user.identifier(self.field) else {
            return false;
        };
        match self.field {
            api::EMAIL_FIELD => {
                let stored = stored.trim();
                stored.eq_ignore_ascii_case(&self.value) || Some(stored) == self.spelling.as_deref()
            }
            api::PHONE_FIELD => digits(stored) == digits(&self.value),
            _ => stored.trim() == self.value,
        }
    }
}

/// Whether a profile the ledger knows is read before it is edited: when an append may be
/// out, or when its note is about to be replaced whole — someone may have written in it
/// since our write, and what they wrote must stay.
fn reads_first(member: &Member, known: &Known, account: &Account) -> bool {
    known.appending
        || (account.plays.note_update == NoteUpdate::Replaces
            && edit(&member.fields, known, account).is_some_and(|(u, _)| u.user_note.is_some()))
}

/// The account's part of a note read again before ours in it is replaced. A note as the
/// ledger left it, or as our last edit would have left it (one that landed unrecorded),
/// keeps the part we knew; text written after ours joins the account's part (our comment
/// in between is still ours, and goes); any other change makes all of it the account's.
fn their_part(
    read: Option<&str>,
    known: &Known,
    member: &Member,
    account: &Account,
) -> Option<String> {
    let landed = edit(&member.fields, known, account).and_then(|(_, after)| after.note);
    // Emptied in the account: nothing of theirs is left to keep.
    let read = plain(read)?;
    // The longer of the two where both start it: either may be the start of the other.
    let since = [
        plain(landed.as_deref()),
        plain(known.fields.note.as_deref()),
    ]
    .into_iter()
    .flatten()
    .filter_map(|ours| {
        let since = read.strip_prefix(ours.as_str())?;
        (since.is_empty() || since.starts_with('\n')).then_some(since)
    })
    .min_by_key(|since| since.len());
    let Some(since) = since.map(str::trim) else {
        return Some(read);
    };
    match (known.their_note.as_deref(), since.is_empty()) {
        (theirs, true) => theirs.map(str::to_owned),
        (Some(theirs), false) => Some(format!("{theirs}\n{since}")),
        (None, false) => Some(since.to_owned()),
    }
}

/// A note as notes are compared: without the spaces around it, and with one kind of line
/// end, as an account may store either as it likes.
fn plain(text: Option<&str>) -> Option<String> {
    text.map(|t| t.trim().replace("\r\n", "\n"))
}

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// Requests a person is expected to need, from the ledger: 0 when every profile is done and
/// unchanged.
pub fn expected(wanted: &Wanted, entries: &Entries, account: &Account) -> u64 {
    let root = wanted.members.first().map(|m| m.key.as_str());
    wanted
        .members
        .iter()
        .enumerate()
        .map(|(i, member)| {
            let root = (i > 0).then_some(root).flatten();
            let entry = entries.get(&member.key);
            if entry.and_then(|e| e.done.as_deref()) == Some(member.fingerprint(root).as_str()) {
                return 0;
            }
            let link = u64::from(root.is_some());
            match (user_id(entry), Known::from_entry(entry)) {
                (Some(_), Some(known)) => {
                    // The read first, where it is needed (and an append cut off that went
                    // through is then not sent again: one more than it costs).
                    u64::from(reads_first(member, &known, account))
                        + u64::from(edit(&member.fields, &known, account).is_some())
                        + link * u64::from(known.linked_to.is_none())
                }
                // A new profile: its create (and its lookups first, when that is the way).
                _ => 1 + member.searches_first(wanted.search_first) + link,
            }
        })
        .sum()
}

fn user_id(entry: Option<&Entry>) -> Option<u64> {
    entry?.target_id.as_ref()?.as_str().parse().ok()
}

/// The results of a person done and unchanged, from the ledger.
pub fn settled(wanted: &Wanted, entries: &Entries, ledger: &AccountLedger<'_>) -> Vec<Done> {
    wanted
        .members
        .iter()
        .map(|member| {
            let entry = entries.get(&member.key);
            Done {
                synced: if ledger.created_by_this_run(entry) {
                    Synced::Created
                } else {
                    Synced::Unchanged
                },
                id: entry.and_then(|e| e.target_id.clone()),
                notes: Vec::new(),
            }
        })
        .collect()
}

/// Where a person goes: the account and its ledger.
pub struct Sync<'a> {
    pub client: &'a Omnidesk,
    pub pacing: &'a Pacing,
    pub ledger: &'a AccountLedger<'a>,
    pub account: &'a Account,
}

/// One profile brought in, before its link.
struct Brought {
    id: u64,
    known: Known,
    /// The profiles it was seen linked to.
    linked_users: Vec<u64>,
    created: bool,
    changed: bool,
}

impl Sync<'_> {
    /// Applies `wanted`, recording every step in the ledger before the next: one result per
    /// profile, in its order.
    pub async fn person(
        &self,
        wanted: &Wanted,
        entries: &Entries,
        ticket: &mut Ticket,
    ) -> Result<Vec<Done>, SyncError> {
        let mut results = Vec::with_capacity(wanted.members.len());
        let mut root_id = None;
        for (i, member) in wanted.members.iter().enumerate() {
            let root = (i > 0).then(|| wanted.members[0].key.as_str());
            let entry = entries.get(&member.key);
            let fingerprint = member.fingerprint(root);
            if let Some(id) = user_id(entry)
                && entry.and_then(|e| e.done.as_deref()) == Some(fingerprint.as_str())
            {
                results.push(Done {
                    synced: if self.ledger.created_by_this_run(entry) {
                        Synced::Created
                    } else {
                        Synced::Unchanged
                    },
                    id: Some(TargetId::from(id)),
                    notes: Vec::new(),
                });
                root_id = root_id.or(Some(id));
                continue;
            }
            let mut brought = self
                .bring(member, entry, wanted.search_first, ticket)
                .await?;
            if let Some(root_id) = root_id
                && root.is_some()
            {
                // "Check `linked_users` first and skip the call when the pair is already
                // linked."
                if brought.known.linked_to != Some(root_id)
                    && !brought.linked_users.contains(&root_id)
                {
                    self.link(brought.id, root_id, ticket).await?;
                    brought.changed = true;
                }
                brought.known.linked_to = Some(root_id);
            }
            self.record(member, brought.id, &brought.known, Some(&fingerprint))
                .await?;
            results.push(Done {
                synced: match (brought.created, brought.changed) {
                    (true, _) => Synced::Created,
                    (false, true) => Synced::Updated,
                    (false, false) => Synced::Unchanged,
                },
                id: Some(TargetId::from(brought.id)),
                notes: Vec::new(),
            });
            root_id = root_id.or(Some(brought.id));
        }
        Ok(results)
    }

    /// One profile: edited where the ledger knows it, else found or created.
    async fn bring(
        &self,
        member: &Member,
        entry: Option<&Entry>,
        search_first: bool,
        ticket: &mut Ticket,
    ) -> Result<Brought, SyncError> {
        let mut created = self.ledger.created_by_this_run(entry);
        if let (Some(id), Some(mut known)) = (user_id(entry), Known::from_entry(entry)) {
            if reads_first(member, &known, self.account) {
                let user = self
                    .pacing
                    .send(ticket, || self.client.user(self.pacing, id))
                    .await?;
                let read = Known::of(&user, member, self.account.tags_key.as_deref());
                if !known.appending {
                    known.their_note =
                        their_part(read.fields.note.as_deref(), &known, member, self.account);
                }
                known.fields = read.fields;
                known.appending = false;
                // Before the edit: were it to land unrecorded, the next read would know it
                // by this.
                self.record(member, id, &known, None).await?;
            }
            let changed = self.send_edit(member, id, &mut known, ticket).await?;
            return Ok(Brought {
                id,
                known,
                linked_users: Vec::new(),
                created,
                changed,
            });
        }
        let found = if member.searches_first(search_first) > 0 {
            let before = Lookup::BeforeCreate {
                value_too: search_first,
            };
            self.lookup(member, before, ticket).await?
        } else {
            None
        };
        let user = match found {
            Some(user) => Some(user),
            None => {
                self.ledger.create_sent(&member.key).await?;
                // A minute's slack for the two clocks, when the users created since are read.
                let sent_at = crate::store::now() - 60;
                let body = member.create_body(self.account.tags_key.as_deref());
                // Whether the create itself may have been applied unanswered: only its own
                // attempts count, not an earlier request of the person.
                let earlier = std::mem::take(&mut ticket.ambiguous);
                let answer = self
                    .pacing
                    .send(ticket, || self.client.create(self.pacing, &body))
                    .await;
                let maybe_applied = ticket.ambiguous;
                ticket.ambiguous |= earlier;
                match answer? {
                    Created::New(user) => {
                        created = true;
                        let known = Known {
                            fields: member.fields.clone(),
                            ..Known::default()
                        };
                        self.record(member, user.user_id, &known, None).await?;
                        return Ok(Brought {
                            id: user.user_id,
                            known,
                            linked_users: user.linked_users,
                            created,
                            changed: false,
                        });
                    }
                    Created::Exists { user_id } => {
                        // Ours if an earlier attempt of this create may have gone through,
                        // in this run or in one that was cut off.
                        created = maybe_applied || entry.is_some_and(|e| e.create_sent);
                        let since = match entry {
                            Some(e) if e.create_sent => e.updated_at - 60,
                            _ => sent_at,
                        };
                        let user = match user_id {
                            Some(id) => Some(
                                self.pacing
                                    .send(ticket, || self.client.user(self.pacing, id))
                                    .await?,
                            ),
                            None => self.lookup_lagging(member, since, ticket).await?,
                        };
                        if !created {
                            self.ledger.not_created(&member.key).await?;
                        }
                        Some(user.ok_or_else(|| {
                            failed(format!(
                                "Omnidesk says {} exists, and no user with it can be found",
                                member.value
                            ))
                        })?)
                    }
                }
            }
        };
        let user = user.expect("found or created above");
        if user.is_deleted() {
            // "A duplicate error may point at a deleted user — the loader reports it rather
            // than silently restoring."
            return Err(failed(format!(
                "{} belongs to a deleted Omnidesk user ({}): restore the user in Omnidesk, or \
                 delete it for good, and run again",
                member.value, user.user_id
            ))
            .into());
        }
        let id = user.user_id;
        let mut known = Known::of(&user, member, self.account.tags_key.as_deref());
        self.record(member, id, &known, None).await?;
        let changed = self.send_edit(member, id, &mut known, ticket).await?;
        Ok(Brought {
            id,
            known,
            linked_users: user.linked_users,
            created,
            changed,
        })
    }

    /// Sends what differs between `known` and what `member` should be, if anything, and
    /// keeps `known` up to date with it.
    async fn send_edit(
        &self,
        member: &Member,
        id: u64,
        known: &mut Known,
        ticket: &mut Ticket,
    ) -> Result<bool, SyncError> {
        let Some((update, after)) = edit(&member.fields, known, self.account) else {
            return Ok(false);
        };
        match (&update.user_note, self.account.plays.note_update) {
            (Some(comment), NoteUpdate::Appends) => {
                // The ledger says an append is out before it goes, for a run cut off
                // meanwhile to read the profile rather than append again.
                known.appending = true;
                self.record(member, id, known, None).await?;
                self.append(id, &update, comment, ticket).await?;
                known.appending = false;
                known.fields = after;
                self.record(member, id, known, None).await?;
            }
            _ => {
                self.pacing
                    .send(ticket, || self.client.update(self.pacing, id, &update))
                    .await?;
                known.fields = after;
            }
        }
        Ok(true)
    }

    /// An edit that appends `comment` to the note, applied once: an attempt that may have
    /// gone through is not repeated before the profile, read, shows the comment missing.
    /// When its attempts are spent, it stays marked as out: the last may still land.
    async fn append(
        &self,
        id: u64,
        update: &UserFields,
        comment: &str,
        ticket: &mut Ticket,
    ) -> Result<(), SyncError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let error = match self
                .pacing
                .send_once(ticket, || self.client.update(self.pacing, id, update))
                .await
            {
                Ok(_) => return Ok(()),
                Err(Halt::Failed(error)) if error.may_be_applied() => error,
                Err(other) => return Err(other.into()),
            };
            let user = self
                .pacing
                .send(ticket, || self.client.user(self.pacing, id))
                .await?;
            if user.user_note.is_some_and(|note| note.contains(comment)) {
                return Ok(());
            }
            if !self.pacing.once_more(attempt).await {
                return Err(Halt::Failed(error).into());
            }
        }
    }

    /// The account's user with this profile's identifier: by a search for an e-mail or a
    /// phone (digits without anchors, compared here: "an exact search only hits the exact
    /// stored string"), else among the users created since the create. A live user before
    /// a deleted one.
    async fn lookup(
        &self,
        member: &Member,
        lookup: Lookup,
        ticket: &mut Ticket,
    ) -> Result<Option<User>, SyncError> {
        let mut matches: Vec<User> = Vec::new();
        if member.searchable() {
            let value = match member.field {
                api::PHONE_FIELD => digits(&member.value),
                _ => member.value.clone(),
            };
            let values: Vec<&String> = match lookup {
                Lookup::BeforeCreate { value_too } => member
                    .spelling
                    .iter()
                    .chain(value_too.then_some(&value))
                    .collect(),
                Lookup::Exists { .. } => vec![&value],
            };
            for value in values {
                let users = self
                    .pacing
                    .send(ticket, || {
                        self.client.search(self.pacing, member.field, value)
                    })
                    .await?;
                matches.extend(users.into_iter().filter(|u| member.is(u)));
                // A deleted user in the list's spelling must not hide a live one.
                if matches.iter().any(|u| !u.is_deleted()) {
                    break;
                }
            }
        } else if let Lookup::Exists { since } = lookup {
            for page in 1..=api::MAX_PAGE {
                let answer = self
                    .pacing
                    .send(ticket, || {
                        self.client.created_since(self.pacing, since, page)
                    })
                    .await?;
                let got = answer.items.len() + answer.unreadable;
                matches.extend(answer.items.into_iter().filter(|u| member.is(u)));
                if !matches.is_empty() || got < api::MAX_LIMIT as usize {
                    break;
                }
            }
        }
        matches.sort_by_key(User::is_deleted);
        Ok(matches.into_iter().next())
    }

    /// Links profile `id` to `root`. "Linking is **assumed** idempotent": an account that
    /// refuses a pair already linked (the retry of a link whose answer was lost) is asked
    /// what it holds, and a link that is there is a link made.
    async fn link(&self, id: u64, root: u64, ticket: &mut Ticket) -> Result<(), SyncError> {
        match self
            .pacing
            .send(ticket, || self.client.link(self.pacing, id, root))
            .await
        {
            Ok(_) => Ok(()),
            Err(refused @ Halt::Failed(TargetError::Rejected { .. })) => {
                let user = self
                    .pacing
                    .send(ticket, || self.client.user(self.pacing, id))
                    .await?;
                if user.linked_users.contains(&root) {
                    Ok(())
                } else {
                    Err(refused.into())
                }
            }
            Err(other) => Err(other.into()),
        }
    }

    /// `lookup` of a profile the account says it has: "Search reflects a just-created user
    /// at once (**assumed**: no index lag is documented)" — if it does not, a few more
    /// tries, a second, two and four apart, before the row fails.
    async fn lookup_lagging(
        &self,
        member: &Member,
        since: i64,
        ticket: &mut Ticket,
    ) -> Result<Option<User>, SyncError> {
        let exists = Lookup::Exists { since };
        for wait in LOOKUP_WAITS {
            if let Some(user) = self.lookup(member, exists, ticket).await? {
                return Ok(Some(user));
            }
            tokio::time::sleep(wait).await;
        }
        self.lookup(member, exists, ticket).await
    }

    async fn record(
        &self,
        member: &Member,
        id: u64,
        known: &Known,
        done: Option<&str>,
    ) -> Result<(), StoreError> {
        let applied = serde_json::to_string(known).expect("plain data serialises");
        self.ledger
            .record(&member.key, &TargetId::from(id), &applied, done)
            .await
    }
}

/// What a lookup looks for.
#[derive(Debug, Clone, Copy)]
enum Lookup {
    /// Before a create: the list's own spelling of an e-mail, and the value too when the
    /// account is searched first (else a create refused as a duplicate finds it anyway).
    BeforeCreate { value_too: bool },
    /// After a create answered "exists": the value it sent, or, for an identifier search
    /// cannot find, the users created since `since`.
    Exists { since: i64 },
}

/// The waits between lookups of a profile the account says exists and search does not show.
const LOOKUP_WAITS: [std::time::Duration; 3] = [
    std::time::Duration::from_secs(1),
    std::time::Duration::from_secs(2),
    std::time::Duration::from_secs(4),
];

fn failed(message: String) -> Halt {
    Halt::Failed(TargetError::Rejected {
        status: api::DUPLICATE_STATUS,
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(name: &str, note: Option<&str>, tags: &[&str]) -> Fields {
        Fields {
            name: Some(name.to_owned()),
            note: note.map(str::to_owned),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            ..Fields::default()
        }
    }

    fn account(tags_key: Option<&str>, plays: &str) -> Account {
        Account {
            tags_key: tags_key.map(str::to_owned),
            plays: Assumptions::parse(plays).unwrap(),
        }
    }

    /// Anna's e-mail profile, with `comment`.
    fn anna(comment: &str) -> Member {
        Member {
            key: "anna@mail.ru".into(),
            field: api::EMAIL_FIELD,
            value: "anna@mail.ru".into(),
            spelling: None,
            fields: fields("Анна", Some(comment), &[]),
        }
    }

    /// A profile read from the account.
    fn read(fields: Fields) -> Known {
        Known {
            their_note: fields.note.clone(),
            fields,
            ..Known::default()
        }
    }

    /// A profile we created.
    fn ours(fields: Fields) -> Known {
        Known {
            fields,
            ..Known::default()
        }
    }

    #[test]
    fn only_what_differs_is_sent_and_nothing_is_erased() {
        let tags = account(Some("cf_1"), "");
        let have = fields("Анна", Some("старая заметка"), &["vip"]);
        // The same: nothing.
        assert_eq!(edit(&have, &read(have.clone()), &tags), None);
        // An empty cell erases nothing.
        let empty = Fields::default();
        assert_eq!(edit(&empty, &read(have.clone()), &tags), None);
        // A comment the account's note lacks is appended to it; tags are added.
        let want = fields("Анна", Some("звонить вечером"), &["b2b"]);
        let (update, after) = edit(&want, &read(have.clone()), &tags).unwrap();
        assert_eq!(update.user_full_name, None);
        assert_eq!(
            update.user_note.as_deref(),
            Some("старая заметка\nзвонить вечером")
        );
        assert_eq!(update.custom_fields["cf_1"], "b2b, vip");
        assert_eq!(after.tags.len(), 2);
        // Our own note is replaced; a note holding the comment is left alone.
        let plain = account(None, "");
        let (update, _) = edit(&want, &ours(have.clone()), &plain).unwrap();
        assert_eq!(update.user_note.as_deref(), Some("звонить вечером"));
        let holds = fields("Анна", Some("x; звонить вечером"), &[]);
        let comment = fields("Анна", Some("звонить вечером"), &[]);
        assert_eq!(edit(&comment, &read(holds), &plain), None);
    }

    #[test]
    fn a_changed_comment_replaces_ours_and_keeps_the_accounts_note_before_it() {
        let plain = account(None, "");
        let mut known = read(fields("Анна", Some("из CRM"), &[]));
        let first = fields("Анна", Some("звонить вечером"), &[]);
        let (_, after) = edit(&first, &known, &plain).unwrap();
        known.fields = after;
        assert_eq!(edit(&first, &known, &plain), None);
        // The comment edited in the list: the account's part stays, ours is replaced.
        let second = fields("Анна", Some("звонить утром"), &[]);
        let (update, _) = edit(&second, &known, &plain).unwrap();
        assert_eq!(update.user_note.as_deref(), Some("из CRM\nзвонить утром"));
        // A note of ours only, with the new comment inside it, is still replaced.
        let longer = ours(fields("Анна", Some("звонить утром, не днём"), &[]));
        let (update, _) = edit(&second, &longer, &plain).unwrap();
        assert_eq!(update.user_note.as_deref(), Some("звонить утром"));
    }

    #[test]
    fn a_note_is_ours_only_when_it_is_what_our_create_sends() {
        let anna = anna("звонить вечером");
        let user = |note: &str| {
            let mut json = serde_json::json!({"user_id": 7, "user_email": "anna@mail.ru"});
            json["user_note"] = note.into();
            serde_json::from_value::<User>(json).unwrap()
        };
        assert_eq!(
            Known::of(&user("звонить вечером"), &anna, None).their_note,
            None
        );
        assert_eq!(
            Known::of(&user("из CRM"), &anna, None)
                .their_note
                .as_deref(),
            Some("из CRM")
        );
    }

    #[test]
    fn an_entry_written_before_the_accounts_note_was_kept_sends_none_of_it_away() {
        let legacy = r#"{"fields":{"name":"Анна","company":null,"position":null,
            "note":"из CRM\nзвонить вечером","tags":[]},"linked_to":null}"#;
        let entry = |create_sent| Entry {
            target_id: Some(TargetId::from(7)),
            applied: Some(legacy.to_owned()),
            done: None,
            create_sent,
            created_by: None,
            updated_at: 0,
        };
        let plain = account(None, "");
        // Found by a search, or by a create answered "exists" (which leaves `create_sent`
        // on as a create of ours does): the note is the account's, and holds the comment.
        for create_sent in [false, true] {
            let known = Known::from_entry(Some(&entry(create_sent))).unwrap();
            let renamed = fields("Анна Петрова", Some("звонить вечером"), &[]);
            let (update, _) = edit(&renamed, &known, &plain).unwrap();
            assert_eq!(update.user_note, None);
            // A new comment goes after all of it.
            let later = fields("Анна", Some("звонить утром"), &[]);
            let (update, _) = edit(&later, &known, &plain).unwrap();
            assert_eq!(
                update.user_note.as_deref(),
                Some("из CRM\nзвонить вечером\nзвонить утром")
            );
        }
    }

    #[test]
    fn a_note_read_again_keeps_what_the_account_wrote_and_drops_only_our_comment() {
        let plain = account(None, "");
        // The ledger: the account's «из CRM», then our first comment.
        let known = Known {
            their_note: Some("из CRM".into()),
            ..Known::default()
        };
        let known = Known {
            fields: edit(&anna("c1").fields, &known, &plain).unwrap().1,
            ..known
        };
        assert_eq!(known.fields.note.as_deref(), Some("из CRM\nc1"));
        let part =
            |read: Option<&str>, comment: &str| their_part(read, &known, &anna(comment), &plain);
        // As we left it (but for the line ends): the part we knew.
        assert_eq!(part(Some("из CRM\r\nc1 "), "c2").as_deref(), Some("из CRM"));
        // Our edit to c2 landed, unrecorded: still the part we knew.
        assert_eq!(part(Some("из CRM\nc2"), "c2").as_deref(), Some("из CRM"));
        // An agent wrote after our comment: their line joins the account's part.
        assert_eq!(
            part(Some("из CRM\nc1\nпросила скидку"), "c2").as_deref(),
            Some("из CRM\nпросила скидку")
        );
        // Anything else is all theirs; an emptied note has nothing of theirs.
        assert_eq!(
            part(Some("из CRM (VIP)\nc1"), "c2").as_deref(),
            Some("из CRM (VIP)\nc1")
        );
        assert_eq!(
            part(Some("из CRM\nc1x"), "c2").as_deref(),
            Some("из CRM\nc1x")
        );
        assert_eq!(part(None, "c2"), None);
        // Recorded as read, then our edit landed unrecorded: the ledger's note is the start
        // of what we wrote, not the account's.
        let read_only = Known {
            fields: fields("Анна", Some("из CRM"), &[]),
            their_note: Some("из CRM".into()),
            ..Known::default()
        };
        assert_eq!(
            their_part(Some("из CRM\nc1"), &read_only, &anna("c1"), &plain).as_deref(),
            Some("из CRM")
        );
        // A new comment the account's part already holds: our old one, after it, is still
        // ours (and goes), even where the old one begins with the new.
        for old in ["позвонить вечером", "звонить\nвечером"] {
            let known = Known {
                fields: fields("Анна", Some(&format!("из CRM, звонить\n{old}")), &[]),
                their_note: Some("из CRM, звонить".into()),
                ..Known::default()
            };
            let read = known.fields.note.as_deref();
            let theirs = their_part(read, &known, &anna("звонить"), &plain);
            assert_eq!(theirs.as_deref(), Some("из CRM, звонить"), "{old}");
        }
    }

    #[test]
    fn an_account_that_appends_to_notes_is_sent_the_comment_alone() {
        let appends = account(None, "note-appends");
        let have = fields("Анна", Some("старая заметка"), &[]);
        let want = fields("Анна", Some("звонить вечером"), &[]);
        for known in [read(have.clone()), ours(have.clone())] {
            let (update, after) = edit(&want, &known, &appends).unwrap();
            assert_eq!(update.user_note.as_deref(), Some("звонить вечером"));
            assert_eq!(
                after.note.as_deref(),
                Some("старая заметка\nзвонить вечером")
            );
            // What it then holds has the comment: nothing more to send.
            assert_eq!(
                edit(
                    &want,
                    &Known {
                        fields: after,
                        ..known
                    },
                    &appends
                ),
                None
            );
        }
        // A profile without a note is sent the comment, as anywhere.
        let bare = fields("Анна", None, &[]);
        let (update, after) = edit(&want, &read(bare), &appends).unwrap();
        assert_eq!(update.user_note.as_deref(), Some("звонить вечером"));
        assert_eq!(after.note.as_deref(), Some("звонить вечером"));
    }
}
