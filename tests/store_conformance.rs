//! One conformance suite for every store backend: each scenario runs against a SQLite file in
//! a temp dir and against a database of its own on the PostgreSQL server, and must give the
//! same answers on both.

mod support;

use cryptoviz::alerts::{ArmState, Channel, Firing};
use cryptoviz::domain::{
    Candle, Listing, Millis, NewsItem, Precision, Price, Qty, Quote, Sentiment, SeriesKey, Symbol,
    Timeframe, Venue,
};
use cryptoviz::store::{
    Backend, CandleSource, FeedState, MarketLists, PostgresBackend, PostgresTarget, ProgressStatus,
    SeriesProgress, SqliteBackend, StoredRule,
};
use support::postgres::TestDb;

const START: Millis = 1_704_067_200_000; // 2024-01-01
const MIN: Millis = 60_000;

/// Runs `scenario` on SQLite and, when a server answers, on PostgreSQL.
fn on_every_backend(test: &str, scenario: impl Fn(&str, &mut dyn Backend)) {
    let dir = tempfile::tempdir().unwrap();
    let mut sqlite = SqliteBackend::open(&dir.path().join("c.db")).unwrap();
    scenario("sqlite", &mut sqlite);
    if let Some(db) = TestDb::create(test) {
        let target = PostgresTarget::parse(&db.url).unwrap();
        let mut pg = PostgresBackend::open(&target).unwrap();
        scenario("postgres", &mut pg);
    }
}

fn key(sym: &str, tf: Timeframe) -> SeriesKey {
    SeriesKey {
        symbol: Symbol::new(sym).unwrap(),
        timeframe: tf,
    }
}

fn btc() -> SeriesKey {
    key("BTCUSDT", Timeframe::M1)
}

/// A candle with every field distinct and prices to the last of 8 decimals.
fn candle(i: i64, trades: u64, closed: bool) -> Candle {
    let base = 4_200_012_345_678i128 + i as i128 * 1_234_567;
    Candle {
        open_time: START + i * MIN,
        open: Price::from_raw(base),
        high: Price::from_raw(base + 99_999_999),
        low: Price::from_raw(base - 1),
        close: Price::from_raw(base + 12_345),
        // Bigger than an i64 at 1e8 scale: volumes are exact decimal text in both stores.
        volume: Qty::from_raw(123_456_789_012_345_678_901i128 + i as i128),
        quote_volume: Some(Quote::from_raw(987_654_321_987_654_321_987_654i128)),
        trades: Some(trades),
        closed,
        first_trade_id: Some(1000 + i),
        last_trade_id: Some(1000 + i + trades as i64),
    }
}

#[test]
fn upserts_are_idempotent_and_values_exact() {
    on_every_backend("idempotent", |name, b| {
        let rows: Vec<_> = (0..50).map(|i| (btc(), candle(i, 10, true))).collect();
        b.upsert_candles(&rows, CandleSource::Live).unwrap();
        b.upsert_candles(&rows, CandleSource::Live).unwrap();
        let got = b.candles(btc(), START, START + 49 * MIN).unwrap();
        let want: Vec<_> = rows.iter().map(|(_, c)| *c).collect();
        assert_eq!(got, want, "{name}");
        assert_eq!(b.stats().unwrap().hot_candles, 50, "{name}");
        assert_eq!(
            b.candles_before(btc(), START + 10 * MIN, 3).unwrap(),
            want[8..11],
            "{name}"
        );
        assert_eq!(
            b.open_times(btc(), START + 5 * MIN, START + 7 * MIN)
                .unwrap(),
            vec![START + 5 * MIN, START + 6 * MIN, START + 7 * MIN],
            "{name}"
        );
        // A series nobody wrote reads empty and is not created by reading.
        assert!(
            b.candles(key("ETHUSDT", Timeframe::M1), 0, Millis::MAX)
                .unwrap()
                .is_empty()
        );
        assert_eq!(b.series_keys().unwrap(), vec![btc()], "{name}");
        // The last live write: when a streaming process last touched the newest candles.
        let before = cryptoviz::domain::now_ms();
        let written = b.last_live_write(btc()).unwrap().expect("written live");
        assert!(
            written <= before && written > before - 60_000,
            "{name}: {written}"
        );
        assert_eq!(
            b.last_live_write(key("ETHUSDT", Timeframe::M1)).unwrap(),
            None
        );
        let eth = key("ETHUSDT", Timeframe::M5);
        b.upsert_candles(&[(eth, candle(0, 3, true))], CandleSource::Import)
            .unwrap();
        assert_eq!(
            b.last_live_write(eth).unwrap(),
            None,
            "{name}: imports are not live"
        );
        // The same batch naming one candle twice keeps the later version, as row by row.
        let twice = [(btc(), candle(60, 5, false)), (btc(), candle(60, 7, false))];
        b.upsert_candles(&twice, CandleSource::Live).unwrap();
        assert_eq!(
            b.candles(btc(), START + 60 * MIN, START + 60 * MIN)
                .unwrap()[0]
                .trades,
            Some(7)
        );
    });
}

