//! All of a node's audio: every session's endpoint ([`Peer`]) and every meeting's [`Mixer`],
//! driven by one loop that owns the UDP socket (the signaling plane's ICE port).
//!
//! The engine is synchronous and owns no I/O: the loop hands it datagrams and the time, and
//! gives it a `send` function for what it transmits. One clock runs every meeting's mixer on
//! the same 20 ms tick, and one thread does it all, so a frame leaves for every listener of
//! every meeting in the same pass, with no locks between the endpoints and the mixers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use str0m::IceCreds;

use crate::mixer::{
    InboundPacket, Level, Mixer, MixerConfig, Outbound, ParticipantId, Role, FRAME,
};
use crate::peer::{AudioPlan, NodeMedia, Peer, PeerEvent};

/// How often each meeting's levels are reported (AUDIO_METADATA). The SDK's volume
/// indicators and active-speaker detection read them; five a second moves them smoothly.
pub const LEVELS_EVERY: Duration = Duration::from_millis(200);

/// A tick that runs this much after its time counts as late (the listener's jitter buffer
/// absorbs less than this).
const LATE: Duration = Duration::from_millis(10);

/// One session that has subscribed with audio.
#[derive(Debug, Clone)]
pub struct Attach {
    /// The signaling session: unique on this node.
    pub session: u64,
    pub meeting: Arc<str>,
    pub plan: AudioPlan,
    /// The ICE credentials of the session's SDP answer.
    pub ufrag: String,
    pub pwd: String,
    /// The SSRC the answer declared for the audio the server sends.
    pub ssrc: u32,
    pub role: Role,
    pub muted: bool,
}

/// A meeting's levels, for AUDIO_METADATA. Sessions are the signaling sessions' ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingLevels {
    pub meeting: Arc<str>,
    pub levels: Vec<Level>,
}

/// What the engine has counted since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngineStats {
    pub ticks: u64,
    pub late_ticks: u64,
    /// Ticks skipped because the loop fell more than a whole frame behind.
    pub skipped_ticks: u64,
    pub packets_in: u64,
    pub packets_out: u64,
}

/// A session with an endpoint.
struct Live {
    attach: Attach,
    peer: Peer,
    /// When the endpoint next needs the time.
    wake: Option<Instant>,
    /// Where its checks came from: its media comes from there too.
    source: SocketAddr,
    /// In its meeting's mixer (from the moment its DTLS is up).
    mixed: bool,
}

/// The node's audio.
pub struct Engine {
    node: NodeMedia,
    candidate: SocketAddr,
    mixer_config: MixerConfig,
    /// Sessions that subscribed with audio and have not passed an ICE check yet: only their
    /// plan, so that signaling-only clients cost a few hundred bytes.
    pending: HashMap<u64, Attach>,
    live: HashMap<u64, Live>,
    by_source: HashMap<SocketAddr, u64>,
    /// The mixers of meetings with at least one connected session.
    meetings: HashMap<Arc<str>, Mixer>,
    next_tick: Option<Instant>,
    next_levels: Option<Instant>,
    outbound: Vec<Outbound>,
    /// Sessions whose endpoints failed during a tick.
    dropped: Vec<u64>,
    /// Sessions whose endpoints' timers are due.
    due: Vec<u64>,
    levels: Vec<Level>,
    stats: EngineStats,
}

impl Engine {
    /// An engine whose endpoints present `node`'s certificate and `candidate`.
    pub fn new(node: NodeMedia, candidate: SocketAddr, mixer_config: MixerConfig) -> Self {
        Self {
            node,
            candidate,
            mixer_config,
            pending: HashMap::new(),
            live: HashMap::new(),
            by_source: HashMap::new(),
            meetings: HashMap::new(),
            next_tick: None,
            next_levels: None,
            outbound: Vec::new(),
            dropped: Vec::new(),
            due: Vec::new(),
            levels: Vec::new(),
            stats: EngineStats::default(),
        }
    }

    pub fn stats(&self) -> EngineStats {
        self.stats
    }

    /// Sessions attached, and how many of them have an endpoint.
    pub fn sessions(&self) -> (usize, usize) {
        (self.pending.len() + self.live.len(), self.live.len())
    }

    /// A session subscribed, or subscribed again: an endpoint it has is kept, and its role and
    /// mute state follow the new subscription.
    pub fn attach(&mut self, attach: Attach) {
        let session = attach.session;
        match self.live.get_mut(&session) {
            Some(live) => {
                let (role, muted) = (attach.role, attach.muted);
                live.attach = attach;
                if live.mixed {
                    if let Some(mixer) = self.meetings.get_mut(&live.attach.meeting) {
                        mixer.set_role(session, role);
                        mixer.set_muted(session, muted);
                    }
                }
            }
            None => {
                self.pending.insert(session, attach);
            }
        }
    }

    /// The session ended.
    pub fn detach(&mut self, session: u64) {
        self.pending.remove(&session);
        if let Some(live) = self.live.remove(&session) {
            self.forget_source(live.source, session);
            if live.mixed {
                self.unmix(&live.attach.meeting, session);
            }
        }
    }

