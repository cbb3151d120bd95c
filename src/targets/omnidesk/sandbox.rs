//! A local Omnidesk: the users part of the contract (`shared/specs/omnidesk.md`, via
//! `api.rs`), in memory, as strict as the real service is documented to be, and playing
//! whichever reading of each assumed point it is given (`SandboxConfig::assumptions`).
//! Tests run against it with faults injected on purpose; people rehearse a load on it.
//!
//! Beyond the spec, `GET /sandbox/users` lists every profile as kept, and `GET
//! /sandbox/stats` counts requests by endpoint and the throttled ones. Neither needs
//! credentials, and neither counts as a request.
//!
//! Error codes the sources give are used as given (`email_already_exist`,
//! `phone_already_exist`, `wrong_email` [bundle]; "rate limit exceeded" [ruby]). The others
//! are the sandbox's own (`ErrorCode`): a client must act on `api::classify`, never on them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::time::Instant;

use super::api::{
    self, API_CALLS_LEFT, Assumptions, CUSTOM_ID_FIELD, CustomField, DuplicateAnswer, EMAIL_FIELD,
    EmailCase, ErrorBody, ErrorDetail, FieldData, FieldType, IDENTIFIER_FIELDS, IdentifierNames,
    Language, LinkBody, LinkScope, Match, NoteUpdate, Numbers, PHONE_FIELD, PhoneStorage,
    RATE_LIMIT_PER_MINUTE, RETRY_AFTER, Relink, RetryAfterHeader, SearchLag, SeveralIdentifiers,
    Throttle, UnlinkBody, User, UserEnvelope, UserFields, UserRequest,
};
use crate::targets::sandbox_kit::{
    FaultQueue, FixedWindow, chance, dropped_answer, endpoint, html_error,
};

/// How the sandbox behaves.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// HTTP Basic `staff_email:api_key` ("`curl -u [staff_email]:[api_key]`" [api-users]).
    pub staff_email: String,
    pub api_key: String,
    /// Requests admitted per interval, for the account. The real figure per plan was not
    /// found [kb-limits]: any value a test needs.
    pub rate_limit_per_minute: u32,
    /// The interval's length: a minute, as Omnidesk counts since 12.06.2024 [kb-limits];
    /// shorter so that tests run fast. A fixed interval, counted from the first request:
    /// "wait `retry_after` (or until the minute rolls over)".
    pub interval: Duration,
    /// A standard `Retry-After` beside `retry_after` on throttled answers ("Also honour a
    /// standard `Retry-After` if one appears").
    pub standard_retry_after: bool,
    /// `false` plays a proxy that drops header names with underscores: no
    /// `rate_limit_per_minute`, `api_calls_left` or `retry_after` reach the client.
    pub limit_headers: bool,
    pub latency: Duration,
    /// Share of requests that fail with a 500: half before the write is applied, half
    /// after (the answer is lost, the write is not).
    pub fail_rate: f64,
    /// Which reading of each assumed point the sandbox plays.
    pub assumptions: Assumptions,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            staff_email: "staff@sandbox.example".to_owned(),
            api_key: "sandbox-api-key".to_owned(),
            rate_limit_per_minute: 300,
            interval: Duration::from_secs(60),
            standard_retry_after: false,
            limit_headers: true,
            latency: Duration::ZERO,
            fail_rate: 0.0,
            assumptions: Assumptions::default(),
        }
    }
}

pub use crate::targets::sandbox_kit::Fault;

/// Requests counted by endpoint, as the sandbox saw them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// `"POST /api/users.json"` → count (ids in paths are written `{id}`).
    pub requests: BTreeMap<String, u64>,
    pub total: u64,
    /// Answered as over the limit (injected ones too).
    pub throttled: u64,
}

/// A profile as the sandbox keeps it: "one profile per contact channel" [kb-link].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredUser {
    /// `0` in `insert_user` takes the next free id.
    pub user_id: u64,
    /// `email`, `phone`, `whatsapp`, `telegram`, … from the identifier it was made with.
    pub kind: String,
    /// Its identifier by request name (one; a pre-existing user may be given more).
    pub identifiers: BTreeMap<String, String>,
    pub user_custom_channel: Option<String>,
    pub user_full_name: Option<String>,
    pub company_name: Option<String>,
    pub company_position: Option<String>,
    pub user_note: Option<String>,
    pub language_id: Option<u64>,
    pub custom_fields: BTreeMap<String, Value>,
    pub linked_users: BTreeSet<u64>,
    pub confirmed: bool,
    pub active: bool,
    pub deleted: bool,
    /// Unix seconds; shown as RFC 2822.
    pub created_at: u64,
    pub updated_at: u64,
}

impl StoredUser {
    /// A profile of one identifier (`user_email`, `user_telegram`, …), unconfirmed,
    /// active, created now.
    pub fn new(field: &str, value: &str) -> StoredUser {
        let now = unix_now();
        StoredUser {
            user_id: 0,
            kind: profile_type(field).to_owned(),
            identifiers: BTreeMap::from([(field.to_owned(), value.to_owned())]),
            user_custom_channel: None,
            user_full_name: None,
            company_name: None,
            company_position: None,
            user_note: None,
            language_id: None,
            custom_fields: BTreeMap::new(),
            linked_users: BTreeSet::new(),
            confirmed: false,
            active: true,
            deleted: false,
            created_at: now,
            updated_at: now,
        }
    }

