#!/usr/bin/env bash
# Builds every cargo-fuzz target and runs each for a short while on its committed seed
# corpus (default 10 s; FUZZ_SECONDS to change). Any crash fails the script.
# Needs a nightly toolchain; installs cargo-fuzz when missing.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${FUZZ_SECONDS:-10}"

if ! rustup toolchain list | grep -q '^nightly'; then
  echo "fuzz-smoke: no nightly toolchain; install one with 'rustup toolchain install nightly'" >&2
  exit 1
fi
# An older nightly already installed may not build the workspace (edition 2024 crates):
# update it when it is older than the workspace's rust-version.
. ../scripts/lib/debian-rust.sh # workspace_rust_version, version_at_least
nightly=$(rustc +nightly --version | sed -n 's/^rustc \([0-9][0-9.]*\).*/\1/p')
if ! version_at_least "$nightly" "$(workspace_rust_version)"; then
  echo "fuzz-smoke: nightly $nightly is older than the workspace's rust-version: updating it"
  rustup update nightly
fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

cargo +nightly fuzz build
for target in $(cargo +nightly fuzz list); do
  echo "fuzz-smoke: $target for ${seconds}s"
  # Run on a scratch copy so the committed seed corpus stays small.
  work=$(mktemp -d)
  cp -r "corpus/$target/." "$work/" 2>/dev/null || true
  cargo +nightly fuzz run "$target" "$work" -- -max_total_time="$seconds" -print_final_stats=0 2>&1 | tail -n 2
  rm -rf "$work"
done
echo "fuzz-smoke: ok"
