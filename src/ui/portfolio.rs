//! The portfolio popup: the user's positions (sorted by value, P&L or P&L %), the totals, the
//! risk figures and the equity over time with its drawdowns shaded, as the store valued them
//! when the popup opened. Amounts to two places;
//! a holding without a price shows `–`, never 0.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use super::Ctx;
use super::braille::Braille;
use super::layout::centered;
use super::text::{money, signed};
use super::theme::SeriesColor;
use crate::app::popup::PortfolioSort;
use crate::domain::Millis;
use crate::portfolio::history::Snapshot;
use crate::portfolio::report::{PortfolioReport, PositionReport};

fn num(s: &str) -> Option<f64> {
    s.parse().ok()
}

fn pct(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{v:.1}%"))
}

/// Unrealised P&L in percent of cost.
/// A coin by its name; a perp position as `P ` and its market without the venue
/// (`P BTCUSDT`, `P ETH-USDT` for OKX's ETH-USDT-SWAP).
fn asset_label(p: &PositionReport) -> String {
    match (&p.perp, p.asset.split_once(':')) {
        (Some(_), Some((_, market))) => format!("P {}", market.trim_end_matches("-SWAP")),
        _ => p.asset.clone(),
    }
}

fn pnl_pct(p: &PositionReport) -> Option<f64> {
    let (u, c) = (num(p.unrealized.as_deref()?)?, num(&p.cost)?);
    // A perp's on its entry value, long or short.
    let c = if p.perp.is_some() { c.abs() } else { c };
    (c > 0.0).then(|| u / c * 100.0)
}

pub fn render(cx: &Ctx, sort: PortfolioSort, area: Rect, buf: &mut Buffer) {
    let t = &cx.model.settings.theme;
    let mut lines: Vec<Line> = Vec::new();
    let mut title = "Portfolio · Esc".to_string();
    match &cx.model.holdings.valued {
        None => lines.push(Line::from(Span::styled("valuing the ledger…", t.dim()))),
        Some(Ok(None)) => lines.push(Line::from(Span::styled(
            "no ledger: cryptoviz portfolio import FILE… reads your exports",
            t.dim(),
        ))),
        Some(Err(e)) => lines.push(Line::from(Span::styled(
            format!(
                "cannot value the ledger: {}",
                crate::news::clean::strip_controls(e)
            ),
            t.direction(false),
        ))),
        Some(Ok(Some(r))) => {
            title = format!(
                "Portfolio · {} · {} · s sorts ({}) · Esc",
                r.currency,
                r.method,
                sort.label()
            );
            lines = table(cx, r, sort);
        }
    }
    // The equity chart below the table, as tall as the screen leaves room for (none under
    // three rows: a header and two of plot).
    let snapshots = match &cx.model.holdings.valued {
        Some(Ok(Some(r))) if r.snapshots.len() >= 2 => r.snapshots.as_slice(),
        _ => &[],
    };
    let text_h = lines.len() as u16 + 2;
    let chart_h = if snapshots.is_empty() {
        0
    } else {
        area.height.saturating_sub(text_h).min(EQUITY_ROWS)
    };
    let chart_h = if chart_h >= 3 { chart_h } else { 0 };
    let r = centered(area, 100, text_h + chart_h);
    Clear.render(r, buf);
    let block = Block::bordered()
        .border_style(t.border(true))
        .title(Span::styled(format!(" {title} "), t.title()));
    let inner = block.inner(r);
    Paragraph::new(lines).block(block).render(r, buf);
    if chart_h > 0 && inner.height > chart_h {
        let chart = Rect {
            y: inner.bottom() - chart_h,
            height: chart_h,
            ..inner
        };
        equity(cx, snapshots, chart, buf);
    }
}

/// The chart column given to the portfolio's equity (the `equity` key): the daily snapshots
/// drawn as in the popup, over the whole column, or why there are none.
pub fn render_equity_chart(cx: &Ctx, area: Rect, buf: &mut Buffer) {
    let t = &cx.model.settings.theme;
    let back = cx
        .model
        .settings
        .keymap
        .label(crate::app::keymap::Action::Equity);
    let (title, why) = match &cx.model.holdings.valued {
        None => (String::new(), Some("valuing the ledger…".to_string())),
        Some(Ok(None)) => (
            String::new(),
            Some("no ledger: cryptoviz portfolio import FILE… reads your exports".into()),
        ),
        Some(Err(e)) => (
            String::new(),
            Some(format!(
                "cannot value the ledger: {}",
                crate::news::clean::strip_controls(e)
            )),
        ),
        Some(Ok(Some(r))) => (
            format!("· {} · {} ", r.currency, r.method),
            (r.snapshots.len() < 2).then(|| "a day of history is needed to draw it".into()),
        ),
    };
    let block = Block::bordered()
        .border_style(t.border(cx.focus == crate::app::Panel::Chart))
        .title(Span::styled(
            format!(" Portfolio equity {title}· {back} back "),
            t.title(),
        ));
    let inner = block.inner(area);
    block.render(area, buf);
    match (why, &cx.model.holdings.valued) {
        (Some(why), _) => Paragraph::new(Span::styled(why, t.dim())).render(inner, buf),
        (None, Some(Ok(Some(r)))) if inner.height >= 3 => equity(cx, &r.snapshots, inner, buf),
        _ => {}
    }
}

/// Rows the equity chart takes at most, its header included.
const EQUITY_ROWS: u16 = 10;

