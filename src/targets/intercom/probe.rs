//! `probe --target intercom`: a handful of requests a user with a real workspace runs, once,
//! to settle what `shared/specs/intercom.md` marks **assumed** (or documents only in an
//! open PR) — each point as one of the variants `api::Assumptions` lists, so that what the
//! workspace plays can be rehearsed on the sandbox (`sandbox --target intercom
//! --assumptions …`).
//!
//! It spends at most `MAX_REQUESTS`, and writes only on the one user it creates, by the
//! e-mail the user gives, named `PROBE_NAME`: it fills two custom attributes the workspace
//! has (it creates none), tags and untags it, then archives it and leaves it archived (an
//! archived contact is what the last points are about, and the spec has no delete in the
//! loader's paths). It never provokes throttling: a 429 met on the way is what it reports.
//! Nothing secret reaches a finding: the token is masked in every text an answer gives.
//!
//! The order is the workspace's: writes to the contact (attributes, tag) come before the
//! archive, as an archived contact takes none ("unarchive … needed when the 409 says
//! archived" — the sandbox refuses them, and so, we expect, does Intercom).

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::{Value, json};

use super::api::{
    self, Contact, DataAttribute, ErrorKind, ErrorList, List, Pagination, Query, SearchRequest,
    Tag, codes,
};
use super::client::{Intercom, RawAnswer};
use crate::pacing::TargetError;
pub use crate::targets::{Finding, Verdict};

/// The most requests a probe sends (it says so before it starts): fourteen for every step
/// — three reads, the create and its repeat, two searches, two `PUT`s, the tag and its
/// removal, the archive, the create of the archived contact and a last search — and one
/// for a request repeated after a throttled answer.
pub const MAX_REQUESTS: u64 = 15;

/// The name of the probe's contact and of its tag, to find them in the workspace.
pub const PROBE_NAME: &str = "contact-loader probe";

/// The values the probe writes in the two custom attributes: both at first, then only the
/// first one changed — whether the other survives the second `PUT` is the point.
pub const FIRST_VALUE: &str = "contact-loader probe: first";
pub const SECOND_VALUE: &str = "contact-loader probe: second";
pub const KEPT_VALUE: &str = "contact-loader probe: kept";

/// How long after the create the probe searches once more when search did not show the
/// contact at once ("a contact created in the last few minutes may be missing" [oas]).
pub const SEARCH_RECHECK: Duration = Duration::from_secs(10);

/// The token of the request that must be refused: not the user's, never a real one.
const WRONG_TOKEN: &str = "contact-loader-probe-not-a-token";

/// The longest wait after a throttled answer: "on 429 sleep until `X-RateLimit-Reset`" of
/// a 10-second window [rl], and a little.
const MAX_THROTTLE_WAIT: Duration = Duration::from_secs(12);

/// What the probe may create, and how long it gives search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeOptions {
    /// The probe's user: an e-mail the workspace does not have, trimmed and lower-cased as
    /// a load sends it.
    pub email: String,
    /// `SEARCH_RECHECK`, unless a test is in a hurry.
    pub search_recheck: Duration,
}

impl ProbeOptions {
    pub fn new(email: impl Into<String>) -> ProbeOptions {
        ProbeOptions {
            email: email.into(),
            search_recheck: SEARCH_RECHECK,
        }
    }
}

/// A contact the probe created, and whether it archived it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeContact {
    pub id: String,
    pub archived: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeReport {
    pub findings: Vec<Finding>,
    pub requests: u64,
    /// The contacts the probe created; they stay in the workspace.
    pub created: Vec<ProbeContact>,
    /// The id of the tag the probe set (`PROBE_NAME`, created by the bulk call if missing):
    /// the tag stays in the workspace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// `X-RateLimit-Limit` as the workspace announced it: requests per 10-second window.
    pub per_window: Option<u64>,
    /// The variants the workspace plays, as `sandbox --target intercom --assumptions` takes
    /// them (`Assumptions::parse`); empty when every point settled is the spec's reading.
    pub plays: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("Intercom did not answer: {0}")]
    Target(#[from] TargetError),
    #[error("Intercom refuses the access token: {0}")]
    BadCredentials(String),
}

/// The points the findings name.
mod points {
    pub const LIMITS: &str = "limit headers on an authenticated answer";
    pub const ATTRIBUTES: &str = "GET /data_attributes: a list of data_attribute";
    pub const TAGS: &str = "GET /tags: a list of tag";
    pub const IDS: &str = "ids are strings";
    pub const BAD_TOKEN: &str = "a wrong token: 401 unauthorized";
    pub const THROTTLE: &str = "over the limit: 429 rate_limit_exceeded";
    pub const CONFLICT: &str = "a second create: 409 conflict naming id=";
    pub const ATTRIBUTES_UPDATE: &str = "a PUT keeps custom attributes it does not send";
    pub const BULK_TAG: &str = "the bulk tag call lists the users it tagged";
    pub const UNTAG: &str = "DELETE /contacts/{id}/tags/{tag_id} removes it";
    pub const SEARCH_LAG: &str = "search shows a new contact";
    pub const ARCHIVE: &str = "POST /contacts/{id}/archive";
    pub const ARCHIVED_CONFLICT: &str = "creating an archived contact: 409 \"archived\"";
    pub const ARCHIVED_SEARCH: &str = "search leaves archived contacts out";
    /// Points the probe leaves alone, each with why and the variant to rehearse.
    pub const NOT_PROBED: [(&str, &str, &str); 4] = [
        (
            "the bulk tag call tags leads too",
            "not probed: it takes a lead, a second contact; rehearse bulk-tag-users-only",
            "Intercom: tags",
        ),
        (
            "the bulk tag call takes 100 contacts",
            "not probed: it takes 51 contacts; rehearse bulk-tag-50",
            "Intercom: tags",
        ),
        (
            "a merged contact: 410 with Link",
            "not probed: it takes a lead merged into the user; rehearse merged-404",
            "Intercom: merged contacts",
        ),
        (
            "an invalid phone: 400 parameter_invalid",
            "not probed: it depends on Settings → Workspace → People data → Phone; \
             rehearse phone-validation if yours is on",
            "Intercom: phones",
        ),
    ];
}

