//! The one way this crate builds an HTTP client for someone else's API (a target, Google):
//! the same timeouts and the same user agent everywhere, and the same idea of a base URL.

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

/// A base URL for an API: http or https, with a path that others join onto. `None` for
/// anything else.
pub fn base_url(text: &str) -> Option<reqwest::Url> {
    let url = reqwest::Url::parse(text).ok()?;
    (matches!(url.scheme(), "http" | "https") && !url.cannot_be_a_base()).then_some(url)
}
