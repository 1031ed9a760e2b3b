//! Bybit's spot trade history (Orders > Unified Trading Account > Spot Orders > Order
//! History, export): `Spot Pairs,Order Type,Direction,Filled Value,Filled Price,Filled
//! Quantity,Fees,Transaction ID,Order No.,Timestamp (UTC)`, times written `14:35 2024-11-16`.
//! The fee names no asset: Bybit charges spot fees in what the trade brings in (the coin on a
//! buy, the quote on a sale), as the export's own numbers show (a buy of 10 ICP paying 0.01, a
//! sale worth 49.97 USDT paying 0.04997). `Transaction ID` is the id.

use super::fields::{optional, positive, split_market};
use super::{ImportError, Row};
use crate::domain::{Entry, EntryKind};

pub fn read(row: &Row<'_>) -> Result<Vec<Entry>, ImportError> {
    let pair = row.get("spot pairs");
    let (base, quote) = split_market(pair).ok_or_else(|| {
        row.error(
            Some("Spot Pairs"),
            format!("cannot tell the base and quote of {pair:?}"),
        )
    })?;
    let kind = match row.get("direction").to_ascii_uppercase().as_str() {
        "BUY" => EntryKind::Buy,
        "SELL" => EntryKind::Sell,
        other => {
            return Err(row.error(Some("Direction"), format!("{other:?} is not BUY or SELL")));
        }
    };
    let when = row.get("timestamp (utc)");
    let time = chrono::NaiveDateTime::parse_from_str(when, "%H:%M %Y-%m-%d")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(when, "%Y-%m-%d %H:%M:%S"))
        .map(|t| t.and_utc().timestamp_millis())
        .map_err(|_| {
            row.error(
                Some("Timestamp (UTC)"),
                format!(
                    "{:?} is not a time (HH:MM YYYY-MM-DD)",
                    crate::domain::text::clip_bytes(when, 40)
                ),
            )
        })?;
    let id = row.get("transaction id");
    if id.is_empty() {
        return Err(row.error(Some("Transaction ID"), "empty"));
    }
    let fee_asset = if kind == EntryKind::Buy {
        &base
    } else {
        &quote
    };
    Ok(vec![Entry {
        time,
        venue: "bybit".into(),
        account: String::new(),
        kind,
        asset: base.clone(),
        quote: Some(quote.clone()),
        qty: positive(row, "filled quantity")?,
        price: Some(positive(row, "filled price")?),
        fee: optional(row, "fees")?.map(|f| (f, fee_asset.clone())),
        id: Some(id.to_string()),
    }])
}
