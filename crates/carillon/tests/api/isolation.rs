//! Account isolation: another account cannot see, change or tag a meeting.

use aws_sdk_chimesdkmeetings::operation::batch_create_attendee::BatchCreateAttendeeError;
use aws_sdk_chimesdkmeetings::operation::batch_update_attendee_capabilities_except::BatchUpdateAttendeeCapabilitiesExceptError;
use aws_sdk_chimesdkmeetings::operation::create_attendee::CreateAttendeeError;
use aws_sdk_chimesdkmeetings::operation::delete_attendee::DeleteAttendeeError;
use aws_sdk_chimesdkmeetings::operation::delete_meeting::DeleteMeetingError;
use aws_sdk_chimesdkmeetings::operation::get_attendee::GetAttendeeError;
use aws_sdk_chimesdkmeetings::operation::get_meeting::GetMeetingError;
use aws_sdk_chimesdkmeetings::operation::list_attendees::ListAttendeesError;
use aws_sdk_chimesdkmeetings::operation::list_tags_for_resource::ListTagsForResourceError;
use aws_sdk_chimesdkmeetings::operation::start_meeting_transcription::StartMeetingTranscriptionError;
use aws_sdk_chimesdkmeetings::operation::stop_meeting_transcription::StopMeetingTranscriptionError;
use aws_sdk_chimesdkmeetings::operation::tag_resource::TagResourceError;
use aws_sdk_chimesdkmeetings::operation::untag_resource::UntagResourceError;
use aws_sdk_chimesdkmeetings::operation::update_attendee_capabilities::UpdateAttendeeCapabilitiesError;
use aws_sdk_chimesdkmeetings::types::{
    AttendeeIdItem, EngineTranscribeSettings, TranscribeLanguageCode, TranscriptionConfiguration,
};

use carillon_testkit::expect_err;
use carillon_testkit::*;

#[tokio::test]
async fn another_account_cannot_reach_a_meeting() {
    let server = shared_server();
    let owner = server.client();
    let intruder = server.second_client();
    let meeting = create_meeting(&owner).await;
    let id = meeting.meeting_id().unwrap().to_string();
    let arn = meeting.meeting_arn().unwrap().to_string();
    owner
        .tag_resource()
        .resource_arn(&arn)
        .tags(tag("owner", "first"))
        .send()
        .await
        .unwrap();
    let attendee = create_attendee(&owner, &id, &unique("user")).await;
    let attendee_id = attendee.attendee_id().unwrap().to_string();
    let msg = format!("Meeting <{id}> not found");

    let e = expect_err!(
        intruder.get_meeting().meeting_id(&id).send().await,
        GetMeetingError::NotFoundException
    );
    assert_eq!(e.meta().message(), Some(msg.as_str()));
    expect_err!(
        intruder
            .create_attendee()
            .meeting_id(&id)
            .external_user_id("intruder")
            .send()
            .await,
        CreateAttendeeError::NotFoundException
    );
    expect_err!(
        intruder
            .batch_create_attendee()
            .meeting_id(&id)
            .attendees(item("intruder"))
            .send()
            .await,
        BatchCreateAttendeeError::NotFoundException
    );
    expect_err!(
        intruder.list_attendees().meeting_id(&id).send().await,
        ListAttendeesError::NotFoundException
    );
    expect_err!(
        intruder
            .get_attendee()
            .meeting_id(&id)
            .attendee_id(&attendee_id)
            .send()
            .await,
        GetAttendeeError::NotFoundException
    );
    expect_err!(
        intruder
            .update_attendee_capabilities()
            .meeting_id(&id)
            .attendee_id(&attendee_id)
            .capabilities(send_receive_all())
            .send()
            .await,
        UpdateAttendeeCapabilitiesError::NotFoundException
    );
    expect_err!(
        intruder
            .batch_update_attendee_capabilities_except()
            .meeting_id(&id)
            .excluded_attendee_ids(
                AttendeeIdItem::builder()
                    .attendee_id(&attendee_id)
                    .build()
                    .unwrap()
            )
            .capabilities(send_receive_all())
            .send()
            .await,
        BatchUpdateAttendeeCapabilitiesExceptError::NotFoundException
    );
    expect_err!(
        intruder
            .delete_attendee()
            .meeting_id(&id)
            .attendee_id(&attendee_id)
            .send()
            .await,
        DeleteAttendeeError::NotFoundException
    );
    expect_err!(
        intruder
            .start_meeting_transcription()
            .meeting_id(&id)
            .transcription_configuration(
                TranscriptionConfiguration::builder()
                    .engine_transcribe_settings(
                        EngineTranscribeSettings::builder()
                            .language_code(TranscribeLanguageCode::EnUs)
                            .build()
                    )
                    .build()
            )
            .send()
            .await,
        StartMeetingTranscriptionError::NotFoundException
    );
    expect_err!(
        intruder
            .stop_meeting_transcription()
            .meeting_id(&id)
            .send()
            .await,
        StopMeetingTranscriptionError::NotFoundException
    );
    expect_err!(
        intruder
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await,
        ListTagsForResourceError::ResourceNotFoundException
    );
    expect_err!(
        intruder
            .tag_resource()
            .resource_arn(&arn)
            .tags(tag("owner", "second"))
            .send()
            .await,
        TagResourceError::ResourceNotFoundException
    );
    expect_err!(
        intruder
            .untag_resource()
            .resource_arn(&arn)
            .tag_keys("owner")
            .send()
            .await,
        UntagResourceError::ResourceNotFoundException
    );
    expect_err!(
        intruder.delete_meeting().meeting_id(&id).send().await,
        DeleteMeetingError::NotFoundException
    );

    // The owner still sees everything unchanged.
    let got = owner
        .get_meeting()
        .meeting_id(&id)
        .send()
        .await
        .expect("GetMeeting by the owner");
    assert_eq!(got.meeting(), Some(&meeting));
    assert_eq!(
        list_all_attendees(&owner, &id).await,
        std::slice::from_ref(&attendee)
    );
    let got = owner
        .get_attendee()
        .meeting_id(&id)
        .attendee_id(&attendee_id)
        .send()
        .await
        .unwrap();
    assert_eq!(got.attendee(), Some(&attendee));
    let tags = owner
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        tag_pairs(tags.tags()),
        [("owner".to_string(), "first".to_string())]
    );
}

#[tokio::test]
async fn each_account_sees_its_own_meetings() {
    let server = shared_server();
    let first = server.client();
    let second = server.second_client();
    let mine = create_meeting(&first).await;
    let theirs = create_meeting(&second).await;
    assert_eq!(
        theirs.meeting_arn(),
        Some(meeting_arn(REGION, SECOND_ACCOUNT_ID, theirs.meeting_id().unwrap()).as_str())
    );
    second
        .get_meeting()
        .meeting_id(theirs.meeting_id().unwrap())
        .send()
        .await
        .expect("own meeting");
    expect_err!(
        first
            .get_meeting()
            .meeting_id(theirs.meeting_id().unwrap())
            .send()
            .await,
        GetMeetingError::NotFoundException
    );
    expect_err!(
        second
            .get_meeting()
            .meeting_id(mine.meeting_id().unwrap())
            .send()
            .await,
        GetMeetingError::NotFoundException
    );
    // Same ExternalUserId in each account's meeting: separate attendees.
    let a = create_attendee(&first, mine.meeting_id().unwrap(), "shared-name").await;
    let b = create_attendee(&second, theirs.meeting_id().unwrap(), "shared-name").await;
    assert_ne!(a.attendee_id(), b.attendee_id());
}
