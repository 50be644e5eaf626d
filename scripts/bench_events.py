"""Section 8 of scripts/bench.py: meeting events (see "Meeting events" in BENCHMARKS.md).

- CreateAttendee (closed loop, CONNECTIONS) on a durable embedded store with events off, and
  with events on delivered to a webhook (carillon-bench webhook-sink on this machine, the
  deliverer running), alternated EVENT_RUNS times; the sink's arrivals give the delivery rate
  and how long the backlog took to drain after the load stopped;
- CreateAttendee at 1,000 requests/s (open loop): each AttendeeAdded's arrival at the sink minus
  its detail.timestamp;
- the same at EVENT_SQS_RATE requests/s with every meeting's NotificationsConfiguration naming
  an SQS queue of moto (CARILLON_TEST_MOTO, skipped when unset), the deliveries counted from the
  server's /metrics; and moto's own SendMessage rate from one client, for comparison.

- a backlog built while the webhook is down, then drained with no API load: the delivery rate
  to one webhook receiver.

EVENT_PARTS (default "throughput,latency,drain,sqs") picks some of the four.
"""

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request

import bench

EVENT_RUNS = int(os.environ.get("EVENT_RUNS", "2"))
EVENT_RATE = int(os.environ.get("EVENT_RATE", "1000"))
EVENT_SQS_RATE = int(os.environ.get("EVENT_SQS_RATE", "100"))
MOTO = os.environ.get("CARILLON_TEST_MOTO")
SECRET = "bench-secret"
# moto routes a request to a service by the credential scope of its Authorization header; it
# checks no signature.
MOTO_AUTH = {"Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/"
             "aws4_request, SignedHeaders=host, Signature=00"}


