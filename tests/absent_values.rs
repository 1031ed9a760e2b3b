//! A value a venue does not give is stored absent, and a store written before that could be
//! said (when such values were written as 0) is mended on upgrade, in its hot rows and its cold
//! chunks, on SQLite and PostgreSQL alike.

mod support;

use cryptoviz::config::{Retention, StorageConfig};
use cryptoviz::domain::{Candle, Millis, Price, Qty, Quote, SeriesKey, Symbol, Timeframe};
use cryptoviz::store::{CandleSource, Store, StoreOptions, StoreUrl, tier_all};
use support::postgres::TestDb;

const START: Millis = 1_704_067_200_000; // 2024-01-01
const DAY: Millis = 86_400_000;
const MINUTES: usize = 3 * 1440;

fn key(symbol: &str) -> SeriesKey {
    SeriesKey {
        symbol: Symbol::new(symbol).unwrap(),
        timeframe: Timeframe::M1,
    }
}

/// Three days of minutes as the previous release stored every venue's klines: 0 for what
/// the venue did not say. Every tenth minute had no trades at all (a real zero).
fn as_stored_before(trades: u64) -> Vec<Candle> {
    (0..MINUTES)
        .map(|i| {
            let quiet = i % 10 == 0;
            Candle {
                volume: if quiet { Qty::ZERO } else { Qty::from_int(2) },
                quote_volume: Some(Quote::ZERO),
                trades: Some(if quiet { 0 } else { trades }),
                ..Candle::flat(START + i as Millis * 60_000, Price::from_int(100))
            }
        })
        .collect()
}

/// The (quote volume, trades) each minute should read after the upgrade.
fn fields(candles: &[Candle]) -> Vec<(Option<Quote>, Option<u64>)> {
    candles.iter().map(|c| (c.quote_volume, c.trades)).collect()
}

fn expected(
    quiet_or_said: impl Fn(bool) -> (Option<Quote>, Option<u64>),
) -> Vec<(Option<Quote>, Option<u64>)> {
    (0..MINUTES).map(|i| quiet_or_said(i % 10 == 0)).collect()
}

/// Writes the old-style rows of four venues, moves the first two days into cold chunks, then
/// has `downgrade` put the schema version back to the previous release's.
async fn old_store(url: &StoreUrl, dir: &std::path::Path) {
    let store = Store::open_url(url, dir, StoreOptions::default()).unwrap();
    for (symbol, trades) in [
        ("coinbase:BTC-USD", 0),
        ("kraken:BTC/USD", 7),
        ("bybit:BTCUSDT", 0),
        ("binance:BTCUSDT", 5),
    ] {
        store
            .write_klines(
                key(symbol),
                as_stored_before(trades),
                CandleSource::Rest,
                None,
            )
            .await
            .unwrap();
    }
    let mut storage = StorageConfig::default();
    storage.retention.insert("1m".into(), Retention(1, 30));
    let moved = tier_all(&store, &storage, START + 3 * DAY, None)
        .await
        .unwrap();
    assert_eq!(moved.moved, 4 * 2 * 1440, "{moved:?}");
    store.close().await.unwrap();
}

async fn assert_mended(url: &StoreUrl, dir: &std::path::Path, name: &str) {
    let store = Store::open_url(url, dir, StoreOptions::default()).unwrap();
    let read = |symbol: &'static str| {
        let store = &store;
        async move {
            let got = store
                .candles(key(symbol), Millis::MIN, Millis::MAX)
                .await
                .unwrap();
            assert_eq!(got.len(), MINUTES, "{name} {symbol}");
            fields(&got)
        }
    };
    let zero = (Some(Quote::ZERO), Some(0));
    // Coinbase says neither: both absent where it traded; a quiet minute is a real zero.
    assert_eq!(
        read("coinbase:BTC-USD").await,
        expected(|quiet| if quiet { zero } else { (None, None) }),
        "{name} coinbase"
    );
    // Kraken counts trades but gives no quote volume.
    assert_eq!(
        read("kraken:BTC/USD").await,
        expected(|quiet| if quiet { zero } else { (None, Some(7)) }),
        "{name} kraken"
    );
    // Bybit gives a turnover (stored 0 here, and kept: it is its own word) but no count.
    assert_eq!(
        read("bybit:BTCUSDT").await,
        expected(|quiet| if quiet {
            zero
        } else {
            (Some(Quote::ZERO), None)
        }),
        "{name} bybit"
    );
    // Binance gives both: nothing of it changes.
    assert_eq!(
        read("binance:BTCUSDT").await,
        expected(|quiet| if quiet {
            zero
        } else {
            (Some(Quote::ZERO), Some(5))
        }),
        "{name} binance"
    );
    store.close().await.unwrap();
}

#[tokio::test]
async fn a_sqlite_store_that_wrote_zeros_for_silence_is_mended_on_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cryptoviz.db");
    let url = StoreUrl::parse(&format!("sqlite:{}", path.display())).unwrap();
    old_store(&url, dir.path()).await;
    // Back to the previous release's schema version: the upgrade runs again over old rows.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 8).unwrap();
    drop(conn);
    assert_mended(&url, dir.path(), "sqlite").await;
}

#[tokio::test]
async fn a_postgres_store_that_wrote_zeros_for_silence_is_mended_on_upgrade() {
    let Some(db) = TestDb::create("absent_values") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = StoreUrl::parse(&db.url).unwrap();
    old_store(&url, dir.path()).await;
    let admin = db.url.clone();
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
        c.execute("DELETE FROM cryptoviz_schema WHERE version >= 4", &[])
            .unwrap();
    })
    .join()
    .unwrap();
    assert_mended(&url, dir.path(), "postgres").await;
}
