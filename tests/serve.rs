//! `serve` end to end: the add-on's request, a fake Google Sheets with real cells, the
//! Chat2Desk sandbox, and statuses and client ids back in the sheet.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use contact_loader::serve::config::ApiKey;
use contact_loader::serve::{Config, Server};
use contact_loader::targets::chat2desk::sandbox::{Sandbox, SandboxConfig};
use support::fake_sheets::FakeSheets;

mod support;

const KEY: &str = "ann-0123456789abcdef";
const OTHER_KEY: &str = "bob-0123456789abcdef";
const SPREADSHEET: &str = "1AbC_spreadsheet";
const SHEET: &str = "Контакты для загрузки";
const ROWS: usize = 500;
/// The add-on's OAuth client id: the audience of its users' ID tokens.
const CLIENT_ID: &str = "1234-addon.apps.googleusercontent.com";

fn rows() -> Vec<Vec<String>> {
    let mut rows = vec![vec![
        "Контакт".to_owned(),
        "Имя".to_owned(),
        "Комментарий".to_owned(),
        "Теги".to_owned(),
    ]];
    for i in 0..ROWS {
        // Every tenth row repeats the contact above it; row 7 is not a number.
        let n = if i % 10 == 9 { i - 1 } else { i };
        let contact = if i == 5 {
            "8-999-CALL-NOW".to_owned()
        } else {
            format!(
                "8 (999) 2{:02}-{:02}-{:02}",
                n / 10000,
                (n / 100) % 100,
                n % 100
            )
        };
        rows.push(vec![
            contact,
            format!("Клиент {n}"),
            if n % 2 == 0 {
                "перезвонить".to_owned()
            } else {
                String::new()
            },
            "vip".to_owned(),
        ]);
    }
    rows
}

/// A Chat2Desk sandbox answering after `latency`.
async fn sandbox(latency: Duration) -> Sandbox {
    support::slow_sandbox(latency).await
}

/// `GET /v1/jobs/{id}` as Anna, with a fresh Google token if given.
async fn get_job(api: &str, job_id: &str, sheets_token: Option<&str>) -> Value {
    let mut request = reqwest::Client::new()
        .get(format!("{api}/v1/jobs/{job_id}"))
        .bearer_auth(KEY);
    if let Some(token) = sheets_token {
        request = request.header("X-Sheets-Token", token);
    }
    request.send().await.unwrap().json().await.unwrap()
}

/// `GET {api}{path}` as Anna: the answer's text.
async fn get_text(api: &str, path: &str) -> String {
    support::get_text(&format!("{api}{path}"), KEY).await
}

async fn start(sheets: &FakeSheets, database: String) -> Server {
    start_with_keys(sheets, database, "http://127.0.0.1:9/no-keys").await
}

async fn start_with_keys(sheets: &FakeSheets, database: String, jwks_url: &str) -> Server {
    Server::start(config(sheets, database, jwks_url))
        .await
        .unwrap()
}

/// The tests' server configuration: two API keys, fast pacing, any target host — or, with
/// Google sign-in (`jwks_url`), only the targets' own hosts and the unused port 9.
fn config(sheets: &FakeSheets, database: String, jwks_url: &str) -> Config {
    let google = !jwks_url.ends_with("/no-keys");
    Config {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        database,
        sealing_key: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=".to_owned(),
        api_keys: vec![api_key("ann", KEY), api_key("bob", OTHER_KEY)],
        allow_other_hosts: !google,
        target_base_urls: vec!["http://127.0.0.1:9".to_owned()],
        google_client_ids: if google {
            vec![CLIENT_ID.to_owned()]
        } else {
            Vec::new()
        },
        google_jwks_url: jwks_url.to_owned(),
        sheets_url: sheets.url(),
        workers: 2,
        lease_seconds: 30,
        rate: 300.0,
        concurrency: 4,
        sheets_min_interval_ms: 10,
        ..Config::default()
    }
}

