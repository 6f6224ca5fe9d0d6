#!/bin/bash
# Build (or reuse) the consistency-dashboard test guest: Debian bookworm
# minbase, linux-image-amd64, qemu-guest-agent, the guest kit's fsfreeze hooks
# and a small shell init. Boots under plain QEMU and under Nova's libvirt
# direct kernel boot (kernel as aki, initrd as ari, rootfs as ami).
#
# Output: ${CONSISTENCY_CACHE_DIR:-/var/cache/consistency-dashboard}/guest-image/
#   vmlinuz, initrd.img, rootfs.raw (ext4, 512 MiB, no partition table),
#   manifest.json (inputs hash, sizes, sha256, kernel command line).
# Rebuilds only when this script, init.sh or the kit's scripts change (or with
# --force). Needs root (mmdebstrap --mode=root) and network for the Debian
# mirror. Host packages: tools/guest-image/install-deps.sh.
#
# Usage: build.sh [--force] [--print-dir]
#   --print-dir  print only the output directory on stdout (progress on stderr)
# Environment: CONSISTENCY_CACHE_DIR, CONSISTENCY_DEBIAN_MIRROR (http://deb.debian.org/debian)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
kit="$repo/consistency_dashboard/guest/scripts"
cache_dir=${CONSISTENCY_CACHE_DIR:-/var/cache/consistency-dashboard}
out="$cache_dir/guest-image"
mirror=${CONSISTENCY_DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=bookworm
rootfs_size=512M
init_path=/sbin/consistency-init
# no_timer_check: under TCG on a busy host the kernel's IO-APIC timer check
# can fail and panic the boot ("IO-APIC + timer doesn't work!"), as it did
# in the demo at load average 22; cloud images for TCG skip the check.
cmdline="console=ttyS0 root=/dev/vda rw printk.devkmsg=on no_timer_check init=$init_path"

force=0
print_dir=0
for arg in "$@"; do
    case $arg in
        --force) force=1 ;;
        --print-dir) print_dir=1 ;;
        *)
            echo "usage: $0 [--force] [--print-dir]" >&2
            exit 2
            ;;
    esac
done

start=$(date +%s)
progress() { echo "[guest-image +$(($(date +%s) - start))s] $*" >&2; }

