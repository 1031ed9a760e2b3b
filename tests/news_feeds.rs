//! News scraping against real feeds and real HTTP: every saved feed parses with the right item
//! count, bad feeds fail alone, conditional GET, dedup, breaker, and hostile text.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use cryptoviz::config::Config;
use cryptoviz::domain::{NewsItem, now_ms};
use cryptoviz::news::clean::is_invisible;
use cryptoviz::news::feed::parse_feed;
use cryptoviz::news::poller::{FeedStatus, NewsEvent, NoEnrichment, PollRound, Poller};
use cryptoviz::store::{Store, StoreOptions};
use support::http::{Fault, HttpServer, Response};

const FIXTURES: &[(&str, usize, &str)] = &[
    ("coindesk.xml", 25, "CoinDesk"),
    ("cointelegraph.xml", 30, "Cointelegraph"),
    ("coindesk_2026-08.xml", 25, "CoinDesk"),
    ("coindesk_small.xml", 3, "CoinDesk"),
    ("decrypt_2025-12.xml", 58, "Decrypt"),
];

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rss")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn is_unsafe(c: char) -> bool {
    (c as u32) < 0x20 || (0x7f..=0x9f).contains(&(c as u32)) || is_invisible(c)
}

fn assert_clean(text: &str) {
    assert!(!text.chars().any(is_unsafe), "control left in {text:?}");
    for junk in ["<p", "</", "&amp;", "&#", "&lt;", "&quot;", "<![CDATA["] {
        assert!(!text.contains(junk), "{junk:?} left in {text:?}");
    }
}

fn rss(title: &str, items: &[(&str, &str, &str)]) -> Vec<u8> {
    let mut body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>{title}</title>"
    );
    for (guid, link, item_title) in items {
        body.push_str(&format!(
            "<item><title>{item_title}</title><guid>{guid}</guid><link>{link}</link>\
             <pubDate>Sun, 22 Nov 2026 13:58:00 +0000</pubDate></item>"
        ));
    }
    body.push_str("</channel></rss>\n");
    body.into_bytes()
}

struct Env {
    _dir: tempfile::TempDir,
    store: Store,
    config: Config,
}

fn env() -> Env {
    cryptoviz::net::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("cryptoviz.db"), StoreOptions::default()).unwrap();
    let mut config = Config::default();
    config.news.timeout_secs = 1;
    config.news.max_body_bytes = 64 * 1024;
    Env {
        _dir: dir,
        store,
        config,
    }
}

impl Env {
    fn poller(&self, feeds: &[String]) -> Poller {
        Poller::new(
            &self.config.news,
            &self.config.net,
            feeds,
            self.store.clone(),
            Arc::new(NoEnrichment),
        )
        .unwrap()
    }

    async fn stored(&self) -> Vec<NewsItem> {
        self.store.recent_news(10_000, None).await.unwrap()
    }
}

fn status_of<'a>(round: &'a PollRound, url: &str) -> &'a FeedStatus {
    &round
        .reports
        .iter()
        .find(|r| r.url == url)
        .unwrap_or_else(|| panic!("no report for {url}"))
        .status
}

fn failure_of(round: &PollRound, url: &str) -> String {
    match status_of(round, url) {
        FeedStatus::Failed { error } => error.clone(),
        other => panic!("{url}: expected a failure, got {other:?}"),
    }
}

