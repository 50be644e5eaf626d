//! The storage trait: domain-shaped operations, each atomic. Invariants that concurrent requests
//! could break (one meeting per ClientRequestToken, one attendee per ExternalUserId, the attendee
//! cap, the replica cap, the concurrent meeting quota) are enforced inside these operations, never
//! by a read-then-write in the service, so that every backend (embedded SQLite, PostgreSQL behind
//! several nodes) keeps them.
//!
//! What a backend decides is decided once, in [`rules`] (which outcome a creation has, which
//! meetings end together, how tags merge under their cap, where a page ends) and [`rows`] (a
//! meeting as plain column values); a backend holds only its statements and its transactions.

pub mod admin;
pub mod rows;
pub mod rules;

use async_trait::async_trait;

use admin::{ImportRefusal, Imported, MeetingFilter, StoredAttendee, StoredMeeting};

use crate::domain::{AttendeeCapabilities, AttendeeRecord, MeetingRecord, Scope, Tag};
use crate::events::outbox::{
    Claim, ClientEvent, DeadLetter, Delivery, DeliveryKey, EventPosition, EventRouting, Settlement,
    StoredEvent,
};
use crate::events::MeetingEvent;
use crate::lifecycle::{EndedMeeting, LifecyclePolicy, PresenceMark};
use crate::live::LiveChange;
use crate::transcription::TranscriptionConfiguration;

/// A failure of the storage backend itself. Never a client error.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct StoreError {
    message: String,
    unavailable: bool,
}

impl StoreError {
    /// A fault (I/O, corruption, a bug): the request failed and retrying is not expected to help.
    pub fn new(e: impl std::fmt::Display) -> Self {
        StoreError {
            message: e.to_string(),
            unavailable: false,
        }
    }

    /// The backend cannot be reached or is saturated (a database restarting, no free pooled
    /// connection in time): the request did nothing, or what it did is safe to retry, and a
    /// retry later is expected to succeed. Answered 503 `ServiceUnavailableException`.
    pub fn unavailable(e: impl std::fmt::Display) -> Self {
        StoreError {
            message: e.to_string(),
            unavailable: true,
        }
    }

