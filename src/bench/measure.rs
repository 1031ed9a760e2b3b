//! The measurements. Each returns the median over `reps` runs.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::domain::{Millis, Qty, SeriesKey, Symbol, Timeframe, Trade, Venue};
use crate::exchange::contracts::Contracts;
use crate::ingest::{Ingest, Percentiles};
use crate::store::{CandleSource, Store, StoreOptions};

use super::data;

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() { 0.0 } else { v[v.len() / 2] }
}

pub(super) fn per_sec(n: usize, d: Duration) -> f64 {
    (n as f64 / d.as_secs_f64()).round()
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The single-venue measurements' frames are Binance's; they are parsed by its connector, as
/// the live loop does.
fn binance() -> anyhow::Result<&'static dyn crate::exchange::Connector> {
    crate::exchange::connector(crate::domain::Venue::Binance)
        .ok_or_else(|| anyhow::anyhow!("binance is not in the venue registry"))
}

/// Binance's frames to trades through its connector, nothing else: the live feed's hot path.
pub fn parse_only(frames: &[Vec<u8>], reps: usize) -> f64 {
    let Ok(conn) = binance() else {
        return 0.0;
    };
    let mut buf = Vec::with_capacity(4);
    let runs = (0..reps)
        .map(|_| {
            let t = Instant::now();
            let mut n = 0u64;
            for f in frames {
                read(conn, f, None, &mut buf);
                n += buf.len() as u64;
            }
            per_sec(std::hint::black_box(n) as usize, t.elapsed())
        })
        .collect();
    median(runs)
}

/// One market stream's frames in its venue's format, and whether their sizes count
/// contracts (OKX swaps), which the live stream turns into coins with [`sample_contracts`].
pub struct Feed {
    pub venue: Venue,
    pub contracts: bool,
    pub frames: Vec<Vec<u8>>,
}

/// The contract size the sample swap frames are written in.
pub fn sample_contracts() -> Contracts {
    let swap = Symbol::new("okx:BTC-USDT-SWAP").expect("a valid symbol");
    let size = Qty::parse(crate::exchange::registry::SAMPLE_CONTRACT).expect("a decimal");
    Contracts::new(vec![(swap, Ok(size))], &[swap])
}

/// Reads one frame as the live stream does (its venue's connector, then contract sizes where
/// they apply), appending the exact trades to `buf`.
#[inline]
fn read(
    conn: &dyn crate::exchange::Connector,
    frame: &[u8],
    contracts: Option<&Contracts>,
    buf: &mut Vec<Trade>,
) {
    buf.clear();
    if conn.parse(frame, buf).is_err() {
        buf.clear();
        return;
    }
    if let Some(c) = contracts {
        buf.retain_mut(|t| c.apply(t).is_ok());
    }
}

/// A feed's frames to exact trades, nothing else.
pub fn venue_parse(feed: &Feed, reps: usize) -> f64 {
    let Some(conn) = crate::exchange::connector(feed.venue) else {
        return 0.0;
    };
    let contracts = sample_contracts();
    let sized = feed.contracts.then_some(&contracts);
    let mut buf = Vec::with_capacity(4);
    let runs = (0..reps)
        .map(|_| {
            let t = Instant::now();
            let mut n = 0u64;
            for f in &feed.frames {
                read(conn, f, sized, &mut buf);
                n += buf.len() as u64;
            }
            // Only trades that came out count: a parser that fails scores nothing.
            per_sec(std::hint::black_box(n) as usize, t.elapsed())
        })
        .collect();
    median(runs)
}

/// One frame of a mixed run: its venue, whether it counts contracts, its bytes.
pub type Mixed = (Venue, bool, Vec<u8>);

/// The interleaved frames of every feed parsed by their connectors, nothing else: the
/// baseline of [`ingest_venues`].
pub fn parse_venues(frames: &[Mixed], reps: usize) -> f64 {
    let contracts = sample_contracts();
    let mut buf = Vec::with_capacity(4);
    let runs = (0..reps)
        .map(|_| {
            let t = Instant::now();
            let mut n = 0u64;
            for (venue, sized, f) in frames {
                if let Some(conn) = crate::exchange::connector(*venue) {
                    read(conn, f, sized.then_some(&contracts), &mut buf);
                    n += buf.len() as u64;
                }
            }
            per_sec(std::hint::black_box(n) as usize, t.elapsed())
        })
        .collect();
    median(runs)
}

