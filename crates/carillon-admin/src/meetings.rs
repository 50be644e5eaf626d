//! Meetings and their attendees across accounts and both APIs, as the store holds them.
//!
//! `GET /v1/meetings?account_id=&api=meetings|legacy&external_meeting_id=&state=active|ended|all&limit=&next=`:
//! `{"meetings":[…],"next":"<position>"|null}` in creation order (state `active` unless given;
//! ended meetings stay in the store, without attendees or tags, as long as their
//! ClientRequestToken must keep answering). Each meeting is the [`crate::view`] form plus
//! `"meetingArn"`, `"state"` (`active`/`ended`) and `"attendeeCount"`. A page holds at most
//! `limit` meetings (100 by default, 1000 at most); `next` is where the following page starts
//! (`null`: none follows). A filtered page walks the meetings from its position until it is
//! full, so a rare filter costs a walk, never memory.
//!
//! `GET /v1/meetings/{MeetingId}`: the meeting, active or ended, whatever its account, with
//! `"eventCount"` (events the log holds for it now; pruning removes old ones) and `"presence"`:
//! `{"sessions":[AttendeeId, …],"marked":[…],"node":null}`, the open signaling sessions on this
//! node (`<AttendeeId>#content` for a content share) and the operator's marks; `node` names the
//! node of a cluster where the meeting's sessions live when it is not this one.
//!
//! `GET /v1/meetings/{MeetingId}/attendees?limit=&next=`: `{"attendees":[…],"next":…}`, the
//! undeleted attendees in creation order, each the [`crate::view`] form plus `"presence"`:
//! `{"sessions":n,"contentShare":bool,"marked":bool}` (`sessions` counts the attendee's own
//! open sessions on this node, 2 for the moment a connection is replaced).
//!
//! 404 for an unknown meeting; 400 naming the parameter that is wrong.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use carillon_core::ids::CONTENT_SUFFIX;
use carillon_core::store::admin::{MeetingFilter, MeetingState, StoredMeeting};
use carillon_core::Namespace;
use carillon_signaling::Presence;
use serde::Serialize;
use serde_json::{json, Value};

use crate::events::serialized;
use crate::query::Params;
use crate::view::{AttendeeJson, MeetingJson};
use crate::{error, unavailable, Admin};

const PAGE: usize = 100;
const MAX_PAGE: usize = 1000;

/// The `next` parameter: a position a page gave. `Err` is the 400's message.
fn next_param(params: &Params) -> Result<Option<i64>, &'static str> {
    match params.get("next") {
        None | Some("") => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(Some)
            .ok_or("next: expected a position as a page gives them"),
    }
}

/// The listing's filter. `Err` is the 400's message.
fn filter(params: &Params) -> Result<MeetingFilter, &'static str> {
    let given = |name: &str| params.get(name).filter(|v| !v.is_empty());
    let namespace = match given("api") {
        None => None,
        Some(api) => Some(Namespace::parse(api).ok_or("api: expected meetings or legacy")?),
    };
    let state = match given("state") {
        None => MeetingState::Active,
        Some(s) => MeetingState::parse(s).ok_or("state: expected active, ended or all")?,
    };
    Ok(MeetingFilter {
        account_id: given("account_id").map(str::to_owned),
        namespace,
        external_meeting_id: given("external_meeting_id").map(str::to_owned),
        state,
    })
}

fn not_encoded() -> Response {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "a stored meeting could not be encoded",
    )
}

/// A meeting as listed, with `extra` members after its own; `None` when it does not encode.
fn meeting_json(m: &StoredMeeting, extra: Value) -> Option<Value> {
    let own = MeetingJson::of(m).ok()?;
    let mut value = serde_json::to_value(own).ok()?;
    if let (Some(object), Value::Object(more)) = (value.as_object_mut(), extra) {
        object.insert("meetingArn".into(), json!(m.record.arn()));
        let state = if m.record.is_active() {
            "active"
        } else {
            "ended"
        };
        object.insert("state".into(), json!(state));
        object.insert("attendeeCount".into(), json!(m.attendee_count));
        object.extend(more);
    }
    Some(value)
}

