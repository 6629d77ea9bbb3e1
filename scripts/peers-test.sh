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
#                                 CreateJob (moto echoes configurations without enforcing).
#
# Peers are found through MOSQUITTO_BIN (default: mosquitto on PATH), MINISTACK_BIN and
# MOTO_SERVER_BIN (default: the venvs this script makes in target/peers/). A missing peer fails
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

# venv DIR REQUIREMENT BIN: a venv in DIR with REQUIREMENT installed, unless DIR/bin/BIN exists.
venv() {
  local dir=$1 requirement=$2 bin=$3
  if [ ! -x "$dir/bin/$bin" ]; then
    if ! command -v python3 >/dev/null || ! python3 -m venv "$dir" 2>/dev/null; then
      # A clean Debian has neither python3 nor, with it, python3-venv.
      rm -rf "$dir"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        python3 python3-venv >/dev/null
      python3 -m venv "$dir"
    fi
    "$dir/bin/pip" install -q "$requirement"
  fi
}
if [ -z "${MINISTACK_BIN:-}" ]; then
  venv target/peers/ministack "ministack==1.5.33" ministack
  export MINISTACK_BIN="$PWD/target/peers/ministack/bin/ministack"
fi
if [ -z "${MOTO_SERVER_BIN:-}" ]; then
  venv target/peers/moto "moto[server]==5.2.1" moto_server
  export MOTO_SERVER_BIN="$PWD/target/peers/moto/bin/moto_server"
fi

# With the workspace's features, as the README's test command builds them, so that its build
# is reused (a narrower feature set rebuilt a third of the workspace: 3 minutes in CI).
cargo test --locked --workspace --all-features \
  --test peer_mosquitto --test peer_ministack --test peer_aws --test peer_aws_cli -- --ignored
