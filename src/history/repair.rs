//! Keeping the live history whole: gap repair at start-up, after every reconnect of the
//! stream, and for every span of trades the stream is known to have missed.
//!
//! Start-up and reconnects scan stored open times for holes (the backfill runner). A span of
//! missing trade ids is subtler: the candles on either side of it exist but are partial, so
//! the scan cannot see them. Those buckets are refetched outright once they have closed, and
//! the exchange's closed kline replaces the partial one.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{mpsc, watch};

use super::{KlinesClients, KlinesError, repair_recent};
use crate::aggregate::IdGap;
use crate::config::{BackfillConfig, Config};
use crate::domain::{Millis, SeriesKey, now_ms};
use crate::ingest::IngestEvent;
use crate::source::StreamStatus;
use crate::store::{CandleSource, ProgressStatus, SeriesProgress, Store};

/// Why a repair should run.
#[derive(Clone, Debug, PartialEq)]
pub enum RepairTrigger {
    Startup,
    /// The stream came back after a loss (or the user asked for a refresh).
    Reconnected,
    Missed(IdGap),
    /// A market added while running (asked for over the bus): its history fetched as at
    /// startup, and its gaps repaired from then on like the others'.
    Added(crate::domain::Symbol),
}

impl RepairTrigger {
    /// The repairs an ingest event calls for: a venue back after a loss, or trades known
    /// missing. `lost` remembers each venue's loss until that venue's next `Connected` (one
    /// venue connecting says nothing of another's hole).
    pub fn from_event(
        ev: &IngestEvent,
        lost: &mut std::collections::BTreeSet<crate::domain::Venue>,
    ) -> Vec<RepairTrigger> {
        match ev {
            IngestEvent::Stream(venue, StreamStatus::Reconnecting { .. }) => {
                lost.insert(*venue);
                Vec::new()
            }
            IngestEvent::Stream(venue, StreamStatus::Connected) if lost.remove(venue) => {
                vec![RepairTrigger::Reconnected]
            }
            IngestEvent::Gaps(gaps) => gaps.iter().map(|g| RepairTrigger::Missed(*g)).collect(),
            _ => Vec::new(),
        }
    }
}

/// How far back a reconnect looks for holes.
pub const RECONNECT_LOOKBACK: Duration = Duration::from_secs(86_400);
/// How often pending partial buckets are checked for having closed.
const PENDING_EVERY: Duration = Duration::from_secs(5);
/// Margin after a bucket's close before its kline is trusted to be final.
const SETTLE_MS: Millis = 2_000;

#[derive(Clone, Debug, Default, Serialize)]
pub struct RepairStatus {
    pub runs: u64,
    pub candles_written: u64,
    pub ranges_failed: u64,
    /// Perps' settled funding rates and open-interest points written from REST.
    pub funding_written: u64,
    pub oi_written: u64,
    pub pending_spans: usize,
    pub last_error: Option<String>,
    pub last_run_ms: Option<Millis>,
}

/// The note on a backfill progress row that stands for a span of missed trades (its candles
/// exist but are partial, so only this row says they need the exchange's klines).
const MISSED_TRADES: &str = "trades missed by the stream";

fn is_missed_span(p: &SeriesProgress) -> bool {
    p.status != ProgressStatus::Done && p.error.as_deref() == Some(MISSED_TRADES)
}

/// Buckets to refetch because trades were missed there: per series, inclusive ranges of
/// open times, merged when they overlap or touch, so a flapping connection costs a few
/// requests rather than one per drop.
#[derive(Default)]
struct Pending(BTreeMap<SeriesKey, Vec<(Millis, Millis)>>);

impl Pending {
    fn add(&mut self, keys: impl Iterator<Item = SeriesKey>, gap: &IdGap) {
        for key in keys {
            let tf = key.timeframe;
            self.add_span(key, (tf.bucket(gap.from), tf.bucket(gap.to)));
        }
    }

    fn add_span(&mut self, key: SeriesKey, span: (Millis, Millis)) {
        let tf = key.timeframe;
        let spans = self.0.entry(key).or_default();
        spans.push(span);
        spans.sort_unstable();
        let mut merged: Vec<(Millis, Millis)> = Vec::with_capacity(spans.len());
        for &(first, last) in spans.iter() {
            match merged.last_mut() {
                Some(m) if first <= m.1 + tf.millis() => m.1 = m.1.max(last),
                _ => merged.push((first, last)),
            }
        }
        *spans = merged;
    }

