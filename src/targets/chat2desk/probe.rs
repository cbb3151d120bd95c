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

pub use crate::targets::Verdict;

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

/// A channel as the probe reads it: id, name, transports.
type ChannelSeen = (u64, String, Vec<String>);

/// Runs the probe. Stops early only when the token is refused.
pub async fn probe(client: &Chat2Desk, options: &ProbeOptions) -> Result<ProbeReport, ProbeError> {
    let mut p = Probe {
        client,
        sent: 0,
        findings: Vec::new(),
    };
    p.allowance().await?;
    p.bad_token().await?;
    p.transports().await?;
    let channels = p.channels().await?;
    let chosen = choose(&channels, options);
    let existing = p.lookup(&options.contact).await?;
    let created = p.create(options, chosen.as_ref(), existing).await?;
    // The probe writes nothing on a client it did not make.
    match (created, &chosen) {
        (Some(id), Some(dialog)) => p.on_its_client(id, dialog).await?,
        _ => p.found(
            "comment is written by PUT /v1/clients/{id}",
            Verdict::Unconfirmed,
            "not tried: the probe writes only on a client it created (give a phone the \
             account does not have)"
                .into(),
            "Comments",
        ),
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

/// Where the probe's client goes: the messenger asked for (WhatsApp for a phone, e-mail for
/// an address) on the first channel that has it; for a phone with none asked for and no
/// WhatsApp anywhere, the first channel's first messenger.
fn choose(channels: &[ChannelSeen], options: &ProbeOptions) -> Option<(u64, String)> {
    let wanted = match &options.contact {
        ProbeContact::Email(_) => EMAIL_TRANSPORT.to_owned(),
        ProbeContact::Phone(_) => options
            .messenger
            .clone()
            .unwrap_or_else(|| "whatsapp".into()),
    };
    let allowed: Vec<&ChannelSeen> = channels
        .iter()
        .filter(|(id, name, _)| {
            options
                .channel
                .as_deref()
                .is_none_or(|c| c == id.to_string() || c.eq_ignore_ascii_case(name))
        })
        .collect();
    let any = matches!(options.contact, ProbeContact::Phone(_)) && options.messenger.is_none();
    allowed
        .iter()
        .find_map(|(id, _, offered)| {
            transports::resolve(&wanted, offered).map(|t| (*id, t.to_owned()))
        })
        .or_else(|| {
            allowed
                .iter()
                .filter(|_| any)
                .find_map(|(id, _, offered)| Some((*id, offered.first()?.clone())))
        })
}

impl Probe<'_> {
    /// 1. The allowance: which fields `api_info` has.
    async fn allowance(&mut self) -> Result<(), ProbeError> {
        let fact = "api_info gives the month's allowance";
        let Some(answer) = self
            .ask(Method::GET, "v1/companies/api_info", &[], None)
            .await?
        else {
            return Ok(());
        };
        if answer.status == 401 || !ok(&answer) && is_bad_token(&said(&answer)) {
            return Err(ProbeError::BadToken(said(&answer)));
        }
        let info = data(&answer);
        let readable = ["api_calls", "requests_this_month"]
            .iter()
            .filter_map(|k| Some((*k, info.get(*k)?)))
            .find(|(_, v)| lenient::number(v).is_some());
        match readable {
            Some((name, value)) => self.found(
                fact,
                Verdict::Holds,
                format!("{name} = {value} ({})", kind(value)),
                "The allowance",
            ),
            None => {
                let fields: Vec<String> = info
                    .as_object()
                    .map(|o| o.keys().cloned().collect())
                    .unwrap_or_default();
                self.found(
                    fact,
                    Verdict::Differs,
                    format!(
                        "neither api_calls nor requests_this_month; fields: {}",
                        fields.join(", ")
                    ),
                    "The allowance",
                );
            }
        }
        Ok(())
    }

    /// 2. An error's status, body and headers: a request with a token that cannot be right.
    async fn bad_token(&mut self) -> Result<(), ProbeError> {
        if self.sent >= MAX_REQUESTS {
            return Ok(());
        }
        let wrong = self
            .client
            .with_token(SecretString::from("contact-loader-probe-not-a-token"));
        self.sent += 1;
        let answer = wrong
            .raw(Method::GET, "v1/companies/api_info", &[], None)
            .await?;
        let text = said(&answer);
        let verdict = if answer.status == 401 && is_bad_token(&text) {
            Verdict::Holds
        } else {
            Verdict::Differs
        };
        self.found(
            "a bad token answers 401 \"Token is not correct\"",
            verdict,
            format!(
                "{} {text}; Retry-After: {}",
                answer.status,
                answer.retry_after.as_deref().unwrap_or("none")
            ),
            "Errors",
        );
        Ok(())
    }

    /// 3. The transports' shape.
    async fn transports(&mut self) -> Result<(), ProbeError> {
        let Some(answer) = self
            .ask(Method::GET, "v1/help/transports", &[], None)
            .await?
        else {
            return Ok(());
        };
        let items = data(&answer).as_array().cloned().unwrap_or_default();
        let strings = items.iter().filter(|i| i.is_string()).count();
        let names: Vec<String> = items.iter().filter_map(lenient::name).collect();
        let (verdict, shape) = match (strings, items.len()) {
            (s, n) if s == n && n > 0 => (Verdict::Holds, "strings"),
            (0, n) if n > 0 => (Verdict::Differs, "objects"),
            (_, 0) => (Verdict::Differs, "no list"),
            _ => (Verdict::Differs, "strings and objects"),
        };
        self.found(
            "/v1/help/transports is a list of names",
            verdict,
            format!("{shape}: {}", names.join(", ")),
            "Transports",
        );
        Ok(())
    }

    /// 4. Each channel's transports.
    async fn channels(&mut self) -> Result<Vec<ChannelSeen>, ProbeError> {
        let query = [("limit", "200".to_owned()), ("offset", "0".to_owned())];
        let Some(answer) = self.ask(Method::GET, "v1/channels", &query, None).await? else {
            return Ok(Vec::new());
        };
        let channels: Vec<ChannelSeen> = data(&answer)
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|channel| {
                let id = lenient::number(channel.get("id")?)?;
                let name = channel
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                Some((id, name.to_owned(), names_of(channel.get("transports"))))
            })
            .collect();
        let shown: Vec<String> = channels
            .iter()
            .map(|(id, name, t)| format!("«{name}» ({id}): {}", t.join(", ")))
            .collect();
        let unfamiliar = channels.iter().flat_map(|(_, _, t)| t).any(|t| {
            transports::family(t).is_none()
                && !["widget", "external", "system"].contains(&t.as_str())
        });
        let verdict = if channels.is_empty() || unfamiliar {
            Verdict::Differs
        } else {
            Verdict::Holds
        };
        self.found(
            "each channel lists its transports, of families we know",
            verdict,
            shown.join("; "),
            "Transports",
        );
        Ok(channels)
    }

    /// 5. Exact lookup by phone: the client that has the contact already, if one does.
    async fn lookup(&mut self, contact: &ProbeContact) -> Result<Option<u64>, ProbeError> {
        let query = [("phone", contact.value().to_owned())];
        let Some(answer) = self.ask(Method::GET, "v1/clients", &query, None).await? else {
            return Ok(None);
        };
        let found = data(&answer).as_array().cloned().unwrap_or_default();
        let existing = found
            .first()
            .and_then(|c| c.get("id"))
            .and_then(lenient::number);
        if let ProbeContact::Phone(digits) = contact
            && digits.len() > 4
        {
            let shorter = [("phone", digits[..digits.len() - 2].to_owned())];
            if let Some(prefix) = self.ask(Method::GET, "v1/clients", &shorter, None).await? {
                let partial = data(&prefix).as_array().map_or(0, Vec::len);
                let verdict = if partial == 0 || partial <= found.len() && existing.is_some() {
                    Verdict::Holds
                } else {
                    Verdict::Differs
                };
                self.found(
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
        Ok(existing)
    }

    /// Steps 6 and 7: the create (when the account has no such client) and the duplicate
    /// answer. The id of the client the probe made.
    async fn create(
        &mut self,
        options: &ProbeOptions,
        chosen: Option<&(u64, String)>,
        existing: Option<u64>,
    ) -> Result<Option<u64>, ProbeError> {
        let Some((channel_id, transport)) = chosen else {
            self.found(
                "a client can be created on a channel",
                Verdict::Unconfirmed,
                "no channel offers the messenger asked for".into(),
                "Creating clients",
            );
            return Ok(None);
        };
        let body = json!({
            "phone": options.contact.value(), "transport": transport, "channel_id": channel_id,
            "nickname": PROBE_NAME,
        });
        let mut created = None;
        if existing.is_none()
            && let Some(answer) = self
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
            let seen = format!("{} {}", answer.status, said(&answer));
            self.found(fact, verdict, seen, "Creating clients");
            created = id.filter(|_| ok(&answer));
        }
        if let Some(answer) = self
            .ask(Method::POST, "v1/clients", &[], Some(body))
            .await?
        {
            let envelope: super::api::Envelope =
                serde_json::from_value(answer.body.clone()).unwrap_or_default();
            let (verdict, seen) = match (envelope.is_duplicate(), envelope.existing_client_id()) {
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
            self.found(
                "a duplicate POST answers \"client already exist\" with the id",
                verdict,
                seen,
                "Duplicates",
            );
        }
        Ok(created)
    }

    /// Steps 8 and 9, on the probe's own client: the comment through PUT, where the client
    /// can be reached, and a tag on and off again.
    async fn on_its_client(&mut self, id: u64, dialog: &(u64, String)) -> Result<(), ProbeError> {
        let path = format!("v1/clients/{id}");
        let comment = format!("{PROBE_NAME}: comment");
        self.ask(Method::PUT, &path, &[], Some(json!({"comment": comment})))
            .await?;
        if let Some(answer) = self.ask(Method::GET, &path, &[], None).await? {
            let record = data(&answer);
            let kept = record.get("comment").and_then(Value::as_str) == Some(comment.as_str());
            self.found(
                "comment is written by PUT /v1/clients/{id}",
                if kept {
                    Verdict::Holds
                } else {
                    Verdict::Differs
                },
                format!(
                    "comment read back: {}",
                    record
                        .get("comment")
                        .map_or("none".into(), Value::to_string)
                ),
                "Comments",
            );
            let reachable: Vec<(u64, Vec<String>)> = record
                .get("channels")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|c| {
                    Some((
                        lenient::number(c.get("id")?)?,
                        names_of(c.get("transports")),
                    ))
                })
                .collect();
            let on = reachable
                .iter()
                .any(|(channel, names)| *channel == dialog.0 && names.contains(&dialog.1));
            let shown: Vec<String> = reachable
                .iter()
                .map(|(channel, names)| format!("{channel}: {}", names.join(", ")))
                .collect();
            self.found(
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
        let first_tag = [("limit", "1".to_owned()), ("offset", "0".to_owned())];
        let tag = self
            .ask(Method::GET, "v1/tags", &first_tag, None)
            .await?
            .and_then(|answer| {
                data(&answer)
                    .as_array()
                    .and_then(|t| t.first())
                    .and_then(|t| t.get("id"))
                    .and_then(lenient::number)
            });
        let Some(tag) = tag else {
            self.found(
                "tags are assigned and taken off",
                Verdict::Unconfirmed,
                "the account has no tag".into(),
                "Tags",
            );
            return Ok(());
        };
        let assign = json!({"tag_ids": [tag], "assignee_type": "client", "assignee_id": id});
        let assigned = self
            .ask(Method::POST, "v1/tags/assign_to", &[], Some(assign))
            .await?;
        let removed = self
            .ask(
                Method::DELETE,
                &format!("v1/tags/{tag}/delete_from"),
                &[],
                Some(json!({"client_id": id})),
            )
            .await?;
        let both = assigned.as_ref().is_some_and(ok) && removed.as_ref().is_some_and(ok);
        let status = |a: Option<RawAnswer>| a.map_or("not sent".into(), |a| a.status.to_string());
        self.found(
            "tags are assigned and taken off",
            if both {
                Verdict::Holds
            } else {
                Verdict::Differs
            },
            format!(
                "assign_to: {}; delete_from: {}",
                status(assigned),
                status(removed)
            ),
            "Tags",
        );
        Ok(())
    }
}

/// The names in a transports list of either shape; none for anything else.
fn names_of(transports: Option<&Value>) -> Vec<String> {
    transports
        .and_then(Value::as_array)
        .map(|t| t.iter().filter_map(lenient::name).collect())
        .unwrap_or_default()
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
            let verdict = finding.verdict.shown();
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
