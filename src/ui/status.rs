//! The status bar: symbol, timeframe, mode (LIVE / DEMO / OFFLINE / STALE with age), freeze,
//! the latest message, and key hints generated from the keymap.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::text;
use super::theme::Level;
use crate::app::time::age;
use crate::app::{Action, App, Mode};

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let key = app.key();
    let (mode, lvl) = match app.mode() {
        Mode::Live => ("● LIVE".to_string(), Level::Good),
        Mode::Demo => ("● DEMO".to_string(), Level::Good),
        // Attached, nothing live was ever written: no collector is streaming into the store.
        Mode::Offline if app.attached => ("○ NO COLLECTOR WRITING".to_string(), Level::Critical),
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
        Span::styled(format!(" {} ", app.label(key.symbol)), t.selected()),
        Span::styled(format!(" {} ", key.timeframe), t.accent()),
        Span::styled(mode, t.level(lvl)),
    ];
    if let Some(w) = app.store_writes().filter(|w| w.failing()) {
        // Live data still shows, but it is not being kept: say so next to LIVE.
        left.push(Span::styled(
            format!(" ✖ STORE NOT WRITING ({} waiting)", w.pending),
            t.level(Level::Critical),
        ));
    }
    match (&app.attached_to, app.attached) {
        (Some(store), _) => left.push(Span::styled(
            format!(" · attached ({})", text::clean(store)),
            t.dim(),
        )),
        (None, true) => left.push(Span::styled(" · read-only (collector)", t.dim())),
        (None, false) => {}
    }
    if app.is_frozen() {
        left.push(Span::styled(" ❚❚ FROZEN", t.level(Level::Warning)));
    }
    if let Some(m) = app.message() {
        left.push(Span::styled(" │ ", t.dim()));
        left.push(Span::raw(text::clean(m).into_owned()));
    }
    let left = Line::from(left);
    let (x, _) = buf.set_line(area.x, area.y, &left, area.width);

    let hints = [
        (Action::Help, "help"),
        (Action::Timeframe1, "tf"),
        (Action::Search, "search"),
        (Action::Export, "export"),
        (Action::Freeze, "freeze"),
        (Action::Quit, "quit"),
    ];
    let mut right = String::new();
    for (a, what) in hints {
        let k = app.keymap.keys(a).first().map(|k| k.to_string());
        let Some(mut k) = k else { continue };
        if a == Action::Timeframe1 {
            k = "1-5".into();
        }
        right.push_str(&format!(" {k} {what} "));
    }
    let w = right.chars().count() as u16;
    let room = area.right().saturating_sub(x + 1);
    if w <= room {
        buf.set_string(area.right() - w, area.y, right, t.dim());
    }
}