    fn len(&self) -> usize {
        self.0.values().map(Vec::len).sum()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

pub struct Repairer {
    pub store: Store,
    pub clients: KlinesClients,
    pub series: Vec<SeriesKey>,
    pub config: BackfillConfig,
}

impl Repairer {
    /// Every configured series, with each venue's configured endpoint and limits.
    pub fn from_config(config: &Config, store: Store) -> Result<Repairer, KlinesError> {
        let clients = KlinesClients::from_config(config, None)?;
        Ok(Self::with_clients(config, store, clients))
    }

    /// Like [`Repairer::from_config`] with clients the caller shares (to read their figures).
    pub fn with_clients(config: &Config, store: Store, clients: KlinesClients) -> Repairer {
        Self::for_markets(config, &config.market.symbols, store, clients)
    }

    /// Like [`Repairer::with_clients`] for these markets only (in the config's timeframes).
    pub fn for_markets(
        config: &Config,
        symbols: &[crate::domain::Symbol],
        store: Store,
        clients: KlinesClients,
    ) -> Repairer {
        let market = &config.market;
        let series = symbols
            .iter()
            .flat_map(|&symbol| {
                market
                    .timeframes
                    .iter()
                    .map(move |&timeframe| SeriesKey { symbol, timeframe })
            })
            .collect();
        Repairer {
            store,
            clients,
            series,
            config: config.backfill.clone(),
        }
    }

    /// Runs until shutdown, taking triggers from `rx`; reports through `status`. Shutdown
    /// interrupts a repair in flight: every page is committed with its checkpoint, so nothing
    /// half-written is left and the next run resumes.
    pub async fn run(
        mut self,
        mut rx: mpsc::Receiver<RepairTrigger>,
        mut shutdown: watch::Receiver<bool>,
        status: watch::Sender<RepairStatus>,
    ) {
        let mut pending = self.restore_pending().await;
        let mut tick = tokio::time::interval(PENDING_EVERY);
        loop {
            tokio::select! {
                t = rx.recv() => match t {
                    None => return,
                    Some(RepairTrigger::Missed(gap)) => {
                        self.persist(&gap).await;
                        pending.add(self.keys_of(gap.symbol), &gap);
                    }
                    Some(RepairTrigger::Added(symbol)) => {
                        let added = self.add(symbol);
                        if added.is_empty() {
                            continue;
                        }
                        tokio::select! {
                            _ = self.scan_series(&added, self.startup_lookback(), &status) => {}
                            _ = shutdown.changed() => return,
                        }
                    }
                    Some(t) => tokio::select! {
                        _ = self.scan(&t, &status) => {}
                        _ = shutdown.changed() => return,
                    },
                },
                _ = tick.tick() => {}
                _ = shutdown.changed() => return,
            }
            if !pending.is_empty() {
                tokio::select! {
                    _ = self.refetch_closed(&mut pending, &status) => {}
                    _ = shutdown.changed() => return,
                }
            }
            status.send_modify(|s| s.pending_spans = pending.len());
        }
    }

    /// Runs one trigger to completion (for `collect --once` and tests).
    pub async fn once(&self, trigger: RepairTrigger) -> RepairStatus {
        let (tx, rx) = watch::channel(RepairStatus::default());
        match trigger {
            RepairTrigger::Missed(gap) => {
                let mut p = Pending::default();
                p.add(self.keys_of(gap.symbol), &gap);
                self.refetch_closed(&mut p, &tx).await;
            }
            t => self.scan(&t, &tx).await,
        }
        drop(rx);
        tx.borrow().clone()
    }

    /// Records a missed span as unfinished backfill ranges, so a crash or restart before its
    /// buckets close (or while the exchange refuses) does not forget the partial candles.
    async fn persist(&self, gap: &IdGap) {
        let rows: Vec<SeriesProgress> = self
            .keys_of(gap.symbol)
            .map(|key| {
                let tf = key.timeframe;
                let (first, last) = (tf.bucket(gap.from), tf.bucket(gap.to));
                SeriesProgress {
                    key,
                    range_start: first,
                    range_end: last,
                    position: first,
                    status: ProgressStatus::Pending,
                    error: Some(MISSED_TRADES.into()),
                }
            })
            .collect();
        let saved = self
            .store
            .call(move |b| rows.iter().try_for_each(|p| b.save_progress(p)))
            .await;
        if let Err(e) = saved {
            tracing::warn!(error = %e, "missed span not recorded; it is still repaired this run");
        }
    }

    /// Missed spans recorded by an earlier run and not yet repaired.
    async fn restore_pending(&self) -> Pending {
        let mut pending = Pending::default();
        for &key in &self.series {
            let Ok(rows) = self.store.call(move |b| b.progress(key)).await else {
                continue;
            };
            for p in rows.iter().filter(|p| is_missed_span(p)) {
                pending.add_span(key, (p.range_start, p.range_end));
            }
        }
        pending
    }

    /// Marks the recorded missed spans inside `first..=last` of `key` as repaired.
    async fn settle(&self, key: SeriesKey, first: Millis, last: Millis) {
        let done = self
            .store
            .call(move |b| {
                for mut p in b.progress(key)? {
                    if is_missed_span(&p) && p.range_start >= first && p.range_end <= last {
                        p.status = ProgressStatus::Done;
                        p.position = p.range_end + key.timeframe.millis();
                        p.error = None;
                        b.save_progress(&p)?;
                    }
                }
                Ok(())
            })
            .await;
        if let Err(e) = done {
            tracing::warn!(error = %e, "repaired span not marked done");
        }
    }

    /// The series whose symbol this process repairs: on a shared store each symbol's repair
    /// is one collector's job, so two collectors never fetch the same span.
    async fn leased(&self, keys: &[SeriesKey]) -> Vec<SeriesKey> {
        let mut held: Vec<(crate::domain::Symbol, bool)> = Vec::new();
        let mut out = Vec::new();
        for &key in keys {
            let ok = match held.iter().find(|(s, _)| *s == key.symbol) {
                Some(&(_, ok)) => ok,
                None => {
                    let ok = self.store.lease(format!("repair {}", key.symbol)).await;
                    held.push((key.symbol, ok));
                    ok
                }
            };
            if ok {
                out.push(key);
            }
        }
        out
    }

    fn keys_of(&self, symbol: crate::domain::Symbol) -> impl Iterator<Item = SeriesKey> + '_ {
        self.series
            .iter()
            .copied()
            .filter(move |k| k.symbol == symbol)
    }

    /// `symbol`'s series (in the timeframes the others have) from now on; the new ones.
    fn add(&mut self, symbol: crate::domain::Symbol) -> Vec<SeriesKey> {
        let mut timeframes: Vec<_> = self.series.iter().map(|k| k.timeframe).collect();
        timeframes.sort();
        timeframes.dedup();
        let new: Vec<SeriesKey> = timeframes
            .into_iter()
            .map(|timeframe| SeriesKey { symbol, timeframe })
            .filter(|k| !self.series.contains(k))
            .collect();
        self.series.extend(&new);
        new
    }

    fn startup_lookback(&self) -> Duration {
        Duration::from_secs(self.config.days as u64 * 86_400)
    }

    async fn scan(&self, trigger: &RepairTrigger, status: &watch::Sender<RepairStatus>) {
        let lookback = match trigger {
            RepairTrigger::Startup => self.startup_lookback(),
            _ => RECONNECT_LOOKBACK,
        };
        self.scan_series(&self.series, lookback, status).await;
    }

    /// Repairs the recent `lookback` of these series (and their perps' derivatives).
    async fn scan_series(
        &self,
        keys: &[SeriesKey],
        lookback: Duration,
        status: &watch::Sender<RepairStatus>,
    ) {
        let threshold = self.config.gap_threshold_secs as Millis * 1000;
        let series = self.leased(keys).await;
        let result = repair_recent(
            &self.store,
            &self.clients,
            &series,
            lookback,
            threshold,
            |_| {},
        )
        .await;
        let mut perps: Vec<_> = series.iter().map(|k| k.symbol).collect();
        perps.dedup();
        let derivs = super::derivs::repair_derivs(
            &self.store,
            &self.clients,
            &perps,
            lookback.as_millis() as Millis,
            now_ms(),
        )
        .await;
        status.send_modify(|s| {
            s.runs += 1;
            s.last_run_ms = Some(now_ms());
            s.funding_written += derivs.funding_written;
            s.oi_written += derivs.oi_written;
            match result {
                Ok(sum) => {
                    s.candles_written += sum.candles_written;
                    s.ranges_failed += sum.ranges_failed as u64;
                    s.last_error = sum.failures.first().map(|f| f.to_string());
                }
                Err(e) => s.last_error = Some(e.to_string()),
            }
            if s.last_error.is_none() {
                s.last_error = derivs.failures.first().cloned();
            }
        });
    }

    /// Refetches the pending spans whose last interval has closed. A breaker that is open, a
    /// ban or a rate limit ends the round: every other span would only fail the same way.
    async fn refetch_closed(&self, pending: &mut Pending, status: &watch::Sender<RepairStatus>) {
        let now = now_ms();
        let keys: Vec<SeriesKey> = pending.0.keys().copied().collect();
        let mine = self.leased(&keys).await;
        for (&key, spans) in pending.0.iter_mut() {
            if !mine.contains(&key) {
                // Another collector on this store repairs this symbol; kept, in case it dies.
                continue;
            }
            let tf = key.timeframe;
            let mut still = Vec::new();
            let mut halted = false;
            for &(first, last) in spans.iter() {
                if halted || last + tf.millis() + SETTLE_MS > now {
                    still.push((first, last));
                    continue;
                }
                match self.refetch(key, first, last).await {
                    Ok(n) => {
                        self.settle(key, first, last).await;
                        status.send_modify(|s| s.candles_written += n);
                    }
                    Err((e, halt)) => {
                        tracing::warn!(%key.symbol, %tf, error = %e, "partial candles not repaired yet");
                        status.send_modify(|s| s.last_error = Some(e));
                        still.push((first, last));
                        halted = halt;
                    }
                }
            }
            *spans = still;
            if halted {
                break;
            }
        }
        pending.0.retain(|_, spans| !spans.is_empty());
    }

    /// Err carries the reason and whether further requests should wait for a later round.
    async fn refetch(
        &self,
        key: SeriesKey,
        first: Millis,
        last: Millis,
    ) -> Result<u64, (String, bool)> {
        let Some(client) = self.clients.get(key.symbol.venue()) else {
            return Ok(0);
        };
        let mut from = first;
        let mut written = 0;
        while from <= last {
            let page = client.fetch(key, from, last).await.map_err(|e| {
                let halt = matches!(
                    e,
                    KlinesError::BreakerOpen { .. }
                        | KlinesError::Banned { .. }
                        | KlinesError::RateLimited { .. }
                );
                // The repair runs on, so it can say when the venue is asked again.
                let text = match &e {
                    KlinesError::BreakerOpen { retry_in_secs, .. } => {
                        format!("{e}; next try in {retry_in_secs} s")
                    }
                    _ => e.to_string(),
                };
                (text, halt)
            })?;
            let Some(next) = page.window_end.or(page.last_open) else {
                break;
            };
            written += self
                .store
                .write_klines(key, page.candles, CandleSource::Rest, None)
                .await
                .map_err(|e| (e.to_string(), true))? as u64;
            from = next + key.timeframe.millis();
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Symbol, Timeframe};

    #[test]
    fn each_venue_is_repaired_after_its_own_reconnect() {
        use crate::domain::Venue;
        let mut lost = std::collections::BTreeSet::new();
        let ev = |v, s| IngestEvent::Stream(v, s);
        let down = || StreamStatus::Reconnecting {
            attempt: 1,
            delay: Duration::from_millis(10),
            reason: "eof".into(),
        };
        assert!(RepairTrigger::from_event(&ev(Venue::Kraken, down()), &mut lost).is_empty());
        // Another venue connecting is not Kraken coming back.
        let other = ev(Venue::Okx, StreamStatus::Connected);
        assert!(RepairTrigger::from_event(&other, &mut lost).is_empty());
        let back = ev(Venue::Kraken, StreamStatus::Connected);
        assert_eq!(
            RepairTrigger::from_event(&back, &mut lost),
            vec![RepairTrigger::Reconnected]
        );
        assert!(
            RepairTrigger::from_event(&back, &mut lost).is_empty(),
            "once"
        );
    }

    #[test]
    fn missed_spans_merge_per_series() {
        let symbol = Symbol::new("BTCUSDT").unwrap();
        let keys = [Timeframe::M1, Timeframe::H1].map(|timeframe| SeriesKey { symbol, timeframe });
        let gap = |from: Millis, to: Millis| IdGap {
            symbol,
            after_id: 0,
            before_id: 0,
            from,
            to,
        };
        let mut p = Pending::default();
        p.add(keys.into_iter(), &gap(60_000, 125_000)); // minutes 1..=2
        p.add(keys.into_iter(), &gap(185_000, 190_000)); // minute 3: touches
        p.add(keys.into_iter(), &gap(600_000, 610_000)); // minute 10: apart
        assert_eq!(p.0[&keys[0]], vec![(60_000, 180_000), (600_000, 600_000)]);
        assert_eq!(p.0[&keys[1]], vec![(0, 0)], "one hour bucket for all of it");
        assert_eq!(p.len(), 3);
    }
}
