//! One meeting's sessions on this node: presence, mute state and data messages, by the SDK's
//! rules.
//!
//! Presence (what `realtimeSubscribeToAttendeeIdPresence` reports) comes only from
//! AUDIO_STREAM_ID_INFO frames. A session gets a new, increasing audio stream id when it first
//! subscribes; it is then sent the whole roster, itself included, and everyone else its entry.
//! Leaving sends `{stream}`; a lost connection `{stream, dropped}`. A second connection of the same
//! attendee replaces the first: the newcomer's entry goes out before the old stream's departure,
//! so the SDK, which keeps the highest stream id of an attendee, never reports it absent.
//!
//! Every frame to a session goes through its bounded queue, filled without waiting: a session
//! whose queue is full is dropped (its client does not read), so one slow client never holds up
//! the meeting. All of it happens under the room's lock, which keeps the order of frames the
//! same for everyone.
//!
//! The room also tells the presence reports when it becomes occupied or vacated
//! ([`presence`](crate::presence)): checked whenever its lock is released, so that no way a
//! session enters or leaves (join, leave, drop, eviction, the meeting's end) is missed, and
//! recorded under the lock, so that the transitions of a meeting are recorded in their order.

use std::collections::HashSet;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{mpsc, Notify};

use crate::data::{self, DataLimits, IngestClock, ReplayBuffer, TokenBucket};
use crate::ending::Ending;
use crate::frames::{
    self, FrameType, SdkAudioAttendeeState, SdkAudioMetadataFrame, SdkAudioStreamIdInfo,
    SdkAudioStreamIdInfoFrame, SdkDataMessageFrame, SdkDataMessagePayload, SdkSignalFrame,
};
use crate::presence::{self, Occupancy, PresenceReports};
use carillon_media::mixer::Level;

pub type SessionId = u64;

/// Content shares a meeting may have at once (AWS's quota).
pub const MAX_CONTENT_SHARES: usize = 2;

/// Tells a session's task that the server ends it. Set once; later endings are ignored.
#[derive(Debug, Default)]
pub struct EndSignal {
    ending: OnceLock<Ending>,
    notify: Notify,
}

impl EndSignal {
    pub fn end(&self, ending: Ending) {
        if self.ending.set(ending).is_ok() {
            self.notify.notify_one();
        }
    }

    pub async fn ended(&self) -> Ending {
        loop {
            if let Some(ending) = self.ending.get() {
                return *ending;
            }
            // `notify_one` keeps a permit when nobody waits yet, so an ending set between the
            // check above and this wait is not missed.
            self.notify.notified().await;
        }
    }
}

/// The way to a session's task: its frame queue and its end signal.
#[derive(Debug, Clone)]
pub struct SessionLink {
    pub frames: mpsc::Sender<Bytes>,
    pub end: Arc<EndSignal>,
}

/// A session about to join.
#[derive(Debug)]
pub struct Joiner {
    pub session: SessionId,
    pub attendee_id: Arc<str>,
    pub external_user_id: Arc<str>,
    /// A content-share session (`<AttendeeId>#content`).
    pub content: bool,
    pub link: SessionLink,
}

#[derive(Debug)]
struct Member {
    session: SessionId,
    attendee_id: Arc<str>,
    external_user_id: Arc<str>,
    content: bool,
    stream: Option<u32>,
    /// The stream of the connection this one replaced, announced gone once this one has its own.
    replaced_stream: Option<u32>,
    muted: bool,
    link: SessionLink,
    /// The attendee's hard limit on data messages.
    sending: TokenBucket,
}

impl Member {
    fn entry(&self, stream: u32) -> SdkAudioStreamIdInfo {
        SdkAudioStreamIdInfo {
            audio_stream_id: Some(stream),
            attendee_id: Some(self.attendee_id.to_string()),
            muted: Some(self.muted),
            external_user_id: Some(self.external_user_id.to_string()),
            dropped: None,
        }
    }

    /// The entries that announce this member gone.
    fn departure(&self, dropped: bool) -> impl Iterator<Item = SdkAudioStreamIdInfo> {
        [self.stream, self.replaced_stream]
            .into_iter()
            .flatten()
            .map(move |stream| gone(stream, dropped))
    }
}

