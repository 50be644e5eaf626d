//! The meeting events of the signaling plane, read from the admin listener's live stream: each
//! session's join, leave, drop and hand-off; client events at the EventIngestionUrl; an
//! operator's presence marks.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use carillon_signaling::frames::FrameType;
use carillon_testkit::signaling::*;
use carillon_testkit::*;

const WAIT: Duration = Duration::from_secs(5);

fn server() -> Server {
    Server::start(Options::in_memory().admin())
}

/// The stream of one meeting's events from the start of the log.
async fn meeting_stream(server: &Server, meeting_id: &str) -> EventStream {
    EventStream::open(server, &format!("meeting_id={meeting_id}&after=0-0"), None).await
}

/// The next `n` events' (name, attendeeId of the detail or of the client event).
async fn next_events(stream: &mut EventStream, n: usize) -> Vec<(String, String)> {
    let mut out = Vec::new();
    while out.len() < n {
        let e = stream
            .next(WAIT)
            .await
            .unwrap_or_else(|| panic!("only {out:?} of {n} events came"));
        let event = &e.data["event"];
        let attendee = event["detail"]["attendeeId"]
            .as_str()
            .or(event["attendeeId"].as_str())
            .unwrap_or_default();
        out.push((
            e.data["name"].as_str().unwrap().to_owned(),
            attendee.to_owned(),
        ));
    }
    out
}

fn named(name: &str, attendee: &str) -> (String, String) {
    (name.to_owned(), attendee.to_owned())
}

#[tokio::test]
async fn sessions_report_joins_leaves_drops_and_hand_offs() {
    let server = server();
    let api = server.client();
    let (meeting, [alice, bob, carol]) = meeting_with(&server, ["alice", "bob", "carol"]).await;
    let id = meeting.meeting_id().unwrap();
    let (a_id, b_id, c_id) = (
        alice.attendee_id().unwrap(),
        bob.attendee_id().unwrap(),
        carol.attendee_id().unwrap(),
    );
    let mut stream = meeting_stream(&server, id).await;
    assert_eq!(
        next_events(&mut stream, 4).await,
        [
            named("chime:MeetingStarted", ""),
            named("chime:AttendeeAdded", a_id),
            named("chime:AttendeeAdded", b_id),
            named("chime:AttendeeAdded", c_id),
        ]
    );

    let first = Client::join_audio(server.addr, &meeting, &alice).await;
    assert_eq!(
        next_events(&mut stream, 1).await,
        [named("chime:AttendeeJoined", a_id)]
    );
    let mut b = Client::join_audio(server.addr, &meeting, &bob).await;
    assert_eq!(
        next_events(&mut stream, 1).await,
        [named("chime:AttendeeJoined", b_id)]
    );
    // Alice joins from another device: the first session is replaced, and says nothing.
    let second = Client::join_audio(server.addr, &meeting, &alice).await;
    assert_eq!(
        next_events(&mut stream, 1).await,
        [named("chime:AttendeeAuthorized", a_id)]
    );
    drop(first);
    // Bob says LEAVE (past the presence frames queued for him).
    b.send_frame(&frame(FrameType::Leave)).await;
    while let Some(f) = b.next_within(WAIT).await {
        if f.kind() == Some(FrameType::LeaveAck) {
            break;
        }
    }
    assert_eq!(
        next_events(&mut stream, 1).await,
        [named("chime:AttendeeLeft", b_id)]
    );
    second.drop_connection().await;
    assert_eq!(
        next_events(&mut stream, 1).await,
        [named("chime:AttendeeDropped", a_id)]
    );

    // The control plane takes carol out: deleted, then her session left.
    let _c = Client::join_audio(server.addr, &meeting, &carol).await;
    assert_eq!(
        next_events(&mut stream, 1).await,
        [named("chime:AttendeeJoined", c_id)]
    );
    api.delete_attendee()
        .meeting_id(id)
        .attendee_id(c_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        next_events(&mut stream, 2).await,
        [
            named("chime:AttendeeDeleted", c_id),
            named("chime:AttendeeLeft", c_id)
        ]
    );
    assert!(
        stream.next(Duration::from_millis(500)).await.is_none(),
        "nothing more"
    );
}

