use std::process::ExitCode;

use clap::Parser;

use cache_analyzer::cli::{self, Cli};
use cache_analyzer::exit_code;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli::run(cli) {
        Ok(status) => status,
        Err(err) => {
            eprintln!("cache-analyzer: error: {err:#}");
            ExitCode::from(exit_code::ERROR)
        }
    }
}