    /// As an answer carries it (no `password`: only a create's answer has one).
    fn to_user(&self) -> User {
        User {
            user_id: self.user_id,
            identifiers: self.identifiers.clone(),
            user_custom_channel: self.user_custom_channel.clone(),
            kind: Some(self.kind.clone()),
            user_full_name: Some(self.user_full_name.clone().unwrap_or_default()),
            company_name: Some(self.company_name.clone().unwrap_or_default()),
            company_position: Some(self.company_position.clone().unwrap_or_default()),
            user_note: Some(self.user_note.clone().unwrap_or_default()),
            thumbnail: Some(String::new()),
            confirmed: Some(self.confirmed),
            active: Some(self.active),
            deleted: Some(self.deleted),
            created_at: Some(rfc2822(self.created_at)),
            updated_at: Some(rfc2822(self.updated_at)),
            language_id: self.language_id,
            custom_fields: self.custom_fields.clone(),
            linked_users: self.linked_users.iter().copied().collect(),
        }
    }
}

/// A profile's `type` from the identifier it was made with: `user_whatsapp_phone` →
/// `whatsapp`, both Telegram fields → `telegram` [laravel: `email`, `phone`, `whatsapp`,
/// `telegram`, `facebook`], the rest by their name.
fn profile_type(field: &str) -> &str {
    match field {
        "user_whatsapp_phone" => "whatsapp",
        "user_telegram" | "user_telegram_data" => "telegram",
        "user_custom_id" => "custom",
        other => other.strip_prefix("user_").unwrap_or(other),
    }
}

/// The codes of the sandbox's own (see the module's doc), and those the sources give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ErrorCode {
    NotAuthorized,
    WrongData,
    IdentifierRequired,
    CustomChannelRequired,
    WrongEmail,
    WrongPhone,
    CustomFieldNotFound,
    CustomFieldInactive,
    WrongCustomFieldValue,
    LanguageNotFound,
    SearchValueTooShort,
    FilterNotPlayed,
    WrongPage,
    WrongLimit,
    WrongTime,
    UserNotFound,
    EmailNotEditable,
    PhoneNotEditable,
    IdentifierNotEditable,
    SameUser,
    AlreadyLinked,
    RateLimitExceeded,
    InternalError,
}

impl ErrorCode {
    fn code(self) -> &'static str {
        match self {
            ErrorCode::NotAuthorized => "not_authorized",
            ErrorCode::WrongData => "wrong_data",
            ErrorCode::IdentifierRequired => "identifier_required",
            ErrorCode::CustomChannelRequired => "custom_channel_required",
            ErrorCode::WrongEmail => "wrong_email",
            ErrorCode::WrongPhone => "wrong_phone",
            ErrorCode::CustomFieldNotFound => "custom_field_not_found",
            ErrorCode::CustomFieldInactive => "custom_field_inactive",
            ErrorCode::WrongCustomFieldValue => "wrong_custom_field_value",
            ErrorCode::LanguageNotFound => "language_not_found",
            ErrorCode::SearchValueTooShort => "search_value_too_short",
            ErrorCode::FilterNotPlayed => "filter_not_played",
            ErrorCode::WrongPage => "wrong_page",
            ErrorCode::WrongLimit => "wrong_limit",
            ErrorCode::WrongTime => "wrong_time",
            ErrorCode::UserNotFound => "user_not_found",
            ErrorCode::EmailNotEditable => "email_not_editable",
            ErrorCode::PhoneNotEditable => "phone_not_editable",
            ErrorCode::IdentifierNotEditable => "identifier_not_editable",
            ErrorCode::SameUser => "same_user",
            ErrorCode::AlreadyLinked => "user_already_linked",
            // "403 with a body matching `rate limit exceeded`" [ruby].
            ErrorCode::RateLimitExceeded => "rate limit exceeded",
            ErrorCode::InternalError => "internal_error",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            ErrorCode::NotAuthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::UserNotFound => StatusCode::NOT_FOUND,
            ErrorCode::RateLimitExceeded => StatusCode::FORBIDDEN,
            ErrorCode::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// Why a request is refused: a code of its own, or a duplicate identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Refusal {
    Code(ErrorCode, String),
    Duplicate { field: String, user_id: u64 },
}

fn refuse(code: ErrorCode, words: impl Into<String>) -> Refusal {
    Refusal::Code(code, words.into())
}

/// Whole seconds, rounded up, until `interval` rolls over: `retry_after`.
fn seconds_to_roll(interval: &FixedWindow, now: Instant) -> u64 {
    let wait = interval.until_roll(now);
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

#[derive(Debug)]
struct Account {
    users: BTreeMap<u64, StoredUser>,
    /// When a user created over the API becomes visible to search (`SearchLag`).
    searchable_at: HashMap<u64, Instant>,
    custom_fields: BTreeMap<u64, CustomField>,
    languages: Vec<Language>,
    next_user_id: u64,
    next_field_id: u64,
    interval: FixedWindow,
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
        let shared = Arc::new(Shared {
            account: Mutex::new(Account::seeded(&config)),
            config,
        });
        let app = router(shared.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Sandbox { addr, shared })
    }

    /// `http://127.0.0.1:PORT`: the base URL, the API under `/api/`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn staff_email(&self) -> &str {
        &self.shared.config.staff_email
    }

    pub fn api_key(&self) -> &str {
        &self.shared.config.api_key
    }

    /// Every profile, by id.
    pub fn users(&self) -> Vec<StoredUser> {
        self.lock().users.values().cloned().collect()
    }

    pub fn stats(&self) -> Stats {
        self.lock().stats.clone()
    }

