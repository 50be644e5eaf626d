"""Meeting events at a webhook, received by the README's example receiver
(examples/webhook-receiver.py), which verifies each request's signature."""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import boto3
from botocore.config import Config

from carillon_support import EXAMPLE, running_server, unique

REPO = Path(__file__).resolve().parents[2]
RECEIVER = REPO / "examples" / "webhook-receiver.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """The example receiver in a process of its own, its printed lines and its request log."""

    def __init__(self, secret: str) -> None:
        self.port = free_port()
        env = {**os.environ, "CARILLON_WEBHOOK_SECRET": secret}
        self.process = subprocess.Popen(
            [sys.executable, str(RECEIVER), str(self.port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._pump, args=(self.process.stdout, self.lines.put), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.process.stderr, self.log.append), daemon=True).start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the example receiver did not start")

    @staticmethod
    def _pump(stream, sink) -> None:
        for line in stream:
            sink(line.rstrip("\n"))

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def next_line(self, timeout: float = 15.0) -> str:
        return self.lines.get(timeout=timeout)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=5)


def client(endpoint: str):
    return boto3.client(
        "chime-sdk-meetings",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=EXAMPLE.access_key,
        aws_secret_access_key=EXAMPLE.secret_key,
        config=Config(retries={"max_attempts": 1}),
    )


def test_the_readme_shows_the_example_receiver_whole():
    readme = (REPO / "README.md").read_text()
    assert RECEIVER.read_text() in readme
    assert len(RECEIVER.read_text().splitlines()) <= 20


def test_the_example_receiver_verifies_and_prints_each_event():
    receiver = Receiver("s3cret")
    try:
        args = ["--webhook", f"app={receiver.url()}", "--webhook-secret", "s3cret"]
        with running_server(credentials=[EXAMPLE], args=args) as server:
            chime = client(server.endpoint)
            meeting = chime.create_meeting(
                ClientRequestToken=unique(), MediaRegion="us-east-1", ExternalMeetingId=unique("m")
            )["Meeting"]
            mid = meeting["MeetingId"]
            attendee = chime.create_attendee(MeetingId=mid, ExternalUserId=unique("u"))["Attendee"]
            chime.delete_meeting(MeetingId=mid)
            got = [receiver.next_line().split(" ") for _ in range(3)]
            assert got == [
                ["chime:MeetingStarted", mid, ""],
                ["chime:AttendeeAdded", mid, attendee["AttendeeId"]],
                ["chime:MeetingEnded", mid, ""],
            ]
    finally:
        receiver.stop()


def test_the_example_receiver_refuses_another_secret():
    receiver = Receiver("s3cret")
    try:
        args = ["--webhook", f"app={receiver.url()}", "--webhook-secret", "not-the-same"]
        with running_server(credentials=[EXAMPLE], args=args) as server:
            client(server.endpoint).create_meeting(
                ClientRequestToken=unique(), MediaRegion="us-east-1", ExternalMeetingId=unique("m")
            )
            deadline = time.monotonic() + 15
            while not any('" 401 ' in line for line in receiver.log):
                assert time.monotonic() < deadline, receiver.log
                time.sleep(0.05)
            assert receiver.lines.empty()
    finally:
        receiver.stop()
