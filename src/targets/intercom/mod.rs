//! Intercom (`shared/specs/intercom.md`): a customer-messaging platform where a row is one
//! contact — a `user` when it has an e-mail, else a `lead` — and nothing but our ledger and
//! Intercom's 409 keeps a load from duplicating people. Its wire format, with every
//! assumption about it in one place (`api`, "Assumptions").

pub mod api;
pub mod sandbox;
