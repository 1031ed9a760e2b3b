//! Hot and cold tiers: tiering moves and deletes by the retention rules, and one read API
//! returns exactly the same candles wherever they live.

use cryptoviz::config::{Retention, StorageConfig};
use cryptoviz::domain::{Candle, Millis, Price, Qty, Quote, SeriesKey, Symbol, Timeframe};
use cryptoviz::store::{CandleSource, Store, StoreOptions, tier_all};

const DAY: Millis = 86_400_000;
const START: Millis = 1_704_067_200_000; // 2024-01-01

fn key() -> SeriesKey {
    SeriesKey {
        symbol: Symbol::new("BTCUSDT").unwrap(),
        timeframe: Timeframe::M1,
    }
}

fn series(n: usize) -> Vec<Candle> {
    let mut close = 4_200_000_000_000i128;
    (0..n)
        .map(|i| {
            let open = close;
            close += (i as i128 * 7919 % 2001 - 1000) * 1_000_000;
            let vol = (i as i128 * 104_729) % 1_000_000_000;
            Candle {
                open_time: START + i as Millis * 60_000,
                open: Price::from_raw(open),
                high: Price::from_raw(open.max(close) + 5_000_000),
                low: Price::from_raw(open.min(close) - 5_000_000),
                close: Price::from_raw(close),
                volume: Qty::from_raw(vol),
                // Some candles without the values a venue may not give: absent survives
                // the hot rows, the cold chunks and the move between them.
                quote_volume: (i % 7 != 3).then(|| Quote::from_raw(vol * close)),
                trades: (i % 5 != 2).then_some((i % 300) as u64),
                closed: true,
                first_trade_id: None,
                last_trade_id: None,
            }
        })
        .collect()
}

fn storage(hot: u32, cold: u32) -> StorageConfig {
    let mut s = StorageConfig::default();
    s.retention.insert("1m".into(), Retention(hot, cold));
    s
}

async fn filled_store(dir: &std::path::Path, candles: &[Candle]) -> Store {
    let store = Store::open(&dir.join("t.db"), StoreOptions::default()).unwrap();
    for chunk in candles.chunks(5000) {
        store
            .write_klines(key(), chunk.to_vec(), CandleSource::Rest, None)
            .await
            .unwrap();
    }
    store
}

#[tokio::test]
async fn tiering_moves_old_candles_and_reads_span_both_tiers() {
    let dir = tempfile::tempdir().unwrap();
    let all = series(20 * 1440);
    let store = filled_store(dir.path(), &all).await;
    let now = START + 20 * DAY;

    let sum = tier_all(&store, &storage(7, 30), now, None).await.unwrap();
    assert_eq!(sum.moved, 13 * 1440, "{sum:?}");
    assert_eq!(sum.deleted, 0);
    let stats = store.stats().await.unwrap();
    assert_eq!(
        (stats.hot_candles, stats.cold_candles),
        (7 * 1440, 13 * 1440)
    );

    // Everything reads back exactly, in one call, across the tier boundary.
    assert_eq!(
        store
            .candles(key(), Millis::MIN, Millis::MAX)
            .await
            .unwrap(),
        all
    );
    let from = START + 10 * DAY;
    let to = from + 9_999 * 60_000;
    assert_eq!(
        store.candles(key(), from, to).await.unwrap(),
        all[10 * 1440..10 * 1440 + 10_000]
    );
    // Paging backwards from the hot tier into the cold one.
    let before = START + 13 * DAY + 100 * 60_000;
    let page = store.candles_before(key(), before, 3000).await.unwrap();
    let end = 13 * 1440 + 100;
    assert_eq!(page, all[end + 1 - 3000..=end]);
    let times = store
        .open_times(key(), Millis::MIN, Millis::MAX)
        .await
        .unwrap();
    assert_eq!(times, all.iter().map(|c| c.open_time).collect::<Vec<_>>());

    // The cold tier is cheaper per candle.
    let hot_per = stats.hot_bytes.unwrap() as f64 / stats.hot_candles as f64;
    let cold_per = stats.cold_bytes.unwrap() as f64 / stats.cold_candles as f64;
    eprintln!("bytes per candle: hot {hot_per:.1}, cold {cold_per:.1}");
    assert!(
        cold_per * 2.0 < hot_per,
        "cold {cold_per:.1} B vs hot {hot_per:.1} B"
    );
    // Running again finds nothing to do.
    let again = tier_all(&store, &storage(7, 30), now, None).await.unwrap();
    assert_eq!((again.moved, again.deleted), (0, 0));
}

