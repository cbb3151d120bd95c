//! `load` against the sandbox, with faults: every test checks that no client is duplicated,
//! every row ends with a final status, and the requests spent are the ones expected.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use axum::http::Method;
use secrecy::SecretString;

use contact_loader::check::Checked;
use contact_loader::input::{ReadOptions, Source};
use contact_loader::load::{
    LoadError, LoadOptions, Loaded, LoadedRow, Progress, Quiet, RowStatus, load,
};
use contact_loader::pacing::{Backoff, Pacing};
use contact_loader::store::Store;
use contact_loader::targets::TargetId;
use contact_loader::targets::chat2desk::client::Chat2Desk;
use contact_loader::targets::chat2desk::sandbox::{Fault, Sandbox, SandboxConfig, StoredClient};
use contact_loader::targets::chat2desk::{Chat2DeskTarget, Settings};

/// Requests that read the account before any write: api_info, transports, channels, tags.
const CATALOG: u64 = 4;

const LIST: &str = "Телефон;Имя;Комментарий;Теги\n\
8 (999) 111-11-11;Анна;звонить вечером;vip\n\
8 (999) 222-22-22;Борис;;вебинар\n\
8 (999) 333-33-33;Вера;;\n\
+7 999 111-11-11;Анна Петрова;;новый\n\
8 (999) 444-44-44;Глеб;постоянный;vip, b2b\n";

struct Rig {
    sandbox: Sandbox,
    client: Chat2Desk,
    ledger: Store,
    _dir: tempfile::TempDir,
}

async fn rig(config: SandboxConfig) -> Rig {
    let sandbox = Sandbox::start(SocketAddr::from(([127, 0, 0, 1], 0)), config)
        .await
        .unwrap();
    let client = Chat2Desk::new(
        &sandbox.url(),
        SecretString::from(sandbox.token().to_owned()),
        Duration::from_secs(5),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ledger = Store::open(&dir.path().join("ledger.sqlite"))
        .await
        .unwrap();
    Rig {
        sandbox,
        client,
        ledger,
        _dir: dir,
    }
}

/// The run's Chat2Desk settings: channel «Продажи», WhatsApp.
fn settings() -> Settings {
    Settings {
        channel: Some("Продажи".into()),
        transport: Some("whatsapp".into()),
        email_channel: None,
    }
}

fn options() -> LoadOptions {
    LoadOptions {
        rate: 1000.0,
        backoff: Backoff {
            base: Duration::from_millis(5),
            cap: Duration::from_millis(50),
            ..Backoff::default()
        },
        ..LoadOptions::default()
    }
}

impl Rig {
    async fn load(&self, list: &str, options: &LoadOptions) -> Result<Loaded, LoadError> {
        self.load_as(list, options, settings(), &Quiet).await
    }

    async fn load_watched(
        &self,
        list: &str,
        options: &LoadOptions,
        progress: &dyn Progress,
    ) -> Result<Loaded, LoadError> {
        self.load_as(list, options, settings(), progress).await
    }

    async fn load_as(
        &self,
        list: &str,
        options: &LoadOptions,
        settings: Settings,
        progress: &dyn Progress,
    ) -> Result<Loaded, LoadError> {
        let source = Source::from_bytes(list.as_bytes().to_vec(), ReadOptions::default());
        let pacing = Pacing::new(options.rate, options.max_requests, options.backoff);
        let target = Chat2DeskTarget {
            client: self.client.clone(),
            settings,
        };
        load(source, &target, &self.ledger, options, &pacing, progress).await
    }

    /// No two clients share a phone, and there are `expected` of them.
    fn assert_clients(&self, expected: usize) {
        let clients = self.sandbox.clients();
        let phones: HashSet<&str> = clients.iter().map(|c| c.phone.as_str()).collect();
        assert_eq!(phones.len(), clients.len(), "no duplicate clients");
        assert_eq!(clients.len(), expected, "{clients:#?}");
    }

    /// The sandbox's client with this phone (E.164 digits).
    fn client(&self, phone: &str) -> StoredClient {
        self.sandbox
            .clients()
            .into_iter()
            .find(|c| c.phone == phone)
            .unwrap_or_else(|| panic!("a client with {phone}"))
    }

    fn requests(&self, endpoint: &str) -> u64 {
        self.sandbox
            .stats()
            .requests
            .get(endpoint)
            .copied()
            .unwrap_or(0)
    }
}

fn statuses(loaded: &Loaded) -> Vec<&'static str> {
    loaded.rows.iter().map(|r| r.status.name()).collect()
}

