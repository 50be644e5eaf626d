//! What the integration tests share: real envelopes as a store logs them (the webhook receiver
//! and the moto server are the testkit's, shared with the server's own tests).

#![allow(dead_code)]

use carillon_core::events::outbox::{EventPosition, EventSource, LoggedEvent, StoredEvent};
use carillon_core::events::{AttendeeFields, EventKind, MeetingFields, NetworkType};
use carillon_core::{Envelope, MeetingEvent};
use uuid::Uuid;

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";

/// An `chime:AttendeeJoined` envelope, as a store would have logged it at position `seq`.
pub fn joined(seq: i64, at_ms: i64) -> (Envelope, StoredEvent) {
    let detail = MeetingEvent {
        timestamp_ms: at_ms,
        meeting: MeetingFields {
            meeting_id: "6a3b0c3e-1d1f-4a52-9c2b-5b6e4b7f3a10".into(),
            external_meeting_id: Some("standup".into()),
            media_region: "eu-west-1".into(),
        },
        kind: EventKind::AttendeeJoined(
            AttendeeFields {
                attendee_id: "0b3f8a2e-7c41-4f0e-b5d7-2c9a1e6f4d88".into(),
                external_user_id: "alice@example.com".into(),
            },
            NetworkType::Voip,
        ),
    };
    let envelope = Envelope::new(Uuid::new_v4(), ACCOUNT, REGION, detail);
    let stored = StoredEvent {
        position: EventPosition {
            major: 0,
            minor: seq,
        },
        seq,
        event: LoggedEvent {
            event_id: envelope.id.clone(),
            meeting_id: envelope.detail.meeting.meeting_id.clone(),
            account_id: ACCOUNT.into(),
            source: EventSource::Meeting,
            name: envelope.detail.event_type().as_str().to_owned(),
            at_ms,
            body: envelope.to_json(),
        },
    };
    (envelope, stored)
}

/// The fields every target must carry of `envelope`, checked one by one in `received` (the
/// envelope's JSON as it arrived).
pub fn assert_envelope(received: &serde_json::Value, envelope: &Envelope) {
    assert_eq!(received["version"], "0");
    assert_eq!(received["source"], "aws.chime");
    assert_eq!(received["account"], envelope.account.as_str());
    assert_eq!(received["id"], envelope.id.as_str());
    assert_eq!(received["region"], envelope.region.as_str());
    assert_eq!(received["detail-type"], "Chime Meeting State Change");
    assert_eq!(received["time"], envelope.time.as_str());
    assert_eq!(received["resources"], serde_json::json!([]));
    assert_detail(&received["detail"], envelope);
}

/// The `detail` of an `chime:AttendeeJoined` event, field by field.
pub fn assert_detail(detail: &serde_json::Value, envelope: &Envelope) {
    let d = &envelope.detail;
    assert_eq!(detail["version"], "0");
    assert_eq!(detail["eventType"], "chime:AttendeeJoined");
    assert_eq!(detail["timestamp"], d.timestamp_ms);
    assert_eq!(detail["meetingId"], d.meeting.meeting_id.as_str());
    assert_eq!(detail["externalMeetingId"], "standup");
    assert_eq!(detail["mediaRegion"], "eu-west-1");
    assert_eq!(detail["attendeeId"], "0b3f8a2e-7c41-4f0e-b5d7-2c9a1e6f4d88");
    assert_eq!(detail["externalUserId"], "alice@example.com");
    assert_eq!(detail["networkType"], "Voip");
}
