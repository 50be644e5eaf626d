//! Deliveries: streams claimed head first under one lease, settled by claim, given up on,
//! replayed, and the log pruned of what owes nothing.

use std::collections::HashSet;

use super::*;

/// A stream (one meeting's deliveries to one target) is claimed head first with its followers,
/// never by two claims at once; a failed head holds its followers back until retried; a dead
/// letter is listed, no longer holds the stream, and can be replayed; a settlement of a lost
/// lease changes nothing, and a lease that ran out lets another claim deliver again.
pub async fn delivery_streams(store: &dyn Store) {
    let (hook, routing) = own_hook();
    store.set_event_routing(routing);
    let busy = meeting_with(store, &["a", "b"]).await;
    let quiet = meeting_with(store, &[]).await;
    let (busy_id, quiet_id) = (busy.meeting_id.clone(), quiet.meeting_id.clone());
    let stream = |m: &str| (hook.clone(), m.to_owned());

    let first = claimed(store, &claim(NOW, 10, 2, &[&hook])).await;
    assert_eq!(first.len(), 2);
    let (b1, q1) = (&first[&stream(&busy_id)], &first[&stream(&quiet_id)]);
    assert_eq!(b1.len(), 2, "the head and one follower");
    assert_eq!(q1.len(), 1);
    assert_eq!(b1[0].event.event.name, "chime:MeetingStarted");
    assert!(
        claimed(store, &claim(NOW, 10, 2, &[&hook]))
            .await
            .is_empty(),
        "leased"
    );

    let error = "HTTP 500".to_owned();
    settled(
        store,
        vec![
            settle(&b1[0], DeliveryOutcome::Delivered),
            settle(&b1[1], DeliveryOutcome::Released),
            settle(
                &q1[0],
                DeliveryOutcome::Retry {
                    error: error.clone(),
                    retry_at_ms: NOW + 500,
                },
            ),
        ],
    )
    .await;
    let second = claimed(store, &claim(NOW, 10, 5, &[&hook])).await;
    assert_eq!(
        second.keys().collect::<Vec<_>>(),
        [&stream(&busy_id)],
        "the retry is not due"
    );
    let b2 = &second[&stream(&busy_id)];
    assert_eq!(b2.len(), 2, "the released follower is the head again");
    assert_eq!(b2[0].key, b1[1].key);
    assert_eq!(b2[0].attempts, 0, "a release counts no attempt");

    // A settlement under an old claim changes nothing: the delivery stays leased by b2.
    settled(store, vec![settle(&b1[1], DeliveryOutcome::Delivered)]).await;
    let q2 = &claimed(store, &claim(NOW + 500, 10, 5, &[&hook])).await[&stream(&quiet_id)];
    assert_eq!(q2[0].attempts, 1);
    settled(
        store,
        vec![settle(
            &q2[0],
            DeliveryOutcome::Dead {
                error: error.clone(),
                at_ms: NOW + 500,
            },
        )],
    )
    .await;

    // The lease of b2 runs out: another claim delivers the same again.
    let third = claimed(store, &claim(NOW + LEASE + 1, 10, 5, &[&hook])).await;
    assert_eq!(third.len(), 1, "the dead letter is not claimed");
    let b3 = &third[&stream(&busy_id)];
    assert_eq!(
        b3.iter().map(|d| &d.key).collect::<Vec<_>>(),
        b2.iter().map(|d| &d.key).collect::<Vec<_>>()
    );
    settled(
        store,
        b2.iter()
            .map(|d| settle(d, DeliveryOutcome::Delivered))
            .collect(),
    )
    .await;
    assert_eq!(
        claimed(store, &claim(NOW + LEASE + 1, 10, 5, &[&hook]))
            .await
            .len(),
        0
    );
    settled(
        store,
        b3.iter()
            .map(|d| settle(d, DeliveryOutcome::Delivered))
            .collect(),
    )
    .await;
    let later = NOW + 10 * LEASE;
    assert!(
        claimed(store, &claim(later, 10, 5, &[&hook]))
            .await
            .is_empty(),
        "all delivered"
    );

    let dead: Vec<_> = all_dead_letters(store)
        .await
        .into_iter()
        .filter(|d| d.key.target == hook)
        .collect();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].key, q1[0].key);
    assert_eq!(dead[0].attempts, 2);
    assert_eq!(dead[0].last_error, error);
    assert_eq!(dead[0].dead_at_ms, NOW + 500);
    assert_eq!(dead[0].event.event.meeting_id, quiet_id);

    let replayed = ok(store
        .replay_dead_letters(Some(vec![dead[0].key.clone()]), later)
        .await);
    assert_eq!(replayed, 1);
    let again = claimed(store, &claim(later, 10, 5, &[&hook])).await;
    let q3 = &again[&stream(&quiet_id)];
    assert_eq!((q3[0].key.clone(), q3[0].attempts), (q1[0].key.clone(), 0));
    settled(store, vec![settle(&q3[0], DeliveryOutcome::Delivered)]).await;
    assert!(all_dead_letters(store)
        .await
        .iter()
        .all(|d| d.key.target != hook));
    let none = DeliveryKey {
        target: hook.clone(),
        seq: q1[0].key.seq,
    };
    assert_eq!(
        ok(store.replay_dead_letters(Some(vec![none]), later).await),
        0
    );
    store.set_event_routing(EventRouting::default());
}

