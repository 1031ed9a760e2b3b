//! The SQLite backend: WAL mode, one connection, prepared statements cached by rusqlite.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, ErrorCode, OptionalExtension, params};

use super::backend::{
    AlertStore, CandleSource, CandleStore, ColdChunk, DeliveryRecord, FeedState, Maintenance,
    MarketLists, MarketsStore, NewsStore, PendingDelivery, ProgressStatus, ProgressStore,
    SeriesProgress, StoreStats, StoredRule, TierStep, Transfer, parse_listings, parse_symbols,
};
use super::cold;
use super::{StoreError, migrations};
use crate::domain::{ArmState, Channel, Firing};
use crate::domain::{
    Candle, Listing, Millis, NewsItem, Precision, Price, Qty, Quote, Sentiment, SeriesKey, Symbol,
    Timeframe, Venue, now_ms,
};
use crate::domain::{Label, Scorer};

pub struct SqliteBackend {
    conn: Connection,
    series: HashMap<SeriesKey, i64>,
    path: PathBuf,
    /// Held for the life of a writing backend: one writer per data dir.
    _lock: Option<File>,
}

const CANDLE_COLS: &str = "open_time, open, high, low, close, volume, quote_volume, trades, closed, first_trade_id, last_trade_id";

const UPSERT: &str = "INSERT INTO candles (series_id, open_time, open, high, low, close, volume, \
    quote_volume, trades, closed, first_trade_id, last_trade_id, source, updated_at) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) \
    ON CONFLICT (series_id, open_time) DO UPDATE SET open = excluded.open, high = excluded.high, \
    low = excluded.low, close = excluded.close, volume = excluded.volume, \
    quote_volume = excluded.quote_volume, trades = excluded.trades, closed = excluded.closed, \
    first_trade_id = excluded.first_trade_id, last_trade_id = excluded.last_trade_id, \
    source = excluded.source, updated_at = excluded.updated_at";

/// Live candles only grow: a view with fewer trades (say, a restart that missed some) never
/// replaces a fuller one; gap repair brings the exchange's own kline instead.
const LIVE_GUARD: &str = " WHERE excluded.trades >= candles.trades";
/// A closed kline from the exchange is authoritative; an open one only replaces a thinner view.
const KLINE_GUARD: &str = " WHERE excluded.closed = 1 OR excluded.trades >= candles.trades";

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Query(e.to_string())
    }
}

fn classify(path: &Path, e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
            store: path.display().to_string(),
            detail: e.to_string(),
        },
        Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => StoreError::Locked {
            store: path.display().to_string(),
        },
        _ => StoreError::Open {
            store: path.display().to_string(),
            detail: e.to_string(),
        },
    }
}

