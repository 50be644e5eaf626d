//! The `carillon-bench` command line: `run` (the load generator), `signaling` (the signaling
//! workloads), `audio` (meeting audio over WebRTC), `reference-server`, and for meeting events `webhook-sink` (a receiver that times
//! each delivery) and `deliveries` (the server's delivery counter of one target kind).
//!
//! Exit codes: 0 after a run with at least one successful request (or joined session, or
//! audio packet received, or received event, or delivery counted); 1 when a run had none; 2 when the arguments are invalid or setup failed (clap's own usage errors are
//! also 2).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::exit;
use std::sync::Arc;
use std::time::Duration;

use carillon_bench::audio::{self, AudioConfig};
use carillon_bench::signaling::{self, SignalingConfig, SignalingWorkload};
use carillon_bench::{reference, run, BenchError, Credentials, RunConfig, Workload};
use clap::{Args, Parser, Subcommand};

// The meeting-event commands (a module of the binary, not of the library).
mod cli_events;

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
    /// Open signaling sessions (WebSockets, as the Chime SDK joins) and report memory per
    /// session, presence and data-message fan-out, or join latency.
    Signaling(SignalingArgs),
    /// Meetings of simulated browsers sending Opus over WebRTC to the server's mixer: the
    /// latency the server adds, late ticks, CPU and memory per participant.
    Audio(AudioArgs),
    /// Serve the workloads' routes with fixed answers: the HTTP ceiling (`--work bare`), the
    /// work no implementation of the API can avoid (`--work unavoidable`), or that and the
    /// indexes and events the API's rules need stored (`--work indexed`).
    ReferenceServer(ReferenceArgs),
    /// Receive meeting events as a webhook and report their delivery latency (arrival minus
    /// `detail.timestamp`) and arrival rate; stops once idle after the first event.
    WebhookSink(cli_events::SinkArgs),
    /// Read the server's `carillon_events_delivered_total` of one target kind every 100 ms and
    /// report the delivery rate; stops once it has not moved for `--idle`.
    Deliveries(cli_events::DeliveriesArgs),
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
    /// Give every meeting created a NotificationsConfiguration with this SqsQueueArn (a server
    /// with `--sqs-endpoint` then delivers each of its events there).
    #[arg(long, value_name = "ARN")]
    notifications_sqs: Option<String>,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Args)]
struct ReferenceArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:9090")]
    listen: SocketAddr,
    /// What each request costs the server.
    #[arg(long, value_enum, default_value_t = Work::Bare)]
    work: Work,
    /// With `--work unavoidable` or `indexed`: the SQLite file writes are committed to
    /// [default: a file in a temporary directory, removed at exit].
    #[arg(long, value_name = "FILE")]
    database: Option<PathBuf>,
}

/// `reference-server --work`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Work {
    /// Answer by method and path alone: no authentication, the body never read, no storage.
    Bare,
    /// Read the body, verify SigV4 with Carillon's verifier and default credentials, parse the
    /// request into typed input, commit writes to SQLite (WAL, synchronous=FULL, group commit),
    /// then answer.
    Unavoidable,
    /// As `unavoidable`, with the writes stored as the API's rules need them found (meetings by
    /// id and ClientRequestToken, attendees by id and unique by ExternalUserId in their meeting,
    /// counted against the cap) and their meeting events logged in the same transaction.
    Indexed,
}

