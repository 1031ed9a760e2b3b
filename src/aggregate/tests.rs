use super::*;
use crate::domain::{Candle, Price, Qty};

const T0: Millis = 1_699_920_000_000; // midnight UTC, so every bucket starts here

fn sym() -> Symbol {
    Symbol::new("BTCUSDT").unwrap()
}

fn tr(id: i64, price: &str, qty: &str, time: Millis) -> Trade {
    Trade {
        symbol: sym(),
        id,
        price: Price::parse(price).unwrap(),
        qty: Qty::parse(qty).unwrap(),
        time,
        count: 1,
        micros: 0,
        buyer_is_maker: false,
    }
}

fn drained(a: &mut Aggregator, tf: Timeframe) -> Vec<Candle> {
    let mut out = Vec::new();
    a.drain(&mut out);
    out.into_iter()
        .filter(|(k, _)| k.timeframe == tf)
        .map(|(_, c)| c)
        .collect()
}

#[test]
fn ohlcv_of_one_minute() {
    let mut a = Aggregator::new(sym(), &[Timeframe::M1]);
    for t in [
        tr(1, "100", "1", T0 + 1),
        tr(2, "105.5", "0.5", T0 + 2),
        tr(3, "99", "2", T0 + 3),
        tr(4, "101", "0.1", T0 + 59_999),
    ] {
        assert_eq!(a.push(&t), Outcome::Applied);
    }
    let c = a.current(Timeframe::M1).unwrap();
    assert_eq!(c.open_time, T0);
    assert_eq!(c.close_time(Timeframe::M1), T0 + 59_999);
    assert_eq!(
        (
            c.open.to_string(),
            c.high.to_string(),
            c.low.to_string(),
            c.close.to_string()
        ),
        ("100".into(), "105.5".into(), "99".into(), "101".into())
    );
    assert_eq!(c.volume.to_string(), "3.6");
    assert_eq!(c.quote_volume.unwrap().to_string(), "360.85");
    assert_eq!(c.trades, Some(4));
    assert!(!c.closed);
}

#[test]
fn quiet_minutes_get_flat_candles_when_no_trade_is_missing() {
    let mut a = Aggregator::new(sym(), &[Timeframe::M1]);
    a.push(&tr(1, "100", "1", T0));
    a.push(&tr(2, "101", "1", T0 + 3 * 60_000 + 5));
    let c = drained(&mut a, Timeframe::M1);
    assert_eq!(c.len(), 4);
    assert!(c[0].closed && c[0].close.to_string() == "100");
    for flat in &c[1..3] {
        assert_eq!(flat.open.to_string(), "100");
        assert_eq!(flat.high, flat.low);
        assert!(flat.volume.is_zero() && flat.trades == Some(0) && flat.closed);
    }
    assert_eq!(c[1].open_time, T0 + 60_000);
    assert_eq!(c[3].open_time, T0 + 180_000);
    assert!(a.take_gaps().is_empty());
}

#[test]
fn missing_ids_leave_a_hole_and_report_it() {
    let mut a = Aggregator::new(sym(), &[Timeframe::M1]);
    a.push(&tr(1, "100", "1", T0));
    a.push(&tr(7, "101", "1", T0 + 3 * 60_000));
    let c = drained(&mut a, Timeframe::M1);
    assert_eq!(
        c.iter().map(|c| c.open_time).collect::<Vec<_>>(),
        [T0, T0 + 180_000]
    );
    let gaps = a.take_gaps();
    assert_eq!(gaps.len(), 1);
    assert_eq!((gaps[0].after_id, gaps[0].before_id), (1, 7));
    assert_eq!((gaps[0].from, gaps[0].to), (T0, T0 + 180_000));
}

#[test]
fn duplicates_and_void_trades_do_not_count() {
    let mut a = Aggregator::new(sym(), &[Timeframe::M1]);
    assert_eq!(a.push(&tr(1, "100", "1", T0)), Outcome::Applied);
    assert_eq!(a.push(&tr(1, "100", "1", T0)), Outcome::Duplicate);
    assert_eq!(a.push(&tr(2, "0", "1", T0)), Outcome::Void);
    assert_eq!(a.push(&tr(3, "100", "0", T0)), Outcome::Void);
    let c = a.current(Timeframe::M1).unwrap();
    assert_eq!((c.trades, c.volume.to_string()), (Some(1), "1".into()));
}