    /// Adds a profile as if it were in the account before the load (deleted, blocked or
    /// confirmed ones too), searchable at once. Its `linked_users` are linked back. Returns
    /// its id.
    pub fn insert_user(&self, mut user: StoredUser) -> u64 {
        let mut account = self.lock();
        if user.user_id == 0 {
            user.user_id = account.next_user_id;
        }
        account.next_user_id = account.next_user_id.max(user.user_id + 1);
        let id = user.user_id;
        for other in &user.linked_users {
            if let Some(other) = account.users.get_mut(other) {
                other.linked_users.insert(id);
            }
        }
        account.users.insert(id, user);
        id
    }

    /// Adds a custom field ("create a user data field first" [kb-field]); `field_id` 0
    /// takes the next free id. Returns its id.
    pub fn insert_custom_field(&self, mut field: CustomField) -> u64 {
        let mut account = self.lock();
        if field.field_id == 0 {
            field.field_id = account.next_field_id;
        }
        account.next_field_id = account.next_field_id.max(field.field_id + 1);
        let id = field.field_id;
        account.custom_fields.insert(id, field);
        id
    }

    /// Serves `fault` to the next `times` requests of `method` whose path starts with `path`.
    pub fn inject(&self, method: Method, path: &str, fault: Fault, times: u32) {
        self.lock().faults.push(method, path, fault, times);
    }

    fn lock(&self) -> MutexGuard<'_, Account> {
        self.shared.account.lock().expect("sandbox lock")
    }
}

impl Account {
    /// An account with the two custom fields a load uses — a text field for tags, a select
    /// — one of the case level and an inactive one (both unusable for users), and two
    /// languages.
    fn seeded(config: &SandboxConfig) -> Account {
        let field = |id, title: &str, kind, level: &str, active, data| CustomField {
            field_id: id,
            title: title.to_owned(),
            field_type: kind,
            field_level: level.to_owned(),
            active,
            field_data: data,
        };
        let options = FieldData::Options(BTreeMap::from([
            ("1".to_owned(), "Базовый".to_owned()),
            ("2".to_owned(), "Про".to_owned()),
        ]));
        let custom_fields = [
            field(1, "Теги", FieldType::Text, "user", true, FieldData::None),
            field(2, "Тариф", FieldType::Select, "user", true, options),
            field(
                3,
                "Номер заказа",
                FieldType::Text,
                "case",
                true,
                FieldData::None,
            ),
            field(
                4,
                "Старое поле",
                FieldType::Text,
                "user",
                false,
                FieldData::None,
            ),
        ];
        let language = |id, code: &str, title: &str| Language {
            language_id: id,
            code: code.to_owned(),
            title: title.to_owned(),
            active: true,
        };
        Account {
            users: BTreeMap::new(),
            searchable_at: HashMap::new(),
            custom_fields: custom_fields.into_iter().map(|f| (f.field_id, f)).collect(),
            languages: vec![language(1, "ru", "Русский"), language(2, "en", "English")],
            next_user_id: 1001,
            next_field_id: 5,
            interval: FixedWindow::new(config.rate_limit_per_minute, config.interval),
            stats: Stats::default(),
            faults: FaultQueue::default(),
        }
    }

    /// The profile holding this identifier, deleted ones too ("A duplicate error may point
    /// at a deleted user").
    fn holder(&self, field: &str, value: &str, a: &Assumptions) -> Option<u64> {
        let wanted = stored_form(field, value, a);
        self.users
            .values()
            .find(|u| {
                u.identifiers
                    .get(field)
                    .is_some_and(|v| same(field, v, &wanted, a))
            })
            .map(|u| u.user_id)
    }

    /// The duplicate among these identifiers, if one is taken by another profile.
    fn duplicate(
        &self,
        identifiers: &[(String, String)],
        except: Option<u64>,
        a: &Assumptions,
    ) -> Result<(), Refusal> {
        for (field, value) in identifiers {
            if field == CUSTOM_ID_FIELD {
                continue; // checked with its channel, below
            }
            if let Some(user_id) = self
                .holder(field, value, a)
                .filter(|id| Some(*id) != except)
            {
                return Err(Refusal::Duplicate {
                    field: field.clone(),
                    user_id,
                });
            }
        }
        Ok(())
    }

    fn check_custom_fields(
        &self,
        values: &BTreeMap<String, Value>,
        a: &Assumptions,
    ) -> Result<(), Refusal> {
        for (key, value) in values {
            // "keys `cf_<field_id>`, field must exist and be user-level" [api-users, laravel].
            let field = key
                .strip_prefix("cf_")
                .and_then(|id| id.parse::<u64>().ok())
                .and_then(|id| self.custom_fields.get(&id))
                .filter(|f| f.field_level == "user")
                .ok_or_else(|| {
                    refuse(
                        ErrorCode::CustomFieldNotFound,
                        format!("no user field {key}"),
                    )
                })?;
            if !field.active {
                return Err(refuse(
                    ErrorCode::CustomFieldInactive,
                    format!("{key} is switched off"),
                ));
            }
            let fits = match &field.field_type {
                FieldType::Checkbox => value.is_boolean() || matches!(value.as_u64(), Some(0 | 1)),
                FieldType::Select => api_text(value)
                    .is_some_and(|v| field.field_data.option(&v, a.select_value).is_some()),
                _ => value.is_string() || value.is_number(),
            };
            if !fits {
                return Err(refuse(
                    ErrorCode::WrongCustomFieldValue,
                    format!("{value} does not fit {key}"),
                ));
            }
        }
        Ok(())
    }

    fn check_language(&self, id: Option<u64>) -> Result<(), Refusal> {
        match id {
            Some(id) if !self.languages.iter().any(|l| l.language_id == id) => Err(refuse(
                ErrorCode::LanguageNotFound,
                format!("no language {id}"),
            )),
            _ => Ok(()),
        }
    }

