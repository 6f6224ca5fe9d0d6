"""What a live snapshot of an instance booted from an image can be at best.

The rules come from Nova's libvirt driver and compute API (DOMAIN.md, "What a
snapshot actually does"):

* without ``hw_qemu_guest_agent`` libvirt adds no ``org.qemu.guest_agent.0``
  channel, so no freeze is possible (nova/virt/libvirt/driver.py
  ``_can_quiesce`` raises QemuGuestAgentNotEnabled);
* with the channel, image-backed live snapshots and volume-backed snapshots
  try to freeze; if the agent does not answer they skip the freeze silently,
  unless ``os_require_quiesce`` is set, which makes a volume-backed snapshot
  fail (nova/compute/api.py ``snapshot_volume_backed``).  Image-backed live
  snapshots skip silently even then since Nova 25.0.0 Yoga (change
  caf5faf556; on Xena and older they fail);
* where the cloud keeps image-backed root disks (the operator's
  ``CONSISTENCY_DASHBOARD_STORAGE``): on Ceph RBD Nova takes an RBD snapshot
  and clone with no freeze (``Rbd.direct_snapshot``), and without live
  snapshots it suspends the guest; volume-backed instances still freeze,
  and a cleanly stopped guest is consistent either way;
* ``os_require_quiesce`` without the channel makes every live snapshot of a
  running instance on a file or volume path fail.
"""

import dataclasses
import enum

from consistency_dashboard.core import properties as props
from consistency_dashboard.core.i18n import fill
from consistency_dashboard.core.i18n import gettext_noop


class Posture(enum.Enum):
    CRASH_ONLY = gettext_noop("crash-consistent only")
    FILESYSTEM_IF_AGENT = gettext_noop(
        "filesystem-consistent if the agent answers")
    REFUSED = gettext_noop(
        "snapshot refused unless the agent channel exists")


class Fix(enum.Enum):
    ENABLE_AGENT = "enable_agent"
    REQUIRE_QUIESCE = "require_quiesce"
    MAKE_CONSISTENT = "make_consistent"
    REMOVE_DEAD_FSFREEZE = "remove_dead_fsfreeze"


FIX_LABELS = {
    Fix.ENABLE_AGENT: gettext_noop("Enable guest agent"),
    Fix.REQUIRE_QUIESCE: gettext_noop("Require quiesce"),
    Fix.MAKE_CONSISTENT: gettext_noop("Make snapshot-consistent"),
    Fix.REMOVE_DEAD_FSFREEZE: gettext_noop("Remove hw_require_fsfreeze"),
}

FIX_DESCRIPTIONS = {
    Fix.ENABLE_AGENT: gettext_noop("Sets hw_qemu_guest_agent=yes."),
    Fix.REQUIRE_QUIESCE: gettext_noop("Sets os_require_quiesce=yes."),
    Fix.MAKE_CONSISTENT:
        gettext_noop(
            "Sets hw_qemu_guest_agent=yes and os_require_quiesce=yes."),
    Fix.REMOVE_DEAD_FSFREEZE:
        gettext_noop("Removes hw_require_fsfreeze, which Nova never reads."),
}

# Nova keeps the properties captured at boot in system_metadata
# (objects.ImageMeta.from_instance); only a rebuild re-reads the image.
EXISTING_INSTANCES_WARNING = gettext_noop(
    "Instances that already exist keep the properties they were booted "
    "with: this change applies only to instances booted (or rebuilt) from "
    "the image after it.")


@dataclasses.dataclass(frozen=True)
class ImagePosture:
    posture: Posture
    reasons: tuple
    needs_attention: bool
    attention: tuple          # what is wrong, one sentence each
    properties: props.ConsistencyProperties
    # What differs from the good posture, in a few words, for a table row;
    # empty when nothing does.  The sentences why are in ``reasons``.
    headline: str = ""

    @property
    def label(self):
        return self.posture.value


_NOT_A_BOOLEAN = gettext_noop(
    "{name}={raw} is not a boolean Nova understands, so Nova reads it as "
    "false.")


def _value_notes(boolean):
    if boolean.spelling is props.Spelling.UNPARSEABLE:
        return (fill(_NOT_A_BOOLEAN, name=boolean.name,
                     raw=repr(str(boolean.raw))),)
    return ()


STORAGE_HEADLINES = {
    "rbd": gettext_noop("Ceph RBD: never frozen"),
    "no_live_snapshot": gettext_noop(
        "no live snapshots: guest suspended, not frozen"),
}

STORAGE_REASONS = {
    "rbd": gettext_noop(
        "This cloud keeps image-backed root disks on Ceph RBD: Nova "
        "snapshots them with an RBD snapshot and clone and never freezes "
        "the guest, whatever the properties say. Volume-backed instances "
        "booted from this image still freeze, and a snapshot of a cleanly "
        "stopped guest is consistent."),
    "no_live_snapshot": gettext_noop(
        "This cloud cannot take live snapshots of image-backed root disks: "
        "Nova suspends the guest for the copy without freezing it. "
        "Volume-backed instances booted from this image still freeze, and a "
        "snapshot of a cleanly stopped guest is consistent."),
}


def image_posture(properties, storage=None):
    """Derive the posture of an image from a mapping of its properties and
    the cloud's storage setting (``file``, ``rbd``, ``no_live_snapshot`` or
    None/``unknown``)."""
    found = _properties_posture(properties)
    reason = STORAGE_REASONS.get(getattr(storage, "value", storage))
    if reason is None:
        return found
    return dataclasses.replace(
        found, posture=Posture.CRASH_ONLY, reasons=(reason,) + found.reasons,
        headline=STORAGE_HEADLINES[getattr(storage, "value", storage)])


