//! USDⓈ-M's derivatives history: `GET /fapi/v1/fundingRate?symbol=&startTime=&endTime=&limit=1000`
//! → `[{"symbol":"BTCUSDT","fundingRate":"-0.03750000","fundingTime":1570608000000,
//! "markPrice":"34287.54619963"}]` (ascending), and `GET /futures/data/openInterestHist?symbol=
//! &period=5m&startTime=&endTime=&limit=500` → `[{"symbol":"BTCUSDT","sumOpenInterest":
//! "20403.637","sumOpenInterestValue":"150570784.07809979","timestamp":1583127900000}]` (coins,
//! quote; the latest 30 days only). Docs: `.../market-data/rest-api/Get-Funding-Rate-History`,
//! `.../Open-Interest-Statistics`.

use std::borrow::Cow;

use serde::Deserialize;

use crate::domain::{FundingRate, Millis, Symbol};
use crate::exchange::deriv_rest::{DerivRest, OiPoint, Rows, asked, oi_point, settled};
use crate::exchange::wire::lenient_i64;

pub struct BinancePerpHistory;

#[derive(Deserialize)]
struct Funding<'a> {
    #[serde(borrow)]
    symbol: Cow<'a, str>,
    #[serde(rename = "fundingRate", borrow)]
    rate: Cow<'a, str>,
    #[serde(rename = "fundingTime", deserialize_with = "lenient_i64")]
    time: i64,
}

#[derive(Deserialize)]
struct OpenInterest<'a> {
    #[serde(borrow)]
    symbol: Cow<'a, str>,
    #[serde(rename = "sumOpenInterest", borrow)]
    coins: Cow<'a, str>,
    #[serde(rename = "sumOpenInterestValue", borrow, default)]
    quote: Option<Cow<'a, str>>,
    #[serde(deserialize_with = "lenient_i64")]
    timestamp: i64,
}

impl DerivRest for BinancePerpHistory {
    fn funding_page(&self) -> usize {
        1000
    }

    fn funding_path(&self, symbol: Symbol, from: Millis, to: Millis) -> String {
        format!(
            "/fapi/v1/fundingRate?symbol={}&startTime={from}&endTime={to}&limit={}",
            symbol.as_str(),
            self.funding_page()
        )
    }

    fn decode_funding(&self, body: &[u8], symbol: Symbol) -> Result<Rows<FundingRate>, String> {
        let rows: Vec<Funding<'_>> = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        Ok(Rows::read(rows, |r| {
            asked(symbol, "symbol", &r.symbol)?;
            settled(symbol, r.time, &r.rate)
        }))
    }

    fn oi_page(&self) -> usize {
        500
    }

    fn oi_path(&self, symbol: Symbol, from: Millis, to: Millis) -> String {
        format!(
            "/futures/data/openInterestHist?symbol={}&period=5m&startTime={from}&endTime={to}&limit={}",
            symbol.as_str(),
            self.oi_page()
        )
    }

    fn decode_oi(&self, body: &[u8], symbol: Symbol) -> Result<Rows<OiPoint>, String> {
        let rows: Vec<OpenInterest<'_>> =
            serde_json::from_slice(body).map_err(|e| e.to_string())?;
        Ok(Rows::read(rows, |r| {
            asked(symbol, "symbol", &r.symbol)?;
            oi_point(r.timestamp, &r.coins, r.quote.as_deref())
        }))
    }

    fn oi_depth(&self) -> Millis {
        30 * 86_400_000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn btc() -> Symbol {
        Symbol::new("binance-perp:BTCUSDT").unwrap()
    }

    /// The documented examples, and a row of another symbol or an impossible rate refused.
    #[test]
    fn documented_funding_and_open_interest_history() {
        let body = br#"[{"symbol":"BTCUSDT","fundingRate":"-0.03750000","fundingTime":1570608000000,"markPrice":"34287.54619963"},
            {"symbol":"ETHUSDT","fundingRate":"0.0001","fundingTime":1570636800000,"markPrice":"1"},
            {"symbol":"BTCUSDT","fundingRate":"0.5","fundingTime":1570665600000,"markPrice":"1"}]"#;
        let got = BinancePerpHistory.decode_funding(body, btc()).unwrap();
        assert_eq!(got.rows.len(), 1);
        assert_eq!(got.rows[0].time, 1570608000000);
        assert_eq!(got.rows[0].rate.to_string(), "-0.0375");
        assert!(got.rows[0].settled);
        assert_eq!(got.rejected.len(), 2, "{:?}", got.rejected);
        assert!(got.rejected[0].contains("ETHUSDT"), "{:?}", got.rejected);

        let body = br#"[{"symbol":"BTCUSDT","sumOpenInterest":"20403.63700000","sumOpenInterestValue":"150570784.07809979","timestamp":"1583127900000"},
            {"symbol":"BTCUSDT","sumOpenInterest":"-1","sumOpenInterestValue":"1","timestamp":1583128200000}]"#;
        let got = BinancePerpHistory.decode_oi(body, btc()).unwrap();
        assert_eq!(got.rows.len(), 1);
        let p = got.rows[0];
        assert_eq!(p.time, 1583127900000);
        assert_eq!(p.coins.to_string(), "20403.637");
        assert_eq!(p.quote.unwrap().to_string(), "150570784.07809979");
        assert_eq!(got.rejected.len(), 1);
        assert!(
            BinancePerpHistory
                .decode_oi(br#"{"code":-1130}"#, btc())
                .is_err()
        );
    }
}
