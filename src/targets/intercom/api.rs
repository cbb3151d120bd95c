//! Intercom's wire format (`shared/specs/intercom.md`). Every fact the connector and the
//! sandbox depend on is here, with its source as the spec names it ([oas], [pr543], [rl], …).
//! What the spec marks **assumed** lives in one place, "Assumptions" below: one type with a
//! variant for each reading, which the sandbox plays and the client reads tolerantly.
//!
//! Answers are read tolerantly (`targets::lenient`): ids as strings or numbers, `null` for a
//! missing list, unknown keys ignored.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::targets::lenient;

// ---------------------------------------------------------------------------------------
// Transport
// ---------------------------------------------------------------------------------------

/// "Base URL: `https://api.intercom.io`; regional `https://api.eu.intercom.io`,
/// `https://api.au.intercom.io`" [oas `servers`].
pub const BASE_URL: &str = "https://api.intercom.io";
pub const HOSTS: &[&str] = &[
    "api.intercom.io",
    "api.eu.intercom.io",
    "api.au.intercom.io",
];

/// "`Intercom-Version: 2.16` … keep the version a setting" [oas `intercom_version`]: the
/// default here, `--intercom-version` (a job's `version`) over it.
pub const VERSION_HEADER: &str = "Intercom-Version";
pub const DEFAULT_VERSION: &str = "2.16";

pub mod paths {
    pub const CONTACTS: &str = "/contacts";
    pub const SEARCH: &str = "/contacts/search";
    pub const TAGS: &str = "/tags";
    pub const COMPANIES: &str = "/companies";
    pub const DATA_ATTRIBUTES: &str = "/data_attributes";

    /// `GET`/`PUT /contacts/{id}`.
    pub fn contact(id: &str) -> String {
        format!("/contacts/{id}")
    }

    /// `POST /contacts/{id}/{archive,unarchive,notes,companies,tags}`.
    pub fn of_contact(id: &str, what: &str) -> String {
        format!("/contacts/{id}/{what}")
    }
}

/// "Authenticated responses carry `X-RateLimit-Limit` (per window), `X-RateLimit-Remaining`,
/// `X-RateLimit-Reset` (Unix seconds)" [rl].
pub const RATE_LIMIT: &str = "x-ratelimit-limit";
pub const RATE_REMAINING: &str = "x-ratelimit-remaining";
pub const RATE_RESET: &str = "x-ratelimit-reset";

/// "enforced in **10-second windows**" [rl]: `X-RateLimit-Limit` counts one window.
pub const WINDOW: Duration = Duration::from_secs(10);

/// "at most 2 nesting levels and 15 filters per AND/OR group" [oas search].
pub const MAX_FILTERS: usize = 15;
/// `pagination.per_page` of a search; 150 is the documented maximum, 50 the default.
pub const SEARCH_PAGE: u32 = 50;

/// "Maximum list length is **not documented** (**assumed** ≤ 100 per call)" for the bulk
/// tag call: the batch the loader sends. A refusal of a longer list is answered by halving
/// (`client::Intercom::tag_many`).
pub const TAG_BATCH: usize = 100;

/// "String values are limited to 255 characters (second-hand) — **assumed**; longer
/// comments go to a note".
pub const STRING_ATTRIBUTE_LIMIT: usize = 255;

/// "250 custom attributes per workspace" [help 179].
pub const MAX_CUSTOM_ATTRIBUTES: usize = 250;

/// What an answer's headers say of the limit, in the pacer's terms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// `X-RateLimit-Limit`: requests per 10-second window.
    pub per_window: Option<u64>,
    pub remaining: Option<u64>,
    /// `X-RateLimit-Reset`, as the time left until it.
    pub reset_in: Option<Duration>,
}

impl Limits {
    pub fn from_headers(headers: &reqwest::header::HeaderMap) -> Limits {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or_default();
        Limits {
            per_window: number(RATE_LIMIT),
            remaining: number(RATE_REMAINING),
            // A reset in the past (clock skew) is "now"; one over a minute away is not a
            // 10-second window's and is capped there.
            reset_in: number(RATE_RESET)
                .map(|at| Duration::from_secs_f64((at as f64 - now).clamp(0.0, 60.0))),
        }
    }

    /// The per-minute figure the pacer takes: six windows.
    pub fn per_minute(&self) -> Option<u64> {
        self.per_window
            .map(|n| n * (60 / WINDOW.as_secs()))
            .filter(|n| *n > 0)
    }
}

// ---------------------------------------------------------------------------------------
// Assumptions
// ---------------------------------------------------------------------------------------

