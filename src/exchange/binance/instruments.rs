//! Binance's spot markets: `GET /api/v3/exchangeInfo` (weight 20). Docs:
//! <https://developers.binance.com/docs/binance-spot-api-docs/rest-api/general-endpoints#exchange-information>.
//!
//! `{"timezone":"UTC","serverTime":1565246363776,"rateLimits":[…],"symbols":[{"symbol":"ETHBTC",
//! "status":"TRADING","baseAsset":"ETH","quoteAsset":"BTC",…,"filters":[…]}]}`. Only trading
//! symbols are asked for, without the permission sets (most of the body otherwise).

use std::borrow::Cow;

use serde::Deserialize;

use crate::domain::{Listing, Precision, Symbol, Venue};

pub const PATH: &str = "/api/v3/exchangeInfo?symbolStatus=TRADING&showPermissionSets=false";

/// USDⓈ-M futures' list (weight 1): every contract, perpetual or dated, trading or not.
pub const USDM_PATH: &str = "/fapi/v1/exchangeInfo";

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
    #[serde(borrow, default)]
    filters: Vec<Filter<'a>>,
    /// USDⓈ-M only: `PERPETUAL`, `CURRENT_QUARTER`, …
    #[serde(
        rename = "contractType",
        borrow,
        default,
        deserialize_with = "crate::exchange::wire::opt_str"
    )]
    contract_type: Option<Cow<'a, str>>,
}

/// `{"filterType":"PRICE_FILTER","tickSize":"0.01000000",…}`,
/// `{"filterType":"LOT_SIZE","stepSize":"0.00001000",…}`; other filters are skipped.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Filter<'a> {
    #[serde(borrow)]
    filter_type: Cow<'a, str>,
    #[serde(borrow, default)]
    tick_size: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    step_size: Option<Cow<'a, str>>,
}

/// The spot markets open for trading.
pub fn decode(body: &[u8]) -> Result<Vec<Listing>, String> {
    decode_on(Venue::Binance, body)
}

/// The USDⓈ-M perpetuals open for trading (dated contracts are left out).
pub fn decode_usdm(body: &[u8]) -> Result<Vec<Listing>, String> {
    decode_on(Venue::BinancePerp, body)
}

fn decode_on(venue: Venue, body: &[u8]) -> Result<Vec<Listing>, String> {
    let info: Info<'_> = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let perpetual = |e: &&Entry<'_>| match venue {
        Venue::BinancePerp => e.contract_type.as_deref() == Some("PERPETUAL"),
        _ => true,
    };
    Ok(info
        .symbols
        .iter()
        .filter(|e| e.status == "TRADING")
        .filter(perpetual)
        .filter_map(|e| {
            let filter = |kind: &str| e.filters.iter().find(|x| x.filter_type == kind);
            Some(Listing {
                symbol: Symbol::on(venue, e.symbol.as_bytes())?,
                precision: Precision::from_steps(
                    filter("PRICE_FILTER").and_then(|x| x.tick_size.as_deref()),
                    filter("LOT_SIZE").and_then(|x| x.step_size.as_deref()),
                ),
            })
        })
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

    /// USDⓈ-M lists dated contracts and settled ones beside the perpetuals.
    #[test]
    fn usdm_perpetuals_only() {
        let body = br#"{"timezone":"UTC","serverTime":1,"rateLimits":[{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":2400}],"symbols":[
            {"symbol":"BTCUSDT","pair":"BTCUSDT","contractType":"PERPETUAL","status":"TRADING","baseAsset":"BTC","quoteAsset":"USDT","marginAsset":"USDT","pricePrecision":2,"quantityPrecision":3,
             "filters":[{"filterType":"PRICE_FILTER","minPrice":"556.80","maxPrice":"4529764","tickSize":"0.10"},{"filterType":"LOT_SIZE","stepSize":"0.001","maxQty":"1000","minQty":"0.001"}]},
            {"symbol":"BTCUSDT_261225","pair":"BTCUSDT","contractType":"CURRENT_QUARTER","status":"TRADING","baseAsset":"BTC","quoteAsset":"USDT","filters":[]},
            {"symbol":"OLDUSDT","pair":"OLDUSDT","contractType":"PERPETUAL","status":"SETTLING","baseAsset":"OLD","quoteAsset":"USDT","filters":[]}]}"#;
        let got = decode_usdm(body).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].symbol.to_string(), "binance-perp:BTCUSDT");
        assert_eq!(
            (got[0].precision.price, got[0].precision.size),
            (Some(1), Some(3))
        );
    }

    #[test]
    fn the_price_tick_and_size_step_as_decimals() {
        let body = br#"{"timezone":"UTC","symbols":[{"symbol":"BTCUSDT","status":"TRADING","baseAsset":"BTC",
            "quoteAsset":"USDT","filters":[{"filterType":"PRICE_FILTER","minPrice":"0.01000000",
            "maxPrice":"1000000.00000000","tickSize":"0.01000000"},{"filterType":"LOT_SIZE",
            "minQty":"0.00001000","maxQty":"9000.00000000","stepSize":"0.00001000"},
            {"filterType":"NOTIONAL","minNotional":"5.00000000"}]}]}"#;
        let got = decode(body).unwrap();
        assert_eq!(got.len(), 1);
        let want = crate::domain::Precision {
            price: Some(2),
            size: Some(5),
        };
        assert_eq!(got[0].precision, want);
    }
}
