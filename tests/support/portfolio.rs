//! The portfolio tests' shared steps: the export samples, the real binary offline, and
//! candles stored for valuation.

use std::path::Path;

use cryptoviz::domain::{Candle, Price, SeriesKey, Symbol, Timeframe};
use cryptoviz::store::{CandleSource, Store, StoreOptions};
use serde_json::Value;

/// A sample of `tests/fixtures/portfolio`.
pub fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/portfolio")
        .join(name)
}

/// The real binary on data dir `dir` with a config of defaults, but for Binance's and OKX's
/// REST: a closed local port, so a price or contract size fetched on demand never leaves the
/// machine.
pub fn cryptoviz(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let closed = "ws_url = \"ws://127.0.0.1:9\"\nrest_url = \"http://127.0.0.1:9\"\n";
    std::fs::write(
        dir.join("none.toml"),
        format!("[venues.binance]\n{closed}[venues.okx]\n{closed}"),
    )
    .unwrap();
    with_config(dir, &dir.join("none.toml"), args)
}

/// `portfolio --at AT --json` with the empty config, checked to succeed: the report.
pub fn valued_at(dir: &Path, at: &str) -> Value {
    let (code, out, err) = cryptoviz(dir, &["portfolio", "--at", at, "--json"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

/// The report's row of `asset`.
pub fn position<'a>(report: &'a Value, asset: &str) -> &'a Value {
    report["positions"]
        .as_array()
        .and_then(|rows| rows.iter().find(|p| p["asset"] == asset))
        .unwrap_or_else(|| panic!("no {asset} row: {report}"))
}

pub fn with_config(dir: &Path, cfg: &Path, args: &[&str]) -> (i32, String, String) {
    let out = super::cli::run(cfg, dir, args);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn ms(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .timestamp_millis()
}

/// One-minute candles closing at `price` just before each time.
pub async fn store_prices(dir: &Path, prices: &[(&str, &str, &str)]) {
    let store = Store::open(&dir.join("cryptoviz.db"), StoreOptions::default()).unwrap();
    for (symbol, at, price) in prices {
        let key = SeriesKey {
            symbol: Symbol::new(symbol).unwrap(),
            timeframe: Timeframe::M1,
        };
        let open = ms(at) - 60_000;
        store
            .upsert(
                key,
                vec![Candle::flat(open, Price::parse(price).unwrap())],
                CandleSource::Rest,
            )
            .unwrap();
    }
    store.close().await.unwrap();
}
