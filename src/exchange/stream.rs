//! The live trade feed of one venue: one WebSocket for its configured symbols, kept alive
//! across everything venues do to a connection (pings, forced cuts, shutdown notices, silent
//! deaths, outages) and reporting each state change as a [`MarketEvent`]. Venue specifics
//! (address, subscription, keep-alive, frames) come from its [`Connector`]; this loop, its
//! backoff, breaker and counters are the same for every venue.
//!
//! Duplicate trades after a reconnect (Coinbase's `last_match`, Kraken's snapshot) are
//! forwarded as they come: the aggregator owns de-duplication, because only it knows what it
//! has already counted.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::connector::{Connector, Parsed};
use super::contracts::Contracts;
use super::settings::{Books, StreamSettings};
use super::side_rest::{fetch, poll};
use super::stats::StreamStats;
use crate::domain::{DerivEvent, LocalBook, Symbol, Trade, now_ms};
use crate::net::{Backoff, BreakerState, CircuitBreaker, USER_AGENT};
use crate::source::{MarketEvent, StreamStatus};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Trade frames are a few hundred bytes (Bybit's largest, 1,024 trades, about 150 KB);
/// anything near this is an attack or a bug.
const MAX_MESSAGE_BYTES: usize = 1 << 20;
/// How long a polite close or the final `Stopped` may hold up shutdown.
const CLOSE_GRACE: Duration = Duration::from_millis(250);
const STOPPED_GRACE: Duration = Duration::from_millis(500);
/// At most one malformed-frame warning per this interval; the rest are counted.
const WARN_EVERY: Duration = Duration::from_secs(1);

/// Runs the feed until `shutdown` turns true (or its sender is dropped), then sends
/// `Status(Stopped)`. Returns early, silently, if the receiver of `tx` is gone. Never panics.
///
/// Status sequence: `Connecting{attempt: 0}`, `Connected`, then per loss
/// `Reconnecting{attempt: n, ..}` and `Connecting{attempt: n}`, where `n` counts failures
/// since the last connection that delivered a trade.
pub async fn run(
    connector: &'static dyn Connector,
    settings: StreamSettings,
    tx: mpsc::Sender<MarketEvent>,
    shutdown: watch::Receiver<bool>,
    stats: Arc<StreamStats>,
) {
    crate::net::install_crypto_provider();
    let mut client = Client {
        url: settings.books.url(connector, &settings),
        connector,
        trades: Vec::with_capacity(64),
        backoff: Backoff::new(settings.backoff.clone()),
        breaker: CircuitBreaker::new(settings.breaker.clone()),
        last_failure: None,
        settings,
        tx,
        shutdown,
        stats,
        warn: WarnLimiter::default(),
        books: HashMap::new(),
        contracts: None,
    };
    let stop = client.serve().await;
    client.stats.set_connected(false);
    let venue = client.settings.venue;
    tracing::info!(?stop, %venue, "stream stopped");
    if stop == Stop::Shutdown {
        let _ = tokio::time::timeout(
            STOPPED_GRACE,
            client
                .tx
                .send(MarketEvent::Status(venue, StreamStatus::Stopped)),
        )
        .await;
    }
}

/// Why the client stops for good.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    Shutdown,
    /// Nobody listens any more.
    Closed,
}

/// How a connection ended, short of stopping.
struct Lost {
    reason: String,
}

impl Lost {
    fn new(reason: impl Into<String>) -> Self {
        Lost {
            reason: reason.into(),
        }
    }
}

struct Client {
    connector: &'static dyn Connector,
    settings: StreamSettings,
    url: String,
    /// Reused for every frame's trades.
    trades: Vec<Trade>,
    tx: mpsc::Sender<MarketEvent>,
    shutdown: watch::Receiver<bool>,
    stats: Arc<StreamStats>,
    backoff: Backoff,
    breaker: CircuitBreaker,
    /// When the breaker last counted a failure, to know when it half-opens.
    last_failure: Option<Instant>,
    warn: WarnLimiter,
    /// Each symbol's book as this connection's snapshots and changes built it.
    books: HashMap<Symbol, LocalBook>,
    /// The contract sizes of markets whose trades count contracts, as last learned.
    contracts: Option<Contracts>,
}

