//! Operation name → typed input → service call → typed output.

use carillon_core::{MeetingService, RequestContext, ServiceError};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::error::ApiError;

/// A successful output: a JSON body, or none for operations without output members.
pub enum Output {
    Json(Vec<u8>),
    Empty,
}

fn input<T: DeserializeOwned>(operation: &str, value: Value) -> Result<T, ApiError> {
    // The model validator has already checked every member, so this only fails on a mismatch
    // between the model and the typed input; the detail is logged, not sent.
    serde_json::from_value(value).map_err(|e| {
        tracing::warn!(operation, error = %e, "validated input did not fit its typed shape");
        ApiError::bad_request(format!(
            "The request does not match the shape of {operation}Request"
        ))
    })
}

fn json<T: Serialize>(result: Result<T, ServiceError>) -> Result<Output, ServiceError> {
    let value = result?;
    serde_json::to_vec(&value)
        .map(Output::Json)
        .map_err(|e| ServiceError::Internal(carillon_core::StoreError::new(e)))
}

fn empty(result: Result<(), ServiceError>) -> Result<Output, ServiceError> {
    result.map(|()| Output::Empty)
}

pub async fn dispatch(
    service: &MeetingService,
    ctx: &RequestContext,
    operation: &str,
    value: Value,
) -> Result<Result<Output, ServiceError>, ApiError> {
    let s = service;
    Ok(match operation {
        "CreateMeeting" => json(s.create_meeting(ctx, input(operation, value)?).await),
        "CreateMeetingWithAttendees" => json(
            s.create_meeting_with_attendees(ctx, input(operation, value)?)
                .await,
        ),
        "GetMeeting" => json(s.get_meeting(ctx, input(operation, value)?).await),
        "DeleteMeeting" => empty(s.delete_meeting(ctx, input(operation, value)?).await),
        "CreateAttendee" => json(s.create_attendee(ctx, input(operation, value)?).await),
        "BatchCreateAttendee" => json(s.batch_create_attendee(ctx, input(operation, value)?).await),
        "GetAttendee" => json(s.get_attendee(ctx, input(operation, value)?).await),
        "ListAttendees" => json(s.list_attendees(ctx, input(operation, value)?).await),
        "DeleteAttendee" => empty(s.delete_attendee(ctx, input(operation, value)?).await),
        "UpdateAttendeeCapabilities" => json(
            s.update_attendee_capabilities(ctx, input(operation, value)?)
                .await,
        ),
        "BatchUpdateAttendeeCapabilitiesExcept" => empty(
            s.batch_update_attendee_capabilities_except(ctx, input(operation, value)?)
                .await,
        ),
        "StartMeetingTranscription" => empty(
            s.start_meeting_transcription(ctx, input(operation, value)?)
                .await,
        ),
        "StopMeetingTranscription" => empty(
            s.stop_meeting_transcription(ctx, input(operation, value)?)
                .await,
        ),
        "TagResource" => empty(s.tag_resource(ctx, input(operation, value)?).await),
        "UntagResource" => empty(s.untag_resource(ctx, input(operation, value)?).await),
        "ListTagsForResource" => json(
            s.list_tags_for_resource(ctx, input(operation, value)?)
                .await,
        ),
        other => {
            tracing::error!(operation = other, "routed operation has no handler");
            return Err(ApiError::service_failure());
        }
    })
}

/// The operations [`dispatch`] handles; a test checks the list against the model.
#[cfg(test)]
const HANDLED_OPERATIONS: &[&str] = &[
    "CreateMeeting",
    "CreateMeetingWithAttendees",
    "GetMeeting",
    "DeleteMeeting",
    "CreateAttendee",
    "BatchCreateAttendee",
    "GetAttendee",
    "ListAttendees",
    "DeleteAttendee",
    "UpdateAttendeeCapabilities",
    "BatchUpdateAttendeeCapabilitiesExcept",
    "StartMeetingTranscription",
    "StopMeetingTranscription",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
];

#[cfg(test)]
mod tests {
    use super::HANDLED_OPERATIONS;

    #[test]
    fn every_model_operation_has_a_handler() {
        let model = crate::ApiState::meetings_model();
        let mut modeled: Vec<&str> = model.operations().map(|o| o.name.as_str()).collect();
        modeled.sort_unstable();
        let mut handled = HANDLED_OPERATIONS.to_vec();
        handled.sort_unstable();
        assert_eq!(modeled, handled);
    }
}
