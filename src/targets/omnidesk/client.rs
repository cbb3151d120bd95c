//! The HTTP client of one Omnidesk account (`shared/specs/omnidesk.md`): HTTP Basic with the
//! staff member's e-mail and API key, JSON in and out, and every answer's limit headers
//! handed to the run's pacer. Errors are read from error answers only, into the shared
//! `TargetError` (one retry table, `pacing::decide`).

use std::time::Duration;

use reqwest::{Method, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::api::{
    self, CustomField, ErrorKind, Limits, LinkBody, Page, User, UserEnvelope, UserFields,
    UserRequest,
};
use crate::pacing::{Hint, Pacing, TargetError};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the base URL `{0}` is not an http(s) address")]
    BadBaseUrl(String),
    #[error("the HTTP client cannot be built: {0}")]
    Build(String),
}

/// What a create came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Created {
    New(Box<User>),
    /// "Duplicate identifier → 4xx … `*_already_exist`": the identifier is taken, by
    /// `user_id` when the answer says so (**assumed** it does not).
    Exists {
        user_id: Option<u64>,
    },
}

#[derive(Clone)]
pub struct Omnidesk {
    http: reqwest::Client,
    base: Url,
    staff_email: SecretString,
    api_key: SecretString,
}

impl std::fmt::Debug for Omnidesk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Omnidesk")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

impl Omnidesk {
    pub fn new(
        base_url: &str,
        staff_email: SecretString,
        api_key: SecretString,
        timeout: Duration,
    ) -> Result<Omnidesk, ClientError> {
        let base = Omnidesk::base(base_url)?;
        let http =
            crate::http_client::build(timeout).map_err(|e| ClientError::Build(e.to_string()))?;
        Ok(Omnidesk {
            http,
            base,
            staff_email,
            api_key,
        })
    }

    /// The account's address as paths (`/api/…`) are joined to it: "Every path below starts
    /// with `/api/`" and the base is `https://{account}.omnidesk.ru` — a path the user gave
    /// (a proxy's) is kept.
    pub fn base(base_url: &str) -> Result<Url, ClientError> {
        crate::http_client::base_url(base_url)
            .ok_or_else(|| ClientError::BadBaseUrl(base_url.to_owned()))
    }

    pub fn base_url(&self) -> &Url {
        &self.base
    }

    pub fn staff_email(&self) -> &SecretString {
        &self.staff_email
    }

    pub fn api_key(&self) -> &SecretString {
        &self.api_key
    }

    /// The same account with other credentials (the probe's deliberately wrong ones).
    pub fn with_credentials(&self, staff_email: SecretString, api_key: SecretString) -> Omnidesk {
        Omnidesk {
            http: self.http.clone(),
            base: self.base.clone(),
            staff_email,
            api_key,
        }
    }

    /// A request to `path` with `query` (already encoded), authenticated.
    fn request(&self, method: Method, path: &str, query: &str) -> reqwest::RequestBuilder {
        let mut url = format!("{}{path}", self.base.as_str().trim_end_matches('/'));
        if !query.is_empty() {
            // Encoded by hand (`api::query`): `+` must reach the server as `%2B`.
            url = format!("{url}?{query}");
        }
        self.http
            .request(method, &url)
            .basic_auth(
                self.staff_email.expose_secret(),
                Some(self.api_key.expose_secret()),
            )
            .header(reqwest::header::ACCEPT, "application/json")
    }

