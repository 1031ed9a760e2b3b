//! Kraken REST: OHLC (`GET /0/public/OHLC?pair=&interval=&since=`: only the latest 720
//! committed rows plus the live one, oldest first, `[time_s,"open","high","low","close",
//! "vwap","volume",count]`, empty minutes flat) and trades (`GET /0/public/Trades?pair=&since=<ns>`:
//! up to 1,000 rows oldest first, `["price","volume",time_s_float,"b"|"s","m"|"l","misc",trade_id]`,
//! `last` the next cursor). Errors come as `{"error":["EQuery:Unknown asset pair"]}`, even
//! with HTTP 200. About one call a second per IP is safe.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::wire::taker_sold;
use crate::domain::{Candle, Millis, Symbol, Timeframe, Trade, Venue};
use crate::exchange::rest::{
    ApiError, Budget, Page, RestApi, TradesPage, decimal_field, rest_candle, seconds_field,
};
use crate::exchange::wire::{clip, decimal_seconds};

pub struct KrakenRest;

/// Rows the OHLC endpoint keeps per interval.
const OHLC_DEPTH: u32 = 720;

/// The REST spelling of a v2 pair: `BTC/USD` is `XBTUSD` (and `DOGE` is `XDG`).
pub fn rest_pair(symbol: Symbol) -> String {
    let (base, quote) = symbol
        .as_str()
        .split_once('/')
        .unwrap_or((symbol.as_str(), ""));
    let legacy = |a: &str| match a {
        "BTC" => "XBT".to_string(),
        "DOGE" => "XDG".to_string(),
        other => other.to_string(),
    };
    format!("{}{}", legacy(base), legacy(quote))
}

#[derive(Deserialize)]
struct Answer<'a> {
    #[serde(borrow, default)]
    error: Vec<Cow<'a, str>>,
    /// The pair's rows under its own key (`XXBTZUSD`), and `last`.
    #[serde(borrow, default)]
    result: BTreeMap<Cow<'a, str>, &'a RawValue>,
}

impl<'a> Answer<'a> {
    /// The rows of the one pair asked for, and `last`.
    fn rows(&self) -> Result<(&'a RawValue, Option<&'a RawValue>), String> {
        let mut rows = self.result.iter().filter(|(k, _)| k.as_ref() != "last");
        let (_, data) = rows.next().ok_or("the answer holds no pair")?;
        Ok((data, self.result.get("last").copied()))
    }
}

impl RestApi for KrakenRest {
    fn instruments_path(&self) -> &'static str {
        super::instruments::PATH
    }

    fn decode_instruments(&self, body: &[u8]) -> Result<Vec<crate::domain::Listing>, String> {
        super::instruments::decode(body)
    }

    fn venue(&self) -> Venue {
        Venue::Kraken
    }

    fn page_size(&self) -> usize {
        OHLC_DEPTH as usize
    }

    fn budget(&self) -> Budget {
        Budget {
            per_minute: 60,
            request_weight: 1,
            used_header: None,
        }
    }

    fn candles_path(&self, symbol: Symbol, tf: Timeframe, first: Millis, _last: Millis) -> String {
        // `since` is exclusive: one second before the first open time.
        format!(
            "/0/public/OHLC?pair={}&interval={}&since={}",
            rest_pair(symbol),
            tf.millis() / 60_000,
            first / 1000 - 1
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
        let (data, committed) = answer.rows()?;
        // `last` is the venue's word on which rows are closed: the open time of its last
        // committed interval. A row after it is the live one, whatever this clock says.
        let committed = committed
            .and_then(|l| l.get().parse::<i64>().ok())
            .and_then(|s| s.checked_mul(1000));
        let rows: Vec<Vec<&RawValue>> =
            serde_json::from_str(data.get()).map_err(|e| e.to_string())?;
        let rows = rows
            .into_iter()
            .map(|r| {
                let open_time = seconds_field(&r);
                let closed = |t: Millis| match committed {
                    Some(last) => t <= last,
                    None => t + tf.millis() <= now,
                };
                (open_time, ohlc_row(&r, open_time, closed))
            })
            .collect();
        Ok(Page::assemble(rows, tf, first, last, now))
    }

    fn answer_error(&self, status: u16, body: &[u8]) -> Option<ApiError> {
        let answer: Answer<'_> = serde_json::from_slice(body).ok()?;
        let first = answer.error.first()?;
        let text = answer.error.join("; ");
        Some(
            if first.contains("Too many requests") || first.contains("Rate limit") {
                ApiError::RateLimited(None)
            } else if first.starts_with("EService") || status >= 500 {
                ApiError::Transient(text)
            } else {
                ApiError::Fatal(text)
            },
        )
    }

    fn candle_depth(&self) -> Option<u32> {
        Some(OHLC_DEPTH)
    }

    fn trades_path(&self, symbol: Symbol, since: &str) -> Option<String> {
        Some(format!(
            "/0/public/Trades?pair={}&since={since}&count=1000",
            rest_pair(symbol)
        ))
    }

    /// Kraken's cursor is in nanoseconds.
    fn trades_cursor(&self, from: Millis) -> String {
        (from as i128 * 1_000_000).to_string()
    }

    fn decode_trades(&self, body: &[u8], symbol: Symbol) -> Result<TradesPage, String> {
        let answer: Answer<'_> = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        let (data, last) = answer.rows()?;
        let rows: Vec<Vec<&RawValue>> =
            serde_json::from_str(data.get()).map_err(|e| e.to_string())?;
        let trades = rows
            .iter()
            .enumerate()
            .map(|(i, r)| trade_row(r, symbol).map_err(|e| format!("trade row {i}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        let next = cursor(last.ok_or("the answer has no `last` cursor")?)?;
        Ok(TradesPage { trades, next })
    }
}

/// The `last` cursor of a trades page, a count of nanoseconds: a string (as Kraken writes it)
/// or a number, and nothing but digits, since it goes into the next request's query.
fn cursor(last: &RawValue) -> Result<String, String> {
    let text = match serde_json::from_str::<Cow<'_, str>>(last.get()) {
        Ok(s) => s.into_owned(),
        Err(_) => last.get().to_string(),
    };
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("the `last` cursor {} is not a count", clip(&text)));
    }
    Ok(text)
}

