//! Who hears whom: the N-1 mix, shared encodes, mute, roles, the loudest few, the limiter.

use std::sync::Arc;

use super::support::*;
use crate::mixer::limiter::CEILING;
use crate::mixer::MixerConfig;

const A: u64 = 1;
const B: u64 = 2;
const C: u64 = 3;
const D: u64 = 4;
const E: u64 = 5;

/// A at 440 Hz, B at 660 Hz (in stereo packets), C at 880 Hz, all sending and hearing; D and E
/// only hear.
fn three_tones() -> Meeting {
    let mut meeting = Meeting::new(MixerConfig::default());
    meeting.join(A, SEND_RECEIVE, Some(Tone::new(440.0, 0.3)));
    meeting.join(B, SEND_RECEIVE, Some(Tone::stereo(660.0, 0.3)));
    meeting.join(C, SEND_RECEIVE, Some(Tone::new(880.0, 0.3)));
    meeting.join(D, RECEIVE, None);
    meeting.join(E, RECEIVE, None);
    meeting
}

#[test]
fn each_speaker_hears_everyone_but_itself() {
    let mut meeting = three_tones();
    meeting.run(30);
    assert_tones(meeting.ear(A).last(10), &[660.0, 880.0], &[440.0]);
    assert_tones(meeting.ear(B).last(10), &[440.0, 880.0], &[660.0]);
    assert_tones(meeting.ear(C).last(10), &[440.0, 660.0], &[880.0]);
    assert_tones(meeting.ear(D).last(10), &[440.0, 660.0, 880.0], &[]);
    assert_tones(meeting.ear(E).last(10), &[440.0, 660.0, 880.0], &[]);
}

#[test]
fn listeners_of_the_same_mix_share_one_encode() {
    let mut meeting = three_tones();
    meeting.run(10);
    let d = meeting.sent_to(D).unwrap();
    let e = meeting.sent_to(E).unwrap();
    assert!(
        Arc::ptr_eq(d, e),
        "the listeners who do not speak share one packet"
    );
    let speakers = [A, B, C].map(|id| meeting.sent_to(id).unwrap().clone());
    for (i, speaker) in speakers.iter().enumerate() {
        assert!(!Arc::ptr_eq(speaker, d));
        for other in &speakers[i + 1..] {
            assert!(!Arc::ptr_eq(speaker, other));
        }
    }
    // Everyone, and everyone but each of the three speakers.
    assert_eq!(meeting.mixer.mixes.len(), 4);
}

#[test]
fn encoders_of_mixes_that_ended_are_dropped() {
    let mut meeting = three_tones();
    meeting.run(10);
    assert_eq!(meeting.mixer.mixes.len(), 4);
    // C stops sending: after 200 ms it is silent, and a second later its mix's encoder goes.
    meeting.tones.remove(&C);
    meeting.run(80);
    assert_eq!(meeting.mixer.mixes.len(), 3);
    assert_tones(meeting.ear(D).last(10), &[440.0, 660.0], &[880.0]);
    meeting.mixer.remove(A);
    meeting.tones.remove(&A);
    meeting.run(1);
    assert_eq!(
        meeting.mixer.mixes.len(),
        2,
        "a participant who left takes its mix along"
    );
}

#[test]
fn a_muted_speaker_leaves_every_mix() {
    let mut meeting = three_tones();
    meeting.run(20);
    meeting.mixer.set_muted(A, true);
    meeting.run(20);
    assert_tones(meeting.ear(B).last(10), &[880.0], &[440.0, 660.0]);
    assert_tones(meeting.ear(C).last(10), &[660.0], &[440.0, 880.0]);
    assert_tones(meeting.ear(D).last(10), &[660.0, 880.0], &[440.0]);
    // A still hears the others.
    assert_tones(meeting.ear(A).last(10), &[660.0, 880.0], &[440.0]);
    meeting.mixer.set_muted(A, false);
    meeting.run(20);
    assert_tones(meeting.ear(B).last(10), &[440.0, 880.0], &[660.0]);
}

#[test]
fn muting_the_only_speaker_gives_exact_silence() {
    let mut meeting = Meeting::new(MixerConfig::default());
    meeting.join(A, SEND_RECEIVE, Some(Tone::new(440.0, 0.3)));
    meeting.join(B, SEND_RECEIVE, None);
    meeting.join(C, RECEIVE, None);
    meeting.run(20);
    assert_tones(meeting.ear(B).last(10), &[440.0], &[]);
    assert!(!is_silence(meeting.ear(B).last_packet()));
    // The only speaker hears nobody: silence frames all along.
    assert!(meeting.ear(A).packets.iter().all(|p| is_silence(p)));

    meeting.mixer.set_muted(A, true);
    let muted_at = meeting.ear(B).packets.len();
    meeting.run(10);
    for id in [B, C] {
        let ear = meeting.ear(id);
        assert!(ear.packets[muted_at..].iter().all(|p| is_silence(p)));
        // The first silence frame plays out the last frame's overlap; then exact zeros.
        assert!(ear.frame(muted_at).iter().any(|&s| s != 0));
        assert!(ear.pcm[(muted_at + 1) * crate::mixer::FRAME_SAMPLES..]
            .iter()
            .all(|&s| s == 0));
    }
}

