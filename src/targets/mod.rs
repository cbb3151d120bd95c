//! Targets: the systems profiles are loaded into. Each has a cost model now; the clients
//! come with the loader.

pub mod chat2desk;
pub mod lenient;
pub mod sandbox_kit;
