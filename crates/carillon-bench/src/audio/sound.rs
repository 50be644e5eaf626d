//! What the simulated microphones send and how the simulated ears find it again.
//!
//! A speaker's microphone plays a one-second cycle: a 200 ms burst of a 1 kHz tone that starts
//! exactly on a frame boundary, then 800 ms of digital silence. The cycle is encoded once, at
//! start, with the encoder a browser uses (libopus, speech mode, mono, 32 kbit/s, in-band FEC),
//! and the same packets are sent every cycle. Bursts rather than continuous speech because the
//! latency is measured from a known instant: the first frame of a burst is the one that carries
//! its onset, and an onset after 300 ms or more of silence cannot be mistaken for another. The
//! server's load is still that of continuous speech: its mixer keeps a speaker selected (and its
//! mixes encoded) while the speaker's level decays for up to a second after each burst.
//!
//! A muted browser sends [`SILENCE_FRAME`] every 20 ms: the Chime SDK mutes by disabling the
//! track, a disabled track gives the encoder zeros, and libopus codes a frame of digital
//! silence as exactly these three bytes (a test below checks it).
//!
//! A listener decodes what it gets at 8 kHz, which is enough for a 1 kHz tone and several times
//! cheaper than 48 kHz, and flags the first sounding frame after a run of quiet ones.

use std::sync::Arc;

use opus::{Application, Bitrate, Channels, Decoder, Encoder};

/// One 20 ms CELT frame of digital silence (TOC `0xF8`: fullband, 20 ms, mono, one frame).
pub const SILENCE_FRAME: [u8; 3] = [0xF8, 0xFF, 0xFE];

/// Frames of the cycle: one second of 20 ms frames.
pub const CYCLE_FRAMES: usize = 50;
/// Frames of each burst: 200 ms.
pub const BURST_FRAMES: usize = 10;

/// The encoder's sample rate and the samples of one 20 ms frame at it.
const SEND_RATE: u32 = 48_000;
const SEND_FRAME: usize = 960;
/// The rate listeners decode at, and one frame at it.
const EAR_RATE: u32 = 8_000;
const EAR_FRAME: usize = 160;

const TONE_HZ: f64 = 1_000.0;
/// Peak amplitude: a quarter of full scale (-12 dBFS peak, -15 dBFS RMS), a loud voice.
const TONE_PEAK: f64 = 8_192.0;
/// A decoded frame at least this loud (RMS, dB below full scale) sounds. The onset frame holds
/// a few milliseconds of tone at -15 dBFS, well above; the codec's noise around silence is far
/// below.
const SOUNDING_BELOW_DB: f64 = 30.0;
/// Quiet frames in a row before a sounding frame counts as an onset (100 ms): the tail of a
/// burst, and the pauses inside none, never make one.
const QUIET_BEFORE_ONSET: u32 = 5;

/// The largest packet libopus writes for one frame.
const MAX_PACKET: usize = 1_275;

/// The cycle's packets, encoded once; packet 0 carries the burst's onset.
#[derive(Debug, Clone)]
pub struct Cycle {
    packets: Vec<Arc<[u8]>>,
}

impl Cycle {
    /// Encodes the cycle as a browser would: the second of two cycles encoded back to back, so
    /// that packet 0 comes from an encoder that has just coded silence, as it does every cycle.
    pub fn encode() -> Result<Cycle, String> {
        let mut encoder = browser_encoder().map_err(|e| format!("libopus encoder: {e}"))?;
        let mut packets = Vec::with_capacity(CYCLE_FRAMES);
        for n in 0..2 * CYCLE_FRAMES {
            let pcm = microphone_frame(n % CYCLE_FRAMES);
            let packet = encoder
                .encode_vec(&pcm, MAX_PACKET)
                .map_err(|e| format!("libopus encode: {e}"))?;
            if n >= CYCLE_FRAMES {
                packets.push(Arc::from(packet));
            }
        }
        Ok(Cycle { packets })
    }

    /// The packet of frame `n` of the cycle (taken modulo the cycle).
    pub fn packet(&self, n: usize) -> Arc<[u8]> {
        Arc::clone(&self.packets[n % CYCLE_FRAMES])
    }
}

/// The encoder settings of Chrome's Opus for a mono microphone.
fn browser_encoder() -> Result<Encoder, opus::Error> {
    let mut encoder = Encoder::new(SEND_RATE, Channels::Mono, Application::Voip)?;
    encoder.set_bitrate(Bitrate::Bits(32_000))?;
    encoder.set_inband_fec(true)?;
    Ok(encoder)
}

/// The microphone's samples for frame `n` of the cycle: the tone during the burst, zeros after.
fn microphone_frame(n: usize) -> Vec<i16> {
    if n >= BURST_FRAMES {
        return vec![0; SEND_FRAME];
    }
    (0..SEND_FRAME)
        .map(|i| {
            let t = (n * SEND_FRAME + i) as f64 / f64::from(SEND_RATE);
            (TONE_PEAK * (2.0 * std::f64::consts::PI * TONE_HZ * t).sin()) as i16
        })
        .collect()
}

