#!/usr/bin/env bash
# How long the demo's Debian packages take on a fresh Debian 12 machine,
# measured without touching this machine's own packages: two throwaway
# chroots are bootstrapped with mmdebstrap from the archive in
# /etc/apt/sources.list.d, one bare (apt only) and one with
# `democloud/demo.sh packages` added (no Recommends, as demo.sh installs
# them).  The difference is the demo's share: download into an empty apt
# cache, unpack and configure.  A policy-rc.d in each chroot keeps the
# packages' maintainer scripts from starting daemons (MariaDB, RabbitMQ's
# epmd, libvirtd) beside the ones running here.  Prints figures, never fails
# on a slow machine.  Needs root and mmdebstrap.
#
#   benchmarks/demo_apt_install.sh [SUITE]     (default bookworm)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SUITE=${1:-bookworm}
PKGS=$(bash "$HERE/../democloud/demo.sh" packages | tr ' ' ',')
WORK=$(mktemp -d /var/tmp/demo-apt-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
NO_DAEMONS='printf "#!/bin/sh\nexit 101\n" >"$1/usr/sbin/policy-rc.d"; chmod 755 "$1/usr/sbin/policy-rc.d"'

run() {  # run NAME [mmdebstrap args...]: prints seconds
  local name=$1; shift
  local s e
  s=$(date +%s.%N)
  mmdebstrap --mode=root --variant=apt --quiet --essential-hook="$NO_DAEMONS" \
    "$@" "$SUITE" "$WORK/$name" >"$WORK/$name.log" 2>&1 \
    || { echo "mmdebstrap $name failed:"; tail -20 "$WORK/$name.log"; exit 1; }
  e=$(date +%s.%N)
  awk -v a="$s" -v b="$e" 'BEGIN{printf "%.0f", b-a}'
}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
base=$(run base)
echo "bare $SUITE chroot (apt variant): ${base} s"
rm -rf "${WORK:?}/base"
full=$(run full --include="$PKGS")
debs=$(du -sm "$WORK/full" | cut -f1)
echo "the same with the demo's packages: ${full} s (chroot ${debs} MB)"
echo "the demo's packages: $((full - base)) s (download, unpack, configure)"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
