use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::rng::Rng;

/// Exponential backoff: `initial_ms * multiplier^attempt`, capped at `max_ms`, then spread by
/// +-`jitter` (a fraction) so many clients restarting together don't retry in lockstep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackoffPolicy {
    pub initial_ms: u64,
    pub max_ms: u64,
    pub multiplier: f64,
    pub jitter: f64,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        BackoffPolicy {
            initial_ms: 500,
            max_ms: 30_000,
            multiplier: 2.0,
            jitter: 0.2,
        }
    }
}

impl BackoffPolicy {
    /// Problems with the policy, as (key, message), for the config validator.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if !(1..=60_000).contains(&self.initial_ms) {
            out.push(("initial_ms", "must be between 1 and 60000".to_string()));
        }
        if self.max_ms < self.initial_ms || self.max_ms > 3_600_000 {
            out.push((
                "max_ms",
                "must be >= initial_ms and at most 3600000".to_string(),
            ));
        }
        if !(1.0..=10.0).contains(&self.multiplier) {
            out.push(("multiplier", "must be between 1 and 10".to_string()));
        }
        if !(0.0..=1.0).contains(&self.jitter) {
            out.push(("jitter", "must be between 0 and 1".to_string()));
        }
        out
    }

    /// Delay before retry number `attempt` (0-based) given a uniform sample `u` in [0, 1).
    pub fn delay(&self, attempt: u32, u: f64) -> Duration {
        let base = self.initial_ms as f64 * self.multiplier.powi(attempt.min(64) as i32);
        let capped = base.min(self.max_ms as f64);
        let spread = 1.0 + self.jitter * (2.0 * u - 1.0);
        Duration::from_millis((capped * spread).max(0.0) as u64)
    }
}

/// Backoff state for one client: counts attempts since the last success.
#[derive(Clone, Debug)]
pub struct Backoff {
    policy: BackoffPolicy,
    attempt: u32,
    rng: Rng,
}

impl Backoff {
    pub fn new(policy: BackoffPolicy) -> Self {
        Backoff {
            policy,
            attempt: 0,
            rng: Rng::from_time(),
        }
    }

    /// The delay before the next try; each call counts one more failed attempt.
    pub fn next_delay(&mut self) -> Duration {
        let d = self.policy.delay(self.attempt, self.rng.unit());
        self.attempt = self.attempt.saturating_add(1);
        d
    }

    /// Failed attempts since the last success.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_then_caps_with_bounded_jitter() {
        let p = BackoffPolicy {
            initial_ms: 100,
            max_ms: 1_000,
            multiplier: 2.0,
            jitter: 0.5,
        };
        assert_eq!(p.delay(0, 0.5), Duration::from_millis(100));
        assert_eq!(p.delay(3, 0.5), Duration::from_millis(800));
        assert_eq!(p.delay(10, 0.5), Duration::from_millis(1_000));
        assert_eq!(p.delay(10, 0.0), Duration::from_millis(500));
        assert!(p.delay(10, 0.999_999) <= Duration::from_millis(1_500));
        assert!(p.problems().is_empty());
    }

    #[test]
    fn counts_attempts_and_resets() {
        let mut b = Backoff::new(BackoffPolicy::default());
        b.next_delay();
        b.next_delay();
        assert_eq!(b.attempt(), 2);
        b.reset();
        assert_eq!(b.attempt(), 0);
    }
}
