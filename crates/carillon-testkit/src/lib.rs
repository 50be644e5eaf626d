//! What Carillon's integration tests and its load generator share, compiled once as a library:
//!
//! - [`server`](mod@server): starts the real `carillon` binary on free ports (the current API, the
//!   legacy `chime` meeting API and the media port) and stops or kills it; none of the caller's
//!   `CARILLON_*` variables reach it.
//! - [`http`](mod@http): the raw HTTP/1.1 client, for requests the AWS SDK cannot send: byte-exact,
//!   unsigned, damaged, or signed and then tampered with.
//! - [`sigv4`]: the SigV4 signer, written from the specification over exact bytes (the load
//!   generator signs with it too).
//! - [`bodies`]: request bodies several tests and the load generator send.
//! - [`values`]: unique tokens and ids, and checks of id and JoinToken shapes.
//! - [`signaling`]: the WebSocket signaling client, speaking the Chime SDK's frames.
//! - [`admin`]: requests to the admin listener, and its live event stream.
//!
//! With the `events` feature: a webhook receiver and a moto server, for the tests of meeting
//! events.
//!
//! With the `sdk` feature (the tests'): SDK clients of a server, raw requests signed with the
//! official `aws-sigv4` signer (`Signing`), helpers shaped as the SDK's types, and the
//! signaling test client (`signaling::Client`).

pub mod admin;
pub mod bodies;
#[cfg(feature = "events")]
pub mod events;
pub mod http;
pub mod server;
pub mod signaling;
pub mod sigv4;
pub mod values;

#[cfg(feature = "sdk")]
mod official;
#[cfg(feature = "sdk")]
mod sdk;

pub use admin::*;
pub use bodies::*;
pub use http::*;
#[cfg(feature = "sdk")]
pub use official::*;
#[cfg(feature = "sdk")]
pub use sdk::*;
pub use server::*;
pub use sigv4::percent_encode;
pub use values::*;

/// AWS's documented example key pair; the server maps it to account 123456789012.
pub const ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
pub const ACCOUNT_ID: &str = "123456789012";

/// A second account, configured on servers started with [`Options::with_second_account`].
pub const SECOND_ACCESS_KEY_ID: &str = "AKIDSECONDACCOUNT0002";
pub const SECOND_SECRET_ACCESS_KEY: &str = "second/secret+key0002";
pub const SECOND_ACCOUNT_ID: &str = "210987654321";

pub const REGION: &str = "us-east-1";
/// The SigV4 signing name of the Chime SDK Meetings API (and of the legacy `chime` API).
pub const SIGNING_NAME: &str = "chime";
