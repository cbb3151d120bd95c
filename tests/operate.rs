//! `contact-loader serve` as an operator runs it: the real binary, started on its embedded
//! defaults in an empty folder or with a configuration file, its log read from stderr, its
//! counters from `/metrics`, and stopped with SIGTERM as a service manager stops it.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde_json::{Value, json};

use contact_loader::secrets::Sealer;
use contact_loader::serve::api::{TokenKind, token_purpose};
use contact_loader::store::jobs::new_job_id;
use contact_loader::store::{NewJob, Store};
use contact_loader::targets::chat2desk::sandbox::{Sandbox, SandboxConfig};
use support::fake_sheets::FakeSheets;

mod support;

const BIN: &str = env!("CARGO_BIN_EXE_contact-loader");
const API_KEY: &str = "ann-api-key-5c8d0e7f1a2b";
const SEALING_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const TARGET_TOKEN: &str = "c2d-secret-target-token-94e1";
const SHEETS_TOKEN: &str = "ya29.secret-google-token-0b7c";
const SPREADSHEET: &str = "1Operate_spreadsheet";
const SHEET: &str = "Contacts";

/// A running `contact-loader serve`, its stderr collected line by line.
struct Served {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    reader: Option<std::thread::JoinHandle<()>>,
    url: String,
}

impl Served {
    /// Starts `serve --listen 127.0.0.1:0` in `dir` with only `env` set (no inherited
    /// CONTACT_LOADER_* variable), and waits for the line that says where it listens.
    fn start(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Served {
        let mut command = Command::new(BIN);
        command
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .current_dir(dir)
            .env_clear()
            .env("RUST_LOG", "info,contact_loader=debug")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("the binary starts");
        let stderr = child.stderr.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let reader = {
            let lines = lines.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    lines.lock().unwrap().push(line);
                }
            })
        };
        let mut served = Served {
            child,
            lines,
            reader: Some(reader),
            url: String::new(),
        };
        let line = served.wait_for_line(|l| l.contains("listening"));
        let start = line.find("http://127.0.0.1:").expect("the URL is logged");
        served.url = line[start..]
            .split(|c: char| c.is_whitespace() || c == '"')
            .next()
            .unwrap()
            .to_owned();
        served
    }

    /// The first line `wanted` accepts, within 30 s.
    fn wait_for_line(&mut self, wanted: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            if let Some(line) = self.lines.lock().unwrap().iter().find(|l| wanted(l)) {
                return line.clone();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("serve exited ({status}):\n{}", self.text());
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "no such line in:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn text(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    /// SIGTERM, as a service manager stops it; its whole log once it has exited.
    fn stop(mut self) -> Vec<String> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exited = self.child.wait().unwrap();
        assert!(exited.success(), "a stop is a clean exit: {exited}");
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        self.lines.lock().unwrap().clone()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

async fn get(url: &str, bearer: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(url);
    if let Some(bearer) = bearer {
        request = request.bearer_auth(bearer);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn serve_starts_in_an_empty_folder_on_its_embedded_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(dir.path(), &[], &[]);
    let answer = get(&format!("{}/healthz", served.url), None).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.text().await.unwrap(), "ok");

    // The store, and a sealing key beside it that only its owner can read.
    assert!(dir.path().join("contact-loader.sqlite").exists());
    let key_file = dir.path().join("contact-loader.sqlite.sealing-key");
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the key file is private");
    let key = std::fs::read_to_string(&key_file).unwrap();
    assert!(Sealer::from_base64_key(&key).is_ok());
    assert!(
        served
            .text()
            .lines()
            .any(|l| l.contains("generated a sealing key") && l.contains("sealing-key")),
        "the log says where the key is:\n{}",
        served.text()
    );

    // No caller is configured: /v1 says how to configure one.
    for bearer in [None, Some("anything-at-all-0123456789")] {
        let answer = get(&format!("{}/v1/usage", served.url), bearer).await;
        assert_eq!(answer.status(), 401);
        let body: Value = answer.json().await.unwrap();
        let error = body["error"].as_str().unwrap();
        assert!(
            error.contains("api_keys") && error.contains("google_client_ids"),
            "{error}"
        );
    }
    let log = served.stop();
    assert!(log.iter().any(|l| l.contains("no API key")), "{log:?}");
    assert!(
        !log.iter().any(|l| l.contains(key.trim())),
        "the key is never logged"
    );

    // Started again, it keeps the key it made.
    let served = Served::start(dir.path(), &[], &[]);
    assert!(!served.text().contains("generated a sealing key"));
    served.stop();
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), key);
}

