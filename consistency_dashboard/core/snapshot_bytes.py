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

INTERFACE SKELETON: the dataclasses below are the contract between the
reader, the API function that feeds it and the verdict.  ``check_disk`` is
implemented by the reader's own change.
"""

import dataclasses
import enum


class ReadFailed(Exception):
    """The read callable could not read (HTTP error, connection error)."""


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
    offset: int            # byte offset of the filesystem in the virtual disk
    kind: str              # "ext4", "ext3", "ext2", "xfs", "btrfs", "ntfs",
    #                        "lvm2-pv", "luks", "swap", "vfat", "unknown"
    state: FsState
    label: str = ""
    uuid: str = ""
    reason: str = ""       # one sentence for the user


@dataclasses.dataclass(frozen=True)
class DiskCheck:
    """The result of reading one snapshot.  ``checkable`` False: nothing
    could be concluded (``reason`` says why: external backing file,
    encrypted, unknown format, ranges unsupported, budget, read error)."""
    checkable: bool
    container: str = ""          # "qcow2", "raw", "" when unknown
    partition_table: str = ""    # "gpt", "mbr", "" for none
    filesystems: tuple = ()      # FilesystemCheck
    reason: str = ""
    ranges_unsupported: bool = False
    reads: int = 0
    bytes_read: int = 0

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
