//! [`Store`] for [`PgStore`]: each write is one transaction that locks the meeting's row first
//! (`with_meeting!`), each read one statement; the `meetings`, `attendees` and `tags` functions
//! hold the statements. A write that causes events (`recorded!`) writes them before it commits;
//! the outbox's own operations are in `events` and `deliveries`.

use async_trait::async_trait;
use carillon_core::clock::now_ms;
use carillon_core::events::outbox::{
    Claim, ClientEvent, DeadLetter, Delivery, DeliveryKey, EventPosition, EventRouting, Settlement,
    StoredEvent,
};
use carillon_core::store::rules::{self, caused};
use carillon_core::transcription::TranscriptionConfiguration;
use carillon_core::{
    AttendeeCapabilities, AttendeeLookup, AttendeeOutcome, AttendeePage, AttendeeRecord,
    CreateMeetingOutcome, EndedMeeting, JoinLookup, LifecyclePolicy, LiveChange, MeetingEvent,
    MeetingPage, MeetingRecord, NewAttendee, NewMeeting, PresenceMark, Scope, Store, StoreResult,
    Tag, TagOutcome,
};

use carillon_core::store::admin::{
    ImportRefusal, Imported, MeetingFilter, StoredAttendee, StoredMeeting,
};
use carillon_core::Page;

use crate::error::Context;
use crate::{
    admin, attendees, db, deliveries, events, lifecycle, live, meetings, rows, sql, tags, PgStore,
};

#[macro_use]
mod tx;
mod writes;

use tx::{begin, commit, with_attendee};

#[async_trait]
impl Store for PgStore {
    async fn create_meeting(
        &self,
        meeting: NewMeeting,
        attendees: Vec<NewAttendee>,
    ) -> StoreResult<CreateMeetingOutcome> {
        self.create_meeting_recorded(meeting, attendees).await
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
        recorded!(self, self.pending(), |tx, events| {
            meetings::end(&tx, scope, meeting_id, now_ms, &mut events).await?
        })
    }

