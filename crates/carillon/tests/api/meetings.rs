//! CreateMeeting, CreateMeetingWithAttendees, GetMeeting, DeleteMeeting: fields, lifecycle,
//! ClientRequestToken idempotency, meeting features, media regions and replicas.

use aws_sdk_chimesdkmeetings::operation::batch_create_attendee::BatchCreateAttendeeError;
use aws_sdk_chimesdkmeetings::operation::batch_update_attendee_capabilities_except::BatchUpdateAttendeeCapabilitiesExceptError;
use aws_sdk_chimesdkmeetings::operation::create_attendee::CreateAttendeeError;
use aws_sdk_chimesdkmeetings::operation::create_meeting::CreateMeetingError;
use aws_sdk_chimesdkmeetings::operation::create_meeting_with_attendees::CreateMeetingWithAttendeesError;
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
use aws_sdk_chimesdkmeetings::operation::RequestId;
use aws_sdk_chimesdkmeetings::types::{
    AttendeeFeatures, AttendeeIdItem, AudioFeatures, ContentFeatures, ContentResolution,
    EngineTranscribeSettings, MediaCapabilities, MediaPlacementNetworkType, MeetingFeatureStatus,
    MeetingFeaturesConfiguration, NotificationsConfiguration, TranscribeLanguageCode,
    TranscriptionConfiguration, VideoFeatures, VideoResolution,
};
use aws_sdk_chimesdkmeetings::Client;

use carillon_testkit::expect_err;
use carillon_testkit::*;

fn not_found_message(meeting_id: &str) -> String {
    format!("Meeting <{meeting_id}> not found")
}

fn features(
    video: Option<VideoResolution>,
    content: Option<ContentResolution>,
    max_count: Option<i32>,
) -> MeetingFeaturesConfiguration {
    let mut b = MeetingFeaturesConfiguration::builder();
    if let Some(v) = video {
        b = b.video(VideoFeatures::builder().max_resolution(v).build());
    }
    if let Some(c) = content {
        b = b.content(ContentFeatures::builder().max_resolution(c).build());
    }
    if let Some(n) = max_count {
        b = b.attendee(AttendeeFeatures::builder().max_count(n).build());
    }
    b.build()
}

async fn create_with_features(
    client: &Client,
    features: MeetingFeaturesConfiguration,
) -> Result<
    aws_sdk_chimesdkmeetings::operation::create_meeting::CreateMeetingOutput,
    aws_sdk_chimesdkmeetings::error::SdkError<CreateMeetingError>,
> {
    create_meeting_request(client)
        .meeting_features(features)
        .send()
        .await
}

async fn create_replica(
    client: &Client,
    primary: &str,
) -> Result<
    aws_sdk_chimesdkmeetings::operation::create_meeting::CreateMeetingOutput,
    aws_sdk_chimesdkmeetings::error::SdkError<CreateMeetingError>,
> {
    client
        .create_meeting()
        .client_request_token(unique("replica"))
        .media_region("eu-west-2")
        .external_meeting_id(unique("ext"))
        .primary_meeting_id(primary)
        .send()
        .await
}

