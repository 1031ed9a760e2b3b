//! `follow_latency_ms`: a live candle update from the writing store to a follower, the way an
//! attached dashboard follows collectors. The writer queues the update as ingestion does
//! (batched, at most `batch_ms` later committed); the follower, a second connection, is woken
//! by the store's change signal (PostgreSQL's notification, the SQLite file's change) and reads
//! the candle back. Measured per update, from queueing to the follower holding it.

use std::time::{Duration, Instant};

use super::measure::{BenchStore, median};
use crate::domain::{Candle, Price, Qty, Quote, SeriesKey, Symbol, Timeframe};
use crate::store::{CandleSource, Store, StoreOptions};

/// How long one update may take to arrive before the run is called failed.
const GIVE_UP: Duration = Duration::from_secs(5);

pub async fn follow_latency(at: BenchStore<'_>, n: usize) -> anyhow::Result<(f64, f64)> {
    let key = SeriesKey {
        symbol: Symbol::new("FOLLOWUSDT")?,
        timeframe: Timeframe::M1,
    };
    let writer = at.open("follow").await?;
    let url = at.url("follow");
    let open_time = 1_700_006_400_000;
    let candle = |trades: u64| Candle {
        open_time,
        open: Price::from_raw(4_200_000_000_000),
        high: Price::from_raw(4_200_000_000_000 + trades as i128),
        low: Price::from_raw(4_200_000_000_000),
        close: Price::from_raw(4_200_000_000_000 + trades as i128),
        volume: Qty::from_raw(trades as i128 * 1000),
        quote_volume: Some(Quote::from_raw(trades as i128 * 42)),
        trades: Some(trades),
        closed: false,
        first_trade_id: Some(1),
        last_trade_id: Some(trades as i64),
    };
    // The schema and the series exist before the follower opens, as with a running collector.
    writer.upsert(key, vec![candle(1)], CandleSource::Live)?;
    writer.flush().await?;
    let dir = std::path::Path::new(".");
    let follower = Store::open_url_read_only(&url, dir, StoreOptions::default())?;
    let mut changes = crate::store::watch_changes(&url, dir);
    // The PostgreSQL listener announces itself once connected; start after that.
    if at.name() == "postgres" {
        let _ = tokio::time::timeout(GIVE_UP, changes.changed()).await;
    }
    let mut lat = Vec::with_capacity(n);
    for i in 0..n as u64 {
        let trades = i + 2;
        changes.borrow_and_update();
        let t = Instant::now();
        writer.upsert(key, vec![candle(trades)], CandleSource::Live)?;
        loop {
            anyhow::ensure!(t.elapsed() < GIVE_UP, "the follower never saw update {i}");
            let _ = tokio::time::timeout(Duration::from_millis(500), changes.changed()).await;
            if follower
                .latest(key)
                .await?
                .is_some_and(|c| c.trades == Some(trades))
            {
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
                break;
            }
        }
        // Off the writer's batch clock, as trades arrive.
        tokio::time::sleep(Duration::from_millis(7 + (i * 13) % 40)).await;
    }
    follower.close().await?;
    writer.close().await?;
    lat.sort_by(f64::total_cmp);
    let p99 = lat[(lat.len() * 99 / 100).min(lat.len() - 1)];
    Ok((round1(median(lat.clone())), round1(p99)))
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}
