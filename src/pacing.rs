//! Pacing, shared by every target: how fast we send, how many requests we may spend, and
//! whether a failed request is tried again.
//!
//! The order of the layers is a decision made once (`Pacing::send`): the budget is checked
//! first, so retries spend it too; then the rate limit; then the request with its timeout.
//! *Whether* to retry is `decide`, one small table-tested function; *when* is `Backoff`.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use thiserror::Error;
use tokio::time::Instant;

/// A request that did not succeed, as any target's client reports it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TargetError {
    /// No answer: a timeout, a refused or dropped connection, a body cut off. The write may
    /// or may not have been applied.
    #[error("no answer from the target: {0}")]
    NoAnswer(String),
    /// 429 "too many requests"; the target may say when to come back.
    #[error("the target asks to slow down")]
    RateLimited { retry_after: Option<Duration> },
    /// The account's monthly allowance is spent: nothing more goes through this month.
    #[error("{0}")]
    QuotaExhausted(String),
    /// The token is not accepted.
    #[error("the token is not accepted: {0}")]
    Unauthorized(String),
    /// 5xx: the target's trouble, usually passing.
    #[error("the target failed ({status}): {message}")]
    Server { status: u16, message: String },
    /// The target refused the request itself (4xx other than the above): sending it again
    /// changes nothing.
    #[error("{message}")]
    Rejected { status: u16, message: String },
    /// An answer we could not read.
    #[error("unreadable answer: {0}")]
    Unreadable(String),
}

/// What to do after a failed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Try again, after `after` if the target said so, else after a backoff.
    Retry { after: Option<Duration> },
    /// Stop the whole run: nothing else will go through (quota, token).
    Stop,
    /// This request failed for good; the row gets the target's message.
    Fail,
}

/// Whether to retry. Transient troubles are retried; a refusal is not (the same request
/// gets the same answer); a spent quota or a bad token stops the run (async-openai treats
/// `insufficient_quota` the same way: permanent, not retried).
pub fn decide(error: &TargetError) -> Decision {
    match error {
        TargetError::RateLimited { retry_after } => Decision::Retry {
            after: *retry_after,
        },
        TargetError::NoAnswer(_) | TargetError::Server { .. } => Decision::Retry { after: None },
        TargetError::QuotaExhausted(_) | TargetError::Unauthorized(_) => Decision::Stop,
        TargetError::Rejected { .. } | TargetError::Unreadable(_) => Decision::Fail,
    }
}

/// Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And
/// Jitter"): spreads retries of many workers instead of synchronising them.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
    /// Attempts in all for a transient failure (5xx, no answer).
    pub max_attempts: u32,
    /// Attempts in all when the target only asks to slow down: 429s are pacing signals, so
    /// they get more patience.
    pub max_rate_limited_attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(250),
            cap: Duration::from_secs(20),
            max_attempts: 5,
            max_rate_limited_attempts: 12,
        }
    }
}

impl Backoff {
    /// The delay before attempt `attempt + 1` (attempt counts from 1).
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.cap);
        ceiling.mul_f64(rand::random::<f64>())
    }
}

/// The rate limit: requests are spaced at `1 / rate`; a 429 halves the rate and pauses
/// for `Retry-After`; each success gives back a little, up to the configured rate
/// (additive increase, multiplicative decrease).
///
/// Our own small limiter rather than `governor`: governor's quota is fixed when it is built,
/// and recovering gradually after a 429 needs a rate that changes while the run goes on.
#[derive(Debug)]
pub struct Pacer {
    max_rate: f64,
    state: Mutex<PacerState>,
}

#[derive(Debug)]
struct PacerState {
    rate: f64,
    next_slot: Instant,
}

/// The slowest we go after repeated 429s: one request in ten seconds.
const MIN_RATE: f64 = 0.1;
/// Each success adds this share of the configured rate back.
const RECOVERY_STEP: f64 = 0.05;
/// With no `Retry-After`, a 429 pauses this long.
const DEFAULT_PAUSE: Duration = Duration::from_secs(1);

impl Pacer {
    /// `rate`: requests per second at most.
    pub fn new(rate: f64) -> Pacer {
        let rate = if rate.is_finite() && rate > 0.0 {
            rate
        } else {
            1.0
        };
        Pacer {
            max_rate: rate,
            state: Mutex::new(PacerState {
                rate,
                next_slot: Instant::now(),
            }),
        }
    }

