//! Intercom (`shared/specs/intercom.md`): a customer-messaging platform where a row is one
//! contact — a `user` when it has an e-mail, else a `lead` — and nothing but our ledger and
//! Intercom's 409 keeps a load from duplicating people. Its wire format, with every
//! assumption about it in one place (`api`, "Assumptions"); the client; what a workspace
//! takes (`rules`); the cost model; the sync of one contact; `target`, which puts them
//! behind the engine's `Target`; the sandbox, which plays each assumption's variants; and
//! `probe`, which settles them in a real workspace.

pub mod api;
pub mod client;
pub mod cost;
pub mod probe;
pub mod rules;
pub mod sandbox;
pub mod sync;
pub mod target;

pub use target::{IntercomKind, IntercomTarget};

/// Intercom in the list of kinds.
pub static KIND: IntercomKind = IntercomKind;
