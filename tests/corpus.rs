//! A corpus of hostile files, run through the real binary.
//!
//! For every file that can be read: exit 0; `--report` has one line per data row, numbered
//! 2, 3, … in order, each with a status in {ready, merged, invalid, skipped}; `--out` has
//! every input record, cell for cell, in the input's encoding and delimiter, with a status
//! column added after the header's columns. Files that cannot be read (empty, header
//! only blank, no contact column) fail with one line on stderr and nothing on stdout.

use std::path::PathBuf;
use std::process::Command;

use encoding_rs::{Encoding, KOI8_U, UTF_8, UTF_16LE, WINDOWS_1251};
use serde_json::Value;
use tempfile::TempDir;

mod support;

const STATUSES: [&str; 4] = ["ready", "merged", "invalid", "skipped"];

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    out: PathBuf,
    report: PathBuf,
    _dir: TempDir,
}

/// Runs `contact-loader check FILE --out … --report … --json ARGS` on `bytes`.
fn run(bytes: &[u8], args: &[&str]) -> Run {
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("contacts.csv");
    std::fs::write(&file, bytes).unwrap();
    let out = dir.path().join("status.csv");
    let report = dir.path().join("report.jsonl");
    let output = Command::new(env!("CARGO_BIN_EXE_contact-loader"))
        .arg("check")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .arg("--report")
        .arg(&report)
        .arg("--json")
        .args(args)
        .output()
        .unwrap();
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        out,
        report,
        _dir: dir,
    }
}

/// What a readable file gave.
struct Checked {
    summary: Value,
    /// `--report`, one JSON object per data row.
    report: Vec<Value>,
    /// `--out`, decoded and split into cells.
    out: Vec<Vec<String>>,
}

impl Checked {
    fn statuses(&self) -> Vec<&str> {
        self.report
            .iter()
            .map(|line| line["status"].as_str().unwrap())
            .collect()
    }

    fn line(&self, row: u64) -> &Value {
        self.report
            .iter()
            .find(|line| line["row"].as_u64() == Some(row))
            .unwrap_or_else(|| panic!("no report line for row {row}"))
    }

    /// The status column of `--out` for a spreadsheet row (the header is row 1).
    fn out_status(&self, row: usize, width: usize) -> &str {
        &self.out[row - 1][width]
    }
}

/// Runs a readable file and checks what every readable file must satisfy. `text` is the
/// file's content as it should be decoded (without a `sep=` line), `encoding` and
/// `delimiter` what the tool should detect.
fn check_readable(
    bytes: &[u8],
    text: &str,
    encoding: &'static Encoding,
    delimiter: u8,
    args: &[&str],
) -> Checked {
    check_readable_records(
        bytes,
        support::csv_records(text, delimiter),
        encoding,
        delimiter,
        args,
    )
}

