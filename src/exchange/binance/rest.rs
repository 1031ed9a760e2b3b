//! Binance's REST page: the wire format of `GET /api/v3/klines` and its exact conversion into
//! [`Candle`]s, and its side of the [`RestApi`] seam.
//!
//! A page is parsed row by row without failing as a whole: one malformed row is rejected with a
//! reason and the rest of the page is still used. Strings are borrowed from the response body
//! and decimals parsed straight from the bytes, so a good row allocates nothing.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};

use crate::domain::{Candle, Fixed, Millis, Price, Qty, Quote, Symbol, Timeframe, Venue};
use crate::exchange::rest::{ApiError, Budget, RestApi};
pub use crate::exchange::rest::{Page, RowError};

/// One of Binance's markets that serve this kline format: spot, and USDⓈ-M futures (the same
/// twelve fields from `/fapi/v1/klines`, volume in the base asset).
#[derive(Clone, Copy, Debug)]
pub struct Market {
    pub venue: Venue,
    pub klines_path: &'static str,
    pub instruments_path: &'static str,
    pub decode_instruments: fn(&[u8]) -> Result<Vec<crate::domain::Listing>, String>,
    /// Klines per request and the request's weight.
    pub page_size: usize,
    pub budget: Budget,
}

/// Spot: 1,000 klines per request at weight 2, out of 6,000 per minute reported back in
/// `X-MBX-USED-WEIGHT-1M`.
pub const SPOT: Market = Market {
    venue: Venue::Binance,
    klines_path: "/api/v3/klines",
    instruments_path: super::instruments::PATH,
    decode_instruments: super::instruments::decode,
    page_size: 1000,
    budget: Budget {
        per_minute: 6_000,
        request_weight: 2,
        used_header: Some("x-mbx-used-weight-1m"),
    },
};

/// Binance's side of the REST seam, for one [`Market`].
pub struct BinanceRest(pub Market);

impl RestApi for BinanceRest {
    fn instruments_path(&self) -> &'static str {
        self.0.instruments_path
    }

    fn decode_instruments(&self, body: &[u8]) -> Result<Vec<crate::domain::Listing>, String> {
        (self.0.decode_instruments)(body)
    }

    fn venue(&self) -> Venue {
        self.0.venue
    }

    fn page_size(&self) -> usize {
        self.0.page_size
    }

    fn pages_from_start(&self) -> bool {
        true
    }

    fn budget(&self) -> Budget {
        self.0.budget
    }

    fn candles_path(&self, symbol: Symbol, tf: Timeframe, first: Millis, last: Millis) -> String {
        format!(
            "{}?symbol={}&interval={tf}&startTime={first}&endTime={}&limit={}",
            self.0.klines_path,
            symbol.as_str(),
            last + tf.millis() - 1,
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
        decode_page(body, tf, first, last, now).map_err(|e| e.to_string())
    }

    /// `{"code":-1121,"msg":"Invalid symbol."}` with a 4xx; 418 is an IP ban.
    fn answer_error(&self, status: u16, body: &[u8]) -> Option<ApiError> {
        #[derive(serde::Deserialize)]
        struct BinanceError {
            code: i64,
            msg: String,
        }
        if (200..300).contains(&status) {
            return None;
        }
        serde_json::from_slice::<BinanceError>(body)
            .ok()
            .filter(|_| status != 429 && status != 418 && status < 500)
            .map(|e| ApiError::Fatal(format!("{} (code {})", e.msg, e.code)))
    }
}

/// One kline row as Binance sends it
/// (<https://github.com/binance/binance-spot-api-docs/blob/master/rest-api.md#klinecandlestick-data>):
///
/// ```text
/// [
///   1499040000000,      // Kline open time
///   "0.01634790",       // Open price
///   "0.80000000",       // High price
///   "0.01575800",       // Low price
///   "0.01577100",       // Close price
///   "148976.11427815",  // Volume
///   1499644799999,      // Kline close time
///   "2434.19055334",    // Quote asset volume
///   308,                // Number of trades
///   "1756.87402397",    // Taker buy base asset volume
///   "28.46694368",      // Taker buy quote asset volume
///   "0"                 // Unused field, ignore.
/// ]
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct KlineRow<'a> {
    pub open_time: i64,
    pub open: Cow<'a, str>,
    pub high: Cow<'a, str>,
    pub low: Cow<'a, str>,
    pub close: Cow<'a, str>,
    pub volume: Cow<'a, str>,
    pub close_time: i64,
    pub quote_volume: Cow<'a, str>,
    pub trades: i64,
    pub taker_buy_base: Cow<'a, str>,
    pub taker_buy_quote: Cow<'a, str>,
    pub ignore: Cow<'a, str>,
}

