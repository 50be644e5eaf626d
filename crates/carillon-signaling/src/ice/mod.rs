//! ICE-lite: the STUN Binding responder that brings a browser's `RTCPeerConnection` to ICE
//! `connected`, which the Chime SDK waits for before `start()` completes.
//!
//! Our SDP answer carries `a=ice-lite`, one host candidate (the advertised IP and the port of
//! [`IceResponder::local_addr`]) and per-session [`IceCredentials`]. The browser, the controlling
//! agent, then sends Binding requests to that candidate with USERNAME `<our ufrag>:<its ufrag>`,
//! signed with our password; the [`IceResponder`] answers them on one UDP socket shared by every
//! session, finding the session by the ufrag. Authenticated requests get a success response with
//! the request's source as XOR-MAPPED-ADDRESS (RFC 8445 §7.3, RFC 8489). Everything that is not
//! STUN (DTLS ClientHellos, for now) is counted and dropped: there is no DTLS and no media yet.
//!
//! STUN is hand-rolled on `hmac`, `sha1` and `crc32fast` ([`stun`]) because so little of it is
//! needed, and only for now: a full WebRTC endpoint will take over the port when media comes.
//! That stage keeps the socket and the per-session registry ([`IceResponder::register`],
//! [`IceRegistration::nominated`]) and replaces the rest.
//!
//! ```no_run
//! # use carillon_signaling::ice::{IceCredentials, IceResponder};
//! # async fn example(
//! #     listen: std::net::SocketAddr,
//! #     registry: &mut prometheus_client::registry::Registry,
//! #     stop: tokio::sync::watch::Receiver<bool>,
//! # ) -> std::io::Result<()> {
//! let responder = IceResponder::bind(listen, registry).await?;
//! tokio::spawn(responder.clone().run(stop));
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
pub use responder::IceResponder;
