"""Loading the fleet for the admin audit: every project's instances and
every image, in paginated list calls only, turned into the project panel's
rows (the core decides; nothing is decided here).

Calls for one audit page, whatever the number of rows:

* Keystone: one project list (names for project ids);
* Glance: the images with markers, ``API_RESULT_LIMIT`` per call (one call
  per thousand images by default); they give the instances' current
  properties, the images table, and on clouds older than compute 2.98 the
  newest snapshot of each instance (snapshots are images);
* Nova: the servers of all projects with markers (``all_tenants``), up to
  ``CONSISTENCY_AUDIT_ROWS`` per page, ``NOVA_MAX_LIMIT`` per call;
* Cinder: one volume list of all projects, only when a loaded server is
  volume-backed.

Each failure degrades to a partial page with a message (``degrade``).
"""
import collections
import dataclasses
import logging
import sys
import types

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from horizon import exceptions
from horizon import messages

from openstack_dashboard import api

from consistency_dashboard.api import errors
from consistency_dashboard.api import resources
from consistency_dashboard.api import servers as server_calls
from consistency_dashboard.core import captured as core_captured
from consistency_dashboard.dashboards.project.consistency.images \
    import rows as image_rows
from consistency_dashboard.dashboards.project.consistency.instances \
    import rows

LOG = logging.getLogger(__name__)

BOOT_SOURCES = ("image", "volume")


def audit_rows():
    """Instances loaded per audit page (and per export)."""
    return int(getattr(settings, "CONSISTENCY_AUDIT_ROWS", 1000))


def max_image_pages():
    """Image list calls at most per page (each ``API_RESULT_LIMIT``)."""
    return int(getattr(settings, "CONSISTENCY_AUDIT_MAX_IMAGE_PAGES", 20))


def max_export_pages():
    """Server pages (``NOVA_MAX_LIMIT`` each) one whole-cloud export reads
    at most."""
    return int(getattr(settings, "CONSISTENCY_EXPORT_MAX_PAGES", 1000))


def degrade(request, message, service):
    """Say what failed and go on with a partial page.  A 401 goes through
    Horizon (it logs the user out); anything else becomes a message, never
    a 500 (Horizon's ``exceptions.handle`` re-raises keystoneauth errors,
    which the REST calls of ``api/servers.py`` raise)."""
    exc = sys.exc_info()[1]
    status, why = errors.explain(exc, service)
    if status == 401:
        exceptions.handle(request, message)
    LOG.info("admin consistency: %s (%s)", message, exc)
    messages.error(request, _("%(message)s %(why)s.") % {
        "message": message, "why": why})
    return why


@dataclasses.dataclass
class Filters:
    project: str = ""
    attention: bool = False
    boot: str = ""

    @classmethod
    def from_query(cls, query):
        boot = query.get("boot", "")
        return cls(project=query.get("project", "").strip(),
                   attention=query.get("attention") == "1",
                   boot=boot if boot in BOOT_SOURCES else "")

    def as_query(self):
        found = {}
        if self.project:
            found["project"] = self.project
        if self.attention:
            found["attention"] = "1"
        if self.boot:
            found["boot"] = self.boot
        return found

    @property
    def active(self):
        return bool(self.as_query())

    def keeps_instance(self, row):
        if self.project and row.project_id != self.project:
            return False
        if self.attention and not row.action_needed:
            return False
        if self.boot and row.boot_source != self.boot:
            return False
        return True

    def keeps_image(self, row):
        if self.project and row.owner != self.project:
            return False
        if self.attention and not row.needs_attention:
            return False
        # Boot source is a property of instances: it does not filter images.
        return True


class AuditInstanceRow(rows.InstanceRow):
    """The project panel's row, plus what only an admin sees."""

    def __init__(self, server, image, volume, newest_snapshot,
                 max_microversion, property_version, projects):
        super().__init__(server, image, volume, newest_snapshot,
                         max_microversion, property_version)
        self.project_id = server.get("tenant_id") or server.get("project_id")
        self.project_name = project_name(projects, self.project_id)
        self.host = server.get("OS-EXT-SRV-ATTR:host")
        self.boot_source = "volume" if self.volume_backed else "image"


class AuditImageRow(image_rows.ImageRow):
    def __init__(self, image, request, policy_allows, instance_count,
                 projects):
        super().__init__(image, request, policy_allows, instance_count)
        self.owner_name = project_name(projects, self.owner)
        # Snapshots are images too (image_type=snapshot); on a big cloud
        # they outnumber the images people boot from, so the audit's image
        # table leaves them to Recent snapshots unless something booted
        # from one.
        self.is_snapshot = self.properties.get("image_type") == "snapshot"


