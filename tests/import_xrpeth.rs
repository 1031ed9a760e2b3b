//! Real data: Binance's own XRPETH klines must come out of `import` + `export` exactly,
//! including the minutes without trades.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use cryptoviz::domain::{Price, Qty};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/binance")
}

fn cryptoviz(data: &Path) -> Command {
    let mut c = Command::cargo_bin("cryptoviz").unwrap();
    c.arg("--data-dir").arg(data).env_remove("CRYPTOVIZ_CONFIG");
    c.arg("--config").arg(data.join("none.toml"));
    std::fs::write(data.join("none.toml"), "").unwrap();
    c
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

fn exported(data: &Path, tf: &str) -> Vec<Value> {
    let out = cryptoviz(data)
        .args([
            "export",
            "--symbol",
            "xrpeth",
            "--timeframe",
            tf,
            "--out",
            "-",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["schema"], "cryptoviz.report/v1");
    report["series"][0]["candles"].as_array().unwrap().clone()
}

fn price(v: &Value) -> Price {
    v.as_str().unwrap().parse().unwrap()
}

#[test]
fn aggtrades_reproduce_binance_klines_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let out = cryptoviz(dir.path())
        .arg("import")
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
        let got = exported(dir.path(), tf);
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
        .arg("import")
        .arg(fixtures().join("XRPETH-aggTrades-2019-10-11_to_13.csv"))
        .assert()
        .success();
    let total: u64 = exported(dir.path(), "1d")
        .iter()
        .map(|c| c["trades"].as_u64().unwrap())
        .sum();
    // Agg ids 13519807..13532283 cover trade ids 15373518..15388189 (fixtures README).
    assert_eq!(total, 15_388_189 - 15_373_518 + 1);
}
