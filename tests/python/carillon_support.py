"""Shared code of the boto3 suite: building clients, and sending raw
SigV4-signed requests whose every byte and header the test controls."""

from __future__ import annotations

import base64
import re
import sys
import uuid
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
    running_server,
    start_server,
    unique,
)
from raw_http import encode_query  # noqa: E402

import boto3
from botocore.config import Config

SERVICE = "chime-sdk-meetings"
SIGNING_NAME = "chime"
REGION = "us-east-1"

GUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


# --------------------------------------------------------------------------------------------
# boto3 clients
# --------------------------------------------------------------------------------------------


def make_client(
    endpoint: str | None,
    account: Account = EXAMPLE,
    region: str = REGION,
    validate: bool = True,
):
    # Exactly one attempt per call. (`retries={"max_attempts": 1}` counts retries, so it would
    # allow a second attempt, and botocore's standard mode retries LimitExceededException; a
    # retry could hide a failed first answer.)
    config = Config(retries={"total_max_attempts": 1}, parameter_validation=validate)
    kwargs: dict[str, Any] = dict(
        region_name=region,
        aws_access_key_id=account.access_key,
        aws_secret_access_key=account.secret_key,
        config=config,
    )
    if endpoint is not None:
        kwargs["endpoint_url"] = endpoint
    # A session of its own, so no profile or shared configuration of the machine leaks in.
    return boto3.session.Session().client(SERVICE, **kwargs)


# --------------------------------------------------------------------------------------------
# Raw signed requests
# --------------------------------------------------------------------------------------------


class RawClient(raw_http.RawClient):
    """The shared raw client (`tests/pysupport/raw_http.py`) with a CreateMeeting shorthand."""

    # Shorthands -------------------------------------------------------------------------

    def create_meeting(self, account: Account = EXAMPLE, **members: Any) -> dict:
        body = {
            "ClientRequestToken": unique("tok"),
            "MediaRegion": "us-east-1",
            "ExternalMeetingId": unique("ext"),
            **members,
        }
        response = self.request("POST", "/meetings", json_body=body, account=account)
        assert response.status == 200, response
        return response.json()["Meeting"]


# --------------------------------------------------------------------------------------------
# Assertions on shapes
# --------------------------------------------------------------------------------------------


def assert_guid(value: str) -> None:
    assert isinstance(value, str) and GUID_RE.match(value), f"not a lower-case GUID: {value!r}"


def assert_join_token(token: str, attendee_id: str) -> None:
    assert token and not set(token) & set("/+="), f"JoinToken has / + or =: {token!r}"
    raw = base64.b64decode(token + "=" * (-len(token) % 4), validate=True).decode("ascii")
    owner, _, random_part = raw.partition(":")
    assert owner == attendee_id, raw
    assert str(uuid.UUID(random_part)) == random_part, raw
    # Unpadded: re-encoding with the standard alphabet and stripping padding gives the token back.
    assert base64.b64encode(raw.encode("ascii")).decode("ascii").rstrip("=") == token


def meeting_arn(meeting_id: str, account: Account = EXAMPLE, region: str = REGION) -> str:
    return f"arn:aws:chime:{region}:{account.account_id}:meeting/{meeting_id}"


def pascal_case_keys(value: Any, path: str = "$") -> list[str]:
    """Paths of JSON object keys that are not PascalCase (empty when all are)."""
    bad: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if not re.match(r"^[A-Z][A-Za-z0-9]*$", key):
                bad.append(f"{path}.{key}")
            bad.extend(pascal_case_keys(item, f"{path}.{key}"))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            bad.extend(pascal_case_keys(item, f"{path}[{index}]"))
    return bad


def null_paths(value: Any, path: str = "$") -> list[str]:
    """Paths of explicit JSON nulls (unset members must be left out instead)."""
    found: list[str] = []
    if value is None:
        found.append(path)
    elif isinstance(value, dict):
        for key, item in value.items():
            found.extend(null_paths(item, f"{path}.{key}"))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(null_paths(item, f"{path}[{index}]"))
    return found