#[test]
fn every_saved_feed_parses_with_the_right_count_and_clean_text() {
    let fetched_at = now_ms();
    for (name, count, source) in FIXTURES {
        let items = parse_feed(
            &format!("https://example.com/{name}"),
            &fixture(name),
            fetched_at,
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(items.len(), *count, "{name}");
        let ids: std::collections::HashSet<_> = items.iter().map(|i| &i.id).collect();
        assert_eq!(ids.len(), *count, "{name}: ids are unique");
        for it in &items {
            assert_eq!(it.source, *source, "{name}");
            assert!(!it.title.is_empty(), "{name}");
            assert_clean(&it.title);
            assert_clean(&it.summary);
            assert!(it.link.starts_with("https://"), "{name}: {}", it.link);
            assert!(!it.link.contains("utm_"), "{name}: {}", it.link);
            assert!(
                it.published_at < fetched_at,
                "{name}: dates come from the feed"
            );
        }
    }
    // Entities are decoded, not dropped: Decrypt writes apostrophes as &#39;.
    let decrypt = parse_feed(
        "https://decrypt.co/feed",
        &fixture("decrypt_2025-12.xml"),
        0,
    )
    .unwrap();
    assert!(decrypt.iter().any(|i| i.title.contains("Kwon's")));
}

#[tokio::test]
async fn bad_feeds_fail_alone_while_a_good_feed_succeeds() {
    let e = env();
    let good = fixture("coindesk_small.xml");
    let huge = {
        let mut body = rss("Huge", &[]);
        body.splice(
            39..39,
            b"<!-- "
                .iter()
                .chain(&vec![b'x'; 200_000])
                .chain(b" -->")
                .copied(),
        );
        body
    };
    let server = HttpServer::start(move |req| match req.path() {
        "/good" => Response::ok(good.clone()),
        "/html" => {
            Response::ok("<!DOCTYPE html><html><head><title>Just a moment...</title></head></html>")
                .header("Content-Type", "text/html")
        }
        "/truncated" => Response::ok(good.clone()).fault(Fault::Truncate(2_000)),
        "/latin" => {
            let mut body = good.clone();
            body[1_500] = 0xff;
            body[1_501] = 0xfe;
            Response::ok(body)
        }
        "/huge" => Response::ok(huge.clone()),
        "/slow" => Response::ok(good.clone()).fault(Fault::Slow {
            chunk: 16,
            delay: Duration::from_millis(100),
        }),
        _ => Response::new(404, "no"),
    });
    let endless = EndlessServer::start();
    let url = |p: &str| format!("{}{p}", server.url());
    let feeds = vec![
        url("/html"),
        url("/truncated"),
        url("/good"),
        url("/latin"),
        url("/huge"),
        url("/slow"),
        endless.url(),
    ];
    let mut poller = e.poller(&feeds);
    let started = Instant::now();
    let round = poller.poll_once().await;
    let took = started.elapsed();

    assert_eq!(
        status_of(&round, &url("/good")),
        &FeedStatus::Ok { items: 3, new: 3 }
    );
    let expect = [
        ("/html", "HTML page"),
        ("/truncated", "request failed"),
        ("/latin", "not valid UTF-8"),
        ("/huge", "larger than 65536 bytes"),
        ("/slow", "within 1 s"),
    ];
    for (path, why) in expect {
        let err = failure_of(&round, &url(path));
        assert!(
            err.contains(&url(path)) && err.contains(why),
            "{path}: {err}"
        );
        assert!(!err.contains('\n'), "{err}");
    }
    let err = failure_of(&round, &endless.url());
    assert!(err.contains("larger than 65536 bytes"), "{err}");
    assert!(
        endless.closed_within(Duration::from_secs(2)),
        "the client hung up at the cap instead of reading on ({} bytes sent)",
        endless.sent()
    );
    for r in round.reports.iter().filter(|r| r.url != url("/good")) {
        assert_eq!(r.errors, 1, "{}: one counted error", r.url);
        assert_eq!(r.breaker.consecutive_failures, 1);
    }
    assert!(
        took < Duration::from_secs(4),
        "feeds are polled concurrently: {took:?}"
    );
    assert_eq!(e.stored().await.len(), 3);
    assert_eq!(round.items.len(), 3);
}

#[tokio::test]
async fn conditional_get_turns_a_second_poll_into_304_without_parsing() {
    let e = env();
    let body = fixture("coindesk_small.xml");
    let server = HttpServer::start(move |req| {
        if req.header("if-none-match") == Some("\"v1\"") {
            return Response::new(304, "");
        }
        Response::ok(body.clone())
            .header("ETag", "\"v1\"")
            .header("Last-Modified", "Fri, 25 Sep 2026 14:45:00 GMT")
    });
    let feeds = vec![format!("{}/rss", server.url())];
    let first = e.poller(&feeds).poll_once().await;
    assert_eq!(first.reports[0].status, FeedStatus::Ok { items: 3, new: 3 });

    // A fresh poller (as the next `cryptoviz news` run would be) reads the stored validators.
    let second = e.poller(&feeds).poll_once().await;
    assert_eq!(second.reports[0].status, FeedStatus::NotModified);
    assert!(second.items.is_empty() && second.new_items.is_empty());
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].header("if-none-match"), None);
    assert_eq!(reqs[1].header("if-none-match"), Some("\"v1\""));
    assert_eq!(
        reqs[1].header("if-modified-since"),
        Some("Fri, 25 Sep 2026 14:45:00 GMT")
    );
    assert_eq!(e.stored().await.len(), 3);
}