impl SqliteBackend {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let open_err = |detail: String| StoreError::Open {
            store: path.display().to_string(),
            detail,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
        }
        let lock_path = path.with_extension("lock");
        let lock = File::create(&lock_path)
            .map_err(|e| open_err(format!("lock file {}: {e}", lock_path.display())))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StoreError::Locked {
                    store: path.display().to_string(),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(open_err(e.to_string())),
        }
        let mut conn = Connection::open(path).map_err(|e| classify(path, e))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| classify(path, e))?;
        // WAL: readers never block the writer; NORMAL sync survives a killed process.
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| classify(path, e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(open_err(format!("cannot switch to WAL mode (got {mode})")));
        }
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| classify(path, e))?;
        // Reading the schema catches a file that is not (or no longer) a database.
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(|e| classify(path, e))?;
        migrations::migrate(&mut conn).map_err(|source| match source {
            migrations::MigrateError::Query(detail) => StoreError::Open {
                store: path.display().to_string(),
                detail,
            },
            source => StoreError::Migrate {
                store: path.display().to_string(),
                source,
            },
        })?;
        conn.set_prepared_statement_cache_capacity(32);
        Ok(SqliteBackend {
            conn,
            series: HashMap::new(),
            path: path.to_path_buf(),
            _lock: Some(lock),
        })
    }

    /// Opens a database another process writes, for reading only: no lock is taken and no
    /// migration runs (a schema this build does not know is refused). WAL lets it read while
    /// the writer writes.
    pub fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        use rusqlite::OpenFlags;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| classify(path, e))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| classify(path, e))?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| classify(path, e))?;
        if version != migrations::LATEST {
            return Err(StoreError::Open {
                store: path.display().to_string(),
                detail: format!(
                    "schema version {version}, this cryptoviz reads {}; let the writing process upgrade it first",
                    migrations::LATEST
                ),
            });
        }
        Ok(SqliteBackend {
            conn,
            series: HashMap::new(),
            path: path.to_path_buf(),
            _lock: None,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn series_id(&mut self, key: SeriesKey) -> Result<i64, StoreError> {
        if let Some(&id) = self.series.get(&key) {
            return Ok(id);
        }
        let (venue, sym, tf) = (
            key.symbol.venue().name(),
            key.symbol.as_str(),
            key.timeframe.as_str(),
        );
        self.conn.execute(
            "INSERT OR IGNORE INTO series (exchange, symbol, timeframe) VALUES (?1, ?2, ?3)",
            params![venue, sym, tf],
        )?;
        let id = self.conn.query_row(
            "SELECT id FROM series WHERE exchange = ?1 AND symbol = ?2 AND timeframe = ?3",
            params![venue, sym, tf],
            |r| r.get(0),
        )?;
        self.series.insert(key, id);
        Ok(id)
    }

    /// Like `series_id` but never creates: reading an unknown series is simply empty.
    fn existing_series_id(&mut self, key: SeriesKey) -> Result<Option<i64>, StoreError> {
        if let Some(&id) = self.series.get(&key) {
            return Ok(Some(id));
        }
        let id = self
            .conn
            .query_row(
                "SELECT id FROM series WHERE exchange = ?1 AND symbol = ?2 AND timeframe = ?3",
                params![
                    key.symbol.venue().name(),
                    key.symbol.as_str(),
                    key.timeframe.as_str()
                ],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = id {
            self.series.insert(key, id);
        }
        Ok(id)
    }

    /// Upserts candles of any series (`guard` decides conflicts) and, in the same transaction,
    /// an optional backfill checkpoint. Returns rows written.
    fn write_rows<'a>(
        &mut self,
        rows: impl Iterator<Item = (SeriesKey, &'a Candle)> + Clone,
        source: CandleSource,
        guard: &str,
        progress: Option<&SeriesProgress>,
    ) -> Result<usize, StoreError> {
        for (key, _) in rows.clone() {
            self.series_id(key)?;
        }
        let now = now_ms();
        let sql = format!("{UPSERT}{guard}");
        let tx = self.conn.transaction()?;
        let mut n = 0;
        {
            let mut stmt = tx.prepare_cached(&sql)?;
            for (key, c) in rows {
                n += stmt.execute(params![
                    self.series[&key],
                    c.open_time,
                    price_int(c.open)?,
                    price_int(c.high)?,
                    price_int(c.low)?,
                    price_int(c.close)?,
                    c.volume.to_string(),
                    c.quote_volume.to_string(),
                    c.trades as i64,
                    c.closed,
                    c.first_trade_id,
                    c.last_trade_id,
                    source.as_str(),
                    now,
                ])?;
            }
            if let Some(p) = progress {
                save_progress(&tx, p)?;
            }
        }
        tx.commit()?;
        Ok(n)
    }

    fn query_candles(
        &mut self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<Candle>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params, row_candle)?;
        let mut out = Vec::new();
        for r in rows {
            out.push(r??);
        }
        Ok(out)
    }
}

impl SqliteBackend {
    /// Cold candles with `from <= open_time <= to`, ascending.
    fn cold_between(
        &mut self,
        id: i64,
        tf: Timeframe,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<Candle>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT first_open, data FROM candles_cold WHERE series_id = ?1 \
             AND last_open >= ?2 AND first_open <= ?3 ORDER BY chunk_start",
        )?;
        let mut rows = stmt.query(params![id, from, to])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let data: Vec<u8> = r.get(1)?;
            cold::decode_chunk(tf, r.get(0)?, &data, &mut out)?;
        }
        out.retain(|c| c.open_time >= from && c.open_time <= to);
        Ok(out)
    }
}

fn price_int(p: Price) -> Result<i64, StoreError> {
    i64::try_from(p.raw()).map_err(|_| StoreError::Query(format!("price {p} out of range")))
}

fn bad_column(i: usize, detail: impl ToString) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        i,
        rusqlite::types::Type::Text,
        detail.to_string().into(),
    )
}

