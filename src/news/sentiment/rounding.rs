//! Python's `round(x, n)` for floats.
//!
//! Python rounds the exact binary value to the nearest n-decimal number
//! (ties to even) and returns the closest double to that decimal. A naive
//! `(x * 10^n).round() / 10^n` differs when `x * 10^n` lands within an ulp
//! of a half, so those rare cases fall back to exact decimal formatting.

/// Rounds like Python's `round(x, digits)` for the small `digits` VADER uses.
pub fn round_py(x: f64, digits: i32) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(digits);
    let scaled = x * scale;
    let nearest = scaled.round_ties_even();
    // Far from a tie the direction is certain despite the inexact product;
    // the margin dwarfs the product's error for |scaled| up to ~1e9.
    if ((scaled - nearest).abs() - 0.5).abs() > 1e-6 {
        // Division by an exact power of ten is correctly rounded, which is
        // exactly "the closest double to the decimal".
        return nearest / scale;
    }
    exact_round(x, digits)
}

/// Decimal formatting is exact and rounds ties to even, as Python does.
#[cold]
fn exact_round(x: f64, digits: i32) -> f64 {
    let places = usize::try_from(digits).unwrap_or(0);
    format!("{x:.places$}").parse().unwrap_or(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_python_on_ties_and_near_ties() {
        // Values checked against CPython 3.11 `round`.
        assert_eq!(round_py(0.125, 2), 0.12);
        assert_eq!(round_py(0.375, 2), 0.38);
        assert_eq!(round_py(2.675, 2), 2.67);
        assert_eq!(round_py(0.00005, 4), 0.0001);
        assert_eq!(round_py(0.00015, 4), 0.0001);
        assert_eq!(round_py(-0.4404499999999999, 4), -0.4404);
        assert_eq!(round_py(0.5, 0), 0.0);
        assert_eq!(round_py(1.5, 0), 2.0);
        assert_eq!(round_py(0.1234, 3), 0.123);
    }
}
