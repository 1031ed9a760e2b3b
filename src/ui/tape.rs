//! The trade tape: the newest trades of the shown market (a composite's members merged),
//! newest on top, with the local time, the taker's side (colour, and ▲/▼ without colour),
//! price and size; trades worth several times the median stand out.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Widget};

use super::{Ctx, Draw};
use super::{age_span, book::size_text, text};
use crate::app::Panel;
use crate::app::live::Tape;
use crate::app::live::notional;

/// `HH:MM:SS`.
const TIME_W: usize = 8;

impl Draw for Tape {
    fn draw(&self, cx: &Ctx, area: Rect, buf: &mut Buffer) {
        let t = &cx.model.settings.theme;
        let unavailable = cx.model.live_unavailable();
        let mut title = vec![Span::styled(
            format!(" Trades {} ", cx.model.label(cx.model.symbol())),
            t.title(),
        )];
        if unavailable.is_none() {
            title.push(age_span(self.age(cx.model), t));
        }
        let block = Block::bordered()
            .border_style(t.border(cx.focus == Panel::Trades))
            .title(Line::from(title));
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.is_empty() {
            return;
        }
        if let Some(why) = unavailable {
            return super::explain(&why, t, inner, buf);
        }
        // Liquidations, once any came, take the lower half (the trades keep the rest).
        let mut inner = inner;
        if cx.model.derivs.liquidations().next().is_some() && inner.height >= 6 {
            let half = inner.height / 2;
            let below = Rect {
                y: inner.y + inner.height - half,
                height: half,
                ..inner
            };
            super::derivs::render_liquidations(cx, below, buf);
            inner.height -= half;
        }
        let symbols = cx.model.members(cx.model.symbol());
        // One row for the column names.
        let rows = inner.height.saturating_sub(1) as usize;
        let trades = self.latest(&symbols, rows);
        if trades.is_empty() {
            let msg = "waiting for trades…";
            buf.set_stringn(inner.x, inner.y, msg, inner.width as usize, t.dim());
            return;
        }
        let large = self.large_above(&symbols);
        // A composite's members may list different steps: its columns take what they show.
        let precision = match symbols.as_slice() {
            [one] => cx.model.precision(*one),
            _ => Default::default(),
        };
        let decimals = text::column_decimals(precision.price, trades.iter().map(|t| t.price));
        let size_decimals = text::column_decimals(precision.size, trades.iter().map(|t| t.qty));
        let prices: Vec<String> = trades
            .iter()
            .map(|tr| text::exact(tr.price, decimals))
            .collect();
        let price_w = prices.iter().map(String::len).max().unwrap_or(0);
        // Time, side mark, price, then the size in what is left (at least a compact size).
        let size_w = (inner.width as usize)
            .saturating_sub(TIME_W + 3 + price_w + 1)
            .max(5);
        let header = format!(
            "{:<TIME_W$}   {:>price_w$} {:>size_w$}",
            "time", "price", "size"
        );
        buf.set_stringn(inner.x, inner.y, header, inner.width as usize, t.dim());
        for (row, (tr, price)) in trades.iter().zip(prices).enumerate() {
            // The taker bought when the buyer was not the maker.
            let buy = !tr.buyer_is_maker;
            let mut style = t.direction(buy);
            if large.is_some_and(|l| notional(tr) >= l) {
                style = style.add_modifier(Modifier::REVERSED);
            }
            let line = Line::from(vec![
                Span::styled(cx.model.settings.tz.format(tr.time, "%H:%M:%S"), t.dim()),
                Span::styled(if buy { " ▲ " } else { " ▼ " }, t.direction(buy)),
                Span::styled(
                    format!(
                        "{price:>price_w$} {:>size_w$}",
                        size_text(tr.qty, size_decimals, size_w)
                    ),
                    style,
                ),
            ]);
            buf.set_line(inner.x, inner.y + 1 + row as u16, &line, inner.width);
        }
    }
}
