//! What the App knows of where its data comes from: each venue's stream and since when, the
//! last market update, and (attached to a store others write) the collectors' newest write.

use std::collections::BTreeMap;

use crate::domain::{CollectorHealth, Millis, Venue};
use crate::source::StreamStatus;

#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// Each venue's stream state and since when.
    pub streams: BTreeMap<Venue, (StreamStatus, Millis)>,
    /// Attached: when a collector last wrote a live candle (its only sign of life here).
    pub collector_write: Option<Millis>,
    /// When the last market update (any series) arrived.
    pub last_market_at: Option<Millis>,
    /// Attached with a bus: `Some(true)` while it is reachable.
    pub bus: Option<bool>,
    /// Attached with a bus: each collector's latest health, by name.
    pub collectors: BTreeMap<String, Collector>,
}

/// A collector heard on the bus.
#[derive(Clone, Debug, PartialEq)]
pub struct Collector {
    pub health: CollectorHealth,
    /// When its health last arrived here.
    pub heard_at: Millis,
    /// Trades a second between its last two health messages.
    pub trades_per_sec: Option<f64>,
}

/// Collectors kept at most (anyone may publish health on the bus): the longest silent go.
pub const MAX_COLLECTORS: usize = 32;

impl Sources {
    /// A collector's health, heard at `now`; true when its gap repair wrote candles since it
    /// was last heard (first heard, any at all: it may have repaired since this dashboard
    /// loaded), so what was loaded from the store may have changed anywhere.
    pub fn collector_health(&mut self, h: CollectorHealth, now: Millis) -> bool {
        let before = self
            .collectors
            .get(&h.name)
            .map_or(0, |c| c.health.repaired);
        let repaired = h.repaired > before;
        let rate = self.collectors.get(&h.name).and_then(|c| {
            let secs = (h.time - c.health.time) as f64 / 1000.0;
            (secs > 0.0 && h.trades >= c.health.trades)
                .then(|| (h.trades - c.health.trades) as f64 / secs)
        });
        if !self.collectors.contains_key(&h.name) && self.collectors.len() >= MAX_COLLECTORS {
            let oldest = self
                .collectors
                .iter()
                .min_by_key(|(_, c)| c.heard_at)
                .map(|(n, _)| n.clone());
            if let Some(n) = oldest {
                self.collectors.remove(&n);
            }
        }
        self.collectors.insert(
            h.name.clone(),
            Collector {
                health: h,
                heard_at: now,
                trades_per_sec: rate,
            },
        );
        repaired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn health(name: &str, time: Millis, trades: u64) -> CollectorHealth {
        health_repaired(name, time, trades, 0)
    }

    fn health_repaired(name: &str, time: Millis, trades: u64, repaired: u64) -> CollectorHealth {
        CollectorHealth {
            name: name.into(),
            time,
            trades,
            malformed: 0,
            rejected: 0,
            published: 0,
            dropped: 0,
            repaired,
        }
    }

    #[test]
    fn a_collectors_rate_comes_from_its_last_two_messages_and_the_list_is_bounded() {
        let mut s = Sources::default();
        s.collector_health(health("a", 10_000, 100), 1);
        assert_eq!(s.collectors["a"].trades_per_sec, None);
        s.collector_health(health("a", 15_000, 350), 2);
        assert_eq!(s.collectors["a"].trades_per_sec, Some(50.0));
        // A restarted collector counts from zero: no rate rather than a negative one.
        s.collector_health(health("a", 20_000, 10), 3);
        assert_eq!(s.collectors["a"].trades_per_sec, None);
        for i in 0..MAX_COLLECTORS {
            s.collector_health(health(&format!("x{i}"), 1, 0), 10 + i as Millis);
        }
        assert_eq!(s.collectors.len(), MAX_COLLECTORS);
        assert!(!s.collectors.contains_key("a"), "the longest silent went");
    }

    #[test]
    fn a_collectors_repair_is_news_when_its_count_grows() {
        let mut s = Sources::default();
        assert!(!s.collector_health(health_repaired("b", 1, 0, 0), 1));
        assert!(s.collector_health(health_repaired("b", 2, 0, 5), 2));
        assert!(!s.collector_health(health_repaired("b", 3, 0, 5), 3));
        // First heard having repaired already: it may be since this dashboard loaded.
        assert!(s.collector_health(health_repaired("c", 1, 0, 9), 4));
    }
}
