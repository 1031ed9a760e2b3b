//! Bybit's instruments: `GET /v5/market/instruments-info?category=spot` (no paging on spot)
//! and `?category=linear` (paged: `result.nextPageCursor` is passed back as `cursor` until it
//! comes empty). Docs: <https://bybit-exchange.github.io/docs/v5/market/instrument>.
//!
//! `{"retCode":0,"retMsg":"OK","result":{"category":"spot","list":[{"symbol":"BTCUSDT",
//! "baseCoin":"BTC","quoteCoin":"USDT","status":"Trading",…}]}}`.

use std::borrow::Cow;

use serde::Deserialize;

use crate::domain::{Listing, Precision, Symbol, Venue};

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
#[serde(rename_all = "camelCase")]
struct Instrument<'a> {
    #[serde(borrow)]
    symbol: Cow<'a, str>,
    #[serde(borrow)]
    status: Cow<'a, str>,
    #[serde(borrow, default)]
    price_filter: Option<Step<'a>>,
    #[serde(borrow, default)]
    lot_size_filter: Option<Step<'a>>,
    /// `LinearPerpetual`, `LinearFutures` (dated) on `linear`; absent on spot.
    #[serde(borrow, default, deserialize_with = "crate::exchange::wire::opt_str")]
    contract_type: Option<Cow<'a, str>>,
}

/// `"priceFilter":{"tickSize":"0.01"}`, `"lotSizeFilter":{"basePrecision":"0.000001",…}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Step<'a> {
    #[serde(borrow, default)]
    tick_size: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    base_precision: Option<Cow<'a, str>>,
    /// Linear's size step, in the base coin.
    #[serde(borrow, default)]
    qty_step: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Paged<'a> {
    #[serde(borrow)]
    result: Cursor<'a>,
}

#[derive(Deserialize)]
struct Cursor<'a> {
    #[serde(rename = "nextPageCursor", borrow, default)]
    next: Option<Cow<'a, str>>,
}

/// The path of the page after `path`'s, from its answer's `nextPageCursor` (sent back as
/// given: Bybit encodes it already). A cursor with characters a query cannot carry as they
/// are ends the paging rather than send something else.
pub fn next_page(path: &str, body: &[u8]) -> Option<String> {
    let paged: Paged<'_> = serde_json::from_slice(body).ok()?;
    let cursor = paged.result.next.filter(|c| !c.is_empty())?;
    let safe = |c: char| c.is_ascii_alphanumeric() || "%._~=-".contains(c);
    if !cursor.chars().all(safe) || cursor.len() > 512 {
        tracing::warn!(
            cursor = %crate::exchange::wire::clip(&cursor),
            "Bybit's instruments cursor is not a plain query value: paging stops"
        );
        return None;
    }
    let base = path.split("&cursor=").next().unwrap_or(path);
    Some(format!("{base}&cursor={cursor}"))
}

/// The trading markets of `venue`'s category: spot pairs, or linear perpetuals (dated
/// futures are left out).
pub fn decode(venue: Venue, body: &[u8]) -> Result<Vec<Listing>, String> {
    let answer: Answer<'_> = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    Ok(answer
        .result
        .list
        .iter()
        .filter(|i| i.status == "Trading")
        .filter(|i| {
            i.contract_type
                .as_deref()
                .is_none_or(|c| c == "LinearPerpetual")
        })
        .filter_map(|i| {
            let lot = i.lot_size_filter.as_ref();
            Some(Listing {
                symbol: Symbol::on(venue, i.symbol.as_bytes())?,
                precision: Precision::from_steps(
                    i.price_filter.as_ref().and_then(|f| f.tick_size.as_deref()),
                    lot.and_then(|f| f.base_precision.as_deref().or(f.qty_step.as_deref())),
                ),
            })
        })
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
        let got: Vec<String> = decode(Venue::Bybit, body)
            .unwrap()
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(got, ["bybit:BTCUSDT"]);
    }

    /// Linear: perpetuals only, the size step is `qtyStep`.
    #[test]
    fn linear_perpetuals_with_their_steps() {
        let body = br#"{"retCode":0,"retMsg":"OK","result":{"category":"linear","list":[
            {"symbol":"BTCUSDT","contractType":"LinearPerpetual","status":"Trading","baseCoin":"BTC","quoteCoin":"USDT",
             "priceFilter":{"minPrice":"0.10","maxPrice":"1999999.80","tickSize":"0.10"},
             "lotSizeFilter":{"maxOrderQty":"1190.000","minOrderQty":"0.001","qtyStep":"0.001"},"fundingInterval":480},
            {"symbol":"BTC-27MAR26","contractType":"LinearFutures","status":"Trading"},
            {"symbol":"ETHUSDT","contractType":"LinearPerpetual","status":"Closed"}],"nextPageCursor":""}}"#;
        let got = decode(Venue::BybitPerp, body).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].symbol.to_string(), "bybit-perp:BTCUSDT");
        assert_eq!(
            (got[0].precision.price, got[0].precision.size),
            (Some(1), Some(3))
        );
    }

    #[test]
    fn the_price_tick_and_size_step_as_decimals() {
        let body = br#"{"retCode":0,"retMsg":"OK","result":{"category":"spot","list":[{"symbol":"BTCUSDT",
            "baseCoin":"BTC","quoteCoin":"USDT","status":"Trading","lotSizeFilter":{"basePrecision":"0.000001",
            "quotePrecision":"0.00000001","minOrderQty":"0.000048","maxOrderQty":"71.73956243"},
            "priceFilter":{"tickSize":"0.01"}}]}}"#;
        let got = decode(Venue::Bybit, body).unwrap();
        assert_eq!(got.len(), 1);
        let want = crate::domain::Precision {
            price: Some(2),
            size: Some(6),
        };
        assert_eq!(got[0].precision, want);
    }
}
