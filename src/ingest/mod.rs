//! Ingestion: market events in, candles out. The synchronous core (`Ingest::on_trade`,
//! `Ingest::flush`) is what the benchmark drives; `run` wraps it in the async event loop used
//! by the dashboard and the collector.

pub mod derivs;
mod latency;
mod tape;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::{mpsc, watch};

pub use latency::{Buckets, Histogram, Percentiles};

use crate::aggregate::{Aggregator, IdGap, Outcome};
use crate::domain::Composite;
use crate::domain::{Candle, Millis, SeriesKey, Symbol, Timeframe, Trade, Venue, now_ms};
use crate::source::{MarketEvent, StreamStatus};
use crate::store::{CandleSource, Store, StoreError};

/// What ingestion tells the rest of the program.
#[derive(Clone, Debug, PartialEq)]
pub enum IngestEvent {
    /// Candles that changed since the last flush (open ones ticking, finished, filled).
    Candles(Vec<(SeriesKey, Candle)>),
    /// A venue's connection changed.
    Stream(Venue, StreamStatus),
    /// Accepted live trades since the last flush, at most [`tape::TAPE_PER_FLUSH`] per
    /// symbol (only with [`Ingest::with_tape`]); with [`Ingest::with_every_trade`], all of
    /// them since the last batch of arrivals.
    Trades(Vec<Trade>),
    /// The top of a book, as the venue sent it (live only, never stored).
    Book(crate::domain::Book),
    /// Perps whose derivatives state changed, and new liquidations, since the last flush.
    Derivs(derivs::DerivChanges),
    /// Trades known to be missing; the gap repair should fetch these spans' klines.
    Gaps(Vec<IdGap>),
    /// Alert decisions since the last flush: firings to record and deliver, rule states to
    /// save.
    Alerts(Vec<crate::alerts::Decision>),
    Malformed(String),
}

