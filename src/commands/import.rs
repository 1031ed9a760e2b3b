//! `cryptoviz import`: data.binance.vision CSV files into the store.

use std::process::ExitCode;

use super::Context;
use crate::cli::ImportArgs;
use crate::import::{FileKind, import_file};

pub async fn run(ctx: &Context, args: ImportArgs) -> anyhow::Result<ExitCode> {
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
            }
            Err(e) => {
                failed += 1;
                eprintln!("cryptoviz: {e}");
                tracing::error!(error = %e, "import failed");
            }
        }
    }
    store.close().await?;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::EXIT_FAILURE)
    })
}
