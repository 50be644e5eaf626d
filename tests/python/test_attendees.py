"""CreateAttendee, BatchCreateAttendee, GetAttendee, ListAttendees, DeleteAttendee,
UpdateAttendeeCapabilities and BatchUpdateAttendeeCapabilitiesExcept through boto3."""

from __future__ import annotations

import concurrent.futures

import pytest

from carillon_support import assert_guid, assert_join_token, unique

SEND_RECEIVE = {"Audio": "SendReceive", "Video": "SendReceive", "Content": "SendReceive"}


def caps(audio, video, content):
    return {"Audio": audio, "Video": video, "Content": content}


def list_all_attendees(client, meeting_id, page_size=None):
    """Every attendee, page by page: the boto3 paginator if the model has one, else NextToken."""
    params = {"MeetingId": meeting_id}
    if page_size:
        params["MaxResults"] = page_size
    pages = []
    if client.can_paginate("list_attendees"):
        pages = [page for page in client.get_paginator("list_attendees").paginate(**params)]
    else:
        token = None
        while True:
            page = client.list_attendees(**params, **({"NextToken": token} if token else {}))
            pages.append(page)
            token = page.get("NextToken")
            if not token:
                break
    return pages


# --------------------------------------------------------------------------------------------
# CreateAttendee / GetAttendee / DeleteAttendee
# --------------------------------------------------------------------------------------------


def test_create_attendee(chime, meeting):
    user = unique("u")
    response = chime.create_attendee(MeetingId=meeting["MeetingId"], ExternalUserId=user)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["ResponseMetadata"]["RequestId"]
    attendee = response["Attendee"]
    assert attendee["ExternalUserId"] == user
    assert_guid(attendee["AttendeeId"])
    assert_join_token(attendee["JoinToken"], attendee["AttendeeId"])
    assert attendee["Capabilities"] == SEND_RECEIVE


def test_join_tokens_are_unique_and_well_formed(chime, meeting):
    attendees = chime.batch_create_attendee(
        MeetingId=meeting["MeetingId"],
        Attendees=[{"ExternalUserId": f"user-{i}"} for i in range(100)],
    )["Attendees"]
    assert len({a["JoinToken"] for a in attendees}) == 100
    assert len({a["AttendeeId"] for a in attendees}) == 100
    for a in attendees:
        assert_guid(a["AttendeeId"])
        assert_join_token(a["JoinToken"], a["AttendeeId"])


def test_get_attendee(chime, meeting):
    created = chime.create_attendee(
        MeetingId=meeting["MeetingId"],
        ExternalUserId=unique("u"),
        Capabilities=caps("Send", "Receive", "None"),
    )["Attendee"]
    response = chime.get_attendee(MeetingId=meeting["MeetingId"], AttendeeId=created["AttendeeId"])
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["Attendee"] == created
    assert created["Capabilities"] == caps("Send", "Receive", "None")


def test_ids_in_paths_are_case_insensitive(chime, meeting):
    created = chime.create_attendee(MeetingId=meeting["MeetingId"], ExternalUserId=unique("u"))["Attendee"]
    got = chime.get_attendee(
        MeetingId=meeting["MeetingId"].upper(), AttendeeId=created["AttendeeId"].upper()
    )["Attendee"]
    assert got == created


def test_unknown_attendee_is_not_found(chime, meeting):
    missing = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
    with pytest.raises(chime.exceptions.NotFoundException) as e:
        chime.get_attendee(MeetingId=meeting["MeetingId"], AttendeeId=missing)
    assert e.value.response["Error"]["Message"] == f"Attendee <{missing}> not found"
    with pytest.raises(chime.exceptions.NotFoundException):
        chime.delete_attendee(MeetingId=meeting["MeetingId"], AttendeeId=missing)
    with pytest.raises(chime.exceptions.NotFoundException):
        chime.update_attendee_capabilities(
            MeetingId=meeting["MeetingId"], AttendeeId=missing, Capabilities=SEND_RECEIVE
        )


