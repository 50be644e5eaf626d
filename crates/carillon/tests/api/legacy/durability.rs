//! Legacy meetings, attendees and tags survive a graceful restart and a crash on the same data
//! directory, and stay apart from the current API's meetings.

use aws_sdk_chimesdkmeetings::operation::get_meeting::GetMeetingError;
use serde_json::{json, Value};

use super::support::*;
use carillon_testkit::expect_err;
use carillon_testkit::*;

/// What was written through the legacy API, to compare after a restart.
struct Written {
    token: String,
    meeting: Value,
    attendees: Vec<Value>,
    /// (AttendeeId, its tags).
    attendee_tags: Vec<(String, Vec<(String, String)>)>,
    meeting_tags: Vec<(String, String)>,
    deleted_attendee: String,
    ended_meeting: String,
    ended_token: String,
    /// A current-API meeting made with the same ClientRequestToken as `meeting`.
    current_twin: String,
}

fn without_placement(meeting: &Value) -> Value {
    let mut m = meeting.clone();
    m.as_object_mut().unwrap().remove("MediaPlacement");
    m
}

async fn write(server: &Server) -> Written {
    let token = unique("durable");
    let meeting = new_meeting_from(
        server,
        &json!({
            "ClientRequestToken": token,
            "ExternalMeetingId": "durable-legacy",
            "MediaRegion": "eu-central-1",
            "Tags": tags_json(&[("at", "create")]),
        }),
    )
    .await;
    let id = id_of(&meeting);

    let mut attendees = vec![
        new_attendee_from(
            server,
            &id,
            &json!({"ExternalUserId": "durable-0", "Tags": tags_json(&[("role", "host"), ("drop", "me")])}),
        )
        .await,
    ];
    let r = server
        .legacy_signed(
            "POST",
            &format!("/meetings/{id}/attendees?operation=batch-create"),
            &json!({"Attendees": [
                {"ExternalUserId": "durable-1"},
                {"ExternalUserId": "durable-2", "Tags": tags_json(&[("seat", "2")])}
            ]})
            .to_string(),
        )
        .await;
    attendees.extend(
        expect_status(&r, 201)["Attendees"]
            .as_array()
            .unwrap()
            .iter()
            .cloned(),
    );
    let ids: Vec<String> = attendees.iter().map(attendee_id_of).collect();

    // Later changes: attendee tags added and removed, one attendee deleted, meeting tags changed.
    let r = server
        .legacy_signed(
            "POST",
            &format!("/meetings/{id}/attendees/{}/tags?operation=add", ids[0]),
            &json!({"Tags": tags_json(&[("lang", "de")])}).to_string(),
        )
        .await;
    expect_no_content(&r);
    let r = server
        .legacy_signed(
            "POST",
            &format!("/meetings/{id}/attendees/{}/tags?operation=delete", ids[0]),
            &json!({"TagKeys": ["drop"]}).to_string(),
        )
        .await;
    expect_no_content(&r);
    let r = server
        .legacy_signed(
            "DELETE",
            &format!("/meetings/{id}/attendees/{}", ids[1]),
            "",
        )
        .await;
    expect_no_content(&r);
    let deleted_attendee = ids[1].clone();
    attendees.remove(1);
    let r = server
        .legacy_signed(
            "POST",
            &format!("/meetings/{id}/tags?operation=add"),
            &json!({"Tags": tags_json(&[("later", "tagged")])}).to_string(),
        )
        .await;
    expect_no_content(&r);

    let ended_token = unique("ended");
    let ended_meeting =
        id_of(&new_meeting_from(server, &json!({ "ClientRequestToken": ended_token })).await);
    let r = server
        .legacy_signed("DELETE", &format!("/meetings/{ended_meeting}"), "")
        .await;
    expect_no_content(&r);

    let current_twin = server
        .client()
        .create_meeting()
        .client_request_token(&token)
        .media_region(REGION)
        .external_meeting_id("durable-current")
        .send()
        .await
        .expect("CreateMeeting")
        .meeting
        .unwrap()
        .meeting_id
        .unwrap();

    Written {
        token,
        meeting,
        attendee_tags: vec![
            (ids[0].clone(), owned(&[("role", "host"), ("lang", "de")])),
            (ids[2].clone(), owned(&[("seat", "2")])),
        ],
        attendees,
        meeting_tags: owned(&[("at", "create"), ("later", "tagged")]),
        deleted_attendee,
        ended_meeting,
        ended_token,
        current_twin,
    }
}

