"""ListMeetings (legacy only): the caller's active legacy meetings, paged with MaxResults and
NextToken. A server of its own, so each account's meetings are exactly those made here."""

from __future__ import annotations

import pytest

from legacy_support import (
    EXAMPLE,
    SECOND,
    assert_client_error,
    assert_legacy_meeting,
    current_client,
    legacy_client,
    start_server,
    unique,
)


@pytest.fixture(scope="module")
def own_server():
    try:
        srv = start_server(credentials=[EXAMPLE, SECOND])
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    yield srv
    srv.stop()
    srv.discard_log()


@pytest.fixture(scope="module")
def first(own_server):
    return legacy_client(own_server.legacy_endpoint)


@pytest.fixture(scope="module")
def second(own_server):
    return legacy_client(own_server.legacy_endpoint, account=SECOND)


@pytest.fixture(autouse=True)
def no_active_meetings(first, second):
    """Each test starts and ends with no active legacy meeting in either account."""
    for client in (first, second):
        for meeting in list_all(client):
            client.delete_meeting(MeetingId=meeting["MeetingId"])
    yield
    for client in (first, second):
        for meeting in list_all(client):
            client.delete_meeting(MeetingId=meeting["MeetingId"])


def list_all(client, page_size: int | None = None) -> list[dict]:
    meetings, token, pages = [], None, 0
    while True:
        kwargs = {}
        if page_size is not None:
            kwargs["MaxResults"] = page_size
        if token:
            kwargs["NextToken"] = token
        page = client.list_meetings(**kwargs)
        assert page["ResponseMetadata"]["HTTPStatusCode"] == 200
        meetings.extend(page["Meetings"])
        token = page.get("NextToken")
        pages += 1
        assert pages < 500, "pagination does not end"
        if not token:
            return meetings


def test_no_meetings_lists_nothing(first):
    page = first.list_meetings()
    assert page["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert page["Meetings"] == []
    assert "NextToken" not in page


def test_lists_the_callers_active_meetings(first):
    created = [first.create_meeting(ExternalMeetingId=unique("ext"))["Meeting"] for _ in range(3)]
    listed = first.list_meetings()["Meetings"]
    assert sorted(m["MeetingId"] for m in listed) == sorted(m["MeetingId"] for m in created)
    by_id = {m["MeetingId"]: m for m in listed}
    for meeting in created:
        assert_legacy_meeting(by_id[meeting["MeetingId"]])
        assert by_id[meeting["MeetingId"]] == meeting


def test_deleted_meetings_are_not_listed(first):
    keep = first.create_meeting()["Meeting"]["MeetingId"]
    gone = first.create_meeting()["Meeting"]["MeetingId"]
    first.delete_meeting(MeetingId=gone)
    assert [m["MeetingId"] for m in list_all(first)] == [keep]


def test_pagination_with_max_results(first):
    created = {first.create_meeting()["Meeting"]["MeetingId"] for _ in range(5)}
    sizes, token, listed = [], None, []
    while True:
        kwargs = {"MaxResults": 2}
        if token:
            kwargs["NextToken"] = token
        page = first.list_meetings(**kwargs)
        sizes.append(len(page["Meetings"]))
        listed.extend(m["MeetingId"] for m in page["Meetings"])
        token = page.get("NextToken")
        if not token:
            break
        assert len(sizes) < 10
    assert sizes == [2, 2, 1]
    assert len(listed) == len(set(listed)) == 5
    assert set(listed) == created


def test_meetings_created_while_paging_are_listed_once(first):
    before = {first.create_meeting()["Meeting"]["MeetingId"] for _ in range(3)}
    page = first.list_meetings(MaxResults=2)
    listed = [m["MeetingId"] for m in page["Meetings"]]
    added = first.create_meeting()["Meeting"]["MeetingId"]
    token = page["NextToken"]
    while token:
        page = first.list_meetings(MaxResults=2, NextToken=token)
        listed.extend(m["MeetingId"] for m in page["Meetings"])
        token = page.get("NextToken")
    assert len(listed) == len(set(listed))
    assert set(listed) == before | {added}


def test_default_page_is_at_most_100(first):
    created = {first.create_meeting()["Meeting"]["MeetingId"] for _ in range(101)}
    page = first.list_meetings()
    assert len(page["Meetings"]) == 100
    assert page.get("NextToken")
    rest = first.list_meetings(NextToken=page["NextToken"])
    assert len(rest["Meetings"]) == 1
    assert "NextToken" not in rest
    assert {m["MeetingId"] for m in page["Meetings"] + rest["Meetings"]} == created


def test_max_results_99_is_accepted(first):
    first.create_meeting()
    assert len(first.list_meetings(MaxResults=99)["Meetings"]) == 1


@pytest.mark.parametrize("max_results", [0, 100])
def test_max_results_range(own_server, max_results):
    unchecked = legacy_client(own_server.legacy_endpoint, validate=False)
    with pytest.raises(unchecked.exceptions.BadRequestException) as e:
        unchecked.list_meetings(MaxResults=max_results)
    assert_client_error(e, "BadRequestException", 400, "BadRequest")


def test_bad_next_token_is_bad_request(first):
    with pytest.raises(first.exceptions.BadRequestException) as e:
        first.list_meetings(NextToken="not-a-token")
    assert_client_error(e, "BadRequestException", 400, "BadRequest")


def test_accounts_see_only_their_own_meetings(first, second):
    mine = {first.create_meeting()["Meeting"]["MeetingId"] for _ in range(3)}
    assert list_all(second) == []
    theirs = second.create_meeting()["Meeting"]["MeetingId"]
    assert [m["MeetingId"] for m in list_all(second)] == [theirs]
    assert {m["MeetingId"] for m in list_all(first)} == mine
    # Paging through the first account's meetings never reaches the second's.
    assert {m["MeetingId"] for m in list_all(first, page_size=1)} == mine


def test_meetings_of_the_current_api_are_not_listed(own_server, first):
    current = current_client(own_server.endpoint)
    other = current.create_meeting(
        ClientRequestToken=unique("tok"), MediaRegion="us-east-1", ExternalMeetingId=unique("ext")
    )["Meeting"]["MeetingId"]
    try:
        legacy = first.create_meeting()["Meeting"]["MeetingId"]
        assert [m["MeetingId"] for m in list_all(first)] == [legacy]
    finally:
        current.delete_meeting(MeetingId=other)
