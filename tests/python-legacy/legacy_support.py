"""Shared code of the legacy `chime` suite: building
boto3 clients for the legacy and the current API, and sending raw SigV4-signed requests whose
every byte and header the test controls."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

# The server-process helpers are shared with the other Python suite (and re-exported to the
# tests from here).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pysupport"))
import raw_http  # noqa: E402
from carillon_process import (  # noqa: E402
    EXAMPLE,
    SECOND,
    Account,
    Server,
    start_server,
    unique,
)
from raw_http import RawResponse  # noqa: E402

import boto3
from botocore.config import Config

LEGACY_SERVICE = "chime"
CURRENT_SERVICE = "chime-sdk-meetings"
SIGNING_NAME = "chime"
REGION = "us-east-1"

GUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# Legacy JoinTokenString: 2..2048, pattern ^[a-zA-Z0-9+/]+$.
LEGACY_JOIN_TOKEN_RE = re.compile(r"^[a-zA-Z0-9+/]{2,2048}$")

# Output shapes of the legacy model (botocore 1.35.99, chime 2018-05-01).
LEGACY_MEETING_MEMBERS = {"MeetingId", "ExternalMeetingId", "MediaPlacement", "MediaRegion"}
LEGACY_ATTENDEE_MEMBERS = {"ExternalUserId", "AttendeeId", "JoinToken"}
LEGACY_MEDIA_PLACEMENT_MEMBERS = {
    "AudioHostUrl",
    "AudioFallbackUrl",
    "ScreenDataUrl",
    "ScreenSharingUrl",
    "ScreenViewingUrl",
    "SignalingUrl",
    "TurnControlUrl",
    "EventIngestionUrl",
}
# Members only the current API's shapes have.
CURRENT_ONLY_MEETING_MEMBERS = {"MeetingArn", "MeetingFeatures", "TenantIds", "PrimaryMeetingId", "MeetingHostId"}

# The legacy ErrorCode enum: the type of every legacy exception's `Code` member.
LEGACY_ERROR_CODES = {
    "BadRequest",
    "Conflict",
    "Forbidden",
    "NotFound",
    "PreconditionFailed",
    "ResourceLimitExceeded",
    "ServiceFailure",
    "AccessDenied",
    "ServiceUnavailable",
    "Throttled",
    "Throttling",
    "Unauthorized",
    "Unprocessable",
    "VoiceConnectorGroupAssociationsExist",
    "PhoneNumberAssociationsExist",
}


# --------------------------------------------------------------------------------------------
# boto3 clients
# --------------------------------------------------------------------------------------------


def _client(service: str, endpoint: str, account: Account, validate: bool):
    # Exactly one attempt per call: a retry could hide a failed first answer.
    config = Config(retries={"total_max_attempts": 1}, parameter_validation=validate)
    # A session of its own, so no profile or shared configuration of the machine leaks in.
    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=account.access_key,
        aws_secret_access_key=account.secret_key,
        config=config,
    )


def legacy_client(endpoint: str, account: Account = EXAMPLE, validate: bool = True):
    """`boto3.client('chime')` (2018-05-01) pointed at the legacy listener."""
    return _client(LEGACY_SERVICE, endpoint, account, validate)


def current_client(endpoint: str, account: Account = EXAMPLE, validate: bool = True):
    """`boto3.client('chime-sdk-meetings')` pointed at the main listener."""
    return _client(CURRENT_SERVICE, endpoint, account, validate)


# --------------------------------------------------------------------------------------------
# Raw signed requests
# --------------------------------------------------------------------------------------------


class RawClient(raw_http.RawClient):
    """The shared raw client (`tests/pysupport/raw_http.py`) with a legacy CreateMeeting shorthand."""

    # Shorthands for the legacy API ------------------------------------------------------

    def create_meeting(self, account: Account = EXAMPLE, **members: Any) -> dict:
        body = {"ClientRequestToken": unique("tok"), "ExternalMeetingId": unique("ext"), **members}
        response = self.request("POST", "/meetings", json_body=body, account=account)
        assert response.status == 201, response
        return response.json()["Meeting"]


# --------------------------------------------------------------------------------------------
# Assertions
# --------------------------------------------------------------------------------------------


def assert_guid(value: Any) -> None:
    assert isinstance(value, str) and GUID_RE.match(value), f"not a lower-case GUID: {value!r}"


def assert_legacy_meeting(meeting: dict) -> None:
    """A Meeting in the legacy shape: only the four legacy members, a GUID id, and a
    MediaPlacement made only of the legacy URL members."""
    assert set(meeting) <= LEGACY_MEETING_MEMBERS, sorted(set(meeting) - LEGACY_MEETING_MEMBERS)
    assert {"MeetingId", "MediaPlacement", "MediaRegion"} <= set(meeting), meeting
    assert_guid(meeting["MeetingId"])
    placement = meeting["MediaPlacement"]
    assert isinstance(placement, dict) and placement, meeting
    assert set(placement) <= LEGACY_MEDIA_PLACEMENT_MEMBERS, sorted(set(placement) - LEGACY_MEDIA_PLACEMENT_MEMBERS)
    for key in ("AudioHostUrl", "SignalingUrl", "TurnControlUrl"):
        assert isinstance(placement.get(key), str) and placement[key], (key, placement)
    for key, value in placement.items():
        assert isinstance(value, str) and len(value) <= 4096, (key, value)


def assert_legacy_attendee(attendee: dict) -> None:
    """An Attendee in the legacy shape: ExternalUserId, AttendeeId, JoinToken, nothing else."""
    assert set(attendee) == LEGACY_ATTENDEE_MEMBERS, attendee.keys()
    assert_guid(attendee["AttendeeId"])
    assert LEGACY_JOIN_TOKEN_RE.match(attendee["JoinToken"]), attendee["JoinToken"]


def assert_error(response: RawResponse, status: int, error_type: str, code: str) -> dict:
    """The rest-json error as the legacy service sends it: status, `x-amzn-ErrorType` = the
    exception name, JSON body with `Code` (the legacy ErrorCode value), `Message`, and
    `RequestId` equal to the `x-amzn-RequestId` header."""
    assert response.status == status, response
    assert response.error_type == error_type, response
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    assert content_type == "application/json", response.headers
    request_id = response.request_id
    assert request_id, response.headers
    body = response.json()
    assert isinstance(body, dict), body
    assert body.get("Code") == code, body
    assert isinstance(body.get("Message"), str) and body["Message"], body
    assert body.get("RequestId") == request_id, (body, request_id)
    return body


def assert_client_error(exc_info, error_type: str, status: int, code: str | None = None) -> dict:
    """A botocore ClientError: the code botocore resolved, the HTTP status, the modeled `Code`
    member it parsed from the body, and the request id. Returns the response."""
    response = exc_info.value.response
    assert response["Error"]["Code"] == error_type, response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status, response
    assert response["ResponseMetadata"]["RetryAttempts"] == 0, response
    assert response["Error"]["Message"], response
    assert response["ResponseMetadata"]["RequestId"], response
    if code is not None:
        assert response.get("Code") == code, response
    return response


def meeting_arn(meeting_id: str, account: Account = EXAMPLE, region: str = REGION) -> str:
    return f"arn:aws:chime:{region}:{account.account_id}:meeting/{meeting_id}"


def tags(count: int, prefix: str = "k") -> list[dict[str, str]]:
    return [{"Key": f"{prefix}{i}", "Value": f"v{i}"} for i in range(count)]


def sorted_tags(tag_list: list[dict[str, str]]) -> list[tuple[str, str]]:
    return sorted((t["Key"], t["Value"]) for t in tag_list)