    /// Links two profiles both ways: each person's profiles all list each other under
    /// `LinkScope::Transitive`, only the two under `Pairwise`.
    fn link(&mut self, a: u64, b: u64, scope: LinkScope) {
        let group = |account: &Account, id: u64| -> BTreeSet<u64> {
            let mut group = BTreeSet::from([id]);
            if scope == LinkScope::Transitive
                && let Some(user) = account.users.get(&id)
            {
                group.extend(user.linked_users.iter().copied());
            }
            group
        };
        let (left, right) = (group(self, a), group(self, b));
        let now = unix_now();
        for x in &left {
            for y in &right {
                if x == y {
                    continue;
                }
                for (one, other) in [(x, y), (y, x)] {
                    if let Some(user) = self.users.get_mut(one) {
                        user.linked_users.insert(*other);
                        user.updated_at = now;
                    }
                }
            }
        }
    }

    /// Unlinks `b` from `a`: under `Transitive`, `b` leaves `a`'s person altogether.
    fn unlink(&mut self, a: u64, b: u64, scope: LinkScope) {
        let others: Vec<u64> = match scope {
            LinkScope::Transitive => self
                .users
                .get(&b)
                .map(|u| u.linked_users.iter().copied().collect())
                .unwrap_or_default(),
            LinkScope::Pairwise => vec![a],
        };
        for other in others {
            for (one, gone) in [(other, b), (b, other)] {
                if let Some(user) = self.users.get_mut(&one) {
                    user.linked_users.remove(&gone);
                }
            }
        }
    }
}

/// A value as the account keeps it: phones as sent or as digits (`PhoneStorage`).
fn stored_form(field: &str, value: &str, a: &Assumptions) -> String {
    let value = value.trim();
    let is_phone = field == PHONE_FIELD || field == "user_whatsapp_phone";
    if is_phone && a.phone_storage == PhoneStorage::DigitsOnly {
        value.chars().filter(char::is_ascii_digit).collect()
    } else {
        value.to_owned()
    }
}

/// Whether a kept value is the same identifier as a wanted one: e-mails by `EmailCase`.
fn same(field: &str, kept: &str, wanted: &str, a: &Assumptions) -> bool {
    if field == EMAIL_FIELD && a.email_case == EmailCase::Insensitive {
        kept.to_lowercase() == wanted.to_lowercase()
    } else {
        kept == wanted
    }
}

fn api_text(value: &Value) -> Option<String> {
    crate::targets::lenient::text(value.clone())
}

/// An address the way a mail system would take it, roughly: one `@`, something on each
/// side, a dot in the domain, no spaces. Enough to answer `wrong_email` [bundle].
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

/// A phone: digits with the usual punctuation, at least five digits.
fn looks_like_phone(value: &str) -> bool {
    value
        .chars()
        .all(|c| c.is_ascii_digit() || " +-()".contains(c))
        && value.chars().filter(char::is_ascii_digit).count() >= 5
}

fn check_identifier(field: &str, value: &str) -> Result<(), Refusal> {
    match field {
        EMAIL_FIELD if !looks_like_email(value) => Err(refuse(
            ErrorCode::WrongEmail,
            format!("`{value}` is not an e-mail"),
        )),
        PHONE_FIELD | "user_whatsapp_phone" if !looks_like_phone(value) => Err(refuse(
            ErrorCode::WrongPhone,
            format!("`{value}` is not a phone"),
        )),
        _ => Ok(()),
    }
}

fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route("/api/users.json", get(list_users).post(create_user))
        .route("/api/users/{file}", get(get_user).put(edit_user))
        .route("/api/users/{id}/link.json", put(link_user))
        .route("/api/users/{id}/unlink.json", put(unlink_user))
        .route("/api/custom_fields.json", get(custom_fields))
        .route("/api/languages.json", get(languages))
        .layer(middleware::from_fn_with_state(shared.clone(), gate));
    Router::new()
        .route("/sandbox/users", get(inspect_users))
        .route("/sandbox/stats", get(inspect_stats))
        .merge(api)
        .with_state(shared)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Unix seconds as RFC 2822 in Moscow time, as the docs show them: `"Mon, 05 May 2014
/// 00:15:17 +0300"` [api-users].
fn rfc2822(unix: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let local = unix + 3 * 3600;
    let (days, seconds) = (local / 86_400, local % 86_400);
    // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} +0300",
        DAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60
    )
}

/// The JSON of an answer as the variants shape it: numbers as strings, identifiers under
/// channel names.
fn shaped(mut body: Value, a: &Assumptions) -> Value {
    if a.identifier_names == IdentifierNames::ChannelNames {
        rename_identifiers(&mut body);
    }
    if a.numbers == Numbers::AsStrings {
        stringify_numbers(&mut body);
    }
    body
}

fn rename_identifiers(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (alias, field) in api::ANSWER_ALIASES {
                if let Some(v) = map.remove(field) {
                    map.insert(alias.to_owned(), v);
                }
            }
            map.values_mut().for_each(rename_identifiers);
        }
        Value::Array(items) => items.iter_mut().for_each(rename_identifiers),
        _ => {}
    }
}

fn stringify_numbers(value: &mut Value) {
    match value {
        Value::Number(n) => *value = Value::String(n.to_string()),
        Value::Array(items) => items.iter_mut().for_each(stringify_numbers),
        Value::Object(map) => map.values_mut().for_each(stringify_numbers),
        _ => {}
    }
}

fn answer(body: Value, a: &Assumptions) -> Response {
    axum::Json(shaped(body, a)).into_response()
}

fn user_answer(user: &StoredUser, a: &Assumptions) -> Response {
    let body = serde_json::to_value(UserEnvelope {
        user: user.to_user(),
    })
    .expect("a user serialises");
    answer(body, a)
}

