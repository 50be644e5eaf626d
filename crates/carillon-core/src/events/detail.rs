//! The `detail` object on the wire: each type's fields, named and ordered as in AWS's examples
//! (<https://docs.aws.amazon.com/chime-sdk/latest/dg/using-events.html>,
//! <https://docs.aws.amazon.com/chime-sdk/latest/dg/transcription-events.html>), and read back
//! from it. Written by hand because the order differs between types (the capabilities event puts
//! `success` before `timestamp` and the meeting ids before the attendee's).

use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{
    AttendeeFields, EventKind, EventType, MeetingEvent, MeetingFields, NetworkType,
    TranscriptionFields, DETAIL_VERSION,
};
use crate::{AttendeeCapabilities, MediaCapability};

/// `detail.attendeeCapabilities`: lowerCamel keys, unlike the API's `Capabilities`.
#[derive(Serialize, Deserialize)]
struct CapabilitiesDetail {
    audio: MediaCapability,
    video: MediaCapability,
    content: MediaCapability,
}

impl Serialize for MeetingEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let m = &self.meeting;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("version", DETAIL_VERSION)?;
        map.serialize_entry("eventType", self.event_type().as_str())?;
        if let EventKind::AttendeeCapabilitiesUpdated {
            attendee,
            success,
            capabilities: c,
        } = &self.kind
        {
            map.serialize_entry("success", if *success { "1" } else { "0" })?;
            map.serialize_entry("timestamp", &self.timestamp_ms)?;
            map.serialize_entry("meetingId", &m.meeting_id)?;
            external_meeting_id(&mut map, m)?;
            map.serialize_entry("attendeeId", &attendee.attendee_id)?;
            map.serialize_entry("externalUserId", &attendee.external_user_id)?;
            map.serialize_entry("mediaRegion", &m.media_region)?;
            let caps = CapabilitiesDetail {
                audio: c.audio,
                video: c.video,
                content: c.content,
            };
            map.serialize_entry("attendeeCapabilities", &caps)?;
            return map.end();
        }
        map.serialize_entry("timestamp", &self.timestamp_ms)?;
        map.serialize_entry("meetingId", &m.meeting_id)?;
        match &self.kind {
            EventKind::AttendeeAdded(a)
            | EventKind::AttendeeDeleted(a)
            | EventKind::AttendeeAuthorized(a) => attendee(&mut map, a)?,
            EventKind::AttendeeJoined(a, n)
            | EventKind::AttendeeLeft(a, n)
            | EventKind::AttendeeDropped(a, n)
            | EventKind::AttendeeContentJoined(a, n)
            | EventKind::AttendeeContentLeft(a, n)
            | EventKind::AttendeeContentDropped(a, n) => {
                attendee(&mut map, a)?;
                map.serialize_entry("networkType", n.as_str())?;
            }
            _ => {}
        }
        external_meeting_id(&mut map, m)?;
        map.serialize_entry("mediaRegion", &m.media_region)?;
        if let EventKind::TranscriptionStarted(t) | EventKind::TranscriptionStopped(t) = &self.kind
        {
            map.serialize_entry("transcriptionRegion", &t.transcription_region)?;
            map.serialize_entry("transcriptionConfiguration", &t.transcription_configuration)?;
        }
        map.end()
    }
}

fn attendee<M: SerializeMap>(map: &mut M, a: &AttendeeFields) -> Result<(), M::Error> {
    map.serialize_entry("attendeeId", &a.attendee_id)?;
    map.serialize_entry("externalUserId", &a.external_user_id)
}

fn external_meeting_id<M: SerializeMap>(map: &mut M, m: &MeetingFields) -> Result<(), M::Error> {
    match &m.external_meeting_id {
        Some(id) => map.serialize_entry("externalMeetingId", id),
        None => Ok(()),
    }
}

