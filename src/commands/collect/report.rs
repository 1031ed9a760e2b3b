//! What a headless collector says about its venues' connections on stderr: one line per venue
//! when its state changes (connected, or failing for a new kind of reason), never one per
//! retry, and a summary when a `--duration` run ends. Without it a collector whose venues are
//! all unreachable ran for minutes without a word.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::exchange::Venue;
use crate::news::clean::strip_controls;
use crate::source::StreamStatus;

/// One venue's connection as the collector has seen it.
#[derive(Debug, Default)]
struct VenueState {
    url: String,
    /// The kind of the failure last reported; `None` while connected or not yet failed.
    failing: Option<&'static str>,
    last_reason: Option<String>,
    failures: u32,
    connected_ever: bool,
    /// Whether the last line said "connected", so a reconnect after a clean drop is quiet.
    said_connected: bool,
}

/// The venues' connections, and what to print when they change.
#[derive(Debug, Default)]
pub struct ConnectionReport {
    venues: BTreeMap<Venue, VenueState>,
}

/// What kind of failure a reconnect reason names, in words a user acts on. Reasons come from
/// the stream client (`connect failed: IO error: …`, `HTTP error: 403 …`, `TLS error: …`).
pub fn failure_kind(reason: &str) -> &'static str {
    let r = reason.to_ascii_lowercase();
    if r.contains("lookup") || r.contains("resolve") || r.contains("name or service") {
        "the host name does not resolve (DNS)"
    } else if r.contains("refused") {
        "the connection is refused"
    } else if r.contains("tls") || r.contains("certificate") || r.contains("handshake") {
        "the TLS handshake fails"
    } else if r.contains("http error") || r.contains("http status") {
        "the server answers with an HTTP error"
    } else if r.contains("timed out") || r.contains("timeout") || r.contains("no message") {
        "the connection times out"
    } else if r.contains("unreachable") {
        "the network is unreachable"
    } else if r.contains("closed") || r.contains("reset") {
        "the server closes the connection"
    } else {
        "the connection fails"
    }
}

impl ConnectionReport {
    /// A report on these venues, each named with the address it streams from.
    pub fn new(venues: impl IntoIterator<Item = (Venue, String)>) -> Self {
        let venues = venues
            .into_iter()
            .map(|(v, url)| {
                let state = VenueState {
                    url,
                    ..VenueState::default()
                };
                (v, state)
            })
            .collect();
        ConnectionReport { venues }
    }

    /// The line to print for this status change, if it is news.
    pub fn on_status(&mut self, venue: Venue, status: &StreamStatus) -> Option<String> {
        let st = self.venues.entry(venue).or_default();
        match status {
            StreamStatus::Connected => {
                st.connected_ever = true;
                let was_failing = st.failing.take().is_some();
                let first = !st.said_connected;
                st.said_connected = true;
                (was_failing || first).then(|| {
                    let after = if was_failing {
                        format!(" after {} failed attempts", st.failures)
                    } else {
                        String::new()
                    };
                    st.failures = 0;
                    format!("{venue}: connected to {}{after}", st.url)
                })
            }
            StreamStatus::Reconnecting { delay, reason, .. } => {
                st.failures += 1;
                st.said_connected = false;
                let reason = clip(&strip_controls(reason));
                st.last_reason = Some(reason.clone());
                let kind = failure_kind(&reason);
                if st.failing == Some(kind) {
                    return None;
                }
                st.failing = Some(kind);
                Some(format!(
                    "{venue}: cannot stream from {}: {kind} ({reason}); retrying in {} and then with growing pauses (said again when this changes)",
                    st.url,
                    secs(*delay)
                ))
            }
            StreamStatus::Connecting { .. } | StreamStatus::Stopped => None,
        }
    }

    /// The end-of-run summary: one line per venue with its trades (from the stream's
    /// counters, `(venue, trades)`), and whether any venue delivered a trade at all.
    pub fn summary(&self, trades: &[(Venue, u64)], ran: Duration) -> (bool, Vec<String>) {
        let mut any = false;
        let mut lines = Vec::new();
        for (venue, st) in &self.venues {
            let n = trades
                .iter()
                .filter(|(v, _)| v == venue)
                .map(|(_, n)| n)
                .sum::<u64>();
            any |= n > 0;
            let what = if n > 0 {
                format!("{n} trades")
            } else if let (Some(kind), Some(reason)) = (st.failing, &st.last_reason) {
                let tries = st.failures;
                format!("no trades: {kind} ({reason}; {tries} attempts)")
            } else if st.connected_ever {
                "connected, no trades in that time".to_string()
            } else {
                "no trades: never connected".to_string()
            };
            lines.push(format!("{venue} ({}): {what}", st.url));
        }
        let head = format!("summary after {}:", secs(ran));
        lines.insert(0, head);
        (any, lines)
    }
}

fn secs(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{} s", d.as_secs_f64().round())
    }
}

/// Reasons quote servers' words: keep a line a line.
fn clip(s: &str) -> String {
    const MAX: usize = 200;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lost(reason: &str) -> StreamStatus {
        StreamStatus::Reconnecting {
            attempt: 1,
            delay: Duration::from_millis(500),
            reason: reason.into(),
        }
    }

    #[test]
    fn one_line_per_state_change_not_per_retry() {
        let mut r = ConnectionReport::new([(Venue::Kraken, "wss://k".to_string())]);
        let refused = "connect failed: IO error: Connection refused (os error 111)";
        let first = r.on_status(Venue::Kraken, &lost(refused)).unwrap();
        assert!(first.contains("kraken: cannot stream from wss://k: the connection is refused"));
        assert!(first.contains("retrying in 500 ms"), "{first}");
        assert_eq!(r.on_status(Venue::Kraken, &lost(refused)), None);
        let dns = "connect failed: IO error: failed to lookup address information";
        assert!(
            r.on_status(Venue::Kraken, &lost(dns))
                .unwrap()
                .contains("DNS")
        );
        let up = r
            .on_status(Venue::Kraken, &StreamStatus::Connected)
            .unwrap();
        assert_eq!(up, "kraken: connected to wss://k after 3 failed attempts");
        assert_eq!(r.on_status(Venue::Kraken, &StreamStatus::Connected), None);
    }

    #[test]
    fn the_kinds_a_user_acts_on() {
        assert!(failure_kind("HTTP error: 403 Forbidden").contains("HTTP"));
        assert!(failure_kind("TLS error: invalid peer certificate").contains("TLS"));
        assert!(failure_kind("connect timed out after 5s").contains("times out"));
    }

    #[test]
    fn summary_says_who_delivered() {
        let mut r = ConnectionReport::new([
            (Venue::Binance, "wss://b".to_string()),
            (Venue::Okx, "wss://o".to_string()),
        ]);
        r.on_status(Venue::Okx, &lost("connect failed: Connection refused"));
        let (any, lines) = r.summary(&[(Venue::Binance, 0)], Duration::from_secs(3));
        assert!(!any);
        assert_eq!(lines[0], "summary after 3 s:");
        assert_eq!(lines[1], "binance (wss://b): no trades: never connected");
        assert!(lines[2].starts_with("okx (wss://o): no trades: the connection is refused"));
        let (any, lines) = r.summary(&[(Venue::Binance, 7)], Duration::from_secs(3));
        assert!(any && lines[1].ends_with("7 trades"));
    }
}
