//! Mapping values to rows, and axis ticks on "nice" numbers (1, 2 or 5 x 10^k) so labels read
//! like a trader's chart rather than like floating-point noise.

/// A vertical scale over `rows` terminal rows with two units per row (half-cell resolution).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    pub lo: f64,
    pub hi: f64,
    pub rows: u16,
}

impl Scale {
    pub fn new(lo: f64, hi: f64, rows: u16) -> Scale {
        Scale { lo, hi, rows }
    }

    /// Over the finite values given; None when there are none.
    pub fn fit(values: impl Iterator<Item = f64>, rows: u16) -> Option<Scale> {
        let (lo, hi) = values
            .filter(|v| v.is_finite())
            .fold(None, |acc: Option<(f64, f64)>, v| {
                Some(acc.map_or((v, v), |(l, h)| (l.min(v), h.max(v))))
            })?;
        Some(Scale::new(lo, hi, rows))
    }

    pub fn units(&self) -> i32 {
        self.rows as i32 * 2
    }

    /// Half-row unit of `v`: 0 at the bottom, `units() - 1` at the top. A flat range sits in
    /// the middle.
    pub fn unit(&self, v: f64) -> i32 {
        let top = self.units() - 1;
        let span = self.hi - self.lo;
        if !positive(span) || !v.is_finite() {
            return top / 2;
        }
        (((v - self.lo) / span) * top as f64)
            .round()
            .clamp(0.0, top as f64) as i32
    }

    /// Row from the top (0-based) holding `unit`.
    pub fn row_of_unit(&self, unit: i32) -> u16 {
        (self.rows as i32 - 1 - unit / 2).clamp(0, self.rows as i32 - 1) as u16
    }

    pub fn row(&self, v: f64) -> u16 {
        self.row_of_unit(self.unit(v))
    }

    /// Finer: which of 4 sub-rows (braille dots), 0 at the bottom.
    pub fn dot(&self, v: f64) -> i32 {
        let top = self.rows as i32 * 4 - 1;
        let span = self.hi - self.lo;
        if !positive(span) || !v.is_finite() {
            return top / 2;
        }
        (((v - self.lo) / span) * top as f64)
            .round()
            .clamp(0.0, top as f64) as i32
    }
}

/// A finite number above zero (false for NaN).
pub fn positive(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

/// Ticks inside [lo, hi] about `max_ticks` or fewer, on a 1/2/5 x 10^k step, and the
/// decimals the step needs.
pub fn nice_ticks(lo: f64, hi: f64, max_ticks: usize) -> (Vec<f64>, usize) {
    let span = hi - lo;
    if !positive(span) || max_ticks == 0 {
        return (
            if lo.is_finite() { vec![lo] } else { vec![] },
            decimals_for(lo.abs() / 1000.0),
        );
    }
    let raw = span / max_ticks as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    let ticks = (first..=last).map(|i| i as f64 * step).collect();
    (ticks, decimals_for(step))
}

/// Decimals needed to print multiples of `step` exactly (0.5 -> 1, 0.25 -> 2, 50 -> 0).
fn decimals_for(step: f64) -> usize {
    if !positive(step) {
        return 0;
    }
    (0..=8)
        .find(|d| {
            let scaled = step * 10f64.powi(*d);
            (scaled - scaled.round()).abs() < 1e-6 * scaled.max(1.0)
        })
        .unwrap_or(8) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_nice() {
        assert_eq!(
            nice_ticks(42013.0, 42387.0, 4),
            (vec![42100.0, 42200.0, 42300.0], 0)
        );
        assert_eq!(nice_ticks(0.0, 1.0, 2), (vec![0.0, 0.5, 1.0], 1));
        let (t, d) = nice_ticks(1.2301, 1.2399, 4);
        assert_eq!((t.len(), d), (1, 3));
        assert!((t[0] - 1.235).abs() < 1e-12);
        assert_eq!(nice_ticks(5.0, 5.0, 4).0, vec![5.0]);
        assert!(nice_ticks(f64::NAN, 1.0, 4).0.is_empty());
    }

    #[test]
    fn units_and_rows() {
        let s = Scale::new(0.0, 10.0, 4);
        assert_eq!(s.unit(0.0), 0);
        assert_eq!(s.unit(10.0), 7);
        assert_eq!(s.row(10.0), 0);
        assert_eq!(s.row(0.0), 3);
        assert_eq!(Scale::new(3.0, 3.0, 4).unit(3.0), 3);
    }
}