/// Every field any type carries; which ones must be present depends on `eventType`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDetail {
    version: String,
    event_type: String,
    timestamp: i64,
    meeting_id: String,
    external_meeting_id: Option<String>,
    media_region: String,
    attendee_id: Option<String>,
    external_user_id: Option<String>,
    network_type: Option<String>,
    success: Option<String>,
    attendee_capabilities: Option<CapabilitiesDetail>,
    transcription_region: Option<String>,
    transcription_configuration: Option<String>,
}

impl<'de> Deserialize<'de> for MeetingEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawDetail::deserialize(deserializer)?;
        if raw.version != DETAIL_VERSION {
            return Err(D::Error::custom(format!(
                "detail version {:?}",
                raw.version
            )));
        }
        let event_type = EventType::parse(&raw.event_type)
            .ok_or_else(|| D::Error::custom(format!("unknown eventType {:?}", raw.event_type)))?;
        let kind = kind_of(event_type, &raw).map_err(D::Error::custom)?;
        Ok(MeetingEvent {
            timestamp_ms: raw.timestamp,
            meeting: MeetingFields {
                meeting_id: raw.meeting_id,
                external_meeting_id: raw.external_meeting_id,
                media_region: raw.media_region,
            },
            kind,
        })
    }
}

fn kind_of(t: EventType, raw: &RawDetail) -> Result<EventKind, String> {
    let need = |v: &Option<String>, name: &str| {
        v.clone()
            .ok_or_else(|| format!("{} without {name}", t.as_str()))
    };
    let who = || -> Result<AttendeeFields, String> {
        Ok(AttendeeFields {
            attendee_id: need(&raw.attendee_id, "attendeeId")?,
            external_user_id: need(&raw.external_user_id, "externalUserId")?,
        })
    };
    let net = || -> Result<NetworkType, String> {
        let n = need(&raw.network_type, "networkType")?;
        NetworkType::parse(&n).ok_or_else(|| format!("unknown networkType {n:?}"))
    };
    let transcription = || -> Result<TranscriptionFields, String> {
        Ok(TranscriptionFields {
            transcription_region: need(&raw.transcription_region, "transcriptionRegion")?,
            transcription_configuration: need(
                &raw.transcription_configuration,
                "transcriptionConfiguration",
            )?,
        })
    };
    Ok(match t {
        EventType::MeetingStarted => EventKind::MeetingStarted,
        EventType::MeetingEnded => EventKind::MeetingEnded,
        EventType::AttendeeAdded => EventKind::AttendeeAdded(who()?),
        EventType::AttendeeDeleted => EventKind::AttendeeDeleted(who()?),
        EventType::AttendeeAuthorized => EventKind::AttendeeAuthorized(who()?),
        EventType::AttendeeJoined => EventKind::AttendeeJoined(who()?, net()?),
        EventType::AttendeeLeft => EventKind::AttendeeLeft(who()?, net()?),
        EventType::AttendeeDropped => EventKind::AttendeeDropped(who()?, net()?),
        EventType::AttendeeContentJoined => EventKind::AttendeeContentJoined(who()?, net()?),
        EventType::AttendeeContentLeft => EventKind::AttendeeContentLeft(who()?, net()?),
        EventType::AttendeeContentDropped => EventKind::AttendeeContentDropped(who()?, net()?),
        EventType::AttendeeCapabilitiesUpdated => {
            let success = match need(&raw.success, "success")?.as_str() {
                "1" => true,
                "0" => false,
                other => return Err(format!("success {other:?} is neither \"1\" nor \"0\"")),
            };
            let c = raw
                .attendee_capabilities
                .as_ref()
                .ok_or_else(|| format!("{} without attendeeCapabilities", t.as_str()))?;
            EventKind::AttendeeCapabilitiesUpdated {
                attendee: who()?,
                success,
                capabilities: AttendeeCapabilities {
                    audio: c.audio,
                    video: c.video,
                    content: c.content,
                },
            }
        }
        EventType::TranscriptionStarted => EventKind::TranscriptionStarted(transcription()?),
        EventType::TranscriptionStopped => EventKind::TranscriptionStopped(transcription()?),
    })
}
