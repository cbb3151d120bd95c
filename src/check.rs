//! `check`: read a list, parse every row, merge and link, and count what loading would cost.
//! Nothing here talks to a network.

use crate::domain::{Problem, Region, Row, Warning};
use crate::identity::{DEFAULT_CLUSTER_LIMIT, Hashes, Identity, Placement, Profiles};
use std::collections::BTreeMap;
use std::sync::mpsc;

use crate::input::{Cells, Header, HeaderError, ReadError, Source};
use crate::messages::{self, Lang};
use crate::plan;
use crate::targets::TargetKind;

#[derive(Debug, Clone, Copy)]
pub struct CheckOptions {
    pub region: Region,
    /// Clusters with more profiles than this get a warning on their rows.
    pub cluster_limit: usize,
    /// The target the list is meant for: its cost model prices the list, and its notes
    /// (what it cannot hold) go on the rows.
    pub target: TargetKind,
    /// Keep each e-mail as the rows wrote it (`Profiles::spelling`), for a target whose
    /// account tells case apart.
    pub spellings: bool,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            region: Region::default(),
            cluster_limit: DEFAULT_CLUSTER_LIMIT,
            target: TargetKind::default(),
            spellings: false,
        }
    }
}

/// What became of one data row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The row creates the profile `profile` (and perhaps linked ones).
    Ready {
        profile: u32,
    },
    /// The row's contacts already had profiles: it updates them.
    Merged {
        profile: u32,
        into_row: u32,
    },
    Invalid(Box<Problem>),
    /// An empty row.
    Skipped,
}

