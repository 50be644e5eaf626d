//! Tags of meetings and of attendees, each operation run on one connection inside the caller's
//! transaction. Both kinds work the same way; [`Owner`] holds the statements of each, and the
//! owner is named by its row key (`seq`).

use std::collections::HashSet;

use carillon_core::{StoreResult, Tag, TagOutcome};
use rusqlite::{params, Connection};

use crate::error::Context;
use crate::rows;
use crate::sql;

/// The statements for one kind of tagged row; `?1` is always the owner's `seq`.
pub(crate) struct Owner {
    keys: &'static str,
    upsert: &'static str,
    delete: &'static str,
    list: &'static str,
}

pub(crate) const MEETING: Owner = Owner {
    keys: sql::TAG_KEYS,
    upsert: sql::UPSERT_TAG,
    delete: sql::DELETE_TAG,
    list: sql::LIST_TAGS,
};

pub(crate) const ATTENDEE: Owner = Owner {
    keys: sql::ATTENDEE_TAG_KEYS,
    upsert: sql::UPSERT_ATTENDEE_TAG,
    delete: sql::DELETE_ATTENDEE_TAG,
    list: sql::LIST_ATTENDEE_TAGS,
};

/// Adds or overwrites tags without a cap (creation, where the caller has checked the count). A
/// repeated key keeps its first place and takes its last value.
pub(crate) fn insert(conn: &Connection, owner: &Owner, seq: i64, tags: &[Tag]) -> StoreResult<()> {
    if tags.is_empty() {
        return Ok(());
    }
    let mut stmt = conn.prepare_cached(owner.upsert).context("storing tags")?;
    for tag in tags {
        stmt.execute(params![seq, tag.key, tag.value])
            .context("storing a tag")?;
    }
    Ok(())
}

/// Adds or overwrites tags unless the owner would end up with more than `max_tags`.
pub(crate) fn tag(
    conn: &Connection,
    owner: &Owner,
    seq: i64,
    tags: &[Tag],
    max_tags: usize,
) -> StoreResult<TagOutcome> {
    let existing: HashSet<String> = conn
        .prepare_cached(owner.keys)
        .and_then(|mut stmt| stmt.query_map([seq], |row| row.get(0))?.collect())
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
    insert(conn, owner, seq, tags)?;
    Ok(TagOutcome::Tagged)
}

/// Removes the tags with these keys; absent keys are fine.
pub(crate) fn untag(
    conn: &Connection,
    owner: &Owner,
    seq: i64,
    keys: &[String],
) -> StoreResult<()> {
    let mut stmt = conn.prepare_cached(owner.delete).context("removing tags")?;
    for key in keys {
        stmt.execute(params![seq, key]).context("removing a tag")?;
    }
    Ok(())
}

/// The tags in the order their keys were first set.
pub(crate) fn list(conn: &Connection, owner: &Owner, seq: i64) -> StoreResult<Vec<Tag>> {
    conn.prepare_cached(owner.list)
        .and_then(|mut stmt| stmt.query_map([seq], rows::tag)?.collect())
        .context("listing tags")
}

/// Deletes a meeting's own tags (its attendees' go with their rows).
pub(crate) fn delete_all(conn: &Connection, meeting_seq: i64) -> StoreResult<()> {
    conn.prepare_cached(sql::DELETE_MEETING_TAGS)
        .and_then(|mut stmt| stmt.execute([meeting_seq]))
        .context("deleting a meeting's tags")?;
    Ok(())
}
