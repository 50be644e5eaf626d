//! `joins`: joins started at a fixed rate, open loop.
//!
//! `--join-rate` × (`--warmup` + `--duration`) attendees are created first, in meetings of
//! `--per-meeting`. Then a join starts every 1/rate seconds, each in a task of its own, so a
//! slow answer never delays the joins after it (no coordinated omission): TCP connect and
//! WebSocket upgrade (the server admits the JoinToken against the store), JOIN → JOIN_ACK +
//! INDEX, SUBSCRIBE → SUBSCRIBE_ACK. Joins started in the window are recorded. Each session
//! then stays, pinging every 10 s, until the run ends, so the server holds every session of the
//! run and each meeting's members hear of every later joiner.
//!
//! Latency runs from the join's actual start; `start_lateness` (actual start − scheduled start)
//! shows whether the generator itself kept to the schedule.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use carillon_signaling::frames::FrameType;
use carillon_testkit::signaling::Wire;
use hdrhistogram::Histogram;
use tokio::sync::watch;
use tokio::time::Instant;

use super::report::{Distribution, Errors, SignalingReport};
use super::sessions::{idle, Idle};
use super::setup::Seat;
use super::wire::{open_timed, send_join, until, OFFER};
use super::{micros, slot, Ctx};
use crate::client::Endpoint;
use crate::report::histogram;
use crate::run::BenchError;

/// One join's timings (`None` when it failed or started outside the window).
#[derive(Default)]
struct Timings {
    tcp_connect: Duration,
    open_to_upgraded: Duration,
    join_to_index: Duration,
    open_to_index: Duration,
    subscribe_to_ack: Duration,
    open_to_ack: Duration,
    start_lateness: Duration,
}

struct JoinResult {
    timings: Option<Timings>,
    idle: Idle,
    errors: Errors,
}

#[derive(Default)]
struct Live {
    /// Joins that got their SUBSCRIBE_ACK, or failed.
    settled: AtomicU64,
    failed: AtomicU64,
}

pub(crate) async fn run(ctx: &Ctx<'_>) -> Result<SignalingReport, BenchError> {
    let config = ctx.config;
    let interval = Duration::from_secs_f64(1.0 / config.join_rate);
    let total =
        ((config.warmup + config.duration).as_secs_f64() * config.join_rate).ceil() as usize;
    ctx.raise_nofile(total)?;
    let seats = ctx.seats(total, config.per_meeting).await?;
    tokio::time::sleep(ctx.settle()).await;

    let mut report = ctx.report(&seats);
    let (stop_tx, stop) = watch::channel(false);
    let live = Arc::new(Live::default());
    let start = Instant::now() + Duration::from_millis(100);
    let window = (
        start + config.warmup,
        start + config.warmup + config.duration,
    );
    ctx.say(&format!(
        "{total} joins at {}/s: {:?} warm-up, {:?} measured",
        config.join_rate, config.warmup, config.duration
    ));
    let mut tasks = Vec::with_capacity(total);
    let mut meter = None;
    for (i, seat) in seats.all().enumerate() {
        let due = slot(start, interval, i);
        tokio::time::sleep_until(due).await;
        if meter.is_none() && due >= window.0 {
            meter = Some(ctx.meter());
        }
        tasks.push(tokio::spawn(join(
            seat.clone(),
            Arc::clone(&ctx.endpoint),
            due,
            window,
            stop.clone(),
            config.ping_interval,
            Arc::clone(&live),
        )));
    }
    if let Some(meter) = meter {
        meter.finish("measured", &mut report);
    }
    // The last joins finish.
    let deadline = Instant::now() + Duration::from_secs(15);
    while live.settled.load(Ordering::Relaxed) < total as u64 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    ctx.say(&format!(
        "{} joins settled ({} failed); closing",
        live.settled.load(Ordering::Relaxed),
        live.failed.load(Ordering::Relaxed)
    ));
    let _ = stop_tx.send(true);
    let mut h: [Histogram<u64>; 7] = std::array::from_fn(|_| histogram());
    let mut ping_rtt = histogram();
    let (mut recorded, mut pings, mut pongs, mut frames) = (0u64, 0, 0, 0);
    let mut errors = Errors::default();
    for task in tasks {
        if let Ok(r) = task.await {
            if let Some(t) = &r.timings {
                recorded += 1;
                for (h, d) in h.iter_mut().zip([
                    t.open_to_index,
                    t.subscribe_to_ack,
                    t.open_to_upgraded,
                    t.join_to_index,
                    t.open_to_ack,
                    t.start_lateness,
                    t.tcp_connect,
                ]) {
                    h.saturating_record(micros(d));
                }
            }
            r.idle.ping_rtt.add_to(&mut ping_rtt);
            pings += r.idle.pings;
            pongs += r.idle.pongs;
            frames += r.idle.frames;
            errors.merge(&r.errors);
        }
    }
    let [open_to_index, subscribe_to_ack, open_to_upgraded, join_to_index, open_to_ack, start_lateness, tcp_connect] =
        h;

    report
        .parameters
        .insert("join_rate", config.join_rate.into());
    report
        .parameters
        .insert("per_meeting", config.per_meeting.into());
    report
        .parameters
        .insert("warmup_secs", config.warmup.as_secs_f64().into());
    report
        .parameters
        .insert("duration_secs", config.duration.as_secs_f64().into());
    let d = Distribution::of;
    report.latency.insert(
        "open_to_index",
        d(
            &open_to_index,
            "TCP connect → JOIN_ACK and INDEX received (upgrade, JOIN sent)",
        ),
    );
    report.latency.insert(
        "subscribe_to_ack",
        d(&subscribe_to_ack, "SUBSCRIBE sent → SUBSCRIBE_ACK"),
    );
    report.latency.insert(
        "open_to_upgraded",
        d(
            &open_to_upgraded,
            "TCP connect → 101 Switching Protocols read (JoinToken admission included)",
        ),
    );
    report.latency.insert(
        "tcp_connect",
        d(
            &tcp_connect,
            "TCP connect alone (SYN → connected, in the kernel)",
        ),
    );
    report.latency.insert(
        "join_to_index",
        d(&join_to_index, "JOIN sent → INDEX received"),
    );
    report.latency.insert(
        "open_to_subscribe_ack",
        d(&open_to_ack, "TCP connect → SUBSCRIBE_ACK: the whole join"),
    );
    report.latency.insert(
        "start_lateness",
        d(
            &start_lateness,
            "scheduled start → actual start of a join (the generator's own delay)",
        ),
    );
    report.counts.insert("joins_scheduled", total as u64);
    report.counts.insert("joins_recorded", recorded);
    report
        .counts
        .insert("joins_failed", live.failed.load(Ordering::Relaxed));
    report.latency.insert(
        "ping_rtt",
        d(&ping_rtt, "PING sent → PONG, sessions held until the end"),
    );
    report.counts.insert("pings_sent", pings);
    report.counts.insert("pongs_received", pongs);
    report.counts.insert("other_frames_received", frames);
    report.errors = errors.count;
    report.first_error = errors.first;
    Ok(report)
}

