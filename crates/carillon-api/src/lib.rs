//! Carillon's HTTP front end for the `chime-sdk-meetings` rest-json protocol.
//!
//! Every request goes through one pipeline ([`pipeline`]): request id → read body (bounded) →
//! verify SigV4 → route (model-driven) → decode and validate the input against the model →
//! dispatch to [`carillon_core::MeetingService`] → encode the output, or render the error in the
//! AWS wire format ([`error`]). Only this crate knows HTTP.

pub mod credentials;
mod dispatch;
pub mod error;
mod pipeline;
mod rules;

use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use carillon_core::MeetingService;
use carillon_model::ServiceModel;
use carillon_sigv4::{CredentialLookup, Verifier};

pub use pipeline::REQUEST_ID_HEADER;

/// The signing name of both Chime models (`signingName: chime`).
pub const SIGNING_NAME: &str = "chime";

/// Largest request body accepted. The biggest valid request (BatchCreateAttendee with 100
/// attendees and capabilities, or 50 tags) is a few tens of KiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// What the pipeline needs, shared by every request.
pub struct ApiState {
    pub service: MeetingService,
    pub model: ServiceModel,
    pub verifier: Verifier,
    pub credentials: Arc<dyn CredentialLookup>,
    pub body_limit: usize,
}

impl ApiState {
    /// The `chime-sdk-meetings` 2021-07-15 model with the rules it states only in documentation.
    pub fn meetings_model() -> ServiceModel {
        let mut model = ServiceModel::from_json(carillon_model::CHIME_SDK_MEETINGS_2021_07_15)
            .expect("the vendored chime-sdk-meetings model is valid");
        rules::add_documented_rules(&mut model);
        model
    }
}

/// The whole HTTP application: `/health` plus the API on every other path.
pub fn app(state: Arc<ApiState>) -> Router {
    Router::new()
        .route("/health", get(pipeline::health))
        .fallback(pipeline::handle)
        .with_state(state)
}