/// Defaults depend on the workload: `sessions` 10,000 sessions in meetings of 250, held 30 s;
/// `meeting` 250 attendees joining at 50/s, 20 s of data messages at 100/s from 4 senders, 100
/// rejoins at 5/s; `joins` 200 joins/s for 2 s of warm-up and 20 s measured, meetings of 10.
#[derive(Debug, Args)]
struct SignalingArgs {
    #[arg(value_enum)]
    workload: SignalingWorkload,
    /// Server URL, http://host:port (the API listener; the signaling routes share it).
    #[arg(long)]
    endpoint: String,
    /// sessions: sessions to open; meeting: the meeting's attendees (at most 250).
    #[arg(long)]
    sessions: Option<usize>,
    /// sessions, joins: attendees per meeting (at most 250).
    #[arg(long)]
    per_meeting: Option<usize>,
    /// sessions: how long they are held; meeting: the data phase; joins: the measured window.
    #[arg(long, value_parser = parse_duration)]
    duration: Option<Duration>,
    /// joins: time before the measured window.
    #[arg(long, value_parser = parse_duration)]
    warmup: Option<Duration>,
    /// joins: joins per second (open loop); meeting: joins per second while it fills.
    #[arg(long)]
    join_rate: Option<f64>,
    /// meeting: data messages per second, in total.
    #[arg(long)]
    data_rate: Option<f64>,
    /// meeting: attendees sending the data messages, in turn.
    #[arg(long)]
    senders: Option<usize>,
    /// meeting: rejoins into the full meeting.
    #[arg(long)]
    rejoins: Option<usize>,
    /// meeting: rejoins per second.
    #[arg(long)]
    rejoin_rate: Option<f64>,
    /// Every session pings this often (the SDK: 10s).
    #[arg(long, value_parser = parse_duration)]
    ping_interval: Option<Duration>,
    /// sessions: joins in progress at once while opening.
    #[arg(long)]
    concurrency: Option<usize>,
    /// The server's process id on this machine: its RSS (memory per session) and CPU time are
    /// read from /proc.
    #[arg(long)]
    server_pid: Option<u32>,
    #[command(flatten)]
    common: CommonArgs,
}

/// Defaults: ten meetings of ten, two speakers each, 60 s measured after 5 s of warm-up.
#[derive(Debug, Args)]
struct AudioArgs {
    /// Server URL, http://host:port (the API listener; signaling shares it).
    #[arg(long)]
    endpoint: String,
    #[arg(long, default_value_t = 10)]
    meetings: usize,
    /// Participants per meeting.
    #[arg(long, default_value_t = 10)]
    per_meeting: usize,
    /// Participants of each meeting who speak (tone bursts); the others mute and send silence.
    #[arg(long, default_value_t = 2)]
    speakers: usize,
    /// The measured window.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    duration: Duration,
    /// Time after the senders start and before the window.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    warmup: Duration,
    /// The server's process id on this machine: its CPU time and RSS are read from /proc.
    #[arg(long)]
    server_pid: Option<u32>,
    #[command(flatten)]
    common: CommonArgs,
}

/// The options every workload takes: where the report goes, whom to sign as, and quiet.
#[derive(Debug, Args)]
struct CommonArgs {
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
    /// No progress lines.
    #[arg(long)]
    quiet: bool,
}

impl CommonArgs {
    fn credentials(&self) -> Credentials {
        Credentials {
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.clone(),
            region: self.region.clone(),
        }
    }
}

/// How a measuring command ends: its report's table on standard output and its JSON in `json`;
/// exit code 2 when the run could not be made or the JSON not written, 1 when `idle` says nothing
/// got through (and why), else 0.
fn conclude<R: serde::Serialize>(
    run: Result<R, BenchError>,
    json: Option<&std::path::Path>,
    table: impl Fn(&R) -> String,
    idle: impl Fn(&R) -> Option<String>,
) -> i32 {
    let report = match run {
        Ok(report) => report,
        Err(e) => {
            eprintln!("carillon-bench: {e}");
            return 2;
        }
    };
    print!("{}", table(&report));
    if !write_json(json, &report) {
        return 2;
    }
    match idle(&report) {
        Some(why) => {
            eprintln!("carillon-bench: {why}");
            1
        }
        None => 0,
    }
}