#[test]
fn absent_values_are_stored_absent_and_a_real_zero_stays_zero() {
    on_every_backend("absent", |name, b| {
        let mut silent = candle(0, 10, true);
        (silent.quote_volume, silent.trades) = (None, None);
        let mut zero = candle(1, 0, true);
        zero.volume = Qty::ZERO;
        zero.quote_volume = Some(Quote::ZERO);
        let mut half = candle(2, 3, true);
        half.quote_volume = None;
        let rows = [(btc(), silent), (btc(), zero), (btc(), half)];
        b.upsert_candles(&rows, CandleSource::Rest).unwrap();
        let got = b.candles(btc(), START, START + 2 * MIN).unwrap();
        assert_eq!(got, [silent, zero, half], "{name}");
        // An open kline without a count replaces a live view as one with 0 did before.
        let live = candle(3, 5, false);
        b.upsert_candles(&[(btc(), live)], CandleSource::Live)
            .unwrap();
        let mut open_kline = candle(3, 0, false);
        open_kline.trades = None;
        b.write_klines(btc(), &[open_kline], CandleSource::Rest, None)
            .unwrap();
        assert_eq!(
            b.candles(btc(), START + 3 * MIN, START + 3 * MIN).unwrap()[0].trades,
            Some(5),
            "{name}: an open kline without a count is not fuller than 5 trades"
        );
    });
}

#[test]
fn a_thinner_live_candle_never_replaces_a_fuller_one_and_a_closed_kline_wins() {
    on_every_backend("guards", |name, b| {
        let full = candle(0, 10, false);
        b.upsert_candles(&[(btc(), full)], CandleSource::Live)
            .unwrap();
        let mut thin = candle(0, 4, false);
        thin.close = Price::from_raw(1);
        b.upsert_candles(&[(btc(), thin)], CandleSource::Live)
            .unwrap();
        assert_eq!(
            b.candles(btc(), START, START).unwrap(),
            vec![full],
            "{name}: live guard"
        );
        // An open kline with fewer trades is a thinner view too.
        b.write_klines(btc(), &[thin], CandleSource::Rest, None)
            .unwrap();
        assert_eq!(
            b.candles(btc(), START, START).unwrap(),
            vec![full],
            "{name}: open kline"
        );
        // The exchange's closed kline is authoritative, even with fewer trades.
        let mut kline = candle(0, 8, true);
        kline.first_trade_id = None;
        kline.last_trade_id = None;
        let n = b
            .write_klines(btc(), &[kline], CandleSource::Rest, None)
            .unwrap();
        assert_eq!(n, 1, "{name}");
        assert_eq!(
            b.candles(btc(), START, START).unwrap(),
            vec![kline],
            "{name}: closed kline"
        );
        // And a live view after it only replaces it when it has at least as many trades.
        b.upsert_candles(&[(btc(), candle(0, 7, true))], CandleSource::Live)
            .unwrap();
        assert_eq!(
            b.candles(btc(), START, START).unwrap(),
            vec![kline],
            "{name}"
        );
    });
}

