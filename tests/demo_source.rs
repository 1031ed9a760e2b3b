//! The demo market: deterministic, well-formed, and shaped like a real one (quiet stretches,
//! bursts, volatility that clusters).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use cryptoviz::demo::{DemoMarket, run};
use cryptoviz::domain::{Millis, Price, Symbol, Trade, now_ms};
use cryptoviz::source::{MarketEvent, StreamStatus};
use tokio::sync::{mpsc, watch};

const START: Millis = 1_700_000_000_000;
const HOUR: Millis = 3_600_000;

fn syms(names: &[&str]) -> Vec<Symbol> {
    names.iter().map(|s| Symbol::new(s).unwrap()).collect()
}

fn generate(seed: u64, names: &[&str], span: Millis) -> Vec<Trade> {
    let mut m = DemoMarket::new(seed, &syms(names), START);
    let mut out = Vec::new();
    m.advance(START + span, &mut out);
    out
}

fn of(trades: &[Trade], name: &str) -> Vec<Trade> {
    let s = Symbol::new(name).unwrap();
    trades.iter().filter(|t| t.symbol == s).copied().collect()
}

#[test]
fn the_same_seed_gives_the_same_trades_however_it_is_stepped() {
    let names = ["BTCUSDT", "ETHUSDT"];
    let once = generate(42, &names, 10 * 60_000);
    assert!(
        once.len() > 5_000,
        "only {} trades in 10 minutes",
        once.len()
    );

    let mut m = DemoMarket::new(42, &syms(&names), START);
    let mut stepped = Vec::new();
    let mut t = START;
    let mut step = 1;
    while t < START + 10 * 60_000 {
        t = (t + step).min(START + 10 * 60_000);
        m.advance(t, &mut stepped);
        step = step * 7 % 997 + 1; // odd, irregular steps that cut slots in the middle
    }
    assert_eq!(stepped, once);

    let other = generate(43, &names, 10 * 60_000);
    assert_ne!(other[..100], once[..100], "another seed, another market");
}

#[test]
fn adding_a_symbol_does_not_change_the_others() {
    let alone = of(&generate(5, &["BTCUSDT"], 60_000), "BTCUSDT");
    let with_eth = of(&generate(5, &["BTCUSDT", "ETHUSDT"], 60_000), "BTCUSDT");
    assert_eq!(alone, with_eth);
}

#[test]
fn trades_are_well_formed() {
    let names = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "PEPEUSDT"];
    let span = HOUR / 2;
    let all = generate(7, &names, span);
    assert!(
        all.windows(2).all(|w| w[0].time <= w[1].time),
        "ordered by time"
    );
    assert!(all.iter().all(|t| (START..=START + span).contains(&t.time)));
    for (name, tick, lot, start_price) in [
        ("BTCUSDT", "0.01", "0.00001", 100_900.0),
        ("ETHUSDT", "0.01", "0.0001", 3_375.0),
        ("SOLUSDT", "0.01", "0.001", 150.0),
        ("PEPEUSDT", "0.0001", "0.1", 1.0),
    ] {
        let trades = of(&all, name);
        assert!(trades.len() > 1000, "{name}: {} trades", trades.len());
        let tick = Price::parse(tick).unwrap().raw();
        let lot = Price::parse(lot).unwrap().raw();
        for w in trades.windows(2) {
            assert_eq!(w[1].id, w[0].id + 1, "{name}: ids are contiguous");
        }
        for t in &trades {
            assert!(
                t.price.raw() > 0 && t.price.raw() % tick == 0,
                "{name}: {t:?}"
            );
            assert!(t.qty.raw() > 0 && t.qty.raw() % lot == 0, "{name}: {t:?}");
            assert_eq!(t.count, 1);
            assert!(!t.is_void());
        }
        let first = trades[0].price.to_f64();
        assert!(
            (first / start_price - 1.0).abs() < 0.1,
            "{name} starts near {start_price}: {first}"
        );
        let makers = trades.iter().filter(|t| t.buyer_is_maker).count() as f64;
        let share = makers / trades.len() as f64;
        assert!((0.4..0.6).contains(&share), "{name}: maker share {share}");
    }
}

