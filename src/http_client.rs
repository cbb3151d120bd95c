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

/// `Retry-After` in seconds (both Chat2Desk and Google send seconds), capped at an hour;
/// `None` when absent or unreadable.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(3600.0)))
}

/// Why a request got no (whole) answer, in words, without its URL. reqwest's message names
/// the URL, never headers, and the URL goes too: no token can leak through it.
pub fn no_answer(error: reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "the connection dropped"
    };
    format!("{kind} ({})", error.without_url())
}
