//! `carillon-bench`: the load generator of Carillon.
//!
//! It speaks the real Chime SDK Meetings API (AWS rest-json, SigV4-signed for the signing name
//! `chime`) over HTTP/1.1 keep-alive, one tokio task and one hyper connection per connection,
//! spread round-robin over one or more endpoints, closed loop or at a fixed aggregate rate; and
//! the signaling plane's WebSocket protocol, as the Chime SDK for JavaScript joins; and meeting
//! audio over WebRTC, as browsers in a meeting send and hear it. See the crate
//! README for usage and for what is measured.
//!
//! The crate is a library with a thin binary (`src/main.rs`) so that tests drive [`run()`] and
//! the [reference](mod@reference) server in-process.
//!
//! - The SigV4 signer and the signaling client are `carillon-testkit`'s, shared with the tests.
//! - [`workload`]: routes and bodies of each operation, the workloads and the `mixed` mix.
//! - [`driver`]: per-connection state (next operation, meeting rotation under the 250 cap).
//! - [`client`]: connections and the request loop (closed and open loop, latency origin).
//! - [`report`]: per-connection results, HDR percentiles, the table and the JSON document.
//! - [`run`](mod@run): a whole run (setup pool, connections, progress line, merge).
//! - [`signaling`]: the signaling workloads (`carillon-bench signaling`): WebSocket sessions as the
//!   Chime SDK opens them, for memory per session, presence and data-message fan-out, join latency.
//! - [`audio`]: the meeting-audio workload (`carillon-bench audio`): meetings of simulated
//!   browsers, each a WebRTC client sending Opus to the server's mixer; the latency the server
//!   adds, late ticks, CPU and memory per participant.
//! - [`sink`]: the webhook sink (`carillon-bench webhook-sink`): receives meeting events and
//!   records their delivery latency and arrival rate; [`watch`]: the server's delivery counter
//!   (`carillon-bench deliveries`), for targets the generator cannot receive (SQS, SNS).
//! - [`system`]: the open-file limit, and the server's RSS and CPU time from `/proc`.
//! - [`reference`](mod@reference): the reference server, for ratios to the machine's HTTP ceiling
//!   (bare hyper) and to the work no implementation of the API can avoid (SigV4, parsing,
//!   durable writes). It answers fixed ids; the generator uses whatever ids it is given and never
//!   requires them to be distinct, so every workload runs against it unchanged.

pub mod audio;
pub mod client;
pub mod driver;
pub mod reference;
pub mod report;
pub mod run;
pub mod signaling;
pub mod sink;
pub mod system;
pub mod watch;
pub mod workload;

pub use carillon_testkit::sigv4::Credentials;
pub use report::Report;
pub use run::{run, BenchError, RunConfig};
pub use workload::Workload;
