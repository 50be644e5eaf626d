//! A simulated participant's WebRTC endpoint: a str0m `Rtc` set up as a browser's peer
//! connection is, through str0m's SDP API (offer one `sendrecv` audio section with Opus, accept
//! the server's answer), on a UDP socket of its own.
//!
//! The server is ICE-lite and answers `a=setup:passive` with one host candidate, so the client
//! is the controlling ICE agent (str0m makes the offerer controlling) and the DTLS client
//! (str0m inverts the answer's `passive`). The socket is connected to that candidate: the
//! kernel then picks the local address (the client's host candidate) and drops anything from
//! elsewhere.

use std::io::{self, IoSliceMut};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nix::sys::socket::{recvmsg, setsockopt, sockopt, ControlMessageOwned, MsgFlags};
use nix::sys::time::TimeSpec;

use str0m::change::{SdpAnswer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaData, MediaKind, MediaTime, Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc, RtcConfig};
use tokio::io::Interest;
use tokio::net::UdpSocket;

/// Samples of one 20 ms frame on the RTP clock of Opus (48 kHz).
const FRAME_SAMPLES: u64 = 960;

/// An endpoint that has made its offer and waits for the answer.
pub struct Offering {
    rtc: Rtc,
    mid: Mid,
    pending: SdpPendingOffer,
    /// The offer, for SUBSCRIBE.
    pub sdp: String,
}

impl Offering {
    pub fn new(now: Instant) -> Result<Offering, String> {
        let mut rtc = RtcConfig::new()
            .set_crypto_provider(Arc::new(str0m::crypto::from_feature_flags()))
            .clear_codecs()
            .enable_opus(true, false)
            // Hand every packet over as it arrives: its arrival is what is timed.
            .set_reordering_size_audio(0)
            .build(now);
        let mut api = rtc.sdp_api();
        let mid = api.add_media(MediaKind::Audio, Direction::SendRecv, None, None, None);
        let (offer, pending) = api.apply().ok_or("str0m made no offer")?;
        Ok(Offering {
            rtc,
            mid,
            pending,
            sdp: offer.to_sdp_string(),
        })
    }

    /// Takes the server's answer, opens the socket towards its candidate and starts ICE.
    /// Must run within a tokio runtime (the socket registers with its reactor).
    pub fn accept(mut self, answer: &str) -> Result<Peer, String> {
        let server = host_candidate(answer).ok_or("the answer has no host candidate")?;
        let parsed =
            SdpAnswer::from_sdp_string(answer).map_err(|e| format!("unreadable answer: {e}"))?;
        self.rtc
            .sdp_api()
            .accept_answer(self.pending, parsed)
            .map_err(|e| format!("answer refused: {e}"))?;
        let any: IpAddr = match server.ip() {
            IpAddr::V4(_) => Ipv4Addr::UNSPECIFIED.into(),
            IpAddr::V6(_) => Ipv6Addr::UNSPECIFIED.into(),
        };
        // Binding and connecting a UDP socket do not block.
        let socket = std::net::UdpSocket::bind((any, 0)).map_err(|e| format!("UDP bind: {e}"))?;
        socket
            .connect(server)
            .map_err(|e| format!("UDP connect {server}: {e}"))?;
        socket.set_nonblocking(true).map_err(|e| e.to_string())?;
        setsockopt(&socket, sockopt::ReceiveTimestampns, &true)
            .map_err(|e| format!("SO_TIMESTAMPNS: {e}"))?;
        let local = socket.local_addr().map_err(|e| e.to_string())?;
        let sender = socket.try_clone().map_err(|e| e.to_string())?;
        let socket = UdpSocket::from_std(socket).map_err(|e| e.to_string())?;
        let host = Candidate::host(local, "udp").map_err(|e| format!("candidate {local}: {e}"))?;
        self.rtc
            .add_local_candidate(host)
            .ok_or_else(|| format!("str0m refused the candidate {local}"))?;
        let pt = self
            .rtc
            .writer(self.mid)
            .and_then(|w| {
                w.payload_params()
                    .find(|p| p.spec().codec == Codec::Opus)
                    .map(|p| p.pt())
            })
            .ok_or("the answer did not keep Opus")?;
        Ok(Peer {
            rtc: self.rtc,
            mid: self.mid,
            pt,
            socket,
            sender,
            local,
            server,
            frames_sent: 0,
            connected: false,
            send_failures: 0,
        })
    }
}

