//! Every operation of the Chime SDK Meetings API driven through the official AWS SDK for Rust,
//! against in-memory servers shared by the tests of this binary.

#[path = "../common/mod.rs"]
mod common;

mod attendees;
mod capabilities;
mod isolation;
mod meetings;
mod pagination;
mod tags;
mod transcription;
mod validation;