/// `check_readable` with the input's records given: the header, then one per data row
/// (a blank line inside the file is a row, an empty record).
fn check_readable_records(
    bytes: &[u8],
    input: Vec<Vec<String>>,
    encoding: &'static Encoding,
    delimiter: u8,
    args: &[&str],
) -> Checked {
    let run = run(bytes, args);
    assert_eq!(
        run.code,
        Some(0),
        "exit code; stderr: {}\nstdout: {}",
        run.stderr,
        run.stdout
    );
    assert_eq!(run.stderr, "", "nothing on stderr");
    let summary: Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);

    let header = &input[0];
    let width = header.len();
    let data_rows = input.len() - 1;
    assert_eq!(
        summary["rows"].as_u64(),
        Some(data_rows as u64),
        "{summary}"
    );
    assert_eq!(
        summary["encoding"].as_str(),
        Some(encoding.name().to_ascii_lowercase().as_str()),
        "{summary}"
    );
    assert_eq!(
        summary["delimiter"].as_str(),
        Some((delimiter as char).to_string().as_str())
    );

    // --report: exactly one line per data row, numbered 2..=N+1, each with a status.
    let report_text = std::fs::read_to_string(&run.report).unwrap();
    let report: Vec<Value> = report_text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(report.len(), data_rows, "{report_text}");
    let mut counts = [0u64; 4];
    for (i, line) in report.iter().enumerate() {
        assert_eq!(line["row"].as_u64(), Some(i as u64 + 2), "{line}");
        let status = line["status"].as_str().unwrap();
        let at = STATUSES
            .iter()
            .position(|s| *s == status)
            .unwrap_or_else(|| panic!("unknown status in {line}"));
        counts[at] += 1;
        assert_eq!(line["reason"].is_string(), status == "invalid", "{line}");
        assert_eq!(
            line["key"].is_string(),
            status == "ready" || status == "merged",
            "{line}"
        );
    }
    for (at, name) in STATUSES.iter().enumerate() {
        assert_eq!(
            summary[name].as_u64(),
            Some(counts[at]),
            "{name}: {summary}"
        );
    }

    // --out: the input's records, cell for cell, in the input's encoding, with a status.
    let out_bytes = std::fs::read(&run.out).unwrap();
    let had_bom = Encoding::for_bom(bytes).is_some();
    assert_eq!(
        Encoding::for_bom(&out_bytes).map(|(e, _)| e),
        Encoding::for_bom(bytes).map(|(e, _)| e),
        "--out keeps the byte-order mark"
    );
    let (out_text, _) = encoding.decode_without_bom_handling(&out_bytes);
    let out_text = if had_bom {
        out_text.trim_start_matches('\u{FEFF}')
    } else {
        &out_text
    };
    let out = support::csv_records(out_text, delimiter);
    assert_eq!(
        out.len(),
        input.len(),
        "--out has a record per input record"
    );
    for (i, (got, original)) in out.iter().zip(&input).enumerate() {
        let mut expected = original.clone();
        if expected.len() < width {
            expected.resize(width, String::new());
        }
        assert_eq!(
            got.len(),
            expected.len() + 1,
            "--out record {} has the input's cells and one status: {got:?}",
            i + 1
        );
        let mut cells = got.clone();
        let status = cells.remove(width);
        assert!(!status.is_empty(), "record {} has a status", i + 1);
        assert_eq!(cells, expected, "--out record {} keeps its cells", i + 1);
    }
    assert!(["Status", "Статус"].contains(&out[0][width].as_str()));

    Checked {
        summary,
        report,
        out,
    }
}

/// A UTF-8 file with `,`.
fn check_utf8(text: &str) -> Checked {
    check_readable(text.as_bytes(), text, UTF_8, b',', &[])
}

