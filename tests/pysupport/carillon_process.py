"""Starting and stopping a `carillon` server for the Python suites (standard library only, so
both suites' virtual environments can import it)."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

REPO_ROOT = Path(__file__).resolve().parents[2]
READY_PATTERN = re.compile(r"carillon listening on (http://\S+)")
LEGACY_READY_PATTERN = re.compile(r"carillon legacy API listening on (http://\S+)")
STARTUP_TIMEOUT_SECONDS = 10.0


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


@dataclass
class Server:
    process: subprocess.Popen
    endpoint: str
    legacy_endpoint: str
    stderr_path: Path

    @property
    def host_port(self) -> str:
        return self.endpoint.split("://", 1)[1]

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


def server_env(credentials: list[Account] | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The server's environment: the caller's, without any CARILLON_* variable (every setting of
    the binary has one, and the test command exports CARILLON_BIN), plus what the test passes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARILLON_")}
    env["RUST_LOG"] = "warn"
    if credentials:
        env["CARILLON_CREDENTIALS"] = ",".join(a.spec() for a in credentials)
    env.update(extra or {})
    return env


def start_server(
    credentials: list[Account] | None = None,
    args: list[str] | None = None,
    env_extra: dict[str, str] | None = None,
) -> Server:
    """Starts `carillon serve` with both listeners on free ports, quotas off and an in-memory
    store, and waits for its two ready lines (legacy first, then the main one). Raises with the
    server's output if it exits or is not ready in time."""
    binary = carillon_bin()
    stderr_file = tempfile.NamedTemporaryFile(prefix="carillon-stderr-", suffix=".log", delete=False)
    stderr_path = Path(stderr_file.name)
    command = [
        str(binary),
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--legacy-listen",
        "127.0.0.1:0",
        "--media-listen",
        "127.0.0.1:0",
        "--quotas",
        "off",
        "--in-memory",
        *(args or []),
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=stderr_file,
        stdin=subprocess.DEVNULL,
        env=server_env(credentials, env_extra),
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
    if not server.endpoint:
        # Standard output closes a moment before the process can be reaped: give it that moment.
        try:
            status = process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            status = None
        server.stop(timeout=2)
        log = server.stderr_text()
        server.discard_log()
        reason = (
            f"exited with status {status}"
            if status is not None
            else f"printed no ready line within {STARTUP_TIMEOUT_SECONDS:.0f} s"
        )
        raise RuntimeError(
            f"carillon ({' '.join(command)}) {reason}; standard output:\n"
            + "\n".join(lines)
            + f"\nstandard error:\n{log}"
        )
    return server


@contextmanager
def running_server(**kwargs: Any) -> Iterator[Server]:
    server = start_server(**kwargs)
    try:
        yield server
    finally:
        server.stop()
        server.discard_log()
