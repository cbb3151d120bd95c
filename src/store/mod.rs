//! Durable state. For now the ledger of what each target holds, in an embedded SQLite file.

pub mod ledger;

pub use ledger::{Entry, Ledger, StoreError};
