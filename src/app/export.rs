//! The dashboard as it is on screen, as a SPEC §3 report (the `export` key writes it).

use super::freshness::stream_label;
use super::state::App;
use crate::report::{CandleReport, NewsReport, Report, SeriesReport, rfc3339};

/// The current view: the chart's visible candles and indicators, the news listed, the rules
/// that run and their firings, the health panel's snapshot and log.
pub fn report(app: &App) -> Report {
    let m = &app.model;
    let key = m.key();
    let (candles, ind) = app.visible(app.chart.cols);
    let health = app.health.snapshot.as_ref().map(|(h, _)| h);
    let stream: serde_json::Map<String, serde_json::Value> = m
        .sources
        .streams
        .iter()
        .map(|(v, (s, since))| {
            (
                v.name().to_string(),
                serde_json::json!({"state": stream_label(s), "since": rfc3339(*since)}),
            )
        })
        .collect();
    Report {
        schema: crate::report::SCHEMA,
        generated_at: rfc3339(m.now),
        version: env!("CARGO_PKG_VERSION"),
        mode: m.mode().report_mode(),
        series: vec![SeriesReport {
            venue: key.symbol.venue().name(),
            symbol: key.symbol.as_str().to_string(),
            timeframe: key.timeframe.as_str(),
            candles: candles.iter().map(|c| CandleReport::new(c, key)).collect(),
            indicators: crate::report::ReportIndicators {
                v2: ind,
                named: m.visible_named(key, &app.chart.view, app.chart.cols),
            },
            derivatives: live_derivatives(m, key.symbol),
        }],
        news: app.news.visible(m.coin()).map(NewsReport::from).collect(),
        alerts: crate::report::AlertsReport::of(
            &m.active_rules(),
            m.alerts.firings.iter().rev().cloned(),
            &[key.symbol],
        ),
        health: serde_json::json!({
            "stream": stream,
            "sources": health.map(|h| &h.sources),
            "breakers": health.map(|h| &h.breakers),
            "caches": health.map(|h| &h.caches),
            "store": health.map(|h| &h.store),
            "backfill": health.map(|h| &h.backfill),
        }),
        metrics: serde_json::json!({
            "trades_per_sec": health.and_then(|h| h.trades_per_sec),
            "ingest_latency_us": {
                "p50": health.and_then(|h| h.ingest_p50_us),
                "p99": health.and_then(|h| h.ingest_p99_us),
            },
            "last_message_age_ms": health.and_then(|h| h.last_message_age_ms),
        }),
        activity_log: app
            .health
            .log
            .entries()
            .map(|e| {
                serde_json::json!({
                    "at": rfc3339(e.at),
                    "level": e.level.to_string(),
                    "message": e.message,
                })
            })
            .collect(),
        // The dashboard does not hold the ledger: `export` and `portfolio` report it.
        portfolio: None,
    }
}

/// A perp's derivatives as the dashboard holds them: its latest state and the liquidations on
/// its tape (the stored histories are `export`'s).
fn live_derivatives(
    m: &super::model::Model,
    symbol: crate::domain::Symbol,
) -> Option<crate::report::derivs::DerivativesReport> {
    let state = m.derivs.state(symbol)?;
    let sample = crate::domain::DerivSample {
        minute: crate::domain::Timeframe::M1.bucket(state.last.time),
        update: state.last,
    };
    let mut liquidations: Vec<crate::domain::Liquidation> = m
        .derivs
        .liquidations()
        .filter(|l| l.symbol == symbol)
        .copied()
        .collect();
    liquidations.reverse();
    let report = crate::report::derivs::DerivativesReport::of(&[sample], &[], &liquidations)?;
    Some(match m.basis_reference(symbol) {
        Some(spot) => {
            let close = m
                .series
                .get(&m.watch_key(spot))
                .and_then(|s| s.last())
                .map(|c| c.close);
            report.against_spot(spot, close)
        }
        None => report,
    })
}
