//! The PostgreSQL backend: the same tables and guards as SQLite, for several collectors and
//! dashboards on one server. The guards live in SQL (`ON CONFLICT … DO UPDATE … WHERE`), so
//! candles stay exact whichever collector writes first. Every statement is parameterised.
//!
//! Driver: the blocking `postgres` crate (tokio-postgres underneath). The store already owns
//! one thread per database, which suits a blocking client; an async pool (sqlx) would add a
//! large dependency tree for no gain here.

mod connect;
mod migrations;

use std::collections::{HashMap, HashSet};

use postgres::{Client, Row};

pub use connect::{Target, reason};
pub use migrations::LATEST;

use super::backend::{
    AlertStore, CandleSource, CandleStore, ColdChunk, DeliveryRecord, FeedState, Maintenance,
    MarketLists, MarketsStore, NewsStore, PendingDelivery, ProgressStatus, ProgressStore,
    SeriesProgress, StoreStats, StoredRule, TierStep, Transfer, parse_listings, parse_symbols,
};
use super::{StoreError, cold};
use crate::domain::{ArmState, Channel, Firing};
use crate::domain::{
    Candle, Listing, Millis, NewsItem, Precision, Price, Qty, Quote, Sentiment, SeriesKey, Symbol,
    Timeframe, Venue, now_ms,
};
use crate::domain::{Label, Scorer};

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
const LIVE_GUARD: &str = " WHERE excluded.trades >= c.trades";
const KLINE_GUARD: &str = " WHERE excluded.closed OR excluded.trades >= c.trades";

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
    quote_volume: Vec<String>,
    trades: Vec<i64>,
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
        self.quote_volume.push(c.quote_volume.to_string());
        self.trades.push(c.trades as i64);
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
    let bad = |col: &str, e: &dyn std::fmt::Display| {
        StoreError::Query(format!("candle column {col} does not parse: {e}"))
    };
    let volume = Qty::parse(r.get::<_, &str>(5)).map_err(|e| bad("volume", &e))?;
    let quote_volume = Quote::parse(r.get::<_, &str>(6)).map_err(|e| bad("quote_volume", &e))?;
    Ok(Candle {
        open_time: r.get(0),
        open: Price::from_raw(r.get::<_, i64>(1) as i128),
        high: Price::from_raw(r.get::<_, i64>(2) as i128),
        low: Price::from_raw(r.get::<_, i64>(3) as i128),
        close: Price::from_raw(r.get::<_, i64>(4) as i128),
        volume,
        quote_volume,
        trades: r.get::<_, i64>(7).max(0) as u64,
        closed: r.get(8),
        first_trade_id: r.get(9),
        last_trade_id: r.get(10),
    })
}

