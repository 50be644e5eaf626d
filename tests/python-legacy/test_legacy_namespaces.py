"""The legacy and the current API are separate namespaces (as on AWS): a meeting of one is not
found through the other, tokens do not collide, and each API names errors its own way. Accounts
are isolated inside the legacy API too."""

from __future__ import annotations

import pytest

from legacy_support import (
    assert_client_error,
    assert_error,
    meeting_arn,
    unique,
)

MISSING_ID = "0f0f0f0f-1111-4222-8333-444455556666"
CAPS = {"Audio": "SendReceive", "Video": "SendReceive", "Content": "SendReceive"}


def current_meeting(meetings, **members) -> dict:
    params = {"ClientRequestToken": unique("tok"), "MediaRegion": "us-east-1", "ExternalMeetingId": unique("ext"), **members}
    return meetings.create_meeting(**params)["Meeting"]


def test_a_legacy_meeting_is_not_found_through_the_current_api(chime, meetings, meeting):
    meeting_id = meeting["MeetingId"]
    attendee_id = chime.create_attendee(MeetingId=meeting_id, ExternalUserId=unique("u"))["Attendee"]["AttendeeId"]
    calls = {
        "get_meeting": lambda: meetings.get_meeting(MeetingId=meeting_id),
        "create_attendee": lambda: meetings.create_attendee(MeetingId=meeting_id, ExternalUserId=unique("u")),
        "batch_create_attendee": lambda: meetings.batch_create_attendee(
            MeetingId=meeting_id, Attendees=[{"ExternalUserId": unique("u")}]
        ),
        "get_attendee": lambda: meetings.get_attendee(MeetingId=meeting_id, AttendeeId=attendee_id),
        "list_attendees": lambda: meetings.list_attendees(MeetingId=meeting_id),
        "update_attendee_capabilities": lambda: meetings.update_attendee_capabilities(
            MeetingId=meeting_id, AttendeeId=attendee_id, Capabilities=CAPS
        ),
        "delete_attendee": lambda: meetings.delete_attendee(MeetingId=meeting_id, AttendeeId=attendee_id),
        "stop_meeting_transcription": lambda: meetings.stop_meeting_transcription(MeetingId=meeting_id),
        "delete_meeting": lambda: meetings.delete_meeting(MeetingId=meeting_id),
    }
    for name, call in calls.items():
        with pytest.raises(meetings.exceptions.NotFoundException) as e:
            call()
        assert e.value.response["Error"]["Message"] == f"Meeting <{meeting_id}> not found", name
    arn = meeting_arn(meeting_id)
    for call in (
        lambda: meetings.list_tags_for_resource(ResourceARN=arn),
        lambda: meetings.tag_resource(ResourceARN=arn, Tags=[{"Key": "k", "Value": "v"}]),
    ):
        with pytest.raises(meetings.exceptions.ResourceNotFoundException):
            call()
    # Nothing the current API tried had an effect on the legacy meeting.
    assert chime.get_meeting(MeetingId=meeting_id)["Meeting"] == meeting
    assert [a["AttendeeId"] for a in chime.list_attendees(MeetingId=meeting_id)["Attendees"]] == [attendee_id]
    assert chime.list_meeting_tags(MeetingId=meeting_id)["Tags"] == []


