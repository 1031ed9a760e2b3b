//! The watchlist: each configured symbol with its last price, 24 h change and a sparkline;
//! with several venues each market carries its venue, and below the list each composite shows
//! its members' last prices, which of them are stale, and the spread between the live ones.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Widget};

use super::{Ctx, Draw};
use super::{age_span, text};
use crate::app::Panel;
use crate::app::watchlist::WatchlistPanel;
use crate::app::watchlist::day_stats;
use crate::domain::{Candle, Symbol};

const SPARKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// One character per close, scaled between the visible minimum and maximum.
pub fn sparkline(closes: impl Iterator<Item = f64> + Clone) -> String {
    let (lo, hi) = closes
        .clone()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(v), h.max(v))
        });
    closes
        .map(|v| {
            let f = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
            SPARKS[((f * 7.0).round() as usize).min(7)]
        })
        .collect()
}

impl Draw for WatchlistPanel {
    fn draw(&self, cx: &Ctx, area: Rect, buf: &mut Buffer) {
        let t = &cx.model.settings.theme;
        let watch: Vec<(Symbol, &[Candle], Option<i64>)> = cx
            .model
            .symbols
            .iter()
            .map(|s| {
                let series = cx.model.series.get(&cx.model.watch_key(*s));
                let candles = series.map(|x| x.candles()).unwrap_or(&[]);
                (*s, candles, series.and_then(|x| x.live_at))
            })
            .collect();
        let newest = watch.iter().filter_map(|w| w.2).max();
        let age = cx.model.attached_age().or(newest.map(|at| {
            let a = (cx.model.now - at).max(0);
            (
                a,
                crate::app::freshness::level(a, cx.model.settings.freshness.candles),
            )
        }));
        let mut title = vec![Span::styled(" Watchlist ", t.title())];
        if !self.sort.label().is_empty() {
            title.push(Span::styled(format!("{} ", self.sort.label()), t.accent()));
        }
        title.push(age_span(age, t));
        let block = Block::bordered()
            .border_style(t.border(cx.focus == Panel::Watchlist))
            .title(Line::from(title));
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.is_empty() {
            return;
        }
        let w = inner.width as usize;
        let single = cx.model.single_venue();
        let name_w = if single {
            9
        } else {
            watch
                .iter()
                .map(|(s, ..)| s.as_str().len() + 5)
                .max()
                .unwrap_or(9)
                .max(9)
        };
        let order = cx.order;
        for (row, &i) in order.iter().enumerate().take(inner.height as usize) {
            let (sym, candles, _) = &watch[i];
            let y = inner.y + row as u16;
            let selected = i == cx.model.selected;
            let name = if single {
                sym.as_str().to_string()
            } else {
                format!("{:<3} {}", sym.venue().short(), sym.as_str())
            };
            let mut spans = vec![
                Span::styled(if selected { "▶ " } else { "  " }, t.accent()),
                Span::styled(
                    format!("{name:<name_w$}"),
                    if selected { t.title() } else { t.text() },
                ),
            ];
            let mut used = 2 + name_w;
            match day_stats(candles) {
                None => spans.push(Span::styled("no data", t.dim())),
                Some(d) => {
                    spans.push(Span::raw(format!("{:>10} ", text::price(d.close))));
                    match d.change {
                        Some(c) => spans.push(Span::styled(
                            format!("{}{:+.2}% ", if c >= 0.0 { "▲" } else { "▼" }, c),
                            t.direction(c >= 0.0),
                        )),
                        None => spans.push(Span::styled("   –    ", t.dim())),
                    }
                    used += 11 + 9;
                    // A perp's funding rate comes first of the extras: a trader reads it
                    // beside the price.
                    let funding = cx
                        .model
                        .derivs
                        .state(*sym)
                        .and_then(|s| s.last.funding_rate);
                    if let Some(rate) = funding.filter(|_| w >= used + 11) {
                        let pct = rate.to_f64() * 100.0;
                        spans.push(Span::styled(
                            format!("f{pct:+.4}% "),
                            t.direction(pct >= 0.0),
                        ));
                        used += 11;
                    }
                    // The day's quote volume where there is room for it and a sparkline.
                    if w >= used + 7 + 8 {
                        spans.push(Span::styled(
                            format!("{:>6} ", text::dash(d.quote_volume.map(text::compact))),
                            t.dim(),
                        ));
                        used += 7;
                    }
                    let spark_w = w.saturating_sub(used);
                    if spark_w >= 4 {
                        let tail = &candles[candles.len().saturating_sub(spark_w)..];
                        let up = tail.last().map(|c| c.close) >= tail.first().map(|c| c.close);
                        spans.push(Span::styled(
                            sparkline(tail.iter().map(|c| c.close.to_f64())),
                            t.direction(up),
                        ));
                    }
                }
            }
            let line = Line::from(spans);
            buf.set_line(inner.x, y, &line, inner.width);
            if selected && cx.focus == Panel::Watchlist {
                buf.set_style(Rect::new(inner.x, y, inner.width, 1), t.selected());
            }
        }
        let mut y = inner.y + watch.len() as u16;
        // The shown market's day, on the line below the list when there is one.
        if y < inner.y + inner.height
            && let Some(d) = cx.model.day_stats(cx.model.symbol())
        {
            let mut day = format!("H {}  L {}", text::price(d.high), text::price(d.low));
            let turnover = format!(
                "  turnover {}",
                text::dash(d.quote_volume.map(text::compact))
            );
            if 6 + day.chars().count() + turnover.len() <= w {
                day.push_str(&turnover);
            }
            let line = Line::from(vec![Span::styled("  24h ", t.dim()), Span::raw(day)]);
            buf.set_line(inner.x, y, &line, inner.width);
            y += 1;
        }
        for c in &cx.model.settings.composites {
            for line in composite_lines(cx, c) {
                if y >= inner.y + inner.height {
                    return;
                }
                buf.set_line(inner.x, y, &line, inner.width);
                y += 1;
            }
        }
    }
}

/// `BTC-USD spread 4.2 bp`, then one line per member: venue, last price, and its age when
/// it is stale.
fn composite_lines(cx: &Ctx, c: &crate::domain::Composite) -> Vec<Line<'static>> {
    let t = &cx.model.settings.theme;
    let view = cx.model.composite_view(c);
    let spread = match view.spread_bps {
        Some(bp) => format!("spread {bp:.1} bp"),
        None => "spread –".to_string(),
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("  {} ", view.symbol.as_str()), t.title()),
        Span::styled(spread, t.text()),
    ])];
    for m in &view.members {
        let price = m.last.map(text::price).unwrap_or_else(|| "–".to_string());
        let mut spans = vec![
            Span::styled(format!("   {:<9}", m.symbol.venue().name()), t.dim()),
            Span::raw(format!("{price:>10}")),
        ];
        if m.stale {
            let age = m
                .age_ms
                .map(crate::app::time::age)
                .unwrap_or_else(|| "never".into());
            spans.push(Span::styled(
                format!(" ✖ stale {age}"),
                t.level(crate::ui::theme::Level::Critical),
            ));
        }
        lines.push(Line::from(spans));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_spans_the_range() {
        assert_eq!(sparkline([1.0, 2.0, 3.0].into_iter()), "▁▅█");
        assert_eq!(sparkline([2.0, 2.0].into_iter()), "▅▅");
    }
}
