//! Rules from a file at start, and the per-request header.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use carillon_testkit::*;
use serde_json::json;

use crate::{fault_hits, rules};

fn write(dir: &tempfile::TempDir, text: &str) -> String {
    let path = dir.path().join("faults.json");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_of_the_file_are_in_force_from_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = json!({"rules": [
        {"api": "meetings", "operation": "GetMeeting", "action": "error", "error": "NotFoundException"},
        {"action": "refuseJoin", "count": 3}
    ]});
    let path = write(&dir, &file.to_string());
    // By the environment variable, as by --faults.
    let server = Server::start(Options::in_memory().admin().env("CARILLON_FAULTS", &path));
    let listed = rules(&server).await;
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[1]["remaining"], 3);
    let client = server.client();
    let id = create_meeting(&client)
        .await
        .meeting_id()
        .unwrap()
        .to_owned();
    let err = client
        .get_meeting()
        .meeting_id(&id)
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_not_found_exception());
}

#[test]
fn a_bad_file_stops_the_server_from_starting() {
    let dir = tempfile::tempdir().unwrap();
    for (text, says) in [
        (
            r#"{"rules": [{"action": "drop"}, {"action": "error", "error": "NoSuchException"}]}"#,
            "rule 1: ",
        ),
        (r#"{"rules": [{"action": "fly"}]}"#, "action must be"),
        (r#"[{"action": "drop"}]"#, "fault rules"),
        ("{", "fault rules"),
    ] {
        let path = write(&dir, text);
        let output = Command::new(carillon_binary())
            .args([
                "--in-memory",
                "--listen",
                "127.0.0.1:0",
                "--legacy-listen",
                "127.0.0.1:0",
            ])
            .args(["--media-listen", "127.0.0.1:0", "--faults", &path])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(!output.status.success(), "{text}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{text}: {stderr}");
        assert!(stderr.contains("faults.json"), "{stderr}");
    }
    let output = Command::new(carillon_binary())
        .args(["--in-memory", "--faults", "/nonexistent/faults.json"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read"));
}

/// A signed request for an unknown meeting, with the fault header (not signed).
fn get_meeting_with(value: &str) -> RawRequest {
    RawRequest::new("GET", &format!("/meetings/{}", unknown_guid()))
        .line(format!("X-Carillon-Fault: {value}"))
        .signed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_header_is_ignored_unless_enabled() {
    let server = Server::start(Options::in_memory().admin());
    let r = server
        .send(&get_meeting_with("error=ThrottlingException"))
        .await;
    r.assert_error(404, "NotFoundException");
    let r = server.send(&get_meeting_with("garbage")).await;
    r.assert_error(404, "NotFoundException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_header_injects_when_enabled() {
    let server = Server::start(Options::in_memory().admin().arg("--fault-header").arg("on"));
    let r = server
        .send(&get_meeting_with("error=ThrottlingException"))
        .await;
    let body = r.assert_error(429, "ThrottlingException");
    assert_eq!(body["Code"], "Throttling");
    assert!(r.header("x-amz-retry-after").is_some());

    let started = Instant::now();
    let r = server
        .send(&get_meeting_with(
            "latency=300, error=ServiceUnavailableException",
        ))
        .await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    r.assert_error(503, "ServiceUnavailableException");
    assert_eq!(r.header("retry-after"), Some("1"));

    let request = get_meeting_with("drop");
    let outcome = exchange(server.addr, &request.render(server.addr), false).await;
    assert!(matches!(outcome, Outcome::Closed), "{outcome:?}");

    // Not modeled by the operation, or not the syntax: a 400 that says so.
    let r = server
        .send(&get_meeting_with("error=ConflictException"))
        .await;
    let body = r.assert_error(400, "BadRequestException");
    assert!(body["Message"]
        .as_str()
        .unwrap()
        .contains("does not model ConflictException"));
    let r = server.send(&get_meeting_with("explode")).await;
    r.assert_error(400, "BadRequestException");

    // Unsigned requests still fail as they do without faults.
    let r = server
        .send(
            &RawRequest::new("GET", &format!("/meetings/{}", unknown_guid()))
                .line("X-Carillon-Fault: drop"),
        )
        .await;
    r.assert_error(403, "MissingAuthenticationTokenException");
    assert_eq!(
        fault_hits(&server, "meetings", "GetMeeting", "drop").await,
        1
    );
    assert_eq!(
        fault_hits(&server, "meetings", "GetMeeting", "latency").await,
        1
    );
}
