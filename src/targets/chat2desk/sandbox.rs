//! A local Chat2Desk: the same contract (`shared/specs/chat2desk.md`, via `api.rs`), in
//! memory, with a few channels and tags. Users rehearse a load against it; tests run
//! against it, with faults injected on purpose.
//!
//! Beyond the spec, `GET /sandbox/clients` lists every client and `GET /sandbox/stats`
//! counts requests by endpoint. Neither needs the token, and neither counts as a request.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::time::Instant;

use super::super::sandbox_kit::{FaultQueue, chance, dropped_answer, endpoint, html_error};
use super::api::{
    AssignTags, Channel, ClientChannel, ClientRecord, ClientTag, ClientUpdate, NewClient, Tag,
};

/// How the sandbox behaves.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub token: String,
    /// Requests per second before it answers 429 (`None`: no limit), kept as an API
    /// gateway keeps it: a strict sliding window (`window::SlidingWindow::per_second`) of
    /// `rate` rounded (at least one) requests in any one second, with no burst allowance.
    /// The 429 says `Retry-After` in whole seconds.
    pub rate: Option<f64>,
    pub latency: Duration,
    /// Share of requests that fail with a 5xx: half before the write is applied, half after
    /// (the answer is lost, the write is not).
    pub fail_rate: f64,
    /// Free requests left this month (`api_calls`); at zero every request is refused.
    pub quota: u64,
    /// How far the account looks like the live ones public clients show.
    pub quirks: Quirks,
}

/// What live accounts do that the spec's examples do not show (`shared/specs/chat2desk.md`,
/// "What real accounts show…"), each to be played on its own or all at once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quirks {
    /// Channels as a WhatsApp Business account has them: «Продажи» on `wa_dialog`,
    /// `tg_user` and `vkontakte` without e-mail, «Поддержка» on `whatsapp` and `viber`,
    /// and «Почта» with e-mail alone.
    pub business_channels: bool,
    /// `GET /v1/help/transports` as objects (`{"name": …, "title": …}`), with a null entry.
    pub object_transports: bool,
    /// `api_info` as a 2025 account answers it: no `api_calls`, no `requests_this_month`.
    pub no_allowance: bool,
    /// Numbers (ids, counts) as strings.
    pub numbers_as_strings: bool,
    /// Clients already in the account carry a comment that reads like an error ("You need
    /// to auth…"), and the company's name too.
    pub error_like_text: bool,
    /// A 5xx comes as a proxy's HTML page.
    pub html_errors: bool,
}

impl Quirks {
    /// Every quirk at once: the sandbox "like a real account".
    pub const ALL: Quirks = Quirks {
        business_channels: true,
        object_transports: true,
        no_allowance: true,
        numbers_as_strings: true,
        error_like_text: true,
        html_errors: true,
    };

    /// The names `--quirks` takes, each with the quirk it sets.
    pub const NAMES: [&str; 6] = [
        "business-channels",
        "object-transports",
        "no-allowance",
        "numbers-as-strings",
        "error-like-text",
        "html-errors",
    ];

    /// `all`, or names from `NAMES` separated by commas.
    pub fn parse(text: &str) -> Result<Quirks, String> {
        let mut quirks = Quirks::default();
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name {
                "all" => quirks = Quirks::ALL,
                "business-channels" => quirks.business_channels = true,
                "object-transports" => quirks.object_transports = true,
                "no-allowance" => quirks.no_allowance = true,
                "numbers-as-strings" => quirks.numbers_as_strings = true,
                "error-like-text" => quirks.error_like_text = true,
                "html-errors" => quirks.html_errors = true,
                other => {
                    return Err(format!(
                        "unknown quirk `{other}`: use all or {}",
                        Quirks::NAMES.join(", ")
                    ));
                }
            }
        }
        Ok(quirks)
    }
}

/// The comment an existing client carries under `error_like_text`: a successful answer
/// can hold any text a person typed.
pub const ERROR_LIKE_COMMENT: &str =
    "You need to auth in the app again — token is not correct on his phone; too many requests";

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            token: "sandbox-token".to_owned(),
            rate: None,
            latency: Duration::ZERO,
            fail_rate: 0.0,
            quota: 100_000,
            quirks: Quirks::default(),
        }
    }
}