#[tokio::test]
async fn create_meeting_returns_the_documented_fields() {
    let server = shared_server();
    let client = server.client();
    let external = unique("meeting");
    let host = unique("host");
    let requested = MeetingFeaturesConfiguration::builder()
        .audio(
            AudioFeatures::builder()
                .echo_reduction(MeetingFeatureStatus::Available)
                .build(),
        )
        .video(
            VideoFeatures::builder()
                .max_resolution(VideoResolution::Hd)
                .build(),
        )
        .content(
            ContentFeatures::builder()
                .max_resolution(ContentResolution::Fhd)
                .build(),
        )
        .attendee(AttendeeFeatures::builder().max_count(100).build())
        .build();
    let out = client
        .create_meeting()
        .client_request_token(unique("tok"))
        .media_region(REGION)
        .external_meeting_id(&external)
        .meeting_host_id(&host)
        .tenant_ids("tenant-one")
        .tenant_ids("Tenant_2#x")
        .meeting_features(requested.clone())
        .notifications_configuration(
            NotificationsConfiguration::builder()
                .sns_topic_arn("arn:aws:sns:us-east-1:123456789012:meeting-events")
                .build(),
        )
        .media_placement_network_type(MediaPlacementNetworkType::Ipv4Only)
        .tags(tag("team", "blue"))
        .tags(tag("cost-center", "1234"))
        .send()
        .await
        .expect("CreateMeeting");
    assert!(
        out.request_id().is_some_and(|id| !id.is_empty()),
        "no request id"
    );
    let meeting = out.meeting().expect("Meeting");
    let id = meeting.meeting_id().expect("MeetingId");
    assert_guid(id);
    let arn = meeting_arn(REGION, ACCOUNT_ID, id);
    assert_eq!(meeting.meeting_arn(), Some(arn.as_str()));
    assert_eq!(meeting.media_region(), Some(REGION));
    assert_eq!(meeting.external_meeting_id(), Some(external.as_str()));
    assert_eq!(meeting.meeting_host_id(), Some(host.as_str()));
    assert_eq!(meeting.tenant_ids(), ["tenant-one", "Tenant_2#x"]);
    assert_eq!(meeting.meeting_features(), Some(&requested));
    assert_eq!(meeting.primary_meeting_id(), None);
    assert_media_placement(&server, meeting);

    let tags = client
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .expect("ListTagsForResource");
    assert_eq!(
        tag_pairs(tags.tags()),
        [
            ("cost-center".to_string(), "1234".to_string()),
            ("team".to_string(), "blue".to_string())
        ]
    );
}

#[tokio::test]
async fn a_minimal_meeting_leaves_unset_members_out() {
    let server = shared_server();
    let client = server.client();
    let meeting = create_meeting(&client).await;
    assert_guid(meeting.meeting_id().unwrap());
    assert_eq!(meeting.meeting_host_id(), None);
    assert_eq!(meeting.primary_meeting_id(), None);
    assert!(meeting.tenant_ids().is_empty());
    assert_eq!(meeting.meeting_features(), None);
    assert_media_placement(&server, &meeting);
    let tags = client
        .list_tags_for_resource()
        .resource_arn(meeting.meeting_arn().unwrap())
        .send()
        .await
        .expect("ListTagsForResource");
    assert!(tags.tags().is_empty());
}

#[tokio::test]
async fn get_meeting_returns_the_created_meeting() {
    let server = shared_server();
    let client = server.client();
    let created = client
        .create_meeting()
        .client_request_token(unique("tok"))
        .media_region("eu-central-1")
        .external_meeting_id(unique("ext"))
        .tenant_ids("tenant-a")
        .meeting_features(features(
            Some(VideoResolution::Fhd),
            Some(ContentResolution::Uhd),
            Some(10),
        ))
        .send()
        .await
        .expect("CreateMeeting")
        .meeting
        .unwrap();
    let id = created.meeting_id().unwrap();
    let got = client
        .get_meeting()
        .meeting_id(id)
        .send()
        .await
        .expect("GetMeeting");
    assert!(got.request_id().is_some());
    assert_eq!(got.meeting(), Some(&created));
    // The ARN names the region the request was signed for, not the media region.
    assert_eq!(
        created.meeting_arn(),
        Some(meeting_arn(REGION, ACCOUNT_ID, id).as_str())
    );
    assert_eq!(created.media_region(), Some("eu-central-1"));

    // Ids in paths are matched case-insensitively.
    let upper = client
        .get_meeting()
        .meeting_id(id.to_ascii_uppercase())
        .send()
        .await
        .expect("GetMeeting with an upper-case id");
    assert_eq!(upper.meeting(), Some(&created));
}

