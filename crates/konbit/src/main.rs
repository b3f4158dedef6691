//! `konbit`: the single binary. It serves the panel and the API, runs the
//! operator's commands, and runs the reconciler.

mod cli;
mod config;
mod output;
mod serve;
mod wakeup;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("konbit: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(cli::run(args))
}