fn gone(stream: u32, dropped: bool) -> SdkAudioStreamIdInfo {
    SdkAudioStreamIdInfo {
        audio_stream_id: Some(stream),
        attendee_id: None,
        muted: None,
        external_user_id: None,
        dropped: dropped.then_some(true),
    }
}

/// Why a joiner was not let in.
#[derive(Debug, PartialEq, Eq)]
pub enum JoinRefusal {
    /// The room was retired (emptied and forgotten) before the joiner got in: take a fresh one.
    Retired,
    Ended(Ending),
}

/// What became of a DATA_MESSAGE frame.
#[derive(Debug, PartialEq, Eq)]
pub enum Relayed {
    Done {
        relayed: u64,
        bounced: u64,
    },
    /// The sender went over a hard limit: hang up.
    HangUp,
}

/// How a session got in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joined {
    Fresh,
    /// In the place of the same attendee's session, which was ended (joined from another
    /// device).
    Replacing,
}

/// How a session left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Departure {
    Left,
    Dropped,
}

#[derive(Debug)]
struct State {
    members: Vec<Member>,
    last_stream: u32,
    clock: IngestClock,
    replay: ReplayBuffer,
    soft: TokenBucket,
    hard: TokenBucket,
    /// The meeting ended here: nobody else gets in.
    ended: Option<Ending>,
    /// Forgotten by the hub: a joiner must find a fresh room.
    retired: bool,
    occupancy: Occupancy,
    /// Attendees marked present by an operator (the admin API), without a session: they keep
    /// the meeting occupied as a session would.
    marked: HashSet<Arc<str>>,
}

#[derive(Debug)]
pub struct Room {
    pub meeting_id: Arc<str>,
    limits: DataLimits,
    presence: Arc<PresenceReports>,
    state: Mutex<State>,
}

/// The room's state while its lock is held; on release, a change of occupancy is recorded.
struct Locked<'a> {
    room: &'a Room,
    state: MutexGuard<'a, State>,
}

impl Deref for Locked<'_> {
    type Target = State;

    fn deref(&self) -> &State {
        &self.state
    }
}

impl DerefMut for Locked<'_> {
    fn deref_mut(&mut self) -> &mut State {
        &mut self.state
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        let state = &mut *self.state;
        let occupied = !state.marked.is_empty()
            || state
                .members
                .iter()
                .any(|m| presence::keeps_meeting_alive(m.content));
        if let Some(transition) = state
            .occupancy
            .update(occupied, carillon_core::clock::now_ms)
        {
            self.room.presence.record(&self.room.meeting_id, transition);
        }
    }
}

impl Room {
    pub fn new(meeting_id: Arc<str>, limits: DataLimits, presence: Arc<PresenceReports>) -> Self {
        let now = Instant::now();
        Room {
            meeting_id,
            limits,
            presence,
            state: Mutex::new(State {
                members: Vec::new(),
                last_stream: 0,
                clock: IngestClock::default(),
                replay: ReplayBuffer::default(),
                soft: TokenBucket::new(limits.meeting_soft, now),
                hard: TokenBucket::new(limits.meeting_hard, now),
                ended: None,
                retired: false,
                occupancy: Occupancy::default(),
                marked: HashSet::new(),
            }),
        }
    }

