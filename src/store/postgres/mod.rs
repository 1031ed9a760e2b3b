//! The PostgreSQL backend: the same tables and guards as SQLite, for several collectors and
//! dashboards on one server. The guards live in SQL (`ON CONFLICT … DO UPDATE … WHERE`), so
//! candles stay exact whichever collector writes first. Every statement is parameterised.
//!
//! Driver: the blocking `postgres` crate (tokio-postgres underneath). The store already owns
//! one thread per database, which suits a blocking client; an async pool (sqlx) would add a
//! large dependency tree for no gain here.

mod alerts;
mod candles;
mod connect;
mod derivatives;
mod ledger;
mod maintenance;
mod markets;
mod migrations;
mod news;
mod transfer;

use std::collections::{HashMap, HashSet};

use postgres::{Client, Row};

pub use connect::{Target, reason};
pub use migrations::LATEST;

use super::backend::{
    AlertStore, CandleColumns, CandleSource, CandleStore, ColdChunk, DeliveryRecord, FeedState,
    Maintenance, MarketLists, MarketsStore, NewsStore, PendingDelivery, ProgressStatus,
    ProgressStore, SeriesProgress, StoreStats, StoredRule, TierStep, Transfer, parse_listings,
    parse_symbols, series_key, stored_sentiment,
};
use super::{StoreError, cold};
use crate::domain::{ArmState, Channel, Firing};
use crate::domain::{
    Candle, Listing, Millis, NewsItem, Precision, Price, Sentiment, SeriesKey, Symbol, Timeframe,
    Venue, now_ms,
};

/// The channel every committed candle write is announced on; attached dashboards LISTEN.
pub const CHANNEL: &str = "cryptoviz_candles";

pub struct PostgresBackend {
    client: Client,
    series: HashMap<SeriesKey, i64>,
    target: Target,
    read_only: bool,
    /// Jobs whose advisory lock this connection holds (they go with the connection).
    leases: HashSet<String>,
    /// The last failed reconnect, while the server is away.
    down: Option<Down>,
}

struct Down {
    since: std::time::Instant,
    pause: std::time::Duration,
    error: StoreError,
}

const RECONNECT_FIRST: std::time::Duration = std::time::Duration::from_millis(250);
const RECONNECT_MAX: std::time::Duration = std::time::Duration::from_secs(5);

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        StoreError::Query(connect::reason(&e))
    }
}

const CANDLE_COLS: &str = "open_time, open, high, low, close, volume, quote_volume, trades, \
    closed, first_trade_id, last_trade_id";

/// One statement for a whole batch: the rows arrive as arrays and are unnested, so a batch
/// costs one round trip however many rows it has.
const UPSERT: &str = "INSERT INTO candles AS c (series_id, open_time, open, high, low, close, \
    volume, quote_volume, trades, closed, first_trade_id, last_trade_id, source, updated_at) \
    SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], \
    $6::bigint[], $7::text[], $8::text[], $9::bigint[], $10::bool[], $11::bigint[], $12::bigint[], \
    $13::text[], $14::bigint[]) \
    ON CONFLICT (series_id, open_time) DO UPDATE SET open = excluded.open, high = excluded.high, \
    low = excluded.low, close = excluded.close, volume = excluded.volume, \
    quote_volume = excluded.quote_volume, trades = excluded.trades, closed = excluded.closed, \
    first_trade_id = excluded.first_trade_id, last_trade_id = excluded.last_trade_id, \
    source = excluded.source, updated_at = excluded.updated_at";

/// The same guards as SQLite's: a live view with fewer trades never replaces a fuller one; a
/// closed kline from the exchange is authoritative.
/// An absent count compares as 0, as it was stored before it could be absent.
const LIVE_GUARD: &str = " WHERE coalesce(excluded.trades, 0) >= coalesce(c.trades, 0)";
const KLINE_GUARD: &str =
    " WHERE excluded.closed OR coalesce(excluded.trades, 0) >= coalesce(c.trades, 0)";

