//! One candle series as the dashboard holds it: a contiguous run of stored history up to the
//! live head, grown to the left page by page as the user pans back.

use crate::domain::{Candle, Millis};

#[derive(Clone, Debug, Default)]
pub struct Series {
    /// Ascending by `open_time`, one candle per open time.
    candles: Vec<Candle>,
    /// The store holds nothing older than `candles[0]`.
    pub complete: bool,
    /// The newest page was asked for (so an empty series means "nothing stored", not "unknown").
    pub requested: bool,
    /// An older page is on its way; one request at a time per series.
    pub loading: bool,
    /// When the last live update arrived (None: only stored history so far).
    pub live_at: Option<Millis>,
}

impl Series {
    pub fn candles(&self) -> &[Candle] {
        &self.candles
    }

    pub fn last(&self) -> Option<&Candle> {
        self.candles.last()
    }

    pub fn first_open(&self) -> Option<Millis> {
        self.candles.first().map(|c| c.open_time)
    }

    /// A live candle: replaces the one with the same open time, or goes into its place
    /// (normally at the end, so this is O(1) for ticking candles).
    pub fn upsert(&mut self, c: Candle) {
        match self.candles.last() {
            Some(last) if last.open_time == c.open_time => {
                let n = self.candles.len();
                self.candles[n - 1] = c;
            }
            Some(last) if last.open_time < c.open_time => self.candles.push(c),
            None => self.candles.push(c),
            Some(_) => match self
                .candles
                .binary_search_by_key(&c.open_time, |x| x.open_time)
            {
                Ok(i) => self.candles[i] = c,
                Err(i) => self.candles.insert(i, c),
            },
        }
    }

    /// Stored candles (ascending): those already held win, since a live update is at least as
    /// new as what the store had when it answered.
    pub fn merge_history(&mut self, stored: Vec<Candle>) {
        if stored.is_empty() {
            return;
        }
        let first = self.first_open();
        match first {
            None => self.candles = stored,
            Some(f) if stored.last().is_some_and(|l| l.open_time < f) => {
                let mut merged = stored;
                merged.append(&mut self.candles);
                self.candles = merged;
            }
            Some(_) => {
                let old = std::mem::take(&mut self.candles);
                let mut merged = Vec::with_capacity(old.len() + stored.len());
                let (mut a, mut b) = (old.into_iter().peekable(), stored.into_iter().peekable());
                loop {
                    let order = match (a.peek(), b.peek()) {
                        (Some(x), Some(y)) => x.open_time.cmp(&y.open_time),
                        (Some(_), None) => std::cmp::Ordering::Less,
                        (None, Some(_)) => std::cmp::Ordering::Greater,
                        (None, None) => break,
                    };
                    match order {
                        std::cmp::Ordering::Less => merged.extend(a.next()),
                        std::cmp::Ordering::Greater => merged.extend(b.next()),
                        std::cmp::Ordering::Equal => {
                            b.next();
                            merged.extend(a.next());
                        }
                    }
                }
                self.candles = merged;
            }
        }
    }

    /// Index of the newest candle with `open_time <= t`.
    pub fn index_at_or_before(&self, t: Millis) -> Option<usize> {
        self.candles
            .partition_point(|c| c.open_time <= t)
            .checked_sub(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Price;

    fn c(t: Millis, p: i64) -> Candle {
        Candle::flat(t, Price::from_int(p))
    }

    fn times(s: &Series) -> Vec<(Millis, i64)> {
        s.candles()
            .iter()
            .map(|c| (c.open_time, c.close.to_f64() as i64))
            .collect()
    }

    #[test]
    fn upserts_in_place_and_in_order() {
        let mut s = Series::default();
        s.upsert(c(120, 1));
        s.upsert(c(120, 2));
        s.upsert(c(180, 3));
        s.upsert(c(60, 4));
        s.upsert(c(120, 5));
        assert_eq!(times(&s), vec![(60, 4), (120, 5), (180, 3)]);
    }

    #[test]
    fn history_prepends_and_live_wins_ties() {
        let mut s = Series::default();
        s.upsert(c(180, 9));
        s.merge_history(vec![c(60, 1), c(120, 2)]);
        assert_eq!(times(&s), vec![(60, 1), (120, 2), (180, 9)]);
        s.merge_history(vec![c(0, 0), c(120, 7), c(180, 8), c(240, 4)]);
        assert_eq!(
            times(&s),
            vec![(0, 0), (60, 1), (120, 2), (180, 9), (240, 4)]
        );
        assert_eq!(s.index_at_or_before(200), Some(3));
        assert_eq!(s.index_at_or_before(-1), None);
    }
}