    fn state(&self) -> Locked<'_> {
        // A panic while holding the lock is a bug; the state is still consistent enough to
        // carry on (every change is a single push or remove), so a poisoned lock is taken.
        Locked {
            room: self,
            state: self.state.lock().unwrap_or_else(|e| e.into_inner()),
        }
    }

    /// Lets a session in: `greeting` (its JOIN_ACK and INDEX) is queued to it first, then the
    /// buffered data messages. `admitted` is checked under the room's lock, so that a change
    /// announced at the same time either refuses the joiner here or finds it in the room.
    pub fn join(
        &self,
        joiner: Joiner,
        greeting: &[Bytes],
        admitted: impl FnOnce() -> Result<(), Ending>,
    ) -> Result<Joined, JoinRefusal> {
        let mut state = self.state();
        if state.retired {
            return Err(JoinRefusal::Retired);
        }
        if let Some(ending) = state.ended {
            return Err(JoinRefusal::Ended(ending));
        }
        admitted().map_err(JoinRefusal::Ended)?;
        let replaced = state
            .members
            .iter()
            .position(|m| m.attendee_id == joiner.attendee_id);
        if joiner.content && replaced.is_none() {
            let shares = state.members.iter().filter(|m| m.content).count();
            if shares >= MAX_CONTENT_SHARES {
                return Err(JoinRefusal::Ended(Ending::AT_CAPACITY));
            }
        }
        let mut replaced_stream = None;
        if let Some(index) = replaced {
            let old = state.members.swap_remove(index);
            old.link.end.end(Ending::REPLACED);
            replaced_stream = old.stream.or(old.replaced_stream);
        }
        let now = Instant::now();
        let mut slow = Vec::new();
        for frame in greeting
            .iter()
            .cloned()
            .chain(state.replay.replay(now, &joiner.attendee_id))
        {
            if joiner.link.frames.try_send(frame).is_err() {
                slow.push(joiner.session);
                break;
            }
        }
        state.members.push(Member {
            session: joiner.session,
            attendee_id: joiner.attendee_id,
            external_user_id: joiner.external_user_id,
            content: joiner.content,
            stream: None,
            replaced_stream,
            muted: false,
            link: joiner.link,
            sending: TokenBucket::new(self.limits.attendee_hard, now),
        });
        state.evict(slow);
        Ok(if replaced.is_some() {
            Joined::Replacing
        } else {
            Joined::Fresh
        })
    }

    /// The session subscribed (SUBSCRIBE answered): on its first subscription it enters the
    /// audio roster. A later one (renegotiation) changes nothing here.
    pub fn subscribe(&self, session: SessionId, muted: bool) {
        let mut state = self.state();
        let Some(index) = state.index(session) else {
            return;
        };
        if state.members[index].stream.is_some() {
            return;
        }
        state.last_stream += 1;
        let stream = state.last_stream;
        let member = &mut state.members[index];
        member.stream = Some(stream);
        member.muted = muted;
        let mut news = vec![member.entry(stream)];
        if let Some(old) = member.replaced_stream.take() {
            news.push(gone(old, false));
        }
        let roster: Vec<_> = state
            .members
            .iter()
            .filter_map(|m| m.stream.map(|stream| m.entry(stream)))
            .collect();
        let mut slow = Vec::new();
        state.deliver(&presence(news), |m| m.session != session, &mut slow);
        state.deliver(&presence(roster), |m| m.session == session, &mut slow);
        state.evict(slow);
    }

    /// The session's microphone was muted or unmuted: everyone hears of it, the session too.
    pub fn mute(&self, session: SessionId, muted: bool) {
        let mut state = self.state();
        let Some(index) = state.index(session) else {
            return;
        };
        let member = &mut state.members[index];
        if member.muted == muted && member.stream.is_some() {
            return;
        }
        member.muted = muted;
        let Some(stream) = member.stream else {
            return;
        };
        let update = SdkAudioStreamIdInfo {
            audio_stream_id: Some(stream),
            attendee_id: None,
            muted: Some(muted),
            external_user_id: None,
            dropped: None,
        };
        let mut slow = Vec::new();
        state.deliver(&presence(vec![update]), |_| true, &mut slow);
        state.evict(slow);
    }

    /// The meeting's audio levels, as its mixer measured them: AUDIO_METADATA to every member
    /// in the audio call. Only sessions that are speaking are listed, with their stream ids;
    /// the SDK reads every attendee left out as silent.
    pub fn levels(&self, levels: &[Level]) {
        let mut state = self.state();
        let attendee_states: Vec<SdkAudioAttendeeState> = levels
            .iter()
            .filter_map(|level| {
                let volume = level.volume?;
                let member = state
                    .members
                    .iter()
                    .find(|m| m.session == level.participant)?;
                Some(SdkAudioAttendeeState {
                    audio_stream_id: Some(member.stream?),
                    volume: Some(u32::from(volume)),
                    muted: None,
                    signal_strength: Some(u32::from(level.signal_strength)),
                })
            })
            .collect();
        let mut frame = SdkSignalFrame::now(FrameType::AudioMetadata);
        frame.audio_metadata = Some(SdkAudioMetadataFrame { attendee_states });
        let frame = frames::encode(&frame);
        let mut slow = Vec::new();
        state.deliver(&frame, |m| m.stream.is_some(), &mut slow);
        state.evict(slow);
    }

    /// Relays a session's data messages to everyone else, with the sender named from the
    /// session, never from the frame. Messages that are malformed or over the soft limit go
    /// back to the sender marked throttled (`ingest_time_ns` 0).
    pub fn relay(&self, session: SessionId, messages: Vec<SdkDataMessagePayload>) -> Relayed {
        let mut state = self.state();
        let Some(index) = state.index(session) else {
            return Relayed::Done {
                relayed: 0,
                bounced: 0,
            };
        };
        let now = Instant::now();
        let mut relayed = 0;
        let mut bounced = Vec::new();
        let mut slow = Vec::new();
        for mut message in messages {
            let state = &mut *state;
            let sender = &mut state.members[index];
            if !sender.sending.take(now) || !state.hard.take(now) {
                return Relayed::HangUp;
            }
            message.sender_attendee_id = Some(sender.attendee_id.to_string());
            message.sender_external_user_id = Some(sender.external_user_id.to_string());
            let topic_ok = message.topic.as_deref().is_some_and(data::valid_topic);
            let size_ok = message
                .data
                .as_ref()
                .is_none_or(|d| d.len() <= data::MAX_DATA_BYTES);
            if !(topic_ok && size_ok && state.soft.take(now)) {
                message.ingest_time_ns = Some(0);
                bounced.push(message);
                continue;
            }
            message.ingest_time_ns = Some(state.clock.stamp());
            let lifetime = message.lifetime_ms.unwrap_or(0);
            let sender_attendee_id = sender.attendee_id.clone();
            let frame = data_frame(vec![message]);
            state.deliver(&frame, |m| m.session != session, &mut slow);
            relayed += 1;
            if lifetime > 0 {
                let lifetime = Duration::from_millis(u64::from(lifetime));
                state.replay.push(now, lifetime, sender_attendee_id, frame);
            }
        }
        let bounced_count = bounced.len() as u64;
        if !bounced.is_empty() {
            state.deliver(&data_frame(bounced), |m| m.session == session, &mut slow);
        }
        state.evict(slow);
        Relayed::Done {
            relayed,
            bounced: bounced_count,
        }
    }

    /// The session is gone (left, or its connection lost). Nothing if it was already removed;
    /// says whether it was still here.
    pub fn leave(&self, session: SessionId, departure: Departure) -> bool {
        let mut state = self.state();
        let Some(index) = state.index(session) else {
            return false;
        };
        let member = state.members.swap_remove(index);
        let mut slow = Vec::new();
        state.announce_departures(vec![member], departure, &mut slow);
        state.evict(slow);
        true
    }

    /// The meeting ended: every session is ended, and nobody else gets in.
    pub fn end_meeting(&self) {
        let mut state = self.state();
        state.ended = Some(Ending::MEETING_ENDED);
        state.end_all(Ending::MEETING_ENDED);
        state.marked.clear();
    }

    /// An operator marks the attendee present (`true`) or gone; says whether that changed
    /// anything. Refused once the meeting ended here, or when the room was retired (the caller
    /// takes a fresh room).
    pub fn mark(&self, attendee_id: &str, present: bool) -> Result<bool, JoinRefusal> {
        let mut state = self.state();
        if state.retired {
            return Err(JoinRefusal::Retired);
        }
        if let Some(ending) = state.ended {
            return Err(JoinRefusal::Ended(ending));
        }
        Ok(if present {
            state.marked.insert(attendee_id.into())
        } else {
            state.marked.remove(attendee_id)
        })
    }

    /// The attendee was deleted: its sessions (content share included) are ended, and everyone
    /// else sees it leave.
    pub fn remove_attendee(&self, attendee_id: &str) {
        let mut state = self.state();
        let content = format!("{attendee_id}#content");
        state.marked.remove(attendee_id);
        state.marked.remove(content.as_str());
        let (removed, kept): (Vec<Member>, Vec<Member>) = std::mem::take(&mut state.members)
            .into_iter()
            .partition(|m| *m.attendee_id == *attendee_id || *m.attendee_id == *content);
        state.members = kept;
        for member in &removed {
            member.link.end.end(Ending::ATTENDEE_REMOVED);
        }
        let mut slow = Vec::new();
        state.announce_departures(removed, Departure::Left, &mut slow);
        state.evict(slow);
    }

    /// Ends the sessions of `attendee_id` (its content share included), or every session, with
    /// `ending`, leaving them in the room: each leaves as its task ends, as a lost connection
    /// does. Answers how many were ended.
    pub fn end_sessions(&self, attendee_id: Option<&str>, ending: Ending) -> usize {
        let state = self.state();
        let mut ended = 0;
        for member in &state.members {
            let base = member
                .attendee_id
                .strip_suffix(carillon_core::ids::CONTENT_SUFFIX)
                .unwrap_or(&member.attendee_id);
            if attendee_id.is_none_or(|a| base.eq_ignore_ascii_case(a)) {
                member.link.end.end(ending);
                ended += 1;
            }
        }
        ended
    }

    /// Ends every session with `ending` (the node shuts down).
    pub fn end_all(&self, ending: Ending) {
        self.state().end_all(ending);
    }

    /// The attendee ids of the sessions here (for a check against the store).
    /// The sessions that carry audio (not content shares), with their attendee ids.
    pub fn audio_sessions(&self) -> Vec<(SessionId, Arc<str>)> {
        self.state()
            .members
            .iter()
            .filter(|m| !m.content)
            .map(|m| (m.session, m.attendee_id.clone()))
            .collect()
    }

    pub fn attendee_ids(&self) -> Vec<Arc<str>> {
        self.state()
            .members
            .iter()
            .map(|m| m.attendee_id.clone())
            .collect()
    }

    /// Who is here now, read under the room's lock once: each session's attendee id
    /// (`<AttendeeId>#content` for a content share) and the operator's marks.
    pub fn present(&self) -> (Vec<Arc<str>>, Vec<Arc<str>>) {
        let state = self.state();
        let sessions = state.members.iter().map(|m| m.attendee_id.clone());
        (sessions.collect(), state.marked.iter().cloned().collect())
    }

    /// Forgets the room if nobody is in it; true when it did. A joiner holding it then fails
    /// with [`JoinRefusal::Retired`] and takes a fresh room.
    pub fn retire_if_empty(&self) -> bool {
        let mut state = self.state();
        if state.members.is_empty() && state.marked.is_empty() {
            state.retired = true;
        }
        state.retired
    }
}

