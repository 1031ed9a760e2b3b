//! The chart column: a bordered block titled with symbol, timeframe, the overlays' legend and
//! data age, holding the candles (with the chosen overlays), volume, the chosen indicator
//! panes, a perp's derivatives panes and the time axis.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use super::candles::{CandleChart, fold, split_axis};
use super::crosshair::{Cursor, Frame, readout, time_label};
use super::deriv_panes::DerivPanes;
use super::layout::{StudyRows, chart_grid, chart_layout, inner};
use super::panes::{Indicators, overlay_glyph, overlay_style, rows_of};
use super::time_axis::TimeAxis;
use super::{Ctx, Draw};
use super::{age_span, text, volume};
use crate::app::Panel;
use crate::app::chart::{ChartLayout, ChartPanel};
use crate::app::view::Viewport;
use crate::domain::{SeriesKey, Timeframe};
use crate::indicators::spec::Spec;

pub use crate::app::geometry::{candle_at, columns, fit_slot};

/// One chart of the grid: its series and view, whether the keys drive it.
struct Pane {
    key: SeriesKey,
    view: Viewport,
    crosshair: Option<i64>,
    focused: bool,
}

/// The chart column: the shown market's chart, and beside it the layout's other charts
/// (latest candles, the same zoom).
impl Draw for ChartPanel {
    fn draw(&self, cx: &Ctx, area: Rect, buf: &mut Buffer) {
        if self.equity {
            return super::portfolio::render_equity_chart(cx, area, buf);
        }
        if self.layout == ChartLayout::Overlay {
            return super::overlay::render(cx, area, buf);
        }
        let keys = self.keys(cx.model, cx.order);
        let grid = chart_grid(area, keys.len());
        for (i, (key, r)) in keys.into_iter().zip(grid).enumerate() {
            let pane = if i == 0 {
                Pane {
                    key,
                    view: self.view,
                    crosshair: self.crosshair,
                    focused: cx.focus == Panel::Chart,
                }
            } else {
                Pane {
                    key,
                    view: Viewport {
                        zoom: self.view.zoom,
                        ..Viewport::default()
                    },
                    crosshair: None,
                    focused: false,
                }
            };
            render_pane(self, cx, &pane, r, buf);
        }
    }
}

