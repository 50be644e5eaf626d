//! Export → reset → import gives the same answer to every read of both APIs, the same
//! ClientRequestToken replays and the same attendee cap; a reset hangs up live sessions.

use aws_sdk_chimesdkmeetings::operation::create_attendee::CreateAttendeeError;
use aws_sdk_chimesdkmeetings::types::{Attendee, Meeting, Tag};
use carillon_testkit::signaling::Client as Session;
use carillon_testkit::*;
use serde_json::{json, Value};

use crate::listing::State;
use crate::{admin_raw, all_pages, legacy};

/// Everything the APIs answer about the state.
#[derive(Debug, PartialEq)]
struct Reads {
    meetings: Vec<Meeting>,
    attendees: Vec<Vec<Attendee>>,
    alice: Attendee,
    tags: Vec<Tag>,
    ended_is_gone: bool,
    replayed_id: String,
    legacy: Vec<Value>,
    listed: Vec<Value>,
}

async fn reads(server: &Server, s: &State) -> Reads {
    let (api, second) = (server.client(), server.second_client());
    let (a, c) = (s.a.meeting_id().unwrap(), s.c.meeting_id().unwrap());
    let get = |client: &aws_sdk_chimesdkmeetings::Client, id: &str| {
        let call = client.get_meeting().meeting_id(id).send();
        async move { call.await.unwrap().meeting.unwrap() }
    };
    let meetings = vec![get(&api, a).await, get(&second, c).await];
    let attendees = vec![
        list_all_attendees(&api, a).await,
        list_all_attendees(&second, c).await,
    ];
    let alice = api
        .get_attendee()
        .meeting_id(a)
        .attendee_id(s.alice.attendee_id().unwrap())
        .send()
        .await
        .unwrap()
        .attendee
        .unwrap();
    let tags = api
        .list_tags_for_resource()
        .resource_arn(s.a.meeting_arn().unwrap())
        .send()
        .await
        .unwrap()
        .tags
        .unwrap_or_default();
    let replayed = create_meeting_request(&api)
        .client_request_token(&s.a_token)
        .send()
        .await
        .unwrap();
    let l = &s.l;
    let attendee = &s.l_attendee;
    let mut legacy_reads = Vec::new();
    for path in [
        format!("/meetings/{l}"),
        "/meetings".to_owned(),
        format!("/meetings/{l}/attendees"),
        format!("/meetings/{l}/attendees/{attendee}"),
        format!("/meetings/{l}/attendees/{attendee}/tags"),
        format!("/meetings/{l}/tags"),
    ] {
        legacy_reads.push(legacy(server, "GET", &path, Value::Null, 200).await);
    }
    legacy(
        server,
        "GET",
        &format!("/meetings/{}", s.b),
        Value::Null,
        404,
    )
    .await;
    Reads {
        meetings,
        attendees,
        alice,
        tags,
        ended_is_gone: meeting_ended(&api, &s.b).await,
        replayed_id: replayed.meeting.unwrap().meeting_id.unwrap(),
        legacy: legacy_reads,
        listed: all_pages(server, "/v1/meetings?state=all", "meetings")
            .await
            .into_iter()
            .map(steady)
            .collect(),
    }
}

/// A meeting or line without its idle clock: the signaling plane's presence marks move it in
/// the background (after the sessions of earlier cases), which the conformance suite's import
/// case checks without sessions.
fn steady(mut value: Value) -> Value {
    if let Some(object) = value.as_object_mut() {
        object.remove("idleSinceMs");
        object.remove("presenceLeaseMs");
    }
    value
}

/// The file's lines after the first (which says when it was written), idle clocks aside.
fn body_of(file: &str) -> Vec<Value> {
    file.lines()
        .skip(1)
        .map(|l| steady(serde_json::from_str(l).unwrap()))
        .collect()
}

pub async fn export_reset_import(server: &Server, s: &State) {
    let before = reads(server, s).await;
    assert!(before.ended_is_gone);
    assert_eq!(before.replayed_id, s.a.meeting_id().unwrap());
    // Streamed: chunked, never sized up front (the server does not hold the whole file).
    let addr = server.admin_addr.unwrap();
    let request = RawRequest::new("GET", "/v1/export")
        .unsigned()
        .header("authorization", &format!("Bearer {ADMIN_TOKEN}"));
    let response = send_http(addr, &request).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("transfer-encoding"), Some("chunked"));
    assert_eq!(response.header("content-length"), None);
    assert_eq!(
        response.header("content-type"),
        Some("application/x-ndjson")
    );
    let file = response.text();
    let lines: Vec<Value> = file
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["format"], "carillon-state");
    assert_eq!(lines[0]["version"], 1);
    assert_eq!(lines[1]["type"], "meeting");
    assert_eq!(lines[1]["meetingId"], s.a.meeting_id().unwrap());
    assert_eq!(lines[2]["type"], "attendee");
    assert_eq!(
        lines.last().unwrap(),
        &json!({"type": "end", "meetings": 4, "attendees": 4})
    );

    // A reset hangs up the sessions of the meetings it removed, as a deleted meeting does.
    let mut session = Session::join_audio(server.addr, &s.a, &s.bob).await;
    // The join's event is written in the background: let it land first, so that the reset is
    // not racing a write (a reset empties what is committed when it runs).
    let joined = format!(
        "/v1/events?meeting_id={}&name=chime:AttendeeJoined",
        s.a.meeting_id().unwrap()
    );
    let started = std::time::Instant::now();
    while admin(server, "GET", &joined, None).await.1["events"] == json!([]) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "no AttendeeJoined"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (status, done) = admin(server, "POST", "/v1/reset", Some("{}")).await;
    assert_eq!((status, done), (200, json!({"reset": true})));
    let closed = session.closed().await;
    assert_eq!((closed.audio_status, closed.code), (Some(410), Some(4410)));
    assert!(all_pages(server, "/v1/meetings?state=all", "meetings")
        .await
        .is_empty());
    let (_, log) = admin(server, "GET", "/v1/events", None).await;
    assert_eq!(log["events"], json!([]), "a reset logs no MeetingEnded");
    assert!(meeting_ended(&server.client(), s.a.meeting_id().unwrap()).await);

    let (status, body) = admin_raw(server, "POST", "/v1/import", Some(&file), true).await;
    assert_eq!(status, 200, "{body}");
    let counted: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(counted, json!({"meetings": 4, "attendees": 4}));
    let after = reads(server, s).await;
    assert_eq!(after, before);
    let (_, again) = admin_raw(server, "GET", "/v1/export", None, true).await;
    assert_eq!(body_of(&again), body_of(&file));

    // The cap counts the attendees imported: one seat of three left in `a`.
    let api = server.client();
    let a = s.a.meeting_id().unwrap();
    create_attendee(&api, a, "dave-user").await;
    let full = api
        .create_attendee()
        .meeting_id(a)
        .external_user_id("erin-user")
        .send()
        .await;
    expect_err!(full, CreateAttendeeError::LimitExceededException);
}
