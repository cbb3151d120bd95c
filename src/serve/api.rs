//! The HTTP API the add-on calls (`/v1/…`), JSON in and out.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use tower_http::trace::TraceLayer;

use super::Shared;
use crate::store::{JobState, StoreError};
use crate::targets::refusal::Refusal;
use crate::targets::{Connection, Credentials, TargetKind};

/// The API's errors: 4xx carry a text for the user; internal ones are logged by cause and
/// answered without it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("authentication required: send `Authorization: Bearer <ID token or API key>`")]
    Unauthorized,
    /// No caller can be recognised: the server has neither API keys nor Google client ids.
    #[error(
        "this server accepts no caller yet: configure `api_keys` (or CONTACT_LOADER_API_KEYS=name:key) \
         for self-hosted callers, or `google_client_ids` (or CONTACT_LOADER_GOOGLE_CLIENT_IDS) \
         for the Sheets add-on's users, then restart it (docs/deploy.md)"
    )]
    NotConfigured,
    #[error("no such job")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    /// A request refused for a reason a caller tells apart by its code (422).
    #[error("{0}")]
    Refused(Refusal),
    /// The caller may not do this (open this sheet, use the service account for it).
    #[error("{0}")]
    Forbidden(String),
    /// Another owner's job holds the sheet: its id is not given.
    #[error("{0}")]
    Conflict(String),
    /// Too many at once (submits, live jobs): come back after `retry_after` seconds.
    #[error("{message}")]
    TooMany { message: String, retry_after: u64 },
    /// Someone we depend on (Google) asks us to wait.
    #[error("{message}")]
    Unavailable { message: String, retry_after: u64 },
    #[error("the service failed; try again")]
    Internal(#[from] StoreError),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, retry_after) = match &self {
            ApiError::Unauthorized | ApiError::NotConfigured => (StatusCode::UNAUTHORIZED, None),
            ApiError::NotFound => (StatusCode::NOT_FOUND, None),
            ApiError::BadRequest(_) | ApiError::Refused(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, None)
            }
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, None),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, None),
            ApiError::TooMany { retry_after, .. } => {
                (StatusCode::TOO_MANY_REQUESTS, Some(*retry_after))
            }
            ApiError::Unavailable { retry_after, .. } => {
                (StatusCode::SERVICE_UNAVAILABLE, Some(*retry_after))
            }
            ApiError::Internal(cause) => {
                tracing::error!(error = %cause, "a request failed inside the server");
                (StatusCode::INTERNAL_SERVER_ERROR, None)
            }
        };
        let body = Json(json!({ "error": self.to_string(), "code": self.code() }));
        match retry_after {
            Some(seconds) => (
                status,
                [(header::RETRY_AFTER, seconds.max(1).to_string())],
                body,
            )
                .into_response(),
            None => (status, body).into_response(),
        }
    }
}

impl ApiError {
    /// The answer's stable `code` beside its text (`openapi.json`, `ErrorBody`).
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized => "unauthenticated",
            ApiError::NotConfigured => "not_configured",
            ApiError::NotFound => "not_found",
            ApiError::BadRequest(_) => "invalid_request",
            ApiError::Refused(refusal) => refusal.code,
            ApiError::Forbidden(_) => "forbidden",
            ApiError::Conflict(_) => "sheet_busy",
            ApiError::TooMany { .. } => "too_many",
            ApiError::Unavailable { .. } => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }
}

/// A target base URL this server will not call (`target_url_allowed`): not the kind's own
/// host, nor one its administrator listed.
pub const BASE_URL_NOT_ALLOWED: &str = "base_url_not_allowed";

/// The caller: a Google account (`google:<sub>`) by its ID token, or a named API key. A
/// handler that takes a `User` needs one.
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub by: SignedIn,
}

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignedIn {
    /// A Google ID token: a person, whose own Google token opens their sheets.
    Google,
    /// A configured API key, and the spreadsheets it may have the service account open.
    ApiKey { spreadsheets: Vec<String> },
}

