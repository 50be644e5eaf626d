//! Sending rendered requests and reading what comes back.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::RawRequest;

/// How long one exchange may take before it counts as a hang.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a connection may stay silent after the start of a response before the response
/// counts as complete (the server keeps the connection open).
const QUIET: Duration = Duration::from_secs(2);

/// A response (the first on its connection, interim 1xx responses skipped).
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.text()))
    }

    /// Asserts the AWS rest-json error shape: status, `x-amzn-ErrorType`, JSON content type, a
    /// request id in the header and the body, and `Code`/`Message` members. Returns the body.
    pub fn assert_error(&self, status: u16, error_type: &str) -> serde_json::Value {
        assert_eq!(
            (self.status, self.header("x-amzn-ErrorType")),
            (status, Some(error_type)),
            "unexpected response: {self:?} {}",
            self.text()
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "{self:?}"
        );
        let request_id = self
            .header("x-amzn-RequestId")
            .unwrap_or_else(|| panic!("no x-amzn-RequestId: {self:?}"))
            .to_string();
        assert!(!request_id.is_empty());
        let body = self.json();
        if let Err(e) = check_error_body(&body, error_type, &request_id) {
            panic!("{e}");
        }
        body
    }

    /// The error's message: `Message`, or `message` in a front-door error's body.
    pub fn message(&self) -> String {
        let body = self.json();
        body["Message"]
            .as_str()
            .or(body["message"].as_str())
            .unwrap_or_default()
            .to_string()
    }
}

/// What came back from an exchange.
#[derive(Debug)]
pub enum Outcome {
    Reply(RawResponse),
    /// The connection ended without a byte of response.
    Closed,
    /// Nothing ended within the time limit.
    Hung,
}

/// Renders `req` for `addr`, sends it on a fresh connection and reads the response, which must
/// come.
pub async fn send_http(addr: SocketAddr, req: &RawRequest) -> RawResponse {
    match exchange(addr, &req.render(addr), req.half_close).await {
        Outcome::Reply(response) => response,
        Outcome::Closed => panic!("{addr} closed the connection without a response"),
        Outcome::Hung => panic!("{addr} did not answer within {EXCHANGE_TIMEOUT:?}"),
    }
}

/// Writes `bytes` on a fresh connection while reading the answer, until the server closes.
/// Write errors and a reset are tolerated: the server may answer and close before it has read
/// everything. A response on a connection the server keeps open counts as given once nothing
/// more arrives for a while.
pub async fn exchange(addr: SocketAddr, bytes: &[u8], half_close: bool) -> Outcome {
    let mut stream = TcpStream::connect(addr)
        .await
        .expect("cannot connect to the server");
    let (mut reader, mut writer) = stream.split();
    let write = async {
        if writer.write_all(bytes).await.is_ok() && half_close {
            let _ = writer.shutdown().await;
        }
    };
    let read = async {
        let deadline = tokio::time::Instant::now() + EXCHANGE_TIMEOUT;
        let mut raw = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            // Once something came, a pause means the server keeps the connection open.
            let limit = if raw.is_empty() {
                deadline
            } else {
                deadline.min(tokio::time::Instant::now() + QUIET)
            };
            match tokio::time::timeout_at(limit, reader.read(&mut buf)).await {
                Ok(Ok(0) | Err(_)) => return Some(raw),
                Ok(Ok(n)) => raw.extend_from_slice(&buf[..n]),
                Err(_) if raw.is_empty() => return None,
                Err(_) => return Some(raw),
            }
        }
    };
    match tokio::join!(write, read).1 {
        None => Outcome::Hung,
        Some(raw) if raw.is_empty() => Outcome::Closed,
        Some(raw) => Outcome::Reply(parse_response(&raw)),
    }
}

/// Parses a response, skipping interim (1xx) responses.
fn parse_response(raw: &[u8]) -> RawResponse {
    let split = head_end(raw)
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let rest = &raw[split + 4..];
    if (100..200).contains(&status) && status != 101 {
        return parse_response(rest);
    }
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok());
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    let body = match length {
        _ if chunked => dechunk(rest),
        Some(n) => rest[..n.min(rest.len())].to_vec(),
        None => rest.to_vec(),
    };
    RawResponse {
        status,
        headers,
        body,
    }
}

fn head_end(raw: &[u8]) -> Option<usize> {
    raw.windows(4).position(|w| w == b"\r\n\r\n")
}

/// The payload of a chunked body (lenient: stops at the first malformed chunk).
pub fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&data[..end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .unwrap_or(0);
        data = &data[end + 2..];
        if size == 0 || data.len() < size {
            break;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[(size + 2).min(data.len())..];
    }
    out
}

/// Reads one response's status line and headers from a connection the caller holds (enough for
/// requests sent in parts); the head is returned in lower case.
pub async fn read_head(stream: &mut TcpStream) -> (u16, String) {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + EXCHANGE_TIMEOUT;
    while head_end(&raw).is_none() {
        let n = tokio::time::timeout_at(deadline, stream.read(&mut buf))
            .await
            .expect("the server did not answer in time")
            .expect("read");
        assert!(n > 0, "connection closed before a response");
        raw.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&raw).to_lowercase();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    (status, head)
}

/// The errors of the front door (authentication, a body that is not JSON): no operation models
/// them, and their bodies are `{"message": ...}` alone, as AWS's signing front end sends them.
pub const FRONT_DOOR_ERRORS: &[&str] = &[
    "MissingAuthenticationTokenException",
    "IncompleteSignatureException",
    "InvalidSignatureException",
    "UnrecognizedClientException",
    "UnsupportedMediaTypeException",
];

/// Checks an error body against its `x-amzn-ErrorType`: a front-door error's is
/// `{"message": <non-empty>}` and nothing else (no `Code` a client could take the error's name
/// from); a modeled error's has `Code` (the name without `Exception`), a non-empty `Message` and
/// the request id.
pub fn check_error_body(
    body: &serde_json::Value,
    error_type: &str,
    request_id: &str,
) -> Result<(), String> {
    if FRONT_DOOR_ERRORS.contains(&error_type) {
        let message = body["message"].as_str().unwrap_or_default();
        let only_message = body.as_object().is_some_and(|o| o.len() == 1);
        return if only_message && !message.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "a front-door error's body is {{\"message\"}} alone, not {body}"
            ))
        };
    }
    let code = error_type.strip_suffix("Exception").unwrap_or(error_type);
    if body["Code"] != code || body["RequestId"] != request_id {
        return Err(format!("error body {body}"));
    }
    if body["Message"].as_str().is_none_or(str::is_empty) {
        return Err(format!("no Message in {body}"));
    }
    Ok(())
}
