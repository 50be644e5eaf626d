//! Meetings: lifecycle, ClientRequestToken replay, scope isolation, replicas.

use crate::domain::{MediaCapability, MeetingRecord, Namespace, Scope};
use crate::ids::new_id;
use crate::store::{AttendeeLookup, CreateMeetingOutcome, NewMeeting, Store};

use super::builders::*;

/// Create, read and end a meeting; every member survives the round trip.
pub async fn meeting_lifecycle(store: &dyn Store) {
    let scope = new_scope();
    let full = full_meeting(&scope);
    let (meeting, attendees) = created(store, new_meeting(full.clone()), vec![]).await;
    assert_eq!(meeting, full, "Created returns the meeting as stored");
    assert!(attendees.is_empty());
    assert_eq!(
        get(store, &scope, &full.meeting_id).await,
        Some(full.clone())
    );

    let minimal = meeting_record(&scope);
    created(store, new_meeting(minimal.clone()), vec![]).await;
    assert_eq!(
        get(store, &scope, &minimal.meeting_id).await,
        Some(minimal.clone())
    );

    assert_eq!(
        ok(store
            .end_meeting(&scope, &full.meeting_id, ENDED_AT_MS)
            .await),
        Some(())
    );
    assert_eq!(get(store, &scope, &full.meeting_id).await, None);
    assert_eq!(
        ok(store
            .end_meeting(&scope, &full.meeting_id, ENDED_AT_MS)
            .await),
        None,
        "a meeting ends once"
    );
    assert_eq!(
        get(store, &scope, &minimal.meeting_id).await,
        Some(minimal),
        "ending one meeting leaves the others"
    );
    assert_eq!(
        ok(store.end_meeting(&scope, &new_id(), ENDED_AT_MS).await),
        None
    );
    assert_eq!(get(store, &scope, &new_id()).await, None);
    ok(store.ping().await);
}

/// A second create with the same ClientRequestToken returns the original meeting, whatever its
/// other parameters, creates nothing, and keeps doing so after the meeting ended.
pub async fn token_replay(store: &dyn Store) {
    let scope = new_scope();
    let original = meeting_record(&scope);
    let mut new = new_meeting(original.clone());
    new.tags = vec![tag("k", "v")];
    created(store, new, vec![attendee(&original, "u1")]).await;

    let mut again = meeting_record(&scope);
    again
        .client_request_token
        .clone_from(&original.client_request_token);
    again.media_region = "eu-west-1".into();
    again.external_meeting_id = Some("different".into());
    let mut new_again = new_meeting(again.clone());
    new_again.tags = vec![tag("other", "tag")];
    let replay = replayed(store, new_again, vec![attendee(&again, "u2")]).await;
    assert_eq!(replay, original);
    assert_eq!(get(store, &scope, &again.meeting_id).await, None);
    let listed = list_all(store, &original, 100).await;
    assert_eq!(users(&listed), ["u1"], "a replay creates no attendees");
    assert_eq!(
        ok(store.list_meeting_tags(&scope, &original.meeting_id).await),
        Some(vec![tag("k", "v")]),
        "a replay stores no tags"
    );

    // The token is looked up before the replica rules.
    let mut as_replica = meeting_record(&scope);
    as_replica
        .client_request_token
        .clone_from(&original.client_request_token);
    as_replica.primary_meeting_id = Some(new_id());
    assert_eq!(
        replayed(store, new_meeting(as_replica), vec![]).await,
        original
    );

    assert_eq!(
        ok(store
            .end_meeting(&scope, &original.meeting_id, ENDED_AT_MS)
            .await),
        Some(())
    );
    let after_end = replayed(store, new_meeting(again), vec![]).await;
    let mut ended = original.clone();
    ended.ended_at_ms = Some(ENDED_AT_MS);
    ended.end_reason = Some(crate::lifecycle::EndReason::Deleted);
    assert_eq!(after_end, ended, "an ended meeting is still replayed");

    // Another token is another meeting.
    let other = meeting_record(&scope);
    created(store, new_meeting(other), vec![]).await;
}

