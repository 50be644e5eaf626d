//! The engine end to end, without a browser or a socket: each client is a str0m `Rtc` (ICE
//! controlling, DTLS active, as a browser is) sending a tone, and datagrams go between the
//! clients and the engine by hand, on a simulated clock. What each client receives went through
//! ICE, DTLS-SRTP, the mixer and back, and is decoded and checked for tones.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use opus::{Channels, Decoder};
use str0m::format::{Codec, FormatParams};
use str0m::media::{Frequency, MediaKind, MediaTime, Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::rtp::Ssrc;
use str0m::{Candidate, Event, Input, Output, Rtc, RtcConfig};

use super::*;
use crate::mixer::tests::support::{assert_tones, Tone, RECEIVE, SEND_RECEIVE};
use crate::mixer::{FRAME_SAMPLES, SAMPLE_RATE};

const SERVER: &str = "127.0.0.1:3478";
const OPUS: u8 = 111;
const MID: &str = "0";

/// A browser-like client of one session.
struct Client {
    session: u64,
    address: SocketAddr,
    rtc: Rtc,
    tone: Option<Tone>,
    connected: bool,
    decoder: Decoder,
    heard: Vec<i16>,
    next_send: Option<Instant>,
    sent_samples: u64,
}

impl Client {
    /// A client of `session` whose answer (made by `engine`'s node) is applied through the
    /// direct API, as the SDK applies the SDP answer; returns it and its session's `Attach`.
    fn new(
        session: u64,
        node: &NodeMedia,
        tone: Option<Tone>,
        role: Role,
        now: Instant,
    ) -> (Self, Attach) {
        let address: SocketAddr = format!("127.0.0.1:{}", 50_000 + session).parse().unwrap();
        let mut config = RtcConfig::new().clear_codecs();
        config.codec_config().add_config(
            Pt::from(OPUS),
            None,
            Codec::Opus,
            Frequency::FORTY_EIGHT_KHZ,
            Some(2),
            FormatParams::default(),
        );
        let mut rtc = config.build(now);
        rtc.add_local_candidate(Candidate::host(address, "udp").unwrap());
        rtc.add_remote_candidate(Candidate::host(SERVER.parse().unwrap(), "udp").unwrap());
        let (server_ufrag, server_pwd) = (
            format!("srv{session}"),
            format!("server-password-{session:08}"),
        );
        let mid = Mid::from(MID);
        let client_ssrc = 1_000 + session as u32;
        let server_ssrc = 2_000 + session as u32;
        let mut api = rtc.direct_api();
        api.set_ice_controlling(true);
        api.set_remote_ice_credentials(str0m::IceCreds {
            ufrag: server_ufrag.clone(),
            pass: server_pwd.clone(),
        });
        api.set_remote_fingerprint(format!("sha-256 {}", node.fingerprint()).parse().unwrap());
        api.start_dtls(true).unwrap();
        api.declare_media(mid, MediaKind::Audio);
        api.declare_stream_tx(Ssrc::from(client_ssrc), None, mid, None);
        api.expect_stream_rx(Ssrc::from(server_ssrc), None, mid, None);
        let creds = api.local_ice_credentials();
        let fingerprint = api.local_dtls_fingerprint().to_string();
        let attach = Attach {
            session,
            meeting: "meeting".into(),
            plan: AudioPlan {
                remote_ufrag: creds.ufrag,
                remote_pwd: creds.pass,
                remote_fingerprint: fingerprint,
                mid: MID.into(),
                opus_pt: OPUS,
                audio_level_ext: None,
                mid_ext: None,
                remote_ssrc: Some(client_ssrc),
            },
            ufrag: server_ufrag,
            pwd: server_pwd,
            ssrc: server_ssrc,
            role,
            muted: false,
        };
        let client = Client {
            session,
            address,
            rtc,
            tone,
            connected: false,
            decoder: Decoder::new(SAMPLE_RATE, Channels::Mono).unwrap(),
            heard: Vec::new(),
            next_send: None,
            sent_samples: 0,
        };
        (client, attach)
    }

    /// Drains the client: its datagrams into `to_server`, the audio it got decoded. Returns
    /// when it next needs the time.
    fn poll(&mut self, to_server: &mut Vec<(SocketAddr, Vec<u8>)>) -> Instant {
        loop {
            match self.rtc.poll_output().unwrap() {
                Output::Timeout(at) => return at,
                Output::Transmit(t) => to_server.push((t.source, t.contents.to_vec())),
                Output::Event(Event::Connected) => self.connected = true,
                Output::Event(Event::MediaData(data)) => {
                    let mut frame = [0i16; FRAME_SAMPLES];
                    let decoded = self.decoder.decode(&data.data, &mut frame, false).unwrap();
                    self.heard.extend_from_slice(&frame[..decoded]);
                }
                Output::Event(_) => {}
            }
        }
    }

    /// Sends the next 20 ms of its tone when it is due.
    fn speak(&mut self, now: Instant) {
        let Some(tone) = self.tone.as_mut().filter(|_| self.connected) else {
            return;
        };
        let due = *self.next_send.get_or_insert(now);
        if now < due {
            return;
        }
        self.next_send = Some(due + FRAME);
        let packet = tone.next_packet();
        let time = MediaTime::new(self.sent_samples, Frequency::FORTY_EIGHT_KHZ);
        self.sent_samples += FRAME_SAMPLES as u64;
        let writer = self.rtc.writer(Mid::from(MID)).unwrap();
        writer
            .write(Pt::from(OPUS), now, time, packet.payload)
            .unwrap();
    }
}

/// The engine and its clients on one simulated clock, 1 ms at a time.
struct Network {
    engine: Engine,
    clients: Vec<Client>,
    now: Instant,
    levels: Vec<MeetingLevels>,
    /// Client datagrams on their way to the server.
    in_flight: Vec<(SocketAddr, Vec<u8>)>,
}

impl Network {
    fn new(people: &[(Option<f64>, Role)]) -> Self {
        let now = Instant::now();
        let node = NodeMedia::generate().unwrap();
        let mut engine = Engine::new(
            node.clone(),
            SERVER.parse().unwrap(),
            MixerConfig::default(),
        );
        let clients = people
            .iter()
            .enumerate()
            .map(|(i, (hz, role))| {
                let tone = hz.map(|hz| Tone::stereo(hz, 0.2));
                let (client, attach) = Client::new(i as u64 + 1, &node, tone, *role, now);
                engine.attach(attach);
                client
            })
            .collect();
        Self {
            engine,
            clients,
            now,
            levels: Vec::new(),
            in_flight: Vec::new(),
        }
    }

    /// Runs for `duration` of simulated time.
    fn run(&mut self, duration: Duration) {
        let end = self.now + duration;
        let server: SocketAddr = SERVER.parse().unwrap();
        while self.now < end {
            self.now += Duration::from_millis(1);
            let now = self.now;
            let mut to_server = std::mem::take(&mut self.in_flight);
            let mut to_clients: Vec<(SocketAddr, Vec<u8>)> = Vec::new();
            for client in &mut self.clients {
                client.rtc.handle_input(Input::Timeout(now)).unwrap();
                client.speak(now);
                client.poll(&mut to_server);
            }
            let sessions: HashMap<SocketAddr, u64> = self
                .clients
                .iter()
                .map(|c| (c.address, c.session))
                .collect();
            let mut send = |to: SocketAddr, bytes: &[u8]| to_clients.push((to, bytes.to_vec()));
            for (from, datagram) in to_server {
                if matches!(datagram.first(), Some(0..=3)) {
                    // What the ICE port's check passed on: a check of the client's session.
                    self.engine
                        .checked(sessions[&from], now, from, &datagram, &mut send);
                } else {
                    self.engine.receive(now, from, &datagram, &mut send);
                }
            }
            if self.engine.next_wake().is_some_and(|at| at <= now) {
                let levels = &mut self.levels;
                self.engine.run_due(now, &mut send, &mut |l| levels.push(l));
            }
            for (to, datagram) in to_clients {
                let client = self.clients.iter_mut().find(|c| c.address == to).unwrap();
                let receive = Receive::new(Protocol::Udp, server, to, &datagram).unwrap();
                client
                    .rtc
                    .handle_input(Input::Receive(now, receive))
                    .unwrap();
                // What it answers goes out with the next millisecond's datagrams.
                client.poll(&mut self.in_flight);
            }
        }
    }

    /// What client `i` heard in the last `ms` milliseconds.
    fn heard(&self, i: usize, ms: usize) -> &[i16] {
        let heard = &self.clients[i].heard;
        let samples = ms * SAMPLE_RATE as usize / 1000;
        assert!(
            heard.len() >= samples,
            "client {i} heard only {} samples",
            heard.len()
        );
        &heard[heard.len() - samples..]
    }
}

#[test]
fn three_clients_hear_each_other_and_not_themselves() {
    let mut net = Network::new(&[
        (Some(440.0), SEND_RECEIVE),
        (Some(660.0), SEND_RECEIVE),
        (Some(880.0), SEND_RECEIVE),
    ]);
    net.run(Duration::from_secs(2));
    assert!(net.clients.iter().all(|c| c.connected));
    assert_eq!(net.engine.sessions(), (3, 3));
    assert_tones(net.heard(0, 500), &[660.0, 880.0], &[440.0]);
    assert_tones(net.heard(1, 500), &[440.0, 880.0], &[660.0]);
    assert_tones(net.heard(2, 500), &[440.0, 660.0], &[880.0]);
    // Every tick reached every client: 50 packets a second, less the time to connect.
    let stats = net.engine.stats();
    assert!(stats.packets_out >= 3 * 80, "{stats:?}");
    assert_eq!(stats.late_ticks, 0, "{stats:?}");
    // The levels name the speakers, loud.
    let last = net.levels.last().expect("levels were reported");
    assert_eq!(last.levels.len(), 3, "{last:?}");
    assert!(
        last.levels.iter().all(|l| l.volume.is_some_and(|v| v < 40)),
        "{last:?}"
    );
}

#[test]
fn mute_role_and_detach_take_effect_on_live_sessions() {
    let mut net = Network::new(&[
        (Some(440.0), SEND_RECEIVE),
        (Some(660.0), SEND_RECEIVE),
        (Some(880.0), SEND_RECEIVE),
    ]);
    net.run(Duration::from_secs(1));
    net.engine.set_muted(1, true);
    net.run(Duration::from_secs(1));
    assert_tones(net.heard(1, 500), &[880.0], &[440.0, 660.0]);
    assert_tones(net.heard(2, 500), &[660.0], &[440.0, 880.0]);
    net.engine.set_muted(1, false);
    net.engine.set_role(3, RECEIVE);
    net.run(Duration::from_secs(1));
    assert_tones(net.heard(0, 500), &[660.0], &[440.0, 880.0]);
    assert_tones(net.heard(2, 500), &[440.0, 660.0], &[880.0]);
    net.engine.detach(2);
    assert_eq!(net.engine.sessions(), (2, 2));
    let heard_before = net.clients[1].heard.len();
    net.run(Duration::from_secs(1));
    assert_eq!(
        net.clients[1].heard.len(),
        heard_before,
        "a detached session gets nothing"
    );
    assert_tones(net.heard(2, 500), &[440.0], &[660.0, 880.0]);
}

#[test]
fn a_session_that_never_connects_costs_only_its_plan() {
    let now = Instant::now();
    let node = NodeMedia::generate().unwrap();
    let mut engine = Engine::new(
        node.clone(),
        SERVER.parse().unwrap(),
        MixerConfig::default(),
    );
    let (_client, attach) = Client::new(1, &node, None, SEND_RECEIVE, now);
    engine.attach(attach);
    assert_eq!(engine.sessions(), (1, 0));
    // Nothing to do: no endpoint, no mixer, no tick.
    assert_eq!(engine.next_wake(), None);
    // Datagrams from an unknown address are not the engine's.
    let mut sent = 0;
    let from: SocketAddr = "127.0.0.1:9".parse().unwrap();
    assert!(!engine.receive(now, from, &[0x80, 0, 0, 0], &mut |_, _| sent += 1));
    assert_eq!(sent, 0);
    engine.detach(1);
    assert_eq!(engine.sessions(), (0, 0));
}
