"""Wire details checked with raw SigV4-signed requests: headers, status codes, error bodies,
authentication refusals, malformed input, routing and query encoding."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest

from carillon_support import (
    EXAMPLE,
    SECOND,
    Account,
    assert_guid,
    encode_query,
    meeting_arn,
    null_paths,
    pascal_case_keys,
    unique,
)

MISSING_ID = "0f0f0f0f-1111-4222-8333-444455556666"


# Errors of the front door (authentication, a body that is not JSON): no operation models them,
# and their bodies are {"message": ...} alone, as AWS's signing front end sends them, so that no
# client takes their name from a short body Code.
FRONT_DOOR_ERRORS = {
    "MissingAuthenticationTokenException",
    "IncompleteSignatureException",
    "InvalidSignatureException",
    "UnrecognizedClientException",
    "UnsupportedMediaTypeException",
}


def assert_error(response, status: int, error_type: str, code: str | None = None) -> dict:
    """The AWS rest-json error shape: status, x-amzn-ErrorType, JSON body with Code, Message and
    RequestId equal to x-amzn-RequestId; for a front-door error, a body of `message` alone."""
    assert response.status == status, response
    assert response.error_type == error_type, response
    assert response.headers.get("Content-Type", "").split(";")[0].strip() == "application/json", response.headers
    request_id = response.request_id
    assert request_id, response.headers
    body = response.json()
    assert isinstance(body, dict)
    if error_type in FRONT_DOOR_ERRORS:
        assert list(body) == ["message"] and isinstance(body["message"], str) and body["message"], body
        return body
    expected_code = code or error_type.removesuffix("Exception")
    assert body.get("Code") == expected_code, body
    assert isinstance(body.get("Message"), str) and body["Message"], body
    assert body.get("RequestId") == request_id, (body, request_id)
    return body


def assert_success_json(response, status: int = 200) -> dict:
    assert response.status == status, response
    assert response.request_id
    assert response.error_type is None
    assert response.headers.get("Content-Type", "").split(";")[0].strip() == "application/json"
    body = response.json()
    assert isinstance(body, dict), body
    assert pascal_case_keys(body) == [], pascal_case_keys(body)
    return body


def assert_empty_success(response, status: int) -> None:
    assert response.status == status, response
    assert response.request_id
    assert response.error_type is None
    assert response.body == b"", response


# --------------------------------------------------------------------------------------------
# Success responses
# --------------------------------------------------------------------------------------------


def test_success_bodies_are_pascal_case_objects_without_nulls(raw, server):
    create = raw.request(
        "POST",
        "/meetings",
        json_body={"ClientRequestToken": unique(), "MediaRegion": "us-east-1", "ExternalMeetingId": unique()},
    )
    body = assert_success_json(create)
    assert null_paths(body) == []
    meeting = body["Meeting"]
    meeting_id = meeting["MeetingId"]
    assert_guid(meeting_id)
    assert set(meeting) >= {"MeetingId", "ExternalMeetingId", "MediaRegion", "MediaPlacement", "MeetingArn"}
    # List members are sent empty rather than left out.
    assert meeting["TenantIds"] == []
    assert meeting["MediaPlacement"]["SignalingUrl"] == f"ws://{server.host_port}/control/{meeting_id}"

    get = raw.request("GET", f"/meetings/{meeting_id}")
    assert assert_success_json(get) == body

    attendee = raw.request("POST", f"/meetings/{meeting_id}/attendees", json_body={"ExternalUserId": "wire-user"})
    attendee_body = assert_success_json(attendee)
    assert null_paths(attendee_body) == []
    assert set(attendee_body["Attendee"]) == {"ExternalUserId", "AttendeeId", "JoinToken", "Capabilities"}

    listed = assert_success_json(raw.request("GET", f"/meetings/{meeting_id}/attendees"))
    assert listed["Attendees"] == [attendee_body["Attendee"]]
    assert "NextToken" not in listed

    raw.request("DELETE", f"/meetings/{meeting_id}")


def test_batch_outputs_always_carry_attendees_and_errors(raw):
    response = raw.request(
        "POST",
        "/meetings",
        query="operation=create-attendees",
        json_body={
            "ClientRequestToken": unique(),
            "MediaRegion": "us-east-1",
            "ExternalMeetingId": unique(),
            "Attendees": [{"ExternalUserId": "only-user"}],
        },
    )
    body = assert_success_json(response)
    assert body["Errors"] == []
    assert len(body["Attendees"]) == 1
    meeting_id = body["Meeting"]["MeetingId"]

    batch = raw.request(
        "POST",
        f"/meetings/{meeting_id}/attendees",
        query="operation=batch-create",
        json_body={"Attendees": [{"ExternalUserId": "other-user"}]},
    )
    batch_body = assert_success_json(batch)
    assert batch_body["Errors"] == []
    assert [a["ExternalUserId"] for a in batch_body["Attendees"]] == ["other-user"]
    raw.request("DELETE", f"/meetings/{meeting_id}")


def test_operations_without_output_have_empty_bodies(raw):
    meeting = raw.create_meeting()
    meeting_id = meeting["MeetingId"]
    arn = meeting["MeetingArn"]
    attendee = raw.request("POST", f"/meetings/{meeting_id}/attendees", json_body={"ExternalUserId": "gone-soon"}).json()["Attendee"]

    caps = {"Audio": "Receive", "Video": "Receive", "Content": "None"}
    assert_empty_success(
        raw.request(
            "PUT",
            f"/meetings/{meeting_id}/attendees/capabilities",
            query="operation=batch-update-except",
            json_body={"ExcludedAttendeeIds": [{"AttendeeId": MISSING_ID}], "Capabilities": caps},
        ),
        200,
    )
    assert_empty_success(
        raw.request(
            "POST",
            f"/meetings/{meeting_id}/transcription",
            query="operation=start",
            json_body={"TranscriptionConfiguration": {"EngineTranscribeSettings": {"LanguageCode": "en-US"}}},
        ),
        200,
    )
    assert_empty_success(
        raw.request("POST", f"/meetings/{meeting_id}/transcription", query="operation=stop"), 200
    )
    assert_empty_success(
        raw.request(
            "POST", "/tags", query="operation=tag-resource",
            json_body={"ResourceARN": arn, "Tags": [{"Key": "k", "Value": "v"}]},
        ),
        204,
    )
    assert_empty_success(
        raw.request("POST", "/tags", query="operation=untag-resource", json_body={"ResourceARN": arn, "TagKeys": ["k"]}),
        204,
    )
    assert_empty_success(raw.request("DELETE", f"/meetings/{meeting_id}/attendees/{attendee['AttendeeId']}"), 204)
    assert_empty_success(raw.request("DELETE", f"/meetings/{meeting_id}"), 204)


def test_request_ids_are_unique_guids(raw):
    ids = [raw.request("GET", f"/meetings/{MISSING_ID}").request_id for _ in range(5)]
    ids.append(raw.request("GET", "/tags", query={"arn": meeting_arn(MISSING_ID)}).request_id)
    assert len(set(ids)) == len(ids)
    for request_id in ids:
        uuid.UUID(request_id)


def test_boto3_request_id_is_the_header(chime, meeting):
    response = chime.get_meeting(MeetingId=meeting["MeetingId"])
    metadata = response["ResponseMetadata"]
    assert metadata["RequestId"] == metadata["HTTPHeaders"]["x-amzn-requestid"]


# --------------------------------------------------------------------------------------------
# Error responses
# --------------------------------------------------------------------------------------------


def test_not_found_error_body(raw):
    body = assert_error(raw.request("GET", f"/meetings/{MISSING_ID}"), 404, "NotFoundException", "NotFound")
    assert body["Message"] == f"Meeting <{MISSING_ID}> not found"


def test_resource_not_found_error_body(raw):
    arn = meeting_arn(MISSING_ID)
    response = raw.request("GET", "/tags", query={"arn": arn})
    body = assert_error(response, 404, "ResourceNotFoundException", "ResourceNotFound")
    assert body.get("ResourceName") == arn


def test_too_many_tags_error_body(raw):
    meeting = raw.create_meeting(Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    response = raw.request(
        "POST", "/tags", query="operation=tag-resource",
        json_body={"ResourceARN": meeting["MeetingArn"], "Tags": [{"Key": "one-more", "Value": "v"}]},
    )
    body = assert_error(response, 400, "TooManyTagsException", "TooManyTags")
    assert body.get("ResourceName") == meeting["MeetingArn"]
    raw.request("DELETE", f"/meetings/{meeting['MeetingId']}")


def test_limit_exceeded_error_body(raw):
    meeting = raw.create_meeting(MeetingFeatures={"Attendee": {"MaxCount": 1}})
    meeting_id = meeting["MeetingId"]
    assert raw.request("POST", f"/meetings/{meeting_id}/attendees", json_body={"ExternalUserId": "first"}).status == 200
    response = raw.request("POST", f"/meetings/{meeting_id}/attendees", json_body={"ExternalUserId": "second"})
    assert_error(response, 400, "LimitExceededException", "LimitExceeded")
    raw.request("DELETE", f"/meetings/{meeting_id}")


def test_validation_error_names_the_member(raw):
    meeting = raw.create_meeting()
    response = raw.request("POST", f"/meetings/{meeting['MeetingId']}/attendees", json_body={"ExternalUserId": "x"})
    body = assert_error(response, 400, "BadRequestException", "BadRequest")
    assert body["Message"] == (
        "1 validation error detected: Value at 'ExternalUserId' failed to satisfy constraint: "
        "Member must have length greater than or equal to 2"
    )


def test_validation_lists_every_violation(raw):
    response = raw.request("POST", "/meetings", json_body={"ClientRequestToken": "x"})
    body = assert_error(response, 400, "BadRequestException")
    assert body["Message"].startswith("3 validation errors detected: ")
    for member in ("ClientRequestToken", "MediaRegion", "ExternalMeetingId"):
        assert member in body["Message"]


def test_malformed_json_is_bad_request(raw):
    assert_error(raw.request("POST", "/meetings", body="{not json"), 400, "BadRequestException")


def test_truncated_json_is_bad_request(raw):
    assert_error(raw.request("POST", "/meetings", body='{"ClientRequestToken": "abc'), 400, "BadRequestException")


@pytest.mark.parametrize("body", ["[]", "[{}]", '"a string"', "42", "null", "true"])
def test_non_object_json_body_is_bad_request(raw, body):
    assert_error(raw.request("POST", "/meetings", body=body), 400, "BadRequestException")


def test_number_where_a_string_is_expected(raw):
    meeting = raw.create_meeting()
    response = raw.request("POST", f"/meetings/{meeting['MeetingId']}/attendees", json_body={"ExternalUserId": 12345})
    body = assert_error(response, 400, "BadRequestException")
    assert "ExternalUserId" in body["Message"]


@pytest.mark.parametrize(
    "members, fragment",
    [
        ({"MeetingFeatures": {"Attendee": {"MaxCount": "ten"}}}, "MaxCount"),
        ({"MeetingFeatures": {"Attendee": {"MaxCount": 2.5}}}, "MaxCount"),
        ({"MeetingFeatures": "all"}, "MeetingFeatures"),
        ({"TenantIds": "tenant"}, "TenantIds"),
        ({"Tags": {"Key": "k", "Value": "v"}}, "Tags"),
        ({"MediaRegion": ["us-east-1"]}, "MediaRegion"),
        ({"ExternalMeetingId": None}, "ExternalMeetingId"),
    ],
)
def test_wrong_json_types_are_bad_request(raw, members, fragment):
    body = {"ClientRequestToken": unique(), "MediaRegion": "us-east-1", "ExternalMeetingId": unique(), **members}
    response = raw.request("POST", "/meetings", json_body=body)
    error = assert_error(response, 400, "BadRequestException")
    assert fragment in error["Message"]


def test_boolean_member_with_a_string_is_bad_request(raw):
    meeting = raw.create_meeting()
    response = raw.request(
        "POST",
        f"/meetings/{meeting['MeetingId']}/transcription",
        query="operation=start",
        json_body={"TranscriptionConfiguration": {"EngineTranscribeSettings": {"IdentifyLanguage": "yes"}}},
    )
    assert "IdentifyLanguage" in assert_error(response, 400, "BadRequestException")["Message"]


def test_unknown_members_are_ignored(raw):
    response = raw.request(
        "POST",
        "/meetings",
        json_body={
            "ClientRequestToken": unique(),
            "MediaRegion": "us-east-1",
            "ExternalMeetingId": unique(),
            "SomeFutureMember": {"x": 1},
        },
    )
    body = assert_success_json(response)
    raw.request("DELETE", f"/meetings/{body['Meeting']['MeetingId']}")


def test_missing_body_on_an_operation_with_required_members(raw):
    response = raw.request("POST", "/meetings")
    body = assert_error(response, 400, "BadRequestException")
    assert "ClientRequestToken" in body["Message"]


def test_oversized_body_is_bad_request(raw):
    payload = json.dumps({"ClientRequestToken": unique(), "Padding": "x" * (1024 * 1024 + 10)})
    assert_error(raw.request("POST", "/meetings", body=payload), 400, "BadRequestException")


# --------------------------------------------------------------------------------------------
# Routing
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/nothing-here", "/meetings/a/b/c/d/e", f"/meetings/{MISSING_ID}/tags"])
def test_unknown_path_is_not_found(raw, path):
    assert_error(raw.request("GET", path), 404, "NotFoundException")


@pytest.mark.parametrize(
    "method, path, query",
    [
        ("PUT", "/meetings", None),
        ("GET", "/meetings", None),
        ("PATCH", f"/meetings/{MISSING_ID}", None),
        ("POST", f"/meetings/{MISSING_ID}", None),
        ("DELETE", "/tags", None),
        ("POST", "/meetings", "operation=bogus"),
        ("POST", "/tags", None),
        ("GET", f"/meetings/{MISSING_ID}/transcription", None),
    ],
)
def test_wrong_method_or_selector_is_bad_request(raw, method, path, query):
    assert_error(raw.request(method, path, query=query, body="{}"), 400, "BadRequestException")


def test_upper_case_guid_in_the_path_names_the_same_meeting(raw):
    meeting = raw.create_meeting()
    upper = meeting["MeetingId"].upper()
    response = raw.request("GET", f"/meetings/{upper}")
    assert assert_success_json(response)["Meeting"] == meeting
    attendee = raw.request("POST", f"/meetings/{upper}/attendees", json_body={"ExternalUserId": "upper-user"})
    assert attendee.status == 200
    attendee_id = attendee.json()["Attendee"]["AttendeeId"]
    assert_guid(attendee_id)
    got = raw.request("GET", f"/meetings/{meeting['MeetingId']}/attendees/{attendee_id.upper()}")
    assert assert_success_json(got)["Attendee"]["AttendeeId"] == attendee_id
    assert_empty_success(raw.request("DELETE", f"/meetings/{upper}"), 204)
    assert raw.request("GET", f"/meetings/{meeting['MeetingId']}").status == 404


@pytest.mark.parametrize("label", ["not-a-guid", "396bc713ecdb4fac0a4061db789d52713", "396bc713-ecdb-4fac-a406-1db789d5271z"])
def test_non_guid_meeting_id_is_bad_request(raw, label):
    body = assert_error(raw.request("GET", f"/meetings/{label}"), 400, "BadRequestException")
    assert "MeetingId" in body["Message"]


def test_percent_encoded_arn_query(raw):
    meeting = raw.create_meeting(Tags=[{"Key": "enc", "Value": "yes"}])
    arn = meeting["MeetingArn"]
    query = "arn=" + arn.replace(":", "%3A").replace("/", "%2F")
    assert query.startswith("arn=arn%3Aaws%3Achime%3Aus-east-1%3A123456789012%3Ameeting%2F")
    assert query == encode_query({"arn": arn})
    response = raw.request("GET", "/tags", query=query)
    assert assert_success_json(response)["Tags"] == [{"Key": "enc", "Value": "yes"}]
    # Sent with `:` and `/` left unencoded it is the same ARN; the signature covers the
    # canonical (encoded) form, as SigV4 prescribes.
    plain = raw.request("GET", "/tags", query=query, send_query=f"arn={arn}")
    assert assert_success_json(plain)["Tags"] == [{"Key": "enc", "Value": "yes"}]
    raw.request("DELETE", f"/meetings/{meeting['MeetingId']}")


def test_list_tags_without_arn_is_bad_request(raw):
    body = assert_error(raw.request("GET", "/tags"), 400, "BadRequestException")
    assert "ResourceARN" in body["Message"]


@pytest.mark.parametrize("value, fragment", [("0", "MaxResults"), ("abc", "MaxResults"), ("101", "MaxResults"), ("1.5", "MaxResults")])
def test_list_attendees_max_results_query(raw, value, fragment):
    meeting = raw.create_meeting()
    response = raw.request("GET", f"/meetings/{meeting['MeetingId']}/attendees", query=f"max-results={value}")
    body = assert_error(response, 400, "BadRequestException")
    assert fragment in body["Message"]


def test_list_attendees_query_parameters(raw):
    meeting = raw.create_meeting()
    meeting_id = meeting["MeetingId"]
    raw.request(
        "POST", f"/meetings/{meeting_id}/attendees", query="operation=batch-create",
        json_body={"Attendees": [{"ExternalUserId": f"q-{i}"} for i in range(3)]},
    )
    first = assert_success_json(raw.request("GET", f"/meetings/{meeting_id}/attendees", query="max-results=2"))
    assert len(first["Attendees"]) == 2
    token = first["NextToken"]
    second = assert_success_json(
        raw.request("GET", f"/meetings/{meeting_id}/attendees", query=encode_query({"max-results": "2", "next-token": token}))
    )
    assert [a["ExternalUserId"] for a in second["Attendees"]] == ["q-2"]
    bad = raw.request("GET", f"/meetings/{meeting_id}/attendees", query="next-token=%00%01garbage")
    assert_error(bad, 400, "BadRequestException")


# --------------------------------------------------------------------------------------------
# Authentication
# --------------------------------------------------------------------------------------------


def test_health_needs_no_authentication(raw):
    response = raw.request("GET", "/health", sign=False)
    assert response.status == 200
    assert response.json() == {"status": "ok"}


def test_missing_authorization_is_missing_authentication_token(raw):
    response = raw.request("GET", f"/meetings/{MISSING_ID}", sign=False)
    assert_error(response, 403, "MissingAuthenticationTokenException")
    post = raw.request("POST", "/meetings", json_body={}, sign=False)
    assert_error(post, 403, "MissingAuthenticationTokenException")


def test_unknown_access_key_is_unrecognized_client(raw):
    stranger = Account("AKIDUNKNOWN0000000", "whatever", "999999999999")
    response = raw.request("GET", f"/meetings/{MISSING_ID}", account=stranger)
    assert_error(response, 403, "UnrecognizedClientException")


def test_wrong_secret_is_invalid_signature(raw):
    wrong = Account(EXAMPLE.access_key, "not-the-secret", EXAMPLE.account_id)
    response = raw.request("GET", f"/meetings/{MISSING_ID}", account=wrong)
    assert_error(response, 403, "InvalidSignatureException")


def test_other_accounts_secret_is_invalid_signature(raw):
    mixed = Account(EXAMPLE.access_key, SECOND.secret_key, EXAMPLE.account_id)
    assert_error(raw.request("GET", f"/meetings/{MISSING_ID}", account=mixed), 403, "InvalidSignatureException")


def test_tampered_body_is_refused(raw):
    signed = {"ClientRequestToken": unique(), "MediaRegion": "us-east-1", "ExternalMeetingId": "original"}
    tampered = json.dumps(dict(signed, ExternalMeetingId="tampered"))
    response = raw.request("POST", "/meetings", json_body=signed, send_body=tampered)
    assert_error(response, 403, "InvalidSignatureException")


def test_tampered_path_and_query_are_refused(raw):
    meeting = raw.create_meeting()
    other = raw.request("GET", f"/meetings/{meeting['MeetingId']}", send_path=f"/meetings/{MISSING_ID}")
    assert_error(other, 403, "InvalidSignatureException")
    query = raw.request(
        "GET", f"/meetings/{meeting['MeetingId']}/attendees", query="max-results=1", send_query="max-results=2"
    )
    assert_error(query, 403, "InvalidSignatureException")


def test_tampered_signed_header_is_refused(raw):
    def change_date(headers):
        stamp = headers["X-Amz-Date"]
        headers["X-Amz-Date"] = stamp[:-3] + ("00Z" if stamp[-3:] != "00Z" else "01Z")

    assert_error(raw.request("GET", f"/meetings/{MISSING_ID}", mutate_headers=change_date), 403, "InvalidSignatureException")


@pytest.mark.parametrize("minutes", [-20, 20])
def test_request_dated_20_minutes_off_is_refused(raw, minutes):
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=minutes)
    response = raw.request("GET", f"/meetings/{MISSING_ID}", when=when)
    assert_error(response, 403, "InvalidSignatureException")


def test_request_dated_within_the_skew_is_accepted(raw):
    when = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=10)
    response = raw.request("GET", f"/meetings/{MISSING_ID}", when=when)
    assert_error(response, 404, "NotFoundException")


def test_wrong_signing_service_is_refused(raw):
    response = raw.request("GET", f"/meetings/{MISSING_ID}", service="execute-api")
    assert_error(response, 403, "InvalidSignatureException")


def test_malformed_authorization_is_incomplete_signature(raw):
    def garble(headers):
        headers["Authorization"] = "AWS4-HMAC-SHA256 garbage"

    response = raw.request("GET", f"/meetings/{MISSING_ID}", mutate_headers=garble)
    assert_error(response, 400, "IncompleteSignatureException")


def test_missing_date_is_incomplete_signature(raw):
    def drop_date(headers):
        headers.pop("X-Amz-Date", None)

    response = raw.request("GET", f"/meetings/{MISSING_ID}", mutate_headers=drop_date)
    assert response.status in (400, 403), response
    assert response.error_type in ("IncompleteSignatureException", "InvalidSignatureException"), response
    assert response.request_id


def test_any_signing_region_is_accepted_and_named_in_the_arn(raw):
    response = raw.request(
        "POST",
        "/meetings",
        region="ap-northeast-1",
        json_body={"ClientRequestToken": unique(), "MediaRegion": "us-east-1", "ExternalMeetingId": unique()},
    )
    meeting = assert_success_json(response)["Meeting"]
    assert meeting["MeetingArn"] == meeting_arn(meeting["MeetingId"], region="ap-northeast-1")
    raw.request("DELETE", f"/meetings/{meeting['MeetingId']}")


def test_second_account_signs_for_its_own_scope(raw):
    meeting = raw.create_meeting(account=SECOND)
    assert meeting["MeetingArn"] == meeting_arn(meeting["MeetingId"], SECOND)
    assert raw.request("GET", f"/meetings/{meeting['MeetingId']}").status == 404
    assert raw.request("GET", f"/meetings/{meeting['MeetingId']}", account=SECOND).status == 200
    raw.request("DELETE", f"/meetings/{meeting['MeetingId']}", account=SECOND)


def test_authentication_comes_before_routing(raw):
    # An unknown path or bad input is not revealed to an unauthenticated caller.
    assert_error(raw.request("GET", "/nothing-here", sign=False), 403, "MissingAuthenticationTokenException")
    assert_error(raw.request("POST", "/meetings", body="{bad", sign=False), 403, "MissingAuthenticationTokenException")


def test_security_token_header_is_tolerated(raw):
    response = raw.request("GET", f"/meetings/{MISSING_ID}", headers={"X-Amz-Security-Token": "session-token-value"})
    assert_error(response, 404, "NotFoundException")


# --------------------------------------------------------------------------------------------
# Hostile input never breaks the server
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe\x00garbage",
        b"[" * 100_000,
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        b'{"ClientRequestToken": "abc", "MediaRegion": "us-east-1", "ExternalMeetingId": "a\\u0000b"}',
        b'{"ClientRequestToken": "abc", "MediaRegion": "us-east-1", "ExternalMeetingId": "ok-id", '
        b'"MeetingFeatures": {"Attendee": {"MaxCount": 99999999999999999999999}}}',
        b'{"ClientRequestToken": "abc", "MediaRegion": "us-east-1", "ExternalMeetingId": "\\ud800"}',
        b"{}" * 10,
    ],
    ids=["not-utf8", "deep-arrays", "deep-objects", "nul-char", "huge-integer", "lone-surrogate", "trailing-data"],
)
def test_hostile_bodies_are_bad_request(raw, body):
    assert_error(raw.request("POST", "/meetings", body=body), 400, "BadRequestException")
    assert raw.request("GET", "/health", sign=False).status == 200


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS"])
def test_other_methods_get_an_aws_error(raw, method):
    response = raw.request(method, "/meetings")
    assert response.status in (400, 404), response
    assert response.error_type in ("BadRequestException", "NotFoundException"), response
    assert response.request_id