/// The equity at each daily snapshot as a braille line, and under its running peak a `░` in
/// every cell the equity has fallen through (the drawdown), on a header row giving the span
/// and the range.
fn equity(cx: &Ctx, snapshots: &[Snapshot], area: Rect, buf: &mut Buffer) {
    let t = &cx.model.settings.theme;
    let points: Vec<(Millis, f64)> = snapshots
        .iter()
        .filter_map(|s| Some((s.time, num(&s.equity)?)))
        .collect();
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return;
    };
    let lo = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let hi = points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let day = |ms| cx.model.settings.tz.format(ms, "%Y-%m-%d");
    buf.set_line(
        area.x,
        area.y,
        &Line::from(vec![
            Span::styled(
                format!(
                    "equity, daily, {} to {} · high {} · low {} · ",
                    day(first.0),
                    day(last.0),
                    money(Some(hi)),
                    money(Some(lo)),
                ),
                t.dim(),
            ),
            Span::styled("░ drawdown", t.direction(false)),
        ]),
        area.width,
    );
    let plot = Rect {
        y: area.y + 1,
        height: area.height - 1,
        ..area
    };
    let mut dots = Braille::new(plot);
    let (w, h) = (dots.width(), dots.height());
    let span = (hi - lo).max(f64::EPSILON);
    let n = points.len() as i64;
    let x_of = |i: usize| (i as i64 * (w as i64 - 1) / (n - 1).max(1)) as i32;
    let y_of = |v: f64| ((v - lo) / span * (h - 1) as f64).round() as i32;
    // Cell row (from the top) of a dot row.
    let row_of = |y: i32| ((h - 1 - y) / 4) as u16;
    let shade = t.direction(false);
    let mut peak = f64::NEG_INFINITY;
    for (i, &(_, v)) in points.iter().enumerate() {
        peak = peak.max(v);
        if v >= peak {
            continue;
        }
        let x = plot.x + (x_of(i) / 2) as u16;
        for row in row_of(y_of(peak))..=row_of(y_of(v)) {
            let cell = &mut buf[(x, plot.y + row)];
            if cell.symbol() == " " {
                cell.set_char('░').set_style(shade);
            }
        }
    }
    let style = t.series(SeriesColor::Primary);
    for (i, pair) in points.windows(2).enumerate() {
        dots.line(
            (x_of(i), y_of(pair[0].1)),
            (x_of(i + 1), y_of(pair[1].1)),
            style,
        );
    }
    dots.render(buf);
}

fn table<'a>(cx: &Ctx, r: &'a PortfolioReport, sort: PortfolioSort) -> Vec<Line<'a>> {
    let t = &cx.model.settings.theme;
    let mut rows: Vec<&PositionReport> = r.positions.iter().collect();
    let key = |p: &PositionReport| match sort {
        PortfolioSort::Value => p.value.as_deref().and_then(num),
        PortfolioSort::Pnl => p.unrealized.as_deref().and_then(num),
        PortfolioSort::PnlPct => pnl_pct(p),
    };
    // Largest first; what cannot be valued last.
    rows.sort_by(|a, b| {
        let (x, y) = (key(a), key(b));
        y.is_some()
            .cmp(&x.is_some())
            .then(y.unwrap_or(0.0).total_cmp(&x.unwrap_or(0.0)))
    });
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "{:<10} {:>11} {:>12} {:>13} {:>13} {:>7} {:>12} {:>6}",
            "asset", "qty", "avg cost", "value", "unrealized", "", "realized", "share"
        ),
        t.dim(),
    ))];
    for p in rows {
        let u = p.unrealized.as_deref().and_then(num);
        let style = match u {
            Some(u) if u != 0.0 => t.direction(u > 0.0),
            _ => t.text(),
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!(
                    "{:<10} {:>11} {:>12} {:>13} ",
                    crate::news::clean::truncate_chars(&asset_label(p), 10),
                    crate::news::clean::truncate_chars(&p.qty, 11),
                    money(p.avg_cost.as_deref().and_then(num)),
                    money(p.value.as_deref().and_then(num)),
                ),
                t.text(),
            ),
            Span::styled(format!("{:>13} {:>7} ", signed(u), pct(pnl_pct(p))), style),
            Span::styled(
                format!(
                    "{:>12} {:>6}",
                    signed(num(&p.realized)),
                    pct(p.share_pct.as_deref().and_then(num))
                ),
                t.text(),
            ),
        ]));
    }
    let tot = &r.totals;
    lines.push(Line::from(Span::styled(
        format!(
            "value {} · cost {} · unreal. {} · real. {} · fees {} · fund. {}",
            money(num(&tot.value)),
            money(num(&tot.cost)),
            signed(num(&tot.unrealized)),
            signed(num(&tot.realized)),
            money(num(&tot.fees)),
            signed(num(&tot.funding)),
        ),
        t.title(),
    )));
    if let Some(k) = &r.risk {
        lines.push(Line::from(Span::styled(
            format!(
                "risk, {} day{} · vol 30d {} · max DD {} · DD now {} · VaR95 1d {} · beta {} · corr {}",
                k.days,
                if k.days == 1 { "" } else { "s" },
                pct(k.volatility_30d_pct),
                pct(k.max_drawdown_pct),
                pct(k.drawdown_pct),
                money(k.var_95_1d),
                k.beta_btc.map_or("–".into(), |b| format!("{b:.2}")),
                k.correlation_btc.map_or("–".into(), |c| format!("{c:.2}")),
            ),
            t.dim(),
        )));
    }
    if !tot.unvalued.is_empty() {
        lines.push(Line::from(Span::styled(
            format!(
                "no stored price for {} (not in the value): cryptoviz backfill a market of it",
                tot.unvalued.join(", ")
            ),
            t.dim(),
        )));
    }
    lines
}
