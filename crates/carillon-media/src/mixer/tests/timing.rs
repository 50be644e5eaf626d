//! When audio is heard: one packet per listener per tick, the playout delay, and the jitter
//! buffer seen through the mixer (reordering, loss, duplicates, wrap-around, bursts).

use std::collections::BTreeMap;

use super::support::*;
use crate::mixer::{MixerConfig, ParticipantId, FRAME_SAMPLES};

const A: u64 = 1;
const B: u64 = 2;

/// A sends a 440 Hz tone, B only hears.
fn tone_and_listener(config: MixerConfig, tone: Tone) -> Meeting {
    let mut meeting = Meeting::new(config);
    meeting.join(A, SEND_RECEIVE, Some(tone));
    meeting.join(B, RECEIVE, None);
    meeting
}

#[test]
fn every_hearing_listener_gets_exactly_one_packet_per_tick() {
    let mut meeting = Meeting::new(MixerConfig::default());
    meeting.join(1, SEND_RECEIVE, Some(Tone::new(440.0, 0.3)));
    meeting.join(2, SEND_RECEIVE, Some(Tone::new(660.0, 0.3)));
    meeting.join(3, RECEIVE, None);
    meeting.join(4, SEND, Some(Tone::new(880.0, 0.3)));
    meeting.join(5, NONE, None);
    let mut expected: BTreeMap<ParticipantId, bool> =
        [(1, true), (2, true), (3, true), (4, false), (5, false)].into();
    for tick in 0..120 {
        match tick {
            20 => meeting.mixer.set_muted(1, true),
            30 => {
                meeting.join(6, SEND_RECEIVE, Some(Tone::new(1_030.0, 0.3)));
                expected.insert(6, true);
            }
            40 => {
                meeting.mixer.set_role(4, SEND_RECEIVE);
                expected.insert(4, true);
            }
            50 => {
                meeting.mixer.remove(2);
                meeting.tones.remove(&2);
                expected.insert(2, false);
            }
            60 => {
                meeting.mixer.set_role(3, NONE);
                expected.insert(3, false);
            }
            70 => meeting.tones.clear(),
            _ => {}
        }
        meeting.step();
        for (&id, &hears) in &expected {
            let count = meeting.sent.iter().filter(|o| o.listener == id).count();
            assert_eq!(count, usize::from(hears), "tick {tick}, listener {id}");
        }
        assert_eq!(
            meeting.sent.len(),
            expected.values().filter(|&&h| h).count()
        );
    }
    assert!(!meeting.mixer.is_empty());
}

#[test]
fn a_steady_sender_is_heard_in_the_tick_after_each_packet() {
    for max_jitter_frames in [0, 1, 2, 5] {
        let config = MixerConfig {
            max_jitter_frames,
            ..MixerConfig::default()
        };
        let mut meeting = tone_and_listener(config, Tone::new(440.0, 0.3));
        meeting.run(10);
        let packets = &meeting.ear(B).packets;
        assert!(
            packets.iter().all(|p| !is_silence(p)),
            "max_jitter_frames {max_jitter_frames}"
        );
        assert_tones(meeting.ear(B).last(5), &[440.0], &[]);
    }
}

/// B's decoded audio when A's packets (indices into one stream) arrive before each tick as
/// `arrivals` lists them.
fn heard(arrivals: &[Vec<usize>], config: MixerConfig) -> Vec<i16> {
    let mut tone = Tone::new(440.0, 0.3);
    let stream: Vec<Packet> = (0..arrivals.len()).map(|_| tone.next_packet()).collect();
    let mut meeting = Meeting::new(config);
    meeting.join(A, SEND_RECEIVE, None);
    meeting.join(B, RECEIVE, None);
    for packets in arrivals {
        for &index in packets {
            meeting.mixer.push(A, stream[index].inbound());
        }
        meeting.tick();
    }
    meeting.ear(B).pcm.clone()
}

#[test]
fn reordering_within_the_delay_gives_the_same_audio() {
    // Both streams start alike: packets 1 and 2 come late, which raises the delay by a frame
    // (1 is dropped, 2's turn concealed, then played). Then one stream comes in order, one
    // packet a tick, and the other with pairs swapped (5 4 7 6 ...), which the frame of delay
    // absorbs.
    let prelude = vec![vec![0], vec![], vec![], vec![1, 2, 3]];
    let in_order: Vec<Vec<usize>> = prelude
        .iter()
        .cloned()
        .chain((4..42).map(|i| vec![i]))
        .collect();
    let reordered: Vec<Vec<usize>> = prelude
        .into_iter()
        .chain((4..42).map(|i| vec![i ^ 1]))
        .collect();
    let config = MixerConfig::default();
    let expected = heard(&in_order, config);
    assert!(expected.iter().any(|&s| s != 0));
    assert!(
        heard(&reordered, config) == expected,
        "the swaps were heard"
    );
}

