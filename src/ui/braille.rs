//! A minimal braille plotter: 2x4 dots per cell for indicator lines, drawn over what is
//! already in the buffer only where it has dots.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

pub struct Braille {
    area: Rect,
    /// Dot bits per cell, and the style of the last line drawn through it.
    cells: Vec<(u8, Style)>,
}

impl Braille {
    pub fn new(area: Rect) -> Braille {
        Braille {
            area,
            cells: vec![(0, Style::new()); area.width as usize * area.height as usize],
        }
    }

    /// Dot columns across (2 per cell).
    pub fn width(&self) -> i32 {
        self.area.width as i32 * 2
    }

    /// Dot rows (4 per cell), counted from the bottom.
    pub fn height(&self) -> i32 {
        self.area.height as i32 * 4
    }

    pub fn dot(&mut self, x: i32, y: i32, style: Style) {
        if x < 0 || y < 0 || x >= self.width() || y >= self.height() {
            return;
        }
        let cx = (x / 2) as usize;
        let top_y = self.height() - 1 - y;
        let cy = (top_y / 4) as usize;
        let bit = match (x % 2, top_y % 4) {
            (0, 0) => 0x01,
            (0, 1) => 0x02,
            (0, 2) => 0x04,
            (0, _) => 0x40,
            (_, 0) => 0x08,
            (_, 1) => 0x10,
            (_, 2) => 0x20,
            _ => 0x80,
        };
        let cell = &mut self.cells[cy * self.area.width as usize + cx];
        cell.0 |= bit;
        cell.1 = style;
    }

    /// A straight line between two dots (Bresenham).
    pub fn line(&mut self, (x0, y0): (i32, i32), (x1, y1): (i32, i32), style: Style) {
        let (dx, dy) = ((x1 - x0).abs(), -(y1 - y0).abs());
        let (sx, sy) = (if x0 < x1 { 1 } else { -1 }, if y0 < y1 { 1 } else { -1 });
        let (mut x, mut y, mut err) = (x0, y0, dx + dy);
        loop {
            self.dot(x, y, style);
            if x == x1 && y == y1 {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x += sx;
            }
            if e2 <= dx {
                err += dx;
                y += sy;
            }
        }
    }

    pub fn render(self, buf: &mut Buffer) {
        let w = self.area.width as usize;
        for (i, (bits, style)) in self.cells.into_iter().enumerate() {
            if bits == 0 {
                continue;
            }
            let x = self.area.x + (i % w) as u16;
            let y = self.area.y + (i / w) as u16;
            if let Some(cell) = buf.cell_mut((x, y)) {
                cell.set_char(char::from_u32(0x2800 + bits as u32).unwrap_or(' '));
                cell.set_style(style);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_dots_and_lines() {
        let area = Rect::new(0, 0, 2, 1);
        let mut b = Braille::new(area);
        b.line((0, 0), (3, 3), Style::new());
        let mut buf = Buffer::empty(area);
        b.render(&mut buf);
        // Bottom-left dot and the one above-right in cell 0; the top two in cell 1.
        assert_eq!(buf[(0, 0)].symbol(), "⡠");
        assert_eq!(buf[(1, 0)].symbol(), "⠊");
        let mut b = Braille::new(area);
        b.dot(-1, 0, Style::new());
        b.dot(4, 0, Style::new());
        b.dot(0, 4, Style::new());
    }
}