def test_attendee_of_another_meeting_is_not_found(chime, make_meeting):
    a, b = make_meeting(), make_meeting()
    attendee = chime.create_attendee(MeetingId=a["MeetingId"], ExternalUserId=unique("u"))["Attendee"]
    with pytest.raises(chime.exceptions.NotFoundException):
        chime.get_attendee(MeetingId=b["MeetingId"], AttendeeId=attendee["AttendeeId"])


def test_delete_attendee(chime, meeting):
    meeting_id = meeting["MeetingId"]
    attendee = chime.create_attendee(MeetingId=meeting_id, ExternalUserId=unique("u"))["Attendee"]
    response = chime.delete_attendee(MeetingId=meeting_id, AttendeeId=attendee["AttendeeId"])
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert response["ResponseMetadata"]["RequestId"]
    with pytest.raises(chime.exceptions.NotFoundException):
        chime.get_attendee(MeetingId=meeting_id, AttendeeId=attendee["AttendeeId"])
    with pytest.raises(chime.exceptions.NotFoundException):
        chime.delete_attendee(MeetingId=meeting_id, AttendeeId=attendee["AttendeeId"])
    assert chime.list_attendees(MeetingId=meeting_id)["Attendees"] == []


@pytest.mark.parametrize(
    "user, fragment",
    [
        ("x", "ExternalUserId"),
        ("u" * 65, "ExternalUserId"),
        ("aws:reserved", "ExternalUserId"),
        ("Aws:reserved", "ExternalUserId"),
        ("semi;colon", "ExternalUserId"),
        ("emoji😀", "ExternalUserId"),
    ],
)
def test_create_attendee_validation(chime_unchecked, meeting, user, fragment):
    c = chime_unchecked
    with pytest.raises(c.exceptions.BadRequestException) as e:
        c.create_attendee(MeetingId=meeting["MeetingId"], ExternalUserId=user)
    assert fragment in e.value.response["Error"]["Message"]
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_capabilities_must_name_all_three_media(chime_unchecked, meeting):
    c = chime_unchecked
    with pytest.raises(c.exceptions.BadRequestException) as e:
        c.create_attendee(
            MeetingId=meeting["MeetingId"],
            ExternalUserId=unique("u"),
            Capabilities={"Audio": "SendReceive", "Video": "SendReceive"},
        )
    assert "Content" in e.value.response["Error"]["Message"]
    with pytest.raises(c.exceptions.BadRequestException) as e:
        c.create_attendee(
            MeetingId=meeting["MeetingId"],
            ExternalUserId=unique("u"),
            Capabilities=caps("SendReceive", "Loud", "None"),
        )
    assert "Video" in e.value.response["Error"]["Message"]


# --------------------------------------------------------------------------------------------
# Capabilities and meeting features
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        caps("SendReceive", "None", "Receive"),
        caps("SendReceive", "Send", "SendReceive"),
        caps("None", "None", "SendReceive"),
    ],
)
def test_content_receive_needs_video_receive(chime, meeting, bad):
    with pytest.raises(chime.exceptions.BadRequestException) as e:
        chime.create_attendee(MeetingId=meeting["MeetingId"], ExternalUserId=unique("u"), Capabilities=bad)
    assert "Content" in e.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    "good",
    [
        caps("None", "None", "None"),
        caps("Send", "Receive", "SendReceive"),
        caps("SendReceive", "SendReceive", "Send"),
        caps("Receive", "None", "Send"),
    ],
)
def test_allowed_capability_combinations(chime, meeting, good):
    attendee = chime.create_attendee(
        MeetingId=meeting["MeetingId"], ExternalUserId=unique("u"), Capabilities=good
    )["Attendee"]
    assert attendee["Capabilities"] == good


