//! One sender's inbound audio: its jitter buffer, its decoder, the frame it plays this tick and
//! what is measured of it.

use super::codec::FrameDecoder;
use super::jitter::{JitterBuffer, Playout, Pushed};
use super::levels::{attenuation_db, LevelMeter, SignalMeter, SILENCE_DB};
use super::FRAME_SAMPLES;

pub(super) struct Sender {
    jitter: JitterBuffer,
    decoder: FrameDecoder,
    /// This tick's decoded (or concealed) frame, valid while `has_frame`.
    frame: Box<[i16; FRAME_SAMPLES]>,
    has_frame: bool,
    /// This tick's frame's own attenuation, unsmoothed.
    frame_attenuation_db: f32,
    level: LevelMeter,
    signal: SignalMeter,
}

impl Sender {
    /// Allocates the decoder and the jitter buffer's slots: done when a participant starts
    /// sending, never per tick.
    pub(super) fn new(max_jitter_frames: usize) -> Self {
        Self {
            jitter: JitterBuffer::new(max_jitter_frames),
            decoder: FrameDecoder::new(),
            frame: Box::new([0; FRAME_SAMPLES]),
            has_frame: false,
            frame_attenuation_db: f32::INFINITY,
            level: LevelMeter::new(),
            signal: SignalMeter::default(),
        }
    }

    pub(super) fn push(&mut self, sequence: u16, payload: &[u8]) -> Pushed {
        self.jitter.push(sequence, payload)
    }

    /// Plays one frame: decodes the packet whose turn it is, or conceals it.
    pub(super) fn tick(&mut self) {
        self.has_frame = true;
        match self.jitter.tick() {
            Playout::Silent => {
                self.has_frame = false;
                self.frame_attenuation_db = f32::INFINITY;
                self.level.nothing();
                self.signal.nothing();
                return;
            }
            Playout::Packet { payload, .. } => {
                if self.decoder.decode(payload, &mut self.frame) {
                    self.signal.played();
                } else {
                    self.signal.concealed();
                }
            }
            Playout::Missing { next, .. } => {
                self.decoder.conceal(next, &mut self.frame);
                self.signal.concealed();
            }
            Playout::Stretched { .. } => {
                self.decoder.conceal(None, &mut self.frame);
                self.signal.concealed();
            }
        }
        self.frame_attenuation_db = attenuation_db(&self.frame[..]);
        self.level.frame(self.frame_attenuation_db);
    }

    /// This tick's frame, if the sender played one.
    pub(super) fn frame(&self) -> Option<&[i16; FRAME_SAMPLES]> {
        self.has_frame.then_some(&*self.frame)
    }

    /// How loud the sender is as a speaker, as its smoothed attenuation: `None` when it played
    /// nothing, or when this frame is silent and it was not heard last tick. A speaker already
    /// heard stays heard while its smoothed level fades (a hangover of up to a second after
    /// speech), so pauses between words do not switch its listeners from mix to mix.
    pub(super) fn speaking(&self, was_selected: bool) -> Option<f32> {
        let sounding = self.has_frame && self.frame_attenuation_db < SILENCE_DB;
        if sounding || (self.has_frame && was_selected) {
            self.level.attenuation()
        } else {
            None
        }
    }

    pub(super) fn volume(&self) -> Option<u8> {
        self.level.volume()
    }

    pub(super) fn signal_strength(&self) -> u8 {
        self.signal.strength()
    }

    #[cfg(test)]
    pub(super) fn jitter(&self) -> &JitterBuffer {
        &self.jitter
    }
}
