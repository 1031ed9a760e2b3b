//! Coinbase's transaction report (Statements > Transaction history, CSV): a few preamble
//! lines, then `ID,Timestamp,Transaction Type,Asset,Quantity Transacted,Price Currency,Price at
//! Transaction,Subtotal,Total (inclusive of fees and/or spread),Fees and/or Spread,Notes` (older
//! reports: no ID, `Spot Price Currency` and `Spot Price at Transaction`). Money carries its
//! sign and symbol (`-$1.81`); newer reports sign quantities that leave. A `Convert` row is a
//! sale of the asset and a purchase of what its note names (`Converted 100 USDC to 0.7786 SOL`),
//! both at the row's subtotal.

use rust_decimal::Decimal;

use super::fields::{decimal, time};
use super::{ImportError, Row};
use crate::domain::{Entry, EntryKind, asset_name};

/// A column under either of its names.
fn either<'a>(row: &'a Row<'_>, new: &str, old: &str) -> (&'a str, String) {
    match row.get(new) {
        "" => (row.get(old), old.to_string()),
        v => (v, new.to_string()),
    }
}

fn money(row: &Row<'_>, column: &str) -> Result<Option<Decimal>, ImportError> {
    let text = row.get(column);
    if text.is_empty() {
        return Ok(None);
    }
    Ok(Some(decimal(row, column, text)?.abs()))
}

pub fn read(row: &Row<'_>) -> Result<Vec<Entry>, ImportError> {
    let kind_text = row.get("transaction type");
    let lower = kind_text.to_ascii_lowercase();
    let asset = asset_name(row.get("asset"));
    if asset.is_empty() {
        return Err(row.error(Some("asset"), "empty"));
    }
    let qty = decimal(row, "quantity transacted", row.get("quantity transacted"))?.abs();
    if qty.is_zero() {
        return Err(row.error(Some("quantity transacted"), "zero"));
    }
    let (currency, _) = either(row, "price currency", "spot price currency");
    let currency = asset_name(currency);
    let (price_text, price_col) = either(row, "price at transaction", "spot price at transaction");
    let price = match price_text {
        "" => None,
        t => Some(decimal(row, &price_col, t)?.abs()),
    };
    let fee = money(row, "fees and/or spread")?
        .filter(|f| !f.is_zero())
        .map(|f| (f, currency.clone()));
    let id = Some(row.get("id"))
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let base = Entry {
        time: time(row, "timestamp")?,
        venue: "coinbase".into(),
        account: String::new(),
        kind: EntryKind::Buy,
        asset: asset.clone(),
        quote: Some(currency.clone()),
        qty,
        price,
        fee,
        id,
    };
    let priced = |e: Entry| -> Result<Entry, ImportError> {
        match e.price {
            Some(p) if p > Decimal::ZERO => Ok(e),
            _ => Err(row.error(Some(&price_col), "no price for a buy or sell")),
        }
    };
    let moved = |kind| Entry {
        kind,
        quote: None,
        fee: None,
        ..base.clone()
    };
    Ok(match lower.as_str() {
        t if t.contains("convert") => return convert(row, base),
        t if t.contains("buy") => vec![priced(base.clone())?],
        t if t.contains("sell") => vec![priced(Entry {
            kind: EntryKind::Sell,
            ..base.clone()
        })?],
        t if t.contains("send") || t.contains("withdraw") => vec![moved(EntryKind::Withdraw)],
        t if t.contains("receive") || t.contains("deposit") => vec![moved(EntryKind::Deposit)],
        t if ["reward", "income", "earn", "interest", "airdrop"]
            .iter()
            .any(|w| t.contains(w)) =>
        {
            vec![moved(EntryKind::Reward)]
        }
        _ => {
            return Err(row.error(
                Some("transaction type"),
                format!("{kind_text:?} is not a type cryptoviz reads (buy, sell, convert, send, receive, deposit, withdrawal, rewards)"),
            ));
        }
    })
}

/// `Converted 100 USDC to 0.778610688 SOL`: the asset sold at the row's price, the other
/// bought for the same subtotal.
fn convert(row: &Row<'_>, sold: Entry) -> Result<Vec<Entry>, ImportError> {
    let notes = row.get("notes");
    let words: Vec<&str> = notes.split_whitespace().collect();
    let to = words.iter().position(|w| w.eq_ignore_ascii_case("to"));
    let (Some(to), Some(subtotal)) = (to, money(row, "subtotal")?) else {
        return Err(row.error(
            Some("notes"),
            format!("a Convert row needs \"Converted X A to Y B\" and a subtotal, not {notes:?}"),
        ));
    };
    let (Some(got), Some(got_asset)) = (words.get(to + 1), words.get(to + 2)) else {
        return Err(row.error(
            Some("notes"),
            format!("{notes:?} does not say what it converted to"),
        ));
    };
    let got = decimal(row, "notes", got)?;
    if got <= Decimal::ZERO || subtotal <= Decimal::ZERO {
        return Err(row.error(Some("notes"), "a conversion of nothing"));
    }
    // What was received: the total (after the spread) where given, else the subtotal.
    let received = money(row, "total (inclusive of fees and/or spread)")?
        .filter(|t| !t.is_zero())
        .unwrap_or(subtotal);
    let id = sold.id.clone();
    let sell = Entry {
        kind: EntryKind::Sell,
        price: Some(subtotal / sold.qty),
        id: id.as_ref().map(|i| format!("{i}/sold")),
        ..sold.clone()
    };
    let buy = Entry {
        kind: EntryKind::Buy,
        asset: asset_name(got_asset),
        qty: got,
        price: Some(received / got),
        fee: None,
        id: id.map(|i| format!("{i}/bought")),
        ..sold
    };
    Ok(vec![sell, buy])
}
