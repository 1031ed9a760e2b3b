//! The status bar: symbol, timeframe, mode (LIVE / DEMO / OFFLINE / STALE with age), the
//! price and what the user holds of it (unrealised P&L at that price), freeze, the latest
//! message, and key hints generated from the keymap.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::text;
use super::theme::Level;
use crate::app::time::age;
use crate::app::{Action, App, Mode};

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.model.settings.theme;
    let key = app.model.key();
    let (mode, lvl) = match app.model.mode() {
        Mode::Live => ("● LIVE".to_string(), Level::Good),
        Mode::Demo => ("● DEMO".to_string(), Level::Good),
        // Attached, nothing live was ever written: no collector is streaming into the store.
        Mode::Offline if app.model.settings.attached => {
            ("○ NO COLLECTOR WRITING".to_string(), Level::Critical)
        }
        Mode::Offline => ("○ OFFLINE".to_string(), Level::Critical),
        Mode::Stale { age_ms } => (format!("◌ STALE {}", age(age_ms)), Level::Warning),
        Mode::HistoryOnly { age_ms } => (
            match age_ms {
                Some(a) => format!("◌ HISTORY ONLY · not streamed · newest {}", age(a)),
                None => "◌ HISTORY ONLY · not streamed".to_string(),
            },
            Level::Warning,
        ),
    };
    let mut left = vec![
        Span::styled(format!(" {} ", app.model.label(key.symbol)), t.selected()),
        Span::styled(format!(" {} ", key.timeframe), t.accent()),
        Span::styled(mode, t.level(lvl)),
    ];
    if let Some(w) = app.health.store_writes().filter(|w| w.failing()) {
        // Live data still shows, but it is not being kept: say so next to LIVE.
        left.push(Span::styled(
            format!(" ✖ STORE NOT WRITING ({} waiting)", w.pending),
            t.level(Level::Critical),
        ));
    }
    // The shown market's last price and 24 h change: on screen at any size, even where the
    // watchlist is not.
    if let Some(price) = app.model.last_price() {
        left.push(Span::styled(
            format!("  {}", text::price(price.to_f64())),
            t.text(),
        ));
        if let Some(c) = app.model.day_stats(key.symbol).and_then(|d| d.change) {
            left.push(Span::styled(
                format!(" {}{c:+.2}%", if c >= 0.0 { "▲" } else { "▼" }),
                t.direction(c >= 0.0),
            ));
        }
        // What the user holds of it, and its unrealised P&L at this price; a message (what
        // a key just did) has the room while it shows.
        if let Some(pos) = app
            .model
            .holdings
            .position(key.symbol)
            .filter(|_| app.message().is_none())
        {
            let (pnl, pct) = pos.pnl_at(price.to_f64());
            left.push(Span::styled(
                format!(
                    "  {} {} {}",
                    if pos.qty < 0.0 { "short" } else { "hold" },
                    text::price(pos.qty.abs()),
                    crate::app::news::base_asset(&key.symbol)
                ),
                t.dim(),
            ));
            left.push(Span::styled(
                format!(
                    " {} ({})",
                    text::signed(Some(pnl)),
                    pct.map_or("–".into(), |p| format!("{p:+.1}%"))
                ),
                t.direction(pnl >= 0.0),
            ));
        }
    }
    match (&app.model.settings.attached_to, app.model.settings.attached) {
        (Some(store), _) => left.push(Span::styled(
            format!(" · attached ({})", text::clean(store)),
            t.dim(),
        )),
        (None, true) => left.push(Span::styled(" · read-only (collector)", t.dim())),
        (None, false) => {}
    }
    // Attached with a bus: live over it, or the store alone while it is away.
    match app
        .model
        .sources
        .bus
        .filter(|_| app.model.settings.attached)
    {
        Some(true) => left.push(Span::styled(" · live over the bus", t.dim())),
        Some(false) => left.push(Span::styled(
            " · bus unreachable: attached (store)",
            t.level(Level::Warning),
        )),
        None => {}
    }
    if app.is_frozen() {
        left.push(Span::styled(" ❚❚ FROZEN", t.level(Level::Warning)));
    }
    if let Some(m) = app.message() {
        left.push(Span::styled(" │ ", t.dim()));
        left.push(Span::raw(text::clean(m).into_owned()));
    }

    // The help hint is always there (the left side is cut for it); the others as room allows.
    let hint = |a: Action, what: &str| {
        let k = app
            .model
            .settings
            .keymap
            .keys(a)
            .first()
            .map(|k| k.to_string())?;
        let k = if a == Action::Timeframe1 {
            "1-5".into()
        } else {
            k
        };
        Some(format!(" {k} {what} "))
    };
    let help = hint(Action::Help, "help").unwrap_or_default();
    let help_w = help.chars().count() as u16;
    let left = Line::from(left);
    let (x, _) = buf.set_line(area.x, area.y, &left, area.width.saturating_sub(help_w + 1));
    let mut right = help;
    let others = [
        (Action::Timeframe1, "tf"),
        (Action::Search, "search"),
        (Action::Export, "export"),
        (Action::Freeze, "freeze"),
        (Action::Quit, "quit"),
    ];
    let room = area.right().saturating_sub(x + 1);
    for (a, what) in others {
        let Some(h) = hint(a, what) else { continue };
        if (right.chars().count() + h.chars().count()) as u16 > room {
            break;
        }
        right.push_str(&h);
    }
    let w = right.chars().count() as u16;
    if w <= area.width {
        buf.set_string(area.right() - w, area.y, right, t.dim());
    }
}
