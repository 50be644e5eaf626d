//! `POST /v1/meetings/{MeetingId}/attendees/{AttendeeId}/presence` with `{"state":"joined"}`
//! (or `left`, `dropped`): marks an attendee as a session would, so that a backend can be tested
//! without a browser. Joined, it keeps its meeting from idling out and sends
//! `chime:AttendeeJoined`; left or dropped, `chime:AttendeeLeft`/`chime:AttendeeDropped`. An
//! attendee id with `#content` marks its content share (which does not keep a meeting alive).
//!
//! Answers `{"changed": true|false}`; 404 for an unknown or ended meeting or attendee; 409 when
//! the meeting's sessions live on another node of a cluster (whose URL the answer names).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use carillon_core::SessionChange;
use carillon_signaling::Marked;
use serde_json::{json, Value};

use crate::{error, json, unavailable, Admin};

fn change(body: &[u8]) -> Option<SessionChange> {
    let value: Value = serde_json::from_slice(body).ok()?;
    match value.get("state")?.as_str()? {
        "joined" => Some(SessionChange::Joined),
        "left" => Some(SessionChange::Left),
        "dropped" => Some(SessionChange::Dropped),
        _ => None,
    }
}

pub(crate) async fn mark(
    State(admin): State<Arc<Admin>>,
    Path((meeting_id, attendee_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let Some(change) = change(&body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "expected {\"state\": \"joined\" | \"left\" | \"dropped\"}",
        );
    };
    match admin
        .plane
        .mark_attendee(&meeting_id, &attendee_id, change)
        .await
    {
        Ok(Marked::Changed) => json(StatusCode::OK, json!({ "changed": true })),
        Ok(Marked::Unchanged) => json(StatusCode::OK, json!({ "changed": false })),
        Ok(Marked::MeetingNotFound) => error(StatusCode::NOT_FOUND, "no such active meeting"),
        Ok(Marked::AttendeeNotFound) => error(StatusCode::NOT_FOUND, "no such attendee"),
        Ok(Marked::Elsewhere(node)) => json(
            StatusCode::CONFLICT,
            json!({ "message": "the meeting's sessions live on another node; mark it there", "node": node }),
        ),
        Err(e) => unavailable(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states() {
        assert_eq!(
            change(br#"{"state":"joined"}"#),
            Some(SessionChange::Joined)
        );
        assert_eq!(change(br#"{"state":"left"}"#), Some(SessionChange::Left));
        assert_eq!(
            change(br#"{"state":"dropped"}"#),
            Some(SessionChange::Dropped)
        );
        assert_eq!(change(br#"{"state":"gone"}"#), None);
        assert_eq!(change(b"{}"), None);
        assert_eq!(change(b"x"), None);
    }
}
