//! The outbox: events recorded in the same transaction as the change that causes them, and the
//! deliveries still owed for each.
//!
//! A store keeps two things:
//!
//! - the **event log**: every recorded event (meeting events as their EventBridge envelope,
//!   client events as the client sent them), in the order of a [`EventPosition`]; read by the
//!   live stream and the admin tools, pruned once old and fully delivered;
//! - the **deliveries**: one row per (event, target) still owed, written with the event. A
//!   delivery is claimed under a lease ([`Claim`]), then settled ([`Settlement`]): deleted when
//!   delivered, rescheduled with backoff when it failed, kept as a dead letter after the last
//!   attempt (listed and replayed by an operator).
//!
//! Order: the deliveries of one meeting to one target form a *stream*. Only the oldest
//! undelivered delivery of a stream (dead letters aside) can be claimed, and it is claimed with
//! its followers, all leased together; so a stream is never delivered by two workers at once,
//! and its events arrive in order (a dead letter, once given up on, no longer holds the stream
//! back; replaying it sends it late).
//!
//! Which targets an event owes is decided here, once, when it is recorded ([`EventRouting`]):
//! the server's own targets (webhooks, an EventBridge bus) take every meeting event, and a
//! meeting's `NotificationsConfiguration` adds its SQS queue and SNS topic when the server maps
//! them to an endpoint.

use uuid::Uuid;

use super::{Envelope, MeetingEvent};
use crate::MeetingRecord;

/// Where an event is delivered. Stored with each delivery as its [`Target::key`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// A configured webhook, by its name.
    Webhook(String),
    /// The configured EventBridge-compatible bus.
    EventBridge,
    /// The SQS queue of a meeting's `NotificationsConfiguration`, by ARN.
    Sqs(String),
    /// The SNS topic of a meeting's `NotificationsConfiguration`, by ARN.
    Sns(String),
}

impl Target {
    /// `webhook:<name>`, `eventbridge`, `sqs:<arn>`, `sns:<arn>`.
    pub fn key(&self) -> String {
        match self {
            Target::Webhook(name) => format!("webhook:{name}"),
            Target::EventBridge => "eventbridge".to_owned(),
            Target::Sqs(arn) => format!("sqs:{arn}"),
            Target::Sns(arn) => format!("sns:{arn}"),
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        if key == "eventbridge" {
            return Some(Target::EventBridge);
        }
        let (kind, rest) = key.split_once(':')?;
        if rest.is_empty() {
            return None;
        }
        match kind {
            "webhook" => Some(Target::Webhook(rest.to_owned())),
            "sqs" => Some(Target::Sqs(rest.to_owned())),
            "sns" => Some(Target::Sns(rest.to_owned())),
            _ => None,
        }
    }
}

/// What a store records and owes for the events of its writes. The default records every event
/// in the log and owes no delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRouting {
    /// When false nothing is recorded: no log, no deliveries (events switched off).
    pub record: bool,
    /// Targets every meeting event is delivered to (webhooks, the EventBridge bus).
    pub everywhere: Vec<Target>,
    /// Whether a meeting's own SQS queue receives its events (an SQS endpoint is configured).
    pub meeting_sqs: bool,
    /// Whether a meeting's own SNS topic receives its events (an SNS endpoint is configured).
    pub meeting_sns: bool,
}

impl Default for EventRouting {
    fn default() -> Self {
        EventRouting {
            record: true,
            everywhere: Vec::new(),
            meeting_sqs: false,
            meeting_sns: false,
        }
    }
}

impl EventRouting {
    /// Nothing recorded.
    pub fn off() -> Self {
        EventRouting {
            record: false,
            ..EventRouting::default()
        }
    }

    /// The targets an event of `meeting` owes.
    pub fn targets(&self, meeting: &MeetingRecord) -> Vec<String> {
        let mut targets: Vec<String> = self.everywhere.iter().map(Target::key).collect();
        if let Some(n) = &meeting.notifications {
            if let (true, Some(arn)) = (self.meeting_sqs, &n.sqs_queue_arn) {
                targets.push(Target::Sqs(arn.clone()).key());
            }
            if let (true, Some(arn)) = (self.meeting_sns, &n.sns_topic_arn) {
                targets.push(Target::Sns(arn.clone()).key());
            }
        }
        targets
    }

    /// The entries to record for `events` of `meeting`, in order: none when events are off;
    /// the types `meeting`'s API does not emit are left out
    /// ([`EventType::emitted_in`](super::EventType::emitted_in)).
    pub fn entries(
        &self,
        meeting: &MeetingRecord,
        events: impl IntoIterator<Item = MeetingEvent>,
    ) -> Vec<OutboxEntry> {
        if !self.record {
            return Vec::new();
        }
        let targets = self.targets(meeting);
        events
            .into_iter()
            .filter(|e| e.event_type().emitted_in(meeting.scope.namespace))
            .map(|event| OutboxEntry::meeting_event(meeting, event, targets.clone()))
            .collect()
    }
}

/// What a [`LoggedEvent`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventSource {
    /// A meeting event; the body is its EventBridge envelope.
    Meeting,
    /// An event a client reported at the meeting's EventIngestionUrl; the body is the event as
    /// the client sent it. Never delivered to a target.
    Client,
}

impl EventSource {
    pub fn as_str(self) -> &'static str {
        match self {
            EventSource::Meeting => "meeting",
            EventSource::Client => "client",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "meeting" => Some(EventSource::Meeting),
            "client" => Some(EventSource::Client),
            _ => None,
        }
    }
}

