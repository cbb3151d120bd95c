//! A local Google Sheets API: the endpoints we use (`shared/specs/google-sheets.md`) —
//! spreadsheet metadata (sheet names and grid sizes), `values/{range}`, `values:batchGet`
//! and `values:batchUpdate` — on loopback, keeping real cell state per spreadsheet and
//! sheet. Tests run against it; so will the server's.
//!
//! It answers as Google does where it matters to us: ragged rows, `values` left out of an
//! empty answer, 400 "Unable to parse range" for an unknown sheet, 404 for an unknown
//! spreadsheet, 401 for a wrong token, 429 `RESOURCE_EXHAUSTED` on request. Tokens carry
//! scopes, and each method takes only the scopes Google's discovery document lists for it
//! (403 `ACCESS_TOKEN_SCOPE_INSUFFICIENT` otherwise); it can play a Cloud project where the
//! Sheets API is not enabled (403 `SERVICE_DISABLED`). A sheet's grid
//! is at least Google's new-sheet 1000 rows × 26 columns, and grows with the cells. It stores
//! every written value as text whatever `valueInputOption` says (it evaluates no
//! formulas), and logs the option so tests can check that we sent `RAW`.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::time::Instant;

use contact_loader::sheets::a1::Range;

/// Requests as the fake saw them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FakeStats {
    /// Every request, refused ones included.
    pub total: u64,
    /// GET `values/{range}` and `values:batchGet` answered 200: one per request, however
    /// many ranges it asked for.
    pub reads: u64,
    /// GET spreadsheet metadata answered 200.
    pub metadata: u64,
    /// batchUpdates applied.
    pub writes: u64,
    pub rate_limited: u64,
    pub unauthorized: u64,
    /// 403s: a scope missing, the API disabled, a sheet not shared.
    pub forbidden: u64,
}

/// One applied `values:batchUpdate`.
#[derive(Debug, Clone)]
pub struct WriteLog {
    pub at: Instant,
    pub spreadsheet: String,
    pub body_bytes: usize,
    pub value_input_option: String,
    pub ranges: Vec<String>,
}

type Grid = Vec<Vec<String>>;

#[derive(Default)]
struct Books {
    /// Spreadsheet id → sheet name → cells.
    books: HashMap<String, HashMap<String, Grid>>,
    stats: FakeStats,
    writes: Vec<WriteLog>,
    /// Requests still to answer with 429.
    throttle: u32,
    /// Serve only the values methods (`shared/specs/google-sheets.md`): no metadata.
    values_only: bool,
    /// The Cloud project (its number) whose Sheets API is off: every call is refused.
    disabled_in: Option<u64>,
}

/// `https://www.googleapis.com/auth/` + a scope's short name.
const SCOPE_PREFIX: &str = "https://www.googleapis.com/auth/";

/// The scopes each method accepts, from Google's discovery document `sheets/v4`
/// (`shared/specs/google-sheets.md`): reads take any Sheets or Drive scope, writes only
/// the read-write ones. `spreadsheets.currentonly` is Apps Script's own and is in neither.
const READ_SCOPES: [&str; 5] = [
    "spreadsheets",
    "spreadsheets.readonly",
    "drive",
    "drive.file",
    "drive.readonly",
];
const WRITE_SCOPES: [&str; 3] = ["spreadsheets", "drive", "drive.file"];

/// What the backend needs, and what `start`'s token is given.
pub const SPREADSHEETS_SCOPE: &str = "https://www.googleapis.com/auth/spreadsheets";

/// A request's method, as far as its scopes go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    Read,
    Write,
}

impl Access {
    fn allows(self, scopes: &[String]) -> bool {
        let accepted: &[&str] = match self {
            Access::Read => &READ_SCOPES,
            Access::Write => &WRITE_SCOPES,
        };
        scopes.iter().any(|scope| {
            scope
                .strip_prefix(SCOPE_PREFIX)
                .is_some_and(|short| accepted.contains(&short))
        })
    }

