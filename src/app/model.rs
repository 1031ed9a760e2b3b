//! What every panel follows: the settings, the watched markets and the shown one, the candles
//! in memory, the venues' listings, where the data comes from, the alerts, the clock and the
//! screen. Panels read it (it is their read-only context); only the App changes it.

use std::collections::HashMap;

use super::alerts::AlertsState;
use super::event::CacheStats;
use super::freshness::{Mode, level};
use super::news::base_asset;
use super::series::Series;
use super::settings::AppSettings;
use super::sources::Sources;
use super::theme::Level;
use super::view::Viewport;
use super::watchlist::{CompositeView, DayStats, Listings, MemberView, WatchSort, spread_bps};
use crate::config::Composite;
use crate::domain::{Candle, Millis, Price, SeriesKey, Symbol, Timeframe, Venue};
use crate::indicators::{Bollinger, IndicatorSet, Macd};
use crate::source::StreamStatus;

/// Candles computed before the window so indicators are settled at its left edge.
pub const WARMUP: usize = 200;

/// The most candles computed before the window, however long a chosen period: three periods
/// settle an EMA to well under a pixel, and more would slow every frame.
pub const MAX_WARMUP: usize = 2_000;

pub struct Model {
    /// What the dashboard was started with: keys, theme, timeframes, freshness, composites,
    /// the config's rules, where it reads from (`symbols` and `added` are taken into the
    /// model's own state at the start).
    pub settings: AppSettings,
    /// The watchlist's markets, in listed order.
    pub symbols: Vec<Symbol>,
    /// Index into `symbols`: the market shown.
    pub selected: usize,
    pub timeframe: Timeframe,
    pub series: HashMap<SeriesKey, Series>,
    /// Markets added here, the venues' lists and their decimals.
    pub listings: Listings,
    /// Each venue's stream, the last market update, the collectors' newest write.
    pub sources: Sources,
    /// Rules made here, firings seen, the bell owed.
    pub alerts: AlertsState,
    /// The perps' latest derivatives state and the newest liquidations.
    pub derivs: super::derivs::Derivs,
    /// The user's portfolio as last valued.
    pub holdings: super::holdings::Holdings,
    pub now: Millis,
    /// The terminal's size as last told (0x0 before the first frame).
    pub screen: (u16, u16),
    /// Series views served from candles already in memory vs. pages asked of the store.
    pub cache: (u64, u64),
}

impl Model {
    /// The settings' markets and timeframes, deduplicated and never empty, the shown ones
    /// chosen.
    pub fn new(mut s: AppSettings, now: Millis) -> Model {
        let mut symbols = std::mem::take(&mut s.symbols);
        symbols.dedup();
        if symbols.is_empty() {
            symbols.extend(Symbol::new("BTCUSDT").ok());
        }
        let mut timeframes = std::mem::take(&mut s.timeframes);
        timeframes.sort();
        timeframes.dedup();
        if timeframes.is_empty() {
            timeframes.push(Timeframe::M1);
        }
        let selected = s
            .symbol
            .and_then(|x| symbols.iter().position(|y| *y == x))
            .unwrap_or(0);
        let timeframe = s
            .timeframe
            .filter(|t| timeframes.contains(t))
            .unwrap_or(timeframes[0]);
        s.timeframes = timeframes;
        let added = std::mem::take(&mut s.added);
        Model {
            symbols,
            settings: s,
            selected,
            timeframe,
            series: HashMap::new(),
            listings: Listings {
                added,
                ..Default::default()
            },
            sources: Sources::default(),
            alerts: AlertsState::default(),
            derivs: super::derivs::Derivs::default(),
            holdings: Default::default(),
            now,
            screen: (0, 0),
            cache: (0, 0),
        }
    }

    // ----- the shown market -----

    pub fn symbol(&self) -> Symbol {
        self.symbols[self.selected.min(self.symbols.len() - 1)]
    }

    pub fn key(&self) -> SeriesKey {
        SeriesKey {
            symbol: self.symbol(),
            timeframe: self.timeframe,
        }
    }

    /// The coin news is filtered by (BTC for BTCUSDT).
    pub fn coin(&self) -> &str {
        base_asset(&self.symbols[self.selected.min(self.symbols.len() - 1)])
    }

    pub fn current(&self) -> Option<&Series> {
        self.series.get(&self.key())
    }

    pub fn candles(&self) -> &[Candle] {
        self.current().map(Series::candles).unwrap_or(&[])
    }

    /// The last price of the shown market, if known.
    pub fn last_price(&self) -> Option<Price> {
        self.series
            .get(&self.watch_key(self.symbol()))
            .or_else(|| self.current())
            .and_then(|s| s.candles().last())
            .map(|c| c.close)
    }

