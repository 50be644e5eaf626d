//! The signaling plane driven by a protocol client of its own over real WebSockets, against a
//! real server: the join exchange, presence, mute, data messages, leave and drop, the control
//! plane ending sessions, refusals and bad input, and ICE.

mod ice;
mod overload;
mod protocol;