impl Client {
    async fn serve(&mut self) -> Stop {
        loop {
            if let Err(stop) = self.wait_for_breaker().await {
                return stop;
            }
            let lost = match self.connection().await {
                Ok(lost) => lost,
                Err(stop) => return stop,
            };
            if let Err(stop) = self.back_off(lost).await {
                return stop;
            }
        }
    }

    /// One connection from dial to disconnect. Every outcome settles the breaker: a trade
    /// reports success (in `on_frame`), anything short of that a failure, so a half-open
    /// probe never stays pending.
    async fn connection(&mut self) -> Result<Lost, Stop> {
        let attempt = self.backoff.attempt();
        let venue = self.settings.venue;
        self.emit(MarketEvent::Status(
            venue,
            StreamStatus::Connecting { attempt },
        ))
        .await?;
        tracing::info!(url = %self.url, %venue, attempt, "connecting to stream");
        if let Err(lost) = self.learn_contracts().await? {
            self.fail();
            return Ok(lost);
        }
        let mut ws = match self.dial().await? {
            Ok(ws) => ws,
            Err(lost) => {
                self.fail();
                return Ok(lost);
            }
        };
        let symbols = &self.settings.symbols;
        let subscriptions = self.settings.books.subscriptions(self.connector, symbols);

        for msg in subscriptions {
            if let Err(e) = ws.send(Message::text(msg)).await {
                self.fail();
                return Ok(Lost::new(format!("cannot subscribe: {e}")));
            }
        }
        self.stats.set_connected(true);
        // A new connection starts its books from new snapshots.
        self.books.clear();
        tracing::info!(url = %self.url, %venue, "stream connected");
        let connected_at = Instant::now();
        let mut delivered = false;
        let result = match self
            .emit(MarketEvent::Status(venue, StreamStatus::Connected))
            .await
        {
            Ok(()) => {
                // REST-only derivatives are polled while the connection lives.
                let (polled_tx, mut polled) = mpsc::channel(16);
                let polled_here = self.settings.books != Books::Only;
                let poller = polled_here
                    .then(|| self.connector.polled(&self.settings.symbols))
                    .flatten()
                    .map(|(every, paths)| {
                        let base = self.settings.rest_url.trim_end_matches('/').to_string();
                        let limit = self.settings.idle_timeout;
                        tokio::spawn(poll(self.connector, base, paths, every, limit, polled_tx))
                    });
                let result = self.read(ws, &mut delivered, &mut polled).await;
                if let Some(p) = poller {
                    p.abort();
                }
                result
            }
            Err(stop) => Err(stop),
        };
        self.stats.set_connected(false);
        if !delivered {
            self.fail();
        } else if connected_at.elapsed() >= self.settings.stable_after {
            self.backoff.reset();
        }
        result
    }

