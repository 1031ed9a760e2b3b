//! A deterministic, fully populated App (three symbols, every timeframe, news, health, log)
//! for render snapshots and the `render_frame_ms` benchmark: same input, same frame.

use std::path::PathBuf;

use super::event::{
    BackfillProgress, CacheStats, DataEvent, HealthSnapshot, SourceFreshness, TierSize,
};
use super::keymap::Keymap;
use super::settings::AppSettings;
use super::state::App;
use super::theme::Theme;
use super::time::TimeZone;
use crate::config::FreshnessConfig;
use crate::domain::{
    Book, Candle, Level, Millis, NewsItem, Price, Qty, Quote, Sentiment, SeriesKey, Symbol,
    Timeframe, Trade, sum_known,
};
use crate::indicators::IndicatorParams;
use crate::net::{BreakerState, BreakerStatus};
use crate::rng::Rng;
use crate::source::StreamStatus;

/// 2023-11-15 00:00:00 UTC: the sample's "now".
pub const SAMPLE_NOW: Millis = 1_700_006_400_000;
/// Minutes of 1m history per symbol (a bit over a day, so 24 h changes exist).
const MINUTES: i64 = 1_600;

fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap_or_else(|e| unreachable!("sample symbol: {e}"))
}

/// Settings for the sample: demo mode, UTC, default keys, colours on.
pub fn sample_settings() -> AppSettings {
    AppSettings {
        symbols: vec![sym("BTCUSDT"), sym("ETHUSDT"), sym("SOLUSDT")],
        added: Vec::new(),
        timeframes: Timeframe::ALL.to_vec(),
        symbol: None,
        timeframe: Some(Timeframe::M1),
        demo: true,
        attached: false,
        attached_to: None,
        data_dir: PathBuf::from("/tmp/cryptoviz-sample"),
        keymap: Keymap::default(),
        theme: Theme::default(),
        freshness: FreshnessConfig::default(),
        tz: TimeZone::utc(),
        indicators: IndicatorParams::default(),
        chosen: crate::config::indicators::IndicatorsConfig::default().chosen(),
        history_only: Default::default(),
        composites: Vec::new(),
        basis: Vec::new(),
        alert_rules: Vec::new(),
    }
}

/// The sample App, built from `settings` (see [`sample_settings`]).
pub fn sample_app(settings: AppSettings) -> App {
    let mut app = App::new(settings, SAMPLE_NOW);
    app.take_requests();
    let starts = [
        ("BTCUSDT", 37_000.0, 1),
        ("ETHUSDT", 2_000.0, 2),
        ("SOLUSDT", 60.0, 3),
    ];
    for (name, start, seed) in starts {
        let minutes = random_walk(start, seed);
        for tf in Timeframe::ALL {
            let key = SeriesKey {
                symbol: sym(name),
                timeframe: tf,
            };
            let mut candles = aggregate(&minutes, tf);
            // Stored history, then the open candle as a live update (so the data is fresh).
            let live = candles.pop();
            app.apply(DataEvent::History {
                key,
                candles,
                complete: true,
            });
            app.apply(DataEvent::Candles(
                live.map(|c| (key, c)).into_iter().collect(),
            ));
        }
    }
    app.apply(DataEvent::Stream(
        crate::domain::Venue::Binance,
        StreamStatus::Connected,
    ));
    let last = app
        .model
        .series
        .get(&SeriesKey {
            symbol: sym("BTCUSDT"),
            timeframe: Timeframe::M1,
        })
        .and_then(|s| s.last())
        .map_or(37_000.0, |c| c.close.to_f64());
    app.apply(DataEvent::Trades(sample_trades(last)));
    app.apply(DataEvent::Book(sample_book(last)));
    app.apply(DataEvent::News(sample_news()));
    app.apply(DataEvent::Health(sample_health()));
    for (i, (level, msg)) in [
        (tracing::Level::INFO, "demo market started: 3 symbols"),
        (
            tracing::Level::INFO,
            "history loaded: BTCUSDT 1m, 1599 candles",
        ),
        (
            tracing::Level::WARN,
            "news feed slow: cointelegraph answered in 4.2 s",
        ),
        (
            tracing::Level::ERROR,
            "klines request failed: HTTP 503, retrying in 2 s",
        ),
        (tracing::Level::INFO, "backfill resumed: ETHUSDT 1m"),
    ]
    .into_iter()
    .enumerate()
    {
        app.apply(DataEvent::Log {
            level,
            message: msg.into(),
            at: SAMPLE_NOW - 60_000 + i as i64 * 10_000,
        });
    }
    app.take_requests();
    app.take_dirty();
    app.mark_dirty();
    app
}

