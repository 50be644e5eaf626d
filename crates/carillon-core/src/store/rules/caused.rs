//! Which events each write causes, decided once for every backend. A backend calls these with
//! what its transaction wrote, routes the result ([`EventRouting::entries`]) and records it in
//! the same transaction.
//!
//! [`EventRouting::entries`]: crate::events::outbox::EventRouting::entries
//!
//! Choices where AWS's documentation is silent:
//! - `chime:MeetingStarted` is sent when the meeting is created (the documentation says "when a
//!   meeting starts", and an AWS meeting exists, and can be joined, from its creation);
//! - a meeting that ends sends `chime:MeetingEnded` alone: its attendees are gone with it, without
//!   a `chime:AttendeeDeleted` each (that event is documented for DeleteAttendee);
//! - an attendee returned again for its ExternalUserId was not added, so sends nothing;
//! - StopMeetingTranscription with no transcription running sends nothing.

use crate::events::MeetingEvent;
use crate::store::AttendeeOutcome;
use crate::transcription::TranscriptionConfiguration;
use crate::{AttendeeRecord, MeetingRecord};

/// `chime:MeetingStarted`, then `chime:AttendeeAdded` for each attendee created with it.
pub fn meeting_created(
    meeting: &MeetingRecord,
    attendees: &[AttendeeOutcome],
) -> Vec<MeetingEvent> {
    let at = meeting.created_at_ms;
    std::iter::once(MeetingEvent::meeting_started(meeting, at))
        .chain(attendees_added(meeting, attendees, at))
        .collect()
}

/// `chime:AttendeeAdded` for each attendee created (not for one returned again).
pub fn attendees_added(
    meeting: &MeetingRecord,
    outcomes: &[AttendeeOutcome],
    at_ms: i64,
) -> Vec<MeetingEvent> {
    outcomes
        .iter()
        .filter_map(|o| match o {
            AttendeeOutcome::Created(a) => Some(MeetingEvent::attendee_added(meeting, a, at_ms)),
            _ => None,
        })
        .collect()
}

pub fn attendee_deleted(
    meeting: &MeetingRecord,
    attendee: &AttendeeRecord,
    at_ms: i64,
) -> Vec<MeetingEvent> {
    vec![MeetingEvent::attendee_deleted(meeting, attendee, at_ms)]
}

/// For each meeting that ended (a primary and its replicas each send their own).
pub fn meeting_ended(meeting: &MeetingRecord, at_ms: i64) -> Vec<MeetingEvent> {
    vec![MeetingEvent::meeting_ended(meeting, at_ms)]
}

/// One `chime:AttendeeCapabilitiesUpdated` per attendee, with its capabilities as updated.
pub fn capabilities_updated(
    meeting: &MeetingRecord,
    attendees: &[AttendeeRecord],
    at_ms: i64,
) -> Vec<MeetingEvent> {
    attendees
        .iter()
        .map(|a| MeetingEvent::capabilities_updated(meeting, a, at_ms))
        .collect()
}

/// `chime:TranscriptionStarted` for a start or a new configuration, `chime:TranscriptionStopped`
/// (with the configuration that ran) for a stop of a running transcription.
pub fn transcription_set(
    meeting: &MeetingRecord,
    running: Option<&TranscriptionConfiguration>,
    new: Option<&TranscriptionConfiguration>,
    at_ms: i64,
) -> Vec<MeetingEvent> {
    match (running, new) {
        (_, Some(config)) => vec![MeetingEvent::transcription_started(meeting, config, at_ms)],
        (Some(config), None) => vec![MeetingEvent::transcription_stopped(meeting, config, at_ms)],
        (None, None) => Vec::new(),
    }
}