impl PostgresBackend {
    /// Connects and brings the schema up to date (a collector, `import`, `backfill`...).
    pub fn open(target: &Target) -> Result<Self, StoreError> {
        let mut client = target.connect()?;
        migrations::migrate(&mut client).map_err(|source| StoreError::Migrate {
            store: target.shown.clone(),
            source,
        })?;
        Ok(Self::with_client(client, target))
    }

    /// Connects without writing anything, for a role that may only SELECT and LISTEN: the
    /// schema must already be this build's.
    pub fn open_read_only(target: &Target) -> Result<Self, StoreError> {
        let mut client = target.connect()?;
        let found = migrations::current(&mut client).map_err(|source| StoreError::Migrate {
            store: target.shown.clone(),
            source,
        })?;
        if found != LATEST {
            return Err(StoreError::Open {
                store: target.shown.clone(),
                detail: format!(
                    "schema version {found}, this cryptoviz reads {LATEST}; let a collector upgrade it first"
                ),
            });
        }
        let mut backend = Self::with_client(client, target);
        backend.read_only = true;
        backend.session_setup()?;
        Ok(backend)
    }

    fn with_client(client: Client, target: &Target) -> Self {
        PostgresBackend {
            client,
            series: HashMap::new(),
            target: target.clone(),
            read_only: false,
            leases: HashSet::new(),
            down: None,
        }
    }

    fn session_setup(&mut self) -> Result<(), StoreError> {
        if self.read_only {
            self.client
                .batch_execute("SET default_transaction_read_only = on")?;
        }
        Ok(())
    }

