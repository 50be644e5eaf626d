//! The plans PostgreSQL makes for the statements that find meetings: a lookup by meeting id is
//! one probe of `meetings_by_id`, whatever the planner knows (or does not know) about the data,
//! and a lookup by scope or token takes the index made for it. No operation walks through every
//! meeting of an account. Likewise the outbox's statements take the index made for each.

use tokio_postgres::types::Type;
use tokio_postgres::{Client, NoTls};

use crate::testing::TestDatabase;
use crate::{sql, PgConfig, PgStore};

/// A literal for a parameter of this type.
fn sample(ty: &Type) -> &'static str {
    match *ty {
        Type::INT8 | Type::INT4 => "1",
        Type::TEXT | Type::VARCHAR => "'00000000-0000-0000-0000-000000000000'",
        // Not empty: `= ANY ('{}')` is constant false, and a false condition lets the planner
        // take any index at all.
        Type::TEXT_ARRAY => "'{00000000-0000-0000-0000-000000000000}'",
        Type::INT8_ARRAY => "'{}'",
        _ => panic!("no sample value for a parameter of type {ty}"),
    }
}

/// The plan of `statement`, with the plan cache mode given (custom: planned for the values;
/// generic: the plan reused for any values, which a prepared statement settles on).
async fn plan(client: &Client, statement: &str, mode: &str) -> String {
    let prepared = client.prepare(statement).await.expect("preparing");
    let values: Vec<&str> = prepared.params().iter().map(sample).collect();
    client
        .batch_execute(&format!(
            "SET plan_cache_mode = {mode}; PREPARE checked AS {statement}"
        ))
        .await
        .expect("PREPARE");
    let rows = client
        .query(
            &format!("EXPLAIN EXECUTE checked({})", values.join(", ")),
            &[],
        )
        .await
        .expect("EXPLAIN");
    client
        .batch_execute("DEALLOCATE checked")
        .await
        .expect("DEALLOCATE");
    rows.iter()
        .map(|row| row.get::<_, String>(0))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Many meetings in one scope and no statistics (never analyzed, as with autovacuum off or
/// right after they were written): when the planner once took a scope index for lookups by id.
#[tokio::test]
async fn lookups_take_the_index_made_for_them() {
    let Some(db) = TestDatabase::create("plans") else {
        return;
    };
    let store = PgStore::connect(&PgConfig::new(db.url.clone()))
        .await
        .expect("connect and migrate");
    store.close();
    let (client, connection) = tokio_postgres::connect(&db.url, NoTls)
        .await
        .expect("connect");
    let driver = tokio::spawn(connection);
    client
        .batch_execute(
            "INSERT INTO meetings (meeting_id, account_id, namespace, control_region, \
             client_request_token, media_region, tenant_ids, created_at_ms, max_attendees) \
             SELECT gen_random_uuid()::text, '123456789012', 'meetings', 'us-east-1', \
             'token-' || i, 'us-east-1', '[]', 0, 250 FROM generate_series(1, 5000) AS i",
        )
        .await
        .expect("inserting meetings");

    let by_id = "meetings_by_id";
    let cases = [
        ("LOCK_ACTIVE_MEETING", sql::LOCK_ACTIVE_MEETING, by_id),
        ("ACTIVE_MEETING", sql::ACTIVE_MEETING, by_id),
        ("GET_MEETING", sql::GET_MEETING, by_id),
        ("JOIN_LOOKUP", sql::JOIN_LOOKUP, by_id),
        ("SET_TRANSCRIPTION", sql::SET_TRANSCRIPTION, by_id),
        ("GET_ATTENDEE", sql::GET_ATTENDEE, by_id),
        ("LIST_ATTENDEES", sql::LIST_ATTENDEES, by_id),
        (
            "MEETING_BY_TOKEN",
            sql::MEETING_BY_TOKEN,
            "meetings_by_token",
        ),
        (
            "LIST_MEETINGS",
            sql::LIST_MEETINGS,
            "meetings_active_by_scope",
        ),
        ("PRIMARIES_BY_ID", sql::PRIMARIES_BY_ID, by_id),
        ("ADMIN_MEETING", sql::admin::ADMIN_MEETING, by_id),
        (
            "ADMIN_MEETINGS",
            sql::admin::ADMIN_MEETINGS,
            "meetings_pkey",
        ),
        (
            "IMPORT_ATTENDEE_MEETING",
            sql::admin::IMPORT_ATTENDEE_MEETING,
            by_id,
        ),
        ("LOCK_PRESENCE", sql::LOCK_PRESENCE, "meetings_pkey"),
        (
            "EXPIRED_IN_SCOPE",
            sql::EXPIRED_IN_SCOPE,
            "meetings_active_by_scope",
        ),
        ("EXPIRED_IDLE", sql::EXPIRED_IDLE, "meetings_idle_clock"),
        (
            "EXPIRED_BY_AGE",
            sql::EXPIRED_BY_AGE,
            "meetings_active_by_age",
        ),
        (
            "COUNT_ACTIVE_UP_TO",
            sql::COUNT_ACTIVE_UP_TO,
            "meetings_active_by_scope",
        ),
    ];
    for mode in ["force_custom_plan", "force_generic_plan"] {
        for (name, statement, index) in cases {
            let plan = plan(&client, statement, mode).await;
            // A bitmap scan (a lookup of several ids at once) probes the index as well.
            let probes = plan.contains(&format!(" using {index} on meetings"))
                || plan.contains(&format!("Bitmap Index Scan on {index}"));
            assert!(probes, "{name} ({mode}) does not probe {index}:\n{plan}");
        }
    }
    drop(client);
    let _ = driver.await;
}

/// The outbox's statements on a log of thousands of events, each owed, never analyzed.
#[tokio::test]
async fn outbox_statements_take_the_index_made_for_them() {
    let Some(db) = TestDatabase::create("outbox_plans") else {
        return;
    };
    let store = PgStore::connect(&PgConfig::new(db.url.clone()))
        .await
        .expect("connect and migrate");
    store.close();
    let (client, connection) = tokio_postgres::connect(&db.url, NoTls)
        .await
        .expect("connect");
    let driver = tokio::spawn(connection);
    client
        .batch_execute(
            "INSERT INTO events (event_id, meeting_id, account_id, source, name, at_ms, body) \
             SELECT gen_random_uuid()::text, 'meeting-' || (i % 50), '123456789012', 'meeting', \
             'chime:AttendeeAdded', i, '{}' FROM generate_series(1, 5000) AS i; \
             INSERT INTO event_deliveries (target, seq, meeting_id, due_ms) \
             SELECT 'webhook:hook', seq, meeting_id, at_ms FROM events",
        )
        .await
        .expect("inserting events");

    let cases = [
        ("EVENTS_AFTER", sql::EVENTS_AFTER, "events_by_position"),
        ("CLAIM_HEADS", sql::CLAIM_HEADS, "event_deliveries_live"),
        (
            "CLAIM_FOLLOWERS",
            sql::CLAIM_FOLLOWERS,
            "event_deliveries_streams",
        ),
        ("LEASE", sql::LEASE, "events_pkey"),
        ("DEAD_LETTERS", sql::DEAD_LETTERS, "event_deliveries_dead"),
        ("DEAD_LETTERS", sql::DEAD_LETTERS, "events_pkey"),
        ("PRUNE_EVENTS", sql::PRUNE_EVENTS, "events_by_time"),
    ];
    for mode in ["force_custom_plan", "force_generic_plan"] {
        for (name, statement, index) in cases {
            let plan = plan(&client, statement, mode).await;
            let probes = plan.contains(&format!(" using {index} on "))
                || plan.contains(&format!("Bitmap Index Scan on {index}"));
            assert!(probes, "{name} ({mode}) does not probe {index}:\n{plan}");
            assert!(
                !plan.contains("Seq Scan on event"),
                "{name} ({mode}):\n{plan}"
            );
        }
    }
    // A meeting's events are counted from its creation on: for a meeting younger than most of
    // the log, through the log's index by time (once the log's times are known to the planner,
    // as autovacuum's analysis makes them).
    client.batch_execute("ANALYZE events").await.unwrap();
    let recent = sql::admin::MEETING_EVENT_COUNT
        .replace("$1", "'meeting-1'")
        .replace("$2", "4990");
    let rows = client
        .query(&format!("EXPLAIN {recent}"), &[])
        .await
        .unwrap();
    let plan: Vec<String> = rows.iter().map(|row| row.get(0)).collect();
    let plan = plan.join("\n");
    assert!(
        plan.contains("events_by_time"),
        "MEETING_EVENT_COUNT:\n{plan}"
    );
    drop(client);
    let _ = driver.await;
}