impl Outcome {
    /// The status name used in reports: `ready|merged|invalid|skipped`.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Ready { .. } => "ready",
            Outcome::Merged { .. } => "merged",
            Outcome::Invalid(_) => "invalid",
            Outcome::Skipped => "skipped",
        }
    }

    pub fn profile(&self) -> Option<u32> {
        match *self {
            Outcome::Ready { profile } | Outcome::Merged { profile, .. } => Some(profile),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowResult {
    /// The spreadsheet's row number (the header is row 1).
    pub row: u32,
    pub outcome: Outcome,
    pub warnings: Vec<Warning>,
}

impl RowResult {
    /// The status text a person reads, in the sheet's language.
    pub fn status_text(&self, lang: Lang) -> String {
        let status = match &self.outcome {
            Outcome::Ready { .. } => messages::ready(lang),
            Outcome::Merged { into_row, .. } => messages::merged(lang, *into_row),
            Outcome::Invalid(problem) => messages::invalid(lang, problem),
            Outcome::Skipped => messages::skipped(lang),
        };
        messages::with_warnings(lang, status, &self.warnings)
    }
}

/// Counts by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub rows: usize,
    pub ready: usize,
    pub merged: usize,
    pub invalid: usize,
    pub skipped: usize,
}

/// A checked list: the source, every row's result in row order, the profiles and the cost.
#[derive(Debug)]
pub struct Checked {
    pub source: Source,
    pub header: Header,
    /// The header's row number: 1 unless blank lines stand above it.
    pub header_row: u32,
    pub rows: Vec<RowResult>,
    pub profiles: Profiles,
    /// The target the list was checked for.
    pub target: TargetKind,
    /// The target's requests the plan needs if no contact exists there yet.
    pub estimated_requests: u64,
}

impl Checked {
    pub fn counts(&self) -> Counts {
        let mut counts = Counts {
            rows: self.rows.len(),
            ..Counts::default()
        };
        for row in &self.rows {
            match row.outcome {
                Outcome::Ready { .. } => counts.ready += 1,
                Outcome::Merged { .. } => counts.merged += 1,
                Outcome::Invalid(_) => counts.invalid += 1,
                Outcome::Skipped => counts.skipped += 1,
            }
        }
        counts
    }

    pub fn lang(&self) -> Lang {
        self.header.lang
    }
}

/// Checks a decoded source for `options.target`, before its account is read. Fails only
/// when the file has no usable header; every data row gets a result.
pub fn check(source: Source, options: CheckOptions) -> Result<Checked, ReadError> {
    check_with(source, options, &|row| Ok(options.target.row_notes(row)))
}

/// `check`, with a target's own rule on each valid row (does the account have its tags,
/// channel, messenger?). A row the rule refuses is invalid and merges into nothing.
pub fn check_with(
    source: Source,
    options: CheckOptions,
    rule: &(dyn Fn(&Row) -> Result<Vec<Warning>, Problem> + Sync),
) -> Result<Checked, ReadError> {
    let (header_row, header) = find_header(&source)?;
    let mut identity = if options.spellings {
        Identity::keeping_spellings()
    } else {
        Identity::new()
    };
    let mut rows = Vec::new();
    // A pipeline: one thread reads batches of records, `PARSERS` threads parse them, and
    // this one places their rows in order (placing depends on the rows before), so that
    // reading, parsing and placing all go on at once. Each parser has its own queue: a
    // batch is always parsed by the same thread (see `Batch`).
    let (queues, to_parse): (Vec<_>, Vec<_>) = (0..PARSERS)
        .map(|_| mpsc::sync_channel::<(usize, Batch)>(2))
        .unzip();
    let (parsed, results) = mpsc::sync_channel::<(usize, Batch)>(PARSERS * 2);
    let (recycle, recycled) = mpsc::channel::<Batch>();
    std::thread::scope(|scope| {
        let source = &source;
        std::thread::Builder::new()
            .name("read".into())
            .spawn_scoped(scope, move || {
                read_batches(source, header_row, &queues, &recycled)
            })
            .expect("a thread starts");
        for to_parse in to_parse {
            let (done, header) = (parsed.clone(), &header);
            let parser = std::thread::Builder::new().name("parse".into());
            parser
                .spawn_scoped(scope, move || {
                    for (index, mut batch) in to_parse {
                        let Batch {
                            records, parsed, ..
                        } = &mut batch;
                        // What the rows placed last time left (see `Identity::add_from`)
                        // is freed here, by the thread that allocated it; their vectors
                        // of contacts are reused.
                        parsed.truncate(records.len());
                        for i in 0..records.len() {
                            let spare = match parsed.get_mut(i) {
                                Some(Parsed::Valid(row, ..)) => std::mem::take(&mut row.contacts),
                                _ => Vec::new(),
                            };
                            let new = parse(header, &records.cells(i), options, rule, spare);
                            match parsed.get_mut(i) {
                                Some(slot) => *slot = new,
                                None => parsed.push(new),
                            }
                        }
                        if done.send((index, batch)).is_err() {
                            return;
                        }
                    }
                })
                .expect("a thread starts");
        }
        drop(parsed);
        let mut waiting = BTreeMap::new();
        let mut next = 0;
        for (index, batch) in results {
            waiting.insert(index, batch);
            while let Some(mut batch) = waiting.remove(&next) {
                next += 1;
                let Batch {
                    records, parsed, ..
                } = &mut batch;
                for (&(row, _), parsed) in records.rows.iter().zip(parsed.iter_mut()) {
                    rows.push(place(&mut identity, row, parsed));
                }
                let _ = recycle.send(batch);
            }
        }
    });
    let profiles = identity.finish();
    for result in &mut rows {
        if let Some(profile) = result.outcome.profile() {
            result.warnings.extend(
                profiles
                    .cluster_warning(profile, options.cluster_limit)
                    .into_iter()
                    .chain(profiles.shared_warning(profile)),
            );
        }
    }
    let estimated_requests = plan::estimate(&profiles, options.target.cost_model());
    Ok(Checked {
        source,
        header,
        header_row,
        rows,
        profiles,
        target: options.target,
        estimated_requests,
    })
}

/// Threads that parse rows; with the reader and the placer, two cores stay busy.
const PARSERS: usize = 2;

/// The header: the first record that is not blank (blank lines above it are not data).
pub fn find_header(source: &Source) -> Result<(u32, Header), ReadError> {
    let mut records = source.records();
    let mut record = csv::StringRecord::new();
    while let Some(row) = records.next_into(&mut record) {
        if !record.iter().all(|c| c.trim().is_empty()) {
            return Ok((row, Header::parse(record.iter())?));
        }
    }
    Err(ReadError::Header(HeaderError::Empty))
}

/// A parsed row's place: a new profile, a merge, or its problem. What the result and the
/// profiles keep is moved out of `parsed`; the rest is left in it (see `Batch`).
fn place(identity: &mut Identity, row: u32, parsed: &mut Parsed) -> RowResult {
    let (outcome, warnings) = match parsed {
        Parsed::Valid(parsed, warnings, hashes) => (
            match identity.add_from(row, parsed, hashes) {
                Placement::Created { profile } => Outcome::Ready { profile },
                Placement::Merged { profile, into_row } => Outcome::Merged { profile, into_row },
            },
            std::mem::take(warnings),
        ),
        // The result keeps all of these: moved out whole.
        _ => match std::mem::replace(parsed, Parsed::Blank(Vec::new())) {
            Parsed::Blank(warnings) => (Outcome::Skipped, warnings),
            Parsed::Invalid(problem, warnings) => (Outcome::Invalid(problem), warnings),
            Parsed::Valid(..) => unreachable!("placed above"),
        },
    };
    RowResult {
        row,
        outcome,
        warnings,
    }
}

/// Records with their row numbers, a batch at a time, and what they parse into.
///
/// A batch goes round: the reader fills its records, its parser its `parsed`, the placer
/// takes from `parsed` what it keeps and sends the batch back to the reader. Its buffers
/// are reused, so that nothing is allocated per record; and what the placer leaves of a
/// row is freed by the parser when it fills the batch again. glibc's `free` is quick on
/// the thread that allocated, and on another one waits for that thread's arena lock: the
/// placer alone would free millions of strings and vectors that way.
///
/// The records' cells are copied one after another into `text`: a `csv::StringRecord`
/// per record is three allocations, which the parser, on the other core, met as three
/// cache misses before the first byte of a cell (9% of `check`'s CPU); one buffer is read
/// in order, and the hardware fetches it ahead.
struct Batch {
    /// The parser it goes to: always the same one.
    parser: usize,
    records: BatchRecords,
    parsed: Vec<Parsed>,
}

/// A batch's records, their cells in one buffer.
#[derive(Default)]
struct BatchRecords {
    /// The cells of all the records.
    text: String,
    /// Where each cell ends in `text`.
    ends: Vec<usize>,
    /// Each record's row number and the index in `ends` of its first cell.
    rows: Vec<(u32, usize)>,
}

impl BatchRecords {
    fn len(&self) -> usize {
        self.rows.len()
    }

    fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
        self.rows.clear();
    }

    fn push(&mut self, row: u32, record: &csv::ByteRecord) {
        self.rows.push((row, self.ends.len()));
        let start = self.text.len();
        // One check of the record's UTF-8, SIMD: `std`'s, which `csv::StringRecord` runs,
        // takes the bytes of Cyrillic text one by one (6% of `check` on the worse list).
        match simdutf8::basic::from_utf8(record.as_slice()) {
            Ok(cells) => {
                self.text.push_str(cells);
                let ends = (0..record.len()).filter_map(|i| record.range(i));
                self.ends.extend(ends.map(|cell| start + cell.end));
            }
            // Not met: the decoder's output is UTF-8, and csv cuts it only at ASCII bytes.
            Err(_) => {
                for cell in record.iter() {
                    self.text.push_str(&String::from_utf8_lossy(cell));
                    self.ends.push(self.text.len());
                }
            }
        }
    }

    /// The cells of record `i`.
    fn cells(&self, i: usize) -> Cells<'_> {
        let first = self.rows[i].1;
        let last = self.rows.get(i + 1).map_or(self.ends.len(), |r| r.1);
        let start = first.checked_sub(1).map_or(0, |j| self.ends[j]);
        Cells::new(&self.text, start, &self.ends[first..last])
    }
}

