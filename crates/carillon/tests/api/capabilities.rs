//! Attendee capabilities: defaults, UpdateAttendeeCapabilities,
//! BatchUpdateAttendeeCapabilitiesExcept and the documented cross-field rules.

use aws_sdk_chimesdkmeetings::operation::batch_update_attendee_capabilities_except::BatchUpdateAttendeeCapabilitiesExceptError;
use aws_sdk_chimesdkmeetings::operation::create_attendee::CreateAttendeeError;
use aws_sdk_chimesdkmeetings::operation::update_attendee_capabilities::UpdateAttendeeCapabilitiesError;
use aws_sdk_chimesdkmeetings::operation::RequestId;
use aws_sdk_chimesdkmeetings::types::{
    AttendeeCapabilities, AttendeeIdItem, ContentFeatures, ContentResolution, MediaCapabilities,
    MeetingFeaturesConfiguration, VideoFeatures, VideoResolution,
};
use aws_sdk_chimesdkmeetings::Client;

use carillon_testkit::expect_err;
use carillon_testkit::*;

use MediaCapabilities::{Receive, Send, SendReceive};
const NONE: MediaCapabilities = MediaCapabilities::None;

async fn meeting_with(
    client: &Client,
    video: Option<VideoResolution>,
    content: Option<ContentResolution>,
) -> String {
    let mut features = MeetingFeaturesConfiguration::builder();
    if let Some(v) = video {
        features = features.video(VideoFeatures::builder().max_resolution(v).build());
    }
    if let Some(c) = content {
        features = features.content(ContentFeatures::builder().max_resolution(c).build());
    }
    create_meeting_request(client)
        .meeting_features(features.build())
        .send()
        .await
        .expect("CreateMeeting")
        .meeting
        .unwrap()
        .meeting_id
        .unwrap()
}

fn id_item(id: &str) -> AttendeeIdItem {
    AttendeeIdItem::builder().attendee_id(id).build().unwrap()
}

async fn capabilities_of(
    client: &Client,
    meeting_id: &str,
    attendee_id: &str,
) -> AttendeeCapabilities {
    client
        .get_attendee()
        .meeting_id(meeting_id)
        .attendee_id(attendee_id)
        .send()
        .await
        .expect("GetAttendee")
        .attendee
        .unwrap()
        .capabilities
        .expect("Capabilities")
}

/// Content that receives needs video that receives (model documentation of
/// AttendeeCapabilities).
const CROSS_FIELD_VIOLATIONS: [(MediaCapabilities, MediaCapabilities, MediaCapabilities); 4] = [
    (SendReceive, NONE, SendReceive),
    (SendReceive, NONE, Receive),
    (SendReceive, Send, SendReceive),
    (NONE, Send, Receive),
];

#[tokio::test]
async fn update_attendee_capabilities_changes_one_attendee() {
    let server = shared_server();
    let client = server.client();
    let meeting_id = create_meeting(&client).await.meeting_id.unwrap();
    let a = create_attendee(&client, &meeting_id, &unique("a")).await;
    let b = create_attendee(&client, &meeting_id, &unique("b")).await;
    let a_id = a.attendee_id().unwrap();
    let wanted = caps(Receive, Receive, Send);
    let out = client
        .update_attendee_capabilities()
        .meeting_id(&meeting_id)
        .attendee_id(a_id)
        .capabilities(wanted.clone())
        .send()
        .await
        .expect("UpdateAttendeeCapabilities");
    assert!(out.request_id().is_some());
    let updated = out.attendee().expect("Attendee");
    assert_eq!(updated.capabilities(), Some(&wanted));
    assert_eq!(updated.attendee_id(), a.attendee_id());
    assert_eq!(updated.external_user_id(), a.external_user_id());
    assert_eq!(updated.join_token(), a.join_token());
    assert_eq!(capabilities_of(&client, &meeting_id, a_id).await, wanted);
    assert_eq!(
        capabilities_of(&client, &meeting_id, b.attendee_id().unwrap()).await,
        send_receive_all()
    );

    // Content Send needs no video.
    let ok = caps(SendReceive, NONE, Send);
    client
        .update_attendee_capabilities()
        .meeting_id(&meeting_id)
        .attendee_id(a_id)
        .capabilities(ok.clone())
        .send()
        .await
        .expect("content Send without video");
    assert_eq!(capabilities_of(&client, &meeting_id, a_id).await, ok);
}

