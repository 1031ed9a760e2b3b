//! History: gap detection and REST backfill.

pub mod gaps;
pub mod wire;
