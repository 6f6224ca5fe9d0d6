"""What Nova will do when an instance is snapshotted now, and how to fix it.

One function, :func:`predict`, applies DOMAIN.md "What a snapshot actually
does (libvirt driver)" to the plain facts about one instance:
:func:`snapshot_path` picks the row of that table (a :class:`Path`), and
:data:`PATH_ROWS` gives the outcome for each path and the properties the
instance was booted with (a :class:`Captured` case).  The rules, and where
Nova implements them (nova 34.0.0):

* image-backed: ``LibvirtDriver.snapshot`` (nova/virt/libvirt/driver.py)
  first tries the image backend's ``direct_snapshot``: on Ceph RBD
  (``Rbd.direct_snapshot``, nova/virt/libvirt/imagebackend.py) that is an RBD
  snapshot + clone with no freeze at all, whatever the properties say;
* it takes a live snapshot only when the backend is not LVM, ephemeral
  storage is not encrypted, ``workarounds.disable_libvirt_livesnapshot`` is
  off and the guest is not shut down; otherwise the guest is suspended for
  a cold copy (no freeze);
* ``_live_snapshot`` calls ``_can_quiesce``: without ``hw_qemu_guest_agent``
  (QemuGuestAgentNotEnabled) it fails only when ``os_require_quiesce`` is
  set; the freeze itself failing (agent silent, hook failing) is skipped
  silently ("Skipping quiescing instance", change caf5faf556, first released
  in Nova 25.0.0 Yoga; on Xena 24.x and older it made the snapshot fail when
  ``os_require_quiesce`` was set);
* other drivers, or libvirt with a virt_type other than kvm/qemu: LXC and
  Parallels take the cold path and other drivers never read
  ``os_require_quiesce``, so an image-backed snapshot is crash-consistent,
  not a failure;
* volume-backed: ``API.snapshot_volume_backed`` (nova/compute/api.py)
  quiesces only a guest whose vm_state is ACTIVE; when quiescing fails and
  ``os_require_quiesce`` is set the API call itself fails (409
  InstanceQuiesceFailed for an unresponsive agent, 400
  QemuGuestAgentNotEnabled, 500 InternalError for any other libvirt error
  such as a failing hook or FIFREEZE, 500 NotImplementedError from other
  drivers), so a success proves the freeze.  Known exactly only when the
  properties are: the boot volume's ``volume_image_metadata`` is what it
  holds now, not what the server was started with.

Nova reads the properties captured at boot (``objects.ImageMeta.from_instance``
over system_metadata), never the image's current ones: see captured.py.
"""

import dataclasses
import enum
import re

from consistency_dashboard.core import microversions
from consistency_dashboard.core import posture
from consistency_dashboard.core import properties as props
from consistency_dashboard.core.i18n import fill
from consistency_dashboard.core.i18n import gettext_noop


class BootSource(enum.Enum):
    IMAGE = "image"
    VOLUME = "volume"


class Power(enum.Enum):
    # Marked: a sentence names the power state ("paused instance: ...").
    RUNNING = gettext_noop("running")
    STOPPED = gettext_noop("stopped")
    PAUSED = gettext_noop("paused")
    SUSPENDED = gettext_noop("suspended")
    OTHER = gettext_noop("other")


class Storage(enum.Enum):
    """Where the compute host keeps image-backed root disks (an operator
    setting or hint; tenants usually cannot see it)."""
    FILE = "file"                            # qcow2 / raw / flat / ploop
    RBD = "rbd"                              # Ceph RBD: direct snapshot
    NO_LIVE_SNAPSHOT = "no_live_snapshot"    # LVM, encrypted, workaround
    UNKNOWN = "unknown"


class VirtDriver(enum.Enum):
    LIBVIRT = "libvirt"      # with virt_type kvm or qemu
    OTHER = "other"          # another driver, or libvirt with another type
    UNKNOWN = "unknown"      # treated as libvirt, the common case


class Outcome(enum.Enum):
    # The same words as posture.Posture where the meaning is the same.
    FAILS = gettext_noop("snapshot fails")
    CRASH_CONSISTENT = posture.Posture.CRASH_ONLY.value
    FILESYSTEM_IF_AGENT = posture.Posture.FILESYSTEM_IF_AGENT.value
    FILESYSTEM_ENFORCED = gettext_noop(
        "filesystem-consistent, enforced by Nova")
    CONSISTENT_IF_CLEAN_SHUTDOWN = gettext_noop(
        "consistent if the guest shut down cleanly")
    UNKNOWN = "unknown"