/// The four scores from column `at`, the label at `label_at`, the scorer's name in column 19.
fn scores(r: &Row, at: usize, label_at: usize) -> Option<Sentiment> {
    let compound: Option<f64> = r.get(at);
    let compound = compound?;
    let scorer = r
        .get::<_, Option<&str>>(19)
        .and_then(Scorer::parse)
        .unwrap_or(Scorer::Vader);
    let label = r
        .get::<_, Option<&str>>(label_at)
        .and_then(Label::parse)
        .unwrap_or_else(|| Label::from_compound(compound));
    Some(Sentiment {
        compound,
        pos: r.get(at + 1),
        neu: r.get(at + 2),
        neg: r.get(at + 3),
        label,
        scorer,
    })
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

impl CandleStore for PostgresBackend {
    fn upsert_candles(
        &mut self,
        rows: &[(SeriesKey, Candle)],
        source: CandleSource,
    ) -> Result<(), StoreError> {
        self.write_rows(rows.iter().map(|(k, c)| (*k, c)), source, LIVE_GUARD, None)
            .map(|_| ())
    }

    fn write_klines(
        &mut self,
        key: SeriesKey,
        candles: &[Candle],
        source: CandleSource,
        progress: Option<&SeriesProgress>,
    ) -> Result<usize, StoreError> {
        self.write_rows(
            candles.iter().map(|c| (key, c)),
            source,
            KLINE_GUARD,
            progress,
        )
    }

    fn candles(
        &mut self,
        key: SeriesKey,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<Candle>, StoreError> {
        let Some(id) = self.existing_series_id(key)? else {
            return Ok(Vec::new());
        };
        let cold = self.cold_between(id, key.timeframe, from, to)?;
        let sql = format!(
            "SELECT {CANDLE_COLS} FROM candles WHERE series_id = $1 AND open_time BETWEEN $2 AND $3 ORDER BY open_time"
        );
        let hot = self.query_candles(&sql, &[&id, &from, &to])?;
        Ok(cold::merge(cold, hot))
    }

    fn last_live_write(&mut self, key: SeriesKey) -> Result<Option<Millis>, StoreError> {
        let Some(id) = self.existing_series_id(key)? else {
            return Ok(None);
        };
        let row = self.conn()?.query_one(
            "SELECT max(updated_at) FROM (SELECT updated_at, source FROM candles \
             WHERE series_id = $1 ORDER BY open_time DESC LIMIT 3) newest \
             WHERE source IN ('live', 'demo')",
            &[&id],
        )?;
        Ok(row.get(0))
    }

    fn candles_before(
        &mut self,
        key: SeriesKey,
        before: Millis,
        n: usize,
    ) -> Result<Vec<Candle>, StoreError> {
        let Some(id) = self.existing_series_id(key)? else {
            return Ok(Vec::new());
        };
        let sql = format!(
            "SELECT {CANDLE_COLS} FROM candles WHERE series_id = $1 AND open_time <= $2 ORDER BY open_time DESC LIMIT $3"
        );
        let mut hot = self.query_candles(&sql, &[&id, &before, &(n as i64)])?;
        hot.reverse();
        // Cold chunks newest first, a few per round trip, until the newest `n` are known (a
        // year of 1m history is hundreds of chunks; the chart wants the last few).
        let mut batch: std::collections::VecDeque<(Millis, Vec<u8>)> = Default::default();
        let mut below = Millis::MAX;
        let mut done = false;
        let conn = self.conn()?;
        cold::newest(key.timeframe, hot, before, n, || {
            if batch.is_empty() && !done {
                let rows = conn.query(
                    "SELECT chunk_start, first_open, data FROM candles_cold WHERE series_id = $1 \
                     AND first_open <= $2 AND chunk_start < $3 ORDER BY chunk_start DESC LIMIT 4",
                    &[&id, &before, &below],
                )?;
                done = rows.len() < 4;
                for r in &rows {
                    below = r.get(0);
                    batch.push_back((r.get(1), r.get(2)));
                }
            }
            Ok(batch.pop_front())
        })
    }

    fn open_times(
        &mut self,
        key: SeriesKey,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<Millis>, StoreError> {
        let Some(id) = self.existing_series_id(key)? else {
            return Ok(Vec::new());
        };
        let mut times: Vec<Millis> = self
            .cold_between(id, key.timeframe, from, to)?
            .iter()
            .map(|c| c.open_time)
            .collect();
        let hot = self.conn()?.query(
            "SELECT open_time FROM candles WHERE series_id = $1 AND open_time BETWEEN $2 AND $3 ORDER BY open_time",
            &[&id, &from, &to],
        )?;
        times.extend(hot.iter().map(|r| r.get::<_, i64>(0)));
        times.sort_unstable();
        times.dedup();
        Ok(times)
    }

    fn series_keys(&mut self) -> Result<Vec<SeriesKey>, StoreError> {
        let rows = self.conn()?.query(
            "SELECT exchange, symbol, timeframe FROM series ORDER BY exchange, symbol, timeframe",
            &[],
        )?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let symbol = Venue::parse(r.get(0))
                    .and_then(|v| Symbol::on(v, r.get::<_, &str>(1).as_bytes()))?;
                let timeframe = Timeframe::parse(r.get(2)).ok()?;
                Some(SeriesKey { symbol, timeframe })
            })
            .collect())
    }
}

