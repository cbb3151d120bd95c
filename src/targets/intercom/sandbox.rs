//! A local Intercom: the part of the REST API the loader uses (`shared/specs/intercom.md`,
//! via `api.rs`), in memory, at least as strict as the real service is documented to be,
//! and playing whichever reading of each assumed point it is given
//! (`SandboxConfig::assumptions`). Tests run against it with faults injected on purpose;
//! people rehearse a load on it.
//!
//! Beyond the spec, `GET /sandbox/contacts` lists every contact as kept (archived and
//! merged ones too, with their tags, notes and companies), and `GET /sandbox/stats` counts
//! requests by endpoint, the throttled ones, and tag applications that changed nothing
//! ("repeats": a contact tagged twice). Neither needs the token, neither counts as a
//! request.
//!
//! Decisions where no source says what Intercom does (a client must act on `api::classify`,
//! never on these):
//! - A write to an archived contact (`PUT`, notes, tags, companies, merge) is refused with
//!   400 `bad_request` "unarchive it first": the spec's own path for an archived user is
//!   409 → unarchive → `PUT` (cost model), and a 404 would read as "gone" (`ErrorKind::Gone`)
//!   and send a client after a canonical contact that does not exist. `GET` answers, with
//!   `"archived": true`.
//! - Unknown keys in a body are refused (400 `parameter_invalid`) rather than ignored, so a
//!   misspelt field fails here instead of vanishing.
//! - The bulk tag call takes at most `api::TAG_BATCH` (100) contacts under every variant
//!   but `BulkTag::FiftyAtMost` (50): the spec's "assumed ≤ 100", enforced. An unknown,
//!   merged or archived contact in it comes back `"tagged": false`.
//! - Search compares e-mails case-insensitively, other text exactly, and `~ !~ ^ $`
//!   case-insensitively; its cursor is an opaque offset. Tag names are matched
//!   case-insensitively.
//! - A user's e-mail or `external_id` changed by `PUT` to another user's is a 409 too.
//! - Tag, company and note ids are decimal counters (as strings, or as numbers under
//!   `Ids::Numbers`); contact ids are 24 hex digits like Intercom's.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;
use tokio::time::Instant;

use super::api::{
    self, ArchivedSearch, Assumptions, AttributesUpdate, BulkTag, ConflictText, DataAttribute, Ids,
    MergedAnswer, PhoneValidation, RateHeaders, Role,
};
use crate::targets::sandbox_kit::{FaultQueue, FixedWindow, chance, dropped_answer, html_error};

/// How the sandbox behaves.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// `Authorization: Bearer <token>` [oas `bearerAuth`].
    pub token: String,
    /// Requests admitted per window (`X-RateLimit-Limit`). The default, 1,666, is an app's
    /// documented 10,000 calls a minute cut into six 10-second windows [rl]: what a private
    /// app meets when nothing else spends the workspace's budget.
    pub limit_per_window: u32,
    /// "enforced in 10-second windows" [rl]; shorter so that tests run fast. A fixed window,
    /// counted from the first request.
    pub window: Duration,
    /// How long a write takes to reach search ("a contact created in the last few minutes
    /// may be missing" [oas]). Zero by default so that tests see their own writes.
    pub search_lag: Duration,
    pub latency: Duration,
    /// Share of requests that fail with a 500: half before the write is applied, half
    /// after (the answer is lost, the write is not).
    pub fail_rate: f64,
    /// Custom data attributes the workspace has at the start.
    pub attributes: Vec<DataAttribute>,
    /// Which reading of each assumed point the sandbox plays.
    pub assumptions: Assumptions,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            token: "sandbox-token".to_owned(),
            limit_per_window: 1_666,
            window: api::WINDOW,
            search_lag: Duration::ZERO,
            latency: Duration::ZERO,
            fail_rate: 0.0,
            attributes: Vec::new(),
            assumptions: Assumptions::default(),
        }
    }
}

pub use crate::targets::sandbox_kit::Fault;

/// Requests counted by endpoint, as the sandbox saw them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// `"POST /contacts/{id}/tags"` → count (ids in paths are written `{id}`).
    pub requests: BTreeMap<String, u64>,
    pub total: u64,
    /// Answered 429 (injected ones too).
    pub throttled: u64,
    /// Tag applications to a contact that already had the tag: a load that tags a contact
    /// twice shows here, though the set of tags cannot.
    pub tag_repeats: u64,
}

/// A contact as the sandbox keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredContact {
    /// 24 hex digits; empty in `insert_contact` takes a new one.
    pub id: String,
    pub role: Role,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub name: Option<String>,
    pub external_id: Option<String>,
    /// The other standard fields as sent: `avatar`, `signed_up_at`, `last_seen_at`,
    /// `owner_id`, `unsubscribed_from_emails`, `email_verified`.
    pub other: BTreeMap<String, Value>,
    pub custom_attributes: BTreeMap<String, Value>,
    /// Tag ids: a set, as Intercom keeps them.
    pub tags: BTreeSet<String>,
    pub notes: Vec<StoredNote>,
    /// Company ids (Intercom's, not `company_id`).
    pub companies: BTreeSet<String>,
    /// Unix seconds.
    pub created_at: u64,
    pub updated_at: u64,
    pub archived: bool,
    /// The user this lead was merged into: the id answers 410 from then on.
    pub merged_into: Option<String>,
}

impl StoredContact {
    /// A contact of no fields, created now.
    pub fn new(role: Role) -> StoredContact {
        let now = unix_now();
        StoredContact {
            id: String::new(),
            role,
            email: None,
            phone: None,
            name: None,
            external_id: None,
            other: BTreeMap::new(),
            custom_attributes: BTreeMap::new(),
            tags: BTreeSet::new(),
            notes: Vec::new(),
            companies: BTreeSet::new(),
            created_at: now,
            updated_at: now,
            archived: false,
            merged_into: None,
        }
    }

    /// A user with this e-mail.
    pub fn user(email: &str) -> StoredContact {
        StoredContact {
            email: Some(email.to_owned()),
            ..StoredContact::new(Role::User)
        }
    }

