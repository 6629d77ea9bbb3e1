# Sourced by the scripts that install Python peers from PyPI: the pinned versions, and
# `pinned_venv`.

# The peers' versions (the tests' expectations of their behaviour are pinned with them).
MINISTACK_VERSION=1.5.33
MOTO_VERSION=5.2.1
SCHEMATHESIS_VERSION=4.32.5

# pinned_venv DIR PACKAGE VERSION [EXTRAS]: a venv in DIR holding PACKAGE[EXTRAS]==VERSION.
# An existing venv is reused only when it holds exactly that version (else it is made anew),
# so bumping a pin takes effect on machines that ran the scripts before. A clean Debian has
# neither python3 nor python3-venv: they are installed as root, or the call fails saying so.
pinned_venv() {
  local dir=$1 package=$2 version=$3 extras=${4:-} have=""
  if [ -x "$dir/bin/pip" ]; then
    have=$("$dir/bin/pip" show "$package" 2>/dev/null | sed -n 's/^Version: //p') || have=""
  fi
  [ "$have" = "$version" ] && return 0
  rm -rf "$dir"
  if ! command -v python3 >/dev/null || ! python3 -m venv "$dir" 2>/dev/null; then
    rm -rf "$dir"
    if [ "$(id -u)" != 0 ]; then
      echo "python3 with venv is missing and this is not root:" \
        "apt-get install python3 python3-venv" >&2
      return 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      python3 python3-venv >/dev/null
    python3 -m venv "$dir"
  fi
  "$dir/bin/pip" install -q --disable-pip-version-check "$package$extras==$version"
}
