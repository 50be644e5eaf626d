//! One simulated participant, as a browser running the Chime SDK is: a signaling session
//! (JOIN, SUBSCRIBE with its WebRTC offer, AUDIO_CONTROL mute for the silent ones, a ping every
//! 10 s) and a WebRTC endpoint that sends one Opus packet every 20 ms and plays what it gets.
//!
//! Once every participant is connected, the run's [`Schedule`] starts the senders' clocks:
//! participant *p* sends frame *n* at `start + phase(p) + n × 20 ms`, and takes the instant the
//! datagram left as the frame's send time. A speaker's frame that starts a burst is written to
//! its meeting's [`OnsetLog`]; every packet received is decoded, and an onset heard is timed
//! from that send to the packet's arrival in the listener's socket (the kernel's timestamp,
//! [`Peer::receive_waiting`]). Only what is sent or received inside the measured window is
//! counted.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use carillon_signaling::frames::FrameType;
use carillon_testkit::signaling::Wire;
use str0m::media::MediaData;
use tokio::sync::{watch, Semaphore};

use super::onsets::{Heard, OnsetLog};
use super::peer::{Offering, Peer};
use super::sound::{Cycle, Ear, CYCLE_FRAMES, SILENCE_FRAME};
use crate::client::Endpoint;
use crate::signaling::report::{Errors, Samples};
use crate::signaling::sessions::{idle, Idle};
use crate::signaling::setup::Seat;
use crate::signaling::wire::{open, send_join, until};

/// One frame of audio.
pub const FRAME: Duration = Duration::from_millis(20);

/// How long a participant may take from its SUBSCRIBE_ACK to a connected endpoint (ICE and
/// DTLS).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A send this much after its time counts as late: the generator could not keep its clock.
const LATE_SEND: Duration = Duration::from_millis(5);

/// Frames due longer ago than this are skipped rather than sent in a burst: a browser's audio
/// pipeline sends what piled up during a short stall, but not seconds of it (a participant
/// that connected after the clocks started begins at the current frame).
const SKIP_AFTER: Duration = Duration::from_millis(100);

/// Who a participant is.
#[derive(Debug, Clone)]
pub struct Participant {
    pub seat: Seat,
    /// Its seat in its meeting; the first `speakers` seats speak.
    pub index: usize,
    /// For a speaker, the frame of the one-second cycle at which its bursts start.
    pub burst_offset: Option<usize>,
    /// Where in the 20 ms frame its sends fall.
    pub phase: Duration,
    pub log: Arc<OnsetLog>,
}

/// When the senders' clocks start and what is measured, on this process's clock.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub start: Instant,
    pub window_start: Instant,
    pub window_end: Instant,
}

impl Schedule {
    pub fn in_window(&self, t: Instant) -> bool {
        t >= self.window_start && t < self.window_end
    }
}

/// What every participant shares.
#[derive(Clone)]
pub struct Shared {
    pub endpoint: Arc<Endpoint>,
    pub cycle: Arc<Cycle>,
    pub joining: Arc<Semaphore>,
    pub schedule: watch::Receiver<Option<Schedule>>,
    pub stop: watch::Receiver<bool>,
    pub connected: Arc<AtomicU64>,
    pub failed: Arc<AtomicU64>,
    pub ping_interval: Duration,
}

/// What one participant counted.
#[derive(Debug, Default)]
pub struct Outcome {
    pub connected: bool,
    /// Onset latencies of bursts sent in the window, microseconds.
    pub latency: Samples,
    /// Bursts of the window it should have heard (sent by the others of its meeting).
    pub onsets_expected: u64,
    /// Onsets heard that match no burst.
    pub onsets_unmatched: u64,
    pub packets_received: u64,
    pub packets_sent: u64,
    /// Sends more than [`LATE_SEND`] after their time.
    pub late_sends: u64,
    /// Frames due in the window and never sent ([`SKIP_AFTER`]).
    pub skipped_sends: u64,
    pub undecodable: u64,
    pub send_failures: u64,
    pub errors: Errors,
}

