"""What a snapshot's own bytes say about the filesystems in it.

The strongest evidence a verdict can rest on (DOMAIN.md "What a freeze/thaw
pair does not prove"): ext4's ``ext4_freeze`` (fs/ext4/super.c) flushes the
journal and clears the ``needs_recovery`` incompat flag (0x4) before it
commits the superblock, and ``ext4_unfreeze`` sets it again.  So a copy
taken while frozen has the flag clear, and a crash-consistent copy of a
mounted read-write ext3/ext4 has it set.  No guest can forge this.

This module is pure: it is fed a ``read(offset, length) -> bytes`` callable
(the API layer performs ranged reads on Glance through the user's token) and
returns plain values.

How it reads, with as few ranged reads as it can (each one is an HTTP
request to Glance): one read of the first 68 KiB (qcow2 header, or the raw
disk's MBR, GPT and whole-disk superblocks); for qcow2 the L1 table, one
window of each L2 table needed and the data clusters, with host ranges that
touch coalesced into one read and every range cached; then 4 KiB at the start
of each partition.  Formats: QEMU's docs/interop/qcow2.rst, the UEFI GPT
header, the MBR/EBR chain, the ext4 superblock (the kernel's
Documentation/filesystems/ext4/super.rst).  Anything not understood ends in a
not-checkable result with a reason, never in a guess.
"""

import dataclasses
import enum
import re
import struct
import uuid as uuid_mod
import zlib

from consistency_dashboard.core.i18n import fill
from consistency_dashboard.core.i18n import gettext_noop
from consistency_dashboard.core.i18n import join

KIB = 1024
MIB = 1024 * KIB
# The budget of one snapshot: a qcow2 whole-disk ext4 takes 2 reads and
# 324 KiB, a GPT cloud-style disk 3 reads, an MBR disk with two logical
# partitions 6 (benchmarks/snapshot_read.py prints the figures).
DEFAULT_MAX_READS = 32
DEFAULT_MAX_BYTES = 4 * MIB
# The first read: MBR, GPT header and 128 entries, the whole-disk superblocks
# (ext at 1024, swap at 4086, iso9660 at 32769) and btrfs's at 64 KiB.
HEAD_BYTES = 68 * KIB
PROBE_BYTES = 4 * KIB
TABLE_WINDOW = 64 * KIB
# qemu-img (and so Nova's snapshot, which is a ``qemu-img convert``) writes
# the L1 table, then the first L2 table, then the data clusters in disk
# order: reading 256 KiB from the L1 table on usually brings the L2 table
# and the disk's first clusters in the same read.
L1_READ_AHEAD = 256 * KIB
SECTOR = 512


class ReadFailed(Exception):
    """The read callable could not read (HTTP error, connection error)."""

    def __init__(self, message="", detail=""):
        super().__init__(message)
        # a few words kept with the stored result ("HTTP 404", "timeout")
        self.detail = detail


class RangesUnsupported(ReadFailed):
    """The server ignored ``Range`` (answered 200 with the whole body): stop
    reading, never download a whole image."""


class BudgetExhausted(ReadFailed):
    """The read budget (reads or bytes) for one snapshot ran out."""


class FsState(enum.Enum):
    # journal flushed: the filesystem was frozen (or cleanly unmounted, or
    # mounted read-only) when the copy was taken
    CLEAN = "clean"
    # ext3/ext4 journal needs recovery: mounted read-write and not frozen
    NEEDS_RECOVERY = "needs-recovery"
    # ext2, or ext4 without a journal: the flag says nothing
    NO_JOURNAL = "no-journal"
    # xfs, btrfs, NTFS, LVM PV, LUKS, swap, vfat, unknown: named, not guessed
    NOT_CHECKABLE = "not-checkable"


@dataclasses.dataclass(frozen=True)
class FilesystemCheck:
    where: str             # "whole disk", "partition 1", "logical partition 5"
    #                        (a marked text, see WHERE)
    offset: int            # byte offset of the filesystem in the virtual disk
    kind: str              # "ext4", "ext3", "ext2", "xfs", "btrfs", "ntfs",
    #                        "lvm2-pv", "luks", "swap", "vfat", "unknown"
    #                        (also "exfat", "iso9660", "jbd", "bios-boot")
    state: FsState
    label: str = ""
    uuid: str = ""
    reason: str = ""       # one sentence for the user
    # ext without a journal only: the superblock's "cleanly unmounted" bit
    # (s_state & 1); None where it is not meaningful
    marked_clean: bool = None
    # ext: the superblock records errors (s_state & 2)
    errors: bool = False


@dataclasses.dataclass(frozen=True)
class DiskCheck:
    """The result of reading one snapshot.  ``checkable`` False: nothing
    could be concluded (``reason`` says why: external backing file,
    encrypted, unknown format, ranges unsupported, budget, read error, or
    no journaled ext3/ext4 filesystem in it).  ``filesystems`` lists what
    was read whole; it is empty when reading stopped early."""
    checkable: bool
    container: str = ""          # "qcow2", "raw", "" when unknown
    partition_table: str = ""    # "gpt", "mbr", "" for none
    filesystems: tuple = ()      # FilesystemCheck
    reason: str = ""
    ranges_unsupported: bool = False
    reads: int = 0
    bytes_read: int = 0
    # what ``reason`` is rendered from (see REASONS), so a stored check
    # (encode/decode) gets the same sentence back
    reason_code: str = ""
    detail: str = ""
    # filesystems left out of a stored check because they did not fit in
    # one image property (never a journaled one while others fit)
    filesystems_omitted: int = 0

    @property
    def journaled(self):
        """The filesystems whose flag is meaningful (CLEAN/NEEDS_RECOVERY)."""
        return tuple(f for f in self.filesystems
                     if f.state in (FsState.CLEAN, FsState.NEEDS_RECOVERY))

    @property
    def all_clean(self):
        j = self.journaled
        return bool(j) and all(f.state is FsState.CLEAN for f in j)

    @property
    def any_needs_recovery(self):
        return any(f.state is FsState.NEEDS_RECOVERY for f in self.filesystems)


