//! Bybit v5 klines: `GET /v5/market/kline?category=spot&symbol=&interval=&start=&end=&limit=1000`
//! → `{"retCode":0,"retMsg":"OK","result":{"list":[["startTime_ms","open","high","low","close",
//! "volume","turnover"],…]}}`, newest first, all strings; the newest row is the live candle.
//! No trade count (stored as 0). 600 requests per 5 s per IP, else HTTP 403 "access too
//! frequent" (wait at least 10 minutes); `retCode` 10006 is the per-UID limit; any other
//! non-zero `retCode` is an error, even with HTTP 200.

use std::borrow::Cow;
use std::time::Duration;

use serde::Deserialize;

use crate::domain::{Candle, Millis, Symbol, Timeframe, Venue};
use crate::exchange::rest::{ApiError, Budget, Page, RestApi, decimal_field, rest_candle};

/// The REST history of one [`Category`](super::Category).
pub struct BybitRest(pub super::Category);

/// Bybit's IP ban for going over 600 requests in 5 s.
const IP_LIMIT_WAIT: Duration = Duration::from_secs(600);

#[derive(Deserialize)]
struct Answer<'a> {
    #[serde(
        rename = "retCode",
        deserialize_with = "crate::exchange::wire::lenient_i64"
    )]
    ret_code: i64,
    #[serde(rename = "retMsg", borrow, default)]
    ret_msg: Cow<'a, str>,
    #[serde(borrow, default)]
    result: Option<KlineResult<'a>>,
}

#[derive(Deserialize)]
struct KlineResult<'a> {
    #[serde(borrow, default)]
    list: Vec<Vec<Cow<'a, str>>>,
}

fn interval(tf: Timeframe) -> String {
    match tf.millis() / 60_000 {
        1440 => "D".into(),
        m => m.to_string(),
    }
}

impl RestApi for BybitRest {
    fn instruments_path(&self) -> &'static str {
        self.0.instruments_path
    }

    fn decode_instruments(&self, body: &[u8]) -> Result<Vec<crate::domain::Listing>, String> {
        super::instruments::decode(self.0.venue, body)
    }

    fn next_instruments_path(&self, path: &str, body: &[u8]) -> Option<String> {
        super::instruments::next_page(path, body)
    }

    fn venue(&self) -> Venue {
        self.0.venue
    }

    fn page_size(&self) -> usize {
        1000
    }

    fn budget(&self) -> Budget {
        Budget {
            per_minute: 7_200,
            request_weight: 1,
            used_header: None,
        }
    }

    fn candles_path(&self, symbol: Symbol, tf: Timeframe, first: Millis, last: Millis) -> String {
        format!(
            "/v5/market/kline?category={}&symbol={}&interval={}&start={first}&end={last}&limit={}",
            self.0.name,
            symbol.as_str(),
            interval(tf),
            self.page_size()
        )
    }

    fn decode_candles(
        &self,
        body: &[u8],
        _symbol: Symbol,
        tf: Timeframe,
        first: Millis,
        last: Millis,
        now: Millis,
    ) -> Result<Page, String> {
        let answer: Answer<'_> = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        let list = answer.result.map(|r| r.list).unwrap_or_default();
        let rows = list
            .iter()
            .map(|r| {
                let open_time = r.first().and_then(|t| t.parse::<i64>().ok());
                (open_time, row(r, open_time, tf, now))
            })
            .collect();
        Ok(Page::assemble(rows, tf, first, last, now))
    }

    fn answer_error(&self, status: u16, body: &[u8]) -> Option<ApiError> {
        if status == 403 {
            return Some(ApiError::RateLimited(Some(IP_LIMIT_WAIT)));
        }
        let answer: Answer<'_> = serde_json::from_slice(body).ok()?;
        match answer.ret_code {
            0 => None,
            10006 => Some(ApiError::RateLimited(None)),
            10000 | 10016 => Some(ApiError::Transient(answer.ret_msg.into_owned())),
            code => Some(ApiError::Fatal(format!(
                "{} (retCode {code})",
                answer.ret_msg
            ))),
        }
    }
}

fn row(
    r: &[Cow<'_, str>],
    open_time: Option<Millis>,
    tf: Timeframe,
    now: Millis,
) -> Result<Candle, String> {
    if r.len() != 7 {
        return Err(format!("expected 7 fields, got {}", r.len()));
    }
    let open_time = open_time.ok_or("startTime is not an integer")?;
    Ok(rest_candle(
        open_time,
        decimal_field(r, 1, "open")?,
        decimal_field(r, 2, "high")?,
        decimal_field(r, 3, "low")?,
        decimal_field(r, 4, "close")?,
        decimal_field(r, 5, "volume")?,
        Some(decimal_field(r, 6, "turnover")?),
        // Bybit's klines carry no trade count: absent, not 0.
        None,
        open_time + tf.millis() <= now,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spot_is_always_asked_for() {
        let s = Symbol::new("bybit:BTCUSDT").unwrap();
        let p =
            BybitRest(crate::exchange::bybit::SPOT).candles_path(s, Timeframe::D1, 0, 86_400_000);
        assert!(
            p.contains("category=spot") && p.contains("interval=D"),
            "{p}"
        );
    }

    #[test]
    fn errors() {
        assert_eq!(
            BybitRest(crate::exchange::bybit::SPOT).answer_error(403, b"access too frequent"),
            Some(ApiError::RateLimited(Some(IP_LIMIT_WAIT)))
        );
        assert_eq!(
            BybitRest(crate::exchange::bybit::SPOT)
                .answer_error(200, br#"{"retCode":10006,"retMsg":"Too many visits!"}"#),
            Some(ApiError::RateLimited(None))
        );
        assert_eq!(
            BybitRest(crate::exchange::bybit::SPOT)
                .answer_error(200, br#"{"retCode":10001,"retMsg":"params error"}"#),
            Some(ApiError::Fatal("params error (retCode 10001)".into()))
        );
        assert_eq!(
            BybitRest(crate::exchange::bybit::SPOT)
                .answer_error(200, br#"{"retCode":0,"retMsg":"OK","result":{"list":[]}}"#),
            None
        );
        // A code only compared is read as a number or a string of digits.
        assert_eq!(
            BybitRest(crate::exchange::bybit::SPOT)
                .answer_error(200, br#"{"retCode":"10006","retMsg":"Too many visits!"}"#),
            Some(ApiError::RateLimited(None))
        );
        assert_eq!(
            BybitRest(crate::exchange::bybit::SPOT).answer_error(
                200,
                br#"{"retMsg":"OK","retCode":"0","result":{"list":[]}}"#
            ),
            None
        );
    }
}
