//! `bus_dashboards`: ten dashboards attached to the bus at once while the collector of
//! `market_scale` publishes 5,000 trades a second on it. Each reads as an attached dashboard
//! does: its own connection and ordered JetStream consumer ([`crate::bus::follow::Reader`]),
//! every message checked ([`crate::bus::inbound::parse`]); what it does not do is draw. Each
//! notes the bench's trades it read with their lag (read time less the trade's time, which
//! the bench's venue stamped as it sent it), so the figures say whether every one of them got
//! every trade of the measured span, and how late.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::bus::follow::Reader;
use crate::bus::inbound::{self, Inbound};
use crate::config::BusConfig;
use crate::domain::{Millis, Venue, now_ms};

/// One trade read: the bench symbol's number, its id, and how late it came (ms).
type Read = (u16, i64, Millis);

/// The readers, running.
pub struct Followers {
    tasks: Vec<JoinHandle<()>>,
    /// What each has read so far.
    read: Vec<Arc<Mutex<Vec<Read>>>>,
    stop: watch::Sender<bool>,
}

/// The bench market `S0042USDT`'s number, 42; none for any other market.
fn bench_symbol(symbol: &str) -> Option<u16> {
    symbol.strip_prefix('S')?.strip_suffix("USDT")?.parse().ok()
}

impl Followers {
    /// `n` dashboards' readers on `cfg`'s bus, each connected and reading before this returns.
    pub async fn start(cfg: &BusConfig, n: usize) -> anyhow::Result<Followers> {
        let url = cfg
            .bus_url()
            .ok_or_else(|| anyhow::anyhow!("no bus configured"))?;
        let (stop, _) = watch::channel(false);
        let mut followers = Followers {
            tasks: Vec::new(),
            read: Vec::new(),
            stop,
        };
        for _ in 0..n {
            let client = super::bus::connected(&url, cfg, "cryptoviz bench dashboard").await?;
            let reader = Reader::open(&client, cfg)
                .await
                .map_err(|e| anyhow::anyhow!("bus {url}: {e}"))?;
            let read = Arc::new(Mutex::new(Vec::new()));
            followers.read.push(read.clone());
            let stop = followers.stop.subscribe();
            followers
                .tasks
                .push(tokio::spawn(follow(client, reader, read, stop)));
        }
        Ok(followers)
    }

    /// Waits (up to `limit`) until every reader has read every trade of the span (those of
    /// bench symbol `i` with ids in `span[i]`, first excluded, last included), stops them,
    /// and gives the figures over those trades.
    pub async fn finish(self, span: &[(i64, i64)], limit: Duration) -> Value {
        let in_span = |&(i, id, _): &Read| {
            span.get(usize::from(i))
                .is_some_and(|&(from, to)| id > from && id <= to)
        };
        let sent: i64 = span.iter().map(|(a, b)| b - a).sum();
        let counts = |read: &[Arc<Mutex<Vec<Read>>>]| -> Vec<i64> {
            read.iter()
                .map(|r| {
                    r.lock()
                        .map_or(0, |r| r.iter().filter(|x| in_span(x)).count() as i64)
                })
                .collect()
        };
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline && counts(&self.read).iter().any(|&n| n < sent) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        let each = counts(&self.read);
        let mut lags: Vec<Millis> = self
            .read
            .iter()
            .flat_map(|r| {
                r.lock()
                    .map(|r| r.iter().filter(|x| in_span(x)).map(|x| x.2).collect())
                    .unwrap_or_else(|_| Vec::new())
            })
            .collect();
        lags.sort_unstable();
        let at = |q: f64| {
            lags.get(((lags.len() as f64 - 1.0) * q).round() as usize)
                .copied()
        };
        json!({
            "dashboards": self.read.len(),
            "trades_sent": sent,
            "trades_read_min": each.iter().min(),
            "trades_read": each,
            "lag_ms": {"p50": at(0.5), "p90": at(0.9), "p99": at(0.99), "max": lags.last()},
        })
    }
}

/// One dashboard's reading, until stopped or the bus ends: the bench's trades it read.
async fn follow(
    _client: async_nats::Client,
    mut reader: Reader,
    read: Arc<Mutex<Vec<Read>>>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let next = tokio::select! {
            _ = stop.changed() => break,
            m = reader.next() => m,
        };
        let Some((subject, payload)) = next else {
            break;
        };
        let now = now_ms();
        if let Ok(Inbound::Trade(t)) = inbound::parse(subject.as_str(), &payload, now)
            && t.symbol.venue() == Venue::Binance
            && let Some(i) = bench_symbol(t.symbol.as_str())
            && let Ok(mut read) = read.lock()
        {
            read.push((i, t.id, now - t.time));
        }
    }
}
