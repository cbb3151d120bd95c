//! Chat2Desk's wire format. Every fact the connector and the sandbox depend on is here, with
//! its line in `shared/specs/chat2desk.md`; what the spec marks **assumed** is marked so,
//! and parsed tolerantly, so that a correction is a change in this file alone.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// "Base URL: `https://api.chat2desk.com` — configurable (regional hosts exist)".
pub const DEFAULT_BASE_URL: &str = "https://api.chat2desk.com";

/// The hosts Chat2Desk serves its API from.
pub const KNOWN_HOSTS: &[&str] = &[
    "api.chat2desk.com",
    "api.chat2desk.kz",
    "api.chat2desk.com.mx",
    "api.chat24.io",
];

/// Why a base URL is refused for a job.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaseUrlError {
    #[error("`{0}` is not a URL")]
    NotAUrl(String),
    #[error(
        "`{0}` is not a Chat2Desk API host ({hosts}); the server's configuration must allow other hosts",
        hosts = KNOWN_HOSTS.join(", ")
    )]
    UnknownHost(String),
}

/// The base URL a job may use. A server that takes base URLs from its users refuses any
/// but Chat2Desk's own hosts over HTTPS — otherwise it could be made to send requests, and
/// the user's token, anywhere (server-side request forgery) — unless its configuration
/// allows other hosts (a sandbox, a proxy).
pub fn allowed_base_url(url: &str, allow_other_hosts: bool) -> Result<reqwest::Url, BaseUrlError> {
    let parsed = reqwest::Url::parse(url).map_err(|_| BaseUrlError::NotAUrl(url.to_owned()))?;
    if allow_other_hosts && matches!(parsed.scheme(), "http" | "https") {
        return Ok(parsed);
    }
    let known = parsed.scheme() == "https"
        && parsed.username().is_empty()
        && parsed.password().is_none()
        && parsed.port().is_none()
        && parsed
            .host_str()
            .is_some_and(|host| KNOWN_HOSTS.contains(&host.to_ascii_lowercase().as_str()));
    if known {
        Ok(parsed)
    } else {
        Err(BaseUrlError::UnknownHost(url.to_owned()))
    }
}

/// "Lists take `limit` (default 20, max 200) and `offset`".
pub const PAGE_LIMIT: usize = 200;

/// "the first 100,000 requests a month are free, each further one costs 0.01 RUB".
pub const FREE_REQUESTS_PER_MONTH: u64 = 100_000;
pub const RUB_PER_PAID_REQUEST: f64 = 0.01;

/// **Assumed**: "for transport `email` the `phone` field carries the e-mail address".
pub const EMAIL_TRANSPORT: &str = "email";

/// "Success envelope: `{"status":"success","data":...,"meta":{...}}`. Error envelope:
/// `{"status":"error","message":"..."}` or `{"status":"error","errors":{...}}`."
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Envelope {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub data: Option<Value>,
    #[serde(default)]
    pub message: Option<Value>,
    #[serde(default)]
    pub errors: Option<Value>,
    #[serde(default)]
    pub meta: Option<Meta>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize)]
pub struct Meta {
    #[serde(default)]
    pub total: Option<u64>,
    #[serde(default)]
    pub limit: Option<u64>,
    #[serde(default)]
    pub offset: Option<u64>,
}

impl Envelope {
    pub fn is_error(&self) -> bool {
        self.status.as_deref() == Some("error")
    }

    /// The error's text, whichever shape it came in: `message` as a string, or `errors` as
    /// an object of lists of strings (flattened).
    pub fn error_text(&self) -> String {
        let mut parts = Vec::new();
        if let Some(message) = &self.message {
            flatten(message, &mut parts);
        }
        if let Some(errors) = &self.errors {
            flatten(errors, &mut parts);
        }
        parts.join("; ")
    }

    /// "Duplicate (a client with that phone already exists):
    /// `{"status":"error","errors":{"client":["client already exist","{\"id\":123}"]}}` —
    /// element `[1]` is a JSON string with the existing client's id."
    /// Tolerant: the id may also come as a number, or as `{"id":123}` not in a string.
    pub fn existing_client_id(&self) -> Option<u64> {
        let list = self.errors.as_ref()?.get("client")?.as_array()?;
        let first = list.first()?.as_str()?;
        if !first.to_lowercase().contains("already exist") {
            return None;
        }
        list.iter().skip(1).find_map(|item| match item {
            Value::String(s) => serde_json::from_str::<Value>(s)
                .ok()
                .and_then(|v| id_of(&v))
                .or_else(|| s.trim().parse().ok()),
            other => id_of(other),
        })
    }
}

fn id_of(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::Object(o) => o.get("id").and_then(id_of),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn flatten(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| flatten(v, out)),
        Value::Object(map) => map.values().for_each(|v| flatten(v, out)),
        Value::Null => {}
        other => out.push(other.to_string()),
    }
}

/// "monthly allowance exhausted … body contains `Number of API requests exceeded` or `API
/// calls exceeded API limit per month` — permanent for this month".
pub fn is_quota_exhausted(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower.contains("number of api requests exceeded") || lower.contains("exceeded api limit")
}

/// "bad or missing token: 401, body contains `Token is not correct` (older: `You need to
/// auth`)".
pub fn is_bad_token(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower.contains("token is not correct") || lower.contains("need to auth")
}

