//! The records Carillon keeps, shaped after the Chime SDK model (member names as in the model).

use serde::{Deserialize, Serialize};

/// The attendee cap AWS applies to every meeting (quota `L-B1CE561B`, not adjustable).
pub const DEFAULT_MAX_ATTENDEES: u32 = 250;

/// Which API namespace a meeting belongs to. As on AWS, a meeting created through one namespace
/// cannot be addressed through the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Namespace {
    /// `chime-sdk-meetings` 2021-07-15.
    Meetings,
    /// The legacy `chime` 2018-05-01 meeting operations.
    Legacy,
}

impl Namespace {
    pub fn as_str(self) -> &'static str {
        match self {
            Namespace::Meetings => "meetings",
            Namespace::Legacy => "legacy",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "meetings" => Some(Namespace::Meetings),
            "legacy" => Some(Namespace::Legacy),
            _ => None,
        }
    }
}

/// Everything a caller can see: one account in one namespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    pub account_id: String,
    pub namespace: Namespace,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MediaCapability {
    SendReceive,
    Send,
    Receive,
    None,
}

impl MediaCapability {
    /// True for the values that receive media (`SendReceive`, `Receive`).
    pub fn receives(self) -> bool {
        matches!(
            self,
            MediaCapability::SendReceive | MediaCapability::Receive
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttendeeCapabilities {
    pub audio: MediaCapability,
    pub video: MediaCapability,
    pub content: MediaCapability,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VideoResolution {
    None,
    #[serde(rename = "HD")]
    Hd,
    #[serde(rename = "FHD")]
    Fhd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ContentResolution {
    None,
    #[serde(rename = "FHD")]
    Fhd,
    #[serde(rename = "UHD")]
    Uhd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MeetingFeatureStatus {
    #[serde(rename = "AVAILABLE")]
    Available,
    #[serde(rename = "UNAVAILABLE")]
    Unavailable,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AudioFeatures {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub echo_reduction: Option<MeetingFeatureStatus>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VideoFeatures {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_resolution: Option<VideoResolution>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContentFeatures {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_resolution: Option<ContentResolution>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttendeeFeatures {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_count: Option<u32>,
}

/// `MeetingFeaturesConfiguration` in the model.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MeetingFeatures {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio: Option<AudioFeatures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video: Option<VideoFeatures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<ContentFeatures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attendee: Option<AttendeeFeatures>,
}

impl MeetingFeatures {
    /// `Video.MaxResolution`, defaulting to `HD` as the model documents.
    pub fn video_max_resolution(&self) -> VideoResolution {
        self.video
            .as_ref()
            .and_then(|v| v.max_resolution)
            .unwrap_or(VideoResolution::Hd)
    }

    /// `Content.MaxResolution`, defaulting to `FHD` as the model documents.
    pub fn content_max_resolution(&self) -> ContentResolution {
        self.content
            .as_ref()
            .and_then(|c| c.max_resolution)
            .unwrap_or(ContentResolution::Fhd)
    }

    pub fn attendee_max_count(&self) -> Option<u32> {
        self.attendee.as_ref().and_then(|a| a.max_count)
    }

    /// A "high-definition session": FHD video or UHD content.
    pub fn is_high_definition(&self) -> bool {
        self.video_max_resolution() == VideoResolution::Fhd
            || self.content_max_resolution() == ContentResolution::Uhd
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NotificationsConfiguration {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lambda_function_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sns_topic_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sqs_queue_arn: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// A meeting as stored. Active until `ended_at_ms` is set; an ended meeting is kept only so that
/// its ClientRequestToken keeps returning it, as AWS does.
#[derive(Clone, PartialEq, Eq)]
pub struct MeetingRecord {
    pub meeting_id: String,
    pub scope: Scope,
    /// The region the creating request was signed for; it names the meeting in its ARN.
    pub control_region: String,
    pub client_request_token: String,
    pub media_region: String,
    pub external_meeting_id: Option<String>,
    pub meeting_host_id: Option<String>,
    pub primary_meeting_id: Option<String>,
    pub tenant_ids: Vec<String>,
    pub features: Option<MeetingFeatures>,
    pub notifications: Option<NotificationsConfiguration>,
    pub media_placement_network_type: Option<String>,
    pub transcription: Option<crate::transcription::TranscriptionConfiguration>,
    pub created_at_ms: i64,
    pub ended_at_ms: Option<i64>,
    /// Why it ended; `None` while active (and for meetings ended before reasons were kept).
    pub end_reason: Option<crate::lifecycle::EndReason>,
}

impl MeetingRecord {
    /// `arn:aws:chime:<control region>:<account>:meeting/<MeetingId>`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:chime:{}:{}:meeting/{}",
            self.control_region, self.scope.account_id, self.meeting_id
        )
    }

    pub fn is_active(&self) -> bool {
        self.ended_at_ms.is_none()
    }

    /// How many undeleted attendees the meeting admits: `MeetingFeatures.Attendee.MaxCount` when
    /// set, else 250.
    pub fn max_attendees(&self) -> u32 {
        self.features
            .as_ref()
            .and_then(MeetingFeatures::attendee_max_count)
            .unwrap_or(DEFAULT_MAX_ATTENDEES)
    }
}

/// Hand-written so that the sensitive members (ClientRequestToken, ExternalMeetingId,
/// MeetingHostId) never reach a log line.
impl std::fmt::Debug for MeetingRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeetingRecord")
            .field("meeting_id", &self.meeting_id)
            .field("scope", &self.scope)
            .field("control_region", &self.control_region)
            .field("media_region", &self.media_region)
            .field("primary_meeting_id", &self.primary_meeting_id)
            .field("ended_at_ms", &self.ended_at_ms)
            .field("end_reason", &self.end_reason)
            .finish_non_exhaustive()
    }
}

/// An attendee as stored. Deleted attendees are removed, so every record is a live one.
#[derive(Clone, PartialEq, Eq)]
pub struct AttendeeRecord {
    pub meeting_id: String,
    pub attendee_id: String,
    pub external_user_id: String,
    pub join_token: String,
    /// Always set by the service (legacy attendees get the defaults, which the legacy API does
    /// not show); optional so that a backend can represent a record without them.
    pub capabilities: Option<AttendeeCapabilities>,
}

/// Hand-written so that ExternalUserId and JoinToken never reach a log line.
impl std::fmt::Debug for AttendeeRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttendeeRecord")
            .field("meeting_id", &self.meeting_id)
            .field("attendee_id", &self.attendee_id)
            .field("capabilities", &self.capabilities)
            .finish_non_exhaustive()
    }
}
