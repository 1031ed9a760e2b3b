//! Where each panel goes for a given terminal size. Pure geometry, shared by the renderer and
//! the event loop (which tells the App how wide the chart is).

use ratatui::layout::Rect;

use super::geometry::split_axis;

/// Below this the dashboard shows "terminal too small".
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 12;
/// Narrower than this, the side panels are dropped and the chart takes the width.
const SIDE_MIN_TOTAL: u16 = 100;
/// From this width on, the book and the trade tape get a column of their own between the
/// chart and the side panels; below it they take the chart's place when focused.
const MARKET_MIN_TOTAL: u16 = 160;
const MARKET_W: u16 = 30;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Areas {
    /// The chart column, border included.
    pub chart: Rect,
    pub watchlist: Option<Rect>,
    pub news: Option<Rect>,
    pub health: Option<Rect>,
    pub book: Option<Rect>,
    pub tape: Option<Rect>,
    pub status: Rect,
}

/// Which of the chart's lower panes are shown (each toggled by a key); the derivatives panes
/// only under a perp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PaneSet {
    pub volume: bool,
    pub rsi: bool,
    pub macd: bool,
    pub momentum: bool,
    pub funding: bool,
    pub open_interest: bool,
    pub basis: bool,
}

impl PaneSet {
    /// Whether an indicator pane of this kind is shown: RSI, MACD and momentum panes have
    /// their one-key toggles (v2's); the others are shown while chosen.
    pub fn shows(self, kind: crate::indicators::spec::Kind) -> bool {
        use crate::indicators::spec::Kind;
        match kind {
            Kind::Rsi => self.rsi,
            Kind::Macd => self.macd,
            Kind::Mom => self.momentum,
            _ => true,
        }
    }

    /// What is shown under a chart of a perp or (`perp` false) of a spot market.
    pub fn for_market(self, perp: bool) -> PaneSet {
        PaneSet {
            funding: self.funding && perp,
            open_interest: self.open_interest && perp,
            basis: self.basis && perp,
            ..self
        }
    }
}

impl Default for PaneSet {
    fn default() -> Self {
        PaneSet {
            volume: true,
            rsi: true,
            macd: true,
            momentum: true,
            funding: true,
            open_interest: true,
            basis: true,
        }
    }
}

/// One chosen indicator's pane as the layout sees it: whether it is shown, and its height
/// (a header row and the plot).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StudyRows {
    pub shown: bool,
    pub rows: u16,
}

/// v2's panes (RSI, MACD with its histogram, momentum), all shown: the default chart.
pub const V2_STUDIES: [StudyRows; 3] = [
    StudyRows {
        shown: true,
        rows: 4,
    },
    StudyRows {
        shown: true,
        rows: 5,
    },
    StudyRows {
        shown: true,
        rows: 4,
    },
];

/// Panes inside the chart column's border.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartAreas {
    pub candles: Rect,
    pub volume: Option<Rect>,
    /// The indicator panes in the chosen order (index into the chosen panes, its rectangle):
    /// those shown that fit.
    pub studies: Vec<(usize, Rect)>,
    pub funding: Option<Rect>,
    pub open_interest: Option<Rect>,
    pub basis: Option<Rect>,
    pub time_axis: Rect,
}

pub fn too_small(area: Rect) -> bool {
    area.width < MIN_WIDTH || area.height < MIN_HEIGHT
}

/// None when the terminal is too small for the dashboard.
pub fn layout(area: Rect, watch_rows: usize) -> Option<Areas> {
    if too_small(area) {
        return None;
    }
    let status = Rect {
        y: area.bottom() - 1,
        height: 1,
        ..area
    };
    let main = Rect {
        height: area.height - 1,
        ..area
    };
    if area.width < SIDE_MIN_TOTAL || main.height < 20 {
        return Some(Areas {
            chart: main,
            watchlist: None,
            news: None,
            health: None,
            book: None,
            tape: None,
            status,
        });
    }
    let side_w = (area.width * 3 / 10).clamp(34, 56);
    let market_w = if area.width >= MARKET_MIN_TOTAL {
        MARKET_W
    } else {
        0
    };
    let chart = Rect {
        width: main.width - side_w - market_w,
        ..main
    };
    let market_x = main.x + chart.width;
    let book_h = main.height * 11 / 20;
    let market = |y: u16, h: u16| (market_w > 0).then(|| Rect::new(market_x, y, market_w, h));
    let side_x = market_x + market_w;
    let watch_h = (watch_rows as u16 + 3).clamp(4, main.height / 3);
    let rest = main.height - watch_h;
    let news_h = rest * 9 / 20;
    let col = |y: u16, h: u16| Rect::new(side_x, y, side_w, h);
    Some(Areas {
        chart,
        watchlist: Some(col(main.y, watch_h)),
        news: Some(col(main.y + watch_h, news_h)),
        health: Some(col(main.y + watch_h + news_h, rest - news_h)),
        book: market(main.y, book_h),
        tape: market(main.y + book_h, main.height - book_h),
        status,
    })
}

