//! OKX candles: `GET /api/v5/market/history-candles?instId=&bar=&after=&before=&limit=100`
//! (years back; `after` = older than, `before` = newer than, both exclusive) → `{"code":"0",
//! "msg":"","data":[["ts","o","h","l","c","vol","volCcy","volCcyQuote","confirm"],…]}`, newest
//! first; on spot `vol` is the base volume and `volCcyQuote` the quote volume; on swaps `vol`
//! counts contracts and `volCcy` is the base volume; `confirm` "0" is the forming bar. Daily bars use the `1Dutc` name (plain `1D` opens at 16:00 UTC).
//! 20 requests per 2 s per IP; over it `"code":"50011"` (HTTP 429).

use std::borrow::Cow;

use serde::Deserialize;

use crate::domain::{Candle, Millis, Symbol, Timeframe, Venue};
use crate::exchange::rest::{ApiError, Budget, Page, RestApi, decimal_field, rest_candle};

pub struct OkxRest;

#[derive(Deserialize)]
struct Answer<'a> {
    #[serde(borrow)]
    code: Cow<'a, str>,
    #[serde(borrow, default)]
    msg: Cow<'a, str>,
    #[serde(borrow, default)]
    data: Vec<Vec<Cow<'a, str>>>,
}

fn bar(tf: Timeframe) -> &'static str {
    match tf.millis() / 60_000 {
        1 => "1m",
        5 => "5m",
        15 => "15m",
        30 => "30m",
        60 => "1H",
        240 => "4H",
        _ => "1Dutc",
    }
}

impl RestApi for OkxRest {
    fn instruments_path(&self) -> &'static str {
        super::instruments::PATH
    }

    fn more_instruments_paths(&self) -> &'static [&'static str] {
        &[super::instruments::SWAP_PATH]
    }

    fn decode_instruments(&self, body: &[u8]) -> Result<Vec<crate::domain::Listing>, String> {
        super::instruments::decode(body)
    }

    fn venue(&self) -> Venue {
        Venue::Okx
    }

    fn page_size(&self) -> usize {
        100
    }

    fn budget(&self) -> Budget {
        Budget {
            per_minute: 600,
            request_weight: 1,
            used_header: None,
        }
    }

    fn candles_path(&self, symbol: Symbol, tf: Timeframe, first: Millis, last: Millis) -> String {
        format!(
            "/api/v5/market/history-candles?instId={}&bar={}&after={}&before={}&limit={}",
            symbol.as_str(),
            bar(tf),
            last + 1,
            first - 1,
            self.page_size()
        )
    }

    fn decode_candles(
        &self,
        body: &[u8],
        symbol: Symbol,
        tf: Timeframe,
        first: Millis,
        last: Millis,
        now: Millis,
    ) -> Result<Page, String> {
        let answer: Answer<'_> = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        let rows = answer
            .data
            .iter()
            .map(|r| {
                let open_time = r.first().and_then(|t| t.parse::<i64>().ok());
                (open_time, row(r, open_time, symbol.is_perp(), tf, now))
            })
            .collect();
        Ok(Page::assemble(rows, tf, first, last, now))
    }

    fn answer_error(&self, status: u16, body: &[u8]) -> Option<ApiError> {
        let answer: Answer<'_> = match serde_json::from_slice(body) {
            Ok(a) => a,
            Err(_) => return None,
        };
        match answer.code.as_ref() {
            "0" => None,
            "50011" | "50061" => Some(ApiError::RateLimited(None)),
            "50001" | "50004" | "50013" | "50026" => {
                Some(ApiError::Transient(answer.msg.into_owned()))
            }
            _ if status == 429 => Some(ApiError::RateLimited(None)),
            code => Some(ApiError::Fatal(format!("{} (code {code})", answer.msg))),
        }
    }
}

fn row(
    r: &[Cow<'_, str>],
    open_time: Option<Millis>,
    swap: bool,
    tf: Timeframe,
    now: Millis,
) -> Result<Candle, String> {
    if r.len() != 9 {
        return Err(format!("expected 9 fields, got {}", r.len()));
    }
    let open_time = open_time.ok_or("ts is not an integer")?;
    Ok(rest_candle(
        open_time,
        decimal_field(r, 1, "o")?,
        decimal_field(r, 2, "h")?,
        decimal_field(r, 3, "l")?,
        decimal_field(r, 4, "c")?,
        // A swap's `vol` counts contracts; its base volume is `volCcy`.
        if swap {
            decimal_field(r, 6, "volCcy")?
        } else {
            decimal_field(r, 5, "vol")?
        },
        Some(decimal_field(r, 7, "volCcyQuote")?),
        // OKX's candles carry no trade count: absent, not 0.
        None,
        r[8] == "1" && open_time + tf.millis() <= now,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_real_rows_newest_first() {
        let body = br#"{"code":"0","msg":"","data":[["1747094040000","102806.1","102820.4","102806.1","102820.4","1040.37","10.4037","1069603.34883","1"],["1747093980000","102806","102820.5","102783.1","102806.1","7164.04","71.6404","7364701.57952","1"]]}"#;
        let t = 1_747_093_980_000;
        let swap = Symbol::new("okx:BTC-USDT-SWAP").unwrap();
        let page = OkxRest
            .decode_candles(body, swap, Timeframe::M1, t, t + 60_000, t + 600_000)
            .unwrap();
        assert_eq!(page.candles.len(), 2);
        assert_eq!(page.candles[0].open_time, t);
        assert_eq!(page.candles[0].close.to_string(), "102806.1");
        assert_eq!(
            page.candles[1].quote_volume.unwrap().to_string(),
            "1069603.34883"
        );
        assert_eq!(page.candles[1].trades, None, "OKX gives no count: absent");
        // 1,040.37 contracts of 0.01 BTC: the volume is volCcy's 10.4037 BTC.
        assert_eq!(page.candles[1].volume.to_string(), "10.4037");
        let spot = Symbol::new("okx:BTC-USDT").unwrap();
        let page = OkxRest
            .decode_candles(body, spot, Timeframe::M1, t, t + 60_000, t + 600_000)
            .unwrap();
        assert_eq!(page.candles[1].volume.to_string(), "1040.37");
    }

    #[test]
    fn daily_bars_are_utc_and_bounds_exclusive() {
        let s = Symbol::new("okx:BTC-USDT").unwrap();
        assert_eq!(
            OkxRest.candles_path(s, Timeframe::D1, 86_400_000, 172_800_000),
            "/api/v5/market/history-candles?instId=BTC-USDT&bar=1Dutc&after=172800001&before=86399999&limit=100"
        );
        assert_eq!(
            OkxRest.answer_error(
                429,
                br#"{"code":"50011","msg":"Too Many Requests","data":[]}"#
            ),
            Some(ApiError::RateLimited(None))
        );
    }
}
