//! The two APIs of one server: every operation of the Chime SDK Meetings API through the
//! official AWS SDK for Rust, invariants under concurrent requests and across restarts, wire
//! details with raw HTTP requests, a table of hostile requests, and the legacy `chime` meeting
//! API. Most tests share one in-memory server ([`carillon_testkit::shared_server`]); those
//! that restart or damage one start their own.

#![allow(clippy::unwrap_used)] // Helpers of tests unwrap as tests do.

mod attendees;
mod capabilities;
mod concurrency;
mod durability;
mod harness;
mod hostile;
mod isolation;
mod legacy;
mod lifecycle;
mod meetings;
mod pagination;
mod tags;
mod transcription;
mod validation;
mod wire;
