//! `meeting`: one meeting of up to 250 attendees, every one of them connected.
//!
//! Three phases, one after the other:
//!
//! 1. **fill**: the attendees join at `--join-rate` (open, JOIN, SUBSCRIBE). Each joiner notes
//!    when it sent its SUBSCRIBE; every other member notes when the joiner's entry reaches it
//!    in an AUDIO_STREAM_ID_INFO frame. A join has reached everyone when the last member got it.
//! 2. **data**: `--data-rate` data messages a second in total (AWS's per-meeting rate is 100 a
//!    second, bursts of 200; the server throttles above it), sent in turn by `--senders`
//!    attendees, each carrying its send time; every other member notes its arrival.
//! 3. **rejoin**: `--rejoins` times, at `--rejoin-rate`, a member leaves (LEAVE, LEAVE_ACK,
//!    close) and joins again, into a full meeting: its presence reaches all the others.
//!
//! Every client is in this process, so send and receipt are read on one clock. Every session
//! pings every 10 s as the SDK does.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use carillon_signaling::frames::{FrameType, SdkSignalFrame};
use carillon_testkit::signaling::{pong_id, Wire};
use hdrhistogram::Histogram;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::report::{Distribution, Errors, Samples, SignalingReport};
use super::setup::Seat;
use super::wire::{open, rand_u64, send_data, send_join, until, DATA_TOPIC, OFFER};
use super::{micros, slot, Ctx};
use crate::client::Endpoint;
use crate::report::histogram;
use crate::run::BenchError;
use crate::workload::Rng;

/// Which phase a join belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JoinPhase {
    Fill,
    Rejoin,
}

/// A member's latest SUBSCRIBE.
#[derive(Debug, Clone, Copy)]
struct Mark {
    generation: u32,
    sent: Instant,
    phase: JoinPhase,
}

/// How one join spread: members that were to hear of it, members that did, the slowest.
#[derive(Debug, Clone, Copy)]
struct Spread {
    phase: JoinPhase,
    expected: usize,
    got: usize,
    max_us: u64,
}

/// What the members share: one clock, who is who, and the aggregates across receivers.
struct Shared {
    base: Instant,
    slots: HashMap<String, usize>,
    marks: Vec<Mutex<Option<Mark>>>,
    spreads: Mutex<HashMap<(usize, u32), Spread>>,
    /// Members that have their JOIN_ACK and have not left.
    present: AtomicUsize,
    next_seq: AtomicU64,
    /// Per data message: receipts, and the slowest receipt (µs).
    msg_got: Vec<AtomicU32>,
    msg_max_us: Vec<AtomicU64>,
}

