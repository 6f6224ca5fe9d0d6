"""Rows of the Instances tab: one server, the properties Nova captured at
boot beside the image's current ones, and the core's prediction for a
snapshot taken now.  Plain server dicts in (the 2.98 REST list, or
novaclient's list on older clouds); the core decides, not this module."""

import dataclasses

from django.conf import settings

from consistency_dashboard.core import captured as core_captured
from consistency_dashboard.core import fix_eligibility
from consistency_dashboard.core import properties as core_props
from consistency_dashboard.core import snapshot_paths as paths
from consistency_dashboard.dashboards.translation import core_text


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
        boot_metadata = (getattr(volume, "volume_image_metadata", None)
                         if volume is not None else None)
        self.volume_fix_before = None
        if self.volume_backed:
            self.volume_fix_before = fix_eligibility.decode_volume_fix(
                (server.get("metadata") or {}).get(
                    fix_eligibility.VOLUME_FIX_KEY))
        if self.volume_fix_before is not None:
            boot_metadata = fix_eligibility.captured_after_volume_fix(
                boot_metadata, self.volume_fix_before)
        self.captured = core_captured.resolve_captured(
            "volume" if self.volume_backed else "image",
            server_image_properties=core_captured.server_image_properties(
                server, property_source_version),
            boot_volume_image_metadata=boot_metadata,
            newest_snapshot=newest_snapshot,
            instance_created_at=self.created,
            image_updated_at=getattr(image, "updated_at", None))
        if self.volume_fix_before is not None:
            self.captured = dataclasses.replace(
                self.captured, source_label=fix_eligibility.VOLUME_FIX_LABEL)
        self.prediction = paths.predict(paths.InstanceFacts(
            instance_id=self.id or "",
            boot_source=(paths.BootSource.VOLUME if self.volume_backed
                         else paths.BootSource.IMAGE),
            captured=self.captured.properties,
            current_image_properties=(
                None if self.volume_backed else self.current_properties),
            power=paths.power_from_status(self.status),
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

    def now(self, project_id, option):
        """The facts a fix form checks on every request (plain values)."""
        step = self.step(option)
        return fix_eligibility.InstanceNow(
            name=self.name,
            in_project=bool(project_id) and
            self.server.get("tenant_id") == project_id,
            status=self.status, task_state=self.task_state,
            step_applicable=bool(step and step.applicable),
            step_note=step.note if step else "")

    def rebuild_from_image_refusal(self, project_id):
        return core_text(fix_eligibility.rebuild_from_image_refusal(
            self.now(project_id, paths.FixOption.REBUILD_FROM_IMAGE),
            self.image is not None, self.image_id))

    def volume_to_set(self):
        """What the boot-volume fix still has to write on the volume."""
        step = self.step(paths.FixOption.VOLUME_RECREATE)
        wanted = dict(step.set_properties) if step else {}
        have = dict(getattr(self.volume, "volume_image_metadata", None)
                    or {}) if self.volume is not None else {}
        return {k: v for k, v in wanted.items() if have.get(k) != v}

    def boot_volume_refusal(self, project_id):
        owner = getattr(self.volume, "os-vol-tenant-attr:tenant_id", None) \
            if self.volume is not None else None
        return core_text(fix_eligibility.boot_volume_refusal(
            self.now(project_id, paths.FixOption.VOLUME_RECREATE),
            self.volume is not None, owner in (None, project_id),
            self.volume_to_set()))

    def allows(self, option):
        step = self.step(option)
        return bool(step and step.applicable)
