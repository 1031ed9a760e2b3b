use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// When to stop calling a failing peer, and for how long.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BreakerPolicy {
    /// Consecutive failures that open the breaker.
    pub failure_threshold: u32,
    /// How long it stays open before one probe is let through (half-open).
    pub open_secs: u64,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        BreakerPolicy {
            failure_threshold: 5,
            open_secs: 30,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

impl BreakerState {
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }
}

/// A snapshot for health panels, metrics and reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BreakerStatus {
    pub state: BreakerState,
    pub consecutive_failures: u32,
    pub times_opened: u64,
    /// Seconds until a probe is allowed, while open.
    pub retry_in_secs: Option<u64>,
}

/// Closed -> (threshold failures) -> Open -> (open_secs) -> HalfOpen -> one probe:
/// success closes, failure opens again. Time is passed in so tests need no sleeping.
#[derive(Clone, Debug)]
pub struct CircuitBreaker {
    policy: BreakerPolicy,
    failures: u32,
    opened_until: Option<Instant>,
    probing: bool,
    times_opened: u64,
}

impl CircuitBreaker {
    pub fn new(policy: BreakerPolicy) -> Self {
        CircuitBreaker {
            policy,
            failures: 0,
            opened_until: None,
            probing: false,
            times_opened: 0,
        }
    }

    pub fn state(&self, now: Instant) -> BreakerState {
        match self.opened_until {
            None => BreakerState::Closed,
            Some(until) if now < until => BreakerState::Open,
            Some(_) => BreakerState::HalfOpen,
        }
    }

    /// May a request go out now? In half-open state only one probe at a time is allowed.
    pub fn allow(&mut self, now: Instant) -> bool {
        match self.state(now) {
            BreakerState::Closed => true,
            BreakerState::Open => false,
            BreakerState::HalfOpen if self.probing => false,
            BreakerState::HalfOpen => {
                self.probing = true;
                true
            }
        }
    }

    pub fn on_success(&mut self) {
        self.failures = 0;
        self.opened_until = None;
        self.probing = false;
    }

    pub fn on_failure(&mut self, now: Instant) {
        self.failures = self.failures.saturating_add(1);
        let reopen = self.probing || self.failures >= self.policy.failure_threshold.max(1);
        self.probing = false;
        if reopen {
            self.opened_until = Some(now + Duration::from_secs(self.policy.open_secs));
            self.times_opened += 1;
        }
    }

    /// Keep the breaker open at least until `until` (a server-announced ban, say).
    pub fn hold_open_until(&mut self, until: Instant) {
        if self.opened_until.is_none_or(|u| u < until) {
            if self.opened_until.is_none() {
                self.times_opened += 1;
            }
            self.opened_until = Some(until);
        }
        self.probing = false;
    }

    pub fn status(&self, now: Instant) -> BreakerStatus {
        let state = self.state(now);
        BreakerStatus {
            state,
            consecutive_failures: self.failures,
            times_opened: self.times_opened,
            retry_in_secs: match (state, self.opened_until) {
                (BreakerState::Open, Some(u)) => Some(u.saturating_duration_since(now).as_secs()),
                _ => None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_half_opens_and_closes() {
        let mut b = CircuitBreaker::new(BreakerPolicy {
            failure_threshold: 3,
            open_secs: 10,
        });
        let t0 = Instant::now();
        for _ in 0..2 {
            assert!(b.allow(t0));
            b.on_failure(t0);
        }
        assert_eq!(b.state(t0), BreakerState::Closed);
        b.on_failure(t0);
        assert_eq!(b.state(t0), BreakerState::Open);
        assert!(!b.allow(t0 + Duration::from_secs(9)));
        let later = t0 + Duration::from_secs(10);
        assert_eq!(b.state(later), BreakerState::HalfOpen);
        assert!(b.allow(later));
        assert!(!b.allow(later), "only one probe while half-open");
        b.on_failure(later);
        assert_eq!(b.state(later), BreakerState::Open, "a failed probe reopens");
        let much_later = later + Duration::from_secs(10);
        assert!(b.allow(much_later));
        b.on_success();
        assert_eq!(b.state(much_later), BreakerState::Closed);
        assert_eq!(b.status(much_later).times_opened, 2);
    }

    #[test]
    fn hold_open_until_a_ban_ends() {
        let mut b = CircuitBreaker::new(BreakerPolicy::default());
        let t0 = Instant::now();
        b.hold_open_until(t0 + Duration::from_secs(120));
        assert!(!b.allow(t0 + Duration::from_secs(119)));
        assert_eq!(b.status(t0).retry_in_secs, Some(120));
        assert!(b.allow(t0 + Duration::from_secs(120)));
    }
}
