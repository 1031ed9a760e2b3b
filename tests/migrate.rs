//! `cryptoviz migrate --to STORE`, as a user moves from a laptop to a server and back: a
//! SQLite store with both tiers, news, backfill records, rules and firings goes to
//! PostgreSQL and back to a new SQLite file, and everything reads back equal; a second run
//! adds nothing.

mod support;

use std::path::Path;

use cryptoviz::alerts::{ArmState, Channel, Firing};
use cryptoviz::domain::{
    Candle, Millis, NewsItem, Price, Qty, Quote, Sentiment, SeriesKey, Symbol, Timeframe,
};
use cryptoviz::store::{
    Backend, CandleSource, CandleStore, FeedState, PostgresBackend, PostgresTarget, ProgressStatus,
    SeriesProgress, SqliteBackend, StoredRule,
};
use support::cli::cryptoviz;
use support::postgres::TestDb;

const START: Millis = 1_704_067_200_000;
const MIN: Millis = 60_000;

fn candle(i: i64) -> Candle {
    let p = 6_500_000_000_000i128 + (i as i128 % 97) * 1_234_567;
    Candle {
        open_time: START + i * MIN,
        open: Price::from_raw(p),
        high: Price::from_raw(p + 55_555),
        low: Price::from_raw(p - 44_444),
        close: Price::from_raw(p + 1),
        volume: Qty::from_raw(10_000_000_000_000_000_000 + i as i128),
        quote_volume: Some(Quote::from_raw(77_777_777_777_777_777 * (i as i128 + 1))),
        trades: Some((i % 40) as u64),
        closed: true,
        first_trade_id: Some(i * 100),
        last_trade_id: Some(i * 100 + 39),
    }
}

fn keys() -> [SeriesKey; 2] {
    [
        SeriesKey {
            symbol: Symbol::new("BTCUSDT").unwrap(),
            timeframe: Timeframe::M1,
        },
        SeriesKey {
            symbol: Symbol::new("kraken:BTC/USD").unwrap(),
            timeframe: Timeframe::M1,
        },
    ]
}

/// A laptop's store: three days of 1m candles per series, the first two packed cold, with
/// live, REST and imported rows; news, a feed's validators, a backfill record, a rule, its
/// state and two firings (one delivered, one still owed).
fn fill(b: &mut dyn Backend) {
    for key in keys() {
        let all: Vec<Candle> = (0..3 * 1440).map(candle).collect();
        b.write_klines(key, &all[..2000], CandleSource::Rest, None)
            .unwrap();
        b.write_klines(key, &all[2000..4000], CandleSource::Import, None)
            .unwrap();
        let live: Vec<_> = all[4000..].iter().map(|c| (key, *c)).collect();
        b.upsert_candles(&live, CandleSource::Live).unwrap();
        while b.tier_step(key, START + 2 * 1440 * MIN, None).unwrap().more {}
    }
    let added = ["okx:SOL-USDT", "DOGEUSDT"].map(|s| cryptoviz::domain::Symbol::new(s).unwrap());
    b.set_watchlist(&added).unwrap();
    // The user's ledger, and a perp with its derivatives.
    b.put_ledger(&[ledger_row()]).unwrap();
    // Kept snapshots of the default [portfolio] (what `migrate` copies).
    let snapshot = |t: Millis, equity: &str| cryptoviz::store::ledger::SnapshotRow {
        time: t,
        equity: equity.into(),
        realized: "0".into(),
        unrealized: "12.5".into(),
        unvalued: "DOGE".into(),
    };
    b.put_snapshots(
        "USD/fifo/par",
        0,
        &[snapshot(3_600_000, "100"), snapshot(7_200_000, "112.5")],
    )
    .unwrap();
    let perp = SeriesKey {
        symbol: cryptoviz::domain::Symbol::new("bybit-perp:BTCUSDT").unwrap(),
        timeframe: Timeframe::M1,
    };
    b.write_klines(perp, &[candle(0)], CandleSource::Rest, None)
        .unwrap();
    let mut u = cryptoviz::domain::DerivUpdate::new(perp.symbol, START + 5);
    u.open_interest = Some(cryptoviz::domain::Quote::parse("50000.125").unwrap());
    b.put_deriv_samples(&[cryptoviz::domain::DerivSample {
        minute: START,
        update: u,
    }])
    .unwrap();
    b.put_funding(&[cryptoviz::domain::FundingRate {
        symbol: perp.symbol,
        time: START + 8 * 3_600_000,
        rate: cryptoviz::domain::Rate::parse("0.0001").unwrap(),
        settled: true,
    }])
    .unwrap();
    let news = |id: &str, at: Millis| NewsItem {
        id: id.into(),
        source: "Wire".into(),
        feed: "https://wire.example/rss".into(),
        title: format!("{id}: ETF flows"),
        link: format!("https://wire.example/{id}"),
        published_at: at,
        fetched_at: at + 1,
        summary: "s".into(),
        symbols: vec!["BTC".into()],
        title_sentiment: Sentiment {
            compound: -0.25,
            neg: 0.5,
            neu: 0.5,
            ..Sentiment::default()
        },
        summary_sentiment: None,
    };
    b.insert_news(&[news("n1", START), news("n2", START + 5)])
        .unwrap();
    b.save_feed_state(
        "https://wire.example/rss",
        &FeedState {
            etag: Some("\"e1\"".into()),
            last_modified: Some("Mon, 01 Jan 2024 00:00:00 GMT".into()),
        },
    )
    .unwrap();
    b.save_progress(&SeriesProgress {
        key: keys()[1],
        range_start: START,
        range_end: START + 1440 * MIN,
        position: START + 600 * MIN,
        status: ProgressStatus::Running,
        error: Some("HTTP 429".into()),
    })
    .unwrap();
    b.save_rule(&StoredRule {
        name: "dip".into(),
        symbol: Some("binance:BTCUSDT".into()),
        timeframe: "1m".into(),
        when: "price < 60000".into(),
        repeat: "rearm".into(),
        rearm_secs: 300,
        notify: "bell,webhook".into(),
        enabled: true,
    })
    .unwrap();
    for (id, t) in [("f1", START + MIN), ("f2", START + 9 * MIN)] {
        let f = Firing {
            id: id.into(),
            alert: "dip".into(),
            symbol: "binance:BTCUSDT".into(),
            condition: "price < 60000".into(),
            value: "59999.5".into(),
            at: "2024-01-01T00:01:00.000Z".into(),
            trigger_time: t,
        };
        let state = ArmState {
            armed: false,
            false_since: Some(t),
        };
        b.record_firing(&f, &[Channel::Webhook, Channel::Bell], state)
            .unwrap();
    }
    b.delivery_result("f1", Channel::Webhook, None).unwrap();
    b.delivery_result("f2", Channel::Webhook, Some("HTTP 503"))
        .unwrap();
}

