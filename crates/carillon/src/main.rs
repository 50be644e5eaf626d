//! `carillon`: a server for the Amazon Chime SDK Meetings API.

mod admin_cli;
mod config;
mod events_config;
mod faults_config;
mod lifecycle;
mod listener;
mod server;

use std::io::IsTerminal;

use clap::{CommandFactory, Parser};

/// mimalloc rather than the system allocator: a request allocates and frees many small buffers
/// on two threads, and glibc's malloc and free were 12% of GetAttendee's CPU time
/// (BENCHMARKS.md). SQLite's own allocations stay with the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let args = match config::Cli::parse().invocation() {
        config::Invocation::Serve(args) => *args,
        config::Invocation::Admin(args) => return admin_cli::run(*args),
        config::Invocation::Completions(shell) => {
            let mut command = config::Cli::command();
            clap_complete::generate(shell, &mut command, "carillon", &mut std::io::stdout());
            return std::process::ExitCode::SUCCESS;
        }
    };
    init_logging(args.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("carillon: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(server::serve(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("carillon: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_logging(format: config::LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        config::LogFormat::Json => builder.json().init(),
        config::LogFormat::Text => builder.init(),
    }
}