#[test]
fn backfill_progress_is_saved_with_its_klines_and_resumes() {
    on_every_backend("progress", |name, b| {
        let k = key("coinbase:BTC-USD", Timeframe::H1);
        let mut p = SeriesProgress {
            key: k,
            range_start: START,
            range_end: START + 100 * 3_600_000,
            position: START,
            status: ProgressStatus::Running,
            error: None,
        };
        b.save_progress(&p).unwrap();
        let mut kl = candle(0, 3, true);
        kl.open_time = START;
        p.position = START + 3_600_000;
        b.write_klines(k, &[kl], CandleSource::Rest, Some(&p))
            .unwrap();
        assert_eq!(b.progress(k).unwrap(), vec![p.clone()], "{name}");
        p.status = ProgressStatus::Failed;
        p.error = Some("HTTP 418 banned until 12:00".into());
        b.save_progress(&p).unwrap();
        assert_eq!(b.progress(k).unwrap(), vec![p.clone()], "{name}");
        assert!(b.progress(btc()).unwrap().is_empty());
        assert_eq!(k.symbol.venue(), Venue::Coinbase);
        assert!(b.series_keys().unwrap().contains(&k), "{name}");
    });
}

fn news(id: &str, at: Millis, coins: &[&str]) -> NewsItem {
    NewsItem {
        id: id.into(),
        source: "Wire".into(),
        feed: "https://wire.example/rss".into(),
        title: format!("headline {id} — ünïcode 'quoted'"),
        link: format!("https://wire.example/{id}"),
        published_at: at,
        fetched_at: at + 5,
        summary: String::new(),
        symbols: coins.iter().map(|c| c.to_string()).collect(),
        title_sentiment: Sentiment {
            compound: 0.5,
            pos: 0.25,
            neu: 0.75,
            neg: 0.0,
            ..Sentiment::default()
        },
        summary_sentiment: None,
    }
}

#[test]
fn news_is_stored_once_and_pruned() {
    on_every_backend("news", |name, b| {
        let items = vec![
            news("a", START, &["BTC"]),
            news("b", START + 1, &["ETH", "BTC"]),
        ];
        assert_eq!(b.insert_news(&items).unwrap(), 2, "{name}");
        assert_eq!(
            b.insert_news(&items).unwrap(),
            0,
            "{name}: deduplicated by id"
        );
        let recent = b.recent_news(10, None).unwrap();
        assert_eq!(
            recent.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(),
            ["b", "a"]
        );
        assert_eq!(recent[1], items[0], "{name}: read back exactly");
        assert_eq!(b.recent_news(10, Some("eth")).unwrap().len(), 1, "{name}");
        let mut ids = b.news_ids(&["a".into(), "zz".into()]).unwrap();
        ids.sort();
        assert_eq!(ids, ["a"]);
        b.insert_news(&[news("c", START + 2, &[])]).unwrap();
        // Older than START + 1 goes, then all but the newest one.
        assert_eq!(b.prune_news(START + 1, 1).unwrap(), 2, "{name}");
        assert_eq!(b.recent_news(10, None).unwrap()[0].id, "c");
        let st = FeedState {
            etag: Some("\"v1\"".into()),
            last_modified: None,
        };
        b.save_feed_state("https://wire.example/rss", &st).unwrap();
        assert_eq!(
            b.feed_state("https://wire.example/rss").unwrap(),
            st,
            "{name}"
        );
        assert_eq!(b.feed_state("https://other").unwrap(), FeedState::default());
        // Once none of the feed's items is stored, a 304 would show nothing: no validators.
        b.prune_news(Millis::MAX, 0).unwrap();
        assert_eq!(
            b.feed_state("https://wire.example/rss").unwrap(),
            FeedState::default(),
            "{name}"
        );
    });
}

fn firing(id: &str, t: Millis) -> Firing {
    Firing {
        id: id.into(),
        alert: "btc-100k".into(),
        symbol: "binance:BTCUSDT".into(),
        condition: "price > 100000".into(),
        value: "100000.01".into(),
        at: "2024-01-01T00:00:00.000Z".into(),
        trigger_time: t,
    }
}

