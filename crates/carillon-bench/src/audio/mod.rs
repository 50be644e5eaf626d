//! The meeting-audio workload (`carillon-bench audio`): meetings full of simulated browsers,
//! each a real WebRTC client (str0m) on a UDP socket of its own, sending Opus every 20 ms to the
//! server's mixer and decoding the mix it sends back.
//!
//! 1. Meetings and attendees are created through the API ([`setup`](crate::signaling::setup),
//!    not measured); the server's RSS is read (`--server-pid`): the baseline.
//! 2. Every participant joins its meeting's signaling session, SUBSCRIBEs with its offer, and
//!    connects (ICE, DTLS) to the answer's candidate; the first `--speakers` seats of each
//!    meeting speak (tone bursts, [`sound`]), the others mute and send silence, as a muted
//!    browser does.
//! 3. Once all are connected, every sender's clock starts; after `--warmup` the window opens:
//!    the server's CPU time, its audio counters (`/metrics`: ticks on time, late, skipped;
//!    packets in and out), this process's CPU time and the load average are read at both
//!    edges, the server's RSS at the end.
//! 4. Listeners time each burst's onset from the send of the frame that carried it to the
//!    arrival, in the listener's socket (the kernel's receive timestamp), of the packet that
//!    brought it back ([`onsets`]): the latency the server adds (its wait for the tick, its
//!    jitter buffer, mixing, encoding), all on this machine's clock.
//!
//! Everything runs in this process, next to the server when it is on the same machine: the
//! generator's own CPU and its wait for a CPU are reported with the figures.

pub mod client;
pub mod onsets;
pub mod peer;
pub mod report;
pub mod scrape;
pub mod sound;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use carillon_testkit::sigv4::Credentials;
use tokio::sync::{watch, Semaphore};

use self::client::{Outcome, Participant, Schedule, Shared, CONNECT_TIMEOUT, FRAME};
use self::onsets::{burst_offset, phase, OnsetLog};
use self::report::{AudioReport, Generator, Onsets, Packets, ServerFigures, Ticks};
use self::scrape::AudioCounters;
use self::sound::{Cycle, CYCLE_FRAMES};
use crate::client::Endpoint;
use crate::report::histogram;
use crate::run::BenchError;
use crate::signaling::report::{Distribution, Errors};
use crate::signaling::setup::{self, Seats};
use crate::signaling::wire::STEP_TIMEOUT;
use crate::system::{self, Proc};

/// The most speakers a meeting may have: their bursts (200 ms) are spread over the second, and
/// listeners need a pause between them to hear each onset.
pub const MAX_SPEAKERS: usize = 3;

/// Joins in progress at once while the participants connect.
const JOINING_AT_ONCE: usize = 16;

/// The SDK pings every 10 s.
const PING_INTERVAL: Duration = Duration::from_secs(10);

/// What to run.
#[derive(Debug, Clone)]
pub struct AudioConfig {
    /// `http://host:port` of the server's API listener (signaling shares it).
    pub endpoint: String,
    pub meetings: usize,
    pub per_meeting: usize,
    /// Speakers per meeting (0 to [`MAX_SPEAKERS`]).
    pub speakers: usize,
    pub duration: Duration,
    pub warmup: Duration,
    /// The server's process id on this machine: its CPU time and RSS are read from /proc.
    pub server_pid: Option<u32>,
    pub credentials: Credentials,
    /// Progress lines on stderr.
    pub progress: bool,
}

impl AudioConfig {
    /// Ten meetings of ten, two speakers each, 60 s measured after 5 s.
    pub fn new(endpoint: impl Into<String>) -> AudioConfig {
        AudioConfig {
            endpoint: endpoint.into(),
            meetings: 10,
            per_meeting: 10,
            speakers: 2,
            duration: Duration::from_secs(60),
            warmup: Duration::from_secs(5),
            server_pid: None,
            credentials: Credentials::default(),
            progress: false,
        }
    }