class Path(enum.Enum):
    """The row of DOMAIN.md's table "What a snapshot actually does" a
    snapshot of the instance takes now, plus the states an instance can be
    in that the table has no row for.  The values are the names the
    ``PATH_TABLE`` test cases start with."""
    IMAGE_FILE_LIVE = "image-file-live"        # _live_snapshot
    IMAGE_PAUSED = "image-paused"              # live, agent cannot answer
    IMAGE_RBD = "image-rbd"                    # Rbd.direct_snapshot
    IMAGE_COLD_STOPPED = "image-cold-stopped"  # shut off: cold snapshot
    IMAGE_NO_LIVE_SNAPSHOT = "image-no-live-snapshot"  # suspended for copy
    IMAGE_SUSPENDED = "image-suspended"
    IMAGE_OTHER_STATE = "image-other-state"
    NON_LIBVIRT_IMAGE = "non-libvirt/image"
    VOLUME_BACKED = "volume-backed"            # snapshot_volume_backed
    VOLUME_STOPPED = "volume-backed/stopped"   # quiesced only when ACTIVE
    VOLUME_NOT_ACTIVE = "volume-backed/not-active"
    NON_LIBVIRT_VOLUME = "non-libvirt/volume"


class Captured(enum.Enum):
    """What the instance was booted with, as far as the table cares."""
    UNKNOWN = "unknown"
    NO_AGENT = "no-agent"
    QUIESCE_WITHOUT_AGENT = "quiesce-without-agent"
    AGENT = "agent"
    AGENT_QUIESCE = "agent+quiesce"
    # both keys, but read from the boot volume's metadata now, which may not
    # be what the server was started with
    AGENT_QUIESCE_INEXACT = "agent+quiesce, inexact"


# How much a live snapshot of a running instance guarantees; used to decide
# whether a fix would change anything.
_RANK = {
    Outcome.FAILS: 0,
    Outcome.CRASH_CONSISTENT: 1,
    Outcome.UNKNOWN: 2,
    Outcome.FILESYSTEM_IF_AGENT: 2,
    Outcome.CONSISTENT_IF_CLEAN_SHUTDOWN: 2,
    Outcome.FILESYSTEM_ENFORCED: 3,
}


class FixOption(enum.Enum):
    """The ways to fix an instance (DOMAIN.md "Properties are captured at
    boot"), in menu order."""
    REBUILD_FROM_IMAGE = "rebuild_from_image"
    REBUILD_FROM_OWN_SNAPSHOT = "rebuild_from_own_snapshot"
    VOLUME_RECREATE = "volume_recreate"
    OPERATOR_NOVA_MANAGE = "operator_nova_manage"
    TEST_SNAPSHOT = "test_snapshot"


FIX_OPTION_LABELS = {
    FixOption.REBUILD_FROM_IMAGE: gettext_noop("Rebuild from the image"),
    FixOption.REBUILD_FROM_OWN_SNAPSHOT: gettext_noop(
        "Rebuild from its own snapshot"),
    FixOption.VOLUME_RECREATE: gettext_noop("Recreate from the boot volume"),
    FixOption.OPERATOR_NOVA_MANAGE: gettext_noop(
        "Operator: nova-manage image_property"),
    FixOption.TEST_SNAPSHOT: gettext_noop("Test snapshot"),
}

FIX_OPTION_TRADEOFFS = {
    FixOption.REBUILD_FROM_IMAGE: gettext_noop(
        "Keeps the instance ID, IP addresses and attached volumes. Replaces "
        "the root disk and the ephemeral disks: data on them is lost."),
    FixOption.REBUILD_FROM_OWN_SNAPSHOT: gettext_noop(
        "Keeps the instance ID, IP addresses, attached volumes and the root "
        "disk data as of the snapshot. The instance is stopped first; "
        "ephemeral disks are recreated empty."),
    FixOption.VOLUME_RECREATE: gettext_noop(
        "Keeps the data on the boot volume. The new server gets a new ID "
        "and may get new IP addresses; the old server must be deleted with "
        "its volume kept. Rebuilding a volume-backed server would re-image "
        "the volume and lose its data."),
    FixOption.OPERATOR_NOVA_MANAGE: gettext_noop(
        "No data loss and the ID and IP addresses are kept. Needs an "
        "operator on a control-plane host (Nova 25.0.0 Yoga or later); the "
        "instance is stopped during the change."),
    FixOption.TEST_SNAPSHOT: gettext_noop(
        "Creates a test snapshot image; the snapshot inherits the "
        "properties the instance was booted with, so it shows what Nova "
        "will use."),
}


def _coerce(enum_class, value):
    if isinstance(value, enum_class):
        return value
    return enum_class(value)


# Nova's server ``status`` (as listed) -> Power.
_STATUS_POWER = {
    "ACTIVE": Power.RUNNING,
    "SHUTOFF": Power.STOPPED,
    "PAUSED": Power.PAUSED,
    "SUSPENDED": Power.SUSPENDED,
}


def power_from_status(status):
    """The Power of a server from its API ``status`` (ACTIVE, SHUTOFF,
    PAUSED, SUSPENDED; anything else, e.g. SHELVED_OFFLOADED or ERROR, is
    OTHER)."""
    return _STATUS_POWER.get(str(status or "").upper(), Power.OTHER)