/// `GET /v1/meetings`.
pub(crate) async fn list(State(admin): State<Arc<Admin>>, uri: Uri) -> Response {
    let params = Params::parse(uri.query());
    let limit = match params.limit(PAGE, MAX_PAGE) {
        Ok(limit) => limit,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let (filter, after) = match (filter(&params), next_param(&params)) {
        (Ok(filter), Ok(after)) => (filter, after),
        (Err(message), _) | (_, Err(message)) => return error(StatusCode::BAD_REQUEST, message),
    };
    let page = match admin.store.admin_meetings(&filter, after, limit).await {
        Ok(page) => page,
        Err(e) => return unavailable(&e),
    };
    let mut meetings = Vec::with_capacity(page.items.len());
    for m in &page.items {
        match meeting_json(m, json!({})) {
            Some(value) => meetings.push(value),
            None => return not_encoded(),
        }
    }
    serialized(&json!({
        "meetings": meetings,
        "next": page.next.map(|n| n.to_string()),
    }))
}

fn presence_json(p: &Presence) -> Value {
    let ids = |ids: &[Arc<str>]| ids.iter().map(|id| id.to_string()).collect::<Vec<_>>();
    json!({ "sessions": ids(&p.sessions), "marked": ids(&p.marked), "node": p.elsewhere })
}

/// `GET /v1/meetings/{MeetingId}`.
pub(crate) async fn get(
    State(admin): State<Arc<Admin>>,
    Path(meeting_id): Path<String>,
) -> Response {
    let (meeting, events) = match admin.store.admin_meeting(&meeting_id).await {
        Ok(Some(found)) => found,
        Ok(None) => return error(StatusCode::NOT_FOUND, "no meeting has this id"),
        Err(e) => return unavailable(&e),
    };
    let presence = admin.plane.presence(&meeting.record.meeting_id);
    let extra = json!({ "eventCount": events, "presence": presence_json(&presence) });
    match meeting_json(&meeting, extra) {
        Some(value) => serialized(&value),
        None => not_encoded(),
    }
}

/// An attendee as listed.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Listed {
    #[serde(flatten)]
    attendee: AttendeeJson,
    presence: AttendeePresence,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AttendeePresence {
    sessions: usize,
    content_share: bool,
    marked: bool,
}

fn attendee_presence(p: &Presence, attendee_id: &str) -> AttendeePresence {
    let content = format!("{attendee_id}{CONTENT_SUFFIX}");
    AttendeePresence {
        sessions: p.sessions.iter().filter(|s| ***s == *attendee_id).count(),
        content_share: p.sessions.iter().any(|s| **s == *content),
        marked: p.marked.iter().any(|s| **s == *attendee_id),
    }
}

/// `GET /v1/meetings/{MeetingId}/attendees`.
pub(crate) async fn attendees(
    State(admin): State<Arc<Admin>>,
    Path(meeting_id): Path<String>,
    uri: Uri,
) -> Response {
    let params = Params::parse(uri.query());
    let limit = match params.limit(PAGE, MAX_PAGE) {
        Ok(limit) => limit,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let after = match next_param(&params) {
        Ok(after) => after,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let page = match admin.store.admin_attendees(&meeting_id, after, limit).await {
        Ok(Some(page)) => page,
        Ok(None) => return error(StatusCode::NOT_FOUND, "no meeting has this id"),
        Err(e) => return unavailable(&e),
    };
    let presence = admin.plane.presence(&meeting_id);
    let attendees: Vec<Listed> = page
        .items
        .iter()
        .map(|a| Listed {
            attendee: AttendeeJson::of(a),
            presence: attendee_presence(&presence, &a.record.attendee_id),
        })
        .collect();
    serialized(&json!({
        "attendees": attendees,
        "next": page.next.map(|n| n.to_string()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_read_and_refused_clearly() {
        let f = filter(&Params::parse(Some("account_id=1&api=legacy&state=all"))).unwrap();
        assert_eq!(f.account_id.as_deref(), Some("1"));
        assert_eq!(f.namespace, Some(Namespace::Legacy));
        assert_eq!(f.state, MeetingState::All);
        assert_eq!(
            filter(&Params::parse(None)).unwrap(),
            MeetingFilter::default()
        );
        for bad in ["api=chime", "state=over"] {
            assert!(filter(&Params::parse(Some(bad))).is_err(), "{bad}");
        }
        assert_eq!(
            next_param(&Params::parse(Some("next=12"))).ok(),
            Some(Some(12))
        );
        assert!(next_param(&Params::parse(Some("next=x"))).is_err());
        assert!(next_param(&Params::parse(Some("next=-1"))).is_err());
    }

    #[test]
    fn an_attendees_presence_counts_its_own_sessions() {
        let p = Presence {
            sessions: vec!["a".into(), "a#content".into(), "b".into(), "a".into()],
            marked: vec!["c".into()],
            elsewhere: None,
        };
        let a = attendee_presence(&p, "a");
        assert_eq!((a.sessions, a.content_share, a.marked), (2, true, false));
        let c = attendee_presence(&p, "c");
        assert_eq!((c.sessions, c.content_share, c.marked), (0, false, true));
    }
}
