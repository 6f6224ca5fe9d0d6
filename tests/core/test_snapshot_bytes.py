"""The snapshot reader over real images made by the real tools (mke2fs,
sfdisk, sgdisk, mkfs.*, cryptsetup, qemu-img; tests/disk_images.py), one
row per case, plus the read budget, read failures and damaged input (never
an exception, never a wrong claim)."""
import dataclasses
import random
import struct
import zlib

import pytest

from consistency_dashboard.core import snapshot_bytes as sb
from tests import disk_images

C, R = sb.FsState.CLEAN, sb.FsState.NEEDS_RECOVERY
N, X = sb.FsState.NO_JOURNAL, sb.FsState.NOT_CHECKABLE
WHOLE = "whole disk"
MBR_FS = [("partition 1", "vfat", X), ("logical partition 5", "ext4", R),
          ("logical partition 6", "ext4", C)]
GPT_FS = [("partition 1", "bios-boot", X), ("partition 2", "vfat", X),
          ("partition 3", "ext4", C)]


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("disks"))

    def image(name):
        try:
            return disk_images.make(root, name)
        except disk_images.Missing as missing:
            pytest.skip("%s is not installed (tools/run-tests.sh installs "
                        "it)" % missing)
    return image


class File(object):
    """The read callable over a file, recording each read."""

    def __init__(self, path):
        with open(path, "rb") as image:
            self.data = image.read()
        self.log = []

    def __call__(self, offset, length):
        self.log.append((offset, length))
        return self.data[offset:offset + length]


def check(path, **kwargs):
    source = File(path)
    return sb.check_disk(source, size=len(source.data), **kwargs), source


def found(result):
    return [(f.where, f.kind, f.state) for f in result.filesystems]


CASES = [
    # image, container, partition table, reason code, filesystems
    ("ext4.raw", "raw", "", "clean", [(WHOLE, "ext4", C)]),
    ("ext4.qcow2", "qcow2", "", "clean", [(WHOLE, "ext4", C)]),
    ("ext4.qcow2c", "qcow2", "", "clean", [(WHOLE, "ext4", C)]),
    ("ext4.qcow2v2", "qcow2", "", "clean", [(WHOLE, "ext4", C)]),
    ("ext4.qcow2s", "qcow2", "", "clean", [(WHOLE, "ext4", C)]),
    ("ext4-1k.qcow2", "qcow2", "", "clean", [(WHOLE, "ext4", C)]),
    ("ext4-recovery.raw", "raw", "", "needs-recovery", [(WHOLE, "ext4", R)]),
    ("ext4-recovery.qcow2", "qcow2", "", "needs-recovery",
     [(WHOLE, "ext4", R)]),
    ("ext4-recovery.qcow2c", "qcow2", "", "needs-recovery",
     [(WHOLE, "ext4", R)]),
    ("ext4-recovery.qcow2v2", "qcow2", "", "needs-recovery",
     [(WHOLE, "ext4", R)]),
    ("ext3.qcow2", "qcow2", "", "clean", [(WHOLE, "ext3", C)]),
    ("ext3-recovery.qcow2", "qcow2", "", "needs-recovery",
     [(WHOLE, "ext3", R)]),
    ("ext2.qcow2", "qcow2", "", "no-journal-fs", [(WHOLE, "ext2", N)]),
    ("ext2-in-use.raw", "raw", "", "no-journal-fs", [(WHOLE, "ext2", N)]),
    ("ext4-no-journal.qcow2", "qcow2", "", "no-journal-fs",
     [(WHOLE, "ext4", N)]),
    ("ext4-errors.raw", "raw", "", "clean", [(WHOLE, "ext4", C)]),
    ("mbr.raw", "raw", "mbr", "needs-recovery", MBR_FS),
    ("mbr.qcow2", "qcow2", "mbr", "needs-recovery", MBR_FS),
    ("mbr.qcow2c", "qcow2", "mbr", "needs-recovery", MBR_FS),
    ("gpt.raw", "raw", "gpt", "clean", GPT_FS),
    ("gpt.qcow2", "qcow2", "gpt", "clean", GPT_FS),
    ("gpt.qcow2c", "qcow2", "gpt", "clean", GPT_FS),
    ("gpt-recovery.qcow2", "qcow2", "gpt", "needs-recovery",
     GPT_FS[:2] + [("partition 3", "ext4", R)]),
    ("vfat.raw", "raw", "", "no-journal-fs", [(WHOLE, "vfat", X)]),
    ("swap.qcow2", "qcow2", "", "no-journal-fs", [(WHOLE, "swap", X)]),
    ("xfs.raw", "raw", "", "no-journal-fs", [(WHOLE, "xfs", X)]),
    ("btrfs.raw", "raw", "", "no-journal-fs", [(WHOLE, "btrfs", X)]),
    ("ntfs.raw", "raw", "", "no-journal-fs", [(WHOLE, "ntfs", X)]),
    ("luks.raw", "raw", "", "no-journal-fs", [(WHOLE, "luks", X)]),
    ("lvm2.qcow2", "qcow2", "", "no-journal-fs", [(WHOLE, "lvm2-pv", X)]),
    ("zeros.raw", "raw", "", "no-fs", [(WHOLE, "unknown", X)]),
    ("zeros.qcow2", "qcow2", "", "no-fs", [(WHOLE, "unknown", X)]),
    ("backing.qcow2", "qcow2", "", "backing", []),
    ("encrypted.qcow2", "qcow2", "", "encrypted", []),
    ("ext4.qcow2x", "qcow2", "", "qcow2-feature", []),
    ("ext4.qcow2z", "qcow2", "", "qcow2-feature", []),
    ("ext4.vmdk", "vmdk", "", "format", []),
    ("ext4.vdi", "vdi", "", "format", []),
    ("ext4.vhdx", "vhdx", "", "format", []),
]