/// The probe's requests, counted, never past `MAX_REQUESTS`, and what their answers showed
/// on the way.
struct Probe<'a> {
    client: &'a Intercom,
    options: &'a ProbeOptions,
    sent: u64,
    findings: Vec<Finding>,
    created: Vec<ProbeContact>,
    tag: Option<String>,
    /// What the first throttled answer said.
    throttled: Option<String>,
    /// Whether ids came as strings, as numbers.
    ids: (bool, bool),
}

/// The probe's contact, and what search showed of it.
struct Made {
    id: String,
    /// When its create was answered.
    at: Instant,
    /// A search has shown it (live).
    searched: bool,
}

/// Runs the probe. Stops early only when the token is refused.
pub async fn probe(client: &Intercom, options: &ProbeOptions) -> Result<ProbeReport, ProbeError> {
    let mut p = Probe {
        client,
        options,
        sent: 0,
        findings: Vec::new(),
        created: Vec::new(),
        tag: None,
        throttled: None,
        ids: (false, false),
    };
    let (per_window, attributes) = p.attributes().await?;
    p.tags().await?;
    p.bad_token().await?;
    match p.create().await? {
        Some(mut made) => {
            p.search_at_once(&mut made).await?;
            p.conflict(&made).await?;
            p.attributes_update(&made, &attributes).await?;
            p.bulk_tag(&made).await?;
            p.search_again(&mut made).await?;
            p.archived(&made).await?;
        }
        None => {
            let points = [
                (points::SEARCH_LAG, "Intercom: search"),
                (points::ATTRIBUTES_UPDATE, "Intercom: custom attributes"),
                (points::BULK_TAG, "Intercom: tags"),
                (points::UNTAG, "Intercom: tags"),
                (points::ARCHIVE, "Intercom: archived contacts"),
                (points::ARCHIVED_SEARCH, "Intercom: archived contacts"),
            ];
            for (point, see) in points {
                p.found(
                    point,
                    Verdict::Unconfirmed,
                    "not tried: the probe writes only on a contact it created",
                    None,
                    see,
                );
            }
        }
    }
    p.throttling();
    p.id_types();
    for (point, seen, see) in points::NOT_PROBED {
        p.found(point, Verdict::Unconfirmed, seen, None, see);
    }
    let plays: Vec<&str> = p.findings.iter().filter_map(|f| f.variant).collect();
    Ok(ProbeReport {
        findings: p.findings,
        requests: p.sent,
        created: p.created,
        tag: p.tag,
        per_window,
        plays: plays.join(","),
    })
}

