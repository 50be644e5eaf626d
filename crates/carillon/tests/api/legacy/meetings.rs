//! Legacy meeting operations: CreateMeeting, CreateMeetingWithAttendees, GetMeeting,
//! DeleteMeeting, ListMeetings, StartMeetingTranscription, StopMeetingTranscription.

use std::collections::HashSet;

use serde_json::{json, Value};

use super::support::*;
use carillon_testkit::*;

#[tokio::test]
async fn create_meeting_needs_only_a_token_and_answers_201_in_the_legacy_shape() {
    let server = shared_server();
    let r = server
        .legacy_signed(
            "POST",
            "/meetings",
            &json!({"ClientRequestToken": unique("tok")}).to_string(),
        )
        .await;
    let out = expect_status(&r, 201);
    assert_eq!(keys(&out), ["Meeting"], "{out}");
    let meeting = &out["Meeting"];
    assert_legacy_meeting(meeting);
    assert_eq!(
        meeting["MediaRegion"], "us-east-1",
        "the documented default"
    );
    assert!(meeting.get("ExternalMeetingId").is_none(), "{meeting}");

    // Every input member set: still only the legacy output members.
    let external = unique("ext");
    let body = json!({
        "ClientRequestToken": unique("tok"),
        "ExternalMeetingId": external,
        "MeetingHostId": "legacy-host",
        "MediaRegion": "eu-west-2",
        "Tags": tags_json(&[("team", "blue"), ("cost", "42")]),
        "NotificationsConfiguration": {
            "SnsTopicArn": "arn:aws:sns:us-east-1:123456789012:meeting-events",
            "SqsQueueArn": "arn:aws:sqs:us-east-1:123456789012:meeting-events"
        }
    });
    let meeting = new_meeting_from(&server, &body).await;
    assert_eq!(meeting["ExternalMeetingId"], external.as_str());
    assert_eq!(meeting["MediaRegion"], "eu-west-2");
    for absent in [
        "MeetingArn",
        "MeetingFeatures",
        "MeetingHostId",
        "PrimaryMeetingId",
        "TenantIds",
    ] {
        assert!(meeting.get(absent).is_none(), "{absent} in {meeting}");
    }
    let id = id_of(&meeting);
    assert_eq!(
        meeting_tags(&server, &id).await,
        owned(&[("team", "blue"), ("cost", "42")])
    );
}

#[tokio::test]
async fn create_meeting_validates_its_input() {
    let server = shared_server();
    let cases = [
        (
            "no token",
            json!({"ExternalMeetingId": "ext-1"}),
            "ClientRequestToken",
        ),
        (
            "short token",
            json!({"ClientRequestToken": "t"}),
            "ClientRequestToken",
        ),
        (
            "token pattern",
            json!({"ClientRequestToken": "has space"}),
            "ClientRequestToken",
        ),
        (
            "short ExternalMeetingId",
            json!({"ClientRequestToken": unique("tok"), "ExternalMeetingId": "e"}),
            "ExternalMeetingId",
        ),
        (
            "51 tags",
            json!({"ClientRequestToken": unique("tok"), "Tags": many_tags("k", 51)}),
            "Tags",
        ),
        (
            "empty tag value",
            json!({"ClientRequestToken": unique("tok"), "Tags": tags_json(&[("k", "")])}),
            "Value",
        ),
        (
            "tag without value",
            json!({"ClientRequestToken": unique("tok"), "Tags": [{"Key": "k"}]}),
            "Value",
        ),
    ];
    for (what, body, member) in cases {
        let r = server
            .legacy_signed("POST", "/meetings", &body.to_string())
            .await;
        r.assert_error(400, "BadRequestException");
        assert!(r.message().contains(member), "{what}: {}", r.text());
    }
    // Not JSON at all.
    let r = server.legacy_signed("POST", "/meetings", "{not json").await;
    r.assert_error(400, "BadRequestException");
}

#[tokio::test]
async fn a_client_request_token_names_one_meeting() {
    let server = shared_server();
    let token = unique("tok");
    let first = new_meeting_from(&server, &json!({"ClientRequestToken": token})).await;
    let again = new_meeting_from(
        &server,
        &json!({"ClientRequestToken": token, "ExternalMeetingId": "other", "MediaRegion": "us-west-2"}),
    )
    .await;
    assert_eq!(again, first, "a replay returns the original meeting");
    let other = new_meeting_from(&server, &json!({"ClientRequestToken": unique("tok")})).await;
    assert_ne!(id_of(&other), id_of(&first));
}