#[tokio::test]
async fn delete_meeting_ends_the_meeting_and_its_attendees() {
    let server = shared_server();
    let client = server.client();
    let meeting = create_meeting(&client).await;
    let id = meeting.meeting_id().unwrap().to_string();
    let arn = meeting.meeting_arn().unwrap().to_string();
    let attendee = create_attendee(&client, &id, &unique("user")).await;
    let attendee_id = attendee.attendee_id().unwrap().to_string();

    client
        .delete_meeting()
        .meeting_id(&id)
        .send()
        .await
        .expect("DeleteMeeting");

    let msg = not_found_message(&id);
    let e = expect_err!(
        client.get_meeting().meeting_id(&id).send().await,
        GetMeetingError::NotFoundException
    );
    assert_eq!(e.meta().code(), Some("NotFoundException"));
    assert_eq!(e.meta().message(), Some(msg.as_str()));
    assert!(e.meta().request_id().is_some());
    let e = expect_err!(
        client
            .get_attendee()
            .meeting_id(&id)
            .attendee_id(&attendee_id)
            .send()
            .await,
        GetAttendeeError::NotFoundException
    );
    assert_eq!(e.meta().message(), Some(msg.as_str()));
    let e = expect_err!(
        client.list_attendees().meeting_id(&id).send().await,
        ListAttendeesError::NotFoundException
    );
    assert_eq!(e.meta().message(), Some(msg.as_str()));
    let e = expect_err!(
        client
            .create_attendee()
            .meeting_id(&id)
            .external_user_id(unique("late"))
            .send()
            .await,
        CreateAttendeeError::NotFoundException
    );
    assert_eq!(e.meta().message(), Some(msg.as_str()));
    expect_err!(
        client
            .batch_create_attendee()
            .meeting_id(&id)
            .attendees(item(&unique("late")))
            .send()
            .await,
        BatchCreateAttendeeError::NotFoundException
    );
    expect_err!(
        client
            .delete_attendee()
            .meeting_id(&id)
            .attendee_id(&attendee_id)
            .send()
            .await,
        DeleteAttendeeError::NotFoundException
    );
    expect_err!(
        client
            .update_attendee_capabilities()
            .meeting_id(&id)
            .attendee_id(&attendee_id)
            .capabilities(send_receive_all())
            .send()
            .await,
        UpdateAttendeeCapabilitiesError::NotFoundException
    );
    expect_err!(
        client
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
    let e = expect_err!(
        client.delete_meeting().meeting_id(&id).send().await,
        DeleteMeetingError::NotFoundException
    );
    assert_eq!(e.meta().message(), Some(msg.as_str()));
    expect_err!(
        client
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await,
        ListTagsForResourceError::ResourceNotFoundException
    );
}

#[tokio::test]
async fn an_unknown_meeting_is_not_found_by_every_operation() {
    let server = shared_server();
    let client = server.client();
    let id = unknown_guid();
    let attendee_id = unknown_guid();
    let msg = not_found_message(&id);
    let transcription = TranscriptionConfiguration::builder()
        .engine_transcribe_settings(
            EngineTranscribeSettings::builder()
                .language_code(TranscribeLanguageCode::EnUs)
                .build(),
        )
        .build();

    macro_rules! check {
        ($call:expr, $variant:path) => {{
            let e = expect_err!($call, $variant);
            assert_eq!(e.meta().code(), Some("NotFoundException"));
            assert_eq!(e.meta().message(), Some(msg.as_str()), "{e:?}");
        }};
    }
    check!(
        client.get_meeting().meeting_id(&id).send().await,
        GetMeetingError::NotFoundException
    );
    check!(
        client.delete_meeting().meeting_id(&id).send().await,
        DeleteMeetingError::NotFoundException
    );
    check!(
        client
            .create_attendee()
            .meeting_id(&id)
            .external_user_id("someone")
            .send()
            .await,
        CreateAttendeeError::NotFoundException
    );
    check!(
        client
            .batch_create_attendee()
            .meeting_id(&id)
            .attendees(item("someone"))
            .send()
            .await,
        BatchCreateAttendeeError::NotFoundException
    );
    check!(
        client
            .get_attendee()
            .meeting_id(&id)
            .attendee_id(&attendee_id)
            .send()
            .await,
        GetAttendeeError::NotFoundException
    );
    check!(
        client.list_attendees().meeting_id(&id).send().await,
        ListAttendeesError::NotFoundException
    );
    check!(
        client
            .delete_attendee()
            .meeting_id(&id)
            .attendee_id(&attendee_id)
            .send()
            .await,
        DeleteAttendeeError::NotFoundException
    );
    check!(
        client
            .update_attendee_capabilities()
            .meeting_id(&id)
            .attendee_id(&attendee_id)
            .capabilities(send_receive_all())
            .send()
            .await,
        UpdateAttendeeCapabilitiesError::NotFoundException
    );
    check!(
        client
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
    check!(
        client
            .start_meeting_transcription()
            .meeting_id(&id)
            .transcription_configuration(transcription)
            .send()
            .await,
        StartMeetingTranscriptionError::NotFoundException
    );
    check!(
        client
            .stop_meeting_transcription()
            .meeting_id(&id)
            .send()
            .await,
        StopMeetingTranscriptionError::NotFoundException
    );

    let arn = meeting_arn(REGION, ACCOUNT_ID, &id);
    let e = expect_err!(
        client
            .tag_resource()
            .resource_arn(&arn)
            .tags(tag("k", "v"))
            .send()
            .await,
        TagResourceError::ResourceNotFoundException
    );
    assert_eq!(e.meta().code(), Some("ResourceNotFoundException"));
    expect_err!(
        client
            .untag_resource()
            .resource_arn(&arn)
            .tag_keys("k")
            .send()
            .await,
        UntagResourceError::ResourceNotFoundException
    );
}

#[tokio::test]
async fn client_request_token_returns_the_same_meeting() {
    let server = shared_server();
    let client = server.client();
    let token = unique("idem");
    let first = client
        .create_meeting()
        .client_request_token(&token)
        .media_region(REGION)
        .external_meeting_id("first-external")
        .send()
        .await
        .expect("CreateMeeting")
        .meeting
        .unwrap();
    let id = first.meeting_id().unwrap().to_string();

    // The same token with other parameters still answers with the original meeting.
    let again = client
        .create_meeting()
        .client_request_token(&token)
        .media_region("eu-west-2")
        .external_meeting_id("second-external")
        .send()
        .await
        .expect("CreateMeeting replay")
        .meeting
        .unwrap();
    assert_eq!(again.meeting_id(), Some(id.as_str()));
    assert_eq!(again.external_meeting_id(), Some("first-external"));
    assert_eq!(again.media_region(), Some(REGION));

    // CreateMeetingWithAttendees with the token answers with that meeting and adds attendees to it.
    let user = unique("user");
    let replay = client
        .create_meeting_with_attendees()
        .client_request_token(&token)
        .media_region(REGION)
        .external_meeting_id("third-external")
        .attendees(item(&user))
        .send()
        .await
        .expect("CreateMeetingWithAttendees replay");
    assert_eq!(
        replay.meeting().and_then(|m| m.meeting_id()),
        Some(id.as_str())
    );
    assert_eq!(replay.attendees().len(), 1);
    assert!(replay.errors().is_empty());
    let listed = list_all_attendees(&client, &id).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].external_user_id(), Some(user.as_str()));

    // Even after the meeting ended, the token keeps naming it.
    client
        .delete_meeting()
        .meeting_id(&id)
        .send()
        .await
        .expect("DeleteMeeting");
    let after = client
        .create_meeting()
        .client_request_token(&token)
        .media_region(REGION)
        .external_meeting_id("fourth-external")
        .send()
        .await
        .expect("CreateMeeting after the meeting ended")
        .meeting
        .unwrap();
    assert_eq!(after.meeting_id(), Some(id.as_str()));
    expect_err!(
        client.get_meeting().meeting_id(&id).send().await,
        GetMeetingError::NotFoundException
    );
    // A replayed CreateMeetingWithAttendees on the ended meeting reports every attendee.
    let ended = client
        .create_meeting_with_attendees()
        .client_request_token(&token)
        .media_region(REGION)
        .external_meeting_id("fifth-external")
        .attendees(item("late-one"))
        .attendees(item("late-two"))
        .send()
        .await
        .expect("CreateMeetingWithAttendees replay on an ended meeting");
    assert_eq!(
        ended.meeting().and_then(|m| m.meeting_id()),
        Some(id.as_str())
    );
    assert!(ended.attendees().is_empty());
    let errors: Vec<(Option<&str>, Option<&str>)> = ended
        .errors()
        .iter()
        .map(|e| (e.external_user_id(), e.error_code()))
        .collect();
    assert_eq!(
        errors,
        [
            (Some("late-one"), Some("NotFound")),
            (Some("late-two"), Some("NotFound"))
        ]
    );

    // Another account with the same token gets its own meeting.
    let other = server
        .second_client()
        .create_meeting()
        .client_request_token(&token)
        .media_region(REGION)
        .external_meeting_id("other-account")
        .send()
        .await
        .expect("CreateMeeting in the second account")
        .meeting
        .unwrap();
    assert_ne!(other.meeting_id(), Some(id.as_str()));
    assert_eq!(
        other.meeting_arn(),
        Some(meeting_arn(REGION, SECOND_ACCOUNT_ID, other.meeting_id().unwrap()).as_str())
    );

    // A fresh token makes a fresh meeting.
    let fresh = create_meeting(&client).await;
    assert_ne!(fresh.meeting_id(), Some(id.as_str()));
}