#[test]
fn a_firing_is_recorded_once_and_delivered_once_per_channel() {
    on_every_backend("firings", |name, b| {
        let after = ArmState {
            armed: false,
            false_since: None,
        };
        let f = firing("f1", START);
        let channels = [Channel::Webhook, Channel::Command];
        assert!(b.record_firing(&f, &channels, after).unwrap(), "{name}");
        assert!(
            !b.record_firing(&f, &channels, ArmState::default()).unwrap(),
            "{name}: twice"
        );
        assert_eq!(
            b.alert_states().unwrap(),
            vec![("btc-100k".to_string(), after)]
        );
        let pending = b.pending_deliveries(None, 10).unwrap();
        assert_eq!(pending.len(), 2, "{name}");
        // One channel's owed deliveries alone (each channel drains at its own speed).
        let webhook = b.pending_deliveries(Some(Channel::Webhook), 10).unwrap();
        assert_eq!(webhook.len(), 1, "{name}");
        assert_eq!(webhook[0].channel, Channel::Webhook, "{name}");
        assert!(
            b.pending_deliveries(Some(Channel::Bell), 10)
                .unwrap()
                .is_empty(),
            "{name}"
        );
        b.delivery_result("f1", Channel::Webhook, Some("HTTP 503"))
            .unwrap();
        b.delivery_result("f1", Channel::Command, None).unwrap();
        let pending = b.pending_deliveries(None, 10).unwrap();
        assert_eq!(pending.len(), 1, "{name}");
        assert_eq!(
            (pending[0].channel, pending[0].attempts),
            (Channel::Webhook, 1)
        );
        assert_eq!(b.firings(START, START).unwrap(), vec![f.clone()], "{name}");
        assert_eq!(b.last_firing("btc-100k").unwrap(), Some(f), "{name}");
        assert_eq!(b.last_firing("other").unwrap(), None);
        let rule = StoredRule {
            name: "dip".into(),
            symbol: Some("okx:BTC-USDT".into()),
            timeframe: "1m".into(),
            when: "price < 90000".into(),
            repeat: "once".into(),
            rearm_secs: 60,
            notify: "bell,webhook".into(),
            enabled: true,
        };
        b.save_rule(&rule).unwrap();
        let off = StoredRule {
            enabled: false,
            ..rule.clone()
        };
        b.save_rule(&off).unwrap();
        assert_eq!(b.stored_rules().unwrap(), vec![off], "{name}");
        b.delete_rule("dip").unwrap();
        assert!(b.stored_rules().unwrap().is_empty());
    });
}

#[test]
fn tiering_packs_and_deletes_and_reads_span_both_tiers() {
    on_every_backend("tiers", |name, b| {
        // Three days of 1m candles; the first two go cold (a chunk is a day).
        let all: Vec<Candle> = (0..3 * 1440)
            .map(|i| candle(i, (i % 50) as u64, true))
            .collect();
        for chunk in all.chunks(1000) {
            b.write_klines(btc(), chunk, CandleSource::Rest, None)
                .unwrap();
        }
        let hot_before = START + 2 * 1440 * MIN;
        let mut moved = 0;
        loop {
            let step = b.tier_step(btc(), hot_before, None).unwrap();
            moved += step.moved;
            if !step.more {
                break;
            }
        }
        assert_eq!(moved, 2 * 1440, "{name}");
        let st = b.stats().unwrap();
        assert_eq!(
            (st.hot_candles, st.cold_candles),
            (1440, 2 * 1440),
            "{name}"
        );
        // Cold candles lose their trade ids only; everything else reads back exactly.
        let strip = |c: &Candle| Candle {
            first_trade_id: None,
            last_trade_id: None,
            ..*c
        };
        let got = b.candles(btc(), START, Millis::MAX).unwrap();
        assert_eq!(got.len(), all.len(), "{name}");
        assert_eq!(strip(&got[100]), strip(&all[100]), "{name}");
        assert_eq!(got[3000], all[3000], "{name}: hot as written");
        let last3 = b.candles_before(btc(), hot_before - MIN, 3).unwrap();
        assert_eq!(
            last3.iter().map(strip).collect::<Vec<_>>(),
            all[2877..2880].iter().map(strip).collect::<Vec<_>>()
        );
        assert_eq!(
            b.open_times(btc(), START, Millis::MAX).unwrap().len(),
            all.len()
        );
        // A late write into the cold range wins over the packed candle.
        let late = candle(5, 999, true);
        b.write_klines(btc(), &[late], CandleSource::Rest, None)
            .unwrap();
        assert_eq!(
            b.candles(btc(), START + 5 * MIN, START + 5 * MIN).unwrap(),
            vec![late]
        );
        // The closes alone read the same, across both tiers, the late write's included.
        let closes: Vec<(Millis, Price)> = b
            .candles(btc(), START, Millis::MAX)
            .unwrap()
            .iter()
            .map(|c| (c.open_time, c.close))
            .collect();
        assert_eq!(
            b.closes(btc(), START, Millis::MAX).unwrap(),
            closes,
            "{name}"
        );
        assert_eq!(
            b.closes(btc(), START + 2878 * MIN, START + 2881 * MIN)
                .unwrap(),
            closes[2878..2882].to_vec(),
            "{name}: a range over the tiers' seam"
        );
        assert!(b.integrity_check().unwrap().is_empty(), "{name}");
        // Past the cold window: deleted, both tiers.
        let cut = START + 1440 * MIN;
        let step = b.tier_step(btc(), hot_before, Some(cut)).unwrap();
        assert_eq!(
            step.deleted,
            1440 + 1,
            "{name}: the first day's chunk and the late write"
        );
        assert_eq!(b.candles(btc(), START, cut - 1).unwrap(), vec![], "{name}");
        assert_eq!(b.stats().unwrap().candles, 2 * 1440, "{name}");
    });
}

