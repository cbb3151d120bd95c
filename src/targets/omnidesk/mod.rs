//! Omnidesk (`shared/specs/omnidesk.md`): a help desk where a user is one profile per
//! contact channel and the profiles of one person are linked. Here: its wire format, with
//! every assumption about it in one place (`api`, "Assumptions"), and a sandbox that plays
//! the contract strictly and each assumption's variants (`sandbox`). The client and the
//! profile sync come next.

pub mod api;
pub mod sandbox;
