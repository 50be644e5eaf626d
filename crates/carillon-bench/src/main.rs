//! The `carillon-bench` command line: `run` (the load generator) and `reference-server`.
//!
//! Exit codes: 0 after a run with at least one successful request; 1 when a run had none;
//! 2 when the arguments are invalid or setup failed (clap's own usage errors are also 2).

use std::net::SocketAddr;
use std::process::exit;
use std::time::Duration;

use carillon_bench::{reference, run, BenchError, Credentials, RunConfig, Workload};
use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "carillon-bench",
    version,
    about = "Load generator for Carillon"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Send a workload to one or more servers and report throughput and latency.
    Run(RunArgs),
    /// Serve the workloads' routes with fixed answers (bare hyper, no auth): the HTTP ceiling.
    ReferenceServer {
        /// Address to listen on (port 0 picks a free port).
        #[arg(long, default_value = "127.0.0.1:9090")]
        listen: SocketAddr,
    },
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Server URL, http://host:port; repeat for a cluster (connections go round-robin).
    #[arg(long = "endpoint", required = true)]
    endpoints: Vec<String>,
    #[arg(long, value_enum)]
    workload: Workload,
    /// Concurrent keep-alive connections (one task each).
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Measured time, e.g. 10s, 500ms, 2m (a bare number is seconds).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    duration: Duration,
    /// Time before the measured window whose requests are not recorded.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    warmup: Duration,
    /// Open loop: aggregate requests per second over all connections; latency is then measured
    /// from each request's intended send time.
    #[arg(long)]
    rate: Option<f64>,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
    #[arg(long, default_value = "AKIAIOSFODNN7EXAMPLE")]
    access_key_id: String,
    #[arg(
        long,
        default_value = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        hide_default_value = true
    )]
    secret_access_key: String,
    /// Region of the credential scope.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// No progress line.
    #[arg(long)]
    quiet: bool,
}

/// `10s`, `500ms`, `2m`, `1.5s`, or a bare number of seconds.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (number, unit) = match s.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 10s, 500ms or 2m"))?;
    let secs = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        _ => return Err(format!("unknown unit {unit:?} (use ms, s or m)")),
    };
    Duration::try_from_secs_f64(secs).map_err(|e| format!("{s:?}: {e}"))
}

fn main() {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("carillon-bench: cannot start the async runtime: {e}");
            exit(2);
        }
    };
    match cli.command {
        Command::ReferenceServer { listen } => runtime.block_on(async {
            let (listener, local) = match reference::bind(listen).await {
                Ok(bound) => bound,
                Err(e) => {
                    eprintln!("carillon-bench: cannot listen on {listen}: {e}");
                    exit(2);
                }
            };
            println!("carillon-bench reference server listening on http://{local}");
            if let Err(e) = reference::serve(listener).await {
                eprintln!("carillon-bench: {e}");
                exit(2);
            }
        }),
        Command::Run(args) => exit(runtime.block_on(run_command(args))),
    }
}

async fn run_command(args: RunArgs) -> i32 {
    let config = RunConfig {
        endpoints: args.endpoints,
        workload: args.workload,
        connections: args.connections,
        duration: args.duration,
        warmup: args.warmup,
        rate: args.rate,
        credentials: Credentials {
            access_key_id: args.access_key_id,
            secret_access_key: args.secret_access_key,
            region: args.region,
        },
        progress: !args.quiet,
    };
    let report = match run(&config).await {
        Ok(report) => report,
        Err(e @ (BenchError::Config(_) | BenchError::Setup(_))) => {
            eprintln!("carillon-bench: {e}");
            return 2;
        }
    };
    print!("{}", report.table());
    if let Some(path) = args.json {
        let json = serde_json::to_string_pretty(&report).expect("a report serializes");
        if let Err(e) = std::fs::write(&path, json + "\n") {
            eprintln!("carillon-bench: cannot write {}: {e}", path.display());
            return 2;
        }
    }
    if report.requests == 0 {
        eprintln!(
            "carillon-bench: no successful request ({} errors; first: {})",
            report.errors(),
            report.first_error.as_deref().unwrap_or("none")
        );
        return 1;
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("5h").is_err());
        assert!(parse_duration("x").is_err());
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
