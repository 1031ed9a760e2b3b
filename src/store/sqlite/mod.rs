//! The SQLite backend: WAL mode, one connection, prepared statements cached by rusqlite.

mod alerts;
mod candles;
mod derivatives;
mod ledger;
mod maintenance;
mod markets;
mod news;
mod transfer;

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, ErrorCode, OptionalExtension, params};

use super::backend::{
    AlertStore, CandleColumns, CandleSource, CandleStore, ColdChunk, DeliveryRecord, FeedState,
    Maintenance, MarketLists, MarketsStore, NewsStore, PendingDelivery, ProgressStatus,
    ProgressStore, SeriesProgress, StoreStats, StoredRule, TierStep, Transfer, parse_listings,
    parse_symbols, series_key, stored_sentiment,
};
use super::cold;
use super::{StoreError, migrations};
use crate::domain::{ArmState, Channel, Firing};
use crate::domain::{
    Candle, Listing, Millis, NewsItem, Precision, Price, Sentiment, SeriesKey, Symbol, Timeframe,
    Venue, now_ms,
};

pub struct SqliteBackend {
    conn: Connection,
    series: HashMap<SeriesKey, i64>,
    path: PathBuf,
    /// The database file, locked for the life of a writing backend: one writer per file,
    /// whatever it is called. Dropped after `conn` (fields drop in order).
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
/// An absent count compares as 0, as it was stored before it could be absent.
const LIVE_GUARD: &str = " WHERE coalesce(excluded.trades, 0) >= coalesce(candles.trades, 0)";
/// A closed kline from the exchange is authoritative; an open one only replaces a thinner view.
const KLINE_GUARD: &str =
    " WHERE excluded.closed = 1 OR coalesce(excluded.trades, 0) >= coalesce(candles.trades, 0)";

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
        // The lock is the database file's own (flock, beside SQLite's own fcntl locks): a
        // second writer reaching the same file by another name (a symlink, a hard link) is
        // refused too. The handle stays open for as long as the connection.
        let lock = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            // A file this user may only read is still locked; SQLite then says what it can
            // and cannot do with it.
            .or_else(|_| File::open(path))
            .map_err(|e| open_err(e.to_string()))?;
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
                    c.quote_volume.map(|q| q.to_string()),
                    c.trades.map(|n| n as i64),
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
    let text = |i: usize| r.get_ref(i)?.as_str().map_err(|e| bad_column(i, e));
    let maybe_text = |i: usize| r.get_ref(i)?.as_str_or_null().map_err(|e| bad_column(i, e));
    let columns = CandleColumns {
        open_time: r.get(0)?,
        ohlc: [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?],
        volume: text(5)?,
        quote_volume: maybe_text(6)?,
        trades: r.get(7)?,
        closed: r.get(8)?,
        first_trade_id: r.get(9)?,
        last_trade_id: r.get(10)?,
    };
    columns.candle().map(Ok).map_err(|(i, e)| bad_column(i, e))
}

/// The four scores at `at`, the label at `label_at` and the scorer's name in column 19.
fn scores(
    r: &rusqlite::Row<'_>,
    at: usize,
    label_at: usize,
) -> rusqlite::Result<Option<Sentiment>> {
    let compound: Option<f64> = r.get(at)?;
    if compound.is_none() {
        return Ok(None);
    }
    let probs = [r.get(at + 1)?, r.get(at + 2)?, r.get(at + 3)?];
    let label = r.get::<_, Option<String>>(label_at)?;
    let scorer = r.get::<_, Option<String>>(19)?;
    Ok(stored_sentiment(
        compound,
        probs,
        label.as_deref(),
        scorer.as_deref(),
    ))
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