#[test]
fn there_are_quiet_seconds_and_bursts() {
    let trades = of(&generate(11, &["BTCUSDT"], 2 * HOUR), "BTCUSDT");
    let mut per_sec: BTreeMap<Millis, usize> = BTreeMap::new();
    for t in &trades {
        *per_sec.entry((t.time - START) / 1000).or_default() += 1;
    }
    let counts: Vec<usize> = (0..2 * HOUR / 1000)
        .map(|s| per_sec.get(&s).copied().unwrap_or(0))
        .collect();
    let mut sorted = counts.clone();
    sorted.sort_unstable();
    let median = sorted[sorted.len() / 2];
    let busiest = sorted[sorted.len() - 1];
    let bursts = counts.iter().filter(|&&c| c >= 100).count();
    assert!((5..=40).contains(&median), "median {median} trades/s");
    assert!(busiest >= 150, "busiest second had {busiest} trades");
    assert!(
        (5..counts.len() / 10).contains(&bursts),
        "{bursts} seconds with 100+ trades"
    );
}

#[test]
fn volatility_clusters() {
    // Absolute one-minute returns are positively autocorrelated in real markets; a plain random
    // walk has none.
    let trades = of(&generate(3, &["ETHUSDT"], 12 * HOUR), "ETHUSDT");
    let mut last_by_min: BTreeMap<Millis, f64> = BTreeMap::new();
    for t in &trades {
        last_by_min.insert((t.time - START) / 60_000, t.price.to_f64());
    }
    let closes: Vec<f64> = last_by_min.values().copied().collect();
    let abs_ret: Vec<f64> = closes
        .windows(2)
        .map(|w| (w[1] / w[0]).ln().abs())
        .collect();
    let mean = abs_ret.iter().sum::<f64>() / abs_ret.len() as f64;
    let dev: Vec<f64> = abs_ret.iter().map(|r| r - mean).collect();
    let var: f64 = dev.iter().map(|d| d * d).sum();
    let lag1: f64 = dev.windows(2).map(|w| w[0] * w[1]).sum();
    let autocorr = lag1 / var;
    assert!(
        autocorr > 0.1,
        "lag-1 autocorrelation of |returns| = {autocorr}"
    );
    // Sanity of the scale: ETH moves a few percent a day, not 50%.
    let day_move = (closes[closes.len() - 1] / closes[0]).ln().abs();
    assert!(day_move < 0.25, "moved {day_move} in 12 hours");
}

#[test]
fn chunked_history_matches_one_advance() {
    let names = ["BTCUSDT", "SOLUSDT"];
    let once = generate(9, &names, HOUR);
    let mut m = DemoMarket::new(9, &syms(&names), START);
    let mut chunks = 0;
    let mut got = Vec::new();
    m.advance_chunked(START + HOUR, 60_000, |batch| {
        chunks += 1;
        got.extend_from_slice(batch);
    });
    assert_eq!(got, once);
    assert_eq!(chunks, 60);
    assert!(m.clock() > START + HOUR);
    // Live trading continues where history stopped, ids and all.
    let mut next = Vec::new();
    m.advance(START + HOUR + 5_000, &mut next);
    let last_btc = of(&once, "BTCUSDT").last().unwrap().id;
    assert_eq!(of(&next, "BTCUSDT")[0].id, last_btc + 1);
}

async fn recv(rx: &mut mpsc::Receiver<MarketEvent>) -> MarketEvent {
    tokio::time::timeout(Duration::from_secs(3), rx.recv())
        .await
        .expect("an event within 3 s")
        .expect("channel open")
}

