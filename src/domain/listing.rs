//! A market as its venue lists it: its symbol and the steps its prices and sizes move in, so
//! every price and size of it is shown with the same number of decimals.

use super::Symbol;

/// Decimals of a market's price tick and size (lot) step; `None` where the venue's list did
/// not say (or no list was fetched).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Precision {
    pub price: Option<u8>,
    pub size: Option<u8>,
}

/// One listed market.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Listing {
    pub symbol: Symbol,
    pub precision: Precision,
}

impl std::fmt::Display for Listing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.symbol.fmt(f)
    }
}

impl From<Symbol> for Listing {
    fn from(symbol: Symbol) -> Listing {
        Listing {
            symbol,
            precision: Precision::default(),
        }
    }
}

impl Precision {
    /// From the venue's steps as decimal strings (`"0.01000000"`: 2 decimals).
    pub fn from_steps(tick: Option<&str>, lot: Option<&str>) -> Precision {
        Precision {
            price: tick.and_then(step_decimals),
            size: lot.and_then(step_decimals),
        }
    }
}

/// The decimals a step needs: `"0.01000000"` is 2, `"1.00"` and `"10"` are 0, `"0.5"` is 1;
/// `None` for anything that is not a positive decimal (a venue's odd answer shows as before).
pub fn step_decimals(step: &str) -> Option<u8> {
    let step = step.trim();
    let (int, frac) = step.split_once('.').unwrap_or((step, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        || int.bytes().chain(frac.bytes()).all(|b| b == b'0')
    {
        return None;
    }
    let frac = frac.trim_end_matches('0');
    u8::try_from(frac.len()).ok().filter(|d| *d <= 18)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_as_decimals() {
        assert_eq!(step_decimals("0.01000000"), Some(2));
        assert_eq!(step_decimals("0.00001000"), Some(5));
        assert_eq!(step_decimals("1.00000000"), Some(0));
        assert_eq!(step_decimals("10"), Some(0));
        assert_eq!(step_decimals("0.5"), Some(1));
        assert_eq!(step_decimals("1e-8"), None);
        assert_eq!(step_decimals("0"), None);
        assert_eq!(step_decimals(""), None);
        assert_eq!(step_decimals("-0.1"), None);
    }
}
