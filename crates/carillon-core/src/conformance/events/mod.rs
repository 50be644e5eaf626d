//! Events: what each write records in the log, the deliveries it owes, and how deliveries are
//! claimed, settled, given up on, replayed and pruned. A shared store holds other cases' events
//! and deliveries, so each case reads the log from where it stood when the case began, filters
//! by its own meetings, and delivers to a webhook named for the case alone.

mod deliveries;
pub use deliveries::*;

use std::collections::BTreeMap;

use super::builders::*;
use crate::domain::{AttendeeFeatures, MediaCapability, MeetingFeatures, MeetingRecord};
use crate::events::outbox::{
    Claim, ClientEvent, Delivery, DeliveryKey, DeliveryOutcome, EventPosition, EventRouting,
    EventSource, Settlement, StoredEvent, Target,
};
use crate::events::{Envelope, MeetingEvent, SessionChange};
use crate::ids::new_id;
use crate::store::{AttendeeLookup, AttendeeOutcome, CreateMeetingOutcome, Store};

/// Claims are made at this instant unless a case says otherwise.
const NOW: i64 = CREATED_AT_MS + 1_000;
const LEASE: i64 = 1_000;

/// A webhook target of this case alone, and the routing that sends every event to it.
fn own_hook() -> (String, EventRouting) {
    let target = Target::Webhook(new_id());
    let routing = EventRouting {
        everywhere: vec![target.clone()],
        ..EventRouting::default()
    };
    (target.key(), routing)
}

/// Every event logged after `from` for one of `meetings`, in log order.
async fn logged(store: &dyn Store, from: EventPosition, meetings: &[&str]) -> Vec<StoredEvent> {
    let mut out = Vec::new();
    let mut after = from;
    loop {
        let page = ok(store.events_after(after, 200).await);
        let Some(last) = page.last() else {
            return out;
        };
        assert!(last.position > after, "events_after went backwards");
        after = last.position;
        out.extend(
            page.into_iter()
                .filter(|e| meetings.contains(&e.event.meeting_id.as_str())),
        );
    }
}

fn names(events: &[StoredEvent]) -> Vec<&str> {
    events.iter().map(|e| e.event.name.as_str()).collect()
}

fn envelope(event: &StoredEvent) -> Envelope {
    assert_eq!(event.event.source, EventSource::Meeting);
    Envelope::from_json(&event.event.body).expect("a meeting event's body is its envelope")
}

fn claim(now_ms: i64, streams: usize, per_stream: usize, targets: &[&str]) -> Claim {
    Claim {
        now_ms,
        lease_until_ms: now_ms + LEASE,
        streams,
        per_stream,
        targets: targets.iter().map(|t| t.to_string()).collect(),
    }
}

/// The deliveries of `claim`, by stream (target, meeting), each in claimed order.
async fn claimed(store: &dyn Store, claim: &Claim) -> BTreeMap<(String, String), Vec<Delivery>> {
    let mut streams: BTreeMap<(String, String), Vec<Delivery>> = BTreeMap::new();
    for d in ok(store.claim_deliveries(claim).await) {
        assert!(claim.takes(&d.key.target), "claimed a target not asked for");
        let stream = (d.key.target.clone(), d.event.event.meeting_id.clone());
        streams.entry(stream).or_default().push(d);
    }
    for deliveries in streams.values() {
        assert!(deliveries.len() <= claim.per_stream);
        let seqs: Vec<i64> = deliveries.iter().map(|d| d.key.seq).collect();
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "out of order: {seqs:?}"
        );
    }
    streams
}

fn settle(d: &Delivery, outcome: DeliveryOutcome) -> Settlement {
    Settlement {
        key: d.key.clone(),
        claim: d.claim,
        outcome,
    }
}

async fn settled(store: &dyn Store, settlements: Vec<Settlement>) {
    ok(store.settle_deliveries(settlements).await);
}

/// A meeting of a new scope, created with these attendees.
async fn meeting_with(store: &dyn Store, names: &[&str]) -> MeetingRecord {
    let record = meeting_record(&new_scope());
    let attendees = names.iter().map(|n| attendee(&record, n)).collect();
    created(store, new_meeting(record), attendees).await.0
}

