//! Binance's spot trade history (Orders > Trade History > Export):
//! `"Date(UTC)","Pair","Side","Price","Executed","Amount","Fee"` with amounts carrying their
//! asset (`"0.00100000BTC"`, `"62.0005USDT"`, `"0.0000015BNB"`) and prices with thousands
//! separators; and the older `Date(UTC),Market,Type,Price,Amount,Total,Fee,Fee Coin`. Neither
//! has an id: a row is known by its content. Sources: privatefolio's `binance-spot-history`
//! parser and rotki-style importers (see `tests/fixtures/portfolio/README.md`).

use rust_decimal::Decimal;

use super::fields::{decimal, positive, split_market, time};
use super::{ImportError, Row};
use crate::domain::{Entry, EntryKind, asset_name};

fn side(row: &Row<'_>, column: &str) -> Result<EntryKind, ImportError> {
    match row.get(column).to_ascii_uppercase().as_str() {
        "BUY" => Ok(EntryKind::Buy),
        "SELL" => Ok(EntryKind::Sell),
        other => Err(row.error(Some(column), format!("{other:?} is not BUY or SELL"))),
    }
}

/// `"0.00100000BTC"` read as the amount of `asset`, which it must end with.
fn amount_of(row: &Row<'_>, column: &str, asset: &str) -> Result<Decimal, ImportError> {
    let text = row.get(column);
    let number = text.strip_suffix(asset).ok_or_else(|| {
        row.error(
            Some(column),
            format!("{text:?} is not an amount of {asset}"),
        )
    })?;
    decimal(row, column, number)
}

/// The pair's base and quote: where `Executed` ends with the base and `Amount` with the
/// quote (`1INCHUSDT`: "100.0001INCH" is 100.000 of 1INCH).
fn pair(row: &Row<'_>) -> Result<(String, String), ImportError> {
    let pair = row.get("pair").to_ascii_uppercase();
    if !pair.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(row.error(
            Some("pair"),
            format!(
                "{:?} is not a market name",
                crate::domain::text::clip_bytes(&pair, 40)
            ),
        ));
    }
    let (executed, amount) = (row.get("executed"), row.get("amount"));
    (1..pair.len())
        .map(|k| (&pair[..k], &pair[k..]))
        .find(|(b, q)| executed.ends_with(b) && amount.ends_with(q))
        .map(|(b, q)| (b.to_string(), q.to_string()))
        .ok_or_else(|| {
            row.error(
                Some("pair"),
                format!("{pair:?} does not match Executed {executed:?} and Amount {amount:?}"),
            )
        })
}

pub fn read(row: &Row<'_>) -> Result<Vec<Entry>, ImportError> {
    let (base, quote) = pair(row)?;
    let qty = amount_of(row, "executed", &base)?;
    if qty <= Decimal::ZERO {
        return Err(row.error(Some("executed"), "not above zero"));
    }
    let fee_text = row.get("fee");
    let fee = if fee_text.is_empty() {
        None
    } else {
        // The fee's asset: the base, the quote, or another (BNB): what follows the number.
        let split = fee_text
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
            .unwrap_or(fee_text.len());
        let asset = [base.as_str(), quote.as_str()]
            .into_iter()
            .find(|a| fee_text.ends_with(a) && fee_text.len() > a.len())
            .map(str::to_string)
            .unwrap_or_else(|| fee_text[split..].to_string());
        let amount = amount_of(row, "fee", &asset)?;
        (!amount.is_zero()).then(|| (amount, asset_name(&asset)))
    };
    Ok(vec![Entry {
        time: time(row, "date(utc)")?,
        venue: "binance".into(),
        account: String::new(),
        kind: side(row, "side")?,
        asset: asset_name(&base),
        quote: Some(asset_name(&quote)),
        qty,
        price: Some(positive(row, "price")?),
        fee,
        id: None,
    }])
}

pub fn read_legacy(row: &Row<'_>) -> Result<Vec<Entry>, ImportError> {
    let market = row.get("market");
    let (base, quote) = split_market(market).ok_or_else(|| {
        row.error(
            Some("market"),
            format!("cannot tell the base and quote of {market:?}"),
        )
    })?;
    let fee = super::fields::optional(row, "fee")?.map(|f| (f, asset_name(row.get("fee coin"))));
    Ok(vec![Entry {
        time: time(row, "date(utc)")?,
        venue: "binance".into(),
        account: String::new(),
        kind: side(row, "type")?,
        asset: base,
        quote: Some(quote),
        qty: positive(row, "amount")?,
        price: Some(positive(row, "price")?),
        fee,
        id: None,
    }])
}
