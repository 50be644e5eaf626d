//! Wire-level behaviour checked with raw HTTP/1.1 requests (signed with the official `aws-sigv4`
//! signer, or deliberately unsigned or damaged): authentication errors, the AWS error shape,
//! request ids, routing, malformed bodies, status codes, health.

use std::time::{Duration, SystemTime};

use aws_sdk_chimesdkmeetings::operation::get_meeting::GetMeetingError;
use aws_sdk_chimesdkmeetings::operation::list_tags_for_resource::ListTagsForResourceError;
use aws_sdk_chimesdkmeetings::operation::RequestId;

use carillon_testkit::*;

async fn send_signed_as(server: &Server, signing: &Signing, req: RawRequest) -> RawResponse {
    server.send(&req.sign(signing, server)).await
}

/// Creates a meeting with a raw signed request; returns its id.
async fn raw_meeting(server: &Server) -> String {
    let r = server
        .signed("POST", "/meetings", &fresh_create_meeting_body())
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["Meeting"]["MeetingId"]
        .as_str()
        .expect("MeetingId")
        .to_string()
}

#[tokio::test]
async fn health_needs_no_authentication() {
    let server = shared_server();
    let r = server.send(&RawRequest::new("GET", "/health")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("ok"), "{}", r.text());
}

#[tokio::test]
async fn a_request_without_authorization_is_refused() {
    let server = shared_server();
    for (method, path) in [
        ("GET", format!("/meetings/{}", unknown_guid())),
        ("POST", "/meetings".to_string()),
        ("GET", "/no/such/path".to_string()),
    ] {
        let r = server
            .send(&RawRequest::new(method, &path).json_body(&fresh_create_meeting_body()))
            .await;
        r.assert_error(403, "MissingAuthenticationTokenException");
    }
}

#[tokio::test]
async fn an_unknown_access_key_is_refused() {
    let server = shared_server();
    let signing = Signing {
        access_key_id: "AKIDUNKNOWNKEY000000".into(),
        ..Signing::default()
    };
    let r = send_signed_as(
        &server,
        &signing,
        RawRequest::new("POST", "/meetings").json_body(&fresh_create_meeting_body()),
    )
    .await;
    r.assert_error(403, "UnrecognizedClientException");
}

#[tokio::test]
async fn a_wrong_secret_is_refused() {
    let server = shared_server();
    let signing = Signing {
        secret_access_key: "not-the-secret".into(),
        ..Signing::default()
    };
    let r = send_signed_as(
        &server,
        &signing,
        RawRequest::new("POST", "/meetings").json_body(&fresh_create_meeting_body()),
    )
    .await;
    r.assert_error(403, "InvalidSignatureException");
    // The second account's key with the first account's secret.
    let signing = Signing {
        access_key_id: SECOND_ACCESS_KEY_ID.into(),
        ..Signing::default()
    };
    let r = send_signed_as(
        &server,
        &signing,
        RawRequest::new("GET", &format!("/meetings/{}", unknown_guid())),
    )
    .await;
    r.assert_error(403, "InvalidSignatureException");
}

#[tokio::test]
async fn a_request_changed_after_signing_is_refused() {
    let server = shared_server();
    // Body replaced.
    let mut req = RawRequest::new("POST", "/meetings")
        .json_body(&fresh_create_meeting_body())
        .sign(&Signing::default(), &server);
    req.body = fresh_create_meeting_body().into_bytes();
    server
        .send(&req)
        .await
        .assert_error(403, "InvalidSignatureException");
    // Body extended.
    let mut req = RawRequest::new("POST", "/meetings")
        .json_body(&fresh_create_meeting_body())
        .sign(&Signing::default(), &server);
    req.body.push(b' ');
    server
        .send(&req)
        .await
        .assert_error(403, "InvalidSignatureException");
    // Path replaced.
    let mut req = RawRequest::new("GET", &format!("/meetings/{}", unknown_guid()))
        .sign(&Signing::default(), &server);
    req.path_and_query = format!("/meetings/{}", unknown_guid());
    server
        .send(&req)
        .await
        .assert_error(403, "InvalidSignatureException");
    // Query added.
    let meeting_id = raw_meeting(&server).await;
    let mut req = RawRequest::new("GET", &format!("/meetings/{meeting_id}/attendees"))
        .sign(&Signing::default(), &server);
    req.path_and_query.push_str("?max-results=1");
    server
        .send(&req)
        .await
        .assert_error(403, "InvalidSignatureException");
    // A signed header changed.
    let mut req = RawRequest::new("POST", "/meetings")
        .json_body(&fresh_create_meeting_body())
        .sign(&Signing::default(), &server);
    for (k, v) in &mut req.headers {
        if k.eq_ignore_ascii_case("content-type") {
            *v = "application/x-amz-json-1.1".into();
        }
    }
    server
        .send(&req)
        .await
        .assert_error(403, "InvalidSignatureException");
}

