//! One coin on several markets in one chart: each watched market of the shown coin (its
//! venues, its composite) as its % change from the first candle of the window, so venues'
//! moves and their spread read at a glance. A legend names each line with its last change.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Widget};

use super::Ctx;
use super::braille::Braille;
use super::candles::split_axis;
use super::scale::Scale;
use super::theme::{SeriesColor, Theme};
use crate::app::Panel;
use crate::domain::{Millis, Symbol};

/// One line per market: its colour, its (time, % change) points, oldest first.
struct Trace {
    symbol: Symbol,
    style: Style,
    points: Vec<(Millis, f64)>,
}

fn colours(t: &Theme) -> [Style; 5] {
    [
        t.series(SeriesColor::Primary),
        t.series(SeriesColor::Secondary),
        t.series(SeriesColor::Band),
        t.accent(),
        t.direction(true),
    ]
}

pub fn render(cx: &Ctx, area: Rect, buf: &mut Buffer) {
    let t = &cx.model.settings.theme;
    let symbols = cx.model.overlay_symbols();
    let coin = crate::app::news::base_asset(&cx.model.symbol()).to_string();
    let title = Line::from(vec![
        Span::styled(format!(" {coin} on {} markets ", symbols.len()), t.title()),
        Span::styled(format!("{} · % change ", cx.model.timeframe), t.accent()),
    ]);
    let block = Block::bordered()
        .border_style(t.border(cx.focus == Panel::Chart))
        .title(title);
    let inner = block.inner(area);
    block.render(area, buf);
    if inner.height < 3 || inner.width < 12 {
        return;
    }
    if symbols.len() < 2 {
        let msg = format!("{coin} is watched on one market only: add another with /");
        buf.set_stringn(inner.x, inner.y, msg, inner.width as usize, t.dim());
        return;
    }
    // The plot's width does not depend on how many rows the legend takes.
    let (plot, _) = split_axis(inner);
    let tf_ms = cx.model.timeframe.millis();
    // The window: as many candles as the plot has dot columns, ending at the newest candle of
    // any of the markets.
    let span = plot.width as i64 * 2;
    let series: Vec<_> = symbols
        .iter()
        .map(|s| {
            let key = crate::domain::SeriesKey {
                symbol: *s,
                timeframe: cx.model.timeframe,
            };
            cx.model
                .series
                .get(&key)
                .map(|x| x.candles())
                .unwrap_or(&[])
        })
        .collect();
    let Some(end) = series
        .iter()
        .filter_map(|c| c.last().map(|c| c.open_time))
        .max()
    else {
        buf.set_stringn(
            inner.x,
            inner.y,
            "no data yet",
            inner.width as usize,
            t.dim(),
        );
        return;
    };
    let start = end - (span - 1) * tf_ms;
    let palette = colours(t);
    let traces: Vec<Trace> = symbols
        .iter()
        .zip(&series)
        .enumerate()
        .map(|(i, (s, candles))| {
            let from = candles.partition_point(|c| c.open_time < start);
            let shown = &candles[from..];
            let base = shown.first().map(|c| c.close.to_f64()).unwrap_or(0.0);
            let points = if base > 0.0 {
                shown
                    .iter()
                    .map(|c| (c.open_time, (c.close.to_f64() / base - 1.0) * 100.0))
                    .collect()
            } else {
                Vec::new()
            };
            Trace {
                symbol: *s,
                style: palette[i % palette.len()],
                points,
            }
        })
        .collect();

    // The legend names every market: entries wrap onto further rows rather than being cut (a
    // cut legend hid the composite), leaving at least two rows for the plot.
    let mut rows: Vec<Vec<Span>> = vec![Vec::new()];
    let mut used = 0usize;
    for tr in &traces {
        let last = tr.points.last().map(|p| p.1);
        let name = format!(
            "{} {} ",
            cx.model.label(tr.symbol),
            last.map_or("–".to_string(), |v| format!("{v:+.2}%"))
        );
        let w = 2 + name.chars().count();
        if used > 0 && used + w > inner.width as usize {
            rows.push(Vec::new());
            used = 0;
        }
        used += w;
        let row = rows.last_mut().expect("a row");
        row.push(Span::styled("━ ", tr.style));
        row.push(Span::raw(name));
    }
    let legend_rows = (rows.len() as u16).min(inner.height.saturating_sub(2));
    for (i, row) in rows.into_iter().take(legend_rows as usize).enumerate() {
        buf.set_line(inner.x, inner.y + i as u16, &Line::from(row), inner.width);
    }
    let body = Rect {
        y: inner.y + legend_rows,
        height: inner.height - legend_rows,
        ..inner
    };
    let (plot, axis) = split_axis(body);

    let Some(scale) = Scale::fit(
        traces
            .iter()
            .flat_map(|tr| tr.points.iter().map(|p| p.1))
            .chain([0.0]),
        plot.height,
    ) else {
        return;
    };
    let mut dots = Braille::new(plot);
    // A short window (few candles yet) is spread across the plot, as the candle chart does.
    let first = traces
        .iter()
        .filter_map(|tr| tr.points.first().map(|p| p.0))
        .min()
        .unwrap_or(start);
    let width = (dots.width() - 1).max(1) as i64;
    let x_of = |at: Millis| ((at - first) * width / (end - first).max(tf_ms)) as i32;
    // The zero line first, so every market's line draws over it.
    let zero = scale.dot(0.0);
    dots.line((0, zero), (dots.width() - 1, zero), t.dim());
    for tr in &traces {
        for w in tr.points.windows(2) {
            let a = (x_of(w[0].0), scale.dot(w[0].1));
            let b = (x_of(w[1].0), scale.dot(w[1].1));
            dots.line(a, b, tr.style);
        }
        if let [only] = tr.points.as_slice() {
            dots.dot(x_of(only.0), scale.dot(only.1), tr.style);
        }
    }
    dots.render(buf);
    if let Some(axis) = axis {
        let (lo, hi) = (scale.lo, scale.hi);
        for (v, y) in [
            (hi, axis.y),
            (lo, axis.bottom() - 1),
            (0.0, axis.y + scale.row(0.0)),
        ] {
            buf.set_stringn(
                axis.x + 1,
                y,
                format!("{v:+.2}%"),
                axis.width.saturating_sub(1) as usize,
                t.dim(),
            );
        }
    }
}
