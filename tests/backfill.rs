//! REST backfill against a local Binance-like klines server: exact data, rate-limit
//! discipline, retries, the breaker, malformed rows, resumption and gap repair.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cryptoviz::domain::{Candle, Price, Qty, Quote, SeriesKey, Symbol, Timeframe};
use cryptoviz::history::{KlinesClient, KlinesConfig, Plan, ProgressUpdate, Summary, backfill};
use cryptoviz::net::{BackoffPolicy, BreakerPolicy, BreakerState};
use cryptoviz::store::{CandleSource, ProgressStatus, Store, StoreOptions};
use support::klines_server::{
    Fault, KlinesServer, SourceCandle, assert_stored_exactly, canonical, generate,
};

/// 2024-01-01T00:00:00Z.
const T0: i64 = 1_704_067_200_000;
const M: i64 = 60_000;
const H: i64 = 3_600_000;

fn key(symbol: &str, tf: Timeframe) -> SeriesKey {
    SeriesKey {
        symbol: Symbol::new(symbol).unwrap(),
        timeframe: tf,
    }
}

fn config(url: &str) -> KlinesConfig {
    KlinesConfig {
        backoff: BackoffPolicy {
            initial_ms: 10,
            max_ms: 100,
            multiplier: 2.0,
            jitter: 0.1,
        },
        breaker: BreakerPolicy {
            failure_threshold: 5,
            open_secs: 1,
        },
        timeout: Duration::from_millis(1_000),
        max_wait: Duration::from_secs(5),
        ..KlinesConfig::new(url)
    }
}

fn client(url: &str) -> KlinesClient {
    KlinesClient::new(config(url)).unwrap()
}

fn open_store(dir: &tempfile::TempDir) -> Store {
    Store::open(&dir.path().join("cryptoviz.db"), StoreOptions::default()).unwrap()
}

fn plan(keys: &[SeriesKey], from: i64, to: i64) -> Plan {
    Plan {
        series: keys.to_vec(),
        from,
        to,
        threshold_ms: 120_000,
    }
}

fn to_candle(s: &SourceCandle) -> Candle {
    Candle {
        open_time: s.open_time,
        open: Price::parse(&s.open).unwrap(),
        high: Price::parse(&s.high).unwrap(),
        low: Price::parse(&s.low).unwrap(),
        close: Price::parse(&s.close).unwrap(),
        volume: Qty::parse(&s.volume).unwrap(),
        quote_volume: Some(Quote::parse(&s.quote_volume).unwrap()),
        trades: Some(s.trades),
        closed: true,
        first_trade_id: None,
        last_trade_id: None,
    }
}

async fn run(store: &Store, client: &KlinesClient, plan: Plan) -> Summary {
    backfill(store, client, plan, |_| {}).await.unwrap()
}

fn starts_of(server: &KlinesServer, interval: &str) -> Vec<i64> {
    server
        .served()
        .iter()
        .filter(|s| s.interval == interval)
        .filter_map(|s| s.start)
        .collect()
}

