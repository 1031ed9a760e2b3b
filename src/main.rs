//! The thin binary: parse the command line, hand over to the library, map errors to exit codes.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cryptoviz::cli::Cli::parse();
    cryptoviz::commands::main(cli)
}
