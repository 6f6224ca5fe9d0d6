"""The Images tab: the Glance images this project can use, one page at a
time, each with what the core makes of its properties and how many of the
project's instances were booted from it."""
from django.utils.translation import gettext_lazy as _

from horizon import exceptions
from horizon import messages

from openstack_dashboard import api

from consistency_dashboard.dashboards.project.consistency.images \
    import rows as image_rows
from consistency_dashboard.dashboards.project.consistency.images \
    import tables
from consistency_dashboard.dashboards.project.consistency import paging
from consistency_dashboard.dashboards.project.consistency import \
    tables as panel_tables


def project_servers(request):
    """The project's servers in one list call; None when Nova failed (the
    caller shows what it has and says what is missing)."""
    try:
        servers, _more = api.nova.server_list(request)
        return servers
    except Exception:
        exceptions.handle(request, _("Unable to list this project's "
                                     "instances: instance counts are not "
                                     "shown."), details="")
        return None


class ImagesTab(paging.PagedTableTab):
    name = _("Images")
    slug = "images"
    table_classes = (tables.ImagesTable,)
    template_name = "consistency_dashboard/project/images/_tab.html"

    def _marker(self):
        meta = tables.ImagesTable._meta
        prev_marker = self.request.GET.get(meta.prev_pagination_param)
        if prev_marker:
            return prev_marker, True
        return self.request.GET.get(meta.pagination_param), False

    def get_images_data(self):
        request = self.request
        marker, reversed_order = self._marker()
        # visibility=all: own, public, shared and community images in one
        # paginated list (Glance images API v2.5).
        filters = {"visibility": "all"}
        table = self._tables["images"]
        name = table.get_filter_string() if table.get_filter_field() == \
            "name" else ""
        if name:
            filters["name"] = name
        only = (request.GET.get(panel_tables.ONE_IMAGE_PARAM) or "").strip()
        if only:
            # The link from an instance's boot image: that image alone.
            filters["id"] = "in:" + only
            marker, reversed_order = None, False
        try:
            images, self._has_more, self._has_prev = \
                api.glance.image_list_detailed(
                    request, marker=marker, paginate=True, filters=filters,
                    sort_dir="asc", sort_key="name",
                    reversed_order=reversed_order)
        except Exception:
            exceptions.handle(request, _("Unable to retrieve images from "
                                         "Glance: try again later."),
                              details="")
            return []
        # What a member of this project can use, even for an admin, whose
        # visibility=all list holds every project's images.
        images = image_rows.usable_by_project(request, images)
        servers = project_servers(request) if images else []
        counts = (image_rows.count_instances_by_image(servers)
                  if servers is not None else None)
        policy_allows = image_rows.may_modify_images(request)
        rows = [image_rows.ImageRow(
            image, request, policy_allows,
            counts.get(image.id, 0) if counts is not None else "?")
            for image in images]
        if only:
            messages.info(request, _("Showing only the image the instance "
                                     "was booted from; the Images tab "
                                     "lists them all."))
        if request.GET.get("attention") == "1":
            rows = [row for row in rows if row.needs_attention]
            messages.info(request, _("Showing only the images on this page "
                                     "that need attention."))
        return rows
