//! What every venue's wire parser shares: the error type, exact decimals from strings or from
//! JSON number literals, RFC 3339 trade times to the microsecond, and symbols.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::connector::Parsed;
use crate::domain::{Book, Level, Millis, Price, Qty, Symbol, Trade, Venue};

/// Why a frame could not be turned into something useful. Short, one line, never a panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("invalid JSON: {0}")]
    Json(String),
    #[error("bad {field} {value:?}: not an exact decimal")]
    Decimal { field: &'static str, value: String },
    #[error("invalid symbol {0:?}")]
    Symbol(String),
    #[error("bad {field} {value:?}")]
    Field { field: &'static str, value: String },
    #[error("aggTrade {id} has an impossible trade range f={first} l={last}")]
    Range { id: i64, first: i64, last: i64 },
    #[error("server error {code}: {msg}")]
    Server { code: i64, msg: String },
    #[error("{0}")]
    Book(#[from] crate::domain::BookError),
}

impl WireError {
    pub fn json(e: serde_json::Error) -> Self {
        WireError::Json(e.to_string())
    }

    pub fn field(field: &'static str, value: impl AsRef<str>) -> Self {
        WireError::Field {
            field,
            value: clip(value),
        }
    }
}

/// The trades of one frame's array, each judged on its own: the good ones appended to `out`,
/// a bad one (a field that does not parse, a value out of range, a missing field) rejected
/// alone with its reason. The array is read in one pass when every element has the shape of
/// a trade; only a frame with a misshapen element is read again element by element.
pub fn each_trade<'a, T: Deserialize<'a>>(
    data: &'a RawValue,
    convert: impl Fn(&T) -> Result<Trade, WireError>,
    out: &mut Vec<Trade>,
) -> Result<Parsed, WireError> {
    if let Ok(items) = serde_json::from_str::<Vec<T>>(data.get()) {
        return Ok(trades_of(&items, convert, out));
    }
    let items: Vec<&'a RawValue> = serde_json::from_str(data.get()).map_err(WireError::json)?;
    let mut rejected = Vec::new();
    for item in items {
        let t = serde_json::from_str::<T>(item.get()).map_err(WireError::json);
        match t.and_then(|t| convert(&t)) {
            Ok(t) => out.push(t),
            Err(e) => rejected.push(e.to_string()),
        }
    }
    Ok(judged(rejected))
}

/// Trades already read into their wire shape, each converted on its own (see
/// [`each_trade`]): a venue's fast path for a well-shaped frame.
pub fn trades_of<T>(
    items: &[T],
    convert: impl Fn(&T) -> Result<Trade, WireError>,
    out: &mut Vec<Trade>,
) -> Parsed {
    let mut rejected = Vec::new();
    for t in items {
        match convert(t) {
            Ok(t) => out.push(t),
            Err(e) => rejected.push(e.to_string()),
        }
    }
    judged(rejected)
}

fn judged(rejected: Vec<String>) -> Parsed {
    if rejected.is_empty() {
        Parsed::Trades
    } else {
        Parsed::Partial(rejected)
    }
}

/// At most 200 characters of a decoder's complaint (it may quote the answer), for messages.
pub fn clip_long(s: &str) -> String {
    match s.char_indices().nth(200) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
}

/// An integer field that is only compared (Bybit's `retCode`), read leniently: a JSON number
/// or a string of digits.
pub fn lenient_i64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumberOrText<'a> {
        Number(i64),
        Text(Cow<'a, str>),
    }
    match NumberOrText::deserialize(d)? {
        NumberOrText::Number(n) => Ok(n),
        NumberOrText::Text(t) => t
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("not an integer: {:?}", clip(&t)))),
    }
}

/// At most 40 characters of untrusted text, for messages.
/// Reads an optional string borrowed from the frame where it holds no escape, as a plain
/// `Cow<str>` field is read: serde allocates every `Option<Cow<str>>`, and these are read for
/// every frame. Use with `#[serde(default, borrow, deserialize_with = "opt_str")]`.
pub fn opt_str<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Cow<'de, str>>, D::Error> {
    #[derive(Deserialize)]
    struct Borrowed<'a>(#[serde(borrow)] Cow<'a, str>);
    Ok(Option::<Borrowed<'de>>::deserialize(d)?.map(|b| b.0))
}

