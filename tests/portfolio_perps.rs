//! Perp positions through the real binary: from the plain CSV (sizes in coins) and from OKX's
//! own export (sizes in contracts, converted with the swap list read from a local server
//! speaking OKX's REST), each valued at the perp's stored closes against a computation
//! written out by hand.

mod support;

use support::http::{HttpServer, Request, Response};
use support::portfolio::{cryptoviz, fixture, position, store_prices, valued_at, with_config};

/// Perp positions through the real binary: a USD-M long partly closed with funding paid and
/// an OKX swap short, imported from the plain CSV, marked at their stored closes; realised
/// P&L, fees and funding settle in USDT, the open P&L is what they add to the value. By hand:
/// - long 0.2 @ 90,000 (fee 7.2), sell 0.1 @ 92,000 (fee 3.68): +200 realised, 189.12 net;
///   funding -0.9; the open 0.1 marked at 95,000: +500;
/// - short 2 ETH @ 3,000 (fee 1.2), marked at 2,900: +200;
/// - USDT: 10,000 - 7.2 + 200 - 3.68 - 0.9 - 1.2 = 10,187.02; value 10,887.02.
#[tokio::test(flavor = "multi_thread")]
async fn perp_positions_from_the_plain_csv_are_marked_at_their_closes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let csv = d.join("perps.csv");
    std::fs::write(
        &csv,
        "time,venue,symbol,side,qty,price,fee,fee_asset,id\n\
         2025-01-02T00:00:00Z,binance,USDT,deposit,10000,,,,d1\n\
         2025-01-02T01:00:00Z,binance-perp,BTCUSDT,buy,0.2,90000,7.2,USDT,p1\n\
         2025-01-02T02:00:00Z,binance-perp,BTCUSDT,sell,0.1,92000,3.68,USDT,p2\n\
         2025-01-02T08:00:00Z,binance-perp,BTCUSDT,funding,-0.9,,,,f1\n\
         2025-01-03T00:00:00Z,okx,ETH-USDT-SWAP,sell,2,3000,1.2,USDT,o1\n",
    )
    .unwrap();
    let (code, out, err) = cryptoviz(d, &["portfolio", "import", csv.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}\n{err}");
    store_prices(
        d,
        &[
            ("binance-perp:BTCUSDT", "2025-01-20T00:00:00Z", "95000"),
            ("okx:ETH-USDT-SWAP", "2025-01-20T00:00:00Z", "2900"),
            // A spot close far from the perp's: the perp is marked at its own.
            ("binance:BTCUSDT", "2025-01-20T00:00:00Z", "10"),
        ],
    )
    .await;
    let report = valued_at(d, "2025-01-20");
    let rows: Vec<Vec<&str>> = report["positions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            [
                "asset", "qty", "avg_cost", "value", "realized", "fees", "funding",
            ]
            .iter()
            .map(|k| p[*k].as_str().unwrap_or("-"))
            .chain([p["perp"]["side"].as_str().unwrap_or("-")])
            .chain([p["perp"]["mark"].as_str().unwrap_or("-")])
            .collect()
        })
        .collect();
    assert_eq!(
        rows,
        [
            vec!["USDT", "10187.02", "1", "10187.02", "0", "0", "0", "-", "-"],
            vec![
                "binance-perp:BTCUSDT",
                "0.1",
                "90000",
                "500",
                "189.12",
                "10.88",
                "-0.9",
                "long",
                "95000"
            ],
            vec![
                "okx:ETH-USDT-SWAP",
                "-2",
                "3000",
                "200",
                "-1.2",
                "1.2",
                "0",
                "short",
                "2900"
            ],
        ],
        "{report:#}"
    );
    let t = &report["totals"];
    for (k, v) in [
        ("value", "10887.02"),
        ("cost", "10187.02"),
        ("unrealized", "700"),
        ("realized", "187.92"),
        ("funding", "-0.9"),
    ] {
        assert_eq!(t[k], v, "{k}: {t}");
    }
    // The table names them too.
    let (code, out, _) = cryptoviz(d, &["portfolio", "--at", "2025-01-20"]);
    assert_eq!(code, 0);
    assert!(out.contains("binance-perp:BTCUSDT"), "{out}");
}

