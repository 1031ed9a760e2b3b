//! The App: the dashboard as plain data. It holds the [`Model`] every panel follows, the
//! panels and popups (each a [`Component`] with its own state and keys), the focus and the
//! outbox of requests for the producers. Data events and keys are folded in here; the event
//! loop only moves messages and draws. Time is passed in (`now`) so every behaviour is
//! testable without a clock or a terminal.

use std::collections::HashMap;

use crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};

use super::chart::ChartPanel;
use super::component::{Component, Effect, Outcome};
use super::event::{DataEvent, Request};
use super::health::HealthPanel;
use super::keymap::{Action, Key};
use super::live::{Books, Tape};
use super::model::Model;
use super::news::NewsState;
use super::popup::{Popup, Search};
use super::settings::AppSettings;
use super::watchlist::WatchlistPanel;
use crate::domain::{Candle, Millis, NewsItem, Price, SeriesKey, Symbol, Timeframe, Venue};

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

/// What an attached dashboard says when asked for a new alert: the collectors writing the store
/// evaluate and deliver alerts, so a rule is added where they read rules (any store: a file or
/// a database).
const ATTACHED_ALERTS: &str = "alerts run on the collector writing this store: add the rule to its config ([[alerts]]); read-only here";

/// Updates held back while frozen, folded in on resume.
#[derive(Clone, Debug, Default)]
struct Pending {
    candles: HashMap<(SeriesKey, Millis), Candle>,
    news: Vec<NewsItem>,
}

pub struct App {
    /// What every panel follows (settings, markets, series, sources, alerts, the clock); the
    /// panels read it, the App alone changes it.
    pub model: Model,
    pub focus: Panel,
    pub popup: Option<Popup>,
    /// The chart panel: its view, crosshair, panes and layout.
    pub chart: ChartPanel,
    /// The watchlist panel: its order.
    pub watchlist: WatchlistPanel,
    pub book: Books,
    pub tape: Tape,
    pub news: NewsState,
    /// The health panel: the latest snapshot and the activity log.
    pub health: HealthPanel,
    /// Status-bar message and when it was set.
    message: Option<(String, Millis)>,
    frozen: Option<Pending>,
    dirty: bool,
    quit: bool,
    pub(super) outbox: Vec<Request>,
}

impl App {
    pub fn new(settings: AppSettings, now: Millis) -> App {
        let mut app = App {
            model: Model::new(settings, now),
            focus: Panel::Chart,
            popup: None,
            chart: ChartPanel::default(),
            watchlist: WatchlistPanel::default(),
            book: Books::default(),
            tape: Tape::default(),
            news: NewsState::default(),
            health: HealthPanel::default(),
            message: None,
            frozen: None,
            dirty: true,
            quit: false,
            outbox: Vec::new(),
        };
        app.request_all();
        app
    }

    /// The store gained history the App may not have: every series is asked for again.
    fn reload_from_store(&mut self) {
        for s in self.model.series.values_mut() {
            s.requested = false;
            s.loading = false;
            s.complete = false;
        }
        self.request_all();
        // The demo writes its ledger with its history.
        self.model.holdings.store_changed();
    }

    /// The chart's series and every watchlist series.
    fn request_all(&mut self) {
        self.tell_shown();
        self.ensure_history();
        for sym in self.model.symbols.clone() {
            self.request_head(self.model.watch_key(sym), self.model.watch_limit());
        }
    }

    // ----- queries -----

    /// Whether to ring the terminal bell now (once per firing batch).
    pub fn take_bell(&mut self) -> bool {
        std::mem::take(&mut self.model.alerts.bell)
    }

    /// The series of every chart on screen, the shown one first.
    pub fn chart_keys(&self) -> Vec<SeriesKey> {
        // The watchlist's order (each market's day, when sorted) only where the grid follows
        // it: this runs on every history page and key.
        let order = match self.chart.layout.follows_watchlist() {
            true => self.watch_order(),
            false => Vec::new(),
        };
        self.chart.keys(&self.model, &order)
    }

