//! Reading the user's trade history: the venues' own exports, recognised by their headers
//! (Binance's spot trade history in its current and older layouts, Bybit's and OKX's spot
//! trade histories, Kraken's `trades.csv`, Coinbase's transaction report with its preamble),
//! and the plain CSV of SPEC §6. A file is
//! read whole or refused with the first bad row's `file:line`, its column and why.

mod binance;
mod bybit;
mod coinbase;
mod fields;
mod kraken;
mod okx;
mod plain;

use std::collections::HashMap;
use std::path::Path;

use rust_decimal::Decimal;

use crate::domain::{Entry, Millis, Symbol};

pub use fields::split_market;

/// Why a file cannot be imported: where, which column, what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {}{message}", .column.as_ref().map(|c| format!("column {c:?}: ")).unwrap_or_default())]
pub struct ImportError {
    pub file: String,
    pub line: u64,
    pub column: Option<String>,
    pub message: String,
    /// Set when the row counts contracts of this market and [`Options::contracts`] has not
    /// been read: read the venue's list and read the file again.
    pub needs_contract_sizes: Option<Symbol>,
}

impl ImportError {
    /// An error of the file or one line, no column.
    fn at(file: &str, line: u64, message: impl Into<String>) -> ImportError {
        ImportError {
            file: file.to_string(),
            line,
            column: None,
            message: message.into(),
            needs_contract_sizes: None,
        }
    }
}

/// The exports read, by the header that names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Plain,
    BinanceTrades,
    BinanceTradesLegacy,
    KrakenTrades,
    CoinbaseTransactions,
    BybitSpotTrades,
    OkxTrades,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Plain => "plain CSV",
            Format::BinanceTrades => "Binance spot trade history",
            Format::BinanceTradesLegacy => "Binance spot trade history (older layout)",
            Format::KrakenTrades => "Kraken trades.csv",
            Format::CoinbaseTransactions => "Coinbase transaction report",
            Format::BybitSpotTrades => "Bybit spot trade history",
            Format::OkxTrades => "OKX trade history",
        }
    }

    /// The format whose header `line` is, if any.
    fn of_header(line: &str) -> Option<Format> {
        let cols: Vec<String> = line
            .split(',')
            .map(|c| c.trim().trim_matches('"').to_ascii_lowercase())
            .collect();
        let starts =
            |want: &[&str]| cols.len() >= want.len() && cols.iter().zip(want).all(|(c, w)| c == w);
        if starts(&[
            "time",
            "venue",
            "symbol",
            "side",
            "qty",
            "price",
            "fee",
            "fee_asset",
            "id",
        ]) {
            Some(Format::Plain)
        } else if starts(&[
            "date(utc)",
            "pair",
            "side",
            "price",
            "executed",
            "amount",
            "fee",
        ]) {
            Some(Format::BinanceTrades)
        } else if starts(&[
            "date(utc)",
            "market",
            "type",
            "price",
            "amount",
            "total",
            "fee",
            "fee coin",
        ]) {
            Some(Format::BinanceTradesLegacy)
        } else if starts(&[
            "txid",
            "ordertxid",
            "pair",
            "time",
            "type",
            "ordertype",
            "price",
            "cost",
            "fee",
            "vol",
        ]) {
            Some(Format::KrakenTrades)
        } else if starts(&[
            "spot pairs",
            "order type",
            "direction",
            "filled value",
            "filled price",
            "filled quantity",
            "fees",
            "transaction id",
        ]) {
            Some(Format::BybitSpotTrades)
        } else if starts(&[
            "id",
            "order id",
            "time",
            "trade type",
            "symbol",
            "action",
            "amount",
            "trading unit",
            "filled price",
        ]) {
            Some(Format::OkxTrades)
        } else if cols.iter().any(|c| c == "transaction type")
            && cols.iter().any(|c| c == "quantity transacted")
            && cols.iter().any(|c| c == "timestamp")
        {
            Some(Format::CoinbaseTransactions)
        } else {
            None
        }
    }
}

/// What the command line adds: the venue of a plain CSV's rows that leave it empty, the
/// account of every row without one, and the clock (rows after it are refused).
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub venue: Option<String>,
    pub account: Option<String>,
    pub now: Millis,
    /// Contract sizes, for rows that count contracts.
    pub contracts: ContractSizes,
}

/// What one contract of each swap is worth in its coin, for exports that count contracts
/// (OKX's perpetual rows in `cont`), from the venue's list, read when a file first needs it.
/// Today's sizes: a venue that resized a contract since the fill (rare, announced) would need
/// the export in coins.
#[derive(Clone, Debug, Default)]
pub enum ContractSizes {
    /// Not read: a row that needs a size is refused with
    /// [`ImportError::needs_contract_sizes`] set.
    #[default]
    Unread,
    Listed(HashMap<Symbol, Result<Decimal, String>>),
    /// The list could not be read: why.
    Unreadable(String),
}

/// One header column's position, by name (case-insensitive).
pub(super) struct Columns(HashMap<String, usize>);

impl Columns {
    fn new(header: &csv::StringRecord) -> Columns {
        Columns(
            header
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    (
                        h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase(),
                        i,
                    )
                })
                .collect(),
        )
    }
}

/// One record being read: its line, its fields by column name, and the errors it can give.
pub(super) struct Row<'a> {
    pub file: &'a str,
    pub line: u64,
    record: &'a csv::StringRecord,
    columns: &'a Columns,
}

impl Row<'_> {
    /// The text of `column` (trimmed); empty when the row is short.
    pub fn get(&self, column: &str) -> &str {
        self.columns
            .0
            .get(column)
            .and_then(|&i| self.record.get(i))
            .map(str::trim)
            .unwrap_or("")
    }

    pub fn error(&self, column: Option<&str>, message: impl Into<String>) -> ImportError {
        ImportError {
            column: column.map(str::to_string),
            ..ImportError::at(self.file, self.line, message)
        }
    }
}

