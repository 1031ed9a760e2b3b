//! Bybit linear perps' derivatives history: `GET /v5/market/funding/history?category=linear&
//! symbol=&startTime=&endTime=&limit=200` → `result.list` of `{"symbol","fundingRate",
//! "fundingRateTimestamp"}`, and `GET /v5/market/open-interest?category=linear&symbol=&
//! intervalTime=5min&startTime=&endTime=&limit=200` → `result.list` of `{"openInterest",
//! "timestamp"}` (in the base coin for linear contracts). Both newest first; errors as
//! `retCode` (see `rest.rs`).

use std::borrow::Cow;

use serde::Deserialize;

use crate::domain::{FundingRate, Millis, Symbol};
use crate::exchange::deriv_rest::{DerivRest, OiPoint, Rows, asked, ms, oi_point, settled};

pub struct BybitDerivRest;

#[derive(Deserialize)]
struct Answer<T> {
    result: Option<List<T>>,
}

#[derive(Deserialize)]
struct List<T> {
    #[serde(default = "Vec::new")]
    list: Vec<T>,
}

#[derive(Deserialize)]
struct Funding<'a> {
    #[serde(borrow)]
    symbol: Cow<'a, str>,
    #[serde(rename = "fundingRate", borrow)]
    rate: Cow<'a, str>,
    #[serde(rename = "fundingRateTimestamp", borrow)]
    time: Cow<'a, str>,
}

#[derive(Deserialize)]
struct OpenInterest<'a> {
    #[serde(rename = "openInterest", borrow)]
    coins: Cow<'a, str>,
    #[serde(borrow)]
    timestamp: Cow<'a, str>,
}

fn list<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<Vec<T>, String> {
    let a: Answer<T> = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    a.result
        .map(|r| r.list)
        .ok_or_else(|| "no result in the answer".into())
}

impl DerivRest for BybitDerivRest {
    fn funding_page(&self) -> usize {
        200
    }

    fn funding_path(&self, symbol: Symbol, from: Millis, to: Millis) -> String {
        format!(
            "/v5/market/funding/history?category=linear&symbol={}&startTime={from}&endTime={to}&limit={}",
            symbol.as_str(),
            self.funding_page()
        )
    }

    fn decode_funding(&self, body: &[u8], symbol: Symbol) -> Result<Rows<FundingRate>, String> {
        let rows: Vec<Funding<'_>> = list(body)?;
        Ok(Rows::read(rows, |r| {
            asked(symbol, "symbol", &r.symbol)?;
            settled(symbol, ms("fundingRateTimestamp", &r.time)?, &r.rate)
        }))
    }

    fn oi_page(&self) -> usize {
        200
    }

    fn oi_path(&self, symbol: Symbol, from: Millis, to: Millis) -> String {
        format!(
            "/v5/market/open-interest?category=linear&symbol={}&intervalTime=5min&startTime={from}&endTime={to}&limit={}",
            symbol.as_str(),
            self.oi_page()
        )
    }

    fn decode_oi(&self, body: &[u8], _symbol: Symbol) -> Result<Rows<OiPoint>, String> {
        let rows: Vec<OpenInterest<'_>> = list(body)?;
        Ok(Rows::read(rows, |r| {
            oi_point(ms("timestamp", &r.timestamp)?, &r.coins, None)
        }))
    }

    fn oi_depth(&self) -> Millis {
        30 * 86_400_000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_funding_and_open_interest_history() {
        let eth = Symbol::new("bybit-perp:ETHPERP").unwrap();
        let body = br#"{"retCode":0,"retMsg":"OK","result":{"category":"linear","list":[{"symbol":"ETHPERP","fundingRate":"0.0001","fundingRateTimestamp":"1672041600000"},{"symbol":"ETHPERP","fundingRate":"x","fundingRateTimestamp":"1672012800000"}]},"time":1672051897447}"#;
        let got = BybitDerivRest.decode_funding(body, eth).unwrap();
        assert_eq!(got.rows.len(), 1);
        assert_eq!(
            (got.rows[0].time, got.rows[0].rate.to_string()),
            (1672041600000, "0.0001".into())
        );
        assert_eq!(got.rejected.len(), 1);

        let btc = Symbol::new("bybit-perp:BTCUSDT").unwrap();
        let body = br#"{"retCode":0,"retMsg":"OK","result":{"symbol":"BTCUSDT","category":"linear","list":[{"openInterest":"63910691.00000000","timestamp":"1780963200000"}],"nextPageCursor":""},"time":1780963276512}"#;
        let got = BybitDerivRest.decode_oi(body, btc).unwrap();
        assert_eq!(got.rows[0].time, 1780963200000);
        assert_eq!(got.rows[0].coins.to_string(), "63910691");
        assert!(
            BybitDerivRest
                .decode_oi(br#"{"retCode":10001,"retMsg":"bad"}"#, btc)
                .is_err()
        );
    }
}
