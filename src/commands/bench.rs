//! `cryptoviz bench`: SPEC §4. JSON with `--json`, a table otherwise.

use std::process::ExitCode;

use serde_json::Value;

use super::Context;
use crate::bench::{Plan, run_all};
use crate::cli::BenchArgs;

pub async fn run(ctx: &Context, args: BenchArgs) -> anyhow::Result<ExitCode> {
    // A killed earlier run could not clean up after itself: do it now, and say so.
    let (runs, bytes) = crate::bench::orphan::remove_leftovers(&std::env::temp_dir());
    if runs > 0 {
        stderr!(
            "cryptoviz: removed the temp files of {runs} earlier bench run(s) that did not finish ({:.1} MB)",
            bytes as f64 / 1e6
        );
    }
    let store = ctx.store_url();
    let bus = ctx.config.bus.bus_url();
    let result = run_all(
        Plan::new(args.quick),
        Some(&store),
        bus.as_ref().map(|u| (u, &ctx.config.bus)),
    )
    .await?;
    if args.json {
        super::out(format_args!("{}", serde_json::to_string(&result)?))?;
    } else {
        print_table(&result)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn unit(key: &str) -> &'static str {
    if key.ends_with("_per_sec") {
        "/s"
    } else if key.ends_with("_ms") {
        "ms"
    } else if key.ends_with("_us") {
        "µs"
    } else if key.ends_with("_mb") {
        "MB"
    } else if key.ends_with("_percent") {
        "%"
    } else if key.ends_with("_seconds") {
        "s"
    } else {
        ""
    }
}

fn fmt_num(v: &Value) -> String {
    match v.as_f64() {
        Some(x) if x >= 1000.0 => {
            let s = format!("{:.0}", x);
            let mut out = String::new();
            for (i, c) in s.chars().enumerate() {
                if i > 0 && (s.len() - i) % 3 == 0 {
                    out.push(',');
                }
                out.push(c);
            }
            out
        }
        Some(x) => format!("{x}"),
        None => v.to_string(),
    }
}

fn print_table(result: &Value) -> std::io::Result<()> {
    let Some(obj) = result.as_object() else {
        return Ok(());
    };
    super::out(format_args!("{:<34} {:>16}  unit", "benchmark", "median"))?;
    super::out(format_args!("{}", "-".repeat(58)))?;
    for (k, v) in obj {
        match v.as_object() {
            Some(parts) => {
                for (pk, pv) in parts {
                    if pk == "count" {
                        continue;
                    }
                    super::out(format_args!(
                        "{:<34} {:>16}  {}",
                        format!("{k}.{pk}"),
                        fmt_num(pv),
                        unit(k)
                    ))?;
                }
            }
            None => super::out(format_args!("{:<34} {:>16}  {}", k, fmt_num(v), unit(k)))?,
        }
    }
    Ok(())
}