fn assert_final(loaded: &Loaded) {
    for row in &loaded.rows {
        assert!(
            !matches!(row.status, RowStatus::Pending(_)),
            "every row ends with a final status: {row:?}"
        );
    }
}

#[tokio::test]
async fn a_list_is_loaded_with_the_fewest_requests_and_a_second_run_spends_none() {
    let rig = rig(SandboxConfig::default()).await;
    let first = rig.load(LIST, &options()).await.unwrap();
    assert_eq!(
        statuses(&first),
        ["created", "created", "created", "merged", "created"]
    );
    rig.assert_clients(4);
    // Anna: create + comment + tags (vip, новый in one call); Boris: create + tags; Vera:
    // create; Gleb: create + comment + tags.
    assert_eq!(first.api_requests, CATALOG + 3 + 2 + 1 + 3);
    assert_eq!(rig.requests("POST /v1/clients"), 4);
    assert_eq!(rig.requests("PUT /v1/clients/{id}"), 2);
    assert_eq!(rig.requests("POST /v1/tags/assign_to"), 3);
    let anna = rig.client("79991111111");
    assert_eq!(anna.assigned_name.as_deref(), Some("Анна Петрова"));
    assert_eq!(anna.comment.as_deref(), Some("звонить вечером"));
    assert_eq!(anna.tag_ids.len(), 2);
    assert_eq!(first.rows[3].target_id, Some(TargetId::from(anna.id)));
    assert_eq!(first.rows[0].requests, 3);

    let second = rig.load(LIST, &options()).await.unwrap();
    assert_eq!(
        second.api_requests, CATALOG,
        "done and unchanged rows cost nothing"
    );
    assert_eq!(
        statuses(&second),
        ["unchanged", "unchanged", "unchanged", "merged", "unchanged"]
    );
    assert_eq!(second.rows[0].target_id, Some(TargetId::from(anna.id)));
    rig.assert_clients(4);
}

#[tokio::test]
async fn an_edited_row_is_resynced_alone() {
    let rig = rig(SandboxConfig::default()).await;
    rig.load(LIST, &options()).await.unwrap();
    let edited = LIST.replace("Вера;;", "Вера;перезвонить;");
    let before = rig.sandbox.stats().total;
    let second = rig.load(&edited, &options()).await.unwrap();
    assert_eq!(second.api_requests, CATALOG + 1, "one PUT for the comment");
    assert_eq!(rig.sandbox.stats().total - before, CATALOG + 1);
    assert_eq!(
        statuses(&second),
        ["unchanged", "unchanged", "updated", "merged", "unchanged"]
    );
    rig.assert_clients(4);
}

#[tokio::test]
async fn existing_clients_get_only_the_writes_that_change_something() {
    let rig = rig(SandboxConfig::default()).await;
    rig.sandbox
        .insert_client("79991111111", Some("Анна Петрова"), Some("звонить вечером"));
    rig.sandbox
        .insert_client("79993333333", Some("Старое имя"), None);
    let loaded = rig.load(LIST, &options()).await.unwrap();
    assert_eq!(
        statuses(&loaded),
        ["updated", "created", "updated", "merged", "created"]
    );
    // Anna: create (exists) + read + tags; Boris: 2; Vera: create (exists) + read + rename;
    // Gleb: 3.
    assert_eq!(loaded.api_requests, CATALOG + 3 + 2 + 3 + 3);
    rig.assert_clients(4);
    let vera = rig.client("79993333333");
    assert_eq!(vera.assigned_name.as_deref(), Some("Вера"));
}

#[tokio::test]
async fn server_errors_are_retried_without_duplicates() {
    let rig = rig(SandboxConfig::default()).await;
    rig.sandbox
        .inject(Method::POST, "/v1/clients", Fault::ServerError, 3);
    let loaded = rig.load(LIST, &options()).await.unwrap();
    assert_final(&loaded);
    assert_eq!(loaded.retries, 3);
    assert_eq!(loaded.api_requests, CATALOG + 9 + 3);
    rig.assert_clients(4);
}