impl FromRequestParts<Arc<Shared>> for User {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, shared: &Arc<Shared>) -> Result<User, ApiError> {
        if shared.config.api_keys.is_empty() && shared.oidc.is_none() {
            return Err(ApiError::NotConfigured);
        }
        let given = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(ApiError::Unauthorized)?;
        if let Some(key) = shared
            .config
            .api_keys
            .iter()
            // Compared in full every time, so that timing does not tell how much matched.
            .find(|k| constant_time_eq(k.key.as_bytes(), given.as_bytes()))
        {
            return Ok(User {
                name: key.name.clone(),
                by: SignedIn::ApiKey {
                    spreadsheets: key.spreadsheets.clone(),
                },
            });
        }
        let oidc = shared.oidc.as_ref().ok_or(ApiError::Unauthorized)?;
        match oidc.verify(given).await {
            Ok(subject) => Ok(User {
                name: format!("google:{subject}"),
                by: SignedIn::Google,
            }),
            Err(super::auth::AuthError::Keys(cause)) => {
                tracing::error!(error = %cause, "Google's ID-token keys cannot be fetched");
                Err(ApiError::Unauthorized)
            }
            Err(_) => Err(ApiError::Unauthorized),
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Check,
    Load,
    Sample,
}

/// What the worker needs of a request, stored with the job: no secrets.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stored {
    pub spreadsheet_id: String,
    pub sheet: String,
    pub mode: Mode,
    /// Jobs sent before there were several kinds are Chat2Desk's.
    #[serde(default)]
    pub kind: TargetKind,
    pub base_url: String,
    pub tags: Vec<String>,
    pub region: Option<String>,
    #[serde(default)]
    pub allow_paid: bool,
    /// Sent without the user's Google token: the server's service account opens the sheet.
    #[serde(default)]
    pub service_account: bool,
    /// The kind's settings (`channel`, `tags_field`, …); a job stored before they were
    /// grouped has Chat2Desk's at the top level, which is where these are kept.
    #[serde(flatten)]
    pub settings: serde_json::Map<String, serde_json::Value>,
}

/// Which of a job's tokens a sealed value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// The target account's token.
    Target,
    /// The user's Google OAuth token for the sheet.
    Google,
}

/// What a job's token is sealed for: the job, its owner and which token it is. A sealed
/// value copied into another job's row, another owner's or the other token's slot opens
/// nowhere. (The job id is hex and comes first, the kind is a fixed word and comes last:
/// no owner's name makes two purposes equal.)
pub fn token_purpose(job_id: &str, owner: &str, kind: TokenKind) -> String {
    let kind = match kind {
        TokenKind::Target => "target",
        TokenKind::Google => "google",
    };
    format!("{job_id}\n{owner}\n{kind}")
}

/// Every route, inside the request-id and trace layers: each request gets an id (the
/// caller's `X-Request-Id`, else a new one), a span with its method, path and id for every
/// line logged while it runs, and the id back in the answer's `X-Request-Id`. The span
/// holds the path only: no query string, no header.
pub fn router(limits: &super::config::Limits) -> Router<Arc<Shared>> {
    let timeout = std::time::Duration::from_secs(limits.request_timeout_seconds);
    routes()
        // A request that takes longer, its body included (a client that sends it a byte at
        // a time), is answered 408 and its connection closed.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(RequestBodyTimeoutLayer::new(timeout))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    let id = request
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = request.uri().path(),
                        request_id = id,
                    )
                })
                .on_response(
                    |response: &Response, latency: std::time::Duration, _: &tracing::Span| {
                        let (status, ms) = (response.status().as_u16(), latency.as_millis() as u64);
                        // Polls and scrapes come every few seconds: a detail. What a caller does
                        // (submit, cancel) its handler logs itself.
                        if response.status().is_server_error() {
                            tracing::error!(status, ms, "answered");
                        } else {
                            tracing::debug!(status, ms, "answered");
                        }
                    },
                ),
        )
        .layer(SetRequestIdLayer::x_request_id(NewRequestId))
}

