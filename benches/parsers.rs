//! Per-call costs of the parsers and of `check` on a 10,000-row list
//! (`cargo bench --bench parsers`; numbers in `docs/performance.md`).
//!
//! The list is built in memory by the same code as `examples/generate.rs`, so it has the
//! mix of the 1,000,000-row benchmark file. Sample sizes and times are kept small so the
//! whole run takes about a minute.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

use contact_loader::check::{CheckOptions, check};
use contact_loader::domain::{Email, Phone, RawRow, Region, Row};
use contact_loader::input::{ReadOptions, Source};

#[allow(dead_code)]
#[path = "../examples/generate.rs"]
mod generate;

const PHONES: &[(&str, &str)] = &[
    ("8 (9xx) xxx-xx-xx", "8 (999) 123-45-67"),
    ("+7 9xx xxxxxxx", "+7 999 1234567"),
    ("89xxxxxxxxx", "89991234567"),
    ("9xxxxxxxxx", "9991234567"),
    ("8 800 toll-free", "8 800 555 35 35"),
    ("8 (812) city", "8 (812) 123-45-67"),
    ("with extension", "+7 999 123-45-67 доб. 12"),
    ("invalid: letter", "8 999 12З 45 67"),
    ("invalid: too short", "123-45-67"),
];

const EMAILS: &[(&str, &str)] = &[
    ("lower", "ivan.petrov@mail.ru"),
    ("mixed case", " Ivan.Petrov@Mail.RU "),
    ("invalid: no tld", "ivan@mail"),
];

const CHECK_ROWS: usize = 10_000;

fn phone_parse(c: &mut Criterion) {
    let region = Region::default();
    let mut group = c.benchmark_group("Phone::parse");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    for &(label, raw) in PHONES {
        group.bench_function(label, |b| {
            b.iter(|| Phone::parse(black_box(raw), region));
        });
    }
    group.finish();
}

fn email_parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("Email::parse");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    for &(label, raw) in EMAILS {
        group.bench_function(label, |b| b.iter(|| Email::parse(black_box(raw))));
    }
    group.finish();
}

fn row_parse(c: &mut Criterion) {
    let region = Region::default();
    let mut group = c.benchmark_group("Row::parse");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    let phone_row = RawRow {
        contact: "8 (999) 123-45-67",
        name: "Петрова Анна Сергеевна",
        comment: "Перезвонить после 18:00",
        tags: "vip, вебинар",
        ..RawRow::default()
    };
    group.bench_function("phone, name, comment, 2 tags", |b| {
        b.iter(|| Row::parse(black_box(&phone_row), region));
    });
    let email_row = RawRow {
        contact: "Ivan.Petrov@Mail.ru",
        name: "Иван Петров",
        tags: "опт",
        ..RawRow::default()
    };
    group.bench_function("e-mail, name, 1 tag", |b| {
        b.iter(|| Row::parse(black_box(&email_row), region));
    });
    group.finish();
}

fn check_list(c: &mut Criterion) {
    let mut csv = Vec::new();
    generate::write_rows(CHECK_ROWS, 42, generate::Shape::USUAL, &mut csv)
        .expect("writing to memory");
    let mut group = c.benchmark_group("check");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Elements(CHECK_ROWS as u64));
    group.bench_function("10k rows", |b| {
        b.iter_batched(
            || Source::from_bytes(csv.clone(), ReadOptions::default()),
            |source| check(source, CheckOptions::default()).expect("a header"),
            BatchSize::LargeInput,
        );
    });
    group.bench_function("10k rows incl. decoding", |b| {
        b.iter_batched(
            || csv.clone(),
            |bytes| {
                let source = Source::from_bytes(bytes, ReadOptions::default());
                check(source, CheckOptions::default()).expect("a header")
            },
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

criterion_group!(benches, phone_parse, email_parse, row_parse, check_list);
criterion_main!(benches);
