//! The concurrent meeting quota (Service Quotas `L-9F286451`; legacy `L-A5C73716`): a scope never
//! holds more active meetings than [`crate::store::NewMeeting::max_active_meetings`].

use std::future::Future;
use std::pin::Pin;

use crate::domain::MeetingRecord;
use crate::store::{CreateMeetingOutcome, NewMeeting, Store};

use super::builders::*;

fn too_many(outcome: CreateMeetingOutcome) {
    assert!(
        matches!(outcome, CreateMeetingOutcome::TooManyMeetings),
        "expected TooManyMeetings, got {outcome:?}"
    );
}

async fn active_count(store: &dyn Store, scope: &crate::domain::Scope) -> usize {
    list_all_meetings(store, scope, 100).await.len()
}

/// The quota counts active meetings and replicas, a refused create takes nothing, ending a
/// meeting (or a primary with its replicas) frees its slots, and a replayed ClientRequestToken is
/// answered with its meeting even at the quota.
pub async fn meeting_quota(store: &dyn Store) {
    let scope = new_scope();
    let at_most_3 = |r: &MeetingRecord| new_meeting_with_quota(r.clone(), 3);

    let m1 = meeting_record(&scope);
    let m2 = meeting_record(&scope);
    created(store, at_most_3(&m1), vec![]).await;
    created(store, at_most_3(&m2), vec![]).await;
    // A replica is a meeting of the scope like any other.
    let mut r1 = meeting_record(&scope);
    r1.primary_meeting_id = Some(m1.meeting_id.clone());
    created(store, at_most_3(&r1), vec![]).await;
    assert_eq!(active_count(store, &scope).await, 3);

    // At the quota: neither a meeting nor a replica, and the attendees are not attempted.
    let m4 = meeting_record(&scope);
    too_many(ok(store
        .create_meeting(at_most_3(&m4), untagged(vec![attendee(&m4, "u1")]))
        .await));
    let mut r2 = meeting_record(&scope);
    r2.primary_meeting_id = Some(m2.meeting_id.clone());
    too_many(ok(store.create_meeting(at_most_3(&r2), vec![]).await));
    assert_eq!(get(store, &scope, &m4.meeting_id).await, None);
    assert_eq!(
        meeting_ids(&list_all_meetings(store, &scope, 100).await),
        [&m1.meeting_id, &m2.meeting_id, &r1.meeting_id]
    );

    // A token already used is answered with its meeting, whatever the rest of the request.
    let mut again = meeting_record(&scope);
    again
        .client_request_token
        .clone_from(&m2.client_request_token);
    assert_eq!(replayed(store, at_most_3(&again), vec![]).await, m2);

    // The quota is the caller's at each request: a raised one applies at once; none is unlimited.
    let m5 = meeting_record(&scope);
    created(store, new_meeting_with_quota(m5.clone(), 4), vec![]).await;
    let m6 = meeting_record(&scope);
    created(store, new_meeting(m6.clone()), vec![]).await;
    assert_eq!(active_count(store, &scope).await, 5);
    too_many(ok(store
        .create_meeting(new_meeting_with_quota(m4.clone(), 5), vec![])
        .await));
    for id in [&m5.meeting_id, &m6.meeting_id] {
        assert_eq!(
            ok(store.end_meeting(&scope, id, ENDED_AT_MS).await),
            Some(())
        );
    }

    // Ending a meeting frees its slot; the refused token was never used.
    assert_eq!(
        ok(store.end_meeting(&scope, &m2.meeting_id, ENDED_AT_MS).await),
        Some(())
    );
    let (m4_made, attendees) = created(store, at_most_3(&m4), vec![attendee(&m4, "u1")]).await;
    assert_eq!(m4_made, m4);
    created_attendee(&attendees[0]);
    too_many(ok(store
        .create_meeting(at_most_3(&meeting_record(&scope)), vec![])
        .await));

    // An ended meeting's token is still answered at the quota.
    let mut m2_ended = m2.clone();
    m2_ended.ended_at_ms = Some(ENDED_AT_MS);
    m2_ended.end_reason = Some(crate::lifecycle::EndReason::Deleted);
    assert_eq!(replayed(store, at_most_3(&again), vec![]).await, m2_ended);

    // Ending a primary ends its replicas: both slots are free.
    assert_eq!(
        ok(store.end_meeting(&scope, &m1.meeting_id, ENDED_AT_MS).await),
        Some(())
    );
    assert_eq!(active_count(store, &scope).await, 1);
    for _ in 0..2 {
        created(store, at_most_3(&meeting_record(&scope)), vec![]).await;
    }
    too_many(ok(store
        .create_meeting(at_most_3(&meeting_record(&scope)), vec![])
        .await));
}

