//! The help popup's text and where it goes: the App scrolls it no further than its last row,
//! and the UI draws it there.

use ratatui::layout::Rect;

use super::keymap::Keymap;
use super::layout::centered;

/// The help popup's lines (key column, words), the note below them last.
pub fn help_rows(keymap: &Keymap) -> Vec<(String, String)> {
    let rows = keymap.help_rows();
    let kw = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut out: Vec<(String, String)> = rows
        .into_iter()
        .map(|(k, h)| (format!(" {k:>kw$}  "), h.to_string()))
        .collect();
    out.push((String::new(), String::new()));
    out.push((
        String::new(),
        " Mouse wheel zooms. ◆ on the time axis marks a headline. Keys: ui.keys in the config."
            .into(),
    ));
    out
}

/// Where the help popup goes on a screen of `area`, how many rows its text wraps to, and how
/// many of them it shows.
pub fn help_geometry(keymap: &Keymap, area: Rect) -> (Rect, usize, usize) {
    let rows = help_rows(keymap);
    let r = centered(area, 72, rows.len() as u16 + 2);
    let inner_w = r.width.saturating_sub(2).max(1) as usize;
    let total = rows
        .iter()
        .map(|(k, h)| {
            (k.chars().count() + h.chars().count())
                .div_ceil(inner_w)
                .max(1)
        })
        .sum();
    (r, total, r.height.saturating_sub(2) as usize)
}

/// How far the help popup scrolls on a `width` x `height` screen: to its last row, no further.
pub fn help_max_scroll(keymap: &Keymap, width: u16, height: u16) -> u16 {
    let (_, total, shown) = help_geometry(keymap, Rect::new(0, 0, width, height));
    total.saturating_sub(shown) as u16
}
