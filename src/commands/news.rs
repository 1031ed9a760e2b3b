use std::process::ExitCode;

use super::Context;
use crate::cli::NewsArgs;

pub async fn run(_ctx: &Context, _args: NewsArgs) -> anyhow::Result<ExitCode> {
    Err(anyhow::anyhow!("`news` is not available in this build yet"))
}
