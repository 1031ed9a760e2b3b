//! The chart's geometry: candles folded into columns, how wide a column is, where the price axis
//! goes, and which candle a column shows. The App hit-tests with it (the mouse, the crosshair)
//! and the UI draws with it, so both agree to the column.

use ratatui::layout::Rect;

use super::chart::ChartPanel;
use super::model::Model;
use crate::domain::{Candle, Millis};

/// Width of the price axis on the right of every pane: a space and ten characters.
pub const AXIS_WIDTH: u16 = 11;

/// A candle in chart terms (possibly several folded into one column when zoomed out).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bar {
    pub open_time: Millis,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
    /// Index (in the input slice) of the last candle folded in, to sample indicators.
    pub last: usize,
}

impl Bar {
    pub fn up(&self) -> bool {
        self.close >= self.open
    }
}

/// Folds `candles` into bars of `per_col` candles, grouped by aligned time buckets of
/// `per_col * tf_ms` so groups do not shift as new candles arrive.
pub fn fold(candles: &[Candle], per_col: usize, tf_ms: i64) -> Vec<Bar> {
    let span = tf_ms.max(1) * per_col.max(1) as i64;
    let mut bars: Vec<Bar> = Vec::with_capacity(candles.len() / per_col.max(1) + 1);
    let mut group = None;
    for (i, c) in candles.iter().enumerate() {
        let (o, h, l, cl, v) = (
            c.open.to_f64(),
            c.high.to_f64(),
            c.low.to_f64(),
            c.close.to_f64(),
            c.volume.to_f64(),
        );
        let g = c.open_time.div_euclid(span);
        match bars.last_mut() {
            Some(b) if per_col > 1 && group == Some(g) => {
                b.high = b.high.max(h);
                b.low = b.low.min(l);
                b.close = cl;
                b.volume += v;
                b.last = i;
            }
            _ => bars.push(Bar {
                open_time: if per_col > 1 { g * span } else { c.open_time },
                open: o,
                high: h,
                low: l,
                close: cl,
                volume: v,
                last: i,
            }),
        }
        group = Some(g);
    }
    bars
}

/// The plot part of an area that has a price axis, and the axis (None when too narrow).
pub fn split_axis(area: Rect) -> (Rect, Option<Rect>) {
    if area.width > AXIS_WIDTH + 1 {
        let plot = Rect {
            width: area.width - AXIS_WIDTH,
            ..area
        };
        let axis = Rect {
            x: area.x + plot.width,
            width: AXIS_WIDTH,
            ..area
        };
        (plot, Some(axis))
    } else {
        (area, None)
    }
}

/// The widest a candle is drawn when a short series is spread across the chart.
const MAX_FIT_SLOT: u16 = 8;

/// Columns per bar: the zoom's, or wider when the series is too short to fill half the chart,
/// so 24 hourly candles read across the chart (ending at its right edge) rather than as a
/// sliver at its left.
pub fn fit_slot(zoom_slot: u16, bars: usize, cols: u16) -> u16 {
    let bars = bars.max(1) as u16;
    if bars.saturating_mul(zoom_slot) * 2 >= cols {
        return zoom_slot;
    }
    (cols / bars).clamp(zoom_slot, MAX_FIT_SLOT.max(zoom_slot))
}

/// Columns per bar and empty columns before the first: what is left of the width goes to the
/// left, so the newest candle sits at the right edge.
pub fn columns(zoom_slot: u16, bars: usize, cols: u16) -> (u16, u16) {
    let slot = fit_slot(zoom_slot, bars, cols);
    (slot, cols.saturating_sub(bars as u16 * slot))
}

/// The open time of the candle drawn at plot column `col` (0 = the plot's first column), for
/// the mouse; None between or beside the candles.
pub fn candle_at(m: &Model, chart: &ChartPanel, col: u16) -> Option<i64> {
    let cols = chart.cols;
    let shown = m.visible_candles(m.key(), &chart.view, cols);
    let bars = fold(
        shown,
        chart.view.candles_per_col(),
        m.key().timeframe.millis(),
    );
    let (slot, pad) = columns(chart.view.slot_cols(), bars.len(), cols);
    let i = (col.checked_sub(pad)? / slot.max(1)) as usize;
    let first = match i {
        0 => 0,
        i => bars.get(i - 1)?.last + 1,
    };
    bars.get(i)?;
    shown.get(first).map(|c| c.open_time)
}
