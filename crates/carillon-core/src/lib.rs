//! Carillon's core: meetings and attendees as the Amazon Chime SDK defines them, the rules that
//! govern them, and the [`Store`] trait that persists them.
//!
//! Nothing here knows HTTP, SigV4 or SQL. The protocol front end (`carillon-api`) decodes and
//! validates the wire shapes, then calls [`MeetingService`]; storage backends implement [`Store`].
//! The signaling plane uses the same store to admit attendees by JoinToken ([`Store::join_lookup`])
//! and learns from it what ended ([`live`]).

pub mod capabilities;
pub mod clock;
pub mod cluster;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod domain;
pub mod error;
pub mod events;
pub mod ids;
pub mod lifecycle;
pub mod live;
pub mod media_placement;
pub mod operations;
pub mod rate;
pub mod service;
pub mod store;
pub mod transcription;

pub use cluster::{NodeInfo, NodeRegistry};
pub use domain::*;
pub use error::{Fault, ServiceError};
pub use events::{Envelope, EventKind, EventType, MeetingEvent, SessionChange};
pub use lifecycle::{
    EndReason, EndedMeeting, Lifecycle, LifecyclePolicy, PresenceMark, MAX_EXPIRED_PER_CALL,
};
pub use live::{ChangeBus, LiveChange};
pub use media_placement::PublicEndpoint;
pub use rate::{SharedBucket, SharedRateBuckets};
pub use service::{MeetingService, RequestContext, ServiceConfig, MAX_TAGS_PER_RESOURCE};
pub use store::*;
