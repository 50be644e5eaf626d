//! Operating the server under stress: slow and stalled clients, too many requests at once, many
//! idle connections, and graceful shutdown.
//!
//! `CARILLON_IDLE_CONNECTIONS=N` sets how many idle connections the idle-connection test opens
//! (default 2,000; 10,000 fits the default file-descriptor limit of 20,000).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use carillon_testkit::{fresh_create_meeting_body, read_head, send_http, unknown_guid};
use carillon_testkit::{Options, RawRequest, Server, Signing};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A signed CreateMeeting request, as its head (without `Connection: close`) and its body, to
/// be sent in parts.
fn signed_head(server: &Server) -> (Vec<u8>, Vec<u8>) {
    let req = RawRequest::new("POST", "/meetings")
        .json_body(&fresh_create_meeting_body())
        .keep_alive()
        .sign(&Signing::default(), server);
    (req.render_head(server.addr), req.body)
}

/// True when the server closes the connection within `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 256];
    matches!(
        tokio::time::timeout(within, stream.read(&mut buf)).await,
        Ok(Ok(0)) | Ok(Err(_))
    )
}

async fn healthy(addr: SocketAddr) -> bool {
    send_http(addr, &RawRequest::new("GET", "/health"))
        .await
        .status
        == 200
}

#[tokio::test]
async fn a_client_that_trickles_its_headers_is_cut_off() {
    let server = Server::start(Options::in_memory().arg("--header-read-timeout-secs=1"));
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"POST /meetings HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    assert!(closed_within(&mut stream, Duration::from_secs(5)).await);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "cut off too early"
    );
    // An idle keep-alive connection is closed after the same time.
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    idle.write_all(b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(read_head(&mut idle).await.0, 200);
    assert!(closed_within(&mut idle, Duration::from_secs(5)).await);
    assert!(healthy(server.addr).await);
}

#[tokio::test]
async fn a_client_that_stalls_its_body_gets_a_bad_request() {
    let server = Server::start(Options::in_memory().arg("--body-read-timeout-secs=1"));
    let (head, body) = signed_head(&server);
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(&head).await.unwrap();
    stream.write_all(&body[..10]).await.unwrap();
    let started = Instant::now();
    let (status, head) = read_head(&mut stream).await;
    assert_eq!(status, 400, "{head}");
    assert!(
        head.contains("x-amzn-errortype: badrequestexception"),
        "{head}"
    );
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert!(healthy(server.addr).await);
}

#[tokio::test]
async fn a_body_declared_too_large_is_refused_before_it_is_read() {
    let server = Server::start(Options::in_memory());
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let head = "POST /meetings HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 2000000\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    // Nothing of the body is sent: the answer must not wait for it.
    let (status, head) = read_head(&mut stream).await;
    assert_eq!(status, 400, "{head}");
    assert!(
        head.contains("x-amzn-errortype: badrequestexception"),
        "{head}"
    );
}