#[tokio::test]
async fn a_lost_answer_to_an_applied_create_makes_no_duplicate() {
    for fault in [Fault::BadGatewayAfterApply, Fault::DropAfterApply] {
        let rig = rig(SandboxConfig::default()).await;
        rig.sandbox
            .inject(Method::POST, "/v1/clients", fault.clone(), 1);
        let loaded = rig.load(LIST, &options()).await.unwrap();
        assert_final(&loaded);
        assert_eq!(
            statuses(&loaded),
            ["created", "created", "created", "merged", "created"],
            "{fault:?}"
        );
        rig.assert_clients(4);
        // The lost create, its retry ("already exist") and a read of what it holds.
        assert_eq!(loaded.api_requests, CATALOG + 9 + 2, "{fault:?}");
    }
}

#[tokio::test]
async fn a_lost_answer_to_an_update_is_sent_again() {
    let rig = rig(SandboxConfig::default()).await;
    rig.sandbox
        .inject(Method::PUT, "/v1/clients/", Fault::DropAfterApply, 1);
    let loaded = rig.load(LIST, &options()).await.unwrap();
    assert_final(&loaded);
    assert_eq!(loaded.api_requests, CATALOG + 9 + 1);
    rig.assert_clients(4);
}

#[tokio::test]
async fn a_429_storm_slows_down_and_finishes() {
    for retry_after in [Some(1), None] {
        let rig = rig(SandboxConfig::default()).await;
        rig.sandbox.inject(
            Method::POST,
            "/v1/",
            Fault::TooManyRequests { retry_after },
            6,
        );
        let started = std::time::Instant::now();
        let loaded = rig.load(LIST, &options()).await.unwrap();
        assert_final(&loaded);
        assert_eq!(loaded.rate_limited, 6, "{retry_after:?}");
        assert_eq!(loaded.api_requests, CATALOG + 9 + 6);
        assert!(
            started.elapsed() >= Duration::from_secs(1),
            "Retry-After (or the default pause) is honoured"
        );
        rig.assert_clients(4);
    }
}

#[tokio::test]
async fn a_spent_quota_stops_the_run_and_leaves_the_rest_pending() {
    let rig = rig(SandboxConfig::default()).await;
    let options = LoadOptions {
        concurrency: 1,
        ..options()
    };
    // The third create finds the month's allowance gone.
    rig.sandbox
        .inject(Method::POST, "/v1/clients", Fault::QuotaExceeded, 1);
    let loaded = rig.load(LIST, &options).await.unwrap();
    assert!(loaded.stopped.as_deref().unwrap().contains("exceeded"));
    assert!(
        statuses(&loaded)
            .iter()
            .all(|s| *s == "pending" || *s == "merged")
    );
    // Nothing is retried after the quota answer.
    assert_eq!(loaded.api_requests, CATALOG + 1);
    rig.assert_clients(0);
}

#[tokio::test]
async fn the_request_cap_stops_cleanly_and_a_rerun_finishes() {
    let rig = rig(SandboxConfig::default()).await;
    let capped = LoadOptions {
        max_requests: Some(CATALOG + 4),
        concurrency: 1,
        ..options()
    };
    let first = rig.load(LIST, &capped).await.unwrap();
    assert!(first.api_requests <= CATALOG + 4);
    assert!(statuses(&first).contains(&"pending"));
    assert!(first.stopped.is_some());
    let second = rig.load(LIST, &options()).await.unwrap();
    assert_final(&second);
    rig.assert_clients(4);
    assert_eq!(
        first.api_requests + second.api_requests,
        2 * CATALOG + 9,
        "nothing is spent twice"
    );
}