#[tokio::test]
async fn the_sdk_fills_in_a_client_request_token() {
    let server = shared_server();
    let client = server.client();
    let a = client
        .create_meeting()
        .media_region(REGION)
        .external_meeting_id(unique("ext"))
        .send()
        .await
        .expect("CreateMeeting without a token");
    let b = client
        .create_meeting()
        .media_region(REGION)
        .external_meeting_id(unique("ext"))
        .send()
        .await
        .expect("CreateMeeting without a token");
    let (a, b) = (a.meeting.unwrap(), b.meeting.unwrap());
    assert_ne!(a.meeting_id(), b.meeting_id());
}

#[tokio::test]
async fn high_definition_meetings_need_a_small_attendee_cap() {
    let server = shared_server();
    let client = server.client();
    let cases = [
        (Some(VideoResolution::Fhd), None, None),
        (None, Some(ContentResolution::Uhd), None),
        (
            Some(VideoResolution::Fhd),
            Some(ContentResolution::Uhd),
            None,
        ),
        (Some(VideoResolution::Fhd), None, Some(26)),
        (None, Some(ContentResolution::Uhd), Some(250)),
    ];
    for (video, content, max) in cases {
        let e = expect_err!(
            create_with_features(&client, features(video.clone(), content.clone(), max)).await,
            CreateMeetingError::BadRequestException
        );
        assert_eq!(e.meta().code(), Some("BadRequestException"));
        assert!(
            e.meta().message().is_some_and(|m| m.contains("MaxCount")),
            "{video:?} {content:?} {max:?}: {e:?}"
        );
    }
    for (video, content, max) in [
        (Some(VideoResolution::Fhd), None, 25),
        (None, Some(ContentResolution::Uhd), 1),
        (Some(VideoResolution::Fhd), Some(ContentResolution::Uhd), 10),
    ] {
        let requested = features(video.clone(), content.clone(), Some(max));
        let meeting = create_with_features(&client, requested.clone())
            .await
            .unwrap_or_else(|e| panic!("{video:?} {content:?} {max}: {e:?}"))
            .meeting
            .unwrap();
        assert_eq!(meeting.meeting_features(), Some(&requested));
    }
    // Without high definition, any cap the model allows is accepted.
    for max in [1, 26, 250] {
        create_with_features(
            &client,
            features(Some(VideoResolution::Hd), None, Some(max)),
        )
        .await
        .unwrap_or_else(|e| panic!("MaxCount {max}: {e:?}"));
    }
    // The model's range of MaxCount is 1..250.
    for max in [0, 251] {
        let e = expect_err!(
            create_with_features(&client, features(None, None, Some(max))).await,
            CreateMeetingError::BadRequestException
        );
        assert!(
            e.meta().message().is_some_and(|m| m.contains("MaxCount")),
            "{e:?}"
        );
    }
}