def _headline(p):
    """The one thing that differs most from hw_qemu_guest_agent=yes with
    os_require_quiesce=yes, first the one that decides the outcome."""
    agent, quiesce = p.guest_agent, p.require_quiesce
    if agent.spelling is props.Spelling.UNPARSEABLE:
        return gettext_noop(
            "hw_qemu_guest_agent value not a boolean (read as false)")
    if not agent.value and quiesce.value:
        return gettext_noop(
            "quiesce required without the guest agent property")
    if not agent.value:
        return gettext_noop("no guest agent property")
    if quiesce.spelling is props.Spelling.UNPARSEABLE:
        return gettext_noop(
            "os_require_quiesce value not a boolean (read as false)")
    if not quiesce.value:
        return gettext_noop("quiesce not required")
    if p.has_dead_fsfreeze:
        return gettext_noop("hw_require_fsfreeze set: no effect")
    return ""


_AGENT_TRUE = gettext_noop(
    "hw_qemu_guest_agent is true: Nova gives instances booted from this "
    "image the guest agent channel, and live snapshots ask the agent to "
    "freeze the filesystems.")
_AGENT_MUST_RUN = gettext_noop(
    "The agent must be installed and running inside the guest; Nova never "
    "reports whether the freeze happened on an image-backed snapshot.")

# (hw_qemu_guest_agent, os_require_quiesce) as Nova reads them ->
# (posture, reasons, attention).
POSTURE_TABLE = {
    (True, True): (Posture.FILESYSTEM_IF_AGENT, (
        _AGENT_TRUE, _AGENT_MUST_RUN,
        gettext_noop(
            "os_require_quiesce is true: a volume-backed snapshot fails "
            "instead of skipping the freeze when the agent does not answer "
            "(image-backed snapshots still skip it silently, Nova 25.0.0 "
            "Yoga and later).")),
        ()),
    (True, False): (Posture.FILESYSTEM_IF_AGENT, (
        _AGENT_TRUE, _AGENT_MUST_RUN,
        gettext_noop(
            "os_require_quiesce is not true: when the agent does not "
            "answer, snapshots skip the freeze silently.")), (
        gettext_noop(
            "os_require_quiesce is not set: a volume-backed snapshot whose "
            "freeze fails is not reported."),)),
    (False, True): (Posture.REFUSED, (
        gettext_noop(
            "os_require_quiesce is true but hw_qemu_guest_agent is not: "
            "instances get no guest agent channel, so Nova refuses live "
            "snapshots of running instances (image-backed: the snapshot "
            "image is deleted; volume-backed: the request fails)."),
        gettext_noop(
            "Snapshots of stopped instances, and Ceph RBD direct "
            "snapshots, are not affected.")), (
        gettext_noop(
            "Live snapshots fail: enable the guest agent (or stop the "
            "instance before snapshotting)."),)),
    (False, False): (Posture.CRASH_ONLY, (
        gettext_noop(
            "hw_qemu_guest_agent is not true: instances get no guest agent "
            "channel, so no freeze is possible; a live snapshot copies the "
            "disk as it is, like pulling the power plug."),), (
        gettext_noop(
            "Snapshots of running instances are crash-consistent only."),)),
}

_DEAD_FSFREEZE_ATTENTION = gettext_noop(
    "hw_require_fsfreeze is set but has no effect in Nova.")


def _properties_posture(properties):
    p = props.read_properties(properties)
    posture, reasons, attention = POSTURE_TABLE[
        (bool(p.guest_agent.value), bool(p.require_quiesce.value))]
    attention = (_value_notes(p.guest_agent) +
                 _value_notes(p.require_quiesce) + attention)
    if p.has_dead_fsfreeze:
        reasons += (props.DEAD_PROPERTY_REASON,)
        attention += (_DEAD_FSFREEZE_ATTENTION,)
    return ImagePosture(
        posture=posture,
        reasons=reasons,
        needs_attention=bool(attention),
        attention=attention,
        properties=p,
        headline=_headline(p),
    )


@dataclasses.dataclass(frozen=True)
class FixPlan:
    """What a fix would change on one image."""
    fix: Fix
    applicable: bool
    reason: str            # why not applicable, or what it does
    set_properties: dict   # property -> value to write
    remove_properties: tuple


def plan_fix(properties, fix):
    """Which properties ``fix`` would write or remove on an image with
    ``properties``, or why it does not apply."""
    p = props.read_properties(properties)
    to_set = {}
    to_remove = ()
    if fix is Fix.REMOVE_DEAD_FSFREEZE:
        if not p.has_dead_fsfreeze:
            return FixPlan(fix, False, gettext_noop(
                "hw_require_fsfreeze is not set."),
                           {}, ())
        to_remove = (props.DEAD_FSFREEZE,)
    else:
        if fix in (Fix.ENABLE_AGENT, Fix.MAKE_CONSISTENT) \
                and not p.guest_agent.value:
            to_set[props.GUEST_AGENT] = props.FIX_VALUE
        if fix in (Fix.REQUIRE_QUIESCE, Fix.MAKE_CONSISTENT) \
                and not p.require_quiesce.value:
            if fix is Fix.REQUIRE_QUIESCE and not p.guest_agent.value:
                return FixPlan(
                    fix, False,
                    gettext_noop(
                        "Requiring quiesce without the guest agent would "
                        "make live snapshots fail: enable the guest agent "
                        "first, or use Make snapshot-consistent."), {}, ())
            to_set[props.REQUIRE_QUIESCE] = props.FIX_VALUE
        if not to_set:
            return FixPlan(fix, False, gettext_noop(
                "Already set: nothing to change."),
                           {}, ())
    return FixPlan(fix, True, FIX_DESCRIPTIONS[fix], to_set, to_remove)
