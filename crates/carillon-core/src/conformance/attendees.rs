//! Attendees: idempotency, the cap, pagination, capabilities.

use crate::domain::{
    AttendeeFeatures, AttendeeRecord, MediaCapability, MeetingFeatures, DEFAULT_MAX_ATTENDEES,
};
use crate::ids::new_id;
use crate::store::{AttendeeLookup, AttendeeOutcome, Store};

use super::builders::*;

/// Creating, reading and deleting attendees; one undeleted attendee per ExternalUserId.
pub async fn attendees(store: &dyn Store) {
    let scope = new_scope();
    let m = meeting_record(&scope);
    let a0 = attendee(&m, "u0");
    let a0_dup = attendee(&m, "u0");
    let (_, outcomes) = created(store, new_meeting(m.clone()), vec![a0.clone(), a0_dup]).await;
    assert_eq!(outcomes.len(), 2);
    assert_eq!(created_attendee(&outcomes[0]), &a0);
    assert_eq!(existing_attendee(&outcomes[1]), &a0);

    let a1 = attendee(&m, "u1");
    let out = add(store, &m, vec![a1.clone()]).await;
    assert_eq!(created_attendee(&out[0]), &a1);
    assert_eq!(
        get_attendee(store, &m, &a1.attendee_id).await,
        Some(a1.clone())
    );

    // A repeat returns the same AttendeeId and JoinToken.
    let out = add(store, &m, vec![attendee(&m, "u1")]).await;
    assert_eq!(existing_attendee(&out[0]), &a1);

    // Within one call too.
    let a2 = attendee(&m, "u2");
    let out = add(store, &m, vec![a2.clone(), attendee(&m, "u2"), a1.clone()]).await;
    assert_eq!(created_attendee(&out[0]), &a2);
    assert_eq!(existing_attendee(&out[1]), &a2);
    assert_eq!(existing_attendee(&out[2]), &a1);

    // Attendees without capabilities (the legacy namespace has none).
    let mut bare = attendee(&m, "u3");
    bare.capabilities = None;
    add(store, &m, vec![bare.clone()]).await;
    assert_eq!(get_attendee(store, &m, &bare.attendee_id).await, Some(bare));

    // Deleting.
    assert_eq!(
        ok(store
            .delete_attendee(&scope, &m.meeting_id, &a1.attendee_id)
            .await),
        AttendeeLookup::Found(())
    );
    assert_eq!(get_attendee(store, &m, &a1.attendee_id).await, None);
    assert_eq!(
        ok(store
            .delete_attendee(&scope, &m.meeting_id, &a1.attendee_id)
            .await),
        AttendeeLookup::AttendeeNotFound
    );
    // The ExternalUserId is free again, for a new attendee.
    let a1_again = attendee(&m, "u1");
    let out = add(store, &m, vec![a1_again.clone()]).await;
    assert_eq!(created_attendee(&out[0]), &a1_again);
    assert_ne!(a1_again.attendee_id, a1.attendee_id);
    assert_ne!(a1_again.join_token, a1.join_token);

    // Unknown meetings and attendees.
    let unknown = new_id();
    assert!(ok(store
        .create_attendees(&scope, &unknown, vec![attendee(&m, "x").into()])
        .await)
    .is_none());
    assert_eq!(
        ok(store.get_attendee(&scope, &unknown, &a0.attendee_id).await),
        AttendeeLookup::MeetingNotFound
    );
    assert_eq!(
        ok(store
            .delete_attendee(&scope, &unknown, &a0.attendee_id)
            .await),
        AttendeeLookup::MeetingNotFound
    );
    assert_eq!(get_attendee(store, &m, &new_id()).await, None);

    // An attendee is found only under its own meeting.
    let other = meeting_record(&scope);
    let (_, out) = created(
        store,
        new_meeting(other.clone()),
        vec![attendee(&other, "u0")],
    )
    .await;
    let foreign = created_attendee(&out[0]).clone();
    assert_ne!(
        foreign.attendee_id, a0.attendee_id,
        "same user, other meeting: other attendee"
    );
    assert_eq!(get_attendee(store, &m, &foreign.attendee_id).await, None);
    assert_eq!(
        ok(store
            .delete_attendee(&scope, &m.meeting_id, &foreign.attendee_id)
            .await),
        AttendeeLookup::AttendeeNotFound
    );
    assert_eq!(
        get_attendee(store, &other, &foreign.attendee_id).await,
        Some(foreign)
    );

    assert_eq!(
        users(&list_all(store, &m, 100).await),
        ["u0", "u2", "u3", "u1"]
    );
}

