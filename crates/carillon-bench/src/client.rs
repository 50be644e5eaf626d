//! HTTP/1.1 keep-alive connections and the per-connection request loop.
//!
//! Each connection is one tokio task with its own `hyper::client::conn::http1` connection over a
//! `TcpStream` with `TCP_NODELAY`: no pool, no shared state on the hot path but two relaxed
//! atomic counters for the progress line. A connection that fails is counted as a transport
//! error and reopened.
//!
//! Closed loop (no `--rate`): the next request is sent when the previous answer arrived, and
//! latency runs from the moment of sending. Open loop (`--rate`): the connection has a fixed
//! schedule of intended send times. A request sent late because the previous answer came late is
//! timed from its intended time, so a stalled server is charged for the requests it kept waiting
//! (no coordinated omission); a request sent on time is timed from its actual send, so the tokio
//! timer's own lateness (up to ~1 ms) is not charged to the server.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use carillon_testkit::sigv4::Signer;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::driver::Driver;
use crate::report::ConnResult;
use crate::workload::{BatchOutput, CreateMeetingOutput, Op, RequestSpec, BATCH_SIZE};

/// A server to send to: `http://host:port`.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// As given on the command line.
    pub url: String,
    /// Where to connect.
    pub addr: SocketAddr,
    /// The `Host` header (and the signed `host`).
    pub host: String,
}

impl Endpoint {
    /// Parses `http://host:port` (a trailing `/` is allowed) and resolves the host.
    pub async fn resolve(url: &str) -> Result<Endpoint, String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("endpoint {url:?}: only http:// is supported"))?;
        let host = rest.trim_end_matches('/');
        if host.is_empty() || host.contains('/') {
            return Err(format!("endpoint {url:?}: expected http://host:port"));
        }
        let with_port = if host
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            host.to_owned()
        } else {
            format!("{host}:80")
        };
        let addr = tokio::net::lookup_host(&with_port)
            .await
            .map_err(|e| format!("endpoint {url:?}: {e}"))?
            .next()
            .ok_or_else(|| format!("endpoint {url:?}: no address"))?;
        Ok(Endpoint {
            url: url.to_owned(),
            addr,
            host: host.to_owned(),
        })
    }
}

/// One open keep-alive connection.
pub struct Conn {
    sender: SendRequest<Full<Bytes>>,
}

impl Conn {
    /// Connects with `TCP_NODELAY` and drives the connection on its own task.
    pub async fn open(endpoint: &Endpoint) -> Result<Conn, String> {
        let stream = TcpStream::connect(endpoint.addr)
            .await
            .map_err(|e| format!("connect {}: {e}", endpoint.url))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("handshake {}: {e}", endpoint.url))?;
        tokio::spawn(async move {
            // Its errors reach the sender as failed requests.
            let _ = connection.await;
        });
        Ok(Conn { sender })
    }

    /// Signs and sends `spec`, and reads the whole answer.
    pub async fn send(
        &mut self,
        endpoint: &Endpoint,
        signer: &mut Signer,
        spec: &RequestSpec,
    ) -> Result<(u16, Bytes), String> {
        let uri = if spec.query.is_empty() {
            spec.path.clone()
        } else {
            format!("{}?{}", spec.path, spec.query)
        };
        let sig = signer.sign(
            spec.method.as_str(),
            uri.as_bytes(),
            &[("host", &endpoint.host)],
            &spec.body,
            SystemTime::now(),
        );
        let mut builder = http::Request::builder()
            .method(spec.method.clone())
            .uri(uri)
            .header("host", &endpoint.host)
            .header("x-amz-date", sig.amz_date)
            .header("authorization", sig.authorization);
        if !spec.body.is_empty() {
            builder = builder.header("content-type", "application/json");
        }
        let request = builder
            .body(Full::new(spec.body.clone()))
            .map_err(|e| e.to_string())?;
        self.sender.ready().await.map_err(|e| e.to_string())?;
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok((status, body))
    }

    /// Creates a meeting (setup) and answers its MeetingId.
    pub async fn create_meeting(
        &mut self,
        endpoint: &Endpoint,
        signer: &mut Signer,
        spec: &RequestSpec,
    ) -> Result<String, String> {
        let (status, body) = self.send(endpoint, signer, spec).await?;
        if status != Op::CreateMeeting.success_status() {
            return Err(answer(Op::CreateMeeting, status, &body));
        }
        serde_json::from_slice::<CreateMeetingOutput>(&body)
            .map(|out| out.meeting.meeting_id)
            .map_err(|e| format!("CreateMeeting answer without Meeting.MeetingId: {e}"))
    }
}

/// Counters read by the progress line while the run goes on (since the start, warm-up included).
#[derive(Debug, Default)]
pub struct Live {
    pub ok: AtomicU64,
    pub errors: AtomicU64,
}

/// When to send and what to record, shared by all connections.
///
/// A request is recorded when its answer (or failure) comes within the measured window
/// `[measure_start, end]`: throughput is what completed in the window, and under overload the
/// warm-up's backlog answered in the window is charged with its full latency.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// Start of the measured window (the warm-up ends).
    pub measure_start: Instant,
    /// End of the measured window; no request starts at or after this.
    pub end: Instant,
    /// Open loop: this connection's first intended send time and its interval.
    pub open_loop: Option<(Instant, Duration)>,
}

