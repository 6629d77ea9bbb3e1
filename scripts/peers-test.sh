#!/usr/bin/env bash
# Interop with peers nobody here wrote: installs them, then runs the tests that need them
# (`#[ignore]`d in the default `cargo test`, which needs nothing but Rust).
#
#   mosquitto  (Debian package)   ota-sim/tests/peer_mosquitto.rs: the gateway and 100 device
#                                 runners on the literal $aws/... topics, one job to the end.
#
# Peers are found through MOSQUITTO_BIN (default: mosquitto on PATH). A missing peer fails
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

cargo test --locked -p ota-sim --test peer_mosquitto -- --ignored
