"""Recent snapshots across projects, with the plugin's verdicts where it
made them: one paginated Glance list (``image_type=snapshot``, or only the
plugin's test snapshots with ``consistency_test_snapshot=v1``) and one
Keystone project list, whatever the number of rows."""
from django.utils.translation import gettext_lazy as _

from openstack_dashboard import api

from consistency_dashboard.api import resources
from consistency_dashboard.core import captured as core_captured
from consistency_dashboard.core import verdict as core_verdict
from consistency_dashboard.dashboards.admin.consistency import fleet


class SnapshotRow(object):
    def __init__(self, image, projects):
        data = core_captured.image_properties(resources.plain(image))
        self.image = image
        self.id = image.id
        self.name = image.name or image.id
        self.status = image.status
        self.created_at = data.get("created_at")
        self.owner = data.get("owner")
        self.owner_name = fleet.project_name(projects, self.owner)
        self.instance_uuid = data.get("instance_uuid")
        self.test_snapshot = core_verdict.is_test_snapshot(data)
        self.verdict = (core_verdict.verdict_from_image_properties(data)
                        if self.test_snapshot else None)


def filters_for(tests_only):
    filters = {"visibility": "all", "image_type": "snapshot"}
    if tests_only:
        filters[core_verdict.TEST_SNAPSHOT_MARKER] = \
            core_verdict.TEST_SNAPSHOT_VERSION
    return filters


def recent_snapshots(request, marker=None, reversed_order=False,
                     tests_only=False):
    """``(rows, has_more, has_prev)``, newest first."""
    try:
        images, more, prev = api.glance.image_list_detailed(
            request, marker=marker, paginate=True,
            filters=filters_for(tests_only), sort_key="created_at",
            sort_dir="desc", reversed_order=reversed_order)
    except Exception:
        fleet.degrade(request, _("Unable to list snapshots from Glance."),
                      _("Glance"))
        return [], False, False
    projects = fleet.load_projects(request) if images else {}
    return [SnapshotRow(i, projects) for i in images], more, prev
