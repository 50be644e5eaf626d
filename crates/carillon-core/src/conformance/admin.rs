//! The operator's view across scopes, the reset and the import ([`crate::store::admin`]).
//! Cases may share a store with others (`run_all`), so listings are filtered by the cases' own
//! accounts; the reset and import ([`super::import`]) cases empty the store, which no other case depends on.

use crate::domain::{Namespace, Scope};
use crate::events::outbox::EventPosition;
use crate::lifecycle::EndReason;
use crate::live::LiveChange;
use crate::store::admin::{MeetingFilter, MeetingState, StoredAttendee, StoredMeeting};
use crate::store::{CreateMeetingOutcome, Store};

use super::builders::*;

pub(crate) fn in_account(account: &str, state: MeetingState) -> MeetingFilter {
    MeetingFilter {
        account_id: Some(account.to_owned()),
        state,
        ..MeetingFilter::default()
    }
}

/// Every meeting `filter` takes, paging by `limit`.
pub(crate) async fn all_meetings(
    store: &dyn Store,
    filter: &MeetingFilter,
    limit: usize,
) -> Vec<StoredMeeting> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = ok(store.admin_meetings(filter, after, limit).await);
        assert!(page.items.len() <= limit);
        all.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => return all,
        }
    }
}

/// Every attendee of the meeting, paging by `limit`; `None` for an unknown meeting.
pub(crate) async fn all_attendees(
    store: &dyn Store,
    meeting_id: &str,
    limit: usize,
) -> Option<Vec<StoredAttendee>> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = ok(store.admin_attendees(meeting_id, after, limit).await)?;
        assert!(page.items.len() <= limit);
        all.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => return Some(all),
        }
    }
}

fn ids(meetings: &[StoredMeeting]) -> Vec<&str> {
    meetings
        .iter()
        .map(|m| m.record.meeting_id.as_str())
        .collect()
}

/// How many events the log holds for the meeting, read from the whole log.
async fn logged_for(store: &dyn Store, meeting_id: &str) -> u64 {
    let mut n = 0;
    let mut after = EventPosition::START;
    loop {
        let page = ok(store.events_after(after, 1000).await);
        let Some(last) = page.last() else {
            return n;
        };
        after = last.position;
        n += page
            .iter()
            .filter(|e| e.event.meeting_id == meeting_id)
            .count() as u64;
    }
}

