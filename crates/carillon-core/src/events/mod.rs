//! Meeting events as AWS documents them: what happened to a meeting, as pure data.
//!
//! Chime SDK meetings report their lifecycle as events with the detail type
//! `Chime Meeting State Change` and the source `aws.chime`, sent to EventBridge and, per meeting,
//! to the SQS queue and SNS topic of its `NotificationsConfiguration`. Each event's `detail`
//! carries `version` `"0"`, `eventType` (`chime:…`), `timestamp` (epoch milliseconds, a number),
//! the meeting's ids and media Region, and the fields of its type:
//! <https://docs.aws.amazon.com/chime-sdk/latest/dg/using-events.html> (meeting and attendee
//! events) and <https://docs.aws.amazon.com/chime-sdk/latest/dg/transcription-events.html>
//! (transcription events).
//!
//! [`MeetingEvent`] is the `detail` object; [`Envelope`] wraps it for EventBridge, and the bodies
//! an SQS or SNS delivery carries come from the same envelope ([`envelope`]). Nothing here sends
//! or stores anything: the outbox stores [`Envelope`]s, delivery sends them.
//!
//! Documented event types this server does not emit yet, because only a media plane or Amazon
//! Transcribe can know them: `chime:AttendeeVideoStarted`, `chime:AttendeeVideoStopped`,
//! `chime:AttendeeContentVideoStarted`, `chime:AttendeeContentVideoStopped`,
//! `chime:TranscriptionInterrupted`, `chime:TranscriptionResumed`, `chime:TranscriptionFailed`.

mod detail;
pub mod envelope;
pub mod outbox;
#[cfg(test)]
mod tests;
pub mod time;

pub use envelope::{Envelope, PutEventsEntry, DETAIL_TYPE, SOURCE};

use crate::ids::CONTENT_SUFFIX;
use crate::transcription::TranscriptionConfiguration;
use crate::{AttendeeCapabilities, AttendeeRecord, MeetingRecord, Namespace};

/// `detail.version` of every documented meeting event.
pub const DETAIL_VERSION: &str = "0";

/// Every event type the server emits, by its documented `eventType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    MeetingStarted,
    MeetingEnded,
    AttendeeAdded,
    AttendeeDeleted,
    AttendeeAuthorized,
    AttendeeJoined,
    AttendeeLeft,
    AttendeeDropped,
    AttendeeContentJoined,
    AttendeeContentLeft,
    AttendeeContentDropped,
    AttendeeCapabilitiesUpdated,
    TranscriptionStarted,
    TranscriptionStopped,
}

impl EventType {
    pub const ALL: [EventType; 14] = [
        EventType::MeetingStarted,
        EventType::MeetingEnded,
        EventType::AttendeeAdded,
        EventType::AttendeeDeleted,
        EventType::AttendeeAuthorized,
        EventType::AttendeeJoined,
        EventType::AttendeeLeft,
        EventType::AttendeeDropped,
        EventType::AttendeeContentJoined,
        EventType::AttendeeContentLeft,
        EventType::AttendeeContentDropped,
        EventType::AttendeeCapabilitiesUpdated,
        EventType::TranscriptionStarted,
        EventType::TranscriptionStopped,
    ];

    /// The documented `detail.eventType`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::MeetingStarted => "chime:MeetingStarted",
            EventType::MeetingEnded => "chime:MeetingEnded",
            EventType::AttendeeAdded => "chime:AttendeeAdded",
            EventType::AttendeeDeleted => "chime:AttendeeDeleted",
            EventType::AttendeeAuthorized => "chime:AttendeeAuthorized",
            EventType::AttendeeJoined => "chime:AttendeeJoined",
            EventType::AttendeeLeft => "chime:AttendeeLeft",
            EventType::AttendeeDropped => "chime:AttendeeDropped",
            EventType::AttendeeContentJoined => "chime:AttendeeContentJoined",
            EventType::AttendeeContentLeft => "chime:AttendeeContentLeft",
            EventType::AttendeeContentDropped => "chime:AttendeeContentDropped",
            EventType::AttendeeCapabilitiesUpdated => "chime:AttendeeCapabilitiesUpdated",
            EventType::TranscriptionStarted => "chime:TranscriptionStarted",
            EventType::TranscriptionStopped => "chime:TranscriptionStopped",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        EventType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Whether meetings of `namespace` emit this type. The legacy `chime` API documents its
    /// meeting events on the same page and in the same form (same source, detail type and detail
    /// fields: <https://docs.aws.amazon.com/chime/latest/dg/using-events.html>), so the only
    /// difference is what each API can cause: the legacy API has no attendee capabilities,
    /// hence no `chime:AttendeeCapabilitiesUpdated`.
    pub fn emitted_in(self, namespace: Namespace) -> bool {
        match namespace {
            Namespace::Meetings => true,
            Namespace::Legacy => self != EventType::AttendeeCapabilitiesUpdated,
        }
    }
}

/// `detail.networkType` of the session events; `Voip` is the only value the documentation shows
/// and the only transport a Carillon session uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NetworkType {
    Voip,
}

