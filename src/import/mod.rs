//! Binance public-data files (data.binance.vision): trades and aggTrades go through the same
//! aggregation as live trades; klines are stored as they are.

mod csv;
mod name;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::aggregate::Aggregator;
use crate::domain::{Candle, SeriesKey, Symbol, Timeframe};
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
    #[error("{path}: cannot tell the symbol from the file name; pass --symbol")]
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
}

/// How often aggregated candles are handed to the store while reading.
const DRAIN_EVERY: u64 = 20_000;

/// Imports one file (CSV or a zip holding one) into the store.
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
    let reader = open(path)?;
    let mut summary = ImportSummary::default();
    let mut line_no = 0usize;
    let mut kind: Option<FileKind> = None;
    let mut agg = Aggregator::new(symbol, timeframes);
    let mut klines: Vec<Candle> = Vec::new();
    let mut kline_tf = None;
    let mut out = Vec::new();

    let row_err = |line: usize, reason: String| ImportError::Row {
        path: path.into(),
        line,
        reason,
    };
    for line in reader.lines() {
        line_no += 1;
        let line = line.map_err(|source| ImportError::Io {
            path: path.into(),
            source,
        })?;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        // Newer files carry a header row; older ones don't.
        if line_no == 1 && fields[0].parse::<i64>().is_err() {
            continue;
        }
        let k = match kind {
            Some(k) => k,
            None => {
                let k = FileKind::detect(fields.len(), name.kind).ok_or_else(|| {
                    row_err(
                        line_no,
                        format!(
                            "{} columns: not a trades, aggTrades or klines file",
                            fields.len()
                        ),
                    )
                })?;
                if k == FileKind::Klines {
                    kline_tf = Some(
                        timeframe
                            .or(name.timeframe)
                            .ok_or_else(|| ImportError::NoTimeframe { path: path.into() })?,
                    );
                }
                kind = Some(k);
                k
            }
        };
        summary.rows += 1;
        match parse_row(k, symbol, &fields, kline_tf).map_err(|r| row_err(line_no, r))? {
            Row::Trade(t) => {
                summary.trades += 1;
                match agg.push(&t) {
                    crate::aggregate::Outcome::Void => summary.skipped_void += 1,
                    crate::aggregate::Outcome::Duplicate => summary.duplicates += 1,
                    _ => {}
                }
                if summary.trades % DRAIN_EVERY == 0 {
                    summary.candles += flush_closed(store, &mut agg, &mut out)?;
                }
            }
            Row::Kline(c) => {
                klines.push(c);
                if klines.len() >= 1000 {
                    summary.candles += write_klines(store, symbol, kline_tf, &mut klines).await?;
                }
            }
        }
    }
    if summary.rows == 0 {
        return Err(ImportError::Empty { path: path.into() });
    }
    summary.kind = kind;
    // The last candle of a file may be partial; it stays open (not closed) in the store.
    agg.drain(&mut out);
    summary.candles += upsert(store, &mut out)?;
    summary.candles += write_klines(store, symbol, kline_tf, &mut klines).await?;
    store.flush().await?;
    Ok(summary)
}

/// Hands finished candles to the store, keeping the open ones back until the file ends or
/// proves them finished, so a bad row later in the file never leaves a wrong candle behind.
fn flush_closed(
    store: &Store,
    agg: &mut Aggregator,
    out: &mut Vec<(SeriesKey, Candle)>,
) -> Result<u64, ImportError> {
    agg.drain(out);
    let (closed, open): (Vec<_>, Vec<_>) = out.drain(..).partition(|(_, c)| c.closed);
    let mut closed = closed;
    let n = upsert(store, &mut closed)?;
    // Open candles will be emitted again once they change or close.
    drop(open);
    Ok(n)
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

/// A reader over the CSV text, unzipping when the file is a zip archive.
fn open(path: &Path) -> Result<Box<dyn BufRead>, ImportError> {
    let io = |source| ImportError::Io {
        path: path.into(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut magic = [0u8; 4];
    let n = file.read(&mut magic).map_err(io)?;
    let file = std::fs::File::open(path).map_err(io)?;
    if n == 4 && magic == *b"PK\x03\x04" {
        let mut zip = zip::ZipArchive::new(file).map_err(|e| ImportError::Zip {
            path: path.into(),
            detail: e.to_string(),
        })?;
        let idx = (0..zip.len())
            .find(|&i| {
                zip.by_index(i)
                    .map(|f| f.name().to_ascii_lowercase().ends_with(".csv"))
                    .unwrap_or(false)
            })
            .ok_or_else(|| ImportError::EmptyZip { path: path.into() })?;
        // The archive holds one day or month; reading it into memory keeps the reader simple.
        let mut text = Vec::new();
        zip.by_index(idx)
            .map_err(|e| ImportError::Zip {
                path: path.into(),
                detail: e.to_string(),
            })?
            .read_to_end(&mut text)
            .map_err(io)?;
        return Ok(Box::new(std::io::Cursor::new(text)));
    }
    Ok(Box::new(BufReader::with_capacity(1 << 16, file)))
}