/// Each write that changes a meeting records its documented events, in order, with the envelope
/// of the meeting's account and control Region; a meeting's SQS queue is owed every event when
/// the routing maps SQS, its SNS topic none when it does not.
pub async fn events_of_writes(store: &dyn Store) {
    let (hook, mut routing) = own_hook();
    routing.meeting_sqs = true;
    store.set_event_routing(routing);
    let from = ok(store.last_event_position().await);
    let scope = new_scope();
    let record = full_meeting(&scope);
    let (a, b) = (attendee(&record, "a"), attendee(&record, "b"));
    let (m, _) = created(store, new_meeting(record), vec![a.clone(), b.clone()]).await;
    let (id, c) = (&m.meeting_id, attendee(&m, "c"));
    let again = add(store, &m, vec![attendee(&m, "a"), c.clone()]).await;
    assert!(matches!(again[0], AttendeeOutcome::Existing(_)));
    let deleted = ok(store.delete_attendee(&scope, id, &b.attendee_id).await);
    assert_eq!(deleted, AttendeeLookup::Found(()));
    let caps = uniform_capabilities(MediaCapability::Receive);
    let updated = ok(store
        .update_attendee_capabilities(&scope, id, &a.attendee_id, caps)
        .await);
    assert!(matches!(updated, AttendeeLookup::Found(_)));
    let except = [a.attendee_id.clone()];
    let none = uniform_capabilities(MediaCapability::None);
    assert_eq!(
        ok(store
            .update_capabilities_except(&scope, id, &except, none)
            .await),
        Some(())
    );
    let config = transcription_config();
    for change in [Some(config.clone()), None, None] {
        assert_eq!(
            ok(store.set_transcription(&scope, id, change).await),
            Some(())
        );
    }
    assert_eq!(
        ok(store.end_meeting(&scope, id, ENDED_AT_MS).await),
        Some(())
    );

    let events = logged(store, from, &[id]).await;
    assert_eq!(
        names(&events),
        [
            "chime:MeetingStarted",
            "chime:AttendeeAdded",
            "chime:AttendeeAdded",
            "chime:AttendeeAdded",
            "chime:AttendeeDeleted",
            "chime:AttendeeCapabilitiesUpdated",
            "chime:AttendeeCapabilitiesUpdated",
            "chime:TranscriptionStarted",
            "chime:TranscriptionStopped",
            "chime:MeetingEnded",
        ]
    );
    let attendee_of = |e: &StoredEvent| {
        let detail = serde_json::to_value(envelope(e).detail).expect("serializes");
        detail["attendeeId"].as_str().map(str::to_owned)
    };
    let expected_attendees = [
        None,
        Some(&a),
        Some(&b),
        Some(&c),
        Some(&b),
        Some(&a),
        Some(&c),
        None,
        None,
        None,
    ]
    .map(|x| x.map(|r| r.attendee_id.clone()));
    assert_eq!(
        events.iter().map(attendee_of).collect::<Vec<_>>(),
        expected_attendees
    );
    for e in &events {
        let env = envelope(e);
        assert_eq!(env.id, e.event.event_id);
        assert_eq!(env.account, scope.account_id);
        assert_eq!(env.region, "eu-central-1", "the control Region");
        assert_eq!(env.detail.meeting.meeting_id, *id);
        assert_eq!(env.detail.meeting.media_region, "ap-southeast-2");
        assert_eq!(env.detail.timestamp_ms, e.event.at_ms);
        assert_eq!(e.event.account_id, scope.account_id);
    }
    assert_eq!(events[0].event.at_ms, m.created_at_ms);
    assert_eq!(events[9].event.at_ms, ENDED_AT_MS);
    let positions: Vec<EventPosition> = events.iter().map(|e| e.position).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]));

    let sqs = Target::Sqs("arn:aws:sqs:us-east-1:111122223333:queue".into()).key();
    let sns = Target::Sns("arn:aws:sns:us-east-1:111122223333:topic".into()).key();
    let owed = claimed(store, &claim(NOW, 1000, 100, &[&hook, &sqs, &sns])).await;
    let ours: Vec<_> = owed.iter().filter(|((_, mid), _)| mid == id).collect();
    assert_eq!(ours.len(), 2, "the webhook and the queue, not the topic");
    for ((target, _), deliveries) in ours {
        assert!(*target == hook || *target == sqs);
        let seqs: Vec<i64> = deliveries.iter().map(|d| d.key.seq).collect();
        let logged: Vec<i64> = events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, logged, "{target}: every event, in order");
        assert!(deliveries.iter().all(|d| d.attempts == 0));
        assert_eq!(deliveries[0].event, events[0]);
    }
    // Only the claims that took other meetings' deliveries are given back.
    let others = owed
        .iter()
        .filter(|((_, mid), _)| mid != id)
        .flat_map(|(_, ds)| ds.iter().map(|d| settle(d, DeliveryOutcome::Released)));
    settled(store, others.collect()).await;
    store.set_event_routing(EventRouting::default());
}

