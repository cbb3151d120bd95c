//! Input: a CSV file as people have it, read into records numbered as a spreadsheet
//! numbers its rows (the header is row 1).

pub mod decode;
pub mod delimiter;
pub mod header;

use std::path::Path;

use encoding_rs::Encoding;
use thiserror::Error;

pub use decode::{encode, encoding_name, fit_to};
pub use delimiter::{delimiter_name, parse_delimiter};
pub use header::{Column, Header, HeaderError};

#[derive(Debug, Error)]
pub enum ReadError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Header(#[from] HeaderError),
    #[error("unknown encoding `{0}`: try utf-8, windows-1251 or utf-16le")]
    UnknownEncoding(String),
}

/// What the user may force instead of detection (`--encoding`, `--delimiter`).
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions {
    pub encoding: Option<&'static Encoding>,
    pub delimiter: Option<u8>,
}

/// Parses `--encoding` by its WHATWG label (`utf-8`, `windows-1251`, `cp1251`, `utf-16le`).
pub fn parse_encoding(label: &str) -> Result<&'static Encoding, ReadError> {
    Encoding::for_label(label.trim().as_bytes())
        .ok_or_else(|| ReadError::UnknownEncoding(label.to_owned()))
}

/// A decoded file and how it was read.
#[derive(Debug)]
pub struct Source {
    text: String,
    /// Where the CSV starts: after Excel's `sep=;` line, if there is one.
    start: usize,
    pub encoding: &'static Encoding,
    pub delimiter: u8,
    /// Some bytes were not valid in the encoding and became U+FFFD.
    pub had_decode_errors: bool,
    pub had_bom: bool,
}

impl Source {
    pub fn read(path: &Path, options: ReadOptions) -> Result<Source, ReadError> {
        let bytes = std::fs::read(path).map_err(|source| ReadError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Ok(Source::from_bytes(bytes, options))
    }

    pub fn from_bytes(bytes: Vec<u8>, options: ReadOptions) -> Source {
        let decoded = decode::decode(bytes, options.encoding);
        let (separator_line, start) = excel_separator_line(&decoded.text);
        let delimiter = options
            .delimiter
            .or(separator_line)
            .unwrap_or_else(|| delimiter::detect(&decoded.text[start..]));
        Source {
            text: decoded.text,
            start,
            encoding: decoded.encoding,
            delimiter,
            had_decode_errors: decoded.had_errors,
            had_bom: decoded.had_bom,
        }
    }

    /// "read as windows-1251, `;`"
    pub fn describe(&self) -> String {
        format!(
            "read as {}, `{}`",
            encoding_name(self.encoding),
            delimiter_name(self.delimiter)
        )
    }

    /// Every record with its spreadsheet row number (the first line is row 1). A blank line
    /// inside the file is a row too (an empty record), so numbers match what a spreadsheet
    /// shows; blank lines at the end are not rows. Line ends may be LF, CRLF or a lone CR
    /// (Excel for Mac).
    pub fn for_each_record(&self, mut f: impl FnMut(u32, &csv::StringRecord)) {
        let bytes = &self.text.as_bytes()[self.start..];
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(self.delimiter)
            .from_reader(bytes);
        let mut record = csv::StringRecord::new();
        let blank = csv::StringRecord::new();
        let mut row: u32 = 0;
        let mut end_of_previous = 0usize;
        // The text is valid UTF-8 and the reader is flexible: nothing can fail but the end.
        while let Ok(true) = reader.read_record(&mut record) {
            let end = usize::try_from(reader.position().byte()).unwrap_or(bytes.len());
            // The csv reader skips blank lines: count them back in from the line breaks
            // between the previous record and this one.
            let mut gap = &bytes[end_of_previous.min(end)..end];
            if end_of_previous > 0 && bytes[end_of_previous - 1] == b'\r' {
                // The rest of the previous record's CRLF.
                gap = gap.strip_prefix(b"\n").unwrap_or(gap);
            }
            let leading = gap
                .iter()
                .take_while(|&&b| b == b'\n' || b == b'\r')
                .count();
            for _ in 0..line_breaks(&gap[..leading]) {
                row = row.saturating_add(1);
                f(row, &blank);
            }
            end_of_previous = end;
            row = row.saturating_add(1);
            f(row, &record);
        }
    }
}

/// Line breaks in a run of `\r` and `\n`: CRLF, LF and a lone CR each count once.
fn line_breaks(run: &[u8]) -> usize {
    let mut count = 0;
    let mut i = 0;
    while i < run.len() {
        if run[i] == b'\r' && run.get(i + 1) == Some(&b'\n') {
            i += 1;
        }
        count += 1;
        i += 1;
    }
    count
}

/// Excel writes `sep=;` as the first line of some exports to name the delimiter.
fn excel_separator_line(text: &str) -> (Option<u8>, usize) {
    let first_line_end = text.find('\n').map_or(text.len(), |i| i + 1);
    let line = text[..first_line_end].trim_end_matches(['\r', '\n']);
    let line = line.trim_matches('"');
    match line.strip_prefix("sep=") {
        Some(d) if d.len() == 1 && d.is_ascii() => (Some(d.as_bytes()[0]), first_line_end),
        _ => (None, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<(u32, Vec<String>)> {
        let source = Source::from_bytes(text.as_bytes().to_vec(), ReadOptions::default());
        let mut out = Vec::new();
        source.for_each_record(|row, record| {
            out.push((row, record.iter().map(str::to_owned).collect()));
        });
        out
    }

    #[test]
    fn rows_are_numbered_as_a_spreadsheet_numbers_them() {
        let text = "phone,name\n1,a\n\n\n2,\"multi\nline\"\n\n3,c\n\n\n";
        let numbered: Vec<(u32, usize)> = rows(text)
            .into_iter()
            .map(|(r, cells)| (r, cells.len()))
            .collect();
        assert_eq!(
            numbered,
            [(1, 2), (2, 2), (3, 0), (4, 0), (5, 2), (6, 0), (7, 2)]
        );
    }

    #[test]
    fn crlf_and_quoted_cells_are_read() {
        let text = "phone;name\r\n\"8 999 123-45-67\";\"Петров; \"\"Иван\"\"\"\r\n";
        assert_eq!(
            rows(text)[1],
            (2, vec!["8 999 123-45-67".into(), "Петров; \"Иван\"".into()])
        );
    }

    #[test]
    fn excels_separator_line_names_the_delimiter() {
        let source =
            Source::from_bytes(b"sep=;\nphone;name\n1;a\n".to_vec(), ReadOptions::default());
        assert_eq!(source.delimiter, b';');
        assert_eq!(rows("sep=;\nphone;name\n1;a\n")[0].1, ["phone", "name"]);
    }

    #[test]
    fn overrides_win_over_detection() {
        let source = Source::from_bytes(
            b"phone;name\n1;a\n".to_vec(),
            ReadOptions {
                encoding: None,
                delimiter: Some(b','),
            },
        );
        assert_eq!(source.delimiter, b',');
        assert_eq!(source.describe(), "read as utf-8, `,`");
        assert!(parse_encoding("cp1251").is_ok());
        assert!(parse_encoding("klingon").is_err());
    }
}
