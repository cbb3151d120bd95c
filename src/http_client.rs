//! The one way this crate builds an HTTP client for someone else's API (a target, Google):
//! the same timeouts and the same user agent everywhere, and the same idea of a base URL.

use std::time::Duration;

/// A client whose requests give up after `timeout`, and whose connections after at most
/// ten seconds of it. It follows no redirect: a target or Google that answers 3xx gets an
/// error that names the status, never a second request somewhere else (a redirect to
/// `http://127.0.0.1:…` must not carry a row's data, or a token, in clear to whoever is
/// there).
pub fn build(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
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

/// Whether a user-given base URL may be called by a server: over HTTPS, without
/// credentials or a port, on a host `known` accepts (given in lower case) — else a server
/// could be made to send requests, and a user's credentials, anywhere (server-side request
/// forgery) — or on any http(s) host when `allow_other_hosts` (a sandbox, a proxy).
pub fn may_call(url: &reqwest::Url, allow_other_hosts: bool, known: impl Fn(&str) -> bool) -> bool {
    if allow_other_hosts && matches!(url.scheme(), "http" | "https") {
        return true;
    }
    url.scheme() == "https"
        && url.username().is_empty()
        && url.password().is_none()
        && url.port().is_none()
        && url
            .host_str()
            .is_some_and(|host| known(&host.to_ascii_lowercase()))
}

/// `Retry-After` in seconds (both Chat2Desk and Google send seconds), capped at an hour;
/// `None` when absent or unreadable.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    seconds_header(headers, reqwest::header::RETRY_AFTER.as_str())
}

/// A header holding seconds to wait, read as `Retry-After` is (capped at an hour; `None`
/// when absent or unreadable), whatever its name: Omnidesk sends `retry_after`.
pub fn seconds_header(headers: &reqwest::header::HeaderMap, name: &str) -> Option<Duration> {
    headers
        .get(name)
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

/// What a caller is told of a redirect it was not allowed to follow.
pub fn redirect_refused(status: reqwest::StatusCode) -> String {
    format!(
        "the server answered {} (a redirect), which is not followed: check the base URL",
        status.as_u16()
    )
}

/// What a caller is told of an answer that is not in the API's own format: its status and
/// kind, never its text (a proxy's page or another service's reply is not ours to echo).
pub fn foreign_answer(status: reqwest::StatusCode, headers: &reqwest::header::HeaderMap) -> String {
    let kind = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim)
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/+.-".contains(&b))
        })
        .unwrap_or("no content type");
    format!(
        "an answer not in the API's format (HTTP {}, {kind})",
        status.as_u16()
    )
}
