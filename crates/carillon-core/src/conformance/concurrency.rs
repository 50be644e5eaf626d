//! Concurrent requests never break an invariant.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;

use crate::domain::{AttendeeFeatures, AttendeeRecord, MeetingFeatures};
use crate::ids::new_id;
use crate::store::{AttendeeLookup, AttendeeOutcome, CreateMeetingOutcome, Store, TagOutcome};

use super::builders::*;

/// 300 concurrent CreateAttendee calls on one meeting: exactly 250 are created.
pub async fn concurrent_attendee_cap(store: &dyn Store) {
    let scope = new_scope();
    let m = meeting_record(&scope);
    created(store, new_meeting(m.clone()), vec![]).await;
    let calls = (0..300).map(|i| {
        let one = vec![attendee(&m, &format!("u{i}")).into()];
        let (scope, id) = (&scope, m.meeting_id.as_str());
        async move { ok(store.create_attendees(scope, id, one).await).expect("active") }
    });
    let outcomes: Vec<AttendeeOutcome> = join_all(calls.collect())
        .await
        .into_iter()
        .flatten()
        .collect();
    let created_count = outcomes
        .iter()
        .filter(|o| matches!(o, AttendeeOutcome::Created(_)))
        .count();
    let refused = outcomes
        .iter()
        .filter(|o| matches!(o, AttendeeOutcome::LimitExceeded { .. }))
        .count();
    assert_eq!((created_count, refused), (250, 50));
    let listed = list_all(store, &m, 100).await;
    assert_eq!(listed.len(), 250);
    let distinct: HashSet<&str> = listed.iter().map(|a| a.attendee_id.as_str()).collect();
    assert_eq!(distinct.len(), 250);
}

/// 50 concurrent CreateAttendee calls with one ExternalUserId: one attendee.
pub async fn concurrent_external_user_id(store: &dyn Store) {
    let scope = new_scope();
    let m = meeting_record(&scope);
    created(store, new_meeting(m.clone()), vec![]).await;
    let calls = (0..50).map(|_| {
        let one = vec![attendee(&m, "same-user").into()];
        let (scope, id) = (&scope, m.meeting_id.as_str());
        async move { ok(store.create_attendees(scope, id, one).await).expect("active") }
    });
    let outcomes: Vec<AttendeeOutcome> = join_all(calls.collect())
        .await
        .into_iter()
        .flatten()
        .collect();
    let created: Vec<&AttendeeRecord> = outcomes
        .iter()
        .filter_map(|o| match o {
            AttendeeOutcome::Created(a) => Some(a),
            _ => None,
        })
        .collect();
    assert_eq!(created.len(), 1, "exactly one attendee is created");
    for o in &outcomes {
        match o {
            AttendeeOutcome::Created(a) | AttendeeOutcome::Existing(a) => assert_eq!(a, created[0]),
            AttendeeOutcome::LimitExceeded { .. } => panic!("no cap was reached"),
        }
    }
    assert_eq!(list_all(store, &m, 100).await, [created[0].clone()]);
}

/// 50 concurrent CreateMeeting calls with one ClientRequestToken: one meeting.
pub async fn concurrent_client_request_token(store: &dyn Store) {
    let scope = new_scope();
    let token = new_id();
    let calls = (0..50).map(|i| {
        let mut r = meeting_record(&scope);
        r.client_request_token.clone_from(&token);
        let a = attendee(&r, &format!("u{i}"));
        async move { ok(store.create_meeting(new_meeting(r), vec![a.into()]).await) }
    });
    let mut winner = None;
    let mut replays = Vec::new();
    for outcome in join_all(calls.collect()).await {
        match outcome {
            CreateMeetingOutcome::Created { meeting, attendees } => {
                assert!(winner.is_none(), "a second meeting was created");
                assert_eq!(attendees.len(), 1);
                winner = Some(meeting);
            }
            CreateMeetingOutcome::Replayed { meeting } => replays.push(meeting),
            other => panic!("unexpected {other:?}"),
        }
    }
    let winner = winner.expect("one meeting is created");
    assert_eq!(replays.len(), 49);
    assert!(replays.iter().all(|r| r == &winner));
    assert_eq!(list_all(store, &winner, 100).await.len(), 1);
}

