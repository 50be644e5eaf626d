//! Time control: the server's clock frozen and advanced through the admin API, with AWS's own
//! lifecycle (five idle minutes), on both stores. An advance ends what it made expire before it
//! answers, emits the meeting's event, spares a meeting someone is connected to, and leaves
//! SigV4 alone (the SDK's real-time signatures still pass an hour "later").

use std::time::Duration;

use carillon_testkit::*;
use serde_json::{json, Value};

use crate::each_store;

const FIVE_MINUTES_MS: i64 = 300_000;

/// A server on `options` with AWS's lifecycle defaults and time control on.
fn controlled(options: Options) -> Server {
    Server::start(options.admin().arg("--time-control").arg("on"))
}

async fn time(server: &Server, action: &str, body: Option<Value>) -> Value {
    let body = body.map(|b| b.to_string());
    let (status, answer) = admin(
        server,
        "POST",
        &format!("/v1/time/{action}"),
        body.as_deref(),
    )
    .await;
    assert_eq!(status, 200, "{action}: {answer}");
    answer
}

async fn now_ms(server: &Server) -> i64 {
    let (status, answer) = admin(server, "GET", "/v1/time", None).await;
    assert_eq!(status, 200, "{answer}");
    answer["nowMs"].as_i64().unwrap()
}

async fn advance(server: &Server, by_ms: i64) -> Value {
    let answer = time(server, "advance", Some(json!({ "byMs": by_ms }))).await;
    assert_eq!(answer["swept"], true, "{answer}");
    answer
}

/// The meeting's logged events of this name.
async fn events_named(server: &Server, meeting_id: &str, name: &str) -> Vec<Value> {
    let path = format!("/v1/events?meeting_id={meeting_id}&name={name}");
    let (status, page) = admin(server, "GET", &path, None).await;
    assert_eq!(status, 200, "{page}");
    page["events"].as_array().unwrap().clone()
}

#[tokio::test]
async fn an_advance_past_five_idle_minutes_ends_the_meeting_and_emits_its_event() {
    for (options, _db) in each_store("time_idle") {
        let server = controlled(options);
        let client = server.client();
        let frozen = time(&server, "freeze", None).await;
        assert_eq!(frozen["frozen"], true);
        let meeting_id = create_meeting(&client).await.meeting_id.unwrap();
        let created_ms = now_ms(&server).await;

        // Frozen: nothing moves, however long the test takes.
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert_eq!(now_ms(&server).await, created_ms);

        advance(&server, FIVE_MINUTES_MS - 1_000).await;
        assert!(!meeting_ended(&client, &meeting_id).await, "ended early");
        let after = advance(&server, 2_000).await;
        assert_eq!(
            after["nowMs"].as_i64(),
            Some(created_ms + FIVE_MINUTES_MS + 1_000)
        );
        // Ended before the advance answered.
        assert!(meeting_ended(&client, &meeting_id).await, "still active");

        let ended = events_named(&server, &meeting_id, "chime:MeetingEnded").await;
        assert_eq!(ended.len(), 1, "{ended:?}");
        let at_ms = ended[0]["atMs"].as_i64().unwrap();
        assert_eq!(
            at_ms,
            created_ms + FIVE_MINUTES_MS + 1_000,
            "the server's time"
        );
        let detail = &ended[0]["event"]["detail"];
        assert_eq!(detail["meetingId"], meeting_id.as_str());
        assert_eq!(detail["timestamp"].as_i64(), Some(at_ms));
    }
}

