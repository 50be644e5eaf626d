//! What is acknowledged is on disk: it survives dropping the store and reopening the file, and
//! another connection sees it at once.

use std::path::Path;

use carillon_core::conformance::{
    attendee, meeting_record, new_meeting, new_scope, tag, transcription_config, ENDED_AT_MS,
};
use carillon_core::{
    AttendeeLookup, AttendeeOutcome, AttendeeRecord, CreateMeetingOutcome, NewAttendee, Store,
};
use carillon_sqlite::SqliteStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_is_there_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("carillon.db");
    let scope = new_scope();
    let live = meeting_record(&scope);
    let ended = meeting_record(&scope);
    let people: Vec<_> = (0..30).map(|i| attendee(&live, &format!("u{i}"))).collect();
    let position_before;
    {
        let store = SqliteStore::open(&path).unwrap();
        let mut new = new_meeting(live.clone());
        new.tags = vec![tag("a", "1"), tag("b", "2")];
        let outcome = store
            .create_meeting(new, untagged(&people[..10]))
            .await
            .unwrap();
        assert!(matches!(outcome, CreateMeetingOutcome::Created { .. }));
        let out = store
            .create_attendees(&scope, &live.meeting_id, untagged(&people[10..]))
            .await
            .unwrap()
            .unwrap();
        assert!(out.iter().all(|o| matches!(o, AttendeeOutcome::Created(_))));
        store
            .delete_attendee(&scope, &live.meeting_id, &people[0].attendee_id)
            .await
            .unwrap();
        store
            .set_transcription(&scope, &live.meeting_id, Some(transcription_config()))
            .await
            .unwrap();
        store
            .create_meeting(new_meeting(ended.clone()), vec![])
            .await
            .unwrap();
        store
            .end_meeting(&scope, &ended.meeting_id, ENDED_AT_MS)
            .await
            .unwrap();
        let page = store
            .list_attendees(&scope, &live.meeting_id, None, 100)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(page.items, people[1..]);
        position_before = store
            .list_attendees(&scope, &live.meeting_id, None, 5)
            .await
            .unwrap()
            .unwrap()
            .next;
        // Dropped here: the writer finishes and checkpoints.
    }
    assert_wal_folded(&path);

    let store = SqliteStore::open(&path).unwrap();
    let mut expected = live.clone();
    expected.transcription = Some(transcription_config());
    assert_eq!(
        store.get_meeting(&scope, &live.meeting_id).await.unwrap(),
        Some(expected)
    );
    let page = store
        .list_attendees(&scope, &live.meeting_id, None, 100)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(page.items, people[1..]);
    // Positions survive too: a cursor taken before reopening still works.
    let rest = store
        .list_attendees(&scope, &live.meeting_id, position_before, 100)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rest.items, people[6..]);
    assert_eq!(
        store
            .get_attendee(&scope, &live.meeting_id, &people[0].attendee_id)
            .await
            .unwrap(),
        AttendeeLookup::AttendeeNotFound
    );
    assert_eq!(
        store
            .list_meeting_tags(&scope, &live.meeting_id)
            .await
            .unwrap(),
        Some(vec![tag("a", "1"), tag("b", "2")])
    );
    assert_eq!(
        store.get_meeting(&scope, &ended.meeting_id).await.unwrap(),
        None
    );
    match store
        .create_meeting(new_meeting(ended.clone()), vec![])
        .await
        .unwrap()
    {
        CreateMeetingOutcome::Replayed { meeting } => {
            assert_eq!(meeting.ended_at_ms, Some(ENDED_AT_MS))
        }
        other => panic!("expected Replayed, got {other:?}"),
    }
    // Repeats of ExternalUserIds are still recognised, and the cap still counts.
    let out = store
        .create_attendees(&scope, &live.meeting_id, vec![attendee(&live, "u5").into()])
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(&out[0], AttendeeOutcome::Existing(a) if *a == people[5]));
    store.close().unwrap();
}

/// A write is committed before it is acknowledged: another connection sees it while the store
/// is still running.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledged_write_is_committed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("carillon.db");
    let store = SqliteStore::open(&path).unwrap();
    let scope = new_scope();
    let m = meeting_record(&scope);
    store
        .create_meeting(new_meeting(m.clone()), vec![attendee(&m, "u").into()])
        .await
        .unwrap();
    let other = rusqlite::Connection::open(&path).unwrap();
    let (meetings, attendees): (i64, i64) = other
        .query_row(
            "SELECT (SELECT count(*) FROM meetings WHERE meeting_id = ?1), \
                    (SELECT count(*) FROM attendees)",
            [&m.meeting_id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!((meetings, attendees), (1, 1));
    let mode: String = other
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    drop(other);
    store.close().unwrap();
}

/// Queued writes are finished, not dropped, when the store closes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_finishes_queued_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("carillon.db");
    let store = std::sync::Arc::new(SqliteStore::open(&path).unwrap());
    let scope = new_scope();
    let m = meeting_record(&scope);
    store
        .create_meeting(new_meeting(m.clone()), vec![])
        .await
        .unwrap();
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let (store, scope, m) = (store.clone(), scope.clone(), m.clone());
            tokio::spawn(async move {
                store
                    .create_attendees(
                        &scope,
                        &m.meeting_id,
                        vec![attendee(&m, &format!("u{i}")).into()],
                    )
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap().unwrap();
    }
    drop(store);
    let store = SqliteStore::open(&path).unwrap();
    let page = store
        .list_attendees(&scope, &m.meeting_id, None, 1000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(page.items.len(), 100);
}

fn untagged(attendees: &[AttendeeRecord]) -> Vec<NewAttendee> {
    attendees.iter().cloned().map(NewAttendee::from).collect()
}

/// After a clean close the WAL has been checkpointed into the database file.
fn assert_wal_folded(path: &Path) {
    let wal = path.with_extension("db-wal");
    let size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert_eq!(size, 0, "the WAL is empty after closing");
}
