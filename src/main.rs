use std::process::ExitCode;

use clap::Parser;

use cache_analyzer::cli::{self, Cli};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli::run(cli) {
        Ok(status) => status,
        Err(err) => {
            eprintln!("cache-analyzer: error: {err:#}");
            ExitCode::from(cli::EXIT_ERROR)
        }
    }
}