#[tokio::test]
async fn a_changed_sealing_key_names_the_jobs_it_cannot_open_and_fails_them() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("serve.sqlite");
    // A job sent while the server had another key.
    let store = Store::open(&database).await.unwrap();
    let before = Sealer::from_base64_key(&Sealer::new_base64_key()).unwrap();
    let sheet = format!("{SPREADSHEET}\n{SHEET}");
    let stored = json!({
        "spreadsheet_id": SPREADSHEET, "sheet": SHEET, "mode": "load",
        "base_url": "http://127.0.0.1:9/", "channel": null, "transport": null,
        "tags": [], "region": null,
    });
    let id = new_job_id();
    let seal = |token: &str, kind| {
        before.seal(&SecretString::from(token), &token_purpose(&id, "ann", kind))
    };
    let (job, _) = store
        .submit(NewJob {
            id: id.clone(),
            owner: "ann".to_owned(),
            sheet: sheet.clone(),
            account: "chat2desk:0123".to_owned(),
            request: stored.to_string(),
            sealed_token: Some(seal(TARGET_TOKEN, TokenKind::Target)),
            sealed_sheets_token: Some(seal(SHEETS_TOKEN, TokenKind::Google)),
        })
        .await
        .unwrap();
    store.close().await;

    let database = database.display().to_string();
    let api_keys = format!("ann:{API_KEY}");
    let mut served = Served::start(
        dir.path(),
        &[],
        &[
            ("CONTACT_LOADER_DATABASE", &database),
            ("CONTACT_LOADER_SEALING_KEY", SEALING_KEY),
            ("CONTACT_LOADER_API_KEYS", &api_keys),
        ],
    );
    let line = served.wait_for_line(|l| l.contains("does not open the tokens"));
    assert!(line.contains(&job.id), "the job is named: {line}");
    let url = format!("{}/v1/jobs/{}", served.url, job.id);
    let job = support::wait_for_job(&url, API_KEY, Duration::from_secs(30)).await;
    assert_eq!(job["state"], "failed", "{job}");
    let error = job["error"].as_str().unwrap();
    assert!(
        error.contains("sealing key") && error.contains("submit the job again"),
        "{error}"
    );
    served.stop();
}

