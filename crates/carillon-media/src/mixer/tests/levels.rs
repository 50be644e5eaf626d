//! The levels AUDIO_METADATA reports.

use super::support::*;
use crate::mixer::{Level, MixerConfig};

const LOUD: u64 = 1;
const QUIET: u64 = 2;
const LISTENER: u64 = 3;

fn levels(meeting: &Meeting) -> Vec<Level> {
    let mut levels = Vec::new();
    meeting.mixer.levels(&mut levels);
    levels
}

fn volume_of(levels: &[Level], id: u64) -> Option<u8> {
    levels.iter().find(|l| l.participant == id).unwrap().volume
}

#[test]
fn a_loud_tone_is_attenuated_less_than_a_quiet_one() {
    let mut meeting = Meeting::new(MixerConfig::default());
    meeting.join(LOUD, SEND_RECEIVE, Some(Tone::new(440.0, 0.5)));
    meeting.join(QUIET, SEND_RECEIVE, Some(Tone::new(660.0, 0.05)));
    meeting.join(LISTENER, RECEIVE, None);
    assert!(
        levels(&meeting).iter().all(|l| l.volume.is_none()),
        "nothing played yet"
    );
    meeting.run(20);
    let levels = levels(&meeting);
    // Only senders are reported.
    assert_eq!(
        levels.iter().map(|l| l.participant).collect::<Vec<_>>(),
        [LOUD, QUIET]
    );
    // A sine's RMS is 3 dB under its peak: 0.5 of full scale is -9 dBFS, 0.05 is -29 dBFS.
    let loud = volume_of(&levels, LOUD).unwrap();
    let quiet = volume_of(&levels, QUIET).unwrap();
    assert!(loud.abs_diff(9) <= 1, "loud {loud}");
    assert!(quiet.abs_diff(29) <= 1, "quiet {quiet}");
    assert!(levels.iter().all(|l| l.signal_strength == 2));
}

#[test]
fn muted_or_silent_senders_have_no_volume() {
    let mut meeting = Meeting::new(MixerConfig::default());
    meeting.join(LOUD, SEND_RECEIVE, Some(Tone::new(440.0, 0.5)));
    meeting.join(QUIET, SEND_RECEIVE, Some(Tone::new(660.0, 0.05)));
    meeting.run(20);
    meeting.mixer.set_muted(LOUD, true);
    assert_eq!(volume_of(&levels(&meeting), LOUD), None);
    assert!(volume_of(&levels(&meeting), QUIET).is_some());
    meeting.mixer.set_muted(LOUD, false);
    assert!(volume_of(&levels(&meeting), LOUD).is_some());
    // A sender that stops: concealment fades, then it counts as silent.
    meeting.tones.remove(&QUIET);
    meeting.run(15);
    assert_eq!(volume_of(&levels(&meeting), QUIET), None);
    assert!(
        levels(&meeting).iter().all(|l| l.signal_strength == 2),
        "stopping is not loss"
    );
}
