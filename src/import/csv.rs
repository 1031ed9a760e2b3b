//! Row formats of data.binance.vision (BINANCE.md, "Public data files").

use crate::domain::{Candle, Millis, Price, Qty, Quote, Symbol, Timeframe, Trade};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// `id,price,qty,quote_qty,time,is_buyer_maker,is_best_match`
    Trades,
    /// `agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker,is_best_match`
    AggTrades,
    /// `open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore`
    Klines,
}

impl FileKind {
    /// The column count decides; the file name only breaks no ties but is checked against it.
    pub fn detect(columns: usize, hint: Option<FileKind>) -> Option<FileKind> {
        let by_columns = match columns {
            7 => FileKind::Trades,
            8 => FileKind::AggTrades,
            12 => FileKind::Klines,
            _ => return None,
        };
        match hint {
            Some(h) if h != by_columns => None,
            _ => Some(by_columns),
        }
    }
}

pub enum Row {
    Trade(Trade),
    Kline(Candle),
}

/// Files from 2025 on carry microseconds; no millisecond time reaches 10^14 before year 5138.
fn millis(field: &str, what: &str) -> Result<Millis, String> {
    let v: i64 = field
        .trim()
        .parse()
        .map_err(|_| format!("{what} {field:?} is not an integer"))?;
    Ok(if v >= 100_000_000_000_000 {
        v / 1000
    } else {
        v
    })
}

fn int(field: &str, what: &str) -> Result<i64, String> {
    field
        .trim()
        .parse()
        .map_err(|_| format!("{what} {field:?} is not an integer"))
}

fn dec<const S: u32>(field: &str, what: &str) -> Result<crate::domain::Fixed<S>, String> {
    field.trim().parse().map_err(|e| format!("{what}: {e}"))
}

fn boolean(field: &str) -> bool {
    field.trim().eq_ignore_ascii_case("true")
}

pub fn parse_row(
    kind: FileKind,
    symbol: Symbol,
    f: &[&str],
    tf: Option<Timeframe>,
) -> Result<Row, String> {
    let want = match kind {
        FileKind::Trades => 7,
        FileKind::AggTrades => 8,
        FileKind::Klines => 12,
    };
    if f.len() != want {
        return Err(format!("expected {want} columns, found {}", f.len()));
    }
    match kind {
        FileKind::Trades => Ok(Row::Trade(Trade {
            symbol,
            id: int(f[0], "id")?,
            price: dec(f[1], "price")?,
            qty: dec(f[2], "qty")?,
            time: millis(f[4], "time")?,
            count: 1,
            micros: 0,
            buyer_is_maker: boolean(f[5]),
        })),
        FileKind::AggTrades => {
            let first = int(f[3], "first_trade_id")?;
            let last = int(f[4], "last_trade_id")?;
            let price: Price = dec(f[1], "price")?;
            let qty: Qty = dec(f[2], "quantity")?;
            // Invalidated duplicates carry f = l = -1 (and price/qty 0): they count for nothing.
            let void = first < 0 || last < first;
            Ok(Row::Trade(Trade {
                symbol,
                id: int(f[0], "agg_trade_id")?,
                price: if void { Price::ZERO } else { price },
                qty: if void { Qty::ZERO } else { qty },
                time: millis(f[5], "transact_time")?,
                count: if void { 0 } else { (last - first + 1) as u32 },
                micros: 0,
                buyer_is_maker: boolean(f[6]),
            }))
        }
        FileKind::Klines => {
            let tf = tf.ok_or("kline file without a timeframe")?;
            let open_time = millis(f[0], "open_time")?;
            let close_time = millis(f[6], "close_time")?;
            if tf.bucket(open_time) != open_time || close_time != open_time + tf.millis() - 1 {
                return Err(format!(
                    "open_time {open_time} / close_time {close_time} do not make a {tf} candle"
                ));
            }
            let candle = Candle {
                open_time,
                open: dec(f[1], "open")?,
                high: dec(f[2], "high")?,
                low: dec(f[3], "low")?,
                close: dec(f[4], "close")?,
                volume: dec(f[5], "volume")?,
                quote_volume: Some(dec::<16>(f[7], "quote_volume")? as Quote),
                trades: Some(int(f[8], "count")?.max(0) as u64),
                closed: true,
                first_trade_id: None,
                last_trade_id: None,
            };
            if candle.high < candle.low {
                return Err("high is below low".into());
            }
            Ok(Row::Kline(candle))
        }
    }
}
