use serde::Serialize;

use super::StoreError;
use crate::domain::{ArmState, Channel, Firing};
use crate::domain::{Candle, Listing, Millis, NewsItem, Precision, SeriesKey, Symbol, Venue};
use crate::domain::{DerivSample, DerivUpdate, FundingRate, Liquidation, PositionSide, Price, Qty};

/// An alert rule made from the dashboard, as stored (checked again when loaded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRule {
    pub name: String,
    pub symbol: Option<String>,
    pub timeframe: String,
    pub when: String,
    pub repeat: String,
    pub rearm_secs: u64,
    /// Channel names, comma-separated.
    pub notify: String,
    pub enabled: bool,
}

/// A firing still owed to one channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingDelivery {
    pub firing: Firing,
    pub channel: Channel,
    pub attempts: u32,
}

/// Where a candle came from; REST klines never clobber a fresher live candle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CandleSource {
    Live,
    Rest,
    Import,
    Demo,
}

impl CandleSource {
    pub fn parse(s: &str) -> Option<CandleSource> {
        Some(match s {
            "live" => CandleSource::Live,
            "rest" => CandleSource::Rest,
            "import" => CandleSource::Import,
            "demo" => CandleSource::Demo,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CandleSource::Live => "live",
            CandleSource::Rest => "rest",
            CandleSource::Import => "import",
            CandleSource::Demo => "demo",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProgressStatus {
    Pending,
    Running,
    Done,
    Failed,
}

impl ProgressStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProgressStatus::Pending => "pending",
            ProgressStatus::Running => "running",
            ProgressStatus::Done => "done",
            ProgressStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> ProgressStatus {
        match s {
            "running" => ProgressStatus::Running,
            "done" => ProgressStatus::Done,
            "failed" => ProgressStatus::Failed,
            _ => ProgressStatus::Pending,
        }
    }
}

/// One backfill range of one series and how far it got: `position` is the first open time
/// not yet fetched, so a resumed run starts there.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SeriesProgress {
    pub key: SeriesKey,
    pub range_start: Millis,
    pub range_end: Millis,
    pub position: Millis,
    pub status: ProgressStatus,
    pub error: Option<String>,
}

/// Conditional-GET validators remembered per feed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FeedState {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct StoreStats {
    pub file_bytes: u64,
    /// Candles in both tiers.
    pub candles: u64,
    pub hot_candles: u64,
    pub cold_candles: u64,
    /// Bytes on disk per tier (table and index pages), when SQLite can tell.
    pub hot_bytes: Option<u64>,
    pub cold_bytes: Option<u64>,
    pub series: u64,
    pub news: u64,
}

/// What one tiering step did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TierStep {
    /// Hot candles packed into the cold tier.
    pub moved: u64,
    /// Candles deleted for being past the cold window.
    pub deleted: u64,
    /// Whether another step would find more work.
    pub more: bool,
}

/// What the store thread needs from a database, split by concern. SQLite and PostgreSQL
/// implement every part and pass one conformance suite (`tests/store_conformance.rs`); names
/// and errors say nothing of either.
pub trait Backend:
    CandleStore
    + ProgressStore
    + NewsStore
    + AlertStore
    + MarketsStore
    + DerivStore
    + super::ledger::LedgerStore
    + Maintenance
    + Transfer
    + Send
{
}

impl<T> Backend for T where
    T: CandleStore
        + ProgressStore
        + NewsStore
        + AlertStore
        + MarketsStore
        + DerivStore
        + super::ledger::LedgerStore
        + Maintenance
        + Transfer
        + Send
{
}

