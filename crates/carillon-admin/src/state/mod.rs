//! The whole state: emptied (`POST /v1/reset`), written out (`GET /v1/export`) and read back
//! (`POST /v1/import`), for test fixtures.
//!
//! **Reset** answers `{"reset":true}` once the store is empty: meetings (ended ones too, so
//! ClientRequestTokens are free again), attendees, tags, the event log and the deliveries owed,
//! and the per-account rate buckets a shared store keeps. It records no `chime:MeetingEnded`:
//! a reset is not a meeting ending, and a test that resets between cases wants no events from
//! the previous case. Signaling sessions of the meetings that vanished are hung up as for a
//! deleted meeting (every node checks its sessions against the store). A reset empties what is
//! committed when it runs: a write racing it (an API call, or a session's event still being
//! written in the background) may land after it; reset between cases, not during traffic.
//!
//! **The state file** (`application/x-ndjson`, version 1) is one JSON object per line:
//!
//! ```text
//! {"format":"carillon-state","version":1,"exportedAtMs":1700000000000}
//! {"type":"meeting", …the meeting as crate::view writes it…}
//! {"type":"attendee", …the attendee as crate::view writes it…}
//! {"type":"end","meetings":2,"attendees":1}
//! ```
//!
//! Meetings come in creation order, each followed by its undeleted attendees in creation order
//! (ended meetings have none); the last line counts them, so a file cut short is told from a
//! whole one. The export reads the store a page at a time while it writes (it is not a
//! snapshot: export when nothing writes). The event log and deliveries are not part of it: they
//! are history, not state an API reads.
//!
//! **Import** reads such a file as it arrives and restores it exactly: ids, ClientRequestTokens,
//! JoinTokens, ends and end reasons, idle clocks, tags and the order of everything, so every
//! API read answers as before the export. A store that holds any meeting is refused with 409
//! unless `?replace=true`, which resets it first. A file that cannot be restored is answered 400
//! with the line and what is wrong with it (`{"message","line"}`), and leaves the store empty:
//! lines are written in batches as they come, each batch in one transaction, and a refusal
//! resets what earlier batches wrote (the store was empty when the import began, so empty is
//! the state before it). Writes made through the API during an import are lost with it then;
//! import into a server nothing else is using. One import runs at a time on a node (another is
//! answered 409).

mod export;
mod import;

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::view::{AttendeeJson, MeetingJson};
use crate::{json, unavailable, Admin};

pub(crate) use export::export;
pub(crate) use import::import;

/// What the first line says.
pub(crate) const FORMAT: &str = "carillon-state";
/// The version this server writes and reads.
pub(crate) const VERSION: u64 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Header {
    pub format: String,
    pub version: u64,
    #[serde(default)]
    pub exported_at_ms: Option<i64>,
}

/// Every line after the first.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub(crate) enum Line {
    Meeting(Box<MeetingJson>),
    Attendee(AttendeeJson),
    End { meetings: u64, attendees: u64 },
}

/// `POST /v1/reset`.
pub(crate) async fn reset(State(admin): State<Arc<Admin>>) -> Response {
    match admin.store.reset().await {
        Ok(()) => json(StatusCode::OK, json!({ "reset": true })),
        Err(e) => unavailable(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_read_strictly() {
        let end: Line =
            serde_json::from_str(r#"{"type":"end","meetings":1,"attendees":2}"#).unwrap();
        assert!(matches!(
            end,
            Line::End {
                meetings: 1,
                attendees: 2
            }
        ));
        let attendee = r#"{"type":"attendee","meetingId":"m","attendeeId":"a","externalUserId":"u",
            "joinToken":"t","capabilities":{"Audio":"SendReceive","Video":"None","Content":"Receive"},
            "tags":[{"key":"k","value":"v"}]}"#;
        assert!(matches!(
            serde_json::from_str::<Line>(attendee),
            Ok(Line::Attendee(_))
        ));
        // An unknown member, an unknown type, a missing member: refused, not guessed at.
        let extra = attendee.replace("\"tags\"", "\"colour\":1,\"tags\"");
        assert!(serde_json::from_str::<Line>(&extra).is_err());
        assert!(serde_json::from_str::<Line>(r#"{"type":"room"}"#).is_err());
        assert!(serde_json::from_str::<Line>(r#"{"type":"end","meetings":1}"#).is_err());
        let header: Header =
            serde_json::from_str(r#"{"format":"carillon-state","version":1}"#).unwrap();
        assert_eq!((header.format.as_str(), header.version), (FORMAT, VERSION));
    }
}
