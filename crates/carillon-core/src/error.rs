//! The service's errors: what the caller did wrong, named by condition (each API then picks its
//! own exception name for it), or a failure of ours carrying its cause to the one place that logs
//! it.

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    UnprocessableEntity(String),
    /// A tag operation named a resource that does not exist (carries the ARN).
    #[error("{message}")]
    ResourceNotFound { message: String, resource: String },
    #[error("{message}")]
    TooManyTags { message: String, resource: String },
    /// A failure of ours, not the caller's. The cause is logged, never sent.
    #[error("internal error: {0}")]
    Internal(Fault),
}

/// Why a request failed through no fault of the caller.
#[derive(Debug, thiserror::Error)]
pub enum Fault {
    /// The store failed, or could not be reached ([`StoreError::is_unavailable`]).
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// A result could not be encoded in the API's shape.
    #[error("encoding: {0}")]
    Encoding(String),
    /// Something that cannot happen did: a bug.
    #[error("broken invariant: {0}")]
    Invariant(String),
}

impl Fault {
    /// True when retrying later is expected to succeed (the store is restarting or saturated).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Fault::Store(e) if e.is_unavailable())
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        ServiceError::Internal(Fault::Store(e))
    }
}

impl ServiceError {
    pub fn meeting_not_found(meeting_id: &str) -> Self {
        // The real service's wording, angle brackets included: "Meeting <id> not found".
        ServiceError::NotFound(format!("Meeting <{meeting_id}> not found"))
    }

    pub fn attendee_not_found(attendee_id: &str) -> Self {
        ServiceError::NotFound(format!("Attendee <{attendee_id}> not found"))
    }

    /// A bug: something that cannot happen did.
    pub fn invariant(what: impl Into<String>) -> Self {
        ServiceError::Internal(Fault::Invariant(what.into()))
    }
}