fn api_key(name: &str, key: &str) -> ApiKey {
    ApiKey {
        name: name.to_owned(),
        key: key.to_owned(),
        spreadsheets: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sheet_is_loaded_and_every_row_gets_its_status_and_client_id_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    a_sheet_is_loaded(dir.path().join("serve.sqlite").display().to_string()).await;
}

async fn a_sheet_is_loaded(database: String) {
    let sandbox = sandbox(Duration::ZERO).await;
    let sheets = FakeSheets::start("google-oauth-token").await.unwrap();
    sheets.set_cells(SPREADSHEET, SHEET, rows());
    let server = start(&sheets, database).await;
    let http = reqwest::Client::new();
    let api = server.url();

    let request = request_for(&sandbox, SHEET);
    // No key, no job.
    let refused = http
        .post(format!("{api}/v1/jobs"))
        .json(&request)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);

    let (status, first) = post_job(&api, KEY, &request).await;
    assert_eq!(status, 202);
    let job_id = first["job_id"].as_str().unwrap().to_owned();
    // Pressing again while it runs shows the same job.
    let (status, again) = post_job(&api, KEY, &request).await;
    assert_eq!(status, 200);
    assert_eq!(again["job_id"], job_id.as_str());
    assert_eq!(again["new"], false);
    // Nobody else sees it.
    let hidden = http
        .get(format!("{api}/v1/jobs/{job_id}"))
        .bearer_auth(OTHER_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(hidden.status(), 404);

    let state = wait_for_end(&api, &job_id, Duration::from_secs(60)).await;
    assert_eq!(state["state"], "done", "{state}");
    assert_eq!(state["progress"]["rows"], ROWS);

    let cells = sheets.cells(SPREADSHEET, SHEET).unwrap();
    assert_eq!(cells[0][4], "Статус");
    assert_eq!(cells[0][5], "ID клиента");
    let clients = sandbox.clients();
    assert_eq!(
        clients.len(),
        ROWS - ROWS / 10 - 1,
        "one client per contact"
    );
    for (i, row) in cells.iter().enumerate().skip(1) {
        let status = row.get(4).map(String::as_str).unwrap_or("");
        let client_id = row.get(5).map(String::as_str).unwrap_or("");
        if i == 6 {
            assert!(status.contains("буквы"), "row {}: {status}", i + 1);
            assert_eq!(client_id, "");
        } else if (i - 1) % 10 == 9 {
            assert!(
                status.starts_with("Объединено со строкой"),
                "row {}: {status}",
                i + 1
            );
            assert!(!client_id.is_empty(), "row {}", i + 1);
        } else {
            assert_eq!(status, "Создан", "row {}", i + 1);
            assert!(
                clients.iter().any(|c| c.id.to_string() == client_id),
                "row {}: {client_id}",
                i + 1
            );
        }
    }

    let report = get_text(&api, &format!("/v1/jobs/{job_id}/report.csv")).await;
    assert_eq!(report.lines().count(), ROWS + 1);
    assert!(!report.contains(sandbox.token()));

    // Prometheus sees the job and its rows.
    let metrics = get_text(&api, "/metrics").await;
    assert!(
        metrics.contains("contact_loader_jobs{state=\"done\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains(&format!(
        "contact_loader_rows_total{{status=\"created\"}} {}",
        ROWS - ROWS / 10 - 1
    )));
    // Each submit proves the caller's access with one metadata read; the job reads the
    // sheet in two requests (its size, then its rows) and writes it in batches: what the
    // fake saw is what the server counted.
    let counted: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("contact_loader_sheets_requests_total "))
        .and_then(|n| n.trim().parse().ok())
        .expect("the Sheets requests are counted");
    let seen = sheets.stats();
    assert_eq!(seen.metadata + seen.reads, 2 + 2, "{seen:?}");
    assert_eq!(counted, seen.total, "{seen:?}");
    assert!(seen.writes <= 20, "{seen:?}");

    // This month's usage of the account: every request the job sent.
    let usage: Value = serde_json::from_str(&get_text(&api, "/v1/usage").await).unwrap();
    assert_eq!(
        usage["accounts"][0]["requests"],
        sandbox.stats().total,
        "{usage}"
    );
    assert_eq!(usage["accounts"][0]["label"], "Sandbox");

    // The sidebar's dropdowns.
    let catalog = |token: &str| {
        http.get(format!("{api}/v1/targets/chat2desk/catalog"))
            .bearer_auth(KEY)
            .header("X-Target-Token", token.to_owned())
            .header("X-Target-Base-Url", sandbox.url())
            .send()
    };
    let listed: Value = catalog(sandbox.token())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["channels"][0]["name"], "Продажи", "{listed}");
    assert!(
        listed["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["label"] == "vip")
    );
    let refused = catalog("wrong-token").await.unwrap();
    assert_eq!(refused.status(), 422);
    let text = refused.text().await.unwrap();
    assert!(
        text.contains("not accepted") && !text.contains("wrong-token"),
        "{text}"
    );
    let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(answer["code"], "credentials_refused", "{text}");

    // The sheet's job ended: pressing again starts a new one, which costs the catalog only.
    let before = sandbox.stats().total;
    let (status, next) = post_job(&api, KEY, &request).await;
    assert_eq!(status, 202);
    assert_eq!(next["new"], true);
    let next_id = next["job_id"].as_str().unwrap();
    let job = wait_for_end(&api, next_id, Duration::from_secs(30)).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(sandbox.stats().total - before, 4, "done rows cost nothing");
    let cells = sheets.cells(SPREADSHEET, SHEET).unwrap();
    assert_eq!(cells[1][4], "Без изменений");
    server.stop().await;
}

fn request_for(sandbox: &Sandbox, sheet: &str) -> Value {
    json!({
        "spreadsheet_id": SPREADSHEET,
        "sheet": sheet,
        "mode": "load",
        "target": {
            "kind": "chat2desk",
            "token": sandbox.token(),
            "base_url": sandbox.url(),
            "channel": "Продажи",
            "transport": "whatsapp",
        },
        "sheets_token": "google-oauth-token",
    })
}

