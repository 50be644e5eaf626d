"""Wire details of the legacy API: the modeled success code of all 21 operations (through boto3
and raw), the legacy output shapes as sent, the legacy error bodies, and the authentication
front end (the same as the current API's)."""

from __future__ import annotations

import pytest

from legacy_support import (
    CURRENT_ONLY_MEETING_MEMBERS,
    EXAMPLE,
    LEGACY_ERROR_CODES,
    SECOND,
    Account,
    assert_error,
    assert_guid,
    assert_legacy_attendee,
    assert_legacy_meeting,
    meeting_arn,
    unique,
)

MISSING_ID = "0f0f0f0f-1111-4222-8333-444455556666"
TRANSCRIBE = {"EngineTranscribeSettings": {"LanguageCode": "en-US"}}


def status_of(response: dict) -> int:
    return response["ResponseMetadata"]["HTTPStatusCode"]


def assert_json(response, status: int) -> dict:
    assert response.status == status, response
    assert response.error_type is None, response
    assert response.request_id, response.headers
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    assert content_type == "application/json", response.headers
    body = response.json()
    assert isinstance(body, dict), body
    return body


def assert_empty(response, status: int) -> None:
    assert response.status == status, response
    assert response.error_type is None, response
    assert response.request_id, response.headers
    assert response.body in (b"", b"{}"), response


# --------------------------------------------------------------------------------------------
# Success codes
# --------------------------------------------------------------------------------------------


def test_boto3_status_codes_of_all_21_operations(chime):
    seen: dict[str, int] = {}

    def call(name: str, **kwargs):
        response = getattr(chime, name)(**kwargs)
        seen[name] = status_of(response)
        return response

    created = call("create_meeting_with_attendees", Attendees=[{"ExternalUserId": "alice-001"}])
    with_attendees = created["Meeting"]["MeetingId"]
    meeting_id = call("create_meeting", ExternalMeetingId=unique("ext"))["Meeting"]["MeetingId"]
    call("get_meeting", MeetingId=meeting_id)
    call("list_meetings", MaxResults=1)
    attendee_id = call(
        "create_attendee", MeetingId=meeting_id, ExternalUserId="bob-002", Tags=[{"Key": "k", "Value": "v"}]
    )["Attendee"]["AttendeeId"]
    call("batch_create_attendee", MeetingId=meeting_id, Attendees=[{"ExternalUserId": "carol-003"}])
    call("get_attendee", MeetingId=meeting_id, AttendeeId=attendee_id)
    call("list_attendees", MeetingId=meeting_id)
    call("start_meeting_transcription", MeetingId=meeting_id, TranscriptionConfiguration=TRANSCRIBE)
    call("stop_meeting_transcription", MeetingId=meeting_id)
    call("tag_meeting", MeetingId=meeting_id, Tags=[{"Key": "a", "Value": "1"}])
    call("list_meeting_tags", MeetingId=meeting_id)
    call("untag_meeting", MeetingId=meeting_id, TagKeys=["a"])
    call("tag_attendee", MeetingId=meeting_id, AttendeeId=attendee_id, Tags=[{"Key": "b", "Value": "2"}])
    call("list_attendee_tags", MeetingId=meeting_id, AttendeeId=attendee_id)
    call("untag_attendee", MeetingId=meeting_id, AttendeeId=attendee_id, TagKeys=["b"])
    arn = meeting_arn(meeting_id)
    call("tag_resource", ResourceARN=arn, Tags=[{"Key": "c", "Value": "3"}])
    call("list_tags_for_resource", ResourceARN=arn)
    call("untag_resource", ResourceARN=arn, TagKeys=["c"])
    call("delete_attendee", MeetingId=meeting_id, AttendeeId=attendee_id)
    call("delete_meeting", MeetingId=meeting_id)
    chime.delete_meeting(MeetingId=with_attendees)

    assert seen == {
        "create_meeting_with_attendees": 201,
        "create_meeting": 201,
        "get_meeting": 200,
        "list_meetings": 200,
        "create_attendee": 201,
        "batch_create_attendee": 201,
        "get_attendee": 200,
        "list_attendees": 200,
        "start_meeting_transcription": 200,
        "stop_meeting_transcription": 200,
        "tag_meeting": 204,
        "list_meeting_tags": 200,
        "untag_meeting": 204,
        "tag_attendee": 204,
        "list_attendee_tags": 200,
        "untag_attendee": 204,
        "tag_resource": 204,
        "list_tags_for_resource": 200,
        "untag_resource": 204,
        "delete_attendee": 204,
        "delete_meeting": 204,
    }