/// Frames of every feed (five spot venues and three perps), interleaved, through their
/// connectors into one ingestion that also builds a composite of three of them: all five
/// timeframes, persisted.
pub async fn ingest_venues(frames: &[Mixed], dir: &Path, reps: usize) -> anyhow::Result<f64> {
    let symbols: Vec<Symbol> = [
        "binance:BTCUSDT",
        "coinbase:BTC-USD",
        "kraken:BTC/USD",
        "bybit:BTCUSDT",
        "okx:BTC-USDT",
        "binance-perp:BTCUSDT",
        "bybit-perp:BTCUSDT",
        "okx:BTC-USDT-SWAP",
    ]
    .into_iter()
    .map(Symbol::new)
    .collect::<Result<_, _>>()?;
    let composite = crate::domain::Composite {
        symbol: Symbol::new("composite:BTC-USD")?,
        members: symbols[..3].to_vec(),
    };
    let contracts = sample_contracts();
    let mut rates = Vec::new();
    for rep in 0..reps {
        let store = Store::open(
            &dir.join(format!("venues-{rep}.db")),
            StoreOptions::default(),
        )?;
        let mut ingest = Ingest::new(store.clone(), &symbols, &Timeframe::ALL, CandleSource::Live)
            .await?
            .with_composites(std::slice::from_ref(&composite));
        let mut buf = Vec::with_capacity(4);
        let t = Instant::now();
        let mut last_flush = Instant::now();
        for (venue, sized, f) in frames {
            let received = Instant::now();
            let Some(conn) = crate::exchange::connector(*venue) else {
                continue;
            };
            read(conn, f, sized.then_some(&contracts), &mut buf);
            for tr in &buf {
                ingest.on_trade(tr, received);
            }
            if last_flush.elapsed() >= crate::ingest::FLUSH_EVERY {
                ingest.flush(None)?;
                last_flush = Instant::now();
                tokio::task::yield_now().await;
            }
        }
        ingest.flush(None)?;
        store.flush().await?;
        rates.push(per_sec(frames.len(), t.elapsed()));
        store.close().await?;
    }
    Ok(median(rates))
}

