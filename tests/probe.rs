//! `probe` against the sandbox as every kind of account it can play: what it finds, what it
//! spends, and that it leaves the account's other clients as they were.

use std::process::{Command, Stdio};
use std::time::Duration;

use secrecy::SecretString;
use serde_json::Value;

use contact_loader::targets::chat2desk::client::Chat2Desk;
use contact_loader::targets::chat2desk::probe::{
    MAX_REQUESTS, ProbeContact, ProbeOptions, ProbeReport, Verdict, probe,
};
use contact_loader::targets::chat2desk::sandbox::{Quirks, Sandbox, SandboxConfig};

mod support;

async fn sandbox(quirks: Quirks) -> Sandbox {
    support::sandbox(SandboxConfig {
        quirks,
        ..SandboxConfig::default()
    })
    .await
}

async fn run(sandbox: &Sandbox, contact: ProbeContact) -> ProbeReport {
    let client = Chat2Desk::new(
        &sandbox.url(),
        SecretString::from(sandbox.token().to_owned()),
        Duration::from_secs(5),
    )
    .unwrap();
    let options = ProbeOptions {
        contact,
        channel: None,
        messenger: None,
    };
    probe(&client, &options).await.unwrap()
}

fn verdict(report: &ProbeReport, fact_starts: &str) -> Verdict {
    report
        .findings
        .iter()
        .find(|f| f.fact.starts_with(fact_starts))
        .unwrap_or_else(|| panic!("{fact_starts} in {report:#?}"))
        .verdict
}

#[tokio::test]
async fn the_probe_settles_the_assumed_facts_in_every_kind_of_account() {
    let variants = Quirks::NAMES
        .iter()
        .map(|n| (*n, Quirks::parse(n).unwrap()))
        .chain([("none", Quirks::default()), ("all", Quirks::ALL)]);
    for (name, quirks) in variants {
        let sandbox = sandbox(quirks).await;
        let report = run(&sandbox, ProbeContact::Phone("79997000001".into())).await;
        assert!(
            report.requests <= MAX_REQUESTS,
            "{name}: {}",
            report.requests
        );
        assert_eq!(
            report.requests,
            sandbox.stats().total,
            "{name}: the probe counts what it sends"
        );
        let clients = sandbox.clients();
        assert_eq!(clients.len(), 1, "{name}: one client at most");
        assert_eq!(Some(clients[0].id), report.created_client);
        assert!(
            clients[0].tag_ids.is_empty(),
            "{name}: the tag it set is gone"
        );
        for fact in [
            "comment is written",
            "a duplicate POST",
            "a client's channels",
            "tags are assigned",
            "GET /v1/clients?phone=",
            "a bad token",
        ] {
            assert_eq!(verdict(&report, fact), Verdict::Holds, "{name}: {fact}");
        }
        assert_eq!(
            verdict(&report, "api_info gives"),
            if quirks.no_allowance {
                Verdict::Differs
            } else {
                Verdict::Holds
            },
            "{name}"
        );
        assert_eq!(
            verdict(&report, "/v1/help/transports"),
            if quirks.object_transports {
                Verdict::Differs
            } else {
                Verdict::Holds
            },
            "{name}"
        );
        if quirks.business_channels {
            let channels = &report
                .findings
                .iter()
                .find(|f| f.fact.starts_with("each channel"))
                .unwrap()
                .seen;
            assert!(
                channels.contains("wa_dialog") && channels.contains("«Почта» (3): email"),
                "{channels}"
            );
            assert_eq!(clients[0].dialogs, [(1, "wa_dialog".to_owned())]);
        }
        let table = report.table();
        assert!(!table.contains(sandbox.token()));
    }
}

#[tokio::test]
async fn the_probe_writes_nothing_on_a_client_it_did_not_make() {
    let sandbox = sandbox(Quirks::default()).await;
    let id = sandbox.insert_client("79997000002", Some("Анна"), Some("её комментарий"));
    let report = run(&sandbox, ProbeContact::Phone("79997000002".into())).await;
    assert_eq!(report.created_client, None);
    assert_eq!(verdict(&report, "comment is written"), Verdict::Unconfirmed);
    let clients = sandbox.clients();
    assert_eq!(clients.len(), 1);
    assert_eq!(clients[0].id, id);
    assert_eq!(clients[0].comment.as_deref(), Some("её комментарий"));
    assert!(clients[0].tag_ids.is_empty());
}

