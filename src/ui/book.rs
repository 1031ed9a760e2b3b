//! The order book panel: the top levels of the shown market's book, asks above and bids
//! below the spread, each with its size and a bar of the cumulative size from the touch.
//! Live only: its age is in the title and turns STALE like any other source.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Widget};

use super::{Ctx, Draw};
use super::{age_span, text};
use crate::app::Panel;
use crate::app::live::BookView;
use crate::app::live::Books;
use crate::domain::{Level, Qty};

impl Draw for Books {
    fn draw(&self, cx: &Ctx, area: Rect, buf: &mut Buffer) {
        let t = &cx.model.settings.theme;
        let view = self.view(cx.model);
        let mut title = vec![Span::styled(
            format!(" Book {} ", cx.model.label(cx.model.symbol())),
            t.title(),
        )];
        match &view {
            BookView::Shown(_, age, lvl) => title.push(age_span(Some((*age, *lvl)), t)),
            BookView::Waiting => title.push(age_span(None, t)),
            BookView::Unavailable(_) => {}
        }
        let block = Block::bordered()
            .border_style(t.border(cx.focus == Panel::Book))
            .title(Line::from(title));
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.is_empty() {
            return;
        }
        let book = match view {
            BookView::Shown(book, ..) => book,
            BookView::Waiting => {
                // Attached, the book comes only once a collector streaming the market heard
                // the ask (one whose account may not publish asks never gets one).
                if cx.model.settings.attached {
                    let msg = "asked the collectors for this book…";
                    return super::explain(msg, t, inner, buf);
                }
                let msg = "waiting for the book…";
                buf.set_stringn(inner.x, inner.y, msg, inner.width as usize, t.dim());
                return;
            }
            BookView::Unavailable(why) => return super::explain(&why, t, inner, buf),
        };
        // A header row, the spread's row, and the two sides.
        let per_side = (inner.height.saturating_sub(2) / 2) as usize;
        let asks = &book.asks[..book.asks.len().min(per_side)];
        let bids = &book.bids[..book.bids.len().min(per_side)];
        let precision = cx.model.precision(book.symbol);
        let levels = || asks.iter().chain(bids);
        let decimals = text::column_decimals(precision.price, levels().map(|l| l.price));
        let size_decimals = text::column_decimals(precision.size, levels().map(|l| l.qty));
        let cum = |side: &[Level]| -> Vec<f64> {
            side.iter()
                .scan(0.0, |acc, l| {
                    *acc += l.qty.to_f64();
                    Some(*acc)
                })
                .collect()
        };
        let (ask_cum, bid_cum) = (cum(asks), cum(bids));
        let most = ask_cum
            .last()
            .copied()
            .unwrap_or(0.0)
            .max(bid_cum.last().copied().unwrap_or(0.0));
        let w = inner.width as usize;
        let row = |l: &Level, cum: f64, up: bool| -> Line<'static> {
            let price = text::exact(l.price, decimals);
            let size = size_text(l.qty, size_decimals, 9);
            let bar_w = w.saturating_sub(price.len() + 10).min(12);
            let filled = if most > 0.0 {
                ((cum / most) * bar_w as f64).ceil() as usize
            } else {
                0
            };
            Line::from(vec![
                Span::styled(price, t.direction(up)),
                Span::raw(format!(" {size:>9} ")),
                Span::styled("█".repeat(filled.min(bar_w)), t.direction(up)),
            ])
        };
        let price_w = asks
            .iter()
            .chain(bids)
            .map(|l| text::exact(l.price, decimals).len())
            .max()
            .unwrap_or(5);
        let header = format!("{:<price_w$} {:>9} cum.", "price", "size");
        buf.set_stringn(inner.x, inner.y, header, inner.width as usize, t.dim());
        // Asks from the furthest shown down to the best, just above the spread.
        let mid = inner.y + 1 + per_side as u16;
        for (i, (l, c)) in asks.iter().zip(&ask_cum).enumerate() {
            buf.set_line(inner.x, mid - 1 - i as u16, &row(l, *c, false), inner.width);
        }
        let spread = match (book.spread(), book.spread_bp()) {
            (Some(s), Some(bp)) => format!(
                "spread {} ({} bp)",
                text::exact(s, decimals),
                text::significant(bp, 2)
            ),
            _ => "one-sided book".to_string(),
        };
        buf.set_stringn(inner.x, mid, spread, inner.width as usize, t.dim());
        for (i, (l, c)) in bids.iter().zip(&bid_cum).enumerate() {
            buf.set_line(inner.x, mid + 1 + i as u16, &row(l, *c, true), inner.width);
        }
    }
}

/// A size in at most `width` characters, with at least `decimals` digits after the point:
/// exact when it fits, compact otherwise.
pub fn size_text(q: Qty, decimals: usize, width: usize) -> String {
    let s = text::exact(q, decimals);
    if s.len() <= width {
        s
    } else {
        text::compact(q.to_f64())
    }
}