const FIELDS: [&str; 12] = [
    "openTime",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "closeTime",
    "quoteVolume",
    "numberOfTrades",
    "takerBuyBase",
    "takerBuyQuote",
    "ignore",
];

/// A row as it came off the wire: well-formed, or the reason it is not (plus its open time
/// when that much could be read, so paging can still move past it).
#[derive(Debug)]
pub enum WireRow<'a> {
    Row(KlineRow<'a>),
    Bad {
        open_time: Option<Millis>,
        reason: String,
    },
}

impl WireRow<'_> {
    pub fn open_time(&self) -> Option<Millis> {
        match self {
            WireRow::Row(r) => Some(r.open_time),
            WireRow::Bad { open_time, .. } => *open_time,
        }
    }
}

/// Parses a whole response body. Err only when the body is not a JSON array at all.
pub fn parse_page(body: &[u8]) -> Result<Vec<WireRow<'_>>, serde_json::Error> {
    serde_json::from_slice(body)
}

/// Decodes a page requested for open times `first..=last`. Rows outside that range, out of
/// order or duplicated are rejected like malformed ones. Err only when the body is not a JSON
/// array (a truncated or foreign body).
pub fn decode_page(
    body: &[u8],
    tf: Timeframe,
    first: Millis,
    last: Millis,
    now: Millis,
) -> Result<Page, serde_json::Error> {
    let rows = parse_page(body)?;
    let mut page = Page {
        candles: Vec::with_capacity(rows.len()),
        rows: rows.len(),
        ..Page::default()
    };
    for (index, row) in rows.iter().enumerate() {
        let open_time = row.open_time();
        let in_range = open_time.filter(|t| (first..=last).contains(t));
        if let Some(t) = in_range {
            page.last_open = Some(page.last_open.map_or(t, |l| l.max(t)));
        }
        let checked = match (row, in_range) {
            (WireRow::Bad { reason, .. }, _) => Err(reason.clone()),
            (WireRow::Row(_), None) => Err("openTime is outside the requested range".into()),
            (WireRow::Row(r), Some(_)) => match page.candles.last() {
                Some(prev) if prev.open_time >= r.open_time => {
                    Err("openTime is out of order or repeated".into())
                }
                _ => r.to_candle(tf, now),
            },
        };
        match checked {
            Ok(c) => page.candles.push(c),
            Err(reason) => page.rejected.push(RowError {
                index,
                open_time,
                reason,
            }),
        }
    }
    Ok(page)
}

impl KlineRow<'_> {
    /// The exact candle, or why the row cannot be one. `now` decides `closed`.
    pub fn to_candle(&self, tf: Timeframe, now: Millis) -> Result<Candle, String> {
        let iv = tf.millis();
        if self.open_time.rem_euclid(iv) != 0 {
            return Err(format!("openTime is not aligned to {tf}"));
        }
        if self.close_time != self.open_time + iv - 1 {
            return Err(format!(
                "closeTime {} is not openTime + {tf} - 1 ms",
                self.close_time
            ));
        }
        let open: Price = decimal(&self.open, "open")?;
        let high: Price = decimal(&self.high, "high")?;
        let low: Price = decimal(&self.low, "low")?;
        let close: Price = decimal(&self.close, "close")?;
        let volume: Qty = decimal(&self.volume, "volume")?;
        let quote_volume: Quote = decimal(&self.quote_volume, "quoteVolume")?;
        let taker_base: Qty = decimal(&self.taker_buy_base, "takerBuyBase")?;
        let taker_quote: Quote = decimal(&self.taker_buy_quote, "takerBuyQuote")?;
        if low.raw() < 0 {
            return Err("low is negative".into());
        }
        if high < low {
            return Err(format!("high {high} is below low {low}"));
        }
        if !(low..=high).contains(&open) || !(low..=high).contains(&close) {
            return Err(format!(
                "open {open} or close {close} is outside low {low}..high {high}"
            ));
        }
        if [
            volume.raw(),
            quote_volume.raw(),
            taker_base.raw(),
            taker_quote.raw(),
        ]
        .iter()
        .any(|v| *v < 0)
        {
            return Err("a volume is negative".into());
        }
        if taker_base > volume {
            return Err(format!("takerBuyBase {taker_base} exceeds volume {volume}"));
        }
        let trades = u64::try_from(self.trades)
            .map_err(|_| format!("numberOfTrades {} is negative", self.trades))?;
        let candle = Candle {
            open_time: self.open_time,
            open,
            high,
            low,
            close,
            volume,
            quote_volume: Some(quote_volume),
            trades: Some(trades),
            closed: self.close_time < now,
            first_trade_id: None,
            last_trade_id: None,
        };
        // Zero prices, and times before 2009 or ahead of this clock.
        candle.check(now).map_err(|e| e.to_string())?;
        Ok(candle)
    }
}

