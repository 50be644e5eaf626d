//! Rules seen by the official SDK and by signed raw requests.

use std::time::{Duration, Instant};

use aws_sdk_chimesdkmeetings::config::retry::RetryConfig;
use aws_sdk_chimesdkmeetings::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_chimesdkmeetings::error::SdkError;
use aws_sdk_chimesdkmeetings::operation::create_attendee::CreateAttendeeError;
use aws_sdk_chimesdkmeetings::operation::get_meeting::GetMeetingError;
use carillon_testkit::*;
use serde_json::json;

use crate::{add_rule, fault_hits, rule, rules, server};

/// An SDK client with the SDK's standard retries (three attempts).
fn retrying_client(server: &Server) -> aws_sdk_chimesdkmeetings::Client {
    let config = aws_sdk_chimesdkmeetings::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new(
            ACCESS_KEY_ID,
            SECRET_ACCESS_KEY,
            None,
            None,
            "test",
        ))
        .endpoint_url(server.endpoint())
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .build();
    aws_sdk_chimesdkmeetings::Client::from_conf(config)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_rule_is_seen_by_the_sdk_as_the_modeled_error() {
    let server = server();
    let client = server.client();
    let meeting = create_meeting(&client).await;
    let id = meeting.meeting_id().unwrap();
    add_rule(
        &server,
        rule(
            "error",
            json!({"api": "meetings", "operation": "GetMeeting", "meetingId": id.to_uppercase(),
                   "error": "ForbiddenException"}),
        ),
    )
    .await;
    let err = client
        .get_meeting()
        .meeting_id(id)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(err, GetMeetingError::ForbiddenException(_)),
        "{err:?}"
    );
    // Another meeting is not matched.
    let other = create_meeting(&client).await;
    client
        .get_meeting()
        .meeting_id(other.meeting_id().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rules(&server).await[0]["hits"], 1);
    assert_eq!(
        fault_hits(&server, "meetings", "GetMeeting", "error").await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_retries_through_a_throttle_of_count_two() {
    let server = server();
    let client = retrying_client(&server);
    let meeting = create_meeting(&client).await;
    add_rule(
        &server,
        rule(
            "error",
            json!({"operation": "CreateAttendee", "api": "meetings",
                   "error": "ThrottlingException", "count": 2}),
        ),
    )
    .await;
    let attendee = client
        .create_attendee()
        .meeting_id(meeting.meeting_id().unwrap())
        .external_user_id("retried-user")
        .send()
        .await
        .expect("the third attempt succeeds");
    assert!(attendee.attendee().is_some());
    // Both throttles were served, and the rule is used up.
    assert_eq!(
        fault_hits(&server, "meetings", "CreateAttendee", "error").await,
        2
    );
    assert!(rules(&server).await.is_empty());
    // Without retries the same rule is seen once, as the throttle it is.
    add_rule(
        &server,
        rule(
            "error",
            json!({"operation": "CreateAttendee", "error": "ThrottlingException", "api": "meetings", "count": 1}),
        ),
    )
    .await;
    let err = server
        .client()
        .create_attendee()
        .meeting_id(meeting.meeting_id().unwrap())
        .external_user_id("another-user")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(err, CreateAttendeeError::ThrottlingException(_)),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_latency_rule_delays_the_answer() {
    let server = server();
    let client = server.client();
    let meeting = create_meeting(&client).await;
    let id = meeting.meeting_id().unwrap();
    add_rule(
        &server,
        rule(
            "latency",
            json!({"operation": "GetMeeting", "latencyMs": 300}),
        ),
    )
    .await;
    add_rule(
        &server,
        rule("latency", json!({"meetingId": id, "latencyMs": 200})),
    )
    .await;
    let started = Instant::now();
    client.get_meeting().meeting_id(id).send().await.unwrap();
    // Both rules match: their latencies add up.
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drop_rule_closes_the_connection_unanswered() {
    let server = server();
    let client = server.client();
    add_rule(
        &server,
        rule("drop", json!({"operation": "CreateMeeting", "count": 1})),
    )
    .await;
    let err = create_meeting_request(&client).send().await.unwrap_err();
    assert!(matches!(err, SdkError::DispatchFailure(_)), "{err:?}");
    // Used up: the next one goes through, on a fresh connection.
    create_meeting(&client).await;
    // Nothing at all was written on the dropped connection.
    add_rule(&server, rule("drop", json!({"operation": "ListAttendees"}))).await;
    let id = create_meeting(&client)
        .await
        .meeting_id()
        .unwrap()
        .to_owned();
    let request = RawRequest::new("GET", &format!("/meetings/{id}/attendees")).signed();
    let outcome = exchange(server.addr, &request.render(server.addr), false).await;
    assert!(matches!(outcome, Outcome::Closed), "{outcome:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_legacy_api_gets_its_own_form() {
    let server = server();
    add_rule(
        &server,
        rule(
            "error",
            json!({"api": "legacy", "operation": "ListMeetings", "error": "ThrottledClientException"}),
        ),
    )
    .await;
    add_rule(
        &server,
        rule(
            "error",
            json!({"api": "legacy", "operation": "GetMeeting", "error": "UnauthorizedClientException"}),
        ),
    )
    .await;
    // `Code` is the legacy ErrorCode value, as the server's own errors there have it.
    let legacy_error = |r: &RawResponse, status: u16, name: &str| {
        assert_eq!(
            (r.status, r.header("x-amzn-ErrorType")),
            (status, Some(name)),
            "{r:?}"
        );
        r.json()
    };
    let r = server.legacy_signed("GET", "/meetings", "").await;
    let body = legacy_error(&r, 429, "ThrottledClientException");
    assert_eq!(body["Code"], "Throttled");
    assert!(r.header("x-amz-retry-after").is_some(), "{r:?}");
    let r = server
        .legacy_signed("GET", &format!("/meetings/{}", unknown_guid()), "")
        .await;
    let body = legacy_error(&r, 401, "UnauthorizedClientException");
    assert_eq!(body["Code"], "Unauthorized");
    // The current API is not matched by legacy rules.
    let r = server
        .signed("GET", &format!("/meetings/{}", unknown_guid()), "")
        .await;
    r.assert_error(404, "NotFoundException");

    // A throttle rule for both APIs throttles each in its own words.
    add_rule(
        &server,
        rule(
            "error",
            json!({"operation": "ListAttendees", "error": "ThrottlingException"}),
        ),
    )
    .await;
    let path = |id: String| format!("/meetings/{id}/attendees");
    let r = server.legacy_signed("GET", &path(unknown_guid()), "").await;
    let body = legacy_error(&r, 429, "ThrottledClientException");
    assert_eq!(body["Code"], "Throttled");
    let r = server.signed("GET", &path(unknown_guid()), "").await;
    r.assert_error(429, "ThrottlingException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_injected_throttle_looks_like_the_quota_s_own() {
    let server = Server::start(Options::in_memory().admin().arg("--quotas").arg("on"));
    // The quota's throttle: GetMeeting's burst is 20.
    let path = format!("/meetings/{}", unknown_guid());
    let mut real = None;
    for _ in 0..40 {
        let r = server.signed("GET", &path, "").await;
        if r.status == 429 {
            real = Some(r);
            break;
        }
    }
    let real = real.expect("the quota throttles within 40 calls");
    // Wait for the bucket to refill, then inject.
    tokio::time::sleep(Duration::from_secs(3)).await;
    add_rule(
        &server,
        rule(
            "error",
            json!({"operation": "GetMeeting", "api": "meetings", "error": "ThrottlingException"}),
        ),
    )
    .await;
    let injected = server.signed("GET", &path, "").await;
    let names = |r: &RawResponse| {
        let mut names: Vec<String> = r
            .headers
            .iter()
            .map(|(k, _)| k.to_ascii_lowercase())
            .filter(|k| k != "date" && k != "content-length")
            .collect();
        names.sort();
        names
    };
    assert_eq!(injected.status, real.status);
    assert_eq!(names(&injected), names(&real));
    for header in ["x-amzn-errortype", "content-type"] {
        assert_eq!(injected.header(header), real.header(header));
    }
    let (a, b) = (injected.json(), real.json());
    assert_eq!(a["Code"], b["Code"]);
    for body in [&a, &b] {
        let message = body["Message"].as_str().unwrap();
        assert!(message.starts_with("Rate exceeded: "), "{message}");
        assert!(message.contains("; retry in "), "{message}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_of_one_account_leaves_the_others_alone() {
    let server = Server::start(Options::in_memory().admin().with_second_account());
    add_rule(
        &server,
        rule(
            "error",
            json!({"accountId": SECOND_ACCOUNT_ID, "error": "ServiceFailureException"}),
        ),
    )
    .await;
    create_meeting(&server.client()).await;
    let err = create_meeting_request(&server.second_client())
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_service_failure_exception(), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_fires_about_as_often_as_its_probability() {
    let server = server();
    let client = server.client();
    let id = create_meeting(&client)
        .await
        .meeting_id()
        .unwrap()
        .to_owned();
    add_rule(
        &server,
        rule(
            "error",
            json!({"operation": "GetMeeting", "api": "meetings", "error": "NotFoundException", "probability": 0.5}),
        ),
    )
    .await;
    let mut refused = 0;
    for _ in 0..200 {
        if client.get_meeting().meeting_id(&id).send().await.is_err() {
            refused += 1;
        }
    }
    // Expected 100, standard deviation about 7: the bound is seven deviations wide each way.
    assert!((50..=150).contains(&refused), "{refused}");
    assert_eq!(rules(&server).await[0]["hits"], refused);
}