impl ProgressStore for PostgresBackend {
    fn progress(&mut self, key: SeriesKey) -> Result<Vec<SeriesProgress>, StoreError> {
        let rows = self.conn()?.query(
            "SELECT range_start, range_end, position, status, error FROM backfill_progress \
             WHERE symbol = $1 AND timeframe = $2 ORDER BY range_start",
            &[&key.symbol.to_string(), &key.timeframe.as_str()],
        )?;
        Ok(rows
            .iter()
            .map(|r| SeriesProgress {
                key,
                range_start: r.get(0),
                range_end: r.get(1),
                position: r.get(2),
                status: ProgressStatus::parse(r.get(3)),
                error: r.get(4),
            })
            .collect())
    }

    fn save_progress(&mut self, p: &SeriesProgress) -> Result<(), StoreError> {
        save_progress(self.conn()?, p)
    }
}

impl NewsStore for PostgresBackend {
    fn insert_news(&mut self, items: &[NewsItem]) -> Result<usize, StoreError> {
        let mut tx = self.conn()?.transaction()?;
        let stmt = tx.prepare(&format!(
            "INSERT INTO news ({NEWS_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
             $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) ON CONFLICT (id) DO NOTHING"
        ))?;
        let mut n = 0;
        for it in items {
            let s = it.summary_sentiment;
            let t = it.title_sentiment;
            n += tx.execute(
                &stmt,
                &[
                    &it.id,
                    &it.source,
                    &it.feed,
                    &it.title,
                    &it.link,
                    &it.published_at,
                    &it.fetched_at,
                    &it.summary,
                    &format!(",{},", it.symbols.join(",")),
                    &t.compound,
                    &t.pos,
                    &t.neu,
                    &t.neg,
                    &s.map(|s| s.compound),
                    &s.map(|s| s.pos),
                    &s.map(|s| s.neu),
                    &s.map(|s| s.neg),
                    &t.label.as_str(),
                    &s.map(|s| s.label.as_str()),
                    &t.scorer.as_str(),
                ],
            )? as usize;
        }
        tx.commit()?;
        Ok(n)
    }

    fn recent_news(
        &mut self,
        limit: usize,
        coin: Option<&str>,
    ) -> Result<Vec<NewsItem>, StoreError> {
        let pattern = coin.map(|c| format!("%,{},%", c.to_ascii_uppercase()));
        let rows = self.conn()?.query(
            &format!(
                "SELECT {NEWS_COLS} FROM news WHERE ($1::text IS NULL OR symbols LIKE $1) \
                 ORDER BY published_at DESC, id LIMIT $2"
            ),
            &[&pattern, &(limit as i64)],
        )?;
        Ok(rows
            .iter()
            .map(|r| NewsItem {
                id: r.get(0),
                source: r.get(1),
                feed: r.get(2),
                title: r.get(3),
                link: r.get(4),
                published_at: r.get(5),
                fetched_at: r.get(6),
                summary: r.get(7),
                symbols: r
                    .get::<_, &str>(8)
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
                title_sentiment: scores(r, 9, 17).unwrap_or_default(),
                summary_sentiment: scores(r, 13, 18),
            })
            .collect())
    }

    fn news_ids(&mut self, ids: &[String]) -> Result<Vec<String>, StoreError> {
        let rows = self
            .conn()?
            .query("SELECT id FROM news WHERE id = ANY($1)", &[&ids])?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn prune_news(&mut self, before: Millis, keep: usize) -> Result<usize, StoreError> {
        let mut tx = self.conn()?.transaction()?;
        let mut n = tx.execute("DELETE FROM news WHERE published_at < $1", &[&before])?;
        n += tx.execute(
            "DELETE FROM news WHERE id IN \
             (SELECT id FROM news ORDER BY published_at DESC, id OFFSET $1)",
            &[&(keep as i64)],
        )?;
        tx.commit()?;
        Ok(n as usize)
    }

    fn feed_state(&mut self, url: &str) -> Result<FeedState, StoreError> {
        let row = self.conn()?.query_opt(
            "SELECT etag, last_modified FROM feed_state WHERE url = $1 \
             AND EXISTS (SELECT 1 FROM news WHERE feed = $1)",
            &[&url],
        )?;
        Ok(row
            .map(|r| FeedState {
                etag: r.get(0),
                last_modified: r.get(1),
            })
            .unwrap_or_default())
    }

    fn save_feed_state(&mut self, url: &str, st: &FeedState) -> Result<(), StoreError> {
        self.conn()?.execute(
            "INSERT INTO feed_state (url, etag, last_modified, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, \
             last_modified = excluded.last_modified, updated_at = excluded.updated_at",
            &[&url, &st.etag, &st.last_modified, &now_ms()],
        )?;
        Ok(())
    }
}

