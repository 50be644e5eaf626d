//! `POST /v1/seed[?dryRun=true]`: meetings and attendees made from a short description, through
//! the service as the API makes them (CreateMeeting, then BatchCreateAttendee by 100): ids,
//! ClientRequestTokens and JoinTokens generated, events recorded, the attendee cap applied;
//! the concurrent meeting quota and the rate quotas are not (an operator's tool).
//!
//! **The seed file** (JSON):
//!
//! ```json
//! {"meetings": [
//!   {"accountId": "123456789012", "api": "meetings", "externalMeetingId": "standup",
//!    "mediaRegion": "us-east-1", "maxAttendees": 10, "tags": [{"key": "team", "value": "core"}],
//!    "attendees": [{"externalUserId": "alice"}, {"externalUserId": "bob"}]},
//!   {"externalMeetingId": "load", "count": 1000, "attendeeCount": 250}
//! ]}
//! ```
//!
//! Each entry of `meetings` is a template; every member is optional:
//! `accountId` (12 digits, default `123456789012`), `api` (`meetings` or `legacy`, default
//! `meetings`), `externalMeetingId` (default `seed`), `mediaRegion` (default `us-east-1`),
//! `controlRegion` (the Region of the MeetingArn, default `us-east-1`), `meetingHostId`,
//! `maxAttendees` (1 to 250, `MeetingFeatures.Attendee.MaxCount`; not in the legacy API, whose
//! meetings take 250), `tags` (`[{"key","value"}]`, at most 50, by the rules of the meeting's API), and the attendees: either
//! `attendees` (`[{"externalUserId"}]`, each once) or `attendeeCount` (ExternalUserIds
//! `<externalUserIdPrefix><n>` for n from 1, prefix `user-` by default). With `count` the
//! template makes that many meetings, whose ExternalMeetingIds end with `-<n>`, n counting from
//! `indexFrom` (default 1). Unknown members are refused.
//!
//! **Checked first:** the whole file is read and checked before anything is created (the API's
//! rules: lengths, the ExternalUserId characters, media Regions, tags, and the attendee cap: more
//! attendees than a meeting's maximum is refused, not cut short); a bad file is answered 400
//! naming where and what (`meetings[2].attendees[5].externalUserId: …`) and creates nothing. A
//! request makes at most 10,000 meetings. `?dryRun=true` stops there and answers the counts it
//! would create (`carillon admin seed` checks a whole file so before sending it in parts).
//!
//! **The answer** (200): `{"meetings": n, "attendees": n, "attendeesListed": bool, "created":
//! [{"meetingId", "accountId", "api", "externalMeetingId", "attendeeCount", "attendees"?:
//! [{"attendeeId", "externalUserId", "joinToken"}]}]}`: `created` lists the first 1,000
//! meetings, and each one's attendees only when the request creates at most 1,000 attendees.
//! **Midway**, a failure (the store unavailable: 503; anything else: 500) answers
//! `{"message", "created": <the answer above, of what exists>}`; nothing is undone.

mod file;
mod run;
mod tags;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use serde_json::json;

use crate::query::Params;
use crate::{error, json, Admin};
use run::Created;

/// `POST /v1/seed`.
pub(crate) async fn seed(State(admin): State<Arc<Admin>>, uri: Uri, body: Bytes) -> Response {
    let params = Params::parse(uri.query());
    let dry_run = match params.get("dryRun") {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return error(StatusCode::BAD_REQUEST, "dryRun: expected true or false"),
    };
    let plan = match file::parse(&body) {
        Ok(plan) => plan,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    if dry_run {
        let counts = json!({ "meetings": plan.meetings, "attendees": plan.attendees });
        return json(StatusCode::OK, counts);
    }
    let Some(service) = &admin.service else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "this server's admin listener has no meeting service to seed through",
        );
    };
    let mut created = Created {
        meetings: 0,
        attendees: 0,
        attendees_listed: false,
        created: Vec::new(),
    };
    match run::run(service, &plan, &mut created).await {
        Ok(()) => json(StatusCode::OK, json!(created)),
        Err(stopped) => {
            let status = if stopped.unavailable {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            };
            let message = format!(
                "seeding stopped after creating {} meetings and {} attendees: {}",
                created.meetings, created.attendees, stopped.message
            );
            json(status, json!({ "message": message, "created": created }))
        }
    }
}
