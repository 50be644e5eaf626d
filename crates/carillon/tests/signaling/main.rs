//! The signaling plane driven over real WebSockets by the tests' signaling client
//! (`carillon_testkit::signaling::Client`), against a real server: the join exchange, presence,
//! mute, data messages, leave and drop, the control plane ending sessions, refusals and bad
//! input, and ICE.

#![allow(clippy::unwrap_used)] // Helpers of tests unwrap as tests do.

mod ice;
mod overload;
mod protocol;
