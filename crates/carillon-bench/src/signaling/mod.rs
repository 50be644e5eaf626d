//! The signaling workloads (`carillon-bench signaling <workload>`): WebSocket sessions as the
//! Amazon Chime SDK for JavaScript opens them, against the signaling plane that shares the API's
//! listener (`ws://host/control/<MeetingId>`).
//!
//! - [`sessions`]: many joined and subscribed sessions held open, each pinging every 10 s at its
//!   own phase; the server's RSS before and with them gives the memory per session.
//! - [`meeting`]: one meeting filled to 250 attendees; how long each join's presence entry takes
//!   to reach every other member, data messages at the meeting's rate fanned out to all, and
//!   rejoins into the full meeting.
//! - [`joins`]: joins started at a fixed rate (open loop): WebSocket open → JOIN_ACK + INDEX and
//!   SUBSCRIBE → SUBSCRIBE_ACK.
//!
//! Meetings and attendees are created first through the API ([`setup`], signed requests, not
//! measured). All clients run in this process, so every latency is taken on one clock; they
//! share the machine with the server when it runs on the same host. See the crate README.

pub mod joins;
pub mod meeting;
pub mod report;
pub mod sessions;
pub mod setup;
pub mod wire;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use carillon_testkit::sigv4::Credentials;
use tokio::time::Instant;

use crate::client::Endpoint;
use crate::run::BenchError;
use crate::system::{self, Proc};
pub use report::SignalingReport;

/// The signaling workloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SignalingWorkload {
    /// Many joined and subscribed sessions held open, pinging every 10 s: memory per session.
    Sessions,
    /// One meeting of 250: presence fan-out, data messages at 100/s, rejoins.
    Meeting,
    /// Joins at a fixed rate (open loop): open → JOIN_ACK + INDEX, SUBSCRIBE → SUBSCRIBE_ACK.
    Joins,
}

impl SignalingWorkload {
    pub fn name(self) -> &'static str {
        match self {
            SignalingWorkload::Sessions => "sessions",
            SignalingWorkload::Meeting => "meeting",
            SignalingWorkload::Joins => "joins",
        }
    }
}

/// What to run. [`SignalingConfig::new`] gives each workload its defaults.
#[derive(Debug, Clone)]
pub struct SignalingConfig {
    /// `http://host:port` of the server's API listener (the signaling routes share it).
    pub endpoint: String,
    pub workload: SignalingWorkload,
    /// sessions: sessions to open; meeting: attendees of the meeting (at most 250).
    pub sessions: usize,
    /// sessions and joins: attendees per meeting (at most 250).
    pub per_meeting: usize,
    /// sessions: how long all sessions are held; meeting: the data-message phase; joins: the
    /// measured window.
    pub duration: Duration,
    /// joins: joins before the window, not recorded.
    pub warmup: Duration,
    /// joins: joins started per second; meeting: joins per second while it fills.
    pub join_rate: f64,
    /// meeting: data messages per second, in total.
    pub data_rate: f64,
    /// meeting: attendees that send the data messages, in turn.
    pub senders: usize,
    /// meeting: rejoins (LEAVE, close, open, JOIN, SUBSCRIBE) into the full meeting.
    pub rejoins: usize,
    /// meeting: rejoins per second.
    pub rejoin_rate: f64,
    /// Every session pings this often (the SDK: 10 s), starting at a random phase.
    pub ping_interval: Duration,
    /// sessions: joins in progress at once while the sessions open.
    pub concurrency: usize,
    /// The server's process id, on this machine: its RSS and CPU time are read from /proc.
    pub server_pid: Option<u32>,
    pub credentials: Credentials,
    /// Progress lines on stderr.
    pub progress: bool,
}

