//! Gap detection: which closed candles of a window are missing from the store.
//!
//! Pure and synchronous so start-up, reconnect repair and `cryptoviz backfill` share one
//! definition of "missing", and so it can be tested without a database.
//!
//! # What is expected
//! A window `[from, to)` expects every candle whose open time is aligned to the timeframe,
//! is `>= from`, and which is *closed* before `to` (`open_time + interval <= to`). So an
//! unaligned `from` starts at the next boundary, and the candle still open at `to` (the current
//! one when `to` is now) is never counted as missing.
//!
//! # Threshold
//! A run of `k` consecutive missing candles spans `k * interval` of time. It is a gap when
//! `k * interval >= max(threshold, interval)`: a threshold below one interval means every
//! missing candle counts; with the default 120 s a single missing 1m candle is tolerated (the
//! live stream writes it a moment after it closes), two in a row are a gap. The head (window
//! start to the first stored candle), holes in the middle and the tail (last stored candle to
//! the last closed one) are judged alike.

use crate::domain::{Millis, Timeframe};

/// A run of missing candles: the open times of the first and the last missing candle,
/// both inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gap {
    pub start: Millis,
    pub end: Millis,
}

impl Gap {
    /// How many candles the gap holds.
    pub fn candles(&self, tf: Timeframe) -> u64 {
        span_candles(self.start, self.end, tf)
    }
}

/// Candles between two aligned open times, both inclusive (0 when `end < start`).
pub fn span_candles(start: Millis, end: Millis, tf: Timeframe) -> u64 {
    if end < start {
        0
    } else {
        ((end - start) / tf.millis() + 1) as u64
    }
}

/// The first aligned open time `>= t`.
pub fn ceil_open(tf: Timeframe, t: Millis) -> Millis {
    let b = tf.bucket(t);
    if b == t {
        b
    } else {
        b.saturating_add(tf.millis())
    }
}

/// Open times of the first and last candle the window `[from, to)` expects (see the module
/// doc), or None when it expects none.
pub fn expected_span(tf: Timeframe, from: Millis, to: Millis) -> Option<(Millis, Millis)> {
    let first = ceil_open(tf, from);
    let last = tf.bucket(to).saturating_sub(tf.millis());
    (first <= last).then_some((first, last))
}