/// Decodes one row of [`CANDLE_COLS`]. The inner Result carries decimal errors.
fn row_candle(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<Candle, StoreError>> {
    // Borrowed, not copied: reads of long histories spend their time here.
    let vol = r.get_ref(5)?.as_str().map_err(|e| bad_column(5, e))?;
    let qvol = r.get_ref(6)?.as_str().map_err(|e| bad_column(6, e))?;
    let volume = Qty::parse(vol).map_err(|e| bad_column(5, e))?;
    let quote_volume = Quote::parse(qvol).map_err(|e| bad_column(6, e))?;
    Ok(Ok(Candle {
        open_time: r.get(0)?,
        open: Price::from_raw(r.get::<_, i64>(1)? as i128),
        high: Price::from_raw(r.get::<_, i64>(2)? as i128),
        low: Price::from_raw(r.get::<_, i64>(3)? as i128),
        close: Price::from_raw(r.get::<_, i64>(4)? as i128),
        volume,
        quote_volume,
        trades: r.get::<_, i64>(7)? as u64,
        closed: r.get(8)?,
        first_trade_id: r.get(9)?,
        last_trade_id: r.get(10)?,
    }))
}

/// The four scores at `at`, the label at `label_at` and the scorer's name in column 19.
fn scores(
    r: &rusqlite::Row<'_>,
    at: usize,
    label_at: usize,
) -> rusqlite::Result<Option<Sentiment>> {
    let compound: Option<f64> = r.get(at)?;
    let Some(compound) = compound else {
        return Ok(None);
    };
    let scorer = r
        .get::<_, Option<String>>(19)?
        .and_then(|s| Scorer::parse(&s))
        .unwrap_or(Scorer::Vader);
    let label = r
        .get::<_, Option<String>>(label_at)?
        .and_then(|l| Label::parse(&l))
        .unwrap_or_else(|| Label::from_compound(compound));
    Ok(Some(Sentiment {
        compound,
        pos: r.get(at + 1)?,
        neu: r.get(at + 2)?,
        neg: r.get(at + 3)?,
        label,
        scorer,
    }))
}

impl CandleStore for SqliteBackend {
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
            "SELECT {CANDLE_COLS} FROM candles WHERE series_id = ?1 AND open_time BETWEEN ?2 AND ?3 ORDER BY open_time"
        );
        let hot = self.query_candles(&sql, params![id, from, to])?;
        Ok(cold::merge(cold, hot))
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
            "SELECT {CANDLE_COLS} FROM candles WHERE series_id = ?1 AND open_time <= ?2 ORDER BY open_time DESC LIMIT ?3"
        );
        let mut hot = self.query_candles(&sql, params![id, before, n as i64])?;
        hot.reverse();
        let mut stmt = self.conn.prepare_cached(
            "SELECT first_open, data FROM candles_cold WHERE series_id = ?1 AND first_open <= ?2 \
             ORDER BY chunk_start DESC",
        )?;
        let mut rows = stmt.query(params![id, before])?;
        cold::newest(key.timeframe, hot, before, n, || {
            Ok(match rows.next()? {
                Some(r) => Some((r.get(0)?, r.get(1)?)),
                None => None,
            })
        })
    }

    fn last_live_write(&mut self, key: SeriesKey) -> Result<Option<Millis>, StoreError> {
        let Some(id) = self.existing_series_id(key)? else {
            return Ok(None);
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT max(updated_at) FROM (SELECT updated_at, source FROM candles \
             WHERE series_id = ?1 ORDER BY open_time DESC LIMIT 3) \
             WHERE source IN ('live', 'demo')",
        )?;
        Ok(stmt.query_row([id], |r| r.get(0))?)
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
        let mut stmt = self.conn.prepare_cached(
            "SELECT open_time FROM candles WHERE series_id = ?1 AND open_time BETWEEN ?2 AND ?3 ORDER BY open_time",
        )?;
        let hot = stmt
            .query_map(params![id, from, to], |r| r.get(0))?
            .collect::<Result<Vec<Millis>, _>>()?;
        times.extend(hot);
        times.sort_unstable();
        times.dedup();
        Ok(times)
    }

    fn series_keys(&mut self) -> Result<Vec<SeriesKey>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT exchange, symbol, timeframe FROM series ORDER BY exchange, symbol, timeframe",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for r in rows {
            let (v, s, t) = r?;
            let symbol = Venue::parse(&v).and_then(|v| Symbol::on(v, s.as_bytes()));
            if let (Some(symbol), Ok(timeframe)) = (symbol, Timeframe::parse(&t)) {
                out.push(SeriesKey { symbol, timeframe });
            }
        }
        Ok(out)
    }
}