@dataclasses.dataclass(frozen=True)
class InstanceFacts:
    """Plain facts about one instance.  Strings are accepted for the enums.

    ``captured`` (a ConsistencyProperties, a plain property dict, or a
    captured.CapturedProperties) None means the boot-time properties are
    unknown;
    ``current_image_properties`` None means the image is unknown (deleted,
    not visible, or a volume without image metadata).
    ``stale_suspected`` is captured.py's heuristic (image changed after the
    instance was created), meaningful only while ``captured`` is None.
    """
    instance_id: str = ""
    boot_source: BootSource = BootSource.IMAGE
    captured: props.ConsistencyProperties = None
    current_image_properties: dict = None
    power: Power = Power.RUNNING
    storage: Storage = Storage.UNKNOWN
    virt_driver: VirtDriver = VirtDriver.UNKNOWN
    nova_max_microversion: str = None
    nova_major: int = None      # explicit release hint, wins if given
    stale_suspected: bool = False
    # Whether ``captured`` is exactly what the instance runs with (2.98, or
    # keys a snapshot inherited); None: from a CapturedProperties' source,
    # else True (the caller gave the properties as known).
    captured_exact: bool = None

    def __post_init__(self):
        for name, enum_class in (("boot_source", BootSource),
                                 ("power", Power),
                                 ("storage", Storage),
                                 ("virt_driver", VirtDriver)):
            object.__setattr__(self, name,
                               _coerce(enum_class, getattr(self, name)))
        resolved = self.captured
        if hasattr(resolved, "source") and hasattr(resolved,
                                                   "stale_suspected"):
            # A captured.CapturedProperties: take its properties and its
            # staleness heuristic.
            object.__setattr__(self, "captured", resolved.properties)
            if self.captured_exact is None:
                object.__setattr__(self, "captured_exact",
                                   _exact_source(resolved.source))
            object.__setattr__(self, "stale_suspected",
                               bool(self.stale_suspected or
                                    resolved.stale_suspected))
        if isinstance(self.captured, dict):
            object.__setattr__(self, "captured",
                               props.read_properties(self.captured))
        if self.captured_exact is None:
            object.__setattr__(self, "captured_exact", True)


def _exact_source(source):
    """SERVER (2.98 ``image.properties``) and SNAPSHOT (keys a snapshot
    inherited, compute_utils.initialize_instance_snapshot_metadata) show
    what the instance runs with; a boot volume's metadata does not."""
    return getattr(source, "value", source) in ("server", "snapshot")


@dataclasses.dataclass(frozen=True)
class NextStep:
    option: FixOption
    applicable: bool
    note: str                    # why (not) applicable, what to do first
    set_properties: dict         # what the fix writes, property -> value
    commands: tuple = ()         # operator commands, ready to copy

    @property
    def label(self):
        return FIX_OPTION_LABELS[self.option]

    @property
    def tradeoff(self):
        return FIX_OPTION_TRADEOFFS[self.option]


@dataclasses.dataclass(frozen=True)
class Prediction:
    outcome: Outcome
    cause: str               # the short cause, for the one-line summary
    reasons: tuple           # sentences, the why in full
    rebuild_needed: bool     # booted before a fix: the image is better now
    captured_differs: bool   # captured values differ from the image's
    action_needed: bool
    badge: str               # short badge text when action_needed, else None
    next_steps: tuple        # NextStep, menu order
    facts: InstanceFacts
    path: Path = None        # the row of DOMAIN.md's table it follows

    @property
    def label(self):
        return self.outcome.value

    @property
    def summary(self):
        """One line for a table cell, e.g. "crash-consistent only: booted
        without the guest agent channel; rebuild needed"."""
        template = _SUMMARIES[(bool(self.cause), bool(self.rebuild_needed))]
        return fill(template, label=self.label, cause=self.cause)

    @property
    def applicable_next_steps(self):
        return tuple(s for s in self.next_steps if s.applicable)


# (has a cause, rebuild needed) -> the one line of a Prediction.
_SUMMARIES = {
    (False, False): "{label}",
    (True, False): gettext_noop("{label}: {cause}"),
    (False, True): gettext_noop("{label}; rebuild needed"),
    (True, True): gettext_noop("{label}: {cause}; rebuild needed"),
}

# Sentences shared by several rows of the table.
_NO_CHANNEL = gettext_noop("booted without the guest agent channel")
_NO_CHANNEL_QUIESCE = gettext_noop(
    "booted without the guest agent channel but quiesce required")
_REASON_NO_CHANNEL = gettext_noop(
    "The instance was booted without hw_qemu_guest_agent, so libvirt gave "
    "it no org.qemu.guest_agent.0 channel and no freeze is possible.")
_REASON_REFUSED_IMAGE = gettext_noop(
    "os_require_quiesce is set but the instance was booted without "
    "hw_qemu_guest_agent: Nova cannot freeze it and refuses the live "
    "snapshot (the snapshot image is deleted).")
_REASON_REFUSED_VOLUME = gettext_noop(
    "os_require_quiesce is set but the instance was booted without "
    "hw_qemu_guest_agent: Nova cannot freeze it and refuses the live "
    "snapshot (HTTP 400 QemuGuestAgentNotEnabled from createImage).")