async fn check(server: &Server, w: &Written) {
    let id = id_of(&w.meeting);
    let r = server
        .legacy_signed("GET", &format!("/meetings/{id}"), "")
        .await;
    let got = expect_status(&r, 200)["Meeting"].clone();
    assert_legacy_meeting(&got);
    // MediaPlacement follows the new server's address; everything else is as created.
    assert_eq!(without_placement(&got), without_placement(&w.meeting));

    // ListMeetings lists it, and not the ended one.
    let r = server.legacy_signed("GET", "/meetings", "").await;
    let listed: Vec<String> = expect_status(&r, 200)["Meetings"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(listed, vec![id.clone()]);

    // The same attendees with the same JoinTokens; the deleted one stays deleted.
    assert_eq!(all_attendees(server, &id, 99).await, w.attendees);
    for a in &w.attendees {
        let r = server
            .legacy_signed(
                "GET",
                &format!("/meetings/{id}/attendees/{}", attendee_id_of(a)),
                "",
            )
            .await;
        assert_eq!(&expect_status(&r, 200)["Attendee"], a);
    }
    let r = server
        .legacy_signed(
            "GET",
            &format!("/meetings/{id}/attendees/{}", w.deleted_attendee),
            "",
        )
        .await;
    expect_not_found(&r, &attendee_not_found(&w.deleted_attendee));
    let r = server
        .legacy_signed(
            "GET",
            &format!("/meetings/{id}/attendees/{}/tags", w.deleted_attendee),
            "",
        )
        .await;
    expect_not_found(&r, &attendee_not_found(&w.deleted_attendee));
    // An ExternalUserId still names its attendee.
    let again = new_attendee(server, &id, "durable-2").await;
    assert_eq!(again, w.attendees[1]);

    // Tags of the attendees and of the meeting.
    for (attendee, tags) in &w.attendee_tags {
        assert_eq!(&attendee_tags(server, &id, attendee).await, tags);
    }
    assert_eq!(meeting_tags(server, &id).await, w.meeting_tags);
    assert_eq!(
        resource_tags(server, &meeting_arn(REGION, ACCOUNT_ID, &id)).await,
        w.meeting_tags
    );

    // ClientRequestTokens still name their meetings, ended or not, in each API.
    let replay = new_meeting_from(server, &json!({"ClientRequestToken": w.token})).await;
    assert_eq!(id_of(&replay), id);
    let replay = new_meeting_from(server, &json!({"ClientRequestToken": w.ended_token})).await;
    assert_eq!(id_of(&replay), w.ended_meeting);
    let r = server
        .legacy_signed("GET", &format!("/meetings/{}", w.ended_meeting), "")
        .await;
    expect_not_found(&r, &meeting_not_found(&w.ended_meeting));
    let client = server.client();
    let twin = client
        .create_meeting()
        .client_request_token(&w.token)
        .media_region(REGION)
        .external_meeting_id("replayed")
        .send()
        .await
        .expect("CreateMeeting")
        .meeting
        .unwrap();
    assert_eq!(twin.meeting_id(), Some(w.current_twin.as_str()));

    // And the APIs are still apart.
    expect_err!(
        client.get_meeting().meeting_id(&id).send().await,
        GetMeetingError::NotFoundException
    );
    let r = server
        .legacy_signed("GET", &format!("/meetings/{}", w.current_twin), "")
        .await;
    expect_not_found(&r, &meeting_not_found(&w.current_twin));
}

#[tokio::test]
async fn legacy_meetings_attendees_and_tags_survive_restarts() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let first = Server::start(Options::data_dir(dir.path()));
    let mut written = write(&first).await;
    let status = first.stop();
    assert!(
        status.success(),
        "carillon did not exit cleanly on SIGTERM: {status}; stderr:\n{}",
        first.stderr()
    );
    drop(first);

    let second = Server::start(Options::data_dir(dir.path()));
    check(&second, &written).await;

    // More changes, then a crash right after their acknowledgement.
    let id = id_of(&written.meeting);
    let (tagged, _) = written.attendee_tags[1].clone();
    let r = second
        .legacy_signed(
            "POST",
            &format!("/meetings/{id}/attendees/{tagged}/tags?operation=add"),
            &json!({"Tags": tags_json(&[("after", "restart")])}).to_string(),
        )
        .await;
    expect_no_content(&r);
    written.attendee_tags[1].1 = owned(&[("seat", "2"), ("after", "restart")]);
    let added = new_attendee_from(
        &second,
        &id,
        &json!({"ExternalUserId": "durable-3", "Tags": tags_json(&[("new", "yes")])}),
    )
    .await;
    written
        .attendee_tags
        .push((attendee_id_of(&added), owned(&[("new", "yes")])));
    written.attendees.push(added);
    second.kill();
    drop(second);

    let third = Server::start(Options::data_dir(dir.path()));
    check(&third, &written).await;

    // Deleting the meeting sticks too.
    let r = third
        .legacy_signed("DELETE", &format!("/meetings/{id}"), "")
        .await;
    expect_no_content(&r);
    let status = third.stop();
    assert!(status.success(), "{status}");
    drop(third);
    let fourth = Server::start(Options::data_dir(dir.path()));
    let r = fourth
        .legacy_signed("GET", &format!("/meetings/{id}"), "")
        .await;
    expect_not_found(&r, &meeting_not_found(&id));
    let r = fourth.legacy_signed("GET", "/meetings", "").await;
    assert_eq!(expect_status(&r, 200)["Meetings"], json!([]));
}
