//! `probe --target omnidesk`: a handful of requests a user with a real account runs, once,
//! to settle what `shared/specs/omnidesk.md` marks **assumed** — each point as one of the
//! variants `api::Assumptions` lists, so that what the account plays can be rehearsed on the
//! sandbox (`sandbox --target omnidesk --assumptions …`).
//!
//! It spends at most `MAX_REQUESTS`, and writes only on users it creates: one by the e-mail
//! the user gives, and, with a phone, a second one by it, linked to the first. It never
//! provokes throttling ("only observe"): a throttled answer met on the way is what it
//! reports. Nothing secret reaches a finding: the staff e-mail and the API key are masked
//! in every text an answer gives, and answers are read with every `password` (the create
//! answer's generated help-centre password, [api-users]) skipped unread (`api::Scrubbed`).

use std::fmt::Write as _;
use std::time::Duration;

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::{Value, json};

use super::api::{self, EMAIL_FIELD, ErrorBody, ErrorKind, PHONE_FIELD, Page, User};
use super::client::{Omnidesk, RawAnswer};
use crate::pacing::TargetError;
pub use crate::targets::{Finding, Verdict};

/// The most requests a probe sends (it says so before it starts): ten for every step, and
/// two for a search repeated after a lag or a request repeated after a throttled answer.
pub const MAX_REQUESTS: u64 = 12;

/// The name the probe's users get, to find them in the account afterwards.
pub const PROBE_NAME: &str = "contact-loader probe";

/// The note the probe's e-mail user is created with, and the one its edit sends: what the
/// profile holds afterwards says whether a PUT replaces `user_note` or appends to it.
pub const FIRST_NOTE: &str = "contact-loader probe: first note";
pub const SECOND_NOTE: &str = "contact-loader probe: second note";

/// How long the probe waits before it searches again for a user search did not find at
/// once ("Search reflects a just-created user at once (**assumed**)").
pub const SEARCH_RECHECK: Duration = Duration::from_secs(3);

/// The longest wait after a throttled answer: "wait `retry_after` (or until the minute
/// rolls over)" — a minute and a little.
const MAX_THROTTLE_WAIT: Duration = Duration::from_secs(65);

/// What the probe may create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeOptions {
    /// The probe's user, as the user wrote it (sent as written, as a load sends it).
    pub email: String,
    /// A second user by this phone, as a load sends it (`+` and E.164 digits): settles the
    /// stored format and, linked to the first, the links.
    pub phone: Option<String>,
    /// Send the e-mail and the phone in one create (needs `phone`): settles whether that
    /// makes two linked profiles.
    pub one_create: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeReport {
    pub findings: Vec<Finding>,
    pub requests: u64,
    /// The users the probe created; they stay in the account.
    pub created_users: Vec<u64>,
    /// `rate_limit_per_minute` as the account announced it.
    pub per_minute: Option<u64>,
    /// The variants the account plays, as `sandbox --target omnidesk --assumptions` takes
    /// them (`Assumptions::parse`); empty when every point settled is the spec's reading.
    pub plays: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("Omnidesk did not answer: {0}")]
    Target(#[from] TargetError),
    #[error("Omnidesk refuses the staff e-mail and API key: {0}")]
    BadCredentials(String),
}

/// What the first create came to.
#[derive(Debug, Clone)]
enum First {
    /// The probe's user.
    Made(Box<User>),
    /// The account has a user with the e-mail: the probe writes nothing on it.
    Taken,
    /// Refused for another reason, or not sent.
    NotMade,
}

impl First {
    fn user(&self) -> Option<&User> {
        match self {
            First::Made(user) => Some(user),
            First::Taken | First::NotMade => None,
        }
    }
}

/// A throttled answer met on the way.
#[derive(Debug, Clone)]
struct Throttled {
    status: u16,
    said: String,
    /// `retry_after` came with it.
    retry_after: bool,
}

/// The probe's requests, counted, never past `MAX_REQUESTS`, and what their headers said.
struct Probe<'a> {
    client: &'a Omnidesk,
    options: &'a ProbeOptions,
    sent: u64,
    findings: Vec<Finding>,
    created: Vec<u64>,
    throttled: Option<Throttled>,
    /// Answers not throttled, and those of them with a `retry_after` although the interval
    /// had room.
    ordinary: u64,
    ordinary_with_retry_after: u64,
    /// Whether ids and counts came as strings, as numbers.
    numbers: (bool, bool),
}

