"""Where an instance's captured (boot-time) properties come from.

At boot Nova copies the image's properties into the instance's
system_metadata and every later decision reads that copy
(``objects.ImageMeta.from_instance``); see DOMAIN.md "Properties are captured
at boot".  The sources, best first:

1. compute microversion 2.98+: ``image.properties`` of ``GET /servers/detail``
   (nova/api/openstack/compute/views/servers.py ``_get_image``): exact;
2. volume-backed servers (their ``image`` is empty): the boot volume's
   ``volume_image_metadata``.  This is what a server created from the volume
   now gets; someone may have changed it after this server was created (fix
   option "recreate from the boot volume" does exactly that);
3. older clouds: the newest snapshot image of the instance, because a
   snapshot inherits the instance's captured properties
   (nova/compute/utils.py ``initialize_instance_snapshot_metadata``).  Exact
   as of that snapshot, unless the instance was rebuilt since, the operator
   listed the keys in ``non_inheritable_image_properties``, or someone edited
   the snapshot's properties afterwards;
4. otherwise unknown, with the heuristic "the image changed after the
   instance was created" (image ``updated_at`` later than instance
   ``created``): the instance may have been booted before a fix.
"""

import dataclasses
import enum

from consistency_dashboard.core import microversions
from consistency_dashboard.core import properties as props
from consistency_dashboard.core import timestamps
from consistency_dashboard.core.i18n import fill
from consistency_dashboard.core.i18n import gettext_noop


class CapturedSource(enum.Enum):
    SERVER = "server"
    BOOT_VOLUME = "boot_volume"
    SNAPSHOT = "snapshot"
    UNKNOWN = "unknown"


SOURCE_LABELS = {
    CapturedSource.SERVER: gettext_noop(
        "Captured at boot, as Nova reports it for the server (compute API "
        "2.98 or later): exact."),
    CapturedSource.BOOT_VOLUME: gettext_noop(
        "Not captured at boot: the boot volume's image metadata now, which "
        "is what a server created from this volume gets. It may have been "
        "changed after this server was created, and Nova uses what the "
        "server was started with; a test snapshot shows that exactly."),
    CapturedSource.SNAPSHOT: gettext_noop(
        "From snapshot {name} of this instance, taken {when}: snapshots "
        "inherit the properties the instance was booted with (a rebuild "
        "after it would not show)."),
    CapturedSource.UNKNOWN: gettext_noop(
        "Not known: this cloud does not report them (compute API older than "
        "2.98) and no snapshot of this instance is visible. A test snapshot "
        "reveals them."),
}

STALE_LABEL = gettext_noop(
    "The image was changed after this instance was created: the instance "
    "may have been booted before a fix.")
_UNKNOWN_AND_STALE = gettext_noop("{unknown} {stale}")
_UNNAMED = gettext_noop("(unnamed)")
_UNKNOWN_TIME = gettext_noop("at an unknown time")

# A snapshot in one of these states is gone or never got its data; its
# properties were still set from the instance, but do not show it as a
# source the user can open.
_GONE = ("killed", "deleted", "pending_delete")


@dataclasses.dataclass(frozen=True)
class CapturedProperties:
    properties: props.ConsistencyProperties   # None when unknown
    source: CapturedSource
    source_label: str
    stale_suspected: bool
    raw: dict = None                  # the property mapping read, if any
    snapshot_id: str = None           # when the source is a snapshot

    @property
    def known(self):
        return self.properties is not None

    @property
    def exact(self):
        return self.source is CapturedSource.SERVER


def image_properties(image):
    """The custom properties of a Glance image given as a plain dict: Glance
    v2 puts them at the top level; some wrappers nest them under
    ``properties``."""
    if not image:
        return {}
    nested = image.get("properties")
    if isinstance(nested, dict):
        merged = {k: v for k, v in image.items() if k != "properties"}
        merged.update(nested)
        return merged
    return dict(image)


def is_volume_backed(server):
    """Nova shows an empty ``image`` ("") for a server booted from a
    volume."""
    return not server.get("image")