#[test]
fn clear_empties_every_table() {
    on_every_backend("clear", |name, b| {
        b.upsert_candles(&[(btc(), candle(0, 1, true))], CandleSource::Demo)
            .unwrap();
        // And one in the cold tier.
        b.upsert_candles(&[(btc(), candle(1, 1, true))], CandleSource::Demo)
            .unwrap();
        b.tier_step(btc(), START + 2 * MIN, None).unwrap();
        assert_eq!(b.stats().unwrap().cold_candles, 2, "{name}");
        b.insert_news(&[news("a", START, &["BTC"])]).unwrap();
        b.record_firing(&firing("f", START), &[Channel::Bell], ArmState::default())
            .unwrap();
        b.set_watchlist(&[sym("SOLUSDT")]).unwrap();
        b.put_instruments(Venue::Binance, &[sym("SOLUSDT").into()], START)
            .unwrap();
        b.clear().unwrap();
        assert!(
            b.candles(btc(), 0, Millis::MAX).unwrap().is_empty(),
            "{name}"
        );
        assert!(b.recent_news(10, None).unwrap().is_empty(), "{name}");
        assert!(b.pending_deliveries(None, 10).unwrap().is_empty(), "{name}");
        assert!(b.watchlist().unwrap().is_empty(), "{name}");
        assert_eq!(b.instruments().unwrap(), MarketLists::default(), "{name}");
    });
}

fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

#[test]
fn venue_lists_are_replaced_whole_and_the_watchlist_keeps_its_order() {
    on_every_backend("markets", |name, b| {
        assert_eq!(b.instruments().unwrap(), MarketLists::default(), "{name}");
        // Precision as listed, or unknown (NULL), read back as it was written.
        let listed = |s: &str, price: Option<u8>, size: Option<u8>| Listing {
            symbol: sym(s),
            precision: Precision { price, size },
        };
        let binance = [
            listed("SOLUSDT", Some(2), Some(3)),
            listed("BTCUSDT", Some(2), Some(5)),
            listed("ETHBTC", None, None),
        ];
        b.put_instruments(Venue::Binance, &binance, START).unwrap();
        let kraken = [listed("kraken:BTC/USD", Some(1), Some(8))];
        b.put_instruments(Venue::Kraken, &kraken, START + 1)
            .unwrap();
        // A venue's new list replaces its old one (a delisted market goes), others stay.
        b.put_instruments(Venue::Binance, &binance[..2], START + 2)
            .unwrap();
        let lists = b.instruments().unwrap();
        let names: Vec<String> = lists.markets.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            names,
            ["binance:BTCUSDT", "binance:SOLUSDT", "kraken:BTC/USD"],
            "{name}"
        );
        assert_eq!(
            lists.markets,
            [binance[1], binance[0], kraken[0]],
            "{name}: with their precision"
        );
        assert_eq!(
            lists.fetched,
            vec![(Venue::Binance, START + 2), (Venue::Kraken, START + 1)],
            "{name}"
        );

        assert!(b.watchlist().unwrap().is_empty(), "{name}");
        let added = [sym("okx:SOL-USDT"), sym("SOLUSDT"), sym("kraken:BTC/USD")];
        b.set_watchlist(&added).unwrap();
        assert_eq!(b.watchlist().unwrap(), added, "{name}");
        b.set_watchlist(&added[1..]).unwrap();
        assert_eq!(b.watchlist().unwrap(), added[1..], "{name}");
    });
}