/// A fault a test asks for, served to the next request that matches.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// 500 before anything is applied.
    ServerError,
    /// The write is applied, then 502: the answer is lost.
    BadGatewayAfterApply,
    /// The write is applied, then the connection drops in the middle of the answer.
    DropAfterApply,
    /// 429, with or without `Retry-After` (seconds).
    TooManyRequests { retry_after: Option<u64> },
    /// "Number of API requests exceeded": the month's allowance is gone from now on.
    QuotaExceeded,
    /// The duplicate answer without the existing client's id (an answer the spec does not
    /// promise to carry it): `{"errors":{"client":["client already exist"]}}`.
    DuplicateWithoutId,
}

/// Requests counted by endpoint, as the sandbox saw them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// `"POST /v1/clients"` → count (ids in paths are written `{id}`).
    pub requests: BTreeMap<String, u64>,
    pub total: u64,
    pub rate_limited: u64,
    pub quota_left: u64,
}

#[derive(Debug)]
struct Account {
    channels: Vec<Channel>,
    transports: Vec<String>,
    tags: Vec<Tag>,
    clients: BTreeMap<u64, StoredClient>,
    by_phone: HashMap<String, u64>,
    next_id: u64,
    stats: Stats,
    faults: FaultQueue<Fault>,
    quota_exceeded: bool,
    /// The rate limit, a strict sliding window (`None`: no limit).
    rate_window: Option<super::window::SlidingWindow>,
}

/// A client as the sandbox keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredClient {
    pub id: u64,
    pub phone: String,
    pub assigned_name: Option<String>,
    pub comment: Option<String>,
    /// (channel id, transport) dialogs opened with it.
    pub dialogs: Vec<(u64, String)>,
    pub tag_ids: Vec<u64>,
}

impl StoredClient {
    fn record(&self, tags: &[Tag]) -> ClientRecord {
        ClientRecord {
            id: self.id,
            assigned_name: self.assigned_name.clone(),
            comment: self.comment.clone(),
            phone: Some(self.phone.clone()),
            tags: self
                .tag_ids
                .iter()
                .map(|id| ClientTag {
                    id: *id,
                    label: tags.iter().find(|t| t.id == *id).map(|t| t.label.clone()),
                })
                .collect(),
            channels: {
                let mut channels: Vec<ClientChannel> = Vec::new();
                for (channel, transport) in &self.dialogs {
                    match channels.iter_mut().find(|c| c.id == *channel) {
                        Some(entry) => entry.transports.push(transport.clone()),
                        None => channels.push(ClientChannel {
                            id: *channel,
                            transports: vec![transport.clone()],
                        }),
                    }
                }
                channels
            },
        }
    }
}

struct Shared {
    config: SandboxConfig,
    account: Mutex<Account>,
}

/// A running sandbox.
#[derive(Clone)]
pub struct Sandbox {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Sandbox {
    /// Binds `addr` (port 0 for any free port) and serves until the runtime ends.
    pub async fn start(addr: SocketAddr, config: SandboxConfig) -> std::io::Result<Sandbox> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            account: Mutex::new(shaped(Account::seeded(config.rate), &config.quirks)),
            config,
        });
        let app = router(shared.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Sandbox { addr, shared })
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn token(&self) -> &str {
        &self.shared.config.token
    }

    /// Every client, by id.
    pub fn clients(&self) -> Vec<StoredClient> {
        self.lock().clients.values().cloned().collect()
    }

    pub fn stats(&self) -> Stats {
        let mut stats = self.lock().stats.clone();
        stats.quota_left = self.shared.config.quota.saturating_sub(stats.total);
        stats
    }

    pub fn tags(&self) -> Vec<Tag> {
        self.lock().tags.clone()
    }

    /// Adds a client as if it were in the account before the load.
    pub fn insert_client(&self, phone: &str, name: Option<&str>, comment: Option<&str>) -> u64 {
        // Reached, as most clients of an account are, on its first channel's first messenger.
        let dialog = {
            let account = self.lock();
            account
                .channels
                .first()
                .and_then(|c| Some((c.id, c.transports.first()?.clone())))
        };
        self.insert_client_on(phone, name, comment, dialog.into_iter().collect())
    }

    /// Adds a client reached on exactly these (channel, transport) dialogs.
    pub fn insert_client_on(
        &self,
        phone: &str,
        name: Option<&str>,
        comment: Option<&str>,
        dialogs: Vec<(u64, String)>,
    ) -> u64 {
        let error_like = self.shared.config.quirks.error_like_text;
        let mut account = self.lock();
        let id = account.next_id;
        account.next_id += 1;
        account.by_phone.insert(phone.to_owned(), id);
        account.clients.insert(
            id,
            StoredClient {
                id,
                phone: phone.to_owned(),
                assigned_name: name.map(str::to_owned),
                comment: comment
                    .map(str::to_owned)
                    .or_else(|| error_like.then(|| ERROR_LIKE_COMMENT.to_owned())),
                dialogs,
                tag_ids: Vec::new(),
            },
        );
        id
    }

    /// Deletes a client, as an operator might in the account.
    pub fn delete_client(&self, id: u64) {
        let mut account = self.lock();
        if let Some(client) = account.clients.remove(&id) {
            account.by_phone.remove(&client.phone);
        }
    }

    /// Serves `fault` to the next `times` requests of `method` whose path starts with `path`.
    pub fn inject(&self, method: Method, path: &str, fault: Fault, times: u32) {
        self.lock().faults.push(method, path, fault, times);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Account> {
        self.shared.account.lock().expect("sandbox lock")
    }
}

