#!/usr/bin/env python3
"""Every figure of BENCHMARKS.md, in one run: python3 scripts/bench.py

Builds the release binaries, then measures with carillon-bench (see crates/carillon-bench):

1. every workload on the embedded store and on the reference server in its modes (bare: hyper
   answering fixed bodies; unavoidable: also reading the body, verifying SigV4 as Carillon does,
   parsing the request and committing writes to SQLite with group commit; indexed, for the
   workloads that write: also storing them with the indexes the API's rules need and their
   meeting events), the servers taking turns ROUNDS times, with the median of Carillon's ratio to
   each, and the server's CPU time per request and memory;
2. CreateAttendee at a fixed 5,000 requests/s (open loop), for the p99 below saturation;
3. GetAttendee and CreateAttendee at 1, 16, 64, 256 and 1,024 connections;
4. a store of 1,000,000 attendees: time from start to ready, memory, and the latency of every
   read and write workload against it, next to the same on an empty store;
5. the in-memory store's memory per stored attendee;
6. CreateAttendee, BatchCreateAttendee and GetAttendee on PostgreSQL with one node and with three
   nodes on one database (skipped, with a message, when no PostgreSQL is reachable);
7. the signaling plane (carillon-bench signaling): 10,000 joined sessions held open (the server's
   memory per session), one meeting of 250 (presence and data-message fan-out), and joins at
   200 per second (open loop); each SIGNALING_RUNS times on a fresh server;
8. meeting events (scripts/bench_events.py): CreateAttendee with events off and on (a webhook
   receiver on this machine), delivery latency at 1,000 events/s, delivery to SQS (moto);
9. meeting audio (carillon-bench audio): meetings of 10 with 2 speakers, every participant a
   WebRTC client sending Opus every 20 ms, at 100, 200 and 300 participants: late ticks, the
   latency the server adds, CPU and memory per participant; each AUDIO_RUNS times on a fresh
   server.

Results go to standard output as Markdown tables, and to target/bench/ as JSON. Environment:
DURATION (default 10s), WARMUP (2s), CONNECTIONS (64), SECTIONS (e.g. "1,3"; default all),
ROUNDS (section 1: 3), WORKLOADS (section 1: all six, comma-separated),
CARILLON_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres),
SIGNALING_RUNS (2), SIGNALING_SESSIONS (10000); section 8: EVENT_RUNS (2), EVENT_RATE (1000),
EVENT_SQS_RATE (100), EVENT_PARTS (throughput,latency,drain,sqs), CARILLON_TEST_MOTO (moto_server;
the SQS part is skipped without it); section 9: AUDIO_RUNS (2), AUDIO_SIZES (100,200,300),
AUDIO_DURATION (60s).
"""