/// Never more undeleted attendees than `max_attendees()`; a deleted attendee frees its slot.
pub async fn attendee_cap(store: &dyn Store) {
    let scope = new_scope();
    let m = meeting_record(&scope);
    assert_eq!(m.max_attendees(), DEFAULT_MAX_ATTENDEES);
    created(store, new_meeting(m.clone()), vec![]).await;
    let cap = DEFAULT_MAX_ATTENDEES as usize;
    let first: Vec<AttendeeRecord> = (0..cap).map(|i| attendee(&m, &format!("u{i}"))).collect();
    for chunk in first.chunks(100) {
        let out = add(store, &m, chunk.to_vec()).await;
        for (o, a) in out.iter().zip(chunk) {
            assert_eq!(created_attendee(o), a);
        }
    }
    let out = add(store, &m, vec![attendee(&m, "over")]).await;
    assert_limit_exceeded(&out[0], "over");
    // A repeat at the cap is still the existing attendee.
    let out = add(store, &m, vec![attendee(&m, "u7")]).await;
    assert_eq!(existing_attendee(&out[0]), &first[7]);

    assert_eq!(
        ok(store
            .delete_attendee(&scope, &m.meeting_id, &first[3].attendee_id)
            .await),
        AttendeeLookup::Found(())
    );
    let again = attendee(&m, "over");
    let out = add(store, &m, vec![again.clone(), attendee(&m, "over2")]).await;
    assert_eq!(created_attendee(&out[0]), &again);
    assert_limit_exceeded(&out[1], "over2");
    assert_eq!(list_all(store, &m, 100).await.len(), cap);

    // MeetingFeatures.Attendee.MaxCount.
    let mut small = meeting_record(&scope);
    small.features = Some(MeetingFeatures {
        attendee: Some(AttendeeFeatures { max_count: Some(3) }),
        ..MeetingFeatures::default()
    });
    assert_eq!(small.max_attendees(), 3);
    let batch: Vec<AttendeeRecord> = (0..2).map(|i| attendee(&small, &format!("s{i}"))).collect();
    let (_, out) = created(store, new_meeting(small.clone()), batch).await;
    assert!(out.iter().all(|o| matches!(o, AttendeeOutcome::Created(_))));
    let out = add(
        store,
        &small,
        vec![
            attendee(&small, "s2"),
            attendee(&small, "s3"),
            attendee(&small, "s0"),
            attendee(&small, "s4"),
        ],
    )
    .await;
    assert!(matches!(out[0], AttendeeOutcome::Created(_)));
    assert_limit_exceeded(&out[1], "s3");
    assert!(matches!(out[2], AttendeeOutcome::Existing(_)));
    assert_limit_exceeded(&out[3], "s4");

    let mut tiny = meeting_record(&scope);
    tiny.features = Some(MeetingFeatures {
        attendee: Some(AttendeeFeatures { max_count: Some(1) }),
        ..MeetingFeatures::default()
    });
    let (_, out) = created(
        store,
        new_meeting(tiny.clone()),
        vec![attendee(&tiny, "t0"), attendee(&tiny, "t1")],
    )
    .await;
    assert!(matches!(out[0], AttendeeOutcome::Created(_)));
    assert_limit_exceeded(&out[1], "t1");
}

/// Pages of any size list every attendee exactly once, in creation order, even while attendees
/// are added and deleted between pages.
pub async fn pagination(store: &dyn Store) {
    let scope = new_scope();
    let m = meeting_record(&scope);
    created(store, new_meeting(m.clone()), vec![]).await;
    let empty = ok(store.list_attendees(&scope, &m.meeting_id, None, 10).await)
        .expect("an active meeting lists");
    assert!(empty.items.is_empty());

    let mut all = Vec::new();
    for range in [0..5, 5..6, 6..23] {
        let batch: Vec<AttendeeRecord> = range.map(|i| attendee(&m, &format!("u{i:02}"))).collect();
        add(store, &m, batch.clone()).await;
        all.extend(batch);
    }
    for limit in [1, 7, 23, 100] {
        assert_eq!(list_all(store, &m, limit).await, all, "pages of {limit}");
    }

    // Added and deleted while paging.
    let first = page(store, &m, None, 5).await;
    assert_eq!(first.items, all[..5]);
    let cursor = first.next.expect("more attendees follow");
    let added: Vec<AttendeeRecord> = (0..3).map(|i| attendee(&m, &format!("new{i}"))).collect();
    add(store, &m, added.clone()).await;
    for gone in [&all[2], &all[10], &all[22]] {
        assert_eq!(
            ok(store
                .delete_attendee(&scope, &m.meeting_id, &gone.attendee_id)
                .await),
            AttendeeLookup::Found(())
        );
    }
    let mut rest = Vec::new();
    let mut after = Some(cursor);
    for _ in 0..100 {
        let p = page(store, &m, after, 4).await;
        assert!(p.items.len() <= 4);
        rest.extend(p.items);
        after = p.next;
        if after.is_none() {
            break;
        }
    }
    assert!(after.is_none(), "paging ends");
    let mut expected: Vec<AttendeeRecord> = all[5..]
        .iter()
        .filter(|a| a.attendee_id != all[10].attendee_id && a.attendee_id != all[22].attendee_id)
        .cloned()
        .collect();
    expected.extend(added);
    assert_eq!(rest, expected);

    let unknown = new_id();
    assert!(ok(store.list_attendees(&scope, &unknown, None, 10).await).is_none());
}

