//! Status write-back: rows' statuses and client ids, batched into few `values:batchUpdate`
//! requests. Google allows 60 requests a minute per user per project and a body of about
//! 2 MB (`shared/specs/google-sheets.md`), so a 10,000-row load must not write row by row.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use secrecy::SecretString;
use tokio::time::Instant;

use super::a1;
use super::client::{Sheets, SheetsError, batch_body};
use super::columns::StatusColumns;

/// At most one write per spreadsheet this often (issue 4: "never more than one write per
/// ~2 seconds per sheet"), which also keeps one user far below 60 a minute.
pub const DEFAULT_MIN_INTERVAL: Duration = Duration::from_secs(2);
/// Under Google's ~2 MB, with room for the request's headers.
pub const MAX_BODY_BYTES: usize = 1_900_000;
/// Google keeps at most 50,000 characters in a cell; more is refused, not cut.
pub const MAX_CELL_CHARS: usize = 50_000;
/// Truncated exponential backoff, as Google recommends for 429s: 1 s, 2 s, … 64 s.
const BACKOFF_START: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(64);
/// Failed attempts `flush` makes in a row before it gives up (the rows stay pending).
const MAX_ATTEMPTS: u32 = 10;

/// Write slots per spreadsheet, shared by every writer of a process (clone it): two jobs
/// on two sheets of one spreadsheet still write at most once per interval between them.
#[derive(Debug, Clone)]
pub struct WritePacer {
    min_interval: Duration,
    next: Arc<Mutex<HashMap<String, Instant>>>,
}

impl WritePacer {
    pub fn new(min_interval: Duration) -> WritePacer {
        WritePacer {
            min_interval,
            next: Arc::default(),
        }
    }

