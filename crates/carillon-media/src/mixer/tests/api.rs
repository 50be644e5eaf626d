//! The edges of the API: configuration and what `push` refuses.

use super::support::*;
use crate::mixer::{Mixer, MixerConfig, MixerError, MAX_PAYLOAD};

const SENDER: u64 = 1;
const NOT_SENDING: u64 = 2;
const LISTENER: u64 = 3;

#[test]
fn invalid_configurations_are_refused() {
    let refused = |config: MixerConfig| matches!(Mixer::new(config), Err(MixerError::Config(_)));
    let default = MixerConfig::default();
    assert!(refused(MixerConfig {
        max_speakers: 0,
        ..default
    }));
    assert!(refused(MixerConfig {
        max_jitter_frames: 11,
        ..default
    }));
    assert!(refused(MixerConfig {
        bitrate: 5_999,
        ..default
    }));
    assert!(refused(MixerConfig {
        complexity: 11,
        ..default
    }));
    assert!(Mixer::new(MixerConfig {
        max_jitter_frames: 10,
        complexity: 0,
        ..default
    })
    .is_ok());
}

/// What `LISTENER` hears when `SENDER`'s tone is padded (with Opus padding, so it stays a
/// valid packet) to `size` bytes, and pushed for an unknown participant and one that does not
/// send as well.
fn heard_with_payloads_of(size: usize) -> Vec<i16> {
    let mut meeting = Meeting::new(MixerConfig::default());
    meeting.join(SENDER, SEND_RECEIVE, None);
    meeting.join(NOT_SENDING, RECEIVE, None);
    meeting.join(LISTENER, RECEIVE, None);
    let mut tone = Tone::new(440.0, 0.5);
    for _ in 0..20 {
        let packet = tone.next_packet();
        meeting.mixer.push(99, packet.inbound());
        meeting.mixer.push(NOT_SENDING, packet.inbound());
        meeting.mixer.push(
            SENDER,
            Packet {
                payload: Vec::new(),
                ..packet.clone()
            }
            .inbound(),
        );
        let mut padded = packet.payload.clone();
        padded.resize(size, 0);
        opus::packet::pad(&mut padded, packet.payload.len()).unwrap();
        meeting.mixer.push(
            SENDER,
            Packet {
                payload: padded,
                ..packet
            }
            .inbound(),
        );
        meeting.tick();
    }
    meeting.ear(LISTENER).last(10).to_vec()
}

#[test]
fn push_ignores_unknown_participants_non_senders_and_oversized_payloads() {
    assert_tones(&heard_with_payloads_of(MAX_PAYLOAD), &[440.0], &[]);
    assert!(heard_with_payloads_of(MAX_PAYLOAD + 1)
        .iter()
        .all(|&s| s == 0));
}

#[test]
fn a_mixer_can_move_to_another_thread() {
    let mixer = Mixer::new(MixerConfig::default()).unwrap();
    let handle = std::thread::spawn(move || mixer.is_empty());
    assert!(handle.join().unwrap());
}
