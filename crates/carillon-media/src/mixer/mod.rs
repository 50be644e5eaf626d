//! One meeting's audio mixer: Opus in from every sender, one Opus stream out to every listener,
//! made of everyone else (an N-1 mix).
//!
//! The Chime SDK for JavaScript sends and plays one audio stream per attendee, so the server
//! mixes. The mixer is pure and synchronous: the WebRTC endpoints hand it each inbound packet
//! ([`Mixer::push`]), a 20 ms clock calls [`Mixer::tick`], and what it returns is sent as is.
//!
//! Each tick, every sender's jitter buffer plays one frame, decoded (or concealed) to 960 mono
//! samples; the loudest few unmuted senders are selected; every listener gets the sum of the
//! selected speakers but itself, limited to 16 bits and encoded once per distinct mix; and a
//! listener nobody talks to gets [`SILENCE_FRAME`], exact digital silence.
//!
//! **Timing.** Each sender's jitter buffer plays a packet pushed before tick *t* in tick *t*
//! plus the ticks its jitter needs, from none to `max_jitter_frames` (see `jitter.rs`): a sender
//! on a network without jitter is heard in the first tick after its packet arrives. Every
//! hearing listener gets exactly one packet per tick.
//!
//! **Allocation.** A tick allocates one `Arc<[u8]>` per distinct mix it encodes (the packet,
//! shared by its listeners; silence is one `Arc` reused forever) and nothing else once warm:
//! buffers are kept across ticks. Encoders are allocated when a mix starts, decoders and jitter
//! buffers when a participant starts sending, and a jitter slot's payload buffer when a larger
//! packet than any before it arrives.

mod codec;
mod jitter;
mod levels;
mod limiter;
mod mix;
mod select;
mod sender;
#[cfg(test)]
pub(crate) mod tests;

use std::sync::Arc;
use std::time::Duration;

pub use codec::SILENCE_FRAME;

use codec::{new_encoder, EncoderSettings};
use mix::{MixBank, MixKey};
use select::{select, Candidate};
use sender::Sender;

pub const SAMPLE_RATE: u32 = 48_000;
/// Samples in one 20 ms mono frame at 48 kHz.
pub const FRAME_SAMPLES: usize = 960;
/// The period of [`Mixer::tick`].
pub const FRAME: Duration = Duration::from_millis(20);

/// The largest payload [`Mixer::push`] accepts: one packet in an Ethernet MTU. A 20 ms Opus
/// packet is at most 1,275 bytes.
pub const MAX_PAYLOAD: usize = 1_500;

/// The most frames [`MixerConfig::max_jitter_frames`] may allow (200 ms): more is latency no
/// conversation bears.
pub const MAX_JITTER_FRAMES: usize = 10;

pub type ParticipantId = u64;

/// What a participant does with audio, from its attendee's Audio capability: `SendReceive` both,
/// `Send` sends only (gets no mix), `Receive` hears only (never mixed into others), `None`
/// neither.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Role {
    pub sends: bool,
    pub hears: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MixerConfig {
    /// Mix only the loudest few senders.
    pub max_speakers: usize,
    /// The most frames a sender's jitter buffer may hold before playout; it holds only what
    /// the sender's jitter needs (see the module's "Timing").
    pub max_jitter_frames: usize,
    /// Encoder bitrate, bits/s.
    pub bitrate: i32,
    /// Encoder complexity, 0..=10.
    pub complexity: i32,
}

impl Default for MixerConfig {
    fn default() -> Self {
        Self {
            max_speakers: 3,
            max_jitter_frames: 5,
            bitrate: 32_000,
            complexity: 5,
        }
    }
}

/// One inbound RTP packet's audio.
#[derive(Clone, Copy, Debug)]
pub struct InboundPacket<'a> {
    /// RTP sequence number (wraps).
    pub sequence: u16,
    /// RTP timestamp, 48 kHz clock (wraps). Playout follows the sequence number, one packet per
    /// 20 ms, which is how browsers send Opus; the timestamp is accepted for callers' symmetry.
    pub timestamp: u32,
    /// One Opus packet.
    pub payload: &'a [u8],
    /// The client's RFC 6464 level (0 loudest, 127 silence), if it sent one. The mixer measures
    /// levels from the decoded audio instead, which is what listeners hear (concealment
    /// included) and cannot be misreported by a client.
    pub audio_level: Option<u8>,
}

