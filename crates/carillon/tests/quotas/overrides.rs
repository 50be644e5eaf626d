//! Quotas replaced while the server runs, through the admin listener (`/v1/quotas`), seen by the
//! official Rust SDK: a lowered rate throttles the next call, a reset restores AWS's defaults, a
//! lowered meeting quota refuses the next meeting; invalid overrides, requests without the token
//! and a server with `--quotas off` are refused.

use aws_sdk_chimesdkmeetings::operation::create_attendee::CreateAttendeeError;
use aws_sdk_chimesdkmeetings::Client;
use carillon_testkit::*;
use serde_json::json;

use crate::assert_meeting_quota_reached;

fn server() -> Server {
    with_quotas(Options::in_memory())
}

fn with_quotas(options: Options) -> Server {
    Server::start(
        options
            .with_second_account()
            .admin()
            .arg("--quotas")
            .arg("on"),
    )
}

fn account_path(account_id: &str) -> String {
    format!("/v1/quotas/accounts/{account_id}")
}

/// CreateAttendee in `meeting_id`: `Ok` when created, `Err` with the modeled error otherwise.
async fn create_attendee(client: &Client, meeting_id: &str) -> Result<(), CreateAttendeeError> {
    client
        .create_attendee()
        .meeting_id(meeting_id)
        .external_user_id(unique("user"))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| e.into_service_error())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lowered_rate_throttles_the_next_call_and_a_reset_restores_the_default() {
    lowered_then_reset(&server()).await;
}

/// With PostgreSQL the buckets are the database's rows, shared by the nodes; the override is this
/// node's, and applies to its requests all the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_shared_buckets_an_override_applies_to_the_nodes_requests() {
    let Some(db) = carillon_postgres::testing::TestDatabase::create("quota_overrides") else {
        return;
    };
    lowered_then_reset(&with_quotas(Options::postgres(&db.url))).await;
}