def project_name(projects, project_id):
    if not project_id:
        return ""
    if projects and project_id in projects:
        return projects[project_id]
    return project_id


def load_projects(request):
    """``{id: name}`` from one Keystone project list; None if it failed."""
    try:
        tenants, _more = api.keystone.tenant_list(request)
    except Exception:
        degrade(request, _("Unable to list projects from Keystone: project "
                           "ids are shown instead of names."),
                _("Keystone"))
        return None
    return {t.id: t.name for t in tenants}


def load_images(request):
    """Every image visible to the admin, with markers, ``API_RESULT_LIMIT``
    per call.  Returns ``(images, truncated)``; ``(None, False)`` when
    Glance failed."""
    limit = int(getattr(settings, "API_RESULT_LIMIT", 1000))
    found = []
    marker = None
    for _page in range(max_image_pages()):
        try:
            images, _more, _prev = api.glance.image_list_detailed(
                request, marker=marker, filters={"visibility": "all"},
                sort_key="created_at", sort_dir="desc")
        except Exception:
            degrade(request, _("Unable to list images from Glance: images "
                               "and the instances' current properties are "
                               "not shown."), _("Glance"))
            return (found or None), False
        found.extend(images)
        if len(images) < limit or not images:
            return found, False
        marker = images[-1].id
    messages.warning(request, _("Only the newest %d images were read.")
                     % len(found))
    return found, True


def load_servers(request, marker, filters, limit):
    """Up to ``limit`` servers of all projects (or of the filtered project)
    from ``marker``, newest first, as plain dicts (api/servers.py
    ``all_projects_servers``)."""
    search = {"project_id": filters.project} if filters.project else {}
    return server_calls.all_projects_servers(request, marker, search, limit)


def load_volumes_by_server(request, servers):
    """``{server_id: [volume]}`` from one all-projects volume list, only
    when a server is volume-backed."""
    if not any(core_captured.is_volume_backed(s) for s in servers):
        return {}
    by_server = {}
    try:
        volumes = api.cinder.volume_list(request,
                                         search_opts={"all_tenants": True})
    except Exception:
        degrade(request, _("Unable to list volumes from Cinder: "
                           "volume-backed instances show unknown "
                           "properties."), _("Cinder"))
        return {}
    for volume in volumes:
        for attachment in getattr(volume, "attachments", None) or []:
            by_server.setdefault(attachment.get("server_id"),
                                 []).append(volume)
    return by_server


def _count_by_image(servers):
    return image_rows.count_instances_by_image(
        types.SimpleNamespace(image=s.get("image")) for s in servers)


@dataclasses.dataclass
class Fleet:
    filters: Filters
    projects: dict            # None when Keystone failed
    instance_rows: list       # every loaded instance, before filters
    image_rows: list          # every loaded image, before filters
    has_more: bool
    next_marker: str
    marker: str
    nova_failed: bool = False
    glance_failed: bool = False
    images_truncated: bool = False

    @property
    def instances(self):
        return [r for r in self.instance_rows
                if self.filters.keeps_instance(r)]

    @property
    def audited_images(self):
        """The images of the image table: not the snapshots, except those
        a loaded instance booted from."""
        return [r for r in self.image_rows
                if not r.is_snapshot or r.instance_count]

    @property
    def snapshots_not_shown(self):
        return len(self.image_rows) - len(self.audited_images)

    @property
    def images(self):
        return [r for r in self.audited_images
                if self.filters.keeps_image(r)]

    def summary(self):
        return Summary.of(self)


@dataclasses.dataclass
class Summary:
    instances_loaded: int
    instances_shown: int
    action_needed: int
    rebuild_needed: int
    volume_backed: int
    badges: list              # (badge, count), most frequent first
    outcomes: list            # (outcome label, count)
    images_loaded: int
    images_shown: int
    images_attention: int
    postures: list            # (posture label, count)
    projects_with_instances: int

    @classmethod
    def of(cls, fleet):
        loaded = fleet.instance_rows
        badges = collections.Counter(r.prediction.badge for r in loaded
                                     if r.action_needed)
        outcomes = collections.Counter(r.prediction.label for r in loaded)
        postures = collections.Counter(r.posture.label
                                       for r in fleet.audited_images)
        return cls(
            instances_loaded=len(loaded),
            instances_shown=len(fleet.instances),
            action_needed=sum(1 for r in loaded if r.action_needed),
            rebuild_needed=sum(1 for r in loaded if r.rebuild_needed),
            volume_backed=sum(1 for r in loaded if r.volume_backed),
            badges=badges.most_common(),
            outcomes=outcomes.most_common(),
            images_loaded=len(fleet.audited_images),
            images_shown=len(fleet.images),
            images_attention=sum(1 for r in fleet.audited_images
                                 if r.needs_attention),
            postures=postures.most_common(),
            projects_with_instances=len({r.project_id for r in loaded}),
        )


