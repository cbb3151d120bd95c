//! Omnidesk's wire format. Every fact the connector and the sandbox depend on is here, with
//! its source as `shared/specs/omnidesk.md` names it ([api-users], [laravel], …). What the
//! spec marks **assumed** lives in one place, "Assumptions" below: one type, `Assumptions`,
//! with a variant for each reading, which the client is told and the sandbox plays.
//!
//! Answers are read tolerantly (`targets::lenient`): ids and numbers as strings, flags as
//! `0`/`1`, a list as an object keyed by positions or as an array. A user's `password`
//! (a generated help-centre password, [api-users]) is left out while an answer is read
//! (`Scrubbed`), so no value of this crate ever holds it, and no log can show it.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::de::{self, DeserializeOwned, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::targets::lenient;

// ---------------------------------------------------------------------------------------
// Transport
// ---------------------------------------------------------------------------------------

/// "`https://{account}.omnidesk.ru` — configurable (accounts on `omnidesk.pro` and custom
/// domains exist). Every path below starts with `/api/` and ends in `.json`" [api-users].
pub mod paths {
    pub const USERS: &str = "/api/users.json";
    pub const CUSTOM_FIELDS: &str = "/api/custom_fields.json";
    pub const LANGUAGES: &str = "/api/languages.json";

    /// `GET`/`PUT /api/users/{id}.json`.
    pub fn user(id: u64) -> String {
        format!("/api/users/{id}.json")
    }

    /// `PUT /api/users/{id}/link.json`, flat body (`LinkBody`).
    pub fn link(id: u64) -> String {
        format!("/api/users/{id}/link.json")
    }

    /// `PUT /api/users/{id}/unlink.json`, body `{"user_id":N}` (`UnlinkBody`).
    pub fn unlink(id: u64) -> String {
        format!("/api/users/{id}/unlink.json")
    }
}

/// List paging: "`page` (1–500), `limit` (1–100, default 100)" [laravel docs transcription].
pub const MAX_PAGE: u32 = 500;
pub const MAX_LIMIT: u32 = 100;
pub const DEFAULT_LIMIT: u32 = 100;

/// "`user_email`, `user_phone` (each at least 3 characters)" as search filters [laravel].
pub const MIN_SEARCH_CHARS: usize = 3;

/// "Every response carries headers (names as written, lower-case, with underscores)"
/// [kb-limits]. HTTP stacks that drop header names with underscores hide them.
pub const RATE_LIMIT_PER_MINUTE: &str = "rate_limit_per_minute";
pub const API_CALLS_LEFT: &str = "api_calls_left";
pub const RETRY_AFTER: &str = "retry_after";

/// What an answer's headers say about the limit. All optional: the per-minute figure of a
/// plan was not found [kb-limits] and must come from here, never from a constant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// `rate_limit_per_minute`: the most requests in one interval.
    pub per_minute: Option<u64>,
    /// `api_calls_left`: requests left in the current interval.
    pub calls_left: Option<u64>,
    /// `retry_after`, or a standard `Retry-After` ("Also honour a standard `Retry-After`
    /// if one appears"): the longer of the two when both come.
    pub retry_after: Option<Duration>,
}

impl Limits {
    pub fn from_headers(headers: &reqwest::header::HeaderMap) -> Limits {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let underscored = crate::http_client::seconds_header(headers, RETRY_AFTER);
        let standard = crate::http_client::retry_after(headers);
        Limits {
            per_minute: number(RATE_LIMIT_PER_MINUTE),
            calls_left: number(API_CALLS_LEFT),
            retry_after: underscored.max(standard),
        }
    }
}

/// The names of an answer's headers that look like limit headers, lower case: the three
/// above, a standard `Retry-After`, and any other spelling of them (`x-ratelimit-limit`,
/// `rate-limit-per-minute` from a stack that turns underscores into dashes) — for `probe`,
/// to say what reaches us when `Limits` reads nothing.
pub fn limit_header_names(headers: &reqwest::header::HeaderMap) -> Vec<String> {
    let mut names: Vec<String> = headers
        .keys()
        .map(|name| name.as_str().to_ascii_lowercase())
        .filter(|name| ["limit", "calls", "retry"].iter().any(|w| name.contains(w)))
        .collect();
    names.sort();
    names.dedup();
    names
}

// ---------------------------------------------------------------------------------------
// Assumptions
// ---------------------------------------------------------------------------------------

/// Every point `shared/specs/omnidesk.md` marks **assumed**, as the variants it could turn
/// out to be. `Default` is the spec's reading; the sandbox plays whichever it is given
/// (`SandboxConfig::assumptions`), so that the connector is proven against each.
///
/// Not played, because no alternative would change what a client sends or reads: 401 on
/// bad credentials (`BAD_CREDENTIALS_STATUS`); no notification to an API-created user; no
/// case rules fired by creating users; `company_name` a plain profile field; name, company,
/// position and note stored per profile.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Assumptions {
    pub throttle: Throttle,
    pub retry_after: RetryAfterHeader,
    pub error_detail: ErrorDetail,
    pub duplicate: DuplicateAnswer,
    pub several_identifiers: SeveralIdentifiers,
    pub phone_storage: PhoneStorage,
    pub email_case: EmailCase,
    pub search_lag: SearchLag,
    pub note_update: NoteUpdate,
    pub links: LinkScope,
    pub relink: Relink,
    pub select_value: SelectValue,
    pub identifier_names: IdentifierNames,
    pub numbers: Numbers,
}

/// "Over the limit: **assumed** `429` …; the old scheme answered **403** with a body
/// matching `rate limit exceeded` [ruby]". Both are "throttled" (`ErrorKind::Throttled`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Throttle {
    #[default]
    TooManyRequests,
    /// 403 `{"error":"rate limit exceeded"}`.
    ForbiddenRateLimitExceeded,
}

/// "`retry_after` — seconds to wait (… **assumed** present only when throttled or close to
/// it)".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RetryAfterHeader {
    #[default]
    WhenThrottled,
    /// On every answer: the seconds until the interval rolls over.
    Always,
    Never,
}

/// "`{"error":"email_already_exist", ...}`; other keys, e.g. a description, **assumed**
/// optional".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ErrorDetail {
    #[default]
    CodeOnly,
    /// `description` beside `error`, in words.
    WithDescription,
}

