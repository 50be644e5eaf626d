//! Model and documented constraints: every violation is a BadRequestException naming the member,
//! and never echoing the value.

use aws_sdk_chimesdkmeetings::operation::batch_create_attendee::BatchCreateAttendeeError;
use aws_sdk_chimesdkmeetings::operation::create_attendee::CreateAttendeeError;
use aws_sdk_chimesdkmeetings::operation::create_meeting::CreateMeetingError;
use aws_sdk_chimesdkmeetings::operation::delete_attendee::DeleteAttendeeError;
use aws_sdk_chimesdkmeetings::operation::delete_meeting::DeleteMeetingError;
use aws_sdk_chimesdkmeetings::operation::get_attendee::GetAttendeeError;
use aws_sdk_chimesdkmeetings::operation::get_meeting::GetMeetingError;
use aws_sdk_chimesdkmeetings::operation::list_attendees::ListAttendeesError;
use aws_sdk_chimesdkmeetings::operation::update_attendee_capabilities::UpdateAttendeeCapabilitiesError;
use aws_sdk_chimesdkmeetings::types::{MediaCapabilities, NotificationsConfiguration};
use aws_sdk_chimesdkmeetings::Client;

use carillon_testkit::expect_err;
use carillon_testkit::*;

fn assert_names(message: Option<&str>, member: &str, value: &str) {
    let message = message.unwrap_or_else(|| panic!("no message for {member}"));
    assert!(
        message.contains(member),
        "the message does not name {member}: {message}"
    );
    if value.len() > 3 {
        assert!(
            !message.contains(value),
            "the message echoes the value {value:?}: {message}"
        );
    }
}

async fn create_attendee_err(
    client: &Client,
    meeting_id: &str,
    external_user_id: &str,
) -> CreateAttendeeError {
    expect_err!(
        client
            .create_attendee()
            .meeting_id(meeting_id)
            .external_user_id(external_user_id)
            .send()
            .await,
        CreateAttendeeError::BadRequestException
    )
}

#[tokio::test]
async fn external_user_id_constraints() {
    let server = shared_server();
    let client = server.client();
    let meeting_id = create_meeting(&client).await.meeting_id.unwrap();
    let too_long = "x".repeat(65);
    for bad in [
        "a",
        too_long.as_str(),
        "star*user",
        "semi;colon",
        "angle<bracket",
        "emoji😀user",
        "aws:reserved",
        "AWS:reserved",
        "Aws:x",
    ] {
        let e = create_attendee_err(&client, &meeting_id, bad).await;
        assert_eq!(e.meta().code(), Some("BadRequestException"), "{bad}");
        assert_names(e.meta().message(), "ExternalUserId", bad);
    }
    // The documented character set is accepted, and `aws` without the colon is not reserved.
    for good in [
        "ab",
        "x".repeat(64).as_str(),
        "737c4f63#sugiy",
        "Zoë Müller",
        "tab\there",
        "mail@example.com",
        "a-_&@+=,(){}[]/«».:|'\"#b",
        "awsuser",
        "aw:s",
        "my-aws:thing",
    ] {
        client
            .create_attendee()
            .meeting_id(&meeting_id)
            .external_user_id(good)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{good:?}: {e:?}"));
    }
    // In a batch, the message points at the item.
    let e = expect_err!(
        client
            .batch_create_attendee()
            .meeting_id(&meeting_id)
            .attendees(item("fine-user"))
            .attendees(item("aws:batch"))
            .send()
            .await,
        BatchCreateAttendeeError::BadRequestException
    );
    assert_names(
        e.meta().message(),
        "Attendees[1].ExternalUserId",
        "aws:batch",
    );
    // Nothing of the refused batch was created.
    let listed = list_all_attendees(&client, &meeting_id).await;
    assert!(listed
        .iter()
        .all(|a| a.external_user_id() != Some("fine-user")));
}

