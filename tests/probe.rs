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