/// Runs a file that cannot be checked: a failure exit, one line on stderr, nothing on
/// stdout, no output files.
fn check_refused(bytes: &[u8]) -> String {
    let run = run(bytes, &[]);
    assert_ne!(run.code, Some(0), "stdout: {}", run.stdout);
    assert!(run.code.is_some(), "killed by a signal: {}", run.stderr);
    assert_eq!(run.stdout, "", "nothing on stdout");
    assert_eq!(run.stderr.lines().count(), 1, "one line: {:?}", run.stderr);
    assert!(run.stderr.starts_with("contact-loader: "), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(!run.out.exists() && !run.report.exists(), "no output files");
    run.stderr
}

/// `contact-loader: a: b: c` — each part of the chain said once.
fn assert_no_repeated_reason(stderr: &str) {
    let parts: Vec<&str> = stderr.trim_end().split(": ").collect();
    for (i, part) in parts.iter().enumerate() {
        assert!(
            !parts[i + 1..].contains(part),
            "`{part}` is said twice: {stderr}"
        );
    }
}

fn phone(i: usize) -> String {
    format!("+7 999 200-{:02}-{:02}", i / 100 % 100, i % 100)
}

/// A CSV line from cells, quoted as a spreadsheet quotes them.
fn csv_line(cells: &[&str], delimiter: u8) -> String {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .from_writer(Vec::new());
    writer.write_record(cells).unwrap();
    String::from_utf8(writer.into_inner().unwrap()).unwrap()
}

fn csv_text(rows: &[Vec<String>], delimiter: u8) -> String {
    rows.iter()
        .map(|row| {
            let cells: Vec<&str> = row.iter().map(String::as_str).collect();
            csv_line(&cells, delimiter)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Readable hostile files
// ---------------------------------------------------------------------------------------

#[test]
fn formula_like_names_are_text() {
    let names = [
        "=HYPERLINK(\"http://x\",\"y\")",
        "+SUM(A1:A2)",
        "-1+1",
        "@cmd",
        "=cmd|' /C calc'!A0",
        "=1+2;3",
        "\t=TAB()",
        "'=quoted",
    ];
    let mut rows = vec![vec![
        "phone".to_owned(),
        "name".to_owned(),
        "comment".to_owned(),
    ]];
    for (i, name) in names.iter().enumerate() {
        rows.push(vec![phone(i), (*name).to_owned(), (*name).to_owned()]);
    }
    // Formulas where the contact should be: rows the person must fix, not a crash.
    for contact in [
        "=HYPERLINK(\"tel:89991234567\")",
        "+SUM(A1:A2)",
        "@cmd",
        "=+79991234567",
    ] {
        rows.push(vec![contact.to_owned(), "x".to_owned(), String::new()]);
    }
    let text = csv_text(&rows, b',');
    let checked = check_utf8(&text);
    let statuses = checked.statuses();
    assert_eq!(&statuses[..names.len()], vec!["ready"; names.len()]);
    assert_eq!(&statuses[names.len()..], ["invalid"; 4]);
}

#[test]
fn emoji_names_are_kept_whole() {
    let names = [
        "Семья 👨‍👩‍👧‍👦",
        "👍🏽",
        "🇷🇺 Россия",
        "🏳️‍🌈",
        "👩🏾‍💻 Dev",
        "Анна 😀😀😀",
        "🧑‍🤝‍🧑",
    ];
    let mut rows = vec![vec![
        "Телефон".to_owned(),
        "Имя".to_owned(),
        "Теги".to_owned(),
    ]];
    for (i, name) in names.iter().enumerate() {
        rows.push(vec![phone(i), (*name).to_owned(), format!("{name}, 🔥")]);
    }
    let text = csv_text(&rows, b';');
    let checked = check_readable(text.as_bytes(), &text, UTF_8, b';', &[]);
    assert_eq!(checked.statuses(), vec!["ready"; names.len()]);
    assert_eq!(checked.out[0][3], "Статус");
    assert_eq!(checked.out_status(2, 3), "Готово к загрузке");
}

#[test]
fn right_to_left_names_and_marks_are_text() {
    let names = [
        "محمد أحمد",
        "שרה כהן",
        "\u{200F}Ирина\u{200E}",
        "\u{202E}ecnarF\u{202C}",
        "\u{2067}علي\u{2069} Petrov",
        "\u{200F}",
    ];
    let mut rows = vec![vec!["phone".to_owned(), "name".to_owned()]];
    for (i, name) in names.iter().enumerate() {
        rows.push(vec![phone(i), (*name).to_owned()]);
    }
    let text = csv_text(&rows, b',');
    let checked = check_utf8(&text);
    assert_eq!(checked.statuses(), vec!["ready"; names.len()]);
}

/// BUG: a phone or an e-mail copied with invisible direction marks (iOS wraps copied
/// numbers in U+202A … U+202C; right-to-left pages add U+200E/U+200F) is `invalid` with
/// "stray characters" the person cannot see. Names are cleaned of these marks
/// (`domain::text::clean`), contacts are not.
#[test]
fn direction_marks_around_a_contact_are_not_stray_characters() {
    let text = "phone,email,name\n\
                \u{202A}+7 (999) 123-45-67\u{202C},,Анна\n\
                \u{200E}+7 999 123 45 68,,Иван\n\
                89991234569\u{200F},,Пётр\n\
                ,\u{200E}anna@example.ru\u{200E},Анна\n\
                ,ivan@example.ru\u{200B},Иван\n";
    let checked = check_utf8(text);
    for line in &checked.report {
        assert_eq!(line["status"], "ready", "{line}");
    }
}

#[test]
fn ten_thousand_character_cells() {
    let long_name = "Я".repeat(10_000);
    let long_note = "x".repeat(10_000);
    let long_digits = "9".repeat(10_000);
    let long_comment = "комментарий ".repeat(834); // 10,008 characters
    let long_email = format!("{}@example.ru", "a".repeat(10_000));
    let phones: Vec<String> = (0..5).map(phone).collect();
    let rows = [
        vec!["phone", "name", "comment", "email", "Источник"],
        vec![&phones[1], &long_name, "", "", ""],
        vec![&phones[2], "Анна", "", "", &long_note],
        vec![&long_digits, "Иван", "", "", ""],
        vec![&phones[3], "Пётр", &long_comment, "", ""],
        vec!["", "Мария", "", &long_email, ""],
        vec![&phones[4], &long_note, &long_note, &long_note, &long_note],
    ];
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| (*c).to_owned()).collect())
        .collect();
    let text = csv_text(&rows, b',');
    let checked = check_utf8(&text);
    // A long name or comment is cut, not a lost contact; 10,000 digits and a 10,000-letter
    // address are not a phone or an e-mail.
    assert_eq!(
        checked.statuses(),
        ["ready", "ready", "invalid", "ready", "invalid", "invalid"]
    );
    // The name: cut, with its length and the limit in the warning.
    let warning = checked.line(2)["warnings"][0].as_str().unwrap();
    assert!(
        warning.contains("10000") && warning.contains("255"),
        "{warning}"
    );
    // A long cell in a column we do not know is kept, as it is.
    assert_eq!(checked.out[2][4], long_note);
    let warning = checked.line(5)["warnings"][0].as_str().unwrap();
    assert!(warning.contains("2000"), "{warning}");
}

#[test]
fn nul_bytes_inside_cells() {
    let text = "phone,name,comment,Source\n\
                +7 999 200-00-01,Ан\0на,\0,\0\0\0\n\
                8999200\u{0}0002,Иван,,\n\
                \0,Пётр,,\n\
                \0,\0,\0,\0\n\
                \"+7 999 200-00-03\",\"Ма\0рия\",\"a\0\nb\",x\n";
    let checked = check_utf8(text);
    assert_eq!(
        checked.statuses(),
        ["ready", "invalid", "invalid", "skipped", "ready"]
    );
    assert_eq!(checked.out[1][3], "\0\0\0");
}

/// BUG: one invalid byte in a UTF-8 file sends the whole file to `chardetng`, which reads
/// it as Windows-1251: the Russian header becomes `РўРµР»РµС„РѕРЅ` and the file is refused
/// ("no contact column"), every row lost. With an English header the file is read, but
/// every Cyrillic cell is mojibake and `decode_errors` is false, so no one is told.
#[test]
fn invalid_utf8_bytes_in_an_otherwise_utf8_file() {
    let mut bytes = "Телефон,Имя,Комментарий\n\
                     +7 999 200-00-01,Анна Петрова,звонить после 18:00\n"
        .as_bytes()
        .to_vec();
    bytes.extend_from_slice(b"+7 999 200-00-02,\xD0\x98\xD0\xB2\xFF\xD0\xB0\xD0\xBD,\xC3(\n");
    bytes.extend_from_slice("+7 999 200-00-03,Пётр,\n".as_bytes());
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let checked = check_readable(&bytes, &text, UTF_8, b',', &[]);
    assert_eq!(checked.statuses(), ["ready", "ready", "ready"]);
    assert_eq!(checked.summary["decode_errors"], true);
    assert_eq!(checked.out[2][1], "Ив\u{FFFD}ан");
}

/// The same bug with an English header: the file is read, but as Windows-1251.
#[test]
fn invalid_utf8_bytes_under_an_english_header_do_not_garble_the_other_cells() {
    let mut bytes = "phone,name\n+7 999 200-00-01,Анна Петрова\n"
        .as_bytes()
        .to_vec();
    bytes.extend_from_slice(b"+7 999 200-00-02,Ivan\xFF\n");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let checked = check_readable(&bytes, &text, UTF_8, b',', &[]);
    assert_eq!(checked.out[1][1], "Анна Петрова");
    assert_eq!(checked.summary["decode_errors"], true);
}

/// Forcing the encoding is the way out today, and it keeps every row.
#[test]
fn invalid_utf8_bytes_with_a_forced_encoding() {
    let mut bytes = "Телефон,Имя\n+7 999 200-00-01,Анна\n".as_bytes().to_vec();
    bytes.extend_from_slice(b"+7 999 200-00-02,\xFF\xFE\n+7 999 200-00-03,\xC0\n");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let checked = check_readable(&bytes, &text, UTF_8, b',', &["--encoding", "utf-8"]);
    assert_eq!(checked.statuses(), ["ready", "ready", "ready"]);
    assert_eq!(checked.summary["decode_errors"], true);
    assert_eq!(checked.out[2][1], "\u{FFFD}\u{FFFD}");
}

#[test]
fn windows_1251_with_semicolons() {
    let text = "Телефон;ФИО;Комментарий;Теги;Город\r\n\
                8 (999) 200-00-01;Анна Петрова;\"звонить; после 18\";vip, новый;Москва\r\n\
                +7 999 200-00-01;Анна;;вебинар;\r\n\
                89992000002;Ёжиков Пётр;№ 5 «тест» — ок;;Санкт-Петербург\r\n\
                абв;Иван;;;\r\n\
                ;;;;\r\n\
                #ИМЯ?;Мария;;;\r\n";
    let (bytes, _, unmappable) = WINDOWS_1251.encode(text);
    assert!(!unmappable);
    let checked = check_readable(&bytes, text, WINDOWS_1251, b';', &[]);
    assert_eq!(
        checked.statuses(),
        ["ready", "merged", "ready", "invalid", "skipped", "invalid"]
    );
    assert_eq!(checked.line(3)["merged_into"], 2);
    assert_eq!(checked.out_status(3, 5), "Объединено со строкой 2");
    assert_eq!(checked.summary["decode_errors"], false);
}

#[test]
fn utf16le_with_a_bom_and_tabs() {
    let text = "Контакт\tИмя\tКомментарий\n\
                +7 999 200-00-01\tАнна 👩\t\"строка 1\nстрока 2\"\n\
                anna@example.ru\tАнна\t\n\
                ANNA@example.ru\tАнна\t\n\
                \t\t\n\
                telegram|123\tИван\t\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let checked = check_readable(&bytes, text, UTF_16LE, b'\t', &[]);
    assert_eq!(
        checked.statuses(),
        ["ready", "ready", "merged", "skipped", "invalid"]
    );
    assert_eq!(checked.out[1][2], "строка 1\nстрока 2");
}

#[test]
fn utf16le_without_a_bom() {
    let text = "phone\tname\r\n+7 999 200-00-01\tAnna\r\n+7 999 200-00-01\tИван 😀\r\n";
    let bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let checked = check_readable(&bytes, text, UTF_16LE, b'\t', &[]);
    assert_eq!(checked.statuses(), ["ready", "merged"]);
}

#[test]
fn excels_separator_line_and_a_utf8_bom() {
    let body = "phone;name\n+7 999 200-00-01;Anna\n+7 999 200-00-02;\"Ivan; Jr\"\n";
    let bytes = [b"\xEF\xBB\xBFsep=;\n".as_slice(), body.as_bytes()].concat();
    let checked = check_readable(&bytes, body, UTF_8, b';', &[]);
    assert_eq!(checked.statuses(), ["ready", "ready"]);
}

#[test]
fn quotes_delimiters_and_line_breaks_inside_cells() {
    let text = "phone,name,comment\n\
                +7 999 200-00-01,\"Петров, \"\"Иван\"\"\",\"line 1\r\nline 2\n\nline 4\"\n\
                \n\
                +7 999 200-00-02,\"a\"\"b\",\"\"\"\"\n\
                +7 999 200-00-03,unquoted \"quote\" inside,\"x,y;z|w\tv\"\n";
    let mut input = support::csv_records(text, b',');
    // The blank line is a row of its own.
    input.insert(2, Vec::new());
    let checked = check_readable_records(text.as_bytes(), input, UTF_8, b',', &[]);
    assert_eq!(checked.statuses(), ["ready", "skipped", "ready", "ready"]);
    assert_eq!(checked.line(4)["key"], "+79992000002");
    assert_eq!(checked.line(5)["key"], "+79992000003");
}

#[test]
fn rows_shorter_and_wider_than_the_header() {
    let text = "phone,name,comment\n\
                +7 999 200-00-01\n\
                +7 999 200-00-02,Анна,c,extra 1,extra 2\n\
                ,,,only beyond\n\
                \"\"\n";
    let checked = check_utf8(text);
    assert_eq!(checked.statuses(), ["ready", "ready", "skipped", "skipped"]);
    // Cells beyond the header are kept after the status.
    assert_eq!(checked.out[2][4..], ["extra 1", "extra 2"]);
}

#[test]
fn spreadsheet_errors_and_duplicates() {
    let text = "phone,email,name\n\
                #NAME?,,a\n\
                #ERROR!,,b\n\
                7,99912E+10,,c\n\
                8 999 200-00-01,,d\n\
                +7 (999) 200-00-01,,e\n\
                89992000001,ANNA@example.ru,f\n\
                ,anna@example.ru,g\n";
    // `7,99912E+10` unquoted is two cells: the row is wider than the header.
    let checked = check_utf8(text);
    assert_eq!(
        checked.statuses(),
        [
            "invalid", "invalid", "invalid", "ready", "merged", "ready", "merged"
        ]
    );
    assert!(
        checked.line(2)["reason"]
            .as_str()
            .unwrap()
            .contains("#NAME?")
    );
    assert_eq!(checked.line(6)["merged_into"], 5);
    assert_eq!(checked.line(8)["merged_into"], 7);
}

#[test]
fn a_header_only_file_has_no_rows() {
    for text in [
        "phone,name\n",
        "phone,name",
        "phone,name\r\n\r\n\r\n",
        "Телефон;Имя\n",
    ] {
        let delimiter = if text.contains(';') { b';' } else { b',' };
        let checked = check_readable(text.as_bytes(), text, UTF_8, delimiter, &[]);
        assert_eq!(checked.summary["rows"], 0, "{text:?}");
        assert!(checked.report.is_empty());
        assert_eq!(checked.out.len(), 1);
    }
}

#[test]
fn a_header_only_utf16_file_has_no_rows() {
    let text = "email\tname\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let checked = check_readable(&bytes, text, UTF_16LE, b'\t', &[]);
    assert_eq!(checked.summary["rows"], 0);
}

/// A second run on the status CSV of the first fills the same status column again.
#[test]
fn a_rerun_on_its_own_output_replaces_the_status_column() {
    for text in [
        "Телефон;Имя\n89992000001;Анна\n;Иван\n\n+7 999 200-00-01;Анна П.\n",
        "phone,name\n89992000001,Anna\nabc,Ivan\n\n+7 999 200-00-01,Anna P.\n",
    ] {
        let first = run(text.as_bytes(), &[]);
        assert_eq!(first.code, Some(0), "{}", first.stderr);
        let out = std::fs::read(&first.out).unwrap();
        let out_text = String::from_utf8(out.clone()).unwrap();
        let first_report = std::fs::read_to_string(&first.report).unwrap();
        let second = run(&out, &[]);
        assert_eq!(second.code, Some(0), "{}", second.stderr);
        let second_out = std::fs::read_to_string(&second.out).unwrap();
        assert_eq!(second_out, out_text, "the same statuses in the same column");
        assert_eq!(
            std::fs::read_to_string(&second.report).unwrap(),
            first_report
        );
    }
}

/// BUG: a cell's text reaches the terminal unfiltered. The messenger column and the channel
/// of a messenger id are quoted in statuses without removing control characters, so a
/// hostile file can send escape sequences (clear the screen, set the title) to the terminal
/// of whoever runs `check`, and a line break in the cell breaks the one-line-per-row list.
#[test]
fn cell_text_does_not_reach_the_terminal_as_control_characters() {
    let text = "phone,name,messenger,messenger id\n\
                +7 999 200-00-01,Anna,\"\x1b[2Jevil\nnext\",\n\
                +7 999 200-00-02,Ivan,,\"\x1b]0;title\x07|1\"\n";
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("contacts.csv");
    std::fs::write(&file, text).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_contact-loader"))
        .arg("check")
        .arg(&file)
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        !stdout.chars().any(|c| c.is_control() && c != '\n'),
        "{stdout:?}"
    );
    let listed: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.ends_with(':'))
        .skip(1)
        .collect();
    assert_eq!(listed.len(), 2, "{stdout}");
}

