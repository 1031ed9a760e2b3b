//! Feed bytes -> clean [`NewsItem`]s. Parsing is `feed-rs` (RSS 0.9x/1.0/2.0, Atom, JSON
//! Feed); this module decides what counts as a usable feed, gives every item a stable id, and
//! runs every string through [`super::clean`] before it leaves.

use feed_rs::model::{Entry, Feed};
use reqwest::Url;

use super::clean::{clean_summary, clean_text, clean_title};
use crate::domain::{Millis, NewsItem};

/// Why a feed body was not accepted; names the feed so a log line or stderr line stands alone.
#[derive(Debug, thiserror::Error)]
#[error("feed {url}: {reason}")]
pub struct FeedError {
    pub url: String,
    pub reason: FeedErrorKind,
}

#[derive(Debug, thiserror::Error)]
pub enum FeedErrorKind {
    #[error("empty body")]
    Empty,
    #[error("got an HTML page, not an RSS or Atom feed")]
    Html,
    #[error("body is not valid UTF-8 (at byte {0})")]
    NotUtf8(usize),
    #[error("truncated XML (the document does not end with a closing tag)")]
    Truncated,
    #[error("not a feed: {0}")]
    Invalid(String),
}

/// Ids longer than this are hashed: a guid is an identity, not a payload.
const MAX_ID_CHARS: usize = 200;
/// Links longer than this are dropped rather than stored.
const MAX_LINK_CHARS: usize = 2048;

/// Parses one fetched body. Items get `feed = url`, a source name from the feed's title, and
/// `fetched_at`; scores and coins stay default until an enricher fills them.
pub fn parse_feed(url: &str, body: &[u8], fetched_at: Millis) -> Result<Vec<NewsItem>, FeedError> {
    let fail = |reason| FeedError {
        url: url.to_string(),
        reason,
    };
    check_body(body).map_err(fail)?;
    let feed = feed_rs::parser::Builder::new()
        // An empty id means "the feed gave none"; our own fallbacks apply (see `item_id`).
        .id_generator(|_, _, _| String::new())
        .base_uri(Some(url))
        .build()
        .parse(body)
        .map_err(|e| fail(parse_error_kind(body, &e)))?;
    Ok(items_of(&feed, url, fetched_at))
}

/// Cheap checks feed-rs would otherwise answer vaguely (or, for a cut after the last item,
/// not at all).
fn check_body(body: &[u8]) -> Result<(), FeedErrorKind> {
    let text = body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(body);
    let trimmed = text.trim_ascii();
    if trimmed.is_empty() {
        return Err(FeedErrorKind::Empty);
    }
    if looks_like_html(trimmed) {
        return Err(FeedErrorKind::Html);
    }
    if declares_utf8(trimmed)
        && let Err(e) = std::str::from_utf8(body)
    {
        return Err(FeedErrorKind::NotUtf8(e.valid_up_to()));
    }
    if trimmed.starts_with(b"<") && !ends_with_closing_tag(trimmed) {
        return Err(FeedErrorKind::Truncated);
    }
    Ok(())
}

fn looks_like_html(trimmed: &[u8]) -> bool {
    let head = &trimmed[..trimmed.len().min(1024)];
    let lower = head.to_ascii_lowercase();
    lower.starts_with(b"<!doctype html") || lower.starts_with(b"<html") || {
        // An XML prolog or comment may precede the root; look at the first real element.
        let root = first_element(&lower);
        root.starts_with(b"<html") || root.starts_with(b"<!doctype html")
    }
}

/// The first `<` that starts neither a processing instruction nor a comment.
fn first_element(lower: &[u8]) -> &[u8] {
    let mut rest = lower;
    while let Some(at) = rest.iter().position(|b| *b == b'<') {
        rest = &rest[at..];
        let skip_to = if rest.starts_with(b"<?") {
            rest.windows(2).position(|w| w == b"?>").map(|p| p + 2)
        } else if rest.starts_with(b"<!--") {
            rest.windows(3).position(|w| w == b"-->").map(|p| p + 3)
        } else {
            return rest;
        };
        match skip_to {
            Some(n) => rest = &rest[n..],
            None => return b"",
        }
    }
    b""
}

/// No XML declaration, or one naming UTF-8, means the bytes must be UTF-8. Other declared
/// encodings (ISO-8859-1, ...) are decoded by feed-rs.
fn declares_utf8(trimmed: &[u8]) -> bool {
    if !trimmed.starts_with(b"<?xml") {
        return true;
    }
    let decl_end = trimmed
        .iter()
        .position(|b| *b == b'>')
        .unwrap_or(trimmed.len());
    let decl = trimmed[..decl_end].to_ascii_lowercase();
    let Some(at) = decl.windows(8).position(|w| w == b"encoding") else {
        return true;
    };
    let value: Vec<u8> = decl[at + 8..]
        .iter()
        .copied()
        .skip_while(|b| matches!(b, b' ' | b'=' | b'"' | b'\''))
        .take_while(|b| !matches!(b, b'"' | b'\'' | b' ' | b'?'))
        .collect();
    value == b"utf-8" || value == b"utf8"
}