impl ProgressStore for SqliteBackend {
    fn progress(&mut self, key: SeriesKey) -> Result<Vec<SeriesProgress>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT range_start, range_end, position, status, error FROM backfill_progress \
             WHERE symbol = ?1 AND timeframe = ?2 ORDER BY range_start",
        )?;
        let rows = stmt.query_map(
            params![key.symbol.to_string(), key.timeframe.as_str()],
            |r| {
                Ok(SeriesProgress {
                    key,
                    range_start: r.get(0)?,
                    range_end: r.get(1)?,
                    position: r.get(2)?,
                    status: ProgressStatus::parse(&r.get::<_, String>(3)?),
                    error: r.get(4)?,
                })
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn save_progress(&mut self, p: &SeriesProgress) -> Result<(), StoreError> {
        save_progress(&self.conn, p)
    }
}

impl NewsStore for SqliteBackend {
    fn insert_news(&mut self, items: &[NewsItem]) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        let mut n = 0;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT OR IGNORE INTO news (id, source, feed, title, link, published_at, fetched_at, \
                 summary, symbols, title_compound, title_pos, title_neu, title_neg, \
                 summary_compound, summary_pos, summary_neu, summary_neg, \
                 title_label, summary_label, sentiment_model) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, \
                 ?18, ?19, ?20)",
            )?;
            for it in items {
                let s = it.summary_sentiment;
                n += stmt.execute(params![
                    it.id,
                    it.source,
                    it.feed,
                    it.title,
                    it.link,
                    it.published_at,
                    it.fetched_at,
                    it.summary,
                    format!(",{},", it.symbols.join(",")),
                    it.title_sentiment.compound,
                    it.title_sentiment.pos,
                    it.title_sentiment.neu,
                    it.title_sentiment.neg,
                    s.map(|s| s.compound),
                    s.map(|s| s.pos),
                    s.map(|s| s.neu),
                    s.map(|s| s.neg),
                    it.title_sentiment.label.as_str(),
                    s.map(|s| s.label.as_str()),
                    it.title_sentiment.scorer.as_str(),
                ])?;
            }
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
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, source, feed, title, link, published_at, fetched_at, summary, symbols, \
             title_compound, title_pos, title_neu, title_neg, \
             summary_compound, summary_pos, summary_neu, summary_neg, \
             title_label, summary_label, sentiment_model \
             FROM news WHERE (?1 IS NULL OR symbols LIKE ?1) \
             ORDER BY published_at DESC, id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![pattern, limit as i64], |r| {
            let symbols: String = r.get(8)?;
            Ok(NewsItem {
                id: r.get(0)?,
                source: r.get(1)?,
                feed: r.get(2)?,
                title: r.get(3)?,
                link: r.get(4)?,
                published_at: r.get(5)?,
                fetched_at: r.get(6)?,
                summary: r.get(7)?,
                symbols: symbols
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
                title_sentiment: scores(r, 9, 17)?.unwrap_or_default(),
                summary_sentiment: scores(r, 13, 18)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn news_ids(&mut self, ids: &[String]) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM news WHERE id = ?1")?;
        let mut out = Vec::new();
        for id in ids {
            if let Some(found) = stmt.query_row([id], |r| r.get(0)).optional()? {
                out.push(found);
            }
        }
        Ok(out)
    }

    fn feed_state(&mut self, url: &str) -> Result<FeedState, StoreError> {
        let st = self
            .conn
            .query_row(
                "SELECT etag, last_modified FROM feed_state WHERE url = ?1 \
                 AND EXISTS (SELECT 1 FROM news WHERE feed = ?1)",
                [url],
                |r| {
                    Ok(FeedState {
                        etag: r.get(0)?,
                        last_modified: r.get(1)?,
                    })
                },
            )
            .optional()?;
        Ok(st.unwrap_or_default())
    }

    fn save_feed_state(&mut self, url: &str, st: &FeedState) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO feed_state (url, etag, last_modified, updated_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, \
             last_modified = excluded.last_modified, updated_at = excluded.updated_at",
            params![url, st.etag, st.last_modified, now_ms()],
        )?;
        Ok(())
    }

    fn prune_news(&mut self, before: Millis, keep: usize) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        let mut n = tx.execute("DELETE FROM news WHERE published_at < ?1", [before])?;
        n += tx.execute(
            "DELETE FROM news WHERE id IN \
             (SELECT id FROM news ORDER BY published_at DESC, id LIMIT -1 OFFSET ?1)",
            [keep as i64],
        )?;
        tx.commit()?;
        Ok(n)
    }
}

