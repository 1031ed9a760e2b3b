//! What the App knows of where its data comes from: each venue's stream and since when, the
//! last market update, and (attached to a store others write) the collectors' newest write.

use std::collections::BTreeMap;

use crate::domain::{Millis, Venue};
use crate::source::StreamStatus;

#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// Each venue's stream state and since when.
    pub streams: BTreeMap<Venue, (StreamStatus, Millis)>,
    /// Attached: when a collector last wrote a live candle (its only sign of life here).
    pub collector_write: Option<Millis>,
    /// When the last market update (any series) arrived.
    pub last_market_at: Option<Millis>,
    /// Attached with a bus: `Some(true)` while it is reachable.
    pub bus: Option<bool>,
}