def test_raw_status_codes_and_legacy_shapes_of_all_21_operations(raw):
    """Every operation on the wire, with the legacy route, its modeled status, and outputs in the
    legacy shapes only (no MeetingArn, MeetingFeatures, TenantIds, Capabilities...)."""
    seen: set[str] = set()

    created = assert_json(
        raw.request(
            "POST",
            "/meetings",
            query="operation=create-attendees",
            json_body={"ClientRequestToken": unique("tok"), "Attendees": [{"ExternalUserId": "alice-001"}]},
        ),
        201,
    )
    seen.add("CreateMeetingWithAttendees")
    assert set(created) <= {"Meeting", "Attendees", "Errors"}, created
    assert_legacy_meeting(created["Meeting"])
    assert created["Meeting"]["MediaRegion"] == "us-east-1"
    assert len(created["Attendees"]) == 1
    assert_legacy_attendee(created["Attendees"][0])
    assert created["Errors"] == []
    other_id = created["Meeting"]["MeetingId"]

    body = assert_json(
        raw.request("POST", "/meetings", json_body={"ClientRequestToken": unique("tok"), "ExternalMeetingId": "wire-ext"}),
        201,
    )
    seen.add("CreateMeeting")
    assert set(body) == {"Meeting"}
    meeting = body["Meeting"]
    assert_legacy_meeting(meeting)
    assert not set(meeting) & CURRENT_ONLY_MEETING_MEMBERS
    meeting_id = meeting["MeetingId"]
    base = f"/meetings/{meeting_id}"

    assert assert_json(raw.request("GET", base), 200) == {"Meeting": meeting}
    seen.add("GetMeeting")

    all_meetings, query = [], {"max-results": "99"}
    while True:
        listed = assert_json(raw.request("GET", "/meetings", query=query), 200)
        assert set(listed) <= {"Meetings", "NextToken"}
        all_meetings.extend(listed["Meetings"])
        if not listed.get("NextToken"):
            break
        query = {"max-results": "99", "next-token": listed["NextToken"]}
    seen.add("ListMeetings")
    assert meeting in all_meetings
    for m in all_meetings:
        assert_legacy_meeting(m)

    attendee = assert_json(
        raw.request("POST", f"{base}/attendees", json_body={"ExternalUserId": "bob-002", "Tags": [{"Key": "k", "Value": "v"}]}),
        201,
    )
    seen.add("CreateAttendee")
    assert set(attendee) == {"Attendee"}
    assert_legacy_attendee(attendee["Attendee"])
    attendee_id = attendee["Attendee"]["AttendeeId"]

    batch = assert_json(
        raw.request(
            "POST", f"{base}/attendees", query="operation=batch-create", json_body={"Attendees": [{"ExternalUserId": "carol-003"}]}
        ),
        201,
    )
    seen.add("BatchCreateAttendee")
    assert set(batch) <= {"Attendees", "Errors"}
    assert_legacy_attendee(batch["Attendees"][0])
    assert batch["Errors"] == []

    assert assert_json(raw.request("GET", f"{base}/attendees/{attendee_id}"), 200) == attendee
    seen.add("GetAttendee")

    page = assert_json(raw.request("GET", f"{base}/attendees", query={"max-results": "99"}), 200)
    seen.add("ListAttendees")
    assert set(page) <= {"Attendees", "NextToken"}
    assert len(page["Attendees"]) == 2
    for a in page["Attendees"]:
        assert_legacy_attendee(a)

    assert_empty(raw.request("POST", f"{base}/transcription", query="operation=start", json_body={"TranscriptionConfiguration": TRANSCRIBE}), 200)
    seen.add("StartMeetingTranscription")
    assert_empty(raw.request("POST", f"{base}/transcription", query="operation=stop"), 200)
    seen.add("StopMeetingTranscription")

    assert_empty(raw.request("POST", f"{base}/tags", query="operation=add", json_body={"Tags": [{"Key": "a", "Value": "1"}]}), 204)
    seen.add("TagMeeting")
    assert assert_json(raw.request("GET", f"{base}/tags"), 200) == {"Tags": [{"Key": "a", "Value": "1"}]}
    seen.add("ListMeetingTags")
    assert_empty(raw.request("POST", f"{base}/tags", query="operation=delete", json_body={"TagKeys": ["a"]}), 204)
    seen.add("UntagMeeting")

    attendee_base = f"{base}/attendees/{attendee_id}"
    assert_empty(
        raw.request("POST", f"{attendee_base}/tags", query="operation=add", json_body={"Tags": [{"Key": "b", "Value": "2"}]}), 204
    )
    seen.add("TagAttendee")
    tags = assert_json(raw.request("GET", f"{attendee_base}/tags"), 200)
    seen.add("ListAttendeeTags")
    assert sorted((t["Key"], t["Value"]) for t in tags["Tags"]) == [("b", "2"), ("k", "v")]
    assert_empty(raw.request("POST", f"{attendee_base}/tags", query="operation=delete", json_body={"TagKeys": ["b"]}), 204)
    seen.add("UntagAttendee")

    arn = meeting_arn(meeting_id)
    assert_empty(
        raw.request("POST", "/tags", query="operation=tag-resource", json_body={"ResourceARN": arn, "Tags": [{"Key": "c", "Value": "3"}]}),
        204,
    )
    seen.add("TagResource")
    assert assert_json(raw.request("GET", "/tags", query={"arn": arn}), 200) == {"Tags": [{"Key": "c", "Value": "3"}]}
    seen.add("ListTagsForResource")
    assert_empty(
        raw.request("POST", "/tags", query="operation=untag-resource", json_body={"ResourceARN": arn, "TagKeys": ["c"]}), 204
    )
    seen.add("UntagResource")

    assert_empty(raw.request("DELETE", attendee_base), 204)
    seen.add("DeleteAttendee")
    assert_empty(raw.request("DELETE", base), 204)
    seen.add("DeleteMeeting")
    assert_empty(raw.request("DELETE", f"/meetings/{other_id}"), 204)
    assert len(seen) == 21, sorted(seen)