pub fn clip(s: impl AsRef<str>) -> String {
    let s = s.as_ref();
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
}

/// A trade id that is text without order (Bybit linear's UUIDs) as a number: FNV-1a of its
/// bytes, the same on every run and machine, so a repeat is known by it
/// ([`crate::domain::Continuity::Opaque`]). Empty or over-long text is no id.
pub fn opaque_id(s: &str) -> Result<i64, WireError> {
    if s.is_empty() || s.len() > 64 {
        return Err(WireError::field("trade id", s));
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    // Trade ids are never negative nor i64::MAX ([`Trade::check`](crate::domain::Trade::check)).
    Ok((h % i64::MAX as u64) as i64)
}

pub fn symbol(venue: Venue, s: &str) -> Result<Symbol, WireError> {
    Symbol::on(venue, s.as_bytes()).ok_or_else(|| WireError::Symbol(clip(s)))
}

pub fn price(s: &str) -> Result<Price, WireError> {
    Price::parse_bytes(s.as_bytes()).map_err(|_| WireError::Decimal {
        field: "price",
        value: clip(s),
    })
}

pub fn qty(s: &str) -> Result<Qty, WireError> {
    Qty::parse_bytes(s.as_bytes()).map_err(|_| WireError::Decimal {
        field: "quantity",
        value: clip(s),
    })
}

/// A decimal from a JSON number literal as written (`0.5147`, `6423.46326`, `5e-05`), never
/// through `f64`: Kraken v2 sends prices and sizes this way.
pub fn number_literal(s: &str, field: &'static str) -> Result<crate::domain::Fixed<8>, WireError> {
    let bad = || WireError::Decimal {
        field,
        value: clip(s),
    };
    let Some(e) = s.find(['e', 'E']) else {
        return Price::parse_bytes(s.as_bytes()).map_err(|_| bad());
    };
    let (mantissa, exp) = (&s[..e], &s[e + 1..]);
    let exp: i32 = exp.parse().map_err(|_| bad())?;
    if !(-40..=40).contains(&exp) {
        return Err(bad());
    }
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty() {
        return Err(bad());
    }
    // Move the point `exp` places within the digit string, padding with zeros.
    let digits: String = [int, frac].concat();
    let point = int.len() as i32 + exp;
    let mut text = String::with_capacity(digits.len() + 48);
    if neg {
        text.push('-');
    }
    if point <= 0 {
        text.push_str("0.");
        text.extend(std::iter::repeat_n('0', (-point) as usize));
        text.push_str(&digits);
    } else if point as usize >= digits.len() {
        text.push_str(&digits);
        text.extend(std::iter::repeat_n('0', point as usize - digits.len()));
    } else {
        text.push_str(&digits[..point as usize]);
        text.push('.');
        text.push_str(&digits[point as usize..]);
    }
    Price::parse_bytes(text.as_bytes()).map_err(|_| bad())
}

/// An RFC 3339 UTC time such as `2023-09-25T07:48:36.925533Z` as (Unix ms, microseconds past
/// that millisecond). The fixed layout venues write is read by hand; anything else (offsets,
/// fewer digits) goes through chrono. Digits past the microsecond are dropped.
pub fn rfc3339_micros(s: &str) -> Result<(Millis, u16), WireError> {
    if let Some(t) = fast_rfc3339(s.as_bytes()) {
        return Ok(t);
    }
    let t = chrono::DateTime::parse_from_rfc3339(s).map_err(|_| WireError::field("time", s))?;
    let us = t.timestamp_micros();
    Ok((us.div_euclid(1000), us.rem_euclid(1000) as u16))
}

fn fast_rfc3339(b: &[u8]) -> Option<(Millis, u16)> {
    // YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z
    if b.len() < 20 || *b.last()? != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let mut v = 0i64;
        for &c in b.get(r)? {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + (c - b'0') as i64;
        }
        Some(v)
    };
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') || b[13] != b':' {
        return None;
    }
    if b[16] != b':' {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut us = 0i64;
    let rest = &b[19..b.len() - 1];
    if !rest.is_empty() {
        if rest[0] != b'.' || rest.len() < 2 || rest.len() > 10 {
            return None;
        }
        let frac = &rest[1..];
        for (i, &c) in frac.iter().enumerate() {
            if !c.is_ascii_digit() {
                return None;
            }
            if i < 6 {
                us = us * 10 + (c - b'0') as i64;
            }
        }
        for _ in frac.len()..6 {
            us *= 10;
        }
    }
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec;
    let total_us = secs * 1_000_000 + us;
    Some((total_us.div_euclid(1000), total_us.rem_euclid(1000) as u16))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Seconds with a fraction as a decimal string or literal (`1762795433.9746123`, Kraken's REST
/// trade times) as (Unix ms, microseconds past it), from the digits.
pub fn decimal_seconds(s: &str) -> Result<(Millis, u16), WireError> {
    let bad = || WireError::field("time", s);
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() || !int.bytes().all(|c| c.is_ascii_digit()) || int.len() > 12 {
        return Err(bad());
    }
    if !frac.bytes().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let secs: i64 = int.parse().map_err(|_| bad())?;
    let mut us = 0i64;
    for i in 0..6 {
        us = us * 10 + frac.as_bytes().get(i).map_or(0, |c| (c - b'0') as i64);
    }
    let total = secs * 1_000_000 + us;
    Ok((total / 1000, (total % 1000) as u16))
}

/// A field every trade must have.
pub fn required<'b>(
    v: &'b Option<std::borrow::Cow<'_, str>>,
    field: &'static str,
) -> Result<&'b str, WireError> {
    v.as_deref()
        .ok_or_else(|| WireError::field(field, "missing"))
}

