"""Legacy attendees: CreateAttendee (with Tags), BatchCreateAttendee, GetAttendee,
ListAttendees, DeleteAttendee, ExternalUserId idempotency and the legacy limits."""

from __future__ import annotations

import pytest

from legacy_support import (
    assert_client_error,
    assert_legacy_attendee,
    sorted_tags,
    tags,
    unique,
)

MISSING_ID = "0f0f0f0f-1111-4222-8333-444455556666"


def status_of(response: dict) -> int:
    return response["ResponseMetadata"]["HTTPStatusCode"]


def test_create_attendee(chime, meeting):
    meeting_id = meeting["MeetingId"]
    user = unique("u")
    response = chime.create_attendee(MeetingId=meeting_id, ExternalUserId=user)
    assert status_of(response) == 201
    attendee = response["Attendee"]
    assert_legacy_attendee(attendee)
    assert attendee["ExternalUserId"] == user
    got = chime.get_attendee(MeetingId=meeting_id, AttendeeId=attendee["AttendeeId"])
    assert status_of(got) == 200
    assert got["Attendee"] == attendee
    listed = chime.list_attendees(MeetingId=meeting_id)
    assert status_of(listed) == 200
    assert listed["Attendees"] == [attendee]


def test_create_attendee_with_tags_lists_them(chime, meeting):
    meeting_id = meeting["MeetingId"]
    given = [{"Key": "role", "Value": "presenter"}, {"Key": "desk", "Value": "4F-12"}]
    attendee = chime.create_attendee(MeetingId=meeting_id, ExternalUserId=unique("u"), Tags=given)["Attendee"]
    assert_legacy_attendee(attendee)
    listed = chime.list_attendee_tags(MeetingId=meeting_id, AttendeeId=attendee["AttendeeId"])
    assert status_of(listed) == 200
    assert sorted_tags(listed["Tags"]) == sorted_tags(given)


def test_create_attendee_accepts_ten_tags_and_no_more(chime, chime_unchecked, meeting):
    meeting_id = meeting["MeetingId"]
    ten = chime.create_attendee(MeetingId=meeting_id, ExternalUserId=unique("u"), Tags=tags(10))["Attendee"]
    assert len(chime.list_attendee_tags(MeetingId=meeting_id, AttendeeId=ten["AttendeeId"])["Tags"]) == 10
    user = unique("u")
    with pytest.raises(chime_unchecked.exceptions.BadRequestException) as e:
        chime_unchecked.create_attendee(MeetingId=meeting_id, ExternalUserId=user, Tags=tags(11))
    assert_client_error(e, "BadRequestException", 400, "BadRequest")
    # Nothing was created for the refused request.
    assert [a["ExternalUserId"] for a in chime.list_attendees(MeetingId=meeting_id)["Attendees"]] == [
        ten["ExternalUserId"]
    ]


@pytest.mark.parametrize(
    "members",
    [
        {"ExternalUserId": "x"},
        {"ExternalUserId": "u" * 65},
        {"Tags": []},
        {"Tags": [{"Key": "", "Value": "v"}]},
        {"Tags": [{"Key": "k", "Value": ""}]},
        {"Tags": [{"Key": "k" * 129, "Value": "v"}]},
        {"Tags": [{"Key": "k", "Value": "v" * 257}]},
    ],
)
def test_create_attendee_validation(chime_unchecked, meeting, members):
    params = {"MeetingId": meeting["MeetingId"], "ExternalUserId": unique("u"), **members}
    with pytest.raises(chime_unchecked.exceptions.BadRequestException) as e:
        chime_unchecked.create_attendee(**params)
    assert_client_error(e, "BadRequestException", 400, "BadRequest")


def test_same_external_user_id_returns_the_same_attendee(chime, meeting):
    meeting_id = meeting["MeetingId"]
    user = unique("u")
    first = chime.create_attendee(MeetingId=meeting_id, ExternalUserId=user)["Attendee"]
    again = chime.create_attendee(MeetingId=meeting_id, ExternalUserId=user)
    assert status_of(again) == 201
    assert again["Attendee"] == first
    batch = chime.batch_create_attendee(MeetingId=meeting_id, Attendees=[{"ExternalUserId": user}])
    assert batch["Attendees"] == [first]
    assert len(chime.list_attendees(MeetingId=meeting_id)["Attendees"]) == 1