    pub fn is_unavailable(&self) -> bool {
        self.unavailable
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A meeting to create, with the rules that govern its creation.
#[derive(Debug, Clone)]
pub struct NewMeeting {
    pub record: MeetingRecord,
    pub tags: Vec<Tag>,
    /// How many active replicas a primary may have (AWS default 4).
    pub max_replicas: u32,
    /// How many active meetings (replicas included) the scope may hold; `None`: unlimited.
    pub max_active_meetings: Option<u32>,
}

/// An attendee to create, with its tags (attendee tags exist only in the legacy namespace; in the
/// current one `tags` is empty).
#[derive(Debug, Clone)]
pub struct NewAttendee {
    pub record: AttendeeRecord,
    pub tags: Vec<Tag>,
}

impl From<AttendeeRecord> for NewAttendee {
    fn from(record: AttendeeRecord) -> Self {
        NewAttendee {
            record,
            tags: Vec::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub enum CreateMeetingOutcome {
    /// The meeting was created, and the attendees after it.
    Created {
        meeting: MeetingRecord,
        attendees: Vec<AttendeeOutcome>,
    },
    /// The scope already had a meeting with this ClientRequestToken (possibly ended); nothing was
    /// created and the attendees were not attempted.
    Replayed { meeting: MeetingRecord },
    /// `PrimaryMeetingId` names no active meeting of this scope.
    PrimaryNotFound,
    /// `PrimaryMeetingId` names a replica.
    PrimaryIsReplica,
    /// The primary already has `max_replicas` active replicas.
    TooManyReplicas,
    /// The scope already holds `max_active_meetings` active meetings.
    TooManyMeetings,
}

#[derive(Debug, Clone)]
pub enum AttendeeOutcome {
    Created(AttendeeRecord),
    /// An undeleted attendee with the same ExternalUserId already existed and is returned as is.
    Existing(AttendeeRecord),
    /// The meeting already had its maximum number of attendees.
    LimitExceeded {
        external_user_id: String,
    },
}

/// The answer of an operation on one attendee of one meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttendeeLookup<T> {
    Found(T),
    MeetingNotFound,
    AttendeeNotFound,
}

/// The outer `None`: the scope has no such active meeting; the inner one: the meeting has no
/// such attendee. How a backend that looks the meeting up, then the attendee under it, says so.
impl<T> From<Option<Option<T>>> for AttendeeLookup<T> {
    fn from(found: Option<Option<T>>) -> Self {
        match found {
            None => AttendeeLookup::MeetingNotFound,
            Some(None) => AttendeeLookup::AttendeeNotFound,
            Some(Some(value)) => AttendeeLookup::Found(value),
        }
    }
}

/// What the store knows of a meeting and one of its attendees, whatever the scope: a client
/// joining by JoinToken names only these two ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinLookup {
    /// No meeting ever had this id.
    MeetingNotFound,
    /// The meeting has ended.
    MeetingEnded(MeetingRecord),
    /// The meeting is active but has no such attendee (never created, or deleted).
    AttendeeNotFound(MeetingRecord),
    Found(MeetingRecord, AttendeeRecord),
}

/// One page of a list in creation order; [`rules::page`] cuts it.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Position after the last item returned, when more may follow.
    pub next: Option<i64>,
}

impl<T> Page<T> {
    /// The same page with each item converted, or the first conversion that failed.
    pub fn try_map<U, E>(self, convert: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page {
            items: self
                .items
                .into_iter()
                .map(convert)
                .collect::<Result<_, _>>()?,
            next: self.next,
        })
    }
}

pub type AttendeePage = Page<AttendeeRecord>;
pub type MeetingPage = Page<MeetingRecord>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagOutcome {
    Tagged,
    /// The resource would carry more than the allowed number of tags; nothing was changed.
    TooManyTags,
}

/// Absence has one form per kind of operation:
///
/// - on a meeting of a scope (its attendees as a whole, its tags, its state): `Option<T>`, where
///   `None` says the scope has no such active meeting (never created, ended, or another scope's);
/// - on one attendee of a meeting: [`AttendeeLookup<T>`], which says which of the two is missing.
///
/// The other operations name no existing meeting ([`Store::create_meeting`] answers with a
/// [`CreateMeetingOutcome`], [`Store::list_meetings`] with a page), or look past scopes
/// ([`Store::join_lookup`], which also tells an ended meeting from an unknown one).
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Creates the meeting unless [`rules::creation_refusal`] answers otherwise (a replay of its
    /// ClientRequestToken, a refused `PrimaryMeetingId`, the scope at its quota), stores the
    /// tags, then creates `attendees` in order as [`Store::create_attendees`] would. A refused
    /// meeting takes nothing: its ClientRequestToken stays unused.
    async fn create_meeting(
        &self,
        meeting: NewMeeting,
        attendees: Vec<NewAttendee>,
    ) -> StoreResult<CreateMeetingOutcome>;

    /// An active meeting of the scope.
    async fn get_meeting(
        &self,
        scope: &Scope,
        meeting_id: &str,
    ) -> StoreResult<Option<MeetingRecord>>;

    /// Ends an active meeting and, for a primary, its active replicas ([`rules::ending`]): their
    /// attendees (and so their JoinTokens) and tags are deleted, and each end is announced on
    /// [`Store::changes`] once durable. The meeting's end reason is
    /// [`EndReason::Deleted`](crate::lifecycle::EndReason::Deleted), its replicas'
    /// `PrimaryEnded`.
    async fn end_meeting(
        &self,
        scope: &Scope,
        meeting_id: &str,
        now_ms: i64,
    ) -> StoreResult<Option<()>>;

    /// Creates attendees in order. An undeleted attendee with the same ExternalUserId is returned
    /// instead of a new one; a new one is refused once the meeting holds
    /// [`MeetingRecord::max_attendees`] undeleted attendees. The records' `meeting_id` is the
    /// meeting's own. A new attendee is stored with its tags (a key repeated counts once, the
    /// last value wins); an existing one is returned without touching its tags.
    async fn create_attendees(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendees: Vec<NewAttendee>,
    ) -> StoreResult<Option<Vec<AttendeeOutcome>>>;

    async fn get_attendee(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendee_id: &str,
    ) -> StoreResult<AttendeeLookup<AttendeeRecord>>;

    /// Attendees in creation order, starting after position `after`. Attendees created while a
    /// caller pages through appear after the ones already seen, so each is listed exactly once.
    async fn list_attendees(
        &self,
        scope: &Scope,
        meeting_id: &str,
        after: Option<i64>,
        limit: usize,
    ) -> StoreResult<Option<AttendeePage>>;

    async fn delete_attendee(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendee_id: &str,
    ) -> StoreResult<AttendeeLookup<()>>;

    async fn update_attendee_capabilities(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendee_id: &str,
        capabilities: AttendeeCapabilities,
    ) -> StoreResult<AttendeeLookup<AttendeeRecord>>;

    /// Sets the capabilities of every attendee of the meeting except the excluded ones.
    async fn update_capabilities_except(
        &self,
        scope: &Scope,
        meeting_id: &str,
        excluded_attendee_ids: &[String],
        capabilities: AttendeeCapabilities,
    ) -> StoreResult<Option<()>>;

    /// Starts (or updates, or with `None` stops) transcription.
    async fn set_transcription(
        &self,
        scope: &Scope,
        meeting_id: &str,
        configuration: Option<TranscriptionConfiguration>,
    ) -> StoreResult<Option<()>>;

    /// Adds or overwrites tags, refusing the whole change if the meeting would end up with more
    /// than `max_tags` tags. A key repeated in `tags` counts once; its last value wins
    /// ([`rules::merge_tags`]).
    async fn tag_meeting(
        &self,
        scope: &Scope,
        meeting_id: &str,
        tags: Vec<Tag>,
        max_tags: usize,
    ) -> StoreResult<Option<TagOutcome>>;

    /// Removes the tags with these keys (absent keys are fine).
    async fn untag_meeting(
        &self,
        scope: &Scope,
        meeting_id: &str,
        keys: Vec<String>,
    ) -> StoreResult<Option<()>>;

    /// Tags in the order their keys were first set.
    async fn list_meeting_tags(
        &self,
        scope: &Scope,
        meeting_id: &str,
    ) -> StoreResult<Option<Vec<Tag>>>;

    /// Active meetings of the scope in creation order, starting after position `after` (legacy
    /// ListMeetings).
    async fn list_meetings(
        &self,
        scope: &Scope,
        after: Option<i64>,
        limit: usize,
    ) -> StoreResult<MeetingPage>;

    /// Adds or overwrites an attendee's tags, refusing the whole change if the attendee would end
    /// up with more than `max_tags` tags. A key repeated in `tags` counts once; its last value
    /// wins ([`rules::merge_tags`]).
    async fn tag_attendee(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendee_id: &str,
        tags: Vec<Tag>,
        max_tags: usize,
    ) -> StoreResult<AttendeeLookup<TagOutcome>>;

    /// Removes an attendee's tags with these keys (absent keys are fine).
    async fn untag_attendee(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendee_id: &str,
        keys: Vec<String>,
    ) -> StoreResult<AttendeeLookup<()>>;

    /// An attendee's tags in the order their keys were first set.
    async fn list_attendee_tags(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendee_id: &str,
    ) -> StoreResult<AttendeeLookup<Vec<Tag>>>;

    /// The meeting with this id in whichever scope holds it, and its attendee with this id: how
    /// the signaling plane admits a JoinToken, which carries no scope.
    async fn join_lookup(&self, meeting_id: &str, attendee_id: &str) -> StoreResult<JoinLookup>;

    /// Records what the signaling plane reports of meetings' presence
    /// ([`Presence::after`](crate::lifecycle::Presence::after), in the order given), by meeting
    /// id in whichever scope holds it. Marks for unknown or ended meetings, and for replicas
    /// (which never idle out), change nothing. The whole batch is one write.
    async fn mark_presence(&self, marks: &[PresenceMark]) -> StoreResult<()>;

    /// Ends every meeting expired at `now_ms` under its account's rules in `policy`
    /// ([`rules::Sweep`]) as [`Store::end_meeting`] does (attendees and tags deleted, a primary's
    /// active replicas ended with it, each end announced once durable), recording why, and
    /// returns them, replicas included. Selects at most [`crate::MAX_EXPIRED_PER_CALL`] meetings
    /// per call: when at least that many came back, more may be left. Concurrent calls, from
    /// this node or any other sharing the data, end each meeting once in all.
    async fn end_expired(
        &self,
        now_ms: i64,
        policy: &LifecyclePolicy,
    ) -> StoreResult<Vec<EndedMeeting>>;

    // --------------------------------------------------------------------------------------------
    // Events ([`crate::events::outbox`])
    //
    // Every write above that causes events ([`rules::caused`]) records them, routed by the
    // store's [`EventRouting`], in its own transaction: an acknowledged change always has its
    // events, and a change that failed has none.
    // --------------------------------------------------------------------------------------------

    /// Sets what the store's writes record and owe from now on (default: every event logged,
    /// no delivery owed).
    fn set_event_routing(&self, routing: EventRouting);

    /// Records events that no store write causes (the signaling plane's session events, the
    /// admin's presence calls), routed as the writes' own, for meetings in whichever scope holds
    /// them, ended ones included (the last sessions leave after the end). Events of unknown
    /// meetings are dropped. One write.
    async fn record_events(&self, events: Vec<MeetingEvent>) -> StoreResult<()>;

    /// Logs events clients reported for their meetings (never delivered to a target). Events of
    /// unknown meetings are dropped. One write.
    async fn record_client_events(&self, events: Vec<ClientEvent>) -> StoreResult<()>;

    /// Events logged after `after`, in log order, at most `limit`.
    async fn events_after(
        &self,
        after: EventPosition,
        limit: usize,
    ) -> StoreResult<Vec<StoredEvent>>;

    /// The position of the last event logged so far ([`EventPosition::START`] when none): where
    /// a reader that wants only what comes next starts.
    async fn last_event_position(&self) -> StoreResult<EventPosition>;

    /// Leases due deliveries as [`Claim`] says: the head of each stream not leased, due at
    /// `now_ms`, and its undelivered followers, oldest streams first. Concurrent claims, from
    /// this node or another sharing the data, never lease one stream twice.
    async fn claim_deliveries(&self, claim: &Claim) -> StoreResult<Vec<Delivery>>;

    /// Applies the results of claimed deliveries; a settlement whose claim is no longer the
    /// delivery's current one changes nothing.
    async fn settle_deliveries(&self, settlements: Vec<Settlement>) -> StoreResult<()>;

    /// Dead letters ordered by (seq, target), starting after `after`, at most `limit`.
    async fn dead_letters(
        &self,
        after: Option<DeliveryKey>,
        limit: usize,
    ) -> StoreResult<Vec<DeadLetter>>;

    /// Makes dead letters due again at `now_ms` with no attempt counted: those named, or all
    /// when `keys` is `None`. Returns how many.
    async fn replay_dead_letters(
        &self,
        keys: Option<Vec<DeliveryKey>>,
        now_ms: i64,
    ) -> StoreResult<u64>;

    /// Deletes up to `limit` events that happened before `before_ms` and owe no delivery (dead
    /// letters included); returns how many.
    async fn prune_events(&self, before_ms: i64, limit: usize) -> StoreResult<u64>;

    /// Changes after this node's writes log events (its value is meaningless): wakes the
    /// deliverer and live streams at once. Other nodes' events are found by polling.
    fn events_logged(&self) -> tokio::sync::watch::Receiver<u64>;

    /// Meetings ended and attendees deleted from now on, each announced once durable, on every
    /// node that shares the data.
    fn changes(&self) -> tokio::sync::broadcast::Receiver<LiveChange>;

    // --------------------------------------------------------------------------------------------
    // The operator's view ([`admin`]): across scopes, ended meetings included.
    // --------------------------------------------------------------------------------------------

    /// Meetings of every scope that `filter` takes, in creation order, starting after position
    /// `after`, at most `limit`. Reads meetings in creation order from the position and keeps
    /// those the filter takes, so a page never holds more than `limit` rows in memory.
    async fn admin_meetings(
        &self,
        filter: &MeetingFilter,
        after: Option<i64>,
        limit: usize,
    ) -> StoreResult<Page<StoredMeeting>>;

    /// The meeting with this id in whichever scope holds it, active or ended, and how many
    /// events the log holds for it.
    async fn admin_meeting(&self, meeting_id: &str) -> StoreResult<Option<(StoredMeeting, u64)>>;

    /// The undeleted attendees of the meeting with this id, in whichever scope holds it, in
    /// creation order after position `after` (an ended meeting has none); `None`: no meeting
    /// has this id.
    async fn admin_attendees(
        &self,
        meeting_id: &str,
        after: Option<i64>,
        limit: usize,
    ) -> StoreResult<Option<Page<StoredAttendee>>>;

    /// True when the store holds no meeting at all (active or ended).
    async fn is_empty(&self) -> StoreResult<bool>;

    /// Empties the store in one write: meetings, attendees, tags, the event log, the deliveries
    /// owed and what the store keeps per account (PostgreSQL's rate buckets). Records no event
    /// (a reset is not a meeting ending) and announces [`LiveChange::Resync`] once durable, so
    /// every node checks its sessions against the store and ends those of vanished meetings.
    async fn reset(&self) -> StoreResult<()>;

    /// Writes exported items in one transaction, in order, as they were: a meeting keeps its
    /// ids, ClientRequestToken, state, end and idle clock, an attendee its ids and JoinToken,
    /// both their tags in order. Records no event. Refuses the whole batch, writing nothing, at
    /// the first item it cannot restore (a meeting id or ClientRequestToken already held, an
    /// attendee whose meeting is unknown or ended, or repeated, or past the meeting's cap).
    async fn import(&self, items: Vec<Imported>) -> StoreResult<Result<(), ImportRefusal>>;

    /// True when the backend can serve requests (used by the readiness check).
    async fn ping(&self) -> StoreResult<()>;
}