#[tokio::test]
async fn requests_name_cryptoviz_in_the_user_agent() {
    let e = env();
    let body = fixture("coindesk_small.xml");
    let server = HttpServer::start(move |_| Response::ok(body.clone()));
    e.poller(&[server.url()]).poll_once().await;
    let ua = server.requests()[0]
        .header("user-agent")
        .unwrap()
        .to_string();
    assert!(ua.starts_with("cryptoviz/"), "{ua}");
}

#[tokio::test]
async fn repeated_polls_and_repeated_stories_are_stored_once() {
    let e = env();
    let a = rss(
        "Wire A",
        &[
            ("a-1", "https://news.example/story-1", "Bitcoin rallies"),
            ("a-2", "https://news.example/", "Home-linked item one"),
            ("a-3", "https://news.example/", "Home-linked item two"),
        ],
    );
    // The same story under its own guid, with tracking parameters and a fragment.
    let b = rss(
        "Wire B",
        &[
            (
                "b-9",
                "https://NEWS.example/story-1?utm_source=rss&amp;utm_medium=x#top",
                "Bitcoin rallies!",
            ),
            ("b-10", "https://other.example/story-2", "Ether slips"),
        ],
    );
    let server = HttpServer::start(move |req| match req.path() {
        "/a" => Response::ok(a.clone()),
        _ => Response::ok(b.clone()),
    });
    let (fa, fb) = (format!("{}/a", server.url()), format!("{}/b", server.url()));

    let mut poller = e.poller(&[fa.clone(), fb.clone()]);
    let first = poller.poll_once().await;
    assert_eq!(status_of(&first, &fa), &FeedStatus::Ok { items: 3, new: 3 });
    assert_eq!(status_of(&first, &fb), &FeedStatus::Ok { items: 2, new: 1 });
    assert_eq!(first.items.len(), 4, "one entry per story");
    let second = poller.poll_once().await;
    assert!(second.new_items.is_empty());
    assert_eq!(
        status_of(&second, &fb),
        &FeedStatus::Ok { items: 2, new: 0 }
    );
    let stored = e.stored().await;
    assert_eq!(stored.len(), 4, "{stored:#?}");

    // A story first seen in A, then met in B by a new process: still one row.
    let e2 = env();
    e2.poller(std::slice::from_ref(&fa)).poll_once().await;
    let later = e2.poller(std::slice::from_ref(&fb)).poll_once().await;
    assert_eq!(status_of(&later, &fb), &FeedStatus::Ok { items: 2, new: 1 });
    assert_eq!(e2.stored().await.len(), 4);
}

