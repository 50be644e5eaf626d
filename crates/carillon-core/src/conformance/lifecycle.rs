//! The automatic end of meetings: presence marks, expiry under each account's rules, and the end
//! reasons. Every instant is explicit (no sleeping). A shared store holds other cases' meetings,
//! so the policies here switch the rules off for every account but the case's own, except where
//! the default itself is checked; then only the case's own meetings are looked at.

use std::collections::HashSet;

use super::builders::*;
use super::live::announced;
use crate::domain::{AttendeeRecord, MeetingRecord, Scope};
use crate::lifecycle::{
    EndReason, EndedMeeting, Lifecycle, LifecyclePolicy, PresenceMark, MAX_EXPIRED_PER_CALL,
};
use crate::live::LiveChange;
use crate::store::{JoinLookup, Store};

const MIN: i64 = 60 * 1000;
const DAY: i64 = 24 * 60 * MIN;
const T0: i64 = CREATED_AT_MS;

/// `lifecycle` for `scope`'s account, every other account's meetings left alone.
fn only(scope: &Scope, lifecycle: Lifecycle) -> LifecyclePolicy {
    LifecyclePolicy::uniform(Lifecycle::off()).with_account(scope.account_id.clone(), lifecycle)
}

async fn sweep(store: &dyn Store, now_ms: i64, policy: &LifecyclePolicy) -> Vec<EndedMeeting> {
    ok(store.end_expired(now_ms, policy).await)
}

async fn mark(store: &dyn Store, marks: Vec<PresenceMark>) {
    ok(store.mark_presence(&marks).await);
}

fn connected(meeting: &MeetingRecord, lease_until_ms: i64) -> PresenceMark {
    PresenceMark::Connected {
        meeting_id: meeting.meeting_id.clone(),
        lease_until_ms,
    }
}

fn idle(meeting: &MeetingRecord, since_ms: i64) -> PresenceMark {
    PresenceMark::Idle {
        meeting_id: meeting.meeting_id.clone(),
        since_ms,
    }
}

fn ended(meeting: &MeetingRecord, reason: EndReason) -> EndedMeeting {
    EndedMeeting {
        meeting_id: meeting.meeting_id.clone(),
        scope: meeting.scope.clone(),
        reason,
    }
}

/// A new meeting of `scope` created at `created_at_ms`, with one attendee.
async fn meeting_at(
    store: &dyn Store,
    scope: &Scope,
    created_at_ms: i64,
    primary: Option<&MeetingRecord>,
) -> (MeetingRecord, AttendeeRecord) {
    let mut record = meeting_record(scope);
    record.created_at_ms = created_at_ms;
    record.primary_meeting_id = primary.map(|p| p.meeting_id.clone());
    let alice = attendee(&record, "alice");
    let (meeting, _) = created(store, new_meeting(record), vec![alice.clone()]).await;
    (meeting, alice)
}

/// The meeting answers as ended everywhere, for `reason`, and its end was announced.
async fn assert_ended(
    store: &dyn Store,
    changes: &mut tokio::sync::broadcast::Receiver<LiveChange>,
    meeting: &MeetingRecord,
    attendee: &AttendeeRecord,
    reason: EndReason,
) {
    let (scope, id) = (&meeting.scope, &meeting.meeting_id);
    assert_eq!(get(store, scope, id).await, None, "{id} still active");
    assert!(ok(store.list_attendees(scope, id, None, 10).await).is_none());
    assert!(ok(store.create_attendees(scope, id, vec![]).await).is_none());
    match ok(store.join_lookup(id, &attendee.attendee_id).await) {
        JoinLookup::MeetingEnded(m) => {
            assert_eq!(m.end_reason, Some(reason), "{id}");
            assert!(m.ended_at_ms.is_some());
        }
        other => panic!("{id}: expected MeetingEnded, got {other:?}"),
    }
    let change = LiveChange::MeetingEnded {
        meeting_id: id.clone(),
    };
    announced(changes, &change).await;
}

