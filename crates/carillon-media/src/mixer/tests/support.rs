//! A synthetic meeting: senders that encode sine tones, listeners that decode what the mixer
//! sends them, and a Goertzel filter to tell which tones a listener hears.

use std::collections::BTreeMap;
use std::f64::consts::PI;
use std::sync::Arc;

use opus::{Application, Bitrate, Channels, Decoder, Encoder};

use crate::mixer::{
    InboundPacket, Mixer, MixerConfig, Outbound, ParticipantId, Role, FRAME_SAMPLES, SAMPLE_RATE,
    SILENCE_FRAME,
};

pub const SEND_RECEIVE: Role = Role {
    sends: true,
    hears: true,
};
pub const SEND: Role = Role {
    sends: true,
    hears: false,
};
pub const RECEIVE: Role = Role {
    sends: false,
    hears: true,
};
pub const NONE: Role = Role {
    sends: false,
    hears: false,
};

/// One encoded RTP packet.
#[derive(Clone, Debug)]
pub struct Packet {
    pub sequence: u16,
    pub timestamp: u32,
    pub payload: Vec<u8>,
}

impl Packet {
    pub fn inbound(&self) -> InboundPacket<'_> {
        InboundPacket {
            sequence: self.sequence,
            timestamp: self.timestamp,
            payload: &self.payload,
            audio_level: None,
        }
    }
}

/// A sender playing a sine tone, 20 ms per packet.
pub struct Tone {
    pub frequency: f64,
    /// Peak amplitude as a fraction of full scale.
    pub amplitude: f64,
    encoder: Encoder,
    channels: usize,
    sample: u64,
    pub sequence: u16,
    timestamp: u32,
}

impl Tone {
    pub fn new(frequency: f64, amplitude: f64) -> Self {
        Self::with_channels(frequency, amplitude, Channels::Mono)
    }

    /// Mono content in stereo packets, as Chrome sends `opus/48000/2`.
    pub fn stereo(frequency: f64, amplitude: f64) -> Self {
        Self::with_channels(frequency, amplitude, Channels::Stereo)
    }

    fn with_channels(frequency: f64, amplitude: f64, channels: Channels) -> Self {
        let mut encoder = Encoder::new(SAMPLE_RATE, channels, Application::Audio).unwrap();
        encoder.set_bitrate(Bitrate::Bits(64_000)).unwrap();
        let channels = match channels {
            Channels::Mono => 1,
            Channels::Stereo => 2,
        };
        Self {
            frequency,
            amplitude,
            encoder,
            channels,
            sample: 0,
            sequence: 1_000,
            timestamp: 0,
        }
    }

    /// A speech-mode encoder with in-band FEC, as a browser sends on a lossy path.
    pub fn with_fec(frequency: f64, amplitude: f64) -> Self {
        let mut tone = Self::new(frequency, amplitude);
        tone.encoder = Encoder::new(SAMPLE_RATE, Channels::Mono, Application::Voip).unwrap();
        tone.encoder.set_bitrate(Bitrate::Bits(24_000)).unwrap();
        tone.encoder.set_inband_fec(true).unwrap();
        tone.encoder.set_packet_loss_perc(20).unwrap();
        tone
    }

    pub fn starting_at(mut self, sequence: u16) -> Self {
        self.sequence = sequence;
        self
    }

    pub fn next_packet(&mut self) -> Packet {
        let mut pcm = Vec::with_capacity(FRAME_SAMPLES * self.channels);
        for _ in 0..FRAME_SAMPLES {
            let t = self.sample as f64 / f64::from(SAMPLE_RATE);
            let value = self.amplitude * 32_767.0 * (2.0 * PI * self.frequency * t).sin();
            for _ in 0..self.channels {
                pcm.push(value.round() as i16);
            }
            self.sample += 1;
        }
        let payload = self.encoder.encode_vec(&pcm, 1_500).unwrap();
        let packet = Packet {
            sequence: self.sequence,
            timestamp: self.timestamp,
            payload,
        };
        self.sequence = self.sequence.wrapping_add(1);
        self.timestamp = self.timestamp.wrapping_add(FRAME_SAMPLES as u32);
        packet
    }
}

/// A listener: decodes every packet it is sent, as the browser would.
pub struct Ear {
    decoder: Decoder,
    pub pcm: Vec<i16>,
    pub packets: Vec<Arc<[u8]>>,
}

impl Ear {
    fn new() -> Self {
        Self {
            decoder: Decoder::new(SAMPLE_RATE, Channels::Mono).unwrap(),
            pcm: Vec::new(),
            packets: Vec::new(),
        }
    }

    fn hear(&mut self, payload: &Arc<[u8]>) {
        let mut frame = [0i16; FRAME_SAMPLES];
        let decoded = self.decoder.decode(payload, &mut frame, false).unwrap();
        assert_eq!(decoded, FRAME_SAMPLES, "every packet is 20 ms");
        self.pcm.extend_from_slice(&frame);
        self.packets.push(Arc::clone(payload));
    }