/// Every point `shared/specs/intercom.md` marks **assumed** (or documents only in an open
/// PR), as the variants it could turn out to be. `Default` is the spec's reading; the
/// sandbox plays whichever it is given, so that the connector is proven against each.
///
/// Not played, because the client never depends on it: the token working on one regional
/// host only; `email =` case handling (we send and compare e-mails lower-cased); an unknown
/// custom attribute's answer (attributes are checked against `GET /data_attributes` before
/// any write).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Assumptions {
    pub conflict: ConflictText,
    pub archived_search: ArchivedSearch,
    pub bulk_tag: BulkTag,
    pub merged: MergedAnswer,
    pub attributes_update: AttributesUpdate,
    pub phone_validation: PhoneValidation,
    pub rate_headers: RateHeaders,
    pub ids: Ids,
}

/// "Existing contact → **409** … `"message":"A contact matching those details already
/// exists with id=…"`. Parse the id …; if the pattern fails, fall back to a lookup" [pr543].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ConflictText {
    #[default]
    WithId,
    /// The message names no id ("A contact matching those details already exists").
    WithoutId,
}

/// "whether search returns them [archived contacts] is **assumed** no".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ArchivedSearch {
    #[default]
    Excluded,
    /// Archived contacts are found, with `"archived": true`.
    Included,
}

/// "that lead ids work too is **assumed**"; "Maximum list length is **not documented**
/// (**assumed** ≤ 100 per call)".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BulkTag {
    #[default]
    AnyContact,
    /// Only users are tagged by the bulk call; leads come back `"tagged": false`.
    UsersOnly,
    /// At most 50 contacts a call: a longer list is refused with 400 `parameter_invalid`.
    FiftyAtMost,
    /// The 2.15 answer: `{"type":"tag","id","name"}`, no `users` listed.
    Unlisted,
}

/// "a merged-away id answers `410` `contact_merged` with `Link: </contacts/{id}>;
/// rel="canonical"` (2.16) … (The merge operation's own text says 404; accept both.)"
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MergedAnswer {
    #[default]
    GoneWithLink,
    NotFound,
}

/// "Only sent keys change (**assumed** for `custom_attributes` keys too)".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AttributesUpdate {
    #[default]
    SentKeysOnly,
    /// A `PUT` with `custom_attributes` replaces all of them.
    ReplacesAll,
}

/// "With the workspace's phone validation on … an invalid number fails the request; error
/// shape **assumed** 400 `parameter_invalid`".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PhoneValidation {
    #[default]
    Off,
    /// Numbers outside the E.164 shape, or of fewer than 8 digits, are refused.
    On,
}

/// "they are absent on unauthenticated answers" — and behind a proxy that strips them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RateHeaders {
    #[default]
    Sent,
    Absent,
}

/// Ids are strings in the spec's examples; a reader that takes numbers too loses nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Ids {
    #[default]
    Strings,
    /// Tag and company ids as JSON numbers (`"id": 102`).
    Numbers,
}

impl Assumptions {
    /// The names `parse` takes, one for each variant that is not the default.
    pub const NAMES: [&str; 9] = [
        "conflict-without-id",
        "archived-in-search",
        "bulk-tag-users-only",
        "bulk-tag-50",
        "bulk-tag-unlisted",
        "merged-404",
        "attributes-replaced",
        "phone-validation",
        "no-rate-headers",
    ];

    /// Names from `NAMES` (and `ids-as-numbers`), separated by commas, on top of the
    /// defaults.
    pub fn parse(text: &str) -> Result<Assumptions, String> {
        let mut a = Assumptions::default();
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name {
                "conflict-without-id" => a.conflict = ConflictText::WithoutId,
                "archived-in-search" => a.archived_search = ArchivedSearch::Included,
                "bulk-tag-users-only" => a.bulk_tag = BulkTag::UsersOnly,
                "bulk-tag-50" => a.bulk_tag = BulkTag::FiftyAtMost,
                "bulk-tag-unlisted" => a.bulk_tag = BulkTag::Unlisted,
                "merged-404" => a.merged = MergedAnswer::NotFound,
                "attributes-replaced" => a.attributes_update = AttributesUpdate::ReplacesAll,
                "phone-validation" => a.phone_validation = PhoneValidation::On,
                "no-rate-headers" => a.rate_headers = RateHeaders::Absent,
                "ids-as-numbers" => a.ids = Ids::Numbers,
                other => {
                    return Err(format!(
                        "unknown variant `{other}`: use {}, ids-as-numbers",
                        Assumptions::NAMES.join(", ")
                    ));
                }
            }
        }
        Ok(a)
    }
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// `{"type":"error.list","request_id":"<uuid>|null","errors":[{"code","message","field"?}]}`
/// [oas `error`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorList {
    #[serde(rename = "type", default = "error_list")]
    pub kind: String,
    #[serde(default)]
    pub request_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::items")]
    pub errors: Vec<ErrorItem>,
}

