//! Text that reaches the terminal. News titles, feed names and log lines come from outside:
//! even after the news module cleans them, nothing here may emit a control character, or a
//! hostile headline could move the cursor or rewrite the screen.

use std::borrow::Cow;

/// C0 controls, DEL and C1 controls, plus the bidi overrides that can reorder what follows.
fn is_unsafe(c: char) -> bool {
    matches!(c, '\0'..='\x1f' | '\x7f'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every unsafe character removed (tabs and newlines become spaces).
pub fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .filter_map(|c| match c {
                '\t' | '\n' | '\r' => Some(' '),
                c if is_unsafe(c) => None,
                c => Some(c),
            })
            .collect(),
    )
}

/// A value that may be absent: `–` where the source gave none (never `0`, which would be a
/// real zero).
pub fn dash<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "–".to_string(), |v| v.to_string())
}

/// `v` with `digits` significant digits: tiny values (a MACD of 0.00000123 on a pair priced in
/// satoshis) keep their digits instead of reading 0.0000.
pub fn significant(v: f64, digits: i32) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let decimals = (digits - 1 - v.abs().log10().floor() as i32).clamp(0, 12) as usize;
    format!("{v:.decimals$}")
}

/// A price with enough decimals for about seven significant digits, trailing zeros dropped:
/// 42180.75, 1.2345, 0.00001234.
pub fn price(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let mag = if v == 0.0 {
        0
    } else {
        v.abs().log10().floor() as i32
    };
    let decimals = (6 - mag).clamp(0, 8) as usize;
    trim_zeros(format!("{v:.decimals$}"))
}

/// Digits after the point an exact decimal needs: `42000.10` needs 1.
pub fn decimals_of<const S: u32>(v: crate::domain::Fixed<S>) -> usize {
    v.to_string().split_once('.').map_or(0, |(_, f)| f.len())
}

/// The decimals a column of values is shown with: the market's listed step (`listed`, from its
/// venue's market list) where known, else the most any shown value needs, so the column lines
/// up either way.
pub fn column_decimals<const S: u32>(
    listed: Option<u8>,
    values: impl IntoIterator<Item = crate::domain::Fixed<S>>,
) -> usize {
    listed
        .map(usize::from)
        .unwrap_or_else(|| values.into_iter().map(decimals_of).max().unwrap_or(0))
}

/// An exact decimal with at least `decimals` digits after the point (more where it has
/// them: nothing is ever rounded), so a column of a pair's prices lines up.
pub fn exact<const S: u32>(v: crate::domain::Fixed<S>, decimals: usize) -> String {
    let s = v.to_string();
    let have = s.split_once('.').map_or(0, |(_, f)| f.len());
    match (have, decimals) {
        (h, d) if h >= d => s,
        (0, d) => format!("{s}.{}", "0".repeat(d)),
        (h, d) => format!("{s}{}", "0".repeat(d - h)),
    }
}

fn trim_zeros(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// 1234567 -> "1.23M": volumes and counts in little space.
pub fn compact(v: f64) -> String {
    let a = v.abs();
    let (div, suffix) = match a {
        a if a >= 1e12 => (1e12, "T"),
        a if a >= 1e9 => (1e9, "B"),
        a if a >= 1e6 => (1e6, "M"),
        a if a >= 1e3 => (1e3, "k"),
        _ => (1.0, ""),
    };
    let x = v / div;
    let s = if x.abs() >= 100.0 || suffix.is_empty() && x.fract() == 0.0 {
        format!("{x:.0}")
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    };
    format!("{s}{suffix}")
}

/// `12,345.67` (two places, thousands grouped), `–` when absent.
pub fn money(v: Option<f64>) -> String {
    let Some(v) = v else { return "–".into() };
    let s = format!("{:.2}", v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}{grouped}.{frac}", if v < 0.0 { "-" } else { "" })
}

/// [`money`] with a `+` when above zero.
pub fn signed(v: Option<f64>) -> String {
    match v {
        Some(v) if v > 0.0 => format!("+{}", money(Some(v))),
        other => money(other),
    }
}

/// Bytes as "12.3 MB".
pub fn bytes(b: u64) -> String {
    let b = b as f64;
    match b {
        b if b >= 1024.0 * 1024.0 * 1024.0 => format!("{:.1} GB", b / (1024.0 * 1024.0 * 1024.0)),
        b if b >= 1024.0 * 1024.0 => format!("{:.1} MB", b / (1024.0 * 1024.0)),
        b if b >= 1024.0 => format!("{:.1} kB", b / 1024.0),
        b => format!("{b:.0} B"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_grouped_to_two_places() {
        assert_eq!(money(Some(27281.52)), "27,281.52");
        assert_eq!(money(Some(-1.5)), "-1.50");
        assert_eq!(money(Some(999.999)), "1,000.00");
        assert_eq!(signed(Some(5.0)), "+5.00");
        assert_eq!(money(None), "–");
    }

    #[test]
    fn strips_controls() {
        assert!(matches!(clean("plain"), Cow::Borrowed(_)));
        assert_eq!(clean("a\x1b[2Jb\x07c\u{9b}31m\td\u{202e}e"), "a[2Jbc31m de");
    }

    #[test]
    fn prices_and_numbers() {
        assert_eq!(price(42180.75), "42180.75");
        assert_eq!(price(2000.0), "2000");
        assert_eq!(price(1.2345), "1.2345");
        assert_eq!(price(0.00001234), "0.00001234");
        assert_eq!(price(0.0), "0");
        assert_eq!(price(f64::NAN), "–");
        assert_eq!(compact(1_234_567.0), "1.23M");
        assert_eq!(compact(12.0), "12");
        assert_eq!(compact(15_300.0), "15.3k");
        assert_eq!(bytes(12_900_000), "12.3 MB");
        let p = |s: &str| crate::domain::Price::parse(s).unwrap();
        assert_eq!(decimals_of(p("42000.10")), 1);
        assert_eq!(decimals_of(p("42000")), 0);
        assert_eq!(exact(p("42000"), 2), "42000.00");
        assert_eq!(exact(p("42000.1"), 2), "42000.10");
        assert_eq!(exact(p("0.00001234"), 2), "0.00001234");
    }
}
