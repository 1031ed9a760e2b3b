use std::process::ExitCode;

use super::Context;
use crate::cli::CollectArgs;

pub async fn run(_ctx: &Context, _args: CollectArgs) -> anyhow::Result<ExitCode> {
    Err(anyhow::anyhow!("`collect` is not available in this build yet"))
}
