//! The policy: which operations have a rate quota of their own, AWS's defaults, and the limits
//! an account resolves to.

use carillon_core::Namespace;

use super::gcra::Rate;

/// AWS's default rate of every rate quota: requests per second.
pub const DEFAULT_RATE: f64 = 10.0;
/// AWS's default burst of every rate quota.
pub const DEFAULT_BURST: u32 = 20;
/// AWS's default concurrent meeting quota, in each API (`L-9F286451`, `L-A5C73716`).
pub const DEFAULT_MAX_ACTIVE_MEETINGS: u32 = 250;

/// Every operation of both APIs, sorted (binary search). The quota file may name any of them.
pub const OPERATIONS: [&str; 23] = [
    "BatchCreateAttendee",
    "BatchUpdateAttendeeCapabilitiesExcept",
    "CreateAttendee",
    "CreateMeeting",
    "CreateMeetingWithAttendees",
    "DeleteAttendee",
    "DeleteMeeting",
    "GetAttendee",
    "GetMeeting",
    "ListAttendeeTags",
    "ListAttendees",
    "ListMeetingTags",
    "ListMeetings",
    "ListTagsForResource",
    "StartMeetingTranscription",
    "StopMeetingTranscription",
    "TagAttendee",
    "TagMeeting",
    "TagResource",
    "UntagAttendee",
    "UntagMeeting",
    "UntagResource",
    "UpdateAttendeeCapabilities",
];

/// The operations AWS lists a rate quota for ("Amazon Chime SDK endpoints and quotas",
/// <https://docs.aws.amazon.com/general/latest/gr/chime-sdk.html>): they have a bucket of their
/// own by default. No quota covers the others (GetAttendee, the transcription operations, the
/// legacy API's meeting and attendee tags).
pub const AWS_RATE_LIMITED: [&str; 14] = [
    "CreateMeeting",
    "CreateMeetingWithAttendees",
    "CreateAttendee",
    "BatchCreateAttendee",
    "GetMeeting",
    "ListAttendees",
    "ListMeetings",
    "DeleteAttendee",
    "DeleteMeeting",
    "UpdateAttendeeCapabilities",
    "BatchUpdateAttendeeCapabilitiesExcept",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
];

pub(super) fn operation_index(name: &str) -> Option<usize> {
    OPERATIONS.binary_search(&name).ok()
}

pub(super) fn namespace_index(namespace: Namespace) -> usize {
    match namespace {
        Namespace::Meetings => 0,
        Namespace::Legacy => 1,
    }
}

/// The limits of one account, resolved.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Limits {
    /// "All meeting management API": every operation draws from it.
    pub all: Rate,
    /// Indexed like [`OPERATIONS`]; `None`: the operation draws from `all` only.
    pub operations: [Option<Rate>; OPERATIONS.len()],
    /// Indexed by [`namespace_index`].
    pub max_active_meetings: [u32; 2],
}
