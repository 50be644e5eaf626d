//! The legacy listener on the wire: authentication errors as on the current API, routing, the
//! error body, and the modeled success code of every operation.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use serde_json::json;

use super::support::*;
use carillon_testkit::*;

/// Builds a request for the listener at this address.
type BuildRequest = Box<dyn Fn(SocketAddr) -> RawRequest>;

fn create_body() -> String {
    json!({"ClientRequestToken": unique("tok")}).to_string()
}

#[tokio::test]
async fn the_legacy_listener_is_a_listener_of_its_own() {
    let server = shared_server();
    let legacy = server.addr_of(Api::Legacy);
    assert_ne!(legacy, server.addr);
    assert_eq!(server.legacy_endpoint(), format!("http://{legacy}"));
    let r = server.send_legacy(&RawRequest::new("GET", "/health")).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn authentication_errors_are_those_of_the_current_api() {
    let server = shared_server();
    let path = format!("/meetings/{}", unknown_guid());
    let cases: Vec<(&str, BuildRequest, u16, &str)> = vec![
        (
            "no Authorization",
            Box::new(|_| RawRequest::new("POST", "/meetings").json_body(&create_body())),
            403,
            "MissingAuthenticationTokenException",
        ),
        (
            "unknown access key",
            Box::new(|addr| {
                RawRequest::new("POST", "/meetings")
                    .json_body(&create_body())
                    .sign_for(
                        &Signing {
                            access_key_id: "AKIDUNKNOWNKEY000000".into(),
                            ..Signing::default()
                        },
                        addr,
                    )
            }),
            403,
            "UnrecognizedClientException",
        ),
        (
            "wrong secret",
            Box::new(|addr| {
                RawRequest::new("POST", "/meetings")
                    .json_body(&create_body())
                    .sign_for(
                        &Signing {
                            secret_access_key: "not-the-secret".into(),
                            ..Signing::default()
                        },
                        addr,
                    )
            }),
            403,
            "InvalidSignatureException",
        ),
        (
            "another service",
            Box::new(|addr| {
                RawRequest::new("POST", "/meetings")
                    .json_body(&create_body())
                    .sign_for(
                        &Signing {
                            service: "chime-sdk-meetings".into(),
                            ..Signing::default()
                        },
                        addr,
                    )
            }),
            403,
            "InvalidSignatureException",
        ),
        (
            "expired",
            Box::new(|addr| {
                RawRequest::new("GET", &format!("/meetings/{}", unknown_guid())).sign_for(
                    &Signing {
                        time: SystemTime::now() - Duration::from_secs(20 * 60),
                        ..Signing::default()
                    },
                    addr,
                )
            }),
            403,
            "InvalidSignatureException",
        ),
        (
            "body changed after signing",
            Box::new(|addr| {
                let mut req = RawRequest::new("POST", "/meetings")
                    .json_body(&create_body())
                    .sign_for(&Signing::default(), addr);
                req.body = create_body().into_bytes();
                req
            }),
            403,
            "InvalidSignatureException",
        ),
        (
            "malformed Authorization",
            Box::new(|_| {
                RawRequest::new("GET", &format!("/meetings/{}", unknown_guid()))
                    .header("authorization", "AWS4-HMAC-SHA256 nonsense")
                    .header("x-amz-date", "20240101T000000Z")
            }),
            400,
            "IncompleteSignatureException",
        ),
        (
            "no Authorization on an unknown path",
            Box::new(|_| RawRequest::new("GET", "/no/such/path")),
            403,
            "MissingAuthenticationTokenException",
        ),
        (
            "no Authorization on a legacy-only path",
            Box::new(|_| RawRequest::new("GET", "/meetings")),
            403,
            "MissingAuthenticationTokenException",
        ),
    ];
    for (what, build, status, name) in &cases {
        for api in [Api::Current, Api::Legacy] {
            let r = server.send_to(api, &build(server.addr_of(api))).await;
            assert_eq!(
                (r.status, r.header("x-amzn-ErrorType")),
                (*status, Some(*name)),
                "{what} on {api:?}: {}",
                r.text()
            );
            r.assert_error(*status, name);
        }
    }
    // Properly signed, the same request reaches the operation.
    let r = server.legacy_signed("GET", &path, "").await;
    expect_not_found(
        &r,
        &meeting_not_found(path.trim_start_matches("/meetings/")),
    );
}

#[tokio::test]
async fn routing_follows_each_model() {
    let server = shared_server();
    let meeting = new_meeting(&server).await;
    let attendee = attendee_id_of(&new_attendee(&server, &meeting, "routing-user").await);

    // Unknown path: 404; known path with another method or selector: 400.
    for (method, path) in [
        ("GET", "/no/such/path".to_string()),
        (
            "PUT",
            format!("/meetings/{meeting}/attendees/{attendee}/capabilities"),
        ),
    ] {
        server
            .legacy_signed(method, &path, "{}")
            .await
            .assert_error(404, "NotFoundException");
    }
    for (method, path) in [
        ("PUT", "/meetings".to_string()),
        ("POST", "/meetings?operation=bogus".to_string()),
        ("PUT", format!("/meetings/{meeting}/tags")),
        ("POST", format!("/meetings/{meeting}/tags?operation=bogus")),
        ("POST", format!("/meetings/{meeting}/tags")),
    ] {
        server
            .legacy_signed(method, &path, "{}")
            .await
            .assert_error(400, "BadRequestException");
    }
    // The legacy-only routes are not routes of the current API.
    server
        .signed("GET", &format!("/meetings/{meeting}/tags"), "")
        .await
        .assert_error(404, "NotFoundException");
    server
        .signed(
            "GET",
            &format!("/meetings/{meeting}/attendees/{attendee}/tags"),
            "",
        )
        .await
        .assert_error(404, "NotFoundException");
    server
        .signed("GET", "/meetings", "")
        .await
        .assert_error(400, "BadRequestException");
}

#[tokio::test]
async fn errors_carry_the_legacy_code_and_the_real_message() {
    let server = shared_server();
    let unknown = unknown_guid();
    let r = server
        .legacy_signed("GET", &format!("/meetings/{unknown}"), "")
        .await;
    let body = r.assert_error(404, "NotFoundException");
    let request_id = r.header("x-amzn-RequestId").unwrap();
    assert_eq!(
        body,
        json!({
            "Code": "NotFound",
            "Message": format!("Meeting <{unknown}> not found"),
            "RequestId": request_id,
        })
    );
    // Current-API-only members stay out of legacy errors.
    let meeting = new_meeting(&server).await;
    let r = server
        .legacy_signed(
            "POST",
            &format!("/meetings/{meeting}/tags?operation=add"),
            &json!({"Tags": many_tags("k", 50)}).to_string(),
        )
        .await;
    expect_no_content(&r);
    let r = server
        .legacy_signed(
            "POST",
            &format!("/meetings/{meeting}/tags?operation=add"),
            &json!({"Tags": tags_json(&[("k-50", "v")])}).to_string(),
        )
        .await;
    let body = r.assert_error(400, "ResourceLimitExceededException");
    assert_members_within(&body, &["Code", "Message", "RequestId", "Resource"]);
}

/// Each of the 21 operations once, in a meeting's life, with its modeled success code.
#[tokio::test]
async fn every_operation_answers_with_its_modeled_success_code() {
    let server = shared_server();
    let s = &server;
    let call = |method: &'static str, path: String, body: String| async move {
        s.legacy_signed(method, &path, &body).await
    };

    // CreateMeeting 201, CreateMeetingWithAttendees 201.
    let r = call("POST", "/meetings".into(), create_body()).await;
    let m = id_of(&expect_status(&r, 201)["Meeting"]);
    let r = call(
        "POST",
        "/meetings?operation=create-attendees".into(),
        json!({"ClientRequestToken": unique("tok"), "Attendees": [{"ExternalUserId": "cmwa-1"}]})
            .to_string(),
    )
    .await;
    let with = expect_status(&r, 201);
    assert_eq!(with["Attendees"].as_array().map(Vec::len), Some(1));
    // GetMeeting 200, ListMeetings 200.
    let r = call("GET", format!("/meetings/{m}"), String::new()).await;
    expect_status(&r, 200);
    let r = call("GET", "/meetings?max-results=1".into(), String::new()).await;
    expect_status(&r, 200);
    // CreateAttendee 201, BatchCreateAttendee 201, GetAttendee 200, ListAttendees 200.
    let r = call(
        "POST",
        format!("/meetings/{m}/attendees"),
        json!({"ExternalUserId": "op-user-1"}).to_string(),
    )
    .await;
    let a = attendee_id_of(&expect_status(&r, 201)["Attendee"]);
    let r = call(
        "POST",
        format!("/meetings/{m}/attendees?operation=batch-create"),
        json!({"Attendees": [{"ExternalUserId": "op-user-2"}]}).to_string(),
    )
    .await;
    let b = attendee_id_of(&expect_status(&r, 201)["Attendees"][0]);
    let r = call("GET", format!("/meetings/{m}/attendees/{a}"), String::new()).await;
    expect_status(&r, 200);
    let r = call("GET", format!("/meetings/{m}/attendees"), String::new()).await;
    expect_status(&r, 200);
    // Transcription: 200 both.
    let r = call(
        "POST",
        format!("/meetings/{m}/transcription?operation=start"),
        json!({"TranscriptionConfiguration": {"EngineTranscribeSettings": {"LanguageCode": "en-US"}}})
            .to_string(),
    )
    .await;
    expect_status(&r, 200);
    let r = call(
        "POST",
        format!("/meetings/{m}/transcription?operation=stop"),
        String::new(),
    )
    .await;
    expect_status(&r, 200);
    // Meeting tags: 204, 204, 200.
    let r = call(
        "POST",
        format!("/meetings/{m}/tags?operation=add"),
        json!({"Tags": tags_json(&[("k", "v")])}).to_string(),
    )
    .await;
    expect_no_content(&r);
    let r = call(
        "POST",
        format!("/meetings/{m}/tags?operation=delete"),
        json!({"TagKeys": ["k"]}).to_string(),
    )
    .await;
    expect_no_content(&r);
    let r = call("GET", format!("/meetings/{m}/tags"), String::new()).await;
    expect_status(&r, 200);
    // Attendee tags: 204, 204, 200.
    let r = call(
        "POST",
        format!("/meetings/{m}/attendees/{a}/tags?operation=add"),
        json!({"Tags": tags_json(&[("k", "v")])}).to_string(),
    )
    .await;
    expect_no_content(&r);
    let r = call(
        "POST",
        format!("/meetings/{m}/attendees/{a}/tags?operation=delete"),
        json!({"TagKeys": ["k"]}).to_string(),
    )
    .await;
    expect_no_content(&r);
    let r = call(
        "GET",
        format!("/meetings/{m}/attendees/{a}/tags"),
        String::new(),
    )
    .await;
    expect_status(&r, 200);
    // Resource tags: 204, 204, 200.
    let arn = meeting_arn(REGION, ACCOUNT_ID, &m);
    let r = call(
        "POST",
        "/tags?operation=tag-resource".into(),
        json!({"ResourceARN": arn, "Tags": tags_json(&[("k", "v")])}).to_string(),
    )
    .await;
    expect_no_content(&r);
    let r = call(
        "POST",
        "/tags?operation=untag-resource".into(),
        json!({"ResourceARN": arn, "TagKeys": ["k"]}).to_string(),
    )
    .await;
    expect_no_content(&r);
    let r = call(
        "GET",
        format!("/tags?arn={}", percent_encode(&arn)),
        String::new(),
    )
    .await;
    expect_status(&r, 200);
    // DeleteAttendee 204, DeleteMeeting 204.
    let r = call(
        "DELETE",
        format!("/meetings/{m}/attendees/{b}"),
        String::new(),
    )
    .await;
    expect_no_content(&r);
    let r = call("DELETE", format!("/meetings/{m}"), String::new()).await;
    expect_no_content(&r);
}
