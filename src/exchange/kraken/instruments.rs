//! Kraken's pairs: `GET /0/public/AssetPairs`. Docs:
//! <https://docs.kraken.com/api/docs/rest-api/get-tradable-asset-pairs>.
//!
//! `{"error":[],"result":{"XBTUSDT":{"altname":"XBTUSDT","wsname":"XBT/USDT","base":"XXBT",
//! "quote":"USDT",…,"status":"online"}}}`. cryptoviz spells pairs as WebSocket v2 does
//! (`BTC/USDT`), where v1's `wsname` still says `XBT` and `XDG`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;

use crate::domain::{Listing, Precision, Symbol, Venue};

pub const PATH: &str = "/0/public/AssetPairs";

#[derive(Deserialize)]
struct Answer<'a> {
    #[serde(borrow)]
    result: BTreeMap<Cow<'a, str>, Pair<'a>>,
}

#[derive(Deserialize)]
struct Pair<'a> {
    #[serde(borrow)]
    wsname: Option<Cow<'a, str>>,
    #[serde(borrow)]
    status: Option<Cow<'a, str>>,
    /// Decimals of prices and of volumes.
    pair_decimals: Option<u8>,
    lot_decimals: Option<u8>,
}

/// v1's asset names in v2's spelling.
fn v2(asset: &str) -> &str {
    match asset {
        "XBT" => "BTC",
        "XDG" => "DOGE",
        other => other,
    }
}

pub fn decode(body: &[u8]) -> Result<Vec<Listing>, String> {
    let answer: Answer<'_> = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    Ok(answer
        .result
        .values()
        .filter(|p| p.status.as_deref().is_none_or(|s| s == "online"))
        .filter_map(|p| {
            let (base, quote) = p.wsname.as_deref()?.split_once('/')?;
            let name = format!("{}/{}", v2(base), v2(quote));
            Some(Listing {
                symbol: Symbol::on(Venue::Kraken, name.as_bytes())?,
                precision: Precision {
                    price: p.pair_decimals.filter(|d| *d <= 18),
                    size: p.lot_decimals.filter(|d| *d <= 18),
                },
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_real_answer_in_v2_spelling() {
        let body = include_bytes!("../../../tests/fixtures/kraken/rest-assetpairs.json");
        let got: Vec<String> = decode(body)
            .unwrap()
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(got, ["kraken:BTC/USDT"]);
        let mixed = br#"{"error":[],"result":{"XDGUSD":{"wsname":"XDG/USD","status":"online"},
            "GONEUSD":{"wsname":"GONE/USD","status":"delisted"},"NOWS":{"altname":"NOWS"}}}"#;
        let got: Vec<String> = decode(mixed)
            .unwrap()
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(got, ["kraken:DOGE/USD"]);
    }

    #[test]
    fn the_price_tick_and_size_step_as_decimals() {
        let body = include_bytes!("../../../tests/fixtures/kraken/rest-assetpairs.json");
        let got = decode(body).unwrap();
        assert_eq!(got.len(), 1);
        let want = crate::domain::Precision {
            price: Some(1),
            size: Some(8),
        };
        assert_eq!(got[0].precision, want);
    }
}
