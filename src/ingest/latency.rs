//! A fixed-memory latency histogram in nanoseconds: 20 ns resolution up to ~82 µs, then
//! power-of-two buckets. Reported in µs.
//! Recording is a couple of instructions, so it can sit on the per-trade hot path.

use serde::Serialize;

const LINEAR: usize = 4096;
const STEP_NS: u64 = 20;
const LOG: usize = 32;

#[derive(Clone)]
pub struct Histogram {
    linear: Box<[u64; LINEAR]>,
    log: [u64; LOG],
    count: u64,
    max: u64,
    sum_ns: u128,
}

/// The histogram at fixed bounds, for Prometheus: per-bucket counts (not cumulative), the
/// last bound being +Inf, plus the sum and count.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Buckets {
    pub bounds_seconds: Vec<f64>,
    pub counts: Vec<u64>,
    pub sum_seconds: f64,
    pub count: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
    pub count: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            linear: Box::new([0; LINEAR]),
            log: [0; LOG],
            count: 0,
            max: 0,
            sum_ns: 0,
        }
    }
}

impl Histogram {
    #[inline]
    pub fn record(&mut self, nanos: u64) {
        let slot = (nanos / STEP_NS) as usize;
        if slot < LINEAR {
            self.linear[slot] += 1;
        } else {
            self.log[Self::log_bucket(nanos)] += 1;
        }
        self.count += 1;
        self.sum_ns += nanos as u128;
        self.max = self.max.max(nanos);
    }

    /// Bucket b holds values below 2^(b + 17) ns (the linear range ends near 2^16.3).
    fn log_bucket(nanos: u64) -> usize {
        (64 - nanos.leading_zeros() as usize)
            .saturating_sub(17)
            .min(LOG - 1)
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// Upper bound of the bucket holding quantile `q` (0..=1), in ns.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (slot, &n) in self.linear.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return (slot as u64 + 1) * STEP_NS;
            }
        }
        for (b, &n) in self.log.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return (1u64 << (b + 17)).min(self.max);
            }
        }
        self.max
    }

    pub fn percentiles(&self) -> Percentiles {
        let us = |ns: u64| (ns as f64 / 1000.0 * 100.0).round() / 100.0;
        Percentiles {
            p50: us(self.quantile(0.5)),
            p99: us(self.quantile(0.99)),
            max: us(self.max),
            count: self.count,
        }
    }

    /// Counts per bucket at `bounds_ns` (ascending) plus +Inf. A value lands by its recorded
    /// slot (20 ns wide below ~82 µs, a power of two above), so a bound splits a slot at most.
    pub fn buckets(&self, bounds_ns: &[u64]) -> Buckets {
        let mut counts = vec![0u64; bounds_ns.len() + 1];
        let mut place = |lower_ns: u64, n: u64| {
            if n > 0 {
                let i = bounds_ns.partition_point(|&b| b < lower_ns);
                counts[i] += n;
            }
        };
        for (slot, &n) in self.linear.iter().enumerate() {
            place(slot as u64 * STEP_NS, n);
        }
        for (b, &n) in self.log.iter().enumerate() {
            place(1u64 << (b + 16), n);
        }
        Buckets {
            bounds_seconds: bounds_ns.iter().map(|&b| b as f64 / 1e9).collect(),
            counts,
            sum_seconds: self.sum_ns as f64 / 1e9,
            count: self.count,
        }
    }

    pub fn reset(&mut self) {
        *self = Histogram::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles() {
        let mut h = Histogram::default();
        for i in 1..=100 {
            h.record(i * 100);
        }
        assert_eq!(h.quantile(0.5), 5_000 + 20);
        assert_eq!(h.quantile(0.99), 9_900 + 20);
        assert_eq!(h.percentiles().p50, 5.02);
        h.record(1_000_000_000);
        assert_eq!(h.percentiles().max, 1_000_000.0);
        assert!(h.quantile(1.0) <= 1_000_000_000 && h.quantile(1.0) >= 1 << 29);
        let b = h.buckets(&[5_000, 1_000_000]);
        assert_eq!(b.counts, vec![50, 50, 1]);
        assert_eq!(b.count, 101);
        assert!((b.sum_seconds - (505_000.0 / 1e9 + 1.0)).abs() < 1e-12);
    }
}
