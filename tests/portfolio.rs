//! The portfolio end to end through the real binary: the four export layouts of
//! `tests/fixtures/portfolio` imported (each whole, again adding nothing, a bad file refused
//! with its line and column and nothing of it kept), then `portfolio --json` valued from
//! candles stored in the same SQLite file, against the FIFO computation written out below by
//! hand, independently of the code.

mod support;

use std::path::Path;

use serde_json::Value;
use support::portfolio::{cryptoviz, fixture, ms, position, store_prices, valued_at, with_config};

/// 50,000 USD in, 1 BTC bought at 40,000 half an hour later (two tests value it).
const DEPOSIT_AND_BUY: &str = "time,venue,symbol,side,qty,price,fee,fee_asset,id\n\
     2025-03-01T00:00:00Z,x,USD,deposit,50000,,,,d\n\
     2025-03-01T00:30:00Z,x,BTC-USD,buy,1,40000,,,b\n";

/// The portfolio rules in `alerts test`: the ledger valued every `snapshot_minutes` over
/// the stored history, each decided as a collector's valuation then would be. 50,000 USD in,
/// 1 BTC bought at 40,000, then BTC's hourly closes: P&L +300, +600, +100,
/// +700; `pnl > 500` (rearming) fires at +600 and again at +700, `position_pct > 75` once
/// (BTC 40,300 of 50,300 at the first step after the buy; the all-cash start is no position).
#[tokio::test(flavor = "multi_thread")]
async fn portfolio_rules_are_replayed_over_the_stored_history() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cfg = d.join("rules.toml");
    std::fs::write(
        &cfg,
        "[[alerts]]\nname = \"up 500\"\nwhen = \"pnl > 500\"\nrepeat = \"rearm\"\n\
         [[alerts]]\nname = \"heavy\"\nwhen = \"position_pct > 75\"\n",
    )
    .unwrap();
    let csv = d.join("ledger.csv");
    std::fs::write(&csv, DEPOSIT_AND_BUY).unwrap();
    let (code, out, err) = with_config(d, &cfg, &["portfolio", "import", csv.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    store_prices(
        d,
        &[
            ("coinbase:BTC-USD", "2025-03-01T00:30:00Z", "40000"),
            ("coinbase:BTC-USD", "2025-03-01T01:00:00Z", "40300"),
            ("coinbase:BTC-USD", "2025-03-01T02:00:00Z", "40600"),
            ("coinbase:BTC-USD", "2025-03-01T03:00:00Z", "40100"),
            ("coinbase:BTC-USD", "2025-03-01T04:00:00Z", "40700"),
        ],
    )
    .await;
    let args = [
        "alerts",
        "test",
        "--from",
        "2025-03-01",
        "--to",
        "2025-03-01T04:30:00Z",
        "--json",
    ];
    let (code, out, err) = with_config(d, &cfg, &args);
    assert_eq!(code, 0, "{err}");
    let replayed: Value = serde_json::from_str(&out).unwrap();
    let fired: Vec<(&str, &str, &str, i64)> = replayed["firings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["alert"].as_str().unwrap(),
                f["symbol"].as_str().unwrap(),
                f["value"].as_str().unwrap(),
                f["trigger_time"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        fired,
        [
            (
                "heavy",
                "portfolio:BTC",
                "80.12",
                ms("2025-03-01T01:00:00Z")
            ),
            ("up 500", "portfolio", "600", ms("2025-03-01T02:00:00Z")),
            ("up 500", "portfolio", "700", ms("2025-03-01T04:00:00Z")),
        ],
        "{out}"
    );
    // The summary counts the valuations (hourly from the first row: 00:00 to 04:00).
    let (_, _, err) = with_config(d, &cfg, &args[..6]);
    assert!(err.contains("5 portfolio valuations"), "{err}");
    assert!(!err.contains("not replayed"), "{err}");
}

/// Snapshots are kept: an import values its rows' past at every `snapshot_minutes` and keeps
/// it, and `portfolio history` reads what was kept, even once the candles it was valued from
/// are gone (where the range goes beyond what is kept, the rest is worked out).
#[tokio::test(flavor = "multi_thread")]
async fn kept_snapshots_outlive_their_candles() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    store_prices(
        d,
        &[
            ("coinbase:BTC-USD", "2025-03-01T00:30:00Z", "40000"),
            ("coinbase:BTC-USD", "2025-03-01T01:00:00Z", "40300"),
            ("coinbase:BTC-USD", "2025-03-01T02:00:00Z", "40600"),
        ],
    )
    .await;
    let csv = d.join("ledger.csv");
    std::fs::write(&csv, DEPOSIT_AND_BUY).unwrap();
    let (code, out, err) = cryptoviz(d, &["portfolio", "import", csv.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("snapshots of the portfolio (every 60 minutes since 2025-03-01T00:00:00"),
        "{out}"
    );
    let history = |from: &str| -> Vec<(i64, String, Vec<String>)> {
        let (code, out, err) = cryptoviz(
            d,
            &[
                "portfolio",
                "history",
                "--from",
                from,
                "--to",
                "2025-03-01T02:00:00Z",
                "--json",
            ],
        );
        assert_eq!(code, 0, "{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        v["snapshots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let unvalued = s["unvalued"].as_array().map_or(Vec::new(), |u| {
                    u.iter().map(|a| a.as_str().unwrap().to_string()).collect()
                });
                (
                    s["time"].as_i64().unwrap(),
                    s["equity"].as_str().unwrap().to_string(),
                    unvalued,
                )
            })
            .collect()
    };
    let h = |t: &str, e: &str| (ms(t), e.to_string(), Vec::<String>::new());
    let want = vec![
        h("2025-03-01T00:00:00Z", "50000"),
        h("2025-03-01T01:00:00Z", "50300"),
        h("2025-03-01T02:00:00Z", "50600"),
    ];
    assert_eq!(history("2025-03-01"), want);
    // The candles go (retention, a new store of candles): the kept ones stand.
    rusqlite::Connection::open(d.join("cryptoviz.db"))
        .unwrap()
        .execute("DELETE FROM candles", [])
        .unwrap();
    assert_eq!(history("2025-03-01"), want);
    // From an hour before the first row: that hour is worked out (nothing held), the rest kept.
    let mut wider = vec![h("2025-02-28T23:00:00Z", "0")];
    wider.extend(want.clone());
    assert_eq!(history("2025-02-28T23:00:00Z"), wider);
    // Worked out now, BTC would have no price: what was kept is what it was worth then.
    let (code, out, _) = cryptoviz(
        d,
        &[
            "portfolio",
            "--at",
            "2025-03-01T02:00:00Z",
            "--json",
            "--no-backfill",
        ],
    );
    assert_eq!(code, 0);
    assert!(out.contains("\"unvalued\": [\n      \"BTC\""), "{out}");
}

/// OKX's and Bybit's own exports through the real binary (the other three are in
/// `four_exports_imported_and_valued_by_fifo`). OKX: its rows in the preamble's zone, a fill
/// per two rows, the transfer left out; valued by FIFO at a stored ETH close of 4,000, the
/// 0.2995 ETH left (cost 989.339339339339, see `okx_trade_history_two_rows_a_fill`) are worth
/// 1,198.
#[tokio::test(flavor = "multi_thread")]
async fn okx_and_bybit_exports_imported_and_valued() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let file = fixture("okx-trade-history.csv").display().to_string();
    let (code, out, err) = cryptoviz(d, &["portfolio", "import", &file]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("OKX trade history (3 rows, 3 new)"), "{out}");
    store_prices(d, &[("binance:ETHUSDT", "2025-01-20T00:00:00Z", "4000")]).await;
    let report = valued_at(d, "2025-01-20");
    let eth = position(&report, "ETH");
    for (k, v) in [
        ("qty", "0.2995"),
        ("cost", "989.339339339339"),
        ("value", "1198"),
        ("unrealized", "208.660660660661"),
        ("realized", "39.339339339339"),
        ("fees", "1.65"),
    ] {
        assert_eq!(eth[k], v, "{k}: {eth}");
    }
    assert_eq!(
        report["totals"]["fees"], "2.35",
        "1.65 of ETH and the sale's 0.7 USDT"
    );

    // Bybit's own export beside it: 9.99 ICP for 80.203 (its 0.01 fee in ICP), 5.36 sold for
    // 49.973424 less 0.049973424 USDT; 4.63 left, at a stored close of 10.
    let file = fixture("bybit-spot-trades.csv").display().to_string();
    let (code, out, err) = cryptoviz(d, &["portfolio", "import", &file]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("Bybit spot trade history (2 rows, 2 new)"),
        "{out}"
    );
    store_prices(d, &[("binance:ICPUSDT", "2025-01-20T00:00:00Z", "10")]).await;
    let report = valued_at(d, "2025-01-20");
    let icp = position(&report, "ICP");
    use rust_decimal::Decimal;
    use std::str::FromStr;
    let dec = |s: &str| Decimal::from_str(s).unwrap();
    let part = (dec("80.203") * dec("5.36") / dec("9.99")).round_dp(12);
    let realized = (dec("49.973424") - part - dec("0.049973424")).normalize();
    let cost = (dec("80.203") - part).normalize();
    for (k, v) in [
        ("qty", "4.63".to_string()),
        ("value", "46.3".to_string()),
        ("cost", cost.to_string()),
        ("realized", realized.to_string()),
    ] {
        assert_eq!(icp[k], v, "{k}: {icp}");
    }
}

