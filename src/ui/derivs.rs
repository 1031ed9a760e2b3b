//! A perp's derivatives on screen: the strip over its chart (mark, index, basis, funding with
//! its countdown and yearly rate, open interest and its hour's change) and the liquidation
//! tape across venues (the liquidated side, the quote value, large ones standing out).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use super::{Ctx, text};
use crate::domain::{Millis, PositionSide, Symbol};

/// Liquidations worth this much quote or more stand out.
pub const LARGE_QUOTE: f64 = 100_000.0;

/// `1:59:30`, `12:05` under an hour.
fn countdown(ms: Millis) -> String {
    let s = (ms.max(0) + 999) / 1000;
    match s / 3600 {
        0 => format!("{}:{:02}", s / 60, s % 60),
        h => format!("{h}:{:02}:{:02}", s / 60 % 60, s % 60),
    }
}

/// The strip's segments for `symbol`, most important first; `None` before any state came.
pub fn strip(cx: &Ctx, symbol: Symbol) -> Option<Vec<String>> {
    let d = &cx.model.derivs;
    let state = d.state(symbol)?;
    let l = &state.last;
    let mut out = Vec::new();
    if let Some(m) = l.mark {
        out.push(format!("mark {}", text::price(m.to_f64())));
    }
    if let Some(b) = state.basis_bps() {
        out.push(format!("basis {b:+.1}bp"));
    }
    // Against the configured spot market or composite, at its latest close.
    if let (Some(spot), Some(mark)) = (cx.model.basis_reference(symbol), l.mark) {
        let last = cx
            .model
            .series
            .get(&cx.model.watch_key(spot))
            .and_then(|s| s.candles().last())
            .map(|c| c.close.to_f64());
        if let Some(b) = last.and_then(|p| crate::domain::basis_bps(mark.to_f64(), p)) {
            out.push(format!("vs {} {b:+.1}bp", spot.as_str()));
        }
    }
    if let Some(r) = l.funding_rate {
        let mut f = format!("fund {:+.4}%", r.to_f64() * 100.0);
        if let Some(h) = l.funding_interval_hours {
            f.push_str(&format!("/{h}h"));
        }
        if let Some(at) = l.next_funding {
            f.push_str(&format!(" in {}", countdown(at - cx.model.now)));
        }
        out.push(f);
    }
    if let Some(y) = state.annualised_funding() {
        out.push(format!("{:+.1}%/y", y * 100.0));
    }
    if let Some(oi) = l.open_interest {
        let mut s = format!("OI {}", text::compact(oi.to_f64()));
        if let Some(q) = l.open_interest_quote {
            s.push_str(&format!(" ({})", text::compact(q.to_f64())));
        }
        if let Some(c) = d.oi_change_1h(symbol) {
            s.push_str(&format!(" 1h {:+.1}%", c * 100.0));
        }
        out.push(s);
    }
    if let Some(i) = l.index {
        out.push(format!("index {}", text::price(i.to_f64())));
    }
    Some(out)
}

/// Draws the strip on one row: as many segments as fit, in order.
pub fn render_strip(cx: &Ctx, symbol: Symbol, area: Rect, buf: &mut Buffer) {
    let t = &cx.model.settings.theme;
    let Some(parts) = strip(cx, symbol) else {
        let msg = "waiting for mark, funding and open interest…";
        buf.set_stringn(area.x, area.y, msg, area.width as usize, t.dim());
        return;
    };
    let mut line = String::new();
    for p in parts {
        let sep = if line.is_empty() { "" } else { " · " };
        if line.chars().count() + sep.len() + p.chars().count() > area.width as usize {
            break;
        }
        line.push_str(sep);
        line.push_str(&p);
    }
    buf.set_stringn(area.x, area.y, line, area.width as usize, t.accent());
}

/// The newest liquidations across venues, newest on top: time, venue, the liquidated side,
/// quote value and price; `~` marks a venue's sample.
pub fn render_liquidations(cx: &Ctx, area: Rect, buf: &mut Buffer) {
    let t = &cx.model.settings.theme;
    if area.height == 0 {
        return;
    }
    buf.set_stringn(area.x, area.y, "liquidations", area.width as usize, t.dim());
    for (row, l) in cx
        .model
        .derivs
        .liquidations()
        .take(area.height as usize - 1)
        .enumerate()
    {
        // A long closed is a forced sell.
        let long = l.side == PositionSide::Long;
        let quote = l.quote().to_f64();
        let mut style = t.direction(!long);
        if quote >= LARGE_QUOTE {
            style = style.add_modifier(Modifier::REVERSED);
        }
        let line = Line::from(vec![
            Span::styled(cx.model.settings.tz.format(l.time, "%H:%M:%S"), t.dim()),
            Span::styled(format!(" {:<3} ", l.symbol.venue().short()), t.dim()),
            Span::styled(
                format!(
                    "{} {:>7}{} @{}",
                    if long { "L" } else { "S" },
                    text::compact(quote),
                    if l.sampled { "~" } else { " " },
                    text::price(l.price.to_f64())
                ),
                style,
            ),
        ]);
        buf.set_line(area.x, area.y + 1 + row as u16, &line, area.width);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countdowns_read_as_clocks() {
        assert_eq!(countdown(7_170_000), "1:59:30");
        assert_eq!(countdown(725_000), "12:05");
        assert_eq!(countdown(-5), "0:00");
    }
}