/// The points the findings name.
mod points {
    pub const LIMITS: &str = "limit headers come, underscored";
    pub const THROTTLE: &str = "over the limit: 429";
    pub const RETRY_AFTER: &str = "retry_after only when throttled";
    pub const BAD_CREDENTIALS: &str = "bad credentials: 401";
    pub const DUPLICATE: &str = "a duplicate create: 400 *_already_exist";
    pub const DUPLICATE_ID: &str = "the duplicate answer has no user_id";
    pub const ERROR_DETAIL: &str = "error answers: the code only";
    pub const SEARCH_AT_ONCE: &str = "search finds a new user at once";
    pub const EMAIL_CASE: &str = "e-mail search ignores case";
    pub const NOTE: &str = "PUT replaces user_note";
    pub const PHONE: &str = "phones are kept as sent";
    pub const ONE_CREATE: &str = "a create with two identifiers: one profile";
    pub const RELINK: &str = "linking a linked pair answers 200";
    pub const NUMBERS: &str = "ids and counts are numbers";
    pub const NOT_PROBED: [(&str, &str, &str); 4] = [
        (
            "links are transitive",
            "not probed: it takes a third profile",
            "Omnidesk: links",
        ),
        (
            "a select field takes the option key",
            "not probed: it writes a data field",
            "Omnidesk: data fields",
        ),
        (
            "identifiers come back under request names",
            "not probed: it takes a Telegram or Facebook id; both names are read",
            "Omnidesk: answers",
        ),
        (
            "an API-created user gets no e-mail",
            "look in the probe e-mail's inbox: a message from Omnidesk means it does",
            "Omnidesk: notifications",
        ),
    ];
}

impl Probe<'_> {
    /// One request; a throttled answer is noted, waited out and the request sent once
    /// more. `None` when the budget is spent or the account throttles twice.
    async fn ask(
        &mut self,
        method: Method,
        path: &str,
        query: &str,
        body: Option<Value>,
    ) -> Result<Option<RawAnswer>, ProbeError> {
        let client = self.client;
        self.ask_as(client, method, path, query, body).await
    }

    /// `ask` with these credentials.
    async fn ask_as(
        &mut self,
        client: &Omnidesk,
        method: Method,
        path: &str,
        query: &str,
        body: Option<Value>,
    ) -> Result<Option<RawAnswer>, ProbeError> {
        for attempt in 0..2 {
            if self.sent >= MAX_REQUESTS {
                return Ok(None);
            }
            self.sent += 1;
            let answer = client
                .raw(method.clone(), path, query, body.as_ref())
                .await?;
            if error_of(&answer) != Some(ErrorKind::Throttled) {
                self.ordinary += 1;
                // "close to it": a retry_after is no news when the interval is nearly used.
                let room = match (answer.limits.calls_left, answer.limits.per_minute) {
                    (Some(left), Some(per_minute)) => left > per_minute / 10,
                    (Some(left), None) => left > 0,
                    (None, _) => true,
                };
                if has_retry_after(&answer) && room {
                    self.ordinary_with_retry_after += 1;
                }
                return Ok(Some(answer));
            }
            if self.throttled.is_none() {
                self.throttled = Some(Throttled {
                    status: answer.status,
                    said: said(&answer),
                    retry_after: has_retry_after(&answer),
                });
            }
            if attempt == 0 {
                let wait = answer.limits.retry_after.unwrap_or(MAX_THROTTLE_WAIT);
                tokio::time::sleep(wait.min(MAX_THROTTLE_WAIT)).await;
            }
        }
        Ok(None)
    }

    fn found(
        &mut self,
        point: &'static str,
        verdict: Verdict,
        seen: impl Into<String>,
        variant: Option<&'static str>,
        see: &'static str,
    ) {
        let seen = self.masked(&seen.into());
        self.findings.push(Finding {
            point,
            verdict,
            seen,
            variant: variant.filter(|_| verdict == Verdict::Differs),
            see,
        });
    }

    /// The text with the staff e-mail (in any case) and the API key masked: an answer may
    /// echo what it was sent.
    fn masked(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (secret, mask) in [
            (self.client.staff_email(), "«staff e-mail»"),
            (self.client.api_key(), "«API key»"),
        ] {
            out = crate::targets::masked(&out, secret.expose_secret().trim(), mask);
        }
        out
    }

    /// Notes how numbers came in a JSON value: ids, counts.
    fn numbers_in(&mut self, value: Option<&Value>) {
        match value {
            Some(Value::Number(_)) => self.numbers.1 = true,
            Some(Value::String(s)) if s.trim().parse::<u64>().is_ok() => self.numbers.0 = true,
            _ => {}
        }
    }

    fn unsettled(&mut self, point: &'static str, see: &'static str) {
        self.found(
            point,
            Verdict::Unconfirmed,
            "no answer to read: the probe's requests ran out, or the account throttled twice",
            None,
            see,
        );
    }
}

