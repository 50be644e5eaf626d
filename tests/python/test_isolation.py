"""Accounts never see each other's meetings, attendees or tags."""

from __future__ import annotations

import pytest

from carillon_support import unique


def test_another_accounts_meeting_is_not_found(chime, chime2, meeting):
    meeting_id = meeting["MeetingId"]
    attendee = chime.create_attendee(MeetingId=meeting_id, ExternalUserId=unique("u"))["Attendee"]
    attendee_id = attendee["AttendeeId"]
    caps = {"Audio": "SendReceive", "Video": "SendReceive", "Content": "SendReceive"}
    calls = {
        "get_meeting": lambda: chime2.get_meeting(MeetingId=meeting_id),
        "create_attendee": lambda: chime2.create_attendee(MeetingId=meeting_id, ExternalUserId=unique("u")),
        "batch_create_attendee": lambda: chime2.batch_create_attendee(
            MeetingId=meeting_id, Attendees=[{"ExternalUserId": unique("u")}]
        ),
        "get_attendee": lambda: chime2.get_attendee(MeetingId=meeting_id, AttendeeId=attendee_id),
        "list_attendees": lambda: chime2.list_attendees(MeetingId=meeting_id),
        "update_attendee_capabilities": lambda: chime2.update_attendee_capabilities(
            MeetingId=meeting_id, AttendeeId=attendee_id, Capabilities=caps
        ),
        "batch_update_attendee_capabilities_except": lambda: chime2.batch_update_attendee_capabilities_except(
            MeetingId=meeting_id, ExcludedAttendeeIds=[{"AttendeeId": attendee_id}], Capabilities=caps
        ),
        "delete_attendee": lambda: chime2.delete_attendee(MeetingId=meeting_id, AttendeeId=attendee_id),
        "delete_meeting": lambda: chime2.delete_meeting(MeetingId=meeting_id),
    }
    for name, call in calls.items():
        with pytest.raises(chime2.exceptions.NotFoundException) as e:
            call()
        assert e.value.response["Error"]["Message"] == f"Meeting <{meeting_id}> not found", name

    # Nothing the second account tried had an effect.
    assert chime.get_meeting(MeetingId=meeting_id)["Meeting"] == meeting
    assert chime.list_attendees(MeetingId=meeting_id)["Attendees"] == [attendee]


def test_each_account_sees_its_own_meetings(chime, chime2, make_meeting):
    mine = make_meeting()
    theirs = make_meeting(client=chime2)
    assert chime2.get_meeting(MeetingId=theirs["MeetingId"])["Meeting"] == theirs
    with pytest.raises(chime.exceptions.NotFoundException):
        chime.get_meeting(MeetingId=theirs["MeetingId"])
    assert chime.get_meeting(MeetingId=mine["MeetingId"])["Meeting"] == mine


def test_replica_of_another_accounts_meeting_is_refused(chime2, meeting):
    with pytest.raises(chime2.exceptions.BadRequestException):
        chime2.create_meeting(
            ClientRequestToken=unique("tok"),
            MediaRegion="us-east-1",
            ExternalMeetingId=unique("ext"),
            PrimaryMeetingId=meeting["MeetingId"],
        )
