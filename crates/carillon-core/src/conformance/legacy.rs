//! What only the legacy `chime` API uses: attendee tags and ListMeetings.

use crate::domain::{AttendeeFeatures, MeetingFeatures, MeetingRecord, Namespace, Scope, Tag};
use crate::ids::new_id;
use crate::store::{AttendeeLookup, CreateMeetingOutcome, Store, TagOutcome};

use super::builders::*;

/// Attendees created with tags: a new one is stored with them, an existing one (same
/// ExternalUserId) keeps its own; they go with the attendee, with its meeting, and nobody
/// outside the scope reaches them.
pub async fn attendee_tags_on_creation(store: &dyn Store) {
    let scope = new_legacy_scope();
    let m = meeting_record(&scope);
    let a0 = attendee(&m, "u0");
    let a1 = attendee(&m, "u1");
    let (_, out) = created_tagged(
        store,
        new_meeting(m.clone()),
        vec![
            // A key repeated counts once: it keeps its first place and takes its last value.
            with_tags(
                a0.clone(),
                vec![tag("k1", "v1"), tag("k2", "v2"), tag("k1", "v1b")],
            ),
            a1.clone().into(),
            // The same user again in the same call is the attendee just created, tags untouched.
            with_tags(attendee(&m, "u0"), vec![tag("k3", "v3")]),
        ],
    )
    .await;
    assert_eq!(created_attendee(&out[0]), &a0);
    assert_eq!(created_attendee(&out[1]), &a1);
    assert_eq!(existing_attendee(&out[2]), &a0);
    let a0_tags = vec![tag("k1", "v1b"), tag("k2", "v2")];
    assert_eq!(
        tags_of(store, &m, &a0.attendee_id).await,
        AttendeeLookup::Found(a0_tags.clone())
    );
    assert_eq!(
        tags_of(store, &m, &a1.attendee_id).await,
        AttendeeLookup::Found(vec![])
    );

    // CreateAttendee: a new attendee is stored with its tags; a repeat leaves the existing
    // attendee's tags as they are, whether it had some or none.
    let a2 = attendee(&m, "u2");
    let out = add_tagged(
        store,
        &m,
        vec![
            with_tags(a2.clone(), vec![tag("x", "1")]),
            with_tags(
                attendee(&m, "u0"),
                vec![tag("k1", "replaced"), tag("k9", "v9")],
            ),
            with_tags(attendee(&m, "u1"), vec![tag("k1", "v1")]),
        ],
    )
    .await;
    assert_eq!(created_attendee(&out[0]), &a2);
    assert_eq!(existing_attendee(&out[1]), &a0);
    assert_eq!(existing_attendee(&out[2]), &a1);
    assert_eq!(
        tags_of(store, &m, &a2.attendee_id).await,
        AttendeeLookup::Found(vec![tag("x", "1")])
    );
    assert_eq!(
        tags_of(store, &m, &a0.attendee_id).await,
        AttendeeLookup::Found(a0_tags.clone())
    );
    assert_eq!(
        tags_of(store, &m, &a1.attendee_id).await,
        AttendeeLookup::Found(vec![])
    );

    // A replayed CreateMeetingWithAttendees attempts no attendees, so it stores no tags.
    let mut again = meeting_record(&scope);
    again
        .client_request_token
        .clone_from(&m.client_request_token);
    let replay = ok(store
        .create_meeting(
            new_meeting(again.clone()),
            vec![
                with_tags(attendee(&again, "u0"), vec![tag("replayed", "r")]),
                with_tags(attendee(&again, "u9"), vec![tag("replayed", "r")]),
            ],
        )
        .await);
    assert!(matches!(replay, CreateMeetingOutcome::Replayed { .. }));
    assert_eq!(
        tags_of(store, &m, &a0.attendee_id).await,
        AttendeeLookup::Found(a0_tags.clone())
    );
    assert_eq!(users(&list_all(store, &m, 100).await), ["u0", "u1", "u2"]);

    // An attendee refused at the cap leaves no tags behind.
    let mut tiny = meeting_record(&scope);
    tiny.features = Some(MeetingFeatures {
        attendee: Some(AttendeeFeatures { max_count: Some(1) }),
        ..MeetingFeatures::default()
    });
    let (t0, t1) = (attendee(&tiny, "t0"), attendee(&tiny, "t1"));
    let (_, out) = created_tagged(
        store,
        new_meeting(tiny.clone()),
        vec![
            with_tags(t0.clone(), vec![tag("a", "1")]),
            with_tags(t1.clone(), vec![tag("b", "2")]),
        ],
    )
    .await;
    assert_eq!(created_attendee(&out[0]), &t0);
    assert_limit_exceeded(&out[1], "t1");
    assert_eq!(
        tags_of(store, &tiny, &t0.attendee_id).await,
        AttendeeLookup::Found(vec![tag("a", "1")])
    );
    assert_eq!(
        tags_of(store, &tiny, &t1.attendee_id).await,
        AttendeeLookup::AttendeeNotFound
    );

    // DeleteAttendee deletes its tags: a new attendee with the same ExternalUserId starts with
    // its own.
    assert_eq!(
        ok(store
            .delete_attendee(&scope, &m.meeting_id, &a0.attendee_id)
            .await),
        AttendeeLookup::Found(())
    );
    assert_attendee_gone(store, &m, &a0.attendee_id, AttendeeLookup::AttendeeNotFound).await;
    let a0_again = attendee(&m, "u0");
    let out = add_tagged(
        store,
        &m,
        vec![with_tags(a0_again.clone(), vec![tag("k2", "new")])],
    )
    .await;
    assert_eq!(created_attendee(&out[0]), &a0_again);
    assert_eq!(
        tags_of(store, &m, &a0_again.attendee_id).await,
        AttendeeLookup::Found(vec![tag("k2", "new")])
    );
    assert_eq!(
        tags_of(store, &m, &a0.attendee_id).await,
        AttendeeLookup::AttendeeNotFound
    );

    // Scopes: another account, or the current namespace of the same account, reaches neither the
    // meeting nor its attendees' tags.
    let other_account = new_legacy_scope();
    let other_namespace = Scope {
        account_id: scope.account_id.clone(),
        namespace: Namespace::Meetings,
    };
    for s in [&other_account, &other_namespace] {
        let (id, aid) = (m.meeting_id.as_str(), a2.attendee_id.as_str());
        assert_eq!(
            ok(store.list_attendee_tags(s, id, aid).await),
            AttendeeLookup::MeetingNotFound
        );
        assert_eq!(
            ok(store
                .tag_attendee(s, id, aid, vec![tag("x", "stolen")], 10)
                .await),
            AttendeeLookup::MeetingNotFound
        );
        assert_eq!(
            ok(store.untag_attendee(s, id, aid, vec!["x".into()]).await),
            AttendeeLookup::MeetingNotFound
        );
        // A meeting of that scope does not reach the attendee either.
        let theirs = meeting_record(s);
        created(store, new_meeting(theirs.clone()), vec![]).await;
        assert_eq!(
            tags_of(store, &theirs, aid).await,
            AttendeeLookup::AttendeeNotFound
        );
        assert_eq!(
            ok(store
                .tag_attendee(s, &theirs.meeting_id, aid, vec![tag("x", "stolen")], 10)
                .await),
            AttendeeLookup::AttendeeNotFound
        );
    }
    assert_eq!(
        tags_of(store, &m, &a2.attendee_id).await,
        AttendeeLookup::Found(vec![tag("x", "1")]),
        "nothing changed in the attendee's own scope"
    );

    // Ending the meeting ends its attendees and their tags; another meeting's attendees keep
    // theirs, under the same ExternalUserId and tag keys too.
    let other = meeting_record(&scope);
    let b = attendee(&other, "u0");
    created_tagged(
        store,
        new_meeting(other.clone()),
        vec![with_tags(b.clone(), vec![tag("k2", "other")])],
    )
    .await;
    assert_eq!(
        ok(store.end_meeting(&scope, &m.meeting_id, ENDED_AT_MS).await),
        Some(())
    );
    for gone in [&a0_again, &a1, &a2] {
        assert_attendee_gone(
            store,
            &m,
            &gone.attendee_id,
            AttendeeLookup::MeetingNotFound,
        )
        .await;
    }
    assert_eq!(
        tags_of(store, &other, &b.attendee_id).await,
        AttendeeLookup::Found(vec![tag("k2", "other")])
    );
}