#[tokio::test]
async fn media_region_must_be_a_documented_region() {
    let server = shared_server();
    let client = server.client();
    for region in ["eu-west-2", "ap-southeast-1", "us-gov-west-1", "sa-east-1"] {
        let meeting = client
            .create_meeting()
            .client_request_token(unique("tok"))
            .media_region(region)
            .external_meeting_id(unique("ext"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{region}: {e:?}"))
            .meeting
            .unwrap();
        assert_eq!(meeting.media_region(), Some(region));
    }
    for region in ["mars-north-1", "US-EAST-1", "xx"] {
        let e = expect_err!(
            client
                .create_meeting()
                .client_request_token(unique("tok"))
                .media_region(region)
                .external_meeting_id(unique("ext"))
                .send()
                .await,
            CreateMeetingError::BadRequestException
        );
        assert!(
            e.meta()
                .message()
                .is_some_and(|m| m.contains("MediaRegion")),
            "{region}: {e:?}"
        );
    }
}

#[tokio::test]
async fn create_meeting_with_attendees_creates_both() {
    let server = shared_server();
    let client = server.client();
    let (alice, bob, carol) = (unique("alice"), unique("bob"), unique("carol"));
    let out = client
        .create_meeting_with_attendees()
        .client_request_token(unique("tok"))
        .media_region(REGION)
        .external_meeting_id(unique("ext"))
        .tags(tag("with", "attendees"))
        .attendees(item(&alice))
        .attendees(item_with(
            &bob,
            caps(
                MediaCapabilities::Receive,
                MediaCapabilities::None,
                MediaCapabilities::Send,
            ),
        ))
        // Content that receives needs video that receives: refused, alone.
        .attendees(item_with(
            &carol,
            caps(
                MediaCapabilities::SendReceive,
                MediaCapabilities::None,
                MediaCapabilities::SendReceive,
            ),
        ))
        .attendees(item(&alice))
        .send()
        .await
        .expect("CreateMeetingWithAttendees");
    assert!(out.request_id().is_some());
    let meeting = out.meeting().expect("Meeting");
    let id = meeting.meeting_id().unwrap();
    assert_guid(id);
    assert_media_placement(&server, meeting);

    let attendees = out.attendees();
    assert_eq!(attendees.len(), 3, "{attendees:?}");
    assert_eq!(attendees[0].external_user_id(), Some(alice.as_str()));
    assert_eq!(attendees[0].capabilities(), Some(&send_receive_all()));
    assert_eq!(attendees[1].external_user_id(), Some(bob.as_str()));
    assert_eq!(
        attendees[1].capabilities(),
        Some(&caps(
            MediaCapabilities::Receive,
            MediaCapabilities::None,
            MediaCapabilities::Send
        ))
    );
    // The repeated ExternalUserId is the same attendee.
    assert_eq!(attendees[2], attendees[0]);
    for a in &attendees[..2] {
        let aid = a.attendee_id().unwrap();
        assert_guid(aid);
        assert_join_token(a.join_token().unwrap(), aid);
    }

    let errors = out.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].external_user_id(), Some(carol.as_str()));
    assert_eq!(errors[0].error_code(), Some("BadRequest"));
    assert!(errors[0].error_message().is_some_and(|m| !m.is_empty()));

    let listed = list_all_attendees(&client, id).await;
    assert_eq!(listed, attendees[..2].to_vec());
    let tags = client
        .list_tags_for_resource()
        .resource_arn(meeting.meeting_arn().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        tag_pairs(tags.tags()),
        [("with".to_string(), "attendees".to_string())]
    );
}