impl AlertStore for SqliteBackend {
    fn record_firing(
        &mut self,
        f: &Firing,
        channels: &[Channel],
        state: ArmState,
    ) -> Result<bool, StoreError> {
        let tx = self.conn.transaction()?;
        let new = insert_firing(&tx, f)?;
        if new {
            for c in channels {
                tx.execute(
                    "INSERT OR IGNORE INTO alert_deliveries (firing_id, channel) VALUES (?1, ?2)",
                    params![f.id, c.as_str()],
                )?;
            }
            save_alert_state(&tx, &f.alert, state)?;
        }
        tx.commit()?;
        Ok(new)
    }

    fn save_alert_state(&mut self, name: &str, state: ArmState) -> Result<(), StoreError> {
        save_alert_state(&self.conn, name, state)
    }

    fn alert_states(&mut self) -> Result<Vec<(String, ArmState)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT name, armed, false_since FROM alert_state")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                ArmState {
                    armed: r.get::<_, i64>(1)? != 0,
                    false_since: r.get(2)?,
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn pending_deliveries(&mut self, limit: usize) -> Result<Vec<PendingDelivery>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT f.id, f.alert, f.symbol, f.condition, f.value, f.at, f.trigger_time, d.channel, d.attempts \
             FROM alert_deliveries d JOIN alert_firings f ON f.id = d.firing_id \
             WHERE d.delivered_at IS NULL ORDER BY f.trigger_time, f.id LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok((firing_row(r)?, r.get::<_, String>(7)?, r.get::<_, i64>(8)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (firing, channel, attempts) = row?;
            if let Some(channel) = Channel::parse(&channel) {
                out.push(PendingDelivery {
                    firing,
                    channel,
                    attempts: attempts.clamp(0, u32::MAX as i64) as u32,
                });
            }
        }
        Ok(out)
    }

    fn delivery_result(
        &mut self,
        firing_id: &str,
        channel: Channel,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        match error {
            None => self.conn.execute(
                "UPDATE alert_deliveries SET delivered_at = ?3, attempts = attempts + 1, last_error = NULL \
                 WHERE firing_id = ?1 AND channel = ?2",
                params![firing_id, channel.as_str(), now_ms()],
            )?,
            Some(e) => self.conn.execute(
                "UPDATE alert_deliveries SET attempts = attempts + 1, last_error = ?3 \
                 WHERE firing_id = ?1 AND channel = ?2",
                params![firing_id, channel.as_str(), e],
            )?,
        };
        Ok(())
    }

    fn firings(&mut self, from: Millis, to: Millis) -> Result<Vec<Firing>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, alert, symbol, condition, value, at, trigger_time FROM alert_firings \
             WHERE trigger_time BETWEEN ?1 AND ?2 ORDER BY trigger_time, id",
        )?;
        let rows = stmt.query_map(params![from, to], firing_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn last_firing(&mut self, alert: &str) -> Result<Option<Firing>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, alert, symbol, condition, value, at, trigger_time FROM alert_firings \
                 WHERE alert = ?1 ORDER BY trigger_time DESC, id DESC LIMIT 1",
                [alert],
                firing_row,
            )
            .optional()?)
    }

    fn stored_rules(&mut self) -> Result<Vec<StoredRule>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT name, symbol, timeframe, cond, repeat, rearm_secs, notify, enabled \
             FROM alert_rules ORDER BY created_at, name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(StoredRule {
                name: r.get(0)?,
                symbol: r.get(1)?,
                timeframe: r.get(2)?,
                when: r.get(3)?,
                repeat: r.get(4)?,
                rearm_secs: r.get::<_, i64>(5)?.max(0) as u64,
                notify: r.get(6)?,
                enabled: r.get::<_, i64>(7)? != 0,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn save_rule(&mut self, r: &StoredRule) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO alert_rules (name, symbol, timeframe, cond, repeat, rearm_secs, notify, enabled, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
             ON CONFLICT (name) DO UPDATE SET symbol = excluded.symbol, timeframe = excluded.timeframe, \
             cond = excluded.cond, repeat = excluded.repeat, rearm_secs = excluded.rearm_secs, \
             notify = excluded.notify, enabled = excluded.enabled",
            params![
                r.name,
                r.symbol,
                r.timeframe,
                r.when,
                r.repeat,
                r.rearm_secs as i64,
                r.notify,
                r.enabled as i64,
                now_ms()
            ],
        )?;
        Ok(())
    }

    fn delete_rule(&mut self, name: &str) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM alert_rules WHERE name = ?1", [name])?;
        self.conn
            .execute("DELETE FROM alert_state WHERE name = ?1", [name])?;
        Ok(())
    }
}

