//! Fault rules ([`carillon_faults`]) of this node, and signaling sessions dropped on demand.
//! Rules are kept in memory, per node: with several nodes on one database, each has its own.
//!
//! | route | body | answer |
//! |---|---|---|
//! | `GET /v1/faults` | — | 200 `{"rules": [<rule>, …]}`, oldest first, with their `hits` |
//! | `POST /v1/faults` | `<rule spec>` | 201 `<rule>` with its `id`; 400 `{"message"}` saying what is wrong |
//! | `DELETE /v1/faults/{id}` | — | 204; 404 when there is no such rule (or it was used up or expired) |
//! | `DELETE /v1/faults` | — | 200 `{"removed": n}` |
//! | `POST /v1/faults/drop-sessions` | `{"meetingId", "attendeeId"?}` | 200 `{"dropped": n}`: the sessions cut now |
//!
//! A rule spec (every member optional but `action`; unknown members are refused):
//!
//! ```json
//! {"api": "meetings" | "legacy" | "signaling", "operation": "CreateAttendee",
//!  "accountId": "123456789012", "meetingId": "…", "attendeeId": "…",
//!  "action": "error" | "latency" | "drop" | "refuseJoin" | "delayFrames",
//!  "error": "ThrottlingException", "latencyMs": 200,
//!  "probability": 0.5, "count": 2, "ttlSeconds": 60}
//! ```
//!
//! `error` (with `action: error`) must be modeled by every operation the rule can match;
//! `latencyMs` (1 to 120000) goes with `latency` and `delayFrames`; `refuseJoin` and
//! `delayFrames` are the signaling plane's (they take `attendeeId`, not `api` or `operation`).
//! A rule as listed has the spec's members it was given (meeting and attendee ids lower-cased;
//! `api` is `signaling` for the signaling actions) and `id`, `probability`, `remaining` (firings
//! left, with a `count`), `createdAt` and `expiresAt` (epoch milliseconds) and `hits`.
//!
//! Dropped sessions are cut as a network drop would cut them (no AUDIO_STATUS, no close frame):
//! the SDK sees an abnormal closure and reconnects; the others in the meeting see them dropped.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use carillon_faults::{RuleSpec, RuleView};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{error, json, json_text, Admin};

/// Serialized from the struct, so that members keep their documented order.
fn encoded(status: StatusCode, value: &impl Serialize) -> Response {
    match serde_json::to_string(value) {
        Ok(text) => json_text(status, text),
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the rules could not be encoded",
        ),
    }
}

pub(crate) async fn list(State(admin): State<Arc<Admin>>) -> Response {
    #[derive(Serialize)]
    struct Rules {
        rules: Vec<RuleView>,
    }
    let rules = admin.plane.faults().list();
    encoded(StatusCode::OK, &Rules { rules })
}

pub(crate) async fn add(State(admin): State<Arc<Admin>>, body: Bytes) -> Response {
    let spec: RuleSpec = match serde_json::from_slice(&body) {
        Ok(spec) => spec,
        Err(e) => return error(StatusCode::BAD_REQUEST, &format!("invalid rule: {e}")),
    };
    match admin.plane.faults().add(spec) {
        Ok(rule) => encoded(StatusCode::CREATED, &rule),
        Err(e) => error(StatusCode::BAD_REQUEST, &e),
    }
}

pub(crate) async fn remove(State(admin): State<Arc<Admin>>, Path(id): Path<String>) -> Response {
    if admin.plane.faults().remove(&id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        error(StatusCode::NOT_FOUND, "no such fault rule")
    }
}

pub(crate) async fn clear(State(admin): State<Arc<Admin>>) -> Response {
    let removed = admin.plane.faults().clear();
    json(StatusCode::OK, json!({ "removed": removed }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DropSessions {
    meeting_id: String,
    attendee_id: Option<String>,
}

pub(crate) async fn drop_sessions(State(admin): State<Arc<Admin>>, body: Bytes) -> Response {
    let request: DropSessions = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("expected {{\"meetingId\": …, \"attendeeId\"?: …}}: {e}"),
            )
        }
    };
    let dropped = admin
        .plane
        .drop_sessions(&request.meeting_id, request.attendee_id.as_deref());
    json(StatusCode::OK, json!({ "dropped": dropped }))
}
