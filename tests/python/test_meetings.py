"""CreateMeeting, CreateMeetingWithAttendees, GetMeeting, DeleteMeeting through boto3: response
shapes, features, idempotency by ClientRequestToken, replicas and validation."""

from __future__ import annotations

import concurrent.futures

import pytest

from carillon_support import (
    EXAMPLE,
    SECOND,
    assert_guid,
    assert_join_token,
    make_client,
    meeting_arn,
    unique,
)

SEND_RECEIVE = {"Audio": "SendReceive", "Video": "SendReceive", "Content": "SendReceive"}


def create_params(**overrides):
    return {
        "ClientRequestToken": unique("tok"),
        "MediaRegion": "us-east-1",
        "ExternalMeetingId": unique("ext"),
        **overrides,
    }


def assert_meeting_shape(meeting: dict, server, region: str = "us-east-1", account=EXAMPLE) -> None:
    meeting_id = meeting["MeetingId"]
    assert_guid(meeting_id)
    assert meeting["MeetingArn"] == meeting_arn(meeting_id, account, region)
    placement = meeting["MediaPlacement"]
    assert placement["AudioHostUrl"]
    signaling = placement["SignalingUrl"]
    assert signaling == f"ws://{server.host_port}/control/{meeting_id}"
    assert "?" not in signaling
    for member in ("AudioFallbackUrl", "TurnControlUrl", "ScreenDataUrl", "ScreenViewingUrl",
                   "ScreenSharingUrl", "EventIngestionUrl"):
        assert placement.get(member), member


# --------------------------------------------------------------------------------------------
# CreateMeeting / GetMeeting / DeleteMeeting
# --------------------------------------------------------------------------------------------


def test_create_meeting_returns_a_complete_meeting(chime, server):
    params = create_params(MeetingHostId="host-1")
    response = chime.create_meeting(**params)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["ResponseMetadata"]["RequestId"]
    meeting = response["Meeting"]
    assert_meeting_shape(meeting, server)
    assert meeting["ExternalMeetingId"] == params["ExternalMeetingId"]
    assert meeting["MediaRegion"] == "us-east-1"
    assert meeting["MeetingHostId"] == "host-1"
    assert "PrimaryMeetingId" not in meeting
    # An empty list, not an absent member: app code reads Meeting.TenantIds unguarded.
    assert meeting["TenantIds"] == []
    chime.delete_meeting(MeetingId=meeting["MeetingId"])


def test_get_meeting_returns_the_same_meeting(chime, meeting, server):
    response = chime.get_meeting(MeetingId=meeting["MeetingId"])
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["ResponseMetadata"]["RequestId"]
    assert response["Meeting"] == meeting


def test_meeting_ids_are_distinct(make_meeting):
    ids = {make_meeting()["MeetingId"] for _ in range(5)}
    assert len(ids) == 5


def test_delete_meeting_is_204_and_ends_the_meeting(chime, make_meeting):
    meeting = make_meeting()
    meeting_id = meeting["MeetingId"]
    attendee = chime.create_attendee(MeetingId=meeting_id, ExternalUserId=unique("u"))["Attendee"]
    response = chime.delete_meeting(MeetingId=meeting_id)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert response["ResponseMetadata"]["RequestId"]

    expected = f"Meeting <{meeting_id}> not found"
    with pytest.raises(chime.exceptions.NotFoundException) as e:
        chime.get_meeting(MeetingId=meeting_id)
    assert e.value.response["Error"]["Message"] == expected
    assert e.value.response["Error"]["Code"] == "NotFoundException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert e.value.response["ResponseMetadata"]["RequestId"]

    with pytest.raises(chime.exceptions.NotFoundException) as e:
        chime.create_attendee(MeetingId=meeting_id, ExternalUserId=unique("u"))
    assert e.value.response["Error"]["Message"] == expected
    with pytest.raises(chime.exceptions.NotFoundException):
        chime.get_attendee(MeetingId=meeting_id, AttendeeId=attendee["AttendeeId"])
    with pytest.raises(chime.exceptions.NotFoundException):
        chime.list_attendees(MeetingId=meeting_id)
    with pytest.raises(chime.exceptions.NotFoundException):
        chime.delete_meeting(MeetingId=meeting_id)