/// Runs one participant until the run stops.
pub async fn run(p: Participant, shared: Shared) -> Outcome {
    let joined = match Ear::new() {
        Ok(ear) => {
            let _permit = shared.joining.acquire().await;
            join(&p, &shared.endpoint)
                .await
                .map(|(wire, peer)| (wire, peer, ear))
        }
        Err(e) => Err(e),
    };
    let (wire, peer, ear) = match joined {
        Ok(joined) => joined,
        Err(e) => {
            shared.failed.fetch_add(1, Ordering::Relaxed);
            let mut out = Outcome::default();
            out.errors.note(e);
            return out;
        }
    };
    let signaling = tokio::spawn(hold(wire, shared.stop.clone(), shared.ping_interval));
    let mut media = Media {
        p: &p,
        shared: &shared,
        peer,
        out: Outcome::default(),
        ear,
        schedule: None,
        frame: 0,
        matched: None,
    };
    let result = media.run().await;
    let Media { mut out, peer, .. } = media;
    out.send_failures = peer.send_failures;
    if let Err(e) = result {
        if !out.connected {
            shared.failed.fetch_add(1, Ordering::Relaxed);
        }
        out.errors.note(e);
    }
    match signaling.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => out.errors.note(format!("signaling: {e}")),
        Err(e) => out.errors.note(format!("signaling task: {e}")),
    }
    if let Some(schedule) = *shared.schedule.borrow() {
        out.onsets_expected = p
            .log
            .expected(p.index, schedule.window_start, schedule.window_end);
    }
    out
}

/// Open → JOIN → JOIN_ACK, INDEX → SUBSCRIBE with the endpoint's offer → SUBSCRIBE_ACK; a
/// participant that does not speak then mutes, as the SDK does (AUDIO_CONTROL), and keeps
/// sending silence.
async fn join(p: &Participant, endpoint: &Endpoint) -> Result<(Wire, Peer), String> {
    let mut wire = open(endpoint, &p.seat.meeting_id, &p.seat.join_token).await?;
    send_join(&mut wire).await?;
    until(&mut wire, FrameType::JoinAck, |_, _| {}).await?;
    until(&mut wire, FrameType::Index, |_, _| {}).await?;
    let offering = Offering::new(Instant::now())?;
    wire.send_subscribe(&offering.sdp).await?;
    let ack = until(&mut wire, FrameType::SubscribeAck, |_, _| {}).await?;
    let answer = ack
        .suback
        .and_then(|s| s.sdp_answer)
        .ok_or("SUBSCRIBE_ACK without an SDP answer")?;
    if p.burst_offset.is_none() {
        wire.send_mute(true).await?;
    }
    let peer = offering.accept(&answer)?;
    Ok((wire, peer))
}

/// Holds the signaling session until the run stops: reads what comes, pings as the SDK does.
async fn hold(
    mut wire: Wire,
    mut stop: watch::Receiver<bool>,
    ping: Duration,
) -> Result<(), String> {
    let mut state = Idle::default();
    let stopped = async move {
        let _ = stop.wait_for(|s| *s).await;
    };
    idle(&mut wire, stopped, || false, ping, &mut state).await?;
    wire.close(None).await;
    Ok(())
}

/// The media side of one participant.
struct Media<'a> {
    p: &'a Participant,
    shared: &'a Shared,
    peer: Peer,
    out: Outcome,
    ear: Ear,
    schedule: Option<Schedule>,
    /// Frames sent so far.
    frame: u64,
    /// The last burst of the log this listener matched.
    matched: Option<usize>,
}

