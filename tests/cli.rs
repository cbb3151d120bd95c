//! Black-box tests of `contact-loader check` on the example list and on files as Excel
//! writes them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_contact-loader"))
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/contacts.csv")
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

fn report_of(file: &Path, extra: &[&str]) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.jsonl");
    let mut args = vec![
        "check",
        file.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let output = run(&args);
    assert!(output.status.success(), "{output:?}");
    std::fs::read_to_string(&report)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn row(report: &[Value], number: u64) -> &Value {
    report
        .iter()
        .find(|r| r["row"] == number)
        .unwrap_or_else(|| panic!("row {number} is in the report"))
}

#[test]
fn the_example_list_gets_the_right_status_on_every_row() {
    let report = report_of(&example(), &[]);
    let rows: Vec<u64> = report.iter().map(|r| r["row"].as_u64().unwrap()).collect();
    assert_eq!(
        rows,
        (2..=31).collect::<Vec<_>>(),
        "every row once, in order"
    );

    let expect = |n: u64, status: &str, key: Option<&str>| {
        let r = row(&report, n);
        assert_eq!(r["status"], status, "row {n}: {r}");
        assert_eq!(r["key"].as_str(), key, "row {n}: {r}");
    };
    // Phone formats normalise to E.164.
    expect(2, "ready", Some("+79991234567"));
    expect(4, "ready", Some("+79161234567"));
    expect(6, "ready", Some("+78005553535"));
    expect(7, "ready", Some("+78121234567"));
    expect(8, "ready", Some("+79997654321"));
    expect(21, "ready", Some("+77011234567"));
    expect(23, "ready", Some("+79265554433"));
    expect(31, "ready", Some("+79123456789"));
    // The same person again: merged, naming the row that created the profile.
    expect(3, "merged", Some("+79991234567"));
    assert_eq!(row(&report, 3)["merged_into"], 2);
    expect(5, "merged", Some("+79161234567"));
    assert_eq!(row(&report, 5)["merged_into"], 4);
    // E-mails merge case-insensitively.
    expect(15, "ready", Some("ivan.sidorov@mail.ru"));
    expect(16, "merged", Some("ivan.sidorov@mail.ru"));
    // A phone and an e-mail on one row are linked.
    assert_eq!(
        row(&report, 2)["linked"],
        serde_json::json!(["anna.petrova@mail.ru"])
    );
    // A messenger id alone is a profile, with a note for Chat2Desk.
    expect(30, "ready", Some("telegram|123456789"));
    assert_eq!(row(&report, 30)["warnings"].as_array().unwrap().len(), 1);
    expect(19, "skipped", None);

    let reasons = [
        (9, "буквы"),
        (10, "не хватает цифр"),
        (11, "лишние цифры"),
        (12, "такого номера не существует"),
        (13, "два номера"),
        (14, "апострофом"),
        (17, "только адрес"),
        (18, "домена верхнего уровня"),
        (20, "нет контакта"),
        (24, "E+10"),
    ];
    for (n, words) in reasons {
        let r = row(&report, n);
        assert_eq!(r["status"], "invalid", "row {n}");
        assert!(
            r["reason"].as_str().unwrap().contains(words),
            "row {n}: {} should say {words}",
            r["reason"]
        );
    }
    // A name over the limit is cut, and the contact kept.
    expect(22, "ready", Some("+79031112233"));
    assert!(
        row(&report, 22)["warnings"][0]
            .as_str()
            .unwrap()
            .contains("обрезано до 255")
    );
    // A shared office phone links six profiles: every row of the cluster is warned.
    for n in 25..=29 {
        let warnings = row(&report, n)["warnings"].as_array().unwrap().clone();
        assert!(
            warnings
                .iter()
                .any(|w| w.as_str().unwrap().contains("связано 6 профилей")),
            "row {n}: {warnings:?}"
        );
    }
    assert!(
        row(&report, 7)["warnings"][0]
            .as_str()
            .unwrap()
            .contains("icq")
    );
}

#[test]
fn the_summary_counts_rows_profiles_and_requests() {
    let output = run(&["check", example().to_str().unwrap(), "--json"]);
    assert!(output.status.success());
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["rows"], 30);
    assert_eq!(summary["ready"], 16);
    assert_eq!(summary["merged"], 3);
    assert_eq!(summary["invalid"], 10);
    assert_eq!(summary["skipped"], 1);
    assert_eq!(summary["profiles"], 19);
    // Anna (phone+e-mail), Ksenia (phone+e-mail), the office cluster (1 phone + 5 e-mails).
    assert_eq!(summary["links"], 7);
    assert_eq!(summary["encoding"], "utf-8");
    assert_eq!(summary["delimiter"], ";");
    assert_eq!(summary["unknown_columns"], serde_json::json!(["Источник"]));
    // Chat2Desk's cost table over the 18 profiles it can load (the telegram id is not one):
    // 18 creates + 9 comment PUTs (a row's comment goes to both its phone and its e-mail
    // profile) + 13 assign_to calls, one per tagged profile.
    assert_eq!(summary["estimated_requests"], 40);
    assert!(summary["elapsed_ms"].is_u64());
}