impl State {
    fn end_all(&mut self, ending: Ending) {
        for member in self.members.drain(..) {
            member.link.end.end(ending);
        }
    }

    fn index(&self, session: SessionId) -> Option<usize> {
        self.members.iter().position(|m| m.session == session)
    }

    /// Queues `frame` to the members `to` picks; those whose queue is full go in `slow`.
    fn deliver(&self, frame: &Bytes, to: impl Fn(&Member) -> bool, slow: &mut Vec<SessionId>) {
        for member in self.members.iter().filter(|m| to(m)) {
            match member.link.frames.try_send(frame.clone()) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => slow.push(member.session),
                // The session's task has ended; it removes itself.
                Err(mpsc::error::TrySendError::Closed(_)) => {}
            }
        }
    }

    fn announce_departures(
        &mut self,
        departed: Vec<Member>,
        departure: Departure,
        slow: &mut Vec<SessionId>,
    ) {
        let entries: Vec<_> = departed
            .iter()
            .flat_map(|m| m.departure(departure == Departure::Dropped))
            .collect();
        if !entries.is_empty() {
            self.deliver(&presence(entries), |_| true, slow);
        }
    }

    /// Drops the slow sessions, which may make others slow in turn.
    fn evict(&mut self, mut slow: Vec<SessionId>) {
        while let Some(session) = slow.pop() {
            if let Some(index) = self.index(session) {
                let member = self.members.swap_remove(index);
                member.link.end.end(Ending::SLOW);
                self.announce_departures(vec![member], Departure::Dropped, &mut slow);
            }
        }
    }
}

fn presence(streams: Vec<SdkAudioStreamIdInfo>) -> Bytes {
    let mut frame = SdkSignalFrame::now(FrameType::AudioStreamIdInfo);
    frame.audio_stream_id_info = Some(SdkAudioStreamIdInfoFrame { streams });
    frames::encode(&frame)
}

fn data_frame(messages: Vec<SdkDataMessagePayload>) -> Bytes {
    let mut frame = SdkSignalFrame::now(FrameType::DataMessage);
    frame.data_message = Some(SdkDataMessageFrame { messages });
    frames::encode(&frame)
}

#[cfg(test)]
mod tests;