#[tokio::test]
async fn requests_beyond_the_in_flight_limit_get_503_with_retry_after() {
    let server = Server::start(Options::in_memory().arg("--max-in-flight=2"));
    // Two requests hold both slots: their headers are in, their bodies are not.
    let mut held = Vec::new();
    for _ in 0..2 {
        let (head, body) = signed_head(&server);
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream.write_all(&head).await.unwrap();
        held.push((stream, body));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let refused = server
        .signed("GET", &format!("/meetings/{}", unknown_guid()), "")
        .await;
    refused.assert_error(503, "ServiceUnavailableException");
    assert_eq!(refused.header("retry-after"), Some("1"));
    // Once the held requests finish, there is room again.
    for (mut stream, body) in held {
        stream.write_all(&body).await.unwrap();
        assert_eq!(read_head(&mut stream).await.0, 200);
    }
    let again = server
        .signed("GET", &format!("/meetings/{}", unknown_guid()), "")
        .await;
    again.assert_error(404, "NotFoundException");
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn many_idle_connections_keep_memory_bounded() {
    let count: usize = std::env::var("CARILLON_IDLE_CONNECTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let server = Server::start(Options::in_memory());
    let pid = server.pid().expect("running");
    assert!(healthy(server.addr).await);
    let before = rss_kib(pid);
    let mut connections = Vec::with_capacity(count);
    for _ in 0..count {
        connections.push(TcpStream::connect(server.addr).await.expect("connect"));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    // The server still serves while holding them all.
    assert!(healthy(server.addr).await);
    let after = rss_kib(pid);
    let per_connection = (after.saturating_sub(before) * 1024) / count as u64;
    println!(
        "{count} idle connections: RSS {before} KiB -> {after} KiB ({per_connection} bytes each)"
    );
    // Generous: hyper keeps a small buffer per connection; a leak or per-connection thread
    // would be far above this.
    assert!(
        per_connection < 64 * 1024,
        "{per_connection} bytes per idle connection"
    );
    drop(connections);
}

#[tokio::test]
async fn sigterm_lets_requests_in_flight_finish_and_refuses_new_connections() {
    let server = Server::start(Options::in_memory().arg("--shutdown-timeout-secs=10"));
    let (head, body) = signed_head(&server);
    let mut in_flight = TcpStream::connect(server.addr).await.unwrap();
    in_flight.write_all(&head).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let pid = server.pid().unwrap();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The listener is closed: no new connections.
    assert!(TcpStream::connect(server.addr).await.is_err());
    // The request in flight completes normally.
    in_flight.write_all(&body).await.unwrap();
    assert_eq!(read_head(&mut in_flight).await.0, 200);
    let exit = server.stop_after_signal(Duration::from_secs(10));
    assert!(exit.success(), "exit status {exit}");
}

/// Scripts send SIGTERM as soon as the ready line is out: the handler is in place by then, so
/// the server drains and exits 0 rather than being killed by the signal.
#[test]
fn sigterm_right_after_the_ready_line_is_a_clean_shutdown() {
    for round in 0..10 {
        let server = Server::start(Options::in_memory());
        let exit = server.stop();
        assert!(
            exit.success(),
            "round {round}: exit status {exit}; stderr:\n{}",
            server.stderr()
        );
    }
}

#[tokio::test]
async fn shutdown_does_not_wait_past_its_bound() {
    let server = Server::start(
        Options::in_memory()
            .arg("--shutdown-timeout-secs=1")
            .arg("--body-read-timeout-secs=60"),
    );
    let (head, _) = signed_head(&server);
    let mut stalled = TcpStream::connect(server.addr).await.unwrap();
    stalled.write_all(&head).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let pid = server.pid().unwrap();
    std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    let exit = server.stop_after_signal(Duration::from_secs(10));
    assert!(exit.success(), "exit status {exit}");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "shutdown took {took:?}");
}

async fn scrape(addr: SocketAddr) -> String {
    send_http(addr, &RawRequest::new("GET", "/metrics"))
        .await
        .text()
}

#[tokio::test]
async fn metrics_count_requests_refusals_and_store_calls() {
    let server = Server::start(Options::in_memory().arg("--quotas=on"));
    let unknown = format!("/meetings/{}", unknown_guid());
    server
        .signed("GET", &unknown, "")
        .await
        .assert_error(404, "NotFoundException");
    // A request with a wrong signature never reaches an operation.
    let forged = RawRequest::new("GET", &unknown).sign(
        &Signing {
            secret_access_key: "not-the-secret".into(),
            ..Signing::default()
        },
        &server,
    );
    server
        .send(&forged)
        .await
        .assert_error(403, "InvalidSignatureException");
    // 21 more GetMeeting calls exhaust the burst of 20: at least one is throttled.
    for _ in 0..21 {
        server.signed("GET", &unknown, "").await;
    }
    let text = scrape(server.addr).await;
    let line = |needle: &str| text.lines().any(|l| l.starts_with(needle));
    assert!(
        line(r#"carillon_requests_total{api="meetings",operation="GetMeeting",status="404"}"#),
        "{text}"
    );
    assert!(
        line(r#"carillon_requests_total{api="meetings",operation="none",status="403"}"#),
        "{text}"
    );
    assert!(
        line(r#"carillon_throttled_total{api="meetings",operation="GetMeeting"}"#),
        "{text}"
    );
    assert!(
        line(r#"carillon_requests_total{api="meetings",operation="GetMeeting",status="429"}"#),
        "{text}"
    );
    assert!(line("carillon_request_duration_seconds_bucket"), "{text}");
    assert!(
        line(r#"carillon_store_duration_seconds_count{method="get_meeting"}"#),
        "{text}"
    );
    assert!(line("carillon_requests_in_flight"), "{text}");
    // The forged request touched no operation: no store call beyond the 404 and throttled ones.
    assert!(!text.contains("operation=\"none\",status=\"200\""));
}

#[tokio::test]
async fn json_logs_are_one_object_per_line_with_the_request_fields() {
    let server = Server::start(
        Options::in_memory()
            .arg("--log-format=json")
            .env("RUST_LOG", "info"),
    );
    server
        .signed("GET", &format!("/meetings/{}", unknown_guid()), "")
        .await
        .assert_error(404, "NotFoundException");
    assert!(server.stop().success());
    let log = server.stderr();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let completed = lines
        .iter()
        .find(|l| l["fields"]["message"] == "request completed")
        .unwrap_or_else(|| panic!("no request line in {log}"));
    let span = &completed["span"];
    assert_eq!(span["operation"], "GetMeeting", "{completed}");
    assert_eq!(span["status"], 404, "{completed}");
    assert_eq!(span["api"], "meetings", "{completed}");
    assert!(
        span["request_id"].as_str().is_some_and(|id| id.len() == 36),
        "{completed}"
    );
    assert!(span["latency_us"].is_u64(), "{completed}");
}