#[tokio::test]
async fn escape_sequences_never_reach_the_store() {
    let e = env();
    let hostile = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel>\
        <title>Evil\u{1b}[2J Wire</title>\
        <item><guid>1</guid><title>\u{1b}[31mBTC\u{1b}]0;pwn\u{7} up</title>\
          <description>x\u{9b}31m\u{202e}y</description></item>\
        <item><guid>2</guid><title>&#27;[5mETH&#x9b;1m &amp;#27;]52;c;AAAA&amp;#7; down</title></item>\
        <item><guid>3</guid><title><![CDATA[<b>SOL</b>&#x1b;[0m <script>alert(1)</script>flat]]></title></item>\
        </channel></rss>";
    let server = HttpServer::start(move |_| Response::ok(hostile));
    let round = e.poller(&[server.url()]).poll_once().await;
    assert!(
        matches!(round.reports[0].status, FeedStatus::Ok { items: 3, .. }),
        "{:?}",
        round.reports[0]
    );
    let mut stored = e.stored().await;
    stored.sort_by(|a, b| a.id.cmp(&b.id));
    let titles: Vec<&str> = stored.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(titles, ["BTC up", "ETH down", "SOL flat"]);
    for it in &stored {
        for text in [&it.title, &it.summary, &it.source, &it.id, &it.link] {
            assert!(!text.chars().any(is_unsafe), "{text:?}");
        }
    }
    assert_eq!(stored[0].summary, "xy");
    assert_eq!(stored[0].source, "Evil Wire");
}

#[tokio::test]
async fn a_failing_feed_opens_its_breaker_and_a_busy_one_is_left_alone() {
    let mut e = env();
    e.config.net.breaker.failure_threshold = 2;
    e.config.net.breaker.open_secs = 60;
    let good = fixture("coindesk_small.xml");
    let server = HttpServer::start(move |req| match req.path() {
        "/good" => Response::ok(good.clone()),
        "/busy" => Response::new(503, "later").header("Retry-After", "120"),
        _ => Response::ok("<html><body>oops</body></html>"),
    });
    let url = |p: &str| format!("{}{p}", server.url());
    let mut poller = e.poller(&[url("/broken"), url("/busy"), url("/good")]);
    let hits = |p: &str| server.requests().iter().filter(|r| r.path() == p).count();

    let r1 = poller.poll_once().await;
    assert!(failure_of(&r1, &url("/busy")).contains("HTTP 503 (retry after 120 s)"));
    let r2 = poller.poll_once().await;
    assert!(
        matches!(status_of(&r2, &url("/busy")), FeedStatus::Skipped { retry_in_secs } if *retry_in_secs > 100),
        "Retry-After is respected: {:?}",
        status_of(&r2, &url("/busy"))
    );
    failure_of(&r2, &url("/broken"));
    let r3 = poller.poll_once().await;
    let broken = r3.reports.iter().find(|r| r.url == url("/broken")).unwrap();
    assert!(
        matches!(broken.status, FeedStatus::Skipped { .. }),
        "{broken:?}"
    );
    assert_eq!(broken.breaker.state.as_str(), "open");
    assert_eq!(broken.errors, 2);

    assert_eq!(hits("/broken"), 2, "no request while the breaker is open");
    assert_eq!(hits("/busy"), 1);
    assert_eq!(hits("/good"), 3, "other feeds are not held back");
    assert!(matches!(
        status_of(&r3, &url("/good")),
        FeedStatus::Ok { .. }
    ));
}

#[tokio::test]
async fn the_loop_reports_feeds_emits_new_items_and_stops_on_shutdown() {
    let mut e = env();
    e.config.news.interval_secs = 1;
    let body = fixture("coindesk_small.xml");
    let server = HttpServer::start(move |_| Response::ok(body.clone()));
    let poller = e.poller(&[server.url()]);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let (_refresh_tx, refresh_rx) = tokio::sync::watch::channel(0u64);
    let task = tokio::spawn(poller.run(stop_rx, refresh_rx, tx));

    let mut feed_reports = Vec::new();
    let mut new_items = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while feed_reports.len() < 2 {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(NewsEvent::Feed(r))) => feed_reports.push(r.status),
            Ok(Some(NewsEvent::Items(items))) => new_items += items.len(),
            other => panic!("loop stalled: {other:?}"),
        }
    }
    assert_eq!(feed_reports[0], FeedStatus::Ok { items: 3, new: 3 });
    assert_eq!(feed_reports[1], FeedStatus::Ok { items: 3, new: 0 });
    assert_eq!(new_items, 3, "known items are not announced again");

    stop_tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the loop stops on shutdown")
        .unwrap();
}

/// A server that answers 200 with a chunked body that never ends (no Content-Length), so
/// only the client's own byte count can stop it.
struct EndlessServer {
    url: String,
    sent: Arc<std::sync::atomic::AtomicUsize>,
    stop: Arc<AtomicBool>,
    closed: Arc<AtomicBool>,
}

impl EndlessServer {
    fn start() -> EndlessServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/endless", listener.local_addr().unwrap());
        let sent = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let closed = Arc::new(AtomicBool::new(false));
        let (s, st, cl) = (sent.clone(), stop.clone(), closed.clone());
        std::thread::spawn(move || {
            let Ok((mut conn, _)) = listener.accept() else {
                return;
            };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 2 {
                line.clear();
            }
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n\
                        Transfer-Encoding: chunked\r\n\r\n";
            if conn.write_all(head.as_bytes()).is_err() {
                return;
            }
            let chunk = format!("{:x}\r\n{}\r\n", 8192, "<".repeat(8192));
            while !st.load(Ordering::SeqCst) && conn.write_all(chunk.as_bytes()).is_ok() {
                s.fetch_add(8192, Ordering::SeqCst);
            }
            cl.store(true, Ordering::SeqCst);
        });
        EndlessServer {
            url,
            sent,
            stop,
            closed,
        }
    }

    fn url(&self) -> String {
        self.url.clone()
    }

    /// Whether writing failed (the peer closed) within `limit`.
    fn closed_within(&self, limit: Duration) -> bool {
        let until = Instant::now() + limit;
        while Instant::now() < until {
            if self.closed.load(Ordering::SeqCst) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }

    fn sent(&self) -> usize {
        self.sent.load(Ordering::SeqCst)
    }
}

impl Drop for EndlessServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// A feed that invents 500 new items on every poll (half of them dated a year ago) adds at
/// most `max_items_per_feed` per poll, and nothing past `retention_days` stays stored.
#[tokio::test]
async fn a_feed_inventing_items_every_poll_is_bounded() {
    let mut e = env();
    e.config.news.max_body_bytes = 1 << 20;
    let polls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = polls.clone();
    let server = HttpServer::start(move |_| {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        let mut body = String::from(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Flood</title>",
        );
        for i in 0..500 {
            let date = if i % 2 == 0 {
                "Mon, 01 Dec 2025 10:00:00 +0000"
            } else {
                "Sun, 22 Nov 2026 13:58:00 +0000"
            };
            body.push_str(&format!(
                "<item><title>Story {n}-{i}</title><guid>g-{n}-{i}</guid>\
                 <link>https://example.com/{n}/{i}</link><pubDate>{date}</pubDate></item>"
            ));
        }
        body.push_str("</channel></rss>");
        Response::ok(body)
    });
    let mut poller = e.poller(&[server.url()]);
    for _ in 0..4 {
        let round = poller.poll_once().await;
        // Counted for /metrics (news_items_dropped): 400 of 500 not taken.
        assert_eq!(round.reports[0].dropped, 400);
    }
    let stored = e.stored().await;
    assert_eq!(polls.load(Ordering::SeqCst), 4);
    assert_eq!(stored.len(), 4 * 100, "100 a poll, the newest");
    let year_ago = now_ms() - 300 * 86_400_000;
    assert!(stored.iter().all(|n| n.published_at > year_ago));

    // Past the store's cap, the oldest go first.
    let n = cryptoviz::news::poller::MAX_STORED_NEWS;
    let flood: Vec<NewsItem> = (0..n + 50)
        .map(|i| {
            let mut it = stored[0].clone();
            it.id = format!("flood-{i}");
            it.published_at = now_ms() - (n + 50 - i) as i64 * 1_000;
            it
        })
        .collect();
    e.store.insert_news(flood).await.unwrap();
    let pruned = e.store.call(move |b| b.prune_news(0, n)).await.unwrap();
    assert_eq!(pruned, 400 + 50);
    let left = e.store.recent_news(usize::MAX, None).await.unwrap();
    assert_eq!(left.len(), n);
    assert!(left.iter().all(|it| it.id.starts_with("flood-")));
    assert!(
        !left.iter().any(|it| it.id == "flood-0"),
        "the oldest went first"
    );
}
