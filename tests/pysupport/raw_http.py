"""Raw SigV4-signed requests for the Python suites: botocore's own signer and urllib3, which
both suites' environments have. Every byte and header a request sends is the test's to choose."""

from __future__ import annotations

import datetime
import json
from typing import Any, Callable
from unittest import mock
from urllib.parse import quote, urlencode

import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from carillon_process import EXAMPLE, Account

SIGNING_NAME = "chime"
REGION = "us-east-1"


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
