use std::process::ExitCode;

use super::Context;
use crate::cli::ImportArgs;

pub async fn run(_ctx: &Context, _args: ImportArgs) -> anyhow::Result<ExitCode> {
    Err(anyhow::anyhow!("`import` is not available in this build yet"))
}