_REASON_RBD = gettext_noop(
    "Root disks on Ceph RBD are snapshotted with an RBD snapshot and clone "
    "(Rbd.direct_snapshot): Nova never freezes the guest on this path, and "
    "os_require_quiesce has no effect.")
_REASON_NO_LIVE = gettext_noop(
    "Live snapshots are not available for this instance's storage (LVM, "
    "encrypted ephemeral storage or disable_libvirt_livesnapshot): Nova "
    "suspends the guest during the copy without freezing it, and "
    "os_require_quiesce has no effect.")
_REASON_STOPPED = gettext_noop(
    "The instance is stopped: Nova copies the disk without freezing "
    "(nothing to freeze). The copy is consistent if the guest shut down "
    "cleanly; Nova forces the power off when the guest does not stop within "
    "the shutdown timeout.")
_REASON_SKIP_SILENT = gettext_noop(
    "If the agent is not running or does not answer, Nova skips the freeze "
    "silently and the snapshot still succeeds (Nova 25.0.0 Yoga and later), "
    "and Nova never reports whether the freeze happened: only the "
    "snapshot's bytes or the guest probe can tell.")
_REASON_RELEASE = {
    True: gettext_noop(
        "On this cloud (Nova 25.0.0 Yoga or later) os_require_quiesce does "
        "not stop that: it only makes Nova fail when the agent channel is "
        "missing."),
    False: gettext_noop(
        "On this cloud (older than Nova 25.0.0 Yoga) os_require_quiesce "
        "makes a snapshot whose freeze fails fail instead of going on "
        "unfrozen."),
    None: gettext_noop(
        "Whether os_require_quiesce makes a snapshot whose freeze fails "
        "fail (Xena and older) or go on unfrozen (Nova 25.0.0 Yoga and "
        "later) depends on the Nova release, which this cloud's API does "
        "not tell (maximum microversion 2.90 is both Xena and Yoga)."),
}
_REASON_STORAGE_UNKNOWN = gettext_noop(
    "This assumes file-based root disks; if the cloud keeps instance disks "
    "on Ceph RBD the snapshot is crash-consistent only. A test snapshot "
    "tells.")
_REASON_CAPTURED_UNKNOWN = gettext_noop(
    "The properties this instance was booted with are not known (this "
    "cloud's API is older than microversion 2.98 and no snapshot of the "
    "instance is visible): run a test snapshot to reveal them.")
CHECK_VOLUME_METADATA = gettext_noop(
    "check needed: started with this volume metadata?")
_REASON_VOLUME_NOT_EXACT = gettext_noop(
    "The boot volume's image metadata has hw_qemu_guest_agent and "
    "os_require_quiesce now, but it may have been changed after this server "
    "was started (recreating from the boot volume does exactly that), and "
    "Nova uses what the server was started with. A test snapshot inherits "
    "those and tells.")
_REASON_STALE = gettext_noop(
    "The image was changed after this instance was created: the instance "
    "may have been booted with different properties than the image has now.")


_REASON_SUSPENDED = gettext_noop(
    "The instance is suspended: its memory is saved to disk and the root "
    "disk is copied without a freeze, with unwritten data still in the "
    "saved memory.")
_REASON_OTHER_STATE = gettext_noop(
    "The instance is neither running, stopped, paused nor suspended: Nova "
    "may refuse the snapshot (HTTP 409).")
_REASON_PAUSED = gettext_noop(
    "The instance is paused: the agent cannot run, so Nova skips the freeze "
    "silently and copies the disk as it is.")
_REASON_VOLUME_NOT_ACTIVE = gettext_noop(
    "Nova quiesces a volume-backed instance only while it is active; a "
    "{power} instance's volumes are snapshotted as they are.")
_REASON_OTHER_DRIVER_IMAGE = gettext_noop(
    "This hypervisor cannot quiesce: image-backed snapshots copy the disk "
    "without a freeze, whatever os_require_quiesce says.")
_REASON_OTHER_DRIVER_VOLUME = gettext_noop(
    "This hypervisor cannot quiesce: Nova snapshots the volumes without a "
    "freeze.")
_REASON_OTHER_DRIVER_VOLUME_FAILS = gettext_noop(
    "This hypervisor cannot quiesce and os_require_quiesce is set: the "
    "createImage request fails (HTTP 400 InstanceQuiesceNotSupported, or "
    "500 NotImplementedError from drivers other than libvirt).")
_REASON_VOLUME_ENFORCED = gettext_noop(
    "Volume-backed with hw_qemu_guest_agent and os_require_quiesce: Nova "
    "freezes the guest before the volume snapshots and fails the request if "
    "the freeze fails (HTTP 409 when the agent does not answer, 500 for a "
    "failing hook or FIFREEZE error), so a successful snapshot proves the "
    "freeze.")
_REASON_VOLUME_AGENT = gettext_noop(
    "Volume-backed with hw_qemu_guest_agent: Nova asks the agent to freeze "
    "before the volume snapshots.")