/// `POST /v1/jobs` as the holder of `bearer`: the answer's status and body.
async fn post_job(api: &str, bearer: &str, request: &Value) -> (u16, Value) {
    let answer = reqwest::Client::new()
        .post(format!("{api}/v1/jobs"))
        .bearer_auth(bearer)
        .json(request)
        .send()
        .await
        .unwrap();
    (answer.status().as_u16(), answer.json().await.unwrap())
}

/// Submits as Anna; the job's id.
async fn submit(api: &str, request: &Value) -> String {
    let (_, answer) = post_job(api, KEY, request).await;
    answer["job_id"].as_str().unwrap().to_owned()
}

async fn wait_for_end(api: &str, job_id: &str, limit: Duration) -> Value {
    support::wait_for_job(&format!("{api}/v1/jobs/{job_id}"), KEY, limit).await
}

/// No two clients share a phone; `expected` of them.
fn assert_one_client_per_contact(sandbox: &Sandbox, expected: usize) {
    let clients = sandbox.clients();
    let phones: std::collections::HashSet<&str> =
        clients.iter().map(|c| c.phone.as_str()).collect();
    assert_eq!(phones.len(), clients.len(), "no duplicate clients");
    assert_eq!(clients.len(), expected);
}

/// A server stopped in the middle of a job leaves it; the next one resumes it, and the
/// sheet ends with a final status on every row, nothing applied twice.
async fn a_stopped_server_leaves_its_job_to_the_next(database: String) {
    let sandbox = sandbox(Duration::from_millis(20)).await;
    let sheets = FakeSheets::start("google-oauth-token").await.unwrap();
    sheets.set_cells(SPREADSHEET, SHEET, rows());
    let first = start(&sheets, database.clone()).await;
    let job_id = submit(&first.url(), &request_for(&sandbox, SHEET)).await;
    // Stop it once it has made some clients.
    let started = Instant::now();
    while sandbox.clients().len() < 20 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the job starts"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.stop().await;
    let created_before_stop = sandbox.clients().len();
    assert!(
        created_before_stop < ROWS - ROWS / 10 - 1,
        "and had not finished ({created_before_stop})"
    );
    // The sheet holds only final statuses: none says "pending" because the server stopped.
    let cells = sheets.cells(SPREADSHEET, SHEET).unwrap();
    assert!(
        cells
            .iter()
            .all(|row| !row.get(4).is_some_and(|s| s.starts_with("Ожидает"))),
        "{cells:?}"
    );

    let second = start(&sheets, database).await;
    let job = wait_for_end(&second.url(), &job_id, Duration::from_secs(90)).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_one_client_per_contact(&sandbox, ROWS - ROWS / 10 - 1);
    // Honest after the resume: the job made every client, before the stop or after it, and
    // each row says "created" (the ledger knows which job created what).
    let cells = sheets.cells(SPREADSHEET, SHEET).unwrap();
    for (i, row) in cells.iter().enumerate().skip(1) {
        let status = row.get(4).map(String::as_str).unwrap_or("");
        assert!(
            status == "Создан"
                || status.starts_with("Объединено")
                || (i == 6 && status.starts_with("Ошибка")),
            "row {}: {status}",
            i + 1
        );
    }
    assert_eq!(
        job["progress"]["by_status"]["unchanged"],
        Value::Null,
        "{job}"
    );
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_server_leaves_its_job_to_the_next_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    a_stopped_server_leaves_its_job_to_the_next(
        dir.path().join("serve.sqlite").display().to_string(),
    )
    .await;
}

/// Two instances on one database, three sheets with the same contacts for one account:
/// each contact is created once, and nothing is applied twice.
async fn two_instances_never_apply_a_row_twice(database: String) {
    let sandbox = sandbox(Duration::ZERO).await;
    let sheets = FakeSheets::start("google-oauth-token").await.unwrap();
    let names = ["Лист A", "Лист B", "Лист C"];
    for name in names {
        sheets.set_cells(SPREADSHEET, name, rows());
    }
    let one = start(&sheets, database.clone()).await;
    let two = start(&sheets, database).await;
    let mut jobs = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let api = if i % 2 == 0 { one.url() } else { two.url() };
        jobs.push((
            api.clone(),
            submit(&api, &request_for(&sandbox, name)).await,
        ));
    }
    for (api, job_id) in &jobs {
        let job = wait_for_end(api, job_id, Duration::from_secs(90)).await;
        assert_eq!(job["state"], "done", "{job}");
    }
    let unique = ROWS - ROWS / 10 - 1;
    assert_one_client_per_contact(&sandbox, unique);
    let stats = sandbox.stats();
    assert_eq!(
        stats.requests["POST /v1/clients"], unique as u64,
        "one create per contact, over three sheets and two instances"
    );
    one.stop().await;
    two.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_never_apply_a_row_twice_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    two_instances_never_apply_a_row_twice(dir.path().join("serve.sqlite").display().to_string())
        .await;
}

/// With `scripts/test`, the same on the machine's PostgreSQL: one after another, since
/// every server's workers take any job they find in the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_works_on_postgres() {
    let Ok(url) = std::env::var("CONTACT_LOADER_TEST_POSTGRES_SERVE") else {
        eprintln!("skipped PostgreSQL: CONTACT_LOADER_TEST_POSTGRES_SERVE is not set");
        return;
    };
    a_sheet_is_loaded(url.clone()).await;
    a_stopped_server_leaves_its_job_to_the_next(url.clone()).await;
    two_instances_never_apply_a_row_twice(url).await;
}

