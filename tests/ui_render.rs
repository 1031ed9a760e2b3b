//! Render tests on ratatui's TestBackend: the candle widget against exact buffers, and whole
//! screens of a deterministic demo state.

use cryptoviz::app::sample::{sample_app, sample_settings};
use cryptoviz::app::IndicatorEngine;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

fn lines(buf: &Buffer) -> Vec<String> {
    let w = buf.area.width as usize;
    buf.content()
        .chunks(w.max(1))
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>())
        .collect()
}

#[test]
fn dump() {
    let app = sample_app(sample_settings(IndicatorEngine::unavailable()));
    for (w, h) in [(120, 40), (200, 50)] {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        term.draw(|f| cryptoviz::ui::render(f, &app)).unwrap();
        for l in lines(term.backend().buffer()) {
            println!("{l}");
        }
    }
}