#[tokio::test]
async fn an_e_mail_probe_creates_an_e_mail_client_on_the_e_mail_channel() {
    let sandbox = sandbox(Quirks::ALL).await;
    let report = run(&sandbox, ProbeContact::Email("probe@example.org".into())).await;
    assert_eq!(verdict(&report, "an e-mail client"), Verdict::Holds);
    let clients = sandbox.clients();
    assert_eq!(clients.len(), 1);
    assert_eq!(clients[0].dialogs, [(3, "email".to_owned())]);
}

#[tokio::test]
async fn the_command_asks_first_and_prints_json_with_consent() {
    let sandbox = sandbox(Quirks::ALL).await;
    let bin = env!("CARGO_BIN_EXE_contact-loader");
    let url = sandbox.url();
    let token = sandbox.token().to_owned();
    let (refused, consented) = tokio::task::spawn_blocking(move || {
        let command = |extra: &[&str]| {
            Command::new(bin)
                .args(["probe", "--phone", "+7 999 700-00-03", "--base-url", &url])
                .args(extra)
                .env("CHAT2DESK_TOKEN", &token)
                .stdin(Stdio::null())
                .output()
                .unwrap()
        };
        (command(&[]), command(&["--yes", "--json"]))
    })
    .await
    .unwrap();
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("at most 15 requests") && said.contains("--yes"),
        "{said}"
    );
    assert!(
        consented.status.success(),
        "{}",
        String::from_utf8_lossy(&consented.stderr)
    );
    let report: Value = serde_json::from_slice(&consented.stdout).unwrap();
    assert!(report["requests"].as_u64().unwrap() <= 15);
    assert!(report["findings"].as_array().unwrap().len() >= 9);
    assert!(!String::from_utf8_lossy(&consented.stdout).contains(sandbox.token()));
    assert_eq!(sandbox.clients().len(), 1, "the refused run sent nothing");
}

/// `probe --target omnidesk` against the Omnidesk sandbox, as the spec reads each assumed
/// point and as each variant of it (`omnidesk::api::Assumptions`).
mod omnidesk {
    use std::net::SocketAddr;
    use std::process::{Command, Stdio};
    use std::time::Duration;

    use reqwest::Method;
    use secrecy::SecretString;
    use serde_json::Value;

    use contact_loader::targets::omnidesk::api::{self, Assumptions};
    use contact_loader::targets::omnidesk::client::Omnidesk;
    use contact_loader::targets::omnidesk::probe::{
        FIRST_NOTE, MAX_REQUESTS, PROBE_NAME, ProbeError, ProbeOptions, ProbeReport, SECOND_NOTE,
        Verdict, probe,
    };
    use contact_loader::targets::omnidesk::sandbox::{Fault, Sandbox, SandboxConfig, StoredUser};

    const EMAIL: &str = "Probe.User@Example.org";
    const PHONE: &str = "+79997000001";

    /// An interval long enough that the room left in it is not "close to the limit" once
    /// announced per minute, and short enough that a throttled answer is waited out fast.
    fn config(variants: &str) -> SandboxConfig {
        SandboxConfig {
            interval: Duration::from_secs(10),
            assumptions: Assumptions::parse(variants).unwrap(),
            ..SandboxConfig::default()
        }
    }

    async fn start(config: SandboxConfig) -> Sandbox {
        Sandbox::start(SocketAddr::from(([127, 0, 0, 1], 0)), config)
            .await
            .unwrap()
    }

    fn client(sandbox: &Sandbox, api_key: &str) -> Omnidesk {
        Omnidesk::new(
            &sandbox.url(),
            SecretString::from(sandbox.staff_email().to_owned()),
            SecretString::from(api_key.to_owned()),
            Duration::from_secs(5),
        )
        .unwrap()
    }

    fn options(phone: bool, one_create: bool) -> ProbeOptions {
        ProbeOptions {
            email: EMAIL.to_owned(),
            phone: phone.then(|| PHONE.to_owned()),
            one_create,
        }
    }

    async fn run(sandbox: &Sandbox, options: &ProbeOptions) -> ProbeReport {
        probe(&client(sandbox, sandbox.api_key()), options)
            .await
            .unwrap()
    }

    fn verdict(report: &ProbeReport, point_starts: &str) -> Verdict {
        report
            .findings
            .iter()
            .find(|f| f.point.starts_with(point_starts))
            .unwrap_or_else(|| panic!("{point_starts} in {report:#?}"))
            .verdict
    }

