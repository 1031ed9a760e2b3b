//! `cryptoviz backfill` (SPEC §1): headless gap repair from the exchange's REST klines.
//!
//! Progress goes to stderr: one bar per series on a terminal, plain throttled lines otherwise
//! (logs and CI keep them readable). The summary goes to stdout. Exit 0 only when every
//! requested range is complete; each failed range gets one line on stderr.

use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use super::{Context, EXIT_FAILURE, usage};
use crate::cli::BackfillArgs;
use crate::domain::{Millis, SeriesKey, Venue, now_ms};
use crate::history::klines::VenueNoticeSink;
use crate::history::{KlinesClients, Plan, ProgressUpdate, backfill};

const DAY_MS: Millis = 86_400_000;
/// Plain progress lines per series are at most this frequent.
const LINE_EVERY: Duration = Duration::from_secs(1);

pub async fn run(ctx: &Context, args: BackfillArgs) -> anyhow::Result<ExitCode> {
    let plan = plan(ctx, &args, now_ms())?;
    let store = ctx.open_store()?;
    let mut progress = Progress::new(std::io::stderr().is_terminal());
    let notices = progress.multi.clone();
    let notify: VenueNoticeSink = Arc::new(move |venue, n| {
        let line = format!("backfill: {venue}: {n}");
        match &notices {
            Some(m) => {
                let _ = m.println(line);
            }
            None => stderr!("{line}"),
        }
    });
    let mut config = ctx.config.clone();
    // The series asked for decide which venues need a client.
    for key in &plan.series {
        if !config.market.symbols.contains(&key.symbol) && key.symbol.venue() != Venue::Composite {
            config.market.symbols.push(key.symbol);
        }
    }
    let clients = KlinesClients::from_config(&config, Some(notify))?;
    let result = backfill(&store, &clients, plan, |u| progress.update(&u)).await;
    let closed = store.close().await;
    let summary = result?;
    closed?;
    progress.finish();
    super::out(format_args!("backfill: {summary}"))?;
    for f in &summary.failures {
        stderr!("cryptoviz: backfill {f}");
    }
    if !summary.failures.is_empty() {
        stderr!(
            "cryptoviz: {} ranges incomplete; their progress is saved: run the same backfill again to resume them",
            summary.failures.len()
        );
    }
    Ok(if summary.is_complete() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILURE)
    })
}

/// The series and window the flags (or the config) ask for.
fn plan(ctx: &Context, args: &BackfillArgs, now: Millis) -> anyhow::Result<Plan> {
    let cfg = &ctx.config;
    let days = args.days.unwrap_or(cfg.backfill.days);
    if days == 0 {
        return Err(usage("--days must be at least 1"));
    }
    let span = days as Millis * DAY_MS;
    let to = args.to.unwrap_or(now);
    let from = args.from.unwrap_or(to - span);
    if from >= to {
        return Err(usage(format!(
            "--from {} must be before --to {}",
            crate::history::rfc3339(from),
            crate::history::rfc3339(to)
        )));
    }
    let mut symbols = if args.symbols.is_empty() {
        cfg.market.symbols.clone()
    } else {
        args.symbols.clone()
    };
    let mut seen = HashSet::new();
    symbols.retain(|s| seen.insert(*s));
    let mut timeframes = if args.timeframes.is_empty() {
        cfg.market.timeframes.clone()
    } else {
        args.timeframes.clone()
    };
    timeframes.sort();
    timeframes.dedup();
    let series = symbols
        .iter()
        .flat_map(|&symbol| {
            timeframes
                .iter()
                .map(move |&timeframe| SeriesKey { symbol, timeframe })
        })
        .collect();
    Ok(Plan {
        series,
        from,
        to,
        threshold_ms: (cfg.backfill.gap_threshold_secs as Millis).saturating_mul(1_000),
    })
}

/// Bars on a terminal, lines elsewhere.
struct Progress {
    multi: Option<MultiProgress>,
    bars: HashMap<SeriesKey, ProgressBar>,
    last_line: HashMap<SeriesKey, Instant>,
}

impl Progress {
    fn new(terminal: bool) -> Self {
        Progress {
            multi: terminal.then(MultiProgress::new),
            bars: HashMap::new(),
            last_line: HashMap::new(),
        }
    }