/// A write that was refused, or changed nothing, records nothing; with events off nothing is
/// recorded at all; a legacy meeting records the same forms.
pub async fn refused_writes_record_nothing(store: &dyn Store) {
    let from = ok(store.last_event_position().await);
    let scope = new_scope();
    let mut record = meeting_record(&scope);
    record.features = Some(MeetingFeatures {
        attendee: Some(AttendeeFeatures { max_count: Some(1) }),
        ..MeetingFeatures::default()
    });
    let (a, b) = (attendee(&record, "a"), attendee(&record, "b"));
    let (m, outcomes) = created(store, new_meeting_with_quota(record, 1), vec![a, b]).await;
    assert!(matches!(outcomes[1], AttendeeOutcome::LimitExceeded { .. }));
    let refused = meeting_record(&scope);
    let refused_id = refused.meeting_id.clone();
    let outcome = ok(store
        .create_meeting(new_meeting_with_quota(refused, 1), vec![])
        .await);
    assert!(matches!(outcome, CreateMeetingOutcome::TooManyMeetings));
    let id = &m.meeting_id;
    let gone = ok(store.delete_attendee(&scope, id, &new_id()).await);
    assert_eq!(gone, AttendeeLookup::AttendeeNotFound);
    assert_eq!(
        ok(store.set_transcription(&scope, id, None).await),
        Some(())
    );

    let legacy = meeting_with_scope(store, &new_legacy_scope()).await;
    store.set_event_routing(EventRouting::off());
    let silent = meeting_with(store, &["x"]).await;
    store.set_event_routing(EventRouting::default());

    let ids = [
        id.as_str(),
        &refused_id,
        &legacy.meeting_id,
        &silent.meeting_id,
    ];
    let events = logged(store, from, &ids).await;
    let of = |mid: &str| -> Vec<String> {
        let named = events.iter().filter(|e| e.event.meeting_id == mid);
        named.map(|e| e.event.name.clone()).collect()
    };
    assert_eq!(of(id), ["chime:MeetingStarted", "chime:AttendeeAdded"]);
    assert_eq!(of(&refused_id), Vec::<String>::new());
    assert_eq!(of(&legacy.meeting_id), ["chime:MeetingStarted"]);
    assert_eq!(of(&silent.meeting_id), Vec::<String>::new());
}

async fn meeting_with_scope(store: &dyn Store, scope: &crate::Scope) -> MeetingRecord {
    created(store, new_meeting(meeting_record(scope)), vec![])
        .await
        .0
}

/// Session events are recorded for active and ended meetings, routed like the writes' own;
/// client events are logged with their meeting's account and owe nothing; events of unknown
/// meetings are dropped.
pub async fn recorded_events(store: &dyn Store) {
    let (hook, routing) = own_hook();
    store.set_event_routing(routing);
    let from = ok(store.last_event_position().await);
    let scope = new_scope();
    let record = meeting_record(&scope);
    let a = attendee(&record, "a");
    let (m, _) = created(store, new_meeting(record), vec![a.clone()]).await;
    let joined = MeetingEvent::session(&m, &a, SessionChange::Joined, false, NOW);
    let unknown = MeetingEvent::session(
        &meeting_record(&scope),
        &a,
        SessionChange::Joined,
        false,
        NOW,
    );
    ok(store.record_events(vec![joined, unknown]).await);
    assert_eq!(
        ok(store.end_meeting(&scope, &m.meeting_id, ENDED_AT_MS).await),
        Some(())
    );
    let left = MeetingEvent::session(&m, &a, SessionChange::Left, true, ENDED_AT_MS + 1);
    ok(store.record_events(vec![left]).await);
    let client = |meeting_id: &str| ClientEvent {
        meeting_id: meeting_id.to_owned(),
        name: "meetingStartSucceeded".into(),
        at_ms: NOW,
        body: r#"{"name":"meetingStartSucceeded"}"#.into(),
    };
    ok(store
        .record_client_events(vec![client(&m.meeting_id), client(&new_id())])
        .await);

    let all = logged(store, from, &[&m.meeting_id]).await;
    assert_eq!(
        names(&all),
        [
            "chime:MeetingStarted",
            "chime:AttendeeAdded",
            "chime:AttendeeJoined",
            "chime:MeetingEnded",
            "chime:AttendeeContentLeft",
            "meetingStartSucceeded",
        ]
    );
    let c = &all[5].event;
    assert_eq!(
        (c.source, c.account_id.as_str()),
        (EventSource::Client, scope.account_id.as_str())
    );
    assert_eq!(
        (c.at_ms, c.body.as_str()),
        (NOW, r#"{"name":"meetingStartSucceeded"}"#)
    );
    let owed = claimed(store, &claim(NOW, 10, 100, &[&hook])).await;
    let ours = &owed[&(hook.clone(), m.meeting_id.clone())];
    assert_eq!(ours.len(), 5, "every meeting event, not the client's");
    settled(
        store,
        owed.values()
            .flatten()
            .map(|d| settle(d, DeliveryOutcome::Delivered))
            .collect(),
    )
    .await;
    store.set_event_routing(EventRouting::default());
}

/// Positions grow with each write, `last_event_position` is the newest, and reading after a
/// position starts past it.
pub async fn event_positions(store: &dyn Store) {
    let m1 = meeting_with(store, &[]).await;
    let p1 = ok(store.last_event_position().await);
    let m2 = meeting_with(store, &["a"]).await;
    let p2 = ok(store.last_event_position().await);
    assert!(p2 > p1);
    let after = logged(store, p1, &[&m1.meeting_id, &m2.meeting_id]).await;
    assert_eq!(
        names(&after),
        ["chime:MeetingStarted", "chime:AttendeeAdded"]
    );
    assert!(after.iter().all(|e| e.event.meeting_id == m2.meeting_id));
    assert!(after[1].position <= p2);
    assert_eq!(EventPosition::parse_token(&p2.to_token()), Some(p2));
}