fn ends_with_closing_tag(trimmed: &[u8]) -> bool {
    trimmed.ends_with(b">")
        && trimmed
            .iter()
            .rposition(|b| *b == b'<')
            .is_some_and(|at| trimmed[at..].starts_with(b"</"))
}

fn parse_error_kind(body: &[u8], e: &feed_rs::parser::ParseFeedError) -> FeedErrorKind {
    use feed_rs::parser::{ParseErrorKind, ParseFeedError};
    match e {
        ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot) => {
            if first_element(&body.to_ascii_lowercase()).is_empty() {
                FeedErrorKind::Invalid("no XML or JSON document".into())
            } else {
                FeedErrorKind::Invalid("no RSS or Atom root element".into())
            }
        }
        other => FeedErrorKind::Invalid(clean_text(&other.to_string(), 200)),
    }
}

fn items_of(feed: &Feed, url: &str, fetched_at: Millis) -> Vec<NewsItem> {
    let source = source_name(feed.title.as_ref().map(|t| t.content.as_str()), url);
    feed.entries
        .iter()
        .filter_map(|e| item_of(e, url, &source, fetched_at))
        .collect()
}

/// An entry without a readable title is not news; it is skipped.
fn item_of(e: &Entry, url: &str, source: &str, fetched_at: Millis) -> Option<NewsItem> {
    let title = clean_title(e.title.as_ref()?.content.as_str());
    if title.is_empty() {
        return None;
    }
    let link = entry_link(e).unwrap_or_default();
    let summary = e
        .summary
        .as_ref()
        .map(|t| t.content.as_str())
        .or_else(|| e.content.as_ref().and_then(|c| c.body.as_deref()))
        .map(clean_summary)
        .unwrap_or_default();
    let published_at = e
        .published
        .or(e.updated)
        .map(|t| t.timestamp_millis())
        // News is not published in the future; a skewed or bogus date reads as "just now".
        .map_or(fetched_at, |t| t.min(fetched_at));
    Some(NewsItem {
        id: item_id(&e.id, &link, &title),
        source: source.to_string(),
        feed: url.to_string(),
        title,
        link,
        published_at,
        fetched_at,
        summary,
        symbols: Vec::new(),
        title_sentiment: Default::default(),
        summary_sentiment: None,
    })
}

/// The article link: the `alternate` (or unlabelled) link, else the first, canonicalized.
fn entry_link(e: &Entry) -> Option<String> {
    let link = e
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or_else(|| e.links.first())?;
    canonical_link(&link.href)
}

/// The guid or entry id if the feed gave one, else the canonical link, else a hash of the
/// normalized title. Stable across runs and machines, so dedup survives restarts.
pub fn item_id(raw_id: &str, canonical_link: &str, title: &str) -> String {
    let id = clean_text(raw_id, usize::MAX);
    if !id.is_empty() {
        if id.chars().count() <= MAX_ID_CHARS {
            return id;
        }
        return format!("guid:{:016x}", fnv1a64(id.as_bytes()));
    }
    if !canonical_link.is_empty() {
        return canonical_link.to_string();
    }
    format!("title:{:016x}", fnv1a64(normalize_title(title).as_bytes()))
}

