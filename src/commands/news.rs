//! `cryptoviz news [--feed URL]... [--json]`: poll the feeds once, store what is new, and print
//! every feed's current items (new and already known), newest first. Exit 0 when at least one feed
//! answered, 1 when all failed (one stderr line per failed feed).

use std::collections::HashSet;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;

use super::{Context, EXIT_FAILURE};
use crate::cli::NewsArgs;
use crate::domain::{NewsItem, now_ms};
use crate::news::demo::demo_items;
use crate::news::poller::{Enricher, FeedStatus, PollRound, Poller};
use crate::report::NewsReport;
use crate::store::Store;

pub async fn run(ctx: &Context, args: NewsArgs) -> anyhow::Result<ExitCode> {
    let feeds = if args.feeds.is_empty() {
        ctx.config.news.feeds.clone()
    } else {
        args.feeds
    };
    if let Some(bad) = feeds.iter().find(|f| !is_http_url(f)) {
        return Err(super::usage(format!(
            "--feed {bad:?}: not an http:// or https:// URL"
        )));
    }
    let enricher: Arc<dyn Enricher> =
        Arc::new(crate::news::enrich::Scoring::from_config(&ctx.config.news));
    if ctx.demo {
        // No simulated market here: the headlines speak of where it starts.
        let levels = crate::news::demo::DemoLevels::default();
        print_items(&demo_items(now_ms(), levels, &*enricher), args.json)?;
        return Ok(ExitCode::SUCCESS);
    }
    if feeds.is_empty() {
        return Err(super::usage(
            "no feeds to fetch: pass --feed URL or set news.feeds in the config",
        ));
    }
    let store = ctx.open_store()?;
    let mut poller = Poller::new(
        &ctx.config.news,
        &ctx.config.net,
        &feeds,
        store.clone(),
        enricher,
    )?;
    let round = poller.poll_once().await;
    let items = with_unchanged_feeds(&store, &round).await;
    store.close().await.context("closing the database")?;
    let items = items?;

    let mut answered = 0;
    for r in &round.reports {
        match &r.status {
            FeedStatus::Ok { .. } | FeedStatus::NotModified => answered += 1,
            FeedStatus::Failed { error } => stderr!("cryptoviz: {error}"),
            FeedStatus::Skipped { retry_in_secs } => stderr!(
                "cryptoviz: feed {}: skipped, retry in {retry_in_secs} s",
                r.url
            ),
        }
    }
    if answered == 0 {
        return Ok(ExitCode::from(EXIT_FAILURE));
    }
    print_items(&items, args.json)?;
    if !args.json {
        let total = items.len();
        let new = round.new_items.len();
        let line = format!(
            "{answered} of {} feeds answered, {total} items, {new} new",
            round.reports.len()
        );
        write_stdout(&format!("{line}\n"))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// How many stored items are searched for a feed that answered 304.
const UNCHANGED_FEED_LOOKBACK: usize = 2_000;

/// The items of this poll plus, for feeds that answered 304 (so nothing was re-downloaded),
/// their items as already stored: the output shows each feed's current items either way.
async fn with_unchanged_feeds(store: &Store, round: &PollRound) -> anyhow::Result<Vec<NewsItem>> {
    let unchanged: HashSet<&str> = round
        .reports
        .iter()
        .filter(|r| r.status == FeedStatus::NotModified)
        .map(|r| r.url.as_str())
        .collect();
    let mut items = round.items.clone();
    if unchanged.is_empty() {
        return Ok(items);
    }
    let have: HashSet<String> = items.iter().map(|it| it.id.clone()).collect();
    let stored = store
        .recent_news(UNCHANGED_FEED_LOOKBACK, None)
        .await
        .context("reading stored news")?;
    items.extend(
        stored
            .into_iter()
            .filter(|it| unchanged.contains(it.feed.as_str()) && !have.contains(&it.id)),
    );
    items.sort_by(|a, b| b.published_at.cmp(&a.published_at).then(a.id.cmp(&b.id)));
    Ok(items)
}

fn is_http_url(s: &str) -> bool {
    reqwest::Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

fn print_items(items: &[NewsItem], json: bool) -> anyhow::Result<()> {
    let text = if json {
        let array: Vec<NewsReport> = items.iter().map(NewsReport::from).collect();
        format!("{}\n", serde_json::to_string_pretty(&array)?)
    } else {
        table(items)
    };
    write_stdout(&text)
}

/// One line per item: local time, source, sentiment, coins, title. Titles are already clean.
fn table(items: &[NewsItem]) -> String {
    let mut out = String::new();
    for it in items {
        let time = chrono::DateTime::from_timestamp_millis(it.published_at)
            .map(|t| {
                t.with_timezone(&chrono::Local)
                    .format("%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_default();
        let coins = if it.symbols.is_empty() {
            "-".to_string()
        } else {
            it.symbols.join(",")
        };
        out.push_str(&format!(
            "{time:<11}  {:<14.14}  {}  {coins:<10}  {}\n",
            it.source,
            sentiment_mark(&it.title_sentiment),
            it.title
        ));
    }
    out
}

/// The scorer's class as the dashboard marks it, and its compound.
fn sentiment_mark(s: &crate::domain::Sentiment) -> String {
    format!(
        "{}{:+.2}",
        crate::ui::news::sentiment_mark(s.label),
        s.compound
    )
}

/// Writes to stdout; a closed pipe (`cryptoviz news | head`) ends output quietly.
fn write_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::anyhow!("cannot write to stdout: {e}"))
        }
        _ => Ok(()),
    }
}
