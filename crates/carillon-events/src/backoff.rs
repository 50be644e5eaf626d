//! When a failed delivery is tried again.
//!
//! Exponential backoff with *full jitter*: after the n-th failure (n from 0) the delay is drawn
//! uniformly from `[0, min(max, initial * 2^n)]`. Full jitter rather than decorrelated jitter
//! because it is a function of the attempt count alone, which the store keeps with each
//! delivery; decorrelated jitter draws from the previous delay, which would have to be stored
//! too. Both spread a burst of failures (a receiver down for a while, every stream failing at
//! once) over the whole window instead of retrying in lockstep.

use std::time::Duration;

/// How often and how patiently a delivery is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all (the first included); the last failure makes a dead letter.
    pub max_attempts: u32,
    /// The window of the first retry.
    pub initial: Duration,
    /// The largest window.
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 12,
            initial: Duration::from_secs(1),
            max: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// Whether a delivery that failed `attempts` times before is given up on when it fails now.
    pub fn gives_up(&self, attempts: u32) -> bool {
        attempts.saturating_add(1) >= self.max_attempts
    }

    /// The upper bound of the delay after a delivery failed `attempts` times before this one.
    pub fn window(&self, attempts: u32) -> Duration {
        // 2^31 seconds is beyond any sensible max: saturating there keeps the arithmetic exact.
        let factor = 1u32.checked_shl(attempts.min(31)).unwrap_or(u32::MAX);
        self.initial
            .checked_mul(factor)
            .unwrap_or(self.max)
            .min(self.max)
    }

    /// The delay after a failure, `fraction` (uniform in `[0, 1)`) of the window.
    pub fn delay(&self, attempts: u32, fraction: f64) -> Duration {
        self.window(attempts).mul_f64(fraction.clamp(0.0, 1.0))
    }

    /// The delay with a random fraction.
    pub fn random_delay(&self, attempts: u32) -> Duration {
        self.delay(attempts, rand::random::<f64>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_doubles_up_to_the_max() {
        let p = RetryPolicy::default();
        assert_eq!(p.window(0), Duration::from_secs(1));
        assert_eq!(p.window(1), Duration::from_secs(2));
        assert_eq!(p.window(4), Duration::from_secs(16));
        assert_eq!(p.window(8), Duration::from_secs(256));
        assert_eq!(p.window(9), Duration::from_secs(300));
        assert_eq!(p.window(40), Duration::from_secs(300));
        assert_eq!(p.window(u32::MAX), Duration::from_secs(300));
    }

    #[test]
    fn the_delay_is_a_fraction_of_the_window() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(3, 0.0), Duration::ZERO);
        assert_eq!(p.delay(3, 0.5), Duration::from_secs(4));
        assert_eq!(p.delay(3, 7.0), Duration::from_secs(8));
        for attempts in 0..20 {
            assert!(p.random_delay(attempts) <= p.window(attempts));
        }
    }

    #[test]
    fn the_last_attempt_gives_up() {
        let p = RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        };
        assert!(!p.gives_up(0));
        assert!(!p.gives_up(1));
        assert!(p.gives_up(2));
        assert!(p.gives_up(7));
        let once = RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        };
        assert!(once.gives_up(0));
    }
}
