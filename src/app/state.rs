//! The App: all dashboard state as plain data, one owner. Data events and keys are folded in
//! here; the event loop only moves messages and draws. Time is passed in (`now`) so every
//! behaviour is testable without a clock or a terminal.

use std::collections::HashMap;

use crossterm::event::{KeyCode, KeyEvent, MouseButton, MouseEvent, MouseEventKind};

use super::chart::ChartKey;
use super::event::{CacheStats, DataEvent, Request};
use super::keymap::{Action, Key};
use super::news::{NewsKey, NewsState, base_asset};
use super::series::Series;
use super::settings::AppSettings;
use super::theme::Level;
use super::view::Viewport;
use crate::config::Composite;
use crate::domain::{Candle, Millis, NewsItem, Price, SeriesKey, Symbol, Timeframe, Venue};
use crate::indicators::{Bollinger, IndicatorSet, Macd};
use crate::report::{CandleReport, NewsReport, Report, SeriesReport, rfc3339};
use crate::source::StreamStatus;

/// Candles computed before the window so indicators are settled at its left edge.
pub const WARMUP: usize = 200;
/// Smallest page of history asked for at once.
const MIN_PAGE: usize = 500;
/// Page size while jumping to the oldest candle.
const OLDEST_PAGE: usize = 5_000;
/// How long a status-bar message stays.
const MESSAGE_MS: i64 = 30_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Panel {
    Chart,
    Watchlist,
    Book,
    Trades,
    News,
    Health,
}

impl Panel {
    /// Screen order: the chart, the market column, then the side panels top to bottom.
    const ORDER: [Panel; 6] = [
        Panel::Chart,
        Panel::Book,
        Panel::Trades,
        Panel::Watchlist,
        Panel::News,
        Panel::Health,
    ];

