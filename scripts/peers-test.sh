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
#
# Peers are found through MOSQUITTO_BIN (default: mosquitto on PATH) and MINISTACK_BIN
# (default: the venv this script makes in target/peers/ministack). A missing peer fails
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

MINISTACK_VERSION=1.5.33
VENV=target/peers/ministack
if [ -z "${MINISTACK_BIN:-}" ]; then
  if [ ! -x "$VENV/bin/ministack" ]; then
    if ! command -v python3 >/dev/null || ! python3 -m venv "$VENV" 2>/dev/null; then
      # A clean Debian has neither python3 nor, with it, python3-venv.
      rm -rf "$VENV"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        python3 python3-venv >/dev/null
      python3 -m venv "$VENV"
    fi
    "$VENV/bin/pip" install -q "ministack==$MINISTACK_VERSION"
  fi
  export MINISTACK_BIN="$PWD/$VENV/bin/ministack"
fi

cargo test --locked -p ota-sim --test peer_mosquitto -- --ignored
cargo test --locked -p ota-examples --test peer_ministack -- --ignored