mod google_id_tokens {
    use super::support::oidc::{KEY_ID, jwks, key, signing_key, token};
    use super::*;

    fn good(sub: &str) -> String {
        super::support::oidc::id_token(sub, CLIENT_ID)
    }

    async fn status(api: &str, path: &str, bearer: &str) -> u16 {
        reqwest::Client::new()
            .get(format!("{api}{path}"))
            .bearer_auth(bearer)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn id_tokens_are_verified_and_jobs_stay_with_their_user() {
        let jwks_url = jwks().await;
        let sheets = FakeSheets::start("google-oauth-token").await.unwrap();
        sheets.set_cells(SPREADSHEET, SHEET, rows());
        let dir = tempfile::tempdir().unwrap();
        let server = start_with_keys(
            &sheets,
            dir.path().join("s.sqlite").display().to_string(),
            &jwks_url,
        )
        .await;
        let api = server.url();
        // Authenticated, no such job.
        assert_eq!(status(&api, "/v1/jobs/none", &good("anna")).await, 404);
        let other = key(include_bytes!("fixtures/oidc-other-key.pem"));
        for (why, bad) in [
            (
                "expired",
                token(
                    "anna",
                    CLIENT_ID,
                    "https://accounts.google.com",
                    -600,
                    &signing_key(),
                    KEY_ID,
                ),
            ),
            (
                "another audience",
                token(
                    "anna",
                    "other.apps.googleusercontent.com",
                    "accounts.google.com",
                    3600,
                    &signing_key(),
                    KEY_ID,
                ),
            ),
            (
                "another issuer",
                token(
                    "anna",
                    CLIENT_ID,
                    "https://evil.example",
                    3600,
                    &signing_key(),
                    KEY_ID,
                ),
            ),
            (
                "signed by another key",
                token(
                    "anna",
                    CLIENT_ID,
                    "accounts.google.com",
                    3600,
                    &other,
                    KEY_ID,
                ),
            ),
            (
                "an unknown key id",
                token(
                    "anna",
                    CLIENT_ID,
                    "accounts.google.com",
                    3600,
                    &signing_key(),
                    "nope",
                ),
            ),
            ("not a token", "not.a.token".to_owned()),
        ] {
            assert_eq!(status(&api, "/v1/jobs/none", &bad).await, 401, "{why}");
        }

        // A check job of Anna's: visible to her, not to Boris.
        let request = json!({
            "spreadsheet_id": SPREADSHEET, "sheet": SHEET, "mode": "check",
            "target": {"kind": "chat2desk", "token": "t", "base_url": "http://127.0.0.1:9"},
            "sheets_token": "google-oauth-token",
        });
        let (_, answer) = post_job(&api, &good("anna"), &request).await;
        let job_id = answer["job_id"].as_str().unwrap();
        assert_eq!(
            status(&api, &format!("/v1/jobs/{job_id}"), &good("anna")).await,
            200
        );
        assert_eq!(
            status(&api, &format!("/v1/jobs/{job_id}"), &good("boris")).await,
            404
        );
        assert_eq!(status(&api, &format!("/v1/jobs/{job_id}"), KEY).await, 404);

        // A check job reports every row, with the reason of each invalid one.
        let started = Instant::now();
        let report = loop {
            let answer = reqwest::Client::new()
                .get(format!("{api}/v1/jobs/{job_id}/report.csv"))
                .bearer_auth(good("anna"))
                .send()
                .await
                .unwrap();
            if answer.status() == 200 {
                break answer.text().await.unwrap();
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the check ends"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(report.lines().count(), ROWS + 1);
        let letters = report.lines().find(|l| l.starts_with("7,")).unwrap();
        assert!(
            letters.starts_with("7,invalid,") && letters.contains("буквы"),
            "{letters}"
        );
        assert!(report.lines().any(|l| l.starts_with("2,ready,")));
        server.stop().await;
    }
}

/// A job whose user's Google token expired once it had read the sheet, now waiting for a
/// fresh one with its contacts loaded and nothing written: the sheet (which takes only
/// `a-fresh-token` now), the server, its address and the job's id.
async fn a_job_waiting_for_a_fresh_token(
    dir: &std::path::Path,
) -> (Sandbox, FakeSheets, Server, String, String) {
    let sandbox = sandbox(Duration::from_millis(20)).await;
    let sheets = FakeSheets::start("google-oauth-token").await.unwrap();
    sheets.set_cells(SPREADSHEET, SHEET, rows());
    let server = start(&sheets, dir.join("s.sqlite").display().to_string()).await;
    let api = server.url();
    let job_id = submit(&api, &request_for(&sandbox, SHEET)).await;
    // Once the job has read the sheet, the user's token expires.
    let started = Instant::now();
    while sandbox.clients().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the job starts"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sheets.set_token("a-fresh-token");
    // The job finishes its contacts and waits: still running, nothing written.
    let started = Instant::now();
    while sandbox.clients().len() < ROWS - ROWS / 10 - 1 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the contacts are loaded"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let job = get_job(&api, &job_id, None).await;
    assert_eq!(job["state"], "running", "{job}");
    assert_eq!(
        sheets.cells(SPREADSHEET, SHEET).unwrap()[1].len(),
        4,
        "no status yet"
    );
    (sandbox, sheets, server, api, job_id)
}

/// A Google token that expires while a job runs: the statuses wait, and go out with the
/// fresh token the add-on sends with its next poll.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_google_token_holds_the_statuses_until_a_fresh_one_comes() {
    let dir = tempfile::tempdir().unwrap();
    let (_sandbox, sheets, server, api, job_id) = a_job_waiting_for_a_fresh_token(dir.path()).await;
    // The add-on polls with the fresh token.
    let job = get_job(&api, &job_id, Some("a-fresh-token")).await;
    assert_ne!(job["state"], "failed", "{job}");
    let job = wait_for_end(&api, &job_id, Duration::from_secs(30)).await;
    assert_eq!(job["state"], "done", "{job}");
    let cells = sheets.cells(SPREADSHEET, SHEET).unwrap();
    assert_eq!(cells[1][4], "Создан");
    server.stop().await;
}

/// The wait for a fresh token (up to 90 minutes: the add-on's hourly trigger brings one)
/// does not hold a stopping server: the job is left for the next one, no row marked pending.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_server_does_not_wait_for_a_fresh_google_token() {
    let dir = tempfile::tempdir().unwrap();
    let (_sandbox, sheets, server, _api, _job_id) =
        a_job_waiting_for_a_fresh_token(dir.path()).await;
    let stopping = Instant::now();
    server.stop().await;
    assert!(
        stopping.elapsed() < Duration::from_secs(10),
        "stopped in {:?}",
        stopping.elapsed()
    );
    let cells = sheets.cells(SPREADSHEET, SHEET).unwrap();
    assert!(cells.iter().all(|row| row.len() == 4), "{cells:?}");
}

/// Statuses go into the sheet while the job runs, not only at its end; the header may sit
/// below blank rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_appear_in_the_sheet_while_the_job_runs() {
    let sandbox = sandbox(Duration::from_millis(15)).await;
    let sheets = FakeSheets::start("google-oauth-token").await.unwrap();
    let mut cells = vec![Vec::new(), vec![String::new()]];
    cells.extend(rows());
    sheets.set_cells(SPREADSHEET, SHEET, cells);
    let dir = tempfile::tempdir().unwrap();
    let server = start(&sheets, dir.path().join("s.sqlite").display().to_string()).await;
    let api = server.url();
    let job_id = submit(&api, &request_for(&sandbox, SHEET)).await;