/// "Duplicate identifier → 4xx (status **assumed** 400) … The body is **assumed** not to
/// carry the existing `user_id`".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DuplicateAnswer {
    #[default]
    WithoutId,
    /// `{"error":"email_already_exist","user_id":123}`.
    WithUserId,
}

/// "Several identifiers in one create … Whether that creates and links a second profile in
/// one request is **not confirmed**. Default: one identifier per create, then link".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SeveralIdentifiers {
    /// One profile, of the first identifier in `IDENTIFIER_FIELDS` order (the official
    /// example sends `user_email` and `user_whatsapp_phone` and gets `"type":"email"`); the
    /// others are not kept — "one profile per contact channel" [kb-link]. The answer's
    /// `linked_users` stays empty: a connector that relied on more would lose identifiers
    /// and see it.
    #[default]
    FirstOnly,
    /// A profile for each identifier, all linked; the answer is the first one's, with the
    /// others in `linked_users`.
    LinkedProfiles,
}

/// "Stored phone format is **assumed** as sent (the docs' examples use `+79261234567`)".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PhoneStorage {
    #[default]
    AsSent,
    /// Digits only: `+7 (926) 123-45-67` is kept, shown and matched as `79261234567`.
    DigitsOnly,
}

/// "server-side case handling **assumed** insensitive, unconfirmed" — for search, and for
/// what counts as the same e-mail on create.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EmailCase {
    #[default]
    Insensitive,
    Sensitive,
}

/// "Search reflects a just-created user at once (**assumed**: no index lag is documented)".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SearchLag {
    #[default]
    None,
    /// A user is found by search only this long after it was created (get by id and the
    /// duplicate check see it at once).
    After(Duration),
}

/// "`user_note` is one text field: a PUT replaces it (**assumed**)".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NoteUpdate {
    #[default]
    Replaces,
    /// The new text is added on a new line after the old.
    Appends,
}

/// "Linked profiles form one person in the UI; transitivity is **assumed**".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LinkScope {
    /// Linking joins two people: every profile of each lists every other profile.
    #[default]
    Transitive,
    /// Only the two profiles named list each other.
    Pairwise,
}

/// "Linking is **assumed** idempotent (linking an already linked pair answers 200)".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Relink {
    #[default]
    Accepted,
    /// 400 `{"error":"user_already_linked"}` (a code of the sandbox's own: none is known).
    Refused,
}

/// "for `select`, `field_data` is `{"1":"First choice",…}` and the value to send is
/// **assumed** the option key".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SelectValue {
    #[default]
    OptionKey,
    OptionTitle,
}

/// "The identifier comes back under the request name … or a channel-specific one
/// (`telegram_id`, `facebook_id`, `user_screen_name`) [laravel fixtures, a public TS
/// script] — parse leniently".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum IdentifierNames {
    #[default]
    RequestNames,
    /// `user_telegram` comes back as `telegram_id`, `user_facebook` as `facebook_id`.
    ChannelNames,
}

/// Ids and numbers "may be strings or numbers" in answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Numbers {
    #[default]
    AsNumbers,
    AsStrings,
}

impl Assumptions {
    /// The names `parse` takes, one for each variant that is not the default.
    pub const NAMES: [&str; 15] = [
        "throttle-403",
        "retry-after-always",
        "retry-after-never",
        "error-description",
        "duplicate-with-id",
        "create-links-identifiers",
        "phone-digits",
        "email-case-sensitive",
        "search-lag",
        "note-appends",
        "links-pairwise",
        "relink-refused",
        "select-by-title",
        "channel-names",
        "numbers-as-strings",
    ];

    /// How long a user stays out of search under `search-lag`.
    pub const SEARCH_LAG: Duration = Duration::from_secs(2);

    /// Names from `NAMES`, separated by commas, on top of the defaults.
    pub fn parse(text: &str) -> Result<Assumptions, String> {
        let mut a = Assumptions::default();
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name {
                "throttle-403" => a.throttle = Throttle::ForbiddenRateLimitExceeded,
                "retry-after-always" => a.retry_after = RetryAfterHeader::Always,
                "retry-after-never" => a.retry_after = RetryAfterHeader::Never,
                "error-description" => a.error_detail = ErrorDetail::WithDescription,
                "duplicate-with-id" => a.duplicate = DuplicateAnswer::WithUserId,
                "create-links-identifiers" => {
                    a.several_identifiers = SeveralIdentifiers::LinkedProfiles
                }
                "phone-digits" => a.phone_storage = PhoneStorage::DigitsOnly,
                "email-case-sensitive" => a.email_case = EmailCase::Sensitive,
                "search-lag" => a.search_lag = SearchLag::After(Assumptions::SEARCH_LAG),
                "note-appends" => a.note_update = NoteUpdate::Appends,
                "links-pairwise" => a.links = LinkScope::Pairwise,
                "relink-refused" => a.relink = Relink::Refused,
                "select-by-title" => a.select_value = SelectValue::OptionTitle,
                "channel-names" => a.identifier_names = IdentifierNames::ChannelNames,
                "numbers-as-strings" => a.numbers = Numbers::AsStrings,
                other => {
                    return Err(format!(
                        "unknown variant `{other}`: use {}",
                        Assumptions::NAMES.join(", ")
                    ));
                }
            }
        }
        Ok(a)
    }
}

/// "Duplicate identifier → 4xx (status **assumed** 400)".
pub const DUPLICATE_STATUS: u16 = 400;

/// "401 on bad credentials (**assumed**)".
pub const BAD_CREDENTIALS_STATUS: u16 = 401;

// ---------------------------------------------------------------------------------------
// Identifiers
// ---------------------------------------------------------------------------------------

/// "At least one identifier is required" [laravel `UserStoreData`], in the order the docs
/// list them — also the order that decides a profile's `type` when a create carries
/// several (`SeveralIdentifiers::FirstOnly`). `user_custom_id` goes with
/// `CUSTOM_CHANNEL_FIELD`.
pub const IDENTIFIER_FIELDS: [&str; 16] = [
    "user_email",
    "user_phone",
    "user_whatsapp_phone",
    "user_vkontakte",
    "user_odnoklassniki",
    "user_facebook",
    "user_instagram",
    "user_telegram",
    "user_telegram_data",
    "user_viber",
    "user_skype",
    "user_line",
    "user_slack",
    "user_mattermost",
    "user_avito",
    "user_custom_id",
];

