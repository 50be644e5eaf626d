"""Legacy tags: TagMeeting/UntagMeeting/ListMeetingTags, TagAttendee/UntagAttendee/
ListAttendeeTags, and TagResource/UntagResource/ListTagsForResource on meeting ARNs."""

from __future__ import annotations

import pytest

from legacy_support import (
    SECOND,
    assert_client_error,
    meeting_arn,
    sorted_tags,
    tags,
    unique,
)

MISSING_ID = "0f0f0f0f-1111-4222-8333-444455556666"


def status_of(response: dict) -> int:
    return response["ResponseMetadata"]["HTTPStatusCode"]


def meeting_tags(chime, meeting_id: str) -> list[tuple[str, str]]:
    return sorted_tags(chime.list_meeting_tags(MeetingId=meeting_id)["Tags"])


def attendee_tags(chime, meeting_id: str, attendee_id: str) -> list[tuple[str, str]]:
    return sorted_tags(chime.list_attendee_tags(MeetingId=meeting_id, AttendeeId=attendee_id)["Tags"])


# --------------------------------------------------------------------------------------------
# Meeting tags
# --------------------------------------------------------------------------------------------


def test_meeting_tags_lifecycle(chime, meeting):
    meeting_id = meeting["MeetingId"]
    assert meeting_tags(chime, meeting_id) == []
    tagged = chime.tag_meeting(MeetingId=meeting_id, Tags=[{"Key": "team", "Value": "blue"}, {"Key": "env", "Value": "dev"}])
    assert status_of(tagged) == 204
    listed = chime.list_meeting_tags(MeetingId=meeting_id)
    assert status_of(listed) == 200
    assert sorted_tags(listed["Tags"]) == [("env", "dev"), ("team", "blue")]

    # A known key is overwritten.
    chime.tag_meeting(MeetingId=meeting_id, Tags=[{"Key": "team", "Value": "green"}])
    assert meeting_tags(chime, meeting_id) == [("env", "dev"), ("team", "green")]

    # Untagging an absent key is fine.
    untagged = chime.untag_meeting(MeetingId=meeting_id, TagKeys=["env", "never-set"])
    assert status_of(untagged) == 204
    assert meeting_tags(chime, meeting_id) == [("team", "green")]
    chime.untag_meeting(MeetingId=meeting_id, TagKeys=["never-set-either"])
    assert meeting_tags(chime, meeting_id) == [("team", "green")]


def test_tag_resource_and_tag_meeting_share_the_meetings_tags(chime, meeting):
    meeting_id = meeting["MeetingId"]
    arn = meeting_arn(meeting_id)
    assert status_of(chime.tag_resource(ResourceARN=arn, Tags=[{"Key": "a", "Value": "1"}])) == 204
    chime.tag_meeting(MeetingId=meeting_id, Tags=[{"Key": "b", "Value": "2"}])
    by_arn = chime.list_tags_for_resource(ResourceARN=arn)
    assert status_of(by_arn) == 200
    assert sorted_tags(by_arn["Tags"]) == [("a", "1"), ("b", "2")]
    assert meeting_tags(chime, meeting_id) == [("a", "1"), ("b", "2")]
    assert status_of(chime.untag_resource(ResourceARN=arn, TagKeys=["a", "absent"])) == 204
    assert meeting_tags(chime, meeting_id) == [("b", "2")]


def test_legacy_tag_shapes(chime, chime_unchecked, meeting):
    """The legacy Tag shape has no pattern on keys or values, and a value of at least 1
    character (the current API allows empty values and restricts the characters)."""
    meeting_id = meeting["MeetingId"]
    odd = [{"Key": "Cost Center!", "Value": "R&D #4 (Zürich)"}, {"Key": "owner's", "Value": "a*b"}]
    chime.tag_meeting(MeetingId=meeting_id, Tags=odd)
    assert meeting_tags(chime, meeting_id) == sorted_tags(odd)
    for bad in ([{"Key": "k", "Value": ""}], [{"Key": "", "Value": "v"}], [{"Key": "k" * 129, "Value": "v"}], []):
        with pytest.raises(chime_unchecked.exceptions.BadRequestException) as e:
            chime_unchecked.tag_meeting(MeetingId=meeting_id, Tags=bad)
        assert_client_error(e, "BadRequestException", 400, "BadRequest")
    with pytest.raises(chime_unchecked.exceptions.BadRequestException):
        chime_unchecked.untag_meeting(MeetingId=meeting_id, TagKeys=[])
    assert meeting_tags(chime, meeting_id) == sorted_tags(odd)


