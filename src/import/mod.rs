//! Binance public-data files (data.binance.vision): trades and aggTrades go through the same
//! aggregation as live trades; klines are stored as they are.

mod csv;
mod name;
mod unzip;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::aggregate::{Aggregator, Outcome};
use crate::domain::{Candle, Millis, SeriesKey, Symbol, Timeframe};
use crate::store::{CandleSource, Store, StoreError};

pub use csv::{FileKind, Row, parse_row};
pub use name::FileName;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a readable zip archive: {detail}")]
    Zip { path: PathBuf, detail: String },
    #[error("{path}: zip archive holds no .csv file")]
    EmptyZip { path: PathBuf },
    #[error(
        "{path}: cannot tell the symbol: only Binance's own file names (BTCUSDT-trades-2024-01-01.csv) say it; pass --symbol binance:SYMBOL"
    )]
    NoSymbol { path: PathBuf },
    #[error("{path}: cannot tell the timeframe of this kline file; pass --timeframe")]
    NoTimeframe { path: PathBuf },
    #[error("{path}:{line}: {reason}")]
    Row {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("{path}: no rows")]
    Empty { path: PathBuf },
    #[error("{path}: the store failed after {written} candles of this file were written: {cause}")]
    Partial {
        path: PathBuf,
        written: u64,
        cause: Box<ImportError>,
    },
    #[error("{path}: zip member is larger than {limit} bytes unpacked")]
    TooLarge { path: PathBuf, limit: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What one file contributed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub rows: u64,
    pub trades: u64,
    pub skipped_void: u64,
    pub duplicates: u64,
    pub candles: u64,
    pub kind: Option<FileKind>,
    /// The series the file wrote to, for the caller's retention notice.
    pub keys: Vec<SeriesKey>,
    /// Candles the file ended inside of, left open (timeframe, open time), oldest timeframe
    /// first: nothing proves they are complete until later trades, a backfill or the
    /// collector's repair complete them.
    pub still_open: Vec<(Timeframe, Millis)>,
}

/// The longest CSV line accepted. Binance's rows are under 200 bytes; a longer line is not a
/// row, and reading it whole would let one line take all memory (a zip holding one 1 GB line).
pub const MAX_LINE_BYTES: usize = 4096;
/// The most text a zip member may unpack to (a month of BTCUSDT trades is about 10 GB).
pub const MAX_MEMBER_BYTES: u64 = 64 << 30;

/// How often aggregated candles are handed to the store while writing.
const DRAIN_EVERY: u64 = 20_000;

/// Imports one file (CSV or a zip holding one) into the store, all or nothing: a first pass
/// checks every row (syntax, columns, and that it could be real: [`Trade::check`],
/// [`Candle::check`]) and writes nothing; only a file that passes is read again and stored.
pub async fn import_file(
    store: &Store,
    path: &Path,
    symbol: Option<Symbol>,
    timeframe: Option<Timeframe>,
    timeframes: &[Timeframe],
) -> Result<ImportSummary, ImportError> {
    let name = FileName::parse(path);
    let symbol = symbol
        .or(name.symbol)
        .ok_or_else(|| ImportError::NoSymbol { path: path.into() })?;
    let now = crate::domain::now_ms();
    let mut rows = Rows::open(path, name, symbol, timeframe, now)?;
    while let Some(row) = rows.next_row() {
        row?;
    }
    if rows.count == 0 {
        return Err(ImportError::Empty { path: path.into() });
    }
    let mut rows = Rows::open(path, name, symbol, timeframe, now)?;
    let mut written = 0u64;
    store_rows(store, &mut rows, symbol, timeframes, &mut written)
        .await
        .map_err(|source| ImportError::Partial {
            path: path.into(),
            written,
            cause: Box::new(source),
        })
}

