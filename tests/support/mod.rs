//! Helpers shared by the integration tests.

#![allow(dead_code)] // Each test crate uses its own share of them.

pub mod oidc;