    /// What a report shows of the sandbox's secrets and the create answers' passwords.
    fn assert_no_secret(sandbox: &Sandbox, report: &ProbeReport) {
        let json = serde_json::to_string(report).unwrap();
        for text in [report.table(), json, format!("{report:?}")] {
            assert!(!text.contains(sandbox.staff_email()), "{text}");
            assert!(!text.contains(sandbox.api_key()), "{text}");
            assert!(!text.contains(api::PASSWORD_FIELD), "{text}");
        }
    }

    /// The sandbox's own accounting: what the probe spent and left behind.
    fn assert_spent_and_left(sandbox: &Sandbox, report: &ProbeReport, name: &str) {
        assert!(
            report.requests <= MAX_REQUESTS,
            "{name}: {}",
            report.requests
        );
        assert_eq!(
            report.requests,
            sandbox.stats().total,
            "{name}: the probe counts what it sends"
        );
        let users = sandbox.users();
        let ids: Vec<u64> = users.iter().map(|u| u.user_id).collect();
        assert_eq!(ids, report.created_users, "{name}");
        assert!(
            users
                .iter()
                .all(|u| u.user_full_name.as_deref() == Some(PROBE_NAME)),
            "{name}"
        );
    }

    #[tokio::test]
    async fn an_account_as_the_spec_reads_it_holds_every_point_the_probe_settles() {
        let sandbox = start(config("")).await;
        // One throttled answer on the way: observed, waited out, the edit sent again.
        sandbox.inject(Method::PUT, "/api/users/", Fault::Throttled, 1);
        let report = run(&sandbox, &options(true, false)).await;
        assert_spent_and_left(&sandbox, &report, "default");
        assert_no_secret(&sandbox, &report);
        assert_eq!(report.plays, "", "{report:#?}");
        assert_eq!(report.per_minute, Some(300 * 6));
        for point in [
            "limit headers",
            "over the limit",
            "retry_after only",
            "bad credentials",
            "a duplicate create",
            "the duplicate answer",
            "error answers",
            "search finds",
            "e-mail search",
            "PUT replaces",
            "phones are kept",
            "linking a linked",
            "ids and counts",
        ] {
            assert_eq!(verdict(&report, point), Verdict::Holds, "{point}");
        }
        assert_eq!(verdict(&report, "a create with two"), Verdict::Unconfirmed);
        let users = sandbox.users();
        let [email, phone] = &users[..] else {
            panic!("{users:?}")
        };
        assert_eq!(email.identifiers[api::EMAIL_FIELD], EMAIL);
        assert_eq!(email.user_note.as_deref(), Some(SECOND_NOTE));
        assert_eq!(phone.identifiers[api::PHONE_FIELD], PHONE);
        assert!(email.linked_users.contains(&phone.user_id));
        let table = report.table();
        assert!(table.contains("plays the spec's reading"), "{table}");
    }

    /// Each variant the sandbox plays, on its own: the probe names it, and it alone, or —
    /// for those it cannot settle with two profiles — none.
    #[tokio::test]
    async fn each_variant_is_reported_as_the_one_the_account_plays() {
        let settled = [
            "throttle-403",
            "retry-after-always",
            "retry-after-never",
            "error-description",
            "duplicate-with-id",
            "create-links-identifiers",
            "phone-digits",
            "email-case-sensitive",
            "search-lag",
            "note-appends",
            "relink-refused",
            "numbers-as-strings",
        ];
        let unsettled = ["links-pairwise", "select-by-title", "channel-names"];
        assert_eq!(
            settled.len() + unsettled.len(),
            Assumptions::NAMES.len(),
            "every variant is looked at"
        );
        let mut runs = tokio::task::JoinSet::new();
        for name in settled.iter().chain(&unsettled).copied() {
            runs.spawn(async move {
                let sandbox = start(SandboxConfig {
                    // With no `retry_after`, a standard header spares the test the minute.
                    standard_retry_after: name == "retry-after-never",
                    ..config(name)
                })
                .await;
                if name.starts_with("throttle") || name == "retry-after-never" {
                    sandbox.inject(Method::PUT, "/api/users/", Fault::Throttled, 1);
                }
                let report = run(&sandbox, &options(true, true)).await;
                (name, sandbox, report)
            });
        }
        while let Some(done) = runs.join_next().await {
            let (name, sandbox, report) = done.unwrap();
            assert_spent_and_left(&sandbox, &report, name);
            assert_no_secret(&sandbox, &report);
            let expected = if unsettled.contains(&name) { "" } else { name };
            assert_eq!(report.plays, expected, "{name}: {report:#?}");
            assert_eq!(
                Assumptions::parse(&report.plays).unwrap(),
                Assumptions::parse(expected).unwrap()
            );
            let named = report.findings.iter().filter(|f| f.variant.is_some());
            assert!(
                named.clone().all(|f| f.verdict == Verdict::Differs),
                "{name}"
            );
            if !expected.is_empty() {
                assert!(
                    report.table().contains(&format!("[plays {name}]")),
                    "{name}"
                );
            }
            let users = sandbox.users();
            // Two profiles, linked, whichever way they were made.
            assert_eq!(users.len(), 2, "{name}: {users:?}");
            assert!(users[0].linked_users.contains(&users[1].user_id), "{name}");
            if name == "note-appends" {
                assert_eq!(
                    users[0].user_note.as_deref(),
                    Some(format!("{FIRST_NOTE}\n{SECOND_NOTE}").as_str())
                );
            }
        }
    }