# The cache key: every input that changes the image.
inputs_hash() {
    {
        echo "suite=$suite size=$rootfs_size cmdline=$cmdline"
        sha256sum "$here/build.sh" "$here/init.sh" | awk '{print $1}'
        for f in "$kit"/*; do
            printf '%s ' "$(basename "$f")"
            sha256sum "$f" | awk '{print $1}'
        done
    } | sha256sum | awk '{print $1}'
}

key=$(inputs_hash)

cached() {
    [ -f "$out/manifest.json" ] && [ -f "$out/vmlinuz" ] && [ -f "$out/initrd.img" ] &&
        [ -f "$out/rootfs.raw" ] && grep -q "\"inputs_sha256\": \"$key\"" "$out/manifest.json"
}

finish() {
    if [ "$print_dir" = 1 ]; then
        echo "$out"
    else
        echo "guest image ready: $out" >&2
    fi
}

mkdir -p "$cache_dir"
# One build at a time (tests and the demo may ask together).
exec 9>"$cache_dir/guest-image.lock"
if ! flock -w 900 9; then
    echo "guest-image: another build holds $cache_dir/guest-image.lock" >&2
    exit 1
fi

if [ "$force" = 0 ] && cached; then
    progress "cached (inputs $key)"
    finish
    exit 0
fi

for tool in mmdebstrap mke2fs sha256sum flock; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "guest-image: $tool missing; run $here/install-deps.sh" >&2
        exit 1
    fi
done
if [ "$(id -u)" != 0 ]; then
    echo "guest-image: needs root (mmdebstrap --mode=root)" >&2
    exit 1
fi

work=$(mktemp -d "$cache_dir/guest-image.build.XXXXXX")
cleanup() {
    if [ "${CONSISTENCY_KEEP_BUILD:-}" = 1 ]; then
        echo "guest-image: build tree kept in $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
root="$work/root"
new="$work/out"
mkdir -p "$new"

progress "mmdebstrap $suite minbase (inputs $key)"
merged_usr=()
if [ -d /usr/share/mmdebstrap/hooks/merged-usr ]; then
    merged_usr=(--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr)
fi
# initramfs-tools is told before the kernel installs that only the listed
# modules go in the initrd (7 MB instead of 36 MB); force-confold keeps our
# modules file over the package's.
# shellcheck disable=SC2016 # $1 is for the hook's shell
mmdebstrap --mode=root --variant=minbase --quiet \
    "${merged_usr[@]}" \
    --include=linux-image-amd64,initramfs-tools,qemu-guest-agent,kmod \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='force-confold' --dpkgopt='force-confdef' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --essential-hook='mkdir -p "$1/etc/initramfs-tools/conf.d"; printf "MODULES=list\n" > "$1/etc/initramfs-tools/conf.d/consistency-guest"; printf "virtio_pci\nvirtio_blk\next4\nvirtio_console\n" > "$1/etc/initramfs-tools/modules"' \
    "$suite" "$root" "$mirror" >&2

progress "installing init and guest kit"
[ -x "$root/etc/qemu/fsfreeze-hook" ] || {
    echo "guest-image: /etc/qemu/fsfreeze-hook missing from qemu-guest-agent" >&2
    exit 1
}
install -m 0755 "$here/init.sh" "$root$init_path"
# qemu-guest-agent's guest-shutdown runs /sbin/shutdown; the init handles it
ln -sf "$(basename "$init_path")" "$root/sbin/shutdown"
mkdir -p "$root/etc/qemu/fsfreeze-hook.d"
for f in "$kit"/*; do
    install -m 0755 "$f" "$root/etc/qemu/fsfreeze-hook.d/$(basename "$f")"
done
printf '[general]\nfsfreeze-hook=/etc/qemu/fsfreeze-hook\n' >"$root/etc/qemu/qemu-ga.conf"
printf 'virtio_console\n' >>"$root/etc/modules"
echo consistency-guest >"$root/etc/hostname"
printf '/dev/vda / ext4 rw 0 1\n' >"$root/etc/fstab"
kernel_version=$(basename "$(ls -d "$root"/lib/modules/*)")
# shellcheck disable=SC2016 # a dpkg-query format, not shell
qga_version=$(chroot "$root" dpkg-query -W -f='${Version}' qemu-guest-agent)

progress "extracting kernel $kernel_version and initrd"
cp "$root/boot/vmlinuz-$kernel_version" "$new/vmlinuz"
cp "$root/boot/initrd.img-$kernel_version" "$new/initrd.img"
# The kernel and initrd boot from outside the disk; no need to carry them.
rm -f "$root"/boot/vmlinuz-* "$root"/boot/initrd.img-* "$root"/vmlinuz* "$root"/initrd.img*
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*

# Only disks, the virtio console, filesystems and their helpers are needed;
# the full module tree alone would not fit in 512 MiB.
progress "pruning kernel modules"
moddir="$root/lib/modules/$kernel_version/kernel"
rm -rf "$moddir/sound" "$moddir/net" "$moddir/drivers/staging"
for d in "$moddir"/drivers/*; do
    case ${d##*/} in
        block | char | virtio) ;;
        # the ACPI power button (button.ko) and its events (evdev.ko): the
        # init shuts down cleanly when Nova stops the guest
        acpi | input) find "$d" -name '*.ko*' ! -name 'button.ko*' ! -name 'evdev.ko*' -delete ;;
        *) rm -rf "$d" ;;
    esac
done
chroot "$root" depmod "$kernel_version"
progress "root tree: $(du -sh "$root" | cut -f1)"

progress "making ext4 $rootfs_size from the tree (mke2fs -d, no loop mount)"
mke2fs -q -t ext4 -L consistency-root -d "$root" "$new/rootfs.raw" "$rootfs_size"

progress "writing manifest"
size() { stat -c %s "$1"; }
sha() { sha256sum "$1" | awk '{print $1}'; }
cat >"$new/manifest.json" <<JSON
{
  "format": 1,
  "inputs_sha256": "$key",
  "built_at": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "build_seconds": $(($(date +%s) - start)),
  "debian_suite": "$suite",
  "kernel_version": "$kernel_version",
  "qemu_guest_agent_version": "$qga_version",
  "kernel_cmdline": "$cmdline",
  "init": "$init_path",
  "hook_dir": "/etc/qemu/fsfreeze-hook.d",
  "files": {
    "vmlinuz": {"bytes": $(size "$new/vmlinuz"), "sha256": "$(sha "$new/vmlinuz")", "glance": "aki"},
    "initrd.img": {"bytes": $(size "$new/initrd.img"), "sha256": "$(sha "$new/initrd.img")", "glance": "ari"},
    "rootfs.raw": {"bytes": $(size "$new/rootfs.raw"), "sha256": "$(sha "$new/rootfs.raw")", "glance": "ami", "filesystem": "ext4"}
  }
}
JSON

# Swap in atomically-ish: readers see the old or the new directory.
rm -rf "$out.old"
if [ -d "$out" ]; then
    mv "$out" "$out.old"
fi
mv "$new" "$out"
rm -rf "$out.old"
progress "done: vmlinuz $(size "$out/vmlinuz") B, initrd $(size "$out/initrd.img") B, rootfs $(size "$out/rootfs.raw") B"
finish
