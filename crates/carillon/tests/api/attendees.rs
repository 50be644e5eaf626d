//! CreateAttendee, BatchCreateAttendee, GetAttendee, DeleteAttendee: fields, ExternalUserId
//! idempotency, attendee caps.

use aws_sdk_chimesdkmeetings::operation::batch_create_attendee::BatchCreateAttendeeError;
use aws_sdk_chimesdkmeetings::operation::create_attendee::CreateAttendeeError;
use aws_sdk_chimesdkmeetings::operation::delete_attendee::DeleteAttendeeError;
use aws_sdk_chimesdkmeetings::operation::get_attendee::GetAttendeeError;
use aws_sdk_chimesdkmeetings::operation::update_attendee_capabilities::UpdateAttendeeCapabilitiesError;
use aws_sdk_chimesdkmeetings::operation::RequestId;
use aws_sdk_chimesdkmeetings::types::{
    AttendeeFeatures, CreateAttendeeRequestItem, MediaCapabilities, MeetingFeaturesConfiguration,
    VideoFeatures, VideoResolution,
};
use aws_sdk_chimesdkmeetings::Client;

use carillon_testkit::expect_err;
use carillon_testkit::*;

async fn meeting_with_max_count(
    client: &Client,
    max: i32,
    video: Option<VideoResolution>,
) -> String {
    let mut features = MeetingFeaturesConfiguration::builder()
        .attendee(AttendeeFeatures::builder().max_count(max).build());
    if let Some(v) = video {
        features = features.video(VideoFeatures::builder().max_resolution(v).build());
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

async fn batch(
    client: &Client,
    meeting_id: &str,
    items: Vec<CreateAttendeeRequestItem>,
) -> aws_sdk_chimesdkmeetings::operation::batch_create_attendee::BatchCreateAttendeeOutput {
    client
        .batch_create_attendee()
        .meeting_id(meeting_id)
        .set_attendees(Some(items))
        .send()
        .await
        .expect("BatchCreateAttendee")
}

fn limit_message_ok(message: Option<&str>) -> bool {
    message.is_some_and(|m| !m.is_empty())
}

#[tokio::test]
async fn create_attendee_returns_the_documented_fields() {
    let server = shared_server();
    let client = server.client();
    let meeting_id = create_meeting(&client).await.meeting_id.unwrap();
    let user = unique("user");
    let out = client
        .create_attendee()
        .meeting_id(&meeting_id)
        .external_user_id(&user)
        .send()
        .await
        .expect("CreateAttendee");
    assert!(out.request_id().is_some_and(|id| !id.is_empty()));
    let attendee = out.attendee().expect("Attendee");
    let id = attendee.attendee_id().expect("AttendeeId");
    assert_guid(id);
    assert_ne!(id, meeting_id);
    assert_eq!(attendee.external_user_id(), Some(user.as_str()));
    assert_join_token(attendee.join_token().expect("JoinToken"), id);
    assert_eq!(attendee.capabilities(), Some(&send_receive_all()));

    // Each attendee gets its own id and token.
    let other = create_attendee(&client, &meeting_id, &unique("user")).await;
    assert_ne!(other.attendee_id(), attendee.attendee_id());
    assert_ne!(other.join_token(), attendee.join_token());
}

#[tokio::test]
async fn get_attendee_returns_the_created_attendee() {
    let server = shared_server();
    let client = server.client();
    let meeting_id = create_meeting(&client).await.meeting_id.unwrap();
    let requested = caps(
        MediaCapabilities::Send,
        MediaCapabilities::Receive,
        MediaCapabilities::None,
    );
    let created = client
        .create_attendee()
        .meeting_id(&meeting_id)
        .external_user_id("Zoë Müller (#1) [x]")
        .capabilities(requested.clone())
        .send()
        .await
        .expect("CreateAttendee")
        .attendee
        .unwrap();
    assert_eq!(created.capabilities(), Some(&requested));
    let id = created.attendee_id().unwrap();
    let got = client
        .get_attendee()
        .meeting_id(&meeting_id)
        .attendee_id(id)
        .send()
        .await
        .expect("GetAttendee");
    assert!(got.request_id().is_some());
    assert_eq!(got.attendee(), Some(&created));
    let upper = client
        .get_attendee()
        .meeting_id(meeting_id.to_ascii_uppercase())
        .attendee_id(id.to_ascii_uppercase())
        .send()
        .await
        .expect("GetAttendee with upper-case ids");
    assert_eq!(upper.attendee(), Some(&created));
}

#[tokio::test]
async fn external_user_id_is_an_idempotency_token() {
    let server = shared_server();
    let client = server.client();
    let meeting_id = create_meeting(&client).await.meeting_id.unwrap();
    let user = unique("user");
    let first = create_attendee(&client, &meeting_id, &user).await;
    // A repeat returns the same attendee, unchanged even if it names other capabilities.
    let again = client
        .create_attendee()
        .meeting_id(&meeting_id)
        .external_user_id(&user)
        .capabilities(caps(
            MediaCapabilities::None,
            MediaCapabilities::None,
            MediaCapabilities::None,
        ))
        .send()
        .await
        .expect("repeated CreateAttendee")
        .attendee
        .unwrap();
    assert_eq!(again, first);
    // So does a batch.
    let out = batch(&client, &meeting_id, vec![item(&user)]).await;
    assert_eq!(out.attendees(), std::slice::from_ref(&first));
    assert_eq!(
        list_all_attendees(&client, &meeting_id).await,
        std::slice::from_ref(&first)
    );

    // The same ExternalUserId in another meeting is another attendee.
    let other_meeting = create_meeting(&client).await.meeting_id.unwrap();
    let elsewhere = create_attendee(&client, &other_meeting, &user).await;
    assert_ne!(elsewhere.attendee_id(), first.attendee_id());

    // After DeleteAttendee, the ExternalUserId gets a new attendee and a new JoinToken.
    let first_id = first.attendee_id().unwrap();
    client
        .delete_attendee()
        .meeting_id(&meeting_id)
        .attendee_id(first_id)
        .send()
        .await
        .expect("DeleteAttendee");
    let renewed = create_attendee(&client, &meeting_id, &user).await;
    assert_ne!(renewed.attendee_id(), first.attendee_id());
    assert_ne!(renewed.join_token(), first.join_token());
    assert_join_token(
        renewed.join_token().unwrap(),
        renewed.attendee_id().unwrap(),
    );
    assert_eq!(list_all_attendees(&client, &meeting_id).await, [renewed]);
}

#[tokio::test]
async fn delete_attendee_removes_the_attendee() {
    let server = shared_server();
    let client = server.client();
    let meeting_id = create_meeting(&client).await.meeting_id.unwrap();
    let stays = create_attendee(&client, &meeting_id, &unique("stays")).await;
    let leaves = create_attendee(&client, &meeting_id, &unique("leaves")).await;
    let id = leaves.attendee_id().unwrap();
    client
        .delete_attendee()
        .meeting_id(&meeting_id)
        .attendee_id(id.to_ascii_uppercase())
        .send()
        .await
        .expect("DeleteAttendee");
    let message = format!("Attendee <{id}> not found");
    let e = expect_err!(
        client
            .get_attendee()
            .meeting_id(&meeting_id)
            .attendee_id(id)
            .send()
            .await,
        GetAttendeeError::NotFoundException
    );
    assert_eq!(e.meta().code(), Some("NotFoundException"));
    assert_eq!(e.meta().message(), Some(message.as_str()));
    let e = expect_err!(
        client
            .delete_attendee()
            .meeting_id(&meeting_id)
            .attendee_id(id)
            .send()
            .await,
        DeleteAttendeeError::NotFoundException
    );
    assert_eq!(e.meta().message(), Some(message.as_str()));
    let e = expect_err!(
        client
            .update_attendee_capabilities()
            .meeting_id(&meeting_id)
            .attendee_id(id)
            .capabilities(send_receive_all())
            .send()
            .await,
        UpdateAttendeeCapabilitiesError::NotFoundException
    );
    assert_eq!(e.meta().message(), Some(message.as_str()));
    assert_eq!(list_all_attendees(&client, &meeting_id).await, [stays]);
}

#[tokio::test]
async fn attendees_belong_to_their_meeting() {
    let server = shared_server();
    let client = server.client();
    let a = create_meeting(&client).await.meeting_id.unwrap();
    let b = create_meeting(&client).await.meeting_id.unwrap();
    let attendee = create_attendee(&client, &a, &unique("user")).await;
    let id = attendee.attendee_id().unwrap();
    let unknown = unknown_guid();
    for (meeting, attendee_id) in [(b.as_str(), id), (a.as_str(), unknown.as_str())] {
        let e = expect_err!(
            client
                .get_attendee()
                .meeting_id(meeting)
                .attendee_id(attendee_id)
                .send()
                .await,
            GetAttendeeError::NotFoundException
        );
        assert_eq!(
            e.meta().message(),
            Some(format!("Attendee <{attendee_id}> not found").as_str())
        );
        expect_err!(
            client
                .delete_attendee()
                .meeting_id(meeting)
                .attendee_id(attendee_id)
                .send()
                .await,
            DeleteAttendeeError::NotFoundException
        );
    }
    // The attendee is still there.
    client
        .get_attendee()
        .meeting_id(&a)
        .attendee_id(id)
        .send()
        .await
        .expect("GetAttendee");
}

#[tokio::test]
async fn batch_create_attendee_reports_failures_per_item() {
    let server = shared_server();
    let client = server.client();
    let meeting_id = create_meeting(&client).await.meeting_id.unwrap();
    let (a, b, c) = (unique("a"), unique("b"), unique("c"));
    let bad = caps(
        MediaCapabilities::SendReceive,
        MediaCapabilities::Send,
        MediaCapabilities::Receive,
    );
    let out = batch(
        &client,
        &meeting_id,
        vec![item(&a), item_with(&b, bad), item(&c), item(&a)],
    )
    .await;
    assert!(out.request_id().is_some());
    let attendees = out.attendees();
    assert_eq!(attendees.len(), 3, "{attendees:?}");
    assert_eq!(attendees[0].external_user_id(), Some(a.as_str()));
    assert_eq!(attendees[1].external_user_id(), Some(c.as_str()));
    assert_eq!(attendees[2], attendees[0]);
    for attendee in attendees {
        let id = attendee.attendee_id().unwrap();
        assert_guid(id);
        assert_join_token(attendee.join_token().unwrap(), id);
        assert_eq!(attendee.capabilities(), Some(&send_receive_all()));
    }
    let errors = out.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].external_user_id(), Some(b.as_str()));
    assert_eq!(errors[0].error_code(), Some("BadRequest"));
    assert!(errors[0].error_message().is_some_and(|m| !m.is_empty()));
    assert_eq!(
        list_all_attendees(&client, &meeting_id).await,
        attendees[..2].to_vec()
    );

    // Without failures, Errors is an empty list.
    let out = batch(&client, &meeting_id, vec![item(&unique("d"))]).await;
    assert_eq!(out.attendees().len(), 1);
    assert_eq!(out.errors.as_deref(), Some(&[][..]));

    // 101 items break the model's limit: the whole request is refused.
    let items: Vec<_> = (0..101).map(|i| item(&format!("many-{i}"))).collect();
    let e = expect_err!(
        client
            .batch_create_attendee()
            .meeting_id(&meeting_id)
            .set_attendees(Some(items))
            .send()
            .await,
        BatchCreateAttendeeError::BadRequestException
    );
    assert!(
        e.meta().message().is_some_and(|m| m.contains("Attendees")),
        "{e:?}"
    );
    assert_eq!(list_all_attendees(&client, &meeting_id).await.len(), 3);
}

