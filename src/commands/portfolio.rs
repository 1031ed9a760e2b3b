//! `cryptoviz portfolio`: import trade-history exports into the ledger, and report holdings,
//! cost, value and P&L by the configured method (SPEC §6).

use std::process::ExitCode;

use super::Context;
use crate::cli::{PortfolioAction, PortfolioArgs};
use crate::domain::now_ms;
use crate::portfolio::import::{ContractSizes, ImportError, Options, read_file};
use crate::portfolio::report::PortfolioReport;
use crate::store::ledger::LedgerWrite;

pub async fn run(ctx: &Context, args: PortfolioArgs) -> anyhow::Result<ExitCode> {
    match args.action {
        Some(PortfolioAction::Import {
            files,
            venue,
            account,
        }) => import(ctx, files, venue, account).await,
        Some(PortfolioAction::History { from, to }) => {
            history(ctx, from, to, args.json, !args.no_backfill).await
        }
        None => report(ctx, args.at, args.json, !args.no_backfill).await,
    }
}

/// Each file whole or not at all; a bad file is named with its line and column, and the
/// others still go in. Exit 2 when any file was refused.
async fn import(
    ctx: &Context,
    files: Vec<std::path::PathBuf>,
    venue: Option<String>,
    account: Option<String>,
) -> anyhow::Result<ExitCode> {
    let store = ctx.open_writer().await?;
    let mut opts = Options {
        venue: venue.map(|v| v.to_ascii_lowercase()),
        account,
        now: now_ms(),
        contracts: ContractSizes::Unread,
    };
    let mut refused = 0;
    // The earliest row of the files that added any: kept snapshots from then on are rebuilt.
    let mut changed_from: Option<i64> = None;
    for path in files {
        let mut read = read_file(&path, &opts);
        // A file counting contracts: the venue's sizes are read once, and the file again.
        if let Err(ImportError {
            needs_contract_sizes: Some(market),
            ..
        }) = &read
        {
            opts.contracts = contract_sizes(ctx, *market).await;
            read = read_file(&path, &opts);
        }
        let (format, rows) = match read {
            Ok(read) => read,
            Err(e) => {
                stderr!("cryptoviz: {e}; nothing imported from it");
                refused += 1;
                continue;
            }
        };
        let entries: Vec<_> = rows.iter().map(|(_, e)| e.clone()).collect();
        let n = entries.len();
        let earliest = entries.iter().map(|e| e.time).min();
        match store.call(move |b| b.put_ledger(&entries)).await? {
            LedgerWrite::Added(added) => {
                if added > 0
                    && let Some(t) = earliest
                {
                    changed_from = Some(changed_from.map_or(t, |c| c.min(t)));
                }
                super::out(format_args!(
                    "{}: {} ({n} rows, {added} new)",
                    path.display(),
                    format.name()
                ))?;
            }
            LedgerWrite::Conflict { index, .. } => {
                let (line, e) = &rows[index];
                stderr!(
                    "cryptoviz: {}:{line}: id {:?} is already imported with other content; nothing imported from it",
                    path.display(),
                    e.id.as_deref().unwrap_or("")
                );
                refused += 1;
            }
        }
    }
    if let Some(from) = changed_from {
        let settings = ctx.config.portfolio.settings();
        let step = snapshot_step(ctx);
        let now = now_ms();
        let kept = store
            .call(move |b| crate::portfolio::keep_snapshots(b, &settings, from, now, step))
            .await?;
        match kept {
            Ok(0) => {}
            Ok(n) => super::out(format_args!(
                "kept {n} snapshots of the portfolio (every {} minutes since {})",
                step / 60_000,
                crate::domain::rfc3339(from)
            ))?,
            Err(e) => stderr!("cryptoviz: the ledger cannot be valued: {e}; no snapshots kept"),
        }
    }
    store.close().await?;
    Ok(if refused > 0 {
        ExitCode::from(super::EXIT_USAGE)
    } else {
        ExitCode::SUCCESS
    })
}

