//! `import` and `export` against hostile and unlucky files, through the real binary. Each test
//! reproduced a failure of the earlier release first: the last candles lost when the row count
//! was a multiple of 20,000, half a file stored before a bad row, negative volumes and
//! impossible klines accepted, a zip of one huge line read whole into memory, retention
//! deleting imported history without a word, and an export of nothing that said nothing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use cryptoviz::aggregate::Aggregator;
use cryptoviz::domain::{Symbol, Timeframe, Trade};

/// 2024-01-01T00:00:00Z.
const DAY0: i64 = 1_704_067_200_000;

fn cryptoviz(data: &Path, config: &str) -> Command {
    let cfg = data.join("config.toml");
    std::fs::write(&cfg, config).unwrap();
    let mut c = Command::cargo_bin("cryptoviz").unwrap();
    c.arg("--data-dir").arg(data).arg("--config").arg(&cfg);
    c.env_remove("CRYPTOVIZ_CONFIG")
        .env_remove("CRYPTOVIZ_DATA_DIR");
    c
}

/// Keeps every candle: these tests trade in the past.
const KEEP_ALL: &str = "[storage]\nretention = { \"1m\" = [0, 0], \"5m\" = [0, 0], \"15m\" = [0, 0], \"1h\" = [0, 0], \"1d\" = [0, 0] }\n";