/// Counters shared with health panels and metrics.
#[derive(Debug, Default)]
pub struct IngestCounters {
    pub trades: AtomicU64,
    pub duplicates: AtomicU64,
    pub void: AtomicU64,
    pub too_late: AtomicU64,
    /// Impossible trades ([`Trade::check`]): far-future or pre-2009 times, bad values.
    pub rejected: AtomicU64,
    pub malformed: AtomicU64,
    pub candles_written: AtomicU64,
    pub last_trade_ms: AtomicU64,
    /// The wall clock (as last read, at most a flush behind) when a trade was last applied.
    pub accepted_at_ms: AtomicU64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct IngestSnapshot {
    pub trades: u64,
    pub duplicates: u64,
    pub void: u64,
    pub too_late: u64,
    pub rejected: u64,
    pub malformed: u64,
    pub candles_written: u64,
    /// Liquidations not kept because more came between two flushes than are held.
    pub liquidations_dropped: u64,
    pub last_trade_ms: Option<Millis>,
    /// When a trade was last applied, by this machine's clock (readiness judges by it: a
    /// trade's own time may be any age in a replay).
    pub accepted_at_ms: Option<Millis>,
    /// Frame received -> candle state updated, in µs.
    pub latency_us: Percentiles,
    /// The same at [`LATENCY_BOUNDS_NS`], for a Prometheus histogram.
    #[serde(skip)]
    pub latency_buckets: Buckets,
}

/// Histogram bounds for ingest latency: 100 ns to 100 ms.
pub const LATENCY_BOUNDS_NS: [u64; 12] = [
    100,
    250,
    500,
    1_000,
    2_500,
    5_000,
    10_000,
    50_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

pub struct Ingest {
    store: Store,
    source: CandleSource,
    /// One per symbol; a handful, so a linear scan beats hashing the symbol per trade.
    aggs: Vec<Aggregator>,
    /// Per entry of `aggs`: the composites it feeds, as (index in `composites`, member place).
    feeds: Vec<Vec<(usize, u8)>>,
    composites: Vec<Aggregator>,
    /// The alert engine, fed every applied trade, every closed candle and the clock.
    alerts: Option<Box<crate::alerts::Engine>>,
    decisions: Vec<crate::alerts::Decision>,
    timeframes: Vec<Timeframe>,
    counters: Arc<IngestCounters>,
    latency: Histogram,
    out: Vec<(SeriesKey, Candle)>,
    /// The wall clock as last read, for [`Trade::check`]. It only ever lags: a trade it calls
    /// too far ahead is checked again against a fresh reading before being rejected, so the
    /// hot path reads no clock.
    clock: Millis,
    /// When an impossible trade was last logged, and how many were not logged since.
    reject_warned: Option<Instant>,
    rejects_unlogged: u64,
    /// The latest live trades for a dashboard's tape; a collector keeps none.
    tape: Option<tape::Tape>,
    /// Perps' derivatives state, samples and liquidations.
    derivs: derivs::Derivs,
}

/// At most one warning about impossible trades per this interval; the rest are counted.
const REJECT_WARN_EVERY: Duration = Duration::from_secs(10);

/// How often changed candles go to the store and the UI. The store batches further; a crash
/// loses at most this plus one store batch (well under the promised second).
pub const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// How often a collector with a bus hands its accepted trades on, at most.
const TRADES_EVERY: Duration = Duration::from_millis(5);

impl Ingest {
    /// Builds the aggregators and resumes each series from its newest stored candle.
    pub async fn new(
        store: Store,
        symbols: &[Symbol],
        timeframes: &[Timeframe],
        source: CandleSource,
    ) -> Result<Ingest, StoreError> {
        let mut aggs = Vec::new();
        for &symbol in symbols {
            let mut agg = Aggregator::new(symbol, timeframes);
            for &timeframe in timeframes {
                if let Some(last) = store.latest(SeriesKey { symbol, timeframe }).await? {
                    agg.resume(timeframe, last);
                }
            }
            aggs.push(agg);
        }
        Ok(Ingest {
            store,
            source,
            feeds: vec![Vec::new(); aggs.len()],
            composites: Vec::new(),
            alerts: None,
            decisions: Vec::new(),
            aggs,
            timeframes: timeframes.to_vec(),
            counters: Arc::default(),
            latency: Histogram::default(),
            out: Vec::with_capacity(1024),
            clock: now_ms(),
            reject_warned: None,
            rejects_unlogged: 0,
            tape: None,
            derivs: derivs::Derivs::default(),
        })
    }

    /// Also builds these composites from their members' accepted trades. A composite keeps no
    /// trade ids, so it is not resumed after a restart: the candle open at the restart starts
    /// afresh (and the store keeps whichever of the two holds more trades).
    pub fn with_composites(mut self, composites: &[Composite]) -> Self {
        for c in composites {
            let ci = self.composites.len();
            self.composites
                .push(Aggregator::composite(c.symbol, &self.timeframes));
            for (place, &member) in c.members.iter().enumerate() {
                let i = self.agg_index(member);
                self.feeds[i].push((ci, place.min(u8::MAX as usize) as u8));
            }
        }
        self
    }

    /// Also reports the latest live trades on every flush ([`IngestEvent::Trades`]).
    pub fn with_tape(mut self) -> Self {
        self.tape = Some(tape::Tape::default());
        self
    }

    /// Reports every accepted trade (for the bus) as soon as each batch of arrivals is folded
    /// in, a tape's worth included.
    pub fn with_every_trade(mut self) -> Self {
        self.tape = Some(tape::Tape::every_trade());
        self
    }

    /// Evaluates these alert rules as trades and candles arrive.
    pub fn with_alerts(mut self, engine: crate::alerts::Engine) -> Self {
        self.alerts = Some(Box::new(engine));
        self
    }

    /// Alert decisions taken since the last call.
    pub fn take_decisions(&mut self) -> Vec<crate::alerts::Decision> {
        std::mem::take(&mut self.decisions)
    }

    /// Follows `symbol` from now on, resumed from its newest stored candles; a market already
    /// followed is left as it is. A store that cannot answer leaves it to start afresh.
    async fn watch(&mut self, symbol: Symbol) {
        if self.aggs.iter().any(|a| a.symbol() == symbol) {
            return;
        }
        let mut agg = Aggregator::new(symbol, &self.timeframes);
        for &timeframe in &self.timeframes {
            match self.store.latest(SeriesKey { symbol, timeframe }).await {
                Ok(Some(last)) => agg.resume(timeframe, last),
                Ok(None) => {}
                Err(e) => tracing::warn!(%symbol, error = %e, "added market not resumed"),
            }
        }
        self.aggs.push(agg);
        self.feeds.push(Vec::new());
    }

    fn agg_index(&mut self, symbol: Symbol) -> usize {
        match self.aggs.iter().position(|a| a.symbol() == symbol) {
            Some(i) => i,
            None => {
                self.aggs.push(Aggregator::new(symbol, &self.timeframes));
                self.feeds.push(Vec::new());
                self.aggs.len() - 1
            }
        }
    }

    pub fn counters(&self) -> Arc<IngestCounters> {
        self.counters.clone()
    }

    /// Folds one trade in and records its latency from frame arrival.
    #[inline]
    pub fn on_trade(&mut self, t: &Trade, received: Instant) -> Outcome {
        let outcome = self.replay(t);
        self.latency.record(received.elapsed().as_nanos() as u64);
        if let (Outcome::Applied, Some(tape)) = (outcome, &mut self.tape) {
            tape.push(t);
        }
        outcome
    }

    /// Folds in a perp's derivatives event that did not just arrive (generated history): kept
    /// for the store, not shown to alert rules.
    pub fn replay_deriv(&mut self, event: &crate::domain::DerivEvent) {
        self.derivs.on_event(event);
    }

    /// Hands the derivatives gathered since the last call to the store (generated history).
    pub fn flush_derivs(&mut self) -> Result<(), StoreError> {
        self.derivs.flush(&self.store).map(drop)
    }

    /// Folds in a trade that did not just arrive (generated history): no latency recorded.
    /// Impossible trades (see [`Trade::check`]) are counted and logged, never applied.
    #[inline]
    pub fn replay(&mut self, t: &Trade) -> Outcome {
        if t.check(self.clock).is_err() {
            self.clock = now_ms();
            if let Err(why) = t.check(self.clock) {
                self.reject(t, why);
                return Outcome::Rejected;
            }
        }
        let i = self.agg_index(t.symbol);
        let outcome = self.aggs[i].push(t);
        let c = &self.counters;
        match outcome {
            Outcome::Applied => {
                for &(ci, place) in &self.feeds[i] {
                    self.composites[ci].push_member(t, place);
                }
                if let Some(engine) = &mut self.alerts {
                    engine.on_trade(t, self.clock, &mut self.decisions);
                }
                c.trades.fetch_add(1, Ordering::Relaxed);
                c.last_trade_ms.store(t.time as u64, Ordering::Relaxed);
                c.accepted_at_ms.store(self.clock as u64, Ordering::Relaxed);
            }
            Outcome::Duplicate => {
                c.duplicates.fetch_add(1, Ordering::Relaxed);
            }
            Outcome::Void => {
                c.void.fetch_add(1, Ordering::Relaxed);
            }
            Outcome::TooLate => {
                c.too_late.fetch_add(1, Ordering::Relaxed);
            }
            // Counted by `reject` above; the aggregator itself never rejects.
            Outcome::Rejected => {}
        }
        outcome
    }

    #[cold]
    fn reject(&mut self, t: &Trade, why: crate::domain::Implausible) {
        self.counters.rejected.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        if self
            .reject_warned
            .is_some_and(|at| now.duration_since(at) < REJECT_WARN_EVERY)
        {
            self.rejects_unlogged += 1;
            return;
        }
        self.reject_warned = Some(now);
        let suppressed = std::mem::take(&mut self.rejects_unlogged);
        tracing::warn!(symbol = %t.symbol, id = t.id, reason = %why, suppressed, "impossible trade rejected");
    }

    /// Closes candles whose interval ended by `close_before` (None: leave them open), queues
    /// every changed candle for the store, and returns them.
    pub fn flush(
        &mut self,
        close_before: Option<Millis>,
    ) -> Result<Vec<(SeriesKey, Candle)>, StoreError> {
        self.clock = now_ms();
        for agg in self.aggs.iter_mut().chain(&mut self.composites) {
            if let Some(t) = close_before {
                agg.close_due(t);
            }
            agg.drain(&mut self.out);
        }
        if let Some(engine) = &mut self.alerts {
            for (k, c) in &self.out {
                engine.on_candle(*k, c, self.clock, &mut self.decisions);
            }
            if close_before.is_some() {
                engine.on_tick(self.clock, &mut self.decisions);
            }
        }
        if self.out.is_empty() {
            return Ok(Vec::new());
        }
        let changed = std::mem::take(&mut self.out);
        let mut by_key: HashMap<SeriesKey, Vec<Candle>> = HashMap::new();
        for (k, c) in &changed {
            by_key.entry(*k).or_default().push(*c);
        }
        for (k, v) in by_key {
            self.store.upsert(k, v, self.source)?;
        }
        self.counters
            .candles_written
            .fetch_add(changed.len() as u64, Ordering::Relaxed);
        Ok(changed)
    }

    pub fn take_gaps(&mut self) -> Vec<IdGap> {
        self.aggs.iter_mut().flat_map(|a| a.take_gaps()).collect()
    }

    pub fn snapshot(&self) -> IngestSnapshot {
        let c = &self.counters;
        let last = c.last_trade_ms.load(Ordering::Relaxed);
        let accepted = c.accepted_at_ms.load(Ordering::Relaxed);
        IngestSnapshot {
            trades: c.trades.load(Ordering::Relaxed),
            duplicates: c.duplicates.load(Ordering::Relaxed),
            void: c.void.load(Ordering::Relaxed),
            too_late: c.too_late.load(Ordering::Relaxed),
            rejected: c.rejected.load(Ordering::Relaxed),
            malformed: c.malformed.load(Ordering::Relaxed),
            candles_written: c.candles_written.load(Ordering::Relaxed),
            liquidations_dropped: self.derivs.dropped,
            last_trade_ms: (last > 0).then_some(last as Millis),
            accepted_at_ms: (accepted > 0).then_some(accepted as Millis),
            latency_us: self.latency.percentiles(),
            latency_buckets: self.latency.buckets(&LATENCY_BOUNDS_NS),
        }
    }

    pub fn current(&self, key: SeriesKey) -> Option<Candle> {
        self.aggs
            .iter()
            .chain(&self.composites)
            .find(|a| a.symbol() == key.symbol)?
            .current(key.timeframe)
    }

    /// The event loop: folds market events in, flushes every [`FLUSH_EVERY`], and on
    /// shutdown (or when the source ends) flushes everything and waits for the store.
    pub async fn run(
        mut self,
        mut rx: mpsc::Receiver<MarketEvent>,
        tx: mpsc::Sender<IngestEvent>,
        mut shutdown: watch::Receiver<bool>,
        snapshots: Option<watch::Sender<IngestSnapshot>>,
    ) -> Result<(), StoreError> {
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The bus's trades go out as they come, not at the flush (a dashboard on the bus sees
        // a trade as soon as the collector has it), but at most every TRADES_EVERY: a busy
        // market's trades go together rather than one wake-up each.
        let every_trade = self.tape.as_ref().is_some_and(tape::Tape::is_every);
        let mut trades_sent = tokio::time::Instant::now();
        let mut trades_due: Option<tokio::time::Instant> = None;
        loop {
            tokio::select! {
                ev = rx.recv() => {
                    let Some(ev) = ev else { break };
                    self.on_event(ev, &tx).await;
                    // Take what is already queued without going back to the scheduler.
                    for _ in 0..4096 {
                        match rx.try_recv() {
                            Ok(ev) => self.on_event(ev, &tx).await,
                            Err(_) => break,
                        }
                    }
                    if every_trade && trades_due.is_none() {
                        trades_due = Some(trades_sent + TRADES_EVERY);
                    }
                }
                _ = tokio::time::sleep_until(trades_due.unwrap_or_else(tokio::time::Instant::now)), if trades_due.is_some() => {
                    trades_due = None;
                    trades_sent = tokio::time::Instant::now();
                    self.send_trades(&tx).await;
                }
                _ = tick.tick() => {
                    self.publish(&tx, Some(now_ms())).await?;
                    if let Some(s) = &snapshots {
                        let _ = s.send(self.snapshot());
                    }
                }
                _ = shutdown.changed() => break,
            }
        }
        self.publish(&tx, None).await?;
        self.store.flush().await
    }

    async fn on_event(&mut self, ev: MarketEvent, tx: &mpsc::Sender<IngestEvent>) {
        match ev {
            MarketEvent::Trade(t, received) => {
                self.on_trade(&t, received);
            }
            MarketEvent::Status(venue, s) => {
                let _ = tx.send(IngestEvent::Stream(venue, s)).await;
            }
            MarketEvent::Book(book) => {
                let _ = tx.send(IngestEvent::Book(book)).await;
            }
            MarketEvent::Deriv(event) => {
                self.derivs.on_event(&event);
                if let Some(engine) = &mut self.alerts {
                    let state = self.derivs.state(event.symbol());
                    engine.on_deriv(&event, state, now_ms(), &mut self.decisions);
                }
            }
            MarketEvent::Malformed(reason) => {
                self.counters.malformed.fetch_add(1, Ordering::Relaxed);
                let _ = tx.send(IngestEvent::Malformed(reason)).await;
            }
            MarketEvent::Watch(symbol) => self.watch(symbol).await,
            MarketEvent::Portfolio(figures) => {
                if let Some(engine) = &mut self.alerts {
                    engine.on_portfolio(&figures, now_ms(), &mut self.decisions);
                }
            }
            MarketEvent::Rule(change) => {
                if let Some(engine) = &mut self.alerts {
                    match change {
                        crate::source::RuleChange::Add(rule) => engine.add_rule(rule),
                        crate::source::RuleChange::Remove(name) => engine.remove_rule(&name),
                    }
                }
            }
            MarketEvent::News(items) => {
                if let Some(engine) = &mut self.alerts {
                    for it in &items {
                        engine.on_news(it, now_ms(), &mut self.decisions);
                    }
                }
            }
        }
    }

    /// The tape's trades since the last call, as one event.
    async fn send_trades(&mut self, tx: &mpsc::Sender<IngestEvent>) {
        if let Some(tape) = &mut self.tape {
            let trades = tape.take();
            if !trades.is_empty() {
                let _ = tx.send(IngestEvent::Trades(trades)).await;
            }
        }
    }

    async fn publish(
        &mut self,
        tx: &mpsc::Sender<IngestEvent>,
        close_before: Option<Millis>,
    ) -> Result<(), StoreError> {
        let changed = self.flush(close_before)?;
        if !changed.is_empty() {
            let _ = tx.send(IngestEvent::Candles(changed)).await;
        }
        let derivs = self.derivs.flush(&self.store)?;
        if derivs != derivs::DerivChanges::default() {
            let _ = tx.send(IngestEvent::Derivs(derivs)).await;
        }
        self.send_trades(tx).await;
        let decisions = self.take_decisions();
        if !decisions.is_empty() {
            let _ = tx.send(IngestEvent::Alerts(decisions)).await;
        }
        let gaps = self.take_gaps();
        if !gaps.is_empty() {
            tracing::warn!(
                count = gaps.len(),
                "trades missing from the stream; repair needed"
            );
            let _ = tx.send(IngestEvent::Gaps(gaps)).await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Price, Qty};
    use crate::store::StoreOptions;

    /// With a bus, an accepted trade is handed on as it comes: before the flush that
    /// publishes its candle (at the flush, the candles go out first).
    #[tokio::test]
    async fn every_trade_goes_out_before_the_next_flush() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db"), StoreOptions::default()).unwrap();
        let symbol = Symbol::new("BTCUSDT").unwrap();
        let ingest = Ingest::new(store, &[symbol], &[Timeframe::M1], CandleSource::Live)
            .await
            .unwrap()
            .with_every_trade();
        let (market, rx) = mpsc::channel(16);
        let (tx, mut events) = mpsc::channel(16);
        let (stop, shutdown) = watch::channel(false);
        let run = tokio::spawn(ingest.run(rx, tx, shutdown, None));
        // Past the flush the interval gives at once.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let trade = Trade {
            symbol,
            id: 1,
            price: Price::from_int(42_000),
            qty: Qty::from_int(1),
            time: now_ms(),
            micros: 0,
            count: 1,
            buyer_is_maker: false,
        };
        market
            .send(MarketEvent::Trade(trade, Instant::now()))
            .await
            .unwrap();
        match events.recv().await {
            Some(IngestEvent::Trades(got)) => assert_eq!(got, [trade]),
            other => panic!("the trade first, not {other:?}"),
        }
        match events.recv().await {
            Some(IngestEvent::Candles(c)) => assert_eq!(c.len(), 1),
            other => panic!("then its candle, not {other:?}"),
        }
        stop.send(true).unwrap();
        run.await.unwrap().unwrap();
    }
}
