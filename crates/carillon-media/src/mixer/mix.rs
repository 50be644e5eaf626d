//! The distinct mixes of a tick and their encoders.
//!
//! With speakers S selected, a listener hears either all of S (it is not one of them) or S
//! without itself. So a tick has at most |S| + 1 distinct mixes whatever the number of
//! listeners, each encoded once and shared. Each mix has an encoder of its own, kept while the
//! mix goes on, since an Opus stream's frames depend on the ones before: the listeners of a mix
//! keep hearing one continuous stream when a speaker joins or leaves it.

use std::sync::Arc;

use opus::Encoder;

use super::codec::{new_encoder, EncoderSettings, MAX_PACKET};
use super::limiter::Limiter;
use super::{ParticipantId, FRAME_SAMPLES};

/// Which mix: what sets it apart from the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MixKey {
    /// Every selected speaker: what everyone who is not speaking hears.
    Everyone,
    /// Every selected speaker but this one: what that speaker hears.
    EveryoneBut(ParticipantId),
}

/// Ticks an unused mix keeps its encoder (one second). A libopus encoder allocates tens of
/// kilobytes; a speaker who pauses between sentences keeps theirs instead of allocating anew.
const KEEP_UNUSED_TICKS: u64 = 50;

struct MixStream {
    key: MixKey,
    encoder: Encoder,
    limiter: Limiter,
    last_used: u64,
}

/// The encoders of the current mixes, and the scratch space they share.
pub(super) struct MixBank {
    settings: EncoderSettings,
    streams: Vec<MixStream>,
    gains: Box<[f32; FRAME_SAMPLES]>,
    pcm: Box<[i16; FRAME_SAMPLES]>,
    packet: Box<[u8; MAX_PACKET]>,
}

impl MixBank {
    /// `settings` must have been accepted by [`new_encoder`] already.
    pub(super) fn new(settings: EncoderSettings) -> Self {
        Self {
            settings,
            streams: Vec::new(),
            gains: Box::new([0.0; FRAME_SAMPLES]),
            pcm: Box::new([0; FRAME_SAMPLES]),
            packet: Box::new([0; MAX_PACKET]),
        }
    }

    /// Limits and encodes `mix` as this tick's frame of the mix `key`. The returned packet is
    /// the one allocation a mix costs per tick (listeners share it). `None` if libopus refused
    /// to encode, which valid settings and a full frame never cause.
    pub(super) fn encode(
        &mut self,
        key: MixKey,
        mix: &[i32; FRAME_SAMPLES],
        tick: u64,
    ) -> Option<Arc<[u8]>> {
        let position = match self.streams.iter().position(|s| s.key == key) {
            Some(position) => position,
            None => {
                // Allocates inside libopus; happens when a mix starts, not every tick.
                let encoder = new_encoder(self.settings)
                    .expect("the settings were accepted when the mixer was created");
                self.streams.push(MixStream {
                    key,
                    encoder,
                    limiter: Limiter::new(),
                    last_used: tick,
                });
                self.streams.len() - 1
            }
        };
        let stream = &mut self.streams[position];
        if stream.last_used + 1 < tick {
            // The listeners heard silence frames since this encoder's last packet, and their
            // decoders have moved on from its state: start the stream afresh.
            if let Err(error) = stream.encoder.reset_state() {
                tracing::warn!(%error, "resetting a mix encoder failed");
            }
            stream.limiter = Limiter::new();
        }
        stream.last_used = tick;
        stream.limiter.apply(mix, &mut self.gains, &mut self.pcm);
        match stream.encoder.encode(&self.pcm[..], &mut self.packet[..]) {
            Ok(len) => Some(Arc::from(&self.packet[..len])),
            Err(error) => {
                tracing::warn!(%error, "encoding a mix failed");
                None
            }
        }
    }

    /// Drops the encoders of mixes unused for [`KEEP_UNUSED_TICKS`].
    pub(super) fn retire_unused(&mut self, tick: u64) {
        self.streams
            .retain(|s| s.last_used + KEEP_UNUSED_TICKS >= tick);
    }

    /// Drops the mix a participant who left heard as a speaker.
    pub(super) fn forget(&mut self, id: ParticipantId) {
        self.streams.retain(|s| s.key != MixKey::EveryoneBut(id));
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.streams.len()
    }
}