#[test]
fn the_status_file_is_the_input_plus_a_status_column_in_the_headers_language() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("status.csv");
    let output = run(&[
        "check",
        example().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success());
    let input = std::fs::read_to_string(example()).unwrap();
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.starts_with('\u{feff}'), "the BOM is kept");
    let read = |text: &str| -> Vec<Vec<String>> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(b';')
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect()
    };
    let (input, written) = (read(&input), read(&written));
    assert_eq!(input.len(), written.len());
    for (before, after) in input.iter().zip(&written) {
        assert_eq!(&after[..before.len()], &before[..], "cells are unchanged");
        assert_eq!(after.len(), before.len() + 1);
    }
    assert_eq!(written[0].last().unwrap(), "Статус");
    assert_eq!(written[1].last().unwrap(), "Готово к загрузке");
    assert_eq!(written[2].last().unwrap(), "Объединено со строкой 2");
    assert_eq!(written[8].last().unwrap(), "Ошибка: в номере есть буквы");
    assert_eq!(written[18].last().unwrap(), "Пропущено: пустая строка");

    // Checking the status file again fills the same column instead of adding one.
    let again = dir.path().join("again.csv");
    let output = run(&[
        "check",
        out.to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
    ]);
    assert!(output.status.success());
    assert_eq!(
        std::fs::read_to_string(&again).unwrap(),
        std::fs::read_to_string(&out).unwrap()
    );
}

#[test]
fn a_windows_1251_export_is_detected_and_written_back_the_same_way() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        "Телефон;ФИО;Теги\r\n8 (999) 123-45-67;Анна Петрова;vip\r\n89991234567;Анна;новый\r\n";
    let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(text);
    let file = dir.path().join("export.csv");
    std::fs::write(&file, &bytes).unwrap();
    let out = dir.path().join("status.csv");
    let output = run(&[
        "check",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("read as windows-1251, `;`"), "{stdout}");
    let written = std::fs::read(&out).unwrap();
    let (decoded, had_errors) = encoding_rs::WINDOWS_1251.decode_without_bom_handling(&written);
    assert!(!had_errors);
    assert!(decoded.contains("Объединено со строкой 2"), "{decoded}");
}

#[test]
fn overrides_replace_detection() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("list.csv");
    std::fs::write(&file, "phone|name\n89991234567|Anna\n").unwrap();
    let output = run(&[
        "check",
        file.to_str().unwrap(),
        "--json",
        "--delimiter",
        "|",
        "--encoding",
        "windows-1251",
    ]);
    assert!(output.status.success());
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["encoding"], "windows-1251");
    assert_eq!(summary["delimiter"], "|");
    assert_eq!(summary["ready"], 1);
}

#[test]
fn english_headers_get_english_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("list.csv");
    std::fs::write(
        &file,
        "Email,Name\nanna@mail.ru,Anna\nANNA@mail.ru,\nnot-an-email,Bob\n",
    )
    .unwrap();
    let out = dir.path().join("status.csv");
    assert!(
        run(&[
            "check",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap()
        ])
        .status
        .success()
    );
    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        written,
        "Email,Name,Status\nanna@mail.ru,Anna,Ready to load\nANNA@mail.ru,,Merged with row 2\nnot-an-email,Bob,Error: the e-mail has no @\n"
    );
}

#[test]
fn a_region_changes_how_national_numbers_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("list.csv");
    std::fs::write(&file, "phone\n8 701 123 4567\n").unwrap();
    let report = report_of(&file, &["--region", "KZ"]);
    assert_eq!(report[0]["key"], "+77011234567");
    let output = run(&["check", file.to_str().unwrap(), "--region", "XX"]);
    assert!(!output.status.success());
}

#[test]
fn unreadable_files_fail_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.csv");
    let output = run(&["check", missing.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("missing.csv"));

    let no_contact = dir.path().join("no-contact.csv");
    std::fs::write(&no_contact, "Имя;Город\nАнна;Москва\n").unwrap();
    let output = run(&["check", no_contact.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("found: Имя, Город"), "{stderr}");
    assert!(output.stdout.is_empty());
}