fn perp() -> Symbol {
    sym("bybit-perp:BTCUSDT")
}

/// A perp's state minute by minute (a later sample of a minute replaces it; absent values
/// stay absent, 16-place rates and open interest exact), funding rates by settlement (a
/// settled rate replaces a predicted one, never the reverse), liquidations once each.
#[test]
fn derivatives_samples_funding_and_liquidations() {
    use cryptoviz::domain::{
        DerivSample, DerivUpdate, FundingRate, Liquidation, PositionSide, Rate,
    };
    on_every_backend("derivs", |name, b| {
        let mut u = DerivUpdate::new(perp(), START + 5_000);
        u.mark = Some(Price::parse("66666.6").unwrap());
        u.funding_rate = Some(Rate::parse("-0.0001875391284828").unwrap());
        u.open_interest = Some(Quote::parse("22161.1301000000309").unwrap());
        u.funding_interval_hours = Some(8);
        u.next_funding = Some(START + 8 * 3_600_000);
        let first = DerivSample {
            minute: START,
            update: u,
        };
        let mut later = u;
        later.time = START + 59_000;
        later.index = Some(Price::parse("66660").unwrap());
        let second = DerivSample {
            minute: START,
            update: later,
        };
        let next = DerivSample {
            minute: START + MIN,
            update: DerivUpdate::new(perp(), START + MIN),
        };
        b.put_deriv_samples(&[first, next]).unwrap();
        b.put_deriv_samples(&[second]).unwrap();
        let got = b.deriv_samples(perp(), START, START + MIN).unwrap();
        assert_eq!(got, vec![second, next], "{name}");
        // A venue's open-interest point for a minute already held changes only that field.
        let mut oi_only = DerivUpdate::new(perp(), START + 30_000);
        oi_only.open_interest = Some(Quote::parse("22170").unwrap());
        b.put_deriv_samples(&[DerivSample {
            minute: START,
            update: oi_only,
        }])
        .unwrap();
        let mut merged = later;
        merged.open_interest = oi_only.open_interest;
        let got = b.deriv_samples(perp(), START, START).unwrap();
        assert_eq!(got[0].update, merged, "{name}: merged, not blanked");
        assert!(
            b.deriv_samples(sym("binance-perp:BTCUSDT"), 0, Millis::MAX)
                .unwrap()
                .is_empty()
        );

        let at = START + 8 * 3_600_000;
        let rate = |r: &str, settled| FundingRate {
            symbol: perp(),
            time: at,
            rate: Rate::parse(r).unwrap(),
            settled,
        };
        b.put_funding(&[rate("0.0001", false)]).unwrap();
        b.put_funding(&[rate("0.00012", true)]).unwrap();
        b.put_funding(&[rate("0.0003", false)]).unwrap();
        assert_eq!(
            b.funding(perp(), 0, Millis::MAX).unwrap(),
            vec![rate("0.00012", true)],
            "{name}"
        );

        let liq = |t: Millis, side, p: &str, q: &str| Liquidation {
            symbol: perp(),
            time: t,
            side,
            price: Price::parse(p).unwrap(),
            qty: Qty::parse(q).unwrap(),
            sampled: false,
        };
        let rows = [
            liq(START + 2, PositionSide::Short, "9.5", "2"),
            liq(START + 1, PositionSide::Long, "10", "1.5"),
            liq(START + 1, PositionSide::Long, "9.5", "1.5"),
        ];
        assert_eq!(b.put_liquidations(&rows).unwrap(), 3, "{name}");
        assert_eq!(
            b.put_liquidations(&rows[..1]).unwrap(),
            0,
            "{name}: once each"
        );
        let got = b.liquidations(perp(), START, START + 10).unwrap();
        assert_eq!(
            got,
            vec![rows[2], rows[1], rows[0]],
            "{name}: by time, then price as a number"
        );
        b.clear().unwrap();
        assert!(
            b.liquidations(perp(), 0, Millis::MAX).unwrap().is_empty(),
            "{name}"
        );
        assert!(
            b.funding(perp(), 0, Millis::MAX).unwrap().is_empty(),
            "{name}"
        );
    });
}