#[test]
fn roles_decide_who_is_mixed_and_who_is_sent_a_mix() {
    let mut meeting = Meeting::new(MixerConfig::default());
    meeting.join(A, SEND_RECEIVE, Some(Tone::new(440.0, 0.3)));
    // R, S, N send tones whatever their role says, as a misbehaving client might.
    let (r, s, n) = (10, 11, 12);
    meeting.join(r, RECEIVE, Some(Tone::new(660.0, 0.3)));
    meeting.join(s, SEND, Some(Tone::new(880.0, 0.3)));
    meeting.join(n, NONE, Some(Tone::new(1_030.0, 0.3)));
    meeting.run(30);
    assert_tones(meeting.ear(A).last(10), &[880.0], &[440.0, 660.0, 1_030.0]);
    assert_tones(meeting.ear(r).last(10), &[440.0, 880.0], &[660.0, 1_030.0]);
    assert!(meeting.ear(s).packets.is_empty(), "Send gets no mix");
    assert!(meeting.ear(n).packets.is_empty(), "None gets no mix");

    // Capabilities change live: R now sends too, S sends no more.
    meeting.mixer.set_role(r, SEND_RECEIVE);
    meeting.mixer.set_role(s, NONE);
    meeting.run(30);
    assert_tones(meeting.ear(A).last(10), &[660.0], &[440.0, 880.0, 1_030.0]);
    assert_tones(meeting.ear(r).last(10), &[440.0], &[660.0, 880.0, 1_030.0]);
    assert!(meeting.ear(s).packets.is_empty());
}

#[test]
fn only_the_loudest_few_are_heard() {
    let config = MixerConfig {
        max_speakers: 3,
        ..MixerConfig::default()
    };
    let mut meeting = Meeting::new(config);
    let tones = [
        (440.0, 0.05),
        (620.0, 0.3),
        (810.0, 0.1),
        (1_030.0, 0.25),
        (1_270.0, 0.2),
    ];
    for (id, &(frequency, amplitude)) in (1..).zip(&tones) {
        meeting.join(id, SEND_RECEIVE, Some(Tone::new(frequency, amplitude)));
    }
    meeting.join(D + 10, RECEIVE, None);
    meeting.run(30);
    assert_tones(
        meeting.ear(D + 10).last(10),
        &[620.0, 1_030.0, 1_270.0],
        &[440.0, 810.0],
    );
    // A quiet speaker hears the three loudest; a loud one hears the other two.
    assert_tones(
        meeting.ear(1).last(10),
        &[620.0, 1_030.0, 1_270.0],
        &[440.0, 810.0],
    );
    assert_tones(
        meeting.ear(2).last(10),
        &[1_030.0, 1_270.0],
        &[440.0, 620.0, 810.0],
    );
}

#[test]
fn three_full_scale_speakers_never_clip() {
    let mut meeting = Meeting::new(MixerConfig::default());
    meeting.join(A, SEND_RECEIVE, Some(Tone::new(440.0, 1.0)));
    meeting.join(B, SEND_RECEIVE, Some(Tone::new(660.0, 1.0)));
    meeting.join(C, SEND_RECEIVE, Some(Tone::new(880.0, 1.0)));
    meeting.join(D, RECEIVE, None);
    meeting.run(60);
    for id in [A, D] {
        let heard = meeting.ear(id).last(50);
        let peak = f64::from(heard.iter().map(|&s| i32::from(s).abs()).max().unwrap());
        // The limiter holds the peak at its ceiling (-2 dBFS); lossy coding moves it by less
        // than 1 dB either way, so the decoder never comes near saturating at 32,767.
        let ceiling = f64::from(CEILING);
        assert!(
            peak < ceiling * 1.122 && peak < 32_000.0,
            "listener {id}: peak {peak}"
        );
        assert!(peak > ceiling * 0.891, "listener {id}: peak {peak}");
    }
    assert_tones(meeting.ear(D).last(10), &[440.0, 660.0, 880.0], &[]);
}

#[test]
fn silence_is_not_mixed_and_a_speaker_who_falls_silent_leaves_after_a_hangover() {
    let mut meeting = Meeting::new(MixerConfig::default());
    meeting.join(A, SEND_RECEIVE, Some(Tone::new(440.0, 0.0)));
    meeting.join(D, RECEIVE, None);
    meeting.run(20);
    assert!(
        meeting.ear(D).packets.iter().all(|p| is_silence(p)),
        "digital silence is not mixed"
    );
    assert_eq!(meeting.mixer.mixes.len(), 0);

    meeting.tones.get_mut(&A).unwrap().amplitude = 0.3;
    meeting.run(20);
    assert!(!is_silence(meeting.ear(D).last_packet()));
    meeting.tones.get_mut(&A).unwrap().amplitude = 0.0;
    let fell_silent_at = meeting.ear(D).packets.len();
    meeting.run(80);
    let packets = &meeting.ear(D).packets[fell_silent_at..];
    let heard_for = packets.iter().position(|p| is_silence(p)).unwrap();
    // Kept while its level fades from -13 dBFS to silence at 1 dB a frame, then dropped.
    assert!((30..60).contains(&heard_for), "heard for {heard_for} ticks");
    assert!(packets[heard_for..].iter().all(|p| is_silence(p)));
}
