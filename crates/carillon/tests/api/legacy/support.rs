//! Raw-request shortcuts for the legacy API and checks of its output shapes: the members the
//! `chime` 2018-05-01 model gives `Meeting`, `Attendee`, `MediaPlacement` and
//! `CreateAttendeeError` (`crates/carillon-model/models/chime-2018-05-01-with-meetings.json`).

use serde_json::{json, Value};

use carillon_testkit::*;

/// Members of the legacy `Meeting` structure.
pub const MEETING_MEMBERS: &[&str] = &[
    "MeetingId",
    "ExternalMeetingId",
    "MediaPlacement",
    "MediaRegion",
];

/// Members of the legacy `Attendee` structure.
pub const ATTENDEE_MEMBERS: &[&str] = &["ExternalUserId", "AttendeeId", "JoinToken"];

/// Members of the legacy `MediaPlacement` structure.
pub const MEDIA_PLACEMENT_MEMBERS: &[&str] = &[
    "AudioHostUrl",
    "AudioFallbackUrl",
    "ScreenDataUrl",
    "ScreenSharingUrl",
    "ScreenViewingUrl",
    "SignalingUrl",
    "TurnControlUrl",
    "EventIngestionUrl",
];

/// Members of the legacy `CreateAttendeeError` structure.
pub const ATTENDEE_ERROR_MEMBERS: &[&str] = &["ExternalUserId", "ErrorCode", "ErrorMessage"];

/// The member names of a JSON object, sorted.
pub fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

/// Asserts that an object has no member outside `allowed`.
pub fn assert_members_within(value: &Value, allowed: &[&str]) {
    for key in keys(value) {
        assert!(
            allowed.contains(&key.as_str()),
            "unexpected member {key:?} in {value}"
        );
    }
}

/// Asserts the status and returns the JSON body (`Null` when the body is empty).
pub fn expect_status(r: &RawResponse, status: u16) -> Value {
    assert_eq!(r.status, status, "unexpected response: {}", r.text());
    assert!(
        r.header("x-amzn-RequestId")
            .is_some_and(|id| !id.is_empty()),
        "no request id: {r:?}"
    );
    if r.body.is_empty() {
        Value::Null
    } else {
        assert_eq!(r.header("content-type"), Some("application/json"), "{r:?}");
        r.json()
    }
}

/// Asserts a success without a body (the 204 of DeleteMeeting, DeleteAttendee and the tag
/// operations).
pub fn expect_no_content(r: &RawResponse) {
    assert_eq!(r.status, 204, "unexpected response: {}", r.text());
    assert!(r.body.is_empty(), "204 with a body: {}", r.text());
    assert!(r.header("x-amzn-RequestId").is_some(), "{r:?}");
}

/// Asserts a legacy `NotFoundException` with exactly this message.
pub fn expect_not_found(r: &RawResponse, message: &str) {
    r.assert_error(404, "NotFoundException");
    assert_eq!(r.message(), message, "{}", r.text());
}

pub fn meeting_not_found(meeting_id: &str) -> String {
    format!("Meeting <{meeting_id}> not found")
}

pub fn attendee_not_found(attendee_id: &str) -> String {
    format!("Attendee <{attendee_id}> not found")
}

/// Asserts a `Meeting` in the legacy shape and returns its id.
pub fn assert_legacy_meeting(meeting: &Value) -> String {
    assert_members_within(meeting, MEETING_MEMBERS);
    let id = meeting["MeetingId"]
        .as_str()
        .unwrap_or_else(|| panic!("no MeetingId: {meeting}"))
        .to_string();
    assert_guid(&id);
    assert!(meeting["MediaRegion"].is_string(), "{meeting}");
    let placement = &meeting["MediaPlacement"];
    assert_members_within(placement, MEDIA_PLACEMENT_MEMBERS);
    let signaling = placement["SignalingUrl"].as_str().expect("SignalingUrl");
    assert!(
        signaling.starts_with("ws://127.0.0.1:") && signaling.ends_with(&format!("/control/{id}")),
        "{signaling}"
    );
    assert!(!signaling.contains('?'), "{signaling}");
    for name in [
        "AudioHostUrl",
        "AudioFallbackUrl",
        "TurnControlUrl",
        "EventIngestionUrl",
    ] {
        assert!(
            placement[name].as_str().is_some_and(|u| !u.is_empty()),
            "{name} is empty: {placement}"
        );
    }
    id
}

/// Asserts an `Attendee` in the legacy shape (all three members, nothing else) and returns its
/// id.
pub fn assert_legacy_attendee(attendee: &Value) -> String {
    assert_eq!(keys(attendee), sorted(ATTENDEE_MEMBERS), "{attendee}");
    let id = attendee["AttendeeId"].as_str().unwrap().to_string();
    assert_guid(&id);
    let token = attendee["JoinToken"].as_str().expect("JoinToken");
    assert_join_token(token, &id);
    id
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    names.sort();
    names
}

/// `[{"Key":..,"Value":..}, ...]`.
pub fn tags_json(pairs: &[(&str, &str)]) -> Value {
    Value::Array(
        pairs
            .iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect(),
    )
}

/// `n` distinct tags `<prefix>-<i>`.
pub fn many_tags(prefix: &str, n: usize) -> Value {
    Value::Array(
        (0..n)
            .map(|i| json!({"Key": format!("{prefix}-{i}"), "Value": format!("v{i}")}))
            .collect(),
    )
}