/// The contract sizes of `market`'s venue, from its list at `[venues.<venue>] rest_url`.
async fn contract_sizes(ctx: &Context, market: crate::domain::Symbol) -> ContractSizes {
    let rest_url = &ctx.config.venues[market.venue()].rest_url;
    let limit = std::time::Duration::from_secs(30);
    stderr!(
        "cryptoviz: {market} counts contracts: reading their sizes from [venues.{}] rest_url",
        market.venue()
    );
    match crate::exchange::contracts::read_list(&[market], rest_url, limit).await {
        Ok(Some(list)) => {
            let decimal = |q: crate::domain::Qty| {
                q.to_string()
                    .parse::<rust_decimal::Decimal>()
                    .map_err(|e| format!("size {q}: {e}"))
            };
            ContractSizes::Listed(
                list.into_iter()
                    .map(|(s, size)| (s, size.and_then(decimal)))
                    .collect(),
            )
        }
        Ok(None) => {
            ContractSizes::Unreadable(format!("{} lists no contract sizes", market.venue()))
        }
        Err(e) => ContractSizes::Unreadable(e),
    }
}

async fn report(
    ctx: &Context,
    at: Option<i64>,
    json: bool,
    fetch: bool,
) -> anyhow::Result<ExitCode> {
    let settings = ctx.config.portfolio.settings();
    let at = at.unwrap_or_else(now_ms);
    let (currency, method) = (settings.currency.clone(), settings.method);
    let (store, _) = ctx.open_existing()?;
    let mut report = value(&store, &settings, at).await?;
    // Prices the store lacks are fetched, then the ledger valued again.
    let missing = match &report {
        Some(Ok(r)) => r.totals.unvalued.clone(),
        Some(Err(crate::portfolio::lots::LotError::NoPrice { asset, .. })) => vec![asset.clone()],
        _ => Vec::new(),
    };
    store.close().await?;
    if fetch && fetch_prices(ctx, &settings, &missing, at).await? {
        let (again, _) = ctx.open_existing()?;
        report = value(&again, &settings, at).await?;
        again.close().await?;
    }
    let report = match report {
        None => {
            stderr!(
                "cryptoviz: no ledger stored: `cryptoviz portfolio import FILE...` reads your exports"
            );
            PortfolioReport::empty(&currency, method, at)
        }
        Some(Ok(r)) => r,
        Some(Err(e)) => {
            stderr!("cryptoviz: the ledger cannot be valued: {e}");
            return Ok(ExitCode::from(super::EXIT_FAILURE));
        }
    };
    if json {
        super::out(serde_json::to_string_pretty(&report)?)?;
    } else {
        super::out(report.table().trim_end())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `[portfolio] snapshot_minutes` in milliseconds.
fn snapshot_step(ctx: &Context) -> i64 {
    i64::from(ctx.config.portfolio.snapshot_minutes) * 60_000
}

/// The stored ledger valued at `at` ([`crate::portfolio::value_ledger`]).
async fn value(
    store: &crate::store::Store,
    settings: &crate::portfolio::Settings,
    at: i64,
) -> Result<
    Option<Result<PortfolioReport, crate::portfolio::lots::LotError>>,
    crate::store::StoreError,
> {
    let s = settings.clone();
    store
        .call(move |b| crate::portfolio::value_ledger(b, &s, at))
        .await
}

/// Fetches the prices of `missing` ([`backfill_prices`]) from the ledger's first row on and,
/// when any came, values the kept snapshots from then on again with them: whether any came.
async fn fetch_prices(
    ctx: &Context,
    settings: &crate::portfolio::Settings,
    missing: &[String],
    at: i64,
) -> anyhow::Result<bool> {
    if missing.is_empty() {
        return Ok(false);
    }
    let (store, _) = ctx.open_existing()?;
    let first = store
        .call(|b| Ok(b.ledger()?.first().map(|e| e.time)))
        .await?;
    store.close().await?;
    let Some(first) = first else {
        return Ok(false);
    };
    if !backfill_prices(ctx, settings, missing, first, at).await? {
        return Ok(false);
    }
    let (s, step) = (settings.clone(), snapshot_step(ctx));
    let store = ctx.open_writer().await?;
    let now = now_ms();
    store
        .call(move |b| crate::portfolio::keep_snapshots(b, &s, first, now, step))
        .await?
        .ok();
    store.close().await?;
    Ok(true)
}

/// Fetches what valuing `missing` needs: each coin's hourly klines against the portfolio's
/// cash on Binance (`binance:ETHUSDT`) from the ledger's first row to `at`, through the
/// `backfill` command's client, limits and checks. Says what it fetched or why it could not;
/// whether anything was stored.
async fn backfill_prices(
    ctx: &Context,
    settings: &crate::portfolio::Settings,
    missing: &[String],
    from: i64,
    at: i64,
) -> anyhow::Result<bool> {
    use crate::domain::{SeriesKey, Symbol, Timeframe, Venue};
    // Binance quotes in stablecoins and a few currencies, never in plain USD.
    let Some(cash) = settings.cash().into_iter().find(|c| c != "USD") else {
        return Ok(false);
    };
    let series: Vec<SeriesKey> = missing
        .iter()
        .filter(|a| !a.contains(':'))
        .filter_map(|a| Symbol::on(Venue::Binance, format!("{a}{cash}").as_bytes()))
        .map(|symbol| SeriesKey {
            symbol,
            timeframe: Timeframe::H1,
        })
        .collect();
    if series.is_empty() {
        return Ok(false);
    }
    let mut config = ctx.config.clone();
    for key in &series {
        if !config.market.symbols.contains(&key.symbol) {
            config.market.symbols.push(key.symbol);
        }
    }
    let names: Vec<String> = series.iter().map(|k| k.symbol.to_string()).collect();
    stderr!(
        "cryptoviz: no stored price for {}: fetching {} hourly since {} (--no-backfill does not)",
        missing.join(", "),
        names.join(", "),
        crate::domain::rfc3339(from)
    );
    let clients = crate::history::KlinesClients::from_config(&config, None)?;
    let plan = crate::history::Plan {
        series,
        from: Timeframe::H1.bucket(from) - Timeframe::H1.millis(),
        to: at,
        threshold_ms: Timeframe::H1.millis(),
    };
    let store = ctx.open_writer().await?;
    let summary = crate::history::backfill(&store, &clients, plan, |_| {}).await;
    store.close().await?;
    let summary = summary?;
    for f in &summary.failures {
        stderr!("cryptoviz: backfill {f}");
    }
    Ok(summary.candles_written > 0)
}

async fn history(
    ctx: &Context,
    from: Option<i64>,
    to: Option<i64>,
    json: bool,
    fetch: bool,
) -> anyhow::Result<ExitCode> {
    let to = to.unwrap_or_else(now_ms);
    if from.is_some_and(|f| f > to) {
        return Err(super::usage("--from is after --to"));
    }
    let settings = ctx.config.portfolio.settings();
    let step = snapshot_step(ctx);
    let read = || async {
        let (store, _) = ctx.open_existing()?;
        let s = settings.clone();
        let snapshots = store
            .call(move |b| crate::portfolio::history(b, &s, from, to, step))
            .await?;
        store.close().await?;
        anyhow::Ok(snapshots)
    };
    let mut snapshots = read().await?;
    // Prices the store lacks are fetched as `portfolio` does, then the history read again.
    let mut missing: Vec<String> = match &snapshots {
        Ok(s) => s.iter().flat_map(|s| s.unvalued.iter().cloned()).collect(),
        Err(crate::portfolio::lots::LotError::NoPrice { asset, .. }) => vec![asset.clone()],
        Err(_) => Vec::new(),
    };
    missing.sort_unstable();
    missing.dedup();
    if fetch && fetch_prices(ctx, &settings, &missing, to).await? {
        snapshots = read().await?;
    }
    let snapshots = match snapshots {
        Ok(s) => s,
        Err(e) => {
            stderr!("cryptoviz: the ledger cannot be valued: {e}");
            return Ok(ExitCode::from(super::EXIT_FAILURE));
        }
    };
    if json {
        super::out(serde_json::json!({ "snapshots": snapshots }))?;
    } else {
        super::out(format_args!(
            "{:<20} {:>16} {:>14} {:>14}",
            "time", "equity", "realized", "unrealized"
        ))?;
        for s in &snapshots {
            let two = crate::portfolio::report::short;
            let mut line = format!(
                "{:<20} {:>16} {:>14} {:>14}",
                crate::domain::rfc3339(s.time),
                two(&s.equity),
                two(&s.realized),
                two(&s.unrealized)
            );
            if !s.unvalued.is_empty() {
                line.push_str(&format!("  unvalued: {}", s.unvalued.join(", ")));
            }
            super::out(line)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
