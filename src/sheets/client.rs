//! The Sheets API v4 client: one method per endpoint, one request per call — except
//! `read_sheet`, which reads a sheet in a few block calls. Pacing and retries belong to
//! `StatusWriter`; this file turns answers into values or `SheetsError`s.

use std::time::Duration;

// reqwest's body bytes, under axum's re-export of the same `bytes` crate.
use axum::body::Bytes;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use reqwest::{StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

use super::a1;

/// `read_sheet` asks for rows in blocks of at most this many rows...
pub const READ_BLOCK_ROWS: u32 = 10_000;
/// ...and for at most this many grid cells a block, so a wide sheet gets shorter blocks: a
/// spreadsheet holds up to 10 million cells (`shared/specs/google-sheets.md`), and 10,000
/// rows of a 1,000-column grid would be all of them in one answer. 10,000 rows of the
/// default 26 columns (A:Z) fit exactly, so an ordinary sheet gets whole 10,000-row blocks.
pub const READ_BLOCK_CELLS: u64 = READ_BLOCK_ROWS as u64 * 26;
/// Blocks sent together in one `values:batchGet`: one answer carries at most 50,000 rows
/// (1.3 million grid cells), and a sheet costs few of the 60 requests a minute a user may
/// make (`shared/specs/google-sheets.md`).
pub const READ_BLOCKS_PER_CALL: usize = 5;

/// What `read_sheet` asks of the spreadsheet's metadata: each sheet's name and grid size.
const GRID_FIELDS: &str = "sheets.properties(title,gridProperties(rowCount,columnCount))";

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
    /// service account, or not with this user).
    #[error("Google Sheets denied access to the spreadsheet: {0}")]
    Forbidden(String),
    /// 403 `ACCESS_TOKEN_SCOPE_INSUFFICIENT`: the token lacks a scope the Sheets API takes —
    /// an add-on whose manifest asks for `spreadsheets.currentonly`, which only Apps
    /// Script's own services honour (`shared/specs/google-sheets.md`).
    #[error(
        "Google refused the add-on's token for the Sheets API: it lacks the scope \
         https://www.googleapis.com/auth/spreadsheets. The add-on's administrator must list that \
         scope (not spreadsheets.currentonly) in the manifest appsscript.json, in the Google \
         Workspace Marketplace SDK configuration and on the OAuth consent screen; each user \
         then opens the add-on once to authorize it again"
    )]
    ScopeInsufficient,
    /// 403 `SERVICE_DISABLED`: the token's Cloud project has not enabled the Sheets API.
    #[error(
        "the Google Sheets API is not enabled in the add-on's Google Cloud project{}: its \
         administrator must enable it (Google Cloud console, APIs & Services, Library, Google \
         Sheets API{}), wait a few minutes, then press Process list again",
        .project.as_deref().map(|p| format!(" {p}")).unwrap_or_default(),
        .project.as_deref().map(|p| format!(": https://console.cloud.google.com/apis/library/sheets.googleapis.com?project={p}")).unwrap_or_default()
    )]
    ApiDisabled {
        /// The project's number, from Google's answer.
        project: Option<String>,
    },
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
    /// How long Google asked us to wait (`Retry-After` on a 429), if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            SheetsError::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }

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

/// `values:batchGet`: `{"spreadsheetId","valueRanges":[ValueRange, ..]}`, one per range
/// asked, in the order asked.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchGet {
    #[serde(default)]
    value_ranges: Vec<ValueRange>,
}

/// `{"sheets":[{"properties":{"title","gridProperties":{"rowCount","columnCount"}}}]}`.
#[derive(Deserialize)]
struct Spreadsheet {
    #[serde(default)]
    sheets: Vec<SheetEntry>,
}

