//! A strict sliding-window rate limit, as an API gateway keeps one: at most `limit`
//! requests in any window of `width`, whatever their spacing. The sandbox answers 429 with
//! it.
//!
//! Strict means no burst allowance and no smoothing: a token bucket refilled at the same
//! rate lets a request through a millisecond early when one came a millisecond late, a
//! sliding window does not. Pacing at exactly `limit / width` therefore meets 429s from
//! timing jitter alone, which is what a real gateway does to a client that trusts its
//! clock too much.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// At most `limit` admitted requests in any half-open window `(t - width, t]`. Refused
/// requests take no place in the window.
#[derive(Debug, Clone)]
pub struct SlidingWindow {
    limit: usize,
    width: Duration,
    /// When each request in the current window was admitted, oldest first.
    admitted: VecDeque<Instant>,
}

impl SlidingWindow {
    /// At most `limit` (at least one) requests in any window of `width`.
    pub fn new(limit: u32, width: Duration) -> SlidingWindow {
        let limit = limit.max(1) as usize;
        SlidingWindow {
            limit,
            width,
            admitted: VecDeque::with_capacity(limit),
        }
    }

    /// `rate` requests per second: `rate` rounded (at least one) in any window of one
    /// second.
    pub fn per_second(rate: f64) -> SlidingWindow {
        let limit = if rate.is_finite() {
            rate.round().clamp(1.0, f64::from(u32::MAX)) as u32
        } else {
            1
        };
        SlidingWindow::new(limit, Duration::from_secs(1))
    }

    /// Admits a request arriving at `now`, or says how long until one would be admitted.
    /// `now` never goes back between calls.
    pub fn admit(&mut self, now: Instant) -> Result<(), Duration> {
        while let Some(&oldest) = self.admitted.front() {
            if now.duration_since(oldest) >= self.width {
                self.admitted.pop_front();
            } else {
                break;
            }
        }
        if self.admitted.len() < self.limit {
            self.admitted.push_back(now);
            Ok(())
        } else {
            let oldest = self.admitted[0];
            Err(self.width - now.duration_since(oldest))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// Offers a request at each of `offsets` (milliseconds after `start`), in order, and
    /// tells which were admitted.
    fn offer(window: &mut SlidingWindow, start: Instant, offsets: &[u64]) -> Vec<bool> {
        offsets
            .iter()
            .map(|ms| window.admit(start + MS * *ms as u32).is_ok())
            .collect()
    }

    #[test]
    fn a_burst_gets_the_limit_and_no_more() {
        let start = Instant::now();
        let mut window = SlidingWindow::new(3, Duration::from_secs(1));
        assert_eq!(
            offer(&mut window, start, &[0, 0, 0, 0, 999]),
            [true, true, true, false, false]
        );
        // The first request leaves the window exactly one width after it came.
        assert_eq!(offer(&mut window, start, &[1000]), [true]);
    }

    #[test]
    fn pacing_at_exactly_the_rate_is_admitted_but_one_millisecond_early_is_not() {
        let start = Instant::now();
        let mut window = SlidingWindow::per_second(20.0);
        let steady: Vec<u64> = (0..100).map(|i| i * 50).collect();
        assert!(offer(&mut window, start, &steady).iter().all(|ok| *ok));

        // One request a millisecond late, the next on time: twenty-one within a second.
        let mut window = SlidingWindow::per_second(20.0);
        let mut jittered: Vec<u64> = (0..20).map(|i| i * 50).collect();
        jittered[0] = 1;
        jittered.push(1000);
        let admitted = offer(&mut window, start, &jittered);
        assert!(admitted[..20].iter().all(|ok| *ok));
        assert!(!admitted[20], "the 21st came 999 ms after the 1st");
    }

    #[test]
    fn a_refused_request_takes_no_place_and_is_told_when_to_come_back() {
        let start = Instant::now();
        let mut window = SlidingWindow::new(2, Duration::from_secs(1));
        assert_eq!(offer(&mut window, start, &[0, 400]), [true, true]);
        assert_eq!(window.admit(start + MS * 700), Err(MS * 300));
        assert_eq!(window.admit(start + MS * 999), Err(MS));
        // The refusals did not count: at 1000 ms the first left and one place is free.
        assert_eq!(offer(&mut window, start, &[1000, 1001]), [true, false]);
        assert_eq!(window.admit(start + MS * 1001), Err(MS * 399));
    }

    #[test]
    fn the_rate_is_rounded_to_a_whole_limit_per_second() {
        let start = Instant::now();
        let cases = [
            (20.0, 20),
            (2.4, 2),
            (2.5, 3),
            (0.2, 1),
            (0.0, 1),
            (f64::NAN, 1),
        ];
        for (rate, limit) in cases {
            let mut window = SlidingWindow::per_second(rate);
            let admitted = offer(&mut window, start, &vec![0; limit + 1]);
            assert_eq!(admitted.iter().filter(|ok| **ok).count(), limit, "{rate}");
            assert_eq!(window.width, Duration::from_secs(1));
        }
    }
}