    /// The last `frames` frames heard.
    pub fn last(&self, frames: usize) -> &[i16] {
        &self.pcm[self.pcm.len() - frames * FRAME_SAMPLES..]
    }

    pub fn last_packet(&self) -> &Arc<[u8]> {
        self.packets.last().unwrap()
    }

    /// The frame heard at `tick` (counting from 0).
    pub fn frame(&self, tick: usize) -> &[i16] {
        &self.pcm[tick * FRAME_SAMPLES..(tick + 1) * FRAME_SAMPLES]
    }
}

pub fn is_silence(payload: &[u8]) -> bool {
    payload == SILENCE_FRAME
}

pub struct Meeting {
    pub mixer: Mixer,
    pub tones: BTreeMap<ParticipantId, Tone>,
    pub ears: BTreeMap<ParticipantId, Ear>,
    /// What the last tick sent.
    pub sent: Vec<Outbound>,
}

impl Meeting {
    pub fn new(config: MixerConfig) -> Self {
        Self {
            mixer: Mixer::new(config).unwrap(),
            tones: BTreeMap::new(),
            ears: BTreeMap::new(),
            sent: Vec::new(),
        }
    }

    /// Adds a participant to the mixer; every participant gets an ear, so that a packet sent to
    /// one who should get none is noticed.
    pub fn join(&mut self, id: ParticipantId, role: Role, tone: Option<Tone>) {
        self.mixer.add(id, role);
        self.ears.insert(id, Ear::new());
        if let Some(tone) = tone {
            self.tones.insert(id, tone);
        }
    }

    /// Every tone sends its next packet.
    pub fn send_all(&mut self) {
        for (&id, tone) in &mut self.tones {
            let packet = tone.next_packet();
            self.mixer.push(id, packet.inbound());
        }
    }

    /// One tick: every listener decodes what it was sent.
    pub fn tick(&mut self) {
        self.sent.clear();
        self.mixer.tick(&mut self.sent);
        for outbound in &self.sent {
            self.ears
                .get_mut(&outbound.listener)
                .unwrap()
                .hear(&outbound.payload);
        }
    }

    pub fn step(&mut self) {
        self.send_all();
        self.tick();
    }

    pub fn run(&mut self, ticks: usize) {
        for _ in 0..ticks {
            self.step();
        }
    }

    pub fn ear(&self, id: ParticipantId) -> &Ear {
        &self.ears[&id]
    }

    /// The packet `listener` got in the last tick.
    pub fn sent_to(&self, listener: ParticipantId) -> Option<&Arc<[u8]>> {
        self.sent
            .iter()
            .find(|o| o.listener == listener)
            .map(|o| &o.payload)
    }
}

/// The share of `samples`' energy at `frequency` (Goertzel filter): about 1 for a pure tone at
/// that frequency, 1/n for each of n equal tones, near 0 for a frequency that is absent.
pub fn share(samples: &[i16], frequency: f64) -> f64 {
    let n = samples.len() as f64;
    let coefficient = 2.0 * (2.0 * PI * frequency / f64::from(SAMPLE_RATE)).cos();
    let (mut previous, mut before) = (0.0f64, 0.0f64);
    for &sample in samples {
        let current = f64::from(sample) + coefficient * previous - before;
        before = previous;
        previous = current;
    }
    let power = previous * previous + before * before - coefficient * previous * before;
    let energy: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    if energy == 0.0 {
        return 0.0;
    }
    power / (energy * n / 2.0)
}

/// Asserts which tones are in `samples`: each of `present` holds a clear share of the energy,
/// each of `absent` next to none.
pub fn assert_tones(samples: &[i16], present: &[f64], absent: &[f64]) {
    for &frequency in present {
        let share = share(samples, frequency);
        assert!(
            share > 0.1,
            "{frequency} Hz should be heard, has {share:.4} of the energy"
        );
    }
    for &frequency in absent {
        let share = share(samples, frequency);
        assert!(
            share < 0.01,
            "{frequency} Hz should not be heard, has {share:.4} of the energy"
        );
    }
}

#[test]
fn the_goertzel_share_tells_tones_apart() {
    let tone = |frequency: f64, amplitude: f64| {
        move |i: usize| amplitude * (2.0 * PI * frequency * i as f64 / 48_000.0).sin()
    };
    let (a, b) = (tone(440.0, 8_000.0), tone(660.0, 8_000.0));
    let samples: Vec<i16> = (0..4_800).map(|i| (a(i) + b(i)).round() as i16).collect();
    assert!((share(&samples, 440.0) - 0.5).abs() < 0.02);
    assert!((share(&samples, 660.0) - 0.5).abs() < 0.02);
    assert!(share(&samples, 880.0) < 0.001);
    assert_eq!(share(&[0; 960], 440.0), 0.0);
}
