//! The command line's contract (SPEC §1): exit codes and one-line errors naming the culprit.

use assert_cmd::Command;

fn cryptoviz(dir: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("cryptoviz").unwrap();
    c.arg("--data-dir").arg(dir.join("data"));
    c
}

#[test]
fn a_bad_config_is_exit_2_naming_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, "[market]\nsymbols = [\"BTCUSDT\"]\nsymbol = \"x\"\n").unwrap();
    let out = cryptoviz(dir.path())
        .arg("--config")
        .arg(&cfg)
        .args(["export", "--out", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("config.toml:3") && err.contains("market.symbol"),
        "{err}"
    );
}

#[test]
fn the_environment_stands_in_for_flags_and_flags_win() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[news]\ninterval_secs = 0\n").unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(&good, "").unwrap();
    let out = cryptoviz(dir.path())
        .env("CRYPTOVIZ_CONFIG", &bad)
        .args(["export", "--out", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("news.interval_secs"));
    // The good config is taken: the export runs (and, on an empty store, says so: exit 1).
    let out = cryptoviz(dir.path())
        .env("CRYPTOVIZ_CONFIG", &bad)
        .arg("--config")
        .arg(&good)
        .args(["export", "--out", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
    // CRYPTOVIZ_DATA_DIR: the database a writing command creates lands there.
    let data = dir.path().join("elsewhere");
    let csv = dir.path().join("t.csv");
    std::fs::write(&csv, "1,100,1,100,1704067200000,true,true\n").unwrap();
    Command::cargo_bin("cryptoviz")
        .unwrap()
        .env("CRYPTOVIZ_DATA_DIR", &data)
        .arg("--config")
        .arg(&good)
        .args(["import", "--symbol", "BTCUSDT"])
        .arg(&csv)
        .assert()
        .code(0);
    assert!(data.join("cryptoviz.db").exists());
}

#[test]
fn a_missing_explicit_config_and_bad_usage_are_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = cryptoviz(dir.path())
        .arg("--config")
        .arg(dir.path().join("nope.toml"))
        .arg("export")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "a config the user named must exist"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nope.toml"), "{err}");
    assert_eq!(
        err.matches("No such file").count(),
        1,
        "the cause is said once: {err}"
    );
    let out = cryptoviz(dir.path())
        .args(["export", "--timeframe", "2m"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("2m"));
}

#[test]
fn symbols_name_their_venue_and_import_takes_only_binance_files() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    std::fs::write(&csv, "1,100,1,100,1704067200000,true,true\n").unwrap();
    let out = cryptoviz(dir.path())
        .args(["import", "--symbol", "kraken:BTC/USD"])
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("kraken:BTC/USD") && err.contains("binance"),
        "{err}"
    );
    // A symbol in another venue's spelling is refused with the expected forms.
    let out = cryptoviz(dir.path())
        .args(["export", "--symbol", "kraken:BTC-USD", "--out", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("kraken:BTC/USD"), "{err}");
}

#[test]
fn the_store_is_chosen_by_flag_environment_or_config_and_never_shows_a_password() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("BTCUSDT-trades-2024-01-01.csv");
    std::fs::write(&csv, "1,42000.5,1,42000.5,1704067200000,true,true\n").unwrap();
    let db = dir.path().join("elsewhere.db");
    let out = cryptoviz(dir.path())
        .args(["--store", &format!("sqlite:{}", db.display()), "import"])
        .arg(&csv)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(db.exists(), "the candles went to the named file");
    assert!(!dir.path().join("data/cryptoviz.db").exists());
    // The environment names the same store for the next command.
    let out = cryptoviz(dir.path())
        .env("CRYPTOVIZ_STORE", format!("sqlite:{}", db.display()))
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
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"42000.5\""));
    // Not a store URL at all: bad usage, exit 2, one line, no password.
    let out = cryptoviz(dir.path())
        .args(["--store", "mysql://root:s3cret@h/db", "export"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("s3cret"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    // A server that does not answer: exit 1, one line naming host:port/db, no password.
    let out = cryptoviz(dir.path())
        .args([
            "--store",
            "postgres://app:s3cret@127.0.0.1:1/market",
            "export",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("s3cret"), "{err}");
    assert!(err.contains("127.0.0.1:1/market"), "{err}");
    // The error is one line; before it, a warning that argv shows the password to everyone.
    let (warnings, errors): (Vec<&str>, Vec<&str>) = err
        .trim()
        .lines()
        .partition(|l| l.starts_with("cryptoviz: warning:"));
    assert_eq!(errors.len(), 1, "{err}");
    assert_eq!(warnings.len(), 1, "{err}");
    assert!(warnings[0].contains("PGPASSWORD"), "{err}");
    // The same URL from the environment is not on the command line: no warning.
    let out = cryptoviz(dir.path())
        .env(
            "CRYPTOVIZ_STORE",
            "postgres://app:s3cret@127.0.0.1:1/market",
        )
        .arg("export")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("warning") && !err.contains("s3cret"), "{err}");
    // A postgres:// URL the driver cannot read is bad usage too (exit 2), and no form of
    // the password shows: a password= parameter, the tail of an unescaped @.
    for (url, secret) in [
        ("postgres://app:s3cret@127.0.0.1:notaport/market", "s3cret"),
        (
            "postgres://app@127.0.0.1/m?password=s3cret&sslmode=sometimes",
            "s3cret",
        ),
        ("postgres://app:s3@cret-tail@127.0.0.1/market", "cret-tail"),
    ] {
        let out = cryptoviz(dir.path())
            .env("CRYPTOVIZ_STORE", url)
            .arg("export")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{url}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains(secret), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, "[storage]\nurl = \"mysql://u:s3cret@h/db\"\n").unwrap();
    let out = cryptoviz(dir.path())
        .arg("--config")
        .arg(&cfg)
        .arg("export")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("storage.url") && !err.contains("s3cret"),
        "{err}"
    );
}

/// Reading commands never create what they read: a mistyped data dir or a store file in a
/// missing folder is named, with exit 1, and nothing appears on disk.
#[test]
fn reading_commands_name_a_missing_store_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("dtaa");
    for args in [
        vec!["export", "--out", "-"],
        vec!["alerts", "list"],
        vec!["alerts", "test"],
        vec!["migrate", "--to", "sqlite:/dev/null/x.db"],
    ] {
        let out = Command::cargo_bin("cryptoviz")
            .unwrap()
            .arg("--data-dir")
            .arg(&typo)
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        let want = format!("{} does not exist", typo.join("cryptoviz.db").display());
        assert!(err.contains(&want), "{args:?}: {err}");
        assert!(!typo.exists(), "{args:?} created {}", typo.display());
    }
    let missing = dir.path().join("nonexistent/dir/x.db");
    let out = cryptoviz(dir.path())
        .arg("--store")
        .arg(format!("sqlite:{}", missing.display()))
        .args(["export", "--out", "-"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("x.db does not exist"), "{err}");
    assert!(!dir.path().join("nonexistent").exists());
}

/// A huge untrusted value (a 5 MB `when`) is named, not echoed: the error stays one line of at
/// most a couple of kilobytes.
#[test]
fn a_huge_value_in_an_error_is_clipped() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    let when = format!("price > {}", "9".repeat(5 << 20));
    std::fs::write(
        &cfg,
        format!("[[alerts]]\nname = \"big\"\nsymbol = \"BTCUSDT\"\nwhen = \"{when}\"\n"),
    )
    .unwrap();
    let out = cryptoviz(dir.path())
        .arg("--config")
        .arg(&cfg)
        .args(["alerts", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim().lines().count(),
        1,
        "{}",
        &err[..200.min(err.len())]
    );
    assert!(err.len() < 4096, "{} bytes on stderr", err.len());
    assert!(err.contains("alerts") && err.contains("bytes cut"), "{err}");
}

#[test]
fn a_bad_indicator_is_exit_2_naming_the_entry_and_the_valid_range() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    for (panes, key, says) in [
        (
            "[\"rsi:14\", \"ema:0\"]",
            "indicators.panes[1]",
            "from 2 to 100000",
        ),
        (
            "[\"sma:1000000000\"]",
            "indicators.panes[0]",
            "from 2 to 100000",
        ),
        (
            "[\"macd:12,26\", \"nope:3\"]",
            "indicators.panes[1]",
            "unknown indicator",
        ),
        ("[\"rsi:14,3\"]", "indicators.panes[0]", "takes 1 parameter"),
    ] {
        std::fs::write(&cfg, format!("[indicators]\npanes = {panes}\n")).unwrap();
        let out = cryptoviz(dir.path())
            .arg("--config")
            .arg(&cfg)
            .args(["export", "--out", "-"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{panes}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(key) && err.contains(says), "{panes}: {err}");
    }
}