impl AlertStore for PostgresBackend {
    fn record_firing(
        &mut self,
        f: &Firing,
        channels: &[Channel],
        state: ArmState,
    ) -> Result<bool, StoreError> {
        let mut tx = self.conn()?.transaction()?;
        let new = insert_firing(&mut tx, f)?;
        if new {
            for c in channels {
                tx.execute(
                    "INSERT INTO alert_deliveries (firing_id, channel) VALUES ($1, $2) \
                     ON CONFLICT DO NOTHING",
                    &[&f.id, &c.as_str()],
                )?;
            }
            save_alert_state(&mut tx, &f.alert, state)?;
        }
        tx.commit()?;
        Ok(new)
    }

    fn save_alert_state(&mut self, name: &str, state: ArmState) -> Result<(), StoreError> {
        save_alert_state(self.conn()?, name, state)
    }

    fn alert_states(&mut self) -> Result<Vec<(String, ArmState)>, StoreError> {
        let rows = self
            .conn()?
            .query("SELECT name, armed, false_since FROM alert_state", &[])?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    r.get(0),
                    ArmState {
                        armed: r.get(1),
                        false_since: r.get(2),
                    },
                )
            })
            .collect())
    }

    fn pending_deliveries(&mut self, limit: usize) -> Result<Vec<PendingDelivery>, StoreError> {
        let rows = self.conn()?.query(
            "SELECT f.id, f.alert, f.symbol, f.condition, f.value, f.at, f.trigger_time, d.channel, d.attempts \
             FROM alert_deliveries d JOIN alert_firings f ON f.id = d.firing_id \
             WHERE d.delivered_at IS NULL ORDER BY f.trigger_time, f.id LIMIT $1",
            &[&(limit as i64)],
        )?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                Some(PendingDelivery {
                    firing: firing_row(r),
                    channel: Channel::parse(r.get(7))?,
                    attempts: r.get::<_, i64>(8).clamp(0, u32::MAX as i64) as u32,
                })
            })
            .collect())
    }

    fn delivery_result(
        &mut self,
        firing_id: &str,
        channel: Channel,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        match error {
            None => self.conn()?.execute(
                "UPDATE alert_deliveries SET delivered_at = $3, attempts = attempts + 1, last_error = NULL \
                 WHERE firing_id = $1 AND channel = $2",
                &[&firing_id, &channel.as_str(), &now_ms()],
            )?,
            Some(e) => self.conn()?.execute(
                "UPDATE alert_deliveries SET attempts = attempts + 1, last_error = $3 \
                 WHERE firing_id = $1 AND channel = $2",
                &[&firing_id, &channel.as_str(), &e],
            )?,
        };
        Ok(())
    }

    fn firings(&mut self, from: Millis, to: Millis) -> Result<Vec<Firing>, StoreError> {
        let rows = self.conn()?.query(
            "SELECT id, alert, symbol, condition, value, at, trigger_time FROM alert_firings \
             WHERE trigger_time BETWEEN $1 AND $2 ORDER BY trigger_time, id",
            &[&from, &to],
        )?;
        Ok(rows.iter().map(firing_row).collect())
    }

    fn last_firing(&mut self, alert: &str) -> Result<Option<Firing>, StoreError> {
        let row = self.conn()?.query_opt(
            "SELECT id, alert, symbol, condition, value, at, trigger_time FROM alert_firings \
             WHERE alert = $1 ORDER BY trigger_time DESC, id DESC LIMIT 1",
            &[&alert],
        )?;
        Ok(row.as_ref().map(firing_row))
    }

    fn stored_rules(&mut self) -> Result<Vec<StoredRule>, StoreError> {
        let rows = self.conn()?.query(
            "SELECT name, symbol, timeframe, cond, repeat, rearm_secs, notify, enabled \
             FROM alert_rules ORDER BY created_at, name",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| StoredRule {
                name: r.get(0),
                symbol: r.get(1),
                timeframe: r.get(2),
                when: r.get(3),
                repeat: r.get(4),
                rearm_secs: r.get::<_, i64>(5).max(0) as u64,
                notify: r.get(6),
                enabled: r.get(7),
            })
            .collect())
    }

    fn save_rule(&mut self, r: &StoredRule) -> Result<(), StoreError> {
        self.conn()?.execute(
            "INSERT INTO alert_rules (name, symbol, timeframe, cond, repeat, rearm_secs, notify, enabled, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (name) DO UPDATE SET symbol = excluded.symbol, timeframe = excluded.timeframe, \
             cond = excluded.cond, repeat = excluded.repeat, rearm_secs = excluded.rearm_secs, \
             notify = excluded.notify, enabled = excluded.enabled",
            &[
                &r.name,
                &r.symbol,
                &r.timeframe,
                &r.when,
                &r.repeat,
                &(r.rearm_secs.min(i64::MAX as u64) as i64),
                &r.notify,
                &r.enabled,
                &now_ms(),
            ],
        )?;
        Ok(())
    }

    fn delete_rule(&mut self, name: &str) -> Result<(), StoreError> {
        let mut tx = self.conn()?.transaction()?;
        tx.execute("DELETE FROM alert_rules WHERE name = $1", &[&name])?;
        tx.execute("DELETE FROM alert_state WHERE name = $1", &[&name])?;
        tx.commit()?;
        Ok(())
    }
}