/// Another account, or the other namespace of the same account, sees nothing of a meeting.
pub async fn scope_isolation(store: &dyn Store) {
    let scope = new_scope();
    let m = meeting_record(&scope);
    let mut new = new_meeting(m.clone());
    new.tags = vec![tag("k", "v")];
    let (_, outcomes) = created(store, new, vec![attendee(&m, "u1")]).await;
    let a = created_attendee(&outcomes[0]).clone();

    let other_account = new_scope();
    let other_namespace = Scope {
        account_id: scope.account_id.clone(),
        namespace: Namespace::Legacy,
    };
    let caps = uniform_capabilities(MediaCapability::Receive);
    for s in [&other_account, &other_namespace] {
        let id = m.meeting_id.as_str();
        assert_eq!(get(store, s, id).await, None);
        assert!(ok(store
            .create_attendees(s, id, vec![attendee(&m, "u2").into()])
            .await)
        .is_none());
        assert_eq!(
            ok(store.get_attendee(s, id, &a.attendee_id).await),
            AttendeeLookup::MeetingNotFound
        );
        assert!(ok(store.list_attendees(s, id, None, 100).await).is_none());
        assert_eq!(
            ok(store.delete_attendee(s, id, &a.attendee_id).await),
            AttendeeLookup::MeetingNotFound
        );
        assert_eq!(
            ok(store
                .update_attendee_capabilities(s, id, &a.attendee_id, caps)
                .await),
            AttendeeLookup::MeetingNotFound
        );
        assert_eq!(
            ok(store.update_capabilities_except(s, id, &[], caps).await),
            None
        );
        assert_eq!(
            ok(store
                .set_transcription(s, id, Some(transcription_config()))
                .await),
            None
        );
        assert_eq!(
            ok(store.tag_meeting(s, id, vec![tag("x", "y")], 50).await),
            None
        );
        assert_eq!(ok(store.untag_meeting(s, id, vec!["k".into()]).await), None);
        assert_eq!(ok(store.list_meeting_tags(s, id).await), None);
        let aid = a.attendee_id.as_str();
        assert_eq!(
            ok(store
                .tag_attendee(s, id, aid, vec![tag("x", "y")], 10)
                .await),
            AttendeeLookup::MeetingNotFound
        );
        assert_eq!(
            ok(store.untag_attendee(s, id, aid, vec!["k".into()]).await),
            AttendeeLookup::MeetingNotFound
        );
        assert_eq!(
            ok(store.list_attendee_tags(s, id, aid).await),
            AttendeeLookup::MeetingNotFound
        );
        assert!(list_all_meetings(store, s, 100).await.is_empty());

        // Replicas need a primary of the same scope.
        let mut replica = meeting_record(s);
        replica.primary_meeting_id = Some(m.meeting_id.clone());
        assert!(matches!(
            ok(store.create_meeting(new_meeting(replica), vec![]).await),
            CreateMeetingOutcome::PrimaryNotFound
        ));

        // The same ClientRequestToken in another scope is another meeting.
        let mut same_token = meeting_record(s);
        same_token
            .client_request_token
            .clone_from(&m.client_request_token);
        let (other, _) = created(store, new_meeting(same_token.clone()), vec![]).await;
        assert_eq!(other.meeting_id, same_token.meeting_id);

        assert_eq!(ok(store.end_meeting(s, id, ENDED_AT_MS).await), None);
    }

    // Nothing happened to the meeting in its own scope.
    assert_eq!(get(store, &scope, &m.meeting_id).await, Some(m.clone()));
    assert_eq!(
        ok(store
            .get_attendee(&scope, &m.meeting_id, &a.attendee_id)
            .await),
        AttendeeLookup::Found(a)
    );
    assert_eq!(users(&list_all(store, &m, 100).await), ["u1"]);
    assert_eq!(
        ok(store.list_meeting_tags(&scope, &m.meeting_id).await),
        Some(vec![tag("k", "v")])
    );
    assert_eq!(list_all_meetings(store, &scope, 100).await, [m]);
}

