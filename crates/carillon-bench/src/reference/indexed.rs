//! The indexed layout of the reference's writes (`--work indexed`): what the API's rules make an
//! embedded SQL store keep beside each row, and nothing Carillon merely chooses to keep.
//!
//! - Meetings are found by MeetingId (every attendee call names one) and by ClientRequestToken
//!   (CreateMeeting is idempotent: a repeated token is answered with the meeting it created):
//!   two unique indexes.
//! - Attendees are found by (meeting, AttendeeId) (GetAttendee, DeleteAttendee) and are unique by
//!   (meeting, ExternalUserId) (CreateAttendee returns the attendee a repeated ExternalUserId
//!   names): two unique indexes. The meeting's row counts its attendees (the 250 cap).
//! - Every write logs its meeting events (`chime:MeetingStarted`, `chime:AttendeeAdded`) in its
//!   own transaction, the EventBridge envelope rendered as JSON, with the index that pruning by
//!   age reads: the events Carillon records by default, which it promises are never lost.
//!
//! Left out as Carillon's own choices: listing attendees in creation order (a third attendee
//! index), the indexes of the meeting lifecycle (active meetings by scope, by age, idle clock),
//! tags, and one savepoint per write. The reads stay answered from memory, as in the
//! unavoidable mode.

use carillon_core::clock::now_ms;
use carillon_core::events::time::format_epoch_ms;
use carillon_core::events::{DETAIL_TYPE, SOURCE};
use rusqlite::types::Type;
use rusqlite::{params, OptionalExtension, Transaction};
use uuid::Uuid;

use super::durable::{Outcome, Write};

pub(super) const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS meetings (
        seq INTEGER PRIMARY KEY,
        meeting_id BLOB NOT NULL,
        client_request_token TEXT NOT NULL,
        external_meeting_id TEXT NOT NULL,
        media_region TEXT NOT NULL,
        attendee_count INTEGER NOT NULL DEFAULT 0
    );
    CREATE UNIQUE INDEX IF NOT EXISTS meetings_by_id ON meetings (meeting_id);
    CREATE UNIQUE INDEX IF NOT EXISTS meetings_by_token ON meetings (client_request_token);
    CREATE TABLE IF NOT EXISTS attendees (
        seq INTEGER PRIMARY KEY,
        meeting_seq INTEGER NOT NULL,
        attendee_id BLOB NOT NULL,
        external_user_id TEXT NOT NULL
    );
    CREATE UNIQUE INDEX IF NOT EXISTS attendees_by_id ON attendees (meeting_seq, attendee_id);
    CREATE UNIQUE INDEX IF NOT EXISTS attendees_by_user ON attendees (meeting_seq, external_user_id);
    CREATE TABLE IF NOT EXISTS events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL,
        meeting_id TEXT NOT NULL,
        name TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        body TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS events_by_time ON events (at_ms);
";

/// A meeting's most attendees (the API's default MaxAttendees).
const MAX_ATTENDEES: i64 = 250;

/// The account and Region every reference meeting belongs to.
const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

/// Applies `write` inside the group's transaction.
pub(super) fn apply(tx: &Transaction<'_>, write: &Write) -> rusqlite::Result<Outcome> {
    let now_ms = now_ms();
    // The MeetingId as the events carry it, formatted once per write.
    let meeting_text = match write {
        Write::Meeting { meeting_id, .. } | Write::Attendees { meeting_id, .. } => {
            meeting_id.to_string()
        }
    };
    match write {
        Write::Meeting {
            meeting_id,
            client_request_token,
            external_meeting_id,
            media_region,
        } => {
            let inserted = tx
                .prepare_cached(
                    "INSERT INTO meetings (meeting_id, client_request_token, \
                     external_meeting_id, media_region) VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT (client_request_token) DO NOTHING",
                )?
                .execute(params![
                    meeting_id.as_bytes(),
                    client_request_token,
                    external_meeting_id,
                    media_region
                ])?;
            if inserted == 0 {
                let existing: Vec<u8> = tx
                    .prepare_cached(
                        "SELECT meeting_id FROM meetings WHERE client_request_token = ?1",
                    )?
                    .query_row([client_request_token], |row| row.get(0))?;
                let existing = Uuid::from_slice(&existing).map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(0, Type::Blob, Box::new(e))
                })?;
                return Ok(Outcome::MeetingExists(existing));
            }
            let detail = serde_json::json!({
                "version": "0",
                "eventType": "chime:MeetingStarted",
                "timestamp": now_ms,
                "meetingId": meeting_text,
                "externalMeetingId": external_meeting_id,
                "mediaRegion": media_region,
            });
            log_event(tx, &meeting_text, "chime:MeetingStarted", detail, now_ms)?;
            Ok(Outcome::Done)
        }
        Write::Attendees {
            meeting_id,
            attendees,
        } => {
            let meeting: Option<(i64, i64, String, String)> = tx
                .prepare_cached(
                    "SELECT seq, attendee_count, external_meeting_id, media_region \
                     FROM meetings WHERE meeting_id = ?1",
                )?
                .query_row([meeting_id.as_bytes()], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
                })
                .optional()?;
            let Some((seq, mut count, external_meeting_id, media_region)) = meeting else {
                return Ok(Outcome::NoSuchMeeting);
            };
            let before = count;
            let mut insert = tx.prepare_cached(
                "INSERT INTO attendees (meeting_seq, attendee_id, external_user_id) \
                 VALUES (?1, ?2, ?3) ON CONFLICT (meeting_seq, external_user_id) DO NOTHING",
            )?;
            for (attendee_id, external_user_id) in attendees {
                if count >= MAX_ATTENDEES {
                    break;
                }
                if insert.execute(params![seq, attendee_id.as_bytes(), external_user_id])? == 0 {
                    continue;
                }
                count += 1;
                let detail = serde_json::json!({
                    "version": "0",
                    "eventType": "chime:AttendeeAdded",
                    "timestamp": now_ms,
                    "meetingId": meeting_text,
                    "attendeeId": attendee_id.to_string(),
                    "externalUserId": external_user_id,
                    "externalMeetingId": external_meeting_id,
                    "mediaRegion": media_region,
                });
                log_event(tx, &meeting_text, "chime:AttendeeAdded", detail, now_ms)?;
            }
            if count != before {
                tx.prepare_cached("UPDATE meetings SET attendee_count = ?2 WHERE seq = ?1")?
                    .execute(params![seq, count])?;
            }
            Ok(Outcome::Done)
        }
    }
}