/// An integer carried as a JSON string (`"130639474"`), as Bybit and OKX send ids and times.
/// A book side as the venues send it: arrays of strings, price and size first (OKX adds two
/// more fields, which are not used).
pub fn levels(raw: &[Vec<Cow<'_, str>>]) -> Result<Vec<Level>, WireError> {
    raw.iter()
        .map(|l| match l.as_slice() {
            [p, q, ..] => Ok(Level {
                price: price(p)?,
                qty: qty(q)?,
            }),
            _ => Err(WireError::field("book level", format!("{l:?}"))),
        })
        .collect()
}

/// A checked snapshot from its two sides.
pub fn book(
    symbol: Symbol,
    bids: &[Vec<Cow<'_, str>>],
    asks: &[Vec<Cow<'_, str>>],
    time: Option<Millis>,
) -> Result<Book, WireError> {
    Ok(Book {
        symbol,
        bids: levels(bids)?,
        asks: levels(asks)?,
        time,
    }
    .checked()?)
}

pub fn int_str(s: &str, field: &'static str) -> Result<i64, WireError> {
    s.parse().map_err(|_| WireError::field(field, s))
}

/// For each venue's tests: a frame of trades 1, a bad one, 3 (`frame` wraps the three trade
/// objects) keeps 1 and 3 and rejects the bad one alone, for each of `bads`.
#[cfg(test)]
pub fn assert_bad_trades_cost_only_themselves(
    parse: fn(&[u8], &mut Vec<Trade>) -> Result<Parsed, WireError>,
    good: impl Fn(i64) -> String,
    frame: impl Fn(&str) -> String,
    bads: &[&str],
) {
    for bad in bads {
        let frame = frame(&format!("{},{bad},{}", good(1), good(3)));
        let mut out = Vec::new();
        let Ok(Parsed::Partial(rejected)) = parse(frame.as_bytes(), &mut out) else {
            panic!("not a partial frame: {frame}");
        };
        assert_eq!(rejected.len(), 1, "{rejected:?}");
        assert_eq!(
            out.iter().map(|t| t.id).collect::<Vec<_>>(),
            vec![1, 3],
            "{frame}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Opaque ids are stable, distinct for distinct text, and valid trade ids (never negative).
    #[test]
    fn opaque_ids_are_stable_and_never_negative() {
        let a = opaque_id("079fa26c-36af-5007-b4be-23079b78761f").unwrap();
        assert_eq!(
            a,
            opaque_id("079fa26c-36af-5007-b4be-23079b78761f").unwrap()
        );
        assert_ne!(
            a,
            opaque_id("b412cc85-2712-5387-bd55-8d4d6f6b6450").unwrap()
        );
        for i in 0..10_000 {
            let id = opaque_id(&format!("{i:08x}-d8dd-5b31-9112-a178eb6023af")).unwrap();
            assert!((0..i64::MAX).contains(&id), "{i}: {id}");
        }
        assert!(opaque_id("").is_err() && opaque_id(&"a".repeat(65)).is_err());
    }

    #[test]
    fn optional_strings_borrow_from_the_frame_unless_escaped() {
        #[derive(Deserialize)]
        struct M<'a> {
            #[serde(default, borrow, deserialize_with = "opt_str")]
            s: Option<Cow<'a, str>>,
        }
        let read = |t: &'static str| serde_json::from_str::<M<'_>>(t).unwrap().s;
        assert!(matches!(
            read(r#"{"s":"match"}"#),
            Some(Cow::Borrowed("match"))
        ));
        assert!(matches!(read(r#"{"s":"m\u0061tch"}"#), Some(Cow::Owned(s)) if s == "match"));
        assert_eq!(read(r#"{"s":null}"#), None);
        assert_eq!(read("{}"), None);
        assert!(serde_json::from_str::<M<'_>>(r#"{"s":5}"#).is_err());
    }

    #[test]
    fn number_literals_are_exact() {
        let p = |s| number_literal(s, "price").unwrap().to_string();
        assert_eq!(p("0.5147"), "0.5147");
        assert_eq!(p("6423.46326"), "6423.46326");
        assert_eq!(p("5e-05"), "0.00005");
        assert_eq!(p("1.25E2"), "125");
        assert_eq!(p("12e3"), "12000");
        assert_eq!(p("-0.1"), "-0.1");
        assert!(number_literal("1e-9", "price").is_err());
        assert!(number_literal("1e999", "price").is_err());
        assert!(number_literal("e5", "price").is_err());
        assert!(number_literal("0x10", "price").is_err());
    }

    #[test]
    fn rfc3339_to_the_microsecond() {
        assert_eq!(
            rfc3339_micros("2023-09-25T07:48:36.925533Z").unwrap(),
            (1_695_628_116_925, 533)
        );
        assert_eq!(
            rfc3339_micros("2021-04-17T16:43:37.121358Z").unwrap(),
            (1_618_677_817_121, 358)
        );
        assert_eq!(
            rfc3339_micros("2021-04-17T16:43:37Z").unwrap(),
            (1_618_677_817_000, 0)
        );
        // Nanoseconds: the last three digits are dropped.
        assert_eq!(
            rfc3339_micros("2021-04-17T16:43:37.123456789Z").unwrap(),
            (1_618_677_817_123, 456)
        );
        // With an offset: chrono's path.
        assert_eq!(
            rfc3339_micros("2021-04-17T18:43:37.5+02:00").unwrap(),
            (1_618_677_817_500, 0)
        );
        assert!(rfc3339_micros("yesterday").is_err());
        assert!(rfc3339_micros("2021-13-17T16:43:37Z").is_err());
        // The hand-rolled path agrees with chrono over many instants.
        for i in 0..2000i64 {
            let us = 1_500_000_000_000_000 + i * 987_654_321_777;
            let dt = chrono::DateTime::from_timestamp_micros(us).unwrap();
            let text = dt.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
            assert_eq!(
                rfc3339_micros(&text).unwrap(),
                (us / 1000, (us % 1000) as u16),
                "{text}"
            );
        }
    }

    #[test]
    fn decimal_seconds_keep_microseconds() {
        assert_eq!(
            decimal_seconds("1762795433.9746123").unwrap(),
            (1_762_795_433_974, 612)
        );
        assert_eq!(
            decimal_seconds("1762795433").unwrap(),
            (1_762_795_433_000, 0)
        );
        assert!(decimal_seconds("-1.5").is_err());
        assert!(decimal_seconds("1.2.3").is_err());
    }
}
