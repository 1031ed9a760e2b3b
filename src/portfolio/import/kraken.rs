//! Kraken's `trades.csv` (History > Export > Trades):
//! `"txid","ordertxid","pair","time","type","ordertype","price","cost","fee","vol","margin",
//! "misc","ledgers"` (sometimes more columns after). `vol` is the base quantity, `price` and
//! `fee` are in the quote; pairs are `XXBTZEUR` (legacy codes) or `POL/EUR`; `txid` is the id.

use super::fields::{optional, positive, split_market, time};
use super::{ImportError, Row};
use crate::domain::{Entry, EntryKind};

pub fn read(row: &Row<'_>) -> Result<Vec<Entry>, ImportError> {
    let pair = row.get("pair");
    let (base, quote) = split_market(pair).ok_or_else(|| {
        row.error(
            Some("pair"),
            format!("cannot tell the base and quote of {pair:?}"),
        )
    })?;
    let kind = match row.get("type") {
        "buy" => EntryKind::Buy,
        "sell" => EntryKind::Sell,
        other => {
            return Err(row.error(Some("type"), format!("{other:?} is not buy or sell")));
        }
    };
    let txid = row.get("txid");
    if txid.is_empty() {
        return Err(row.error(Some("txid"), "empty"));
    }
    Ok(vec![Entry {
        time: time(row, "time")?,
        venue: "kraken".into(),
        account: String::new(),
        kind,
        asset: base,
        quote: Some(quote.clone()),
        qty: positive(row, "vol")?,
        price: Some(positive(row, "price")?),
        fee: optional(row, "fee")?.map(|f| (f, quote)),
        id: Some(txid.to_string()),
    }])
}
