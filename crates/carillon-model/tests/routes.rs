//! Route table: raw request lines to operations and label values, and routing errors.

mod support;

use carillon_model::{RouteError, ServiceModel};
use support::{current, legacy, route, ATTENDEE, MEETING};

/// `(request line, operation, labels)`; `{M}`/`{A}` stand for the fixture ids.
type Row = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

const M: (&str, &str) = ("MeetingId", MEETING);
const A: (&str, &str) = ("AttendeeId", ATTENDEE);

const CURRENT: &[Row] = &[
    ("POST /meetings", "CreateMeeting", &[]),
    (
        "POST /meetings?operation=create-attendees",
        "CreateMeetingWithAttendees",
        &[],
    ),
    ("GET /meetings/{M}", "GetMeeting", &[M]),
    ("DELETE /meetings/{M}", "DeleteMeeting", &[M]),
    ("POST /meetings/{M}/attendees", "CreateAttendee", &[M]),
    (
        "POST /meetings/{M}/attendees?operation=batch-create",
        "BatchCreateAttendee",
        &[M],
    ),
    ("GET /meetings/{M}/attendees/{A}", "GetAttendee", &[M, A]),
    ("GET /meetings/{M}/attendees", "ListAttendees", &[M]),
    (
        "GET /meetings/{M}/attendees?max-results=5&next-token=abc",
        "ListAttendees",
        &[M],
    ),
    (
        "DELETE /meetings/{M}/attendees/{A}",
        "DeleteAttendee",
        &[M, A],
    ),
    (
        "PUT /meetings/{M}/attendees/{A}/capabilities",
        "UpdateAttendeeCapabilities",
        &[M, A],
    ),
    (
        "PUT /meetings/{M}/attendees/capabilities?operation=batch-update-except",
        "BatchUpdateAttendeeCapabilitiesExcept",
        &[M],
    ),
    (
        "POST /meetings/{M}/transcription?operation=start",
        "StartMeetingTranscription",
        &[M],
    ),
    (
        "POST /meetings/{M}/transcription?operation=stop",
        "StopMeetingTranscription",
        &[M],
    ),
    ("POST /tags?operation=tag-resource", "TagResource", &[]),
    ("POST /tags?operation=untag-resource", "UntagResource", &[]),
    (
        "GET /tags?arn=arn%3Aaws%3Achime%3Aus-east-1%3A1%3Ameeting%2Fx",
        "ListTagsForResource",
        &[],
    ),
    // Unknown parameters do not disturb routing; parameter order does not matter.
    ("GET /tags?foo=bar&arn=x", "ListTagsForResource", &[]),
    (
        "POST /meetings?x=1&operation=create-attendees&y",
        "CreateMeetingWithAttendees",
        &[],
    ),
];

const LEGACY: &[Row] = &[
    ("POST /meetings", "CreateMeeting", &[]),
    (
        "POST /meetings?operation=create-attendees",
        "CreateMeetingWithAttendees",
        &[],
    ),
    ("GET /meetings/{M}", "GetMeeting", &[M]),
    ("GET /meetings", "ListMeetings", &[]),
    ("DELETE /meetings/{M}", "DeleteMeeting", &[M]),
    ("POST /meetings/{M}/attendees", "CreateAttendee", &[M]),
    (
        "POST /meetings/{M}/attendees?operation=batch-create",
        "BatchCreateAttendee",
        &[M],
    ),
    ("GET /meetings/{M}/attendees/{A}", "GetAttendee", &[M, A]),
    ("GET /meetings/{M}/attendees", "ListAttendees", &[M]),
    (
        "DELETE /meetings/{M}/attendees/{A}",
        "DeleteAttendee",
        &[M, A],
    ),
    (
        "POST /meetings/{M}/transcription?operation=start",
        "StartMeetingTranscription",
        &[M],
    ),
    (
        "POST /meetings/{M}/transcription?operation=stop",
        "StopMeetingTranscription",
        &[M],
    ),
    ("POST /meetings/{M}/tags?operation=add", "TagMeeting", &[M]),
    (
        "POST /meetings/{M}/tags?operation=delete",
        "UntagMeeting",
        &[M],
    ),
    ("GET /meetings/{M}/tags", "ListMeetingTags", &[M]),
    (
        "POST /meetings/{M}/attendees/{A}/tags?operation=add",
        "TagAttendee",
        &[M, A],
    ),
    (
        "POST /meetings/{M}/attendees/{A}/tags?operation=delete",
        "UntagAttendee",
        &[M, A],
    ),
    (
        "GET /meetings/{M}/attendees/{A}/tags",
        "ListAttendeeTags",
        &[M, A],
    ),
    ("POST /tags?operation=tag-resource", "TagResource", &[]),
    ("POST /tags?operation=untag-resource", "UntagResource", &[]),
    (
        "GET /tags?arn=arn%3Aaws%3Achime%3A%3A1%3Ameeting%2Fx",
        "ListTagsForResource",
        &[],
    ),
];