fn decimal<const S: u32>(text: &str, field: &str) -> Result<Fixed<S>, String> {
    Fixed::<S>::parse_bytes(text.as_bytes())
        .map_err(|fail| format!("{field}: {}", fail.into_error(text, S)))
}

/// One JSON value of a row, kept only as far as a kline needs.
enum Elem<'a> {
    Int(i64),
    Str(Cow<'a, str>),
    /// Any other JSON type, named for the error message.
    Other(&'static str),
}

impl<'de> Deserialize<'de> for Elem<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ElemVisitor)
    }
}

struct ElemVisitor;

impl<'de> Visitor<'de> for ElemVisitor {
    type Value = Elem<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a kline field")
    }
    fn visit_i64<E>(self, v: i64) -> Result<Elem<'de>, E> {
        Ok(Elem::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Elem<'de>, E> {
        Ok(i64::try_from(v).map_or(Elem::Other("an integer out of range"), Elem::Int))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Elem<'de>, E> {
        Ok(Elem::Other("a fractional number"))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Elem<'de>, E> {
        Ok(Elem::Other("a boolean"))
    }
    fn visit_unit<E>(self) -> Result<Elem<'de>, E> {
        Ok(Elem::Other("null"))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Elem<'de>, E> {
        Ok(Elem::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Elem<'de>, E> {
        Ok(Elem::Str(Cow::Owned(v.to_string())))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Elem<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Elem::Other("an array"))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Elem<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Elem::Other("an object"))
    }
}

impl<'de> Deserialize<'de> for WireRow<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RowVisitor)
    }
}

struct RowVisitor;

impl RowVisitor {
    fn bad<'de, E>(reason: &str) -> Result<WireRow<'de>, E> {
        Ok(WireRow::Bad {
            open_time: None,
            reason: reason.to_string(),
        })
    }
}

impl<'de> Visitor<'de> for RowVisitor {
    type Value = WireRow<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a kline row (an array of 12 fields)")
    }
    fn visit_i64<E>(self, _: i64) -> Result<WireRow<'de>, E> {
        Self::bad("a number instead of an array")
    }
    fn visit_u64<E>(self, _: u64) -> Result<WireRow<'de>, E> {
        Self::bad("a number instead of an array")
    }
    fn visit_f64<E>(self, _: f64) -> Result<WireRow<'de>, E> {
        Self::bad("a number instead of an array")
    }
    fn visit_bool<E>(self, _: bool) -> Result<WireRow<'de>, E> {
        Self::bad("a boolean instead of an array")
    }
    fn visit_unit<E>(self) -> Result<WireRow<'de>, E> {
        Self::bad("null instead of an array")
    }
    fn visit_str<E>(self, _: &str) -> Result<WireRow<'de>, E> {
        Self::bad("a string instead of an array")
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<WireRow<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Self::bad("an object instead of an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<WireRow<'de>, A::Error> {
        let mut elems: [Option<Elem<'de>>; 12] = Default::default();
        let mut n = 0usize;
        while n < elems.len() {
            match seq.next_element::<Elem<'de>>()? {
                Some(e) => elems[n] = Some(e),
                None => break,
            }
            n += 1;
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {
            n += 1;
        }
        let open_time = match elems[0] {
            Some(Elem::Int(t)) => Some(t),
            _ => None,
        };
        if n != FIELDS.len() {
            return Ok(WireRow::Bad {
                open_time,
                reason: format!("expected {} fields, got {n}", FIELDS.len()),
            });
        }
        Ok(build_row(elems).unwrap_or_else(|reason| WireRow::Bad { open_time, reason }))
    }
}