    /// One request, its answer as it came — for `probe`, which looks at statuses, headers
    /// and shapes: the status, the limit headers (read, and the names that came), and the
    /// body as JSON with every `password` skipped unread (`api::Scrubbed`). Nothing goes to
    /// a pacer and no status is an error: only no answer at all is.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        query: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<RawAnswer, TargetError> {
        let mut request = self.request(method, path, query);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| no_answer(e).into_error())?;
        let status = response.status().as_u16();
        let limits = Limits::from_headers(response.headers());
        let limit_headers = api::limit_header_names(response.headers());
        let bytes = response
            .bytes()
            .await
            .map_err(|e| no_answer(e).into_error())?;
        // Not JSON (a proxy's page): not ours to echo ("never its text").
        let body = serde_json::from_slice::<api::Scrubbed>(&bytes)
            .ok()
            .map(|api::Scrubbed(v)| v);
        Ok(RawAnswer {
            status,
            limits,
            limit_headers,
            body,
        })
    }

    /// One request; the answer's limits go to `pacing`, an error answer becomes a
    /// `TargetError`, a success is read as `T`.
    async fn call<T: DeserializeOwned>(
        &self,
        pacing: &Pacing,
        method: Method,
        path: &str,
        query: &str,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<T, Answer> {
        let mut request = self.request(method, path, query);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(no_answer)?;
        let status = response.status();
        let limits = Limits::from_headers(response.headers());
        pacing.pacer.observe(Hint {
            per_minute: limits.per_minute,
            left: limits.calls_left,
            wait: limits.retry_after,
        });
        let headers = response.headers().clone();
        // A body cut off mid-way is a dropped connection: the write may have been applied.
        let bytes = response.bytes().await.map_err(no_answer)?;
        if status.is_redirection() {
            return Err(Answer::Error(TargetError::Rejected {
                status: status.as_u16(),
                message: crate::http_client::redirect_refused(status),
            }));
        }
        if !status.is_success() {
            return Err(error_of(status, &headers, &bytes, limits));
        }
        serde_json::from_slice(&bytes).map_err(|e| {
            Answer::Error(TargetError::Unreadable(format!(
                "Omnidesk's answer to {path} cannot be read: {e}"
            )))
        })
    }

    /// `GET /api/custom_fields.json`: every field of the account (the caller keeps the
    /// user-level, active ones). The run's first request: its headers give the limits.
    pub async fn custom_fields(&self, pacing: &Pacing) -> Result<Vec<CustomField>, TargetError> {
        let mut fields = Vec::new();
        for page in 1..=api::MAX_PAGE {
            let query = api::query(&[
                ("page", &page.to_string()),
                ("limit", &api::MAX_LIMIT.to_string()),
            ]);
            let answer: Page<CustomField> = self
                .call(
                    pacing,
                    Method::GET,
                    api::paths::CUSTOM_FIELDS,
                    &query,
                    None::<&()>,
                )
                .await
                .map_err(Answer::into_error)?;
            let got = answer.items.len() + answer.unreadable;
            fields.extend(answer.items);
            if got < api::MAX_LIMIT as usize
                || answer.total_count.is_some_and(|t| fields.len() as u64 >= t)
            {
                break;
            }
        }
        Ok(fields)
    }

    /// How many users the account has (`limit=1`: one request).
    pub async fn user_count(&self, pacing: &Pacing) -> Result<Option<u64>, TargetError> {
        let answer: Page<User> = self
            .call(
                pacing,
                Method::GET,
                api::paths::USERS,
                &api::query(&[("limit", "1")]),
                None::<&()>,
            )
            .await
            .map_err(Answer::into_error)?;
        Ok(answer.total_count)
    }

    /// Users whose `field` (`user_email`, `user_phone`) contains `value` — the first page,
    /// which is all a search for one identifier needs. Matching is the caller's.
    pub async fn search(
        &self,
        pacing: &Pacing,
        field: &str,
        value: &str,
    ) -> Result<Vec<User>, TargetError> {
        let query = api::query(&[(field, value), ("limit", &api::MAX_LIMIT.to_string())]);
        let answer: Page<User> = self
            .call(pacing, Method::GET, api::paths::USERS, &query, None::<&()>)
            .await
            .map_err(Answer::into_error)?;
        Ok(answer.items)
    }

    /// Users created since `from` (unix seconds), page `page` (1-based): how a messenger-only
    /// user whose create answer was lost is found ("No filter for messenger ids").
    pub async fn created_since(
        &self,
        pacing: &Pacing,
        from: i64,
        page: u32,
    ) -> Result<Page<User>, TargetError> {
        let query = api::query(&[
            ("from_time", &from.to_string()),
            ("page", &page.to_string()),
            ("limit", &api::MAX_LIMIT.to_string()),
        ]);
        self.call(pacing, Method::GET, api::paths::USERS, &query, None::<&()>)
            .await
            .map_err(Answer::into_error)
    }

    /// `POST /api/users.json`.
    pub async fn create(&self, pacing: &Pacing, user: &UserFields) -> Result<Created, TargetError> {
        let body = UserRequest { user: user.clone() };
        match self
            .call::<UserEnvelope>(pacing, Method::POST, api::paths::USERS, "", Some(&body))
            .await
        {
            Ok(answer) => Ok(Created::New(Box::new(answer.user))),
            Err(Answer::Exists { user_id }) => Ok(Created::Exists { user_id }),
            Err(other) => Err(other.into_error()),
        }
    }

    /// `GET /api/users/{id}.json`.
    pub async fn user(&self, pacing: &Pacing, id: u64) -> Result<User, TargetError> {
        let answer: UserEnvelope = self
            .call(pacing, Method::GET, &api::paths::user(id), "", None::<&()>)
            .await
            .map_err(Answer::into_error)?;
        Ok(answer.user)
    }

    /// `PUT /api/users/{id}.json` with only the fields that change.
    pub async fn update(
        &self,
        pacing: &Pacing,
        id: u64,
        fields: &UserFields,
    ) -> Result<User, TargetError> {
        let body = UserRequest {
            user: fields.clone(),
        };
        let answer: UserEnvelope = self
            .call(pacing, Method::PUT, &api::paths::user(id), "", Some(&body))
            .await
            .map_err(Answer::into_error)?;
        Ok(answer.user)
    }

    /// `PUT /api/users/{id}/link.json` with the flat body `{"user_id": other}`.
    pub async fn link(&self, pacing: &Pacing, id: u64, other: u64) -> Result<User, TargetError> {
        let answer: UserEnvelope = self
            .call(
                pacing,
                Method::PUT,
                &api::paths::link(id),
                "",
                Some(&LinkBody::UserId(other)),
            )
            .await
            .map_err(Answer::into_error)?;
        Ok(answer.user)
    }
}

