//! `load --target omnidesk` against the Omnidesk sandbox, with faults and each assumed
//! variant: every test checks that no identifier has two users, every row ends final, links
//! are made once, and the requests spent are the ones expected.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::time::Duration;

use axum::http::Method;
use secrecy::SecretString;

use contact_loader::input::{ReadOptions, Source};
use contact_loader::load::{LoadError, LoadOptions, Loaded, Quiet, load};
use contact_loader::pacing::{Backoff, Pacing};
use contact_loader::store::Store;
use contact_loader::targets::omnidesk::api::{Assumptions, UserFields};
use contact_loader::targets::omnidesk::client::Omnidesk;
use contact_loader::targets::omnidesk::rules::Settings;
use contact_loader::targets::omnidesk::sandbox::{Fault, Sandbox, SandboxConfig, StoredUser};
use contact_loader::targets::omnidesk::target::OmnideskTarget;

/// The pre-flight: the data fields and the users' count.
const CATALOG: u64 = 2;

/// Phones, e-mails, both on one row, messenger ids, a shared phone, tags.
const MIXED: &str = "Телефон,E-mail,ID мессенджера,Имя,Компания,Должность,Комментарий,Теги\n\
+7 999 100-00-01,anna@mail.ru,,Анна,Ромашка,директор,звонить вечером,vip\n\
+7 999 100-00-02,,,Борис,,,,\n\
,vera@mail.ru,telegram|5551001,Вера,,,,b2b\n\
,,telegram|@gleb_tg,Глеб,,,,\n\
+7 999 100-00-01,,,Анна Петрова,,,,новый\n\
8 (999) 100-00-03,dina@mail.ru,whatsapp|79991000003,Дина,,,,\n";

struct Rig {
    sandbox: Sandbox,
    client: Omnidesk,
    ledger: Store,
    _dir: tempfile::TempDir,
}

