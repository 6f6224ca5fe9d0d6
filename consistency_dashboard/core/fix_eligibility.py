"""Whether a fix still applies to an instance, read again on every request
that opens or submits it: a form opened by URL, a stale page or a second tab
must not act where the row would not offer the action (the link's
``allowed()`` is only a hint).  Plain values in, a refusal sentence (or
None) out."""

import dataclasses

from consistency_dashboard.core.i18n import fill
from consistency_dashboard.core.i18n import gettext_noop

NOT_IN_PROJECT = gettext_noop(
    "Instance {name} is not in the current project: nothing is offered "
    "here.")
_NOTHING_TO_FIX = gettext_noop("Nothing to fix.")
_IMAGE_GONE = gettext_noop(
    "The image {image} that {name} was booted from is gone or not visible: "
    "there is nothing to rebuild from. Use \"Rebuild from its own "
    "snapshot\" instead.")
# (a task is running) -> why Nova would not rebuild now
_NOT_REBUILDABLE = {
    False: gettext_noop(
        "{name} is {status}: a rebuild is possible only when it is ACTIVE "
        "or SHUTOFF with no task running."),
    True: gettext_noop(
        "{name} is {status} ({task}): a rebuild is possible only when it is "
        "ACTIVE or SHUTOFF with no task running."),
}
_VOLUME_NOT_FOUND = gettext_noop(
    "The boot volume of {name} was not found among this project's volumes: "
    "nothing to change.")
_VOLUME_NOT_OURS = gettext_noop(
    "The boot volume of {name} belongs to another project: only the current "
    "project's volumes are changed here.")
_VOLUME_ALREADY_FIXED = gettext_noop(
    "The boot volume already has the properties: {name} still runs with the "
    "ones Nova captured when it was created. Re-create it from the volume "
    "(steps below).")


@dataclasses.dataclass(frozen=True)
class InstanceNow:
    """The facts read for this request."""
    name: str
    in_project: bool
    status: str
    task_state: str = None
    step_applicable: bool = False    # the core's NextStep for the fix
    step_note: str = ""


def _common(instance):
    if not instance.in_project:
        return fill(NOT_IN_PROJECT, name=instance.name)
    return None


def rebuild_from_image_refusal(instance, image_known, image_id=None):
    """Rebuild from the image: the image must still be there and have the
    properties the instance lacks (Nova rejects a rebuild from a gone image
    with 400), and Nova must accept a rebuild now."""
    refusal = _common(instance)
    if refusal:
        return refusal
    if not image_known:
        return fill(_IMAGE_GONE, image=image_id or "", name=instance.name)
    if not instance.step_applicable:
        return instance.step_note or _NOTHING_TO_FIX
    if instance.status not in ("ACTIVE", "SHUTOFF") or instance.task_state:
        return fill(_NOT_REBUILDABLE[bool(instance.task_state)],
                    name=instance.name, status=instance.status,
                    task=instance.task_state)
    return None


def boot_volume_refusal(instance, volume_found, volume_in_project,
                        to_set):
    """Fix the boot volume: a volume of the current project, with keys
    still to set."""
    refusal = _common(instance)
    if refusal:
        return refusal
    if not volume_found:
        return fill(_VOLUME_NOT_FOUND, name=instance.name)
    if not volume_in_project:
        return fill(_VOLUME_NOT_OURS, name=instance.name)
    if not instance.step_applicable:
        return instance.step_note or _NOTHING_TO_FIX
    if not to_set:
        return fill(_VOLUME_ALREADY_FIXED, name=instance.name)
    return None


# The boot-volume fix changes the volume's image metadata, which is where
# the Instances tab reads a volume-backed server's properties from; Nova
# keeps what it captured when the server was created (DOMAIN.md "Properties
# are captured at boot", option 4).  So before changing the volume the fix
# records, on the server, the values the volume had: the row keeps showing
# those until the server is re-created from the volume (a new server has no
# record and reads the fixed volume).
VOLUME_FIX_KEY = "consistency_boot_volume_fix"
VOLUME_FIX_VERSION = "v1"
_ABSENT = "-"
_MAX_VALUE = 60

VOLUME_FIX_LABEL = gettext_noop(
    "Recorded on the server when its boot volume was fixed: the values Nova "
    "captured when this server was created. The volume has the new ones; "
    "re-create the server from the volume to use them.")


def captured_after_volume_fix(volume_image_metadata, recorded):
    """What a volume-backed server runs with once its volume was fixed: the
    volume's metadata with the recorded keys put back as they were."""
    merged = {k: v for k, v in (volume_image_metadata or {}).items()
              if k not in recorded}
    merged.update({k: v for k, v in recorded.items() if v is not None})
    return merged


def encode_volume_fix(before, keys):
    """The record of the volume's values of ``keys`` before the fix."""
    parts = [VOLUME_FIX_VERSION]
    for key in sorted(keys):
        value = before.get(key)
        value = _ABSENT if value is None else str(value)[:_MAX_VALUE]
        parts.append("%s=%s" % (key, value.replace(";", ",")))
    return ";".join(parts)


def decode_volume_fix(value):
    """``{key: value}`` recorded before the fix (None for a key the volume
    did not have), or None when there is no record of this version."""
    if not value or not str(value).startswith(VOLUME_FIX_VERSION + ";"):
        return None
    found = {}
    for part in str(value).split(";")[1:]:
        key, sep, raw = part.partition("=")
        if sep:
            found[key] = None if raw == _ABSENT else raw
    return found