@pytest.mark.parametrize("name,container,table,code,filesystems", CASES,
                         ids=[case[0] for case in CASES])
def test_reads_real_image(images, name, container, table, code, filesystems):
    result, source = check(images(name))
    assert (result.container, result.partition_table, result.reason_code,
            found(result)) == (container, table, code, filesystems)
    assert result.checkable == (code in ("clean", "needs-recovery"))
    assert result.all_clean == (code == "clean")
    assert result.any_needs_recovery == (code == "needs-recovery")
    assert result.reason == sb.disk_reason(code, result.detail)
    assert all(f.reason.endswith(".") for f in result.filesystems)
    assert result.reads == len(source.log) <= sb.DEFAULT_MAX_READS
    assert result.bytes_read <= sb.DEFAULT_MAX_BYTES
    stored = sb.encode(result)
    assert len(stored) <= sb.PROPERTY_LIMIT
    assert sb.decode(stored) == _without_names(result)


def _without_names(result):
    return dataclasses.replace(result, filesystems=tuple(
        dataclasses.replace(f, label="", uuid="")
        for f in result.filesystems))


def test_qcow2_ext4_takes_two_reads(images):
    # the header; then the L1 table with the L2 table and the first data
    # clusters that qemu-img writes right after it
    result, source = check(images("ext4.qcow2"))
    assert result.reads == 2 and len(source.log) == 2
    assert source.log[0] == (0, sb.HEAD_BYTES)
    assert result.bytes_read < 400 * 1024


def test_raw_whole_disk_takes_one_read(images):
    result, source = check(images("ext4.raw"))
    assert source.log == [(0, sb.HEAD_BYTES)]


def test_gpt_qcow2_reads_stay_few(images):
    result, source = check(images("gpt.qcow2"))
    # header, L1 (+L2 +first clusters), each partition not yet read
    assert result.reads <= 5, source.log


def test_ext_label_uuid_and_superblock_state(images):
    ext4, _ = check(images("ext4.qcow2c"))
    assert (ext4.filesystems[0].label, ext4.filesystems[0].uuid) == (
        "root", disk_images.UUID)
    assert ext4.filesystems[0].marked_clean is None
    in_use, _ = check(images("ext2-in-use.raw"))
    assert in_use.filesystems[0].marked_clean is False
    assert "marked in use" in in_use.filesystems[0].reason
    clean, _ = check(images("ext2.qcow2"))
    assert clean.filesystems[0].marked_clean is True
    errors, _ = check(images("ext4-errors.raw"))
    assert errors.filesystems[0].errors
    assert sb.summary(errors) == (
        "ext4 (whole disk): journal clean, errors recorded")