    /// Only `drive.file` among the accepted ones: Google grants it for files the app made
    /// or the user picked, and this fake holds none of those.
    fn only_through_drive_file(scopes: &[String]) -> bool {
        let full = |s: &&String| {
            s.strip_prefix(SCOPE_PREFIX)
                .is_some_and(|short| short != "drive.file" && READ_SCOPES.contains(&short))
        };
        !scopes.iter().any(|s| full(&s))
    }
}

/// What a user's token may do: its scopes, and the spreadsheets its user can open (`None`:
/// the owner of every spreadsheet here).
#[derive(Clone)]
struct Grant {
    scopes: Vec<String>,
    spreadsheets: Option<std::collections::HashSet<String>>,
}

impl Grant {
    fn owner(scopes: &[&str]) -> Grant {
        Grant {
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            spreadsheets: None,
        }
    }
}

struct Shared {
    /// The users' access tokens and what each may do.
    tokens: Mutex<HashMap<String, Grant>>,
    state: Mutex<Books>,
    service: Mutex<Option<Service>>,
    /// Where `/token` is served: the `aud` a service account's assertion must name.
    token_url: String,
}

/// A service account the fake trusts: its key, the tokens it was given (with the scopes
/// its assertion asked for), and the spreadsheets shared with it.
struct Service {
    email: String,
    key: jsonwebtoken::DecodingKey,
    tokens: HashMap<String, Vec<String>>,
    shared_with: std::collections::HashSet<String>,
}

/// A running fake.
#[derive(Clone)]
pub struct FakeSheets {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for FakeSheets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeSheets")
            .field("addr", &self.addr)
            .finish()
    }
}

