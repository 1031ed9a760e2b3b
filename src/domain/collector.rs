//! A collector as a dashboard on the bus sees it: the health it publishes every few seconds.

use super::Millis;

/// One collector's latest health message (untrusted: its name is shown cleaned).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectorHealth {
    /// Its name on the bus (`host-pid`).
    pub name: String,
    /// When it said so, by its clock.
    pub time: Millis,
    /// Trades it accepted since it started.
    pub trades: u64,
    /// Frames it could not read, trades it refused as impossible.
    pub malformed: u64,
    pub rejected: u64,
    /// Messages it published on the bus, and dropped (the bus away too long).
    pub published: u64,
    pub dropped: u64,
    /// Candles its gap repair has written.
    pub repaired: u64,
}
