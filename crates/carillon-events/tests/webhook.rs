//! Webhooks against a real HTTP receiver that checks what arrives, the signature included.

#![allow(clippy::unwrap_used)] // Helpers of tests unwrap as tests do.

mod support;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::StatusCode;
use carillon_events::{DeliveryConfig, Secret, Senders, WebhookTarget};
use carillon_testkit::events::receiver::{header, serve, verify, Receiver, SECRET};

fn senders(url: &str, timeout: Duration) -> Senders {
    Senders::new(&DeliveryConfig {
        webhooks: vec![WebhookTarget {
            name: "audit".into(),
            url: url.into(),
            secret: Secret::new(SECRET),
        }],
        request_timeout: timeout,
        ..DeliveryConfig::default()
    })
}

#[tokio::test]
async fn a_webhook_receives_the_envelope_signed() {
    let receiver = Arc::new(Receiver::default());
    let url = serve(Arc::clone(&receiver)).await;
    let (envelope, stored) = support::joined(1, 1_765_000_000_123);
    let now_ms = carillon_core::clock::now_ms();
    senders(&url, Duration::from_secs(5))
        .send("webhook:audit", &stored, now_ms)
        .await
        .expect("delivered");

    let received = receiver.received();
    assert_eq!(received.len(), 1);
    let r = &received[0];
    assert_eq!(header(r, "content-type"), "application/json");
    assert_eq!(header(r, "x-carillon-event-id"), envelope.id);
    assert_eq!(header(r, "x-carillon-event-type"), "chime:AttendeeJoined");
    assert_eq!(
        header(r, "x-carillon-timestamp"),
        (now_ms / 1000).to_string()
    );
    assert_eq!(
        r.body.as_ref(),
        stored.event.body.as_bytes(),
        "the body is the stored envelope, byte for byte"
    );
    let json: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    support::assert_envelope(&json, &envelope);

    assert!(verify(r, SECRET, now_ms / 1000), "the signature verifies");
    assert!(!verify(r, "another secret", now_ms / 1000));
    assert!(
        !verify(r, SECRET, now_ms / 1000 + 301),
        "a stale timestamp is refused"
    );
    let mut tampered = r.clone();
    tampered.body = Bytes::from(r.body.iter().rev().copied().collect::<Vec<u8>>());
    assert!(!verify(&tampered, SECRET, now_ms / 1000));
}

#[tokio::test]
async fn failures_carry_the_status_and_the_answer_then_the_retry_succeeds() {
    let receiver = Arc::new(Receiver {
        script: Mutex::new(VecDeque::from([
            (StatusCode::INTERNAL_SERVER_ERROR, "database on fire"),
            (StatusCode::INTERNAL_SERVER_ERROR, "still on fire"),
        ])),
        ..Receiver::default()
    });
    let url = serve(Arc::clone(&receiver)).await;
    let (envelope, stored) = support::joined(2, 1_765_000_000_000);
    let senders = senders(&url, Duration::from_secs(5));
    let now = carillon_core::clock::now_ms();

    let first = senders.send("webhook:audit", &stored, now).await;
    assert_eq!(first, Err("HTTP 500: database on fire".to_owned()));
    let second = senders.send("webhook:audit", &stored, now + 1_000).await;
    assert_eq!(second, Err("HTTP 500: still on fire".to_owned()));
    senders
        .send("webhook:audit", &stored, now + 3_000)
        .await
        .expect("the third attempt is delivered");

    let received = receiver.received();
    assert_eq!(received.len(), 3);
    for (r, at) in received.iter().zip([now, now + 1_000, now + 3_000]) {
        assert_eq!(
            header(r, "x-carillon-event-id"),
            envelope.id,
            "the same id every time"
        );
        assert_eq!(header(r, "x-carillon-timestamp"), (at / 1000).to_string());
        assert!(verify(r, SECRET, at / 1000));
    }
}

#[tokio::test]
async fn redirects_client_errors_timeouts_and_refusals_are_failures() {
    let receiver = Arc::new(Receiver {
        script: Mutex::new(VecDeque::from([
            (StatusCode::FOUND, ""),
            (StatusCode::GONE, "no such hook"),
        ])),
        ..Receiver::default()
    });
    let url = serve(Arc::clone(&receiver)).await;
    let (_, stored) = support::joined(3, 1_765_000_000_000);
    let now = carillon_core::clock::now_ms();
    let s = senders(&url, Duration::from_secs(5));
    assert_eq!(
        s.send("webhook:audit", &stored, now).await,
        Err("HTTP 302: ".to_owned())
    );
    assert_eq!(
        s.send("webhook:audit", &stored, now).await,
        Err("HTTP 410: no such hook".to_owned())
    );

    let slow = Arc::new(Receiver {
        delay: std::sync::Mutex::new(Duration::from_secs(3)),
        ..Receiver::default()
    });
    let slow_url = serve(slow).await;
    let error = senders(&slow_url, Duration::from_millis(300))
        .send("webhook:audit", &stored, now)
        .await
        .unwrap_err();
    assert!(error.starts_with("timed out after"), "{error}");

    // A port nothing listens on: bound, then closed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_url = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let error = senders(&closed_url, Duration::from_secs(5))
        .send("webhook:audit", &stored, now)
        .await
        .unwrap_err();
    assert!(error.starts_with("request failed:"), "{error}");
    assert!(!error.contains(SECRET));

    let unknown = s.send("webhook:gone", &stored, now).await.unwrap_err();
    assert_eq!(unknown, "webhook gone is not configured");
}