    // ----- markets -----

    /// The venues whose streams feed `symbol`: its own, or a composite's members'.
    pub fn venues_of(&self, symbol: Symbol) -> Vec<Venue> {
        match self.composite(symbol) {
            Some(c) => c.members.iter().map(|m| m.venue()).collect(),
            None => vec![symbol.venue()],
        }
    }

    /// The markets whose trades make up `symbol`'s tape: itself, or a composite's members.
    pub fn members(&self, symbol: Symbol) -> Vec<Symbol> {
        match self.composite(symbol) {
            Some(c) => c.members.clone(),
            None => vec![symbol],
        }
    }

    fn composite(&self, symbol: Symbol) -> Option<&Composite> {
        self.settings.composites.iter().find(|c| c.symbol == symbol)
    }

    /// How the UI names a market: just `BTCUSDT` while every market is on one venue,
    /// `kraken:BTC/USD` once several venues share the screen.
    pub fn label(&self, symbol: Symbol) -> String {
        if self.single_venue() {
            symbol.as_str().to_string()
        } else {
            symbol.to_string()
        }
    }

    pub fn single_venue(&self) -> bool {
        self.symbols
            .iter()
            .all(|s| s.venue() == self.symbols[0].venue())
    }

    /// The decimals `symbol`'s prices and sizes are shown with, where its venue listed them.
    pub fn precision(&self, symbol: Symbol) -> crate::domain::Precision {
        (self.listings.precision.get(&symbol).copied()).unwrap_or_default()
    }

    /// The watched markets of the shown market's coin (BTCUSDT, coinbase:BTC-USD, a BTC
    /// composite...), in watchlist order.
    pub fn overlay_symbols(&self) -> Vec<Symbol> {
        let shown = self.symbol();
        let coin = base_asset(&shown);
        self.symbols
            .iter()
            .copied()
            .filter(|s| base_asset(s) == coin)
            .collect()
    }

    /// Why live-only panels (book, tape) have nothing, if they cannot have anything. An
    /// attached dashboard has them over the bus while it is reachable (the trades as the
    /// collectors publish them, the book while it asks for it), and nothing live without one.
    pub fn live_unavailable(&self) -> Option<String> {
        if self.settings.attached && self.sources.bus != Some(true) {
            return Some("live only: a dashboard attached to a collector streams nothing".into());
        }
        self.not_streamed()
    }

    fn not_streamed(&self) -> Option<String> {
        if self.settings.history_only.symbols.contains(&self.symbol()) {
            return Some(format!("{} is not streamed", self.label(self.symbol())));
        }
        None
    }

    // ----- the watchlist's series -----

    /// The spot market or composite a perp's basis is taken against (`[market] basis`).
    pub fn basis_reference(&self, perp: Symbol) -> Option<Symbol> {
        let basis = &self.settings.basis;
        basis
            .iter()
            .find(|(p, _)| *p == perp)
            .map(|(_, spot)| *spot)
    }

    /// The series behind a watchlist row: hourly candles when collected, so 24 h of change
    /// and a day-long sparkline come from few candles.
    pub fn watch_key(&self, symbol: Symbol) -> SeriesKey {
        let timeframe = [Timeframe::H1, Timeframe::M15, Timeframe::M5, Timeframe::M1]
            .into_iter()
            .find(|t| self.settings.timeframes.contains(t))
            .unwrap_or(self.settings.timeframes[0]);
        SeriesKey { symbol, timeframe }
    }

    /// Candles a watchlist row asks for: a day of them and a margin.
    pub fn watch_limit(&self) -> usize {
        let tf = self.watch_key(self.symbol()).timeframe;
        (86_400_000 / tf.millis()) as usize + 64
    }

    /// Rows of the watchlist panel: the markets, the shown market's day, the composites.
    pub fn watch_rows(&self) -> usize {
        self.symbols.len()
            + 1
            + self
                .settings
                .composites
                .iter()
                .map(|c| 1 + c.members.len())
                .sum::<usize>()
    }

    pub fn day_stats(&self, symbol: Symbol) -> Option<DayStats> {
        super::watchlist::day_stats(self.series.get(&self.watch_key(symbol))?.candles())
    }