pub const EMAIL_FIELD: &str = "user_email";
pub const PHONE_FIELD: &str = "user_phone";
pub const CUSTOM_ID_FIELD: &str = "user_custom_id";
/// "`user_custom_id` together with `user_custom_channel` (e.g. `cch101`)".
pub const CUSTOM_CHANNEL_FIELD: &str = "user_custom_channel";

/// Channel-specific names an identifier comes back under, with the request name each
/// stands for [laravel `UserData`: `telegramId`]. `user_screen_name` (a public TS script)
/// names no channel we know: it is kept under its own name.
pub const ANSWER_ALIASES: [(&str, &str); 2] = [
    ("telegram_id", "user_telegram"),
    ("facebook_id", "user_facebook"),
];
pub const SCREEN_NAME_FIELD: &str = "user_screen_name";

/// The `channel|id` channels of the import article, lower case as it demands ("Формат
/// чувствителен к регистру") [seed], each with its `user_*` field. The map itself is
/// **assumed** (spec: "Import rules … The channel → API field map is **assumed**"), `vk`
/// and `ok` are aliases.
const MESSENGER_FIELDS: [(&str, &str); 14] = [
    ("telegram", "user_telegram"),
    ("whatsapp", "user_whatsapp_phone"),
    ("viber", "user_viber"),
    ("vkontakte", "user_vkontakte"),
    ("vk", "user_vkontakte"),
    ("odnoklassniki", "user_odnoklassniki"),
    ("ok", "user_odnoklassniki"),
    ("facebook", "user_facebook"),
    ("instagram", "user_instagram"),
    ("skype", "user_skype"),
    ("line", "user_line"),
    ("slack", "user_slack"),
    ("mattermost", "user_mattermost"),
    ("avito", "user_avito"),
];

/// The field a `channel|id` identity goes to; `None` for an unknown channel (a row error)
/// or an empty id. The channel must already be lower case. Telegram has two: a numeric id
/// is `user_telegram` ("Telegram **id**"), anything else — `@name`, a name, a phone with
/// `+` — is `user_telegram_data` ("Telegram **phone or username**"). A phone written as
/// bare digits cannot be told from an id and goes to `user_telegram`.
pub fn messenger_field(channel: &str, id: &str) -> Option<&'static str> {
    let id = id.trim();
    if id.is_empty() {
        return None;
    }
    let field = MESSENGER_FIELDS
        .iter()
        .find(|(name, _)| *name == channel)
        .map(|(_, field)| *field)?;
    if field == "user_telegram" && !id.bytes().all(|b| b.is_ascii_digit()) {
        return Some("user_telegram_data");
    }
    Some(field)
}

/// The error code of a duplicate identifier: `email_already_exist`,
/// `phone_already_exist` [bundle]; for the rest, whose codes are unknown, the same shape
/// (`whatsapp_phone_already_exist`).
pub fn duplicate_code(field: &str) -> String {
    format!(
        "{}_already_exist",
        field.strip_prefix("user_").unwrap_or(field)
    )
}

/// The identifier field a duplicate's code names (`email_already_exist` → `user_email`),
/// for any `*_already_exist` ("treat any `*_already_exist` as 'exists'").
pub fn duplicate_field(code: &str) -> Option<String> {
    let code = code.trim().to_ascii_lowercase();
    let stem = code
        .strip_suffix("_already_exist")
        .or_else(|| code.strip_suffix("_already_exists"))?;
    Some(format!("user_{stem}"))
}

// ---------------------------------------------------------------------------------------
// Search
// ---------------------------------------------------------------------------------------

/// "Matching is **substring** by default; `^value^` = whole string, `^value` = starts
/// with, `value^` = ends with" [api-intro].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    Contains,
    Whole,
    StartsWith,
    EndsWith,
}

impl Match {
    /// The filter value that asks for this match.
    pub fn pattern(self, value: &str) -> String {
        match self {
            Match::Contains => value.to_owned(),
            Match::Whole => format!("^{value}^"),
            Match::StartsWith => format!("^{value}"),
            Match::EndsWith => format!("{value}^"),
        }
    }

    /// How a (decoded) filter value asks to match, and the value without its anchors.
    pub fn of(pattern: &str) -> (Match, &str) {
        match (pattern.strip_prefix('^'), pattern.strip_suffix('^')) {
            (Some(_), Some(_)) if pattern.len() >= 2 => {
                (Match::Whole, &pattern[1..pattern.len() - 1])
            }
            (Some(rest), _) => (Match::StartsWith, rest),
            (None, Some(rest)) => (Match::EndsWith, rest),
            (None, None) => (Match::Contains, pattern),
        }
    }

    pub fn matches(self, stored: &str, value: &str) -> bool {
        match self {
            Match::Contains => stored.contains(value),
            Match::Whole => stored == value,
            Match::StartsWith => stored.starts_with(value),
            Match::EndsWith => stored.ends_with(value),
        }
    }
}

/// A query value percent-encoded: everything but `A–Z a–z 0–9 - . _ ~`. "Percent-encode
/// the query: `^` → `%5E` and above all `+` → `%2B` (a raw `+` is read as a space, so
/// `+7999…` silently becomes a different search)".
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `k=v&…`, each name and value `encode`d.
pub fn query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

// ---------------------------------------------------------------------------------------
// Reading answers
// ---------------------------------------------------------------------------------------

/// The member every read leaves out: "`password` is a generated help-centre password:
/// never log or store it" [api-users].
pub const PASSWORD_FIELD: &str = "password";

/// A JSON value read with every `password` member, at any depth, skipped unread: what
/// answers are read through, so that the password is never in memory as a value.
#[derive(Debug, Clone, PartialEq)]
pub struct Scrubbed(pub Value);

impl<'de> Deserialize<'de> for Scrubbed {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Scrubbed, D::Error> {
        d.deserialize_any(ScrubbedVisitor)
    }
}

struct ScrubbedVisitor;