impl Probe<'_> {
    /// One request; a throttled answer is noted, waited out and the request sent once
    /// more. `None` when the budget is spent or the workspace throttles twice.
    async fn ask(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Option<RawAnswer>, ProbeError> {
        let client = self.client;
        self.ask_as(client, method, path, body).await
    }

    /// `ask` with this client (the wrong token's).
    async fn ask_as(
        &mut self,
        client: &Intercom,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Option<RawAnswer>, ProbeError> {
        for attempt in 0..2 {
            if self.sent >= MAX_REQUESTS {
                return Ok(None);
            }
            self.sent += 1;
            let answer = client.raw(method.clone(), path, body.as_ref()).await?;
            if error_of(&answer) != Some(ErrorKind::Throttled) {
                return Ok(Some(answer));
            }
            if self.throttled.is_none() {
                self.throttled = Some(said(&answer));
            }
            if attempt == 0 {
                let wait = answer.limits.reset_in.unwrap_or(MAX_THROTTLE_WAIT);
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

    /// The text with the token masked: an answer may echo what it was sent.
    fn masked(&self, text: &str) -> String {
        crate::targets::masked(
            text,
            self.client.token().expose_secret().trim(),
            "«access token»",
        )
    }

    fn unsettled(&mut self, point: &'static str, see: &'static str) {
        self.found(
            point,
            Verdict::Unconfirmed,
            "no answer to read: the probe's requests ran out, or the workspace throttled twice",
            None,
            see,
        );
    }

    /// Notes how an id came: "Ids are strings in the spec's examples".
    fn id_in(&mut self, value: Option<&Value>) {
        match value {
            Some(Value::Number(_)) => self.ids.1 = true,
            Some(Value::String(_)) => self.ids.0 = true,
            _ => {}
        }
    }

    /// Step 1, `GET /data_attributes?model=contact`, the run's pre-flight: the limit
    /// headers ("Authenticated responses carry `X-RateLimit-Limit` (per window),
    /// `X-RateLimit-Remaining`, `X-RateLimit-Reset`" [rl]) and the list's shape [oas].
    /// The per-window figure, and the workspace's attributes.
    async fn attributes(&mut self) -> Result<(Option<u64>, Vec<DataAttribute>), ProbeError> {
        let path = format!("{}?model=contact", api::paths::DATA_ATTRIBUTES);
        let Some(answer) = self.ask(Method::GET, &path, None).await? else {
            self.unsettled(points::LIMITS, "Intercom: limit headers");
            self.unsettled(points::ATTRIBUTES, "Intercom: answers");
            return Ok((None, Vec::new()));
        };
        if error_of(&answer) == Some(ErrorKind::BadCredentials) {
            return Err(ProbeError::BadCredentials(self.masked(&said(&answer))));
        }
        let limits = answer.limits;
        let shown = |n: Option<u64>| n.map_or("missing".to_owned(), |n| n.to_string());
        let reset = limits
            .reset_in
            .map_or("missing".to_owned(), |d| format!("in {} s", d.as_secs()));
        let (verdict, seen) = match (limits.per_window, limits.remaining, limits.reset_in) {
            (Some(per_window), Some(left), Some(_)) => (
                Verdict::Holds,
                format!(
                    "X-RateLimit-Limit = {per_window} a 10 s window ({} a minute), \
                     Remaining = {left}, Reset {reset}",
                    limits.per_minute().unwrap_or_default()
                ),
            ),
            _ => (
                Verdict::Differs,
                format!(
                    "X-RateLimit-Limit {}, Remaining {}, Reset {reset}",
                    shown(limits.per_window),
                    shown(limits.remaining)
                ),
            ),
        };
        self.found(
            points::LIMITS,
            verdict,
            seen,
            Some("no-rate-headers"),
            "Intercom: limit headers",
        );
        let attributes = match list_shape(&answer, "data_attribute", &["name", "data_type"]) {
            Ok(items) => {
                let read: Vec<DataAttribute> = items
                    .into_iter()
                    .filter_map(|item| serde_json::from_value(item).ok())
                    .collect();
                let custom = read.iter().filter(|a| a.custom).count();
                let strings: Vec<&str> = read
                    .iter()
                    .filter(|a| writable(a) && a.data_type == "string")
                    .map(|a| a.name.as_str())
                    .collect();
                let seen = format!(
                    "{} attributes, {custom} custom; writable custom strings: {}",
                    read.len(),
                    if strings.is_empty() {
                        "none".to_owned()
                    } else {
                        strings.join(", ")
                    }
                );
                self.found(
                    points::ATTRIBUTES,
                    Verdict::Holds,
                    seen,
                    None,
                    "Intercom: answers",
                );
                read
            }
            Err(seen) => {
                self.found(
                    points::ATTRIBUTES,
                    Verdict::Differs,
                    seen,
                    None,
                    "Intercom: answers",
                );
                Vec::new()
            }
        };
        Ok((limits.per_window, attributes))
    }

    /// Step 2, `GET /tags` → `{"type":"list","data":[{"type":"tag","id","name"}]}` [oas].
    async fn tags(&mut self) -> Result<(), ProbeError> {
        let Some(answer) = self.ask(Method::GET, api::paths::TAGS, None).await? else {
            self.unsettled(points::TAGS, "Intercom: answers");
            return Ok(());
        };
        let (verdict, seen) = match list_shape(&answer, "tag", &["id", "name"]) {
            Ok(items) => {
                for item in &items {
                    self.id_in(item.get("id"));
                }
                (Verdict::Holds, format!("{} tags", items.len()))
            }
            Err(seen) => (Verdict::Differs, seen),
        };
        self.found(points::TAGS, verdict, seen, None, "Intercom: answers");
        Ok(())
    }

    /// Step 3, a request with a token that cannot be right: 401 `unauthorized` in the
    /// `error.list` shape [oas `error`], without limit headers ("absent on unauthenticated
    /// answers" [rl]).
    async fn bad_token(&mut self) -> Result<(), ProbeError> {
        let see = "Intercom: errors";
        let wrong = self
            .client
            .with_token(SecretString::from(WRONG_TOKEN.to_owned()));
        let Some(answer) = self
            .ask_as(&wrong, Method::GET, api::paths::TAGS, None)
            .await?
        else {
            self.unsettled(points::BAD_TOKEN, see);
            return Ok(());
        };
        let listed = error_list(&answer).is_some_and(|l| l.kind == "error.list");
        let headers = if answer.limits.per_window.is_some() {
            "with limit headers"
        } else {
            "no limit headers"
        };
        let verdict = if answer.status == 401 && listed && has_code(&answer, codes::UNAUTHORIZED) {
            Verdict::Holds
        } else {
            Verdict::Differs
        };
        let shape = if listed { "" } else { ", not an error.list" };
        let seen = format!("{}{shape}; {headers}", said(&answer));
        self.found(points::BAD_TOKEN, verdict, seen, None, see);
        Ok(())
    }

    /// The create body: the same every time, so that its repeats are the same details.
    fn create_body(&self) -> Value {
        json!({"role": "user", "email": self.options.email, "name": PROBE_NAME})
    }

    /// Step 4, `POST /contacts` of the probe's user. A 409 here means the workspace has
    /// the e-mail: that answer settles what it can of the conflict, and the probe writes
    /// nothing more.
    async fn create(&mut self) -> Result<Option<Made>, ProbeError> {
        let see = "Intercom: duplicates";
        let Some(answer) = self
            .ask(Method::POST, api::paths::CONTACTS, Some(self.create_body()))
            .await?
        else {
            self.unsettled(points::CONFLICT, see);
            self.unsettled(points::ARCHIVED_CONFLICT, "Intercom: archived contacts");
            return Ok(None);
        };
        if let Some(contact) = contact_of(&answer) {
            self.id_in(answer.body.as_ref().and_then(|b| b.get("id")));
            self.created.push(ProbeContact {
                id: contact.id.clone(),
                archived: false,
            });
            return Ok(Some(Made {
                id: contact.id,
                at: Instant::now(),
                searched: false,
            }));
        }
        match error_of(&answer) {
            Some(ErrorKind::Conflict { id, archived }) => {
                let whose = if archived {
                    "an archived contact (a previous probe's?)"
                } else {
                    "a contact"
                };
                let (verdict, variant) = match id {
                    Some(_) => (Verdict::Holds, None),
                    None => (Verdict::Differs, Some("conflict-without-id")),
                };
                let seen = format!(
                    "{}; the workspace has {whose} with the e-mail: give another to settle the rest",
                    conflict_said(&answer)
                );
                self.found(points::CONFLICT, verdict, seen, variant, see);
                if archived {
                    let seen = format!("{} (the e-mail's contact)", conflict_said(&answer));
                    self.found(
                        points::ARCHIVED_CONFLICT,
                        Verdict::Holds,
                        seen,
                        None,
                        "Intercom: archived contacts",
                    );
                } else {
                    self.found(
                        points::ARCHIVED_CONFLICT,
                        Verdict::Unconfirmed,
                        "not tried: the probe archives only a contact it created",
                        None,
                        "Intercom: archived contacts",
                    );
                }
            }
            _ => {
                let seen = format!("the create was refused: {}", said(&answer));
                self.found(points::CONFLICT, Verdict::Unconfirmed, seen, None, see);
                self.found(
                    points::ARCHIVED_CONFLICT,
                    Verdict::Unconfirmed,
                    "not tried: the create was refused",
                    None,
                    "Intercom: archived contacts",
                );
            }
        }
        Ok(None)
    }

    /// `POST /contacts/search` by the probe's e-mail: whether it shows `id` (with
    /// `"archived": true`, when it does). `None` when the search settles nothing — the
    /// finding of `point` says why.
    async fn search(
        &mut self,
        id: &str,
        point: &'static str,
        see: &'static str,
    ) -> Result<Option<Option<Contact>>, ProbeError> {
        let body = SearchRequest {
            query: Query::equals("email", &self.options.email),
            pagination: Some(Pagination {
                per_page: api::SEARCH_PAGE,
                starting_after: None,
            }),
        };
        let body = serde_json::to_value(body).unwrap_or_default();
        let Some(answer) = self
            .ask(Method::POST, api::paths::SEARCH, Some(body))
            .await?
        else {
            self.unsettled(point, see);
            return Ok(None);
        };
        let list = match &answer.body {
            Some(body) if ok(&answer) => serde_json::from_value::<List<Contact>>(body.clone()).ok(),
            _ => None,
        };
        let Some(list) = list else {
            let seen = format!("the search was refused: {}", said(&answer));
            self.found(point, Verdict::Unconfirmed, seen, None, see);
            return Ok(None);
        };
        Ok(Some(list.data.into_iter().find(|c| c.id == id)))
    }

    /// Step 5, search right after the create: "a contact created in the last few minutes
    /// may be missing" [oas]. Only a contact found here or by `search_again` settles the
    /// archived one's search.
    async fn search_at_once(&mut self, made: &mut Made) -> Result<(), ProbeError> {
        let Some(found) = self
            .search(&made.id, points::SEARCH_LAG, "Intercom: search")
            .await?
        else {
            return Ok(());
        };
        if found.is_some() {
            made.searched = true;
            let seen = format!(
                "found {:.1} s after the create (no lag this time; [oas] allows minutes)",
                made.at.elapsed().as_secs_f64()
            );
            self.found(
                points::SEARCH_LAG,
                Verdict::Holds,
                seen,
                None,
                "Intercom: search",
            );
        }
        Ok(())
    }

    /// Step 6, the same create again: 409 `conflict`, "A contact matching those details
    /// already exists with id=…" [pr543], with the probe's contact's id.
    async fn conflict(&mut self, made: &Made) -> Result<(), ProbeError> {
        let see = "Intercom: duplicates";
        let Some(answer) = self
            .ask(Method::POST, api::paths::CONTACTS, Some(self.create_body()))
            .await?
        else {
            self.unsettled(points::CONFLICT, see);
            return Ok(());
        };
        if let Some(second) = contact_of(&answer) {
            self.created.push(ProbeContact {
                id: second.id.clone(),
                archived: false,
            });
            let seen = format!(
                "{}: a second contact, {}, for the same e-mail",
                answer.status, second.id
            );
            self.found(points::CONFLICT, Verdict::Differs, seen, None, see);
            return Ok(());
        }
        let (verdict, seen, variant) = match error_of(&answer) {
            Some(ErrorKind::Conflict { id: Some(id), .. }) if id == made.id => {
                let verdict = if answer.status == 409 {
                    Verdict::Holds
                } else {
                    Verdict::Differs
                };
                (
                    verdict,
                    format!("{} (the probe's contact)", conflict_said(&answer)),
                    None,
                )
            }
            Some(ErrorKind::Conflict { id: Some(id), .. }) => (
                Verdict::Differs,
                format!(
                    "{}: names {id}, not the probe's contact {}",
                    conflict_said(&answer),
                    made.id
                ),
                None,
            ),
            Some(ErrorKind::Conflict { id: None, .. }) => (
                Verdict::Differs,
                conflict_said(&answer),
                Some("conflict-without-id"),
            ),
            _ => (Verdict::Differs, said(&answer), None),
        };
        self.found(points::CONFLICT, verdict, seen, variant, see);
        Ok(())
    }

    /// Steps 7 and 8: two custom attributes the workspace has filled on the probe's
    /// contact, then a `PUT` of one of them: "Only sent keys change (**assumed** for
    /// `custom_attributes` keys too)". Needs a writable custom string attribute (the one
    /// sent again) and a second writable custom attribute of a type it can fill; it
    /// creates none ("only with the user's consent" [help 179]).
    async fn attributes_update(
        &mut self,
        made: &Made,
        attributes: &[DataAttribute],
    ) -> Result<(), ProbeError> {
        let see = "Intercom: custom attributes";
        let point = points::ATTRIBUTES_UPDATE;
        let Some((sent, kept, kept_value)) = pair(attributes) else {
            let seen = "not tried: it takes a writable custom string attribute and a second \
                        writable custom attribute; the probe creates none";
            self.found(point, Verdict::Unconfirmed, seen, None, see);
            return Ok(());
        };
        let path = api::paths::contact(&made.id);
        let both = json!({"custom_attributes": {
            sent.as_str(): FIRST_VALUE,
            kept.as_str(): kept_value.clone(),
        }});
        let Some(first) = self.ask(Method::PUT, &path, Some(both)).await? else {
            self.unsettled(point, see);
            return Ok(());
        };
        let holds = |answer: &RawAnswer, name: &str, value: &Value| {
            contact_of(answer).and_then(|c| c.custom_attributes.get(name).cloned())
                == Some(value.clone())
        };
        if !holds(&first, &sent, &json!(FIRST_VALUE)) || !holds(&first, &kept, &kept_value) {
            let seen = format!("the first PUT did not take: {}", said(&first));
            self.found(point, Verdict::Unconfirmed, seen, None, see);
            return Ok(());
        }
        let one = json!({"custom_attributes": {sent.as_str(): SECOND_VALUE}});
        let Some(second) = self.ask(Method::PUT, &path, Some(one)).await? else {
            self.unsettled(point, see);
            return Ok(());
        };
        if !holds(&second, &sent, &json!(SECOND_VALUE)) {
            let seen = format!("the second PUT did not take: {}", said(&second));
            self.found(point, Verdict::Unconfirmed, seen, None, see);
            return Ok(());
        }
        let after = contact_of(&second)
            .and_then(|c| c.custom_attributes.get(&kept).cloned())
            .unwrap_or(Value::Null);
        let (verdict, seen) = if after == kept_value {
            (
                Verdict::Holds,
                format!("a PUT of {sent} kept {kept} = {after}"),
            )
        } else {
            (
                Verdict::Differs,
                format!("a PUT of {sent} left {kept} = {after}, not {kept_value}"),
            )
        };
        self.found(point, verdict, seen, Some("attributes-replaced"), see);
        Ok(())
    }

    /// Steps 9 and 10: `POST /tags {"name","users":[{"id"}]}` — "response … `users:[{"id",
    /// "tagged":true}]` (2.16)" — then the tag taken off again.
    async fn bulk_tag(&mut self, made: &Made) -> Result<(), ProbeError> {
        let see = "Intercom: tags";
        let body = json!({"name": PROBE_NAME, "users": [{"id": made.id}]});
        let Some(answer) = self.ask(Method::POST, api::paths::TAGS, Some(body)).await? else {
            self.unsettled(points::BULK_TAG, see);
            self.unsettled(points::UNTAG, see);
            return Ok(());
        };
        let tag: Option<Tag> = match &answer.body {
            Some(body) if ok(&answer) => serde_json::from_value(body.clone()).ok(),
            _ => None,
        };
        let Some(tag) = tag.filter(|t| !t.id.is_empty()) else {
            let seen = format!("the call was refused: {}", said(&answer));
            self.found(points::BULK_TAG, Verdict::Unconfirmed, seen, None, see);
            self.found(
                points::UNTAG,
                Verdict::Unconfirmed,
                "not tried: no tag was set",
                None,
                see,
            );
            return Ok(());
        };
        self.id_in(answer.body.as_ref().and_then(|b| b.get("id")));
        self.tag = Some(tag.id.clone());
        let (verdict, seen) = match &tag.users {
            None => (Verdict::Differs, "no users listed".to_owned()),
            Some(users) => match users.iter().find(|u| u.id == made.id) {
                Some(u) if u.tagged => (
                    Verdict::Holds,
                    format!("users lists the contact, tagged ({} listed)", users.len()),
                ),
                Some(_) => (
                    Verdict::Differs,
                    "users lists the contact as not tagged".to_owned(),
                ),
                None => (
                    Verdict::Differs,
                    format!("users lists {} others, not the contact", users.len()),
                ),
            },
        };
        // Only an answer without the list is the 2.15 answer the variant plays.
        let variant = tag.users.is_none().then_some("bulk-tag-unlisted");
        self.found(points::BULK_TAG, verdict, seen, variant, see);
        let path = format!("{}/{}", api::paths::of_contact(&made.id, "tags"), tag.id);
        let Some(removed) = self.ask(Method::DELETE, &path, None).await? else {
            self.unsettled(points::UNTAG, see);
            return Ok(());
        };
        let verdict = if ok(&removed) {
            Verdict::Holds
        } else {
            Verdict::Differs
        };
        let seen = format!("{} (tag {})", said(&removed), tag.id);
        self.found(points::UNTAG, verdict, seen, None, see);
        Ok(())
    }

    /// Step 11, when search did not show the contact at once: once more, `search_recheck`
    /// after the create. Both outcomes are the spec's ("this delay can take a few
    /// minutes" [oas]); the loader's `search_lag` allows ten.
    async fn search_again(&mut self, made: &mut Made) -> Result<(), ProbeError> {
        if made.searched || self.findings.iter().any(|f| f.point == points::SEARCH_LAG) {
            return Ok(());
        }
        let first = made.at.elapsed();
        let wait = self.options.search_recheck.saturating_sub(first);
        tokio::time::sleep(wait).await;
        let Some(found) = self
            .search(&made.id, points::SEARCH_LAG, "Intercom: search")
            .await?
        else {
            return Ok(());
        };
        let after = made.at.elapsed().as_secs_f64();
        let seen = if found.is_some() {
            made.searched = true;
            format!("missing at once; found {after:.1} s after the create")
        } else {
            format!("missing at once and {after:.1} s after the create")
        };
        self.found(
            points::SEARCH_LAG,
            Verdict::Holds,
            seen,
            None,
            "Intercom: search",
        );
        Ok(())
    }

    /// Steps 12 to 14: the archive, the create of the archived contact ("An archived
    /// contact matching those details already exists with id=…" [pr543]), and a search
    /// ("whether search returns them is **assumed** no"). The contact stays archived.
    async fn archived(&mut self, made: &Made) -> Result<(), ProbeError> {
        let see = "Intercom: archived contacts";
        let path = api::paths::of_contact(&made.id, "archive");
        let Some(answer) = self.ask(Method::POST, &path, Some(json!({}))).await? else {
            for point in [
                points::ARCHIVE,
                points::ARCHIVED_CONFLICT,
                points::ARCHIVED_SEARCH,
            ] {
                self.unsettled(point, see);
            }
            return Ok(());
        };
        let archived = ok(&answer);
        let flag = answer
            .body
            .as_ref()
            .and_then(|b| b.get("archived"))
            .and_then(Value::as_bool);
        let (verdict, seen) = match (archived, flag) {
            (true, Some(true) | None) => (Verdict::Holds, format!("{}; archived", said(&answer))),
            _ => (Verdict::Differs, said(&answer)),
        };
        self.found(points::ARCHIVE, verdict, seen, None, see);
        if verdict != Verdict::Holds {
            for point in [points::ARCHIVED_CONFLICT, points::ARCHIVED_SEARCH] {
                let seen = "not tried: the archive did not take";
                self.found(point, Verdict::Unconfirmed, seen, None, see);
            }
            return Ok(());
        }
        if let Some(c) = self.created.iter_mut().find(|c| c.id == made.id) {
            c.archived = true;
        }
        match self
            .ask(Method::POST, api::paths::CONTACTS, Some(self.create_body()))
            .await?
        {
            None => self.unsettled(points::ARCHIVED_CONFLICT, see),
            Some(again) => {
                if let Some(new) = contact_of(&again) {
                    self.created.push(ProbeContact {
                        id: new.id.clone(),
                        archived: false,
                    });
                    let seen = format!(
                        "{}: a new contact, {}, beside the archived one",
                        again.status, new.id
                    );
                    self.found(points::ARCHIVED_CONFLICT, Verdict::Differs, seen, None, see);
                } else {
                    let verdict = match error_of(&again) {
                        Some(ErrorKind::Conflict { archived: true, .. }) => Verdict::Holds,
                        _ => Verdict::Differs,
                    };
                    let seen = match error_of(&again) {
                        Some(ErrorKind::Conflict { .. }) => conflict_said(&again),
                        _ => said(&again),
                    };
                    self.found(points::ARCHIVED_CONFLICT, verdict, seen, None, see);
                }
            }
        }
        if !made.searched {
            let seen = "not settled: search had not shown the contact live either";
            self.found(
                points::ARCHIVED_SEARCH,
                Verdict::Unconfirmed,
                seen,
                None,
                see,
            );
            return Ok(());
        }
        let Some(found) = self.search(&made.id, points::ARCHIVED_SEARCH, see).await? else {
            return Ok(());
        };
        let (verdict, seen) = match found {
            None => (
                Verdict::Holds,
                "a search by the e-mail no longer shows it".to_owned(),
            ),
            Some(c) if c.archived => (
                Verdict::Differs,
                "a search by the e-mail shows it, with \"archived\": true".to_owned(),
            ),
            // The index may not have the archive yet ("Eventual consistency" [oas]), and a
            // load tells an archived contact by the flag alone.
            Some(_) => (
                Verdict::Unconfirmed,
                "a search by the e-mail still shows it live: the index may not have the \
                 archive yet"
                    .to_owned(),
            ),
        };
        self.found(
            points::ARCHIVED_SEARCH,
            verdict,
            seen,
            Some("archived-in-search"),
            see,
        );
        Ok(())
    }

    /// What the answers on the way showed of throttling: "Over the limit: `429`,
    /// `…"code":"rate_limit_exceeded"…`" [rl]. Never provoked.
    fn throttling(&mut self) {
        let see = "Intercom: errors";
        match self.throttled.clone() {
            None => self.found(
                points::THROTTLE,
                Verdict::Unconfirmed,
                "not seen: the probe does not provoke it",
                None,
                see,
            ),
            Some(said) => {
                let verdict = if said.starts_with("429 rate_limit_exceeded") {
                    Verdict::Holds
                } else {
                    Verdict::Differs
                };
                self.found(points::THROTTLE, verdict, said, None, see);
            }
        }
    }

    fn id_types(&mut self) {
        let (verdict, seen) = match self.ids {
            (false, false) => (Verdict::Unconfirmed, "no contact or tag id read"),
            (true, false) => (Verdict::Holds, "strings"),
            (false, true) => (Verdict::Differs, "numbers"),
            (true, true) => (Verdict::Differs, "strings and numbers"),
        };
        self.found(
            points::IDS,
            verdict,
            seen,
            Some("ids-as-numbers"),
            "Intercom: answers",
        );
    }
}

/// A custom attribute the API may write.
fn writable(attribute: &DataAttribute) -> bool {
    attribute.custom && attribute.api_writable && !attribute.archived
}

/// The attributes of the `PUT` point: a writable custom string one (sent twice) and
/// another writable custom one with the value it keeps, of its type.
fn pair(attributes: &[DataAttribute]) -> Option<(String, String, Value)> {
    let sent = attributes
        .iter()
        .find(|a| writable(a) && a.data_type == "string")?;
    let value = |a: &DataAttribute| match a.data_type.as_str() {
        "string" => Some(json!(KEPT_VALUE)),
        "integer" => Some(json!(7)),
        "float" => Some(json!(7.5)),
        "boolean" => Some(json!(true)),
        _ => None,
    };
    attributes
        .iter()
        .filter(|a| writable(a) && a.name != sent.name)
        .find_map(|a| Some((sent.name.clone(), a.name.clone(), value(a)?)))
}

/// The items of a `{"type":"list","data":[{"type": item, keys…}]}` answer [oas], or what
/// in it differs.
fn list_shape(answer: &RawAnswer, item: &str, keys: &[&str]) -> Result<Vec<Value>, String> {
    if !ok(answer) {
        return Err(said(answer));
    }
    let Some(body) = &answer.body else {
        return Err(format!("{}: not JSON", answer.status));
    };
    let kind = body
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("no type");
    let Some(data) = body.get("data").and_then(Value::as_array) else {
        return Err(format!("\"type\": {kind:?}, no \"data\" list"));
    };
    let mut odd = Vec::new();
    if kind != "list" {
        odd.push(format!("\"type\": {kind:?}"));
    }
    for key in keys {
        let missing = data.iter().filter(|d| d.get(key).is_none()).count();
        if missing > 0 {
            odd.push(format!("{missing} of {} without \"{key}\"", data.len()));
        }
    }
    let others = data
        .iter()
        .filter(|d| d.get("type").and_then(Value::as_str) != Some(item))
        .count();
    if others > 0 {
        odd.push(format!(
            "{others} of {} not of \"type\": {item:?}",
            data.len()
        ));
    }
    if odd.is_empty() {
        Ok(data.clone())
    } else {
        Err(odd.join("; "))
    }
}

fn ok(answer: &RawAnswer) -> bool {
    (200..300).contains(&answer.status)
}

/// The error list of an error answer.
fn error_list(answer: &RawAnswer) -> Option<ErrorList> {
    if ok(answer) {
        return None;
    }
    serde_json::from_value::<ErrorList>(answer.body.clone()?)
        .ok()
        .filter(|l| !l.errors.is_empty())
}

/// What an error answer means, as the connector reads it (`api::classify`); `None` for a
/// success.
fn error_of(answer: &RawAnswer) -> Option<ErrorKind> {
    if ok(answer) {
        return None;
    }
    Some(api::classify(
        answer.status,
        &error_list(answer).unwrap_or_default(),
    ))
}

fn has_code(answer: &RawAnswer, code: &str) -> bool {
    error_list(answer).is_some_and(|l| l.errors.iter().any(|e| e.code == code))
}

/// The status and the errors, short, for a finding.
fn said(answer: &RawAnswer) -> String {
    if ok(answer) {
        return answer.status.to_string();
    }
    match error_list(answer) {
        Some(list) => {
            let text: String = list.said().chars().take(200).collect();
            format!("{} {text}", answer.status)
        }
        None if answer.body.is_some() => format!("{} (not an error.list)", answer.status),
        None => format!("{} (not JSON)", answer.status),
    }
}

/// A 409's status and code, and its message with the id in it written `{id}`: the shape a
/// load parses ("Parse the id with `id=([0-9a-f]+)`").
fn conflict_said(answer: &RawAnswer) -> String {
    let message = error_list(answer)
        .and_then(|l| l.errors.into_iter().find(|e| e.code == codes::CONFLICT))
        .map(|e| e.message)
        .unwrap_or_default();
    format!(
        "{} conflict: {:?}",
        answer.status,
        id_as_placeholder(&message)
    )
}

/// "… already exists with id=6762f0dd…" → "… already exists with id={id}".
fn id_as_placeholder(message: &str) -> String {
    let Some(at) = message.find("id=").map(|at| at + 3) else {
        return message.to_owned();
    };
    let rest = &message[at..];
    let end = rest
        .find(|c: char| !c.is_ascii_hexdigit())
        .unwrap_or(rest.len());
    if end == 0 {
        return message.to_owned();
    }
    format!("{}{{id}}{}", &message[..at], &rest[end..])
}

/// The contact of a success answer.
fn contact_of(answer: &RawAnswer) -> Option<Contact> {
    let body = answer.body.as_ref()?;
    if !ok(answer) {
        return None;
    }
    serde_json::from_value::<Contact>(body.clone())
        .ok()
        .filter(|c| !c.id.is_empty())
}

impl ProbeReport {
    /// The findings as a table a person reads.
    pub fn table(&self) -> String {
        let mut out = crate::targets::findings::table(&self.findings, self.requests);
        for contact in &self.created {
            let state = if contact.archived {
                "archived it: it stays archived in the workspace (delete it there if you like)"
            } else {
                "left it as it is: archive or delete it in the workspace"
            };
            let _ = writeln!(
                out,
                "The probe created contact {} (named «{PROBE_NAME}») and {state}.",
                contact.id
            );
        }
        if let Some(tag) = &self.tag {
            let _ = writeln!(
                out,
                "The tag «{PROBE_NAME}» ({tag}) stays in the workspace; delete it there if you like."
            );
        }
        crate::targets::findings::closing(
            &mut out,
            &self.findings,
            &self.plays,
            "intercom",
            "workspace",
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: Value) -> RawAnswer {
        RawAnswer {
            status,
            limits: api::Limits::default(),
            link: None,
            body: Some(body),
        }
    }

    #[test]
    fn the_conflict_is_shown_with_its_id_as_a_placeholder() {
        assert_eq!(
            id_as_placeholder(
                "A contact matching those details already exists with id=6762f0dd1bb69f9f2193bb83"
            ),
            "A contact matching those details already exists with id={id}"
        );
        assert_eq!(
            id_as_placeholder("An archived contact … with id=abc1. Unarchive it"),
            "An archived contact … with id={id}. Unarchive it"
        );
        assert_eq!(id_as_placeholder("no id=here"), "no id=here");
        assert_eq!(id_as_placeholder("exists"), "exists");
    }

    #[test]
    fn a_list_answer_is_checked_item_by_item() {
        let good = answer(
            200,
            json!({"type":"list","data":[{"type":"tag","id":"1","name":"a"}]}),
        );
        assert_eq!(list_shape(&good, "tag", &["id", "name"]).unwrap().len(), 1);
        let odd = answer(200, json!({"type":"tag.list","data":[{"id":1}]}));
        let said = list_shape(&odd, "tag", &["id", "name"]).unwrap_err();
        assert!(
            said.contains("tag.list") && said.contains("without \"name\""),
            "{said}"
        );
        let refused = answer(
            401,
            json!({"type":"error.list","errors":[{"code":"unauthorized","message":"Access Token Invalid"}]}),
        );
        assert_eq!(
            list_shape(&refused, "tag", &[]).unwrap_err(),
            "401 unauthorized: Access Token Invalid"
        );
    }

    #[test]
    fn the_put_point_needs_a_string_and_a_second_attribute() {
        let attribute = |name: &str, data_type: &str, custom: bool| DataAttribute {
            id: None,
            name: name.into(),
            label: None,
            data_type: data_type.into(),
            custom,
            api_writable: true,
            archived: false,
            model: None,
        };
        assert_eq!(pair(&[attribute("position", "string", true)]), None);
        assert_eq!(
            pair(&[
                attribute("name", "string", false),
                attribute("score", "integer", true),
                attribute("position", "string", true),
            ]),
            Some(("position".into(), "score".into(), json!(7)))
        );
        assert_eq!(
            pair(&[
                attribute("when", "date", true),
                attribute("position", "string", true)
            ]),
            None
        );
    }
}