fn rows(count: usize) -> Vec<Vec<String>> {
    let mut rows = vec![vec!["Contact".to_owned(), "Name".to_owned()]];
    rows.extend((0..count).map(|i| vec![format!("+7 999 41{i:05}"), format!("Client {i}")]));
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_are_json_lines_without_a_secret_and_metrics_count_a_job() {
    const ROWS: usize = 60;
    // A sandbox that throttles and fails now and then: retries and 429s to count.
    let sandbox = Sandbox::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        SandboxConfig {
            token: TARGET_TOKEN.to_owned(),
            rate: Some(40.0),
            fail_rate: 0.1,
            ..SandboxConfig::default()
        },
    )
    .await
    .unwrap();
    let sheets = FakeSheets::start(SHEETS_TOKEN).await.unwrap();
    sheets.set_cells(SPREADSHEET, SHEET, rows(ROWS));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("serve.toml");
    std::fs::write(
        &config,
        format!(
            r#"
database = "{}"
sealing_key = "{SEALING_KEY}"
api_keys = [{{ name = "ann", key = "{API_KEY}" }}]
allow_other_hosts = true
sheets_url = "{}"
rate = 200.0
sheets_min_interval_ms = 50
"#,
            dir.path().join("serve.sqlite").display(),
            sheets.url()
        ),
    )
    .unwrap();
    let config = config.display().to_string();
    let served = Served::start(
        dir.path(),
        &["--config", &config],
        &[("CONTACT_LOADER_LOG_FORMAT", "json")],
    );

    let answer = reqwest::Client::new()
        .post(format!("{}/v1/jobs", served.url))
        .bearer_auth(API_KEY)
        .json(&json!({
            "spreadsheet_id": SPREADSHEET,
            "sheet": SHEET,
            "mode": "load",
            "target": {
                "kind": "chat2desk",
                "token": TARGET_TOKEN,
                "base_url": sandbox.url(),
                "channel": "Продажи",
                "transport": "whatsapp",
            },
            "sheets_token": SHEETS_TOKEN,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 202);
    let request_id = answer
        .headers()
        .get("x-request-id")
        .expect("every answer carries its request id")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(!request_id.is_empty());
    let job_id = answer.json::<Value>().await.unwrap()["job_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = format!("{}/v1/jobs/{job_id}", served.url);
    let job = support::wait_for_job(&url, API_KEY, Duration::from_secs(90)).await;
    assert_eq!(job["state"], "done", "{job}");
    let requests = job["progress"]["requests"].as_u64().unwrap();

    // The counters say what their help texts say.
    let text = get(&format!("{}/metrics", served.url), None)
        .await
        .text()
        .await
        .unwrap();
    let sample = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("{name} in:\n{text}"))
    };
    let outcomes = ["ok", "rate_limited", "server_error", "no_answer", "refused"];
    let by_outcome: u64 = outcomes
        .iter()
        .map(|o| {
            sample(&format!(
                "contact_loader_target_requests_total{{outcome=\"{o}\"}}"
            ))
        })
        .sum();
    assert_eq!(
        by_outcome, requests,
        "every request of the job, once:\n{text}"
    );
    assert_eq!(
        by_outcome,
        sandbox.stats().total,
        "as many as the target saw"
    );
    let rate_limited = sample("contact_loader_target_requests_total{outcome=\"rate_limited\"}");
    let failed = sample("contact_loader_target_requests_total{outcome=\"server_error\"}");
    assert!(rate_limited > 0, "the sandbox throttled:\n{text}");
    assert!(failed > 0, "the sandbox failed some:\n{text}");
    assert_eq!(
        sample("contact_loader_target_retries_total"),
        rate_limited + failed,
        "each 429 and 5xx was retried, nothing else:\n{text}"
    );
    assert_eq!(
        sample("contact_loader_jobs_ended_total{result=\"done\"}"),
        1
    );
    assert_eq!(
        sample("contact_loader_jobs_ended_total{result=\"failed\"}"),
        0
    );
    assert_eq!(
        sample("contact_loader_rows_total{status=\"created\"}"),
        ROWS as u64
    );
    assert!(sample("contact_loader_sheets_requests_total") >= 2);

    let log = served.stop();
    let events: Vec<Value> = log
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    for line in &log {
        for secret in [TARGET_TOKEN, SHEETS_TOKEN, API_KEY, SEALING_KEY] {
            assert!(!line.contains(secret), "a secret in the log: {line}");
        }
    }
    let in_span = |event: &Value, span: &str, field: &str, value: &str| {
        event["spans"].as_array().is_some_and(|spans| {
            spans
                .iter()
                .any(|s| s["name"] == span && s[field].as_str() == Some(value))
        })
    };
    let of_job: Vec<&Value> = events
        .iter()
        .filter(|e| in_span(e, "job", "job", &job_id))
        .collect();
    assert!(
        of_job.iter().any(|e| e["message"] == "job done"),
        "the job's lines carry its span: {log:#?}"
    );
    assert!(of_job.iter().all(|e| {
        in_span(e, "job", "spreadsheet", SPREADSHEET)
            && e["spans"][0]["account"]
                .as_str()
                .is_some_and(|a| a.starts_with("chat2desk:"))
    }));
    assert!(
        events
            .iter()
            .any(|e| in_span(e, "request", "request_id", &request_id)),
        "a request's lines carry its id: {log:#?}"
    );
    assert!(events.iter().all(|e| e["level"].is_string()));
}

/// Runs `serve` to its exit (within 20 s): its exit status and its log.
fn serve_until_exit(dir: &Path, env: &[(&str, &str)]) -> (std::process::ExitStatus, String) {
    let mut command = Command::new(BIN);
    command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .current_dir(dir)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("serve did not give up on a broken store");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut log = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut log).unwrap();
    (status, log)
}

#[test]
fn a_store_that_cannot_be_opened_stops_the_start_with_the_database_s_own_words() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.sqlite");
    std::fs::write(&garbage, [0x5a_u8; 8192]).unwrap();
    let garbage = garbage.display().to_string();
    let (status, log) = serve_until_exit(dir.path(), &[("CONTACT_LOADER_DATABASE", &garbage)]);
    assert!(!status.success());
    assert!(log.contains("file is not a database"), "{log}");

    // A store that opens but cannot be written is found out at start, not at the first job.
    let made = dir.path().join("made.sqlite");
    let made = made.display().to_string();
    let mut served = Served::start(dir.path(), &[], &[("CONTACT_LOADER_DATABASE", &made)]);
    served.wait_for_line(|l| l.contains("listening"));
    served.stop();
    let read_only = format!("sqlite://{made}?mode=ro");
    let (status, log) = serve_until_exit(
        dir.path(),
        &[
            ("CONTACT_LOADER_DATABASE", &read_only),
            ("CONTACT_LOADER_SEALING_KEY", SEALING_KEY),
        ],
    );
    assert!(!status.success());
    assert!(log.contains("readonly"), "{log}");
}