impl MarketsStore for PostgresBackend {
    fn put_instruments(
        &mut self,
        venue: Venue,
        markets: &[Listing],
        at: Millis,
    ) -> Result<(), StoreError> {
        let names: Vec<String> = markets.iter().map(|m| m.symbol.to_string()).collect();
        let decimals = |f: fn(&Precision) -> Option<u8>| -> Vec<Option<i16>> {
            markets
                .iter()
                .map(|m| f(&m.precision).map(i16::from))
                .collect()
        };
        let (price, size) = (decimals(|p| p.price), decimals(|p| p.size));
        let mut tx = self.conn()?.transaction()?;
        tx.execute(
            "DELETE FROM instruments WHERE exchange = $1",
            &[&venue.name()],
        )?;
        tx.execute(
            "INSERT INTO instruments (exchange, symbol, price_decimals, size_decimals) \
             SELECT $1, s, p, z FROM unnest($2::text[], $3::smallint[], $4::smallint[]) AS t(s, p, z) \
             ON CONFLICT DO NOTHING",
            &[&venue.name(), &names, &price, &size],
        )?;
        tx.execute(
            "INSERT INTO instrument_lists (exchange, fetched_at) VALUES ($1, $2) \
             ON CONFLICT (exchange) DO UPDATE SET fetched_at = excluded.fetched_at",
            &[&venue.name(), &at],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn instruments(&mut self) -> Result<MarketLists, StoreError> {
        let conn = self.conn()?;
        let names = conn.query(
            "SELECT symbol, price_decimals, size_decimals FROM instruments ORDER BY symbol",
            &[],
        )?;
        let lists = conn.query(
            "SELECT exchange, fetched_at FROM instrument_lists ORDER BY exchange",
            &[],
        )?;
        Ok(MarketLists {
            markets: parse_listings(names.iter().map(|r| {
                let d = |i: usize| {
                    r.get::<_, Option<i16>>(i)
                        .and_then(|d| u8::try_from(d).ok())
                };
                (
                    r.get::<_, String>(0),
                    Precision {
                        price: d(1),
                        size: d(2),
                    },
                )
            })),
            fetched: lists
                .iter()
                .filter_map(|r| Some((Venue::parse(r.get(0))?, r.get(1))))
                .collect(),
        })
    }

    fn watchlist(&mut self) -> Result<Vec<Symbol>, StoreError> {
        let rows = self
            .conn()?
            .query("SELECT symbol FROM watchlist ORDER BY position", &[])?;
        Ok(parse_symbols(rows.iter().map(|r| r.get::<_, &str>(0))))
    }

    fn set_watchlist(&mut self, symbols: &[Symbol]) -> Result<(), StoreError> {
        let names: Vec<String> = symbols.iter().map(Symbol::to_string).collect();
        let mut tx = self.conn()?.transaction()?;
        tx.execute("DELETE FROM watchlist", &[])?;
        tx.execute(
            "INSERT INTO watchlist (position, symbol) \
             SELECT (n - 1)::int, s FROM unnest($1::text[]) WITH ORDINALITY AS t(s, n) \
             ON CONFLICT DO NOTHING",
            &[&names],
        )?;
        tx.commit()?;
        Ok(())
    }
}

impl Maintenance for PostgresBackend {
    fn stats(&mut self) -> Result<StoreStats, StoreError> {
        let r = self.conn()?.query_one(
            "SELECT pg_database_size(current_database()), \
             (SELECT count(*) FROM candles), \
             (SELECT coalesce(sum(count), 0)::bigint FROM candles_cold), \
             pg_total_relation_size('candles'), pg_total_relation_size('candles_cold'), \
             (SELECT count(*) FROM series), (SELECT count(*) FROM news)",
            &[],
        )?;
        let n = |i: usize| r.get::<_, i64>(i).max(0) as u64;
        Ok(StoreStats {
            file_bytes: n(0),
            candles: n(1) + n(2),
            hot_candles: n(1),
            cold_candles: n(2),
            hot_bytes: Some(n(3)),
            cold_bytes: Some(n(4)),
            series: n(5),
            news: n(6),
        })
    }

    fn tier_step(
        &mut self,
        key: SeriesKey,
        hot_before: Millis,
        delete_before: Option<Millis>,
    ) -> Result<TierStep, StoreError> {
        let Some(id) = self.existing_series_id(key)? else {
            return Ok(TierStep::default());
        };
        let tf = key.timeframe;
        if let Some(cut) = delete_before {
            let mut tx = self.conn()?.transaction()?;
            let cold: i64 = tx
                .query_one(
                    "WITH gone AS (DELETE FROM candles_cold WHERE series_id = $1 AND last_open < $2 \
                     RETURNING count) SELECT coalesce(sum(count), 0)::bigint FROM gone",
                    &[&id, &cut],
                )?
                .get(0);
            let hot = tx.execute(
                "DELETE FROM candles WHERE series_id = $1 AND open_time < $2",
                &[&id, &cut],
            )?;
            tx.commit()?;
            let deleted = cold.max(0) as u64 + hot;
            if deleted > 0 {
                return Ok(TierStep {
                    moved: 0,
                    deleted,
                    more: true,
                });
            }
        }
        let mut tx = self.conn()?.transaction()?;
        let oldest: Option<Millis> = tx
            .query_one(
                "SELECT min(open_time) FROM candles WHERE series_id = $1 AND open_time < $2",
                &[&id, &hot_before],
            )?
            .get(0);
        let Some(oldest) = oldest else {
            return Ok(TierStep::default());
        };
        let start = cold::chunk_start(tf, oldest);
        let end = (start + cold::chunk_span(tf)).min(hot_before);
        // The packed rows leave the hot table in the statement that reads them, so a
        // candle written meanwhile by another collector is either packed or still hot.
        let hot = tx
            .query(
                &format!(
                    "DELETE FROM candles WHERE series_id = $1 AND open_time >= $2 AND open_time < $3 \
                     RETURNING {CANDLE_COLS}"
                ),
                &[&id, &start, &end],
            )?
            .iter()
            .map(row_candle)
            .collect::<Result<Vec<_>, _>>()?;
        let mut hot = hot;
        hot.sort_by_key(|c| c.open_time);
        let mut existing = Vec::new();
        if let Some(r) = tx.query_opt(
            "SELECT first_open, data FROM candles_cold WHERE series_id = $1 AND chunk_start = $2 \
             FOR UPDATE",
            &[&id, &start],
        )? {
            cold::decode_chunk(tf, r.get(0), r.get(1), &mut existing)?;
        }
        let moved = hot.len() as u64;
        let all = cold::merge(existing, hot);
        let (Some(first), Some(last)) = (all.first(), all.last()) else {
            return Ok(TierStep::default());
        };
        tx.execute(
            "INSERT INTO candles_cold (series_id, chunk_start, first_open, last_open, count, data) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (series_id, chunk_start) DO UPDATE SET \
             first_open = excluded.first_open, last_open = excluded.last_open, \
             count = excluded.count, data = excluded.data",
            &[
                &id,
                &start,
                &first.open_time,
                &last.open_time,
                &(all.len() as i64),
                &cold::encode(tf, &all),
            ],
        )?;
        tx.commit()?;
        Ok(TierStep {
            moved,
            deleted: 0,
            more: true,
        })
    }

    /// A session advisory lock per job: the server frees it when the holder's connection
    /// ends, so a collector killed with `kill -9` hands its jobs over within moments (its
    /// socket closes with it) and a survivor takes them at its next try.
    fn lease(&mut self, job: &str) -> Result<bool, StoreError> {
        if self.leases.contains(job) {
            // Held while the session lives; a query proves it does.
            self.conn()?.batch_execute("SELECT 1")?;
            if self.leases.contains(job) {
                return Ok(true);
            }
        }
        let got: bool = self
            .conn()?
            .query_one(
                "SELECT pg_try_advisory_lock(hashtextextended($1, 0))",
                &[&format!("cryptoviz:{job}")],
            )?
            .get(0);
        if got {
            tracing::info!(job, "this process now runs the job for the shared store");
            self.leases.insert(job.to_string());
        }
        Ok(got)
    }

    fn clear(&mut self) -> Result<(), StoreError> {
        self.conn()?.batch_execute(
            "BEGIN; DELETE FROM candles; DELETE FROM candles_cold; DELETE FROM news; \
             DELETE FROM feed_state; DELETE FROM backfill_progress; DELETE FROM alert_deliveries; \
             DELETE FROM alert_firings; DELETE FROM alert_state; DELETE FROM alert_rules; \
             DELETE FROM instruments; DELETE FROM instrument_lists; DELETE FROM watchlist; COMMIT;",
        )?;
        Ok(())
    }

    /// The server keeps its own pages consistent; what can go wrong above it is a cold chunk
    /// that no longer decodes or disagrees with its row, so those are checked.
    fn integrity_check(&mut self) -> Result<Vec<String>, StoreError> {
        let rows = self.conn()?.query(
            "SELECT s.timeframe, c.series_id, c.chunk_start, c.first_open, c.count, c.data \
             FROM candles_cold c JOIN series s ON s.id = c.series_id",
            &[],
        )?;
        let mut problems = Vec::new();
        for r in rows {
            let Ok(tf) = Timeframe::parse(r.get(0)) else {
                continue;
            };
            let (series, start): (i64, i64) = (r.get(1), r.get(2));
            let mut out = Vec::new();
            match cold::decode_chunk(tf, r.get(3), r.get(5), &mut out) {
                Err(e) => problems.push(format!("series {series} chunk {start}: {e}")),
                Ok(()) if out.len() as i64 != r.get::<_, i64>(4) => problems.push(format!(
                    "series {series} chunk {start}: {} candles, the row says {}",
                    out.len(),
                    r.get::<_, i64>(4)
                )),
                Ok(()) => {}
            }
        }
        Ok(problems)
    }
}

impl Transfer for PostgresBackend {
    fn hot_candles(&mut self, key: SeriesKey) -> Result<Vec<(Candle, CandleSource)>, StoreError> {
        let Some(id) = self.existing_series_id(key)? else {
            return Ok(Vec::new());
        };
        let rows = self.conn()?.query(
            &format!(
                "SELECT {CANDLE_COLS}, source FROM candles WHERE series_id = $1 ORDER BY open_time"
            ),
            &[&id],
        )?;
        rows.iter()
            .map(|r| {
                let source = CandleSource::parse(r.get(11)).unwrap_or(CandleSource::Import);
                Ok((row_candle(r)?, source))
            })
            .collect()
    }

    fn cold_chunks(&mut self, key: SeriesKey) -> Result<Vec<ColdChunk>, StoreError> {
        let Some(id) = self.existing_series_id(key)? else {
            return Ok(Vec::new());
        };
        let rows = self.conn()?.query(
            "SELECT chunk_start, first_open, last_open, count, data FROM candles_cold \
             WHERE series_id = $1 ORDER BY chunk_start",
            &[&id],
        )?;
        Ok(rows
            .iter()
            .map(|r| ColdChunk {
                chunk_start: r.get(0),
                first_open: r.get(1),
                last_open: r.get(2),
                count: r.get::<_, i64>(3).max(0) as u64,
                data: r.get(4),
            })
            .collect())
    }

    fn put_cold_chunks(
        &mut self,
        key: SeriesKey,
        chunks: &[ColdChunk],
    ) -> Result<usize, StoreError> {
        let id = self.series_id(key)?;
        let mut tx = self.conn()?.transaction()?;
        let stmt = tx.prepare(
            "INSERT INTO candles_cold (series_id, chunk_start, first_open, last_open, count, data) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )?;
        let mut n = 0;
        for c in chunks {
            n += tx.execute(
                &stmt,
                &[
                    &id,
                    &c.chunk_start,
                    &c.first_open,
                    &c.last_open,
                    &(c.count as i64),
                    &c.data,
                ],
            )?;
        }
        tx.commit()?;
        Ok(n as usize)
    }

    fn all_progress(&mut self) -> Result<Vec<SeriesProgress>, StoreError> {
        let rows = self.conn()?.query(
            "SELECT symbol, timeframe, range_start, range_end, position, status, error \
             FROM backfill_progress ORDER BY symbol, timeframe, range_start",
            &[],
        )?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let symbol = Symbol::new(r.get(0)).ok()?;
                let timeframe = Timeframe::parse(r.get(1)).ok()?;
                Some(SeriesProgress {
                    key: SeriesKey { symbol, timeframe },
                    range_start: r.get(2),
                    range_end: r.get(3),
                    position: r.get(4),
                    status: ProgressStatus::parse(r.get(5)),
                    error: r.get(6),
                })
            })
            .collect())
    }

