"""The detail page of one instance: what its Instances tab row sums up in
a badge and one line (the properties Nova captured at boot beside the
image's current ones, the prediction with every reason, the fix options
with their trade-offs).  The calls are the row's, as the tab loads it: the
compute API version, the server, its image (one Glance list) and, for a
volume-backed server, one volume list."""

from django.urls import NoReverseMatch
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from horizon import exceptions
from horizon import tabs
from horizon.utils import memoized

from consistency_dashboard.dashboards.project.consistency import \
    detail_base
from consistency_dashboard.dashboards.project.consistency.instances \
    import loading
from consistency_dashboard.dashboards.project.consistency.instances \
    import tables as instance_tables
from consistency_dashboard.dashboards.project.consistency \
    import tables as project_tables
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import rows as test_snapshot_rows

NOT_SHOWN = _("Unable to show this instance: it no longer exists (or is not "
              "in this project).")


def _horizon_instance_url(instance_id):
    try:
        return reverse("horizon:project:instances:detail",
                       args=(instance_id,)) + "?tab=instance_details__consistency"
    except NoReverseMatch:
        return None


class OverviewTab(tabs.Tab):
    name = _("Overview")
    slug = "overview"
    template_name = \
        "consistency_dashboard/project/instances/_detail_overview.html"

    def get_context_data(self, request):
        row = self.tab_group.kwargs["row"]
        return {"row": row,
                "boot_source": instance_tables.boot_source_cell(row),
                "captured": instance_tables.captured_detail_cell(row),
                "current": instance_tables.current_detail_cell(row),
                "prediction": instance_tables.prediction_cell(row),
                "action": instance_tables.action_detail_cell(row),
                "horizon_url": _horizon_instance_url(row.id)}


class WhyTab(tabs.Tab):
    name = _("Why")
    slug = "why"
    template_name = "consistency_dashboard/project/instances/_detail_why.html"

    def get_context_data(self, request):
        return {"row": self.tab_group.kwargs["row"]}


class FixTab(tabs.Tab):
    name = _("Fix")
    slug = "fix"
    template_name = "consistency_dashboard/project/instances/_detail_fix.html"

    def get_context_data(self, request):
        row = self.tab_group.kwargs["row"]
        return {"row": row, "steps": row.prediction.next_steps}


class InstanceDetailTabs(tabs.TabGroup):
    slug = "instance_consistency"
    tabs = (OverviewTab, WhyTab, FixTab)


class InstanceDetailView(detail_base.RowDetailView):
    tab_group_class = InstanceDetailTabs
    actions_table = instance_tables.InstancesTable

    @memoized.memoized_method
    def get_data(self):
        request = self.request
        try:
            row = loading.load_row(request, self.kwargs["instance_id"])
            # An administrator's token reads any project's server: the
            # project's page shows the project's own.
            if not test_snapshot_rows.server_in_project(
                    row.server, request.user.project_id):
                raise exceptions.NotFound(NOT_SHOWN)
        except Exception:
            exceptions.handle(request, NOT_SHOWN,
                              redirect=project_tables.tab_url("instances"),
                              details="")
        return row

    def back_url(self):
        return project_tables.tab_url("instances")
