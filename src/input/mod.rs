//! Input: a CSV file as people have it, read into records numbered as a spreadsheet
//! numbers its rows (the header is row 1).

pub mod decode;
pub mod delimiter;
pub mod header;
mod stream;

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use encoding_rs::Encoding;
use thiserror::Error;

pub use decode::{encode, encoding_name, fit_to};
pub use delimiter::{delimiter_name, parse_delimiter};
pub use header::{Column, Header, HeaderError};
pub use stream::Records;

/// The cells of one record, as slices of a text that holds many records one after another
/// (`check` copies a batch of records into one buffer, so that the threads that parse them
/// read memory in order instead of three allocations per record).
#[derive(Debug, Clone, Copy)]
pub struct Cells<'a> {
    text: &'a str,
    /// Where the record's first cell starts in `text`.
    start: usize,
    /// Where each of its cells ends in `text`.
    ends: &'a [usize],
}

impl<'a> Cells<'a> {
    /// The cells ending at `ends` in `text`, the first from `start`.
    pub fn new(text: &'a str, start: usize, ends: &'a [usize]) -> Cells<'a> {
        Cells { text, start, ends }
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<&'a str> {
        let end = *self.ends.get(i)?;
        let start = match i {
            0 => self.start,
            _ => self.ends[i - 1],
        };
        self.text.get(start..end)
    }

    pub fn iter(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        let cells = *self;
        (0..cells.len()).filter_map(move |i| cells.get(i))
    }
}

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

/// Where a list's bytes are.
#[derive(Debug, Clone)]
enum Origin {
    File(PathBuf),
    Bytes(Arc<[u8]>),
}

/// A list and how to read it: the encoding, delimiter and start found by looking at its
/// first megabyte. Its records are read as a stream (`records`), as many times as needed.
#[derive(Debug)]
pub struct Source {
    origin: Origin,
    /// Decoded bytes to skip: Excel's `sep=;` line, if there is one.
    skip: usize,
    pub encoding: &'static Encoding,
    pub delimiter: u8,
    pub had_bom: bool,
    /// Some bytes were not valid in the encoding and became U+FFFD (known once read).
    decode_errors: AtomicBool,
}

/// How much of a file decides its encoding and delimiter.
const SNIFF_BYTES: usize = 1 << 20;

impl Source {
    pub fn read(path: &Path, options: ReadOptions) -> Result<Source, ReadError> {
        let io_error = |source| ReadError::Io {
            path: path.display().to_string(),
            source,
        };
        let file = File::open(path).map_err(io_error)?;
        let mut sample = Vec::with_capacity(SNIFF_BYTES);
        file.take(SNIFF_BYTES as u64)
            .read_to_end(&mut sample)
            .map_err(io_error)?;
        Ok(Source::sniffed(
            Origin::File(path.to_owned()),
            sample,
            options,
        ))
    }

    pub fn from_bytes(bytes: Vec<u8>, options: ReadOptions) -> Source {
        let sample = bytes[..bytes.len().min(SNIFF_BYTES)].to_vec();
        Source::sniffed(Origin::Bytes(bytes.into()), sample, options)
    }

    /// A sheet's values (rows of cells, as the Sheets API returns them: ragged, row 1 first)
    /// as a source, so that a sheet goes through the same engine as a file.
    pub fn from_rows(rows: &[Vec<String>]) -> Source {
        let mut writer = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(Vec::new());
        for row in rows {
            // An empty row still counts as a row (`Records` reads a blank line as one).
            let written = if row.is_empty() {
                writer.write_record([""])
            } else {
                writer.write_record(row)
            };
            written.expect("writing to memory does not fail");
        }
        let bytes = writer
            .into_inner()
            .expect("writing to memory does not fail");
        Source::from_bytes(
            bytes,
            ReadOptions {
                encoding: Some(encoding_rs::UTF_8),
                delimiter: Some(b','),
            },
        )
    }