#[tokio::test]
async fn create_meeting_constraints() {
    let server = shared_server();
    let client = server.client();
    let base = || create_meeting_request(&client);
    let cases: Vec<(&str, &str, _)> = vec![
        (
            "ExternalMeetingId",
            "bad*meeting",
            base().external_meeting_id("bad*meeting"),
        ),
        (
            "ExternalMeetingId",
            "aws:meeting",
            base().external_meeting_id("aws:meeting"),
        ),
        (
            "ExternalMeetingId",
            "AWS:meeting",
            base().external_meeting_id("AWS:meeting"),
        ),
        ("ExternalMeetingId", "m", base().external_meeting_id("m")),
        (
            "MeetingHostId",
            "host*id",
            base().meeting_host_id("host*id"),
        ),
        (
            "ClientRequestToken",
            "bad token!",
            base().client_request_token("bad token!"),
        ),
        ("ClientRequestToken", "t", base().client_request_token("t")),
        ("MediaRegion", "x", base().media_region("x")),
        ("TenantIds[0]", "aaaab", base().tenant_ids("aaaab")),
        (
            "TenantIds[1]",
            "ab1111",
            base().tenant_ids("fine-tenant").tenant_ids("ab1111"),
        ),
        ("TenantIds[0]", "t", base().tenant_ids("t")),
        (
            "TenantIds[0]",
            "bad tenant",
            base().tenant_ids("bad tenant"),
        ),
        (
            "TenantIds",
            "",
            base()
                .tenant_ids("t1")
                .tenant_ids("t2")
                .tenant_ids("t3")
                .tenant_ids("t4")
                .tenant_ids("t5")
                .tenant_ids("t6"),
        ),
        ("TenantIds", "", base().set_tenant_ids(Some(Vec::new()))),
        ("PrimaryMeetingId", "p", base().primary_meeting_id("p")),
        (
            "MediaPlacementNetworkType",
            "",
            base().media_placement_network_type("Carrier".into()),
        ),
        (
            "NotificationsConfiguration.SnsTopicArn",
            "",
            base().notifications_configuration(
                NotificationsConfiguration::builder()
                    .sns_topic_arn("not an arn")
                    .build(),
            ),
        ),
    ];
    for (member, value, request) in cases {
        let e = expect_err!(
            request.send().await,
            CreateMeetingError::BadRequestException
        );
        assert_names(e.meta().message(), member, value);
    }
    // Valid edge values.
    for good in [
        base().tenant_ids("aaab").tenant_ids("a-b_c!d@e#f$g"),
        base().client_request_token("ab"),
        base().client_request_token("x".repeat(64)),
        base().external_meeting_id("Réunion d'équipe [Q3]"),
    ] {
        good.send().await.expect("valid CreateMeeting");
    }
}

#[tokio::test]
async fn create_meeting_with_many_violations_lists_them() {
    let server = shared_server();
    let client = server.client();
    let e = expect_err!(
        client
            .create_meeting()
            .client_request_token("bad token!")
            .media_region("x")
            .external_meeting_id("m")
            .send()
            .await,
        CreateMeetingError::BadRequestException
    );
    let message = e.meta().message().unwrap_or_default().to_string();
    assert!(
        message.starts_with("3 validation errors detected"),
        "{message}"
    );
    for member in ["ClientRequestToken", "MediaRegion", "ExternalMeetingId"] {
        assert!(message.contains(member), "{member}: {message}");
    }
}

#[tokio::test]
async fn ids_in_paths_must_be_guids() {
    let server = shared_server();
    let client = server.client();
    let meeting_id = create_meeting(&client).await.meeting_id.unwrap();
    let attendee = create_attendee(&client, &meeting_id, &unique("user")).await;
    let attendee_id = attendee.attendee_id().unwrap();
    for bad in [
        "not-a-guid",
        "396bc713-ecdb-4fac-a406-1db789d5271",
        "396bc713-ecdb-4fac-a406-1db789d527133",
        "396bc713xecdb-4fac-a406-1db789d52713",
        "g96bc713-ecdb-4fac-a406-1db789d52713",
    ] {
        let e = expect_err!(
            client.get_meeting().meeting_id(bad).send().await,
            GetMeetingError::BadRequestException
        );
        assert_names(e.meta().message(), "MeetingId", bad);
        expect_err!(
            client.delete_meeting().meeting_id(bad).send().await,
            DeleteMeetingError::BadRequestException
        );
        expect_err!(
            client.list_attendees().meeting_id(bad).send().await,
            ListAttendeesError::BadRequestException
        );
        let e = expect_err!(
            client
                .get_attendee()
                .meeting_id(&meeting_id)
                .attendee_id(bad)
                .send()
                .await,
            GetAttendeeError::BadRequestException
        );
        assert_names(e.meta().message(), "AttendeeId", bad);
        expect_err!(
            client
                .delete_attendee()
                .meeting_id(bad)
                .attendee_id(attendee_id)
                .send()
                .await,
            DeleteAttendeeError::BadRequestException
        );
        expect_err!(
            client
                .update_attendee_capabilities()
                .meeting_id(&meeting_id)
                .attendee_id(bad)
                .capabilities(send_receive_all())
                .send()
                .await,
            UpdateAttendeeCapabilitiesError::BadRequestException
        );
    }
}

