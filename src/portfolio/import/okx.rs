//! OKX's trade history (Assets > Order center > Trade history, download): a preamble line
//! `UID:…,Account Type:…,Time Zone:UTC+8`, then `id,Order id,Time,Trade Type,Symbol,Action,
//! Amount,Trading Unit,Filled Price,[Filled Price Unit,]PnL,Fee,Fee Unit,Position Change,
//! Position Balance,[Position Unit,]Balance Change,Balance,Balance Unit` (the bracketed
//! columns in the newer layout). Times are in the preamble's zone. A fill is two rows, one
//! per asset it moved (`Balance Unit`), each with its own `Action` (`Buy`: that asset came
//! in): the base's row is the fill (`Amount` of the base at `Filled Price`), and a fee (a
//! negative `Fee`, in `Fee Unit`) is on whichever row paid it, so the quote's row carries
//! only its fee, as a fee row. Transfers between the user's OKX accounts are not trades and
//! are left out.
//!
//! A perpetual swap's row (`Trade Type` `Perpetual`, `Symbol` `BTC-USDT-SWAP`) is one row per
//! fill, moving only the settlement asset: `Action` `Open long`, `Close short` or `Buy` adds
//! to the position, `Open short`, `Close long` or `Sell` takes from it, and `Amount` counts
//! what `Trading Unit` says: contracts (`cont`, each worth the swap's `ctVal` of the coin, as
//! OKX's instrument list gives it) or the coin itself. A `Funding fee` row's `Balance Change`
//! is the payment. `PnL` is left: the ledger computes it from the fills. Inverse swaps
//! (`BTC-USD-SWAP`, settled in the coin), delivery futures and margin rows are refused.

use rust_decimal::Decimal;

use super::fields::{decimal, positive, split_market, time};
use super::{ContractSizes, ImportError, Row};
use crate::domain::text::clip_bytes;
use crate::domain::{Entry, EntryKind, Millis, Symbol, asset_name};

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

pub fn read(
    row: &Row<'_>,
    zone: Millis,
    contracts: &ContractSizes,
) -> Result<Vec<Entry>, ImportError> {
    let kind = row.get("trade type").to_ascii_lowercase();
    match kind.as_str() {
        "transfer" => return Ok(Vec::new()),
        "perpetual" | "swap" => return perp(row, zone, contracts),
        "spot" => {}
        _ => {
            return Err(row.error(
                Some("Trade Type"),
                format!(
                    "{:?} rows are not read (spot and perpetual only): export those alone",
                    clip_bytes(row.get("trade type"), 30)
                ),
            ));
        }
    }
    let symbol = row.get("symbol");
    let (base, quote) = split_market(symbol).ok_or_else(|| {
        row.error(
            Some("Symbol"),
            format!("cannot tell the base and quote of {symbol:?}"),
        )
    })?;
    let common = Common::read(row, zone)?;
    let leg = asset_name(row.get("balance unit"));
    let mut out = Vec::new();
    if leg == base {
        let kind = match row.get("action").to_ascii_lowercase().as_str() {
            "buy" => EntryKind::Buy,
            "sell" => EntryKind::Sell,
            other => {
                return Err(row.error(
                    Some("Action"),
                    format!("{:?} is not Buy or Sell", clip_bytes(other, 20)),
                ));
            }
        };
        let price = positive(row, "filled price")?;
        out.push(common.fill(kind, &base, &quote, positive(row, "amount")?, price));
    } else if leg == quote {
        if common.fee < Decimal::ZERO {
            let fee = common.entry(EntryKind::Fee, &common.fee_asset, None, -common.fee, None);
            out.push(fee);
        }
    } else {
        return Err(row.error(
            Some("Balance Unit"),
            format!("{:?} is neither {base} nor {quote}", clip_bytes(&leg, 20)),
        ));
    }
    out.extend(common.rebate());
    Ok(out)
}

/// What every row has: its time, id and fee.
struct Common {
    time: Millis,
    id: String,
    /// Below zero a fee paid; above zero a rebate, income in that asset.
    fee: Decimal,
    fee_asset: String,
}

impl Common {
    fn read(row: &Row<'_>, zone: Millis) -> Result<Common, ImportError> {
        // Written without its zone (`2025-01-10 09:15:30`): read as UTC, then shifted.
        let time = time(row, "time")? - zone;
        let id = row.get("id");
        if id.is_empty() {
            return Err(row.error(Some("id"), "empty"));
        }
        let fee = decimal(row, "Fee", row.get("fee"))?;
        let fee_asset = asset_name(row.get("fee unit"));
        if !fee.is_zero() && fee_asset.is_empty() {
            return Err(row.error(Some("Fee Unit"), "empty beside a fee"));
        }
        Ok(Common {
            time,
            id: id.to_string(),
            fee,
            fee_asset,
        })
    }

    fn entry(
        &self,
        kind: EntryKind,
        asset: &str,
        quote: Option<&str>,
        qty: Decimal,
        price: Option<Decimal>,
    ) -> Entry {
        Entry {
            time: self.time,
            venue: "okx".into(),
            account: String::new(),
            kind,
            asset: asset.to_string(),
            quote: quote.map(str::to_string),
            qty,
            price,
            fee: None,
            id: Some(self.id.clone()),
        }
    }