/// The second pass: aggregates trades exactly as live ones and writes klines as they are.
/// `written` counts the candles handed to the store, for the error if the store fails midway.
async fn store_rows(
    store: &Store,
    rows: &mut Rows,
    symbol: Symbol,
    timeframes: &[Timeframe],
    written: &mut u64,
) -> Result<ImportSummary, ImportError> {
    let mut summary = ImportSummary::default();
    let mut agg = Aggregator::new(symbol, timeframes);
    let mut klines: Vec<Candle> = Vec::new();
    let mut out = Vec::new();
    // The newest version of each candle still open, written once the file ends.
    let mut open: HashMap<(SeriesKey, Millis), Candle> = HashMap::new();
    while let Some(row) = rows.next_row() {
        summary.rows += 1;
        match row? {
            Row::Trade(t) => {
                summary.trades += 1;
                match agg.push(&t) {
                    Outcome::Void => summary.skipped_void += 1,
                    Outcome::Duplicate => summary.duplicates += 1,
                    _ => {}
                }
                if summary.trades % DRAIN_EVERY == 0 {
                    *written += flush_closed(store, &mut agg, &mut out, &mut open)?;
                }
            }
            Row::Kline(c) => {
                klines.push(c);
                if klines.len() >= 1000 {
                    *written += write_klines(store, symbol, rows.kline_tf, &mut klines).await?;
                }
            }
        }
    }
    summary.kind = rows.kind;
    // The last candles of a file may be partial: they stay open in the store, unless the file
    // is one of Binance's daily or monthly files, which hold every trade of their period, so
    // a candle that ends by the period's end is complete.
    *written += flush_closed(store, &mut agg, &mut out, &mut open)?;
    let complete_until = rows.name.period.map(|(_, end)| end);
    for ((k, _), mut c) in open.drain() {
        if complete_until.is_some_and(|end| c.open_time + k.timeframe.millis() <= end) {
            c.closed = true;
        } else {
            summary.still_open.push((k.timeframe, c.open_time));
        }
        out.push((k, c));
    }
    summary.still_open.sort();
    *written += upsert(store, &mut out)?;
    *written += write_klines(store, symbol, rows.kline_tf, &mut klines).await?;
    store.flush().await?;
    summary.candles = *written;
    summary.keys = match rows.kline_tf {
        Some(timeframe) => vec![SeriesKey { symbol, timeframe }],
        None => timeframes
            .iter()
            .map(|&timeframe| SeriesKey { symbol, timeframe })
            .collect(),
    };
    Ok(summary)
}

/// Hands finished candles to the store and keeps the newest version of each open one in
/// `open` until the file ends or proves it finished (a drained open candle is not drained
/// again unless it changes, so it must not be dropped here).
fn flush_closed(
    store: &Store,
    agg: &mut Aggregator,
    out: &mut Vec<(SeriesKey, Candle)>,
    open: &mut HashMap<(SeriesKey, Millis), Candle>,
) -> Result<u64, ImportError> {
    agg.drain(out);
    let mut closed = Vec::with_capacity(out.len());
    for (k, c) in out.drain(..) {
        if c.closed {
            open.remove(&(k, c.open_time));
            closed.push((k, c));
        } else {
            open.insert((k, c.open_time), c);
        }
    }
    upsert(store, &mut closed)
}

fn upsert(store: &Store, rows: &mut Vec<(SeriesKey, Candle)>) -> Result<u64, ImportError> {
    let n = rows.len() as u64;
    rows.sort_by_key(|(k, c)| (*k, c.open_time));
    let mut i = 0;
    while i < rows.len() {
        let key = rows[i].0;
        let j = rows[i..]
            .iter()
            .position(|(k, _)| *k != key)
            .map_or(rows.len(), |p| i + p);
        let candles = rows[i..j].iter().map(|(_, c)| *c).collect();
        store.upsert(key, candles, CandleSource::Import)?;
        i = j;
    }
    rows.clear();
    Ok(n)
}

async fn write_klines(
    store: &Store,
    symbol: Symbol,
    tf: Option<Timeframe>,
    rows: &mut Vec<Candle>,
) -> Result<u64, ImportError> {
    let Some(timeframe) = tf else { return Ok(0) };
    if rows.is_empty() {
        return Ok(0);
    }
    let key = SeriesKey { symbol, timeframe };
    let n = store
        .write_klines(key, std::mem::take(rows), CandleSource::Import, None)
        .await?;
    Ok(n as u64)
}

