//! The meeting lifecycle as AWS runs it, with short timeouts: a meeting nobody joins ends after
//! the idle timeout, every meeting ends after the maximum duration, replicas end with their
//! primary, meetings of both APIs alike, and a meeting that expired while the server was down
//! is ended before the first request is served. (The rules at exact instants, and presence, are
//! the storage conformance suite's and the signaling tests'.)

use std::time::{Duration, Instant};

use aws_sdk_chimesdkmeetings::operation::create_attendee::CreateAttendeeError;
use carillon_testkit::*;
use serde_json::json;

fn with_lifecycle(options: Options, idle: &str, max: &str) -> Server {
    Server::start(options.lifecycle(idle, max))
}

#[tokio::test]
async fn a_meeting_nobody_joins_ends_after_the_idle_timeout() {
    let server = with_lifecycle(Options::in_memory(), "1s", "off");
    let client = server.client();
    let created = Instant::now();
    let meeting_id = create_meeting(&client).await.meeting_id.unwrap();
    let attendee = create_attendee(&client, &meeting_id, &unique("early")).await;
    assert!(attendee.attendee_id.is_some());
    assert!(!meeting_ended(&client, &meeting_id).await, "ended at once");

    let took = meeting_ends_within(&client, &meeting_id, created, Duration::from_secs(10)).await;
    assert!(
        took >= Duration::from_secs(1),
        "ended after {took:?}, before its idle timeout"
    );
    // An ended meeting is a deleted one: no new attendee, the old ones gone.
    let refused = client
        .create_attendee()
        .meeting_id(&meeting_id)
        .external_user_id(unique("late"))
        .send()
        .await
        .expect_err("CreateAttendee on an ended meeting");
    assert!(
        matches!(
            refused.into_service_error(),
            CreateAttendeeError::NotFoundException(_)
        ),
        "CreateAttendee on an ended meeting"
    );
}

#[tokio::test]
async fn every_meeting_ends_after_the_maximum_duration_and_replicas_with_their_primary() {
    let server = with_lifecycle(Options::in_memory(), "off", "2s");
    let client = server.client();
    let created = Instant::now();
    let primary = create_meeting(&client).await.meeting_id.unwrap();
    let replica = create_meeting_request(&client)
        .primary_meeting_id(&primary)
        .send()
        .await
        .expect("a replica")
        .meeting
        .and_then(|m| m.meeting_id)
        .unwrap();
    // Idle off: nobody joining changes nothing before the maximum duration.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(!meeting_ended(&client, &primary).await);
    assert!(!meeting_ended(&client, &replica).await);

    let took = meeting_ends_within(&client, &primary, created, Duration::from_secs(10)).await;
    assert!(took >= Duration::from_secs(2), "ended after {took:?}");
    assert!(
        meeting_ended(&client, &replica).await,
        "the replica outlived its primary"
    );
}

#[tokio::test]
async fn legacy_meetings_end_alike() {
    let server = with_lifecycle(Options::in_memory(), "1s", "off");
    let created = Instant::now();
    let r = server
        .legacy_signed(
            "POST",
            "/meetings",
            &json!({"ClientRequestToken": unique("tok")}).to_string(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let meeting_id = r.json()["Meeting"]["MeetingId"]
        .as_str()
        .expect("a MeetingId")
        .to_owned();
    loop {
        let r = server
            .legacy_signed("GET", &format!("/meetings/{meeting_id}"), "")
            .await;
        match r.status {
            200 => assert!(created.elapsed() < Duration::from_secs(10), "still active"),
            404 => break,
            other => panic!("legacy GetMeeting answered {other}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(created.elapsed() >= Duration::from_secs(1));
}

#[tokio::test]
async fn a_meeting_that_expired_while_the_server_was_down_is_ended_at_start() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let first = with_lifecycle(Options::data_dir(dir.path()), "2s", "off");
    let client = first.client();
    let meeting_id = create_meeting(&client).await.meeting_id.unwrap();
    first.kill();
    tokio::time::sleep(Duration::from_millis(2500)).await;

    let second = with_lifecycle(Options::data_dir(dir.path()), "2s", "off");
    // The first request after the ready line already finds it ended.
    assert!(meeting_ended(&second.client(), &meeting_id).await);

    // With the rules off, nothing ends.
    let meeting_id = create_meeting(&second.client()).await.meeting_id.unwrap();
    second.kill();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let third = with_lifecycle(Options::data_dir(dir.path()), "off", "off");
    assert!(!meeting_ended(&third.client(), &meeting_id).await);
}

#[tokio::test]
async fn an_account_can_have_rules_of_its_own() {
    let server = with_lifecycle(
        Options::in_memory()
            .with_second_account()
            .arg("--account-lifecycle")
            .arg(&format!("{SECOND_ACCOUNT_ID}=1s/off")),
        "off",
        "off",
    );
    let (first, second) = (server.client(), server.second_client());
    let created = Instant::now();
    let kept = create_meeting(&first).await.meeting_id.unwrap();
    let expiring = create_meeting(&second).await.meeting_id.unwrap();
    let took = meeting_ends_within(&second, &expiring, created, Duration::from_secs(10)).await;
    assert!(took >= Duration::from_secs(1), "ended after {took:?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !meeting_ended(&first, &kept).await,
        "the first account's meeting ended too"
    );
}
