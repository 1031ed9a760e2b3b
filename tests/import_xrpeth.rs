//! Real data: Binance's own XRPETH klines must come out of `import` + `export` exactly,
//! including the minutes without trades.

mod support;

use std::path::{Path, PathBuf};

use cryptoviz::domain::{Price, Qty};
use serde_json::Value;
use support::cli::{cryptoviz, exported};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/binance")
}

/// (open_time, open, high, low, close, volume) rows of a fixture kline file.
fn expected(file: &str) -> Vec<(i64, Price, Price, Price, Price, Qty)> {
    let text = std::fs::read_to_string(fixtures().join(file)).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
                f[3].parse().unwrap(),
                f[4].parse().unwrap(),
                f[5].parse().unwrap(),
            )
        })
        .collect()
}

fn price(v: &Value) -> Price {
    v.as_str().unwrap().parse().unwrap()
}

#[test]
fn aggtrades_reproduce_binance_klines_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let out = cryptoviz(dir.path())
        .args(["import", "--symbol", "XRPETH"])
        .arg(fixtures().join("XRPETH-aggTrades-2019-10-11_to_13.csv"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("12477 trades"));

    for (tf, file, count) in [
        ("1m", "XRPETH-1m-ohlcv-2019-10-11_to_13.csv", 3560),
        ("5m", "XRPETH-5m-ohlcv-2019-10-11_to_13.csv", 712),
    ] {
        let want = expected(file);
        let got = exported(cryptoviz(dir.path()), "xrpeth", tf);
        assert_eq!(want.len(), count);
        assert_eq!(got.len(), count, "{tf}: candle count");
        let mut zero_volume = 0;
        for (w, g) in want.iter().zip(&got) {
            let ctx = format!("{tf} candle {}", w.0);
            assert_eq!(g["open_time"].as_i64().unwrap(), w.0, "{ctx}");
            assert_eq!(price(&g["open"]), w.1, "{ctx} open");
            assert_eq!(price(&g["high"]), w.2, "{ctx} high");
            assert_eq!(price(&g["low"]), w.3, "{ctx} low");
            assert_eq!(price(&g["close"]), w.4, "{ctx} close");
            assert_eq!(price(&g["volume"]), w.5, "{ctx} volume");
            if w.5.is_zero() {
                zero_volume += 1;
                assert_eq!(g["trades"], 0, "{ctx}");
            }
            assert_eq!(
                g["close_time"].as_i64().unwrap(),
                w.0 + if tf == "1m" { 59_999 } else { 299_999 }
            );
        }
        if tf == "1m" {
            assert_eq!(zero_volume, 1091, "the fixture's empty minutes");
        }
    }
}

#[test]
fn trade_count_counts_individual_trades() {
    let dir = tempfile::tempdir().unwrap();
    cryptoviz(dir.path())
        .args(["import", "--symbol", "XRPETH"])
        .arg(fixtures().join("XRPETH-aggTrades-2019-10-11_to_13.csv"))
        .assert()
        .success();
    let total: u64 = exported(cryptoviz(dir.path()), "xrpeth", "1d")
        .iter()
        .map(|c| c["trades"].as_u64().unwrap())
        .sum();
    // Agg ids 13519807..13532283 cover trade ids 15373518..15388189 (fixtures README).
    assert_eq!(total, 15_388_189 - 15_373_518 + 1);
}

/// Newer data.binance.vision files: zipped, with a header row and microsecond timestamps.
#[test]
fn zipped_csv_with_header_and_microseconds() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let text =
        std::fs::read_to_string(fixtures().join("XRPETH-aggTrades-2019-10-11_to_13.csv")).unwrap();
    let mut csv = String::from(
        "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker,is_best_match\n",
    );
    for line in text.lines() {
        let mut f: Vec<String> = line.split(',').map(str::to_string).collect();
        f[5] = format!("{}000", f[5]); // milliseconds -> microseconds
        csv.push_str(&f.join(","));
        csv.push('\n');
    }
    let zip_path = dir.path().join("XRPETH-aggTrades-2019-10-11.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    zip.start_file(
        "XRPETH-aggTrades-2019-10-11.csv",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    zip.write_all(csv.as_bytes()).unwrap();
    zip.finish().unwrap();

    let out = cryptoviz(dir.path())
        .arg("import")
        .arg(&zip_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = expected("XRPETH-1m-ohlcv-2019-10-11_to_13.csv");
    let got = exported(cryptoviz(dir.path()), "xrpeth", "1m");
    assert_eq!(got.len(), want.len());
    for (w, g) in want.iter().zip(&got) {
        assert_eq!(g["open_time"].as_i64().unwrap(), w.0);
        assert_eq!(price(&g["close"]), w.4);
        assert_eq!(price(&g["volume"]), w.5);
    }
}

#[test]
fn a_bad_row_names_the_file_and_line_and_leaves_no_wrong_candle() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("BTCUSDT-trades-2024-01-01.csv");
    std::fs::write(
        &path,
        "1,42000.5,0.1,4200.05,1704067200000,true,true\n\
         2,42001,0.2,8400.2,1704067260000,false,true\n\
         3,not-a-price,0.2,0,1704067270000,false,true\n",
    )
    .unwrap();
    let out = cryptoviz(dir.path())
        .arg("import")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("BTCUSDT-trades-2024-01-01.csv:3"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let out = cryptoviz(dir.path())
        .args([
            "export",
            "--symbol",
            "BTCUSDT",
            "--timeframe",
            "1m",
            "--out",
            "-",
        ])
        .output()
        .unwrap();
    // All or nothing: not even the two good minutes before the bad row were stored.
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nothing to export"), "{err}");
}
