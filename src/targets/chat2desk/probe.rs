//! `probe`: a handful of requests a user with a real account runs, once, to settle what
//! `shared/specs/chat2desk.md` marks assumed or "not confirmed anywhere". It spends at most
//! `MAX_REQUESTS`, creates at most one client (with the phone or e-mail the user gives),
//! writes a comment and a tag only on that client, and takes the tag off again. Each
//! finding names what was seen and, where it matters, the line of `docs/probe.md` that
//! says what to do about it.

use std::fmt::Write as _;

use reqwest::Method;
use secrecy::SecretString;
use serde::Serialize;
use serde_json::{Value, json};

use super::api::{EMAIL_TRANSPORT, is_bad_token, lenient};
use super::client::{Chat2Desk, RawAnswer};
use super::transports;
use crate::pacing::TargetError;

/// The most requests a probe sends (it says so before it starts).
pub const MAX_REQUESTS: u64 = 15;

/// The name the probe's client gets, to find it in the account afterwards.
pub const PROBE_NAME: &str = "contact-loader probe";

/// The one contact the probe may create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeContact {
    /// E.164 digits without `+`.
    Phone(String),
    Email(String),
}

impl ProbeContact {
    fn value(&self) -> &str {
        match self {
            ProbeContact::Phone(v) | ProbeContact::Email(v) => v,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ProbeOptions {
    pub contact: ProbeContact,
    /// The channel (id or name) to create the client on; else one that fits.
    pub channel: Option<String>,
    /// The messenger for a phone; else the channel's WhatsApp, else its first.
    pub messenger: Option<String>,
}

/// How a fact of the spec fared in this account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// As the spec says.
    Holds,
    /// Not as the spec says; `docs/probe.md` says what follows.
    Differs,
    /// Not settled by this run (skipped to keep the account's data as it was, say).
    Unconfirmed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The fact, in a few words.
    pub fact: &'static str,
    pub verdict: Verdict,
    /// What the account answered (never a token).
    pub seen: String,
    /// The heading of `docs/probe.md` that says what to do when it does not hold.
    pub see: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeReport {
    pub findings: Vec<Finding>,
    pub requests: u64,
    /// The client the probe created, if it did (it stays in the account).
    pub created_client: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("Chat2Desk did not answer: {0}")]
    Target(#[from] TargetError),
    #[error("the token is not accepted: {0}")]
    BadToken(String),
}

/// The probe's requests, counted, never past `MAX_REQUESTS`.
struct Probe<'a> {
    client: &'a Chat2Desk,
    sent: u64,
    findings: Vec<Finding>,
}

impl Probe<'_> {
    async fn ask(
        &mut self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Value>,
    ) -> Result<Option<RawAnswer>, ProbeError> {
        if self.sent >= MAX_REQUESTS {
            return Ok(None);
        }
        self.sent += 1;
        Ok(Some(
            self.client.raw(method, path, query, body.as_ref()).await?,
        ))
    }

    fn found(&mut self, fact: &'static str, verdict: Verdict, seen: String, see: &'static str) {
        self.findings.push(Finding {
            fact,
            verdict,
            seen,
            see,
        });
    }
}

fn data(answer: &RawAnswer) -> &Value {
    answer.body.get("data").unwrap_or(&Value::Null)
}

fn ok(answer: &RawAnswer) -> bool {
    (200..300).contains(&answer.status) && answer.body.get("status") != Some(&json!("error"))
}

/// The answer's text, short, for a finding.
fn said(answer: &RawAnswer) -> String {
    let text = match &answer.body {
        Value::String(s) => s.clone(),
        body => body
            .get("message")
            .or_else(|| body.get("errors"))
            .map_or_else(|| body.to_string(), Value::to_string),
    };
    text.chars().take(160).collect()
}

/// What kind of value this is, as a finding says it.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Number(_) => "a number",
        Value::String(s) if s.trim().parse::<f64>().is_ok() => "a number in a string",
        Value::String(_) => "text",
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Runs the probe. Stops early only when the token is refused.
pub async fn probe(client: &Chat2Desk, options: &ProbeOptions) -> Result<ProbeReport, ProbeError> {
    let mut p = Probe {
        client,
        sent: 0,
        findings: Vec::new(),
    };

    // 1. The allowance: which fields api_info has.
    if let Some(answer) = p
        .ask(Method::GET, "v1/companies/api_info", &[], None)
        .await?
    {
        if answer.status == 401 || !ok(&answer) && is_bad_token(&said(&answer)) {
            return Err(ProbeError::BadToken(said(&answer)));
        }
        let info = data(&answer);
        let fields: Vec<String> = info
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        let readable = ["api_calls", "requests_this_month"]
            .iter()
            .filter_map(|k| Some((*k, info.get(*k)?)))
            .find(|(_, v)| lenient::number(v).is_some());
        match readable {
            Some((name, value)) => p.found(
                "api_info gives the month's allowance",
                Verdict::Holds,
                format!("{name} = {value} ({})", kind(value)),
                "The allowance",
            ),
            None => p.found(
                "api_info gives the month's allowance",
                Verdict::Differs,
                format!(
                    "neither api_calls nor requests_this_month; fields: {}",
                    fields.join(", ")
                ),
                "The allowance",
            ),
        }
    }

    // 2. An error's status, body and headers: a request with a token that cannot be right.
    let wrong = client.with_token(SecretString::from("contact-loader-probe-not-a-token"));
    let mut q = Probe {
        client: &wrong,
        sent: p.sent,
        findings: Vec::new(),
    };
    if let Some(answer) = q
        .ask(Method::GET, "v1/companies/api_info", &[], None)
        .await?
    {
        let text = said(&answer);
        let verdict = if answer.status == 401 && is_bad_token(&text) {
            Verdict::Holds
        } else {
            Verdict::Differs
        };
        p.found(
            "a bad token answers 401 \"Token is not correct\"",
            verdict,
            format!(
                "{} {text}; Retry-After: {}",
                answer.status,
                answer.retry_after.as_deref().unwrap_or("none")
            ),
            "Errors",
        );
    }
    p.sent = q.sent;

    // 3. The transports' shape.
    if let Some(answer) = p.ask(Method::GET, "v1/help/transports", &[], None).await? {
        let items = data(&answer).as_array().cloned().unwrap_or_default();
        let strings = items.iter().filter(|i| i.is_string()).count();
        let names: Vec<String> = items.iter().filter_map(lenient::name).collect();
        let (verdict, shape) = match (strings, items.len()) {
            (s, n) if s == n && n > 0 => (Verdict::Holds, "strings"),
            (0, n) if n > 0 => (Verdict::Differs, "objects"),
            (_, 0) => (Verdict::Differs, "no list"),
            _ => (Verdict::Differs, "strings and objects"),
        };
        p.found(
            "/v1/help/transports is a list of names",
            verdict,
            format!("{shape}: {}", names.join(", ")),
            "Transports",
        );
    }

    // 4. Each channel's transports.
    let mut channels: Vec<(u64, String, Vec<String>)> = Vec::new();
    if let Some(answer) = p
        .ask(
            Method::GET,
            "v1/channels",
            &[("limit", "200".into()), ("offset", "0".into())],
            None,
        )
        .await?
    {
        for channel in data(&answer).as_array().into_iter().flatten() {
            let Some(id) = channel.get("id").and_then(lenient::number) else {
                continue;
            };
            let name = channel
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let names = channel
                .get("transports")
                .and_then(Value::as_array)
                .map(|t| t.iter().filter_map(lenient::name).collect())
                .unwrap_or_default();
            channels.push((id, name, names));
        }
        let shown: Vec<String> = channels
            .iter()
            .map(|(id, name, t)| format!("«{name}» ({id}): {}", t.join(", ")))
            .collect();
        let unfamiliar: Vec<&String> = channels
            .iter()
            .flat_map(|(_, _, t)| t)
            .filter(|t| {
                transports::family(t).is_none()
                    && !["widget", "external", "system"].contains(&t.as_str())
            })
            .collect();
        let verdict = if channels.is_empty() || !unfamiliar.is_empty() {
            Verdict::Differs
        } else {
            Verdict::Holds
        };
        p.found(
            "each channel lists its transports, of families we know",
            verdict,
            shown.join("; "),
            "Transports",
        );
    }

    // Where the probe's client goes.
    let wanted_transport = match &options.contact {
        ProbeContact::Email(_) => EMAIL_TRANSPORT.to_owned(),
        ProbeContact::Phone(_) => options
            .messenger
            .clone()
            .unwrap_or_else(|| "whatsapp".into()),
    };
    let allowed: Vec<&(u64, String, Vec<String>)> = channels
        .iter()
        .filter(|(id, name, _)| {
            options
                .channel
                .as_deref()
                .is_none_or(|c| c == id.to_string() || c.eq_ignore_ascii_case(name))
        })
        .collect();
    // The messenger asked for on the first channel that has it; for a phone with none asked
    // for and no WhatsApp anywhere, the first channel's first messenger.
    let chosen = allowed
        .iter()
        .find_map(|(id, _, offered)| {
            transports::resolve(&wanted_transport, offered).map(|t| (*id, t.to_owned()))
        })
        .or_else(|| {
            let any =
                matches!(options.contact, ProbeContact::Phone(_)) && options.messenger.is_none();
            allowed
                .iter()
                .filter(|_| any)
                .find_map(|(id, _, offered)| Some((*id, offered.first()?.clone())))
        });

    // 5. Exact lookup by phone.
    let contact = options.contact.value().to_owned();
    let mut existing = None;
    if let Some(answer) = p
        .ask(
            Method::GET,
            "v1/clients",
            &[("phone", contact.clone())],
            None,
        )
        .await?
    {
        let found = data(&answer).as_array().cloned().unwrap_or_default();
        existing = found
            .first()
            .and_then(|c| c.get("id"))
            .and_then(lenient::number);
        if let ProbeContact::Phone(digits) = &options.contact
            && digits.len() > 4
            && let Some(prefix) = p
                .ask(
                    Method::GET,
                    "v1/clients",
                    &[("phone", digits[..digits.len() - 2].to_owned())],
                    None,
                )
                .await?
        {
            let partial = data(&prefix).as_array().map_or(0, Vec::len);
            let verdict = if partial == 0 || partial <= found.len() && existing.is_some() {
                Verdict::Holds
            } else {
                Verdict::Differs
            };
            p.found(
                "GET /v1/clients?phone= matches exactly",
                verdict,
                format!(
                    "{} for the number, {partial} for it without its last two digits",
                    found.len()
                ),
                "Phone lookup",
            );
        }
    }

    // 6. The create, and 7. the duplicate answer.
    let mut created = None;
    match &chosen {
        None => p.found(
            "a client can be created on a channel",
            Verdict::Unconfirmed,
            format!("no channel offers {wanted_transport}"),
            "Creating clients",
        ),
        Some((channel_id, transport)) => {
            let body = json!({
                "phone": contact, "transport": transport, "channel_id": channel_id,
                "nickname": PROBE_NAME,
            });
            if existing.is_none()
                && let Some(answer) = p
                    .ask(Method::POST, "v1/clients", &[], Some(body.clone()))
                    .await?
            {
                let id = data(&answer).get("id").and_then(lenient::number);
                let fact = match options.contact {
                    ProbeContact::Email(_) => {
                        "an e-mail client is created by POST with the address in phone"
                    }
                    ProbeContact::Phone(_) => "a client is created by POST /v1/clients",
                };
                let verdict = if ok(&answer) && id.is_some() {
                    Verdict::Holds
                } else {
                    Verdict::Differs
                };
                p.found(
                    fact,
                    verdict,
                    format!("{} {}", answer.status, said(&answer)),
                    "Creating clients",
                );
                created = id.filter(|_| ok(&answer));
            }
            if let Some(answer) = p.ask(Method::POST, "v1/clients", &[], Some(body)).await? {
                let envelope: super::api::Envelope =
                    serde_json::from_value(answer.body.clone()).unwrap_or_default();
                let (verdict, seen) = match (envelope.is_duplicate(), envelope.existing_client_id())
                {
                    (true, Some(id)) => (
                        Verdict::Holds,
                        format!("{} with the id {id}", answer.status),
                    ),
                    (true, None) => (
                        Verdict::Differs,
                        format!("{} \"already exist\" without an id", answer.status),
                    ),
                    (false, _) => (
                        Verdict::Differs,
                        format!("{} {}", answer.status, said(&answer)),
                    ),
                };
                p.found(
                    "a duplicate POST answers \"client already exist\" with the id",
                    verdict,
                    seen,
                    "Duplicates",
                );
            }
        }
    }

    // 8. The comment through PUT, and where the client can be reached — on our client only:
    // the probe writes nothing on a client it did not make.
    match created {
        None => p.found(
            "comment is written by PUT /v1/clients/{id}",
            Verdict::Unconfirmed,
            "not tried: the probe writes only on a client it created (give a phone the account does not have)".into(),
            "Comments",
        ),
        Some(id) => {
            let path = format!("v1/clients/{id}");
            let comment = format!("{PROBE_NAME}: comment");
            p.ask(Method::PUT, &path, &[], Some(json!({"comment": comment}))).await?;
            if let Some(answer) = p.ask(Method::GET, &path, &[], None).await? {
                let record = data(&answer);
                let kept = record.get("comment").and_then(Value::as_str) == Some(comment.as_str());
                p.found(
                    "comment is written by PUT /v1/clients/{id}",
                    if kept { Verdict::Holds } else { Verdict::Differs },
                    format!("comment read back: {}", record.get("comment").map_or("none".into(), Value::to_string)),
                    "Comments",
                );
                let reachable: Vec<(u64, Vec<String>)> = record
                    .get("channels")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|c| {
                        let names = c
                            .get("transports")
                            .and_then(Value::as_array)
                            .map(|t| t.iter().filter_map(lenient::name).collect())
                            .unwrap_or_default();
                        Some((lenient::number(c.get("id")?)?, names))
                    })
                    .collect();
                let on = chosen.as_ref().is_some_and(|(channel, transport)| {
                    reachable
                        .iter()
                        .any(|(id, names)| id == channel && names.contains(transport))
                });
                let shown: Vec<String> = reachable
                    .iter()
                    .map(|(id, names)| format!("{id}: {}", names.join(", ")))
                    .collect();
                p.found(
                    "a client's channels say where it is reached",
                    if on { Verdict::Holds } else { Verdict::Differs },
                    if shown.is_empty() {
                        "no channels in the client".into()
                    } else {
                        shown.join("; ")
                    },
                    "Dialogs",
                );
            }
            // 9. A tag on and off again.
            let tag = match p
                .ask(Method::GET, "v1/tags", &[("limit", "1".into()), ("offset", "0".into())], None)
                .await?
            {
                Some(answer) => data(&answer)
                    .as_array()
                    .and_then(|t| t.first())
                    .and_then(|t| t.get("id"))
                    .and_then(lenient::number),
                None => None,
            };
            match tag {
                None => p.found(
                    "tags are assigned and taken off",
                    Verdict::Unconfirmed,
                    "the account has no tag".into(),
                    "Tags",
                ),
                Some(tag) => {
                    let assigned = p
                        .ask(
                            Method::POST,
                            "v1/tags/assign_to",
                            &[],
                            Some(json!({"tag_ids": [tag], "assignee_type": "client", "assignee_id": id})),
                        )
                        .await?;
                    let removed = p
                        .ask(
                            Method::DELETE,
                            &format!("v1/tags/{tag}/delete_from"),
                            &[],
                            Some(json!({"client_id": id})),
                        )
                        .await?;
                    let both = assigned.as_ref().is_some_and(ok) && removed.as_ref().is_some_and(ok);
                    p.found(
                        "tags are assigned and taken off",
                        if both { Verdict::Holds } else { Verdict::Differs },
                        format!(
                            "assign_to: {}; delete_from: {}",
                            assigned.map_or("not sent".into(), |a| a.status.to_string()),
                            removed.map_or("not sent".into(), |a| a.status.to_string())
                        ),
                        "Tags",
                    );
                }
            }
        }
    }
    p.found(
        "the per-second limit and its 429",
        Verdict::Unconfirmed,
        "not probed: it would take a burst of requests".into(),
        "Rate limit",
    );
    Ok(ProbeReport {
        findings: p.findings,
        requests: p.sent,
        created_client: created,
    })
}

impl ProbeReport {
    /// The findings as a table a person reads.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let width = self
            .findings
            .iter()
            .map(|f| f.fact.chars().count())
            .max()
            .unwrap_or(0);
        for finding in &self.findings {
            let verdict = match finding.verdict {
                Verdict::Holds => "holds",
                Verdict::Differs => "DIFFERS",
                Verdict::Unconfirmed => "unconfirmed",
            };
            let pad = width - finding.fact.chars().count();
            let _ = writeln!(
                out,
                "{}{}  {verdict:<11}  {}",
                finding.fact,
                " ".repeat(pad),
                finding.seen
            );
        }
        let _ = writeln!(out, "\n{} requests.", self.requests);
        if let Some(id) = self.created_client {
            let _ = writeln!(
                out,
                "The probe created client {id} (named «{PROBE_NAME}»): it stays in the account; delete it there if you like."
            );
        }
        let open: Vec<&str> = self
            .findings
            .iter()
            .filter(|f| f.verdict != Verdict::Holds)
            .map(|f| f.see)
            .collect();
        if !open.is_empty() {
            let _ = writeln!(
                out,
                "What to do about the others: docs/probe.md, sections {}.",
                open.join(", ")
            );
        }
        out
    }
}
