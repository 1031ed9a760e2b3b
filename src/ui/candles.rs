//! The candlestick chart. Each candle is one column; each row is split in two halves, with
//! light box-drawing lines for wicks and heavy ones for bodies (│ ┃ and their half forms
//! ╵ ╷ ╹ ╻ ╽ ╿), so bodies and wicks are drawn at twice the terminal's vertical resolution.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::panes::{OVERLAY_GLYPHS, OverlayDots};
use super::scale::{Scale, nice_ticks};
use super::text;
use super::theme::{SeriesColor, Theme};
pub use crate::app::geometry::{AXIS_WIDTH, Bar, fold, split_axis};

/// Which column of a `slot`-wide slot holds the glyph.
pub fn glyph_offset(slot: u16) -> u16 {
    (slot.max(1) - 1) / 2
}

/// Whether a cell holds an overlay's dot (which labels and the crosshair may cover).
fn is_overlay_dot(symbol: &str) -> bool {
    let mut chars = symbol.chars();
    matches!((chars.next(), chars.next()), (Some(c), None) if OVERLAY_GLYPHS.contains(&c))
}

pub struct CandleChart<'a> {
    pub bars: &'a [Bar],
    pub theme: &'a Theme,
    /// Columns per bar (1, or more when zoomed in).
    pub slot: u16,
    /// The chosen overlays' dots, aligned with `bars`, drawn in this order.
    pub overlays: &'a [OverlayDots],
    /// Draw the last-price line and label at this price.
    pub last: Option<f64>,
    /// The crosshair's bar (an index into `bars`): a vertical mark through its column and its
    /// close on the price axis.
    pub cursor: Option<usize>,
    /// Alert levels (price rules on this market): a dashed line each, inside the price range.
    pub levels: &'a [f64],
    /// The user's average cost in this market and its label (`cost`; a perp's `entry`): a
    /// dotted line so labelled, or the label alone with an arrow at the top or bottom when the
    /// price range does not reach it.
    pub cost: Option<(f64, &'static str)>,
}