/// Perpetual futures' history besides candles: each perp's state minute by minute, funding
/// rates by settlement, and liquidations.
pub trait DerivStore {
    /// Keeps each sample; one of a market and minute already held takes the fields the new one
    /// carries and keeps the rest (a REST open-interest point does not blank a live minute).
    fn put_deriv_samples(&mut self, samples: &[DerivSample]) -> Result<(), StoreError>;
    /// Keeps each rate by settlement; a settled rate replaces a predicted one, never the
    /// other way round.
    fn put_funding(&mut self, rates: &[FundingRate]) -> Result<(), StoreError>;
    /// Keeps each liquidation once (the same one sent twice is one); returns how many were new.
    fn put_liquidations(&mut self, rows: &[Liquidation]) -> Result<usize, StoreError>;
    /// Samples of `symbol` with minutes in `from..=to`, oldest first.
    fn deriv_samples(
        &mut self,
        symbol: Symbol,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<DerivSample>, StoreError>;
    /// Rates of `symbol` with settlements in `from..=to`, oldest first.
    fn funding(
        &mut self,
        symbol: Symbol,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<FundingRate>, StoreError>;
    /// Liquidations of `symbol` in `from..=to`, oldest first.
    fn liquidations(
        &mut self,
        symbol: Symbol,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<Liquidation>, StoreError>;
}

/// A stored sample's columns, as both backends read them back: decimal text or absent.
pub struct SampleRow {
    pub minute: Millis,
    pub time: Millis,
    pub mark: Option<String>,
    pub index: Option<String>,
    pub funding_rate: Option<String>,
    pub next_funding: Option<Millis>,
    pub funding_interval_hours: Option<i64>,
    pub open_interest: Option<String>,
    pub open_interest_quote: Option<String>,
}

impl SampleRow {
    /// The columns of `s` to write.
    pub fn of(s: &DerivSample) -> SampleRow {
        let u = &s.update;
        SampleRow {
            minute: s.minute,
            time: u.time,
            mark: u.mark.map(|v| v.to_string()),
            index: u.index.map(|v| v.to_string()),
            funding_rate: u.funding_rate.map(|v| v.to_string()),
            next_funding: u.next_funding,
            funding_interval_hours: u.funding_interval_hours.map(i64::from),
            open_interest: u.open_interest.map(|v| v.to_string()),
            open_interest_quote: u.open_interest_quote.map(|v| v.to_string()),
        }
    }

    /// The sample back; a column that no longer reads as its type is a corrupt row.
    pub fn sample(self, symbol: Symbol) -> Result<DerivSample, StoreError> {
        fn dec<const S: u32>(
            v: Option<String>,
        ) -> Result<Option<crate::domain::Fixed<S>>, StoreError> {
            v.map(|t| {
                crate::domain::Fixed::<S>::parse(&t)
                    .map_err(|e| StoreError::Query(format!("a stored derivatives sample: {e}")))
            })
            .transpose()
        }
        let mut u = DerivUpdate::new(symbol, self.time);
        u.mark = dec(self.mark)?;
        u.index = dec(self.index)?;
        u.funding_rate = dec(self.funding_rate)?;
        u.next_funding = self.next_funding;
        u.funding_interval_hours = self
            .funding_interval_hours
            .and_then(|h| u16::try_from(h).ok());
        u.open_interest = dec(self.open_interest)?;
        u.open_interest_quote = dec(self.open_interest_quote)?;
        Ok(DerivSample {
            minute: self.minute,
            update: u,
        })
    }
}

/// Liquidations in the order both backends give them: by time, then side, price and size as
/// numbers (text order would put "10" before "9.5").
pub fn in_order(mut rows: Vec<Liquidation>) -> Vec<Liquidation> {
    rows.sort_by_key(|l| (l.time, l.side, l.price, l.qty));
    rows
}

/// A liquidation's columns back: side, price, qty as stored.
pub fn liquidation_of(
    symbol: Symbol,
    time: Millis,
    side: &str,
    price: &str,
    qty: &str,
    sampled: bool,
) -> Result<Liquidation, StoreError> {
    let corrupt = |what: String| StoreError::Query(format!("a stored liquidation: {what}"));
    Ok(Liquidation {
        symbol,
        time,
        side: PositionSide::parse(side).ok_or_else(|| corrupt(format!("side {side:?}")))?,
        price: Price::parse(price).map_err(|e| corrupt(e.to_string()))?,
        qty: Qty::parse(qty).map_err(|e| corrupt(e.to_string()))?,
        sampled,
    })
}

/// The markets the venues list (a cache, so the dashboard's search works offline) and the
/// markets a user added to the watchlist from the dashboard.
pub trait MarketsStore {
    /// Replaces `venue`'s list with `markets`, fetched at `at`, in one transaction.
    fn put_instruments(
        &mut self,
        venue: Venue,
        markets: &[Listing],
        at: Millis,
    ) -> Result<(), StoreError>;
    /// Every listed market (sorted), and when each venue's list was fetched.
    fn instruments(&mut self) -> Result<MarketLists, StoreError>;
    /// The added markets, in the order shown.
    fn watchlist(&mut self) -> Result<Vec<Symbol>, StoreError>;
    /// Replaces the added markets, in this order.
    fn set_watchlist(&mut self, symbols: &[Symbol]) -> Result<(), StoreError>;
}

/// The venues' market lists as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MarketLists {
    /// Every listed market with its precision, sorted by symbol.
    pub markets: Vec<Listing>,
    /// When each venue's list was fetched.
    pub fetched: Vec<(Venue, Millis)>,
}

/// Reads stored market names back; a name this build cannot read (a venue it does not know)
/// is skipped rather than failing the whole list.
pub fn parse_symbols<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<Symbol> {
    names
        .into_iter()
        .filter_map(|s| Symbol::new(s).ok())
        .collect()
}

/// A stored sentiment from its columns, the same on every backend: none without a compound;
/// an unknown or missing scorer reads as VADER (rows from before the model), a missing label
/// as VADER's own convention on the compound.
pub fn stored_sentiment(
    compound: Option<f64>,
    [pos, neu, neg]: [f64; 3],
    label: Option<&str>,
    scorer: Option<&str>,
) -> Option<crate::domain::Sentiment> {
    let compound = compound?;
    Some(crate::domain::Sentiment {
        compound,
        pos,
        neu,
        neg,
        label: label
            .and_then(crate::domain::Label::parse)
            .unwrap_or_else(|| crate::domain::Label::from_compound(compound)),
        scorer: scorer
            .and_then(crate::domain::Scorer::parse)
            .unwrap_or(crate::domain::Scorer::Vader),
    })
}

/// A stored series' key from its columns; None for a venue or timeframe this build does not
/// know (skipped, as [`parse_symbols`] skips names).
pub fn series_key(venue: &str, symbol: &str, timeframe: &str) -> Option<SeriesKey> {
    let symbol = Venue::parse(venue).and_then(|v| Symbol::on(v, symbol.as_bytes()))?;
    let timeframe = crate::domain::Timeframe::parse(timeframe).ok()?;
    Some(SeriesKey { symbol, timeframe })
}

/// The statements that mend hot rows written before values could be absent: the rule of
/// [`Candle::mend_stored_zeros`] in SQL both backends run (the cold chunks are mended by
/// [`super::cold::mend_chunk`]).
pub fn mend_stored_zeros_sql() -> [String; 2] {
    let names = |lacks: fn(Venue) -> bool| {
        let names: Vec<String> = Venue::EXCHANGES
            .into_iter()
            .filter(|v| lacks(*v))
            .map(|v| format!("'{}'", v.name()))
            .collect();
        names.join(", ")
    };
    let series = |lacks| {
        format!(
            "series_id IN (SELECT id FROM series WHERE exchange IN ({}))",
            names(lacks)
        )
    };
    [
        format!(
            "UPDATE candles SET quote_volume = NULL WHERE quote_volume = '0' AND volume <> '0' AND {}",
            series(Venue::klines_lack_quote_volume)
        ),
        format!(
            "UPDATE candles SET trades = NULL WHERE trades = 0 AND volume <> '0' AND {}",
            series(Venue::klines_lack_trades)
        ),
    ]
}

/// One stored candle's columns, in `CANDLE_COLS` order, as both backends read them.
pub struct CandleColumns<'a> {
    pub open_time: Millis,
    /// Open, high, low, close as scaled integers.
    pub ohlc: [i64; 4],
    pub volume: &'a str,
    /// `None`: the source did not give it (SQL NULL).
    pub quote_volume: Option<&'a str>,
    pub trades: Option<i64>,
    pub closed: bool,
    pub first_trade_id: Option<i64>,
    pub last_trade_id: Option<i64>,
}

impl CandleColumns<'_> {
    /// The candle; a volume that does not parse is `Err((column index, what is wrong))`.
    pub fn candle(self) -> Result<Candle, (usize, String)> {
        use crate::domain::{Price, Qty, Quote};
        let volume = Qty::parse(self.volume).map_err(|e| (5, e.to_string()))?;
        let quote_volume = match self.quote_volume {
            Some(q) => Some(Quote::parse(q).map_err(|e| (6, e.to_string()))?),
            None => None,
        };
        let [open, high, low, close] = self.ohlc.map(|p| Price::from_raw(p as i128));
        Ok(Candle {
            open_time: self.open_time,
            open,
            high,
            low,
            close,
            volume,
            quote_volume,
            trades: self.trades.map(|n| n.max(0) as u64),
            closed: self.closed,
            first_trade_id: self.first_trade_id,
            last_trade_id: self.last_trade_id,
        })
    }
}

