//! The three probes, as pure functions of a snapshot of the collector's state, so every
//! verdict can be tested without a network.
//!
//! - live: the event loop answered, so always 200 while the process runs.
//! - startup: 200 once the store is open, the stream's first connection attempt has ended
//!   (either way) and the start-up gap repair has finished (either way); 503 naming what is
//!   still pending.
//! - ready: 200 when the store takes writes and the market stream is connected (or the demo
//!   market runs) and has had a trade accepted within `freshness.trades.critical` (a stream
//!   that sends only frames nobody can read is not ready); 503 with reasons.

use std::time::Duration;

use serde_json::{Value, json};

use crate::domain::Millis;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeKind {
    Live,
    Ready,
    Startup,
}

/// A probe's answer: HTTP status and JSON body.
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    pub status: u16,
    pub body: Value,
}

impl Probe {
    pub fn ok(&self) -> bool {
        self.status == 200
    }
}

/// What the probes look at, read once per request.
#[derive(Clone, Debug, Default)]
pub struct HealthView {
    pub now: Millis,
    pub uptime: Duration,
    /// The demo market stands in for the stream (there is nothing to connect to).
    pub demo: bool,
    pub stopping: bool,
    pub connected: bool,
    /// Last message on the stream (the last demo trade in demo mode).
    pub last_message_ms: Option<Millis>,
    /// When ingestion last accepted a trade (this machine's clock), any venue.
    pub last_trade_ms: Option<Millis>,
    /// Frames no parser could read, all venues, since start.
    pub malformed: u64,
    /// When the current connection was established, if it is up.
    pub connected_at_ms: Option<Millis>,
    pub reconnects: u64,
    /// The stream's first connection attempt has ended (connected or failed).
    pub first_attempt_done: bool,
    /// None when no start-up repair runs (demo); Some(done) otherwise.
    pub startup_repair_done: Option<bool>,
    /// Candle rows held back by a failed commit, and that commit's error.
    pub pending_rows: usize,
    pub last_write_error: Option<String>,
    pub trades_critical: Duration,
    /// Each venue's connection when several are streamed (the fields above describe the
    /// liveliest one: the collector is ready while any venue delivers).
    pub venues: Vec<(&'static str, bool)>,
}

pub fn evaluate(kind: ProbeKind, v: &HealthView) -> Probe {
    match kind {
        ProbeKind::Live => Probe {
            status: 200,
            body: json!({"status": "alive", "uptime_secs": v.uptime.as_secs()}),
        },
        ProbeKind::Startup => startup(v),
        ProbeKind::Ready => ready(v),
    }
}

fn startup(v: &HealthView) -> Probe {
    let stream = match (v.demo, v.first_attempt_done) {
        (true, _) => "demo",
        (false, true) => "attempted",
        (false, false) => "pending",
    };
    let repair = match v.startup_repair_done {
        None => "not_needed",
        Some(true) => "done",
        Some(false) => "pending",
    };
    let mut pending = Vec::new();
    if stream == "pending" {
        pending.push("stream: first connection attempt still running");
    }
    if repair == "pending" {
        pending.push("repair: start-up gap repair still running");
    }
    let checks = json!({"store": "open", "stream": stream, "repair": repair});
    if pending.is_empty() {
        Probe {
            status: 200,
            body: json!({"status": "started", "checks": checks}),
        }
    } else {
        Probe {
            status: 503,
            body: json!({"status": "starting", "checks": checks, "pending": pending}),
        }
    }
}

fn ready(v: &HealthView) -> Probe {
    let mut reasons = Vec::new();
    if v.stopping {
        reasons.push("shutting down".to_string());
    }
    let store = if v.pending_rows == 0 {
        "ok"
    } else {
        reasons.push(format!(
            "store: {} candle rows not committed ({})",
            v.pending_rows,
            v.last_write_error.as_deref().unwrap_or("commit failed")
        ));
        "failing"
    };
    let message_age = v.last_message_ms.map(|t| age_secs(v.now, t));
    let trade_age = v.last_trade_ms.map(|t| age_secs(v.now, t));
    // Ready means trades accepted within the budget: messages alone (heartbeats, frames that
    // do not parse) say the server is there, not that the market is. Before the first trade
    // a new connection is given the budget from when it came up; after it only trades count,
    // so a server that connects and then sends nothing usable does not look fresh again
    // with every reconnect.
    let activity = v.last_trade_ms.or(v.connected_at_ms);
    let activity_age = activity.map(|t| age_secs(v.now, t));
    let critical = v.trades_critical.as_secs();
    let stream = if v.demo {
        "demo"
    } else if v.connected {
        "connected"
    } else {
        "disconnected"
    };
    if !v.demo && !v.connected {
        reasons.push(format!(
            "stream: not connected ({} reconnects so far)",
            v.reconnects
        ));
    }
    let unreadable = match v.malformed {
        0 => String::new(),
        n => format!("; {n} frames could not be read"),
    };
    if v.demo || v.connected {
        match (activity_age, trade_age) {
            (None, _) => reasons.push(format!("stream: no trade yet{unreadable}")),
            (Some(age), None) if age >= critical => reasons.push(format!(
                "stream: no trade accepted in the {age} s since connecting (critical after {critical} s){unreadable}"
            )),
            (Some(age), Some(_)) if age >= critical => reasons.push(format!(
                "stream: last trade accepted {age} s ago (critical after {critical} s){unreadable}"
            )),
            _ => {}
        }
    }
    let mut checks = json!({
        "store": store,
        "stream": stream,
        "last_message_age_secs": message_age,
        "last_trade_age_secs": trade_age,
    });
    if v.venues.len() > 1 {
        let venues: serde_json::Map<String, Value> = v
            .venues
            .iter()
            .map(|(name, up)| {
                let state = if *up { "connected" } else { "disconnected" };
                (name.to_string(), json!(state))
            })
            .collect();
        checks["venues"] = Value::Object(venues);
    }
    if reasons.is_empty() {
        Probe {
            status: 200,
            body: json!({"status": "ready", "checks": checks}),
        }
    } else {
        Probe {
            status: 503,
            body: json!({"status": "not_ready", "checks": checks, "reasons": reasons}),
        }
    }
}

fn age_secs(now: Millis, then: Millis) -> u64 {
    (now.saturating_sub(then).max(0) / 1000) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Millis = 1_700_000_000_000;

    fn streaming() -> HealthView {
        HealthView {
            now: NOW,
            connected: true,
            last_message_ms: Some(NOW - 1_500),
            last_trade_ms: Some(NOW - 1_500),
            connected_at_ms: Some(NOW - 60_000),
            first_attempt_done: true,
            startup_repair_done: Some(true),
            trades_critical: Duration::from_secs(60),
            ..HealthView::default()
        }
    }

    #[test]
    fn ready_while_streaming() {
        let p = evaluate(ProbeKind::Ready, &streaming());
        assert_eq!(p.status, 200);
        assert_eq!(
            p.body,
            json!({"status":"ready","checks":{"store":"ok","stream":"connected","last_message_age_secs":1,"last_trade_age_secs":1}})
        );
    }

    #[test]
    fn not_ready_when_disconnected_stale_or_unwritable() {
        let v = HealthView {
            connected: false,
            connected_at_ms: None,
            reconnects: 3,
            ..streaming()
        };
        let p = evaluate(ProbeKind::Ready, &v);
        assert_eq!(p.status, 503);
        assert_eq!(p.body["checks"]["stream"], "disconnected");
        assert_eq!(
            p.body["reasons"],
            json!(["stream: not connected (3 reconnects so far)"])
        );

        let v = HealthView {
            last_message_ms: Some(NOW - 61_000),
            last_trade_ms: Some(NOW - 61_000),
            connected_at_ms: Some(NOW - 120_000),
            ..streaming()
        };
        let p = evaluate(ProbeKind::Ready, &v);
        assert_eq!(p.status, 503);
        assert_eq!(
            p.body["reasons"],
            json!(["stream: last trade accepted 61 s ago (critical after 60 s)"])
        );

        let v = HealthView {
            pending_rows: 12,
            last_write_error: Some("attempt to write a readonly database".into()),
            ..streaming()
        };
        let p = evaluate(ProbeKind::Ready, &v);
        assert_eq!(p.status, 503);
        assert_eq!(p.body["checks"]["store"], "failing");
        let reason = p.body["reasons"][0].as_str().unwrap();
        assert!(reason.contains("12 candle rows") && reason.contains("readonly"));
    }

    #[test]
    fn a_first_connection_without_messages_is_ready_until_critical() {
        let v = HealthView {
            last_message_ms: None,
            last_trade_ms: None,
            connected_at_ms: Some(NOW - 2_000),
            ..streaming()
        };
        let p = evaluate(ProbeKind::Ready, &v);
        assert_eq!(p.status, 200, "{}", p.body);
        assert_eq!(p.body["checks"]["last_message_age_secs"], json!(null));
        let v = HealthView {
            connected_at_ms: Some(NOW - 61_000),
            ..v
        };
        let p = evaluate(ProbeKind::Ready, &v);
        assert_eq!(p.status, 503, "{}", p.body);
    }

    #[test]
    fn a_silent_server_does_not_look_fresh_after_reconnecting() {
        let v = HealthView {
            last_message_ms: Some(NOW - 600_000),
            last_trade_ms: Some(NOW - 600_000),
            connected_at_ms: Some(NOW - 1_000),
            ..streaming()
        };
        let p = evaluate(ProbeKind::Ready, &v);
        assert_eq!(p.status, 503, "{}", p.body);
        assert_eq!(p.body["checks"]["last_message_age_secs"], 600);
    }

    /// A stream that sends only what no parser reads (garbage, heartbeats) has fresh
    /// messages and no trades: ready only for the budget after connecting, then not.
    #[test]
    fn a_stream_of_garbage_is_not_ready() {
        let garbage = HealthView {
            last_message_ms: Some(NOW - 200),
            last_trade_ms: None,
            malformed: 110,
            connected_at_ms: Some(NOW - 5_000),
            ..streaming()
        };
        assert_eq!(
            evaluate(ProbeKind::Ready, &garbage).status,
            200,
            "within the budget"
        );
        let garbage = HealthView {
            connected_at_ms: Some(NOW - 90_000),
            ..garbage
        };
        let p = evaluate(ProbeKind::Ready, &garbage);
        assert_eq!(p.status, 503, "{}", p.body);
        assert_eq!(
            p.body["reasons"],
            json!([
                "stream: no trade accepted in the 90 s since connecting (critical after 60 s); 110 frames could not be read"
            ])
        );
    }

    #[test]
    fn startup_waits_for_first_attempt_and_repair() {
        let v = HealthView {
            first_attempt_done: false,
            startup_repair_done: Some(false),
            ..streaming()
        };
        let p = evaluate(ProbeKind::Startup, &v);
        assert_eq!(p.status, 503);
        assert_eq!(p.body["pending"].as_array().unwrap().len(), 2);
        assert_eq!(evaluate(ProbeKind::Startup, &streaming()).status, 200);
        let demo = HealthView {
            demo: true,
            startup_repair_done: None,
            ..HealthView::default()
        };
        let p = evaluate(ProbeKind::Startup, &demo);
        assert_eq!(p.status, 200);
        assert_eq!(p.body["checks"]["repair"], "not_needed");
    }

    #[test]
    fn live_always_answers() {
        let p = evaluate(ProbeKind::Live, &HealthView::default());
        assert_eq!((p.status, &p.body["status"]), (200, &json!("alive")));
    }

    #[test]
    fn stopping_is_not_ready() {
        let v = HealthView {
            stopping: true,
            ..streaming()
        };
        assert_eq!(evaluate(ProbeKind::Ready, &v).status, 503);
    }
}