/// Reads the rows under the header into numbered batches until the end, or until nobody
/// listens. Batches come back through `recycled` to be filled again.
fn read_batches(
    source: &Source,
    header_row: u32,
    queues: &[mpsc::SyncSender<(usize, Batch)>],
    recycled: &mpsc::Receiver<Batch>,
) {
    let mut records = source.records();
    let mut record = csv::ByteRecord::new();
    for index in 0.. {
        let mut batch = recycled.try_recv().unwrap_or_else(|_| Batch {
            parser: index % queues.len(),
            records: BatchRecords::default(),
            parsed: Vec::with_capacity(BATCH),
        });
        batch.records.clear();
        while batch.records.len() < BATCH {
            match records.next_bytes_into(&mut record) {
                Some(row) if row <= header_row => {}
                Some(row) => batch.records.push(row, &record),
                None => break,
            }
        }
        let filled = batch.records.len();
        let last = filled < BATCH;
        if filled == 0 || queues[batch.parser].send((index, batch)).is_err() || last {
            return;
        }
    }
}

/// Rows per batch: enough to keep both cores busy, few enough to stay small in memory.
const BATCH: usize = 1024;

/// A record after parsing, before placing.
enum Parsed {
    Blank(Vec<Warning>),
    Invalid(Box<Problem>, Vec<Warning>),
    /// With the hashes `Identity` looks it up by, computed here rather than on the
    /// placing thread.
    Valid(Row, Vec<Warning>, Hashes),
}

fn parse(
    header: &Header,
    record: &Cells<'_>,
    options: CheckOptions,
    rule: &(dyn Fn(&Row) -> Result<Vec<Warning>, Problem> + Sync),
    contacts: Vec<crate::domain::Contact>,
) -> Parsed {
    let raw = header.raw_row(record);
    let mut warnings = Vec::new();
    if record.len() > header.names.len()
        && record
            .iter()
            .skip(header.names.len())
            .any(|c| !c.trim().is_empty())
    {
        warnings.push(Warning::CellsBeyondHeader);
    }
    if raw.is_blank() {
        return Parsed::Blank(warnings);
    }
    match Row::parse_reusing(&raw, options.region, contacts).and_then(
        |(mut row, mut row_warnings)| {
            if !header.unknown.is_empty() {
                row.extra = header.extra_cells(record);
            }
            row_warnings.extend(rule(&row)?);
            Ok((row, row_warnings))
        },
    ) {
        Ok((row, row_warnings)) => {
            // Most rows have no warning of their own before parsing: theirs is the vector.
            if warnings.is_empty() {
                warnings = row_warnings;
            } else {
                warnings.extend(row_warnings);
            }
            let hashes = Hashes::of(&row);
            Parsed::Valid(row, warnings, hashes)
        }
        Err(problem) => Parsed::Invalid(Box::new(problem), warnings),
    }
}
