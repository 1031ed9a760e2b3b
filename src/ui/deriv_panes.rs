//! A perp's funding, open interest and basis as panes under its chart, bar for bar with the
//! candles. A bar shows the last point inside its span: where none was stored or seen (the
//! dashboard was not running, the venue was down) the line breaks rather than carrying a
//! value over the gap.

use std::collections::BTreeMap;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Span;

use super::panes::{Pane, header, latest};
use super::theme::{SeriesColor, Theme};
use crate::app::derivs::DerivPoint;
use crate::app::geometry::Bar;
use crate::app::series::Series;
use crate::domain::{Candle, Millis, Symbol, basis_bps};

pub struct DerivPanes<'a> {
    pub bars: &'a [Bar],
    /// The candles `bars` were folded from.
    pub candles: &'a [Candle],
    /// How long one bar lasts (the timeframe times the candles per column).
    pub bar_ms: Millis,
    pub points: Option<&'a BTreeMap<Millis, DerivPoint>>,
    /// The configured spot market or composite for the basis, with its series at the chart's
    /// timeframe where loaded.
    pub spot: Option<(Symbol, Option<&'a Series>)>,
    /// The perp's base coin, the unit of its open interest.
    pub coin: &'a str,
    pub slot: u16,
    pub pad: u16,
    pub theme: &'a Theme,
}

impl DerivPanes<'_> {
    /// `f` of the last point inside each bar.
    fn per_bar(&self, f: impl Fn(&DerivPoint) -> Option<f64>) -> Vec<Option<f64>> {
        self.bars
            .iter()
            .map(|b| {
                self.points?
                    .range(b.open_time..b.open_time + self.bar_ms)
                    .rev()
                    .find_map(|(_, p)| f(p))
            })
            .collect()
    }

    fn render(&self, pane: Pane, area: Rect, buf: &mut Buffer) {
        pane.render(
            self.bars.len(),
            (self.slot, self.pad),
            self.theme,
            area,
            buf,
        );
    }

    /// Funding per interval in percent; the interval is the newest point's.
    pub fn funding(&self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let rates = self.per_bar(|p| p.funding.map(|r| r * 100.0));
        let hours = self
            .points
            .and_then(|h| h.values().rev().find_map(|p| p.interval_hours));
        let name = match hours {
            Some(h) => format!("Funding %/{h}h"),
            None => "Funding %".into(),
        };
        let last = latest(&rates);
        let value = match last {
            Some(v) => format!("{v:+.4}% "),
            None => "– ".into(),
        };
        let style = match last {
            Some(v) if v != 0.0 => t.direction(v > 0.0),
            _ => t.series(SeriesColor::Primary),
        };
        self.render(
            Pane {
                header: header(name, t, vec![Span::styled(value, style)]),
                lines: Vec::new(),
                hist: Some(rates),
                guides: vec![0.0],
                range: None,
            },
            area,
            buf,
        );
    }

    /// Open interest in the base coin, with its change over the bars shown.
    pub fn open_interest(&self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let oi = self.per_bar(|p| p.open_interest);
        let mut spans = vec![Span::styled(
            match latest(&oi) {
                Some(v) => format!("{} {} ", super::text::compact(v), self.coin),
                None => "– ".into(),
            },
            t.series(SeriesColor::Primary),
        )];
        let first = oi.iter().flatten().next();
        if let (Some(&a), Some(b)) = (first, latest(&oi))
            && a > 0.0
        {
            let change = (b - a) / a * 100.0;
            spans.push(Span::styled(
                format!("{change:+.1}% on screen "),
                t.direction(change >= 0.0),
            ));
        }
        self.render(
            Pane {
                header: header("OI".into(), t, spans),
                lines: vec![(oi, t.series(SeriesColor::Primary))],
                hist: None,
                guides: Vec::new(),
                range: None,
            },
            area,
            buf,
        );
    }

    /// Basis in bp: the mark against the index, and against the configured spot market's
    /// close of the same candle.
    pub fn basis(&self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let index = self.per_bar(|p| p.basis_bps);
        let marks = self.per_bar(|p| p.mark);
        let mut lines = vec![(index, t.series(SeriesColor::Primary))];
        let mut spans = vec![
            Span::styled("index ", t.series(SeriesColor::Primary)),
            Span::styled(bp(latest(&lines[0].0)), t.series(SeriesColor::Primary)),
        ];
        if let Some((spot, series)) = self.spot {
            let vs: Vec<Option<f64>> = self
                .bars
                .iter()
                .zip(&marks)
                .map(|(b, mark)| {
                    let at = self.candles.get(b.last)?.open_time;
                    let s = series?;
                    let c = s.candles().get(s.index_at_or_before(at)?)?;
                    (c.open_time == at).then_some(())?;
                    basis_bps((*mark)?, c.close.to_f64())
                })
                .collect();
            let style = t.series(SeriesColor::Secondary);
            spans.push(Span::styled(format!("vs {} ", spot.as_str()), style));
            spans.push(Span::styled(bp(latest(&vs)), style));
            lines.push((vs, style));
        }
        self.render(
            Pane {
                header: header("Basis bp".into(), t, spans),
                lines,
                hist: None,
                guides: vec![0.0],
                range: None,
            },
            area,
            buf,
        );
    }
}

fn bp(v: Option<f64>) -> String {
    match v {
        Some(v) => format!("{v:+.1} "),
        None => "– ".into(),
    }
}
