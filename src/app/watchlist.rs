//! The watchlist at run time: a market found by the search is added (stored, streamed and
//! backfilled by the producers, without a restart), an added market is removed again. Markets
//! from the config stay: the config is the user's file, not ours to edit.

use super::event::Request;
use super::state::App;
use crate::domain::{Candle, Symbol, Venue};

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
    /// Quote currency traded in the candles of the last 24 h.
    pub quote_volume: f64,
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
        quote_volume: day.iter().map(|c| c.quote_volume.to_f64()).sum(),
    })
}

/// The watchlist panel's own state (the markets themselves, and which is shown, are the
/// App's: every panel follows them).
#[derive(Clone, Debug, Default)]
pub struct WatchlistState {
    /// The markets among the App's `symbols` added from the dashboard (stored, removable).
    pub added: Vec<Symbol>,
    /// Every market the venues list (sorted), for the search.
    pub instruments: Vec<Symbol>,
    /// The decimals of each listed market's prices and sizes, as its venue lists them.
    pub precision: std::collections::HashMap<Symbol, crate::domain::Precision>,
    pub sort: WatchSort,
}

impl WatchlistState {
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

impl App {
    /// The decimals `symbol`'s prices and sizes are shown with, where its venue listed them.
    pub fn precision(&self, symbol: Symbol) -> crate::domain::Precision {
        (self.watchlist.precision.get(&symbol).copied()).unwrap_or_default()
    }

    pub fn day_stats(&self, symbol: Symbol) -> Option<DayStats> {
        day_stats(self.series.get(&self.watch_key(symbol))?.candles())
    }

    /// The watchlist's rows: indices into `symbols` in the chosen order (markets without
    /// data last, ties in listed order).
    pub fn watch_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.symbols.len()).collect();
        let key = |i: &usize| -> Option<f64> {
            let d = self.day_stats(self.symbols[*i]);
            match self.watchlist.sort {
                WatchSort::Listed | WatchSort::Name => Some(0.0),
                WatchSort::Change => d?.change,
                WatchSort::Range => d.map(|d| d.range()),
                WatchSort::Volume => d.map(|d| d.quote_volume),
            }
        };
        match self.watchlist.sort {
            WatchSort::Listed => {}
            WatchSort::Name => order.sort_by_key(|i| self.symbols[*i].as_str().to_string()),
            _ => order.sort_by(|a, b| match (key(a), key(b)) {
                (Some(x), Some(y)) => y.total_cmp(&x),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }),
        }
        order
    }

    /// Moves the selection `d` rows down the watchlist as it is ordered.
    pub fn step_symbol(&mut self, d: isize) {
        let order = self.watch_order();
        let at = order.iter().position(|i| *i == self.selected).unwrap_or(0) as isize;
        let to = (at + d).clamp(0, order.len() as isize - 1) as usize;
        self.select_symbol(order[to]);
    }

    pub fn cycle_watch_sort(&mut self) {
        self.watchlist.sort = self.watchlist.sort.next();
        let label = match self.watchlist.sort.label() {
            "" => "as listed",
            l => l,
        };
        self.say(format!("watchlist {label}"));
    }

    /// Shows `symbol`, adding it to the watchlist first when it is not there.
    pub fn show_or_add(&mut self, symbol: Symbol) {
        if let Some(i) = self.symbols.iter().position(|s| *s == symbol) {
            self.select_symbol(i);
            return;
        }
        if self.settings.attached {
            self.say(format!(
                "{} is not collected: add it to the collector's config",
                self.label(symbol)
            ));
            return;
        }
        if symbol.venue() == Venue::Composite {
            self.say("composites are made in the config ([market] composites)");
            return;
        }
        self.symbols.push(symbol);
        self.watchlist.added.push(symbol);
        self.queue(Request::Watch(self.watchlist.added.clone()));
        let label = self.label(symbol);
        self.say(format!("{label} added: streaming and backfilling it"));
        self.select_symbol(self.symbols.len() - 1);
        self.request_head(self.watch_key(symbol), self.watch_limit());
    }

    /// Removes the shown market from the watchlist if it was added here.
    pub fn remove_selected(&mut self) {
        let symbol = self.symbol();
        let label = self.label(symbol);
        let Some(i) = self.watchlist.added.iter().position(|s| *s == symbol) else {
            self.say(format!("{label} is in the config file: remove it there"));
            return;
        };
        if self.symbols.len() == 1 {
            self.say("the watchlist keeps at least one market");
            return;
        }
        self.watchlist.added.remove(i);
        self.queue(Request::Watch(self.watchlist.added.clone()));
        if let Some(at) = self.symbols.iter().position(|s| *s == symbol) {
            self.symbols.remove(at);
            // Show the market that took its place (or the new last one); `select_symbol`
            // skips the index already selected, so forget the old one first.
            self.selected = usize::MAX;
            let next = at.min(self.symbols.len().saturating_sub(1));
            self.select_symbol(next);
        }
        self.say(format!("{label} removed from the watchlist"));
    }
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
            quote_volume: Quote::from_int(10),
            ..Candle::flat(h * 3_600_000, Price::from_int(p))
        };
        let s: Vec<_> = (0..30).map(|h| c(h, 100 + h)).collect();
        let d = day_stats(&s).unwrap();
        assert_eq!(d.close, 129.0);
        // 24 h before hour 29 is hour 5, close 105; the day is hours 6 to 29.
        assert!((d.change.unwrap() - (129.0 / 105.0 - 1.0) * 100.0).abs() < 1e-9);
        assert_eq!((d.high, d.low, d.quote_volume), (131.0, 105.0, 240.0));
        assert!((d.range() - (131.0 / 105.0 - 1.0) * 100.0).abs() < 1e-9);
        assert_eq!(day_stats(&s[..10]).unwrap().change, None);
        assert_eq!(day_stats(&[]), None);
    }
}
