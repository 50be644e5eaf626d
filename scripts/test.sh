#!/usr/bin/env bash
# The whole test suite: format and lint checks, Rust unit and integration tests (the integration
# tests drive a real server with the official AWS SDK for Rust), then two Python suites against a
# real server, each in a virtual environment this script creates: the current API with a recent
# boto3 (.venv-test), and the legacy `chime` meeting API with botocore 1.35.99, the last release
# that has those operations (.venv-legacy). Then the AWS SDK for JavaScript v3 suite (tests/js-sdk):
# every operation and error of both APIs through @aws-sdk/client-chime-sdk-meetings and the legacy
# @aws-sdk/client-chime, pinned in its package-lock.json.
#
# The PostgreSQL store's tests (its conformance suite, the three-node cluster and fault tests) use
# the local server, postgres://postgres@127.0.0.1:5432 with trust authentication (or
# CARILLON_TEST_POSTGRES_URL), each in a database of its own that is dropped afterwards. Without
# a reachable server they are skipped with a loud message, except with CI=true, where that fails.
#
# carillon-events' tests send to SQS, SNS and EventBridge through moto's server mode, installed in
# .venv-moto from tests/moto/requirements.txt (CARILLON_TEST_MOTO); without it they are skipped
# with a loud message, except with CI=true, where that fails.
#
# The load balancer test puts nginx, with the deployment guide's configuration, in front of three
# nodes. The browser suite runs the unmodified Amazon Chime SDK for JavaScript (npm, pinned in
# tests/browser/package-lock.json) in Debian's headless Chromium driven by playwright-core,
# including the example page (examples/browser), and drives the admin listener's dashboard; the
# SDK's own codec also checks the signaling frames from a Rust test. nginx, Chromium and Node.js are installed from Debian's packages when
# they are missing, and the npm packages before the Rust tests need them. cmake too, which builds
# the libopus that meeting audio mixes with.
set -euo pipefail
cd "$(dirname "$0")/.."

# apt_install PACKAGE...: installs Debian packages, refreshing the package lists if needed.
apt_install() {
  local sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "$@" \
    || { $sudo apt-get update -q \
      && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "$@"; }
}

if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  echo "== installing nginx (Debian package nginx-light)"
  apt_install nginx-light || echo "*** could not install nginx: the load balancer test will say so ***"
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "== installing Node.js (Debian packages nodejs, npm)"
  apt_install nodejs npm
fi
if ! command -v cmake >/dev/null; then
  # carillon-media builds libopus from the source the opus crate bundles, with cmake.
  echo "== installing cmake (Debian package cmake)"
  apt_install cmake
fi
if [ ! -x /usr/bin/chromium ]; then
  echo "== installing Chromium (Debian package chromium)"
  apt_install chromium
fi

echo "== npm packages of the browser suite and the example page"
npm --prefix tests/browser ci --no-audit --no-fund
npm --prefix tests/browser run build
npm --prefix examples/browser ci --no-audit --no-fund
npm --prefix examples/browser run build

echo "== cargo fmt"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

# The server binary, for the load generator's end-to-end test and the Python suites.
cargo build --locked --bin carillon
export CARILLON_BIN="$PWD/target/debug/carillon"

# moto's server mode, the SQS, SNS and EventBridge endpoint of carillon-events' tests
# (pinned in tests/moto/requirements.txt).
echo "== moto server (.venv-moto)"
if [ ! -x .venv-moto/bin/python ]; then
  python3 -m venv .venv-moto
fi
.venv-moto/bin/pip install --quiet --disable-pip-version-check -r tests/moto/requirements.txt
export CARILLON_TEST_MOTO="$PWD/.venv-moto/bin/moto_server"

echo "== cargo test"
cargo test --workspace --locked

# python_suite VENV DIR: installs DIR/requirements.txt into VENV, then runs pytest on DIR.
python_suite() {
  local venv=$1 dir=$2
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$dir/requirements.txt"
  "$venv/bin/python" -m pytest -q "$dir"
}

echo "== python suite: current API (boto3)"
python_suite .venv-test tests/python

echo "== python suite: legacy API (botocore 1.35.99)"
python_suite .venv-legacy tests/python-legacy

echo "== JavaScript SDK suite (AWS SDK for JavaScript v3, both APIs)"
npm --prefix tests/js-sdk ci --no-audit --no-fund
(cd tests/js-sdk && node --test test/*.test.mjs)

echo "== browser suite (Amazon Chime SDK for JavaScript, and the dashboard, in headless Chromium)"
(cd tests/browser && node --test test/*.test.mjs)
