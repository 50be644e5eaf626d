"""Fixtures: one Carillon server for the whole session (two accounts, both listeners), legacy
`chime` clients for both accounts, a current `chime-sdk-meetings` client, raw signed-request
clients for both listeners, and a legacy meeting factory that ends what it creates."""

from __future__ import annotations

from typing import Any, Callable

import pytest
from botocore.exceptions import ClientError

from legacy_support import (
    EXAMPLE,
    SECOND,
    RawClient,
    Server,
    current_client,
    legacy_client,
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
def legacy_endpoint(server: Server) -> str:
    return server.legacy_endpoint


@pytest.fixture(scope="session")
def chime(legacy_endpoint: str):
    """Legacy `chime` client of account 123456789012 (the example key pair)."""
    return legacy_client(legacy_endpoint)


@pytest.fixture(scope="session")
def chime2(legacy_endpoint: str):
    """Legacy `chime` client of the second account, 210987654321."""
    return legacy_client(legacy_endpoint, account=SECOND)


@pytest.fixture(scope="session")
def chime_unchecked(legacy_endpoint: str):
    """Legacy client without client-side parameter validation, so the server's is exercised."""
    return legacy_client(legacy_endpoint, validate=False)


@pytest.fixture(scope="session")
def meetings(server: Server):
    """Current `chime-sdk-meetings` client on the main listener, same account as `chime`."""
    return current_client(server.endpoint)


@pytest.fixture(scope="session")
def raw(legacy_endpoint: str) -> RawClient:
    """Raw signed requests to the legacy listener."""
    return RawClient(legacy_endpoint)


@pytest.fixture(scope="session")
def raw_current(server: Server) -> RawClient:
    """Raw signed requests to the main (current API) listener."""
    return RawClient(server.endpoint)


@pytest.fixture
def make_meeting(chime) -> Callable[..., dict]:
    """Creates a legacy meeting (unique token and external id unless given) and ends it
    afterwards."""
    created: list[tuple[Any, str]] = []

    def factory(client=None, **members: Any) -> dict:
        client = client or chime
        params = {"ClientRequestToken": unique("tok"), "ExternalMeetingId": unique("ext"), **members}
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