/// A list answer: "an object keyed by position strings plus `total_count`".
fn page_answer<T: Serialize>(entity: &str, items: &[T], total: usize, a: &Assumptions) -> Response {
    let mut body = serde_json::Map::new();
    for (position, item) in items.iter().enumerate() {
        body.insert(position.to_string(), json!({ entity: item }));
    }
    body.insert("total_count".to_owned(), json!(total));
    answer(Value::Object(body), a)
}

/// An error answer: `{"error":"code"}` [bundle, ruby], with the existing `user_id` under
/// `DuplicateAnswer::WithUserId` and words under `ErrorDetail::WithDescription`.
fn refusal(refusal: Refusal, a: &Assumptions) -> Response {
    let (status, body) = match refusal {
        Refusal::Code(code, words) => (
            code.status(),
            ErrorBody {
                error: Some(code.code().to_owned()),
                user_id: None,
                description: Some(words),
            },
        ),
        Refusal::Duplicate { field, user_id } => (
            StatusCode::from_u16(api::DUPLICATE_STATUS).expect("a valid status"),
            ErrorBody {
                error: Some(api::duplicate_code(&field)),
                user_id: (a.duplicate == DuplicateAnswer::WithUserId).then_some(user_id),
                description: Some(format!("{field} is taken")),
            },
        ),
    };
    let body = ErrorBody {
        description: body
            .description
            .filter(|_| a.error_detail == ErrorDetail::WithDescription),
        ..body
    };
    let mut response = axum::Json(shaped(json!(body), a)).into_response();
    *response.status_mut() = status;
    response
}

fn credentials_match(request: &Request, config: &SandboxConfig) -> bool {
    let expected = format!("{}:{}", config.staff_email, config.api_key);
    request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| STANDARD.decode(v.trim()).ok())
        .is_some_and(|decoded| decoded == expected.as_bytes())
}

/// What the account does before a handler runs: wait the latency, count the request,
/// check the credentials, then the interval's limit, then serve an injected or random
/// fault; and the limit headers on every answer.
async fn gate(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let config = &shared.config;
    let a = &config.assumptions;
    if !config.latency.is_zero() {
        tokio::time::sleep(config.latency).await;
    }
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let now = Instant::now();
    let (admitted, fault) = {
        let mut account = shared.account.lock().expect("sandbox lock");
        *account
            .stats
            .requests
            .entry(endpoint(&method, &path))
            .or_default() += 1;
        account.stats.total += 1;
        if !credentials_match(&request, config) {
            drop(account);
            let response = refusal(
                refuse(ErrorCode::NotAuthorized, "staff e-mail or API key is wrong"),
                a,
            );
            return with_limits(response, &shared, now, false);
        }
        let admitted = account.interval.admit(now);
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
        _ if !admitted => throttled(a),
        Some(Fault::Throttled) => throttled(a),
        None => next.run(request).await,
        Some(Fault::ServerError) => refusal(refuse(ErrorCode::InternalError, "try again"), a),
        Some(Fault::HtmlBadGateway) => html_error(StatusCode::BAD_GATEWAY),
        Some(Fault::ServerErrorAfterApply) => {
            let _applied = next.run(request).await;
            refusal(refuse(ErrorCode::InternalError, "try again"), a)
        }
        Some(Fault::DropAfterApply) => {
            let _applied = next.run(request).await;
            dropped_answer()
        }
    };
    let is_throttled = !admitted || fault == Some(Fault::Throttled);
    with_limits(response, &shared, now, is_throttled)
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

/// Over the limit: 429 (`Throttle::TooManyRequests`) or the old scheme's 403 `rate limit
/// exceeded` [ruby].
fn throttled(a: &Assumptions) -> Response {
    match a.throttle {
        Throttle::TooManyRequests => {
            let mut response = axum::Json(json!({"error": "too_many_requests"})).into_response();
            *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            response
        }
        Throttle::ForbiddenRateLimitExceeded => refusal(
            refuse(ErrorCode::RateLimitExceeded, "requests per minute"),
            a,
        ),
    }
}

/// "Every response carries headers": `rate_limit_per_minute`, `api_calls_left`, and
/// `retry_after` as `RetryAfterHeader` says [kb-limits]; a standard `Retry-After` on a
/// throttled answer when configured. None of them when `limit_headers` is off.
fn with_limits(mut response: Response, shared: &Shared, now: Instant, throttled: bool) -> Response {
    let config = &shared.config;
    if !config.limit_headers {
        return response;
    }
    let (left, wait) = {
        let mut account = shared.account.lock().expect("sandbox lock");
        account.interval.roll(now);
        (
            account.interval.left(),
            seconds_to_roll(&account.interval, now),
        )
    };
    let wait_when_throttled = wait.max(1);
    let headers = response.headers_mut();
    // A test's shorter interval is announced as the minute's worth it comes to, so that
    // the figure stays true to what the sandbox admits.
    let per_minute = (f64::from(config.rate_limit_per_minute) * 60.0
        / config.interval.as_secs_f64().max(0.001))
    .round() as u64;
    headers.insert(RATE_LIMIT_PER_MINUTE, HeaderValue::from(per_minute));
    headers.insert(API_CALLS_LEFT, HeaderValue::from(left));
    let retry_after = match config.assumptions.retry_after {
        RetryAfterHeader::WhenThrottled => throttled.then_some(wait_when_throttled),
        RetryAfterHeader::Always => Some(if throttled { wait_when_throttled } else { wait }),
        RetryAfterHeader::Never => None,
    };
    if let Some(seconds) = retry_after {
        headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    if throttled && config.standard_retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(wait_when_throttled));
    }
    response
}

