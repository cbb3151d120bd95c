//! The add-on end to end: its own code (`apps-script/src/*.js`), run in Node by
//! `apps-script/test/e2e/`, calls a running `serve` over real HTTP with a Google ID token;
//! the sheet is the fake Google Sheets API's state and the target is the Chat2Desk sandbox.
//! This test starts those three, hands their addresses to the Node test, and checks the
//! sheet and the account afterwards. The user's Google token carries exactly the scopes of
//! the add-on's manifest, and the fake Sheets API honours only the scopes Google does: a
//! manifest that asks for too little fails here as it would for a real user.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use serde_json::json;

use contact_loader::serve::{Config, Server};
use contact_loader::sheets::fake::FakeSheets;
use contact_loader::targets::chat2desk::sandbox::{Sandbox, SandboxConfig};

mod support;

const ROWS: usize = 100;
const SPREADSHEET: &str = "1addon_e2e_spreadsheet";
/// A name that must survive the add-on, the API and the Sheets URL.
const SHEET: &str = "Контакты #1";
const CLIENT_ID: &str = "1234-addon.apps.googleusercontent.com";
const OAUTH_TOKEN: &str = "ya29.add-on-user-token";

/// The OAuth scopes `apps-script/src/appsscript.json` asks for: what Google puts into the
/// token `ScriptApp.getOAuthToken()` gives the add-on.
fn manifest_scopes() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("apps-script/src/appsscript.json");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    manifest["oauthScopes"]
        .as_array()
        .expect("the manifest lists its scopes")
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

/// A fake Sheets API holding the contact sheet, whose user token has `scopes`.
async fn sheets_with(scopes: &[String]) -> FakeSheets {
    let sheets = FakeSheets::start(OAUTH_TOKEN).await.unwrap();
    let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
    sheets.set_scoped_token(OAUTH_TOKEN, &scopes);
    sheets.set_cells(SPREADSHEET, SHEET, sheet());
    sheets
}

/// A server as the add-on's administrator runs it: Google sign-in for the add-on's users,
/// and the sandbox as the one target host besides Chat2Desk's own.
async fn server(dir: &Path, sheets: &FakeSheets, sandbox: &Sandbox) -> Server {
    Server::start(Config {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        database: dir.join("serve.sqlite").display().to_string(),
        sealing_key: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=".to_owned(),
        google_client_ids: vec![CLIENT_ID.to_owned()],
        google_jwks_url: support::oidc::jwks().await,
        target_base_urls: vec![sandbox.url()],
        sheets_url: sheets.url(),
        // Slow enough that a job of 100 rows is still running when the test presses
        // Process list a second time (a few hundred milliseconds later).
        rate: 60.0,
        sheets_min_interval_ms: 50,
        ..Config::default()
    })
    .await
    .unwrap()
}

/// The add-on user's ID token, as `ScriptApp.getIdentityToken()` gives it.
fn identity_token() -> String {
    support::oidc::id_token("marketer-1", CLIENT_ID)
}