#[tokio::test]
async fn a_meeting_holds_at_most_250_attendees() {
    let server = shared_server();
    let client = server.client();
    let meeting_id = create_meeting(&client).await.meeting_id.unwrap();
    let mut created = Vec::new();
    for (start, count) in [(0, 100), (100, 100), (200, 50)] {
        let items = (start..start + count)
            .map(|i| item(&format!("cap-user-{i}")))
            .collect();
        let out = batch(&client, &meeting_id, items).await;
        assert!(out.errors().is_empty(), "{:?}", out.errors());
        assert_eq!(out.attendees().len(), count);
        created.extend(out.attendees().iter().cloned());
    }

    // The 251st attendee.
    let e = expect_err!(
        client
            .create_attendee()
            .meeting_id(&meeting_id)
            .external_user_id("cap-user-250")
            .send()
            .await,
        CreateAttendeeError::LimitExceededException
    );
    assert_eq!(e.meta().code(), Some("LimitExceededException"));
    assert!(limit_message_ok(e.meta().message()), "{e:?}");

    // In a batch, each refused item is reported.
    let out = batch(
        &client,
        &meeting_id,
        vec![
            item("cap-user-251"),
            item("cap-user-0"),
            item("cap-user-252"),
        ],
    )
    .await;
    assert_eq!(out.attendees(), [created[0].clone()]);
    let errors: Vec<_> = out
        .errors()
        .iter()
        .map(|e| (e.external_user_id().unwrap(), e.error_code().unwrap()))
        .collect();
    assert_eq!(
        errors,
        [
            ("cap-user-251", "LimitExceeded"),
            ("cap-user-252", "LimitExceeded")
        ]
    );
    assert!(out
        .errors()
        .iter()
        .all(|e| e.error_message().is_some_and(|m| !m.is_empty())));

    // An existing ExternalUserId still gets its attendee back at the cap.
    let again = create_attendee(&client, &meeting_id, "cap-user-7").await;
    assert_eq!(again, created[7]);

    // A deleted attendee frees its slot.
    client
        .delete_attendee()
        .meeting_id(&meeting_id)
        .attendee_id(created[3].attendee_id().unwrap())
        .send()
        .await
        .unwrap();
    create_attendee(&client, &meeting_id, "cap-user-253").await;
    expect_err!(
        client
            .create_attendee()
            .meeting_id(&meeting_id)
            .external_user_id("cap-user-254")
            .send()
            .await,
        CreateAttendeeError::LimitExceededException
    );
    assert_eq!(list_all_attendees(&client, &meeting_id).await.len(), 250);
}

