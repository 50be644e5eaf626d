//! Durability: what a server acknowledged is there after a graceful stop (SIGTERM) or a crash
//! (SIGKILL) and a restart on the same data directory.

use aws_sdk_chimesdkmeetings::operation::create_attendee::CreateAttendeeError;
use aws_sdk_chimesdkmeetings::operation::get_attendee::GetAttendeeError;
use aws_sdk_chimesdkmeetings::operation::get_meeting::GetMeetingError;
use aws_sdk_chimesdkmeetings::types::{
    Attendee, AttendeeFeatures, EngineTranscribeSettings, Meeting, MeetingFeaturesConfiguration,
    TranscribeLanguageCode, TranscriptionConfiguration, VideoFeatures, VideoResolution,
};
use aws_sdk_chimesdkmeetings::Client;

use carillon_testkit::*;

/// Everything one scenario wrote, to compare after the restart.
struct Written {
    meeting: Meeting,
    token: String,
    attendees: Vec<Attendee>,
    deleted_attendee: String,
    capped_meeting: String,
    ended_meeting: String,
    ended_token: String,
    replica: String,
    tags: Vec<(String, String)>,
    second_account_meeting: String,
}

async fn write_everything(client: &Client, second: &Client) -> Written {
    let token = unique("durable");
    let features = MeetingFeaturesConfiguration::builder()
        .video(
            VideoFeatures::builder()
                .max_resolution(VideoResolution::Fhd)
                .build(),
        )
        .attendee(AttendeeFeatures::builder().max_count(20).build())
        .build();
    let meeting = client
        .create_meeting()
        .client_request_token(&token)
        .media_region("eu-central-1")
        .external_meeting_id("durable-meeting")
        .meeting_host_id("durable-host")
        .tenant_ids("tenant-1")
        .meeting_features(features)
        .tags(tag("at", "create"))
        .send()
        .await
        .expect("CreateMeeting")
        .meeting
        .unwrap();
    let id = meeting.meeting_id().unwrap().to_string();
    let arn = meeting.meeting_arn().unwrap().to_string();

    let mut attendees = Vec::new();
    for i in 0..3 {
        attendees.push(create_attendee(client, &id, &format!("durable-user-{i}")).await);
    }
    let out = client
        .batch_create_attendee()
        .meeting_id(&id)
        .attendees(item("durable-batch-0"))
        .attendees(item_with(
            "durable-batch-1",
            caps(
                aws_sdk_chimesdkmeetings::types::MediaCapabilities::Receive,
                aws_sdk_chimesdkmeetings::types::MediaCapabilities::None,
                aws_sdk_chimesdkmeetings::types::MediaCapabilities::None,
            ),
        ))
        .send()
        .await
        .expect("BatchCreateAttendee");
    attendees.extend(out.attendees().iter().cloned());
    // One attendee leaves, one has its capabilities changed.
    let deleted = attendees.remove(1);
    let deleted_attendee = deleted.attendee_id().unwrap().to_string();
    client
        .delete_attendee()
        .meeting_id(&id)
        .attendee_id(&deleted_attendee)
        .send()
        .await
        .expect("DeleteAttendee");
    let updated = client
        .update_attendee_capabilities()
        .meeting_id(&id)
        .attendee_id(attendees[0].attendee_id().unwrap())
        .capabilities(caps(
            aws_sdk_chimesdkmeetings::types::MediaCapabilities::Send,
            aws_sdk_chimesdkmeetings::types::MediaCapabilities::Receive,
            aws_sdk_chimesdkmeetings::types::MediaCapabilities::Receive,
        ))
        .send()
        .await
        .expect("UpdateAttendeeCapabilities")
        .attendee
        .unwrap();
    attendees[0] = updated;

    client
        .tag_resource()
        .resource_arn(&arn)
        .tags(tag("later", "tagged"))
        .tags(tag("removed", "soon"))
        .send()
        .await
        .expect("TagResource");
    client
        .untag_resource()
        .resource_arn(&arn)
        .tag_keys("removed")
        .send()
        .await
        .expect("UntagResource");
    client
        .start_meeting_transcription()
        .meeting_id(&id)
        .transcription_configuration(
            TranscriptionConfiguration::builder()
                .engine_transcribe_settings(
                    EngineTranscribeSettings::builder()
                        .language_code(TranscribeLanguageCode::EnUs)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("StartMeetingTranscription");

    // A full meeting (MaxCount 1).
    let capped_meeting = client
        .create_meeting()
        .client_request_token(unique("tok"))
        .media_region(REGION)
        .external_meeting_id("capped")
        .meeting_features(
            MeetingFeaturesConfiguration::builder()
                .attendee(AttendeeFeatures::builder().max_count(1).build())
                .build(),
        )
        .send()
        .await
        .unwrap()
        .meeting
        .unwrap()
        .meeting_id
        .unwrap();
    create_attendee(client, &capped_meeting, "the-only-one").await;

    // An ended meeting.
    let ended_token = unique("ended");
    let ended_meeting = client
        .create_meeting()
        .client_request_token(&ended_token)
        .media_region(REGION)
        .external_meeting_id("ended")
        .send()
        .await
        .unwrap()
        .meeting
        .unwrap()
        .meeting_id
        .unwrap();
    client
        .delete_meeting()
        .meeting_id(&ended_meeting)
        .send()
        .await
        .unwrap();

    // A replica of the main meeting.
    let replica = client
        .create_meeting()
        .client_request_token(unique("tok"))
        .media_region("us-west-2")
        .external_meeting_id("replica")
        .primary_meeting_id(&id)
        .send()
        .await
        .expect("replica")
        .meeting
        .unwrap()
        .meeting_id
        .unwrap();

    let second_account_meeting = create_meeting(second).await.meeting_id.unwrap();

    Written {
        meeting,
        token,
        attendees,
        deleted_attendee,
        capped_meeting,
        ended_meeting,
        ended_token,
        replica,
        tags: vec![
            ("at".to_string(), "create".to_string()),
            ("later".to_string(), "tagged".to_string()),
        ],
        second_account_meeting,
    }
}

async fn check_everything(server: &Server, w: &Written) {
    let client = server.client();
    let id = w.meeting.meeting_id().unwrap();
    let got = client
        .get_meeting()
        .meeting_id(id)
        .send()
        .await
        .expect("GetMeeting after the restart")
        .meeting
        .unwrap();
    // MediaPlacement follows the new server's address; everything else is as created.
    assert_media_placement(server, &got);
    let mut without_placement = got.clone();
    without_placement.media_placement = None;
    let mut expected = w.meeting.clone();
    expected.media_placement = None;
    assert_eq!(without_placement, expected);

    // The same attendees, with the same JoinTokens and capabilities, in the same order.
    assert_eq!(list_all_attendees(&client, id).await, w.attendees);
    for a in &w.attendees {
        let got = client
            .get_attendee()
            .meeting_id(id)
            .attendee_id(a.attendee_id().unwrap())
            .send()
            .await
            .expect("GetAttendee after the restart")
            .attendee
            .unwrap();
        assert_eq!(&got, a);
    }
    let e = client
        .get_attendee()
        .meeting_id(id)
        .attendee_id(&w.deleted_attendee)
        .send()
        .await
        .expect_err("deleted attendee")
        .into_service_error();
    assert!(matches!(e, GetAttendeeError::NotFoundException(_)), "{e:?}");

    // ExternalUserId idempotency survives: same attendee, same JoinToken.
    let again = create_attendee(&client, id, w.attendees[1].external_user_id().unwrap()).await;
    assert_eq!(again, w.attendees[1]);

    let tags = client
        .list_tags_for_resource()
        .resource_arn(w.meeting.meeting_arn().unwrap())
        .send()
        .await
        .expect("ListTagsForResource after the restart");
    assert_eq!(tag_pairs(tags.tags()), w.tags);

    // The transcription can still be stopped (and the meeting is there to stop it on).
    client
        .stop_meeting_transcription()
        .meeting_id(id)
        .send()
        .await
        .expect("StopMeetingTranscription after the restart");

    // ClientRequestTokens still name their meetings, ended or not.
    let replay = client
        .create_meeting()
        .client_request_token(&w.token)
        .media_region(REGION)
        .external_meeting_id("replayed")
        .send()
        .await
        .unwrap()
        .meeting
        .unwrap();
    assert_eq!(replay.meeting_id(), Some(id));
    let replay = client
        .create_meeting()
        .client_request_token(&w.ended_token)
        .media_region(REGION)
        .external_meeting_id("replayed")
        .send()
        .await
        .unwrap()
        .meeting
        .unwrap();
    assert_eq!(replay.meeting_id(), Some(w.ended_meeting.as_str()));
    let e = client
        .get_meeting()
        .meeting_id(&w.ended_meeting)
        .send()
        .await
        .expect_err("ended meeting")
        .into_service_error();
    assert!(matches!(e, GetMeetingError::NotFoundException(_)), "{e:?}");

    // The cap still holds.
    let e = client
        .create_attendee()
        .meeting_id(&w.capped_meeting)
        .external_user_id("one-too-many")
        .send()
        .await
        .expect_err("the meeting is full")
        .into_service_error();
    assert!(
        matches!(e, CreateAttendeeError::LimitExceededException(_)),
        "{e:?}"
    );

    // The replica is still linked to its primary.
    let replica = client
        .get_meeting()
        .meeting_id(&w.replica)
        .send()
        .await
        .expect("replica after the restart")
        .meeting
        .unwrap();
    assert_eq!(replica.primary_meeting_id(), Some(id));

    // The second account still owns its meeting, and only it.
    server
        .second_client()
        .get_meeting()
        .meeting_id(&w.second_account_meeting)
        .send()
        .await
        .expect("second account's meeting after the restart");
    let e = client
        .get_meeting()
        .meeting_id(&w.second_account_meeting)
        .send()
        .await
        .expect_err("another account's meeting")
        .into_service_error();
    assert!(matches!(e, GetMeetingError::NotFoundException(_)), "{e:?}");
}

#[tokio::test]
async fn everything_survives_a_graceful_restart() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let first = Server::start(Options::data_dir(dir.path()).with_second_account());
    let written = write_everything(&first.client(), &first.second_client()).await;
    let status = first.stop();
    assert!(
        status.success(),
        "carillon did not exit cleanly on SIGTERM: {status}; stderr:\n{}",
        first.stderr()
    );
    drop(first);

    let second = Server::start(Options::data_dir(dir.path()).with_second_account());
    check_everything(&second, &written).await;

    // And once more: deleting the meeting after the restart sticks too.
    let client = second.client();
    client
        .delete_meeting()
        .meeting_id(written.meeting.meeting_id().unwrap())
        .send()
        .await
        .unwrap();
    let status = second.stop();
    assert!(status.success(), "{status}");
    drop(second);
    let third = Server::start(Options::data_dir(dir.path()).with_second_account());
    let client = third.client();
    for id in [
        written.meeting.meeting_id().unwrap(),
        written.replica.as_str(),
    ] {
        let e = client
            .get_meeting()
            .meeting_id(id)
            .send()
            .await
            .expect_err("deleted before the restart")
            .into_service_error();
        assert!(matches!(e, GetMeetingError::NotFoundException(_)), "{e:?}");
    }
}

#[tokio::test]
async fn acknowledged_writes_survive_a_crash() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let first = Server::start(Options::data_dir(dir.path()).with_second_account());
    let written = write_everything(&first.client(), &first.second_client()).await;
    // Crash right after the last acknowledgement.
    first.kill();
    drop(first);

    let second = Server::start(Options::data_dir(dir.path()).with_second_account());
    check_everything(&second, &written).await;
}

#[tokio::test]
async fn many_quick_writes_survive_a_crash() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let first = Server::start(Options::data_dir(dir.path()));
    let client = first.client();
    let meeting_id = create_meeting(&client).await.meeting_id.unwrap();
    // Concurrent writes, so several are committed together.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let client = client.clone();
        let meeting_id = meeting_id.clone();
        tasks.spawn(async move {
            client
                .create_attendee()
                .meeting_id(meeting_id)
                .external_user_id(format!("quick-{i}"))
                .send()
                .await
                .expect("CreateAttendee")
                .attendee
                .unwrap()
        });
    }
    let mut acknowledged = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        acknowledged.push(joined.expect("task"));
    }
    first.kill();
    drop(first);

    let second = Server::start(Options::data_dir(dir.path()));
    let listed = list_all_attendees(&second.client(), &meeting_id).await;
    assert_eq!(listed.len(), acknowledged.len());
    for a in &acknowledged {
        assert!(listed.contains(a), "lost {:?}", a.attendee_id());
    }
}
