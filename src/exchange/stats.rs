//! Live counters of the WebSocket client, shared with the health panel and `/metrics` without a
//! lock: the client only ever adds to them.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Instant;

use serde::Serialize;

use crate::domain::Millis;
use crate::net::{BreakerStatus, CircuitBreaker};

#[derive(Debug, Default)]
pub struct StreamStats {
    pub frames: AtomicU64,
    pub trades: AtomicU64,
    /// Perp states and liquidations passed on.
    pub derivs: AtomicU64,
    pub malformed: AtomicU64,
    pub reconnects: AtomicU64,
    /// Book levels dropped past the local book's bound (`MAX_BOOK_LEVELS`).
    pub book_levels_dropped: AtomicU64,
    /// Unix ms of the last message of any kind (pings included); 0 before the first.
    pub last_message_ms: AtomicI64,
    pub connected: AtomicBool,
    /// A copy of the client's circuit breaker, published on every change, so its state is
    /// visible where the client itself is not.
    breaker: Mutex<Option<CircuitBreaker>>,
}

/// A consistent-enough copy for reports (each field is read once, relaxed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StreamStatsSnapshot {
    pub frames: u64,
    pub trades: u64,
    pub derivs: u64,
    pub malformed: u64,
    pub reconnects: u64,
    pub book_levels_dropped: u64,
    /// `None` until the first message arrives.
    pub last_message_ms: Option<Millis>,
    pub connected: bool,
}

impl StreamStats {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn snapshot(&self) -> StreamStatsSnapshot {
        let last = self.last_message_ms.load(Ordering::Relaxed);
        StreamStatsSnapshot {
            frames: self.frames.load(Ordering::Relaxed),
            trades: self.trades.load(Ordering::Relaxed),
            derivs: self.derivs.load(Ordering::Relaxed),
            malformed: self.malformed.load(Ordering::Relaxed),
            reconnects: self.reconnects.load(Ordering::Relaxed),
            book_levels_dropped: self.book_levels_dropped.load(Ordering::Relaxed),
            last_message_ms: (last > 0).then_some(last),
            connected: self.connected.load(Ordering::Relaxed),
        }
    }

    /// The breaker guarding (re)connects, as of now; None before the client ran.
    pub fn breaker(&self) -> Option<BreakerStatus> {
        let b = self.breaker.lock().ok()?;
        b.as_ref().map(|b| b.status(Instant::now()))
    }

    pub(crate) fn publish_breaker(&self, b: &CircuitBreaker) {
        if let Ok(mut slot) = self.breaker.lock() {
            *slot = Some(b.clone());
        }
    }

    pub(crate) fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn touch(&self, now: Millis) {
        self.last_message_ms.store(now, Ordering::Relaxed);
    }

    pub(crate) fn set_connected(&self, up: bool) {
        self.connected.store(up, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_reflects_counters() {
        let s = StreamStats::new();
        assert_eq!(s.snapshot(), StreamStatsSnapshot::default());
        StreamStats::add(&s.frames);
        StreamStats::add(&s.trades);
        s.touch(1_700_000_000_000);
        s.set_connected(true);
        let snap = s.snapshot();
        assert_eq!((snap.frames, snap.trades, snap.malformed), (1, 1, 0));
        assert_eq!(snap.last_message_ms, Some(1_700_000_000_000));
        assert!(snap.connected);
        let json = serde_json::to_string(&snap).unwrap();
        assert!(json.contains("\"last_message_ms\":1700000000000"), "{json}");
    }
}
