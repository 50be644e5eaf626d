//! A [`Store`] that times every call of another store and counts its failures
//! (`carillon_store_duration_seconds`, `carillon_store_errors_total`, labelled by the method's
//! name). It only delegates: answers such as "not found" are successful calls; only a
//! [`StoreError`](carillon_core::StoreError) counts as an error.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use carillon_core::events::outbox::{
    Claim, ClientEvent, DeadLetter, Delivery, DeliveryKey, EventPosition, EventRouting, Settlement,
    StoredEvent,
};
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

use crate::metrics::Metrics;

/// Wraps the store given to [`carillon_core::MeetingService`], recording into `metrics`.
pub struct MeteredStore {
    inner: Arc<dyn Store>,
    metrics: Arc<Metrics>,
}

impl MeteredStore {
    pub fn new(inner: Arc<dyn Store>, metrics: Arc<Metrics>) -> Self {
        MeteredStore { inner, metrics }
    }

    /// Awaits one call of the inner store and records its duration and success under `method`.
    async fn timed<T>(
        &self,
        method: &'static str,
        call: impl Future<Output = StoreResult<T>>,
    ) -> StoreResult<T> {
        let started = Instant::now();
        let result = call.await;
        self.metrics
            .observe_store(method, started.elapsed(), result.is_ok());
        result
    }
}

#[async_trait]
impl Store for MeteredStore {
    async fn create_meeting(
        &self,
        meeting: NewMeeting,
        attendees: Vec<NewAttendee>,
    ) -> StoreResult<CreateMeetingOutcome> {
        let call = self.inner.create_meeting(meeting, attendees);
        self.timed("create_meeting", call).await
    }

    async fn get_meeting(
        &self,
        scope: &Scope,
        meeting_id: &str,
    ) -> StoreResult<Option<MeetingRecord>> {
        let call = self.inner.get_meeting(scope, meeting_id);
        self.timed("get_meeting", call).await
    }

    async fn end_meeting(
        &self,
        scope: &Scope,
        meeting_id: &str,
        now_ms: i64,
    ) -> StoreResult<Option<()>> {
        let call = self.inner.end_meeting(scope, meeting_id, now_ms);
        self.timed("end_meeting", call).await
    }

    async fn create_attendees(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendees: Vec<NewAttendee>,
    ) -> StoreResult<Option<Vec<AttendeeOutcome>>> {
        let call = self.inner.create_attendees(scope, meeting_id, attendees);
        self.timed("create_attendees", call).await
    }

    async fn get_attendee(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendee_id: &str,
    ) -> StoreResult<AttendeeLookup<AttendeeRecord>> {
        let call = self.inner.get_attendee(scope, meeting_id, attendee_id);
        self.timed("get_attendee", call).await
    }

    async fn list_attendees(
        &self,
        scope: &Scope,
        meeting_id: &str,
        after: Option<i64>,
        limit: usize,
    ) -> StoreResult<Option<AttendeePage>> {
        let call = self.inner.list_attendees(scope, meeting_id, after, limit);
        self.timed("list_attendees", call).await
    }

    async fn delete_attendee(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendee_id: &str,
    ) -> StoreResult<AttendeeLookup<()>> {
        let call = self.inner.delete_attendee(scope, meeting_id, attendee_id);
        self.timed("delete_attendee", call).await
    }

    async fn update_attendee_capabilities(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendee_id: &str,
        capabilities: AttendeeCapabilities,
    ) -> StoreResult<AttendeeLookup<AttendeeRecord>> {
        let call =
            self.inner
                .update_attendee_capabilities(scope, meeting_id, attendee_id, capabilities);
        self.timed("update_attendee_capabilities", call).await
    }

    async fn update_capabilities_except(
        &self,
        scope: &Scope,
        meeting_id: &str,
        excluded_attendee_ids: &[String],
        capabilities: AttendeeCapabilities,
    ) -> StoreResult<Option<()>> {
        let call = self.inner.update_capabilities_except(
            scope,
            meeting_id,
            excluded_attendee_ids,
            capabilities,
        );
        self.timed("update_capabilities_except", call).await
    }

    async fn set_transcription(
        &self,
        scope: &Scope,
        meeting_id: &str,
        configuration: Option<TranscriptionConfiguration>,
    ) -> StoreResult<Option<()>> {
        let call = self
            .inner
            .set_transcription(scope, meeting_id, configuration);
        self.timed("set_transcription", call).await
    }

    async fn tag_meeting(
        &self,
        scope: &Scope,
        meeting_id: &str,
        tags: Vec<Tag>,
        max_tags: usize,
    ) -> StoreResult<Option<TagOutcome>> {
        let call = self.inner.tag_meeting(scope, meeting_id, tags, max_tags);
        self.timed("tag_meeting", call).await
    }

    async fn untag_meeting(
        &self,
        scope: &Scope,
        meeting_id: &str,
        keys: Vec<String>,
    ) -> StoreResult<Option<()>> {
        let call = self.inner.untag_meeting(scope, meeting_id, keys);
        self.timed("untag_meeting", call).await
    }