impl NetworkType {
    pub fn as_str(self) -> &'static str {
        match self {
            NetworkType::Voip => "Voip",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        (s == "Voip").then_some(NetworkType::Voip)
    }
}

/// The meeting fields every event carries.
#[derive(Clone, PartialEq, Eq)]
pub struct MeetingFields {
    pub meeting_id: String,
    /// Omitted from the JSON when the meeting has none (ExternalMeetingId is optional).
    pub external_meeting_id: Option<String>,
    pub media_region: String,
}

impl MeetingFields {
    pub fn of(meeting: &MeetingRecord) -> Self {
        MeetingFields {
            meeting_id: meeting.meeting_id.clone(),
            external_meeting_id: meeting.external_meeting_id.clone(),
            media_region: meeting.media_region.clone(),
        }
    }
}

/// The attendee fields of the attendee events.
#[derive(Clone, PartialEq, Eq)]
pub struct AttendeeFields {
    pub attendee_id: String,
    pub external_user_id: String,
}

impl AttendeeFields {
    pub fn of(attendee: &AttendeeRecord) -> Self {
        AttendeeFields {
            attendee_id: attendee.attendee_id.clone(),
            external_user_id: attendee.external_user_id.clone(),
        }
    }

    /// The attendee's content-share session: `<AttendeeId>#content`, `<ExternalUserId>#content`,
    /// the names the SDK's content share joins under.
    pub fn content_of(attendee: &AttendeeRecord) -> Self {
        AttendeeFields {
            attendee_id: format!("{}{CONTENT_SUFFIX}", attendee.attendee_id),
            external_user_id: format!("{}{CONTENT_SUFFIX}", attendee.external_user_id),
        }
    }
}

/// Hand-written, like [`MeetingRecord`]'s, so that ExternalMeetingId never reaches a log line.
impl std::fmt::Debug for MeetingFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeetingFields")
            .field("meeting_id", &self.meeting_id)
            .field("media_region", &self.media_region)
            .finish_non_exhaustive()
    }
}

/// Hand-written, like [`AttendeeRecord`]'s, so that ExternalUserId never reaches a log line.
impl std::fmt::Debug for AttendeeFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttendeeFields")
            .field("attendee_id", &self.attendee_id)
            .finish_non_exhaustive()
    }
}

/// What happened, with the fields that only that type carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    MeetingStarted,
    MeetingEnded,
    AttendeeAdded(AttendeeFields),
    AttendeeDeleted(AttendeeFields),
    AttendeeAuthorized(AttendeeFields),
    AttendeeJoined(AttendeeFields, NetworkType),
    AttendeeLeft(AttendeeFields, NetworkType),
    AttendeeDropped(AttendeeFields, NetworkType),
    AttendeeContentJoined(AttendeeFields, NetworkType),
    AttendeeContentLeft(AttendeeFields, NetworkType),
    AttendeeContentDropped(AttendeeFields, NetworkType),
    AttendeeCapabilitiesUpdated {
        attendee: AttendeeFields,
        /// `detail.success`: the string `"1"` on success, `"0"` on failure.
        success: bool,
        capabilities: AttendeeCapabilities,
    },
    TranscriptionStarted(TranscriptionFields),
    TranscriptionStopped(TranscriptionFields),
}

/// The fields of the transcription events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptionFields {
    pub transcription_region: String,
    /// `detail.transcriptionConfiguration`: the configuration as a JSON string, in the shape
    /// StartMeetingTranscription takes it (`{"EngineTranscribeSettings":{…}}`).
    pub transcription_configuration: String,
}

impl TranscriptionFields {
    /// The Region Transcribe runs in is the configured one; without one (or with `auto`) the
    /// meeting's media Region, as the `Region` member of the engine settings documents.
    pub fn of(config: &TranscriptionConfiguration, media_region: &str) -> Self {
        let configured = config
            .engine_transcribe_settings
            .as_ref()
            .and_then(|s| s.region.as_deref())
            .or_else(|| {
                config
                    .engine_transcribe_medical_settings
                    .as_ref()
                    .and_then(|s| s.region.as_deref())
            })
            .filter(|r| *r != "auto");
        TranscriptionFields {
            transcription_region: configured.unwrap_or(media_region).to_owned(),
            transcription_configuration: serde_json::to_string(config)
                .expect("a transcription configuration always serializes"),
        }
    }
}

/// One meeting event: the `detail` object of the documented events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingEvent {
    /// `detail.timestamp`: when it happened, in epoch milliseconds.
    pub timestamp_ms: i64,
    pub meeting: MeetingFields,
    pub kind: EventKind,
}

impl MeetingEvent {
    pub fn new(meeting: &MeetingRecord, kind: EventKind, at_ms: i64) -> Self {
        MeetingEvent {
            timestamp_ms: at_ms,
            meeting: MeetingFields::of(meeting),
            kind,
        }
    }

    pub fn meeting_started(meeting: &MeetingRecord, at_ms: i64) -> Self {
        Self::new(meeting, EventKind::MeetingStarted, at_ms)
    }

