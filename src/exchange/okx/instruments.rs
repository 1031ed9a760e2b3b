//! OKX's spot and swap instruments: `GET /api/v5/public/instruments?instType=SPOT` and
//! `…=SWAP`. Docs: <https://www.okx.com/docs-v5/en/#public-data-rest-api-get-instruments>.
//!
//! `{"code":"0","msg":"","data":[{"instType":"SPOT","instId":"BTC-USDT","baseCcy":"BTC",
//! "quoteCcy":"USDT","state":"live",…}]}`. A swap adds its contract: `"ctVal":"0.01",
//! "ctMult":"1","ctValCcy":"BTC","ctType":"linear"`; its trades and `lotSz` count contracts,
//! each worth `ctVal` of `ctValCcy`. Only linear swaps (contracts in the base coin) are
//! offered: an inverse swap's contract is worth a fixed amount of USD, so its base volume
//! would need a division by price, which cannot be exact.

use std::borrow::Cow;

use serde::Deserialize;

use crate::domain::{Listing, Precision, Qty, Symbol, Venue};
use crate::exchange::contracts::ContractList;
use crate::exchange::wire::{clip, opt_str};

pub const PATH: &str = "/api/v5/public/instruments?instType=SPOT";
pub const SWAP_PATH: &str = "/api/v5/public/instruments?instType=SWAP";

#[derive(Deserialize)]
struct Answer<'a> {
    #[serde(borrow)]
    data: Vec<Instrument<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Instrument<'a> {
    #[serde(borrow)]
    inst_id: Cow<'a, str>,
    #[serde(borrow)]
    state: Cow<'a, str>,
    /// Price and size steps: `"0.1"`, `"0.00000001"`.
    #[serde(borrow, default)]
    tick_sz: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    lot_sz: Option<Cow<'a, str>>,
    /// Swaps only: what one contract is worth, in `ctValCcy`, times `ctMult`.
    #[serde(borrow, default, deserialize_with = "opt_str")]
    ct_val: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    ct_mult: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    ct_type: Option<Cow<'a, str>>,
}

impl Instrument<'_> {
    /// The base coin one contract of a swap is worth, or why it cannot be used. `None` for
    /// spot (no `ctVal`). A multiplier other than 1 (none seen on a swap) is refused rather
    /// than guessed at.
    fn contract(&self) -> Option<Result<Qty, String>> {
        let ct_val = self.ct_val.as_deref().filter(|v| !v.is_empty())?;
        let id = &self.inst_id;
        Some(match (self.ct_type.as_deref(), self.ct_mult.as_deref()) {
            (Some("inverse"), _) => Err(format!(
                "{id} is an inverse swap (contracts worth {ct_val} USD): only linear swaps are supported"
            )),
            (_, Some(m)) if !m.is_empty() && Qty::parse(m) != Ok(Qty::from_int(1)) => Err(format!(
                "{id}: contract multiplier {} is not understood",
                clip(m)
            )),
            _ => Qty::parse(ct_val)
                .ok()
                .filter(|v| v.raw() > 0)
                .ok_or_else(|| {
                    format!(
                        "{id}: contract value {} is not a positive decimal",
                        clip(ct_val)
                    )
                }),
        })
    }
}

pub fn decode(body: &[u8]) -> Result<Vec<Listing>, String> {
    let answer: Answer<'_> = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    Ok(answer
        .data
        .iter()
        .filter(|i| i.state == "live")
        .filter(|i| i.contract().is_none_or(|c| c.is_ok()))
        .filter_map(|i| {
            Some(Listing {
                symbol: Symbol::on(Venue::Okx, i.inst_id.as_bytes())?,
                precision: Precision::from_steps(i.tick_sz.as_deref(), i.lot_sz.as_deref()),
            })
        })
        .collect())
}

/// The swaps of a `SWAP` answer and what one contract of each is worth in its base coin (or
/// why it cannot be used); spot instruments are skipped.
pub fn contract_sizes(body: &[u8]) -> Result<ContractList, String> {
    let answer: Answer<'_> = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    Ok(answer
        .data
        .iter()
        .filter_map(|i| Some((Symbol::on(Venue::Okx, i.inst_id.as_bytes())?, i.contract()?)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_instruments_only() {
        let body = br#"{"code":"0","msg":"","data":[
            {"instType":"SPOT","instId":"BTC-USDT","baseCcy":"BTC","quoteCcy":"USDT","state":"live"},
            {"instType":"SPOT","instId":"OLD-USDT","state":"suspend"}]}"#;
        let got: Vec<String> = decode(body)
            .unwrap()
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(got, ["okx:BTC-USDT"]);
    }

    /// Trimmed from OKX's documented answer: a linear swap, an inverse one, and one with a
    /// multiplier nobody has seen.
    const SWAPS: &[u8] = br#"{"code":"0","msg":"","data":[
        {"instType":"SWAP","instId":"BTC-USDT-SWAP","uly":"BTC-USDT","instFamily":"BTC-USDT","settleCcy":"USDT","ctVal":"0.01","ctMult":"1","ctValCcy":"BTC","ctType":"linear","lotSz":"0.01","minSz":"0.01","tickSz":"0.1","state":"live"},
        {"instType":"SWAP","instId":"BTC-USD-SWAP","uly":"BTC-USD","settleCcy":"BTC","ctVal":"100","ctMult":"1","ctValCcy":"USD","ctType":"inverse","lotSz":"1","tickSz":"0.1","state":"live"},
        {"instType":"SWAP","instId":"ODD-USDT-SWAP","ctVal":"10","ctMult":"2","ctValCcy":"ODD","ctType":"linear","state":"live"}]}"#;

    #[test]
    fn linear_swaps_are_listed_with_their_contract_size() {
        let listed: Vec<String> = decode(SWAPS)
            .unwrap()
            .iter()
            .map(|l| l.to_string())
            .collect();
        assert_eq!(listed, ["okx:BTC-USDT-SWAP"]);
        let sizes = contract_sizes(SWAPS).unwrap();
        assert_eq!(sizes[0].0.to_string(), "okx:BTC-USDT-SWAP");
        assert_eq!(sizes[0].1, Ok(Qty::parse("0.01").unwrap()));
        assert!(
            sizes[1].1.as_ref().unwrap_err().contains("inverse swap"),
            "{:?}",
            sizes[1]
        );
        assert!(
            sizes[2].1.as_ref().unwrap_err().contains("multiplier 2"),
            "{:?}",
            sizes[2]
        );
    }

    #[test]
    fn the_price_tick_and_size_step_as_decimals() {
        let body = br#"{"code":"0","msg":"","data":[{"instType":"SPOT","instId":"BTC-USDT","baseCcy":"BTC",
            "quoteCcy":"USDT","tickSz":"0.1","lotSz":"0.00000001","minSz":"0.00001","state":"live"}]}"#;
        let got = decode(body).unwrap();
        assert_eq!(got.len(), 1);
        let want = crate::domain::Precision {
            price: Some(1),
            size: Some(8),
        };
        assert_eq!(got[0].precision, want);
    }
}