#[tokio::test]
async fn a_session_event_carries_the_documented_detail() {
    let server = server();
    let (meeting, [alice]) = meeting_with(&server, ["alice@example.com"]).await;
    let id = meeting.meeting_id().unwrap();
    let mut stream = EventStream::open(
        &server,
        &format!("meeting_id={id}&name=chime:AttendeeJoined"),
        None,
    )
    .await;
    let _a = Client::join_audio(server.addr, &meeting, &alice).await;
    let e = stream.next(WAIT).await.expect("AttendeeJoined");
    assert_eq!(e.event, "meeting");
    let envelope = &e.data["event"];
    assert_eq!(envelope["source"], "aws.chime");
    assert_eq!(envelope["detail-type"], "Chime Meeting State Change");
    assert_eq!(envelope["account"], ACCOUNT_ID);
    assert_eq!(envelope["region"], "us-east-1");
    let detail = &envelope["detail"];
    // The members in the documented order, as sent.
    let detail_text = &e.raw[e.raw.find("\"detail\":").unwrap()..];
    let at = |key: &str| detail_text.find(&format!("\"{key}\":")).unwrap();
    let keys = [
        "version",
        "eventType",
        "timestamp",
        "meetingId",
        "attendeeId",
        "externalUserId",
        "networkType",
        "externalMeetingId",
        "mediaRegion",
    ];
    let positions: Vec<usize> = keys.iter().map(|k| at(k)).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{}", e.raw);
    assert_eq!(detail["eventType"], "chime:AttendeeJoined");
    assert_eq!(detail["attendeeId"], alice.attendee_id().unwrap());
    assert_eq!(detail["externalUserId"], "alice@example.com");
    assert_eq!(detail["networkType"], "Voip");
    assert_eq!(detail["meetingId"], id);
    assert_eq!(detail["mediaRegion"], meeting.media_region().unwrap());
    assert_eq!(
        detail["externalMeetingId"],
        meeting.external_meeting_id().unwrap()
    );
    assert!(detail["timestamp"].as_i64().unwrap() > 1_700_000_000_000);
}

/// What the SDK posts: one batch, two events.
fn batch(meeting_id: &str, attendee_id: &str) -> Value {
    json!({
        "metadata": {"type": "Meet", "v": 1, "meetingId": meeting_id, "attendeeId": attendee_id,
                     "browserName": "Chrome"},
        "events": [{"type": "Meet", "v": 1, "payloads": [
            {"name": "meetingStartRequested", "ts": 1_765_000_000_000_i64},
            {"name": "meetingStartSucceeded", "ts": 1_765_000_001_500_i64, "maxVideoTileCount": 0}
        ]}]
    })
}

async fn post_events(server: &Server, query: &str, token: Option<&str>, body: &Value) -> u16 {
    let mut request =
        RawRequest::new("POST", &format!("/v1/client-events{query}")).json_body(&body.to_string());
    if let Some(token) = token {
        request = request.header("authorization", &format!("Bearer {token}"));
    }
    let response = send_http(server.addr, &request).await;
    assert_eq!(response.header("access-control-allow-origin"), Some("*"));
    response.status
}

#[tokio::test]
async fn client_events_are_logged_for_the_attendee_whose_token_sent_them() {
    let server = server();
    let (meeting, [alice]) = meeting_with(&server, ["alice"]).await;
    let (_, [mallory]) = meeting_with(&server, ["mallory"]).await;
    let id = meeting.meeting_id().unwrap();
    let a_id = alice.attendee_id().unwrap();
    let mut stream =
        EventStream::open(&server, &format!("meeting_id={id}&source=client"), None).await;

    let token = alice.join_token().unwrap();
    assert_eq!(
        post_events(&server, "", Some(token), &batch(id, a_id)).await,
        200
    );
    let got = next_events(&mut stream, 2).await;
    assert_eq!(
        got,
        [
            named("meetingStartRequested", a_id),
            named("meetingStartSucceeded", a_id)
        ]
    );
    // Another meeting's attendee, a made-up token, none: refused, nothing logged.
    let theirs = mallory.join_token().unwrap();
    assert_eq!(
        post_events(&server, "", Some(theirs), &batch(id, a_id)).await,
        401
    );
    let forged = "bm90LWEtdG9rZW46eA";
    assert_eq!(
        post_events(&server, "", Some(forged), &batch(id, a_id)).await,
        401
    );
    assert_eq!(post_events(&server, "", None, &batch(id, a_id)).await, 401);
    // A beacon carries its token in the body.
    let mut beacon = batch(id, a_id);
    beacon["authorization"] = json!(token);
    beacon["events"][0]["payloads"] =
        json!([{"name": "meetingEnded", "ts": 1_765_000_009_000_i64}]);
    assert_eq!(post_events(&server, "?beacon=1", None, &beacon).await, 200);
    let e = stream.next(WAIT).await.expect("the beacon's event");
    assert_eq!(e.data["name"], "meetingEnded");
    assert_eq!(e.data["atMs"], 1_765_000_009_000_i64);
    assert_eq!(e.data["event"]["attendeeId"], a_id);
    assert!(stream.next(Duration::from_millis(300)).await.is_none());

    // Bounds: a malformed batch, too large a body, then the rate.
    let bad = json!({"metadata": {"meetingId": id}, "events": [{"payloads": [{"ts": 1}]}]});
    assert_eq!(post_events(&server, "", Some(token), &bad).await, 400);
    let huge = json!({"metadata": {"meetingId": id}, "pad": "x".repeat(70 * 1024)});
    assert_eq!(post_events(&server, "", Some(token), &huge).await, 413);
    let mut statuses = Vec::new();
    for _ in 0..30 {
        let empty = json!({"metadata": {"meetingId": id}, "events": []});
        statuses.push(post_events(&server, "", Some(token), &empty).await);
    }
    assert!(statuses.contains(&429), "{statuses:?}");
}