/// The header that carries a request's id both ways.
const REQUEST_ID: &str = "x-request-id";

/// A random 64-bit id in hex: unique enough to find one request's lines in a day's logs.
#[derive(Clone, Copy)]
struct NewRequestId;

impl MakeRequestId for NewRequestId {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let id = format!("{:016x}", rand::random::<u64>());
        Some(RequestId::new(header::HeaderValue::from_str(&id).ok()?))
    }
}

fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route("/v1/jobs", post(super::submit::submit))
        .route("/v1/jobs/{id}", get(job))
        .route("/v1/jobs/{id}/cancel", post(cancel))
        .route("/v1/jobs/{id}/report.csv", get(report))
        .route("/v1/usage", get(usage))
        .route("/v1/targets/{kind}/catalog", get(catalog))
        // A job request is a few kilobytes; nothing a caller sends needs more.
        .layer(axum::extract::DefaultBodyLimit::max(
            super::submit::BODY_LIMIT,
        ))
}

/// A job's state. The add-on sends its user's current Google token with each poll
/// (`X-Sheets-Token`): an OAuth token lives an hour, and a long job's statuses wait for a
/// valid one.
async fn job(
    State(shared): State<Arc<Shared>>,
    user: User,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    let job = shared
        .store
        .job(&user.name, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if let Some(token) = headers
        .get("x-sheets-token")
        .and_then(|v| v.to_str().ok())
        .filter(|t| !t.is_empty())
        && job.state.is_live()
    {
        let sealed = shared.sealer.seal(
            &SecretString::from(token.to_owned()),
            &token_purpose(&job.id, &job.owner, TokenKind::Google),
        );
        shared
            .store
            .set_sheets_token(&user.name, &id, &sealed)
            .await?;
    }
    let mut progress: serde_json::Value = job
        .progress
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or(serde_json::Value::Null);
    // A load refused as paid leaves its estimate where its progress would be, and a job
    // refused before any write its refusal's code.
    let mut take_out = |key: &str| {
        progress
            .as_object_mut()
            .and_then(|p| p.remove(key))
            .unwrap_or(serde_json::Value::Null)
    };
    let (estimate, error_code) = (take_out("estimate"), take_out("error_code"));
    if progress.as_object().is_some_and(|p| p.is_empty()) {
        progress = serde_json::Value::Null;
    }
    let mode = serde_json::from_str::<Stored>(&job.request)
        .ok()
        .map(|stored| stored.mode);
    Ok(Json(json!({
        "job_id": job.id,
        "mode": mode,
        "state": job.state.as_str(),
        "progress": progress,
        "error": job.error,
        "error_code": error_code,
        "estimate": estimate,
    })))
}

async fn cancel(
    State(shared): State<Arc<Shared>>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    if shared.store.cancel(&user.name, &id).await? {
        tracing::info!(job = %id, owner = %user.name, "job cancelled");
        return Ok(Json(
            json!({ "job_id": id, "state": JobState::Cancelled.as_str() }),
        ));
    }
    let job = shared
        .store
        .job(&user.name, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(json!({ "job_id": id, "state": job.state.as_str() })))
}

async fn report(
    State(shared): State<Arc<Shared>>,
    user: User,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let report = shared
        .store
        .report(&user.name, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"report.csv\"",
            ),
        ],
        report,
    )
        .into_response())
}

async fn usage(
    State(shared): State<Arc<Shared>>,
    user: User,
) -> Result<Json<serde_json::Value>, ApiError> {
    let usage = shared.store.usage(&user.name).await?;
    Ok(Json(json!({
        "month": crate::store::usage::month_of(crate::store::now()),
        "accounts": usage,
    })))
}