/// What an error answer means, as the connector reads it (`api::classify`); `None` for a
/// success.
fn error_of(answer: &RawAnswer) -> Option<ErrorKind> {
    if ok(answer) {
        return None;
    }
    let bytes = answer
        .body
        .as_ref()
        .map(Value::to_string)
        .unwrap_or_default();
    Some(api::classify(answer.status, bytes.as_bytes()))
}

/// Whether `retry_after` itself came (a standard `Retry-After` is not the point).
fn has_retry_after(answer: &RawAnswer) -> bool {
    answer.limit_headers.iter().any(|h| h == api::RETRY_AFTER)
}

fn ok(answer: &RawAnswer) -> bool {
    (200..300).contains(&answer.status)
}

/// The status and the error code, short, for a finding.
fn said(answer: &RawAnswer) -> String {
    let Some(body) = &answer.body else {
        return format!("{} (not JSON)", answer.status);
    };
    let parsed: ErrorBody = serde_json::from_value(body.clone()).unwrap_or_default();
    let code: String = parsed.error.unwrap_or_default().chars().take(80).collect();
    format!("{} {code}", answer.status).trim_end().to_owned()
}

/// The user of a `{"user":{...}}` answer.
fn user_of(answer: &RawAnswer) -> Option<User> {
    let user = answer.body.as_ref()?.get("user")?;
    ok(answer)
        .then(|| serde_json::from_value(user.clone()).ok())
        .flatten()
}

/// The users of a list answer.
fn users_of(answer: &RawAnswer) -> Vec<User> {
    match &answer.body {
        Some(body) if ok(answer) => Page::<User>::from_value(body.clone()).items,
        _ => Vec::new(),
    }
}

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// The e-mail in another case: upper case, or lower when it is all upper already.
fn other_case(email: &str) -> String {
    let upper = email.to_uppercase();
    if upper == email {
        email.to_lowercase()
    } else {
        upper
    }
}

/// Runs the probe. Stops early only when the credentials are refused.
pub async fn probe(client: &Omnidesk, options: &ProbeOptions) -> Result<ProbeReport, ProbeError> {
    let mut p = Probe {
        client,
        options,
        sent: 0,
        findings: Vec::new(),
        created: Vec::new(),
        throttled: None,
        ordinary: 0,
        ordinary_with_retry_after: 0,
        numbers: (false, false),
    };
    let per_minute = p.limits().await?;
    p.bad_credentials().await?;
    let first = p.create_first().await?;
    p.searches(&first).await?;
    match &first {
        First::Made(user) => p.note(user).await?,
        First::Taken | First::NotMade => p.found(
            points::NOTE,
            Verdict::Unconfirmed,
            "not tried: the probe writes only on a user it created",
            None,
            "Omnidesk: notes",
        ),
    }
    if options.phone.is_some() {
        let phone_user = p.phone(first.user()).await?;
        p.relink(first.user(), phone_user).await?;
    } else {
        for (point, see) in [
            (points::PHONE, "Omnidesk: phones"),
            (points::ONE_CREATE, "Omnidesk: several identifiers"),
            (points::RELINK, "Omnidesk: links"),
        ] {
            p.found(
                point,
                Verdict::Unconfirmed,
                "not tried: give --phone",
                None,
                see,
            );
        }
    }
    p.throttling();
    p.numbers();
    for (point, seen, see) in points::NOT_PROBED {
        p.found(point, Verdict::Unconfirmed, seen, None, see);
    }
    let plays: Vec<&str> = p.findings.iter().filter_map(|f| f.variant).collect();
    Ok(ProbeReport {
        findings: p.findings,
        requests: p.sent,
        created_users: p.created,
        per_minute,
        plays: plays.join(","),
    })
}