def test_a_current_meeting_is_not_found_through_the_legacy_api(chime, meetings):
    meeting = current_meeting(meetings, Tags=[{"Key": "team", "Value": "blue"}])
    meeting_id = meeting["MeetingId"]
    try:
        attendee_id = meetings.create_attendee(MeetingId=meeting_id, ExternalUserId=unique("u"))["Attendee"]["AttendeeId"]
        calls = {
            "get_meeting": lambda: chime.get_meeting(MeetingId=meeting_id),
            "create_attendee": lambda: chime.create_attendee(MeetingId=meeting_id, ExternalUserId=unique("u")),
            "batch_create_attendee": lambda: chime.batch_create_attendee(
                MeetingId=meeting_id, Attendees=[{"ExternalUserId": unique("u")}]
            ),
            "get_attendee": lambda: chime.get_attendee(MeetingId=meeting_id, AttendeeId=attendee_id),
            "list_attendees": lambda: chime.list_attendees(MeetingId=meeting_id),
            "delete_attendee": lambda: chime.delete_attendee(MeetingId=meeting_id, AttendeeId=attendee_id),
            "tag_meeting": lambda: chime.tag_meeting(MeetingId=meeting_id, Tags=[{"Key": "k", "Value": "v"}]),
            "untag_meeting": lambda: chime.untag_meeting(MeetingId=meeting_id, TagKeys=["team"]),
            "list_meeting_tags": lambda: chime.list_meeting_tags(MeetingId=meeting_id),
            "tag_attendee": lambda: chime.tag_attendee(
                MeetingId=meeting_id, AttendeeId=attendee_id, Tags=[{"Key": "k", "Value": "v"}]
            ),
            "list_attendee_tags": lambda: chime.list_attendee_tags(MeetingId=meeting_id, AttendeeId=attendee_id),
            "stop_meeting_transcription": lambda: chime.stop_meeting_transcription(MeetingId=meeting_id),
            "delete_meeting": lambda: chime.delete_meeting(MeetingId=meeting_id),
        }
        for name, call in calls.items():
            with pytest.raises(chime.exceptions.NotFoundException) as e:
                call()
            response = assert_client_error(e, "NotFoundException", 404, "NotFound")
            assert response["Error"]["Message"] == f"Meeting <{meeting_id}> not found", name
        arn = meeting["MeetingArn"]
        for call in (
            lambda: chime.list_tags_for_resource(ResourceARN=arn),
            lambda: chime.tag_resource(ResourceARN=arn, Tags=[{"Key": "k", "Value": "v"}]),
            lambda: chime.untag_resource(ResourceARN=arn, TagKeys=["team"]),
        ):
            with pytest.raises(chime.exceptions.NotFoundException) as e:
                call()
            assert_client_error(e, "NotFoundException", 404, "NotFound")
        # Nothing the legacy API tried had an effect on the current meeting.
        assert meetings.get_meeting(MeetingId=meeting_id)["Meeting"] == meeting
        assert len(meetings.list_attendees(MeetingId=meeting_id)["Attendees"]) == 1
        assert meetings.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "blue"}]
    finally:
        meetings.delete_meeting(MeetingId=meeting_id)


def test_the_same_token_creates_one_meeting_in_each_api(chime, meetings):
    token = unique("tok")
    legacy = chime.create_meeting(ClientRequestToken=token, ExternalMeetingId="same-ext")["Meeting"]
    current = current_meeting(meetings, ClientRequestToken=token, ExternalMeetingId="same-ext")
    try:
        assert legacy["MeetingId"] != current["MeetingId"]
        # Each API still answers a replay with its own meeting.
        assert chime.create_meeting(ClientRequestToken=token)["Meeting"] == legacy
        assert current_meeting(meetings, ClientRequestToken=token)["MeetingId"] == current["MeetingId"]
        assert chime.get_meeting(MeetingId=legacy["MeetingId"])["Meeting"] == legacy
        assert meetings.get_meeting(MeetingId=current["MeetingId"])["Meeting"]["MeetingId"] == current["MeetingId"]
    finally:
        chime.delete_meeting(MeetingId=legacy["MeetingId"])
        meetings.delete_meeting(MeetingId=current["MeetingId"])


def test_each_api_names_the_attendee_limit_its_own_way(chime, meetings, meeting):
    legacy_id = meeting["MeetingId"]
    for start in (0, 100, 200):
        count = 100 if start < 200 else 50
        response = chime.batch_create_attendee(
            MeetingId=legacy_id, Attendees=[{"ExternalUserId": f"user-{i:03d}"} for i in range(start, start + count)]
        )
        assert response["Errors"] == []
    with pytest.raises(chime.exceptions.ResourceLimitExceededException) as e:
        chime.create_attendee(MeetingId=legacy_id, ExternalUserId="user-250")
    assert_client_error(e, "ResourceLimitExceededException", 400, "ResourceLimitExceeded")

    current = current_meeting(meetings, MeetingFeatures={"Attendee": {"MaxCount": 1}})
    try:
        meetings.create_attendee(MeetingId=current["MeetingId"], ExternalUserId="user-000")
        with pytest.raises(meetings.exceptions.LimitExceededException) as e:
            meetings.create_attendee(MeetingId=current["MeetingId"], ExternalUserId="user-001")
        response = e.value.response
        assert response["Error"]["Code"] == "LimitExceededException"
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
        batch = meetings.batch_create_attendee(
            MeetingId=current["MeetingId"], Attendees=[{"ExternalUserId": "user-002"}]
        )
        assert [x["ErrorCode"] for x in batch["Errors"]] == ["LimitExceeded"]
    finally:
        meetings.delete_meeting(MeetingId=current["MeetingId"])


