//! Domain types shared by every layer: exact decimals, symbols, timeframes, trades and candles.
//! Plain data, no I/O.

mod book;
mod candle;
pub mod check;
mod collector;
mod decimal;
mod derivs;
mod firing;
mod ledger;
mod listing;
mod news;
mod retention;
mod sanity;
mod sentiment;
mod symbol;
pub mod text;
mod timeframe;
mod trade;
mod venue;

pub use book::{BOOK_DEPTH, Book, BookError, BookUpdate, Level, LocalBook};
pub use candle::{Candle, SeriesKey, sum_known};
pub use collector::CollectorHealth;
pub use decimal::{DecimalError, Fixed, ParseFail, Price, Qty, Quote};
pub use derivs::{
    DerivEvent, DerivSample, DerivState, DerivUpdate, FundingRate, Liquidation, MAX_FUNDING,
    PositionSide, Rate, basis_bps,
};
pub use firing::{ArmState, Channel, Firing, firing_id};
pub use ledger::{Entry, EntryKind, PortfolioFigures, asset_name};
pub use listing::{Listing, Precision, step_decimals};
pub use news::{NewsItem, Sentiment};
pub use retention::Retention;
pub use sanity::{EARLIEST_MS, Implausible, MAX_AHEAD_MS, check_time};
pub use sentiment::{Label, MODEL_NAME, Scorer};
pub use symbol::{Composite, Symbol, SymbolError};
pub use timeframe::{Timeframe, TimeframeError};
pub use trade::Trade;
pub use venue::{Continuity, EmptyIntervals, Venue};

/// Milliseconds since the Unix epoch, the unit of every timestamp inside cryptoviz.
pub type Millis = i64;

/// RFC 3339 in UTC with a `Z`, whole seconds: how times outside candles are written.
pub fn rfc3339(ms: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Wall-clock now in Unix milliseconds.
pub fn now_ms() -> Millis {
    chrono::Utc::now().timestamp_millis()
}