    pub fn set_muted(&mut self, session: u64, muted: bool) {
        self.update(
            session,
            |a| a.muted = muted,
            |m| m.set_muted(session, muted),
        );
    }

    pub fn set_role(&mut self, session: u64, role: Role) {
        self.update(session, |a| a.role = role, |m| m.set_role(session, role));
    }

    /// Changes a session's subscription, and its place in its mixer if it has one.
    fn update(
        &mut self,
        session: u64,
        attach: impl FnOnce(&mut Attach),
        mixer: impl FnOnce(&mut Mixer),
    ) {
        if let Some(pending) = self.pending.get_mut(&session) {
            attach(pending);
        } else if let Some(live) = self.live.get_mut(&session) {
            attach(&mut live.attach);
            if live.mixed {
                if let Some(m) = self.meetings.get_mut(&live.attach.meeting) {
                    mixer(m);
                }
            }
        }
    }

    /// An ICE check for `session` that the caller authenticated, from `source`: builds the
    /// session's endpoint if it has none, and hands the check to it (str0m answers it).
    pub fn checked(
        &mut self,
        session: u64,
        now: Instant,
        source: SocketAddr,
        datagram: &[u8],
        send: &mut impl FnMut(SocketAddr, &[u8]),
    ) {
        if let Some(attach) = self.pending.remove(&session) {
            let local = IceCreds {
                ufrag: attach.ufrag.clone(),
                pass: attach.pwd.clone(),
            };
            let peer = Peer::new(
                &self.node,
                &attach.plan,
                local,
                self.candidate,
                attach.ssrc,
                now,
            );
            match peer {
                Ok(peer) => {
                    self.by_source.insert(source, session);
                    let live = Live {
                        attach,
                        peer,
                        wake: None,
                        source,
                        mixed: false,
                    };
                    self.live.insert(session, live);
                }
                Err(e) => {
                    tracing::debug!(error = %e, "no media endpoint for the session");
                    return;
                }
            }
        }
        let Some(live) = self.live.get_mut(&session) else {
            return;
        };
        // A client may move (a new network path): its media follows its checks.
        if live.source != source {
            let old = std::mem::replace(&mut live.source, source);
            self.forget_source(old, session);
            self.by_source.insert(source, session);
        }
        self.feed(session, now, source, datagram, send);
    }

    /// A datagram that is not STUN (DTLS, RTP, RTCP): goes to the endpoint whose checks came
    /// from `source`. False when there is none.
    pub fn receive(
        &mut self,
        now: Instant,
        source: SocketAddr,
        datagram: &[u8],
        send: &mut impl FnMut(SocketAddr, &[u8]),
    ) -> bool {
        let Some(&session) = self.by_source.get(&source) else {
            return false;
        };
        self.feed(session, now, source, datagram, send);
        true
    }

    fn feed(
        &mut self,
        session: u64,
        now: Instant,
        source: SocketAddr,
        datagram: &[u8],
        send: &mut impl FnMut(SocketAddr, &[u8]),
    ) {
        if let Some(live) = self.live.get_mut(&session) {
            live.peer.receive(now, source, datagram);
            self.poll(session, now, send);
        }
    }

    /// When [`Engine::run_due`] should next be called.
    pub fn next_wake(&self) -> Option<Instant> {
        let peers = self.live.values().filter_map(|live| live.wake);
        peers.chain(self.next_tick).chain(self.next_levels).min()
    }

    /// Does what is due at `now`: endpoints' timers, the mixers' tick, the levels.
    pub fn run_due(
        &mut self,
        now: Instant,
        send: &mut impl FnMut(SocketAddr, &[u8]),
        report: &mut impl FnMut(MeetingLevels),
    ) {
        // Polling may drop an endpoint, so the due ones are listed first (in a kept buffer).
        let mut due = std::mem::take(&mut self.due);
        due.extend(
            self.live
                .iter()
                .filter(|(_, live)| live.wake.is_some_and(|at| at <= now))
                .map(|(session, _)| *session),
        );
        for session in due.drain(..) {
            if let Some(live) = self.live.get_mut(&session) {
                live.peer.timeout(now);
                self.poll(session, now, send);
            }
        }
        self.due = due;
        if let Some(tick) = self.next_tick.filter(|at| *at <= now) {
            self.tick(now, tick, send);
        }
        if let Some(at) = self.next_levels.filter(|at| *at <= now) {
            self.next_levels = Some(at + LEVELS_EVERY);
            self.report_levels(report);
        }
    }