    /// The connection, made anew when the last one died (the server restarted, the network
    /// dropped). While the server stays away, attempts are spaced by a growing pause and every
    /// call in between fails at once with the last reason: the callers (writes held for retry,
    /// leases, reads) keep their pace without each costing the server a connection.
    fn conn(&mut self) -> Result<&mut Client, StoreError> {
        if self.client.is_closed() {
            if let Some(down) = &self.down
                && down.since.elapsed() < down.pause
            {
                return Err(down.error.clone());
            }
            match self.target.connect() {
                Ok(client) => {
                    self.client = client;
                    self.down = None;
                }
                Err(e) => {
                    let pause = self
                        .down
                        .as_ref()
                        .map_or(RECONNECT_FIRST, |d| (d.pause * 2).min(RECONNECT_MAX));
                    self.down = Some(Down {
                        since: std::time::Instant::now(),
                        pause,
                        error: e.clone(),
                    });
                    return Err(e);
                }
            }
            // The old session's advisory locks died with it; another process may hold them now.
            self.leases.clear();
            self.session_setup()?;
            tracing::info!(store = %self.target.shown, "reconnected to PostgreSQL");
        }
        Ok(&mut self.client)
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    fn series_id(&mut self, key: SeriesKey) -> Result<i64, StoreError> {
        if let Some(id) = self.existing_series_id(key)? {
            return Ok(id);
        }
        let (venue, sym, tf) = (
            key.symbol.venue().name(),
            key.symbol.as_str(),
            key.timeframe.as_str(),
        );
        // Two collectors may create the same series at once: the loser's insert does nothing
        // and both read the one id.
        self.conn()?.execute(
            "INSERT INTO series (exchange, symbol, timeframe) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
            &[&venue, &sym, &tf],
        )?;
        let id: i64 = self
            .client
            .query_one(
                "SELECT id FROM series WHERE exchange = $1 AND symbol = $2 AND timeframe = $3",
                &[&venue, &sym, &tf],
            )?
            .get(0);
        self.series.insert(key, id);
        Ok(id)
    }

    fn existing_series_id(&mut self, key: SeriesKey) -> Result<Option<i64>, StoreError> {
        if let Some(&id) = self.series.get(&key) {
            return Ok(Some(id));
        }
        let row = self.conn()?.query_opt(
            "SELECT id FROM series WHERE exchange = $1 AND symbol = $2 AND timeframe = $3",
            &[
                &key.symbol.venue().name(),
                &key.symbol.as_str(),
                &key.timeframe.as_str(),
            ],
        )?;
        let id = row.map(|r| r.get::<_, i64>(0));
        if let Some(id) = id {
            self.series.insert(key, id);
        }
        Ok(id)
    }

    /// Upserts rows of any series under `guard` and, in the same transaction, an optional
    /// backfill checkpoint; announces the write to attached dashboards on commit.
    fn write_rows<'a>(
        &mut self,
        rows: impl Iterator<Item = (SeriesKey, &'a Candle)>,
        source: CandleSource,
        guard: &str,
        progress: Option<&SeriesProgress>,
    ) -> Result<usize, StoreError> {
        // One statement may not touch a row twice: the last version of a candle wins, as it
        // would row by row.
        let mut latest: HashMap<(i64, Millis), &Candle> = HashMap::new();
        let mut order = Vec::new();
        for (key, c) in rows {
            let id = self.series_id(key)?;
            if latest.insert((id, c.open_time), c).is_none() {
                order.push((id, c.open_time));
            }
        }
        let n = order.len();
        let mut cols = Columns::with_capacity(n);
        let now = now_ms();
        for k in &order {
            cols.push(k.0, latest[k], source, now)?;
        }
        let mut tx = self.conn()?.transaction()?;
        let written = if n > 0 {
            let sql = format!("{UPSERT}{guard}");
            let written = tx.execute(
                &sql,
                &[
                    &cols.series,
                    &cols.open_time,
                    &cols.open,
                    &cols.high,
                    &cols.low,
                    &cols.close,
                    &cols.volume,
                    &cols.quote_volume,
                    &cols.trades,
                    &cols.closed,
                    &cols.first_trade_id,
                    &cols.last_trade_id,
                    &cols.source,
                    &cols.updated_at,
                ],
            )?;
            if written > 0 {
                tx.execute("SELECT pg_notify($1, '')", &[&CHANNEL])?;
            }
            written as usize
        } else {
            0
        };
        if let Some(p) = progress {
            save_progress(&mut tx, p)?;
        }
        tx.commit()?;
        Ok(written)
    }

    fn query_candles(
        &mut self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Candle>, StoreError> {
        self.conn()?
            .query(sql, params)?
            .iter()
            .map(row_candle)
            .collect()
    }

    /// Cold candles with `from <= open_time <= to`, ascending.
    fn cold_between(
        &mut self,
        id: i64,
        tf: Timeframe,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<Candle>, StoreError> {
        let rows = self.conn()?.query(
            "SELECT first_open, data FROM candles_cold WHERE series_id = $1 \
             AND last_open >= $2 AND first_open <= $3 ORDER BY chunk_start",
            &[&id, &from, &to],
        )?;
        let mut out = Vec::new();
        for r in rows {
            cold::decode_chunk(tf, r.get(0), r.get(1), &mut out)?;
        }
        out.retain(|c| c.open_time >= from && c.open_time <= to);
        Ok(out)
    }
}

/// A batch of candle rows as the columns `unnest` takes.
struct Columns {
    series: Vec<i64>,
    open_time: Vec<i64>,
    open: Vec<i64>,
    high: Vec<i64>,
    low: Vec<i64>,
    close: Vec<i64>,
    volume: Vec<String>,
    quote_volume: Vec<Option<String>>,
    trades: Vec<Option<i64>>,
    closed: Vec<bool>,
    first_trade_id: Vec<Option<i64>>,
    last_trade_id: Vec<Option<i64>>,
    source: Vec<&'static str>,
    updated_at: Vec<i64>,
}

impl Columns {
    fn with_capacity(n: usize) -> Self {
        Columns {
            series: Vec::with_capacity(n),
            open_time: Vec::with_capacity(n),
            open: Vec::with_capacity(n),
            high: Vec::with_capacity(n),
            low: Vec::with_capacity(n),
            close: Vec::with_capacity(n),
            volume: Vec::with_capacity(n),
            quote_volume: Vec::with_capacity(n),
            trades: Vec::with_capacity(n),
            closed: Vec::with_capacity(n),
            first_trade_id: Vec::with_capacity(n),
            last_trade_id: Vec::with_capacity(n),
            source: Vec::with_capacity(n),
            updated_at: Vec::with_capacity(n),
        }
    }

    fn push(
        &mut self,
        series: i64,
        c: &Candle,
        source: CandleSource,
        now: Millis,
    ) -> Result<(), StoreError> {
        self.series.push(series);
        self.open_time.push(c.open_time);
        self.open.push(price_int(c.open)?);
        self.high.push(price_int(c.high)?);
        self.low.push(price_int(c.low)?);
        self.close.push(price_int(c.close)?);
        self.volume.push(c.volume.to_string());
        self.quote_volume
            .push(c.quote_volume.map(|q| q.to_string()));
        self.trades.push(c.trades.map(|n| n as i64));
        self.closed.push(c.closed);
        self.first_trade_id.push(c.first_trade_id);
        self.last_trade_id.push(c.last_trade_id);
        self.source.push(source.as_str());
        self.updated_at.push(now);
        Ok(())
    }
}

fn price_int(p: Price) -> Result<i64, StoreError> {
    i64::try_from(p.raw()).map_err(|_| StoreError::Query(format!("price {p} out of range")))
}

fn row_candle(r: &Row) -> Result<Candle, StoreError> {
    let columns = CandleColumns {
        open_time: r.get(0),
        ohlc: [r.get(1), r.get(2), r.get(3), r.get(4)],
        volume: r.get(5),
        quote_volume: r.get(6),
        trades: r.get(7),
        closed: r.get(8),
        first_trade_id: r.get(9),
        last_trade_id: r.get(10),
    };
    columns.candle().map_err(|(i, e)| {
        let col = if i == 5 { "volume" } else { "quote_volume" };
        StoreError::Query(format!("candle column {col} does not parse: {e}"))
    })
}

/// The four scores from column `at`, the label at `label_at`, the scorer's name in column 19.
fn scores(r: &Row, at: usize, label_at: usize) -> Option<Sentiment> {
    let compound: Option<f64> = r.get(at);
    compound?;
    stored_sentiment(
        compound,
        [r.get(at + 1), r.get(at + 2), r.get(at + 3)],
        r.get(label_at),
        r.get(19),
    )
}

fn firing_row(r: &Row) -> Firing {
    Firing {
        id: r.get(0),
        alert: r.get(1),
        symbol: r.get(2),
        condition: r.get(3),
        value: r.get(4),
        at: r.get(5),
        trigger_time: r.get(6),
    }
}

fn save_progress(
    client: &mut impl postgres::GenericClient,
    p: &SeriesProgress,
) -> Result<(), StoreError> {
    client.execute(
        "INSERT INTO backfill_progress (symbol, timeframe, range_start, range_end, position, status, error, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (symbol, timeframe, range_start, range_end) DO UPDATE SET \
         position = excluded.position, status = excluded.status, error = excluded.error, \
         updated_at = excluded.updated_at",
        &[
            &p.key.symbol.to_string(),
            &p.key.timeframe.as_str(),
            &p.range_start,
            &p.range_end,
            &p.position,
            &p.status.as_str(),
            &p.error,
            &now_ms(),
        ],
    )?;
    Ok(())
}

/// Records a firing unless one with its id is there; true when it was new.
fn insert_firing(tx: &mut postgres::Transaction<'_>, f: &Firing) -> Result<bool, StoreError> {
    let n = tx.execute(
        "INSERT INTO alert_firings (id, alert, symbol, condition, value, at, trigger_time, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING",
        &[
            &f.id,
            &f.alert,
            &f.symbol,
            &f.condition,
            &f.value,
            &f.at,
            &f.trigger_time,
            &now_ms(),
        ],
    )?;
    Ok(n == 1)
}

fn save_alert_state(
    client: &mut impl postgres::GenericClient,
    name: &str,
    s: ArmState,
) -> Result<(), StoreError> {
    client.execute(
        "INSERT INTO alert_state (name, armed, false_since, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name) DO UPDATE SET armed = excluded.armed, \
         false_since = excluded.false_since, updated_at = excluded.updated_at",
        &[&name, &s.armed, &s.false_since, &now_ms()],
    )?;
    Ok(())
}

const NEWS_COLS: &str = "id, source, feed, title, link, published_at, fetched_at, summary, \
    symbols, title_compound, title_pos, title_neu, title_neg, summary_compound, summary_pos, \
    summary_neu, summary_neg, title_label, summary_label, sentiment_model";
