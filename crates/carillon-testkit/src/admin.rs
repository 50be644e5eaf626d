//! The admin listener from a test: JSON requests with the admin token, and the live event stream
//! read as a browser's `EventSource` would (server-sent events over a chunked response).

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::http::{send_http, RawRequest};
use crate::{Server, ADMIN_TOKEN};

/// One admin request: its status and its JSON body (`Null` when the body is not JSON).
pub async fn admin(server: &Server, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
    let addr = server.admin_addr.expect("started with Options::admin()");
    let mut request = RawRequest::new(method, path)
        .unsigned()
        .header("authorization", &format!("Bearer {ADMIN_TOKEN}"));
    if let Some(body) = body {
        request = request.json_body(body);
    }
    let response = send_http(addr, &request).await;
    let json = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    (response.status, json)
}

/// One server-sent event.
#[derive(Debug, Clone)]
pub struct SseEvent {
    pub event: String,
    pub id: String,
    pub data: Value,
    /// `data` as sent.
    pub raw: String,
}

/// An open `GET /v1/events/stream`.
pub struct EventStream {
    stream: TcpStream,
    /// Bytes read and not yet decoded from the chunked body.
    raw: Vec<u8>,
    /// Decoded body text not yet split into events.
    text: String,
}

impl EventStream {
    /// Opens the stream with this query (`""`, or `meeting_id=…&…`), and `Last-Event-ID` when
    /// given; panics unless the answer is a 200 event stream.
    pub async fn open(server: &Server, query: &str, last_event_id: Option<&str>) -> EventStream {
        let addr = server.admin_addr.expect("started with Options::admin()");
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let resume = last_event_id.map_or(String::new(), |id| format!("Last-Event-ID: {id}\r\n"));
        let head = format!(
            "GET /v1/events/stream?{query} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\nAccept: text/event-stream\r\n{resume}\r\n"
        );
        stream.write_all(head.as_bytes()).await.expect("write");
        let mut raw = Vec::new();
        let end = loop {
            if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                break end;
            }
            let mut buf = [0u8; 4096];
            let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
                .await
                .expect("the stream's head in time")
                .expect("read");
            assert!(n > 0, "closed before the stream's head");
            raw.extend_from_slice(&buf[..n]);
        };
        let head = String::from_utf8_lossy(&raw[..end]).to_lowercase();
        assert!(head.starts_with("http/1.1 200"), "{head}");
        assert!(head.contains("content-type: text/event-stream"), "{head}");
        assert!(head.contains("transfer-encoding: chunked"), "{head}");
        EventStream {
            stream,
            raw: raw[end + 4..].to_vec(),
            text: String::new(),
        }
    }

    /// The next event (keep-alive comments skipped), or `None` when none comes within `wait` or
    /// the stream ends.
    pub async fn next(&mut self, wait: Duration) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(event) = self.take_event() {
                return Some(event);
            }
            if self.take_chunk()? {
                continue;
            }
            let mut buf = [0u8; 8192];
            let n = tokio::time::timeout_at(deadline, self.stream.read(&mut buf))
                .await
                .ok()?
                .ok()?;
            if n == 0 {
                return None;
            }
            self.raw.extend_from_slice(&buf[..n]);
        }
    }

    /// Every event that comes within `wait` of the previous one.
    pub async fn collect(&mut self, wait: Duration) -> Vec<SseEvent> {
        let mut events = Vec::new();
        while let Some(event) = self.next(wait).await {
            events.push(event);
        }
        events
    }

    /// Moves one whole chunk from `raw` to `text`: `Some(true)` when it did, `Some(false)` when
    /// more bytes are needed, `None` at the last chunk.
    fn take_chunk(&mut self) -> Option<bool> {
        let Some(line_end) = self.raw.windows(2).position(|w| w == b"\r\n") else {
            return Some(false);
        };
        let size_text = String::from_utf8_lossy(&self.raw[..line_end]).to_string();
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        if size == 0 {
            return None;
        }
        let start = line_end + 2;
        if self.raw.len() < start + size + 2 {
            return Some(false);
        }
        self.text
            .push_str(&String::from_utf8_lossy(&self.raw[start..start + size]));
        self.raw.drain(..start + size + 2);
        Some(true)
    }

    /// One whole event from `text`, comments and empty events skipped.
    fn take_event(&mut self) -> Option<SseEvent> {
        loop {
            let end = self.text.find("\n\n")?;
            let block: String = self.text.drain(..end + 2).collect();
            let (mut event, mut id, mut data) = (String::new(), String::new(), String::new());
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    event = v.trim_start().to_owned();
                } else if let Some(v) = line.strip_prefix("id:") {
                    id = v.trim_start().to_owned();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim_start());
                }
            }
            if data.is_empty() {
                continue;
            }
            let raw = data;
            let data = serde_json::from_str(&raw).expect("each event's data is JSON");
            return Some(SseEvent {
                event,
                id,
                data,
                raw,
            });
        }
    }
}