SUMMARIES = [
    ("ext4.qcow2", "ext4 (whole disk): journal clean"),
    ("ext4-recovery.qcow2", "ext4 (whole disk): journal needs recovery"),
    ("mbr.qcow2", "vfat (partition 1): not checkable from the snapshot; "
                  "ext4 (logical partition 5): journal needs recovery; "
                  "ext4 (logical partition 6): journal clean"),
    ("ext2.qcow2", "ext2 (whole disk): no journal, marked clean"),
    ("xfs.raw", "xfs (whole disk): not checkable from the snapshot"),
    ("zeros.raw", "unknown (whole disk): no known filesystem"),
    ("backing.qcow2", "The qcow2 snapshot depends on an external backing "
                      "file, so its own bytes do not hold the whole disk."),
    ("encrypted.qcow2", "The qcow2 snapshot is encrypted, so its "
                        "filesystems cannot be read."),
    ("ext4.qcow2x", "The qcow2 snapshot uses a feature this reader does "
                    "not read (extended L2 entries)."),
    ("ext4.qcow2z", "The qcow2 snapshot uses a feature this reader does "
                    "not read (zstd compression)."),
    ("ext4.vmdk", "The snapshot is a vmdk image, which this reader does "
                  "not read."),
]


@pytest.mark.parametrize("name,text", SUMMARIES,
                         ids=[case[0] for case in SUMMARIES])
def test_summary(images, name, text):
    result, _ = check(images(name))
    assert sb.summary(result) == text
    assert sb.summary(sb.decode(sb.encode(result))) == text


def test_not_checkable_kinds_say_so(images):
    for name in ("xfs.raw", "btrfs.raw", "luks.raw", "lvm2.qcow2",
                 "swap.qcow2", "ntfs.raw", "vfat.raw"):
        result, _ = check(images(name))
        assert "not checkable from the snapshot" in \
            result.filesystems[0].reason, name


# --- Budget and read failures -------------------------------------------


def test_budget_of_reads(images):
    result, source = check(images("gpt.qcow2"), max_reads=2)
    assert len(source.log) == 2
    assert (result.checkable, result.reason_code, result.filesystems) == (
        False, "budget", ())
    assert result.reason == ("Reading the snapshot needed more than its "
                             "read budget (2 reads, 4096 KiB), so the "
                             "reading was stopped.")
    assert result.reads == 2


def test_budget_of_bytes(images):
    result, source = check(images("ext4.qcow2"), max_bytes=100 * 1024)
    assert result.reason_code == "budget" and not result.checkable
    assert sum(length for _o, length in source.log) <= 100 * 1024


def test_read_raising_ranges_unsupported():
    calls = []

    def read(offset, length):
        calls.append(offset)
        raise sb.RangesUnsupported("answered 200")
    result = sb.check_disk(read)
    assert (result.checkable, result.ranges_unsupported,
            result.reason_code, calls) == (False, True, "ranges", [0])
    assert result.reason == ("This Glance does not serve byte ranges, so "
                             "the snapshot's bytes were not read.")
    assert sb.decode(sb.encode(result)).ranges_unsupported


def test_read_raising_budget_exhausted_from_the_caller(images):
    source = File(images("ext4.qcow2"))

    def read(offset, length):
        if source.log:
            raise sb.BudgetExhausted("no", detail="1 read")
        return source(offset, length)
    result = sb.check_disk(read)
    assert (result.reason_code, result.detail) == ("budget", "1 read")


@pytest.mark.parametrize("error,detail", [
    (sb.ReadFailed("not found", detail="HTTP 404"), "HTTP 404"),
    (OSError("boom"), "read error"),
], ids=["read-failed", "unexpected-exception"])
def test_read_failures_become_a_reason(error, detail):
    def read(offset, length):
        raise error
    result = sb.check_disk(read)
    assert (result.checkable, result.reason_code, result.detail,
            result.ranges_unsupported) == (False, "read", detail, False)
    assert result.reason == "The snapshot's bytes could not be read " \
        "(%s)." % detail


def test_read_returning_no_bytes_object():
    result = sb.check_disk(lambda offset, length: "text")
    assert result.reason_code == "read" and not result.checkable


def test_empty_image():
    result = sb.check_disk(lambda offset, length: b"", size=0)
    assert result.reason_code == "empty" and result.reads == 0
    result = sb.check_disk(lambda offset, length: b"\x00" * 100)
    assert result.reason_code == "empty" and result.reads == 1


# --- Damaged and foreign input: never an exception, never a wrong claim --


def mutate(images, name, changes):
    data = bytearray(File(images(name)).data)
    for offset, value in changes:
        data[offset:offset + len(value)] = value
    data = bytes(data)
    return sb.check_disk(lambda o, n: data[o:o + n], size=len(data))


def _u32(value):
    return struct.pack(">I", value)


def _u64(value):
    return struct.pack(">Q", value)


