//! The UDP socket every session's ICE checks arrive on, and the loop that answers them.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use carillon_media::engine::{Attach, Engine, MeetingLevels};
use carillon_media::mixer::Role;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};

use super::credentials::IceCredentials;
use super::metrics::IceMetrics;
use super::registry::{IceRegistration, Sessions};
use super::stun::{self, Class, ErrorCode, BINDING};

/// The socket's receive buffer, in bytes: what arrives while the loop runs a mixer tick waits
/// there (at 250 participants, 12,500 datagrams a second; a tick can take 16 ms). With the
/// system's default (about 200 KB) the kernel dropped packets and ICE checks at that load; the
/// kernel caps the request at `net.core.rmem_max`.
const SOCKET_RECEIVE_BUFFER: usize = 4 << 20;

/// Receive buffer size. Browsers' Binding requests are a few hundred bytes at most; a longer
/// datagram is cut to this and so fails STUN's length check, which is what it deserves.
const RECV_BUFFER: usize = 2048;

/// An ICE-lite agent's STUN side for all sessions: one UDP socket, the registered sessions, and
/// the counters.
pub struct IceResponder {
    /// Until the receive loop takes it, into the runtime it runs on.
    socket: Mutex<Option<std::net::UdpSocket>>,
    local_addr: SocketAddr,
    sessions: Arc<Sessions>,
    metrics: IceMetrics,
    /// How sessions reach the audio engine, once the loop runs one.
    audio: OnceLock<mpsc::UnboundedSender<AudioCommand>>,
}

/// What sessions tell the audio engine. Sent without waiting: the engine's loop applies them
/// between datagrams.
#[derive(Debug)]
pub enum AudioCommand {
    Attach(Box<Attach>),
    Detach(u64),
    Muted(u64, bool),
    Role(u64, Role),
}

/// The audio engine the receive loop drives, and where it reports each meeting's levels.
pub struct AudioRun {
    pub engine: Engine,
    pub report: Box<dyn FnMut(MeetingLevels) + Send>,
}

/// What to do with a datagram once it has been looked at.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// Send the response written into the output buffer back to the source.
    Reply,
    /// An authenticated check of this audio session: its endpoint answers it.
    Media(u64),
    Drop,
}

impl IceResponder {
    /// Binds the socket and registers the counters in `metrics`.
    pub async fn bind(
        listen: SocketAddr,
        metrics: &mut prometheus_client::registry::Registry,
    ) -> io::Result<Arc<Self>> {
        Self::from_std(std::net::UdpSocket::bind(listen)?, metrics)
    }

    /// As [`IceResponder::bind`], with a socket bound already (so that the counters can be
    /// registered where no `await` is possible).
    pub fn from_std(
        socket: std::net::UdpSocket,
        metrics: &mut prometheus_client::registry::Registry,
    ) -> io::Result<Arc<Self>> {
        socket.set_nonblocking(true)?;
        let buffer = socket2::SockRef::from(&socket);
        if let Err(e) = buffer.set_recv_buffer_size(SOCKET_RECEIVE_BUFFER) {
            tracing::warn!(error = %e, "the media socket keeps its default receive buffer");
        }
        if let Ok(size) = buffer.recv_buffer_size() {
            // Linux reports twice what it grants, the other half for its bookkeeping.
            if size < SOCKET_RECEIVE_BUFFER {
                tracing::info!(
                    bytes = size,
                    "the media socket's receive buffer is smaller than asked: raise net.core.rmem_max"
                );
            }
        }
        let local_addr = socket.local_addr()?;
        Ok(Arc::new(Self {
            socket: Mutex::new(Some(socket)),
            local_addr,
            sessions: Arc::default(),
            metrics: IceMetrics::register(metrics),
            audio: OnceLock::new(),
        }))
    }

    /// The bound address (with the port the system chose if `listen` had port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Answers Binding requests for `creds` until the returned guard is dropped. Registering a
    /// ufrag that is already registered moves it to the new registration.
    pub fn register(&self, creds: &IceCredentials) -> IceRegistration {
        self.sessions.register(creds, None)
    }

    /// As [`IceResponder::register`], for a session whose audio the engine carries: its checks
    /// go to its endpoint, built at the first one. The registration's end detaches it. Without
    /// an audio engine (none was given to [`IceResponder::run`]) the session gets ICE only.
    pub fn register_audio(&self, creds: &IceCredentials, attach: Attach) -> IceRegistration {
        let Some(audio) = self.audio.get() else {
            return self.register(creds);
        };
        let session = attach.session;
        if audio.send(AudioCommand::Attach(Box::new(attach))).is_err() {
            return self.register(creds);
        }
        let mut registration = self.sessions.register(creds, Some(session));
        registration.detach = Some(audio.clone());
        registration
    }

