//! The Chat2Desk HTTP client: one method per endpoint, one request per call. Retries and
//! pacing are `crate::pacing`'s business; this file turns answers into values or
//! `TargetError`s.

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use thiserror::Error;

use super::api::{
    ApiInfo, AssignTags, Channel, ClientRecord, ClientUpdate, Envelope, NewClient, PAGE_LIMIT, Tag,
    is_bad_token, is_quota_exhausted, is_rate_limited, lenient,
};
use crate::pacing::TargetError;

#[derive(Debug, Error)]
pub enum ClientError {
    #[error("the base URL `{0}` is not an http(s) URL")]
    BadBaseUrl(String),
    #[error("the HTTP client cannot be built: {0}")]
    Build(String),
}

/// What `POST /v1/clients` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    New(u64),
    /// "client already exist", with the existing client's id.
    Existing(u64),
    /// "client already exist" without an id: the caller looks the client up by phone.
    ExistingUnnamed,
}

/// A Chat2Desk account, reached at `base_url` with its token.
#[derive(Clone)]
pub struct Chat2Desk {
    http: reqwest::Client,
    base: Url,
    token: SecretString,
}

impl std::fmt::Debug for Chat2Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        f.debug_struct("Chat2Desk")
            .field("base", &self.base.as_str())
            .finish()
    }
}

impl Chat2Desk {
    pub fn new(
        base_url: &str,
        token: SecretString,
        timeout: Duration,
    ) -> Result<Chat2Desk, ClientError> {
        let base = Chat2Desk::base(base_url)?;
        let http =
            crate::http_client::build(timeout).map_err(|e| ClientError::Build(e.to_string()))?;
        Ok(Chat2Desk { http, base, token })
    }

    /// The base URL as requests are joined to it.
    pub fn base(base_url: &str) -> Result<Url, ClientError> {
        let mut base = crate::http_client::base_url(base_url)
            .ok_or_else(|| ClientError::BadBaseUrl(base_url.to_owned()))?;
        // Paths are joined relative to the base: keep a trailing slash so a base with a path
        // prefix (a proxy) is not cut.
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        Ok(base)
    }

    pub fn base_url(&self) -> &Url {
        &self.base
    }

    pub fn token(&self) -> &SecretString {
        &self.token
    }

    /// Sends one request as it is: the answer unread.
    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<reqwest::Response, TargetError> {
        let url = self
            .base
            .join(path)
            .map_err(|e| TargetError::Unreadable(format!("bad path {path}: {e}")))?;
        // "Auth: header `Authorization: <token>` — the raw token, **no** `Bearer` prefix."
        let mut token = HeaderValue::from_str(self.token.expose_secret()).map_err(|_| {
            TargetError::Unauthorized("the token has characters a header cannot carry".into())
        })?;
        token.set_sensitive(true);
        let mut request = self.http.request(method, url).header(AUTHORIZATION, token);
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.map_err(no_answer)
    }

