from django.utils.translation import gettext_lazy as _

from horizon import exceptions
from horizon import tabs

from openstack_dashboard import api

from consistency_dashboard.core import verdict as core_verdict
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import rows
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import start
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import tables


def list_test_snapshot_images(request):
    """The project's test snapshots: ONE Glance list filtered on the
    plugin's marker property (Glance v2 filters on custom properties)."""
    images, _more, _prev = api.glance.image_list_detailed(
        request, filters={core_verdict.TEST_SNAPSHOT_MARKER:
                          core_verdict.TEST_SNAPSHOT_VERSION,
                          "owner": request.user.project_id},
        sort_key="created_at", sort_dir="desc")
    return [rows.plain(i) for i in images]


def list_servers_with_records(request):
    """ONE server list: the records of test snapshots whose image vanished
    or that Nova refused are kept in the server metadata."""
    servers, _more = api.nova.server_list(request)
    return [rows.plain(s) for s in servers]


class TestSnapshotsTab(tabs.TableTab):
    name = _("Test snapshots")
    slug = "test_snapshots"
    table_classes = (tables.TestSnapshotsTable,)
    template_name = "consistency_dashboard/project/test_snapshots/_tab.html"
    preload = False

    def get_test_snapshots_data(self):
        request = self.request
        images, servers = None, []
        try:
            images = list_test_snapshot_images(request)
        except Exception:
            exceptions.handle(request, _("Unable to list the test snapshots "
                                         "from Glance: only the records "
                                         "kept on the instances are "
                                         "shown."), details="")
        try:
            servers = list_servers_with_records(request)
        except Exception:
            exceptions.handle(request, _("Unable to list this project's "
                                         "instances from Nova: test "
                                         "snapshots whose image vanished "
                                         "are not shown, and instance names "
                                         "are missing."), details="")
        return rows.join(images, servers)

    def get_context_data(self, request, **kwargs):
        context = super().get_context_data(request, **kwargs)
        table = self._tables["test_snapshots"]
        context["still_frozen"] = [r for r in table.data
                                   if r.may_still_be_frozen]
        context["keep_settled"] = start.KEEP_SETTLED
        return context
