//! One incremental kernel per indicator of SPEC §8, grouped by what they measure.

pub mod average;
pub mod oscillator;
pub mod trend;
