//! The field readers every export shares: decimals as the venues write them, times, markets
//! split into base and quote.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::Row;
use crate::domain::{Millis, asset_name};

/// A decimal as exports write it: `62,000.50`, `$1.00`, `-€3`, `6.0E-7`.
pub fn decimal(row: &Row<'_>, column: &str, text: &str) -> Result<Decimal, super::ImportError> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | '$' | '€' | '£' | ' '))
        .collect();
    let parsed = if cleaned.contains(['e', 'E']) {
        Decimal::from_scientific(&cleaned).ok()
    } else {
        Decimal::from_str(&cleaned).ok()
    };
    parsed.ok_or_else(|| {
        row.error(
            Some(column),
            format!(
                "{:?} is not a number",
                crate::domain::text::clip_bytes(text, 40)
            ),
        )
    })
}

/// The decimal of `column`, which must be above zero.
pub fn positive(row: &Row<'_>, column: &str) -> Result<Decimal, super::ImportError> {
    let text = row.get(column);
    let v = decimal(row, column, text)?;
    if v <= Decimal::ZERO {
        return Err(row.error(Some(column), format!("{text} is not above zero")));
    }
    Ok(v)
}

/// The decimal of `column` when it is not empty (a zero fee is no fee).
pub fn optional(row: &Row<'_>, column: &str) -> Result<Option<Decimal>, super::ImportError> {
    let text = row.get(column);
    if text.is_empty() {
        return Ok(None);
    }
    let v = decimal(row, column, text)?;
    if v < Decimal::ZERO {
        return Err(row.error(Some(column), format!("{text} is below zero")));
    }
    Ok((!v.is_zero()).then_some(v))
}

/// A time as exports write it, in UTC: `2024-03-02 10:00:00`, `2024-03-19 19:43:31.6798`,
/// `2024-02-08 16:31:22 UTC`, RFC 3339, or Unix seconds or milliseconds.
pub fn time(row: &Row<'_>, column: &str) -> Result<Millis, super::ImportError> {
    let text = row.get(column);
    let bare = text.trim_end_matches(" UTC").trim();
    if !bare.is_empty() && bare.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = bare
            .parse()
            .map_err(|_| row.error(Some(column), format!("{text} is not a time")))?;
        // Seconds until the year 5138, milliseconds after.
        return Ok(if n < 100_000_000_000 { n * 1000 } else { n });
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(bare) {
        return Ok(t.timestamp_millis());
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(bare, fmt) {
            return Ok(t.and_utc().timestamp_millis());
        }
    }
    Err(row.error(
        Some(column),
        format!(
            "{:?} is not a time (YYYY-MM-DD HH:MM:SS UTC, RFC 3339 or Unix time)",
            crate::domain::text::clip_bytes(text, 40)
        ),
    ))
}

/// A market's base and quote: `BTC-USD`, `XBT/USD`, `ETHBTC`, Kraken's `XXBTZEUR`.
pub fn split_market(market: &str) -> Option<(String, String)> {
    let m = market.trim().to_ascii_uppercase();
    let m = m.rsplit(':').next().unwrap_or(&m);
    // Market names are ASCII (and slicing below counts bytes).
    if !m
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-/_".contains(&b))
    {
        return None;
    }
    if let Some((b, q)) = m.split_once(['-', '/', '_']) {
        let q = q.split(['-', '/', '_']).next().unwrap_or(q);
        return (!b.is_empty() && !q.is_empty()).then(|| (asset_name(b), asset_name(q)));
    }
    // Kraken's legacy pairs: two four-letter codes, X for crypto, Z for fiat.
    if m.len() == 8
        && matches!(m.as_bytes()[0], b'X' | b'Z')
        && matches!(m.as_bytes()[4], b'X' | b'Z')
    {
        let (b, q) = (asset_name(&m[..4]), asset_name(&m[4..]));
        if b.len() < 4 && q.len() < 4 {
            return Some((b, q));
        }
    }
    // By the quote it ends with, as the news reads pairs (`1INCHUSDT`, `BNBFDUSD`).
    let base = crate::news::coins::base_asset(m)?;
    Some((asset_name(base), asset_name(&m[base.len()..])))
}

#[cfg(test)]
mod tests {
    use super::split_market;

    #[test]
    fn markets_split_into_base_and_quote() {
        let s = |m: &str| split_market(m).map(|(b, q)| format!("{b}/{q}"));
        assert_eq!(s("BTCUSDT").as_deref(), Some("BTC/USDT"));
        assert_eq!(s("ETHBTC").as_deref(), Some("ETH/BTC"));
        assert_eq!(s("BTC-USD").as_deref(), Some("BTC/USD"));
        assert_eq!(s("XBT/EUR").as_deref(), Some("BTC/EUR"));
        assert_eq!(s("XXBTZEUR").as_deref(), Some("BTC/EUR"));
        assert_eq!(s("XETHXXBT").as_deref(), Some("ETH/BTC"));
        assert_eq!(s("POL/EUR").as_deref(), Some("POL/EUR"));
        assert_eq!(s("1INCHUSDT").as_deref(), Some("1INCH/USDT"));
        assert_eq!(s("okx:BTC-USDT"), s("BTC-USDT"));
        assert_eq!(s("BTC-USDT-SWAP").as_deref(), Some("BTC/USDT"));
        assert_eq!(s("WHAT"), None);
        assert_eq!(
            s("XÉÉZUSD"),
            None,
            "not ASCII: refused, not sliced inside a letter"
        );
        assert_eq!(s("XÉ\u{301}ZEUR"), None);
    }
}
