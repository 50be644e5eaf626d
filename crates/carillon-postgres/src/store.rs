//! [`Store`] for [`PgStore`]: each write is one transaction that locks the meeting's row first
//! (`with_meeting!`), each read one statement; the `meetings`, `attendees` and `tags` functions
//! hold the statements.

use std::future::Future;

use async_trait::async_trait;
use carillon_core::store::rules::{self, ActiveMeeting};
use carillon_core::transcription::TranscriptionConfiguration;
use carillon_core::{
    AttendeeCapabilities, AttendeeLookup, AttendeeOutcome, AttendeePage, AttendeeRecord,
    CreateMeetingOutcome, EndedMeeting, JoinLookup, LifecyclePolicy, LiveChange, MeetingPage,
    MeetingRecord, NewAttendee, NewMeeting, PresenceMark, Scope, Store, StoreError, StoreResult,
    Tag, TagOutcome,
};
use deadpool_postgres::Object;

use crate::error::Context;
use crate::{attendees, db, lifecycle, meetings, rows, sql, tags, PgStore};

async fn begin(client: &mut Object) -> StoreResult<deadpool_postgres::Transaction<'_>> {
    client.transaction().await.context("starting a transaction")
}

async fn commit(tx: deadpool_postgres::Transaction<'_>) -> StoreResult<()> {
    tx.commit().await.context("committing")
}

/// Runs `$body` in a transaction on a pooled connection, within the operation timeout; `$tx`
/// names the transaction inside `$body`. A body that fails (`?`) rolls back.
macro_rules! transaction {
    ($store:expr, |$tx:ident| $body:expr) => {
        $store
            .run(async |client| {
                let $tx = begin(client).await?;
                let value = $body;
                commit($tx).await?;
                Ok(value)
            })
            .await
    };
}

/// Runs `$body` with `$meeting` the locked active meeting of the scope, in a transaction: its
/// value, or `None` when the scope has no such active meeting.
macro_rules! with_meeting {
    ($store:expr, $scope:expr, $meeting_id:expr, |$tx:ident, $meeting:ident| $body:expr) => {
        transaction!(
            $store,
            |$tx| match meetings::lock(&$tx, $scope, $meeting_id).await? {
                Some($meeting) => Some($body),
                None => None,
            }
        )
    };
}

/// Runs `op` on the key of an attendee of the locked meeting; `None` when the meeting has no
/// such attendee.
async fn with_attendee<T, F, Fut>(
    tx: &deadpool_postgres::Transaction<'_>,
    meeting: &ActiveMeeting,
    attendee_id: &str,
    op: F,
) -> StoreResult<Option<T>>
where
    F: FnOnce(i64) -> Fut,
    Fut: Future<Output = StoreResult<T>>,
{
    match attendees::seq(tx, meeting, attendee_id).await? {
        Some(seq) => op(seq).await.map(Some),
        None => Ok(None),
    }
}

#[async_trait]
impl Store for PgStore {
    async fn create_meeting(
        &self,
        meeting: NewMeeting,
        attendees: Vec<NewAttendee>,
    ) -> StoreResult<CreateMeetingOutcome> {
        let scope = meeting.record.scope.clone();
        let token = meeting.record.client_request_token.clone();
        let created = self
            .run(async |client| {
                let tx = begin(client).await?;
                let created = meetings::create(&tx, meeting, attendees).await?;
                // Dropping the transaction instead rolls it back.
                if created.is_some() {
                    commit(tx).await?;
                }
                Ok(created)
            })
            .await?;
        if let Some(outcome) = created {
            return Ok(outcome);
        }
        // Another node took the token between this one's lookup and insert: answer with the
        // meeting it created, as a replay.
        let meeting = self
            .run(async |client| meetings::by_token(&*client, &scope, &token).await)
            .await?
            .ok_or_else(|| StoreError::new("postgres: a ClientRequestToken raced and vanished"))?;
        Ok(CreateMeetingOutcome::Replayed { meeting })
    }

