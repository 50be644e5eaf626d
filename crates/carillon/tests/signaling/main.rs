//! The signaling plane driven over real WebSockets by the tests' signaling client
//! (`carillon_testkit::signaling::Client`), against a real server: the join exchange, presence,
//! mute, data messages, leave and drop, the control plane ending sessions, refusals and bad
//! input, ICE, and the meeting lifecycle fed by the sessions' presence.

#![allow(clippy::unwrap_used)] // Helpers of tests unwrap as tests do.

mod events;
mod ice;
mod lifecycle;
mod overload;
mod protocol;
