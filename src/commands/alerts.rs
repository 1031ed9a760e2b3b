//! `cryptoviz alerts [list | test]`: the rules with their last firings, or a replay of them
//! over stored history (SPEC §1, §2). Neither notifies anyone.

use std::process::ExitCode;

use super::Context;
use crate::alerts::backtest::replay;
use crate::alerts::deliver::line;
use crate::cli::{AlertsAction, AlertsArgs};
use crate::domain::{Millis, now_ms};

pub async fn run(ctx: &Context, args: AlertsArgs) -> anyhow::Result<ExitCode> {
    // A config rule that does not parse is a usage error before anything is read.
    ctx.config
        .alert_rules()
        .map_err(|(k, m)| super::usage(format!("config: {k}: {m}")))?;
    // Read-only beside a running collector.
    let (store, _) = ctx.open_existing()?;
    match args.action.unwrap_or(AlertsAction::List) {
        AlertsAction::List => {
            let listed =
                crate::alerts::deliver::listed(&ctx.config.alert_setup().rules, &store).await?;
            let mut rows = Vec::new();
            for l in listed {
                let name = l.rule.name.clone();
                let last = store.call(move |b| b.last_firing(&name)).await?;
                rows.push((l, last));
            }
            if args.json {
                let rules: Vec<serde_json::Value> = rows
                    .iter()
                    .map(|(l, last)| {
                        let r = &l.rule;
                        serde_json::json!({
                            "name": r.name,
                            "symbol": r.symbol.map(|s| s.to_string()),
                            "timeframe": r.timeframe.as_str(),
                            "when": r.when,
                            "repeat": r.repeat,
                            "rearm_secs": r.rearm_secs,
                            "notify": r.notify,
                            "origin": l.origin,
                            "enabled": l.enabled,
                            "last_fired": last,
                        })
                    })
                    .collect();
                super::out(format_args!("{}", serde_json::json!({ "rules": rules })))?;
            } else if rows.is_empty() {
                super::out(format_args!(
                    "no alert rules ([[alerts]] in the config, or ! in the dashboard)"
                ))?;
            } else {
                for (l, last) in rows {
                    let r = &l.rule;
                    let on = r
                        .symbol
                        .map_or("any watched coin".into(), |s| s.to_string());
                    let notify: Vec<&str> = r.notify.iter().map(|c| c.as_str()).collect();
                    let off = if l.enabled { "" } else { ", off" };
                    super::out(format_args!(
                        "{}: {} on {} {} ({}, notify {}; from the {}{off}) last fired: {}",
                        r.name,
                        r.when,
                        on,
                        r.timeframe,
                        r.repeat.as_str(),
                        notify.join(","),
                        l.origin,
                        last.map_or("never".into(), |f| crate::domain::rfc3339(f.trigger_time))
                    ))?;
                }
            }
        }
        AlertsAction::Test { from, to } => {
            let (from, to) = (from.unwrap_or(0), to.unwrap_or_else(now_ms));
            if from > to {
                return Err(super::usage("--from is after --to"));
            }
            let r = replay(&ctx.config.alert_setup(), &store, from, to as Millis).await?;
            if args.json {
                super::out(format_args!(
                    "{}",
                    serde_json::json!({ "firings": r.firings })
                ))?;
            } else {
                for f in &r.firings {
                    super::out(format_args!(
                        "{}",
                        crate::news::clean::strip_controls(&line(f))
                    ))?;
                }
                let mut derivs = if r.deriv_samples + r.liquidations > 0 {
                    format!(
                        ", {} perp minutes and {} liquidations",
                        r.deriv_samples, r.liquidations
                    )
                } else {
                    String::new()
                };
                if r.valuations > 0 {
                    derivs.push_str(&format!(", {} portfolio valuations", r.valuations));
                }
                stderr!(
                    "alerts test: {} firings from {} candles and {} news items{derivs}",
                    r.firings.len(),
                    r.candles,
                    r.news
                );
            }
            for name in r.skipped {
                stderr!(
                    "cryptoviz: note: {name:?} reads the live clock (stale, spread) and is not replayed"
                );
            }
            if let Some(why) = r.portfolio_error {
                stderr!(
                    "cryptoviz: note: the portfolio rules are not replayed: {}",
                    crate::news::clean::strip_controls(&why)
                );
            }
        }
    }
    store.close().await?;
    Ok(ExitCode::SUCCESS)
}