#[tokio::test]
async fn stores_the_source_exactly_and_reports_progress() {
    let server = KlinesServer::start();
    let m1 = server.add_series("BTCUSDT", "1m", generate(1, M, T0, 2_500));
    let h1 = server.add_series("BTCUSDT", "1h", generate(2, H, T0, 100));
    assert!(
        m1.iter().any(|c| c.volume == "0.00000000"),
        "zero-volume candles included"
    );
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let client = client(&server.url());
    let keys = [key("BTCUSDT", Timeframe::M1), key("BTCUSDT", Timeframe::H1)];
    let updates = Arc::new(Mutex::new(Vec::new()));
    let sink = updates.clone();
    let summary = backfill(&store, &client, plan(&keys, T0, T0 + 2_500 * M), move |u| {
        sink.lock().unwrap().push(u)
    })
    .await
    .unwrap();

    assert_stored_exactly(&store, keys[0], &m1).await;
    // 2,500 minutes hold 41 whole hours.
    assert_stored_exactly(&store, keys[1], &h1[..41]).await;
    assert!(summary.is_complete(), "{summary}");
    assert_eq!((summary.ranges_done, summary.candles_written), (2, 2_541));
    assert_eq!(summary.requests, 4);
    assert_eq!(
        (summary.retries, summary.rate_limited, summary.budget_waits),
        (0, 0, 0)
    );
    assert_eq!(
        starts_of(&server, "1m"),
        vec![T0, T0 + 1_000 * M, T0 + 2_000 * M]
    );
    let served = server.served();
    assert!(served.iter().all(|s| s.limit == 1_000));
    assert!(served.iter().all(|s| {
        s.user_agent
            .as_deref()
            .is_some_and(|ua| ua.starts_with("cryptoviz/"))
    }));
    assert_eq!(
        served[0].end,
        Some(T0 + 2_500 * M - 1),
        "endTime = close of the last candle"
    );
    // Weight as the server reported it (2 per request within its minute).
    assert!(summary.weight_used >= 2 && summary.weight_used % 2 == 0);

    let updates = updates.lock().unwrap();
    assert!(updates.contains(&ProgressUpdate::Planned {
        key: keys[0],
        ranges: 1,
        total: 2_500
    }));
    assert!(updates.contains(&ProgressUpdate::Advanced {
        key: keys[0],
        done: 2_500,
        total: 2_500
    }));
    let finished = updates
        .iter()
        .filter(|u| matches!(u, ProgressUpdate::Finished(o) if o.error.is_none()))
        .count();
    assert_eq!(finished, 2);
}

#[tokio::test]
async fn a_second_run_fetches_nothing() {
    let server = KlinesServer::start();
    server.add_series("ETHUSDT", "5m", generate(3, 5 * M, T0, 1_200));
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let client = client(&server.url());
    let keys = [key("ETHUSDT", Timeframe::M5)];
    let first = run(&store, &client, plan(&keys, T0, T0 + 1_200 * 5 * M)).await;
    assert_eq!((first.ranges_done, first.requests), (1, 2));
    let second = run(&store, &client, plan(&keys, T0, T0 + 1_200 * 5 * M)).await;
    assert_eq!((second.ranges_done, second.requests), (0, 0), "{second}");
    assert!(second.is_complete());
    assert_eq!(server.served().len(), 2);
}

#[tokio::test]
async fn no_request_before_retry_after_expires() {
    let server = KlinesServer::start();
    let src = server.add_series("BTCUSDT", "1m", generate(4, M, T0, 1_500));
    server.push_faults([Fault::Pass, Fault::RateLimited { retry_after: 1 }]);
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let client = client(&server.url());
    let k = key("BTCUSDT", Timeframe::M1);
    let summary = run(&store, &client, plan(&[k], T0, T0 + 1_500 * M)).await;
    assert!(summary.is_complete(), "{summary}");
    assert_stored_exactly(&store, k, &src).await;
    let served = server.served();
    assert_eq!(
        served.iter().map(|s| s.status).collect::<Vec<_>>(),
        vec![200, 429, 200]
    );
    let waited = served[2].at.duration_since(served[1].at);
    assert!(waited >= Duration::from_secs(1), "retried after {waited:?}");
    assert_eq!(
        served[2].start, served[1].start,
        "the refused page is asked again"
    );
    assert_eq!(summary.rate_limited, 1);
}

#[tokio::test]
async fn a_ban_stops_all_requests_until_it_ends_and_says_so() {
    let server = KlinesServer::start();
    let src = server.add_series("BTCUSDT", "1m", generate(5, M, T0, 600));
    server.push_faults([Fault::Banned { retry_after: 1 }]);
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let notices = Arc::new(Mutex::new(Vec::new()));
    let sink = notices.clone();
    let client = client(&server.url()).on_notice(move |n| sink.lock().unwrap().push(n.to_string()));
    let k = key("BTCUSDT", Timeframe::M1);
    let summary = run(&store, &client, plan(&[k], T0, T0 + 600 * M)).await;
    assert!(summary.is_complete(), "{summary}");
    assert_stored_exactly(&store, k, &src).await;
    let served = server.served();
    assert_eq!(served.len(), 2);
    assert!(served[1].at.duration_since(served[0].at) >= Duration::from_secs(1));
    let notices = notices.lock().unwrap();
    assert!(
        notices
            .iter()
            .any(|n| n.starts_with("banned by binance until 20")),
        "{notices:?}"
    );
    assert_eq!(client.stats().breaker.state, BreakerState::Closed);
}