    /// A lead with this phone.
    pub fn lead(phone: &str) -> StoredContact {
        StoredContact {
            phone: Some(phone.to_owned()),
            ..StoredContact::new(Role::Lead)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredNote {
    pub id: String,
    pub body: String,
    pub created_at: u64,
}

/// Why a request is refused: an `error.list` answer [oas `error`].
#[derive(Debug, Clone, PartialEq, Eq)]
struct Refusal {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
    /// `Link: </contacts/{id}>; rel="canonical"` of a merged contact (2.16).
    canonical: Option<String>,
}

fn refuse(status: StatusCode, code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        status,
        code,
        message: message.into(),
        field: None,
        canonical: None,
    }
}

fn bad_request(message: impl Into<String>) -> Refusal {
    refuse(StatusCode::BAD_REQUEST, "bad_request", message)
}

fn invalid(field: &str, message: impl Into<String>) -> Refusal {
    Refusal {
        field: Some(field.to_owned()),
        ..refuse(
            StatusCode::BAD_REQUEST,
            api::codes::PARAMETER_INVALID,
            message,
        )
    }
}

fn missing(message: impl Into<String>) -> Refusal {
    refuse(StatusCode::BAD_REQUEST, "parameter_not_found", message)
}

fn invalid_merge(message: impl Into<String>) -> Refusal {
    refuse(StatusCode::BAD_REQUEST, "invalid_merge", message)
}

fn contact_not_found() -> Refusal {
    refuse(
        StatusCode::NOT_FOUND,
        api::codes::NOT_FOUND,
        "User Not Found",
    )
}

/// `X-RateLimit-Reset` of `window`: the Unix second (rounded up) at which it rolls over.
fn reset_at(window: &FixedWindow, now: Instant) -> u64 {
    let unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    (unix + window.until_roll(now)).as_secs_f64().ceil() as u64
}

/// What search sees of one contact: the last state that has reached the index, and the
/// writes still on their way to it ("Eventual consistency" [oas]).
#[derive(Debug, Default)]
struct Indexed {
    seen: Option<StoredContact>,
    pending: VecDeque<(Instant, StoredContact)>,
}

impl Indexed {
    fn at(&mut self, now: Instant) -> Option<&StoredContact> {
        while self.pending.front().is_some_and(|(at, _)| *at <= now) {
            self.seen = self.pending.pop_front().map(|(_, c)| c);
        }
        self.seen.as_ref()
    }
}

#[derive(Debug, Clone)]
struct StoredAttribute {
    id: u64,
    name: String,
    label: String,
    description: String,
    data_type: String,
    api_writable: bool,
    archived: bool,
}

#[derive(Debug, Clone)]
struct StoredCompany {
    id: String,
    company_id: String,
    name: Option<String>,
    other: Map<String, Value>,
    created_at: u64,
    updated_at: u64,
}

#[derive(Debug)]
struct Account {
    contacts: BTreeMap<String, StoredContact>,
    index: HashMap<String, Indexed>,
    search_lag: Duration,
    attributes: Vec<StoredAttribute>,
    /// Tag id → name.
    tags: BTreeMap<String, String>,
    companies: BTreeMap<String, StoredCompany>,
    next_number: u64,
    window: FixedWindow,
    stats: Stats,
    faults: FaultQueue<Fault>,
}

struct Shared {
    config: SandboxConfig,
    account: Mutex<Account>,
}

/// A running sandbox.
#[derive(Clone)]
pub struct Sandbox {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Sandbox {
    /// Binds `addr` (port 0 for any free port) and serves until the runtime ends.
    pub async fn start(addr: SocketAddr, config: SandboxConfig) -> std::io::Result<Sandbox> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let mut account = Account {
            contacts: BTreeMap::new(),
            index: HashMap::new(),
            search_lag: config.search_lag,
            attributes: Vec::new(),
            tags: BTreeMap::new(),
            companies: BTreeMap::new(),
            next_number: 101,
            window: FixedWindow::new(config.limit_per_window, config.window),
            stats: Stats::default(),
            faults: FaultQueue::exact(),
        };
        for attribute in &config.attributes {
            account.insert_attribute(attribute);
        }
        let shared = Arc::new(Shared {
            account: Mutex::new(account),
            config,
        });
        let app = router(shared.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Sandbox { addr, shared })
    }

    /// `http://127.0.0.1:PORT`: the base URL, in place of `https://api.intercom.io`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn token(&self) -> &str {
        &self.shared.config.token
    }

    /// Every contact as kept, by id.
    pub fn contacts(&self) -> Vec<StoredContact> {
        self.lock().contacts.values().cloned().collect()
    }

    pub fn stats(&self) -> Stats {
        self.lock().stats.clone()
    }

    /// Every tag, as `GET /tags` lists them.
    pub fn tags(&self) -> Vec<api::Tag> {
        self.lock()
            .tags
            .iter()
            .map(|(id, name)| api::Tag {
                id: id.clone(),
                name: name.clone(),
                users: None,
            })
            .collect()
    }

    /// Every company.
    pub fn companies(&self) -> Vec<api::Company> {
        self.lock()
            .companies
            .values()
            .map(|c| api::Company {
                id: c.id.clone(),
                company_id: c.company_id.clone(),
                name: c.name.clone().unwrap_or_default(),
            })
            .collect()
    }

    /// Adds a contact as if it were in the workspace before the load (with the
    /// `created_at`, archived state and tags it is given), searchable at once. Returns its
    /// id.
    pub fn insert_contact(&self, mut contact: StoredContact) -> String {
        let mut account = self.lock();
        if contact.id.is_empty() {
            contact.id = account.new_contact_id();
        }
        let id = contact.id.clone();
        account.index.insert(
            id.clone(),
            Indexed {
                seen: Some(contact.clone()),
                pending: VecDeque::new(),
            },
        );
        account.contacts.insert(id.clone(), contact);
        id
    }

    /// Adds a custom data attribute (whatever its `custom` says: the standard ones are
    /// fixed). Returns its id.
    pub fn insert_attribute(&self, attribute: DataAttribute) -> u64 {
        self.lock().insert_attribute(&attribute)
    }

    /// Adds a tag, or finds it by name. Returns its id.
    pub fn insert_tag(&self, name: &str) -> String {
        self.lock().tag_named(name)
    }

    /// Merges a lead into a user as `POST /contacts/merge` with `skip_duplicate_validation`
    /// does.
    pub fn merge(&self, from: &str, into: &str) -> Result<(), String> {
        let a = self.shared.config.assumptions;
        self.lock()
            .merge(from, into, true, &a)
            .map_err(|r| r.message)
    }

    /// Serves `fault` to the next `times` requests of `method` to `path`, a `{id}` segment
    /// standing for any id (`/contacts/{id}/notes`).
    pub fn inject(&self, method: Method, path: &str, fault: Fault, times: u32) {
        self.lock().faults.push(method, path, fault, times);
    }

    fn lock(&self) -> MutexGuard<'_, Account> {
        account(&self.shared)
    }
}

// ---------------------------------------------------------------------------------------
// The account's rules
// ---------------------------------------------------------------------------------------

/// The standard contact attributes `GET /data_attributes` lists [oas `data_attribute`]:
/// name, data type, and whether the API can write it.
const STANDARD_ATTRIBUTES: [(&str, &str, bool); 13] = [
    ("name", "string", true),
    ("email", "string", true),
    ("phone", "string", true),
    ("external_id", "string", true),
    ("role", "string", true),
    ("avatar", "string", true),
    ("owner_id", "integer", true),
    ("unsubscribed_from_emails", "boolean", true),
    ("signed_up_at", "date", true),
    ("last_seen_at", "date", true),
    ("created_at", "date", false),
    ("updated_at", "date", false),
    ("email_domain", "string", false),
];

/// `POST /data_attributes` data types [oas `create_data_attribute_request`].
const DATA_TYPES: [&str; 6] = ["string", "integer", "float", "boolean", "date", "datetime"];

impl Account {
    /// "Ids are … like Intercom's": 24 hex digits, a time prefix then random ones, as a
    /// Mongo ObjectId.
    fn new_contact_id(&self) -> String {
        loop {
            let id = format!("{:08x}{:016x}", unix_now() as u32, rand::random::<u64>());
            if !self.contacts.contains_key(&id) {
                return id;
            }
        }
    }

    fn number(&mut self) -> String {
        self.next_number += 1;
        self.next_number.to_string()
    }

    fn insert_attribute(&mut self, attribute: &DataAttribute) -> u64 {
        let id = self.attributes.iter().map(|a| a.id).max().unwrap_or(0) + 1;
        self.attributes.push(StoredAttribute {
            id,
            name: attribute.name.clone(),
            label: attribute
                .label
                .clone()
                .unwrap_or_else(|| attribute.name.clone()),
            description: String::new(),
            data_type: attribute.data_type.clone(),
            api_writable: attribute.api_writable,
            archived: attribute.archived,
        });
        id
    }

    fn tag_id(&self, name: &str) -> Option<String> {
        let name = name.trim();
        self.tags
            .iter()
            .find(|(_, n)| n.to_lowercase() == name.to_lowercase())
            .map(|(id, _)| id.clone())
    }

    fn tag_named(&mut self, name: &str) -> String {
        if let Some(id) = self.tag_id(name) {
            return id;
        }
        let id = self.number();
        self.tags.insert(id.clone(), name.trim().to_owned());
        id
    }

    /// A contact that answers by id: a merged-away one is 410 with its canonical contact
    /// (`MergedAnswer::GoneWithLink`) or 404 (`NotFound`) [oas 2.16].
    fn live(&self, id: &str, a: &Assumptions) -> Result<&StoredContact, Refusal> {
        let contact = self.contacts.get(id).ok_or_else(contact_not_found)?;
        match (&contact.merged_into, a.merged) {
            (None, _) => Ok(contact),
            (Some(_), MergedAnswer::NotFound) => Err(contact_not_found()),
            (Some(into), MergedAnswer::GoneWithLink) => Err(Refusal {
                canonical: Some(into.clone()),
                ..refuse(
                    StatusCode::GONE,
                    api::codes::CONTACT_MERGED,
                    format!("Contact has been merged into {into}"),
                )
            }),
        }
    }

    /// A contact a write may change: live and not archived (see the module's doc).
    fn writable(&self, id: &str, a: &Assumptions) -> Result<&StoredContact, Refusal> {
        let contact = self.live(id, a)?;
        if contact.archived {
            return Err(bad_request("The contact is archived: unarchive it first"));
        }
        Ok(contact)
    }

    /// A write has happened: the contact's new state reaches search after the lag.
    fn touch(&mut self, id: &str) {
        let Some(contact) = self.contacts.get_mut(id) else {
            return;
        };
        contact.updated_at = unix_now();
        let snapshot = contact.clone();
        self.index
            .entry(id.to_owned())
            .or_default()
            .pending
            .push_back((Instant::now() + self.search_lag, snapshot));
    }

    /// The user a new (or changed) user's details already belong to: `external_id` first,
    /// then the e-mail, trimmed and case-insensitive ("Intercom identifies in the order …
    /// `external_id` → e-mail" [help 268]; 409 on either [pr543, RudderStack#5090]).
    fn existing_user(&self, contact: &StoredContact) -> Option<&StoredContact> {
        let users = || {
            self.contacts
                .values()
                .filter(|c| c.role == Role::User && c.merged_into.is_none() && c.id != contact.id)
        };
        let by_external_id = contact
            .external_id
            .as_ref()
            .and_then(|x| users().find(|c| c.external_id.as_ref() == Some(x)));
        by_external_id.or_else(|| {
            let email = contact.email.as_deref().map(email_key)?;
            users().find(|c| c.email.as_deref().map(email_key).as_deref() == Some(&email))
        })
    }