fn ledger_row() -> cryptoviz::domain::Entry {
    use std::str::FromStr;
    cryptoviz::domain::Entry {
        time: START,
        venue: "kraken".into(),
        account: String::new(),
        kind: cryptoviz::domain::EntryKind::Buy,
        asset: "BTC".into(),
        quote: Some("EUR".into()),
        qty: rust_decimal::Decimal::from_str("0.00185").unwrap(),
        price: Some(rust_decimal::Decimal::from_str("54054.0").unwrap()),
        fee: None,
        id: Some("T1".into()),
    }
}

/// Everything a store holds, as the contract reads it.
fn contents(b: &mut dyn Backend) -> String {
    let mut out = Vec::new();
    for key in keys() {
        out.push(format!(
            "{:?}",
            b.candles(key, Millis::MIN, Millis::MAX).unwrap()
        ));
        out.push(format!("{:?}", b.hot_candles(key).unwrap()));
        let chunks = b.cold_chunks(key).unwrap();
        // The starts alone, as a copy into this store reads them, agree with the chunks.
        let starts: Vec<Millis> = chunks.iter().map(|c| c.chunk_start).collect();
        assert_eq!(b.cold_chunk_starts(key).unwrap(), starts);
        out.push(format!("{chunks:?}"));
    }
    let st = b.stats().unwrap();
    out.push(format!(
        "{} {} {}",
        st.hot_candles, st.cold_candles, st.news
    ));
    out.push(format!("{:?}", b.recent_news(100, None).unwrap()));
    out.push(format!("{:?}", b.feed_states().unwrap()));
    out.push(format!("{:?}", b.all_progress().unwrap()));
    out.push(format!("{:?}", b.stored_rules().unwrap()));
    out.push(format!("{:?}", b.alert_states().unwrap()));
    out.push(format!(
        "{:?}",
        b.firings(Millis::MIN, Millis::MAX).unwrap()
    ));
    out.push(format!("{:?}", b.deliveries().unwrap()));
    out.push(format!("{:?}", b.watchlist().unwrap()));
    out.push(format!("{:?}", b.ledger().unwrap()));
    out.push(format!(
        "{:?}",
        b.stored_snapshots("USD/fifo/par", Millis::MIN, Millis::MAX)
            .unwrap()
    ));
    let perp = cryptoviz::domain::Symbol::new("bybit-perp:BTCUSDT").unwrap();
    out.push(format!(
        "{:?}",
        b.deriv_samples(perp, Millis::MIN, Millis::MAX).unwrap()
    ));
    out.push(format!(
        "{:?}",
        b.funding(perp, Millis::MIN, Millis::MAX).unwrap()
    ));
    out.join("\n")
}

