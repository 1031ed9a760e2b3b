use std::process::ExitCode;

use super::Context;
use crate::domain::{Symbol, Timeframe};

pub async fn run(
    _ctx: &Context,
    _symbol: Option<Symbol>,
    _timeframe: Option<Timeframe>,
) -> anyhow::Result<ExitCode> {
    Err(anyhow::anyhow!("the dashboard is not available in this build yet"))
}