    #[tokio::test]
    async fn every_variant_at_once_is_reported_at_once() {
        let all = "throttle-403,retry-after-always,error-description,duplicate-with-id,\
                   create-links-identifiers,phone-digits,email-case-sensitive,search-lag,\
                   note-appends,relink-refused,numbers-as-strings,links-pairwise";
        let sandbox = start(config(all)).await;
        sandbox.inject(Method::PUT, "/api/users/", Fault::Throttled, 1);
        let report = run(&sandbox, &options(true, true)).await;
        assert_spent_and_left(&sandbox, &report, "all");
        assert_no_secret(&sandbox, &report);
        let mut expected = Assumptions::parse(all).unwrap();
        expected.links = Assumptions::default().links;
        assert_eq!(Assumptions::parse(&report.plays).unwrap(), expected);
    }

    #[tokio::test]
    async fn the_probe_writes_nothing_on_a_user_it_did_not_make() {
        let sandbox = start(config("email-case-sensitive")).await;
        let mut theirs = StoredUser::new(api::EMAIL_FIELD, EMAIL);
        theirs.user_note = Some("их заметка".to_owned());
        let id = sandbox.insert_user(theirs);
        let report = run(&sandbox, &options(false, false)).await;
        assert!(report.created_users.is_empty());
        assert_eq!(verdict(&report, "a duplicate create"), Verdict::Holds);
        assert_eq!(verdict(&report, "PUT replaces"), Verdict::Unconfirmed);
        assert_eq!(verdict(&report, "search finds"), Verdict::Unconfirmed);
        assert_eq!(verdict(&report, "e-mail search"), Verdict::Differs);
        assert_eq!(verdict(&report, "phones are kept"), Verdict::Unconfirmed);
        let users = sandbox.users();
        assert_eq!(users.len(), 1);
        assert_eq!(users[0].user_id, id);
        assert_eq!(users[0].user_note.as_deref(), Some("их заметка"));
    }

    #[tokio::test]
    async fn a_phone_the_account_has_is_read_not_linked() {
        let sandbox = start(config("phone-digits")).await;
        sandbox.insert_user(StoredUser::new(api::PHONE_FIELD, "79997000001"));
        let report = run(&sandbox, &options(true, false)).await;
        assert_eq!(report.plays, "phone-digits", "{report:#?}");
        assert_eq!(verdict(&report, "linking a linked"), Verdict::Unconfirmed);
        assert_eq!(report.created_users.len(), 1);
        assert_eq!(sandbox.users().len(), 2);
        assert!(sandbox.users().iter().all(|u| u.linked_users.is_empty()));
    }

    #[tokio::test]
    async fn limit_headers_a_proxy_drops_are_reported_missing() {
        let sandbox = start(SandboxConfig {
            limit_headers: false,
            ..config("")
        })
        .await;
        let report = run(&sandbox, &options(false, false)).await;
        assert_eq!(verdict(&report, "limit headers"), Verdict::Differs);
        assert_eq!(report.per_minute, None);
        let seen = &report.findings[0].seen;
        assert!(
            seen.contains("missing") && seen.ends_with("came: none"),
            "{seen}"
        );
    }

    #[tokio::test]
    async fn refused_credentials_stop_the_probe_at_the_first_request() {
        let sandbox = start(config("")).await;
        let error = probe(&client(&sandbox, "wrong-key"), &options(true, true))
            .await
            .unwrap_err();
        assert!(matches!(error, ProbeError::BadCredentials(_)), "{error}");
        assert!(!error.to_string().contains("wrong-key"));
        assert_eq!(sandbox.stats().total, 1);
        assert!(sandbox.users().is_empty());
    }