    /// Tells the audio engine something about a session; nothing when there is no engine.
    pub fn audio(&self, command: AudioCommand) {
        if let Some(audio) = self.audio.get() {
            let _ = audio.send(command);
        }
    }

    /// Whether the loop runs an audio engine.
    pub fn has_audio(&self) -> bool {
        self.audio.get().is_some()
    }

    /// How many ufrags are registered.
    pub fn registrations(&self) -> usize {
        self.sessions.len()
    }

    /// The receive loop: answers datagrams until `stop` turns true (or its sender is dropped),
    /// and with `audio`, drives the audio engine: its endpoints' datagrams and timers, and the
    /// mixers' tick. Datagrams are sent without waiting: if the socket's send buffer is full
    /// one is dropped, which STUN retransmits and audio conceals.
    pub async fn run(self: Arc<Self>, mut stop: watch::Receiver<bool>, audio: Option<AudioRun>) {
        let taken = self
            .socket
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let socket = match taken.map(UdpSocket::from_std) {
            Some(Ok(socket)) => socket,
            Some(Err(e)) => {
                tracing::error!(error = %e, "the media port cannot be used: no ICE, no audio");
                return;
            }
            None => {
                tracing::error!("the media port's receive loop runs already");
                return;
            }
        };
        let port = Port {
            socket: &socket,
            local_addr: self.local_addr,
        };
        let mut audio = audio.map(|AudioRun { engine, report }| {
            let (sender, commands) = mpsc::unbounded_channel();
            // Set once, by the one loop: a second `run` would find it set and carry no audio.
            let _ = self.audio.set(sender);
            Audio {
                engine,
                report,
                commands,
            }
        });
        let mut packet = vec![0; RECV_BUFFER];
        let mut reply = Vec::with_capacity(128);
        loop {
            let wake = audio.as_ref().and_then(|a| a.engine.next_wake());
            let received = tokio::select! {
                received = socket.recv_from(&mut packet) => received,
                Some(command) = next_command(&mut audio) => {
                    if let Some(audio) = audio.as_mut() {
                        audio.apply(command, &self.metrics);
                    }
                    continue;
                }
                () = sleep_until(wake) => {
                    if let Some(audio) = audio.as_mut() {
                        audio.run_due(&port, &self.metrics);
                    }
                    continue;
                }
                _ = stop.wait_for(|stop| *stop) => break,
            };
            let (len, from) = match received {
                Ok(received) => received,
                Err(e) => {
                    // Nothing on a UDP socket should fail for long; pause rather than spin.
                    tracing::debug!(error = %e, "ICE socket receive failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            let datagram = packet.get(..len).unwrap_or_default();
            let now = Instant::now();
            // The engine's endpoints see the peer as it is, not as a dual-stack socket maps it.
            let peer = SocketAddr::new(from.ip().to_canonical(), from.port());
            let mut send = |to: SocketAddr, bytes: &[u8]| port.send(to, bytes);
            match self.answer(datagram, from, &mut reply) {
                Verdict::Reply => port.send(from, &reply),
                Verdict::Media(session) => {
                    if let Some(audio) = audio.as_mut() {
                        audio
                            .engine
                            .checked(session, now, peer, datagram, &mut send);
                    }
                }
                Verdict::Drop if is_stun(datagram) => {}
                Verdict::Drop => {
                    let carried = audio
                        .as_mut()
                        .is_some_and(|a| a.engine.receive(now, peer, datagram, &mut send));
                    if !carried {
                        self.metrics.non_stun.inc();
                    }
                }
            }
        }
    }

    /// Runs the receive loop ([`IceResponder::run`]) on a thread of its own, with a runtime of
    /// its own: the mixers' 20 ms tick then never waits behind the API's requests, and their
    /// encoding never holds up a worker that serves them.
    pub fn spawn(
        self: Arc<Self>,
        stop: watch::Receiver<bool>,
        audio: Option<AudioRun>,
    ) -> io::Result<std::thread::JoinHandle<()>> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("carillon-media".into())
            .spawn(move || runtime.block_on(self.run(stop, audio)))
    }

    /// Decides what a datagram from `from` gets, writing any response into `out`.
    fn answer(&self, datagram: &[u8], from: SocketAddr, out: &mut Vec<u8>) -> Verdict {
        if !is_stun(datagram) {
            return Verdict::Drop;
        }
        let message = match stun::parse(datagram) {
            Ok(message) => message,
            Err(e) => {
                tracing::trace!(error = %e, peer = %from, "unreadable STUN");
                self.metrics.malformed.inc();
                return Verdict::Drop;
            }
        };
        // Indications (keepalives), responses (we send no requests) and other methods: nothing
        // to answer.
        if (message.method, message.class) != (BINDING, Class::Request) {
            return Verdict::Drop;
        }
        // USERNAME is "<our ufrag>:<their ufrag>" (RFC 8445 §7.2.2). Without one the request
        // is not an ICE check, and answering unauthenticated requests would turn the port into
        // a reflector for anyone spoofing a source address.
        let Some(ours) = message.username.and_then(|username| {
            let colon = username.iter().position(|&b| b == b':')?;
            username.get(..colon)
        }) else {
            self.metrics.malformed.inc();
            return Verdict::Drop;
        };
        // An unknown ufrag is dropped rather than refused with 401: the session may just have
        // ended, and silence tells a scanner nothing.
        let Some(session) = self.sessions.get(ours) else {
            self.metrics.unknown_ufrag.inc();
            return Verdict::Drop;
        };
        let id = &message.transaction_id;
        if message.integrity_offset().is_none() {
            self.metrics.malformed.inc();
            stun::binding_error(out, id, ErrorCode::BadRequest, None);
            return Verdict::Reply;
        }
        if !message.verify_integrity(session.pwd()) {
            self.metrics.unauthorized.inc();
            stun::binding_error(out, id, ErrorCode::Unauthorized, None);
            return Verdict::Reply;
        }
        // A lite agent is always controlled (RFC 8445 §6.1.1); a peer that says it is
        // controlled too must switch, which a 487 tells it to do (§7.3.1.1, as if our
        // tie-breaker were the larger).
        if message.ice_controlled.is_some() {
            self.metrics.role_conflict.inc();
            stun::binding_error(out, id, ErrorCode::RoleConflict, Some(session.pwd()));
            return Verdict::Reply;
        }
        session.checked(from, message.use_candidate);
        self.metrics.answered.inc();
        if let Some(media) = session.media() {
            return Verdict::Media(media);
        }
        stun::binding_success(out, id, from, session.pwd());
        Verdict::Reply
    }
}

/// The socket as the loop sends on it.
struct Port<'a> {
    socket: &'a UdpSocket,
    local_addr: SocketAddr,
}

impl Port<'_> {
    /// Sends a datagram without waiting, to `to` as the socket addresses it (an IPv4 peer on a
    /// dual-stack socket is IPv4-mapped).
    fn send(&self, to: SocketAddr, bytes: &[u8]) {
        let to = match (to, self.local_addr) {
            (SocketAddr::V4(v4), SocketAddr::V6(_)) => {
                SocketAddr::new(v4.ip().to_ipv6_mapped().into(), v4.port())
            }
            _ => to,
        };
        if let Err(e) = self.socket.try_send_to(bytes, to) {
            tracing::debug!(error = %e, peer = %to, "datagram not sent");
        }
    }
}

