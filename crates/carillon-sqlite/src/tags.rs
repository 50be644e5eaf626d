//! Meeting tags, each operation run on one connection inside the caller's transaction.

use std::collections::HashSet;

use carillon_core::{StoreResult, Tag, TagOutcome};
use rusqlite::{params, Connection};

use crate::error::Context;
use crate::rows;
use crate::sql;

/// Adds or overwrites tags without a cap (creation, where the caller has checked the count).
pub(crate) fn insert(conn: &Connection, meeting_seq: i64, tags: &[Tag]) -> StoreResult<()> {
    if tags.is_empty() {
        return Ok(());
    }
    let mut stmt = conn
        .prepare_cached(sql::UPSERT_TAG)
        .context("storing tags")?;
    for tag in tags {
        stmt.execute(params![meeting_seq, tag.key, tag.value])
            .context("storing a tag")?;
    }
    Ok(())
}

/// Adds or overwrites tags unless the meeting would end up with more than `max_tags`.
pub(crate) fn tag(
    conn: &Connection,
    meeting_seq: i64,
    tags: &[Tag],
    max_tags: usize,
) -> StoreResult<TagOutcome> {
    let existing: HashSet<String> = conn
        .prepare_cached(sql::TAG_KEYS)
        .and_then(|mut stmt| stmt.query_map([meeting_seq], |row| row.get(0))?.collect())
        .context("reading tag keys")?;
    let mut added = HashSet::new();
    for tag in tags {
        if !existing.contains(&tag.key) {
            added.insert(tag.key.as_str());
        }
    }
    if existing.len() + added.len() > max_tags {
        return Ok(TagOutcome::TooManyTags);
    }
    insert(conn, meeting_seq, tags)?;
    Ok(TagOutcome::Tagged)
}

pub(crate) fn untag(conn: &Connection, meeting_seq: i64, keys: &[String]) -> StoreResult<()> {
    let mut stmt = conn
        .prepare_cached(sql::DELETE_TAG)
        .context("removing tags")?;
    for key in keys {
        stmt.execute(params![meeting_seq, key])
            .context("removing a tag")?;
    }
    Ok(())
}

pub(crate) fn list(conn: &Connection, meeting_seq: i64) -> StoreResult<Vec<Tag>> {
    conn.prepare_cached(sql::LIST_TAGS)
        .and_then(|mut stmt| stmt.query_map([meeting_seq], rows::tag)?.collect())
        .context("listing tags")
}

pub(crate) fn delete_all(conn: &Connection, meeting_seq: i64) -> StoreResult<()> {
    conn.prepare_cached(sql::DELETE_MEETING_TAGS)
        .and_then(|mut stmt| stmt.execute([meeting_seq]))
        .context("deleting a meeting's tags")?;
    Ok(())
}