/// The replica rules, and ending a primary ending its replicas.
pub async fn replicas(store: &dyn Store) {
    let scope = new_scope();
    let primary = meeting_record(&scope);
    created(store, new_meeting(primary.clone()), vec![]).await;
    let replica = || {
        let mut r = meeting_record(&scope);
        r.primary_meeting_id = Some(primary.meeting_id.clone());
        r
    };
    let with_cap = |r: MeetingRecord| NewMeeting {
        max_replicas: 2,
        ..new_meeting(r)
    };

    let mut orphan = meeting_record(&scope);
    orphan.primary_meeting_id = Some(new_id());
    assert!(matches!(
        ok(store.create_meeting(with_cap(orphan.clone()), vec![]).await),
        CreateMeetingOutcome::PrimaryNotFound
    ));
    // A refused create takes nothing: the same token works once the request is right.
    let mut fixed = orphan;
    fixed.primary_meeting_id = Some(primary.meeting_id.clone());
    let (r1, _) = created(store, with_cap(fixed), vec![]).await;
    let r2 = replica();
    let mut r2_new = with_cap(r2.clone());
    r2_new.tags = vec![tag("k", "v")];
    let (_, r2_attendees) = created(store, r2_new, vec![attendee(&r2, "u1")]).await;
    let r2_attendee = created_attendee(&r2_attendees[0]).clone();

    let r3 = replica();
    assert!(matches!(
        ok(store.create_meeting(with_cap(r3.clone()), vec![]).await),
        CreateMeetingOutcome::TooManyReplicas
    ));
    let mut of_replica = meeting_record(&scope);
    of_replica.primary_meeting_id = Some(r1.meeting_id.clone());
    assert!(matches!(
        ok(store.create_meeting(with_cap(of_replica), vec![]).await),
        CreateMeetingOutcome::PrimaryIsReplica
    ));

    // Ending a replica frees its slot and leaves the primary alone.
    assert_eq!(
        ok(store.end_meeting(&scope, &r1.meeting_id, ENDED_AT_MS).await),
        Some(())
    );
    assert_eq!(
        get(store, &scope, &primary.meeting_id).await,
        Some(primary.clone())
    );
    created(store, with_cap(r3.clone()), vec![]).await;

    // Ending the primary ends its active replicas, their attendees and their tags.
    assert_eq!(
        ok(store
            .end_meeting(&scope, &primary.meeting_id, ENDED_AT_MS)
            .await),
        Some(())
    );
    for id in [&primary.meeting_id, &r2.meeting_id, &r3.meeting_id] {
        assert_eq!(get(store, &scope, id).await, None);
        assert_eq!(ok(store.end_meeting(&scope, id, ENDED_AT_MS).await), None);
    }
    assert_eq!(
        ok(store
            .get_attendee(&scope, &r2.meeting_id, &r2_attendee.attendee_id)
            .await),
        AttendeeLookup::MeetingNotFound
    );
    assert_eq!(
        ok(store.list_meeting_tags(&scope, &r2.meeting_id).await),
        None
    );
    assert!(list_all_meetings(store, &scope, 100).await.is_empty());
    let mut r2_ended = r2.clone();
    r2_ended.ended_at_ms = Some(ENDED_AT_MS);
    r2_ended.end_reason = Some(crate::lifecycle::EndReason::PrimaryEnded);
    assert_eq!(replayed(store, new_meeting(r2), vec![]).await, r2_ended);

    // An ended primary takes no replicas.
    assert!(matches!(
        ok(store.create_meeting(with_cap(replica()), vec![]).await),
        CreateMeetingOutcome::PrimaryNotFound
    ));
}

/// Once ended, a meeting answers "not found" to everything but the token replay.
pub async fn ended_meetings_are_invisible(store: &dyn Store) {
    let scope = new_scope();
    let m = meeting_record(&scope);
    let mut new = new_meeting(m.clone());
    new.tags = vec![tag("k", "v")];
    let (_, out) = created(store, new, vec![attendee(&m, "u1")]).await;
    let a = created_attendee(&out[0]).clone();
    assert_eq!(
        ok(store.end_meeting(&scope, &m.meeting_id, ENDED_AT_MS).await),
        Some(())
    );

    let id = m.meeting_id.as_str();
    let caps = uniform_capabilities(MediaCapability::Send);
    assert_eq!(get(store, &scope, id).await, None);
    assert_eq!(
        ok(store.end_meeting(&scope, id, ENDED_AT_MS + 1).await),
        None
    );
    assert!(ok(store
        .create_attendees(&scope, id, vec![attendee(&m, "u2").into()])
        .await)
    .is_none());
    assert_eq!(
        ok(store.get_attendee(&scope, id, &a.attendee_id).await),
        AttendeeLookup::MeetingNotFound
    );
    assert!(ok(store.list_attendees(&scope, id, None, 10).await).is_none());
    assert_eq!(
        ok(store.delete_attendee(&scope, id, &a.attendee_id).await),
        AttendeeLookup::MeetingNotFound
    );
    assert_eq!(
        ok(store
            .update_attendee_capabilities(&scope, id, &a.attendee_id, caps)
            .await),
        AttendeeLookup::MeetingNotFound
    );
    assert_eq!(
        ok(store
            .update_capabilities_except(&scope, id, &[], caps)
            .await),
        None
    );
    assert_eq!(ok(store.set_transcription(&scope, id, None).await), None);
    assert_eq!(
        ok(store.tag_meeting(&scope, id, vec![tag("x", "y")], 50).await),
        None
    );
    assert_eq!(
        ok(store.untag_meeting(&scope, id, vec!["k".into()]).await),
        None
    );
    assert_eq!(ok(store.list_meeting_tags(&scope, id).await), None);
    let aid = a.attendee_id.as_str();
    assert_eq!(
        ok(store
            .tag_attendee(&scope, id, aid, vec![tag("x", "y")], 10)
            .await),
        AttendeeLookup::MeetingNotFound
    );
    assert_eq!(
        ok(store
            .untag_attendee(&scope, id, aid, vec!["k".into()])
            .await),
        AttendeeLookup::MeetingNotFound
    );
    assert_eq!(
        ok(store.list_attendee_tags(&scope, id, aid).await),
        AttendeeLookup::MeetingNotFound
    );
    assert!(list_all_meetings(store, &scope, 100).await.is_empty());

    let mut ended = m.clone();
    ended.ended_at_ms = Some(ENDED_AT_MS);
    ended.end_reason = Some(crate::lifecycle::EndReason::Deleted);
    assert_eq!(replayed(store, new_meeting(m), vec![]).await, ended);
}