    #[tokio::test]
    async fn the_command_asks_first_and_prints_json_with_consent() {
        let sandbox = start(config("duplicate-with-id")).await;
        let bin = env!("CARGO_BIN_EXE_contact-loader");
        let url = sandbox.url();
        let dir = std::env::temp_dir().join(format!("omnidesk-probe-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("credentials");
        std::fs::write(
            &file,
            format!(
                "OMNIDESK_STAFF_EMAIL={}\nOMNIDESK_API_KEY={}\n",
                sandbox.staff_email(),
                sandbox.api_key()
            ),
        )
        .unwrap();
        let (staff, key) = (
            sandbox.staff_email().to_owned(),
            sandbox.api_key().to_owned(),
        );
        let (refused, by_env, by_file) = tokio::task::spawn_blocking(move || {
            let command = |extra: &[&str], env: bool| {
                let mut command = Command::new(bin);
                command
                    .args(["probe", "--target", "omnidesk", "--base-url", &url])
                    .args(["--email", EMAIL])
                    .args(extra)
                    .env_remove("OMNIDESK_STAFF_EMAIL")
                    .env_remove("OMNIDESK_API_KEY")
                    .stdin(Stdio::null());
                if env {
                    command
                        .env("OMNIDESK_STAFF_EMAIL", &staff)
                        .env("OMNIDESK_API_KEY", &key);
                }
                command.output().unwrap()
            };
            let path = file.to_str().unwrap();
            (
                command(&["--phone", "+7 999 700-00-01"], true),
                command(&["--phone", "+7 999 700-00-01", "--yes", "--json"], true),
                command(&["--credentials-file", path, "--yes"], false),
            )
        })
        .await
        .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(!refused.status.success());
        let said = String::from_utf8_lossy(&refused.stderr);
        assert!(
            said.contains(&format!("at most {MAX_REQUESTS} requests"))
                && said.contains("+79997000001")
                && said.contains("--yes"),
            "{said}"
        );
        for output in [&by_env, &by_file] {
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            for stream in [&output.stdout, &output.stderr] {
                let text = String::from_utf8_lossy(stream);
                assert!(!text.contains(sandbox.staff_email()), "{text}");
                assert!(!text.contains(sandbox.api_key()), "{text}");
                assert!(!text.contains(api::PASSWORD_FIELD), "{text}");
            }
        }
        let report: Value = serde_json::from_slice(&by_env.stdout).unwrap();
        assert_eq!(report["plays"], "duplicate-with-id");
        assert_eq!(report["created_users"].as_array().unwrap().len(), 2);
        assert!(report["requests"].as_u64().unwrap() <= MAX_REQUESTS);
        // The second run finds the e-mail taken: it creates nothing more, and says so.
        let table = String::from_utf8_lossy(&by_file.stdout);
        assert!(table.contains("[plays duplicate-with-id]"), "{table}");
        assert_eq!(sandbox.users().len(), 2, "the refused run sent nothing");
    }
}

/// `probe --target intercom` against the Intercom sandbox, as the spec reads each assumed
/// point and as each variant of it (`intercom::api::Assumptions`).
mod intercom {
    use std::net::SocketAddr;
    use std::process::{Command, Stdio};
    use std::time::Duration;

    use reqwest::Method;
    use secrecy::SecretString;
    use serde_json::{Value, json};

    use contact_loader::targets::intercom::api::{Assumptions, DataAttribute, Role};
    use contact_loader::targets::intercom::client::Intercom;
    use contact_loader::targets::intercom::probe::{
        MAX_REQUESTS, PROBE_NAME, ProbeError, ProbeOptions, ProbeReport, SECOND_VALUE, Verdict,
        probe,
    };
    use contact_loader::targets::intercom::sandbox::{
        Fault, Sandbox, SandboxConfig, StoredContact,
    };

    const EMAIL: &str = "probe.user@example.org";

    /// The variants the probe settles; the others it names as not probed.
    const PROBED: [&str; 6] = [
        "no-rate-headers",
        "ids-as-numbers",
        "conflict-without-id",
        "attributes-replaced",
        "bulk-tag-unlisted",
        "archived-in-search",
    ];

    fn attribute(name: &str, data_type: &str) -> DataAttribute {
        DataAttribute {
            id: None,
            name: name.into(),
            label: None,
            data_type: data_type.into(),
            custom: true,
            api_writable: true,
            archived: false,
            model: Some("contact".into()),
        }
    }

    /// A workspace with the two custom attributes the `PUT` point takes, and a window short
    /// enough that a throttled answer is waited out fast.
    fn config(variants: &str) -> SandboxConfig {
        SandboxConfig {
            window: Duration::from_secs(1),
            attributes: vec![
                attribute("position", "string"),
                attribute("score", "integer"),
            ],
            assumptions: Assumptions::parse(variants).unwrap(),
            ..SandboxConfig::default()
        }
    }

    async fn start(config: SandboxConfig) -> Sandbox {
        Sandbox::start(SocketAddr::from(([127, 0, 0, 1], 0)), config)
            .await
            .unwrap()
    }

    fn client(sandbox: &Sandbox, token: &str) -> Intercom {
        Intercom::new(
            &sandbox.url(),
            SecretString::from(token.to_owned()),
            "2.16",
            Duration::from_secs(5),
        )
        .unwrap()
    }

    fn options() -> ProbeOptions {
        ProbeOptions {
            search_recheck: Duration::from_millis(600),
            ..ProbeOptions::new(EMAIL)
        }
    }

    async fn run(sandbox: &Sandbox) -> ProbeReport {
        probe(&client(sandbox, sandbox.token()), &options())
            .await
            .unwrap()
    }

    fn finding<'a>(
        report: &'a ProbeReport,
        point_starts: &str,
    ) -> &'a contact_loader::targets::intercom::probe::Finding {
        report
            .findings
            .iter()
            .find(|f| f.point.starts_with(point_starts))
            .unwrap_or_else(|| panic!("{point_starts} in {report:#?}"))
    }