# --- The sentences ----------------------------------------------------------

# code -> the sentence a DiskCheck's ``reason`` is (marked for translation;
# a stored check keeps the code)
REASONS = {
    "clean": gettext_noop(
        "Every journaled filesystem in the snapshot has a clean journal: "
        "each was frozen, unmounted or mounted read-only when the copy was "
        "taken."),
    "needs-recovery": gettext_noop(
        "A journaled filesystem in the snapshot needs journal recovery: it "
        "was mounted read-write and not frozen when the copy was taken."),
    "no-journal-fs": gettext_noop(
        "The snapshot holds no journaled ext3/ext4 filesystem, so its bytes "
        "cannot show whether it was frozen."),
    "no-fs": gettext_noop(
        "No partition table or filesystem this reader knows was found in "
        "the snapshot, so nothing is concluded from its bytes."),
    "empty": gettext_noop(
        "The snapshot's data is empty or shorter than one disk sector."),
    "backing": gettext_noop(
        "The qcow2 snapshot depends on an external backing file, so its own "
        "bytes do not hold the whole disk."),
    "encrypted": gettext_noop(
        "The qcow2 snapshot is encrypted, so its filesystems cannot be "
        "read."),
    "qcow2-feature": gettext_noop(
        "The qcow2 snapshot uses a feature this reader does not read "
        "({detail})."),
    "format": gettext_noop(
        "The snapshot is a {detail} image, which this reader does not "
        "read."),
    "damaged": gettext_noop(
        "The snapshot's {detail} is damaged or inconsistent, so nothing is "
        "concluded from its bytes."),
    "ranges": gettext_noop(
        "This Glance does not serve byte ranges, so the snapshot's bytes "
        "were not read."),
    "budget": gettext_noop(
        "Reading the snapshot needed more than its read budget ({detail}), "
        "so the reading was stopped."),
    "read": gettext_noop("The snapshot's bytes could not be read ({detail})."),
    "stored": gettext_noop(
        "The stored result of reading the snapshot could not be read."),
}
_UNKNOWN_DETAIL = gettext_noop("unknown")

# code -> why a filesystem of that kind is not checkable
_NOT_CHECKABLE_WHY = {
    "xfs": gettext_noop("xfs records its state in its log, not in a flag"),
    "btrfs": gettext_noop("btrfs has no journal flag to read"),
    "ntfs": gettext_noop("NTFS has no journal flag this reader reads"),
    "vfat": gettext_noop("vfat has no journal"),
    "exfat": gettext_noop("exFAT has no journal"),
    "iso9660": gettext_noop("an ISO 9660 image is read-only"),
    "luks": gettext_noop("a LUKS volume is encrypted"),
    "lvm2-pv": gettext_noop(
        "the logical volumes of an LVM physical volume are not read"),
    "swap": gettext_noop("swap space holds no filesystem"),
    "jbd": gettext_noop("it is an external ext3/ext4 journal device"),
    "bios-boot": gettext_noop("a BIOS boot partition holds no filesystem"),
}

# code -> the sentence a FilesystemCheck's ``reason`` is made of
FS_REASONS = {
    "clean": gettext_noop(
        "The {kind} journal is clean: the filesystem was frozen, unmounted "
        "or mounted read-only when the snapshot was taken{errors}."),
    "needs-recovery": gettext_noop(
        "The {kind} journal needs recovery: the filesystem was mounted "
        "read-write and not frozen when the snapshot was taken{errors}."),
    "no-journal": gettext_noop(
        "{kind} has no journal, so its bytes cannot show a freeze{marked}"
        "{errors}."),
    "unknown": gettext_noop(
        "No known filesystem signature was found there, so nothing is "
        "concluded from it."),
    "not-checkable": gettext_noop(
        "{kind} is not checkable from the snapshot: {why}."),
    "no-flag": gettext_noop("it has no journal flag"),
    "marked-clean": gettext_noop("; its superblock is marked clean"),
    "marked-in-use": gettext_noop(
        "; its superblock is marked in use (not cleanly unmounted)"),
    "errors": gettext_noop(", and its superblock records errors"),
    **{"why-" + kind: why for kind, why in _NOT_CHECKABLE_WHY.items()},
}


# code -> where a filesystem is (``FilesystemCheck.where``); the code is
# what a stored check keeps: d, p<N>, l<N>
WHERE = {
    "d": gettext_noop("whole disk"),
    "p": gettext_noop("partition {number}"),
    "l": gettext_noop("logical partition {number}"),
}
# code -> a filesystem's kind and where it is, as a verdict names it
LOCATED = {
    "d": gettext_noop("{kind} on the whole disk"),
    "p": gettext_noop("{kind} on partition {number}"),
    "l": gettext_noop("{kind} on logical partition {number}"),
}
_WHERE_CODE = re.compile(r"(d)|([pl])(\d+)\Z")
_WHERE = re.compile(r"(whole disk)|(partition|logical partition) (\d+)\Z")
_LOCATED = re.compile(r"([a-z0-9][a-z0-9-]{0,15}) on (?:the (whole disk)|"
                      r"((?:logical )?partition \d{1,4}))\Z")
