//! OKX's spot instruments: `GET /api/v5/public/instruments?instType=SPOT`. Docs:
//! <https://www.okx.com/docs-v5/en/#public-data-rest-api-get-instruments>.
//!
//! `{"code":"0","msg":"","data":[{"instType":"SPOT","instId":"BTC-USDT","baseCcy":"BTC",
//! "quoteCcy":"USDT","state":"live",…}]}`.

use std::borrow::Cow;

use serde::Deserialize;

use crate::domain::{Symbol, Venue};

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
}

pub fn decode(body: &[u8]) -> Result<Vec<Symbol>, String> {
    let answer: Answer<'_> = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    Ok(answer
        .data
        .iter()
        .filter(|i| i.state == "live")
        .filter_map(|i| Symbol::on(Venue::Okx, i.inst_id.as_bytes()))
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
}
