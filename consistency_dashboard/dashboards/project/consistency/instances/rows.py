"""Rows of the Instances tab: one server, the properties Nova captured at
boot beside the image's current ones, and the core's prediction for a
snapshot taken now.  Plain server dicts in (the 2.98 REST list, or
novaclient's list on older clouds); the core decides, not this module."""

from django.conf import settings

from consistency_dashboard.core import captured as core_captured
from consistency_dashboard.core import properties as core_props
from consistency_dashboard.core import snapshot_paths as paths

POWER_BY_STATUS = {
    "ACTIVE": paths.Power.RUNNING,
    "SHUTOFF": paths.Power.STOPPED,
    "PAUSED": paths.Power.PAUSED,
    "SUSPENDED": paths.Power.SUSPENDED,
}


def storage_hint():
    """Where this cloud keeps image-backed root disks, when the operator
    says so in Horizon's settings (tenants cannot see it through the API):
    CONSISTENCY_DASHBOARD_STORAGE = "file" | "rbd" | "no_live_snapshot"."""
    return getattr(settings, "CONSISTENCY_DASHBOARD_STORAGE", "unknown")


def boot_volume(server, volumes_by_server):
    """The boot volume of a volume-backed server, from one volume list."""
    candidates = volumes_by_server.get(server.get("id"), [])
    for volume in candidates:
        for attachment in getattr(volume, "attachments", None) or []:
            if attachment.get("server_id") == server.get("id") and \
                    attachment.get("device") in ("/dev/vda", "/dev/sda",
                                                 "/dev/xvda"):
                return volume
    bootable = [v for v in candidates
                if str(getattr(v, "bootable", "")).lower() == "true"]
    return bootable[0] if len(bootable) == 1 else None


class InstanceRow(object):
    def __init__(self, server, image, volume, newest_snapshot,
                 max_microversion, property_source_version):
        self.server = server
        self.id = server.get("id")
        self.name = server.get("name") or self.id
        self.status = server.get("status")
        self.task_state = server.get("OS-EXT-STS:task_state")
        self.created = server.get("created")
        self.volume_backed = core_captured.is_volume_backed(server)
        server_image = server.get("image")
        self.image_id = (server_image.get("id")
                         if isinstance(server_image, dict) else None)
        self.image = image
        self.image_name = (getattr(image, "name", None) or self.image_id
                           if self.image_id else None)
        self.volume = volume
        self.current_properties = (dict(image.properties)
                                   if image is not None else
                                   (dict(getattr(volume,
                                                 "volume_image_metadata",
                                                 None) or {})
                                    if volume is not None else None))
        self.current = (core_props.read_properties(self.current_properties)
                        if self.current_properties is not None else None)
        self.captured = core_captured.resolve_captured(
            "volume" if self.volume_backed else "image",
            server_image_properties=core_captured.server_image_properties(
                server, property_source_version),
            boot_volume_image_metadata=(
                getattr(volume, "volume_image_metadata", None)
                if volume is not None else None),
            newest_snapshot=newest_snapshot,
            instance_created_at=self.created,
            image_updated_at=getattr(image, "updated_at", None))
        self.prediction = paths.predict(paths.InstanceFacts(
            instance_id=self.id or "",
            boot_source=(paths.BootSource.VOLUME if self.volume_backed
                         else paths.BootSource.IMAGE),
            captured=self.captured.properties,
            current_image_properties=(
                None if self.volume_backed else self.current_properties),
            power=POWER_BY_STATUS.get(self.status, paths.Power.OTHER),
            storage=storage_hint(),
            nova_max_microversion=max_microversion,
            stale_suspected=self.captured.stale_suspected))

    @property
    def action_needed(self):
        return self.prediction.action_needed

    @property
    def rebuild_needed(self):
        return self.prediction.rebuild_needed

    def step(self, option):
        for step in self.prediction.next_steps:
            if step.option is option:
                return step
        return None

    def allows(self, option):
        step = self.step(option)
        return bool(step and step.applicable)