def test_after_delete_the_same_external_user_id_gets_a_new_attendee(chime, meeting):
    meeting_id = meeting["MeetingId"]
    user = unique("u")
    first = chime.create_attendee(MeetingId=meeting_id, ExternalUserId=user)["Attendee"]
    assert status_of(chime.delete_attendee(MeetingId=meeting_id, AttendeeId=first["AttendeeId"])) == 204
    second = chime.create_attendee(MeetingId=meeting_id, ExternalUserId=user)["Attendee"]
    assert second["AttendeeId"] != first["AttendeeId"]
    assert second["JoinToken"] != first["JoinToken"]


def test_delete_attendee(chime, meeting):
    meeting_id = meeting["MeetingId"]
    attendee = chime.create_attendee(MeetingId=meeting_id, ExternalUserId=unique("u"))["Attendee"]
    attendee_id = attendee["AttendeeId"]
    assert status_of(chime.delete_attendee(MeetingId=meeting_id, AttendeeId=attendee_id)) == 204
    assert chime.list_attendees(MeetingId=meeting_id)["Attendees"] == []
    for call in (
        lambda: chime.get_attendee(MeetingId=meeting_id, AttendeeId=attendee_id),
        lambda: chime.delete_attendee(MeetingId=meeting_id, AttendeeId=attendee_id),
    ):
        with pytest.raises(chime.exceptions.NotFoundException) as e:
            call()
        response = assert_client_error(e, "NotFoundException", 404, "NotFound")
        assert attendee_id in response["Error"]["Message"]


def test_unknown_attendee_is_not_found(chime, meeting):
    with pytest.raises(chime.exceptions.NotFoundException) as e:
        chime.get_attendee(MeetingId=meeting["MeetingId"], AttendeeId=MISSING_ID)
    assert_client_error(e, "NotFoundException", 404, "NotFound")


def test_attendee_of_another_meeting_is_not_found(chime, make_meeting):
    first, second = make_meeting(), make_meeting()
    attendee = chime.create_attendee(MeetingId=first["MeetingId"], ExternalUserId=unique("u"))["Attendee"]
    with pytest.raises(chime.exceptions.NotFoundException):
        chime.get_attendee(MeetingId=second["MeetingId"], AttendeeId=attendee["AttendeeId"])


def test_batch_create_attendee(chime, meeting):
    meeting_id = meeting["MeetingId"]
    response = chime.batch_create_attendee(
        MeetingId=meeting_id,
        Attendees=[
            {"ExternalUserId": "alice-001", "Tags": [{"Key": "role", "Value": "host"}]},
            {"ExternalUserId": "bob-002"},
            {"ExternalUserId": "alice-001"},
        ],
    )
    assert status_of(response) == 201
    assert response["Errors"] == []
    attendees = response["Attendees"]
    assert [a["ExternalUserId"] for a in attendees] == ["alice-001", "bob-002", "alice-001"]
    for attendee in attendees:
        assert_legacy_attendee(attendee)
    # A duplicate inside one batch is the same attendee.
    assert attendees[0] == attendees[2]
    assert chime.list_attendee_tags(MeetingId=meeting_id, AttendeeId=attendees[0]["AttendeeId"])["Tags"] == [
        {"Key": "role", "Value": "host"}
    ]
    assert len(chime.list_attendees(MeetingId=meeting_id)["Attendees"]) == 2


def test_batch_create_attendee_takes_100_and_no_more(chime, make_meeting):
    meeting_id = make_meeting()["MeetingId"]
    # The legacy model sets no maximum (botocore sends 101 as is); the documented limit is 100.
    with pytest.raises(chime.exceptions.BadRequestException) as e:
        chime.batch_create_attendee(
            MeetingId=meeting_id, Attendees=[{"ExternalUserId": f"user-{i:03d}"} for i in range(101)]
        )
    assert_client_error(e, "BadRequestException", 400, "BadRequest")
    assert chime.list_attendees(MeetingId=meeting_id)["Attendees"] == []
    hundred = chime.batch_create_attendee(
        MeetingId=meeting_id, Attendees=[{"ExternalUserId": f"user-{i:03d}"} for i in range(100)]
    )
    assert status_of(hundred) == 201
    assert len(hundred["Attendees"]) == 100
    assert hundred["Errors"] == []


