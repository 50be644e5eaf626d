//! The hot cache never serves what an acknowledged write changed: every kind of write is made
//! after the reads that fill the cache, and the reads after it must see it. Then reads race
//! writes, and a read that starts after a write's acknowledgement must see that write.

#![allow(clippy::unwrap_used)] // Helpers of tests unwrap as tests do.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use carillon_core::conformance::{
    attendee, meeting_record, new_meeting, new_scope, transcription_config, uniform_capabilities,
};
use carillon_core::{
    AttendeeCapabilities, AttendeeLookup, AttendeeRecord, CreateMeetingOutcome, LifecyclePolicy,
    MediaCapability, MeetingRecord, NewAttendee, Scope, Store,
};
use carillon_sqlite::SqliteStore;

fn file_store() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = SqliteStore::open(&dir.path().join("carillon.db")).expect("open");
    (store, dir)
}

async fn meeting_with(store: &SqliteStore, scope: &Scope, n: usize) -> MeetingRecord {
    let record = meeting_record(scope);
    let attendees = (0..n)
        .map(|i| NewAttendee::from(attendee(&record, &format!("user-{i}"))))
        .collect();
    match store.create_meeting(new_meeting(record), attendees).await {
        Ok(CreateMeetingOutcome::Created { meeting, .. }) => meeting,
        other => panic!("creating a meeting: {other:?}"),
    }
}

/// Every attendee on one page, read twice so that the second read holds the roster.
async fn roster(store: &SqliteStore, scope: &Scope, meeting_id: &str) -> Vec<AttendeeRecord> {
    let mut items = Vec::new();
    for _ in 0..2 {
        items = store
            .list_attendees(scope, meeting_id, None, 1000)
            .await
            .expect("list")
            .expect("meeting")
            .items;
    }
    items
}

/// Reads everything the cache may hold of the meeting, twice (the first read of a meeting holds
/// its record, the next its attendees).
async fn warm(store: &SqliteStore, scope: &Scope, meeting_id: &str) -> Vec<AttendeeRecord> {
    let attendees = roster(store, scope, meeting_id).await;
    for _ in 0..2 {
        store.get_meeting(scope, meeting_id).await.expect("get");
        for a in &attendees {
            store
                .get_attendee(scope, meeting_id, &a.attendee_id)
                .await
                .expect("get");
        }
    }
    attendees
}

fn caps(audio: MediaCapability) -> AttendeeCapabilities {
    AttendeeCapabilities {
        audio,
        ..uniform_capabilities(MediaCapability::SendReceive)
    }
}

