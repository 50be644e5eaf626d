//! Typed inputs and outputs of the operations, named and shaped as in the `chime-sdk-meetings`
//! model. Inputs are deserialized from the object the protocol layer builds after checking every
//! model constraint; outputs serialize to the model's response shapes (unset members are left out).

use serde::{Deserialize, Serialize};

use crate::domain::{
    AttendeeCapabilities, AttendeeRecord, MeetingFeatures, NotificationsConfiguration, Tag,
};
use crate::media_placement::MediaPlacement;
use crate::transcription::TranscriptionConfiguration;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateAttendeeRequestItem {
    pub external_user_id: String,
    #[serde(default)]
    pub capabilities: Option<AttendeeCapabilities>,
    /// Attendee tags: a member of the legacy API only.
    #[serde(default)]
    pub tags: Option<Vec<Tag>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateMeetingInput {
    pub client_request_token: String,
    pub media_region: String,
    #[serde(default)]
    pub meeting_host_id: Option<String>,
    #[serde(default)]
    pub external_meeting_id: Option<String>,
    #[serde(default)]
    pub notifications_configuration: Option<NotificationsConfiguration>,
    #[serde(default)]
    pub meeting_features: Option<MeetingFeatures>,
    #[serde(default)]
    pub primary_meeting_id: Option<String>,
    #[serde(default)]
    pub tenant_ids: Option<Vec<String>>,
    #[serde(default)]
    pub tags: Option<Vec<Tag>>,
    #[serde(default)]
    pub media_placement_network_type: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateMeetingWithAttendeesInput {
    #[serde(flatten)]
    pub meeting: CreateMeetingInput,
    /// Required by the current API's model (its validator refuses a request without it); the
    /// legacy model makes it optional, and a legacy request without it creates the meeting
    /// alone.
    #[serde(default)]
    pub attendees: Vec<CreateAttendeeRequestItem>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MeetingIdInput {
    pub meeting_id: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttendeeIdInput {
    pub meeting_id: String,
    pub attendee_id: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateAttendeeInput {
    pub meeting_id: String,
    #[serde(flatten)]
    pub item: CreateAttendeeRequestItem,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchCreateAttendeeInput {
    pub meeting_id: String,
    pub attendees: Vec<CreateAttendeeRequestItem>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAttendeesInput {
    pub meeting_id: String,
    #[serde(default)]
    pub next_token: Option<String>,
    #[serde(default)]
    pub max_results: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateAttendeeCapabilitiesInput {
    pub meeting_id: String,
    pub attendee_id: String,
    pub capabilities: AttendeeCapabilities,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttendeeIdItem {
    pub attendee_id: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchUpdateAttendeeCapabilitiesExceptInput {
    pub meeting_id: String,
    pub excluded_attendee_ids: Vec<AttendeeIdItem>,
    pub capabilities: AttendeeCapabilities,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StartMeetingTranscriptionInput {
    pub meeting_id: String,
    pub transcription_configuration: TranscriptionConfiguration,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TagResourceInput {
    #[serde(rename = "ResourceARN")]
    pub resource_arn: String,
    #[serde(rename = "Tags")]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct UntagResourceInput {
    #[serde(rename = "ResourceARN")]
    pub resource_arn: String,
    #[serde(rename = "TagKeys")]
    pub tag_keys: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ListTagsForResourceInput {
    #[serde(rename = "ResourceARN")]
    pub resource_arn: String,
}

/// The `Meeting` shape.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Meeting {
    pub meeting_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meeting_host_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_meeting_id: Option<String>,
    pub media_region: String,
    pub media_placement: MediaPlacement,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meeting_features: Option<MeetingFeatures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_meeting_id: Option<String>,
    /// Always written, `[]` when the meeting has none (see `MeetingService::meeting_output`).
    pub tenant_ids: Vec<String>,
    pub meeting_arn: String,
}

/// The `Attendee` shape.
#[derive(Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Attendee {
    pub external_user_id: String,
    pub attendee_id: String,
    pub join_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<AttendeeCapabilities>,
}

impl From<AttendeeRecord> for Attendee {
    fn from(r: AttendeeRecord) -> Self {
        Attendee {
            external_user_id: r.external_user_id,
            attendee_id: r.attendee_id,
            join_token: r.join_token,
            capabilities: r.capabilities,
        }
    }
}

impl std::fmt::Debug for Attendee {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attendee")
            .field("attendee_id", &self.attendee_id)
            .finish_non_exhaustive()
    }
}

/// The `CreateAttendeeError` shape: one attendee of a batch that was not created.
#[derive(Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateAttendeeError {
    pub external_user_id: String,
    pub error_code: String,
    pub error_message: String,
}

impl std::fmt::Debug for CreateAttendeeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateAttendeeError")
            .field("error_code", &self.error_code)
            .field("error_message", &self.error_message)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MeetingOutput {
    pub meeting: Meeting,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateMeetingWithAttendeesOutput {
    pub meeting: Meeting,
    pub attendees: Vec<Attendee>,
    pub errors: Vec<CreateAttendeeError>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttendeeOutput {
    pub attendee: Attendee,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchCreateAttendeeOutput {
    pub attendees: Vec<Attendee>,
    pub errors: Vec<CreateAttendeeError>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAttendeesOutput {
    pub attendees: Vec<Attendee>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTagsForResourceOutput {
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListMeetingsInput {
    #[serde(default)]
    pub next_token: Option<String>,
    #[serde(default)]
    pub max_results: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListMeetingsOutput {
    pub meetings: Vec<Meeting>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagMeetingInput {
    pub meeting_id: String,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UntagMeetingInput {
    pub meeting_id: String,
    pub tag_keys: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagAttendeeInput {
    pub meeting_id: String,
    pub attendee_id: String,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UntagAttendeeInput {
    pub meeting_id: String,
    pub attendee_id: String,
    pub tag_keys: Vec<String>,
}

/// The `Tags` output of ListTagsForResource, ListMeetingTags and ListAttendeeTags.
pub type TagsOutput = ListTagsForResourceOutput;