async fn lowered_then_reset(server: &Server) {
    let client = server.client();
    let meeting = create_meeting_request(&client)
        .send()
        .await
        .expect("a meeting");
    let meeting_id = meeting
        .meeting()
        .and_then(|m| m.meeting_id())
        .expect("its id");

    let entry = json!({"operations": {"CreateAttendee": {"rate": 1, "burst": 1}}});
    let (status, in_force) = admin(
        server,
        "PUT",
        &account_path(ACCOUNT_ID),
        Some(&entry.to_string()),
    )
    .await;
    assert_eq!(status, 200, "{in_force}");
    assert_eq!(
        in_force["operations"]["CreateAttendee"],
        json!({"rate": 1.0, "burst": 1})
    );
    // Every member spelled out: the rest is AWS's defaults.
    assert_eq!(in_force["max_active_meetings"], 250);
    assert_eq!(
        in_force["all_operations"],
        json!({"rate": 10.0, "burst": 20})
    );

    create_attendee(&client, meeting_id)
        .await
        .expect("the burst of one");
    match create_attendee(&client, meeting_id).await {
        Err(CreateAttendeeError::ThrottlingException(e)) => {
            let message = e.message().unwrap_or_default();
            assert!(message.contains("CreateAttendee"), "{message}");
            assert!(message.contains("burst 1"), "{message}");
        }
        other => panic!("expected ThrottlingException, got {other:?}"),
    }
    // The other account keeps AWS's defaults.
    let other = server.second_client();
    let theirs = create_meeting_request(&other)
        .send()
        .await
        .expect("a meeting");
    let theirs = theirs
        .meeting()
        .and_then(|m| m.meeting_id())
        .expect("its id");
    for _ in 0..3 {
        create_attendee(&other, theirs).await.expect("AWS's burst");
    }

    let (status, view) = admin(server, "GET", "/v1/quotas", None).await;
    assert_eq!(status, 200);
    assert_eq!(view["overriddenAccounts"], json!([ACCOUNT_ID]));
    assert_eq!(view["overriddenDefault"], false);
    assert_eq!(
        view["accounts"][ACCOUNT_ID]["operations"]["CreateAttendee"]["burst"],
        1
    );
    assert_eq!(view["default"]["operations"]["CreateAttendee"]["burst"], 20);

    let (status, _) = admin(server, "DELETE", &account_path(ACCOUNT_ID), None).await;
    assert_eq!(status, 204);
    // AWS's defaults again, buckets full: several calls at once pass.
    for _ in 0..5 {
        create_attendee(&client, meeting_id)
            .await
            .expect("AWS's burst again");
    }
    let (status, view) = admin(server, "GET", "/v1/quotas", None).await;
    assert_eq!(status, 200);
    assert_eq!(view["overriddenAccounts"], json!([]));
    assert_eq!(view["accounts"], json!({}));
    // A second reset has nothing to remove.
    let (status, body) = admin(server, "DELETE", &account_path(ACCOUNT_ID), None).await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lowered_meeting_quota_refuses_the_next_meeting() {
    let server = server();
    let client = server.client();
    let (status, body) = admin(
        &server,
        "PUT",
        &account_path(ACCOUNT_ID),
        Some(r#"{"max_active_meetings": 1}"#),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    create_meeting_request(&client)
        .send()
        .await
        .expect("the first");
    assert_meeting_quota_reached(&client, "a second meeting over a quota of 1").await;
    // The other account's quota is AWS's.
    for _ in 0..2 {
        create_meeting_request(&server.second_client())
            .send()
            .await
            .expect("within AWS's quota");
    }
    // Raised again, the account can create meetings at once.
    let (status, body) = admin(
        &server,
        "PUT",
        &account_path(ACCOUNT_ID),
        Some(r#"{"max_active_meetings": 2}"#),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    create_meeting_request(&client)
        .send()
        .await
        .expect("room for a second");
    assert_meeting_quota_reached(&client, "a third meeting over a quota of 2").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_overrides_and_requests_without_the_token_are_refused() {
    let server = server();
    let path = account_path(ACCOUNT_ID);
    for (target, body, named) in [
        (
            path.as_str(),
            r#"{"operations": {"CreateAtendee": {"rate": 1}}}"#,
            "unknown operation \"CreateAtendee\"",
        ),
        (
            path.as_str(),
            r#"{"all_operations": {"burst": 0}}"#,
            "all_operations.burst: must be at least 1",
        ),
        (path.as_str(), r#"{"max_meetings": 1}"#, "max_meetings"),
        (path.as_str(), "[]", "expected a JSON object"),
        (
            "/v1/quotas/accounts/12345",
            "{}",
            "\"12345\" is not a 12-digit account id",
        ),
        (
            "/v1/quotas/default",
            r#"{"all_operations": {"rate": 0}}"#,
            "default.all_operations.rate",
        ),
    ] {
        let (status, answer) = admin(&server, "PUT", target, Some(body)).await;
        assert_eq!(status, 400, "{body}: {answer}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(message.contains(named), "{body}: {message}");
    }
    let (status, view) = admin(&server, "GET", "/v1/quotas", None).await;
    assert_eq!(status, 200);
    assert_eq!(view["overriddenAccounts"], json!([]));
    assert_eq!(view["overriddenDefault"], false);

    let addr = server.admin_addr.unwrap();
    for (method, target) in [
        ("GET", "/v1/quotas"),
        ("PUT", path.as_str()),
        ("DELETE", path.as_str()),
        ("PUT", "/v1/quotas/default"),
        ("DELETE", "/v1/quotas/default"),
    ] {
        let request = RawRequest::new(method, target).unsigned().json_body("{}");
        let response = send_http(addr, &request).await;
        assert_eq!(response.status, 401, "{method} {target}");
        let wrong = request.header("authorization", "Bearer not-the-token");
        assert_eq!(
            send_http(addr, &wrong).await.status,
            401,
            "{method} {target}"
        );
    }
    // Nothing was set without the token.
    let (_, view) = admin(&server, "GET", "/v1/quotas", None).await;
    assert_eq!(view["overriddenAccounts"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_default_applies_to_every_account_without_an_entry() {
    let server = server();
    let (status, body) = admin(
        &server,
        "PUT",
        "/v1/quotas/default",
        Some(r#"{"max_active_meetings": 1}"#),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for client in [server.client(), server.second_client()] {
        create_meeting_request(&client)
            .send()
            .await
            .expect("the first");
        assert_meeting_quota_reached(&client, "over the new default").await;
    }
    let (status, _) = admin(&server, "DELETE", "/v1/quotas/default", None).await;
    assert_eq!(status, 204);
    create_meeting_request(&server.client())
        .send()
        .await
        .expect("AWS's default again");
}

#[tokio::test]
async fn with_quotas_off_the_routes_answer_409() {
    let server = Server::start(Options::in_memory().admin());
    for (method, target, body) in [
        ("GET", "/v1/quotas".to_owned(), None),
        ("PUT", account_path(ACCOUNT_ID), Some("{}")),
        ("DELETE", account_path(ACCOUNT_ID), None),
        ("PUT", "/v1/quotas/default".to_owned(), Some("{}")),
        ("DELETE", "/v1/quotas/default".to_owned(), None),
    ] {
        let (status, answer) = admin(&server, method, &target, body).await;
        assert_eq!(status, 409, "{method} {target}: {answer}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(message.contains("quotas are off"), "{message}");
    }
}
