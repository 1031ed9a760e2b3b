//! Several charts at once: the shown market's chart (the one the keys drive) and, by the
//! `layout` key, one or three more beside it: the next markets of the watchlist, or the
//! shown market at other timeframes. The others follow their live candles at the main
//! chart's zoom.

use super::state::App;
use crate::domain::{SeriesKey, Timeframe};

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
}

impl ChartLayout {
    pub fn next(self) -> ChartLayout {
        match self {
            ChartLayout::Single => ChartLayout::TwoMarkets,
            ChartLayout::TwoMarkets => ChartLayout::FourMarkets,
            ChartLayout::FourMarkets => ChartLayout::FourTimeframes,
            ChartLayout::FourTimeframes => ChartLayout::Single,
        }
    }

    pub fn charts(self) -> usize {
        match self {
            ChartLayout::Single => 1,
            ChartLayout::TwoMarkets => 2,
            ChartLayout::FourMarkets | ChartLayout::FourTimeframes => 4,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            ChartLayout::Single => "one chart",
            ChartLayout::TwoMarkets => "two markets",
            ChartLayout::FourMarkets => "four markets",
            ChartLayout::FourTimeframes => "four timeframes",
        }
    }
}

impl App {
    /// The series of every chart on screen, the shown one first (fewer than the layout asks
    /// for when there are not enough markets or timeframes).
    pub fn chart_keys(&self) -> Vec<SeriesKey> {
        let main = self.key();
        let mut keys = vec![main];
        let n = self.layout.charts();
        match self.layout {
            ChartLayout::Single => {}
            ChartLayout::TwoMarkets | ChartLayout::FourMarkets => {
                let order = self.watch_order();
                let at = order.iter().position(|i| *i == self.selected).unwrap_or(0);
                for k in 1..order.len() {
                    if keys.len() == n {
                        break;
                    }
                    let symbol = self.symbols[order[(at + k) % order.len()]];
                    keys.push(SeriesKey {
                        symbol,
                        timeframe: main.timeframe,
                    });
                }
            }
            ChartLayout::FourTimeframes => {
                let tfs: Vec<Timeframe> = self.timeframes.clone();
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

    pub fn cycle_layout(&mut self) {
        self.layout = self.layout.next();
        self.say(format!("layout: {}", self.layout.describe()));
        self.relayout();
        for key in self.chart_keys().into_iter().skip(1) {
            self.request_head(key, self.grid_page());
        }
    }

    /// The terminal's size, for laying the charts out (the event loop tells it).
    pub fn set_screen(&mut self, width: u16, height: u16) {
        self.screen = (width, height);
        self.relayout();
    }

    fn relayout(&mut self) {
        let (w, h) = self.screen;
        let area = ratatui::layout::Rect::new(0, 0, w, h);
        let cols = crate::ui::layout::chart_cols(area, self.watch_rows(), self.layout.charts());
        self.set_chart_cols(cols);
    }

    /// Candles asked for a grid chart: enough for its width and the indicators' warm-up.
    pub(super) fn grid_page(&self) -> usize {
        self.view.capacity(self.chart_cols).max(1) * 2 + super::state::WARMUP
    }
}