    let started = Instant::now();
    let (seen_running, counted_running) = loop {
        let job = get_job(&api, &job_id, None).await;
        let written = sheets.cells(SPREADSHEET, SHEET).unwrap()[3..]
            .iter()
            .filter(|row| row.get(4).is_some_and(|s| s == "Создан"))
            .count();
        if job["state"] != "running" && job["state"] != "queued" {
            panic!("the job ended before any status was seen mid-run: {job}");
        }
        let created = job["progress"]["by_status"]["created"]
            .as_u64()
            .unwrap_or(0);
        if written > 0 && created > 0 {
            break (written, created);
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{job}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(seen_running < ROWS, "{seen_running} rows written mid-run");
    assert!(counted_running > 0);

    let job = wait_for_end(&api, &job_id, Duration::from_secs(60)).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(
        job["progress"]["by_status"]["created"],
        ROWS - ROWS / 10 - 1
    );
    let cells = sheets.cells(SPREADSHEET, SHEET).unwrap();
    assert_eq!(cells[2][4], "Статус", "the header row is row 3");
    assert_eq!(cells[2][5], "ID клиента");
    assert!(
        cells[..2].iter().all(|row| row.is_empty()),
        "{:?}",
        &cells[..2]
    );
    for (i, row) in cells.iter().enumerate().skip(3) {
        assert!(
            row.get(4).is_some_and(|s| !s.is_empty()),
            "row {} has a status",
            i + 1
        );
    }
    server.stop().await;
}

/// A load that would go past the month's free requests is refused before any write, with
/// the numbers; sent again with `allow_paid`, it runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_load_waits_for_consent_with_its_estimate() {
    let sandbox = Sandbox::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        SandboxConfig {
            quota: 200,
            ..SandboxConfig::default()
        },
    )
    .await
    .unwrap();
    let sheets = FakeSheets::start("google-oauth-token").await.unwrap();
    sheets.set_cells(SPREADSHEET, SHEET, rows());
    let dir = tempfile::tempdir().unwrap();
    let server = start(&sheets, dir.path().join("s.sqlite").display().to_string()).await;
    let api = server.url();
    let mut request = request_for(&sandbox, SHEET);

