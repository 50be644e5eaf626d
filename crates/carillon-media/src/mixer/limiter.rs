//! The limiter that keeps a sum of speakers inside 16 bits.
//!
//! It is a gain-reduction limiter, not a clipper: clipping (hard or soft-knee) reshapes the
//! waveform and adds harmonics, audible as distortion on every loud overlap of voices, whereas a
//! gain that follows the peak keeps the waveform and only turns it down for a while.
//!
//! It needs no look-ahead beyond the frame it is given, so it adds no latency: the mixer holds a
//! whole 20 ms frame before encoding, and the limiter plans its gain over that frame. A backward
//! pass starts the reduction up to [`ATTACK_SAMPLES`] before a peak (so the gain falls in a ramp
//! instead of a step), and a forward pass lets the gain recover slowly
//! ([`RELEASE_SAMPLES`]), so a talker's syllables are not pumped. Only a peak in the first
//! samples of a frame, which the previous frame could not see, gets a faster ramp. The gain
//! never exceeds what puts every sample at or under [`CEILING`], so the output never clips.

use super::FRAME_SAMPLES;

/// The peak level out of the limiter: -2 dBFS. The headroom absorbs the overshoot of lossy
/// coding, so the listener's decoder does not clip what the limiter let through.
pub(super) const CEILING: f32 = 26_028.0;

/// The steepest fall of the gain: from 1 to 0 over 1 ms.
const ATTACK_SAMPLES: f32 = 48.0;

/// The fastest rise of the gain: from 0 to 1 over 100 ms.
const RELEASE_SAMPLES: f32 = 4_800.0;

/// One mix's limiter. Its gain carries across frames, so each mix keeps its own.
#[derive(Debug)]
pub(super) struct Limiter {
    gain: f32,
}

impl Limiter {
    pub(super) fn new() -> Self {
        Self { gain: 1.0 }
    }

    /// Limits `mix` into `out`. `gains` is scratch space, kept by the caller so that limiting
    /// allocates nothing.
    pub(super) fn apply(
        &mut self,
        mix: &[i32; FRAME_SAMPLES],
        gains: &mut [f32; FRAME_SAMPLES],
        out: &mut [i16; FRAME_SAMPLES],
    ) {
        let attack = 1.0 / ATTACK_SAMPLES;
        let release = 1.0 / RELEASE_SAMPLES;
        // Backward: each sample's allowed gain, lowered ahead of the peaks that follow.
        let mut following = 1.0f32;
        for (gain, &sample) in gains.iter_mut().zip(mix).rev() {
            let magnitude = (sample as f32).abs();
            let allowed = if magnitude > CEILING {
                CEILING / magnitude
            } else {
                1.0
            };
            following = allowed.min(following + attack);
            *gain = following;
        }
        // Forward: recover no faster than the release allows.
        let mut current = self.gain;
        for ((gain, &sample), out) in gains.iter().zip(mix).zip(out.iter_mut()) {
            current = gain.min(current + release);
            *out = (sample as f32 * current).round() as i16;
        }
        self.gain = current;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(amplitude: f32, frame: usize) -> [i32; FRAME_SAMPLES] {
        std::array::from_fn(|i| {
            let t = (frame * FRAME_SAMPLES + i) as f32 / 48_000.0;
            (amplitude * (2.0 * std::f32::consts::PI * 440.0 * t).sin()).round() as i32
        })
    }

    fn limit(limiter: &mut Limiter, mix: &[i32; FRAME_SAMPLES]) -> [i16; FRAME_SAMPLES] {
        let mut gains = [0.0; FRAME_SAMPLES];
        let mut out = [0; FRAME_SAMPLES];
        limiter.apply(mix, &mut gains, &mut out);
        out
    }

    fn peak(frame: &[i16]) -> f32 {
        frame
            .iter()
            .map(|&s| f32::from(s).abs())
            .fold(0.0, f32::max)
    }

    #[test]
    fn a_mix_under_the_ceiling_passes_unchanged() {
        let mut limiter = Limiter::new();
        for frame in 0..5 {
            let mix = tone(20_000.0, frame);
            let out = limit(&mut limiter, &mix);
            assert!(mix.iter().zip(&out).all(|(&m, &o)| m == i32::from(o)));
        }
    }

    #[test]
    fn a_sum_of_three_full_scale_speakers_stays_under_the_ceiling() {
        let mut limiter = Limiter::new();
        for frame in 0..50 {
            let mix = tone(3.0 * 32_767.0, frame);
            let out = limit(&mut limiter, &mix);
            assert!(peak(&out) <= CEILING, "frame {frame}: {}", peak(&out));
            // Steadily loud: the gain has settled on the ceiling, not far below it.
            if frame > 0 {
                assert!(peak(&out) > 0.98 * CEILING, "frame {frame}: {}", peak(&out));
            }
        }
    }

    #[test]
    fn a_peak_at_the_start_of_a_frame_is_caught() {
        let mut limiter = Limiter::new();
        let mut mix = [0; FRAME_SAMPLES];
        mix[0] = 90_000;
        mix[1] = -90_000;
        let out = limit(&mut limiter, &mix);
        assert!(peak(&out) <= CEILING);
        assert!(peak(&out) >= CEILING - 1.0);
    }

    #[test]
    fn the_gain_falls_before_a_peak_and_recovers_slowly_after() {
        let mut limiter = Limiter::new();
        let mut mix = [10_000; FRAME_SAMPLES];
        mix[500] = 2 * 26_028;
        let out = limit(&mut limiter, &mix);
        // Before the attack ramp, nothing changes; within it the gain eases down.
        assert_eq!(out[400], 10_000);
        assert!(out[480] < 10_000 && out[480] > 5_000, "{}", out[480]);
        assert_eq!(out[500], 26_028);
        // After the peak the gain climbs back over 100 ms, not at once.
        assert!(out[501] < 5_100, "{}", out[501]);
        let next = limit(&mut limiter, &[10_000; FRAME_SAMPLES]);
        assert!(next[0] < 10_000);
        assert!(next[959] == 10_000 || next[959] > next[0]);
    }
}