fn render_pane(chart: &ChartPanel, cx: &Ctx, pane: &Pane, area: Rect, buf: &mut Buffer) {
    let t = &cx.model.settings.theme;
    let key = pane.key;
    let mut title = vec![
        Span::styled(format!(" {} ", cx.model.label(key.symbol)), t.title()),
        Span::styled(format!("{} ", key.timeframe), t.accent()),
    ];
    let per_col = pane.view.candles_per_col();
    if per_col > 1 {
        title.push(Span::styled(format!("×{per_col}/col "), t.dim()));
    }
    if pane.view.anchor.is_some() {
        title.push(Span::styled("◀ history ", t.dim()));
    }
    // The overlays' legend: each name in its colour (with its glyph when there are several,
    // for terminals without colour).
    let overlays: Vec<_> = cx
        .model
        .settings
        .chosen
        .iter()
        .filter(|s| s.def().overlay)
        .collect();
    for (n, spec) in overlays.iter().enumerate() {
        let name = if overlays.len() > 1 {
            format!("{}{} ", overlay_glyph(n), spec.label())
        } else {
            format!("{} ", spec.label())
        };
        title.push(Span::styled(name, overlay_style(t, n)));
    }
    title.push(age_span(cx.model.chart_age_for(key), t));
    Block::bordered()
        .border_style(t.border(pane.focused))
        .title(Line::from(title))
        .render(area, buf);

    // A perp's derivatives strip takes the first row when the chart can spare it.
    let mut body = inner(area);
    if key.symbol.is_perp() && body.height >= 8 {
        super::derivs::render_strip(cx, key.symbol, Rect { height: 1, ..body }, buf);
        body.y += 1;
        body.height -= 1;
    }
    let pane_studies: Vec<&Spec> = cx
        .model
        .settings
        .chosen
        .iter()
        .filter(|s| !s.def().overlay)
        .collect();
    let rows: Vec<StudyRows> = pane_studies
        .iter()
        .map(|s| StudyRows {
            shown: chart.panes.shows(s.kind),
            rows: rows_of(s),
        })
        .collect();
    let areas = chart_layout(body, chart.panes.for_market(key.symbol.is_perp()), &rows);
    let cols = split_axis(areas.candles).0.width;
    let (candles, studies) = cx.model.studies_for(key, &pane.view, cols);
    if candles.is_empty() {
        let msg = match cx.model.series.get(&key) {
            Some(s) if s.loading => "loading stored history…",
            _ => "no data yet for this series",
        };
        Paragraph::new(Span::styled(msg, t.dim()))
            .centered()
            .render(
                Rect {
                    height: 1,
                    y: areas.candles.y + areas.candles.height / 2,
                    ..areas.candles
                },
                buf,
            );
        return;
    }
    let tf_ms = key.timeframe.millis();
    let bars = fold(candles, per_col, tf_ms);
    let (slot, pad) = columns(pane.view.slot_cols(), bars.len(), cols);
    let shift = |r: Rect| Rect {
        x: r.x + pad.min(r.width),
        width: r.width - pad.min(r.width),
        ..r
    };
    let panes = Indicators {
        bars: &bars,
        studies: &studies,
        slot,
        pad,
        theme: t,
    };
    let overlay_dots = panes.overlays();
    let cursor = pane
        .crosshair
        .and_then(|at| Cursor::find(candles, &bars, at));
    let frame = Frame {
        slot,
        tf: key.timeframe,
        tz: cx.model.settings.tz,
        theme: t,
        precision: cx.model.precision(key.symbol),
    };
    CandleChart {
        bars: &bars,
        theme: t,
        slot,
        overlays: &overlay_dots,
        last: bars.last().map(|b| b.close),
        cursor: cursor.as_ref().map(|c| c.bar),
        levels: &alert_levels(cx, key.symbol),
        cost: cx.model.holdings.position(key.symbol).map(|p| {
            let name = if key.symbol.is_perp() {
                "entry"
            } else {
                "cost"
            };
            (p.avg_cost, name)
        }),
    }
    .render(shift(areas.candles), buf);
    if let Some(r) = areas.volume {
        volume::render(&bars, slot, t, shift(r), buf);
    }
    // The studies are overlays then panes, as chosen: the n-th pane is after the overlays.
    let first_pane = studies.len() - pane_studies.len();
    for (n, r) in &areas.studies {
        if let Some(study) = studies.get(first_pane + n) {
            panes.pane(study, *r, buf);
        }
    }
    if key.symbol.is_perp() {
        let derivs = DerivPanes {
            bars: &bars,
            candles,
            bar_ms: tf_ms * per_col as i64,
            points: cx.model.derivs.history(key.symbol),
            spot: cx.model.basis_reference(key.symbol).map(|spot| {
                let series = cx.model.series.get(&SeriesKey {
                    symbol: spot,
                    timeframe: key.timeframe,
                });
                (spot, series)
            }),
            coin: crate::app::news::base_asset(&key.symbol),
            slot,
            pad,
            theme: t,
        };
        if let Some(r) = areas.funding {
            derivs.funding(r, buf);
        }
        if let Some(r) = areas.open_interest {
            derivs.open_interest(r, buf);
        }
        if let Some(r) = areas.basis {
            derivs.basis(r, buf);
        }
    }
    let marks: Vec<_> = cx
        .news
        .visible(crate::app::news::base_asset(&key.symbol))
        .map(|n| (n.published_at, t.sentiment(n.title_sentiment.label)))
        .collect();
    TimeAxis {
        bars: &bars,
        slot,
        bar_ms: tf_ms * per_col as i64,
        tz: cx.model.settings.tz,
        theme: t,
        marks: &marks,
    }
    .render(shift(split_axis(areas.time_axis).0), buf);
    if let Some(cur) = &cursor {
        time_label(
            cur,
            candles,
            &frame,
            shift(split_axis(areas.time_axis).0),
            buf,
        );
        // The readout over the candles' top rows, where the eye goes first.
        let plot = split_axis(areas.candles).0;
        let lines = readout(candles, cur, &studies, &frame, plot.width);
        for (i, line) in lines.iter().enumerate() {
            let y = plot.y + i as u16;
            if y >= plot.bottom() {
                break;
            }
            for x in plot.left()..plot.right() {
                buf[(x, y)].set_char(' ').set_style(t.text());
            }
            buf.set_line(plot.x, y, line, plot.width);
        }
    }
    // The newest candle's time where the axis column meets the time axis.
    if let (Some(axis), Some(last)) = (split_axis(areas.time_axis).1, candles.last()) {
        let axis = Rect {
            y: axis.bottom() - 1,
            height: 1,
            ..axis
        };
        let fmt = if key.timeframe >= Timeframe::H1 {
            "%m-%d"
        } else {
            "%H:%M"
        };
        let s = cx.model.settings.tz.format(last.open_time, fmt);
        buf.set_stringn(
            axis.x + 1,
            axis.y,
            text::clean(&s),
            (axis.width - 1) as usize,
            t.dim(),
        );
    }
}

/// The levels of the armed-or-not price rules on `symbol` (config and dashboard-made, enabled).
fn alert_levels(cx: &Ctx, symbol: crate::domain::Symbol) -> Vec<f64> {
    cx.model
        .all_rules()
        .into_iter()
        .filter(|(r, enabled)| r.symbol == Some(symbol) && enabled.unwrap_or(true))
        .filter_map(|(r, _)| match r.condition {
            crate::alerts::Condition::Price { level, .. } => Some(level.to_f64()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::fit_slot;

    #[test]
    fn short_series_spread_across_the_chart() {
        assert_eq!(fit_slot(1, 500, 100), 1, "a long series keeps the zoom");
        assert_eq!(fit_slot(1, 24, 110), 4, "24 candles fill 96 of 110 columns");
        assert_eq!(fit_slot(1, 2, 110), 8, "at most 8 columns a candle");
        assert_eq!(fit_slot(3, 10, 100), 8);
        assert_eq!(fit_slot(3, 40, 100), 3, "zoomed in and already wide enough");
        assert_eq!(fit_slot(1, 0, 100), 8);
    }
}