fn sheet() -> Vec<Vec<String>> {
    let mut rows = vec![
        ["Контакт", "Имя", "Комментарий", "Теги"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for i in 0..ROWS {
        rows.push(vec![
            format!(
                "+7 999 3{:02} {:02} {:02}",
                i / 10000,
                (i / 100) % 100,
                i % 100
            ),
            format!("Клиент {i}"),
            if i % 3 == 0 {
                "из e2e".to_owned()
            } else {
                String::new()
            },
            "vip".to_owned(),
        ]);
    }
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_add_on_processes_a_sheet_through_a_running_server() {
    let addon = Path::new(env!("CARGO_MANIFEST_DIR")).join("apps-script");
    let sandbox = Sandbox::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        SandboxConfig::default(),
    )
    .await
    .unwrap();
    let sheets = sheets_with(&manifest_scopes()).await;
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), &sheets, &sandbox).await;
    let identity_token = identity_token();
    let setup = json!({
        "backend_url": server.url(),
        "sheets_url": sheets.url(),
        "spreadsheet_id": SPREADSHEET,
        "sheet": SHEET,
        "identity_token": identity_token,
        "oauth_token": OAUTH_TOKEN,
        "target_token": sandbox.token(),
        "target_base_url": sandbox.url(),
    });

    // Node runs the add-on's code synchronously (as Apps Script does), so it must not
    // hold up this runtime: the server answers it from the runtime's other threads.
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .args(["--test", "--test-reporter=spec", "test/e2e/"])
            .current_dir(&addon)
            .env("CONTACT_LOADER_E2E", setup.to_string())
            .output()
    })
    .await
    .unwrap()
    .expect("Node.js runs the add-on's tests: install `nodejs` (scripts/test needs it too)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the add-on's end-to-end test failed:\n{stdout}\n{stderr}"
    );
    // The spec reporter's summary: something ran, and nothing was skipped.
    assert!(
        stdout.contains("skipped 0") && !stdout.contains("tests 0"),
        "the end-to-end test ran, not skipped:\n{stdout}"
    );

    // What the marketer sees: a status and a client id on every row, one client each.
    let cells = sheets.cells(SPREADSHEET, SHEET).unwrap();
    let header = &cells[0];
    let column = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.contains(&h.as_str()))
            .unwrap_or_else(|| panic!("{names:?} in {header:?}"))
    };
    let (status, client_id) = (
        column(&["Статус", "Status"]),
        column(&["ID клиента", "Client ID"]),
    );
    assert_eq!(cells.len(), ROWS + 1);
    for (i, row) in cells.iter().enumerate().skip(1) {
        let status = row.get(status).map(String::as_str).unwrap_or("");
        assert!(
            status == "Создан" || status == "Без изменений",
            "row {}: {status:?}",
            i + 1
        );
        let id = row.get(client_id).map(String::as_str).unwrap_or("");
        assert!(id.parse::<u64>().is_ok(), "row {}: client id {id:?}", i + 1);
    }
    assert_eq!(
        sandbox.clients().len(),
        ROWS,
        "one client per row, none twice"
    );
    server.stop().await;
}

/// The manifest of issue 9's bug: `spreadsheets.currentonly` instead of `spreadsheets`.
/// Google's Sheets API refuses such a token (403 `ACCESS_TOKEN_SCOPE_INSUFFICIENT`), and the
/// backend says what the add-on's administrator must change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manifest_asking_for_currentonly_gets_google_s_403_and_says_what_to_change() {
    let scopes: Vec<String> = manifest_scopes()
        .into_iter()
        .map(|s| {
            if s == "https://www.googleapis.com/auth/spreadsheets" {
                "https://www.googleapis.com/auth/spreadsheets.currentonly".to_owned()
            } else {
                s
            }
        })
        .collect();
    assert!(scopes.iter().any(|s| s.ends_with("currentonly")));
    let sandbox = Sandbox::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        SandboxConfig::default(),
    )
    .await
    .unwrap();
    let sheets = sheets_with(&scopes).await;
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), &sheets, &sandbox).await;
    // The backend proves the user's access with their token before it takes the job:
    // Google's refusal comes back at once, in words for the add-on's administrator.
    let answer = reqwest::Client::new()
        .post(format!("{}/v1/jobs", server.url()))
        .bearer_auth(identity_token())
        .json(&json!({
            "spreadsheet_id": SPREADSHEET,
            "sheet": SHEET,
            "mode": "load",
            "target": {"kind": "chat2desk", "token": sandbox.token(), "base_url": sandbox.url(),
                       "channel": "Продажи", "transport": "whatsapp"},
            "sheets_token": OAUTH_TOKEN,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 403);
    let body: serde_json::Value = answer.json().await.unwrap();
    let error = body["error"].as_str().unwrap();
    assert!(
        error.contains("https://www.googleapis.com/auth/spreadsheets")
            && error.contains("currentonly")
            && error.contains("appsscript.json"),
        "{error}"
    );
    assert!(sheets.stats().forbidden > 0, "Google refused the token");
    assert!(sandbox.clients().is_empty(), "nothing was loaded");
    server.stop().await;
}