/// Logs one event with its envelope, as EventBridge receives it.
fn log_event(
    tx: &Transaction<'_>,
    meeting_id: &str,
    name: &str,
    detail: serde_json::Value,
    at_ms: i64,
) -> rusqlite::Result<()> {
    let event_id = Uuid::new_v4().to_string();
    let envelope = serde_json::json!({
        "version": "0",
        "source": SOURCE,
        "account": ACCOUNT,
        "id": event_id,
        "region": REGION,
        "detail-type": DETAIL_TYPE,
        "time": format_epoch_ms(at_ms),
        "resources": [],
        "detail": detail,
    });
    tx.prepare_cached(
        "INSERT INTO events (event_id, meeting_id, name, at_ms, body) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        event_id,
        meeting_id,
        name,
        at_ms,
        envelope.to_string()
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::durable::{Durable, Layout};
    use super::*;
    use rusqlite::Connection;

    fn meeting(meeting_id: Uuid, token: &str) -> Write {
        Write::Meeting {
            meeting_id,
            client_request_token: token.into(),
            external_meeting_id: "ext".into(),
            media_region: "us-east-1".into(),
        }
    }

    fn attendees(meeting_id: Uuid, users: &[&str]) -> Write {
        Write::Attendees {
            meeting_id,
            attendees: users
                .iter()
                .map(|u| (Uuid::new_v4(), (*u).to_owned()))
                .collect(),
        }
    }

    fn count(conn: &Connection, sql: &str) -> i64 {
        conn.query_row(sql, [], |row| row.get(0)).unwrap()
    }

    #[tokio::test]
    async fn writes_keep_the_api_rules_and_log_their_events() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ref.db");
        let store = Durable::open(Some(&path), Layout::Indexed).unwrap();
        let (m, other) = (Uuid::new_v4(), Uuid::new_v4());
        assert_eq!(store.commit(meeting(m, "t")).await, Ok(Outcome::Done));
        // The same ClientRequestToken creates nothing more, and names the meeting it created.
        assert_eq!(
            store.commit(meeting(other, "t")).await,
            Ok(Outcome::MeetingExists(m))
        );
        assert_eq!(
            store.commit(attendees(m, &["a", "b", "a"])).await,
            Ok(Outcome::Done)
        );
        assert_eq!(
            store.commit(attendees(other, &["c"])).await,
            Ok(Outcome::NoSuchMeeting)
        );

        let conn = Connection::open(&path).unwrap();
        assert_eq!(count(&conn, "SELECT count(*) FROM meetings"), 1);
        assert_eq!(count(&conn, "SELECT count(*) FROM attendees"), 2);
        assert_eq!(count(&conn, "SELECT attendee_count FROM meetings"), 2);
        let names: Vec<String> = conn
            .prepare("SELECT name FROM events ORDER BY seq")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            names,
            [
                "chime:MeetingStarted",
                "chime:AttendeeAdded",
                "chime:AttendeeAdded"
            ]
        );
        let body: String = conn
            .query_row("SELECT body FROM events ORDER BY seq DESC", [], |r| {
                r.get(0)
            })
            .unwrap();
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["detail"]["externalUserId"], "b");
        assert_eq!(body["detail-type"], DETAIL_TYPE);
    }

    #[tokio::test]
    async fn a_full_meeting_takes_no_more_attendees() {
        let store = Durable::open(None, Layout::Indexed).unwrap();
        let m = Uuid::new_v4();
        store.commit(meeting(m, "t")).await.unwrap();
        let users: Vec<String> = (0..MAX_ATTENDEES + 5).map(|i| format!("u{i}")).collect();
        let users: Vec<&str> = users.iter().map(String::as_str).collect();
        store.commit(attendees(m, &users)).await.unwrap();
        let conn = Connection::open(store.path()).unwrap();
        assert_eq!(
            count(&conn, "SELECT count(*) FROM attendees"),
            MAX_ATTENDEES
        );
        assert_eq!(
            count(&conn, "SELECT attendee_count FROM meetings"),
            MAX_ATTENDEES
        );
    }
}
