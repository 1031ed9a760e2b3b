//! A perp's derivatives history over REST, for repairing what the stream missed: settled
//! funding rates and open interest at 5-minute points. Each venue's pages live in its folder;
//! the repair (`history::derivs`) is venue-neutral and asks through this trait.

use crate::domain::{FundingRate, MAX_FUNDING, Millis, Symbol};

/// Open interest at one of the venue's 5-minute points: coins, and quote where given.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OiPoint {
    pub time: Millis,
    pub coins: crate::domain::Quote,
    pub quote: Option<crate::domain::Quote>,
}

/// One venue's funding and open-interest history endpoints.
pub trait DerivRest: Sync {
    /// Most settlements one funding request returns.
    fn funding_page(&self) -> usize;
    /// Path and query (appended to `rest_url`) of the settled rates of `symbol` with
    /// settlement times in `from..=to`.
    fn funding_path(&self, symbol: Symbol, from: Millis, to: Millis) -> String;
    /// The rates of a 2xx funding answer (any order), each checked; `Err` when the body is
    /// not such an answer, naming the field.
    fn decode_funding(&self, body: &[u8], symbol: Symbol) -> Result<Rows<FundingRate>, String>;
    /// Most points one open-interest request returns.
    fn oi_page(&self) -> usize;
    /// Path and query of the 5-minute open-interest points of `symbol` in `from..=to`.
    fn oi_path(&self, symbol: Symbol, from: Millis, to: Millis) -> String;
    fn decode_oi(&self, body: &[u8], symbol: Symbol) -> Result<Rows<OiPoint>, String>;
    /// How far back the venue serves open interest (Binance: 30 days).
    fn oi_depth(&self) -> Millis;
}

/// The good rows of an answer and why the others were refused (one line each, the venue's
/// text escaped).
#[derive(Debug)]
pub struct Rows<T> {
    pub rows: Vec<T>,
    pub rejected: Vec<String>,
}

impl<T> Rows<T> {
    /// Each raw row read by `read`: kept when it reads, its reason kept when not.
    pub fn read<R>(
        raw: impl IntoIterator<Item = R>,
        read: impl Fn(R) -> Result<T, String>,
    ) -> Self {
        let mut out = Rows {
            rows: Vec::new(),
            rejected: Vec::new(),
        };
        for (i, r) in raw.into_iter().enumerate() {
            match read(r) {
                Ok(t) => out.rows.push(t),
                Err(e) => out.rejected.push(format!("row {i}: {e}")),
            }
        }
        out
    }
}

/// A settled rate read from the venue's text: a decimal within [`MAX_FUNDING`], at a
/// plausible time.
pub fn settled(symbol: Symbol, time: Millis, rate: &str) -> Result<FundingRate, String> {
    let r = crate::domain::Rate::parse(rate).map_err(|_| {
        format!(
            "funding rate {:?} is not a decimal",
            super::wire::clip(rate)
        )
    })?;
    if r.to_f64().abs() > MAX_FUNDING.to_f64() {
        return Err(format!("funding rate {rate} is beyond {MAX_FUNDING}"));
    }
    crate::domain::check_time(time, crate::domain::now_ms()).map_err(|e| e.to_string())?;
    Ok(FundingRate {
        symbol,
        time,
        rate: r,
        settled: true,
    })
}

/// An open-interest point read from the venue's text: not negative, at a plausible time.
pub fn oi_point(time: Millis, coins: &str, quote: Option<&str>) -> Result<OiPoint, String> {
    let num = |name: &str, s: &str| {
        crate::domain::Quote::parse(s)
            .ok()
            .filter(|q| q.to_f64() >= 0.0)
            .ok_or_else(|| format!("{name} {:?} is not a decimal >= 0", super::wire::clip(s)))
    };
    crate::domain::check_time(time, crate::domain::now_ms()).map_err(|e| e.to_string())?;
    Ok(OiPoint {
        time,
        coins: num("open interest", coins)?,
        quote: quote
            .filter(|q| !q.is_empty())
            .map(|q| num("open interest value", q))
            .transpose()?,
    })
}

/// A row's market (`field` names it in the venue's words) must be the one asked for.
pub fn asked(symbol: Symbol, field: &str, name: &str) -> Result<(), String> {
    (name == symbol.as_str())
        .then_some(())
        .ok_or_else(|| format!("{field} {:?} was not asked for", super::wire::clip(name)))
}

/// A text field holding Unix ms.
pub fn ms(name: &str, s: &str) -> Result<Millis, String> {
    s.parse()
        .map_err(|_| format!("{name} {:?} is not Unix ms", super::wire::clip(s)))
}
