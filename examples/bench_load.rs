//! Load benchmark: requests per row and wall time against a rate-limited sandbox.
//!
//! `cargo run --release --example bench_load -- [ROWS] [RATE] [LATENCY_MS] [CONCURRENCY]`
//! (defaults: 2000, 20, 50, 4) prints one JSON line. The list is realistic: a fifth of its
//! contacts are already in the account (same name and comment, no tags), a tenth of its
//! rows repeat an earlier contact, half have a comment, every row has a tag.
//!
//! The sandbox keeps its rate as a strict sliding window (at most RATE requests in any
//! second) and the load is told the same rate, so the pacer runs at the very limit:
//! `wall_over_ideal` is wall time ÷ (requests sent ÷ RATE), `wall_over_needed` the same
//! over the requests that were not refused with a 429, and `rate_limited` counts the 429s
//! (`sandbox_rate_limited` as the sandbox counted them).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use contact_loader::input::{ReadOptions, Source};
use contact_loader::load::{LoadOptions, Quiet, load};
use contact_loader::pacing::{Backoff, Pacing};
use contact_loader::store::Store;
use contact_loader::targets::chat2desk::client::Chat2Desk;
use contact_loader::targets::chat2desk::sandbox::{Sandbox, SandboxConfig};
use contact_loader::targets::chat2desk::{Chat2DeskTarget, Settings};
use secrecy::SecretString;

const TAGS: [&str; 4] = ["vip", "вебинар", "новый", "b2b"];

fn phone(n: usize) -> String {
    format!("7999{:07}", 1_000_000 + n)
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let rows: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let rate: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(20.0);
    let latency_ms: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(50);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(4);

    let sandbox = Sandbox::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        SandboxConfig {
            rate: Some(rate),
            latency: Duration::from_millis(latency_ms),
            ..SandboxConfig::default()
        },
    )
    .await
    .expect("the sandbox starts");

    // Contacts: every tenth row repeats the contact two rows above it.
    let mut text = String::from("Телефон;Имя;Комментарий;Теги\n");
    let mut contacts = Vec::with_capacity(rows);
    let mut floor = 0u64;
    let mut seen = std::collections::HashSet::new();
    for i in 0..rows {
        let n = if i % 10 == 9 { i - 2 } else { i };
        let with_comment = n % 2 == 0;
        let comment = if with_comment {
            "перезвонить после 18"
        } else {
            ""
        };
        let existing = n % 5 == 0;
        text.push_str(&format!(
            "+{};Клиент {n};{comment};{}\n",
            phone(n),
            TAGS[n % TAGS.len()]
        ));
        contacts.push(n);
        if seen.insert(n) {
            if existing {
                sandbox.insert_client(
                    &phone(n),
                    Some(&format!("Клиент {n}")),
                    Some(comment).filter(|c| !c.is_empty()),
                );
                // Floor for an existing contact: the create that finds it, then the one
                // write that changes something (its tag).
                floor += 2;
            } else {
                // A new contact: create, then the comment, then the tag.
                floor += 1 + u64::from(with_comment) + 1;
            }
        }
    }
    let profiles = seen.len();

    let dir = std::env::temp_dir().join(format!("bench-load-{}", std::process::id()));
    let ledger = Store::open(&dir.join("ledger.sqlite"))
        .await
        .expect("ledger");
    let target = Chat2DeskTarget {
        client: Chat2Desk::new(
            &sandbox.url(),
            SecretString::from(sandbox.token().to_owned()),
            Duration::from_secs(30),
        )
        .expect("client"),
        settings: Settings {
            channel: Some("Продажи".into()),
            transport: Some("whatsapp".into()),
            email_channel: None,
        },
    };
    let options = LoadOptions {
        rate,
        concurrency,
        backoff: Backoff::default(),
        ..LoadOptions::default()
    };
    let pacing = Pacing::new(options.rate, None, options.backoff);
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
    let ideal = loaded.api_requests as f64 / rate;
    let needed = (loaded.api_requests - loaded.rate_limited) as f64 / rate;
    println!(
        "{}",
        serde_json::json!({
            "rows": rows,
            "profiles": profiles,
            "api_requests": loaded.api_requests,
            "catalog_requests": loaded.catalog_requests,
            "requests_per_row": contact_requests as f64 / rows as f64,
            "floor_requests": floor,
            "floor_per_row": floor as f64 / rows as f64,
            "three_per_row": 3 * rows,
            "rate_limited": loaded.rate_limited,
            "retries": loaded.retries,
            "rate": rate,
            "latency_ms": latency_ms,
            "concurrency": concurrency,
            "sandbox_rate_limited": sandbox.stats().rate_limited,
            "wall_s": wall,
            "requests_over_rate_s": ideal,
            "wall_over_ideal": wall / ideal,
            "wall_over_needed": wall / needed,
        })
    );
}