fn text<'a>(r: &'a [&RawValue], i: usize, name: &str) -> Result<Cow<'a, str>, String> {
    let v = r.get(i).ok_or_else(|| format!("{name} is missing"))?;
    serde_json::from_str::<Cow<'a, str>>(v.get()).map_err(|_| format!("{name} is not a string"))
}

fn ohlc_row(
    r: &[&RawValue],
    open_time: Option<Millis>,
    closed: impl Fn(Millis) -> bool,
) -> Result<Candle, String> {
    if r.len() != 8 {
        return Err(format!("expected 8 fields, got {}", r.len()));
    }
    let open_time = open_time.ok_or("time is not an integer")?;
    let fields: Vec<Cow<'_, str>> = (1..7)
        .map(|i| text(r, i, "a price or volume"))
        .collect::<Result<_, _>>()?;
    let trades: u64 = r[7]
        .get()
        .parse()
        .map_err(|_| format!("count {} is not a count", r[7].get()))?;
    Ok(rest_candle(
        open_time,
        decimal_field(&fields, 0, "open")?,
        decimal_field(&fields, 1, "high")?,
        decimal_field(&fields, 2, "low")?,
        decimal_field(&fields, 3, "close")?,
        // fields[4] is the vwap, truncated: not a way back to the quote volume.
        decimal_field(&fields, 5, "volume")?,
        None,
        Some(trades),
        closed(open_time),
    ))
}

fn trade_row(r: &[&RawValue], symbol: Symbol) -> Result<Trade, String> {
    if r.len() < 7 {
        return Err(format!("expected 7 fields, got {}", r.len()));
    }
    let fields = [text(r, 0, "price")?, text(r, 1, "volume")?];
    let (time, micros) = decimal_seconds(r[2].get()).map_err(|e| e.to_string())?;
    let side = text(r, 3, "side")?;
    let id: i64 = r[6]
        .get()
        .parse()
        .map_err(|_| format!("trade_id {} is not an integer", r[6].get()))?;
    Ok(Trade {
        symbol,
        id,
        price: decimal_field(&fields, 0, "price")?,
        qty: decimal_field(&fields, 1, "volume")?,
        time,
        micros,
        count: 1,
        buyer_is_maker: taker_sold(&side).map_err(|e| e.to_string())?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_take_their_rest_spelling() {
        let p = |s: &str| rest_pair(Symbol::new(s).unwrap());
        assert_eq!(p("kraken:BTC/USD"), "XBTUSD");
        assert_eq!(p("kraken:BTC/USDT"), "XBTUSDT");
        assert_eq!(p("kraken:DOGE/USD"), "XDGUSD");
        assert_eq!(p("kraken:ETH/EUR"), "ETHEUR");
    }

    #[test]
    fn errors_inside_a_200() {
        let e = |b: &str| KrakenRest.answer_error(200, b.as_bytes());
        assert_eq!(e(r#"{"error":[],"result":{}}"#), None);
        assert_eq!(
            e(r#"{"error":["EGeneral:Too many requests"]}"#),
            Some(ApiError::RateLimited(None))
        );
        assert_eq!(
            e(r#"{"error":["EQuery:Unknown asset pair"]}"#),
            Some(ApiError::Fatal("EQuery:Unknown asset pair".into()))
        );
        assert!(matches!(
            e(r#"{"error":["EService:Unavailable"]}"#),
            Some(ApiError::Transient(_))
        ));
    }

    #[test]
    fn the_trades_cursor_is_digits_however_written() {
        let sym = Symbol::new("kraken:BTC/USDT").unwrap();
        let page = |last: &str| {
            let body = format!(r#"{{"error":[],"result":{{"XBTUSDT":[],"last":{last}}}}}"#);
            KrakenRest
                .decode_trades(body.as_bytes(), sym)
                .map(|p| p.next)
        };
        assert_eq!(
            page(r#""1762795457846737400""#).unwrap(),
            "1762795457846737400"
        );
        assert_eq!(
            page(r#""\u0031\u0037""#).unwrap(),
            "17",
            "escapes are decoded"
        );
        assert_eq!(page("1762795457846737400").unwrap(), "1762795457846737400");
        let hostile = page(r#""1&pair=ETHUSD""#).unwrap_err();
        assert!(hostile.contains("is not a count"), "{hostile}");
        assert!(page(r#""""#).is_err());
    }
}
