//! Tags of meetings and of attendees, inside the caller's transaction with the meeting's row
//! locked. Both kinds work the same way; [`Owner`] holds the statements of each, and the owner is
//! named by its row key (`seq`). How tags merge is [`rules::merge_tags`]'s.

use carillon_core::store::rules;
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

/// Stores a new owner's tags (no cap: creation, where the request's size was checked).
pub(crate) async fn insert(
    tx: &Transaction<'_>,
    owner: &Owner,
    seq: i64,
    tags: Vec<Tag>,
) -> StoreResult<()> {
    upsert(tx, owner, seq, &rules::dedup_tags(tags)).await
}

/// Adds or overwrites tags unless the owner would end up with more than `max_tags`.
pub(crate) async fn tag(
    tx: &Transaction<'_>,
    owner: &Owner,
    seq: i64,
    tags: Vec<Tag>,
    max_tags: usize,
) -> StoreResult<TagOutcome> {
    let existing = query(tx, owner.keys, &[&seq], "reading tag keys")
        .await?
        .iter()
        .map(|row| rows::get(row, 0))
        .collect::<StoreResult<Vec<String>>>()?;
    let Some(tags) = rules::merge_tags(existing, tags, max_tags) else {
        return Ok(TagOutcome::TooManyTags);
    };
    upsert(tx, owner, seq, &tags).await?;
    Ok(TagOutcome::Tagged)
}

/// Adds or overwrites these tags, each key given once.
async fn upsert(tx: &Transaction<'_>, owner: &Owner, seq: i64, tags: &[Tag]) -> StoreResult<()> {
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