    /// Reads the venue's contract sizes before each connection, when its trades count
    /// contracts: a size must never be taken in the wrong unit. A failed read keeps the
    /// sizes learned before; without any, the connection waits for them.
    async fn learn_contracts(&mut self) -> Result<Result<(), Lost>, Stop> {
        let symbols = &self.settings.symbols;
        let Some(path) = self.connector.contracts_path(symbols) else {
            return Ok(Ok(()));
        };
        let url = format!("{}{path}", self.settings.rest_url.trim_end_matches('/'));
        let limit = self.settings.idle_timeout;
        let fetched = tokio::select! {
            biased;
            _ = crate::net::shutdown_requested(&mut self.shutdown) => return Err(Stop::Shutdown),
            r = fetch(&url, limit) => r,
        };
        let venue = self.settings.venue;
        let learned = fetched.and_then(|body| self.connector.decode_contracts(&body));
        match learned {
            Ok(listed) => {
                let contracts = Contracts::new(listed, symbols);
                for problem in contracts.problems() {
                    tracing::warn!(%venue, %problem, "market cannot be sized; its trades are refused");
                }
                self.contracts = Some(contracts);
                Ok(Ok(()))
            }
            Err(e) if self.contracts.is_some() => {
                tracing::warn!(%venue, %url, error = %e, "contract sizes not refreshed; keeping the last ones");
                Ok(Ok(()))
            }
            Err(e) => Ok(Err(Lost::new(format!(
                "cannot read contract sizes from {url}: {e}"
            )))),
        }
    }