import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "target" / "bench"
SERVER = ROOT / "target" / "release" / "carillon"
BENCH = ROOT / "target" / "release" / "carillon-bench"
DURATION = os.environ.get("DURATION", "10s")
WARMUP = os.environ.get("WARMUP", "2s")
CONNECTIONS = int(os.environ.get("CONNECTIONS", "64"))
SECTIONS = {int(s) for s in os.environ.get("SECTIONS", "1,2,3,4,5,6,7,8,9").split(",")}
SIGNALING_RUNS = int(os.environ.get("SIGNALING_RUNS", "2"))
SIGNALING_SESSIONS = int(os.environ.get("SIGNALING_SESSIONS", "10000"))
AUDIO_RUNS = int(os.environ.get("AUDIO_RUNS", "2"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
AUDIO_SIZES = [int(n) for n in os.environ.get("AUDIO_SIZES", "100,200,300").split(",")]
AUDIO_DURATION = os.environ.get("AUDIO_DURATION", "60s")
ADMIN_URL = os.environ.get(
    "CARILLON_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
WORKLOADS = os.environ.get("WORKLOADS", "create-meeting,create-attendee,batch-create,"
                           "get-attendee,list-attendees,mixed").split(",")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """A server process: carillon, or the reference server."""

    def __init__(self, args, ready_path, preexec_fn=None):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        started = time.monotonic()
        self.proc = subprocess.Popen(
            [str(a).replace("{port}", str(self.port)) for a in args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "RUST_LOG": "warn"}, preexec_fn=preexec_fn)
        deadline = started + 120
        while True:
            try:
                if ready_path is None:
                    socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                    break
                with urllib.request.urlopen(self.endpoint + ready_path, timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{args[0]} did not become ready")
            time.sleep(0.005)
        self.ready_after = time.monotonic() - started

    def cpu_seconds(self):
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def memory_mb(self):
        status = Path(f"/proc/{self.proc.pid}/status").read_text().splitlines()
        kib = {line.split(":")[0]: int(line.split()[1]) for line in status
               if line.startswith(("VmRSS", "VmHWM"))}
        return kib["VmRSS"] / 1024, kib["VmHWM"] / 1024

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def carillon(*store_args, preexec_fn=None):
    return Process([SERVER, "--listen", "127.0.0.1:{port}", "--legacy-listen", "off",
                    "--media-listen", "127.0.0.1:0", "--quotas", "off", *store_args], "/ready",
                   preexec_fn=preexec_fn)


def reference(work="bare"):
    # It has no health route: listening is ready. In the unavoidable mode its SQLite file goes to
    # a temporary directory that it removes when stopped.
    return Process([BENCH, "reference-server", "--listen", "127.0.0.1:{port}", "--work", work],
                   None)


def run(servers, workload, label, connections=CONNECTIONS, duration=DURATION, warmup=WARMUP,
        rate=None, extra=()):
    """One load run; its report, with the servers' CPU time per request."""
    servers = servers if isinstance(servers, list) else [servers]
    path = OUT / f"{label}-{workload}-{connections}{'-rate' + str(rate) if rate else ''}.json"
    args = [BENCH, "run", "--workload", workload, "--connections", str(connections),
            "--duration", duration, "--warmup", warmup, "--quiet", "--json", path]
    for s in servers:
        args += ["--endpoint", s.endpoint]
    if rate:
        args += ["--rate", str(rate)]
    args += list(extra)
    cpu_before = sum(s.cpu_seconds() for s in servers)
    subprocess.run([str(a) for a in args], check=True, stdout=subprocess.DEVNULL)
    cpu = sum(s.cpu_seconds() for s in servers) - cpu_before
    report = json.loads(path.read_text())
    # CPU time of setup and warm-up included: an upper bound per request.
    report["cpu_us_per_request"] = cpu * 1e6 / max(report["requests"], 1)
    return report


def ms(us):
    return f"{us / 1000:.2f}"


def errors(r):
    return sum(v for k, v in r["statuses"].items() if k != "200") + r["transport_errors"]


def row(*cells):
    print("| " + " | ".join(str(c) for c in cells) + " |")


def header(*cells):
    row(*cells)
    row(*["---"] * len(cells))


def rate_cell(r):
    if r["attendees"] and r["workload"] == "batch-create":
        return f"{r['rps']:,.0f} ({r['attendees_per_sec']:,.0f} attendees/s)"
    return f"{r['rps']:,.0f}"


def median_run(reports):
    """The report of median throughput among runs of one server (the upper one of two)."""
    return sorted(reports, key=lambda r: r["rps"])[len(reports) // 2]


def section_workloads():
    print(f"\n### Every workload, embedded store and reference server ({CONNECTIONS} connections, "
          f"median of {ROUNDS} rounds)\n")
    print("Reference server: bare answers fixed bodies by route; unavoidable also reads the body, "
          "verifies SigV4 with Carillon's verifier, parses the request and commits each write to "
          "SQLite (WAL, synchronous=FULL, group commit) before answering the same bodies; indexed "
          "also stores the writes as the API's rules need them found (meetings by id and "
          "ClientRequestToken, attendees by id and unique by ExternalUserId in their meeting, "
          "counted) and logs their meeting events in the same transaction. Indexed runs only the "
          "workloads that write: it answers reads as unavoidable does.\n")
    header("workload", "carillon req/s", "bare reference req/s", "unavoidable reference req/s",
           "indexed reference req/s", "ratio to bare", "ratio to unavoidable", "ratio to indexed",
           "p50 ms", "p99 ms", "p99.9 ms", "server CPU µs/req (≤)", "errors")
    data = tempfile.mkdtemp(prefix="carillon-bench-")
    servers = []
    try:
        server = carillon("--data-dir", data)
        servers.append(server)
        bare = reference("bare")
        servers.append(bare)
        unavoidable = reference("unavoidable")
        servers.append(unavoidable)
        indexed = reference("indexed")
        servers.append(indexed)
        reference_errors = []
        for w in WORKLOADS:
            # The machine's speed drifts from one minute to the next: the servers take turns,
            # ROUNDS times, and each figure is the median over the rounds (a ratio is the median
            # of the rounds' ratios, each between runs a few seconds apart).
            writes = w not in ("get-attendee", "list-attendees")
            rounds = []
            for _ in range(ROUNDS):
                c = run(server, w, "embedded")
                # "reference" is the bare mode's label, as before the other modes existed.
                refs = [("bare", run(bare, w, "reference")),
                        ("unavoidable", run(unavoidable, w, "reference-unavoidable"))]
                if writes:
                    refs.append(("indexed", run(indexed, w, "reference-indexed")))
                reference_errors += [f"{w} ({mode}): {errors(r)}, first: {r['first_error']}"
                                     for mode, r in refs if errors(r)]
                rounds.append([c] + [r for _, r in refs])
            medians = [median_run([r[i] for r in rounds]) for i in range(len(rounds[0]))]
            ratios = [f"{statistics.median(r[0]['rps'] / r[i]['rps'] for r in rounds):.2f}"
                      for i in range(1, len(rounds[0]))]
            rates = [rate_cell(m) for m in medians[1:]]
            if not writes:
                rates.append("—")
                ratios.append("—")
            lat = medians[0]["latency_us"]
            row(w, rate_cell(medians[0]), *rates, *ratios, ms(lat["p50"]), ms(lat["p99"]),
                ms(lat["p999"]), f"{medians[0]['cpu_us_per_request']:.0f}",
                sum(errors(r[0]) for r in rounds))
        rss, hwm = server.memory_mb()
        print(f"\nServer memory after these runs: RSS {rss:.0f} MB, peak {hwm:.0f} MB; "
              f"reference server RSS {bare.memory_mb()[0]:.0f} MB bare, "
              f"{unavoidable.memory_mb()[0]:.0f} MB unavoidable, "
              f"{indexed.memory_mb()[0]:.0f} MB indexed.")
        for line in reference_errors:
            print(f"*** Reference server errors, {line} ***")
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(data, ignore_errors=True)


def section_open_loop():
    print("\n### CreateAttendee at 5,000 requests/s (open loop, 64 connections)\n")
    header("store", "sent req/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "errors")
    data = tempfile.mkdtemp(prefix="carillon-bench-")
    server = carillon("--data-dir", data)
    try:
        r = run(server, "create-attendee", "embedded-open", connections=64, rate=5000)
        lat = r["latency_us"]
        row("embedded", f"{r['rps']:,.0f}", ms(lat["p50"]), ms(lat["p90"]), ms(lat["p99"]),
            ms(lat["p999"]), ms(lat["max"]), errors(r))
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)


def section_scaling():
    print("\n### Connections (embedded store, --max-in-flight 2048)\n")
    header("workload", "connections", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "errors")
    data = tempfile.mkdtemp(prefix="carillon-bench-")
    # The default of 512 requests in progress would answer the excess of 1,024 connections 503.
    server = carillon("--data-dir", data, "--max-in-flight", "2048")
    try:
        for w in ["get-attendee", "create-attendee"]:
            for n in [1, 16, 64, 256, 1024]:
                r = run(server, w, "scaling", connections=n)
                lat = r["latency_us"]
                row(w, n, f"{r['rps']:,.0f}", ms(lat["p50"]), ms(lat["p99"]), ms(lat["p999"]),
                    errors(r))
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)


def fill(server, label, attendees):
    """Stores at least `attendees` attendees with batch-create runs; how many it stored."""
    stored = 0
    while stored < attendees:
        r = run(server, "batch-create", label, duration="10s", warmup="0s")
        stored += r["attendees"]
    return stored


def section_large_store():
    print("\n### A store of 1,000,000 attendees (embedded)\n")
    data = tempfile.mkdtemp(prefix="carillon-bench-")
    server = carillon("--data-dir", data)
    reads = ["get-attendee", "list-attendees", "create-attendee", "create-meeting"]
    try:
        empty = {w: run(server, w, "empty") for w in reads}
        started = time.monotonic()
        stored = fill(server, "fill", 1_000_000)
        took = time.monotonic() - started
        server.stop()
        size = sum(f.stat().st_size for f in Path(data).iterdir()) / 2**20
        server = carillon("--data-dir", data)
        start_to_ready = server.ready_after
        rss_idle = server.memory_mb()[0]
        full = {w: run(server, w, "full") for w in reads}
        rss, hwm = server.memory_mb()
        print(f"Stored {stored:,} attendees (and {stored // 200:,} meetings) in {took:.0f} s; "
              f"database {size:.0f} MB. After a restart: start to ready {start_to_ready * 1000:.0f}"
              f" ms, RSS {rss_idle:.0f} MB idle, {rss:.0f} MB after the runs below "
              f"(peak {hwm:.0f} MB).\n")
        header("workload", "empty store req/s", "p99 ms", "1M attendees req/s", "p99 ms")
        for w in reads:
            e, f = empty[w], full[w]
            row(w, f"{e['rps']:,.0f}", ms(e["latency_us"]["p99"]), f"{f['rps']:,.0f}",
                ms(f["latency_us"]["p99"]))
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)


def section_in_memory():
    print("\n### Memory per attendee, in-memory store\n")
    server = carillon("--in-memory")
    try:
        before = server.memory_mb()[0]
        stored = fill(server, "in-memory", 500_000)
        after = server.memory_mb()[0]
        print(f"RSS {before:.0f} MB empty, {after:.0f} MB with {stored:,} attendees (in "
              f"{stored // 200:,} meetings): {(after - before) * 2**20 / stored:.0f} bytes per "
              "stored attendee, its meeting's share included.")
    finally:
        server.stop()


def psql(sql):
    return subprocess.run(["psql", "-q", ADMIN_URL, "-c", sql], capture_output=True, text=True)


def section_postgres():
    print(f"\n### PostgreSQL, one node and three nodes ({CONNECTIONS} connections)\n")
    db = f"carillon_bench_{os.getpid()}"
    created = psql(f"CREATE DATABASE {db}")
    if created.returncode != 0:
        print(f"*** No PostgreSQL at {ADMIN_URL}: skipped ({created.stderr.strip()}) ***")
        return
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + db
    header("store", "workload", "req/s", "p50 ms", "p99 ms", "p99.9 ms",
           "server CPU µs/req (≤)", "errors")
    try:
        for n in [1, 3]:
            nodes = [carillon("--store-url", url) for _ in range(n)]
            try:
                for w in ["create-attendee", "batch-create", "get-attendee"]:
                    r = run(nodes, w, f"postgres-{n}")
                    lat = r["latency_us"]
                    row(f"PostgreSQL, {n} node{'s' if n > 1 else ''}", w, rate_cell(r),
                        ms(lat["p50"]), ms(lat["p99"]), ms(lat["p999"]),
                        f"{r['cpu_us_per_request']:.0f}", errors(r))
            finally:
                for node in nodes:
                    node.stop()
    finally:
        psql(f"DROP DATABASE IF EXISTS {db}")


def raise_nofile():
    """In a child before exec: the open-file limit up to the hard limit (10,000 sessions are
    10,000 sockets in the server, and as many in the load generator)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def signaling(server, workload, label, *args):
    """One `carillon-bench signaling` run against `server`; its JSON report."""
    path = OUT / f"signaling-{label}.json"
    cmd = [BENCH, "signaling", workload, "--endpoint", server.endpoint, "--server-pid",
           server.proc.pid, "--quiet", "--json", path, *args]
    subprocess.run([str(a) for a in cmd], check=True, stdout=subprocess.DEVNULL,
                   preexec_fn=raise_nofile)
    return json.loads(path.read_text())


def lat(r, name, q="p99"):
    return ms(r["latency"][name][q])


def wait_cell(r, phase):
    server = r["server_run_queue_wait_ms_per_s"].get(phase)
    bench = r["bench_run_queue_wait_ms_per_s"].get(phase)
    if server is None:
        return "-"
    return f"{server:.0f} / {bench:.0f}"


def section_signaling():
    print("\n### Signaling (embedded store)\n")
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = SIGNALING_SESSIONS + 512
    if hard != resource.RLIM_INFINITY and hard < needed:
        print(f"*** The hard open-file limit is {hard}, {needed} are needed: raise it "
              f"(ulimit -Hn, /etc/security/limits.conf) or set SIGNALING_SESSIONS. Skipped. ***")
        return
    results = {"sessions": [], "meeting": [], "joins-10": [], "joins-250": []}
    for run_number in range(1, SIGNALING_RUNS + 1):
        for workload, label, args in [
            ("sessions", "sessions", ["--sessions", SIGNALING_SESSIONS]),
            ("meeting", "meeting", []),
            ("joins", "joins-10", ["--per-meeting", "10"]),
            ("joins", "joins-250", ["--per-meeting", "250"]),
        ]:
            # A fresh server per run: the memory baseline is its own.
            data = tempfile.mkdtemp(prefix="carillon-bench-")
            server = carillon("--data-dir", data, preexec_fn=raise_nofile)
            try:
                results[label].append(signaling(server, workload, f"{label}-{run_number}", *args))
            finally:
                server.stop()
                shutil.rmtree(data, ignore_errors=True)

    print(f"{SIGNALING_SESSIONS:,} sessions joined and subscribed (meetings of 250), held 30 s, "
          "each pinging every 10 s at its own phase; server RSS from /proc before the sessions "
          "and at the end of the hold.\n")
    header("run", "sessions open", "RSS before MB", "RSS with sessions MB", "KB per session",
           "server CPU while held", "ping RTT p99 ms", "joining: open→INDEX p99 ms", "errors")
    for i, r in enumerate(results["sessions"], start=1):
        m = r["memory"]
        row(i, f"{m['sessions']:,}", f"{m['rss_before_kib'] / 1024:.1f}",
            f"{m['rss_with_sessions_kib'] / 1024:.1f}", f"{m['bytes_per_session'] / 1000:.1f}",
            f"{r['server_cpu_cores']['hold'] * 100:.1f}%", lat(r, "ping_rtt"),
            lat(r, "open_to_index"), r["errors"])

    print("\nOne meeting of 250: fill at 50 joins/s; 20 s of data messages at 100/s from 4 "
          "senders; 100 rejoins into the full meeting at 5/s. \"All\" is per join (message): "
          "the last of the other members to receive it.\n")
    header("run", "presence p50 / p99 ms, fill (all)", "presence p99 ms, rejoin (all)",
           "data p50 / p99 ms (all)", "data p99 ms (each)", "data received / expected",
           "throttled", "incomplete joins", "run-queue wait ms/s server / bench (data)",
           "errors")
    for i, r in enumerate(results["meeting"], start=1):
        c = r["counts"]
        row(i, f"{lat(r, 'presence_fill_all', 'p50')} / {lat(r, 'presence_fill_all')}",
            lat(r, "presence_rejoin_all"),
            f"{lat(r, 'data_all', 'p50')} / {lat(r, 'data_all')}", lat(r, "data_each"),
            f"{c['data_received']:,} / {c['data_expected']:,}", c["data_throttled"],
            c["joins_fill_incomplete"] + c["joins_rejoin_incomplete"], wait_cell(r, "data"),
            r["errors"])

    print("\nJoins at 200/s, open loop (a join started every 5 ms, 2 s of warm-up, 20 s "
          "measured); every session stays until the end.\n")
    header("run", "meeting size", "open→INDEX p50 / p99 / p99.9 ms",
           "SUBSCRIBE→ACK p50 / p99 / p99.9 ms", "start lateness p99 ms", "server CPU",
           "run-queue wait ms/s server / bench", "errors")
    for label, size in [("joins-10", 10), ("joins-250", 250)]:
        for i, r in enumerate(results[label], start=1):
            q = lambda name: " / ".join(lat(r, name, p) for p in ["p50", "p99", "p999"])
            row(i, size, q("open_to_index"), q("subscribe_to_ack"), lat(r, "start_lateness"),
                f"{r['server_cpu_cores']['measured'] * 100:.1f}%", wait_cell(r, "measured"),
                r["errors"])


def section_audio():
    print("\n### Meeting audio (in-memory store)\n")
    print(f"Meetings of 10, 2 speakers each (a 200 ms tone burst a second, the other 8 muted and "
          f"sending silence frames), every participant a WebRTC client (str0m) on its own UDP "
          f"socket in one carillon-bench process; 5 s of warm-up, {AUDIO_DURATION} measured; a "
          "fresh server per run. Latency: a burst's first frame sent → the first packet whose "
          "decoded audio shows it, arrived (the kernel's receive timestamp). Load average: 1 "
          "minute, at the start / end.\n")
    header("participants", "run", "load avg", "server CPU", "CPU ms / participant-s",
           "KB / participant", "ticks late %", "late or skipped %", "packets/s in / out",
           "per listener /s (lowest)", "latency p50 / p90 / p99 / max ms", "onsets timed",
           "generator CPU", "errors")
    for size in AUDIO_SIZES:
        for run_number in range(1, AUDIO_RUNS + 1):
            server = carillon("--in-memory", preexec_fn=raise_nofile)
            path = OUT / f"audio-{size}-{run_number}.json"
            try:
                cmd = [BENCH, "audio", "--endpoint", server.endpoint, "--server-pid",
                       server.proc.pid, "--meetings", max(size // 10, 1), "--per-meeting", "10",
                       "--speakers", "2", "--duration", AUDIO_DURATION, "--warmup", "5s",
                       "--quiet", "--json", path]
                subprocess.run([str(a) for a in cmd], check=True, stdout=subprocess.DEVNULL,
                               preexec_fn=raise_nofile)
            finally:
                server.stop()
            r = json.loads(path.read_text())
            s, t, p, l = r["server"], r["ticks"], r["packets"], r["latency"]
            row(r["participants"], run_number,
                f"{r['load_average_start'][0]:.2f} / {r['load_average_end'][0]:.2f}",
                f"{s['cpu_cores'] * 100:.0f}%", f"{s['cpu_ms_per_participant_second']:.2f}",
                f"{s['kib_per_participant']:.0f}", f"{t['late_percent']:.2f}",
                f"{t['late_or_skipped_percent']:.2f}",
                f"{p['server_in_per_s']:,.0f} / {p['server_out_per_s']:,.0f}",
                f"{p['per_listener_mean']:.2f} ({p['per_listener_min']:.2f})",
                " / ".join(ms(l[q]) for q in ["p50", "p90", "p99", "max"]),
                f"{r['onsets']['timed']:,} / {r['onsets']['expected']:,}",
                f"{r['generator']['cpu_cores'] * 100:.0f}%", r["errors"])


def main():
    subprocess.run(["cargo", "build", "--release", "--locked", "-p", "carillon", "-p",
                    "carillon-bench"], cwd=ROOT, check=True)
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"Carillon benchmarks, {time.strftime('%Y-%m-%d')}: {os.cpu_count()} cores, "
          f"{DURATION} per run after {WARMUP} of warm-up, durable writes, quotas off.")
    # Imported here: it uses this file as the module `bench`.
    from bench_events import section_events
    sections = [section_workloads, section_open_loop, section_scaling, section_large_store,
                section_in_memory, section_postgres, section_signaling, section_events,
                section_audio]
    for number, section in enumerate(sections, start=1):
        if number in SECTIONS:
            section()
            sys.stdout.flush()


if __name__ == "__main__":
    main()
