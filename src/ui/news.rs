//! The news panel: newest headlines for the selected coin (or all), with time, source and a
//! sentiment mark. Titles are untrusted and cleaned again here.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Widget};

use super::theme::Theme;
use super::{Ctx, Draw};
use super::{age_span, text};
use crate::app::Panel;
use crate::app::news::NewsState;
use crate::news::sentiment::Label;

/// ▲ positive, ▼ negative, • neutral: the scorer's class.
pub fn sentiment_mark(label: Label) -> &'static str {
    match label {
        Label::Positive => "▲",
        Label::Negative => "▼",
        Label::Neutral => "•",
    }
}

pub fn sentiment_span(label: Label, t: &Theme) -> Span<'static> {
    Span::styled(sentiment_mark(label), t.sentiment(label))
}

impl Draw for NewsState {
    fn draw(&self, cx: &Ctx, area: Rect, buf: &mut Buffer) {
        let t = &cx.model.settings.theme;
        let coin = cx.model.coin();
        let filter = match (self.all, self.showing_all(coin)) {
            (false, true) => format!("all (none on {coin})"),
            (_, true) => "all".to_string(),
            (_, false) => coin.to_string(),
        };
        let mut title = vec![Span::styled(format!(" News {filter} "), t.title())];
        title.push(age_span(self.age(cx.model), t));
        let block = Block::bordered()
            .border_style(t.border(cx.focus == Panel::News))
            .title(Line::from(title));
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.is_empty() {
            return;
        }
        let items: Vec<_> = self.visible(coin).collect();
        if items.is_empty() {
            buf.set_stringn(
                inner.x,
                inner.y,
                "no news yet",
                inner.width as usize,
                t.dim(),
            );
            return;
        }
        let rows = inner.height as usize;
        let selected = self.selected.min(items.len() - 1);
        let first = selected.saturating_sub(rows.saturating_sub(1));
        let today = cx.model.settings.tz.format(cx.model.now, "%Y-%m-%d");
        for (row, (i, n)) in items.iter().enumerate().skip(first).take(rows).enumerate() {
            let y = inner.y + row as u16;
            let when = if cx.model.settings.tz.format(n.published_at, "%Y-%m-%d") == today {
                cx.model.settings.tz.format(n.published_at, "%H:%M")
            } else {
                cx.model.settings.tz.format(n.published_at, "%m-%d")
            };
            let source: String = text::clean(&n.source).chars().take(10).collect();
            let line = Line::from(vec![
                Span::styled(format!("{when} "), t.dim()),
                Span::styled(format!("{source:<10} "), t.accent()),
                sentiment_span(n.title_sentiment.label, t),
                Span::raw(" "),
                Span::styled(text::clean(&n.title).into_owned(), Style::new()),
            ]);
            buf.set_line(inner.x, y, &line, inner.width);
            if i == selected && cx.focus == Panel::News {
                buf.set_style(Rect::new(inner.x, y, inner.width, 1), t.selected());
            }
        }
    }
}
