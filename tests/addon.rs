//! The add-on end to end: its own code (`apps-script/src/*.js`), run in Node by
//! `apps-script/test/e2e/`, calls a running `serve` over real HTTP with a Google ID token;
//! the sheet is the fake Google Sheets API's state and the target is the Chat2Desk sandbox,
//! the Omnidesk sandbox or the Intercom sandbox. Each test starts those three, hands their addresses to its Node
//! test, and checks the sheet and the account afterwards. The user's Google token carries exactly the scopes of
//! the add-on's manifest, and the fake Sheets API honours only the scopes Google does: a
//! manifest that asks for too little fails here as it would for a real user.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use serde_json::json;

use contact_loader::serve::{Config, Server};
use contact_loader::targets::chat2desk::sandbox::{Sandbox, SandboxConfig};
use contact_loader::targets::intercom::api::Role;
use contact_loader::targets::intercom::sandbox as intercom;
use contact_loader::targets::omnidesk::api::{CustomField, FieldData, FieldType};
use contact_loader::targets::omnidesk::sandbox as omnidesk;
use support::fake_sheets::FakeSheets;

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

/// A fake Sheets API holding `cells` as the contact sheet, whose user token has `scopes`.
async fn sheets_with(scopes: &[String], cells: Vec<Vec<String>>) -> FakeSheets {
    let sheets = FakeSheets::start(OAUTH_TOKEN).await.unwrap();
    let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
    sheets.set_scoped_token(OAUTH_TOKEN, &scopes);
    sheets.set_cells(SPREADSHEET, SHEET, cells);
    sheets
}