/// `GET /v1/companies/api_info`. "`api_calls` seen in a 2026 live-tested client;
/// `requests_this_month` in an older one" — both read, neither required.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct ApiInfo {
    /// Requests left this month (free ones).
    #[serde(default)]
    pub api_calls: Option<u64>,
    #[serde(default)]
    pub requests_this_month: Option<u64>,
    #[serde(default)]
    pub company_name: Option<String>,
    #[serde(default)]
    pub mode: Option<String>,
}

impl ApiInfo {
    /// Free requests left this month, from whichever field the account reports.
    pub fn requests_left(&self) -> Option<u64> {
        self.api_calls.or_else(|| {
            self.requests_this_month
                .map(|used| FREE_REQUESTS_PER_MONTH.saturating_sub(used))
        })
    }
}

/// `GET /v1/channels`: `[{"id":1,"name":"Sales","phone":"79990000000","transports":[...]}]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Channel {
    pub id: u64,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub transports: Vec<String>,
}

/// `GET /v1/tags`: `[{"id":7,"label":"webinar","description":"","group_id":1,"group_name":"Marketing"}]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Tag {
    pub id: u64,
    pub label: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub group_id: Option<u64>,
    #[serde(default)]
    pub group_name: Option<String>,
}

/// The client fields we read and write. "Client object fields seen live: `id, name,
/// username, assigned_name (= nickname), comment, phone, …, tags [{id,label,...}]`".
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct ClientRecord {
    pub id: u64,
    #[serde(default)]
    pub assigned_name: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub tags: Vec<ClientTag>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct ClientTag {
    pub id: u64,
    #[serde(default)]
    pub label: Option<String>,
}

/// `POST /v1/clients` body. "`POST /v1/clients` does **not** accept `comment`."
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct NewClient {
    /// "digits only, international, no `+`" — or, **assumed**, the e-mail for `email`.
    pub phone: String,
    pub transport: String,
    pub channel_id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
}

/// `PUT /v1/clients/{id}` body: "any of `{"nickname":"...","comment":"..."}`".
/// **Assumed**: `comment` is writable here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct ClientUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl ClientUpdate {
    pub fn is_empty(&self) -> bool {
        self.nickname.is_none() && self.comment.is_none()
    }
}

/// `POST /v1/tags/assign_to` body: "Several tags per call, **one** client per call".
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct AssignTags {
    pub tag_ids: Vec<u64>,
    pub assignee_type: String,
    pub assignee_id: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(json: &str) -> Envelope {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn the_existing_clients_id_is_read_from_a_duplicate_answer() {
        let e = envelope(
            r#"{"status":"error","errors":{"client":["client already exist","{\"id\":123}"]}}"#,
        );
        assert!(e.is_error());
        assert_eq!(e.existing_client_id(), Some(123));
        assert_eq!(
            envelope(r#"{"status":"error","errors":{"client":["client already exist",{"id":7}]}}"#)
                .existing_client_id(),
            Some(7)
        );
        assert_eq!(
            envelope(r#"{"status":"error","errors":{"client":["client already exist","42"]}}"#)
                .existing_client_id(),
            Some(42)
        );
        assert_eq!(
            envelope(r#"{"status":"error","errors":{"transport":["transport is incorrect"]}}"#)
                .existing_client_id(),
            None
        );
    }

    #[test]
    fn error_texts_are_flattened_from_either_shape() {
        assert_eq!(
            envelope(r#"{"status":"error","message":"Too many requests"}"#).error_text(),
            "Too many requests"
        );
        assert_eq!(
            envelope(r#"{"status":"error","errors":{"channel":["channel not found"]}}"#)
                .error_text(),
            "channel not found"
        );
    }

    #[test]
    fn quota_and_token_answers_are_recognised() {
        assert!(is_quota_exhausted("Number of API requests exceeded"));
        assert!(is_quota_exhausted("API calls exceeded API limit per month"));
        assert!(!is_quota_exhausted("Too many requests"));
        assert!(is_bad_token("Token is not correct"));
        assert!(is_bad_token("You need to auth"));
    }

    #[test]
    fn only_chat2desks_hosts_are_allowed_unless_configured() {
        for url in [
            "https://api.chat2desk.com",
            "https://api.chat2desk.kz/",
            "https://API.chat24.io",
        ] {
            assert!(allowed_base_url(url, false).is_ok(), "{url}");
        }
        for url in [
            "http://api.chat2desk.com",
            "https://api.chat2desk.com.evil.example",
            "https://user@api.chat2desk.com",
            "https://api.chat2desk.com:8443",
            "http://127.0.0.1:8088",
            "http://169.254.169.254/latest",
            "file:///etc/passwd",
        ] {
            assert!(allowed_base_url(url, false).is_err(), "{url}");
        }
        assert!(allowed_base_url("http://127.0.0.1:8088", true).is_ok());
        assert!(allowed_base_url("file:///etc/passwd", true).is_err());
        assert!(allowed_base_url("not a url", true).is_err());
    }

    #[test]
    fn requests_left_come_from_either_field() {
        let new: ApiInfo = serde_json::from_str(r#"{"api_calls":99000}"#).unwrap();
        assert_eq!(new.requests_left(), Some(99000));
        let old: ApiInfo = serde_json::from_str(r#"{"requests_this_month":250}"#).unwrap();
        assert_eq!(old.requests_left(), Some(99750));
        assert_eq!(ApiInfo::default().requests_left(), None);
    }
}
