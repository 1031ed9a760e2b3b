//! OKX swaps' derivatives history: `GET /api/v5/public/funding-rate-history?instId=&before=&
//! after=&limit=400` → `data` of `{"fundingTime","fundingRate","realizedRate",…}` (newest first;
//! `realizedRate` is what was paid, `fundingRate` what was predicted), and `GET /api/v5/rubik/
//! stat/contracts/open-interest-history?instId=&period=5m&begin=&end=&limit=100` → `data` of
//! `["ts","oi","oiCcy","oiUsd"]` (contracts, coins, USD; newest first; a few days deep at 5m).
//! Errors as `code` (see `rest.rs`).

use std::borrow::Cow;

use serde::Deserialize;

use crate::domain::{FundingRate, Millis, Symbol};
use crate::exchange::deriv_rest::{DerivRest, OiPoint, Rows, asked, ms, oi_point, settled};

pub struct OkxDerivRest;

#[derive(Deserialize)]
struct Answer<T> {
    #[serde(default = "Vec::new")]
    data: Vec<T>,
}

#[derive(Deserialize)]
struct Funding<'a> {
    #[serde(rename = "instId", borrow)]
    inst: Cow<'a, str>,
    #[serde(rename = "fundingTime", borrow)]
    time: Cow<'a, str>,
    #[serde(rename = "fundingRate", borrow)]
    predicted: Cow<'a, str>,
    #[serde(rename = "realizedRate", borrow, default)]
    realized: Option<Cow<'a, str>>,
}

impl DerivRest for OkxDerivRest {
    fn funding_page(&self) -> usize {
        400
    }

    fn funding_path(&self, symbol: Symbol, from: Millis, to: Millis) -> String {
        // `before` is newer than, `after` older than, both exclusive.
        format!(
            "/api/v5/public/funding-rate-history?instId={}&before={}&after={}&limit={}",
            symbol.as_str(),
            from - 1,
            to + 1,
            self.funding_page()
        )
    }

    fn decode_funding(&self, body: &[u8], symbol: Symbol) -> Result<Rows<FundingRate>, String> {
        let a: Answer<Funding<'_>> = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        Ok(Rows::read(a.data, |r| {
            asked(symbol, "instId", &r.inst)?;
            let rate = r
                .realized
                .as_deref()
                .filter(|s| !s.is_empty())
                .unwrap_or(&r.predicted);
            settled(symbol, ms("fundingTime", &r.time)?, rate)
        }))
    }

    fn oi_page(&self) -> usize {
        100
    }

    fn oi_path(&self, symbol: Symbol, from: Millis, to: Millis) -> String {
        format!(
            "/api/v5/rubik/stat/contracts/open-interest-history?instId={}&period=5m&begin={from}&end={to}&limit={}",
            symbol.as_str(),
            self.oi_page()
        )
    }

    fn decode_oi(&self, body: &[u8], _symbol: Symbol) -> Result<Rows<OiPoint>, String> {
        let a: Answer<Vec<Cow<'_, str>>> =
            serde_json::from_slice(body).map_err(|e| e.to_string())?;
        Ok(Rows::read(a.data, |r| match r.as_slice() {
            [ts, _contracts, coins, usd, ..] => oi_point(ms("ts", ts)?, coins, Some(usd)),
            _ => Err(format!("{} fields, not [ts, oi, oiCcy, oiUsd]", r.len())),
        }))
    }

    fn oi_depth(&self) -> Millis {
        2 * 86_400_000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_funding_and_open_interest_history() {
        let sym = Symbol::new("okx:BTC-USD-SWAP").unwrap();
        let body = br#"{"code":"0","msg":"","data":[{"formulaType":"noRate","fundingRate":"0.0000746604960499","fundingTime":"1703059200000","instId":"BTC-USD-SWAP","instType":"SWAP","method":"next_period","realizedRate":"0.0000746572360545"}]}"#;
        let got = OkxDerivRest.decode_funding(body, sym).unwrap();
        assert_eq!(got.rows[0].time, 1703059200000);
        assert_eq!(
            got.rows[0].rate.to_string(),
            "0.0000746572360545",
            "the realised rate"
        );

        let sym = Symbol::new("okx:BTC-USDT-SWAP").unwrap();
        let body = br#"{"code":"0","msg":"","data":[["1743041100000","2216113.01","22161.1301","1939251795.54"],["1743040800000","1"]]}"#;
        let got = OkxDerivRest.decode_oi(body, sym).unwrap();
        assert_eq!(got.rows.len(), 1);
        let p = got.rows[0];
        assert_eq!(
            (p.time, p.coins.to_string()),
            (1743041100000, "22161.1301".into())
        );
        assert_eq!(p.quote.unwrap().to_string(), "1939251795.54");
        assert_eq!(
            got.rejected,
            vec!["row 1: 2 fields, not [ts, oi, oiCcy, oiUsd]"]
        );
    }
}
