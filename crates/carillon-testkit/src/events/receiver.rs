//! A webhook receiver for the tests: scripted answers, everything it received kept, and the
//! signature check a receiver is told to make.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SECRET: &str = "whsec_2b7e151628aed2a6abf7158809cf4f3c";

/// One request as the receiver saw it, and what it answered (0 while it has not).
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
    pub status: u16,
}

/// A webhook receiver: answers each request with the next scripted status (200 once the script
/// is over; 500 to everything while `fail_all` is set), after `delay`, and keeps what it
/// received with what it answered.
#[derive(Default)]
pub struct Receiver {
    pub script: Mutex<VecDeque<(StatusCode, &'static str)>>,
    pub delay: Mutex<Duration>,
    pub fail_all: AtomicBool,
    pub received: Mutex<Vec<Received>>,
}

impl Receiver {
    /// One that answers after `delay`.
    pub fn slow(delay: Duration) -> Self {
        Receiver {
            delay: Mutex::new(delay),
            ..Receiver::default()
        }
    }

    /// The next `n` requests are answered 500.
    pub fn fail_next(&self, n: usize) {
        let mut script = self.script.lock().expect("not poisoned");
        script.extend(std::iter::repeat_n(
            (StatusCode::INTERNAL_SERVER_ERROR, "failing on purpose"),
            n,
        ));
    }

    pub fn set_delay(&self, delay: Duration) {
        *self.delay.lock().expect("not poisoned") = delay;
    }

    /// Everything received so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("not poisoned").clone()
    }
}

async fn receive(
    State(r): State<Arc<Receiver>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let index = {
        let mut received = r.received.lock().expect("not poisoned");
        received.push(Received {
            headers,
            body,
            status: 0,
        });
        received.len() - 1
    };
    let delay = *r.delay.lock().expect("not poisoned");
    tokio::time::sleep(delay).await;
    let answer = if r.fail_all.load(Ordering::SeqCst) {
        (StatusCode::INTERNAL_SERVER_ERROR, "failing on purpose")
    } else {
        let next = r.script.lock().expect("not poisoned").pop_front();
        next.unwrap_or((StatusCode::OK, "ok"))
    };
    r.received.lock().expect("not poisoned")[index].status = answer.0.as_u16();
    answer
}

/// Serves `receiver` on a free port; its URL.
pub async fn serve(receiver: Arc<Receiver>) -> String {
    serve_on(receiver, 0).await
}

/// Serves `receiver` on `port` (0: a free one); its URL. A receiver can be served again, on the
/// same port, after the first listener is gone.
pub async fn serve_on(receiver: Arc<Receiver>, port: u16) -> String {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap_or_else(|e| panic!("the webhook's port {port}: {e}"));
    let url = format!(
        "http://{}/hooks/chime",
        listener.local_addr().expect("bound")
    );
    let app = Router::new()
        .route("/hooks/chime", post(receive))
        .with_state(receiver);
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serving") });
    url
}

pub fn header<'a>(r: &'a Received, name: &str) -> &'a str {
    r.headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .expect("a text header")
}

/// Verifies a request as the crate's documentation tells receivers to: HMAC-SHA256 of
/// `<timestamp>.<raw body>`, compared in constant time, the timestamp within 5 minutes.
pub fn verify(r: &Received, secret: &str, now_s: i64) -> bool {
    let timestamp = header(r, "x-carillon-timestamp");
    let Ok(ts) = timestamp.parse::<i64>() else {
        return false;
    };
    if (now_s - ts).abs() > 300 {
        return false;
    }
    let Some(hex_sig) = header(r, "x-carillon-signature").strip_prefix("v1=") else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(&r.body);
    mac.verify_slice(&sig).is_ok()
}
