#!/usr/bin/env bash
# Tests scripts/lib/debian-rust.sh without touching the machine: rustc's version and apt-get
# are stubbed. Run by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/debian-rust.sh

fail() { echo "test-debian-rust: FAILED: $*" >&2; exit 1; }
log=$(mktemp)
DEBIAN_RUST_SRC=$(mktemp -d) # the library sources are there; only the version is at stake
trap 'rm -rf "$log" "$DEBIAN_RUST_SRC"' EXIT
apt-get() { echo "apt-get $*" >>"$log"; [ "$1" != install ] || installed=1; }

# An up-to-date toolchain: nothing installed.
installed=0
debian_rustc_version() { echo 1.96.0; }
: >"$log"
ensure_debian_rust rustc-web cargo-web rust-web-src >/dev/null || fail "1.96 refused"
[ ! -s "$log" ] || fail "1.96 ran apt-get: $(cat "$log")"

# An older rustc-web (1.85) already installed: upgraded, then accepted.
installed=0
debian_rustc_version() { if [ "$installed" = 1 ]; then echo 1.96.0; else echo 1.85.0; fi; }
: >"$log"
out=$(ensure_debian_rust rustc-web cargo-web rust-web-src) || fail "upgrade from 1.85 failed"
grep -q "install -y -qq --no-install-recommends rustc-web cargo-web rust-web-src" "$log" \
  || fail "1.85 was not upgraded: $(cat "$log")"
case "$out" in *"older than the workspace's rust-version"*) ;; *) fail "no reason given: $out" ;; esac

# The upgrade does not help (the distribution has nothing newer): one clear error.
installed=0
debian_rustc_version() { echo 1.85.0; }
if err=$(ensure_debian_rust rustc-web 2>&1 >/dev/null); then fail "1.85 accepted"; fi
case "$err" in *"needs $(workspace_rust_version) or newer"*) ;; *) fail "unclear error: $err" ;; esac

# Dotted comparison, not text: 1.100 is newer than 1.88.
version_at_least 1.100.0 1.88 || fail "1.100 < 1.88"
version_at_least 1.87.9 1.88 && fail "1.87.9 >= 1.88"
echo "test-debian-rust: ok"
