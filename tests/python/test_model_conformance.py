"""Driven by botocore's own `chime-sdk-meetings` model: every operation, sent malformed-but-signed
requests, answers with one of that operation's modeled errors (at the modeled status) or with its
modeled success code; never an unmodeled error name, never a 5xx."""

from __future__ import annotations

import json
import re
import uuid

import boto3
import botocore.session
import pytest
from botocore.parsers import RestJSONParser

from carillon_support import SIGNING_NAME, encode_query, unique

SERVICE_MODEL = botocore.session.get_session().get_service_model("chime-sdk-meetings")
OPERATIONS = sorted(SERVICE_MODEL.operation_names)

EXPECTED_OPERATIONS = sorted(
    [
        "BatchCreateAttendee",
        "BatchUpdateAttendeeCapabilitiesExcept",
        "CreateAttendee",
        "CreateMeeting",
        "CreateMeetingWithAttendees",
        "DeleteAttendee",
        "DeleteMeeting",
        "GetAttendee",
        "GetMeeting",
        "ListAttendees",
        "ListTagsForResource",
        "StartMeetingTranscription",
        "StopMeetingTranscription",
        "TagResource",
        "UntagResource",
        "UpdateAttendeeCapabilities",
    ]
)

LABEL_RE = re.compile(r"\{([A-Za-z0-9_]+)\+?\}")

# A value of the wrong JSON type for each shape type.
WRONG_TYPE = {
    "string": 12345,
    "integer": "not-a-number",
    "long": "not-a-number",
    "boolean": "not-a-boolean",
    "structure": "not-an-object",
    "list": {"not": "a list"},
    "map": ["not", "a", "map"],
    "double": "not-a-number",
    "float": "not-a-number",
    "timestamp": {"not": "a timestamp"},
    "blob": 12345,
}


def test_boto3_knows_the_service():
    assert "chime-sdk-meetings" in boto3.session.Session().get_available_services()
    assert SERVICE_MODEL.metadata["protocol"] == "rest-json"
    assert SERVICE_MODEL.signing_name == SIGNING_NAME
    assert SERVICE_MODEL.api_version == "2021-07-15"


def test_the_model_has_the_sixteen_operations():
    assert OPERATIONS == EXPECTED_OPERATIONS


def modeled_errors(operation) -> dict[str, int]:
    return {shape.name: shape.metadata["error"]["httpStatusCode"] for shape in operation.error_shapes}


def success_code(operation) -> int:
    return operation.http.get("responseCode", 200)


def split_uri(operation, labels: dict[str, str]) -> tuple[str, list[tuple[str, str]]]:
    path, _, literal_query = operation.http["requestUri"].partition("?")
    members = operation.input_shape.members if operation.input_shape else {}
    # URI labels name the member's locationName; fill in the value chosen for that member.
    location_to_member = {
        shape.serialization.get("name", name): name
        for name, shape in members.items()
        if shape.serialization.get("location") == "uri"
    }

    def fill(match: re.Match) -> str:
        member = location_to_member.get(match.group(1), match.group(1))
        return labels.get(member, str(uuid.uuid4()))

    path = LABEL_RE.sub(fill, path)
    query = [tuple(p.split("=", 1)) if "=" in p else (p, "") for p in literal_query.split("&") if p]
    return path, query


def body_members(operation) -> dict:
    if not operation.input_shape:
        return {}
    return {
        name: shape
        for name, shape in operation.input_shape.members.items()
        if "location" not in shape.serialization
    }


def query_members(operation) -> dict[str, str]:
    if not operation.input_shape:
        return {}
    return {
        name: shape.serialization.get("name", name)
        for name, shape in operation.input_shape.members.items()
        if shape.serialization.get("location") == "querystring"
    }


