//! `cryptoviz news` as a user runs it: the real binary, a temp data dir and config, feeds
//! served from 127.0.0.1.

mod support;

use std::path::Path;

use assert_cmd::Command;
use cryptoviz::store::{Store, StoreOptions};
use serde_json::Value;
use support::http::{HttpServer, Response};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/rss")
            .join(name),
    )
    .unwrap()
}

struct Dirs {
    dir: tempfile::TempDir,
}

impl Dirs {
    fn new() -> Dirs {
        Dirs::with_news("")
    }

    /// A config whose `[news]` has these lines besides a short timeout.
    fn with_news(lines: &str) -> Dirs {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("[news]\ntimeout_secs = 3\n{lines}");
        std::fs::write(dir.path().join("config.toml"), text).unwrap();
        Dirs { dir }
    }

    fn news(&self, args: &[&str]) -> std::process::Output {
        Command::cargo_bin("cryptoviz")
            .unwrap()
            .arg("--config")
            .arg(self.dir.path().join("config.toml"))
            .arg("--data-dir")
            .arg(self.dir.path().join("data"))
            .arg("news")
            .args(args)
            .timeout(std::time::Duration::from_secs(30))
            .output()
            .unwrap()
    }

    fn stored_count(&self) -> u64 {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let db = self.dir.path().join("data").join("cryptoviz.db");
            let store = Store::open(&db, StoreOptions::default()).unwrap();
            let n = store.stats().await.unwrap().news;
            store.close().await.unwrap();
            n
        })
    }
}

fn json_items(out: &std::process::Output) -> Vec<Value> {
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    match serde_json::from_str(&text) {
        Ok(Value::Array(items)) => items,
        other => panic!("not a JSON array: {other:?}\n{text}"),
    }
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A feed that answers with its items and an ETag, and 304 to a request naming that ETag.
fn etag_feed() -> HttpServer {
    let body = fixture("coindesk_small.xml");
    HttpServer::start(move |req| match req.header("if-none-match") {
        Some("\"abc\"") => Response::new(304, ""),
        _ => Response::ok(body.clone()).header("ETag", "\"abc\""),
    })
}

/// An address nothing listens on.
fn dead_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}/rss")
}

#[test]
fn json_lists_the_items_and_a_second_run_adds_no_duplicates() {
    let d = Dirs::new();
    let body = fixture("coindesk_small.xml");
    let server = HttpServer::start(move |_| Response::ok(body.clone()));
    let url = format!("{}/rss", server.url());

    let first = d.news(&["--feed", &url, "--json"]);
    assert!(first.status.success(), "{}", stderr(&first));
    let items = json_items(&first);
    assert_eq!(items.len(), 3);
    let it = &items[0];
    let keys: Vec<&str> = it.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys.iter()
            .copied()
            .collect::<std::collections::BTreeSet<_>>(),
        [
            "id",
            "link",
            "published_at",
            "sentiment",
            "source",
            "symbols",
            "title"
        ]
        .into()
    );
    assert_eq!(it["id"], "a0b4a6ba-5569-4fef-940c-e402f9698d89");
    assert_eq!(
        it["published_at"], "2026-09-25T14:41:53Z",
        "newest first, RFC 3339 UTC"
    );
    assert_eq!(it["source"], "CoinDesk");
    assert!(
        it["title"]
            .as_str()
            .unwrap()
            .starts_with("Circle and Tether step in")
    );
    assert!(
        it["link"]
            .as_str()
            .unwrap()
            .starts_with("https://www.coindesk.com/")
    );
    // Scored by the headline model and tagged with coins ("hacker", "heist"; Tether).
    assert!(
        it["symbols"].as_array().unwrap().contains(&"USDT".into()),
        "{it}"
    );
    for k in ["compound", "pos", "neu", "neg"] {
        assert!(it["sentiment"][k].is_number(), "{k}");
    }
    assert!(it["sentiment"]["compound"].as_f64().unwrap() < -0.3, "{it}");
    assert_eq!(it["sentiment"]["label"], "negative", "{it}");
    assert_eq!(it["sentiment"]["model"], "cryptoviz-headlines-1", "{it}");
    assert_eq!(d.stored_count(), 3);

    let second = d.news(&["--feed", &url, "--json"]);
    assert!(second.status.success(), "{}", stderr(&second));
    let again = json_items(&second);
    assert_eq!(again.len(), 3, "the same items are shown again");
    assert_eq!(again[0]["id"], it["id"]);
    assert_eq!(d.stored_count(), 3, "and none is stored twice");
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn an_unchanged_feed_answers_304_and_still_lists_its_items() {
    let d = Dirs::new();
    let server = etag_feed();
    let url = server.url();
    assert_eq!(json_items(&d.news(&["--feed", &url, "--json"])).len(), 3);
    let second = d.news(&["--feed", &url, "--json"]);
    assert!(second.status.success(), "{}", stderr(&second));
    assert_eq!(json_items(&second).len(), 3);
    assert_eq!(
        server.requests()[1].header("if-none-match"),
        Some("\"abc\"")
    );
    assert_eq!(d.stored_count(), 3);
}