    async fn get_meeting(
        &self,
        scope: &Scope,
        meeting_id: &str,
    ) -> StoreResult<Option<MeetingRecord>> {
        self.run(async |client| meetings::get(&*client, scope, meeting_id).await)
            .await
    }

    async fn end_meeting(
        &self,
        scope: &Scope,
        meeting_id: &str,
        now_ms: i64,
    ) -> StoreResult<Option<()>> {
        transaction!(self, |tx| meetings::end(&tx, scope, meeting_id, now_ms)
            .await?)
    }

    async fn create_attendees(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendees: Vec<NewAttendee>,
    ) -> StoreResult<Option<Vec<AttendeeOutcome>>> {
        with_meeting!(self, scope, meeting_id, |tx, meeting| {
            attendees::create_in(&tx, &meeting, attendees).await?
        })
    }

    /// One statement: the meeting and its attendee are one snapshot.
    async fn get_attendee(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendee_id: &str,
    ) -> StoreResult<AttendeeLookup<AttendeeRecord>> {
        self.run(async |client| {
            let row = db::query_opt(
                &*client,
                sql::GET_ATTENDEE,
                &[
                    &meeting_id,
                    &scope.account_id,
                    &scope.namespace.as_str(),
                    &attendee_id,
                ],
                "reading an attendee",
            )
            .await?;
            let found = row
                .map(|row| rows::attendee(&row, meeting_id))
                .transpose()?;
            Ok(AttendeeLookup::from(found))
        })
        .await
    }

    /// One statement: no row at all when the meeting is not active.
    async fn list_attendees(
        &self,
        scope: &Scope,
        meeting_id: &str,
        after: Option<i64>,
        limit: usize,
    ) -> StoreResult<Option<AttendeePage>> {
        let rows = self
            .run(async |client| {
                db::query(
                    &*client,
                    sql::LIST_ATTENDEES,
                    &[
                        &meeting_id,
                        &scope.account_id,
                        &scope.namespace.as_str(),
                        &after.unwrap_or(0),
                        &rules::rows_for_page(limit),
                    ],
                    "listing attendees",
                )
                .await
            })
            .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        let mut attendees = Vec::with_capacity(rows.len());
        for row in &rows {
            if let Some(attendee) = rows::attendee(row, meeting_id)? {
                attendees.push((attendee, rows::get(row, 4)?));
            }
        }
        Ok(Some(rules::page(attendees, limit, after)))
    }

    async fn delete_attendee(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendee_id: &str,
    ) -> StoreResult<AttendeeLookup<()>> {
        let deleted = with_meeting!(self, scope, meeting_id, |tx, meeting| {
            attendees::delete(&tx, &meeting, attendee_id).await?
        });
        deleted.map(AttendeeLookup::from)
    }

    async fn update_attendee_capabilities(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendee_id: &str,
        capabilities: AttendeeCapabilities,
    ) -> StoreResult<AttendeeLookup<AttendeeRecord>> {
        let updated = with_meeting!(self, scope, meeting_id, |tx, meeting| {
            attendees::update_capabilities(&tx, &meeting, attendee_id, &capabilities).await?
        });
        updated.map(AttendeeLookup::from)
    }

    async fn update_capabilities_except(
        &self,
        scope: &Scope,
        meeting_id: &str,
        excluded_attendee_ids: &[String],
        capabilities: AttendeeCapabilities,
    ) -> StoreResult<Option<()>> {
        with_meeting!(self, scope, meeting_id, |tx, meeting| {
            attendees::update_capabilities_except(
                &tx,
                &meeting,
                excluded_attendee_ids,
                &capabilities,
            )
            .await?
        })
    }

    async fn set_transcription(
        &self,
        scope: &Scope,
        meeting_id: &str,
        configuration: Option<TranscriptionConfiguration>,
    ) -> StoreResult<Option<()>> {
        self.run(async |client| {
            meetings::set_transcription(&*client, scope, meeting_id, configuration.as_ref()).await
        })
        .await
    }

