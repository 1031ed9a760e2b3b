//! The indicator menu: the chart's overlays and panes (the selected one highlighted), the line
//! being typed, why the last entry was refused, and the names there are.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};

use super::Ctx;
use super::layout::centered;
use super::panes::{overlay_glyph, overlay_style};
use crate::app::indicator_menu::IndicatorMenu;
use crate::indicators::spec::DEFS;

pub fn render(cx: &Ctx, menu: &IndicatorMenu, area: Rect, buf: &mut Buffer) {
    let t = &cx.model.settings.theme;
    let chosen = &cx.model.settings.chosen;
    let mut lines: Vec<Line> = Vec::new();
    let mut overlays = 0;
    for (i, spec) in chosen.iter().enumerate() {
        let def = spec.def();
        let heading = match i {
            0 if def.overlay => Some("on the price chart"),
            _ if !def.overlay && (i == 0 || chosen[i - 1].def().overlay) => Some("in panes"),
            _ => None,
        };
        if let Some(h) = heading {
            lines.push(Line::from(Span::styled(h, t.dim())));
        }
        let (mark, style) = if def.overlay {
            let n = overlays;
            overlays += 1;
            (overlay_glyph(n), overlay_style(t, n))
        } else {
            (' ', t.text())
        };
        let row = format!(
            " {mark} {:<18} {:<20} {}",
            spec.label(),
            spec.name(),
            def.title
        );
        let style = if i == menu.selected {
            t.selected()
        } else {
            style
        };
        lines.push(Line::from(Span::styled(row, style)));
    }
    if chosen.is_empty() {
        lines.push(Line::from(Span::styled(
            "none: the chart shows candles and volume only",
            t.dim(),
        )));
    }
    lines.push(Line::raw(""));
    let prompt = match menu.editing.and_then(|i| chosen.get(i)) {
        Some(old) => format!("change {old} to: "),
        None => "add: ".to_string(),
    };
    lines.push(Line::from(vec![
        Span::styled(prompt, t.accent()),
        Span::raw(menu.input.clone()),
        Span::styled("▏", t.accent()),
    ]));
    if let Some(why) = &menu.refused {
        lines.push(Line::from(Span::styled(
            format!("refused: {why}"),
            t.direction(false),
        )));
    }
    let names: Vec<&str> = DEFS.iter().map(|d| d.name).collect();
    lines.push(Line::from(Span::styled(
        format!("names: {} (e.g. ema:50, bbands:20,2)", names.join(" ")),
        t.dim(),
    )));
    let height = (lines.len() as u16 + 4).min(area.height);
    let r = centered(area, 76, height);
    Clear.render(r, buf);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(
            Block::bordered()
                .border_style(t.border(true))
                .title(Span::styled(
                    " Indicators · ↑↓ select · Enter add / change · Del remove · Esc ",
                    t.title(),
                )),
        )
        .render(r, buf);
}
