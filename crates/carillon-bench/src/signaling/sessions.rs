//! `sessions`: many joined and subscribed sessions held open, as idle SDK clients are.
//!
//! 1. Meetings of `--per-meeting` attendees (250, the cap) for `--sessions` attendees.
//! 2. The server's RSS is read (`--server-pid`): the baseline, with the attendees stored.
//! 3. Every session opens, JOINs (JOIN_ACK + INDEX) and SUBSCRIBEs (SUBSCRIBE_ACK, its ICE
//!    registration and SDP answer, and the roster), at most `--concurrency` joining at once.
//! 4. All of them are held for `--duration`; each pings every `--ping-interval` (10 s, the
//!    SDK's), the first ping at a random point of its first interval so the pings are spread
//!    evenly. The server's RSS is sampled every second and read again at the end.
//! 5. Memory per session = (RSS with the sessions − baseline) / sessions open.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use carillon_signaling::frames::FrameType;
use carillon_testkit::signaling::{pong_id, Wire};
use tokio::sync::{watch, Semaphore};
use tokio::time::Instant;

use super::report::{Distribution, Errors, MemoryReport, Samples, SignalingReport};
use super::setup::Seat;
use super::wire::{open, rand_u64, send_join, until, OFFER};
use super::Ctx;
use crate::client::Endpoint;
use crate::report::histogram;
use crate::run::BenchError;
use crate::workload::Rng;

/// Where the run is; sessions record ping round trips only while held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Opening,
    Holding,
    Stopping,
}

#[derive(Debug, Default)]
struct Live {
    joined: AtomicU64,
    failed: AtomicU64,
    /// Sessions open now (joined and not ended).
    open: AtomicU64,
}

struct SessionResult {
    open_to_index: Samples,
    subscribe_to_ack: Samples,
    idle: Idle,
    /// Frames other than the ones awaited while joining.
    frames: u64,
    dropped: u64,
    errors: Errors,
}

impl SessionResult {
    fn new() -> Self {
        SessionResult {
            open_to_index: Samples::default(),
            subscribe_to_ack: Samples::default(),
            idle: Idle::default(),
            frames: 0,
            dropped: 0,
            errors: Errors::default(),
        }
    }
}