def test_request_ids_are_unique_guids(raw):
    ids = [raw.request("GET", f"/meetings/{MISSING_ID}").request_id for _ in range(5)]
    ids.append(raw.request("GET", "/meetings").request_id)
    for request_id in ids:
        assert_guid(request_id)
    assert len(set(ids)) == len(ids)


def test_boto3_request_id_is_the_header(chime, meeting):
    response = chime.get_meeting(MeetingId=meeting["MeetingId"])
    metadata = response["ResponseMetadata"]
    assert metadata["RequestId"] == metadata["HTTPHeaders"]["x-amzn-requestid"]


# --------------------------------------------------------------------------------------------
# Error bodies
# --------------------------------------------------------------------------------------------


def test_not_found_error_body_is_the_legacy_one(raw):
    response = raw.request("GET", f"/meetings/{MISSING_ID}")
    body = assert_error(response, 404, "NotFoundException", "NotFound")
    assert body["Message"] == f"Meeting <{MISSING_ID}> not found"
    assert set(body) <= {"Code", "Message", "RequestId", "Resource"}, body
    assert body.get("Resource") is None


def test_deleted_meeting_error_body(raw):
    meeting_id = raw.create_meeting()["MeetingId"]
    assert raw.request("DELETE", f"/meetings/{meeting_id}").status == 204
    for method, path in (("GET", f"/meetings/{meeting_id}"), ("GET", f"/meetings/{meeting_id}/attendees"), ("DELETE", f"/meetings/{meeting_id}")):
        body = assert_error(raw.request(method, path), 404, "NotFoundException", "NotFound")
        assert body["Message"] == f"Meeting <{meeting_id}> not found"


def test_bad_request_error_body(raw):
    response = raw.request("POST", "/meetings", json_body={"ClientRequestToken": "x"})
    body = assert_error(response, 400, "BadRequestException", "BadRequest")
    assert "ClientRequestToken" in body["Message"]
    assert "'x'" not in body["Message"] and '"x"' not in body["Message"], "the sensitive value is echoed"


def test_malformed_json_is_bad_request(raw):
    assert_error(raw.request("POST", "/meetings", body="{not json"), 400, "BadRequestException", "BadRequest")


def test_resource_limit_exceeded_error_body(raw):
    meeting_id = raw.create_meeting()["MeetingId"]
    try:
        tags = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]
        added = raw.request("POST", f"/meetings/{meeting_id}/tags", query="operation=add", json_body={"Tags": tags})
        assert added.status == 204, added
        response = raw.request(
            "POST", f"/meetings/{meeting_id}/tags", query="operation=add", json_body={"Tags": [{"Key": "more", "Value": "v"}]}
        )
        body = assert_error(response, 400, "ResourceLimitExceededException", "ResourceLimitExceeded")
        assert "ResourceName" not in body
    finally:
        raw.request("DELETE", f"/meetings/{meeting_id}")


def test_error_codes_are_legacy_error_code_values(raw):
    responses = [
        raw.request("GET", f"/meetings/{MISSING_ID}"),
        raw.request("POST", "/meetings", json_body={}),
        raw.request("GET", "/meetings", query={"max-results": "100"}),
        raw.request("GET", "/tags", query={"arn": meeting_arn(MISSING_ID)}),
        raw.request("GET", "/no-such-route"),
    ]
    for response in responses:
        assert response.status >= 400, response
        assert response.json()["Code"] in LEGACY_ERROR_CODES, response