#[tokio::test]
async fn a_long_ban_fails_the_range_clearly_and_holds_every_later_request() {
    let server = KlinesServer::start();
    server.add_series("BTCUSDT", "1m", generate(6, M, T0, 600));
    server.push_faults([Fault::Banned { retry_after: 600 }]);
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let client = client(&server.url());
    let k = key("BTCUSDT", Timeframe::M1);
    let started = Instant::now();
    let first = run(&store, &client, plan(&[k], T0, T0 + 600 * M)).await;
    assert_eq!(first.ranges_failed, 1);
    let err = first.failures[0].error.clone().unwrap();
    assert!(err.starts_with("banned by binance until 20"), "{err}");
    assert!(err.contains("HTTP 418"), "{err}");
    // The same client asks nothing while the ban lasts.
    let second = run(&store, &client, plan(&[k], T0, T0 + 600 * M)).await;
    assert_eq!((second.ranges_failed, second.requests), (1, 0));
    assert_eq!(server.served().len(), 1);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "did not sleep out the ban"
    );
    assert!(client.stats().banned_until.is_some());
    // The checkpoint says why.
    let rows = store.call(move |b| b.progress(k)).await.unwrap();
    assert_eq!(rows[0].status, ProgressStatus::Failed);
    assert!(
        rows[0]
            .error
            .as_deref()
            .unwrap()
            .contains("banned by binance")
    );
}

