//! The legacy `chime` meeting API emits the same event forms as the current one, without the
//! capabilities event (that API has no capabilities).

use carillon_testkit::*;
use serde_json::{json, Value};

use crate::envelope::Expect;
use crate::hook::Hook;
use crate::{all_delivered, assert_in_order_per_meeting, assert_received, with_hook, PATIENCE};

async fn legacy(server: &Server, method: &str, path: &str, body: Value, status: u16) -> Value {
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let r = server.legacy_signed(method, path, &body).await;
    assert_eq!(r.status, status, "{method} {path}: {}", r.text());
    if r.body.is_empty() {
        Value::Null
    } else {
        r.json()
    }
}

#[tokio::test]
async fn legacy_meetings_emit_the_same_forms() {
    let hook = Hook::start().await;
    let server = Server::start(with_hook(Options::in_memory(), &hook.url()));

    // Without ExternalMeetingId (legacy allows it) nor MediaRegion (legacy defaults it).
    let created = legacy(
        &server,
        "POST",
        "/meetings",
        json!({"ClientRequestToken": unique("tok")}),
        201,
    )
    .await;
    let id = created["Meeting"]["MeetingId"].as_str().unwrap().to_owned();
    let m = Expect {
        region: REGION.into(),
        meeting_id: id.clone(),
        external_meeting_id: None,
        media_region: "us-east-1".into(),
        ..Expect::default()
    };
    let mut expected = vec![Expect::meeting("chime:MeetingStarted", &m)];

    let one = legacy(
        &server,
        "POST",
        &format!("/meetings/{id}/attendees"),
        json!({"ExternalUserId": "legacy-alice"}),
        201,
    )
    .await;
    let alice = one["Attendee"]["AttendeeId"].as_str().unwrap().to_owned();
    expected.push(Expect::attendee(
        "chime:AttendeeAdded",
        &m,
        &alice,
        "legacy-alice",
    ));
    let batch = legacy(
        &server,
        "POST",
        &format!("/meetings/{id}/attendees?operation=batch-create"),
        json!({"Attendees": [{"ExternalUserId": "legacy-bob"}, {"ExternalUserId": "legacy-alice"}]}),
        201,
    )
    .await;
    let attendees = batch["Attendees"].as_array().unwrap();
    assert_eq!(attendees.len(), 2, "{batch}");
    let bob = attendees[0]["AttendeeId"].as_str().unwrap().to_owned();
    assert_eq!(attendees[1]["AttendeeId"], alice.as_str(), "alice again");
    expected.push(Expect::attendee(
        "chime:AttendeeAdded",
        &m,
        &bob,
        "legacy-bob",
    ));
    legacy(
        &server,
        "DELETE",
        &format!("/meetings/{id}/attendees/{bob}"),
        Value::Null,
        204,
    )
    .await;
    expected.push(Expect::attendee(
        "chime:AttendeeDeleted",
        &m,
        &bob,
        "legacy-bob",
    ));
    legacy(
        &server,
        "DELETE",
        &format!("/meetings/{id}"),
        Value::Null,
        204,
    )
    .await;
    expected.push(Expect::meeting("chime:MeetingEnded", &m));

    // With an ExternalMeetingId and a MediaRegion of its own.
    let created = legacy(
        &server,
        "POST",
        "/meetings",
        json!({"ClientRequestToken": unique("tok"), "ExternalMeetingId": "legacy-ext",
               "MediaRegion": "eu-west-1"}),
        201,
    )
    .await;
    let second = created["Meeting"]["MeetingId"].as_str().unwrap().to_owned();
    let m2 = Expect {
        meeting_id: second,
        external_meeting_id: Some("legacy-ext".into()),
        media_region: "eu-west-1".into(),
        ..m.clone()
    };
    expected.push(Expect::meeting("chime:MeetingStarted", &m2));

    let log = all_delivered(&server, &hook, PATIENCE).await;
    assert_in_order_per_meeting(&hook, &log);
    let names: Vec<&str> = log.iter().map(|e| e.name.as_str()).collect();
    let want: Vec<&str> = expected.iter().map(|e| e.event_type).collect();
    assert_eq!(names, want, "one meeting after the other, each in order");
    assert!(!names.contains(&"chime:AttendeeCapabilitiesUpdated"));
    assert_received(&hook, &expected);
}
