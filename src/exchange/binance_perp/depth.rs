//! USDⓈ-M's partial book depth on the `/public` route, `<symbol>@depth20@100ms`: the top 20
//! levels of each side, whole, every 100 ms. Unlike spot's, the payload is an event that
//! names its symbol (docs: `.../websocket-market-streams/Partial-Book-Depth-Streams`):
//! `{"e":"depthUpdate","E":1571889248277,"T":1571889248276,"s":"BTCUSDT","U":390497796,
//! "u":390497878,"pu":390497794,"b":[["7403.89","0.002"]],"a":[["7405.96","3.340"]]}`.

use std::borrow::Cow;

use serde::Deserialize;

use crate::domain::{Book, Venue};
use crate::exchange::wire::{WireError, book, symbol};

/// The depth stream asked for: 20 levels, every 100 ms.
pub const DEPTH_STREAM: &str = "depth20@100ms";

#[derive(Deserialize)]
struct Depth<'a> {
    #[serde(rename = "s", borrow)]
    symbol: Cow<'a, str>,
    #[serde(rename = "T", default)]
    time: Option<i64>,
    #[serde(rename = "b", borrow)]
    bids: Vec<Vec<Cow<'a, str>>>,
    #[serde(rename = "a", borrow)]
    asks: Vec<Vec<Cow<'a, str>>>,
}

/// The book of a `depthUpdate` event's object. The documentation's example lists bids
/// lowest first, live pushes best first: a whole snapshot is put in book order either way.
pub fn book_of(payload: &str) -> Result<Book, WireError> {
    let mut d: Depth<'_> = serde_json::from_str(payload).map_err(WireError::json)?;
    let symbol = symbol(Venue::BinancePerp, &d.symbol)?;
    let price = |l: &Vec<Cow<'_, str>>| {
        l.first()
            .and_then(|p| p.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    d.bids.sort_by(|x, y| price(y).total_cmp(&price(x)));
    d.asks.sort_by(|x, y| price(x).total_cmp(&price(y)));
    book(symbol, &d.bids, &d.asks, d.time)
}

/// The subscription to the books of `names` (lowercase symbols) on the raw `/public/ws`
/// endpoint.
pub fn subscribe(names: &[String]) -> String {
    let params: Vec<String> = names
        .iter()
        .map(|n| format!("\"{n}@{DEPTH_STREAM}\""))
        .collect();
    format!(
        r#"{{"method":"SUBSCRIBE","params":[{}],"id":1}}"#,
        params.join(",")
    )
}