    async fn dial(&mut self) -> Result<Result<Ws, Lost>, Stop> {
        let mut request = match self.url.as_str().into_client_request() {
            Ok(r) => r,
            Err(e) => return Ok(Err(Lost::new(format!("bad stream URL {}: {e}", self.url)))),
        };
        request
            .headers_mut()
            .insert("User-Agent", HeaderValue::from_static(USER_AGENT));
        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_MESSAGE_BYTES))
            .max_frame_size(Some(MAX_MESSAGE_BYTES));
        let limit = self.settings.idle_timeout;
        let connect = tokio::time::timeout(
            limit,
            tokio_tungstenite::connect_async_with_config(request, Some(config), true),
        );
        tokio::select! {
            biased;
            _ = crate::net::shutdown_requested(&mut self.shutdown) => Err(Stop::Shutdown),
            r = connect => Ok(match r {
                Err(_) => Err(Lost::new(format!("connect timed out after {limit:?}"))),
                Ok(Err(e)) => Err(Lost::new(format!("connect failed: {e}"))),
                Ok(Ok((ws, _response))) => Ok(ws),
            }),
        }
    }

    /// Reads until the connection is lost; `delivered` turns true with the first trade.
    async fn read(
        &mut self,
        mut ws: Ws,
        delivered: &mut bool,
        polled: &mut mpsc::Receiver<Vec<DerivEvent>>,
    ) -> Result<Lost, Stop> {
        let idle_limit = self.settings.idle_timeout;
        let lifetime = tokio::time::sleep(self.settings.max_lifetime);
        let idle = tokio::time::sleep(idle_limit);
        // The venue's keep-alive, and at least twice per idle timeout so a quiet market is
        // never taken for a dead connection on either side.
        let (ping_every, ping_text) = match self.connector.ping() {
            Some((every, text)) => (
                every.min(idle_limit / 2).max(Duration::from_millis(50)),
                text,
            ),
            None => (Duration::from_secs(86_400 * 365), ""),
        };
        let mut ping =
            tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // A feed that always pushes and has not: the address is wrong, however alive the
        // connection looks (pings go on).
        let never = Duration::from_secs(86_400 * 365);
        let (silent_limit, silent_hint) = self.connector.silent_address().unwrap_or((never, ""));
        let silent = tokio::time::sleep(silent_limit);
        let mut heard = false;
        tokio::pin!(lifetime, idle, silent);
        loop {
            let next = tokio::select! {
                biased;
                _ = crate::net::shutdown_requested(&mut self.shutdown) => {
                    close_politely(&mut ws).await;
                    return Err(Stop::Shutdown);
                }
                _ = &mut lifetime => {
                    close_politely(&mut ws).await;
                    return Ok(Lost::new("connection reached its maximum lifetime"));
                }
                _ = &mut idle => {
                    return Ok(Lost::new(format!("no message for {idle_limit:?}")));
                }
                _ = &mut silent, if !heard => {
                    close_politely(&mut ws).await;
                    return Ok(Lost::new(format!(
                        "connected to {} but no data in {silent_limit:?}; {silent_hint}",
                        self.url
                    )));
                }
                _ = ping.tick() => {
                    if let Err(e) = ws.send(Message::text(ping_text)).await {
                        return Ok(Lost::new(format!("cannot send ping: {e}")));
                    }
                    continue;
                }
                Some(events) = polled.recv() => {
                    for event in events {
                        self.on_deriv(event, b"(polled)").await?;
                    }
                    continue;
                }
                next = ws.next() => next,
            };
            let arrived = Instant::now();
            let msg = match next {
                None => return Ok(Lost::new("server closed the connection")),
                Some(Err(e)) => return Ok(Lost::new(format!("read failed: {e}"))),
                Some(Ok(msg)) => msg,
            };
            idle.as_mut().reset((arrived + idle_limit).into());
            self.stats.touch(now_ms());
            let bytes: &[u8] = match &msg {
                Message::Text(text) => text.as_bytes(),
                Message::Binary(bin) => bin,
                Message::Ping(_) => {
                    // tungstenite queued the pong with the same payload; push it out now
                    // rather than whenever the next read happens to flush.
                    if let Err(e) = ws.flush().await {
                        return Ok(Lost::new(format!("cannot answer ping: {e}")));
                    }
                    continue;
                }
                Message::Pong(_) | Message::Frame(_) => continue,
                Message::Close(frame) => {
                    return Ok(Lost::new(match frame {
                        Some(f) => {
                            format!("server closed the connection ({} {})", f.code, f.reason)
                        }
                        None => "server closed the connection".to_string(),
                    }));
                }
            };
            heard = true;
            if let Some(lost) = self.on_frame(bytes, arrived, delivered).await? {
                close_politely(&mut ws).await;
                return Ok(lost);
            }
        }
    }

    /// Handles one data frame; `Some` when it asks us to reconnect.
    async fn on_frame(
        &mut self,
        bytes: &[u8],
        arrived: Instant,
        delivered: &mut bool,
    ) -> Result<Option<Lost>, Stop> {
        StreamStats::add(&self.stats.frames);
        let mut trades = std::mem::take(&mut self.trades);
        trades.clear();
        let parsed = self.connector.parse(bytes, &mut trades);
        let result = self
            .on_parsed(parsed, &trades, bytes, arrived, delivered)
            .await;
        self.trades = trades;
        result
    }

    /// A frame's trades to ingestion (a trade for a symbol not asked for is malformed).
    async fn deliver(
        &mut self,
        trades: &[Trade],
        bytes: &[u8],
        arrived: Instant,
        delivered: &mut bool,
    ) -> Result<Option<Lost>, Stop> {
        for &trade in trades {
            if !self.settings.symbols.contains(&trade.symbol) {
                let reason = format!("trade for unsubscribed symbol {}", trade.symbol);
                self.malformed(reason, bytes).await?;
                continue;
            }
            let mut trade = trade;
            if let Some(contracts) = &self.contracts
                && let Err(reason) = contracts.apply(&mut trade)
            {
                self.malformed(format!("trade rejected: {reason}"), bytes)
                    .await?;
                continue;
            }
            if !*delivered {
                *delivered = true;
                self.breaker.on_success();
                self.stats.publish_breaker(&self.breaker);
            }
            StreamStats::add(&self.stats.trades);
            self.emit(MarketEvent::Trade(trade, arrived)).await?;
        }
        Ok(None)
    }

    async fn on_parsed(
        &mut self,
        parsed: Result<Parsed, crate::exchange::WireError>,
        trades: &[Trade],
        bytes: &[u8],
        arrived: Instant,
        delivered: &mut bool,
    ) -> Result<Option<Lost>, Stop> {
        match parsed {
            Ok(Parsed::Trades) => self.deliver(trades, bytes, arrived, delivered).await,
            // The good trades go on; each bad one is counted and logged on its own.
            Ok(Parsed::Partial(rejected)) => {
                for reason in rejected {
                    self.malformed(format!("trade rejected: {reason}"), bytes)
                        .await?;
                }
                self.deliver(trades, bytes, arrived, delivered).await
            }
            Ok(Parsed::Book(updates)) => {
                for mut update in updates {
                    if !self.settings.symbols.contains(&update.symbol) {
                        let reason = format!("book for unsubscribed symbol {}", update.symbol);
                        self.malformed(reason, bytes).await?;
                        continue;
                    }
                    if let Some(contracts) = &self.contracts
                        && let Err(reason) = contracts.apply_book(&mut update)
                    {
                        self.malformed(format!("book rejected: {reason}"), bytes)
                            .await?;
                        continue;
                    }
                    let local = self.books.entry(update.symbol).or_default();
                    let dropped = local.dropped();
                    let applied = local.apply(&update);
                    let dropped = local.dropped() - dropped;
                    if dropped > 0 {
                        self.stats
                            .book_levels_dropped
                            .fetch_add(dropped, std::sync::atomic::Ordering::Relaxed);
                    }
                    match applied {
                        Ok(Some(book)) => self.emit(MarketEvent::Book(book)).await?,
                        Ok(None) => {}
                        Err(e) => {
                            let reason = format!("{} book: {e}", update.symbol);
                            self.malformed(reason, bytes).await?;
                        }
                    }
                }
                Ok(None)
            }
            Ok(Parsed::Derivs(events)) => {
                for event in events {
                    self.on_deriv(event, bytes).await?;
                }
                Ok(None)
            }
            Ok(Parsed::Reconnect(reason)) => Ok(Some(Lost::new(reason))),
            Ok(Parsed::Refused(reason)) => {
                tracing::warn!(venue = %self.settings.venue, %reason, "venue refused a request");
                self.malformed(format!("refused: {reason}"), bytes)
                    .await
                    .map(|()| None)
            }
            Ok(Parsed::Ack | Parsed::Heartbeat | Parsed::Other) => Ok(None),
            Err(e) => self.malformed(e.to_string(), bytes).await.map(|()| None),
        }
    }

    /// A perp's state or a liquidation: dropped quietly when of a market not asked for (OKX
    /// sends every swap's liquidations), sized in coins, checked, then passed on.
    async fn on_deriv(&mut self, mut event: DerivEvent, bytes: &[u8]) -> Result<(), Stop> {
        if !self.settings.symbols.contains(&event.symbol()) {
            return Ok(());
        }
        if let (DerivEvent::Liquidation(l), Some(contracts)) = (&mut event, &self.contracts) {
            let mut as_trade = Trade {
                symbol: l.symbol,
                id: 0,
                price: l.price,
                qty: l.qty,
                time: l.time,
                micros: 0,
                count: 1,
                buyer_is_maker: false,
            };
            if let Err(reason) = contracts.apply(&mut as_trade) {
                return self
                    .malformed(format!("liquidation rejected: {reason}"), bytes)
                    .await;
            }
            l.qty = as_trade.qty;
        }
        if let Err(reason) = event.check() {
            return self.malformed(format!("rejected: {reason}"), bytes).await;
        }
        StreamStats::add(&self.stats.derivs);
        self.emit(MarketEvent::Deriv(event)).await
    }

    async fn malformed(&mut self, reason: String, bytes: &[u8]) -> Result<(), Stop> {
        StreamStats::add(&self.stats.malformed);
        if let Some(suppressed) = self.warn.allow(Instant::now()) {
            // Frames are untrusted: logged escaped, control characters and all.
            let head = String::from_utf8_lossy(&bytes[..bytes.len().min(120)]);
            let venue = self.settings.venue;
            tracing::warn!(%venue, %reason, frame = ?head, suppressed, "malformed frame");
        }
        self.emit(MarketEvent::Malformed(reason)).await
    }

    /// Reports the loss and waits out the backoff (longer if the breaker opened).
    async fn back_off(&mut self, lost: Lost) -> Result<(), Stop> {
        let delay = self
            .backoff
            .next_delay()
            .max(self.breaker_remaining(Instant::now()));
        let attempt = self.backoff.attempt();
        StreamStats::add(&self.stats.reconnects);
        let venue = self.settings.venue;
        tracing::warn!(%venue, reason = %lost.reason, ?delay, attempt, "stream lost; reconnecting");
        self.emit(MarketEvent::Status(
            venue,
            StreamStatus::Reconnecting {
                attempt,
                delay,
                reason: lost.reason,
            },
        ))
        .await?;
        self.sleep(delay).await
    }

    /// While the breaker is open, waits until it lets a probe through.
    async fn wait_for_breaker(&mut self) -> Result<(), Stop> {
        while !self.breaker.allow(Instant::now()) {
            let wait = self.breaker_remaining(Instant::now());
            self.sleep(wait.max(Duration::from_millis(20))).await?;
        }
        Ok(())
    }

    fn fail(&mut self) {
        let now = Instant::now();
        self.breaker.on_failure(now);
        self.stats.publish_breaker(&self.breaker);
        self.last_failure = Some(now);
    }

    /// How long the breaker stays open. `BreakerStatus::retry_in_secs` rounds down to whole
    /// seconds, too coarse for the delay we report, so it is recomputed from the failure that
    /// opened it (`on_failure` opens for exactly `open_secs` from the instant it is given).
    fn breaker_remaining(&self, now: Instant) -> Duration {
        match (self.breaker.state(now), self.last_failure) {
            (BreakerState::Open, Some(at)) => (at
                + Duration::from_secs(self.settings.breaker.open_secs))
            .saturating_duration_since(now),
            _ => Duration::ZERO,
        }
    }

    async fn sleep(&mut self, d: Duration) -> Result<(), Stop> {
        tokio::select! {
            biased;
            _ = crate::net::shutdown_requested(&mut self.shutdown) => Err(Stop::Shutdown),
            _ = tokio::time::sleep(d) => Ok(()),
        }
    }

    /// Sends without blocking shutdown: a slow consumer must not keep us from stopping.
    async fn emit(&mut self, event: MarketEvent) -> Result<(), Stop> {
        if !self.settings.books.passes(&event) {
            return Ok(());
        }
        match self.tx.try_send(event) {
            Ok(()) => Ok(()),
            Err(TrySendError::Closed(_)) => Err(Stop::Closed),
            Err(TrySendError::Full(event)) => tokio::select! {
                biased;
                _ = crate::net::shutdown_requested(&mut self.shutdown) => Err(Stop::Shutdown),
                r = self.tx.send(event) => r.map_err(|_| Stop::Closed),
            },
        }
    }
}

async fn close_politely(ws: &mut Ws) {
    let _ = tokio::time::timeout(CLOSE_GRACE, ws.close(None)).await;
}

/// Rate-limits the malformed-frame warning so a stream of garbage cannot flood the log.
#[derive(Default)]
struct WarnLimiter {
    last: Option<Instant>,
    suppressed: u64,
}

impl WarnLimiter {
    /// `Some(suppressed since the last warning)` when a warning may be logged now.
    fn allow(&mut self, now: Instant) -> Option<u64> {
        if self
            .last
            .is_some_and(|t| now.duration_since(t) < WARN_EVERY)
        {
            self.suppressed += 1;
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.suppressed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_are_rate_limited() {
        let mut w = WarnLimiter::default();
        let t0 = Instant::now();
        assert_eq!(w.allow(t0), Some(0));
        assert_eq!(w.allow(t0 + Duration::from_millis(10)), None);
        assert_eq!(w.allow(t0 + Duration::from_millis(20)), None);
        assert_eq!(w.allow(t0 + Duration::from_secs(2)), Some(2));
    }
}
