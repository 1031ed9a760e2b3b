//! `market_scale`: the real collector process on a local Binance-format stream of 1,000
//! symbols at 5,000 trades a second in all, with its CPU share and peak memory over the
//! measured span, and how many symbols' candles reached the store (proof it kept up). With a
//! bus (`bench --bus`) the same collector publishes everything on it too (`market_scale_bus`),
//! and how many of the bench's trades reached the stream is counted; they are purged from
//! the stream afterwards (the bench's markets are `S0000USDT`…, no real market's).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

use super::dashboard::{cpu_ticks, hwm_mb, ticks_per_sec};
use crate::config::Config;
use crate::domain::{Millis, SeriesKey, Symbol, Timeframe, now_ms};
use crate::store::{Store, StoreOptions};

pub const SYMBOLS: usize = 1_000;
pub const TRADES_PER_SEC: usize = 5_000;
/// Frames go out in small bursts this often, as a busy exchange connection delivers them.
const TICK: Duration = Duration::from_millis(10);

fn symbol(i: usize) -> String {
    format!("S{i:04}USDT")
}

/// Runs the collector for `warmup + secs`, measuring over the last `secs`; publishing on
/// `bus` too when given, with that many `dashboards` attached to it (`bus_dashboards`; none
/// for `market_scale_bus`).
pub async fn market_scale(
    dir: &std::path::Path,
    warmup: Duration,
    secs: Duration,
    bus: Option<&crate::config::BusConfig>,
    dashboards: usize,
) -> anyhow::Result<Value> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let data = dir.join(if bus.is_some() { "scale-bus" } else { "scale" });
    std::fs::create_dir_all(&data)?;
    let mut config = Config::default();
    config.market.symbols = (0..SYMBOLS)
        .map(|i| Symbol::new(&symbol(i)))
        .collect::<Result<_, _>>()?;
    config.venues[crate::domain::Venue::Binance].ws_url = format!("ws://127.0.0.1:{port}");
    // Nothing answers REST here: gap repair gives up quickly and stays out of the figure.
    config.venues[crate::domain::Venue::Binance].rest_url = "http://127.0.0.1:9".into();
    config.news.feeds.clear();
    // With a bus, the collector's own counts of what it published and dropped, from its
    // /metrics.
    let metrics = match bus {
        Some(b) => {
            // In the config file (in the bench's own folder), not on the command line, where
            // a password would show.
            config.bus = b.clone();
            let port = TcpListener::bind("127.0.0.1:0").await?.local_addr()?.port();
            config.metrics.listen = format!("127.0.0.1:{port}");
            Some(port)
        }
        None => None,
    };
    let cfg = data.join("scale.toml");
    std::fs::write(&cfg, toml::to_string(&config)?)?;
    // Attached before the collector starts, as dashboards already running would be.
    let followers = match bus {
        Some(b) if dashboards > 0 => Some(super::followers::Followers::start(b, dashboards).await?),
        _ => None,
    };
    let mut child = super::orphan::child(std::env::current_exe()?)
        .arg("--config")
        .arg(&cfg)
        .arg("--data-dir")
        .arg(&data)
        .arg("collect")
        .env_remove("CRYPTOVIZ_STORE")
        .env_remove("CRYPTOVIZ_BUS")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let pid = child.id();
    let sent = tokio::time::timeout(warmup + secs + Duration::from_secs(10), async {
        let (tcp, _) = listener.accept().await?;
        let ws = tokio_tungstenite::accept_async(tcp).await?;
        let (mut tx, mut rx) = ws.split();
        // Pings are answered by the library while reading; the rest is ignored.
        tokio::spawn(async move { while let Some(Ok(_)) = rx.next().await {} });
        let started = Instant::now();
        let mut measured: Option<(u64, Instant, usize)> = None;
        // Each symbol's last id before the measured span.
        let mut span_from = Vec::new();
        // Ids of this run's own: JetStream would drop a repeat of an earlier run's (within its
        // two-minute window) as a duplicate.
        let mut ids = vec![now_ms(); SYMBOLS];
        let (mut next, mut total) = (0usize, 0usize);
        let mut tick = tokio::time::interval(TICK);
        let per_tick = TRADES_PER_SEC * TICK.as_millis() as usize / 1000;
        loop {
            tick.tick().await;
            let now = now_ms();
            for _ in 0..per_tick {
                let i = next % SYMBOLS;
                next += 1;
                ids[i] += 1;
                let frame = trade_frame(&symbol(i), ids[i], i, now);
                tx.send(Message::text(frame)).await?;
                total += 1;
            }
            if measured.is_none() && started.elapsed() >= warmup {
                measured = Some((cpu_ticks(pid).unwrap_or(0), Instant::now(), total));
                span_from = ids.clone();
            }
            if let Some((cpu0, t0, sent0)) = measured
                && t0.elapsed() >= secs
            {
                let cpu1 = cpu_ticks(pid).unwrap_or(cpu0);
                let span = t0.elapsed().as_secs_f64();
                let cpu = (cpu1 - cpu0) as f64 / ticks_per_sec() / span * 100.0;
                let rate = (total - sent0) as f64 / span;
                let counts = match metrics {
                    Some(port) => Some((scrape(port).await?, total)),
                    None => None,
                };
                let span: Vec<(i64, i64)> = span_from.iter().copied().zip(ids).collect();
                return anyhow::Ok((cpu, rate, hwm_mb(pid), counts, span));
            }
        }
    })
    .await;
    // The dashboards given time to read what the collector published by then.
    let read = match (followers, &sent) {
        (Some(f), Ok(Ok((.., span)))) => Some(f.finish(span, Duration::from_secs(15)).await),
        _ => None,
    };
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait()?.is_none() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let (cpu, rate, rss, counts, _) = sent??;
    let mut out = json!({
        "symbols": SYMBOLS,
        "trades_per_sec": rate.round(),
        "cpu_percent": (cpu * 10.0).round() / 10.0,
        "rss_mb": rss,
        "stored_symbols": stored_symbols(&data).await?,
    });
    if let (Some(b), Some(((published, dropped), sent))) = (bus, counts) {
        out["sent_trades"] = json!(sent);
        out["published_messages"] = json!(published);
        out["dropped_messages"] = json!(dropped);
        out["stream_trades"] = json!(stream_trades(b).await?);
    }
    if let Some(read) = read {
        out["dashboards"] = read;
    }
    Ok(out)
}