def test_fifty_meeting_tags_and_no_more(chime, chime_unchecked, meeting):
    meeting_id = meeting["MeetingId"]
    # 51 tags in one request break the model's MeetingTagList limit: nothing is added.
    with pytest.raises(chime_unchecked.exceptions.BadRequestException) as e:
        chime_unchecked.tag_meeting(MeetingId=meeting_id, Tags=tags(51))
    assert_client_error(e, "BadRequestException", 400, "BadRequest")
    assert meeting_tags(chime, meeting_id) == []

    chime.tag_meeting(MeetingId=meeting_id, Tags=tags(50))
    assert len(meeting_tags(chime, meeting_id)) == 50
    # A 51st tag on the meeting is a resource limit.
    with pytest.raises(chime.exceptions.ResourceLimitExceededException) as e:
        chime.tag_meeting(MeetingId=meeting_id, Tags=[{"Key": "one-more", "Value": "v"}])
    assert_client_error(e, "ResourceLimitExceededException", 400, "ResourceLimitExceeded")
    assert len(meeting_tags(chime, meeting_id)) == 50
    # Overwriting at the limit is fine.
    chime.tag_meeting(MeetingId=meeting_id, Tags=[{"Key": "k0", "Value": "changed"}])
    assert ("k0", "changed") in meeting_tags(chime, meeting_id)


def test_create_meeting_with_fifty_tags_and_no_more(chime, chime_unchecked, make_meeting):
    meeting = make_meeting(Tags=tags(50))
    assert len(meeting_tags(chime, meeting["MeetingId"])) == 50
    with pytest.raises(chime_unchecked.exceptions.BadRequestException):
        chime_unchecked.create_meeting(ClientRequestToken=unique("tok"), Tags=tags(51))


def test_meeting_tags_of_an_unknown_meeting(chime):
    calls = {
        "tag_meeting": lambda: chime.tag_meeting(MeetingId=MISSING_ID, Tags=tags(1)),
        "untag_meeting": lambda: chime.untag_meeting(MeetingId=MISSING_ID, TagKeys=["k0"]),
        "list_meeting_tags": lambda: chime.list_meeting_tags(MeetingId=MISSING_ID),
    }
    for name, call in calls.items():
        with pytest.raises(chime.exceptions.NotFoundException) as e:
            call()
        response = assert_client_error(e, "NotFoundException", 404, "NotFound")
        assert response["Error"]["Message"] == f"Meeting <{MISSING_ID}> not found", name


def test_unknown_or_foreign_arn_is_not_found(chime, meeting):
    for arn in (
        meeting_arn(MISSING_ID),
        meeting_arn(meeting["MeetingId"], account=SECOND),
        meeting_arn(meeting["MeetingId"], region="us-west-2"),
    ):
        with pytest.raises(chime.exceptions.NotFoundException) as e:
            chime.list_tags_for_resource(ResourceARN=arn)
        assert_client_error(e, "NotFoundException", 404, "NotFound")
        with pytest.raises(chime.exceptions.NotFoundException):
            chime.tag_resource(ResourceARN=arn, Tags=tags(1))
        with pytest.raises(chime.exceptions.NotFoundException):
            chime.untag_resource(ResourceARN=arn, TagKeys=["k0"])
    assert meeting_tags(chime, meeting["MeetingId"]) == []


def test_malformed_arn_is_bad_request(chime_unchecked):
    with pytest.raises(chime_unchecked.exceptions.BadRequestException) as e:
        chime_unchecked.list_tags_for_resource(ResourceARN="not-an-arn")
    assert_client_error(e, "BadRequestException", 400, "BadRequest")


def test_deleting_the_meeting_removes_its_tags(chime):
    meeting_id = chime.create_meeting(Tags=tags(3))["Meeting"]["MeetingId"]
    attendee = chime.create_attendee(MeetingId=meeting_id, ExternalUserId=unique("u"), Tags=tags(2))["Attendee"]
    chime.delete_meeting(MeetingId=meeting_id)
    for call in (
        lambda: chime.list_meeting_tags(MeetingId=meeting_id),
        lambda: chime.list_attendee_tags(MeetingId=meeting_id, AttendeeId=attendee["AttendeeId"]),
    ):
        with pytest.raises(chime.exceptions.NotFoundException) as e:
            call()
        response = assert_client_error(e, "NotFoundException", 404, "NotFound")
        assert response["Error"]["Message"] == f"Meeting <{meeting_id}> not found"
    with pytest.raises(chime.exceptions.NotFoundException):
        chime.list_tags_for_resource(ResourceARN=meeting_arn(meeting_id))


# --------------------------------------------------------------------------------------------
# Attendee tags
# --------------------------------------------------------------------------------------------


def test_attendee_tags_lifecycle(chime, meeting):
    meeting_id = meeting["MeetingId"]
    attendee_id = chime.create_attendee(MeetingId=meeting_id, ExternalUserId=unique("u"))["Attendee"]["AttendeeId"]
    assert attendee_tags(chime, meeting_id, attendee_id) == []
    tagged = chime.tag_attendee(
        MeetingId=meeting_id, AttendeeId=attendee_id, Tags=[{"Key": "team", "Value": "blue"}, {"Key": "seat", "Value": "7"}]
    )
    assert status_of(tagged) == 204
    listed = chime.list_attendee_tags(MeetingId=meeting_id, AttendeeId=attendee_id)
    assert status_of(listed) == 200
    assert sorted_tags(listed["Tags"]) == [("seat", "7"), ("team", "blue")]
    chime.tag_attendee(MeetingId=meeting_id, AttendeeId=attendee_id, Tags=[{"Key": "team", "Value": "red"}])
    assert attendee_tags(chime, meeting_id, attendee_id) == [("seat", "7"), ("team", "red")]
    untagged = chime.untag_attendee(MeetingId=meeting_id, AttendeeId=attendee_id, TagKeys=["seat", "never-set"])
    assert status_of(untagged) == 204
    assert attendee_tags(chime, meeting_id, attendee_id) == [("team", "red")]
    # Tags of one attendee are not the meeting's.
    assert meeting_tags(chime, meeting_id) == []