/// Trade ingested -> firing decided, with 100 rules live on the traded market (price levels
/// that the generated prices cross back and forth, rearming at once, so firings keep
/// happening), in µs per trade.
pub fn alert_latency(frames: &[Vec<u8>]) -> anyhow::Result<Percentiles> {
    use crate::alerts::{Channel, Condition, Engine, Repeat, Rule};
    let symbol = Symbol::new("BTCUSDT")?;
    let rules: Vec<Rule> = (0..100)
        .map(|i| {
            let when = format!(
                "price {} {}",
                if i % 2 == 0 { ">" } else { "<" },
                89_900 + i * 2
            );
            Ok(Rule {
                name: format!("level {i}"),
                symbol: Some(symbol),
                timeframe: Timeframe::M1,
                condition: Condition::parse(&when)?,
                when,
                repeat: Repeat::Rearm,
                rearm_secs: 0,
                notify: vec![Channel::Bell],
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let mut engine = Engine::new(rules, Default::default(), Vec::new(), vec![symbol], 0);
    let mut hist = crate::ingest::Histogram::default();
    let mut out = Vec::with_capacity(256);
    let mut fired = 0usize;
    let binance = binance()?;
    let mut trades = Vec::with_capacity(4);
    for f in frames {
        trades.clear();
        if binance.parse(f, &mut trades).is_err() {
            continue;
        }
        for t in trades.iter().filter(|t| t.symbol == symbol) {
            let start = Instant::now();
            engine.on_trade(t, t.time, &mut out);
            hist.record(start.elapsed().as_nanos() as u64);
            fired += out.len();
            out.clear();
        }
    }
    std::hint::black_box(fired);
    Ok(hist.percentiles())
}

/// `alerts test`: two rules per symbol replayed over a year of stored 1m candles for ten
/// symbols (`history_days`; a week hot, the rest cold), candles per second including reading
/// them from the store.
pub async fn alerts_backtest(dir: &Path, days: usize) -> anyhow::Result<f64> {
    let text = (0..10)
        .map(|i| {
            format!(
                "[[alerts]]\nname = \"rsi {i}\"\nsymbol = \"S{i}USDT\"\nwhen = \"rsi > 70\"\nrepeat = \"rearm\"\n\
                 [[alerts]]\nname = \"level {i}\"\nsymbol = \"S{i}USDT\"\nwhen = \"price > 42100\"\nrepeat = \"rearm\"\n"
            )
        })
        .collect::<String>();
    let config = crate::config::Config::parse(&text, Path::new("bench.toml"))?;
    let store = Store::open(&dir.join("alerts.db"), StoreOptions::default())?;
    let start: Millis = 1_700_006_400_000;
    let per = days * 1440;
    for i in 0..10 {
        let key = SeriesKey {
            symbol: Symbol::new(&format!("S{i}USDT"))?,
            timeframe: Timeframe::M1,
        };
        for chunk in data::candles(per, start).chunks(100_000) {
            store
                .write_klines(key, chunk.to_vec(), CandleSource::Rest, None)
                .await?;
        }
    }
    store.flush().await?;
    // As a user keeping a year of 1m candles would: a week hot, the rest cold.
    let mut storage = crate::config::StorageConfig::default();
    storage
        .retention
        .insert("1m".into(), crate::config::Retention(7, 0));
    let end = start + per as Millis * 60_000;
    crate::store::tier_all(&store, &storage, end, None).await?;
    let t = Instant::now();
    let replay = crate::alerts::backtest::replay(&config.alert_setup(), &store, start, end).await?;
    let rate = per_sec(replay.candles as usize, t.elapsed());
    std::hint::black_box(replay.firings.len());
    store.close().await?;
    Ok(rate)
}

/// Frames -> trades -> candles in all five timeframes -> persisted (flushed to SQLite).
/// Latency is frame arrival (before parsing) to candle state updated.
pub async fn ingest(
    frames: &[Vec<u8>],
    dir: &Path,
    reps: usize,
) -> anyhow::Result<(f64, Percentiles)> {
    let symbols = [Symbol::new("BTCUSDT")?, Symbol::new("ETHUSDT")?];
    let mut rates = Vec::new();
    let mut latency = Percentiles::default();
    for rep in 0..reps {
        let store = Store::open(
            &dir.join(format!("ingest-{rep}.db")),
            StoreOptions::default(),
        )?;
        let mut ingest =
            Ingest::new(store.clone(), &symbols, &Timeframe::ALL, CandleSource::Live).await?;
        let t = Instant::now();
        feed(&mut ingest, frames).await?;
        store.flush().await?;
        rates.push(per_sec(frames.len(), t.elapsed()));
        latency = ingest.snapshot().latency_us;
        store.close().await?;
    }
    Ok((median(rates), latency))
}

/// Frames through parsing and ingestion as the live loop does it: latency stamped on arrival,
/// a flush to the store every [`crate::ingest::FLUSH_EVERY`] (yielding then, so other tasks
/// and the store thread get their turn), and a final flush.
async fn feed(ingest: &mut Ingest, frames: &[Vec<u8>]) -> anyhow::Result<()> {
    let binance = binance()?;
    let mut trades = Vec::with_capacity(4);
    let mut last_flush = Instant::now();
    for f in frames {
        let received = Instant::now();
        trades.clear();
        if binance.parse(f, &mut trades).is_ok() {
            for tr in &trades {
                ingest.on_trade(tr, received);
            }
        }
        if last_flush.elapsed() >= crate::ingest::FLUSH_EVERY {
            ingest.flush(None)?;
            last_flush = Instant::now();
            tokio::task::yield_now().await;
        }
    }
    ingest.flush(None)?;
    Ok(())
}

/// Ingest latency while tiering packs a long history in the same store, so the two share
/// the machine and the store thread as they do in a running collector.
pub async fn ingest_during_tiering(
    frames: &[Vec<u8>],
    dir: &Path,
    days: usize,
) -> anyhow::Result<Percentiles> {
    let path = dir.join("tiering.db");
    let store = Store::open(&path, StoreOptions::default())?;
    let start: Millis = 1_700_006_400_000;
    for chunk in data::candles(days * 1440, start).chunks(50_000) {
        store
            .write_klines(bench_key(), chunk.to_vec(), CandleSource::Rest, None)
            .await?;
    }
    let now = start + days as Millis * 86_400_000;
    let tiering = {
        let store = store.clone();
        tokio::spawn(async move {
            // One day hot: everything older is packed while ingest runs.
            let mut storage = crate::config::StorageConfig::default();
            storage
                .retention
                .insert("1m".into(), crate::config::Retention(1, 0));
            crate::store::tier_all(&store, &storage, now, None).await
        })
    };
    let symbols = [Symbol::new("BTCUSDT")?, Symbol::new("ETHUSDT")?];
    let mut ingest =
        Ingest::new(store.clone(), &symbols, &Timeframe::ALL, CandleSource::Live).await?;
    feed(&mut ingest, frames).await?;
    let moved = tiering.await??.moved;
    anyhow::ensure!(moved > 0, "tiering had nothing to do");
    let latency = ingest.snapshot().latency_us;
    store.close().await?;
    Ok(latency)
}

const RAW_UPSERT: &str = "INSERT INTO c (series_id, open_time, open, high, low, close, volume, quote_volume, trades, closed) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (series_id, open_time) DO UPDATE SET \
    open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close, \
    volume = excluded.volume, quote_volume = excluded.quote_volume, trades = excluded.trades, closed = excluded.closed";

/// The floor: a bare prepared UPSERT loop into a candle-shaped table, 500 rows a transaction,
/// same pragmas as the store.
pub fn sqlite_raw_upsert(dir: &Path, n: usize, reps: usize) -> anyhow::Result<f64> {
    let candles = data::candles(n, 1_700_000_000_000);
    let mut runs = Vec::new();
    for rep in 0..reps {
        let mut conn = rusqlite::Connection::open(dir.join(format!("raw-{rep}.db")))?;
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(
            "CREATE TABLE c (series_id INTEGER, open_time INTEGER, open INTEGER, high INTEGER, low INTEGER, \
             close INTEGER, volume TEXT, quote_volume TEXT, trades INTEGER, closed INTEGER, \
             PRIMARY KEY (series_id, open_time)) WITHOUT ROWID",
        )?;
        let t = Instant::now();
        for chunk in candles.chunks(500) {
            let tx = conn.transaction()?;
            {
                let mut st = tx.prepare_cached(RAW_UPSERT)?;
                for c in chunk {
                    st.execute(rusqlite::params![
                        1,
                        c.open_time,
                        c.open.raw() as i64,
                        c.high.raw() as i64,
                        c.low.raw() as i64,
                        c.close.raw() as i64,
                        c.volume.to_string(),
                        c.quote_volume.map(|q| q.to_string()),
                        c.trades.map(|n| n as i64),
                        c.closed,
                    ])?;
                }
            }
            tx.commit()?;
        }
        runs.push(per_sec(n, t.elapsed()));
    }
    Ok(median(runs))
}

fn bench_key() -> SeriesKey {
    SeriesKey {
        symbol: Symbol::new("BTCUSDT").unwrap_or_else(|_| unreachable!()),
        timeframe: Timeframe::M1,
    }
}

/// Where a store measurement runs: a fresh SQLite file per name in the bench dir, or the
/// bench's scratch PostgreSQL database, emptied before each use.
#[derive(Clone, Copy)]
pub enum BenchStore<'a> {
    Sqlite(&'a Path),
    Postgres(&'a crate::store::StoreUrl),
}

impl BenchStore<'_> {
    pub fn url(self, name: &str) -> crate::store::StoreUrl {
        match self {
            BenchStore::Sqlite(dir) => {
                crate::store::StoreUrl::Sqlite(dir.join(format!("{name}.db")))
            }
            BenchStore::Postgres(url) => url.clone(),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            BenchStore::Sqlite(_) => "sqlite",
            BenchStore::Postgres(_) => "postgres",
        }
    }

    pub async fn open(self, name: &str) -> anyhow::Result<Store> {
        match self {
            BenchStore::Sqlite(dir) => Ok(Store::open(
                &dir.join(format!("{name}.db")),
                StoreOptions::default(),
            )?),
            BenchStore::Postgres(url) => {
                let store = Store::open_url(url, Path::new("."), StoreOptions::default())?;
                store.call(|b| b.clear()).await?;
                Ok(store)
            }
        }
    }
}

/// The app's own store: queued writes, batched by the store thread, until flushed.
pub async fn store_upsert(at: BenchStore<'_>, n: usize, reps: usize) -> anyhow::Result<f64> {
    let candles = data::candles(n, 1_700_000_000_000);
    let mut runs = Vec::new();
    for rep in 0..reps {
        let store = at.open(&format!("store-{rep}")).await?;
        let t = Instant::now();
        for chunk in candles.chunks(500) {
            store.upsert(bench_key(), chunk.to_vec(), CandleSource::Live)?;
        }
        store.flush().await?;
        runs.push(per_sec(n, t.elapsed()));
        store.close().await?;
    }
    Ok(median(runs))
}

/// Reads 10,000 consecutive candles out of a larger stored series, half of them from the
/// cold tier and half from the hot one.
pub async fn query_10k(at: BenchStore<'_>, reps: usize) -> anyhow::Result<f64> {
    let start: Millis = 1_700_006_400_000; // midnight UTC
    let store = at.open("query").await?;
    store
        .write_klines(
            bench_key(),
            data::candles(50_000, start),
            CandleSource::Rest,
            None,
        )
        .await?;
    let boundary = start + 25_000 * 60_000;
    let mut storage = crate::config::StorageConfig::default();
    storage
        .retention
        .insert("1m".into(), crate::config::Retention(1, 0));
    crate::store::tier_all(&store, &storage, boundary + 86_400_000, None).await?;
    let from = boundary - 5_000 * 60_000;
    let to = from + 9_999 * 60_000;
    let mut runs = Vec::new();
    for _ in 0..reps.max(5) {
        let t = Instant::now();
        let got = store.candles(bench_key(), from, to).await?;
        runs.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(got.len() == 10_000, "query returned {} candles", got.len());
    }
    store.close().await?;
    Ok(round3(median(runs)))
}

/// All four indicators over 10,000 closes.
pub fn indicators_10k(reps: usize) -> f64 {
    let closes: Vec<f64> = data::candles(10_000, 0)
        .iter()
        .map(|c| c.close.to_f64())
        .collect();
    let params = crate::indicators::IndicatorParams::default();
    // At least 21 runs, as `tools/indicator_speed.py` times TA-Lib: a run is under a
    // millisecond, and a median of five moved by half on this machine from run to run.
    let runs = (0..reps.max(21))
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(crate::indicators::compute(&closes, &params));
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    round3(median(runs))
}

/// Every indicator of SPEC §8 at its default parameters over `n` candles, in bars per second
/// (median of `reps`). The candles become f64 columns once, outside the timing, as TA-Lib's
/// callers hand it arrays, and the outputs are written into buffers kept from run to run, as
/// TA-Lib's C functions write into arrays their caller provides (a fresh 800 kB buffer a run
/// would time the kernel's page faults, not the indicator).
pub fn indicators_bars(n: usize, reps: usize) -> serde_json::Map<String, serde_json::Value> {
    use crate::indicators::spec::{DEFS, Spec};
    let table = crate::indicators::Table::of(&data::candles(n, 1_700_000_000_000));
    let cols = table.columns();
    DEFS.iter()
        .filter_map(|def| Spec::parse(def.name).ok())
        .map(|spec| {
            let mut outputs = Vec::new();
            let runs = (0..reps.max(21))
                .map(|_| {
                    let t = Instant::now();
                    crate::indicators::registry::compute_into(&spec, &cols, &mut outputs);
                    std::hint::black_box(&outputs);
                    per_sec(n, t.elapsed())
                })
                .collect();
            (spec.name(), serde_json::json!(median(runs).round()))
        })
        .collect()
}

/// Klines from a loopback server through the backfill client into the store.
pub async fn backfill(dir: &Path, n: usize, reps: usize) -> anyhow::Result<f64> {
    let start: Millis = 1_700_006_400_000;
    let candles = data::candles(n, start);
    let server = super::klines_server::start(candles, Timeframe::M1).await?;
    let to = start + n as Millis * 60_000;
    let mut runs = Vec::new();
    for rep in 0..reps {
        let store = Store::open(
            &dir.join(format!("backfill-{rep}.db")),
            StoreOptions::default(),
        )?;
        let t = Instant::now();
        let written =
            crate::history::runner::bench_backfill(&store, &server.url, bench_key(), start, to)
                .await?;
        runs.push(per_sec(written as usize, t.elapsed()));
        anyhow::ensure!(
            written as usize == n,
            "backfill wrote {written} of {n} candles"
        );
        store.close().await?;
    }
    Ok(median(runs))
}

/// News titles scored with `scorer` (the default is the headline model, which runs VADER as
/// one of its features).
pub fn sentiment(titles: &[String], reps: usize, scorer: crate::news::sentiment::Scorer) -> f64 {
    let analyzer = crate::news::sentiment::Analyzer::crypto();
    let runs = (0..reps)
        .map(|_| {
            let t = Instant::now();
            for title in titles {
                std::hint::black_box(analyzer.score_with(scorer, title));
            }
            per_sec(titles.len(), t.elapsed())
        })
        .collect();
    median(runs)
}

/// Peak resident set of this process (VmHWM), in MB.
pub fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| (kb / 1024.0 * 10.0).round() / 10.0)
        .unwrap_or(0.0)
}
