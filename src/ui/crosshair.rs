//! The crosshair's readout: the candle under it (local date and time, exact O/H/L/C and
//! volume, change from the candle before) and every indicator's value there, written over
//! the chart's top row, plus its time on the time axis.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::candles::{Bar, glyph_offset};
use super::text;
use super::theme::{SeriesColor, Theme};
use crate::app::time::TimeZone;
use crate::domain::{Candle, Price, Qty, Timeframe};
use crate::indicators::IndicatorSet;

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
/// a narrow chart: when, change and volume; O/H/L/C; oscillators; Bollinger bands.
pub fn readout<'a>(
    candles: &[Candle],
    cur: &Cursor,
    ind: &IndicatorSet,
    f: &Frame,
) -> [Line<'a>; 4] {
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
    let at = |v: &[Option<f64>]| v.get(i).copied().flatten();
    let p = &ind.params;
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
    let oscillators = Line::from(vec![
        Span::styled(format!(" RSI({}) ", p.rsi), t.series(SeriesColor::Primary)),
        Span::raw(value(at(&ind.rsi))),
        Span::styled(
            format!(" MOM({}) ", p.momentum),
            t.series(SeriesColor::Primary),
        ),
        Span::raw(value(at(&ind.momentum))),
        Span::styled(" MACD ", t.series(SeriesColor::Primary)),
        Span::raw(format!(
            "{} sig {} hist {}",
            value(at(&ind.macd.macd)),
            value(at(&ind.macd.signal)),
            value(at(&ind.macd.hist))
        )),
    ]);
    let bands = Line::from(vec![
        Span::styled(
            format!(" BB({},{}) ", p.bollinger, p.bollinger_k),
            t.series(SeriesColor::Band),
        ),
        Span::raw(format!(
            "{} / {} / {}",
            value(at(&ind.bollinger.upper)),
            value(at(&ind.bollinger.middle)),
            value(at(&ind.bollinger.lower))
        )),
    ]);
    [when, prices, oscillators, bands]
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