_LOCATED_CODE = re.compile(r"(d|[pl]\d{1,4}):([a-z0-9][a-z0-9-]{0,15})\Z")


def where_text(code):
    """The words (a marked text) for a where code ("d", "p1", "l5")."""
    match = _WHERE_CODE.match(code)
    if not match:
        raise ValueError("not a where code: %r" % (code,))
    if match.group(1):
        return WHERE["d"]
    return fill(WHERE[match.group(2)], number=int(match.group(3)))


def where_code(where):
    """The code of a filesystem's ``where`` (its words, English or marked),
    None for words this module does not make."""
    match = _WHERE.match(str(where))
    if not match:
        return None
    return "d" if match.group(1) else (
        ("p" if match.group(2) == "partition" else "l") + match.group(3))


def _located(code, kind):
    if code == "d":
        return fill(LOCATED["d"], kind=kind)
    return fill(LOCATED[code[0]], kind=kind, number=int(code[1:]))


def located(filesystems):
    """The filesystems' kinds and where they are, e.g. "ext4 on the whole
    disk" or "ext4 on partition 1, ext4 on partition 2": marked texts
    joined, translated each on its own."""
    words = []
    for fs in filesystems:
        code = where_code(fs.where)
        words.append(_located(code, fs.kind) if code
                     else "%s on %s" % (fs.kind, fs.where))
    return join(", ", words)


def located_code(filesystems):
    """What :func:`located` says, language-neutral and short (to store):
    ``<where code>:<kind>`` joined by commas, e.g. "d:ext4" or
    "p1:ext4,p2:ext4"."""
    codes = [(where_code(fs.where), fs.kind) for fs in filesystems]
    if not all(code and _LOCATED_CODE.match("%s:%s" % (code, kind))
               for code, kind in codes):
        raise ValueError("not storable: %r" % (filesystems,))
    return ",".join("%s:%s" % found for found in codes)


def located_from_code(value):
    """The text :func:`located` made, from what :func:`located_code` stored
    or from the English words an older version stored ("ext4 on the whole
    disk, ext4 on partition 1"); None for anything else."""
    value = str(value or "")
    compact = [_LOCATED_CODE.match(part) for part in value.split(",")]
    if value and all(compact):
        return join(", ", [_located(m.group(1), m.group(2))
                           for m in compact])
    words = [_LOCATED.match(part) for part in value.split(", ")]
    if value and all(words):
        return join(", ", [_located(where_code(m.group(2) or m.group(3)),
                                    m.group(1)) for m in words])
    return None


def disk_reason(code, detail=""):
    """The sentence for a DiskCheck ``reason_code`` (a marked text)."""
    template = REASONS.get(code, REASONS["stored"])
    return fill(template, detail=detail or _UNKNOWN_DETAIL)


def fs_reason(kind, state, marked_clean=None, errors=False):
    """The sentence for one filesystem (a marked text)."""
    if kind == "unknown" and state is FsState.NOT_CHECKABLE:
        return FS_REASONS["unknown"]
    if state is FsState.NOT_CHECKABLE:
        return fill(FS_REASONS["not-checkable"], kind=kind, why=FS_REASONS[
            "why-" + kind if "why-" + kind in FS_REASONS else "no-flag"])
    marked = "" if marked_clean is None or state is not FsState.NO_JOURNAL \
        else FS_REASONS["marked-clean" if marked_clean else "marked-in-use"]
    return fill(FS_REASONS[state.value], kind=kind, marked=marked,
                errors=FS_REASONS["errors"] if errors else "")


def _fs(where, offset, kind, state=FsState.NOT_CHECKABLE, **fields):
    return FilesystemCheck(
        where=where, offset=offset, kind=kind, state=state,
        reason=fs_reason(kind, state, fields.get("marked_clean"),
                         fields.get("errors", False)), **fields)


class _Stop(Exception):
    """Reading ends here with a not-checkable result."""

    def __init__(self, code, detail=""):
        super().__init__(code)
        self.code = code
        self.detail = detail


def _damaged(what):
    return _Stop("damaged", what)


# --- Reads: counted, bounded, cached ----------------------------------------