impl Probe<'_> {
    /// Step 1, `GET /api/custom_fields.json`, the run's pre-flight: the limit headers
    /// ("take them from the first response of a run, e.g. the custom-fields pre-flight").
    async fn limits(&mut self) -> Result<Option<u64>, ProbeError> {
        let query = api::query(&[("page", "1"), ("limit", "1")]);
        let Some(answer) = self
            .ask(Method::GET, api::paths::CUSTOM_FIELDS, &query, None)
            .await?
        else {
            self.unsettled(points::LIMITS, "Omnidesk: limit headers");
            return Ok(None);
        };
        if error_of(&answer) == Some(ErrorKind::BadCredentials) {
            return Err(ProbeError::BadCredentials(self.masked(&said(&answer))));
        }
        self.numbers_in(answer.body.as_ref().and_then(|b| b.get("total_count")));
        let limits = answer.limits;
        let others = if answer.limit_headers.is_empty() {
            "none".to_owned()
        } else {
            answer.limit_headers.join(", ")
        };
        match (limits.per_minute, limits.calls_left) {
            (Some(per_minute), Some(left)) => self.found(
                points::LIMITS,
                Verdict::Holds,
                format!(
                    "{} = {per_minute}, {} = {left}",
                    api::RATE_LIMIT_PER_MINUTE,
                    api::API_CALLS_LEFT
                ),
                None,
                "Omnidesk: limit headers",
            ),
            _ => self.found(
                points::LIMITS,
                Verdict::Differs,
                format!(
                    "{} {}, {} {}; limit headers that came: {others}",
                    api::RATE_LIMIT_PER_MINUTE,
                    limits
                        .per_minute
                        .map_or("missing".into(), |n| format!("= {n}")),
                    api::API_CALLS_LEFT,
                    limits
                        .calls_left
                        .map_or("missing".into(), |n| format!("= {n}")),
                ),
                None,
                "Omnidesk: limit headers",
            ),
        }
        Ok(limits.per_minute)
    }

    /// Step 2, an error's status: a request with a staff e-mail and a key that cannot be
    /// right (the real staff member is not named: no failed log-in counts against them).
    async fn bad_credentials(&mut self) -> Result<(), ProbeError> {
        let wrong = self.client.with_credentials(
            SecretString::from("contact-loader-probe@example.invalid"),
            SecretString::from("contact-loader-probe-not-a-key"),
        );
        let query = api::query(&[("page", "1"), ("limit", "1")]);
        let Some(answer) = self
            .ask_as(&wrong, Method::GET, api::paths::CUSTOM_FIELDS, &query, None)
            .await?
        else {
            self.unsettled(points::BAD_CREDENTIALS, "Omnidesk: errors");
            return Ok(());
        };
        let verdict = if answer.status == api::BAD_CREDENTIALS_STATUS {
            Verdict::Holds
        } else {
            Verdict::Differs
        };
        self.found(
            points::BAD_CREDENTIALS,
            verdict,
            said(&answer),
            None,
            "Omnidesk: errors",
        );
        Ok(())
    }

    /// Steps 3 and 4: the probe's user by the e-mail (and the phone, with `one_create`),
    /// then the same create again: the duplicate answer.
    async fn create_first(&mut self) -> Result<First, ProbeError> {
        let mut user = json!({
            EMAIL_FIELD: self.options.email,
            "user_full_name": PROBE_NAME,
            "user_note": FIRST_NOTE,
        });
        if self.options.one_create
            && let Some(phone) = &self.options.phone
        {
            user[PHONE_FIELD] = json!(phone);
        }
        let body = json!({ "user": user });
        let Some(answer) = self
            .ask(Method::POST, api::paths::USERS, "", Some(body.clone()))
            .await?
        else {
            self.unsettled(points::DUPLICATE, "Omnidesk: duplicates");
            return Ok(First::NotMade);
        };
        let Some(created) = user_of(&answer) else {
            if matches!(error_of(&answer), Some(ErrorKind::Exists { .. })) {
                // The e-mail is taken already: this answer is the duplicate answer.
                self.duplicate(&answer, None);
                return Ok(First::Taken);
            }
            let seen = format!("the create was refused: {}", said(&answer));
            self.found(
                points::DUPLICATE,
                Verdict::Unconfirmed,
                seen,
                None,
                "Omnidesk: duplicates",
            );
            return Ok(First::NotMade);
        };
        self.created.push(created.user_id);
        self.numbers_in(answer.body.as_ref().and_then(|b| b["user"].get("user_id")));
        match self
            .ask(Method::POST, api::paths::USERS, "", Some(body))
            .await?
        {
            Some(again) => self.duplicate(&again, Some(created.user_id)),
            None => self.unsettled(points::DUPLICATE, "Omnidesk: duplicates"),
        }
        Ok(First::Made(Box::new(created)))
    }

    /// The duplicate answer: its status and code, whether it names the user, what else it
    /// says. `ours`: the user it should name.
    fn duplicate(&mut self, answer: &RawAnswer, ours: Option<u64>) {
        let see = "Omnidesk: duplicates";
        let Some(ErrorKind::Exists { field, user_id }) = error_of(answer) else {
            let seen = format!("{}: not read as \"exists\"", said(answer));
            self.found(points::DUPLICATE, Verdict::Differs, seen, None, see);
            return;
        };
        let verdict = if answer.status == api::DUPLICATE_STATUS {
            Verdict::Holds
        } else {
            Verdict::Differs
        };
        self.found(points::DUPLICATE, verdict, said(answer), None, see);
        let (verdict, seen) = match (user_id, ours) {
            (None, _) => (Verdict::Holds, "no user_id".to_owned()),
            (Some(id), Some(ours)) if id == ours => (
                Verdict::Differs,
                format!("user_id {id}, the user it created"),
            ),
            (Some(id), Some(ours)) => (
                Verdict::Differs,
                format!("user_id {id}, not {ours}, the user it created"),
            ),
            (Some(id), None) => (
                Verdict::Differs,
                format!("user_id {id} (the account's user with the {field})"),
            ),
        };
        self.found(
            points::DUPLICATE_ID,
            verdict,
            seen,
            Some("duplicate-with-id"),
            see,
        );
        let others: Vec<String> = answer
            .body
            .as_ref()
            .and_then(Value::as_object)
            .map(|body| {
                body.keys()
                    .filter(|k| !["error", "user_id"].contains(&k.as_str()))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let (verdict, seen) = if others.is_empty() {
            (Verdict::Holds, "error (and user_id) only".to_owned())
        } else {
            (Verdict::Differs, format!("also: {}", others.join(", ")))
        };
        self.found(
            points::ERROR_DETAIL,
            verdict,
            seen,
            Some("error-description"),
            "Omnidesk: errors",
        );
    }

    /// Steps 5 and 6: search by the e-mail as a load does (substring, compared here),
    /// again after `SEARCH_RECHECK` when the new user is missing, then in another case.
    async fn searches(&mut self, first: &First) -> Result<(), ProbeError> {
        if let First::NotMade = first {
            for point in [points::SEARCH_AT_ONCE, points::EMAIL_CASE] {
                let seen = "not tried: the probe's user was not created";
                self.found(point, Verdict::Unconfirmed, seen, None, "Omnidesk: search");
            }
            return Ok(());
        }
        let created = first.user();
        let email = self.options.email.clone();
        let holder = |users: &[User]| {
            users
                .iter()
                .find(|u| match created {
                    Some(created) => u.user_id == created.user_id,
                    None => u
                        .identifier(EMAIL_FIELD)
                        .is_some_and(|e| e.eq_ignore_ascii_case(&email)),
                })
                .map(|u| u.user_id)
        };
        let mut found = match self.search(&email).await? {
            Some(users) => holder(&users),
            None => {
                self.unsettled(points::SEARCH_AT_ONCE, "Omnidesk: search");
                self.unsettled(points::EMAIL_CASE, "Omnidesk: search");
                return Ok(());
            }
        };
        if let Some(created) = created {
            let (verdict, seen) = if found.is_some() {
                (Verdict::Holds, "found by the next request".to_owned())
            } else {
                tokio::time::sleep(SEARCH_RECHECK).await;
                found = self.search(&email).await?.and_then(|u| holder(&u));
                let after = SEARCH_RECHECK.as_secs();
                let seen = match found {
                    Some(_) => format!("not found at once; found {after} s later"),
                    None => format!("not found at once, nor {after} s later"),
                };
                (Verdict::Differs, seen)
            };
            let seen = format!("{seen} (user {})", created.user_id);
            self.found(
                points::SEARCH_AT_ONCE,
                verdict,
                seen,
                Some("search-lag"),
                "Omnidesk: search",
            );
        } else {
            self.found(
                points::SEARCH_AT_ONCE,
                Verdict::Unconfirmed,
                "not tried: the account had a user with the e-mail",
                None,
                "Omnidesk: search",
            );
        }
        let Some(id) = found else {
            self.found(
                points::EMAIL_CASE,
                Verdict::Unconfirmed,
                "not tried: search does not find the e-mail as written",
                None,
                "Omnidesk: search",
            );
            return Ok(());
        };
        let swapped = other_case(&email);
        let Some(users) = self.search(&swapped).await? else {
            self.unsettled(points::EMAIL_CASE, "Omnidesk: search");
            return Ok(());
        };
        let kept = created
            .and_then(|u| u.identifier(EMAIL_FIELD))
            .map(|kept| {
                if kept == email {
                    "; kept as sent".to_owned()
                } else {
                    format!("; kept as {kept}")
                }
            })
            .unwrap_or_default();
        let (verdict, seen) = if users.iter().any(|u| u.user_id == id) {
            (Verdict::Holds, format!("{swapped} finds user {id}{kept}"))
        } else {
            (
                Verdict::Differs,
                format!("{swapped} does not find user {id}{kept}"),
            )
        };
        self.found(
            points::EMAIL_CASE,
            verdict,
            seen,
            Some("email-case-sensitive"),
            "Omnidesk: search",
        );
        Ok(())
    }

    async fn search(&mut self, email: &str) -> Result<Option<Vec<User>>, ProbeError> {
        let limit = api::MAX_LIMIT.to_string();
        let query = api::query(&[(EMAIL_FIELD, email), ("limit", &limit)]);
        let answer = self
            .ask(Method::GET, api::paths::USERS, &query, None)
            .await?;
        Ok(answer.map(|a| users_of(&a)))
    }

    /// Step 7, the note: the user was created with `FIRST_NOTE`; a PUT of `SECOND_NOTE`.
    async fn note(&mut self, user: &User) -> Result<(), ProbeError> {
        let see = "Omnidesk: notes";
        if user.user_note.as_deref() != Some(FIRST_NOTE) {
            let seen = format!(
                "not settled: the create kept the note as {:?}",
                user.user_note.as_deref().unwrap_or_default()
            );
            self.found(points::NOTE, Verdict::Unconfirmed, seen, None, see);
            return Ok(());
        }
        let path = api::paths::user(user.user_id);
        let body = json!({"user": {"user_note": SECOND_NOTE}});
        let Some(answer) = self.ask(Method::PUT, &path, "", Some(body)).await? else {
            self.unsettled(points::NOTE, see);
            return Ok(());
        };
        let mut edited = user_of(&answer);
        // An edit's answer without the note: read the user back.
        if edited.as_ref().is_some_and(|u| u.user_note.is_none()) {
            edited = match self.ask(Method::GET, &path, "", None).await? {
                Some(read) => user_of(&read),
                None => None,
            };
        }
        let Some(note) = edited.and_then(|u| u.user_note) else {
            let seen = format!("the edit: {}", said(&answer));
            self.found(points::NOTE, Verdict::Unconfirmed, seen, None, see);
            return Ok(());
        };
        let (verdict, seen) = if note == SECOND_NOTE {
            (Verdict::Holds, "the second note only".to_owned())
        } else if note.contains(FIRST_NOTE) && note.contains(SECOND_NOTE) {
            (Verdict::Differs, format!("both notes: {note:?}"))
        } else {
            (Verdict::Differs, format!("{note:?}"))
        };
        self.found(points::NOTE, verdict, seen, Some("note-appends"), see);
        Ok(())
    }

    /// Step 8, the phone's profile: the linked one a two-identifier create made, else a
    /// create of its own (or, when the account has the phone, the user a search finds).
    /// Its id, if the probe made it.
    async fn phone(&mut self, first: Option<&User>) -> Result<Option<u64>, ProbeError> {
        let phone = self.options.phone.clone().unwrap_or_default();
        let mut linked = None;
        if self.options.one_create {
            linked = self.one_create(first, &phone);
        } else {
            self.found(
                points::ONE_CREATE,
                Verdict::Unconfirmed,
                "not tried: give --one-create (the e-mail and the phone in one create)",
                None,
                "Omnidesk: several identifiers",
            );
        }
        if let Some(id) = linked {
            let Some(answer) = self
                .ask(Method::GET, &api::paths::user(id), "", None)
                .await?
            else {
                self.unsettled(points::PHONE, "Omnidesk: phones");
                return Ok(Some(id));
            };
            let kept = user_of(&answer).and_then(|u| u.identifier(PHONE_FIELD).map(str::to_owned));
            self.stored_phone(&phone, kept.as_deref(), id);
            return Ok(Some(id));
        }
        // A first user that kept the phone itself: no second profile can have it.
        if let Some(first) = first
            && first.identifier(PHONE_FIELD).is_some()
        {
            self.stored_phone(&phone, first.identifier(PHONE_FIELD), first.user_id);
            return Ok(None);
        }
        let body = json!({"user": {PHONE_FIELD: phone, "user_full_name": PROBE_NAME}});
        let Some(answer) = self
            .ask(Method::POST, api::paths::USERS, "", Some(body))
            .await?
        else {
            self.unsettled(points::PHONE, "Omnidesk: phones");
            return Ok(None);
        };
        if let Some(user) = user_of(&answer) {
            self.created.push(user.user_id);
            self.stored_phone(&phone, user.identifier(PHONE_FIELD), user.user_id);
            return Ok(Some(user.user_id));
        }
        if !matches!(error_of(&answer), Some(ErrorKind::Exists { .. })) {
            let seen = format!("the create was refused: {}", said(&answer));
            self.found(
                points::PHONE,
                Verdict::Unconfirmed,
                seen,
                None,
                "Omnidesk: phones",
            );
            return Ok(None);
        }
        // The account has the phone: how its user keeps it, by a search as a load makes
        // ("search phones by their digits without anchors").
        let limit = api::MAX_LIMIT.to_string();
        let query = api::query(&[(PHONE_FIELD, &digits(&phone)), ("limit", &limit)]);
        let Some(answer) = self
            .ask(Method::GET, api::paths::USERS, &query, None)
            .await?
        else {
            self.unsettled(points::PHONE, "Omnidesk: phones");
            return Ok(None);
        };
        let holder = users_of(&answer).into_iter().find(|u| {
            u.identifier(PHONE_FIELD)
                .is_some_and(|p| digits(p) == digits(&phone))
        });
        match holder {
            Some(user) => self.stored_phone(&phone, user.identifier(PHONE_FIELD), user.user_id),
            None => self.found(
                points::PHONE,
                Verdict::Unconfirmed,
                "the account has the phone, and search does not find it by its digits",
                None,
                "Omnidesk: phones",
            ),
        }
        Ok(None)
    }

    /// What the two-identifier create made: the linked profile's id, if it made one.
    fn one_create(&mut self, first: Option<&User>, phone: &str) -> Option<u64> {
        let see = "Omnidesk: several identifiers";
        let Some(first) = first else {
            self.found(
                points::ONE_CREATE,
                Verdict::Unconfirmed,
                "not settled: the create made no user",
                None,
                see,
            );
            return None;
        };
        let linked = first.linked_users.first().copied();
        let (verdict, seen) = match linked {
            Some(id) => (
                Verdict::Differs,
                format!(
                    "two profiles: {} ({}) linked to {id}",
                    first.user_id,
                    first.kind.as_deref().unwrap_or("?")
                ),
            ),
            None if first.identifier(PHONE_FIELD).is_some() => (
                Verdict::Differs,
                format!("one profile, {}, holding both", first.user_id),
            ),
            None => (
                Verdict::Holds,
                format!(
                    "one profile, {} ({}); the phone {phone} not kept",
                    first.user_id,
                    first.kind.as_deref().unwrap_or("?")
                ),
            ),
        };
        let variant = linked.map(|_| "create-links-identifiers");
        self.found(points::ONE_CREATE, verdict, seen, variant, see);
        if let Some(id) = linked {
            self.created.push(id);
        }
        linked
    }

    fn stored_phone(&mut self, sent: &str, kept: Option<&str>, user: u64) {
        let see = "Omnidesk: phones";
        let Some(kept) = kept else {
            let seen = format!("user {user} shows no {PHONE_FIELD}");
            self.found(points::PHONE, Verdict::Unconfirmed, seen, None, see);
            return;
        };
        let (verdict, variant) = if kept == sent {
            (Verdict::Holds, None)
        } else if kept == digits(sent) {
            (Verdict::Differs, Some("phone-digits"))
        } else {
            (Verdict::Differs, None)
        };
        let seen = format!("sent {sent}, kept {kept} (user {user})");
        self.found(points::PHONE, verdict, seen, variant, see);
    }

    /// Steps 9 and 10: the phone's profile linked to the e-mail's (once, unless a create
    /// linked them), then linked again.
    async fn relink(&mut self, first: Option<&User>, phone: Option<u64>) -> Result<(), ProbeError> {
        let see = "Omnidesk: links";
        let (Some(first), Some(phone)) = (first, phone) else {
            self.found(
                points::RELINK,
                Verdict::Unconfirmed,
                "not tried: the probe links only two users it created",
                None,
                see,
            );
            return Ok(());
        };
        let path = api::paths::link(first.user_id);
        let body = json!({"user_id": phone});
        if !first.linked_users.contains(&phone) {
            let Some(answer) = self.ask(Method::PUT, &path, "", Some(body.clone())).await? else {
                self.unsettled(points::RELINK, see);
                return Ok(());
            };
            let linked = user_of(&answer).is_some_and(|u| u.linked_users.contains(&phone));
            if !linked {
                let seen = format!("the first link did not take: {}", said(&answer));
                self.found(points::RELINK, Verdict::Unconfirmed, seen, None, see);
                return Ok(());
            }
        }
        let Some(again) = self.ask(Method::PUT, &path, "", Some(body)).await? else {
            self.unsettled(points::RELINK, see);
            return Ok(());
        };
        let (verdict, seen) = if ok(&again) {
            (Verdict::Holds, format!("{} again", again.status))
        } else {
            (Verdict::Differs, format!("{} again", said(&again)))
        };
        let seen = format!("{seen} ({} and {phone})", first.user_id);
        self.found(points::RELINK, verdict, seen, Some("relink-refused"), see);
        Ok(())
    }

    /// What the answers on the way showed of throttling and `retry_after`.
    fn throttling(&mut self) {
        let see = "Omnidesk: throttling";
        let throttled = self.throttled.clone();
        match &throttled {
            None => self.found(
                points::THROTTLE,
                Verdict::Unconfirmed,
                "not seen: the probe does not provoke it",
                None,
                see,
            ),
            Some(t) => {
                let (verdict, variant) = match t.status {
                    429 => (Verdict::Holds, None),
                    403 => (Verdict::Differs, Some("throttle-403")),
                    _ => (Verdict::Differs, None),
                };
                self.found(points::THROTTLE, verdict, t.said.clone(), variant, see);
            }
        }
        let ordinary = format!(
            "on {} of {} ordinary answers",
            self.ordinary_with_retry_after, self.ordinary
        );
        let (verdict, seen, variant) = match (&throttled, self.ordinary_with_retry_after) {
            (_, 1..) => (Verdict::Differs, ordinary, Some("retry-after-always")),
            (None, _) => (
                Verdict::Unconfirmed,
                format!("{ordinary}; no throttled answer seen"),
                None,
            ),
            (Some(t), _) if t.retry_after => (
                Verdict::Holds,
                format!("{ordinary}, and on the throttled one"),
                None,
            ),
            (Some(_), _) => (
                Verdict::Differs,
                format!("{ordinary}, nor on the throttled one"),
                Some("retry-after-never"),
            ),
        };
        self.found(points::RETRY_AFTER, verdict, seen, variant, see);
    }

    fn numbers(&mut self) {
        let (verdict, seen) = match self.numbers {
            (false, false) => (Verdict::Unconfirmed, "no id or count read"),
            (false, true) => (Verdict::Holds, "numbers"),
            (true, false) => (Verdict::Differs, "strings"),
            (true, true) => (Verdict::Differs, "numbers and strings"),
        };
        self.found(
            points::NUMBERS,
            verdict,
            seen,
            Some("numbers-as-strings"),
            "Omnidesk: answers",
        );
    }
}

impl ProbeReport {
    /// The findings as a table a person reads.
    pub fn table(&self) -> String {
        let mut out = crate::targets::findings::table(&self.findings, self.requests);
        if !self.created_users.is_empty() {
            let ids: Vec<String> = self.created_users.iter().map(u64::to_string).collect();
            let _ = writeln!(
                out,
                "The probe created users {} (named «{PROBE_NAME}»): they stay in the account; delete them there if you like.",
                ids.join(", ")
            );
        }
        crate::targets::findings::closing(
            &mut out,
            &self.findings,
            &self.plays,
            "omnidesk",
            "account",
        );
        if !self.plays.is_empty() {
            // `load` adapts to what it is told the account plays (`rules::Settings::plays`).
            let _ = writeln!(
                out,
                "Load into this account with --plays {} (the add-on: Settings → Account differences).",
                self.plays
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_case_differs_from_the_address() {
        assert_eq!(other_case("Probe@Example.org"), "PROBE@EXAMPLE.ORG");
        assert_eq!(other_case("A@B.RU"), "a@b.ru");
    }
}
