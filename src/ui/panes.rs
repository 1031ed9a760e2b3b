//! The chosen indicators on the chart: each pane under it (a header with the latest values, a
//! braille line plot aligned column for column with the candles, guides and a histogram) and
//! the overlays' dots on the price chart.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::braille::Braille;
use super::candles::{Bar, glyph_offset, split_axis};
use super::scale::Scale;
use super::theme::{SeriesColor, Theme};
use crate::indicators::Study;
use crate::indicators::spec::{Kind, Spec};

/// One pane: its header, its lines and histogram (one value per bar), guides, range.
pub(super) struct Pane<'a> {
    pub header: Line<'a>,
    pub lines: Vec<(Vec<Option<f64>>, Style)>,
    pub hist: Option<Vec<Option<f64>>>,
    pub guides: Vec<f64>,
    /// Fixed range (RSI 0..100); otherwise fitted to what is visible.
    pub range: Option<(f64, f64)>,
}

impl Pane<'_> {
    pub(super) fn render(
        self,
        bars_shown: usize,
        (slot, pad): (u16, u16),
        theme: &Theme,
        area: Rect,
        buf: &mut Buffer,
    ) {
        let area = area.intersection(buf.area);
        if area.is_empty() {
            return;
        }
        buf.set_line(area.x, area.y, &self.header, area.width);
        if area.height < 2 {
            return;
        }
        let body = Rect {
            y: area.y + 1,
            height: area.height - 1,
            ..area
        };
        let (plot, axis) = split_axis(body);
        let plot = Rect {
            x: plot.x + pad.min(plot.width),
            width: plot.width - pad.min(plot.width),
            ..plot
        };
        let slot = slot.max(1);
        let n = bars_shown.min((plot.width / slot) as usize);
        let tail = |v: &Vec<Option<f64>>| v[v.len().saturating_sub(n)..].to_vec();
        let lines: Vec<_> = self.lines.iter().map(|(v, s)| (tail(v), *s)).collect();
        let hist = self.hist.as_ref().map(tail);
        let scale = match self.range {
            Some((lo, hi)) => Some(Scale::new(lo, hi, plot.height)),
            None => Scale::fit(
                lines
                    .iter()
                    .flat_map(|(v, _)| v.iter().flatten().copied())
                    .chain(hist.iter().flatten().flatten().copied())
                    .chain(self.guides.iter().copied()),
                plot.height,
            ),
        };
        let Some(scale) = scale else {
            return;
        };
        let no_values = lines.iter().all(|(v, _)| v.iter().all(Option::is_none))
            && hist.as_ref().is_none_or(|h| h.iter().all(Option::is_none));
        if no_values {
            return;
        }
        let x_of = |i: usize| plot.x + i as u16 * slot + glyph_offset(slot);

        for g in &self.guides {
            let row = plot.y + scale.row(*g);
            for x in plot.left()..plot.right() {
                buf[(x, row)]
                    .set_char('┈')
                    .set_style(theme.series(SeriesColor::Guide));
            }
        }

        if let Some(hist) = &hist {
            let zero = scale.unit(0.0);
            for (i, h) in hist.iter().enumerate() {
                let Some(h) = *h else { continue };
                let u = scale.unit(h);
                if u == zero {
                    // Too small to see: drawing it would only thicken the zero line.
                    continue;
                }
                let (lo, hi) = (zero.min(u), zero.max(u));
                let style = theme.direction(h >= 0.0);
                for r in 0..plot.height {
                    let lower = 2 * (plot.height as i32 - 1 - r as i32);
                    let glyph = match ((lo..=hi).contains(&lower), (lo..=hi).contains(&(lower + 1)))
                    {
                        (true, true) => '█',
                        (true, false) => '▄',
                        (false, true) => '▀',
                        (false, false) => continue,
                    };
                    buf[(x_of(i), plot.y + r)].set_char(glyph).set_style(style);
                }
            }
        }

        let mut dots = Braille::new(plot);
        for (values, style) in &lines {
            let mut prev: Option<(i32, i32)> = None;
            for (i, v) in values.iter().enumerate() {
                let Some(v) = *v else {
                    prev = None;
                    continue;
                };
                let p = (2 * (x_of(i) - plot.x) as i32, scale.dot(v));
                match prev {
                    Some(q) => dots.line(q, p, *style),
                    None => dots.dot(p.0, p.1, *style),
                }
                prev = Some(p);
            }
        }
        dots.render(buf);

        if let Some(axis) = axis {
            let w = (axis.width - 1) as usize;
            let mut labels: Vec<(u16, f64)> =
                self.guides.iter().map(|g| (scale.row(*g), *g)).collect();
            if self.range.is_none() && plot.height >= 2 {
                labels.push((0, scale.hi));
                labels.push((plot.height - 1, scale.lo));
            }
            let mut used: Vec<u16> = Vec::new();
            for (row, v) in labels {
                if used.contains(&row) {
                    continue;
                }
                used.push(row);
                buf.set_stringn(axis.x + 1, axis.y + row, short(v), w, theme.dim());
            }
        }
    }
}

