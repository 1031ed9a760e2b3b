//! Bybit's spot instruments: `GET /v5/market/instruments-info?category=spot` (no paging on
//! spot). Docs: <https://bybit-exchange.github.io/docs/v5/market/instrument>.
//!
//! `{"retCode":0,"retMsg":"OK","result":{"category":"spot","list":[{"symbol":"BTCUSDT",
//! "baseCoin":"BTC","quoteCoin":"USDT","status":"Trading",…}]}}`.

use std::borrow::Cow;

use serde::Deserialize;

use crate::domain::{Symbol, Venue};

pub const PATH: &str = "/v5/market/instruments-info?category=spot";

#[derive(Deserialize)]
struct Answer<'a> {
    #[serde(borrow)]
    result: List<'a>,
}

#[derive(Deserialize)]
struct List<'a> {
    #[serde(borrow)]
    list: Vec<Instrument<'a>>,
}

#[derive(Deserialize)]
struct Instrument<'a> {
    #[serde(borrow)]
    symbol: Cow<'a, str>,
    #[serde(borrow)]
    status: Cow<'a, str>,
}

pub fn decode(body: &[u8]) -> Result<Vec<Symbol>, String> {
    let answer: Answer<'_> = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    Ok(answer
        .result
        .list
        .iter()
        .filter(|i| i.status == "Trading")
        .filter_map(|i| Symbol::on(Venue::Bybit, i.symbol.as_bytes()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trading_instruments_only() {
        let body = br#"{"retCode":0,"retMsg":"OK","result":{"category":"spot","list":[
            {"symbol":"BTCUSDT","baseCoin":"BTC","quoteCoin":"USDT","status":"Trading"},
            {"symbol":"NEWUSDT","status":"PreLaunch"}]}}"#;
        let got: Vec<String> = decode(body)
            .unwrap()
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(got, ["bybit:BTCUSDT"]);
    }
}
