//! ICE-lite: the STUN Binding responder that brings a browser's `RTCPeerConnection` to ICE
//! `connected`, which the Chime SDK waits for before `start()` completes.
//!
//! Our SDP answer carries `a=ice-lite`, one host candidate (the advertised IP and the port of
//! [`IceResponder::local_addr`]) and per-session [`IceCredentials`]. The browser, the controlling
//! agent, then sends Binding requests to that candidate with USERNAME `<our ufrag>:<its ufrag>`,
//! signed with our password; the [`IceResponder`] checks them on one UDP socket shared by every
//! session, finding the session by the ufrag (RFC 8445 §7.3, RFC 8489).
//!
//! A session with audio (its offer carried a DTLS fingerprint, and the node runs an audio
//! engine) is registered with [`IceResponder::register_audio`]: once a check has passed here,
//! it goes to the session's WebRTC endpoint in `carillon_media`, built at the first one, which
//! answers it, and the DTLS, SRTP and RTCP that follow from that address go there too. The
//! others (signaling-only clients, and every session when audio is off) get the success
//! response written here, with the request's source as XOR-MAPPED-ADDRESS, and their other
//! datagrams are counted and dropped.
//!
//! The check is hand-rolled on `hmac`, `sha1` and `crc32fast` ([`stun`]), and stays in front of
//! the endpoints, because it costs nothing per session: an endpoint (tens of kilobytes of
//! DTLS and RTP state) exists only for a client that proved it holds the session's password.

//! ```no_run
//! # use carillon_signaling::ice::{IceCredentials, IceResponder};
//! # async fn example(
//! #     listen: std::net::SocketAddr,
//! #     registry: &mut prometheus_client::registry::Registry,
//! #     stop: tokio::sync::watch::Receiver<bool>,
//! # ) -> std::io::Result<()> {
//! let responder = IceResponder::bind(listen, registry).await?;
//! tokio::spawn(responder.clone().run(stop, None));
//! // Per session: the credentials go into the SDP answer; the registration lives as long as
//! // the session.
//! let creds = IceCredentials::generate();
//! let registration = responder.register(&creds);
//! let peer = registration.wait_nominated().await;
//! # Ok(())
//! # }
//! ```

mod credentials;
mod metrics;
mod registry;
mod responder;
pub mod stun;
#[cfg(test)]
mod tests;

pub use credentials::{IceCredentials, PWD_LEN, UFRAG_LEN};
pub use registry::IceRegistration;
pub use responder::{AudioCommand, AudioRun, IceResponder};
