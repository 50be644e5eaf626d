//! Each operation's route as AWS's API reference documents it (method, path, query selector,
//! success code; the current API, then the legacy meeting operations), written out by hand and
//! checked against what the models yield, so that a loader bug cannot hide behind the models.

mod support;

use carillon_model::{
    ModelError, ServiceModel, CHIME_2018_05_01, CHIME_2018_05_01_MEETING_OPERATIONS,
    CHIME_SDK_MEETINGS_2021_07_15,
};
use support::{current, legacy};

/// `(operation, method, path, selector, success code)`.
type Row = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    u16,
);

const CURRENT: &[Row] = &[
    ("CreateMeeting", "POST", "/meetings", None, 200),
    (
        "CreateMeetingWithAttendees",
        "POST",
        "/meetings",
        Some("create-attendees"),
        200,
    ),
    ("GetMeeting", "GET", "/meetings/{MeetingId}", None, 200),
    (
        "DeleteMeeting",
        "DELETE",
        "/meetings/{MeetingId}",
        None,
        204,
    ),
    (
        "CreateAttendee",
        "POST",
        "/meetings/{MeetingId}/attendees",
        None,
        200,
    ),
    (
        "BatchCreateAttendee",
        "POST",
        "/meetings/{MeetingId}/attendees",
        Some("batch-create"),
        200,
    ),
    (
        "GetAttendee",
        "GET",
        "/meetings/{MeetingId}/attendees/{AttendeeId}",
        None,
        200,
    ),
    (
        "ListAttendees",
        "GET",
        "/meetings/{MeetingId}/attendees",
        None,
        200,
    ),
    (
        "DeleteAttendee",
        "DELETE",
        "/meetings/{MeetingId}/attendees/{AttendeeId}",
        None,
        204,
    ),
    (
        "UpdateAttendeeCapabilities",
        "PUT",
        "/meetings/{MeetingId}/attendees/{AttendeeId}/capabilities",
        None,
        200,
    ),
    (
        "BatchUpdateAttendeeCapabilitiesExcept",
        "PUT",
        "/meetings/{MeetingId}/attendees/capabilities",
        Some("batch-update-except"),
        200,
    ),
    (
        "StartMeetingTranscription",
        "POST",
        "/meetings/{MeetingId}/transcription",
        Some("start"),
        200,
    ),
    (
        "StopMeetingTranscription",
        "POST",
        "/meetings/{MeetingId}/transcription",
        Some("stop"),
        200,
    ),
    ("TagResource", "POST", "/tags", Some("tag-resource"), 204),
    (
        "UntagResource",
        "POST",
        "/tags",
        Some("untag-resource"),
        204,
    ),
    ("ListTagsForResource", "GET", "/tags", None, 200),
];

const LEGACY: &[Row] = &[
    ("CreateMeeting", "POST", "/meetings", None, 201),
    (
        "CreateMeetingWithAttendees",
        "POST",
        "/meetings",
        Some("create-attendees"),
        201,
    ),
    ("GetMeeting", "GET", "/meetings/{meetingId}", None, 200),
    ("ListMeetings", "GET", "/meetings", None, 200),
    (
        "DeleteMeeting",
        "DELETE",
        "/meetings/{meetingId}",
        None,
        204,
    ),
    (
        "CreateAttendee",
        "POST",
        "/meetings/{meetingId}/attendees",
        None,
        201,
    ),
    (
        "BatchCreateAttendee",
        "POST",
        "/meetings/{meetingId}/attendees",
        Some("batch-create"),
        201,
    ),
    (
        "GetAttendee",
        "GET",
        "/meetings/{meetingId}/attendees/{attendeeId}",
        None,
        200,
    ),
    (
        "ListAttendees",
        "GET",
        "/meetings/{meetingId}/attendees",
        None,
        200,
    ),
    (
        "DeleteAttendee",
        "DELETE",
        "/meetings/{meetingId}/attendees/{attendeeId}",
        None,
        204,
    ),
    (
        "StartMeetingTranscription",
        "POST",
        "/meetings/{meetingId}/transcription",
        Some("start"),
        200,
    ),
    (
        "StopMeetingTranscription",
        "POST",
        "/meetings/{meetingId}/transcription",
        Some("stop"),
        200,
    ),
    (
        "TagMeeting",
        "POST",
        "/meetings/{meetingId}/tags",
        Some("add"),
        204,
    ),
    (
        "UntagMeeting",
        "POST",
        "/meetings/{meetingId}/tags",
        Some("delete"),
        204,
    ),
    (
        "ListMeetingTags",
        "GET",
        "/meetings/{meetingId}/tags",
        None,
        200,
    ),
    (
        "TagAttendee",
        "POST",
        "/meetings/{meetingId}/attendees/{attendeeId}/tags",
        Some("add"),
        204,
    ),
    (
        "UntagAttendee",
        "POST",
        "/meetings/{meetingId}/attendees/{attendeeId}/tags",
        Some("delete"),
        204,
    ),
    (
        "ListAttendeeTags",
        "GET",
        "/meetings/{meetingId}/attendees/{attendeeId}/tags",
        None,
        200,
    ),
    ("TagResource", "POST", "/tags", Some("tag-resource"), 204),
    (
        "UntagResource",
        "POST",
        "/tags",
        Some("untag-resource"),
        204,
    ),
    ("ListTagsForResource", "GET", "/tags", None, 200),
];