    async fn list_meeting_tags(
        &self,
        scope: &Scope,
        meeting_id: &str,
    ) -> StoreResult<Option<Vec<Tag>>> {
        let call = self.inner.list_meeting_tags(scope, meeting_id);
        self.timed("list_meeting_tags", call).await
    }

    async fn list_meetings(
        &self,
        scope: &Scope,
        after: Option<i64>,
        limit: usize,
    ) -> StoreResult<MeetingPage> {
        let call = self.inner.list_meetings(scope, after, limit);
        self.timed("list_meetings", call).await
    }

    async fn tag_attendee(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendee_id: &str,
        tags: Vec<Tag>,
        max_tags: usize,
    ) -> StoreResult<AttendeeLookup<TagOutcome>> {
        let call = self
            .inner
            .tag_attendee(scope, meeting_id, attendee_id, tags, max_tags);
        self.timed("tag_attendee", call).await
    }

    async fn untag_attendee(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendee_id: &str,
        keys: Vec<String>,
    ) -> StoreResult<AttendeeLookup<()>> {
        let call = self
            .inner
            .untag_attendee(scope, meeting_id, attendee_id, keys);
        self.timed("untag_attendee", call).await
    }

    async fn list_attendee_tags(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendee_id: &str,
    ) -> StoreResult<AttendeeLookup<Vec<Tag>>> {
        let call = self
            .inner
            .list_attendee_tags(scope, meeting_id, attendee_id);
        self.timed("list_attendee_tags", call).await
    }

    async fn join_lookup(&self, meeting_id: &str, attendee_id: &str) -> StoreResult<JoinLookup> {
        let call = self.inner.join_lookup(meeting_id, attendee_id);
        self.timed("join_lookup", call).await
    }

    async fn mark_presence(&self, marks: &[PresenceMark]) -> StoreResult<()> {
        self.timed("mark_presence", self.inner.mark_presence(marks))
            .await
    }

    async fn end_expired(
        &self,
        now_ms: i64,
        policy: &LifecyclePolicy,
    ) -> StoreResult<Vec<EndedMeeting>> {
        let call = self.inner.end_expired(now_ms, policy);
        self.timed("end_expired", call).await
    }

    fn set_event_routing(&self, routing: EventRouting) {
        self.inner.set_event_routing(routing);
    }

    async fn record_events(&self, events: Vec<MeetingEvent>) -> StoreResult<()> {
        self.timed("record_events", self.inner.record_events(events))
            .await
    }

    async fn record_client_events(&self, events: Vec<ClientEvent>) -> StoreResult<()> {
        let call = self.inner.record_client_events(events);
        self.timed("record_client_events", call).await
    }

    async fn events_after(
        &self,
        after: EventPosition,
        limit: usize,
    ) -> StoreResult<Vec<StoredEvent>> {
        let call = self.inner.events_after(after, limit);
        self.timed("events_after", call).await
    }

    async fn last_event_position(&self) -> StoreResult<EventPosition> {
        let call = self.inner.last_event_position();
        self.timed("last_event_position", call).await
    }

    async fn claim_deliveries(&self, claim: &Claim) -> StoreResult<Vec<Delivery>> {
        let call = self.inner.claim_deliveries(claim);
        self.timed("claim_deliveries", call).await
    }

    async fn settle_deliveries(&self, settlements: Vec<Settlement>) -> StoreResult<()> {
        let call = self.inner.settle_deliveries(settlements);
        self.timed("settle_deliveries", call).await
    }

    async fn dead_letters(
        &self,
        after: Option<DeliveryKey>,
        limit: usize,
    ) -> StoreResult<Vec<DeadLetter>> {
        let call = self.inner.dead_letters(after, limit);
        self.timed("dead_letters", call).await
    }

    async fn replay_dead_letters(
        &self,
        keys: Option<Vec<DeliveryKey>>,
        now_ms: i64,
    ) -> StoreResult<u64> {
        let call = self.inner.replay_dead_letters(keys, now_ms);
        self.timed("replay_dead_letters", call).await
    }

    async fn prune_events(&self, before_ms: i64, limit: usize) -> StoreResult<u64> {
        let call = self.inner.prune_events(before_ms, limit);
        self.timed("prune_events", call).await
    }

    fn events_logged(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.events_logged()
    }

    fn changes(&self) -> tokio::sync::broadcast::Receiver<LiveChange> {
        self.inner.changes()
    }

    async fn admin_meetings(
        &self,
        filter: &MeetingFilter,
        after: Option<i64>,
        limit: usize,
    ) -> StoreResult<Page<StoredMeeting>> {
        let call = self.inner.admin_meetings(filter, after, limit);
        self.timed("admin_meetings", call).await
    }

    async fn admin_meeting(&self, meeting_id: &str) -> StoreResult<Option<(StoredMeeting, u64)>> {
        self.timed("admin_meeting", self.inner.admin_meeting(meeting_id))
            .await
    }