def server_image_properties(server, microversion):
    """``image.properties`` of a server dict read at ``microversion``, or
    None when that response cannot carry them (before 2.98, volume-backed,
    or absent).  An empty dict is an answer: the image had no properties."""
    if not microversions.at_least(microversion,
                                  microversions.SERVER_IMAGE_PROPERTIES):
        return None
    image = server.get("image")
    if not isinstance(image, dict):
        return None
    found = image.get("properties")
    if not isinstance(found, dict):
        return None
    return dict(found)


def image_changed_after_boot(instance_created_at, image_updated_at):
    """The staleness heuristic: True when the image was updated after the
    instance was created.  False when either time is unknown."""
    created = timestamps.parse_timestamp(instance_created_at)
    updated = timestamps.parse_timestamp(image_updated_at)
    if created is None or updated is None:
        return False
    return updated > created


def _snapshot_key(image):
    moment = timestamps.parse_timestamp(image.get("created_at"))
    return (moment.timestamp() if moment is not None else float("-inf"),
            str(image.get("id") or ""))


def newest_snapshot_per_instance(images):
    """``{instance_uuid: image}`` for the newest snapshot image of each
    instance, in one pass over a plain list of Glance image dicts (one image
    list call for the whole page, never one per instance)."""
    newest = {}
    keys = {}
    for image in images or ():
        found = image_properties(image)
        if found.get("image_type") != "snapshot":
            continue
        instance = found.get("instance_uuid")
        if not instance or image.get("status") in _GONE:
            continue
        key = _snapshot_key(image)
        if instance not in keys or key > keys[instance]:
            keys[instance] = key
            newest[instance] = image
    return newest


def _read_from(properties, source):
    """The captured properties read from ``properties``, a source that
    holds them as Nova does (the server's, or the boot volume's now)."""
    raw = dict(properties)
    return CapturedProperties(
        properties=props.read_properties(raw), source=source,
        source_label=SOURCE_LABELS[source], stale_suspected=False, raw=raw)


def resolve_captured(boot_source, server_image_properties=None,
                     boot_volume_image_metadata=None, newest_snapshot=None,
                     instance_created_at=None, image_updated_at=None):
    """The captured properties of one instance and where they came from.

    ``boot_source``: "image" or "volume".  ``server_image_properties``: the
    result of :func:`server_image_properties` (None when not available).
    ``boot_volume_image_metadata``: the boot volume's
    ``volume_image_metadata`` (None when not read or not volume-backed).
    ``newest_snapshot``: a Glance image dict (see
    :func:`newest_snapshot_per_instance`).  The two times feed the staleness
    heuristic, used only when nothing else is known.
    """
    boot_source = getattr(boot_source, "value", boot_source)
    if server_image_properties is not None and boot_source == "image":
        return _read_from(server_image_properties, CapturedSource.SERVER)
    if boot_source == "volume" and boot_volume_image_metadata is not None:
        return _read_from(boot_volume_image_metadata,
                          CapturedSource.BOOT_VOLUME)
    if newest_snapshot:
        raw = image_properties(newest_snapshot)
        when = timestamps.format_timestamp(newest_snapshot.get("created_at"))
        label = fill(SOURCE_LABELS[CapturedSource.SNAPSHOT],
                     name=newest_snapshot.get("name") or
                     newest_snapshot.get("id") or _UNNAMED,
                     when=when or _UNKNOWN_TIME)
        return CapturedProperties(
            properties=props.read_properties(raw),
            source=CapturedSource.SNAPSHOT,
            source_label=label, stale_suspected=False, raw=raw,
            snapshot_id=newest_snapshot.get("id"))
    stale = image_changed_after_boot(instance_created_at, image_updated_at)
    label = SOURCE_LABELS[CapturedSource.UNKNOWN]
    if stale:
        label = fill(_UNKNOWN_AND_STALE, unknown=label, stale=STALE_LABEL)
    return CapturedProperties(
        properties=None, source=CapturedSource.UNKNOWN, source_label=label,
        stale_suspected=stale)
