//! Meeting audio. Each session that joins the audio call gets a WebRTC endpoint ([`peer`]) on
//! the signaling plane's UDP port, and each meeting a [`mixer`] that gives every listener one
//! Opus stream of everyone else.

pub mod engine;
pub mod mixer;
pub mod peer;
