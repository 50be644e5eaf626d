"""A new user's first session with the legacy API, as the README shows it: create a meeting with
attendees, list meetings, tag an attendee, read the tag back, delete the meeting."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config

from legacy_support import EXAMPLE, REGION, assert_legacy_attendee, assert_legacy_meeting


def test_readme_walkthrough(legacy_endpoint):
    chime = boto3.session.Session().client(
        "chime",
        region_name=REGION,
        endpoint_url=legacy_endpoint,
        aws_access_key_id=EXAMPLE.access_key,
        aws_secret_access_key=EXAMPLE.secret_key,
        config=Config(retries={"total_max_attempts": 1}),
    )

    created = chime.create_meeting_with_attendees(
        ExternalMeetingId="standup", Attendees=[{"ExternalUserId": "alice"}, {"ExternalUserId": "bob"}]
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    meeting = created["Meeting"]
    meeting_id = meeting["MeetingId"]
    assert_legacy_meeting(meeting)
    assert meeting["ExternalMeetingId"] == "standup"
    assert meeting["MediaRegion"] == "us-east-1"
    assert [a["ExternalUserId"] for a in created["Attendees"]] == ["alice", "bob"]
    for attendee in created["Attendees"]:
        assert_legacy_attendee(attendee)
    assert created["Errors"] == []

    listed, token = [], None
    while True:
        page = chime.list_meetings(**({"NextToken": token} if token else {}))
        listed.extend(m["MeetingId"] for m in page["Meetings"])
        token = page.get("NextToken")
        if not token:
            break
    assert meeting_id in listed

    alice = created["Attendees"][0]["AttendeeId"]
    tagged = chime.tag_attendee(MeetingId=meeting_id, AttendeeId=alice, Tags=[{"Key": "team", "Value": "blue"}])
    assert tagged["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert chime.list_attendee_tags(MeetingId=meeting_id, AttendeeId=alice)["Tags"] == [
        {"Key": "team", "Value": "blue"}
    ]

    deleted = chime.delete_meeting(MeetingId=meeting_id)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(chime.exceptions.NotFoundException) as e:
        chime.get_meeting(MeetingId=meeting_id)
    assert e.value.response["Error"]["Message"] == f"Meeting <{meeting_id}> not found"
    remaining, token = [], None
    while True:
        page = chime.list_meetings(**({"NextToken": token} if token else {}))
        remaining.extend(m["MeetingId"] for m in page["Meetings"])
        token = page.get("NextToken")
        if not token:
            break
    assert meeting_id not in remaining