#[tokio::test]
async fn an_operator_marks_an_attendee_present_without_a_session() {
    let server = Server::start(Options::in_memory().admin().lifecycle("2s", "off"));
    let api = server.client();
    let (meeting, [alice]) = meeting_with(&server, ["alice"]).await;
    let id = meeting.meeting_id().unwrap();
    let a_id = alice.attendee_id().unwrap();
    let path = |attendee: &str| format!("/v1/meetings/{id}/attendees/{attendee}/presence");
    let mut stream = EventStream::open(
        &server,
        &format!("meeting_id={id}&name=chime:AttendeeJoined"),
        None,
    )
    .await;

    let joined = r#"{"state":"joined"}"#;
    let (status, body) = admin(&server, "POST", &path(a_id), Some(joined)).await;
    assert_eq!((status, body), (200, json!({"changed": true})));
    let (_, again) = admin(&server, "POST", &path(a_id), Some(joined)).await;
    assert_eq!(again, json!({"changed": false}));
    let e = stream.next(WAIT).await.expect("AttendeeJoined");
    assert_eq!(e.data["event"]["detail"]["attendeeId"], a_id);

    // Marked present, the meeting outlives its idle timeout.
    let until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < until {
        assert!(!meeting_ended(&api, id).await, "ended while marked present");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let left = r#"{"state":"left"}"#;
    let vacated = Instant::now();
    let (status, body) = admin(&server, "POST", &path(a_id), Some(left)).await;
    assert_eq!((status, body), (200, json!({"changed": true})));
    let took = meeting_ends_within(&api, id, vacated, Duration::from_secs(10)).await;
    assert!(
        took >= Duration::from_secs(2),
        "ended {took:?} after the mark"
    );

    let (status, _) = admin(&server, "POST", &path(a_id), Some(joined)).await;
    assert_eq!(status, 404, "the meeting ended");
    let (status, _) = admin(
        &server,
        "POST",
        &path("nobody"),
        Some(r#"{"state":"gone"}"#),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn the_admin_listener_wants_its_token_and_is_not_on_the_api_port() {
    let server = server();
    let admin_addr = server.admin_addr.unwrap();
    for token in [None, Some("wrong"), Some("test-admin-tokenx"), Some("")] {
        let mut request = RawRequest::new("GET", "/v1/events");
        if let Some(token) = token {
            request = request.header("authorization", &format!("Bearer {token}"));
        }
        let response = send_http(admin_addr, &request).await;
        assert_eq!(response.status, 401, "{token:?}");
        assert_eq!(response.header("www-authenticate"), Some("Bearer"));
    }
    let (status, page) = admin(&server, "GET", "/v1/events?limit=5", None).await;
    assert_eq!(status, 200);
    assert!(page["events"].is_array() && page["next"].is_string());
    let on_api = server
        .send(
            &RawRequest::new("GET", "/v1/events")
                .header("authorization", &format!("Bearer {ADMIN_TOKEN}")),
        )
        .await;
    assert_ne!(
        on_api.status, 200,
        "the admin routes are not on the API's port"
    );
}