/// Every attendee-tag operation on an attendee that is gone (or never was) gives `expected`.
async fn assert_attendee_gone(
    store: &dyn Store,
    meeting: &MeetingRecord,
    attendee_id: &str,
    expected: AttendeeLookup<()>,
) {
    let (scope, id) = (&meeting.scope, meeting.meeting_id.as_str());
    let listed = ok(store.list_attendee_tags(scope, id, attendee_id).await);
    assert_eq!(not_found(listed), expected, "ListAttendeeTags");
    let tagged = ok(store
        .tag_attendee(scope, id, attendee_id, vec![tag("k", "v")], 10)
        .await);
    assert_eq!(not_found(tagged), expected, "TagAttendee");
    let untagged = ok(store
        .untag_attendee(scope, id, attendee_id, vec!["k".into()])
        .await);
    assert_eq!(untagged, expected, "UntagAttendee");
}

/// Which of the meeting and the attendee was not found; panics when the attendee was.
fn not_found<T: std::fmt::Debug>(lookup: AttendeeLookup<T>) -> AttendeeLookup<()> {
    match lookup {
        AttendeeLookup::Found(found) => panic!("expected not found, got {found:?}"),
        AttendeeLookup::MeetingNotFound => AttendeeLookup::MeetingNotFound,
        AttendeeLookup::AttendeeNotFound => AttendeeLookup::AttendeeNotFound,
    }
}

