//! Which burst a listener just heard, and when it was sent.
//!
//! Every speaker of a meeting writes the instant it sent each burst's first frame into the
//! meeting's [`OnsetLog`]; a listener that hears an onset takes the latest burst sent, by
//! anyone but itself, before the packet arrived. Speakers' bursts are spread evenly over the
//! second (at most three speakers, 333 ms apart), several times the latency being measured, so
//! the latest one sent is the one heard. A listener never matches the same burst twice: a second
//! onset before the next burst is counted as unmatched rather than timed.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One burst's first frame, sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sent {
    /// The speaker's seat in its meeting.
    speaker: usize,
    at: Instant,
}

/// The bursts sent in one meeting, in the order they were sent (a few a second).
#[derive(Debug, Default)]
pub struct OnsetLog {
    sent: Mutex<Vec<Sent>>,
}

/// What one heard onset turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// Burst `index` of the log, sent at `sent`: the latency is the arrival minus `sent`.
    Burst { index: usize, sent: Instant },
    /// No burst sent by another speaker is left to match.
    Unmatched,
}

impl OnsetLog {
    /// Speaker `speaker` sent a burst's first frame at `at`.
    pub fn record(&self, speaker: usize, at: Instant) {
        self.lock().push(Sent { speaker, at });
    }

    /// The burst that listener `listener` heard in a packet that arrived at `arrived`, given
    /// that the last one it matched was `after` (an index into the log).
    pub fn heard(&self, listener: usize, arrived: Instant, after: Option<usize>) -> Heard {
        let sent = self.lock();
        let latest = sent
            .iter()
            .enumerate()
            .rev()
            .find(|(_, s)| s.speaker != listener && s.at <= arrived);
        match latest {
            Some((index, s)) if after.is_none_or(|a| index > a) => {
                Heard::Burst { index, sent: s.at }
            }
            _ => Heard::Unmatched,
        }
    }

    /// Bursts sent in `[from, to)` by speakers other than `listener`: what `listener` should
    /// hear of that window.
    pub fn expected(&self, listener: usize, from: Instant, to: Instant) -> u64 {
        let sent = self.lock();
        sent.iter()
            .filter(|s| s.speaker != listener && s.at >= from && s.at < to)
            .count() as u64
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Sent>> {
        // A panicking speaker task leaves a log that is still a list of instants.
        self.sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The offset, in frames of the one-second cycle, at which speaker `k` of `speakers` starts its
/// bursts: spread evenly over the cycle.
pub fn burst_offset(k: usize, speakers: usize, cycle_frames: usize) -> usize {
    k * cycle_frames / speakers.max(1)
}

/// The sub-frame phase of the `g`th speaker of the whole run out of `total`: real browsers'
/// clocks are not aligned with the server's tick, so the speakers' sends are spread evenly over
/// one 20 ms frame, and the wait for the tick is measured over all its values.
pub fn phase(g: usize, total: usize, frame: Duration) -> Duration {
    frame.mul_f64(g as f64 / total.max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listener_matches_the_latest_burst_of_another_speaker_once() {
        let log = OnsetLog::default();
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        log.record(0, ms(0));
        log.record(1, ms(500));
        log.record(0, ms(1000));
        // Listener 2 hears both speakers.
        assert_eq!(
            log.heard(2, ms(60), None),
            Heard::Burst {
                index: 0,
                sent: ms(0)
            }
        );
        assert_eq!(
            log.heard(2, ms(560), Some(0)),
            Heard::Burst {
                index: 1,
                sent: ms(500)
            }
        );
        // A second onset before the next burst is not timed.
        assert_eq!(log.heard(2, ms(600), Some(1)), Heard::Unmatched);
        // Speaker 0 hears only speaker 1: its own burst at 1000 is skipped.
        assert_eq!(
            log.heard(0, ms(1060), None),
            Heard::Burst {
                index: 1,
                sent: ms(500)
            }
        );
        // Nothing from another speaker yet.
        assert_eq!(log.heard(0, ms(10), None), Heard::Unmatched);
        assert_eq!(log.expected(2, ms(0), ms(1000)), 2);
        assert_eq!(log.expected(0, ms(0), ms(1001)), 1);
    }

    #[test]
    fn bursts_and_phases_are_spread_evenly() {
        assert_eq!(burst_offset(0, 2, 50), 0);
        assert_eq!(burst_offset(1, 2, 50), 25);
        assert_eq!(burst_offset(2, 3, 50), 33);
        let frame = Duration::from_millis(20);
        assert_eq!(phase(0, 20, frame), Duration::ZERO);
        assert_eq!(phase(5, 20, frame), Duration::from_millis(5));
        assert!(phase(19, 20, frame) < frame);
    }
}
