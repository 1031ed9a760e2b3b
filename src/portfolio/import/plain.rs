//! The plain CSV of SPEC §6: `time,venue,symbol,side,qty,price,fee,fee_asset,id[,account]`.
//! For fills `symbol` is the market (`BTCUSDT`, `BTC-USD`); for the other sides it is the
//! asset, and an empty `price` on a deposit or reward means its stored price is its cost.
//! A fill or funding payment on a perp market (venue `binance-perp` or `bybit-perp`, or
//! `okx` with a `-SWAP` market) is a position: `qty` in the coin (contracts times their size),
//! a funding payment's `qty` in the market's quote asset it settles in.

use super::fields::{optional, positive, split_market, time};
use super::{ImportError, Options, Row};
use crate::domain::{Entry, EntryKind, Symbol, asset_name};

pub fn read(row: &Row<'_>, opts: &Options) -> Result<Vec<Entry>, ImportError> {
    let kind = EntryKind::parse(row.get("side")).ok_or_else(|| {
        row.error(
            Some("side"),
            format!(
                "{:?} is not buy, sell, deposit, withdraw, fee, funding or reward",
                crate::domain::text::clip_bytes(row.get("side"), 40)
            ),
        )
    })?;
    let venue = match (row.get("venue"), &opts.venue) {
        ("", Some(v)) => v.clone(),
        ("", None) => return Err(row.error(Some("venue"), "empty (or give --venue)")),
        (v, _) => v.to_ascii_lowercase(),
    };
    let symbol = row.get("symbol");
    let perp = Symbol::new(&format!("{venue}:{symbol}"))
        .ok()
        .filter(|s| {
            s.is_perp() && matches!(kind, EntryKind::Buy | EntryKind::Sell | EntryKind::Funding)
        })
        .and_then(|s| Some((s, split_market(symbol)?.1)));
    let (asset, quote) = if let Some((market, settle)) = perp {
        (market.canonical(), kind.is_fill().then_some(settle))
    } else if kind.is_fill() {
        let (b, q) = split_market(symbol).ok_or_else(|| {
            row.error(
                Some("symbol"),
                format!("cannot tell the base and quote of {symbol:?}"),
            )
        })?;
        (b, Some(q))
    } else if symbol.is_empty() {
        return Err(row.error(Some("symbol"), "empty: the asset moved"));
    } else {
        (asset_name(symbol), None)
    };
    let qty = if kind == EntryKind::Funding {
        let text = row.get("qty");
        let v = super::fields::decimal(row, "qty", text)?;
        if v.is_zero() {
            return Err(row.error(Some("qty"), "zero"));
        }
        v
    } else {
        positive(row, "qty")?
    };
    let price = if kind.is_fill() {
        Some(positive(row, "price")?)
    } else {
        optional(row, "price")?
    };
    let fee = match optional(row, "fee")? {
        Some(f) => {
            let a = row.get("fee_asset");
            if a.is_empty() {
                return Err(row.error(Some("fee_asset"), "empty beside a fee"));
            }
            Some((f, asset_name(a)))
        }
        None => None,
    };
    let id = Some(row.get("id"))
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    Ok(vec![Entry {
        time: time(row, "time")?,
        venue,
        account: row.get("account").to_string(),
        kind,
        asset,
        quote,
        qty,
        price,
        fee,
        id,
    }])
}
