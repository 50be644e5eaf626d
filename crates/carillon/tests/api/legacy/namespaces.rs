//! The two APIs keep their meetings apart: a meeting of one is not found through the other, a
//! ClientRequestToken is per API, and each API names the same condition its own way.

use aws_sdk_chimesdkmeetings::operation::batch_create_attendee::BatchCreateAttendeeError;
use aws_sdk_chimesdkmeetings::operation::create_attendee::CreateAttendeeError;
use aws_sdk_chimesdkmeetings::operation::delete_attendee::DeleteAttendeeError;
use aws_sdk_chimesdkmeetings::operation::delete_meeting::DeleteMeetingError;
use aws_sdk_chimesdkmeetings::operation::get_attendee::GetAttendeeError;
use aws_sdk_chimesdkmeetings::operation::get_meeting::GetMeetingError;
use aws_sdk_chimesdkmeetings::operation::list_attendees::ListAttendeesError;
use aws_sdk_chimesdkmeetings::operation::list_tags_for_resource::ListTagsForResourceError;
use aws_sdk_chimesdkmeetings::operation::start_meeting_transcription::StartMeetingTranscriptionError;
use aws_sdk_chimesdkmeetings::operation::tag_resource::TagResourceError;
use aws_sdk_chimesdkmeetings::operation::untag_resource::UntagResourceError;
use aws_sdk_chimesdkmeetings::types::{
    EngineTranscribeSettings, TranscribeLanguageCode, TranscriptionConfiguration,
};
use serde_json::{json, Value};

use super::support::*;
use carillon_testkit::expect_err;
use carillon_testkit::*;

#[tokio::test]
async fn a_legacy_meeting_is_not_found_through_the_current_api() {
    let server = shared_server();
    let client = server.client();
    let meeting = new_meeting_from(
        &server,
        &json!({"ClientRequestToken": unique("tok"), "Tags": tags_json(&[("api", "legacy")])}),
    )
    .await;
    let id = id_of(&meeting);
    let attendee = attendee_id_of(&new_attendee(&server, &id, "legacy-only").await);
    let arn = meeting_arn(REGION, ACCOUNT_ID, &id);

    expect_err!(
        client.get_meeting().meeting_id(&id).send().await,
        GetMeetingError::NotFoundException
    );
    expect_err!(
        client
            .get_attendee()
            .meeting_id(&id)
            .attendee_id(&attendee)
            .send()
            .await,
        GetAttendeeError::NotFoundException
    );
    expect_err!(
        client.list_attendees().meeting_id(&id).send().await,
        ListAttendeesError::NotFoundException
    );
    expect_err!(
        client
            .create_attendee()
            .meeting_id(&id)
            .external_user_id("intruder")
            .send()
            .await,
        CreateAttendeeError::NotFoundException
    );
    expect_err!(
        client
            .batch_create_attendee()
            .meeting_id(&id)
            .attendees(item("intruder"))
            .send()
            .await,
        BatchCreateAttendeeError::NotFoundException
    );
    expect_err!(
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
            .await,
        StartMeetingTranscriptionError::NotFoundException
    );
    expect_err!(
        client
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await,
        ListTagsForResourceError::ResourceNotFoundException
    );
    expect_err!(
        client
            .tag_resource()
            .resource_arn(&arn)
            .tags(tag("api", "current"))
            .send()
            .await,
        TagResourceError::ResourceNotFoundException
    );
    expect_err!(
        client
            .untag_resource()
            .resource_arn(&arn)
            .tag_keys("api")
            .send()
            .await,
        UntagResourceError::ResourceNotFoundException
    );
    expect_err!(
        client
            .delete_attendee()
            .meeting_id(&id)
            .attendee_id(&attendee)
            .send()
            .await,
        DeleteAttendeeError::NotFoundException
    );
    expect_err!(
        client.delete_meeting().meeting_id(&id).send().await,
        DeleteMeetingError::NotFoundException
    );
    let r = server.signed("GET", &format!("/meetings/{id}"), "").await;
    r.assert_error(404, "NotFoundException");

    // None of that touched the legacy meeting.
    let r = server
        .legacy_signed("GET", &format!("/meetings/{id}"), "")
        .await;
    assert_eq!(expect_status(&r, 200)["Meeting"], meeting);
    assert_eq!(
        all_attendees(&server, &id, 99)
            .await
            .iter()
            .map(attendee_id_of)
            .collect::<Vec<_>>(),
        vec![attendee]
    );
    assert_eq!(
        meeting_tags(&server, &id).await,
        owned(&[("api", "legacy")])
    );
}

