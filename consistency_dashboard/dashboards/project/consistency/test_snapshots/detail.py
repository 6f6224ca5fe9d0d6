"""The detail page of one test snapshot: every evidence item with its
source and strength, the cause, the warnings and the next step, which the
Test snapshots row sums up in the verdict and the one item it rests on.

Reads only (the compute API version, the server, the image): the verdict
shown is the one stored on the image when the test settled; while a test
runs, the tab's ajax row gathers the evidence, not this page."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from horizon import exceptions
from horizon import tabs
from horizon.utils import memoized

from consistency_dashboard.api import servers as server_calls
from consistency_dashboard.dashboards.project.consistency import \
    detail_base
from consistency_dashboard.dashboards.translation import core_text
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import evidence
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import records
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import rows
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import tables

NOT_SHOWN = _("Unable to show this test snapshot: it no longer exists (or "
              "is not this project's).")




class VerdictTab(tabs.Tab):
    name = _("Verdict")
    slug = "verdict"
    template_name = \
        "consistency_dashboard/project/test_snapshots/_detail_verdict.html"

    def get_context_data(self, request):
        row = self.tab_group.kwargs["row"]
        return {"row": row, "badge": tables.badge_html(row),
                "next_step": tables.next_step_cell(row),
                "instance_url": reverse(
                    "horizon:project:consistency:instance_detail",
                    args=(row.instance_id,))}


class EvidenceTab(tabs.Tab):
    name = _("Evidence")
    slug = "evidence"
    template_name = \
        "consistency_dashboard/project/test_snapshots/_detail_evidence.html"

    def get_context_data(self, request):
        row = self.tab_group.kwargs["row"]
        items = row.verdict.evidence if row.verdict is not None else ()
        return {"row": row, "items": [
            {"observation": core_text(i.observation),
             "source": core_text(i.source),
             "strength": core_text(getattr(i.strength, "value", "")),
             "rests_on": i is tables.resting_item(row)}
            for i in items]}


class TestSnapshotDetailTabs(tabs.TabGroup):
    slug = "test_snapshot_detail"
    tabs = (VerdictTab, EvidenceTab)


class TestSnapshotDetailView(detail_base.RowDetailView):
    tab_group_class = TestSnapshotDetailTabs

    @memoized.memoized_method
    def get_data(self):
        request = self.request
        try:
            instance_id, stamp, image_id = rows.split_row_id(
                self.kwargs["row_id"])
            maximum = server_calls.max_microversion(request)
            server, server_state = evidence.read_server(request, instance_id,
                                                        maximum)
            record = None
            if server is not None:
                for found in records.records_of(instance_id,
                                                 server.get("metadata")):
                    if found.stamp == stamp:
                        record = found
            image, _status, reachable = evidence.read_image(
                request, image_id=(record.image_id if record else None) or
                image_id, instance_id=instance_id, stamp=stamp)
            if server is None and image is None:
                raise exceptions.NotFound(NOT_SHOWN)
            row = rows.TestSnapshotRow(instance_id, stamp, image=image,
                                       record=record, server=server,
                                       server_state=server_state,
                                       image_unchecked=not reachable)
            if not rows.shown_to_project(request, row):
                raise exceptions.NotFound(NOT_SHOWN)
        except Exception:
            exceptions.handle(request, NOT_SHOWN, redirect=tables.tab_url(),
                              details="")
        return row

    def back_url(self):
        return tables.tab_url()