async fn assert_active(store: &dyn Store, meeting: &MeetingRecord) {
    let found = get(store, &meeting.scope, &meeting.meeting_id).await;
    let found = found.unwrap_or_else(|| panic!("{} ended", meeting.meeting_id));
    assert_eq!(found.end_reason, None);
}

/// A meeting nobody joins ends once the idle timeout has passed since its creation, not a
/// millisecond before; its end is recorded, announced, and visible everywhere.
pub async fn lifecycle_idle_from_creation(store: &dyn Store) {
    let mut changes = store.changes();
    let scope = new_scope();
    let policy = only(&scope, Lifecycle::aws());
    let (m, alice) = meeting_at(store, &scope, T0, None).await;
    assert_eq!(sweep(store, T0 + 5 * MIN - 1, &policy).await, []);
    assert_active(store, &m).await;
    assert_eq!(
        sweep(store, T0 + 5 * MIN, &policy).await,
        [ended(&m, EndReason::Idle)]
    );
    assert_ended(store, &mut changes, &m, &alice, EndReason::Idle).await;
    assert_eq!(sweep(store, T0 + 60 * MIN, &policy).await, [], "ends once");
}

/// A connected lease keeps a meeting alive past the idle timeout; a lease not renewed (its node
/// died) counts as idle from its end; an Idle mark restarts the idle clock from its instant.
pub async fn lifecycle_presence_leases(store: &dyn Store) {
    let mut changes = store.changes();
    let scope = new_scope();
    let policy = only(&scope, Lifecycle::aws());
    let (lapsed, a1) = meeting_at(store, &scope, T0, None).await;
    let (left, a2) = meeting_at(store, &scope, T0, None).await;
    mark(
        store,
        vec![
            connected(&lapsed, T0 + 20 * MIN),
            connected(&left, T0 + MIN),
        ],
    )
    .await;
    mark(
        store,
        vec![connected(&left, T0 + 21 * MIN), idle(&left, T0 + 10 * MIN)],
    )
    .await;
    assert_eq!(sweep(store, T0 + 15 * MIN - 1, &policy).await, []);
    assert_eq!(
        sweep(store, T0 + 15 * MIN, &policy).await,
        [ended(&left, EndReason::Idle)]
    );
    assert_ended(store, &mut changes, &left, &a2, EndReason::Idle).await;
    assert_eq!(sweep(store, T0 + 25 * MIN - 1, &policy).await, []);
    assert_active(store, &lapsed).await;
    assert_eq!(
        sweep(store, T0 + 25 * MIN, &policy).await,
        [ended(&lapsed, EndReason::Idle)]
    );
    assert_ended(store, &mut changes, &lapsed, &a1, EndReason::Idle).await;
}

/// The maximum duration ends a meeting even while attendees are connected.
pub async fn lifecycle_max_duration(store: &dyn Store) {
    let mut changes = store.changes();
    let scope = new_scope();
    let policy = only(&scope, Lifecycle::aws());
    let (m, alice) = meeting_at(store, &scope, T0, None).await;
    mark(store, vec![connected(&m, T0 + 2 * DAY)]).await;
    assert_eq!(sweep(store, T0 + DAY - 1, &policy).await, []);
    assert_eq!(
        sweep(store, T0 + DAY, &policy).await,
        [ended(&m, EndReason::MaxDuration)]
    );
    assert_ended(store, &mut changes, &m, &alice, EndReason::MaxDuration).await;
}