fn error_list() -> String {
    "error.list".to_owned()
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorItem {
    #[serde(default, deserialize_with = "lenient::string")]
    pub code: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ErrorList {
    pub fn one(code: &str, message: impl Into<String>) -> ErrorList {
        ErrorList {
            kind: error_list(),
            request_id: None,
            errors: vec![ErrorItem {
                code: code.to_owned(),
                message: message.into(),
                field: None,
            }],
        }
    }

    /// Every error as `code: message`, joined.
    pub fn said(&self) -> String {
        self.errors
            .iter()
            .map(|e| format!("{}: {}", e.code, e.message))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn has(&self, code: &str) -> bool {
        self.errors.iter().any(|e| e.code == code)
    }
}

/// Codes "the loader meets" [oas `error`].
pub mod codes {
    pub const UNAUTHORIZED: &str = "unauthorized";
    pub const PARAMETER_INVALID: &str = "parameter_invalid";
    pub const NOT_FOUND: &str = "not_found";
    pub const CONFLICT: &str = "conflict";
    pub const CONTACT_MERGED: &str = "contact_merged";
    pub const RATE_LIMIT_EXCEEDED: &str = "rate_limit_exceeded";
}

/// What an error answer means to the client: one table, read here only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// 429 `rate_limit_exceeded`: wait for the window's reset.
    Throttled,
    /// 409 on create: the contact exists; its id when the message names it ("Parse the id
    /// with `id=([0-9a-f]+)`"), and whether it is archived ("An archived contact matching
    /// those details already exists").
    Conflict {
        id: Option<String>,
        archived: bool,
    },
    /// 410 `contact_merged` (or a 404 `not_found` for an id we know: "accept both").
    Gone,
    BadCredentials,
    /// 5xx.
    Transient,
    /// Any other refusal, in Intercom's words.
    Refused,
}

pub fn classify(status: u16, body: &ErrorList) -> ErrorKind {
    match status {
        429 => ErrorKind::Throttled,
        _ if body.has(codes::RATE_LIMIT_EXCEEDED) => ErrorKind::Throttled,
        401 => ErrorKind::BadCredentials,
        409 => {
            let message = body
                .errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            ErrorKind::Conflict {
                id: conflict_id(&message),
                archived: message.to_ascii_lowercase().contains("archived"),
            }
        }
        // A 404 is the contact's only as `not_found`: `company_not_found` and
        // `tag_not_found` are refusals of the request.
        410 => ErrorKind::Gone,
        404 if body.has(codes::NOT_FOUND) => ErrorKind::Gone,
        500..=599 => ErrorKind::Transient,
        _ => ErrorKind::Refused,
    }
}

/// The id in "… already exists with id=6762f0dd1bb69f9f2193bb83": the hex digits after
/// `id=` (the spec's `id=([0-9a-f]+)`, without a regex engine for one pattern).
pub fn conflict_id(message: &str) -> Option<String> {
    let at = message.find("id=")? + 3;
    let id: String = message[at..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    (!id.is_empty()).then(|| id.to_ascii_lowercase())
}

/// The id in a merged contact's `Link: </contacts/{id}>; rel="canonical"` (2.16).
pub fn canonical_id(link: &str) -> Option<String> {
    link.split(',')
        .find(|part| part.contains("canonical"))
        .and_then(|part| {
            let start = part.find('<')? + 1;
            let end = part.find('>')?;
            part.get(start..end)
        })
        .and_then(|path| path.trim_end_matches('/').rsplit('/').next())
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
}

// ---------------------------------------------------------------------------------------
// Contacts
// ---------------------------------------------------------------------------------------

/// "A contact is a `user` (identified: e-mail and/or `external_id`) or a `lead`".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    #[default]
    User,
    Lead,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Lead => "lead",
        }
    }
}

/// A contact as answers hold it: the fields the loader reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(default, deserialize_with = "role")]
    pub role: Role,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub phone: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub external_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub created_at: Option<u64>,
    /// Not in the published contact model; an archived contact found by a search is read
    /// as such when it says so (`ArchivedSearch::Included`).
    #[serde(default, deserialize_with = "lenient::bool")]
    pub archived: bool,
    #[serde(default, deserialize_with = "attributes")]
    pub custom_attributes: BTreeMap<String, Value>,
}

