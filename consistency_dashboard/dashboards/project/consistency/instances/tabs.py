from django.utils.translation import gettext_lazy as _

from horizon import exceptions
from horizon import messages

from openstack_dashboard import api

from consistency_dashboard.api import nova_rest
from consistency_dashboard.core import captured as core_captured
from consistency_dashboard.core import microversions
from consistency_dashboard.dashboards.project.consistency.instances \
    import rows
from consistency_dashboard.dashboards.project.consistency import paging
from consistency_dashboard.dashboards.project.consistency.instances \
    import tables


def _plain(resource):
    """A Horizon/novaclient/glanceclient resource as a plain dict."""
    inner = getattr(resource, "_apiresource", resource)
    if isinstance(inner, dict):
        return dict(inner)
    return inner.to_dict()


def list_project_servers(request, marker=None, search_opts=None):
    """One page of the project's servers as plain dicts, with the
    properties Nova captured at boot where the cloud reports them.

    Returns ``(servers, has_more, max_microversion, property_version)``.
    Compute API 2.98+: one REST call that carries ``image.properties``;
    older clouds: Horizon's own paginated list (novaclient, 2.96 at most).
    """
    try:
        _min, maximum = nova_rest.compute_version_range(request)
    except Exception:
        maximum = None
    if microversions.at_least(maximum, microversions.SERVER_IMAGE_PROPERTIES):
        servers, more = nova_rest.server_list_page(
            request, marker=marker, search_opts=search_opts)
        return servers, more, maximum, microversions.SERVER_IMAGE_PROPERTIES
    opts = dict(search_opts or {}, marker=marker, paginate=True)
    servers, more, _prev = api.nova.server_list_paged(request,
                                                      search_opts=opts)
    return [_plain(s) for s in servers], more, maximum, None


def instance_rows(request, servers, max_microversion, property_version):
    """Rows for these servers: at most three more calls (their images, the
    project's snapshots on clouds older than 2.98, the project's volumes when
    a server is volume-backed), whatever the number of servers."""
    image_ids = sorted({s["image"]["id"] for s in servers
                        if isinstance(s.get("image"), dict)
                        and s["image"].get("id")})
    images = {}
    if image_ids:
        try:
            found, _more, _prev = api.glance.image_list_detailed(
                request, filters={"id": "in:" + ",".join(image_ids),
                                  "visibility": "all"})
            images = {i.id: i for i in found}
        except Exception:
            exceptions.handle(request, _("Unable to read the instances' "
                                         "images from Glance: their current "
                                         "properties are not shown."),
                              details="")
    snapshots = {}
    if servers and property_version is None:
        try:
            found, _more, _prev = api.glance.image_list_detailed(
                request, filters={"image_type": "snapshot",
                                  "owner": request.user.project_id})
            snapshots = core_captured.newest_snapshot_per_instance(
                [_plain(i) for i in found])
        except Exception:
            exceptions.handle(request, _("Unable to list this project's "
                                         "snapshots: boot-time properties "
                                         "are not shown."), details="")
    volumes_by_server = {}
    if any(core_captured.is_volume_backed(s) for s in servers):
        try:
            for volume in api.cinder.volume_list(request):
                for attachment in getattr(volume, "attachments", None) or []:
                    volumes_by_server.setdefault(
                        attachment.get("server_id"), []).append(volume)
        except Exception:
            exceptions.handle(request, _("Unable to list volumes: "
                                         "volume-backed instances show "
                                         "unknown properties."), details="")
    result = []
    for server in servers:
        image = None
        if isinstance(server.get("image"), dict):
            image = images.get(server["image"].get("id"))
        volume = rows.boot_volume(server, volumes_by_server)
        result.append(rows.InstanceRow(
            server, image, volume, snapshots.get(server.get("id")),
            max_microversion, property_version))
    return result


class InstancesTab(paging.PagedTableTab):
    name = _("Instances")
    slug = "instances"
    table_classes = (tables.InstancesTable,)

    def get_instances_data(self):
        request = self.request
        marker = request.GET.get(
            tables.InstancesTable._meta.pagination_param)
        search_opts = {}
        image_id = request.GET.get("image")
        if image_id:
            search_opts["image"] = image_id
        try:
            servers, self._has_more, maximum, prop_version = \
                list_project_servers(request, marker, search_opts)
        except Exception:
            exceptions.handle(request, _("Unable to list this project's "
                                         "instances from Nova."), details="")
            return []
        self._has_prev = bool(marker)
        result = instance_rows(request, servers, maximum, prop_version)
        if image_id:
            messages.info(request, _("Showing only instances booted from "
                                     "image %s.") % image_id)
        if request.GET.get("attention") == "1":
            result = [r for r in result if r.action_needed]
            messages.info(request, _("Showing only the instances on this "
                                     "page that need action."))
        return result
