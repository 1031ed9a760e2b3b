//! OKX's spot instruments: `GET /api/v5/public/instruments?instType=SPOT`. Docs:
//! <https://www.okx.com/docs-v5/en/#public-data-rest-api-get-instruments>.
//!
//! `{"code":"0","msg":"","data":[{"instType":"SPOT","instId":"BTC-USDT","baseCcy":"BTC",
//! "quoteCcy":"USDT","state":"live",…}]}`.

use std::borrow::Cow;

use serde::Deserialize;

use crate::domain::{Listing, Precision, Symbol, Venue};

pub const PATH: &str = "/api/v5/public/instruments?instType=SPOT";

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
}

pub fn decode(body: &[u8]) -> Result<Vec<Listing>, String> {
    let answer: Answer<'_> = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    Ok(answer
        .data
        .iter()
        .filter(|i| i.state == "live")
        .filter_map(|i| {
            Some(Listing {
                symbol: Symbol::on(Venue::Okx, i.inst_id.as_bytes())?,
                precision: Precision::from_steps(i.tick_sz.as_deref(), i.lot_sz.as_deref()),
            })
        })
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
