//! Carillon's HTTP front end for the two rest-json APIs it serves from one process: the current
//! `chime-sdk-meetings` API and the legacy `chime` meeting API. Both run the same pipeline over the
//! same service; what differs is data: the botocore model that routes and
//! validates, the namespace meetings live in, and the exception names ([`error`]).
//!
//! Request path: request id → read body (bounded) → verify SigV4 → route (model-driven) → fault
//! rules ([`faults`]) → rate quotas → decode
//! and validate the input against the model → dispatch to [`carillon_core::MeetingService`] →
//! encode the output (projected onto the model's output shape), or render the error in the AWS
//! wire format. Only this crate knows HTTP.

pub mod credentials;
mod dispatch;
pub mod error;
pub mod faults;
mod legacy;
pub mod metered_store;
pub mod metrics;
mod pipeline;
pub mod quota;
mod rules;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use carillon_core::{MeetingService, Namespace};
use carillon_model::ServiceModel;
use carillon_sigv4::{CredentialLookup, Verifier};

/// Sent on every response, success or error (`x-amzn-RequestId`).
pub const REQUEST_ID_HEADER: &str = "x-amzn-requestid";

/// The signing name of both Chime models (`signingName: chime`).
pub const SIGNING_NAME: &str = "chime";

/// Largest request body accepted. The biggest valid request (BatchCreateAttendee with 100
/// attendees and capabilities, or 50 tags) is a few tens of KiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// Bounds on what one request may cost.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body, in bytes.
    pub body_limit: usize,
    /// Time a client gets to send the body once the headers are in.
    pub body_read_timeout: Duration,
    /// Requests processed at once (both APIs together); more are refused with 503.
    pub max_in_flight: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_limit: DEFAULT_BODY_LIMIT,
            body_read_timeout: Duration::from_secs(30),
            max_in_flight: 512,
        }
    }
}

/// What both APIs share.
pub struct Shared {
    pub service: MeetingService,
    pub verifier: Verifier,
    pub credentials: Arc<dyn CredentialLookup>,
    pub limits: Limits,
    pub metrics: Arc<metrics::Metrics>,
    pub quotas: quota::Quotas,
    /// This node's fault rules ([`faults`]); none by default.
    pub faults: Arc<carillon_faults::Faults>,
    in_flight: tokio::sync::Semaphore,
    draining: AtomicBool,
}

impl Shared {
    pub fn new(
        service: MeetingService,
        verifier: Verifier,
        credentials: Arc<dyn CredentialLookup>,
        limits: Limits,
        metrics: Arc<metrics::Metrics>,
        quotas: quota::Quotas,
    ) -> Self {
        Shared {
            service,
            verifier,
            credentials,
            metrics,
            quotas,
            faults: Arc::default(),
            in_flight: tokio::sync::Semaphore::new(limits.max_in_flight),
            limits,
            draining: AtomicBool::new(false),
        }
    }

    /// The same, with `faults` as its fault rules.
    pub fn with_faults(mut self, faults: Arc<carillon_faults::Faults>) -> Self {
        self.faults = faults;
        self
    }

    /// Marks the server as shutting down: the readiness check fails from now on, so a load
    /// balancer stops sending new requests while the ones in flight finish.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }
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

/// The HTTP application of one API: `/health` (liveness), `/ready` (readiness: the store answers
/// and the server is not shutting down), `/metrics` (Prometheus), and the API on every other
/// path.
pub fn app(state: Arc<ApiState>) -> Router {
    Router::new()
        .route("/health", get(pipeline::health))
        .route("/ready", get(pipeline::ready))
        .route("/metrics", get(pipeline::metrics))
        .fallback(pipeline::handle)
        .with_state(state)
}