    fn check(&self) -> Result<(), BenchError> {
        let bad = |m: &str| Err(BenchError::Config(m.into()));
        if self.meetings == 0 {
            return bad("--meetings must be at least 1");
        }
        if !(2..=250).contains(&self.per_meeting) {
            return bad("--per-meeting must be 2 to 250 (someone must hear; a meeting's cap)");
        }
        if self.speakers > MAX_SPEAKERS.min(self.per_meeting) {
            return bad("--speakers must be 0 to 3, and at most --per-meeting");
        }
        if self.duration.is_zero() {
            return bad("--duration must be positive");
        }
        Ok(())
    }

    fn say(&self, line: &str) {
        if self.progress {
            eprintln!("[audio] {line}");
        }
    }
}

/// Runs the workload. Must run inside a multi-thread tokio runtime with time and I/O.
pub async fn run(config: &AudioConfig) -> Result<AudioReport, BenchError> {
    config.check()?;
    let endpoint = Arc::new(
        Endpoint::resolve(&config.endpoint)
            .await
            .map_err(BenchError::Config)?,
    );
    let server = config.server_pid.map(|pid| Proc { pid });
    let total = config.meetings * config.per_meeting;
    // A WebSocket and a UDP socket each.
    let wanted = 2 * total as u64 + 256;
    system::raise_nofile(wanted).map_err(BenchError::Config)?;
    system::grow_fd_table(wanted).map_err(BenchError::Config)?;
    let cycle = Arc::new(Cycle::encode().map_err(BenchError::Setup)?);

    let run_id: String = uuid::Uuid::new_v4().simple().to_string()[..16].into();
    let seats = setup::create(
        &endpoint,
        &config.credentials,
        &run_id,
        total,
        config.per_meeting,
        4,
    )
    .await?;
    config.say(&format!(
        "setup: {} meetings, {} attendees in {:.1} s",
        seats.meetings.len(),
        seats.attendees(),
        seats.took.as_secs_f64()
    ));
    // Let the store's writer and the allocator settle before the baseline.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before = match server {
        Some(p) => Some(p.memory().map_err(BenchError::Setup)?.rss_kib),
        None => None,
    };

    let (schedule_tx, schedule_rx) = watch::channel(None);
    let (stop_tx, stop_rx) = watch::channel(false);
    let shared = Shared {
        endpoint: Arc::clone(&endpoint),
        cycle,
        joining: Arc::new(Semaphore::new(JOINING_AT_ONCE)),
        schedule: schedule_rx,
        stop: stop_rx,
        connected: Arc::new(AtomicU64::new(0)),
        failed: Arc::new(AtomicU64::new(0)),
        ping_interval: PING_INTERVAL,
    };
    let connecting = Instant::now();
    let tasks: Vec<_> = participants(&seats, config.speakers)
        .into_iter()
        .map(|p| tokio::spawn(client::run(p, shared.clone())))
        .collect();
    wait_for_connections(config, &shared, tasks.len() as u64).await;
    let connect_secs = connecting.elapsed().as_secs_f64();

    let start = Instant::now() + Duration::from_millis(100);
    let schedule = Schedule {
        start,
        window_start: start + config.warmup,
        window_end: start + config.warmup + config.duration,
    };
    let _ = schedule_tx.send(Some(schedule));
    config.say(&format!(
        "{} connected in {connect_secs:.1} s; senders started, measuring after {:?} for {:?}",
        shared.connected.load(Ordering::Relaxed),
        config.warmup,
        config.duration
    ));
    tokio::time::sleep_until(schedule.window_start.into()).await;
    let opened = Reading::take(&endpoint, server).await?;
    tokio::time::sleep_until(schedule.window_end.into()).await;
    let closed = Reading::take(&endpoint, server).await?;
    let rss_with = match server {
        Some(p) => Some(p.memory().map_err(BenchError::Setup)?.rss_kib),
        None => None,
    };
    // The last bursts of the window come back within the jitter buffer's delay.
    tokio::time::sleep(Duration::from_secs(1)).await;
    config.say("stopping");
    let _ = stop_tx.send(true);
    let mut outcomes = Vec::with_capacity(tasks.len());
    for task in tasks {
        match task.await {
            Ok(outcome) => outcomes.push(outcome),
            Err(e) => {
                let mut failed = Outcome::default();
                failed.errors.note(format!("participant task: {e}"));
                outcomes.push(failed);
            }
        }
    }

    let base = Base {
        config,
        seats: &seats,
        schedule,
        connect_secs,
        rss: rss_before.zip(rss_with),
        server,
    };
    Ok(base.report(&outcomes, &opened, &closed))
}

