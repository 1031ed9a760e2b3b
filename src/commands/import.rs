//! `cryptoviz import`: data.binance.vision CSV files into the store.

use std::process::ExitCode;

use super::Context;
use crate::cli::ImportArgs;
use crate::config::Retention;
use crate::domain::{Millis, SeriesKey, now_ms, rfc3339};
use crate::import::{FileKind, import_file};
use crate::store::{Store, deletion_cutoff};

pub async fn run(ctx: &Context, args: ImportArgs) -> anyhow::Result<ExitCode> {
    // The files are data.binance.vision's: their trade ids and klines are that venue's.
    if let Some(s) = args.symbol
        && s.venue() != crate::domain::Venue::DEFAULT
    {
        return Err(super::usage(format!(
            "--symbol {s}: import reads {} public-data files; name a {}: symbol",
            crate::domain::Venue::DEFAULT,
            crate::domain::Venue::DEFAULT
        )));
    }
    let store = ctx.open_store()?;
    let timeframes = ctx.config.market.timeframes.clone();
    let mut failed = 0;
    for path in &args.files {
        match import_file(&store, path, args.symbol, args.timeframe, &timeframes).await {
            Ok(s) => {
                let what = match s.kind {
                    Some(FileKind::Klines) => format!("{} klines", s.rows),
                    _ => format!(
                        "{} trades ({} void, {} duplicate)",
                        s.trades, s.skipped_void, s.duplicates
                    ),
                };
                println!("{}: {what} -> {} candles", path.display(), s.candles);
                if !s.still_open.is_empty() {
                    let open: Vec<String> = s
                        .still_open
                        .iter()
                        .map(|(tf, at)| format!("{tf} {}", rfc3339(*at)))
                        .collect();
                    println!(
                        "  still open: {} (the file ends inside them and its name does not say it covers a whole day or month; a later file, backfill or collect completes them)",
                        open.join(", ")
                    );
                }
                retention_notice(ctx, &store, &s.keys).await?;
            }
            Err(e) => {
                failed += 1;
                stderr!("cryptoviz: {e}");
                tracing::error!(error = %e, "import failed");
            }
        }
    }
    let closed = store.close().await;
    if failed > 0 {
        // The failure was reported with its file; a close that fails the same way adds
        // nothing for the user but goes to the log.
        if let Err(e) = closed {
            tracing::error!(error = %e, "closing the store after a failed import");
        }
    } else {
        closed?;
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::EXIT_FAILURE)
    })
}

/// Tells the user, before it happens, which of the candles just stored the retention rules
/// will delete at the next tiering pass, and how to keep them all (printed and logged).
async fn retention_notice(ctx: &Context, store: &Store, keys: &[SeriesKey]) -> anyhow::Result<()> {
    let now = now_ms();
    for &key in keys {
        let rule @ Retention(hot, cold) = ctx.config.storage.retention_for(key.timeframe);
        let Some(cutoff) = deletion_cutoff(rule, now) else {
            continue;
        };
        let doomed = store.open_times(key, Millis::MIN, cutoff - 1).await?.len();
        if doomed == 0 {
            continue;
        }
        let tf = key.timeframe;
        let msg = format!(
            "note: {doomed} {} {tf} candles open before {} and fall outside the retention \
             ([storage] retention \"{tf}\" = [{hot}, {cold}]: {hot} days hot, then {cold} cold); \
             the next tiering pass (collect or the dashboard) deletes them. To keep them all, \
             set \"{tf}\" = [{hot}, 0] (cold forever)",
            key.symbol,
            rfc3339(cutoff),
        );
        stderr!("{msg}");
        tracing::warn!(series = %key.symbol, timeframe = %tf, doomed, "imported candles outside the retention");
    }
    Ok(())
}
