//! Tags of meetings and of attendees, inside the caller's transaction with the meeting's row
//! locked. Both kinds work the same way; [`Owner`] holds the statements of each, and the owner is
//! named by its row key (`seq`).

use std::collections::HashSet;

use carillon_core::{StoreResult, Tag, TagOutcome};
use deadpool_postgres::{GenericClient, Transaction};

use crate::db::{execute, query};
use crate::{rows, sql};

/// The statements for one kind of tagged row; `$1` is always the owner's `seq`.
pub(crate) struct Owner {
    keys: &'static str,
    upsert: &'static str,
    delete: &'static str,
    list: &'static str,
}

pub(crate) const MEETING: Owner = Owner {
    keys: sql::TAG_KEYS,
    upsert: sql::UPSERT_TAG,
    delete: sql::DELETE_TAGS,
    list: sql::LIST_TAGS,
};

pub(crate) const ATTENDEE: Owner = Owner {
    keys: sql::ATTENDEE_TAG_KEYS,
    upsert: sql::UPSERT_ATTENDEE_TAG,
    delete: sql::DELETE_ATTENDEE_TAGS,
    list: sql::LIST_ATTENDEE_TAGS,
};

/// Adds or overwrites tags without a cap (creation, where the caller has checked the count). A
/// repeated key keeps its first place and takes its last value.
pub(crate) async fn insert(
    tx: &Transaction<'_>,
    owner: &Owner,
    seq: i64,
    tags: &[Tag],
) -> StoreResult<()> {
    for tag in tags {
        execute(
            tx,
            owner.upsert,
            &[&seq, &tag.key, &tag.value],
            "storing a tag",
        )
        .await?;
    }
    Ok(())
}

/// Adds or overwrites tags unless the owner would end up with more than `max_tags`.
pub(crate) async fn tag(
    tx: &Transaction<'_>,
    owner: &Owner,
    seq: i64,
    tags: &[Tag],
    max_tags: usize,
) -> StoreResult<TagOutcome> {
    let rows = query(tx, owner.keys, &[&seq], "reading tag keys").await?;
    let existing: HashSet<String> = rows.iter().map(|row| row.get(0)).collect();
    let added: HashSet<&str> = tags
        .iter()
        .map(|t| t.key.as_str())
        .filter(|k| !existing.contains(*k))
        .collect();
    if existing.len() + added.len() > max_tags {
        return Ok(TagOutcome::TooManyTags);
    }
    insert(tx, owner, seq, tags).await?;
    Ok(TagOutcome::Tagged)
}

/// Removes the tags with these keys; absent keys are fine.
pub(crate) async fn untag(
    tx: &Transaction<'_>,
    owner: &Owner,
    seq: i64,
    keys: &[String],
) -> StoreResult<()> {
    execute(tx, owner.delete, &[&seq, &keys], "removing tags").await?;
    Ok(())
}

/// The tags in the order their keys were first set.
pub(crate) async fn list<C: GenericClient>(
    c: &C,
    owner: &Owner,
    seq: i64,
) -> StoreResult<Vec<Tag>> {
    query(c, owner.list, &[&seq], "listing tags")
        .await?
        .iter()
        .map(rows::tag)
        .collect()
}

/// Deletes a meeting's own tags (its attendees' go with their rows).
pub(crate) async fn delete_all(tx: &Transaction<'_>, meeting_seq: i64) -> StoreResult<()> {
    execute(
        tx,
        sql::DELETE_MEETING_TAGS,
        &[&meeting_seq],
        "deleting a meeting's tags",
    )
    .await?;
    Ok(())
}