    fn conflict(&self, contact: &StoredContact, a: &Assumptions) -> Result<(), Refusal> {
        let Some(existing) = self.existing_user(contact) else {
            return Ok(());
        };
        // The texts of [pr543]; the id left out under `ConflictText::WithoutId`.
        let lead = if existing.archived {
            "An archived contact"
        } else {
            "A contact"
        };
        let message = match a.conflict {
            ConflictText::WithId => format!(
                "{lead} matching those details already exists with id={}",
                existing.id
            ),
            ConflictText::WithoutId => format!("{lead} matching those details already exists"),
        };
        Err(refuse(StatusCode::CONFLICT, api::codes::CONFLICT, message))
    }

    /// A custom attribute's value checked against the workspace's attributes: it must
    /// exist ("Custom Data Attributes can only be created through the Data Attributes API"
    /// [ch20]; the error text assumed from intercom-node#349), be writable, and fit its
    /// type; strings at most 255 characters (assumed).
    fn check_attribute(&self, name: &str, value: &Value) -> Result<(), Refusal> {
        let field = format!("custom_attributes.{name}");
        let attribute = self
            .attributes
            .iter()
            .find(|a| a.name == name)
            .ok_or_else(|| invalid(&field, format!("Custom attribute '{name}' does not exist")))?;
        if attribute.archived {
            return Err(invalid(
                &field,
                format!("Custom attribute '{name}' is archived"),
            ));
        }
        if !attribute.api_writable {
            return Err(invalid(
                &field,
                format!("Custom attribute '{name}' is not writable through the API"),
            ));
        }
        let fits = match attribute.data_type.as_str() {
            _ if value.is_null() => true,
            "string" => value.is_string(),
            "integer" | "date" | "datetime" => value.is_i64() || value.is_u64(),
            "float" => value.is_number(),
            "boolean" => value.is_boolean(),
            _ => false,
        };
        if !fits {
            return Err(invalid(
                &field,
                format!(
                    "Custom attribute '{name}' must be of type {}",
                    attribute.data_type
                ),
            ));
        }
        if let Some(text) = value.as_str()
            && text.chars().count() > api::STRING_ATTRIBUTE_LIMIT
        {
            return Err(invalid(
                &field,
                format!(
                    "Custom attribute '{name}' is longer than {} characters",
                    api::STRING_ATTRIBUTE_LIMIT
                ),
            ));
        }
        Ok(())
    }

    /// `POST /contacts/merge`: "Lead into user only; … they must be duplicates (same
    /// e-mail or phone) unless `skip_duplicate_validation`, else 400 `invalid_merge`. The
    /// lead disappears" [oas 2.16]. Its tags, notes and companies move to the user, and the
    /// user takes the fields it lacks.
    fn merge(
        &mut self,
        from: &str,
        into: &str,
        skip: bool,
        a: &Assumptions,
    ) -> Result<(), Refusal> {
        if from == into {
            return Err(invalid_merge("A contact cannot be merged into itself"));
        }
        let lead = self.live(from, a)?.clone();
        let user = self.live(into, a)?;
        if lead.role != Role::Lead || user.role != Role::User {
            return Err(invalid_merge(
                "Only a lead can be merged, and only into a user",
            ));
        }
        if lead.archived || user.archived {
            return Err(invalid_merge("An archived contact cannot be merged"));
        }
        let same_email = lead.email.as_deref().map(email_key).is_some()
            && lead.email.as_deref().map(email_key) == user.email.as_deref().map(email_key);
        let same_phone = lead.phone.is_some() && lead.phone == user.phone;
        if !skip && !same_email && !same_phone {
            return Err(invalid_merge(
                "The contacts share neither an e-mail nor a phone",
            ));
        }
        let user = self.contacts.get_mut(into).expect("checked above");
        user.tags.extend(lead.tags.iter().cloned());
        user.companies.extend(lead.companies.iter().cloned());
        user.notes.extend(lead.notes.iter().cloned());
        for (key, value) in &lead.custom_attributes {
            user.custom_attributes
                .entry(key.clone())
                .or_insert_with(|| value.clone());
        }
        if user.phone.is_none() {
            user.phone = lead.phone.clone();
        }
        if user.name.is_none() {
            user.name = lead.name.clone();
        }
        let gone = self.contacts.get_mut(from).expect("checked above");
        gone.merged_into = Some(into.to_owned());
        self.touch(into);
        self.touch(from);
        Ok(())
    }
}

/// An e-mail as compared: trimmed, lower-cased (spec: "compare case-insensitively").
fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// An address as a mail system takes it, roughly: one `@` with something on each side, a
/// dot in the domain, no spaces.
fn looks_like_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !value.chars().any(char::is_whitespace)
}

/// A phone as Intercom keeps it: "Spaces, `( )`, `-` are stripped by Intercom"; a `00`
/// prefix is the `+` ("`00` prefix also accepted") [help 6311200].
fn stored_phone(phone: &str) -> String {
    let stripped: String = phone
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '(' | ')' | '-'))
        .collect();
    match stripped.strip_prefix("00") {
        Some(rest) => format!("+{rest}"),
        None => stripped,
    }
}