async fn all_dead_letters(store: &dyn Store) -> Vec<crate::events::outbox::DeadLetter> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = ok(store.dead_letters(after, 100).await);
        let Some(last) = page.last() else {
            return out;
        };
        after = Some(last.key.clone());
        out.extend(page);
    }
}

/// Concurrent claims never take the same stream, and between them take every stream.
pub async fn concurrent_claims(store: &dyn Store) {
    let (hook, routing) = own_hook();
    store.set_event_routing(routing);
    let mut meetings = HashSet::new();
    for _ in 0..12 {
        meetings.insert(meeting_with(store, &["a", "b"]).await.meeting_id);
    }
    let mut seen = HashSet::new();
    for round in 0..12 {
        let claims: Vec<Claim> = (0..4).map(|_| claim(NOW, 3, 10, &[&hook])).collect();
        let results = join_all(claims.iter().map(|c| claimed(store, c)).collect()).await;
        let mut settlements = Vec::new();
        for streams in results {
            for ((_, meeting), deliveries) in streams {
                assert!(
                    seen.insert(meeting.clone()),
                    "stream {meeting} claimed twice"
                );
                assert_eq!(deliveries.len(), 3, "each stream whole");
                settlements.extend(
                    deliveries
                        .iter()
                        .map(|d| settle(d, DeliveryOutcome::Delivered)),
                );
            }
        }
        settled(store, settlements).await;
        if seen == meetings {
            break;
        }
        assert!(
            round < 11,
            "streams never claimed: {:?}",
            meetings.difference(&seen)
        );
    }
    assert_eq!(seen, meetings);
    store.set_event_routing(EventRouting::default());
}

/// Pruning removes old events that owe nothing, and keeps those with a delivery pending or dead.
pub async fn event_pruning(store: &dyn Store) {
    // Timestamps no other case uses, so that pruning before them touches only this case's.
    const EARLY: i64 = 1_000;
    let (hook, routing) = own_hook();
    let from = ok(store.last_event_position().await);
    let scope = new_scope();
    let logged_only = {
        let mut r = meeting_record(&scope);
        r.created_at_ms = EARLY;
        created(store, new_meeting(r), vec![]).await.0
    };
    store.set_event_routing(routing);
    let mut owing = Vec::new();
    for _ in 0..3 {
        let mut r = meeting_record(&scope);
        r.created_at_ms = EARLY;
        owing.push(created(store, new_meeting(r), vec![]).await.0);
    }
    let streams = claimed(store, &claim(NOW, 1000, 1, &[&hook])).await;
    let of = |m: &MeetingRecord| &streams[&(hook.clone(), m.meeting_id.clone())][0];
    settled(
        store,
        vec![
            settle(of(&owing[0]), DeliveryOutcome::Delivered),
            settle(
                of(&owing[1]),
                DeliveryOutcome::Dead {
                    error: "no".into(),
                    at_ms: NOW,
                },
            ),
            settle(of(&owing[2]), DeliveryOutcome::Released),
        ],
    )
    .await;
    let ids: Vec<&str> = std::iter::once(&logged_only)
        .chain(&owing)
        .map(|m| m.meeting_id.as_str())
        .collect();
    assert_eq!(logged(store, from, &ids).await.len(), 4);
    assert_eq!(
        ok(store.prune_events(EARLY, 1000).await),
        0,
        "nothing before EARLY"
    );
    let pruned = ok(store.prune_events(EARLY + 1, 1000).await);
    assert_eq!(pruned, 2);
    let left: Vec<String> = logged(store, from, &ids)
        .await
        .into_iter()
        .map(|e| e.event.meeting_id)
        .collect();
    assert_eq!(
        left,
        [owing[1].meeting_id.clone(), owing[2].meeting_id.clone()]
    );
    let rest = claimed(store, &claim(NOW, 1000, 1, &[&hook])).await;
    settled(
        store,
        rest.values()
            .flatten()
            .map(|d| settle(d, DeliveryOutcome::Delivered))
            .collect(),
    )
    .await;
    store.set_event_routing(EventRouting::default());
}