/// What the account has (Chat2Desk: channels, messengers, tags; …), for the sidebar's
/// dropdowns. The add-on sends each credential in `X-Target-<Name>` (`X-Target-Token`;
/// `X-Target-Staff-Email`, `X-Target-Api-Key`) and a base URL in `X-Target-Base-Url`.
async fn catalog(
    State(shared): State<Arc<Shared>>,
    _user: User,
    Path(kind): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    let kind: TargetKind = kind.parse().map_err(ApiError::BadRequest)?;
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let mut credentials = Credentials::default();
    for spec in kind.kind().credentials() {
        let name = format!("x-target-{}", spec.name.replace('_', "-"));
        let value = header(&name).ok_or_else(|| {
            ApiError::BadRequest(format!("send the {} {} in {name}", kind.title(), spec.name))
        })?;
        credentials.insert(spec.name, SecretString::from(value));
    }
    let connection = Connection {
        base_url: header("x-target-base-url"),
        credentials,
        settings: serde_json::Map::new(),
        timeout: super::REQUEST_TIMEOUT,
    };
    let base_url = connection
        .base_url(kind.kind())
        .map_err(ApiError::BadRequest)?;
    target_url_allowed(&shared.config, kind, &base_url)?;
    let target = kind
        .kind()
        .connect(&connection)
        .map_err(ApiError::BadRequest)?;
    let pacing =
        crate::pacing::Pacing::new(shared.config.rate, None, crate::pacing::Backoff::default())
            .counting_into(shared.metrics.target.clone());
    let read = target.catalog(&pacing).await;
    let requests = pacing
        .counters
        .requests
        .load(std::sync::atomic::Ordering::Relaxed);
    let label = read.as_ref().ok().and_then(|(_, name)| name.clone());
    shared
        .store
        .add_usage(&target.account(), label.as_deref(), requests)
        .await?;
    let (view, _) = read.map_err(|halt| {
        ApiError::Refused(Refusal::new(
            crate::load::catalog_failure(&pacing),
            format!("{}: {halt}", kind.title()),
        ))
    })?;
    Ok(Json(view))
}

/// A target base URL this server may call: the target's own hosts, one listed in
/// `target_base_urls` (same scheme, host and port), or any with `allow_other_hosts`.
pub fn target_url_allowed(
    config: &super::Config,
    kind: TargetKind,
    url: &str,
) -> Result<(), ApiError> {
    let listed = crate::http_client::base_url(url).is_some_and(|url| {
        config.target_base_urls.iter().any(|allowed| {
            crate::http_client::base_url(allowed).is_some_and(|allowed| {
                allowed.scheme() == url.scheme()
                    && allowed.host_str() == url.host_str()
                    && allowed.port_or_known_default() == url.port_or_known_default()
            })
        })
    });
    if listed {
        return Ok(());
    }
    kind.kind()
        .allowed_base_url(url, config.allow_other_hosts)
        .map_err(|text| ApiError::Refused(Refusal::new(BASE_URL_NOT_ALLOWED, text)))
}

/// The API described (OpenAPI 3.1), written by hand next to this file; `tests/serve.rs`
/// checks that it names every route and that its examples are what the server answers.
pub const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn metrics(State(shared): State<Arc<Shared>>) -> Result<Response, ApiError> {
    let jobs = shared.store.job_counts().await?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        shared.metrics.render(&jobs),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::Sealer;

    #[test]
    fn a_sealed_token_opens_only_for_its_job_owner_and_kind() {
        let sealer = Sealer::from_base64_key(&Sealer::new_base64_key()).unwrap();
        let purpose = token_purpose("0a1b", "google:ann", TokenKind::Target);
        let sealed = sealer.seal(&SecretString::from("t"), &purpose);
        assert!(sealer.open(&sealed, &purpose).is_ok());
        for other in [
            token_purpose("0a1c", "google:ann", TokenKind::Target),
            token_purpose("0a1b", "google:bob", TokenKind::Target),
            token_purpose("0a1b", "google:ann", TokenKind::Google),
        ] {
            assert!(sealer.open(&sealed, &other).is_err(), "{other:?}");
        }
    }
}