_REASON_VOLUME_NOT_ENFORCED = gettext_noop(
    "os_require_quiesce is not set: if the agent does not answer, Nova "
    "skips the freeze silently. Setting it makes a failed freeze fail the "
    "request, so success proves the freeze.")
_REASON_IMAGE_AGENT = gettext_noop(
    "Booted with hw_qemu_guest_agent: Nova asks the agent to freeze the "
    "filesystems once the disk copy is mirrored.")


def snapshot_path(facts):
    """The :class:`Path` a snapshot of ``facts`` taken now follows."""
    power = facts.power
    if facts.boot_source is BootSource.VOLUME:
        if power is Power.STOPPED:
            return Path.VOLUME_STOPPED
        if power is not Power.RUNNING:
            return Path.VOLUME_NOT_ACTIVE
        if facts.virt_driver is VirtDriver.OTHER:
            return Path.NON_LIBVIRT_VOLUME
        return Path.VOLUME_BACKED
    # LibvirtDriver.snapshot: direct_snapshot first, then live or cold.
    if power is Power.STOPPED:
        return Path.IMAGE_COLD_STOPPED
    if facts.storage is Storage.RBD:
        return Path.IMAGE_RBD
    if facts.storage is Storage.NO_LIVE_SNAPSHOT:
        return Path.IMAGE_NO_LIVE_SNAPSHOT
    by_power = {Power.SUSPENDED: Path.IMAGE_SUSPENDED,
                Power.OTHER: Path.IMAGE_OTHER_STATE}
    if power in by_power:
        return by_power[power]
    if facts.virt_driver is VirtDriver.OTHER:
        return Path.NON_LIBVIRT_IMAGE
    return Path.IMAGE_PAUSED if power is Power.PAUSED else Path.IMAGE_FILE_LIVE


def captured_case(captured, exact=True):
    """The :class:`Captured` case of a ConsistencyProperties (or None)."""
    if captured is None:
        return Captured.UNKNOWN
    agent = captured.guest_agent.value
    quiesce = captured.require_quiesce.value
    if not agent:
        return Captured.QUIESCE_WITHOUT_AGENT if quiesce else \
            Captured.NO_AGENT
    if not quiesce:
        return Captured.AGENT
    return Captured.AGENT_QUIESCE if exact else \
        Captured.AGENT_QUIESCE_INEXACT


@dataclasses.dataclass(frozen=True)
class PathRow:
    """One row of :data:`PATH_ROWS`: on these paths, with these captured
    properties, a snapshot is ``outcome``, for ``cause``, because of
    ``reasons``.  ``{power}`` in the texts is the instance's power state."""
    paths: frozenset
    captured: frozenset
    outcome: Outcome
    cause: str
    reasons: tuple
    # Whether the sentences on the release and the storage setting follow
    # (a live snapshot that asks the agent to freeze).
    live_notes: bool = False


_ANY = frozenset(Captured)
_WITH_AGENT = frozenset({Captured.AGENT, Captured.AGENT_QUIESCE,
                         Captured.AGENT_QUIESCE_INEXACT})
_WITH_QUIESCE = frozenset({Captured.QUIESCE_WITHOUT_AGENT,
                           Captured.AGENT_QUIESCE,
                           Captured.AGENT_QUIESCE_INEXACT})
_LIVE = frozenset({Path.IMAGE_FILE_LIVE, Path.IMAGE_PAUSED})
_COLD = frozenset({Path.IMAGE_COLD_STOPPED, Path.VOLUME_STOPPED})


def _rows(paths, *cases):
    """PathRows for ``paths`` (a Path or a set), one per
    ``(captured, outcome, cause, reasons[, live_notes])``."""
    paths = frozenset({paths}) if isinstance(paths, Path) else paths
    return tuple(PathRow(paths, frozenset({c}) if isinstance(c, Captured)
                         else c, *rest) for c, *rest in cases)


# The short causes, for the one-line summary.
_STOPPED = gettext_noop("instance stopped")
_RBD = gettext_noop("Ceph RBD direct snapshot")
_NO_LIVE = gettext_noop("live snapshot unavailable")
_SUSPENDED = gettext_noop("instance suspended")
_OTHER_STATE = gettext_noop("instance in an unusual state")
_NO_QUIESCE = gettext_noop("quiesce not supported by this hypervisor")
_UNKNOWN = gettext_noop("boot-time properties unknown")
_PAUSED = gettext_noop("instance paused")
_AGENT = gettext_noop("agent channel present")
_NOT_ACTIVE = gettext_noop("{power} instance: Nova does not quiesce it")
_NOT_EXACT = gettext_noop("enforced only if started with this metadata")
_ENFORCED = gettext_noop("volume-backed with os_require_quiesce")
_NOT_ENFORCED = gettext_noop("freeze not enforced")

_O = Outcome

