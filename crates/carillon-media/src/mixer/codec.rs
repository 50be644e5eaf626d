//! The Opus side of the mixer: one decoder per sender, one encoder per distinct mix, and the
//! constant packet that stands for digital silence.

use opus::{Application, Bitrate, Channels, Decoder, Encoder};

use super::{FRAME_SAMPLES, SAMPLE_RATE};

/// One 20 ms CELT packet (TOC `0xF8`: fullband CELT, 20 ms, mono, one frame) whose frame is
/// coded as silence. Every decoder turns it into exact zeros once the previous frame's overlap
/// has been played out, so a listener nobody talks to hears true digital silence rather than
/// codec noise, at three bytes a packet and no encoder.
pub const SILENCE_FRAME: [u8; 3] = [0xF8, 0xFF, 0xFE];

/// The largest packet libopus produces for one frame (RFC 6716, 3.2.1), which also bounds what
/// the encoder is given to write into.
pub(super) const MAX_PACKET: usize = 1275;

/// Decodes one sender's stream into 20 ms mono frames. A stereo packet is downmixed by libopus,
/// since the decoder is created mono.
pub(super) struct FrameDecoder {
    decoder: Decoder,
}

impl FrameDecoder {
    pub(super) fn new() -> Self {
        let decoder = Decoder::new(SAMPLE_RATE, Channels::Mono)
            .expect("libopus accepts 48 kHz mono, so creating a decoder fails only without memory");
        Self { decoder }
    }

    /// Decodes `payload` into `frame`. A packet that does not carry exactly 20 ms, or that
    /// libopus refuses, is concealed instead (the jitter buffer plays one packet per 20 ms
    /// tick, so a 10 or 60 ms packet cannot be placed on its timeline). Returns whether the
    /// packet itself was decoded.
    pub(super) fn decode(&mut self, payload: &[u8], frame: &mut [i16; FRAME_SAMPLES]) -> bool {
        let twenty_ms =
            opus::packet::get_nb_samples(payload, SAMPLE_RATE).ok() == Some(FRAME_SAMPLES);
        if twenty_ms && self.decoder.decode(payload, frame, false).ok() == Some(FRAME_SAMPLES) {
            return true;
        }
        self.conceal(None, frame);
        false
    }

    /// Fills `frame` for a packet that never came: from the in-band FEC that `next` (the
    /// following packet) carries if it is there, otherwise by libopus's loss concealment.
    pub(super) fn conceal(&mut self, next: Option<&[u8]>, frame: &mut [i16; FRAME_SAMPLES]) {
        if let Some(next) = next {
            // libopus falls back to concealment by itself when `next` holds no FEC data.
            if self.decoder.decode(next, frame, true).ok() == Some(FRAME_SAMPLES) {
                return;
            }
        }
        if self.decoder.decode(&[], frame, false).ok() != Some(FRAME_SAMPLES) {
            frame.fill(0);
        }
    }
}

/// Encoder settings taken from [`super::MixerConfig`].
#[derive(Clone, Copy, Debug)]
pub(super) struct EncoderSettings {
    pub(super) bitrate: i32,
    pub(super) complexity: i32,
}