#[tokio::test]
async fn signatures_expire_after_fifteen_minutes() {
    let server = shared_server();
    let old = Signing {
        time: SystemTime::now() - Duration::from_secs(20 * 60),
        ..Signing::default()
    };
    let r = send_signed_as(
        &server,
        &old,
        RawRequest::new("GET", &format!("/meetings/{}", unknown_guid())),
    )
    .await;
    r.assert_error(403, "InvalidSignatureException");
    assert!(r.message().contains("Signature expired"), "{}", r.text());

    let future = Signing {
        time: SystemTime::now() + Duration::from_secs(20 * 60),
        ..Signing::default()
    };
    let r = send_signed_as(
        &server,
        &future,
        RawRequest::new("GET", &format!("/meetings/{}", unknown_guid())),
    )
    .await;
    r.assert_error(403, "InvalidSignatureException");

    // Ten minutes of skew is within the allowance.
    let skewed = Signing {
        time: SystemTime::now() - Duration::from_secs(10 * 60),
        ..Signing::default()
    };
    let r = send_signed_as(
        &server,
        &skewed,
        RawRequest::new("POST", "/meetings").json_body(&fresh_create_meeting_body()),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn the_signature_must_be_scoped_to_the_chime_service() {
    let server = shared_server();
    for service in ["meetings-chime", "execute-api", "chime-sdk-meetings"] {
        let signing = Signing {
            service: service.into(),
            ..Signing::default()
        };
        let r = send_signed_as(
            &server,
            &signing,
            RawRequest::new("POST", "/meetings").json_body(&fresh_create_meeting_body()),
        )
        .await;
        assert_eq!(r.status, 403, "{service}: {}", r.text());
        r.assert_error(403, "InvalidSignatureException");
    }
}

#[tokio::test]
async fn a_malformed_authorization_header_is_refused() {
    let server = shared_server();
    let date = "20240101T000000Z";
    for authorization in [
        "AWS4-HMAC-SHA256 nonsense",
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/chime/aws4_request",
    ] {
        let r = server
            .send(
                &RawRequest::new("GET", &format!("/meetings/{}", unknown_guid()))
                    .header("authorization", authorization)
                    .header("x-amz-date", date),
            )
            .await;
        r.assert_error(400, "IncompleteSignatureException");
    }
}

#[tokio::test]
async fn successful_responses_carry_request_ids_and_modeled_status_codes() {
    let server = shared_server();
    let r = server
        .signed("POST", "/meetings", &fresh_create_meeting_body())
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    let first_id = r
        .header("x-amzn-RequestId")
        .expect("request id")
        .to_string();
    assert!(!first_id.is_empty());
    let body = r.json();
    let meeting_id = body["Meeting"]["MeetingId"].as_str().unwrap().to_string();
    let arn = body["Meeting"]["MeetingArn"].as_str().unwrap().to_string();
    assert_guid(&meeting_id);
    // Unset members are left out rather than sent as null.
    assert!(body["Meeting"].get("MeetingHostId").is_none(), "{body}");
    assert!(body["Meeting"].get("PrimaryMeetingId").is_none(), "{body}");

    let r = server
        .signed("GET", &format!("/meetings/{meeting_id}"), "")
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let second_id = r
        .header("x-amzn-RequestId")
        .expect("request id")
        .to_string();
    assert_ne!(first_id, second_id, "request ids are per request");

    let r = server
        .signed(
            "POST",
            &format!("/meetings/{meeting_id}/attendees"),
            r#"{"ExternalUserId":"wire-user"}"#,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let attendee_id = r.json()["Attendee"]["AttendeeId"]
        .as_str()
        .unwrap()
        .to_string();

    let r = server
        .signed(
            "POST",
            &format!("/meetings/{meeting_id}/attendees?operation=batch-create"),
            r#"{"Attendees":[{"ExternalUserId":"wire-user-2"}]}"#,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
    assert_eq!(body["Errors"], serde_json::json!([]), "{body}");
    assert_eq!(body["Attendees"].as_array().map(Vec::len), Some(1));

    let r = server
        .signed(
            "PUT",
            &format!("/meetings/{meeting_id}/attendees/capabilities?operation=batch-update-except"),
            &format!(
                r#"{{"ExcludedAttendeeIds":[{{"AttendeeId":"{attendee_id}"}}],"Capabilities":{{"Audio":"Receive","Video":"Receive","Content":"Receive"}}}}"#
            ),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.header("x-amzn-RequestId").is_some());

    let r = server
        .signed(
            "POST",
            &format!("/meetings/{meeting_id}/transcription?operation=start"),
            r#"{"TranscriptionConfiguration":{"EngineTranscribeSettings":{"LanguageCode":"en-US"}}}"#,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = server
        .signed(
            "POST",
            &format!("/meetings/{meeting_id}/transcription?operation=stop"),
            "",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.header("x-amzn-RequestId").is_some());

    let r = server
        .signed(
            "POST",
            "/tags?operation=tag-resource",
            &format!(r#"{{"ResourceARN":"{arn}","Tags":[{{"Key":"k","Value":"v"}}]}}"#),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert!(r.body.is_empty());
    assert!(r.header("x-amzn-RequestId").is_some());

    // The ARN goes percent-encoded in the query string.
    let encoded = arn.replace(':', "%3A").replace('/', "%2F");
    let r = server
        .signed("GET", &format!("/tags?arn={encoded}"), "")
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json()["Tags"],
        serde_json::json!([{"Key": "k", "Value": "v"}])
    );

    let r = server
        .signed(
            "POST",
            "/tags?operation=untag-resource",
            &format!(r#"{{"ResourceARN":"{arn}","TagKeys":["k"]}}"#),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text());

    let r = server
        .signed(
            "DELETE",
            &format!("/meetings/{meeting_id}/attendees/{attendee_id}"),
            "",
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert!(r.body.is_empty());
    assert!(r.header("x-amzn-RequestId").is_some());

    let r = server
        .signed("DELETE", &format!("/meetings/{meeting_id}"), "")
        .await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert!(r.body.is_empty());
    assert!(r.header("x-amzn-RequestId").is_some());
}

#[tokio::test]
async fn errors_have_the_aws_rest_json_shape() {
    let server = shared_server();
    let id = unknown_guid();
    let r = server.signed("GET", &format!("/meetings/{id}"), "").await;
    let body = r.assert_error(404, "NotFoundException");
    assert_eq!(
        body,
        serde_json::json!({
            "Code": "NotFound",
            "Message": format!("Meeting <{id}> not found"),
            "RequestId": r.header("x-amzn-RequestId").unwrap(),
        })
    );

    let arn = meeting_arn(REGION, ACCOUNT_ID, &id);
    let r = server
        .signed(
            "GET",
            &format!("/tags?arn={}", arn.replace(':', "%3A").replace('/', "%2F")),
            "",
        )
        .await;
    let body = r.assert_error(404, "ResourceNotFoundException");
    assert_eq!(body["ResourceName"], arn.as_str(), "{body}");

    let meeting_id = raw_meeting(&server).await;
    let r = server
        .signed(
            "GET",
            &format!("/meetings/{meeting_id}/attendees?max-results=0"),
            "",
        )
        .await;
    let body = r.assert_error(400, "BadRequestException");
    let message = body["Message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "1 validation error detected: Value at 'MaxResults' failed to satisfy constraint"
        ),
        "{message}"
    );
}

#[tokio::test]
async fn the_sdk_sees_the_request_id_of_errors() {
    let server = shared_server();
    let client = server.client();
    let err = client
        .get_meeting()
        .meeting_id(unknown_guid())
        .send()
        .await
        .expect_err("unknown meeting");
    let header = err
        .raw_response()
        .and_then(|r| r.headers().get("x-amzn-RequestId"))
        .expect("x-amzn-RequestId")
        .to_string();
    let service_error = err.into_service_error();
    assert!(matches!(
        service_error,
        GetMeetingError::NotFoundException(_)
    ));
    assert_eq!(service_error.meta().request_id(), Some(header.as_str()));
    if let GetMeetingError::NotFoundException(inner) = &service_error {
        // The body's members are parsed too.
        assert_eq!(inner.code(), Some("NotFound"));
        assert_eq!(inner.request_id(), Some(header.as_str()));
    }
}

#[tokio::test]
async fn unknown_paths_are_not_found_and_wrong_methods_are_bad_requests() {
    let server = shared_server();
    for path in ["/nope", "/", "/meetings/x/y/z/w/v", "/tags/extra"] {
        let r = server.signed("GET", path, "").await;
        r.assert_error(404, "NotFoundException");
    }
    let meeting = format!("/meetings/{}", unknown_guid());
    for (method, path) in [
        ("PATCH", "/meetings".to_string()),
        ("GET", "/meetings".to_string()),
        ("PUT", meeting.clone()),
        ("POST", meeting.clone()),
        ("POST", "/meetings?operation=bogus".to_string()),
        ("POST", "/tags".to_string()),
        ("POST", "/tags?operation=list".to_string()),
        ("DELETE", "/tags".to_string()),
        ("GET", format!("{meeting}/transcription")),
        ("POST", format!("{meeting}/transcription")),
    ] {
        let r = server.signed(method, &path, "").await;
        assert_eq!(r.status, 400, "{method} {path}: {}", r.text());
        r.assert_error(400, "BadRequestException");
    }
}

#[tokio::test]
async fn malformed_bodies_are_bad_requests() {
    let server = shared_server();
    for body in [
        "{",
        "[]",
        "\"text\"",
        "42",
        "null",
        "{\"ClientRequestToken\": ",
        "{} {}",
    ] {
        let r = server.signed("POST", "/meetings", body).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text());
        r.assert_error(400, "BadRequestException");
    }
    // Not UTF-8.
    let mut req = RawRequest::new("POST", "/meetings");
    req.headers
        .push(("content-type".into(), "application/json".into()));
    req.body = vec![b'{', 0xff, 0xfe, b'}'];
    server
        .send(&req.sign(&Signing::default(), &server))
        .await
        .assert_error(400, "BadRequestException");

    // Wrong JSON types name the member.
    for (body, member) in [
        (
            r#"{"ClientRequestToken":5,"MediaRegion":"us-east-1","ExternalMeetingId":"abc"}"#,
            "ClientRequestToken",
        ),
        (
            r#"{"ClientRequestToken":"abc","MediaRegion":["us-east-1"],"ExternalMeetingId":"abc"}"#,
            "MediaRegion",
        ),
        (
            r#"{"ClientRequestToken":"abc","MediaRegion":"us-east-1","ExternalMeetingId":"abc","TenantIds":"t1"}"#,
            "TenantIds",
        ),
        (
            r#"{"ClientRequestToken":"abc","MediaRegion":"us-east-1","ExternalMeetingId":"abc","MeetingFeatures":{"Attendee":{"MaxCount":"ten"}}}"#,
            "MeetingFeatures.Attendee.MaxCount",
        ),
        (
            r#"{"ClientRequestToken":"abc","MediaRegion":"us-east-1","ExternalMeetingId":"abc","MeetingFeatures":[]}"#,
            "MeetingFeatures",
        ),
    ] {
        let r = server.signed("POST", "/meetings", body).await;
        let b = r.assert_error(400, "BadRequestException");
        assert!(
            b["Message"].as_str().unwrap().contains(member),
            "{member}: {b}"
        );
    }

    // Missing required members.
    let r = server
        .signed(
            "POST",
            "/meetings",
            r#"{"ClientRequestToken":"abc","ExternalMeetingId":"abc"}"#,
        )
        .await;
    let b = r.assert_error(400, "BadRequestException");
    let message = b["Message"].as_str().unwrap();
    assert!(
        message.contains("MediaRegion") && message.contains("must not be null"),
        "{message}"
    );
    let r = server.signed("POST", "/meetings", "").await;
    r.assert_error(400, "BadRequestException");

    let meeting_id = raw_meeting(&server).await;
    let r = server
        .signed("POST", &format!("/meetings/{meeting_id}/attendees"), "{}")
        .await;
    let b = r.assert_error(400, "BadRequestException");
    assert!(
        b["Message"].as_str().unwrap().contains("ExternalUserId"),
        "{b}"
    );
    let r = server
        .signed(
            "POST",
            &format!("/meetings/{meeting_id}/attendees"),
            r#"{"ExternalUserId":"someone","Capabilities":{"Audio":"SendReceive"}}"#,
        )
        .await;
    let b = r.assert_error(400, "BadRequestException");
    assert!(
        b["Message"]
            .as_str()
            .unwrap()
            .contains("Capabilities.Video"),
        "{b}"
    );

    // A query parameter of the wrong type.
    let r = server
        .signed(
            "GET",
            &format!("/meetings/{meeting_id}/attendees?max-results=abc"),
            "",
        )
        .await;
    let b = r.assert_error(400, "BadRequestException");
    assert!(b["Message"].as_str().unwrap().contains("MaxResults"), "{b}");
}

#[tokio::test]
async fn a_client_of_another_region_names_that_region_in_arns() {
    let server = shared_server();
    let client = server.client_as(ACCESS_KEY_ID, SECRET_ACCESS_KEY, "eu-west-1");
    let meeting = create_meeting(&client).await;
    let id = meeting.meeting_id().unwrap();
    let arn = meeting_arn("eu-west-1", ACCOUNT_ID, id);
    assert_eq!(meeting.meeting_arn(), Some(arn.as_str()));
    assert_eq!(meeting.media_region(), Some(REGION));
    assert_media_placement(&server, &meeting);
    let got = client
        .get_meeting()
        .meeting_id(id)
        .send()
        .await
        .expect("GetMeeting from the same region");
    assert_eq!(got.meeting(), Some(&meeting));
    client
        .tag_resource()
        .resource_arn(&arn)
        .tags(tag("region", "eu-west-1"))
        .send()
        .await
        .expect("TagResource with the meeting's ARN");
    let tags = client
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        tag_pairs(tags.tags()),
        [("region".to_string(), "eu-west-1".to_string())]
    );
    // The same id under another region's ARN names nothing.
    let e = client
        .list_tags_for_resource()
        .resource_arn(meeting_arn(REGION, ACCOUNT_ID, id))
        .send()
        .await
        .expect_err("wrong region")
        .into_service_error();
    assert!(
        matches!(e, ListTagsForResourceError::ResourceNotFoundException(_)),
        "{e:?}"
    );
}

#[tokio::test]
async fn the_second_account_signs_with_its_own_key() {
    let server = shared_server();
    let signing = Signing {
        access_key_id: SECOND_ACCESS_KEY_ID.into(),
        secret_access_key: SECOND_SECRET_ACCESS_KEY.into(),
        ..Signing::default()
    };
    let r = send_signed_as(
        &server,
        &signing,
        RawRequest::new("POST", "/meetings").json_body(&fresh_create_meeting_body()),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let arn = r.json()["Meeting"]["MeetingArn"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        arn.starts_with(&format!(
            "arn:aws:chime:{REGION}:{SECOND_ACCOUNT_ID}:meeting/"
        )),
        "{arn}"
    );
}

#[tokio::test]
async fn temporary_credentials_sign_their_session_token() {
    let server = shared_server();
    let signing = Signing {
        session_token: Some("FwoGZXIvYXdzEXAMPLEsessiontoken/+=".into()),
        ..Signing::default()
    };
    let req = RawRequest::new("POST", "/meetings")
        .json_body(&fresh_create_meeting_body())
        .sign(&signing, &server);
    assert!(
        req.headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("x-amz-security-token")),
        "{req:?}"
    );
    let r = server.send(&req).await;
    assert_eq!(r.status, 200, "{}", r.text());

    // The SDK with temporary credentials.
    let config = aws_sdk_chimesdkmeetings::Config::builder()
        .behavior_version(aws_sdk_chimesdkmeetings::config::BehaviorVersion::latest())
        .region(aws_sdk_chimesdkmeetings::config::Region::new(REGION))
        .credentials_provider(aws_sdk_chimesdkmeetings::config::Credentials::new(
            ACCESS_KEY_ID,
            SECRET_ACCESS_KEY,
            Some("session-token-value".into()),
            None,
            "test",
        ))
        .endpoint_url(server.endpoint())
        .retry_config(aws_sdk_chimesdkmeetings::config::retry::RetryConfig::disabled())
        .build();
    let client = aws_sdk_chimesdkmeetings::Client::from_conf(config);
    create_meeting(&client).await;
}

#[tokio::test]
async fn presigned_urls_are_not_accepted() {
    let server = shared_server();
    let meeting_id = raw_meeting(&server).await;
    let signing = Signing {
        presign: Some(Duration::from_secs(300)),
        ..Signing::default()
    };
    let req = RawRequest::new("GET", &format!("/meetings/{meeting_id}")).sign(&signing, &server);
    assert!(req.path_and_query.contains("X-Amz-Signature="), "{req:?}");
    assert!(
        !req.headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("authorization")),
        "{req:?}"
    );
    let r = server.send(&req).await;
    // Refused as an authentication failure, never served.
    let error_type = r.header("x-amzn-ErrorType").unwrap_or_default().to_string();
    assert!(
        [
            "IncompleteSignatureException",
            "MissingAuthenticationTokenException",
            "InvalidSignatureException"
        ]
        .contains(&error_type.as_str()),
        "{r:?} {}",
        r.text()
    );
    r.assert_error(r.status, &error_type);
    assert!(r.status == 400 || r.status == 403, "{r:?}");
}

#[tokio::test]
async fn a_signed_request_without_a_date_is_incomplete() {
    let server = shared_server();
    let mut req = RawRequest::new("GET", &format!("/meetings/{}", unknown_guid()))
        .sign(&Signing::default(), &server);
    req.headers
        .retain(|(k, _)| !k.eq_ignore_ascii_case("x-amz-date"));
    assert!(req
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("authorization")));
    server
        .send(&req)
        .await
        .assert_error(400, "IncompleteSignatureException");
}

#[tokio::test]
async fn sensitive_values_never_reach_the_log() {
    let server = Server::start(Options::in_memory().env("RUST_LOG", "trace"));
    let client = server.client();
    let token = unique("SecretTokenMarker");
    let external_meeting = unique("SecretMeetingMarker");
    let external_user = unique("SecretUserMarker");
    let host = unique("SecretHostMarker");
    let meeting = client
        .create_meeting()
        .client_request_token(&token)
        .media_region(REGION)
        .external_meeting_id(&external_meeting)
        .meeting_host_id(&host)
        .send()
        .await
        .expect("CreateMeeting")
        .meeting
        .unwrap();
    let id = meeting.meeting_id().unwrap();
    let attendee = create_attendee(&client, id, &external_user).await;
    let join_token = attendee.join_token().unwrap().to_string();
    // Failures too: a validation error and a refused signature.
    let _ = client
        .create_attendee()
        .meeting_id(id)
        .external_user_id(format!("{external_user}*bad"))
        .send()
        .await;
    let mut req = RawRequest::new("POST", "/meetings")
        .json_body(&fresh_create_meeting_body())
        .sign(&Signing::default(), &server);
    req.body.push(b' ');
    let signature = req
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.rsplit('=').next().unwrap_or_default().to_string())
        .unwrap();
    server
        .send(&req)
        .await
        .assert_error(403, "InvalidSignatureException");

    let status = server.stop();
    assert!(status.success(), "{status}");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !server.stderr().contains("stopped") && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = server.stderr();
    assert!(log.contains("request"), "the log is empty: {log}");
    for (what, secret) in [
        ("ClientRequestToken", token.as_str()),
        ("ExternalMeetingId", external_meeting.as_str()),
        ("MeetingHostId", host.as_str()),
        ("ExternalUserId", external_user.as_str()),
        ("JoinToken", join_token.as_str()),
        ("secret access key", SECRET_ACCESS_KEY),
        ("signature", signature.as_str()),
    ] {
        assert!(!log.contains(secret), "the log contains the {what}");
    }
}
