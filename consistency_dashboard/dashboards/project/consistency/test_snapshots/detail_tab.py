"""A "Consistency" tab on Horizon's own instance detail page (Project >
Compute > Instances > instance), plugged in through the enabled file's
``EXTRA_TABS`` for
``openstack_dashboard.dashboards.project.instances.tabs.InstanceDetailTabs``:
the predicted outcome of a snapshot taken now, a Test snapshot button, and
this instance's test snapshots with their verdicts.  Calls: the instance's
row (as the Instances tab loads it) and ONE Glance list of this instance's
test snapshots; the records come with the server."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from horizon import exceptions
from horizon import tabs

from openstack_dashboard import api

from consistency_dashboard.core import verdict as core_verdict
from consistency_dashboard.dashboards.project.consistency.instances \
    import loading
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import rows
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import tables


class ConsistencyTab(tabs.Tab):
    name = _("Consistency")
    slug = "consistency"
    template_name = \
        "consistency_dashboard/project/test_snapshots/_instance_tab.html"
    preload = False

    def _instance_id(self):
        instance = self.tab_group.kwargs.get("instance")
        return getattr(instance, "id", None) or \
            self.tab_group.kwargs.get("instance_id")

    def get_context_data(self, request, **kwargs):
        instance_id = self._instance_id()
        context = {"instance_id": instance_id,
                   "test_snapshots_url": tables.tab_url(),
                   "test_snapshot_url": reverse(
                       "horizon:project:consistency:test_snapshot",
                       args=(instance_id,)),
                   "row": None, "test_snapshots": []}
        try:
            context["row"] = loading.load_row(request, instance_id)
        except Exception:
            exceptions.handle(request, _("Unable to read what this instance "
                                         "was booted with: the predicted "
                                         "outcome is not shown."),
                              details="")
        server = context["row"].server if context["row"] else None
        # Any project may mark an image of its own as a test snapshot of
        # this instance: only the instance's own project's count.
        owner = rows.project_of_server(server) or request.user.project_id
        images = None
        try:
            found, _more, _prev = api.glance.image_list_detailed(
                request, filters={core_verdict.TEST_SNAPSHOT_MARKER:
                                  core_verdict.TEST_SNAPSHOT_VERSION,
                                  core_verdict.INSTANCE: instance_id,
                                  "owner": owner},
                sort_key="created_at", sort_dir="desc")
            images = [rows.plain(i) for i in found]
            images = [i for i in images if rows.owned_test_snapshot(
                i, instance_id, owner)]
        except Exception:
            exceptions.handle(request, _("Unable to list this instance's "
                                         "test snapshots from Glance."),
                              details="")
        context["test_snapshots"] = rows.join(
            images, [server] if server else [])
        return context