    /// Also what DeleteMeeting sends, as AWS does.
    pub fn meeting_ended(meeting: &MeetingRecord, at_ms: i64) -> Self {
        Self::new(meeting, EventKind::MeetingEnded, at_ms)
    }

    pub fn attendee_added(meeting: &MeetingRecord, a: &AttendeeRecord, at_ms: i64) -> Self {
        Self::new(
            meeting,
            EventKind::AttendeeAdded(AttendeeFields::of(a)),
            at_ms,
        )
    }

    pub fn attendee_deleted(meeting: &MeetingRecord, a: &AttendeeRecord, at_ms: i64) -> Self {
        Self::new(
            meeting,
            EventKind::AttendeeDeleted(AttendeeFields::of(a)),
            at_ms,
        )
    }

    /// A joined attendee joined again with the same JoinToken (a hand-off to another device).
    pub fn attendee_authorized(meeting: &MeetingRecord, a: &AttendeeRecord, at_ms: i64) -> Self {
        Self::new(
            meeting,
            EventKind::AttendeeAuthorized(AttendeeFields::of(a)),
            at_ms,
        )
    }

    /// A session of `a` joined, left or was dropped; `content` for its content-share session.
    pub fn session(
        meeting: &MeetingRecord,
        a: &AttendeeRecord,
        change: SessionChange,
        content: bool,
        at_ms: i64,
    ) -> Self {
        let v = NetworkType::Voip;
        let kind = if content {
            let f = AttendeeFields::content_of(a);
            match change {
                SessionChange::Joined => EventKind::AttendeeContentJoined(f, v),
                SessionChange::Left => EventKind::AttendeeContentLeft(f, v),
                SessionChange::Dropped => EventKind::AttendeeContentDropped(f, v),
            }
        } else {
            let f = AttendeeFields::of(a);
            match change {
                SessionChange::Joined => EventKind::AttendeeJoined(f, v),
                SessionChange::Left => EventKind::AttendeeLeft(f, v),
                SessionChange::Dropped => EventKind::AttendeeDropped(f, v),
            }
        };
        Self::new(meeting, kind, at_ms)
    }

    /// A successful update (`success` `"1"`) to the attendee's capabilities as they now are; a
    /// record without capabilities has the meeting's defaults, as the service gives them.
    pub fn capabilities_updated(meeting: &MeetingRecord, a: &AttendeeRecord, at_ms: i64) -> Self {
        let capabilities = a.capabilities.unwrap_or_else(|| {
            crate::capabilities::default_capabilities(&meeting.features.clone().unwrap_or_default())
        });
        let kind = EventKind::AttendeeCapabilitiesUpdated {
            attendee: AttendeeFields::of(a),
            success: true,
            capabilities,
        };
        Self::new(meeting, kind, at_ms)
    }

    /// Sent on StartMeetingTranscription, also when it replaces a running configuration.
    pub fn transcription_started(
        meeting: &MeetingRecord,
        config: &TranscriptionConfiguration,
        at_ms: i64,
    ) -> Self {
        let f = TranscriptionFields::of(config, &meeting.media_region);
        Self::new(meeting, EventKind::TranscriptionStarted(f), at_ms)
    }

    /// `config` is the configuration that was running.
    pub fn transcription_stopped(
        meeting: &MeetingRecord,
        config: &TranscriptionConfiguration,
        at_ms: i64,
    ) -> Self {
        let f = TranscriptionFields::of(config, &meeting.media_region);
        Self::new(meeting, EventKind::TranscriptionStopped(f), at_ms)
    }

    pub fn event_type(&self) -> EventType {
        match &self.kind {
            EventKind::MeetingStarted => EventType::MeetingStarted,
            EventKind::MeetingEnded => EventType::MeetingEnded,
            EventKind::AttendeeAdded(_) => EventType::AttendeeAdded,
            EventKind::AttendeeDeleted(_) => EventType::AttendeeDeleted,
            EventKind::AttendeeAuthorized(_) => EventType::AttendeeAuthorized,
            EventKind::AttendeeJoined(..) => EventType::AttendeeJoined,
            EventKind::AttendeeLeft(..) => EventType::AttendeeLeft,
            EventKind::AttendeeDropped(..) => EventType::AttendeeDropped,
            EventKind::AttendeeContentJoined(..) => EventType::AttendeeContentJoined,
            EventKind::AttendeeContentLeft(..) => EventType::AttendeeContentLeft,
            EventKind::AttendeeContentDropped(..) => EventType::AttendeeContentDropped,
            EventKind::AttendeeCapabilitiesUpdated { .. } => EventType::AttendeeCapabilitiesUpdated,
            EventKind::TranscriptionStarted(_) => EventType::TranscriptionStarted,
            EventKind::TranscriptionStopped(_) => EventType::TranscriptionStopped,
        }
    }
}

/// How an attendee's session changed, as the signaling plane or the admin presence call reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionChange {
    Joined,
    /// The client said goodbye.
    Left,
    /// The connection was lost (no packets for a while, or a network change).
    Dropped,
}
