//! The watchlist: its order (the panel's own state and keys), the markets added from the
//! dashboard and the venues' listings (the model's: the search and the book follow them),
//! each market's day and each composite's members. A market found by the search is added
//! (stored, streamed and backfilled by the producers, without a restart), an added market is
//! removed again; markets from the config stay: the config is the user's file, not ours to
//! edit.

use super::component::{Component, Effect, Outcome};
use super::keymap::Action;
use super::model::Model;
use crate::domain::{Candle, Millis, Symbol};

const DAY_MS: i64 = 86_400_000;

/// A market's last 24 hours, from its watchlist series (hourly candles where collected).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DayStats {
    pub close: f64,
    /// Percent change from the close 24 h before the newest candle (None when the series
    /// does not reach back that far).
    pub change: Option<f64>,
    pub high: f64,
    pub low: f64,
    /// Quote currency traded in the candles of the last 24 h; `None` when some of them do
    /// not say (a venue's klines without quote volume): a partial sum would understate it.
    pub quote_volume: Option<f64>,
}

impl DayStats {
    /// The day's range as a percent of its low: how much the market moved.
    pub fn range(&self) -> f64 {
        if self.low > 0.0 {
            (self.high / self.low - 1.0) * 100.0
        } else {
            0.0
        }
    }
}

pub fn day_stats(candles: &[Candle]) -> Option<DayStats> {
    let last = candles.last()?;
    let close = last.close.to_f64();
    let i = candles.partition_point(|c| c.open_time <= last.open_time - DAY_MS);
    let change = i
        .checked_sub(1)
        .map(|j| candles[j].close.to_f64())
        .filter(|base| *base != 0.0)
        .map(|base| (close / base - 1.0) * 100.0);
    let day = &candles[i..];
    Some(DayStats {
        close,
        change,
        high: day.iter().map(|c| c.high.to_f64()).fold(f64::MIN, f64::max),
        low: day.iter().map(|c| c.low.to_f64()).fold(f64::MAX, f64::min),
        quote_volume: day.iter().map(|c| c.quote_volume.map(|q| q.to_f64())).sum(),
    })
}

/// The markets the venues list and those added here (the markets watched, and which is
/// shown, are the model's: every panel follows them).
#[derive(Clone, Debug, Default)]
pub struct Listings {
    /// The markets among the App's `symbols` added from the dashboard (stored, removable).
    pub added: Vec<Symbol>,
    /// Every market the venues list (sorted), for the search.
    pub instruments: Vec<Symbol>,
    /// The decimals of each listed market's prices and sizes, as its venue lists them.
    pub precision: std::collections::HashMap<Symbol, crate::domain::Precision>,
}

impl Listings {
    /// The venues' lists arrived (from the store's cache or fetched anew).
    pub fn set_listings(&mut self, list: Vec<crate::domain::Listing>) {
        self.instruments = list.iter().map(|l| l.symbol).collect();
        self.precision = list
            .into_iter()
            .filter(|l| l.precision != crate::domain::Precision::default())
            .map(|l| (l.symbol, l.precision))
            .collect();
    }
}

/// How the watchlist is ordered (the `sort_watchlist` key cycles through them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WatchSort {
    /// As configured, then as added.
    #[default]
    Listed,
    /// 24 h change, biggest gain first.
    Change,
    /// 24 h range (high over low), widest first.
    Range,
    /// 24 h quote volume, largest first.
    Volume,
    Name,
}

impl WatchSort {
    pub fn next(self) -> WatchSort {
        match self {
            WatchSort::Listed => WatchSort::Change,
            WatchSort::Change => WatchSort::Range,
            WatchSort::Range => WatchSort::Volume,
            WatchSort::Volume => WatchSort::Name,
            WatchSort::Name => WatchSort::Listed,
        }
    }

    /// How the panel title says it ("" when listed).
    pub fn label(self) -> &'static str {
        match self {
            WatchSort::Listed => "",
            WatchSort::Change => "by 24h change",
            WatchSort::Range => "by 24h range",
            WatchSort::Volume => "by 24h volume",
            WatchSort::Name => "by name",
        }
    }
}

/// The watchlist panel: its order. Up and Down step through the markets in that order from
/// any panel (the shown market is what every panel follows).
#[derive(Clone, Debug, Default)]
pub struct WatchlistPanel {
    pub sort: WatchSort,
}

impl Component for WatchlistPanel {
    fn on_action(&mut self, a: Action, m: &Model) -> Outcome {
        match a {
            Action::Up | Action::Down => {
                let order = m.watch_order(self.sort);
                let at = order.iter().position(|i| *i == m.selected).unwrap_or(0) as isize;
                let d = if a == Action::Up { -1 } else { 1 };
                let to = (at + d).clamp(0, order.len() as isize - 1) as usize;
                Outcome::Then(Effect::Select(order[to]))
            }
            Action::SortWatchlist => {
                self.sort = self.sort.next();
                let label = match self.sort.label() {
                    "" => "as listed",
                    l => l,
                };
                Outcome::Then(Effect::Say(format!("watchlist {label}")))
            }
            Action::RemoveSymbol => Outcome::Then(Effect::RemoveShown),
            _ => Outcome::Ignored,
        }
    }
}

/// One member of a composite, as of now.
#[derive(Clone, Debug, PartialEq)]
pub struct MemberView {
    pub symbol: Symbol,
    pub last: Option<f64>,
    /// Since its last live update (or its newest candle's end).
    pub age_ms: Option<Millis>,
    /// Older than `freshness.trades` allows: shown as stale, left out of the spread.
    pub stale: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CompositeView {
    pub symbol: Symbol,
    pub members: Vec<MemberView>,
    /// The widest gap between live members' last prices, in basis points of the lowest.
    pub spread_bps: Option<f64>,
}

/// `(max - min) / min` in basis points; None below two positive prices.
pub fn spread_bps(prices: &[f64]) -> Option<f64> {
    let prices: Vec<f64> = prices.iter().copied().filter(|p| *p > 0.0).collect();
    if prices.len() < 2 {
        return None;
    }
    let lo = prices.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = prices.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some((hi - lo) / lo * 10_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Price, Quote};

    #[test]
    fn a_day_of_hourly_candles() {
        let c = |h: i64, p: i64| Candle {
            high: Price::from_int(p + 2),
            low: Price::from_int(p - 1),
            quote_volume: Some(Quote::from_int(10)),
            ..Candle::flat(h * 3_600_000, Price::from_int(p))
        };
        let s: Vec<_> = (0..30).map(|h| c(h, 100 + h)).collect();
        let d = day_stats(&s).unwrap();
        assert_eq!(d.close, 129.0);
        // 24 h before hour 29 is hour 5, close 105; the day is hours 6 to 29.
        assert!((d.change.unwrap() - (129.0 / 105.0 - 1.0) * 100.0).abs() < 1e-9);
        assert_eq!((d.high, d.low, d.quote_volume), (131.0, 105.0, Some(240.0)));
        let mut partial = s.clone();
        partial[20].quote_volume = None;
        assert_eq!(
            day_stats(&partial).unwrap().quote_volume,
            None,
            "one hour without a quote volume: the day's is unknown, not understated"
        );
        assert!((d.range() - (131.0 / 105.0 - 1.0) * 100.0).abs() < 1e-9);
        assert_eq!(day_stats(&s[..10]).unwrap().change, None);
        assert_eq!(day_stats(&[]), None);
    }
}
