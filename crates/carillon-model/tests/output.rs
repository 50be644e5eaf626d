//! Output projection: a response computed in the shape of the current model, trimmed to what
//! each served model's output shapes define.

mod support;

use carillon_model::ServiceModel;
use serde_json::{json, Value};
use support::{current, legacy, ATTENDEE, MEETING};

const SECOND_ATTENDEE: &str = "1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9";

fn project(model: &ServiceModel, operation: &str, value: Value) -> Value {
    let operation = model
        .operation(operation)
        .unwrap_or_else(|| panic!("{operation} is served"));
    model.project_output(operation, value)
}

fn has_body(model: &ServiceModel, operation: &str) -> bool {
    let operation = model
        .operation(operation)
        .unwrap_or_else(|| panic!("{operation} is served"));
    model.has_output_body(operation)
}

fn media_placement() -> Value {
    json!({
        "AudioHostUrl": "abcd.k.m3.ue1.app.chime.aws:3478",
        "AudioFallbackUrl": "wss://haxrp.m3.ue1.app.chime.aws:443/calls/abcd",
        "SignalingUrl": "wss://signal.m3.ue1.app.chime.aws/control/abcd",
        "TurnControlUrl": "https://2713.cell.us-east-1.meetings.chime.aws/v2/turn_sessions",
        "ScreenDataUrl": "wss://bitpw.m3.ue1.app.chime.aws:443/v2/screen/abcd",
        "ScreenViewingUrl": "wss://bitpw.m3.ue1.app.chime.aws:443/ws/connect?passcode=null&viewer_uuid=null&X-BitHub-Call-Id=abcd",
        "ScreenSharingUrl": "wss://bitpw.m3.ue1.app.chime.aws:443/v2/screen/abcd",
        "EventIngestionUrl": "https://data.svc.ue1.ingest.chime.aws/v1/client-events"
    })
}

fn capabilities() -> Value {
    json!({ "Audio": "SendReceive", "Video": "SendReceive", "Content": "Receive" })
}

/// A `CreateMeetingWithAttendees` response with every member the current model defines.
fn full_response() -> Value {
    json!({
        "Meeting": {
            "MeetingId": MEETING,
            "MeetingHostId": "host-1",
            "ExternalMeetingId": "standup",
            "MediaRegion": "us-east-1",
            "MediaPlacement": media_placement(),
            "MeetingFeatures": {
                "Audio": { "EchoReduction": "AVAILABLE" },
                "Video": { "MaxResolution": "HD" },
                "Content": { "MaxResolution": "FHD" },
                "Attendee": { "MaxCount": 250 }
            },
            "PrimaryMeetingId": "5e0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d",
            "TenantIds": ["tenant-a", "tenant-b"],
            "MeetingArn": format!("arn:aws:chime:us-east-1:123456789012:meeting/{MEETING}")
        },
        "Attendees": [
            {
                "ExternalUserId": "alice",
                "AttendeeId": ATTENDEE,
                "JoinToken": "dG9rZW4tYWxpY2U",
                "Capabilities": capabilities()
            },
            {
                "ExternalUserId": "bob",
                "AttendeeId": SECOND_ATTENDEE,
                "JoinToken": "dG9rZW4tYm9i",
                "Capabilities": capabilities()
            }
        ],
        "Errors": [
            {
                "ExternalUserId": "carol",
                "ErrorCode": "Conflict",
                "ErrorMessage": "The attendee already exists"
            }
        ]
    })
}

#[test]
fn legacy_create_meeting_with_attendees_keeps_only_legacy_members() {
    let projected = project(&legacy(), "CreateMeetingWithAttendees", full_response());
    let expected = json!({
        "Meeting": {
            "MeetingId": MEETING,
            "ExternalMeetingId": "standup",
            "MediaRegion": "us-east-1",
            "MediaPlacement": media_placement()
        },
        "Attendees": [
            { "ExternalUserId": "alice", "AttendeeId": ATTENDEE, "JoinToken": "dG9rZW4tYWxpY2U" },
            { "ExternalUserId": "bob", "AttendeeId": SECOND_ATTENDEE, "JoinToken": "dG9rZW4tYm9i" }
        ],
        "Errors": [
            {
                "ExternalUserId": "carol",
                "ErrorCode": "Conflict",
                "ErrorMessage": "The attendee already exists"
            }
        ]
    });
    assert_eq!(projected, expected);
}

#[test]
fn current_create_meeting_with_attendees_keeps_everything() {
    let projected = project(&current(), "CreateMeetingWithAttendees", full_response());
    assert_eq!(projected, full_response());
}