@pytest.mark.parametrize(
    "features, expected",
    [
        ({"Video": {"MaxResolution": "None"}}, caps("SendReceive", "Receive", "SendReceive")),
        (
            {"Video": {"MaxResolution": "None"}, "Content": {"MaxResolution": "None"}},
            caps("SendReceive", "None", "None"),
        ),
        ({"Content": {"MaxResolution": "None"}}, caps("SendReceive", "SendReceive", "None")),
        ({"Audio": {"EchoReduction": "AVAILABLE"}}, SEND_RECEIVE),
    ],
)
def test_default_capabilities_follow_meeting_features(chime, make_meeting, features, expected):
    meeting = make_meeting(MeetingFeatures=features)
    attendee = chime.create_attendee(MeetingId=meeting["MeetingId"], ExternalUserId=unique("u"))["Attendee"]
    assert attendee["Capabilities"] == expected


def test_capabilities_disabled_by_features_are_refused(chime, make_meeting):
    no_video = make_meeting(MeetingFeatures={"Video": {"MaxResolution": "None"}, "Content": {"MaxResolution": "None"}})
    with pytest.raises(chime.exceptions.BadRequestException) as e:
        chime.create_attendee(
            MeetingId=no_video["MeetingId"],
            ExternalUserId=unique("u"),
            Capabilities=caps("SendReceive", "Receive", "None"),
        )
    assert "Video" in e.value.response["Error"]["Message"]
    no_content = make_meeting(MeetingFeatures={"Content": {"MaxResolution": "None"}})
    with pytest.raises(chime.exceptions.BadRequestException) as e:
        chime.create_attendee(
            MeetingId=no_content["MeetingId"],
            ExternalUserId=unique("u"),
            Capabilities=caps("SendReceive", "SendReceive", "Send"),
        )
    assert "Content" in e.value.response["Error"]["Message"]


# --------------------------------------------------------------------------------------------
# Idempotency by ExternalUserId
# --------------------------------------------------------------------------------------------


def test_same_external_user_id_returns_the_same_attendee(chime, meeting):
    meeting_id = meeting["MeetingId"]
    user = unique("u")
    first = chime.create_attendee(MeetingId=meeting_id, ExternalUserId=user)["Attendee"]
    # New capabilities on a retry are ignored: the existing attendee comes back unchanged.
    second = chime.create_attendee(
        MeetingId=meeting_id, ExternalUserId=user, Capabilities=caps("None", "None", "None")
    )["Attendee"]
    assert second == first
    batch = chime.batch_create_attendee(
        MeetingId=meeting_id, Attendees=[{"ExternalUserId": user}, {"ExternalUserId": user}]
    )
    assert batch["Attendees"] == [first, first]
    assert batch["Errors"] == []
    assert len(chime.list_attendees(MeetingId=meeting_id)["Attendees"]) == 1


def test_after_delete_the_same_external_user_id_gets_a_new_attendee(chime, meeting):
    meeting_id = meeting["MeetingId"]
    user = unique("u")
    first = chime.create_attendee(MeetingId=meeting_id, ExternalUserId=user)["Attendee"]
    chime.delete_attendee(MeetingId=meeting_id, AttendeeId=first["AttendeeId"])
    second = chime.create_attendee(MeetingId=meeting_id, ExternalUserId=user)["Attendee"]
    assert second["AttendeeId"] != first["AttendeeId"]
    assert second["JoinToken"] != first["JoinToken"]


def test_external_user_ids_are_independent_across_meetings(chime, make_meeting):
    a, b = make_meeting(), make_meeting()
    user = unique("u")
    in_a = chime.create_attendee(MeetingId=a["MeetingId"], ExternalUserId=user)["Attendee"]
    in_b = chime.create_attendee(MeetingId=b["MeetingId"], ExternalUserId=user)["Attendee"]
    assert in_a["AttendeeId"] != in_b["AttendeeId"]


def test_concurrent_duplicates_create_one_attendee(chime, meeting):
    user = unique("u")
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(
            pool.map(
                lambda _: chime.create_attendee(MeetingId=meeting["MeetingId"], ExternalUserId=user)["Attendee"]["AttendeeId"],
                range(16),
            )
        )
    assert len(set(ids)) == 1