async fn every_write_is_seen_after_warm_reads(store: SqliteStore) {
    let scope = new_scope();
    let meeting = meeting_with(&store, &scope, 4).await;
    let id = meeting.meeting_id.as_str();
    let attendees = warm(&store, &scope, id).await;
    assert_eq!(attendees.len(), 4);

    // Another scope is never served the held meeting.
    assert_eq!(store.get_meeting(&new_scope(), id).await.unwrap(), None);
    let a0 = &attendees[0].attendee_id;
    assert_eq!(
        store.get_attendee(&new_scope(), id, a0).await.unwrap(),
        AttendeeLookup::MeetingNotFound
    );

    // One attendee's capabilities.
    let changed = caps(MediaCapability::Receive);
    store
        .update_attendee_capabilities(&scope, id, a0, changed)
        .await
        .unwrap();
    let AttendeeLookup::Found(got) = store.get_attendee(&scope, id, a0).await.unwrap() else {
        panic!("attendee gone");
    };
    assert_eq!(got.capabilities, Some(changed));
    assert_eq!(
        roster(&store, &scope, id).await[0].capabilities,
        Some(changed)
    );

    // Every attendee's but one.
    warm(&store, &scope, id).await;
    let all = caps(MediaCapability::Send);
    store
        .update_capabilities_except(&scope, id, std::slice::from_ref(a0), all)
        .await
        .unwrap();
    for a in &attendees[1..] {
        let AttendeeLookup::Found(got) = store
            .get_attendee(&scope, id, &a.attendee_id)
            .await
            .unwrap()
        else {
            panic!("attendee gone");
        };
        assert_eq!(got.capabilities, Some(all));
    }
    let listed = roster(&store, &scope, id).await;
    assert_eq!(listed[0].capabilities, Some(changed));
    assert!(listed[1..].iter().all(|a| a.capabilities == Some(all)));

    // A deletion.
    warm(&store, &scope, id).await;
    store.delete_attendee(&scope, id, a0).await.unwrap();
    assert_eq!(
        store.get_attendee(&scope, id, a0).await.unwrap(),
        AttendeeLookup::AttendeeNotFound
    );
    assert_eq!(roster(&store, &scope, id).await.len(), 3);

    // A creation.
    warm(&store, &scope, id).await;
    let added = attendee(&meeting, "added");
    store
        .create_attendees(&scope, id, vec![added.clone().into()])
        .await
        .unwrap();
    let listed = roster(&store, &scope, id).await;
    assert_eq!(listed.len(), 4);
    assert_eq!(listed[3].attendee_id, added.attendee_id);
    assert!(matches!(
        store
            .get_attendee(&scope, id, &added.attendee_id)
            .await
            .unwrap(),
        AttendeeLookup::Found(_)
    ));

    // The meeting's transcription.
    warm(&store, &scope, id).await;
    let config = transcription_config();
    store
        .set_transcription(&scope, id, Some(config.clone()))
        .await
        .unwrap();
    let got = store
        .get_meeting(&scope, id)
        .await
        .unwrap()
        .expect("meeting");
    assert_eq!(got.transcription, Some(config));

    // The end of the meeting.
    warm(&store, &scope, id).await;
    store.end_meeting(&scope, id, 1).await.unwrap();
    assert_eq!(store.get_meeting(&scope, id).await.unwrap(), None);
    assert_eq!(
        store
            .get_attendee(&scope, id, &listed[1].attendee_id)
            .await
            .unwrap(),
        AttendeeLookup::MeetingNotFound
    );
    assert!(store
        .list_attendees(&scope, id, None, 10)
        .await
        .unwrap()
        .is_none());

    // Meetings ended by the lifecycle (these were created long ago), and a reset.
    let expiring = meeting_with(&store, &scope, 2).await;
    warm(&store, &scope, &expiring.meeting_id).await;
    let now = carillon_core::clock::now_ms();
    let ended = store
        .end_expired(now, &LifecyclePolicy::default())
        .await
        .unwrap();
    assert!(ended.iter().any(|m| m.meeting_id == expiring.meeting_id));
    assert_eq!(
        store
            .get_meeting(&scope, &expiring.meeting_id)
            .await
            .unwrap(),
        None
    );

    let reset = meeting_with(&store, &scope, 2).await;
    warm(&store, &scope, &reset.meeting_id).await;
    store.reset().await.unwrap();
    assert_eq!(
        store.get_meeting(&scope, &reset.meeting_id).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn every_write_is_seen_on_a_file() {
    let (store, _dir) = file_store();
    every_write_is_seen_after_warm_reads(store).await;
}

#[tokio::test]
async fn every_write_is_seen_in_memory() {
    every_write_is_seen_after_warm_reads(SqliteStore::open_in_memory().unwrap()).await;
}

/// The audio capabilities of step `n` of a sequence of distinct capability sets.
fn step(n: usize) -> AttendeeCapabilities {
    use MediaCapability::*;
    let all = [SendReceive, Send, Receive, None];
    AttendeeCapabilities {
        audio: all[n % 4],
        video: all[(n / 4) % 4],
        content: all[(n / 16) % 4],
    }
}

fn step_of(caps: AttendeeCapabilities) -> usize {
    use MediaCapability::*;
    let index = |c| match c {
        SendReceive => 0,
        Send => 1,
        Receive => 2,
        None => 3,
    };
    index(caps.audio) + 4 * index(caps.video) + 16 * index(caps.content)
}

/// Readers race a writer that changes one attendee's capabilities through 63 distinct steps and
/// adds attendees: a read started after step `n` was acknowledged never sees an earlier step, and
/// a listing started after `k` creations were acknowledged never lists fewer.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reads_racing_writes_never_go_back() {
    let (store, _dir) = file_store();
    let store = Arc::new(store);
    let scope = new_scope();
    let meeting = meeting_with(&store, &scope, 1).await;
    let id = meeting.meeting_id.clone();
    let watched = roster(&store, &scope, &id).await[0].attendee_id.clone();
    store
        .update_attendee_capabilities(&scope, &id, &watched, step(0))
        .await
        .unwrap();
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let created = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));

    let mut readers = Vec::new();
    for _ in 0..3 {
        let (store, scope, id, watched) =
            (store.clone(), scope.clone(), id.clone(), watched.clone());
        let (acknowledged, created, done) = (acknowledged.clone(), created.clone(), done.clone());
        readers.push(tokio::spawn(async move {
            let mut reads = 0;
            while done.load(Ordering::SeqCst) == 0 {
                let floor = acknowledged.load(Ordering::SeqCst);
                let AttendeeLookup::Found(a) =
                    store.get_attendee(&scope, &id, &watched).await.unwrap()
                else {
                    panic!("the watched attendee vanished");
                };
                let seen = step_of(a.capabilities.expect("capabilities"));
                assert!(
                    seen >= floor,
                    "read step {seen} after step {floor} was acknowledged"
                );

                let at_least = created.load(Ordering::SeqCst);
                let page = store
                    .list_attendees(&scope, &id, None, 1000)
                    .await
                    .unwrap()
                    .expect("meeting");
                assert!(
                    page.items.len() > at_least,
                    "a listing lost a created attendee"
                );
                reads += 1;
            }
            reads
        }));
    }
    for n in 1..64 {
        store
            .update_attendee_capabilities(&scope, &id, &watched, step(n))
            .await
            .unwrap();
        acknowledged.store(n, Ordering::SeqCst);
        if n % 3 == 0 {
            let new = attendee(&meeting, &format!("racer-{n}"));
            store
                .create_attendees(&scope, &id, vec![new.into()])
                .await
                .unwrap();
            created.fetch_add(1, Ordering::SeqCst);
        }
        tokio::task::yield_now().await;
    }
    done.store(1, Ordering::SeqCst);
    for reader in readers {
        assert!(reader.await.unwrap() > 0);
    }
}