    fn verdict(report: &ProbeReport, point_starts: &str) -> Verdict {
        finding(report, point_starts).verdict
    }

    fn assert_no_secret(sandbox: &Sandbox, report: &ProbeReport) {
        let json = serde_json::to_string(report).unwrap();
        for text in [report.table(), json, format!("{report:?}")] {
            assert!(!text.contains(sandbox.token()), "{text}");
        }
    }

    /// The sandbox's own accounting: what the probe spent, and the one user it left —
    /// archived, untagged, with the attributes it wrote.
    fn assert_spent_and_left(sandbox: &Sandbox, report: &ProbeReport, name: &str) {
        assert!(
            report.requests <= MAX_REQUESTS,
            "{name}: {}",
            report.requests
        );
        assert_eq!(
            report.requests,
            sandbox.stats().total,
            "{name}: the probe counts what it sends"
        );
        let contacts = sandbox.contacts();
        assert_eq!(contacts.len(), 1, "{name}: one contact");
        let contact = &contacts[0];
        assert_eq!(report.created.len(), 1, "{name}");
        assert_eq!(report.created[0].id, contact.id, "{name}");
        assert!(report.created[0].archived && contact.archived, "{name}");
        assert_eq!(contact.role, Role::User, "{name}");
        assert_eq!(contact.email.as_deref(), Some(EMAIL), "{name}");
        assert_eq!(contact.name.as_deref(), Some(PROBE_NAME), "{name}");
        assert!(contact.tags.is_empty(), "{name}: the tag it set is gone");
        assert_eq!(
            contact.custom_attributes.get("position"),
            Some(&json!(SECOND_VALUE)),
            "{name}"
        );
        assert_eq!(sandbox.tags().len(), 1, "{name}: the probe's tag");
        assert_eq!(sandbox.tags()[0].name, PROBE_NAME, "{name}");
    }