#[test]
fn duplicated_packets_change_nothing() {
    let config = MixerConfig::default();
    let mut tone = Tone::new(440.0, 0.3);
    let stream: Vec<Packet> = (0..30).map(|_| tone.next_packet()).collect();
    let mut once = Meeting::new(config);
    let mut twice = Meeting::new(config);
    for meeting in [&mut once, &mut twice] {
        meeting.join(A, SEND_RECEIVE, None);
        meeting.join(B, RECEIVE, None);
    }
    for (tick, packet) in stream.iter().enumerate() {
        once.mixer.push(A, packet.inbound());
        twice.mixer.push(A, packet.inbound());
        twice.mixer.push(A, packet.inbound());
        if tick > 0 {
            twice.mixer.push(A, stream[tick - 1].inbound());
        }
        once.tick();
        twice.tick();
    }
    assert_eq!(once.ear(B).pcm, twice.ear(B).pcm);
    let signal = |meeting: &Meeting| {
        let mut levels = Vec::new();
        meeting.mixer.levels(&mut levels);
        levels[0].signal_strength
    };
    assert_eq!(signal(&twice), 2);
}

#[test]
fn a_lost_packet_is_concealed_and_lowers_the_signal_strength() {
    let mut meeting = tone_and_listener(MixerConfig::default(), Tone::with_fec(440.0, 0.3));
    meeting.run(20);
    let mut levels = Vec::new();
    meeting.mixer.levels(&mut levels);
    assert_eq!(levels[0].signal_strength, 2);

    // Packet lost on the way: it is never pushed.
    meeting.tones.get_mut(&A).unwrap().next_packet();
    let lost_at = meeting.ear(B).packets.len();
    meeting.tick();
    meeting.run(10);
    let ear = meeting.ear(B);
    assert!(
        !is_silence(&ear.packets[lost_at]),
        "the lost frame is concealed, not silent"
    );
    let concealed = ear.frame(lost_at);
    assert_tones(concealed, &[440.0], &[]);
    assert_eq!(ear.packets.len(), 31, "one packet every tick");

    levels.clear();
    meeting.mixer.levels(&mut levels);
    assert_eq!(levels[0].signal_strength, 1);
    assert!(levels[0].volume.is_some());
}

#[test]
fn sequence_numbers_wrap_around_without_a_gap() {
    let tone = Tone::new(440.0, 0.3).starting_at(65_520);
    let mut meeting = tone_and_listener(MixerConfig::default(), tone);
    meeting.run(40);
    assert_eq!(meeting.tones[&A].sequence, 24);
    let packets = &meeting.ear(B).packets;
    assert!(packets[2..].iter().all(|p| !is_silence(p)));
    assert_tones(meeting.ear(B).last(30), &[440.0], &[]);
    let mut levels = Vec::new();
    meeting.mixer.levels(&mut levels);
    assert_eq!(levels[0].signal_strength, 2);
}

#[test]
fn a_burst_of_late_packets_does_not_grow_the_depth_beyond_the_cap() {
    let mut meeting = tone_and_listener(MixerConfig::default(), Tone::new(440.0, 0.3));
    meeting.run(20);
    // The network holds 12 packets, then delivers them at once.
    let held: Vec<Packet> = (0..12)
        .map(|_| meeting.tones.get_mut(&A).unwrap().next_packet())
        .collect();
    for _ in 0..held.len() {
        meeting.tick();
    }
    for packet in &held {
        meeting.mixer.push(A, packet.inbound());
    }
    let jitter = |meeting: &Meeting| {
        let index = meeting.mixer.find(A).unwrap();
        let sender = meeting.mixer.participants[index].sender.as_ref().unwrap();
        (sender.jitter().span(), sender.jitter().max_span())
    };
    for _ in 0..400 {
        meeting.step();
        let (span, cap) = jitter(&meeting);
        assert!(span <= cap, "span {span} over the cap {cap}");
    }
    // Drained, a frame a second, down to the frame about to play.
    meeting.send_all();
    assert_eq!(jitter(&meeting).0, 1);
    meeting.tick();
    assert_tones(meeting.ear(B).last(10), &[440.0], &[]);
    assert_eq!(
        meeting.ear(B).pcm.len(),
        (20 + 12 + 400 + 1) * FRAME_SAMPLES
    );
}
