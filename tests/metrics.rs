//! `/metrics` and the health probes of the real `cryptoviz collect`, scraped over HTTP while a
//! local Binance-like server feeds it: the counters match what the server sent, the probes
//! follow the stream through an outage and a silence, and the endpoint shrugs off garbage.

mod support;

use support::faults;

use std::sync::Arc;
use std::time::Duration;

use faults::{Scrape, Spec, empty_klines, eventually, free_port, get, keep_alive, probe, raw};
use support::collector::Collector;
use support::klines_server::KlinesServer;
use support::ws_server::{Disconnect, WsServer, trade_frame};

/// 2024-01-01T00:00:00Z.
const M0: i64 = 1_704_067_200_000;

fn start(ws: &WsServer, klines: &KlinesServer, dir: &std::path::Path) -> (Collector, u16) {
    let port = free_port();
    let cfg = Spec {
        ws_url: ws.url(),
        rest_url: klines.url(),
        metrics_port: Some(port),
        idle_timeout_secs: 2,
        ..Spec::default()
    }
    .write(dir);
    (Collector::start(&cfg, dir, &faults::SAFETY_NET), port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_and_probes_match_what_the_stream_did() {
    let dir = tempfile::tempdir().unwrap();
    let klines = empty_klines();
    let ws = Arc::new(WsServer::start().await);
    let pinger = keep_alive(&ws);
    let (collector, port) = start(&ws, &klines, dir.path());
    ws.wait_accepted(1).await;
    assert!(
        eventually(Duration::from_secs(30), || probe(port, "startup").0 == 200).await,
        "startup never finished: {:?}",
        probe(port, "startup")
    );
    let (status, body) = probe(port, "startup");
    assert_eq!((status, &body["checks"]["repair"]), (200, &"done".into()));

    // 40 trades with 3 garbage frames among them.
    let garbage = [
        "{not json",
        "\u{1b}[31m\u{0}",
        r#"{"stream":"btcusdt@trade","data":{"e":"trade","t":1}}"#,
    ];
    for id in 1..=40i64 {
        ws.push(trade_frame(
            "BTCUSDT",
            id,
            "42000.5",
            "0.01",
            M0 + id * 1000,
        ));
        if id % 13 == 0 {
            ws.push(garbage[(id / 13 - 1) as usize]);
        }
    }
    let counted = eventually(Duration::from_secs(5), || {
        let s = Scrape::take(port);
        s.get("cryptoviz_stream_trades_total") == 40.0
            && s.value("cryptoviz_ingest_trades_total", &[("outcome", "applied")]) == Some(40.0)
    })
    .await;
    let s = Scrape::take(port);
    assert!(counted, "{}", s.text);
    assert_eq!(s.get("cryptoviz_stream_malformed_frames_total"), 3.0);
    assert_eq!(s.get("cryptoviz_stream_frames_total"), 43.0);
    assert_eq!(s.get("cryptoviz_stream_connected"), 1.0);
    assert_eq!(s.get("cryptoviz_stream_reconnects_total"), 0.0);
    assert!(s.get("cryptoviz_stream_last_message_age_seconds") < 2.0);
    assert!(
        s.value("cryptoviz_candles_written_total", &[("path", "live")])
            .unwrap()
            > 0.0
    );
    assert!(
        s.value(
            "cryptoviz_ingest_latency_quantile_microseconds",
            &[("quantile", "0.99")]
        )
        .unwrap()
            > 0.0
    );
    assert_eq!(s.get("cryptoviz_ingest_latency_samples_total"), 40.0);
    // The latency histogram counts every trade, and its +Inf bucket holds them all.
    assert_eq!(s.get("cryptoviz_ingest_latency_seconds_count"), 40.0);
    assert_eq!(
        s.value("cryptoviz_ingest_latency_seconds_bucket", &[("le", "+Inf")]),
        Some(40.0),
        "{}",
        s.text
            .lines()
            .filter(|l| l.contains("latency_seconds"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(s.get("cryptoviz_repair_runs_total") >= 1.0);
    assert!(
        s.value("cryptoviz_store_candles", &[("tier", "hot")])
            .is_some()
    );
    assert!(
        s.value("cryptoviz_store_size_bytes", &[("tier", "file")])
            .unwrap()
            > 0.0
    );
    assert_eq!(s.get("cryptoviz_store_writable"), 1.0);
    for family in [
        "cryptoviz_stream_frames",
        "cryptoviz_stream_trades",
        "cryptoviz_stream_malformed_frames",
        "cryptoviz_stream_derivatives",
        "cryptoviz_ingest_liquidations_dropped",
        "cryptoviz_stream_reconnects",
        "cryptoviz_stream_connected",
        "cryptoviz_stream_last_message_age_seconds",
        "cryptoviz_ingest_trades",
        "cryptoviz_ingest_latency_quantile_microseconds",
        "cryptoviz_ingest_latency_seconds",
        "cryptoviz_candles_written",
        "cryptoviz_store_rows_committed",
        "cryptoviz_store_failed_commits",
        "cryptoviz_store_pending_rows",
        "cryptoviz_store_candles",
        "cryptoviz_store_size_bytes",
        "cryptoviz_repair_runs",
        "cryptoviz_klines_notices",
    ] {
        assert!(
            s.families().iter().any(|f| f == family),
            "{family} missing:\n{}",
            s.text
        );
    }
    assert!(s.text.ends_with("# EOF\n"));

    // Rows reach the database and the counter says so.
    assert!(
        eventually(Duration::from_secs(3), || Scrape::take(port)
            .get("cryptoviz_store_rows_committed_total")
            > 0.0)
        .await
    );

    let (status, body) = probe(port, "ready");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ready");
    assert_eq!(body["checks"]["store"], "ok");
    assert_eq!(body["checks"]["stream"], "connected");
    assert!(body["checks"]["last_message_age_secs"].as_u64().unwrap() <= 1);
    let (status, body) = probe(port, "live");
    assert_eq!((status, &body["status"]), (200, &"alive".into()));

    // A forced disconnect is counted and the stream comes back.
    ws.disconnect_all(Disconnect::Drop);
    ws.wait_accepted(2).await;
    assert!(
        eventually(Duration::from_secs(5), || {
            let s = Scrape::take(port);
            s.get("cryptoviz_stream_reconnects_total") >= 1.0
                && s.get("cryptoviz_stream_connected") == 1.0
        })
        .await
    );

    // The endpoint itself: unknown paths, other methods, garbage, oversized requests.
    assert_eq!(get(port, "/nope").0, 404);
    assert_eq!(get(port, "/health").0, 404);
    let (status, _) = faults::split(&raw(
        port,
        b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
    ));
    assert_eq!(status, 405);
    let (status, _) = faults::split(&raw(port, b"\x00\x01\x02 garbage\r\n\r\n"));
    assert_eq!(status, 400);
    let huge = format!(
        "GET /metrics HTTP/1.1\r\nX-Pad: {}\r\n\r\n",
        "a".repeat(20_000)
    );
    assert_eq!(faults::split(&raw(port, huge.as_bytes())).0, 431);
    assert_eq!(raw(port, b""), "", "a silent client gets no answer");
    let head = raw(port, b"HEAD /health/live HTTP/1.1\r\n\r\n");
    assert!(
        head.starts_with("HTTP/1.1 200 OK\r\n") && head.ends_with("\r\n\r\n"),
        "{head}"
    );
    // Still serving after all that.
    assert_eq!(probe(port, "live").0, 200);

    pinger.abort();
    collector.signal("TERM");
    let (status, stderr) = collector.wait(Duration::from_secs(30));
    assert!(status.success(), "{stderr}");
    faults::assert_no_panic(&stderr, dir.path());
    assert_eq!(
        get(port, "/health/live").0,
        0,
        "the endpoint closes with the collector"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_follows_an_outage_and_a_silence() {
    let dir = tempfile::tempdir().unwrap();
    let klines = empty_klines();
    let ws = Arc::new(WsServer::start().await);
    let pinger = keep_alive(&ws);
    let (collector, port) = start(&ws, &klines, dir.path());
    ws.wait_accepted(1).await;
    ws.push(trade_frame("BTCUSDT", 1, "42000", "1", M0));
    assert!(eventually(Duration::from_secs(30), || probe(port, "ready").0 == 200).await);

    // Outage: connections dropped and refused for three seconds.
    ws.refuse_for(Duration::from_secs(3));
    ws.disconnect_all(Disconnect::Drop);
    let mut seen = serde_json::Value::Null;
    assert!(
        eventually(Duration::from_secs(3), || {
            let (status, body) = probe(port, "ready");
            seen = body;
            status == 503
        })
        .await,
        "still ready during the outage: {seen}"
    );
    assert_eq!(seen["status"], "not_ready");
    assert_eq!(seen["checks"]["stream"], "disconnected");
    let reasons = seen["reasons"].to_string();
    assert!(reasons.contains("stream: not connected"), "{reasons}");
    // Liveness is not readiness: the process is fine.
    assert_eq!(probe(port, "live").0, 200);
    assert!(
        eventually(Duration::from_secs(2), || {
            Scrape::take(port).get("cryptoviz_stream_connected") == 0.0
        })
        .await
    );
    assert!(
        eventually(Duration::from_secs(3), || ws.refused() > 0).await,
        "the collector kept trying during the outage"
    );

    // Back after the outage: reconnected, and ready again once trades flow (ready means
    // trades accepted, not only a connection).
    ws.wait_accepted(2).await;
    let mut id = 2;
    assert!(
        eventually(Duration::from_secs(8), || {
            ws.push(trade_frame("BTCUSDT", id, "42000", "1", M0 + id));
            id += 1;
            probe(port, "ready").0 == 200
        })
        .await,
        "not ready after the outage: {:?}",
        probe(port, "ready")
    );
    assert!(Scrape::take(port).get("cryptoviz_stream_reconnects_total") >= 1.0);

    // Silence: the server keeps the connection but says nothing (pings included).
    ws.set_silent(true);
    let mut seen = serde_json::Value::Null;
    assert!(
        eventually(Duration::from_secs(6), || {
            let (status, body) = probe(port, "ready");
            seen = body;
            status == 503
        })
        .await,
        "still ready while the server is silent"
    );
    let reasons = seen["reasons"].to_string();
    assert!(
        reasons.contains("stream: last trade accepted")
            || reasons.contains("stream: not connected"),
        "{seen}"
    );
    // Stays not ready through idle-timeout reconnects to the silent server.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (status, body) = probe(port, "ready");
    assert_eq!(status, 503, "{body}");
    let s = Scrape::take(port);
    assert!(
        s.get("cryptoviz_stream_last_message_age_seconds") >= 3.0,
        "{}",
        s.text
    );

    ws.set_silent(false);
    assert!(
        eventually(Duration::from_secs(8), || {
            ws.push(trade_frame("BTCUSDT", id, "42000", "1", M0 + id));
            id += 1;
            probe(port, "ready").0 == 200
        })
        .await,
        "not ready after the silence: {:?}",
        probe(port, "ready")
    );

    pinger.abort();
    collector.signal("TERM");
    let (status, stderr) = collector.wait(Duration::from_secs(30));
    assert!(status.success(), "{stderr}");
    faults::assert_no_panic(&stderr, dir.path());
}
