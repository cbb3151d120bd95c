//! Intercom load benchmark: requests per row against the cost model's floor, and wall time
//! against requests ÷ the workspace's announced rate.
//!
//! `cargo run --example bench_intercom -- [ROWS] [PER_WINDOW] [LATENCY_MS] [CONCURRENCY]`
//! (defaults: 600, 300, 30, 4) prints one JSON line. The list is realistic: half of its rows are users
//! (an e-mail, most with a phone, a third with a company and a comment), a third leads by
//! phone, the rest leads by a Telegram id; a tenth of the rows repeat an earlier contact;
//! every tenth user is in the workspace already, as the row says; every row has one of two
//! tags.
//!
//! The sandbox admits PER_WINDOW requests in each 10-second window and says so in
//! `X-RateLimit-*`; the load is told nothing else (`--rate` 1000): it paces from the
//! headers. `floor` is the spec's cost table for these contacts: a new user 1, a lead 2, a
//! user the workspace has 2 (the 409 and the write), + 1 for a note, + 1 for a company's
//! attachment, + 1 upsert per distinct company, + 1 call per tag per 100 contacts.
//! `wall_over_ideal` is wall time ÷ (requests ÷ announced rate).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use contact_loader::input::{ReadOptions, Source};
use contact_loader::load::{LoadOptions, Quiet, load};
use contact_loader::pacing::{Backoff, Pacing};
use contact_loader::store::Store;
use contact_loader::targets::intercom::api::{DataAttribute, TAG_BATCH};
use contact_loader::targets::intercom::client::Intercom;
use contact_loader::targets::intercom::rules::Settings;
use contact_loader::targets::intercom::sandbox::{Sandbox, SandboxConfig, StoredContact};
use contact_loader::targets::intercom::target::IntercomTarget;
use secrecy::SecretString;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let rows: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(600);
    let per_window: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(300);
    let latency_ms: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(30);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(4);

    let sandbox = Sandbox::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        SandboxConfig {
            limit_per_window: per_window,
            latency: Duration::from_millis(latency_ms),
            attributes: vec![DataAttribute {
                id: None,
                name: "telegram_id".into(),
                label: None,
                data_type: "string".into(),
                custom: true,
                api_writable: true,
                archived: false,
                model: Some("contact".into()),
            }],
            ..SandboxConfig::default()
        },
    )
    .await
    .expect("the sandbox starts");

    let mut text = String::from("Телефон,E-mail,ID мессенджера,Имя,Компания,Комментарий,Теги\n");
    let mut floor = 0u64;
    let mut seen = HashSet::new();
    let mut companies = BTreeSet::new();
    let mut tagged: BTreeMap<&str, usize> = BTreeMap::new();
    for i in 0..rows {
        let n = if i % 10 == 9 { i - 2 } else { i };
        let first = seen.insert(n);
        let phone = format!("+7999{:07}", 4_000_000 + n);
        let tag = if n % 2 == 0 { "webinar" } else { "vip" };
        let name = format!("Клиент {n}");
        let (line, cost) = match n % 6 {
            0..=2 => {
                let email = format!("client{n}@mail.ru");
                let phone = if n % 6 == 2 { String::new() } else { phone };
                // A third of the users: a company (attached: 1) and a comment (a note: 1).
                let (company, comment) = if n % 3 == 0 {
                    (format!("Компания {}", n % 20), format!("заметка {n}"))
                } else {
                    (String::new(), String::new())
                };
                let existing = n % 10 == 0;
                if existing && first {
                    let mut contact = StoredContact::user(&email);
                    contact.name = Some(name.clone());
                    sandbox.insert_contact(contact);
                }
                let mut cost = if existing { 2 } else { 1 };
                if !company.is_empty() {
                    cost += 2;
                    companies.insert(company.clone());
                }
                (
                    format!("{phone},{email},,{name},{company},{comment},{tag}\n"),
                    cost,
                )
            }
            3 | 4 => (format!("{phone},,,{name},,,{tag}\n"), 2),
            _ => (format!(",,telegram|{},{name},,,{tag}\n", 900_000 + n), 2),
        };
        text.push_str(&line);
        if first {
            floor += cost;
            *tagged.entry(tag).or_default() += 1;
        }
    }
    // A company is upserted once and attached to each of its contacts.
    floor += companies.len() as u64;
    floor += tagged
        .values()
        .map(|n| n.div_ceil(TAG_BATCH) as u64)
        .sum::<u64>();

    let dir = std::env::temp_dir().join(format!("bench-intercom-{}", std::process::id()));
    let ledger = Store::open(&dir.join("ledger.sqlite"))
        .await
        .expect("ledger");
    let client = Intercom::new(
        &sandbox.url(),
        SecretString::from(sandbox.token().to_owned()),
        "2.16",
        Duration::from_secs(30),
    )
    .expect("client");
    let target = IntercomTarget::new(client, Settings::default());
    let options = LoadOptions {
        rate: 1000.0,
        concurrency,
        ..LoadOptions::default()
    };
    let pacing = Pacing::new(options.rate, None, Backoff::default());
    let started = Instant::now();
    let loaded = load(
        Source::from_bytes(text.into_bytes(), ReadOptions::default()),
        &target,
        &ledger,
        &options,
        &pacing,
        &Quiet,
    )
    .await
    .expect("the load runs");
    let wall = started.elapsed().as_secs_f64();
    ledger.close().await;
    let _ = std::fs::remove_dir_all(&dir);

    let contact_requests = loaded.api_requests - loaded.catalog_requests;
    let per_minute = f64::from(per_window) * 6.0;
    let ideal = loaded.api_requests as f64 * 60.0 / per_minute;
    let not_final = loaded
        .rows
        .iter()
        .filter(|r| matches!(r.status.name(), "failed" | "pending"))
        .count();
    println!(
        "{}",
        serde_json::json!({
            "rows": rows,
            "api_requests": loaded.api_requests,
            "catalog_requests": loaded.catalog_requests,
            "requests_per_row": contact_requests as f64 / rows as f64,
            "floor_requests": floor,
            "requests_over_floor": contact_requests as f64 / floor as f64,
            "rate_limited": loaded.rate_limited,
            "sandbox_throttled": sandbox.stats().throttled,
            "per_window": per_window,
            "latency_ms": latency_ms,
            "concurrency": concurrency,
            "wall_s": wall,
            "requests_over_rate_s": ideal,
            "wall_over_ideal": wall / ideal,
            "rows_not_final": not_final,
            "contacts": sandbox.contacts().len(),
        })
    );
}
