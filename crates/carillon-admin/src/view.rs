//! The JSON forms of a stored meeting and attendee, shared by the listings ([`crate::meetings`])
//! and the state file ([`crate::state`]), and their conversion back into what the store takes.
//!
//! A meeting is `{"meetingId","accountId","api"("meetings"|"legacy"),"controlRegion",
//! "clientRequestToken","mediaRegion","externalMeetingId","meetingHostId","primaryMeetingId",
//! "tenantIds","features","notifications","mediaPlacementNetworkType","transcription",
//! "createdAtMs","endedAtMs","endReason","idleSinceMs","presenceLeaseMs","tags"}`: `features`,
//! `notifications` and `transcription` in the shapes of the Chime API (`MeetingFeatures`,
//! `NotificationsConfiguration`, the transcription configuration StartMeetingTranscription
//! took), `endReason` one of `deleted`, `primary-ended`, `idle`, `max-duration`, the idle clock
//! as the lifecycle keeps it, `tags` `[{"key","value"}]` in the order their keys were first set.
//! Absent members are `null`. An attendee is `{"meetingId","attendeeId","externalUserId",
//! "joinToken","capabilities"({"Audio","Video","Content"} or null),"tags"}`.

use carillon_core::store::admin::{StoredAttendee, StoredMeeting};
use carillon_core::store::rows::MeetingRow;
use carillon_core::{AttendeeCapabilities, AttendeeRecord, StoreError, Tag};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TagJson {
    key: String,
    value: String,
}

fn tags_json(tags: &[Tag]) -> Vec<TagJson> {
    tags.iter()
        .map(|t| TagJson {
            key: t.key.clone(),
            value: t.value.clone(),
        })
        .collect()
}

fn tags_of(tags: Vec<TagJson>) -> Vec<Tag> {
    tags.into_iter()
        .map(|t| Tag {
            key: t.key,
            value: t.value,
        })
        .collect()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct MeetingJson {
    pub meeting_id: String,
    pub account_id: String,
    pub api: String,
    pub control_region: String,
    pub client_request_token: String,
    pub media_region: String,
    pub external_meeting_id: Option<String>,
    pub meeting_host_id: Option<String>,
    pub primary_meeting_id: Option<String>,
    pub tenant_ids: Vec<String>,
    pub features: Option<Value>,
    pub notifications: Option<Value>,
    pub media_placement_network_type: Option<String>,
    pub transcription: Option<Value>,
    pub created_at_ms: i64,
    pub ended_at_ms: Option<i64>,
    pub end_reason: Option<String>,
    pub idle_since_ms: Option<i64>,
    pub presence_lease_ms: Option<i64>,
    pub tags: Vec<TagJson>,
}

fn json_value(text: Option<String>) -> Result<Option<Value>, StoreError> {
    text.map(|t| serde_json::from_str(&t).map_err(StoreError::new))
        .transpose()
}

fn json_text(value: Option<Value>) -> Option<String> {
    value.map(|v| v.to_string())
}

impl MeetingJson {
    pub(crate) fn of(m: &StoredMeeting) -> Result<Self, StoreError> {
        let r = MeetingRow::from_record(&m.record)?;
        Ok(MeetingJson {
            meeting_id: r.meeting_id,
            account_id: r.account_id,
            api: r.namespace,
            control_region: r.control_region,
            client_request_token: r.client_request_token,
            media_region: r.media_region,
            external_meeting_id: r.external_meeting_id,
            meeting_host_id: r.meeting_host_id,
            primary_meeting_id: r.primary_meeting_id,
            tenant_ids: m.record.tenant_ids.clone(),
            features: json_value(r.features)?,
            notifications: json_value(r.notifications)?,
            media_placement_network_type: r.media_placement_network_type,
            transcription: json_value(r.transcription)?,
            created_at_ms: r.created_at_ms,
            ended_at_ms: r.ended_at_ms,
            end_reason: r.end_reason,
            idle_since_ms: m.idle_since_ms,
            presence_lease_ms: m.presence_lease_ms,
            tags: tags_json(&m.tags),
        })
    }

    /// The meeting as the store takes it back; `Err` says which member does not decode.
    pub(crate) fn into_stored(self) -> Result<StoredMeeting, String> {
        let tenant_ids = serde_json::to_string(&self.tenant_ids).map_err(|e| e.to_string())?;
        // Ids in the API's paths are matched lower-cased; so are they stored.
        let row = MeetingRow {
            meeting_id: self.meeting_id.to_ascii_lowercase(),
            account_id: self.account_id,
            namespace: self.api,
            control_region: self.control_region,
            client_request_token: self.client_request_token,
            media_region: self.media_region,
            external_meeting_id: self.external_meeting_id,
            meeting_host_id: self.meeting_host_id,
            primary_meeting_id: self.primary_meeting_id.map(|p| p.to_ascii_lowercase()),
            tenant_ids,
            features: json_text(self.features),
            notifications: json_text(self.notifications),
            media_placement_network_type: self.media_placement_network_type,
            transcription: json_text(self.transcription),
            created_at_ms: self.created_at_ms,
            ended_at_ms: self.ended_at_ms,
            end_reason: self.end_reason,
        };
        let record = row.into_record().map_err(|e| e.to_string())?;
        if record.end_reason.is_some() && record.is_active() {
            return Err("endReason is set but endedAtMs is not".into());
        }
        Ok(StoredMeeting {
            record,
            attendee_count: 0,
            tags: tags_of(self.tags),
            idle_since_ms: self.idle_since_ms,
            presence_lease_ms: self.presence_lease_ms,
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct AttendeeJson {
    pub meeting_id: String,
    pub attendee_id: String,
    pub external_user_id: String,
    pub join_token: String,
    pub capabilities: Option<AttendeeCapabilities>,
    pub tags: Vec<TagJson>,
}

impl AttendeeJson {
    pub(crate) fn of(a: &StoredAttendee) -> Self {
        let r = &a.record;
        AttendeeJson {
            meeting_id: r.meeting_id.clone(),
            attendee_id: r.attendee_id.clone(),
            external_user_id: r.external_user_id.clone(),
            join_token: r.join_token.clone(),
            capabilities: r.capabilities,
            tags: tags_json(&a.tags),
        }
    }

    pub(crate) fn into_stored(self) -> StoredAttendee {
        StoredAttendee {
            record: AttendeeRecord {
                meeting_id: self.meeting_id.to_ascii_lowercase(),
                attendee_id: self.attendee_id.to_ascii_lowercase(),
                external_user_id: self.external_user_id,
                join_token: self.join_token,
                capabilities: self.capabilities,
            },
            tags: tags_of(self.tags),
        }
    }
}
