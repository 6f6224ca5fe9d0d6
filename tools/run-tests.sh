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

# The -m expression among the arguments (EXPR, empty if none) and the other
# arguments (REST), read once: the layers to prepare and the two pytest runs
# below both come from it.
EXPR=""; REST=(); prev=""
for arg in "$@"; do
  if [ "$prev" = "-m" ]; then EXPR=$arg; prev=""; continue; fi
  case "$arg" in
    -m) prev="-m"; continue ;;
    -m?*) EXPR=${arg#-m}; continue ;;
  esac
  REST+=("$arg")
done

want_layer() {  # does the -m expression (if any) select marker $1?
  local marker=$1
  [ -z "$EXPR" ] && return 0
  case " $EXPR " in
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

# The embedded cloud starts first, before anything is installed for the
# other layers: on a clean machine `democloud/demo.sh up` then has only its
# own package list, as a newcomer's first command would, and a tool missing
# from that list fails CI instead of being hidden by the test packages.
# Its guests idle while the other layers run; its pytest run stays last.
CLOUD=0; up=0
if want_layer cloud && [ -x democloud/demo.sh ]; then
  CLOUD=1
  step "embedded cloud (democloud/demo.sh up)"
  set +e
  democloud/demo.sh up
  up=$?
  set -e
  [ "$up" = 0 ] || echo "run-tests: the embedded cloud did not start; the other layers run, the cloud layer will fail" >&2
fi

step "Debian packages"
# mariadb-server and postgresql: the guest kit's database hooks are tested
# against real servers started in a temp dir.  The disk tools make the real
# images the snapshot reader is tested on (tests/core/test_snapshot_bytes.py).
# gettext: makemessages and compilemessages run xgettext and msgfmt
# (tests/test_translations.py).
apt_install chromium chromium-driver shellcheck mariadb-server postgresql \
  qemu-utils e2fsprogs fdisk gdisk dosfstools xfsprogs btrfs-progs \
  cryptsetup-bin ntfs-3g gettext
if want_layer qga && [ -x tools/guest-image/install-deps.sh ]; then
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
if want_layer qga; then
  export CONSISTENCY_REQUIRE_QGA=1
fi
if [ "$CLOUD" = 0 ]; then
  step "pytest $*"
  exec "$VENV/bin/python" -m pytest "$@"
fi

# The cloud layer runs last, in a second pytest run: the other layers (the
# browser tests and the qga guests above all) run while the cloud's guests
# idle, and a cloud that failed to start still leaves their results.
if [ -n "$EXPR" ]; then
  first="($EXPR) and not cloud"; second="($EXPR) and cloud"
else
  first="not cloud"; second="cloud"
fi

LOGDIR=$(mktemp -d)
trap 'rm -rf "$LOGDIR"' EXIT
count() {  # count WORD: sum of "N WORD" in the pytest summary lines of both runs
  awk -v word="$1" '/^(=+ )?[0-9]+ [a-z].* in [0-9.]+s/ {
      for (i = 2; i <= NF; i++) if (index($i, word) == 1 && $(i-1) ~ /^[0-9]+$/) n += $(i-1)
    } END {print n + 0}' "$LOGDIR"/*.log 2>/dev/null || echo 0
}

step "pytest -m '$first' ${REST[*]}"
set +e
"$VENV/bin/python" -m pytest -m "$first" "${REST[@]}" 2>&1 | tee "$LOGDIR/1.log"
rc1=${PIPESTATUS[0]}
set -e

if [ "$up" != 0 ]; then
  echo "run-tests: the embedded cloud did not start; the cloud layer did not run" >&2
  rc2=1
else
  export CONSISTENCY_REQUIRE_CLOUD=1
  step "pytest -m '$second' ${REST[*]}"
  set +e
  "$VENV/bin/python" -m pytest -m "$second" "${REST[@]}" 2>&1 | tee "$LOGDIR/2.log"
  rc2=${PIPESTATUS[0]}
  set -e
  # What the whole stack takes after the cloud layer (RSS and PSS per part,
  # KSM's savings), for the memory budget in README.md.
  step "memory after the cloud layer (democloud/demo.sh status)"
  democloud/demo.sh status || true
fi

echo
echo "run-tests: pytest -m '$first' exited $rc1; the cloud layer (-m '$second') exited $rc2"
# "error" also matches "errors"; a cloud that did not start counts as one failure
failed=$(( $(count failed) + $(count error) + (up != 0 ? 1 : 0) ))
echo "all: $(count passed) passed, $failed failed, $(count skipped) skipped"
# 5 = that run selected no test; the whole run fails only if both selected none
if [ "$rc1" = 5 ] && [ "$rc2" = 5 ]; then exit 5; fi
for rc in "$rc1" "$rc2"; do
  if [ "$rc" != 0 ] && [ "$rc" != 5 ]; then exit "$rc"; fi
done
exit 0