/// E.164: `+`, a country code that does not start with 0, 8 to 15 digits in all
/// (`PhoneValidation::On`).
fn is_e164(phone: &str) -> bool {
    phone.strip_prefix('+').is_some_and(|digits| {
        (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
    })
}

// ---------------------------------------------------------------------------------------
// Contacts: create and update
// ---------------------------------------------------------------------------------------

/// What a `create_contact_request` or `update_contact_request` asks to change, checked.
/// `Some(None)` clears a field (a `null` on `PUT`).
#[derive(Debug, Default)]
struct Changes {
    role: Option<Role>,
    email: Option<Option<String>>,
    phone: Option<Option<String>>,
    name: Option<Option<String>>,
    external_id: Option<Option<String>>,
    other: BTreeMap<String, Value>,
    custom_attributes: Option<BTreeMap<String, Value>>,
}

/// The fields of both requests [oas `create_contact_request`, `update_contact_request`].
fn changes(
    body: Map<String, Value>,
    account: &Account,
    a: &Assumptions,
) -> Result<Changes, Refusal> {
    let mut changes = Changes::default();
    for (key, value) in body {
        let text = |value: &Value| -> Result<Option<String>, Refusal> {
            match value {
                Value::Null => Ok(None),
                Value::String(s) => Ok(Some(s.trim().to_owned()).filter(|s| !s.is_empty())),
                _ => Err(invalid(&key, format!("{key} must be a string"))),
            }
        };
        match key.as_str() {
            "role" => {
                changes.role = Some(match value.as_str() {
                    Some("user") => Role::User,
                    Some("lead") => Role::Lead,
                    _ => return Err(invalid("role", "role must be one of user, lead")),
                })
            }
            "email" => {
                let email = text(&value)?;
                if let Some(email) = &email
                    && !looks_like_email(email)
                {
                    return Err(invalid("email", "Email address is invalid"));
                }
                changes.email = Some(email);
            }
            "phone" => {
                let phone = text(&value)?.map(|p| stored_phone(&p));
                if a.phone_validation == PhoneValidation::On
                    && let Some(phone) = &phone
                    && !is_e164(phone)
                {
                    return Err(invalid(
                        "phone",
                        format!("{phone} is not a valid phone number"),
                    ));
                }
                changes.phone = Some(phone);
            }
            "name" => changes.name = Some(text(&value)?),
            "external_id" => {
                // An id sent as a number is a string to Intercom.
                let id = match &value {
                    Value::Number(n) => Some(n.to_string()),
                    other => text(other)?,
                };
                changes.external_id = Some(id);
            }
            "avatar" => {
                text(&value)?;
                changes.other.insert(key, value);
            }
            "email_verified" | "unsubscribed_from_emails" => {
                if !value.is_boolean() {
                    return Err(invalid(&key, format!("{key} must be a boolean")));
                }
                changes.other.insert(key, value);
            }
            "signed_up_at" | "last_seen_at" | "owner_id" => {
                if !(value.is_null() || value.is_u64()) {
                    return Err(invalid(&key, format!("{key} must be an integer")));
                }
                changes.other.insert(key, value);
            }
            "custom_attributes" => {
                let Value::Object(map) = value else {
                    return Err(invalid(
                        "custom_attributes",
                        "custom_attributes must be an object",
                    ));
                };
                for (name, value) in &map {
                    account.check_attribute(name, value)?;
                }
                changes.custom_attributes = Some(map.into_iter().collect());
            }
            _ => return Err(invalid(&key, format!("Unknown parameter '{key}'"))),
        }
    }
    Ok(changes)
}

impl Changes {
    fn apply(self, contact: &mut StoredContact, a: &Assumptions) {
        if let Some(role) = self.role {
            contact.role = role;
        }
        for (slot, value) in [
            (&mut contact.email, self.email),
            (&mut contact.phone, self.phone),
            (&mut contact.name, self.name),
            (&mut contact.external_id, self.external_id),
        ] {
            if let Some(value) = value {
                *slot = value;
            }
        }
        for (key, value) in self.other {
            if value.is_null() {
                contact.other.remove(&key);
            } else {
                contact.other.insert(key, value);
            }
        }
        if let Some(attributes) = self.custom_attributes {
            // "Only sent keys change (**assumed** for `custom_attributes` keys too)".
            if a.attributes_update == AttributesUpdate::ReplacesAll {
                contact.custom_attributes.clear();
            }
            for (key, value) in attributes {
                if value.is_null() {
                    contact.custom_attributes.remove(&key);
                } else {
                    contact.custom_attributes.insert(key, value);
                }
            }
        }
    }
}

/// The rules a contact must keep after a create or an update: "`email_verified` (only
/// together with `email`, else 400)", checked when it is sent; "A `user` needs `email` or
/// `external_id`"; "`external_id` cannot be set on a lead" [oas, segment].
fn check_contact(contact: &StoredContact, verifies: bool) -> Result<(), Refusal> {
    if verifies && contact.email.is_none() {
        return Err(invalid(
            "email_verified",
            "email_verified can only be set together with email",
        ));
    }
    match contact.role {
        Role::User if contact.email.is_none() && contact.external_id.is_none() => Err(invalid(
            "role",
            "A user requires an email or an external_id",
        )),
        Role::Lead if contact.external_id.is_some() => Err(invalid(
            "external_id",
            "external_id cannot be set on a lead",
        )),
        _ => Ok(()),
    }
}

fn create(shared: &Shared, body: &[u8], a: &Assumptions) -> Result<Value, Refusal> {
    let body = object(body)?;
    let mut account = account(shared);
    let changes = changes(body, &account, a)?;
    // "Required: any one of `email`, `external_id`, `role` (`anyOf`)".
    let has = |field: &Option<Option<String>>| matches!(field, Some(Some(_)));
    if changes.role.is_none() && !has(&changes.email) && !has(&changes.external_id) {
        return Err(missing(
            "Missing required parameter: one of email, external_id, role",
        ));
    }
    let verifies = changes.other.contains_key("email_verified");
    let mut contact = StoredContact::new(Role::User);
    changes.apply(&mut contact, a);
    check_contact(&contact, verifies)?;
    // Leads never conflict: "Leads with an already used e-mail and contacts with an
    // already used phone are **assumed not** to conflict".
    if contact.role == Role::User {
        account.conflict(&contact, a)?;
    }
    contact.id = account.new_contact_id();
    let id = contact.id.clone();
    account.contacts.insert(id.clone(), contact);
    account.touch(&id);
    Ok(contact_json(&account.contacts[&id], a))
}

fn update(shared: &Shared, id: &str, body: &[u8], a: &Assumptions) -> Result<Value, Refusal> {
    let body = object(body)?;
    let mut account = account(shared);
    let mut contact = account.writable(id, a)?.clone();
    let was = contact.role;
    let changes = changes(body, &account, a)?;
    let verifies = changes.other.contains_key("email_verified");
    changes.apply(&mut contact, a);
    if was == Role::User && contact.role == Role::Lead {
        return Err(invalid("role", "A user cannot be made a lead"));
    }
    check_contact(&contact, verifies)?;
    if contact.role == Role::User {
        account.conflict(&contact, a)?;
    }
    account.contacts.insert(id.to_owned(), contact);
    account.touch(id);
    Ok(contact_json(&account.contacts[id], a))
}

// ---------------------------------------------------------------------------------------
// Search
// ---------------------------------------------------------------------------------------

#[derive(Debug)]
enum Filter {
    Leaf {
        field: String,
        operator: String,
        value: Value,
    },
    Group {
        all: bool,
        items: Vec<Filter>,
    },
}

const SEARCH_FIELDS: [&str; 13] = [
    "id",
    "role",
    "name",
    "email",
    "email_domain",
    "phone",
    "formatted_phone",
    "external_id",
    "created_at",
    "updated_at",
    "signed_up_at",
    "last_seen_at",
    "tag_id",
];

const OPERATORS: [&str; 12] = [
    "=", "!=", "IN", "NIN", ">", "<", ">=", "<=", "~", "!~", "^", "$",
];

fn searchable(field: &str, account: &Account) -> bool {
    match field.strip_prefix("custom_attributes.") {
        Some(name) => account.attributes.iter().any(|a| a.name == name),
        None => SEARCH_FIELDS.contains(&field),
    }
}

/// "at most 2 nesting levels and 15 filters per AND/OR group" [oas search]: the top group
/// is level 1, a group in it level 2.
fn parse_query(value: &Value, level: usize, account: &Account) -> Result<Filter, Refusal> {
    let query = value
        .as_object()
        .ok_or_else(|| invalid("query", "A query must be an object"))?;
    let operator = query
        .get("operator")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("query", "A query needs an operator"))?;
    let Some(field) = query.get("field") else {
        let all = match operator {
            "AND" => true,
            "OR" => false,
            _ => {
                return Err(invalid(
                    "query",
                    format!("Operator '{operator}' needs a field"),
                ));
            }
        };
        if level > 1 {
            return Err(invalid("query", "A query nests at most 2 levels"));
        }
        let items = query
            .get("value")
            .and_then(Value::as_array)
            .filter(|items| !items.is_empty())
            .ok_or_else(|| invalid("query", format!("{operator} needs a list of filters")))?;
        if items.len() > api::MAX_FILTERS {
            return Err(invalid(
                "query",
                format!("A group takes at most {} filters", api::MAX_FILTERS),
            ));
        }
        let items = items
            .iter()
            .map(|item| parse_query(item, level + 1, account))
            .collect::<Result<_, _>>()?;
        return Ok(Filter::Group { all, items });
    };
    let field = field
        .as_str()
        .filter(|f| searchable(f, account))
        .ok_or_else(|| invalid("query", format!("{field} is not a searchable field")))?;
    if !OPERATORS.contains(&operator) {
        return Err(invalid("query", format!("Unknown operator '{operator}'")));
    }
    let value = query
        .get("value")
        .cloned()
        .ok_or_else(|| invalid("query", "A filter needs a value"))?;
    let fits = match operator {
        "IN" | "NIN" => value.is_array(),
        "~" | "!~" | "^" | "$" => value.is_string(),
        ">" | "<" | ">=" | "<=" => value.is_number() || value.is_string(),
        _ => !value.is_array() && !value.is_object(),
    };
    if !fits {
        return Err(invalid(
            "query",
            format!("{value} is not a value for operator '{operator}'"),
        ));
    }
    Ok(Filter::Leaf {
        field: field.to_owned(),
        operator: operator.to_owned(),
        value,
    })
}

/// A searchable field's values in a contact: one, none (`null`), or the tag ids.
fn values_of(contact: &StoredContact, field: &str) -> Vec<Value> {
    let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
    let value = match field {
        "tag_id" => return contact.tags.iter().cloned().map(Value::String).collect(),
        "id" => Value::String(contact.id.clone()),
        "role" => Value::String(contact.role.as_str().to_owned()),
        "name" => text(&contact.name),
        "email" => text(&contact.email),
        "email_domain" => text(
            &contact
                .email
                .as_deref()
                .and_then(|e| e.split_once('@'))
                .map(|(_, domain)| domain.to_owned()),
        ),
        "phone" | "formatted_phone" => text(&contact.phone),
        "external_id" => text(&contact.external_id),
        "created_at" => json!(contact.created_at),
        "updated_at" => json!(contact.updated_at),
        "signed_up_at" | "last_seen_at" => contact.other.get(field).cloned().unwrap_or_default(),
        custom => custom
            .strip_prefix("custom_attributes.")
            .and_then(|name| contact.custom_attributes.get(name))
            .cloned()
            .unwrap_or_default(),
    };
    vec![value]
}

fn as_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Two values equal as search compares them: numbers as numbers, e-mails without case.
fn same(field: &str, kept: &Value, wanted: &Value) -> bool {
    match (kept, wanted) {
        (Value::String(k), Value::String(w)) if field == "email" => email_key(k) == email_key(w),
        (Value::Number(_), _) | (_, Value::Number(_)) => {
            as_number(kept).is_some() && as_number(kept) == as_number(wanted)
        }
        _ => kept == wanted,
    }
}

