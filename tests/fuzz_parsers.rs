//! Property tests (a fuzz suite that runs with `cargo test`): every parser that meets bytes
//! from outside (WebSocket frames, REST kline pages, news feeds, CSV rows) gets arbitrary and
//! near-valid input. None may panic, and what they accept must be possible: no trade or
//! candle that fails the sanity checks, and no allocation that grows with a number taken from
//! the input. `PROPTEST_CASES=200000 cargo test --release --test fuzz_parsers` runs longer.

use cryptoviz::aggregate::Aggregator;
use cryptoviz::domain::{Symbol, Timeframe, Trade, now_ms};
use cryptoviz::exchange::binance::rest::decode_page;
use cryptoviz::exchange::binance::{Frame, parse_frame};
use cryptoviz::exchange::registry::{SampleTrade, VENUES};
use cryptoviz::import::{FileKind, Row, parse_row};
use cryptoviz::news::feed::parse_feed;
use proptest::prelude::*;

/// Numbers as hostile feeds write them: huge, negative, fractional, exponents, empty.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|v| v.to_string()),
        (any::<u32>(), 0u32..100_000_000).prop_map(|(i, f)| format!("{i}.{f}")),
        Just("-0.5".to_string()),
        Just("1e308".to_string()),
        Just("".to_string()),
        Just("0".to_string()),
        "[0-9.eE+-]{1,40}",
    ]
}

fn trade_frame() -> impl Strategy<Value = String> {
    (
        number(),
        number(),
        any::<i64>(),
        any::<i64>(),
        any::<i64>(),
        "[A-Za-z0-9]{0,12}",
    )
        .prop_map(|(p, q, id, t, e, s)| {
            format!(
                r#"{{"stream":"x@trade","data":{{"e":"trade","E":{e},"s":"{s}","t":{id},"p":"{p}","q":"{q}","T":{t},"m":true,"M":true}}}}"#
            )
        })
}

proptest! {
    // 256 cases each unless PROPTEST_CASES says otherwise.
    #![proptest_config(ProptestConfig {
        // Nothing is written next to the sources; a failure prints its minimal input.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn frames_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_frame(&bytes);
    }

    #[test]
    fn near_valid_trade_frames_parse_or_fail_cleanly(frame in trade_frame()) {
        if let Ok(Frame::Trade(t)) = parse_frame(frame.as_bytes()) {
            // Parsed exactly; the sanity check decides, and the aggregator stays bounded.
            // What ingestion does with it: check, then aggregate what passes.
            let mut agg = Aggregator::new(t.symbol, &Timeframe::ALL);
            let before = Trade { id: t.id.wrapping_sub(1), time: 1_704_067_200_000, ..t };
            for trade in [before, t] {
                if trade.check(now_ms()).is_ok() {
                    agg.push(&trade);
                }
            }
            let mut out = Vec::new();
            agg.drain(&mut out);
            prop_assert!(out.len() <= 5 * (2 + 7 * 24 * 60));
            // Accepted trades only ever make possible candles.
            for (_, c) in &out {
                prop_assert!(c.check(now_ms()).is_ok(), "{:?}", c);
            }
        }
    }

    /// Every venue's stream, instruments, candles and error readers, on arbitrary bytes.
    #[test]
    fn every_venues_readers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        for e in VENUES {
            let _ = e.connector.parse(&bytes, &mut Vec::new());
            let _ = e.rest.decode_instruments(&bytes);
            // A swap's rows are read by other columns than spot's: both kinds.
            for name in ["BTC", "BTC-USDT-SWAP"] {
                if let Some(s) = cryptoviz::domain::Symbol::on(e.venue, name.as_bytes()) {
                    let _ = e.rest.decode_candles(&bytes, s, Timeframe::M1, 0, i64::MAX, now_ms());
                }
            }
            let _ = e.connector.decode_contracts(&bytes);
            let _ = e.rest.answer_error(200, &bytes);
        }
    }

    /// Every venue's own trade frame with a few bytes changed, inserted or removed: read or
    /// refused, never a panic, and what is read is one trade at most.
    #[test]
    fn mangled_trade_frames_of_every_venue_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..4)
    ) {
        let sample = SampleTrade {
            id: 1_000_042,
            price: "90000.12",
            qty: "0.01234",
            buy: true,
            micros: 1_767_225_600_123_456,
        };
        for e in VENUES {
            let mut frame = (e.sample_trade)(&sample).into_bytes();
            for (at, byte, how) in &edits {
                let i = at.index(frame.len());
                match how {
                    0 => frame[i] = *byte,
                    1 => frame.insert(i, *byte),
                    _ => {
                        frame.remove(i);
                    }
                }
            }
            let mut out = Vec::new();
            let _ = e.connector.parse(&frame, &mut out);
            prop_assert!(out.len() <= 1, "{}: {}", e.venue, String::from_utf8_lossy(&frame));
        }
    }

    #[test]
    fn kline_pages_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let _ = decode_page(&bytes, Timeframe::M1, 0, i64::MAX, now_ms());
    }

    #[test]
    fn near_valid_kline_rows_are_possible_when_accepted(
        fields in proptest::collection::vec(number(), 12)
    ) {
        let row = format!(
            "[{},\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",{},\"{}\",{},\"{}\",\"{}\",\"0\"]",
            fields[0], fields[1], fields[2], fields[3], fields[4], fields[5],
            fields[6], fields[7], fields[8], fields[9], fields[10]
        );
        let body = format!("[{row}]");
        if let Ok(page) = decode_page(body.as_bytes(), Timeframe::M1, i64::MIN, i64::MAX, now_ms()) {
            for c in &page.candles {
                prop_assert!(c.check(now_ms()).is_ok(), "{:?}", c);
            }
        }
    }

    #[test]
    fn feeds_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse_feed("http://127.0.0.1/feed", &bytes, now_ms());
    }

    #[test]
    fn csv_rows_are_possible_when_accepted(
        fields in proptest::collection::vec(number(), 7..=12),
        kind in prop_oneof![Just(FileKind::Trades), Just(FileKind::AggTrades), Just(FileKind::Klines)],
    ) {
        let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
        let sym = Symbol::new("BTCUSDT").unwrap();
        if let Ok(row) = parse_row(kind, sym, &refs, Some(Timeframe::M1)) {
            // The importer checks every row it accepts; the check itself must hold up.
            let _ = match row {
                Row::Trade(t) => t.check(now_ms()),
                Row::Kline(c) => c.check(now_ms()),
            };
        }
    }
}