/// (messages published, dropped) as the collector's /metrics says them.
async fn scrape(port: u16) -> anyhow::Result<(u64, u64)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    tcp.write_all(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .await?;
    let mut body = String::new();
    tcp.read_to_string(&mut body).await?;
    let get = |name: &str| -> u64 {
        body.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse::<f64>().ok())
            .unwrap_or(0.0) as u64
    };
    Ok((
        get("cryptoviz_bus_published_messages_total "),
        get("cryptoviz_bus_dropped_messages_total "),
    ))
}

/// The bench's trades the stream holds, which are then purged from it.
async fn stream_trades(cfg: &crate::config::BusConfig) -> anyhow::Result<u64> {
    let url = cfg
        .bus_url()
        .ok_or_else(|| anyhow::anyhow!("no bus configured"))?;
    let client = crate::bus::connect(&url, cfg, "cryptoviz bench")
        .await
        .map_err(|e| anyhow::anyhow!("bus {url}: {e}"))?;
    let js = async_nats::jetstream::new(client);
    let stream = js
        .get_stream(&cfg.stream)
        .await
        .map_err(|e| anyhow::anyhow!("bus {url}: stream {}: {e}", cfg.stream))?;
    let mut n = 0;
    let mut subjects = stream
        .info_with_subjects("cryptoviz.binance.*.trade")
        .await?;
    while let Some((subject, count)) = subjects.next().await.transpose()? {
        if subject.starts_with("cryptoviz.binance.S") && subject.ends_with("USDT.trade") {
            n += count as u64;
        }
    }
    for i in 0..SYMBOLS {
        let filter = format!("cryptoviz.binance.{}.>", symbol(i));
        let _ = stream.purge().filter(filter).await;
    }
    Ok(n)
}

fn trade_frame(sym: &str, id: i64, i: usize, now: Millis) -> String {
    let price = 100 + i % 900;
    let cents = (id * 7) % 100;
    format!(
        r#"{{"stream":"{lower}@trade","data":{{"e":"trade","E":{now},"s":"{sym}","t":{id},"p":"{price}.{cents:02}","q":"0.{q:04}","T":{now},"m":{m},"M":true}}}}"#,
        lower = sym.to_ascii_lowercase(),
        q = id % 9_999 + 1,
        m = id % 2 == 0,
    )
}

/// Symbols whose 1m candles the collector stored.
async fn stored_symbols(data: &std::path::Path) -> anyhow::Result<usize> {
    let store = Store::open(&crate::paths::database_file(data), StoreOptions::default())?;
    let mut n = 0;
    for i in 0..SYMBOLS {
        let key = SeriesKey {
            symbol: Symbol::new(&symbol(i))?,
            timeframe: Timeframe::M1,
        };
        if store.latest(key).await?.is_some() {
            n += 1;
        }
    }
    store.close().await?;
    Ok(n)
}