/// TagAttendee / UntagAttendee / ListAttendeeTags: merge, the cap (nothing changes when it
/// refuses), repeated keys, absent keys, and each attendee's tags its own.
pub async fn attendee_tags(store: &dyn Store) {
    let scope = new_legacy_scope();
    let m = meeting_record(&scope);
    let (a, b) = (attendee(&m, "a"), attendee(&m, "b"));
    created_tagged(
        store,
        new_meeting(m.clone()),
        vec![
            with_tags(a.clone(), vec![tag("k1", "v1"), tag("k2", "v2")]),
            b.clone().into(),
        ],
    )
    .await;
    let (s, id) = (&scope, m.meeting_id.as_str());
    let tag_attendee = |attendee_id: &str, tags: Vec<Tag>, max_tags: usize| {
        let attendee_id = attendee_id.to_owned();
        async move {
            match ok(store
                .tag_attendee(s, id, &attendee_id, tags, max_tags)
                .await)
            {
                AttendeeLookup::Found(outcome) => outcome,
                other => panic!("the attendee exists, got {other:?}"),
            }
        }
    };
    let meeting = &m;
    let list = |attendee_id: &str| {
        let attendee_id = attendee_id.to_owned();
        async move {
            match tags_of(store, meeting, &attendee_id).await {
                AttendeeLookup::Found(tags) => tags,
                other => panic!("the attendee exists, got {other:?}"),
            }
        }
    };
    let aid = a.attendee_id.as_str();

    // Merge: an existing key is overwritten in place, a new one goes last.
    assert_eq!(
        tag_attendee(aid, vec![tag("k2", "v2b"), tag("k3", "v3")], 10).await,
        TagOutcome::Tagged
    );
    let three = vec![tag("k1", "v1"), tag("k2", "v2b"), tag("k3", "v3")];
    assert_eq!(list(aid).await, three);

    // Over the cap: nothing changes, overwrites included.
    assert_eq!(
        tag_attendee(
            aid,
            vec![tag("k1", "changed"), tag("k4", "v4"), tag("k5", "v5")],
            4
        )
        .await,
        TagOutcome::TooManyTags
    );
    assert_eq!(list(aid).await, three);
    // Exactly at the cap.
    assert_eq!(
        tag_attendee(aid, vec![tag("k1", "v1b"), tag("k4", "v4")], 4).await,
        TagOutcome::Tagged
    );
    // At the cap, overwriting adds nothing; a key repeated in one request counts once and its
    // last value wins.
    assert_eq!(
        tag_attendee(aid, vec![tag("k2", "x"), tag("k2", "y")], 4).await,
        TagOutcome::Tagged
    );
    assert_eq!(
        tag_attendee(aid, vec![tag("k5", "a"), tag("k5", "b")], 5).await,
        TagOutcome::Tagged
    );
    let five = vec![
        tag("k1", "v1b"),
        tag("k2", "y"),
        tag("k3", "v3"),
        tag("k4", "v4"),
        tag("k5", "b"),
    ];
    assert_eq!(list(aid).await, five);
    // Counted once is still one too many.
    assert_eq!(
        tag_attendee(aid, vec![tag("k6", "a"), tag("k6", "b")], 5).await,
        TagOutcome::TooManyTags
    );
    assert_eq!(list(aid).await, five);

    // Untag: absent keys are fine; a key set again goes last.
    let untag = |attendee_id: &str, keys: &[&str]| {
        let attendee_id = attendee_id.to_owned();
        let keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
        async move { ok(store.untag_attendee(s, id, &attendee_id, keys).await) }
    };
    assert_eq!(
        untag(aid, &["k1", "absent", "k3"]).await,
        AttendeeLookup::Found(())
    );
    assert_eq!(untag(aid, &[]).await, AttendeeLookup::Found(()));
    assert_eq!(
        untag(&b.attendee_id, &["absent"]).await,
        AttendeeLookup::Found(())
    );
    assert_eq!(
        tag_attendee(aid, vec![tag("k1", "again")], 10).await,
        TagOutcome::Tagged
    );
    assert_eq!(
        list(aid).await,
        vec![
            tag("k2", "y"),
            tag("k4", "v4"),
            tag("k5", "b"),
            tag("k1", "again")
        ]
    );

    // Another attendee's tags are its own, and so is its cap; the meeting's tags are apart.
    assert_eq!(list(&b.attendee_id).await, vec![]);
    assert_eq!(
        tag_attendee(&b.attendee_id, vec![tag("k2", "mine")], 1).await,
        TagOutcome::Tagged
    );
    assert_eq!(list(&b.attendee_id).await, vec![tag("k2", "mine")]);
    assert_eq!(list(aid).await.len(), 4);
    assert_eq!(ok(store.list_meeting_tags(s, id).await), Some(vec![]));
    assert_eq!(
        ok(store
            .tag_meeting(s, id, vec![tag("k2", "meeting")], 1)
            .await),
        Some(TagOutcome::Tagged)
    );
    assert_eq!(list(aid).await.len(), 4);
    assert_eq!(
        get_attendee(store, &m, aid).await,
        Some(a.clone()),
        "tags leave the attendee as it was"
    );

    // Unknown attendees and meetings; an attendee of another meeting of the scope.
    let other = meeting_record(&scope);
    let stranger = attendee(&other, "a");
    created(store, new_meeting(other), vec![stranger.clone()]).await;
    for missing in [new_id(), stranger.attendee_id.clone()] {
        assert_attendee_gone(store, &m, &missing, AttendeeLookup::AttendeeNotFound).await;
    }
    let mut unknown = m.clone();
    unknown.meeting_id = new_id();
    assert_attendee_gone(store, &unknown, aid, AttendeeLookup::MeetingNotFound).await;
    assert_eq!(list(aid).await.len(), 4);
}