/// Lower-case words separated by single spaces, so case and punctuation changes do not make
/// a story new.
fn normalize_title(title: &str) -> String {
    title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// 64-bit FNV-1a: tiny, and the same on every run (std's hasher is randomly keyed).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The link that identifies a story: http(s) only, host lower-cased, fragment and `utm_*`
/// tracking parameters removed. `None` for anything that is not a usable web link.
pub fn canonical_link(raw: &str) -> Option<String> {
    let mut url = Url::parse(raw.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    url.set_fragment(None);
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !k.to_ascii_lowercase().starts_with("utm_"))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else if url
        .query()
        .is_some_and(|q| q.to_ascii_lowercase().contains("utm_"))
    {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    let out: String = url.into();
    (out.len() <= MAX_LINK_CHARS).then_some(out)
}

/// A short human name for a feed: "CoinDesk: Bitcoin, Ethereum, ..." -> "CoinDesk",
/// "Cointelegraph.com News" -> "Cointelegraph"; the host when the title gives nothing usable.
pub fn source_name(feed_title: Option<&str>, feed_url: &str) -> String {
    let from_title = feed_title
        .map(clean_title)
        .map(|t| shorten_title(&t))
        .filter(|t| !t.is_empty() && t.chars().count() <= 40);
    from_title.unwrap_or_else(|| {
        Url::parse(feed_url)
            .ok()
            .and_then(|u| {
                u.host_str()
                    .map(|h| h.trim_start_matches("www.").to_string())
            })
            .unwrap_or_else(|| clean_text(feed_url, 40))
    })
}

fn shorten_title(title: &str) -> String {
    let mut name = title;
    for sep in [":", " | ", " - ", " – ", " — "] {
        if let Some((head, _)) = name.split_once(sep) {
            name = head;
        }
    }
    let mut name = name.trim();
    loop {
        let lower = name.to_ascii_lowercase();
        let Some(cut) = [
            " news", " rss", " feed", ".com", ".co", ".io", ".org", ".net",
        ]
        .iter()
        .find(|s| lower.ends_with(*s)) else {
            break;
        };
        name = name[..name.len() - cut.len()].trim_end();
    }
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Millis = 1_800_000_000_000;

    fn rss(items: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel>\
             <title>Test Wire</title>{items}</channel></rss>"
        )
    }

    fn kind(body: &[u8]) -> FeedErrorKind {
        parse_feed("http://x/feed", body, NOW).unwrap_err().reason
    }

    #[test]
    fn ids_fall_back_from_guid_to_link_to_title_hash() {
        let body = rss(
            "<item><title>A</title><guid>g-1</guid><link>http://x/a</link></item>\
             <item><title>B</title><link>HTTP://X.COM/b?utm_source=rss&amp;p=1#top</link></item>\
             <item><title>C  Story!</title></item>",
        );
        let items = parse_feed("http://x/feed", body.as_bytes(), NOW).unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].id, "g-1");
        assert_eq!(items[1].id, "http://x.com/b?p=1");
        assert_eq!(items[1].link, "http://x.com/b?p=1");
        assert_eq!(items[2].id, item_id("", "", "c story"));
        assert!(items[2].id.starts_with("title:"));
        assert_eq!(items[0].source, "Test Wire");
        assert_eq!(items[0].published_at, NOW, "no date means fetch time");
    }

    #[test]
    fn fnv_is_the_reference_function() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn canonical_links() {
        assert_eq!(
            canonical_link("https://CoinTelegraph.com/news/x?utm_source=rss_feed&utm_medium=rss")
                .as_deref(),
            Some("https://cointelegraph.com/news/x")
        );
        assert_eq!(canonical_link("javascript:alert(1)"), None);
        assert_eq!(canonical_link("not a url"), None);
        assert_eq!(
            canonical_link("https://decrypt.co/?p=352201").as_deref(),
            Some("https://decrypt.co/?p=352201")
        );
    }

    #[test]
    fn source_names() {
        let n = |t| source_name(Some(t), "https://www.example.com/rss");
        assert_eq!(
            n("CoinDesk: Bitcoin, Ethereum, Crypto News and Price Data"),
            "CoinDesk"
        );
        assert_eq!(n("Cointelegraph.com News"), "Cointelegraph");
        assert_eq!(n("Decrypt"), "Decrypt");
        assert_eq!(n("   "), "example.com");
        assert_eq!(source_name(None, "http://127.0.0.1:8080/f"), "127.0.0.1");
    }

    #[test]
    fn bad_bodies_are_named() {
        assert!(matches!(kind(b""), FeedErrorKind::Empty));
        assert!(matches!(kind(b" \n "), FeedErrorKind::Empty));
        assert!(matches!(
            kind(b"<!DOCTYPE html><html><body>Just a moment...</body></html>"),
            FeedErrorKind::Html
        ));
        assert!(matches!(
            kind(b"<?xml version=\"1.0\"?>\n<!-- x --><html></html>"),
            FeedErrorKind::Html
        ));
        let mut bad = rss("<item><title>A</title></item>").into_bytes();
        bad[60] = 0xff;
        assert!(matches!(kind(&bad), FeedErrorKind::NotUtf8(60)));
        let full = rss("<item><title>A</title></item>");
        assert!(matches!(
            kind(&full.as_bytes()[..full.len() - 3]),
            FeedErrorKind::Truncated
        ));
        assert!(matches!(
            kind(&full.as_bytes()[..50]),
            FeedErrorKind::Truncated
        ));
        assert!(matches!(kind(b"hello"), FeedErrorKind::Invalid(_)));
        let e = parse_feed("http://x/feed", b"", NOW)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "feed http://x/feed: empty body");
    }

    #[test]
    fn latin1_feeds_are_decoded_not_refused() {
        let body = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\">\
            <channel><title>T</title><item><title>Caf\xe9</title></item></channel></rss>";
        let items = parse_feed("http://x/feed", body, NOW).unwrap();
        assert_eq!(items[0].title, "Café");
    }

    #[test]
    fn future_dates_are_clamped_and_atom_parses() {
        let atom = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Atom Src</title>\
            <entry><id>urn:1</id><title type=\"html\">&lt;b&gt;Hi&lt;/b&gt; there</title>\
            <updated>2099-01-01T00:00:00Z</updated><link href=\"/rel#x\"/>\
            <summary>Sum &amp;amp; more</summary></entry></feed>";
        let items = parse_feed("http://h.example/atom.xml", atom.as_bytes(), NOW).unwrap();
        assert_eq!(items[0].title, "Hi there");
        assert_eq!(items[0].published_at, NOW);
        assert_eq!(items[0].link, "http://h.example/rel");
        assert_eq!(items[0].summary, "Sum & more");
    }
}
