#!/bin/bash
# Host packages needed to build the guest image and to run the qga tests.
# Safe to run concurrently with other apt users: waits for the dpkg lock.
set -eu

PACKAGES="qemu-system-x86 qemu-utils mmdebstrap socat dosfstools e2fsprogs cpio shellcheck"

missing=""
for pkg in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $pkg"
    fi
done
if [ -z "$missing" ]; then
    echo "install-deps: all present ($PACKAGES)"
    exit 0
fi
echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# apt-cache knows nothing before the first update on a fresh machine.
# shellcheck disable=SC2086
if ! apt-cache show $missing >/dev/null 2>&1; then
    apt-get -o DPkg::Lock::Timeout=600 update
fi
# shellcheck disable=SC2086
apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 $missing