/// Reads stored markets back, as [`parse_symbols`] does their names.
pub fn parse_listings(rows: impl IntoIterator<Item = (String, Precision)>) -> Vec<Listing> {
    rows.into_iter()
        .filter_map(|(name, precision)| {
            Some(Listing {
                symbol: Symbol::new(&name).ok()?,
                precision,
            })
        })
        .collect()
}

/// Candles: written under the guards (a thinner live view never replaces a fuller one; a
/// closed kline from the exchange always wins), read across both tiers.
pub trait CandleStore {
    /// Upserts live/demo/import candles in one transaction.
    fn upsert_candles(
        &mut self,
        rows: &[(SeriesKey, Candle)],
        source: CandleSource,
    ) -> Result<(), StoreError>;
    /// Writes klines (never replacing a stored candle that has more trades while the kline is
    /// still open) and the checkpoint, in one transaction. Returns rows written.
    fn write_klines(
        &mut self,
        key: SeriesKey,
        candles: &[Candle],
        source: CandleSource,
        progress: Option<&SeriesProgress>,
    ) -> Result<usize, StoreError>;
    /// Candles with `from <= open_time <= to`, ascending.
    fn candles(
        &mut self,
        key: SeriesKey,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<Candle>, StoreError>;
    /// The closes of the candles with `from <= open_time <= to`, ascending: what a
    /// valuation reads, without the rest of each candle where the backend can skip it.
    fn closes(
        &mut self,
        key: SeriesKey,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<(Millis, Price)>, StoreError> {
        let candles = self.candles(key, from, to)?;
        Ok(candles.iter().map(|c| (c.open_time, c.close)).collect())
    }
    /// The newest `n` candles with `open_time <= before`, ascending.
    fn candles_before(
        &mut self,
        key: SeriesKey,
        before: Millis,
        n: usize,
    ) -> Result<Vec<Candle>, StoreError>;
    fn open_times(
        &mut self,
        key: SeriesKey,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<Millis>, StoreError>;
    fn series_keys(&mut self) -> Result<Vec<SeriesKey>, StoreError>;
    /// When a streaming process (a collector, live or demo) last wrote one of the series'
    /// newest candles: what a dashboard attached to the store knows of its liveness.
    fn last_live_write(&mut self, key: SeriesKey) -> Result<Option<Millis>, StoreError>;
}

/// Backfill checkpoints, so an interrupted backfill resumes where it stopped.
pub trait ProgressStore {
    fn progress(&mut self, key: SeriesKey) -> Result<Vec<SeriesProgress>, StoreError>;
    fn save_progress(&mut self, p: &SeriesProgress) -> Result<(), StoreError>;
}

/// News items (each stored once, by id) and the feeds' conditional-GET validators.
pub trait NewsStore {
    /// Inserts items not yet stored (by id); returns how many were new.
    fn insert_news(&mut self, items: &[NewsItem]) -> Result<usize, StoreError>;
    /// Newest first; `coin` filters by ticker.
    fn recent_news(
        &mut self,
        limit: usize,
        coin: Option<&str>,
    ) -> Result<Vec<NewsItem>, StoreError>;
    fn news_ids(&mut self, ids: &[String]) -> Result<Vec<String>, StoreError>;
    /// Deletes news published before `before`, then all but the newest `keep` items; returns
    /// how many were deleted.
    fn prune_news(&mut self, before: Millis, keep: usize) -> Result<usize, StoreError>;
    /// The validators to send with the next fetch of `url`: none once no item of that feed is
    /// stored any more (pruned, cleared), since a 304 would then leave nothing to show.
    fn feed_state(&mut self, url: &str) -> Result<FeedState, StoreError>;
    fn save_feed_state(&mut self, url: &str, state: &FeedState) -> Result<(), StoreError>;
}

/// Alert rules made from the dashboard, each rule's armed state, every firing (recorded
/// once) and its deliveries per channel.
pub trait AlertStore {
    /// Records a firing, the channels it is owed to and its rule's state after it, in one
    /// transaction; false when a firing with this id was already recorded (then nothing
    /// changes and nothing is owed again).
    fn record_firing(
        &mut self,
        f: &Firing,
        channels: &[Channel],
        state: ArmState,
    ) -> Result<bool, StoreError>;
    fn save_alert_state(&mut self, name: &str, state: ArmState) -> Result<(), StoreError>;
    fn alert_states(&mut self) -> Result<Vec<(String, ArmState)>, StoreError>;
    /// Deliveries not yet done (on `channel`, or on any), oldest firing first.
    fn pending_deliveries(
        &mut self,
        channel: Option<Channel>,
        limit: usize,
    ) -> Result<Vec<PendingDelivery>, StoreError>;
    /// One delivery attempt's outcome: done (`error` None) or failed once more.
    fn delivery_result(
        &mut self,
        firing_id: &str,
        channel: Channel,
        error: Option<&str>,
    ) -> Result<(), StoreError>;
    /// Recorded firings whose trigger time lies in `from..=to`, oldest first.
    fn firings(&mut self, from: Millis, to: Millis) -> Result<Vec<Firing>, StoreError>;
    fn last_firing(&mut self, alert: &str) -> Result<Option<Firing>, StoreError>;
    /// Rules made from the dashboard, oldest first.
    fn stored_rules(&mut self) -> Result<Vec<StoredRule>, StoreError>;
    /// Inserts or replaces (by name).
    fn save_rule(&mut self, rule: &StoredRule) -> Result<(), StoreError>;
    fn delete_rule(&mut self, name: &str) -> Result<(), StoreError>;
}

/// Keeping the store: sizes, tiering and retention, the jobs that run once per store, and
/// a health check.
pub trait Maintenance {
    fn stats(&mut self) -> Result<StoreStats, StoreError>;
    /// One bounded step of tiering for one series: packs at most one chunk of hot candles
    /// older than `hot_before` into the cold tier, or deletes what is older than
    /// `delete_before`. One transaction, so the store stays responsive between steps.
    fn tier_step(
        &mut self,
        key: SeriesKey,
        hot_before: Millis,
        delete_before: Option<Millis>,
    ) -> Result<TierStep, StoreError>;
    /// Whether this process may run the job named `job` now: jobs that must run once per
    /// store (tiering, news polling, alert delivery, one symbol's gap repair). A SQLite store
    /// has one writer (the data dir's lock), so it always may. A shared store grants each job
    /// to one process at a time and frees it when that process dies.
    fn lease(&mut self, job: &str) -> Result<bool, StoreError> {
        let _ = job;
        Ok(true)
    }
    /// Deletes every candle, news item and checkpoint (the demo database starts fresh each run).
    fn clear(&mut self) -> Result<(), StoreError>;
    /// Checks the stored data is readable and consistent; Ok(problems), empty when healthy.
    fn integrity_check(&mut self) -> Result<Vec<String>, StoreError>;
}

/// A packed cold chunk as stored: the same bytes on every backend (see `store/cold.rs`), so a
/// copy is exact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColdChunk {
    pub chunk_start: Millis,
    pub first_open: Millis,
    pub last_open: Millis,
    pub count: u64,
    pub data: Vec<u8>,
}

impl ColdChunk {
    /// The candles it packs (without trade ids: the cold tier drops them).
    pub fn candles(&self, tf: crate::domain::Timeframe) -> Result<Vec<Candle>, StoreError> {
        let mut out = Vec::with_capacity(self.count as usize);
        super::cold::decode_chunk(tf, self.first_open, &self.data, &mut out)?;
        Ok(out)
    }
}

/// One firing's delivery to one channel, as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryRecord {
    pub firing_id: String,
    pub channel: String,
    pub delivered_at: Option<Millis>,
    pub attempts: u32,
    pub last_error: Option<String>,
}

/// Copying a whole store into another (`migrate --to`), tier for tier and record for record.
pub trait Transfer {
    /// Every hot candle of a series with where it came from, ascending.
    fn hot_candles(&mut self, key: SeriesKey) -> Result<Vec<(Candle, CandleSource)>, StoreError>;
    fn cold_chunks(&mut self, key: SeriesKey) -> Result<Vec<ColdChunk>, StoreError>;
    /// The starts of a series' cold chunks, ascending, without their data (what a copy into
    /// this store needs to know of them).
    fn cold_chunk_starts(&mut self, key: SeriesKey) -> Result<Vec<Millis>, StoreError>;
    /// Stores the chunks this store does not hold yet (by series and chunk start), in one
    /// transaction; returns how many were new.
    fn put_cold_chunks(
        &mut self,
        key: SeriesKey,
        chunks: &[ColdChunk],
    ) -> Result<usize, StoreError>;
    /// Every backfill checkpoint of every series.
    fn all_progress(&mut self) -> Result<Vec<SeriesProgress>, StoreError>;
    fn feed_states(&mut self) -> Result<Vec<(String, FeedState)>, StoreError>;
    fn deliveries(&mut self) -> Result<Vec<DeliveryRecord>, StoreError>;
    /// Records a firing with its deliveries as they stand, in one transaction; false when the
    /// firing was already recorded (then nothing changes).
    fn put_firing(&mut self, f: &Firing, deliveries: &[DeliveryRecord])
    -> Result<bool, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Label, Scorer};

    #[test]
    fn stored_sentiment_reads_old_rows_as_they_were_scored() {
        assert_eq!(
            stored_sentiment(None, [0.0; 3], Some("positive"), None),
            None
        );
        let old = stored_sentiment(Some(-0.2), [0.1, 0.6, 0.3], None, None).unwrap();
        assert_eq!((old.label, old.scorer), (Label::Negative, Scorer::Vader));
        let model = stored_sentiment(
            Some(0.01),
            [0.3, 0.4, 0.3],
            Some("positive"),
            Some("cryptoviz-headlines-1"),
        )
        .unwrap();
        assert_eq!(
            (model.label, model.scorer),
            (Label::Positive, Scorer::Headlines)
        );
        assert_eq!((model.pos, model.neu, model.neg), (0.3, 0.4, 0.3));
    }
}