/// The gaps of `[from, to)` given the open times already stored, ascending (as the store
/// returns them). Stored times outside the window, unaligned ones and duplicates are ignored.
pub fn find_gaps(
    open_times: &[Millis],
    tf: Timeframe,
    from: Millis,
    to: Millis,
    threshold_ms: Millis,
) -> Vec<Gap> {
    let Some((first, last)) = expected_span(tf, from, to) else {
        return Vec::new();
    };
    let iv = tf.millis();
    let min_span = threshold_ms.max(iv);
    let mut gaps = Vec::new();
    let mut push = |start: Millis, end: Millis| {
        if end >= start && end - start + iv >= min_span {
            gaps.push(Gap { start, end });
        }
    };
    // `next` is the first expected open time not yet seen.
    let mut next = first;
    for &t in open_times {
        if t < next || t > last || t.rem_euclid(iv) != 0 {
            continue;
        }
        if t > next {
            push(next, t - iv);
        }
        next = t + iv;
    }
    if next <= last {
        push(next, last);
    }
    gaps
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: Millis = 60_000;
    const H: Millis = 3_600_000;
    /// 2024-01-01T00:00:00Z.
    const T0: Millis = 1_704_067_200_000;

    fn gap(start: Millis, end: Millis) -> Gap {
        Gap { start, end }
    }

    fn minutes(range: std::ops::Range<i64>) -> Vec<Millis> {
        range.map(|i| T0 + i * M).collect()
    }

    #[test]
    fn empty_store_is_one_gap_over_the_whole_window() {
        let g = find_gaps(&[], Timeframe::M1, T0, T0 + 10 * M, 0);
        assert_eq!(g, vec![gap(T0, T0 + 9 * M)]);
        assert_eq!(g[0].candles(Timeframe::M1), 10);
    }

    #[test]
    fn complete_series_has_no_gaps() {
        let times = minutes(0..10);
        assert!(find_gaps(&times, Timeframe::M1, T0, T0 + 10 * M, 0).is_empty());
    }

    #[test]
    fn head_middle_and_tail() {
        // Stored: 2,3,4, 7,8 of 0..12.
        let mut times = minutes(2..5);
        times.extend(minutes(7..9));
        let g = find_gaps(&times, Timeframe::M1, T0, T0 + 12 * M, 0);
        assert_eq!(
            g,
            vec![
                gap(T0, T0 + M),
                gap(T0 + 5 * M, T0 + 6 * M),
                gap(T0 + 9 * M, T0 + 11 * M)
            ]
        );
    }

    #[test]
    fn exact_boundaries_include_the_last_closed_candle_only() {
        // `to` on a boundary: the candle opening at `to` is not expected, the one before is.
        let g = find_gaps(&minutes(0..4), Timeframe::M1, T0, T0 + 5 * M, 0);
        assert_eq!(g, vec![gap(T0 + 4 * M, T0 + 4 * M)]);
        // One millisecond earlier the candle at 4 is still open: nothing is missing.
        assert!(find_gaps(&minutes(0..4), Timeframe::M1, T0, T0 + 5 * M - 1, 0).is_empty());
    }

    #[test]
    fn the_open_candle_is_not_missing() {
        // Now is 30 s into minute 10; minutes 0..10 are stored; minute 10 is still open.
        let now = T0 + 10 * M + 30_000;
        assert!(find_gaps(&minutes(0..10), Timeframe::M1, T0, now, 0).is_empty());
        // Even if it happens to be stored, it changes nothing.
        assert!(find_gaps(&minutes(0..11), Timeframe::M1, T0, now, 0).is_empty());
    }

    #[test]
    fn unaligned_from_starts_at_the_next_boundary() {
        let from = T0 + 20_000;
        let g = find_gaps(&[], Timeframe::M1, from, T0 + 3 * M, 0);
        assert_eq!(g, vec![gap(T0 + M, T0 + 2 * M)]);
        // Unaligned on an hourly series, both ends.
        let g = find_gaps(&[], Timeframe::H1, T0 + 1, T0 + 3 * H + 5, 0);
        assert_eq!(g, vec![gap(T0 + H, T0 + 2 * H)]);
    }

    #[test]
    fn windows_shorter_than_one_closed_candle_expect_nothing() {
        assert!(find_gaps(&[], Timeframe::M1, T0, T0 + M - 1, 0).is_empty());
        assert!(find_gaps(&[], Timeframe::M1, T0 + 1, T0 + M + 5, 0).is_empty());
        assert!(find_gaps(&[], Timeframe::M1, T0 + 5 * M, T0, 0).is_empty());
        assert_eq!(expected_span(Timeframe::M1, T0, T0 + M), Some((T0, T0)));
    }

    #[test]
    fn threshold_ignores_short_runs_at_every_position() {
        // Missing: 0 (head, 1 candle), 3..5 (2 candles), 9 (tail, 1 candle).
        let mut times = minutes(1..3);
        times.extend(minutes(5..9));
        let all = find_gaps(&times, Timeframe::M1, T0, T0 + 10 * M, 0);
        assert_eq!(all.len(), 3);
        let g = find_gaps(&times, Timeframe::M1, T0, T0 + 10 * M, 120_000);
        assert_eq!(g, vec![gap(T0 + 3 * M, T0 + 4 * M)]);
        // Just above two minutes, the two-candle run is not enough either.
        assert!(find_gaps(&times, Timeframe::M1, T0, T0 + 10 * M, 120_001).is_empty());
    }

    #[test]
    fn threshold_below_one_interval_counts_every_missing_candle() {
        // 120 s threshold on hourly candles: one missing hour is a gap.
        let times = vec![T0, T0 + 2 * H];
        let g = find_gaps(&times, Timeframe::H1, T0, T0 + 3 * H, 120_000);
        assert_eq!(g, vec![gap(T0 + H, T0 + H)]);
    }

    #[test]
    fn stray_stored_times_are_ignored() {
        // Before the window, after it, unaligned, duplicated.
        let times = vec![
            T0 - M,
            T0,
            T0,
            T0 + M + 1,
            T0 + 2 * M,
            T0 + 2 * M,
            T0 + 50 * M,
        ];
        let g = find_gaps(&times, Timeframe::M1, T0, T0 + 3 * M, 0);
        assert_eq!(g, vec![gap(T0 + M, T0 + M)]);
    }

    #[test]
    fn extreme_inputs_do_not_panic() {
        assert!(find_gaps(&[0], Timeframe::D1, Millis::MAX - 5, Millis::MAX, 0).is_empty());
        let g = find_gaps(&[], Timeframe::D1, 0, Millis::MAX, Millis::MAX);
        assert_eq!(g.len(), 0, "a threshold longer than any span finds nothing");
    }

    #[test]
    fn span_counts() {
        assert_eq!(span_candles(T0, T0, Timeframe::M1), 1);
        assert_eq!(span_candles(T0, T0 + 59 * M, Timeframe::M1), 60);
        assert_eq!(span_candles(T0 + M, T0, Timeframe::M1), 0);
        assert_eq!(ceil_open(Timeframe::M1, T0), T0);
        assert_eq!(ceil_open(Timeframe::M1, T0 + 1), T0 + M);
    }
}
