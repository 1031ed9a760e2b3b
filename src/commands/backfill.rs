use std::process::ExitCode;

use super::Context;
use crate::cli::BackfillArgs;

pub async fn run(_ctx: &Context, _args: BackfillArgs) -> anyhow::Result<ExitCode> {
    Err(anyhow::anyhow!("`backfill` is not available in this build yet"))
}
