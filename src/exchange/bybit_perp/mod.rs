//! Bybit v5 `linear` perpetuals (USDT and USDC margined). Docs:
//! <https://bybit-exchange.github.io/docs/v5/websocket/public/trade>,
//! <https://bybit-exchange.github.io/docs/v5/market/kline>.
//!
//! The same messages as Bybit spot (its folder reads them, for the `linear` category), on
//! `wss://stream.bybit.com/v5/public/linear`. Differences that matter: trade ids are UUIDs,
//! so trades are told apart by id and ordered as pushed ([`Continuity::Opaque`]); sizes are
//! in the base coin (no contract multiplier); the market list is paged (1,000 a page).
//!
//! [`Continuity::Opaque`]: crate::domain::Continuity::Opaque

use super::bybit::{Bybit, LINEAR, rest::BybitRest};
use crate::domain::Venue;

/// This venue in the registry.
pub static ENTRY: super::registry::VenueEntry = super::registry::VenueEntry {
    venue: Venue::BybitPerp,
    connector: &Bybit(LINEAR),
    rest: &BybitRest(LINEAR),
    ws_url: "wss://stream.bybit.com/v5/public/linear",
    rest_url: "https://api.bybit.com",
    book_ws_url: None,
    sample_trade,
    sample_swap_trade: None,
    derivs_rest: Some(&super::bybit::deriv_rest::BybitDerivRest),
};

/// A trade frame of this venue's market stream, for `bench`: the id as a UUID, as linear
/// writes them.
fn sample_trade(t: &super::registry::SampleTrade<'_>) -> String {
    let ms = t.micros / 1000;
    format!(
        r#"{{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":{},"data":[{{"T":{ms},"s":"BTCUSDT","S":"{}","v":"{}","p":"{}","L":"PlusTick","i":"{}","BT":false}}]}}"#,
        ms + 1,
        if t.buy { "Buy" } else { "Sell" },
        t.qty,
        t.price,
        uuid_of(t.id)
    )
}

/// A version-5-shaped UUID carrying `id`, so distinct sample ids stay distinct.
pub(crate) fn uuid_of(id: i64) -> String {
    let id = id as u64;
    format!(
        "{:08x}-{:04x}-5{:03x}-8000-{:012x}",
        id >> 32,
        (id >> 16) & 0xffff,
        id & 0xfff,
        id.wrapping_mul(0x9e37_79b9_7f4a_7c15) & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timeframe;
    use crate::exchange::Parsed;
    use crate::exchange::layout::{Example::*, assert_any_layout};
    use crate::exchange::wire::opaque_id;

    const REAL: &str = include_str!("../../../tests/fixtures/venues/bybit-publicTrade-linear.json");

    /// The real linear message (2025-01-01): five fills of one taker buy in one millisecond,
    /// UUID ids, each its own trade in the pushed order.
    #[test]
    fn the_real_linear_message() {
        let mut out = Vec::new();
        assert_eq!(
            ENTRY.connector.parse(REAL.as_bytes(), &mut out).unwrap(),
            Parsed::Trades
        );
        let prices: Vec<String> = out.iter().map(|t| t.price.to_string()).collect();
        assert_eq!(prices, ["93580", "93580", "93580", "93580.1", "93580.2"]);
        let qty: Vec<String> = out.iter().map(|t| t.qty.to_string()).collect();
        assert_eq!(qty, ["0.001", "0.2", "0.16", "0.021", "0.001"]);
        assert!(
            out.iter()
                .all(|t| !t.buyer_is_maker && t.time == 1_735_689_654_137)
        );
        assert_eq!(out[0].symbol.to_string(), "bybit-perp:BTCUSDT");
        assert_eq!(
            out[0].id,
            opaque_id("079fa26c-36af-5007-b4be-23079b78761f").unwrap()
        );
        let mut ids: Vec<i64> = out.iter().map(|t| t.id).collect();
        ids.dedup();
        assert_eq!(ids.len(), 5, "five UUIDs, five ids");
    }

    #[test]
    fn every_documented_message_reads_the_same_in_any_json_layout() {
        assert_any_layout(
            &ENTRY,
            &[
                Stream(REAL),
                Stream(
                    r#"{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1672304486868,"data":[{"T":1672304486865,"s":"BTCUSDT","S":"Buy","v":"0.001","p":"16578.50","L":"PlusTick","i":"20f43950-d8dd-5b31-9112-a178eb6023af","BT":false,"seq":1783284617}]}"#,
                ),
                Stream(
                    r#"{"success":true,"ret_msg":"","conn_id":"3cd84cb1-4d06-4a05-930a-2efe5fc70f0f","req_id":"","op":"subscribe"}"#,
                ),
                Stream(
                    r#"{"success":true,"ret_msg":"pong","conn_id":"465772b1-7630-4fdc-a492-e003e6f0f260","req_id":"","op":"ping"}"#,
                ),
                Stream(
                    r#"{"success":false,"ret_msg":"error:handler not found,topic:publicTrade.NOPE","conn_id":"c","req_id":"","op":"subscribe"}"#,
                ),
                Instruments(
                    r#"{"retCode":0,"retMsg":"OK","result":{"category":"linear","list":[{"symbol":"BTCUSDT","contractType":"LinearPerpetual","status":"Trading","baseCoin":"BTC","quoteCoin":"USDT","launchTime":"1584230400000","deliveryTime":"0","priceScale":"2","priceFilter":{"minPrice":"0.10","maxPrice":"1999999.80","tickSize":"0.10"},"lotSizeFilter":{"maxOrderQty":"1190.000","minOrderQty":"0.001","qtyStep":"0.001","minNotionalValue":"5"},"fundingInterval":480,"settleCoin":"USDT"}],"nextPageCursor":""},"retExtInfo":{},"time":1707186451514}"#,
                ),
                Candles(
                    Timeframe::M1,
                    r#"{"retCode":0,"retMsg":"OK","result":{"symbol":"BTCUSDT","category":"linear","list":[["1670608860000","17071","17073","17027","17055.5","268.611","4581163.23"],["1670608800000","17071.5","17071.5","17061","17071","4.177","71297.3"]]},"retExtInfo":{},"time":1672025956592}"#,
                ),
                Answer(
                    200,
                    r#"{"retCode":10001,"retMsg":"params error: symbol invalid","result":{}}"#,
                ),
            ],
        );
    }

    #[test]
    fn klines_ask_for_the_linear_category() {
        let s = crate::domain::Symbol::new("bybit-perp:BTCUSDT").unwrap();
        let path = ENTRY.rest.candles_path(s, Timeframe::M1, 0, 60_000);
        assert!(
            path.starts_with("/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1&"),
            "{path}"
        );
    }
}