    async fn admin_attendees(
        &self,
        meeting_id: &str,
        after: Option<i64>,
        limit: usize,
    ) -> StoreResult<Option<Page<StoredAttendee>>> {
        let call = self.inner.admin_attendees(meeting_id, after, limit);
        self.timed("admin_attendees", call).await
    }

    async fn is_empty(&self) -> StoreResult<bool> {
        self.timed("is_empty", self.inner.is_empty()).await
    }

    async fn reset(&self) -> StoreResult<()> {
        self.timed("reset", self.inner.reset()).await
    }

    async fn import(&self, items: Vec<Imported>) -> StoreResult<Result<(), ImportRefusal>> {
        self.timed("import", self.inner.import(items)).await
    }

    async fn ping(&self) -> StoreResult<()> {
        self.timed("ping", self.inner.ping()).await
    }
}

#[cfg(test)]
mod tests {
    use carillon_core::conformance;
    use carillon_core::StoreError;
    use carillon_sqlite::SqliteStore;

    use super::*;

    /// Every method of [`Store`], as labelled.
    const METHODS: [&str; 36] = [
        "create_meeting",
        "get_meeting",
        "end_meeting",
        "create_attendees",
        "get_attendee",
        "list_attendees",
        "delete_attendee",
        "update_attendee_capabilities",
        "update_capabilities_except",
        "set_transcription",
        "tag_meeting",
        "untag_meeting",
        "list_meeting_tags",
        "list_meetings",
        "tag_attendee",
        "untag_attendee",
        "list_attendee_tags",
        "join_lookup",
        "mark_presence",
        "end_expired",
        "record_events",
        "record_client_events",
        "events_after",
        "last_event_position",
        "claim_deliveries",
        "settle_deliveries",
        "dead_letters",
        "replay_dead_letters",
        "prune_events",
        "admin_meetings",
        "admin_meeting",
        "admin_attendees",
        "is_empty",
        "reset",
        "import",
        "ping",
    ];

    fn metered() -> (Arc<MeteredStore>, Arc<Metrics>) {
        let metrics = Arc::new(Metrics::new());
        let inner = Arc::new(SqliteStore::open_in_memory().expect("in-memory store"));
        (Arc::new(MeteredStore::new(inner, metrics.clone())), metrics)
    }

    fn sample(text: &str, series: &str) -> Option<f64> {
        text.lines().find_map(|line| {
            let value = line.strip_prefix(series)?.strip_prefix(' ')?;
            value.parse().ok()
        })
    }

    fn calls(text: &str, method: &str) -> f64 {
        let series = format!(r#"carillon_store_duration_seconds_count{{method="{method}"}}"#);
        sample(text, &series).unwrap_or(0.0)
    }

    fn errors(text: &str, method: &str) -> Option<f64> {
        sample(
            text,
            &format!(r#"carillon_store_errors_total{{method="{method}"}}"#),
        )
    }

    /// The whole storage conformance suite passes through the wrapper, and every method is
    /// counted under its own name.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn delegates_every_method_and_times_it() {
        let (store, metrics) = metered();
        conformance::run_all(store.clone()).await;
        store.ping().await.expect("ping");

        let text = metrics.render();
        for method in METHODS {
            assert!(calls(&text, method) >= 1.0, "{method} not counted:\n{text}");
            assert_eq!(errors(&text, method), Some(0.0), "{method}");
        }
    }

    #[tokio::test]
    async fn counts_each_call() {
        let (store, metrics) = metered();
        let scope = conformance::new_scope();
        let record = conformance::meeting_record(&scope);
        let meeting_id = record.meeting_id.clone();
        let outcome = store
            .create_meeting(conformance::new_meeting(record), vec![])
            .await
            .expect("create");
        assert!(matches!(outcome, CreateMeetingOutcome::Created { .. }));
        for _ in 0..3 {
            let found = store.get_meeting(&scope, &meeting_id).await.expect("get");
            assert_eq!(found.expect("found").meeting_id, meeting_id);
        }
        // Not found is an answer, not an error.
        assert!(store.get_meeting(&scope, "nope").await.unwrap().is_none());

        let text = metrics.render();
        assert_eq!(calls(&text, "create_meeting"), 1.0);
        assert_eq!(calls(&text, "get_meeting"), 4.0);
        assert_eq!(errors(&text, "get_meeting"), Some(0.0));
        assert_eq!(calls(&text, "end_meeting"), 0.0);
    }

    #[tokio::test]
    async fn counts_store_errors() {
        let (store, metrics) = metered();
        let failed: StoreResult<()> = store
            .timed("ping", async { Err(StoreError::new("disk on fire")) })
            .await;
        assert!(failed.is_err());
        store.ping().await.expect("ping");

        let text = metrics.render();
        assert_eq!(calls(&text, "ping"), 2.0);
        assert_eq!(errors(&text, "ping"), Some(1.0));
    }
}
