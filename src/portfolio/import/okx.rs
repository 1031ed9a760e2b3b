//! OKX's trade history (Assets > Order center > Trade history, download): a preamble line
//! `UID:…,Account Type:…,Time Zone:UTC+8`, then `id,Order id,Time,Trade Type,Symbol,Action,
//! Amount,Trading Unit,Filled Price,[Filled Price Unit,]PnL,Fee,Fee Unit,Position Change,
//! Position Balance,[Position Unit,]Balance Change,Balance,Balance Unit` (the bracketed
//! columns in the newer layout). Times are in the preamble's zone. A fill is two rows, one
//! per asset it moved (`Balance Unit`), each with its own `Action` (`Buy`: that asset came
//! in): the base's row is the fill (`Amount` of the base at `Filled Price`), and a fee (a
//! negative `Fee`, in `Fee Unit`) is on whichever row paid it, so the quote's row carries
//! only its fee, as a fee row. Transfers between the user's OKX accounts are not trades and
//! are left out; perpetual, futures and margin rows are refused (spot only).

use rust_decimal::Decimal;

use super::fields::{decimal, positive, split_market, time};
use super::{ImportError, Row};
use crate::domain::{Entry, EntryKind, Millis, asset_name};

/// The preamble's `Time Zone:UTC+8` as an offset from UTC in milliseconds (UTC without one).
pub fn zone(preamble: &str) -> Result<Millis, String> {
    let Some(at) = preamble.find("Time Zone:") else {
        return Ok(0);
    };
    let text = preamble[at + "Time Zone:".len()..]
        .split([',', '\n', '\r'])
        .next()
        .unwrap_or("")
        .trim();
    let offset = text.strip_prefix("UTC").unwrap_or(text);
    if offset.is_empty() {
        return Ok(0);
    }
    let (sign, rest) = match offset.as_bytes()[0] {
        b'+' => (1, &offset[1..]),
        b'-' => (-1, &offset[1..]),
        _ => return Err(format!("time zone {text:?} is not UTC±H[:MM]")),
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    match (h.parse::<i64>(), m.parse::<i64>()) {
        (Ok(h), Ok(m)) if h <= 14 && m < 60 => Ok(sign * (h * 3_600_000 + m * 60_000)),
        _ => Err(format!("time zone {text:?} is not UTC±H[:MM]")),
    }
}

pub fn read(row: &Row<'_>, zone: Millis) -> Result<Vec<Entry>, ImportError> {
    let kind = row.get("trade type");
    if kind.eq_ignore_ascii_case("transfer") {
        return Ok(Vec::new());
    }
    if !kind.eq_ignore_ascii_case("spot") {
        return Err(row.error(
            Some("Trade Type"),
            format!(
                "{:?} rows are not read (spot only): export the spot history alone",
                crate::domain::text::clip_bytes(kind, 30)
            ),
        ));
    }
    let symbol = row.get("symbol");
    let (base, quote) = split_market(symbol).ok_or_else(|| {
        row.error(
            Some("Symbol"),
            format!("cannot tell the base and quote of {symbol:?}"),
        )
    })?;
    // Written without its zone (`2025-01-10 09:15:30`): read as UTC, then shifted.
    let time = time(row, "time")? - zone;
    let id = row.get("id");
    if id.is_empty() {
        return Err(row.error(Some("id"), "empty"));
    }
    // A fee is written below zero; above zero it is a rebate, income in that asset.
    let fee = decimal(row, "Fee", row.get("fee"))?;
    let fee_asset = asset_name(row.get("fee unit"));
    if !fee.is_zero() && fee_asset.is_empty() {
        return Err(row.error(Some("Fee Unit"), "empty beside a fee"));
    }
    let entry = |kind, asset: &str, quote: Option<&str>, qty, price| Entry {
        time,
        venue: "okx".into(),
        account: String::new(),
        kind,
        asset: asset.to_string(),
        quote: quote.map(str::to_string),
        qty,
        price,
        fee: None,
        id: Some(id.to_string()),
    };
    let leg = asset_name(row.get("balance unit"));
    let mut out = Vec::new();
    if leg == base {
        let kind = match row.get("action").to_ascii_lowercase().as_str() {
            "buy" => EntryKind::Buy,
            "sell" => EntryKind::Sell,
            other => {
                return Err(row.error(
                    Some("Action"),
                    format!(
                        "{:?} is not Buy or Sell",
                        crate::domain::text::clip_bytes(other, 20)
                    ),
                ));
            }
        };
        let price = positive(row, "filled price")?;
        let mut fill = entry(
            kind,
            &base,
            Some(&quote),
            positive(row, "amount")?,
            Some(price),
        );
        if fee < Decimal::ZERO {
            fill.fee = Some((-fee, fee_asset.clone()));
        }
        out.push(fill);
    } else if leg == quote {
        if fee < Decimal::ZERO {
            out.push(entry(EntryKind::Fee, &fee_asset, None, -fee, None));
        }
    } else {
        return Err(row.error(
            Some("Balance Unit"),
            format!(
                "{:?} is neither {base} nor {quote}",
                crate::domain::text::clip_bytes(&leg, 20)
            ),
        ));
    }
    if fee > Decimal::ZERO {
        let mut rebate = entry(EntryKind::Reward, &fee_asset, None, fee, None);
        rebate.id = Some(format!("{id}:rebate"));
        out.push(rebate);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::zone;

    #[test]
    fn the_preambles_zone() {
        let z = |s: &str| zone(s);
        assert_eq!(
            z("UID:1,Account Type:Main,Time Zone:UTC+8\n"),
            Ok(8 * 3_600_000)
        );
        assert_eq!(
            z("UID:1,Time Zone:UTC-3:30"),
            Ok(-(3 * 3_600_000 + 30 * 60_000))
        );
        assert_eq!(z("UID:1,Time Zone:UTC"), Ok(0));
        assert_eq!(z(""), Ok(0));
        assert!(z("Time Zone:CET").is_err());
        assert!(z("Time Zone:UTC+99").is_err());
    }
}