    async fn tag_meeting(
        &self,
        scope: &Scope,
        meeting_id: &str,
        tags: Vec<Tag>,
        max_tags: usize,
    ) -> StoreResult<Option<TagOutcome>> {
        with_meeting!(self, scope, meeting_id, |tx, meeting| {
            tags::tag(&tx, &tags::MEETING, meeting.seq, tags, max_tags).await?
        })
    }

    async fn untag_meeting(
        &self,
        scope: &Scope,
        meeting_id: &str,
        keys: Vec<String>,
    ) -> StoreResult<Option<()>> {
        with_meeting!(self, scope, meeting_id, |tx, meeting| {
            tags::untag(&tx, &tags::MEETING, meeting.seq, &keys).await?
        })
    }

    async fn list_meeting_tags(
        &self,
        scope: &Scope,
        meeting_id: &str,
    ) -> StoreResult<Option<Vec<Tag>>> {
        self.run(
            async |client| match meetings::active_seq(&*client, scope, meeting_id).await? {
                Some(seq) => Ok(Some(tags::list(&*client, &tags::MEETING, seq).await?)),
                None => Ok(None),
            },
        )
        .await
    }

    async fn list_meetings(
        &self,
        scope: &Scope,
        after: Option<i64>,
        limit: usize,
    ) -> StoreResult<MeetingPage> {
        self.run(async |client| meetings::list(&*client, scope, after, limit).await)
            .await
    }

    async fn tag_attendee(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendee_id: &str,
        tags: Vec<Tag>,
        max_tags: usize,
    ) -> StoreResult<AttendeeLookup<TagOutcome>> {
        let tagged = with_meeting!(self, scope, meeting_id, |tx, meeting| {
            with_attendee(&tx, &meeting, attendee_id, |seq| {
                tags::tag(&tx, &tags::ATTENDEE, seq, tags, max_tags)
            })
            .await?
        });
        tagged.map(AttendeeLookup::from)
    }

    async fn untag_attendee(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendee_id: &str,
        keys: Vec<String>,
    ) -> StoreResult<AttendeeLookup<()>> {
        let untagged = with_meeting!(self, scope, meeting_id, |tx, meeting| {
            with_attendee(&tx, &meeting, attendee_id, |seq| {
                let (tx, keys) = (&tx, &keys);
                async move { tags::untag(tx, &tags::ATTENDEE, seq, keys).await }
            })
            .await?
        });
        untagged.map(AttendeeLookup::from)
    }

    /// In a transaction so that the meeting, the attendee and the tags are one snapshot... and
    /// a concurrent delete of the attendee waits for it or is seen whole.
    async fn list_attendee_tags(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendee_id: &str,
    ) -> StoreResult<AttendeeLookup<Vec<Tag>>> {
        let listed = with_meeting!(self, scope, meeting_id, |tx, meeting| {
            with_attendee(&tx, &meeting, attendee_id, |seq| {
                let tx = &tx;
                async move { tags::list(tx, &tags::ATTENDEE, seq).await }
            })
            .await?
        });
        listed.map(AttendeeLookup::from)
    }

    async fn join_lookup(&self, meeting_id: &str, attendee_id: &str) -> StoreResult<JoinLookup> {
        self.run(async |client| meetings::join_lookup(&*client, meeting_id, attendee_id).await)
            .await
    }

    async fn mark_presence(&self, marks: &[PresenceMark]) -> StoreResult<()> {
        if marks.is_empty() {
            return Ok(());
        }
        transaction!(self, |tx| lifecycle::mark_presence(&tx, marks).await?)
    }

    async fn end_expired(
        &self,
        now_ms: i64,
        policy: &LifecyclePolicy,
    ) -> StoreResult<Vec<EndedMeeting>> {
        transaction!(self, |tx| lifecycle::end_expired(&tx, now_ms, policy)
            .await?)
    }

    fn changes(&self) -> tokio::sync::broadcast::Receiver<LiveChange> {
        self.changes.subscribe()
    }

    async fn ping(&self) -> StoreResult<()> {
        self.run(async |client| {
            client
                .simple_query("SELECT 1")
                .await
                .context("ping")
                .map(drop)
        })
        .await
    }
}
