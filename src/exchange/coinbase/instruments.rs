//! Coinbase Exchange's products: `GET /products`. Docs:
//! <https://docs.cdp.coinbase.com/exchange/reference/exchangerestapi_getproducts>.
//!
//! `[{"id":"BTC-USD","base_currency":"BTC","quote_currency":"USD","status":"online",
//! "trading_disabled":false,…}]`.

use std::borrow::Cow;

use serde::Deserialize;

use crate::domain::{Symbol, Venue};

pub const PATH: &str = "/products";

#[derive(Deserialize)]
struct Product<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    status: Cow<'a, str>,
    #[serde(default)]
    trading_disabled: bool,
}

pub fn decode(body: &[u8]) -> Result<Vec<Symbol>, String> {
    let products: Vec<Product<'_>> = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    Ok(products
        .iter()
        .filter(|p| p.status == "online" && !p.trading_disabled)
        .filter_map(|p| Symbol::on(Venue::Coinbase, p.id.as_bytes()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn online_products_only() {
        let body = br#"[{"id":"BTC-USD","base_currency":"BTC","quote_currency":"USD","status":"online","trading_disabled":false},
            {"id":"OLD-USD","status":"delisted","trading_disabled":true},
            {"id":"ETH-EUR","status":"online"}]"#;
        let got: Vec<String> = decode(body)
            .unwrap()
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(got, ["coinbase:BTC-USD", "coinbase:ETH-EUR"]);
    }
}
