//! Rendering: each panel and popup of the App draws itself ([`Draw`]) from its own state and
//! a read-only [`Ctx`]; the status bar reads the App. Nothing here changes state, so a frame
//! is a pure function of the App.

// The chart's geometry, the layout and the theme are the dashboard's state (the App lays out
// and hit-tests what the UI draws); they are re-exported where the drawing code reads them.
pub use crate::app::{layout, theme};

pub mod book;
pub mod braille;
pub mod candles;
pub mod chart;
pub mod crosshair;
pub mod deriv_panes;
pub mod derivs;
pub mod health;
pub mod indicator_menu;
pub mod news;
pub mod overlay;
pub mod panes;
pub mod popup;
pub mod portfolio;
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

use crate::app::news::NewsState;
use crate::app::time::age;
use crate::app::{App, Model, Panel};
use theme::Level;

/// What a panel draws from besides its own state: read-only, built once a frame.
pub struct Ctx<'a> {
    pub model: &'a Model,
    /// The headlines: the chart marks them on its time axis, the news popup shows one.
    pub news: &'a NewsState,
    /// The watchlist's rows in its order (the grid's other charts follow it).
    pub order: &'a [usize],
    pub focus: Panel,
}

/// A panel or popup that draws itself (after gitui's `DrawableComponent`): its own state is
/// `self`, everything else comes from the context.
pub trait Draw {
    fn draw(&self, cx: &Ctx, area: Rect, buf: &mut Buffer);
}

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
    let Some(a) = layout::layout(area, app.model.watch_rows()) else {
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
    let order = app.watch_order();
    let cx = Ctx {
        model: &app.model,
        news: &app.news,
        order: &order,
        focus: app.focus,
    };
    // A panel without room of its own (side panels at 80x24, book and tape below 160
    // columns) takes the chart's place while focused, so Tab brings every panel into view.
    let panels: [(Panel, Option<Rect>, &dyn Draw); 5] = [
        (Panel::Book, a.book, &app.book),
        (Panel::Trades, a.tape, &app.tape),
        (Panel::Watchlist, a.watchlist, &app.watchlist),
        (Panel::News, a.news, &app.news),
        (Panel::Health, a.health, &app.health),
    ];
    let in_chart_place = panels
        .iter()
        .find(|(p, r, _)| *p == app.focus && r.is_none())
        .map_or(&app.chart as &dyn Draw, |(_, _, d)| *d);
    in_chart_place.draw(&cx, a.chart, buf);
    for (_, r, panel) in panels {
        if let Some(r) = r {
            panel.draw(&cx, r, buf);
        }
    }
    status::render(app, a.status, buf);
    if let Some(p) = &app.popup {
        p.draw(&cx, area, buf);
    }
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