/// OKX's own export with perpetual rows (`okx-perpetual-history.csv`): contracts sized from
/// OKX's swap list (ETH-USDT-SWAP 0.1 ETH, BTC-USDT-SWAP 0.01 BTC), read once from a local
/// server speaking its REST. By hand:
/// - ETH long 30 contracts = 3 @ 3,200 (fee 4.8), funding -0.96, 1 closed @ 3,300 (fee 1.65):
///   +100 realised, 93.55 net of fees; 2 open marked at 3,400: +400;
/// - BTC short 5 contracts = 0.05 @ 100,000 (fee 2.5), marked at 98,000: +100;
/// - USDT: 10,000 deposited - 4.8 - 0.96 + 100 - 1.65 - 2.5 = 10,090.09; value 10,590.09.
///
/// With the list unreachable the file is refused at its first contract row, nothing of it
/// kept.
#[tokio::test(flavor = "multi_thread")]
async fn okx_perpetual_export_counted_in_contracts_of_the_listed_size() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let file = fixture("okx-perpetual-history.csv").display().to_string();

    // OKX unreachable (the offline config's closed port): refused, nothing kept.
    let (code, out, err) = cryptoviz(d, &["portfolio", "import", &file]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        err.contains(&format!(
            "{file}:4: column \"Trading Unit\": okx:ETH-USDT-SWAP counts contracts, and OKX's contract sizes could not be read"
        )),
        "{err}"
    );
    assert!(err.contains("nothing imported from it"), "{err}");
    assert_eq!(
        err.lines().count(),
        2,
        "one line asking, one refusing: {err}"
    );

    let okx = HttpServer::start(|r: &Request| {
        if r.path() == "/api/v5/public/instruments"
            && r.query("instType").as_deref() == Some("SWAP")
        {
            return Response::ok(
                r#"{"code":"0","msg":"","data":[
                {"instType":"SWAP","instId":"BTC-USDT-SWAP","uly":"BTC-USDT","settleCcy":"USDT","ctVal":"0.01","ctMult":"1","ctValCcy":"BTC","ctType":"linear","lotSz":"0.01","tickSz":"0.1","state":"live"},
                {"instType":"SWAP","instId":"ETH-USDT-SWAP","uly":"ETH-USDT","settleCcy":"USDT","ctVal":"0.1","ctMult":"1","ctValCcy":"ETH","ctType":"linear","lotSz":"0.01","tickSz":"0.01","state":"live"},
                {"instType":"SWAP","instId":"BTC-USD-SWAP","uly":"BTC-USD","settleCcy":"BTC","ctVal":"100","ctMult":"1","ctValCcy":"USD","ctType":"inverse","lotSz":"1","tickSz":"0.1","state":"live"}]}"#,
            );
        }
        Response::new(404, r#"{"code":"51000","msg":"Parameter error"}"#)
    });
    let cfg = d.join("okx.toml");
    std::fs::write(
        &cfg,
        format!(
            "[venues.binance]\nws_url = \"ws://127.0.0.1:9\"\nrest_url = \"http://127.0.0.1:9\"\n\
             [venues.okx]\nws_url = \"ws://127.0.0.1:9\"\nrest_url = \"{}\"\n",
            okx.url()
        ),
    )
    .unwrap();
    let deposit = d.join("deposit.csv");
    std::fs::write(
        &deposit,
        "time,venue,symbol,side,qty,price,fee,fee_asset,id\n\
         2025-02-01T00:00:00Z,okx,USDT,deposit,10000,,,,d1\n",
    )
    .unwrap();
    let (code, out, err) = with_config(
        d,
        &cfg,
        &["portfolio", "import", deposit.to_str().unwrap(), &file],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("OKX trade history (4 rows, 4 new)"), "{out}");
    assert_eq!(okx.requests().len(), 1, "the list is read once");
    // Imported again: nothing added, and the list is read again (the sizes are not stored).
    let (code, out, err) = with_config(d, &cfg, &["portfolio", "import", &file]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("(4 rows, 0 new)"), "{out}");
    assert_eq!(okx.requests().len(), 2);

    store_prices(
        d,
        &[
            ("okx:ETH-USDT-SWAP", "2025-02-10T00:00:00Z", "3400"),
            ("okx:BTC-USDT-SWAP", "2025-02-10T00:00:00Z", "98000"),
        ],
    )
    .await;
    let report = valued_at(d, "2025-02-10");
    let row = |asset: &str| -> Vec<String> {
        let p = position(&report, asset);
        ["qty", "avg_cost", "value", "realized", "fees", "funding"]
            .iter()
            .map(|k| p[*k].as_str().unwrap_or("-").to_string())
            .chain([p["perp"]["side"].as_str().unwrap_or("-").to_string()])
            .collect()
    };
    assert_eq!(
        row("okx:ETH-USDT-SWAP"),
        ["2", "3200", "400", "93.55", "6.45", "-0.96", "long"],
        "{report:#}"
    );
    assert_eq!(
        row("okx:BTC-USDT-SWAP"),
        ["-0.05", "100000", "100", "-2.5", "2.5", "0", "short"],
        "{report:#}"
    );
    assert_eq!(position(&report, "USDT")["qty"], "10090.09");
    assert_eq!(report["totals"]["value"], "10590.09", "{report:#}");
}