#[test]
fn a_304_for_items_no_longer_stored_still_lists_the_feed() {
    // The fixture's items are older than one day of retention: stored, then pruned at once.
    // A second run's 304 would leave nothing to show, so no validators are sent.
    let d = Dirs::with_news("retention_days = 1\n");
    let server = etag_feed();
    let url = server.url();
    assert_eq!(json_items(&d.news(&["--feed", &url, "--json"])).len(), 3);
    assert_eq!(d.stored_count(), 0, "pruned by retention");
    let second = d.news(&["--feed", &url, "--json"]);
    assert!(second.status.success(), "{}", stderr(&second));
    assert_eq!(json_items(&second).len(), 3, "the feed's items, not []");
    assert_eq!(server.requests()[1].header("if-none-match"), None);
}

#[test]
fn an_unreachable_feed_exits_1_with_one_line_naming_it() {
    let d = Dirs::new();
    let url = dead_url();
    let out = d.news(&["--feed", &url, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&url), "{err}");
    assert!(err.starts_with("cryptoviz: "), "{err}");
    assert!(out.stdout.is_empty(), "nothing to list");
}

#[test]
fn one_good_feed_is_enough_for_success() {
    let d = Dirs::new();
    let body = fixture("cointelegraph.xml");
    let server = HttpServer::start(move |_| Response::ok(body.clone()));
    let dead = dead_url();
    let out = d.news(&["--feed", &dead, "--feed", &server.url()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&dead), "{err}");
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("Cointelegraph"), "{table}");
    assert!(table.contains("Brazil’s Petrobras uses Cardano"), "{table}");
    assert!(
        table.contains("1 of 2 feeds answered, 30 items, 30 new"),
        "{table}"
    );
}

#[test]
fn a_feed_that_is_not_a_web_url_is_a_usage_error() {
    let d = Dirs::new();
    let out = d.news(&["--feed", "ftp://example.com/rss"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("ftp://example.com/rss"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_vader_scorer_is_one_config_line_away() {
    let d = Dirs::with_news("sentiment = \"vader\"\n");
    let body = fixture("coindesk_small.xml");
    let server = HttpServer::start(move |_| Response::ok(body.clone()));
    let items = json_items(&d.news(&["--feed", &server.url(), "--json"]));
    assert_eq!(items.len(), 3);
    for it in &items {
        assert_eq!(it["sentiment"]["model"], "vader", "{it}");
        let compound = it["sentiment"]["compound"].as_f64().unwrap();
        let label = if compound >= 0.05 {
            "positive"
        } else if compound <= -0.05 {
            "negative"
        } else {
            "neutral"
        };
        assert_eq!(
            it["sentiment"]["label"], label,
            "VADER's own cut-offs: {it}"
        );
    }
}
