//! The live Binance client against a real WebSocket server on 127.0.0.1 that misbehaves the way
//! Binance can: garbage, pings, announced shutdowns, dropped connections, silence, outages.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use cryptoviz::domain::Venue;
use cryptoviz::domain::{Price, Qty, Symbol, Trade};
use cryptoviz::exchange::binance::Binance;
use cryptoviz::exchange::{Books, StreamSettings, StreamStats, run};
use cryptoviz::net::{BackoffPolicy, BreakerPolicy};
use cryptoviz::source::{MarketEvent, StreamStatus};
use support::ws_server::{Disconnect, WsServer, trade_frame};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

const WAIT: Duration = Duration::from_secs(5);

struct Client {
    rx: mpsc::Receiver<MarketEvent>,
    stop: watch::Sender<bool>,
    stats: Arc<StreamStats>,
    task: JoinHandle<()>,
}

fn settings(server: &WsServer) -> StreamSettings {
    StreamSettings {
        venue: Venue::Binance,
        // A trailing slash on the base must not double up in the path.
        ws_url: format!("{}/", server.url()),
        rest_url: "http://127.0.0.1:9".into(),
        symbols: vec![sym("BTCUSDT"), sym("ETHUSDT")],
        books: Books::Off,
        backoff: BackoffPolicy {
            initial_ms: 20,
            max_ms: 200,
            multiplier: 2.0,
            jitter: 0.0,
        },
        breaker: BreakerPolicy {
            failure_threshold: 100,
            open_secs: 1,
        },
        idle_timeout: Duration::from_secs(3),
        max_lifetime: Duration::from_secs(3600),
        stable_after: Duration::ZERO,
    }
}

fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

fn start(settings: StreamSettings) -> Client {
    let (tx, rx) = mpsc::channel(256);
    let (stop, stop_rx) = watch::channel(false);
    let stats = Arc::new(StreamStats::new());
    let task = tokio::spawn(run(&Binance, settings, tx, stop_rx, stats.clone()));
    Client {
        rx,
        stop,
        stats,
        task,
    }
}

impl Client {
    async fn next(&mut self) -> MarketEvent {
        match tokio::time::timeout(WAIT, self.rx.recv()).await {
            Ok(Some(ev)) => ev,
            Ok(None) => panic!("the client closed its channel"),
            Err(_) => panic!("no event within {WAIT:?}"),
        }
    }

    /// Skips events until one matches; panics (listing what was skipped) after 5 s.
    async fn until(&mut self, what: &str, pred: impl Fn(&MarketEvent) -> bool) -> MarketEvent {
        let deadline = Instant::now() + WAIT;
        let mut skipped = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.rx.recv()).await {
                Ok(Some(ev)) if pred(&ev) => return ev,
                Ok(Some(ev)) => skipped.push(ev),
                _ => panic!("no {what} within {WAIT:?}; saw {skipped:?}"),
            }
        }
    }

    async fn connected(&mut self) {
        self.until("Connected", |e| {
            matches!(e, MarketEvent::Status(_, StreamStatus::Connected))
        })
        .await;
    }

    async fn trade(&mut self) -> (Trade, Instant) {
        match self
            .until("a trade", |e| matches!(e, MarketEvent::Trade(..)))
            .await
        {
            MarketEvent::Trade(t, at) => (t, at),
            _ => unreachable!(),
        }
    }

    /// The next `Reconnecting`: (attempt, delay, reason).
    async fn reconnecting(&mut self) -> (u32, Duration, String) {
        match self
            .until("Reconnecting", |e| {
                matches!(e, MarketEvent::Status(_, StreamStatus::Reconnecting { .. }))
            })
            .await
        {
            MarketEvent::Status(
                _,
                StreamStatus::Reconnecting {
                    attempt,
                    delay,
                    reason,
                },
            ) => (attempt, delay, reason),
            _ => unreachable!(),
        }
    }

    /// Requests shutdown and returns how long `Stopped` took; the task must end too.
    async fn shut_down(mut self) -> Duration {
        let asked = Instant::now();
        self.stop.send(true).unwrap();
        self.until("Stopped", |e| {
            matches!(e, MarketEvent::Status(_, StreamStatus::Stopped))
        })
        .await;
        let took = asked.elapsed();
        tokio::time::timeout(WAIT, self.task)
            .await
            .expect("run() returns after Stopped")
            .unwrap();
        took
    }
}

async fn connected_pair() -> (WsServer, Client) {
    let server = WsServer::start().await;
    let mut client = start(settings(&server));
    client.connected().await;
    server.wait_accepted(1).await;
    (server, client)
}

