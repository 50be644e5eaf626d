#!/usr/bin/env bash
# The whole test suite: format and lint checks, Rust unit and integration tests (the integration
# tests drive a real server with the official AWS SDK for Rust), then the Python suite (boto3,
# installed into .venv-test) against a real server.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo test"
cargo test --workspace --locked

echo "== python suite (boto3)"
venv=.venv-test
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/python/requirements.txt
cargo build --locked --bin carillon
CARILLON_BIN="$PWD/target/debug/carillon" "$venv/bin/python" -m pytest -q tests/python