/// The address of the answer's first `a=candidate` of type host (the server's one).
fn host_candidate(sdp: &str) -> Option<SocketAddr> {
    sdp.lines().find_map(|line| {
        // a=candidate:<foundation> <component> <transport> <priority> <ip> <port> typ host
        let fields: Vec<&str> = line.strip_prefix("a=candidate:")?.split(' ').collect();
        if fields.get(6..8)? != ["typ", "host"] {
            return None;
        }
        let ip: IpAddr = fields.get(4)?.parse().ok()?;
        Some(SocketAddr::new(ip, fields.get(5)?.parse().ok()?))
    })
}

/// One datagram into `buf`, with the instant the kernel queued it (`SO_TIMESTAMPNS`, on the
/// wall clock, carried over to the monotonic one by its age now); now when the kernel gave none.
/// (Linux turns stamping on shortly after the first socket asks for it; datagrams of the first
/// moments may be stamped when read, long before the measured window.)
fn receive_stamped(socket: &UdpSocket, buf: &mut [u8]) -> io::Result<(usize, Instant)> {
    let mut control = nix::cmsg_space!(TimeSpec);
    let mut iov = [IoSliceMut::new(buf)];
    let message = recvmsg::<()>(
        socket.as_raw_fd(),
        &mut iov,
        Some(control.as_mut_slice()),
        MsgFlags::empty(),
    )?;
    let (now, wall) = (Instant::now(), SystemTime::now());
    let stamp = message.cmsgs().ok().and_then(|mut messages| {
        messages.find_map(|m| match m {
            ControlMessageOwned::ScmTimestampns(ts) => Some(Duration::from(ts)),
            _ => None,
        })
    });
    let age = stamp
        .and_then(|at| wall.duration_since(UNIX_EPOCH + at).ok())
        .unwrap_or_default();
    Ok((message.bytes, now.checked_sub(age).unwrap_or(now)))
}

/// A connected (or connecting) endpoint.
pub struct Peer {
    rtc: Rtc,
    mid: Mid,
    pt: Pt,
    /// Where datagrams are received.
    pub socket: UdpSocket,
    /// The same socket, for sending without waiting: tokio's `try_send` refuses until the
    /// reactor has once seen the socket writable, which would drop a new endpoint's first ICE
    /// checks; a non-blocking send on the descriptor fails only when the buffer is full.
    sender: std::net::UdpSocket,
    local: SocketAddr,
    server: SocketAddr,
    frames_sent: u64,
    connected: bool,
    /// Datagrams the socket would not take (a full send buffer).
    pub send_failures: u64,
}

