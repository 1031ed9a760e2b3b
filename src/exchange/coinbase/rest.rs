//! Coinbase Exchange candles: `GET /products/{id}/candles?granularity=&start=&end=`, at most
//! 300 rows, newest first, `[time_s, low, high, open, close, volume]` as JSON numbers (read
//! from their digits). No trade count or quote volume: both are stored as absent (NULL). Intervals without
//! trades are omitted. Public limit: 10 requests/s per IP; over it, HTTP 429.

use serde_json::value::RawValue;

use crate::domain::{Candle, Millis, Symbol, Timeframe, Venue, rfc3339};
use crate::exchange::rest::{ApiError, Budget, Page, RestApi, rest_candle, seconds_field};
use crate::exchange::wire::number_literal;

pub struct CoinbaseRest;

impl RestApi for CoinbaseRest {
    fn instruments_path(&self) -> &'static str {
        super::instruments::PATH
    }

    fn decode_instruments(&self, body: &[u8]) -> Result<Vec<crate::domain::Listing>, String> {
        super::instruments::decode(body)
    }

    fn venue(&self) -> Venue {
        Venue::Coinbase
    }

    fn page_size(&self) -> usize {
        300
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
            "/products/{}/candles?granularity={}&start={}&end={}",
            symbol.as_str(),
            tf.millis() / 1000,
            rfc3339(first),
            rfc3339(last)
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
        let rows: Vec<Vec<&RawValue>> = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        let rows = rows
            .into_iter()
            .map(|r| {
                let open_time = seconds_field(&r);
                (open_time, row(&r, open_time, tf, now))
            })
            .collect();
        Ok(Page::assemble(rows, tf, first, last, now))
    }

    /// `{"message":"NotFound"}` and the like, with a 4xx.
    fn answer_error(&self, status: u16, body: &[u8]) -> Option<ApiError> {
        #[derive(serde::Deserialize)]
        struct CoinbaseError {
            message: String,
        }
        if (200..300).contains(&status) || status == 429 || status >= 500 {
            return None;
        }
        serde_json::from_slice::<CoinbaseError>(body)
            .ok()
            .map(|e| ApiError::Fatal(e.message))
    }
}

fn row(
    r: &[&RawValue],
    open_time: Option<Millis>,
    tf: Timeframe,
    now: Millis,
) -> Result<Candle, String> {
    if r.len() != 6 {
        return Err(format!("expected 6 fields, got {}", r.len()));
    }
    let open_time = open_time.ok_or("time is not an integer")?;
    let num =
        |i: usize, name: &'static str| number_literal(r[i].get(), name).map_err(|e| e.to_string());
    // [time, low, high, open, close, volume]: no quote volume, no trade count.
    Ok(rest_candle(
        open_time,
        num(3, "open")?,
        num(2, "high")?,
        num(1, "low")?,
        num(4, "close")?,
        num(5, "volume")?,
        None,
        None,
        open_time + tf.millis() <= now,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_real_candle() {
        let body = br#"[[1710327600,73241.5,73402.47,73243.33,73370.65,1.56794406]]"#;
        let t = 1_710_327_600_000;
        let page = CoinbaseRest
            .decode_candles(
                body,
                Symbol::new("coinbase:BTC-USD").unwrap(),
                Timeframe::H1,
                t,
                t,
                t + 7_200_000,
            )
            .unwrap();
        let c = page.candles[0];
        assert_eq!(
            [c.open, c.high, c.low, c.close].map(|p| p.to_string()),
            ["73243.33", "73402.47", "73241.5", "73370.65"]
        );
        assert_eq!(c.volume.to_string(), "1.56794406");
        assert!(c.closed);
        assert!(page.rejected.is_empty());
    }

    #[test]
    fn asks_for_the_range_in_the_venues_units() {
        let s = Symbol::new("coinbase:BTC-USD").unwrap();
        assert_eq!(
            CoinbaseRest.candles_path(s, Timeframe::M5, 1_710_327_600_000, 1_710_327_900_000),
            "/products/BTC-USD/candles?granularity=300&start=2024-03-13T11:00:00Z&end=2024-03-13T11:05:00Z"
        );
    }
}