    pub fn min_interval(&self) -> Duration {
        self.min_interval
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        // A poisoned map of instants is still a valid map of instants.
        self.next.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Claims the next slot for `key` and waits for it.
    async fn acquire(&self, key: &str) {
        let slot = {
            let mut next = self.lock();
            let now = Instant::now();
            let slot = next.get(key).copied().filter(|t| *t > now).unwrap_or(now);
            next.insert(key.to_owned(), slot + self.min_interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// Claims the slot only if it is free now.
    fn try_acquire(&self, key: &str) -> bool {
        let mut next = self.lock();
        let now = Instant::now();
        if next.get(key).is_some_and(|t| *t > now) {
            return false;
        }
        next.insert(key.to_owned(), now + self.min_interval);
        true
    }

    /// No write to `key` before `until`.
    fn defer(&self, key: &str, until: Instant) {
        let mut next = self.lock();
        let slot = next.entry(key.to_owned()).or_insert(until);
        *slot = (*slot).max(until);
    }
}

impl Default for WritePacer {
    fn default() -> Self {
        WritePacer::new(DEFAULT_MIN_INTERVAL)
    }
}

/// Collects row statuses for one sheet and writes them in batches.
///
/// Rows leave the writer only when Google has accepted them: a 429, a lost answer or an
/// expired token keeps them pending for the next flush. A later status for the same row
/// replaces an earlier one that was not written yet.
#[derive(Debug)]
pub struct StatusWriter {
    sheets: Sheets,
    spreadsheet_id: String,
    sheet: String,
    columns: StatusColumns,
    /// Header cells still to create; they go with the first batch.
    header: Option<(String, Vec<Vec<String>>)>,
    /// Row → [status, client id].
    pending: BTreeMap<u32, [String; 2]>,
    /// What this writer has written to each row: pushing the same again writes nothing, so
    /// a job's final pass costs no request for the rows written as it went.
    written: HashMap<u32, [String; 2]>,
    pacer: WritePacer,
    max_body: usize,
    backoff_start: Duration,
    backoff_max: Duration,
    /// The delay after the next failure; `None` after a success.
    backoff: Option<Duration>,
    requests: u64,
}

impl StatusWriter {
    pub fn new(
        sheets: Sheets,
        spreadsheet_id: &str,
        sheet: &str,
        columns: StatusColumns,
    ) -> StatusWriter {
        let header = columns.header_update(sheet);
        StatusWriter {
            sheets,
            spreadsheet_id: spreadsheet_id.to_owned(),
            sheet: sheet.to_owned(),
            columns,
            header,
            pending: BTreeMap::new(),
            written: HashMap::new(),
            pacer: WritePacer::default(),
            max_body: MAX_BODY_BYTES,
            backoff_start: BACKOFF_START,
            backoff_max: BACKOFF_MAX,
            backoff: None,
            requests: 0,
        }
    }

    /// Shares `pacer`'s slots (and its minimum interval) with other writers.
    pub fn with_pacer(mut self, pacer: WritePacer) -> StatusWriter {
        self.pacer = pacer;
        self
    }

    /// A private pacer with this interval.
    pub fn with_min_interval(self, min_interval: Duration) -> StatusWriter {
        self.with_pacer(WritePacer::new(min_interval))
    }

    pub fn with_max_body_bytes(mut self, max_body: usize) -> StatusWriter {
        self.max_body = max_body;
        self
    }

    /// The first and the largest delay after a rate limit.
    pub fn with_backoff(mut self, start: Duration, max: Duration) -> StatusWriter {
        self.backoff_start = start;
        self.backoff_max = max.max(start);
        self
    }

    /// A fresh OAuth token from the add-on; rows held back by a 401 go with the next flush.
    pub fn set_token(&mut self, token: SecretString) {
        self.sheets.set_token(token);
    }

    pub fn columns(&self) -> &StatusColumns {
        &self.columns
    }

    /// Rows waiting to be written.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// `values:batchUpdate` requests Google accepted.
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// Queues `row`'s (1-based, below the header) status and client id; no id writes an
    /// empty cell, so the sheet shows this run's result.
    pub fn push(&mut self, row: u32, status: &str, client_id: Option<&str>) {
        debug_assert!(row >= 2, "row {row} is the header or no row");
        if row == 0 {
            return;
        }
        let cell = |s: &str| match s.char_indices().nth(MAX_CELL_CHARS) {
            Some((cut, _)) => s[..cut].to_owned(),
            None => s.to_owned(),
        };
        let value = [cell(status), cell(client_id.unwrap_or(""))];
        if self.written.get(&row) == Some(&value) {
            // An earlier, different value still queued must not overwrite it.
            self.pending.remove(&row);
            return;
        }
        self.pending.insert(row, value);
    }

    /// Writes one batch if this spreadsheet's slot is free now, else nothing; call it after
    /// each `push`. A rate limit or a lost answer is not an error here: the rows stay
    /// pending and the next write waits longer. Returns the rows written.
    pub async fn flush_if_due(&mut self) -> Result<usize, SheetsError> {
        if !self.has_work() || !self.pacer.try_acquire(&self.spreadsheet_id) {
            return Ok(0);
        }
        match self.write_batch().await {
            Ok(rows) => Ok(rows),
            Err(e) if e.is_transient() => {
                self.back_off(&e);
                Ok(0)
            }
            Err(e) => Err(e),
        }
    }

    /// Writes everything pending, one batch per slot, backing off on rate limits and lost
    /// answers. After `MAX_ATTEMPTS` failures in a row, or any other error, it returns the
    /// error and the rows not written stay pending.
    pub async fn flush(&mut self) -> Result<(), SheetsError> {
        let mut failures = 0;
        while self.has_work() {
            self.pacer.acquire(&self.spreadsheet_id).await;
            match self.write_batch().await {
                Ok(_) => failures = 0,
                Err(e) if e.is_transient() && failures + 1 < MAX_ATTEMPTS => {
                    failures += 1;
                    self.back_off(&e);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn has_work(&self) -> bool {
        self.header.is_some() || !self.pending.is_empty()
    }

    /// Pushes this spreadsheet's next slot past an exponentially growing delay (or
    /// Google's `Retry-After`, if longer), with up to a quarter more at random so that
    /// writers do not come back in step.
    fn back_off(&mut self, error: &SheetsError) {
        let delay = self.backoff.unwrap_or(self.backoff_start);
        self.backoff = Some((delay * 2).min(self.backoff_max));
        let retry_after = error.retry_after().unwrap_or_default();
        let delay = delay.max(retry_after) + delay.mul_f64(rand::random::<f64>() / 4.0);
        self.pacer
            .defer(&self.spreadsheet_id, Instant::now() + delay);
    }

    /// One request with as many pending rows (in row order) as fit in the body limit.
    async fn write_batch(&mut self) -> Result<usize, SheetsError> {
        let mut count = self.pending.len();
        let body = loop {
            let updates = self.updates(count);
            let body =
                serde_json::to_vec(&batch_body(&updates)).map_err(|e| SheetsError::Other {
                    status: 0,
                    message: format!("the request cannot be written: {e}"),
                })?;
            if body.len() <= self.max_body || count <= 1 {
                break body;
            }
            // Shrink in proportion to the excess, at least by half.
            let fit = count * self.max_body / body.len();
            count = fit.min(count / 2).max(1);
        };
        self.sheets
            .batch_update_raw(&self.spreadsheet_id, body)
            .await?;
        self.requests += 1;
        self.backoff = None;
        self.header = None;
        let written: Vec<u32> = self.pending.keys().take(count).copied().collect();
        for row in &written {
            if let Some(value) = self.pending.remove(row) {
                self.written.insert(*row, value);
            }
        }
        Ok(written.len())
    }

    /// The ranges for the header (if still missing) and the first `count` pending rows.
    /// Consecutive rows make one block; side-by-side columns make one range per block,
    /// others one range per column.
    fn updates(&self, count: usize) -> Vec<(String, Vec<Vec<String>>)> {
        let mut updates: Vec<_> = self.header.iter().cloned().collect();
        let rows: Vec<(u32, &[String; 2])> = self
            .pending
            .iter()
            .take(count)
            .map(|(r, v)| (*r, v))
            .collect();
        let (status, id) = (self.columns.status, self.columns.client_id);
        for run in rows.chunk_by(|a, b| b.0 == a.0 + 1) {
            let (first, last) = (run[0].0, run[run.len() - 1].0);
            let column = |i: usize| run.iter().map(|(_, v)| vec![v[i].clone()]).collect();
            if id == status + 1 {
                updates.push((
                    a1::block(&self.sheet, status, first, id, last),
                    run.iter().map(|(_, v)| v.to_vec()).collect(),
                ));
            } else if status == id + 1 {
                updates.push((
                    a1::block(&self.sheet, id, first, status, last),
                    run.iter()
                        .map(|(_, [s, i])| vec![i.clone(), s.clone()])
                        .collect(),
                ));
            } else {
                updates.push((
                    a1::block(&self.sheet, status, first, status, last),
                    column(0),
                ));
                updates.push((a1::block(&self.sheet, id, first, id, last), column(1)));
            }
        }
        updates
    }
}
