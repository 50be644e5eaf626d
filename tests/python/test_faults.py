"""Fault injection through boto3: rules from a file given at start (`--faults`), and the
per-request header (`--fault-header on`) added by a botocore event handler. An injected
ThrottlingException is retried by boto3's standard retry mode as a real throttle is; a
non-retryable error surfaces at once."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from carillon_support import EXAMPLE, REGION, SERVICE, running_server, unique

RULES = {
    "rules": [
        {
            "api": "meetings",
            "operation": "CreateAttendee",
            "action": "error",
            "error": "ThrottlingException",
            "count": 2,
        },
        {"api": "meetings", "operation": "GetAttendee", "action": "error", "error": "ForbiddenException"},
    ]
}


def retrying_client(endpoint: str):
    """boto3 with its standard retry mode: three attempts."""
    return boto3.session.Session().client(
        SERVICE,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=EXAMPLE.access_key,
        aws_secret_access_key=EXAMPLE.secret_key,
        config=Config(retries={"mode": "standard", "total_max_attempts": 3}),
    )


@pytest.fixture(scope="module")
def faulty():
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "faults.json"
        path.write_text(json.dumps(RULES))
        with running_server(args=["--faults", str(path), "--fault-header", "on"]) as server:
            yield server


def create_meeting(client) -> str:
    meeting = client.create_meeting(
        ClientRequestToken=unique("tok"),
        MediaRegion="us-east-1",
        ExternalMeetingId=unique("ext"),
    )
    return meeting["Meeting"]["MeetingId"]


def test_an_injected_throttle_is_retried_through(faulty):
    client = retrying_client(faulty.endpoint)
    meeting_id = create_meeting(client)
    answer = client.create_attendee(MeetingId=meeting_id, ExternalUserId=unique("user"))
    assert answer["Attendee"]["ExternalUserId"].startswith("user")
    # The two throttles were retried: the third attempt succeeded.
    assert answer["ResponseMetadata"]["RetryAttempts"] == 2
    # The rule is used up: the next call succeeds at once.
    again = client.create_attendee(MeetingId=meeting_id, ExternalUserId=unique("user"))
    assert again["ResponseMetadata"]["RetryAttempts"] == 0


def test_a_non_retryable_error_surfaces_at_once(faulty):
    client = retrying_client(faulty.endpoint)
    meeting_id = create_meeting(client)
    attendee = client.create_attendee(MeetingId=meeting_id, ExternalUserId=unique("user"))["Attendee"]
    with pytest.raises(ClientError) as caught:
        client.get_attendee(MeetingId=meeting_id, AttendeeId=attendee["AttendeeId"])
    error = caught.value.response
    assert error["Error"]["Code"] == "ForbiddenException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error["ResponseMetadata"]["RetryAttempts"] == 0


def test_the_header_set_by_an_event_handler(faulty):
    client = retrying_client(faulty.endpoint)
    meeting_id = create_meeting(client)

    def add_fault(request, **_):
        request.headers["X-Carillon-Fault"] = "error=NotFoundException"

    client.meta.events.register("before-sign.chime-sdk-meetings.GetMeeting", add_fault)
    with pytest.raises(ClientError) as caught:
        client.get_meeting(MeetingId=meeting_id)
    assert caught.value.response["Error"]["Code"] == "NotFoundException"
    assert caught.value.response["ResponseMetadata"]["RetryAttempts"] == 0
    # Without the header the meeting is there.
    plain = retrying_client(faulty.endpoint)
    assert plain.get_meeting(MeetingId=meeting_id)["Meeting"]["MeetingId"] == meeting_id
