#!/usr/bin/env bash
# CreateAttendee, BatchCreateAttendee and GetAttendee on the PostgreSQL store, with one node and
# with three nodes on one database (connections spread round-robin over the nodes), and the same
# workloads on the embedded store for comparison. Prints one Markdown table row per run and keeps
# the JSON reports in $OUT (default target/bench-postgres).
#
#   scripts/bench-postgres.sh                 # 10 s per run after 2 s of warm-up, 64 connections
#   DURATION=30s CONNECTIONS=128 scripts/bench-postgres.sh
#
# The PostgreSQL server is CARILLON_TEST_POSTGRES_URL (default the local one with trust
# authentication); a database carillon_bench_<pid> is created on it and dropped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
CONNECTIONS=${CONNECTIONS:-64}
OUT=${OUT:-target/bench-postgres}
ADMIN_URL=${CARILLON_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
DB=carillon_bench_$$
DB_URL="${ADMIN_URL%/*}/$DB"

cargo build --release --locked -p carillon -p carillon-bench
SERVER=target/release/carillon
BENCH=target/release/carillon-bench
mkdir -p "$OUT"

PIDS=()
stop_nodes() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}
cleanup() {
  stop_nodes
  psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# start_nodes N STORE_ARGS...: N nodes on ports 18080, 18090, ...; sets ENDPOINTS.
start_nodes() {
  local n=$1
  shift
  ENDPOINTS=()
  for i in $(seq 0 $((n - 1))); do
    local port=$((18080 + 10 * i))
    "$SERVER" --listen "127.0.0.1:$port" --legacy-listen off --quotas off "$@" \
      2>"$OUT/node-$i.log" >/dev/null &
    PIDS+=($!)
    ENDPOINTS+=(--endpoint "http://127.0.0.1:$port")
  done
  for i in $(seq 0 $((n - 1))); do
    local port=$((18080 + 10 * i))
    for _ in $(seq 100); do
      curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break
      sleep 0.1
    done
  done
}

# run LABEL WORKLOAD: one run, one table row.
run() {
  local label=$1 workload=$2 json="$OUT/$1-$2.json"
  "$BENCH" run "${ENDPOINTS[@]}" --workload "$workload" --connections "$CONNECTIONS" \
    --duration "$DURATION" --warmup "$WARMUP" --quiet --json "$json" >/dev/null
  python3 - "$label" "$json" <<'EOF'
import json, sys
label, path = sys.argv[1], sys.argv[2]
r = json.load(open(path))
l = r["latency_us"]
ms = lambda us: f"{us / 1000:.1f}"
errors = sum(v for k, v in r["statuses"].items() if k != "200") + r["transport_errors"]
attendees = f"{r['attendees_per_sec']:,.0f}" if r["attendees"] else ""
print(f"| {label} | {r['workload']} | {r['connections']} | {r['rps']:,.0f} | {attendees} | "
      f"{ms(l['p50'])} | {ms(l['p99'])} | {ms(l['p999'])} | {errors} |")
EOF
}

echo "| store | workload | connections | requests/s | attendees/s | p50 ms | p99 ms | p99.9 ms | errors |"
echo "|---|---|---|---|---|---|---|---|---|"

psql -q "$ADMIN_URL" -c "CREATE DATABASE $DB" >/dev/null
for nodes in 1 3; do
  start_nodes "$nodes" --store-url "$DB_URL"
  for workload in create-attendee batch-create get-attendee; do
    run "postgres-$nodes-node" "$workload"
  done
  stop_nodes
done

DATA=$(mktemp -d)
start_nodes 1 --data-dir "$DATA"
for workload in create-attendee batch-create get-attendee; do
  run "embedded" "$workload"
done
stop_nodes
rm -rf "$DATA"