    async fn create_attendees(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendees: Vec<NewAttendee>,
    ) -> StoreResult<Option<Vec<AttendeeOutcome>>> {
        with_meeting_recorded!(self, scope, meeting_id, |tx, meeting, events| {
            let outcomes = attendees::create_in(&tx, &meeting, attendees).await?;
            events.caused(|m| caused::attendees_added(m, &outcomes, now_ms()));
            outcomes
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
        let deleted = with_meeting_recorded!(self, scope, meeting_id, |tx, meeting, events| {
            let deleted = attendees::delete(&tx, &meeting, attendee_id).await?;
            if let Some(attendee) = &deleted {
                events.caused(|m| caused::attendee_deleted(m, attendee, now_ms()));
            }
            deleted.map(drop)
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
        let updated = with_meeting_recorded!(self, scope, meeting_id, |tx, meeting, events| {
            let updated =
                attendees::update_capabilities(&tx, &meeting, attendee_id, &capabilities).await?;
            if let Some(attendee) = &updated {
                let updated = std::slice::from_ref(attendee);
                events.caused(|m| caused::capabilities_updated(m, updated, now_ms()));
                let change = LiveChange::CapabilitiesChanged {
                    meeting_id: meeting.meeting_id.clone(),
                };
                live::notify(&tx, &change).await?;
            }
            updated
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
        with_meeting_recorded!(self, scope, meeting_id, |tx, meeting, events| {
            let updated = attendees::update_capabilities_except(
                &tx,
                &meeting,
                excluded_attendee_ids,
                &capabilities,
                events.records(),
            )
            .await?;
            events.caused(|m| caused::capabilities_updated(m, &updated, now_ms()));
            let change = LiveChange::CapabilitiesChanged {
                meeting_id: meeting.meeting_id.clone(),
            };
            live::notify(&tx, &change).await?;
        })
    }

    async fn set_transcription(
        &self,
        scope: &Scope,
        meeting_id: &str,
        configuration: Option<TranscriptionConfiguration>,
    ) -> StoreResult<Option<()>> {
        self.set_transcription_recorded(scope, meeting_id, configuration)
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
        recorded!(self, self.pending(), |tx, events| {
            lifecycle::end_expired(&tx, now_ms, policy, &mut events).await?
        })
    }

    fn set_event_routing(&self, routing: EventRouting) {
        self.set_routing(routing);
    }

    async fn record_events(&self, events: Vec<MeetingEvent>) -> StoreResult<()> {
        self.log_meeting_events(events).await
    }

    async fn record_client_events(&self, events: Vec<ClientEvent>) -> StoreResult<()> {
        self.log_client_events(events).await
    }

    async fn events_after(
        &self,
        after: EventPosition,
        limit: usize,
    ) -> StoreResult<Vec<StoredEvent>> {
        self.run(async |client| events::after(&*client, after, limit).await)
            .await
    }

    async fn last_event_position(&self) -> StoreResult<EventPosition> {
        self.run(async |client| events::last_position(&*client).await)
            .await
    }

    async fn claim_deliveries(&self, claim: &Claim) -> StoreResult<Vec<Delivery>> {
        transaction!(self, |tx| deliveries::claim(&tx, claim).await?)
    }

    async fn settle_deliveries(&self, settlements: Vec<Settlement>) -> StoreResult<()> {
        self.run(async |client| deliveries::settle(&*client, &settlements).await)
            .await
    }

    async fn dead_letters(
        &self,
        after: Option<DeliveryKey>,
        limit: usize,
    ) -> StoreResult<Vec<DeadLetter>> {
        self.run(async |client| deliveries::dead_letters(&*client, after.as_ref(), limit).await)
            .await
    }

    async fn replay_dead_letters(
        &self,
        keys: Option<Vec<DeliveryKey>>,
        now_ms: i64,
    ) -> StoreResult<u64> {
        self.run(async |client| deliveries::replay(&*client, keys.as_deref(), now_ms).await)
            .await
    }

    async fn prune_events(&self, before_ms: i64, limit: usize) -> StoreResult<u64> {
        self.run(async |client| deliveries::prune(&*client, before_ms, limit).await)
            .await
    }

    fn events_logged(&self) -> tokio::sync::watch::Receiver<u64> {
        self.logged.subscribe()
    }

    fn changes(&self) -> tokio::sync::broadcast::Receiver<LiveChange> {
        self.changes.subscribe()
    }
    async fn admin_meetings(
        &self,
        filter: &MeetingFilter,
        after: Option<i64>,
        limit: usize,
    ) -> StoreResult<Page<StoredMeeting>> {
        self.run(async |client| admin::meetings(&*client, filter, after, limit).await)
            .await
    }

    async fn admin_meeting(&self, meeting_id: &str) -> StoreResult<Option<(StoredMeeting, u64)>> {
        let meeting_id = meeting_id.to_ascii_lowercase();
        self.run(async |client| admin::meeting_with_events(&*client, &meeting_id).await)
            .await
    }

    async fn admin_attendees(
        &self,
        meeting_id: &str,
        after: Option<i64>,
        limit: usize,
    ) -> StoreResult<Option<Page<StoredAttendee>>> {
        let meeting_id = meeting_id.to_ascii_lowercase();
        self.run(async |client| admin::attendees(&*client, &meeting_id, after, limit).await)
            .await
    }

    async fn is_empty(&self) -> StoreResult<bool> {
        self.run(async |client| admin::is_empty(&*client).await)
            .await
    }

    async fn reset(&self) -> StoreResult<()> {
        transaction!(self, |tx| admin::reset(&tx).await?)
    }

    /// A refused batch is rolled back (the transaction is dropped uncommitted).
    async fn import(&self, items: Vec<Imported>) -> StoreResult<Result<(), ImportRefusal>> {
        if items.is_empty() {
            return Ok(Ok(()));
        }
        self.run(async |client| {
            let tx = begin(client).await?;
            let outcome = admin::import(&tx, items).await?;
            if outcome.is_ok() {
                commit(tx).await?;
            }
            Ok(outcome)
        })
        .await
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
