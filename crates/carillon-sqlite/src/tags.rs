//! Tags of meetings and of attendees, each operation run on one connection inside the caller's
//! transaction. Both kinds work the same way; [`Owner`] holds the statements of each, and the
//! owner is named by its row key (`seq`). How tags merge is [`rules::merge_tags`]'s.

use carillon_core::store::rules;
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

/// Stores a new owner's tags (no cap: creation, where the request's size was checked).
pub(crate) fn insert(
    conn: &Connection,
    owner: &Owner,
    seq: i64,
    tags: Vec<Tag>,
) -> StoreResult<()> {
    upsert(conn, owner, seq, &rules::dedup_tags(tags))
}

/// Adds or overwrites tags unless the owner would end up with more than `max_tags`.
pub(crate) fn tag(
    conn: &Connection,
    owner: &Owner,
    seq: i64,
    tags: Vec<Tag>,
    max_tags: usize,
) -> StoreResult<TagOutcome> {
    let existing: Vec<String> = conn
        .prepare_cached(owner.keys)
        .and_then(|mut stmt| stmt.query_map([seq], |row| row.get(0))?.collect())
        .context("reading tag keys")?;
    let Some(tags) = rules::merge_tags(existing, tags, max_tags) else {
        return Ok(TagOutcome::TooManyTags);
    };
    upsert(conn, owner, seq, &tags)?;
    Ok(TagOutcome::Tagged)
}

/// Adds or overwrites these tags, each key given once.
fn upsert(conn: &Connection, owner: &Owner, seq: i64, tags: &[Tag]) -> StoreResult<()> {
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
