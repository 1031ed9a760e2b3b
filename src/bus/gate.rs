//! How often an open candle goes on the bus. Ingestion reports every series whose candle
//! changed ten times a second; a collector of 1,000 markets in five timeframes would publish
//! tens of thousands of candle messages a second, most of them overtaken a moment later
//! (`bench --bus`'s `market_scale_bus` measured the collector's CPU more than doubled). An
//! open candle therefore goes out at most once per [`OPEN_EVERY`] per series, its newest
//! state; a closed one (final) goes out at once. Trades still go out each as it comes.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::domain::{Candle, SeriesKey};

/// An open candle's state goes out at most this often per series.
pub const OPEN_EVERY: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct CandleGate {
    /// Per series: when its candle last went out, and its newest state not sent yet.
    series: HashMap<SeriesKey, (Instant, Option<Candle>)>,
}

impl CandleGate {
    /// A changed candle at `now`: returned when it goes out now, else kept for [`Self::due`].
    pub fn offer(&mut self, key: SeriesKey, c: &Candle, now: Instant) -> Option<Candle> {
        match self.series.get_mut(&key) {
            Some((sent, pending)) => {
                if c.closed || now.duration_since(*sent) >= OPEN_EVERY {
                    *sent = now;
                    // A close replaces the open state it ends; a newer open one went out.
                    if pending.as_ref().is_some_and(|p| p.open_time <= c.open_time) {
                        *pending = None;
                    }
                    Some(*c)
                } else {
                    *pending = Some(*c);
                    None
                }
            }
            None => {
                self.series.insert(key, (now, None));
                Some(*c)
            }
        }
    }

    /// The kept states whose turn came at `now`.
    pub fn due(&mut self, now: Instant) -> Vec<(SeriesKey, Candle)> {
        let mut out = Vec::new();
        for (key, (sent, pending)) in &mut self.series {
            if now.duration_since(*sent) >= OPEN_EVERY
                && let Some(c) = pending.take()
            {
                *sent = now;
                out.push((*key, c));
            }
        }
        out
    }

    /// Everything kept, now (the collector is stopping).
    pub fn drain(&mut self) -> Vec<(SeriesKey, Candle)> {
        self.series
            .iter_mut()
            .filter_map(|(k, (_, p))| p.take().map(|c| (*k, c)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Price, Qty, Symbol, Timeframe};

    fn candle(open_time: i64, close: i64, closed: bool) -> Candle {
        let p = Price::from_int(close);
        Candle {
            open_time,
            open: p,
            high: p,
            low: p,
            close: p,
            volume: Qty::from_int(1),
            quote_volume: None,
            trades: Some(1),
            closed,
            first_trade_id: None,
            last_trade_id: None,
        }
    }

    #[test]
    fn an_open_candle_goes_out_once_a_second_at_its_newest_and_a_close_at_once() {
        let key = SeriesKey {
            symbol: Symbol::new("BTCUSDT").unwrap(),
            timeframe: Timeframe::M1,
        };
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut g = CandleGate::default();
        assert_eq!(
            g.offer(key, &candle(0, 100, false), t0),
            Some(candle(0, 100, false))
        );
        assert_eq!(g.offer(key, &candle(0, 101, false), ms(100)), None);
        assert_eq!(g.offer(key, &candle(0, 102, false), ms(200)), None);
        assert!(g.due(ms(999)).is_empty());
        assert_eq!(g.due(ms(1_000)), vec![(key, candle(0, 102, false))]);
        assert!(g.due(ms(2_500)).is_empty(), "nothing new");
        // Its close goes out at once, and the open state it ends is not sent after it.
        assert_eq!(g.offer(key, &candle(0, 103, false), ms(1_100)), None);
        assert_eq!(
            g.offer(key, &candle(0, 104, true), ms(1_200)),
            Some(candle(0, 104, true))
        );
        assert!(g.due(ms(5_000)).is_empty());
        // The next candle's state waits its turn, and a stop sends it.
        assert_eq!(g.offer(key, &candle(60_000, 105, false), ms(1_300)), None);
        assert_eq!(g.drain(), vec![(key, candle(60_000, 105, false))]);
    }
}