/// Axis labels for indicator values: few digits, since only the shape matters here.
fn short(v: f64) -> String {
    let a = v.abs();
    if a >= 1000.0 {
        super::text::compact(v)
    } else if a >= 100.0 || a == 0.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        super::text::significant(v, 3)
    }
}

pub(super) fn latest(v: &[Option<f64>]) -> Option<f64> {
    v.last().copied().flatten()
}

fn value_span<'a>(label: &'a str, gap: &'a str, v: Option<f64>, style: Style) -> [Span<'a>; 3] {
    [
        Span::styled(label, style),
        Span::styled(gap, style),
        Span::styled(
            match v {
                Some(v) => format!("{} ", short(v)),
                None => "– ".into(),
            },
            style,
        ),
    ]
}

pub(super) fn header<'a>(name: String, theme: &Theme, spans: Vec<Span<'a>>) -> Line<'a> {
    let mut all = vec![Span::styled(format!("─ {name} "), theme.title())];
    all.extend(spans);
    Line::from(all)
}

/// How an indicator reads in a pane: a fixed range (oscillators), guide lines, and the levels
/// above and below which the header names the zone.
struct Look {
    range: Option<(f64, f64)>,
    guides: &'static [f64],
    zones: Option<(f64, f64)>,
}

fn look(kind: Kind) -> Look {
    let bounded = |hi: f64, lo: f64, guides: &'static [f64]| Look {
        range: Some((0.0, 100.0)),
        guides,
        zones: Some((hi, lo)),
    };
    match kind {
        Kind::Rsi => bounded(70.0, 30.0, &[70.0, 30.0]),
        Kind::Stoch | Kind::StochRsi | Kind::Mfi => bounded(80.0, 20.0, &[80.0, 20.0]),
        Kind::Willr => Look {
            range: Some((-100.0, 0.0)),
            guides: &[-20.0, -80.0],
            zones: Some((-20.0, -80.0)),
        },
        Kind::Adx => Look {
            range: Some((0.0, 100.0)),
            guides: &[25.0],
            zones: None,
        },
        Kind::Cci => Look {
            range: None,
            guides: &[100.0, -100.0],
            zones: Some((100.0, -100.0)),
        },
        Kind::Macd | Kind::Mom | Kind::Roc => Look {
            range: None,
            guides: &[0.0],
            zones: None,
        },
        _ => Look {
            range: None,
            guides: &[],
            zones: None,
        },
    }
}

/// A pane's rows: a header and a plot; a histogram gets a row more.
pub fn rows_of(spec: &Spec) -> u16 {
    if spec.def().outputs.contains(&HIST) {
        5
    } else {
        4
    }
}

/// The output drawn as a histogram rather than a line.
const HIST: &str = "hist";

/// Line colours of a pane's outputs, in order.
const LINE_COLOURS: [SeriesColor; 3] = [
    SeriesColor::Primary,
    SeriesColor::Secondary,
    SeriesColor::Band,
];

