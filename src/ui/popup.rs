//! Popups over the dashboard: help (generated from the keymap), a news item's summary and
//! link, the symbol search, a new price alert and the alert rules.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};

use super::layout::centered;
use super::news::sentiment_span;
use super::text;
use super::{Ctx, Draw};
use crate::app::Popup;
use crate::app::help::{help_geometry, help_rows};
use crate::app::popup::search_hits;
use crate::news::sentiment::Scorer;

/// A popup draws over the whole screen (`area`), centred.
impl Draw for Popup {
    fn draw(&self, cx: &Ctx, area: Rect, buf: &mut Buffer) {
        match self {
            Popup::Help { scroll } => help(cx, *scroll, area, buf),
            Popup::News(id) => news(cx, id, area, buf),
            Popup::Search(s) => search(cx, &s.query, s.selected, area, buf),
            Popup::AlertNew(level) => alert_new(cx, level, area, buf),
            Popup::Alerts(selected) => alerts(cx, *selected, area, buf),
            Popup::Portfolio(sort) => super::portfolio::render(cx, *sort, area, buf),
            Popup::Indicators(menu) => super::indicator_menu::render(cx, menu, area, buf),
        }
    }
}

fn alert_new(cx: &Ctx, level: &str, area: Rect, buf: &mut Buffer) {
    let t = &cx.model.settings.theme;
    let last = cx
        .model
        .last_price()
        .map_or("–".to_string(), |p| p.to_string());
    let lines = vec![
        Line::from(vec![
            Span::styled(format!("{} ", cx.model.label(cx.model.symbol())), t.title()),
            Span::styled(format!("last {last}"), t.dim()),
        ]),
        Line::from(vec![
            Span::styled("alert at ", t.accent()),
            Span::raw(level.to_string()),
            Span::styled("▏", t.accent()),
        ]),
        Line::from(Span::styled(
            "above the last price fires going up, below going down",
            t.dim(),
        )),
    ];
    let r = centered(area, 58, lines.len() as u16 + 2);
    Clear.render(r, buf);
    Paragraph::new(lines)
        .block(frame("New alert · Enter sets · Esc cancels", cx))
        .render(r, buf);
}

fn alerts(cx: &Ctx, selected: usize, area: Rect, buf: &mut Buffer) {
    let t = &cx.model.settings.theme;
    let rules = cx.model.all_rules();
    let mut lines: Vec<Line> = Vec::new();
    if rules.is_empty() {
        lines.push(Line::from(Span::styled(
            "no rules: ! sets one at the current price, [[alerts]] in the config",
            t.dim(),
        )));
    }
    for (i, (rule, enabled)) in rules.iter().enumerate() {
        let origin = match enabled {
            None => "config",
            Some(true) => "on    ",
            Some(false) => "off   ",
        };
        let on = rule
            .symbol
            .map_or("any coin".to_string(), |s| cx.model.label(s));
        let fired = cx
            .model
            .alerts
            .firings
            .iter()
            .find(|f| f.alert == rule.name)
            .map(|f| {
                format!(
                    " · fired {}",
                    crate::app::time::age(cx.model.now - f.trigger_time)
                )
            })
            .unwrap_or_default();
        let style = if i == selected {
            t.selected()
        } else {
            t.text()
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {origin} "), t.dim()),
            Span::styled(
                format!(
                    "{}: {} on {}{fired} ",
                    crate::news::clean::truncate_chars(
                        &crate::news::clean::strip_controls(&rule.name),
                        28
                    ),
                    rule.when,
                    on
                ),
                style,
            ),
        ]));
    }
    let r = centered(area, 90, lines.len() as u16 + 2);
    Clear.render(r, buf);
    Paragraph::new(lines)
        .block(frame("Alerts · space on/off · d deletes · Esc", cx))
        .render(r, buf);
}

fn frame<'a>(title: &'a str, cx: &Ctx) -> Block<'a> {
    Block::bordered()
        .border_style(cx.model.settings.theme.border(true))
        .title(Span::styled(
            format!(" {title} "),
            cx.model.settings.theme.title(),
        ))
}

