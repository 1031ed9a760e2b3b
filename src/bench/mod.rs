//! `cryptoviz bench`: every figure of SPEC §4 measured in one run, on generated data, in a
//! temporary data dir. Each measurement is repeated and the median reported; `quick` shrinks
//! the data, never the list of keys.

mod bus;
mod dashboard;
mod data;
mod follow;
mod followers;
mod klines_server;
mod measure;
pub mod orphan;
mod portfolio;
mod postgres;
mod scale;

use std::time::{Duration, Instant};

use crate::config::Config;
use crate::news::sentiment::Scorer;

use serde_json::{Map, Value, json};

pub use data::trade_frames;
pub use measure::{median, peak_rss_mb};

use crate::domain::Venue;
use measure::{BenchStore, Feed};

/// Sizes of one run.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub frames: usize,
    pub candles: usize,
    pub reps: usize,
    /// Days of 1m history per symbol (ten symbols) behind `startup_first_frame_ms`.
    pub history_days: usize,
    /// Run the real dashboard process for idle CPU and its peak memory (seconds measured).
    pub process_secs: u64,
    /// Fills in the portfolio ledger replayed (SPEC: 100,000).
    pub fills: usize,
}

impl Plan {
    pub fn new(quick: bool) -> Plan {
        if quick {
            Plan {
                frames: 200_000,
                candles: 20_000,
                reps: 3,
                history_days: 14,
                process_secs: 4,
                fills: 20_000,
            }
        } else {
            Plan {
                frames: 1_000_000,
                candles: 100_000,
                reps: 5,
                history_days: 365,
                process_secs: 10,
                fills: 100_000,
            }
        }
    }
}

/// Dashboards attached at once in `bus_dashboards`.
const DASHBOARDS: usize = 10;

