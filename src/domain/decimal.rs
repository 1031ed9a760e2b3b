//! Exact fixed-point decimals.
//!
//! Binance sends prices and quantities as decimal strings with at most 8 fractional digits, and
//! klines must match the exchange to the last digit, so floats are out. A `Fixed<S>` stores
//! `value * 10^S` in an `i128`: prices and base quantities use 8 places, and a quote amount
//! (price x quantity) uses 16, so the product of two 8-place numbers is exact.

use std::fmt;
use std::ops::{Add, AddAssign, Mul, Neg, Sub};

/// A price, 8 fractional digits.
pub type Price = Fixed<8>;
/// A base-asset quantity, 8 fractional digits.
pub type Qty = Fixed<8>;
/// A quote-asset amount (price x quantity), 16 fractional digits so sums stay exact.
pub type Quote = Fixed<16>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    #[error("{0:?} is not a decimal number")]
    Syntax(String),
    #[error("{0:?} has more than {1} decimal places")]
    Precision(String, u32),
    #[error("{0:?} is out of range")]
    Overflow(String),
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Fixed<const S: u32>(i128);

impl<const S: u32> Fixed<S> {
    pub const ZERO: Self = Fixed(0);
    const ONE_RAW: i128 = 10i128.pow(S);

    /// The raw scaled integer (`value * 10^S`).
    pub const fn raw(self) -> i128 {
        self.0
    }

    pub const fn from_raw(raw: i128) -> Self {
        Fixed(raw)
    }

    pub fn from_int(v: i64) -> Self {
        Fixed(v as i128 * Self::ONE_RAW)
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// The f64 nearest the decimal (what parsing its text gives, as TA-Lib's inputs are) while
    /// the raw value and the scale are exact in an f64: one correctly rounded division.
    pub fn to_f64(self) -> f64 {
        const EXACT: u128 = 1 << 53;
        if self.0.unsigned_abs() < EXACT && (Self::ONE_RAW as u128) < EXACT {
            return self.0 as f64 / Self::ONE_RAW as f64;
        }
        // Split so large values keep their precision as far as an f64 can.
        let int = self.0 / Self::ONE_RAW;
        let frac = self.0 % Self::ONE_RAW;
        int as f64 + frac as f64 / Self::ONE_RAW as f64
    }

    /// Nearest representable value; for demo data and charts, never for exchange data.
    pub fn from_f64(v: f64) -> Self {
        Fixed((v * Self::ONE_RAW as f64).round() as i128)
    }

    /// Parses a plain decimal string ("0.00141342", "1482.0", "-3", ".5").
    /// Digits past the scale are accepted only when they are zeros, so nothing is ever rounded.
    pub fn parse(s: &str) -> Result<Self, DecimalError> {
        Self::parse_bytes(s.as_bytes()).map_err(|kind| kind.into_error(s, S))
    }

    /// The allocation-free core of [`Fixed::parse`], for hot paths.
    #[inline]
    pub fn parse_bytes(b: &[u8]) -> Result<Self, ParseFail> {
        let (neg, digits) = match b.first() {
            Some(b'-') => (true, &b[1..]),
            Some(b'+') => (false, &b[1..]),
            _ => (false, b),
        };
        if digits.is_empty() {
            return Err(ParseFail::Syntax);
        }
        let mut raw: i128 = 0;
        let mut frac_digits: u32 = 0;
        let mut seen_dot = false;
        let mut seen_digit = false;
        for &c in digits {
            match c {
                b'0'..=b'9' => {
                    seen_digit = true;
                    let d = (c - b'0') as i128;
                    if seen_dot {
                        if frac_digits == S {
                            if d != 0 {
                                return Err(ParseFail::Precision);
                            }
                            continue;
                        }
                        frac_digits += 1;
                    }
                    raw = raw
                        .checked_mul(10)
                        .and_then(|r| r.checked_add(d))
                        .ok_or(ParseFail::Overflow)?;
                }
                b'.' if !seen_dot => seen_dot = true,
                _ => return Err(ParseFail::Syntax),
            }
        }
        if !seen_digit {
            return Err(ParseFail::Syntax);
        }
        raw = raw
            .checked_mul(10i128.pow(S - frac_digits))
            .ok_or(ParseFail::Overflow)?;
        Ok(Fixed(if neg { -raw } else { raw }))
    }

    /// `self × by` when the product has at most `S` decimals (OKX contracts × `ctVal`: 13 ×
    /// 0.01 = 0.13), `None` when it would need rounding or overflow.
    pub fn checked_scale(self, by: Self) -> Option<Self> {
        let product = self.0.checked_mul(by.0)?;
        (product % Self::ONE_RAW == 0).then(|| Fixed(product / Self::ONE_RAW))
    }

    pub fn checked_add(self, o: Self) -> Option<Self> {
        self.0.checked_add(o.0).map(Fixed)
    }

    pub fn max(self, o: Self) -> Self {
        if o.0 > self.0 { o } else { self }
    }

    pub fn min(self, o: Self) -> Self {
        if o.0 < self.0 { o } else { self }
    }
}

/// Why a byte string is not a decimal; turned into a [`DecimalError`] when the text is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseFail {
    Syntax,
    Precision,
    Overflow,
}

impl ParseFail {
    pub fn into_error(self, text: &str, scale: u32) -> DecimalError {
        match self {
            ParseFail::Syntax => DecimalError::Syntax(text.to_string()),
            ParseFail::Precision => DecimalError::Precision(text.to_string(), scale),
            ParseFail::Overflow => DecimalError::Overflow(text.to_string()),
        }
    }
}