#[tokio::test]
async fn a_current_meeting_is_not_found_through_the_legacy_api() {
    let server = shared_server();
    let client = server.client();
    let meeting = create_meeting_request(&client)
        .tags(tag("api", "current"))
        .send()
        .await
        .expect("CreateMeeting")
        .meeting
        .unwrap();
    let id = meeting.meeting_id().unwrap().to_string();
    let arn = meeting.meeting_arn().unwrap().to_string();
    let attendee = create_attendee(&client, &id, "current-only").await;
    let attendee_id = attendee.attendee_id().unwrap().to_string();
    let gone = meeting_not_found(&id);

    for (method, path, body) in [
        ("GET", format!("/meetings/{id}"), String::new()),
        ("GET", format!("/meetings/{id}/attendees"), String::new()),
        (
            "GET",
            format!("/meetings/{id}/attendees/{attendee_id}"),
            String::new(),
        ),
        (
            "GET",
            format!("/meetings/{id}/attendees/{attendee_id}/tags"),
            String::new(),
        ),
        (
            "POST",
            format!("/meetings/{id}/attendees/{attendee_id}/tags?operation=add"),
            json!({"Tags": tags_json(&[("k", "v")])}).to_string(),
        ),
        (
            "POST",
            format!("/meetings/{id}/attendees"),
            json!({"ExternalUserId": "intruder"}).to_string(),
        ),
        (
            "POST",
            format!("/meetings/{id}/attendees?operation=batch-create"),
            json!({"Attendees": [{"ExternalUserId": "intruder"}]}).to_string(),
        ),
        ("GET", format!("/meetings/{id}/tags"), String::new()),
        (
            "POST",
            format!("/meetings/{id}/tags?operation=add"),
            json!({"Tags": tags_json(&[("api", "legacy")])}).to_string(),
        ),
        (
            "POST",
            format!("/meetings/{id}/tags?operation=delete"),
            json!({"TagKeys": ["api"]}).to_string(),
        ),
        (
            "POST",
            format!("/meetings/{id}/transcription?operation=stop"),
            String::new(),
        ),
        (
            "DELETE",
            format!("/meetings/{id}/attendees/{attendee_id}"),
            String::new(),
        ),
        ("DELETE", format!("/meetings/{id}"), String::new()),
    ] {
        let r = server.legacy_signed(method, &path, &body).await;
        expect_not_found(&r, &gone);
    }
    for r in [
        server
            .legacy_signed("GET", &format!("/tags?arn={}", percent_encode(&arn)), "")
            .await,
        server
            .legacy_signed(
                "POST",
                "/tags?operation=tag-resource",
                &json!({"ResourceARN": arn, "Tags": tags_json(&[("api", "legacy")])}).to_string(),
            )
            .await,
        server
            .legacy_signed(
                "POST",
                "/tags?operation=untag-resource",
                &json!({"ResourceARN": arn, "TagKeys": ["api"]}).to_string(),
            )
            .await,
    ] {
        r.assert_error(404, "NotFoundException");
    }
    assert!(
        !all_meeting_ids(&server).await.contains(&id),
        "ListMeetings lists a current meeting"
    );

    // None of that touched the current meeting.
    let got = client
        .get_meeting()
        .meeting_id(&id)
        .send()
        .await
        .expect("GetMeeting")
        .meeting
        .unwrap();
    assert_eq!(got, meeting);
    assert_eq!(list_all_attendees(&client, &id).await, vec![attendee]);
    let tags = client
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .expect("ListTagsForResource");
    assert_eq!(tag_pairs(tags.tags()), owned(&[("api", "current")]));
}

#[tokio::test]
async fn one_client_request_token_makes_one_meeting_in_each_api() {
    let server = shared_server();
    let client = server.client();
    let token = unique("shared-token");
    let legacy = id_of(&new_meeting_from(&server, &json!({ "ClientRequestToken": token })).await);
    let current = |token: String| {
        let client = client.clone();
        async move {
            client
                .create_meeting()
                .client_request_token(token)
                .media_region(REGION)
                .external_meeting_id("same-token")
                .send()
                .await
                .expect("CreateMeeting")
                .meeting
                .unwrap()
                .meeting_id
                .unwrap()
        }
    };
    let first_current = current(token.clone()).await;
    assert_ne!(first_current, legacy, "one token, two APIs, two meetings");

    // Each API replays its own.
    assert_eq!(current(token.clone()).await, first_current);
    let replay = new_meeting_from(&server, &json!({ "ClientRequestToken": token })).await;
    assert_eq!(id_of(&replay), legacy);
}

/// Fills a meeting with 250 attendees through the given API's BatchCreateAttendee.
async fn fill(server: &Server, api: Api, meeting: &str) {
    let success = match api {
        Api::Current => 200,
        Api::Legacy => 201,
    };
    for batch in 0..3 {
        let n = if batch == 2 { 50 } else { 100 };
        let items: Vec<Value> = (0..n)
            .map(|i| json!({"ExternalUserId": format!("fill-{batch}-{i}")}))
            .collect();
        let r = server
            .signed_to(
                api,
                "POST",
                &format!("/meetings/{meeting}/attendees?operation=batch-create"),
                &json!({ "Attendees": items }).to_string(),
            )
            .await;
        let out = expect_status(&r, success);
        assert_eq!(out["Errors"], json!([]), "{out}");
    }
}