/// Splits the chart column's inner area: candles on top, then volume and the indicator panes
/// as height allows, the time axis at the bottom.
pub fn chart_layout(inner: Rect, shown: PaneSet, studies: &[StudyRows]) -> ChartAreas {
    // Tall enough: headline marks get their own row above the time axis.
    let axis_h = if inner.height >= 36 { 2 } else { 1 };
    let time_axis = Rect {
        y: inner.bottom().saturating_sub(axis_h),
        height: inner.height.min(axis_h),
        ..inner
    };
    let avail = inner.height.saturating_sub(axis_h);
    let mut y = inner.y + avail;
    let mut take = |on: bool, min_avail: u16, h: u16| {
        (on && avail >= min_avail).then(|| {
            y -= h;
            Rect {
                y,
                height: h,
                ..inner
            }
        })
    };
    // Bottom-up; each pane needs so many rows in all (`min_avail`), so the ones that go first
    // when space is short are those asking most: the later indicator panes (the n-th asks
    // 18 + 6n rows, which for v2's RSI, MACD and momentum is 18, 24 and 30). A perp's
    // derivatives sit together under the first indicator pane; funding asks little, since
    // its trader checks it every few minutes.
    let min_for = |n: usize| 18u16.saturating_add(6u16.saturating_mul(n.min(1000) as u16));
    let mut placed = Vec::new();
    for (n, st) in studies.iter().enumerate().skip(1).rev() {
        if let Some(r) = take(st.shown, min_for(n), st.rows) {
            placed.push((n, r));
        }
    }
    let basis = take(shown.basis, 38, 3);
    let open_interest = take(shown.open_interest, 32, 3);
    let funding = take(shown.funding, 22, 3);
    if let Some(first) = studies.first()
        && let Some(r) = take(first.shown, min_for(0), first.rows)
    {
        placed.push((0, r));
    }
    placed.reverse();
    let volume = take(shown.volume, 12, 3);
    let candles = Rect {
        height: y - inner.y,
        ..inner
    };
    ChartAreas {
        candles,
        volume,
        studies: placed,
        funding,
        open_interest,
        basis,
        time_axis,
    }
}

/// Inside of a bordered block.
pub fn inner(r: Rect) -> Rect {
    Rect {
        x: r.x.saturating_add(1),
        y: r.y.saturating_add(1),
        width: r.width.saturating_sub(2),
        height: r.height.saturating_sub(2),
    }
}

/// Columns of the (first) candle plot for a terminal of this size with `charts` charts (0
/// when too small).
pub fn chart_cols(area: Rect, watch_rows: usize, charts: usize) -> u16 {
    layout(area, watch_rows)
        .map(|a| {
            let first = chart_grid(a.chart, charts)[0];
            split_axis(chart_layout(inner(first), PaneSet::default(), &[]).candles)
                .0
                .width
        })
        .unwrap_or(0)
}

/// A chart below this is not split further: the grid shows fewer charts.
const GRID_MIN_W: u16 = 45;
const GRID_MIN_H: u16 = 14;

/// The chart column split for `n` charts: side by side for two, two by two for four; fewer
/// when they would be too small to read. The first is the top-left one.
pub fn chart_grid(r: Rect, n: usize) -> Vec<Rect> {
    let cols = if n >= 2 && r.width / 2 >= GRID_MIN_W {
        2
    } else {
        1
    };
    let rows = if n >= 3 && cols == 2 && r.height / 2 >= GRID_MIN_H {
        2
    } else {
        1
    };
    let w0 = r.width / cols;
    let h0 = r.height / rows;
    let mut out = Vec::new();
    for row in 0..rows {
        // Three charts: the third takes the whole bottom row.
        let cols = if n == 3 && row == 1 { 1 } else { cols };
        for col in 0..cols {
            let x = r.x + col * w0;
            let y = r.y + row * h0;
            let w = if col + 1 == cols { r.right() - x } else { w0 };
            let h = if row + 1 == rows { r.bottom() - y } else { h0 };
            out.push(Rect::new(x, y, w, h));
        }
    }
    out
}

