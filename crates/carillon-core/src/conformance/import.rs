//! Export, reset, import: the state written back as it was exported
//! ([`Store::import`](crate::store::Store::import)).

use crate::domain::{AttendeeFeatures, MeetingFeatures, MeetingRecord, Tag};
use crate::store::admin::{ImportRefusal, Imported, MeetingState, StoredAttendee, StoredMeeting};
use crate::store::Store;

use super::admin::{all_attendees, all_meetings, in_account};
use super::builders::*;

/// What an export reads of the scopes given: their meetings, each followed by its attendees.
async fn exported(store: &dyn Store, accounts: &[&str]) -> Vec<Imported> {
    let mut items = Vec::new();
    for account in accounts {
        for m in all_meetings(store, &in_account(account, MeetingState::All), 2).await {
            let attendees = all_attendees(store, &m.record.meeting_id, 2)
                .await
                .expect("listed");
            items.push(Imported::Meeting(Box::new(m)));
            items.extend(attendees.into_iter().map(Imported::Attendee));
        }
    }
    items
}

fn same(a: &[Imported], b: &[Imported]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        match (x, y) {
            (Imported::Meeting(x), Imported::Meeting(y)) => assert_eq!(x, y),
            (Imported::Attendee(x), Imported::Attendee(y)) => assert_eq!(x, y),
            _ => panic!("items differ in kind"),
        }
    }
}

/// Export, reset, import gives back the same state: every read, the ClientRequestTokens, the
/// caps. A batch with an item it cannot restore writes nothing.
pub async fn admin_import(store: &dyn Store) {
    let scope = new_scope();
    let legacy = new_legacy_scope();
    let full = full_meeting(&scope);
    let mut new_full = new_meeting(full.clone());
    new_full.tags = vec![tag("b", "2"), tag("a", "1")];
    let (full, _) = created(
        store,
        new_full,
        vec![attendee(&full, "u1"), attendee(&full, "u2")],
    )
    .await;
    let mut small = meeting_record(&scope);
    small.features = Some(MeetingFeatures {
        attendee: Some(AttendeeFeatures { max_count: Some(2) }),
        ..MeetingFeatures::default()
    });
    let (small, _) = created(
        store,
        new_meeting(small.clone()),
        vec![attendee(&small, "s1")],
    )
    .await;
    let mut replica = meeting_record(&scope);
    replica.primary_meeting_id = Some(full.meeting_id.clone());
    let (replica, _) = created(store, new_meeting(replica), vec![]).await;
    let gone = meeting_record(&scope);
    let (gone, _) = created(store, new_meeting(gone.clone()), vec![attendee(&gone, "g")]).await;
    ok(store
        .end_meeting(&scope, &gone.meeting_id, ENDED_AT_MS)
        .await)
    .expect("ended");
    let lm = meeting_record(&legacy);
    let (lm, _) = created_tagged(
        store,
        new_meeting(lm.clone()),
        vec![with_tags(
            attendee(&lm, "l1"),
            vec![tag("x", "1"), tag("y", "2")],
        )],
    )
    .await;
    let accounts = [scope.account_id.as_str(), legacy.account_id.as_str()];
    let before = exported(store, &accounts).await;
    assert_eq!(before.len(), 9, "5 meetings, 4 attendees");

    ok(store.reset().await);
    // In two batches, as an import of a long file writes them.
    let (first, second) = before.split_at(4);
    assert_eq!(ok(store.import(first.to_vec()).await), Ok(()));
    assert_eq!(ok(store.import(second.to_vec()).await), Ok(()));
    same(&exported(store, &accounts).await, &before);

    // What the API reads is the same.
    assert_eq!(
        get(store, &scope, &full.meeting_id).await.as_ref(),
        Some(&full)
    );
    assert!(get(store, &scope, &gone.meeting_id).await.is_none());
    assert_eq!(
        get(store, &scope, &replica.meeting_id).await.as_ref(),
        Some(&replica)
    );
    assert_eq!(
        ok(store.list_meeting_tags(&scope, &full.meeting_id).await),
        Some(vec![tag("b", "2"), tag("a", "1")])
    );
    let l1 = &ok(store
        .list_attendees(&legacy, &lm.meeting_id, None, 10)
        .await)
    .expect("lm")
    .items[0];
    assert_eq!(
        tags_of(store, &lm, &l1.attendee_id).await,
        crate::store::AttendeeLookup::Found(vec![tag("x", "1"), tag("y", "2")])
    );
    assert_eq!(
        replayed(store, new_meeting(gone.clone()), vec![])
            .await
            .meeting_id,
        gone.meeting_id
    );
    assert_eq!(
        replayed(store, new_meeting(full.clone()), vec![]).await,
        full
    );
    // The cap counts the attendees imported: one seat left in `small`.
    let out = add(
        store,
        &small,
        vec![attendee(&small, "s2"), attendee(&small, "s3")],
    )
    .await;
    created_attendee(&out[0]);
    assert_limit_exceeded(&out[1], "s3");

    // Refusals: nothing of the batch is written.
    let fresh = meeting_record(&scope);
    let refused = |index: usize| {
        move |r: Result<(), ImportRefusal>| {
            let refusal = r.expect_err("refused");
            assert_eq!(refusal.index, index, "{}", refusal.message);
        }
    };
    let stored = |m: &MeetingRecord| {
        Imported::Meeting(Box::new(StoredMeeting {
            record: m.clone(),
            attendee_count: 0,
            tags: Vec::<Tag>::new(),
            idle_since_ms: Some(CREATED_AT_MS),
            presence_lease_ms: None,
        }))
    };
    let person = |m: &MeetingRecord, user: &str| {
        Imported::Attendee(StoredAttendee {
            record: attendee(m, user),
            tags: vec![],
        })
    };
    refused(1)(ok(store.import(vec![stored(&fresh), stored(&full)]).await));
    refused(1)(ok(store
        .import(vec![stored(&fresh), person(&meeting_record(&scope), "x")])
        .await));
    refused(1)(ok(store
        .import(vec![stored(&fresh), person(&gone, "x")])
        .await));
    refused(2)(ok(store
        .import(vec![
            stored(&fresh),
            person(&fresh, "x"),
            person(&fresh, "x"),
        ])
        .await));
    refused(1)(ok(store
        .import(vec![stored(&fresh), person(&small, "s9")])
        .await));
    assert!(ok(store.admin_meeting(&fresh.meeting_id).await).is_none());
    assert_eq!(
        ok(store
            .import(vec![stored(&fresh), person(&fresh, "x")])
            .await),
        Ok(())
    );
    assert_eq!(
        all_attendees(store, &fresh.meeting_id, 10)
            .await
            .map(|a| a.len()),
        Some(1)
    );
}