#[tokio::test]
async fn get_and_delete_meeting() {
    let server = shared_server();
    let meeting = new_meeting_from(
        &server,
        &json!({"ClientRequestToken": unique("tok"), "ExternalMeetingId": unique("ext")}),
    )
    .await;
    let id = id_of(&meeting);

    let r = server
        .legacy_signed("GET", &format!("/meetings/{id}"), "")
        .await;
    let out = expect_status(&r, 200);
    assert_eq!(out, json!({ "Meeting": meeting }));
    // Ids in paths are matched whatever their case.
    let r = server
        .legacy_signed("GET", &format!("/meetings/{}", id.to_uppercase()), "")
        .await;
    assert_eq!(expect_status(&r, 200)["Meeting"]["MeetingId"], id.as_str());

    let r = server
        .legacy_signed("DELETE", &format!("/meetings/{id}"), "")
        .await;
    expect_no_content(&r);

    let gone = meeting_not_found(&id);
    for (method, path, body) in [
        ("GET", format!("/meetings/{id}"), ""),
        ("DELETE", format!("/meetings/{id}"), ""),
        (
            "POST",
            format!("/meetings/{id}/attendees"),
            r#"{"ExternalUserId":"late-user"}"#,
        ),
        (
            "POST",
            format!("/meetings/{id}/attendees?operation=batch-create"),
            r#"{"Attendees":[{"ExternalUserId":"late-user"}]}"#,
        ),
        ("GET", format!("/meetings/{id}/attendees"), ""),
        ("GET", format!("/meetings/{id}/tags"), ""),
        (
            "POST",
            format!("/meetings/{id}/tags?operation=add"),
            r#"{"Tags":[{"Key":"k","Value":"v"}]}"#,
        ),
    ] {
        let r = server.legacy_signed(method, &path, body).await;
        expect_not_found(&r, &gone);
    }

    let unknown = unknown_guid();
    let r = server
        .legacy_signed("GET", &format!("/meetings/{unknown}"), "")
        .await;
    expect_not_found(&r, &meeting_not_found(&unknown));
    let r = server
        .legacy_signed("DELETE", &format!("/meetings/{unknown}"), "")
        .await;
    expect_not_found(&r, &meeting_not_found(&unknown));
    let r = server
        .legacy_signed("GET", "/meetings/not-a-guid", "")
        .await;
    r.assert_error(400, "BadRequestException");
    let r = server
        .legacy_signed("DELETE", "/meetings/not-a-guid", "")
        .await;
    r.assert_error(400, "BadRequestException");
}