/// A mono 48 kHz encoder tuned for speech. Mono is what the browser's `opus/48000/2` decoder
/// expects from a mix of mono microphones: it plays a mono packet on both channels.
pub(super) fn new_encoder(settings: EncoderSettings) -> Result<Encoder, opus::Error> {
    let mut encoder = Encoder::new(SAMPLE_RATE, Channels::Mono, Application::Voip)?;
    encoder.set_bitrate(Bitrate::Bits(settings.bitrate))?;
    encoder.set_complexity(settings.complexity)?;
    Ok(encoder)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_silence_frame_decodes_to_exact_zeros() {
        let mut decoder = Decoder::new(SAMPLE_RATE, Channels::Mono).unwrap();
        let mut pcm = [1i16; FRAME_SAMPLES];
        for _ in 0..5 {
            assert_eq!(
                decoder.decode(&SILENCE_FRAME, &mut pcm, false).unwrap(),
                FRAME_SAMPLES
            );
            assert!(pcm.iter().all(|&s| s == 0));
        }
        // The browser decodes stereo: the same packet gives zeros on both channels.
        let mut stereo = Decoder::new(SAMPLE_RATE, Channels::Stereo).unwrap();
        let mut pcm = [1i16; 2 * FRAME_SAMPLES];
        for _ in 0..3 {
            stereo.decode(&SILENCE_FRAME, &mut pcm, false).unwrap();
            assert!(pcm.iter().all(|&s| s == 0));
        }
    }

    #[test]
    fn after_audio_the_silence_frame_is_zero_from_the_second_frame_on() {
        let mut encoder = new_encoder(EncoderSettings {
            bitrate: 32_000,
            complexity: 5,
        })
        .unwrap();
        let mut decoder = Decoder::new(SAMPLE_RATE, Channels::Mono).unwrap();
        let mut pcm = [0i16; FRAME_SAMPLES];
        let mut packet = [0u8; MAX_PACKET];
        for n in 0..10 {
            let tone: Vec<i16> = (0..FRAME_SAMPLES)
                .map(|i| {
                    let t = (n * FRAME_SAMPLES + i) as f32 / SAMPLE_RATE as f32;
                    (12_000.0 * (2.0 * std::f32::consts::PI * 440.0 * t).sin()) as i16
                })
                .collect();
            let len = encoder.encode(&tone, &mut packet).unwrap();
            decoder.decode(&packet[..len], &mut pcm, false).unwrap();
        }
        assert!(pcm.iter().any(|&s| s != 0));
        decoder.decode(&SILENCE_FRAME, &mut pcm, false).unwrap();
        for _ in 0..5 {
            decoder.decode(&SILENCE_FRAME, &mut pcm, false).unwrap();
            assert!(pcm.iter().all(|&s| s == 0));
        }
    }

    /// Packets of a 440 Hz tone that starts at frame `onset`, from a speech encoder with in-band
    /// FEC, as a browser sends on a lossy path.
    fn tone_with_fec(frames: usize, onset: usize) -> Vec<Vec<u8>> {
        let mut encoder = Encoder::new(SAMPLE_RATE, Channels::Mono, Application::Voip).unwrap();
        encoder.set_bitrate(Bitrate::Bits(24_000)).unwrap();
        encoder.set_inband_fec(true).unwrap();
        encoder.set_packet_loss_perc(20).unwrap();
        (0..frames)
            .map(|n| {
                let pcm: Vec<i16> = (0..FRAME_SAMPLES)
                    .map(|i| {
                        let t = (n * FRAME_SAMPLES + i) as f32 / SAMPLE_RATE as f32;
                        let on = if n >= onset { 10_000.0 } else { 0.0 };
                        (on * (2.0 * std::f32::consts::PI * 440.0 * t).sin()) as i16
                    })
                    .collect();
                encoder.encode_vec(&pcm, MAX_PACKET).unwrap()
            })
            .collect()
    }

    /// Squared error of frame `lost` against the lossless decode, when it is concealed with or
    /// without the next packet.
    fn concealment_error(packets: &[Vec<u8>], lost: usize, with_next: bool) -> f64 {
        let mut reference = FrameDecoder::new();
        let mut lossy = FrameDecoder::new();
        let (mut expected, mut actual) = ([0i16; FRAME_SAMPLES], [0i16; FRAME_SAMPLES]);
        for (n, packet) in packets.iter().enumerate().take(lost + 1) {
            assert!(reference.decode(packet, &mut expected));
            if n < lost {
                lossy.decode(packet, &mut actual);
            } else {
                let next = with_next.then_some(packets[n + 1].as_slice());
                lossy.conceal(next, &mut actual);
            }
        }
        expected
            .iter()
            .zip(&actual)
            .map(|(&e, &a)| (f64::from(e) - f64::from(a)).powi(2))
            .sum()
    }

    #[test]
    fn in_band_fec_recovers_a_lost_frame_that_concealment_cannot_guess() {
        // The tone starts in the lost frame: concealment extends the silence before it, while
        // the next packet's redundant copy carries the onset.
        let packets = tone_with_fec(30, 20);
        let signal: f64 = {
            let mut decoder = FrameDecoder::new();
            let mut frame = [0i16; FRAME_SAMPLES];
            for packet in &packets[..=20] {
                decoder.decode(packet, &mut frame);
            }
            frame.iter().map(|&s| f64::from(s).powi(2)).sum()
        };
        let with_fec = concealment_error(&packets, 20, true);
        let without = concealment_error(&packets, 20, false);
        assert!(
            with_fec < without / 10.0,
            "FEC error {with_fec}, concealment error {without}"
        );
        assert!(without > signal / 2.0, "concealment alone misses the frame");
    }

    #[test]
    fn a_packet_that_is_not_20_ms_is_concealed() {
        let mut encoder = Encoder::new(SAMPLE_RATE, Channels::Mono, Application::Voip).unwrap();
        let ten_ms = [0i16; FRAME_SAMPLES / 2];
        let mut packet = [0u8; MAX_PACKET];
        let len = encoder.encode(&ten_ms, &mut packet).unwrap();
        let mut decoder = FrameDecoder::new();
        let mut frame = [7i16; FRAME_SAMPLES];
        assert!(!decoder.decode(&packet[..len], &mut frame));
        assert!(!decoder.decode(&[0xFF; 40], &mut frame));
        assert!(decoder.decode(&SILENCE_FRAME, &mut frame));
    }
}