#[tokio::test]
async fn each_api_names_the_attendee_limit_its_own_way() {
    let server = shared_server();
    let client = server.client();
    let legacy = new_meeting(&server).await;
    let current = create_meeting(&client).await.meeting_id.unwrap();
    tokio::join!(
        fill(&server, Api::Legacy, &legacy),
        fill(&server, Api::Current, &current)
    );
    let extra = r#"{"ExternalUserId":"one-too-many"}"#;

    let r = server
        .legacy_signed("POST", &format!("/meetings/{legacy}/attendees"), extra)
        .await;
    let body = r.assert_error(400, "ResourceLimitExceededException");
    assert_eq!(body["Code"], "ResourceLimitExceeded");

    let r = server
        .signed("POST", &format!("/meetings/{current}/attendees"), extra)
        .await;
    let body = r.assert_error(400, "LimitExceededException");
    assert_eq!(body["Code"], "LimitExceeded");
    expect_err!(
        client
            .create_attendee()
            .meeting_id(&current)
            .external_user_id("one-too-many")
            .send()
            .await,
        CreateAttendeeError::LimitExceededException
    );

    // In batches, each API's own ErrorCode.
    for (api, success, code) in [
        (Api::Legacy, 201, "ResourceLimitExceeded"),
        (Api::Current, 200, "LimitExceeded"),
    ] {
        let meeting = if api == Api::Legacy {
            &legacy
        } else {
            &current
        };
        let r = server
            .signed_to(
                api,
                "POST",
                &format!("/meetings/{meeting}/attendees?operation=batch-create"),
                r#"{"Attendees":[{"ExternalUserId":"one-too-many"}]}"#,
            )
            .await;
        let out = expect_status(&r, success);
        assert_eq!(out["Attendees"], json!([]), "{api:?}: {out}");
        assert_eq!(out["Errors"][0]["ErrorCode"], code, "{api:?}: {out}");
    }
}

#[tokio::test]
async fn each_api_refuses_an_out_of_range_max_results_as_a_bad_request() {
    let server = shared_server();
    let legacy = new_meeting(&server).await;
    let current = create_meeting(&server.client()).await.meeting_id.unwrap();
    // The legacy range is 1..99, the current one 1..100.
    for (api, meeting, max_results, status) in [
        (Api::Legacy, &legacy, 99, 200),
        (Api::Legacy, &legacy, 100, 400),
        (Api::Current, &current, 100, 200),
        (Api::Current, &current, 101, 400),
        (Api::Legacy, &legacy, 0, 400),
        (Api::Current, &current, 0, 400),
    ] {
        let r = server
            .signed_to(
                api,
                "GET",
                &format!("/meetings/{meeting}/attendees?max-results={max_results}"),
                "",
            )
            .await;
        if status == 200 {
            expect_status(&r, 200);
        } else {
            r.assert_error(400, "BadRequestException");
            assert!(
                r.message().contains("MaxResults"),
                "{api:?} {max_results}: {}",
                r.text()
            );
        }
    }
    let r = server
        .legacy_signed("GET", "/meetings?max-results=100", "")
        .await;
    r.assert_error(400, "BadRequestException");
}

#[tokio::test]
async fn documented_only_rules_and_tag_shapes_differ_between_the_apis() {
    let server = shared_server();
    let client = server.client();
    let legacy = new_meeting(&server).await;
    let current = create_meeting(&client).await;
    let current_id = current.meeting_id().unwrap();

    // The reserved `aws:` prefix is a documented rule of the current API only.
    let a = new_attendee(&server, &legacy, "aws:reserved-user").await;
    assert_eq!(a["ExternalUserId"], "aws:reserved-user");
    let r = server
        .signed(
            "POST",
            &format!("/meetings/{current_id}/attendees"),
            r#"{"ExternalUserId":"aws:reserved-user"}"#,
        )
        .await;
    r.assert_error(400, "BadRequestException");

    // Legacy tags: any key, non-empty values. Current tags: patterned keys, empty values.
    let r = server
        .legacy_signed(
            "POST",
            &format!("/meetings/{legacy}/tags?operation=add"),
            &json!({"Tags": tags_json(&[("key with spaces", "v")])}).to_string(),
        )
        .await;
    expect_no_content(&r);
    let r = server
        .legacy_signed(
            "POST",
            &format!("/meetings/{legacy}/tags?operation=add"),
            &json!({"Tags": tags_json(&[("empty", "")])}).to_string(),
        )
        .await;
    r.assert_error(400, "BadRequestException");
    let arn = current.meeting_arn().unwrap();
    let r = server
        .signed(
            "POST",
            "/tags?operation=tag-resource",
            &json!({"ResourceARN": arn, "Tags": tags_json(&[("key with spaces", "v")])})
                .to_string(),
        )
        .await;
    r.assert_error(400, "BadRequestException");
    let r = server
        .signed(
            "POST",
            "/tags?operation=tag-resource",
            &json!({"ResourceARN": arn, "Tags": tags_json(&[("empty", "")])}).to_string(),
        )
        .await;
    expect_no_content(&r);
}