fn migrate(data: &Path, from: Option<&str>, to: &str) -> String {
    let mut cmd = cryptoviz(data);
    if let Some(f) = from {
        cmd.args(["--store", f]);
    }
    let out = cmd.args(["migrate", "--to", to]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_laptop_store_goes_to_the_server_and_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let laptop = dir.path().join("cryptoviz.db");
    let want = {
        let mut b = SqliteBackend::open(&laptop).unwrap();
        fill(&mut b);
        contents(&mut b)
    };
    assert!(want.contains("ColdChunk"), "the source has a cold tier");
    let back = dir.path().join("back.db");
    let back_url = format!("sqlite:{}", back.display());

    match TestDb::create("migrate") {
        Some(db) => {
            let first = migrate(dir.path(), None, &db.url);
            assert!(
                first.contains("3 series")
                    && first.contains("(2 new)")
                    && first
                        .contains("1 ledger rows (1 new), 1 perp minutes, 2 portfolio snapshots"),
                "{first}"
            );
            let again = migrate(dir.path(), None, &db.url);
            assert!(
                again.contains("of which 0 new")
                    && again.contains(": 0 candles added")
                    && again.contains("2 news items (0 new), 2 firings (0 new)")
                    && again.contains("1 ledger rows (0 new)"),
                "a second run adds nothing: {again}"
            );
            let on_server = {
                let target = PostgresTarget::parse(&db.url).unwrap();
                contents(&mut PostgresBackend::open(&target).unwrap())
            };
            assert_eq!(on_server, want, "SQLite -> PostgreSQL");
            migrate(dir.path(), Some(&db.url), &back_url);
        }
        None => {
            migrate(dir.path(), None, &back_url);
        }
    }
    let got = contents(&mut SqliteBackend::open(&back).unwrap());
    assert_eq!(got, want, "back in SQLite");

    // The store being copied is not a target.
    let out = cryptoviz(dir.path())
        .args(["migrate", "--to"])
        .arg(format!("sqlite:{}", laptop.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Migrating into a store that already holds other candles for the same minutes keeps the
/// target's by default, counting and showing the conflict; `--overwrite` lets the source win.
/// The summary counts added, identical, conflicting and overwritten candles.
#[test]
fn a_target_that_holds_other_candles_keeps_them_unless_told() {
    let dir = tempfile::tempdir().unwrap();
    let (src, dst) = (dir.path().join("src.db"), dir.path().join("dst.db"));
    let key = keys()[0];
    let ours: Vec<Candle> = (0..10).map(candle).collect();
    let mut theirs: Vec<Candle> = (0..5).map(candle).collect();
    theirs[3].close = Price::from_raw(theirs[3].close.raw() + 100_000_000);
    SqliteBackend::open(&src)
        .unwrap()
        .write_klines(key, &ours, CandleSource::Rest, None)
        .unwrap();
    SqliteBackend::open(&dst)
        .unwrap()
        .write_klines(key, &theirs, CandleSource::Rest, None)
        .unwrap();
    let run = |overwrite: bool| {
        let mut cmd = cryptoviz(dir.path());
        cmd.args(["--store", &format!("sqlite:{}", src.display())])
            .args(["migrate", "--to", &format!("sqlite:{}", dst.display())]);
        if overwrite {
            cmd.arg("--overwrite");
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let close_at_3 = || {
        let mut b = SqliteBackend::open(&dst).unwrap();
        b.candles(key, START + 3 * MIN, START + 3 * MIN).unwrap()[0].close
    };
    let kept = run(false);
    assert!(
        kept.contains("5 candles added, 4 identical, 1 conflicting")
            && kept.contains("0 overwritten"),
        "{kept}"
    );
    assert!(
        kept.contains("BTCUSDT 1m 2024-01-01T00:03:00Z: close") && kept.contains("--overwrite"),
        "the first conflict is shown: {kept}"
    );
    assert_eq!(close_at_3(), theirs[3].close, "the target's candle is kept");
    let again = run(false);
    assert!(
        again.contains("0 candles added, 9 identical, 1 conflicting"),
        "{again}"
    );
    let over = run(true);
    assert!(
        over.contains("0 candles added, 9 identical, 1 conflicting")
            && over.contains("1 overwritten"),
        "{over}"
    );
    assert_eq!(close_at_3(), ours[3].close, "the source's candle won");
}
