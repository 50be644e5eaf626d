//! Request bodies that several tests, or the tests and the load generator, send.

use crate::values::unique;

/// The smallest valid CreateMeeting body of the current API: its three required members, with
/// MediaRegion us-east-1. The values are written as they are (no JSON escaping).
pub fn create_meeting_body(token: &str, external_meeting_id: &str) -> String {
    create_meeting_body_with(token, external_meeting_id, "")
}

/// [`create_meeting_body`] with more members: `extra` is their JSON text, each member preceded
/// by a comma (`,"Tags":[]`).
pub fn create_meeting_body_with(token: &str, external_meeting_id: &str, extra: &str) -> String {
    format!(
        r#"{{"ClientRequestToken":"{token}","MediaRegion":"us-east-1","ExternalMeetingId":"{external_meeting_id}"{extra}}}"#
    )
}

/// [`create_meeting_body`] with a token and an ExternalMeetingId used nowhere else.
pub fn fresh_create_meeting_body() -> String {
    create_meeting_body(&unique("tok"), &unique("ext"))
}