#[tokio::test]
async fn create_meeting_with_attendees_without_errors_returns_an_empty_list() {
    let server = shared_server();
    let client = server.client();
    let out = client
        .create_meeting_with_attendees()
        .client_request_token(unique("tok"))
        .media_region(REGION)
        .external_meeting_id(unique("ext"))
        .attendees(item(&unique("solo")))
        .send()
        .await
        .expect("CreateMeetingWithAttendees");
    assert_eq!(out.attendees().len(), 1);
    assert_eq!(out.errors.as_deref(), Some(&[][..]));
}

#[tokio::test]
async fn create_meeting_with_attendees_checks_items_against_the_meeting_features() {
    let server = shared_server();
    let client = server.client();
    let out = client
        .create_meeting_with_attendees()
        .client_request_token(unique("tok"))
        .media_region(REGION)
        .external_meeting_id(unique("ext"))
        .meeting_features(features(Some(VideoResolution::None), None, Some(2)))
        .attendees(item("default-caps"))
        .attendees(item_with(
            "wants-video",
            caps(
                MediaCapabilities::SendReceive,
                MediaCapabilities::Receive,
                MediaCapabilities::None,
            ),
        ))
        .attendees(item("second-ok"))
        .attendees(item("over-the-cap"))
        .send()
        .await
        .expect("CreateMeetingWithAttendees");
    let created: Vec<_> = out
        .attendees()
        .iter()
        .map(|a| (a.external_user_id().unwrap(), a.capabilities().cloned()))
        .collect();
    let defaults = caps(
        MediaCapabilities::SendReceive,
        MediaCapabilities::Receive,
        MediaCapabilities::SendReceive,
    );
    assert_eq!(
        created,
        [
            ("default-caps", Some(defaults.clone())),
            ("second-ok", Some(defaults))
        ]
    );
    let errors: Vec<_> = out
        .errors()
        .iter()
        .map(|e| (e.external_user_id().unwrap(), e.error_code().unwrap()))
        .collect();
    assert_eq!(
        errors,
        [
            ("wants-video", "BadRequest"),
            ("over-the-cap", "LimitExceeded")
        ]
    );
}