impl FakeSheets {
    /// Serves on `127.0.0.1:0` until the runtime ends; requests must carry
    /// `Authorization: Bearer <token>`, a token with the `spreadsheets` scope.
    pub async fn start(token: &str) -> std::io::Result<FakeSheets> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            tokens: Mutex::new(HashMap::from([(
                token.to_owned(),
                Grant::owner(&[SPREADSHEETS_SCOPE]),
            )])),
            state: Mutex::default(),
            service: Mutex::default(),
            token_url: format!("http://{addr}/token"),
        });
        let app = Router::new()
            .route("/v4/spreadsheets/{*rest}", any(handle))
            .route("/token", axum::routing::post(issue_token))
            // Bigger than Google's ~2 MB, so a test sees how large our bodies really are.
            .layer(DefaultBodyLimit::max(64 << 20))
            .with_state(shared.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeSheets { addr, shared })
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// From now on only `token` is accepted (the old ones "expired"), with the
    /// `spreadsheets` scope.
    pub fn set_token(&self, token: &str) {
        self.set_scoped_token(token, &[SPREADSHEETS_SCOPE]);
    }

    /// From now on only `token` is accepted, and only for the methods its `scopes` allow —
    /// as Google gives an add-on's user a token with the scopes of its manifest.
    pub fn set_scoped_token(&self, token: &str, scopes: &[&str]) {
        *self.shared.tokens.lock().unwrap_or_else(|e| e.into_inner()) =
            HashMap::from([(token.to_owned(), Grant::owner(scopes))]);
    }

    /// Another user, whose `token` (with the `spreadsheets` scope) opens only
    /// `spreadsheets` — those shared with them; any other answers 403, as Google does.
    pub fn add_user(&self, token: &str, spreadsheets: &[&str]) {
        let grant = Grant {
            spreadsheets: Some(spreadsheets.iter().map(|s| (*s).to_owned()).collect()),
            ..Grant::owner(&[SPREADSHEETS_SCOPE])
        };
        self.shared
            .tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(token.to_owned(), grant);
    }

    /// From now on every call answers 403 `SERVICE_DISABLED`, as Google does for a token
    /// whose Cloud project has not enabled the Sheets API (`shared/specs/google-sheets.md`).
    pub fn disable_api(&self, project_number: u64) {
        self.lock().disabled_in = Some(project_number);
    }

    /// Creates the sheet (and its spreadsheet) if needed and replaces its cells.
    pub fn set_cells<R, C>(&self, spreadsheet: &str, sheet: &str, rows: R)
    where
        R: IntoIterator<Item = C>,
        C: IntoIterator<Item: Into<String>>,
    {
        let grid = rows
            .into_iter()
            .map(|row| row.into_iter().map(Into::into).collect())
            .collect();
        self.lock()
            .books
            .entry(spreadsheet.to_owned())
            .or_default()
            .insert(sheet.to_owned(), grid);
    }

    /// The sheet's cells as Google would return them: trailing empty cells and rows left
    /// out. `None` if there is no such sheet.
    pub fn cells(&self, spreadsheet: &str, sheet: &str) -> Option<Vec<Vec<String>>> {
        let state = self.lock();
        let grid = state.books.get(spreadsheet)?.get(sheet)?;
        Some(ragged(grid.iter().map(|row| row.as_slice())))
    }

    /// Google's token endpoint for service accounts, as a key file's `token_uri`.
    pub fn token_url(&self) -> String {
        self.shared.token_url.clone()
    }

    /// Trusts assertions from `email` signed with `key`; its tokens may touch the
    /// spreadsheets shared with it.
    pub fn accept_service_account(&self, email: &str, key: jsonwebtoken::DecodingKey) {
        *self.service() = Some(Service {
            email: email.to_owned(),
            key,
            tokens: HashMap::new(),
            shared_with: Default::default(),
        });
    }

    /// Shares `spreadsheet` with the service account.
    pub fn share(&self, spreadsheet: &str) {
        if let Some(service) = self.service().as_mut() {
            service.shared_with.insert(spreadsheet.to_owned());
        }
    }

    fn service(&self) -> std::sync::MutexGuard<'_, Option<Service>> {
        self.shared
            .service
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// From now on the spreadsheet metadata is not served (404), as by an endpoint that
    /// offers only the values methods.
    pub fn serve_only_values(&self) {
        self.lock().values_only = true;
    }

    /// Answers the next `n` requests with 429 `RESOURCE_EXHAUSTED`.
    pub fn rate_limit_next(&self, n: u32) {
        self.lock().throttle += n;
    }

    pub fn stats(&self) -> FakeStats {
        self.lock().stats.clone()
    }

    /// Every applied write, in order.
    pub fn writes(&self) -> Vec<WriteLog> {
        self.lock().writes.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Books> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Google's error body.
fn error(status: StatusCode, google_status: &str, message: &str) -> Response {
    let body =
        json!({"error": {"code": status.as_u16(), "status": google_status, "message": message}});
    (status, axum::Json(body)).into_response()
}

/// Google's error body with an `ErrorInfo` detail, the machine-readable reason.
fn error_info(google_status: &str, message: &str, reason: &str, metadata: Value) -> Response {
    let body = json!({"error": {
        "code": 403,
        "status": google_status,
        "message": message,
        "errors": [{"message": message, "domain": "global", "reason": "forbidden"}],
        "details": [{
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": reason,
            "domain": "googleapis.com",
            "metadata": metadata,
        }],
    }});
    (StatusCode::FORBIDDEN, axum::Json(body)).into_response()
}

/// 403 for a token without a scope the method takes: Google's answer to an Apps Script
/// `spreadsheets.currentonly` token.
fn scope_insufficient() -> Response {
    error_info(
        "PERMISSION_DENIED",
        "Request had insufficient authentication scopes.",
        "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
        json!({"service": "sheets.googleapis.com"}),
    )
}

/// 403 for a project that has not enabled the Sheets API (apps-script-oauth2 #443).
fn service_disabled(project: u64) -> Response {
    let activation = format!(
        "https://console.developers.google.com/apis/api/sheets.googleapis.com/overview?project={project}"
    );
    error_info(
        "PERMISSION_DENIED",
        &format!(
            "Google Sheets API has not been used in project {project} before or it is disabled. \
             Enable it by visiting {activation} then retry. If you enabled this API recently, \
             wait a few minutes for the action to propagate to our systems and retry."
        ),
        "SERVICE_DISABLED",
        json!({
            "service": "sheets.googleapis.com",
            "consumer": format!("projects/{project}"),
            "activationUrl": activation,
        }),
    )
}

fn permission_denied() -> Response {
    error(
        StatusCode::FORBIDDEN,
        "PERMISSION_DENIED",
        "The caller does not have permission",
    )
}

fn bad_range(range: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "INVALID_ARGUMENT",
        &format!("Unable to parse range: {range}"),
    )
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    // The raw path, split before decoding: a range is one segment or the request is wrong.
    let rest = uri
        .path()
        .strip_prefix("/v4/spreadsheets/")
        .unwrap_or_default();
    let segments = rest
        .split('/')
        .map(percent_decode)
        .collect::<Option<Vec<_>>>();
    let spreadsheet = segments
        .as_ref()
        .and_then(|s| s.first())
        .cloned()
        .unwrap_or_default();
    // Who calls, with which scopes; a service account only for what is shared with it.
    let user = shared
        .tokens
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(bearer)
        .cloned();
    let caller = user
        .map(|grant| {
            let may = grant.spreadsheets.is_none_or(|s| s.contains(&spreadsheet));
            (grant.scopes, may)
        })
        .or_else(|| {
            let service = shared.service.lock().unwrap_or_else(|e| e.into_inner());
            let service = service.as_ref()?;
            let scopes = service.tokens.get(bearer)?.clone();
            Some((scopes, service.shared_with.contains(&spreadsheet)))
        });
    let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
    state.stats.total += 1;
    let Some((scopes, shared_with_caller)) = caller else {
        state.stats.unauthorized += 1;
        return error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials. Expected OAuth 2 access token.",
        );
    };
    if let Some(project) = state.disabled_in {
        state.stats.forbidden += 1;
        return service_disabled(project);
    }
    let Some(segments) = segments else {
        return error(
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            "bad percent-encoding",
        );
    };
    let access = if method == Method::POST {
        Access::Write
    } else {
        Access::Read
    };
    if !access.allows(&scopes) {
        state.stats.forbidden += 1;
        return scope_insufficient();
    }
    if !shared_with_caller || Access::only_through_drive_file(&scopes) {
        state.stats.forbidden += 1;
        return permission_denied();
    }
    if state.throttle > 0 {
        state.throttle -= 1;
        state.stats.rate_limited += 1;
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            "RESOURCE_EXHAUSTED",
            "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user'",
        );
    }
    let Some(query) = query_pairs(uri.query().unwrap_or_default()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            "bad percent-encoding",
        );
    };
    match (method, segments.as_slice()) {
        (Method::GET, [id]) if !state.values_only => metadata(&mut state, id),
        (Method::GET, [id, values, range]) if values == "values" => read(&mut state, id, range),
        (Method::GET, [id, action]) if action == "values:batchGet" => {
            let ranges: Vec<&str> = query
                .iter()
                .filter(|(k, _)| k == "ranges")
                .map(|(_, v)| v.as_str())
                .collect();
            batch_get(&mut state, id, &ranges)
        }
        (Method::POST, [id, action]) if action == "values:batchUpdate" => {
            write(&mut state, id, &body)
        }
        _ => not_found(),
    }
}