#[test]
fn lists_of_structures_are_projected_element_wise() {
    let response = json!({
        "Meetings": [
            { "MeetingId": MEETING, "MeetingArn": "arn:1", "MediaRegion": "us-east-1" },
            { "MeetingId": SECOND_ATTENDEE, "TenantIds": ["t"], "MeetingFeatures": {} }
        ],
        "NextToken": "next"
    });
    let expected = json!({
        "Meetings": [
            { "MeetingId": MEETING, "MediaRegion": "us-east-1" },
            { "MeetingId": SECOND_ATTENDEE }
        ],
        "NextToken": "next"
    });
    assert_eq!(project(&legacy(), "ListMeetings", response), expected);

    let response = json!({
        "Attendees": [
            { "AttendeeId": ATTENDEE, "Capabilities": capabilities(), "Unknown": 1 },
            { "AttendeeId": SECOND_ATTENDEE, "JoinToken": null }
        ]
    });
    let legacy_expected = json!({
        "Attendees": [{ "AttendeeId": ATTENDEE }, { "AttendeeId": SECOND_ATTENDEE }]
    });
    let current_expected = json!({
        "Attendees": [
            { "AttendeeId": ATTENDEE, "Capabilities": capabilities() },
            { "AttendeeId": SECOND_ATTENDEE }
        ]
    });
    assert_eq!(
        project(&legacy(), "ListAttendees", response.clone()),
        legacy_expected
    );
    assert_eq!(
        project(&current(), "ListAttendees", response),
        current_expected
    );
}

#[test]
fn unknown_top_level_members_and_nulls_are_dropped() {
    for model in [legacy(), current()] {
        let response = json!({
            "Meeting": { "MeetingId": MEETING, "ExternalMeetingId": null },
            "Attendees": [],
            "RequestId": "not in the model",
            "NextToken": null
        });
        assert_eq!(
            project(&model, "GetMeeting", response),
            json!({ "Meeting": { "MeetingId": MEETING } })
        );
    }
}

#[test]
fn tags_are_kept_through_lists_of_structures() {
    let tags = json!([{ "Key": "team", "Value": "a", "Extra": true }]);
    let response = json!({ "Tags": tags, "NextToken": "n" });
    let expected = json!({ "Tags": [{ "Key": "team", "Value": "a" }] });
    assert_eq!(
        project(&legacy(), "ListAttendeeTags", response.clone()),
        expected
    );
    assert_eq!(
        project(&current(), "ListTagsForResource", response),
        expected
    );
}

#[test]
fn operations_without_body_project_to_an_empty_object() {
    let response = json!({ "Meeting": { "MeetingId": MEETING } });
    let legacy = legacy();
    for operation in [
        "DeleteMeeting",
        "TagMeeting",
        "TagAttendee",
        "DeleteAttendee",
        "StartMeetingTranscription",
    ] {
        assert_eq!(
            project(&legacy, operation, response.clone()),
            json!({}),
            "legacy {operation}"
        );
    }
    let current = current();
    for operation in ["DeleteMeeting", "TagResource", "StartMeetingTranscription"] {
        assert_eq!(
            project(&current, operation, response.clone()),
            json!({}),
            "current {operation}"
        );
    }
}

#[test]
fn a_value_that_is_not_an_object_projects_to_an_empty_object() {
    let model = legacy();
    assert_eq!(project(&model, "GetMeeting", Value::Null), json!({}));
    assert_eq!(project(&model, "GetMeeting", json!([1, 2])), json!({}));
}

#[test]
fn scalar_values_are_left_as_they_are() {
    let response = json!({
        "Attendee": { "AttendeeId": 7, "ExternalUserId": ["not", "a", "string"] }
    });
    assert_eq!(
        project(&legacy(), "GetAttendee", response.clone()),
        response
    );
}

#[test]
fn output_body_presence() {
    let legacy = legacy();
    for operation in [
        "DeleteMeeting",
        "TagMeeting",
        "TagAttendee",
        "DeleteAttendee",
        "StartMeetingTranscription",
        "StopMeetingTranscription",
        "UntagMeeting",
        "TagResource",
    ] {
        assert!(!has_body(&legacy, operation), "legacy {operation}");
    }
    for operation in [
        "GetMeeting",
        "ListMeetings",
        "ListAttendeeTags",
        "CreateMeetingWithAttendees",
        "BatchCreateAttendee",
        "ListTagsForResource",
    ] {
        assert!(has_body(&legacy, operation), "legacy {operation}");
    }

    let current = current();
    for operation in [
        "DeleteMeeting",
        "TagResource",
        "UntagResource",
        "StartMeetingTranscription",
        "DeleteAttendee",
    ] {
        assert!(!has_body(&current, operation), "current {operation}");
    }
    for operation in [
        "GetMeeting",
        "ListAttendees",
        "CreateMeetingWithAttendees",
        "UpdateAttendeeCapabilities",
    ] {
        assert!(has_body(&current, operation), "current {operation}");
    }
}

#[test]
#[should_panic(expected = "different ServiceModel")]
fn an_operation_of_another_model_is_refused() {
    let legacy = legacy();
    let current = current();
    let operation = current.operation("GetMeeting").expect("served");
    let _ = legacy.project_output(operation, json!({}));
}