# DOMAIN.md's table, one row per (path, captured properties); the first row
# that matches decides.
PATH_ROWS = (
    # Image-backed cold snapshot (LibvirtDriver.snapshot: no live snapshot
    # for a SHUTDOWN guest); volume-backed: quiesce only for ACTIVE.
    _rows(_COLD, (_ANY, _O.CONSISTENT_IF_CLEAN_SHUTDOWN, _STOPPED,
                  (_REASON_STOPPED,))) +
    _rows(Path.IMAGE_RBD, (_ANY, _O.CRASH_CONSISTENT, _RBD, (_REASON_RBD,))) +
    _rows(Path.IMAGE_NO_LIVE_SNAPSHOT,
          (_ANY, _O.CRASH_CONSISTENT, _NO_LIVE, (_REASON_NO_LIVE,))) +
    _rows(Path.IMAGE_SUSPENDED,
          (_ANY, _O.CRASH_CONSISTENT, _SUSPENDED, (_REASON_SUSPENDED,))) +
    _rows(Path.IMAGE_OTHER_STATE,
          (_ANY, _O.UNKNOWN, _OTHER_STATE, (_REASON_OTHER_STATE,))) +
    # LXC and Parallels take the cold path and other drivers never read
    # os_require_quiesce: crash-consistent, not a failure.
    _rows(Path.NON_LIBVIRT_IMAGE,
          (_ANY, _O.CRASH_CONSISTENT, _NO_QUIESCE,
           (_REASON_OTHER_DRIVER_IMAGE,))) +
    _rows(_LIVE,
          (Captured.UNKNOWN, _O.UNKNOWN, _UNKNOWN,
           (_REASON_CAPTURED_UNKNOWN,)),
          (Captured.QUIESCE_WITHOUT_AGENT, _O.FAILS, _NO_CHANNEL_QUIESCE,
           (_REASON_REFUSED_IMAGE,)),
          (Captured.NO_AGENT, _O.CRASH_CONSISTENT, _NO_CHANNEL,
           (_REASON_NO_CHANNEL,))) +
    _rows(Path.IMAGE_PAUSED,
          (_WITH_AGENT, _O.CRASH_CONSISTENT, _PAUSED, (_REASON_PAUSED,))) +
    _rows(Path.IMAGE_FILE_LIVE,
          (_WITH_AGENT, _O.FILESYSTEM_IF_AGENT, _AGENT,
           (_REASON_IMAGE_AGENT, _REASON_SKIP_SILENT), True)) +
    _rows(Path.VOLUME_NOT_ACTIVE,
          (_ANY, _O.CRASH_CONSISTENT, _NOT_ACTIVE,
           (_REASON_VOLUME_NOT_ACTIVE,))) +
    _rows(Path.NON_LIBVIRT_VOLUME,
          (_WITH_QUIESCE, _O.FAILS, _NO_QUIESCE,
           (_REASON_OTHER_DRIVER_VOLUME_FAILS,)),
          (_ANY, _O.CRASH_CONSISTENT, _NO_QUIESCE,
           (_REASON_OTHER_DRIVER_VOLUME,))) +
    _rows(Path.VOLUME_BACKED,
          (Captured.UNKNOWN, _O.UNKNOWN, _UNKNOWN,
           (_REASON_CAPTURED_UNKNOWN,)),
          (Captured.QUIESCE_WITHOUT_AGENT, _O.FAILS, _NO_CHANNEL_QUIESCE,
           (_REASON_REFUSED_VOLUME,)),
          (Captured.NO_AGENT, _O.CRASH_CONSISTENT, _NO_CHANNEL,
           (_REASON_NO_CHANNEL,)),
          (Captured.AGENT_QUIESCE_INEXACT, _O.FILESYSTEM_IF_AGENT, _NOT_EXACT,
           (_REASON_VOLUME_NOT_EXACT,)),
          (Captured.AGENT_QUIESCE, _O.FILESYSTEM_ENFORCED, _ENFORCED,
           (_REASON_VOLUME_ENFORCED,)),
          (Captured.AGENT, _O.FILESYSTEM_IF_AGENT, _NOT_ENFORCED,
           (_REASON_VOLUME_AGENT, _REASON_VOLUME_NOT_ENFORCED)))
)


def path_row(path, case):
    """The first row of :data:`PATH_ROWS` for ``path`` and ``case``."""
    for row in PATH_ROWS:
        if path in row.paths and case in row.captured:
            return row
    raise LookupError("no row for %s / %s" % (path.value, case.value))


def _live_notes(facts, captured):
    """What a live snapshot that asks the agent depends on: the release
    (with os_require_quiesce) and where the root disk is."""
    notes = []
    if captured.require_quiesce.value:
        notes.append(_REASON_RELEASE[microversions.silent_agent_skipped(
            facts.nova_max_microversion, facts.nova_major)])
    if facts.storage is Storage.UNKNOWN:
        notes.append(_REASON_STORAGE_UNKNOWN)
    return notes


def _running_outcome(facts, captured):
    """(outcome, cause, reasons, path) for ``facts`` with ``captured``
    properties (a ConsistencyProperties or None), from :data:`PATH_ROWS`."""
    path = snapshot_path(facts)
    row = path_row(path, captured_case(captured, facts.captured_exact))
    power = facts.power.value
    reasons = [fill(r, power=power) for r in row.reasons]
    if row.live_notes:
        reasons.extend(_live_notes(facts, captured))
    return row.outcome, fill(row.cause, power=power), reasons, path


