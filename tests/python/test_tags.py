"""TagResource, UntagResource and ListTagsForResource through boto3."""

from __future__ import annotations

import pytest

from carillon_support import SECOND, make_client, meeting_arn, unique


def tags_of(client, arn):
    return sorted(client.list_tags_for_resource(ResourceARN=arn)["Tags"], key=lambda t: t["Key"])


def test_tags_lifecycle(chime, make_meeting):
    meeting = make_meeting(Tags=[{"Key": "team", "Value": "blue"}, {"Key": "env", "Value": "test"}])
    arn = meeting["MeetingArn"]

    listed = chime.list_tags_for_resource(ResourceARN=arn)
    assert listed["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert listed["ResponseMetadata"]["RequestId"]
    assert sorted(listed["Tags"], key=lambda t: t["Key"]) == [
        {"Key": "env", "Value": "test"},
        {"Key": "team", "Value": "blue"},
    ]

    tagged = chime.tag_resource(
        ResourceARN=arn, Tags=[{"Key": "team", "Value": "red"}, {"Key": "cost-center", "Value": ""}]
    )
    assert tagged["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert tagged["ResponseMetadata"]["RequestId"]
    assert tags_of(chime, arn) == [
        {"Key": "cost-center", "Value": ""},
        {"Key": "env", "Value": "test"},
        {"Key": "team", "Value": "red"},
    ]

    untagged = chime.untag_resource(ResourceARN=arn, TagKeys=["env", "never-set"])
    assert untagged["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert untagged["ResponseMetadata"]["RequestId"]
    assert tags_of(chime, arn) == [{"Key": "cost-center", "Value": ""}, {"Key": "team", "Value": "red"}]

    # Removing keys that are already gone succeeds.
    assert chime.untag_resource(ResourceARN=arn, TagKeys=["env"])["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_untagged_meeting_lists_no_tags(chime, meeting):
    assert chime.list_tags_for_resource(ResourceARN=meeting["MeetingArn"])["Tags"] == []


def test_empty_tag_lists_are_accepted(chime, meeting):
    arn = meeting["MeetingArn"]
    assert chime.tag_resource(ResourceARN=arn, Tags=[])["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert chime.untag_resource(ResourceARN=arn, TagKeys=[])["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_documented_tag_characters(chime, meeting):
    # TagKey `^[a-zA-Z+-=._:/]+$` (`+-=` is a range covering digits, `,` `;` `<`) and
    # TagValue `[\s\w+-=\.:/@]*`.
    tags = [{"Key": "app:name/v2", "Value": "hello world@x.y"}, {"Key": "a,b;c<d", "Value": "x=1"}]
    chime.tag_resource(ResourceARN=meeting["MeetingArn"], Tags=tags)
    assert tags_of(chime, meeting["MeetingArn"]) == sorted(tags, key=lambda t: t["Key"])


def test_fifty_tags_and_no_more(chime, make_meeting):
    meeting = make_meeting(Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(49)])
    arn = meeting["MeetingArn"]
    chime.tag_resource(ResourceARN=arn, Tags=[{"Key": "k49", "Value": "v"}])
    assert len(tags_of(chime, arn)) == 50
    # Overwriting an existing key at the limit is fine.
    chime.tag_resource(ResourceARN=arn, Tags=[{"Key": "k0", "Value": "changed"}])
    with pytest.raises(chime.exceptions.TooManyTagsException) as e:
        chime.tag_resource(ResourceARN=arn, Tags=[{"Key": "k50", "Value": "v"}])
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert e.value.response["Error"]["Code"] == "TooManyTagsException"
    assert e.value.response.get("ResourceName") == arn
    tags = tags_of(chime, arn)
    assert len(tags) == 50
    assert {"Key": "k0", "Value": "changed"} in tags
    # Untagging makes room again.
    chime.untag_resource(ResourceARN=arn, TagKeys=["k1"])
    chime.tag_resource(ResourceARN=arn, Tags=[{"Key": "k50", "Value": "v"}])


def test_unknown_arn_is_resource_not_found(chime):
    arn = meeting_arn("11111111-2222-4333-8444-555555555555")
    calls = (
        lambda: chime.list_tags_for_resource(ResourceARN=arn),
        lambda: chime.tag_resource(ResourceARN=arn, Tags=[{"Key": "k", "Value": "v"}]),
        lambda: chime.untag_resource(ResourceARN=arn, TagKeys=["k"]),
    )
    for call in calls:
        with pytest.raises(chime.exceptions.ResourceNotFoundException) as e:
            call()
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
        assert e.value.response.get("ResourceName") == arn
        assert e.value.response.get("Code") == "ResourceNotFound"


@pytest.mark.parametrize(
    "arn_of",
    [
        lambda m: m["MeetingArn"].replace(":us-east-1:", ":eu-west-1:"),
        lambda m: m["MeetingArn"].replace(":123456789012:", ":210987654321:"),
        lambda m: m["MeetingArn"].replace(":meeting/", ":attendee/"),
        lambda m: m["MeetingArn"].replace("arn:aws:chime:", "arn:aws:sns:"),
        lambda m: "arn:aws:chime:us-east-1:123456789012:meeting/not-a-guid",
    ],
    ids=["other-region", "other-account", "not-a-meeting", "other-service", "bad-id"],
)
def test_only_the_exact_meeting_arn_is_found(chime, meeting, arn_of):
    with pytest.raises(chime.exceptions.ResourceNotFoundException):
        chime.list_tags_for_resource(ResourceARN=arn_of(meeting))


def test_tags_of_an_ended_meeting_are_gone(chime, make_meeting):
    meeting = make_meeting(Tags=[{"Key": "k", "Value": "v"}])
    chime.delete_meeting(MeetingId=meeting["MeetingId"])
    with pytest.raises(chime.exceptions.ResourceNotFoundException):
        chime.list_tags_for_resource(ResourceARN=meeting["MeetingArn"])


def test_tags_are_scoped_to_the_account(chime, chime2, make_meeting):
    meeting = make_meeting(Tags=[{"Key": "owner", "Value": "first"}])
    arn = meeting["MeetingArn"]
    with pytest.raises(chime2.exceptions.ResourceNotFoundException):
        chime2.list_tags_for_resource(ResourceARN=arn)
    with pytest.raises(chime2.exceptions.ResourceNotFoundException):
        chime2.tag_resource(ResourceARN=arn, Tags=[{"Key": "owner", "Value": "second"}])
    with pytest.raises(chime2.exceptions.ResourceNotFoundException):
        chime2.untag_resource(ResourceARN=arn, TagKeys=["owner"])
    assert tags_of(chime, arn) == [{"Key": "owner", "Value": "first"}]
    # The same meeting id under the second account's ARN is not found either.
    with pytest.raises(chime2.exceptions.ResourceNotFoundException):
        chime2.list_tags_for_resource(ResourceARN=meeting_arn(meeting["MeetingId"], SECOND))


def test_tags_on_a_meeting_created_in_another_region(endpoint, chime):
    eu = make_client(endpoint, region="eu-west-2")
    meeting = eu.create_meeting(
        ClientRequestToken=unique("tok"), MediaRegion="eu-west-2", ExternalMeetingId=unique("ext"),
        Tags=[{"Key": "where", "Value": "london"}],
    )["Meeting"]
    try:
        arn = meeting["MeetingArn"]
        assert ":eu-west-2:" in arn
        assert tags_of(eu, arn) == [{"Key": "where", "Value": "london"}]
        with pytest.raises(chime.exceptions.ResourceNotFoundException):
            chime.list_tags_for_resource(ResourceARN=arn.replace(":eu-west-2:", ":us-east-1:"))
    finally:
        eu.delete_meeting(MeetingId=meeting["MeetingId"])


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda c, arn: c.tag_resource(ResourceARN=arn, Tags=[{"Key": "", "Value": "v"}]), "Key"),
        (lambda c, arn: c.tag_resource(ResourceARN=arn, Tags=[{"Key": "bad key!", "Value": "v"}]), "Key"),
        (lambda c, arn: c.tag_resource(ResourceARN=arn, Tags=[{"Key": "k" * 129, "Value": "v"}]), "Key"),
        (lambda c, arn: c.tag_resource(ResourceARN=arn, Tags=[{"Key": "k", "Value": "v" * 257}]), "Value"),
        (lambda c, arn: c.tag_resource(ResourceARN=arn, Tags=[{"Key": "k", "Value": "no#hash"}]), "Value"),
        (lambda c, arn: c.tag_resource(ResourceARN=arn, Tags=[{"Key": "k"}]), "Value"),
        (lambda c, arn: c.tag_resource(ResourceARN=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)]), "Tags"),
        (lambda c, arn: c.tag_resource(ResourceARN=arn), "Tags"),
        (lambda c, arn: c.tag_resource(ResourceARN="not-an-arn", Tags=[]), "ResourceARN"),
        (lambda c, arn: c.untag_resource(ResourceARN=arn, TagKeys=[f"k{i}" for i in range(51)]), "TagKeys"),
        (lambda c, arn: c.untag_resource(ResourceARN=arn), "TagKeys"),
        (lambda c, arn: c.list_tags_for_resource(ResourceARN="urn:not-an-arn"), "ResourceARN"),
        (lambda c, arn: c.list_tags_for_resource(ResourceARN=""), "ResourceARN"),
    ],
)
def test_tag_validation(chime_unchecked, meeting, call, fragment):
    c = chime_unchecked
    with pytest.raises(c.exceptions.BadRequestException) as e:
        call(c, meeting["MeetingArn"])
    assert fragment in e.value.response["Error"]["Message"]


def test_too_many_tags_in_one_request_adds_none(chime, make_meeting):
    meeting = make_meeting(Tags=[{"Key": "existing", "Value": "v"}])
    arn = meeting["MeetingArn"]
    with pytest.raises(chime.exceptions.TooManyTagsException):
        chime.tag_resource(ResourceARN=arn, Tags=[{"Key": f"new{i}", "Value": "v"} for i in range(50)])
    assert tags_of(chime, arn) == [{"Key": "existing", "Value": "v"}]


def test_replica_meetings_have_their_own_tags(chime, make_meeting):
    primary = make_meeting(Tags=[{"Key": "role", "Value": "primary"}])
    replica = make_meeting(PrimaryMeetingId=primary["MeetingId"], Tags=[{"Key": "role", "Value": "replica"}])
    assert tags_of(chime, replica["MeetingArn"]) == [{"Key": "role", "Value": "replica"}]
    assert tags_of(chime, primary["MeetingArn"]) == [{"Key": "role", "Value": "primary"}]