/// An answer as it came (`Omnidesk::raw`).
#[derive(Debug, Clone, PartialEq)]
pub struct RawAnswer {
    pub status: u16,
    pub limits: Limits,
    /// The names of the limit headers that came, lower case (`api::limit_header_names`).
    pub limit_headers: Vec<String>,
    /// The body as JSON, without any `password`; `None` when it is not JSON.
    pub body: Option<serde_json::Value>,
}

/// A failed call: an error, or the "already exists" answer a create reads as data.
#[derive(Debug)]
enum Answer {
    Error(TargetError),
    Exists { user_id: Option<u64> },
}

impl Answer {
    fn into_error(self) -> TargetError {
        match self {
            Answer::Error(error) => error,
            Answer::Exists { .. } => TargetError::Rejected {
                status: api::DUPLICATE_STATUS,
                message: "Omnidesk: the identifier belongs to another user".into(),
            },
        }
    }
}

impl From<TargetError> for Answer {
    fn from(error: TargetError) -> Answer {
        Answer::Error(error)
    }
}

fn no_answer(error: reqwest::Error) -> Answer {
    Answer::Error(TargetError::NoAnswer(crate::http_client::no_answer(error)))
}

/// An error answer in the shared terms: "429, and 403 with 'rate limit' in the body, mean
/// wait, never fail" (`api::classify`).
fn error_of(
    status: reqwest::StatusCode,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
    limits: Limits,
) -> Answer {
    let code = status.as_u16();
    let own = || {
        let parsed: api::ErrorBody = serde_json::from_slice(body).unwrap_or_default();
        match (parsed.error, parsed.description) {
            (Some(error), Some(description)) => format!("{error}: {description}"),
            (Some(error), None) => error,
            (None, _) => crate::http_client::foreign_answer(status, headers),
        }
    };
    Answer::Error(match api::classify(code, body) {
        ErrorKind::Throttled => TargetError::RateLimited {
            retry_after: limits.retry_after,
        },
        ErrorKind::Exists { user_id, .. } => return Answer::Exists { user_id },
        ErrorKind::BadCredentials => TargetError::Unauthorized(format!(
            "Omnidesk refuses the staff e-mail and API key ({code}): {}",
            own()
        )),
        ErrorKind::Transient => TargetError::Server {
            status: code,
            message: own(),
        },
        ErrorKind::WrongEmail => TargetError::Rejected {
            status: code,
            message: "Omnidesk refuses the e-mail (wrong_email)".into(),
        },
        ErrorKind::NotFound | ErrorKind::Refused { .. } => TargetError::Rejected {
            status: code,
            message: format!("Omnidesk: {}", own()),
        },
    })
}