    fn sniffed(origin: Origin, sample: Vec<u8>, options: ReadOptions) -> Source {
        let decoded = decode::decode(sample, options.encoding);
        let (separator_line, skip) = excel_separator_line(&decoded.text);
        let delimiter = options
            .delimiter
            .or(separator_line)
            .unwrap_or_else(|| delimiter::detect(&decoded.text[skip..]));
        Source {
            origin,
            skip,
            encoding: decoded.encoding,
            delimiter,
            had_bom: decoded.had_bom,
            decode_errors: AtomicBool::new(false),
        }
    }

    /// Whether a read so far met bytes invalid in the encoding.
    pub fn had_decode_errors(&self) -> bool {
        self.decode_errors.load(Ordering::Relaxed)
    }

    /// "read as windows-1251, `;`"
    pub fn describe(&self) -> String {
        format!(
            "read as {}, `{}`",
            encoding_name(self.encoding),
            delimiter_name(self.delimiter)
        )
    }

    /// The records from the start, with their spreadsheet row numbers (the first line is
    /// row 1). A file that cannot be opened again reads as empty.
    pub fn records(&self) -> Records<'_> {
        let inner: Box<dyn Read + '_> = match &self.origin {
            Origin::Bytes(bytes) => Box::new(&bytes[..]),
            Origin::File(path) => match File::open(path) {
                Ok(file) => Box::new(file),
                Err(_) => Box::new(io::empty()),
            },
        };
        Records::new(
            inner,
            self.encoding,
            self.skip,
            self.delimiter,
            &self.decode_errors,
        )
    }

    /// Calls `f` with every record and its row number.
    pub fn for_each_record(&self, mut f: impl FnMut(u32, &csv::StringRecord)) {
        let mut records = self.records();
        let mut record = csv::StringRecord::new();
        while let Some(row) = records.next_into(&mut record) {
            f(row, &record);
        }
    }
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
    fn long_files_stream_across_buffer_boundaries_in_any_encoding() {
        // ~400 KB: many reader and decoder buffers, with blank CRLF lines and multi-byte
        // characters falling on their edges.
        let mut text = String::from("Телефон;Имя\r\n");
        let mut expected = Vec::new();
        let mut row = 1;
        for i in 0..12_000u32 {
            if i % 97 == 0 {
                text.push_str("\r\n\r\n");
                row += 2;
            }
            row += 1;
            let name = format!("Анна Ёлкина {i}");
            text.push_str(&format!("8999{i:07};\"{name}\"\r\n"));
            expected.push((row, name));
        }
        for encoding in [
            encoding_rs::UTF_8,
            encoding_rs::WINDOWS_1251,
            encoding_rs::UTF_16LE,
        ] {
            let bytes = encode(&text, encoding, encoding == encoding_rs::UTF_16LE);
            let source = Source::from_bytes(bytes, ReadOptions::default());
            assert_eq!(source.encoding, encoding);
            let mut got = Vec::new();
            source.for_each_record(|row, record| {
                if record.len() == 2 && row > 1 {
                    got.push((row, record[1].to_owned()));
                }
            });
            assert_eq!(got, expected, "{}", encoding.name());
            assert!(!source.had_decode_errors());
        }
    }

    #[test]
    fn a_sheets_values_read_as_its_rows() {
        let cells = |row: &[&str]| row.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
        let source = Source::from_rows(&[
            cells(&["Контакт", "Имя", "Комментарий"]),
            cells(&["+7 999 123-45-67", "Анна, \"Аня\"", "две\nстроки"]),
            vec![],
            cells(&["anna@mail.ru"]),
        ]);
        let mut got = Vec::new();
        source.for_each_record(|row, record| {
            got.push((row, record.iter().map(str::to_owned).collect::<Vec<_>>()));
        });
        assert_eq!(got.len(), 4);
        assert_eq!(
            got[1],
            (
                2,
                cells(&["+7 999 123-45-67", "Анна, \"Аня\"", "две\nстроки"])
            )
        );
        assert!(got[2].1.iter().all(String::is_empty));
        assert_eq!(got[3], (4, cells(&["anna@mail.ru"])));
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
