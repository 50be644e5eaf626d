"""Legacy meetings through `boto3.client('chime')`: CreateMeeting, CreateMeetingWithAttendees,
GetMeeting, DeleteMeeting, ClientRequestToken idempotency, and live transcription."""

from __future__ import annotations

import pytest

from legacy_support import (
    assert_client_error,
    assert_error,
    assert_legacy_attendee,
    assert_legacy_meeting,
    sorted_tags,
    unique,
)

MISSING_ID = "0f0f0f0f-1111-4222-8333-444455556666"


def status_of(response: dict) -> int:
    return response["ResponseMetadata"]["HTTPStatusCode"]


# --------------------------------------------------------------------------------------------
# CreateMeeting / GetMeeting / DeleteMeeting
# --------------------------------------------------------------------------------------------


def test_create_meeting_needs_only_the_token_boto3_fills_in(chime):
    response = chime.create_meeting()
    assert status_of(response) == 201
    meeting = response["Meeting"]
    try:
        assert_legacy_meeting(meeting)
        assert meeting["MediaRegion"] == "us-east-1"
        assert "ExternalMeetingId" not in meeting
        assert chime.get_meeting(MeetingId=meeting["MeetingId"])["Meeting"] == meeting
    finally:
        chime.delete_meeting(MeetingId=meeting["MeetingId"])


def test_create_and_get_meeting(chime, make_meeting):
    external = unique("ext")
    meeting = make_meeting(ExternalMeetingId=external, MediaRegion="eu-west-2")
    assert_legacy_meeting(meeting)
    assert meeting["ExternalMeetingId"] == external
    assert meeting["MediaRegion"] == "eu-west-2"
    got = chime.get_meeting(MeetingId=meeting["MeetingId"])
    assert status_of(got) == 200
    assert got["Meeting"] == meeting


def test_media_region_defaults_to_us_east_1_on_the_wire(raw, chime):
    response = raw.request("POST", "/meetings", json_body={"ClientRequestToken": unique("tok")})
    assert response.status == 201, response
    meeting = response.json()["Meeting"]
    try:
        assert meeting["MediaRegion"] == "us-east-1"
        assert_legacy_meeting(meeting)
    finally:
        chime.delete_meeting(MeetingId=meeting["MeetingId"])


def test_create_meeting_accepts_every_legacy_input_member(chime, make_meeting):
    meeting = make_meeting(
        MeetingHostId=unique("host"),
        MediaRegion="us-west-2",
        Tags=[{"Key": "team", "Value": "blue"}, {"Key": "cost-center", "Value": "42"}],
        NotificationsConfiguration={
            "SnsTopicArn": "arn:aws:sns:us-east-1:123456789012:meeting-events",
            "SqsQueueArn": "arn:aws:sqs:us-east-1:123456789012:meeting-events",
        },
    )
    # The legacy Meeting has no MeetingHostId member, whatever was sent.
    assert_legacy_meeting(meeting)
    assert meeting["MediaRegion"] == "us-west-2"
    listed = chime.list_meeting_tags(MeetingId=meeting["MeetingId"])["Tags"]
    assert sorted_tags(listed) == [("cost-center", "42"), ("team", "blue")]


def test_missing_client_request_token_is_bad_request(raw):
    body = assert_error(raw.request("POST", "/meetings", json_body={}), 400, "BadRequestException", "BadRequest")
    assert "ClientRequestToken" in body["Message"], body


@pytest.mark.parametrize(
    "members",
    [
        {"ClientRequestToken": "x"},
        {"ClientRequestToken": "has spaces"},
        {"ClientRequestToken": "t" * 65},
        {"ExternalMeetingId": "x"},
        {"ExternalMeetingId": "e" * 65},
        {"MeetingHostId": "h"},
    ],
)
def test_create_meeting_validation(chime_unchecked, members):
    params = {"ClientRequestToken": unique("tok"), **members}
    with pytest.raises(chime_unchecked.exceptions.BadRequestException) as e:
        chime_unchecked.create_meeting(**params)
    assert_client_error(e, "BadRequestException", 400, "BadRequest")


def test_delete_meeting_is_204_and_ends_the_meeting(chime):
    meeting_id = chime.create_meeting(ExternalMeetingId=unique("ext"))["Meeting"]["MeetingId"]
    assert status_of(chime.delete_meeting(MeetingId=meeting_id)) == 204
    for call in (
        lambda: chime.get_meeting(MeetingId=meeting_id),
        lambda: chime.delete_meeting(MeetingId=meeting_id),
        lambda: chime.create_attendee(MeetingId=meeting_id, ExternalUserId=unique("u")),
        lambda: chime.list_attendees(MeetingId=meeting_id),
    ):
        with pytest.raises(chime.exceptions.NotFoundException) as e:
            call()
        response = assert_client_error(e, "NotFoundException", 404, "NotFound")
        assert response["Error"]["Message"] == f"Meeting <{meeting_id}> not found"


