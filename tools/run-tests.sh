#!/usr/bin/env bash
# Runs every test layer: unit and view tests, browser tests (headless
# Chromium), guest-kit tests against a real qemu-guest-agent (qga), and the
# end-to-end tests against the embedded cloud (cloud).  Installs what it
# needs (Debian packages, a Python venv in .venv) on a fresh Debian 12
# machine as root.  Extra arguments go to pytest, for example:
#   tools/run-tests.sh -m "not cloud and not qga"     # the fast layers
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${CONSISTENCY_TEST_VENV:-$ROOT/.venv}
step() { printf '\n== %s (%s)\n' "$1" "$(date +%H:%M:%S)"; }

want_layer() {  # does the -m expression in "$@" (if any) select marker $1?
  local marker=$1 expr="" prev="" arg
  shift
  for arg in "$@"; do
    [ "$prev" = "-m" ] && expr=$arg
    case "$arg" in -m?*) expr=${arg#-m} ;; esac
    prev=$arg
  done
  [ -z "$expr" ] && return 0
  case " $expr " in
    *"not $marker"*) return 1 ;;
    *"$marker"*) return 0 ;;
    " not "*) return 0 ;;
  esac
  return 1
}

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" \
      || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  step "apt-get install ${missing[*]}"
  if [ "$(id -u)" != 0 ]; then
    echo "need root to install: ${missing[*]}" >&2; return 1
  fi
  apt-get update -qq -o DPkg::Lock::Timeout=600
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=600 "${missing[@]}"
}

step "Debian packages"
# mariadb-server and postgresql: the guest kit's database hooks are tested
# against real servers started in a temp dir.
apt_install chromium chromium-driver shellcheck mariadb-server postgresql
if want_layer qga "$@" && [ -x tools/guest-image/install-deps.sh ]; then
  tools/guest-image/install-deps.sh
fi

step "Python venv $VENV"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
stamp="$VENV/.consistency-deps-$(cat setup.cfg setup.py pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -e "$stamp" ]; then
  "$VENV/bin/pip" install -q --upgrade pip setuptools wheel
  "$VENV/bin/pip" install -q -e ".[test]"
  touch "$stamp"
fi

export CONSISTENCY_REQUIRE_BROWSER=1
if want_layer qga "$@"; then
  export CONSISTENCY_REQUIRE_QGA=1
fi
if want_layer cloud "$@" && [ -x democloud/demo.sh ]; then
  step "embedded cloud (democloud/demo.sh up)"
  democloud/demo.sh up
  export CONSISTENCY_REQUIRE_CLOUD=1
fi

step "pytest $*"
exec "$VENV/bin/python" -m pytest "$@"