/// Writes `report` as JSON to `path` (if given); false when it cannot.
fn write_json(path: Option<&std::path::Path>, report: &impl serde::Serialize) -> bool {
    let Some(path) = path else {
        return true;
    };
    let json = serde_json::to_string_pretty(report).expect("a report serializes");
    match std::fs::write(path, json + "\n") {
        Ok(()) => true,
        Err(e) => {
            eprintln!("carillon-bench: cannot write {}: {e}", path.display());
            false
        }
    }
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
        Command::ReferenceServer(args) => exit(reference_command(runtime, args)),
        Command::Run(args) => exit(runtime.block_on(run_command(args))),
        Command::WebhookSink(args) => exit(runtime.block_on(cli_events::sink_command(args))),
        Command::Deliveries(args) => exit(runtime.block_on(cli_events::deliveries_command(args))),
        Command::Signaling(args) => exit(runtime.block_on(signaling_command(args))),
        Command::Audio(args) => exit(runtime.block_on(audio_command(args))),
    }
}

/// Serves until SIGINT or SIGTERM, then closes the store (its temporary directory removed) and
/// says how its writes were grouped.
fn reference_command(runtime: tokio::runtime::Runtime, args: ReferenceArgs) -> i32 {
    let store = match (args.work, &args.database) {
        (Work::Bare, Some(_)) => {
            eprintln!("carillon-bench: --database is for --work unavoidable and indexed");
            return 2;
        }
        (Work::Bare, None) => None,
        (Work::Unavoidable | Work::Indexed, path) => {
            let layout = match args.work {
                Work::Indexed => reference::Layout::Indexed,
                _ => reference::Layout::Append,
            };
            match reference::Durable::open(path.as_deref(), layout) {
                Ok(store) => Some(Arc::new(store)),
                Err(e) => {
                    eprintln!("carillon-bench: {e}");
                    return 2;
                }
            }
        }
    };
    let mode = match &store {
        Some(store) => reference::Mode::Unavoidable(Arc::clone(store)),
        None => reference::Mode::Bare,
    };
    let listen = args.listen;
    let code = runtime.block_on(async {
        let (listener, local) = match reference::bind(listen).await {
            Ok(bound) => bound,
            Err(e) => {
                eprintln!("carillon-bench: cannot listen on {listen}: {e}");
                return 2;
            }
        };
        let stopped = match shutdown_signal() {
            Ok(stopped) => stopped,
            Err(e) => {
                eprintln!("carillon-bench: {e}");
                return 2;
            }
        };
        let work = clap::ValueEnum::to_possible_value(&args.work)
            .map(|value| value.get_name().to_owned())
            .unwrap_or_default();
        println!("carillon-bench reference server ({work} work) listening on http://{local}");
        if let Some(store) = &store {
            println!("writes are committed to {}", store.path().display());
        }
        tokio::select! {
            served = reference::serve(listener, mode) => match served {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("carillon-bench: {e}");
                    2
                }
            },
            () = stopped => 0,
        }
    });
    // Drops every connection's task, and with them their handles on the store.
    drop(runtime);
    if let Some(store) = store {
        let (writes, transactions) = store.counts();
        println!("{writes} writes committed in {transactions} transactions");
    }
    code
}

/// Resolves at SIGINT or SIGTERM; the handlers are installed when this is called, so a signal
/// sent as soon as the listening line is out is not missed.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, String> {
    use tokio::signal::unix::{signal, SignalKind};
    let listen = |kind: SignalKind, name: &str| {
        signal(kind).map_err(|e| format!("cannot handle {name}: {e}"))
    };
    let mut terminate = listen(SignalKind::terminate(), "SIGTERM")?;
    let mut interrupt = listen(SignalKind::interrupt(), "SIGINT")?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {},
            _ = interrupt.recv() => {},
        }
    })
}