/// One listener's ear: decodes every packet it gets, in order, and says which ones start a
/// burst.
pub struct Ear {
    decoder: Decoder,
    pcm: [i16; EAR_FRAME],
    quiet_in_a_row: u32,
    /// Packets libopus could not decode (counted as quiet).
    pub undecodable: u64,
}

impl Ear {
    pub fn new() -> Result<Ear, String> {
        Ok(Ear {
            decoder: Decoder::new(EAR_RATE, Channels::Mono)
                .map_err(|e| format!("libopus decoder: {e}"))?,
            pcm: [0; EAR_FRAME],
            // A listener that joins in the middle of a burst must not take it for an onset.
            quiet_in_a_row: 0,
            undecodable: 0,
        })
    }

    /// Decodes the next packet; true when it is the first sounding frame after at least
    /// [`QUIET_BEFORE_ONSET`] quiet ones.
    pub fn hear(&mut self, payload: &[u8]) -> bool {
        let sounding = match self.decoder.decode(payload, &mut self.pcm, false) {
            Ok(samples) => attenuation_db(&self.pcm[..samples.min(EAR_FRAME)]) < SOUNDING_BELOW_DB,
            Err(_) => {
                self.undecodable += 1;
                false
            }
        };
        if !sounding {
            self.quiet_in_a_row = self.quiet_in_a_row.saturating_add(1);
            return false;
        }
        let onset = self.quiet_in_a_row >= QUIET_BEFORE_ONSET;
        self.quiet_in_a_row = 0;
        onset
    }
}

/// RMS below full scale, in dB; infinite for digital silence.
fn attenuation_db(pcm: &[i16]) -> f64 {
    let energy: f64 = pcm.iter().map(|&s| f64::from(s).powi(2)).sum();
    let mean = energy / pcm.len().max(1) as f64;
    if mean == 0.0 {
        return f64::INFINITY;
    }
    -10.0 * (mean / (32_768.0f64 * 32_768.0)).log10()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libopus_codes_digital_silence_as_the_silence_frame() {
        let mut encoder = browser_encoder().unwrap();
        // After speech, once the encoder has flushed what it held.
        for n in 0..BURST_FRAMES {
            encoder
                .encode_vec(&microphone_frame(n), MAX_PACKET)
                .unwrap();
        }
        let zeros = [0i16; SEND_FRAME];
        let packets: Vec<Vec<u8>> = (0..10)
            .map(|_| encoder.encode_vec(&zeros, MAX_PACKET).unwrap())
            .collect();
        assert_eq!(packets[9], SILENCE_FRAME);
        let cycle = Cycle::encode().unwrap();
        assert_eq!(&*cycle.packet(CYCLE_FRAMES - 1), &SILENCE_FRAME[..]);
    }

    /// Re-encodes decoded audio as the server's mixer does (libopus, speech, mono, 32 kbit/s).
    fn through_a_mixer(packets: &[Arc<[u8]>]) -> Vec<Vec<u8>> {
        let mut decoder = Decoder::new(SEND_RATE, Channels::Mono).unwrap();
        let mut encoder = Encoder::new(SEND_RATE, Channels::Mono, Application::Voip).unwrap();
        encoder.set_bitrate(Bitrate::Bits(32_000)).unwrap();
        encoder.set_complexity(5).unwrap();
        let mut pcm = [0i16; SEND_FRAME];
        packets
            .iter()
            .map(|packet| {
                decoder.decode(packet, &mut pcm, false).unwrap();
                encoder.encode_vec(&pcm, MAX_PACKET).unwrap()
            })
            .collect()
    }

    #[test]
    fn the_onset_is_heard_in_the_frame_that_carries_it_even_after_a_mixer() {
        let cycle = Cycle::encode().unwrap();
        // Three cycles, the listener starting in the middle of the first burst.
        let sent: Vec<Arc<[u8]>> = (3..3 * CYCLE_FRAMES).map(|n| cycle.packet(n)).collect();
        let onsets_at = |packets: &[Vec<u8>]| {
            let mut ear = Ear::new().unwrap();
            let heard: Vec<usize> = packets
                .iter()
                .enumerate()
                .filter(|(_, p)| ear.hear(p))
                .map(|(i, _)| i + 3)
                .collect();
            assert_eq!(ear.undecodable, 0);
            heard
        };
        let direct: Vec<Vec<u8>> = sent.iter().map(|p| p.to_vec()).collect();
        assert_eq!(onsets_at(&direct), [CYCLE_FRAMES, 2 * CYCLE_FRAMES]);
        assert_eq!(
            onsets_at(&through_a_mixer(&sent)),
            [CYCLE_FRAMES, 2 * CYCLE_FRAMES]
        );
    }

    #[test]
    fn silence_is_never_an_onset() {
        let mut ear = Ear::new().unwrap();
        assert!((0..100).all(|_| !ear.hear(&SILENCE_FRAME)));
        // A TOC announcing 63 frames in 39 bytes: counted, and quiet.
        assert!(!ear.hear(&[0xFF; 40]));
        assert_eq!(ear.undecodable, 1);
    }
}
