//! The deliverer end to end: a real store (SQLite, in memory) records a meeting's events with
//! their deliveries, the deliverer sends them to a webhook receiver, settles them, and stops.

#![allow(clippy::unwrap_used)] // Helpers of tests unwrap as tests do.

mod support;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use carillon_core::conformance::{attendee, meeting_record, new_meeting, new_scope, ENDED_AT_MS};
use carillon_core::events::outbox::{Claim, EventPosition};
use carillon_core::Store;
use carillon_events::{DeliveryConfig, DeliveryMetrics, RetryPolicy, Secret, WebhookTarget};
use carillon_sqlite::SqliteStore;
use carillon_testkit::events::receiver::{header, serve, verify, Receiver, SECRET};
use prometheus_client::registry::Registry;
use tokio::sync::watch;

const HOOK: &str = "webhook:audit";

fn config(url: &str, retry: RetryPolicy) -> DeliveryConfig {
    DeliveryConfig {
        webhooks: vec![WebhookTarget {
            name: "audit".into(),
            url: url.into(),
            secret: Secret::new(SECRET),
        }],
        retry,
        request_timeout: Duration::from_secs(5),
        poll_interval: Duration::from_millis(20),
        ..DeliveryConfig::default()
    }
}

fn quick_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        initial: Duration::from_millis(10),
        max: Duration::from_millis(40),
    }
}

/// A store routed as `config` says, holding one meeting's five events: started, two attendees
/// added, one deleted, ended. Their event ids in log order.
async fn store_with_events(config: &DeliveryConfig) -> (Arc<dyn Store>, Vec<String>) {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    store.set_event_routing(config.routing());
    let scope = new_scope();
    let m = meeting_record(&scope);
    let (a, b) = (attendee(&m, "a"), attendee(&m, "b"));
    let people = vec![a.into(), b.clone().into()];
    store
        .create_meeting(new_meeting(m.clone()), people)
        .await
        .unwrap();
    store
        .delete_attendee(&scope, &m.meeting_id, &b.attendee_id)
        .await
        .unwrap();
    store
        .end_meeting(&scope, &m.meeting_id, ENDED_AT_MS)
        .await
        .unwrap();
    let logged = store.events_after(EventPosition::START, 100).await.unwrap();
    assert_eq!(logged.len(), 5);
    let ids = logged.into_iter().map(|e| e.event.event_id).collect();
    (store, ids)
}

/// Waits until `done` holds, for at most `limit`.
async fn until(limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "not done within {limit:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The event ids the receiver got, in arrival order.
fn arrivals(receiver: &Receiver) -> Vec<String> {
    let received = receiver.received.lock().unwrap();
    received
        .iter()
        .map(|r| header(r, "x-carillon-event-id").to_owned())
        .collect()
}

fn metrics() -> (Registry, DeliveryMetrics) {
    let mut registry = Registry::default();
    let metrics = DeliveryMetrics::register(&mut registry);
    (registry, metrics)
}

fn exported(registry: &Registry) -> String {
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, registry).unwrap();
    text
}