impl MarketsStore for SqliteBackend {
    fn put_instruments(
        &mut self,
        venue: Venue,
        markets: &[Listing],
        at: Millis,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "DELETE FROM instruments WHERE exchange = ?1",
            [venue.name()],
        )?;
        {
            let mut insert = tx.prepare(
                "INSERT OR IGNORE INTO instruments (exchange, symbol, price_decimals, size_decimals) \
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for m in markets {
                let p = m.precision;
                insert.execute(params![venue.name(), m.symbol.to_string(), p.price, p.size])?;
            }
        }
        tx.execute(
            "INSERT INTO instrument_lists (exchange, fetched_at) VALUES (?1, ?2) \
             ON CONFLICT (exchange) DO UPDATE SET fetched_at = excluded.fetched_at",
            params![venue.name(), at],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn instruments(&mut self) -> Result<MarketLists, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT symbol, price_decimals, size_decimals FROM instruments ORDER BY symbol",
        )?;
        let rows = stmt
            .query_map([], |r| {
                let precision = Precision {
                    price: r.get(1)?,
                    size: r.get(2)?,
                };
                Ok((r.get::<_, String>(0)?, precision))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT exchange, fetched_at FROM instrument_lists ORDER BY exchange",
        )?;
        let lists = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(MarketLists {
            markets: parse_listings(rows),
            fetched: lists
                .into_iter()
                .filter_map(|(v, at)| Some((Venue::parse(&v)?, at)))
                .collect(),
        })
    }