/// Runs every benchmark; the result is the JSON object of SPEC §4 (plus a few extra keys).
/// With a PostgreSQL `store`, the store's measurements run there too, in a scratch database;
/// with a `bus`, the bus's (in a stream of the bench's own).
pub async fn run_all(
    plan: Plan,
    store: Option<&crate::store::StoreUrl>,
    bus: Option<(&crate::config::BusUrl, &crate::config::BusConfig)>,
) -> anyhow::Result<Value> {
    let dir = tempfile_dir()?;
    let mut out = Map::new();
    let started = Instant::now();
    let scratch = match store.filter(|s| s.is_shared()) {
        Some(url) => Some(postgres::Scratch::create(url).await?),
        None => None,
    };
    let mut result = measure_all(plan, &dir, scratch.as_ref(), &mut out).await;
    if let (Ok(()), Some((url, cfg))) = (&result, bus) {
        let (events, samples) = if plan.reps > 3 {
            (200_000, 5_000)
        } else {
            (50_000, 1_000)
        };
        match bus::measure(url, cfg, events, samples).await {
            Ok(f) => {
                out.insert(
                    "bus_publish_events_per_sec".into(),
                    json!(f.publish_per_sec),
                );
                out.insert(
                    "bus_follow_latency_ms".into(),
                    json!({"p50": f.follow_p50_ms, "p99": f.follow_p99_ms}),
                );
            }
            Err(e) => result = Err(e),
        }
        // The collector at scale again, publishing: its cost over `market_scale`'s.
        if plan.process_secs > 0 {
            let half = Duration::from_secs(plan.process_secs.div_ceil(2));
            let with_bus = scale::market_scale(&dir, half, half, Some(cfg), 0)
                .await
                .unwrap_or_else(|e| json!({ "error": e.to_string() }));
            out.insert("market_scale_bus".into(), with_bus);
            // Again with ten dashboards attached: do they all keep up?
            let watched = scale::market_scale(&dir, half, half, Some(cfg), DASHBOARDS)
                .await
                .unwrap_or_else(|e| json!({ "error": e.to_string() }));
            out.insert("bus_dashboards".into(), watched);
        }
    }
    if let Some(s) = scratch {
        s.drop_now().await;
    }
    result?;
    out.insert(
        "bench_seconds".into(),
        json!((started.elapsed().as_secs_f64() * 10.0).round() / 10.0),
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(Value::Object(out))
}

async fn measure_all(
    plan: Plan,
    dir: &std::path::Path,
    scratch: Option<&postgres::Scratch>,
    out: &mut Map<String, Value>,
) -> anyhow::Result<()> {
    let dir = dir.to_path_buf();

    let frames = data::trade_frames(plan.frames, 2);
    out.insert(
        "parse_only_trades_per_sec".into(),
        json!(measure::parse_only(&frames, plan.reps)),
    );
    let (ingest, latency) = measure::ingest(&frames, &dir, plan.reps).await?;
    out.insert("ingest_trades_per_sec".into(), json!(ingest));
    out.insert("ingest_latency_us".into(), serde_json::to_value(latency)?);
    let during = measure::ingest_during_tiering(&frames, &dir, plan.history_days).await?;
    out.insert(
        "ingest_latency_during_tiering_us".into(),
        serde_json::to_value(during)?,
    );
    let alerts = measure::alert_latency(&frames)?;
    out.insert(
        "alert_latency_us".into(),
        json!({"p50": alerts.p50, "p99": alerts.p99, "max": alerts.max}),
    );
    drop(frames);
    out.insert(
        "alerts_backtest_candles_per_sec".into(),
        json!(measure::alerts_backtest(&dir, plan.history_days).await?),
    );
    out.insert(
        "portfolio_replay_fills_per_sec".into(),
        json!(portfolio::replay(&dir, plan.fills, plan.reps).await?),
    );

    // Every venue's own format, each perp's, and all of them at once with a composite.
    let spot: Vec<Feed> = Venue::SPOT
        .into_iter()
        .map(|venue| Feed {
            venue,
            contracts: false,
            frames: Vec::new(),
        })
        .collect();
    let mut feeds: Vec<(&str, Feed)> = spot.into_iter().map(|f| (f.venue.name(), f)).collect();
    feeds.extend(perp_feeds());
    let per_feed = plan.frames / feeds.len();
    for (i, (_, feed)) in feeds.iter_mut().enumerate() {
        feed.frames = match feed.contracts {
            false => data::venue_frames(feed.venue, per_feed),
            true => data::frames_of(swap_sample(feed.venue)?, 97 + i as u64, per_feed),
        };
    }
    let (mut venue_rates, mut perp_rates) = (Map::new(), Map::new());
    for (key, feed) in &feeds {
        let rate = json!(measure::venue_parse(feed, plan.reps));
        match feed.venue.is_perp() || feed.contracts {
            true => perp_rates.insert((*key).into(), rate),
            false => venue_rates.insert((*key).into(), rate),
        };
    }
    let mut mixed: Vec<measure::Mixed> = Vec::with_capacity(per_feed * feeds.len());
    for i in 0..per_feed {
        for (_, feed) in &mut feeds {
            mixed.push((
                feed.venue,
                feed.contracts,
                std::mem::take(&mut feed.frames[i]),
            ));
        }
    }
    drop(feeds);
    out.insert(
        "venue_parse_trades_per_sec".into(),
        Value::Object(venue_rates),
    );
    out.insert(
        "perp_parse_trades_per_sec".into(),
        Value::Object(perp_rates),
    );
    out.insert(
        "parse_venues_trades_per_sec".into(),
        json!(measure::parse_venues(&mixed, plan.reps)),
    );
    out.insert(
        "ingest_venues_trades_per_sec".into(),
        json!(measure::ingest_venues(&mixed, &dir, plan.reps).await?),
    );
    drop(mixed);

    out.insert(
        "sqlite_raw_upsert_rows_per_sec".into(),
        json!(measure::sqlite_raw_upsert(&dir, plan.candles, plan.reps)?),
    );
    out.insert(
        "store_upsert_candles_per_sec".into(),
        json!(measure::store_upsert(BenchStore::Sqlite(&dir), plan.candles, plan.reps).await?),
    );
    out.insert(
        "query_10k_candles_ms".into(),
        json!(measure::query_10k(BenchStore::Sqlite(&dir), plan.reps).await?),
    );
    // Followers: the SQLite file always; PostgreSQL's notifications when asked for.
    let follow_n = if plan.reps > 3 { 60 } else { 12 };
    let mut follows = vec![BenchStore::Sqlite(&dir)];
    if let Some(s) = scratch {
        let at = BenchStore::Postgres(&s.url);
        out.insert(
            "postgres_raw_upsert_rows_per_sec".into(),
            json!(postgres::raw_upsert(s, plan.candles, plan.reps).await?),
        );
        out.insert(
            "postgres_upsert_candles_per_sec".into(),
            json!(measure::store_upsert(at, plan.candles, plan.reps).await?),
        );
        out.insert(
            "postgres_query_10k_candles_ms".into(),
            json!(measure::query_10k(at, plan.reps).await?),
        );
        follows.push(at);
    }
    for at in follows {
        let (p50, p99) = follow::follow_latency(at, follow_n).await?;
        let key = match at {
            BenchStore::Sqlite(_) => "follow_latency_ms",
            BenchStore::Postgres(_) => "postgres_follow_latency_ms",
        };
        out.insert(
            key.into(),
            json!({"p50": p50, "p99": p99, "store": at.name()}),
        );
    }
    out.insert(
        "indicators_10k_candles_ms".into(),
        json!(measure::indicators_10k(plan.reps)),
    );
    out.insert(
        "indicators_bars_per_sec".into(),
        json!(measure::indicators_bars(100_000, plan.reps)),
    );
    out.insert(
        "backfill_candles_per_sec".into(),
        json!(measure::backfill(&dir, plan.candles * 2, plan.reps).await?),
    );
    let titles = data::headlines(plan.candles);
    out.insert(
        "sentiment_items_per_sec".into(),
        json!(measure::sentiment(&titles, plan.reps, Scorer::Headlines)),
    );
    out.insert(
        "sentiment_vader_items_per_sec".into(),
        json!(measure::sentiment(&titles, plan.reps, Scorer::Vader)),
    );
    let frames = if plan.reps > 3 { 2000 } else { 500 };
    let (p50, p99) = dashboard::render_frames(frames, false)?;
    out.insert("render_frame_ms".into(), json!({"p50": p50, "p99": p99}));
    let (p50, p99) = dashboard::render_frames(frames, true)?;
    out.insert(
        "render_frame_portfolio_ms".into(),
        json!({"p50": p50, "p99": p99}),
    );
    let history = dir.join("history.db");
    dashboard::fill_history(&history, plan.history_days).await?;
    out.insert(
        "startup_first_frame_ms".into(),
        json!(dashboard::first_frame(&history, plan.reps).await?),
    );
    out.insert("history_days".into(), json!(plan.history_days));
    out.insert("peak_rss_mb".into(), json!(peak_rss_mb()));
    // Last, so the processes never compete with the timings above. `--quick` runs the
    // collector at scale while the dashboards are measured, to stay within its 20 s: each
    // figure is that process's own CPU time and memory, which the others change little.
    if plan.process_secs > 0 {
        let d = dir.clone();
        let dashboards =
            tokio::task::spawn_blocking(move || dashboard_processes(&d, plan.process_secs));
        let half = Duration::from_secs(plan.process_secs.div_ceil(2));
        let scale = async {
            scale::market_scale(&dir, half, half, None, 0)
                .await
                .unwrap_or_else(|e| json!({ "error": e.to_string() }))
        };
        let ((idle, rss), scale) = if plan.process_secs < 10 {
            let scale = scale.await;
            (dashboards.await.unwrap_or((None, None)), scale)
        } else {
            let done = dashboards.await.unwrap_or((None, None));
            (done, scale.await)
        };
        out.insert("idle_cpu_percent".into(), json!(idle));
        out.insert("dashboard_peak_rss_mb".into(), json!(rss));
        out.insert("market_scale".into(), scale);
    }
    Ok(())
}

/// (idle CPU % of an offline dashboard with no data, peak RSS MB of a demo dashboard with ten
/// live symbols), each None when it could not be measured (no `script` for a pseudo-terminal).
/// The perpetual-futures streams as SPEC §4 names them: the two perp venues, and OKX's swaps
/// (OKX's format, sizes in contracts).
fn perp_feeds() -> [(&'static str, Feed); 3] {
    let feed = |venue, contracts| Feed {
        venue,
        contracts,
        frames: Vec::new(),
    };
    [
        ("binance-perp", feed(Venue::BinancePerp, false)),
        ("bybit-perp", feed(Venue::BybitPerp, false)),
        ("okx-swap", feed(Venue::Okx, true)),
    ]
}

/// The swap frame writer of `venue`, from the registry.
fn swap_sample(
    venue: Venue,
) -> anyhow::Result<fn(&crate::exchange::registry::SampleTrade<'_>) -> String> {
    crate::exchange::registry::entry(venue)
        .and_then(|e| e.sample_swap_trade)
        .ok_or_else(|| anyhow::anyhow!("{venue} writes no swap frames"))
}

fn dashboard_processes(dir: &std::path::Path, secs: u64) -> (Option<f64>, Option<f64>) {
    let measure = Duration::from_secs(secs);
    let idle_dir = dir.join("idle");
    let live_dir = dir.join("live");
    let _ = std::fs::create_dir_all(&idle_dir);
    let _ = std::fs::create_dir_all(&live_dir);
    let mut offline = Config::default();
    offline.venues[crate::domain::Venue::Binance].ws_url = "ws://127.0.0.1:9".into();
    offline.venues[crate::domain::Venue::Binance].rest_url = "http://127.0.0.1:9".into();
    offline.news.feeds.clear();
    let mut live = Config::default();
    live.market.symbols = dashboard::SYMBOLS
        .iter()
        .filter_map(|s| crate::domain::Symbol::new(s).ok())
        .collect();
    let idle = std::thread::spawn(move || {
        dashboard::dashboard_process(&idle_dir, &offline, false, Duration::from_secs(3), measure)
    });
    // The demo fills its history first; `--quick` waits a little less for it.
    let fill = Duration::from_millis(secs * if secs >= 10 { 2000 } else { 1500 });
    let rss = dashboard::dashboard_process(&live_dir, &live, true, fill, measure)
        .ok()
        .flatten()
        .map(|(_, rss)| rss);
    let idle = idle
        .join()
        .ok()
        .and_then(|r| r.ok())
        .flatten()
        .map(|(cpu, _)| cpu);
    (idle, rss)
}

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "{}{}-{}",
        orphan::DIR_PREFIX,
        std::process::id(),
        crate::domain::now_ms()
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