    fn feed_states(&mut self) -> Result<Vec<(String, FeedState)>, StoreError> {
        let rows = self.conn()?.query(
            "SELECT url, etag, last_modified FROM feed_state ORDER BY url",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    r.get(0),
                    FeedState {
                        etag: r.get(1),
                        last_modified: r.get(2),
                    },
                )
            })
            .collect())
    }

    fn deliveries(&mut self) -> Result<Vec<DeliveryRecord>, StoreError> {
        let rows = self.conn()?.query(
            "SELECT firing_id, channel, delivered_at, attempts, last_error FROM alert_deliveries \
             ORDER BY firing_id, channel",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| DeliveryRecord {
                firing_id: r.get(0),
                channel: r.get(1),
                delivered_at: r.get(2),
                attempts: r.get::<_, i64>(3).clamp(0, u32::MAX as i64) as u32,
                last_error: r.get(4),
            })
            .collect())
    }

    fn put_firing(
        &mut self,
        f: &Firing,
        deliveries: &[DeliveryRecord],
    ) -> Result<bool, StoreError> {
        let mut tx = self.conn()?.transaction()?;
        let new = insert_firing(&mut tx, f)?;
        if new {
            for d in deliveries.iter().filter(|d| d.firing_id == f.id) {
                tx.execute(
                    "INSERT INTO alert_deliveries (firing_id, channel, delivered_at, attempts, last_error) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    &[
                        &d.firing_id,
                        &d.channel,
                        &d.delivered_at,
                        &(d.attempts as i64),
                        &d.last_error,
                    ],
                )?;
            }
        }
        tx.commit()?;
        Ok(new)
    }
}
