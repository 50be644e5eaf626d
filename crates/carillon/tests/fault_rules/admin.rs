//! The admin routes: rules listed with their hits, deleted, cleared, expired; invalid rules
//! refused; the token required.

use std::time::Duration;

use carillon_testkit::*;
use serde_json::json;

use crate::{add_rule, rule, rules, server};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_are_listed_with_their_hits_and_deleted() {
    let server = server();
    let client = server.client();
    let a = add_rule(
        &server,
        rule(
            "latency",
            json!({"operation": "GetMeeting", "latencyMs": 1, "probability": 1}),
        ),
    )
    .await;
    let b = add_rule(&server, rule("refuseJoin", json!({"meetingId": "M-1"}))).await;
    assert_eq!(a["action"], "latency");
    assert_eq!(a["latencyMs"], 1);
    assert_eq!(a["hits"], 0);
    assert_eq!(b["api"], "signaling");
    assert_eq!(b["meetingId"], "m-1");
    assert_ne!(a["id"], b["id"]);
    let id = create_meeting(&client)
        .await
        .meeting_id()
        .unwrap()
        .to_owned();
    for _ in 0..3 {
        client.get_meeting().meeting_id(&id).send().await.unwrap();
    }
    let listed = rules(&server).await;
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["id"], a["id"]);
    assert_eq!(listed[0]["hits"], 3);
    assert_eq!(listed[1]["hits"], 0);

    let path = format!("/v1/faults/{}", a["id"].as_str().unwrap());
    assert_eq!(admin(&server, "DELETE", &path, None).await.0, 204);
    let (status, body) = admin(&server, "DELETE", &path, None).await;
    assert_eq!(status, 404);
    assert!(body["message"].is_string(), "{body}");
    assert_eq!(rules(&server).await.len(), 1);

    add_rule(&server, rule("drop", json!({"operation": "DeleteMeeting"}))).await;
    let (status, body) = admin(&server, "DELETE", "/v1/faults", None).await;
    assert_eq!((status, body), (200, json!({"removed": 2})));
    assert!(rules(&server).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_expires_after_its_ttl() {
    let server = server();
    let client = server.client();
    // The meeting first, so that the rule's one second is all the test's.
    let id = create_meeting(&client)
        .await
        .meeting_id()
        .unwrap()
        .to_owned();
    let created = add_rule(
        &server,
        rule("error", json!({"error": "ServiceUnavailableException", "operation": "GetMeeting", "ttlSeconds": 1})),
    )
    .await;
    assert_eq!(
        created["expiresAt"].as_i64().unwrap() - created["createdAt"].as_i64().unwrap(),
        1000
    );
    let err = client
        .get_meeting()
        .meeting_id(&id)
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_service_unavailable_exception());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    client.get_meeting().meeting_id(&id).send().await.unwrap();
    assert!(rules(&server).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_rules_are_refused_with_a_clear_400() {
    let server = server();
    for (body, says) in [
        (
            json!({"action": "error", "api": "meetings", "operation": "CreateAttendee", "error": "ConflictException"}),
            "CreateAttendee of the meetings API does not model ConflictException",
        ),
        (
            json!({"action": "error", "error": "ConflictException"}),
            "does not model ConflictException",
        ),
        (json!({"action": "latency", "latencyMs": 0}), "latencyMs"),
        (json!({"action": "drop", "probability": 0}), "probability"),
        (json!({"action": "drop", "wat": 1}), "unknown field"),
        (
            json!({"action": "drop", "operation": "MakeCoffee"}),
            "no operation named",
        ),
    ] {
        let (status, answer) = admin(&server, "POST", "/v1/faults", Some(&body.to_string())).await;
        assert_eq!(status, 400, "{body}: {answer}");
        let message = answer["message"].as_str().unwrap();
        assert!(message.contains(says), "{body}: {message}");
    }
    let (status, _) = admin(&server, "POST", "/v1/faults", Some("not json")).await;
    assert_eq!(status, 400);
    assert!(rules(&server).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_routes_refuse_without_the_token() {
    let server = server();
    let addr = server.admin_addr.unwrap();
    for (method, path) in [
        ("GET", "/v1/faults"),
        ("POST", "/v1/faults"),
        ("DELETE", "/v1/faults"),
        ("DELETE", "/v1/faults/x"),
        ("POST", "/v1/faults/drop-sessions"),
    ] {
        let request = RawRequest::new(method, path)
            .unsigned()
            .header("authorization", "Bearer wrong")
            .json_body(r#"{"action": "drop"}"#);
        let response = send_http(addr, &request).await;
        assert_eq!(response.status, 401, "{method} {path}");
    }
    assert!(rules(&server).await.is_empty());
}