#[tokio::test]
async fn create_meeting_with_attendees_rejects_bad_requests_whole() {
    let server = shared_server();
    let client = server.client();
    let mut request = client
        .create_meeting_with_attendees()
        .client_request_token(unique("tok"))
        .media_region(REGION)
        .external_meeting_id(unique("ext"));
    for i in 0..21 {
        request = request.attendees(item(&format!("user-{i}")));
    }
    let e = expect_err!(
        request.send().await,
        CreateMeetingWithAttendeesError::BadRequestException
    );
    assert!(
        e.meta().message().is_some_and(|m| m.contains("Attendees")),
        "{e:?}"
    );
    // A shape violation in one item refuses the whole request.
    let e = expect_err!(
        client
            .create_meeting_with_attendees()
            .client_request_token(unique("tok"))
            .media_region(REGION)
            .external_meeting_id(unique("ext"))
            .attendees(item("fine-user"))
            .attendees(item("x"))
            .send()
            .await,
        CreateMeetingWithAttendeesError::BadRequestException
    );
    assert!(
        e.meta()
            .message()
            .is_some_and(|m| m.contains("Attendees[1].ExternalUserId")),
        "{e:?}"
    );
    // HD rules apply here as well.
    expect_err!(
        client
            .create_meeting_with_attendees()
            .client_request_token(unique("tok"))
            .media_region(REGION)
            .external_meeting_id(unique("ext"))
            .meeting_features(features(Some(VideoResolution::Fhd), None, None))
            .attendees(item("fine-user"))
            .send()
            .await,
        CreateMeetingWithAttendeesError::BadRequestException
    );
}