type AppState = State<Arc<Shared>>;

fn account(shared: &Shared) -> MutexGuard<'_, Account> {
    shared.account.lock().expect("sandbox lock")
}

fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Refusal> {
    serde_json::from_slice(body).map_err(|e| refuse(ErrorCode::WrongData, e.to_string()))
}

/// `POST /api/users.json` [api-users].
async fn create_user(State(shared): AppState, body: Bytes) -> Response {
    let a = shared.config.assumptions;
    match create(&shared, &body, &a) {
        Ok(answer) => answer,
        Err(r) => refusal(r, &a),
    }
}

fn create(shared: &Shared, body: &[u8], a: &Assumptions) -> Result<Response, Refusal> {
    let UserRequest { user: fields } = parse_body(body)?;
    // In `IDENTIFIER_FIELDS` order: the first decides the profile's type.
    let identifiers: Vec<(String, String)> = IDENTIFIER_FIELDS
        .iter()
        .filter_map(|f| {
            let value = fields.identifiers.get(*f)?.trim();
            (!value.is_empty()).then(|| ((*f).to_owned(), value.to_owned()))
        })
        .collect();
    if identifiers.is_empty() {
        return Err(refuse(
            ErrorCode::IdentifierRequired,
            "at least one identifier is required",
        ));
    }
    let channel = fields
        .user_custom_channel
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let has_custom_id = identifiers.iter().any(|(f, _)| f == CUSTOM_ID_FIELD);
    if has_custom_id != channel.is_some() {
        return Err(refuse(
            ErrorCode::CustomChannelRequired,
            "user_custom_id goes with user_custom_channel",
        ));
    }
    for (field, value) in &identifiers {
        check_identifier(field, value)?;
    }
    let made: Vec<(String, String)> = match a.several_identifiers {
        SeveralIdentifiers::FirstOnly => identifiers[..1].to_vec(),
        SeveralIdentifiers::LinkedProfiles => identifiers,
    };
    let mut account = account(shared);
    account.check_custom_fields(&fields.custom_fields, a)?;
    account.check_language(fields.language_id)?;
    account.duplicate(&made, None, a)?;
    if let Some(channel) = channel
        && let Some((_, id)) = made.iter().find(|(f, _)| f == CUSTOM_ID_FIELD)
        && let Some(user_id) = account.users.values().find_map(|u| {
            (u.identifiers.get(CUSTOM_ID_FIELD) == Some(id)
                && u.user_custom_channel.as_deref() == Some(channel))
            .then_some(u.user_id)
        })
    {
        return Err(Refusal::Duplicate {
            field: CUSTOM_ID_FIELD.to_owned(),
            user_id,
        });
    }
    let visible_at = match a.search_lag {
        SearchLag::None => Instant::now(),
        SearchLag::After(lag) => Instant::now() + lag,
    };
    let mut ids = Vec::new();
    for (field, value) in &made {
        let mut user = StoredUser::new(field, &stored_form(field, value, a));
        user.user_id = account.next_user_id;
        account.next_user_id += 1;
        if field == CUSTOM_ID_FIELD {
            user.user_custom_channel = channel.map(str::to_owned);
        }
        apply_profile_fields(&mut user, &fields, a.note_update);
        account.searchable_at.insert(user.user_id, visible_at);
        ids.push(user.user_id);
        account.users.insert(user.user_id, user);
    }
    for other in &ids[1..] {
        account.link(ids[0], *other, a.links);
    }
    let first = account.users[&ids[0]].clone();
    drop(account);
    // The create answer carries a generated help-centre password [api-users]: random, so
    // that a test can prove it is never logged or kept.
    let mut body = serde_json::to_value(UserEnvelope {
        user: first.to_user(),
    })
    .expect("a user serialises");
    body["user"][api::PASSWORD_FIELD] = json!(format!("{:016x}", rand::random::<u64>()));
    Ok(answer(body, a))
}

/// Name, company, position, note, language and custom fields: "stored per profile"
/// (assumed). An edit's note replaces or appends (`NoteUpdate`).
fn apply_profile_fields(user: &mut StoredUser, fields: &UserFields, note: NoteUpdate) {
    let set = |slot: &mut Option<String>, value: &Option<String>| {
        if let Some(value) = value {
            *slot = Some(value.clone());
        }
    };
    set(&mut user.user_full_name, &fields.user_full_name);
    set(&mut user.company_name, &fields.company_name);
    set(&mut user.company_position, &fields.company_position);
    if let Some(text) = &fields.user_note {
        user.user_note = match (note, user.user_note.take()) {
            (NoteUpdate::Appends, Some(old)) if !old.is_empty() => Some(format!("{old}\n{text}")),
            _ => Some(text.clone()),
        };
    }
    if fields.language_id.is_some() {
        user.language_id = fields.language_id;
    }
    user.custom_fields.extend(
        fields
            .custom_fields
            .iter()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
}

/// `{id}.json` → id.
fn id_of(file: &str) -> Result<u64, Refusal> {
    file.strip_suffix(".json")
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| refuse(ErrorCode::UserNotFound, format!("no user at {file}")))
}

fn not_found(id: u64) -> Refusal {
    refuse(ErrorCode::UserNotFound, format!("no user {id}"))
}

/// `GET /api/users/{id}.json` [laravel].
async fn get_user(State(shared): AppState, Path(file): Path<String>) -> Response {
    let a = shared.config.assumptions;
    let found = id_of(&file).and_then(|id| {
        account(&shared)
            .users
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found(id))
    });
    match found {
        Ok(user) => user_answer(&user, &a),
        Err(r) => refusal(r, &a),
    }
}