/// Replicas never expire on their own, idle or old; they end with their primary.
pub async fn lifecycle_replicas(store: &dyn Store) {
    let mut changes = store.changes();
    let scope = new_scope();
    let policy = only(&scope, Lifecycle::aws());
    let (primary, a1) = meeting_at(store, &scope, T0 + 10 * MIN, None).await;
    let (replica, a2) = meeting_at(store, &scope, T0, Some(&primary)).await;
    mark(
        store,
        vec![connected(&primary, T0 + 3 * DAY), idle(&replica, T0)],
    )
    .await;
    assert_eq!(sweep(store, T0 + DAY, &policy).await, []);
    assert_active(store, &replica).await;
    let got = sweep(store, T0 + 10 * MIN + DAY, &policy).await;
    assert_eq!(
        got,
        [
            ended(&primary, EndReason::MaxDuration),
            ended(&replica, EndReason::PrimaryEnded),
        ]
    );
    assert_ended(store, &mut changes, &primary, &a1, EndReason::MaxDuration).await;
    assert_ended(store, &mut changes, &replica, &a2, EndReason::PrimaryEnded).await;
}

/// Each account's rules apply to its meetings in both namespaces, either rule may be off, and
/// accounts without rules of their own follow the default.
pub async fn lifecycle_per_account(store: &dyn Store) {
    // Far from every other case's meetings, which the default may end (only ours are checked).
    let t = T0 + 1000 * DAY;
    let (quick, never, no_idle, default) = (new_scope(), new_scope(), new_scope(), new_scope());
    let quick_legacy = Scope {
        namespace: crate::domain::Namespace::Legacy,
        ..quick.clone()
    };
    let policy = LifecyclePolicy::uniform(Lifecycle::aws())
        .with_account(
            quick.account_id.clone(),
            Lifecycle {
                idle_timeout_ms: Some(MIN),
                max_duration_ms: None,
            },
        )
        .with_account(never.account_id.clone(), Lifecycle::off())
        .with_account(
            no_idle.account_id.clone(),
            Lifecycle {
                idle_timeout_ms: None,
                max_duration_ms: Some(DAY),
            },
        );
    let mut meetings = Vec::new();
    for scope in [&quick, &quick_legacy, &never, &no_idle, &default] {
        meetings.push(meeting_at(store, scope, t, None).await.0);
    }
    let [q, ql, n, ni, d] = &meetings[..] else {
        unreachable!()
    };
    let ours: HashSet<&str> = meetings.iter().map(|m| m.meeting_id.as_str()).collect();
    let mine = |got: Vec<EndedMeeting>| -> Vec<EndedMeeting> {
        got.into_iter()
            .filter(|e| ours.contains(e.meeting_id.as_str()))
            .collect()
    };
    let got = mine(sweep_all(store, t + MIN, &policy).await);
    assert_eq!(
        sorted(got),
        sorted(vec![ended(q, EndReason::Idle), ended(ql, EndReason::Idle)])
    );
    let got = mine(sweep_all(store, t + 5 * MIN, &policy).await);
    assert_eq!(got, [ended(d, EndReason::Idle)]);
    let got = mine(sweep_all(store, t + 100 * DAY, &policy).await);
    assert_eq!(got, [ended(ni, EndReason::MaxDuration)]);
    assert_active(store, n).await;
}

fn sorted(mut ended: Vec<EndedMeeting>) -> Vec<EndedMeeting> {
    ended.sort_by(|a, b| a.meeting_id.cmp(&b.meeting_id));
    ended
}

/// Calls `end_expired` until a call comes back with fewer than a full batch.
async fn sweep_all(store: &dyn Store, now_ms: i64, policy: &LifecyclePolicy) -> Vec<EndedMeeting> {
    let mut all = Vec::new();
    loop {
        let got = sweep(store, now_ms, policy).await;
        let full = got.len() >= MAX_EXPIRED_PER_CALL;
        all.extend(got);
        if !full {
            return all;
        }
    }
}