// ---------------------------------------------------------------------------------------
// Files that cannot be checked
// ---------------------------------------------------------------------------------------

#[test]
fn an_empty_file_is_refused_in_one_line() {
    for bytes in [
        &b""[..],
        b"\xEF\xBB\xBF",
        b"\xFF\xFE",
        b"\n\n\n",
        b"\r\n",
        b" , , \n",
        b"sep=;\n",
    ] {
        let stderr = check_refused(bytes);
        assert!(stderr.contains("empty"), "{bytes:?}: {stderr}");
    }
}

#[test]
fn a_file_without_a_contact_column_is_refused_naming_its_columns() {
    let stderr = check_refused("Имя,Город,Комментарий\nАнна,Москва,\n".as_bytes());
    assert!(stderr.contains("Имя, Город, Комментарий"), "{stderr}");
    let (bytes, _, _) = WINDOWS_1251.encode("ФИО;Адрес\nАнна;Москва\n");
    let stderr = check_refused(&bytes);
    assert!(stderr.contains("ФИО, Адрес"), "{stderr}");
    let stderr = check_refused(b"=HYPERLINK(\"x\"),\0,\xFF\n1,2,3\n");
    assert!(stderr.contains("=HYPERLINK"), "{stderr}");
}

#[test]
fn the_same_column_twice_is_refused_in_one_line() {
    let stderr = check_refused("Телефон,Имя,phone\n89992000001,Анна,89992000001\n".as_bytes());
    assert!(stderr.contains("`Телефон` and `phone`"), "{stderr}");
}