/// A centred rectangle of at most `w` x `h` inside `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panels_fit_and_do_not_overlap() {
        for (w, h) in [
            (40, 12),
            (80, 24),
            (99, 30),
            (100, 21),
            (120, 40),
            (160, 30),
            (200, 50),
            (500, 200),
        ] {
            let area = Rect::new(0, 0, w, h);
            let a = layout(area, 3).unwrap();
            let mut rects = vec![a.chart, a.status];
            rects.extend(
                [a.watchlist, a.news, a.health, a.book, a.tape]
                    .into_iter()
                    .flatten(),
            );
            assert_eq!(a.book.is_some(), w >= MARKET_MIN_TOTAL, "{w}x{h}");
            for r in &rects {
                assert!(area.contains(r.as_position()) && r.right() <= w && r.bottom() <= h);
            }
            for (i, r) in rects.iter().enumerate() {
                for s in &rects[i + 1..] {
                    assert!(!r.intersects(*s), "{w}x{h}: {r:?} {s:?}");
                }
            }
            let c = chart_layout(inner(a.chart), PaneSet::default(), &V2_STUDIES);
            assert!(c.candles.height >= 5, "{w}x{h}: {c:?}");
        }
        assert!(layout(Rect::new(0, 0, 39, 40), 3).is_none());
        assert_eq!(chart_cols(Rect::new(0, 0, 1, 1), 3, 1), 0);
    }

    #[test]
    fn a_perps_panes_stack_without_overlap_and_spot_has_none() {
        for h in [10u16, 20, 22, 30, 36, 48, 80] {
            let inner = Rect::new(1, 1, 100, h);
            let c = chart_layout(inner, PaneSet::default(), &V2_STUDIES);
            let study = |n: usize| c.studies.iter().find(|s| s.0 == n).map(|s| s.1);
            let panes: Vec<Rect> = [
                c.volume,
                study(0),
                c.funding,
                c.open_interest,
                c.basis,
                study(1),
                study(2),
            ]
            .into_iter()
            .flatten()
            .collect();
            assert!(
                c.studies.windows(2).all(|w| w[0].0 < w[1].0),
                "in the chosen order: {c:?}"
            );
            let mut y = c.candles.bottom();
            for p in &panes {
                assert_eq!(p.y, y, "h {h}: panes follow each other: {c:?}");
                y = p.bottom();
            }
            assert_eq!(y, c.time_axis.y, "h {h}");
            assert!(c.candles.height >= 5, "h {h}: {c:?}");
            // At 80x24 (20 rows inside, one for the strip) the candles keep most of it; the
            // funding pane comes with 22 rows above the time axis.
            if h == 20 {
                assert_eq!(c.funding, None);
            }
            if h >= 23 {
                assert!(c.funding.is_some(), "h {h}");
            }
            let spot = chart_layout(inner, PaneSet::default().for_market(false), &V2_STUDIES);
            assert_eq!(
                (spot.funding, spot.open_interest, spot.basis),
                (None, None, None)
            );
        }
    }

    #[test]
    fn later_indicator_panes_give_way_first_and_hidden_ones_take_no_rows() {
        let many = [StudyRows {
            shown: true,
            rows: 4,
        }; 8];
        let inner = Rect::new(1, 1, 100, 40);
        let c = chart_layout(inner, PaneSet::default().for_market(false), &many);
        // 38 rows above the axis: panes asking up to 18 + 6n <= 38 fit (n = 0..=3).
        assert_eq!(
            c.studies.iter().map(|s| s.0).collect::<Vec<_>>(),
            [0, 1, 2, 3]
        );
        assert!(c.candles.height >= 5, "{c:?}");
        let mut hidden = many;
        hidden[1].shown = false;
        let c = chart_layout(inner, PaneSet::default().for_market(false), &hidden);
        assert_eq!(c.studies.iter().map(|s| s.0).collect::<Vec<_>>(), [0, 2, 3]);
        let none = chart_layout(inner, PaneSet::default().for_market(false), &[]);
        assert!(none.studies.is_empty());
        assert_eq!(
            none.candles.height + 3,
            38,
            "volume and the candles share the rest"
        );
    }

    #[test]
    fn grids_tile_the_chart_column() {
        let r = Rect::new(0, 0, 114, 49);
        for n in [1, 2, 3, 4] {
            let g = chart_grid(r, n);
            assert_eq!(g.len(), n);
            assert_eq!(g.iter().map(|c| c.area()).sum::<u32>(), r.area());
            for (i, a) in g.iter().enumerate() {
                assert!(g[i + 1..].iter().all(|b| !a.intersects(*b)));
            }
        }
        // Too small to split: one chart, or two side by side instead of four.
        assert_eq!(chart_grid(Rect::new(0, 0, 70, 23), 4).len(), 1);
        assert_eq!(chart_grid(Rect::new(0, 0, 90, 23), 4).len(), 2);
        assert_eq!(
            chart_grid(Rect::new(0, 0, 80, 23), 2).len(),
            1,
            "80x24 keeps one chart"
        );
    }
}