# --------------------------------------------------------------------------------------------
# BatchCreateAttendee
# --------------------------------------------------------------------------------------------


def test_batch_create_attendee(chime, meeting):
    users = [unique("u") for _ in range(5)]
    response = chime.batch_create_attendee(
        MeetingId=meeting["MeetingId"], Attendees=[{"ExternalUserId": u} for u in users]
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["ResponseMetadata"]["RequestId"]
    assert response["Errors"] == []
    assert [a["ExternalUserId"] for a in response["Attendees"]] == users
    for a in response["Attendees"]:
        assert_join_token(a["JoinToken"], a["AttendeeId"])
        assert a["Capabilities"] == SEND_RECEIVE


def test_batch_create_attendee_reports_bad_capabilities_per_item(chime, make_meeting):
    meeting = make_meeting(MeetingFeatures={"Video": {"MaxResolution": "None"}})
    response = chime.batch_create_attendee(
        MeetingId=meeting["MeetingId"],
        Attendees=[
            {"ExternalUserId": "ok-user"},
            {"ExternalUserId": "wants-video", "Capabilities": caps("SendReceive", "SendReceive", "None")},
            {"ExternalUserId": "ok-with-caps", "Capabilities": caps("SendReceive", "None", "Send")},
        ],
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert [a["ExternalUserId"] for a in response["Attendees"]] == ["ok-user", "ok-with-caps"]
    assert len(response["Errors"]) == 1
    error = response["Errors"][0]
    assert error["ExternalUserId"] == "wants-video"
    assert error["ErrorCode"] == "BadRequest"
    assert error["ErrorMessage"]


def test_batch_create_attendee_list_limits(chime_unchecked, meeting):
    c = chime_unchecked
    for attendees in ([], [{"ExternalUserId": f"user-{i}"} for i in range(101)]):
        with pytest.raises(c.exceptions.BadRequestException) as e:
            c.batch_create_attendee(MeetingId=meeting["MeetingId"], Attendees=attendees)
        assert "Attendees" in e.value.response["Error"]["Message"]


def test_batch_item_shape_error_rejects_the_whole_batch(chime_unchecked, chime, meeting):
    c = chime_unchecked
    with pytest.raises(c.exceptions.BadRequestException) as e:
        c.batch_create_attendee(
            MeetingId=meeting["MeetingId"],
            Attendees=[{"ExternalUserId": "good-user"}, {"ExternalUserId": "aws:nope"}],
        )
    assert "Attendees[1].ExternalUserId" in e.value.response["Error"]["Message"]
    assert chime.list_attendees(MeetingId=meeting["MeetingId"])["Attendees"] == []


# --------------------------------------------------------------------------------------------
# Attendee limits
# --------------------------------------------------------------------------------------------


def test_the_251st_attendee_is_refused(chime, meeting):
    meeting_id = meeting["MeetingId"]
    created = []
    for start in (0, 100, 200):
        count = 100 if start < 200 else 50
        response = chime.batch_create_attendee(
            MeetingId=meeting_id,
            Attendees=[{"ExternalUserId": f"user-{i}"} for i in range(start, start + count)],
        )
        assert response["Errors"] == []
        created.extend(response["Attendees"])
    assert len(created) == 250
    with pytest.raises(chime.exceptions.LimitExceededException) as e:
        chime.create_attendee(MeetingId=meeting_id, ExternalUserId="user-250")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert e.value.response["ResponseMetadata"]["RetryAttempts"] == 0
    assert e.value.response["Error"]["Message"]

    batch = chime.batch_create_attendee(MeetingId=meeting_id, Attendees=[{"ExternalUserId": "user-251"}])
    assert batch["Attendees"] == []
    assert [(e["ExternalUserId"], e["ErrorCode"]) for e in batch["Errors"]] == [("user-251", "LimitExceeded")]

    # An existing ExternalUserId still answers with its attendee at the cap.
    again = chime.create_attendee(MeetingId=meeting_id, ExternalUserId="user-7")["Attendee"]
    assert again["AttendeeId"] == created[7]["AttendeeId"]

    # A deleted attendee frees its slot.
    chime.delete_attendee(MeetingId=meeting_id, AttendeeId=created[0]["AttendeeId"])
    chime.create_attendee(MeetingId=meeting_id, ExternalUserId="user-250")
    with pytest.raises(chime.exceptions.LimitExceededException):
        chime.create_attendee(MeetingId=meeting_id, ExternalUserId="user-252")


def test_max_count_plus_one_is_refused(chime, make_meeting):
    meeting = make_meeting(MeetingFeatures={"Attendee": {"MaxCount": 3}})
    meeting_id = meeting["MeetingId"]
    first = chime.create_attendee(MeetingId=meeting_id, ExternalUserId="member-1")["Attendee"]
    batch = chime.batch_create_attendee(
        MeetingId=meeting_id,
        Attendees=[{"ExternalUserId": "member-2"}, {"ExternalUserId": "member-3"}, {"ExternalUserId": "member-4"}],
    )
    assert [a["ExternalUserId"] for a in batch["Attendees"]] == ["member-2", "member-3"]
    assert [(e["ExternalUserId"], e["ErrorCode"]) for e in batch["Errors"]] == [("member-4", "LimitExceeded")]
    with pytest.raises(chime.exceptions.LimitExceededException):
        chime.create_attendee(MeetingId=meeting_id, ExternalUserId="member-4")
    chime.delete_attendee(MeetingId=meeting_id, AttendeeId=first["AttendeeId"])
    chime.create_attendee(MeetingId=meeting_id, ExternalUserId="member-4")


def test_concurrent_creation_never_exceeds_the_cap(chime, make_meeting):
    meeting = make_meeting(MeetingFeatures={"Attendee": {"MaxCount": 5}})

    def attempt(i):
        try:
            chime.create_attendee(MeetingId=meeting["MeetingId"], ExternalUserId=f"racer-{i}")
            return "ok"
        except chime.exceptions.LimitExceededException:
            return "limit"

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(12)))
    assert outcomes.count("ok") == 5, outcomes
    assert outcomes.count("limit") == 7
    assert len(chime.list_attendees(MeetingId=meeting["MeetingId"])["Attendees"]) == 5