/// One event as recorded, with the targets it owes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub event: LoggedEvent,
    /// [`Target::key`]s, each owed one delivery.
    pub targets: Vec<String>,
}

impl OutboxEntry {
    pub fn meeting_event(
        meeting: &MeetingRecord,
        event: MeetingEvent,
        targets: Vec<String>,
    ) -> Self {
        let envelope = Envelope::for_meeting(meeting, event);
        OutboxEntry {
            event: LoggedEvent {
                event_id: envelope.id.clone(),
                meeting_id: meeting.meeting_id.clone(),
                account_id: meeting.scope.account_id.clone(),
                source: EventSource::Meeting,
                name: envelope.detail.event_type().as_str().to_owned(),
                at_ms: envelope.detail.timestamp_ms,
                body: envelope.to_json(),
            },
            targets,
        }
    }
}

/// A client event to record: `name` is its `name` (`meetingStartSucceeded`), `body` the event's
/// JSON as received. The store fills in the meeting's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientEvent {
    pub meeting_id: String,
    pub name: String,
    pub at_ms: i64,
    pub body: String,
}

impl ClientEvent {
    pub fn logged(self, account_id: &str) -> LoggedEvent {
        LoggedEvent {
            event_id: Uuid::new_v4().to_string(),
            meeting_id: self.meeting_id,
            account_id: account_id.to_owned(),
            source: EventSource::Client,
            name: self.name,
            at_ms: self.at_ms,
            body: self.body,
        }
    }
}

/// An event in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedEvent {
    /// The envelope's `id` for a meeting event; a fresh UUID for a client event.
    pub event_id: String,
    pub meeting_id: String,
    pub account_id: String,
    pub source: EventSource,
    /// `chime:AttendeeAdded`, or the client event's name.
    pub name: String,
    /// When it happened, epoch milliseconds.
    pub at_ms: i64,
    /// The envelope's JSON, or the client's event.
    pub body: String,
}

/// Where an event sits in the log, ordered by commit: an event committed after another has a
/// greater position. SQLite, whose writes commit one batch at a time, needs only the row's
/// sequence (`major` is 0); PostgreSQL, whose sequence values can commit out of order, orders by
/// transaction id first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct EventPosition {
    pub major: i64,
    pub minor: i64,
}

impl EventPosition {
    /// Before every event.
    pub const START: EventPosition = EventPosition { major: 0, minor: 0 };

    /// `major-minor`, as an SSE event id.
    pub fn to_token(self) -> String {
        format!("{}-{}", self.major, self.minor)
    }

    pub fn parse_token(s: &str) -> Option<Self> {
        let (major, minor) = s.split_once('-')?;
        Some(EventPosition {
            major: major.parse().ok().filter(|v: &i64| *v >= 0)?,
            minor: minor.parse().ok().filter(|v: &i64| *v >= 0)?,
        })
    }
}

/// An event read back from the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub position: EventPosition,
    /// The log's own key for the event (deliveries name it).
    pub seq: i64,
    pub event: LoggedEvent,
}

/// Which deliveries to claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The wall clock ([`crate::clock::real_ms`]), as every delivery instant: deliveries answer
    /// to targets whose clocks nobody froze.
    pub now_ms: i64,
    /// Until when the claimed deliveries are leased; another worker may claim them after.
    pub lease_until_ms: i64,
    /// At most this many streams.
    pub streams: usize,
    /// At most this many deliveries of each stream, oldest first.
    pub per_stream: usize,
    /// The targets this worker delivers to: a delivery is claimed when its target key equals
    /// one of these or, for one that ends with `:` (`sqs:`), starts with it.
    pub targets: Vec<String>,
}

impl Claim {
    /// Whether a delivery to `target` is one this claim takes.
    pub fn takes(&self, target: &str) -> bool {
        self.targets.iter().any(|t| {
            if t.ends_with(':') {
                target.starts_with(t.as_str())
            } else {
                target == t
            }
        })
    }
}

/// One delivery owed, as claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub key: DeliveryKey,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Identifies this claim: a settlement of a delivery since claimed again by another worker
    /// changes nothing.
    pub claim: i64,
    pub event: StoredEvent,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeliveryKey {
    pub target: String,
    pub seq: i64,
}

/// The result of a claimed delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    pub key: DeliveryKey,
    pub claim: i64,
    pub outcome: DeliveryOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// Sent: the delivery is removed.
    Delivered,
    /// Failed: one more attempt counted, tried again at `retry_at_ms`.
    Retry { error: String, retry_at_ms: i64 },
    /// Failed for the last time: kept as a dead letter.
    Dead { error: String, at_ms: i64 },
    /// Not attempted (a follower of a stream whose head failed, or a worker stopping): the
    /// lease is dropped, nothing counted.
    Released,
}

/// A delivery given up on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub key: DeliveryKey,
    pub attempts: u32,
    pub dead_at_ms: i64,
    pub last_error: String,
    pub event: StoredEvent,
}

/// The longest error text kept with a delivery.
pub const MAX_ERROR_LEN: usize = 1000;

/// `error` cut to [`MAX_ERROR_LEN`] bytes at a character boundary.
pub fn bounded_error(error: &str) -> &str {
    if error.len() <= MAX_ERROR_LEN {
        return error;
    }
    let mut end = MAX_ERROR_LEN;
    while !error.is_char_boundary(end) {
        end -= 1;
    }
    &error[..end]
}
