//! What became of one request: acknowledged, rejected, or unknown.

use aws_sdk_chimesdkmeetings::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_chimesdkmeetings::types::Attendee;

/// What became of one request.
pub(crate) enum Outcome<T> {
    /// A 2xx answer: the write must survive.
    Acked(T),
    /// A 4xx answer: the write was not applied.
    Rejected(String),
    /// No answer (the kill), or a 5xx: the write may or may not have been applied.
    Unknown(String),
}

impl<T> Outcome<T> {
    pub(crate) fn map<U>(self, f: impl FnOnce(T) -> U) -> Outcome<U> {
        match self {
            Outcome::Acked(out) => Outcome::Acked(f(out)),
            Outcome::Rejected(why) => Outcome::Rejected(why),
            Outcome::Unknown(why) => Outcome::Unknown(why),
        }
    }
}

/// The answer to a CreateAttendee or BatchCreateAttendee: the attendees created, and the
/// (ExternalUserId, ErrorCode) of the others.
pub(crate) type Created = (Vec<Attendee>, Vec<(String, String)>);

pub(crate) fn outcome<T, E>(result: Result<T, SdkError<E>>) -> Outcome<T>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(out) => Outcome::Acked(out),
        Err(SdkError::ServiceError(ctx)) => {
            let status = ctx.raw().status().as_u16();
            let code = format!(
                "HTTP {} {}",
                status,
                ctx.err().code().unwrap_or("(no code)")
            );
            if status >= 500 {
                Outcome::Unknown(code)
            } else {
                Outcome::Rejected(code)
            }
        }
        Err(e) => Outcome::Unknown(DisplayErrorContext(&e).to_string()),
    }
}

pub(crate) fn describe<E>(e: &SdkError<E>) -> String
where
    E: std::error::Error + Send + Sync + 'static,
{
    DisplayErrorContext(e).to_string()
}