def check_answer(operation, response, variant: str) -> None:
    context = f"{operation.name} [{variant}]: {response!r}"
    assert response.status < 500, context
    assert response.request_id, context
    if 200 <= response.status < 300:
        assert response.error_type is None, context
        assert response.status == success_code(operation), context
        if operation.output_shape is not None and operation.output_shape.members and response.body:
            body = response.json()
            assert isinstance(body, dict), context
            # botocore must be able to read the answer as the modeled output.
            parsed = RestJSONParser().parse(
                {"status_code": response.status, "headers": dict(response.headers), "body": response.body},
                operation.output_shape,
            )
            assert "Error" not in parsed, context
        elif operation.output_shape is None or not operation.output_shape.members:
            assert response.body == b"", context
        return
    errors = modeled_errors(operation)
    assert response.error_type in errors, f"unmodeled error for {context}; modeled: {sorted(errors)}"
    assert response.status == errors[response.error_type], context
    body = response.json()
    assert body.get("Code") == response.error_type.removesuffix("Exception"), context
    assert body.get("RequestId") == response.request_id, context
    assert isinstance(body.get("Message"), str), context


def variant_requests(operation, labels: dict[str, str] | None = None):
    """(variant name, path, query, body bytes or None) for malformed-but-signed requests."""
    labels = labels or {}
    path, literal = split_uri(operation, labels)
    members = body_members(operation)
    queries = query_members(operation)

    yield "empty-object", path, encode_query(literal), b"{}"
    yield "no-body", path, encode_query(literal), None
    wrong = {name: WRONG_TYPE.get(shape.type_name, 12345) for name, shape in members.items()}
    wrong_query = literal + [(location, "~not valid~") for location in queries.values()]
    yield "wrong-types", path, encode_query(wrong_query), json.dumps(wrong).encode()
    nulls = {name: None for name in members}
    yield "null-members", path, encode_query(literal), json.dumps(nulls).encode()
    too_long = {
        name: ("x" * 5000 if shape.type_name == "string" else [] if shape.type_name == "list" else {})
        for name, shape in members.items()
    }
    yield "out-of-range", path, encode_query(literal + [(q, "x" * 5000) for q in queries.values()]), json.dumps(too_long).encode()
    if LABEL_RE.search(operation.http["requestUri"]):
        bad_path, _ = split_uri(operation, {name: "not-a-guid" for name in ("MeetingId", "AttendeeId")})
        yield "bad-labels", bad_path, encode_query(literal), b"{}"


@pytest.mark.parametrize("operation_name", OPERATIONS)
def test_malformed_requests_get_modeled_answers(raw, operation_name):
    operation = SERVICE_MODEL.operation_model(operation_name)
    for variant, path, query, body in variant_requests(operation):
        response = raw.request(operation.http["method"], path, query=query or None, body=body)
        check_answer(operation, response, variant)


@pytest.mark.parametrize("operation_name", OPERATIONS)
def test_malformed_requests_on_a_live_meeting_get_modeled_answers(raw, operation_name):
    operation = SERVICE_MODEL.operation_model(operation_name)
    for variant_index, _ in enumerate(list(variant_requests(operation))):
        # A fresh meeting and attendee for every request, since some variants may succeed
        # (e.g. GetMeeting, DeleteMeeting) and change the meeting.
        meeting = raw.create_meeting()
        attendee = raw.request(
            "POST", f"/meetings/{meeting['MeetingId']}/attendees", json_body={"ExternalUserId": unique("u")}
        ).json()["Attendee"]
        labels = {"MeetingId": meeting["MeetingId"], "AttendeeId": attendee["AttendeeId"]}
        variant, path, query, body = list(variant_requests(operation, labels))[variant_index]
        response = raw.request(operation.http["method"], path, query=query or None, body=body)
        check_answer(operation, response, f"live/{variant}")
        raw.request("DELETE", f"/meetings/{meeting['MeetingId']}")


