//! `cryptoviz export`: a JSON report of stored data (SPEC §3).

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;

use super::Context;
use crate::cli::ExportArgs;
use crate::domain::{Millis, SeriesKey, now_ms};
use crate::report::{AlertsReport, Mode, NewsReport, Report, SeriesReport};

/// A perp's derivatives section over `from..=to`; `None` when nothing of it is stored. With a
/// `[market] basis` reference, the mark is also set against its latest close of `key`'s
/// timeframe in the range.
async fn derivatives(
    ctx: &Context,
    store: &crate::store::Store,
    key: SeriesKey,
    from: Millis,
    to: Millis,
) -> anyhow::Result<Option<crate::report::derivs::DerivativesReport>> {
    let symbol = key.symbol;
    let (samples, funding, liquidations) = store
        .call(move |b| {
            Ok((
                b.deriv_samples(symbol, from, to)?,
                b.funding(symbol, from, to)?,
                b.liquidations(symbol, from, to)?,
            ))
        })
        .await?;
    let Some(report) =
        crate::report::derivs::DerivativesReport::of(&samples, &funding, &liquidations)
    else {
        return Ok(None);
    };
    let Some(&spot) = ctx.config.market.basis.get(&symbol) else {
        return Ok(Some(report));
    };
    let spot_key = SeriesKey {
        symbol: spot,
        timeframe: key.timeframe,
    };
    let close = store
        .candles_before(spot_key, to, 1)
        .await?
        .into_iter()
        .find(|c| c.open_time >= from)
        .map(|c| c.close);
    Ok(Some(report.against_spot(spot, close)))
}

pub async fn run(ctx: &Context, args: ExportArgs) -> anyhow::Result<ExitCode> {
    // Export only reads: beside a running collector it reads what the collector commits.
    let (store, _) = ctx.open_existing()?;
    let symbols = match args.symbol {
        Some(s) => vec![s],
        None => ctx.config.market.series_symbols(),
    };
    let timeframes = match args.timeframe {
        Some(t) => vec![t],
        None => ctx.config.market.timeframes.clone(),
    };
    let (from, to) = (
        args.from.unwrap_or(Millis::MIN),
        args.to.unwrap_or(Millis::MAX),
    );
    if from > to {
        return Err(super::usage("--from is after --to"));
    }
    let stored: Vec<SeriesKey> = store.call(|b| b.series_keys()).await?;
    let now = now_ms();
    let mut report = Report::new(if ctx.demo { Mode::Demo } else { Mode::Offline }, now);
    let params = ctx.config.indicators.params();
    let chosen = ctx.config.indicators.chosen();
    let mut empty = Vec::new();
    for &symbol in &symbols {
        for &timeframe in &timeframes {
            let key = SeriesKey { symbol, timeframe };
            let candles = store.candles(key, from, to).await?;
            if candles.is_empty() {
                empty.push(key);
            }
            let mut series = SeriesReport::new(key, &candles, &params, &chosen);
            if symbol.is_perp() {
                series.derivatives = derivatives(ctx, &store, key, from, to).await?;
            }
            report.series.push(series);
        }
    }
    if empty.len() == report.series.len() {
        store.close().await?;
        return Err(nothing_to_export(
            &empty,
            &stored,
            args.from.is_some() || args.to.is_some(),
        ));
    }
    for key in &empty {
        stderr!(
            "cryptoviz: note: no {} {} candles in range; exported empty",
            key.symbol,
            key.timeframe
        );
    }
    // The user's holdings at the report's end, when a ledger is stored (SPEC §6).
    let settings = ctx.config.portfolio.settings();
    let at = to.min(now);
    report.portfolio = match store
        .call(move |b| crate::portfolio::value_ledger(b, &settings, at))
        .await?
    {
        None => None,
        Some(Ok(p)) => Some(p),
        Some(Err(e)) => {
            stderr!("cryptoviz: note: the portfolio is left out: {e}");
            None
        }
    };
    report.news = store
        .recent_news(200, None)
        .await?
        .iter()
        .filter(|n| n.published_at >= from && n.published_at <= to)
        .map(NewsReport::from)
        .collect();
    let firings = store.call(move |b| b.firings(from, to)).await?;
    let rules = crate::alerts::deliver::rules(&ctx.config.alert_setup().rules, &store).await?;
    report.alerts = AlertsReport::of(&rules, firings, &symbols);
    report.health = serde_json::json!({ "store": store.stats().await? });
    report.metrics = serde_json::json!({ "store_writes": store.write_stats() });
    // The running system's recent events, from the log the collector or dashboard writes.
    let log = std::fs::read_to_string(crate::paths::log_file(&ctx.data_dir)).unwrap_or_default();
    report.activity_log = crate::report::activity_from_log(&log, 100);
    store.close().await?;

    let one = match (args.symbol, args.timeframe) {
        (Some(symbol), Some(timeframe)) => Some(SeriesKey { symbol, timeframe }),
        _ => None,
    };
    let out = args
        .out
        .unwrap_or_else(|| ctx.data_dir.join(crate::report::file_name(one, now)));
    if out.as_os_str() == "-" {
        let mut stdout = std::io::stdout().lock();
        let written = serde_json::to_writer(&mut stdout, &report)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(stdout));
        // A closed pipe (`export --out - | head`) is the reader's choice, not an error.
        match written {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            other => other?,
        }
    } else {
        let text = serde_json::to_vec_pretty(&report)?;
        std::fs::write(&out, text).with_context(|| format!("cannot write {}", out.display()))?;
        stderr!("report written to {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Why nothing was exported, naming what the store does hold so the user can pick again.
fn nothing_to_export(asked: &[SeriesKey], stored: &[SeriesKey], ranged: bool) -> anyhow::Error {
    let list = |keys: &[SeriesKey]| {
        let mut names: Vec<String> = keys
            .iter()
            .map(|k| format!("{} {}", k.symbol, k.timeframe))
            .collect();
        names.dedup();
        names.join(", ")
    };
    let held = if stored.is_empty() {
        "the store holds no candles".to_string()
    } else {
        format!("stored series: {}", list(stored))
    };
    let range = if ranged { " in the given range" } else { "" };
    anyhow::anyhow!(
        "nothing to export: no candles for {}{range} ({held})",
        list(asked)
    )
}