impl Account {
    fn seeded(rate: Option<f64>) -> Account {
        let transports: Vec<String> = [
            "whatsapp", "viber", "telegram", "sms", "email", "vk", "widget",
        ]
        .map(str::to_owned)
        .to_vec();
        let channel = |id, name: &str, phone: &str| Channel {
            id,
            name: name.to_owned(),
            phone: Some(phone.to_owned()),
            transports: transports.clone(),
        };
        let tags = [
            "vip",
            "вебинар",
            "новый",
            "повторный",
            "партнёры",
            "b2b",
            "подписчик",
            "клиент",
        ]
        .iter()
        .enumerate()
        .map(|(i, label)| Tag {
            id: i as u64 + 1,
            label: (*label).to_owned(),
            description: Some(String::new()),
            group_id: Some(1),
            group_name: Some("Маркетинг".to_owned()),
        })
        .collect();
        Account {
            channels: vec![
                channel(1, "Продажи", "79990000001"),
                channel(2, "Поддержка", "79990000002"),
            ],
            transports,
            tags,
            clients: BTreeMap::new(),
            by_phone: HashMap::new(),
            next_id: 1001,
            stats: Stats::default(),
            faults: FaultQueue::default(),
            quota_exceeded: false,
            rate_window: rate.map(super::window::SlidingWindow::per_second),
        }
    }

    /// Admits a request under the rate limit, or says how long until one would be.
    fn within_rate(&mut self) -> Result<(), Duration> {
        match &mut self.rate_window {
            Some(window) => window.admit(Instant::now()),
            None => Ok(()),
        }
    }
}

fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route("/v1/companies/api_info", get(api_info))
        .route("/v1/help/transports", get(transports))
        .route("/v1/channels", get(channels))
        .route("/v1/tags", get(tags))
        .route("/v1/tags/assign_to", post(assign_to))
        .route("/v1/tags/{tag_id}/delete_from", delete(delete_from))
        .route("/v1/clients", get(find_clients).post(create_client))
        .route("/v1/clients/{id}", get(get_client).put(update_client))
        .layer(middleware::from_fn_with_state(shared.clone(), gate));
    Router::new()
        .route("/sandbox/clients", get(inspect_clients))
        .route("/sandbox/stats", get(inspect_stats))
        .merge(api)
        .with_state(shared)
}

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"status":"error","message":message})),
    )
        .into_response()
}

fn success(data: Value) -> Response {
    axum::Json(json!({"status":"success","data":data})).into_response()
}