/// `PUT /api/users/{id}.json`: "Editable: `user_email` (**only while the profile is
/// unconfirmed**), `user_phone` (**only for users of type `phone`**), `user_full_name`,
/// `company_name`, `company_position`, `user_note`, `language_id`, `custom_fields` …
/// Messenger identifiers cannot be edited" [laravel docs transcription].
async fn edit_user(State(shared): AppState, Path(file): Path<String>, body: Bytes) -> Response {
    let a = shared.config.assumptions;
    match edit(&shared, &file, &body, &a) {
        Ok(user) => user_answer(&user, &a),
        Err(r) => refusal(r, &a),
    }
}

fn edit(shared: &Shared, file: &str, body: &[u8], a: &Assumptions) -> Result<StoredUser, Refusal> {
    let id = id_of(file)?;
    let UserRequest { user: fields } = parse_body(body)?;
    let mut account = account(shared);
    let user = account.users.get(&id).ok_or_else(|| not_found(id))?.clone();
    let mut changed: Vec<(String, String)> = Vec::new();
    for (field, value) in &fields.identifiers {
        let value = value.trim();
        let editable = match field.as_str() {
            EMAIL_FIELD => (!user.confirmed && user.kind == "email")
                .then_some(())
                .ok_or(ErrorCode::EmailNotEditable),
            PHONE_FIELD => (user.kind == "phone")
                .then_some(())
                .ok_or(ErrorCode::PhoneNotEditable),
            _ => Err(ErrorCode::IdentifierNotEditable),
        };
        if let Err(code) = editable {
            return Err(refuse(
                code,
                format!("{field} cannot be changed on this profile"),
            ));
        }
        check_identifier(field, value)?;
        changed.push((field.clone(), value.to_owned()));
    }
    if fields.user_custom_channel.is_some() {
        return Err(refuse(
            ErrorCode::IdentifierNotEditable,
            "user_custom_channel cannot be changed",
        ));
    }
    account.check_custom_fields(&fields.custom_fields, a)?;
    account.check_language(fields.language_id)?;
    account.duplicate(&changed, Some(id), a)?;
    let user = account.users.get_mut(&id).expect("checked above");
    for (field, value) in changed {
        let value = stored_form(&field, &value, a);
        user.identifiers.insert(field, value);
    }
    apply_profile_fields(user, &fields, a.note_update);
    user.updated_at = unix_now();
    Ok(user.clone())
}

/// `PUT /api/users/{id}/link.json`, flat body [laravel `LinkUser`]. Idempotent unless
/// `Relink::Refused`.
async fn link_user(State(shared): AppState, Path(id): Path<u64>, body: Bytes) -> Response {
    let a = shared.config.assumptions;
    let linked = parse_body::<LinkBody>(&body).and_then(|target| {
        let mut account = account(&shared);
        if !account.users.contains_key(&id) {
            return Err(not_found(id));
        }
        let other = match &target {
            LinkBody::UserId(other) => Some(*other).filter(|o| account.users.contains_key(o)),
            LinkBody::UserEmail(email) => account.holder(EMAIL_FIELD, email, &a),
            LinkBody::UserPhone(phone) => account.holder(PHONE_FIELD, phone, &a),
        }
        .ok_or_else(|| refuse(ErrorCode::UserNotFound, format!("no user for {target:?}")))?;
        if other == id {
            return Err(refuse(
                ErrorCode::SameUser,
                "a profile cannot be linked to itself",
            ));
        }
        let already = account.users[&id].linked_users.contains(&other);
        if already && a.relink == Relink::Refused {
            return Err(refuse(ErrorCode::AlreadyLinked, "already linked"));
        }
        account.link(id, other, a.links);
        Ok(account.users[&id].clone())
    });
    match linked {
        Ok(user) => user_answer(&user, &a),
        Err(r) => refusal(r, &a),
    }
}

/// `PUT /api/users/{id}/unlink.json` body `{"user_id":N}` [laravel `UnlinkUser`]; a pair
/// not linked is answered as unlinked.
async fn unlink_user(State(shared): AppState, Path(id): Path<u64>, body: Bytes) -> Response {
    let a = shared.config.assumptions;
    let unlinked = parse_body::<UnlinkBody>(&body).and_then(|target| {
        let mut account = account(&shared);
        for user in [id, target.user_id] {
            if !account.users.contains_key(&user) {
                return Err(not_found(user));
            }
        }
        if account.users[&id].linked_users.contains(&target.user_id) {
            account.unlink(id, target.user_id, a.links);
        }
        Ok(account.users[&id].clone())
    });
    match unlinked {
        Ok(user) => user_answer(&user, &a),
        Err(r) => refusal(r, &a),
    }
}

/// Filters the list takes that the sandbox does not play: refused, so that a client that
/// relies on one learns it here rather than getting every user back.
const FILTERS_NOT_PLAYED: [&str; 9] = [
    "company_id[]",
    "company_id",
    "language_id",
    "custom_fields",
    "amount_of_cases",
    "from_updated_time",
    "to_updated_time",
    "from_last_contact_time",
    "to_last_contact_time",
];

/// `GET /api/users.json?...` [api-users, api-intro, laravel]. The query is decoded as a
/// real server decodes a form: a raw `+` is a space, so `user_phone=^+7999…^` looks for
/// `^ 7999…^` and misses.
async fn list_users(
    State(shared): AppState,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let a = shared.config.assumptions;
    match list(&shared, &query, &a) {
        Ok((page, total)) => page_answer("user", &page, total, &a),
        Err(r) => refusal(r, &a),
    }
}