fn role<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Role, D::Error> {
    let text = lenient::text(Value::deserialize(d)?).unwrap_or_default();
    Ok(if text.eq_ignore_ascii_case("lead") {
        Role::Lead
    } else {
        Role::User
    })
}

fn attributes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<BTreeMap<String, Value>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Object(map) => map.into_iter().collect(),
        _ => BTreeMap::new(),
    })
}

/// The body of `POST /contacts` and `PUT /contacts/{id}` (`create_contact_request`,
/// `update_contact_request`): only the keys that are set are sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContactRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_attributes: BTreeMap<String, Value>,
}

/// `POST /contacts/search` [oas]: one filter, or a group of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Query {
    Filter {
        field: String,
        operator: String,
        value: Value,
    },
    Group {
        operator: String,
        value: Vec<Query>,
    },
}

impl Query {
    pub fn equals(field: &str, value: &str) -> Query {
        Query::Filter {
            field: field.to_owned(),
            operator: "=".to_owned(),
            value: Value::String(value.to_owned()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchRequest {
    pub query: Query,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination: Option<Pagination>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pagination {
    pub per_page: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starting_after: Option<String>,
}

/// `{"type":"list","data":[…],"total_count":N,"pages":{…}}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct List<T> {
    #[serde(default = "list_type", rename = "type")]
    pub kind: String,
    #[serde(
        default = "Vec::new",
        deserialize_with = "lenient::items",
        bound(deserialize = "T: serde::de::DeserializeOwned")
    )]
    pub data: Vec<T>,
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub total_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages: Option<Value>,
}

fn list_type() -> String {
    "list".to_owned()
}

impl<T> List<T> {
    pub fn of(data: Vec<T>) -> List<T> {
        List {
            kind: list_type(),
            total_count: Some(data.len() as u64),
            data,
            pages: None,
        }
    }

    /// The next page's cursor: `pages.next.starting_after`.
    pub fn next_cursor(&self) -> Option<String> {
        self.pages
            .as_ref()?
            .get("next")?
            .get("starting_after")?
            .as_str()
            .map(str::to_owned)
    }
}

/// Which of several contacts one identifier found is the one: the one with the row's
/// external id (Intercom identifies "`id` → `external_id` (`user_id`) → e-mail"), then
/// "the user over a lead, then the oldest `created_at`; report the rest" (search, "can
/// return several").
pub fn pick(mut found: Vec<Contact>, external_id: Option<&str>) -> Option<(Contact, Vec<Contact>)> {
    found.sort_by_key(|c| {
        (
            external_id.is_some() && c.external_id.as_deref() != external_id,
            c.role != Role::User,
            c.created_at.unwrap_or(u64::MAX),
            c.id.clone(),
        )
    });
    let mut rest = found.into_iter();
    let first = rest.next()?;
    Some((first, rest.collect()))
}

// ---------------------------------------------------------------------------------------
// Data attributes, tags, companies, notes
// ---------------------------------------------------------------------------------------

/// `GET /data_attributes?model=contact` items [oas].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataAttribute {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub label: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub data_type: String,
    #[serde(default, deserialize_with = "lenient::bool")]
    pub custom: bool,
    #[serde(default = "yes", deserialize_with = "lenient::bool")]
    pub api_writable: bool,
    #[serde(default, deserialize_with = "lenient::bool")]
    pub archived: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

fn yes() -> bool {
    true
}

/// `POST /data_attributes` `{"name","model":"contact","data_type":"string","description"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDataAttribute {
    pub name: String,
    pub model: String,
    pub data_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `{"type":"tag","id":"102","name":"Manual tag 1"}`; the bulk call's answer lists
/// `users: [{"id","tagged":true}]` (2.16).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    #[serde(default, deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(
        default,
        deserialize_with = "tagged_list",
        skip_serializing_if = "Option::is_none"
    )]
    pub users: Option<Vec<Tagged>>,
}

fn tagged_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<Tagged>>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Null => None,
        value => Some(lenient::list(value).0),
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tagged {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(default = "yes", deserialize_with = "lenient::bool")]
    pub tagged: bool,
}

/// `POST /tags` `{"name","users":[{"id"}…]}`: creates the tag if missing and tags many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagRequest {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<IdRef>,
}

/// `{"id":"…"}`: a contact in a tag call, a tag or a company to attach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdRef {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
}

