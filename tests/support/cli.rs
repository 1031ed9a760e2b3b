//! The real binary as a user runs it from a shell: a data dir, an empty config beside it, and
//! nothing from the test's environment leaking in.
#![allow(dead_code)]

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

/// `cryptoviz --data-dir <data> --config <data>/none.toml` (an empty config file).
pub fn cryptoviz(data: &Path) -> Command {
    let mut c = Command::cargo_bin("cryptoviz").unwrap();
    std::fs::write(data.join("none.toml"), "").unwrap();
    c.arg("--data-dir")
        .arg(data)
        .arg("--config")
        .arg(data.join("none.toml"))
        .env_remove("CRYPTOVIZ_CONFIG")
        .env_remove("CRYPTOVIZ_DATA_DIR")
        .env_remove("CRYPTOVIZ_STORE");
    c
}

/// The candles `export` prints for one series (`cmd` carries the store options), after
/// checking the command succeeded and the report's schema.
pub fn exported(mut cmd: Command, symbol: &str, tf: &str) -> Vec<Value> {
    let out = cmd.args(export_args(symbol, tf)).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["schema"], "cryptoviz.report/v1");
    report["series"][0]["candles"].as_array().unwrap().clone()
}

/// `cryptoviz --config <cfg> --data-dir <data>`, with nothing from the test's environment
/// leaking in.
pub fn configured(cfg: &Path, data: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_cryptoviz"));
    c.arg("--config")
        .arg(cfg)
        .arg("--data-dir")
        .arg(data)
        .env_remove("CRYPTOVIZ_CONFIG")
        .env_remove("CRYPTOVIZ_DATA_DIR")
        .env_remove("CRYPTOVIZ_STORE");
    c
}

/// Runs `args` with that config and data dir to the end.
pub fn run(cfg: &Path, data: &Path, args: &[&str]) -> std::process::Output {
    configured(cfg, data).args(args).output().unwrap()
}

/// The report `export` prints for `symbol` in `tf` over all it stored, or its complaint
/// (nothing stored yet, a bad config).
pub fn report(cfg: &Path, data: &Path, symbol: &str, tf: &str) -> Result<Value, String> {
    let out = run(cfg, data, &export_args(symbol, tf));
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
}

/// `export` of one series over all it stored, to stdout.
fn export_args<'a>(symbol: &'a str, tf: &'a str) -> [&'a str; 7] {
    [
        "export",
        "--symbol",
        symbol,
        "--timeframe",
        tf,
        "--out",
        "-",
    ]
}
