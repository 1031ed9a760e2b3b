//! Rendering: ratatui widgets for every panel, the theme, the help popup. Everything here
//! reads the [`App`] and draws; nothing changes state, so a frame is a pure function of it.

// The chart's geometry, the layout and the theme are the dashboard's state (the App lays out
// and hit-tests what the UI draws); they are re-exported where the drawing code reads them.
pub use crate::app::{layout, theme};

pub mod book;
pub mod braille;
pub mod candles;
pub mod chart;
pub mod crosshair;
pub mod health;
pub mod news;
pub mod overlay;
pub mod panes;
pub mod popup;
pub mod run;
pub mod scale;
pub mod status;
pub mod tape;
pub mod terminal;
pub mod text;
pub mod time_axis;
pub mod volume;
pub mod watchlist;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Paragraph, Widget, Wrap};

pub use theme::Theme;

use crate::app::App;
use crate::app::time::age;
use theme::Level;

/// Draws one frame.
pub fn render(frame: &mut Frame, app: &App) {
    let area = frame.area();
    draw(app, area, frame.buffer_mut());
}

/// Draws the whole dashboard into `buf` (any size, including 0x0).
pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let area = area.intersection(buf.area);
    if area.is_empty() {
        return;
    }
    let Some(a) = layout::layout(area, app.watch_rows()) else {
        let msg = format!(
            "terminal too small: {}x{} (need {}x{})",
            area.width,
            area.height,
            layout::MIN_WIDTH,
            layout::MIN_HEIGHT
        );
        Paragraph::new(msg)
            .wrap(Wrap { trim: true })
            .render(area, buf);
        return;
    };
    // A panel without room of its own (side panels at 80x24, book and tape below 160
    // columns) takes the chart's place while focused, so Tab brings every panel into view.
    use crate::app::Panel;
    match app.focus {
        Panel::Watchlist if a.watchlist.is_none() => watchlist::render(app, a.chart, buf),
        Panel::News if a.news.is_none() => news::render(app, a.chart, buf),
        Panel::Health if a.health.is_none() => health::render(app, a.chart, buf),
        Panel::Book if a.book.is_none() => book::render(app, a.chart, buf),
        Panel::Trades if a.tape.is_none() => tape::render(app, a.chart, buf),
        _ => chart::render(app, a.chart, buf),
    }
    if let Some(r) = a.book {
        book::render(app, r, buf);
    }
    if let Some(r) = a.tape {
        tape::render(app, r, buf);
    }
    if let Some(r) = a.watchlist {
        watchlist::render(app, r, buf);
    }
    if let Some(r) = a.news {
        news::render(app, r, buf);
    }
    if let Some(r) = a.health {
        health::render(app, r, buf);
    }
    status::render(app, a.status, buf);
    popup::render(app, area, buf);
}

/// Why a panel shows nothing (attached, not streamed...), wrapped and dim.
pub fn explain(why: &str, t: &Theme, area: Rect, buf: &mut Buffer) {
    Paragraph::new(why)
        .style(t.dim())
        .wrap(Wrap { trim: true })
        .render(area, buf);
}

/// "· 3s" in a panel title, coloured by freshness; "· no data" when there is none.
pub fn age_span(age_level: Option<(i64, Level)>, t: &Theme) -> Span<'static> {
    match age_level {
        Some((ms, lvl)) => {
            let stale = if lvl == Level::Good { "" } else { " STALE" };
            Span::styled(format!("· {}{stale} ", age(ms)), t.level(lvl))
        }
        None => Span::styled("· no data ", t.dim()),
    }
}