    /// A fill, with the row's fee when it paid one.
    fn fill(
        &self,
        kind: EntryKind,
        asset: &str,
        quote: &str,
        qty: Decimal,
        price: Decimal,
    ) -> Entry {
        let mut fill = self.entry(kind, asset, Some(quote), qty, Some(price));
        if self.fee < Decimal::ZERO {
            fill.fee = Some((-self.fee, self.fee_asset.clone()));
        }
        fill
    }

    /// A rebate (a fee above zero) as income, beside the row's own entry.
    fn rebate(&self) -> Option<Entry> {
        (self.fee > Decimal::ZERO).then(|| Entry {
            id: Some(format!("{}:rebate", self.id)),
            ..self.entry(EntryKind::Reward, &self.fee_asset, None, self.fee, None)
        })
    }
}

/// A perpetual swap's row: a fill of the position, or a funding payment.
fn perp(row: &Row<'_>, zone: Millis, contracts: &ContractSizes) -> Result<Vec<Entry>, ImportError> {
    let inst = row.get("symbol").to_ascii_uppercase();
    let market = Symbol::new(&format!("okx:{inst}"))
        .ok()
        .filter(Symbol::is_perp)
        .ok_or_else(|| {
            row.error(
                Some("Symbol"),
                format!(
                    "{:?} is not a swap (BASE-QUOTE-SWAP)",
                    clip_bytes(&inst, 30)
                ),
            )
        })?;
    let (base, settle) = split_market(&inst).ok_or_else(|| {
        row.error(
            Some("Symbol"),
            format!("cannot tell the base and quote of {inst:?}"),
        )
    })?;
    // An inverse swap's contracts are dollars and its P&L is in the coin: not a position in
    // coins settled in the quote, which is what the ledger keeps.
    if settle == "USD" {
        return Err(row.error(
            Some("Symbol"),
            format!("{inst} is an inverse swap (settled in {base}): only linear swaps are read"),
        ));
    }
    let common = Common::read(row, zone)?;
    let action = row.get("action").to_ascii_lowercase();
    let kind = match action.as_str() {
        "open long" | "close short" | "buy" => EntryKind::Buy,
        "open short" | "close long" | "sell" => EntryKind::Sell,
        "funding fee" | "funding" => EntryKind::Funding,
        _ => {
            return Err(row.error(
                Some("Action"),
                format!(
                    "{:?} is not Open long, Close long, Open short, Close short, Buy, Sell or Funding fee",
                    clip_bytes(row.get("action"), 20)
                ),
            ));
        }
    };
    let asset = market.canonical();
    let mut out = Vec::new();
    if kind == EntryKind::Funding {
        let unit = asset_name(row.get("balance unit"));
        if unit != settle {
            return Err(row.error(
                Some("Balance Unit"),
                format!(
                    "{:?}: {inst}'s funding settles in {settle}",
                    clip_bytes(&unit, 20)
                ),
            ));
        }
        let paid = decimal(row, "Balance Change", row.get("balance change"))?;
        if !paid.is_zero() {
            out.push(common.entry(kind, &asset, None, paid, None));
        }
    } else {
        let amount = positive(row, "amount")?;
        let unit = row.get("trading unit");
        let qty = if unit.eq_ignore_ascii_case(&base) {
            amount
        } else if unit.eq_ignore_ascii_case("cont") || unit.eq_ignore_ascii_case("contracts") {
            let size = contract_size(row, market, contracts)?;
            amount.checked_mul(size).ok_or_else(|| {
                row.error(
                    Some("Amount"),
                    format!("{amount} contracts of {size}: too large"),
                )
            })?
        } else {
            return Err(row.error(
                Some("Trading Unit"),
                format!(
                    "{:?}: export with the unit in contracts or {base} (an amount in {settle} is not an exact number of coins)",
                    clip_bytes(unit, 20)
                ),
            ));
        };
        let price = positive(row, "filled price")?;
        out.push(common.fill(kind, &asset, &settle, qty, price));
    }
    out.extend(common.rebate());
    Ok(out)
}

/// What one contract of `market` is worth in its coin, from the venue's list.
fn contract_size(
    row: &Row<'_>,
    market: Symbol,
    contracts: &ContractSizes,
) -> Result<Decimal, ImportError> {
    let refuse = |why: String| Err(row.error(Some("Trading Unit"), why));
    match contracts {
        ContractSizes::Unread => Err(ImportError {
            needs_contract_sizes: Some(market),
            ..row.error(
                Some("Trading Unit"),
                format!("{market} counts contracts: their size is not known"),
            )
        }),
        ContractSizes::Unreadable(why) => refuse(format!(
            "{market} counts contracts, and OKX's contract sizes could not be read ({why}): import again when it is reachable, or export with the unit in the coin"
        )),
        ContractSizes::Listed(sizes) => match sizes.get(&market) {
            Some(Ok(size)) => Ok(*size),
            Some(Err(why)) => refuse(format!("{market} cannot be sized: {why}")),
            None => refuse(format!(
                "{market} is not in OKX's list of swaps (delisted?): export with the unit in the coin"
            )),
        },
    }
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
