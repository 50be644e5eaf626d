//! What AUDIO_METADATA reports about each sender: how loud it is (an attenuation in dB, as the
//! Chime SDK expects) and how well its audio arrives (from recent concealment).

/// Attenuation at and above which a frame counts as silence: -60 dBFS is below any microphone's
/// noise floor after the browser's noise suppression, and far below the -42 dB at which the
/// SDK's volume indicator already reads zero.
pub(super) const SILENCE_DB: f32 = 60.0;

/// How fast the smoothed level falls, in dB per 20 ms frame (50 dB/s). A louder frame is taken
/// at once, so speech onsets show immediately while the indicator does not flicker between
/// syllables.
const RELEASE_DB_PER_FRAME: f32 = 1.0;

/// The attenuation of a frame's RMS below full scale (32,768), in dB, at least 0. Digital
/// silence is infinitely attenuated.
pub(super) fn attenuation_db(frame: &[i16]) -> f32 {
    let energy: f64 = frame.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    let mean_square = energy / frame.len().max(1) as f64;
    if mean_square == 0.0 {
        return f32::INFINITY;
    }
    let full_scale = 32_768.0f64 * 32_768.0;
    (-10.0 * (mean_square / full_scale).log10()).max(0.0) as f32
}

/// A sender's smoothed loudness.
#[derive(Debug)]
pub(super) struct LevelMeter {
    smoothed_db: f32,
}

impl LevelMeter {
    pub(super) fn new() -> Self {
        Self {
            smoothed_db: f32::INFINITY,
        }
    }

    /// Takes the attenuation of the frame just played.
    pub(super) fn frame(&mut self, attenuation_db: f32) {
        self.smoothed_db = attenuation_db.min(self.smoothed_db + RELEASE_DB_PER_FRAME);
    }

    /// The sender played nothing (it is silent or still buffering).
    pub(super) fn nothing(&mut self) {
        self.smoothed_db = f32::INFINITY;
    }

    /// The smoothed attenuation in dB, or `None` at silence.
    pub(super) fn attenuation(&self) -> Option<f32> {
        (self.smoothed_db < SILENCE_DB).then_some(self.smoothed_db)
    }

    /// The smoothed attenuation as AUDIO_METADATA's `volume`: whole dB, 0..=127.
    pub(super) fn volume(&self) -> Option<u8> {
        self.attenuation()
            .map(|db| db.round().clamp(0.0, 127.0) as u8)
    }
}

/// Frames of history behind the signal strength: one second.
const WINDOW: u32 = 50;

/// Concealments in the window above which the signal is poor rather than fair (10 %).
const POOR_ABOVE: u32 = 5;

/// Counts frames lost in the last second. A concealed frame only counts once playout resumes
/// after it: concealment that runs into silence is a sender that stopped (left, muted at the
/// source), not a network losing its packets.
#[derive(Debug, Default)]
pub(super) struct SignalMeter {
    /// One bit per frame, newest lowest; a set bit is a lost frame.
    lost: u64,
    /// Concealed frames not yet known to be losses.
    pending: u32,
}

impl SignalMeter {
    pub(super) fn played(&mut self) {
        let pending = self.pending.min(WINDOW);
        // The pending frames are the ones just before this one: bits 1..=pending.
        let pending_bits = ((1u64 << pending) - 1) << 1;
        self.lost = (self.lost << 1) | pending_bits;
        self.pending = 0;
    }

    pub(super) fn concealed(&mut self) {
        self.lost <<= 1;
        self.pending += 1;
    }

    pub(super) fn nothing(&mut self) {
        self.lost <<= 1;
        self.pending = 0;
    }

    /// 2 with no loss in the last second, 1 with a few, 0 with more than [`POOR_ABOVE`].
    pub(super) fn strength(&self) -> u8 {
        let window = (1u64 << WINDOW) - 1;
        match (self.lost & window).count_ones() {
            0 => 2,
            n if n <= POOR_ABOVE => 1,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attenuation_follows_rms_below_full_scale() {
        assert_eq!(attenuation_db(&[0; 960]), f32::INFINITY);
        // A constant at half scale: 20 log10(2) = 6.02 dB.
        assert!((attenuation_db(&[16_384; 960]) - 6.02).abs() < 0.01);
        assert_eq!(attenuation_db(&[i16::MIN; 960]), 0.0);
        let quiet = attenuation_db(&[33; 960]);
        assert!((quiet - 59.9).abs() < 0.1, "{quiet}");
    }

    #[test]
    fn the_level_rises_at_once_and_falls_slowly() {
        let mut meter = LevelMeter::new();
        assert_eq!(meter.volume(), None);
        meter.frame(10.0);
        assert_eq!(meter.volume(), Some(10));
        meter.frame(40.0);
        assert_eq!(meter.volume(), Some(11));
        meter.frame(f32::INFINITY);
        assert_eq!(meter.volume(), Some(12));
        for _ in 0..60 {
            meter.frame(f32::INFINITY);
        }
        assert_eq!(meter.volume(), None);
        meter.frame(3.0);
        assert_eq!(meter.volume(), Some(3));
        meter.nothing();
        assert_eq!(meter.volume(), None);
    }

    #[test]
    fn concealment_lowers_the_strength_once_playout_resumes() {
        let mut meter = SignalMeter::default();
        meter.played();
        assert_eq!(meter.strength(), 2);
        meter.concealed();
        assert_eq!(meter.strength(), 2);
        meter.played();
        assert_eq!(meter.strength(), 1);
        for _ in 0..6 {
            meter.concealed();
        }
        meter.played();
        assert_eq!(meter.strength(), 0);
        for _ in 0..WINDOW {
            meter.played();
        }
        assert_eq!(meter.strength(), 2);
    }

    #[test]
    fn concealment_that_runs_into_silence_is_not_loss() {
        let mut meter = SignalMeter::default();
        meter.played();
        for _ in 0..10 {
            meter.concealed();
        }
        meter.nothing();
        meter.played();
        assert_eq!(meter.strength(), 2);
    }
}