    /// The watchlist's rows in the panel's order: indices into the model's `symbols`.
    pub fn watch_order(&self) -> Vec<usize> {
        self.model.watch_order(self.watchlist.sort)
    }

    /// Visible candles for a plot `cols` wide, and indicators aligned with them.
    pub fn visible(&self, cols: u16) -> (&[Candle], crate::indicators::IndicatorSet) {
        self.model
            .visible_for(self.model.key(), &self.chart.view, cols)
    }

    pub fn is_frozen(&self) -> bool {
        self.frozen.is_some()
    }

    /// The age of the chart's data and how worrying it is.
    pub fn chart_age(&self) -> Option<(i64, super::theme::Level)> {
        self.model.chart_age_for(self.model.key())
    }

    pub fn message(&self) -> Option<&str> {
        self.message
            .as_ref()
            .filter(|(_, at)| self.model.now - at < MESSAGE_MS)
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
        if now / 1000 != self.model.now / 1000 {
            self.dirty = true;
        }
        self.model.now = now;
        if self.model.holdings.due(now) {
            self.outbox.push(Request::Portfolio);
        }
    }

    pub fn set_chart_cols(&mut self, cols: u16) {
        if cols != self.chart.cols {
            self.chart.cols = cols;
            self.dirty = true;
            self.ensure_history();
        }
    }

    /// The terminal's size, for laying the charts out (the event loop tells it).
    pub fn set_screen(&mut self, width: u16, height: u16) {
        self.model.screen = (width, height);
        self.relayout();
    }

    fn relayout(&mut self) {
        let (w, h) = self.model.screen;
        let area = ratatui::layout::Rect::new(0, 0, w, h);
        let charts = self.chart.layout.charts();
        let cols = super::layout::chart_cols(area, self.model.watch_rows(), charts);
        self.set_chart_cols(cols);
    }

    pub fn mark_dirty(&mut self) {
        self.dirty = true;
    }

