//! Which candles the chart shows: a zoom level and an anchor (the open time of the rightmost
//! candle, or none to follow the live head). Anchoring by time, not index, keeps the view
//! steady while older pages are prepended and new candles arrive.

use std::ops::Range;

use crate::domain::{Candle, Millis, Timeframe};

/// Zoomed out: 2^-zoom candles folded into one column. Zoomed in: zoom+1 columns per candle.
pub const ZOOM_MIN: i8 = -4;
pub const ZOOM_MAX: i8 = 2;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Viewport {
    pub zoom: i8,
    /// Open time of the rightmost visible candle; None follows the latest.
    pub anchor: Option<Millis>,
    /// "Go to oldest" while older pages are still loading: re-pin when each page lands.
    pub pinned_oldest: bool,
}

impl Viewport {
    /// Candles folded into one chart column (1 unless zoomed out).
    pub fn candles_per_col(&self) -> usize {
        if self.zoom < 0 {
            1 << (-self.zoom) as usize
        } else {
            1
        }
    }

    /// Columns one (folded) candle takes: the glyph plus gaps when zoomed in.
    pub fn slot_cols(&self) -> u16 {
        if self.zoom > 0 {
            self.zoom as u16 + 1
        } else {
            1
        }
    }

    /// How many candles fit in `cols` chart columns.
    pub fn capacity(&self, cols: u16) -> usize {
        (cols / self.slot_cols()) as usize * self.candles_per_col()
    }

    /// The visible index range of `candles` for a chart `cols` wide.
    pub fn window(&self, candles: &[Candle], cols: u16) -> Range<usize> {
        let n = candles.len();
        let cap = self.capacity(cols).max(1);
        let end = match self.anchor {
            None => n,
            Some(t) => candles.partition_point(|c| c.open_time <= t).max(1).min(n),
        };
        let start = end.saturating_sub(cap);
        // Anchored near the oldest candle: fill the width rather than leave it half empty.
        let end = end.max((start + cap).min(n));
        start..end
    }

    pub fn zoom_in(&mut self) -> bool {
        self.set_zoom(self.zoom + 1)
    }

    pub fn zoom_out(&mut self) -> bool {
        self.set_zoom(self.zoom - 1)
    }

    fn set_zoom(&mut self, z: i8) -> bool {
        let z = z.clamp(ZOOM_MIN, ZOOM_MAX);
        let changed = z != self.zoom;
        self.zoom = z;
        changed
    }

    /// Moves the right edge by `delta` candles (negative = older), never past either end.
    pub fn pan(&mut self, candles: &[Candle], cols: u16, delta: isize) {
        self.pinned_oldest = false;
        let n = candles.len();
        if n == 0 {
            return;
        }
        let cap = self.capacity(cols).max(1);
        let end = self.window(candles, cols).end as isize;
        let lowest = cap.min(n) as isize;
        let new_end = (end + delta).clamp(lowest, n as isize) as usize;
        self.anchor = (new_end < n).then(|| candles[new_end - 1].open_time);
    }

    /// One pan step: a quarter of the visible width, at least one candle.
    pub fn pan_step(&self, cols: u16) -> isize {
        (self.capacity(cols) / 4).max(1) as isize
    }

    pub fn to_latest(&mut self) {
        self.anchor = None;
        self.pinned_oldest = false;
    }

    /// Shows the oldest loaded candles; `more_to_load` keeps the view pinned there while
    /// older pages arrive.
    pub fn to_oldest(&mut self, candles: &[Candle], cols: u16, more_to_load: bool) {
        let n = candles.len();
        let cap = self.capacity(cols).max(1);
        self.anchor = (cap < n).then(|| candles[cap - 1].open_time);
        self.pinned_oldest = more_to_load;
    }

    /// Keeps looking at the same moment when the timeframe changes.
    pub fn retime(&mut self, tf: Timeframe) {
        self.anchor = self.anchor.map(|t| tf.bucket(t));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Price;

    fn series(n: i64) -> Vec<Candle> {
        (0..n)
            .map(|i| Candle::flat(i * 60_000, Price::from_int(1)))
            .collect()
    }

    #[test]
    fn zoom_levels_change_capacity_within_bounds() {
        let mut v = Viewport::default();
        assert_eq!(v.capacity(100), 100);
        while v.zoom_in() {}
        assert_eq!(v.zoom, ZOOM_MAX);
        assert_eq!(v.capacity(100), 33);
        while v.zoom_out() {}
        assert_eq!(v.zoom, ZOOM_MIN);
        assert_eq!(v.capacity(100), 1600);
    }

    #[test]
    fn pans_stop_at_both_ends() {
        let s = series(100);
        let mut v = Viewport::default();
        assert_eq!(v.window(&s, 40), 60..100);
        v.pan(&s, 40, -10);
        assert_eq!(v.window(&s, 40), 50..90);
        assert_eq!(v.anchor, Some(89 * 60_000));
        v.pan(&s, 40, -1000);
        assert_eq!(v.window(&s, 40), 0..40);
        v.pan(&s, 40, 1000);
        assert_eq!(v.anchor, None);
        assert_eq!(v.window(&s, 40), 60..100);
        v.to_oldest(&s, 40, false);
        assert_eq!(v.window(&s, 40), 0..40);
    }

    #[test]
    fn short_series_and_empty_windows() {
        let s = series(5);
        let v = Viewport::default();
        assert_eq!(v.window(&s, 40), 0..5);
        assert_eq!(v.window(&[], 40), 0..0);
        assert_eq!(v.window(&s, 0), 4..5);
    }
}