/// `POST /companies` `{"company_id","name"}`: "an upsert by `company_id`".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyRequest {
    pub company_id: String,
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Company {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub company_id: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
}

/// `POST /contacts/{id}/notes` `{"body":"text","admin_id"?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteRequest {
    pub body: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub body: String,
}

/// A note's body as we send it: the comment as text. "HTML is rendered", so the text is
/// escaped and its line breaks kept as paragraphs' breaks.
pub fn note_body(comment: &str) -> String {
    let mut body = String::with_capacity(comment.len() + 7);
    body.push_str("<p>");
    for c in comment.chars() {
        match c {
            '<' => body.push_str("&lt;"),
            '>' => body.push_str("&gt;"),
            '&' => body.push_str("&amp;"),
            '\n' => body.push_str("<br>"),
            c => body.push(c),
        }
    }
    body.push_str("</p>");
    body
}

/// Whether a note read from the workspace is the comment: its body as sent, or with the
/// markup Intercom keeps or drops around it.
pub fn note_is(note: &Note, comment: &str) -> bool {
    let plain = |text: &str| -> String {
        let mut out = String::new();
        let mut in_tag = false;
        for c in text.chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        out.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&#x27;", "'")
            .replace("&nbsp;", " ")
            .replace("&amp;", "&")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    plain(&note.body) == plain(&note_body(comment))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_conflict_names_its_contact() {
        let body: ErrorList = serde_json::from_str(
            r#"{"type":"error.list","request_id":"x","errors":[{"code":"conflict",
            "message":"A contact matching those details already exists with id=6762f0dd1bb69f9f2193bb83"}]}"#,
        )
        .unwrap();
        assert_eq!(
            classify(409, &body),
            ErrorKind::Conflict {
                id: Some("6762f0dd1bb69f9f2193bb83".into()),
                archived: false
            }
        );
        let archived = ErrorList::one(
            codes::CONFLICT,
            "An archived contact matching those details already exists with id=abc123",
        );
        assert_eq!(
            classify(409, &archived),
            ErrorKind::Conflict {
                id: Some("abc123".into()),
                archived: true
            }
        );
        let bare = ErrorList::one(
            codes::CONFLICT,
            "A contact matching those details already exists",
        );
        assert_eq!(
            classify(409, &bare),
            ErrorKind::Conflict {
                id: None,
                archived: false
            }
        );
    }

    #[test]
    fn a_merged_contact_points_to_its_canonical_one() {
        assert_eq!(
            canonical_id(r#"</contacts/5f1a>; rel="canonical""#).as_deref(),
            Some("5f1a")
        );
        assert_eq!(canonical_id(r#"</contacts/5f1a>; rel="next""#), None);
    }

    #[test]
    fn the_user_wins_then_the_oldest() {
        let contact = |id: &str, role, created_at| Contact {
            id: id.into(),
            role,
            created_at: Some(created_at),
            ..Default::default()
        };
        let found = vec![
            contact("lead-old", Role::Lead, 1),
            contact("user-new", Role::User, 9),
            contact("user-old", Role::User, 5),
        ];
        let (first, rest) = pick(found.clone(), None).unwrap();
        assert_eq!(first.id, "user-old");
        assert_eq!(rest.len(), 2);
        // The row's external id first.
        let mut found = found;
        found[1].external_id = Some("crm-1".into());
        assert_eq!(pick(found, Some("crm-1")).unwrap().0.id, "user-new");
    }

    #[test]
    fn answers_are_read_leniently() {
        let contact: Contact = serde_json::from_str(
            r#"{"id":123,"role":"lead","email":null,"phone":"+79991234567","custom_attributes":null}"#,
        )
        .unwrap();
        assert_eq!(contact.id, "123");
        assert_eq!(contact.role, Role::Lead);
        let tag: Tag = serde_json::from_str(r#"{"type":"tag","id":102,"name":"vip"}"#).unwrap();
        assert_eq!((tag.id.as_str(), tag.users), ("102", None));
    }

    #[test]
    fn a_note_is_recognised_in_either_markup() {
        let comment = "call after 6 <pm>\nsecond line";
        let sent = Note {
            id: "1".into(),
            body: note_body(comment),
        };
        assert!(note_is(&sent, comment));
        let kept = Note {
            id: "1".into(),
            body: "<p>call after 6 &lt;pm&gt;</p><p>second line</p>".into(),
        };
        assert!(note_is(&kept, comment));
        assert!(!note_is(&kept, "call after 7"));
    }
}