/// DeleteMeeting records its reason, and its replicas theirs.
pub async fn lifecycle_delete_reason(store: &dyn Store) {
    let mut changes = store.changes();
    let scope = new_scope();
    let (primary, a1) = meeting_at(store, &scope, T0, None).await;
    let (replica, a2) = meeting_at(store, &scope, T0, Some(&primary)).await;
    let deleted = store.end_meeting(&scope, &primary.meeting_id, T0 + MIN);
    assert_eq!(ok(deleted.await), Some(()));
    assert_ended(store, &mut changes, &primary, &a1, EndReason::Deleted).await;
    assert_ended(store, &mut changes, &replica, &a2, EndReason::PrimaryEnded).await;
    let policy = only(&scope, Lifecycle::aws());
    assert_eq!(sweep(store, T0 + 2 * DAY, &policy).await, []);
}

/// Marks for unknown and ended meetings change nothing and fail nothing; an empty batch is fine.
pub async fn lifecycle_stray_marks(store: &dyn Store) {
    let scope = new_scope();
    let (gone, alice) = meeting_at(store, &scope, T0, None).await;
    ok(store.end_meeting(&scope, &gone.meeting_id, T0 + 1).await);
    let mut unknown = meeting_record(&scope);
    unknown.meeting_id = crate::ids::new_id();
    mark(store, vec![]).await;
    mark(
        store,
        vec![
            connected(&unknown, T0 + DAY),
            idle(&gone, T0),
            connected(&gone, T0 + DAY),
        ],
    )
    .await;
    match ok(store
        .join_lookup(&gone.meeting_id, &alice.attendee_id)
        .await)
    {
        JoinLookup::MeetingEnded(m) => {
            assert_eq!(m.end_reason, Some(EndReason::Deleted));
            assert_eq!(m.ended_at_ms, Some(T0 + 1));
        }
        other => panic!("expected MeetingEnded, got {other:?}"),
    }
    let got = ok(store
        .join_lookup(&unknown.meeting_id, &alice.attendee_id)
        .await);
    assert_eq!(got, JoinLookup::MeetingNotFound);
}

/// One call selects at most [`MAX_EXPIRED_PER_CALL`] meetings; the next takes the rest.
pub async fn lifecycle_batch_bound(store: &dyn Store) {
    let scope = new_scope();
    let policy = only(&scope, Lifecycle::aws());
    let mut ids = HashSet::new();
    for _ in 0..(MAX_EXPIRED_PER_CALL + 1).div_ceil(50) {
        let creations = (0..50)
            .map(|_| meeting_at(store, &scope, T0, None))
            .collect();
        for (m, _) in join_all(creations).await {
            ids.insert(m.meeting_id);
        }
    }
    let first = sweep(store, T0 + 5 * MIN, &policy).await;
    assert_eq!(first.len(), MAX_EXPIRED_PER_CALL);
    let rest = sweep_all(store, T0 + 5 * MIN, &policy).await;
    assert_eq!(first.len() + rest.len(), ids.len());
    let got: HashSet<String> = first
        .into_iter()
        .chain(rest)
        .map(|e| e.meeting_id)
        .collect();
    assert_eq!(got, ids);
}

/// Several sweeps at once (on several nodes, with a shared database) end each meeting once in
/// all, replicas included.
pub async fn lifecycle_concurrent_sweeps(store: &dyn Store) {
    let scope = new_scope();
    let policy = only(&scope, Lifecycle::aws());
    let mut ids = HashSet::new();
    for _ in 0..20 {
        let (primary, _) = meeting_at(store, &scope, T0, None).await;
        let (replica, _) = meeting_at(store, &scope, T0, Some(&primary)).await;
        ids.extend([primary.meeting_id, replica.meeting_id]);
    }
    let sweeps = (0..4)
        .map(|_| sweep(store, T0 + 5 * MIN, &policy))
        .collect();
    let mut seen = HashSet::new();
    for got in join_all(sweeps).await {
        for e in got {
            assert!(
                seen.insert(e.meeting_id.clone()),
                "{} ended twice",
                e.meeting_id
            );
        }
    }
    assert_eq!(seen, ids);
}