#[test]
fn a_missing_file_is_refused_in_one_line() {
    let run = Command::new(env!("CARGO_BIN_EXE_contact-loader"))
        .args(["check", "/nonexistent/contacts.csv"])
        .output()
        .unwrap();
    assert!(!run.status.success());
    assert!(run.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("/nonexistent/contacts.csv"), "{stderr}");
}

// ---------------------------------------------------------------------------------------
// Bugs found by this corpus (each test fails until fixed)
// ---------------------------------------------------------------------------------------

/// BUG: the one-line message says its reason twice — `cannot be checked: the file is
/// empty: there is no header row: the file is empty: there is no header row`.
/// `ReadError::Header` is `#[error("{0}")]` *and* `#[from]` (so the `HeaderError` is also
/// its `source()`), and `main` prints the chain with `{:#}`.
#[test]
fn a_refusal_says_its_reason_once() {
    for bytes in [
        &b""[..],
        "Имя,Город\nАнна,Москва\n".as_bytes(),
        "Телефон,Имя,phone\n89992000001,Анна,89992000001\n".as_bytes(),
    ] {
        let stderr = check_refused(bytes);
        assert_no_repeated_reason(&stderr);
    }
}

/// BUG: blank lines before the header. A spreadsheet shows the header at row 3; the tool
/// takes the first blank line for the header and refuses the file as "empty", losing every
/// row.
#[test]
fn blank_lines_before_the_header_do_not_make_the_file_empty() {
    let text = "\n\nphone,name\n+7 999 200-00-01,Anna\n+7 999 200-00-02,Ivan\n";
    let run = run(text.as_bytes(), &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let report = std::fs::read_to_string(&run.report).unwrap();
    let statuses: Vec<Value> = report
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["status"].clone())
        .collect();
    assert_eq!(statuses, ["ready", "ready"]);
}