fn matches(filter: &Filter, contact: &StoredContact) -> bool {
    let (field, operator, wanted) = match filter {
        Filter::Group { all: true, items } => return items.iter().all(|f| matches(f, contact)),
        Filter::Group { all: false, items } => return items.iter().any(|f| matches(f, contact)),
        Filter::Leaf {
            field,
            operator,
            value,
        } => (field.as_str(), operator.as_str(), value),
    };
    let mut kept = values_of(contact, field);
    if kept.is_empty() {
        kept.push(Value::Null);
    }
    let any = |test: &dyn Fn(&Value) -> bool| kept.iter().any(test);
    let one_of = |kept: &Value| {
        wanted
            .as_array()
            .is_some_and(|list| list.iter().any(|w| same(field, kept, w)))
    };
    let text = |kept: &Value, test: &dyn Fn(&str, &str) -> bool| {
        kept.as_str()
            .zip(wanted.as_str())
            .is_some_and(|(k, w)| test(&k.to_lowercase(), &w.to_lowercase()))
    };
    let order = |kept: &Value| match (as_number(kept), as_number(wanted)) {
        (Some(k), Some(w)) => k.partial_cmp(&w),
        _ => None,
    };
    match operator {
        "=" => any(&|k| same(field, k, wanted)),
        "!=" => !any(&|k| same(field, k, wanted)),
        "IN" => any(&one_of),
        "NIN" => !any(&one_of),
        ">" => any(&|k| order(k).is_some_and(|o| o.is_gt())),
        "<" => any(&|k| order(k).is_some_and(|o| o.is_lt())),
        ">=" => any(&|k| order(k).is_some_and(|o| o.is_ge())),
        "<=" => any(&|k| order(k).is_some_and(|o| o.is_le())),
        "~" => any(&|k| text(k, &|k, w| k.contains(w))),
        "!~" => !any(&|k| text(k, &|k, w| k.contains(w))),
        "^" => any(&|k| text(k, &|k, w| k.starts_with(w))),
        "$" => any(&|k| text(k, &|k, w| k.ends_with(w))),
        _ => false,
    }
}

/// The search's cursor: opaque to the client, an offset here.
fn cursor(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("sandbox-offset:{offset}"))
}

fn offset(cursor: &str) -> Option<usize> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    text.strip_prefix("sandbox-offset:")?.parse().ok()
}

/// `POST /contacts/search` [oas]: what the index holds now, without merged contacts and,
/// unless `ArchivedSearch::Included`, without archived ones.
fn search(shared: &Shared, body: &[u8], a: &Assumptions) -> Result<Value, Refusal> {
    let body = object(body)?;
    let mut account = account(shared);
    if let Some(key) = body
        .keys()
        .find(|k| !["query", "pagination", "sort"].contains(&k.as_str()))
    {
        return Err(invalid(key, format!("Unknown parameter '{key}'")));
    }
    let query = body
        .get("query")
        .ok_or_else(|| missing("Missing required parameter: query"))?;
    let filter = parse_query(query, 0, &account)?;
    let pagination = body.get("pagination").cloned().unwrap_or_else(|| json!({}));
    let per_page = match pagination.get("per_page") {
        None => u64::from(api::SEARCH_PAGE),
        Some(n) => n
            .as_u64()
            .filter(|n| (1..=150).contains(n))
            .ok_or_else(|| invalid("per_page", "per_page must be 1 to 150"))?,
    } as usize;
    let start = match pagination.get("starting_after") {
        None | Some(Value::Null) => 0,
        Some(c) => c
            .as_str()
            .and_then(offset)
            .ok_or_else(|| invalid("starting_after", "starting_after is not a cursor"))?,
    };
    let (sort_field, descending) = match body.get("sort") {
        None => ("created_at".to_owned(), false),
        Some(sort) => {
            let field = sort
                .get("field")
                .and_then(Value::as_str)
                .filter(|f| *f != "tag_id" && searchable(f, &account))
                .ok_or_else(|| invalid("sort", "sort needs a searchable field"))?;
            let descending = match sort.get("order").and_then(Value::as_str) {
                None | Some("ascending") => false,
                Some("descending") => true,
                Some(_) => return Err(invalid("sort", "order is ascending or descending")),
            };
            (field.to_owned(), descending)
        }
    };
    let now = Instant::now();
    let account = &mut *account;
    let mut found: Vec<StoredContact> = account
        .index
        .values_mut()
        .filter_map(|indexed| indexed.at(now).cloned())
        .filter(|c| c.merged_into.is_none())
        .filter(|c| !c.archived || a.archived_search == ArchivedSearch::Included)
        .filter(|c| matches(&filter, c))
        .collect();
    let key = |c: &StoredContact| {
        values_of(c, &sort_field)
            .into_iter()
            .next()
            .unwrap_or_default()
    };
    found.sort_by(|x, y| {
        let (kx, ky) = (key(x), key(y));
        let order = match (as_number(&kx), as_number(&ky)) {
            (Some(nx), Some(ny)) => nx.total_cmp(&ny),
            _ => kx.as_str().unwrap_or("").cmp(ky.as_str().unwrap_or("")),
        };
        let order = if descending { order.reverse() } else { order };
        order.then_with(|| x.id.cmp(&y.id))
    });
    let total = found.len();
    let data: Vec<Value> = found
        .iter()
        .skip(start)
        .take(per_page)
        .map(|c| contact_json(c, a))
        .collect();
    let mut pages = json!({
        "type": "pages",
        "page": start / per_page + 1,
        "per_page": per_page,
        "total_pages": total.div_ceil(per_page).max(1),
    });
    if start + per_page < total {
        pages["next"] = json!({ "per_page": per_page, "starting_after": cursor(start + per_page) });
    }
    Ok(json!({ "type": "list", "data": data, "total_count": total, "pages": pages }))
}

// ---------------------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------------------

/// A tag's or a company's id as `Ids` says: a string, or a number.
fn id_json(id: &str, a: &Assumptions) -> Value {
    match (a.ids, id.parse::<u64>()) {
        (Ids::Numbers, Ok(n)) => json!(n),
        _ => json!(id),
    }
}

/// A contact as answers carry it [oas `contact`]; `"archived": true` only on an archived
/// one.
fn contact_json(c: &StoredContact, a: &Assumptions) -> Value {
    let list = |kind: &str, what: &str, ids: Vec<Value>| {
        let total = ids.len();
        json!({
            "type": "list",
            "data": ids.into_iter().map(|id| {
                let url = format!("/{what}/{}", id.as_str().map_or(id.to_string(), str::to_owned));
                json!({ "type": kind, "id": id, "url": url })
            }).collect::<Vec<_>>(),
            "url": format!("/contacts/{}/{what}", c.id),
            "total_count": total,
            "has_more": false,
        })
    };
    let mut body = json!({
        "type": "contact",
        "id": c.id,
        "workspace_id": "sandbox",
        "external_id": c.external_id,
        "role": c.role.as_str(),
        "email": c.email,
        "email_domain": c.email.as_deref().and_then(|e| e.split_once('@')).map(|(_, d)| d),
        "phone": c.phone,
        "formatted_phone": c.phone,
        "name": c.name,
        "avatar": null,
        "owner_id": null,
        "has_hard_bounced": false,
        "marked_email_as_spam": false,
        "unsubscribed_from_emails": false,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "signed_up_at": null,
        "last_seen_at": null,
        "custom_attributes": c.custom_attributes,
        "tags": list("tag", "tags", c.tags.iter().map(|id| id_json(id, a)).collect()),
        "notes": list("note", "notes", c.notes.iter().map(|n| json!(n.id)).collect()),
        "companies": list(
            "company",
            "companies",
            c.companies.iter().map(|id| id_json(id, a)).collect(),
        ),
    });
    for (key, value) in &c.other {
        body[key] = value.clone();
    }
    if c.archived {
        body["archived"] = json!(true);
    }
    body
}

fn note_json(contact: &str, note: &StoredNote) -> Value {
    json!({
        "type": "note",
        "id": note.id,
        "created_at": note.created_at,
        "contact": { "type": "contact", "id": contact },
        "author": null,
        "body": note.body,
    })
}

fn company_json(c: &StoredCompany, a: &Assumptions) -> Value {
    let mut body = json!({
        "type": "company",
        "id": id_json(&c.id, a),
        "company_id": c.company_id,
        "name": c.name,
        "app_id": "sandbox",
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    });
    for (key, value) in &c.other {
        body[key] = value.clone();
    }
    body
}

fn tag_json(id: &str, name: &str, a: &Assumptions) -> Value {
    json!({ "type": "tag", "id": id_json(id, a), "name": name })
}

fn attribute_json(attribute: &StoredAttribute) -> Value {
    json!({
        "type": "data_attribute",
        "id": attribute.id,
        "model": "contact",
        "name": attribute.name,
        "full_name": format!("custom_attributes.{}", attribute.name),
        "label": attribute.label,
        "description": attribute.description,
        "data_type": attribute.data_type,
        "api_writable": attribute.api_writable,
        "ui_writable": true,
        "custom": true,
        "archived": attribute.archived,
    })
}

/// A request id as Intercom's look: a UUID.
fn request_id() -> String {
    let (x, y) = (rand::random::<u64>(), rand::random::<u64>());
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        x >> 32,
        (x >> 16) & 0xffff,
        x & 0xfff,
        (y >> 48) | 0x8000,
        y & 0xffff_ffff_ffff
    )
}

/// `{"type":"error.list","request_id","errors":[{"code","message","field"?}]}` [oas
/// `error`]; a merged contact's `Link` header.
fn refusal(refusal: Refusal) -> Response {
    let mut error = json!({ "code": refusal.code, "message": refusal.message });
    if let Some(field) = &refusal.field {
        error["field"] = json!(field);
    }
    let body = json!({ "type": "error.list", "request_id": request_id(), "errors": [error] });
    let mut response = (refusal.status, axum::Json(body)).into_response();
    if let Some(into) = refusal.canonical
        && let Ok(link) = HeaderValue::from_str(&format!("</contacts/{into}>; rel=\"canonical\""))
    {
        response.headers_mut().insert(header::LINK, link);
    }
    response
}