class _Source(object):
    """The image file as stored in Glance, read through ``read``."""

    def __init__(self, read, size, max_reads, max_bytes):
        self._read = read
        self.size = size
        self.max_reads = max_reads
        self.max_bytes = max_bytes
        self.reads = 0
        self.bytes_read = 0
        self.container = ""
        self._cache = []    # (offset, length asked, data)

    def read(self, offset, length):
        """``length`` bytes at ``offset``, short past the end of the file."""
        if self.size is not None:
            length = min(length, self.size - offset)
        if length <= 0 or offset < 0:
            return b""
        for start, asked, data in self._cache:
            if start <= offset and offset + length <= start + asked:
                return data[offset - start:offset - start + length]
        data = self._fetch(offset, length)
        self._cache.append((offset, length, data))
        return data

    def _fetch(self, offset, length):
        if (self.reads >= self.max_reads
                or self.bytes_read + length > self.max_bytes):
            raise BudgetExhausted(
                "more than %d reads or %d bytes" % (
                    self.max_reads, self.max_bytes),
                detail="%d reads, %d KiB" % (self.max_reads,
                                             self.max_bytes // KIB))
        self.reads += 1
        try:
            data = self._read(offset, length)
        except ReadFailed:
            raise
        except Exception as exc:
            raise ReadFailed("the read failed: %r" % exc,
                             detail="read error") from exc
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise ReadFailed("the read returned %s" % type(data).__name__,
                             detail="read error")
        data = bytes(data[:length])
        self.bytes_read += len(data)
        return data


class _RawDisk(object):
    def __init__(self, source):
        self.read = source.read


class _Qcow2Disk(object):
    """The virtual disk inside a qcow2 file (docs/interop/qcow2.rst)."""

    # L1/L2 entry bits 9-55: the offset of an L2 table or a data cluster
    OFFSET_MASK = 0x00fffffffffffe00
    COMPRESSED = 1 << 62

    def __init__(self, source, header):
        self.src = source
        self.version = header["version"]
        self.cluster_bits = header["cluster_bits"]
        self.cluster = 1 << self.cluster_bits
        self.size = header["size"]
        self.l1_offset = header["l1_offset"]
        self.l1_size = header["l1_size"]
        self.l2_entries = self.cluster // 8
        self._inflated = {}

    def read(self, offset, length):
        """``length`` bytes of the virtual disk at ``offset`` (short past
        its end).  The host ranges of all clusters touched are read first,
        coalesced where they touch."""
        length = min(length, self.size - offset)
        if length <= 0 or offset < 0:
            return b""
        pieces = []
        position = offset
        while position < offset + length:
            index, within = divmod(position, self.cluster)
            count = min(self.cluster - within, offset + length - position)
            pieces.append((index, within, count, self._locate(index)))
            position += count
        self._prefetch(pieces)
        return b"".join(self._piece(*piece) for piece in pieces)

    def _prefetch(self, pieces):
        ranges = []
        for index, within, count, (kind, host, csize) in pieces:
            if kind == "data":
                ranges.append((host + within, count))
            elif kind == "compressed" and index not in self._inflated:
                ranges.append((host, csize))
        merged = []
        for start, count in sorted(ranges):
            if merged and start <= merged[-1][0] + merged[-1][1]:
                last_start, last_count = merged[-1]
                merged[-1] = (last_start, max(last_count,
                                              start + count - last_start))
            else:
                merged.append((start, count))
        for start, count in merged:
            self.src.read(start, count)

    def _piece(self, index, within, count, location):
        kind, host, csize = location
        if kind == "zero":
            return bytes(count)
        if kind == "data":
            data = self.src.read(host + within, count)
            if len(data) < count:
                raise _damaged("qcow2 data cluster (past the end of the file)")
            return data
        if index not in self._inflated:
            self._inflated[index] = self._inflate(host, csize)
        return self._inflated[index][within:within + count]

    def _inflate(self, host, csize):
        # Raw deflate with a 4 KiB window, as QEMU writes and reads it
        # (block/qcow2-threads.c qcow2_zlib_compress/decompress).
        try:
            data = zlib.decompressobj(-12).decompress(
                self.src.read(host, csize), self.cluster)
        except zlib.error:
            raise _damaged("compressed cluster")
        if len(data) < self.cluster:
            raise _damaged("compressed cluster")
        return data

    def _locate(self, index):
        """("zero"|"data"|"compressed", host offset, compressed size)."""
        l1_index, l2_index = divmod(index, self.l2_entries)
        if l1_index >= self.l1_size:
            raise _damaged("qcow2 L1 table")
        l2_offset = self._entry(self.l1_offset, self.l1_size * 8, l1_index,
                                TABLE_WINDOW, L1_READ_AHEAD) & self.OFFSET_MASK
        if not l2_offset:
            return ("zero", 0, 0)
        if l2_offset % self.cluster:
            raise _damaged("qcow2 L1 table")
        entry = self._entry(l2_offset, self.cluster, l2_index,
                            min(TABLE_WINDOW, self.cluster))
        if entry & self.COMPRESSED:
            shift = 62 - (self.cluster_bits - 8)
            host = entry & ((1 << shift) - 1)
            sectors = ((entry >> shift) & ((1 << (self.cluster_bits - 8)) - 1)
                       ) + 1
            return ("compressed", host, sectors * 512 - (host & 511))
        host = entry & self.OFFSET_MASK
        # unallocated (no backing file: reads as zeros), or the v3 "reads
        # as zeros" bit
        if not host or (self.version >= 3 and entry & 1):
            return ("zero", 0, 0)
        if host % self.cluster:
            raise _damaged("qcow2 L2 table")
        return ("data", host, 0)

    def _entry(self, table, table_bytes, index, window, ahead=0):
        """One 8-byte entry; the table is read in windows of up to 64 KiB
        (a whole L2 table of 64 KiB clusters in one read), the first one
        extended to ``ahead`` bytes."""
        position = index * 8
        start = position - position % window
        length = min(window, table_bytes - start)
        data = self.src.read(table + start,
                             max(length, ahead) if start == 0 else length)
        data = data[:length]
        if len(data) < position - start + 8:
            raise _damaged("qcow2 tables (past the end of the file)")
        return struct.unpack_from(">Q", data, position - start)[0]


# --- The container ----------------------------------------------------------

# Other image formats, named by their magic (the byte offset, the magic).
_FORMATS = ((0, b"KDMV", "vmdk"), (0, b"# Disk DescriptorFile", "vmdk"),
            (0, b"vhdxfile", "vhdx"), (0, b"conectix", "vhd"),
            (0, b"QED\x00", "qed"), (0x40, b"\x7f\x10\xda\xbe", "vdi"))

# qcow2 incompatible feature bits (docs/interop/qcow2.rst)
_INCOMPAT = {0: None,                        # dirty: refcounts only
             1: "image marked corrupt",
             2: "external data file",
             3: None,                        # compression type, below
             4: "extended L2 entries"}


def _open(source):
    """(the virtual disk, the container name)."""
    head = source.read(0, HEAD_BYTES)
    if head[:4] == b"QFI\xfb":
        source.container = "qcow2"
        return _Qcow2Disk(source, _qcow2_header(head))
    for offset, magic, name in _FORMATS:
        if head[offset:offset + len(magic)] == magic:
            source.container = name
            raise _Stop("format", name)
    source.container = "raw"
    return _RawDisk(source)


def _qcow2_header(head):
    if len(head) < 72:
        raise _damaged("qcow2 header")
    (version, backing_offset, _backing_size, cluster_bits, size, crypt,
     l1_size, l1_offset) = struct.unpack_from(">IQIIQIIQ", head, 4)
    if version not in (2, 3):
        raise _Stop("format", "qcow version %d" % version)
    if backing_offset:
        raise _Stop("backing")
    if crypt:
        raise _Stop("encrypted")
    if not 9 <= cluster_bits <= 21:
        raise _damaged("qcow2 header")
    if version == 3:
        _qcow2_v3_features(head)
    cluster = 1 << cluster_bits
    covered = l1_size * (cluster // 8) * cluster
    if l1_offset % cluster or covered < size or l1_size > 32 * MIB // 8:
        raise _damaged("qcow2 header")
    return {"version": version, "cluster_bits": cluster_bits, "size": size,
            "l1_size": l1_size, "l1_offset": l1_offset}


def _qcow2_v3_features(head):
    if len(head) < 104:
        raise _damaged("qcow2 header")
    incompat = struct.unpack_from(">Q", head, 72)[0]
    header_length = struct.unpack_from(">I", head, 100)[0]
    if header_length < 104:
        raise _damaged("qcow2 header")
    for bit in range(64):
        if not incompat & (1 << bit):
            continue
        if bit not in _INCOMPAT:
            raise _Stop("qcow2-feature", "incompatible feature bit %d" % bit)
        if _INCOMPAT[bit]:
            raise _Stop("qcow2-feature", _INCOMPAT[bit])
    compression = head[104] if header_length > 104 and len(head) > 104 else 0
    if incompat & (1 << 3) and compression != 0:
        raise _Stop("qcow2-feature", "zstd compression" if compression == 1
                    else "compression type %d" % compression)


# --- Filesystems ------------------------------------------------------------

# ext features (the kernel's fs/ext4/ext4.h), as libblkid tells ext2/3/4
_HAS_JOURNAL = 0x4            # compat
_NEEDS_RECOVERY = 0x4         # incompat ("recover")
_JOURNAL_DEV = 0x8            # incompat
_EXT3_INCOMPAT = 0x2 | 0x4 | 0x10     # filetype, recover, meta_bg
_EXT3_RO_COMPAT = 0x1 | 0x2 | 0x4     # sparse_super, large_file, btree_dir


def _ext(superblock):
    """FilesystemCheck fields of an ext2/3/4 superblock, or None."""
    if len(superblock) < 256 or superblock[0x38:0x3a] != b"\x53\xef":
        return None
    (inodes, _blocks, _reserved, _free_blocks, _free_inodes, first_data,
     log_block, _log_cluster, per_group) = struct.unpack_from(
         "<9I", superblock, 0)
    state = struct.unpack_from("<H", superblock, 0x3a)[0]
    revision = struct.unpack_from("<I", superblock, 0x4c)[0]
    compat, incompat, ro_compat = struct.unpack_from("<3I", superblock, 0x5c)
    if (not inodes or not per_group or log_block > 6 or first_data > 1
            or revision > 1):
        return None
    fields = {"label": _text(superblock[0x78:0x88]),
              "uuid": _uuid(superblock[0x68:0x78]),
              "errors": bool(state & 2)}
    if incompat & _JOURNAL_DEV:
        return dict(fields, kind="jbd")
    newer = (incompat & ~_EXT3_INCOMPAT) or (ro_compat & ~_EXT3_RO_COMPAT)
    if compat & _HAS_JOURNAL:
        recovery = incompat & _NEEDS_RECOVERY
        return dict(fields, kind="ext4" if newer else "ext3",
                    state=FsState.NEEDS_RECOVERY if recovery
                    else FsState.CLEAN)
    # No journal: the flag means nothing; s_state's "valid" bit is cleared
    # while mounted read-write (ext4_setup_super, ext2_setup_super).
    return dict(fields, kind="ext4" if newer else "ext2",
                state=FsState.NO_JOURNAL, marked_clean=bool(state & 1))


def _text(raw):
    return raw.split(b"\x00", 1)[0].decode("utf-8", "replace")


def _uuid(raw):
    return "" if not raw.strip(b"\x00") else str(uuid_mod.UUID(bytes=raw))


def _at(buf, offset, magic):
    return buf[offset:offset + len(magic)] == magic


def _vfat(buf):
    if not _at(buf, 510, b"\x55\xaa") or buf[0] not in (0xeb, 0xe9):
        return False
    sector = struct.unpack_from("<H", buf, 11)[0]
    per_cluster = buf[13]
    names = (b"FAT12   ", b"FAT16   ", b"FAT     ")
    return (sector in (512, 1024, 2048, 4096) and per_cluster
            and not per_cluster & (per_cluster - 1)
            and (buf[0x36:0x3e] in names or _at(buf, 0x52, b"FAT32   ")))


def _identify_near(buf):
    """FilesystemCheck fields for the signatures in the first 4 KiB of a
    filesystem or container, or None."""
    if len(buf) < SECTOR:
        return None
    ext = _ext(buf[1024:2048])
    if ext:
        return ext
    if _at(buf, 0, b"XFSB"):
        return {"kind": "xfs"}
    if _at(buf, 0, b"LUKS\xba\xbe"):
        return {"kind": "luks"}
    if any(_at(buf, sector * SECTOR, b"LABELONE")
           and _at(buf, sector * SECTOR + 24, b"LVM2 001")
           for sector in range(4)):
        return {"kind": "lvm2-pv"}
    if _at(buf, 3, b"NTFS    "):
        return {"kind": "ntfs"}
    if _at(buf, 3, b"EXFAT   "):
        return {"kind": "exfat"}
    if _vfat(buf):
        return {"kind": "vfat"}
    return None


def _identify_far(buf):
    """Signatures past the first sectors: swap's at the end of its first
    page (4 KiB on x86; 8, 16 or 64 KiB elsewhere), iso9660 at 32 KiB,
    btrfs at 64 KiB."""
    for page in (4096, 8192, 16384, 65536):
        if buf[page - 10:page] in (b"SWAPSPACE2", b"SWAP-SPACE"):
            return {"kind": "swap"}
    if _at(buf, 0x8001, b"CD001"):
        return {"kind": "iso9660"}
    if _at(buf, 0x10040, b"_BHRfS_M"):
        return {"kind": "btrfs"}
    return None


def _probe(disk, where, offset):
    """What is at ``offset``: 4 KiB first; only when nothing is found there,
    the next 64 KiB for the far signatures."""
    buf = disk.read(offset, PROBE_BYTES)
    found = _identify_near(buf) or _identify_far(buf)
    if found is None and len(buf) == PROBE_BYTES:
        buf += disk.read(offset + PROBE_BYTES, HEAD_BYTES - PROBE_BYTES)
        found = _identify_far(buf)
    return _fs(where, offset, **(found or {"kind": "unknown"}))


# --- Partition tables -------------------------------------------------------

_GPT_BIOS_BOOT = uuid_mod.UUID("21686148-6449-6e6f-744e-656564454649")
_MBR_EXTENDED = (0x05, 0x0f, 0x85)
_MBR_GPT = 0xee
MAX_LOGICAL = 64


def _gpt(disk, head):
    """[(where, offset)] of a valid GPT (512- or 4096-byte sectors), None
    when there is none."""
    for sector in (SECTOR, 4096):
        header = head[sector:sector + SECTOR]
        if _at(header, 0, b"EFI PART"):
            return _gpt_entries(disk, header, sector)
    return None


def _gpt_entries(disk, header, sector):
    (size, crc, _reserved, mine) = struct.unpack_from("<IIIQ", header, 12)
    if not 92 <= size <= len(header) or mine != 1 or crc != zlib.crc32(
            header[:16] + b"\x00" * 4 + header[20:size]):
        raise _damaged("GPT header")
    entries_lba, count, entry_size, entries_crc = struct.unpack_from(
        "<QIII", header, 72)
    total = count * entry_size
    if entry_size < 128 or entry_size % 8 or not 0 < total <= MIB:
        raise _damaged("GPT header")
    entries = disk.read(entries_lba * sector, total)
    if len(entries) < total or zlib.crc32(entries) != entries_crc:
        raise _damaged("GPT partition entries")
    found = []
    for index in range(count):
        entry = entries[index * entry_size:(index + 1) * entry_size]
        kind = uuid_mod.UUID(bytes_le=entry[:16])
        first, last = struct.unpack_from("<QQ", entry, 32)
        if kind.int == 0 or first == 0 or last < first:
            continue
        found.append((where_text("p%d" % (index + 1)), first * sector,
                      "bios-boot" if kind == _GPT_BIOS_BOOT else None))
    return found


def _mbr_entries(sector):
    """[(number, type, first sector, sectors)] of the non-empty entries of
    a valid MBR or EBR sector, None when the sector is not one."""
    if len(sector) < SECTOR or not _at(sector, 510, b"\x55\xaa"):
        return None
    entries = []
    for index in range(4):
        status, kind, first, count = struct.unpack_from(
            "<B3xB3xII", sector, 446 + 16 * index)
        if status not in (0, 0x80):
            return None
        if kind == 0:
            continue
        if not first or not count:
            return None
        entries.append((index + 1, kind, first, count))
    return entries


def _mbr(disk, head):
    """[(where, offset, kind)] of a valid MBR, None when there is none."""
    entries = _mbr_entries(head[:SECTOR])
    if not entries:
        return None
    if any(kind == _MBR_GPT for _n, kind, _f, _c in entries):
        # a protective MBR whose GPT was not found
        raise _damaged("GPT header")
    found = []
    for number, kind, first, _count in entries:
        if kind in _MBR_EXTENDED:
            found.extend(_logical(disk, first))
        else:
            found.append((where_text("p%d" % number), first * SECTOR, None))
    return found


def _logical(disk, extended):
    """The logical partitions of the EBR chain of the extended partition
    that starts at sector ``extended`` (each EBR: its logical partition,
    relative to itself, and the next EBR, relative to ``extended``)."""
    found, seen, ebr = [], set(), extended
    while ebr is not None:
        if ebr in seen or len(seen) >= MAX_LOGICAL:
            raise _damaged("extended partition table")
        seen.add(ebr)
        entries = _mbr_entries(disk.read(ebr * SECTOR, SECTOR))
        if entries is None:
            raise _damaged("extended partition table")
        following = None
        for _number, kind, first, _count in entries:
            if kind in _MBR_EXTENDED:
                following = extended + first
            else:
                found.append((where_text("l%d" % (5 + len(found))),
                              (ebr + first) * SECTOR, None))
        ebr = following
    return found


# --- Reading one snapshot ---------------------------------------------------

def check_disk(read, size=None, max_reads=DEFAULT_MAX_READS,
               max_bytes=DEFAULT_MAX_BYTES):
    """Read the filesystems' states from one snapshot image.

    ``read(offset, length) -> bytes`` reads the image file as stored (short
    past its end; it may raise ReadFailed, RangesUnsupported or
    BudgetExhausted); ``size`` is the file's size when known.  At most
    ``max_reads`` reads and ``max_bytes`` bytes.  Never raises: whatever
    stops the reading becomes a not-checkable DiskCheck with its reason."""
    source = _Source(read, size, max_reads, max_bytes)
    try:
        disk = _open(source)
        table, filesystems = _scan(disk)
    except _Stop as stop:
        return _stopped(source, stop.code, stop.detail)
    except RangesUnsupported:
        return _stopped(source, "ranges")
    except ReadFailed as exc:
        code = "budget" if isinstance(exc, BudgetExhausted) else "read"
        return _stopped(source, code, exc.detail or (
            "budget" if code == "budget" else "read error"))
    except (struct.error, ValueError, IndexError, OverflowError,
            zlib.error):
        return _stopped(source, "damaged", "data")
    return _conclude(source, table, filesystems)


def _scan(disk):
    """(partition table, [FilesystemCheck]).  A valid GPT first, then a
    filesystem on the whole disk (a vfat or NTFS boot sector also ends in
    0x55aa, so it is tried before the MBR), then an MBR."""
    head = disk.read(0, HEAD_BYTES)
    if len(head) < SECTOR:
        raise _Stop("empty")
    parts = _gpt(disk, head)
    if parts is not None:
        return "gpt", _probe_all(disk, parts)
    found = _identify_near(head)
    if found is None:
        parts = _mbr(disk, head)
        if parts is not None:
            return "mbr", _probe_all(disk, parts)
        found = _identify_far(head)
    return "", [_fs(WHERE["d"], 0, **(found or {"kind": "unknown"}))]


def _probe_all(disk, parts):
    return [_fs(where, offset, kind) if kind else _probe(disk, where, offset)
            for where, offset, kind in parts]


def _clean_detail(detail):
    return re.sub(r"[^A-Za-z0-9 .,/()+-]", "", str(detail or ""))[:60]


def not_checkable(code, detail="", reads=0, bytes_read=0):
    """A DiskCheck that says why the snapshot was not read (``code`` one of
    REASONS, e.g. "read" when the reading could not even start)."""
    detail = _clean_detail(detail)
    return DiskCheck(checkable=False, reason=disk_reason(code, detail),
                     ranges_unsupported=code == "ranges", reads=reads,
                     bytes_read=bytes_read, reason_code=code, detail=detail)


def _stopped(source, code, detail=""):
    return dataclasses.replace(
        not_checkable(code, detail, source.reads, source.bytes_read),
        container=source.container)


def _conclude(source, table, filesystems):
    states = {f.state for f in filesystems}
    if FsState.NEEDS_RECOVERY in states:
        code = "needs-recovery"
    elif FsState.CLEAN in states:
        code = "clean"
    elif all(f.kind == "unknown" for f in filesystems):
        code = "no-fs"
    else:
        code = "no-journal-fs"
    return DiskCheck(checkable=code in ("clean", "needs-recovery"),
                     container=source.container, partition_table=table,
                     filesystems=tuple(filesystems),
                     reason=disk_reason(code), reads=source.reads,
                     bytes_read=source.bytes_read, reason_code=code)


# --- Words and storage ------------------------------------------------------

_SHORT = {FsState.CLEAN: "journal clean",
          FsState.NEEDS_RECOVERY: "journal needs recovery",
          FsState.NO_JOURNAL: "no journal",
          FsState.NOT_CHECKABLE: "not checkable from the snapshot"}


def _short(fs):
    if fs.kind == "unknown":
        text = "no known filesystem"
    else:
        text = _SHORT[fs.state]
    if fs.marked_clean is not None:
        text += ", marked clean" if fs.marked_clean else ", marked in use"
    if fs.errors:
        text += ", errors recorded"
    return text


def summary(check):
    """One line, e.g. "ext4 (whole disk): journal clean" or "vfat
    (partition 15): not checkable from the snapshot; ext4 (partition 1):
    journal needs recovery"; the reason when nothing was read."""
    if not check.filesystems:
        return check.reason or disk_reason(check.reason_code, check.detail)
    parts = ["%s (%s): %s" % (fs.kind, fs.where, _short(fs))
             for fs in check.filesystems]
    if check.filesystems_omitted:
        parts.append("%d more not stored" % check.filesystems_omitted)
    return "; ".join(parts)


# One image property holds a check (Glance limits a property to 255
# characters):
#
#   sb1|<container>|<table>|<code>[:<detail>]|<reads>/<bytes>|<fs>;<fs>...
#   <fs> = <where>:<kind>:<state><flags>:<offset in 512-byte sectors>
#   <where> = d (whole disk) | p<N> (partition N) | l<N> (logical partition)
#   <state> = c clean | r needs recovery | n no journal | x not checkable
#   <flags> = u marked clean | m marked in use | e errors recorded
#
# e.g. "sb1|qcow2||clean|4/204800|d:ext4:c:0".  Labels, UUIDs and the
# sentences are not stored (the sentences are rendered again from the
# codes).  If the filesystems do not all fit, the ones needing recovery go
# first, then the clean ones, and a last "+<N>" counts those left out, so
# ``all_clean`` and ``any_needs_recovery`` read the same after decode.

PROPERTY_LIMIT = 255
_FORMAT = "sb1"
_STATE_CODES = {FsState.CLEAN: "c", FsState.NEEDS_RECOVERY: "r",
                FsState.NO_JOURNAL: "n", FsState.NOT_CHECKABLE: "x"}
_PRIORITY = {FsState.NEEDS_RECOVERY: 0, FsState.CLEAN: 1,
             FsState.NO_JOURNAL: 2, FsState.NOT_CHECKABLE: 3}
_FS_CODE = re.compile(r"(d|[pl]\d{1,4}):([a-z0-9][a-z0-9-]{0,15}):"
                      r"([crnx])([ume]{0,2}):(\d{1,15})\Z")


def _encode_fs(fs):
    where = where_code(fs.where)
    if not where or fs.offset % SECTOR:
        raise ValueError("not storable: %r" % (fs,))
    flags = "" if fs.marked_clean is None else (
        "u" if fs.marked_clean else "m")
    flags += "e" if fs.errors else ""
    return "%s:%s:%s%s:%d" % (where, fs.kind, _STATE_CODES[fs.state], flags,
                              fs.offset // SECTOR)


def _code_of(check):
    """The reason code, worked out for a check made without one."""
    if check.reason_code:
        return check.reason_code
    if check.filesystems:
        return ("needs-recovery" if check.any_needs_recovery else
                "clean" if check.journaled else
                "no-fs" if all(f.kind == "unknown" for f in check.filesystems)
                else "no-journal-fs")
    return "ranges" if check.ranges_unsupported else "read"


def encode(check, with_reads=True):
    """``check`` as one string of at most 255 characters (format above).
    Raises ValueError for a filesystem this module could not have found (a
    ``where`` other than its own words, an offset off a sector)."""
    code = _code_of(check) + (":" + _clean_detail(check.detail)
                              if check.detail else "")
    reads = "%d/%d" % (check.reads, check.bytes_read) if with_reads else ""
    head = "|".join((_FORMAT, check.container, check.partition_table, code,
                     reads, ""))
    entries = [_encode_fs(fs) for fs in check.filesystems]
    order = sorted(range(len(entries)),
                   key=lambda i: (_PRIORITY[check.filesystems[i].state], i))
    kept = len(entries)
    while kept >= 0:
        chosen = sorted(order[:kept])
        left = len(entries) - kept + check.filesystems_omitted
        text = head + ";".join([entries[i] for i in chosen] +
                               (["+%d" % left] if left else []))
        if len(text) <= PROPERTY_LIMIT:
            return text
        kept -= 1
    raise ValueError("a check cannot be stored in %d characters"
                     % PROPERTY_LIMIT)


def decode(text):
    """The DiskCheck ``encode`` stored (without labels and UUIDs).  Text
    that is not a stored check gives a not-checkable DiskCheck saying so."""
    try:
        return _decode(text)
    except (ValueError, TypeError, AttributeError):
        return DiskCheck(checkable=False, reason=disk_reason("stored"),
                         reason_code="stored")


def _decode(text):
    fields = text.split("|")
    if len(fields) != 6 or fields[0] != _FORMAT:
        raise ValueError("not a stored check")
    _format, container, table, code, reads, entries = fields
    code, _sep, detail = code.partition(":")
    if code not in REASONS or table not in ("", "gpt", "mbr"):
        raise ValueError("unknown code")
    if reads and not re.match(r"\d{1,12}/\d{1,15}\Z", reads):
        raise ValueError("not a read count")
    count, bytes_read = (int(n) for n in reads.split("/")) if reads \
        else (0, 0)
    filesystems, omitted = [], 0
    for entry in entries.split(";") if entries else ():
        if entry.startswith("+"):
            omitted = int(entry[1:])
        else:
            filesystems.append(_decode_fs(entry))
    return DiskCheck(
        checkable=code in ("clean", "needs-recovery"),
        container=container, partition_table=table,
        filesystems=tuple(filesystems), reason=disk_reason(code, detail),
        ranges_unsupported=code == "ranges", reads=count,
        bytes_read=bytes_read, reason_code=code, detail=detail,
        filesystems_omitted=omitted)


def _decode_fs(entry):
    match = _FS_CODE.match(entry)
    if not match:
        raise ValueError("not a stored filesystem: %r" % entry)
    where, kind, state, flags, sectors = match.groups()
    where = where_text(where)
    state = {v: k for k, v in _STATE_CODES.items()}[state]
    marked = True if "u" in flags else (False if "m" in flags else None)
    return _fs(where, int(sectors) * SECTOR, kind, state,
               marked_clean=marked, errors="e" in flags)