    /// One 20 ms period of every meeting: mix, encode, send.
    fn tick(&mut self, now: Instant, scheduled: Instant, send: &mut impl FnMut(SocketAddr, &[u8])) {
        self.stats.ticks += 1;
        if now.saturating_duration_since(scheduled) > LATE {
            self.stats.late_ticks += 1;
        }
        // Keep the tick on its own grid; after a stall of more than a frame, skip the frames
        // that can no longer be on time rather than send a burst.
        let mut next = scheduled + FRAME;
        while next <= now {
            next += FRAME;
            self.stats.skipped_ticks += 1;
        }
        self.next_tick = Some(next);
        for mixer in self.meetings.values_mut() {
            self.outbound.clear();
            mixer.tick(&mut self.outbound);
            for out in self.outbound.drain(..) {
                let Some(live) = self.live.get_mut(&out.listener) else {
                    continue;
                };
                live.peer.send_audio(now, out.payload);
                self.stats.packets_out += 1;
                if drain(live, send, &mut self.stats, Some(&mut *mixer)).disconnected {
                    self.dropped.push(out.listener);
                }
            }
        }
        // Endpoints that failed while sending leave their mixers once those are done with.
        while let Some(session) = self.dropped.pop() {
            self.disconnected(session);
        }
    }

    fn report_levels(&mut self, report: &mut impl FnMut(MeetingLevels)) {
        for (meeting, mixer) in &self.meetings {
            self.levels.clear();
            mixer.levels(&mut self.levels);
            report(MeetingLevels {
                meeting: meeting.clone(),
                levels: self.levels.clone(),
            });
        }
    }

    /// Polls a session's endpoint: sends what it has, hands its audio to the meeting's mixer,
    /// and puts it in the mixer once connected (out of it once disconnected).
    fn poll(&mut self, session: u64, now: Instant, send: &mut impl FnMut(SocketAddr, &[u8])) {
        let Some(live) = self.live.get_mut(&session) else {
            return;
        };
        let mixer = self.meetings.get_mut(&live.attach.meeting);
        let events = drain(live, send, &mut self.stats, mixer);
        if events.connected && !live.mixed {
            live.mixed = true;
            let (meeting, role, muted) = (
                live.attach.meeting.clone(),
                live.attach.role,
                live.attach.muted,
            );
            self.mix(meeting, session, role, muted, now);
        }
        if events.disconnected {
            self.disconnected(session);
        }
    }

    /// The client went away without the session ending (its network dropped, its DTLS
    /// closed): the session is back to its plan, and a new check from the client builds a
    /// new endpoint.
    fn disconnected(&mut self, session: u64) {
        if let Some(live) = self.live.remove(&session) {
            self.forget_source(live.source, session);
            if live.mixed {
                self.unmix(&live.attach.meeting, session);
            }
            self.pending.insert(session, live.attach);
        }
    }

    fn mix(&mut self, meeting: Arc<str>, session: u64, role: Role, muted: bool, now: Instant) {
        let mixer = match self.meetings.entry(meeting) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => match Mixer::new(self.mixer_config)
            {
                Ok(mixer) => entry.insert(mixer),
                Err(e) => {
                    tracing::warn!(error = %e, "no mixer for the meeting: its audio is off");
                    return;
                }
            },
        };
        mixer.add(session as ParticipantId, role);
        mixer.set_muted(session as ParticipantId, muted);
        self.next_tick.get_or_insert(now + FRAME);
        self.next_levels.get_or_insert(now + LEVELS_EVERY);
    }

    fn unmix(&mut self, meeting: &Arc<str>, session: u64) {
        if let Some(mixer) = self.meetings.get_mut(meeting) {
            mixer.remove(session as ParticipantId);
            if mixer.is_empty() {
                self.meetings.remove(meeting);
            }
        }
        if self.meetings.is_empty() {
            self.next_tick = None;
            self.next_levels = None;
        }
    }

    fn forget_source(&mut self, source: SocketAddr, session: u64) {
        if self.by_source.get(&source) == Some(&session) {
            self.by_source.remove(&source);
        }
    }
}

/// What a poll saw of the connection.
#[derive(Default)]
struct Polled {
    connected: bool,
    disconnected: bool,
}

/// Polls `live`'s endpoint: what it transmits goes to `send`, the audio it received to
/// `mixer` (once the session is in it).
fn drain(
    live: &mut Live,
    send: &mut impl FnMut(SocketAddr, &[u8]),
    stats: &mut EngineStats,
    mut mixer: Option<&mut Mixer>,
) -> Polled {
    let session = live.attach.session;
    let mixed = live.mixed;
    let mut polled = Polled::default();
    live.wake = live.peer.poll(
        |to, bytes| send(to, bytes),
        |event| match event {
            PeerEvent::Connected => polled.connected = true,
            PeerEvent::Audio {
                sequence,
                timestamp,
                payload,
                audio_level,
            } => {
                stats.packets_in += 1;
                if let Some(mixer) = mixer.as_deref_mut().filter(|_| mixed) {
                    mixer.push(
                        session as ParticipantId,
                        InboundPacket {
                            sequence,
                            timestamp,
                            payload: &payload,
                            audio_level,
                        },
                    );
                }
            }
            PeerEvent::Disconnected => polled.disconnected = true,
        },
    );
    polled
}

#[cfg(test)]
mod tests;
