//! Binance's spot markets: `GET /api/v3/exchangeInfo` (weight 20). Docs:
//! <https://developers.binance.com/docs/binance-spot-api-docs/rest-api/general-endpoints#exchange-information>.
//!
//! `{"timezone":"UTC","serverTime":1565246363776,"rateLimits":[…],"symbols":[{"symbol":"ETHBTC",
//! "status":"TRADING","baseAsset":"ETH","quoteAsset":"BTC",…,"filters":[…]}]}`. Only trading
//! symbols are asked for, without the permission sets (most of the body otherwise).

use std::borrow::Cow;

use serde::Deserialize;

use crate::domain::{Symbol, Venue};

pub const PATH: &str = "/api/v3/exchangeInfo?symbolStatus=TRADING&showPermissionSets=false";

#[derive(Deserialize)]
struct Info<'a> {
    #[serde(borrow)]
    symbols: Vec<Entry<'a>>,
}

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(borrow)]
    symbol: Cow<'a, str>,
    #[serde(borrow)]
    status: Cow<'a, str>,
}

pub fn decode(body: &[u8]) -> Result<Vec<Symbol>, String> {
    let info: Info<'_> = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    Ok(info
        .symbols
        .iter()
        .filter(|e| e.status == "TRADING")
        .filter_map(|e| Symbol::on(Venue::Binance, e.symbol.as_bytes()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trading_symbols_only() {
        let body = br#"{"timezone":"UTC","serverTime":1565246363776,"rateLimits":[],"symbols":[
            {"symbol":"ETHBTC","status":"TRADING","baseAsset":"ETH","quoteAsset":"BTC","filters":[]},
            {"symbol":"OLDBTC","status":"BREAK","baseAsset":"OLD","quoteAsset":"BTC","filters":[]},
            {"symbol":"SOLUSDT","status":"TRADING","baseAsset":"SOL","quoteAsset":"USDT","filters":[]}]}"#;
        let got: Vec<String> = decode(body)
            .unwrap()
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(got, ["binance:ETHBTC", "binance:SOLUSDT"]);
        assert!(decode(b"<html>").is_err());
    }
}