/// BTCUSDT's last 60 trades around `last`, one every 700 ms up to [`SAMPLE_NOW`], every
/// seventh one large.
fn sample_trades(last: f64) -> Vec<Trade> {
    let mut rng = Rng::new(7);
    (0..60i64)
        .map(|i| {
            let buy = rng.unit() < 0.5;
            let large = i % 7 == 3;
            let size = if large { 2.5 } else { 0.01 + rng.unit() * 0.2 };
            Trade {
                symbol: sym("BTCUSDT"),
                id: 1_000 + i,
                price: Price::from_f64(((last + (rng.normal() * 3.0)) * 100.0).round() / 100.0),
                qty: Qty::from_f64((size * 1e5_f64).round() / 1e5),
                time: SAMPLE_NOW - (59 - i) * 700,
                micros: 0,
                count: 1,
                buyer_is_maker: !buy,
            }
        })
        .collect()
}

/// BTCUSDT's book: 20 levels a side a cent apart around `last`, sizes growing away from it.
fn sample_book(last: f64) -> Book {
    let mut rng = Rng::new(11);
    let best = (last * 100.0).round() as i64;
    let mut level = |ticks: i64, i: i64| Level {
        price: Price::from_f64(ticks as f64 / 100.0),
        qty: Qty::from_f64(((0.05 + i as f64 * 0.08 + rng.unit() * 0.3) * 1e4).round() / 1e4),
    };
    let bids = (0..20).map(|i| level(best - i * 2, i)).collect();
    let asks = (0..20).map(|i| level(best + 1 + i * 2, i)).collect();
    Book {
        symbol: sym("BTCUSDT"),
        bids,
        asks,
        time: Some(SAMPLE_NOW),
    }
}

/// One-minute candles ending at [`SAMPLE_NOW`], the newest still open.
fn random_walk(start: f64, seed: u64) -> Vec<Candle> {
    let mut rng = Rng::new(seed);
    let round = |v: f64| Price::from_f64((v * 100.0).round() / 100.0);
    let mut close = start;
    (0..MINUTES)
        .map(|i| {
            let open_time = SAMPLE_NOW - (MINUTES - 1 - i) * 60_000;
            let open = close;
            close = (open * (1.0 + rng.normal() * 0.0015)).max(0.01);
            let spread = open.max(close) * rng.unit() * 0.001;
            let high = open.max(close) + spread;
            let low = (open.min(close) - open.min(close) * rng.unit() * 0.001).max(0.01);
            let volume = Qty::from_f64((5.0 + rng.normal().abs() * 20.0).round() / 10.0);
            Candle {
                open_time,
                open: round(open),
                high: round(high),
                low: round(low),
                close: round(close),
                volume,
                quote_volume: Some(Quote::from_f64(volume.to_f64() * close)),
                trades: Some(rng.range(10, 500)),
                closed: i != MINUTES - 1,
                first_trade_id: None,
                last_trade_id: None,
            }
        })
        .collect()
}

/// Folds 1m candles into `tf` candles the way the exchange does.
fn aggregate(minutes: &[Candle], tf: Timeframe) -> Vec<Candle> {
    let mut out: Vec<Candle> = Vec::new();
    for c in minutes {
        let t = tf.bucket(c.open_time);
        match out.last_mut() {
            Some(a) if a.open_time == t => {
                a.high = a.high.max(c.high);
                a.low = a.low.min(c.low);
                a.close = c.close;
                a.volume += c.volume;
                a.quote_volume = sum_known(a.quote_volume, c.quote_volume);
                a.trades = sum_known(a.trades, c.trades);
                a.closed = c.closed && c.open_time + 60_000 == t + tf.millis();
            }
            _ => out.push(Candle {
                open_time: t,
                closed: c.closed && tf == Timeframe::M1,
                ..*c
            }),
        }
    }
    out
}