    #[tokio::test]
    async fn a_workspace_as_the_spec_reads_it_holds_every_point_the_probe_settles() {
        let sandbox = start(config("")).await;
        // One throttled answer on the way: observed, waited out, the PUT sent again.
        sandbox.inject(Method::PUT, "/contacts/{id}", Fault::Throttled, 1);
        let report = run(&sandbox).await;
        assert_spent_and_left(&sandbox, &report, "default");
        assert_eq!(
            report.requests,
            MAX_REQUESTS - 1,
            "13 steps (search showed the contact at once) and one repeat"
        );
        assert_no_secret(&sandbox, &report);
        assert_eq!(report.plays, "", "{report:#?}");
        assert_eq!(report.per_window, Some(1_666));
        let contact = &sandbox.contacts()[0];
        assert_eq!(
            contact.custom_attributes.get("score"),
            Some(&json!(7)),
            "the attribute not sent again is kept"
        );
        for point in [
            "limit headers",
            "GET /data_attributes",
            "GET /tags",
            "ids are strings",
            "a wrong token",
            "over the limit",
            "a second create",
            "a PUT keeps",
            "the bulk tag call lists",
            "DELETE /contacts",
            "search shows a new contact",
            "POST /contacts/{id}/archive",
            "creating an archived contact",
            "search leaves archived",
        ] {
            assert_eq!(
                verdict(&report, point),
                Verdict::Holds,
                "{point}: {report:#?}"
            );
        }
        assert!(
            finding(&report, "a second create")
                .seen
                .contains("\"A contact matching those details already exists with id={id}\""),
            "{report:#?}"
        );
        let unconfirmed = report
            .findings
            .iter()
            .filter(|f| f.verdict == Verdict::Unconfirmed)
            .count();
        assert_eq!(unconfirmed, 4, "only the points it does not probe");
        let table = report.table();
        assert!(table.contains("stays archived"), "{table}");
        assert!(table.contains("spec's reading of every point"), "{table}");
        assert!(
            finding(&report, "a PUT keeps")
                .seen
                .contains("kept score = 7"),
            "{report:#?}"
        );
    }

    #[tokio::test]
    async fn each_variant_is_reported_as_the_one_the_workspace_plays() {
        for name in Assumptions::NAMES.iter().copied().chain(["ids-as-numbers"]) {
            let sandbox = start(config(name)).await;
            let report = run(&sandbox).await;
            assert_no_secret(&sandbox, &report);
            assert!(
                report.requests <= MAX_REQUESTS,
                "{name}: {}",
                report.requests
            );
            assert_eq!(report.requests, sandbox.stats().total, "{name}");
            if !PROBED.contains(&name) {
                // Not probed: nothing in the workspace's answers may say otherwise.
                assert_eq!(report.plays, "", "{name}: {report:#?}");
                assert_spent_and_left(&sandbox, &report, name);
                continue;
            }
            assert_eq!(report.plays, name, "{name}: {report:#?}");
            let differs: Vec<_> = report
                .findings
                .iter()
                .filter(|f| f.verdict == Verdict::Differs)
                .collect();
            assert_eq!(differs.len(), 1, "{name}: {differs:#?}");
            assert_eq!(differs[0].variant, Some(name), "{name}");
            assert!(
                report.table().contains(&format!("[plays {name}]")),
                "{name}"
            );
            if name != "attributes-replaced" {
                assert_spent_and_left(&sandbox, &report, name);
            }
        }
    }

    #[tokio::test]
    async fn every_probed_variant_at_once_is_reported_at_once() {
        let all = PROBED.join(",");
        let sandbox = start(config(&all)).await;
        let report = run(&sandbox).await;
        assert!(report.requests <= MAX_REQUESTS, "{}", report.requests);
        assert_eq!(
            Assumptions::parse(&report.plays).unwrap(),
            Assumptions::parse(&all).unwrap(),
            "{report:#?}"
        );
        // Without limit headers there is no per-window figure to report.
        assert_eq!(report.per_window, None);
    }

    #[tokio::test]
    async fn a_search_that_lags_is_searched_again_and_an_archive_it_lags_on_settles_nothing() {
        let sandbox = start(SandboxConfig {
            search_lag: Duration::from_millis(300),
            ..config("")
        })
        .await;
        let report = run(&sandbox).await;
        assert_spent_and_left(&sandbox, &report, "lag");
        let lag = finding(&report, "search shows a new contact");
        assert_eq!(lag.verdict, Verdict::Holds);
        assert!(lag.seen.starts_with("missing at once; found"), "{lag:?}");
        // The archive reaches the index after the lag too: a search right after it may
        // still show the contact live, which settles nothing.
        assert_eq!(
            verdict(&report, "search leaves archived"),
            Verdict::Unconfirmed
        );
        assert_eq!(report.plays, "");
    }

    #[tokio::test]
    async fn a_search_that_never_shows_the_contact_leaves_the_archived_search_open() {
        let sandbox = start(SandboxConfig {
            search_lag: Duration::from_secs(60),
            ..config("archived-in-search")
        })
        .await;
        let report = run(&sandbox).await;
        assert_spent_and_left(&sandbox, &report, "long lag");
        let lag = finding(&report, "search shows a new contact");
        assert!(lag.seen.starts_with("missing at once and"), "{lag:?}");
        assert_eq!(
            verdict(&report, "search leaves archived"),
            Verdict::Unconfirmed
        );
        assert_eq!(report.plays, "");
    }