_IDEAL = props.read_properties({props.GUEST_AGENT: props.FIX_VALUE,
                                props.REQUIRE_QUIESCE: props.FIX_VALUE})


def properties_to_set(captured):
    """The properties a fix must write so the instance gets both the agent
    channel and required quiesce: ``{name: "yes"}``, only those not already
    true.  Unknown captured properties: both (writing them is harmless)."""
    to_set = {}
    if captured is None or not captured.guest_agent.value:
        to_set[props.GUEST_AGENT] = props.FIX_VALUE
    if captured is None or not captured.require_quiesce.value:
        to_set[props.REQUIRE_QUIESCE] = props.FIX_VALUE
    return to_set


_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                   r"[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


def operator_commands(instance_id, captured=None, power=Power.RUNNING):
    """The exact commands an operator runs to give an existing instance the
    properties, without data loss (nova-manage image_property set, Nova
    25.0.0 Yoga and later; it needs the instance stopped or shelved).

    Returns a tuple of command lines: stop, nova-manage, start; only the
    nova-manage line when the instance is already stopped (it is left
    stopped); an empty tuple when nothing needs setting.  ``instance_id`` must
    be a UUID (the lines are meant to be pasted into a root shell).
    """
    if not _UUID.match(str(instance_id or "")):
        raise ValueError("not an instance UUID: %r" % (instance_id,))
    to_set = properties_to_set(captured)
    if not to_set:
        return ()
    manage = "nova-manage image_property set %s %s" % (
        instance_id,
        " ".join("--property %s=%s" % (k, v) for k, v in to_set.items()))
    if _coerce(Power, power) is Power.STOPPED:
        return (manage,)
    return ("openstack server stop %s" % instance_id,
            manage,
            "openstack server start %s" % instance_id)


def _weaker(captured, current):
    """Whether a boolean Nova reads as true on the image is not true in the
    captured copy."""
    return ((current.guest_agent.value and not captured.guest_agent.value) or
            (current.require_quiesce.value
             and not captured.require_quiesce.value))


_NOTHING_TO_FIX = gettext_noop("Nothing to fix.")


def _rebuild_from_image_step(action_needed, rebuild_needed, current):
    if rebuild_needed:
        return NextStep(
            FixOption.REBUILD_FROM_IMAGE, True,
            gettext_noop(
                "The image has the properties now; rebuilding re-reads "
                "them."), {})
    if not action_needed:
        note = _NOTHING_TO_FIX
    elif current is None:
        note = gettext_noop("The image is not known: use another option.")
    else:
        note = gettext_noop(
            "The image does not have the properties either: fix the image "
            "first (Images tab), then rebuild.")
    return NextStep(FixOption.REBUILD_FROM_IMAGE, False, note, {})


# The steps a user takes to write ``{properties}`` where Nova reads them.
_STEP_NOTES = {
    FixOption.REBUILD_FROM_OWN_SNAPSHOT: gettext_noop(
        "Stop the instance, snapshot it, set {properties} on the snapshot, "
        "rebuild from the snapshot, start it."),
    FixOption.VOLUME_RECREATE: gettext_noop(
        "Set {properties} in the boot volume's image metadata, then create "
        "a new server from the volume and delete the old one keeping the "
        "volume."),
}


def _user_fix_steps(facts, action_needed, rebuild_needed, current, to_set):
    """The fixes the user can do: rebuilds (image-backed) or recreating
    from the boot volume (volume-backed)."""
    steps = []
    if facts.boot_source is BootSource.IMAGE:
        steps.append(_rebuild_from_image_step(action_needed, rebuild_needed,
                                              current))
        option = FixOption.REBUILD_FROM_OWN_SNAPSHOT
    else:
        option = FixOption.VOLUME_RECREATE
    if not action_needed:
        steps.append(NextStep(option, False, _NOTHING_TO_FIX, {}))
        return steps
    properties = ", ".join("%s=%s" % kv for kv in to_set.items())
    steps.append(NextStep(option, True,
                          fill(_STEP_NOTES[option], properties=properties),
                          to_set))
    return steps


_OPERATOR_NOTES = {
    False: gettext_noop(
        "An operator runs these commands on a control-plane host; wait "
        "until the server is SHUTOFF before nova-manage."),
    # the release is not known
    True: gettext_noop(
        "An operator runs these commands on a control-plane host; wait "
        "until the server is SHUTOFF before nova-manage. Needs Nova 25.0.0 "
        "Yoga or later."),
}


