//! History: gap detection and REST backfill.
