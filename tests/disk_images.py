"""Real disk images for the snapshot reader's tests and benchmark, made by
the real tools (mke2fs, sfdisk, sgdisk, mkfs.*, cryptsetup, qemu-img) in a
directory the caller owns.  ``make(root, name)`` builds an image once and
returns its path; a missing tool raises ``Missing`` (tests turn it into a
skip; tools/run-tests.sh installs every tool used here).

Names are ``<content>.<container>``: the content is built as a raw disk,
then converted with ``qemu-img convert``: ``.raw``, ``.qcow2``, ``.qcow2c``
(compressed clusters, ``-c``), ``.qcow2v2`` (``compat=0.10``), ``.qcow2s``
(512-byte clusters), ``.qcow2x`` (extended L2 entries), ``.qcow2z`` (zstd
compression), ``.vmdk``, ``.vdi``, ``.vhdx``.
"""
import json
import os
import shutil
import struct
import subprocess

MIB = 1024 * 1024
UUID = "0b5e7a11-5eed-4a11-8c0d-1e57f00dcafe"


class Missing(Exception):
    """A tool needed to build an image is not installed."""


def _run(*args, stdin=None):
    if not shutil.which(args[0]):
        raise Missing(args[0])
    subprocess.run(args, check=True, capture_output=True, timeout=300,
                   input=stdin)


def _encrypted(path, attempts=5):
    """A LUKS-encrypted qcow2.  qemu-img times its key derivation in CPU
    time and gives up ("Unable to get accurate CPU usage") when a busy
    machine leaves it too little CPU to measure: that is tried again."""
    for attempt in range(attempts):
        try:
            return _run("qemu-img", "create", "-q", "-f", "qcow2", "--object",
                        "secret,id=sec0,data=not-a-secret", "-o",
                        "encrypt.format=luks,encrypt.key-secret=sec0,"
                        "encrypt.iter-time=10", path, "16M")
        except subprocess.CalledProcessError as exc:
            if b"accurate CPU usage" not in (exc.stderr or b"") or \
                    attempt == attempts - 1:
                raise


def _sparse(path, size_mb):
    with open(path, "wb") as image:
        image.truncate(size_mb * MIB)
    return path


def _ext(path, fstype, size_mb=16, journal=True, recovery=False, state=None,
         label="root"):
    _sparse(path, size_mb)
    _run("mke2fs", "-q", "-F", "-t", fstype, "-L", label, "-U", UUID,
         *(() if journal else ("-O", "^has_journal")), path)
    if recovery:
        # what an ext3/ext4 mounted read-write (and not frozen) has on disk
        _run("debugfs", "-w", "-R", "feature needs_recovery", path)
    if state is not None:
        _run("debugfs", "-w", "-R", "ssv state %d" % state, path)
    return path


def _lvm2_label(path):
    """An LVM2 physical volume label (sector 1: "LABELONE" ... "LVM2 001"),
    written by hand: pvcreate needs a block device."""
    _sparse(path, 8)
    label = b"LABELONE" + struct.pack("<QII", 1, 0, 32) + b"LVM2 001"
    with open(path, "r+b") as image:
        image.seek(512)
        image.write(label + b"\x00" * (512 - len(label)))
    return path


def _luks(path):
    _sparse(path, 16)
    _run("cryptsetup", "luksFormat", "--batch-mode", "--type", "luks2",
         "--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000",
         "--key-file", "-", path, stdin=b"not-a-secret")
    return path


def _place(disk, fs_images):
    """Write each filesystem image at the start of its partition (numbered
    as ``sfdisk --json`` numbers them)."""
    out = subprocess.run(["sfdisk", "--json", disk], check=True,
                         capture_output=True, text=True).stdout
    table = json.loads(out)["partitiontable"]
    starts = {int(p["node"].rsplit(disk, 1)[1]): p["start"] * 512
              for p in table["partitions"]}
    with open(disk, "r+b") as target:
        for number, source in fs_images.items():
            with open(source, "rb") as fs:
                target.seek(starts[number])
                shutil.copyfileobj(fs, target)
    return starts


