//! Omnidesk load benchmark: requests per row against the cost model's floor, and wall time
//! against requests ÷ the account's announced rate.
//!
//! `cargo run --release --example bench_omnidesk -- [ROWS] [PER_MINUTE] [LATENCY_MS]`
//! (defaults: 600, 1200, 30) prints one JSON line. The list is realistic: a third of its
//! rows have a phone and an e-mail (two linked profiles), a sixth a messenger id alone,
//! the rest a phone; a tenth of the rows repeat an earlier contact; every tenth contact is
//! in the account already (as the row says: nothing to change); every row has a tag.
//!
//! The sandbox announces PER_MINUTE in `rate_limit_per_minute` and keeps it as a fixed
//! window of a tenth of a minute (PER_MINUTE ÷ 10 in any 6 s), so that the run takes a
//! short while; the load is told nothing else (`--rate` 1000): it paces from the headers.
//! `floor` is what the cost model says for the contacts not in the account plus one
//! lookup for each that is; `wall_over_ideal` is wall time ÷ (requests ÷ announced rate).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use contact_loader::input::{ReadOptions, Source};
use contact_loader::load::{LoadOptions, Quiet, load};
use contact_loader::pacing::{Backoff, Pacing};
use contact_loader::store::Store;
use contact_loader::targets::omnidesk::client::Omnidesk;
use contact_loader::targets::omnidesk::rules::Settings;
use contact_loader::targets::omnidesk::sandbox::{Sandbox, SandboxConfig, StoredUser};
use contact_loader::targets::omnidesk::target::OmnideskTarget;
use secrecy::SecretString;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let rows: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(600);
    let per_minute: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1200);
    let latency_ms: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(30);

    let sandbox = Sandbox::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        SandboxConfig {
            rate_limit_per_minute: per_minute / 10,
            interval: Duration::from_secs(6),
            latency: Duration::from_millis(latency_ms),
            ..SandboxConfig::default()
        },
    )
    .await
    .expect("the sandbox starts");

    let mut text = String::from("Телефон,E-mail,ID мессенджера,Имя,Теги\n");
    let mut floor = 0u64;
    let mut seen = std::collections::HashSet::new();
    for i in 0..rows {
        let n = if i % 10 == 9 { i - 2 } else { i };
        let phone = format!("+7999{:07}", 3_000_000 + n);
        let email = format!("client{n}@mail.ru");
        let telegram = format!("telegram|{}", 800_000 + n);
        let existing = n % 10 == 3;
        let telegram_id = telegram.trim_start_matches("telegram|").to_owned();
        let (line, identifiers): (String, Vec<(&str, String)>) = match n % 6 {
            0 | 3 => (
                format!("{phone},{email},,Клиент {n},vip\n"),
                vec![("user_phone", phone.clone()), ("user_email", email.clone())],
            ),
            5 => (
                format!(",,{telegram},Клиент {n},vip\n"),
                vec![("user_telegram", telegram_id)],
            ),
            _ => (
                format!("{phone},,,Клиент {n},vip\n"),
                vec![("user_phone", phone.clone())],
            ),
        };
        text.push_str(&line);
        if !seen.insert(n) {
            continue;
        }
        let k = identifiers.len() as u64;
        if existing {
            // In the account as the row says: the refused create and its lookup, per
            // identifier, and the link.
            for (field, value) in &identifiers {
                let mut user = StoredUser::new(field, value);
                user.user_full_name = Some(format!("Клиент {n}"));
                user.custom_fields
                    .insert("cf_1".into(), serde_json::Value::from("vip"));
                sandbox.insert_user(user);
            }
            floor += 2 * k + (k - 1);
        } else {
            floor += 2 * k - 1;
        }
    }

    let dir = std::env::temp_dir().join(format!("bench-omnidesk-{}", std::process::id()));
    let ledger = Store::open(&dir.join("ledger.sqlite"))
        .await
        .expect("ledger");
    let target = OmnideskTarget {
        client: Omnidesk::new(
            &sandbox.url(),
            SecretString::from(sandbox.staff_email().to_owned()),
            SecretString::from(sandbox.api_key().to_owned()),
            Duration::from_secs(30),
        )
        .expect("client"),
        settings: Settings {
            tags_field: Some("Теги".into()),
            ..Settings::default()
        },
    };
    let options = LoadOptions {
        rate: 1000.0,
        concurrency: 4,
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
    let ideal = loaded.api_requests as f64 * 60.0 / f64::from(per_minute);
    let failed = loaded
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
            "per_minute": per_minute,
            "latency_ms": latency_ms,
            "wall_s": wall,
            "requests_over_rate_s": ideal,
            "wall_over_ideal": wall / ideal,
            "rows_not_final": failed,
        })
    );
}