def load_fleet(request, marker=None, filters=None, limit=None):
    """The audit's data for one page: see the module docstring for the
    calls."""
    filters = filters or Filters()
    limit = limit or audit_rows()
    projects = load_projects(request)
    images, truncated = load_images(request)
    glance_failed = images is None
    images = images or []
    try:
        servers, has_more, maximum, version = load_servers(
            request, marker, filters, limit)
        nova_failed = False
    except Exception:
        degrade(request, _("Unable to list instances from Nova: only images "
                           "are shown."), _("Nova"))
        servers, has_more, maximum, version = [], False, None, None
        nova_failed = True
    by_id = {i.id: i for i in images}
    snapshots = {}
    if servers and version is None:
        # Older clouds: snapshots inherit the captured properties
        # (nova/compute/utils.py initialize_instance_snapshot_metadata).
        snapshots = core_captured.newest_snapshot_per_instance(
            [resources.plain(i) for i in images])
    volumes = load_volumes_by_server(request, servers)
    instance_list = []
    for server in servers:
        image = None
        if isinstance(server.get("image"), dict):
            image = by_id.get(server["image"].get("id"))
        instance_list.append(AuditInstanceRow(
            server, image, rows.boot_volume(server, volumes),
            snapshots.get(server.get("id")), maximum, version, projects))
    counts = _count_by_image(servers)
    policy_allows = image_rows.may_modify_images(request)
    image_list = [AuditImageRow(i, request, policy_allows,
                                counts.get(i.id, 0), projects)
                  for i in images]
    return Fleet(filters=filters, projects=projects,
                 instance_rows=instance_list, image_rows=image_list,
                 has_more=has_more,
                 next_marker=servers[-1].get("id") if servers and has_more
                 else None,
                 marker=marker, nova_failed=nova_failed,
                 glance_failed=glance_failed, images_truncated=truncated)


class ExportStopped(Exception):
    """The whole-cloud export could not read the next page; what was
    streamed so far stands, and the stream says where it stopped."""

    def __init__(self, why, rows_done):
        super().__init__(why)
        self.why = why
        self.rows_done = rows_done


def iter_all_instances(request, filters=None):
    """Every instance of the cloud matching ``filters``, as audit rows,
    page after page (for a streamed export).  Calls: one project list, the
    image pages, one server page per ``NOVA_MAX_LIMIT`` instances (fewer
    with the project filter), one volume list at the first volume-backed
    server; never one per row.  A failure after the first page raises
    :class:`ExportStopped`."""
    filters = filters or Filters()
    projects = load_projects(request)
    images, _truncated = load_images(request)
    by_id = {i.id: i for i in images or ()}
    snapshots = None
    volumes = None
    marker = None
    done = 0
    seen = set()
    pages = max_export_pages()
    for _page in range(pages):
        try:
            servers, has_more, maximum, version = load_servers(
                request, marker, filters, server_calls.NOVA_MAX_LIMIT)
        except Exception as exc:
            _status, why = errors.explain(exc, _("Nova"))
            raise ExportStopped(str(why), done)
        if version is None and snapshots is None:
            snapshots = core_captured.newest_snapshot_per_instance(
                [resources.plain(i) for i in images or ()])
        if volumes is None and any(core_captured.is_volume_backed(s)
                                   for s in servers):
            volumes = load_volumes_by_server(request, servers)
        for server in servers:
            image = None
            if isinstance(server.get("image"), dict):
                image = by_id.get(server["image"].get("id"))
            row = AuditInstanceRow(
                server, image, rows.boot_volume(server, volumes or {}),
                (snapshots or {}).get(server.get("id")), maximum, version,
                projects)
            done += 1
            if filters.keeps_instance(row):
                yield row
        if not has_more or not servers:
            return
        marker = servers[-1].get("id")
        if marker in seen:
            # A misbehaving API (or a proxy's cache) would loop forever.
            raise ExportStopped(str(_(
                "Nova returned a page that ends with the same instance "
                "(%s) as an earlier page; the export stopped there instead "
                "of repeating it") % marker), done)
        seen.add(marker)
    raise ExportStopped(str(_(
        "the export reads at most %(pages)d pages of %(size)d instances "
        "(CONSISTENCY_EXPORT_MAX_PAGES); filter by project to export the "
        "rest") % {"pages": pages, "size": server_calls.NOVA_MAX_LIMIT}), done)