fn build_row(elems: [Option<Elem<'_>>; 12]) -> Result<WireRow<'_>, String> {
    let mut f = Fields {
        it: elems.into_iter().zip(FIELDS),
    };
    Ok(WireRow::Row(KlineRow {
        open_time: f.int()?,
        open: f.text()?,
        high: f.text()?,
        low: f.text()?,
        close: f.text()?,
        volume: f.text()?,
        close_time: f.int()?,
        quote_volume: f.text()?,
        trades: f.int()?,
        taker_buy_base: f.text()?,
        taker_buy_quote: f.text()?,
        ignore: f.text()?,
    }))
}

/// Reads a row's fields in wire order, naming the field when its JSON type is wrong.
struct Fields<'a, I: Iterator<Item = (Option<Elem<'a>>, &'static str)>> {
    it: I,
}

impl<'a, I: Iterator<Item = (Option<Elem<'a>>, &'static str)>> Fields<'a, I> {
    fn next(&mut self) -> (Elem<'a>, &'static str) {
        match self.it.next() {
            Some((Some(e), name)) => (e, name),
            // Arity was checked before, so every field is present.
            Some((None, name)) => (Elem::Other("missing"), name),
            None => (Elem::Other("missing"), "?"),
        }
    }

    fn int(&mut self) -> Result<i64, String> {
        match self.next() {
            (Elem::Int(v), _) => Ok(v),
            (Elem::Str(s), name) => Err(format!("{name} is the string {s:?}, expected an integer")),
            (Elem::Other(kind), name) => Err(format!("{name} is {kind}, expected an integer")),
        }
    }

    fn text(&mut self) -> Result<Cow<'a, str>, String> {
        match self.next() {
            (Elem::Str(s), _) => Ok(s),
            (Elem::Int(v), name) => Err(format!("{name} is the number {v}, expected a string")),
            (Elem::Other(kind), name) => Err(format!("{name} is {kind}, expected a string")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Millis = 1_704_067_200_000;
    const GOOD: &str = r#"[1704067200000,"42283.58000000","42298.62000000","42261.02000000","42298.61000000","35.92724000",1704067259999,"1519032.43633940",1327,"16.57450000","700760.09215620","0"]"#;

    fn row(fields: &str) -> String {
        format!("[{fields}]")
    }

    fn decode(body: &str) -> Page {
        decode_page(
            body.as_bytes(),
            Timeframe::M1,
            T0,
            T0 + 10 * 60_000,
            T0 + 3_600_000,
        )
        .unwrap()
    }

    #[test]
    fn a_real_row_converts_exactly() {
        let page = decode(&row(GOOD));
        assert!(page.rejected.is_empty(), "{:?}", page.rejected);
        let c = page.candles[0];
        assert_eq!(c.open_time, T0);
        assert_eq!(c.open.to_string(), "42283.58");
        assert_eq!(c.high.to_string(), "42298.62");
        assert_eq!(c.low.to_string(), "42261.02");
        assert_eq!(c.close.to_string(), "42298.61");
        assert_eq!(c.volume.to_string(), "35.92724");
        assert_eq!(c.quote_volume.unwrap().to_string(), "1519032.4363394");
        assert_eq!(c.trades, Some(1327));
        assert!(c.closed);
        assert_eq!((c.first_trade_id, c.last_trade_id), (None, None));
        assert_eq!(page.last_open, Some(T0));
    }

    #[test]
    fn closed_only_once_the_close_time_has_passed() {
        let body = row(GOOD);
        let open = decode_page(body.as_bytes(), Timeframe::M1, T0, T0, T0 + 59_999).unwrap();
        assert!(!open.candles[0].closed);
        let closed = decode_page(body.as_bytes(), Timeframe::M1, T0, T0, T0 + 60_000).unwrap();
        assert!(closed.candles[0].closed);
    }

    #[test]
    fn malformed_rows_are_rejected_and_the_rest_kept() {
        let good2 = GOOD
            .replace("1704067200000", "1704067320000")
            .replace("1704067259999", "1704067379999");
        let cases: &[(&str, &str)] = &[
            (
                r#"[1704067260000,"1","1","1","1","1",1704067319999,"1",1,"1","1"]"#,
                "expected 12 fields, got 11",
            ),
            (
                r#"[1704067260000,"1.2.3","1","1","1","1",1704067319999,"1",1,"1","1","0"]"#,
                "open: \"1.2.3\" is not a decimal",
            ),
            (
                r#"[1704067260000,"1","1","1","1","1",1704067319998,"1",1,"1","1","0"]"#,
                "closeTime 1704067319998",
            ),
            (
                r#"[1704067260001,"1","1","1","1","1",1704067320000,"1",1,"1","1","0"]"#,
                "not aligned",
            ),
            (
                r#"[1704067260000,"1","1","2","1","1",1704067319999,"1",1,"1","1","0"]"#,
                "below low",
            ),
            (
                r#"[1704067260000,"1","1","1","1","1",1704067319999,"1",-1,"1","1","0"]"#,
                "negative",
            ),
            (
                r#"[1704067260000,1,"1","1","1","1",1704067319999,"1",1,"1","1","0"]"#,
                "open is the number 1",
            ),
            (
                r#"[1704067260000,"1","1","1","1","1",1704067319999,"1",1.5,"1","1","0"]"#,
                "fractional",
            ),
            (
                r#"[1704067260000,"1","1","1","1","1",1704067319999,"1",1,"2","1","0"]"#,
                "exceeds volume",
            ),
            (r#"{"openTime":1704067260000}"#, "an object"),
            (
                r#"["1704067260000","1","1","1","1","1",1704067319999,"1",1,"1","1","0"]"#,
                "openTime is the string",
            ),
            (
                r#"[1704067260000,"1","1","1","1","1",1704067319999,"1",1,"1","1","0",7]"#,
                "got 13",
            ),
            (
                r#"[1704067260000,"0.123456789","1","0","1","1",1704067319999,"1",1,"1","1","0"]"#,
                "more than 8 decimal places",
            ),
            (
                r#"[1704067260000,"0","1","0","1","1",1704067319999,"1",1,"1","1","0"]"#,
                "prices must be positive",
            ),
        ];
        for (bad, why) in cases {
            let body = format!("[{GOOD},{bad},{good2}]");
            let page = decode(&body);
            assert_eq!(page.rows, 3);
            assert_eq!(page.candles.len(), 2, "{bad}");
            assert_eq!(page.rejected.len(), 1, "{bad}");
            let msg = page.rejected[0].to_string();
            assert!(msg.contains(why), "{bad}: {msg}");
            assert!(msg.starts_with("row 1"), "{msg}");
        }
    }

    #[test]
    fn paging_moves_past_a_bad_last_row() {
        let bad = r#"[1704067320000,"x","1","1","1","1",1704067379999,"1",1,"1","1","0"]"#;
        let page = decode(&format!("[{GOOD},{bad}]"));
        assert_eq!(page.candles.len(), 1);
        assert_eq!(page.last_open, Some(T0 + 120_000));
        assert_eq!(page.rejected[0].open_time, Some(T0 + 120_000));
    }

    #[test]
    fn rows_outside_the_range_or_out_of_order_are_rejected() {
        let early = GOOD
            .replace("1704067200000", "1704067140000")
            .replace("1704067259999", "1704067199999");
        let page = decode(&format!("[{early},{GOOD},{GOOD}]"));
        assert_eq!(page.candles.len(), 1);
        assert_eq!(page.rejected.len(), 2);
        assert!(
            page.rejected[0]
                .reason
                .contains("outside the requested range")
        );
        assert!(page.rejected[1].reason.contains("out of order or repeated"));
    }

    #[test]
    fn empty_and_foreign_bodies() {
        let page = decode("[]");
        assert_eq!(
            (page.rows, page.candles.len(), page.last_open),
            (0, 0, None)
        );
        assert!(decode_page(b"[[1704067200000,\"1\"", Timeframe::M1, T0, T0, T0).is_err());
        assert!(
            decode_page(
                br#"{"code":-1121,"msg":"Invalid symbol."}"#,
                Timeframe::M1,
                T0,
                T0,
                T0
            )
            .is_err()
        );
    }

    #[test]
    fn escaped_strings_still_parse() {
        let escaped = GOOD.replace("\"42283.58000000\"", "\"4228\\u0033.58\"");
        let page = decode(&row(&escaped));
        assert!(page.rejected.is_empty(), "{:?}", page.rejected);
        assert_eq!(page.candles[0].open.to_string(), "42283.58");
    }
}