#[tokio::test]
async fn content_that_receives_needs_video_that_receives() {
    let server = shared_server();
    let client = server.client();
    let meeting_id = create_meeting(&client).await.meeting_id.unwrap();
    let attendee = create_attendee(&client, &meeting_id, &unique("user")).await;
    let id = attendee.attendee_id().unwrap();
    for (audio, video, content) in CROSS_FIELD_VIOLATIONS {
        let bad = caps(audio, video, content);
        let e = expect_err!(
            client
                .create_attendee()
                .meeting_id(&meeting_id)
                .external_user_id(unique("bad"))
                .capabilities(bad.clone())
                .send()
                .await,
            CreateAttendeeError::BadRequestException
        );
        assert_eq!(e.meta().code(), Some("BadRequestException"));
        assert!(
            e.meta().message().is_some_and(|m| m.contains("Content")),
            "{bad:?}: {e:?}"
        );
        expect_err!(
            client
                .update_attendee_capabilities()
                .meeting_id(&meeting_id)
                .attendee_id(id)
                .capabilities(bad.clone())
                .send()
                .await,
            UpdateAttendeeCapabilitiesError::BadRequestException
        );
        expect_err!(
            client
                .batch_update_attendee_capabilities_except()
                .meeting_id(&meeting_id)
                .excluded_attendee_ids(id_item(&unknown_guid()))
                .capabilities(bad.clone())
                .send()
                .await,
            BatchUpdateAttendeeCapabilitiesExceptError::BadRequestException
        );
        let out = client
            .batch_create_attendee()
            .meeting_id(&meeting_id)
            .attendees(item_with("batch-bad", bad.clone()))
            .send()
            .await
            .expect("BatchCreateAttendee");
        assert!(out.attendees().is_empty());
        assert_eq!(out.errors().len(), 1);
        assert_eq!(out.errors()[0].error_code(), Some("BadRequest"));
        assert_eq!(out.errors()[0].external_user_id(), Some("batch-bad"));
    }
    // Nothing changed.
    assert_eq!(
        capabilities_of(&client, &meeting_id, id).await,
        send_receive_all()
    );
    assert_eq!(list_all_attendees(&client, &meeting_id).await.len(), 1);
    // The allowed combinations are accepted.
    for (audio, video, content) in [
        (NONE, NONE, NONE),
        (Send, Receive, SendReceive),
        (SendReceive, SendReceive, Send),
        (Receive, NONE, Send),
        (NONE, Receive, Receive),
    ] {
        let good = caps(audio, video, content);
        let a = client
            .create_attendee()
            .meeting_id(&meeting_id)
            .external_user_id(unique("good"))
            .capabilities(good.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{good:?}: {e:?}"))
            .attendee
            .unwrap();
        assert_eq!(a.capabilities(), Some(&good));
    }
}

#[tokio::test]
async fn a_meeting_without_video_limits_video_capabilities() {
    let server = shared_server();
    let client = server.client();
    let meeting_id = meeting_with(&client, Some(VideoResolution::None), None).await;
    // Defaults: video Receive (content still SendReceive, which needs video to receive).
    let attendee = create_attendee(&client, &meeting_id, &unique("user")).await;
    assert_eq!(
        attendee.capabilities(),
        Some(&caps(SendReceive, Receive, SendReceive))
    );
    let id = attendee.attendee_id().unwrap();
    for video in [SendReceive, Send, Receive] {
        let bad = caps(SendReceive, video, NONE);
        let e = expect_err!(
            client
                .create_attendee()
                .meeting_id(&meeting_id)
                .external_user_id(unique("bad"))
                .capabilities(bad.clone())
                .send()
                .await,
            CreateAttendeeError::BadRequestException
        );
        assert!(
            e.meta().message().is_some_and(|m| m.contains("Video")),
            "{e:?}"
        );
        expect_err!(
            client
                .update_attendee_capabilities()
                .meeting_id(&meeting_id)
                .attendee_id(id)
                .capabilities(bad.clone())
                .send()
                .await,
            UpdateAttendeeCapabilitiesError::BadRequestException
        );
    }
    let ok = caps(Receive, NONE, Send);
    create_attendee_with(&client, &meeting_id, ok).await;

    // Neither video nor content: both default to None.
    let bare = meeting_with(
        &client,
        Some(VideoResolution::None),
        Some(ContentResolution::None),
    )
    .await;
    let attendee = create_attendee(&client, &bare, &unique("user")).await;
    assert_eq!(
        attendee.capabilities(),
        Some(&caps(SendReceive, NONE, NONE))
    );
}

async fn create_attendee_with(client: &Client, meeting_id: &str, wanted: AttendeeCapabilities) {
    let a = client
        .create_attendee()
        .meeting_id(meeting_id)
        .external_user_id(unique("ok"))
        .capabilities(wanted.clone())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{wanted:?}: {e:?}"))
        .attendee
        .unwrap();
    assert_eq!(a.capabilities(), Some(&wanted));
}

#[tokio::test]
async fn a_meeting_without_content_limits_content_capabilities() {
    let server = shared_server();
    let client = server.client();
    let meeting_id = meeting_with(&client, None, Some(ContentResolution::None)).await;
    let attendee = create_attendee(&client, &meeting_id, &unique("user")).await;
    assert_eq!(
        attendee.capabilities(),
        Some(&caps(SendReceive, SendReceive, NONE))
    );
    for content in [SendReceive, Send, Receive] {
        let bad = caps(SendReceive, SendReceive, content);
        let e = expect_err!(
            client
                .create_attendee()
                .meeting_id(&meeting_id)
                .external_user_id(unique("bad"))
                .capabilities(bad.clone())
                .send()
                .await,
            CreateAttendeeError::BadRequestException
        );
        assert!(
            e.meta().message().is_some_and(|m| m.contains("Content")),
            "{e:?}"
        );
        expect_err!(
            client
                .batch_update_attendee_capabilities_except()
                .meeting_id(&meeting_id)
                .excluded_attendee_ids(id_item(attendee.attendee_id().unwrap()))
                .capabilities(bad)
                .send()
                .await,
            BatchUpdateAttendeeCapabilitiesExceptError::BadRequestException
        );
    }
    create_attendee_with(&client, &meeting_id, caps(Send, Receive, NONE)).await;
}

#[tokio::test]
async fn batch_update_changes_everyone_but_the_excluded() {
    let server = shared_server();
    let client = server.client();
    let meeting_id = create_meeting(&client).await.meeting_id.unwrap();
    let mut ids = Vec::new();
    for i in 0..4 {
        let a = create_attendee(&client, &meeting_id, &format!("bu-{i}")).await;
        ids.push(a.attendee_id().unwrap().to_string());
    }
    let other_meeting = create_meeting(&client).await.meeting_id.unwrap();
    let other = create_attendee(&client, &other_meeting, "bu-other").await;
    let muted = caps(Receive, Receive, Receive);
    let out = client
        .batch_update_attendee_capabilities_except()
        .meeting_id(&meeting_id)
        .excluded_attendee_ids(id_item(&ids[0]))
        .excluded_attendee_ids(id_item(&ids[2].to_ascii_uppercase()))
        // Unknown ids in the exclusion list are harmless.
        .excluded_attendee_ids(id_item(&unknown_guid()))
        .capabilities(muted.clone())
        .send()
        .await
        .expect("BatchUpdateAttendeeCapabilitiesExcept");
    assert!(out.request_id().is_some());
    for (i, id) in ids.iter().enumerate() {
        let expected = if i == 0 || i == 2 {
            send_receive_all()
        } else {
            muted.clone()
        };
        assert_eq!(
            capabilities_of(&client, &meeting_id, id).await,
            expected,
            "attendee {i}"
        );
    }
    // Attendees of other meetings are untouched.
    assert_eq!(
        capabilities_of(&client, &other_meeting, other.attendee_id().unwrap()).await,
        send_receive_all()
    );
    // ListAttendees shows the same capabilities.
    let listed = list_all_attendees(&client, &meeting_id).await;
    assert_eq!(listed[1].capabilities(), Some(&muted));
    assert_eq!(listed[0].capabilities(), Some(&send_receive_all()));

    // The model requires at least one excluded id.
    let e = expect_err!(
        client
            .batch_update_attendee_capabilities_except()
            .meeting_id(&meeting_id)
            .set_excluded_attendee_ids(Some(Vec::new()))
            .capabilities(muted.clone())
            .send()
            .await,
        BatchUpdateAttendeeCapabilitiesExceptError::BadRequestException
    );
    assert!(
        e.meta()
            .message()
            .is_some_and(|m| m.contains("ExcludedAttendeeIds")),
        "{e:?}"
    );
    // Malformed ids in the list are refused.
    let e = expect_err!(
        client
            .batch_update_attendee_capabilities_except()
            .meeting_id(&meeting_id)
            .excluded_attendee_ids(id_item("not-a-guid"))
            .capabilities(muted)
            .send()
            .await,
        BatchUpdateAttendeeCapabilitiesExceptError::BadRequestException
    );
    assert!(
        e.meta()
            .message()
            .is_some_and(|m| m.contains("ExcludedAttendeeIds[0].AttendeeId")),
        "{e:?}"
    );
}
