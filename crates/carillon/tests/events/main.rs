//! Meeting events end to end: the real binary driven with the official SDK (and the legacy API
//! with signed raw requests), its events received where an application receives them — a
//! signed webhook, SQS, SNS and EventBridge (through moto), the admin listener's live stream —
//! through failures of the receiver, dead letters and a crash of the server.

#![allow(clippy::unwrap_used)] // Helpers of tests unwrap as tests do.

mod aws;
mod crash;
mod dead_letters;
mod envelope;
mod failures;
mod hook;
mod legacy;
mod off;
mod stream;
mod webhook;

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::time::{Duration, Instant};

use carillon_testkit::events::receiver::SECRET;
use carillon_testkit::*;
use serde_json::Value;

use envelope::{check, Expect};
use hook::Hook;

/// How long any wait for something the server does in the background may take: generous, for a
/// slow machine shared with other builds.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// `options` with the webhook `hook` (signed with the receiver's secret), the admin listener,
/// and retries kept short so that failures are retried within the test.
pub fn with_hook(options: Options, url: &str) -> Options {
    options
        .admin()
        .arg("--webhook")
        .arg(&format!("hook={url}"))
        .arg("--webhook-secret")
        .arg(SECRET)
        .arg("--event-retry-initial")
        .arg("50ms")
        .arg("--event-retry-max")
        .arg("500ms")
}

/// Polls `check` every 50 ms until it gives a value; panics with `what` after `within`.
pub async fn wait_until<T, F, Fut>(what: &str, within: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(start.elapsed() < within, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One meeting event of the admin log.
#[derive(Debug, Clone)]
pub struct Logged {
    pub event_id: String,
    pub meeting_id: String,
    pub name: String,
    /// The envelope, as the log holds it.
    pub envelope: Value,
}

/// Every meeting event of the server's log, oldest first (every page).
pub async fn log(server: &Server) -> Vec<Logged> {
    let mut all = Vec::new();
    let mut after = "0-0".to_owned();
    loop {
        let path = format!("/v1/events?source=meeting&limit=1000&after={after}");
        let (status, page) = admin(server, "GET", &path, None).await;
        assert_eq!(status, 200, "{page}");
        for e in page["events"].as_array().unwrap() {
            all.push(Logged {
                event_id: e["eventId"].as_str().unwrap().to_owned(),
                meeting_id: e["meetingId"].as_str().unwrap().to_owned(),
                name: e["name"].as_str().unwrap().to_owned(),
                envelope: e["event"].clone(),
            });
        }
        after = page["next"].as_str().unwrap().to_owned();
        if !page["more"].as_bool().unwrap() {
            return all;
        }
    }
}

/// The ids of `events` per meeting, in their order.
pub fn by_meeting<'a>(
    events: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (meeting, id) in events {
        out.entry(meeting.to_owned())
            .or_default()
            .push(id.to_owned());
    }
    out
}

/// Waits until the hook has answered 2xx to every event of the log (read again while waiting,
/// since the log may still grow), and returns the log.
pub async fn all_delivered(server: &Server, hook: &Hook, within: Duration) -> Vec<Logged> {
    wait_until(
        "every logged event delivered to the webhook",
        within,
        || async {
            let log = log(server).await;
            let delivered = hook.delivered_ids();
            log.iter()
                .all(|e| delivered.contains(&e.event_id))
                .then_some(log)
        },
    )
    .await
}

/// Asserts that the hook received every event of `log` in the log's order per meeting (by the
/// first time each was answered 2xx), and nothing else.
pub fn assert_in_order_per_meeting(hook: &Hook, log: &[Logged]) {
    let expected = by_meeting(log.iter().map(|e| (&*e.meeting_id, &*e.event_id)));
    let requests = hook.requests();
    let mut seen = std::collections::HashSet::new();
    let firsts = requests
        .iter()
        .filter(|r| r.ok() && seen.insert(r.event_id.clone()))
        .map(|r| (&*r.meeting_id, &*r.event_id));
    assert_eq!(by_meeting(firsts), expected, "deliveries per meeting");
}

/// How many times each event id was received (answered or not).
pub fn counts(hook: &Hook) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for r in hook.requests() {
        *counts.entry(r.event_id).or_insert(0) += 1;
    }
    counts
}

/// `expected` against what the hook received: the same events per meeting, in order, each as
/// documented.
pub fn assert_received(hook: &Hook, expected: &[Expect]) {
    let delivered = hook.delivered();
    let got = by_meeting(delivered.iter().map(|r| (&*r.meeting_id, &*r.event_type)));
    let want = by_meeting(expected.iter().map(|e| (&*e.meeting_id, e.event_type)));
    assert_eq!(got, want, "event types per meeting");
    for meeting in want.keys() {
        let theirs = delivered.iter().filter(|r| &r.meeting_id == meeting);
        let ours = expected.iter().filter(|e| &e.meeting_id == meeting);
        for (r, e) in theirs.zip(ours) {
            assert_eq!(check(&r.raw, e), r.event_id);
        }
    }
}