/// Every seat as a participant: in each meeting the first `speakers` seats speak, their bursts
/// spread over the second; speakers' and the others' send phases are each spread over the
/// 20 ms frame across the whole run.
fn participants(seats: &Seats, speakers: usize) -> Vec<Participant> {
    let total_speakers = seats.meetings.len() * speakers;
    let total_silent = seats.attendees().saturating_sub(total_speakers);
    let (mut speaker, mut silent) = (0, 0);
    let mut out = Vec::with_capacity(seats.attendees());
    for meeting in &seats.meetings {
        let log = Arc::new(OnsetLog::default());
        for (index, seat) in meeting.iter().enumerate() {
            let speaks = index < speakers;
            let p = if speaks {
                speaker += 1;
                phase(speaker - 1, total_speakers, FRAME)
            } else {
                silent += 1;
                phase(silent - 1, total_silent, FRAME)
            };
            out.push(Participant {
                seat: seat.clone(),
                index,
                burst_offset: speaks.then(|| burst_offset(index, speakers, CYCLE_FRAMES)),
                phase: p,
                log: Arc::clone(&log),
            });
        }
    }
    out
}

/// Waits until every participant has connected or failed, saying how it goes once a second.
/// Each one settles within its join's steps and its connection timeout, so a count that has not
/// moved for longer than that (a participant task that died) does not hold the run.
async fn wait_for_connections(config: &AudioConfig, shared: &Shared, total: u64) {
    let stalled_after = 3 * STEP_TIMEOUT + CONNECT_TIMEOUT;
    let mut last_said = Instant::now();
    let mut last_moved = (Instant::now(), 0);
    loop {
        let connected = shared.connected.load(Ordering::Relaxed);
        let failed = shared.failed.load(Ordering::Relaxed);
        if connected + failed >= total {
            return;
        }
        if connected + failed != last_moved.1 {
            last_moved = (Instant::now(), connected + failed);
        } else if last_moved.0.elapsed() > stalled_after {
            config.say(&format!(
                "{} participants neither connected nor failed; going on without them",
                total - connected - failed
            ));
            return;
        }
        if last_said.elapsed() >= Duration::from_secs(1) {
            config.say(&format!("{connected}/{total} connected, {failed} failed"));
            last_said = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What is read at each edge of the window.
struct Reading {
    at: Instant,
    counters: AudioCounters,
    server_cpu: Option<f64>,
    server_wait: Option<f64>,
    bench_cpu: f64,
    bench_wait: f64,
    load: [f64; 3],
}

impl Reading {
    async fn take(endpoint: &Endpoint, server: Option<Proc>) -> Result<Reading, BenchError> {
        let me = Proc {
            pid: std::process::id(),
        };
        let counters = scrape::read(endpoint).await.map_err(BenchError::Setup)?;
        Ok(Reading {
            at: Instant::now(),
            counters,
            server_cpu: server.and_then(|p| p.cpu_seconds().ok()),
            server_wait: server.and_then(|p| p.run_queue_wait_seconds().ok()),
            bench_cpu: me.cpu_seconds().map_err(BenchError::Setup)?,
            bench_wait: me.run_queue_wait_seconds().map_err(BenchError::Setup)?,
            load: system::load_average(),
        })
    }
}

/// What the report is made from besides the participants' outcomes.
struct Base<'a> {
    config: &'a AudioConfig,
    seats: &'a Seats,
    schedule: Schedule,
    connect_secs: f64,
    rss: Option<(u64, u64)>,
    server: Option<Proc>,
}

impl Base<'_> {
    fn report(&self, outcomes: &[Outcome], opened: &Reading, closed: &Reading) -> AudioReport {
        let config = self.config;
        let window = (self.schedule.window_end - self.schedule.window_start).as_secs_f64();
        let read_secs = closed.at.duration_since(opened.at).as_secs_f64().max(1e-9);
        let moved = closed.counters.since(&opened.counters);
        let connected: Vec<&Outcome> = outcomes.iter().filter(|o| o.connected).collect();
        let participants = connected.len() as u64;

        let mut latency = histogram();
        let mut errors = Errors::default();
        let mut listener_rates = Vec::with_capacity(connected.len());
        let (mut sent, mut received, mut expected, mut unmatched) = (0, 0, 0, 0);
        let (mut undecodable, mut late_sends, mut skipped_sends, mut send_failures) = (0, 0, 0, 0);
        for o in outcomes {
            errors.merge(&o.errors);
            if !o.connected {
                continue;
            }
            o.latency.add_to(&mut latency);
            listener_rates.push(o.packets_received as f64 / window);
            sent += o.packets_sent;
            received += o.packets_received;
            expected += o.onsets_expected;
            unmatched += o.onsets_unmatched;
            undecodable += o.undecodable;
            late_sends += o.late_sends;
            skipped_sends += o.skipped_sends;
            send_failures += o.send_failures;
        }
        let mean = listener_rates.iter().sum::<f64>() / listener_rates.len().max(1) as f64;
        let lowest = listener_rates
            .iter()
            .copied()
            .reduce(f64::min)
            .unwrap_or(0.0);
        let highest = listener_rates
            .iter()
            .copied()
            .reduce(f64::max)
            .unwrap_or(0.0);

        let per_s = |before: Option<f64>, after: Option<f64>| Some((after? - before?) / read_secs);
        let server = self.server.zip(self.rss).map(|(p, (before, with))| {
            let cores = per_s(opened.server_cpu, closed.server_cpu).unwrap_or(0.0);
            let wait = per_s(opened.server_wait, closed.server_wait).unwrap_or(0.0);
            ServerFigures {
                pid: p.pid,
                cpu_cores: cores,
                cpu_ms_per_participant_second: cores * 1000.0 / participants.max(1) as f64,
                rss_before_kib: before,
                rss_with_clients_kib: with,
                kib_per_participant: with.saturating_sub(before) as f64
                    / participants.max(1) as f64,
                run_queue_wait_ms_per_s: wait * 1000.0,
            }
        });
        AudioReport {
            endpoint: config.endpoint.clone(),
            meetings: self.seats.meetings.len(),
            per_meeting: config.per_meeting,
            speakers_per_meeting: config.speakers,
            participants,
            participants_failed: outcomes.len() as u64 - participants,
            setup_secs: self.seats.took.as_secs_f64(),
            connect_secs: self.connect_secs,
            warmup_secs: config.warmup.as_secs_f64(),
            window_secs: window,
            load_average_start: opened.load,
            load_average_end: closed.load,
            server,
            ticks: Ticks::from_counters(&moved),
            packets: Packets {
                server_in_per_s: moved.packets_received as f64 / read_secs,
                server_out_per_s: moved.packets_sent as f64 / read_secs,
                clients_sent_per_s: sent as f64 / window,
                clients_received_per_s: received as f64 / window,
                per_listener_mean: mean,
                per_listener_min: lowest,
                per_listener_max: highest,
            },
            latency: Distribution::of(
                &latency,
                "a burst's first frame sent → the first packet whose decoded audio shows it, \
                 received (bursts sent in the window)",
            ),
            onsets: Onsets {
                expected,
                timed: latency.len(),
                unmatched,
                undecodable,
            },
            generator: Generator {
                cpu_cores: (closed.bench_cpu - opened.bench_cpu) / read_secs,
                run_queue_wait_ms_per_s: (closed.bench_wait - opened.bench_wait) * 1000.0
                    / read_secs,
                late_sends,
                skipped_sends,
                send_failures,
            },
            errors: errors.count,
            first_error: errors.first,
        }
    }
}
