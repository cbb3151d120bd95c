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
use tower_http::trace::TraceLayer;

use super::Shared;
use crate::load::account_id;
use crate::store::{JobState, NewJob, StoreError};
use crate::targets::chat2desk::api::{DEFAULT_BASE_URL, allowed_base_url};
use crate::targets::chat2desk::client::Chat2Desk;

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
    #[error("the service failed; try again")]
    Internal(#[from] StoreError),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::Unauthorized | ApiError::NotConfigured => StatusCode::UNAUTHORIZED,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Internal(cause) => {
                tracing::error!(error = %cause, "a request failed inside the server");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        (status, Json(json!({ "error": self.to_string() }))).into_response()
    }
}

/// The caller: a Google account (`google:<sub>`) by its ID token, or a named API key. A
/// handler that takes a `User` needs one.
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
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
            });
        }
        let oidc = shared.oidc.as_ref().ok_or(ApiError::Unauthorized)?;
        match oidc.verify(given).await {
            Ok(subject) => Ok(User {
                name: format!("google:{subject}"),
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

#[derive(Deserialize)]
pub struct TargetRequest {
    pub kind: String,
    pub token: String,
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub transport: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub region: Option<String>,
}

#[derive(Deserialize)]
pub struct JobRequest {
    pub spreadsheet_id: String,
    pub sheet: String,
    pub mode: Mode,
    pub target: TargetRequest,
    /// The user's OAuth token for the spreadsheet (`ScriptApp.getOAuthToken()`). Without
    /// it the server's service account reads and writes the sheet, if it has one.
    #[serde(default)]
    pub sheets_token: Option<String>,
    /// Go past the month's free requests. Without it a load that would is refused before
    /// any write, and the job's `estimate` says what it would cost.
    #[serde(default)]
    pub allow_paid: bool,
}

/// What the worker needs of a request, stored with the job: no secrets.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stored {
    pub spreadsheet_id: String,
    pub sheet: String,
    pub mode: Mode,
    pub base_url: String,
    pub channel: Option<String>,
    pub transport: Option<String>,
    pub tags: Vec<String>,
    pub region: Option<String>,
    #[serde(default)]
    pub allow_paid: bool,
    /// Sent without the user's Google token: the server's service account opens the sheet.
    #[serde(default)]
    pub service_account: bool,
}

/// What a job's Google token is sealed for: its sheet, and that it is the Google token
/// (the target's token is sealed for the sheet alone), so neither opens as the other.
pub fn sheets_token_purpose(sheet: &str) -> String {
    format!("{sheet}\ngoogle")
}

/// Every route, inside the request-id and trace layers: each request gets an id (the
/// caller's `X-Request-Id`, else a new one), a span with its method, path and id for every
/// line logged while it runs, and the id back in the answer's `X-Request-Id`. The span
/// holds the path only: no query string, no header.
pub fn router() -> Router<Arc<Shared>> {
    routes()
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
        .route("/v1/jobs", post(submit))
        .route("/v1/jobs/{id}", get(job))
        .route("/v1/jobs/{id}/cancel", post(cancel))
        .route("/v1/jobs/{id}/report.csv", get(report))
        .route("/v1/usage", get(usage))
        .route("/v1/targets/chat2desk/catalog", get(catalog))
}

async fn submit(
    State(shared): State<Arc<Shared>>,
    user: User,
    Json(request): Json<JobRequest>,
) -> Result<Response, ApiError> {
    if request.target.kind != "chat2desk" {
        return Err(ApiError::BadRequest(format!(
            "unknown target kind `{}`: chat2desk",
            request.target.kind
        )));
    }
    if request.spreadsheet_id.trim().is_empty() || request.sheet.is_empty() {
        return Err(ApiError::BadRequest(
            "spreadsheet_id and sheet are needed".into(),
        ));
    }
    let base_url = request
        .target
        .base_url
        .clone()
        .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
    allowed_base_url(&base_url, shared.config.allow_other_hosts)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let sheets_token = request.sheets_token.filter(|t| !t.is_empty());
    if sheets_token.is_none() && shared.service_account.is_none() {
        return Err(ApiError::BadRequest(
            "send sheets_token (the add-on's ScriptApp.getOAuthToken()): this server has no \
             service account to open the sheet with"
                .into(),
        ));
    }
    let client = Chat2Desk::new(
        &base_url,
        SecretString::from(request.target.token.clone()),
        super::REQUEST_TIMEOUT,
    )
    .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let stored_mode = request.mode;
    let stored = Stored {
        spreadsheet_id: request.spreadsheet_id.clone(),
        sheet: request.sheet.clone(),
        mode: request.mode,
        base_url,
        channel: request.target.channel,
        transport: request.target.transport,
        tags: request.target.tags,
        region: request.target.region,
        allow_paid: request.allow_paid,
        service_account: sheets_token.is_none(),
    };
    let sheet = format!("{}\n{}", request.spreadsheet_id, request.sheet);
    // Sealed, and bound to the sheet they were sent for.
    let sealed = shared
        .sealer
        .seal(&SecretString::from(request.target.token), &sheet);
    let sealed_sheets = sheets_token.map(|token| {
        shared
            .sealer
            .seal(&SecretString::from(token), &sheets_token_purpose(&sheet))
    });
    let (job, new) = shared
        .store
        .submit(NewJob {
            owner: user.name,
            sheet,
            account: account_id(&client),
            request: serde_json::to_string(&stored).expect("plain data serialises"),
            sealed_token: Some(sealed),
            sealed_sheets_token: sealed_sheets,
        })
        .await?;
    shared.wake.notify_waiters();
    tracing::info!(job = %job.id, new, mode = ?stored_mode, owner = %job.owner, "job submitted");
    let status = if new {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(json!({ "job_id": job.id, "state": job.state.as_str(), "new": new })),
    )
        .into_response())
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
            &sheets_token_purpose(&job.sheet),
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
    // A load refused as paid leaves its estimate where its progress would be.
    let estimate = progress
        .as_object_mut()
        .and_then(|p| p.remove("estimate"))
        .unwrap_or(serde_json::Value::Null);
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

/// The account's channels, messengers and tags, for the sidebar's dropdowns. The add-on
/// sends the target token in `X-Target-Token` (and a base URL in `X-Target-Base-Url`).
async fn catalog(
    State(shared): State<Arc<Shared>>,
    _user: User,
    headers: axum::http::HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let token = header("x-target-token")
        .ok_or_else(|| ApiError::BadRequest("send the target token in X-Target-Token".into()))?;
    let base_url = header("x-target-base-url").unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
    allowed_base_url(&base_url, shared.config.allow_other_hosts)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let client = Chat2Desk::new(&base_url, SecretString::from(token), super::REQUEST_TIMEOUT)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let pacing =
        crate::pacing::Pacing::new(shared.config.rate, None, crate::pacing::Backoff::default())
            .counting_into(shared.metrics.target.clone());
    let catalog = crate::targets::chat2desk::catalog::Catalog::read(&client, &pacing)
        .await
        .map_err(|halt| ApiError::BadRequest(format!("Chat2Desk: {halt}")))?;
    let requests = pacing
        .counters
        .requests
        .load(std::sync::atomic::Ordering::Relaxed);
    shared
        .store
        .add_usage(
            &account_id(&client),
            catalog.info.company_name.as_deref(),
            requests,
        )
        .await?;
    Ok(Json(json!({
        "company_name": catalog.info.company_name,
        "requests_left": catalog.info.requests_left(),
        "channels": catalog.channels,
        "transports": catalog.transports,
        "tags": catalog.tags,
    })))
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
