//! The portfolio popup: the user's positions (sorted by value, P&L or P&L %), the totals and
//! the risk figures, as the store valued them when the popup opened. Amounts to two places;
//! a holding without a price shows `–`, never 0.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use super::Ctx;
use super::layout::centered;
use crate::app::popup::PortfolioSort;
use crate::portfolio::report::{PortfolioReport, PositionReport};

fn num(s: &str) -> Option<f64> {
    s.parse().ok()
}

/// `12,345.67` (two places, thousands grouped), `–` when absent.
fn money(v: Option<f64>) -> String {
    let Some(v) = v else { return "–".into() };
    let s = format!("{:.2}", v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}{grouped}.{frac}", if v < 0.0 { "-" } else { "" })
}

fn signed(v: Option<f64>) -> String {
    match v {
        Some(v) if v > 0.0 => format!("+{}", money(Some(v))),
        other => money(other),
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{v:.1}%"))
}

/// Unrealised P&L in percent of cost.
fn pnl_pct(p: &PositionReport) -> Option<f64> {
    let (u, c) = (num(p.unrealized.as_deref()?)?, num(&p.cost)?);
    (c > 0.0).then(|| u / c * 100.0)
}

pub fn render(cx: &Ctx, sort: PortfolioSort, area: Rect, buf: &mut Buffer) {
    let t = &cx.model.settings.theme;
    let mut lines: Vec<Line> = Vec::new();
    let mut title = "Portfolio · Esc".to_string();
    match &cx.model.portfolio {
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
    let r = centered(area, 100, lines.len() as u16 + 2);
    Clear.render(r, buf);
    Paragraph::new(lines)
        .block(
            Block::bordered()
                .border_style(t.border(true))
                .title(Span::styled(format!(" {title} "), t.title())),
        )
        .render(r, buf);
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
            "{:<7} {:>14} {:>12} {:>13} {:>13} {:>7} {:>12} {:>6}",
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
                    "{:<7} {:>14} {:>12} {:>13} ",
                    crate::news::clean::truncate_chars(&p.asset, 7),
                    crate::news::clean::truncate_chars(&p.qty, 14),
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
                "risk, {} days · vol 30d {} · max DD {} · DD now {} · VaR95 1d {} · beta {} · corr {}",
                k.days,
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

#[cfg(test)]
mod tests {
    use super::money;

    #[test]
    fn money_is_grouped_to_two_places() {
        assert_eq!(money(Some(27281.52)), "27,281.52");
        assert_eq!(money(Some(-1.5)), "-1.50");
        assert_eq!(money(Some(999.999)), "1,000.00");
        assert_eq!(money(None), "–");
    }
}
