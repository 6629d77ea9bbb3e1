#!/usr/bin/env bash
# Proves that ota-core (and, once it exists, ota-device) build for a Cortex-M4F target with
# only `core`: with -Zbuild-std=core there is no `alloc` crate at all, so any allocation
# anywhere in the dependency graph fails the build.
#
# Needs Debian's rustc-web / cargo-web / rust-web-src (Rust 1.96 with the standard library
# sources); installs them when missing or older than the workspace's rust-version (as root,
# through apt-get).
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib/debian-rust.sh
ensure_debian_rust rustc-web cargo-web rust-web-src

export RUSTC=/usr/bin/rustc
export RUSTC_BOOTSTRAP=1
CARGO=/usr/bin/cargo
TARGET=thumbv7em-none-eabihf

# ota-device with `peer` compiles the scripted service too; the client itself is generic
# and is instantiated (and so fully proven) by the QEMU firmware in examples/cortex-m. Its
# default features (afr-ota, json-streams) and small-stack are checked too, and
# p256-accelerator (P-256 verification by the application's accelerator), and its log lines
# through defmt (with log too: defmt is the one used on this target).
for spec in "ota-core:" "ota-core:small-stack" "ota-device:peer" \
  "ota-device:peer,afr-ota,json-streams,small-stack" "ota-device:peer,p256-accelerator" \
  "ota-device:peer,afr-ota,json-streams,defmt,log"; do
  pkg=${spec%%:*}
  features=${spec#*:}
  echo "no-std-check: $pkg --no-default-features ${features:+--features $features} for $TARGET with build-std=core"
  "$CARGO" build --release -Zbuild-std=core --target "$TARGET" \
    -p "$pkg" --no-default-features ${features:+--features "$features"} --target-dir target/thumb
done
echo "no-std-check: ok (no alloc anywhere in the graph)"