#[tokio::test]
async fn server_errors_truncated_bodies_and_timeouts_are_retried() {
    let server = KlinesServer::start();
    let src = server.add_series("BTCUSDT", "1m", generate(7, M, T0, 2_200));
    server.push_faults([
        Fault::ServerError,
        Fault::Truncated,
        Fault::Slow(Duration::from_millis(1_500)),
        Fault::Pass,
        Fault::ServerError,
        Fault::Status(503, "Service Unavailable."),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let client = client(&server.url());
    let k = key("BTCUSDT", Timeframe::M1);
    let summary = run(&store, &client, plan(&[k], T0, T0 + 2_200 * M)).await;
    assert!(summary.is_complete(), "{summary}");
    assert_stored_exactly(&store, k, &src).await;
    assert_eq!(summary.retries, 5);
    assert_eq!(summary.requests, 8);
    assert_eq!(
        starts_of(&server, "1m"),
        [vec![T0; 4], vec![T0 + 1_000 * M; 3], vec![T0 + 2_000 * M]].concat()
    );
}

#[tokio::test]
async fn malformed_rows_are_rejected_counted_never_stored_and_refetched_next_run() {
    let server = KlinesServer::start();
    let src = server.add_series("BTCUSDT", "1m", generate(8, M, T0, 1_500));
    let bad = [5usize, 17, 100, 400, 999];
    server.push_faults([Fault::Malformed(bad.to_vec())]);
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let client = client(&server.url());
    let k = key("BTCUSDT", Timeframe::M1);
    let first = run(&store, &client, plan(&[k], T0, T0 + 1_500 * M)).await;
    assert_eq!(first.rejected_rows, 5);
    assert_eq!(client.stats().rejected_rows, 5);
    assert_eq!(first.ranges_failed, 1);
    let err = first.failures[0].error.clone().unwrap();
    assert!(err.contains("5 malformed rows rejected"), "{err}");
    let stored = store.open_times(k, T0, T0 + 1_500 * M).await.unwrap();
    assert_eq!(stored.len(), 1_495);
    for i in bad {
        assert!(!stored.contains(&(T0 + i as i64 * M)), "row {i} was stored");
    }
    // The good rows are exact.
    let got = store.candles(k, T0, T0 + 1_500 * M).await.unwrap();
    for c in &got {
        let s = &src[((c.open_time - T0) / M) as usize];
        assert_eq!(c.close.to_string(), canonical(&s.close));
    }

    // The next run refetches from the page that had them, and completes.
    server.clear_log();
    let second = run(&store, &client, plan(&[k], T0, T0 + 1_500 * M)).await;
    assert!(second.is_complete(), "{second}");
    assert_eq!(starts_of(&server, "1m"), vec![T0, T0 + 1_000 * M]);
    assert_stored_exactly(&store, k, &src).await;
}

#[tokio::test]
async fn the_breaker_opens_after_repeated_failures_and_half_opens_later() {
    let server = KlinesServer::start();
    let src = server.add_series("BTCUSDT", "1m", generate(9, M, T0, 300));
    server.add_series("ETHUSDT", "1m", generate(10, M, T0, 300));
    server.set_always(Some(Fault::ServerError));
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let client = client(&server.url());
    let keys = [key("BTCUSDT", Timeframe::M1), key("ETHUSDT", Timeframe::M1)];
    let first = run(&store, &client, plan(&keys, T0, T0 + 300 * M)).await;
    assert_eq!(first.ranges_failed, 2);
    assert_eq!(server.served().len(), 5, "threshold 5, then nothing more");
    for f in &first.failures {
        let e = f.error.as_deref().unwrap();
        assert!(e.contains("circuit breaker open"), "{e}");
        assert!(e.contains("HTTP 500"), "{e}");
    }
    assert_eq!(client.stats().breaker.state, BreakerState::Open);

    // Still open: no request at all.
    let again = run(&store, &client, plan(&keys[..1], T0, T0 + 300 * M)).await;
    assert_eq!((again.ranges_failed, again.requests), (1, 0));

    // Later it half-opens; a good probe closes it and the work completes.
    server.set_always(None);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(client.stats().breaker.state, BreakerState::HalfOpen);
    let last = run(&store, &client, plan(&keys, T0, T0 + 300 * M)).await;
    assert!(last.is_complete(), "{last}");
    assert_stored_exactly(&store, keys[0], &src).await;
    let stats = client.stats();
    assert_eq!(stats.breaker.state, BreakerState::Closed);
    assert_eq!(stats.breaker.times_opened, 1);
}

#[tokio::test]
async fn the_weight_budget_pauses_until_the_next_window() {
    let server = KlinesServer::start();
    server.set_weight_window(Duration::from_secs(1));
    let src = server.add_series("BTCUSDT", "1m", generate(11, M, T0, 2_500));
    // The server says another program on this IP used almost all of our half.
    server.push_faults([Fault::UsedWeight(2_999)]);
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let client = KlinesClient::new(KlinesConfig {
        weight_window: Duration::from_secs(1),
        ..config(&server.url())
    })
    .unwrap();
    assert_eq!(client.stats().weight_limit, 3_000);
    let k = key("BTCUSDT", Timeframe::M1);
    let summary = run(&store, &client, plan(&[k], T0, T0 + 2_500 * M)).await;
    assert!(summary.is_complete(), "{summary}");
    assert_stored_exactly(&store, k, &src).await;
    assert_eq!(summary.budget_waits, 1);
    let served = server.served();
    assert_eq!(served.len(), 3);
    assert!(
        served[1].wall_ms / 1_000 > served[0].wall_ms / 1_000,
        "the second request waited for the next window: {} then {}",
        served[0].wall_ms,
        served[1].wall_ms
    );
    // Back under budget: no further pause.
    assert_eq!(served[2].wall_ms / 1_000, served[1].wall_ms / 1_000);
}

#[tokio::test]
async fn an_aborted_run_resumes_at_its_checkpoint() {
    let server = KlinesServer::start();
    let src = server.add_series("BTCUSDT", "1m", generate(12, M, T0, 5_000));
    server.set_always(Some(Fault::Slow(Duration::from_millis(150))));
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let client = Arc::new(client(&server.url()));
    let k = key("BTCUSDT", Timeframe::M1);
    let task = {
        let (store, client) = (store.clone(), client.clone());
        tokio::spawn(async move { run(&store, &client, plan(&[k], T0, T0 + 5_000 * M)).await })
    };
    // Kill the run while its third request is in flight. The next page is fetched while the
    // previous one is written, so by then the first page is surely committed, the second
    // perhaps.
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.served().len() < 3 {
        assert!(Instant::now() < deadline, "the run stalled");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    let rows = store.call(move |b| b.progress(k)).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, ProgressStatus::Running);
    let checkpoint = rows[0].position;
    assert!(
        checkpoint == T0 + 1_000 * M || checkpoint == T0 + 2_000 * M,
        "checkpoint {checkpoint}"
    );
    let committed = store.open_times(k, T0, T0 + 5_000 * M).await.unwrap();
    assert_eq!(
        committed.len() as i64,
        (checkpoint - T0) / M,
        "pages and checkpoint together"
    );

    server.set_always(None);
    server.clear_log();
    let summary = run(&store, &client, plan(&[k], T0, T0 + 5_000 * M)).await;
    assert!(summary.is_complete(), "{summary}");
    let expected: Vec<i64> = (checkpoint..T0 + 5_000 * M)
        .step_by(1_000 * M as usize)
        .collect();
    assert_eq!(
        starts_of(&server, "1m"),
        expected,
        "resumed at the checkpoint, nothing committed was fetched again"
    );
    assert_stored_exactly(&store, k, &src).await;
}

#[tokio::test]
async fn a_run_cut_short_by_a_failing_server_resumes_where_it_stopped() {
    let server = KlinesServer::start();
    let src = server.add_series("BTCUSDT", "1m", generate(13, M, T0, 4_500));
    server.push_faults([Fault::Pass, Fault::Pass]);
    server.set_always(Some(Fault::ServerError));
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let k = key("BTCUSDT", Timeframe::M1);
    let first = run(
        &store,
        &client(&server.url()),
        plan(&[k], T0, T0 + 4_500 * M),
    )
    .await;
    assert_eq!(first.ranges_failed, 1);
    let rows = store.call(move |b| b.progress(k)).await.unwrap();
    assert_eq!(
        (rows[0].status, rows[0].position),
        (ProgressStatus::Failed, T0 + 2_000 * M)
    );

    server.set_always(None);
    server.clear_log();
    let second = run(
        &store,
        &client(&server.url()),
        plan(&[k], T0, T0 + 4_500 * M),
    )
    .await;
    assert!(second.is_complete(), "{second}");
    assert_eq!(
        starts_of(&server, "1m"),
        vec![T0 + 2_000 * M, T0 + 3_000 * M, T0 + 4_000 * M]
    );
    assert_stored_exactly(&store, k, &src).await;
}

#[tokio::test]
async fn a_hole_in_the_middle_is_found_and_exactly_it_is_filled() {
    let server = KlinesServer::start();
    let src = server.add_series("BTCUSDT", "1m", generate(14, M, T0, 3_000));
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let k = key("BTCUSDT", Timeframe::M1);
    // Stored: everything but 1200..=1299; 1199 only as a live candle that never closed (the
    // stream died in that minute), with fewer trades than the exchange's.
    let mut kept: Vec<Candle> = src
        .iter()
        .enumerate()
        .filter(|(i, _)| !(1_199..1_300).contains(i))
        .map(|(_, s)| to_candle(s))
        .collect();
    kept.push(Candle {
        closed: false,
        trades: Some(1),
        first_trade_id: Some(7),
        last_trade_id: Some(7),
        ..Candle::flat(T0 + 1_199 * M, Price::parse("1").unwrap())
    });
    store
        .write_klines(k, kept, CandleSource::Import, None)
        .await
        .unwrap();

    let summary = run(
        &store,
        &client(&server.url()),
        plan(&[k], T0, T0 + 3_000 * M),
    )
    .await;
    assert!(summary.is_complete(), "{summary}");
    let served = server.served();
    assert_eq!(served.len(), 1);
    assert_eq!(served[0].start, Some(T0 + 1_199 * M));
    assert_eq!(served[0].end, Some(T0 + 1_300 * M - 1));
    assert_eq!(summary.candles_written, 101);
    assert_stored_exactly(&store, k, &src).await;
}

#[tokio::test]
async fn a_range_without_data_is_done_once_and_never_asked_again() {
    let server = KlinesServer::start();
    let src = server.add_series("BTCUSDT", "1m", generate(15, M, T0, 3_000));
    // A halt: the exchange has nothing for 500..=1499.
    server.remove_range("BTCUSDT", "1m", T0 + 500 * M, T0 + 1_499 * M);
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let client = client(&server.url());
    let k = key("BTCUSDT", Timeframe::M1);
    let first = run(&store, &client, plan(&[k], T0, T0 + 3_000 * M)).await;
    assert!(first.is_complete(), "{first}");
    assert_eq!(first.candles_written, 2_000);
    // The first page holds 0..=499 and 1500..=1999 (the exchange skips the halt), the second
    // the rest.
    assert_eq!(first.requests, 2);
    assert_eq!(starts_of(&server, "1m"), vec![T0, T0 + 2_000 * M]);
    let second = run(&store, &client, plan(&[k], T0, T0 + 3_000 * M)).await;
    assert_eq!(
        (second.requests, second.ranges_done + second.ranges_failed),
        (0, 0)
    );
    assert_stored_exactly(&store, k, &src[..500]).await;
    assert_stored_exactly(&store, k, &src[1_500..]).await;
}

#[tokio::test]
async fn a_bad_symbol_is_a_clear_error_without_retries() {
    let server = KlinesServer::start();
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let client = client(&server.url());
    let k = key("NOPEUSDT", Timeframe::H1);
    let summary = run(&store, &client, plan(&[k], T0, T0 + 10 * H)).await;
    assert_eq!(
        (summary.ranges_failed, summary.requests, summary.retries),
        (1, 1, 0)
    );
    let e = summary.failures[0].error.clone().unwrap();
    assert!(e.contains("HTTP 400"), "{e}");
    assert!(e.contains("NOPEUSDT"), "{e}");
    assert!(e.contains("/api/v3/klines?symbol=NOPEUSDT"), "{e}");
    assert!(e.contains("Invalid symbol. (code -1121)"), "{e}");
    assert_eq!(client.stats().breaker.state, BreakerState::Closed);
}

#[tokio::test]
async fn a_hanging_server_times_out_and_is_retried() {
    let server = KlinesServer::start();
    let src = server.add_series("BTCUSDT", "15m", generate(16, 15 * M, T0, 200));
    server.push_faults([Fault::Hang]);
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let client = KlinesClient::new(KlinesConfig {
        timeout: Duration::from_millis(300),
        ..config(&server.url())
    })
    .unwrap();
    let k = key("BTCUSDT", Timeframe::M15);
    let summary = run(&store, &client, plan(&[k], T0, T0 + 200 * 15 * M)).await;
    assert!(summary.is_complete(), "{summary}");
    assert_eq!((summary.retries, summary.requests), (1, 2));
    assert_stored_exactly(&store, k, &src).await;
}

#[tokio::test]
async fn a_window_into_the_future_stops_at_the_last_closed_candle() {
    let server = KlinesServer::start();
    let mut now = cryptoviz::domain::now_ms();
    if now % M > M - 2_000 {
        // Keep the minute from turning during the test.
        tokio::time::sleep(Duration::from_millis((M - now % M + 10) as u64)).await;
        now = cryptoviz::domain::now_ms();
    }
    let start = Timeframe::M1.bucket(now) - 100 * M;
    // 100 closed minutes, the open one, and (wrongly) 5 from the future.
    let src = server.add_series("BTCUSDT", "1m", generate(18, M, start, 106));
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let k = key("BTCUSDT", Timeframe::M1);
    let summary = run(
        &store,
        &client(&server.url()),
        plan(&[k], start, now + 86_400_000),
    )
    .await;
    assert!(summary.is_complete(), "{summary}");
    let served = server.served();
    assert_eq!(served.len(), 1);
    assert_eq!(
        served[0].end,
        Some(start + 100 * M - 1),
        "asks up to the last closed candle"
    );
    assert_stored_exactly(&store, k, &src[..100]).await;
    let rows = store.call(move |b| b.progress(k)).await.unwrap();
    assert_eq!(
        rows[0].range_end,
        start + 99 * M,
        "the done range ends in the past"
    );
}