#[tokio::test]
async fn subscribes_to_one_combined_stream_and_reports_connecting_first() {
    let server = WsServer::start().await;
    let mut client = start(settings(&server));
    assert_eq!(
        client.next().await,
        MarketEvent::Status(Venue::Binance, StreamStatus::Connecting { attempt: 0 })
    );
    assert_eq!(
        client.next().await,
        MarketEvent::Status(Venue::Binance, StreamStatus::Connected)
    );
    server.wait_accepted(1).await;
    assert_eq!(
        server.requests(),
        vec!["/stream?streams=btcusdt@trade/ethusdt@trade".to_string()]
    );
    assert!(client.stats.snapshot().connected);
    assert!(client.shut_down().await < Duration::from_secs(1));
}

#[tokio::test]
async fn trades_arrive_exactly_and_are_stamped_on_arrival() {
    let (server, mut client) = connected_pair().await;
    let before = Instant::now();
    server.push(trade_frame(
        "BTCUSDT",
        3273582372,
        "90123.45678901",
        "0.00012",
        1_700_000_000_123,
    ));
    server.push(trade_frame("ethusdt", 7, "3000", "1.5", 1_700_000_000_456));
    let (btc, at) = client.trade().await;
    assert_eq!(
        btc,
        Trade {
            symbol: sym("BTCUSDT"),
            id: 3273582372,
            price: Price::parse("90123.45678901").unwrap(),
            qty: Qty::parse("0.00012").unwrap(),
            time: 1_700_000_000_123,
            count: 1,
            micros: 0,
            buyer_is_maker: true,
        }
    );
    assert!(at >= before && at <= Instant::now());
    let (eth, _) = client.trade().await;
    assert_eq!(
        (
            eth.symbol,
            eth.id,
            eth.price.to_string(),
            eth.qty.to_string()
        ),
        (sym("ETHUSDT"), 7, "3000".to_string(), "1.5".to_string())
    );
    assert!(!eth.buyer_is_maker);
    let snap = client.stats.snapshot();
    assert_eq!((snap.frames, snap.trades, snap.malformed), (2, 2, 0));
    assert!(snap.last_message_ms.is_some());
    client.shut_down().await;
}