impl<'a> CandleChart<'a> {
    pub fn new(bars: &'a [Bar], theme: &'a Theme) -> CandleChart<'a> {
        CandleChart {
            bars,
            theme,
            slot: 1,
            overlays: &[],
            last: bars.last().map(|b| b.close),
            cursor: None,
            levels: &[],
            cost: None,
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Half {
    Empty,
    Wick,
    Body,
}

/// A falling candle's body without colour: filled blocks, so rising (line) and falling
/// (block) candles differ in shape as well as in weight. Where a wick shares the cell with
/// the body, the body wins.
fn filled_glyph(lower: Half, upper: Half) -> char {
    use Half::*;
    match (lower, upper) {
        (Body, Body) => '█',
        (Body, _) => '▄',
        (_, Body) => '▀',
        (l, u) => glyph(l, u),
    }
}

/// The glyph for a cell from what its lower and upper halves hold.
fn glyph(lower: Half, upper: Half) -> char {
    use Half::*;
    match (lower, upper) {
        (Empty, Empty) => ' ',
        (Wick, Wick) => '│',
        (Body, Body) => '┃',
        (Empty, Wick) => '╵',
        (Wick, Empty) => '╷',
        (Empty, Body) => '╹',
        (Body, Empty) => '╻',
        (Wick, Body) => '╿',
        (Body, Wick) => '╽',
    }
}

impl Widget for CandleChart<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        if area.is_empty() || self.bars.is_empty() {
            return;
        }
        let (plot, axis) = split_axis(area);
        let slot = self.slot.max(1);
        let shown = self.bars.len().min((plot.width / slot) as usize).max(1);
        let bars = &self.bars[self.bars.len() - shown.min(self.bars.len())..];
        let skip = self.bars.len() - bars.len();
        let Some(scale) = Scale::fit(bars.iter().flat_map(|b| [b.low, b.high]), plot.height) else {
            return;
        };

        let line_row = self.last.map(|p| scale.row(p));
        for (i, b) in bars.iter().enumerate() {
            let x = plot.x + i as u16 * slot + glyph_offset(slot);
            if x >= plot.right() {
                break;
            }
            let (wl, wh) = (scale.unit(b.low), scale.unit(b.high));
            let (bl, bh) = (
                scale.unit(b.open.min(b.close)),
                scale.unit(b.open.max(b.close)),
            );
            let half = |u: i32| {
                if (bl..=bh).contains(&u) {
                    Half::Body
                } else if (wl..=wh).contains(&u) {
                    Half::Wick
                } else {
                    Half::Empty
                }
            };
            let style = self.theme.direction(b.up());
            let shape = if self.theme.has_color() || b.up() {
                glyph
            } else {
                filled_glyph
            };
            for r in 0..plot.height {
                let lower = 2 * (plot.height as i32 - 1 - r as i32);
                let g = shape(half(lower), half(lower + 1));
                if g != ' ' {
                    buf[(x, plot.y + r)].set_char(g).set_style(style);
                }
            }
        }

        // Overlays dot the empty cells only: a candle is never hidden by a line over it.
        for overlay in self.overlays {
            for (i, _) in bars.iter().enumerate() {
                let x = plot.x + i as u16 * slot + glyph_offset(slot);
                for line in &overlay.lines {
                    let Some(v) = line.get(skip + i).copied().flatten() else {
                        continue;
                    };
                    if v < scale.lo || v > scale.hi {
                        continue;
                    }
                    let cell = &mut buf[(x, plot.y + scale.row(v))];
                    if cell.symbol() == " " {
                        cell.set_char(overlay.glyph).set_style(overlay.style);
                    }
                }
            }
        }

        for &level in self.levels {
            if level < scale.lo || level > scale.hi {
                continue;
            }
            let style = self.theme.accent();
            let row = plot.y + scale.row(level);
            for x in plot.left()..plot.right() {
                let cell = &mut buf[(x, row)];
                if cell.symbol() == " " {
                    cell.set_char('╌').set_style(style);
                }
            }
        }

        // Where the cost's label is: the last price's line, drawn after, leaves it whole.
        let mut label_at: Option<(u16, std::ops::Range<u16>)> = None;
        if let Some((cost, name)) = self.cost.filter(|c| c.0.is_finite()) {
            let style = self.theme.series(SeriesColor::Secondary);
            let (row, arrow) = if cost > scale.hi {
                (0, "▲ ")
            } else if cost < scale.lo {
                (plot.height - 1, "▼ ")
            } else {
                (scale.row(cost), "")
            };
            let y = plot.y + row;
            if arrow.is_empty() {
                for x in plot.left()..plot.right() {
                    let cell = &mut buf[(x, y)];
                    if cell.symbol() == " " {
                        cell.set_char('┄').set_style(style);
                    }
                }
            }
            // The label whole, in the leftmost stretch of the row no candle crosses (over
            // lines and band dots); none where no stretch is long enough.
            let label: Vec<char> = format!("{arrow}{name} {}", text::price(cost))
                .chars()
                .collect();
            let free = |x: u16| {
                let s = buf[(x, y)].symbol();
                matches!(s, " " | "┄" | "╌" | "┈") || is_overlay_dot(s)
            };
            let width = label.len() as u16;
            let start = (plot.left()..plot.right().saturating_sub(width.saturating_sub(1)))
                .find(|&x0| (x0..x0 + width).all(free));
            if let Some(x0) = start {
                for (x, &ch) in (x0..).zip(&label) {
                    buf[(x, y)].set_char(ch).set_style(style);
                }
                label_at = Some((y, x0..x0 + width));
            }
        }

        if let Some(row) = line_row {
            let style = self.theme.dim();
            let y = plot.y + row;
            for x in plot.left()..plot.right() {
                if label_at
                    .as_ref()
                    .is_some_and(|(ly, span)| *ly == y && span.contains(&x))
                {
                    continue;
                }
                let cell = &mut buf[(x, y)];
                if cell.symbol() == " " {
                    cell.set_char('┈').set_style(style);
                }
            }
        }

        if let Some(axis) = axis {
            price_axis(
                buf,
                axis,
                &scale,
                self.theme,
                self.last,
                bars.last().is_none_or(Bar::up),
            );
        }

        let cursor = self
            .cursor
            .and_then(|c| c.checked_sub(skip))
            .filter(|&c| c < bars.len());
        if let Some(c) = cursor {
            let x = plot.x + c as u16 * slot + glyph_offset(slot);
            let style = self.theme.dim();
            for y in plot.top()..plot.bottom() {
                let cell = &mut buf[(x, y)];
                if matches!(cell.symbol(), " " | "┈") || is_overlay_dot(cell.symbol()) {
                    cell.set_char('┊').set_style(style);
                }
            }
            if let Some(axis) = axis {
                let close = bars[c].close;
                let width = (axis.width - 1) as usize;
                let label = format!("{:<width$}", text::price(close));
                let style = self.theme.selected();
                buf.set_stringn(axis.x + 1, axis.y + scale.row(close), label, width, style);
            }
        }
    }
}

/// Tick labels on nice numbers, and the last price highlighted on its own row.
pub fn price_axis(
    buf: &mut Buffer,
    axis: Rect,
    scale: &Scale,
    theme: &Theme,
    last: Option<f64>,
    up: bool,
) {
    let max_ticks = (axis.height as usize / 3).max(1);
    let (ticks, decimals) = nice_ticks(scale.lo, scale.hi, max_ticks);
    let last_row = last.map(|p| scale.row(p));
    let width = (axis.width - 1) as usize;
    let mut prev_row: Option<u16> = None;
    for t in ticks.iter().rev() {
        let row = scale.row(*t);
        if Some(row) == last_row || prev_row.is_some_and(|p| row <= p + 1) {
            continue;
        }
        prev_row = Some(row);
        let label = format!("{t:.decimals$}");
        buf.set_stringn(axis.x + 1, axis.y + row, &label, width, theme.dim());
    }
    if let (Some(p), Some(row)) = (last, last_row) {
        let label = format!("{:<width$}", text::price(p));
        buf.set_stringn(axis.x, axis.y + row, "◀", 1, theme.direction(up));
        buf.set_stringn(axis.x + 1, axis.y + row, label, width, theme.last_price(up));
    }
}
