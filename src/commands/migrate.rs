//! `migrate --to STORE`: copies the whole store into another one, exactly: every candle in
//! the tier it lives in (cold chunks byte for byte, hot rows with their source), news, feed
//! validators, backfill records, alert rules and states, firings with their deliveries, the
//! markets added to the watchlist (the venues' market lists are a cache, fetched again). What
//! the target holds already is kept, so a second run adds nothing. A collector may keep
//! writing the source meanwhile (it is then read, not locked).

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};

use super::{Context, usage};
use crate::cli::MigrateArgs;
use crate::domain::Millis;
use crate::store::{CandleSource, Store, StoreUrl};

/// Hot candles are written in pages of this many, one transaction each.
const PAGE: usize = 5_000;
/// All of them: news are few enough to copy in one read.
const ALL_NEWS: usize = 1 << 40;

#[derive(Default)]
struct Copied {
    series: usize,
    hot_rows: usize,
    cold_chunks_new: usize,
    cold_chunks: usize,
    news_new: usize,
    news: usize,
    firings_new: usize,
    firings: usize,
    progress: usize,
    rules: usize,
    watchlist: usize,
}

pub async fn run(ctx: &Context, args: MigrateArgs) -> anyhow::Result<ExitCode> {
    let to = StoreUrl::parse(&args.to).map_err(|e| usage(format!("--to {e}")))?;
    super::warn_password_in_argv("--to", &to, &args.to);
    let from = ctx.store_url();
    if same_store(&from, &to, &ctx.data_dir) {
        return Err(usage(format!("--to {to} is the store being copied")));
    }
    let (src, _) = ctx.open_existing().context("the store to copy")?;
    let dst = Store::open_url(&to, &ctx.data_dir, ctx.store_options())
        .context("the store to copy into")?;
    let before = dst.stats().await?.candles;
    let keys = src.call(|b| b.series_keys()).await?;
    let bar = progress_bar(keys.len() as u64 + 3);
    let mut c = Copied::default();

    for key in keys {
        bar.set_message(format!("{} {}", key.symbol, key.timeframe));
        let chunks = src.call(move |b| b.cold_chunks(key)).await?;
        c.cold_chunks += chunks.len();
        c.cold_chunks_new += dst.call(move |b| b.put_cold_chunks(key, &chunks)).await?;
        let hot = src.call(move |b| b.hot_candles(key)).await?;
        c.hot_rows += hot.len();
        for source in [
            CandleSource::Live,
            CandleSource::Rest,
            CandleSource::Import,
            CandleSource::Demo,
        ] {
            let rows: Vec<_> = hot
                .iter()
                .filter(|(_, s)| *s == source)
                .map(|(c, _)| *c)
                .collect();
            for page in rows.chunks(PAGE) {
                dst.write_klines(key, page.to_vec(), source, None).await?;
            }
        }
        c.series += 1;
        bar.inc(1);
    }

    bar.set_message("news");
    let news = src.recent_news(ALL_NEWS, None).await?;
    c.news = news.len();
    c.news_new = dst.insert_news(news).await?;
    let feeds = src.call(|b| b.feed_states()).await?;
    dst.call(move |b| {
        feeds
            .iter()
            .try_for_each(|(url, st)| b.save_feed_state(url, st))
    })
    .await?;
    bar.inc(1);

    bar.set_message("backfill records");
    let progress = src.call(|b| b.all_progress()).await?;
    c.progress = progress.len();
    dst.call(move |b| progress.iter().try_for_each(|p| b.save_progress(p)))
        .await?;
    bar.inc(1);

    bar.set_message("alerts");
    let rules = src.call(|b| b.stored_rules()).await?;
    c.rules = rules.len();
    let states = src.call(|b| b.alert_states()).await?;
    dst.call(move |b| {
        rules.iter().try_for_each(|r| b.save_rule(r))?;
        states
            .iter()
            .try_for_each(|(n, s)| b.save_alert_state(n, *s))
    })
    .await?;
    let firings = src.call(|b| b.firings(Millis::MIN, Millis::MAX)).await?;
    let deliveries = src.call(|b| b.deliveries()).await?;
    c.firings = firings.len();
    c.firings_new = dst
        .call(move |b| {
            let mut new = 0;
            for f in &firings {
                new += b.put_firing(f, &deliveries)? as usize;
            }
            Ok(new)
        })
        .await?;
    // The target's added markets stay first; the source's others follow.
    let added = src.call(|b| b.watchlist()).await?;
    c.watchlist = added.len();
    dst.call(move |b| {
        let mut list = b.watchlist()?;
        let before = list.len();
        list.extend(
            added
                .into_iter()
                .filter(|s| !list.contains(s))
                .collect::<Vec<_>>(),
        );
        if list.len() > before {
            b.set_watchlist(&list)?;
        }
        Ok(())
    })
    .await?;
    bar.inc(1);
    bar.finish_and_clear();

    let after = dst.stats().await?.candles;
    let name = dst.name().to_string();
    dst.close().await?;
    src.close().await?;
    super::out(format_args!(
        "copied into {name}: {} series ({} hot candles, {} cold chunks of which {} new): \
         {} candles added; {} news items ({} new), {} firings ({} new), {} backfill records, {} alert rules, {} added markets",
        c.series,
        c.hot_rows,
        c.cold_chunks,
        c.cold_chunks_new,
        after.saturating_sub(before),
        c.news,
        c.news_new,
        c.firings,
        c.firings_new,
        c.progress,
        c.rules,
        c.watchlist,
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// A bar on stderr when it is a terminal; otherwise nothing but the closing line.
fn progress_bar(len: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} series {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

fn same_store(a: &StoreUrl, b: &StoreUrl, data_dir: &std::path::Path) -> bool {
    match (a.sqlite_path(data_dir), b.sqlite_path(data_dir)) {
        (Some(x), Some(y)) => {
            let canon = |p: std::path::PathBuf| std::fs::canonicalize(&p).unwrap_or(p);
            canon(x) == canon(y)
        }
        (None, None) => a.to_string() == b.to_string(),
        _ => false,
    }
}
