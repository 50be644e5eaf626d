//! The admin API's OpenAPI document (`crates/carillon-admin/openapi.json`) against a running
//! server: every documented operation, sent with the token and a minimal request, answers with a
//! status its document lists; sent without the token, every protected one answers 401 and the
//! dashboard's files still load; sent to the Chime APIs' ports, token or not, none is served.

use std::net::SocketAddr;
use std::time::Duration;

use carillon_testkit::*;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const DOCUMENT: &str = include_str!("../../../carillon-admin/openapi.json");

/// The status of one request: only the head is read, so that a stream answers too.
async fn status(addr: SocketAddr, method: &str, path: &str, body: &str, token: bool) -> u16 {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let auth = if token {
        format!("Authorization: Bearer {ADMIN_TOKEN}\r\n")
    } else {
        String::new()
    };
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let read = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buf));
        let n = read.await.expect("an answer in time").unwrap();
        assert!(n > 0, "{method} {path}: closed before the head");
        head.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&head);
    line.split(' ').nth(1).unwrap().parse().unwrap()
}

/// The path with its parameters filled in: ids that name nothing.
fn concrete(path: &str) -> String {
    path.replace("{MeetingId}", "11111111-2222-3333-4444-555555555555")
        .replace("{AttendeeId}", "66666666-7777-8888-9999-000000000000")
        .replace("{id}", "no-such-rule")
        .replace("{AccountId}", "111122223333")
}

#[tokio::test]
async fn every_documented_operation_answers_as_documented() {
    let server = Server::start(Options::in_memory().admin().arg("--time-control").arg("on"));
    let addr = server.admin_addr.unwrap();
    let public = [server.addr_of(Api::Current), server.addr_of(Api::Legacy)];
    let doc: Value = serde_json::from_str(DOCUMENT).unwrap();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let method = method.to_uppercase();
            let documented: Vec<u16> = operation["responses"]
                .as_object()
                .unwrap()
                .keys()
                .map(|code| code.parse().unwrap())
                .collect();
            let target = concrete(path);
            // An empty object: the least a body can be (a refusal must then be documented).
            let body = if operation.get("requestBody").is_some() {
                "{}"
            } else {
                ""
            };
            let answered = status(addr, &method, &target, body, true).await;
            assert!(
                documented.contains(&answered),
                "{method} {path} answered {answered}, documented {documented:?}"
            );
            let open = operation.get("security") == Some(&serde_json::json!([]));
            let without = status(addr, &method, &target, body, false).await;
            if open {
                assert!(
                    without < 400,
                    "{method} {path} without the token: {without}"
                );
            } else {
                assert_eq!(without, 401, "{method} {path} without the token");
            }
            for api in public {
                let answered = status(api, &method, &target, body, true).await;
                assert!(answered >= 400, "{method} {path} on {api}: {answered}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 25, "{checked} operations");
    // And nothing undocumented is served.
    assert_eq!(status(addr, "GET", "/v1/nothing-here", "", true).await, 404);
    assert_eq!(status(addr, "PUT", "/v1/time", "", true).await, 405);
}