#[tokio::test]
async fn replica_meetings() {
    let server = shared_server();
    let client = server.client();
    let primary = create_meeting(&client).await;
    let primary_id = primary.meeting_id().unwrap().to_string();

    let mut replicas = Vec::new();
    for _ in 0..4 {
        let replica = create_replica(&client, &primary_id)
            .await
            .expect("replica")
            .meeting
            .unwrap();
        assert_eq!(replica.primary_meeting_id(), Some(primary_id.as_str()));
        assert_eq!(replica.media_region(), Some("eu-west-2"));
        assert_ne!(replica.meeting_id(), Some(primary_id.as_str()));
        replicas.push(replica.meeting_id().unwrap().to_string());
    }
    let got = client
        .get_meeting()
        .meeting_id(&replicas[0])
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.meeting().and_then(|m| m.primary_meeting_id()),
        Some(primary_id.as_str())
    );

    // A fifth replica is over the quota.
    let e = expect_err!(
        create_replica(&client, &primary_id).await,
        CreateMeetingError::LimitExceededException
    );
    assert_eq!(e.meta().code(), Some("LimitExceededException"));
    assert!(e.meta().message().is_some_and(|m| !m.is_empty()));

    // Ending a replica frees its place.
    client
        .delete_meeting()
        .meeting_id(&replicas[3])
        .send()
        .await
        .unwrap();
    replicas[3] = create_replica(&client, &primary_id)
        .await
        .expect("replica after one ended")
        .meeting
        .unwrap()
        .meeting_id()
        .unwrap()
        .to_string();

    // A replica cannot be a primary.
    let e = expect_err!(
        create_replica(&client, &replicas[0]).await,
        CreateMeetingError::BadRequestException
    );
    assert!(
        e.meta()
            .message()
            .is_some_and(|m| m.contains("PrimaryMeetingId")),
        "{e:?}"
    );
    // Unknown, malformed, and other accounts' primaries are refused.
    for bad in [unknown_guid(), "not-a-meeting-id".to_string()] {
        expect_err!(
            create_replica(&client, &bad).await,
            CreateMeetingError::BadRequestException
        );
    }
    expect_err!(
        create_replica(&server.second_client(), &primary_id).await,
        CreateMeetingError::BadRequestException
    );
    // Upper-case ids name the same primary.
    let upper = create_meeting(&client).await;
    let upper_id = upper.meeting_id().unwrap();
    let replica = create_replica(&client, &upper_id.to_ascii_uppercase())
        .await
        .expect("replica of an upper-cased id")
        .meeting
        .unwrap();
    assert_eq!(replica.primary_meeting_id(), Some(upper_id));

    // Deleting the primary ends its replicas.
    client
        .delete_meeting()
        .meeting_id(&primary_id)
        .send()
        .await
        .unwrap();
    for replica in &replicas {
        expect_err!(
            client.get_meeting().meeting_id(replica).send().await,
            GetMeetingError::NotFoundException
        );
    }
    // An ended primary takes no new replicas.
    expect_err!(
        create_replica(&client, &primary_id).await,
        CreateMeetingError::BadRequestException
    );
}

#[tokio::test]
async fn replicas_can_be_created_with_attendees() {
    let server = shared_server();
    let client = server.client();
    let primary = create_meeting(&client).await;
    let primary_id = primary.meeting_id().unwrap();
    let out = client
        .create_meeting_with_attendees()
        .client_request_token(unique("tok"))
        .media_region("us-west-2")
        .external_meeting_id(unique("ext"))
        .primary_meeting_id(primary_id)
        .attendees(item("replica-user"))
        .send()
        .await
        .expect("CreateMeetingWithAttendees replica");
    assert_eq!(
        out.meeting().and_then(|m| m.primary_meeting_id()),
        Some(primary_id)
    );
    assert_eq!(out.attendees().len(), 1);
    let e = expect_err!(
        client
            .create_meeting_with_attendees()
            .client_request_token(unique("tok"))
            .media_region("us-west-2")
            .external_meeting_id(unique("ext"))
            .primary_meeting_id(unknown_guid())
            .attendees(item("replica-user"))
            .send()
            .await,
        CreateMeetingWithAttendeesError::BadRequestException
    );
    assert!(e.meta().message().is_some_and(|m| !m.is_empty()));
}
