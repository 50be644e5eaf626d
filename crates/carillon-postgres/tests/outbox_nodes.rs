//! The outbox shared by two nodes: two stores on one database, each with workers that claim and
//! settle deliveries at once. No stream is ever leased to two workers at a time, and every
//! delivery is delivered exactly once. Skipped, loudly, without PostgreSQL (a failure in CI).

#![allow(clippy::unwrap_used)] // Helpers of tests unwrap as tests do.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use carillon_core::clock::now_ms;
use carillon_core::conformance::{attendee, meeting_record, new_meeting, new_scope};
use carillon_core::events::outbox::{
    Claim, DeliveryKey, DeliveryOutcome, EventPosition, EventRouting, Settlement, Target,
};
use carillon_core::Store;
use carillon_postgres::testing::TestDatabase;
use carillon_postgres::{PgConfig, PgStore};

const MEETINGS: usize = 24;
const LEASE_MS: i64 = 60_000;

/// Which worker holds each stream (target, meeting) right now.
type Holders = Arc<Mutex<HashMap<(String, String), usize>>>;

/// Claims and settles until the claims come back empty a few times in a row: every claimed
/// stream is checked free before it is held, and given up before it is settled. The last
/// delivery of a stream claimed whole is released rather than delivered, so that streams are
/// claimed again, by whichever worker comes first.
async fn work(
    id: usize,
    store: Arc<PgStore>,
    targets: Vec<String>,
    holders: Holders,
) -> Vec<DeliveryKey> {
    let mut delivered = Vec::new();
    let mut idle = 0;
    while idle < 5 {
        let now = now_ms() + 1_000;
        let claim = Claim {
            now_ms: now,
            lease_until_ms: now + LEASE_MS,
            streams: 3,
            per_stream: 4,
            targets: targets.clone(),
        };
        let deliveries = store.claim_deliveries(&claim).await.unwrap();
        if deliveries.is_empty() {
            idle += 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        }
        idle = 0;
        let mut streams: HashMap<(String, String), Vec<_>> = HashMap::new();
        for d in deliveries {
            let stream = (d.key.target.clone(), d.event.event.meeting_id.clone());
            streams.entry(stream).or_default().push(d);
        }
        for stream in streams.keys() {
            let held = holders.lock().unwrap().insert(stream.clone(), id);
            assert_eq!(held, None, "{stream:?} leased to workers {held:?} and {id}");
        }
        tokio::task::yield_now().await;
        let mut settlements = Vec::new();
        for (stream, deliveries) in streams {
            let whole = deliveries.len() == claim.per_stream;
            for (i, d) in deliveries.iter().enumerate() {
                let outcome = if whole && i + 1 == deliveries.len() {
                    DeliveryOutcome::Released
                } else {
                    delivered.push(d.key.clone());
                    DeliveryOutcome::Delivered
                };
                settlements.push(Settlement {
                    key: d.key.clone(),
                    claim: d.claim,
                    outcome,
                });
            }
            holders.lock().unwrap().remove(&stream);
        }
        store.settle_deliveries(settlements).await.unwrap();
    }
    delivered
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_deliver_every_event_once() {
    let Some(db) = TestDatabase::create("nodes") else {
        return;
    };
    let config = PgConfig::new(db.url.clone());
    let nodes = [
        Arc::new(PgStore::connect(&config).await.unwrap()),
        Arc::new(PgStore::connect(&config).await.unwrap()),
    ];
    let hooks = [Target::Webhook("one".into()), Target::Webhook("two".into())];
    let routing = EventRouting {
        everywhere: hooks.to_vec(),
        ..EventRouting::default()
    };
    for node in &nodes {
        node.set_event_routing(routing.clone());
    }

    // Meetings written through either node, with attendees added through the other one.
    let scope = new_scope();
    for i in 0..MEETINGS {
        let (writer, other) = (&nodes[i % 2], &nodes[(i + 1) % 2]);
        let record = meeting_record(&scope);
        let first = (0..3)
            .map(|n| attendee(&record, &format!("a{n}")).into())
            .collect();
        writer
            .create_meeting(new_meeting(record.clone()), first)
            .await
            .unwrap();
        let more = (0..3)
            .map(|n| attendee(&record, &format!("b{n}")).into())
            .collect();
        let added = other.create_attendees(&scope, &record.meeting_id, more);
        assert!(added.await.unwrap().is_some());
    }
    let mut owed = HashSet::new();
    let mut after = EventPosition::START;
    loop {
        let page = nodes[0].events_after(after, 500).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.position;
        for event in &page {
            for hook in &hooks {
                owed.insert(DeliveryKey {
                    target: hook.key(),
                    seq: event.seq,
                });
            }
        }
    }
    assert_eq!(owed.len(), MEETINGS * 7 * hooks.len(), "every event logged");

    // Two workers on each node; one of them names the targets by prefix.
    let holders: Holders = Arc::default();
    let workers: Vec<_> = (0..4)
        .map(|id| {
            let targets = if id == 0 {
                vec!["webhook:".to_owned()]
            } else {
                hooks.iter().map(Target::key).collect()
            };
            let store = nodes[id % 2].clone();
            tokio::spawn(work(id, store, targets, holders.clone()))
        })
        .collect();
    let mut delivered = Vec::new();
    for worker in workers {
        delivered.extend(worker.await.unwrap());
    }
    let unique: HashSet<DeliveryKey> = delivered.iter().cloned().collect();
    assert_eq!(
        unique.len(),
        delivered.len(),
        "a delivery was delivered twice"
    );
    assert_eq!(unique, owed, "every delivery delivered");
    let later = now_ms() + 10 * LEASE_MS;
    let last = Claim {
        now_ms: later,
        lease_until_ms: later + LEASE_MS,
        streams: 100,
        per_stream: 100,
        targets: vec!["webhook:".into()],
    };
    for node in &nodes {
        assert!(node.claim_deliveries(&last).await.unwrap().is_empty());
    }
}
