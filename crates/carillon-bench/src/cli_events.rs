//! The meeting-event commands of `carillon-bench`: `webhook-sink` and `deliveries`.

use std::net::SocketAddr;
use std::time::Duration;

use carillon_bench::sink::{self, SinkConfig};
use carillon_bench::watch;
use clap::Args;

use crate::{parse_duration, write_json};

#[derive(Debug, Args)]
pub struct SinkArgs {
    /// Address to listen on (port 0 picks a free port); the URL is printed on the first line.
    #[arg(long, default_value = "127.0.0.1:9100")]
    listen: SocketAddr,
    /// The webhook's secret: verify every signature and answer 401 to a bad one. Without it
    /// nothing is verified.
    #[arg(long)]
    secret: Option<String>,
    /// Events arriving in this time after the first are counted but not timed.
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    warmup: Duration,
    /// Stop once no event arrived for this long (after the first).
    #[arg(long, default_value = "3s", value_parser = parse_duration)]
    idle: Duration,
    /// Stop after this long in any case.
    #[arg(long, value_parser = parse_duration)]
    max_duration: Option<Duration>,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
    /// No progress lines.
    #[arg(long)]
    quiet: bool,
}

#[derive(Debug, Args)]
pub struct DeliveriesArgs {
    /// The server's API listener, http://host:port (its /metrics is read).
    #[arg(long)]
    endpoint: String,
    /// The `target_kind` label: webhook, sqs, sns or eventbridge.
    #[arg(long, default_value = "sqs")]
    kind: String,
    /// Stop once the counter has not moved for this long (after it first did).
    #[arg(long, default_value = "3s", value_parser = parse_duration)]
    idle: Duration,
    /// Stop after this long in any case.
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    max_duration: Duration,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
    /// No progress lines.
    #[arg(long)]
    quiet: bool,
}

pub async fn sink_command(args: SinkArgs) -> i32 {
    let (listener, local) = match sink::bind(args.listen).await {
        Ok(bound) => bound,
        Err(e) => {
            eprintln!("carillon-bench: cannot listen on {}: {e}", args.listen);
            return 2;
        }
    };
    // Scripts read the URL from this first line (with port 0 it is the only way to know it).
    println!("carillon-bench webhook sink listening on http://{local}");
    let config = SinkConfig {
        secret: args.secret,
        warmup: args.warmup,
        idle: args.idle,
        max_duration: args.max_duration,
        progress: !args.quiet,
    };
    let report = sink::run(listener, config).await;
    print!("{}", report.table());
    if !write_json(args.json.as_deref(), &report) {
        return 2;
    }
    if report.received == 0 {
        eprintln!("carillon-bench: no event received");
        return 1;
    }
    0
}

pub async fn deliveries_command(args: DeliveriesArgs) -> i32 {
    let report = match watch::watch(
        &args.endpoint,
        &args.kind,
        args.idle,
        args.max_duration,
        !args.quiet,
    )
    .await
    {
        Ok(report) => report,
        Err(e) => {
            eprintln!("carillon-bench: {e}");
            return 2;
        }
    };
    print!("{}", report.table());
    if !write_json(args.json.as_deref(), &report) {
        return 2;
    }
    if report.delivered == 0 {
        eprintln!("carillon-bench: no {} delivery counted", args.kind);
        return 1;
    }
    0
}