def test_unknown_meeting_is_not_found_with_the_aws_message(chime):
    with pytest.raises(chime.exceptions.NotFoundException) as e:
        chime.get_meeting(MeetingId=MISSING_ID)
    response = assert_client_error(e, "NotFoundException", 404, "NotFound")
    assert response["Error"]["Message"] == f"Meeting <{MISSING_ID}> not found"
    assert response["Message"] == f"Meeting <{MISSING_ID}> not found"


def test_upper_case_meeting_id_names_the_same_meeting(chime, meeting):
    got = chime.get_meeting(MeetingId=meeting["MeetingId"].upper())["Meeting"]
    assert got == meeting


@pytest.mark.parametrize("meeting_id", ["not-a-guid", "0f0f0f0f11114222833344445555666"])
def test_meeting_id_must_be_a_guid(chime_unchecked, meeting_id):
    with pytest.raises(chime_unchecked.exceptions.BadRequestException) as e:
        chime_unchecked.get_meeting(MeetingId=meeting_id)
    assert_client_error(e, "BadRequestException", 400, "BadRequest")


# --------------------------------------------------------------------------------------------
# ClientRequestToken
# --------------------------------------------------------------------------------------------


def test_same_token_returns_the_original_meeting(chime, make_meeting):
    token = unique("tok")
    first = make_meeting(ClientRequestToken=token)
    again = chime.create_meeting(ClientRequestToken=token, ExternalMeetingId=unique("other"))
    assert status_of(again) == 201
    assert again["Meeting"] == first


def test_same_token_after_the_meeting_ended_returns_the_ended_meeting(chime):
    token = unique("tok")
    first = chime.create_meeting(ClientRequestToken=token)["Meeting"]
    chime.delete_meeting(MeetingId=first["MeetingId"])
    again = chime.create_meeting(ClientRequestToken=token)["Meeting"]
    assert again["MeetingId"] == first["MeetingId"]
    with pytest.raises(chime.exceptions.NotFoundException):
        chime.get_meeting(MeetingId=first["MeetingId"])


def test_boto3_fills_in_a_fresh_token_each_call(chime):
    first = chime.create_meeting()["Meeting"]["MeetingId"]
    second = chime.create_meeting()["Meeting"]["MeetingId"]
    try:
        assert first != second
    finally:
        chime.delete_meeting(MeetingId=first)
        chime.delete_meeting(MeetingId=second)


def test_tokens_are_scoped_per_account(chime, chime2):
    token = unique("tok")
    mine = chime.create_meeting(ClientRequestToken=token)["Meeting"]["MeetingId"]
    theirs = chime2.create_meeting(ClientRequestToken=token)["Meeting"]["MeetingId"]
    try:
        assert mine != theirs
    finally:
        chime.delete_meeting(MeetingId=mine)
        chime2.delete_meeting(MeetingId=theirs)


# --------------------------------------------------------------------------------------------
# CreateMeetingWithAttendees
# --------------------------------------------------------------------------------------------


def test_create_meeting_with_attendees(chime):
    response = chime.create_meeting_with_attendees(
        ExternalMeetingId=unique("ext"),
        Attendees=[
            {"ExternalUserId": "alice-001", "Tags": [{"Key": "role", "Value": "host"}]},
            {"ExternalUserId": "bob-002"},
        ],
    )
    assert status_of(response) == 201
    meeting = response["Meeting"]
    try:
        assert_legacy_meeting(meeting)
        assert meeting["MediaRegion"] == "us-east-1"
        assert response["Errors"] == []
        attendees = response["Attendees"]
        assert [a["ExternalUserId"] for a in attendees] == ["alice-001", "bob-002"]
        for attendee in attendees:
            assert_legacy_attendee(attendee)
        meeting_id = meeting["MeetingId"]
        alice, bob = (a["AttendeeId"] for a in attendees)
        assert chime.list_attendee_tags(MeetingId=meeting_id, AttendeeId=alice)["Tags"] == [
            {"Key": "role", "Value": "host"}
        ]
        assert chime.list_attendee_tags(MeetingId=meeting_id, AttendeeId=bob)["Tags"] == []
        listed = chime.list_attendees(MeetingId=meeting_id)["Attendees"]
        assert sorted(a["AttendeeId"] for a in listed) == sorted([alice, bob])
    finally:
        chime.delete_meeting(MeetingId=meeting["MeetingId"])


def test_create_meeting_with_ten_attendees_and_no_more(chime, chime_unchecked):
    ten = [{"ExternalUserId": f"user-{i:02d}"} for i in range(10)]
    response = chime.create_meeting_with_attendees(Attendees=ten)
    try:
        assert len(response["Attendees"]) == 10
        assert response["Errors"] == []
    finally:
        chime.delete_meeting(MeetingId=response["Meeting"]["MeetingId"])

    token = unique("tok")
    eleven = [{"ExternalUserId": f"user-{i:02d}"} for i in range(11)]
    with pytest.raises(chime_unchecked.exceptions.BadRequestException) as e:
        chime_unchecked.create_meeting_with_attendees(ClientRequestToken=token, Attendees=eleven)
    assert_client_error(e, "BadRequestException", 400, "BadRequest")
    # The refused request created nothing: the token is still free.
    fresh = chime.create_meeting(ClientRequestToken=token)["Meeting"]
    chime.delete_meeting(MeetingId=fresh["MeetingId"])


