//! The UDP socket every session's ICE checks arrive on, and the loop that answers them.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::watch;

use super::credentials::IceCredentials;
use super::metrics::IceMetrics;
use super::registry::{IceRegistration, Sessions};
use super::stun::{self, Class, ErrorCode, BINDING};

/// Receive buffer size. Browsers' Binding requests are a few hundred bytes at most; a longer
/// datagram is cut to this and so fails STUN's length check, which is what it deserves.
const RECV_BUFFER: usize = 2048;

/// An ICE-lite agent's STUN side for all sessions: one UDP socket, the registered sessions, and
/// the counters.
pub struct IceResponder {
    socket: UdpSocket,
    local_addr: SocketAddr,
    sessions: Arc<Sessions>,
    metrics: IceMetrics,
}

/// What to do with a datagram once it has been looked at.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// Send the response written into the output buffer back to the source.
    Reply,
    Drop,
}

impl IceResponder {
    /// Binds the socket and registers the counters in `metrics`.
    pub async fn bind(
        listen: SocketAddr,
        metrics: &mut prometheus_client::registry::Registry,
    ) -> io::Result<Arc<Self>> {
        let socket = UdpSocket::bind(listen).await?;
        Self::from_tokio(socket, metrics)
    }

    /// As [`IceResponder::bind`], with a socket bound already (so that the counters can be
    /// registered where no `await` is possible). Must be called within a Tokio runtime.
    pub fn from_std(
        socket: std::net::UdpSocket,
        metrics: &mut prometheus_client::registry::Registry,
    ) -> io::Result<Arc<Self>> {
        socket.set_nonblocking(true)?;
        Self::from_tokio(UdpSocket::from_std(socket)?, metrics)
    }

    fn from_tokio(
        socket: UdpSocket,
        metrics: &mut prometheus_client::registry::Registry,
    ) -> io::Result<Arc<Self>> {
        let local_addr = socket.local_addr()?;
        Ok(Arc::new(Self {
            socket,
            local_addr,
            sessions: Arc::default(),
            metrics: IceMetrics::register(metrics),
        }))
    }

    /// The bound address (with the port the system chose if `listen` had port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Answers Binding requests for `creds` until the returned guard is dropped. Registering a
    /// ufrag that is already registered moves it to the new registration.
    pub fn register(&self, creds: &IceCredentials) -> IceRegistration {
        self.sessions.register(creds)
    }

    /// How many ufrags are registered.
    pub fn registrations(&self) -> usize {
        self.sessions.len()
    }

    /// The receive loop: answers datagrams until `stop` turns true (or its sender is dropped).
    /// Responses are sent without waiting: if the socket's send buffer is full the response is
    /// dropped, and the peer's retransmission gets another chance.
    pub async fn run(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let mut packet = vec![0; RECV_BUFFER];
        let mut reply = Vec::with_capacity(128);
        loop {
            let received = tokio::select! {
                received = self.socket.recv_from(&mut packet) => received,
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
            if self.answer(datagram, from, &mut reply) == Verdict::Reply {
                if let Err(e) = self.socket.try_send_to(&reply, from) {
                    tracing::debug!(error = %e, peer = %from, "STUN response not sent");
                }
            }
        }
    }

    /// Decides what a datagram from `from` gets, writing any response into `out`.
    fn answer(&self, datagram: &[u8], from: SocketAddr, out: &mut Vec<u8>) -> Verdict {
        // RFC 7983: STUN starts with 0..=3; DTLS, RTP, TURN channels start elsewhere.
        if !matches!(datagram.first(), Some(0..=3)) {
            self.metrics.non_stun.inc();
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
        stun::binding_success(out, id, from, session.pwd());
        Verdict::Reply
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