/// One packet for one listener.
#[derive(Clone, Debug)]
pub struct Outbound {
    pub listener: ParticipantId,
    /// One 20 ms Opus packet. Listeners who hear the same mix share the same `Arc`.
    pub payload: Arc<[u8]>,
}

/// A sender's level, for AUDIO_METADATA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Level {
    pub participant: ParticipantId,
    /// Attenuation in dB below full scale (dBFS = -volume), 0..=127; `None` when silent, muted
    /// or not playing.
    pub volume: Option<u8>,
    /// 0..=2: 2 with no loss concealed in the last second, 1 with a few losses, 0 with more.
    pub signal_strength: u8,
}

#[derive(Debug, thiserror::Error)]
pub enum MixerError {
    #[error("invalid mixer configuration: {0}")]
    Config(&'static str),
    #[error("libopus refused the encoder settings: {0}")]
    Opus(#[from] opus::Error),
}

struct Participant {
    id: ParticipantId,
    role: Role,
    muted: bool,
    /// Present while the role sends.
    sender: Option<Sender>,
    /// Heard by others this tick.
    selected: bool,
}

pub struct Mixer {
    config: MixerConfig,
    /// Sorted by id: found by binary search, and iterated in an order that does not depend on
    /// the order of joins.
    participants: Vec<Participant>,
    mixes: MixBank,
    silence: Arc<[u8]>,
    ticks: u64,
    /// Scratch kept across ticks so that a tick allocates nothing of its own.
    candidates: Vec<Candidate>,
    everyone: Box<[i32; FRAME_SAMPLES]>,
    all_but_one: Box<[i32; FRAME_SAMPLES]>,
}

impl Mixer {
    pub fn new(config: MixerConfig) -> Result<Self, MixerError> {
        if config.max_speakers == 0 {
            return Err(MixerError::Config("max_speakers must be at least 1"));
        }
        if config.max_jitter_frames > MAX_JITTER_FRAMES {
            return Err(MixerError::Config(
                "max_jitter_frames must be at most 10 (200 ms)",
            ));
        }
        if !(6_000..=510_000).contains(&config.bitrate) {
            return Err(MixerError::Config("bitrate must be 6,000..=510,000 bits/s"));
        }
        if !(0..=10).contains(&config.complexity) {
            return Err(MixerError::Config("complexity must be 0..=10"));
        }
        let settings = EncoderSettings {
            bitrate: config.bitrate,
            complexity: config.complexity,
        };
        // Every mix's encoder is made with these settings: try them once here.
        new_encoder(settings)?;
        Ok(Self {
            config,
            participants: Vec::new(),
            mixes: MixBank::new(settings),
            silence: Arc::from(&SILENCE_FRAME[..]),
            ticks: 0,
            candidates: Vec::new(),
            everyone: Box::new([0; FRAME_SAMPLES]),
            all_but_one: Box::new([0; FRAME_SAMPLES]),
        })
    }

    /// Adds a participant, or replaces one with the same id: a replaced participant starts
    /// afresh (unmuted, new jitter buffer and decoder), as a reconnected session brings a new
    /// stream.
    pub fn add(&mut self, id: ParticipantId, role: Role) {
        let participant = Participant {
            id,
            role,
            muted: false,
            sender: role
                .sends
                .then(|| Sender::new(self.config.max_jitter_frames)),
            selected: false,
        };
        match self.find(id) {
            Ok(index) => self.participants[index] = participant,
            Err(index) => self.participants.insert(index, participant),
        }
        self.mixes.forget(id);
    }

    /// Changes a participant's role live. A participant who stops sending loses its buffered
    /// audio; one who starts sending gets a fresh jitter buffer.
    pub fn set_role(&mut self, id: ParticipantId, role: Role) {
        let max_jitter_frames = self.config.max_jitter_frames;
        let Some(participant) = self.participant_mut(id) else {
            return;
        };
        participant.role = role;
        match (role.sends, participant.sender.is_some()) {
            (true, false) => participant.sender = Some(Sender::new(max_jitter_frames)),
            (false, true) => {
                participant.sender = None;
                participant.selected = false;
            }
            _ => {}
        }
    }

    /// A muted participant is mixed into no one's audio, and reports no volume. Its stream is
    /// still decoded, so that unmuting is heard at once.
    pub fn set_muted(&mut self, id: ParticipantId, muted: bool) {
        if let Some(participant) = self.participant_mut(id) {
            participant.muted = muted;
        }
    }

    pub fn remove(&mut self, id: ParticipantId) {
        if let Ok(index) = self.find(id) {
            self.participants.remove(index);
            self.mixes.forget(id);
        }
    }

    /// Takes one inbound packet. Packets from unknown participants or participants that do not
    /// send, and empty or oversized payloads, are ignored; what is kept is bounded by each
    /// sender's jitter buffer.
    pub fn push(&mut self, id: ParticipantId, packet: InboundPacket<'_>) {
        if packet.payload.is_empty() || packet.payload.len() > MAX_PAYLOAD {
            return;
        }
        if let Some(sender) = self.participant_mut(id).and_then(|p| p.sender.as_mut()) {
            sender.push(packet.sequence, packet.payload);
        }
    }

    /// One 20 ms period: appends exactly one packet for every participant who hears.
    pub fn tick(&mut self, out: &mut Vec<Outbound>) {
        self.ticks += 1;
        for participant in &mut self.participants {
            if let Some(sender) = &mut participant.sender {
                sender.tick();
            }
        }
        self.select_speakers();
        self.mix_for_listeners(out);
        self.mixes.retire_unused(self.ticks);
    }

    /// The latest level of every participant who sends.
    pub fn levels(&self, out: &mut Vec<Level>) {
        out.extend(self.participants.iter().filter_map(|participant| {
            let sender = participant.sender.as_ref()?;
            Some(Level {
                participant: participant.id,
                volume: if participant.muted {
                    None
                } else {
                    sender.volume()
                },
                signal_strength: sender.signal_strength(),
            })
        }));
    }

    pub fn is_empty(&self) -> bool {
        self.participants.is_empty()
    }

    fn select_speakers(&mut self) {
        self.candidates.clear();
        for (index, participant) in self.participants.iter().enumerate() {
            let Some(sender) = &participant.sender else {
                continue;
            };
            if participant.muted {
                continue;
            }
            if let Some(attenuation_db) = sender.speaking(participant.selected) {
                self.candidates.push(Candidate {
                    index,
                    id: participant.id,
                    attenuation_db,
                    was_selected: participant.selected,
                });
            }
        }
        select(&mut self.candidates, self.config.max_speakers);
        for participant in &mut self.participants {
            participant.selected = false;
        }
        for candidate in &self.candidates {
            self.participants[candidate.index].selected = true;
        }
    }

    fn mix_for_listeners(&mut self, out: &mut Vec<Outbound>) {
        let everyone = &mut *self.everyone;
        everyone.fill(0);
        for candidate in &self.candidates {
            let frame = self.participants[candidate.index]
                .sender
                .as_ref()
                .and_then(Sender::frame);
            let frame = frame.expect("a selected speaker played a frame this tick");
            for (sum, &sample) in everyone.iter_mut().zip(frame.iter()) {
                *sum += i32::from(sample);
            }
        }
        let speakers = self.candidates.len();
        // Encoded on first need, at most once a tick (`Some(None)`: libopus refused).
        let mut everyone_packet: Option<Option<Arc<[u8]>>> = None;
        for participant in &self.participants {
            if !participant.role.hears {
                continue;
            }
            let packet = if speakers == 0 || (participant.selected && speakers == 1) {
                None
            } else if participant.selected {
                let frame = participant.sender.as_ref().and_then(Sender::frame);
                let frame = frame.expect("a selected speaker played a frame this tick");
                for ((mix, &sum), &own) in self
                    .all_but_one
                    .iter_mut()
                    .zip(everyone.iter())
                    .zip(frame.iter())
                {
                    *mix = sum - i32::from(own);
                }
                self.mixes.encode(
                    MixKey::EveryoneBut(participant.id),
                    &self.all_but_one,
                    self.ticks,
                )
            } else {
                let mixes = &mut self.mixes;
                let ticks = self.ticks;
                everyone_packet
                    .get_or_insert_with(|| mixes.encode(MixKey::Everyone, everyone, ticks))
                    .clone()
            };
            let payload = packet.unwrap_or_else(|| Arc::clone(&self.silence));
            out.push(Outbound {
                listener: participant.id,
                payload,
            });
        }
    }

    fn find(&self, id: ParticipantId) -> Result<usize, usize> {
        self.participants.binary_search_by_key(&id, |p| p.id)
    }

    fn participant_mut(&mut self, id: ParticipantId) -> Option<&mut Participant> {
        let index = self.find(id).ok()?;
        Some(&mut self.participants[index])
    }
}
