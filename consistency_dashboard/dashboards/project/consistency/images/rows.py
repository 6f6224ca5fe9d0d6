"""Rows of the Images tab: a Glance image, what the core makes of its
properties, whether this user may change it, and how many of the project's
instances were booted from it.  No decisions here: the core decides."""

import logging

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from openstack_dashboard import policy

from consistency_dashboard.api import images as image_calls
from consistency_dashboard.core import posture as core_posture
from consistency_dashboard.core import properties as core_props

LOG = logging.getLogger(__name__)

# Statuses whose properties Glance lets a user change and Nova can boot from.
EDITABLE_STATUSES = ("active", "queued")

# Kernel (aki) and ramdisk (ari) images: an instance boots from the machine
# image that names them (kernel_id/ramdisk_id); Nova captures that image's
# properties (objects.ImageMeta.from_instance), never theirs.
NOT_BOOTED_FORMATS = ("aki", "ari")
NOT_BOOTED_REASON = _("A kernel (aki) or ramdisk (ari) image: instances "
                      "boot from the machine image that names it, so its "
                      "snapshot properties change nothing.")

# Visibilities any member of any project may use.
OPEN_VISIBILITIES = ("public", "community")


def boots_instances(image):
    formats = {getattr(image, "disk_format", None),
               getattr(image, "container_format", None)}
    return not formats.intersection(NOT_BOOTED_FORMATS)


def usable_by_project(request, images):
    """The images a member of the current project can use: its own,
    public, community, and shared with it.  A member's Glance list holds
    nothing else; an administrator's (``visibility=all``) holds every
    project's private and shared images, which are dropped here, except
    shared ones whose membership of this project is accepted (one member
    list per such image on the page)."""
    project_id = request.user.project_id
    found = []
    for image in images:
        owner = getattr(image, "owner", None)
        visibility = getattr(image, "visibility", None)
        if owner == project_id or visibility in OPEN_VISIBILITIES:
            found.append(image)
        elif visibility == "shared" and not request.user.is_superuser:
            found.append(image)
        elif visibility == "shared" and _accepted(request, image.id,
                                                  project_id):
            found.append(image)
    return found


def _accepted(request, image_id, project_id):
    try:
        return image_calls.member_status(request, image_id,
                                         project_id) == "accepted"
    except Exception:
        LOG.info("members of image %s not readable", image_id,
                 exc_info=True)
        return False


def image_properties(image):
    """The custom properties of a Horizon glance Image wrapper (Glance v2
    custom properties are top-level keys of the resource)."""
    props = getattr(image, "properties", None)
    if props is None:
        props = {}
    return dict(props)


def storage_setting():
    """Where the cloud keeps image-backed root disks, as the operator says
    (``CONSISTENCY_DASHBOARD_STORAGE``; tenants cannot see it)."""
    return getattr(settings, "CONSISTENCY_DASHBOARD_STORAGE", "unknown")


def may_modify_images(request):
    return policy.check((("image", "modify_image"),), request)


class ImageRow(object):
    def __init__(self, image, request, policy_allows, instance_count):
        self.image = image
        self.id = image.id
        self.name = image.name or image.id
        self.status = image.status
        self.owner = getattr(image, "owner", None)
        self.visibility = getattr(image, "visibility", None)
        self.properties = image_properties(image)
        self.posture = core_posture.image_posture(self.properties,
                                                  storage_setting())
        self.instance_count = instance_count
        self.is_owner = self.owner == request.user.project_id
        self.boots_instances = boots_instances(image)
        self.change_reason = self._change_reason(policy_allows)
        self.can_modify = self.change_reason is None

    def _change_reason(self, policy_allows):
        if not self.boots_instances:
            return NOT_BOOTED_REASON
        if not policy_allows:
            return _("Your role may not change images (policy "
                     "image:modify_image).")
        # Only the project's own images, administrator or not: other
        # projects' images are the Admin panel's business.
        if not self.is_owner:
            return _("Owned by another project (%s image): ask its owner "
                     "or a cloud administrator to change it.") % (
                         self.visibility or _("shared"))
        if self.status not in EDITABLE_STATUSES:
            return _("The image is %s: Glance does not accept changes to "
                     "it now.") % self.status
        return None

    @property
    def guest_agent(self):
        return self.posture.properties.guest_agent

    @property
    def require_quiesce(self):
        return self.posture.properties.require_quiesce

    @property
    def dead_fsfreeze(self):
        return self.posture.properties.dead_fsfreeze

    @property
    def needs_attention(self):
        return self.boots_instances and self.posture.needs_attention

    @property
    def can_change(self):
        if self.can_modify:
            return _("Yes (owner)")
        return self.change_reason

    def plan(self, fix):
        return core_posture.plan_fix(self.properties, fix)


def count_instances_by_image(servers):
    """Instances of the project per boot image id, from one server list."""
    counts = {}
    for server in servers:
        image = getattr(server, "image", None)
        image_id = image.get("id") if isinstance(image, dict) else None
        if image_id:
            counts[image_id] = counts.get(image_id, 0) + 1
    return counts


FIX_BY_SLUG = {fix.value: fix for fix in core_posture.Fix}

# Re-exported so templates and tables use the core's words.
DEAD_PROPERTY_REASON = core_props.DEAD_PROPERTY_REASON