def test_create_meeting_with_attendees_without_attendees_creates_the_meeting(chime):
    # The legacy model makes Attendees optional: the meeting alone is created.
    response = chime.create_meeting_with_attendees(ExternalMeetingId=unique("ext"))
    assert status_of(response) == 201
    meeting = response["Meeting"]
    try:
        assert_legacy_meeting(meeting)
        assert response["Attendees"] == []
        assert response["Errors"] == []
        assert chime.list_attendees(MeetingId=meeting["MeetingId"])["Attendees"] == []
    finally:
        chime.delete_meeting(MeetingId=meeting["MeetingId"])


def test_create_meeting_with_an_empty_attendee_list_is_bad_request(chime_unchecked):
    with pytest.raises(chime_unchecked.exceptions.BadRequestException) as e:
        chime_unchecked.create_meeting_with_attendees(ClientRequestToken=unique("tok"), Attendees=[])
    assert_client_error(e, "BadRequestException", 400, "BadRequest")


def test_create_meeting_with_attendees_limits_attendee_tags_to_ten(chime_unchecked):
    attendee = {"ExternalUserId": "alice-001", "Tags": [{"Key": f"k{i}", "Value": "v"} for i in range(11)]}
    with pytest.raises(chime_unchecked.exceptions.BadRequestException) as e:
        chime_unchecked.create_meeting_with_attendees(ClientRequestToken=unique("tok"), Attendees=[attendee])
    assert_client_error(e, "BadRequestException", 400, "BadRequest")


def test_create_meeting_with_attendees_replay(chime):
    token = unique("tok")
    first = chime.create_meeting_with_attendees(
        ClientRequestToken=token, Attendees=[{"ExternalUserId": "alice-001"}]
    )
    meeting_id = first["Meeting"]["MeetingId"]
    try:
        again = chime.create_meeting_with_attendees(
            ClientRequestToken=token,
            Attendees=[{"ExternalUserId": "alice-001"}, {"ExternalUserId": "carol-003"}],
        )
        assert status_of(again) == 201
        assert again["Meeting"] == first["Meeting"]
        assert again["Attendees"][0] == first["Attendees"][0]
        assert again["Attendees"][1]["ExternalUserId"] == "carol-003"
        assert len(chime.list_attendees(MeetingId=meeting_id)["Attendees"]) == 2
    finally:
        chime.delete_meeting(MeetingId=meeting_id)


# --------------------------------------------------------------------------------------------
# Transcription
# --------------------------------------------------------------------------------------------

TRANSCRIBE = {"EngineTranscribeSettings": {"LanguageCode": "en-US"}}
TRANSCRIBE_MEDICAL = {
    "EngineTranscribeMedicalSettings": {
        "LanguageCode": "en-US",
        "Specialty": "PRIMARYCARE",
        "Type": "CONVERSATION",
    }
}


def test_start_and_stop_transcription(chime, meeting):
    meeting_id = meeting["MeetingId"]
    start = chime.start_meeting_transcription(MeetingId=meeting_id, TranscriptionConfiguration=TRANSCRIBE)
    assert status_of(start) == 200
    again = chime.start_meeting_transcription(MeetingId=meeting_id, TranscriptionConfiguration=TRANSCRIBE_MEDICAL)
    assert status_of(again) == 200
    assert status_of(chime.stop_meeting_transcription(MeetingId=meeting_id)) == 200
    # Stopping again (nothing running) succeeds too.
    assert status_of(chime.stop_meeting_transcription(MeetingId=meeting_id)) == 200


@pytest.mark.parametrize(
    "configuration",
    [
        {},
        {**TRANSCRIBE, **TRANSCRIBE_MEDICAL},
        {"EngineTranscribeSettings": {"LanguageCode": "xx-XX"}},
    ],
)
def test_start_transcription_refuses_invalid_configurations(chime_unchecked, meeting, configuration):
    with pytest.raises(chime_unchecked.exceptions.BadRequestException) as e:
        chime_unchecked.start_meeting_transcription(
            MeetingId=meeting["MeetingId"], TranscriptionConfiguration=configuration
        )
    assert_client_error(e, "BadRequestException", 400, "BadRequest")


def test_transcription_of_an_unknown_meeting_is_not_found(chime):
    with pytest.raises(chime.exceptions.NotFoundException) as e:
        chime.start_meeting_transcription(MeetingId=MISSING_ID, TranscriptionConfiguration=TRANSCRIBE)
    assert_client_error(e, "NotFoundException", 404, "NotFound")
    with pytest.raises(chime.exceptions.NotFoundException) as e:
        chime.stop_meeting_transcription(MeetingId=MISSING_ID)
    response = assert_client_error(e, "NotFoundException", 404, "NotFound")
    assert response["Error"]["Message"] == f"Meeting <{MISSING_ID}> not found"


def test_meeting_ids_are_distinct(make_meeting):
    ids = {make_meeting()["MeetingId"] for _ in range(5)}
    assert len(ids) == 5
