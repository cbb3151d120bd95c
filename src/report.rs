//! What `check` writes: the per-row report (JSON lines), the status CSV and the summary.

use std::io::{self, Write};

use serde::Serialize;

use crate::check::{Checked, Outcome, RowResult};
use crate::input::{Column, encode, encoding_name};
use crate::messages::{self, Lang};

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
}

impl ReportLine {
    pub fn new(checked: &Checked, result: &RowResult) -> ReportLine {
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
        ReportLine {
            row: result.row,
            status: result.outcome.name(),
            reason: match &result.outcome {
                Outcome::Invalid(problem) => Some(messages::problem_text(lang, problem)),
                _ => None,
            },
            key: profile.map(|p| checked.profiles.get(p).key.to_string()),
            merged_into: match result.outcome {
                Outcome::Merged { into_row, .. } => Some(into_row),
                _ => None,
            },
            linked,
            warnings: result
                .warnings
                .iter()
                .map(|w| messages::warning_text(lang, w))
                .collect(),
        }
    }
}

/// Writes one JSON object per data row, in row order.
pub fn write_report(checked: &Checked, out: impl Write) -> io::Result<()> {
    let mut out = io::BufWriter::new(out);
    for result in &checked.rows {
        serde_json::to_writer(&mut out, &ReportLine::new(checked, result))?;
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
            decode_errors: checked.source.had_decode_errors,
        }
    }
}

/// Writes the input rows, unchanged, with a status column — in the file's own encoding and
/// delimiter, so it opens as the original did. A `Status` column already there (from an
/// earlier run) is filled again instead of adding another.
pub fn write_status_csv(checked: &Checked, mut out: impl Write) -> io::Result<()> {
    let lang = checked.lang();
    let width = checked.header.names.len();
    let existing = checked.header.position(Column::Status);
    let status_at = existing.unwrap_or(width);
    let mut writer = csv::WriterBuilder::new()
        .delimiter(checked.source.delimiter)
        .flexible(true)
        .from_writer(Vec::new());
    let mut results = checked.rows.iter();
    let mut cells: Vec<String> = Vec::with_capacity(width + 1);
    let mut failure: Option<csv::Error> = None;
    checked.source.for_each_record(|row, record| {
        if failure.is_some() {
            return;
        }
        cells.clear();
        cells.extend(record.iter().map(str::to_owned));
        let status = if row == 1 {
            messages::status_header(lang).to_owned()
        } else {
            match results.next() {
                Some(result) => result.status_text(lang),
                None => String::new(),
            }
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
    if checked.source.had_decode_errors {
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
            checked.header.unknown.join(", ")
        )?;
    }
    writeln!(
        out,
        "ready {} · merged {} · invalid {} · skipped {}",
        counts.ready, counts.merged, counts.invalid, counts.skipped
    )?;
    writeln!(
        out,
        "profiles {} · links {} · Chat2Desk requests needed: {}",
        checked.profiles.len(),
        checked.profiles.links(),
        checked.estimated_requests
    )?;
    const SHOWN: usize = 50;
    let notable: Vec<&RowResult> = checked
        .rows
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Invalid(_)) || !r.warnings.is_empty())
        .collect();
    if !notable.is_empty() {
        writeln!(
            out,
            "{}",
            match lang {
                Lang::Ru => "Строки, на которые стоит посмотреть:",
                Lang::En => "Rows to look at:",
            }
        )?;
        for result in notable.iter().take(SHOWN) {
            writeln!(out, "  {:>6}  {}", result.row, result.status_text(lang))?;
        }
        if notable.len() > SHOWN {
            writeln!(out, "  … and {} more (see --report)", notable.len() - SHOWN)?;
        }
    }
    Ok(())
}