/// Meetings of both namespaces and two accounts, filtered, paged, one by one, with their
/// attendees, tags, counts and end.
pub async fn admin_listing(store: &dyn Store) {
    let a = new_scope();
    let a_legacy = Scope {
        namespace: Namespace::Legacy,
        ..a.clone()
    };
    let b = new_scope();
    let mut m1 = meeting_record(&a);
    m1.external_meeting_id = Some("ext-1".into());
    let mut new1 = new_meeting(m1.clone());
    new1.tags = vec![tag("team", "blue"), tag("env", "test")];
    let (m1, _) = created(store, new1, vec![attendee(&m1, "u1"), attendee(&m1, "u2")]).await;
    let (m2, out2) = created_tagged(
        store,
        new_meeting(meeting_record(&a_legacy)),
        vec![with_tags(attendee(&m1, "l1"), vec![tag("k", "v")])],
    )
    .await;
    let (m3, _) = created(store, new_meeting(meeting_record(&b)), vec![]).await;
    let third = attendee(&m1, "u3");
    add(store, &m1, vec![third.clone()]).await;
    ok(store
        .delete_attendee(&a, &m1.meeting_id, &third.attendee_id)
        .await);
    ok(store.end_meeting(&b, &m3.meeting_id, ENDED_AT_MS).await).expect("ended");

    // By account, both namespaces, in creation order; by namespace; by ExternalMeetingId.
    let listed = all_meetings(store, &in_account(&a.account_id, MeetingState::All), 1).await;
    assert_eq!(ids(&listed), [m1.meeting_id.as_str(), &m2.meeting_id]);
    assert_eq!(listed[0].record, m1);
    assert_eq!(listed[0].attendee_count, 2);
    assert_eq!(
        listed[0].tags,
        vec![tag("team", "blue"), tag("env", "test")]
    );
    assert_eq!(listed[1].attendee_count, 1);
    let legacy = MeetingFilter {
        namespace: Some(Namespace::Legacy),
        ..in_account(&a.account_id, MeetingState::Active)
    };
    assert_eq!(
        ids(&all_meetings(store, &legacy, 10).await),
        [m2.meeting_id.as_str()]
    );
    let by_external = MeetingFilter {
        external_meeting_id: Some("ext-1".into()),
        ..in_account(&a.account_id, MeetingState::All)
    };
    assert_eq!(
        ids(&all_meetings(store, &by_external, 10).await),
        [m1.meeting_id.as_str()]
    );

    // Ended meetings are kept, with when and why they ended, and listed only when asked for.
    let b_active = all_meetings(store, &in_account(&b.account_id, MeetingState::Active), 10).await;
    assert!(b_active.is_empty());
    let b_ended = all_meetings(store, &in_account(&b.account_id, MeetingState::Ended), 10).await;
    assert_eq!(ids(&b_ended), [m3.meeting_id.as_str()]);
    assert_eq!(b_ended[0].record.ended_at_ms, Some(ENDED_AT_MS));
    assert_eq!(b_ended[0].record.end_reason, Some(EndReason::Deleted));
    assert_eq!(b_ended[0].attendee_count, 0);

    // One meeting, whatever its scope or state, with its events counted from the log.
    let (one, events) = ok(store.admin_meeting(&m1.meeting_id.to_uppercase()).await).expect("m1");
    assert_eq!(one, listed[0]);
    assert!(events > 0, "creating it logged events");
    assert_eq!(events, logged_for(store, &m1.meeting_id).await);
    let (ended, _) = ok(store.admin_meeting(&m3.meeting_id).await).expect("m3");
    assert_eq!(ended.record.end_reason, Some(EndReason::Deleted));
    assert!(ok(store.admin_meeting(&crate::ids::new_id()).await).is_none());

    // Attendees in creation order, the deleted one gone, a legacy attendee with its tags.
    let attendees = all_attendees(store, &m1.meeting_id, 1).await.expect("m1");
    let users: Vec<&str> = attendees
        .iter()
        .map(|a| a.record.external_user_id.as_str())
        .collect();
    assert_eq!(users, ["u1", "u2"]);
    assert_eq!(
        attendees[0].record,
        get_attendee(store, &m1, &attendees[0].record.attendee_id)
            .await
            .expect("u1")
    );
    let legacy_attendees = all_attendees(store, &m2.meeting_id, 10).await.expect("m2");
    assert_eq!(&legacy_attendees[0].record, created_attendee(&out2[0]));
    assert_eq!(legacy_attendees[0].tags, vec![tag("k", "v")]);
    assert_eq!(all_attendees(store, &m3.meeting_id, 10).await, Some(vec![]));
    assert_eq!(all_attendees(store, &crate::ids::new_id(), 10).await, None);
}

/// A reset empties everything, announces a resync, and frees the ClientRequestTokens.
pub async fn admin_reset(store: &dyn Store) {
    let scope = new_scope();
    let m = meeting_record(&scope);
    let (m, _) = created(store, new_meeting(m.clone()), vec![attendee(&m, "u1")]).await;
    assert!(!ok(store.is_empty().await));
    let mut changes = store.changes();
    ok(store.reset().await);
    assert!(ok(store.is_empty().await));
    assert!(get(store, &scope, &m.meeting_id).await.is_none());
    assert!(ok(store.admin_meeting(&m.meeting_id).await).is_none());
    assert!(all_meetings(store, &MeetingFilter::everything(), 10)
        .await
        .is_empty());
    assert!(ok(store.events_after(EventPosition::START, 10).await).is_empty());
    assert!(ok(store.dead_letters(None, 10).await).is_empty());
    let announced = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            match changes.recv().await {
                Ok(LiveChange::Resync) => return,
                Ok(_) => continue,
                Err(e) => panic!("changes: {e}"),
            }
        }
    })
    .await;
    assert!(announced.is_ok(), "a reset announces a resync");
    let again = new_meeting(m.clone());
    assert!(matches!(
        ok(store.create_meeting(again, vec![]).await),
        CreateMeetingOutcome::Created { .. }
    ));
}
