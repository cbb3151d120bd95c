//! The one way this crate builds an HTTP client for someone else's API (a target, Google):
//! the same timeouts and the same user agent everywhere.

use std::time::Duration;

/// A client whose requests give up after `timeout`, and whose connections after at most
/// ten seconds of it.
pub fn build(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("contact-loader/", env!("CARGO_PKG_VERSION")))
        .build()
}
