//! contact-loader: loads contact lists into customer-messaging and help-desk systems,
//! correct on every row, frugal with every API request, and never duplicating anything.
//!
//! # Layout
//! Data flows one way: input → domain → identity → plan → (target) → statuses.
//!
//! - `input`: CSV files as people have them — encoding and delimiter detection, spreadsheet
//!   row numbers, header aliases.
//! - `domain`: `Phone`, `Email`, `MessengerId`, `Tags`, free text; a `RawRow` of cells
//!   becomes a `Row` or a `Problem` once, at the edge.
//! - `identity`: rows with the same contact are one profile; contacts on one row are linked.
//! - `plan`: the operations each profile needs, and the `CostModel` that prices them.
//! - `targets`: the one list of kinds (`TargetKind`), the `Kind` and `Target` interfaces
//!   the edges and the engine drive, and a folder per target system — Chat2Desk, Omnidesk, Intercom —
//!   with its wire format, client, rules, sync, cost model, sandbox and probe; what they
//!   share: tolerant readers (`lenient`) and the sandboxes' faults (`sandbox_kit`).
//! - `pacing`: rate limit, request budget and the one retry decision, for every target.
//! - `secrets`: target tokens sealed at rest (XChaCha20-Poly1305).
//! - `store`: the ledger of what each target holds (SQLite), for exactly-once loads.
//! - `http_client`: how every client of someone else's API is built.
//! - `check`: the `check` job — every row gets an `Outcome`.
//! - `load`: the `load` job, generic over a target — check, compare with the ledger, ask
//!   consent, sync, and a status per row.
//! - `report`: the status CSV, the JSON-lines report and the summary.
//! - `messages`: every text a person reads, in Russian or English.
//! - `serve`: the backend the Sheets add-on calls — API, durable jobs, workers.
//! - `sheets`: Google Sheets I/O — read a sheet, write statuses back in paced `RAW` batches.
//! - `telemetry`: log lines through `tracing`, for a person or as JSON.

pub mod check;
pub mod domain;
pub mod http_client;
pub mod identity;
pub mod input;
pub mod load;
pub mod messages;
pub mod pacing;
pub mod plan;
pub mod report;
pub mod secrets;
pub mod serve;
pub mod sheets;
pub mod store;
pub mod targets;
pub mod telemetry;
