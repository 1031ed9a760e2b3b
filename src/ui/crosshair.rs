//! The crosshair's readout: the candle under it (local date and time, exact O/H/L/C and
//! volume, change from the candle before) and every indicator's value there, written over
//! the chart's top row, plus its time on the time axis.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::candles::{Bar, glyph_offset};
use super::text;
use super::theme::{SeriesColor, Theme};
use crate::app::time::TimeZone;
use crate::domain::{Candle, Price, Qty, Timeframe};
use crate::indicators::Study;

/// Where the crosshair is: the bar (chart column) and the candles folded into it.
pub struct Cursor {
    pub bar: usize,
    /// Indices into the visible candles: first..=last folded into the bar.
    pub first: usize,
    pub last: usize,
}

impl Cursor {
    /// The bar holding the candle that opens at `at` (or the last one before it).
    pub fn find(candles: &[Candle], bars: &[Bar], at: i64) -> Option<Cursor> {
        let j = candles
            .partition_point(|c| c.open_time <= at)
            .checked_sub(1)?;
        let bar = bars
            .partition_point(|b| b.last < j)
            .min(bars.len().checked_sub(1)?);
        let first = match bar {
            0 => 0,
            b => bars[b - 1].last + 1,
        };
        Some(Cursor {
            bar,
            first,
            last: bars[bar].last,
        })
    }
}

/// A value for the readout: two decimals, or four significant digits when small (a pair
/// priced in satoshis has an RSI of 55.20 and a MACD of 0.00000123).
fn value(v: Option<f64>) -> String {
    match v {
        None => "–".into(),
        Some(v) if v.abs() >= 1.0 || v == 0.0 => format!("{v:.2}"),
        Some(v) => format!(
            "{v:.*}",
            (3 - v.abs().log10().floor() as i32).clamp(2, 12) as usize
        ),
    }
}

/// The readout for the candles `first..=last` of `candles` (one bar), in short lines that fit
/// a narrow chart: when, change and volume; O/H/L/C; the panes' indicators; the overlays.
pub fn readout<'a>(
    candles: &[Candle],
    cur: &Cursor,
    studies: &[Study],
    f: &Frame,
    width: u16,
) -> Vec<Line<'a>> {
    let (tf, tz, t) = (f.tf, f.tz, f.theme);
    let group = &candles[cur.first..=cur.last];
    let open = group[0].open;
    let close = group[group.len() - 1].close;
    let high = group.iter().map(|c| c.high).max().unwrap_or(open);
    let low = group.iter().map(|c| c.low).min().unwrap_or(open);
    let volume = group.iter().fold(Qty::ZERO, |v, c| v + c.volume);
    // Absent where the venue's klines give no count: `–`, never a 0 that would mean no trades.
    let trades: Option<u64> = group.iter().map(|c| c.trades).sum();
    let before = cur.first.checked_sub(1).map(|i| candles[i].close);
    let base: Price = before.unwrap_or(open);
    let change = if base.is_zero() {
        0.0
    } else {
        (close.to_f64() / base.to_f64() - 1.0) * 100.0
    };
    let fmt = if tf >= Timeframe::D1 {
        "%Y-%m-%d"
    } else {
        "%Y-%m-%d %H:%M"
    };
    let i = cur.last;
    let field = |k: &str| Span::styled(format!(" {k} "), t.dim());
    let up = close >= open;
    let when = Line::from(vec![
        Span::styled(
            format!("✚ {} ", tz.format(group[0].open_time, fmt)),
            t.selected(),
        ),
        Span::styled(format!(" {change:+.2}%"), t.direction(change >= 0.0)),
        field("V"),
        Span::raw(super::text::exact(
            volume,
            f.precision.size.map_or(0, usize::from),
        )),
        field("N"),
        Span::raw(super::text::dash(trades)),
    ]);
    // The market's own decimals, else the most the four prices need: one width for all.
    let dp = super::text::column_decimals(f.precision.price, [open, high, low, close]);
    let price = |p: Price| super::text::exact(p, dp);
    let prices = Line::from(vec![
        field("O"),
        Span::raw(price(open)),
        field("H"),
        Span::raw(price(high)),
        field("L"),
        Span::raw(price(low)),
        field("C"),
        Span::styled(price(close), t.direction(up)),
    ]);
    let mut lines = vec![when, prices];
    // Then each pane's values, then each overlay's in its own colour (the legend at the
    // crosshair), as many entries a line as fit the plot.
    let entry = |study: &Study, style: Style, sep: &str| {
        let def = study.spec.def();
        let values: Vec<String> = def
            .outputs
            .iter()
            .zip(&study.outputs)
            .enumerate()
            .map(|(n, (name, v))| {
                let v = value(v.get(i).copied().filter(|x| x.is_finite()));
                if n == 0 || sep != " " {
                    v
                } else {
                    format!("{name} {v}")
                }
            })
            .collect();
        vec![
            Span::styled(format!(" {} ", study.spec.label()), style),
            Span::raw(values.join(sep)),
        ]
    };
    let panes = studies
        .iter()
        .filter(|s| !s.spec.def().overlay)
        .map(|s| entry(s, t.series(SeriesColor::Primary), " "));
    lines.extend(packed(panes, width));
    let overlays = studies
        .iter()
        .filter(|s| s.spec.def().overlay)
        .enumerate()
        .map(|(n, s)| entry(s, super::panes::overlay_style(t, n), " / "));
    lines.extend(packed(overlays, width));
    lines
}

/// Entries (spans each) on as few lines of `width` columns as hold them whole; an entry wider
/// than the line gets one of its own (and is cut there).
fn packed<'a>(entries: impl Iterator<Item = Vec<Span<'a>>>, width: u16) -> Vec<Line<'a>> {
    let mut out: Vec<Vec<Span<'a>>> = Vec::new();
    let mut used = 0usize;
    for e in entries {
        let w: usize = e.iter().map(|s| s.content.chars().count()).sum();
        match out.last_mut() {
            Some(line) if used + w <= width as usize => {
                line.extend(e);
                used += w;
            }
            _ => {
                out.push(e);
                used = w;
            }
        }
    }
    out.into_iter().map(Line::from).collect()
}

/// How the chart draws: columns per bar, timeframe, time zone, theme.
pub struct Frame<'a> {
    pub slot: u16,
    pub tf: Timeframe,
    pub tz: TimeZone,
    pub theme: &'a Theme,
    /// The market's decimals, where its venue listed them.
    pub precision: crate::domain::Precision,
}

/// The cursor's time on the time axis row, highlighted under its column.
pub fn time_label(cur: &Cursor, candles: &[Candle], f: &Frame, row: Rect, buf: &mut Buffer) {
    let (slot, tf, tz, t) = (f.slot, f.tf, f.tz, f.theme);
    let fmt = if tf >= Timeframe::D1 {
        "%m-%d"
    } else if tf >= Timeframe::H1 {
        "%m-%d %H:%M"
    } else {
        "%H:%M"
    };
    let label = format!(" {} ", tz.format(candles[cur.first].open_time, fmt));
    let w = label.chars().count() as u16;
    let x = row.x + cur.bar as u16 * slot + glyph_offset(slot);
    let start = x
        .saturating_sub(w / 2)
        .clamp(row.x, row.right().saturating_sub(w).max(row.x));
    buf.set_stringn(
        start,
        row.bottom().saturating_sub(1),
        text::clean(&label),
        row.width.saturating_sub(start - row.x) as usize,
        t.selected(),
    );
}
