//! The chart panel's state: which candles it shows (zoom and anchor), the crosshair, the
//! lower panes, and how many charts (the `layout` key adds one or three beside the shown
//! market's: the next markets of the watchlist, or the shown market at other timeframes; the
//! others follow their live candles at the main chart's zoom). Its keys are handled here;
//! the App gives it the shown series' candles.

use super::component::{Component, Effect, Outcome};
use super::keymap::Action;
use super::layout::PaneSet;
use super::model::Model;
use super::view::Viewport;
use crate::domain::{Candle, Millis, SeriesKey};

#[derive(Clone, Debug, PartialEq)]
pub struct ChartPanel {
    pub view: Viewport,
    /// The crosshair's candle (its open time), while the crosshair is on.
    pub crosshair: Option<Millis>,
    /// The lower panes that are shown.
    pub panes: PaneSet,
    pub layout: ChartLayout,
    /// Width of the (first) candle plot in columns, as last laid out (pan steps, page sizes).
    pub cols: u16,
    /// The chart shows the portfolio's equity over time instead of the markets.
    pub equity: bool,
}

impl Default for ChartPanel {
    fn default() -> Self {
        ChartPanel {
            view: Viewport::default(),
            crosshair: None,
            panes: PaneSet::default(),
            layout: ChartLayout::default(),
            cols: 120,
            equity: false,
        }
    }
}

/// What a chart key did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChartKey {
    /// Not a chart key.
    Ignored,
    /// Done; nothing more to load.
    Done,
    /// The view moved: more history may be needed.
    Moved,
}

impl Component for ChartPanel {
    fn on_action(&mut self, a: Action, m: &Model) -> Outcome {
        if a == Action::Layout {
            self.layout = self.layout.next();
            return Outcome::Then(Effect::Layout);
        }
        let complete = m.current().is_some_and(|s| s.complete);
        match self.act(a, m.candles(), complete) {
            ChartKey::Ignored => Outcome::Ignored,
            ChartKey::Done => Outcome::Done,
            ChartKey::Moved => Outcome::Then(Effect::History),
        }
    }
}

impl ChartPanel {
    /// The chart's own keys, given the shown series (`complete`: nothing older is stored).
    pub fn act(&mut self, a: Action, candles: &[Candle], complete: bool) -> ChartKey {
        let cols = self.cols;
        match a {
            Action::Close if self.crosshair.is_some() => self.crosshair = None,
            Action::Close if self.equity => self.equity = false,
            Action::Crosshair => {
                self.crosshair = match self.crosshair {
                    Some(_) => None,
                    None => candles[self.view.window(candles, cols)]
                        .last()
                        .map(|c| c.open_time),
                }
            }
            Action::ToggleVolume => self.panes.volume = !self.panes.volume,
            Action::ToggleRsi => self.panes.rsi = !self.panes.rsi,
            Action::ToggleMacd => self.panes.macd = !self.panes.macd,
            Action::ToggleMomentum => self.panes.momentum = !self.panes.momentum,
            Action::ToggleFunding => self.panes.funding = !self.panes.funding,
            Action::ToggleOpenInterest => self.panes.open_interest = !self.panes.open_interest,
            Action::ToggleBasis => self.panes.basis = !self.panes.basis,
            Action::PanLeft | Action::PanRight if self.crosshair.is_some() => {
                let bars = if a == Action::PanLeft { -1 } else { 1 };
                self.move_crosshair(candles, bars);
                return ChartKey::Moved;
            }
            Action::ZoomIn => {
                self.view.zoom_in();
            }
            Action::ZoomOut => {
                self.view.zoom_out();
                return ChartKey::Moved;
            }
            Action::PanLeft | Action::PanRight => {
                let step = self.view.pan_step(cols);
                let delta = if a == Action::PanLeft { -step } else { step };
                self.view.pan(candles, cols, delta);
                return ChartKey::Moved;
            }
            Action::Oldest => {
                self.view.to_oldest(candles, cols, !complete);
                return ChartKey::Moved;
            }
            Action::Latest => self.view.to_latest(),
            _ => return ChartKey::Ignored,
        }
        ChartKey::Done
    }