impl Schedule {
    /// Whether something that happened at `t` is recorded.
    pub fn in_window(&self, t: Instant) -> bool {
        t >= self.measure_start && t <= self.end
    }
}

/// One connection's run: sends until `schedule.end`, answers what it recorded.
pub async fn run_connection(
    endpoint: Arc<Endpoint>,
    mut signer: Signer,
    mut driver: Driver,
    schedule: Schedule,
    live: Arc<Live>,
) -> ConnResult {
    let mut result = ConnResult::new();
    let mut conn: Option<Conn> = None;
    let mut next_intended = schedule.open_loop.map(|(first, _)| first);
    loop {
        let late_slot = match (next_intended.as_mut(), schedule.open_loop) {
            (Some(next), Some((_, interval))) => {
                if *next >= schedule.end {
                    break;
                }
                if Instant::now() >= schedule.end {
                    // Behind schedule at the end: what was due but not sent is counted.
                    let due = schedule
                        .end
                        .duration_since((*next).max(schedule.measure_start));
                    result.unsent = due.as_nanos().div_ceil(interval.as_nanos().max(1)) as u64;
                    break;
                }
                let t = *next;
                *next += interval;
                if Instant::now() < t {
                    // On time: wait for the slot. The timer wakes up to ~1 ms late; that delay
                    // is the generator's, so latency then runs from the actual send.
                    tokio::time::sleep_until(t).await;
                    None
                } else {
                    // Late because the server kept this connection busy: charge it from the slot.
                    Some(t)
                }
            }
            _ => None,
        };
        if schedule.open_loop.is_none() && Instant::now() >= schedule.end {
            break;
        }
        if conn.is_none() {
            match Conn::open(&endpoint).await {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    result.note_error(|| e);
                    live.errors.fetch_add(1, Ordering::Relaxed);
                    if schedule.in_window(Instant::now()) {
                        result.transport_errors += 1;
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        let op = driver.next_op();
        if driver.needs_meeting(op) {
            let spec = driver.meeting_request();
            match c.create_meeting(&endpoint, &mut signer, &spec).await {
                Ok(id) => driver.set_meeting(id),
                Err(e) => {
                    result.note_error(|| format!("setup: {e}"));
                    result.setup_errors += 1;
                    live.errors.fetch_add(1, Ordering::Relaxed);
                    conn = None;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            }
        }
        let spec = driver.request(op);
        let sent = Instant::now();
        let start = late_slot.unwrap_or(sent);
        let outcome = c.send(&endpoint, &mut signer, &spec).await;
        let done = Instant::now();
        let record = schedule.in_window(done);
        match outcome {
            Ok((status, body)) if status == op.success_status() => {
                live.ok.fetch_add(1, Ordering::Relaxed);
                if record {
                    result.record_success(op, status, done - start, attendees(op, &body));
                }
            }
            Ok((status, body)) => {
                live.errors.fetch_add(1, Ordering::Relaxed);
                if record {
                    result.record_status(status);
                    result.note_error(|| answer(op, status, &body));
                }
            }
            Err(e) => {
                result.note_error(|| format!("{}: {e}", op.name()));
                live.errors.fetch_add(1, Ordering::Relaxed);
                conn = None;
                if record {
                    result.transport_errors += 1;
                }
            }
        }
    }
    result
}

/// `"{op} answered {status}: {start of the body}"`.
pub fn answer(op: Op, status: u16, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(300)]);
    format!("{} answered {status}: {text}", op.name())
}

/// Attendees created by a successful call: 1 for CreateAttendee, the batch size less the items
/// reported in `Errors` for BatchCreateAttendee, 0 otherwise.
fn attendees(op: Op, body: &[u8]) -> u64 {
    match op {
        Op::CreateAttendee => 1,
        Op::BatchCreateAttendee => match serde_json::from_slice::<BatchOutput>(body) {
            Ok(out) => BATCH_SIZE.saturating_sub(out.errors.len() as u64),
            Err(_) => 0,
        },
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_errors_are_subtracted() {
        let ok = br#"{"Attendees":[{"AttendeeId":"a"}]}"#;
        assert_eq!(attendees(Op::BatchCreateAttendee, ok), 100);
        let two = br#"{"Attendees":[],"Errors":[{"ErrorCode":"LimitExceeded"},{"ErrorCode":"X"}]}"#;
        assert_eq!(attendees(Op::BatchCreateAttendee, two), 98);
        assert_eq!(attendees(Op::BatchCreateAttendee, b"not json"), 0);
        assert_eq!(attendees(Op::CreateAttendee, b""), 1);
        assert_eq!(attendees(Op::GetAttendee, b""), 0);
    }

    #[tokio::test]
    async fn endpoints_parse() {
        let e = Endpoint::resolve("http://127.0.0.1:8080/").await.unwrap();
        assert_eq!(e.host, "127.0.0.1:8080");
        assert_eq!(e.addr.port(), 8080);
        assert!(Endpoint::resolve("https://127.0.0.1:1").await.is_err());
        assert!(Endpoint::resolve("http://127.0.0.1:1/x").await.is_err());
    }
}
