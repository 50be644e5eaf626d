"""Fixtures: one Carillon server for the whole session (two accounts), boto3 clients for both
accounts, a raw signed-request client, and a meeting factory that ends what it creates."""

from __future__ import annotations

from typing import Any, Callable

import pytest
from botocore.exceptions import ClientError

from carillon_support import (
    EXAMPLE,
    SECOND,
    RawClient,
    Server,
    make_client,
    start_server,
    unique,
)


@pytest.fixture(scope="session")
def server() -> Server:
    try:
        srv = start_server(credentials=[EXAMPLE, SECOND])
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    yield srv
    status = srv.stop()
    if status not in (0, None):
        print(f"carillon exited with status {status}; standard error:\n{srv.stderr_text()}")
    srv.discard_log()


@pytest.fixture(scope="session")
def endpoint(server: Server) -> str:
    return server.endpoint


@pytest.fixture(scope="session")
def chime(endpoint: str):
    """boto3 client of account 123456789012 (the example key pair)."""
    return make_client(endpoint)


@pytest.fixture(scope="session")
def chime2(endpoint: str):
    """boto3 client of the second account, 210987654321."""
    return make_client(endpoint, account=SECOND)


@pytest.fixture(scope="session")
def chime_unchecked(endpoint: str):
    """boto3 client without client-side parameter validation, so the server's is exercised."""
    return make_client(endpoint, validate=False)


@pytest.fixture(scope="session")
def raw(endpoint: str) -> RawClient:
    return RawClient(endpoint)


@pytest.fixture
def make_meeting(chime) -> Callable[..., dict]:
    """Creates a meeting (unique token and external id unless given) and ends it afterwards."""
    created: list[tuple[Any, str]] = []

    def factory(client=None, **members: Any) -> dict:
        client = client or chime
        params = {
            "ClientRequestToken": unique("tok"),
            "MediaRegion": "us-east-1",
            "ExternalMeetingId": unique("ext"),
            **members,
        }
        meeting = client.create_meeting(**params)["Meeting"]
        created.append((client, meeting["MeetingId"]))
        return meeting

    yield factory
    for client, meeting_id in created:
        try:
            client.delete_meeting(MeetingId=meeting_id)
        except ClientError:
            pass


@pytest.fixture
def meeting(make_meeting) -> dict:
    return make_meeting()