    /// Waits for this request's slot.
    pub async fn acquire(&self) {
        let slot = {
            // A std mutex: nothing is awaited while it is held.
            let mut state = self.state.lock().expect("pacer lock");
            let now = Instant::now();
            let slot = state.next_slot.max(now);
            state.next_slot = slot + Duration::from_secs_f64(1.0 / state.rate);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    pub fn on_success(&self) {
        let mut state = self.state.lock().expect("pacer lock");
        state.rate = (state.rate + self.max_rate * RECOVERY_STEP).min(self.max_rate);
    }

    pub fn on_rate_limited(&self, retry_after: Option<Duration>) {
        let mut state = self.state.lock().expect("pacer lock");
        state.rate = (state.rate / 2.0).max(MIN_RATE.min(self.max_rate));
        let resume = Instant::now() + retry_after.unwrap_or(DEFAULT_PAUSE);
        state.next_slot = state.next_slot.max(resume);
    }

    /// The current rate, requests per second.
    pub fn rate(&self) -> f64 {
        self.state.lock().expect("pacer lock").rate
    }
}

/// The hard cap on requests (`--max-requests`): a profile reserves what it will need before
/// it starts, so the cap never cuts one in the middle unless its retries run past it.
#[derive(Debug)]
pub struct Budget {
    /// Requests that may still be sent; `None` is no cap.
    left: Mutex<Option<u64>>,
}

impl Budget {
    pub fn new(cap: Option<u64>) -> Budget {
        Budget {
            left: Mutex::new(cap),
        }
    }

    /// Takes `n` requests from the budget, or nothing if fewer are left.
    pub fn reserve(&self, n: u64) -> bool {
        let mut left = self.left.lock().expect("budget lock");
        match &mut *left {
            None => true,
            Some(left) if *left >= n => {
                *left -= n;
                true
            }
            Some(_) => false,
        }
    }

    /// Gives back what a profile reserved and did not spend.
    pub fn release(&self, n: u64) {
        if let Some(left) = &mut *self.left.lock().expect("budget lock") {
            *left += n;
        }
    }
}

/// How one request to a target ended, for counting (the server's `/metrics`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// The target asked to slow down (a 429, or its words for one).
    RateLimited,
    /// A 5xx.
    ServerError,
    /// No (whole) answer.
    NoAnswer,
    /// Refused for good: a bad token, a spent quota, a rejected request, an unreadable answer.
    Refused,
}

impl Outcome {
    pub const ALL: [Outcome; 5] = [
        Outcome::Ok,
        Outcome::RateLimited,
        Outcome::ServerError,
        Outcome::NoAnswer,
        Outcome::Refused,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::RateLimited => "rate_limited",
            Outcome::ServerError => "server_error",
            Outcome::NoAnswer => "no_answer",
            Outcome::Refused => "refused",
        }
    }

    fn of(error: &TargetError) -> Outcome {
        match error {
            TargetError::RateLimited { .. } => Outcome::RateLimited,
            TargetError::Server { .. } => Outcome::ServerError,
            TargetError::NoAnswer(_) => Outcome::NoAnswer,
            TargetError::QuotaExhausted(_)
            | TargetError::Unauthorized(_)
            | TargetError::Rejected { .. }
            | TargetError::Unreadable(_) => Outcome::Refused,
        }
    }
}

/// Counters of one run, or of every run of a process.
#[derive(Debug, Default)]
pub struct Counters {
    /// Requests sent, retries included.
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub rate_limited: AtomicU64,
    /// Requests by how they ended, in `Outcome::ALL` order.
    outcomes: [AtomicU64; Outcome::ALL.len()],
}

impl Counters {
    /// Requests that ended with `outcome`.
    pub fn ended(&self, outcome: Outcome) -> u64 {
        self.outcomes[outcome as usize].load(Ordering::Relaxed)
    }

    fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// One profile's account of its requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ticket {
    /// Requests reserved from the budget and not used yet.
    pub reserved: u64,
    /// Requests sent, retries included.
    pub spent: u64,
    /// A failed attempt may have been applied (no answer, or a 5xx): the next answer may
    /// describe our own earlier write.
    pub ambiguous: bool,
}

/// Why `send` gave up.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Halt {
    /// The run is stopping (quota, token, the request cap, Ctrl-C): the profile stays pending.
    #[error("stopped: {0}")]
    Stopped(String),
    /// This request failed for good.
    #[error("{0}")]
    Failed(TargetError),
}