    // Without the user's Google token this server (no service account) cannot open the sheet.
    let mut tokenless = request.clone();
    tokenless.as_object_mut().unwrap().remove("sheets_token");
    let (status, answer) = post_job(&api, KEY, &tokenless).await;
    assert_eq!(status, 422, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("sheets_token"));

    let job_id = submit(&api, &request).await;
    let job = wait_for_end(&api, &job_id, Duration::from_secs(30)).await;
    assert_eq!(job["state"], "failed", "{job}");
    assert_eq!(job["mode"], "load");
    let estimate = &job["estimate"];
    let needed = estimate["requests"].as_u64().unwrap();
    let left = estimate["free_left"].as_u64().unwrap();
    assert!(needed > left, "{estimate}");
    assert_eq!(estimate["paid"].as_u64().unwrap(), needed - left);
    assert!(estimate["cost_rub"].as_f64().unwrap() > 0.0);
    assert!(
        job["error"]
            .as_str()
            .unwrap()
            .contains("Nothing was loaded")
    );
    assert_eq!(job["error_code"], "consent_needed", "{job}");
    assert!(sandbox.clients().is_empty(), "nothing written");
    assert_documented(&job);
    assert_eq!(sheets.cells(SPREADSHEET, SHEET).unwrap()[1].len(), 4);

    // This account has no postpay: with consent the load runs until Chat2Desk stops it,
    // and the rows it did not reach wait, saying why.
    request["allow_paid"] = json!(true);
    let job_id = submit(&api, &request).await;
    let job = wait_for_end(&api, &job_id, Duration::from_secs(60)).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["estimate"], Value::Null);
    assert_eq!(job["error_code"], Value::Null);
    let created = job["progress"]["by_status"]["created"].as_u64().unwrap();
    // A client whose create went through just before the stop, and whose next step did
    // not, waits too (the ledger knows it: the next run does not create it again).
    let clients = sandbox.clients().len() as u64;
    assert!(
        (created..=created + 4).contains(&clients),
        "{clients} clients"
    );
    assert!(created > 0 && job["progress"]["by_status"]["pending"].as_u64().unwrap() > 0);
    assert!(
        job["progress"]["stopped"]
            .as_str()
            .unwrap()
            .contains("exceeded"),
        "{job}"
    );
    assert_documented(&job);
    let cells = sheets.cells(SPREADSHEET, SHEET).unwrap();
    assert!(
        cells
            .iter()
            .skip(1)
            .all(|row| row.get(4).is_some_and(|s| !s.is_empty()))
    );
    assert!(
        cells
            .iter()
            .any(|row| row.get(4).is_some_and(|s| s.starts_with("Ожидает")))
    );
    server.stop().await;
}

/// A deployment with a service account: jobs sent without the user's token open the sheet
/// as the account, and a sheet not shared with it fails with what to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_account_opens_the_sheets_shared_with_it() {
    const EMAIL: &str = "loader@project.iam.gserviceaccount.com";
    let sandbox = sandbox(Duration::ZERO).await;
    let sheets = FakeSheets::start("google-oauth-token").await.unwrap();
    sheets.set_cells(SPREADSHEET, SHEET, rows());
    sheets.set_cells("not-shared", SHEET, rows());
    let dir = tempfile::tempdir().unwrap();
    let key_file = support::service_account_key(&sheets, EMAIL, dir.path());
    sheets.share(SPREADSHEET);

    let mut config = config(
        &sheets,
        dir.path().join("s.sqlite").display().to_string(),
        "http://127.0.0.1:9/no-keys",
    );
    config.google_service_account_key = Some(key_file.display().to_string());
    // Anna's key may have the service account open these two spreadsheets, and no other.
    config.api_keys[0].spreadsheets = vec![SPREADSHEET.to_owned(), "not-shared".to_owned()];
    let server = Server::start(config).await.unwrap();
    let api = server.url();

    let mut request = request_for(&sandbox, SHEET);
    request.as_object_mut().unwrap().remove("sheets_token");
    let job_id = submit(&api, &request).await;
    let job = wait_for_end(&api, &job_id, Duration::from_secs(60)).await;
    assert_eq!(job["state"], "done", "{job}");
    let cells = sheets.cells(SPREADSHEET, SHEET).unwrap();
    assert_eq!(cells[1][4], "Создан");

    // Bob's key lists no spreadsheet: without his own Google token the service account
    // does nothing for him, not even say whether the sheet exists.
    let (status, answer) = post_job(&api, OTHER_KEY, &request).await;
    assert_eq!(status, 403, "{answer}");
    assert!(
        answer["error"].as_str().unwrap().contains("spreadsheets"),
        "{answer}"
    );

    request["spreadsheet_id"] = json!("not-shared");
    let job_id = submit(&api, &request).await;
    let job = wait_for_end(&api, &job_id, Duration::from_secs(30)).await;
    assert_eq!(job["state"], "failed", "{job}");
    let error = job["error"].as_str().unwrap();
    assert!(error.contains(EMAIL) && error.contains("share"), "{error}");
    server.stop().await;
}

