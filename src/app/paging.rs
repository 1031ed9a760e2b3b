//! Paging stored history into the App: the newest page of each series on screen first, then
//! older pages while the view nears the oldest loaded candle (and a perp's spot reference for
//! its basis pane).

use super::event::Request;
use super::state::App;
use crate::domain::{Candle, Millis, SeriesKey};

/// Smallest page of history asked for at once.
const MIN_PAGE: usize = 500;
/// Page size while jumping to the oldest candle.
const OLDEST_PAGE: usize = 5_000;

impl App {
    pub(super) fn on_history(&mut self, key: SeriesKey, candles: Vec<Candle>, complete: bool) {
        let current = self.model.key();
        let s = self.model.series.entry(key).or_default();
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

    pub(super) fn request_head(&mut self, key: SeriesKey, limit: usize) {
        let s = self.model.series.entry(key).or_default();
        if s.requested {
            self.model.cache.0 += 1;
            return;
        }
        self.model.cache.1 += 1;
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
    pub(super) fn ensure_history(&mut self) {
        let page = self.chart.grid_page(&self.model);
        for key in self.chart_keys().into_iter().skip(1) {
            self.request_head(key, page);
        }
        let key = self.model.key();
        // The basis pane sets a perp against its spot reference candle for candle.
        if self.chart.panes.basis
            && let Some(spot) = self.model.basis_reference(key.symbol)
        {
            self.request_head(
                SeriesKey {
                    symbol: spot,
                    timeframe: key.timeframe,
                },
                page,
            );
        }
        let cols = self.chart.cols;
        let cap = self.chart.view.capacity(cols).max(1);
        let warmup = self.model.warmup();
        let page = (cap * 2).max(MIN_PAGE) + warmup;
        let watch = if self.model.watch_key(key.symbol) == key {
            self.model.watch_limit()
        } else {
            0
        };
        self.request_head(key, page.max(watch));
        let view = self.chart.view;
        let Some(s) = self.model.series.get_mut(&key) else {
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
        if view.pinned_oldest || before_loaded || w.start < cap.max(warmup) {
            self.model.cache.1 += 1;
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
}
