//! The one retry loop.
//!
//! Waits grow as `backoff`, `2·backoff`, `4·backoff`… up to [`MAX_DELAY`], each drawn
//! uniformly from its upper half ("equal jitter"), so that many clients failed by the same
//! outage do not come back in step, and no wait is shorter than half the schedule. A
//! `Retry-After` from the server replaces the drawn wait (capped the same way, not jittered:
//! the server said when). A retry whose wait would reach the deadline is not made: the loop
//! gives up at once with [`GaveUp::Deadline`] rather than sleep into a certain timeout.

use crate::Deadline;
use std::time::Duration;

/// Longest wait honoured from a `Retry-After`, and the longest backoff.
pub const MAX_DELAY: Duration = Duration::from_secs(30);

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all (at least 1).
    pub attempts: u32,
    /// First backoff; doubles each retry.
    pub backoff: Duration,
}

/// Why one attempt failed.
#[derive(Debug)]
pub enum Failure<E> {
    /// Worth another attempt; `after` is what the server's `Retry-After` asked for.
    Retry { error: E, after: Option<Duration> },
    /// Final: another attempt would fail the same way.
    Fatal(E),
}

/// Why [`retry`] gave up, with the last failure.
#[derive(Debug)]
pub enum GaveUp<E> {
    /// An attempt failed for good.
    Fatal(E),
    /// Every attempt failed.
    Exhausted { last: E, attempts: u32 },
    /// The next retry could not have started before the deadline.
    Deadline { last: E, attempts: u32 },
}

impl<E> GaveUp<E> {
    /// The last failure, whatever the reason.
    pub fn into_last(self) -> E {
        match self {
            GaveUp::Fatal(e)
            | GaveUp::Exhausted { last: e, .. }
            | GaveUp::Deadline { last: e, .. } => e,
        }
    }
}

/// Runs `attempt` (given its number, from 1) until it succeeds, fails for good, the
/// attempts are used up or the deadline leaves no time for another.
pub fn retry<T, E>(
    policy: RetryPolicy,
    deadline: &Deadline,
    mut attempt: impl FnMut(u32) -> Result<T, Failure<E>>,
) -> Result<T, GaveUp<E>> {
    let attempts = policy.attempts.max(1);
    let mut n = 1;
    loop {
        match attempt(n) {
            Ok(v) => return Ok(v),
            Err(Failure::Fatal(e)) => return Err(GaveUp::Fatal(e)),
            Err(Failure::Retry { error, after }) => {
                if n >= attempts {
                    return Err(GaveUp::Exhausted {
                        last: error,
                        attempts: n,
                    });
                }
                let wait = after.map_or_else(|| backoff(policy.backoff, n), |a| a.min(MAX_DELAY));
                if deadline.remaining() <= wait {
                    return Err(GaveUp::Deadline {
                        last: error,
                        attempts: n,
                    });
                }
                std::thread::sleep(wait);
                n += 1;
            }
        }
    }
}

/// The wait after failed attempt `n` (from 1): the upper half of `first · 2^(n-1)`, capped.
fn backoff(first: Duration, n: u32) -> Duration {
    let full = first
        .checked_mul(1u32.checked_shl(n.saturating_sub(1)).unwrap_or(u32::MAX))
        .unwrap_or(MAX_DELAY)
        .min(MAX_DELAY);
    let half = full / 2;
    let nanos = u64::try_from((full - half).as_nanos()).unwrap_or(u64::MAX);
    half + Duration::from_nanos(fastrand::u64(0..=nanos))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let first = Duration::from_millis(100);
        for _ in 0..200 {
            let b1 = backoff(first, 1);
            assert!(b1 >= first / 2 && b1 <= first, "{b1:?}");
            let b3 = backoff(first, 3);
            assert!(
                b3 >= Duration::from_millis(200) && b3 <= Duration::from_millis(400),
                "{b3:?}"
            );
            let big = backoff(first, 40);
            assert!(big >= MAX_DELAY / 2 && big <= MAX_DELAY, "{big:?}");
        }
        assert_eq!(backoff(Duration::ZERO, 1), Duration::ZERO);
    }

    fn quick() -> RetryPolicy {
        RetryPolicy {
            attempts: 4,
            backoff: Duration::from_millis(1),
        }
    }

    #[test]
    fn retries_until_success_or_exhausted() {
        let calls = Cell::new(0);
        let deadline = Deadline::after(Duration::from_secs(60));
        let ok = retry(quick(), &deadline, |n| {
            calls.set(n);
            if n < 3 {
                Err(Failure::Retry {
                    error: n,
                    after: None,
                })
            } else {
                Ok("done")
            }
        });
        assert_eq!(ok.unwrap(), "done");
        assert_eq!(calls.get(), 3);

        let gave_up = retry(quick(), &deadline, |n| -> Result<(), _> {
            Err(Failure::Retry {
                error: n,
                after: None,
            })
        });
        assert!(matches!(
            gave_up,
            Err(GaveUp::Exhausted {
                last: 4,
                attempts: 4
            })
        ));

        let fatal = retry(quick(), &deadline, |n| -> Result<(), _> {
            Err(Failure::Fatal(n))
        });
        assert!(matches!(fatal, Err(GaveUp::Fatal(1))));
    }

    #[test]
    fn a_retry_after_past_the_deadline_gives_up_at_once() {
        let deadline = Deadline::after(Duration::from_secs(5));
        let gave_up = retry(quick(), &deadline, |n| -> Result<(), _> {
            Err(Failure::Retry {
                error: n,
                after: Some(Duration::from_secs(3600)),
            })
        });
        // Capped at 30 s, still more than the 5 s left: one attempt, no sleep.
        assert!(matches!(
            gave_up,
            Err(GaveUp::Deadline {
                last: 1,
                attempts: 1
            })
        ));
    }
}