def _operator_step(facts, action_needed, captured, to_set):
    """nova-manage image_property, where the release has it."""
    if not action_needed:
        return NextStep(FixOption.OPERATOR_NOVA_MANAGE, False,
                        _NOTHING_TO_FIX, {})
    available = microversions.nova_manage_image_property_available(
        facts.nova_max_microversion, facts.nova_major)
    if available is False:
        return NextStep(
            FixOption.OPERATOR_NOVA_MANAGE, False,
            gettext_noop(
                "This cloud's Nova is older than 25.0.0 Yoga: nova-manage "
                "image_property does not exist there."), {})
    commands = ()
    if _UUID.match(facts.instance_id or ""):
        commands = operator_commands(facts.instance_id, captured, facts.power)
    note = _OPERATOR_NOTES[available is None]
    return NextStep(FixOption.OPERATOR_NOVA_MANAGE, True, note, to_set,
                    commands)


def _next_steps(facts, action_needed, rebuild_needed, current):
    # Inexact properties (a boot volume's metadata now): the fix writes
    # both keys, as for unknown ones (writing them is harmless).
    captured = facts.captured if facts.captured_exact else None
    to_set = properties_to_set(captured)
    steps = _user_fix_steps(facts, action_needed, rebuild_needed, current,
                            to_set)
    steps.append(_operator_step(facts, action_needed, captured, to_set))
    if captured is None:
        steps.append(NextStep(
            FixOption.TEST_SNAPSHOT, True,
            gettext_noop(
                "A test snapshot reveals the properties the instance was "
                "booted with."), {}))
    return tuple(steps)


_REASON_NO_DIFFERENCE = gettext_noop(
    "The image has properties this instance lacks, but on this snapshot "
    "path they would not change the outcome.")
_REASON_REBUILD = gettext_noop(
    "The image has been fixed since this instance was booted: Nova keeps "
    "the properties captured at boot, so only a rebuild (or an operator's "
    "nova-manage) gives the instance the new ones.")


@dataclasses.dataclass(frozen=True)
class _Comparison:
    """What the captured properties mean beside the image's and the ideal
    ones, for a live snapshot of the running instance (a stopped instance
    will be started again)."""
    rebuild_needed: bool = False
    captured_differs: bool = False
    action_needed: bool = False
    reasons: tuple = ()


def _compare(facts, current):
    captured = facts.captured
    if captured is None:
        if facts.stale_suspected:
            return _Comparison(action_needed=True, reasons=(_REASON_STALE,))
        return _Comparison()
    running = dataclasses.replace(facts, power=Power.RUNNING)

    def rank(properties):
        return _RANK[_running_outcome(running, properties)[0]]

    now_rank = rank(captured)
    captured_differs = rebuild_needed = weaker = False
    if current is not None:
        captured_differs = (
            captured.guest_agent.value != current.guest_agent.value or
            captured.require_quiesce.value != current.require_quiesce.value)
        weaker = _weaker(captured, current)
        # Rebuilding re-images a volume-backed server's volume (data lost),
        # so "rebuild needed" is said of image-backed ones only.
        rebuild_needed = (facts.boot_source is BootSource.IMAGE and weaker
                          and rank(current) > now_rank)
    reasons = []
    if captured_differs and not rebuild_needed and weaker:
        reasons.append(_REASON_NO_DIFFERENCE)
    if rebuild_needed:
        reasons.append(_REASON_REBUILD)
    if captured.has_dead_fsfreeze:
        reasons.append(props.DEAD_PROPERTY_REASON)
    return _Comparison(rebuild_needed, captured_differs,
                       rebuild_needed or rank(_IDEAL) > now_rank,
                       tuple(reasons))


def _badge(facts, comparison):
    """(action_needed, badge): "No action needed" is said only from exact
    data (the boot volume's metadata now may not be what the server runs
    with)."""
    captured = facts.captured
    if not comparison.action_needed:
        if captured is not None and not facts.captured_exact:
            return True, CHECK_VOLUME_METADATA
        return False, None
    if captured is None:
        return True, gettext_noop("check needed: image changed after boot")
    running = dataclasses.replace(facts, power=Power.RUNNING)
    outcome = _running_outcome(running, captured)[0]
    if outcome is Outcome.FAILS:
        return True, gettext_noop("action needed: snapshots fail")
    if comparison.rebuild_needed:
        return True, gettext_noop("action needed: rebuild needed")
    if outcome is Outcome.CRASH_CONSISTENT:
        return True, gettext_noop("action needed: crash-consistent only")
    return True, gettext_noop("action needed: freeze not enforced")


def predict(facts):
    """The :class:`Prediction` for a snapshot of this instance taken now."""
    if not isinstance(facts, InstanceFacts):
        raise TypeError("predict() takes InstanceFacts")
    outcome, cause, reasons, path = _running_outcome(facts, facts.captured)
    current = None
    if facts.current_image_properties is not None:
        current = props.read_properties(facts.current_image_properties)
    comparison = _compare(facts, current)
    action_needed, badge = _badge(facts, comparison)
    return Prediction(
        outcome=outcome,
        cause=cause,
        reasons=tuple(reasons) + comparison.reasons,
        rebuild_needed=comparison.rebuild_needed,
        captured_differs=comparison.captured_differs,
        action_needed=action_needed,
        badge=badge,
        next_steps=_next_steps(facts, action_needed,
                               comparison.rebuild_needed, current),
        facts=facts,
        path=path,
    )
