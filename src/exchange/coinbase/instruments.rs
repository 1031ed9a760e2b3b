//! Coinbase Exchange's products: `GET /products`. Docs:
//! <https://docs.cdp.coinbase.com/exchange/reference/exchangerestapi_getproducts>.
//!
//! `[{"id":"BTC-USD","base_currency":"BTC","quote_currency":"USD","status":"online",
//! "trading_disabled":false,…}]`.

use std::borrow::Cow;

use serde::Deserialize;

use crate::domain::{Listing, Precision, Symbol, Venue};

pub const PATH: &str = "/products";

#[derive(Deserialize)]
struct Product<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    status: Cow<'a, str>,
    #[serde(default)]
    trading_disabled: bool,
    /// Price and size steps: `"0.01"`, `"0.00000001"`.
    #[serde(borrow, default)]
    quote_increment: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    base_increment: Option<Cow<'a, str>>,
}

pub fn decode(body: &[u8]) -> Result<Vec<Listing>, String> {
    let products: Vec<Product<'_>> = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    Ok(products
        .iter()
        .filter(|p| p.status == "online" && !p.trading_disabled)
        .filter_map(|p| {
            Some(Listing {
                symbol: Symbol::on(Venue::Coinbase, p.id.as_bytes())?,
                precision: Precision::from_steps(
                    p.quote_increment.as_deref(),
                    p.base_increment.as_deref(),
                ),
            })
        })
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

    #[test]
    fn the_price_tick_and_size_step_as_decimals() {
        let body = br#"[{"id":"BTC-USD","base_currency":"BTC","quote_currency":"USD","quote_increment":"0.01",
            "base_increment":"0.00000001","status":"online","trading_disabled":false}]"#;
        let got = decode(body).unwrap();
        assert_eq!(got.len(), 1);
        let want = crate::domain::Precision {
            price: Some(2),
            size: Some(8),
        };
        assert_eq!(got[0].precision, want);
    }
}