pub(crate) async fn run(ctx: &Ctx<'_>) -> Result<SignalingReport, BenchError> {
    let config = ctx.config;
    ctx.raise_nofile(config.sessions)?;
    let seats = ctx.seats(config.sessions, config.per_meeting).await?;
    // Let the store's writer and the allocator settle before the baseline.
    tokio::time::sleep(ctx.settle()).await;
    let before = match ctx.server {
        Some(p) => Some(p.memory().map_err(BenchError::Setup)?),
        None => None,
    };

    let mut report = ctx.report(&seats);
    let live = Arc::new(Live::default());
    let (phase_tx, phase) = watch::channel(Phase::Opening);
    let permits = Arc::new(Semaphore::new(config.concurrency));
    let opening = Instant::now();
    let meter = ctx.meter();
    let mut tasks = Vec::with_capacity(seats.attendees());
    for seat in seats.all() {
        tasks.push(tokio::spawn(session(
            seat.clone(),
            Arc::clone(&ctx.endpoint),
            Arc::clone(&permits),
            phase.clone(),
            config.ping_interval,
            Arc::clone(&live),
        )));
    }
    let total = tasks.len() as u64;
    let mut last_print = Instant::now();
    loop {
        let joined = live.joined.load(Ordering::Relaxed);
        let failed = live.failed.load(Ordering::Relaxed);
        if joined + failed >= total {
            break;
        }
        if last_print.elapsed() >= Duration::from_secs(1) {
            ctx.say(&format!("{joined}/{total} joined, {failed} failed"));
            last_print = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let opened_in = opening.elapsed();
    meter.finish("open", &mut report);
    ctx.say(&format!(
        "{} joined and subscribed in {:.1} s ({} failed); holding for {:?}",
        live.joined.load(Ordering::Relaxed),
        opened_in.as_secs_f64(),
        live.failed.load(Ordering::Relaxed),
        config.duration
    ));

    let _ = phase_tx.send(Phase::Holding);
    let hold_start = Instant::now();
    let meter = ctx.meter();
    let mut max_sampled = 0;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    while hold_start.elapsed() < config.duration {
        tick.tick().await;
        if let Some(m) = ctx.server.and_then(|p| p.memory().ok()) {
            max_sampled = max_sampled.max(m.rss_kib);
        }
    }
    meter.finish("hold", &mut report);
    let open_at_end = live.open.load(Ordering::Relaxed);
    let with = match ctx.server {
        Some(p) => Some(p.memory().map_err(BenchError::Setup)?),
        None => None,
    };
    ctx.say("stopping");
    let _ = phase_tx.send(Phase::Stopping);

    let mut t = Totals::default();
    let mut open_to_index = histogram();
    let mut subscribe_to_ack = histogram();
    let mut ping_rtt = histogram();
    for task in tasks {
        if let Ok(r) = task.await {
            r.open_to_index.add_to(&mut open_to_index);
            r.subscribe_to_ack.add_to(&mut subscribe_to_ack);
            r.idle.ping_rtt.add_to(&mut ping_rtt);
            t.pings += r.idle.pings;
            t.pongs += r.idle.pongs;
            t.frames += r.frames + r.idle.frames;
            t.dropped += r.dropped;
            t.errors.merge(&r.errors);
        }
    }

    report.parameters.insert("sessions", config.sessions.into());
    report
        .parameters
        .insert("per_meeting", config.per_meeting.into());
    report
        .parameters
        .insert("concurrency", config.concurrency.into());
    report.parameters.insert(
        "ping_interval_secs",
        config.ping_interval.as_secs_f64().into(),
    );
    report.latency.insert(
        "open_to_index",
        Distribution::of(
            &open_to_index,
            "TCP connect → INDEX (upgrade, JOIN, JOIN_ACK, INDEX), while opening",
        ),
    );
    report.latency.insert(
        "subscribe_to_ack",
        Distribution::of(
            &subscribe_to_ack,
            "SUBSCRIBE sent → SUBSCRIBE_ACK, while opening",
        ),
    );
    report.latency.insert(
        "ping_rtt",
        Distribution::of(&ping_rtt, "PING sent → PONG, while held"),
    );
    report
        .counts
        .insert("sessions_joined", live.joined.load(Ordering::Relaxed));
    report.counts.insert("sessions_open_at_end", open_at_end);
    report.counts.insert(
        "sessions_failed_to_join",
        live.failed.load(Ordering::Relaxed),
    );
    report.counts.insert("sessions_ended_early", t.dropped);
    report.counts.insert("pings_sent", t.pings);
    report.counts.insert("pongs_received", t.pongs);
    report.counts.insert("other_frames_received", t.frames);
    report.errors = t.errors.count;
    report.first_error = t.errors.first;
    if let (Some(p), Some(before), Some(with)) = (ctx.server, before, with) {
        let delta = with.rss_kib.saturating_sub(before.rss_kib) as f64 * 1024.0;
        report.memory = Some(MemoryReport {
            server_pid: p.pid,
            rss_before_kib: before.rss_kib,
            rss_with_sessions_kib: with.rss_kib,
            rss_max_sampled_kib: max_sampled.max(with.rss_kib),
            hwm_kib: with.hwm_kib,
            sessions: open_at_end,
            bytes_per_session: delta / open_at_end.max(1) as f64,
        });
    }
    Ok(report)
}

async fn session(
    seat: Seat,
    endpoint: Arc<Endpoint>,
    permits: Arc<Semaphore>,
    phase: watch::Receiver<Phase>,
    ping_interval: Duration,
    live: Arc<Live>,
) -> SessionResult {
    let mut r = SessionResult::new();
    let wire = {
        let _permit = permits.acquire().await;
        join_and_subscribe(&seat, &endpoint, &mut r).await
    };
    let mut wire = match wire {
        Ok(wire) => wire,
        Err(e) => {
            r.errors.note(e);
            live.failed.fetch_add(1, Ordering::Relaxed);
            return r;
        }
    };
    live.joined.fetch_add(1, Ordering::Relaxed);
    live.open.fetch_add(1, Ordering::Relaxed);

    let mut stop_rx = phase.clone();
    let stop = async move {
        let _ = stop_rx.wait_for(|p| *p == Phase::Stopping).await;
    };
    let holding = || *phase.borrow() == Phase::Holding;
    let outcome = idle(&mut wire, stop, holding, ping_interval, &mut r.idle).await;
    live.open.fetch_sub(1, Ordering::Relaxed);
    match outcome {
        Ok(()) => wire.close(None).await,
        Err(e) => {
            r.errors.note(e);
            r.dropped += 1;
        }
    }
    r
}

/// Ping round trips and frames of an idle session.
#[derive(Default)]
pub(crate) struct Idle {
    pub ping_rtt: Samples,
    pub pings: u64,
    pub pongs: u64,
    pub frames: u64,
}

/// What the session tasks counted, summed.
#[derive(Default)]
struct Totals {
    pings: u64,
    pongs: u64,
    frames: u64,
    dropped: u64,
    errors: Errors,
}

/// Holds a joined session until `stop`: reads whatever comes, and pings every `interval` as
/// the SDK does, the first ping at a random point of the first interval. A ping's round trip is
/// recorded when `measuring()` was true as it was sent. An error ends the session.
pub(crate) async fn idle(
    wire: &mut Wire,
    stop: impl std::future::Future<Output = ()>,
    measuring: impl Fn() -> bool,
    interval: Duration,
    st: &mut Idle,
) -> Result<(), String> {
    let mut stop = std::pin::pin!(stop);
    let mut rng = Rng::new(rand_u64());
    let mut next_ping = Instant::now() + interval.mul_f64(rng.below(1_000_000) as f64 / 1e6);
    let mut ping_id = 0u32;
    let mut outstanding: Option<(u32, Instant, bool)> = None;
    loop {
        tokio::select! {
            // Stop first: a session told to stop sends nothing more.
            biased;
            () = &mut stop => return Ok(()),
            frame = wire.next() => match frame? {
                (FrameType::PingPong, frame) => {
                    if let (Some(id), Some((sent_id, sent, measured))) = (pong_id(&frame), outstanding) {
                        if id == sent_id {
                            st.pongs += 1;
                            if measured {
                                st.ping_rtt.record(sent.elapsed());
                            }
                            outstanding = None;
                        }
                    }
                }
                _ => st.frames += 1,
            },
            () = tokio::time::sleep_until(next_ping) => {
                ping_id = ping_id.wrapping_add(1);
                let measured = measuring();
                let sent = Instant::now();
                wire.send_ping(ping_id).await?;
                st.pings += 1;
                outstanding = Some((ping_id, sent, measured));
                next_ping += interval;
            }
        }
    }
}

/// Open → JOIN → JOIN_ACK + INDEX → SUBSCRIBE → SUBSCRIBE_ACK, timed into `r`.
async fn join_and_subscribe(
    seat: &Seat,
    endpoint: &Endpoint,
    r: &mut SessionResult,
) -> Result<Wire, String> {
    let started = Instant::now();
    let mut wire = open(endpoint, &seat.meeting_id, &seat.join_token).await?;
    send_join(&mut wire).await?;
    let mut others = 0;
    until(&mut wire, FrameType::JoinAck, |_, _| others += 1).await?;
    until(&mut wire, FrameType::Index, |_, _| others += 1).await?;
    r.open_to_index.record(started.elapsed());
    let subscribed = Instant::now();
    wire.send_subscribe(OFFER).await?;
    until(&mut wire, FrameType::SubscribeAck, |_, _| others += 1).await?;
    r.subscribe_to_ack.record(subscribed.elapsed());
    r.frames += others;
    Ok(wire)
}