#[tokio::test]
async fn a_run_past_the_free_allowance_is_refused_unless_allowed() {
    let rig = rig(SandboxConfig {
        quota: 10,
        ..SandboxConfig::default()
    })
    .await;
    let error = rig.load(LIST, &options()).await.unwrap_err();
    let text = error.to_string();
    assert!(
        matches!(
            error,
            LoadError::WouldBePaid {
                needed: 9,
                left: 6,
                paid: 3,
                ..
            }
        ),
        "{text}"
    );
    assert!(text.contains("0.03 RUB"), "{text}");
    assert!(text.contains("--allow-paid"), "{text}");
    rig.assert_clients(0);
    assert_eq!(rig.sandbox.stats().total, CATALOG);
}

#[tokio::test]
async fn a_bad_token_fails_the_run_without_showing_the_token() {
    let rig = rig(SandboxConfig::default()).await;
    let client = Chat2Desk::new(
        &rig.sandbox.url(),
        SecretString::from("secret-wrong-token".to_owned()),
        Duration::from_secs(5),
    )
    .unwrap();
    let source = Source::from_bytes(LIST.as_bytes().to_vec(), ReadOptions::default());
    let options = options();
    let pacing = Pacing::new(options.rate, None, options.backoff);
    let target = Chat2DeskTarget {
        client: client.clone(),
        settings: settings(),
    };
    let error = load(source, &target, &rig.ledger, &options, &pacing, &Quiet)
        .await
        .unwrap_err();
    let text = format!("{error} {error:?} {client:?}");
    assert!(text.contains("Token is not correct"), "{text}");
    assert!(!text.contains("secret-wrong-token"), "{text}");
    assert!(
        matches!(
            error,
            LoadError::Target {
                code: "credentials_refused",
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(rig.sandbox.stats().total, 1, "no retry of a refused token");
    rig.assert_clients(0);
}

#[tokio::test]
async fn rows_naming_what_the_account_lacks_are_invalid_before_any_write() {
    let rig = rig(SandboxConfig::default()).await;
    let list = "Телефон;Имя;Теги;Канал;Мессенджер\n\
89991111111;Анна;нет-такого;;\n\
89992222222;Борис;;Склад;\n\
89993333333;Вера;;;ICQ\n\
89994444444;Глеб;vip;Поддержка;Telegram\n";
    let loaded = rig.load(list, &options()).await.unwrap();
    assert_eq!(
        statuses(&loaded),
        ["invalid", "invalid", "invalid", "created"]
    );
    let reasons: Vec<String> = loaded
        .rows
        .iter()
        .filter_map(|r| r.status.reason(contact_loader::messages::Lang::Ru))
        .collect();
    assert!(reasons[0].contains("нет-такого"));
    assert!(reasons[1].contains("Склад"));
    assert!(reasons[2].contains("icq"));
    assert_eq!(loaded.api_requests, CATALOG + 2);
    let gleb = &rig.sandbox.clients()[0];
    assert_eq!(gleb.dialogs, [(2, "telegram".to_owned())]);
}

#[tokio::test]
async fn flags_naming_what_the_account_lacks_refuse_the_run() {
    let rig = rig(SandboxConfig::default()).await;
    for (options, settings) in [
        (
            options(),
            Settings {
                channel: Some("Склад".into()),
                ..settings()
            },
        ),
        (
            options(),
            Settings {
                transport: Some("pager".into()),
                ..settings()
            },
        ),
        (
            LoadOptions {
                tags: vec!["нет-такого".into()],
                ..options()
            },
            settings(),
        ),
    ] {
        assert!(rig.load_as(LIST, &options, settings, &Quiet).await.is_err());
    }
    rig.assert_clients(0);
}

#[tokio::test]
async fn a_sample_loads_a_few_rows_first_and_the_full_run_the_rest() {
    let rig = rig(SandboxConfig::default()).await;
    let sample = LoadOptions {
        sample: Some(2),
        ..options()
    };
    let first = rig.load(LIST, &sample).await.unwrap();
    let created = statuses(&first).iter().filter(|s| **s == "created").count();
    assert_eq!(created, 2);
    rig.assert_clients(2);
    let second = rig.load(LIST, &options()).await.unwrap();
    assert_final(&second);
    assert_eq!(
        statuses(&second)
            .iter()
            .filter(|s| **s == "unchanged")
            .count(),
        2
    );
    rig.assert_clients(4);
}

#[tokio::test]
async fn email_contacts_go_to_the_email_transport_and_link_nothing() {
    let rig = rig(SandboxConfig::default()).await;
    let list = "Телефон;E-mail;Имя\n89991111111;Anna@Mail.ru;Анна\n";
    let loaded = rig.load(list, &options()).await.unwrap();
    assert_eq!(statuses(&loaded), ["created"]);
    let clients = rig.sandbox.clients();
    assert_eq!(clients.len(), 2);
    assert!(
        clients
            .iter()
            .any(|c| c.phone == "anna@mail.ru" && c.dialogs == [(1, "email".to_owned())])
    );
}

#[tokio::test]
async fn a_client_deleted_in_the_account_is_created_again_with_everything() {
    let rig = rig(SandboxConfig::default()).await;
    rig.load(LIST, &options()).await.unwrap();
    let anna = rig.client("79991111111");
    rig.sandbox.delete_client(anna.id);
    // A new messenger for every row: each client gets a create. Chat2Desk answers "already
    // exist" for the three that are left, and such an answer is not known to open the new
    // dialog: their channels are read back, and the rows say where they can be reached.
    let telegram = Settings {
        transport: Some("telegram".into()),
        ..settings()
    };
    let loaded = rig
        .load_as(LIST, &options(), telegram, &Quiet)
        .await
        .unwrap();
    assert_eq!(
        statuses(&loaded),
        ["created", "unchanged", "unchanged", "merged", "unchanged"]
    );
    for i in [1, 2, 4] {
        let text = contact_loader::report::loaded_status_text(&loaded.checked, i, &loaded.rows[i]);
        assert!(
            text.contains("«Продажи» (telegram)") && text.contains("«Продажи» (whatsapp)"),
            "row {i}: {text}"
        );
    }
    rig.assert_clients(4);
    let anna = rig.client("79991111111");
    // The ledger's knowledge of the deleted client is not trusted: comment and tags again.
    assert_eq!(anna.comment.as_deref(), Some("звонить вечером"));
    assert_eq!(anna.tag_ids.len(), 2);
    assert_eq!(anna.dialogs, [(1, "telegram".to_owned())]);
}

/// Records every row the load reports as decided, in order.
#[derive(Default)]
struct Watcher {
    rows: std::sync::Mutex<Vec<(usize, LoadedRow)>>,
}

impl Progress for Watcher {
    fn wants_rows(&self) -> bool {
        true
    }
    fn rows(&self, _checked: &Checked, rows: &[(usize, LoadedRow)]) {
        self.rows.lock().unwrap().extend(rows.iter().cloned());
    }
}

/// What a server writes into the sheet as a load runs is final: each row's last reported
/// status is its status at the end, and every row that ends decided was reported.
#[tokio::test]
async fn rows_are_reported_as_they_are_decided_and_end_as_reported() {
    let rig = rig(SandboxConfig::default()).await;
    // One contact the account already has, unchanged after the first run.
    rig.load("Телефон;Имя\n8 (999) 333-33-33;Вера\n", &options())
        .await
        .unwrap();
    let list = format!("{LIST}не номер;Дима;;\n\n+7 999 555-55-55 / x@example.com;Ева;;\n");
    let watcher = Watcher::default();
    let loaded = rig.load_watched(&list, &options(), &watcher).await.unwrap();
    let reported = watcher.rows.into_inner().unwrap();
    let mut last = std::collections::HashMap::new();
    for (i, row) in &reported {
        assert!(
            !matches!(row.status, RowStatus::Pending(None)),
            "row {i} reported before it was decided"
        );
        last.insert(*i, row.clone());
    }
    for (i, row) in loaded.rows.iter().enumerate() {
        match last.get(&i) {
            Some(reported) => assert_eq!(reported, row, "row {i}"),
            None => panic!("row {i} ({:?}) was never reported", row.status),
        }
    }
    let names: HashSet<&str> = loaded.rows.iter().map(|r| r.status.name()).collect();
    for expected in ["created", "unchanged", "merged", "invalid", "skipped"] {
        assert!(names.contains(expected), "{expected} in {names:?}");
    }
}

mod real_accounts {
    //! Accounts as public clients of live ones show them (`shared/specs/chat2desk.md`, "What
    //! real accounts show"): the sandbox's quirks, one at a time and all at once.

    use super::*;
    use contact_loader::targets::chat2desk::sandbox::{ERROR_LIKE_COMMENT, Quirks};

    /// Phones, e-mails, both on one row, a repeat, tags and comments.
    const MIXED: &str = "Контакт;E-mail;Имя;Комментарий;Теги\n\
8 (999) 501-00-01;;Анна;звонить вечером;vip\n\
ivan@mail.ru;;Иван;;вебинар\n\
8 (999) 501-00-02;olga@yandex.ru;Ольга;;vip, b2b\n\
8 (999) 501-00-03;;Пётр;;\n\
+7 999 501-00-01;;Анна Петрова;;новый\n\
PETR@gmail.com;;Пётр;постоянный;\n";

    fn quirks_one_by_one() -> Vec<(&'static str, Quirks)> {
        Quirks::NAMES
            .iter()
            .map(|name| (*name, Quirks::parse(name).unwrap()))
            .chain([("none", Quirks::default()), ("all", Quirks::ALL)])
            .collect()
    }

    fn text(loaded: &Loaded, i: usize) -> String {
        contact_loader::report::loaded_status_text(&loaded.checked, i, &loaded.rows[i])
    }

    #[tokio::test]
    async fn a_mixed_list_lands_whole_whatever_the_account_s_quirks() {
        for (name, quirks) in quirks_one_by_one() {
            let rig = rig(SandboxConfig {
                quirks,
                ..SandboxConfig::default()
            })
            .await;
            let first = rig.load(MIXED, &options()).await.unwrap();
            assert_eq!(
                statuses(&first),
                [
                    "created", "created", "created", "created", "merged", "created"
                ],
                "{name}"
            );
            // Six contacts, each once: four phones-or-e-mails of their own rows, Ольга's two.
            rig.assert_clients(6);
            let second = rig.load(MIXED, &options()).await.unwrap();
            assert_eq!(
                second.api_requests, second.catalog_requests,
                "{name}: a second run writes nothing"
            );
        }
    }

    /// The "done when": a WhatsApp Business channel (`wa_dialog`) without e-mail,
    /// every quirk at once.
    #[tokio::test]
    async fn on_a_business_channel_without_e_mail_every_contact_lands_where_it_can() {
        let rig = rig(SandboxConfig {
            quirks: Quirks::ALL,
            ..SandboxConfig::default()
        })
        .await;
        // One client already there, whose comment reads like an error.
        rig.sandbox.insert_client("79995010003", Some("Пётр"), None);
        rig.sandbox
            .inject(Method::POST, "/v1/tags/assign_to", Fault::ServerError, 1);
        let loaded = rig.load(MIXED, &options()).await.unwrap();
        assert_final(&loaded);
        assert_eq!(
            statuses(&loaded),
            [
                "created",
                "created",
                "created",
                "unchanged",
                "merged",
                "created"
            ]
        );
        rig.assert_clients(6);
        for client in rig.sandbox.clients() {
            let expected = if client.phone.contains('@') {
                (3, "email".to_owned())
            } else {
                (1, "wa_dialog".to_owned())
            };
            assert!(client.dialogs.contains(&expected), "{client:?}");
        }
        let olga = rig.client("79995010002");
        assert_eq!(olga.tag_ids.len(), 2, "every tag assigned");
        assert_eq!(rig.client("olga@yandex.ru").tag_ids.len(), 2);
        assert_eq!(
            rig.client("79995010003").comment.as_deref(),
            Some(ERROR_LIKE_COMMENT)
        );
        // The rows say where their e-mails went.
        for i in [1, 2, 5] {
            assert!(
                text(&loaded, i).contains("«Почта»"),
                "row {i}: {}",
                text(&loaded, i)
            );
        }
        assert!(!text(&loaded, 0).contains("Почта"));
        let again = rig.load(MIXED, &options()).await.unwrap();
        assert_eq!(
            again.api_requests, again.catalog_requests,
            "no write the second time"
        );
    }

    #[tokio::test]
    async fn several_e_mail_channels_need_a_choice_and_the_row_s_own_comes_first() {
        // Both channels of the default account take e-mail.
        let rig = rig(SandboxConfig::default()).await;
        let list =
            "Телефон;E-mail;Имя\n8 (999) 502-00-01;anna@mail.ru;Анна\n;boris@mail.ru;Борис\n";
        let several = Settings {
            channel: None,
            ..settings()
        };
        // Two channels take e-mail, no channel given: the phone has no channel either.
        let loaded = rig
            .load_as(list, &options(), several, &Quiet)
            .await
            .unwrap();
        assert_eq!(statuses(&loaded), ["invalid", "invalid"]);
        assert!(
            text(&loaded, 1).contains("--email-channel"),
            "{}",
            text(&loaded, 1)
        );
        let chosen = Settings {
            email_channel: Some("Поддержка".into()),
            ..settings()
        };
        let loaded = rig.load_as(list, &options(), chosen, &Quiet).await.unwrap();
        assert_eq!(statuses(&loaded), ["created", "created"]);
        // The row's own channel takes e-mail: that one, not the chosen e-mail channel.
        assert!(
            rig.client("anna@mail.ru")
                .dialogs
                .contains(&(1, "email".to_owned()))
        );
    }

    #[tokio::test]
    async fn a_row_whose_e_mail_has_nowhere_to_go_still_loads_its_phone() {
        let rig = rig(SandboxConfig {
            quirks: Quirks::parse("business-channels").unwrap(),
            ..SandboxConfig::default()
        })
        .await;
        // Only «Почта» takes e-mail; name a channel that does not as the e-mail channel.
        let wrong = Settings {
            email_channel: Some("Поддержка".into()),
            ..settings()
        };
        let refused = rig
            .load_as(MIXED, &options(), wrong, &Quiet)
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("takes no e-mail"), "{refused}");
        // A messenger no channel has, on the row: its e-mail loads, the phone is the warning.
        let list = "Телефон;E-mail;Имя;Мессенджер\n8 (999) 503-00-01;vera@mail.ru;Вера;viber\n";
        let loaded = rig.load(list, &options()).await.unwrap();
        assert_eq!(statuses(&loaded), ["created"]);
        let status = text(&loaded, 0);
        assert!(
            status.contains("+79995030001") && status.contains("wa_dialog, tg_user"),
            "{status}"
        );
        rig.assert_clients(1);
    }

    #[tokio::test]
    async fn an_unknown_allowance_asks_for_consent_before_a_big_load() {
        let rig = rig(SandboxConfig {
            quirks: Quirks::parse("no-allowance").unwrap(),
            ..SandboxConfig::default()
        })
        .await;
        let mut list = String::from("Телефон;Имя;Комментарий;Теги\n");
        for i in 0..400 {
            list.push_str(&format!("+7999504{i:04};Клиент {i};перезвонить;vip\n"));
        }
        match rig.load(&list, &options()).await {
            Err(LoadError::AllowanceUnknown { needed, .. }) => assert_eq!(needed, 1200),
            other => panic!("{other:?}"),
        }
        assert!(rig.sandbox.clients().is_empty(), "nothing written");
        let consented = LoadOptions {
            allow_paid: true,
            ..options()
        };
        let loaded = rig.load(&list, &consented).await.unwrap();
        assert_final(&loaded);
        assert_eq!(loaded.quota_left, None, "the summary says it is unknown");
        // A small load needs no consent.
        let small = rig
            .load("Телефон\n+79995059999\n", &options())
            .await
            .unwrap();
        assert_eq!(statuses(&small), ["created"]);
    }

    #[tokio::test]
    async fn a_duplicate_answer_without_an_id_is_looked_up_by_phone() {
        let rig = rig(SandboxConfig::default()).await;
        let id = rig.sandbox.insert_client("79995060001", Some("Анна"), None);
        rig.sandbox
            .inject(Method::POST, "/v1/clients", Fault::DuplicateWithoutId, 1);
        let loaded = rig
            .load("Телефон;Имя\n+79995060001;Анна\n", &options())
            .await
            .unwrap();
        assert_eq!(statuses(&loaded), ["unchanged"]);
        assert_eq!(loaded.rows[0].target_id, Some(TargetId::from(id)));
        assert_eq!(rig.requests("GET /v1/clients"), 1, "one lookup by phone");
        rig.assert_clients(1);
    }
}
