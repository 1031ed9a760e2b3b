//! The time axis under the chart, in the configured zone: labels on round local times chosen
//! so they never crowd, and a mark wherever a headline was published.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::candles::{Bar, glyph_offset};
use super::theme::Theme;
use crate::app::time::TimeZone;
use crate::domain::Millis;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
const STEPS: &[i64] = &[
    MINUTE,
    2 * MINUTE,
    5 * MINUTE,
    10 * MINUTE,
    15 * MINUTE,
    30 * MINUTE,
    HOUR,
    2 * HOUR,
    3 * HOUR,
    6 * HOUR,
    12 * HOUR,
    DAY,
    2 * DAY,
    7 * DAY,
    14 * DAY,
    30 * DAY,
    91 * DAY,
    182 * DAY,
    365 * DAY,
];
/// Columns from one label's start to the next, at least.
const LABEL_SPACING: i64 = 12;

pub struct TimeAxis<'a> {
    pub bars: &'a [Bar],
    /// Columns per bar.
    pub slot: u16,
    /// Milliseconds one bar spans.
    pub bar_ms: i64,
    pub tz: TimeZone,
    pub theme: &'a Theme,
    /// (publication time, style) of headlines to mark.
    pub marks: &'a [(Millis, Style)],
}

impl TimeAxis<'_> {
    pub fn render(&self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        if area.is_empty() || self.bars.is_empty() {
            return;
        }
        let slot = self.slot.max(1) as i64;
        let shown = self.bars.len().min((area.width as i64 / slot) as usize);
        let bars = &self.bars[self.bars.len() - shown..];
        let ms_per_col = (self.bar_ms / slot).max(1);
        let step = STEPS
            .iter()
            .copied()
            .find(|s| *s >= ms_per_col * LABEL_SPACING)
            .unwrap_or(365 * DAY);
        let x_of = |i: usize| area.x + i as u16 * slot as u16 + glyph_offset(slot as u16);

        // With two rows, marks sit above the labels; with one, labels make way for marks.
        let label_y = area.bottom() - 1;
        let mut marked = vec![false; area.width as usize];
        for (t, style) in self.marks {
            let i = bars.partition_point(|b| b.open_time <= *t);
            if i == 0 || (i == bars.len() && *t >= bars[i - 1].open_time + self.bar_ms) {
                continue;
            }
            let x = x_of(i - 1);
            buf.set_stringn(x, area.y, "◆", 1, *style);
            marked[(x - area.x) as usize] = area.height == 1;
        }

        let mut next_free = area.x;
        let mut prev_bucket = None;
        // The first label carries the date too, so a view panned into the past says which day.
        let mut dated = false;
        for (i, b) in bars.iter().enumerate() {
            let local = b.open_time + self.tz.offset_ms(b.open_time);
            let bucket = local.div_euclid(step);
            let boundary = prev_bucket.is_some_and(|p| p != bucket);
            prev_bucket = Some(bucket);
            let x = x_of(i);
            if !boundary || x < next_free {
                continue;
            }
            let fmt = if step >= 30 * DAY {
                "%Y-%m"
            } else if step >= DAY || local.rem_euclid(DAY) < self.bar_ms {
                "%m-%d"
            } else if !dated {
                "%m-%d %H:%M"
            } else {
                "%H:%M"
            };
            let label = format!("╵{}", self.tz.format(b.open_time, fmt));
            let width = label.chars().count();
            let span = (x - area.x) as usize..(x - area.x) as usize + width;
            if span.end > area.width as usize {
                break;
            }
            if marked[span].iter().any(|m| *m) {
                continue;
            }
            buf.set_stringn(x, label_y, &label, width, self.theme.dim());
            next_free = x + width as u16 + 1;
            dated = true;
        }
    }
}
