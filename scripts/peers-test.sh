#!/usr/bin/env bash
# Interop with peers nobody here wrote: installs them, then runs the tests that need them
# (`#[ignore]`d in the default `cargo test`, which needs nothing but Rust).
#
#   mosquitto  (Debian package)   ota-sim/tests/peer_mosquitto.rs: the gateway and 100 device
#                                 runners on the literal $aws/... topics, one job to the end;
#                                 a 100-device staged campaign (ota-sim over MQTT), again with
#                                 mosquitto killed and restarted mid-campaign; a thing that
#                                 cannot publish as another under the recommended ACL.
#   MiniStack  (PyPI, pinned)     examples/tests/peer_ministack.rs: an independent AWS IoT
#                                 Jobs + S3 emulator; linux-device over WebSocket completes a
#                                 job with a pre-signed URL, a VersionMismatch, a cancellation.
#                                 ota-cloud/tests/peer_aws.rs: the `aws` backend (aws-sdk-iot,
#                                 iot-jobs-data, S3) runs the conformance suite, with
#                                 MiniStack's divergences listed; bad input, the endpoint
#                                 down, lists past 1,000, S3 uploads whole and multipart.
#                                 ota-cloud/tests/peer_aws_cli.rs: the CLI as a pipeline runs
#                                 it: release --publish, job create/describe/cancel/list, and
#                                 campaigns run to the end, stopped by a gate, paused,
#                                 stopped, and resumed after the endpoint was down.
#   moto       (PyPI, pinned)     ota-cloud/tests/peer_aws.rs: wire shape of the lowered
#                                 CreateJob (moto echoes configurations without enforcing);
#                                 a thing's executions listed in pages of 2.
#   Chromium   (Debian package)   ota-cloud/tests/dashboard_chromium.rs: the dashboard of a
#                                 service with a campaign part-way loads without console
#                                 errors and shows each stage's counts as the API gives them;
#                                 its screenshot goes to target/dashboard.png.
#
# Peers are found through MOSQUITTO_BIN (default: mosquitto on PATH), MINISTACK_BIN and
# MOTO_SERVER_BIN (default: the venvs this script makes in target/peers/, reused only when
# they hold the pinned version), CHROMIUM_BIN (default: chromium on PATH). A missing peer fails
# the tests; OTA_PEERS_OPTIONAL=1 turns that into a "skipped" line (never set by .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v "${MOSQUITTO_BIN:-mosquitto}" >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mosquitto >/dev/null
  else
    echo "mosquitto is not installed and this is not root: apt-get install mosquitto" >&2
  fi
fi
# The package may start a system broker on 1883; the tests start their own on free ports.

. scripts/lib/venv.sh
if [ -z "${MINISTACK_BIN:-}" ]; then
  pinned_venv target/peers/ministack ministack "$MINISTACK_VERSION"
  export MINISTACK_BIN="$PWD/target/peers/ministack/bin/ministack"
fi
if [ -z "${MOTO_SERVER_BIN:-}" ]; then
  pinned_venv target/peers/moto moto "$MOTO_VERSION" "[server]"
  export MOTO_SERVER_BIN="$PWD/target/peers/moto/bin/moto_server"
fi
if [ -z "${CHROMIUM_BIN:-}" ]; then
  if ! command -v chromium >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        chromium >/dev/null
    else
      echo "chromium is not installed and this is not root: apt-get install chromium" >&2
    fi
  fi
  CHROMIUM_BIN=$(command -v chromium || echo chromium)
  export CHROMIUM_BIN
fi
# The dashboard's screenshot, kept with the docs when it changes.
export DASHBOARD_SCREENSHOT=${DASHBOARD_SCREENSHOT:-$PWD/target/dashboard.png}

# With the workspace's features, as the README's test command builds them, so that its build
# is reused (a narrower feature set rebuilt a third of the workspace: 3 minutes in CI).
cargo test --locked --workspace --all-features \
  --test peer_mosquitto --test peer_ministack --test peer_aws --test peer_aws_cli \
  --test dashboard_chromium -- --ignored
