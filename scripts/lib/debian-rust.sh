# Sourced by scripts that build with Debian's rustc-web toolchain (-Zbuild-std needs its
# standard library sources). `ensure_debian_rust PACKAGE...` installs the packages when the
# toolchain is missing, or upgrades them when the installed rustc is older than the
# workspace's `rust-version` (a machine may carry an older rustc-web, e.g. 1.85, that cannot
# build the workspace). Fails with one clear line if, after that, it is still too old.

# The workspace's rust-version (e.g. 1.88), from the root Cargo.toml.
workspace_rust_version() {
  sed -n 's/^rust-version *= *"\([0-9.]*\)".*/\1/p' "$(dirname "${BASH_SOURCE[0]}")/../../Cargo.toml" | head -n1
}

# The version of /usr/bin/rustc (e.g. 1.96.0), or nothing when it is absent.
debian_rustc_version() {
  [ -x /usr/bin/rustc ] || return 0
  /usr/bin/rustc --version 2>/dev/null | sed -n 's/^rustc \([0-9][0-9.]*\).*/\1/p'
}

# Whether version $1 is at least $2 (dotted numbers).
version_at_least() {
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

ensure_debian_rust() {
  local want have
  want=$(workspace_rust_version)
  have=$(debian_rustc_version)
  local missing=0
  [ -d "${DEBIAN_RUST_SRC:-/usr/lib/rustlib/src/rust/library}" ] || missing=1
  for tool in "$@"; do
    case "$tool" in
      qemu-system-arm) command -v qemu-system-arm >/dev/null || missing=1 ;;
      lld-22) [ -e /usr/bin/rust-lld ] || missing=1 ;;
      rust-web-llvm) command -v llvm-size-22 >/dev/null || missing=1 ;;
    esac
  done
  if [ -n "$have" ] && [ "$missing" = 0 ] && version_at_least "$have" "$want"; then
    return 0
  fi
  if [ -z "$have" ] || [ "$missing" = 1 ]; then
    echo "debian-rust: installing $*"
  else
    echo "debian-rust: /usr/bin/rustc $have is older than the workspace's rust-version $want: upgrading $*"
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  have=$(debian_rustc_version)
  if [ -z "$have" ] || ! version_at_least "$have" "$want"; then
    echo "debian-rust: /usr/bin/rustc is ${have:-missing} after installing $*; the workspace needs $want or newer" >&2
    return 1
  fi
}