#[tokio::test]
async fn a_meeting_someone_is_connected_to_outlives_any_advance() {
    for (options, _db) in each_store("time_occupied") {
        let server = controlled(options);
        let client = server.client();
        let meeting_id = create_meeting(&client).await.meeting_id.unwrap();
        let attendee = create_attendee(&client, &meeting_id, &unique("a")).await;
        let attendee_id = attendee.attendee_id.unwrap();
        let presence = format!("/v1/meetings/{meeting_id}/attendees/{attendee_id}/presence");
        let mark = |state: &'static str| {
            let body = json!({ "state": state }).to_string();
            let (server, presence) = (&server, &presence);
            async move {
                let (status, answer) = admin(server, "POST", presence, Some(&body)).await;
                assert_eq!(status, 200, "{state}: {answer}");
            }
        };

        mark("joined").await;
        // Longer than the presence lease (a minute) and the idle timeout together.
        advance(&server, 3 * FIVE_MINUTES_MS).await;
        assert!(
            !meeting_ended(&client, &meeting_id).await,
            "ended while occupied"
        );

        mark("left").await;
        advance(&server, FIVE_MINUTES_MS - 1_000).await;
        assert!(!meeting_ended(&client, &meeting_id).await, "ended early");
        advance(&server, 2_000).await;
        assert!(meeting_ended(&client, &meeting_id).await, "still active");
    }
}

#[tokio::test]
async fn signed_requests_and_the_clock_run_on_after_an_hour_ahead() {
    let server = controlled(Options::in_memory());
    let client = server.client();
    let before = now_ms(&server).await;
    // SigV4 refuses dates more than fifteen minutes from its clock: it keeps the wall clock.
    advance(&server, 3_600_000).await;
    let meeting_id = create_meeting(&client).await.meeting_id.unwrap();
    assert!(!meeting_ended(&client, &meeting_id).await);

    // Running, not frozen: the clock moves on from an hour ahead.
    let first = now_ms(&server).await;
    assert!(first >= before + 3_600_000, "{first} {before}");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(now_ms(&server).await > first, "the clock stood still");

    // Frozen, then resumed: it runs on from where it stood, not from the wall clock.
    let frozen = time(&server, "freeze", None).await["nowMs"]
        .as_i64()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let resumed = time(&server, "resume", None).await;
    assert_eq!(resumed["frozen"], false);
    let resumed_ms = resumed["nowMs"].as_i64().unwrap();
    assert!(
        (frozen..frozen + 100).contains(&resumed_ms),
        "{resumed_ms} after freezing at {frozen}"
    );
    let offset = resumed["offsetMs"].as_i64().unwrap();
    assert!((3_599_000..3_600_000).contains(&offset), "offset {offset}");
}

#[tokio::test]
async fn time_control_is_refused_unless_enabled_and_bad_advances_are_refused() {
    let server = Server::start(Options::in_memory().admin());
    let (status, state) = admin(&server, "GET", "/v1/time", None).await;
    assert_eq!(status, 200);
    assert_eq!(state["controlled"], false);
    for action in ["freeze", "resume", "advance"] {
        let path = format!("/v1/time/{action}");
        let (status, answer) = admin(&server, "POST", &path, Some(r#"{"byMs":1}"#)).await;
        assert_eq!(status, 409, "{action}: {answer}");
        assert!(answer["message"]
            .as_str()
            .unwrap()
            .contains("--time-control on"));
    }

    let server = controlled(Options::in_memory());
    for body in [
        "",
        "{}",
        r#"{"byMs":0}"#,
        r#"{"byMs":-5}"#,
        r#"{"byMs":"5m"}"#,
        r#"{"byMs":1,"extra":true}"#,
        r#"{"byMs":316224000001}"#,
    ] {
        let (status, answer) = admin(&server, "POST", "/v1/time/advance", Some(body)).await;
        assert_eq!(status, 400, "{body}: {answer}");
    }

    // Without the admin listener nobody could move the clock: the server refuses to start.
    let mut command = std::process::Command::new(carillon_binary());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("CARILLON_") {
            command.env_remove(key);
        }
    }
    let mut child = command
        .args([
            "--in-memory",
            "--listen",
            "127.0.0.1:0",
            "--legacy-listen",
            "off",
        ])
        .args(["--media-listen", "127.0.0.1:0", "--time-control", "on"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("started without an admin listener");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(!status.success());
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(stderr.contains("--admin-token"), "{stderr}");
}
