"""Admin recent snapshots across projects: one paginated Glance list and one
project list, verdicts only where the plugin made the snapshot."""
from django.urls import reverse

from openstack_dashboard import api
from openstack_dashboard.test import helpers as test

from consistency_dashboard.core import verdict
from tests import fixtures
from tests.test_admin_data import project

URL = reverse("horizon:admin:consistency:snapshots")
MOCKS = {api.glance: ("image_list_detailed",),
         api.keystone: ("tenant_list",)}


def snapshots():
    test_snapshot = fixtures.make_image(
        "db-1-test", owner="pa", image_type="snapshot",
        instance_uuid="7c0b5a63-7f4e-4f7a-9a43-1d0b6a2b1c11",
        **{verdict.TEST_SNAPSHOT_MARKER: "v1",
           verdict.VERDICT: "filesystem-consistent",
           verdict.CAUSE: "The guest reported a freeze and a thaw."})
    plain = fixtures.make_image("nightly", owner="pb", image_type="snapshot",
                                instance_uuid="<b>not-a-uuid</b>")
    forged = fixtures.make_image(
        "forged", owner="pb", image_type="snapshot",
        **{verdict.TEST_SNAPSHOT_MARKER: "v2",
           verdict.VERDICT: "application-consistent"})
    return [test_snapshot, plain, forged]


class RecentSnapshotsTests(test.BaseAdminViewTests):

    @test.create_mocks(MOCKS)
    def test_verdicts_where_the_plugin_made_them(self):
        self.mock_image_list_detailed.return_value = (snapshots(), True,
                                                      False)
        self.mock_tenant_list.return_value = ([project("pa", "Acme"),
                                               project("pb", "Beta")], False)
        res = self.client.get(URL)
        self.assertEqual(200, res.status_code)
        rows = {r.name: r for r in res.context["table"].data}
        self.assertEqual("filesystem-consistent",
                         rows["db-1-test"].verdict.label)
        self.assertIsNone(rows["nightly"].verdict)
        # Only the plugin's own marker counts (v1).
        self.assertFalse(rows["forged"].test_snapshot)
        self.assertContains(res, "Acme")
        self.assertContains(res, "not a test snapshot: Nova does not say")
        self.assertContains(res, reverse(
            "horizon:admin:consistency:diagnosis",
            args=("7c0b5a63-7f4e-4f7a-9a43-1d0b6a2b1c11",)))
        self.assertContains(res, "snapshots_marker=")
        # A property its owner wrote: shown as text, not linked.
        self.assertContains(res, "&lt;b&gt;not-a-uuid&lt;/b&gt;")
        self.mock_image_list_detailed.assert_called_once_with(
            test.IsHttpRequest(), marker=None, paginate=True,
            filters={"visibility": "all", "image_type": "snapshot"},
            sort_key="created_at", sort_dir="desc", reversed_order=False)
        self.mock_tenant_list.assert_called_once_with(test.IsHttpRequest())

    @test.create_mocks(MOCKS)
    def test_a_verdict_row_is_one_line_the_cause_on_the_diagnosis(self):
        proven = fixtures.make_image(
            "web-test", owner="pa", image_type="snapshot",
            instance_uuid="7c0b5a63-7f4e-4f7a-9a43-1d0b6a2b1c11",
            **{verdict.TEST_SNAPSHOT_MARKER: "v1",
               verdict.VERDICT: "filesystem-consistent",
               verdict.PROOF: "proven by the snapshot (ext4 / clean)",
               verdict.CAUSE: "The snapshot's own bytes prove it."})
        self.mock_image_list_detailed.return_value = ([proven], False,
                                                      False)
        self.mock_tenant_list.return_value = ([project("pa", "Acme")], False)
        res = self.client.get(URL)
        self.assertContains(res, "proven by the snapshot (ext4 / clean)")
        self.assertNotContains(res, "bytes prove it")
        self.assertContains(res, reverse(
            "horizon:admin:consistency:diagnosis",
            args=("7c0b5a63-7f4e-4f7a-9a43-1d0b6a2b1c11",)))

    @test.create_mocks(MOCKS)
    def test_test_snapshots_only_with_marker(self):
        self.mock_image_list_detailed.return_value = (snapshots()[:1], False,
                                                      True)
        self.mock_tenant_list.return_value = ([], False)
        res = self.client.get(URL, {"tests": "1", "snapshots_marker": "m"})
        self.assertEqual(200, res.status_code)
        self.mock_image_list_detailed.assert_called_once_with(
            test.IsHttpRequest(), marker="m", paginate=True,
            filters={"visibility": "all", "image_type": "snapshot",
                     "consistency_test_snapshot": "v1"},
            sort_key="created_at", sort_dir="desc", reversed_order=False)

    @test.create_mocks(MOCKS)
    def test_glance_down(self):
        self.mock_image_list_detailed.side_effect = self.exceptions.glance
        res = self.client.get(URL)
        self.assertEqual(200, res.status_code)
        self.assertContains(res, "Unable to list snapshots from Glance")
        self.mock_tenant_list.assert_not_called()

    @test.create_mocks(MOCKS)
    def test_keystone_down_shows_owner_ids(self):
        self.mock_image_list_detailed.return_value = (snapshots(), False,
                                                      False)
        self.mock_tenant_list.side_effect = self.exceptions.keystone
        res = self.client.get(URL)
        self.assertEqual(200, res.status_code)
        rows = {r.name: r for r in res.context["table"].data}
        self.assertEqual("pa", rows["db-1-test"].owner_name)
        self.assertContains(res, "Unable to list projects from Keystone")


class MemberTests(test.TestCase):
    def test_member_gets_no_snapshots_page(self):
        res = self.client.get(URL)
        self.assertEqual(403, res.status_code)
