//! Admission by JoinToken and the announcements live sessions depend on.

use std::time::Duration;

use tokio::sync::broadcast;

use super::builders::*;
use crate::live::LiveChange;
use crate::store::{CreateMeetingOutcome, JoinLookup, Store};

/// How long an announcement may take to arrive (between nodes it crosses the database).
const ANNOUNCED_WITHIN: Duration = Duration::from_secs(10);

/// Waits for `expected`, skipping announcements of other cases' changes and resyncs.
pub(super) async fn announced(
    changes: &mut broadcast::Receiver<LiveChange>,
    expected: &LiveChange,
) {
    let wait = async {
        loop {
            match changes.recv().await {
                Ok(change) if &change == expected => return,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => panic!("the change feed closed"),
            }
        }
    };
    tokio::time::timeout(ANNOUNCED_WITHIN, wait)
        .await
        .unwrap_or_else(|_| panic!("{expected:?} was not announced"));
}

/// `join_lookup` finds a meeting and its attendee whatever the scope, tells an ended meeting from
/// an unknown one and a missing attendee from a present one; deleting an attendee and ending a
/// meeting (its replicas with it) are announced.
pub async fn join_lookup_and_changes(store: &dyn Store) {
    let mut changes = store.changes();
    for scope in [new_scope(), new_legacy_scope()] {
        let meeting = meeting_record(&scope);
        let alice = attendee(&meeting, "alice");
        let bob = attendee(&meeting, "bob");
        let created = store
            .create_meeting(
                new_meeting(meeting.clone()),
                vec![alice.clone().into(), bob.clone().into()],
            )
            .await
            .expect("create");
        assert!(matches!(created, CreateMeetingOutcome::Created { .. }));
        let mut replica = meeting_record(&scope);
        replica.primary_meeting_id = Some(meeting.meeting_id.clone());
        let carol = attendee(&replica, "carol");
        store
            .create_meeting(new_meeting(replica.clone()), vec![carol.clone().into()])
            .await
            .expect("create replica");

        match store
            .join_lookup(&meeting.meeting_id, &alice.attendee_id)
            .await
            .expect("lookup")
        {
            JoinLookup::Found(found, attendee) => {
                assert_eq!(found.scope, scope);
                assert_eq!(found.meeting_id, meeting.meeting_id);
                assert_eq!(attendee, alice);
            }
            other => panic!("alice not found: {other:?}"),
        }
        let unknown = store
            .join_lookup(&crate::ids::new_id(), &alice.attendee_id)
            .await
            .expect("lookup");
        assert_eq!(unknown, JoinLookup::MeetingNotFound);
        // An attendee of another meeting is not this meeting's.
        let elsewhere = store
            .join_lookup(&meeting.meeting_id, &carol.attendee_id)
            .await
            .expect("lookup");
        assert!(matches!(elsewhere, JoinLookup::AttendeeNotFound(_)));

        // A capability change is announced, for one attendee or for the meeting's batch.
        let receive_only = crate::AttendeeCapabilities {
            audio: crate::MediaCapability::Receive,
            video: crate::MediaCapability::None,
            content: crate::MediaCapability::None,
        };
        let updated = store
            .update_attendee_capabilities(
                &scope,
                &meeting.meeting_id,
                &alice.attendee_id,
                receive_only,
            )
            .await
            .expect("update");
        assert!(matches!(updated, crate::store::AttendeeLookup::Found(_)));
        let capabilities_changed = LiveChange::CapabilitiesChanged {
            meeting_id: meeting.meeting_id.clone(),
        };
        announced(&mut changes, &capabilities_changed).await;
        store
            .update_capabilities_except(&scope, &meeting.meeting_id, &[], receive_only)
            .await
            .expect("batch update")
            .expect("the meeting");
        announced(&mut changes, &capabilities_changed).await;

        store
            .delete_attendee(&scope, &meeting.meeting_id, &bob.attendee_id)
            .await
            .expect("delete");
        announced(
            &mut changes,
            &LiveChange::AttendeeDeleted {
                meeting_id: meeting.meeting_id.clone(),
                attendee_id: bob.attendee_id.clone(),
            },
        )
        .await;
        let deleted = store
            .join_lookup(&meeting.meeting_id, &bob.attendee_id)
            .await
            .expect("lookup");
        assert!(
            matches!(deleted, JoinLookup::AttendeeNotFound(m) if m.meeting_id == meeting.meeting_id)
        );

        assert_eq!(
            store
                .end_meeting(&scope, &meeting.meeting_id, CREATED_AT_MS + 10)
                .await
                .expect("end"),
            Some(())
        );
        for ended in [&meeting, &replica] {
            announced(
                &mut changes,
                &LiveChange::MeetingEnded {
                    meeting_id: ended.meeting_id.clone(),
                },
            )
            .await;
        }
        let ended = store
            .join_lookup(&replica.meeting_id, &carol.attendee_id)
            .await
            .expect("lookup");
        assert!(matches!(ended, JoinLookup::MeetingEnded(m) if m.ended_at_ms.is_some()));
    }
}