fn reply(result: Result<Value, Refusal>) -> Response {
    match result {
        Ok(body) => axum::Json(body).into_response(),
        Err(r) => refusal(r),
    }
}

/// A body as an object; what is not JSON is a 400 `bad_request`.
fn object(body: &[u8]) -> Result<Map<String, Value>, Refusal> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(bad_request("The request body must be a JSON object")),
        Err(e) => Err(bad_request(format!("The request body is not JSON: {e}"))),
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

// ---------------------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------------------

type AppState = State<Arc<Shared>>;

fn account(shared: &Shared) -> MutexGuard<'_, Account> {
    shared.account.lock().expect("sandbox lock")
}

/// `POST /contacts` [oas, pr543].
async fn create_contact(State(shared): AppState, body: Bytes) -> Response {
    reply(create(&shared, &body, &shared.config.assumptions))
}

/// `GET /contacts/{id}`.
async fn get_contact(State(shared): AppState, Path(id): Path<String>) -> Response {
    let a = shared.config.assumptions;
    reply(account(&shared).live(&id, &a).map(|c| contact_json(c, &a)))
}

/// `PUT /contacts/{id}`: "Only sent keys change".
async fn update_contact(State(shared): AppState, Path(id): Path<String>, body: Bytes) -> Response {
    reply(update(&shared, &id, &body, &shared.config.assumptions))
}

/// `GET /contacts/find_by_external_id/{external_id}`: "users only; not via the search
/// index (**assumed** immediately consistent)".
async fn find_by_external_id(State(shared): AppState, Path(external_id): Path<String>) -> Response {
    let a = shared.config.assumptions;
    let account = account(&shared);
    let found = account
        .contacts
        .values()
        .find(|c| {
            c.role == Role::User
                && c.merged_into.is_none()
                && c.external_id.as_deref() == Some(external_id.as_str())
        })
        .map(|c| contact_json(c, &a))
        .ok_or_else(contact_not_found);
    reply(found)
}

async fn search_contacts(State(shared): AppState, body: Bytes) -> Response {
    reply(search(&shared, &body, &shared.config.assumptions))
}

/// `POST /contacts/{id}/archive` and `/unarchive` [oas]: `{"id","external_id","type",
/// "archived"}`; archiving an archived contact changes nothing.
fn set_archived(shared: &Shared, id: &str, archived: bool) -> Result<Value, Refusal> {
    let a = shared.config.assumptions;
    let mut account = account(shared);
    let contact = account.live(id, &a)?;
    let external_id = contact.external_id.clone();
    if contact.archived != archived {
        account
            .contacts
            .get_mut(id)
            .expect("checked above")
            .archived = archived;
        account.touch(id);
    }
    Ok(json!({ "type": "contact", "id": id, "external_id": external_id, "archived": archived }))
}

async fn archive(State(shared): AppState, Path(id): Path<String>) -> Response {
    reply(set_archived(&shared, &id, true))
}

async fn unarchive(State(shared): AppState, Path(id): Path<String>) -> Response {
    reply(set_archived(&shared, &id, false))
}

/// `POST /contacts/merge` `{"from","into","skip_duplicate_validation"?}` → the user.
async fn merge_contacts(State(shared): AppState, body: Bytes) -> Response {
    let a = shared.config.assumptions;
    let merged = object(&body).and_then(|body| {
        if let Some(key) = body
            .keys()
            .find(|k| !["from", "into", "skip_duplicate_validation"].contains(&k.as_str()))
        {
            return Err(invalid(key, format!("Unknown parameter '{key}'")));
        }
        let id = |key: &str| {
            body.get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| missing(format!("Missing required parameter: {key}")))
        };
        let (from, into) = (id("from")?, id("into")?);
        let skip = match body.get("skip_duplicate_validation") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err(invalid(
                    "skip_duplicate_validation",
                    "skip_duplicate_validation must be a boolean",
                ));
            }
        };
        let mut account = account(&shared);
        account.merge(&from, &into, skip, &a)?;
        Ok(contact_json(&account.contacts[&into], &a))
    });
    reply(merged)
}

/// `POST /contacts/{id}/notes` `{"body","admin_id"?}`: "A note is appended every time".
async fn add_note(State(shared): AppState, Path(id): Path<String>, body: Bytes) -> Response {
    let a = shared.config.assumptions;
    let note = object(&body).and_then(|body| {
        if let Some(key) = body
            .keys()
            .find(|k| !["body", "admin_id", "contact_id"].contains(&k.as_str()))
        {
            return Err(invalid(key, format!("Unknown parameter '{key}'")));
        }
        let text = body
            .get("body")
            .and_then(Value::as_str)
            .filter(|b| !b.trim().is_empty())
            .ok_or_else(|| missing("Missing required parameter: body"))?
            .to_owned();
        let mut account = account(&shared);
        account.writable(&id, &a)?;
        let note = StoredNote {
            id: account.number(),
            body: text,
            created_at: unix_now(),
        };
        let answer = note_json(&id, &note);
        account
            .contacts
            .get_mut(&id)
            .expect("checked above")
            .notes
            .push(note);
        account.touch(&id);
        Ok(answer)
    });
    reply(note)
}

/// `GET /contacts/{id}/notes`.
async fn list_notes(State(shared): AppState, Path(id): Path<String>) -> Response {
    let a = shared.config.assumptions;
    let account = account(&shared);
    let listed = account.live(&id, &a).map(|contact| {
        let data: Vec<Value> = contact.notes.iter().map(|n| note_json(&id, n)).collect();
        json!({ "type": "list", "data": data, "total_count": contact.notes.len(),
                "pages": { "type": "pages", "page": 1, "per_page": 50, "total_pages": 1 } })
    });
    reply(listed)
}

/// The `{"id"}` of a tag or company call.
fn id_ref(body: &[u8]) -> Result<String, Refusal> {
    let body = object(body)?;
    if let Some(key) = body.keys().find(|k| k.as_str() != "id") {
        return Err(invalid(key, format!("Unknown parameter '{key}'")));
    }
    body.get("id")
        .and_then(|id| crate::targets::lenient::text(id.clone()))
        .ok_or_else(|| missing("Missing required parameter: id"))
}

/// `POST /contacts/{id}/companies` `{"id"}` [oas]: 404 `company_not_found`; attaching an
/// attached company changes nothing; 1,000 at most.
async fn attach_company(State(shared): AppState, Path(id): Path<String>, body: Bytes) -> Response {
    let a = shared.config.assumptions;
    let attached = id_ref(&body).and_then(|company| {
        let mut account = account(&shared);
        let contact = account.writable(&id, &a)?;
        let attached = contact.companies.contains(&company);
        let count = contact.companies.len();
        let found = account.companies.get(&company).cloned().ok_or_else(|| {
            refuse(
                StatusCode::NOT_FOUND,
                "company_not_found",
                "Company Not Found",
            )
        })?;
        if !attached {
            if count >= 1_000 {
                return Err(refuse(
                    StatusCode::BAD_REQUEST,
                    "contact_company_limit_exceeded",
                    "A contact can be attached to at most 1000 companies",
                ));
            }
            let contact = account.contacts.get_mut(&id).expect("checked above");
            contact.companies.insert(company);
            account.touch(&id);
        }
        Ok(company_json(&found, &a))
    });
    reply(attached)
}

/// `POST /companies` [oas]: "an upsert by `company_id` (immutable after creation)".
async fn upsert_company(State(shared): AppState, body: Bytes) -> Response {
    const FIELDS: [&str; 9] = [
        "company_id",
        "name",
        "plan",
        "size",
        "website",
        "industry",
        "custom_attributes",
        "remote_created_at",
        "monthly_spend",
    ];
    let a = shared.config.assumptions;
    let upserted = object(&body).and_then(|mut body| {
        if let Some(key) = body.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(invalid(key, format!("Unknown parameter '{key}'")));
        }
        let company_id = body
            .remove("company_id")
            .and_then(crate::targets::lenient::text)
            .filter(|c| !c.trim().is_empty())
            .ok_or_else(|| missing("Missing required parameter: company_id"))?;
        let name = match body.remove("name") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => Some(name),
            Some(_) => return Err(invalid("name", "name must be a string")),
        };
        let mut account = account(&shared);
        let existing = account
            .companies
            .values()
            .find(|c| c.company_id == company_id)
            .map(|c| c.id.clone());
        let id = match existing {
            Some(id) => id,
            None => {
                let id = account.number();
                let now = unix_now();
                let company = StoredCompany {
                    id: id.clone(),
                    company_id,
                    name: None,
                    other: Map::new(),
                    created_at: now,
                    updated_at: now,
                };
                account.companies.insert(id.clone(), company);
                id
            }
        };
        let company = account.companies.get_mut(&id).expect("just found or made");
        if name.is_some() {
            company.name = name;
        }
        company.other.extend(body);
        company.updated_at = unix_now();
        Ok(company_json(company, &a))
    });
    reply(upserted)
}