#[test]
fn out_of_order_within_a_candle_keeps_exchange_open_and_close() {
    let mut a = Aggregator::new(sym(), &[Timeframe::M1]);
    a.push(&tr(11, "102", "1", T0 + 10));
    a.push(&tr(10, "101", "1", T0 + 5));
    a.push(&tr(12, "103", "1", T0 + 20));
    let c = a.current(Timeframe::M1).unwrap();
    assert_eq!(
        (c.open.to_string(), c.close.to_string()),
        ("101".into(), "103".into())
    );
    assert_eq!((c.first_trade_id, c.last_trade_id), (Some(10), Some(12)));
}

#[test]
fn late_trade_amends_a_finished_candle() {
    let mut a = Aggregator::new(sym(), &[Timeframe::M1]);
    a.push(&tr(1, "100", "1", T0));
    a.push(&tr(3, "100", "1", T0 + 60_000));
    drained(&mut a, Timeframe::M1);
    assert_eq!(a.push(&tr(2, "90", "1", T0 + 59_000)), Outcome::Applied);
    let c = drained(&mut a, Timeframe::M1);
    assert_eq!(c.len(), 1, "only the amended candle is re-emitted");
    assert_eq!(
        (c[0].open_time, c[0].low.to_string(), c[0].trades),
        (T0, "90".into(), Some(2))
    );
    assert!(c[0].closed);
}

#[test]
fn all_timeframes_share_the_trades() {
    let tfs = Timeframe::ALL;
    let mut a = Aggregator::new(sym(), &tfs);
    let day = Timeframe::D1.bucket(T0);
    a.push(&tr(1, "100", "2", day));
    a.push(&tr(2, "110", "3", day + 3_600_000 * 5));
    for tf in tfs {
        let c = a.current(tf).unwrap();
        assert_eq!(c.open_time, tf.bucket(day + 3_600_000 * 5));
    }
    let d = a.current(Timeframe::D1).unwrap();
    assert_eq!((d.volume.to_string(), d.trades), ("5".into(), Some(2)));
}

#[test]
fn close_due_finishes_quiet_candles() {
    let mut a = Aggregator::new(sym(), &[Timeframe::M1]);
    a.push(&tr(1, "100", "1", T0));
    a.close_due(T0 + 59_999);
    assert!(a.current(Timeframe::M1).is_some());
    a.close_due(T0 + 60_000);
    assert!(a.current(Timeframe::M1).is_none());
    let c = drained(&mut a, Timeframe::M1);
    assert!(c[0].closed);
    // The next contiguous trade still fills the quiet minute in between.
    a.push(&tr(2, "101", "1", T0 + 120_000));
    let c = drained(&mut a, Timeframe::M1);
    assert_eq!(c.len(), 2);
    assert_eq!((c[0].open_time, c[0].trades), (T0 + 60_000, Some(0)));
}

#[test]
fn resume_continues_the_open_candle() {
    let mut a = Aggregator::new(sym(), &[Timeframe::M1]);
    a.push(&tr(1, "100", "1", T0));
    a.push(&tr(2, "101", "1", T0 + 1000));
    let stored = a.current(Timeframe::M1).unwrap();

    let mut b = Aggregator::new(sym(), &[Timeframe::M1]);
    b.resume(Timeframe::M1, stored);
    assert_eq!(b.push(&tr(2, "101", "1", T0 + 1000)), Outcome::Duplicate);
    assert_eq!(b.push(&tr(3, "99", "1", T0 + 2000)), Outcome::Applied);
    let c = b.current(Timeframe::M1).unwrap();
    assert_eq!(
        (c.open.to_string(), c.low.to_string(), c.trades),
        ("100".into(), "99".into(), Some(3))
    );
    assert!(
        b.take_gaps().is_empty(),
        "id 3 follows the stored last id 2"
    );
}

#[test]
fn draining_twice_emits_nothing_new() {
    let mut a = Aggregator::new(sym(), &[Timeframe::M1]);
    a.push(&tr(1, "100", "1", T0));
    assert_eq!(drained(&mut a, Timeframe::M1).len(), 1);
    assert!(drained(&mut a, Timeframe::M1).is_empty());
}

#[test]
fn a_trade_for_a_candle_closed_by_the_clock_amends_it() {
    let mut a = Aggregator::new(sym(), &[Timeframe::M1]);
    let mut stored = {
        a.push(&tr(1, "100", "1", T0));
        a.current(Timeframe::M1).unwrap()
    };
    stored.closed = true;
    let mut b = Aggregator::new(sym(), &[Timeframe::M1]);
    b.resume(Timeframe::M1, stored);
    assert_eq!(b.push(&tr(5, "104", "1", T0 + 50_000)), Outcome::Applied);
    let c = drained(&mut b, Timeframe::M1);
    assert_eq!(c.len(), 1);
    assert_eq!(
        (c[0].open_time, c[0].close.to_string(), c[0].trades),
        (T0, "104".into(), Some(2))
    );
}