/// `cryptoviz import FILE` with `config`.
fn import(dir: &Path, config: &str, file: &Path) -> Output {
    cryptoviz(dir, config)
        .arg("import")
        .arg(file)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn trades(n: usize) -> Vec<Trade> {
    (0..n)
        .map(|i| Trade {
            symbol: Symbol::new("BTCUSDT").unwrap(),
            id: 1_000 + i as i64,
            price: format!("{}.{:02}", 42_000 + (i % 97), i % 100)
                .parse()
                .unwrap(),
            qty: format!("0.{:03}", i % 999 + 1).parse().unwrap(),
            time: DAY0 + i as i64 * 1_000,
            count: 1,
            micros: 0,
            buyer_is_maker: i % 2 == 0,
        })
        .collect()
}

/// A data.binance.vision trades file: `id,price,qty,quote_qty,time,is_buyer_maker,is_best_match`.
fn trades_csv(
    dir: &Path,
    name: &str,
    trades: &[Trade],
    tamper: impl Fn(usize, String) -> String,
) -> PathBuf {
    let path = dir.join(name);
    let mut text = String::new();
    for (i, t) in trades.iter().enumerate() {
        let row = format!(
            "{},{},{},{},{},{},True\n",
            t.id,
            t.price,
            t.qty,
            t.price * t.qty,
            t.time,
            if t.buyer_is_maker { "True" } else { "False" }
        );
        text.push_str(&tamper(i, row));
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// (open_time, trades, closed) per stored candle of one series, read straight from SQLite.
fn stored(db: &Path, tf: &str) -> Vec<(i64, i64, bool)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut st = conn
        .prepare(
            "SELECT c.open_time, c.trades, c.closed FROM candles c JOIN series s ON s.id = c.series_id \
             WHERE s.symbol = 'BTCUSDT' AND s.timeframe = ?1 ORDER BY c.open_time",
        )
        .unwrap();
    st.query_map([tf], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn candle_count(db: &Path) -> i64 {
    if !db.exists() {
        return 0;
    }
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row("SELECT count(*) FROM candles", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_file_of_exactly_20000_trades_keeps_its_last_candles() {
    let dir = tempfile::tempdir().unwrap();
    let all = trades(20_000);
    let file = trades_csv(dir.path(), "BTCUSDT-trades-2024-01-01.csv", &all, |_, r| r);
    let out = import(dir.path(), KEEP_ALL, &file);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut agg = Aggregator::new(all[0].symbol, &Timeframe::ALL);
    for t in &all {
        agg.push(t);
    }
    let mut want = Vec::new();
    agg.drain(&mut want);
    let db = dir.path().join("cryptoviz.db");
    for tf in Timeframe::ALL {
        let expect: Vec<(i64, i64, bool)> = want
            .iter()
            .filter(|(k, _)| k.timeframe == tf)
            // Binance's daily file holds every trade of its day: its last candles are
            // complete, so closed, though the trades stop before their ends.
            .map(|(_, c)| {
                (
                    c.open_time,
                    c.trades.expect("counted from trades") as i64,
                    true,
                )
            })
            .collect();
        assert_eq!(stored(&db, tf.as_str()), expect, "{tf}");
    }
    assert_eq!(stored(&db, "1d").len(), 1, "the day's candle is there");
    assert!(
        want.iter().any(|(_, c)| !c.closed),
        "the file ends inside candles"
    );
}

#[test]
fn only_binance_file_names_name_a_symbol_and_open_candles_are_said() {
    let dir = tempfile::tempdir().unwrap();
    let file = trades_csv(dir.path(), "mytrades.csv", &trades(150), |_, r| r);
    let out = import(dir.path(), KEEP_ALL, &file);
    let e = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{e}");
    assert!(
        e.contains("mytrades.csv: cannot tell the symbol") && e.contains("--symbol"),
        "{e}"
    );
    assert_eq!(
        candle_count(&dir.path().join("cryptoviz.db")),
        0,
        "no binance:MYTRADES"
    );

    // Named by the flag: stored, and the summary says which candles the file ended inside.
    let out = cryptoviz(dir.path(), KEEP_ALL)
        .args(["import", "--symbol", "BTCUSDT"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    // 150 trades a second apart: 00:00:00 to 00:02:29.
    assert!(
        said.contains("still open: 1m 2024-01-01T00:02:00Z, 5m 2024-01-01T00:00:00Z, 15m 2024-01-01T00:00:00Z, 1h 2024-01-01T00:00:00Z, 1d 2024-01-01T00:00:00Z (the file ends inside them"),
        "{said}"
    );
    let db = dir.path().join("cryptoviz.db");
    let m1 = stored(&db, "1m");
    assert_eq!(
        m1.iter().map(|c| c.2).collect::<Vec<_>>(),
        [true, true, false]
    );

    // `export` names its report as the dashboard's `e` does.
    let out = cryptoviz(dir.path(), KEEP_ALL)
        .args(["export", "--symbol", "BTCUSDT", "--timeframe", "1m"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("report"))
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(
        names[0].starts_with("cryptoviz-report-binance-BTCUSDT-1m-"),
        "{names:?}"
    );
}

#[test]
fn a_bad_row_halfway_stores_nothing_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = trades_csv(
        dir.path(),
        "BTCUSDT-trades-2024-01-01.csv",
        &trades(30_000),
        |i, r| {
            if i == 24_999 {
                r.replacen(",0.", ",-0.", 1)
            } else {
                r
            }
        },
    );
    let out = import(dir.path(), KEEP_ALL, &file);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let e = stderr(&out);
    assert!(e.contains(":25000:") && e.contains("quantity"), "{e}");
    assert_eq!(candle_count(&dir.path().join("cryptoviz.db")), 0);
}

#[test]
fn impossible_rows_are_refused_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let kline = |open_time: i64, o: &str, h: &str, l: &str, c: &str, v: &str| {
        format!(
            "{open_time},{o},{h},{l},{c},{v},{},0,10,0,0,0\n",
            open_time + 59_999
        )
    };
    let good = kline(DAY0, "10", "12", "9", "11", "5");
    let cases = [
        (
            "close above high",
            kline(DAY0 + 60_000, "10", "12", "9", "13", "5"),
            "close 13",
        ),
        (
            "zero price",
            kline(DAY0 + 60_000, "0", "12", "0", "11", "5"),
            "positive",
        ),
        (
            "negative volume",
            kline(DAY0 + 60_000, "10", "12", "9", "11", "-5"),
            "volume",
        ),
        (
            "1916",
            kline(-1_704_067_200_000, "10", "12", "9", "11", "5"),
            "2009",
        ),
        (
            "year 4980",
            kline(95_000_000_040_000, "10", "12", "9", "11", "5"),
            "ahead",
        ),
    ];
    for (what, bad, says) in cases {
        let file = dir.path().join("BTCUSDT-1m-2024-01.csv");
        std::fs::write(&file, format!("{good}{bad}")).unwrap();
        let out = import(dir.path(), KEEP_ALL, &file);
        let e = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{what}: {e}");
        assert!(e.contains(":2:") && e.contains(says), "{what}: {e}");
        assert_eq!(e.trim().lines().count(), 1, "{what}: one line: {e}");
        assert_eq!(candle_count(&dir.path().join("cryptoviz.db")), 0, "{what}");
    }
}

#[test]
fn a_zip_of_one_huge_line_is_refused_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("BTCUSDT-aggTrades-2024-01-01.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&file).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(true);
    zip.start_file("BTCUSDT-aggTrades-2024-01-01.csv", opts)
        .unwrap();
    // 300 MB without a newline: before the fix, read whole (and grown twice over).
    let block = vec![b'7'; 1 << 20];
    for _ in 0..300 {
        zip.write_all(&block).unwrap();
    }
    zip.finish().unwrap();
    // At most 200 MB of address space (so of memory): the import must refuse the line
    // cleanly within it rather than abort on a failed allocation.
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, KEEP_ALL).unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 200000 && exec \"$0\" --data-dir \"$1\" --config \"$2\" import \"$3\"")
        .arg(env!("CARGO_BIN_EXE_cryptoviz"))
        .arg(dir.path())
        .arg(&cfg)
        .arg(&file)
        .output()
        .unwrap();
    let e = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{e}");
    assert!(
        e.contains(":1:") && e.contains("longer than 4096 bytes"),
        "{e}"
    );
}

#[test]
fn importing_history_beyond_the_retention_says_what_will_be_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let file = trades_csv(
        dir.path(),
        "BTCUSDT-trades-2024-01-01.csv",
        &trades(600),
        |_, r| r,
    );
    // The default retention: 1m candles live 7 days hot and 30 cold.
    let out = import(dir.path(), "", &file);
    assert!(out.status.success(), "{}", stderr(&out));
    let e = stderr(&out);
    assert!(
        e.contains("note: 10 binance:BTCUSDT 1m candles") && e.contains("\"1m\" = [7, 0]"),
        "{e}"
    );
    assert!(!e.contains(" 1d candles"), "1d is kept forever: {e}");
    let log = std::fs::read_to_string(dir.path().join("cryptoviz.log")).unwrap();
    assert!(
        log.contains("imported candles outside the retention"),
        "{log}"
    );
}

#[test]
fn exporting_nothing_fails_and_names_what_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let out = cryptoviz(dir.path(), KEEP_ALL)
        .args(["export", "--out", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    // Nothing was ever stored here: reading says so and creates nothing.
    assert!(
        stderr(&out).contains("cryptoviz.db does not exist"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("cryptoviz.db").exists());

    let file = trades_csv(
        dir.path(),
        "BTCUSDT-trades-2024-01-01.csv",
        &trades(100),
        |_, r| r,
    );
    let out = import(dir.path(), KEEP_ALL, &file);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = cryptoviz(dir.path(), KEEP_ALL)
        .args(["export", "--symbol", "FOOBAR", "--out", "-"])
        .output()
        .unwrap();
    let e = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{e}");
    assert!(e.contains("FOOBAR") && e.contains("BTCUSDT 1m"), "{e}");
    assert!(out.stdout.is_empty());
}

#[test]
fn retention_says_what_it_deleted_when_the_collector_runs() {
    let dir = tempfile::tempdir().unwrap();
    let file = trades_csv(
        dir.path(),
        "BTCUSDT-trades-2024-01-01.csv",
        &trades(600),
        |_, r| r,
    );
    // Default retention; every endpoint dead: the collector only tiers, then stops.
    let config = "[market]\nws_url = \"ws://127.0.0.1:9\"\nrest_url = \"http://127.0.0.1:9\"\nsymbols = [\"BTCUSDT\"]\n[news]\nfeeds = []\n";
    let out = import(dir.path(), config, &file);
    assert!(out.status.success(), "{}", stderr(&out));
    let db = dir.path().join("cryptoviz.db");
    assert_eq!(stored(&db, "1m").len(), 10);
    let out = cryptoviz(dir.path(), config)
        .args(["collect", "--duration", "3"])
        .output()
        .unwrap();
    let e = stderr(&out);
    // No venue could deliver: a timed run that did not do its job says so with exit 1.
    assert_eq!(out.status.code(), Some(1), "{e}");
    assert!(e.contains("no venue delivered a trade in this run"), "{e}");
    assert!(
        e.contains("retention deleted") && e.contains("candles"),
        "{e}"
    );
    assert!(
        stored(&db, "1m").is_empty(),
        "the 2024 minutes are past 7 + 30 days"
    );
    assert_eq!(stored(&db, "1d").len(), 1, "1d candles are kept forever");
    let log = std::fs::read_to_string(dir.path().join("cryptoviz.log")).unwrap();
    assert!(
        log.contains("retention deleted candles"),
        "the log names the series"
    );
}
