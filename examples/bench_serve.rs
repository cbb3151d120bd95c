//! Load test of `serve`: 50 users start a job each at once, on one instance, against
//! sandbox targets (one account each) and a fake Google Sheets. Prints one JSON line: the
//! latency of `GET /v1/jobs/{id}` while the jobs run (p50, p99, max), how long until all
//! ended, and whether every row of every sheet got a status.
//!
//! `cargo run --release --example bench_serve -- [USERS] [ROWS] [WORKERS]` (defaults 50,
//! 200, 8).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The fake Google Sheets API the tests use (test code, out of the library).
#[path = "../tests/support/fake_sheets.rs"]
#[allow(dead_code)] // The benchmark uses a part of what the tests do.
mod fake_sheets;
use fake_sheets::FakeSheets;

use serde_json::{Value, json};
use tokio::sync::Mutex;

use contact_loader::serve::config::ApiKey;
use contact_loader::serve::{Config, Server};
use contact_loader::targets::chat2desk::sandbox::{Sandbox, SandboxConfig};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let users: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(50);
    let rows: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let workers: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(8);

    let sheets = FakeSheets::start("oauth").await.expect("fake sheets");
    let mut sandboxes = Vec::new();
    for user in 0..users {
        let sandbox = Sandbox::start(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            SandboxConfig {
                latency: Duration::from_millis(20),
                ..SandboxConfig::default()
            },
        )
        .await
        .expect("sandbox");
        let mut cells = vec![vec![
            "Контакт".to_owned(),
            "Имя".to_owned(),
            "Теги".to_owned(),
        ]];
        for i in 0..rows {
            cells.push(vec![
                format!("+7 999 {:03} {:04}", user, i),
                format!("Клиент {i}"),
                "vip".to_owned(),
            ]);
        }
        sheets.set_cells("book", &format!("user {user}"), cells);
        sandboxes.push(sandbox);
    }
    let dir = std::env::temp_dir().join(format!("bench-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a folder");
    let server = Server::start(Config {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        database: dir.join("serve.sqlite").display().to_string(),
        sealing_key: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=".to_owned(),
        api_keys: (0..users)
            .map(|u| ApiKey {
                name: format!("user{u}"),
                key: format!("key-of-user-{u:04}-0123456789"),
                spreadsheets: Vec::new(),
            })
            .collect(),
        allow_other_hosts: true,
        sheets_url: sheets.url(),
        workers,
        rate: 50.0,
        sheets_min_interval_ms: 100,
        google_service_account_key: None,
        ..Config::default()
    })
    .await
    .expect("the server starts");
    let api = server.url();
    let http = reqwest::Client::new();

    let started = Instant::now();
    let submits = (0..users).map(|u| {
        let (http, api, sandbox) = (http.clone(), api.clone(), &sandboxes[u]);
        async move {
            let answer: Value = http
                .post(format!("{api}/v1/jobs"))
                .bearer_auth(format!("key-of-user-{u:04}-0123456789"))
                .json(&json!({
                    "spreadsheet_id": "book",
                    "sheet": format!("user {u}"),
                    "mode": "load",
                    "target": {
                        "kind": "chat2desk", "token": sandbox.token(), "base_url": sandbox.url(),
                        "channel": "Продажи", "transport": "whatsapp",
                    },
                    "sheets_token": "oauth",
                }))
                .send()
                .await
                .expect("submit")
                .json()
                .await
                .expect("json");
            (u, answer["job_id"].as_str().expect("a job id").to_owned())
        }
    });
    let jobs = futures_util::future::join_all(submits).await;

    // Every user polls its job every 200 ms, as the sidebar does, until it ends.
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let polls = jobs.into_iter().map(|(u, job_id)| {
        let (http, api, latencies) = (http.clone(), api.clone(), latencies.clone());
        async move {
            loop {
                let asked = Instant::now();
                let job: Value = http
                    .get(format!("{api}/v1/jobs/{job_id}"))
                    .bearer_auth(format!("key-of-user-{u:04}-0123456789"))
                    .send()
                    .await
                    .expect("poll")
                    .json()
                    .await
                    .expect("json");
                latencies
                    .lock()
                    .await
                    .push(asked.elapsed().as_secs_f64() * 1000.0);
                let state = job["state"].as_str().unwrap_or("").to_owned();
                if state != "queued" && state != "running" {
                    return state;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    });
    let states = futures_util::future::join_all(polls).await;
    let all_ended_s = started.elapsed().as_secs_f64();

    let mut latencies = latencies.lock().await.clone();
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    let mut rows_without_status = 0;
    for u in 0..users {
        let cells = sheets
            .cells("book", &format!("user {u}"))
            .unwrap_or_default();
        rows_without_status += cells
            .iter()
            .skip(1)
            .filter(|row| row.get(3).is_none_or(|s| s.is_empty()))
            .count()
            + rows.saturating_sub(cells.len().saturating_sub(1));
    }
    println!(
        "{}",
        json!({
            "users": users, "rows_per_sheet": rows, "workers": workers,
            "jobs_done": states.iter().filter(|s| *s == "done").count(),
            "rows_without_status": rows_without_status,
            "all_ended_s": (all_ended_s * 10.0).round() / 10.0,
            "polls": latencies.len(),
            "get_job_ms": {"p50": at(0.50), "p99": at(0.99), "max": latencies.last()},
        })
    );
    server.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