/// Every field of a job's JSON is in `/openapi.json`'s `Job` schema, its progress's too.
fn assert_documented(job: &Value) {
    let document: Value = serde_json::from_str(contact_loader::serve::api::OPENAPI).unwrap();
    let schema = &document["components"]["schemas"]["Job"]["properties"];
    for (key, value) in job.as_object().unwrap() {
        assert!(schema.get(key).is_some(), "`{key}` is not documented");
        for inner in value.as_object().into_iter().flat_map(|o| o.keys()) {
            assert!(
                schema[key]["properties"].get(inner).is_some(),
                "`{key}.{inner}` is not documented"
            );
        }
    }
}

/// `/openapi.json` is served, and every operation it describes is routed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_the_routes() {
    let sheets = FakeSheets::start("google-oauth-token").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = start(&sheets, dir.path().join("s.sqlite").display().to_string()).await;
    let api = server.url();
    let http = reqwest::Client::new();
    let document: Value = serde_json::from_str(&get_text(&api, "/openapi.json").await).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    assert_eq!(paths.len(), 9);
    for (path, operations) in paths {
        for method in operations.as_object().unwrap().keys() {
            let url = format!(
                "{api}{}",
                path.replace("{id}", "no-such-job")
                    .replace("{kind}", "chat2desk")
            );
            let request = match method.as_str() {
                "get" => http.get(&url),
                "post" => http.post(&url).json(&json!({})),
                other => panic!("undocumented method {other}"),
            };
            let answer = request.bearer_auth(KEY).send().await.unwrap();
            let status = answer.status().as_u16();
            let body = answer.text().await.unwrap();
            // Unrouted paths answer 404 with an empty body, wrong methods 405.
            assert_ne!(status, 405, "{method} {path}");
            assert!(
                status != 404 || body.contains("no such job"),
                "{method} {path} is not routed"
            );
        }
    }
    server.stop().await;
}

/// Two jobs on two sheets of one spreadsheet, running at once (two accounts): their status
/// writes share the spreadsheet's pace, one write per interval between them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_on_one_spreadsheet_share_its_write_pace() {
    const INTERVAL: Duration = Duration::from_millis(300);
    let (first, second) = (
        sandbox(Duration::from_millis(10)).await,
        sandbox(Duration::from_millis(10)).await,
    );
    let sheets = FakeSheets::start("google-oauth-token").await.unwrap();
    sheets.set_cells(SPREADSHEET, "Первый", rows());
    sheets.set_cells(SPREADSHEET, "Второй", rows());
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(
        &sheets,
        dir.path().join("s.sqlite").display().to_string(),
        "http://127.0.0.1:9/no-keys",
    );
    config.sheets_min_interval_ms = INTERVAL.as_millis() as u64;
    let server = Server::start(config).await.unwrap();
    let api = server.url();
    let jobs = [
        submit(&api, &request_for(&first, "Первый")).await,
        submit(&api, &request_for(&second, "Второй")).await,
    ];
    for job_id in &jobs {
        let job = wait_for_end(&api, job_id, Duration::from_secs(90)).await;
        assert_eq!(job["state"], "done", "{job}");
    }
    let writes = sheets.writes();
    assert!(writes.len() >= 4, "{} writes", writes.len());
    for pair in writes.windows(2) {
        let gap = pair[1].at - pair[0].at;
        // Measured at the fake: a little network jitter under the interval is fine.
        assert!(
            gap >= INTERVAL - Duration::from_millis(30),
            "writes {gap:?} apart"
        );
    }
    server.stop().await;
}

/// One server, one job per kind of account the sandbox can play: each job ends done, every
/// contact of its mixed list created once, e-mails on an e-mail channel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_run_on_every_kind_of_account() {
    use contact_loader::targets::chat2desk::sandbox::Quirks;
    let variants: Vec<(&str, Quirks)> = Quirks::NAMES
        .iter()
        .map(|n| (*n, Quirks::parse(n).unwrap()))
        .chain([("all", Quirks::ALL)])
        .collect();
    let sheets = FakeSheets::start("google-oauth-token").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(
        &sheets,
        dir.path().join("s.sqlite").display().to_string(),
        "http://127.0.0.1:9/no-keys",
    );
    config.limits.live_jobs_per_owner = variants.len();
    let server = Server::start(config).await.unwrap();
    let api = server.url();
    let mut jobs = Vec::new();
    for (name, quirks) in &variants {
        let sandbox = support::sandbox(SandboxConfig {
            quirks: *quirks,
            ..SandboxConfig::default()
        })
        .await;
        sheets.set_cells(
            SPREADSHEET,
            name,
            [
                vec!["Контакт", "E-mail", "Имя", "Теги"],
                vec!["8 (999) 601-00-01", "", "Анна", "vip"],
                vec!["ivan@mail.ru", "", "Иван", ""],
                vec!["8 (999) 601-00-02", "olga@yandex.ru", "Ольга", "b2b"],
            ],
        );
        let job_id = submit(&api, &request_for(&sandbox, name)).await;
        jobs.push((*name, sandbox, job_id));
    }
    for (name, sandbox, job_id) in &jobs {
        let job = wait_for_end(&api, job_id, Duration::from_secs(60)).await;
        assert_eq!(job["state"], "done", "{name}: {job}");
        assert_eq!(job["progress"]["by_status"]["created"], 3, "{name}: {job}");
        // The plan stays in the final progress; Chat2Desk announces no rate to time it by.
        assert!(
            job["progress"]["planned_requests"].as_u64() >= Some(3),
            "{name}: {job}"
        );
        assert_eq!(job["progress"]["planned_seconds"], Value::Null, "{name}");
        assert_one_client_per_contact(sandbox, 4);
        for client in sandbox.clients().iter().filter(|c| c.phone.contains('@')) {
            assert!(
                client.dialogs.iter().all(|(_, t)| t == "email"),
                "{name}: {client:?}"
            );
        }
        let cells = sheets.cells(SPREADSHEET, name).unwrap();
        assert!(cells[1][4].starts_with("Создан"), "{name}: {:?}", cells[1]);
    }
    server.stop().await;
}

