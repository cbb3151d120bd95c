//! The add-on end to end: its own code (`apps-script/src/*.js`), run in Node by
//! `apps-script/test/e2e/`, calls a running `serve` over real HTTP with a Google ID token;
//! the sheet is the fake Google Sheets API's state and the target is the Chat2Desk sandbox.
//! This test starts those three, hands their addresses to the Node test, and checks the
//! sheet and the account afterwards.

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
    let sheets = FakeSheets::start(OAUTH_TOKEN).await.unwrap();
    sheets.set_cells(SPREADSHEET, SHEET, sheet());
    let jwks_url = support::oidc::jwks().await;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(Config {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        database: dir.path().join("serve.sqlite").display().to_string(),
        sealing_key: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=".to_owned(),
        google_client_ids: vec![CLIENT_ID.to_owned()],
        google_jwks_url: jwks_url,
        allow_other_hosts: true,
        sheets_url: sheets.url(),
        rate: 300.0,
        sheets_min_interval_ms: 50,
        ..Config::default()
    })
    .await
    .unwrap();
    let identity_token = support::oidc::token(
        "marketer-1",
        CLIENT_ID,
        "https://accounts.google.com",
        3600,
        &support::oidc::signing_key(),
        support::oidc::KEY_ID,
    );
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