/// A server as the add-on's administrator runs it: Google sign-in for the add-on's users,
/// and the sandbox at `sandbox_url` as the one target host besides the targets' own.
async fn server(dir: &Path, sheets: &FakeSheets, sandbox_url: String) -> Server {
    Server::start(Config {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        database: dir.join("serve.sqlite").display().to_string(),
        sealing_key: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=".to_owned(),
        google_client_ids: vec![CLIENT_ID.to_owned()],
        google_jwks_url: support::oidc::jwks().await,
        target_base_urls: vec![sandbox_url],
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

/// Runs one Node test file of `apps-script/test/e2e/` with its setup in the environment
/// variable `variable`, and fails unless it ran and passed.
async fn run_node_e2e(file: &str, variable: &str, setup: serde_json::Value) {
    let addon = Path::new(env!("CARGO_MANIFEST_DIR")).join("apps-script");
    let (file, variable) = (format!("test/e2e/{file}"), variable.to_owned());
    // Node runs the add-on's code synchronously (as Apps Script does), so it must not
    // hold up this runtime: the server answers it from the runtime's other threads.
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .args(["--test", "--test-reporter=spec", &file])
            .current_dir(&addon)
            .env(variable, setup.to_string())
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
}

/// The column of `header` named one of `names`.
fn column(header: &[String], names: &[&str]) -> usize {
    header
        .iter()
        .position(|h| names.contains(&h.as_str()))
        .unwrap_or_else(|| panic!("{names:?} in {header:?}"))
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
    let sandbox = Sandbox::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        SandboxConfig::default(),
    )
    .await
    .unwrap();
    let sheets = sheets_with(&manifest_scopes(), sheet()).await;
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), &sheets, sandbox.url()).await;
    let setup = json!({
        "backend_url": server.url(),
        "sheets_url": sheets.url(),
        "spreadsheet_id": SPREADSHEET,
        "sheet": SHEET,
        "identity_token": identity_token(),
        "oauth_token": OAUTH_TOKEN,
        "target_token": sandbox.token(),
        "target_base_url": sandbox.url(),
    });
    run_node_e2e("process-list.test.mjs", "CONTACT_LOADER_E2E", setup).await;

    // What the marketer sees: a status and a client id on every row, one client each.
    let cells = sheets.cells(SPREADSHEET, SHEET).unwrap();
    let header = &cells[0];
    let (status, client_id) = (
        column(header, &["Статус", "Status"]),
        column(header, &["ID клиента", "Client ID"]),
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

/// Data rows of the Omnidesk and the Intercom sheets.
const PERSON_ROWS: usize = 24;

/// The header the add-on's New contact sheet makes for Omnidesk and for Intercom in a Russian
/// spreadsheet (`apps-script/src/Texts.js` `headersOmnidesk`, `headersIntercom`): the Node
/// tests check that they agree.
const PERSON_HEADER: [&str; 10] = [
    "Телефон",
    "Эл. почта",
    "ID мессенджера",
    "Имя",
    "Компания",
    "Должность",
    "Комментарий",
    "Теги",
    "Статус",
    "ID клиента",
];

/// Row `i`'s identifiers: a phone and an e-mail (every fourth row), a phone, an e-mail, or
/// a Telegram id.
fn person_contacts(i: usize) -> (String, String, String) {
    let phone = format!("+7 999 400 00 {i:02}");
    let email = format!("client{i}@mail.ru");
    match i % 4 {
        0 => (phone, email, String::new()),
        1 => (phone, String::new(), String::new()),
        2 => (String::new(), email, String::new()),
        _ => (
            String::new(),
            String::new(),
            format!("telegram|55510{i:02}"),
        ),
    }
}

/// Row `i`'s tags: none, one, or two.
fn person_tags(i: usize) -> &'static str {
    match i % 3 {
        0 => "",
        1 => "vip",
        _ => "vip, b2b",
    }
}

/// Rows of people: identifiers, a name each, a company and a position every fifth row, a
/// comment every sixth, tags.
fn person_sheet() -> Vec<Vec<String>> {
    let mut rows = vec![PERSON_HEADER.map(str::to_owned).to_vec()];
    for i in 0..PERSON_ROWS {
        let (phone, email, messenger) = person_contacts(i);
        let (company, position) = if i % 5 == 0 {
            ("Ромашка", "директор")
        } else {
            ("", "")
        };
        rows.push(vec![
            phone,
            email,
            messenger,
            format!("Клиент {i}"),
            company.to_owned(),
            position.to_owned(),
            if i % 6 == 0 { "из e2e" } else { "" }.to_owned(),
            person_tags(i).to_owned(),
            String::new(),
            String::new(),
        ]);
    }
    rows
}

/// The user data fields the Omnidesk sheet fills besides the tags' “Теги”: the sandbox's
/// own select “Тариф” (options 1 “Базовый”, 2 “Про”) and the two the test adds, in the
/// account's order, which is the order of their columns after Tags.
const OMNIDESK_FIELDS: [&str; 3] = ["Тариф", "Источник", "Рассылка"];

/// Row `i`'s cells under `OMNIDESK_FIELDS`: an option's title, a text, a checkbox's word as
/// the add-on's dropdown offers it (Texts.js `checkboxWords`) — or empty, which leaves the
/// field as it is.
fn omnidesk_field_cells(i: usize) -> [String; 3] {
    [
        ["Базовый", "Про", ""][i % 3].to_owned(),
        if i.is_multiple_of(2) {
            format!("выставка {i}")
        } else {
            String::new()
        },
        ["да", "нет", "", ""][i % 4].to_owned(),
    ]
}

/// The people of `person_sheet`, as the add-on's Omnidesk contact sheet holds them: a column
/// for each of the account's data fields between Tags and Status.
fn omnidesk_sheet() -> Vec<Vec<String>> {
    let at = column(&person_sheet()[0], &["Статус"]);
    person_sheet()
        .into_iter()
        .enumerate()
        .map(|(r, mut row)| {
            let cells = match r {
                0 => OMNIDESK_FIELDS.map(str::to_owned),
                _ => omnidesk_field_cells(r - 1),
            };
            row.splice(at..at, cells);
            row
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_add_on_processes_an_omnidesk_sheet_through_a_running_server() {
    let sandbox = omnidesk::Sandbox::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        omnidesk::SandboxConfig::default(),
    )
    .await
    .unwrap();
    let user_field = |title: &str, field_type| CustomField {
        field_id: 0,
        title: title.to_owned(),
        field_type,
        field_level: "user".to_owned(),
        active: true,
        field_data: FieldData::None,
    };
    let source = sandbox.insert_custom_field(user_field("Источник", FieldType::Text));
    let mailing = sandbox.insert_custom_field(user_field("Рассылка", FieldType::Checkbox));
    let sheets = sheets_with(&manifest_scopes(), omnidesk_sheet()).await;
    let dir = tempfile::tempdir().unwrap();
    // The sandbox's http://127.0.0.1 address is callable only because it is listed.
    let server = server(dir.path(), &sheets, sandbox.url()).await;
    let setup = json!({
        "backend_url": server.url(),
        "sheets_url": sheets.url(),
        "spreadsheet_id": SPREADSHEET,
        "sheet": SHEET,
        "identity_token": identity_token(),
        "oauth_token": OAUTH_TOKEN,
        "omnidesk_url": sandbox.url(),
        "staff_email": sandbox.staff_email(),
        "api_key": sandbox.api_key(),
    });
    run_node_e2e("omnidesk.test.mjs", "CONTACT_LOADER_E2E_OMNIDESK", setup).await;

    // One user per identifier, none twice: a row with a phone and an e-mail is two users.
    let users: Vec<omnidesk::StoredUser> =
        sandbox.users().into_iter().filter(|u| !u.deleted).collect();
    let mut seen = std::collections::HashSet::new();
    for user in &users {
        for identifier in &user.identifiers {
            assert!(seen.insert(identifier), "{identifier:?} twice: {users:#?}");
        }
    }
    assert_eq!(users.len(), PERSON_ROWS + PERSON_ROWS / 4, "{users:#?}");
    let holder = |field: &str, value: &str| {
        users
            .iter()
            .find(|u| u.identifiers.get(field).map(String::as_str) == Some(value))
            .unwrap_or_else(|| panic!("a user with {field} {value}: {users:#?}"))
    };

    // Every row final, with the id of its person's first profile; the person as the row says.
    let cells = sheets.cells(SPREADSHEET, SHEET).unwrap();
    assert_eq!(cells.len(), PERSON_ROWS + 1);
    let (status, client_id) = (
        column(&cells[0], &["Статус"]),
        column(&cells[0], &["ID клиента"]),
    );
    for (i, row) in cells.iter().skip(1).enumerate() {
        let status = row.get(status).map(String::as_str).unwrap_or("");
        assert!(
            status.starts_with("Создан") || status.starts_with("Без изменений"),
            "row {}: {status:?}",
            i + 2
        );
        let (phone, email, messenger) = person_contacts(i);
        let profiles: Vec<&omnidesk::StoredUser> = [
            (!phone.is_empty()).then(|| holder("user_phone", &format!("+799940000{i:02}"))),
            (!email.is_empty()).then(|| holder("user_email", &email)),
            (!messenger.is_empty()).then(|| holder("user_telegram", &format!("55510{i:02}"))),
        ]
        .into_iter()
        .flatten()
        .collect();
        let id = row.get(client_id).map(String::as_str).unwrap_or("");
        assert_eq!(id, profiles[0].user_id.to_string(), "row {}", i + 2);
        if let [first, second] = profiles[..] {
            assert!(
                first.linked_users.contains(&second.user_id),
                "row {}: {first:?} linked to {second:?}",
                i + 2
            );
        }
        for user in profiles {
            assert_eq!(user.user_full_name, Some(format!("Клиент {i}")));
            let tags = user.custom_fields.get("cf_1").and_then(|v| v.as_str());
            let expected = match person_tags(i) {
                "" => None,
                "vip" => Some("vip"),
                _ => Some("b2b, vip"),
            };
            assert_eq!(
                tags,
                expected,
                "row {}: the tags in the “Теги” field",
                i + 2
            );
            if i % 5 == 0 {
                assert_eq!(user.company_name.as_deref(), Some("Ромашка"));
                assert_eq!(user.company_position.as_deref(), Some("директор"));
            }
            // The data fields from their columns: the select by its option's key, the
            // checkbox a boolean; an empty cell sent nothing.
            let [plan, from, mail] = omnidesk_field_cells(i);
            let expected = [
                (
                    "cf_2".to_owned(),
                    (!plan.is_empty()).then(|| json!(if plan == "Про" { "2" } else { "1" })),
                ),
                (
                    format!("cf_{source}"),
                    (!from.is_empty()).then(|| json!(from)),
                ),
                (
                    format!("cf_{mailing}"),
                    (!mail.is_empty()).then(|| json!(mail == "да")),
                ),
            ];
            for (key, value) in expected {
                assert_eq!(
                    user.custom_fields.get(&key),
                    value.as_ref(),
                    "row {}: {key} of {user:?}",
                    i + 2
                );
            }
        }
    }
    server.stop().await;
}

/// The e-mail of the row whose person the Intercom workspace has before the load.
const KNOWN_USER: &str = "client2@mail.ru";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_add_on_processes_an_intercom_sheet_through_a_running_server() {
    let sandbox = intercom::Sandbox::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        intercom::SandboxConfig::default(),
    )
    .await
    .unwrap();
    // A workspace in use: one tag for the dropdown, one person of the list already a user.
    sandbox.insert_tag("vip");
    let known = sandbox.insert_contact(intercom::StoredContact {
        name: Some("Старое имя".to_owned()),
        ..intercom::StoredContact::user(KNOWN_USER)
    });
    let sheets = sheets_with(&manifest_scopes(), person_sheet()).await;
    let dir = tempfile::tempdir().unwrap();
    // The sandbox's http://127.0.0.1 address is callable only because it is listed.
    let server = server(dir.path(), &sheets, sandbox.url()).await;
    let setup = json!({
        "backend_url": server.url(),
        "sheets_url": sheets.url(),
        "spreadsheet_id": SPREADSHEET,
        "sheet": SHEET,
        "identity_token": identity_token(),
        "oauth_token": OAUTH_TOKEN,
        "intercom_url": sandbox.url(),
        "token": sandbox.token(),
    });
    run_node_e2e("intercom.test.mjs", "CONTACT_LOADER_E2E_INTERCOM", setup).await;

    // One contact per row, none twice: no e-mail, phone or Telegram id on two contacts.
    let contacts: Vec<intercom::StoredContact> = sandbox
        .contacts()
        .into_iter()
        .filter(|c| !c.archived && c.merged_into.is_none())
        .collect();
    assert_eq!(contacts.len(), PERSON_ROWS, "{contacts:#?}");
    let mut seen = std::collections::HashSet::new();
    for contact in &contacts {
        let telegram = contact.custom_attributes.get("telegram_id");
        let keys = [
            contact.email.as_ref().map(|e| format!("email {e}")),
            contact.phone.as_ref().map(|p| format!("phone {p}")),
            telegram.map(|t| format!("telegram {t}")),
        ];
        for key in keys.into_iter().flatten() {
            assert!(seen.insert(key.clone()), "{key} twice: {contacts:#?}");
        }
    }

    // Every row final, with its contact's id; the contact as the row says.
    let mut tag_names = sandbox.tags();
    tag_names.sort_by(|a, b| a.name.cmp(&b.name));
    let cells = sheets.cells(SPREADSHEET, SHEET).unwrap();
    assert_eq!(cells.len(), PERSON_ROWS + 1);
    let (status, client_id) = (
        column(&cells[0], &["Статус"]),
        column(&cells[0], &["ID клиента"]),
    );
    for (i, row) in cells.iter().skip(1).enumerate() {
        let at = format!("row {}", i + 2);
        let status = row.get(status).map(String::as_str).unwrap_or("");
        assert!(
            ["Создан", "Обновлён", "Без изменений"]
                .iter()
                .any(|s| status.starts_with(s)),
            "{at}: {status:?}"
        );
        let id = row.get(client_id).map(String::as_str).unwrap_or("");
        let contact = contacts
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("{at}: no contact {id:?}: {contacts:#?}"));
        let (phone, email, messenger) = person_contacts(i);
        if email.is_empty() {
            assert_eq!(contact.role, Role::Lead, "{at}: {contact:?}");
        } else {
            assert_eq!(contact.role, Role::User, "{at}: {contact:?}");
            assert_eq!(contact.email.as_deref(), Some(email.as_str()), "{at}");
        }
        if email == KNOWN_USER {
            assert_eq!(
                contact.id, known,
                "{at}: the workspace's user, not a new one"
            );
        }
        if !phone.is_empty() {
            let e164 = format!("+799940000{i:02}");
            assert_eq!(contact.phone.as_deref(), Some(e164.as_str()), "{at}");
        }
        if let Some((_, telegram)) = messenger.split_once('|') {
            assert_eq!(
                contact.custom_attributes.get("telegram_id"),
                Some(&json!(telegram)),
                "{at}: {contact:?}"
            );
        }
        assert_eq!(contact.name, Some(format!("Клиент {i}")), "{at}");
        if i % 5 == 0 {
            assert_eq!(
                contact.custom_attributes.get("job_title"),
                Some(&json!("директор")),
                "{at}"
            );
            assert_eq!(contact.companies.len(), 1, "{at}: {contact:?}");
        } else {
            assert!(contact.companies.is_empty(), "{at}: {contact:?}");
        }
        // The comment is one note, however many runs went by.
        if i % 6 == 0 {
            assert_eq!(contact.notes.len(), 1, "{at}: {:?}", contact.notes);
            assert!(
                contact.notes[0].body.contains("из e2e"),
                "{at}: {:?}",
                contact.notes
            );
        } else {
            assert!(contact.notes.is_empty(), "{at}: {:?}", contact.notes);
        }
        // The sandbox keeps a contact's tags by id.
        let tags: Vec<&str> = tag_names
            .iter()
            .filter(|t| contact.tags.contains(&t.id))
            .map(|t| t.name.as_str())
            .collect();
        let expected: &[&str] = match person_tags(i) {
            "" => &[],
            "vip" => &["vip"],
            _ => &["b2b", "vip"],
        };
        assert_eq!(tags, expected, "{at}: the tags");
    }
    let companies = sandbox.companies();
    assert_eq!(
        companies.len(),
        1,
        "one company, upserted once: {companies:?}"
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
    let sheets = sheets_with(&scopes, sheet()).await;
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), &sheets, sandbox.url()).await;
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
