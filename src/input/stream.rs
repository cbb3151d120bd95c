//! Reading a file as a stream of records, decoded on the fly: a million-row file is never
//! held in memory, in either the raw or the decoded form.

use std::cell::RefCell;
use std::io::{self, Read};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};

use encoding_rs::{CoderResult, Decoder, Encoding};

/// The decoded bytes from the end of the last record on, so that the blank lines the csv
/// reader skips can be counted back in (see `Records::next_into`).
#[derive(Debug, Default)]
struct Window {
    bytes: Vec<u8>,
    /// The stream offset of `bytes[0]`.
    base: u64,
}

impl Window {
    fn push(&mut self, data: &[u8]) {
        self.bytes.extend_from_slice(data);
    }

    /// The bytes from `from` (a stream offset) on, as far as they have been read.
    fn from(&self, from: u64) -> &[u8] {
        let start = usize::try_from(from.saturating_sub(self.base)).unwrap_or(usize::MAX);
        self.bytes.get(start..).unwrap_or(&[])
    }

    /// Drops what lies before `offset`, in large steps so that the copying stays linear.
    fn forget_before(&mut self, offset: u64) {
        let dead = usize::try_from(offset.saturating_sub(self.base)).unwrap_or(usize::MAX);
        if dead >= 64 * 1024 && dead * 2 >= self.bytes.len() {
            let dead = dead.min(self.bytes.len());
            self.bytes.drain(..dead);
            self.base += dead as u64;
        }
    }
}

/// Bytes in any encoding to UTF-8, as a `Read`. Invalid input becomes U+FFFD and is noted
/// in `errors`; the first `skip` decoded bytes (Excel's `sep=` line) are dropped.
pub(super) struct DecodingReader<'a> {
    inner: Box<dyn Read + 'a>,
    decoder: Decoder,
    raw: Box<[u8]>,
    raw_start: usize,
    raw_end: usize,
    eof: bool,
    done: bool,
    skip: usize,
    scratch: [u8; 8],
    window: Rc<RefCell<Window>>,
    errors: &'a AtomicBool,
}

impl<'a> DecodingReader<'a> {
    fn new(
        inner: Box<dyn Read + 'a>,
        encoding: &'static Encoding,
        skip: usize,
        window: Rc<RefCell<Window>>,
        errors: &'a AtomicBool,
    ) -> Self {
        DecodingReader {
            inner,
            decoder: encoding.new_decoder_with_bom_removal(),
            raw: vec![0; 64 * 1024].into_boxed_slice(),
            raw_start: 0,
            raw_end: 0,
            eof: false,
            done: false,
            skip,
            scratch: [0; 8],
            window,
            errors,
        }
    }

    /// Decodes into `out`; `Ok(0)` only at the end.
    fn decode_into(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.done {
                return Ok(0);
            }
            if self.raw_start == self.raw_end && !self.eof {
                self.raw_start = 0;
                self.raw_end = match self.inner.read(&mut self.raw) {
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                self.eof = self.raw_end == 0;
            }
            let (result, read, written, had_errors) =
                self.decoder
                    .decode_to_utf8(&self.raw[self.raw_start..self.raw_end], out, self.eof);
            self.raw_start += read;
            if had_errors {
                self.errors.store(true, Ordering::Relaxed);
            }
            if self.eof && self.raw_start == self.raw_end && result == CoderResult::InputEmpty {
                self.done = true;
            }
            if written > 0 {
                return Ok(written);
            }
        }
    }
}

impl Read for DecodingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let written = if buf.len() >= self.scratch.len() {
                self.decode_into(buf)?
            } else {
                // Too small for one character: decode into a scratch buffer first.
                let mut scratch = self.scratch;
                let n = self.decode_into(&mut scratch)?;
                let n = n.min(buf.len());
                buf[..n].copy_from_slice(&scratch[..n]);
                n
            };
            if written == 0 {
                return Ok(0);
            }
            let mut data = &buf[..written];
            if self.skip > 0 {
                let skipped = self.skip.min(written);
                self.skip -= skipped;
                if skipped == written {
                    continue;
                }
                buf.copy_within(skipped..written, 0);
                data = &buf[..written - skipped];
            }
            self.window.borrow_mut().push(data);
            return Ok(data.len());
        }
    }
}