/// `POST /token`: the JWT-bearer grant. The assertion must be signed by the trusted
/// service account's key, name this endpoint as its audience and ask for some scope; the
/// token carries the scopes asked for, and the API decides what they allow.
async fn issue_token(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let refuse = |why: &str| {
        (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": "invalid_grant", "error_description": why})),
        )
            .into_response()
    };
    let form: HashMap<String, String> = String::from_utf8_lossy(&body)
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter_map(|(k, v)| Some((percent_decode(k)?, percent_decode(v)?)))
        .collect();
    if form.get("grant_type").map(String::as_str)
        != Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
    {
        return refuse("Invalid grant_type");
    }
    let Some(assertion) = form.get("assertion") else {
        return refuse("No assertion");
    };
    let mut service = shared.service.lock().unwrap_or_else(|e| e.into_inner());
    let Some(service) = service.as_mut() else {
        return refuse("Invalid JWT Signature.");
    };
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[&shared.token_url]);
    validation.set_issuer(&[&service.email]);
    let Ok(claims) = jsonwebtoken::decode::<Value>(assertion, &service.key, &validation) else {
        return refuse("Invalid JWT Signature.");
    };
    let scopes: Vec<String> = claims.claims["scope"]
        .as_str()
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if scopes.is_empty() {
        return refuse("Invalid OAuth scope or ID token audience provided.");
    }
    let token = format!("service-token-{}", service.tokens.len() + 1);
    service.tokens.insert(token.clone(), scopes);
    axum::Json(json!({"access_token": token, "expires_in": 3599, "token_type": "Bearer"}))
        .into_response()
}

fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "Requested entity was not found.",
    )
}

/// `GET /v4/spreadsheets/{id}`: every sheet's title and grid size, the shape asked with
/// `fields=sheets.properties(title,gridProperties(rowCount,columnCount))`. Other fields
/// are not served, whatever `fields` says.
fn metadata(state: &mut Books, id: &str) -> Response {
    let Some(book) = state.books.get(id) else {
        return not_found();
    };
    // Tab order is not kept; sorted, the answer is at least the same every time.
    let mut titles: Vec<&String> = book.keys().collect();
    titles.sort();
    let sheets: Vec<Value> = titles
        .into_iter()
        .map(|title| {
            let grid = &book[title];
            let rows = grid.len().max(1000);
            let columns = grid.iter().map(Vec::len).max().unwrap_or(0).max(26);
            json!({"properties": {
                "title": title,
                "gridProperties": {"rowCount": rows, "columnCount": columns},
            }})
        })
        .collect();
    state.stats.metadata += 1;
    axum::Json(json!({ "sheets": sheets })).into_response()
}

/// A range's ValueRange: the sheet's rows and columns inside its bounds, ragged. `None`
/// when the range or its sheet makes no sense (Google's 400 "Unable to parse range").
fn range_values(book: &HashMap<String, Grid>, range_text: &str) -> Option<Value> {
    let range = Range::parse(range_text)?;
    let grid = book.get(&range.sheet)?;
    let first_row = range.first_row.unwrap_or(1) as usize;
    let last_row = range.last_row.map_or(usize::MAX, |r| r as usize);
    let first_col = range.first_column.unwrap_or(1) as usize;
    let last_col = range.last_column.map_or(usize::MAX, |c| c as usize);
    let rows = grid
        .get(first_row - 1..last_row.min(grid.len()))
        .unwrap_or_default()
        .iter()
        .map(|row| {
            let start = (first_col - 1).min(row.len());
            let end = last_col.min(row.len()).max(start);
            &row[start..end]
        });
    let values = ragged(rows);
    let mut body = json!({"range": range.to_string(), "majorDimension": "ROWS"});
    if !values.is_empty() {
        body["values"] = json!(values);
    }
    Some(body)
}

fn read(state: &mut Books, id: &str, range_text: &str) -> Response {
    let Some(book) = state.books.get(id) else {
        return not_found();
    };
    let Some(body) = range_values(book, range_text) else {
        return bad_range(range_text);
    };
    state.stats.reads += 1;
    axum::Json(body).into_response()
}

