//! `migrate --to STORE`: copies the whole store into another one, exactly: every candle in
//! the tier it lives in (cold chunks byte for byte, hot rows with their source), news, feed
//! validators, backfill records, alert rules and states, firings with their deliveries, the
//! markets added to the watchlist (the venues' market lists are a cache, fetched again). What
//! the target holds already is kept, so a second run adds nothing: a candle the target holds
//! with other values is a conflict, counted and shown with its first example, and only
//! `--overwrite` lets the source win. A collector may keep writing the source meanwhile (it
//! is then read, not locked).

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};

use super::{Context, usage};
use crate::cli::MigrateArgs;
use std::collections::HashMap;

use crate::domain::{Candle, Millis, SeriesKey};
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
    /// Candles the target did not hold, held the same, held otherwise; conflicts written
    /// over with `--overwrite`.
    added: usize,
    identical: usize,
    conflicting: usize,
    overwritten: usize,
    first_conflict: Option<String>,
    news_new: usize,
    news: usize,
    firings_new: usize,
    firings: usize,
    progress: usize,
    rules: usize,
    watchlist: usize,
    ledger: usize,
    ledger_new: usize,
    deriv_samples: usize,
    snapshots: usize,
}

pub async fn run(ctx: &Context, args: MigrateArgs) -> anyhow::Result<ExitCode> {
    let to = StoreUrl::parse(&args.to).map_err(|e| usage(format!("--to {e}")))?;
    super::warn_password_in_argv("--to", to.has_password(), &args.to, super::PG_SECRET_PLACES);
    let from = ctx.store_url();
    if same_store(&from, &to, &ctx.data_dir) {
        return Err(usage(format!("--to {to} is the store being copied")));
    }
    let (src, _) = ctx.open_existing().context("the store to copy")?;
    let dst = Store::open_url(&to, &ctx.data_dir, ctx.store_options())
        .context("the store to copy into")?;
    let keys = src.call(|b| b.series_keys()).await?;
    let bar = progress_bar(keys.len() as u64 + 3);
    let mut c = Copied::default();

    for &key in &keys {
        bar.set_message(format!("{} {}", key.symbol, key.timeframe));
        copy_series(&src, &dst, key, args.overwrite, &mut c).await?;
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
    // The user's ledger: each row once, by identity (a conflicting one stops the copy of it).
    let ledger = src.call(|b| b.ledger()).await?;
    c.ledger = ledger.len();
    match dst.call(move |b| b.put_ledger(&ledger)).await? {
        crate::store::ledger::LedgerWrite::Added(n) => c.ledger_new = n,
        crate::store::ledger::LedgerWrite::Conflict { held, .. } => {
            anyhow::bail!(
                "the target's ledger holds a row of the same id with other content ({held}): the ledger was not copied"
            )
        }
    }
    // The portfolio's kept snapshots, as this config values it (the target's of the same
    // span are replaced).
    let basis = ctx.config.portfolio.settings().basis();
    let kept = {
        let basis = basis.clone();
        src.call(move |b| b.stored_snapshots(&basis, Millis::MIN, Millis::MAX))
            .await?
    };
    c.snapshots = kept.len();
    if let Some(first) = kept.first().map(|s| s.time) {
        dst.call(move |b| b.put_snapshots(&basis, first, &kept))
            .await?;
    }
    // Perps' derivatives: minute samples, funding and liquidations, each once.
    let mut perps: Vec<_> = keys
        .iter()
        .map(|k| k.symbol)
        .filter(|s| s.is_perp())
        .collect();
    perps.sort();
    perps.dedup();
    for symbol in perps {
        let (samples, funding, liquidations) = src
            .call(move |b| {
                Ok((
                    b.deriv_samples(symbol, Millis::MIN, Millis::MAX)?,
                    b.funding(symbol, Millis::MIN, Millis::MAX)?,
                    b.liquidations(symbol, Millis::MIN, Millis::MAX)?,
                ))
            })
            .await?;
        c.deriv_samples += samples.len();
        dst.call(move |b| {
            b.put_deriv_samples(&samples)?;
            b.put_funding(&funding)?;
            b.put_liquidations(&liquidations).map(drop)
        })
        .await?;
    }
    bar.inc(1);
    bar.finish_and_clear();

    let name = dst.name().to_string();
    dst.close().await?;
    src.close().await?;
    let conflicts = match (&c.first_conflict, args.overwrite) {
        (None, _) => String::new(),
        (Some(first), true) => format!(" (the source's written over the target's; first: {first})"),
        (Some(first), false) => {
            format!(" (the target's kept; first: {first}; --overwrite makes the source's win)")
        }
    };
    super::out(format_args!(
        "copied into {name}: {} series ({} hot candles, {} cold chunks of which {} new): \
         {} candles added, {} identical, {} conflicting{conflicts}, {} overwritten; \
         {} news items ({} new), {} firings ({} new), {} backfill records, {} alert rules, {} added markets, \
         {} ledger rows ({} new), {} perp minutes, {} portfolio snapshots",
        c.series,
        c.hot_rows,
        c.cold_chunks,
        c.cold_chunks_new,
        c.added,
        c.identical,
        c.conflicting,
        c.overwritten,
        c.news,
        c.news_new,
        c.firings,
        c.firings_new,
        c.progress,
        c.rules,
        c.watchlist,
        c.ledger,
        c.ledger_new,
        c.deriv_samples,
        c.snapshots,
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// One series: cold chunks the target lacks go over byte for byte; every other candle (hot,
/// or in a chunk the target has too) is compared with the target's candle at that time:
/// added where it has none, counted where it is the same, a conflict where it differs (kept,
/// or written over with `overwrite`).
async fn copy_series(
    src: &Store,
    dst: &Store,
    key: SeriesKey,
    overwrite: bool,
    c: &mut Copied,
) -> anyhow::Result<()> {
    let chunks = src.call(move |b| b.cold_chunks(key)).await?;
    // Only the target's chunk starts: reading its chunks' data to learn them cost as much as
    // the copy.
    let held = dst.call(move |b| b.cold_chunk_starts(key)).await?;
    c.cold_chunks += chunks.len();
    let (overlapping, fresh): (Vec<_>, Vec<_>) = chunks
        .into_iter()
        .partition(|ch| held.binary_search(&ch.chunk_start).is_ok());
    c.cold_chunks_new += dst.call(move |b| b.put_cold_chunks(key, &fresh)).await?;
    // Candles whose place the target may hold: those of shared chunks (closed, as packed)
    // and every hot one with its source.
    let mut rows: Vec<(Candle, CandleSource)> = Vec::new();
    for ch in &overlapping {
        rows.extend(
            ch.candles(key.timeframe)?
                .into_iter()
                .map(|c| (c, CandleSource::Rest)),
        );
    }
    let hot = src.call(move |b| b.hot_candles(key)).await?;
    c.hot_rows += hot.len();
    rows.extend(hot);
    let (Some(from), Some(to)) = (
        rows.iter().map(|(c, _)| c.open_time).min(),
        rows.iter().map(|(c, _)| c.open_time).max(),
    ) else {
        return Ok(());
    };
    let theirs: HashMap<Millis, Candle> = dst
        .call(move |b| b.candles(key, from, to))
        .await?
        .into_iter()
        .map(|c| (c.open_time, c))
        .collect();
    let mut write: Vec<(Candle, CandleSource)> = Vec::new();
    for (mine, source) in rows {
        match theirs.get(&mine.open_time) {
            None => {
                c.added += 1;
                write.push((mine, source));
            }
            Some(t) if same_market(t, &mine) => c.identical += 1,
            Some(t) => {
                c.conflicting += 1;
                c.first_conflict
                    .get_or_insert_with(|| conflict(key, t, &mine));
                if overwrite {
                    c.overwritten += 1;
                    write.push((mine, source));
                }
            }
        }
    }
    for source in [
        CandleSource::Live,
        CandleSource::Rest,
        CandleSource::Import,
        CandleSource::Demo,
    ] {
        let rows: Vec<Candle> = write
            .iter()
            .filter(|(_, s)| *s == source)
            .map(|(c, _)| *c)
            .collect();
        for page in rows.chunks(PAGE) {
            dst.write_klines(key, page.to_vec(), source, None).await?;
        }
    }
    Ok(())
}

/// The same candle as far as the market goes (the cold tier keeps no trade ids).
fn same_market(a: &Candle, b: &Candle) -> bool {
    (
        a.open,
        a.high,
        a.low,
        a.close,
        a.volume,
        a.quote_volume,
        a.trades,
        a.closed,
    ) == (
        b.open,
        b.high,
        b.low,
        b.close,
        b.volume,
        b.quote_volume,
        b.trades,
        b.closed,
    )
}

/// A value that may be absent, in a message.
fn said<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "absent".to_string(), |v| v.to_string())
}

/// `binance:BTCUSDT 1m 2024-01-01T00:00:00Z: close 42000 there, 42010 here`.
fn conflict(key: SeriesKey, theirs: &Candle, mine: &Candle) -> String {
    let differs = [
        ("open", theirs.open.to_string(), mine.open.to_string()),
        ("high", theirs.high.to_string(), mine.high.to_string()),
        ("low", theirs.low.to_string(), mine.low.to_string()),
        ("close", theirs.close.to_string(), mine.close.to_string()),
        ("volume", theirs.volume.to_string(), mine.volume.to_string()),
        ("trades", said(theirs.trades), said(mine.trades)),
        ("closed", theirs.closed.to_string(), mine.closed.to_string()),
    ];
    let (field, t, m) = differs.into_iter().find(|(_, t, m)| t != m).unwrap_or((
        "quote volume",
        said(theirs.quote_volume),
        said(mine.quote_volume),
    ));
    format!(
        "{} {} {}: {field} {t} in the target, {m} in the source",
        key.symbol,
        key.timeframe,
        crate::domain::rfc3339(mine.open_time)
    )
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