/// Everything a real account does before a handler runs: count the request against the
/// month, check the token, the quota and the rate; then serve injected faults.
async fn gate(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    if !shared.config.latency.is_zero() {
        tokio::time::sleep(shared.config.latency).await;
    }
    let fault = {
        let mut account = shared.account.lock().expect("sandbox lock");
        // "Every request, failed ones included, counts against the company's monthly API
        // allowance."
        *account
            .stats
            .requests
            .entry(endpoint(&method, &path))
            .or_default() += 1;
        account.stats.total += 1;
        let token = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if token != Some(shared.config.token.as_str()) {
            return error(StatusCode::UNAUTHORIZED, "Token is not correct");
        }
        if account.quota_exceeded || account.stats.total > shared.config.quota {
            return error(StatusCode::FORBIDDEN, "Number of API requests exceeded");
        }
        if let Err(wait) = account.within_rate() {
            account.stats.rate_limited += 1;
            let mut response = error(StatusCode::TOO_MANY_REQUESTS, "Too many requests");
            // Whole seconds, rounded up: with a one-second window, always `1`.
            let seconds = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
            return response;
        }
        let fault = account.faults.take(&method, &path);
        if fault == Some(Fault::QuotaExceeded) {
            account.quota_exceeded = true;
        }
        fault.or_else(|| random_fault(shared.config.fail_rate))
    };
    match fault {
        None => with_quirks(next.run(request).await, &shared.config.quirks).await,
        Some(Fault::ServerError) => {
            with_quirks(
                error(StatusCode::INTERNAL_SERVER_ERROR, "Internal error"),
                &shared.config.quirks,
            )
            .await
        }
        Some(Fault::QuotaExceeded) => {
            error(StatusCode::FORBIDDEN, "Number of API requests exceeded")
        }
        Some(Fault::DuplicateWithoutId) => (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"status": "error", "errors": {"client": ["client already exist"]}})),
        )
            .into_response(),
        Some(Fault::TooManyRequests { retry_after }) => {
            shared
                .account
                .lock()
                .expect("sandbox lock")
                .stats
                .rate_limited += 1;
            let mut response = error(StatusCode::TOO_MANY_REQUESTS, "Too many requests");
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
            }
            response
        }
        Some(Fault::BadGatewayAfterApply) => {
            let _applied = next.run(request).await;
            with_quirks(
                error(StatusCode::BAD_GATEWAY, "Bad gateway"),
                &shared.config.quirks,
            )
            .await
        }
        Some(Fault::DropAfterApply) => {
            let _applied = next.run(request).await;
            dropped_answer()
        }
    }
}

fn random_fault(fail_rate: f64) -> Option<Fault> {
    if !chance(fail_rate) {
        return None;
    }
    Some(if rand::random::<bool>() {
        Fault::ServerError
    } else {
        Fault::BadGatewayAfterApply
    })
}

type AppState = State<Arc<Shared>>;

fn account(shared: &Shared) -> std::sync::MutexGuard<'_, Account> {
    shared.account.lock().expect("sandbox lock")
}

async fn api_info(State(shared): AppState) -> Response {
    let account = account(&shared);
    if shared.config.quirks.no_allowance {
        // "A 2025 live client saw `companyID, partnerID, company_name, admin_email`".
        return success(json!({
            "companyID": 4242,
            "partnerID": null,
            "company_name": "Sandbox",
            "admin_email": "admin@sandbox.example",
        }));
    }
    let left = shared.config.quota.saturating_sub(account.stats.total);
    success(json!({
        "api_calls": left,
        "requests_this_month": account.stats.total,
        "company_name": "Sandbox",
        "mode": "sandbox",
    }))
}

async fn transports(State(shared): AppState) -> Response {
    let transports = account(&shared).transports.clone();
    if shared.config.quirks.object_transports {
        let mut objects: Vec<Value> = transports.iter().map(|t| transport_object(t)).collect();
        objects.push(Value::Null);
        objects.push(json!({"name": null, "title": null}));
        return success(json!(objects));
    }
    success(json!(transports))
}

/// A transport as an object, the other shape the spec allows.
fn transport_object(name: &str) -> Value {
    json!({"name": name, "title": name.to_uppercase()})
}