    pub fn apply(&mut self, ev: DataEvent) {
        self.dirty = true;
        let now = self.model.now;
        match ev {
            DataEvent::Candles(rows) => {
                self.model.sources.last_market_at = Some(now);
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
            DataEvent::UserRules(rules) => self.model.alerts.user_rules = rules,
            DataEvent::AlertFired(f) => {
                self.say(format!(
                    "🔔 {}",
                    crate::news::clean::strip_controls(&crate::alerts::deliver::line(&f))
                ));
                self.model.alerts.fired(f);
            }
            DataEvent::Instruments(list) => self.model.listings.set_listings(list),
            DataEvent::Trades(trades) => self.tape.add_trades(trades, now),
            DataEvent::Book(book) => self.book.set(book, now),
            DataEvent::Derivs(changes) => self.model.derivs.apply(changes),
            DataEvent::Portfolio(p) => self.model.holdings.valued = Some(p),
            DataEvent::DerivHistory { symbol, samples } => {
                self.model.derivs.merge_samples(symbol, samples)
            }
            // From the store's newest write and from the bus's updates: the newest wins.
            DataEvent::CollectorWrite(at) => {
                let w = &mut self.model.sources.collector_write;
                *w = (*w).max(at);
            }
            DataEvent::Bus(up) => self.model.sources.bus = Some(up),
            DataEvent::CollectorHealth(h) => {
                if self.model.sources.collector_health(h, now) {
                    self.reload_from_store();
                }
            }
            DataEvent::Collected { market, by } => self.collected(market, by),
            DataEvent::Stream(venue, st) => {
                let streams = &mut self.model.sources.streams;
                if streams.get(&venue).map(|(s, _)| s) != Some(&st) {
                    streams.insert(venue, (st, now));
                }
            }
            DataEvent::News(items) => match &mut self.frozen {
                Some(p) => p.news.extend(items),
                None => self.news.add(items, now),
            },
            DataEvent::Health(mut h) => {
                h.caches.push(self.model.chart_cache());
                self.health.snapshot = Some((h, now));
            }
            DataEvent::StoreChanged => self.reload_from_store(),
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
            let s = self.model.series.entry(k).or_default();
            s.upsert(c);
            s.live_at = Some(self.model.now);
        }
    }

    /// A key: the open popup's text field first (it may take typed keys), then the keymap.
    pub fn handle_key(&mut self, ev: KeyEvent) {
        let Some(key) = Key::from_event(&ev) else {
            return;
        };
        if let Some(p) = &mut self.popup {
            let out = p.on_key(key, &self.model);
            if !matches!(out, Outcome::Ignored) {
                self.dirty = true;
                return self.follow(out);
            }
        }
        if let Some(a) = self.model.settings.keymap.action_for(key) {
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
        if let Some(at) = super::geometry::candle_at(&self.model, &self.chart, col) {
            self.chart.crosshair = Some(at);
            self.dirty = true;
        }
    }

    /// An action: quitting always works; an open popup takes every other one; else the
    /// focused panel, the chart and the watchlist are asked in turn, and what none of them
    /// takes is the dashboard's own.
    pub fn act(&mut self, a: Action) {
        self.dirty = true;
        if a == Action::Quit {
            self.quit = true;
            return;
        }
        let out = match &mut self.popup {
            Some(p) => p.on_action(a, &self.model),
            None => self.route(a),
        };
        match out {
            Outcome::Ignored => self.act_on_dashboard(a),
            out => self.follow(out),
        }
    }

    /// The panels in the order they are asked for a key: the focused one, the chart, the
    /// watchlist.
    fn route(&mut self, a: Action) -> Outcome {
        let mut order = vec![self.focus];
        order.extend(
            [Panel::Chart, Panel::Watchlist]
                .into_iter()
                .filter(|p| *p != self.focus),
        );
        for panel in order {
            let m = &self.model;
            let out = match panel {
                Panel::Chart => self.chart.on_action(a, m),
                Panel::Watchlist => self.watchlist.on_action(a, m),
                Panel::Book => self.book.on_action(a, m),
                Panel::Trades => self.tape.on_action(a, m),
                Panel::News => self.news.on_action(a, m),
                Panel::Health => self.health.on_action(a, m),
            };
            if !matches!(out, Outcome::Ignored) {
                return out;
            }
        }
        Outcome::Ignored
    }

    /// Carries out what a component asked for.
    fn follow(&mut self, out: Outcome) {
        let Outcome::Then(effect) = out else {
            return;
        };
        match effect {
            Effect::History => self.ensure_history(),
            Effect::Layout => {
                self.say(format!("layout: {}", self.chart.layout.describe()));
                self.relayout();
                for key in self.chart_keys().into_iter().skip(1) {
                    self.request_head(key, self.chart.grid_page(&self.model));
                }
            }
            Effect::Open(p) => self.popup = Some(p),
            Effect::Close => self.popup = None,
            Effect::Select(i) => self.select_symbol(i),
            Effect::Show(symbol) => {
                self.popup = None;
                self.show_or_add(symbol);
            }
            Effect::RemoveShown => self.remove_selected(),
            Effect::PriceAlert(level) => {
                self.popup = None;
                self.add_price_alert(&level);
            }
            Effect::DeleteRule(name) => {
                self.say(format!("alert {name:?} deleted"));
                self.outbox.push(Request::DeleteRule(name));
            }
            Effect::Send(r) => self.outbox.push(r),
            Effect::Say(msg) => self.say(msg),
            Effect::ChooseIndicators(list) => {
                let names: Vec<String> = list.iter().map(|s| s.name()).collect();
                self.say(format!("indicators: {}", names.join(" ")));
                self.model.settings.chosen = list;
                self.outbox.push(Request::SaveIndicators(names));
                // A longer period warms up on more candles: load them.
                self.ensure_history();
            }
        }
    }

    /// The dashboard's own keys: timeframes, focus, popups, export, refresh, freeze.
    fn act_on_dashboard(&mut self, a: Action) {
        let timeframes = &self.model.settings.timeframes;
        match a {
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
                let i = timeframes.iter().position(|t| *t == self.model.timeframe);
                let i = i.unwrap_or(0) as isize + if a == Action::TimeframeNext { 1 } else { -1 };
                let i = i.clamp(0, timeframes.len() as isize - 1) as usize;
                self.set_timeframe(timeframes[i]);
            }
            Action::FocusNext => self.focus = self.focus.cycle(1),
            Action::FocusPrev => self.focus = self.focus.cycle(-1),
            Action::Search => self.popup = Some(Popup::Search(Search::default())),
            // Attached, the collector evaluates and delivers alerts: refused at once, not after
            // the level is typed.
            Action::AlertNew if self.model.settings.attached => self.say(ATTACHED_ALERTS),
            Action::AlertNew => {
                let level = self.model.last_price().map(|p| p.to_string());
                self.popup = Some(Popup::AlertNew(level.unwrap_or_default()));
            }
            Action::Alerts => self.popup = Some(Popup::Alerts(0)),
            Action::Indicators => self.popup = Some(Popup::Indicators(Default::default())),
            Action::Portfolio => {
                self.popup = Some(Popup::Portfolio(Default::default()));
                self.model.holdings.asked(self.model.now);
                self.outbox.push(Request::Portfolio);
            }
            Action::Close if self.chart.equity => self.chart.equity = false,
            Action::Equity => {
                self.chart.equity = !self.chart.equity;
                if self.chart.equity {
                    // Valued now, as when the popup opens.
                    self.model.holdings.asked(self.model.now);
                    self.outbox.push(Request::Portfolio);
                }
            }
            Action::NewsFilter => self.news.toggle_all(),
            Action::Export => self.export(),
            Action::Refresh => {
                self.outbox.push(Request::Refresh);
                self.say("refreshing news and backfill");
            }
            Action::Freeze => self.toggle_freeze(),
            // The panels' keys, which none took here (nothing to pan, no popup to close).
            _ => {}
        }
    }

    fn toggle_freeze(&mut self) {
        match self.frozen.take() {
            Some(p) => {
                let mut rows: Vec<_> = p.candles.into_iter().map(|((k, _), c)| (k, c)).collect();
                rows.sort_by_key(|(k, c)| (*k, c.open_time));
                self.fold_candles(rows);
                if !p.news.is_empty() {
                    self.news.add(p.news, self.model.now);
                }
                self.say("resumed");
            }
            None => {
                self.frozen = Some(Pending::default());
                let key = self.model.settings.keymap.label(Action::Freeze);
                self.say(format!("frozen: updates paused ({key} resumes)"));
            }
        }
    }

    fn say(&mut self, msg: impl Into<String>) {
        let msg = msg.into();
        let now = self.model.now;
        self.health.log.push(tracing::Level::INFO, msg.clone(), now);
        self.message = Some((msg, now));
        self.dirty = true;
    }

    pub fn select_symbol(&mut self, i: usize) {
        if i >= self.model.symbols.len() || i == self.model.selected {
            return;
        }
        self.model.selected = i;
        self.chart.view.to_latest();
        self.chart.crosshair = None;
        self.news.selected = 0;
        self.tell_shown();
        self.ensure_history();
    }

    /// Attached, the collectors are told which market's book to publish.
    fn tell_shown(&mut self) {
        if self.model.settings.attached {
            self.outbox.push(Request::Shown(self.model.symbol()));
        }
    }

    pub fn set_timeframe(&mut self, tf: Timeframe) {
        if !self.model.settings.timeframes.contains(&tf) {
            self.say(format!("{tf} is not collected (see market.timeframes)"));
            return;
        }
        if tf != self.model.timeframe {
            self.model.timeframe = tf;
            self.chart.view.retime(tf);
            self.chart.crosshair = None;
            self.ensure_history();
        }
    }

    fn export(&mut self) {
        let name = crate::report::file_name(Some(self.model.key()), self.model.now);
        let path = self.model.settings.data_dir.join(name);
        let report = super::export::report(self);
        self.outbox.push(Request::Export {
            path: path.clone(),
            report: Box::new(report),
        });
        self.say(format!("exporting to {}", path.display()));
    }

    /// Shows `symbol`, adding it to the watchlist first when it is not there.
    fn show_or_add(&mut self, symbol: Symbol) {
        let m = &self.model;
        if let Some(i) = m.symbols.iter().position(|s| *s == symbol) {
            return self.select_symbol(i);
        }
        if m.settings.attached {
            let label = m.label(symbol);
            if m.sources.bus == Some(true) && symbol.venue() != Venue::Composite {
                self.outbox.push(Request::Collect(symbol));
                return self.say(format!(
                    "asked the collectors on the bus to collect {label}…"
                ));
            }
            return self.say(format!(
                "{label} is not collected: add it to the collector's config"
            ));
        }
        if symbol.venue() == Venue::Composite {
            return self.say("composites are made in the config ([market] composites)");
        }
        self.model.symbols.push(symbol);
        self.model.listings.added.push(symbol);
        let added = self.model.listings.added.clone();
        self.outbox.push(Request::Watch(added));
        let label = self.model.label(symbol);
        self.say(format!("{label} added: streaming and backfilling it"));
        self.select_symbol(self.model.symbols.len() - 1);
        self.request_head(self.model.watch_key(symbol), self.model.watch_limit());
    }

    /// The collectors' answer about `market`: taken (shown at once, its history filling in as
    /// the collector backfills it), or why not.
    fn collected(&mut self, market: Symbol, by: Result<String, String>) {
        let label = self.model.label(market);
        let collector = match by {
            Ok(c) => c,
            Err(why) => {
                let line = format!("{label} not added: {why}");
                self.health
                    .log
                    .push(tracing::Level::WARN, line.clone(), self.model.now);
                return self.say(line);
            }
        };
        let collector: String = crate::news::clean::strip_controls(&collector)
            .chars()
            .take(64)
            .collect();
        if !self.model.symbols.contains(&market) {
            self.model.symbols.push(market);
        }
        if let Some(i) = self.model.symbols.iter().position(|s| *s == market) {
            self.select_symbol(i);
        }
        self.request_head(self.model.watch_key(market), self.model.watch_limit());
        self.say(format!(
            "{label} added by collector {collector}: streaming and backfilling it"
        ));
    }

    /// Removes the shown market from the watchlist if it was added here.
    fn remove_selected(&mut self) {
        let m = &mut self.model;
        let symbol = m.symbol();
        let label = m.label(symbol);
        let Some(i) = m.listings.added.iter().position(|s| *s == symbol) else {
            return self.say(format!("{label} is in the config file: remove it there"));
        };
        if m.symbols.len() == 1 {
            return self.say("the watchlist keeps at least one market");
        }
        m.listings.added.remove(i);
        self.outbox.push(Request::Watch(m.listings.added.clone()));
        if let Some(at) = m.symbols.iter().position(|s| *s == symbol) {
            m.symbols.remove(at);
            // Show the market that took its place (or the new last one); `select_symbol`
            // skips the index already selected, so forget the old one first.
            m.selected = usize::MAX;
            let next = at.min(m.symbols.len().saturating_sub(1));
            self.select_symbol(next);
        }
        self.say(format!("{label} removed from the watchlist"));
    }

    /// A rule from a typed level: `price > L` when above the last price, `price < L` below.
    fn add_price_alert(&mut self, level: &str) {
        use crate::alerts::{Channel, Condition, Repeat, Rule};
        if self.model.settings.attached {
            return self.say(ATTACHED_ALERTS);
        }
        let Ok(l) = Price::parse(level) else {
            return self.say(format!("{level:?} is not a price"));
        };
        let Some(last) = self.model.last_price() else {
            return self.say("no price yet to set an alert against");
        };
        if l == last || l.raw() <= 0 {
            return self.say("the level must differ from the last price");
        }
        let symbol = self.model.symbol();
        let op = if l > last { ">" } else { "<" };
        let when = format!("price {op} {l}");
        let Ok(condition) = Condition::parse(&when) else {
            return;
        };
        let rule = Rule {
            name: format!("{} {op} {l}", self.model.label(symbol)),
            symbol: Some(symbol),
            timeframe: self.model.timeframe,
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
}
