//! The Sheets API v4 client: one method per endpoint, one request per call. Pacing and
//! retries belong to `StatusWriter`; this file turns answers into values or `SheetsError`s.

use std::time::Duration;

// reqwest's body bytes, under axum's re-export of the same `bytes` crate.
use axum::body::Bytes;
use reqwest::header::{AUTHORIZATION, HeaderValue, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

use super::a1;

/// What can go wrong talking to Google Sheets. No variant ever carries the token: messages
/// come from Google's answer or from reqwest without the URL.
#[derive(Debug, Error)]
pub enum SheetsError {
    #[error("the Sheets base URL `{0}` is not an http(s) URL")]
    BadBaseUrl(String),
    #[error("the HTTP client cannot be built: {0}")]
    Build(String),
    /// 429 / `RESOURCE_EXHAUSTED`: 60 requests a minute per user, refilled every minute.
    /// Nothing was applied; retry later, with exponential backoff.
    #[error("Google Sheets is rate limiting us (RESOURCE_EXHAUSTED); retry later")]
    RateLimited { retry_after: Option<Duration> },
    /// 401: the user's OAuth token (`ScriptApp.getOAuthToken()`) lives an hour; a fresh one
    /// must come from the add-on.
    #[error("Google Sheets refused the access token (expired or revoked): {0}")]
    Unauthorized(String),
    /// 403: the token is valid but may not touch this spreadsheet (not shared with the
    /// service account, or a too narrow scope).
    #[error("Google Sheets denied access to the spreadsheet: {0}")]
    Forbidden(String),
    /// No such spreadsheet, or no such sheet in it.
    #[error("not found in Google Sheets: {0}")]
    NotFound(String),
    #[error("Google Sheets answered {status}: {message}")]
    Other { status: u16, message: String },
    /// The request went out and no (whole) answer came back. A values write is idempotent,
    /// so sending it again is safe.
    #[error("Google Sheets did not answer: {0}")]
    NoAnswer(String),
}

impl SheetsError {
    /// Worth sending the same request again later: a rate limit, a lost answer, a 5xx.
    pub fn is_transient(&self) -> bool {
        match self {
            SheetsError::RateLimited { .. } | SheetsError::NoAnswer(_) => true,
            SheetsError::Other { status, .. } => *status >= 500,
            _ => false,
        }
    }
}

/// What `values:batchUpdate` reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BatchUpdated {
    pub total_updated_rows: u64,
    pub total_updated_cells: u64,
}

/// `{"valueInputOption":"RAW","data":[{"range":..,"values":[[..]]}]}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BatchUpdateBody<'a> {
    pub value_input_option: &'static str,
    pub data: Vec<ValueRangeRef<'a>>,
}

#[derive(Serialize)]
pub(super) struct ValueRangeRef<'a> {
    pub range: &'a str,
    pub values: &'a [Vec<String>],
}

/// The values answer. `values` is missing altogether for an empty sheet.
#[derive(Deserialize)]
struct ValueRange {
    #[serde(default)]
    values: Vec<Vec<Value>>,
}

/// Google's error body: `{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","message":".."}}`.
#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    status: String,
    #[serde(default)]
    message: String,
}

/// Google Sheets, reached at `base` with an OAuth access token.
#[derive(Clone)]
pub struct Sheets {
    http: reqwest::Client,
    base: Url,
    token: SecretString,
}

impl std::fmt::Debug for Sheets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        f.debug_struct("Sheets")
            .field("base", &self.base.as_str())
            .finish()
    }
}

impl Sheets {
    pub const GOOGLE: &'static str = "https://sheets.googleapis.com";

    /// Google's own endpoint.
    pub fn google(token: SecretString, timeout: Duration) -> Result<Sheets, SheetsError> {
        Sheets::new(Sheets::GOOGLE, token, timeout)
    }

    /// Any endpoint speaking the Sheets API (the fake, a proxy with a path prefix).
    pub fn new(
        base_url: &str,
        token: SecretString,
        timeout: Duration,
    ) -> Result<Sheets, SheetsError> {
        let base = crate::http_client::base_url(base_url)
            .ok_or_else(|| SheetsError::BadBaseUrl(base_url.to_owned()))?;
        let http =
            crate::http_client::build(timeout).map_err(|e| SheetsError::Build(e.to_string()))?;
        Ok(Sheets { http, base, token })
    }

    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// The add-on's token expires after an hour and it sends a fresh one with each poll.
    pub fn set_token(&mut self, token: SecretString) {
        self.token = token;
    }