@pytest.mark.parametrize("operation_name", OPERATIONS)
def test_every_operation_is_routed(raw, operation_name):
    """Method, path and selector of every modeled operation reach that operation: the answer is
    never the route-level 404, only a modeled answer of the operation itself."""
    operation = SERVICE_MODEL.operation_model(operation_name)
    path, literal = split_uri(operation, {})
    response = raw.request(operation.http["method"], path, query=encode_query(literal) or None, body=b"{}")
    check_answer(operation, response, "routing")
    if response.error_type == "NotFoundException":
        assert re.match(r"^(Meeting|Attendee) <[0-9a-f-]{36}> not found$", response.json()["Message"]), response


def test_boto3_status_codes_match_the_model(chime, make_meeting):
    """Each operation with a valid input, through boto3: HTTPStatusCode is the modeled code."""
    meeting = make_meeting()
    meeting_id, arn = meeting["MeetingId"], meeting["MeetingArn"]
    caps = {"Audio": "SendReceive", "Video": "SendReceive", "Content": "SendReceive"}
    attendee_id = chime.create_attendee(MeetingId=meeting_id, ExternalUserId=unique("u"))["Attendee"]["AttendeeId"]
    doomed_id = chime.create_attendee(MeetingId=meeting_id, ExternalUserId=unique("u"))["Attendee"]["AttendeeId"]
    calls = {
        "CreateMeeting": lambda: chime.create_meeting(
            ClientRequestToken=unique("tok"), MediaRegion="us-east-1", ExternalMeetingId=unique("ext")
        ),
        "CreateMeetingWithAttendees": lambda: chime.create_meeting_with_attendees(
            ClientRequestToken=unique("tok"), MediaRegion="us-east-1", ExternalMeetingId=unique("ext"),
            Attendees=[{"ExternalUserId": unique("u")}],
        ),
        "GetMeeting": lambda: chime.get_meeting(MeetingId=meeting_id),
        "CreateAttendee": lambda: chime.create_attendee(MeetingId=meeting_id, ExternalUserId=unique("u")),
        "BatchCreateAttendee": lambda: chime.batch_create_attendee(
            MeetingId=meeting_id, Attendees=[{"ExternalUserId": unique("u")}]
        ),
        "GetAttendee": lambda: chime.get_attendee(MeetingId=meeting_id, AttendeeId=attendee_id),
        "ListAttendees": lambda: chime.list_attendees(MeetingId=meeting_id, MaxResults=1),
        "UpdateAttendeeCapabilities": lambda: chime.update_attendee_capabilities(
            MeetingId=meeting_id, AttendeeId=attendee_id, Capabilities=caps
        ),
        "BatchUpdateAttendeeCapabilitiesExcept": lambda: chime.batch_update_attendee_capabilities_except(
            MeetingId=meeting_id, ExcludedAttendeeIds=[{"AttendeeId": attendee_id}], Capabilities=caps
        ),
        "StartMeetingTranscription": lambda: chime.start_meeting_transcription(
            MeetingId=meeting_id,
            TranscriptionConfiguration={"EngineTranscribeSettings": {"LanguageCode": "en-US"}},
        ),
        "StopMeetingTranscription": lambda: chime.stop_meeting_transcription(MeetingId=meeting_id),
        "TagResource": lambda: chime.tag_resource(ResourceARN=arn, Tags=[{"Key": "k", "Value": "v"}]),
        "ListTagsForResource": lambda: chime.list_tags_for_resource(ResourceARN=arn),
        "UntagResource": lambda: chime.untag_resource(ResourceARN=arn, TagKeys=["k"]),
        "DeleteAttendee": lambda: chime.delete_attendee(MeetingId=meeting_id, AttendeeId=doomed_id),
        "DeleteMeeting": lambda: chime.delete_meeting(MeetingId=meeting_id),
    }
    assert sorted(calls) == OPERATIONS
    for name, call in calls.items():  # dict order: DeleteMeeting last
        response = call()
        expected = success_code(SERVICE_MODEL.operation_model(name))
        assert response["ResponseMetadata"]["HTTPStatusCode"] == expected, name
        assert response["ResponseMetadata"]["RequestId"], name
        if name.startswith("CreateMeeting"):
            chime.delete_meeting(MeetingId=response["Meeting"]["MeetingId"])
