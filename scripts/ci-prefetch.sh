#!/usr/bin/env bash
# What CI's later steps install, fetched while the first build compiles: downloads and
# unpacking wait on the network and the disk, the build on the CPU. Every later script still
# checks for what it needs and installs what is missing, so this only saves time (and a
# failure here fails nothing). Needs root, as .ci/run has.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/debian-rust.sh # ensure_debian_rust
. scripts/lib/venv.sh        # pinned_venv and the pinned versions

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# scripts/peers-test.sh (mosquitto, chromium) and the Python venvs below.
apt-get install -y -qq --no-install-recommends mosquitto chromium python3 python3-venv >/dev/null
# scripts/no-std-check.sh and scripts/qemu-firmware.sh.
ensure_debian_rust rustc-web cargo-web rust-web-src rust-web-llvm lld-22 qemu-system-arm
pinned_venv target/peers/ministack ministack "$MINISTACK_VERSION"
pinned_venv target/peers/moto moto "$MOTO_VERSION" "[server]"
pinned_venv target/peers/schemathesis schemathesis "$SCHEMATHESIS_VERSION"
echo "ci-prefetch: done"