/// Concurrent replicas of one primary: never more than `max_replicas` active.
pub async fn concurrent_replicas(store: &dyn Store) {
    let scope = new_scope();
    let primary = meeting_record(&scope);
    created(store, new_meeting(primary.clone()), vec![]).await;
    let calls = (0..12).map(|_| {
        let mut r = meeting_record(&scope);
        r.primary_meeting_id = Some(primary.meeting_id.clone());
        async move { ok(store.create_meeting(new_meeting(r), vec![]).await) }
    });
    let (mut made, mut refused) = (Vec::new(), 0);
    for outcome in join_all(calls.collect()).await {
        match outcome {
            CreateMeetingOutcome::Created { meeting, .. } => made.push(meeting),
            CreateMeetingOutcome::TooManyReplicas => refused += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((made.len(), refused), (4, 8));
    assert_eq!(
        ok(store
            .end_meeting(&scope, &primary.meeting_id, ENDED_AT_MS)
            .await),
        Some(())
    );
    for replica in made {
        assert_eq!(get(store, &scope, &replica.meeting_id).await, None);
    }
}

/// Deletes and creates racing at the cap: every slot freed is taken at most once.
pub async fn concurrent_delete_and_create_at_cap(store: &dyn Store) {
    let scope = new_scope();
    let mut m = meeting_record(&scope);
    m.features = Some(MeetingFeatures {
        attendee: Some(AttendeeFeatures {
            max_count: Some(20),
        }),
        ..MeetingFeatures::default()
    });
    let full: Vec<AttendeeRecord> = (0..20).map(|i| attendee(&m, &format!("u{i}"))).collect();
    created(store, new_meeting(m.clone()), full.clone()).await;
    let (scope, id) = (&scope, m.meeting_id.as_str());
    let mut calls: Vec<Pin<Box<dyn Future<Output = usize> + Send + '_>>> = Vec::new();
    for i in 0..15 {
        if i % 3 == 0 {
            let gone = &full[i / 3];
            calls.push(Box::pin(async move {
                assert_eq!(
                    ok(store.delete_attendee(scope, id, &gone.attendee_id).await),
                    AttendeeLookup::Found(())
                );
                0
            }));
        }
        let one = vec![attendee(&m, &format!("new{i}")).into()];
        calls.push(Box::pin(async move {
            let out = ok(store.create_attendees(scope, id, one).await).expect("active");
            usize::from(matches!(out[0], AttendeeOutcome::Created(_)))
        }));
    }
    let created_count: usize = join_all(calls).await.into_iter().sum();
    assert!(
        created_count <= 5,
        "{created_count} created into 5 freed slots"
    );
    let listed = list_all(store, &m, 100).await;
    assert_eq!(listed.len(), 15 + created_count);
    assert!(listed.len() <= 20);
}

/// Concurrent TagResource calls each adding a new key: never more than `max_tags`.
pub async fn concurrent_tags(store: &dyn Store) {
    let scope = new_scope();
    let m = meeting_record(&scope);
    created(store, new_meeting(m.clone()), vec![]).await;
    let calls = (0..20).map(|i| {
        let (scope, id) = (&scope, m.meeting_id.as_str());
        async move {
            ok(store
                .tag_meeting(scope, id, vec![tag(&format!("k{i}"), "v")], 10)
                .await)
        }
    });
    let outcomes = join_all(calls.collect()).await;
    let tagged = outcomes
        .iter()
        .filter(|o| **o == Some(TagOutcome::Tagged))
        .count();
    let refused = outcomes
        .iter()
        .filter(|o| **o == Some(TagOutcome::TooManyTags))
        .count();
    assert_eq!((tagged, refused), (10, 10));
    let listed = ok(store.list_meeting_tags(&scope, &m.meeting_id).await).expect("active");
    assert_eq!(listed.len(), 10);
}

/// Concurrent TagAttendee calls on two attendees, each adding a new key: never more than
/// `max_tags` on either. Concurrent CreateAttendee calls with one ExternalUserId and different
/// tags: the one attendee created has its creator's tags, and only those.
pub async fn concurrent_attendee_tags(store: &dyn Store) {
    let scope = new_legacy_scope();
    let m = meeting_record(&scope);
    let (a, b) = (attendee(&m, "a"), attendee(&m, "b"));
    created(store, new_meeting(m.clone()), vec![a.clone(), b.clone()]).await;
    let (s, id) = (&scope, m.meeting_id.as_str());
    let calls = (0..40).map(|i| {
        let who = if i % 2 == 0 { &a } else { &b };
        async move {
            let outcome = ok(store
                .tag_attendee(
                    s,
                    id,
                    &who.attendee_id,
                    vec![tag(&format!("k{i}"), "v")],
                    10,
                )
                .await);
            (who.attendee_id.as_str(), outcome)
        }
    });
    let outcomes = join_all(calls.collect()).await;
    for who in [&a, &b] {
        let mine = || outcomes.iter().filter(|(w, _)| *w == who.attendee_id);
        let tagged = mine()
            .filter(|(_, o)| *o == AttendeeLookup::Found(TagOutcome::Tagged))
            .count();
        let refused = mine()
            .filter(|(_, o)| *o == AttendeeLookup::Found(TagOutcome::TooManyTags))
            .count();
        assert_eq!((tagged, refused), (10, 10));
        match ok(store.list_attendee_tags(s, id, &who.attendee_id).await) {
            AttendeeLookup::Found(tags) => assert_eq!(tags.len(), 10),
            other => panic!("the attendee exists, got {other:?}"),
        }
    }

    let candidates: Vec<AttendeeRecord> = (0..20).map(|_| attendee(&m, "same-user")).collect();
    let calls = candidates.iter().enumerate().map(|(i, candidate)| {
        let one = vec![with_tags(
            candidate.clone(),
            vec![tag("who", &i.to_string()), tag(&format!("k{i}"), "v")],
        )];
        async move { ok(store.create_attendees(s, id, one).await).expect("active") }
    });
    let outcomes: Vec<AttendeeOutcome> = join_all(calls.collect())
        .await
        .into_iter()
        .flatten()
        .collect();
    let winners: Vec<&AttendeeRecord> = outcomes
        .iter()
        .filter_map(|o| match o {
            AttendeeOutcome::Created(a) => Some(a),
            _ => None,
        })
        .collect();
    assert_eq!(winners.len(), 1, "exactly one attendee is created");
    let i = candidates
        .iter()
        .position(|c| c.attendee_id == winners[0].attendee_id)
        .expect("the attendee created is one of the candidates");
    assert_eq!(
        ok(store
            .list_attendee_tags(s, id, &winners[0].attendee_id)
            .await),
        AttendeeLookup::Found(vec![tag("who", &i.to_string()), tag(&format!("k{i}"), "v")])
    );
}
