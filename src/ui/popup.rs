//! Popups over the dashboard: help (generated from the keymap), a news item's summary and
//! link, the symbol search, a new price alert and the alert rules.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};

use super::layout::centered;
use super::news::sentiment_span;
use super::text;
use crate::app::help::{help_geometry, help_rows};
use crate::app::state::search_hits;
use crate::app::{App, Popup};
use crate::news::sentiment::Scorer;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    match &app.popup {
        None => {}
        Some(Popup::Help { scroll }) => help(app, *scroll, area, buf),
        Some(Popup::News(id)) => news(app, id, area, buf),
        Some(Popup::Search(s)) => search(app, &s.query, s.selected, area, buf),
        Some(Popup::AlertNew(level)) => alert_new(app, level, area, buf),
        Some(Popup::Alerts(selected)) => alerts(app, *selected, area, buf),
    }
}

fn alert_new(app: &App, level: &str, area: Rect, buf: &mut Buffer) {
    let t = &app.settings.theme;
    let last = app.last_price().map_or("–".to_string(), |p| p.to_string());
    let lines = vec![
        Line::from(vec![
            Span::styled(format!("{} ", app.label(app.symbol())), t.title()),
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
        .block(frame("New alert · Enter sets · Esc cancels", app))
        .render(r, buf);
}

fn alerts(app: &App, selected: usize, area: Rect, buf: &mut Buffer) {
    let t = &app.settings.theme;
    let rules = app.all_rules();
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
        let on = rule.symbol.map_or("any coin".to_string(), |s| app.label(s));
        let fired = app
            .alerts
            .firings
            .iter()
            .find(|f| f.alert == rule.name)
            .map(|f| {
                format!(
                    " · fired {}",
                    crate::app::time::age(app.now - f.trigger_time)
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
        .block(frame("Alerts · space on/off · d deletes · Esc", app))
        .render(r, buf);
}

fn frame<'a>(title: &'a str, app: &App) -> Block<'a> {
    Block::bordered()
        .border_style(app.settings.theme.border(true))
        .title(Span::styled(
            format!(" {title} "),
            app.settings.theme.title(),
        ))
}

fn help(app: &App, scroll: u16, area: Rect, buf: &mut Buffer) {
    let t = &app.settings.theme;
    let lines: Vec<Line> = help_rows(&app.settings.keymap)
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
    let (r, total, shown) = help_geometry(&app.settings.keymap, area);
    let scroll = (scroll as usize).min(total.saturating_sub(shown));
    let mut block = frame("Help · Esc closes", app);
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

fn news(app: &App, id: &str, area: Rect, buf: &mut Buffer) {
    let t = &app.settings.theme;
    let Some(n) = app.news.by_id(id) else {
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
                    app.settings.tz.format(n.published_at, "%Y-%m-%d %H:%M")
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
        .block(frame("News · Esc closes", app))
        .wrap(Wrap { trim: true })
        .render(r, buf);
}

fn search(app: &App, query: &str, selected: usize, area: Rect, buf: &mut Buffer) {
    let t = &app.settings.theme;
    let hits = search_hits(&app.symbols, &app.watchlist.instruments, query);
    let mut lines = vec![Line::from(vec![
        Span::styled("/ ", t.accent()),
        Span::raw(query.to_string()),
        Span::styled("▏", t.accent()),
    ])];
    if hits.is_empty() {
        let why = if app.settings.demo {
            "no matching market (the demo has no venue lists)"
        } else if app.watchlist.instruments.is_empty() {
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
        let mark = if app.symbols.contains(h) { "  " } else { "+ " };
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
        .block(frame("Market · Enter shows, + adds", app))
        .render(r, buf);
}
