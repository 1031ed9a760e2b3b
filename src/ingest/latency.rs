//! A fixed-memory latency histogram: 1 µs resolution up to 4 ms, then power-of-two buckets.
//! Recording is a couple of instructions, so it can sit on the per-trade hot path.

use serde::Serialize;

const LINEAR: usize = 4096;
const LOG: usize = 24;

#[derive(Clone)]
pub struct Histogram {
    linear: Box<[u64; LINEAR]>,
    log: [u64; LOG],
    count: u64,
    max: u64,
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
        }
    }
}

impl Histogram {
    #[inline]
    pub fn record(&mut self, micros: u64) {
        if (micros as usize) < LINEAR {
            self.linear[micros as usize] += 1;
        } else {
            let b = (63 - micros.leading_zeros() as usize).saturating_sub(12).min(LOG - 1);
            self.log[b] += 1;
        }
        self.count += 1;
        self.max = self.max.max(micros);
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// Upper bound of the bucket holding quantile `q` (0..=1), in µs.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (us, &n) in self.linear.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return us as u64;
            }
        }
        for (b, &n) in self.log.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return (1u64 << (b + 13)).min(self.max);
            }
        }
        self.max
    }

    pub fn percentiles(&self) -> Percentiles {
        Percentiles {
            p50: self.quantile(0.5) as f64,
            p99: self.quantile(0.99) as f64,
            max: self.max as f64,
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
        for us in 1..=100 {
            h.record(us);
        }
        assert_eq!(h.quantile(0.5), 50);
        assert_eq!(h.quantile(0.99), 99);
        h.record(1_000_000);
        assert_eq!(h.percentiles().max, 1_000_000.0);
        assert!(h.quantile(1.0) <= 1_000_000 && h.quantile(1.0) >= 524_288);
    }
}