fn help(cx: &Ctx, scroll: u16, area: Rect, buf: &mut Buffer) {
    let t = &cx.model.settings.theme;
    let lines: Vec<Line> = help_rows(&cx.model.settings.keymap)
        .into_iter()
        .map(|(k, h)| {
            let words = if k.is_empty() {
                t.dim()
            } else {
                ratatui::style::Style::default()
            };
            Line::from(vec![Span::styled(k, t.accent()), Span::styled(h, words)])
        })
        .collect();
    // What does not fit scrolls, and the frame says so: a clipped list must not look whole.
    let (r, total, shown) = help_geometry(&cx.model.settings.keymap, area);
    let scroll = (scroll as usize).min(total.saturating_sub(shown));
    let mut block = frame("Help · Esc closes", cx);
    let more = match (scroll > 0, scroll + shown < total) {
        (false, true) => Some(" ↓ more (↓/j) "),
        (true, true) => Some(" ↑↓ more "),
        (true, false) => Some(" ↑ more (↑/k) "),
        (false, false) => None,
    };
    if let Some(m) = more {
        block = block.title_bottom(Line::from(Span::styled(m, t.accent())).right_aligned());
    }
    Clear.render(r, buf);
    Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: false })
        .scroll((scroll as u16, 0))
        .render(r, buf);
}

fn news(cx: &Ctx, id: &str, area: Rect, buf: &mut Buffer) {
    let t = &cx.model.settings.theme;
    let Some(n) = cx.news.by_id(id) else {
        return;
    };
    let s = n.title_sentiment;
    let mut lines = vec![
        Line::from(Span::styled(text::clean(&n.title).into_owned(), t.title())),
        Line::from(vec![
            Span::styled(text::clean(&n.source).into_owned(), t.accent()),
            Span::styled(
                format!(
                    " · {} · ",
                    cx.model
                        .settings
                        .tz
                        .format(n.published_at, "%Y-%m-%d %H:%M")
                ),
                t.dim(),
            ),
            sentiment_span(s.label, t),
            Span::raw(format!(
                " {} {:+.3} ({})",
                s.label.as_str(),
                s.compound,
                s.scorer.as_str()
            )),
        ]),
    ];
    // Why: what moved the headline model (for VADER-scored items, its compound says it all).
    if s.scorer == Scorer::Headlines {
        let reasons = crate::news::sentiment::explain(&n.title);
        let why = if reasons.is_empty() {
            "no word leaned either way".to_string()
        } else {
            reasons
                .iter()
                .map(|(w, pull)| format!("{} ({pull:+.2})", text::clean(w)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        lines.push(Line::from(vec![
            Span::styled("why: ", t.dim()),
            Span::raw(why),
        ]));
    }
    lines.push(Line::from(""));
    let summary = text::clean(&n.summary);
    lines.push(Line::from(if summary.trim().is_empty() {
        "(no summary)".to_string()
    } else {
        summary.into_owned()
    }));
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        text::clean(&n.link).into_owned(),
        t.accent(),
    )));
    let r = centered(area, 90, 16);
    Clear.render(r, buf);
    Paragraph::new(lines)
        .block(frame("News · Esc closes", cx))
        .wrap(Wrap { trim: true })
        .render(r, buf);
}

fn search(cx: &Ctx, query: &str, selected: usize, area: Rect, buf: &mut Buffer) {
    let t = &cx.model.settings.theme;
    let hits = search_hits(&cx.model.symbols, &cx.model.listings.instruments, query);
    let mut lines = vec![Line::from(vec![
        Span::styled("/ ", t.accent()),
        Span::raw(query.to_string()),
        Span::styled("▏", t.accent()),
    ])];
    if hits.is_empty() {
        let why = if cx.model.settings.demo {
            "no matching market (the demo has no venue lists)"
        } else if cx.model.listings.instruments.is_empty() {
            "no matching market (the venues' lists are not loaded yet)"
        } else {
            "no matching market"
        };
        lines.push(Line::from(Span::styled(why, t.dim())));
    }
    // A window of the hits around the selected one, so a long list scrolls.
    let rows = (area.height as usize).saturating_sub(6).clamp(1, 12);
    let first = selected.saturating_sub(rows - 1);
    for (i, h) in hits.iter().enumerate().skip(first).take(rows) {
        let style = if i == selected {
            t.selected()
        } else {
            t.text()
        };
        let mark = if cx.model.symbols.contains(h) {
            "  "
        } else {
            "+ "
        };
        lines.push(Line::from(vec![
            Span::styled(mark, t.accent()),
            Span::styled(format!("{h} "), style),
        ]));
    }
    // As wide as the longest line (a market's name, or why there is none), within the screen.
    let widest = lines.iter().map(Line::width).max().unwrap_or(0) as u16 + 2;
    let r = centered(
        area,
        widest.clamp(40, area.width.saturating_sub(4).max(40)),
        lines.len() as u16 + 2,
    );
    Clear.render(r, buf);
    Paragraph::new(lines)
        .block(frame("Market · Enter shows, + adds", cx))
        .render(r, buf);
}