def test_each_api_routes_only_its_own_operations(raw, raw_current, chime, meeting):
    # ListMeetings and the attendee-tag routes exist only in the legacy API.
    assert_error(raw_current.request("GET", "/meetings"), 400, "BadRequestException", "BadRequest")
    path = f"/meetings/{meeting['MeetingId']}/tags"
    assert_error(raw_current.request("GET", path), 404, "NotFoundException", "NotFound")
    # UpdateAttendeeCapabilities exists only in the current API.
    attendee_id = chime.create_attendee(MeetingId=meeting["MeetingId"], ExternalUserId=unique("u"))["Attendee"]["AttendeeId"]
    capabilities = f"/meetings/{meeting['MeetingId']}/attendees/{attendee_id}/capabilities"
    assert_error(
        raw.request("PUT", capabilities, json_body={"Capabilities": CAPS}), 404, "NotFoundException", "NotFound"
    )


# --------------------------------------------------------------------------------------------
# Accounts inside the legacy API
# --------------------------------------------------------------------------------------------


def test_another_accounts_legacy_meeting_is_not_found(chime, chime2, meeting):
    meeting_id = meeting["MeetingId"]
    attendee = chime.create_attendee(
        MeetingId=meeting_id, ExternalUserId=unique("u"), Tags=[{"Key": "k", "Value": "v"}]
    )["Attendee"]
    attendee_id = attendee["AttendeeId"]
    calls = {
        "get_meeting": lambda: chime2.get_meeting(MeetingId=meeting_id),
        "create_attendee": lambda: chime2.create_attendee(MeetingId=meeting_id, ExternalUserId=unique("u")),
        "batch_create_attendee": lambda: chime2.batch_create_attendee(
            MeetingId=meeting_id, Attendees=[{"ExternalUserId": unique("u")}]
        ),
        "get_attendee": lambda: chime2.get_attendee(MeetingId=meeting_id, AttendeeId=attendee_id),
        "list_attendees": lambda: chime2.list_attendees(MeetingId=meeting_id),
        "delete_attendee": lambda: chime2.delete_attendee(MeetingId=meeting_id, AttendeeId=attendee_id),
        "tag_meeting": lambda: chime2.tag_meeting(MeetingId=meeting_id, Tags=[{"Key": "x", "Value": "y"}]),
        "untag_meeting": lambda: chime2.untag_meeting(MeetingId=meeting_id, TagKeys=["x"]),
        "list_meeting_tags": lambda: chime2.list_meeting_tags(MeetingId=meeting_id),
        "tag_attendee": lambda: chime2.tag_attendee(
            MeetingId=meeting_id, AttendeeId=attendee_id, Tags=[{"Key": "x", "Value": "y"}]
        ),
        "untag_attendee": lambda: chime2.untag_attendee(MeetingId=meeting_id, AttendeeId=attendee_id, TagKeys=["k"]),
        "list_attendee_tags": lambda: chime2.list_attendee_tags(MeetingId=meeting_id, AttendeeId=attendee_id),
        "start_meeting_transcription": lambda: chime2.start_meeting_transcription(
            MeetingId=meeting_id, TranscriptionConfiguration={"EngineTranscribeSettings": {"LanguageCode": "en-US"}}
        ),
        "stop_meeting_transcription": lambda: chime2.stop_meeting_transcription(MeetingId=meeting_id),
        "delete_meeting": lambda: chime2.delete_meeting(MeetingId=meeting_id),
    }
    for name, call in calls.items():
        with pytest.raises(chime2.exceptions.NotFoundException) as e:
            call()
        assert e.value.response["Error"]["Message"] == f"Meeting <{meeting_id}> not found", name
    # The ARN names the first account: unknown to the second.
    with pytest.raises(chime2.exceptions.NotFoundException):
        chime2.list_tags_for_resource(ResourceARN=meeting_arn(meeting_id))

    # Nothing the second account tried had an effect.
    assert chime.get_meeting(MeetingId=meeting_id)["Meeting"] == meeting
    assert chime.list_attendees(MeetingId=meeting_id)["Attendees"] == [attendee]
    assert chime.list_attendee_tags(MeetingId=meeting_id, AttendeeId=attendee_id)["Tags"] == [{"Key": "k", "Value": "v"}]
    assert chime.list_meeting_tags(MeetingId=meeting_id)["Tags"] == []