def test_unknown_meeting_is_not_found_with_the_aws_message(chime):
    missing = "11111111-2222-4333-8444-555555555555"
    for call in (
        lambda: chime.get_meeting(MeetingId=missing),
        lambda: chime.delete_meeting(MeetingId=missing),
        lambda: chime.create_attendee(MeetingId=missing, ExternalUserId="someone"),
        lambda: chime.batch_create_attendee(MeetingId=missing, Attendees=[{"ExternalUserId": "ab"}]),
        lambda: chime.list_attendees(MeetingId=missing),
    ):
        with pytest.raises(chime.exceptions.NotFoundException) as e:
            call()
        assert e.value.response["Error"]["Message"] == f"Meeting <{missing}> not found"
        # botocore re-reads the modeled members of the exception from the body.
        assert e.value.response.get("Code") == "NotFound"
        assert e.value.response.get("RequestId") == e.value.response["ResponseMetadata"]["RequestId"]


def test_meeting_id_in_the_path_must_be_a_guid(chime_unchecked):
    c = chime_unchecked
    with pytest.raises(c.exceptions.BadRequestException) as e:
        c.get_meeting(MeetingId="not-a-meeting-id")
    assert "MeetingId" in e.value.response["Error"]["Message"]


def test_create_meeting_echoes_features_and_tenant_ids(make_meeting, chime):
    features = {
        "Audio": {"EchoReduction": "AVAILABLE"},
        "Video": {"MaxResolution": "HD"},
        "Content": {"MaxResolution": "FHD"},
        "Attendee": {"MaxCount": 100},
    }
    meeting = make_meeting(MeetingFeatures=features, TenantIds=["tenant-a", "tenant_b"])
    assert meeting["MeetingFeatures"] == features
    assert meeting["TenantIds"] == ["tenant-a", "tenant_b"]
    again = chime.get_meeting(MeetingId=meeting["MeetingId"])["Meeting"]
    assert again["MeetingFeatures"] == features
    assert again["TenantIds"] == ["tenant-a", "tenant_b"]


def test_create_meeting_accepts_notifications_and_network_type(make_meeting):
    meeting = make_meeting(
        NotificationsConfiguration={
            "SnsTopicArn": "arn:aws:sns:us-east-1:123456789012:topic",
            "SqsQueueArn": "arn:aws:sqs:us-east-1:123456789012:queue",
            "LambdaFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:f",
        },
        MediaPlacementNetworkType="DualStack",
    )
    assert_guid(meeting["MeetingId"])
    assert "NotificationsConfiguration" not in meeting


@pytest.mark.parametrize("region", ["eu-west-2", "ap-southeast-1", "us-gov-west-1"])
def test_media_region_is_echoed(make_meeting, region):
    assert make_meeting(MediaRegion=region)["MediaRegion"] == region


def test_unknown_media_region_is_bad_request(chime):
    with pytest.raises(chime.exceptions.BadRequestException) as e:
        chime.create_meeting(**create_params(MediaRegion="mars-north-1"))
    assert "MediaRegion" in e.value.response["Error"]["Message"]


def test_arn_names_the_signing_region(endpoint, server):
    eu = make_client(endpoint, region="eu-west-2")
    meeting = eu.create_meeting(**create_params(MediaRegion="us-east-1"))["Meeting"]
    try:
        assert_meeting_shape(meeting, server, region="eu-west-2")
        assert meeting["MediaRegion"] == "us-east-1"
    finally:
        eu.delete_meeting(MeetingId=meeting["MeetingId"])