# --------------------------------------------------------------------------------------------
# ListAttendees
# --------------------------------------------------------------------------------------------


def test_list_attendees_pagination(chime, meeting):
    meeting_id = meeting["MeetingId"]
    created = chime.batch_create_attendee(
        MeetingId=meeting_id, Attendees=[{"ExternalUserId": f"pager-{i}"} for i in range(7)]
    )["Attendees"]
    pages = list_all_attendees(chime, meeting_id, page_size=3)
    assert [len(p["Attendees"]) for p in pages] == [3, 3, 1]
    assert "NextToken" not in pages[-1]
    listed = [a for p in pages for a in p["Attendees"]]
    # Creation order, each attendee once, complete records.
    assert listed == created
    for page in pages:
        assert page["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_list_attendees_default_page_size_is_100(chime, meeting):
    meeting_id = meeting["MeetingId"]
    for start in (0, 100):
        chime.batch_create_attendee(
            MeetingId=meeting_id,
            Attendees=[{"ExternalUserId": f"many-{i}"} for i in range(start, start + (100 if start == 0 else 30))],
        )
    first = chime.list_attendees(MeetingId=meeting_id)
    assert len(first["Attendees"]) == 100
    assert first["NextToken"]
    second = chime.list_attendees(MeetingId=meeting_id, NextToken=first["NextToken"])
    assert len(second["Attendees"]) == 30
    assert "NextToken" not in second
    ids = [a["AttendeeId"] for a in first["Attendees"] + second["Attendees"]]
    assert len(set(ids)) == 130


def test_list_attendees_skips_deleted_and_sees_new_at_the_end(chime, meeting):
    meeting_id = meeting["MeetingId"]
    created = chime.batch_create_attendee(
        MeetingId=meeting_id, Attendees=[{"ExternalUserId": f"walker-{i}"} for i in range(4)]
    )["Attendees"]
    first = chime.list_attendees(MeetingId=meeting_id, MaxResults=2)
    assert [a["AttendeeId"] for a in first["Attendees"]] == [a["AttendeeId"] for a in created[:2]]
    chime.delete_attendee(MeetingId=meeting_id, AttendeeId=created[2]["AttendeeId"])
    late = chime.create_attendee(MeetingId=meeting_id, ExternalUserId="walker-late")["Attendee"]
    rest = []
    token = first["NextToken"]
    while token:
        page = chime.list_attendees(MeetingId=meeting_id, MaxResults=2, NextToken=token)
        rest.extend(page["Attendees"])
        token = page.get("NextToken")
    assert [a["AttendeeId"] for a in rest] == [created[3]["AttendeeId"], late["AttendeeId"]]


def test_list_attendees_of_an_empty_meeting(chime, meeting):
    response = chime.list_attendees(MeetingId=meeting["MeetingId"])
    assert response["Attendees"] == []
    assert "NextToken" not in response


def test_list_attendees_refuses_foreign_or_bad_tokens(chime, make_meeting):
    a, b = make_meeting(), make_meeting()
    for m in (a, b):
        chime.batch_create_attendee(MeetingId=m["MeetingId"], Attendees=[{"ExternalUserId": f"tok-{i}"} for i in range(3)])
    token = chime.list_attendees(MeetingId=a["MeetingId"], MaxResults=1)["NextToken"]
    with pytest.raises(chime.exceptions.BadRequestException) as e:
        chime.list_attendees(MeetingId=b["MeetingId"], NextToken=token)
    assert "NextToken" in e.value.response["Error"]["Message"]
    with pytest.raises(chime.exceptions.BadRequestException):
        chime.list_attendees(MeetingId=a["MeetingId"], NextToken="not-a-real-token")


@pytest.mark.parametrize("max_results", [0, 101, -1])
def test_list_attendees_max_results_range(chime_unchecked, meeting, max_results):
    c = chime_unchecked
    with pytest.raises(c.exceptions.BadRequestException) as e:
        c.list_attendees(MeetingId=meeting["MeetingId"], MaxResults=max_results)
    assert "MaxResults" in e.value.response["Error"]["Message"]


# --------------------------------------------------------------------------------------------
# UpdateAttendeeCapabilities / BatchUpdateAttendeeCapabilitiesExcept
# --------------------------------------------------------------------------------------------


def test_update_attendee_capabilities(chime, meeting):
    meeting_id = meeting["MeetingId"]
    attendee = chime.create_attendee(MeetingId=meeting_id, ExternalUserId=unique("u"))["Attendee"]
    new_caps = caps("Receive", "None", "None")
    response = chime.update_attendee_capabilities(
        MeetingId=meeting_id, AttendeeId=attendee["AttendeeId"], Capabilities=new_caps
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["ResponseMetadata"]["RequestId"]
    updated = response["Attendee"]
    assert updated["Capabilities"] == new_caps
    assert {k: v for k, v in updated.items() if k != "Capabilities"} == {
        k: v for k, v in attendee.items() if k != "Capabilities"
    }
    assert chime.get_attendee(MeetingId=meeting_id, AttendeeId=attendee["AttendeeId"])["Attendee"] == updated


def test_update_attendee_capabilities_checks_the_rules(chime, make_meeting):
    meeting = make_meeting(MeetingFeatures={"Video": {"MaxResolution": "None"}})
    meeting_id = meeting["MeetingId"]
    attendee = chime.create_attendee(
        MeetingId=meeting_id, ExternalUserId=unique("u"), Capabilities=caps("SendReceive", "None", "Send")
    )["Attendee"]
    for bad in (caps("SendReceive", "Receive", "None"), caps("SendReceive", "None", "Receive")):
        with pytest.raises(chime.exceptions.BadRequestException):
            chime.update_attendee_capabilities(
                MeetingId=meeting_id, AttendeeId=attendee["AttendeeId"], Capabilities=bad
            )
    unchanged = chime.get_attendee(MeetingId=meeting_id, AttendeeId=attendee["AttendeeId"])["Attendee"]
    assert unchanged["Capabilities"] == caps("SendReceive", "None", "Send")


def test_update_attendee_capabilities_requires_capabilities(chime_unchecked, meeting, chime):
    attendee = chime.create_attendee(MeetingId=meeting["MeetingId"], ExternalUserId=unique("u"))["Attendee"]
    c = chime_unchecked
    with pytest.raises(c.exceptions.BadRequestException) as e:
        c.update_attendee_capabilities(MeetingId=meeting["MeetingId"], AttendeeId=attendee["AttendeeId"])
    assert "Capabilities" in e.value.response["Error"]["Message"]


def test_batch_update_attendee_capabilities_except(chime, meeting):
    meeting_id = meeting["MeetingId"]
    attendees = chime.batch_create_attendee(
        MeetingId=meeting_id, Attendees=[{"ExternalUserId": f"crowd-{i}"} for i in range(4)]
    )["Attendees"]
    excluded = attendees[1]["AttendeeId"]
    new_caps = caps("Receive", "Receive", "None")
    response = chime.batch_update_attendee_capabilities_except(
        MeetingId=meeting_id,
        ExcludedAttendeeIds=[{"AttendeeId": excluded}],
        Capabilities=new_caps,
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["ResponseMetadata"]["RequestId"]
    assert set(response) == {"ResponseMetadata"}
    for a in chime.list_attendees(MeetingId=meeting_id)["Attendees"]:
        expected = SEND_RECEIVE if a["AttendeeId"] == excluded else new_caps
        assert a["Capabilities"] == expected, a["ExternalUserId"]


def test_batch_update_except_validation(chime_unchecked, chime, meeting):
    c = chime_unchecked
    meeting_id = meeting["MeetingId"]
    with pytest.raises(c.exceptions.BadRequestException) as e:
        c.batch_update_attendee_capabilities_except(
            MeetingId=meeting_id, ExcludedAttendeeIds=[], Capabilities=SEND_RECEIVE
        )
    assert "ExcludedAttendeeIds" in e.value.response["Error"]["Message"]
    with pytest.raises(c.exceptions.BadRequestException) as e:
        c.batch_update_attendee_capabilities_except(
            MeetingId=meeting_id, ExcludedAttendeeIds=[{"AttendeeId": "nope"}], Capabilities=SEND_RECEIVE
        )
    assert "AttendeeId" in e.value.response["Error"]["Message"]
    with pytest.raises(chime.exceptions.BadRequestException):
        chime.batch_update_attendee_capabilities_except(
            MeetingId=meeting_id,
            ExcludedAttendeeIds=[{"AttendeeId": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"}],
            Capabilities=caps("None", "None", "Receive"),
        )
    with pytest.raises(chime.exceptions.NotFoundException):
        chime.batch_update_attendee_capabilities_except(
            MeetingId="aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
            ExcludedAttendeeIds=[{"AttendeeId": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"}],
            Capabilities=SEND_RECEIVE,
        )


def test_batch_with_duplicates_at_the_cap(chime, make_meeting):
    meeting = make_meeting(MeetingFeatures={"Attendee": {"MaxCount": 2}})
    response = chime.batch_create_attendee(
        MeetingId=meeting["MeetingId"],
        Attendees=[
            {"ExternalUserId": "dup-user"},
            {"ExternalUserId": "dup-user"},
            {"ExternalUserId": "next-user"},
            {"ExternalUserId": "over-user"},
        ],
    )
    attendees = response["Attendees"]
    assert [a["ExternalUserId"] for a in attendees] == ["dup-user", "dup-user", "next-user"]
    assert attendees[0] == attendees[1]
    assert [(e["ExternalUserId"], e["ErrorCode"]) for e in response["Errors"]] == [("over-user", "LimitExceeded")]


def test_create_meeting_with_duplicate_attendees(chime):
    response = chime.create_meeting_with_attendees(
        ClientRequestToken=unique("tok"),
        MediaRegion="us-east-1",
        ExternalMeetingId=unique("ext"),
        Attendees=[{"ExternalUserId": "twin-user"}, {"ExternalUserId": "twin-user"}],
    )
    first, second = response["Attendees"]
    assert first == second
    assert response["Errors"] == []
    meeting_id = response["Meeting"]["MeetingId"]
    assert len(chime.list_attendees(MeetingId=meeting_id)["Attendees"]) == 1
    chime.delete_meeting(MeetingId=meeting_id)


def test_attendee_operations_on_an_ended_meeting(chime, make_meeting):
    meeting = make_meeting()
    meeting_id = meeting["MeetingId"]
    attendee = chime.create_attendee(MeetingId=meeting_id, ExternalUserId=unique("u"))["Attendee"]
    chime.delete_meeting(MeetingId=meeting_id)
    caps = SEND_RECEIVE
    for call in (
        lambda: chime.update_attendee_capabilities(MeetingId=meeting_id, AttendeeId=attendee["AttendeeId"], Capabilities=caps),
        lambda: chime.batch_update_attendee_capabilities_except(
            MeetingId=meeting_id, ExcludedAttendeeIds=[{"AttendeeId": attendee["AttendeeId"]}], Capabilities=caps
        ),
        lambda: chime.delete_attendee(MeetingId=meeting_id, AttendeeId=attendee["AttendeeId"]),
        lambda: chime.batch_create_attendee(MeetingId=meeting_id, Attendees=[{"ExternalUserId": "late-user"}]),
    ):
        with pytest.raises(chime.exceptions.NotFoundException) as e:
            call()
        assert e.value.response["Error"]["Message"] == f"Meeting <{meeting_id}> not found"


def test_batch_update_except_accepts_250_exclusions(chime_unchecked, chime, meeting):
    attendee = chime.create_attendee(MeetingId=meeting["MeetingId"], ExternalUserId=unique("u"))["Attendee"]
    ids = [{"AttendeeId": f"00000000-0000-4000-8000-{i:012x}"} for i in range(250)]
    chime.batch_update_attendee_capabilities_except(
        MeetingId=meeting["MeetingId"], ExcludedAttendeeIds=ids, Capabilities=caps("Receive", "Receive", "Receive")
    )
    got = chime.get_attendee(MeetingId=meeting["MeetingId"], AttendeeId=attendee["AttendeeId"])["Attendee"]
    assert got["Capabilities"] == caps("Receive", "Receive", "Receive")
    with pytest.raises(chime_unchecked.exceptions.BadRequestException) as e:
        chime_unchecked.batch_update_attendee_capabilities_except(
            MeetingId=meeting["MeetingId"],
            ExcludedAttendeeIds=ids + [{"AttendeeId": attendee["AttendeeId"]}],
            Capabilities=SEND_RECEIVE,
        )
    assert "ExcludedAttendeeIds" in e.value.response["Error"]["Message"]


def test_list_attendees_with_max_results_100(chime, meeting):
    chime.batch_create_attendee(
        MeetingId=meeting["MeetingId"], Attendees=[{"ExternalUserId": f"hundred-{i}"} for i in range(100)]
    )
    page = chime.list_attendees(MeetingId=meeting["MeetingId"], MaxResults=100)
    assert len(page["Attendees"]) == 100
    if "NextToken" in page:
        # A token after the last attendee leads to an empty last page.
        rest = chime.list_attendees(MeetingId=meeting["MeetingId"], NextToken=page["NextToken"])
        assert rest["Attendees"] == []
        assert "NextToken" not in rest