/// `GET values:batchGet?ranges=..&ranges=..`: one ValueRange per range, in order; one bad
/// range fails the whole request, as with Google.
fn batch_get(state: &mut Books, id: &str, ranges: &[&str]) -> Response {
    let Some(book) = state.books.get(id) else {
        return not_found();
    };
    let mut value_ranges = Vec::with_capacity(ranges.len());
    for range in ranges {
        let Some(value_range) = range_values(book, range) else {
            return bad_range(range);
        };
        value_ranges.push(value_range);
    }
    state.stats.reads += 1;
    axum::Json(json!({"spreadsheetId": id, "valueRanges": value_ranges})).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchUpdate {
    value_input_option: Option<String>,
    #[serde(default)]
    data: Vec<DataRange>,
}

#[derive(Deserialize)]
struct DataRange {
    range: String,
    #[serde(default)]
    values: Vec<Vec<Value>>,
}

fn write(state: &mut Books, id: &str, body: &[u8]) -> Response {
    let request: BatchUpdate = match serde_json::from_slice(body) {
        Ok(request) => request,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "INVALID_ARGUMENT",
                &format!("Invalid JSON payload: {e}"),
            );
        }
    };
    let Some(option) = request.value_input_option else {
        return error(
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            "'valueInputOption' is required but not specified",
        );
    };
    if option != "RAW" && option != "USER_ENTERED" {
        return error(
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            &format!("Invalid valueInputOption: {option}"),
        );
    }
    let Some(book) = state.books.get_mut(id) else {
        return not_found();
    };
    // Check every range first: Google applies all of a batch or none of it.
    let mut placed = Vec::new();
    for data in &request.data {
        let Some(range) = Range::parse(&data.range) else {
            return bad_range(&data.range);
        };
        if !book.contains_key(&range.sheet) {
            return bad_range(&data.range);
        }
        let row = range.first_row.unwrap_or(1) as usize;
        let column = range.first_column.unwrap_or(1) as usize;
        let height = range
            .last_row
            .map_or(usize::MAX, |r| (r as usize + 1).saturating_sub(row));
        let width = range
            .last_column
            .map_or(usize::MAX, |c| (c as usize + 1).saturating_sub(column));
        if data.values.len() > height || data.values.iter().any(|r| r.len() > width) {
            return error(
                StatusCode::BAD_REQUEST,
                "INVALID_ARGUMENT",
                &format!(
                    "Requested writing within range [{}], but tried writing more rows or columns",
                    data.range
                ),
            );
        }
        placed.push((range.sheet, row, column, &data.values));
    }
    let (mut rows, mut cells) = (0u64, 0u64);
    for (sheet, row, column, values) in placed {
        let grid = book.get_mut(&sheet).expect("checked above");
        for (i, line) in values.iter().enumerate() {
            let r = row - 1 + i;
            if grid.len() <= r {
                grid.resize_with(r + 1, Vec::new);
            }
            let target = &mut grid[r];
            for (j, value) in line.iter().enumerate() {
                let c = column - 1 + j;
                if target.len() <= c {
                    target.resize(c + 1, String::new());
                }
                target[c] = match value {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                cells += 1;
            }
            rows += 1;
        }
    }
    state.stats.writes += 1;
    state.writes.push(WriteLog {
        at: Instant::now(),
        spreadsheet: id.to_owned(),
        body_bytes: body.len(),
        value_input_option: option,
        ranges: request.data.iter().map(|d| d.range.clone()).collect(),
    });
    axum::Json(json!({
        "spreadsheetId": id,
        "totalUpdatedRows": rows,
        "totalUpdatedCells": cells,
        "responses": [],
    }))
    .into_response()
}

/// Rows without their trailing empty cells, and without trailing empty rows.
fn ragged<'a>(rows: impl Iterator<Item = &'a [String]>) -> Grid {
    let mut out: Grid = rows
        .map(|row| {
            let len = row.iter().rposition(|c| !c.is_empty()).map_or(0, |i| i + 1);
            row[..len].to_vec()
        })
        .collect();
    while out.last().is_some_and(Vec::is_empty) {
        out.pop();
    }
    out
}

/// A query string's `name=value` pairs, decoded as a form is (`+` is a space): how reqwest
/// encodes `.query(..)`, and how Google reads it. `None` for bad percent-encoding.
fn query_pairs(query: &str) -> Option<Vec<(String, String)>> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |text: &str| percent_decode(&text.replace('+', " "));
            Some((decode(name)?, decode(value)?))
        })
        .collect()
}

/// `%XX` → the byte; the result must be UTF-8.
fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}
