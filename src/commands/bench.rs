use std::process::ExitCode;

use super::Context;
use crate::cli::BenchArgs;

pub async fn run(_ctx: &Context, _args: BenchArgs) -> anyhow::Result<ExitCode> {
    Err(anyhow::anyhow!("`bench` is not available in this build yet"))
}