    #[tokio::test]
    async fn the_probe_writes_nothing_on_a_contact_it_did_not_make() {
        for archived in [false, true] {
            let sandbox = start(config("")).await;
            let id = sandbox.insert_contact(StoredContact {
                archived,
                name: Some("Anna".into()),
                ..StoredContact::user(EMAIL)
            });
            let report = run(&sandbox).await;
            assert!(report.created.is_empty());
            assert_eq!(report.requests, 4, "three reads and the create");
            assert_eq!(verdict(&report, "a second create"), Verdict::Holds);
            assert_eq!(
                verdict(&report, "creating an archived contact"),
                if archived {
                    Verdict::Holds
                } else {
                    Verdict::Unconfirmed
                }
            );
            for point in [
                "a PUT keeps",
                "the bulk tag call lists",
                "POST /contacts/{id}/archive",
            ] {
                assert_eq!(verdict(&report, point), Verdict::Unconfirmed, "{point}");
            }
            let contacts = sandbox.contacts();
            assert_eq!(contacts.len(), 1);
            assert_eq!(contacts[0].id, id);
            assert_eq!(contacts[0].archived, archived);
            assert_eq!(contacts[0].name.as_deref(), Some("Anna"));
            assert!(sandbox.tags().is_empty());
        }
    }

    #[tokio::test]
    async fn without_two_custom_attributes_the_put_point_stays_open() {
        let sandbox = start(SandboxConfig {
            attributes: vec![attribute("position", "string")],
            ..config("attributes-replaced")
        })
        .await;
        let report = run(&sandbox).await;
        assert_eq!(verdict(&report, "a PUT keeps"), Verdict::Unconfirmed);
        assert_eq!(report.plays, "");
        assert!(report.requests <= MAX_REQUESTS - 2);
        assert!(sandbox.contacts()[0].custom_attributes.is_empty());
    }

    #[tokio::test]
    async fn a_refused_token_stops_the_probe_at_the_first_request() {
        let sandbox = start(config("")).await;
        let error = probe(&client(&sandbox, "wrong-token"), &options())
            .await
            .unwrap_err();
        assert!(matches!(error, ProbeError::BadCredentials(_)), "{error}");
        assert!(!error.to_string().contains("wrong-token"));
        assert_eq!(sandbox.stats().total, 1);
        assert!(sandbox.contacts().is_empty());
    }

    #[tokio::test]
    async fn the_command_asks_first_and_prints_json_with_consent() {
        let sandbox = start(config("bulk-tag-unlisted")).await;
        let bin = env!("CARGO_BIN_EXE_contact-loader");
        let url = sandbox.url();
        let token = sandbox.token().to_owned();
        let (refused, consented) = tokio::task::spawn_blocking(move || {
            let command = |extra: &[&str]| {
                Command::new(bin)
                    .args(["probe", "--target", "intercom", "--base-url", &url])
                    .args(["--email", " Probe.User@Example.org "])
                    .args(extra)
                    .env("INTERCOM_TOKEN", &token)
                    .stdin(Stdio::null())
                    .output()
                    .unwrap()
            };
            (command(&[]), command(&["--yes", "--json"]))
        })
        .await
        .unwrap();
        assert!(!refused.status.success());
        let said = String::from_utf8_lossy(&refused.stderr);
        assert!(
            said.contains(&format!("at most {MAX_REQUESTS} requests"))
                && said.contains(EMAIL)
                && said.contains("archives it")
                && said.contains("--yes"),
            "{said}"
        );
        assert!(
            consented.status.success(),
            "{}",
            String::from_utf8_lossy(&consented.stderr)
        );
        for stream in [&consented.stdout, &consented.stderr] {
            let text = String::from_utf8_lossy(stream);
            assert!(!text.contains(sandbox.token()), "{text}");
        }
        let report: Value = serde_json::from_slice(&consented.stdout).unwrap();
        assert_eq!(report["plays"], "bulk-tag-unlisted");
        assert!(report["requests"].as_u64().unwrap() <= MAX_REQUESTS);
        assert_eq!(report["created"][0]["archived"], true);
        let contacts = sandbox.contacts();
        assert_eq!(contacts.len(), 1, "the refused run sent nothing");
        assert_eq!(contacts[0].email.as_deref(), Some(EMAIL), "lower-cased");
    }
}