/// The account as the quirks shape it: channels and transports as on a WhatsApp Business
/// account.
fn shaped(mut account: Account, quirks: &Quirks) -> Account {
    if quirks.business_channels {
        let channel = |id, name: &str, phone: &str, transports: &[&str]| Channel {
            id,
            name: name.to_owned(),
            phone: Some(phone.to_owned()),
            transports: transports.iter().map(|t| (*t).to_owned()).collect(),
        };
        account.channels = vec![
            channel(
                1,
                "Продажи",
                "79990000001",
                &["wa_dialog", "tg_user", "vkontakte", "sms"],
            ),
            channel(2, "Поддержка", "79990000002", &["whatsapp", "viber"]),
            channel(3, "Почта", "79990000003", &["email"]),
        ];
        account.transports = [
            "wa_dialog",
            "tg_user",
            "vkontakte",
            "sms",
            "whatsapp",
            "viber",
            "email",
        ]
        .map(str::to_owned)
        .to_vec();
    }
    account
}

/// A successful answer as the quirks shape it: numbers as strings, a channel's transports
/// as objects.
fn reshaped(mut body: Value, quirks: &Quirks) -> Value {
    if quirks.object_transports
        && let Some(items) = body.get_mut("data").and_then(Value::as_array_mut)
    {
        for item in items {
            if let Some(transports) = item.get_mut("transports").and_then(Value::as_array_mut) {
                for transport in transports.iter_mut() {
                    if let Some(name) = transport.as_str().map(str::to_owned) {
                        *transport = transport_object(&name);
                    }
                }
            }
        }
    }
    if quirks.numbers_as_strings {
        stringify_numbers(&mut body);
    }
    body
}

fn stringify_numbers(value: &mut Value) {
    match value {
        Value::Number(n) => *value = Value::String(n.to_string()),
        Value::Array(items) => items.iter_mut().for_each(stringify_numbers),
        Value::Object(map) => map.values_mut().for_each(stringify_numbers),
        _ => {}
    }
}

/// Applies the quirks to a handler's answer: its JSON reshaped, a 5xx as a proxy's page.
async fn with_quirks(response: Response, quirks: &Quirks) -> Response {
    if quirks.html_errors && response.status().is_server_error() {
        return html_error(response.status());
    }
    if !(quirks.numbers_as_strings || quirks.object_transports) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(json) => {
            let mut response = axum::Json(reshaped(json, quirks)).into_response();
            *response.status_mut() = parts.status;
            response
        }
        Err(_) => Response::from_parts(parts, Body::from(bytes)),
    }
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    limit: Option<usize>,
    offset: Option<usize>,
}

fn paged<T: Serialize>(items: &[T], query: &PageQuery) -> Response {
    let limit = query.limit.unwrap_or(20).clamp(1, 200);
    let offset = query.offset.unwrap_or(0);
    let page: Vec<&T> = items.iter().skip(offset).take(limit).collect();
    axum::Json(json!({
        "status": "success",
        "data": page,
        "meta": {"total": items.len(), "limit": limit, "offset": offset},
    }))
    .into_response()
}

async fn channels(State(shared): AppState, Query(query): Query<PageQuery>) -> Response {
    paged(&account(&shared).channels, &query)
}

async fn tags(State(shared): AppState, Query(query): Query<PageQuery>) -> Response {
    paged(&account(&shared).tags, &query)
}

#[derive(Debug, Deserialize)]
struct PhoneQuery {
    phone: Option<String>,
}

async fn find_clients(State(shared): AppState, Query(query): Query<PhoneQuery>) -> Response {
    let account = account(&shared);
    let found: Vec<ClientRecord> = match query.phone {
        // "Exact match only; `phone` is the only filter that works".
        Some(phone) => account
            .by_phone
            .get(&phone)
            .and_then(|id| account.clients.get(id))
            .map(|c| c.record(&account.tags))
            .into_iter()
            .collect(),
        None => account
            .clients
            .values()
            .take(20)
            .map(|c| c.record(&account.tags))
            .collect(),
    };
    let total = found.len();
    axum::Json(
        json!({"status":"success","data":found,"meta":{"total":total,"limit":20,"offset":0}}),
    )
    .into_response()
}

async fn get_client(State(shared): AppState, Path(id): Path<u64>) -> Response {
    let account = account(&shared);
    match account.clients.get(&id) {
        Some(client) => success(json!(client.record(&account.tags))),
        None => error(StatusCode::NOT_FOUND, "client not found"),
    }
}

fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("bad request: {e}"))
}