    /// Moves the crosshair `bars` chart columns' worth of candles (negative = older), panning
    /// the view when it reaches an edge.
    pub fn move_crosshair(&mut self, candles: &[Candle], bars: isize) {
        let Some(at) = self.crosshair else { return };
        if candles.is_empty() {
            return;
        }
        let cols = self.cols;
        let per_col = self.view.candles_per_col() as isize;
        let here = candles.partition_point(|c| c.open_time < at) as isize;
        let to = (here + bars * per_col).clamp(0, candles.len() as isize - 1) as usize;
        self.crosshair = Some(candles[to].open_time);
        let w = self.view.window(candles, cols);
        if to < w.start {
            self.view.pan(candles, cols, to as isize - w.start as isize);
        } else if to >= w.end {
            self.view.pan(candles, cols, (to + 1 - w.end) as isize);
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ChartLayout {
    #[default]
    Single,
    /// The shown market and the next one in the watchlist, side by side.
    TwoMarkets,
    /// The shown market and the next three, two by two.
    FourMarkets,
    /// The shown market at up to four timeframes, two by two.
    FourTimeframes,
    /// Every watched market of the shown coin (its venues, its composite) in one chart, each
    /// as its % change over the window.
    Overlay,
}

impl ChartLayout {
    pub fn next(self) -> ChartLayout {
        match self {
            ChartLayout::Single => ChartLayout::TwoMarkets,
            ChartLayout::TwoMarkets => ChartLayout::FourMarkets,
            ChartLayout::FourMarkets => ChartLayout::FourTimeframes,
            ChartLayout::FourTimeframes => ChartLayout::Overlay,
            ChartLayout::Overlay => ChartLayout::Single,
        }
    }

    /// Whether the other charts are the next markets in the watchlist's order.
    pub fn follows_watchlist(self) -> bool {
        matches!(self, ChartLayout::TwoMarkets | ChartLayout::FourMarkets)
    }

    pub fn charts(self) -> usize {
        match self {
            ChartLayout::Single | ChartLayout::Overlay => 1,
            ChartLayout::TwoMarkets => 2,
            ChartLayout::FourMarkets | ChartLayout::FourTimeframes => 4,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            ChartLayout::Single => "one chart",
            ChartLayout::TwoMarkets => "two markets",
            ChartLayout::FourMarkets => "four markets",
            ChartLayout::FourTimeframes => "four timeframes",
            ChartLayout::Overlay => "the coin's markets overlaid in % change",
        }
    }
}

impl ChartPanel {
    /// The series of every chart on screen, the shown one first (fewer than the layout asks
    /// for when there are not enough markets or timeframes); the grid's other markets are the
    /// next ones in the watchlist's `order` (its rows: indices into the model's `symbols`).
    pub fn keys(&self, m: &Model, order: &[usize]) -> Vec<SeriesKey> {
        let main = m.key();
        let mut keys = vec![main];
        let n = self.layout.charts();
        match self.layout {
            ChartLayout::Single => {}
            ChartLayout::TwoMarkets | ChartLayout::FourMarkets => {
                let at = order.iter().position(|i| *i == m.selected).unwrap_or(0);
                for k in 1..order.len() {
                    if keys.len() == n {
                        break;
                    }
                    let symbol = m.symbols[order[(at + k) % order.len()]];
                    keys.push(SeriesKey {
                        symbol,
                        timeframe: main.timeframe,
                    });
                }
            }
            ChartLayout::Overlay => {
                keys.extend(
                    m.overlay_symbols()
                        .into_iter()
                        .filter(|s| *s != main.symbol)
                        .map(|symbol| SeriesKey {
                            symbol,
                            timeframe: main.timeframe,
                        }),
                );
            }
            ChartLayout::FourTimeframes => {
                let tfs = &m.settings.timeframes;
                let at = tfs.iter().position(|t| *t == main.timeframe).unwrap_or(0);
                // Longer timeframes first (the bigger picture), then shorter ones.
                let others = tfs[at + 1..].iter().chain(tfs[..at].iter().rev());
                for &timeframe in others.take(n - 1) {
                    keys.push(SeriesKey {
                        symbol: main.symbol,
                        timeframe,
                    });
                }
            }
        }
        keys
    }

    /// Candles asked for a grid chart: enough for its width and the indicators' warm-up.
    pub fn grid_page(&self, m: &Model) -> usize {
        self.view.capacity(self.cols).max(1) * 2 + m.warmup()
    }
}
