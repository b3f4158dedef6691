//! `konbit`: the single binary. It serves the panel and the API, runs the
//! operator's commands, and runs the reconciler.

mod cli;
mod config;
mod list_server;
mod output;
mod serve;
mod wakeup;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    raise_open_files_limit();
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

/// Lifts the soft limit of open files to the hard one (systemd's default
/// soft limit is 1024). `nginx -t`, run by the reconciler and `konbit
/// doctor`, opens two log files per site and inherits this limit: at the
/// soft default it fails past about 500 sites. Best effort: a limit that
/// cannot be raised stays as it is.
fn raise_open_files_limit() {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current < limit.maximum {
        limit.current = limit.maximum;
        let _ = setrlimit(Resource::Nofile, limit);
    }
}