    /// One request, its answer as it came: status, `Retry-After`, and the body as JSON
    /// (or its first bytes as text) — for `probe`, which looks at shapes, not values.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
    ) -> Result<RawAnswer, TargetError> {
        let response = self.send(method, path, query, body).await?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = response.bytes().await.map_err(no_answer)?;
        let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            serde_json::Value::String(
                String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned(),
            )
        });
        Ok(RawAnswer {
            status,
            retry_after,
            body,
        })
    }

    /// The same account with another token (the probe's deliberately wrong one).
    pub fn with_token(&self, token: SecretString) -> Chat2Desk {
        Chat2Desk {
            http: self.http.clone(),
            base: self.base.clone(),
            token,
        }
    }

    /// Sends one request and reads the envelope.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<Envelope, TargetError> {
        let response = self.send(method, path, query, body).await?;
        let status = response.status();
        let retry_after = crate::http_client::retry_after(response.headers());
        let headers = response.headers().clone();
        // A body cut off mid-way is a dropped connection: the write may have been applied.
        let bytes = response.bytes().await.map_err(no_answer)?;
        if status.is_redirection() {
            return Err(TargetError::Rejected {
                status: status.as_u16(),
                message: crate::http_client::redirect_refused(status),
            });
        }
        let envelope: Option<Envelope> = serde_json::from_slice(&bytes).ok();
        // "Error phrases are looked for only in answers that are errors (non-2xx,
        // `status:"error"`, or a body that does not parse)": a successful answer can hold
        // any text a person typed, such as a client's comment.
        let is_error = !status.is_success() || envelope.as_ref().is_none_or(Envelope::is_error);
        let own_text = envelope
            .as_ref()
            .filter(|_| is_error)
            .map(Envelope::error_text)
            .filter(|t| !t.is_empty());
        // An answer that is not Chat2Desk's JSON (a proxy's page) is matched for the
        // phrases below, but only its status and kind are ever shown.
        let raw = || String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned();
        let matched = match (is_error, &own_text, &envelope) {
            (false, _, _) => String::new(),
            (true, Some(own), _) => own.clone(),
            (true, None, None) => raw(),
            (true, None, Some(_)) => String::new(),
        };
        let text = own_text.unwrap_or_else(|| crate::http_client::foreign_answer(status, &headers));
        if is_quota_exhausted(&matched) {
            return Err(TargetError::QuotaExhausted(text));
        }
        if status == StatusCode::UNAUTHORIZED || is_bad_token(&matched) {
            return Err(TargetError::Unauthorized(text));
        }
        // "Too many requests" in an error body is a rate limit whatever the status.
        if status == StatusCode::TOO_MANY_REQUESTS || is_rate_limited(&matched) {
            return Err(TargetError::RateLimited { retry_after });
        }
        if status.is_server_error() {
            return Err(TargetError::Server {
                status: status.as_u16(),
                message: text,
            });
        }
        let Some(envelope) = envelope else {
            return Err(TargetError::Unreadable(text));
        };
        if status.is_client_error() || envelope.is_error() {
            // A duplicate is an answer, not a failure: `create_client` reads it.
            if envelope.is_duplicate() {
                return Ok(envelope);
            }
            return Err(TargetError::Rejected {
                status: status.as_u16(),
                message: text,
            });
        }
        Ok(envelope)
    }

    async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<(T, Envelope), TargetError> {
        let envelope = self.call(Method::GET, path, query, None::<&()>).await?;
        let data = envelope.data.clone().unwrap_or(serde_json::Value::Null);
        let value = serde_json::from_value(data)
            .map_err(|e| TargetError::Unreadable(format!("{path}: {e}")))?;
        Ok((value, envelope))
    }

    /// `GET /v1/companies/api_info`.
    pub async fn api_info(&self) -> Result<ApiInfo, TargetError> {
        Ok(self.get("v1/companies/api_info", &[]).await?.0)
    }

    /// `GET /v1/help/transports`: "its answer's shape is not [confirmed] (strings, or
    /// objects with a name). Read both".
    pub async fn transports(&self) -> Result<Vec<String>, TargetError> {
        let (value, _): (serde_json::Value, _) = self.get("v1/help/transports", &[]).await?;
        Ok(match value {
            serde_json::Value::Array(items) => items.iter().filter_map(lenient::name).collect(),
            _ => Vec::new(),
        })
    }

    /// One page of `GET /v1/channels`; `offset` counts items.
    pub async fn channels_page(&self, offset: usize) -> Result<Page<Channel>, TargetError> {
        self.page("v1/channels", offset).await
    }

    /// One page of `GET /v1/tags`.
    pub async fn tags_page(&self, offset: usize) -> Result<Page<Tag>, TargetError> {
        self.page("v1/tags", offset).await
    }

    async fn page<T: DeserializeOwned>(
        &self,
        path: &str,
        offset: usize,
    ) -> Result<Page<T>, TargetError> {
        let query = [
            ("limit", PAGE_LIMIT.to_string()),
            ("offset", offset.to_string()),
        ];
        let (value, envelope): (serde_json::Value, _) = self.get(path, &query).await?;
        // One item we cannot read (a channel without an id) does not cost the others.
        let (items, dropped) = lenient::list::<T>(value);
        let seen = items.len() + dropped;
        let total = envelope.meta.and_then(|m| m.total).map(|t| t as usize);
        let more = match total {
            Some(total) => offset + seen < total && seen > 0,
            // Without `meta.total`, a full page means there may be more.
            None => seen == PAGE_LIMIT,
        };
        Ok(Page {
            items,
            dropped,
            more,
        })
    }

    /// `GET /v1/clients?phone=…`: the id of the client with exactly this phone (or
    /// e-mail), if any. "Exact match only; `phone` is the only filter that works".
    pub async fn find_client(&self, phone: &str) -> Result<Option<u64>, TargetError> {
        let (value, _): (serde_json::Value, _) = self
            .get("v1/clients", &[("phone", phone.to_owned())])
            .await?;
        let (found, _) = lenient::list::<ClientRecord>(value);
        // Exact, whatever the account's search does with partial numbers.
        Ok(found
            .iter()
            .find(|c| {
                c.phone
                    .as_deref()
                    .is_some_and(|p| p.trim_start_matches('+') == phone)
            })
            .or(found.first())
            .map(|c| c.id))
    }

    /// `GET /v1/clients/{id}`.
    pub async fn client(&self, id: u64) -> Result<ClientRecord, TargetError> {
        Ok(self.get(&format!("v1/clients/{id}"), &[]).await?.0)
    }

    /// `POST /v1/clients`: creates the client, or finds the existing one by its phone.
    pub async fn create_client(&self, client: &NewClient) -> Result<Created, TargetError> {
        let envelope = self
            .call(Method::POST, "v1/clients", &[], Some(client))
            .await?;
        if envelope.is_duplicate() {
            return Ok(envelope
                .existing_client_id()
                .map_or(Created::ExistingUnnamed, Created::Existing));
        }
        let record: ClientRecord = envelope
            .data
            .map(serde_json::from_value)
            .transpose()
            .map_err(|e| TargetError::Unreadable(format!("v1/clients: {e}")))?
            .ok_or_else(|| TargetError::Unreadable("v1/clients: no data".into()))?;
        Ok(Created::New(record.id))
    }

    /// `PUT /v1/clients/{id}`.
    pub async fn update_client(&self, id: u64, update: &ClientUpdate) -> Result<(), TargetError> {
        self.call(Method::PUT, &format!("v1/clients/{id}"), &[], Some(update))
            .await
            .map(drop)
    }

    /// `POST /v1/tags/assign_to`: all the tags, one client.
    pub async fn assign_tags(&self, client_id: u64, tag_ids: &[u64]) -> Result<(), TargetError> {
        let body = AssignTags {
            tag_ids: tag_ids.to_vec(),
            assignee_type: "client".to_owned(),
            assignee_id: client_id,
        };
        self.call(Method::POST, "v1/tags/assign_to", &[], Some(&body))
            .await
            .map(drop)
    }
}

/// An answer as it came, for `probe`.
#[derive(Debug, Clone, PartialEq)]
pub struct RawAnswer {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: serde_json::Value,
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Items on the page that could not be read.
    pub dropped: usize,
    pub more: bool,
}

fn no_answer(error: reqwest::Error) -> TargetError {
    TargetError::NoAnswer(crate::http_client::no_answer(error))
}