/// ListMeetings: the scope's active meetings in creation order, each exactly once however the
/// pages are cut and whatever is created or ended between them.
pub async fn list_meetings(store: &dyn Store) {
    let scope = new_legacy_scope();
    let empty = meeting_page(store, &scope, None, 10).await;
    assert!(empty.items.is_empty());
    assert_eq!(empty.next, None);

    let mut all = vec![full_meeting(&scope)];
    all.extend((1..23).map(|_| meeting_record(&scope)));
    for m in &all {
        created(store, new_meeting(m.clone()), vec![]).await;
    }
    // Listed as stored, later changes included.
    assert_eq!(
        ok(store
            .set_transcription(&scope, &all[1].meeting_id, Some(transcription_config()))
            .await),
        Some(())
    );
    all[1].transcription = Some(transcription_config());
    for limit in [1, 7, 23, 100] {
        assert_eq!(
            list_all_meetings(store, &scope, limit).await,
            all,
            "pages of {limit}"
        );
    }

    // Created and ended while paging.
    let first = meeting_page(store, &scope, None, 5).await;
    assert_eq!(first.items, all[..5]);
    let cursor = first.next.expect("more meetings follow");
    let added: Vec<MeetingRecord> = (0..3).map(|_| meeting_record(&scope)).collect();
    for m in &added {
        created(store, new_meeting(m.clone()), vec![]).await;
    }
    for gone in [&all[2], &all[10], &all[22], &added[1]] {
        assert_eq!(
            ok(store
                .end_meeting(&scope, &gone.meeting_id, ENDED_AT_MS)
                .await),
            Some(())
        );
    }
    let mut rest = Vec::new();
    let mut after = Some(cursor);
    for _ in 0..100 {
        let p = meeting_page(store, &scope, after, 4).await;
        rest.extend(p.items);
        after = p.next;
        if after.is_none() {
            break;
        }
    }
    assert!(after.is_none(), "paging ends");
    let ended = [2, 10, 22];
    let mut expected: Vec<MeetingRecord> = (5..all.len())
        .filter(|i| !ended.contains(i))
        .map(|i| all[i].clone())
        .collect();
    expected.extend([added[0].clone(), added[2].clone()]);
    assert_eq!(rest, expected);
    let mut active: Vec<MeetingRecord> = (0..all.len())
        .filter(|i| !ended.contains(i))
        .map(|i| all[i].clone())
        .collect();
    active.extend([added[0].clone(), added[2].clone()]);
    for limit in [1, 7, 100] {
        assert_eq!(list_all_meetings(store, &scope, limit).await, active);
    }

    // A position is never given twice: ending the newest meetings, the one a cursor rests on
    // included, does not let a later meeting take a position at or before the cursor.
    let p = meeting_page(store, &scope, None, active.len() - 1).await;
    let cursor = p.next.expect("one more meeting follows");
    for gone in &active[active.len() - 2..] {
        assert_eq!(
            ok(store
                .end_meeting(&scope, &gone.meeting_id, ENDED_AT_MS)
                .await),
            Some(())
        );
    }
    let late = meeting_record(&scope);
    created(store, new_meeting(late.clone()), vec![]).await;
    let tail = meeting_page(store, &scope, Some(cursor), 10).await;
    assert_eq!(tail.items, std::slice::from_ref(&late));
    assert_eq!(tail.next, None);
    active.truncate(active.len() - 2);
    active.push(late);
    assert_eq!(list_all_meetings(store, &scope, 100).await, active);

    // Only the scope's own: the other namespace of the same account, and another account, list
    // none of them; their meetings are theirs. Replicas are listed, and end with their primary.
    let other_namespace = Scope {
        account_id: scope.account_id.clone(),
        namespace: Namespace::Meetings,
    };
    let other_account = new_legacy_scope();
    for s in [&other_namespace, &other_account] {
        assert!(list_all_meetings(store, s, 100).await.is_empty());
    }
    let own = meeting_record(&other_namespace);
    let primary = meeting_record(&other_namespace);
    let mut replica = meeting_record(&other_namespace);
    replica.primary_meeting_id = Some(primary.meeting_id.clone());
    for m in [&own, &primary, &replica] {
        created(store, new_meeting(m.clone()), vec![]).await;
    }
    assert_eq!(
        meeting_ids(&list_all_meetings(store, &other_namespace, 2).await),
        meeting_ids(&[own.clone(), primary.clone(), replica.clone()])
    );
    assert_eq!(
        ok(store
            .end_meeting(&other_namespace, &primary.meeting_id, ENDED_AT_MS)
            .await),
        Some(())
    );
    assert_eq!(
        list_all_meetings(store, &other_namespace, 100).await,
        std::slice::from_ref(&own)
    );
    assert!(list_all_meetings(store, &other_account, 100)
        .await
        .is_empty());
    assert_eq!(list_all_meetings(store, &scope, 7).await, active);
}