def test_ten_attendee_tags_and_no_more(chime, chime_unchecked, meeting):
    meeting_id = meeting["MeetingId"]
    attendee_id = chime.create_attendee(MeetingId=meeting_id, ExternalUserId=unique("u"))["Attendee"]["AttendeeId"]
    # 11 tags in one request break the model's AttendeeTagList limit: nothing is added.
    with pytest.raises(chime_unchecked.exceptions.BadRequestException) as e:
        chime_unchecked.tag_attendee(MeetingId=meeting_id, AttendeeId=attendee_id, Tags=tags(11))
    assert_client_error(e, "BadRequestException", 400, "BadRequest")
    assert attendee_tags(chime, meeting_id, attendee_id) == []
    with pytest.raises(chime_unchecked.exceptions.BadRequestException):
        chime_unchecked.untag_attendee(MeetingId=meeting_id, AttendeeId=attendee_id, TagKeys=[f"k{i}" for i in range(11)])

    chime.tag_attendee(MeetingId=meeting_id, AttendeeId=attendee_id, Tags=tags(10))
    assert len(attendee_tags(chime, meeting_id, attendee_id)) == 10
    # An 11th tag on the attendee is a resource limit.
    with pytest.raises(chime.exceptions.ResourceLimitExceededException) as e:
        chime.tag_attendee(MeetingId=meeting_id, AttendeeId=attendee_id, Tags=[{"Key": "one-more", "Value": "v"}])
    assert_client_error(e, "ResourceLimitExceededException", 400, "ResourceLimitExceeded")
    assert len(attendee_tags(chime, meeting_id, attendee_id)) == 10
    # Overwriting at the limit is fine.
    chime.tag_attendee(MeetingId=meeting_id, AttendeeId=attendee_id, Tags=[{"Key": "k9", "Value": "changed"}])
    assert ("k9", "changed") in attendee_tags(chime, meeting_id, attendee_id)


def test_tags_given_at_creation_count_towards_the_attendee_limit(chime, meeting):
    meeting_id = meeting["MeetingId"]
    attendee_id = chime.create_attendee(MeetingId=meeting_id, ExternalUserId=unique("u"), Tags=tags(10))["Attendee"][
        "AttendeeId"
    ]
    with pytest.raises(chime.exceptions.ResourceLimitExceededException):
        chime.tag_attendee(MeetingId=meeting_id, AttendeeId=attendee_id, Tags=[{"Key": "extra", "Value": "v"}])


def test_deleting_the_attendee_removes_its_tags(chime, meeting):
    meeting_id = meeting["MeetingId"]
    user = unique("u")
    first = chime.create_attendee(MeetingId=meeting_id, ExternalUserId=user, Tags=tags(3))["Attendee"]["AttendeeId"]
    chime.delete_attendee(MeetingId=meeting_id, AttendeeId=first)
    with pytest.raises(chime.exceptions.NotFoundException) as e:
        chime.list_attendee_tags(MeetingId=meeting_id, AttendeeId=first)
    response = assert_client_error(e, "NotFoundException", 404, "NotFound")
    assert first in response["Error"]["Message"]
    for call in (
        lambda: chime.tag_attendee(MeetingId=meeting_id, AttendeeId=first, Tags=tags(1)),
        lambda: chime.untag_attendee(MeetingId=meeting_id, AttendeeId=first, TagKeys=["k0"]),
    ):
        with pytest.raises(chime.exceptions.NotFoundException):
            call()
    # The same ExternalUserId is a new attendee, without the old tags.
    second = chime.create_attendee(MeetingId=meeting_id, ExternalUserId=user)["Attendee"]["AttendeeId"]
    assert second != first
    assert attendee_tags(chime, meeting_id, second) == []


def test_attendee_tags_of_unknown_meeting_or_attendee(chime, meeting):
    meeting_id = meeting["MeetingId"]
    for m, a, expected in (
        (MISSING_ID, MISSING_ID, f"Meeting <{MISSING_ID}> not found"),
        (meeting_id, MISSING_ID, None),
    ):
        for call in (
            lambda: chime.tag_attendee(MeetingId=m, AttendeeId=a, Tags=tags(1)),
            lambda: chime.untag_attendee(MeetingId=m, AttendeeId=a, TagKeys=["k0"]),
            lambda: chime.list_attendee_tags(MeetingId=m, AttendeeId=a),
        ):
            with pytest.raises(chime.exceptions.NotFoundException) as e:
                call()
            response = assert_client_error(e, "NotFoundException", 404, "NotFound")
            if expected:
                assert response["Error"]["Message"] == expected
            else:
                assert MISSING_ID in response["Error"]["Message"]
