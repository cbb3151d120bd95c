//! Google Sheets I/O for the add-on's backend (issue 4, "Google Sheets I/O"): read a sheet,
//! find or create its `Status` and `Client ID` columns, and write row statuses back in few,
//! paced, `RAW` batches. Facts from `shared/specs/google-sheets.md`.
//!
//! - `a1`: column letters and quoted sheet names.
//! - `Sheets`: the HTTP client — `values`, `read_sheet` (metadata, then `values:batchGet`
//!   in blocks) and `values:batchUpdate`.
//! - `StatusColumns`: where statuses go in the header.
//! - `StatusWriter`: batches, paces and retries the status writes.
//! - `ServiceAccount`: access as a service account the spreadsheet is shared with.
//!
//! Plain `reqwest` rather than `google-sheets4`: four endpoints, and the error sorting and
//! pacing are ours either way.

pub mod a1;
mod client;
mod columns;
mod service_account;
mod writer;

pub use client::{
    BatchUpdated, READ_BLOCK_CELLS, READ_BLOCK_ROWS, READ_BLOCKS_PER_CALL, Sheets, SheetsError,
};
pub use columns::StatusColumns;
pub use service_account::ServiceAccount;
pub use writer::{DEFAULT_MIN_INTERVAL, MAX_BODY_BYTES, MAX_CELL_CHARS, StatusWriter, WritePacer};
