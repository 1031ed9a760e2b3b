//! Deciding what a backfill fetches for one series, from its gaps and its stored progress.
//!
//! Rules, in order:
//! 1. An unfinished progress row (pending, running or failed) that touches the window is
//!    resumed at its checkpoint: an interrupted run picks up exactly where it stopped.
//! 2. A done row is never fetched again, even when its range still has no candles (a halted
//!    symbol, a range before the listing): otherwise a repair would loop on it forever.
//! 3. What is left of each gap after removing the ranges of rules 1 and 2 becomes a new row.
//!    New rows next to each other are merged when one range costs no more requests than two
//!    (the stored candles between them are fetched again, which is harmless: a closed kline
//!    is the exchange's own record), but never across a done or resumed range.
//!
//! Pure, so the rules are tested without a store.

use super::gaps::{Gap, span_candles};
use crate::domain::{Millis, SeriesKey, Timeframe};
use crate::store::{ProgressStatus, SeriesProgress};

/// The ranges to fetch, ascending by position. `span` is the window's first and last expected
/// open time (see [`super::gaps::expected_span`]).
pub fn ranges_to_fetch(
    key: SeriesKey,
    gaps: &[Gap],
    rows: &[SeriesProgress],
    span: (Millis, Millis),
) -> Vec<SeriesProgress> {
    let tf = key.timeframe;
    let touches = |p: &SeriesProgress| p.range_start <= span.1 && p.range_end >= span.0;
    let resumed: Vec<SeriesProgress> = rows
        .iter()
        .filter(|p| p.status != ProgressStatus::Done && p.position <= p.range_end && touches(p))
        .cloned()
        .collect();
    // Every stored row claims its range: done ones (rule 2), resumed ones (rule 1), and
    // unfinished ones outside the window, which no gap of the window can touch anyway.
    let mut claimed: Vec<(Millis, Millis)> =
        rows.iter().map(|p| (p.range_start, p.range_end)).collect();
    claimed.sort_unstable();

    let mut pieces = Vec::new();
    for g in gaps {
        subtract(tf, (g.start, g.end), &claimed, &mut pieces);
    }
    let page_size = crate::exchange::rest::rest_api(key.symbol.venue())
        .map_or(1000, |api| api.page_size() as u64);
    let merged = merge(tf, page_size, pieces, &claimed);

    let mut out: Vec<SeriesProgress> = resumed;
    out.extend(merged.into_iter().map(|(start, end)| SeriesProgress {
        key,
        range_start: start,
        range_end: end,
        position: start,
        status: ProgressStatus::Pending,
        error: None,
    }));
    out.sort_by_key(|p| (p.position, p.range_start));
    out
}

/// Candles a row still has to cover.
pub fn remaining(p: &SeriesProgress) -> u64 {
    span_candles(p.position, p.range_end, p.key.timeframe)
}

/// Appends the parts of `range` not covered by any of `claimed` (sorted by start).
fn subtract(
    tf: Timeframe,
    range: (Millis, Millis),
    claimed: &[(Millis, Millis)],
    out: &mut Vec<(Millis, Millis)>,
) {
    let (mut start, end) = range;
    for &(cs, ce) in claimed {
        if start > end {
            return;
        }
        if ce < start || cs > end {
            continue;
        }
        if cs > start {
            // The last aligned open time before the claimed range.
            out.push((start, tf.bucket(cs - 1)));
        }
        start = ce.saturating_add(1);
        start = super::gaps::ceil_open(tf, start);
    }
    if start <= end {
        out.push((start, end));
    }
}