/// BUG: a file with CR line ends (Excel for Mac's "CSV (Macintosh)") loses its blank rows:
/// csv counts lines by `\n` only, so rows after a blank line get the wrong numbers and the
/// status CSV drops the blank line. The same file with LF line ends is numbered right.
#[test]
fn cr_line_ends_number_rows_as_lf_line_ends_do() {
    let lf = "phone,name\n+7 999 200-00-01,Anna\n\n+7 999 200-00-02,Ivan\n";
    let cr = lf.replace('\n', "\r");
    let rows = |text: &str| -> Vec<(u64, String)> {
        let run = run(text.as_bytes(), &[]);
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        std::fs::read_to_string(&run.report)
            .unwrap()
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                (
                    v["row"].as_u64().unwrap(),
                    v["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let expected = vec![
        (2, "ready".to_owned()),
        (3, "skipped".to_owned()),
        (4, "ready".to_owned()),
    ];
    assert_eq!(rows(lf), expected);
    assert_eq!(rows(&cr), expected);
}

/// BUG: the status CSV is written as UTF-8 text by `csv`, then encoded to the file's
/// encoding; characters that encoding lacks become HTML references (`—` → `&#8212;`). A
/// KOI8 file (detected as koi8-u) has no `—`, and the `;` of `&#8212;` is a delimiter:
/// every status with a dash spills into a column of its own. The same happens to U+FFFD
/// (`&#65533;`) from undecodable bytes in a legacy encoding, in the input's own cells.
#[test]
fn koi8_statuses_do_not_split_cells() {
    let text = "Телефон;Имя\n89992000001;Анна\nабв;Иван\n;Пётр\n";
    let (bytes, _, unmappable) = KOI8_U.encode(text);
    assert!(!unmappable);
    let checked = check_readable(&bytes, text, KOI8_U, b';', &[]);
    assert_eq!(checked.statuses(), ["ready", "invalid", "invalid"]);
    for record in &checked.out {
        assert_eq!(record.len(), 3, "{record:?}");
    }
}