fn sample_news() -> Vec<NewsItem> {
    let item = |i: i64, source: &str, title: &str, coins: &[&str], compound: f64| NewsItem {
        id: format!("sample-{i}"),
        source: source.into(),
        feed: "https://example.com/rss".into(),
        title: title.into(),
        link: format!("https://example.com/news/{i}"),
        published_at: SAMPLE_NOW - i * 37 * 60_000,
        fetched_at: SAMPLE_NOW,
        summary: format!("{title}. A longer summary of the story, as the feed gave it."),
        symbols: coins.iter().map(|c| c.to_string()).collect(),
        title_sentiment: Sentiment {
            compound,
            pos: compound.max(0.0),
            neu: 1.0 - compound.abs(),
            neg: (-compound).max(0.0),
            label: crate::news::sentiment::Label::from_compound(compound),
            scorer: crate::news::sentiment::Scorer::Vader,
        },
        summary_sentiment: None,
    };
    vec![
        item(
            1,
            "CoinDesk",
            "Bitcoin climbs past resistance as ETF inflows grow",
            &["BTC"],
            0.44,
        ),
        item(
            2,
            "Cointelegraph",
            "Ether slips after network upgrade delay",
            &["ETH"],
            -0.36,
        ),
        item(
            3,
            "CoinDesk",
            "Regulators publish stablecoin guidance",
            &["BTC", "ETH"],
            0.0,
        ),
        item(
            5,
            "Cointelegraph",
            "Solana activity hits record high",
            &["SOL"],
            0.52,
        ),
        item(
            8,
            "CoinDesk",
            "Bitcoin miners sell holdings amid fee slump",
            &["BTC"],
            -0.27,
        ),
        item(
            13,
            "Decrypt",
            "Exchange outage halts withdrawals for an hour",
            &["BTC", "ETH", "SOL"],
            -0.48,
        ),
    ]
}

fn sample_health() -> HealthSnapshot {
    let f = FreshnessConfig::default();
    let mut h = HealthSnapshot {
        trades_per_sec: Some(42.5),
        ingest_p50_us: Some(38),
        ingest_p99_us: Some(210),
        last_message_age_ms: Some(120),
        sources: vec![
            SourceFreshness {
                name: "demo".into(),
                last_update_ms: Some(SAMPLE_NOW - 1_000),
                thresholds: f.trades,
            },
            SourceFreshness {
                name: "coindesk".into(),
                last_update_ms: Some(SAMPLE_NOW - 900_000),
                thresholds: f.news,
            },
            SourceFreshness {
                name: "cointelegraph".into(),
                last_update_ms: Some(SAMPLE_NOW - 5_000_000),
                thresholds: f.news,
            },
        ],
        caches: vec![CacheStats {
            name: "news".into(),
            hits: 95,
            misses: 5,
            entries: 1_200,
            age_ms: Some(1_000),
        }],
        store: vec![
            TierSize {
                tier: "hot".into(),
                bytes: Some(12_900_000),
                rows: Some(120_000),
            },
            TierSize {
                tier: "cold".into(),
                bytes: Some(48_200_000),
                rows: Some(900_000),
            },
        ],
        backfill: vec![BackfillProgress {
            key: SeriesKey {
                symbol: sym("ETHUSDT"),
                timeframe: Timeframe::M1,
            },
            done: 0.45,
            status: "running".into(),
        }],
        ..Default::default()
    };
    h.breakers.insert(
        "binance rest".into(),
        BreakerStatus {
            state: BreakerState::Closed,
            consecutive_failures: 0,
            times_opened: 0,
            retry_in_secs: None,
        },
    );
    h.breakers.insert(
        "cointelegraph".into(),
        BreakerStatus {
            state: BreakerState::Open,
            consecutive_failures: 5,
            times_opened: 1,
            retry_in_secs: Some(12),
        },
    );
    h
}
