//! The event loop: one `select!` over terminal input, data events and the clocks. It draws
//! only when the App says something changed, at most `fps` times a second, so an idle
//! dashboard wakes once a second (to age its timestamps) and otherwise sleeps.

use std::io;
use std::time::Duration;

use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

use super::terminal::Tui;
use crate::app::event::{DataEvent, Request};
use crate::app::state::App;
use crate::domain::now_ms;
use crate::ui;

/// Data events folded per wake-up before yielding to input and drawing.
const DATA_BATCH: usize = 1024;

/// Runs until the user quits or the terminal goes away. Requests the App makes are sent on
/// `requests`; a closed request channel is not an error (the dashboard keeps working on what
/// it has).
pub async fn run(
    terminal: &mut Tui,
    app: &mut App,
    mut data: mpsc::Receiver<DataEvent>,
    requests: mpsc::UnboundedSender<Request>,
    fps: u32,
) -> io::Result<()> {
    let frame = Duration::from_secs(1) / fps.clamp(1, 240);
    let mut input = EventStream::new();
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    clock.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut data_open = true;
    let mut last_draw: Option<Instant> = None;

    let size = terminal.size()?;
    app.set_screen(size.width, size.height);

    loop {
        for r in app.take_requests() {
            let _ = requests.send(r);
        }
        if app.should_quit() {
            return Ok(());
        }
        let due = last_draw.map_or_else(Instant::now, |t| t + frame);
        if app.is_dirty() && Instant::now() >= due {
            app.take_dirty();
            terminal.draw(|f| ui::render(f, app))?;
            if app.take_bell() {
                use std::io::Write;
                // The terminal bell: BEL on the terminal's own output, between frames.
                let mut out = std::io::stdout();
                let _ = out.write_all(b"\x07").and_then(|()| out.flush());
            }
            last_draw = Some(Instant::now());
            continue;
        }
        let draw_pending = app.is_dirty();
        tokio::select! {
            ev = input.next() => match ev {
                Some(Ok(ev)) => {
                    app.tick(now_ms());
                    on_terminal_event(app, ev);
                }
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            },
            ev = data.recv(), if data_open => match ev {
                Some(ev) => {
                    app.tick(now_ms());
                    app.apply(ev);
                    for _ in 0..DATA_BATCH {
                        match data.try_recv() {
                            Ok(ev) => app.apply(ev),
                            Err(_) => break,
                        }
                    }
                }
                None => data_open = false,
            },
            _ = tokio::time::sleep_until(due), if draw_pending => {}
            _ = clock.tick() => app.tick(now_ms()),
        }
    }
}

fn on_terminal_event(app: &mut App, ev: Event) {
    match ev {
        Event::Key(k) => app.handle_key(k),
        Event::Mouse(m) => app.handle_mouse(m),
        Event::Resize(w, h) => {
            app.set_screen(w, h);
            app.mark_dirty();
        }
        _ => {}
    }
}