impl<'de> Visitor<'de> for ScrubbedVisitor {
    type Value = Scrubbed;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Scrubbed, E> {
        Ok(Scrubbed(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Scrubbed, E> {
        Ok(Scrubbed(Value::from(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Scrubbed, E> {
        Ok(Scrubbed(Value::from(v)))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Scrubbed, E> {
        Ok(Scrubbed(Value::from(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Scrubbed, E> {
        Ok(Scrubbed(Value::String(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Scrubbed, E> {
        Ok(Scrubbed(Value::String(v)))
    }

    fn visit_none<E>(self) -> Result<Scrubbed, E> {
        Ok(Scrubbed(Value::Null))
    }

    fn visit_unit<E>(self) -> Result<Scrubbed, E> {
        Ok(Scrubbed(Value::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Scrubbed, D::Error> {
        Scrubbed::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scrubbed, A::Error> {
        let mut items = Vec::new();
        while let Some(Scrubbed(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Scrubbed(Value::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scrubbed, A::Error> {
        let mut members = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == PASSWORD_FIELD {
                map.next_value::<IgnoredAny>()?;
            } else {
                let Scrubbed(value) = map.next_value()?;
                members.insert(key, value);
            }
        }
        Ok(Scrubbed(Value::Object(members)))
    }
}

/// A user profile as answers carry it [api-users, laravel `UserData`]. No `password`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct User {
    pub user_id: u64,
    /// The profile's identifiers by request name (`user_email`, `user_telegram`, …; a
    /// channel-specific name is read as the request name it stands for, `ANSWER_ALIASES`),
    /// plus `user_screen_name` when one comes.
    #[serde(flatten)]
    pub identifiers: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_custom_channel: Option<String>,
    /// `email`, `phone`, `whatsapp`, `telegram`, `facebook`, … [laravel].
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_full_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_position: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmed: Option<bool>,
    /// `false`: blocked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// "A duplicate error may point at a deleted user — the loader reports it".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
    /// RFC 2822: `"Mon, 05 May 2014 00:15:17 +0300"` [api-users].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language_id: Option<u64>,
    /// `{"cf_20":"some data","cf_23":true}`.
    pub custom_fields: BTreeMap<String, Value>,
    pub linked_users: Vec<u64>,
}

impl User {
    /// An identifier by its request name.
    pub fn identifier(&self, field: &str) -> Option<&str> {
        self.identifiers.get(field).map(String::as_str)
    }

    pub fn is_deleted(&self) -> bool {
        self.deleted == Some(true)
    }

    /// Read from an object already scrubbed; only a missing or non-numeric `user_id` fails.
    fn from_members(mut m: Map<String, Value>) -> Result<User, String> {
        let user_id = m
            .get("user_id")
            .and_then(lenient::number)
            .ok_or("a user without a numeric user_id")?;
        let mut take = |key: &str| m.remove(key).unwrap_or(Value::Null);
        let mut identifiers = BTreeMap::new();
        for field in IDENTIFIER_FIELDS.iter().chain([&SCREEN_NAME_FIELD]) {
            if let Some(value) = lenient::text(take(field)).filter(|v| !v.is_empty()) {
                identifiers.insert((*field).to_owned(), value);
            }
        }
        for (alias, field) in ANSWER_ALIASES {
            if let Some(value) = lenient::text(take(alias)).filter(|v| !v.is_empty()) {
                identifiers.entry(field.to_owned()).or_insert(value);
            }
        }
        let text = |value: Value| lenient::text(value);
        Ok(User {
            user_id,
            identifiers,
            user_custom_channel: text(take(CUSTOM_CHANNEL_FIELD)),
            kind: text(take("type")),
            user_full_name: text(take("user_full_name")),
            company_name: text(take("company_name")),
            company_position: text(take("company_position")),
            user_note: text(take("user_note")),
            thumbnail: text(take("thumbnail")),
            confirmed: lenient::flag(&take("confirmed")),
            active: lenient::flag(&take("active")),
            deleted: lenient::flag(&take("deleted")),
            created_at: text(take("created_at")),
            updated_at: text(take("updated_at")),
            language_id: lenient::number(&take("language_id")),
            custom_fields: members(take("custom_fields")).into_iter().collect(),
            linked_users: elements(take("linked_users"))
                .iter()
                .filter_map(lenient::number)
                .collect(),
        })
    }
}

impl<'de> Deserialize<'de> for User {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<User, D::Error> {
        match Scrubbed::deserialize(d)?.0 {
            Value::Object(m) => User::from_members(m).map_err(de::Error::custom),
            other => Err(de::Error::custom(format!(
                "a user is an object, not {other}"
            ))),
        }
    }
}

/// An object's members; an empty PHP array (`[]`) or anything else is none.
fn members(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// A list's elements, whether an array or (PHP's non-sequential arrays) an object's values.
fn elements(value: Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        Value::Object(m) => m.into_iter().map(|(_, v)| v).collect(),
        _ => Vec::new(),
    }
}

/// `{"user":{...}}`: the answer to create, get, edit, link and unlink [api-users, laravel].
/// Read it from the answer's bytes, not through a `serde_json::Value`, so that the create
/// answer's `password` is skipped unread.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct UserEnvelope {
    pub user: User,
}

/// An entity a list answer carries, each item wrapped in its name.
pub trait Entity: DeserializeOwned {
    /// `user`, `custom_field`, `language`.
    const NAME: &'static str;
}

impl Entity for User {
    const NAME: &'static str = "user";
}

/// A list answer: "`{"0":{"user":{...}},"1":{"user":{...}},"total_count":2}` — an object
/// keyed by position strings plus `total_count` (not an array)" [api-users, laravel]. Read
/// tolerantly: an array of items, or items not wrapped in their name, read too; items
/// that do not read as `T` are counted, not fatal.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// In position order.
    pub items: Vec<T>,
    pub total_count: Option<u64>,
    /// Items that could not be read.
    pub unreadable: usize,
}

impl<T: Entity> Page<T> {
    pub fn from_value(value: Value) -> Page<T> {
        let (entries, total_count) = match value {
            Value::Object(mut m) => {
                let total_count = m.remove("total_count").as_ref().and_then(lenient::number);
                let mut positioned: Vec<(u64, Value)> = m
                    .into_iter()
                    .filter_map(|(k, v)| Some((k.trim().parse().ok()?, v)))
                    .collect();
                positioned.sort_by_key(|(position, _)| *position);
                (
                    positioned.into_iter().map(|(_, v)| v).collect(),
                    total_count,
                )
            }
            Value::Array(items) => (items, None),
            _ => (Vec::new(), None),
        };
        let mut items = Vec::with_capacity(entries.len());
        let mut unreadable = 0;
        for entry in entries {
            let inner = match entry {
                Value::Object(mut m) if m.contains_key(T::NAME) => m.remove(T::NAME),
                other => Some(other),
            };
            match inner.and_then(|v| serde_json::from_value::<T>(v).ok()) {
                Some(item) => items.push(item),
                None => unreadable += 1,
            }
        }
        Page {
            items,
            total_count,
            unreadable,
        }
    }
}

impl<'de, T: Entity> Deserialize<'de> for Page<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Page<T>, D::Error> {
        Ok(Page::from_value(Scrubbed::deserialize(d)?.0))
    }
}

/// `field_type` ∈ `text, textarea, checkbox, select, date` [laravel `CustomFieldData`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum FieldType {
    Text,
    Textarea,
    Checkbox,
    Select,
    Date,
    Other(String),
}

impl From<String> for FieldType {
    fn from(name: String) -> FieldType {
        match name.as_str() {
            "text" => FieldType::Text,
            "textarea" => FieldType::Textarea,
            "checkbox" => FieldType::Checkbox,
            "select" => FieldType::Select,
            "date" => FieldType::Date,
            _ => FieldType::Other(name),
        }
    }
}

impl From<FieldType> for String {
    fn from(kind: FieldType) -> String {
        match kind {
            FieldType::Text => "text".to_owned(),
            FieldType::Textarea => "textarea".to_owned(),
            FieldType::Checkbox => "checkbox".to_owned(),
            FieldType::Select => "select".to_owned(),
            FieldType::Date => "date".to_owned(),
            FieldType::Other(name) => name,
        }
    }
}

/// `field_data`: `""` for most types; for `select`, `{"1":"First choice",…}` — option key
/// to title. A PHP list of options comes as an array: its keys are the positions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum FieldData {
    #[default]
    None,
    Options(BTreeMap<String, String>),
}

impl FieldData {
    /// The option a value names, by key or by title as `how` says (`SelectValue`).
    pub fn option(&self, value: &str, how: SelectValue) -> Option<(&str, &str)> {
        let FieldData::Options(options) = self else {
            return None;
        };
        options
            .iter()
            .find(|(key, title)| match how {
                SelectValue::OptionKey => key.as_str() == value,
                SelectValue::OptionTitle => title.as_str() == value,
            })
            .map(|(k, t)| (k.as_str(), t.as_str()))
    }
}

impl Serialize for FieldData {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            FieldData::None => s.serialize_str(""),
            FieldData::Options(options) => options.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for FieldData {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<FieldData, D::Error> {
        let options: BTreeMap<String, String> = match Value::deserialize(d)? {
            Value::Object(m) => m
                .into_iter()
                .filter_map(|(k, v)| Some((k, lenient::text(v)?)))
                .collect(),
            Value::Array(items) => items
                .into_iter()
                .enumerate()
                .filter_map(|(i, v)| Some((i.to_string(), lenient::text(v)?)))
                .collect(),
            _ => BTreeMap::new(),
        };
        Ok(if options.is_empty() {
            FieldData::None
        } else {
            FieldData::Options(options)
        })
    }
}

/// `GET /api/custom_fields.json` item: `{"field_id":5,"title":"…","field_type":"text",
/// "field_level":"user","active":true,"field_data":""}` [laravel].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomField {
    #[serde(deserialize_with = "lenient::u64")]
    pub field_id: u64,
    #[serde(default, deserialize_with = "lenient::string")]
    pub title: String,
    pub field_type: FieldType,
    /// `user` (or `case`, `company`).
    #[serde(default, deserialize_with = "lenient::string")]
    pub field_level: String,
    #[serde(default, deserialize_with = "lenient::bool")]
    pub active: bool,
    #[serde(default)]
    pub field_data: FieldData,
}

impl CustomField {
    /// "keys `cf_<field_id>`".
    pub fn key(&self) -> String {
        format!("cf_{}", self.field_id)
    }

    /// "Use `field_level:"user"` and `active:true` only."
    pub fn is_for_users(&self) -> bool {
        self.active && self.field_level == "user"
    }
}

impl Entity for CustomField {
    const NAME: &'static str = "custom_field";
}

/// `GET /api/languages.json` item [laravel `LanguageData`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Language {
    #[serde(deserialize_with = "lenient::u64")]
    pub language_id: u64,
    #[serde(default, deserialize_with = "lenient::string")]
    pub code: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub title: String,
    #[serde(default, deserialize_with = "lenient::bool")]
    pub active: bool,
}

impl Entity for Language {
    const NAME: &'static str = "language";
}

// ---------------------------------------------------------------------------------------
// Request bodies
// ---------------------------------------------------------------------------------------

/// What a create or an edit sends, under `user` (`UserRequest`) [api-users]. On create at
/// least one identifier; on edit only `user_email` (while unconfirmed), `user_phone` (type
/// `phone`) and the other fields [laravel docs transcription]. Read by the sandbox as a
/// server reads it: unknown members ignored, a `password` skipped unread, a known member
/// of the wrong type refused.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UserFields {
    /// By request name (`IDENTIFIER_FIELDS`).
    #[serde(flatten)]
    pub identifiers: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_custom_channel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_full_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_position: Option<String>,
    /// "free text — **this is where a "comment" goes**".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language_id: Option<u64>,
    /// `cf_<field_id>` → value.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_fields: BTreeMap<String, Value>,
}

impl UserFields {
    fn from_members(mut m: Map<String, Value>) -> Result<UserFields, String> {
        fn text(m: &mut Map<String, Value>, key: &str) -> Result<Option<String>, String> {
            match m.remove(key) {
                None | Some(Value::Null) => Ok(None),
                Some(value @ (Value::String(_) | Value::Number(_))) => Ok(lenient::text(value)),
                Some(other) => Err(format!("{key} must be text, not {other}")),
            }
        }
        let mut identifiers = BTreeMap::new();
        for field in IDENTIFIER_FIELDS {
            if let Some(value) = text(&mut m, field)? {
                identifiers.insert(field.to_owned(), value);
            }
        }
        let language_id = match m.remove("language_id") {
            None | Some(Value::Null) => None,
            Some(value) => Some(
                lenient::number(&value).ok_or(format!("language_id must be a number: {value}"))?,
            ),
        };
        let custom_fields = match m.remove("custom_fields") {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(Value::Object(fields)) => fields.into_iter().collect(),
            Some(other) => return Err(format!("custom_fields must be an object, not {other}")),
        };
        Ok(UserFields {
            identifiers,
            user_custom_channel: text(&mut m, CUSTOM_CHANNEL_FIELD)?,
            user_full_name: text(&mut m, "user_full_name")?,
            company_name: text(&mut m, "company_name")?,
            company_position: text(&mut m, "company_position")?,
            user_note: text(&mut m, "user_note")?,
            language_id,
            custom_fields,
        })
    }
}

impl<'de> Deserialize<'de> for UserFields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<UserFields, D::Error> {
        match Scrubbed::deserialize(d)?.0 {
            Value::Object(m) => UserFields::from_members(m).map_err(de::Error::custom),
            other => Err(de::Error::custom(format!(
                "user must be an object, not {other}"
            ))),
        }
    }
}

/// `POST /api/users.json` and `PUT /api/users/{id}.json` body: `{"user":{...}}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserRequest {
    pub user: UserFields,
}

/// `PUT /api/users/{id}/link.json` body, **flat** (not under `user`): one of
/// `{"user_id":201}`, `{"user_email":"a@b.ru"}`, `{"user_phone":"+7999…"}` [laravel].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkBody {
    #[serde(rename = "user_id", deserialize_with = "lenient::u64")]
    UserId(u64),
    #[serde(rename = "user_email")]
    UserEmail(String),
    #[serde(rename = "user_phone")]
    UserPhone(String),
}

/// `PUT /api/users/{id}/unlink.json` body: `{"user_id":201}` [laravel].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnlinkBody {
    #[serde(deserialize_with = "lenient::u64")]
    pub user_id: u64,
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// "non-2xx with a JSON body whose **`error`** key holds a machine code [bundle, ruby]".
/// `user_id` comes only under `DuplicateAnswer::WithUserId`, `description` under
/// `ErrorDetail::WithDescription`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub error: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_u64"
    )]
    pub user_id: Option<u64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub description: Option<String>,
}

/// What an error answer means to a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// 429, or 403 whose body speaks of a rate limit: "wait `retry_after` (or until the
    /// minute rolls over), then retry the same request".
    Throttled,
    /// Any `*_already_exist`: the identifier `field` (`user_email`, …) is taken, by
    /// `user_id` when the answer says so.
    Exists { field: String, user_id: Option<u64> },
    /// `wrong_email` [bundle].
    WrongEmail,
    /// 401: the staff e-mail or the API key is wrong.
    BadCredentials,
    /// 404: no such id [ruby].
    NotFound,
    /// 5xx: "transient".
    Transient,
    /// Anything else (a 403 without rate-limit words is not retryable), with its code.
    Refused { code: Option<String> },
}

/// The meaning of a non-2xx answer from its status and body (any bytes: a proxy's HTML
/// page is read as no code).
pub fn classify(status: u16, body: &[u8]) -> ErrorKind {
    let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    if status == 429
        || (status == 403
            && String::from_utf8_lossy(body)
                .to_lowercase()
                .contains("rate limit"))
    {
        return ErrorKind::Throttled;
    }
    if let Some(field) = parsed.error.as_deref().and_then(duplicate_field) {
        return ErrorKind::Exists {
            field,
            user_id: parsed.user_id,
        };
    }
    if parsed.error.as_deref() == Some("wrong_email") {
        return ErrorKind::WrongEmail;
    }
    match status {
        401 => ErrorKind::BadCredentials,
        404 => ErrorKind::NotFound,
        500..=599 => ErrorKind::Transient,
        _ => ErrorKind::Refused { code: parsed.error },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user(json: &str) -> User {
        serde_json::from_str::<UserEnvelope>(json).unwrap().user
    }

    #[test]
    fn the_create_answer_is_read_and_its_password_left_out() {
        let answer = r#"{"user":{"user_id":200,"user_full_name":"Сергей","company_name":"","company_position":"","thumbnail":"","confirmed":false,"active":true,"deleted":false,"created_at":"Mon, 05 May 2014 00:15:17 +0300","updated_at":"Mon, 05 May 2014 00:15:17 +0300","password":"s3cr3t-pw","type":"email","user_email":"a@b.ru","user_whatsapp_phone":"+79998887766","language_id":1,"custom_fields":{"cf_20":"x","cf_23":true},"linked_users":[123,456]}}"#;
        let u = user(answer);
        assert_eq!(u.user_id, 200);
        assert_eq!(u.kind.as_deref(), Some("email"));
        assert_eq!(u.identifier(EMAIL_FIELD), Some("a@b.ru"));
        assert_eq!(u.identifier("user_whatsapp_phone"), Some("+79998887766"));
        assert_eq!(u.linked_users, [123, 456]);
        assert_eq!(u.custom_fields["cf_23"], json!(true));
        assert_eq!(
            (u.active, u.deleted, u.confirmed),
            (Some(true), Some(false), Some(false))
        );
        assert!(!format!("{u:?}").contains("s3cr3t"));
        assert!(!serde_json::to_string(&u).unwrap().contains("s3cr3t"));
        let Scrubbed(v) = serde_json::from_str(answer).unwrap();
        assert!(!v.to_string().contains("s3cr3t"), "at any depth");
    }

    #[test]
    fn ids_flags_and_lists_are_read_as_strings_or_numbers() {
        let u = user(
            r#"{"user":{"user_id":"201","active":"0","deleted":1,"language_id":"2","linked_users":["5",6,"x"],"custom_fields":[]}}"#,
        );
        assert_eq!(u.user_id, 201);
        assert_eq!((u.active, u.deleted), (Some(false), Some(true)));
        assert!(u.is_deleted());
        assert_eq!(u.language_id, Some(2));
        assert_eq!(u.linked_users, [5, 6]);
        assert!(u.custom_fields.is_empty());
        let u = user(r#"{"user":{"user_id":7,"linked_users":{"0":8,"2":"9"}}}"#);
        assert_eq!(u.linked_users, [8, 9]);
        assert!(serde_json::from_str::<UserEnvelope>(r#"{"user":{"user_id":"x"}}"#).is_err());
    }

    #[test]
    fn an_identifier_is_read_under_its_request_name_or_a_channel_one() {
        let by_request = user(r#"{"user":{"user_id":1,"user_telegram":123456}}"#);
        let by_channel = user(r#"{"user":{"user_id":1,"telegram_id":"123456"}}"#);
        assert_eq!(by_request.identifier("user_telegram"), Some("123456"));
        assert_eq!(by_channel.identifier("user_telegram"), Some("123456"));
        let facebook =
            user(r#"{"user":{"user_id":1,"facebook_id":"fb1","user_screen_name":"ivan"}}"#);
        assert_eq!(facebook.identifier("user_facebook"), Some("fb1"));
        assert_eq!(facebook.identifier(SCREEN_NAME_FIELD), Some("ivan"));
        let both = user(r#"{"user":{"user_id":1,"user_telegram":"1","telegram_id":"2"}}"#);
        assert_eq!(
            both.identifier("user_telegram"),
            Some("1"),
            "the request name wins"
        );
        let empty = user(r#"{"user":{"user_id":1,"user_email":"","user_phone":null}}"#);
        assert!(empty.identifiers.is_empty());
    }

    #[test]
    fn a_list_is_read_keyed_by_position_or_as_an_array() {
        let object: Page<User> = serde_json::from_str(
            r#"{"1":{"user":{"user_id":2}},"0":{"user":{"user_id":1,"password":"p"}},"10":{"user":{"user_id":11}},"2":{"user":{"user_id":"bad"}},"total_count":"4"}"#,
        )
        .unwrap();
        assert_eq!(
            object.items.iter().map(|u| u.user_id).collect::<Vec<_>>(),
            [1, 2, 11]
        );
        assert_eq!((object.total_count, object.unreadable), (Some(4), 1));
        let array: Page<User> =
            serde_json::from_str(r#"[{"user":{"user_id":1}},{"user_id":2}]"#).unwrap();
        assert_eq!(array.items.len(), 2);
        assert_eq!(array.total_count, None);
        let empty: Page<User> = serde_json::from_str(r#"{"total_count":0}"#).unwrap();
        assert!(empty.items.is_empty());
        let nothing: Page<User> = serde_json::from_str("[]").unwrap();
        assert!(nothing.items.is_empty());
    }

    #[test]
    fn custom_fields_are_read_with_their_options_in_either_shape() {
        let page: Page<CustomField> = serde_json::from_str(
            r#"{"0":{"custom_field":{"field_id":5,"title":"Теги","field_type":"text","field_level":"user","active":true,"field_data":""}},
                "1":{"custom_field":{"field_id":"6","title":"Тариф","field_type":"select","field_level":"user","active":"1","field_data":{"1":"Базовый","2":"Про"}}},
                "2":{"custom_field":{"field_id":7,"title":"Список","field_type":"select","field_level":"case","active":0,"field_data":["a","b"]}},
                "3":{"custom_field":{"field_id":8,"title":"?","field_type":"rating","field_level":"user","active":true,"field_data":null}},
                "total_count":4}"#,
        )
        .unwrap();
        let [text, select, listed, other] = &page.items[..] else {
            panic!("{page:?}")
        };
        assert_eq!(
            (text.key(), text.field_data.clone()),
            ("cf_5".to_owned(), FieldData::None)
        );
        assert!(text.is_for_users());
        assert_eq!(select.field_type, FieldType::Select);
        assert_eq!(
            select.field_data.option("2", SelectValue::OptionKey),
            Some(("2", "Про"))
        );
        assert_eq!(
            select.field_data.option("Про", SelectValue::OptionTitle),
            Some(("2", "Про"))
        );
        assert_eq!(
            select.field_data.option("Про", SelectValue::OptionKey),
            None
        );
        assert!(!listed.is_for_users());
        assert_eq!(
            listed.field_data.option("1", SelectValue::OptionKey),
            Some(("1", "b"))
        );
        assert_eq!(other.field_type, FieldType::Other("rating".to_owned()));
        assert_eq!(serde_json::to_value(&text.field_data).unwrap(), json!(""));
        assert_eq!(
            serde_json::to_value(&select.field_data).unwrap(),
            json!({"1":"Базовый","2":"Про"})
        );
    }

    #[test]
    fn errors_are_classified_whichever_variant_the_account_plays() {
        let exists = |body: &str| classify(400, body.as_bytes());
        assert_eq!(
            exists(r#"{"error":"email_already_exist"}"#),
            ErrorKind::Exists {
                field: EMAIL_FIELD.to_owned(),
                user_id: None
            }
        );
        assert_eq!(
            exists(r#"{"error":"phone_already_exist","user_id":"77"}"#),
            ErrorKind::Exists {
                field: PHONE_FIELD.to_owned(),
                user_id: Some(77)
            }
        );
        assert_eq!(
            exists(r#"{"error":"telegram_already_exists","description":"taken"}"#),
            ErrorKind::Exists {
                field: "user_telegram".to_owned(),
                user_id: None
            }
        );
        assert_eq!(exists(r#"{"error":"wrong_email"}"#), ErrorKind::WrongEmail);
        assert_eq!(classify(429, b""), ErrorKind::Throttled);
        assert_eq!(
            classify(403, br#"{"error":"Rate limit exceeded"}"#),
            ErrorKind::Throttled
        );
        assert_eq!(
            classify(403, br#"{"error":"access_denied"}"#),
            ErrorKind::Refused {
                code: Some("access_denied".to_owned())
            }
        );
        assert_eq!(
            classify(401, br#"{"error":"x"}"#),
            ErrorKind::BadCredentials
        );
        assert_eq!(classify(404, b"{}"), ErrorKind::NotFound);
        assert_eq!(classify(502, b"<html>nginx</html>"), ErrorKind::Transient);
        assert_eq!(
            duplicate_code("user_whatsapp_phone"),
            "whatsapp_phone_already_exist"
        );
        assert_eq!(
            duplicate_field(&duplicate_code("user_whatsapp_phone")).as_deref(),
            Some("user_whatsapp_phone")
        );
    }

    #[test]
    fn limits_are_read_from_underscored_and_standard_headers() {
        use reqwest::header::{HeaderMap, HeaderValue};
        let mut headers = HeaderMap::new();
        headers.insert(RATE_LIMIT_PER_MINUTE, HeaderValue::from_static("300"));
        headers.insert(API_CALLS_LEFT, HeaderValue::from_static(" 12 "));
        assert_eq!(
            Limits::from_headers(&headers),
            Limits {
                per_minute: Some(300),
                calls_left: Some(12),
                retry_after: None
            }
        );
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(
            Limits::from_headers(&headers).retry_after,
            Some(Duration::from_secs(7))
        );
        headers.insert("Retry-After", HeaderValue::from_static("20"));
        assert_eq!(
            Limits::from_headers(&headers).retry_after,
            Some(Duration::from_secs(20)),
            "the longer of the two"
        );
        headers.insert("x-ratelimit-limit", HeaderValue::from_static("1"));
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        assert_eq!(
            limit_header_names(&headers),
            [
                API_CALLS_LEFT,
                RATE_LIMIT_PER_MINUTE,
                "retry-after",
                RETRY_AFTER,
                "x-ratelimit-limit"
            ]
        );
        assert_eq!(Limits::from_headers(&HeaderMap::new()), Limits::default());
    }

    #[test]
    fn messengers_go_to_their_fields_and_telegram_to_one_of_two() {
        for (channel, id, field) in [
            ("telegram", "123456789", Some("user_telegram")),
            ("telegram", "@ivan", Some("user_telegram_data")),
            ("telegram", "ivan", Some("user_telegram_data")),
            ("telegram", "+79991234567", Some("user_telegram_data")),
            ("whatsapp", "79991234567", Some("user_whatsapp_phone")),
            ("vk", "id1", Some("user_vkontakte")),
            ("vkontakte", "id1", Some("user_vkontakte")),
            ("ok", "5", Some("user_odnoklassniki")),
            ("odnoklassniki", "5", Some("user_odnoklassniki")),
            ("mattermost", "u", Some("user_mattermost")),
            ("avito", "u", Some("user_avito")),
            ("icq", "1", None),
            ("Telegram", "1", None),
            ("telegram", " ", None),
        ] {
            assert_eq!(messenger_field(channel, id), field, "{channel}|{id}");
        }
    }

    #[test]
    fn a_phone_with_plus_survives_the_query_and_anchors_round_trip() {
        let pattern = Match::Whole.pattern("+79991234567");
        assert_eq!(pattern, "^+79991234567^");
        let q = query(&[(PHONE_FIELD, &pattern), ("limit", "100")]);
        assert_eq!(q, "user_phone=%5E%2B79991234567%5E&limit=100");
        // What a server decodes (form decoding: `+` is a space, `%2B` a plus).
        let decoded: Vec<(String, String)> = serde_urlencoded_pairs(&q);
        assert_eq!(decoded[0].1, "^+79991234567^");
        assert_eq!(Match::of(&decoded[0].1), (Match::Whole, "+79991234567"));
        let raw: Vec<(String, String)> = serde_urlencoded_pairs("user_phone=^+7999^");
        assert_eq!(raw[0].1, "^ 7999^", "a raw plus is a space");
        assert_eq!(encode("a b@c.ru"), "a%20b%40c.ru");
        assert_eq!(encode("иван"), "%D0%B8%D0%B2%D0%B0%D0%BD");
    }

    fn serde_urlencoded_pairs(q: &str) -> Vec<(String, String)> {
        reqwest::Url::parse(&format!("http://x/?{q}"))
            .unwrap()
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    #[test]
    fn anchors_ask_for_whole_prefix_suffix_or_substring() {
        assert_eq!(Match::of("^a^"), (Match::Whole, "a"));
        assert_eq!(Match::of("^a"), (Match::StartsWith, "a"));
        assert_eq!(Match::of("a^"), (Match::EndsWith, "a"));
        assert_eq!(Match::of("a"), (Match::Contains, "a"));
        assert_eq!(Match::of("^"), (Match::StartsWith, ""));
        for m in [
            Match::Contains,
            Match::Whole,
            Match::StartsWith,
            Match::EndsWith,
        ] {
            assert_eq!(Match::of(&m.pattern("abc")), (m, "abc"));
        }
        assert!(Match::Contains.matches("+79991234567", "9991"));
        assert!(!Match::Whole.matches("+79991234567", "79991234567"));
        assert!(Match::EndsWith.matches("ivan@mail.ru", "@mail.ru"));
    }

    #[test]
    fn request_bodies_are_written_as_the_docs_show() {
        let mut fields = UserFields {
            user_full_name: Some("Иван".to_owned()),
            user_note: Some("из CRM".to_owned()),
            ..UserFields::default()
        };
        fields
            .identifiers
            .insert(EMAIL_FIELD.to_owned(), "a@b.ru".to_owned());
        fields
            .custom_fields
            .insert("cf_20".to_owned(), json!("vip, b2b"));
        let body = serde_json::to_value(UserRequest {
            user: fields.clone(),
        })
        .unwrap();
        assert_eq!(
            body,
            json!({"user":{"user_email":"a@b.ru","user_full_name":"Иван","user_note":"из CRM","custom_fields":{"cf_20":"vip, b2b"}}})
        );
        let read: UserRequest = serde_json::from_value(body).unwrap();
        assert_eq!(read.user, fields);
        assert_eq!(
            serde_json::to_value(LinkBody::UserId(201)).unwrap(),
            json!({"user_id":201})
        );
        assert_eq!(
            serde_json::to_value(LinkBody::UserPhone("+7999".into())).unwrap(),
            json!({"user_phone":"+7999"})
        );
        assert_eq!(
            serde_json::from_value::<LinkBody>(json!({"user_id":"201"})).unwrap(),
            LinkBody::UserId(201)
        );
        assert!(serde_json::from_value::<LinkBody>(json!({"user_id":1,"user_email":"a"})).is_err());
        assert_eq!(
            serde_json::to_value(UnlinkBody { user_id: 3 }).unwrap(),
            json!({"user_id":3})
        );
        let odd: UserRequest = serde_json::from_value(
            json!({"user":{"user_telegram":123,"password":"x","unknown":1}}),
        )
        .unwrap();
        assert_eq!(odd.user.identifiers["user_telegram"], "123");
        assert!(
            serde_json::from_value::<UserRequest>(json!({"user":{"custom_fields":"x"}})).is_err()
        );
        assert!(
            serde_json::from_value::<UserRequest>(json!({"user":{"user_email":["a"]}})).is_err()
        );
    }

    #[test]
    fn every_variant_name_parses_to_a_setting_other_than_the_default() {
        for name in Assumptions::NAMES {
            assert_ne!(
                Assumptions::parse(name).unwrap(),
                Assumptions::default(),
                "{name}"
            );
        }
        assert_eq!(Assumptions::parse("").unwrap(), Assumptions::default());
        let both = Assumptions::parse("throttle-403, duplicate-with-id").unwrap();
        assert_eq!(both.throttle, Throttle::ForbiddenRateLimitExceeded);
        assert_eq!(both.duplicate, DuplicateAnswer::WithUserId);
        assert!(Assumptions::parse("nope").is_err());
    }
}