#[tokio::test]
async fn malformed_frames_are_reported_and_never_fatal() {
    let (server, mut client) = connected_pair().await;
    server.push("this is not json");
    server.push(trade_frame("BTCUSDT", 1, "12e3", "1", 1));
    server.push(trade_frame("SOLUSDT", 2, "150", "1", 2));
    server.push(r#"{"stream":"btcusdt@trade","data":{"e":"trade","s":"BTCUSDT"}}"#);
    server.push(trade_frame("BTCUSDT", 3, "90000", "1", 3));
    let mut reasons = Vec::new();
    for _ in 0..4 {
        match client.next().await {
            MarketEvent::Malformed(reason) => reasons.push(reason),
            other => panic!("expected Malformed, got {other:?}"),
        }
    }
    assert!(reasons[0].starts_with("invalid JSON"), "{reasons:?}");
    assert_eq!(reasons[1], r#"bad price "12e3": not an exact decimal"#);
    assert_eq!(reasons[2], "trade for unsubscribed symbol binance:SOLUSDT");
    assert!(reasons[3].contains("missing field"), "{reasons:?}");
    let (t, _) = client.trade().await;
    assert_eq!(t.id, 3, "the connection survives garbage");
    let snap = client.stats.snapshot();
    assert_eq!(
        (snap.frames, snap.trades, snap.malformed, snap.reconnects),
        (5, 1, 4, 0)
    );
    assert_eq!(server.accepted(), 1);
    client.shut_down().await;
}

#[tokio::test]
async fn zero_price_and_quantity_trades_are_forwarded_as_void() {
    let (server, mut client) = connected_pair().await;
    server.push(trade_frame("BTCUSDT", 10, "0", "0.5", 1));
    server.push(trade_frame("BTCUSDT", 11, "90000", "0", 2));
    assert!(client.trade().await.0.is_void());
    assert!(client.trade().await.0.is_void());
    client.shut_down().await;
}

#[tokio::test]
async fn pings_are_answered_with_the_same_payload() {
    let (server, client) = connected_pair().await;
    server.ping(b"1700000000000");
    let took = server.wait_pong(b"1700000000000").await;
    assert!(took < Duration::from_secs(1), "pong took {took:?}");
    server.ping(&[0, 255, 7]);
    server.wait_pong(&[0, 255, 7]).await;
    // Pings alone keep the connection alive and are not data.
    assert_eq!(client.stats.snapshot().frames, 0);
    client.shut_down().await;
}

#[tokio::test]
async fn forced_disconnects_reconnect_and_backoff_resets_after_data() {
    let (server, mut client) = connected_pair().await;
    server.push(trade_frame("BTCUSDT", 1, "90000", "1", 1));
    client.trade().await;

    server.disconnect_all(Disconnect::Close);
    let (attempt, delay, reason) = client.reconnecting().await;
    assert_eq!(attempt, 1);
    assert_eq!(delay, Duration::from_millis(20));
    assert!(reason.contains("closed"), "{reason}");
    assert_eq!(
        client.next().await,
        MarketEvent::Status(Venue::Binance, StreamStatus::Connecting { attempt: 1 })
    );
    client.connected().await;
    server.wait_accepted(2).await;

    // No data on this connection: the next loss backs off further.
    server.disconnect_all(Disconnect::Drop);
    let (attempt, delay, _) = client.reconnecting().await;
    assert_eq!((attempt, delay), (2, Duration::from_millis(40)));
    client.connected().await;
    server.wait_accepted(3).await;

    server.push(trade_frame("BTCUSDT", 2, "90001", "1", 2));
    assert_eq!(client.trade().await.0.id, 2);
    server.disconnect_all(Disconnect::Drop);
    let (attempt, _, _) = client.reconnecting().await;
    assert_eq!(
        attempt, 1,
        "a connection that delivered data resets the backoff"
    );
    client.connected().await;
    server.wait_accepted(4).await;
    server.push(trade_frame("BTCUSDT", 3, "90002", "1", 3));
    assert_eq!(client.trade().await.0.id, 3);
    assert_eq!(client.stats.snapshot().reconnects, 3);
    client.shut_down().await;
}

#[tokio::test]
async fn short_lived_connections_keep_backing_off_even_with_data() {
    let server = WsServer::start().await;
    let mut client = start(StreamSettings {
        stable_after: Duration::from_secs(60),
        ..settings(&server)
    });
    client.connected().await;
    for (n, want) in [(1, 1), (2, 2), (3, 3)] {
        server.wait_accepted(n).await;
        server.push(trade_frame("BTCUSDT", n as i64, "90000", "1", n as i64));
        client.trade().await;
        server.disconnect_all(Disconnect::Drop);
        let (attempt, delay, _) = client.reconnecting().await;
        assert_eq!(
            attempt, want,
            "a server dropping after each trade cannot reset the backoff"
        );
        assert_eq!(delay, Duration::from_millis(20 << (want - 1)));
        client.connected().await;
    }
    client.shut_down().await;
}

#[tokio::test]
async fn garbage_on_the_socket_is_a_lost_connection_not_a_crash() {
    let (server, mut client) = connected_pair().await;
    server.push_raw(&[0xff, 0x7f, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    let (_, _, reason) = client.reconnecting().await;
    assert!(reason.starts_with("read failed"), "{reason}");
    client.connected().await;
    server.wait_accepted(2).await;
    server.push(trade_frame("ETHUSDT", 5, "3000", "1", 5));
    assert_eq!(client.trade().await.0.id, 5);
    client.shut_down().await;
}

#[tokio::test]
async fn server_shutdown_event_triggers_a_proactive_reconnect() {
    let (server, mut client) = connected_pair().await;
    server.server_shutdown();
    let (_, _, reason) = client.reconnecting().await;
    assert_eq!(reason, "server announced shutdown");
    client.connected().await;
    server.wait_accepted(2).await;
    server.push(trade_frame("BTCUSDT", 9, "90000", "1", 9));
    assert_eq!(client.trade().await.0.id, 9);
    client.shut_down().await;
}

#[tokio::test]
async fn silence_beyond_the_idle_timeout_means_dead() {
    let server = WsServer::start().await;
    let mut client = start(StreamSettings {
        idle_timeout: Duration::from_millis(300),
        ..settings(&server)
    });
    client.connected().await;
    server.wait_accepted(1).await;
    let silent_since = Instant::now();
    server.set_silent(true);
    let (_, _, reason) = client.reconnecting().await;
    let noticed = silent_since.elapsed();
    assert_eq!(reason, "no message for 300ms");
    assert!(
        noticed >= Duration::from_millis(250) && noticed < Duration::from_millis(1500),
        "{noticed:?}"
    );
    server.set_silent(false);
    client.connected().await;
    server.wait_accepted(2).await;
    server.push(trade_frame("BTCUSDT", 4, "90000", "1", 4));
    assert_eq!(client.trade().await.0.id, 4);
    client.shut_down().await;
}

#[tokio::test]
async fn pings_keep_a_quiet_connection_alive() {
    let server = WsServer::start().await;
    let mut client = start(StreamSettings {
        idle_timeout: Duration::from_millis(400),
        ..settings(&server)
    });
    client.connected().await;
    server.wait_accepted(1).await;
    for i in 0..8u8 {
        server.ping(&[i]);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(server.accepted(), 1, "pings count as life");
    assert_eq!(client.stats.snapshot().reconnects, 0);
    client.shut_down().await;
}

#[tokio::test]
async fn connections_are_renewed_before_their_maximum_lifetime() {
    let server = WsServer::start().await;
    let mut client = start(StreamSettings {
        max_lifetime: Duration::from_millis(300),
        ..settings(&server)
    });
    client.connected().await;
    let (_, _, reason) = client.reconnecting().await;
    assert_eq!(reason, "connection reached its maximum lifetime");
    client.connected().await;
    server.wait_accepted(2).await;
    client.shut_down().await;
}

#[tokio::test]
async fn an_outage_opens_the_breaker_and_the_stream_recovers() {
    let server = WsServer::start().await;
    let mut client = start(StreamSettings {
        breaker: BreakerPolicy {
            failure_threshold: 2,
            open_secs: 1,
        },
        ..settings(&server)
    });
    client.connected().await;
    server.wait_accepted(1).await;
    server.refuse_for(Duration::from_millis(1200));
    server.disconnect_all(Disconnect::Drop);
    let mut delays = Vec::new();
    let mut reasons = Vec::new();
    loop {
        match client.next().await {
            MarketEvent::Status(_, StreamStatus::Reconnecting { delay, reason, .. }) => {
                delays.push(delay);
                reasons.push(reason);
            }
            MarketEvent::Status(_, StreamStatus::Connected) => break,
            _ => {}
        }
    }
    assert!(server.refused() >= 1, "the outage refused handshakes");
    assert!(
        reasons.iter().any(|r| r.contains("503")),
        "refusals are named: {reasons:?}"
    );
    assert!(
        delays.iter().any(|d| *d >= Duration::from_millis(900)),
        "the open breaker holds retries back: {delays:?}"
    );
    server.wait_accepted(2).await;
    server.push(trade_frame("BTCUSDT", 1, "90000", "1", 1));
    assert_eq!(client.trade().await.0.id, 1);
    client.shut_down().await;
}

#[tokio::test]
async fn shutdown_interrupts_a_long_backoff_promptly() {
    let server = WsServer::start().await;
    let mut client = start(StreamSettings {
        backoff: BackoffPolicy {
            initial_ms: 30_000,
            max_ms: 30_000,
            multiplier: 2.0,
            jitter: 0.0,
        },
        ..settings(&server)
    });
    client.connected().await;
    server.wait_accepted(1).await;
    server.disconnect_all(Disconnect::Drop);
    let (_, delay, _) = client.reconnecting().await;
    assert_eq!(delay, Duration::from_secs(30));
    let took = client.shut_down().await;
    assert!(took < Duration::from_secs(1), "Stopped took {took:?}");
}

#[tokio::test]
async fn shutdown_interrupts_a_hanging_connect() {
    // A listener that accepts TCP but never answers the handshake.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((tcp, _)) = listener.accept().await {
            held.push(tcp);
        }
    });
    let mut client = start(StreamSettings {
        venue: Venue::Binance,
        ws_url: format!("ws://{addr}"),
        rest_url: "http://127.0.0.1:9".into(),
        symbols: vec![sym("BTCUSDT")],
        books: Books::Off,
        backoff: BackoffPolicy::default(),
        breaker: BreakerPolicy::default(),
        idle_timeout: Duration::from_secs(30),
        max_lifetime: Duration::from_secs(3600),
        stable_after: Duration::ZERO,
    });
    assert!(matches!(
        client.next().await,
        MarketEvent::Status(_, StreamStatus::Connecting { .. })
    ));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let took = client.shut_down().await;
    assert!(took < Duration::from_secs(1), "Stopped took {took:?}");
    hold.abort();
}

#[tokio::test]
async fn run_returns_when_nobody_listens() {
    let (server, client) = connected_pair().await;
    let Client { rx, task, stop, .. } = client;
    drop(rx);
    server.push(trade_frame("BTCUSDT", 1, "90000", "1", 1));
    tokio::time::timeout(WAIT, task)
        .await
        .expect("run() notices the closed channel")
        .unwrap();
    drop(stop);
}
