//! Attendee tags in the database itself: they go with their attendee's row (DeleteAttendee,
//! ending the meeting), survive reopening, and a database from before they existed is upgraded.

#![allow(clippy::unwrap_used)] // Helpers of tests unwrap as tests do.

use carillon_core::conformance::{
    attendee, meeting_record, new_legacy_scope, new_meeting, tag, with_tags, ENDED_AT_MS,
};
use carillon_core::{AttendeeLookup, CreateMeetingOutcome, Store, TagOutcome};
use carillon_sqlite::{SqliteStore, SCHEMA_VERSION};

/// The attendee tag rows whose value is one of these AttendeeIds. The tests tag each attendee
/// with its own id as the value, so that its rows can be counted after its attendee row is gone.
fn tag_rows(path: &std::path::Path, attendee_ids: &[&str]) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    attendee_ids
        .iter()
        .map(|id| {
            conn.query_row(
                "SELECT count(*) FROM attendee_tags WHERE value = ?1",
                [id],
                |row| row.get::<_, i64>(0),
            )
            .unwrap()
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_go_with_their_attendee_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("carillon.db");
    let store = SqliteStore::open(&path).unwrap();
    let scope = new_legacy_scope();
    let m = meeting_record(&scope);
    let other = meeting_record(&scope);
    // Each tag's value is its attendee's id, so that rows can be traced after the attendee goes.
    let people: Vec<_> = (0..3).map(|i| attendee(&m, &format!("u{i}"))).collect();
    let tagged = |a: &carillon_core::AttendeeRecord| {
        with_tags(
            a.clone(),
            vec![tag("k1", &a.attendee_id), tag("k2", &a.attendee_id)],
        )
    };
    let outcome = store
        .create_meeting(new_meeting(m.clone()), people.iter().map(tagged).collect())
        .await
        .unwrap();
    assert!(matches!(outcome, CreateMeetingOutcome::Created { .. }));
    let bystander = attendee(&other, "u0");
    store
        .create_meeting(new_meeting(other.clone()), vec![tagged(&bystander)])
        .await
        .unwrap();
    let ids: Vec<&str> = people.iter().map(|a| a.attendee_id.as_str()).collect();
    assert_eq!(tag_rows(&path, &ids), 6);

    store
        .delete_attendee(&scope, &m.meeting_id, ids[0])
        .await
        .unwrap();
    assert_eq!(tag_rows(&path, &ids[..1]), 0, "DeleteAttendee");
    assert_eq!(tag_rows(&path, &ids), 4);

    assert_eq!(
        store
            .end_meeting(&scope, &m.meeting_id, ENDED_AT_MS)
            .await
            .unwrap(),
        Some(())
    );
    assert_eq!(tag_rows(&path, &ids), 0, "ending the meeting");
    assert_eq!(tag_rows(&path, &[&bystander.attendee_id]), 2);
    let orphans: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM attendee_tags \
             WHERE attendee_seq NOT IN (SELECT seq FROM attendees)",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0);
    store.close().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attendee_tags_and_meeting_lists_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("carillon.db");
    let scope = new_legacy_scope();
    let meetings: Vec<_> = (0..5).map(|_| meeting_record(&scope)).collect();
    let a = attendee(&meetings[0], "u");
    let cursor;
    {
        let store = SqliteStore::open(&path).unwrap();
        store
            .create_meeting(
                new_meeting(meetings[0].clone()),
                vec![with_tags(a.clone(), vec![tag("k1", "v1")])],
            )
            .await
            .unwrap();
        for m in &meetings[1..] {
            store
                .create_meeting(new_meeting(m.clone()), vec![])
                .await
                .unwrap();
        }
        assert_eq!(
            store
                .tag_attendee(
                    &scope,
                    &meetings[0].meeting_id,
                    &a.attendee_id,
                    vec![tag("k2", "v2")],
                    10
                )
                .await
                .unwrap(),
            AttendeeLookup::Found(TagOutcome::Tagged)
        );
        let page = store.list_meetings(&scope, None, 2).await.unwrap();
        assert_eq!(page.items, meetings[..2]);
        cursor = page.next;
        store.close().unwrap();
    }

    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        store
            .list_attendee_tags(&scope, &meetings[0].meeting_id, &a.attendee_id)
            .await
            .unwrap(),
        AttendeeLookup::Found(vec![tag("k1", "v1"), tag("k2", "v2")])
    );
    // A cursor taken before reopening still works.
    let rest = store.list_meetings(&scope, cursor, 10).await.unwrap();
    assert_eq!(rest.items, meetings[2..]);
    assert_eq!(rest.next, None);
    store.close().unwrap();
}

/// A database written before attendee tags existed (schema version 1) is upgraded at open: its
/// meetings and attendees are kept, listed and taggable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_1_database_is_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("carillon.db");
    let scope = new_legacy_scope();
    let m = meeting_record(&scope);
    let a = attendee(&m, "u");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(include_str!("../migrations/0001_initial.sql"))
            .unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO meetings (meeting_id, account_id, namespace, control_region, \
             client_request_token, media_region, tenant_ids, max_attendees, created_at_ms) \
             VALUES (?1, ?2, 'legacy', ?3, ?4, ?5, '[]', 250, ?6)",
            rusqlite::params![
                m.meeting_id,
                scope.account_id,
                m.control_region,
                m.client_request_token,
                m.media_region,
                m.created_at_ms
            ],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO attendees (meeting_seq, attendee_id, external_user_id, join_token, \
             capabilities, seq) VALUES (1, ?1, ?2, ?3, ?4, 1)",
            rusqlite::params![
                a.attendee_id,
                a.external_user_id,
                a.join_token,
                serde_json::to_string(&a.capabilities).unwrap()
            ],
        )
        .unwrap();
        conn.execute("UPDATE meetings SET attendee_count = 1", [])
            .unwrap();
    }

    let store = SqliteStore::open(&path).unwrap();
    let page = store.list_meetings(&scope, None, 10).await.unwrap();
    assert_eq!(page.items, std::slice::from_ref(&m));
    assert_eq!(
        store
            .get_attendee(&scope, &m.meeting_id, &a.attendee_id)
            .await
            .unwrap(),
        AttendeeLookup::Found(a.clone())
    );
    assert_eq!(
        store
            .list_attendee_tags(&scope, &m.meeting_id, &a.attendee_id)
            .await
            .unwrap(),
        AttendeeLookup::Found(vec![])
    );
    assert_eq!(
        store
            .tag_attendee(
                &scope,
                &m.meeting_id,
                &a.attendee_id,
                vec![tag("k", "v")],
                10
            )
            .await
            .unwrap(),
        AttendeeLookup::Found(TagOutcome::Tagged)
    );
    assert_eq!(
        store
            .list_attendee_tags(&scope, &m.meeting_id, &a.attendee_id)
            .await
            .unwrap(),
        AttendeeLookup::Found(vec![tag("k", "v")])
    );
    store.close().unwrap();
    let version: u32 = rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
}
