"""The server process and client configuration: endpoint selection by environment variable,
credentials configuration, public URL, health and shutdown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from carillon_support import (
    EXAMPLE,
    Account,
    SECOND,
    RawClient,
    assert_guid,
    make_client,
    running_server,
    start_server,
    unique,
)


def create_params():
    return {"ClientRequestToken": unique("tok"), "MediaRegion": "us-east-1", "ExternalMeetingId": unique("ext")}


def test_endpoint_from_environment_variable(endpoint, monkeypatch, tmp_path):
    for name in ("AWS_ENDPOINT_URL", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_ENDPOINT_URL_CHIME_SDK_MEETINGS", endpoint)
    client = make_client(None)
    assert client.meta.endpoint_url == endpoint
    meeting = client.create_meeting(**create_params())["Meeting"]
    assert_guid(meeting["MeetingId"])
    assert client.get_meeting(MeetingId=meeting["MeetingId"])["Meeting"] == meeting
    client.delete_meeting(MeetingId=meeting["MeetingId"])


def test_endpoint_from_environment_in_a_fresh_process(endpoint, tmp_path):
    """The variable alone (plus the standard credential variables) configures a client, as an
    unmodified application would run it."""
    script = textwrap.dedent(
        """
        import boto3, json, uuid
        c = boto3.client("chime-sdk-meetings")
        m = c.create_meeting(ClientRequestToken=uuid.uuid4().hex, MediaRegion="us-east-1",
                             ExternalMeetingId="from-env")["Meeting"]
        c.delete_meeting(MeetingId=m["MeetingId"])
        print(json.dumps({"endpoint": c.meta.endpoint_url, "arn": m["MeetingArn"]}))
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL_CHIME_SDK_MEETINGS=endpoint,
        AWS_ACCESS_KEY_ID=EXAMPLE.access_key,
        AWS_SECRET_ACCESS_KEY=EXAMPLE.secret_key,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(tmp_path / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
        AWS_MAX_ATTEMPTS="1",
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["endpoint"] == endpoint
    assert out["arn"].startswith("arn:aws:chime:us-east-1:123456789012:meeting/")


def test_health_on_the_shared_server(raw):
    response = raw.request("GET", "/health", sign=False)
    assert response.status == 200
    assert response.json() == {"status": "ok"}


def test_example_pair_is_the_default_account():
    with running_server() as server:
        raw = RawClient(server.endpoint)
        meeting = raw.create_meeting()
        assert meeting["MeetingArn"].split(":")[4] == EXAMPLE.account_id
        refused = raw.request("GET", f"/meetings/{meeting['MeetingId']}", account=SECOND)
        assert refused.status == 403
        assert refused.error_type == "UnrecognizedClientException"


def test_the_callers_carillon_variables_do_not_reach_the_server(monkeypatch):
    # Each would change the server if it got through: the example pair unknown, another
    # SignalingUrl host.
    monkeypatch.setenv("CARILLON_CREDENTIALS", SECOND.spec())
    monkeypatch.setenv("CARILLON_PUBLIC_URL", "http://elsewhere.invalid:9")
    with running_server() as server:
        meeting = RawClient(server.endpoint).create_meeting()
        assert meeting["MeetingArn"].split(":")[4] == EXAMPLE.account_id
        assert "elsewhere.invalid" not in meeting["MediaPlacement"]["SignalingUrl"]


def test_configured_credentials_replace_the_example_pair():
    with running_server(credentials=[SECOND]) as server:
        raw = RawClient(server.endpoint)
        meeting = raw.create_meeting(account=SECOND)
        assert meeting["MeetingArn"].split(":")[4] == SECOND.account_id
        refused = raw.request("GET", f"/meetings/{meeting['MeetingId']}", account=EXAMPLE)
        assert refused.status == 403
        assert refused.error_type == "UnrecognizedClientException"
        client = make_client(server.endpoint, account=SECOND)
        assert client.get_meeting(MeetingId=meeting["MeetingId"])["Meeting"] == meeting


def test_credentials_file(tmp_path):
    path = tmp_path / "credentials.json"
    path.write_text(
        '{"credentials": [{"access_key_id": "AKIDFROMFILE", "secret_access_key": "filesecret", '
        '"account_id": "333333333333"}]}'
    )
    with running_server(args=["--credentials-file", str(path)]) as server:
        account = Account("AKIDFROMFILE", "filesecret", "333333333333")
        meeting = make_client(server.endpoint, account=account).create_meeting(**create_params())["Meeting"]
        assert meeting["MeetingArn"].split(":")[4] == "333333333333"


def test_public_url_sets_the_media_placement():
    with running_server(args=["--public-url", "https://meet.example.com"]) as server:
        client = make_client(server.endpoint)
        meeting = client.create_meeting(**create_params())["Meeting"]
        meeting_id = meeting["MeetingId"]
        placement = meeting["MediaPlacement"]
        assert placement["SignalingUrl"] == f"wss://meet.example.com/control/{meeting_id}"
        assert placement["AudioHostUrl"]
        assert placement["TurnControlUrl"].startswith("https://meet.example.com/")


def test_sigterm_shuts_the_server_down_cleanly():
    with running_server() as server:
        assert RawClient(server.endpoint).request("GET", "/health", sign=False).status == 200
        status = server.stop(timeout=10)
        assert status == 0, server.stderr_text()


def test_a_bad_configuration_fails_to_start():
    with pytest.raises(RuntimeError) as e:
        start_server(args=["--public-url", "ftp://nowhere"])
    assert "exited with status" in str(e.value)
