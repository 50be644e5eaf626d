//! The errors the service reports. Each variant is a client-visible condition; the protocol front
//! end maps it to the namespace's exception name (e.g. `LimitExceededException` in the current
//! API, `ResourceLimitExceededException` in the legacy one).

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
    /// A failure of ours, not the caller's. The detail is logged, never sent.
    #[error("internal error: {0}")]
    Internal(#[from] StoreError),
}

impl ServiceError {
    pub fn meeting_not_found(meeting_id: &str) -> Self {
        // The real service's wording, angle brackets included (digest §6.3).
        ServiceError::NotFound(format!("Meeting <{meeting_id}> not found"))
    }

    pub fn attendee_not_found(attendee_id: &str) -> Self {
        ServiceError::NotFound(format!("Attendee <{attendee_id}> not found"))
    }
}
