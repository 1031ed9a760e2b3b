//! Generated benchmark inputs that look like the real thing.

use crate::domain::{Candle, Millis, Price, Qty, Quote};
use crate::rng::Rng;

/// Binance combined-stream trade frames for `symbols` symbols, interleaved, with realistic
/// prices, quantities and timestamps (about 1,000 trades a second).
pub fn trade_frames(n: usize, symbols: usize) -> Vec<Vec<u8>> {
    let names = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"];
    let mut rng = Rng::new(42);
    let mut price = vec![9_000_000i64; symbols.max(1)]; // cents
    let start: Millis = 1_767_225_600_000;
    (0..n)
        .map(|i| {
            let s = i % symbols.max(1);
            price[s] = (price[s] + rng.range(0, 200) as i64 - 100).max(100);
            let name = names[s % names.len()];
            let t = start + (i as i64);
            format!(
                r#"{{"stream":"{}@trade","data":{{"e":"trade","E":{},"s":"{}","t":{},"p":"{}.{:02}","q":"0.{:05}","T":{},"m":{},"M":true}}}}"#,
                name.to_ascii_lowercase(),
                t + 1,
                name,
                1_000_000 + i / symbols.max(1),
                price[s] / 100,
                price[s] % 100,
                rng.range(1, 99_999),
                t,
                rng.next_u64().is_multiple_of(2),
            )
            .into_bytes()
        })
        .collect()
}

/// `n` crypto headlines built from real-world patterns (typically 60-90 characters).
pub fn headlines(n: usize) -> Vec<String> {
    const SUBJECTS: [&str; 8] = [
        "Bitcoin",
        "Ether",
        "Solana",
        "XRP",
        "Dogecoin",
        "BNB",
        "Cardano",
        "Chainlink",
    ];
    const VERBS: [&str; 8] = [
        "surges past",
        "slides below",
        "holds steady near",
        "plunges toward",
        "rallies to",
        "tests support at",
        "breaks out above",
        "drifts around",
    ];
    const TAILS: [&str; 8] = [
        "as ETF inflows hit a record",
        "after exchange hack sparks liquidations",
        "while traders await the Fed decision",
        "amid bearish sentiment and heavy outflows",
        "as analysts call the rally overheated",
        "despite a lawsuit against a major exchange",
        "on strong institutional adoption",
        "with funding rates turning negative",
    ];
    let mut rng = Rng::new(11);
    (0..n)
        .map(|_| {
            let pick = |rng: &mut Rng| rng.range(0, 7) as usize;
            let level = rng.range(1, 120) * 1000;
            format!(
                "{} {} ${} {}",
                SUBJECTS[pick(&mut rng)],
                VERBS[pick(&mut rng)],
                level,
                TAILS[pick(&mut rng)]
            )
        })
        .collect()
}

/// `n` consecutive 1m candles with plausible values.
pub fn candles(n: usize, start: Millis) -> Vec<Candle> {
    let mut rng = Rng::new(7);
    let mut close = 4_210_050i128;
    (0..n)
        .map(|i| {
            let open = close;
            close = (close + rng.range(0, 2000) as i128 - 1000).max(1000);
            let (hi, lo) = (open.max(close) + 300, open.min(close) - 300);
            let vol = rng.range(0, 10_000_000) as i128;
            Candle {
                open_time: start + i as i64 * 60_000,
                open: Price::from_raw(open * 1_000_000),
                high: Price::from_raw(hi * 1_000_000),
                low: Price::from_raw(lo * 1_000_000),
                close: Price::from_raw(close * 1_000_000),
                volume: Qty::from_raw(vol),
                quote_volume: Some(Quote::from_raw(vol * close * 1_000_000)),
                trades: Some(rng.range(0, 5000)),
                closed: true,
                first_trade_id: None,
                last_trade_id: None,
            }
        })
        .collect()
}

/// `n` single-trade frames of `venue`'s market stream in its own format (Kraken's prices as
/// JSON numbers, microsecond times where the venue has them), contiguous ids.
pub fn venue_frames(venue: crate::domain::Venue, n: usize) -> Vec<Vec<u8>> {
    // A composite has no stream of its own: its members' frames are Binance's here.
    let entry =
        crate::exchange::registry::entry(venue).unwrap_or(crate::exchange::registry::VENUES[0]);
    frames_of(entry.sample_trade, 43 + venue as u64, n)
}

/// `n` single-trade frames written by `sample`, from a generator seeded with `seed`.
pub fn frames_of(
    sample: fn(&crate::exchange::registry::SampleTrade<'_>) -> String,
    seed: u64,
    n: usize,
) -> Vec<Vec<u8>> {
    let mut rng = Rng::new(seed);
    let mut price = 9_000_000i64;
    let start_us: i64 = 1_767_225_600_000_000;
    (0..n)
        .map(|i| {
            price = (price + rng.range(0, 200) as i64 - 100).max(100);
            let (p, q) = (
                format!("{}.{:02}", price / 100, price % 100),
                format!("0.{:05}", rng.range(1, 99_999)),
            );
            let buy = rng.next_u64().is_multiple_of(2);
            let id = 1_000_000 + i as i64;
            let us = start_us + i as i64 * 1_000 + rng.range(0, 999) as i64;
            let trade = crate::exchange::registry::SampleTrade {
                id,
                price: &p,
                qty: &q,
                buy,
                micros: us,
            };
            sample(&trade).into_bytes()
        })
        .collect()
}