impl Peer {
    /// Feeds the endpoint every datagram waiting on the socket (call it once
    /// `socket.readable()` is ready), each received at the instant the kernel queued it: on a
    /// busy machine the generator's task may run well after that, and the latency measured must
    /// not include its wait. Answers how many it fed.
    pub fn receive_waiting(&mut self, buf: &mut [u8]) -> Result<usize, String> {
        let mut fed = 0;
        loop {
            let received = self
                .socket
                .try_io(Interest::READABLE, || receive_stamped(&self.socket, buf));
            match received {
                Ok((len, arrived)) => {
                    self.receive(arrived, &buf[..len])?;
                    fed += 1;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(fed),
                Err(e) => return Err(format!("UDP receive: {e}")),
            }
        }
    }

    fn receive(&mut self, arrived: Instant, datagram: &[u8]) -> Result<(), String> {
        let receive = Receive::new(Protocol::Udp, self.server, self.local, datagram)
            .map_err(|e| format!("unreadable datagram: {e}"))?;
        self.rtc
            .handle_input(Input::Receive(arrived, receive))
            .map_err(|e| format!("WebRTC input: {e}"))
    }

    /// Moves the endpoint's clock to `now`.
    pub fn timeout(&mut self, now: Instant) -> Result<(), String> {
        self.rtc
            .handle_input(Input::Timeout(now))
            .map_err(|e| format!("WebRTC timeout: {e}"))
    }

    /// Queues the next 20 ms Opus packet; [`Peer::drain`] sends it.
    pub fn write(&mut self, now: Instant, payload: Arc<[u8]>) -> Result<(), String> {
        let time = MediaTime::new(self.frames_sent * FRAME_SAMPLES, Frequency::FORTY_EIGHT_KHZ);
        self.frames_sent += 1;
        let writer = self.rtc.writer(self.mid).ok_or("no audio writer")?;
        writer
            .write(self.pt, now, time, payload)
            .map_err(|e| format!("audio write: {e}"))
    }

    /// Sends what the endpoint has to send and hands each audio packet received to `heard`;
    /// answers when the endpoint next needs the time. An error means the connection is gone.
    pub fn drain(&mut self, mut heard: impl FnMut(&MediaData)) -> Result<Instant, String> {
        loop {
            match self.rtc.poll_output().map_err(|e| format!("WebRTC: {e}"))? {
                Output::Timeout(at) => return Ok(at),
                Output::Transmit(t) => {
                    if self.sender.send(&t.contents).is_err() {
                        self.send_failures += 1;
                    }
                }
                Output::Event(Event::Connected) => self.connected = true,
                Output::Event(Event::MediaData(data)) if data.mid == self.mid => heard(&data),
                Output::Event(Event::IceConnectionStateChange(
                    IceConnectionState::Disconnected,
                )) => {
                    return Err("ICE disconnected".into());
                }
                Output::Event(_) => {}
            }
        }
    }

    /// ICE and DTLS are up.
    pub fn is_connected(&self) -> bool {
        self.connected
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use carillon_signaling::sdp::{answer, AnswerParams, Direction as ServerDirection};

    /// What the server's SDP code answers to `offer`.
    fn server_answer(offer: &str) -> carillon_signaling::sdp::Answer {
        let params = AnswerParams {
            ice_ufrag: "srvu",
            ice_pwd: "0123456789abcdef012345",
            candidate: "127.0.0.1:3478".parse().unwrap(),
            fingerprint: "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:\
                          AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99",
            audio_direction: ServerDirection::SendRecv,
            audio_ssrc: 7,
            stream_label: "carillon",
            track_label: "carillon-audio",
            session_id: 1,
            version: 1,
        };
        answer(offer, &params).unwrap()
    }

    #[test]
    fn the_server_answers_the_offer_with_a_plan_for_its_audio() {
        let offering = Offering::new(Instant::now()).unwrap();
        let plan = server_answer(&offering.sdp)
            .audio
            .expect("the offer carries ICE and DTLS");
        assert!(plan.remote_fingerprint.starts_with("sha-256 "));
        assert!(plan.remote_ssrc.is_some(), "the offer declares its SSRC");
        assert_eq!(plan.opus_pt, 111);
    }

    #[tokio::test]
    async fn str0m_accepts_the_servers_answer_and_finds_its_candidate() {
        let offering = Offering::new(Instant::now()).unwrap();
        let answer = server_answer(&offering.sdp).sdp;
        assert_eq!(
            host_candidate(&answer),
            Some("127.0.0.1:3478".parse().unwrap())
        );
        let endpoint = offering.accept(&answer).unwrap();
        assert_eq!(endpoint.pt, Pt::from(111));
        assert!(endpoint.local.ip().is_loopback());
        assert!(!endpoint.is_connected());
    }

    #[tokio::test]
    async fn a_datagram_is_timed_when_it_arrived_not_when_it_was_read() {
        let receiver = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        setsockopt(&receiver, sockopt::ReceiveTimestampns, &true).unwrap();
        receiver.set_nonblocking(true).unwrap();
        let to = receiver.local_addr().unwrap();
        let receiver = UdpSocket::from_std(receiver).unwrap();
        let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        // Linux switches receive stamping on for the whole system a little after the first
        // socket asks (deferred work); until then a datagram is stamped when it is read. The
        // runs measure seconds after their sockets are made; here, let it switch first.
        sender.send_to(b"w", to).unwrap();
        receiver.readable().await.unwrap();
        receive_stamped(&receiver, &mut [0; 16]).unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        sender.send_to(b"x", to).unwrap();
        // On loopback the datagram is queued before the send returns.
        let sent = Instant::now();
        std::thread::sleep(Duration::from_millis(50));
        receiver.readable().await.unwrap();
        let (len, arrived) = receive_stamped(&receiver, &mut [0; 16]).unwrap();
        assert_eq!(len, 1);
        assert!(arrived <= sent + Duration::from_millis(2));
        assert!(arrived.elapsed() >= Duration::from_millis(48));
    }

    #[test]
    fn only_host_candidates_are_taken() {
        let sdp = "a=candidate:2 1 udp 1 10.0.0.1 9 typ srflx\r\n\
                   a=candidate:1 1 udp 2130706431 192.0.2.7 40000 typ host generation 0\r\n";
        assert_eq!(
            host_candidate(sdp),
            Some("192.0.2.7:40000".parse().unwrap())
        );
        assert_eq!(
            host_candidate("a=candidate:1 1 udp 1 x 9 typ host\r\n"),
            None
        );
    }
}