    fn watchlist(&mut self) -> Result<Vec<Symbol>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT symbol FROM watchlist ORDER BY position")?;
        let names = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(parse_symbols(names.iter().map(String::as_str)))
    }

    fn set_watchlist(&mut self, symbols: &[Symbol]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM watchlist", [])?;
        {
            let mut insert =
                tx.prepare("INSERT OR IGNORE INTO watchlist (position, symbol) VALUES (?1, ?2)")?;
            for (i, s) in symbols.iter().enumerate() {
                insert.execute(params![i as i64, s.to_string()])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

impl Maintenance for SqliteBackend {
    fn stats(&mut self) -> Result<StoreStats, StoreError> {
        let count = |sql: &str| -> Result<u64, StoreError> {
            Ok(self
                .conn
                .query_row(sql, [], |r| r.get::<_, Option<i64>>(0))?
                .unwrap_or(0) as u64)
        };
        let page_count = count("PRAGMA page_count")?;
        let page_size = count("PRAGMA page_size")?;
        // dbstat is optional in SQLite builds; without it the per-tier sizes are unknown.
        let bytes = |table: &str| -> Option<u64> {
            self.conn
                .query_row(
                    "SELECT sum(pgsize) FROM dbstat WHERE name = ?1",
                    [table],
                    |r| r.get::<_, Option<i64>>(0),
                )
                .ok()
                .flatten()
                .map(|b| b as u64)
        };
        let hot_candles = count("SELECT count(*) FROM candles")?;
        let cold_candles = count("SELECT sum(count) FROM candles_cold")?;
        Ok(StoreStats {
            file_bytes: page_count * page_size,
            candles: hot_candles + cold_candles,
            hot_candles,
            cold_candles,
            hot_bytes: bytes("candles"),
            cold_bytes: bytes("candles_cold"),
            series: count("SELECT count(*) FROM series")?,
            news: count("SELECT count(*) FROM news")?,
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
            let tx = self.conn.transaction()?;
            let cold: i64 = tx.query_row(
                "SELECT coalesce(sum(count), 0) FROM candles_cold WHERE series_id = ?1 AND last_open < ?2",
                params![id, cut],
                |r| r.get(0),
            )?;
            tx.execute(
                "DELETE FROM candles_cold WHERE series_id = ?1 AND last_open < ?2",
                params![id, cut],
            )?;
            let hot = tx.execute(
                "DELETE FROM candles WHERE series_id = ?1 AND open_time < ?2",
                params![id, cut],
            )?;
            tx.commit()?;
            let deleted = cold as u64 + hot as u64;
            if deleted > 0 {
                return Ok(TierStep {
                    moved: 0,
                    deleted,
                    more: true,
                });
            }
        }
        let oldest: Option<Millis> = self.conn.query_row(
            "SELECT min(open_time) FROM candles WHERE series_id = ?1 AND open_time < ?2",
            params![id, hot_before],
            |r| r.get(0),
        )?;
        let Some(oldest) = oldest else {
            return Ok(TierStep::default());
        };
        let start = cold::chunk_start(tf, oldest);
        let end = (start + cold::chunk_span(tf)).min(hot_before);
        let sql = format!(
            "SELECT {CANDLE_COLS} FROM candles WHERE series_id = ?1 AND open_time >= ?2 AND open_time < ?3 ORDER BY open_time"
        );
        let hot = self.query_candles(&sql, params![id, start, end])?;
        let tx = self.conn.transaction()?;
        let mut existing = Vec::new();
        let old: Option<(Millis, Vec<u8>)> = tx
            .query_row(
                "SELECT first_open, data FROM candles_cold WHERE series_id = ?1 AND chunk_start = ?2",
                params![id, start],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((first, data)) = old {
            cold::decode_chunk(tf, first, &data, &mut existing)?;
        }
        let moved = hot.len() as u64;
        let all = cold::merge(existing, hot);
        let (Some(first), Some(last)) = (all.first(), all.last()) else {
            return Ok(TierStep::default());
        };
        tx.execute(
            "INSERT OR REPLACE INTO candles_cold (series_id, chunk_start, first_open, last_open, count, data) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id, start, first.open_time, last.open_time, all.len() as i64, cold::encode(tf, &all)],
        )?;
        tx.execute(
            "DELETE FROM candles WHERE series_id = ?1 AND open_time >= ?2 AND open_time < ?3",
            params![id, start, end],
        )?;
        tx.commit()?;
        Ok(TierStep {
            moved,
            deleted: 0,
            more: true,
        })
    }

    fn clear(&mut self) -> Result<(), StoreError> {
        self.conn.execute_batch(
            "DELETE FROM candles; DELETE FROM candles_cold; DELETE FROM news; DELETE FROM feed_state; \
             DELETE FROM backfill_progress; \
             DELETE FROM alert_deliveries; DELETE FROM alert_firings; DELETE FROM alert_state; \
             DELETE FROM alert_rules; DELETE FROM instruments; DELETE FROM instrument_lists; \
             DELETE FROM watchlist;",
        )?;
        Ok(())
    }

    fn integrity_check(&mut self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows.into_iter().filter(|m| m != "ok").collect())
    }
}

/// Records a firing unless one with its id is there; true when it was new.
fn insert_firing(conn: &Connection, f: &Firing) -> Result<bool, StoreError> {
    let n = conn.prepare_cached(
        "INSERT OR IGNORE INTO alert_firings (id, alert, symbol, condition, value, at, trigger_time, recorded_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![f.id, f.alert, f.symbol, f.condition, f.value, f.at, f.trigger_time, now_ms()])?;
    Ok(n == 1)
}

fn save_alert_state(conn: &Connection, name: &str, s: ArmState) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO alert_state (name, armed, false_since, updated_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (name) DO UPDATE SET armed = excluded.armed, \
         false_since = excluded.false_since, updated_at = excluded.updated_at",
    )?
    .execute(params![name, s.armed as i64, s.false_since, now_ms()])?;
    Ok(())
}

fn firing_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Firing> {
    Ok(Firing {
        id: r.get(0)?,
        alert: r.get(1)?,
        symbol: r.get(2)?,
        condition: r.get(3)?,
        value: r.get(4)?,
        at: r.get(5)?,
        trigger_time: r.get(6)?,
    })
}

fn save_progress(conn: &Connection, p: &SeriesProgress) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO backfill_progress (symbol, timeframe, range_start, range_end, position, status, error, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
         ON CONFLICT (symbol, timeframe, range_start, range_end) DO UPDATE SET \
         position = excluded.position, status = excluded.status, error = excluded.error, \
         updated_at = excluded.updated_at",
    )?
    .execute(params![
        p.key.symbol.to_string(),
        p.key.timeframe.as_str(),
        p.range_start,
        p.range_end,
        p.position,
        p.status.as_str(),
        p.error,
        now_ms(),
    ])?;
    Ok(())
}

impl Transfer for SqliteBackend {
    fn hot_candles(&mut self, key: SeriesKey) -> Result<Vec<(Candle, CandleSource)>, StoreError> {
        let Some(id) = self.existing_series_id(key)? else {
            return Ok(Vec::new());
        };
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {CANDLE_COLS}, source FROM candles WHERE series_id = ?1 ORDER BY open_time"
        ))?;
        let rows = stmt.query_map([id], |r| Ok((row_candle(r)?, r.get::<_, String>(11)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (candle, source) = row?;
            out.push((
                candle?,
                CandleSource::parse(&source).unwrap_or(CandleSource::Import),
            ));
        }
        Ok(out)
    }

    fn cold_chunks(&mut self, key: SeriesKey) -> Result<Vec<ColdChunk>, StoreError> {
        let Some(id) = self.existing_series_id(key)? else {
            return Ok(Vec::new());
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT chunk_start, first_open, last_open, count, data FROM candles_cold \
             WHERE series_id = ?1 ORDER BY chunk_start",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok(ColdChunk {
                chunk_start: r.get(0)?,
                first_open: r.get(1)?,
                last_open: r.get(2)?,
                count: r.get::<_, i64>(3)?.max(0) as u64,
                data: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn put_cold_chunks(
        &mut self,
        key: SeriesKey,
        chunks: &[ColdChunk],
    ) -> Result<usize, StoreError> {
        let id = self.series_id(key)?;
        let tx = self.conn.transaction()?;
        let mut n = 0;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT OR IGNORE INTO candles_cold (series_id, chunk_start, first_open, last_open, count, data) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for c in chunks {
                n += stmt.execute(params![
                    id,
                    c.chunk_start,
                    c.first_open,
                    c.last_open,
                    c.count as i64,
                    c.data
                ])?;
            }
        }
        tx.commit()?;
        Ok(n)
    }

    fn all_progress(&mut self) -> Result<Vec<SeriesProgress>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT symbol, timeframe, range_start, range_end, position, status, error \
             FROM backfill_progress ORDER BY symbol, timeframe, range_start",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                (r.get(2)?, r.get(3)?, r.get(4)?),
                r.get::<_, String>(5)?,
                r.get(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (sym, tf, (range_start, range_end, position), status, error) = row?;
            if let (Ok(symbol), Ok(timeframe)) = (Symbol::new(&sym), Timeframe::parse(&tf)) {
                out.push(SeriesProgress {
                    key: SeriesKey { symbol, timeframe },
                    range_start,
                    range_end,
                    position,
                    status: ProgressStatus::parse(&status),
                    error,
                });
            }
        }
        Ok(out)
    }

    fn feed_states(&mut self) -> Result<Vec<(String, FeedState)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT url, etag, last_modified FROM feed_state ORDER BY url")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                FeedState {
                    etag: r.get(1)?,
                    last_modified: r.get(2)?,
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn deliveries(&mut self) -> Result<Vec<DeliveryRecord>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT firing_id, channel, delivered_at, attempts, last_error FROM alert_deliveries \
             ORDER BY firing_id, channel",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(DeliveryRecord {
                firing_id: r.get(0)?,
                channel: r.get(1)?,
                delivered_at: r.get(2)?,
                attempts: r.get::<_, i64>(3)?.clamp(0, u32::MAX as i64) as u32,
                last_error: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn put_firing(
        &mut self,
        f: &Firing,
        deliveries: &[DeliveryRecord],
    ) -> Result<bool, StoreError> {
        let tx = self.conn.transaction()?;
        let new = insert_firing(&tx, f)?;
        if new {
            for d in deliveries.iter().filter(|d| d.firing_id == f.id) {
                tx.execute(
                    "INSERT OR IGNORE INTO alert_deliveries (firing_id, channel, delivered_at, attempts, last_error) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![d.firing_id, d.channel, d.delivered_at, d.attempts as i64, d.last_error],
                )?;
            }
        }
        tx.commit()?;
        Ok(new)
    }
}
