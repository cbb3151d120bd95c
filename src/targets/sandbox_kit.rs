//! What every target's sandbox does the same way, whatever the target's wire format: faults
//! a test asks for, served to the requests that match; a random share of failures; the
//! names requests are counted under; a proxy's HTML page for a 5xx; an answer cut off in
//! the middle; the fixed window a rate limit counts in; the faults the Omnidesk and
//! Intercom sandboxes play (Chat2Desk's are its own: a quota, its duplicate answer), each
//! answered in its target's own form.

use std::collections::VecDeque;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::time::Instant;

/// A fault a test asks for, served to the next requests that match (`Sandbox::inject`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 500 before anything is applied.
    ServerError,
    /// The write is applied, then 500: the answer is lost.
    ServerErrorAfterApply,
    /// The write is applied, then the connection drops in the middle of the answer.
    DropAfterApply,
    /// A proxy's HTML page with a 502, before anything is applied.
    HtmlBadGateway,
    /// The answer to a request over the limit, whatever the count.
    Throttled,
}

/// Faults a test asked for, each served to the next `times` requests whose method matches
/// and whose path starts with the rule's path — or, for a queue made `exact`, is the rule's
/// path, a `{id}` segment standing for any one segment (`/contacts/{id}/notes`: ids are
/// not known before the run makes them). The oldest matching rule goes first.
#[derive(Debug, Clone)]
pub struct FaultQueue<F> {
    rules: VecDeque<FaultRule<F>>,
    exact: bool,
}

#[derive(Debug, Clone)]
struct FaultRule<F> {
    method: Method,
    path: String,
    fault: F,
    times: u32,
}

impl<F> Default for FaultQueue<F> {
    fn default() -> Self {
        FaultQueue {
            rules: VecDeque::new(),
            exact: false,
        }
    }
}