impl SignalingConfig {
    /// The defaults of `workload`: the figures the targets name.
    pub fn new(endpoint: impl Into<String>, workload: SignalingWorkload) -> SignalingConfig {
        let mut config = SignalingConfig {
            endpoint: endpoint.into(),
            workload,
            sessions: 10_000,
            per_meeting: 250,
            duration: Duration::from_secs(30),
            warmup: Duration::from_secs(2),
            join_rate: 200.0,
            data_rate: 100.0,
            senders: 4,
            rejoins: 100,
            rejoin_rate: 5.0,
            ping_interval: Duration::from_secs(10),
            concurrency: 64,
            server_pid: None,
            credentials: Credentials::default(),
            progress: false,
        };
        match workload {
            SignalingWorkload::Sessions => {}
            SignalingWorkload::Meeting => {
                config.sessions = 250;
                config.join_rate = 50.0;
                config.duration = Duration::from_secs(20);
            }
            SignalingWorkload::Joins => {
                config.per_meeting = 10;
                config.duration = Duration::from_secs(20);
            }
        }
        config
    }

    fn check(&self) -> Result<(), BenchError> {
        let bad = |m: &str| Err(BenchError::Config(m.into()));
        if self.duration.is_zero() {
            return bad("--duration must be positive");
        }
        if self.ping_interval.is_zero() {
            return bad("--ping-interval must be positive");
        }
        for (name, rate) in [
            ("--join-rate", self.join_rate),
            ("--data-rate", self.data_rate),
            ("--rejoin-rate", self.rejoin_rate),
        ] {
            if !(rate.is_finite() && rate > 0.0) {
                return bad(&format!("{name} must be positive"));
            }
        }
        if self.sessions == 0 || self.concurrency == 0 {
            return bad("--sessions and --concurrency must be at least 1");
        }
        if !(1..=250).contains(&self.per_meeting) {
            return bad("--per-meeting must be 1 to 250 (a meeting's attendee cap)");
        }
        if self.workload == SignalingWorkload::Meeting {
            if !(2..=250).contains(&self.sessions) {
                return bad("meeting: --sessions (the meeting's attendees) must be 2 to 250");
            }
            if self.senders == 0 || self.senders >= self.sessions {
                return bad("meeting: --senders must be at least 1 and below --sessions");
            }
        }
        Ok(())
    }
}

/// Runs a signaling workload. Must run inside a multi-thread tokio runtime with time and I/O.
pub async fn run(config: &SignalingConfig) -> Result<SignalingReport, BenchError> {
    config.check()?;
    let endpoint = Arc::new(
        Endpoint::resolve(&config.endpoint)
            .await
            .map_err(BenchError::Config)?,
    );
    let run_id: String = uuid::Uuid::new_v4().simple().to_string()[..16].into();
    let ctx = Ctx {
        config,
        endpoint,
        run_id,
        server: config.server_pid.map(|pid| Proc { pid }),
    };
    match config.workload {
        SignalingWorkload::Sessions => sessions::run(&ctx).await,
        SignalingWorkload::Meeting => meeting::run(&ctx).await,
        SignalingWorkload::Joins => joins::run(&ctx).await,
    }
}

/// What every workload gets.
pub(crate) struct Ctx<'a> {
    pub config: &'a SignalingConfig,
    pub endpoint: Arc<Endpoint>,
    pub run_id: String,
    pub server: Option<Proc>,
}