def test_second_account_arn(chime2, make_meeting, server):
    meeting = make_meeting(client=chime2)
    assert_meeting_shape(meeting, server, account=SECOND)


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides, member",
    [
        ({"ExternalMeetingId": "x"}, "ExternalMeetingId"),
        ({"ExternalMeetingId": "y" * 65}, "ExternalMeetingId"),
        ({"ExternalMeetingId": "aws:reserved"}, "ExternalMeetingId"),
        ({"ExternalMeetingId": "AWS:reserved"}, "ExternalMeetingId"),
        ({"ExternalMeetingId": "star*not*allowed"}, "ExternalMeetingId"),
        ({"ClientRequestToken": "has spaces"}, "ClientRequestToken"),
        ({"ClientRequestToken": "t"}, "ClientRequestToken"),
        ({"MeetingHostId": "h"}, "MeetingHostId"),
        ({"MediaRegion": "u"}, "MediaRegion"),
        ({"TenantIds": []}, "TenantIds"),
        ({"TenantIds": ["aaaa-tenant"]}, "TenantIds"),
        ({"TenantIds": ["a", "bb"]}, "TenantIds"),
        ({"TenantIds": ["t1", "t2", "t3", "t4", "t5", "t6"]}, "TenantIds"),
        ({"MeetingFeatures": {"Video": {"MaxResolution": "8K"}}}, "MaxResolution"),
        ({"MeetingFeatures": {"Attendee": {"MaxCount": 0}}}, "MaxCount"),
        ({"MeetingFeatures": {"Attendee": {"MaxCount": 251}}}, "MaxCount"),
        ({"MediaPlacementNetworkType": "Carrier"}, "MediaPlacementNetworkType"),
        ({"NotificationsConfiguration": {"SnsTopicArn": "not an arn"}}, "SnsTopicArn"),
        ({"Tags": [{"Key": "bad key!", "Value": "v"}]}, "Key"),
        ({"Tags": [{"Key": f"k{i}", "Value": "v"} for i in range(51)]}, "Tags"),
    ],
)
def test_create_meeting_validation(chime_unchecked, overrides, member):
    c = chime_unchecked
    with pytest.raises(c.exceptions.BadRequestException) as e:
        c.create_meeting(**create_params(**overrides))
    message = e.value.response["Error"]["Message"]
    assert member in message
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_validation_messages_do_not_echo_sensitive_values(chime_unchecked):
    c = chime_unchecked
    secret = "aws:do-not-echo-this-value"
    with pytest.raises(c.exceptions.BadRequestException) as e:
        c.create_meeting(**create_params(ExternalMeetingId=secret))
    assert "do-not-echo" not in e.value.response["Error"]["Message"]


def test_missing_required_members_are_bad_request(chime_unchecked):
    c = chime_unchecked
    for missing in ("MediaRegion", "ExternalMeetingId"):
        params = create_params()
        del params[missing]
        with pytest.raises(c.exceptions.BadRequestException) as e:
            c.create_meeting(**params)
        assert missing in e.value.response["Error"]["Message"]


@pytest.mark.parametrize("external_id", ["Zoë Müller", "737c4f63#sugiy", "a b", "[x]{y}(z)", "«q»", "awsx"])
def test_documented_external_id_characters_are_accepted(make_meeting, external_id):
    assert make_meeting(ExternalMeetingId=external_id)["ExternalMeetingId"] == external_id


@pytest.mark.parametrize(
    "features",
    [
        {"Video": {"MaxResolution": "FHD"}},
        {"Content": {"MaxResolution": "UHD"}},
        {"Video": {"MaxResolution": "FHD"}, "Attendee": {"MaxCount": 26}},
        {"Content": {"MaxResolution": "UHD"}, "Attendee": {"MaxCount": 250}},
    ],
)
def test_high_definition_needs_max_count_of_at_most_25(chime, features):
    with pytest.raises(chime.exceptions.BadRequestException) as e:
        chime.create_meeting(**create_params(MeetingFeatures=features))
    assert "MaxCount" in e.value.response["Error"]["Message"]


