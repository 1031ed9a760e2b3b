//! Volume bars in eighth blocks, coloured like their candles.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::candles::{Bar, glyph_offset, split_axis};
use super::text;
use super::theme::Theme;

const EIGHTHS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

pub fn render(bars: &[Bar], slot: u16, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let area = area.intersection(buf.area);
    if area.is_empty() || bars.is_empty() {
        return;
    }
    let (plot, axis) = split_axis(area);
    let slot = slot.max(1);
    let shown = bars.len().min((plot.width / slot) as usize);
    let bars = &bars[bars.len() - shown..];
    let max = bars.iter().map(|b| b.volume).fold(0.0, f64::max);
    if !super::scale::positive(max) {
        return;
    }
    let total = plot.height as f64 * 8.0;
    for (i, b) in bars.iter().enumerate() {
        let x = plot.x + i as u16 * slot + glyph_offset(slot);
        let mut eighths = (b.volume / max * total).round() as i64;
        if b.volume > 0.0 {
            eighths = eighths.max(1);
        }
        let style = theme.direction(b.up());
        for r in (0..plot.height).rev() {
            let fill = eighths.clamp(0, 8) as usize;
            if fill == 0 {
                break;
            }
            buf[(x, plot.y + r)]
                .set_char(EIGHTHS[fill])
                .set_style(style);
            eighths -= 8;
        }
    }
    if let Some(axis) = axis {
        let label = format!("vol {}", text::compact(max));
        buf.set_stringn(
            axis.x + 1,
            axis.y,
            label,
            (axis.width - 1) as usize,
            theme.dim(),
        );
    }
}