#[tokio::test]
async fn enum_values_are_checked() {
    let server = shared_server();
    let client = server.client();
    let meeting_id = create_meeting(&client).await.meeting_id.unwrap();
    let e = expect_err!(
        client
            .create_attendee()
            .meeting_id(&meeting_id)
            .external_user_id(unique("user"))
            .capabilities(caps(
                MediaCapabilities::from("Shout"),
                MediaCapabilities::SendReceive,
                MediaCapabilities::SendReceive,
            ))
            .send()
            .await,
        CreateAttendeeError::BadRequestException
    );
    assert_names(e.meta().message(), "Capabilities.Audio", "Shout");
    assert!(
        e.meta()
            .message()
            .is_some_and(|m| m.contains("SendReceive")),
        "the message lists the allowed values: {e:?}"
    );
}

#[tokio::test]
async fn lengths_count_characters() {
    let server = shared_server();
    let client = server.client();
    let meeting_id = create_meeting(&client).await.meeting_id.unwrap();
    // 64 two-byte characters are 64 characters long.
    let at_limit = "é".repeat(64);
    client
        .create_attendee()
        .meeting_id(&meeting_id)
        .external_user_id(&at_limit)
        .send()
        .await
        .expect("64 characters");
    let over = "é".repeat(65);
    let e = create_attendee_err(&client, &meeting_id, &over).await;
    assert_names(e.meta().message(), "ExternalUserId", &over);
    client
        .create_meeting()
        .client_request_token(unique("tok"))
        .media_region(REGION)
        .external_meeting_id("ü".repeat(64))
        .send()
        .await
        .expect("64-character ExternalMeetingId");
}

#[tokio::test]
async fn list_sizes_follow_the_model() {
    let server = shared_server();
    let client = server.client();
    let meeting_id = create_meeting(&client).await.meeting_id.unwrap();
    // ExcludedAttendeeIds: at most 250.
    let ids: Vec<_> = (0..251)
        .map(|_| {
            aws_sdk_chimesdkmeetings::types::AttendeeIdItem::builder()
                .attendee_id(unknown_guid())
                .build()
                .unwrap()
        })
        .collect();
    let e = expect_err!(
        client
            .batch_update_attendee_capabilities_except()
            .meeting_id(&meeting_id)
            .set_excluded_attendee_ids(Some(ids.clone()))
            .capabilities(send_receive_all())
            .send()
            .await,
        aws_sdk_chimesdkmeetings::operation::batch_update_attendee_capabilities_except::BatchUpdateAttendeeCapabilitiesExceptError::BadRequestException
    );
    assert_names(e.meta().message(), "ExcludedAttendeeIds", "");
    client
        .batch_update_attendee_capabilities_except()
        .meeting_id(&meeting_id)
        .set_excluded_attendee_ids(Some(ids[..250].to_vec()))
        .capabilities(send_receive_all())
        .send()
        .await
        .expect("250 excluded ids");

    // CreateMeetingWithAttendees: 20 attendees is the maximum, and allowed.
    let mut request = client
        .create_meeting_with_attendees()
        .client_request_token(unique("tok"))
        .media_region(REGION)
        .external_meeting_id(unique("ext"));
    for i in 0..20 {
        request = request.attendees(item(&format!("twenty-{i}")));
    }
    let out = request.send().await.expect("20 attendees");
    assert_eq!(out.attendees().len(), 20);
    assert!(out.errors().is_empty());

    // BatchCreateAttendee: 100 is allowed, none is not.
    let items: Vec<_> = (0..100).map(|i| item(&format!("hundred-{i}"))).collect();
    let out = client
        .batch_create_attendee()
        .meeting_id(&meeting_id)
        .set_attendees(Some(items))
        .send()
        .await
        .expect("100 attendees");
    assert_eq!(out.attendees().len(), 100);
    let e = expect_err!(
        client
            .batch_create_attendee()
            .meeting_id(&meeting_id)
            .set_attendees(Some(Vec::new()))
            .send()
            .await,
        BatchCreateAttendeeError::BadRequestException
    );
    assert_names(e.meta().message(), "Attendees", "");
}