async fn create_client(
    State(shared): AppState,
    _headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let new: NewClient = match parse_json(&body) {
        Ok(new) => new,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let mut account = account(&shared);
    if !account.transports.contains(&new.transport) {
        return error(StatusCode::BAD_REQUEST, "transport is incorrect");
    }
    let Some(channel) = account.channels.iter().find(|c| c.id == new.channel_id) else {
        return error(StatusCode::BAD_REQUEST, "channel not found");
    };
    if !channel.transports.contains(&new.transport) {
        return error(
            StatusCode::BAD_REQUEST,
            "transport is incorrect for this channel",
        );
    }
    let valid_phone = if new.transport == super::api::EMAIL_TRANSPORT {
        new.phone.contains('@')
    } else {
        !new.phone.is_empty() && new.phone.bytes().all(|b| b.is_ascii_digit())
    };
    if !valid_phone {
        return error(StatusCode::BAD_REQUEST, "phone is incorrect");
    }
    if let Some(&id) = account.by_phone.get(&new.phone) {
        // "No source shows that a rejected duplicate `POST /v1/clients` attaches the existing
        // client to the requested channel and transport": this sandbox does not, so that a
        // loader relying on it fails here first.
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({
                "status": "error",
                "errors": {"client": ["client already exist", json!({"id": id}).to_string()]},
            })),
        )
            .into_response();
    }
    let id = account.next_id;
    account.next_id += 1;
    let client = StoredClient {
        id,
        phone: new.phone.clone(),
        assigned_name: new.nickname.clone(),
        comment: None,
        dialogs: vec![(new.channel_id, new.transport.clone())],
        tag_ids: Vec::new(),
    };
    let record = client.record(&account.tags);
    account.by_phone.insert(new.phone, id);
    account.clients.insert(id, client);
    success(json!(record))
}

async fn update_client(
    State(shared): AppState,
    Path(id): Path<u64>,
    body: axum::body::Bytes,
) -> Response {
    let update: ClientUpdate = match parse_json(&body) {
        Ok(update) => update,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let mut account = account(&shared);
    let tags = account.tags.clone();
    let Some(client) = account.clients.get_mut(&id) else {
        return error(StatusCode::NOT_FOUND, "client not found");
    };
    if let Some(nickname) = update.nickname {
        client.assigned_name = Some(nickname);
    }
    if let Some(comment) = update.comment {
        client.comment = Some(comment);
    }
    success(json!(client.record(&tags)))
}

async fn assign_to(State(shared): AppState, body: axum::body::Bytes) -> Response {
    let assign: AssignTags = match parse_json(&body) {
        Ok(assign) => assign,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let mut account = account(&shared);
    if assign.assignee_type != "client" {
        return error(StatusCode::BAD_REQUEST, "assignee_type is incorrect");
    }
    if let Some(missing) = assign
        .tag_ids
        .iter()
        .find(|id| !account.tags.iter().any(|t| t.id == **id))
    {
        return error(StatusCode::BAD_REQUEST, &format!("tag {missing} not found"));
    }
    let Some(client) = account.clients.get_mut(&assign.assignee_id) else {
        return error(StatusCode::NOT_FOUND, "client not found");
    };
    for id in assign.tag_ids {
        if !client.tag_ids.contains(&id) {
            client.tag_ids.push(id);
        }
    }
    success(json!({}))
}

#[derive(Debug, Deserialize)]
struct DeleteFrom {
    client_id: u64,
}

async fn delete_from(
    State(shared): AppState,
    Path(tag_id): Path<u64>,
    body: axum::body::Bytes,
) -> Response {
    let delete: DeleteFrom = match parse_json(&body) {
        Ok(delete) => delete,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let mut account = account(&shared);
    let Some(client) = account.clients.get_mut(&delete.client_id) else {
        return error(StatusCode::NOT_FOUND, "client not found");
    };
    client.tag_ids.retain(|id| *id != tag_id);
    success(json!({}))
}

async fn inspect_clients(State(shared): AppState) -> Response {
    axum::Json(json!(account(&shared).clients.values().collect::<Vec<_>>())).into_response()
}

async fn inspect_stats(State(shared): AppState) -> Response {
    let sandbox_stats = {
        let account = account(&shared);
        let mut stats = account.stats.clone();
        stats.quota_left = shared.config.quota.saturating_sub(stats.total);
        stats
    };
    axum::Json(json!(sandbox_stats)).into_response()
}