#[tokio::test]
async fn create_meeting_with_attendees_answers_201() {
    let server = shared_server();
    let token = unique("tok");
    let body = json!({
        "ClientRequestToken": token,
        "Attendees": [
            {"ExternalUserId": "cmwa-host", "Tags": tags_json(&[("role", "host")])},
            {"ExternalUserId": "cmwa-guest"}
        ]
    });
    let r = server
        .legacy_signed(
            "POST",
            "/meetings?operation=create-attendees",
            &body.to_string(),
        )
        .await;
    let out = expect_status(&r, 201);
    assert_members_within(&out, &["Meeting", "Attendees", "Errors"]);
    let id = assert_legacy_meeting(&out["Meeting"]);
    assert_eq!(out["Meeting"]["MediaRegion"], "us-east-1");
    assert_eq!(out["Errors"], json!([]), "{out}");
    let attendees = out["Attendees"].as_array().expect("Attendees");
    let names: Vec<&str> = attendees
        .iter()
        .map(|a| a["ExternalUserId"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cmwa-host", "cmwa-guest"]);
    let ids: Vec<String> = attendees.iter().map(assert_legacy_attendee).collect();

    // The attendees are in the meeting, with the tags of their items.
    assert_eq!(&all_attendees(&server, &id, 99).await, attendees);
    assert_eq!(
        attendee_tags(&server, &id, &ids[0]).await,
        owned(&[("role", "host")])
    );
    assert_eq!(attendee_tags(&server, &id, &ids[1]).await, owned(&[]));

    // A replay returns the same meeting and the same attendees.
    let r = server
        .legacy_signed(
            "POST",
            "/meetings?operation=create-attendees",
            &body.to_string(),
        )
        .await;
    let again = expect_status(&r, 201);
    assert_eq!(again["Meeting"], out["Meeting"]);
    assert_eq!(again["Attendees"], out["Attendees"]);

    // Ten attendees is the most.
    let items = |n: usize| -> Vec<Value> {
        (0..n)
            .map(|i| json!({"ExternalUserId": format!("ten-{i}")}))
            .collect()
    };
    let r = server
        .legacy_signed(
            "POST",
            "/meetings?operation=create-attendees",
            &json!({"ClientRequestToken": unique("tok"), "Attendees": items(10)}).to_string(),
        )
        .await;
    let out = expect_status(&r, 201);
    assert_eq!(out["Attendees"].as_array().map(Vec::len), Some(10));
    for (what, body) in [
        (
            "11 attendees",
            json!({"ClientRequestToken": unique("tok"), "Attendees": items(11)}),
        ),
        (
            "an attendee with 11 tags",
            json!({"ClientRequestToken": unique("tok"), "Attendees": [
                {"ExternalUserId": "tagged", "Tags": many_tags("k", 11)}
            ]}),
        ),
        (
            "an attendee without ExternalUserId",
            json!({"ClientRequestToken": unique("tok"), "Attendees": [{}]}),
        ),
        (
            "no token",
            json!({"Attendees": [{"ExternalUserId": "no-token"}]}),
        ),
    ] {
        let r = server
            .legacy_signed(
                "POST",
                "/meetings?operation=create-attendees",
                &body.to_string(),
            )
            .await;
        r.assert_error(400, "BadRequestException");
        assert!(!r.message().is_empty(), "{what}");
    }
}

/// Lists every meeting with this page size, as the given signer; asserts the page shape.
async fn list_meetings_as(server: &Server, signing: &Signing, page_size: u32) -> Vec<Value> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut path = format!("/meetings?max-results={page_size}");
        if let Some(t) = &token {
            path.push_str(&format!("&next-token={}", percent_encode(t)));
        }
        let r = server
            .signed_as(Api::Legacy, signing, "GET", &path, "")
            .await;
        let page = expect_status(&r, 200);
        assert_members_within(&page, &["Meetings", "NextToken"]);
        let meetings = page["Meetings"].as_array().expect("Meetings");
        assert!(meetings.len() <= page_size as usize, "{page}");
        all.extend(meetings.iter().cloned());
        match page["NextToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => return all,
        }
    }
}

fn ids(meetings: &[Value]) -> Vec<String> {
    meetings.iter().map(id_of).collect()
}

fn assert_each_once(listed: &[String], expected: &[String]) {
    let unique: HashSet<&String> = listed.iter().collect();
    assert_eq!(unique.len(), listed.len(), "listed twice: {listed:?}");
    let expected: HashSet<&String> = expected.iter().collect();
    assert_eq!(unique, expected);
}