DAMAGED = [
    ("qcow2-version-4", "ext4.qcow2", [(4, _u32(4))], "format",
     "qcow version 4"),
    ("qcow-version-1", "ext4.qcow2", [(4, _u32(1))], "format",
     "qcow version 1"),
    ("cluster-bits-30", "ext4.qcow2", [(20, _u32(30))], "damaged",
     "qcow2 header"),
    ("l1-unaligned", "ext4.qcow2", [(40, _u64(196608 + 8))], "damaged",
     "qcow2 header"),
    ("l1-too-small", "ext4.qcow2", [(36, _u32(0))], "damaged",
     "qcow2 header"),
    ("l1-past-end", "ext4.qcow2", [(40, _u64(1 << 40))], "damaged",
     "qcow2 tables (past the end of the file)"),
    ("unknown-incompatible-bit", "ext4.qcow2", [(72, _u64(1 << 9))],
     "qcow2-feature", "incompatible feature bit 9"),
    ("marked-corrupt", "ext4.qcow2", [(72, _u64(2))], "qcow2-feature",
     "image marked corrupt"),
    ("external-data-file", "ext4.qcow2", [(72, _u64(4))], "qcow2-feature",
     "external data file"),
    ("header-length-short", "ext4.qcow2", [(100, _u32(72))], "damaged",
     "qcow2 header"),
    ("crypt-method-aes", "ext4.qcow2v2", [(32, _u32(1))], "encrypted", ""),
    ("backing-offset", "ext4.qcow2v2", [(8, _u64(4096))], "backing", ""),
    ("gpt-header-crc", "gpt.raw", [(512 + 16, b"\x00\x00\x00\x00")],
     "damaged", "GPT header"),
    ("gpt-entries-crc", "gpt.raw", [(1024 + 32, b"\x01")], "damaged",
     "GPT partition entries"),
    ("protective-mbr-without-gpt", "gpt.raw", [(512, b"NOT PART")],
     "damaged", "GPT header"),
]


@pytest.mark.parametrize("label,name,changes,code,detail", DAMAGED,
                         ids=[case[0] for case in DAMAGED])
def test_damaged_headers(images, label, name, changes, code, detail):
    result = mutate(images, name, changes)
    assert (result.checkable, result.reason_code, result.detail) == (
        False, code, detail)
    assert result.filesystems == ()


def test_l2_entry_pointing_past_the_end(images):
    data = File(images("ext4.qcow2")).data
    l2 = struct.unpack_from(">Q", data, 196608)[0] & sb._Qcow2Disk.OFFSET_MASK
    result = mutate(images, "ext4.qcow2",
                    [(l2, _u64((1 << 63) | (1 << 40)))])
    assert (result.checkable, result.reason_code) == (False, "damaged")


def test_compressed_cluster_that_does_not_inflate(images):
    data = File(images("ext4.qcow2c")).data
    l2 = struct.unpack_from(">Q", data, 196608)[0] & sb._Qcow2Disk.OFFSET_MASK
    entry = struct.unpack_from(">Q", data, l2)[0]
    host = entry & ((1 << 54) - 1)
    result = mutate(images, "ext4.qcow2c", [(host, b"\xff" * 64)])
    assert (result.reason_code, result.detail) == (
        "damaged", "compressed cluster")


def test_extended_partition_loop(images):
    data = File(images("mbr.raw")).data
    extended = struct.unpack_from("<I", data, 446 + 16 + 8)[0]
    link = extended * 512 + 446 + 16
    assert data[link + 4] == 5          # the first EBR links to a second
    second = struct.unpack_from("<I", data, link + 8)[0]
    # the second EBR's link points back at itself
    loop = (extended + second) * 512 + 446 + 16
    result = mutate(images, "mbr.raw", [
        (loop, b"\x00\x00\x00\x00\x05\x00\x00\x00"
         + struct.pack("<II", second, 2048))])
    assert (result.reason_code, result.detail) == (
        "damaged", "extended partition table")


@pytest.mark.parametrize("name", ["ext4.qcow2", "ext4-recovery.qcow2c",
                                  "mbr.qcow2", "gpt.raw"])
def test_truncated_images_never_claim_wrongly(images, name):
    data = File(images(name)).data
    whole = sb.check_disk(lambda o, n: data[o:o + n], size=len(data))
    cuts = sorted({0, 1, 100, 511, 4096, 65536, 70000, 196608, 200000,
                   262144, 300000, 330000, 400000, len(data) // 2,
                   len(data) - 1})
    for cut in (c for c in cuts if c < len(data)):
        short = data[:cut]
        result = sb.check_disk(lambda o, n: short[o:o + n])
        if result.checkable:
            assert found(result) == found(whole), cut
        else:
            assert result.reason_code in (
                "empty", "damaged", "no-fs", "no-journal-fs"), (cut, result)