fn check(model: &ServiceModel, table: &[Row]) {
    assert_eq!(model.operations().count(), table.len());
    for (name, method, path, selector, code) in table {
        let op = model
            .operation(name)
            .unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(op.method, *method, "{name}");
        assert_eq!(op.path, *path, "{name}");
        assert_eq!(op.selector.as_deref(), *selector, "{name}");
        assert_eq!(op.success_code, *code, "{name}");
    }
}

#[test]
fn current_table() {
    check(&current(), CURRENT);
}

#[test]
fn legacy_table() {
    check(&legacy(), LEGACY);
}

#[test]
fn operation_details() {
    let model = current();
    let create = model.operation("CreateMeeting").unwrap();
    assert!(create.has_body_members);
    assert_eq!(create.input_shape.as_deref(), Some("CreateMeetingRequest"));
    assert_eq!(
        create.output_shape.as_deref(),
        Some("CreateMeetingResponse")
    );
    assert!(create.errors.iter().any(|e| e == "ConflictException"));
    assert!(!create.deprecated);

    let stop = model.operation("StopMeetingTranscription").unwrap();
    assert!(!stop.has_body_members);
    assert_eq!(stop.output_shape, None);
    assert!(!model.operation("GetMeeting").unwrap().has_body_members);
    assert!(
        !model
            .operation("ListTagsForResource")
            .unwrap()
            .has_body_members
    );

    assert!(legacy().operation("CreateMeeting").unwrap().deprecated);
    assert!(legacy().operation("ListChannels").is_none());
}

#[test]
fn error_statuses() {
    let model = current();
    for (shape, status) in [
        ("BadRequestException", 400),
        ("UnauthorizedException", 401),
        ("ForbiddenException", 403),
        ("NotFoundException", 404),
        ("ResourceNotFoundException", 404),
        ("ConflictException", 409),
        ("LimitExceededException", 400),
        ("TooManyTagsException", 400),
        ("UnprocessableEntityException", 422),
        ("ThrottlingException", 429),
        ("ServiceFailureException", 500),
        ("ServiceUnavailableException", 503),
    ] {
        assert_eq!(model.error_status(shape), Some(status), "{shape}");
    }
    assert_eq!(model.error_status("Meeting"), None);
    assert_eq!(model.error_status("NoSuchShape"), None);

    let legacy = legacy();
    assert_eq!(legacy.error_status("ThrottledClientException"), Some(429));
    assert_eq!(
        legacy.error_status("ResourceLimitExceededException"),
        Some(400)
    );
    assert_eq!(
        legacy.error_status("UnauthorizedClientException"),
        Some(401)
    );
}

#[test]
fn metadata_and_sensitivity() {
    let model = current();
    assert_eq!(model.api_version(), "2021-07-15");
    assert_eq!(model.service_id(), "Chime SDK Meetings");
    assert_eq!(model.signing_name(), "chime");
    assert!(model.is_sensitive("ExternalUserId"));
    assert!(model.is_sensitive("ClientRequestToken"));
    assert!(!model.is_sensitive("MediaRegion"));
    assert!(model.has_shape("TenantId"));

    let legacy = legacy();
    assert_eq!(legacy.api_version(), "2018-05-01");
    assert_eq!(legacy.signing_name(), "chime");
    assert!(legacy.is_sensitive("TagKey"));
}

#[test]
fn whole_legacy_model_compiles() {
    // Every pattern of every input shape of the 191 operations translates and compiles.
    let model = ServiceModel::from_json(CHIME_2018_05_01).unwrap();
    assert_eq!(model.operations().count(), 191);
    assert_eq!(model.operation("ListChannels").unwrap().path, "/channels");
}

#[test]
fn loading_errors() {
    assert!(matches!(
        ServiceModel::from_json_with_operations(CHIME_SDK_MEETINGS_2021_07_15, &["NoSuchOp"]),
        Err(ModelError::UnknownOperation(name)) if name == "NoSuchOp"
    ));
    assert!(matches!(
        ServiceModel::from_json("{"),
        Err(ModelError::Json(_))
    ));
    let query_protocol = r#"{"metadata":{"protocol":"query"},"shapes":{},"operations":{}}"#;
    assert!(matches!(
        ServiceModel::from_json(query_protocol),
        Err(ModelError::UnsupportedProtocol(_))
    ));
    // A subset keeps only the listed operations.
    let subset = ServiceModel::from_json_with_operations(
        CHIME_2018_05_01,
        &CHIME_2018_05_01_MEETING_OPERATIONS[..2],
    )
    .unwrap();
    assert_eq!(subset.operations().count(), 2);
}

#[test]
fn ambiguous_routes_are_refused() {
    let model = r#"{
        "metadata": {"protocol": "rest-json"},
        "operations": {
            "A": {"name": "A", "http": {"method": "GET", "requestUri": "/x/{Id}"}, "input": {"shape": "In"}},
            "B": {"name": "B", "http": {"method": "GET", "requestUri": "/x/{Id}"}, "input": {"shape": "In"}}
        },
        "shapes": {
            "In": {"type": "structure", "required": ["Id"],
                   "members": {"Id": {"shape": "S", "location": "uri", "locationName": "Id"}}},
            "S": {"type": "string"}
        }
    }"#;
    assert!(matches!(
        ServiceModel::from_json(model),
        Err(ModelError::AmbiguousRoute(_, _))
    ));
}