    /// `base` + the segments, each percent-encoded on its own: a sheet name with `/`, `?`,
    /// `#`, spaces or Cyrillic stays one path segment.
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        url.set_query(None);
        url.set_fragment(None);
        url.path_segments_mut()
            .expect("checked in new: a base URL")
            .pop_if_empty()
            .extend(segments);
        url
    }

    fn bearer(&self) -> Result<HeaderValue, SheetsError> {
        let mut value = HeaderValue::from_str(&format!("Bearer {}", self.token.expose_secret()))
            .map_err(|_| {
                SheetsError::Unauthorized("the token has characters a header cannot carry".into())
            })?;
        value.set_sensitive(true);
        Ok(value)
    }

    /// Every cell of `sheet`, as Google formats it, row by row. Rows come back ragged —
    /// trailing empty cells and rows are left out (`shared/specs/google-sheets.md`) — and
    /// stay ragged here: the caller pads to its header.
    pub async fn values(
        &self,
        spreadsheet_id: &str,
        sheet: &str,
    ) -> Result<Vec<Vec<String>>, SheetsError> {
        let range = a1::quote_sheet(sheet);
        let url = self.url(&["v4", "spreadsheets", spreadsheet_id, "values", &range]);
        let request = self.http.get(url).header(AUTHORIZATION, self.bearer()?);
        let bytes = send(request).await?;
        let body: ValueRange = serde_json::from_slice(&bytes).map_err(|e| SheetsError::Other {
            status: 200,
            message: format!("unreadable values answer: {e}"),
        })?;
        Ok(body
            .values
            .into_iter()
            .map(|row| row.into_iter().map(cell_text).collect())
            .collect())
    }

    /// Writes each (A1 range, rows) in one `values:batchUpdate`, with
    /// `valueInputOption: RAW`: text is stored as given, so `=HYPERLINK(...)` in a name
    /// stays text instead of becoming a formula.
    pub async fn batch_update(
        &self,
        spreadsheet_id: &str,
        updates: &[(String, Vec<Vec<String>>)],
    ) -> Result<BatchUpdated, SheetsError> {
        let body = serde_json::to_vec(&batch_body(updates)).map_err(|e| SheetsError::Other {
            status: 0,
            message: format!("the request cannot be written: {e}"),
        })?;
        self.batch_update_raw(spreadsheet_id, body).await
    }

    /// The same, with the body already serialised (the writer measures it first).
    pub(super) async fn batch_update_raw(
        &self,
        spreadsheet_id: &str,
        body: Vec<u8>,
    ) -> Result<BatchUpdated, SheetsError> {
        let url = self.url(&["v4", "spreadsheets", spreadsheet_id, "values:batchUpdate"]);
        let request = self
            .http
            .post(url)
            .header(AUTHORIZATION, self.bearer()?)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        let bytes = send(request).await?;
        Ok(serde_json::from_slice(&bytes).unwrap_or_default())
    }
}

pub(super) fn batch_body(updates: &[(String, Vec<Vec<String>>)]) -> BatchUpdateBody<'_> {
    BatchUpdateBody {
        value_input_option: "RAW",
        data: updates
            .iter()
            .map(|(range, values)| ValueRangeRef { range, values })
            .collect(),
    }
}

/// Sends, reads the whole answer, and sorts failures.
async fn send(request: reqwest::RequestBuilder) -> Result<Bytes, SheetsError> {
    let response = request.send().await.map_err(no_answer)?;
    let status = response.status();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(3600.0)));
    let bytes = response.bytes().await.map_err(no_answer)?;
    if status.is_success() {
        return Ok(bytes);
    }
    let (google_status, message) = match serde_json::from_slice::<ErrorBody>(&bytes) {
        Ok(body) => (body.error.status, body.error.message),
        Err(_) => (
            String::new(),
            String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned(),
        ),
    };
    // Older quota answers come as 403 with RESOURCE_EXHAUSTED: the status decides.
    if status == StatusCode::TOO_MANY_REQUESTS || google_status == "RESOURCE_EXHAUSTED" {
        return Err(SheetsError::RateLimited { retry_after });
    }
    Err(match status {
        StatusCode::UNAUTHORIZED => SheetsError::Unauthorized(message),
        StatusCode::FORBIDDEN => SheetsError::Forbidden(message),
        StatusCode::NOT_FOUND => SheetsError::NotFound(message),
        // A missing sheet is a 400 "Unable to parse range": our ranges are always quoted
        // correctly, so the sheet is what is missing.
        StatusCode::BAD_REQUEST if message.starts_with("Unable to parse range") => {
            SheetsError::NotFound(message)
        }
        _ => SheetsError::Other {
            status: status.as_u16(),
            message,
        },
    })
}

/// Google formats numbers and booleans as strings by default; anything else is kept as JSON.
fn cell_text(value: Value) -> String {
    match value {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A request that got no answer. reqwest's message without the URL names no header, so the
/// token cannot leak through it.
fn no_answer(error: reqwest::Error) -> SheetsError {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "the connection dropped"
    };
    SheetsError::NoAnswer(format!("{kind} ({})", error.without_url()))
}
