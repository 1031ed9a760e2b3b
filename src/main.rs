//! The thin binary: parse the command line, hand over to the library, map errors to exit codes.

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cryptoviz::cli::Cli::from_env();
    cryptoviz::commands::main(cli)
}
