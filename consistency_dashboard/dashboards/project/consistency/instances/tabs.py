from django.utils.translation import gettext_lazy as _

from horizon import exceptions
from horizon import messages

from openstack_dashboard import api

from consistency_dashboard.api import resources
from consistency_dashboard.api import servers as server_calls
from consistency_dashboard.core import captured as core_captured
from consistency_dashboard.dashboards.project.consistency.instances \
    import rows
from consistency_dashboard.dashboards.project.consistency import paging
from consistency_dashboard.dashboards.project.consistency.instances \
    import tables


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
                [resources.plain(i) for i in found])
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
                server_calls.project_servers_page(request, marker,
                                                  search_opts)
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