/// Everything between a worker and the target: budget, rate, retries, counters.
#[derive(Debug)]
pub struct Pacing {
    pub pacer: Pacer,
    pub budget: Budget,
    pub backoff: Backoff,
    pub counters: Counters,
    /// The process's counters, which every run's requests are added to as well.
    totals: Option<std::sync::Arc<Counters>>,
    stopping: AtomicBool,
    stop_reason: Mutex<Option<String>>,
}

impl Pacing {
    pub fn new(rate: f64, cap: Option<u64>, backoff: Backoff) -> Pacing {
        Pacing {
            pacer: Pacer::new(rate),
            budget: Budget::new(cap),
            backoff,
            counters: Counters::default(),
            totals: None,
            stopping: AtomicBool::new(false),
            stop_reason: Mutex::new(None),
        }
    }

    /// Counts this run's requests into `totals` too, as they happen.
    pub fn counting_into(mut self, totals: std::sync::Arc<Counters>) -> Pacing {
        self.totals = Some(totals);
        self
    }

    /// Adds one to a counter, in this run's counters and in the process's.
    fn count(&self, counter: impl Fn(&Counters) -> &AtomicU64) {
        Counters::add(counter(&self.counters));
        if let Some(totals) = &self.totals {
            Counters::add(counter(totals));
        }
    }

    /// Asks every worker to stop after its current request.
    pub fn stop(&self, reason: impl Into<String>) {
        let mut slot = self.stop_reason.lock().expect("stop lock");
        if slot.is_none() {
            let reason = reason.into();
            tracing::warn!(%reason, "the run stops: profiles not reached stay pending");
            *slot = Some(reason);
        }
        self.stopping.store(true, Ordering::SeqCst);
    }

    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    pub fn stop_reason(&self) -> Option<String> {
        self.stop_reason.lock().expect("stop lock").clone()
    }

