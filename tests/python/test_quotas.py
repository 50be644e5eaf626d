"""Quotas replaced while the server runs, seen through boto3: the admin listener lowers an
account's CreateAttendee rate quota, and boto3 (retries off) gets ThrottlingException on the
next call over it; resetting the override gives AWS's defaults back."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from carillon_support import EXAMPLE, REGION, SERVICE, running_server, unique

TOKEN = "quotas-test-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def quotas_on():
    port = free_port()
    args = ["--quotas", "on", "--admin-listen", f"127.0.0.1:{port}"]
    with running_server(args=args, env_extra={"CARILLON_ADMIN_TOKEN": TOKEN}) as server:
        yield server, f"http://127.0.0.1:{port}"


def admin(base: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict | None]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{base}{path}", data=data, method=method)
    request.add_header("authorization", f"Bearer {TOKEN}")
    request.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def client(endpoint: str):
    return boto3.session.Session().client(
        SERVICE,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=EXAMPLE.access_key,
        aws_secret_access_key=EXAMPLE.secret_key,
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )


def test_a_run_time_override_throttles_boto3_until_reset(quotas_on):
    server, base = quotas_on
    chime = client(server.endpoint)
    meeting_id = chime.create_meeting(
        ClientRequestToken=unique("tok"), MediaRegion="us-east-1", ExternalMeetingId=unique("ext")
    )["Meeting"]["MeetingId"]

    entry = {"operations": {"CreateAttendee": {"rate": 1, "burst": 1}}}
    status, in_force = admin(base, "PUT", f"/v1/quotas/accounts/{EXAMPLE.account_id}", entry)
    assert status == 200, in_force
    assert in_force["operations"]["CreateAttendee"] == {"rate": 1.0, "burst": 1}

    chime.create_attendee(MeetingId=meeting_id, ExternalUserId=unique("user"))
    with pytest.raises(ClientError) as caught:
        chime.create_attendee(MeetingId=meeting_id, ExternalUserId=unique("user"))
    error = caught.value.response
    assert error["Error"]["Code"] == "ThrottlingException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert "CreateAttendee" in error["Error"]["Message"]

    status, view = admin(base, "GET", "/v1/quotas")
    assert status == 200
    assert view["overriddenAccounts"] == [EXAMPLE.account_id]

    # An invalid override is refused and changes nothing.
    status, refused = admin(
        base, "PUT", f"/v1/quotas/accounts/{EXAMPLE.account_id}", {"operations": {"Nope": {"rate": 1}}}
    )
    assert status == 400
    assert 'unknown operation "Nope"' in refused["message"]

    status, _ = admin(base, "DELETE", f"/v1/quotas/accounts/{EXAMPLE.account_id}")
    assert status == 204
    for _ in range(5):
        chime.create_attendee(MeetingId=meeting_id, ExternalUserId=unique("user"))