impl<const S: u32> std::str::FromStr for Fixed<S> {
    type Err = DecimalError;
    fn from_str(s: &str) -> Result<Self, DecimalError> {
        Self::parse(s)
    }
}

/// Canonical form: no trailing zeros, no trailing dot ("42250", "0.5", "-0.00000001").
impl<const S: u32> fmt::Display for Fixed<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let neg = self.0 < 0;
        let abs = self.0.unsigned_abs();
        let one = Self::ONE_RAW as u128;
        let int = abs / one;
        let mut frac = abs % one;
        if neg {
            f.write_str("-")?;
        }
        write!(f, "{int}")?;
        if frac != 0 {
            let mut width = S as usize;
            while frac.is_multiple_of(10) {
                frac /= 10;
                width -= 1;
            }
            write!(f, ".{frac:0width$}")?;
        }
        Ok(())
    }
}

impl<const S: u32> fmt::Debug for Fixed<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

// Arithmetic saturates: values come from outside, and an overflow must neither panic nor wrap
// into a plausible-looking wrong number. [`Trade::check`](super::Trade::check) keeps real
// values far below the limits (an i128 of 16 decimal places holds 1.7e22).
impl<const S: u32> Add for Fixed<S> {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Fixed(self.0.saturating_add(o.0))
    }
}

impl<const S: u32> AddAssign for Fixed<S> {
    fn add_assign(&mut self, o: Self) {
        self.0 = self.0.saturating_add(o.0);
    }
}

impl<const S: u32> Sub for Fixed<S> {
    type Output = Self;
    fn sub(self, o: Self) -> Self {
        Fixed(self.0.saturating_sub(o.0))
    }
}

impl<const S: u32> Neg for Fixed<S> {
    type Output = Self;
    fn neg(self) -> Self {
        Fixed(self.0.saturating_neg())
    }
}

/// price (8 places) x quantity (8 places) = quote amount (16 places), exactly.
impl Mul<Fixed<8>> for Fixed<8> {
    type Output = Fixed<16>;
    fn mul(self, o: Fixed<8>) -> Fixed<16> {
        Fixed(self.0.saturating_mul(o.0))
    }
}

impl<const S: u32> serde::Serialize for Fixed<S> {
    fn serialize<Z: serde::Serializer>(&self, s: Z) -> Result<Z::Ok, Z::Error> {
        s.collect_str(self)
    }
}

impl<'de, const S: u32> serde::Deserialize<'de> for Fixed<S> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_f64_is_the_parsed_decimal() {
        // The first three are off by one ulp when the integer and fraction are added as two f64s.
        for text in [
            "9.97505401",
            "192.75191126",
            "34758.78373603",
            "0.00141418",
            "-3.3",
            "0.1",
        ] {
            let want: f64 = text.parse().unwrap();
            assert_eq!(Price::parse(text).unwrap().to_f64(), want, "{text}");
        }
    }

    #[test]
    fn contracts_scale_exactly_or_not_at_all() {
        let q = |s: &str| Qty::parse(s).unwrap();
        assert_eq!(q("13").checked_scale(q("0.01")), Some(q("0.13")));
        assert_eq!(q("0.1").checked_scale(q("100")), Some(q("10")));
        assert_eq!(q("1.5").checked_scale(q("0.1")), Some(q("0.15")));
        // 0.00000001 x 0.1 needs a ninth decimal: refused, never rounded.
        assert_eq!(q("0.00000001").checked_scale(q("0.1")), None);
        assert_eq!(Qty::from_raw(i128::MAX).checked_scale(q("2")), None);
    }

    #[test]
    fn parses_and_prints_canonically() {
        for (input, out) in [
            ("0.00141342", "0.00141342"),
            ("23.00000000", "23"),
            ("1482.0", "1482"),
            ("100", "100"),
            ("-1.50", "-1.5"),
            (".5", "0.5"),
            ("0", "0"),
            ("0.000000010000", "0.00000001"),
        ] {
            assert_eq!(Price::parse(input).unwrap().to_string(), out, "{input}");
        }
    }

    #[test]
    fn rejects_what_is_not_exact() {
        assert!(matches!(Price::parse(""), Err(DecimalError::Syntax(_))));
        assert!(matches!(Price::parse("."), Err(DecimalError::Syntax(_))));
        assert!(matches!(Price::parse("1e-8"), Err(DecimalError::Syntax(_))));
        assert!(matches!(
            Price::parse("1.2.3"),
            Err(DecimalError::Syntax(_))
        ));
        assert!(matches!(Price::parse("NaN"), Err(DecimalError::Syntax(_))));
        assert!(matches!(
            "0.000000001".parse::<Price>(),
            Err(DecimalError::Precision(_, 8))
        ));
        assert!(matches!(
            Price::parse("9999999999999999999999999999999999999999"),
            Err(DecimalError::Overflow(_))
        ));
    }

    #[test]
    fn product_is_exact() {
        let p = Price::parse("0.00141342").unwrap();
        let q = Qty::parse("23").unwrap();
        assert_eq!((p * q).to_string(), "0.03250866");
        let p = Price::parse("42100.12345678").unwrap();
        let q = Qty::parse("0.00000001").unwrap();
        assert_eq!((p * q).to_string(), "0.0004210012345678");
    }

    #[test]
    fn sums_do_not_drift() {
        let step = Qty::parse("0.1").unwrap();
        let mut sum = Qty::ZERO;
        for _ in 0..10 {
            sum += step;
        }
        assert_eq!(sum, Qty::from_int(1));
    }

    #[test]
    fn serde_uses_strings() {
        let p = Price::parse("42250.5").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"42250.5\"");
        let back: Price = serde_json::from_str("\"42250.50\"").unwrap();
        assert_eq!(back, p);
    }
}