/// Reads `path` whole: its format, and every row as ledger entries with their lines (in
/// file order).
pub fn read_file(path: &Path, opts: &Options) -> Result<(Format, Vec<(u64, Entry)>), ImportError> {
    let file = path.display().to_string();
    let whole = |message: String| ImportError::at(&file, 0, message);
    let bytes = std::fs::read(path).map_err(|e| whole(format!("cannot read: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|_| whole("not UTF-8 text".into()))?;
    let text = text.trim_start_matches('\u{feff}');
    read_text(&file, text, opts)
}

/// Lines a preamble may take before the header (Coinbase's report has three or four).
const PREAMBLE_LINES: usize = 10;

/// Reads a file's text (`file` names it in errors).
pub fn read_text(
    file: &str,
    text: &str,
    opts: &Options,
) -> Result<(Format, Vec<(u64, Entry)>), ImportError> {
    let mut offset = 0;
    let mut found = None;
    for (i, line) in text.split_inclusive('\n').enumerate().take(PREAMBLE_LINES) {
        if let Some(f) = Format::of_header(line.trim_end_matches(['\r', '\n'])) {
            found = Some((f, i as u64, offset));
            break;
        }
        offset += line.len();
    }
    let Some((format, header_line, offset)) = found else {
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        return Err(ImportError::at(
            file,
            1,
            format!(
                "not an export cryptoviz reads (header {:?}); it reads the plain CSV (time,venue,symbol,side,qty,price,fee,fee_asset,id[,account]), Binance's and Bybit's spot trade histories, OKX's trade history, Kraken's trades.csv and Coinbase's transaction report",
                crate::domain::text::clip_bytes(first, 120)
            ),
        ));
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(&text.as_bytes()[offset..]);
    let header = reader
        .headers()
        .map_err(|e| ImportError::at(file, header_line + 1, e.to_string()))?
        .clone();
    let columns = Columns::new(&header);
    // OKX writes its times in the zone its preamble names.
    let zone = match format {
        Format::OkxTrades => {
            okx::zone(&text[..offset]).map_err(|message| ImportError::at(file, 1, message))?
        }
        _ => 0,
    };
    let mut entries = Vec::new();
    // Each row's identity: the line it was first seen on and its content.
    let mut seen: HashMap<String, (u64, String)> = HashMap::new();
    let mut record = csv::StringRecord::new();
    loop {
        // The reader counts the header as line 1; the file may have a preamble before it.
        let line = header_line + reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                return Err(ImportError::at(file, line, format!("not CSV: {e}")));
            }
        }
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let row = Row {
            file,
            line,
            record: &record,
            columns: &columns,
        };
        let got = match format {
            Format::Plain => plain::read(&row, opts)?,
            Format::BinanceTrades => binance::read(&row)?,
            Format::BinanceTradesLegacy => binance::read_legacy(&row)?,
            Format::KrakenTrades => kraken::read(&row)?,
            Format::CoinbaseTransactions => coinbase::read(&row)?,
            Format::BybitSpotTrades => bybit::read(&row)?,
            Format::OkxTrades => okx::read(&row, zone, &opts.contracts)?,
        };
        let mut kept = Vec::with_capacity(got.len());
        for mut e in got {
            // Names go to terminals and into the store: a coin's name, or a perp market.
            let names = [
                Some(&e.asset),
                e.quote.as_ref(),
                e.fee.as_ref().map(|f| &f.1),
            ];
            if let Some(bad) = names.into_iter().flatten().find(|n| !is_asset_name(n)) {
                return Err(row.error(
                    None,
                    format!(
                        "{:?} is not an asset's name (up to 20 letters, digits, '.', '-' or '_')",
                        crate::domain::text::clip_bytes(bad, 40)
                    ),
                ));
            }
            if e.account.is_empty()
                && let Some(a) = &opts.account
            {
                e.account = a.clone();
            }
            if e.time > opts.now + FUTURE_SLACK_MS {
                return Err(row.error(
                    None,
                    format!("{} is in the future", crate::domain::rfc3339(e.time)),
                ));
            }
            // The same id twice in a file is one row (or a forgery when the content differs);
            // identical rows without ids (two equal fills in one second) are told apart by
            // their order, so importing the file again still adds nothing.
            let key = e.identity();
            match seen.get(&key) {
                Some((_, content)) if e.id.is_some() && *content == e.content() => continue,
                Some((first, _)) if e.id.is_some() => {
                    return Err(row.error(
                        None,
                        format!(
                            "id {:?} is also on line {first}, with other content",
                            e.id.as_deref().unwrap_or("")
                        ),
                    ));
                }
                Some(_) => {
                    let n = (2..)
                        .find(|n| !seen.contains_key(&format!("{key}#{n}")))
                        .unwrap_or(2);
                    seen.insert(format!("{key}#{n}"), (line, e.content()));
                    e.id = Some(format!("{}#{n}", e.content()));
                }
                None => {
                    seen.insert(key, (line, e.content()));
                }
            }
            kept.push((line, e));
        }
        let got = kept;
        entries.extend(got);
    }
    Ok((format, entries))
}

/// A coin's name as exports write it (`BTC`, `1000SATS`, `USDC.E`), or a perp market
/// (`binance-perp:BTCUSDT`).
fn is_asset_name(name: &str) -> bool {
    if name.contains(':') {
        return crate::domain::Symbol::new(name).is_ok_and(|s| s.is_perp());
    }
    (1..=20).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// Rows this far past the clock are a typo or a forgery, not a fill.
const FUTURE_SLACK_MS: Millis = 5 * 60_000;
