"""The detail page of one image: everything the Images tab row sums up in a
badge and one line (the properties raw and as Nova reads them, every reason,
the prediction per storage path, the fixes)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from horizon import exceptions
from horizon import tabs
from horizon.utils import memoized

from openstack_dashboard import api

from consistency_dashboard.core import posture as core_posture
from consistency_dashboard.dashboards.project.consistency import \
    detail_base
from consistency_dashboard.dashboards.project.consistency.images \
    import rows as image_rows
from consistency_dashboard.dashboards.project.consistency.images \
    import tables as image_tables
from consistency_dashboard.dashboards.project.consistency.images \
    import tabs as image_tabs
from consistency_dashboard.dashboards.project.consistency import \
    tables as panel_tables
from consistency_dashboard.dashboards.translation import core_text

# How the same properties fare on each path a live snapshot can take
# (DOMAIN.md "What a snapshot actually does"): the storage setting of
# core.posture.image_posture, None meaning the file-based and volume-backed
# paths, where the properties decide.
STORAGE_PATHS = (
    (None, _("Image-backed on file storage (qcow2/raw), or volume-backed")),
    ("rbd", _("Image-backed on Ceph RBD")),
    ("no_live_snapshot", _("Image-backed without live snapshots (LVM, "
                           "encrypted ephemeral storage, or disabled)")),
)


NOT_SHOWN = _("Unable to show this image: it does not exist or this "
              "project may not see it.")


def storage_predictions(row):
    found = []
    for storage, label in STORAGE_PATHS:
        posture = core_posture.image_posture(row.properties, storage)
        found.append({"label": label, "posture": posture,
                      "badge": panel_tables.badge_html(
                          posture.label, posture.needs_attention)})
    return found


class OverviewTab(tabs.Tab):
    name = _("Overview")
    slug = "overview"
    template_name = "consistency_dashboard/project/images/_detail_overview.html"

    def get_context_data(self, request):
        row = self.tab_group.kwargs["row"]
        return {"row": row,
                "badge": image_tables.posture_cell(row),
                "properties": image_tables.properties_cell(row),
                "instances_url": "%s?tab=consistency__instances&image=%s" % (
                    reverse(panel_tables.INDEX_URL), row.id)}


class WhyTab(tabs.Tab):
    name = _("Why")
    slug = "why"
    template_name = "consistency_dashboard/project/images/_detail_why.html"

    def get_context_data(self, request):
        row = self.tab_group.kwargs["row"]
        return {"row": row,
                "not_booted_reason": image_rows.NOT_BOOTED_REASON,
                "storage": image_rows.storage_setting(),
                "predictions": storage_predictions(row),
                "dead_property_reason": image_rows.DEAD_PROPERTY_REASON}


class FixTab(tabs.Tab):
    name = _("Fix")
    slug = "fix"
    template_name = "consistency_dashboard/project/images/_detail_fix.html"

    def get_context_data(self, request):
        row = self.tab_group.kwargs["row"]
        fixes = []
        for fix in image_tables.FIX_ORDER:
            plan = row.plan(fix)
            fixes.append({
                "label": core_text(core_posture.FIX_LABELS[fix]),
                "plan": plan,
                "url": ("%s?image_id=%s" % (
                    reverse(image_tables.FIX_URL, args=(fix.value,)),
                    row.id) if plan.applicable and row.can_modify else None),
            })
        return {"row": row, "fixes": fixes,
                "existing_instances_warning": core_text(
                    core_posture.EXISTING_INSTANCES_WARNING),
                "instances_url": panel_tables.tab_url("instances")}


class ImageDetailTabs(tabs.TabGroup):
    slug = "image_consistency"
    tabs = (OverviewTab, WhyTab, FixTab)


class ImageDetailView(detail_base.RowDetailView):
    """Two API calls whatever the image: the image and the project's
    server list (for the count of instances booted from it)."""
    tab_group_class = ImageDetailTabs
    actions_table = image_tables.ImagesTable

    @memoized.memoized_method
    def get_data(self):
        request = self.request
        try:
            image = api.glance.image_get(request, self.kwargs["image_id"])
            # What a member of this project can use, even for an admin,
            # whose token reads every project's images (as the Images tab
            # lists them).
            if not image_rows.usable_by_project(request, [image]):
                raise exceptions.NotFound(NOT_SHOWN)
        except Exception:
            exceptions.handle(request, NOT_SHOWN,
                              redirect=panel_tables.tab_url(), details="")
        servers = image_tabs.project_servers(request)
        count = "?"
        if servers is not None:
            count = image_rows.count_instances_by_image(servers).get(
                image.id, 0)
        return image_rows.ImageRow(image, request,
                                   image_rows.may_modify_images(request),
                                   count)

    def back_url(self):
        return panel_tables.tab_url()