/// An overlay's dots on the price chart: each output's values at the bars, one style and one
/// glyph (so overlays stay apart on a terminal without colour).
pub struct OverlayDots {
    pub lines: Vec<Vec<Option<f64>>>,
    pub style: Style,
    pub glyph: char,
}

/// Glyphs of the overlays, in the chosen order; the first is v2's Bollinger dot.
pub const OVERLAY_GLYPHS: [char; 8] = ['·', '•', '∘', '×', '+', '°', '*', '~'];

/// The glyph of the `n`-th overlay.
pub fn overlay_glyph(n: usize) -> char {
    OVERLAY_GLYPHS[n % OVERLAY_GLYPHS.len()]
}

/// The style of the `n`-th overlay; the first is v2's Bollinger colour.
pub fn overlay_style(theme: &Theme, n: usize) -> Style {
    match n % 4 {
        0 => theme.series(SeriesColor::Band),
        1 => theme.series(SeriesColor::Secondary),
        2 => theme.series(SeriesColor::Primary),
        _ => theme.accent(),
    }
}

/// A value at bar `i`, absent where the indicator has none (NaN in its output).
fn present(values: &[f64], i: usize) -> Option<f64> {
    values.get(i).copied().filter(|v| v.is_finite())
}

/// The chosen indicators for one frame; each study is aligned with the candles `bars` were
/// folded from.
pub struct Indicators<'a> {
    pub bars: &'a [Bar],
    pub studies: &'a [Study],
    pub slot: u16,
    /// Empty columns left of the first bar (a short series ends at the right edge).
    pub pad: u16,
    pub theme: &'a Theme,
}

impl Indicators<'_> {
    fn sample(&self, values: &[f64]) -> Vec<Option<f64>> {
        self.bars.iter().map(|b| present(values, b.last)).collect()
    }

    /// The overlays (the studies drawn on the price chart), sampled at the bars.
    pub fn overlays(&self) -> Vec<OverlayDots> {
        self.studies
            .iter()
            .filter(|s| s.spec.def().overlay)
            .enumerate()
            .map(|(n, s)| OverlayDots {
                lines: s.outputs.iter().map(|v| self.sample(v)).collect(),
                style: overlay_style(self.theme, n),
                glyph: overlay_glyph(n),
            })
            .collect()
    }

    /// One study's pane: a header with its latest values (and zone), its lines, histogram
    /// and guides.
    pub fn pane(&self, study: &Study, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let def = study.spec.def();
        let look = look(study.spec.kind);
        let mut spans = Vec::new();
        let mut lines = Vec::new();
        let mut hist = None;
        let mut colours = LINE_COLOURS.iter();
        for (n, (name, values)) in def.outputs.iter().zip(&study.outputs).enumerate() {
            let sampled = self.sample(values);
            let last = latest(&sampled);
            let label = if n == 0 { "" } else { name };
            let gap = if n == 0 { "" } else { " " };
            if *name == HIST {
                spans.extend(value_span(label, gap, last, t.dim()));
                hist = Some(sampled);
                continue;
            }
            let style = t.series(*colours.next().unwrap_or(&SeriesColor::Primary));
            spans.extend(value_span(label, gap, last, style));
            if n == 0
                && let (Some(v), Some((hi, lo))) = (last, look.zones)
            {
                if v >= hi {
                    spans.push(Span::styled("overbought ", t.direction(false)));
                } else if v <= lo {
                    spans.push(Span::styled("oversold ", t.direction(true)));
                }
            }
            lines.push((sampled, style));
        }
        Pane {
            header: header(study.spec.label(), t, spans),
            lines,
            hist,
            guides: look.guides.to_vec(),
            range: look.range,
        }
        .render(self.bars.len(), (self.slot, self.pad), t, area, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::short;

    #[test]
    fn tiny_values_keep_their_digits() {
        assert_eq!(short(-0.00000123), "-0.00000123");
        assert_eq!(short(0.0456), "0.0456");
        assert_eq!(short(55.2), "55.20");
        assert_eq!(short(0.0), "0");
        assert_eq!(short(12_345.0), crate::ui::text::compact(12_345.0));
    }
}
