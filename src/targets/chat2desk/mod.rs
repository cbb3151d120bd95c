//! Chat2Desk (`shared/specs/chat2desk.md`): its wire format and assumptions (`api`), the
//! HTTP client, the catalog of an account, messengers by family (`transports`), the profile
//! sync, the cost model, a sandbox and a probe; `target` puts them behind the engine's
//! `Target`.

pub mod api;
pub mod catalog;
pub mod client;
pub mod cost;
pub mod probe;
pub mod rules;
pub mod sandbox;
pub mod sync;
pub mod target;
pub mod transports;
pub mod window;
pub mod words;

pub use cost::Chat2DeskCost;
pub use target::{Chat2DeskKind, Chat2DeskTarget, Settings};

/// Chat2Desk in the list of kinds.
pub static KIND: Chat2DeskKind = Chat2DeskKind;
