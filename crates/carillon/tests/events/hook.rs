//! The webhook of these tests: the testkit's receiver on a port it keeps, its requests checked as
//! a receiver must and read with the status each was answered (to tell retries from
//! duplicates).

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use carillon_testkit::events::receiver::{header, serve_on, verify, Receiver, SECRET};
use serde_json::Value;

/// One request the hook received.
#[derive(Debug, Clone)]
pub struct Request {
    pub event_id: String,
    pub meeting_id: String,
    pub event_type: String,
    /// The body as sent.
    pub raw: String,
    pub envelope: Value,
    /// What the hook answered; 0 when the connection went away before it answered.
    pub status: u16,
}

impl Request {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// The testkit's receiver, on a port of its own that it keeps (so that it can come up late,
/// where the server already sends).
pub struct Hook {
    receiver: Arc<Receiver>,
    port: u16,
}

impl Hook {
    /// A hook listening on a free port.
    pub async fn start() -> Hook {
        let hook = Hook::unbound();
        hook.listen().await;
        hook
    }

    /// A hook not listening yet, with a port of its own (free now, bound by [`Hook::listen`]).
    pub fn unbound() -> Hook {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Hook {
            receiver: Arc::new(Receiver::default()),
            port,
        }
    }

    /// Starts answering on the hook's port.
    pub async fn listen(&self) {
        serve_on(Arc::clone(&self.receiver), self.port).await;
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hooks/chime", self.port)
    }

    pub fn delay(&self, delay: Duration) {
        self.receiver.set_delay(delay);
    }

    /// The next `n` requests are answered 500.
    pub fn fail_next(&self, n: usize) {
        self.receiver.fail_next(n);
    }

    /// Every request answered 500 while set.
    pub fn fail_all(&self, failing: bool) {
        self.receiver.fail_all.store(failing, Ordering::SeqCst);
    }

    /// Every request so far, in the order they arrived, each checked as a receiver must: the
    /// signature verified, the id and type headers those of the envelope in the body.
    pub fn requests(&self) -> Vec<Request> {
        let now_s = i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
        )
        .unwrap();
        self.receiver
            .received()
            .into_iter()
            .map(|r| {
                let raw = String::from_utf8(r.body.to_vec()).unwrap();
                // Signed a few seconds ago at most: the request is checked now.
                assert!(verify(&r, SECRET, now_s), "bad signature on {raw}");
                assert_eq!(header(&r, "content-type"), "application/json");
                let envelope: Value = serde_json::from_str(&raw).unwrap();
                let event_id = header(&r, "x-carillon-event-id").to_owned();
                assert_eq!(envelope["id"], event_id.as_str(), "{raw}");
                let event_type = header(&r, "x-carillon-event-type").to_owned();
                assert_eq!(envelope["detail"]["eventType"], event_type.as_str());
                Request {
                    meeting_id: envelope["detail"]["meetingId"].as_str().unwrap().to_owned(),
                    event_id,
                    event_type,
                    raw,
                    envelope,
                    status: r.status,
                }
            })
            .collect()
    }

    /// The ids of the events answered 2xx.
    pub fn delivered_ids(&self) -> HashSet<String> {
        self.requests()
            .into_iter()
            .filter(Request::ok)
            .map(|r| r.event_id)
            .collect()
    }

    /// The first request of each event answered 2xx, in the order they arrived.
    pub fn delivered(&self) -> Vec<Request> {
        let mut seen = HashSet::new();
        self.requests()
            .into_iter()
            .filter(|r| r.ok() && seen.insert(r.event_id.clone()))
            .collect()
    }
}