/// Whether `path` is `pattern`, segment by segment, `{id}` matching any one.
fn matches_pattern(pattern: &str, path: &str) -> bool {
    let (mut pattern, mut path) = (pattern.split('/'), path.split('/'));
    loop {
        match (pattern.next(), path.next()) {
            (None, None) => return true,
            (Some("{id}"), Some(segment)) if !segment.is_empty() => {}
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

impl<F: Clone> FaultQueue<F> {
    /// A queue whose rules match whole paths (`{id}` for any segment).
    pub fn exact() -> FaultQueue<F> {
        FaultQueue {
            rules: VecDeque::new(),
            exact: true,
        }
    }

    /// Serves `fault` to the next `times` requests of `method` whose path starts with `path`.
    pub fn push(&mut self, method: Method, path: &str, fault: F, times: u32) {
        if times > 0 {
            self.rules.push_back(FaultRule {
                method,
                path: path.to_owned(),
                fault,
                times,
            });
        }
    }

    /// The fault for this request, if one is waiting for it; it is used up.
    pub fn take(&mut self, method: &Method, path: &str) -> Option<F> {
        let index = self.rules.iter().position(|r| {
            r.method == *method
                && if self.exact {
                    matches_pattern(&r.path, path)
                } else {
                    path.starts_with(&r.path)
                }
        })?;
        let rule = &mut self.rules[index];
        let fault = rule.fault.clone();
        rule.times -= 1;
        if rule.times == 0 {
            self.rules.remove(index);
        }
        Some(fault)
    }
}

/// True for a share `rate` of calls (0 never, 1 always): the sandbox's random failures.
pub fn chance(rate: f64) -> bool {
    rate > 0.0 && rand::random::<f64>() < rate
}

/// The name a request is counted under: numeric path segments become `{id}`, keeping an
/// extension (`/api/users/12.json` → `/api/users/{id}.json`), so that counts are per
/// endpoint, not per record.
pub fn endpoint(method: &Method, path: &str) -> String {
    let path: Vec<String> = path
        .split('/')
        .map(|segment| {
            let (stem, extension) = match segment.split_once('.') {
                Some((stem, extension)) => (stem, Some(extension)),
                None => (segment, None),
            };
            if !stem.is_empty() && stem.bytes().all(|b| b.is_ascii_digit()) {
                match extension {
                    Some(extension) => format!("{{id}}.{extension}"),
                    None => "{id}".to_owned(),
                }
            } else {
                segment.to_owned()
            }
        })
        .collect();
    format!("{method} {}", path.join("/"))
}

/// What a reverse proxy in front of an API answers when the API fails.
pub fn html_error(status: StatusCode) -> Response {
    let page = format!(
        "<html><head><title>{status}</title></head><body><center><h1>{status}</h1></center>\
         <hr><center>nginx</center></body></html>"
    );
    (status, [(header::CONTENT_TYPE, "text/html")], page).into_response()
}

/// An answer whose headers go out and whose body then fails: the connection is cut in the
/// middle of the answer, as when a server dies after it has applied a write.
pub fn dropped_answer() -> Response {
    let body = Body::from_stream(futures_util::stream::once(async {
        Err::<Vec<u8>, _>(std::io::Error::other("connection dropped by the sandbox"))
    }));
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, "1000")
        .body(body)
        .expect("a valid response")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_in_paths_are_counted_as_one_endpoint() {
        assert_eq!(
            endpoint(&Method::PUT, "/v1/clients/1001"),
            "PUT /v1/clients/{id}"
        );
        assert_eq!(
            endpoint(&Method::PUT, "/api/users/12/link.json"),
            "PUT /api/users/{id}/link.json"
        );
        assert_eq!(
            endpoint(&Method::GET, "/api/users/12.json"),
            "GET /api/users/{id}.json"
        );
        assert_eq!(
            endpoint(&Method::GET, "/api/users.json"),
            "GET /api/users.json"
        );
    }

    #[test]
    fn a_fault_is_served_as_many_times_as_asked_to_matching_requests_only() {
        let mut queue = FaultQueue::default();
        queue.push(Method::POST, "/api/users", "boom", 2);
        queue.push(Method::POST, "/api/users", "never", 0);
        assert_eq!(queue.take(&Method::GET, "/api/users.json"), None);
        assert_eq!(queue.take(&Method::POST, "/api/users.json"), Some("boom"));
        assert_eq!(queue.take(&Method::POST, "/api/users/1.json"), Some("boom"));
        assert_eq!(queue.take(&Method::POST, "/api/users.json"), None);
    }
}

/// A fixed window of a rate limit, as the sandboxes play it (Omnidesk's interval
/// [kb-limits], Intercom's 10-second window [rl]): it starts with the first request and
/// rolls over every `width`; refused requests take no place in it.
#[derive(Debug)]
pub struct FixedWindow {
    limit: u32,
    width: Duration,
    start: Option<Instant>,
    used: u32,
}

impl FixedWindow {
    pub fn new(limit: u32, width: Duration) -> FixedWindow {
        FixedWindow {
            limit,
            width,
            start: None,
            used: 0,
        }
    }

    /// Moves to the window `now` is in.
    pub fn roll(&mut self, now: Instant) {
        let start = *self.start.get_or_insert(now);
        let elapsed = now.duration_since(start);
        if elapsed >= self.width {
            let whole = (elapsed.as_nanos() / self.width.as_nanos().max(1)) as u32;
            self.start = Some(start + self.width * whole);
            self.used = 0;
        }
    }

    /// Admits a request arriving at `now`, if the window has room.
    pub fn admit(&mut self, now: Instant) -> bool {
        self.roll(now);
        if self.used < self.limit {
            self.used += 1;
            true
        } else {
            false
        }
    }

    pub fn left(&self) -> u32 {
        self.limit.saturating_sub(self.used)
    }

    /// How long until the window rolls over.
    pub fn until_roll(&self, now: Instant) -> Duration {
        let end = self.start.unwrap_or(now) + self.width;
        end.saturating_duration_since(now)
    }
}