/// The ledger: an import adds each row once (again: nothing), by identity; a row reusing a
/// held id with other content writes nothing of its import; rows come back by time, exact.
#[test]
fn ledger_rows_once_and_conflicts_write_nothing() {
    use cryptoviz::domain::{Entry, EntryKind};
    use cryptoviz::store::ledger::LedgerWrite;
    use rust_decimal::Decimal;
    use std::str::FromStr;
    let d = |s: &str| Decimal::from_str(s).unwrap();
    let entry = |t: Millis, id: Option<&str>, qty: &str| Entry {
        time: START + t,
        venue: "kraken".into(),
        account: "main".into(),
        kind: EntryKind::Buy,
        asset: "BTC".into(),
        quote: Some("EUR".into()),
        qty: d(qty),
        price: Some(d("54054.0")),
        fee: Some((d("0.18"), "EUR".into())),
        id: id.map(Into::into),
    };
    on_every_backend("ledger", |name, b| {
        let first = [
            entry(2, Some("T2"), "0.00185"),
            entry(1, None, "0.000000000000000001"),
        ];
        assert_eq!(
            b.put_ledger(&first).unwrap(),
            LedgerWrite::Added(2),
            "{name}"
        );
        assert_eq!(
            b.put_ledger(&first).unwrap(),
            LedgerWrite::Added(0),
            "{name}"
        );
        // A new row beside a forged one: neither is written.
        let forged = [entry(3, Some("T3"), "1"), entry(2, Some("T2"), "0.5")];
        match b.put_ledger(&forged).unwrap() {
            LedgerWrite::Conflict { index: 1, .. } => {}
            other => panic!("{name}: {other:?}"),
        }
        let held = b.ledger().unwrap();
        assert_eq!(held, vec![first[1].clone(), first[0].clone()], "{name}");
        assert_eq!(held[0].qty.to_string(), "0.000000000000000001", "{name}");
    });
}

/// Portfolio snapshots: kept per basis, replaced from a time on (what an import rebuilds),
/// read back by range, exact; the newest one's time.
#[test]
fn portfolio_snapshots_are_replaced_from_a_time_and_read_by_range() {
    use cryptoviz::store::ledger::SnapshotRow;
    let row = |t: Millis, equity: &str| SnapshotRow {
        time: START + t,
        equity: equity.into(),
        realized: "1.000000000001".into(),
        unrealized: "-2".into(),
        unvalued: if t == 2 {
            "DOGE,PEPE".into()
        } else {
            String::new()
        },
    };
    on_every_backend("snapshots", |name, b| {
        let basis = "USD/fifo/par";
        assert_eq!(b.last_snapshot(basis).unwrap(), None, "{name}");
        let first: Vec<_> = (0..4).map(|t| row(t, &format!("{t}00"))).collect();
        b.put_snapshots(basis, START, &first).unwrap();
        b.put_snapshots("EUR/lifo", START, &[row(9, "9")]).unwrap();
        // Rebuilt from 2 on: 2 changes, 3 goes, 4 comes.
        b.put_snapshots(basis, START + 2, &[row(2, "222"), row(4, "400")])
            .unwrap();
        let got = b.stored_snapshots(basis, START + 1, START + 4).unwrap();
        assert_eq!(
            got,
            vec![row(1, "100"), row(2, "222"), row(4, "400")],
            "{name}"
        );
        assert_eq!(b.last_snapshot(basis).unwrap(), Some(START + 4), "{name}");
        assert_eq!(
            b.last_snapshot("EUR/lifo").unwrap(),
            Some(START + 9),
            "{name}"
        );
        // A live snapshot at a time already held replaces it.
        b.put_snapshots(basis, START + 4, &[row(4, "401")]).unwrap();
        let got = b.stored_snapshots(basis, START + 4, START + 4).unwrap();
        assert_eq!(got, vec![row(4, "401")], "{name}");
    });
}
