//! Indicator panes under the chart (RSI, MACD, Momentum): a header with the latest values, a
//! braille line plot aligned column for column with the candles, guides and a histogram.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::braille::Braille;
use super::candles::{Bar, glyph_offset, split_axis};
use super::scale::Scale;
use super::theme::{SeriesColor, Theme};
use crate::indicators::IndicatorSet;

/// Values at each bar: the value of the last candle folded into it.
fn sample(values: &[Option<f64>], bars: &[Bar]) -> Vec<Option<f64>> {
    bars.iter()
        .map(|b| values.get(b.last).copied().flatten())
        .collect()
}

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

fn value_span<'a>(label: &'a str, v: Option<f64>, style: Style) -> [Span<'a>; 2] {
    [
        Span::styled(label, style),
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

/// The indicator panes for one frame; `ind` is aligned with the candles `bars` were folded from.
pub struct Indicators<'a> {
    pub bars: &'a [Bar],
    pub ind: &'a IndicatorSet,
    pub slot: u16,
    /// Empty columns left of the first bar (a short series ends at the right edge).
    pub pad: u16,
    pub theme: &'a Theme,
}

impl Indicators<'_> {
    pub fn rsi(&self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let rsi = sample(&self.ind.rsi, self.bars);
        let last = latest(&rsi);
        let zone = match last {
            Some(v) if v >= 70.0 => Span::styled("overbought ", t.direction(false)),
            Some(v) if v <= 30.0 => Span::styled("oversold ", t.direction(true)),
            _ => Span::raw(""),
        };
        let mut spans = value_span("", last, t.series(SeriesColor::Primary)).to_vec();
        spans.push(zone);
        Pane {
            header: header(format!("RSI({})", self.ind.params.rsi), t, spans),
            lines: vec![(rsi, t.series(SeriesColor::Primary))],
            hist: None,
            guides: vec![70.0, 30.0],
            range: Some((0.0, 100.0)),
        }
        .render(self.bars.len(), (self.slot, self.pad), t, area, buf);
    }

    pub fn macd(&self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let (m, s, h) = (
            sample(&self.ind.macd.macd, self.bars),
            sample(&self.ind.macd.signal, self.bars),
            sample(&self.ind.macd.hist, self.bars),
        );
        let p = &self.ind.params;
        let mut spans = value_span("", latest(&m), t.series(SeriesColor::Primary)).to_vec();
        spans.extend(value_span(
            "signal ",
            latest(&s),
            t.series(SeriesColor::Secondary),
        ));
        spans.extend(value_span("hist ", latest(&h), t.dim()));
        Pane {
            header: header(
                format!("MACD({},{},{})", p.macd_fast, p.macd_slow, p.macd_signal),
                t,
                spans,
            ),
            lines: vec![
                (m, t.series(SeriesColor::Primary)),
                (s, t.series(SeriesColor::Secondary)),
            ],
            hist: Some(h),
            guides: vec![0.0],
            range: None,
        }
        .render(self.bars.len(), (self.slot, self.pad), t, area, buf);
    }

    pub fn momentum(&self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let m = sample(&self.ind.momentum, self.bars);
        let spans = value_span("", latest(&m), t.series(SeriesColor::Primary)).to_vec();
        Pane {
            header: header(format!("MOM({})", self.ind.params.momentum), t, spans),
            lines: vec![(m, t.series(SeriesColor::Primary))],
            hist: None,
            guides: vec![0.0],
            range: None,
        }
        .render(self.bars.len(), (self.slot, self.pad), t, area, buf);
    }

    /// Bollinger bands sampled at the bars, for the price chart's overlay.
    pub fn bands(&self) -> [Vec<Option<f64>>; 3] {
        [
            sample(&self.ind.bollinger.upper, self.bars),
            sample(&self.ind.bollinger.middle, self.bars),
            sample(&self.ind.bollinger.lower, self.bars),
        ]
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