impl Ctx<'_> {
    /// Descriptors for `sockets` sockets, and some to spare: the limit raised, and the
    /// descriptor table grown now rather than while measuring ([`system::grow_fd_table`]).
    pub fn raise_nofile(&self, sockets: usize) -> Result<(), BenchError> {
        let wanted = sockets as u64 + 256;
        system::raise_nofile(wanted).map_err(BenchError::Config)?;
        system::grow_fd_table(wanted).map_err(BenchError::Config)
    }

    pub async fn seats(
        &self,
        attendees: usize,
        per_meeting: usize,
    ) -> Result<setup::Seats, BenchError> {
        let seats = setup::create(
            &self.endpoint,
            &self.config.credentials,
            &self.run_id,
            attendees,
            per_meeting,
            4,
        )
        .await?;
        self.say(&format!(
            "setup: {} meetings, {} attendees in {:.1} s",
            seats.meetings.len(),
            seats.attendees(),
            seats.took.as_secs_f64()
        ));
        Ok(seats)
    }

    /// A pause between phases, for what is in flight to land (and before a memory baseline,
    /// for the store's writer to finish): 1 s, or a quarter of `--duration` when that is shorter.
    pub fn settle(&self) -> Duration {
        Duration::from_secs(1).min(self.config.duration / 4)
    }

    pub fn say(&self, line: &str) {
        if self.config.progress {
            eprintln!("[signaling {}] {line}", self.config.workload.name());
        }
    }

    /// Starts measuring a phase: the server's CPU time, and the run-queue waits of the server
    /// and of this process.
    pub fn meter(&self) -> Meter {
        let me = Proc {
            pid: std::process::id(),
        };
        Meter {
            started: Instant::now(),
            server_cpu: self.server.and_then(|p| p.cpu_seconds().ok()),
            server_wait: self.server.and_then(|p| p.run_queue_wait_seconds().ok()),
            bench_wait: me.run_queue_wait_seconds().ok(),
            server: self.server,
        }
    }

    /// A report with what every workload fills in.
    pub fn report(&self, seats: &setup::Seats) -> SignalingReport {
        SignalingReport {
            workload: self.config.workload.name(),
            endpoint: self.config.endpoint.clone(),
            parameters: BTreeMap::new(),
            meetings: seats.meetings.len(),
            attendees: seats.attendees(),
            setup_secs: seats.took.as_secs_f64(),
            phases: BTreeMap::new(),
            latency: BTreeMap::new(),
            counts: BTreeMap::new(),
            errors: 0,
            first_error: None,
            memory: None,
            server_cpu_cores: BTreeMap::new(),
            server_run_queue_wait_ms_per_s: BTreeMap::new(),
            bench_run_queue_wait_ms_per_s: BTreeMap::new(),
        }
    }
}

/// Readings at the start of a phase; [`Meter::finish`] puts the phase's figures in a report.
pub(crate) struct Meter {
    started: Instant,
    server: Option<Proc>,
    server_cpu: Option<f64>,
    server_wait: Option<f64>,
    bench_wait: Option<f64>,
}

impl Meter {
    /// The phase ended now: its length, the server's CPU cores, and the run-queue waits per
    /// second, into `report` under `phase`.
    pub fn finish(self, phase: &'static str, report: &mut SignalingReport) {
        let secs = self.started.elapsed().as_secs_f64().max(f64::EPSILON);
        report.phases.insert(phase, secs);
        let per_s = |before: Option<f64>, after: Option<f64>| Some((after? - before?) / secs);
        let server = self.server;
        if let Some(c) = per_s(self.server_cpu, server.and_then(|p| p.cpu_seconds().ok())) {
            report.server_cpu_cores.insert(phase, c);
        }
        if let Some(w) = per_s(
            self.server_wait,
            server.and_then(|p| p.run_queue_wait_seconds().ok()),
        ) {
            report
                .server_run_queue_wait_ms_per_s
                .insert(phase, w * 1000.0);
        }
        let me = Proc {
            pid: std::process::id(),
        };
        if let Some(w) = per_s(self.bench_wait, me.run_queue_wait_seconds().ok()) {
            report
                .bench_run_queue_wait_ms_per_s
                .insert(phase, w * 1000.0);
        }
    }
}

/// Elapsed time as whole microseconds (at least 1) for a histogram.
pub(crate) fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

/// The time at which the `i`th of a series spaced `interval` apart, from `start`, is due.
pub(crate) fn slot(start: Instant, interval: Duration, i: usize) -> Instant {
    start + interval.mul_f64(i as f64)
}