class Sink:
    """carillon-bench webhook-sink on a free port; its report once it went idle."""

    def __init__(self, label, warmup="0s", idle="3s"):
        self.path = bench.OUT / f"events-sink-{label}.json"
        self.proc = subprocess.Popen(
            [str(bench.BENCH), "webhook-sink", "--listen", "127.0.0.1:0", "--warmup", warmup,
             "--idle", idle, "--max-duration", "10m", "--quiet", "--json", str(self.path)],
            stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        self.url = line.rsplit(" ", 1)[-1].strip() + "/events"

    def report(self):
        self.proc.communicate(timeout=700)
        return json.loads(self.path.read_text())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()


def server(data, *args):
    return bench.carillon("--data-dir", data, *args)


def webhook_args(sink):
    return ["--webhook", f"sink={sink.url}", "--webhook-secret", SECRET]


def throughput():
    print(f"\n### CreateAttendee with events off and on ({bench.CONNECTIONS} connections, "
          "durable embedded store)\n")
    bench.header("run", "events", "req/s", "p50 ms", "p99 ms", "server CPU µs/req (≤)",
                 "errors", "delivered", "delivery rate during load /s", "drained after s")
    ratios = []
    for i in range(1, EVENT_RUNS + 1):
        figures = {}
        for events in ["off", "on"]:
            data = tempfile.mkdtemp(prefix="carillon-bench-")
            sink = Sink(f"throughput-{i}") if events == "on" else None
            extra = webhook_args(sink) if sink else ["--events", "off"]
            s = server(data, *extra)
            try:
                r = bench.run(s, "create-attendee", f"events-{events}-{i}")
                lat = r["latency_us"]
                cells = ["-", "-", "-"]
                if sink:
                    k = sink.report()
                    load_s = bench_seconds()
                    during = sum(k["per_second"][:int(load_s)])
                    drained = max(k["first_to_last_s"] - load_s, 0)
                    cells = [f"{k['distinct']:,}", f"{during / load_s:,.0f}", f"{drained:.1f}"]
                bench.row(i, events, f"{r['rps']:,.0f}", bench.ms(lat["p50"]),
                          bench.ms(lat["p99"]), f"{r['cpu_us_per_request']:.0f}",
                          bench.errors(r), *cells)
                figures[events] = r["rps"]
            finally:
                s.stop()
                if sink:
                    sink.stop()
                shutil.rmtree(data, ignore_errors=True)
        ratios.append(figures["on"] / figures["off"])
    print("\nEvents on / off: " + ", ".join(f"{r:.2f}" for r in ratios))


def drain():
    """A backlog recorded while the webhook is down (its deliveries retried every 100-200 ms),
    then delivered with no API load once the sink listens: the rate of one webhook's delivery."""
    print("\n### Delivery rate to one webhook: a backlog drained with no API load\n")
    bench.header("run", "backlog built at req/s", "delivered", "in s", "mean /s", "peak /s")
    for i in range(1, EVENT_RUNS + 1):
        data = tempfile.mkdtemp(prefix="carillon-bench-")
        port = bench.free_port()
        s = server(data, "--webhook", f"sink=http://127.0.0.1:{port}/events", "--webhook-secret",
                   SECRET, "--event-max-attempts", "1000", "--event-retry-initial", "100ms",
                   "--event-retry-max", "200ms")
        try:
            r = bench.run(s, "create-attendee", f"events-backlog-{i}", warmup="0s")
            path = bench.OUT / f"events-sink-drain-{i}.json"
            subprocess.run([str(bench.BENCH), "webhook-sink", "--listen", f"127.0.0.1:{port}",
                            "--idle", "2s", "--quiet", "--json", str(path)], check=True,
                           stdout=subprocess.DEVNULL)
            k = json.loads(path.read_text())
            bench.row(i, f"{r['rps']:,.0f}", f"{k['distinct']:,}", f"{k['first_to_last_s']:.2f}",
                      f"{k['mean_rate']:,.0f}", f"{k['peak_rate']:,}")
        finally:
            s.stop()
            shutil.rmtree(data, ignore_errors=True)


def bench_seconds():
    """The load's length, warm-up included, in seconds."""
    return sum(float(d.rstrip("s")) for d in [bench.DURATION, bench.WARMUP])


def latency():
    print(f"\n### Delivery latency at {EVENT_RATE:,} events/s (open loop CreateAttendee, "
          "one AttendeeAdded each, webhook on this machine)\n")
    bench.header("run", "sent req/s", "events timed", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms",
                 "max ms", "duplicates", "API p99 ms")
    for i in range(1, EVENT_RUNS + 1):
        data = tempfile.mkdtemp(prefix="carillon-bench-")
        sink = Sink(f"latency-{i}", warmup=bench.WARMUP)
        s = server(data, *webhook_args(sink))
        try:
            r = bench.run(s, "create-attendee", f"events-latency-{i}", rate=EVENT_RATE)
            k = sink.report()
            lat = k["latency_us"]
            bench.row(i, f"{r['rps']:,.0f}", f"{k['latency_recorded']:,}", bench.ms(lat["p50"]),
                      bench.ms(lat["p90"]), bench.ms(lat["p99"]), bench.ms(lat["p999"]),
                      bench.ms(lat["max"]), k["duplicates"], bench.ms(r["latency_us"]["p99"]))
        finally:
            s.stop()
            sink.stop()
            shutil.rmtree(data, ignore_errors=True)


def moto_call(endpoint, body):
    request = urllib.request.Request(endpoint, data=body, headers=MOTO_AUTH)
    urllib.request.urlopen(request, timeout=10).read()


def moto_send_rate(endpoint, queue_url, threads=8, seconds=5):
    """SendMessage calls per second moto answers from `threads` clients (no SDK, unsigned)."""
    sent = [0] * threads
    deadline = time.monotonic() + seconds

    def loop(n):
        body = urllib.parse.urlencode({"Action": "SendMessage", "QueueUrl": queue_url,
                                       "MessageBody": "x" * 700}).encode()
        while time.monotonic() < deadline:
            moto_call(endpoint, body)
            sent[n] += 1

    workers = [threading.Thread(target=loop, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(sent) / seconds


def sqs():
    print(f"\n### Delivery to SQS (moto), CreateAttendee at {EVENT_SQS_RATE:,} requests/s\n")
    if not MOTO:
        print("Skipped: CARILLON_TEST_MOTO is not set (the moto_server to use).")
        return
    port = bench.free_port()
    endpoint = f"http://127.0.0.1:{port}"
    moto = subprocess.Popen([MOTO, "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(endpoint + "/moto-api/", timeout=1).read()
                break
            except OSError:
                time.sleep(0.05)
        body = urllib.parse.urlencode({"Action": "CreateQueue", "QueueName": "bench"}).encode()
        moto_call(endpoint, body)
        arn = "arn:aws:sqs:us-east-1:123456789012:bench"
        queue_url = f"{endpoint}/123456789012/bench"
        bench.header("run", "sent req/s", "delivered", "delivery rate /s (mean)", "peak /s",
                     "drained after s")
        for i in range(1, EVENT_RUNS + 1):
            data = tempfile.mkdtemp(prefix="carillon-bench-")
            s = server(data, "--sqs-endpoint", endpoint)
            path = bench.OUT / f"events-sqs-{i}.json"
            watch = subprocess.Popen(
                [str(bench.BENCH), "deliveries", "--endpoint", s.endpoint, "--kind", "sqs",
                 "--idle", "5s", "--quiet", "--json", str(path)], stdout=subprocess.DEVNULL)
            try:
                r = bench.run(s, "create-attendee", f"events-sqs-{i}", rate=EVENT_SQS_RATE,
                              extra=["--notifications-sqs", arn])
                watch.wait(timeout=900)
                w = json.loads(path.read_text())
                drained = max(w["first_to_last_s"] - bench_seconds(), 0)
                bench.row(i, f"{r['rps']:,.0f}", f"{w['delivered']:,}",
                          f"{w['mean_rate']:,.0f}", f"{w['peak_rate']:,}", f"{drained:.1f}")
            finally:
                if watch.poll() is None:
                    watch.terminate()
                s.stop()
                shutil.rmtree(data, ignore_errors=True)
        print(f"\nmoto alone: {moto_send_rate(endpoint, queue_url):,.0f} SendMessage/s "
              "(8 Python threads, SQS query protocol, 700-byte bodies).")
    finally:
        moto.terminate()
        moto.wait()


def section_events():
    parts = os.environ.get("EVENT_PARTS", "throughput,latency,drain,sqs").split(",")
    for name, part in [("throughput", throughput), ("latency", latency), ("drain", drain),
                       ("sqs", sqs)]:
        if name in parts:
            part()