/// The members every CreateMeeting of a run adds (`,"Name":value` each).
fn meeting_members(notifications_sqs: Option<&str>) -> String {
    notifications_sqs.map_or_else(String::new, |arn| {
        let arn = serde_json::Value::String(arn.to_owned());
        format!(r#","NotificationsConfiguration":{{"SqsQueueArn":{arn}}}"#)
    })
}

async fn signaling_command(args: SignalingArgs) -> i32 {
    let mut config = SignalingConfig::new(args.endpoint, args.workload);
    let defaults = config.clone();
    config.sessions = args.sessions.unwrap_or(defaults.sessions);
    config.per_meeting = args.per_meeting.unwrap_or(defaults.per_meeting);
    config.duration = args.duration.unwrap_or(defaults.duration);
    config.warmup = args.warmup.unwrap_or(defaults.warmup);
    config.join_rate = args.join_rate.unwrap_or(defaults.join_rate);
    config.data_rate = args.data_rate.unwrap_or(defaults.data_rate);
    config.senders = args.senders.unwrap_or(defaults.senders);
    config.rejoins = args.rejoins.unwrap_or(defaults.rejoins);
    config.rejoin_rate = args.rejoin_rate.unwrap_or(defaults.rejoin_rate);
    config.ping_interval = args.ping_interval.unwrap_or(defaults.ping_interval);
    config.concurrency = args.concurrency.unwrap_or(defaults.concurrency);
    config.server_pid = args.server_pid;
    config.credentials = args.common.credentials();
    config.progress = !args.common.quiet;
    conclude(
        signaling::run(&config).await,
        args.common.json.as_deref(),
        |report| report.table(),
        |report| {
            let joined = report
                .latency
                .get("subscribe_to_ack")
                .map_or(0, |d| d.count)
                + report
                    .latency
                    .get("presence_fill_each")
                    .map_or(0, |d| d.count);
            (joined == 0).then(|| {
                let first = report.first_error.as_deref().unwrap_or("none");
                format!(
                    "no session joined ({} errors; first: {first})",
                    report.errors
                )
            })
        },
    )
}

async fn audio_command(args: AudioArgs) -> i32 {
    let config = AudioConfig {
        meetings: args.meetings,
        per_meeting: args.per_meeting,
        speakers: args.speakers,
        duration: args.duration,
        warmup: args.warmup,
        server_pid: args.server_pid,
        credentials: args.common.credentials(),
        progress: !args.common.quiet,
        ..AudioConfig::new(args.endpoint)
    };
    conclude(
        audio::run(&config).await,
        args.common.json.as_deref(),
        |report| report.table(),
        |report| {
            (report.packets.clients_received_per_s == 0.0).then(|| {
                let first = report.first_error.as_deref().unwrap_or("none");
                format!(
                    "no audio received ({} errors; first: {first})",
                    report.errors
                )
            })
        },
    )
}

async fn run_command(args: RunArgs) -> i32 {
    let config = RunConfig {
        endpoints: args.endpoints,
        workload: args.workload,
        connections: args.connections,
        duration: args.duration,
        warmup: args.warmup,
        rate: args.rate,
        meeting_members: meeting_members(args.notifications_sqs.as_deref()),
        credentials: args.common.credentials(),
        progress: !args.common.quiet,
    };
    conclude(
        run(&config).await,
        args.common.json.as_deref(),
        |report| report.table(),
        |report| {
            (report.requests == 0).then(|| {
                let first = report.first_error.as_deref().unwrap_or("none");
                format!(
                    "no successful request ({} errors; first: {first})",
                    report.errors()
                )
            })
        },
    )
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
    fn notifications_become_a_meeting_member() {
        assert_eq!(meeting_members(None), "");
        let members = meeting_members(Some("arn:aws:sqs:us-east-1:123456789012:q"));
        let body = format!(r#"{{"A":1{members}}}"#);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            v["NotificationsConfiguration"]["SqsQueueArn"],
            "arn:aws:sqs:us-east-1:123456789012:q"
        );
    }

    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
