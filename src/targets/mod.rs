//! Targets: the systems profiles are loaded into. Chat2Desk has its client, profile sync,
//! cost model and sandbox; Omnidesk, so far, its wire format and sandbox. What every target
//! shares: tolerant readers of answers (`lenient`) and the sandboxes' faults (`sandbox_kit`).

pub mod chat2desk;
pub mod lenient;
pub mod omnidesk;
pub mod sandbox_kit;