/// `GET /tags` [oas].
async fn list_tags(State(shared): AppState) -> Response {
    let a = shared.config.assumptions;
    let data: Vec<Value> = account(&shared)
        .tags
        .iter()
        .map(|(id, name)| tag_json(id, name, &a))
        .collect();
    reply(Ok(json!({ "type": "list", "data": data })))
}

/// `POST /tags` [oas]: `{"name"}` creates, `{"name","id"}` renames, `{"name","users"}`
/// creates if missing and tags many — answered per `BulkTag`.
async fn post_tags(State(shared): AppState, body: Bytes) -> Response {
    reply(tags(&shared, &body, &shared.config.assumptions))
}

fn tags(shared: &Shared, body: &[u8], a: &Assumptions) -> Result<Value, Refusal> {
    let body = object(body)?;
    if let Some(key) = body
        .keys()
        .find(|k| !["name", "id", "users", "companies"].contains(&k.as_str()))
    {
        return Err(invalid(key, format!("Unknown parameter '{key}'")));
    }
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| missing("Missing required parameter: name"))?
        .to_owned();
    if body
        .get("companies")
        .and_then(Value::as_array)
        .is_some_and(|c| !c.is_empty())
    {
        return Err(invalid("companies", "The sandbox does not tag companies"));
    }
    let users: Option<Vec<String>> = match body.get("users") {
        None => None,
        Some(Value::Array(users)) => Some(
            users
                .iter()
                .map(|u| {
                    u.get("id")
                        .cloned()
                        .and_then(crate::targets::lenient::text)
                        .ok_or_else(|| invalid("users", "Each user is an {\"id\"}"))
                })
                .collect::<Result<_, _>>()?,
        ),
        Some(_) => return Err(invalid("users", "users must be a list")),
    };
    // "Maximum list length is **not documented** (**assumed** ≤ 100 per call)".
    let most = match a.bulk_tag {
        BulkTag::FiftyAtMost => 50,
        _ => api::TAG_BATCH,
    };
    if users.as_ref().is_some_and(|u| u.len() > most) {
        return Err(invalid(
            "users",
            format!("At most {most} users can be tagged in one request"),
        ));
    }
    let mut account = account(shared);
    let id = match body.get("id") {
        None => account.tag_named(&name),
        Some(id) => {
            let id = crate::targets::lenient::text(id.clone())
                .filter(|id| account.tags.contains_key(id))
                .ok_or_else(|| refuse(StatusCode::NOT_FOUND, "tag_not_found", "Tag Not Found"))?;
            if account.tag_id(&name).is_some_and(|other| other != id) {
                return Err(invalid("name", format!("A tag named '{name}' exists")));
            }
            account.tags.insert(id.clone(), name.clone());
            id
        }
    };
    let mut answer = tag_json(&id, &name, a);
    let Some(users) = users else {
        return Ok(answer);
    };
    let mut listed = Vec::new();
    for contact in users {
        let taggable = account.contacts.get(&contact).is_some_and(|c| {
            c.merged_into.is_none()
                && !c.archived
                && (c.role == Role::User || a.bulk_tag != BulkTag::UsersOnly)
        });
        if taggable {
            account.apply_tag(&contact, &id);
        }
        listed.push(json!({ "type": "contact", "id": contact, "tagged": taggable }));
    }
    if a.bulk_tag != BulkTag::Unlisted {
        answer["users"] = json!(listed);
        answer["companies"] = json!([]);
    }
    Ok(answer)
}

impl Account {
    /// Tags one contact; a tag it already has is a repeat ("Re-tagging an already tagged
    /// contact is **assumed** a 200 no-op"), counted.
    fn apply_tag(&mut self, contact: &str, tag: &str) {
        let Some(c) = self.contacts.get_mut(contact) else {
            return;
        };
        if c.tags.insert(tag.to_owned()) {
            self.touch(contact);
        } else {
            self.stats.tag_repeats += 1;
        }
    }
}

/// `POST /contacts/{id}/tags` `{"id"}`: "404 if the tag or contact is unknown".
async fn tag_contact(State(shared): AppState, Path(id): Path<String>, body: Bytes) -> Response {
    let a = shared.config.assumptions;
    let tagged = id_ref(&body).and_then(|tag| {
        let mut account = account(&shared);
        account.writable(&id, &a)?;
        let name = account
            .tags
            .get(&tag)
            .cloned()
            .ok_or_else(|| refuse(StatusCode::NOT_FOUND, "tag_not_found", "Tag Not Found"))?;
        account.apply_tag(&id, &tag);
        Ok(tag_json(&tag, &name, &a))
    });
    reply(tagged)
}

/// `DELETE /contacts/{id}/tags/{tag_id}`: removing a tag the contact lacks changes nothing.
async fn untag_contact(
    State(shared): AppState,
    Path((id, tag)): Path<(String, String)>,
) -> Response {
    let a = shared.config.assumptions;
    let mut account = account(&shared);
    let untagged = account.writable(&id, &a).map(|_| ()).and_then(|()| {
        let name = account
            .tags
            .get(&tag)
            .cloned()
            .ok_or_else(|| refuse(StatusCode::NOT_FOUND, "tag_not_found", "Tag Not Found"))?;
        if account
            .contacts
            .get_mut(&id)
            .expect("checked above")
            .tags
            .remove(&tag)
        {
            account.touch(&id);
        }
        Ok(tag_json(&tag, &name, &a))
    });
    reply(untagged)
}

/// `GET /data_attributes?model=contact[&include_archived=true]` [oas]: the standard
/// attributes, then the custom ones.
async fn list_attributes(
    State(shared): AppState,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let listed = match query.get("model").map(String::as_str) {
        None | Some("contact") => {
            let archived_too = query.get("include_archived").map(String::as_str) == Some("true");
            let standard = STANDARD_ATTRIBUTES
                .iter()
                .map(|(name, data_type, writable)| {
                    json!({
                        "type": "data_attribute",
                        "model": "contact",
                        "name": name,
                        "full_name": name,
                        "label": name.replace('_', " "),
                        "description": "",
                        "data_type": data_type,
                        "api_writable": writable,
                        "ui_writable": writable,
                        "custom": false,
                        "archived": false,
                    })
                });
            let account = account(&shared);
            let custom = account
                .attributes
                .iter()
                .filter(|a| archived_too || !a.archived)
                .map(attribute_json);
            Ok(json!({ "type": "list", "data": standard.chain(custom).collect::<Vec<_>>() }))
        }
        Some("company" | "conversation") => Ok(json!({ "type": "list", "data": [] })),
        Some(other) => Err(invalid("model", format!("{other} is not a model"))),
    };
    reply(listed)
}

/// `POST /data_attributes` `{"name","model":"contact","data_type","description"?}`: the
/// name unique, "250 custom attributes per workspace" [help 179].
async fn create_attribute(State(shared): AppState, body: Bytes) -> Response {
    let created = object(&body).and_then(|body| {
        if let Some(key) = body.keys().find(|k| {
            ![
                "name",
                "model",
                "data_type",
                "description",
                "options",
                "messenger_writable",
            ]
            .contains(&k.as_str())
        }) {
            return Err(invalid(key, format!("Unknown parameter '{key}'")));
        }
        let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::trim);
        let name = text("name")
            .filter(|n| !n.is_empty())
            .ok_or_else(|| missing("Missing required parameter: name"))?;
        if name.contains(['.', '$']) {
            return Err(invalid("name", "A name cannot contain '.' or '$'"));
        }
        match text("model") {
            Some("contact") => {}
            Some(_) => {
                return Err(invalid(
                    "model",
                    "The sandbox keeps contact attributes only",
                ));
            }
            None => return Err(missing("Missing required parameter: model")),
        }
        let data_type =
            text("data_type").ok_or_else(|| missing("Missing required parameter: data_type"))?;
        if !DATA_TYPES.contains(&data_type) {
            return Err(invalid(
                "data_type",
                format!("{data_type} is not a data type"),
            ));
        }
        let mut account = account(&shared);
        let taken = STANDARD_ATTRIBUTES.iter().any(|(n, _, _)| *n == name)
            || account.attributes.iter().any(|a| a.name == name);
        if taken {
            return Err(invalid(
                "name",
                format!("You already have '{name}' in your workspace"),
            ));
        }
        if account.attributes.len() >= api::MAX_CUSTOM_ATTRIBUTES {
            return Err(invalid(
                "name",
                format!(
                    "A workspace holds at most {} custom attributes",
                    api::MAX_CUSTOM_ATTRIBUTES
                ),
            ));
        }
        let id = account.insert_attribute(&DataAttribute {
            id: None,
            name: name.to_owned(),
            label: None,
            data_type: data_type.to_owned(),
            custom: true,
            api_writable: true,
            archived: false,
            model: Some("contact".to_owned()),
        });
        let attribute = account
            .attributes
            .iter_mut()
            .find(|a| a.id == id)
            .expect("just inserted");
        attribute.description = text("description").unwrap_or_default().to_owned();
        Ok(attribute_json(attribute))
    });
    reply(created)
}