def _mbr(root, path):
    """p1 vfat, p2 extended with l5 ext4 (needs recovery) and l6 ext4."""
    _sparse(path, 48)
    script = ("label: dos\n"
              "start=2048, size=8MiB, type=c\n"
              "type=5\n"
              "size=16MiB, type=83\n"
              "size=16MiB, type=83\n")
    _run("sfdisk", "-q", path, stdin=script.encode())
    _place(path, {1: make(root, "vfat.raw"),
                  5: make(root, "ext4-recovery.raw"),
                  6: make(root, "ext4.raw")})
    return path


def _gpt(root, path, root_fs="ext4.raw"):
    """p1 BIOS boot, p2 EFI system (vfat), p3 Linux (ext4)."""
    _sparse(path, 40)
    _run("sgdisk", "-n", "1:2048:+1M", "-t", "1:ef02",
         "-n", "2:0:+8M", "-t", "2:ef00",
         "-n", "3:0:+16M", "-t", "3:8300", path)
    _place(path, {2: make(root, "vfat.raw"), 3: make(root, root_fs)})
    return path


CONTENTS = {
    "ext2": lambda root, p: _ext(p, "ext2"),
    "ext2-in-use": lambda root, p: _ext(p, "ext2", state=0),
    "ext3": lambda root, p: _ext(p, "ext3"),
    "ext3-recovery": lambda root, p: _ext(p, "ext3", recovery=True),
    "ext4": lambda root, p: _ext(p, "ext4"),
    "ext4-recovery": lambda root, p: _ext(p, "ext4", recovery=True),
    "ext4-errors": lambda root, p: _ext(p, "ext4", state=3),
    "ext4-no-journal": lambda root, p: _ext(p, "ext4", journal=False),
    "ext4-1k": lambda root, p: _run("mke2fs", "-q", "-F", "-t", "ext4",
                                    "-b", "1024", _sparse(p, 16)),
    "mbr": _mbr,
    "gpt": _gpt,
    "gpt-recovery": lambda root, p: _gpt(root, p, "ext4-recovery.raw"),
    "vfat": lambda root, p: _run("mkfs.vfat", _sparse(p, 8)),
    "swap": lambda root, p: _run("mkswap", _sparse(p, 8)),
    "xfs": lambda root, p: _run("mkfs.xfs", "-q", _sparse(p, 300)),
    "btrfs": lambda root, p: _run("mkfs.btrfs", "-q", _sparse(p, 120)),
    "ntfs": lambda root, p: _run("mkfs.ntfs", "-q", "-F", "-f",
                                 _sparse(p, 8)),
    "luks": lambda root, p: _luks(p),
    "lvm2": lambda root, p: _lvm2_label(p),
    "zeros": lambda root, p: _sparse(p, 8),
}

CONVERSIONS = {
    "qcow2": ("-O", "qcow2"),
    "qcow2c": ("-c", "-O", "qcow2"),
    "qcow2v2": ("-O", "qcow2", "-o", "compat=0.10"),
    "qcow2s": ("-O", "qcow2", "-o", "cluster_size=512"),
    "qcow2x": ("-O", "qcow2", "-o", "extended_l2=on"),
    "qcow2z": ("-O", "qcow2", "-o", "compression_type=zstd"),
    "vmdk": ("-O", "vmdk"),
    "vdi": ("-O", "vdi"),
    "vhdx": ("-O", "vhdx"),
}


def make(root, name):
    """The path of image ``name`` under ``root``, built on first use."""
    path = os.path.join(root, name)
    if os.path.exists(path):
        return path
    content, container = name.rsplit(".", 1)
    if name == "backing.qcow2":
        base = make(root, "ext4.qcow2")
        _run("qemu-img", "create", "-q", "-f", "qcow2", "-b", base,
             "-F", "qcow2", path)
    elif name == "encrypted.qcow2":
        _encrypted(path)
    elif container == "raw":
        CONTENTS[content](root, path + ".part")
        os.rename(path + ".part", path)
    else:
        raw = make(root, content + ".raw")
        _run("qemu-img", "convert", *CONVERSIONS[container], raw,
             path + ".part")
        os.rename(path + ".part", path)
    return path