async fn rig(config: SandboxConfig) -> Rig {
    let sandbox = Sandbox::start(SocketAddr::from(([127, 0, 0, 1], 0)), config)
        .await
        .unwrap();
    let client = Omnidesk::new(
        &sandbox.url(),
        SecretString::from(sandbox.staff_email().to_owned()),
        SecretString::from(sandbox.api_key().to_owned()),
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

/// A sandbox that plays the assumed variants `plays` (`Assumptions::NAMES`).
async fn playing(plays: &str) -> Rig {
    rig(SandboxConfig {
        assumptions: Assumptions::parse(plays).unwrap(),
        ..SandboxConfig::default()
    })
    .await
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

/// The settings of a load told the account plays `plays` (`--plays`).
fn telling(plays: &str) -> Settings {
    Settings {
        plays: Assumptions::parse(plays).unwrap(),
        ..Settings::default()
    }
}

fn tags_field() -> Settings {
    Settings {
        tags_field: Some("Теги".into()),
        ..Settings::default()
    }
}

impl Rig {
    async fn load(&self, list: &str, settings: Settings) -> Result<Loaded, LoadError> {
        self.load_with(list, settings, &options()).await
    }

    async fn load_with(
        &self,
        list: &str,
        settings: Settings,
        options: &LoadOptions,
    ) -> Result<Loaded, LoadError> {
        let source = Source::from_bytes(list.as_bytes().to_vec(), ReadOptions::default());
        let pacing = Pacing::new(options.rate, options.max_requests, options.backoff);
        let target = OmnideskTarget {
            client: self.client.clone(),
            settings,
        };
        load(source, &target, &self.ledger, options, &pacing, &Quiet).await
    }

    /// No identifier held by two live users; `expected` users in all.
    fn assert_users(&self, expected: usize) {
        let users = self.sandbox.users();
        let mut seen = HashSet::new();
        for user in users.iter().filter(|u| !u.deleted) {
            for (field, value) in &user.identifiers {
                let value = match field.as_str() {
                    "user_email" => value.to_lowercase(),
                    "user_phone" => value.chars().filter(char::is_ascii_digit).collect(),
                    _ => value.clone(),
                };
                assert!(
                    seen.insert((field.clone(), value.clone())),
                    "two users hold {field} {value}: {users:#?}"
                );
            }
        }
        assert_eq!(users.len(), expected, "{users:#?}");
    }

    /// Anna, in the account as `email`, with a note of the account's own: her id.
    fn insert_anna(&self, email: &str) -> u64 {
        let mut anna = StoredUser::new("user_email", email);
        anna.user_full_name = Some("Анна".into());
        anna.user_note = Some("из CRM".into());
        self.sandbox.insert_user(anna)
    }

    fn note(&self, id: u64) -> Option<String> {
        let users = self.sandbox.users();
        users.into_iter().find(|u| u.user_id == id)?.user_note
    }

    fn user(&self, field: &str, value: &str) -> StoredUser {
        self.sandbox
            .users()
            .into_iter()
            .find(|u| u.identifiers.get(field).map(String::as_str) == Some(value))
            .unwrap_or_else(|| panic!("a user with {field} {value}"))
    }

    fn requests(&self, endpoint: &str) -> u64 {
        self.sandbox
            .stats()
            .requests
            .get(endpoint)
            .copied()
            .unwrap_or(0)
    }

    /// Users by id, with the ids they are linked to.
    fn links(&self) -> BTreeMap<u64, Vec<u64>> {
        self.sandbox
            .users()
            .into_iter()
            .map(|u| (u.user_id, u.linked_users.into_iter().collect()))
            .collect()
    }
}

fn statuses(loaded: &Loaded) -> Vec<&'static str> {
    loaded.rows.iter().map(|r| r.status.name()).collect()
}

fn assert_final(loaded: &Loaded) {
    for row in &loaded.rows {
        assert!(
            !matches!(row.status.name(), "pending" | "failed"),
            "{:?}",
            row.status
        );
    }
}

#[tokio::test]
async fn a_mixed_list_loads_once_linked_and_a_rerun_costs_only_the_catalog() {
    let rig = rig(SandboxConfig::default()).await;
    let first = rig.load(MIXED, tags_field()).await.unwrap();
    assert_eq!(
        statuses(&first),
        [
            "created", "created", "created", "created", "merged", "created"
        ]
    );
    // Nine identifiers, one user each.
    rig.assert_users(9);
    let phone = rig.user("user_phone", "+79991000001");
    let email = rig.user("user_email", "anna@mail.ru");
    assert_eq!(phone.user_full_name.as_deref(), Some("Анна Петрова"));
    assert_eq!(phone.company_name.as_deref(), Some("Ромашка"));
    assert_eq!(phone.company_position.as_deref(), Some("директор"));
    assert_eq!(phone.user_note.as_deref(), Some("звонить вечером"));
    assert_eq!(phone.custom_fields["cf_1"], "vip, новый");
    assert!(phone.linked_users.contains(&email.user_id));
    let telegram = rig.user("user_telegram", "5551001");
    let vera = rig.user("user_email", "vera@mail.ru");
    assert!(vera.linked_users.contains(&telegram.user_id));
    // `@name` is Telegram's username field.
    rig.user("user_telegram_data", "gleb_tg");
    rig.user("user_whatsapp_phone", "79991000003");
    // Each new profile is one create with everything in it; each extra one a link.
    assert_eq!(rig.requests("POST /api/users.json"), 9);
    assert_eq!(rig.requests("PUT /api/users/{id}/link.json"), 4);
    assert_eq!(rig.requests("PUT /api/users/{id}.json"), 0);
    assert_eq!(first.api_requests, CATALOG + 9 + 4);

    let second = rig.load(MIXED, tags_field()).await.unwrap();
    assert_eq!(
        second.api_requests, CATALOG,
        "a re-run costs the catalog only"
    );
    assert_eq!(
        statuses(&second),
        [
            "unchanged",
            "unchanged",
            "unchanged",
            "unchanged",
            "merged",
            "unchanged"
        ]
    );
    rig.assert_users(9);
    // Two pairs and a trio, linked both ways (transitively, as Omnidesk shows a person).
    assert_eq!(rig.links().values().map(Vec::len).sum::<usize>(), 2 + 2 + 6);
}

#[tokio::test]
async fn users_already_in_the_account_are_found_and_only_what_differs_is_sent() {
    let rig = rig(SandboxConfig::default()).await;
    let anna = rig.insert_anna("Anna@Mail.ru");
    let mut boris = StoredUser::new("user_phone", "+79991000002");
    boris.user_full_name = Some("Борис".into());
    rig.sandbox.insert_user(boris);
    let loaded = rig.load(MIXED, tags_field()).await.unwrap();
    assert_final(&loaded);
    rig.assert_users(9);
    // Boris as he was: nothing written. Anna: her note gets the comment appended.
    assert_eq!(loaded.rows[1].status.name(), "unchanged");
    assert_eq!(rig.note(anna).as_deref(), Some("из CRM\nзвонить вечером"));
    let again = rig.load(MIXED, tags_field()).await.unwrap();
    assert_eq!(again.api_requests, CATALOG);
}

#[tokio::test]
async fn what_the_account_plays_otherwise_is_followed_once_the_load_is_told() {
    // Anna is in the account as `Anna@Mail.ru`, with a note; the list spells her the same.
    let list = MIXED.replace("anna@mail.ru", "Anna@Mail.ru");
    for (plays, told) in [
        ("note-appends", true),
        ("email-case-sensitive", true),
        ("note-appends,email-case-sensitive", true),
        ("note-appends", false),
        ("email-case-sensitive", false),
    ] {
        let rig = playing(plays).await;
        let anna = rig.insert_anna("Anna@Mail.ru");
        let settings = Settings {
            plays: Assumptions::parse(if told { plays } else { "" }).unwrap(),
            ..tags_field()
        };
        let loaded = rig.load(&list, settings.clone()).await.unwrap();
        assert_final(&loaded);
        let note = rig.note(anna);
        let case_sensitive = plays.contains("email-case-sensitive");
        match (told, case_sensitive) {
            (true, _) => {
                // Found in her own spelling, her note kept once with the comment after it.
                rig.assert_users(9);
                assert_eq!(note.as_deref(), Some("из CRM\nзвонить вечером"), "{plays}");
                let again = rig.load(&list, settings).await.unwrap();
                assert_eq!(again.api_requests, CATALOG, "{plays}");
            }
            // Untold, what the settings are for: the old note doubled…
            (false, false) => assert_eq!(
                note.as_deref(),
                Some("из CRM\nиз CRM\nзвонить вечером"),
                "{plays}"
            ),
            // …or a second Anna, `anna@mail.ru`, beside the first.
            (false, true) => assert_eq!(rig.sandbox.users().len(), 10, "{plays}"),
        }
    }
}

#[tokio::test]
async fn an_accounts_note_gets_the_comment_once_whatever_happens_to_the_edit() {
    const LIST: &str = "E-mail,Имя,Комментарий\nanna@mail.ru,Анна,звонить вечером\n";
    // What happens to the edit (the fault, how many times, a request cap), and the
    // requests each of two runs then spends beyond the catalog: in an account whose `PUT`
    // replaces the note, and in one whose `PUT` appends to it.
    #[rustfmt::skip]
    let cases = [
        // Replaced: sent again. Appended: read, and found there.
        ("applied, the connection dropped", Fault::DropAfterApply, 1, None, [3, 0], [3, 0]),
        ("applied, answered 500", Fault::ServerErrorAfterApply, 1, None, [3, 0], [3, 0]),
        // The run ends with the row failed after the user was read; the rerun reads it again
        // (a note about to be replaced, an append that may be out) and sends the edit.
        ("refused until the row fails", Fault::ServerError, 5, None, [6, 2], [11, 2]),
        // The search and the edit, then the run stops at the cap, as if killed.
        ("answer lost, run cut off", Fault::DropAfterApply, 1, Some(CATALOG + 2), [2, 1], [2, 1]),
    ];
    for (what, fault, times, cap, replaces, appends) in cases {
        for plays in ["", "note-appends"] {
            let rig = playing(plays).await;
            let anna = rig.insert_anna("anna@mail.ru");
            rig.sandbox.inject(Method::PUT, "/api/users/", fault, times);
            let settings = telling(plays);
            let first = rig
                .load_with(
                    LIST,
                    settings.clone(),
                    &LoadOptions {
                        max_requests: cap,
                        ..options()
                    },
                )
                .await
                .unwrap();
            let second = rig.load(LIST, settings.clone()).await.unwrap();
            assert_final(&second);
            let spent = [first.api_requests, second.api_requests].map(|n| n - CATALOG);
            let what = format!("{what} ({plays:?})");
            let expected = if plays.is_empty() { replaces } else { appends };
            assert_eq!(spent, expected, "{what}");
            let note = rig.note(anna);
            assert_eq!(note.as_deref(), Some("из CRM\nзвонить вечером"), "{what}");
            rig.assert_users(1);
            let again = rig.load(LIST, settings.clone()).await.unwrap();
            assert_eq!(again.api_requests, CATALOG, "{what}");
            // The comment edited in the list: ours is replaced (or, where the account only
            // appends, added after), and the account's text stays in front.
            let edited = LIST.replace("звонить вечером", "звонить утром");
            rig.load(&edited, settings).await.unwrap();
            let expected = if plays.is_empty() {
                "из CRM\nзвонить утром"
            } else {
                "из CRM\nзвонить вечером\nзвонить утром"
            };
            assert_eq!(rig.note(anna).as_deref(), Some(expected), "{what}, edited");
        }
    }
}

#[tokio::test]
async fn a_create_retried_after_a_500_into_a_user_of_the_account_keeps_its_note() {
    // Three identifiers, one user: created first. Anna's first create is answered 500 and
    // not applied; its retry is refused as a duplicate. The note is still the account's.
    let list = "E-mail,Имя,Комментарий\nanna@mail.ru,Анна,звонить вечером\n\
boris@mail.ru,Борис,\nvera@mail.ru,Вера,\n";
    let rig = rig(SandboxConfig::default()).await;
    let anna = rig.insert_anna("anna@mail.ru");
    rig.sandbox
        .inject(Method::POST, "/api/users.json", Fault::ServerError, 1);
    let one_by_one = LoadOptions {
        concurrency: 1,
        ..options()
    };
    let loaded = rig
        .load_with(list, Settings::default(), &one_by_one)
        .await
        .unwrap();
    assert_final(&loaded);
    assert_eq!(rig.note(anna).as_deref(), Some("из CRM\nзвонить вечером"));
    rig.assert_users(3);
}

#[tokio::test]
async fn a_changed_comment_replaces_ours_and_keeps_what_was_written_in_the_note_since() {
    let list = |comment: &str| format!("E-mail,Имя,Комментарий\nanna@mail.ru,Анна,{comment}\n");
    let rig = rig(SandboxConfig::default()).await;
    rig.load(&list("звонить вечером"), Settings::default())
        .await
        .unwrap();
    let anna = rig.user("user_email", "anna@mail.ru").user_id;
    // The comment edited in the list: the note is read (one request), found as we left it,
    // and our comment replaced.
    let loaded = rig
        .load(&list("звонить утром"), Settings::default())
        .await
        .unwrap();
    assert_eq!(loaded.api_requests, CATALOG + 2);
    assert_eq!(rig.note(anna).as_deref(), Some("звонить утром"));
    // An agent adds a line in Omnidesk; the comment is edited again: their line stays, and
    // our comment after it is replaced.
    let pacing = Pacing::new(100.0, None, Backoff::default());
    let agent = UserFields {
        user_note: Some("звонить утром\nпросила скидку".into()),
        ..UserFields::default()
    };
    rig.client.update(&pacing, anna, &agent).await.unwrap();
    let loaded = rig
        .load(&list("звонить в обед"), Settings::default())
        .await
        .unwrap();
    assert_final(&loaded);
    assert_eq!(loaded.api_requests, CATALOG + 2);
    assert_eq!(
        rig.note(anna).as_deref(),
        Some("просила скидку\nзвонить в обед")
    );
    let again = rig
        .load(&list("звонить в обед"), Settings::default())
        .await
        .unwrap();
    assert_eq!(again.api_requests, CATALOG);
}

#[tokio::test]
async fn an_email_with_capitals_is_searched_in_its_spelling_once_in_a_case_sensitive_account() {
    // Vera is in the account in lower case; Gleb is not there at all. Five identifiers and
    // one user: creating first is the way (`cost::search_first`).
    let list = "E-mail,Имя\nGleb@Mail.ru,Глеб\nVera@Mail.ru,Вера\nanna@mail.ru,Анна\n\
boris@mail.ru,Борис\ndina@mail.ru,Дина\n";
    let rig = playing("email-case-sensitive").await;
    let mut vera = StoredUser::new("user_email", "vera@mail.ru");
    vera.user_full_name = Some("Вера".into());
    rig.sandbox.insert_user(vera);
    let settings = telling("email-case-sensitive");
    let loaded = rig.load(list, settings.clone()).await.unwrap();
    assert_eq!(
        statuses(&loaded),
        ["created", "unchanged", "created", "created", "created"]
    );
    rig.assert_users(5);
    // Gleb: his spelling searched, then created. Vera: her spelling searched, the create
    // refused as a duplicate, the value found. The others: a create each. (One more list
    // of users is the catalog's count.)
    assert_eq!(rig.requests("GET /api/users.json"), 1 + 3);
    assert_eq!(loaded.api_requests, CATALOG + 2 + 3 + 3);
    let again = rig.load(list, settings).await.unwrap();
    assert_eq!(again.api_requests, CATALOG);
}

#[tokio::test]
async fn tags_without_a_field_refuse_the_run_before_any_write() {
    let rig = rig(SandboxConfig::default()).await;
    // Refused with a code the add-on answers in its own words (apps-script/CONTRACT.md).
    let code = |error: &LoadError| match error {
        LoadError::Settings(refusal) => refusal.code,
        other => panic!("not a refusal of the settings: {other}"),
    };
    let error = rig.load(MIXED, Settings::default()).await.unwrap_err();
    assert!(error.to_string().contains("--tags-field"), "{error}");
    assert_eq!(code(&error), "tags_field_missing");
    let unknown = rig
        .load(
            MIXED,
            Settings {
                tags_field: Some("Метки".into()),
                ..Settings::default()
            },
        )
        .await
        .unwrap_err();
    assert!(unknown.to_string().contains("Метки"), "{unknown}");
    assert_eq!(code(&unknown), "tags_field_unknown");
    assert_eq!(rig.sandbox.stats().total, 2 * CATALOG, "only the catalog");
    rig.assert_users(0);
    // Without tags, no field is needed.
    let loaded = rig
        .load("E-mail,Имя\nanna@mail.ru,Анна\n", Settings::default())
        .await
        .unwrap();
    assert_eq!(statuses(&loaded), ["created"]);
}

#[tokio::test]
async fn lost_answers_and_server_errors_make_no_duplicate() {
    // The spec's reading, and each assumed point that changes what the loader reads.
    for assumptions in [
        "",
        "duplicate-with-id",
        "phone-digits",
        "channel-names,numbers-as-strings",
        "links-pairwise,relink-refused",
        "search-lag,error-description",
        "note-appends,email-case-sensitive",
    ] {
        let rig = playing(assumptions).await;
        // The loader told what the account plays, as `probe` would have said.
        let settings = Settings {
            plays: Assumptions::parse(assumptions).unwrap(),
            ..tags_field()
        };
        // Creates applied with their answers lost (e-mail, phone and messenger ids alike),
        // a 500 before one is applied, a dropped link.
        rig.sandbox.inject(
            Method::POST,
            "/api/users.json",
            Fault::ServerErrorAfterApply,
            3,
        );
        rig.sandbox
            .inject(Method::POST, "/api/users.json", Fault::DropAfterApply, 2);
        rig.sandbox
            .inject(Method::POST, "/api/users.json", Fault::ServerError, 1);
        rig.sandbox
            .inject(Method::PUT, "/api/users/", Fault::DropAfterApply, 1);
        let loaded = rig.load(MIXED, settings.clone()).await.unwrap();
        assert_final(&loaded);
        assert_eq!(statuses(&loaded)[..4], ["created"; 4], "{assumptions}");
        rig.assert_users(9);
        assert_eq!(
            rig.links().values().map(Vec::len).sum::<usize>(),
            // The trio's two others each linked to its first; transitively, to each other too.
            if assumptions.contains("links-pairwise") {
                8
            } else {
                10
            },
            "{assumptions}"
        );
        let again = rig.load(MIXED, settings).await.unwrap();
        assert_eq!(again.api_requests, CATALOG, "{assumptions}");
    }
}

#[tokio::test]
async fn throttling_both_ways_is_waited_out() {
    // Limits announced and followed; then hidden (a proxy that drops underscored headers),
    // so that the interval really runs out, with and without a standard `Retry-After`.
    for (assumptions, headers, standard) in [
        ("", true, false),
        ("throttle-403", false, true),
        ("retry-after-never", false, false),
    ] {
        let rig = rig(SandboxConfig {
            rate_limit_per_minute: 5,
            interval: Duration::from_millis(500),
            limit_headers: headers,
            standard_retry_after: standard,
            assumptions: Assumptions::parse(assumptions).unwrap(),
            ..SandboxConfig::default()
        })
        .await;
        rig.sandbox
            .inject(Method::POST, "/api/users.json", Fault::Throttled, 2);
        let loaded = rig.load(MIXED, tags_field()).await.unwrap();
        assert_final(&loaded);
        rig.assert_users(9);
        assert!(rig.sandbox.stats().throttled >= 2, "{assumptions}");
    }
}

#[tokio::test]
async fn a_shared_office_phone_warns_and_can_be_left_unlinked() {
    let list = "Телефон,E-mail,Имя\n\
+7 495 100-00-00,anna@firm.ru,Анна\n\
+7 495 100-00-00,boris@firm.ru,Борис\n";
    let rig = rig(SandboxConfig::default()).await;
    let linked = rig.load(list, Settings::default()).await.unwrap();
    let text = linked.checked.rows[1].status_text(contact_loader::messages::Lang::En);
    assert!(
        text.contains("+74951000000 is on rows with different names"),
        "{text}"
    );
    assert_eq!(
        rig.requests("PUT /api/users/{id}/link.json"),
        2,
        "one person"
    );

    let rig = self::rig(SandboxConfig::default()).await;
    let apart = rig
        .load(
            list,
            Settings {
                no_link_shared: true,
                ..Settings::default()
            },
        )
        .await
        .unwrap();
    assert_final(&apart);
    rig.assert_users(3);
    assert_eq!(rig.requests("PUT /api/users/{id}/link.json"), 0);
    assert!(rig.links().values().all(Vec::is_empty));
    let again = rig
        .load(
            list,
            Settings {
                no_link_shared: true,
                ..Settings::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(again.api_requests, CATALOG);
}

#[tokio::test]
async fn columns_named_after_data_fields_fill_them_and_others_refuse_the_run() {
    let rig = rig(SandboxConfig::default()).await;
    // «Тариф» is a select of the account; «номер заказа» a field of cases, not of users.
    let list = "E-mail,Имя,Тариф\nanna@mail.ru,Анна,Базовый\nboris@mail.ru,Борис,2\nvera@mail.ru,Вера,Золотой\n";
    let loaded = rig.load(list, Settings::default()).await.unwrap();
    assert_eq!(statuses(&loaded), ["created", "created", "invalid"]);
    let reason = loaded.rows[2]
        .status
        .reason(contact_loader::messages::Lang::En)
        .unwrap();
    assert!(
        reason.contains("“Тариф” has no option “Золотой”"),
        "{reason}"
    );
    assert_eq!(
        rig.user("user_email", "anna@mail.ru").custom_fields["cf_2"],
        "1"
    );
    assert_eq!(
        rig.user("user_email", "boris@mail.ru").custom_fields["cf_2"],
        "2"
    );
    let again = rig.load(list, Settings::default()).await.unwrap();
    assert_eq!(again.api_requests, CATALOG);

    // An account whose selects take the option's title: told so, the load sends the title;
    // untold, the account refuses the key.
    for told in [true, false] {
        let rig = self::playing("select-by-title").await;
        let settings = telling(if told { "select-by-title" } else { "" });
        let loaded = rig.load(list, settings.clone()).await.unwrap();
        if told {
            assert_eq!(statuses(&loaded), ["created", "created", "invalid"]);
            let tariff = |email| rig.user("user_email", email).custom_fields["cf_2"].clone();
            assert_eq!(tariff("anna@mail.ru"), "Базовый");
            assert_eq!(tariff("boris@mail.ru"), "Про");
            let again = rig.load(list, settings).await.unwrap();
            assert_eq!(again.api_requests, CATALOG);
        } else {
            assert_eq!(statuses(&loaded), ["failed", "failed", "invalid"]);
        }
    }

    let before = rig.sandbox.stats().total;
    let unknown = "E-mail,Имя,Источник,Номер заказа\ngleb@mail.ru,Глеб,выставка,\n";
    let error = rig.load(unknown, Settings::default()).await.unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("Источник") && !text.contains("Номер заказа,"),
        "{text}"
    );
    // With a code the add-on answers in the sheet's language (apps-script/CONTRACT.md).
    assert!(
        matches!(&error, LoadError::Settings(refusal) if refusal.code == "columns_unknown"),
        "{error:?}"
    );
    assert_eq!(
        rig.sandbox.stats().total - before,
        CATALOG,
        "nothing written"
    );
}