/// A path the sandbox does not serve: Intercom's 404 in its own form.
async fn unknown_route() -> Response {
    refusal(refuse(
        StatusCode::NOT_FOUND,
        api::codes::NOT_FOUND,
        "Resource Not Found",
    ))
}

async fn inspect_contacts(State(shared): AppState) -> Response {
    axum::Json(json!(
        account(&shared).contacts.values().collect::<Vec<_>>()
    ))
    .into_response()
}

async fn inspect_stats(State(shared): AppState) -> Response {
    axum::Json(json!(account(&shared).stats.clone())).into_response()
}

fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route("/contacts", post(create_contact))
        .route("/contacts/search", post(search_contacts))
        .route("/contacts/merge", post(merge_contacts))
        .route(
            "/contacts/find_by_external_id/{external_id}",
            get(find_by_external_id),
        )
        .route("/contacts/{id}", get(get_contact).put(update_contact))
        .route("/contacts/{id}/archive", post(archive))
        .route("/contacts/{id}/unarchive", post(unarchive))
        .route("/contacts/{id}/notes", get(list_notes).post(add_note))
        .route("/contacts/{id}/companies", post(attach_company))
        .route("/contacts/{id}/tags", post(tag_contact))
        .route("/contacts/{id}/tags/{tag_id}", delete(untag_contact))
        .route("/tags", get(list_tags).post(post_tags))
        .route("/companies", post(upsert_company))
        .route(
            "/data_attributes",
            get(list_attributes).post(create_attribute),
        )
        .fallback(unknown_route)
        .layer(middleware::from_fn_with_state(shared.clone(), gate));
    Router::new()
        .route("/sandbox/contacts", get(inspect_contacts))
        .route("/sandbox/stats", get(inspect_stats))
        .merge(api)
        .with_state(shared)
}

// ---------------------------------------------------------------------------------------
// The gate: auth, limit, faults, headers
// ---------------------------------------------------------------------------------------

/// The name a request is counted under: ids in paths — contact ids (hex) and tag ids
/// (digits) — become `{id}`, so that counts are per endpoint.
fn endpoint(method: &Method, path: &str) -> String {
    let mut previous = "";
    let path: Vec<&str> = path
        .split('/')
        .map(|s| {
            let id = previous == "find_by_external_id"
                || (!s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit()));
            previous = s;
            if id { "{id}" } else { s }
        })
        .collect();
    format!("{method} {}", path.join("/"))
}

fn authorized(request: &Request, config: &SandboxConfig) -> bool {
    request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|token| token.trim() == config.token)
}

/// "`Accept: application/json`" [oas]; a body is JSON. A client that asks for something
/// else, or sends a body of another type, is refused before the handler.
fn content_refusal(request: &Request) -> Option<Refusal> {
    let headers = request.headers();
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(accept) = text(header::ACCEPT)
        && !["json", "*/*", "application/*"]
            .iter()
            .any(|t| accept.contains(t))
    {
        return Some(refuse(
            StatusCode::NOT_ACCEPTABLE,
            "bad_request",
            "Accept must allow application/json",
        ));
    }
    let has_body = text(header::CONTENT_LENGTH)
        .and_then(|l| l.trim().parse::<u64>().ok())
        .is_some_and(|l| l > 0)
        || headers.contains_key(header::TRANSFER_ENCODING);
    if has_body && !text(header::CONTENT_TYPE).is_some_and(|t| t.contains("json")) {
        return Some(bad_request("Content-Type must be application/json"));
    }
    None
}

/// Before a handler runs: the latency, the count, the token (401 without limit headers
/// [rl]), the window's limit, an injected or random fault, the content types; and the
/// limit headers on every authenticated answer.
async fn gate(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let config = &shared.config;
    if !config.latency.is_zero() {
        tokio::time::sleep(config.latency).await;
    }
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let now = Instant::now();
    let (admitted, fault) = {
        let mut account = account(&shared);
        *account
            .stats
            .requests
            .entry(endpoint(&method, &path))
            .or_default() += 1;
        account.stats.total += 1;
        if !authorized(&request, config) {
            // The answer of [rl]'s table, with no rate-limit headers.
            return refusal(refuse(
                StatusCode::UNAUTHORIZED,
                api::codes::UNAUTHORIZED,
                "Access Token Invalid",
            ));
        }
        let admitted = account.window.admit(now);
        let fault = if admitted {
            account
                .faults
                .take(&method, &path)
                .or_else(|| random_fault(config.fail_rate))
        } else {
            None
        };
        if !admitted || fault == Some(Fault::Throttled) {
            account.stats.throttled += 1;
        }
        (admitted, fault)
    };
    let response = match fault {
        _ if !admitted => throttled(config),
        Some(Fault::Throttled) => throttled(config),
        Some(Fault::ServerError) => server_error(),
        // A proxy's page: no headers of Intercom's.
        Some(Fault::HtmlBadGateway) => return html_error(StatusCode::BAD_GATEWAY),
        _ => match content_refusal(&request) {
            Some(r) => refusal(r),
            None => match fault {
                Some(Fault::ServerErrorAfterApply) => {
                    let _applied = next.run(request).await;
                    server_error()
                }
                Some(Fault::DropAfterApply) => {
                    let _applied = next.run(request).await;
                    dropped_answer()
                }
                _ => next.run(request).await,
            },
        },
    };
    with_limits(response, &shared, now)
}

fn random_fault(fail_rate: f64) -> Option<Fault> {
    chance(fail_rate).then(|| {
        if rand::random::<bool>() {
            Fault::ServerError
        } else {
            Fault::ServerErrorAfterApply
        }
    })
}

fn server_error() -> Response {
    refusal(refuse(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        "Server Error",
    ))
}

/// "Over the limit: `429`, `…"code":"rate_limit_exceeded","message":"Exceeded rate limit
/// of 167 in 10_seconds"…`" [rl], with the window's figures.
fn throttled(config: &SandboxConfig) -> Response {
    let seconds = config.window.as_secs_f64().ceil().max(1.0) as u64;
    refusal(refuse(
        StatusCode::TOO_MANY_REQUESTS,
        api::codes::RATE_LIMIT_EXCEEDED,
        format!(
            "Exceeded rate limit of {} in {seconds}_seconds",
            config.limit_per_window
        ),
    ))
}

/// `X-RateLimit-Limit` (per window), `X-RateLimit-Remaining`, `X-RateLimit-Reset` (Unix
/// seconds) [rl], unless `RateHeaders::Absent`.
fn with_limits(mut response: Response, shared: &Shared, now: Instant) -> Response {
    if shared.config.assumptions.rate_headers == RateHeaders::Absent {
        return response;
    }
    let (left, reset) = {
        let mut account = account(shared);
        account.window.roll(now);
        (account.window.left(), reset_at(&account.window, now))
    };
    let headers = response.headers_mut();
    headers.insert(
        api::RATE_LIMIT,
        HeaderValue::from(shared.config.limit_per_window),
    );
    headers.insert(api::RATE_REMAINING, HeaderValue::from(left));
    headers.insert(api::RATE_RESET, HeaderValue::from(reset));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_kept_as_intercom_strips_them() {
        assert_eq!(stored_phone(" +7 (999) 123-45-67 "), "+79991234567");
        assert_eq!(stored_phone("0049 30 1234567"), "+49301234567");
        assert!(is_e164("+79991234567"));
        assert!(!is_e164("89991234567"));
        assert!(!is_e164("+7999"));
        assert!(!is_e164("+0123456789"));
    }

    #[test]
    fn ids_in_paths_are_counted_as_one_endpoint() {
        assert_eq!(
            endpoint(&Method::POST, "/contacts/6762f0dd1bb69f9f2193bb83/tags"),
            "POST /contacts/{id}/tags"
        );
        assert_eq!(
            endpoint(
                &Method::DELETE,
                "/contacts/6762f0dd1bb69f9f2193bb83/tags/102"
            ),
            "DELETE /contacts/{id}/tags/{id}"
        );
        assert_eq!(
            endpoint(&Method::POST, "/contacts/search"),
            "POST /contacts/search"
        );
        assert_eq!(
            endpoint(&Method::POST, "/contacts/merge"),
            "POST /contacts/merge"
        );
        assert_eq!(
            endpoint(&Method::GET, "/contacts/find_by_external_id/crm-7"),
            "GET /contacts/find_by_external_id/{id}"
        );
    }

    #[test]
    fn the_cursor_round_trips_and_rejects_what_it_did_not_make() {
        assert_eq!(offset(&cursor(150)), Some(150));
        assert_eq!(offset("not-a-cursor"), None);
    }
}
