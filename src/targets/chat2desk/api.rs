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
    if crate::http_client::may_call(&parsed, allow_other_hosts, |host| {
        KNOWN_HOSTS.contains(&host)
    }) {
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
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub total: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub limit: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt_u64")]
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

    /// The duplicate answer, with or without the existing client's id in it.
    pub fn is_duplicate(&self) -> bool {
        self.is_error()
            && self
                .errors
                .as_ref()
                .and_then(|e| e.get("client"))
                .and_then(Value::as_array)
                .and_then(|list| list.first())
                .and_then(Value::as_str)
                .is_some_and(|first| first.to_lowercase().contains("already exist"))
    }

    /// "Duplicate (a client with that phone already exists):
    /// `{"status":"error","errors":{"client":["client already exist","{\"id\":123}"]}}` —
    /// element `[1]` is a JSON string with the existing client's id."
    /// Tolerant: the id may also come as a number, or as `{"id":123}` not in a string.
    pub fn existing_client_id(&self) -> Option<u64> {
        if !self.is_duplicate() {
            return None;
        }
        let list = self.errors.as_ref()?.get("client")?.as_array()?;
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

/// "too many requests per second …: 429, `{"status":"error","message":"Too many requests"}`"
/// — the words mean a rate limit whatever the status they come with.
pub fn is_rate_limited(text: &str) -> bool {
    text.to_lowercase().contains("too many requests")
}

/// `GET /v1/companies/api_info`. "`api_calls` seen in a 2026 live-tested client;
/// `requests_this_month` in an older one" — both read, neither required. "**`api_info`
/// fields vary** … `api_calls` is seen in no public source. Numbers may arrive as strings."
/// Other fields (`companyID`, `admin_email`, …) are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct ApiInfo {
    /// Requests left this month (free ones).
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub api_calls: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub requests_this_month: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub company_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
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
/// "Read both [shapes of transports]; never fail the whole run on an unknown shape in the
/// catalog (null names, null transports)."
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Channel {
    #[serde(deserialize_with = "lenient::u64")]
    pub id: u64,
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub phone: Option<String>,
    #[serde(default, deserialize_with = "lenient::names")]
    pub transports: Vec<String>,
}

/// `GET /v1/tags`: `[{"id":7,"label":"webinar","description":"","group_id":1,"group_name":"Marketing"}]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Tag {
    #[serde(deserialize_with = "lenient::u64")]
    pub id: u64,
    #[serde(deserialize_with = "lenient::string")]
    pub label: String,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub group_id: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub group_name: Option<String>,
}

/// The client fields we read and write. "Client object fields seen live: `id, name,
/// username, assigned_name (= nickname), comment, phone, …, tags [{id,label,...}]`".
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct ClientRecord {
    #[serde(deserialize_with = "lenient::u64")]
    pub id: u64,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub assigned_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub comment: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub phone: Option<String>,
    #[serde(default, deserialize_with = "lenient::items")]
    pub tags: Vec<ClientTag>,
    /// "A client's `channels` (`[{id, transports}]`, part of `GET /v1/clients/{id}`) say
    /// where it can be reached: what the loader reports as reachable must come from there."
    #[serde(default, deserialize_with = "lenient::items")]
    pub channels: Vec<ClientChannel>,
}

impl ClientRecord {
    /// The (channel, transport) pairs the client can be reached on.
    pub fn dialogs(&self) -> impl Iterator<Item = (u64, String)> + '_ {
        self.channels
            .iter()
            .flat_map(|c| c.transports.iter().map(|t| (c.id, t.clone())))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct ClientTag {
    #[serde(deserialize_with = "lenient::u64")]
    pub id: u64,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub label: Option<String>,
}

/// One entry of a client's `channels`: `{"id":1,"transports":["whatsapp"]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct ClientChannel {
    #[serde(deserialize_with = "lenient::u64")]
    pub id: u64,
    #[serde(default, deserialize_with = "lenient::names")]
    pub transports: Vec<String>,
}

/// The shared readers (`targets::lenient`), and Chat2Desk's own: "null names, null
/// transports"; transports "strings, or objects with a name".
pub mod lenient {
    pub use crate::targets::lenient::*;

    use serde::Deserialize;
    use serde::de::Deserializer;
    use serde_json::Value;

    /// A transport's name: `"whatsapp"`, or `{"name":"whatsapp", …}` (also `transport`).
    pub fn name(value: &Value) -> Option<String> {
        let name = match value {
            Value::String(s) => s.as_str(),
            Value::Object(o) => ["name", "transport", "title"]
                .iter()
                .find_map(|k| o.get(*k).and_then(Value::as_str))?,
            _ => return None,
        };
        let name = name.trim().to_lowercase();
        (!name.is_empty()).then_some(name)
    }

    /// Names from a list (or nothing): entries without one are left out.
    pub fn names<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Array(items) => items.iter().filter_map(name).collect(),
            _ => Vec::new(),
        })
    }
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

    #[test]
    fn a_catalog_is_read_in_every_shape_live_accounts_send() {
        let channel: Channel = serde_json::from_str(
            r#"{"id":"12","name":null,"phone":79990000001,"transports":["whatsapp",{"name":"WA_Dialog"},null,{"title":null},{"transport":"tg_user"}],"extra":{"x":1}}"#,
        )
        .unwrap();
        assert_eq!(channel.id, 12);
        assert_eq!(channel.name, "");
        assert_eq!(channel.phone.as_deref(), Some("79990000001"));
        assert_eq!(channel.transports, ["whatsapp", "wa_dialog", "tg_user"]);
        let bare: Channel = serde_json::from_str(r#"{"id":3,"transports":null}"#).unwrap();
        assert!(bare.transports.is_empty());
        assert!(serde_json::from_str::<Channel>(r#"{"id":"x"}"#).is_err());

        let (channels, dropped) = lenient::list::<Channel>(serde_json::json!([
            {"id": 1, "name": "Продажи"}, {"name": "no id"}, "junk", {"id": "2"}
        ]));
        assert_eq!((channels.len(), dropped), (2, 2));

        let info: ApiInfo = serde_json::from_str(
            r#"{"api_calls":"99000","requests_this_month":null,"company_name":"Ромашка","companyID":7}"#,
        )
        .unwrap();
        assert_eq!(info.requests_left(), Some(99_000));
        let info: ApiInfo =
            serde_json::from_str(r#"{"requests_this_month":"1500","company_name":"Ромашка"}"#)
                .unwrap();
        assert_eq!(info.requests_left(), Some(FREE_REQUESTS_PER_MONTH - 1500));
        let info: ApiInfo = serde_json::from_str(
            r#"{"companyID":"123","partnerID":null,"company_name":"Ромашка","admin_email":"a@b.ru"}"#,
        )
        .unwrap();
        assert_eq!(info.requests_left(), None, "unknown, not zero");

        let tag: Tag = serde_json::from_str(r#"{"id":"7","label":"vip","group_id":"1"}"#).unwrap();
        assert_eq!((tag.id, tag.group_id), (7, Some(1)));
        let client: ClientRecord = serde_json::from_str(
            r#"{"id":"1001","comment":"You need to auth","tags":[{"id":"3"},{"bad":1}],"channels":[{"id":"1","transports":["wa_dialog"]},{"id":2,"transports":[{"name":"viber"}]}]}"#,
        )
        .unwrap();
        assert_eq!(client.id, 1001);
        assert_eq!(client.tags.len(), 1);
        assert_eq!(
            client.dialogs().collect::<Vec<_>>(),
            [(1, "wa_dialog".to_owned()), (2, "viber".to_owned())]
        );
    }

    #[test]
    fn a_duplicate_is_known_with_or_without_its_id() {
        let with = envelope(
            r#"{"status":"error","errors":{"client":["client already exist","{\"id\":\"5\"}"]}}"#,
        );
        assert!(with.is_duplicate());
        assert_eq!(with.existing_client_id(), Some(5));
        let without =
            envelope(r#"{"status":"error","errors":{"client":["Client already exists"]}}"#);
        assert!(without.is_duplicate());
        assert_eq!(without.existing_client_id(), None);
        assert!(
            !envelope(r#"{"status":"success","data":{"comment":"client already exist"}}"#)
                .is_duplicate()
        );
    }
}
