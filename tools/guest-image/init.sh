#!/bin/sh
# PID 1 of the consistency-dashboard test guest (installed as
# /sbin/consistency-init, booted with init=/sbin/consistency-init).
#
# Mounts the basics, loads virtio_console, links the agent port where
# qemu-guest-agent expects it (there is no udev), mounts a vfat disk if one is
# attached (/dev/vdb, for the "vfat is skipped" test), and supervises qemu-ga.
#
# Kernel command line switches:
#   consistency.agent=off      do not start the agent (an image whose agent
#                              property is set but whose agent is stopped)
#   consistency.testapp=MODE   result the test application hook reports
#                              (ok, fail, skipped, off; default off)
#   consistency.fsfreeze_hook=fail  the agent's fsfreeze hook is /bin/false,
#                              so every freeze fails (Debian's dispatcher
#                              ignores a failing hook script in its
#                              directory; this fails the freeze itself)
# At run time: "echo SECONDS > /run/consistency-agent.pause" stops the agent
# for that long (the supervisor stops it at once, then starts it again).
# Not -e: PID 1 must survive any failing command (its exit panics the kernel).
set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

# Also installed as /sbin/shutdown: qemu-guest-agent's guest-shutdown runs
# "/sbin/shutdown -P +0" (libvirt asks the agent before it presses the power
# button when the agent channel is up).  Tell PID 1, as a power button would.
case ${0##*/} in
    shutdown | poweroff | reboot)
        case " $* " in
            *" -r "* | *" --reboot "*) kill -USR1 1 ;;
            *) if [ "${0##*/}" = reboot ]; then kill -USR1 1; else kill -USR2 1; fi ;;
        esac
        exit 0
        ;;
esac

say() { echo "consistency-init: $*" >/dev/console 2>/dev/null || echo "consistency-init: $*"; }

mount -t proc proc /proc 2>/dev/null
mount -t sysfs sysfs /sys 2>/dev/null
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs -o mode=0755,nosuid,nodev run /run
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
mount -o remount,rw / 2>/dev/null
hostname consistency-guest 2>/dev/null
# Userspace lines in the kernel log are rate limited by default (10 per 5 s);
# the probe writes several per snapshot.
echo on >/proc/sys/kernel/printk_devkmsg 2>/dev/null

agent=on
freeze_hook=/etc/qemu/fsfreeze-hook
cmdline=
read -r cmdline </proc/cmdline
for word in $cmdline; do
    case $word in
        consistency.agent=*) agent=${word#consistency.agent=} ;;
        consistency.fsfreeze_hook=fail) freeze_hook=/bin/false ;;
    esac
done

modprobe virtio_console 2>/dev/null || say "virtio_console not loaded"
port=
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    for name_file in /sys/class/virtio-ports/*/name; do
        [ -r "$name_file" ] || continue
        if [ "$(cat "$name_file")" = org.qemu.guest_agent.0 ]; then
            dir=${name_file%/name}
            port=/dev/${dir##*/}
        fi
    done
    if [ -n "$port" ] && [ -c "$port" ]; then
        break
    fi
    port=
    sleep 0.5
done
if [ -n "$port" ]; then
    mkdir -p /dev/virtio-ports
    ln -sf "../${port#/dev/}" /dev/virtio-ports/org.qemu.guest_agent.0
else
    say "no org.qemu.guest_agent.0 port (image without hw_qemu_guest_agent?)"
fi

if [ -b /dev/vdb ]; then
    modprobe vfat 2>/dev/null
    mkdir -p /mnt/vfat
    if mount -t vfat /dev/vdb /mnt/vfat 2>/dev/null; then
        say "vfat disk mounted on /mnt/vfat"
    fi
fi

supervise_agent() {
    while :; do
        if [ -f /run/consistency-agent.pause ]; then
            pause=$(cat /run/consistency-agent.pause)
            rm -f /run/consistency-agent.pause
            say "agent paused for ${pause}s"
            sleep "$pause"
        fi
        if [ -z "$port" ]; then
            sleep 5
            continue
        fi
        qemu-ga --method=virtio-serial --path=/dev/virtio-ports/org.qemu.guest_agent.0 \
            --fsfreeze-hook="$freeze_hook" --statedir=/run \
            --logfile=/run/qemu-ga.log &
        echo $! >/run/consistency-qemu-ga.pid
        say "qemu-ga started (pid $!)"
        wait $!
        say "qemu-ga exited"
        sleep 1
    done
}

# Stops the agent when asked to pause (the file appears), so a test can take
# the agent away without a reboot.
watch_pause() {
    while :; do
        if [ -f /run/consistency-agent.pause ] && [ -f /run/consistency-qemu-ga.pid ]; then
            kill "$(cat /run/consistency-qemu-ga.pid)" 2>/dev/null
            rm -f /run/consistency-qemu-ga.pid
        fi
        sleep 0.5
    done
}

if [ "$agent" = off ]; then
    say "agent disabled by consistency.agent=off"
else
    supervise_agent &
    watch_pause &
fi
say "ready"

# A clean shutdown, as a real cloud image does on Nova's stop (libvirt's
# shutdown: the agent's guest-shutdown, else the ACPI power button): stop
# every process, remount the root file system read-only (ext4 writes back
# its journal and clears needs_recovery), then power off or reboot through
# sysrq (there is no systemd or sysvinit here).  $1: o (off) or b (reboot).
power_off() {
    trap '' USR1 USR2
    say "shutting down: stopping processes, unmounting, then power-off ($1)"
    kill -TERM -1 2>/dev/null
    sleep 2
    kill -KILL -1 2>/dev/null
    sleep 0.5
    sync
    umount /mnt/vfat 2>/dev/null
    if mount -o remount,ro / 2>/dev/null; then
        say "root file system is read-only and clean"
    else
        say "remount read-only failed: emergency remount"
        echo u >/proc/sysrq-trigger
        sleep 1
    fi
    echo "$1" >/proc/sysrq-trigger
    sleep 10
}
trap 'power_off o' USR2
trap 'power_off b' USR1

# The ACPI power button: the kernel's button driver reports it as KEY_POWER
# on an evdev device named "Power Button"; each input_event is 24 bytes on
# x86_64 (timeval, then u16 type, u16 code, s32 value): EV_KEY is 1,
# KEY_POWER 116.  No acpid or udev here: read the events with dd.
watch_power_button() {
    dev=$1
    exec 3<"$dev"
    while :; do
        event=$(dd bs=24 count=1 <&3 2>/dev/null | od -An -tu2 -j16 -N4)
        [ -n "$event" ] || { sleep 1; continue; }
        # shellcheck disable=SC2086 # split "type code" into $1 $2
        set -- $event
        if [ "$1" = 1 ] && [ "$2" = 116 ]; then
            say "power button pressed"
            kill -USR2 1
            return
        fi
    done
}
modprobe button 2>/dev/null
modprobe evdev 2>/dev/null
buttons=0
for name_file in /sys/class/input/event*/device/name; do
    [ -r "$name_file" ] || continue
    if [ "$(cat "$name_file")" = "Power Button" ]; then
        event_dir=${name_file%/device/name}
        watch_power_button "/dev/input/${event_dir##*/}" &
        buttons=$((buttons + 1))
    fi
done
[ "$buttons" -gt 0 ] || say "no ACPI power button found: Nova's stop will be a forced power-off"

# PID 1 must never exit; waiting also reaps orphans (the MySQL hook's holder).
while :; do
    wait
    sleep 1
done