#[derive(Deserialize)]
struct SheetEntry {
    #[serde(default)]
    properties: SheetProperties,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct SheetProperties {
    title: String,
    /// Absent for a sheet that holds a chart instead of cells: no rows to read.
    grid_properties: GridProperties,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct GridProperties {
    row_count: u32,
    column_count: u32,
}

/// Rows `first..=last` (1-based) of a `read_sheet`, each read over all the grid's columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Block {
    first: u32,
    last: u32,
}

/// The blocks covering a `rows` × `columns` grid: as tall as `READ_BLOCK_ROWS`, and as
/// `READ_BLOCK_CELLS` allows for this width, but at least one row.
fn blocks(rows: u32, columns: u32) -> Vec<Block> {
    let height =
        (READ_BLOCK_CELLS / u64::from(columns.max(1))).clamp(1, u64::from(READ_BLOCK_ROWS)) as u32;
    (0..rows.div_ceil(height))
        .map(|i| {
            let first = i * height + 1;
            Block {
                first,
                last: first.saturating_add(height - 1).min(rows),
            }
        })
        .collect()
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
    /// `google.rpc` details; an `ErrorInfo` among them names the reason of a 403.
    #[serde(default)]
    details: Vec<ErrorInfo>,
}

/// `{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"SERVICE_DISABLED",
/// "metadata":{"consumer":"projects/123"}}`; other detail types read as empty.
#[derive(Default, Deserialize)]
#[serde(default)]
struct ErrorInfo {
    reason: String,
    metadata: std::collections::HashMap<String, Value>,
}

/// Google Sheets, reached at `base` with an OAuth access token.
#[derive(Clone)]
pub struct Sheets {
    http: reqwest::Client,
    /// Requests sent, by this client and its clones (the server's `/metrics`).
    sent: std::sync::Arc<std::sync::atomic::AtomicU64>,
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
        Ok(Sheets {
            http,
            sent: Default::default(),
            base,
            token,
        })
    }

    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// Requests sent so far by this client and its clones, refused ones included.
    pub fn requests_sent(&self) -> u64 {
        self.sent.load(std::sync::atomic::Ordering::Relaxed)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Bytes, SheetsError> {
        self.sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        send(request).await
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
        let bytes = self.send(request).await?;
        let body: ValueRange = parse(&bytes, "values")?;
        Ok(body.values.into_iter().map(row_text).collect())
    }

    /// The same rows as `values`, read in a few calls instead of one answer as big as the
    /// sheet (a spreadsheet may hold 10 million cells, `shared/specs/google-sheets.md`):
    /// the grid's size from the spreadsheet's metadata, then its rows in blocks
    /// (`READ_BLOCK_ROWS`, `READ_BLOCK_CELLS`), `READ_BLOCKS_PER_CALL` blocks to a
    /// `values:batchGet`. A 900-row sheet costs 2 requests, a 120,000-row one 4.
    ///
    /// Rows added after the metadata answered, below the grid it reported, are not read.
    pub async fn read_sheet(
        &self,
        spreadsheet_id: &str,
        sheet: &str,
    ) -> Result<Vec<Vec<String>>, SheetsError> {
        let grid = match self.grid(spreadsheet_id, sheet).await {
            Ok(Some(grid)) => grid,
            Ok(None) => {
                return Err(SheetsError::NotFound(format!(
                    "no sheet named \"{sheet}\" in spreadsheet {spreadsheet_id}"
                )));
            }
            // An endpoint that serves only the values methods — the ones
            // `shared/specs/google-sheets.md` lists (a proxy, a stand-in) — has no metadata
            // to give: the whole sheet in one read, whose answer has the last word (a
            // spreadsheet that does not exist is a 404 there too).
            Err(
                SheetsError::NotFound(_)
                | SheetsError::Other {
                    status: 200..=499, ..
                },
            ) => {
                return self.values(spreadsheet_id, sheet).await;
            }
            Err(other) => return Err(other),
        };
        let columns = grid.column_count.max(1);
        let mut rows: Vec<Vec<String>> = Vec::new();
        for call in blocks(grid.row_count, columns).chunks(READ_BLOCKS_PER_CALL) {
            let ranges: Vec<String> = call
                .iter()
                .map(|b| a1::block(sheet, 1, b.first, columns, b.last))
                .collect();
            let answers = self.batch_get(spreadsheet_id, &ranges).await?;
            for ((block, range), values) in call.iter().zip(&ranges).zip(answers) {
                let asked = (block.last - block.first + 1) as usize;
                if values.len() > asked {
                    return Err(SheetsError::Other {
                        status: 200,
                        message: format!(
                            "{} rows came back for {range}, which has {asked}",
                            values.len()
                        ),
                    });
                }
                // Google leaves out a block's trailing empty rows, and all of an empty
                // block: pad up to where this block starts only when it has rows, so the
                // rows in the middle keep their numbers and the end stays trimmed as
                // `values` has it.
                if !values.is_empty() {
                    rows.resize_with(block.first as usize - 1, Vec::new);
                    rows.extend(values.into_iter().map(row_text));
                }
            }
        }
        // A block ends in no empty row as Google answers; should one come anyway, the
        // sheet still ends as `values` ends it.
        while rows.last().is_some_and(Vec::is_empty) {
            rows.pop();
        }
        Ok(rows)
    }

    /// Whether the token may open `spreadsheet_id` and it has `sheet`: one metadata read
    /// (or, where only the values methods are served, one read of the sheet's first cell).
    /// Refusals come back as errors: `Forbidden` or `NotFound` for a spreadsheet this token
    /// cannot open, as Google answers them.
    pub async fn has_sheet(&self, spreadsheet_id: &str, sheet: &str) -> Result<bool, SheetsError> {
        match self.grid(spreadsheet_id, sheet).await {
            Ok(grid) => Ok(grid.is_some()),
            Err(
                SheetsError::NotFound(_)
                | SheetsError::Other {
                    status: 200..=499, ..
                },
            ) => {
                let range = a1::block(sheet, 1, 1, 1, 1);
                let url = self.url(&["v4", "spreadsheets", spreadsheet_id, "values", &range]);
                let request = self.http.get(url).header(AUTHORIZATION, self.bearer()?);
                match self.send(request).await {
                    Ok(_) => Ok(true),
                    // "Unable to parse range": the spreadsheet opens, the sheet is not in it.
                    Err(SheetsError::NotFound(message))
                        if message.starts_with("Unable to parse range") =>
                    {
                        Ok(false)
                    }
                    Err(other) => Err(other),
                }
            }
            Err(other) => Err(other),
        }
    }

    /// The grid size of `sheet`, from one metadata request asking only for the sheets'
    /// names and sizes.
    async fn grid(
        &self,
        spreadsheet_id: &str,
        sheet: &str,
    ) -> Result<Option<GridProperties>, SheetsError> {
        let url = self.url(&["v4", "spreadsheets", spreadsheet_id]);
        let request = self
            .http
            .get(url)
            .query(&[("fields", GRID_FIELDS)])
            .header(AUTHORIZATION, self.bearer()?);
        let bytes = self.send(request).await?;
        let body: Spreadsheet = parse(&bytes, "spreadsheet")?;
        Ok(body
            .sheets
            .into_iter()
            .map(|s| s.properties)
            .find(|p| p.title == sheet)
            .map(|p| p.grid_properties))
    }

    /// One `values:batchGet` of `ranges`: each range's rows, ragged, in the order asked.
    /// The ranges go in the query string, encoded by reqwest: a sheet name with `&`, `=`,
    /// `#` or `?` stays inside its own `ranges=` parameter.
    async fn batch_get(
        &self,
        spreadsheet_id: &str,
        ranges: &[String],
    ) -> Result<Vec<Vec<Vec<Value>>>, SheetsError> {
        let url = self.url(&["v4", "spreadsheets", spreadsheet_id, "values:batchGet"]);
        let query: Vec<(&str, &str)> = ranges.iter().map(|r| ("ranges", r.as_str())).collect();
        let request = self
            .http
            .get(url)
            .query(&query)
            .header(AUTHORIZATION, self.bearer()?);
        let bytes = self.send(request).await?;
        let body: BatchGet = parse(&bytes, "values:batchGet")?;
        if body.value_ranges.len() != ranges.len() {
            return Err(SheetsError::Other {
                status: 200,
                message: format!(
                    "{} ranges came back for the {} asked",
                    body.value_ranges.len(),
                    ranges.len()
                ),
            });
        }
        Ok(body.value_ranges.into_iter().map(|v| v.values).collect())
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
        let bytes = self.send(request).await?;
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
    let retry_after = crate::http_client::retry_after(response.headers());
    let headers = response.headers().clone();
    let bytes = response.bytes().await.map_err(no_answer)?;
    if status.is_success() {
        return Ok(bytes);
    }
    if status.is_redirection() {
        return Err(SheetsError::Other {
            status: status.as_u16(),
            message: crate::http_client::redirect_refused(status),
        });
    }
    let (google_status, message, details) = match serde_json::from_slice::<ErrorBody>(&bytes) {
        Ok(body) => (body.error.status, body.error.message, body.error.details),
        Err(_) => (
            String::new(),
            crate::http_client::foreign_answer(status, &headers),
            Vec::new(),
        ),
    };
    // Older quota answers come as 403 with RESOURCE_EXHAUSTED: the status decides.
    if status == StatusCode::TOO_MANY_REQUESTS || google_status == "RESOURCE_EXHAUSTED" {
        return Err(SheetsError::RateLimited { retry_after });
    }
    for detail in &details {
        match detail.reason.as_str() {
            "ACCESS_TOKEN_SCOPE_INSUFFICIENT" => return Err(SheetsError::ScopeInsufficient),
            "SERVICE_DISABLED" => {
                // `projects/123456`: only the number is kept, and only if it is one.
                let project = detail
                    .metadata
                    .get("consumer")
                    .and_then(Value::as_str)
                    .and_then(|c| c.strip_prefix("projects/"))
                    .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                    .map(str::to_owned);
                return Err(SheetsError::ApiDisabled { project });
            }
            _ => {}
        }
    }
    Err(match status {
        StatusCode::UNAUTHORIZED => SheetsError::Unauthorized(message),
        // Answers without an `ErrorInfo` (older API versions) say the same in words.
        StatusCode::FORBIDDEN if message.contains("insufficient authentication scopes") => {
            SheetsError::ScopeInsufficient
        }
        StatusCode::FORBIDDEN if message.contains("has not been used in project") => {
            SheetsError::ApiDisabled { project: None }
        }
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

/// A successful answer that does not read as `what` should.
fn parse<'a, T: Deserialize<'a>>(bytes: &'a [u8], what: &str) -> Result<T, SheetsError> {
    serde_json::from_slice(bytes).map_err(|e| SheetsError::Other {
        status: 200,
        message: format!("unreadable {what} answer: {e}"),
    })
}

fn row_text(row: Vec<Value>) -> Vec<String> {
    row.into_iter().map(cell_text).collect()
}

/// Google formats numbers and booleans as strings by default; anything else is kept as JSON.
fn cell_text(value: Value) -> String {
    match value {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn no_answer(error: reqwest::Error) -> SheetsError {
    SheetsError::NoAnswer(crate::http_client::no_answer(error))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(rows: u32, columns: u32) -> Vec<(u32, u32)> {
        blocks(rows, columns)
            .into_iter()
            .map(|b| (b.first, b.last))
            .collect()
    }

    #[test]
    fn blocks_cover_the_grid_once() {
        assert_eq!(spans(0, 26), []);
        assert_eq!(spans(900, 26), [(1, 900)]);
        assert_eq!(spans(10_000, 26), [(1, 10_000)]);
        assert_eq!(spans(10_001, 26), [(1, 10_000), (10_001, 10_001)]);
        assert_eq!(blocks(120_001, 26).len(), 13);
        assert_eq!(blocks(120_001, 26).chunks(READ_BLOCKS_PER_CALL).len(), 3);
        // Narrow sheets still get 10,000 rows; wide ones fewer, and never no rows.
        assert_eq!(spans(25_000, 1)[0], (1, 10_000));
        assert_eq!(spans(1_000, 2_600)[..2], [(1, 100), (101, 200)]);
        assert_eq!(spans(30, 18_278), [(1, 14), (15, 28), (29, 30)]);
        assert_eq!(spans(3, u32::MAX), [(1, 1), (2, 2), (3, 3)]);
        assert_eq!(spans(u32::MAX, 26).last(), Some(&(4_294_960_001, u32::MAX)));
        for (rows, columns) in [(25_010, 26), (99_999, 30), (7, 1), (12_345, 700)] {
            let b = blocks(rows, columns);
            assert_eq!(b[0].first, 1);
            assert_eq!(b.last().unwrap().last, rows);
            assert!(b.windows(2).all(|w| w[1].first == w[0].last + 1));
            assert!(
                b.iter()
                    .all(|b| u64::from(b.last - b.first + 1) * u64::from(columns)
                        <= READ_BLOCK_CELLS.max(u64::from(columns)))
            );
        }
    }
}