fn list(
    shared: &Shared,
    query: &[(String, String)],
    a: &Assumptions,
) -> Result<(Vec<User>, usize), Refusal> {
    let get = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if let Some(name) = FILTERS_NOT_PLAYED.iter().find(|n| get(n).is_some()) {
        return Err(refuse(
            ErrorCode::FilterNotPlayed,
            format!("the sandbox does not filter by {name}"),
        ));
    }
    let bounded = |name: &str, max: u32, default: u32, code: ErrorCode| match get(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| refuse(code, format!("{name} must be 1 to {max}"))),
    };
    let page = bounded("page", api::MAX_PAGE, 1, ErrorCode::WrongPage)?;
    let limit = bounded(
        "limit",
        api::MAX_LIMIT,
        api::DEFAULT_LIMIT,
        ErrorCode::WrongLimit,
    )?;
    let time = |name: &str| match get(name) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .map(Some)
            .map_err(|_| refuse(ErrorCode::WrongTime, format!("{name} is unix seconds"))),
    };
    let (from, to) = (time("from_time")?, time("to_time")?);
    let mut filters: Vec<(&str, Match, String)> = Vec::new();
    for field in [EMAIL_FIELD, PHONE_FIELD] {
        if let Some(pattern) = get(field) {
            let (how, value) = Match::of(pattern);
            // "each at least 3 characters".
            if value.chars().count() < api::MIN_SEARCH_CHARS {
                return Err(refuse(
                    ErrorCode::SearchValueTooShort,
                    format!(
                        "{field} needs at least {} characters",
                        api::MIN_SEARCH_CHARS
                    ),
                ));
            }
            filters.push((field, how, value.to_owned()));
        }
    }
    let custom = match (get(CUSTOM_ID_FIELD), get(api::CUSTOM_CHANNEL_FIELD)) {
        (None, None) => None,
        (Some(id), Some(channel)) => Some((Match::of(id), channel.to_owned())),
        _ => {
            return Err(refuse(
                ErrorCode::CustomChannelRequired,
                "user_custom_id goes with user_custom_channel",
            ));
        }
    };
    let account = account(shared);
    let now = Instant::now();
    let fits = |u: &StoredUser| {
        let searchable = account
            .searchable_at
            .get(&u.user_id)
            .is_none_or(|at| *at <= now);
        let in_time =
            from.is_none_or(|f| u.created_at >= f) && to.is_none_or(|t| u.created_at <= t);
        let by_fields = filters.iter().all(|(field, how, value)| {
            u.identifiers.get(*field).is_some_and(|kept| {
                if *field == EMAIL_FIELD && a.email_case == EmailCase::Insensitive {
                    how.matches(&kept.to_lowercase(), &value.to_lowercase())
                } else {
                    how.matches(kept, value)
                }
            })
        });
        let by_custom = custom.as_ref().is_none_or(|((how, id), channel)| {
            u.user_custom_channel.as_deref() == Some(channel.as_str())
                && u.identifiers
                    .get(CUSTOM_ID_FIELD)
                    .is_some_and(|kept| how.matches(kept, id))
        });
        searchable && in_time && by_fields && by_custom
    };
    let found: Vec<&StoredUser> = account.users.values().filter(|u| fits(u)).collect();
    let total = found.len();
    let skip = (page as usize - 1) * limit as usize;
    let page = found
        .into_iter()
        .skip(skip)
        .take(limit as usize)
        .map(StoredUser::to_user)
        .collect();
    Ok((page, total))
}

/// `GET /api/custom_fields.json` [laravel].
async fn custom_fields(State(shared): AppState) -> Response {
    let fields: Vec<CustomField> = account(&shared).custom_fields.values().cloned().collect();
    page_answer(
        "custom_field",
        &fields,
        fields.len(),
        &shared.config.assumptions,
    )
}

/// `GET /api/languages.json` [laravel].
async fn languages(State(shared): AppState) -> Response {
    let languages = account(&shared).languages.clone();
    page_answer(
        "language",
        &languages,
        languages.len(),
        &shared.config.assumptions,
    )
}

async fn inspect_users(State(shared): AppState) -> Response {
    axum::Json(json!(account(&shared).users.values().collect::<Vec<_>>())).into_response()
}

async fn inspect_stats(State(shared): AppState) -> Response {
    axum::Json(json!(account(&shared).stats.clone())).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_as_the_docs_show_them() {
        // 2014-05-05 00:15:17 +0300 is 2014-05-04 21:15:17 UTC.
        assert_eq!(rfc2822(1_399_238_117), "Mon, 05 May 2014 00:15:17 +0300");
        assert_eq!(rfc2822(0), "Thu, 01 Jan 1970 03:00:00 +0300");
        assert_eq!(rfc2822(951_782_400), "Tue, 29 Feb 2000 03:00:00 +0300");
    }

    #[test]
    fn the_interval_rolls_over_and_refusals_take_no_place() {
        let start = Instant::now();
        let mut interval = FixedWindow::new(2, Duration::from_secs(60));
        assert!(interval.admit(start));
        assert!(interval.admit(start + Duration::from_secs(10)));
        assert!(!interval.admit(start + Duration::from_secs(59)));
        assert_eq!(interval.left(), 0);
        assert_eq!(
            seconds_to_roll(&interval, start + Duration::from_millis(59_500)),
            1
        );
        assert!(interval.admit(start + Duration::from_secs(61)));
        assert_eq!(interval.left(), 1);
        assert_eq!(
            seconds_to_roll(&interval, start + Duration::from_secs(61)),
            59
        );
        assert!(interval.admit(start + Duration::from_secs(200)));
        assert_eq!(
            seconds_to_roll(&interval, start + Duration::from_secs(200)),
            40
        );
    }
}