    /// The watchlist's rows in `sort` order: indices into `symbols` (markets without data
    /// last, ties in listed order).
    pub fn watch_order(&self, sort: WatchSort) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.symbols.len()).collect();
        let key = |i: &usize| -> Option<f64> {
            let d = self.day_stats(self.symbols[*i]);
            match sort {
                WatchSort::Listed | WatchSort::Name => Some(0.0),
                WatchSort::Change => d?.change,
                WatchSort::Range => d.map(|d| d.range()),
                WatchSort::Volume => d?.quote_volume,
            }
        };
        match sort {
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

    /// A composite's members as the watchlist shows them: last price, age of the last live
    /// update, stale or not, and the spread between the live members' prices.
    pub fn composite_view(&self, c: &Composite) -> CompositeView {
        let members: Vec<MemberView> = c
            .members
            .iter()
            .map(|&symbol| {
                let series = self.series.get(&self.watch_key(symbol));
                let last = series.and_then(|s| s.candles().last());
                let updated = series
                    .and_then(|s| s.live_at)
                    .or(last.map(|c| c.close_time(self.watch_key(symbol).timeframe) + 1));
                let age_ms = updated.map(|t| (self.now - t).max(0));
                MemberView {
                    symbol,
                    last: last.map(|c| c.close.to_f64()),
                    age_ms,
                    stale: age_ms
                        .is_none_or(|a| level(a, self.settings.freshness.trades) != Level::Good),
                }
            })
            .collect();
        let live: Vec<f64> = members
            .iter()
            .filter(|m| !m.stale)
            .filter_map(|m| m.last)
            .collect();
        CompositeView {
            symbol: c.symbol,
            spread_bps: spread_bps(&live),
            members,
        }
    }

    // ----- candles and indicators -----

    /// Visible candles of `key` for a plot `cols` wide in `view`, and indicators aligned with
    /// them (computed over up to [`WARMUP`] earlier candles so they are settled at the left
    /// edge).
    pub fn visible_for(
        &self,
        key: SeriesKey,
        view: &Viewport,
        cols: u16,
    ) -> (&[Candle], IndicatorSet) {
        let (candles, warmup) = self.warmed_window(key, view, cols);
        let closes: Vec<f64> = candles.iter().map(|c| c.close.to_f64()).collect();
        let set = crate::indicators::compute(&closes, &self.settings.indicators);
        (&candles[warmup..], tail(set, warmup))
    }

    /// The visible candles of `key` with up to [`Self::warmup`] before them, and how many those
    /// are: indicators are computed over all of it and shown for the visible part.
    fn warmed_window(&self, key: SeriesKey, view: &Viewport, cols: u16) -> (&[Candle], usize) {
        let all = self.series.get(&key).map(Series::candles).unwrap_or(&[]);
        let w = view.window(all, cols);
        let from = w.start.saturating_sub(self.warmup());
        (&all[from..w.end], w.start - from)
    }

    /// Candles computed before a window: [`WARMUP`], or three of the longest chosen period, at
    /// most [`MAX_WARMUP`].
    pub fn warmup(&self) -> usize {
        let longest = self.settings.chosen.iter().map(|s| s.longest_period());
        (longest.max().unwrap_or(0) * 3).clamp(WARMUP, MAX_WARMUP)
    }

    /// The visible candles of `key` and the chosen indicators (overlays, then panes) over them,
    /// warmed up on the candles before.
    pub fn studies_for(
        &self,
        key: SeriesKey,
        view: &Viewport,
        cols: u16,
    ) -> (&[Candle], Vec<crate::indicators::Study>) {
        let (candles, warmup) = self.warmed_window(key, view, cols);
        let studies = crate::indicators::studies_after(&self.settings.chosen, candles, warmup);
        (&candles[warmup..], studies)
    }

    /// The visible candles of `key` alone.
    pub fn visible_candles(&self, key: SeriesKey, view: &Viewport, cols: u16) -> &[Candle] {
        let all = self.series.get(&key).map(Series::candles).unwrap_or(&[]);
        &all[view.window(all, cols)]
    }

    /// The chosen indicators by name (SPEC §8) over the same window as [`Self::visible_for`],
    /// warmed up on the same candles before it.
    pub fn visible_named(
        &self,
        key: SeriesKey,
        view: &Viewport,
        cols: u16,
    ) -> serde_json::Map<String, serde_json::Value> {
        let (candles, warmup) = self.warmed_window(key, view, cols);
        crate::indicators::named_after(&self.settings.chosen, candles, warmup)
    }

    /// The in-memory candle windows as a cache: hits, store reads, candles held, freshness.
    pub fn chart_cache(&self) -> CacheStats {
        let newest = self.series.values().filter_map(|s| s.live_at).max();
        CacheStats {
            name: "chart".into(),
            hits: self.cache.0,
            misses: self.cache.1,
            entries: self.series.values().map(|s| s.candles().len() as u64).sum(),
            age_ms: newest.map(|t| (self.now - t).max(0)),
        }
    }

    // ----- rules -----

    /// Every rule on screen: the config's (fixed) then those made here.
    pub fn all_rules(&self) -> Vec<(&crate::alerts::Rule, Option<bool>)> {
        self.settings
            .alert_rules
            .iter()
            .map(|r| (r, None))
            .chain(self.alerts.user_rules.iter().map(|(r, on)| (r, Some(*on))))
            .collect()
    }

    /// The rules that run: the config's and the enabled ones made here (as a collector
    /// evaluates them; a report lists these).
    pub fn active_rules(&self) -> Vec<crate::alerts::Rule> {
        let mine = self.alerts.user_rules.iter().filter(|(_, on)| *on);
        let mine = mine.filter(|(r, _)| self.settings.alert_rules.iter().all(|c| c.name != r.name));
        (self.settings.alert_rules.iter())
            .chain(mine.map(|(r, _)| r))
            .cloned()
            .collect()
    }

    // ----- freshness -----

    /// What the status bar says about the data on screen.
    pub fn mode(&self) -> Mode {
        let key = self.key();
        if self.settings.history_only.covers(key.symbol, key.timeframe) {
            let newest = self
                .current()
                .and_then(|s| s.last())
                .map(|c| c.close_time(key.timeframe) + 1);
            return Mode::HistoryOnly {
                age_ms: newest.map(|t| (self.now - t).max(0)),
            };
        }
        // Attached, the collector's streams are not seen: the store's newest live write is
        // the one age everything shows.
        if self.settings.attached {
            return match self.attached_age() {
                None => Mode::Offline,
                Some((age_ms, lvl)) if lvl != Level::Good => Mode::Stale { age_ms },
                Some(_) => Mode::Live,
            };
        }
        // A composite is live while any member's venue is.
        let venues = self.venues_of(key.symbol);
        let connected = venues.iter().any(|v| match self.sources.streams.get(v) {
            Some((StreamStatus::Connected, _)) => true,
            None => self.settings.demo,
            Some(_) => false,
        });
        if !connected {
            return Mode::Offline;
        }
        // The shown series' own last live update when it has had one: another symbol trading
        // says nothing about this one.
        let since = self
            .current()
            .and_then(|s| s.live_at)
            .or(self.sources.last_market_at)
            .or(venues
                .iter()
                .filter_map(|v| self.sources.streams.get(v).map(|(_, t)| *t))
                .max());
        if let Some(t) = since {
            let age_ms = self.now - t;
            if age_ms > self.settings.freshness.trades.warning as i64 * 1000 {
                return Mode::Stale { age_ms };
            }
        }
        if self.settings.demo {
            Mode::Demo
        } else {
            Mode::Live
        }
    }

    /// How old something that arrived at `t` is, and how worrying by `f`.
    pub fn age(&self, t: Millis, f: crate::config::Freshness) -> (i64, Level) {
        let age = (self.now - t).max(0);
        (age, level(age, f))
    }

    /// Attached to a store others write: the age of the collector's newest live write, rated
    /// like trades (a live collector writes every flush).
    pub fn attached_age(&self) -> Option<(i64, Level)> {
        let t = self
            .sources
            .collector_write
            .filter(|_| self.settings.attached)?;
        Some(self.age(t, self.settings.freshness.trades))
    }

    /// The age of a chart's data and how worrying it is: time since the last live update,
    /// else since the newest stored candle closed.
    pub fn chart_age_for(&self, key: SeriesKey) -> Option<(i64, Level)> {
        if let Some(age) = self.attached_age() {
            return Some(age);
        }
        let s = self.series.get(&key)?;
        let t = s
            .live_at
            .or_else(|| s.last().map(|c| c.close_time(key.timeframe) + 1))?;
        Some(self.age(t, self.settings.freshness.candles))
    }
}

/// The indicators from index `from` on (after computing over a warm-up prefix).
fn tail(set: IndicatorSet, from: usize) -> IndicatorSet {
    let t = |v: Vec<Option<f64>>| v.get(from..).map(<[_]>::to_vec).unwrap_or_default();
    IndicatorSet {
        params: set.params,
        rsi: t(set.rsi),
        momentum: t(set.momentum),
        macd: Macd {
            macd: t(set.macd.macd),
            signal: t(set.macd.signal),
            hist: t(set.macd.hist),
        },
        bollinger: Bollinger {
            upper: t(set.bollinger.upper),
            middle: t(set.bollinger.middle),
            lower: t(set.bollinger.lower),
        },
    }
}
