//! Omnidesk (`shared/specs/omnidesk.md`): a help desk where a user is one profile per
//! contact channel and the profiles of one person are linked. Its wire format, with every
//! assumption about it in one place (`api`, "Assumptions"); the client; what an account
//! takes (`rules`); the sync of one person; the cost model; a sandbox that plays the
//! contract strictly and each assumption's variants; `probe`, which settles them in a real
//! account; and `target`, which puts them behind the engine's `Target`.

pub mod api;
pub mod client;
pub mod cost;
pub mod probe;
pub mod rules;
pub mod sandbox;
pub mod sync;
pub mod target;

pub use target::{OmnideskKind, OmnideskTarget};

/// Omnidesk in the list of kinds.
pub static KIND: OmnideskKind = OmnideskKind;