impl Media<'_> {
    async fn run(&mut self) -> Result<(), String> {
        let mut schedule = self.shared.schedule.clone();
        let mut stop = self.shared.stop.clone();
        let stopped = stop.wait_for(|s| *s);
        tokio::pin!(stopped);
        let connect_by = Instant::now() + CONNECT_TIMEOUT;
        let mut buf = vec![0u8; 2048];
        loop {
            let mut wake = self.drain()?;
            if !self.out.connected {
                if self.peer.is_connected() {
                    self.out.connected = true;
                    self.shared.connected.fetch_add(1, Ordering::Relaxed);
                } else if Instant::now() >= connect_by {
                    return Err(format!("not connected within {CONNECT_TIMEOUT:?}"));
                } else {
                    wake = wake.min(connect_by);
                }
            }
            if let Some(at) = self.send_time() {
                wake = wake.min(at);
            }
            tokio::select! {
                biased;
                _ = &mut stopped => return Ok(()),
                changed = schedule.changed(), if self.schedule.is_none() => {
                    if changed.is_err() {
                        return Ok(());
                    }
                    self.schedule = *schedule.borrow();
                }
                readable = self.peer.socket.readable() => {
                    readable.map_err(|e| format!("UDP socket: {e}"))?;
                    self.peer.receive_waiting(&mut buf)?;
                }
                () = tokio::time::sleep_until(wake.into()) => {
                    let now = Instant::now();
                    self.peer.timeout(now)?;
                    while self.send_time().is_some_and(|at| at <= now) {
                        self.send_frame()?;
                    }
                }
            }
        }
    }

    /// When the next frame is due, once the clocks have started.
    fn send_time(&self) -> Option<Instant> {
        let s = self.schedule?;
        Some(s.start + self.p.phase + FRAME * u32::try_from(self.frame).ok()?)
    }

    /// Sends the frame that is due: the cycle's packet for a speaker, silence otherwise; skips
    /// it when it is more than [`SKIP_AFTER`] late.
    fn send_frame(&mut self) -> Result<(), String> {
        let due = self.send_time().ok_or("no schedule")?;
        let n = usize::try_from(self.frame).map_err(|e| e.to_string())?;
        if due.elapsed() > SKIP_AFTER {
            self.frame += 1;
            if self.schedule.is_some_and(|s| s.in_window(due)) {
                self.out.skipped_sends += 1;
            }
            return Ok(());
        }
        let (payload, onset) = match self.p.burst_offset {
            Some(offset) => {
                let position = (n + CYCLE_FRAMES - offset % CYCLE_FRAMES) % CYCLE_FRAMES;
                (self.shared.cycle.packet(position), position == 0)
            }
            None => (Arc::from(&SILENCE_FRAME[..]), false),
        };
        self.peer.write(Instant::now(), payload)?;
        self.frame += 1;
        self.drain()?;
        let sent = Instant::now();
        if onset {
            self.p.log.record(self.p.index, sent);
        }
        if self.schedule.is_some_and(|s| s.in_window(sent)) {
            self.out.packets_sent += 1;
            if sent.saturating_duration_since(due) > LATE_SEND {
                self.out.late_sends += 1;
            }
        }
        Ok(())
    }

    /// Drains the endpoint, hearing every packet it received; answers its next wake-up.
    fn drain(&mut self) -> Result<Instant, String> {
        let Media {
            peer,
            out,
            ear,
            schedule,
            matched,
            p,
            ..
        } = self;
        peer.drain(|data| hear(data, p, *schedule, ear, matched, out))
    }
}

/// Decodes one packet received and, if it starts a burst, times it.
fn hear(
    data: &MediaData,
    p: &Participant,
    schedule: Option<Schedule>,
    ear: &mut Ear,
    matched: &mut Option<usize>,
    out: &mut Outcome,
) {
    let arrived = data.network_time;
    let in_window = schedule.is_some_and(|s| s.in_window(arrived));
    if in_window {
        out.packets_received += 1;
    }
    let before = ear.undecodable;
    let onset = ear.hear(&data.data);
    if in_window {
        out.undecodable += ear.undecodable - before;
    }
    if !onset {
        return;
    }
    match p.log.heard(p.index, arrived, *matched) {
        Heard::Burst { index, sent } => {
            *matched = Some(index);
            if schedule.is_some_and(|s| s.in_window(sent)) {
                out.latency.record(arrived.saturating_duration_since(sent));
            }
        }
        Heard::Unmatched if in_window => out.onsets_unmatched += 1,
        Heard::Unmatched => {}
    }
}