/// The `Tags` member of a response as sorted (key, value) pairs.
pub fn pairs_of(body: &Value) -> Vec<(String, String)> {
    assert_eq!(keys(body), ["Tags"], "{body}");
    let mut pairs: Vec<(String, String)> = body["Tags"]
        .as_array()
        .unwrap_or_else(|| panic!("Tags is not a list: {body}"))
        .iter()
        .map(|t| {
            (
                t["Key"].as_str().unwrap().to_string(),
                t["Value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    pairs.sort();
    pairs
}

pub fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    pairs.sort();
    pairs
}

/// Creates a legacy meeting from this body; returns the response's `Meeting`.
pub async fn new_meeting_from(server: &Server, body: &Value) -> Value {
    let r = server
        .legacy_signed("POST", "/meetings", &body.to_string())
        .await;
    let out = expect_status(&r, 201);
    assert_eq!(keys(&out), ["Meeting"], "{out}");
    assert_legacy_meeting(&out["Meeting"]);
    out["Meeting"].clone()
}

/// Creates a legacy meeting with a fresh token; returns its id.
pub async fn new_meeting(server: &Server) -> String {
    let body = json!({"ClientRequestToken": unique("tok"), "ExternalMeetingId": unique("ext")});
    id_of(&new_meeting_from(server, &body).await)
}

pub fn id_of(meeting: &Value) -> String {
    meeting["MeetingId"].as_str().unwrap().to_string()
}

/// Creates a legacy attendee from this body; returns the response's `Attendee`.
pub async fn new_attendee_from(server: &Server, meeting_id: &str, body: &Value) -> Value {
    let r = server
        .legacy_signed(
            "POST",
            &format!("/meetings/{meeting_id}/attendees"),
            &body.to_string(),
        )
        .await;
    let out = expect_status(&r, 201);
    assert_eq!(keys(&out), ["Attendee"], "{out}");
    assert_legacy_attendee(&out["Attendee"]);
    out["Attendee"].clone()
}

/// Creates a legacy attendee; returns the response's `Attendee`.
pub async fn new_attendee(server: &Server, meeting_id: &str, external_user_id: &str) -> Value {
    new_attendee_from(
        server,
        meeting_id,
        &json!({"ExternalUserId": external_user_id}),
    )
    .await
}

pub fn attendee_id_of(attendee: &Value) -> String {
    attendee["AttendeeId"].as_str().unwrap().to_string()
}

/// ListMeetingTags as sorted pairs.
pub async fn meeting_tags(server: &Server, meeting_id: &str) -> Vec<(String, String)> {
    let r = server
        .legacy_signed("GET", &format!("/meetings/{meeting_id}/tags"), "")
        .await;
    pairs_of(&expect_status(&r, 200))
}

/// ListTagsForResource (legacy) as sorted pairs.
pub async fn resource_tags(server: &Server, arn: &str) -> Vec<(String, String)> {
    let r = server
        .legacy_signed("GET", &format!("/tags?arn={}", percent_encode(arn)), "")
        .await;
    pairs_of(&expect_status(&r, 200))
}

/// ListAttendeeTags as sorted pairs.
pub async fn attendee_tags(
    server: &Server,
    meeting_id: &str,
    attendee_id: &str,
) -> Vec<(String, String)> {
    let r = server
        .legacy_signed(
            "GET",
            &format!("/meetings/{meeting_id}/attendees/{attendee_id}/tags"),
            "",
        )
        .await;
    pairs_of(&expect_status(&r, 200))
}

/// Every attendee of a legacy meeting, following NextToken with this page size.
pub async fn all_attendees(server: &Server, meeting_id: &str, page_size: u32) -> Vec<Value> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut path = format!("/meetings/{meeting_id}/attendees?max-results={page_size}");
        if let Some(t) = &token {
            path.push_str(&format!("&next-token={}", percent_encode(t)));
        }
        let r = server.legacy_signed("GET", &path, "").await;
        let page = expect_status(&r, 200);
        assert_members_within(&page, &["Attendees", "NextToken"]);
        let attendees = page["Attendees"].as_array().expect("Attendees");
        assert!(attendees.len() <= page_size as usize, "{page}");
        for a in attendees {
            assert_legacy_attendee(a);
        }
        all.extend(attendees.iter().cloned());
        match page["NextToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => return all,
        }
    }
}

/// The ids of every meeting ListMeetings returns, following NextToken.
pub async fn all_meeting_ids(server: &Server) -> Vec<String> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut path = "/meetings?max-results=99".to_string();
        if let Some(t) = &token {
            path.push_str(&format!("&next-token={}", percent_encode(t)));
        }
        let r = server.legacy_signed("GET", &path, "").await;
        let page = expect_status(&r, 200);
        all.extend(
            page["Meetings"]
                .as_array()
                .expect("Meetings")
                .iter()
                .map(id_of),
        );
        match page["NextToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => return all,
        }
    }
}

/// BatchCreateAttendee (legacy) with `n` new attendees `<prefix>-<i>`; asserts they were all
/// created.
pub async fn add_attendees(server: &Server, meeting_id: &str, prefix: &str, n: usize) {
    let items: Vec<Value> = (0..n)
        .map(|i| json!({"ExternalUserId": format!("{prefix}-{i}")}))
        .collect();
    let r = server
        .legacy_signed(
            "POST",
            &format!("/meetings/{meeting_id}/attendees?operation=batch-create"),
            &json!({ "Attendees": items }).to_string(),
        )
        .await;
    let out = expect_status(&r, 201);
    assert_eq!(out["Errors"], json!([]), "{out}");
    assert_eq!(out["Attendees"].as_array().map(Vec::len), Some(n), "{out}");
}