#[tokio::test]
async fn run_streams_live_trades_and_stops_promptly() {
    let now = now_ms();
    let market = DemoMarket::new(1, &syms(&["BTCUSDT", "ETHUSDT"]), now);
    let (tx, mut rx) = mpsc::channel(1024);
    let (stop, stop_rx) = watch::channel(false);
    let task = tokio::spawn(run(market, tx, stop_rx));

    assert_eq!(
        recv(&mut rx).await,
        MarketEvent::Status(cryptoviz::domain::Venue::Binance, StreamStatus::Connected)
    );
    let (mut trades, mut books) = (0, 0);
    let deadline = Instant::now() + Duration::from_secs(1);
    while Instant::now() < deadline {
        if let Ok(Some(ev)) = tokio::time::timeout(Duration::from_millis(50), rx.recv()).await {
            match ev {
                MarketEvent::Trade(t, at) => {
                    trades += 1;
                    assert!(at <= Instant::now());
                    assert!(t.time >= now && t.time <= now_ms(), "live time {}", t.time);
                }
                // Books twice a second, a true book each time (checked as a venue's would be).
                MarketEvent::Book(b) => {
                    books += 1;
                    assert_eq!(b.bids.len(), 20);
                    assert_eq!(b.clone().checked().unwrap(), b);
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    assert!(trades >= 5, "only {trades} trades in a second");
    assert!(books >= 2, "only {books} books in a second");

    let asked = Instant::now();
    stop.send(true).unwrap();
    loop {
        if let MarketEvent::Status(_, StreamStatus::Stopped) = recv(&mut rx).await {
            break;
        }
    }
    assert!(asked.elapsed() < Duration::from_secs(1));
    tokio::time::timeout(Duration::from_secs(1), task)
        .await
        .expect("run() returns")
        .unwrap();
}

/// The demo's headlines speak of its own prices: "Bitcoin Surges Past $NNK" names the
/// thousand the simulated BTC trades in when the news arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demos_headlines_fit_its_prices() {
    use cryptoviz::config::Config;
    use cryptoviz::domain::{SeriesKey, Timeframe};
    use cryptoviz::news::poller::NewsEvent;
    use cryptoviz::runtime::{Event, Options, Runtime};
    use cryptoviz::store::{Store, StoreOptions};

    let config = Config::parse(
        "[market]\nsymbols = [\"BTCUSDT\", \"ETHUSDT\"]\ntimeframes = [\"1m\"]\n",
        std::path::Path::new("c.toml"),
    )
    .unwrap()
    .for_demo();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("demo.db"), StoreOptions::default()).unwrap();
    let opts = Options {
        demo: true,
        ..Options::default()
    };
    let rt = Runtime::start(&config, store.clone(), opts).await.unwrap();
    let mut events = rt.subscribe();
    let items = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if let Ok(Event::News(NewsEvent::Items(items))) = events.recv().await {
                return items;
            }
        }
    })
    .await
    .expect("the demo's news");
    let title = items
        .iter()
        .map(|i| i.title.as_str())
        .find(|t| t.starts_with("Bitcoin Surges Past $"))
        .expect("the BTC headline");
    let level: f64 = title["Bitcoin Surges Past $".len()..]
        .split('K')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let key = SeriesKey {
        symbol: Symbol::new("BTCUSDT").unwrap(),
        timeframe: Timeframe::M1,
    };
    let close = store.latest(key).await.unwrap().unwrap().close.to_f64();
    // The level is the thousand below the price (seconds of live trading may have moved it).
    assert!(
        level * 1000.0 <= close * 1.002 && close < (level + 1.0) * 1000.0 * 1.002,
        "{title} with BTC at {close}"
    );
    rt.stop(Duration::from_secs(10)).await.unwrap();
    store.close().await.unwrap();
}