    fn cycle(self, delta: isize) -> Panel {
        let i = Self::ORDER.iter().position(|p| *p == self).unwrap_or(0) as isize;
        Self::ORDER[(i + delta).rem_euclid(Self::ORDER.len() as isize) as usize]
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Popup {
    Help {
        scroll: u16,
    },
    /// The news item with this id.
    News(String),
    Search(Search),
    /// A new price alert on the shown market: the level as typed.
    AlertNew(String),
    /// The alert rules, the selected row.
    Alerts(usize),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Search {
    pub query: String,
    pub selected: usize,
}

/// What an attached dashboard says when asked for a new alert: the collectors writing the store
/// evaluate and deliver alerts, so a rule is added where they read rules (any store: a file or
/// a database).
const ATTACHED_ALERTS: &str = "alerts run on the collector writing this store: add the rule to its config ([[alerts]]); read-only here";

/// What the status bar says about the data on screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Live,
    Demo,
    /// No market connection: stored history only.
    Offline,
    /// Connected, but nothing new for `age_ms`.
    Stale {
        age_ms: i64,
    },
    /// The series on screen is not streamed (a `--symbol` or `--timeframe` outside the
    /// config): stored history only, its newest candle `age_ms` old.
    HistoryOnly {
        age_ms: Option<i64>,
    },
}

impl Mode {
    /// The report's mode: stale data is still from the live source.
    pub fn report_mode(self) -> crate::report::Mode {
        match self {
            Mode::Live | Mode::Stale { .. } => crate::report::Mode::Live,
            Mode::Demo => crate::report::Mode::Demo,
            Mode::Offline | Mode::HistoryOnly { .. } => crate::report::Mode::Offline,
        }
    }
}

/// Updates held back while frozen, folded in on resume.
#[derive(Clone, Debug, Default)]
struct Pending {
    candles: HashMap<(SeriesKey, Millis), Candle>,
    news: Vec<NewsItem>,
}

pub struct App {
    pub symbols: Vec<Symbol>,
    /// What the dashboard was started with: keys, theme, timeframes, freshness, composites,
    /// the config's rules, where it reads from (`symbols` and `added` are taken into the App's
    /// own state at the start).
    pub settings: AppSettings,
    /// The watchlist panel: added markets, the venues' lists, the order.
    pub watchlist: super::watchlist::WatchlistState,
    /// Index into `symbols`.
    pub selected: usize,
    pub timeframe: Timeframe,
    pub series: HashMap<SeriesKey, Series>,
    /// The chart panel: its view, crosshair, panes and layout.
    pub chart: super::chart::ChartPanel,
    pub focus: Panel,
    pub popup: Option<Popup>,
    pub news: NewsState,
    /// The trade tape and the books (live only).
    pub live: super::live::LiveMarket,
    /// The health panel: the latest snapshot and the activity log.
    pub health: super::health::HealthPanel,
    /// Each venue's stream, the last market update, the collectors' newest write.
    pub sources: super::sources::Sources,
    /// Rules made here, firings seen, the bell owed.
    pub alerts: super::alerts::AlertsState,
    /// Status-bar message and when it was set.
    pub message: Option<(String, Millis)>,
    pub now: Millis,
    frozen: Option<Pending>,
    dirty: bool,
    quit: bool,
    outbox: Vec<Request>,
    /// Series views served from candles already in memory vs. pages asked of the store.
    cache: (u64, u64),
}

impl App {
    /// The venues whose streams feed `symbol`: its own, or a composite's members'.
    pub fn venues_of(&self, symbol: Symbol) -> Vec<Venue> {
        match self.settings.composites.iter().find(|c| c.symbol == symbol) {
            Some(c) => c.members.iter().map(|m| m.venue()).collect(),
            None => vec![symbol.venue()],
        }
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

    /// Rows the watchlist wants: one per market, and per composite a spread line and one
    /// line per member.
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

    /// Whether to ring the terminal bell now (once per firing batch).
    pub fn take_bell(&mut self) -> bool {
        std::mem::take(&mut self.alerts.bell)
    }

    pub fn single_venue(&self) -> bool {
        self.symbols
            .iter()
            .all(|s| s.venue() == self.symbols[0].venue())
    }

    pub fn new(mut s: AppSettings, now: Millis) -> App {
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
        let mut app = App {
            symbols,
            settings: s,
            watchlist: super::watchlist::WatchlistState {
                added,
                ..Default::default()
            },
            selected,
            timeframe,
            series: HashMap::new(),
            chart: Default::default(),
            focus: Panel::Chart,
            popup: None,
            news: NewsState::default(),
            live: Default::default(),
            health: Default::default(),
            sources: Default::default(),
            alerts: Default::default(),
            message: None,
            now,
            frozen: None,
            dirty: true,
            quit: false,
            outbox: Vec::new(),
            cache: (0, 0),
        };
        app.request_all();
        app
    }

    /// The chart's series and every watchlist series.
    fn request_all(&mut self) {
        self.ensure_history();
        for sym in self.symbols.clone() {
            self.request_head(self.watch_key(sym), self.watch_limit());
        }
    }

    // ----- queries -----

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

    /// The series behind a watchlist row: hourly candles when collected, so 24 h of change
    /// and a day-long sparkline come from few candles.
    pub fn watch_key(&self, symbol: Symbol) -> SeriesKey {
        let timeframe = [Timeframe::H1, Timeframe::M15, Timeframe::M5, Timeframe::M1]
            .into_iter()
            .find(|t| self.settings.timeframes.contains(t))
            .unwrap_or(self.settings.timeframes[0]);
        SeriesKey { symbol, timeframe }
    }

    pub(super) fn watch_limit(&self) -> usize {
        let tf = self.watch_key(self.symbol()).timeframe;
        (86_400_000 / tf.millis()) as usize + 64
    }

    /// Visible candles for a plot `cols` wide, and indicators aligned with them (computed
    /// over up to [`WARMUP`] earlier candles so they are settled at the left edge).
    pub fn visible(&self, cols: u16) -> (&[Candle], IndicatorSet) {
        self.visible_for(self.key(), &self.chart.view, cols)
    }

    /// [`App::visible`] for any series and view (the grid's other charts).
    pub fn visible_for(
        &self,
        key: SeriesKey,
        view: &Viewport,
        cols: u16,
    ) -> (&[Candle], IndicatorSet) {
        let all = self.series.get(&key).map(Series::candles).unwrap_or(&[]);
        let w = view.window(all, cols);
        let from = w.start.saturating_sub(WARMUP);
        let closes: Vec<f64> = all[from..w.end].iter().map(|c| c.close.to_f64()).collect();
        let set = crate::indicators::compute(&closes, &self.settings.indicators);
        (&all[w.clone()], tail(set, w.start - from))
    }

    /// The store's write path as the last health snapshot saw it.
    pub fn store_writes(&self) -> Option<&crate::store::WriteStats> {
        self.health.snapshot.as_ref().map(|(h, _)| &h.store_writes)
    }

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

    /// The in-memory candle windows as a cache: hits, store reads, candles held, freshness.
    fn chart_cache(&self) -> CacheStats {
        let newest = self.series.values().filter_map(|s| s.live_at).max();
        CacheStats {
            name: "chart".into(),
            hits: self.cache.0,
            misses: self.cache.1,
            entries: self.series.values().map(|s| s.candles().len() as u64).sum(),
            age_ms: newest.map(|t| (self.now - t).max(0)),
        }
    }

    pub fn is_frozen(&self) -> bool {
        self.frozen.is_some()
    }

    /// The age of the chart's data and how worrying it is: time since the last live update,
    /// else since the newest stored candle closed.
    pub fn chart_age(&self) -> Option<(i64, Level)> {
        self.chart_age_for(self.key())
    }

    /// Attached to a store others write: the age of the collector's newest live write, rated
    /// like trades (a live collector writes every flush).
    pub fn attached_age(&self) -> Option<(i64, Level)> {
        let t = self
            .sources
            .collector_write
            .filter(|_| self.settings.attached)?;
        let age = (self.now - t).max(0);
        Some((age, level(age, self.settings.freshness.trades)))
    }

    pub fn chart_age_for(&self, key: SeriesKey) -> Option<(i64, Level)> {
        if let Some(age) = self.attached_age() {
            return Some(age);
        }
        let s = self.series.get(&key)?;
        let t = s
            .live_at
            .or_else(|| s.last().map(|c| c.close_time(key.timeframe) + 1))?;
        let age = (self.now - t).max(0);
        Some((age, level(age, self.settings.freshness.candles)))
    }

    pub fn news_age(&self) -> Option<(i64, Level)> {
        let age = (self.now - self.news.received_at?).max(0);
        Some((age, level(age, self.settings.freshness.news)))
    }

    pub fn health_age(&self) -> Option<(i64, Level)> {
        let age = (self.now - self.health.snapshot.as_ref()?.1).max(0);
        Some((age, level(age, self.settings.freshness.trades)))
    }

    pub fn message(&self) -> Option<&str> {
        self.message
            .as_ref()
            .filter(|(_, at)| self.now - at < MESSAGE_MS)
            .map(|(m, _)| m.as_str())
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// True once per change: the loop redraws only then.
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    pub fn take_requests(&mut self) -> Vec<Request> {
        std::mem::take(&mut self.outbox)
    }

    // ----- inputs -----

    pub fn tick(&mut self, now: Millis) {
        // Ages on screen are shown in whole seconds.
        if now / 1000 != self.now / 1000 {
            self.dirty = true;
        }
        self.now = now;
    }

    pub fn set_chart_cols(&mut self, cols: u16) {
        if cols != self.chart.cols {
            self.chart.cols = cols;
            self.dirty = true;
            self.ensure_history();
        }
    }

    pub fn mark_dirty(&mut self) {
        self.dirty = true;
    }

    pub fn apply(&mut self, ev: DataEvent) {
        self.dirty = true;
        match ev {
            DataEvent::Candles(rows) => {
                self.sources.last_market_at = Some(self.now);
                match &mut self.frozen {
                    Some(p) => {
                        for (k, c) in rows {
                            p.candles.insert((k, c.open_time), c);
                        }
                    }
                    None => self.fold_candles(rows),
                }
            }
            DataEvent::History {
                key,
                candles,
                complete,
            } => self.on_history(key, candles, complete),
            DataEvent::UserRules(rules) => self.alerts.user_rules = rules,
            DataEvent::AlertFired(f) => {
                self.say(format!(
                    "🔔 {}",
                    crate::news::clean::strip_controls(&crate::alerts::deliver::line(&f))
                ));
                self.alerts.fired(f);
            }
            DataEvent::Instruments(list) => self.watchlist.set_listings(list),
            DataEvent::Trades(trades) => self.live.add_trades(trades, self.now),
            DataEvent::Book(book) => self.live.set_book(book, self.now),
            DataEvent::CollectorWrite(at) => {
                self.sources.collector_write = at;
                self.dirty = true;
            }
            DataEvent::Stream(venue, st) => {
                let changed = self.sources.streams.get(&venue).map(|(s, _)| s) != Some(&st);
                if changed {
                    self.sources.streams.insert(venue, (st, self.now));
                }
            }
            DataEvent::News(items) => match &mut self.frozen {
                Some(p) => p.news.extend(items),
                None => self.news.add(items, self.now),
            },
            DataEvent::Health(mut h) => {
                h.caches.push(self.chart_cache());
                self.health.snapshot = Some((h, self.now));
            }
            DataEvent::StoreChanged => {
                for s in self.series.values_mut() {
                    s.requested = false;
                    s.loading = false;
                    s.complete = false;
                }
                self.request_all();
            }
            DataEvent::Log { level, message, at } => self.health.log.push(level, message, at),
            DataEvent::Exported { path, result } => {
                let msg = match result {
                    Ok(()) => format!("exported to {}", path.display()),
                    Err(e) => format!("export to {} failed: {e}", path.display()),
                };
                self.say(msg);
            }
        }
    }

    fn fold_candles(&mut self, rows: Vec<(SeriesKey, Candle)>) {
        for (k, c) in rows {
            let s = self.series.entry(k).or_default();
            s.upsert(c);
            s.live_at = Some(self.now);
        }
    }

    fn on_history(&mut self, key: SeriesKey, candles: Vec<Candle>, complete: bool) {
        let current = self.key();
        let s = self.series.entry(key).or_default();
        s.requested = true;
        s.loading = false;
        s.complete |= complete;
        s.merge_history(candles);
        if key == current && self.chart.view.pinned_oldest {
            let more = !s.complete;
            self.chart
                .view
                .to_oldest(s.candles(), self.chart.cols, more);
        }
        self.ensure_history();
    }

    pub fn handle_key(&mut self, ev: KeyEvent) {
        let Some(key) = Key::from_event(&ev) else {
            return;
        };
        if matches!(self.popup, Some(Popup::Search(_))) && self.search_key(key) {
            self.dirty = true;
            return;
        }
        if matches!(self.popup, Some(Popup::AlertNew(_) | Popup::Alerts(_))) && self.alert_key(key)
        {
            self.dirty = true;
            return;
        }
        if let Some(a) = self.settings.keymap.action_for(key) {
            self.act(a);
        }
    }

    pub fn handle_mouse(&mut self, ev: MouseEvent) {
        match ev.kind {
            MouseEventKind::ScrollUp => self.act(Action::ZoomIn),
            MouseEventKind::ScrollDown => self.act(Action::ZoomOut),
            // A click on a candle puts the crosshair there; with it on, it follows the mouse.
            MouseEventKind::Down(MouseButton::Left) | MouseEventKind::Drag(MouseButton::Left) => {
                self.crosshair_to_column(ev.column)
            }
            MouseEventKind::Moved if self.chart.crosshair.is_some() => {
                self.crosshair_to_column(ev.column)
            }
            _ => {}
        }
    }

    /// The chart is the leftmost panel: its plot starts right after the border.
    fn crosshair_to_column(&mut self, column: u16) {
        if self.popup.is_some() {
            return;
        }
        let Some(col) = column.checked_sub(1).filter(|c| *c < self.chart.cols) else {
            return;
        };
        if let Some(at) = super::geometry::candle_at(self, col) {
            self.chart.crosshair = Some(at);
            self.dirty = true;
        }
    }

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

    /// The last price of the shown market, if known.
    pub fn last_price(&self) -> Option<Price> {
        self.series
            .get(&self.watch_key(self.symbol()))
            .or_else(|| self.current())
            .and_then(|s| s.candles().last())
            .map(|c| c.close)
    }

    /// Typing a price alert, or working the rules list; false for keys left to the keymap.
    fn alert_key(&mut self, key: Key) -> bool {
        if !(key.mods - crossterm::event::KeyModifiers::SHIFT).is_empty() {
            return false;
        }
        match &mut self.popup {
            Some(Popup::AlertNew(level)) => match key.code {
                KeyCode::Esc => self.popup = None,
                KeyCode::Backspace => {
                    level.pop();
                }
                KeyCode::Char(c) if (c.is_ascii_digit() || c == '.') && level.len() < 24 => {
                    level.push(c)
                }
                KeyCode::Enter => {
                    let level = level.clone();
                    self.popup = None;
                    self.add_price_alert(&level);
                }
                _ => {}
            },
            Some(Popup::Alerts(selected)) => {
                let n = self.settings.alert_rules.len() + self.alerts.user_rules.len();
                let at = *selected;
                match key.code {
                    KeyCode::Esc => self.popup = None,
                    KeyCode::Up | KeyCode::Char('k') => *selected = at.saturating_sub(1),
                    KeyCode::Down | KeyCode::Char('j') => {
                        *selected = (at + 1).min(n.saturating_sub(1))
                    }
                    KeyCode::Char(' ') | KeyCode::Char('d') | KeyCode::Delete => {
                        let Some(i) = at.checked_sub(self.settings.alert_rules.len()) else {
                            self.say("config rules are changed in the config file");
                            return true;
                        };
                        let Some((rule, on)) = self.alerts.user_rules.get(i).cloned() else {
                            return true;
                        };
                        if key.code == KeyCode::Char(' ') {
                            self.outbox.push(Request::SaveRule { rule, enabled: !on });
                        } else {
                            self.outbox.push(Request::DeleteRule(rule.name.clone()));
                            self.say(format!("alert {:?} deleted", rule.name));
                        }
                    }
                    _ => return false,
                }
            }
            _ => return false,
        }
        true
    }

    /// A rule from a typed level: `price > L` when above the last price, `price < L` below.
    fn add_price_alert(&mut self, level: &str) {
        use crate::alerts::{Channel, Condition, Repeat, Rule};
        if self.settings.attached {
            self.say(ATTACHED_ALERTS);
            return;
        }
        let Ok(l) = Price::parse(level) else {
            self.say(format!("{level:?} is not a price"));
            return;
        };
        let Some(last) = self.last_price() else {
            self.say("no price yet to set an alert against");
            return;
        };
        if l == last || l.raw() <= 0 {
            self.say("the level must differ from the last price");
            return;
        }
        let symbol = self.symbol();
        let op = if l > last { ">" } else { "<" };
        let when = format!("price {op} {l}");
        let Ok(condition) = Condition::parse(&when) else {
            return;
        };
        let rule = Rule {
            name: format!("{} {op} {l}", self.label(symbol)),
            symbol: Some(symbol),
            timeframe: self.timeframe,
            when,
            condition,
            repeat: Repeat::Once,
            rearm_secs: 0,
            notify: vec![Channel::Bell],
        };
        self.say(format!("alert set: {}", rule.name));
        self.outbox.push(Request::SaveRule {
            rule,
            enabled: true,
        });
    }

    /// Typing into the symbol search; false for keys it leaves to the keymap (Ctrl-C).
    fn search_key(&mut self, key: Key) -> bool {
        let Some(Popup::Search(search)) = &mut self.popup else {
            return false;
        };
        if !(key.mods - crossterm::event::KeyModifiers::SHIFT).is_empty() {
            return false;
        }
        match key.code {
            KeyCode::Esc => self.popup = None,
            KeyCode::Enter => {
                let hits = search_hits(&self.symbols, &self.watchlist.instruments, &search.query);
                let hit = hits.get(search.selected).copied();
                self.popup = None;
                if let Some(s) = hit {
                    self.show_or_add(s);
                }
            }
            KeyCode::Backspace => {
                search.query.pop();
                search.selected = 0;
            }
            KeyCode::Up => search.selected = search.selected.saturating_sub(1),
            KeyCode::Down => {
                let n =
                    search_hits(&self.symbols, &self.watchlist.instruments, &search.query).len();
                search.selected = (search.selected + 1).min(n.saturating_sub(1));
            }
            KeyCode::Char(c)
                if (c.is_ascii_alphanumeric() || "/-:".contains(c)) && search.query.len() < 32 =>
            {
                search.query.push(c.to_ascii_uppercase());
                search.selected = 0;
            }
            _ => {}
        }
        true
    }

    pub fn act(&mut self, a: Action) {
        self.dirty = true;
        match (&mut self.popup, a) {
            (_, Action::Quit) => self.quit = true,
            (Some(Popup::Help { .. }), Action::Help | Action::Close) => self.popup = None,
            (Some(Popup::Help { scroll }), Action::Up) => *scroll = scroll.saturating_sub(1),
            // The popup shows where the list ends; past the last row there is nothing to see.
            (Some(Popup::Help { scroll }), Action::Down) => {
                let (w, h) = self.chart.screen;
                let end = super::help::help_max_scroll(&self.settings.keymap, w, h);
                *scroll = scroll.saturating_add(1).min(end);
            }
            (Some(Popup::News(_)), Action::Close | Action::Open) => self.popup = None,
            (Some(Popup::News(_)), Action::Help) => self.popup = Some(Popup::Help { scroll: 0 }),
            (Some(_), Action::Close) => self.popup = None,
            (Some(_), _) => {}
            (None, a) => self.act_on_screen(a),
        }
    }

    /// A key with no popup open: the focused panel's own keys first (news and health scroll),
    /// then the chart's, then the dashboard's.
    fn act_on_screen(&mut self, a: Action) {
        let coin = self.coin().to_string();
        let handled = match self.focus {
            Panel::News => match self.news.on_action(a, &coin) {
                NewsKey::Ignored => false,
                NewsKey::Done => true,
                NewsKey::Open(id) => {
                    self.popup = Some(Popup::News(id));
                    true
                }
            },
            Panel::Health => self.health.on_action(a),
            _ => false,
        };
        if handled {
            return;
        }
        let key = self.key();
        let (candles, complete) = self
            .series
            .get(&key)
            .map_or((&[][..], false), |s| (s.candles(), s.complete));
        match self.chart.on_action(a, candles, complete) {
            ChartKey::Ignored => {}
            ChartKey::Done => return,
            ChartKey::Moved => return self.ensure_history(),
        }
        match a {
            // The chart's keys (see `ChartPanel::on_action`), and keys only a panel or popup uses.
            Action::Quit
            | Action::Close
            | Action::Open
            | Action::Crosshair
            | Action::ToggleVolume
            | Action::ToggleRsi
            | Action::ToggleMacd
            | Action::ToggleMomentum
            | Action::ZoomIn
            | Action::ZoomOut
            | Action::PanLeft
            | Action::PanRight
            | Action::Oldest
            | Action::Latest => {}
            Action::Help => self.popup = Some(Popup::Help { scroll: 0 }),
            Action::Timeframe1
            | Action::Timeframe2
            | Action::Timeframe3
            | Action::Timeframe4
            | Action::Timeframe5 => {
                let i = a as usize - Action::Timeframe1 as usize;
                self.set_timeframe(Timeframe::ALL[i]);
            }
            Action::TimeframePrev | Action::TimeframeNext => {
                let i = self
                    .settings
                    .timeframes
                    .iter()
                    .position(|t| *t == self.timeframe);
                let i = i.unwrap_or(0) as isize + if a == Action::TimeframeNext { 1 } else { -1 };
                let i = i.clamp(0, self.settings.timeframes.len() as isize - 1) as usize;
                self.set_timeframe(self.settings.timeframes[i]);
            }
            Action::Up => self.step_symbol(-1),
            Action::Down => self.step_symbol(1),
            Action::FocusNext => self.focus = self.focus.cycle(1),
            Action::FocusPrev => self.focus = self.focus.cycle(-1),
            Action::Search => self.popup = Some(Popup::Search(Search::default())),
            Action::RemoveSymbol => self.remove_selected(),
            Action::SortWatchlist => self.cycle_watch_sort(),
            Action::Layout => self.cycle_layout(),
            // Attached, the collector evaluates and delivers alerts: refused at once, not after
            // the level is typed.
            Action::AlertNew if self.settings.attached => self.say(ATTACHED_ALERTS),
            Action::AlertNew => {
                let level = self.last_price().map(|p| p.to_string()).unwrap_or_default();
                self.popup = Some(Popup::AlertNew(level));
            }
            Action::Alerts => self.popup = Some(Popup::Alerts(0)),
            Action::NewsFilter => self.news.toggle_all(),
            Action::Export => self.export(),
            Action::Refresh => {
                self.outbox.push(Request::Refresh);
                self.say("refreshing news and backfill");
            }
            Action::Freeze => match self.frozen.take() {
                Some(p) => {
                    let mut rows: Vec<_> =
                        p.candles.into_iter().map(|((k, _), c)| (k, c)).collect();
                    rows.sort_by_key(|(k, c)| (*k, c.open_time));
                    self.fold_candles(rows);
                    if !p.news.is_empty() {
                        self.news.add(p.news, self.now);
                    }
                    self.say("resumed");
                }
                None => {
                    self.frozen = Some(Pending::default());
                    let key = self.settings.keymap.label(Action::Freeze);
                    self.say(format!("frozen: updates paused ({key} resumes)"));
                }
            },
        }
    }

    pub(super) fn queue(&mut self, r: Request) {
        self.outbox.push(r);
    }

    pub(super) fn say(&mut self, msg: impl Into<String>) {
        let msg = msg.into();
        self.health
            .log
            .push(tracing::Level::INFO, msg.clone(), self.now);
        self.message = Some((msg, self.now));
        self.dirty = true;
    }

    pub fn select_symbol(&mut self, i: usize) {
        if i >= self.symbols.len() || i == self.selected {
            return;
        }
        self.selected = i;
        self.chart.view.to_latest();
        self.chart.crosshair = None;
        self.news.selected = 0;
        self.ensure_history();
    }

    pub fn set_timeframe(&mut self, tf: Timeframe) {
        if !self.settings.timeframes.contains(&tf) {
            self.say(format!("{tf} is not collected (see market.timeframes)"));
            return;
        }
        if tf != self.timeframe {
            self.timeframe = tf;
            self.chart.view.retime(tf);
            self.chart.crosshair = None;
            self.ensure_history();
        }
    }

    pub(super) fn request_head(&mut self, key: SeriesKey, limit: usize) {
        let s = self.series.entry(key).or_default();
        if s.requested {
            self.cache.0 += 1;
            return;
        }
        self.cache.1 += 1;
        s.requested = true;
        s.loading = true;
        self.outbox.push(Request::LoadHistory {
            key,
            before: Millis::MAX,
            limit,
        });
    }

    /// Asks for what the current view needs: the newest page first, then older pages while
    /// the view is within a screen of the oldest loaded candle.
    fn ensure_history(&mut self) {
        let page = self.grid_page();
        for key in self.chart_keys().into_iter().skip(1) {
            self.request_head(key, page);
        }
        let key = self.key();
        let cols = self.chart.cols;
        let cap = self.chart.view.capacity(cols).max(1);
        let page = (cap * 2).max(MIN_PAGE) + WARMUP;
        let watch = if self.watch_key(key.symbol) == key {
            self.watch_limit()
        } else {
            0
        };
        self.request_head(key, page.max(watch));
        let view = self.chart.view;
        let Some(s) = self.series.get_mut(&key) else {
            return;
        };
        if s.loading || s.complete {
            return;
        }
        let Some(first) = s.first_open() else {
            return;
        };
        let w = view.window(s.candles(), cols);
        let before_loaded = view.anchor.is_some_and(|t| t < first);
        if view.pinned_oldest || before_loaded || w.start < cap.max(WARMUP) {
            self.cache.1 += 1;
            s.loading = true;
            self.outbox.push(Request::LoadHistory {
                key,
                before: first - 1,
                limit: if view.pinned_oldest {
                    OLDEST_PAGE
                } else {
                    page
                },
            });
        }
    }

    fn export(&mut self) {
        let name = crate::report::file_name(Some(self.key()), self.now);
        let path = self.settings.data_dir.join(name);
        let report = self.build_report();
        self.outbox.push(Request::Export {
            path: path.clone(),
            report: Box::new(report),
        });
        self.say(format!("exporting to {}", path.display()));
    }

    /// The current view as a SPEC §3 report.
    pub fn build_report(&self) -> Report {
        let (candles, ind) = self.visible(self.chart.cols);
        let health = self.health.snapshot.as_ref().map(|(h, _)| h);
        let stream: serde_json::Map<String, serde_json::Value> = self
            .sources
            .streams
            .iter()
            .map(|(v, (s, since))| {
                (
                    v.name().to_string(),
                    serde_json::json!({"state": stream_label(s), "since": rfc3339(*since)}),
                )
            })
            .collect();
        Report {
            schema: crate::report::SCHEMA,
            generated_at: rfc3339(self.now),
            version: env!("CARGO_PKG_VERSION"),
            mode: self.mode().report_mode(),
            series: vec![SeriesReport {
                venue: self.key().symbol.venue().name(),
                symbol: self.key().symbol.as_str().to_string(),
                timeframe: self.key().timeframe.as_str(),
                candles: candles
                    .iter()
                    .map(|c| CandleReport::new(c, self.key()))
                    .collect(),
                indicators: ind,
            }],
            news: self
                .news
                .visible(self.coin())
                .map(NewsReport::from)
                .collect(),
            alerts: crate::report::AlertsReport::of(
                &self.active_rules(),
                self.alerts.firings.iter().rev().cloned(),
                &[self.key().symbol],
            ),
            health: serde_json::json!({
                "stream": stream,
                "sources": health.map(|h| &h.sources),
                "breakers": health.map(|h| &h.breakers),
                "caches": health.map(|h| &h.caches),
                "store": health.map(|h| &h.store),
                "backfill": health.map(|h| &h.backfill),
            }),
            metrics: serde_json::json!({
                "trades_per_sec": health.and_then(|h| h.trades_per_sec),
                "ingest_latency_us": {
                    "p50": health.and_then(|h| h.ingest_p50_us),
                    "p99": health.and_then(|h| h.ingest_p99_us),
                },
                "last_message_age_ms": health.and_then(|h| h.last_message_age_ms),
            }),
            activity_log: self
                .health
                .log
                .entries()
                .map(|e| {
                    serde_json::json!({
                        "at": rfc3339(e.at),
                        "level": e.level.to_string(),
                        "message": e.message,
                    })
                })
                .collect(),
        }
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

/// Watchlist indexes whose symbol contains `query`.
/// Firings the App keeps for its status line and reports.
pub use super::alerts::MAX_FIRINGS;

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

/// Watchlist entries whose `venue:SYMBOL` contains `query`, case-insensitively: `btc` finds
/// BTC on every venue, `kraken` every Kraken market.
/// At most this many markets are offered for one query.
pub const MAX_HITS: usize = 50;

/// The markets matching `query`: the watchlist's first, in its order, then the venues' other
/// markets. Separators do not count, so `btcusd` finds `coinbase:BTC-USD` and
/// `kraken:BTC/USD`, and `kraken` finds Kraken's markets.
pub fn search_hits(watched: &[Symbol], listed: &[Symbol], query: &str) -> Vec<Symbol> {
    let squash = |s: &str| -> String {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect()
    };
    let query = squash(query);
    let matches = |s: &&Symbol| squash(&s.to_string()).contains(&query);
    let mut hits: Vec<Symbol> = watched.iter().filter(matches).copied().collect();
    for s in listed.iter().filter(matches) {
        if hits.len() >= MAX_HITS {
            break;
        }
        if !watched.contains(s) {
            hits.push(*s);
        }
    }
    hits.truncate(MAX_HITS);
    hits
}

/// "connected", "reconnecting 3", "connecting", "offline".
pub fn stream_label(s: &StreamStatus) -> String {
    match s {
        StreamStatus::Connected => "connected".into(),
        StreamStatus::Connecting { attempt } if *attempt > 1 => format!("connecting {attempt}"),
        StreamStatus::Connecting { .. } => "connecting".into(),
        StreamStatus::Reconnecting { attempt, .. } => format!("reconnecting {attempt}"),
        StreamStatus::Stopped => "offline".into(),
    }
}

/// Good below the warning age, critical above the critical age (thresholds in seconds).
pub fn level(age_ms: i64, f: crate::config::Freshness) -> Level {
    if age_ms > f.critical as i64 * 1000 {
        Level::Critical
    } else if age_ms > f.warning as i64 * 1000 {
        Level::Warning
    } else {
        Level::Good
    }
}