/// Intercom through the server: its catalog from `X-Target-Token` and `X-Target-Base-Url`, the
/// sandbox's address callable only because `target_base_urls` lists it, a job refused before
/// any write for the attributes the workspace lacks (with its code), then done once it may
/// create them: users and leads, a note once, tags.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intercom_jobs_run_through_the_server_on_a_listed_sandbox() {
    use contact_loader::targets::intercom::sandbox as intercom;
    let sandbox = intercom::Sandbox::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        intercom::SandboxConfig::default(),
    )
    .await
    .unwrap();
    sandbox.insert_tag("vip");
    let sheets = FakeSheets::start("google-oauth-token").await.unwrap();
    let sheet = "Intercom";
    sheets.set_cells(
        SPREADSHEET,
        sheet,
        [
            vec![
                "Телефон",
                "E-mail",
                "Имя",
                "Должность",
                "Комментарий",
                "Теги",
            ],
            vec!["8 (999) 601-00-01", "", "Анна", "", "", "vip"],
            vec![
                "",
                "ivan@mail.ru",
                "Иван",
                "директор",
                "перезвонить",
                "vip, b2b",
            ],
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(
        &sheets,
        dir.path().join("s.sqlite").display().to_string(),
        "http://127.0.0.1:9/no-keys",
    );
    config.allow_other_hosts = false;
    config.target_base_urls = vec![sandbox.url()];
    let server = Server::start(config).await.unwrap();
    let api = server.url();

    let catalog = |base_url: String| {
        reqwest::Client::new()
            .get(format!("{api}/v1/targets/intercom/catalog"))
            .bearer_auth(KEY)
            .header("X-Target-Token", sandbox.token())
            .header("X-Target-Base-Url", base_url)
            .send()
    };
    let answer = catalog(sandbox.url()).await.unwrap();
    assert_eq!(answer.status(), 200);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["tags"], json!(["vip"]), "{body}");
    assert_eq!(
        body["attributes"],
        json!({}),
        "no custom attributes: {body}"
    );
    assert!(body["rate_limit_per_minute"].as_u64() > Some(0), "{body}");
    let refused = catalog("http://127.0.0.1:9".to_owned()).await.unwrap();
    assert_eq!(refused.status(), 422);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "base_url_not_allowed", "{body}");

    let request = |create_attributes: bool| {
        json!({
            "spreadsheet_id": SPREADSHEET,
            "sheet": sheet,
            "mode": "load",
            "target": {
                "kind": "intercom",
                "token": sandbox.token(),
                "base_url": sandbox.url(),
                "create_attributes": create_attributes,
            },
            "sheets_token": "google-oauth-token",
        })
    };
    let job = wait_for_end(
        &api,
        &submit(&api, &request(false)).await,
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(job["state"], "failed", "{job}");
    assert_eq!(job["error_code"], "attributes_missing", "{job}");
    assert!(
        job["error"].as_str().unwrap().contains("job_title"),
        "{job}"
    );
    assert!(sandbox.contacts().is_empty(), "nothing was written");

    let job = wait_for_end(
        &api,
        &submit(&api, &request(true)).await,
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["progress"]["by_status"]["created"], 2, "{job}");
    assert_documented(&job);
    let contacts = sandbox.contacts();
    assert_eq!(contacts.len(), 2, "{contacts:#?}");
    let ivan = contacts
        .iter()
        .find(|c| c.email.as_deref() == Some("ivan@mail.ru"))
        .unwrap();
    assert_eq!(ivan.custom_attributes["job_title"], "директор");
    assert_eq!(ivan.notes.len(), 1, "{ivan:?}");
    // The sandbox keeps a contact's tags by id.
    let tags: std::collections::BTreeSet<String> = sandbox
        .tags()
        .into_iter()
        .filter(|t| ivan.tags.contains(&t.id))
        .map(|t| t.name)
        .collect();
    assert_eq!(tags, ["b2b", "vip"].map(str::to_owned).into());
    let cells = sheets.cells(SPREADSHEET, sheet).unwrap();
    for row in &cells[1..] {
        assert!(row[6].starts_with("Создан"), "{row:?}");
        assert!(contacts.iter().any(|c| c.id == row[7]), "{row:?}");
    }
    server.stop().await;
}