fn check_table(model: &ServiceModel, rows: &[Row]) {
    for (line, operation, labels) in rows {
        let found = route(model, line).unwrap_or_else(|e| panic!("{line}: {e:?}"));
        assert_eq!(found.operation.name, *operation, "{line}");
        let expected: Vec<(String, String)> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(found.labels, expected, "{line}");
    }
}

#[test]
fn current_model_routes() {
    let model = current();
    assert_eq!(model.operations().count(), 16);
    check_table(&model, CURRENT);
}

#[test]
fn legacy_meeting_routes() {
    let model = legacy();
    assert_eq!(model.operations().count(), 21);
    check_table(&model, LEGACY);
}

#[test]
fn legacy_labels_are_lower_case_on_the_wire() {
    let model = legacy();
    let op = model.operation("GetAttendee").unwrap();
    assert_eq!(op.path, "/meetings/{meetingId}/attendees/{attendeeId}");
    // The label values are still reported under the member names.
    let found = route(&model, "GET /meetings/{M}/attendees/{A}").unwrap();
    assert_eq!(found.labels[0].0, "MeetingId");
    assert_eq!(found.labels[1].0, "AttendeeId");
}

fn error(model: &ServiceModel, line: &str) -> RouteError {
    match route(model, line) {
        Ok(found) => panic!("{line} routed to {}", found.operation.name),
        Err(e) => e,
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn unknown_paths() {
    let model = current();
    for line in [
        "GET /nope",
        "GET /",
        "GET /meetings/{M}/nope",
        "GET /meetings/{M}/attendees/{A}/capabilities/x",
        "GET meetings",
        "GET ",
    ] {
        assert_eq!(error(&model, line), RouteError::NoSuchPath, "{line}");
    }
    // Meeting tag routes only exist in the legacy model.
    assert_eq!(
        error(&model, "GET /meetings/{M}/tags"),
        RouteError::NoSuchPath
    );
}

#[test]
fn trailing_slash_and_empty_segments_do_not_match() {
    let model = current();
    for line in [
        "POST /meetings/",
        "GET /meetings/{M}/",
        "GET /meetings//attendees",
        "GET //meetings",
        "GET /tags/",
    ] {
        assert_eq!(error(&model, line), RouteError::NoSuchPath, "{line}");
    }
}

#[test]
fn wrong_method() {
    let model = current();
    assert_eq!(
        error(&model, "PATCH /meetings"),
        RouteError::MethodNotAllowed {
            allowed: strings(&["POST"])
        }
    );
    assert_eq!(
        error(&model, "PUT /meetings/{M}"),
        RouteError::MethodNotAllowed {
            allowed: strings(&["DELETE", "GET"])
        }
    );
    assert_eq!(
        error(&model, "DELETE /tags"),
        RouteError::MethodNotAllowed {
            allowed: strings(&["GET", "POST"])
        }
    );
    // Methods are case-sensitive.
    assert!(matches!(
        error(&model, "get /tags"),
        RouteError::MethodNotAllowed { .. }
    ));
    // The legacy ListMeetings is not part of the current model.
    assert_eq!(
        error(&model, "GET /meetings"),
        RouteError::MethodNotAllowed {
            allowed: strings(&["POST"])
        }
    );
}

#[test]
fn unknown_selector() {
    let model = current();
    assert_eq!(
        error(&model, "POST /meetings?operation=bogus"),
        RouteError::UnknownSelector {
            expected: strings(&["operation=create-attendees"])
        }
    );
    assert_eq!(
        error(&model, "POST /meetings/{M}/transcription?operation=pause"),
        RouteError::UnknownSelector {
            expected: strings(&["operation=start", "operation=stop"])
        }
    );
    // A selector on a route without one is refused too.
    assert_eq!(
        error(&model, "GET /tags?operation=tag-resource"),
        RouteError::UnknownSelector { expected: vec![] }
    );
    assert_eq!(
        error(&model, "POST /meetings?operation="),
        RouteError::UnknownSelector {
            expected: strings(&["operation=create-attendees"])
        }
    );
    // Selector values are case-sensitive.
    assert!(matches!(
        error(&model, "POST /tags?operation=TAG-RESOURCE"),
        RouteError::UnknownSelector { .. }
    ));
}

#[test]
fn missing_selector() {
    let model = current();
    assert_eq!(
        error(&model, "POST /tags"),
        RouteError::MissingSelector {
            expected: strings(&["operation=tag-resource", "operation=untag-resource"])
        }
    );
    assert_eq!(
        error(&model, "POST /meetings/{M}/transcription"),
        RouteError::MissingSelector {
            expected: strings(&["operation=start", "operation=stop"])
        }
    );
    assert_eq!(
        error(&legacy(), "POST /meetings/{M}/tags"),
        RouteError::MissingSelector {
            expected: strings(&["operation=add", "operation=delete"])
        }
    );
}

#[test]
fn repeated_selector() {
    let model = current();
    assert_eq!(
        error(
            &model,
            "POST /tags?operation=tag-resource&operation=untag-resource"
        ),
        RouteError::DuplicateSelector {
            parameter: "operation".into()
        }
    );
    assert_eq!(
        error(
            &model,
            "POST /tags?operation=tag-resource&operation=tag-resource"
        ),
        RouteError::DuplicateSelector {
            parameter: "operation".into()
        }
    );
}

#[test]
fn encoded_labels_are_decoded_per_segment() {
    let model = current();
    let found = route(&model, "GET /meetings/abc%20def").unwrap();
    assert_eq!(found.labels, vec![("MeetingId".into(), "abc def".into())]);
    let found = route(&model, "GET /meetings/a%2Fb/attendees").unwrap();
    assert_eq!(found.operation.name, "ListAttendees");
    assert_eq!(found.labels, vec![("MeetingId".into(), "a/b".into())]);
    let found = route(&model, "GET /meetings/%C3%A9+x").unwrap();
    assert_eq!(found.labels, vec![("MeetingId".into(), "é+x".into())]);
    // Literal segments compare after decoding.
    let found = route(&model, "POST /%6Deetings").unwrap();
    assert_eq!(found.operation.name, "CreateMeeting");
    // Selector values are decoded as well.
    let found = route(&model, "POST /tags?operation=tag%2Dresource").unwrap();
    assert_eq!(found.operation.name, "TagResource");
}

#[test]
fn bad_encoding() {
    let model = current();
    for line in [
        "GET /meetings/%FF",
        "GET /meetings/%zz",
        "GET /meetings/%4",
        "GET /tags?arn=%C3",
    ] {
        assert_eq!(error(&model, line), RouteError::BadEncoding, "{line}");
    }
}

#[test]
fn literal_segments_beat_labels() {
    let model = current();
    // `/attendees/capabilities` is both the literal batch route and `/attendees/{AttendeeId}`.
    let found = route(
        &model,
        "PUT /meetings/{M}/attendees/capabilities?operation=batch-update-except",
    )
    .unwrap();
    assert_eq!(
        found.operation.name,
        "BatchUpdateAttendeeCapabilitiesExcept"
    );
    assert_eq!(found.labels, vec![("MeetingId".into(), MEETING.into())]);

    let found = route(&model, "PUT /meetings/{M}/attendees/{A}/capabilities").unwrap();
    assert_eq!(found.operation.name, "UpdateAttendeeCapabilities");

    // Without its selector the literal route is not addressed.
    assert_eq!(
        error(&model, "PUT /meetings/{M}/attendees/capabilities"),
        RouteError::MissingSelector {
            expected: strings(&["operation=batch-update-except"])
        }
    );

    // For methods the literal route lacks, the label route still applies (and validation
    // then rejects the attendee id).
    let found = route(&model, "GET /meetings/{M}/attendees/capabilities").unwrap();
    assert_eq!(found.operation.name, "GetAttendee");
    assert_eq!(
        found.labels[1],
        ("AttendeeId".into(), "capabilities".into())
    );
}

#[test]
fn route_errors_read_well() {
    assert_eq!(
        RouteError::MissingSelector {
            expected: strings(&["operation=tag-resource", "operation=untag-resource"])
        }
        .to_string(),
        "The request must name an operation with a query parameter; expected one of: \
         operation=tag-resource, operation=untag-resource"
    );
    assert_eq!(
        RouteError::MethodNotAllowed {
            allowed: strings(&["DELETE", "GET"])
        }
        .to_string(),
        "The method is not allowed for this resource; allowed methods: DELETE, GET"
    );
    assert_eq!(
        RouteError::UnknownSelector { expected: vec![] }.to_string(),
        "The operation query parameter does not name an operation of this resource"
    );
}