def test_random_bytes_never_claim_anything():
    generator = random.Random(20261202)
    for size in (10, 600, 5000, 70000, 300000):
        for _ in range(20):
            data = generator.randbytes(size)
            result = sb.check_disk(lambda o, n: data[o:o + n])
            assert not result.checkable, result
            result = sb.check_disk(
                lambda o, n: (b"QFI\xfb" + data)[o:o + n])
            assert not result.checkable, result


def test_random_qcow2_tables_never_raise(images):
    data = bytearray(File(images("ext4.qcow2")).data)
    generator = random.Random(7)
    for _ in range(200):
        damaged = bytearray(data)
        for _ in range(8):
            at = generator.choice((generator.randrange(0, 112),
                                   generator.randrange(196608, 196616),
                                   generator.randrange(262144, 262160)))
            damaged[at] = generator.getrandbits(8)
        frozen = bytes(damaged)
        result = sb.check_disk(lambda o, n: frozen[o:o + n],
                               size=len(frozen))
        if result.checkable:
            assert found(result) == [(WHOLE, "ext4", C)]


# --- Storing a check in one image property ------------------------------


def _fs(number, state):
    return sb._fs("partition %d" % number, number * 2048 * 512, "ext4",
                  state)


def test_encode_keeps_the_journaled_ones_when_not_all_fit():
    filesystems = tuple(
        [sb._fs("partition %d" % n, n * 1 << 30, "vfat") for n in range(1, 9)]
        + [_fs(n, C) for n in range(9, 13)] + [_fs(13, R)])
    check = sb.DiskCheck(checkable=True, container="qcow2",
                         partition_table="gpt", filesystems=filesystems,
                         reason=sb.disk_reason("needs-recovery"),
                         reads=9, bytes_read=123456,
                         reason_code="needs-recovery")
    text = sb.encode(check)
    assert len(text) <= sb.PROPERTY_LIMIT
    back = sb.decode(text)
    assert back.any_needs_recovery and not back.all_clean
    assert back.filesystems_omitted > 0
    assert [f.where for f in back.journaled] == [
        "partition %d" % n for n in range(9, 14)]
    assert len(back.filesystems) + back.filesystems_omitted == 13
    assert sb.summary(back).endswith("%d more not stored"
                                     % back.filesystems_omitted)


def test_encode_format_and_without_reads():
    check = sb.DiskCheck(checkable=True, container="qcow2",
                         filesystems=(sb._fs("whole disk", 0, "ext4", C),),
                         reason=sb.disk_reason("clean"), reads=2,
                         bytes_read=331776, reason_code="clean")
    assert sb.encode(check) == "sb1|qcow2||clean|2/331776|d:ext4:c:0"
    assert sb.encode(check, with_reads=False) == "sb1|qcow2||clean||d:ext4:c:0"
    back = sb.decode("sb1|qcow2||clean||d:ext4:c:0")
    assert (back.reads, back.bytes_read, back.all_clean) == (0, 0, True)


@pytest.mark.parametrize("text", [
    "", "sb1", "sb2|qcow2||clean||d:ext4:c:0", "sb1|qcow2||what||",
    "sb1|qcow2||clean|x/y|d:ext4:c:0", "sb1|qcow2||clean||d:ext4:q:0",
    "sb1|qcow2||clean||z:ext4:c:0", "sb1|qcow2|apm|clean||", None, 42,
    "sb1|qcow2||clean||d:EXT4:c:0",
])
def test_decode_of_anything_else_says_so(text):
    result = sb.decode(text)
    assert (result.checkable, result.reason_code) == (False, "stored")
    assert result.reason == ("The stored result of reading the snapshot "
                             "could not be read.")


def test_decode_keeps_budget_detail():
    text = "sb1|qcow2||budget:32 reads, 4096 KiB|32/1000|"
    result = sb.decode(text)
    assert result.reason == ("Reading the snapshot needed more than its "
                             "read budget (32 reads, 4096 KiB), so the "
                             "reading was stopped.")
    assert sb.encode(result) == text


def test_inflate_uses_raw_deflate_with_qemus_window():
    # a cluster compressed as QEMU does it (raw deflate, 4 KiB window)
    compressor = zlib.compressobj(6, zlib.DEFLATED, -12)
    blob = compressor.compress(b"ab" * 256) + compressor.flush()
    disk = sb._Qcow2Disk.__new__(sb._Qcow2Disk)
    disk.cluster = 512
    disk.src = type("S", (), {"read": lambda self, o, n: blob[o:o + n]})()
    assert disk._inflate(0, len(blob)) == b"ab" * 256
