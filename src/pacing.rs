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

impl TargetError {
    /// The request may have been applied although no success came back: no answer, or a
    /// 5xx (a gateway's 502 may follow a write the service made).
    pub fn may_be_applied(&self) -> bool {
        matches!(self, TargetError::NoAnswer(_) | TargetError::Server { .. })
    }
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

/// The rate limit: requests are spaced at `1 / rate`, starting at the rate we were told.
///
/// A gateway that keeps a strict sliding window (at most N requests in any second) answers
/// 429 to a client paced at exactly N a second from timing jitter alone: one request a
/// millisecond late and the next on time make N + 1 within a second. Halving the rate on
/// each such 429 (AIMD, as this pacer did) turned jitter into a storm of slowdowns: a
/// 1,000-row load took 1.6× requests ÷ rate. So a 429 is read for what it says:
///
/// - **The first 429 settles** the pacer at `SETTLE` (95%) of the told rate, for the rest of
///   the run: 5% of margin (at 20/s, twenty requests span 1.053 s) is far more than timer
///   and network jitter, and costs 5% of wall time — the same as one 429's one-second pause
///   on a 20-second load.
/// - **A lower rate is learned only when 429s keep coming**: a 429 is a *strike* when its
///   request was sent after the last pause (those sent before it were paced at a rate we
///   already reacted to, and a burst of them is one event, not several); `STRIKES` (2)
///   strikes within `STRIKE_SPAN` (10 s) of sending resumed mean the limit is below the
///   rate. Then the rate steps down to `STEP_DOWN` (80%) of itself, and the ceiling becomes
///   `SETTLE` of the rate that kept failing, so recovery stops just under it. Each further
///   run of strikes lowers both again, step by step, down to `MIN_RATE`.
/// - **Recovery is slow**: each success gives back `RECOVERY_STEP` (1%) of the ceiling, so
///   a step down is regained over about fifteen requests; never above the ceiling, which
///   does not rise again within a run (probing above it would buy 429s; the next run starts
///   from the told rate).
/// - **Retry-After is honoured**: no request leaves before the pause ends — those already
///   waiting for a slot wait for it too — and the end moves by a random part of one
///   interval, so pacers sharing one account do not all resume on the same instant. Within
///   one pacer the requests after a pause are spaced as always. Without `Retry-After`, a
///   429 pauses `DEFAULT_PAUSE`.
///
/// Our own small limiter rather than `governor`: governor's quota is fixed when it is built,
/// and recovering gradually after a 429 needs a rate that changes while the run goes on.
#[derive(Debug)]
pub struct Pacer {
    /// The rate we were told, requests per second.
    told: f64,
    state: Mutex<PacerState>,
}

#[derive(Debug)]
struct PacerState {
    rate: f64,
    /// What successes bring `rate` back to: the told rate until the first 429, then just
    /// under it, then just under the last rate at which 429s kept coming.
    ceiling: f64,
    next_slot: Instant,
    /// No request leaves before this (a `Retry-After` pause).
    paused_until: Instant,
    /// When sending last resumed after a 429 we learned from: a 429 on a request sent
    /// before this is about a rate we already reacted to.
    resumed_at: Instant,
    /// 429s on requests sent since `resumed_at`, at the settled rate or lower.
    strikes: u32,
    /// The last requests-a-minute figure the target announced.
    announced: Option<u64>,
}

/// After the first 429, the share of the told rate the pacer settles at.
const SETTLE: f64 = 0.95;
/// Strikes within `STRIKE_SPAN` that mean the account's limit is lower than our rate.
const STRIKES: u32 = 2;
/// How soon after sending resumed the next strike must come to count with the last one.
const STRIKE_SPAN: Duration = Duration::from_secs(10);
/// When 429s keep coming, the rate steps down to this share of itself.
const STEP_DOWN: f64 = 0.8;
/// The slowest we go after repeated 429s: one request in ten seconds.
const MIN_RATE: f64 = 0.1;
/// Each success adds this share of the ceiling back.
const RECOVERY_STEP: f64 = 0.01;
/// Of a limit the target announces, the share we pace at: an even pace just under it never
/// fills an interval, fixed or sliding.
const ANNOUNCED_SHARE: f64 = 0.98;
/// With no `Retry-After`, a 429 pauses this long.
const DEFAULT_PAUSE: Duration = Duration::from_secs(1);

impl Pacer {
    /// `rate`: requests per second at most, as the account's limit was told to us.
    pub fn new(rate: f64) -> Pacer {
        let rate = if rate.is_finite() && rate > 0.0 {
            rate
        } else {
            1.0
        };
        let now = Instant::now();
        Pacer {
            told: rate,
            state: Mutex::new(PacerState {
                rate,
                ceiling: rate,
                next_slot: now,
                paused_until: now,
                resumed_at: now,
                strikes: 0,
                announced: None,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PacerState> {
        // A std mutex: nothing is awaited while it is held.
        self.state.lock().expect("pacer lock")
    }

    /// Waits for this request's slot, and returns when it was let go (for
    /// `on_rate_limited`).
    pub async fn acquire(&self) -> Instant {
        loop {
            let slot = {
                let mut state = self.lock();
                let slot = state.next_slot.max(state.paused_until).max(Instant::now());
                state.next_slot = slot + Duration::from_secs_f64(1.0 / state.rate);
                slot
            };
            tokio::time::sleep_until(slot).await;
            // A pause that began while this request waited holds it too: it takes a slot
            // after the pause.
            let now = Instant::now();
            if now >= self.lock().paused_until {
                return now;
            }
        }
    }

    pub fn on_success(&self) {
        let mut state = self.lock();
        state.rate = (state.rate + state.ceiling * RECOVERY_STEP).min(state.ceiling);
    }

    /// A 429 on a request let go at `sent` (what `acquire` returned).
    pub fn on_rate_limited(&self, sent: Instant, retry_after: Option<Duration>) {
        let now = Instant::now();
        let mut state = self.lock();
        let floor = MIN_RATE.min(SETTLE * self.told);
        let learned = sent >= state.resumed_at;
        if learned {
            if state.ceiling > SETTLE * self.told {
                // The first 429: settle just under the told rate.
                state.ceiling = SETTLE * self.told;
                state.rate = state.rate.min(state.ceiling);
                state.strikes = 0;
            } else {
                if now.duration_since(state.resumed_at) > STRIKE_SPAN {
                    // The last strike was a lone one.
                    state.strikes = 0;
                }
                state.strikes += 1;
                if state.strikes >= STRIKES {
                    state.ceiling = (SETTLE * state.rate).max(floor);
                    state.rate = (STEP_DOWN * state.rate).max(floor);
                    state.strikes = 0;
                }
            }
        }
        let interval = Duration::from_secs_f64(1.0 / state.rate);
        let resume =
            now + retry_after.unwrap_or(DEFAULT_PAUSE) + interval.mul_f64(rand::random::<f64>());
        state.paused_until = state.paused_until.max(resume);
        state.next_slot = state.next_slot.max(state.paused_until);
        if learned {
            state.resumed_at = state.paused_until;
        }
    }

    /// What the target's answers say of its limit (Omnidesk's `rate_limit_per_minute` and
    /// `api_calls_left` on every answer): pace under the announced limit instead of waiting
    /// for rejections. The rate only goes down: what we were told stays the cap.
    pub fn observe(&self, hint: Hint) {
        let mut state = self.lock();
        if let Some(per_minute) = hint.per_minute.filter(|n| *n > 0) {
            state.announced = Some(per_minute);
            let limit = (ANNOUNCED_SHARE * per_minute as f64 / 60.0).max(MIN_RATE);
            if limit < state.ceiling {
                state.ceiling = limit;
                state.rate = state.rate.min(limit);
            }
        }
        // Nothing left in this interval: the next request would be refused; wait as told,
        // else a request's slot at the announced rate.
        if hint.left == Some(0) {
            let wait = hint
                .wait
                .unwrap_or_else(|| Duration::from_secs_f64(1.0 / state.rate));
            state.paused_until = state.paused_until.max(Instant::now() + wait);
            state.next_slot = state.next_slot.max(state.paused_until);
        }
    }

    /// The requests a minute the target last announced.
    pub fn announced_per_minute(&self) -> Option<u64> {
        self.lock().announced
    }

    /// The current rate, requests per second.
    pub fn rate(&self) -> f64 {
        self.lock().rate
    }
}

/// A target's word on its limit, read from an answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hint {
    /// The most requests a minute.
    pub per_minute: Option<u64>,
    /// Requests left in the current interval.
    pub left: Option<u64>,
    /// How long to wait before the next.
    pub wait: Option<Duration>,
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
    /// The run stopped because the target refused its credentials.
    credentials_refused: AtomicBool,
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
            credentials_refused: AtomicBool::new(false),
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

    /// The requests a minute the target announced in its answers, if it did.
    pub fn announced_per_minute(&self) -> Option<u64> {
        self.pacer.announced_per_minute()
    }

    /// Whether the run stopped because the target refused its credentials (a token, a key):
    /// nothing goes through until the user gives others.
    pub fn credentials_refused(&self) -> bool {
        self.credentials_refused.load(Ordering::SeqCst)
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
        self.send_repeating(ticket, request, true).await
    }

    /// `send` for a write that must not be applied twice (an append): an attempt that may
    /// have been applied (`TargetError::may_be_applied`) is not repeated but returned, for
    /// the caller to read what the target holds before it sends again. Throttling is still
    /// waited out: a throttled request was not applied.
    pub async fn send_once<T, F, Fut>(&self, ticket: &mut Ticket, request: F) -> Result<T, Halt>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, TargetError>>,
    {
        self.send_repeating(ticket, request, false).await
    }

    /// After an attempt of `send_once` that may have been applied and was then found not
    /// to be: whether to send it again, counted as a retry and after the backoff, or give up
    /// (its attempts spent).
    pub async fn once_more(&self, attempt: u32) -> bool {
        if attempt >= self.backoff.max_attempts {
            return false;
        }
        self.count(|c| &c.retries);
        tokio::time::sleep(self.backoff.delay(attempt)).await;
        true
    }

    async fn send_repeating<T, F, Fut>(
        &self,
        ticket: &mut Ticket,
        request: F,
        repeat_applied: bool,
    ) -> Result<T, Halt>
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
            let sent = self.pacer.acquire().await;
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
            if error.may_be_applied() {
                ticket.ambiguous = true;
                if !repeat_applied {
                    return Err(Halt::Failed(error));
                }
            }
            match decide(&error) {
                Decision::Retry { after } => {
                    let limit = if let TargetError::RateLimited { .. } = error {
                        self.count(|c| &c.rate_limited);
                        self.pacer.on_rate_limited(sent, after);
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
                    if matches!(error, TargetError::Unauthorized(_)) {
                        self.credentials_refused.store(true, Ordering::SeqCst);
                    }
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

    #[tokio::test(start_paused = true)]
    async fn an_announced_limit_paces_under_it_and_an_empty_interval_waits() {
        let pacer = Pacer::new(10.0);
        pacer.observe(Hint {
            per_minute: Some(120),
            ..Hint::default()
        });
        assert!((pacer.rate() - 0.98 * 2.0).abs() < 1e-9);
        // A higher figure later does not raise it past what we were told or learned.
        pacer.observe(Hint {
            per_minute: Some(6000),
            ..Hint::default()
        });
        assert!((pacer.rate() - 0.98 * 2.0).abs() < 1e-9);
        let start = Instant::now();
        pacer.acquire().await;
        pacer.observe(Hint {
            left: Some(0),
            wait: Some(Duration::from_secs(7)),
            ..Hint::default()
        });
        let next = pacer.acquire().await;
        assert!(next.duration_since(start) >= Duration::from_secs(7));
    }

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
    async fn the_pacer_spaces_requests_at_the_told_rate() {
        let pacer = Pacer::new(10.0);
        let start = Instant::now();
        for _ in 0..10 {
            pacer.acquire().await;
        }
        // Ten slots at 10/s: the tenth starts 0.9 s after the first.
        assert_eq!(start.elapsed(), Duration::from_millis(900));
    }

    /// What happens to a pacer, one step of a case.
    #[derive(Debug, Clone, Copy)]
    enum Step {
        /// This many requests succeed.
        Succeed(u32),
        /// A request sent now (after any pause) gets a 429.
        Limited,
        /// A request sent when the case began gets its 429 only now.
        LateLimited,
        /// Nothing is sent for this long.
        Idle(Duration),
    }

    #[tokio::test(start_paused = true)]
    async fn the_pacer_settles_under_the_told_rate_and_learns_only_from_429s_that_keep_coming() {
        use Step::*;
        // Longer than the span after the pause that follows a strike.
        const QUIET: Duration = Duration::from_secs(13);
        // (what happens, the rate after it, the ceiling after it); told 10/s.
        let cases: [(&str, &[Step], f64, f64); 11] = [
            ("no 429: the told rate", &[Succeed(50)], 10.0, 10.0),
            ("the first 429 settles just under it", &[Limited], 9.5, 9.5),
            (
                "429s on requests sent before the settle teach nothing",
                &[Limited, LateLimited, LateLimited, LateLimited],
                9.5,
                9.5,
            ),
            (
                "one more 429 is a strike, not a lesson",
                &[Limited, Limited],
                9.5,
                9.5,
            ),
            (
                "strikes far apart teach nothing",
                &[Limited, Limited, Idle(QUIET), Limited, Idle(QUIET), Limited],
                9.5,
                9.5,
            ),
            (
                "429s that keep coming step the rate down",
                &[Limited, Limited, Limited],
                7.6,
                9.025,
            ),
            (
                "each further run of them steps it down again",
                &[Limited, Limited, Limited, Limited, Limited],
                6.08,
                7.22,
            ),
            (
                "successes recover slowly",
                &[Limited, Limited, Limited, Succeed(5)],
                7.6 + 5.0 * 0.09025,
                9.025,
            ),
            (
                "up to just under the rate that kept failing",
                &[Limited, Limited, Limited, Succeed(100), Limited],
                9.025,
                9.025,
            ),
            (
                "the settled rate does not go back up",
                &[Limited, Succeed(100)],
                9.5,
                9.5,
            ),
            (
                "a long run of 429s slows down to the floor and no further",
                &[Limited; 60],
                MIN_RATE,
                MIN_RATE,
            ),
        ];
        for (name, steps, rate, ceiling) in cases {
            let pacer = Pacer::new(10.0);
            let began = pacer.acquire().await;
            for step in steps {
                match *step {
                    Succeed(n) => {
                        for _ in 0..n {
                            pacer.acquire().await;
                            pacer.on_success();
                        }
                    }
                    Limited => {
                        let sent = pacer.acquire().await;
                        pacer.on_rate_limited(sent, Some(Duration::from_secs(1)));
                    }
                    LateLimited => pacer.on_rate_limited(began, Some(Duration::from_secs(1))),
                    Idle(quiet) => tokio::time::sleep(quiet).await,
                }
            }
            let state = pacer.lock();
            assert!(
                (state.rate - rate).abs() < 1e-9,
                "{name}: rate {}",
                state.rate
            );
            assert!(
                (state.ceiling - ceiling).abs() < 1e-9,
                "{name}: ceiling {}",
                state.ceiling
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_every_request_even_those_waiting_and_ends_spread() {
        // (Retry-After, the shortest pause it means)
        let cases = [
            (Some(Duration::from_secs(3)), Duration::from_secs(3)),
            (None, DEFAULT_PAUSE),
        ];
        for (retry_after, pause) in cases {
            let pacer = std::sync::Arc::new(Pacer::new(10.0));
            let start = pacer.acquire().await;
            // Two workers already hold the next slots (100 and 200 ms) when the 429 comes.
            let waiting: Vec<_> = (0..2)
                .map(|_| {
                    let pacer = pacer.clone();
                    tokio::spawn(async move { pacer.acquire().await })
                })
                .collect();
            tokio::task::yield_now().await;
            pacer.on_rate_limited(start, retry_after);
            let mut sent = Vec::new();
            for worker in waiting {
                sent.push(worker.await.unwrap());
            }
            sent.push(pacer.acquire().await);
            sent.sort();
            // After the pause plus at most one interval, one request an interval, not all
            // at once (give or take the timer's millisecond).
            let interval = Duration::from_secs_f64(1.0 / pacer.rate());
            let tick = Duration::from_millis(1);
            assert!(sent[0] >= start + pause, "{retry_after:?}");
            assert!(
                sent[0] <= start + pause + interval + tick,
                "{retry_after:?}"
            );
            for pair in sent.windows(2) {
                assert!(
                    pair[1] - pair[0] + tick >= interval,
                    "{retry_after:?}: {sent:?}"
                );
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn send_settles_the_pacer_on_a_429_and_retries_after_the_pause() {
        let pacing = Pacing::new(10.0, None, Backoff::default());
        let calls = AtomicU64::new(0);
        let mut ticket = Ticket::default();
        let start = Instant::now();
        let result = pacing
            .send(&mut ticket, || async {
                if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                    Err(TargetError::RateLimited {
                        retry_after: Some(Duration::from_secs(2)),
                    })
                } else {
                    Ok(())
                }
            })
            .await;
        assert_eq!(result, Ok(()));
        assert!(start.elapsed() >= Duration::from_secs(2));
        assert_eq!(pacing.counters.rate_limited.load(Ordering::SeqCst), 1);
        assert!((pacing.pacer.rate() - 9.5).abs() < 1e-9);
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
    async fn send_once_waits_out_throttling_but_returns_an_attempt_that_may_be_applied() {
        let pacing = Pacing::new(100.0, None, Backoff::default());
        let calls = AtomicU64::new(0);
        let mut ticket = Ticket::default();
        let result: Result<u64, Halt> = pacing
            .send_once(&mut ticket, || async {
                match calls.fetch_add(1, Ordering::SeqCst) {
                    0 => Err(TargetError::RateLimited { retry_after: None }),
                    _ => Err(TargetError::NoAnswer("reset".into())),
                }
            })
            .await;
        assert_eq!(
            result,
            Err(Halt::Failed(TargetError::NoAnswer("reset".into())))
        );
        assert_eq!(ticket.spent, 2);
        assert!(ticket.ambiguous);
        // The caller read the target and found it not applied: once more, until the
        // attempts are spent.
        assert!(pacing.once_more(1).await);
        assert!(!pacing.once_more(Backoff::default().max_attempts).await);
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