#[tokio::test]
async fn candles_past_the_cold_window_are_deleted_and_zero_means_forever() {
    let dir = tempfile::tempdir().unwrap();
    let all = series(20 * 1440);
    let store = filled_store(dir.path(), &all).await;
    let now = START + 20 * DAY;

    // 0 hot days: all stays hot, nothing moves.
    let s = tier_all(&store, &storage(0, 0), now, None).await.unwrap();
    assert_eq!((s.moved, s.deleted), (0, 0));

    // 5 days hot, 10 cold: the first 5 days go, the next 10 are cold.
    tier_all(&store, &storage(5, 10), now, None).await.unwrap();
    let s = tier_all(&store, &storage(5, 10), now, None).await.unwrap();
    assert_eq!((s.moved, s.deleted), (0, 0));
    let kept = store
        .candles(key(), Millis::MIN, Millis::MAX)
        .await
        .unwrap();
    assert_eq!(kept, all[5 * 1440..]);
    let stats = store.stats().await.unwrap();
    assert_eq!(
        (stats.hot_candles, stats.cold_candles),
        (5 * 1440, 10 * 1440)
    );
}

#[tokio::test]
async fn late_writes_into_the_cold_range_win_and_merge() {
    let dir = tempfile::tempdir().unwrap();
    let all = series(10 * 1440);
    let store = filled_store(dir.path(), &all).await;
    let now = START + 10 * DAY;
    tier_all(&store, &storage(2, 0), now, None).await.unwrap();

    let mut fixed = all[100];
    fixed.close = Price::from_raw(fixed.close.raw() + 1);
    fixed.trades = Some(fixed.trades.unwrap_or(0) + 1);
    store
        .write_klines(key(), vec![fixed], CandleSource::Rest, None)
        .await
        .unwrap();
    let mut want = all.clone();
    want[100] = fixed;
    assert_eq!(
        store
            .candles(key(), Millis::MIN, Millis::MAX)
            .await
            .unwrap(),
        want
    );
    tier_all(&store, &storage(2, 0), now, None).await.unwrap();
    assert_eq!(
        store
            .candles(key(), Millis::MIN, Millis::MAX)
            .await
            .unwrap(),
        want
    );
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.cold_candles, 8 * 1440);
    assert_eq!(store.latest(key()).await.unwrap(), all.last().copied());
}

/// A database that refuses every write keeps candles for retry up to a bound, then drops the
/// oldest and counts them, instead of growing until the process dies.
#[tokio::test]
async fn writes_held_for_a_failing_database_are_bounded() {
    use cryptoviz::domain::{Candle, Price, SeriesKey, Symbol, Timeframe};
    use cryptoviz::store::{CandleSource, MAX_PENDING_ROWS, Store, StoreOptions};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cryptoviz.db");
    Store::open(&path, StoreOptions::default())
        .unwrap()
        .close()
        .await
        .unwrap();
    // Opened read-only: every commit fails, as on a read-only disk.
    let store = Store::open_read_only(&path, StoreOptions::default()).unwrap();
    let key = SeriesKey {
        symbol: Symbol::new("BTCUSDT").unwrap(),
        timeframe: Timeframe::M1,
    };
    let n = MAX_PENDING_ROWS + 20_000;
    for chunk in (0..n).collect::<Vec<_>>().chunks(10_000) {
        let candles = chunk
            .iter()
            .map(|&i| Candle::flat(1_704_067_200_000 + i as i64 * 60_000, Price::from_int(100)))
            .collect();
        store.upsert(key, candles, CandleSource::Live).unwrap();
    }
    assert!(store.flush().await.is_err(), "the database refuses writes");
    let w = store.write_stats();
    assert!(w.failing());
    assert!(w.pending <= MAX_PENDING_ROWS, "{w:?}");
    assert!(w.shed_rows >= 20_000, "{w:?}");
    assert_eq!(
        w.pending as u64 + w.shed_rows,
        n as u64,
        "every row is held or counted"
    );
}
