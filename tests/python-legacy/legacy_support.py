"""Shared code of the legacy `chime` suite: starting a server with both listeners, building
boto3 clients for the legacy and the current API, and sending raw SigV4-signed requests whose
every byte and header the test controls."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import boto3
import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

REPO_ROOT = Path(__file__).resolve().parents[2]
LEGACY_READY_PATTERN = re.compile(r"carillon legacy API listening on (http://\S+)")
READY_PATTERN = re.compile(r"carillon listening on (http://\S+)")
STARTUP_TIMEOUT_SECONDS = 10.0
LEGACY_SERVICE = "chime"
CURRENT_SERVICE = "chime-sdk-meetings"
SIGNING_NAME = "chime"
REGION = "us-east-1"

GUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# Legacy JoinTokenString: 2..2048, pattern ^[a-zA-Z0-9+/]+$.
LEGACY_JOIN_TOKEN_RE = re.compile(r"^[a-zA-Z0-9+/]{2,2048}$")

# Output shapes of the legacy model (botocore 1.35.99, chime 2018-05-01).
LEGACY_MEETING_MEMBERS = {"MeetingId", "ExternalMeetingId", "MediaPlacement", "MediaRegion"}
LEGACY_ATTENDEE_MEMBERS = {"ExternalUserId", "AttendeeId", "JoinToken"}
LEGACY_MEDIA_PLACEMENT_MEMBERS = {
    "AudioHostUrl",
    "AudioFallbackUrl",
    "ScreenDataUrl",
    "ScreenSharingUrl",
    "ScreenViewingUrl",
    "SignalingUrl",
    "TurnControlUrl",
    "EventIngestionUrl",
}
# Members only the current API's shapes have.
CURRENT_ONLY_MEETING_MEMBERS = {"MeetingArn", "MeetingFeatures", "TenantIds", "PrimaryMeetingId", "MeetingHostId"}

# The legacy ErrorCode enum: the type of every legacy exception's `Code` member.
LEGACY_ERROR_CODES = {
    "BadRequest",
    "Conflict",
    "Forbidden",
    "NotFound",
    "PreconditionFailed",
    "ResourceLimitExceeded",
    "ServiceFailure",
    "AccessDenied",
    "ServiceUnavailable",
    "Throttled",
    "Throttling",
    "Unauthorized",
    "Unprocessable",
    "VoiceConnectorGroupAssociationsExist",
    "PhoneNumberAssociationsExist",
}


@dataclass(frozen=True)
class Account:
    access_key: str
    secret_key: str
    account_id: str

    def spec(self) -> str:
        return f"{self.access_key}:{self.secret_key}:{self.account_id}"


# AWS's documented example pair: the server's default account.
EXAMPLE = Account("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "123456789012")
SECOND = Account("AKIDSECOND", "secondsecret", "210987654321")


def unique(prefix: str = "t") -> str:
    """A fresh value for ClientRequestToken / ExternalMeetingId / ExternalUserId (2..64 chars)."""
    return f"{prefix}-{uuid.uuid4().hex}"


def carillon_bin() -> Path:
    configured = os.environ.get("CARILLON_BIN")
    path = Path(configured) if configured else REPO_ROOT / "target" / "debug" / "carillon"
    if not path.is_file() or not os.access(path, os.X_OK):
        raise RuntimeError(
            f"carillon binary not found at {path}: build it with `cargo build --bin carillon` "
            "or point CARILLON_BIN at it"
        )
    return path


# --------------------------------------------------------------------------------------------
# Server process
# --------------------------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen
    endpoint: str
    legacy_endpoint: str
    stderr_path: Path

    def stderr_text(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, then wait; SIGKILL if it does not finish. Returns the exit status."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        return self.process.returncode

    def discard_log(self) -> None:
        self.stderr_path.unlink(missing_ok=True)


def server_env(credentials: list[Account] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARILLON_")}
    env["RUST_LOG"] = "warn"
    if credentials:
        env["CARILLON_CREDENTIALS"] = ",".join(a.spec() for a in credentials)
    return env


def start_server(credentials: list[Account] | None = None) -> Server:
    """Starts `carillon serve` with both listeners on free ports and an in-memory store, and
    waits for its two ready lines (legacy first, then the main one). Raises with the server's
    standard error if it exits or is not ready in time."""
    binary = carillon_bin()
    stderr_file = tempfile.NamedTemporaryFile(prefix="carillon-legacy-stderr-", suffix=".log", delete=False)
    stderr_path = Path(stderr_file.name)
    command = [
        str(binary),
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--legacy-listen",
        "127.0.0.1:0",
        "--quotas",
        "off",
        "--in-memory",
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=stderr_file,
        stdin=subprocess.DEVNULL,
        env=server_env(credentials),
        text=True,
        bufsize=1,
    )
    stderr_file.close()

    found: dict[str, str] = {}
    lines: list[str] = []
    ready = threading.Event()

    def pump() -> None:
        # Reads standard output until it closes, so the pipe never fills up.
        assert process.stdout is not None
        for line in process.stdout:
            if len(lines) < 20:
                lines.append(line.rstrip("\n"))
            legacy = LEGACY_READY_PATTERN.search(line)
            if legacy and "legacy" not in found:
                found["legacy"] = legacy.group(1)
            main = READY_PATTERN.search(line)
            if main and "main" not in found:
                found["main"] = main.group(1)
                ready.set()
        ready.set()

    threading.Thread(target=pump, name="carillon-stdout", daemon=True).start()
    ready.wait(STARTUP_TIMEOUT_SECONDS)
    server = Server(
        process=process,
        endpoint=found.get("main", ""),
        legacy_endpoint=found.get("legacy", ""),
        stderr_path=stderr_path,
    )
    if not server.endpoint or not server.legacy_endpoint:
        # Standard output closes a moment before the process can be reaped: give it that moment.
        try:
            status = process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            status = None
        server.stop(timeout=2)
        log = server.stderr_text()
        server.discard_log()
        if status is not None:
            reason = f"exited with status {status}"
        elif server.endpoint:
            reason = "printed no legacy ready line before the main one"
        else:
            reason = f"printed no ready line within {STARTUP_TIMEOUT_SECONDS:.0f} s"
        raise RuntimeError(
            f"carillon ({' '.join(command)}) {reason}; standard output:\n"
            + "\n".join(lines)
            + f"\nstandard error:\n{log}"
        )
    return server


# --------------------------------------------------------------------------------------------
# boto3 clients
# --------------------------------------------------------------------------------------------


def _client(service: str, endpoint: str, account: Account, validate: bool):
    # Exactly one attempt per call: a retry could hide a failed first answer.
    config = Config(retries={"total_max_attempts": 1}, parameter_validation=validate)
    # A session of its own, so no profile or shared configuration of the machine leaks in.
    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=account.access_key,
        aws_secret_access_key=account.secret_key,
        config=config,
    )


def legacy_client(endpoint: str, account: Account = EXAMPLE, validate: bool = True):
    """`boto3.client('chime')` (2018-05-01) pointed at the legacy listener."""
    return _client(LEGACY_SERVICE, endpoint, account, validate)


def current_client(endpoint: str, account: Account = EXAMPLE, validate: bool = True):
    """`boto3.client('chime-sdk-meetings')` pointed at the main listener."""
    return _client(CURRENT_SERVICE, endpoint, account, validate)


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
    `sign=False` sends no Authorization header; `service` signs for another signing name."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint.rstrip("/")
        self.pool = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(total=30))

    def request(
        self,
        method: str,
        path: str,
        *,
        query: str | dict | list | None = None,
        json_body: Any = _UNSET,
        body: bytes | str | None = None,
        account: Account = EXAMPLE,
        region: str = REGION,
        service: str = SIGNING_NAME,
        sign: bool = True,
    ) -> RawResponse:
        if json_body is not _UNSET:
            body = json.dumps(json_body)
        if isinstance(body, str):
            body = body.encode("utf-8")
        if isinstance(query, (dict, list)):
            query = encode_query(query)
        headers: dict[str, str] = {}
        if body is not None:
            headers["Content-Type"] = "application/json"
        url = self.endpoint + path + (f"?{query}" if query else "")
        aws_request = AWSRequest(method=method, url=url, data=body or b"", headers=headers)
        if sign:
            SigV4Auth(Credentials(account.access_key, account.secret_key), service, region).add_auth(aws_request)
        response = self.pool.request(
            method,
            url,
            body=body,
            headers=dict(aws_request.headers.items()),
            retries=False,
            redirect=False,
            preload_content=True,
        )
        return RawResponse(response.status, response.headers, response.data)

    # Shorthands for the legacy API ------------------------------------------------------

    def create_meeting(self, account: Account = EXAMPLE, **members: Any) -> dict:
        body = {"ClientRequestToken": unique("tok"), "ExternalMeetingId": unique("ext"), **members}
        response = self.request("POST", "/meetings", json_body=body, account=account)
        assert response.status == 201, response
        return response.json()["Meeting"]


# --------------------------------------------------------------------------------------------
# Assertions
# --------------------------------------------------------------------------------------------


def assert_guid(value: Any) -> None:
    assert isinstance(value, str) and GUID_RE.match(value), f"not a lower-case GUID: {value!r}"


def assert_legacy_meeting(meeting: dict) -> None:
    """A Meeting in the legacy shape: only the four legacy members, a GUID id, and a
    MediaPlacement made only of the legacy URL members."""
    assert set(meeting) <= LEGACY_MEETING_MEMBERS, sorted(set(meeting) - LEGACY_MEETING_MEMBERS)
    assert {"MeetingId", "MediaPlacement", "MediaRegion"} <= set(meeting), meeting
    assert_guid(meeting["MeetingId"])
    placement = meeting["MediaPlacement"]
    assert isinstance(placement, dict) and placement, meeting
    assert set(placement) <= LEGACY_MEDIA_PLACEMENT_MEMBERS, sorted(set(placement) - LEGACY_MEDIA_PLACEMENT_MEMBERS)
    for key in ("AudioHostUrl", "SignalingUrl", "TurnControlUrl"):
        assert isinstance(placement.get(key), str) and placement[key], (key, placement)
    for key, value in placement.items():
        assert isinstance(value, str) and len(value) <= 4096, (key, value)


def assert_legacy_attendee(attendee: dict) -> None:
    """An Attendee in the legacy shape: ExternalUserId, AttendeeId, JoinToken, nothing else."""
    assert set(attendee) == LEGACY_ATTENDEE_MEMBERS, attendee.keys()
    assert_guid(attendee["AttendeeId"])
    assert LEGACY_JOIN_TOKEN_RE.match(attendee["JoinToken"]), attendee["JoinToken"]


def assert_error(response: RawResponse, status: int, error_type: str, code: str) -> dict:
    """The rest-json error as the legacy service sends it: status, `x-amzn-ErrorType` = the
    exception name, JSON body with `Code` (the legacy ErrorCode value), `Message`, and
    `RequestId` equal to the `x-amzn-RequestId` header."""
    assert response.status == status, response
    assert response.error_type == error_type, response
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    assert content_type == "application/json", response.headers
    request_id = response.request_id
    assert request_id, response.headers
    body = response.json()
    assert isinstance(body, dict), body
    assert body.get("Code") == code, body
    assert isinstance(body.get("Message"), str) and body["Message"], body
    assert body.get("RequestId") == request_id, (body, request_id)
    return body


def assert_client_error(exc_info, error_type: str, status: int, code: str | None = None) -> dict:
    """A botocore ClientError: the code botocore resolved, the HTTP status, the modeled `Code`
    member it parsed from the body, and the request id. Returns the response."""
    response = exc_info.value.response
    assert response["Error"]["Code"] == error_type, response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status, response
    assert response["ResponseMetadata"]["RetryAttempts"] == 0, response
    assert response["Error"]["Message"], response
    assert response["ResponseMetadata"]["RequestId"], response
    if code is not None:
        assert response.get("Code") == code, response
    return response


def meeting_arn(meeting_id: str, account: Account = EXAMPLE, region: str = REGION) -> str:
    return f"arn:aws:chime:{region}:{account.account_id}:meeting/{meeting_id}"


def tags(count: int, prefix: str = "k") -> list[dict[str, str]]:
    return [{"Key": f"{prefix}{i}", "Value": f"v{i}"} for i in range(count)]


def sorted_tags(tag_list: list[dict[str, str]]) -> list[tuple[str, str]]:
    return sorted((t["Key"], t["Value"]) for t in tag_list)
