//! `bus_publish_events_per_sec` and `bus_follow_latency_ms` (SPEC §4 v3, with `bench --bus`
//! only): trade messages exactly as a collector makes them, published the collector's way
//! into a JetStream stream of the bench's own (its subjects under a prefix of its own, the
//! stream deleted afterwards, so a real `cryptoviz` stream on that server is not touched),
//! and read back by a subscriber that checks each as an attached dashboard does.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use async_nats::header::{HeaderMap, NATS_MESSAGE_ID};
use futures_util::StreamExt;

use super::measure::per_sec;
use crate::bus::{inbound, message};
use crate::config::{BusConfig, BusUrl};
use crate::domain::{Price, Qty, Symbol, Trade, now_ms};

/// Publishing rate while latency is measured: a busy market, not a flood.
const LATENCY_RATE_PER_SEC: u64 = 2_000;

pub struct BusFigures {
    pub publish_per_sec: f64,
    pub follow_p50_ms: f64,
    pub follow_p99_ms: f64,
}

fn trade(symbol: Symbol, id: i64) -> Trade {
    Trade {
        symbol,
        id,
        price: Price::from_int(42_000) + Price::from_raw(id as i128 % 10_000),
        qty: Qty::from_raw(1_000_000 + id as i128 % 1_000),
        time: now_ms(),
        micros: 0,
        count: 1,
        buyer_is_maker: id % 2 == 0,
    }
}

pub async fn measure(
    url: &BusUrl,
    cfg: &BusConfig,
    events: usize,
    latency_samples: usize,
) -> anyhow::Result<BusFigures> {
    let client = connected(url, cfg, "cryptoviz bench").await?;
    let prefix = format!("cryptoviz-bench-{}", std::process::id());
    let js = async_nats::jetstream::new(client.clone());
    let _ = js.delete_stream(&prefix).await;
    let mut stream = js
        .create_stream(async_nats::jetstream::stream::Config {
            name: prefix.clone(),
            subjects: vec![format!("{prefix}.>")],
            max_age: Duration::from_secs(300),
            duplicate_window: Duration::from_secs(120),
            ..Default::default()
        })
        .await
        .map_err(|e| anyhow::anyhow!("bus {url}: bench stream: {e}"))?;
    let figures = run(&client, &mut stream, &prefix, events, latency_samples).await;
    let _ = js.delete_stream(&prefix).await;
    figures
}

/// A client of `url`, connected (within 10 s) before it is returned.
pub async fn connected(
    url: &BusUrl,
    cfg: &BusConfig,
    name: &str,
) -> anyhow::Result<async_nats::Client> {
    let client = crate::bus::connect(url, cfg, name)
        .await
        .map_err(|e| anyhow::anyhow!("bus {url}: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.connection_state() != async_nats::connection::State::Connected {
        anyhow::ensure!(Instant::now() < deadline, "bus {url}: not reachable");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(client)
}

/// The collector's subject, moved under the bench's prefix.
fn retarget(subject: &str, prefix: &str) -> String {
    format!("{prefix}{}", &subject[message::ROOT.len()..])
}

async fn publish(
    client: &async_nats::Client,
    m: message::Message,
    prefix: &str,
) -> anyhow::Result<()> {
    let mut headers = HeaderMap::new();
    headers.insert(NATS_MESSAGE_ID, m.id.as_str());
    client
        .publish_with_headers(retarget(&m.subject, prefix), headers, m.payload)
        .await?;
    Ok(())
}

async fn run(
    client: &async_nats::Client,
    stream: &mut async_nats::jetstream::stream::Stream,
    prefix: &str,
    events: usize,
    latency_samples: usize,
) -> anyhow::Result<BusFigures> {
    let btc = Symbol::new("BTCUSDT")?;
    // Throughput: made, published the collector's way (its outbox, in batches as the
    // runtime's events bring them) and stored by the server, every one.
    let stats = crate::bus::BusStats::default();
    let mut outbox = crate::bus::publisher::Outbox::default();
    let t = Instant::now();
    for id in 0..events as i64 {
        let mut m = message::trade(&trade(btc, id), id as u64 + 1);
        m.subject = retarget(&m.subject, prefix);
        outbox.push(m, &stats);
        if id % 1_000 == 999 {
            outbox.send(client, &stats).await;
        }
    }
    outbox.send(client, &stats).await;
    client.flush().await?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while (stream.info().await?.state.messages as usize) < events {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the bus stored fewer than {events}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let publish_per_sec = per_sec(events, t.elapsed());

    // Latency: published at a steady rate; each read back and checked as a dashboard does.
    let mut sub = client.subscribe(format!("{prefix}.>")).await?;
    client.flush().await?;
    let sender = client.clone();
    let prefix_owned = prefix.to_string();
    let first = events as i64;
    let publisher = tokio::spawn(async move {
        let mut sent = HashMap::with_capacity(latency_samples);
        let mut tick =
            tokio::time::interval(Duration::from_micros(1_000_000 / LATENCY_RATE_PER_SEC));
        for id in first..first + latency_samples as i64 {
            tick.tick().await;
            sent.insert(id, Instant::now());
            let m = message::trade(&trade(btc, id), id as u64 + 1);
            if publish(&sender, m, &prefix_owned).await.is_err() {
                break;
            }
            let _ = sender.flush().await;
        }
        sent
    });
    let mut got = Vec::with_capacity(latency_samples);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while got.len() < latency_samples {
        let m = tokio::time::timeout_at(deadline, sub.next())
            .await
            .map_err(|_| anyhow::anyhow!("the bus delivered {} of {latency_samples}", got.len()))?
            .ok_or_else(|| anyhow::anyhow!("the bus subscription ended"))?;
        let at = Instant::now();
        let subject = format!("{}{}", message::ROOT, &m.subject.as_str()[prefix.len()..]);
        if let Ok(inbound::Inbound::Trade(t)) = inbound::parse(&subject, &m.payload, now_ms()) {
            got.push((t.id, at));
        }
    }
    let sent = publisher.await?;
    let mut ms: Vec<f64> = got
        .iter()
        .filter_map(|(id, at)| Some(at.duration_since(*sent.get(id)?).as_secs_f64() * 1000.0))
        .collect();
    anyhow::ensure!(!ms.is_empty(), "no latency sample");
    ms.sort_by(f64::total_cmp);
    let p = |q: f64| ms[((q * ms.len() as f64) as usize).min(ms.len() - 1)];
    let round = |x: f64| (x * 1000.0).round() / 1000.0;
    Ok(BusFigures {
        publish_per_sec,
        follow_p50_ms: round(p(0.5)),
        follow_p99_ms: round(p(0.99)),
    })
}
