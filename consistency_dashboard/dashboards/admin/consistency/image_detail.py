"""The detail page of one image for an administrator (Admin > Snapshot
Consistency > image): the project image detail page's tabs (Overview / Why
/ Fix: the properties raw and as Nova reads them, every reason, the
prediction per storage path, the fixes) for any project's image, which the
audit's images table sums up in a badge and one line per row.

Three reads: the image, its owner's name, and the instances of every
project booted from it (one Nova list, Horizon's paging)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from horizon import exceptions
from horizon.utils import memoized

from openstack_dashboard import api

from consistency_dashboard.dashboards.admin.consistency import fleet
from consistency_dashboard.dashboards.project.consistency import \
    detail_base
from consistency_dashboard.dashboards.project.consistency.images \
    import detail as image_detail
from consistency_dashboard.dashboards.project.consistency.images \
    import rows as image_rows

INDEX_URL = "horizon:admin:consistency:index"
DETAIL_URL = "horizon:admin:consistency:image_detail"

NOT_SHOWN = _("Unable to show this image: it does not exist.")


def detail_url(row):
    return reverse(DETAIL_URL, args=(row.id,))


class OverviewTab(image_detail.OverviewTab):
    """The project page's overview, with the owner and the instances of
    every project."""
    template_name = "consistency_dashboard/admin/_image_overview.html"

    def get_context_data(self, request):
        context = super().get_context_data(request)
        context["instances_url"] = None
        return context


class FixTab(image_detail.FixTab):
    def get_context_data(self, request):
        context = super().get_context_data(request)
        # What each existing instance needs is on the audit, for every
        # project.
        context["instances_url"] = reverse(INDEX_URL)
        return context


class AdminImageDetailTabs(image_detail.ImageDetailTabs):
    slug = "admin_image_consistency"
    tabs = (OverviewTab, image_detail.WhyTab, FixTab)


def _owner_name(request, owner):
    if not owner:
        return {}
    try:
        found = api.keystone.tenant_get(request, owner, admin=True)
    except Exception:
        # The id is shown instead of the name: nothing else depends on it.
        return {}
    return {owner: getattr(found, "name", None) or owner}


def _instance_count(request, image_id):
    """Instances of every project booted from the image (``"n+"`` when
    Nova has more than one page), or "?" when Nova did not answer."""
    try:
        servers, more = api.nova.server_list(
            request, search_opts={"image": image_id, "all_tenants": True})
    except Exception:
        exceptions.handle(request, _("Unable to list the instances booted "
                                     "from this image from Nova."),
                          details="")
        return "?"
    return "%d+" % len(servers) if more else len(servers)


class AdminImageDetailView(detail_base.RowDetailView):
    tab_group_class = AdminImageDetailTabs

    @memoized.memoized_method
    def get_data(self):
        request = self.request
        try:
            image = api.glance.image_get(request, self.kwargs["image_id"])
        except Exception:
            exceptions.handle(request, NOT_SHOWN, redirect=self.back_url(),
                              details="")
        owner = getattr(image, "owner", None)
        return fleet.AuditImageRow(image, request,
                                   image_rows.may_modify_images(request),
                                   _instance_count(request, image.id),
                                   _owner_name(request, owner))

    def back_url(self):
        return reverse(INDEX_URL)
