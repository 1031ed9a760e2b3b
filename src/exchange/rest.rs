//! The seam between the venue-neutral history client (`history::klines`: politeness, retries,
//! breaker) and one venue's REST API: where its candles (and, where candles do not reach,
//! its trades) are, how many fit a page, what its budget is and how it says "no".

use std::fmt;
use std::time::Duration;

use crate::domain::{Candle, Millis, Symbol, Timeframe, Trade, Venue};

/// The venue's request budget as one client should spend it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Request weight the venue allows per minute per IP (before our share).
    pub per_minute: u32,
    /// Weight of one candles or trades request.
    pub request_weight: u32,
    /// The answer header reporting the weight used this minute, where there is one.
    pub used_header: Option<&'static str>,
}

/// What an answer says beyond its HTTP status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiError {
    /// Slow down (a 429, Bybit's 403, Kraken's `EGeneral:Too many requests`, OKX's 50011).
    RateLimited(Option<Duration>),
    /// Worth retrying later (a venue-side hiccup reported in a 200).
    Transient(String),
    /// The request itself is wrong (unknown symbol, bad interval): retrying cannot help.
    Fatal(String),
}

/// A page of trades and the cursor of the next one.
#[derive(Debug, Default)]
pub struct TradesPage {
    /// Oldest first.
    pub trades: Vec<Trade>,
    /// Where the next page starts (the venue's own cursor, opaque here).
    pub next: String,
}

/// One venue's REST market data.
pub trait RestApi: Send + Sync {
    fn venue(&self) -> Venue;

    /// Path (appended to `rest_url`) of the venue's list of spot markets.
    fn instruments_path(&self) -> &'static str;

    /// Further market lists beside the first (OKX lists its swaps apart from spot), read by
    /// the same [`RestApi::decode_instruments`].
    fn more_instruments_paths(&self) -> &'static [&'static str] {
        &[]
    }

    /// The markets open for trading in an instruments answer, in the venue's spelling.
    fn decode_instruments(&self, body: &[u8]) -> Result<Vec<crate::domain::Listing>, String>;

    /// For a list served in pages (Bybit's linear list, 500 a page by default): the path of
    /// the page after the one `path` answered with `body`; `None` on the last page.
    fn next_instruments_path(&self, path: &str, body: &[u8]) -> Option<String> {
        let _ = (path, body);
        None
    }

    /// Most candles one request returns.
    fn page_size(&self) -> usize;

    fn budget(&self) -> Budget;

    /// Path and query (appended to `rest_url`) of the candles with open times
    /// `first..=last`, at most [`RestApi::page_size`] of them.
    fn candles_path(&self, symbol: Symbol, tf: Timeframe, first: Millis, last: Millis) -> String;

    /// The candles of `symbol` in a 2xx body, ascending; Err when the body is not a candles
    /// answer. (OKX's swap rows put the base volume in another column than its spot rows.)
    fn decode_candles(
        &self,
        body: &[u8],
        symbol: Symbol,
        tf: Timeframe,
        first: Millis,
        last: Millis,
        now: Millis,
    ) -> Result<Page, String>;

    /// An error carried by an answer: venue-specific statuses, and error codes inside a 200.
    /// `None` leaves the status to the generic rules (2xx ok, 429 wait, 5xx retry, 4xx fatal).
    fn answer_error(&self, status: u16, body: &[u8]) -> Option<ApiError>;

    /// Whether a request may name a whole range and gets its oldest [`RestApi::page_size`]
    /// candles (Binance): then a short page means the range is exhausted. Venues that answer
    /// newest first, or refuse long ranges, are asked one page-sized window at a time.
    fn pages_from_start(&self) -> bool {
        false
    }

    /// How many of the latest candles the candles endpoint serves (Kraken: 720); older ranges
    /// are rebuilt from trades. `None`: any range.
    fn candle_depth(&self) -> Option<u32> {
        None
    }

    /// The trades page starting at `since` (a time in ms for the first page, then the cursor
    /// the previous page returned), for venues with a limited [`RestApi::candle_depth`].
    fn trades_path(&self, symbol: Symbol, since: &str) -> Option<String> {
        let _ = (symbol, since);
        None
    }

    /// The first cursor for trades from `from` (Unix ms) on.
    fn trades_cursor(&self, from: Millis) -> String {
        from.to_string()
    }

    fn decode_trades(&self, body: &[u8], symbol: Symbol) -> Result<TradesPage, String> {
        let _ = (body, symbol);
        Err("this venue's trades are not read over REST".into())
    }
}

/// The REST API of an exchange (`None` for composites).
pub fn rest_api(venue: Venue) -> Option<&'static dyn RestApi> {
    super::registry::entry(venue).map(|e| e.rest)
}

