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
//! - `targets`: per target system; for now Chat2Desk's cost model.
//! - `check`: the `check` job — every row gets an `Outcome`.
//! - `report`: the status CSV, the JSON-lines report and the summary.
//! - `messages`: every text a person reads, in Russian or English.

pub mod check;
pub mod domain;
pub mod identity;
pub mod input;
pub mod messages;
pub mod plan;
pub mod report;
pub mod targets;