/// Merges neighbouring pieces when that does not cost more requests and no claimed range lies
/// between them.
fn merge(
    tf: Timeframe,
    page_size: u64,
    pieces: Vec<(Millis, Millis)>,
    claimed: &[(Millis, Millis)],
) -> Vec<(Millis, Millis)> {
    let pages = |s: Millis, e: Millis| span_candles(s, e, tf).div_ceil(page_size.max(1));
    let mut out: Vec<(Millis, Millis)> = Vec::new();
    for (s, e) in pieces {
        if let Some(prev) = out.last_mut() {
            let between_claimed = claimed.iter().any(|&(cs, ce)| cs <= s && ce >= prev.1);
            if !between_claimed && pages(prev.0, e) <= pages(prev.0, prev.1) + pages(s, e) {
                prev.1 = e;
                continue;
            }
        }
        out.push((s, e));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Symbol;

    const M: Millis = 60_000;
    const T0: Millis = 1_704_067_200_000;

    fn key() -> SeriesKey {
        SeriesKey {
            symbol: Symbol::new("BTCUSDT").unwrap(),
            timeframe: Timeframe::M1,
        }
    }

    fn row(start: i64, end: i64, position: i64, status: ProgressStatus) -> SeriesProgress {
        SeriesProgress {
            key: key(),
            range_start: T0 + start * M,
            range_end: T0 + end * M,
            position: T0 + position * M,
            status,
            error: None,
        }
    }

    fn gap(start: i64, end: i64) -> Gap {
        Gap {
            start: T0 + start * M,
            end: T0 + end * M,
        }
    }

    fn spans(v: &[SeriesProgress]) -> Vec<(i64, i64, i64)> {
        v.iter()
            .map(|p| {
                (
                    (p.range_start - T0) / M,
                    (p.range_end - T0) / M,
                    (p.position - T0) / M,
                )
            })
            .collect()
    }

    const SPAN: (Millis, Millis) = (T0, T0 + 100_000 * M);

    #[test]
    fn new_gaps_become_pending_rows() {
        let out = ranges_to_fetch(key(), &[gap(0, 9)], &[], SPAN);
        assert_eq!(spans(&out), vec![(0, 9, 0)]);
        assert_eq!(out[0].status, ProgressStatus::Pending);
        assert_eq!(remaining(&out[0]), 10);
    }

    #[test]
    fn unfinished_rows_resume_at_their_checkpoint() {
        let rows = [
            row(0, 4999, 3000, ProgressStatus::Running),
            row(6000, 6999, 6500, ProgressStatus::Failed),
        ];
        // The gap finder sees 3000..4999 and 6500..6999 still missing.
        let out = ranges_to_fetch(key(), &[gap(3000, 4999), gap(6500, 6999)], &rows, SPAN);
        assert_eq!(spans(&out), vec![(0, 4999, 3000), (6000, 6999, 6500)]);
        assert_eq!(
            out[1].status,
            ProgressStatus::Failed,
            "kept until the runner restarts it"
        );
    }

    #[test]
    fn done_rows_are_never_fetched_again() {
        // 10..19 was done but the exchange had nothing there (a halt): still missing.
        let rows = [row(10, 19, 20, ProgressStatus::Done)];
        let out = ranges_to_fetch(key(), &[gap(5, 30)], &rows, SPAN);
        assert_eq!(spans(&out), vec![(5, 9, 5), (20, 30, 20)]);
        // A gap entirely inside a done range asks for nothing.
        assert!(ranges_to_fetch(key(), &[gap(12, 15)], &rows, SPAN).is_empty());
    }

    #[test]
    fn rows_outside_the_window_are_left_alone() {
        let rows = [row(-5000, -4000, -4500, ProgressStatus::Running)];
        let out = ranges_to_fetch(key(), &[gap(0, 9)], &rows, SPAN);
        assert_eq!(spans(&out), vec![(0, 9, 0)]);
    }

    #[test]
    fn close_pieces_merge_when_it_saves_requests() {
        // Two small holes 100 candles apart: one request instead of two.
        let out = ranges_to_fetch(key(), &[gap(0, 9), gap(110, 119)], &[], SPAN);
        assert_eq!(spans(&out), vec![(0, 119, 0)]);
        // Far apart: merging would cost more requests.
        let out = ranges_to_fetch(key(), &[gap(0, 9), gap(5000, 5009)], &[], SPAN);
        assert_eq!(spans(&out), vec![(0, 9, 0), (5000, 5009, 5000)]);
        // Never across a done range.
        let rows = [row(50, 60, 61, ProgressStatus::Done)];
        let out = ranges_to_fetch(key(), &[gap(0, 9), gap(110, 119)], &rows, SPAN);
        assert_eq!(spans(&out), vec![(0, 9, 0), (110, 119, 110)]);
    }

    #[test]
    fn finished_positions_are_not_resumed() {
        let rows = [row(0, 9, 10, ProgressStatus::Running)];
        let out = ranges_to_fetch(key(), &[gap(0, 9)], &rows, SPAN);
        assert!(
            out.is_empty(),
            "a checkpoint past the end is as good as done"
        );
    }
}