def test_high_definition_with_max_count_25(make_meeting):
    features = {
        "Video": {"MaxResolution": "FHD"},
        "Content": {"MaxResolution": "UHD"},
        "Attendee": {"MaxCount": 25},
    }
    assert make_meeting(MeetingFeatures=features)["MeetingFeatures"] == features


# --------------------------------------------------------------------------------------------
# ClientRequestToken idempotency
# --------------------------------------------------------------------------------------------


def test_same_token_returns_the_original_meeting(chime, make_meeting):
    token = unique("tok")
    first = make_meeting(ClientRequestToken=token, ExternalMeetingId="first-ext")
    second = chime.create_meeting(
        ClientRequestToken=token, MediaRegion="eu-west-2", ExternalMeetingId="second-ext"
    )["Meeting"]
    assert second == first


def test_same_token_with_a_primary_meeting_id_returns_the_original(chime, make_meeting):
    # A replica request that reuses the primary's token gets the primary back: a reused
    # ClientRequestToken returns the original meeting whatever else the request says.
    token = unique("tok")
    primary = make_meeting(ClientRequestToken=token)
    for primary_id in (primary["MeetingId"], "11111111-2222-4333-8444-555555555555"):
        again = chime.create_meeting(**create_params(ClientRequestToken=token, PrimaryMeetingId=primary_id))["Meeting"]
        assert again == primary


def test_same_token_after_the_meeting_ended_returns_the_ended_meeting(chime):
    token = unique("tok")
    first = chime.create_meeting(**create_params(ClientRequestToken=token))["Meeting"]
    chime.delete_meeting(MeetingId=first["MeetingId"])
    again = chime.create_meeting(**create_params(ClientRequestToken=token))["Meeting"]
    assert again["MeetingId"] == first["MeetingId"]
    with pytest.raises(chime.exceptions.NotFoundException):
        chime.get_meeting(MeetingId=first["MeetingId"])


def test_boto3_fills_in_a_token_when_omitted(chime):
    a = chime.create_meeting(MediaRegion="us-east-1", ExternalMeetingId="same-ext")["Meeting"]
    b = chime.create_meeting(MediaRegion="us-east-1", ExternalMeetingId="same-ext")["Meeting"]
    assert a["MeetingId"] != b["MeetingId"]
    for m in (a, b):
        chime.delete_meeting(MeetingId=m["MeetingId"])


def test_concurrent_duplicates_create_one_meeting(chime):
    token = unique("tok")
    params = create_params(ClientRequestToken=token)
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: chime.create_meeting(**params)["Meeting"]["MeetingId"], range(16)))
    assert len(set(results)) == 1, results
    chime.delete_meeting(MeetingId=results[0])


def test_tokens_are_scoped_per_account(chime, chime2):
    token = unique("tok")
    a = chime.create_meeting(**create_params(ClientRequestToken=token))["Meeting"]
    b = chime2.create_meeting(**create_params(ClientRequestToken=token))["Meeting"]
    assert a["MeetingId"] != b["MeetingId"]
    assert b["MeetingArn"] == meeting_arn(b["MeetingId"], SECOND)
    chime.delete_meeting(MeetingId=a["MeetingId"])
    chime2.delete_meeting(MeetingId=b["MeetingId"])


# --------------------------------------------------------------------------------------------
# CreateMeetingWithAttendees
# --------------------------------------------------------------------------------------------