#[tokio::test]
async fn max_count_caps_the_attendees() {
    let server = shared_server();
    let client = server.client();
    let meeting_id = meeting_with_max_count(&client, 3, None).await;
    let out = batch(
        &client,
        &meeting_id,
        (0..5).map(|i| item(&format!("mc-{i}"))).collect(),
    )
    .await;
    let created: Vec<_> = out
        .attendees()
        .iter()
        .map(|a| a.external_user_id().unwrap())
        .collect();
    assert_eq!(created, ["mc-0", "mc-1", "mc-2"]);
    let refused: Vec<_> = out
        .errors()
        .iter()
        .map(|e| (e.external_user_id().unwrap(), e.error_code().unwrap()))
        .collect();
    assert_eq!(
        refused,
        [("mc-3", "LimitExceeded"), ("mc-4", "LimitExceeded")]
    );
    let e = expect_err!(
        client
            .create_attendee()
            .meeting_id(&meeting_id)
            .external_user_id("mc-5")
            .send()
            .await,
        CreateAttendeeError::LimitExceededException
    );
    assert!(limit_message_ok(e.meta().message()));

    // A high-definition meeting with MaxCount 2.
    let hd = meeting_with_max_count(&client, 2, Some(VideoResolution::Fhd)).await;
    create_attendee(&client, &hd, "hd-1").await;
    create_attendee(&client, &hd, "hd-2").await;
    expect_err!(
        client
            .create_attendee()
            .meeting_id(&hd)
            .external_user_id("hd-3")
            .send()
            .await,
        CreateAttendeeError::LimitExceededException
    );

    // MaxCount 1: delete and re-add.
    let one = meeting_with_max_count(&client, 1, None).await;
    let only = create_attendee(&client, &one, "only-1").await;
    expect_err!(
        client
            .create_attendee()
            .meeting_id(&one)
            .external_user_id("only-2")
            .send()
            .await,
        CreateAttendeeError::LimitExceededException
    );
    client
        .delete_attendee()
        .meeting_id(&one)
        .attendee_id(only.attendee_id().unwrap())
        .send()
        .await
        .unwrap();
    create_attendee(&client, &one, "only-2").await;
}
