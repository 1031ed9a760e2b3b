//! `portfolio_replay_fills_per_sec`: a ledger of fills through lot matching (FIFO) and
//! valuation at each fill from stored candles. Half the fills buy or sell ETH against BTC, so
//! each of them values the BTC given or received at its minute's stored close; the others
//! trade BTC against USDT (cash). Timed: the replay alone, prices read from the store as a
//! real `portfolio` reads them (one read of each market over the ledger's span, then from
//! memory).

use std::path::Path;
use std::str::FromStr;
use std::time::Instant;

use rust_decimal::Decimal;

use super::data;
use super::measure::per_sec;
use crate::domain::{Entry, EntryKind, Millis, SeriesKey, Symbol, Timeframe};
use crate::portfolio::lots::{Book, Method};
use crate::portfolio::prices::StorePrices;
use crate::store::{CandleSource, Store, StoreOptions};

pub async fn replay(dir: &Path, fills: usize, reps: usize) -> anyhow::Result<f64> {
    let store = Store::open(&dir.join("portfolio.db"), StoreOptions::default())?;
    let start: Millis = 1_700_006_400_000;
    // A fill a minute, and the markets' minutes across them.
    let minutes = fills + 10;
    for (name, scale) in [("BTCUSDT", 1i128), ("ETHBTC", 0)] {
        let key = SeriesKey {
            symbol: Symbol::new(name)?,
            timeframe: Timeframe::M1,
        };
        let mut cs = data::candles(minutes, start - 60_000);
        if scale == 0 {
            // ETH at about 0.05 BTC.
            for c in &mut cs {
                let f = |p: crate::domain::Price| crate::domain::Price::from_raw(p.raw() / 840_000);
                (c.open, c.high, c.low, c.close) = (f(c.open), f(c.high), f(c.low), f(c.close));
            }
        }
        for chunk in cs.chunks(100_000) {
            store
                .write_klines(key, chunk.to_vec(), CandleSource::Rest, None)
                .await?;
        }
    }
    store.flush().await?;
    let d = |s: &str| Decimal::from_str(s).unwrap_or_default();
    let mut ledger = vec![
        Entry {
            time: start,
            venue: "bench".into(),
            account: String::new(),
            kind: EntryKind::Deposit,
            asset: "BTC".into(),
            quote: None,
            // Every ten fills spend 0.015 BTC net (ETH bought with it, BTC bought with
            // USDT): enough for the whole ledger, or a long run sells BTC it does not hold.
            qty: Decimal::from(100 + fills / 500),
            price: Some(d("40000")),
            fee: None,
            id: Some("btc".into()),
        },
        Entry {
            qty: d("10000000"),
            asset: "USDT".into(),
            price: None,
            id: Some("usdt".into()),
            ..Entry {
                time: start,
                venue: "bench".into(),
                account: String::new(),
                kind: EntryKind::Deposit,
                asset: String::new(),
                quote: None,
                qty: Decimal::ZERO,
                price: None,
                fee: None,
                id: None,
            }
        },
    ];
    for i in 0..fills {
        let eth = i % 2 == 0;
        // Buys three times, then sells two: lots build up and are closed in part.
        let kind = if i % 5 < 3 {
            EntryKind::Buy
        } else {
            EntryKind::Sell
        };
        ledger.push(Entry {
            time: start + 60_000 + i as Millis * 60_000,
            venue: "bench".into(),
            account: String::new(),
            kind,
            asset: if eth { "ETH" } else { "BTC" }.into(),
            quote: Some(if eth { "BTC" } else { "USDT" }.into()),
            qty: d(if eth { "0.5" } else { "0.01" }),
            price: Some(d(if eth { "0.05" } else { "42000" })),
            fee: Some((d("0.1"), "USDT".into())),
            id: Some(format!("f{i}")),
        });
    }
    let end = start + (fills as Millis + 2) * 60_000;
    let mut rates = Vec::new();
    for _ in 0..reps {
        let entries = ledger.clone();
        let (n, took) = store
            .call(move |b| {
                let t = Instant::now();
                let mut prices = StorePrices::new(b, "USD", true)?.over(start, end);
                let book = Book::replay(Method::Fifo, entries, &mut prices);
                let took = t.elapsed();
                let n = book.map(|b| b.holdings.len()).unwrap_or(0);
                Ok((n, took))
            })
            .await?;
        anyhow::ensure!(n > 0, "the bench ledger did not replay");
        rates.push(per_sec(fills, took));
    }
    store.close().await?;
    Ok(super::measure::median(rates))
}
