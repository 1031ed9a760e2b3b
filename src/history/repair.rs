//! Keeping the live history whole: gap repair at start-up, after every reconnect of the
//! stream, and for every span of trades the stream is known to have missed.
//!
//! Start-up and reconnects scan stored open times for holes (the backfill runner). A span of
//! missing trade ids is subtler: the candles on either side of it exist but are partial, so
//! the scan cannot see them. Those buckets are refetched outright once they have closed, and
//! the exchange's closed kline replaces the partial one.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{mpsc, watch};

use super::{KlinesClient, KlinesConfig, KlinesError, repair_recent};
use crate::aggregate::IdGap;
use crate::config::{BackfillConfig, Config};
use crate::domain::{Millis, SeriesKey, Timeframe, now_ms};
use crate::ingest::IngestEvent;
use crate::source::StreamStatus;
use crate::store::{CandleSource, Store};

/// Why a repair should run.
#[derive(Clone, Debug, PartialEq)]
pub enum RepairTrigger {
    Startup,
    /// The stream came back after a loss (or the user asked for a refresh).
    Reconnected,
    Missed(IdGap),
}

impl RepairTrigger {
    /// The repairs an ingest event calls for: a reconnect after a loss, or trades known
    /// missing. `lost` remembers a loss until the next `Connected`.
    pub fn from_event(ev: &IngestEvent, lost: &mut bool) -> Vec<RepairTrigger> {
        match ev {
            IngestEvent::Stream(StreamStatus::Reconnecting { .. }) => {
                *lost = true;
                Vec::new()
            }
            IngestEvent::Stream(StreamStatus::Connected) if *lost => {
                *lost = false;
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
    pub pending_spans: usize,
    pub last_error: Option<String>,
    pub last_run_ms: Option<Millis>,
}

/// One missed span, per timeframe still to refetch.
struct Pending {
    gap: IdGap,
    left: Vec<Timeframe>,
}

pub struct Repairer {
    pub store: Store,
    pub client: Arc<KlinesClient>,
    pub series: Vec<SeriesKey>,
    pub config: BackfillConfig,
}

impl Repairer {
    /// Every configured series, with the configured klines endpoint and limits.
    pub fn from_config(config: &Config, store: Store) -> Result<Repairer, KlinesError> {
        let client = KlinesClient::new(KlinesConfig::from_config(config))?;
        Ok(Self::with_client(config, store, Arc::new(client)))
    }

    /// Like [`Repairer::from_config`] with a client the caller shares (to read its figures).
    pub fn with_client(config: &Config, store: Store, client: Arc<KlinesClient>) -> Repairer {
        let market = &config.market;
        let series = market
            .symbols
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
            client,
            series,
            config: config.backfill.clone(),
        }
    }

    /// Runs until shutdown, taking triggers from `rx`; reports through `status`. Shutdown
    /// interrupts a repair in flight: every page is committed with its checkpoint, so nothing
    /// half-written is left and the next run resumes.
    pub async fn run(
        self,
        mut rx: mpsc::Receiver<RepairTrigger>,
        mut shutdown: watch::Receiver<bool>,
        status: watch::Sender<RepairStatus>,
    ) {
        let mut pending: Vec<Pending> = Vec::new();
        let mut tick = tokio::time::interval(PENDING_EVERY);
        loop {
            tokio::select! {
                t = rx.recv() => match t {
                    None => return,
                    Some(RepairTrigger::Missed(gap)) => pending.push(Pending {
                        gap,
                        left: self.timeframes_of(gap.symbol),
                    }),
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
                let mut p = vec![Pending {
                    gap,
                    left: self.timeframes_of(gap.symbol),
                }];
                self.refetch_closed(&mut p, &tx).await;
            }
            t => self.scan(&t, &tx).await,
        }
        drop(rx);
        tx.borrow().clone()
    }

    fn timeframes_of(&self, symbol: crate::domain::Symbol) -> Vec<Timeframe> {
        self.series
            .iter()
            .filter(|k| k.symbol == symbol)
            .map(|k| k.timeframe)
            .collect()
    }

    async fn scan(&self, trigger: &RepairTrigger, status: &watch::Sender<RepairStatus>) {
        let lookback = match trigger {
            RepairTrigger::Startup => Duration::from_secs(self.config.days as u64 * 86_400),
            _ => RECONNECT_LOOKBACK,
        };
        let threshold = self.config.gap_threshold_secs as Millis * 1000;
        let result = repair_recent(
            &self.store,
            &self.client,
            &self.series,
            lookback,
            threshold,
            |_| {},
        )
        .await;
        status.send_modify(|s| {
            s.runs += 1;
            s.last_run_ms = Some(now_ms());
            match result {
                Ok(sum) => {
                    s.candles_written += sum.candles_written;
                    s.ranges_failed += sum.ranges_failed as u64;
                    s.last_error = sum.failures.first().map(|f| f.to_string());
                }
                Err(e) => s.last_error = Some(e.to_string()),
            }
        });
    }

    /// Refetches the buckets around each missed span whose interval has closed.
    async fn refetch_closed(
        &self,
        pending: &mut Vec<Pending>,
        status: &watch::Sender<RepairStatus>,
    ) {
        let now = now_ms();
        for p in pending.iter_mut() {
            let mut still = Vec::new();
            for &tf in &p.left {
                let first = tf.bucket(p.gap.from);
                let last = tf.bucket(p.gap.to);
                if last + tf.millis() + SETTLE_MS > now {
                    still.push(tf);
                    continue;
                }
                let key = SeriesKey {
                    symbol: p.gap.symbol,
                    timeframe: tf,
                };
                match self.refetch(key, first, last).await {
                    Ok(n) => status.send_modify(|s| s.candles_written += n),
                    Err(e) => {
                        tracing::warn!(%key.symbol, %tf, error = %e, "partial candles not repaired yet");
                        status.send_modify(|s| s.last_error = Some(e.clone()));
                        still.push(tf);
                    }
                }
            }
            p.left = still;
        }
        pending.retain(|p| !p.left.is_empty());
    }

    async fn refetch(&self, key: SeriesKey, first: Millis, last: Millis) -> Result<u64, String> {
        let mut from = first;
        let mut written = 0;
        while from <= last {
            let page = self
                .client
                .fetch(key, from, last)
                .await
                .map_err(|e| e.to_string())?;
            let Some(next) = page.last_open else { break };
            written += self
                .store
                .write_klines(key, page.candles, CandleSource::Rest, None)
                .await
                .map_err(|e| e.to_string())? as u64;
            from = next + key.timeframe.millis();
        }
        Ok(written)
    }
}