    /// Sends one request through the layers. A request beyond what the ticket reserved (a
    /// retry, say) takes one more from the budget, or stops the run when none is left.
    pub async fn send<T, F, Fut>(&self, ticket: &mut Ticket, request: F) -> Result<T, Halt>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, TargetError>>,
    {
        let mut attempt = 0u32;
        loop {
            if self.is_stopping() {
                return Err(Halt::Stopped(self.stop_reason().unwrap_or_default()));
            }
            if ticket.reserved > 0 {
                ticket.reserved -= 1;
            } else if !self.budget.reserve(1) {
                self.stop("the request cap (--max-requests) is reached");
                return Err(Halt::Stopped(self.stop_reason().unwrap_or_default()));
            }
            attempt += 1;
            self.pacer.acquire().await;
            self.count(|c| &c.requests);
            ticket.spent += 1;
            let error = match request().await {
                Ok(value) => {
                    self.count(|c| &c.outcomes[Outcome::Ok as usize]);
                    self.pacer.on_success();
                    return Ok(value);
                }
                Err(error) => error,
            };
            let outcome = Outcome::of(&error);
            self.count(|c| &c.outcomes[outcome as usize]);
            if matches!(error, TargetError::NoAnswer(_) | TargetError::Server { .. }) {
                ticket.ambiguous = true;
            }
            match decide(&error) {
                Decision::Retry { after } => {
                    let limit = if let TargetError::RateLimited { .. } = error {
                        self.count(|c| &c.rate_limited);
                        self.pacer.on_rate_limited(after);
                        self.backoff.max_rate_limited_attempts
                    } else {
                        self.backoff.max_attempts
                    };
                    if attempt >= limit {
                        tracing::warn!(%error, attempt, "a request failed after its retries");
                        return Err(Halt::Failed(error));
                    }
                    self.count(|c| &c.retries);
                    tracing::debug!(%error, attempt, outcome = outcome.name(), "retrying a request");
                    if !matches!(error, TargetError::RateLimited { .. }) {
                        tokio::time::sleep(after.unwrap_or_else(|| self.backoff.delay(attempt)))
                            .await;
                    }
                }
                Decision::Stop => {
                    self.stop(error.to_string());
                    return Err(Halt::Stopped(error.to_string()));
                }
                Decision::Fail => return Err(Halt::Failed(error)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_decisions_follow_the_table() {
        let cases = [
            (
                TargetError::NoAnswer("reset".into()),
                Decision::Retry { after: None },
            ),
            (
                TargetError::Server {
                    status: 502,
                    message: String::new(),
                },
                Decision::Retry { after: None },
            ),
            (
                TargetError::RateLimited {
                    retry_after: Some(Duration::from_secs(3)),
                },
                Decision::Retry {
                    after: Some(Duration::from_secs(3)),
                },
            ),
            (
                TargetError::RateLimited { retry_after: None },
                Decision::Retry { after: None },
            ),
            (
                TargetError::QuotaExhausted("Number of API requests exceeded".into()),
                Decision::Stop,
            ),
            (
                TargetError::Unauthorized("Token is not correct".into()),
                Decision::Stop,
            ),
            (
                TargetError::Rejected {
                    status: 400,
                    message: "transport is incorrect".into(),
                },
                Decision::Fail,
            ),
            (TargetError::Unreadable("<html>".into()), Decision::Fail),
        ];
        for (error, decision) in cases {
            assert_eq!(decide(&error), decision, "{error:?}");
        }
    }

    #[test]
    fn backoff_grows_and_stays_under_its_cap() {
        let backoff = Backoff::default();
        for attempt in 1..40 {
            let ceiling = backoff
                .base
                .saturating_mul(1 << (attempt - 1).min(16))
                .min(backoff.cap);
            assert!(backoff.delay(attempt) <= ceiling);
        }
    }

    #[test]
    fn the_budget_reserves_and_releases() {
        let budget = Budget::new(Some(5));
        assert!(budget.reserve(3));
        assert!(!budget.reserve(3));
        budget.release(1);
        assert!(budget.reserve(3));
        assert!(!budget.reserve(1));
        assert!(Budget::new(None).reserve(u64::MAX));
    }

    #[tokio::test(start_paused = true)]
    async fn the_pacer_spaces_requests_and_slows_down_on_429() {
        let pacer = Pacer::new(10.0);
        let start = Instant::now();
        for _ in 0..10 {
            pacer.acquire().await;
        }
        // Ten slots at 10/s: the tenth starts 0.9 s after the first.
        assert_eq!(start.elapsed(), Duration::from_millis(900));
        pacer.on_rate_limited(Some(Duration::from_secs(2)));
        assert_eq!(pacer.rate(), 5.0);
        let before = Instant::now();
        pacer.acquire().await;
        assert!(before.elapsed() >= Duration::from_secs(2));
        for _ in 0..100 {
            pacer.on_success();
        }
        assert_eq!(pacer.rate(), 10.0);
    }

    #[tokio::test(start_paused = true)]
    async fn send_retries_transient_failures_and_counts_every_request() {
        let pacing = Pacing::new(100.0, None, Backoff::default());
        let calls = AtomicU64::new(0);
        let mut ticket = Ticket {
            reserved: 1,
            ..Ticket::default()
        };
        let result = pacing
            .send(&mut ticket, || async {
                if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                    Err(TargetError::Server {
                        status: 500,
                        message: "oops".into(),
                    })
                } else {
                    Ok(7)
                }
            })
            .await;
        assert_eq!(result, Ok(7));
        assert_eq!(ticket.spent, 3);
        assert!(ticket.ambiguous);
        assert_eq!(pacing.counters.requests.load(Ordering::SeqCst), 3);
        assert_eq!(pacing.counters.retries.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_spent_quota_stops_the_run() {
        let pacing = Pacing::new(100.0, None, Backoff::default());
        let mut ticket = Ticket::default();
        let result: Result<(), Halt> = pacing
            .send(&mut ticket, || async {
                Err(TargetError::QuotaExhausted(
                    "Number of API requests exceeded".into(),
                ))
            })
            .await;
        assert!(matches!(result, Err(Halt::Stopped(_))));
        assert!(pacing.is_stopping());
    }

    #[tokio::test(start_paused = true)]
    async fn the_request_cap_stops_retries_beyond_it() {
        let pacing = Pacing::new(100.0, Some(2), Backoff::default());
        let mut ticket = Ticket::default();
        let result: Result<(), Halt> = pacing
            .send(&mut ticket, || async {
                Err(TargetError::NoAnswer("reset".into()))
            })
            .await;
        assert!(matches!(result, Err(Halt::Stopped(_))));
        assert_eq!(pacing.counters.requests.load(Ordering::SeqCst), 2);
    }
}
