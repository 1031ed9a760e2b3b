use std::process::ExitCode;

use super::Context;
use crate::cli::ExportArgs;

pub async fn run(_ctx: &Context, _args: ExportArgs) -> anyhow::Result<ExitCode> {
    Err(anyhow::anyhow!("`export` is not available in this build yet"))
}