def test_batch_create_attendee_on_an_unknown_meeting_is_not_found(chime):
    with pytest.raises(chime.exceptions.NotFoundException) as e:
        chime.batch_create_attendee(MeetingId=MISSING_ID, Attendees=[{"ExternalUserId": "alice-001"}])
    response = assert_client_error(e, "NotFoundException", 404, "NotFound")
    assert response["Error"]["Message"] == f"Meeting <{MISSING_ID}> not found"


def test_the_251st_attendee_is_refused_with_resource_limit_exceeded(chime, meeting):
    meeting_id = meeting["MeetingId"]
    created = []
    for start, count in ((0, 100), (100, 100), (200, 50)):
        response = chime.batch_create_attendee(
            MeetingId=meeting_id,
            Attendees=[{"ExternalUserId": f"user-{i:03d}"} for i in range(start, start + count)],
        )
        assert response["Errors"] == []
        created.extend(response["Attendees"])
    assert len(created) == 250

    with pytest.raises(chime.exceptions.ResourceLimitExceededException) as e:
        chime.create_attendee(MeetingId=meeting_id, ExternalUserId="user-250")
    assert_client_error(e, "ResourceLimitExceededException", 400, "ResourceLimitExceeded")

    batch = chime.batch_create_attendee(MeetingId=meeting_id, Attendees=[{"ExternalUserId": "user-251"}])
    assert status_of(batch) == 201
    assert batch["Attendees"] == []
    assert [(x["ExternalUserId"], x["ErrorCode"]) for x in batch["Errors"]] == [
        ("user-251", "ResourceLimitExceeded")
    ]
    assert batch["Errors"][0]["ErrorMessage"]

    # An existing ExternalUserId still answers with its attendee at the cap.
    again = chime.create_attendee(MeetingId=meeting_id, ExternalUserId="user-007")["Attendee"]
    assert again["AttendeeId"] == created[7]["AttendeeId"]

    # A deleted attendee frees its slot.
    chime.delete_attendee(MeetingId=meeting_id, AttendeeId=created[0]["AttendeeId"])
    chime.create_attendee(MeetingId=meeting_id, ExternalUserId="user-250")
    with pytest.raises(chime.exceptions.ResourceLimitExceededException):
        chime.create_attendee(MeetingId=meeting_id, ExternalUserId="user-252")


# --------------------------------------------------------------------------------------------
# ListAttendees
# --------------------------------------------------------------------------------------------


def test_list_attendees_pagination(chime, meeting):
    meeting_id = meeting["MeetingId"]
    created = chime.batch_create_attendee(
        MeetingId=meeting_id, Attendees=[{"ExternalUserId": f"user-{i}"} for i in range(5)]
    )["Attendees"]
    pages, token = [], None
    while True:
        kwargs = {"MeetingId": meeting_id, "MaxResults": 2}
        if token:
            kwargs["NextToken"] = token
        page = chime.list_attendees(**kwargs)
        assert len(page["Attendees"]) <= 2
        pages.append(page["Attendees"])
        token = page.get("NextToken")
        if not token:
            break
        assert len(pages) < 10, "pagination does not end"
    listed = [a for page in pages for a in page]
    assert sorted(a["AttendeeId"] for a in listed) == sorted(a["AttendeeId"] for a in created)
    assert len(pages) == 3
    for attendee in listed:
        assert_legacy_attendee(attendee)


def test_list_attendees_max_results_99_is_accepted(chime, meeting):
    page = chime.list_attendees(MeetingId=meeting["MeetingId"], MaxResults=99)
    assert status_of(page) == 200


@pytest.mark.parametrize("max_results", [0, 100])
def test_list_attendees_max_results_range(chime_unchecked, meeting, max_results):
    with pytest.raises(chime_unchecked.exceptions.BadRequestException) as e:
        chime_unchecked.list_attendees(MeetingId=meeting["MeetingId"], MaxResults=max_results)
    assert_client_error(e, "BadRequestException", 400, "BadRequest")


def test_list_attendees_refuses_a_bad_next_token(chime, meeting):
    with pytest.raises(chime.exceptions.BadRequestException) as e:
        chime.list_attendees(MeetingId=meeting["MeetingId"], NextToken="not-a-token")
    assert_client_error(e, "BadRequestException", 400, "BadRequest")