/// Why a row was rejected; `open_time` is known when the first field was an integer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    pub index: usize,
    pub open_time: Option<Millis>,
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {}", self.index)?;
        if let Some(t) = self.open_time {
            write!(f, " (openTime {t})")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// A response body turned into candles.
#[derive(Debug, Default)]
pub struct Page {
    /// The good rows, ascending.
    pub candles: Vec<Candle>,
    /// Rows the server sent, good or bad: fewer than the page size means the range is
    /// exhausted.
    pub rows: usize,
    /// The latest open time among the rows inside the requested range, good or bad, so paging
    /// moves past a rejected row too.
    pub last_open: Option<Millis>,
    pub rejected: Vec<RowError>,
    /// The last open time the request covered (set by the client): paging goes on after it,
    /// whatever the page held, since venues omit quiet intervals or serve fewer rows.
    pub window_end: Option<Millis>,
}

impl Page {
    /// Assembles a page from rows in any order (venues send newest first or oldest first):
    /// each row's open time when readable and its candle or the reason it is not one. Rows
    /// outside `first..=last` are skipped (Kraken answers everything since a time); unaligned,
    /// repeated or implausible ones ([`Candle::check`]) are rejected.
    pub fn assemble(
        rows: Vec<(Option<Millis>, Result<Candle, String>)>,
        tf: Timeframe,
        first: Millis,
        last: Millis,
        now: Millis,
    ) -> Page {
        let mut page = Page {
            rows: rows.len(),
            ..Page::default()
        };
        let mut indexed: Vec<(usize, Option<Millis>, Result<Candle, String>)> = rows
            .into_iter()
            .enumerate()
            .map(|(i, (t, r))| (i, t, r))
            .collect();
        indexed.sort_by_key(|(i, t, _)| (t.unwrap_or(Millis::MIN), *i));
        for (index, open_time, row) in indexed {
            let in_range = open_time.filter(|t| (first..=last).contains(t));
            if let Some(t) = in_range {
                page.last_open = Some(page.last_open.map_or(t, |l| l.max(t)));
            }
            if open_time.is_some() && in_range.is_none() {
                continue;
            }
            let checked = row.and_then(|c| {
                if c.open_time.rem_euclid(tf.millis()) != 0 {
                    return Err(format!("openTime is not aligned to {tf}"));
                }
                if page
                    .candles
                    .last()
                    .is_some_and(|p| p.open_time >= c.open_time)
                {
                    return Err("openTime is repeated".into());
                }
                if c.high < c.low
                    || !(c.low..=c.high).contains(&c.open)
                    || !(c.low..=c.high).contains(&c.close)
                {
                    return Err(format!(
                        "open {} or close {} is outside low {}..high {}",
                        c.open, c.close, c.low, c.high
                    ));
                }
                if c.volume.raw() < 0 || c.quote_volume.is_some_and(|q| q.raw() < 0) {
                    return Err("a volume is negative".into());
                }
                c.check(now).map_err(|e| e.to_string())?;
                Ok(c)
            });
            match checked {
                Ok(c) => page.candles.push(c),
                Err(reason) => page.rejected.push(RowError {
                    index,
                    open_time,
                    reason,
                }),
            }
        }
        page
    }
}

/// A candle from a venue's REST page: its own OHLCV, and no trade ids (nothing says which
/// trades it holds, so a restart never resumes it). `trades` is 0 where the venue gives no
/// count; `closed` once its interval has passed (and the venue says so, where it does).
#[allow(clippy::too_many_arguments)]
pub fn rest_candle(
    open_time: Millis,
    open: crate::domain::Price,
    high: crate::domain::Price,
    low: crate::domain::Price,
    close: crate::domain::Price,
    volume: crate::domain::Qty,
    quote_volume: Option<crate::domain::Quote>,
    trades: Option<u64>,
    closed: bool,
) -> Candle {
    Candle {
        open_time,
        open,
        high,
        low,
        close,
        volume,
        quote_volume,
        trades,
        closed,
        first_trade_id: None,
        last_trade_id: None,
    }
}

/// The open time of a row whose first field is Unix seconds (Coinbase, Kraken), in ms.
pub fn seconds_field(row: &[&serde_json::value::RawValue]) -> Option<Millis> {
    row.first()
        .and_then(|t| t.get().parse::<i64>().ok())
        .and_then(|s| s.checked_mul(1000))
}

/// Rows of strings such as `["1712192400","66055.14",…]`: field `i` as an exact decimal.
pub fn decimal_field<const S: u32>(
    row: &[std::borrow::Cow<'_, str>],
    i: usize,
    name: &str,
) -> Result<crate::domain::Fixed<S>, String> {
    let text = row.get(i).ok_or_else(|| format!("{name} is missing"))?;
    crate::domain::Fixed::<S>::parse_bytes(text.as_bytes())
        .map_err(|fail| format!("{name}: {}", fail.into_error(text, S)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Price;

    fn candle(t: Millis, p: &str) -> Candle {
        Candle::flat(t, Price::parse(p).unwrap())
    }

    #[test]
    fn assembles_newest_first_rows_in_order_and_rejects_strays() {
        let m = 60_000;
        let t0 = 1_700_000_040_000 - 1_700_000_040_000 % m;
        let rows = vec![
            (Some(t0 + 2 * m), Ok(candle(t0 + 2 * m, "3"))),
            (Some(t0 + m), Ok(candle(t0 + m, "2"))),
            (Some(t0 + m), Ok(candle(t0 + m, "2"))),
            (Some(t0 + 10 * m), Ok(candle(t0 + 10 * m, "9"))),
            (Some(t0), Err("broken".into())),
        ];
        let page = Page::assemble(rows, Timeframe::M1, t0, t0 + 5 * m, t0 + 100 * m);
        assert_eq!(page.rows, 5);
        let opens: Vec<Millis> = page.candles.iter().map(|c| c.open_time).collect();
        assert_eq!(opens, vec![t0 + m, t0 + 2 * m]);
        // The repeat and the broken row; the stray outside the range is only skipped.
        assert_eq!(page.rejected.len(), 2);
        assert_eq!(page.last_open, Some(t0 + 2 * m));
    }
}