async fn join(
    seat: Seat,
    endpoint: Arc<Endpoint>,
    due: Instant,
    window: (Instant, Instant),
    mut stop: watch::Receiver<bool>,
    ping_interval: Duration,
    live: Arc<Live>,
) -> JoinResult {
    let mut r = JoinResult {
        timings: None,
        idle: Idle::default(),
        errors: Errors::default(),
    };
    let started = Instant::now();
    let joined = join_steps(&seat, &endpoint, started, &mut r.idle).await;
    live.settled.fetch_add(1, Ordering::Relaxed);
    let (mut wire, mut timings) = match joined {
        Ok(joined) => joined,
        Err(e) => {
            live.failed.fetch_add(1, Ordering::Relaxed);
            r.errors.note(e);
            return r;
        }
    };
    if started >= window.0 && started < window.1 {
        timings.start_lateness = started.saturating_duration_since(due);
        r.timings = Some(timings);
    }
    let stop = async move {
        let _ = stop.wait_for(|s| *s).await;
    };
    match idle(&mut wire, stop, || true, ping_interval, &mut r.idle).await {
        Ok(()) => wire.close(None).await,
        Err(e) => r.errors.note(e),
    }
    r
}

async fn join_steps(
    seat: &Seat,
    endpoint: &Endpoint,
    started: Instant,
    idle: &mut Idle,
) -> Result<(Wire, Timings), String> {
    let (mut wire, tcp_connect) = open_timed(endpoint, &seat.meeting_id, &seat.join_token).await?;
    let upgraded = Instant::now();
    send_join(&mut wire).await?;
    let mut others = 0;
    until(&mut wire, FrameType::JoinAck, |_, _| others += 1).await?;
    until(&mut wire, FrameType::Index, |_, _| others += 1).await?;
    let indexed = Instant::now();
    wire.send_subscribe(OFFER).await?;
    until(&mut wire, FrameType::SubscribeAck, |_, _| others += 1).await?;
    let acked = Instant::now();
    idle.frames += others;
    let timings = Timings {
        tcp_connect,
        open_to_upgraded: upgraded - started,
        join_to_index: indexed - upgraded,
        open_to_index: indexed - started,
        subscribe_to_ack: acked - indexed,
        open_to_ack: acked - started,
        start_lateness: Duration::ZERO,
    };
    Ok((wire, timings))
}
