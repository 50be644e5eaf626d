"""Shared code of the boto3 suite: building clients, and sending raw
SigV4-signed requests whose every byte and header the test controls."""

from __future__ import annotations

import base64
import datetime
import json
import re
import sys
import uuid
from pathlib import Path
from typing import Any, Callable
from unittest import mock
from urllib.parse import quote, urlencode

# The server-process helpers are shared with the other Python suite (and re-exported to the
# tests from here).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pysupport"))
from carillon_process import (  # noqa: E402
    EXAMPLE,
    SECOND,
    Account,
    Server,
    running_server,
    start_server,
    unique,
)

import boto3
import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

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


class RawResponse:
    def __init__(self, status: int, headers: urllib3.HTTPHeaderDict, body: bytes):
        self.status = status
        self.headers = headers  # case-insensitive
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    @property
    def error_type(self) -> str | None:
        return self.headers.get("x-amzn-ErrorType")

    @property
    def request_id(self) -> str | None:
        return self.headers.get("x-amzn-RequestId")

    def __repr__(self) -> str:
        return (
            f"RawResponse(status={self.status}, error_type={self.error_type!r}, "
            f"body={self.body[:400]!r})"
        )


def encode_query(pairs: dict[str, str] | list[tuple[str, str]]) -> str:
    """RFC 3986 percent-encoding, as the AWS SDKs do (`:` and `/` become %3A and %2F)."""
    return urlencode(pairs, quote_via=quote, safe="-_.~")


_UNSET = object()


class RawClient:
    """Builds a request, signs it with botocore's own SigV4 signer and sends it with urllib3.

    Hooks for refusal tests: `sign=False` (no Authorization), `when` (sign with another clock),
    `send_body` / `send_path` / `send_query` (send something other than what was signed),
    `mutate_headers` (edit the signed headers before sending)."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint.rstrip("/")
        self.pool = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(total=30))

    def request(
        self,
        method: str,
        path: str,
        *,
        query: str | dict | list | None = None,
        body: bytes | str | None = None,
        json_body: Any = _UNSET,
        headers: dict[str, str] | None = None,
        account: Account = EXAMPLE,
        region: str = REGION,
        service: str = SIGNING_NAME,
        sign: bool = True,
        when: datetime.datetime | None = None,
        send_body: Any = _UNSET,
        send_path: str | None = None,
        send_query: str | None = None,
        mutate_headers: Callable[[dict[str, str]], None] | None = None,
    ) -> RawResponse:
        if json_body is not _UNSET:
            body = json.dumps(json_body)
        if isinstance(body, str):
            body = body.encode("utf-8")
        if isinstance(query, (dict, list)):
            query = encode_query(query)
        request_headers: dict[str, str] = {}
        if body is not None:
            request_headers["Content-Type"] = "application/json"
        request_headers.update(headers or {})

        url = self._url(path, query)
        aws_request = AWSRequest(method=method, url=url, data=body or b"", headers=request_headers)
        if sign:
            signer = SigV4Auth(
                Credentials(account.access_key, account.secret_key), service, region
            )
            if when is None:
                signer.add_auth(aws_request)
            else:
                naive_utc = when.astimezone(datetime.timezone.utc).replace(tzinfo=None)
                with mock.patch("botocore.auth.get_current_datetime", return_value=naive_utc):
                    signer.add_auth(aws_request)
        final_headers = {k: v for k, v in aws_request.headers.items()}
        if mutate_headers is not None:
            mutate_headers(final_headers)
        if send_body is not _UNSET:
            body = send_body.encode("utf-8") if isinstance(send_body, str) else send_body
        send_url = self._url(
            send_path if send_path is not None else path,
            send_query if send_query is not None else query,
        )
        response = self.pool.request(
            method,
            send_url,
            body=body,
            headers=final_headers,
            retries=False,
            redirect=False,
            preload_content=True,
        )
        return RawResponse(response.status, response.headers, response.data)

    def _url(self, path: str, query: str | None) -> str:
        return self.endpoint + path + (f"?{query}" if query else "")

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