/// A position is never given twice: deleting the newest attendees, the one a caller's cursor
/// rests on included, does not let a later attendee take a position at or before the cursor.
pub async fn pagination_never_reuses_positions(store: &dyn Store) {
    let scope = new_scope();
    let m = meeting_record(&scope);
    let batch: Vec<AttendeeRecord> = (0..4).map(|i| attendee(&m, &format!("u{i}"))).collect();
    created(store, new_meeting(m.clone()), batch.clone()).await;
    let first = page(store, &m, None, 3).await;
    assert_eq!(first.items, batch[..3]);
    let cursor = first.next.expect("a fourth attendee follows");
    for gone in [&batch[3], &batch[2]] {
        assert_eq!(
            ok(store
                .delete_attendee(&scope, &m.meeting_id, &gone.attendee_id)
                .await),
            AttendeeLookup::Found(())
        );
    }
    let late = attendee(&m, "late");
    add(store, &m, vec![late.clone()]).await;
    let rest = page(store, &m, Some(cursor), 10).await;
    assert_eq!(rest.items, std::slice::from_ref(&late));
    assert_eq!(rest.next, None);
    let mut everyone = batch[..2].to_vec();
    everyone.push(late);
    assert_eq!(list_all(store, &m, 1).await, everyone);
}

/// UpdateAttendeeCapabilities and BatchUpdateAttendeeCapabilitiesExcept.
pub async fn attendee_capabilities(store: &dyn Store) {
    let scope = new_scope();
    let m = meeting_record(&scope);
    let all: Vec<AttendeeRecord> = ["a", "b", "c"].iter().map(|u| attendee(&m, u)).collect();
    created(store, new_meeting(m.clone()), all.clone()).await;
    let other = meeting_record(&scope);
    let bystander = attendee(&other, "a");
    created(store, new_meeting(other.clone()), vec![bystander.clone()]).await;

    let receive = uniform_capabilities(MediaCapability::Receive);
    let updated = ok(store
        .update_attendee_capabilities(&scope, &m.meeting_id, &all[0].attendee_id, receive)
        .await);
    let mut a = all[0].clone();
    a.capabilities = Some(receive);
    assert_eq!(updated, AttendeeLookup::Found(a.clone()));
    assert_eq!(
        get_attendee(store, &m, &a.attendee_id).await,
        Some(a.clone())
    );
    assert_eq!(
        ok(store
            .update_attendee_capabilities(&scope, &m.meeting_id, &new_id(), receive)
            .await),
        AttendeeLookup::AttendeeNotFound
    );
    assert_eq!(
        ok(store
            .update_attendee_capabilities(&scope, &m.meeting_id, &bystander.attendee_id, receive)
            .await),
        AttendeeLookup::AttendeeNotFound
    );
    assert_eq!(
        ok(store
            .update_attendee_capabilities(&scope, &new_id(), &a.attendee_id, receive)
            .await),
        AttendeeLookup::MeetingNotFound
    );

    // Everyone but b (and an id that names nobody).
    let none = uniform_capabilities(MediaCapability::None);
    let excluded = [all[1].attendee_id.clone(), new_id()];
    assert_eq!(
        ok(store
            .update_capabilities_except(&scope, &m.meeting_id, &excluded, none)
            .await),
        Some(())
    );
    let caps = |r: Option<AttendeeRecord>| r.and_then(|r| r.capabilities);
    assert_eq!(
        caps(get_attendee(store, &m, &all[0].attendee_id).await),
        Some(none)
    );
    assert_eq!(
        caps(get_attendee(store, &m, &all[1].attendee_id).await),
        all[1].capabilities
    );
    assert_eq!(
        caps(get_attendee(store, &m, &all[2].attendee_id).await),
        Some(none)
    );
    assert_eq!(
        get_attendee(store, &other, &bystander.attendee_id).await,
        Some(bystander.clone()),
        "other meetings are untouched"
    );
    let c = get_attendee(store, &m, &all[2].attendee_id)
        .await
        .expect("c");
    assert_eq!(
        (c.external_user_id.as_str(), c.join_token.as_str()),
        (all[2].external_user_id.as_str(), all[2].join_token.as_str())
    );

    // Nobody excluded: everyone.
    let send = uniform_capabilities(MediaCapability::Send);
    assert_eq!(
        ok(store
            .update_capabilities_except(&scope, &m.meeting_id, &[], send)
            .await),
        Some(())
    );
    for listed in list_all(store, &m, 100).await {
        assert_eq!(listed.capabilities, Some(send));
    }
    assert_eq!(
        ok(store
            .update_capabilities_except(&scope, &new_id(), &[], send)
            .await),
        None
    );
}
