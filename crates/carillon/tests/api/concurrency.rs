//! Invariants under concurrent requests: the attendee cap, one meeting per ClientRequestToken,
//! one attendee per ExternalUserId, the replica quota.

use std::collections::HashSet;

use aws_sdk_chimesdkmeetings::operation::create_attendee::CreateAttendeeError;
use aws_sdk_chimesdkmeetings::operation::create_meeting::CreateMeetingError;
use tokio::task::JoinSet;

use carillon_testkit::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_create_attendee_never_exceeds_the_cap() {
    let server = shared_server();
    let client = server.client();
    let meeting_id = create_meeting(&client).await.meeting_id.unwrap();
    let mut tasks = JoinSet::new();
    for i in 0..300 {
        let client = client.clone();
        let meeting_id = meeting_id.clone();
        tasks.spawn(async move {
            client
                .create_attendee()
                .meeting_id(meeting_id)
                .external_user_id(format!("parallel-{i}"))
                .send()
                .await
        });
    }
    let mut created = HashSet::new();
    let mut limited = 0;
    while let Some(joined) = tasks.join_next().await {
        match joined.expect("task") {
            Ok(out) => {
                let id = out.attendee.unwrap().attendee_id.unwrap();
                assert!(created.insert(id), "an attendee id was handed out twice");
            }
            Err(e) => {
                let e = e.into_service_error();
                assert!(
                    matches!(e, CreateAttendeeError::LimitExceededException(_)),
                    "{e:?}"
                );
                assert_eq!(e.meta().code(), Some("LimitExceededException"));
                limited += 1;
            }
        }
    }
    assert_eq!(created.len(), 250);
    assert_eq!(limited, 50);
    let listed = list_all_attendees(&client, &meeting_id).await;
    assert_eq!(listed.len(), 250);
    let listed_ids: HashSet<String> = listed
        .iter()
        .map(|a| a.attendee_id().unwrap().to_string())
        .collect();
    assert_eq!(listed_ids, created);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_batches_never_exceed_a_small_cap() {
    let server = shared_server();
    let client = server.client();
    let meeting_id = create_meeting_request(&client)
        .meeting_features(
            aws_sdk_chimesdkmeetings::types::MeetingFeaturesConfiguration::builder()
                .attendee(
                    aws_sdk_chimesdkmeetings::types::AttendeeFeatures::builder()
                        .max_count(10)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap()
        .meeting
        .unwrap()
        .meeting_id
        .unwrap();
    let mut tasks = JoinSet::new();
    for b in 0..8 {
        let client = client.clone();
        let meeting_id = meeting_id.clone();
        tasks.spawn(async move {
            client
                .batch_create_attendee()
                .meeting_id(meeting_id)
                .set_attendees(Some(
                    (0..5).map(|i| item(&format!("batch-{b}-{i}"))).collect(),
                ))
                .send()
                .await
                .expect("BatchCreateAttendee")
        });
    }
    let (mut created, mut limited) = (0, 0);
    while let Some(joined) = tasks.join_next().await {
        let out = joined.expect("task");
        created += out.attendees().len();
        assert!(out
            .errors()
            .iter()
            .all(|e| e.error_code() == Some("LimitExceeded")));
        limited += out.errors().len();
    }
    assert_eq!((created, limited), (10, 30));
    assert_eq!(list_all_attendees(&client, &meeting_id).await.len(), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_create_meeting_with_one_token_makes_one_meeting() {
    let server = shared_server();
    let client = server.client();
    let token = unique("race");
    let mut tasks = JoinSet::new();
    for i in 0..50 {
        let client = client.clone();
        let token = token.clone();
        tasks.spawn(async move {
            client
                .create_meeting()
                .client_request_token(token)
                .media_region(REGION)
                .external_meeting_id(format!("racer-{i}"))
                .send()
                .await
        });
    }
    let mut ids = HashSet::new();
    while let Some(joined) = tasks.join_next().await {
        let out = joined
            .expect("task")
            .unwrap_or_else(|e| panic!("CreateMeeting: {:?}", e.into_service_error()));
        ids.insert(out.meeting.unwrap().meeting_id.unwrap());
    }
    assert_eq!(ids.len(), 1, "{ids:?}");
    let id = ids.into_iter().next().unwrap();
    client
        .get_meeting()
        .meeting_id(&id)
        .send()
        .await
        .expect("the meeting exists");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_create_attendee_with_one_external_user_id_makes_one_attendee() {
    let server = shared_server();
    let client = server.client();
    let meeting_id = create_meeting(&client).await.meeting_id.unwrap();
    let mut tasks = JoinSet::new();
    for _ in 0..40 {
        let client = client.clone();
        let meeting_id = meeting_id.clone();
        tasks.spawn(async move {
            client
                .create_attendee()
                .meeting_id(meeting_id)
                .external_user_id("same-person")
                .send()
                .await
                .expect("CreateAttendee")
                .attendee
                .unwrap()
        });
    }
    let mut seen = HashSet::new();
    while let Some(joined) = tasks.join_next().await {
        let a = joined.expect("task");
        seen.insert((a.attendee_id.unwrap(), a.join_token.unwrap()));
    }
    assert_eq!(seen.len(), 1);
    assert_eq!(list_all_attendees(&client, &meeting_id).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_replicas_respect_the_quota() {
    let server = shared_server();
    let client = server.client();
    let primary = create_meeting(&client).await.meeting_id.unwrap();
    let mut tasks = JoinSet::new();
    for _ in 0..12 {
        let client = client.clone();
        let primary = primary.clone();
        tasks.spawn(async move {
            client
                .create_meeting()
                .client_request_token(unique("replica"))
                .media_region("eu-west-2")
                .external_meeting_id(unique("ext"))
                .primary_meeting_id(primary)
                .send()
                .await
        });
    }
    let (mut created, mut limited) = (0, 0);
    while let Some(joined) = tasks.join_next().await {
        match joined.expect("task") {
            Ok(_) => created += 1,
            Err(e) => {
                let e = e.into_service_error();
                assert!(
                    matches!(e, CreateMeetingError::LimitExceededException(_)),
                    "{e:?}"
                );
                limited += 1;
            }
        }
    }
    assert_eq!((created, limited), (4, 8));
}