/// Records with their spreadsheet row numbers; see `Source::records`.
pub struct Records<'a> {
    reader: csv::Reader<DecodingReader<'a>>,
    window: Rc<RefCell<Window>>,
    row: u32,
    end_of_previous: u64,
    /// A record read ahead while the blank rows before it are handed out.
    held: Option<csv::ByteRecord>,
    blanks: usize,
}

impl<'a> Records<'a> {
    pub(super) fn new(
        inner: Box<dyn Read + 'a>,
        encoding: &'static Encoding,
        skip: usize,
        delimiter: u8,
        errors: &'a AtomicBool,
    ) -> Records<'a> {
        let window = Rc::new(RefCell::new(Window::default()));
        let decoding = DecodingReader::new(inner, encoding, skip, window.clone(), errors);
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .buffer_capacity(64 * 1024)
            .from_reader(decoding);
        Records {
            reader,
            window,
            row: 0,
            end_of_previous: 0,
            held: None,
            blanks: 0,
        }
    }

    /// Reads the next record into `record` and returns its row number; `None` at the end.
    /// A blank line inside the file is a row too (an empty record), so numbers match what a
    /// spreadsheet shows; blank lines at the end are not rows. Line ends may be LF, CRLF or
    /// a lone CR (Excel for Mac).
    pub fn next_into(&mut self, record: &mut csv::StringRecord) -> Option<u32> {
        let mut bytes = std::mem::take(record).into_byte_record();
        let row = self.next_bytes_into(&mut bytes);
        // The decoder's output is UTF-8, and csv cuts it only at ASCII bytes: nothing is
        // lost here.
        *record = csv::StringRecord::from_byte_record_lossy(bytes);
        row
    }

    /// `next_into`, the cells left as bytes: csv's `StringRecord` checks each record's
    /// UTF-8 again, which `check` does a batch at a time, faster (`simdutf8`).
    pub fn next_bytes_into(&mut self, record: &mut csv::ByteRecord) -> Option<u32> {
        if self.blanks > 0 {
            self.blanks -= 1;
            record.clear();
            self.row = self.row.saturating_add(1);
            return Some(self.row);
        }
        if let Some(mut held) = self.held.take() {
            std::mem::swap(record, &mut held);
            self.row = self.row.saturating_add(1);
            return Some(self.row);
        }
        // The decoded text is valid UTF-8 and the reader is flexible: nothing can fail but
        // the end (or the file itself, which ends the records as well).
        if !matches!(self.reader.read_byte_record(record), Ok(true)) {
            return None;
        }
        let end = self.reader.position().byte();
        let blanks = {
            let mut window = self.window.borrow_mut();
            // The csv reader skips blank lines: count them back in from the line breaks
            // between the previous record and this one.
            let mut gap = window.from(self.end_of_previous);
            if self.end_of_previous > 0 && gap.first() == Some(&b'\n') {
                let before = self.end_of_previous - 1;
                if window.from(before).first() == Some(&b'\r') {
                    // The rest of the previous record's CRLF.
                    gap = &gap[1..];
                }
            }
            let leading = gap
                .iter()
                .take_while(|&&b| b == b'\n' || b == b'\r')
                .count();
            let blanks = line_breaks(&gap[..leading]);
            window.forget_before(end.saturating_sub(1));
            blanks
        };
        self.end_of_previous = end;
        if blanks > 0 {
            self.blanks = blanks - 1;
            self.held = Some(std::mem::take(record));
            record.clear();
        }
        self.row = self.row.saturating_add(1);
        Some(self.row)
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