/// Each scope has its own count: another account, or the other namespace of the same account,
/// is not held back by a scope at its quota.
pub async fn meeting_quota_scopes(store: &dyn Store) {
    let scope = new_scope();
    let other_account = new_scope();
    let legacy = crate::domain::Scope {
        namespace: crate::domain::Namespace::Legacy,
        ..scope.clone()
    };
    for s in [&scope, &other_account, &legacy] {
        for _ in 0..2 {
            created(store, new_meeting_with_quota(meeting_record(s), 2), vec![]).await;
        }
    }
    for s in [&scope, &other_account, &legacy] {
        too_many(ok(store
            .create_meeting(new_meeting_with_quota(meeting_record(s), 2), vec![])
            .await));
        assert_eq!(active_count(store, s).await, 2);
    }
    // Ending one scope's meeting frees a slot in that scope only.
    let first = list_all_meetings(store, &legacy, 100).await.remove(0);
    assert_eq!(
        ok(store
            .end_meeting(&legacy, &first.meeting_id, ENDED_AT_MS)
            .await),
        Some(())
    );
    created(
        store,
        new_meeting_with_quota(meeting_record(&legacy), 2),
        vec![],
    )
    .await;
    too_many(ok(store
        .create_meeting(new_meeting_with_quota(meeting_record(&scope), 2), vec![])
        .await));
}

/// Concurrent creates never take a scope past its quota, concurrent ends free exactly their
/// slots, and concurrent replays of one token at the quota all get the one meeting.
pub async fn concurrent_meeting_quota(store: &dyn Store) {
    const QUOTA: u32 = 10;
    let scope = new_scope();
    let at_quota = |r: MeetingRecord| new_meeting_with_quota(r, QUOTA);

    // 30 creates at once: exactly 10 meetings.
    let calls = (0..30).map(|_| {
        let new = at_quota(meeting_record(&scope));
        async move { ok(store.create_meeting(new, vec![]).await) }
    });
    let mut made = Vec::new();
    for outcome in join_all(calls.collect()).await {
        match outcome {
            CreateMeetingOutcome::Created { meeting, .. } => made.push(meeting),
            other => too_many(other),
        }
    }
    assert_eq!(made.len(), QUOTA as usize);
    assert_eq!(active_count(store, &scope).await, QUOTA as usize);

    // 20 replays of a created meeting's token at once, at the quota: all answered with it.
    let calls = (0..20).map(|_| {
        let mut r = meeting_record(&scope);
        r.client_request_token
            .clone_from(&made[0].client_request_token);
        let new = at_quota(r);
        async move { ok(store.create_meeting(new, vec![]).await) }
    });
    for outcome in join_all(calls.collect()).await {
        match outcome {
            CreateMeetingOutcome::Replayed { meeting } => assert_eq!(meeting, made[0]),
            other => panic!("expected Replayed, got {other:?}"),
        }
    }

    // 5 ends and 20 creates at once: at most the 5 freed slots are taken, never more. Each call
    // yields how many meetings it created.
    type Call<'a> = Pin<Box<dyn Future<Output = usize> + Send + 'a>>;
    let ends = made[..5].iter().map(|m| {
        let (scope, id) = (&scope, m.meeting_id.as_str());
        Box::pin(async move {
            assert_eq!(
                ok(store.end_meeting(scope, id, ENDED_AT_MS).await),
                Some(())
            );
            0_usize
        }) as Call<'_>
    });
    let creates = (0..20).map(|_| {
        let new: NewMeeting = at_quota(meeting_record(&scope));
        Box::pin(async move {
            match ok(store.create_meeting(new, vec![]).await) {
                CreateMeetingOutcome::Created { .. } => 1_usize,
                other => {
                    too_many(other);
                    0
                }
            }
        }) as Call<'_>
    });
    let created_now: usize = join_all(ends.chain(creates).collect())
        .await
        .into_iter()
        .sum();
    assert!(
        created_now <= 5,
        "{created_now} meetings took 5 freed slots"
    );
    assert_eq!(active_count(store, &scope).await, 5 + created_now);

    // Whatever is left free can be filled, and no more.
    for _ in created_now..5 {
        created(store, at_quota(meeting_record(&scope)), vec![]).await;
    }
    too_many(ok(store
        .create_meeting(at_quota(meeting_record(&scope)), vec![])
        .await));
}