    fn update(&mut self, u: &ProgressUpdate) {
        match self.multi.clone() {
            Some(m) => self.bar(&m, u),
            None => self.line(u),
        }
    }

    fn bar(&mut self, multi: &MultiProgress, u: &ProgressUpdate) {
        let bars = &mut self.bars;
        match u {
            ProgressUpdate::Planned { key, total, .. } => {
                let style = ProgressStyle::with_template(
                    "{prefix:>12} [{bar:30}] {pos}/{len} candles {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
                let bar = multi.add(
                    ProgressBar::new(*total)
                        .with_style(style)
                        .with_prefix(label(*key)),
                );
                if *total == 0 {
                    bar.finish_with_message("up to date");
                }
                bars.insert(*key, bar);
            }
            ProgressUpdate::Advanced { key, done, total } => {
                if let Some(bar) = bars.get(key) {
                    bar.set_position(*done);
                    if done >= total {
                        bar.finish_with_message("done");
                    }
                }
            }
            ProgressUpdate::Finished(o) => {
                if let (Some(bar), Some(_)) = (bars.get(&o.key), &o.error) {
                    bar.abandon_with_message("failed (see below)");
                }
            }
        }
    }

    fn line(&mut self, u: &ProgressUpdate) {
        let last = &mut self.last_line;
        match u {
            ProgressUpdate::Planned { key, total: 0, .. } => {
                stderr!("backfill {}: up to date", label(*key));
            }
            ProgressUpdate::Planned { key, total, .. } => {
                stderr!("backfill {}: 0/{total} candles", label(*key));
                last.insert(*key, Instant::now());
            }
            ProgressUpdate::Advanced { key, done, total } => {
                let due = last.get(key).is_none_or(|t| t.elapsed() >= LINE_EVERY);
                if due || done >= total {
                    stderr!("backfill {}: {done}/{total} candles", label(*key));
                    last.insert(*key, Instant::now());
                }
            }
            ProgressUpdate::Finished(_) => {}
        }
    }

    fn finish(&self) {
        if let Some(m) = &self.multi {
            let _ = m.clear();
        }
    }
}

fn label(key: SeriesKey) -> String {
    format!("{} {}", key.symbol, key.timeframe)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::domain::{Symbol, Timeframe};

    fn ctx() -> Context {
        Context {
            config: Config::default(),
            data_dir: std::env::temp_dir(),
            demo: false,
        }
    }

    const NOW: Millis = 1_704_067_200_000;

    #[test]
    fn defaults_come_from_the_config() {
        let p = plan(&ctx(), &BackfillArgs::default(), NOW).unwrap();
        assert_eq!((p.from, p.to), (NOW - 30 * DAY_MS, NOW));
        assert_eq!(p.threshold_ms, 120_000);
        // 2 symbols x 5 timeframes.
        assert_eq!(p.series.len(), 10);
    }

    #[test]
    fn flags_choose_series_and_window() {
        let args = BackfillArgs {
            symbols: vec![Symbol::new("btcusdt").unwrap()],
            timeframes: vec![Timeframe::H1, Timeframe::M1, Timeframe::H1],
            days: Some(2),
            ..Default::default()
        };
        let p = plan(&ctx(), &args, NOW).unwrap();
        assert_eq!((p.from, p.to), (NOW - 2 * DAY_MS, NOW));
        let tfs: Vec<_> = p.series.iter().map(|k| k.timeframe).collect();
        assert_eq!(tfs, vec![Timeframe::M1, Timeframe::H1]);
        let args = BackfillArgs {
            from: Some(NOW - DAY_MS),
            to: Some(NOW - 1_000),
            ..Default::default()
        };
        let p = plan(&ctx(), &args, NOW).unwrap();
        assert_eq!((p.from, p.to), (NOW - DAY_MS, NOW - 1_000));
    }

    #[test]
    fn a_backwards_window_or_zero_days_is_a_usage_error() {
        let args = BackfillArgs {
            from: Some(NOW),
            to: Some(NOW - DAY_MS),
            ..Default::default()
        };
        let e = plan(&ctx(), &args, NOW).unwrap_err();
        assert!(e.downcast_ref::<super::super::UsageError>().is_some());
        assert!(e.to_string().contains("must be before --to"), "{e}");
        let args = BackfillArgs {
            days: Some(0),
            ..Default::default()
        };
        assert!(plan(&ctx(), &args, NOW).is_err());
    }
}
