//! A venue's request-weight budget, as one client sees it.
//!
//! Venues count requests (or weight) per IP in windows; some report the count so far on
//! every answer (Binance's `X-MBX-USED-WEIGHT-1M`). The budget believes such a report (it also
//! counts other programs on the same IP), counts locally otherwise, and asks the caller to
//! pause until the next window whenever the next request would go over our share.
//! Time is passed in (wall-clock milliseconds) so the arithmetic is testable without waiting.

use std::time::Duration;

use crate::domain::Millis;

#[derive(Clone, Debug)]
pub struct WeightBudget {
    limit: u32,
    window_ms: Millis,
    /// Index of the window `used` belongs to.
    window: Millis,
    used: u32,
}

impl WeightBudget {
    /// `share` of `per_window` weight, counted in windows of `window` (a minute; tests shorten
    /// it). The limit never drops below `min_weight`, so at least one request per window is
    /// possible whatever the share.
    pub fn new(share: f64, per_window: u32, window: Duration, min_weight: u32) -> Self {
        let limit = (share.clamp(0.0, 1.0) * per_window as f64).floor() as u32;
        WeightBudget {
            limit: limit.max(min_weight),
            window_ms: (window.as_millis() as Millis).max(1),
            window: Millis::MIN,
            used: 0,
        }
    }

    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// Weight used in the current window, as far as we know.
    pub fn used(&self) -> u32 {
        self.used
    }

    fn roll(&mut self, now: Millis) {
        let w = now.div_euclid(self.window_ms);
        if w != self.window {
            self.window = w;
            self.used = 0;
        }
    }

    /// How long to pause before a request of `weight` may go out at `now`; None: go now.
    /// The pause ends a little after the next window starts, to allow for clock skew between
    /// us and the server.
    pub fn delay_for(&mut self, weight: u32, now: Millis) -> Option<Duration> {
        self.roll(now);
        if self.used.saturating_add(weight) <= self.limit {
            return None;
        }
        let next = (self.window + 1) * self.window_ms;
        let margin = (self.window_ms / 60).max(1);
        Some(Duration::from_millis((next + margin - now) as u64))
    }

    /// A request of `weight` went out at `now`.
    pub fn on_sent(&mut self, weight: u32, now: Millis) {
        self.roll(now);
        self.used = self.used.saturating_add(weight);
    }

    /// The server reported `used` weight in its current window (authoritative).
    pub fn on_reported(&mut self, used: u32, now: Millis) {
        self.roll(now);
        self.used = used;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Millis = 60_000;
    const T0: Millis = 1_704_067_200_000;

    #[test]
    fn share_of_the_minute_budget() {
        let b = WeightBudget::new(0.5, 6_000, Duration::from_secs(60), 2);
        assert_eq!(b.limit(), 3_000);
        let tiny = WeightBudget::new(0.0001, 6_000, Duration::from_secs(60), 2);
        assert_eq!(tiny.limit(), 2, "always room for one request");
    }

    #[test]
    fn counts_locally_and_pauses_until_the_next_window() {
        let mut b = WeightBudget::new(0.001, 6_000, Duration::from_secs(60), 2); // limit 6
        for _ in 0..3 {
            assert_eq!(b.delay_for(2, T0 + 10_000), None);
            b.on_sent(2, T0 + 10_000);
        }
        let wait = b.delay_for(2, T0 + 10_000).expect("over budget");
        // 50 s to the next minute plus a 1 s margin.
        assert_eq!(wait, Duration::from_millis(51_000));
        // In the next window the count starts again.
        assert_eq!(b.delay_for(2, T0 + MIN + 1_000), None);
    }

    #[test]
    fn the_server_header_is_believed() {
        let mut b = WeightBudget::new(0.5, 6_000, Duration::from_secs(60), 2);
        b.on_sent(2, T0);
        b.on_reported(2_999, T0 + 5);
        assert_eq!(b.used(), 2_999);
        assert!(b.delay_for(2, T0 + 10).is_some());
        // Another program's weight can also go down when the server's window rolled first.
        b.on_reported(4, T0 + 20);
        assert_eq!(b.delay_for(2, T0 + 30), None);
    }

    #[test]
    fn short_windows_for_tests() {
        let mut b = WeightBudget::new(0.5, 6_000, Duration::from_secs(1), 2);
        b.on_reported(3_000, T0 + 400);
        assert_eq!(b.delay_for(2, T0 + 400), Some(Duration::from_millis(616)));
    }
}