/// Nothing left to claim for the webhook.
async fn nothing_owed(store: &dyn Store) -> bool {
    let now = carillon_core::clock::now_ms() + 3_600_000;
    let claim = Claim {
        now_ms: now,
        lease_until_ms: now + 1_000,
        streams: 10,
        per_stream: 10,
        targets: vec![HOOK.into()],
    };
    store.claim_deliveries(&claim).await.unwrap().is_empty()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meetings_events_reach_the_webhook_once_in_order() {
    let receiver = Arc::new(Receiver::default());
    let config = config(&serve(Arc::clone(&receiver)).await, quick_retries(12));
    let (store, ids) = store_with_events(&config).await;
    let (registry, metrics) = metrics();
    let (stop, stopped) = watch::channel(false);
    let deliverer = carillon_events::start(Arc::clone(&store), config, metrics, stopped);

    until(Duration::from_secs(10), || arrivals(&receiver).len() >= 5).await;
    assert_eq!(arrivals(&receiver), ids);
    for r in receiver.received.lock().unwrap().iter() {
        assert!(verify(r, SECRET, carillon_core::clock::now_ms() / 1000));
    }
    let store_ref = Arc::clone(&store);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !nothing_owed(store_ref.as_ref()).await {
        assert!(Instant::now() < deadline, "deliveries still owed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let text = exported(&registry);
    assert!(
        text.contains(r#"carillon_events_delivered_total{target_kind="webhook"} 5"#),
        "{text}"
    );

    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(3), deliverer)
        .await
        .expect("the deliverer stops at once when idle")
        .unwrap();
    assert_eq!(arrivals(&receiver).len(), 5, "nothing delivered twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_head_holds_its_stream_back_until_its_retry_succeeds() {
    let receiver = Arc::new(Receiver {
        script: std::sync::Mutex::new(VecDeque::from([
            (StatusCode::INTERNAL_SERVER_ERROR, "down"),
            (StatusCode::SERVICE_UNAVAILABLE, "still down"),
        ])),
        ..Receiver::default()
    });
    let config = config(&serve(Arc::clone(&receiver)).await, quick_retries(12));
    let (store, ids) = store_with_events(&config).await;
    let (registry, metrics) = metrics();
    let (stop, stopped) = watch::channel(false);
    let deliverer = carillon_events::start(Arc::clone(&store), config, metrics, stopped);

    until(Duration::from_secs(10), || arrivals(&receiver).len() >= 7).await;
    let mut expected = vec![ids[0].clone(), ids[0].clone()];
    expected.extend(ids.iter().cloned());
    assert_eq!(
        arrivals(&receiver),
        expected,
        "the head three times, then the rest in order"
    );
    // The receiver sees a request before its sender sees the answer.
    let all_delivered = r#"carillon_events_delivered_total{target_kind="webhook"} 5"#;
    until(Duration::from_secs(5), || {
        exported(&registry).contains(all_delivered)
    })
    .await;
    let text = exported(&registry);
    assert!(
        text.contains(r#"carillon_events_delivery_failures_total{target_kind="webhook"} 2"#),
        "{text}"
    );

    stop.send(true).unwrap();
    deliverer.await.unwrap();
    assert!(store.dead_letters(None, 10).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_failure_makes_a_dead_letter_and_frees_the_stream() {
    let receiver = Arc::new(Receiver {
        script: std::sync::Mutex::new(
            std::iter::repeat_n((StatusCode::BAD_GATEWAY, "no upstream"), 10).collect(),
        ),
        ..Receiver::default()
    });
    let config = config(&serve(Arc::clone(&receiver)).await, quick_retries(2));
    let (store, ids) = store_with_events(&config).await;
    let (registry, metrics) = metrics();
    let (stop, stopped) = watch::channel(false);
    let deliverer = carillon_events::start(Arc::clone(&store), config, metrics, stopped);

    // Two attempts of each event, in order, every one refused.
    until(Duration::from_secs(10), || arrivals(&receiver).len() >= 10).await;
    let expected: Vec<String> = ids.iter().flat_map(|id| [id.clone(), id.clone()]).collect();
    assert_eq!(arrivals(&receiver), expected);
    let deadline = Instant::now() + Duration::from_secs(5);
    let dead = loop {
        let dead = store.dead_letters(None, 10).await.unwrap();
        if dead.len() == 5 {
            break dead;
        }
        assert!(Instant::now() < deadline, "{} dead letters", dead.len());
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    for letter in &dead {
        assert_eq!(letter.key.target, HOOK);
        assert_eq!(letter.attempts, 2);
        assert_eq!(letter.last_error, "HTTP 502: no upstream");
    }
    let text = exported(&registry);
    assert!(
        text.contains(r#"carillon_events_dead_letters_total{target_kind="webhook"} 5"#),
        "{text}"
    );
    assert!(
        text.contains(r#"carillon_events_delivery_failures_total{target_kind="webhook"} 10"#),
        "{text}"
    );

    stop.send(true).unwrap();
    deliverer.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_abandons_a_slow_attempt_after_the_grace_and_releases_it() {
    let receiver = Arc::new(Receiver {
        delay: std::sync::Mutex::new(Duration::from_secs(30)),
        ..Receiver::default()
    });
    let config = config(&serve(Arc::clone(&receiver)).await, quick_retries(12));
    let (store, ids) = store_with_events(&config).await;
    let (stop, stopped) = watch::channel(false);
    let deliverer = carillon_events::start(
        Arc::clone(&store),
        config,
        DeliveryMetrics::default(),
        stopped,
    );

    until(Duration::from_secs(10), || !arrivals(&receiver).is_empty()).await;
    let asked = Instant::now();
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(4), deliverer)
        .await
        .expect("the deliverer stops within its grace")
        .unwrap();
    assert!(
        asked.elapsed() >= carillon_events::GRACE,
        "the attempt had its grace"
    );

    // Released, not failed: claimable at once, no attempt counted, the stream whole.
    let now = carillon_core::clock::now_ms();
    let claim = Claim {
        now_ms: now,
        lease_until_ms: now + 1_000,
        streams: 10,
        per_stream: 10,
        targets: vec![HOOK.into()],
    };
    let claimed = store.claim_deliveries(&claim).await.unwrap();
    let claimed_ids: Vec<&str> = claimed
        .iter()
        .map(|d| d.event.event.event_id.as_str())
        .collect();
    assert_eq!(
        claimed_ids,
        ids.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert!(claimed.iter().all(|d| d.attempts == 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_target_holds_back_only_its_own_streams() {
    let fast = Arc::new(Receiver::default());
    let slow = Arc::new(Receiver {
        delay: std::sync::Mutex::new(Duration::from_secs(5)),
        ..Receiver::default()
    });
    let mut config = config(&serve(Arc::clone(&fast)).await, quick_retries(12));
    config.webhooks.push(WebhookTarget {
        name: "slow".into(),
        url: serve(Arc::clone(&slow)).await,
        secret: Secret::new(SECRET),
    });
    let (store, ids) = store_with_events(&config).await;
    let (stop, stopped) = watch::channel(false);
    let deliverer = carillon_events::start(
        Arc::clone(&store),
        config,
        DeliveryMetrics::default(),
        stopped,
    );

    until(Duration::from_secs(10), || arrivals(&slow).len() == 1).await;
    // Events logged while the slow attempt runs reach the fast target too.
    let scope = new_scope();
    let m = meeting_record(&scope);
    store.create_meeting(new_meeting(m), vec![]).await.unwrap();
    until(Duration::from_secs(3), || arrivals(&fast).len() == 6).await;
    // Two streams to the fast target, each in order; between them, any order.
    let got = arrivals(&fast);
    let first: Vec<String> = got.iter().filter(|id| ids.contains(id)).cloned().collect();
    assert_eq!(first, ids);
    let other = got.iter().find(|id| !ids.contains(id)).unwrap().clone();
    // The new meeting is a stream of its own to the slow target too: not held back either.
    until(Duration::from_secs(3), || arrivals(&slow).len() == 2).await;
    assert_eq!(arrivals(&slow), [ids[0].clone(), other]);

    stop.send(true).unwrap();
    deliverer.await.unwrap();
}