/// The rows of one file, each parsed and checked, with the line it came from in every error.
struct Rows {
    reader: Box<dyn BufRead>,
    path: PathBuf,
    name: FileName,
    symbol: Symbol,
    timeframe: Option<Timeframe>,
    now: Millis,
    line_no: usize,
    line: Vec<u8>,
    kind: Option<FileKind>,
    kline_tf: Option<Timeframe>,
    /// Data rows read so far (the header and blank lines not counted).
    count: u64,
}

impl Rows {
    fn open(
        path: &Path,
        name: FileName,
        symbol: Symbol,
        timeframe: Option<Timeframe>,
        now: Millis,
    ) -> Result<Rows, ImportError> {
        Ok(Rows {
            reader: open(path)?,
            path: path.into(),
            name,
            symbol,
            timeframe,
            now,
            line_no: 0,
            line: Vec::with_capacity(256),
            kind: None,
            kline_tf: None,
            count: 0,
        })
    }

    fn err(&self, reason: impl Into<String>) -> ImportError {
        ImportError::Row {
            path: self.path.clone(),
            line: self.line_no,
            reason: reason.into(),
        }
    }

    /// The next data row; `None` at the end of the file.
    fn next_row(&mut self) -> Option<Result<Row, ImportError>> {
        loop {
            match self.next_line() {
                Ok(true) => {}
                Ok(false) => return None,
                Err(e) => return Some(Err(e)),
            }
            match self.parse_line() {
                Ok(Some(row)) => {
                    self.count += 1;
                    return Some(Ok(row));
                }
                Ok(None) => continue,
                Err(e) => return Some(Err(e)),
            }
        }
    }

    /// Reads one line into `self.line`, at most [`MAX_LINE_BYTES`]; false at the end.
    fn next_line(&mut self) -> Result<bool, ImportError> {
        self.line.clear();
        let limit = MAX_LINE_BYTES as u64 + 1;
        let n = (&mut self.reader)
            .take(limit)
            .read_until(b'\n', &mut self.line)
            .map_err(|source| ImportError::Io {
                path: self.path.clone(),
                source,
            })?;
        if n == 0 {
            return Ok(false);
        }
        self.line_no += 1;
        if self.line.len() > MAX_LINE_BYTES && self.line.last() != Some(&b'\n') {
            return Err(self.err(format!(
                "line longer than {MAX_LINE_BYTES} bytes: not a CSV row"
            )));
        }
        Ok(true)
    }

    fn parse_line(&mut self) -> Result<Option<Row>, ImportError> {
        let line = std::str::from_utf8(&self.line)
            .map_err(|_| self.err("not UTF-8 text"))?
            .trim();
        if line.is_empty() {
            return Ok(None);
        }
        let fields: Vec<&str> = line.split(',').collect();
        // Newer files carry a header row; older ones don't.
        if self.line_no == 1 && fields[0].trim().parse::<i64>().is_err() {
            return Ok(None);
        }
        let kind = match self.kind {
            Some(k) => k,
            None => {
                let k = FileKind::detect(fields.len(), self.name.kind).ok_or_else(|| {
                    self.err(format!(
                        "{} columns: not a trades, aggTrades or klines file",
                        fields.len()
                    ))
                })?;
                if k == FileKind::Klines {
                    self.kline_tf =
                        Some(self.timeframe.or(self.name.timeframe).ok_or_else(|| {
                            ImportError::NoTimeframe {
                                path: self.path.clone(),
                            }
                        })?);
                }
                self.kind = Some(k);
                k
            }
        };
        let row = parse_row(kind, self.symbol, &fields, self.kline_tf).map_err(|r| self.err(r))?;
        let checked = match &row {
            Row::Trade(t) => t.check(self.now),
            Row::Kline(c) => c.check(self.now),
        };
        checked.map_err(|why| self.err(why.to_string()))?;
        Ok(Some(row))
    }
}

/// A reader over the CSV text, unzipping when the file is a zip archive.
fn open(path: &Path) -> Result<Box<dyn BufRead>, ImportError> {
    let io = |source| ImportError::Io {
        path: path.into(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut magic = [0u8; 4];
    let n = file.read(&mut magic).map_err(io)?;
    if n == 4 && magic == *b"PK\x03\x04" {
        return unzip::member_reader(path);
    }
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    Ok(Box::new(BufReader::with_capacity(1 << 16, file)))
}
