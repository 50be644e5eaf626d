//! Carillon's HTTP front end for the two rest-json APIs it serves from one process: the current
//! `chime-sdk-meetings` API and the legacy `chime` meeting API. Both run the same pipeline
//! ([`pipeline`]) over the same service; what differs is data: the botocore model that routes and
//! validates, the namespace meetings live in, and the exception names ([`error`]).
//!
//! Request path: request id → read body (bounded) → verify SigV4 → route (model-driven) → decode
//! and validate the input against the model → dispatch to [`carillon_core::MeetingService`] →
//! encode the output (projected onto the model's output shape), or render the error in the AWS
//! wire format. Only this crate knows HTTP.

pub mod credentials;
mod dispatch;
pub mod error;
mod legacy;
mod pipeline;
mod rules;

use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use carillon_core::{MeetingService, Namespace};
use carillon_model::ServiceModel;
use carillon_sigv4::{CredentialLookup, Verifier};

pub use pipeline::REQUEST_ID_HEADER;

/// The signing name of both Chime models (`signingName: chime`).
pub const SIGNING_NAME: &str = "chime";

/// Largest request body accepted. The biggest valid request (BatchCreateAttendee with 100
/// attendees and capabilities, or 50 tags) is a few tens of KiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// What both APIs share.
pub struct Shared {
    pub service: MeetingService,
    pub verifier: Verifier,
    pub credentials: Arc<dyn CredentialLookup>,
    pub body_limit: usize,
}

/// One API: its model and the namespace its meetings live in.
pub struct ApiState {
    pub shared: Arc<Shared>,
    pub namespace: Namespace,
    pub model: ServiceModel,
}

impl ApiState {
    /// The current API: the `chime-sdk-meetings` 2021-07-15 model, with the rules it states only
    /// in documentation.
    pub fn meetings(shared: Arc<Shared>) -> Self {
        let mut model = ServiceModel::from_json(carillon_model::CHIME_SDK_MEETINGS_2021_07_15)
            .expect("the vendored chime-sdk-meetings model is valid");
        rules::add_documented_rules(&mut model);
        ApiState {
            shared,
            namespace: Namespace::Meetings,
            model,
        }
    }

    /// The legacy API: the meeting operations of the `chime` 2018-05-01 model.
    pub fn legacy(shared: Arc<Shared>) -> Self {
        let model = ServiceModel::from_json_with_operations(
            carillon_model::CHIME_2018_05_01,
            carillon_model::CHIME_2018_05_01_MEETING_OPERATIONS,
        )
        .expect("the vendored chime model is valid");
        ApiState {
            shared,
            namespace: Namespace::Legacy,
            model,
        }
    }
}

/// The HTTP application of one API: `/health` plus the API on every other path.
pub fn app(state: Arc<ApiState>) -> Router {
    Router::new()
        .route("/health", get(pipeline::health))
        .fallback(pipeline::handle)
        .with_state(state)
}