#[tokio::test]
async fn list_meetings_pages_through_the_active_meetings_of_the_caller() {
    // A server of its own, so that exactly these meetings exist.
    let server = Server::start(Options::in_memory().with_second_account());
    let second = Signing {
        access_key_id: SECOND_ACCESS_KEY_ID.into(),
        secret_access_key: SECOND_SECRET_ACCESS_KEY.into(),
        ..Signing::default()
    };

    let r = server.legacy_signed("GET", "/meetings", "").await;
    assert_eq!(expect_status(&r, 200)["Meetings"], json!([]));

    let mut mine = Vec::new();
    for _ in 0..7 {
        mine.push(new_meeting(&server).await);
    }
    for id in [mine.remove(1), mine.remove(3)] {
        let r = server
            .legacy_signed("DELETE", &format!("/meetings/{id}"), "")
            .await;
        expect_no_content(&r);
    }
    // Neither a current-API meeting of the same account nor another account's meetings.
    let current = create_meeting(&server.client()).await;
    let mut theirs = Vec::new();
    for _ in 0..2 {
        let r = server
            .signed_as(
                Api::Legacy,
                &second,
                "POST",
                "/meetings",
                &json!({"ClientRequestToken": unique("tok")}).to_string(),
            )
            .await;
        theirs.push(id_of(&expect_status(&r, 201)["Meeting"]));
    }

    // One page without MaxResults, in the legacy shape, equal to GetMeeting.
    let r = server.legacy_signed("GET", "/meetings", "").await;
    let page = expect_status(&r, 200);
    assert_eq!(
        keys(&page),
        ["Meetings"],
        "no NextToken on the last page: {page}"
    );
    let listed = page["Meetings"].as_array().unwrap().clone();
    assert_each_once(&ids(&listed), &mine);
    for meeting in &listed {
        let id = assert_legacy_meeting(meeting);
        let r = server
            .legacy_signed("GET", &format!("/meetings/{id}"), "")
            .await;
        assert_eq!(&expect_status(&r, 200)["Meeting"], meeting);
    }
    assert!(!ids(&listed).contains(&current.meeting_id.clone().unwrap()));

    // Small pages: each meeting exactly once.
    for size in [1, 2, 4, 5, 99] {
        let listed = list_meetings_as(&server, &Signing::default(), size).await;
        assert_each_once(&ids(&listed), &mine);
    }
    let listed = list_meetings_as(&server, &second, 1).await;
    assert_each_once(&ids(&listed), &theirs);

    // Meetings created or deleted while paging: the deleted one is not listed, the new one is
    // listed once, the others once.
    let r = server
        .legacy_signed("GET", "/meetings?max-results=2", "")
        .await;
    let first = expect_status(&r, 200);
    let mut seen = ids(first["Meetings"].as_array().unwrap());
    assert_eq!(seen.len(), 2);
    let token = first["NextToken"].as_str().expect("NextToken").to_string();
    let doomed = mine.iter().find(|id| !seen.contains(id)).unwrap().clone();
    let r = server
        .legacy_signed("DELETE", &format!("/meetings/{doomed}"), "")
        .await;
    expect_no_content(&r);
    let added = new_meeting(&server).await;
    let mut next = Some(token);
    while let Some(t) = next {
        let r = server
            .legacy_signed(
                "GET",
                &format!("/meetings?max-results=2&next-token={}", percent_encode(&t)),
                "",
            )
            .await;
        let page = expect_status(&r, 200);
        seen.extend(ids(page["Meetings"].as_array().unwrap()));
        next = page["NextToken"].as_str().map(str::to_string);
    }
    mine.retain(|id| *id != doomed);
    mine.push(added);
    assert_each_once(&seen, &mine);

    // MaxResults is 1..99; a made-up NextToken is refused.
    for query in ["max-results=0", "max-results=100", "max-results=abc"] {
        let r = server
            .legacy_signed("GET", &format!("/meetings?{query}"), "")
            .await;
        r.assert_error(400, "BadRequestException");
    }
    let r = server
        .legacy_signed("GET", "/meetings?next-token=not-a-token", "")
        .await;
    r.assert_error(400, "BadRequestException");
}

#[tokio::test]
async fn transcription_starts_and_stops() {
    let server = shared_server();
    let id = new_meeting(&server).await;
    let start = json!({"TranscriptionConfiguration": {"EngineTranscribeSettings": {"LanguageCode": "en-US"}}});
    let r = server
        .legacy_signed(
            "POST",
            &format!("/meetings/{id}/transcription?operation=start"),
            &start.to_string(),
        )
        .await;
    let out = expect_status(&r, 200);
    assert!(out.is_null() || out == json!({}), "{out}");
    let r = server
        .legacy_signed(
            "POST",
            &format!("/meetings/{id}/transcription?operation=stop"),
            "",
        )
        .await;
    let out = expect_status(&r, 200);
    assert!(out.is_null() || out == json!({}), "{out}");

    for body in [
        json!({}),
        // The legacy TranscribeRegion enum has no us-gov-west-1.
        json!({"TranscriptionConfiguration": {"EngineTranscribeSettings": {"LanguageCode": "en-US", "Region": "us-gov-west-1"}}}),
    ] {
        let r = server
            .legacy_signed(
                "POST",
                &format!("/meetings/{id}/transcription?operation=start"),
                &body.to_string(),
            )
            .await;
        r.assert_error(400, "BadRequestException");
    }

    let unknown = unknown_guid();
    let r = server
        .legacy_signed(
            "POST",
            &format!("/meetings/{unknown}/transcription?operation=start"),
            &start.to_string(),
        )
        .await;
    expect_not_found(&r, &meeting_not_found(&unknown));
    let r = server
        .legacy_signed(
            "POST",
            &format!("/meetings/{unknown}/transcription?operation=stop"),
            "",
        )
        .await;
    expect_not_found(&r, &meeting_not_found(&unknown));
}