def test_create_meeting_with_attendees(chime, server):
    users = [unique("u") for _ in range(3)]
    response = chime.create_meeting_with_attendees(
        **create_params(Attendees=[{"ExternalUserId": u} for u in users])
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["ResponseMetadata"]["RequestId"]
    meeting = response["Meeting"]
    assert_meeting_shape(meeting, server)
    assert meeting["TenantIds"] == []
    assert response["Errors"] == []
    attendees = response["Attendees"]
    assert [a["ExternalUserId"] for a in attendees] == users
    for attendee in attendees:
        assert_guid(attendee["AttendeeId"])
        assert_join_token(attendee["JoinToken"], attendee["AttendeeId"])
        assert attendee["Capabilities"] == SEND_RECEIVE
    listed = chime.list_attendees(MeetingId=meeting["MeetingId"])["Attendees"]
    assert sorted(a["AttendeeId"] for a in listed) == sorted(a["AttendeeId"] for a in attendees)
    chime.delete_meeting(MeetingId=meeting["MeetingId"])


def test_create_meeting_with_attendees_reports_items_in_errors(chime):
    response = chime.create_meeting_with_attendees(
        **create_params(
            MeetingFeatures={"Attendee": {"MaxCount": 2}},
            Attendees=[
                {"ExternalUserId": "first-user"},
                {
                    "ExternalUserId": "conflicting-caps",
                    "Capabilities": {"Audio": "SendReceive", "Video": "None", "Content": "Receive"},
                },
                {"ExternalUserId": "second-user"},
                {"ExternalUserId": "third-user"},
            ],
        )
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert [a["ExternalUserId"] for a in response["Attendees"]] == ["first-user", "second-user"]
    errors = {e["ExternalUserId"]: e for e in response["Errors"]}
    assert set(errors) == {"conflicting-caps", "third-user"}
    assert errors["conflicting-caps"]["ErrorCode"] == "BadRequest"
    assert errors["third-user"]["ErrorCode"] == "LimitExceeded"
    for error in errors.values():
        assert error["ErrorMessage"]
    chime.delete_meeting(MeetingId=response["Meeting"]["MeetingId"])


def test_create_meeting_with_attendees_list_limits(chime_unchecked):
    c = chime_unchecked
    for attendees in ([], [{"ExternalUserId": f"user-{i}"} for i in range(21)]):
        with pytest.raises(c.exceptions.BadRequestException) as e:
            c.create_meeting_with_attendees(**create_params(Attendees=attendees))
        assert "Attendees" in e.value.response["Error"]["Message"]


def test_create_meeting_with_attendees_item_shape_error_rejects_everything(chime_unchecked, chime):
    c = chime_unchecked
    token = unique("tok")
    with pytest.raises(c.exceptions.BadRequestException) as e:
        c.create_meeting_with_attendees(
            **create_params(
                ClientRequestToken=token,
                Attendees=[{"ExternalUserId": "good-user"}, {"ExternalUserId": "x"}],
            )
        )
    assert "Attendees[1].ExternalUserId" in e.value.response["Error"]["Message"]
    # Nothing was created under that token.
    fresh = chime.create_meeting(**create_params(ClientRequestToken=token))["Meeting"]
    assert chime.list_attendees(MeetingId=fresh["MeetingId"])["Attendees"] == []
    chime.delete_meeting(MeetingId=fresh["MeetingId"])


def test_create_meeting_with_attendees_replay(chime):
    params = create_params(Attendees=[{"ExternalUserId": "alpha-user"}])
    first = chime.create_meeting_with_attendees(**params)
    replay_params = dict(params, Attendees=[{"ExternalUserId": "alpha-user"}, {"ExternalUserId": "beta-user"}])
    second = chime.create_meeting_with_attendees(**replay_params)
    assert second["Meeting"] == first["Meeting"]
    by_user = {a["ExternalUserId"]: a for a in second["Attendees"]}
    assert by_user["alpha-user"] == first["Attendees"][0]
    assert "beta-user" in by_user
    assert second["Errors"] == []
    meeting_id = first["Meeting"]["MeetingId"]
    assert len(chime.list_attendees(MeetingId=meeting_id)["Attendees"]) == 2

    chime.delete_meeting(MeetingId=meeting_id)
    ended = chime.create_meeting_with_attendees(**replay_params)
    assert ended["Meeting"]["MeetingId"] == meeting_id
    assert ended["Attendees"] == []
    assert sorted(e["ExternalUserId"] for e in ended["Errors"]) == ["alpha-user", "beta-user"]
    assert {e["ErrorCode"] for e in ended["Errors"]} == {"NotFound"}


# --------------------------------------------------------------------------------------------
# Replicas
# --------------------------------------------------------------------------------------------


def test_replica_meetings(chime, make_meeting):
    primary = make_meeting()
    replica = make_meeting(PrimaryMeetingId=primary["MeetingId"], MediaRegion="eu-west-2")
    assert replica["PrimaryMeetingId"] == primary["MeetingId"]
    assert replica["MediaRegion"] == "eu-west-2"
    assert chime.get_meeting(MeetingId=replica["MeetingId"])["Meeting"]["PrimaryMeetingId"] == primary["MeetingId"]

    with pytest.raises(chime.exceptions.BadRequestException) as e:
        chime.create_meeting(**create_params(PrimaryMeetingId=replica["MeetingId"]))
    assert "PrimaryMeetingId" in e.value.response["Error"]["Message"]


def test_replica_primary_id_is_case_insensitive(make_meeting):
    primary = make_meeting()
    replica = make_meeting(PrimaryMeetingId=primary["MeetingId"].upper())
    assert replica["PrimaryMeetingId"] == primary["MeetingId"]


@pytest.mark.parametrize("primary_id", ["11111111-2222-4333-8444-555555555555", "not-a-guid-value"])
def test_replica_of_an_unknown_primary_is_bad_request(chime, primary_id):
    with pytest.raises(chime.exceptions.BadRequestException) as e:
        chime.create_meeting(**create_params(PrimaryMeetingId=primary_id))
    assert "PrimaryMeetingId" in e.value.response["Error"]["Message"]


def test_replica_of_an_ended_or_foreign_primary_is_bad_request(chime, chime2, make_meeting):
    ended = make_meeting()
    chime.delete_meeting(MeetingId=ended["MeetingId"])
    foreign = make_meeting(client=chime2)
    for primary_id in (ended["MeetingId"], foreign["MeetingId"]):
        with pytest.raises(chime.exceptions.BadRequestException):
            chime.create_meeting(**create_params(PrimaryMeetingId=primary_id))


def test_replica_cap_is_four_per_primary(chime, make_meeting):
    primary = make_meeting()
    replicas = [make_meeting(PrimaryMeetingId=primary["MeetingId"]) for _ in range(4)]
    with pytest.raises(chime.exceptions.LimitExceededException) as e:
        chime.create_meeting(**create_params(PrimaryMeetingId=primary["MeetingId"]))
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # An ended replica frees its place.
    chime.delete_meeting(MeetingId=replicas[0]["MeetingId"])
    make_meeting(PrimaryMeetingId=primary["MeetingId"])


def test_deleting_the_primary_ends_its_replicas(chime, make_meeting):
    primary = make_meeting()
    replica = make_meeting(PrimaryMeetingId=primary["MeetingId"])
    chime.delete_meeting(MeetingId=primary["MeetingId"])
    with pytest.raises(chime.exceptions.NotFoundException):
        chime.get_meeting(MeetingId=replica["MeetingId"])


def test_create_meeting_with_attendees_as_replica(chime, make_meeting):
    primary = make_meeting()
    response = chime.create_meeting_with_attendees(
        **create_params(PrimaryMeetingId=primary["MeetingId"], Attendees=[{"ExternalUserId": "replica-user"}])
    )
    assert response["Meeting"]["PrimaryMeetingId"] == primary["MeetingId"]
    assert len(response["Attendees"]) == 1
    chime.delete_meeting(MeetingId=response["Meeting"]["MeetingId"])


def test_deleting_a_replica_leaves_the_primary(chime, make_meeting):
    primary = make_meeting()
    replica = make_meeting(PrimaryMeetingId=primary["MeetingId"])
    chime.delete_meeting(MeetingId=replica["MeetingId"])
    assert chime.get_meeting(MeetingId=primary["MeetingId"])["Meeting"] == primary