/// A price the store lacks is fetched on demand: ETH has no stored candle, so
/// `portfolio history` (and `portfolio` alike) reads ETHUSDT's hourly klines from the ledger's first row on (from a local server speaking
/// Binance's REST), stores them and values ETH at the close before `--at`; `--no-backfill`
/// leaves it unvalued and asks nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_missing_price_is_fetched_on_demand() {
    use rust_decimal::Decimal;
    use std::str::FromStr;
    use support::klines_server::{KlinesServer, generate};
    let server = KlinesServer::start();
    let hour = 3_600_000;
    let first = ms("2025-02-03T10:00:00Z");
    let src = server.add_series(
        "ETHUSDT",
        "1h",
        generate(5, hour, first - 2 * hour, 24 * 10),
    );
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cfg = d.join("c.toml");
    std::fs::write(
        &cfg,
        format!(
            "[venues.binance]\nws_url = \"ws://127.0.0.1:9\"\nrest_url = \"{}\"\n",
            server.url()
        ),
    )
    .unwrap();
    let csv = d.join("ledger.csv");
    std::fs::write(
        &csv,
        "time,venue,symbol,side,qty,price,fee,fee_asset,id\n\
         2025-02-03T10:00:00Z,x,ETH,deposit,2,3000,,,d\n",
    )
    .unwrap();
    let run = |args: &[&str]| with_config(d, &cfg, args);
    let (code, _, err) = run(&["portfolio", "import", csv.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let at = "2025-02-10T00:00:00Z";
    let (code, out, err) = run(&["portfolio", "--at", at, "--json", "--no-backfill"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"unvalued\": [\n      \"ETH\""), "{out}");
    assert!(server.served().is_empty(), "--no-backfill asks nothing");
    // `portfolio history` fetches them as `portfolio` does, and values its snapshots with them.
    let history = |extra: &[&str]| {
        let mut args = vec!["portfolio", "history", "--from", at, "--to", at, "--json"];
        args.extend(extra);
        let (code, out, err) = run(&args);
        assert_eq!(code, 0, "{err}");
        (serde_json::from_str::<Value>(&out).unwrap(), err)
    };
    let (h, _) = history(&["--no-backfill"]);
    assert_eq!(
        h["snapshots"][0]["unvalued"],
        serde_json::json!(["ETH"]),
        "{h}"
    );
    assert!(server.served().is_empty(), "--no-backfill asks nothing");
    let (h, err) = history(&[]);
    assert!(
        err.contains("no stored price for ETH: fetching binance:ETHUSDT hourly since 2025-02-03"),
        "{err}"
    );
    assert!(h["snapshots"][0]["unvalued"].is_null(), "all valued: {h}");
    let (code, out, err) = run(&["portfolio", "--at", at, "--json"]);
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    // The last hour closed by `at`: the candle opened an hour before it.
    let close = &src
        .iter()
        .find(|c| c.open_time == ms(at) - hour)
        .unwrap()
        .close;
    let want = (Decimal::from_str(close).unwrap() * Decimal::TWO).normalize();
    let eth = &report["positions"][0];
    assert_eq!(
        (eth["asset"].as_str(), eth["value"].as_str()),
        (Some("ETH"), Some(want.to_string().as_str()))
    );
    assert_eq!(eth["price_path"], "ETH -> USDT = USD");
    assert_eq!(report["totals"]["unvalued"], serde_json::json!([]));
    // The kept snapshots, valued at import without ETH's price, were valued again with it.
    assert_eq!(h["snapshots"][0]["equity"], want.to_string(), "{h}");
    // Stored: a second run asks nothing more.
    let asked = server.served().len();
    let (code, _, err) = run(&["portfolio", "--at", at]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(server.served().len(), asked, "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn four_exports_imported_and_valued_by_fifo() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let files = [
        "coinbase-transactions.csv",
        "binance-trade-history.csv",
        "kraken-trades.csv",
        "plain.csv",
    ]
    .map(|f| fixture(f).display().to_string());
    let mut args = vec!["portfolio", "import"];
    args.extend(files.iter().map(String::as_str));
    let (code, out, err) = cryptoviz(d, &args);
    assert_eq!(code, 0, "{out}\n{err}");
    for (name, rows) in [
        ("Coinbase transaction report (6 rows, 6 new)", 0),
        ("Binance spot trade history (3 rows, 3 new)", 1),
        ("Kraken trades.csv (2 rows, 2 new)", 2),
        ("plain CSV (3 rows, 3 new)", 3),
    ] {
        assert!(
            out.lines().nth(rows).is_some_and(|l| l.ends_with(name)),
            "{name} in\n{out}"
        );
    }
    // Again: nothing new.
    let (code, out, _) = cryptoviz(d, &args);
    assert_eq!(code, 0);
    assert_eq!(out.matches(" 0 new)").count(), 4, "{out}");

    // BNB's price when its 0.001 paid Binance's fee, and every price at valuation time.
    store_prices(
        d,
        &[
            ("binance:BNBUSDT", "2025-01-09T10:00:00Z", "700"),
            ("binance:BNBUSDT", "2025-01-20T00:00:00Z", "700"),
            ("binance:BTCUSDT", "2025-01-20T00:00:00Z", "100000"),
            ("binance:ETHUSDT", "2025-01-20T00:00:00Z", "3200"),
        ],
    )
    .await;
    let report = valued_at(d, "2025-01-20");

    // FIFO by hand, row by row (USD and USDT are cash):
    // - plain: +5000 USDT; BNB lot 0.5 @ 300 (cost 150).
    // - Coinbase: +10000 USD; buy 0.1 BTC @ 40000 + 10 fee: BTC lot A (0.1, 4010), USD 5990;
    //   receive 1 ETH at 2000: lot (1, 2000); staking 0.01 ETH at 2500: lot (0.01, 25);
    //   convert 0.5 ETH at 3000 less a 10 spread: ETH realises 1500 - 1000 - 10 = 490, and
    //   0.02 BTC for the 1490 received: BTC lot B (0.02, 1490).
    // - Binance: buy 0.05 BTC @ 50000, fee 0.00005 BTC: lot C (0.04995, 2500), USDT 2500, fee
    //   worth 2.5; sell 0.02 BTC @ 60000, fee 1.2 USDT: closes 0.02 of A (cost 802), realises
    //   1200 - 802 - 1.2 = 396.8, USDT 3698.8; buy 0.2 ETH @ 3000 with a 0.001 BNB fee worth
    //   0.7: ETH lot (0.2, 600.7), USDT 3098.8, BNB realises 0.7 - 0.3 = 0.4.
    // - Kraken: buy 0.01 BTC @ 45000 + 1.17: lot E (0.01, 451.17), USD 5538.83; sell 0.1 ETH
    //   @ 3500 - 0.91: closes 0.1 of the received lot (200), realises 149.09, USD 5887.92.
    // - plain: funding -1.5 USDT: USDT 3097.3.
    // Held: BTC 0.08+0.02+0.04995+0.01 = 0.15995 costing 3208+1490+2500+451.17 = 7649.17;
    // ETH 0.4+0.01+0.2 = 0.61 costing 800+25+600.7 = 1425.7; BNB 0.499 costing 149.7.
    let want = [
        // asset, qty, cost, value, unrealized, realized, fees, funding
        (
            "BTC", "0.15995", "7649.17", "15995", "8345.83", "396.8", "14.87", "0",
        ),
        ("USD", "5887.92", "5887.92", "5887.92", "0", "0", "0", "0"),
        ("USDT", "3097.3", "3097.3", "3097.3", "0", "0", "0", "-1.5"),
        (
            "ETH", "0.61", "1425.7", "1952", "526.3", "639.09", "11.61", "0",
        ),
        ("BNB", "0.499", "149.7", "349.3", "199.6", "0.4", "0", "0"),
    ];
    let positions = report["positions"].as_array().unwrap();
    assert_eq!(positions.len(), want.len(), "{report:#}");
    for (p, w) in positions.iter().zip(want) {
        let got = (
            p["asset"].as_str().unwrap(),
            p["qty"].as_str().unwrap(),
            p["cost"].as_str().unwrap(),
            p["value"].as_str().unwrap(),
            p["unrealized"].as_str().unwrap(),
            p["realized"].as_str().unwrap(),
            p["fees"].as_str().unwrap(),
            p["funding"].as_str().unwrap(),
        );
        assert_eq!(got, w, "largest value first");
    }
    assert_eq!(positions[0]["price_path"], "BTC -> USDT = USD");
    // 7649.17 / 0.15995, shown to 12 places.
    assert_eq!(positions[0]["avg_cost"], "47822.256955298531");
    let t = &report["totals"];
    for (k, v) in [
        ("value", "27281.52"),
        ("cost", "18209.79"),
        ("unrealized", "9071.73"),
        ("realized", "1036.29"),
        ("fees", "26.48"),
        ("funding", "-1.5"),
    ] {
        assert_eq!(t[k], v, "{k}: {t}");
    }
    assert_eq!(report["method"], "fifo");
    // Risk over daily steps from the ledger's first day: only cash and BNB (priced from the
    // 9th) are valued at consecutive steps here, so the returns are all zero; BTC's share
    // (15995 of 27281.52) is the largest.
    let risk = &report["risk"];
    assert_eq!(risk["largest_position_pct"], 58.63, "{risk}");
    assert_eq!(risk["max_drawdown_pct"], 0.0, "{risk}");
    assert_eq!(risk["days"], 19, "{risk}");
    assert_eq!(risk["var_95_1d"], Value::Null, "fewer than 20 days: {risk}");
    let snaps = report["snapshots"].as_array().unwrap();
    assert_eq!(
        snaps.len(),
        20,
        "each day's end from Jan 1, and the 20th itself"
    );
    assert_eq!(snaps[0]["time"], ms("2025-01-01T23:59:59.999Z"));
    assert_eq!(snaps[19]["time"], ms("2025-01-20T00:00:00Z"));
    assert_eq!(snaps[19]["equity"], "27281.52");
    assert_eq!(snaps[0]["unvalued"], serde_json::json!(["BNB"]));
    // `portfolio history` at [portfolio] snapshot_minutes (an hour).
    let (code, out, err) = cryptoviz(
        d,
        &[
            "portfolio",
            "history",
            "--from",
            "2025-01-19",
            "--to",
            "2025-01-20",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let h: Value = serde_json::from_str(&out).unwrap();
    let h = h["snapshots"].as_array().unwrap();
    assert_eq!(h.len(), 25, "hourly, both ends");
    assert_eq!(h[24]["equity"], "27281.52");

    // The report carries the same section at its end.
    let (code, out, err) = cryptoviz(
        d,
        &[
            "export",
            "--symbol",
            "binance:BTCUSDT",
            "--timeframe",
            "1m",
            "--to",
            "2025-01-20",
            "--out",
            "-",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let exported: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        exported["portfolio"], report,
        "export's portfolio is portfolio --json's"
    );

    // Without ETH's price, ETH is unvalued (null), never 0, and named.
    let d2 = tempfile::tempdir().unwrap();
    let (code, ..) = cryptoviz(d2.path(), &args);
    assert_eq!(code, 0);
    store_prices(
        d2.path(),
        &[
            ("binance:BNBUSDT", "2025-01-09T10:00:00Z", "700"),
            ("binance:BTCUSDT", "2025-01-20T00:00:00Z", "100000"),
        ],
    )
    .await;
    let (code, out, err) = cryptoviz(
        d2.path(),
        &["portfolio", "--at", "2025-01-20", "--no-backfill"],
    );
    assert_eq!(code, 0, "{err}");
    // BNB has its older close (the last at or before the time); ETH has none.
    assert!(
        out.contains("no stored price (not in the value): ETH ("),
        "{out}"
    );
    let eth = out.lines().find(|l| l.starts_with("ETH ")).unwrap();
    assert!(
        eth.contains("1425.7                –                –"),
        "{eth}"
    );
}

/// A bad file is refused whole with its line and column; the good one beside it goes in.
#[test]
fn a_bad_file_is_refused_at_its_line_and_nothing_of_it_kept() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bad = d.join("bad.csv");
    std::fs::write(
        &bad,
        "time,venue,symbol,side,qty,price,fee,fee_asset,id\n\
         2025-01-01T00:00:00Z,binance,BTCUSDT,buy,1,100,,,a1\n\
         2025-01-02T00:00:00Z,binance,BTCUSDT,sell,-1,100,,,a2\n",
    )
    .unwrap();
    let future = d.join("future.csv");
    std::fs::write(
        &future,
        "time,venue,symbol,side,qty,price,fee,fee_asset,id\n2999-01-01T00:00:00Z,binance,BTCUSDT,buy,1,100,,,f1\n",
    )
    .unwrap();
    let unknown = d.join("other.csv");
    std::fs::write(&unknown, "Date,Action,Ticker\n2025-01-01,BUY,AAPL\n").unwrap();
    let good = fixture("kraken-trades.csv");
    let (code, out, err) = cryptoviz(
        d,
        &[
            "portfolio",
            "import",
            bad.to_str().unwrap(),
            future.to_str().unwrap(),
            unknown.to_str().unwrap(),
            good.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 2, "{out}\n{err}");
    let lines: Vec<&str> = err.lines().collect();
    // Each refused file in a line, then that the good file's ledger (a sale of ETH it never
    // bought) cannot be valued for snapshots.
    assert_eq!(lines.len(), 4, "{err}");
    assert!(
        lines[3].contains("sells 0.1 ETH but holds 0; no snapshots kept"),
        "{err}"
    );
    assert!(
        lines[0]
            .ends_with("bad.csv:3: column \"qty\": -1 is not above zero; nothing imported from it"),
        "{err}"
    );
    assert!(
        lines[1].contains("future.csv:2: 2999-01-01T00:00:00Z is in the future"),
        "{err}"
    );
    assert!(
        lines[2].contains("other.csv:1: not an export cryptoviz reads"),
        "{err}"
    );
    assert!(out.contains("Kraken trades.csv (2 rows, 2 new)"), "{out}");
    // Of the bad file, not even its good first row: before Kraken's ETH sale, the BTC held
    // is Kraken's 0.01 alone (unvalued: no price stored).
    let (code, out, err) = cryptoviz(
        d,
        &[
            "portfolio",
            "--json",
            "--at",
            "2025-01-10T12:00:00Z",
            "--no-backfill",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let btc = &report["positions"][1];
    assert_eq!(
        (btc["asset"].as_str(), btc["qty"].as_str()),
        (Some("BTC"), Some("0.01")),
        "{report}"
    );
    assert_eq!(btc["value"], Value::Null);
    assert_eq!(report["totals"]["unvalued"], serde_json::json!(["BTC"]));
    // Later, Kraken's ETH sale has no ETH behind it: the row is named.
    let (code, _, err) = cryptoviz(d, &["portfolio"]);
    assert_eq!(code, 1);
    assert_eq!(
        err.trim(),
        "cryptoviz: the ledger cannot be valued: kraken row TAAAAA-BBBBB-CCCCC2: sells 0.1 ETH but holds 0"
    );
}

/// A P&L rule fires once through the real collector: the ledger is valued when it starts
/// (then every minute), 1 BTC that cost 100 is worth 200 at the stored close, so `pnl > 50`
/// fires, named `portfolio`, with the P&L as its value; a second run does not fire it again.
#[tokio::test(flavor = "multi_thread")]
async fn a_pnl_rule_fires_once_through_the_collector() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ledger = d.join("ledger.csv");
    std::fs::write(
        &ledger,
        "time,venue,symbol,side,qty,price,fee,fee_asset,id\n2025-01-01T00:00:00Z,binance,BTC,deposit,1,100,,,d1\n",
    )
    .unwrap();
    let cfg = d.join("c.toml");
    std::fs::write(
        &cfg,
        "[market]\nsymbols = [\"binance:BTCUSDT\"]\ntimeframes = [\"1m\"]\n\n[venues.binance]\nws_url = \"ws://127.0.0.1:9\"\nrest_url = \"http://127.0.0.1:9\"\n\n[news]\nfeeds = []\n\n[backfill]\ndays = 1\n\n[[alerts]]\nname = \"up\"\nwhen = \"pnl > 50\"\nnotify = [\"bell\"]\n",
    )
    .unwrap();
    let run = |args: &[&str]| with_config(d, &cfg, args);
    let (code, _, err) = run(&["portfolio", "import", ledger.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let now = chrono::Utc::now().timestamp_millis();
    let at = chrono::DateTime::from_timestamp_millis(now / 60_000 * 60_000 - 60_000)
        .unwrap()
        .to_rfc3339();
    store_prices(d, &[("binance:BTCUSDT", &at, "200")]).await;
    // (No venue answers here: the collector says so and exits 1; the rule still runs.)
    // The import kept its snapshots; a collector keeps the ones due since the last kept
    // (the last week at most): drop them to see it do so.
    let db = d.join("cryptoviz.db");
    let kept = |db: &Path| -> (i64, Option<i64>) {
        let conn = rusqlite::Connection::open(db).unwrap();
        conn.query_row(
            "SELECT COUNT(*), MAX(time) FROM portfolio_snapshots",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    };
    assert!(
        kept(&db).0 > 24 * 365,
        "every hour since the row: {:?}",
        kept(&db)
    );
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute("DELETE FROM portfolio_snapshots", [])
        .unwrap();
    let (_, _, err) = run(&["collect", "--duration", "3"]);
    assert!(
        err.contains("alert up: pnl > 50 (100) on portfolio"),
        "{err}"
    );
    let hour = 3_600_000;
    let (n, last) = kept(&db);
    let now = chrono::Utc::now().timestamp_millis();
    assert_eq!(last, Some(now / hour * hour), "up to this hour");
    assert!((168..=169).contains(&n), "a week of hours: {n}");
    let (_, _, err) = run(&["collect", "--duration", "3"]);
    assert!(!err.contains("alert up"), "once: {err}");
    let (code, out, err) = run(&["alerts", "list", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let last = &v["rules"][0]["last_fired"];
    assert_eq!(last["symbol"], "portfolio", "{v:#}");
    assert_eq!(last["value"], "100", "{v:#}");
}