impl Shared {
    fn now_ns(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

enum Cmd {
    SendData,
    Rejoin,
}

struct MemberResult {
    presence_fill: Samples,
    presence_rejoin: Samples,
    data: Samples,
    ping_rtt: Samples,
    data_sent: u64,
    data_bounced: u64,
    data_received: u64,
    pings: u64,
    pongs: u64,
    frames: u64,
    errors: Errors,
}

impl MemberResult {
    fn new() -> Self {
        MemberResult {
            presence_fill: Samples::default(),
            presence_rejoin: Samples::default(),
            data: Samples::default(),
            ping_rtt: Samples::default(),
            data_sent: 0,
            data_bounced: 0,
            data_received: 0,
            pings: 0,
            pongs: 0,
            frames: 0,
            errors: Errors::default(),
        }
    }

    /// Adds `o`'s counts to these, and its samples to `h` (presence fill, presence rejoin,
    /// data, ping).
    fn merge(&mut self, o: &MemberResult, h: &mut [Histogram<u64>; 4]) {
        for (h, samples) in
            h.iter_mut()
                .zip([&o.presence_fill, &o.presence_rejoin, &o.data, &o.ping_rtt])
        {
            samples.add_to(h);
        }
        self.data_sent += o.data_sent;
        self.data_bounced += o.data_bounced;
        self.data_received += o.data_received;
        self.pings += o.pings;
        self.pongs += o.pongs;
        self.frames += o.frames;
        self.errors.merge(&o.errors);
    }
}

/// A member's identity and links.
struct Member {
    slot: usize,
    seat: Seat,
    endpoint: Arc<Endpoint>,
    shared: Arc<Shared>,
    /// A join (or rejoin) finished: Ok, or why not.
    settled: mpsc::UnboundedSender<Result<(), String>>,
    ping_interval: Duration,
}

pub(crate) async fn run(ctx: &Ctx<'_>) -> Result<SignalingReport, BenchError> {
    let config = ctx.config;
    let n = config.sessions;
    ctx.raise_nofile(n)?;
    let seats = ctx.seats(n, n).await?;
    let roster: Vec<Seat> = seats.all().cloned().collect();
    let messages = (config.data_rate * config.duration.as_secs_f64()).ceil() as usize;
    let shared = Arc::new(Shared {
        base: Instant::now(),
        slots: roster
            .iter()
            .enumerate()
            .map(|(i, s)| (s.attendee_id.clone(), i))
            .collect(),
        marks: (0..n).map(|_| Mutex::new(None)).collect(),
        spreads: Mutex::new(HashMap::new()),
        present: AtomicUsize::new(0),
        next_seq: AtomicU64::new(0),
        msg_got: (0..messages).map(|_| AtomicU32::new(0)).collect(),
        msg_max_us: (0..messages).map(|_| AtomicU64::new(0)).collect(),
    });
    tokio::time::sleep(ctx.settle()).await;

    let mut report = ctx.report(&seats);
    // Fill.
    let (settled_tx, mut settled) = mpsc::unbounded_channel();
    let mut commands = Vec::with_capacity(n);
    let mut tasks = Vec::with_capacity(n);
    let fill_start = Instant::now();
    let meter = ctx.meter();
    let join_interval = Duration::from_secs_f64(1.0 / config.join_rate);
    ctx.say(&format!("fill: {n} joins at {}/s", config.join_rate));
    for (i, seat) in roster.iter().enumerate() {
        tokio::time::sleep_until(slot(fill_start, join_interval, i)).await;
        let (tx, rx) = mpsc::channel(16);
        commands.push(tx);
        let member = Member {
            slot: i,
            seat: seat.clone(),
            endpoint: Arc::clone(&ctx.endpoint),
            shared: Arc::clone(&shared),
            settled: settled_tx.clone(),
            ping_interval: config.ping_interval,
        };
        tasks.push(tokio::spawn(member.run(rx)));
    }
    let mut setup_errors = Errors::default();
    await_settled(&mut settled, n, &mut setup_errors).await;
    let fill_secs = fill_start.elapsed().as_secs_f64();
    meter.finish("fill", &mut report);
    // Presence still in flight lands.
    tokio::time::sleep(ctx.settle()).await;
    ctx.say(&format!(
        "filled in {fill_secs:.1} s ({} failed)",
        setup_errors.count
    ));

    // Data messages.
    ctx.say(&format!(
        "data: {messages} messages at {}/s from {} senders",
        config.data_rate, config.senders
    ));
    let data_interval = Duration::from_secs_f64(1.0 / config.data_rate);
    let data_start = Instant::now();
    let meter = ctx.meter();
    for k in 0..messages {
        tokio::time::sleep_until(slot(data_start, data_interval, k)).await;
        let _ = commands[k % config.senders].send(Cmd::SendData).await;
    }
    meter.finish("data", &mut report);
    tokio::time::sleep(ctx.settle()).await;

    // Rejoins, by the members that sent no data, in turn.
    ctx.say(&format!(
        "rejoin: {} rejoins at {}/s",
        config.rejoins, config.rejoin_rate
    ));
    let rejoin_interval = Duration::from_secs_f64(1.0 / config.rejoin_rate);
    let rejoin_start = Instant::now();
    let meter = ctx.meter();
    let movers = n - config.senders;
    for k in 0..config.rejoins {
        tokio::time::sleep_until(slot(rejoin_start, rejoin_interval, k)).await;
        let _ = commands[config.senders + k % movers]
            .send(Cmd::Rejoin)
            .await;
    }
    await_settled(&mut settled, config.rejoins, &mut setup_errors).await;
    meter.finish("rejoin", &mut report);
    tokio::time::sleep(ctx.settle()).await;

    ctx.say("closing");
    drop(commands);
    let mut all = MemberResult::new();
    let mut h: [Histogram<u64>; 4] = std::array::from_fn(|_| histogram());
    for task in tasks {
        if let Ok(r) = task.await {
            all.merge(&r, &mut h);
        }
    }
    let [presence_fill, presence_rejoin, data_each, ping_rtt] = h;
    all.errors.merge(&setup_errors);

    // Per join: the slowest member to hear of it.
    let mut reach_fill = histogram();
    let mut reach_rejoin = histogram();
    let mut joins = [0u64; 2];
    let mut incomplete = [0u64; 2];
    for spread in shared
        .spreads
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .values()
    {
        if spread.expected == 0 {
            continue;
        }
        let (h, i) = match spread.phase {
            JoinPhase::Fill => (&mut reach_fill, 0),
            JoinPhase::Rejoin => (&mut reach_rejoin, 1),
        };
        joins[i] += 1;
        if spread.got < spread.expected {
            incomplete[i] += 1;
        } else {
            let _ = h.record(spread.max_us.max(1));
        }
    }
    // Per data message: the slowest of the others to get it.
    let sent = shared.next_seq.load(Ordering::Relaxed).min(messages as u64) as usize;
    let mut reach_data = histogram();
    let mut relayed = 0u64;
    let mut short = 0u64;
    for k in 0..sent {
        let got = shared.msg_got[k].load(Ordering::Relaxed);
        if got == 0 {
            continue;
        }
        relayed += 1;
        if (got as usize) < n - 1 {
            short += 1;
        } else {
            let _ = reach_data.record(shared.msg_max_us[k].load(Ordering::Relaxed).max(1));
        }
    }

    report.parameters.insert("attendees", n.into());
    report
        .parameters
        .insert("join_rate", config.join_rate.into());
    report
        .parameters
        .insert("data_rate", config.data_rate.into());
    report.parameters.insert("senders", config.senders.into());
    report.parameters.insert("rejoins", config.rejoins.into());
    report
        .parameters
        .insert("rejoin_rate", config.rejoin_rate.into());
    let d = Distribution::of;
    report.latency.insert(
        "presence_fill_all",
        d(
            &reach_fill,
            "fill: joiner's SUBSCRIBE sent → its entry received by the last other member, per join",
        ),
    );
    report.latency.insert(
        "presence_fill_each",
        d(
            &presence_fill,
            "fill: joiner's SUBSCRIBE sent → its entry received, per receiving member",
        ),
    );
    report.latency.insert(
        "presence_rejoin_all",
        d(
            &reach_rejoin,
            "rejoin into the full meeting: SUBSCRIBE sent → entry received by the last other member",
        ),
    );
    report.latency.insert(
        "presence_rejoin_each",
        d(
            &presence_rejoin,
            "rejoin: SUBSCRIBE sent → entry received, per receiving member",
        ),
    );
    report.latency.insert(
        "data_all",
        d(
            &reach_data,
            "data message sent → received by the last of the other members, per message",
        ),
    );
    report.latency.insert(
        "data_each",
        d(
            &data_each,
            "data message sent → received, per receiving member",
        ),
    );
    report
        .latency
        .insert("ping_rtt", d(&ping_rtt, "PING sent → PONG, every phase"));
    report.counts.insert("joins_fill", joins[0]);
    report.counts.insert("joins_fill_incomplete", incomplete[0]);
    report.counts.insert("joins_rejoin", joins[1]);
    report
        .counts
        .insert("joins_rejoin_incomplete", incomplete[1]);
    report.counts.insert("data_sent", all.data_sent);
    report.counts.insert("data_throttled", all.data_bounced);
    report.counts.insert("data_relayed", relayed);
    report.counts.insert("data_not_reaching_all", short);
    report.counts.insert("data_received", all.data_received);
    report
        .counts
        .insert("data_expected", relayed * (n as u64 - 1));
    report.counts.insert("pings_sent", all.pings);
    report.counts.insert("pongs_received", all.pongs);
    report.counts.insert("other_frames_received", all.frames);
    report.errors = all.errors.count;
    report.first_error = all.errors.first;
    Ok(report)
}

/// Waits (at most 30 s after the last) for `count` joins to settle, noting failures.
async fn await_settled(
    settled: &mut mpsc::UnboundedReceiver<Result<(), String>>,
    count: usize,
    errors: &mut Errors,
) {
    for _ in 0..count {
        match tokio::time::timeout(Duration::from_secs(30), settled.recv()).await {
            Ok(Some(Ok(()))) => {}
            Ok(Some(Err(e))) => errors.note(e),
            Ok(None) | Err(_) => {
                errors.note("joins did not settle within 30 s");
                return;
            }
        }
    }
}

impl Member {
    async fn run(self, mut commands: mpsc::Receiver<Cmd>) -> MemberResult {
        let mut r = MemberResult::new();
        let mut wire = match self.join(JoinPhase::Fill, &mut r).await {
            Ok(wire) => wire,
            Err(e) => {
                let _ = self.settled.send(Err(e.clone()));
                r.errors.note(e);
                return r;
            }
        };
        let _ = self.settled.send(Ok(()));
        let mut rng = Rng::new(rand_u64());
        let interval = self.ping_interval;
        let mut next_ping = Instant::now() + interval.mul_f64(rng.below(1_000_000) as f64 / 1e6);
        let mut ping_id = 0u32;
        let mut outstanding: Option<(u32, Instant)> = None;
        loop {
            tokio::select! {
                // Commands first: the end of the run, and data sends on schedule.
                biased;
                command = commands.recv() => match command {
                    None => break,
                    Some(Cmd::SendData) => {
                        let seq = self.shared.next_seq.fetch_add(1, Ordering::Relaxed);
                        let mut payload = Vec::with_capacity(16);
                        payload.extend_from_slice(&self.shared.now_ns().to_le_bytes());
                        payload.extend_from_slice(&seq.to_le_bytes());
                        if let Err(e) = send_data(&mut wire, payload).await {
                            r.errors.note(e);
                            return r;
                        }
                        r.data_sent += 1;
                    }
                    Some(Cmd::Rejoin) => {
                        let rejoined = self.rejoin(wire, &mut r).await;
                        let _ = self.settled.send(rejoined.as_ref().map(|_| ()).map_err(Clone::clone));
                        match rejoined {
                            Ok(w) => wire = w,
                            Err(e) => {
                                r.errors.note(e);
                                return r;
                            }
                        }
                    }
                },
                frame = wire.next() => match frame {
                    Ok((FrameType::PingPong, frame)) => {
                        if let (Some(id), Some((sent_id, sent))) = (pong_id(&frame), outstanding) {
                            if id == sent_id {
                                r.pongs += 1;
                                r.ping_rtt.record(sent.elapsed());
                                outstanding = None;
                            }
                        }
                    }
                    Ok((kind, frame)) => self.observe(kind, &frame, &mut r),
                    Err(e) => {
                        r.errors.note(e);
                        return r;
                    }
                },
                () = tokio::time::sleep_until(next_ping) => {
                    ping_id = ping_id.wrapping_add(1);
                    if let Err(e) = wire.send_ping(ping_id).await {
                        r.errors.note(e);
                        return r;
                    }
                    r.pings += 1;
                    outstanding = Some((ping_id, Instant::now()));
                    next_ping += interval;
                }
            }
        }
        self.shared.present.fetch_sub(1, Ordering::Relaxed);
        wire.close(None).await;
        r
    }

    /// Open, JOIN → JOIN_ACK + INDEX, SUBSCRIBE → SUBSCRIBE_ACK and the roster. The SUBSCRIBE's
    /// send time is noted for the others to measure against.
    async fn join(&self, phase: JoinPhase, r: &mut MemberResult) -> Result<Wire, String> {
        let mut wire = open(&self.endpoint, &self.seat.meeting_id, &self.seat.join_token).await?;
        send_join(&mut wire).await?;
        until(&mut wire, FrameType::JoinAck, |k, f| self.observe(k, f, r)).await?;
        until(&mut wire, FrameType::Index, |k, f| self.observe(k, f, r)).await?;
        let others = self.shared.present.fetch_add(1, Ordering::Relaxed);
        {
            let mut mark = self.shared.marks[self.slot]
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let generation = mark.map_or(1, |m| m.generation + 1);
            // The spread exists before the mark names it, so a receiver always finds it.
            self.shared
                .spreads
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(
                    (self.slot, generation),
                    Spread {
                        phase,
                        expected: others,
                        got: 0,
                        max_us: 0,
                    },
                );
            *mark = Some(Mark {
                generation,
                sent: Instant::now(),
                phase,
            });
        }
        wire.send_subscribe(OFFER).await?;
        until(&mut wire, FrameType::SubscribeAck, |k, f| {
            self.observe(k, f, r)
        })
        .await?;
        // The roster is the presence frame that names this member.
        loop {
            let frame = until(&mut wire, FrameType::AudioStreamIdInfo, |k, f| {
                self.observe(k, f, r)
            })
            .await?;
            if self.names_me(&frame) {
                return Ok(wire);
            }
            self.observe(FrameType::AudioStreamIdInfo, &frame, r);
        }
    }

    /// LEAVE → LEAVE_ACK, close, then a new session.
    async fn rejoin(&self, mut wire: Wire, r: &mut MemberResult) -> Result<Wire, String> {
        wire.send_leave().await?;
        until(&mut wire, FrameType::LeaveAck, |k, f| self.observe(k, f, r)).await?;
        self.shared.present.fetch_sub(1, Ordering::Relaxed);
        wire.close(None).await;
        self.join(JoinPhase::Rejoin, r).await
    }

    fn names_me(&self, frame: &SdkSignalFrame) -> bool {
        frame.audio_stream_id_info.as_ref().is_some_and(|info| {
            info.streams
                .iter()
                .any(|s| s.attendee_id.as_deref() == Some(self.seat.attendee_id.as_str()))
        })
    }

    /// Notes what a frame tells: other members' arrivals, data messages.
    fn observe(&self, kind: FrameType, frame: &SdkSignalFrame, r: &mut MemberResult) {
        let received = Instant::now();
        match kind {
            FrameType::AudioStreamIdInfo => {
                let Some(info) = &frame.audio_stream_id_info else {
                    return;
                };
                if self.names_me(frame) {
                    // A roster (this member's own join), not news.
                    return;
                }
                for entry in &info.streams {
                    let Some(slot) = entry
                        .attendee_id
                        .as_deref()
                        .and_then(|a| self.shared.slots.get(a))
                    else {
                        // Departures and mute changes carry no attendee id.
                        continue;
                    };
                    let mark = *self.shared.marks[*slot]
                        .lock()
                        .unwrap_or_else(|e| e.into_inner());
                    let Some(mark) = mark else { continue };
                    let us = micros(received.saturating_duration_since(mark.sent));
                    match mark.phase {
                        JoinPhase::Fill => r.presence_fill.record_us(us),
                        JoinPhase::Rejoin => r.presence_rejoin.record_us(us),
                    }
                    if let Some(spread) = self
                        .shared
                        .spreads
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .get_mut(&(*slot, mark.generation))
                    {
                        spread.got += 1;
                        spread.max_us = spread.max_us.max(us);
                    }
                }
            }
            FrameType::DataMessage => {
                let Some(data) = &frame.data_message else {
                    return;
                };
                let now_ns = self.shared.now_ns();
                for message in &data.messages {
                    if message.ingest_time_ns == Some(0) {
                        r.data_bounced += 1;
                        continue;
                    }
                    if message.topic.as_deref() != Some(DATA_TOPIC) {
                        continue;
                    }
                    let Some((sent_ns, seq)) = message.data.as_deref().and_then(parse_payload)
                    else {
                        continue;
                    };
                    r.data_received += 1;
                    let us = (now_ns.saturating_sub(sent_ns) / 1000).max(1);
                    r.data.record_us(us);
                    if let (Some(got), Some(max)) = (
                        self.shared.msg_got.get(seq as usize),
                        self.shared.msg_max_us.get(seq as usize),
                    ) {
                        got.fetch_add(1, Ordering::Relaxed);
                        max.fetch_max(us, Ordering::Relaxed);
                    }
                }
            }
            _ => r.frames += 1,
        }
    }
}

/// The send time (ns since the run's base) and sequence number a data message carries.
fn parse_payload(data: &[u8]) -> Option<(u64, u64)> {
    let sent = u64::from_le_bytes(data.get(0..8)?.try_into().ok()?);
    let seq = u64::from_le_bytes(data.get(8..16)?.try_into().ok()?);
    Some((sent, seq))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        let mut p = 123u64.to_le_bytes().to_vec();
        p.extend_from_slice(&7u64.to_le_bytes());
        assert_eq!(parse_payload(&p), Some((123, 7)));
        assert_eq!(parse_payload(&p[..10]), None);
    }
}