#[test]
fn a_kline_without_trade_ids_is_not_resumed() {
    let mut kline = Candle::flat(T0, Price::parse("100").unwrap());
    kline.trades = Some(7);
    kline.volume = Qty::parse("3").unwrap();
    let mut a = Aggregator::new(sym(), &[Timeframe::M1]);
    a.resume(Timeframe::M1, kline);
    assert_eq!(a.push(&tr(50, "101", "1", T0 + 10)), Outcome::Applied);
    let c = a.current(Timeframe::M1).unwrap();
    assert_eq!(
        (c.trades, c.volume.to_string()),
        (Some(1), "1".into()),
        "not added onto the kline"
    );
}

#[test]
fn a_far_jump_in_time_fills_no_flat_candles() {
    // Contiguous ids, but the second trade is stamped ten years later: filling every minute in
    // between would allocate five million candles. The hole is left for the gap repair.
    let mut a = Aggregator::new(sym(), &[Timeframe::M1, Timeframe::H1]);
    a.push(&tr(1, "100", "1", T0));
    a.push(&tr(2, "101", "1", T0 + 60_000));
    a.push(&tr(3, "102", "1", T0 + 10 * 365 * 86_400_000));
    let m1 = drained(&mut a, Timeframe::M1);
    assert_eq!(m1.len(), 3, "no flat fill across ten years");
    // At the limit, a quiet week is still filled as Binance does.
    let mut a = Aggregator::new(sym(), &[Timeframe::M1]);
    a.push(&tr(1, "100", "1", T0));
    let week = series::MAX_FLAT_FILL;
    a.push(&tr(2, "101", "1", T0 + (week + 1) * 60_000));
    assert_eq!(drained(&mut a, Timeframe::M1).len() as i64, week + 2);
}

#[test]
fn extreme_ids_never_overflow() {
    let mut a = Aggregator::new(sym(), &Timeframe::ALL);
    for id in [i64::MAX, i64::MIN, 0, i64::MAX - 1, -1, i64::MIN + 1] {
        a.push(&tr(id, "100", "1", T0 + 1));
    }
    let mut out = Vec::new();
    a.drain(&mut out);
    assert!(!out.is_empty());
    assert!(tr(-5, "1", "1", T0).check(T0).is_err());
    assert!(tr(i64::MAX, "1", "1", T0).check(T0).is_err());
}

fn on(symbol: &str, id: i64, price: &str, time: Millis, count: u32) -> Trade {
    Trade {
        symbol: Symbol::new(symbol).unwrap(),
        count,
        ..tr(id, price, "1", time)
    }
}

#[test]
fn each_venue_fills_quiet_minutes_only_as_its_own_candles_do() {
    // Contiguous ids over a quiet minute: flat where the venue emits empty candles.
    for (symbol, flat) in [
        ("binance:BTCUSDT", true),
        ("kraken:BTC/USD", true),
        ("okx:BTC-USDT", true),
        ("coinbase:BTC-USD", false),
        // Ids not proven contiguous: nothing is filled from live trades.
        ("bybit:BTCUSDT", false),
        ("bybit-perp:BTCUSDT", false),
        ("binance-perp:BTCUSDT", true),
    ] {
        let mut a = Aggregator::new(Symbol::new(symbol).unwrap(), &[Timeframe::M1]);
        a.push(&on(symbol, 1, "100", T0 + 5, 1));
        a.push(&on(symbol, 2, "101", T0 + 2 * 60_000 + 5, 1));
        let opens: Vec<Millis> = drained(&mut a, Timeframe::M1)
            .iter()
            .map(|c| c.open_time)
            .collect();
        let want = if flat {
            vec![T0, T0 + 60_000, T0 + 120_000]
        } else {
            vec![T0, T0 + 120_000]
        };
        assert_eq!(opens, want, "{symbol}");
        assert!(a.take_gaps().is_empty(), "{symbol}");
    }
}