/// `--demo` simulates a perp on each of the three perp venues, offline: mark, index, funding
/// with its interval and next time, open interest, and a few liquidations, all valid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_simulates_three_perps_with_funding_oi_and_liquidations() {
    use cryptoviz::config::Config;
    use cryptoviz::ingest::IngestEvent;
    use cryptoviz::runtime::{Event, Options, Runtime};
    use cryptoviz::store::{Store, StoreOptions};
    use std::collections::BTreeSet;

    let config = Config::parse(
        "[market]\nsymbols = [\"BTCUSDT\"]\ntimeframes = [\"1m\"]\n",
        std::path::Path::new("c.toml"),
    )
    .unwrap()
    .for_demo();
    let perps: BTreeSet<String> = config
        .market
        .symbols
        .iter()
        .filter(|s| s.is_perp())
        .map(|s| s.to_string())
        .collect();
    assert_eq!(
        perps.iter().map(String::as_str).collect::<Vec<_>>(),
        [
            "binance-perp:BTCUSDT",
            "bybit-perp:BTCUSDT",
            "okx:BTC-USDT-SWAP"
        ]
    );
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("demo.db"), StoreOptions::default()).unwrap();
    let opts = Options {
        demo: true,
        ..Options::default()
    };
    let rt = Runtime::start(&config, store.clone(), opts).await.unwrap();
    let mut events = rt.subscribe();
    let (mut seen, mut liquidations) = (BTreeSet::new(), 0);
    let done = tokio::time::timeout(Duration::from_secs(240), async {
        while seen != perps || liquidations < 3 {
            if let Ok(Event::Market(IngestEvent::Derivs(d))) = events.recv().await {
                for s in &d.states {
                    let l = &s.last;
                    assert!(l.check().is_ok(), "{l:?}");
                    if l.mark.is_some()
                        && l.index.is_some()
                        && l.funding_rate.is_some()
                        && l.funding_interval_hours == Some(8)
                        && l.next_funding.is_some()
                        && l.open_interest.is_some()
                    {
                        seen.insert(l.symbol.to_string());
                    }
                }
                liquidations += d.liquidations.len();
            }
        }
    })
    .await;
    assert!(
        done.is_ok(),
        "perps seen {seen:?}, {liquidations} liquidations"
    );
    // The simulated history has the perps' too, a sample a minute, so the funding and
    // open-interest panes open full: the day before the live demo, and liquidations in it.
    let now = chrono::Utc::now().timestamp_millis();
    let day = cryptoviz::pipeline::DEMO_HISTORY_HOURS * 3_600_000;
    for name in &perps {
        let symbol = Symbol::new(name).unwrap();
        let samples = store
            .call(move |b| b.deriv_samples(symbol, 0, now))
            .await
            .unwrap();
        let minutes: Vec<i64> = samples.iter().map(|s| s.minute).collect();
        assert!(
            minutes.len() as i64 >= day / 60_000 - 60,
            "{name}: {} samples",
            minutes.len()
        );
        assert!(
            minutes[0] <= now - day + 3_600_000,
            "{name} from a day back"
        );
        assert!(
            minutes.windows(2).all(|w| w[1] - w[0] == 60_000),
            "{name}: one a minute, no holes"
        );
        assert!(samples.iter().all(|s| s.update.funding_rate.is_some()
            && s.update.open_interest.is_some()
            && s.update.check().is_ok()));
        let liquidated = store
            .call(move |b| b.liquidations(symbol, 0, now - 3_600_000))
            .await
            .unwrap();
        assert!(
            liquidated.len() > 100,
            "{name}: {} in history",
            liquidated.len()
        );
    }
    // A made-up ledger at the simulated prices: the portfolio values it from the demo's
    // candles, nothing unpriced, 0.45 BTC left (ETH is not simulated here: its trades are
    // left out rather than made at an invented price).
    let settings = cryptoviz::portfolio::Settings {
        currency: "USD".into(),
        stablecoins_at_par: true,
        method: cryptoviz::portfolio::lots::Method::Fifo,
    };
    let report = store
        .call(move |b| cryptoviz::portfolio::value_ledger(b, &settings, now))
        .await
        .unwrap()
        .expect("the demo stores a ledger")
        .unwrap();
    let qty = |a: &str| {
        report
            .positions
            .iter()
            .find(|p| p.asset == a)
            .map(|p| p.qty.clone())
    };
    assert_eq!(
        (qty("BTC").as_deref(), qty("ETH").as_deref()),
        (Some("0.45"), None),
        "{report:?}"
    );
    // And a short of 0.3 on Binance's perp, a third bought back, valued at its own close.
    let perp = report
        .positions
        .iter()
        .find(|p| p.asset == "binance-perp:BTCUSDT")
        .expect("the demo's perp position");
    assert_eq!(
        (perp.qty.as_str(), perp.funding.as_str()),
        ("-0.2", "-3.5"),
        "{perp:?}"
    );
    assert_eq!(perp.perp.as_ref().map(|p| p.side), Some("short"));
    assert!(report.totals.unvalued.is_empty(), "{report:?}");
    rt.stop(Duration::from_secs(10)).await.unwrap();
    store.close().await.unwrap();
}