def test_unknown_path_is_not_found(raw):
    assert_error(raw.request("GET", "/no-such-route"), 404, "NotFoundException", "NotFound")


def test_wrong_method_is_bad_request(raw):
    assert_error(raw.request("PUT", "/meetings", json_body={}), 400, "BadRequestException", "BadRequest")


def test_list_meetings_query_is_validated(raw):
    body = assert_error(raw.request("GET", "/meetings", query={"max-results": "100"}), 400, "BadRequestException", "BadRequest")
    assert "MaxResults" in body["Message"] or "max-results" in body["Message"], body
    assert_error(raw.request("GET", "/meetings", query={"max-results": "ten"}), 400, "BadRequestException", "BadRequest")


# --------------------------------------------------------------------------------------------
# Authentication: the same front end as the current API
# --------------------------------------------------------------------------------------------


def assert_same_refusal(legacy, current, status: int, error_type: str) -> None:
    """Both APIs refuse alike, as AWS's signing front end does: the header names the error and
    the body is {"message": ...} alone (no Code a client could take the name from)."""
    for response in (legacy, current):
        assert response.status == status, response
        assert response.error_type == error_type, response
        assert response.request_id, response.headers
        body = response.json()
        assert list(body) == ["message"] and isinstance(body["message"], str) and body["message"], body
    assert legacy.json() == current.json(), (legacy, current)


def test_missing_authorization_is_missing_authentication_token(raw, raw_current):
    legacy = raw.request("GET", f"/meetings/{MISSING_ID}", sign=False)
    current = raw_current.request("GET", f"/meetings/{MISSING_ID}", sign=False)
    assert_same_refusal(legacy, current, 403, "MissingAuthenticationTokenException")
    post = raw.request("POST", "/meetings", json_body={"ClientRequestToken": unique("tok")}, sign=False)
    assert post.status == 403 and post.error_type == "MissingAuthenticationTokenException", post
    listing = raw.request("GET", "/meetings", sign=False)
    assert listing.status == 403 and listing.error_type == "MissingAuthenticationTokenException", listing


def test_unknown_access_key_is_unrecognized_client(raw, raw_current):
    stranger = Account("AKIDUNKNOWN0000000", "whatever", "999999999999")
    legacy = raw.request("GET", "/meetings", account=stranger)
    current = raw_current.request("GET", f"/meetings/{MISSING_ID}", account=stranger)
    assert_same_refusal(legacy, current, 403, "UnrecognizedClientException")


@pytest.mark.parametrize(
    "account, service",
    [
        (Account(EXAMPLE.access_key, "not-the-secret", EXAMPLE.account_id), "chime"),
        (Account(EXAMPLE.access_key, SECOND.secret_key, EXAMPLE.account_id), "chime"),
        (EXAMPLE, "s3"),
    ],
    ids=["wrong-secret", "other-accounts-secret", "other-service"],
)
def test_bad_signature_is_invalid_signature(raw, raw_current, account, service):
    legacy = raw.request("GET", f"/meetings/{MISSING_ID}", account=account, service=service)
    current = raw_current.request("GET", f"/meetings/{MISSING_ID}", account=account, service=service)
    assert_same_refusal(legacy, current, 403, "InvalidSignatureException")


def test_refused_requests_have_no_effect(raw, chime):
    token = unique("tok")
    wrong = Account(EXAMPLE.access_key, "not-the-secret", EXAMPLE.account_id)
    response = raw.request("POST", "/meetings", json_body={"ClientRequestToken": token}, account=wrong)
    assert response.status == 403, response
    # The token was never used: a real create with it makes a fresh meeting.
    meeting = chime.create_meeting(ClientRequestToken=token, ExternalMeetingId="after-refusal")["Meeting"]
    try:
        assert meeting["ExternalMeetingId"] == "after-refusal"
    finally:
        chime.delete_meeting(MeetingId=meeting["MeetingId"])


def test_the_second_account_signs_for_itself(raw, chime2):
    meeting = raw.create_meeting(account=SECOND)
    try:
        assert chime2.get_meeting(MeetingId=meeting["MeetingId"])["Meeting"] == meeting
        not_mine = raw.request("GET", f"/meetings/{meeting['MeetingId']}", account=EXAMPLE)
        assert_error(not_mine, 404, "NotFoundException", "NotFound")
    finally:
        chime2.delete_meeting(MeetingId=meeting["MeetingId"])