/// Bybit linear's ids are UUIDs (hashed to numbers that have no order): the feed's order sets
/// open and close, a repeated id is dropped, and the candle claims no trade ids.
#[test]
fn opaque_ids_go_in_arrival_order_and_repeats_are_dropped() {
    let s = "bybit-perp:BTCUSDT";
    let mut a = Aggregator::new(Symbol::new(s).unwrap(), &[Timeframe::M1]);
    // Hashes in falling order: by id the open would be 102 and the close 100.
    for t in [
        on(s, 9_000, "100", T0 + 5, 1),
        on(s, -4, "101", T0 + 5, 1),
        on(s, 77, "102", T0 + 6, 1),
    ] {
        assert_eq!(a.push(&t), Outcome::Applied);
    }
    assert_eq!(a.push(&on(s, -4, "101", T0 + 5, 1)), Outcome::Duplicate);
    let c = a.current(Timeframe::M1).unwrap();
    assert_eq!(
        (c.open.to_string(), c.close.to_string()),
        ("100".into(), "102".into())
    );
    assert_eq!((c.volume.to_string(), c.trades), ("3".into(), Some(3)));
    assert_eq!((c.first_trade_id, c.last_trade_id), (None, None));
    assert!(a.take_gaps().is_empty());
}

#[test]
fn okx_aggregated_pushes_count_their_fills_for_continuity() {
    let s = "okx:BTC-USDT";
    let mut a = Aggregator::new(Symbol::new(s).unwrap(), &[Timeframe::M1]);
    // tradeId 10 stands for fills 8..=10, so 13 (count 3) continues it: 11..=13.
    a.push(&on(s, 10, "100", T0 + 1, 3));
    a.push(&on(s, 13, "100", T0 + 2, 3));
    assert!(a.take_gaps().is_empty());
    assert_eq!(a.current(Timeframe::M1).unwrap().trades, Some(6));
    // 17 with count 2 stands for 16..=17: 14 and 15 are missing.
    a.push(&on(s, 17, "100", T0 + 3, 2));
    let gaps = a.take_gaps();
    assert_eq!(gaps.len(), 1);
    assert_eq!((gaps[0].after_id, gaps[0].before_id), (13, 16));
    // Bybit ids jump without meaning a gap.
    let b = "bybit:BTCUSDT";
    let mut a = Aggregator::new(Symbol::new(b).unwrap(), &[Timeframe::M1]);
    a.push(&on(b, 10, "100", T0 + 1, 1));
    a.push(&on(b, 500, "100", T0 + 2, 1));
    assert!(a.take_gaps().is_empty());
}

#[test]
fn a_composite_orders_by_microsecond_then_member_and_keeps_no_ids() {
    let mut c = Aggregator::composite(Symbol::new("composite:BTC-USD").unwrap(), &[Timeframe::M1]);
    let at = |symbol: &str, id: i64, price: &str, ms: Millis, micros: u16| Trade {
        micros,
        ..on(symbol, id, price, ms, 1)
    };
    // Pushed out of time order; ids from different venues collide and mean nothing.
    c.push_member(&at("kraken:BTC/USD", 7, "103", T0 + 40_000, 900), 2);
    c.push_member(&at("coinbase:BTC-USD", 7, "102", T0 + 40_000, 901), 1);
    c.push_member(&at("binance:BTCUSDT", 7, "101", T0 + 1_000, 0), 0);
    c.push_member(&at("coinbase:BTC-USD", 3, "99", T0 + 1_000, 0), 1);
    let k = c.current(Timeframe::M1).unwrap();
    assert_eq!(
        k.open.to_string(),
        "101",
        "a tie at the same microsecond: first member"
    );
    assert_eq!(k.close.to_string(), "102", "one microsecond later wins");
    assert_eq!(
        (k.low.to_string(), k.high.to_string()),
        ("99".into(), "103".into())
    );
    assert_eq!(k.trades, Some(4));
    assert_eq!((k.first_trade_id, k.last_trade_id), (None, None));
}

/// A member whose ids have no order (Bybit linear): its fills of one millisecond keep the
/// order they came in, whatever their hashed ids say.
#[test]
fn a_composites_opaque_member_keeps_its_feeds_order() {
    let mut c = Aggregator::composite(Symbol::new("composite:BTC-PERP").unwrap(), &[Timeframe::M1]);
    let s = "bybit-perp:BTCUSDT";
    for (id, price) in [(900, "100"), (5, "101"), (-3, "102")] {
        c.push_member(&on(s, id, price, T0 + 10, 1), 1);
    }
    let k = c.current(Timeframe::M1).unwrap();
    assert_eq!(
        (k.open.to_string(), k.close.to_string()),
        ("100".into(), "102".into())
    );
}