/// RFC 7983: STUN starts with 0..=3; DTLS, RTP, RTCP and TURN channels start elsewhere.
fn is_stun(datagram: &[u8]) -> bool {
    matches!(datagram.first(), Some(0..=3))
}

/// The audio engine as the loop drives it.
struct Audio {
    engine: Engine,
    report: Box<dyn FnMut(MeetingLevels) + Send>,
    commands: mpsc::UnboundedReceiver<AudioCommand>,
}

impl Audio {
    fn apply(&mut self, command: AudioCommand, metrics: &IceMetrics) {
        match command {
            AudioCommand::Attach(attach) => self.engine.attach(*attach),
            AudioCommand::Detach(session) => self.engine.detach(session),
            AudioCommand::Muted(session, muted) => self.engine.set_muted(session, muted),
            AudioCommand::Role(session, role) => self.engine.set_role(session, role),
        }
        metrics.audio.update(&self.engine);
    }

    fn run_due(&mut self, port: &Port<'_>, metrics: &IceMetrics) {
        let mut reported = false;
        let report = &mut self.report;
        let mut report = |levels| {
            reported = true;
            report(levels)
        };
        let mut send = |to: SocketAddr, bytes: &[u8]| port.send(to, bytes);
        self.engine.run_due(Instant::now(), &mut send, &mut report);
        // With the levels, a few times a second: the engine's counts.
        if reported {
            metrics.audio.update(&self.engine);
        }
    }
}

/// The next command, or never when there is no engine to command.
async fn next_command(audio: &mut Option<Audio>) -> Option<AudioCommand> {
    match audio {
        Some(audio) => audio.commands.recv().await,
        None => std::future::pending().await,
    }
}

/// Sleeps until `wake`, or forever when nothing is due.
async fn sleep_until(wake: Option<Instant>) {
    match wake {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

impl std::fmt::Debug for IceResponder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IceResponder")
            .field("local_addr", &self.local_addr)
            .field("registrations", &self.registrations())
            .finish()
    }
}
