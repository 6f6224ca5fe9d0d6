"""Admin > Compute > Snapshot Consistency: the fleet audit and its exports,
mocked at the openstack_dashboard.api / consistency_dashboard.api
boundaries; the exact calls are asserted."""
import csv
import io
import json
from unittest import mock

from django.test.utils import override_settings
from django.urls import reverse
from keystoneauth1 import exceptions as ks_exc

import horizon
from openstack_dashboard import api
from openstack_dashboard.test import helpers as test

from consistency_dashboard.api import servers as server_calls
from tests import fixtures
from tests.test_admin_data import GOOD
from tests.test_admin_data import admin_server
from tests.test_admin_data import fleet
from tests.test_admin_data import project

INDEX = reverse("horizon:admin:consistency:index")
MOCKS = {server_calls: ("compute_version_range",
                        "server_list_all_tenants_page"),
         api.keystone: ("tenant_list",),
         api.glance: ("image_list_detailed",),
         api.cinder: ("volume_list",)}


def export_url(kind, fmt):
    return reverse("horizon:admin:consistency:export", args=(kind, fmt))


def body(response):
    return b"".join(response.streaming_content).decode()


class AuditTests(test.BaseAdminViewTests):

    def _cloud(self, projects, images, servers, volumes=(), maximum="2.104"):
        self.mock_compute_version_range.return_value = ("2.1", maximum)
        self.mock_tenant_list.return_value = (projects, False)
        self.mock_image_list_detailed.return_value = (images, False, False)
        self.mock_server_list_all_tenants_page.return_value = (servers,
                                                               False)
        self.mock_volume_list.return_value = list(volumes)

    def _rows(self, response, table="audit_instances"):
        return {r.name: r for r in response.context[table + "_table"].data}

    def _assert_one_call_each(self, volumes=False):
        self.mock_tenant_list.assert_called_once_with(test.IsHttpRequest())
        self.mock_image_list_detailed.assert_called_once_with(
            test.IsHttpRequest(), marker=None,
            filters={"visibility": "all"}, sort_key="created_at",
            sort_dir="desc")
        self.mock_server_list_all_tenants_page.assert_called_once_with(
            test.IsHttpRequest(), marker=None, search_opts={},
            page_size=1000)
        if volumes:
            self.mock_volume_list.assert_called_once_with(
                test.IsHttpRequest(), search_opts={"all_tenants": True})
        else:
            self.mock_volume_list.assert_not_called()

    @test.create_mocks(MOCKS)
    def test_fleet_rows_with_project_names_and_core_words(self):
        fixed = fixtures.make_image("fixed-later", owner="pa", **GOOD)
        neither = fixtures.make_image("neither", owner="pb")
        servers = [
            admin_server("booted-before-fix", "pa", fixed.id, {},
                         host="cmp-7"),
            admin_server("healthy", "pb", fixed.id, GOOD),
            admin_server("crash-only", "pb", neither.id, {}),
        ]
        self._cloud([project("pa", "Acme"), project("pb", "Beta")],
                    [fixed, neither], servers)

        res = self.client.get(INDEX)

        self.assertEqual(200, res.status_code)
        self.assertTemplateUsed(res, "consistency_dashboard/admin/audit.html")
        rows = self._rows(res)
        stale = rows["booted-before-fix"]
        self.assertEqual("Acme", stale.project_name)
        self.assertEqual("cmp-7", stale.host)
        self.assertEqual("action needed: rebuild needed",
                         stale.prediction.badge)
        self.assertFalse(rows["healthy"].action_needed)
        self.assertEqual("action needed: crash-consistent only",
                         rows["crash-only"].prediction.badge)
        images = self._rows(res, "audit_images")
        self.assertEqual("crash-consistent only",
                         images["neither"].posture.label)
        self.assertEqual("Beta", images["neither"].owner_name)
        self.assertEqual(2, images["fixed-later"].instance_count)
        self.assertContains(res, "Acme")
        self.assertContains(res, "cmp-7")
        self.assertContains(res, "action needed: rebuild needed")
        self.assertContains(res, "Counts of what this page loaded: 3 "
                                 "instances")
        self.assertContains(res, '<strong id="count-action-needed">2</strong>',
                            html=False)
        self.assertContains(res, reverse("horizon:admin:consistency:diagnosis",
                                         args=(servers[0]["id"],)))
        self.assertContains(res, export_url("instances", "csv") +
                            "?scope=all")
        self._assert_one_call_each()

    @test.create_mocks(MOCKS)
    def test_calls_do_not_grow_with_rows(self):
        for count in (7, 300):
            for m in (self.mock_tenant_list, self.mock_image_list_detailed,
                      self.mock_server_list_all_tenants_page,
                      self.mock_volume_list):
                m.reset_mock()
            projects, images, servers = fleet(count, projects=50, images=30)
            volumes = [fixtures.Volume(s["id"], GOOD) for s in servers
                       if not s["image"]]
            self._cloud(projects, images, servers, volumes)
            res = self.client.get(INDEX)
            self.assertEqual(count, len(self._rows(res)))
            self._assert_one_call_each(volumes=True)

    @test.create_mocks(MOCKS)
    def test_servers_and_images_are_read_with_markers(self):
        projects, images, servers = fleet(5, projects=2, images=3)
        self._cloud(projects, images, servers)
        self.mock_server_list_all_tenants_page.side_effect = [
            (servers[:2], True), (servers[2:4], True), (servers[4:], True)]
        self.mock_image_list_detailed.side_effect = [
            (images[:2], False, False), (images[2:], False, False)]
        with mock.patch.object(server_calls, "NOVA_MAX_LIMIT", 2), \
                override_settings(CONSISTENCY_AUDIT_ROWS=5,
                                  API_RESULT_LIMIT=2):
            res = self.client.get(INDEX)
        self.assertEqual(5, len(self._rows(res)))
        self.assertEqual(3, len(self._rows(res, "audit_images")))
        calls = self.mock_server_list_all_tenants_page.call_args_list
        self.assertEqual([None, servers[1]["id"], servers[3]["id"]],
                         [c.kwargs["marker"] for c in calls])
        self.assertEqual([2, 2, 1], [c.kwargs["page_size"] for c in calls])
        self.assertEqual(
            [None, images[1].id],
            [c.kwargs["marker"] for c in
             self.mock_image_list_detailed.call_args_list])
        # The cloud has more: the page says so and links the next window.
        self.assertContains(res, "this is not the whole fleet")
        self.assertContains(res, "marker=%s" % servers[4]["id"])

    @test.create_mocks(MOCKS)
    def test_filters_project_attention_boot_source(self):
        projects, images, servers = fleet(21, projects=3, images=2)
        volumes = [fixtures.Volume(s["id"], {}) for s in servers
                   if not s["image"]]
        in_p001 = [s for s in servers if s["tenant_id"] == "p001"]
        self._cloud(projects, images, in_p001, volumes)

        res = self.client.get(INDEX, {"project": "p001", "attention": "1",
                                      "boot": "volume"})

        self.mock_server_list_all_tenants_page.assert_called_once_with(
            test.IsHttpRequest(), marker=None,
            search_opts={"project_id": "p001"}, page_size=1000)
        rows = self._rows(res)
        self.assertTrue(rows)
        for row in rows.values():
            self.assertEqual("p001", row.project_id)
            self.assertTrue(row.volume_backed)
            self.assertTrue(row.action_needed)
        expected = [s["name"] for s in in_p001 if not s["image"]]
        self.assertEqual(sorted(expected), sorted(rows))
        # Images: those owned by the project only (none here).
        self.assertEqual({}, self._rows(res, "audit_images"))
        self.assertContains(res, "The filters show %d of the loaded "
                                 "instances" % len(expected))
        self.assertContains(res, '<option value="p001" selected>',
                            html=False)

    @test.create_mocks(MOCKS)
    def test_keystone_down_shows_ids(self):
        projects, images, servers = fleet(4, projects=2, images=2)
        self._cloud(projects, images, servers)
        self.mock_tenant_list.side_effect = self.exceptions.keystone
        res = self.client.get(INDEX)
        self.assertEqual(200, res.status_code)
        rows = self._rows(res)
        self.assertEqual(4, len(rows))
        self.assertEqual("p000", rows["vm-00000"].project_name)
        self.assertMessageCount(res, error=1)
        self.assertContains(res, "Unable to list projects from Keystone")

    @test.create_mocks(MOCKS)
    def test_nova_down_still_shows_images(self):
        projects, images, servers = fleet(4, projects=2, images=2)
        self._cloud(projects, images, servers)
        self.mock_server_list_all_tenants_page.side_effect = \
            ks_exc.ConnectFailure("connection refused")
        res = self.client.get(INDEX)
        self.assertEqual(200, res.status_code)
        self.assertEqual({}, self._rows(res))
        self.assertEqual(2, len(self._rows(res, "audit_images")))
        self.assertContains(res, "Unable to list instances from Nova")
        self.assertContains(res, "Nova could not be reached")

    @test.create_mocks(MOCKS)
    def test_glance_down_still_shows_instances(self):
        projects, images, servers = fleet(4, projects=2, images=2)
        self._cloud(projects, images, servers)
        self.mock_image_list_detailed.side_effect = self.exceptions.glance
        res = self.client.get(INDEX)
        self.assertEqual(200, res.status_code)
        rows = self._rows(res)
        self.assertEqual(4, len(rows))
        # Captured values are still known (2.98), the image's are not.
        self.assertIsNone(rows["vm-00000"].current)
        self.assertIsNotNone(rows["vm-00000"].captured.properties)
        self.assertContains(res, "Unable to list images from Glance")

    @test.create_mocks(MOCKS)
    def test_snapshots_left_to_recent_snapshots_unless_booted_from(self):
        base = fixtures.make_image("base", owner="pa", **GOOD)
        nightly = fixtures.make_image("nightly", owner="pa",
                                      image_type="snapshot")
        booted = fixtures.make_image("golden-snap", owner="pa",
                                     image_type="snapshot", **GOOD)
        servers = [admin_server("from-snap", "pa", booted.id, GOOD)]
        self._cloud([project("pa", "Acme")], [base, nightly, booted],
                    servers)
        res = self.client.get(INDEX)
        self.assertEqual(["base", "golden-snap"],
                         sorted(self._rows(res, "audit_images")))
        self.assertContains(res, "(and 1 snapshot, listed under")
        self.assertEqual(2, res.context["summary"].images_loaded)

    @test.create_mocks({server_calls: ("compute_version_range",),
                        api.nova: ("server_list_paged",),
                        api.keystone: ("tenant_list",),
                        api.glance: ("image_list_detailed",),
                        api.cinder: ("volume_list",)})
    def test_older_cloud_uses_horizon_list_and_snapshots_from_images(self):
        self.mock_compute_version_range.return_value = ("2.1", "2.96")
        image = fixtures.make_image("base", **GOOD)
        server = fixtures.make_server("old", image.id)
        snapshot = fixtures.make_image(
            "snap", image_type="snapshot", instance_uuid=server.id,
            created_at="2026-11-10T10:00:00Z", hw_qemu_guest_agent="no")
        self.mock_tenant_list.return_value = ([project("1", "Demo")], False)
        self.mock_image_list_detailed.return_value = ([image, snapshot],
                                                      False, False)
        self.mock_server_list_paged.return_value = ([server], False, False)
        res = self.client.get(INDEX)
        row = self._rows(res)["old"]
        self.assertEqual("snapshot", row.captured.source.value)
        self.assertTrue(row.rebuild_needed)
        self.assertEqual("Demo", row.project_name)
        self.mock_server_list_paged.assert_called_once_with(
            test.IsHttpRequest(), search_opts={
                "marker": None, "paginate": True, "all_tenants": True})
        self.mock_image_list_detailed.assert_called_once()


class ExportTests(test.BaseAdminViewTests):

    def _cloud(self):
        projects, images, servers = fleet(14, projects=2, images=2)
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        self.mock_tenant_list.return_value = (projects, False)
        self.mock_image_list_detailed.return_value = (images, False, False)
        self.mock_volume_list.return_value = [
            fixtures.Volume(s["id"], GOOD) for s in servers if not s["image"]]
        return servers

    @test.create_mocks(MOCKS)
    def test_csv_has_the_filtered_rows(self):
        servers = self._cloud()
        self.mock_server_list_all_tenants_page.return_value = (servers,
                                                               False)
        res = self.client.get(export_url("instances", "csv"),
                              {"attention": "1", "boot": "image"})
        self.assertEqual(200, res.status_code)
        self.assertTrue(res.streaming)
        self.assertIn("text/csv", res["Content-Type"])
        records = list(csv.DictReader(io.StringIO(body(res))))
        expected = sorted(s["name"] for i, s in enumerate(servers)
                          if s["image"] and i % 3 == 0)
        self.assertEqual(expected, sorted(r["name"] for r in records))
        for record in records:
            self.assertEqual("True", record["action_needed"])
            self.assertEqual("image", record["boot_source"])
            self.assertEqual("false", record["captured_hw_qemu_guest_agent"])
            self.assertEqual("true", record["current_hw_qemu_guest_agent"])
            self.assertEqual("action needed: rebuild needed", record["badge"])
            self.assertTrue(record["project_name"].startswith("project-"))
        self.mock_server_list_all_tenants_page.assert_called_once_with(
            test.IsHttpRequest(), marker=None, search_opts={},
            page_size=1000)

    @test.create_mocks(MOCKS)
    def test_json_keeps_marker_and_filters(self):
        servers = self._cloud()
        self.mock_server_list_all_tenants_page.return_value = (servers[:5],
                                                               True)
        with override_settings(CONSISTENCY_AUDIT_ROWS=5):
            res = self.client.get(export_url("instances", "json"),
                                  {"project": "p001", "marker": "m-1"})
            data = json.loads(body(res))
        self.mock_server_list_all_tenants_page.assert_called_once_with(
            test.IsHttpRequest(), marker="m-1",
            search_opts={"project_id": "p001"}, page_size=5)
        self.assertEqual({"project": "p001"}, data["meta"]["filters"])
        self.assertEqual("m-1", data["meta"]["marker"])
        self.assertTrue(data["meta"]["more_instances"])
        names = [r["name"] for r in data["rows"]]
        self.assertEqual(sorted(s["name"] for s in servers[:5]
                                if s["tenant_id"] == "p001"), sorted(names))

    @test.create_mocks(MOCKS)
    def test_images_csv_and_formula_cells_are_neutralised(self):
        self._cloud()
        evil = fixtures.make_image("=HYPERLINK(\"x\")", owner="p000")
        self.mock_image_list_detailed.return_value = ([evil], False, False)
        self.mock_server_list_all_tenants_page.return_value = ([], False)
        res = self.client.get(export_url("images", "csv"))
        records = list(csv.DictReader(io.StringIO(body(res))))
        self.assertEqual("'=HYPERLINK(\"x\")", records[0]["name"])
        self.assertEqual("crash-consistent only", records[0]["posture"])
        self.assertEqual("project-000", records[0]["owner_name"])

    @test.create_mocks(MOCKS)
    def test_export_with_nova_down_says_so(self):
        self._cloud()
        self.mock_server_list_all_tenants_page.side_effect = \
            self.exceptions.nova
        res = self.client.get(export_url("instances", "json"))
        self.assertEqual(200, res.status_code)
        data = json.loads(body(res))
        self.assertTrue(data["meta"]["nova_failed"])
        self.assertEqual([], data["rows"])


def admin_panel():
    return horizon.get_dashboard("admin").get_panel("consistency")


class AdminOnlyTests(test.TestCase):
    """A project member gets no menu entry and no page."""

    def test_panel_refuses_a_member(self):
        self.assertIn("openstack.roles.admin", admin_panel().permissions)
        request = self.client.get(INDEX).wsgi_request
        # What Horizon's menu and URL guard check (the test settings have
        # no policy files, so the policy rules allow everything here).
        self.assertFalse(request.user.has_perms(admin_panel().permissions))

    def test_member_cannot_open_the_audit(self):
        # Horizon's panel permissions (openstack.roles.admin) refuse it.
        res = self.client.get(INDEX)
        self.assertEqual(403, res.status_code)

    def test_member_cannot_export(self):
        res = self.client.get(export_url("instances", "csv"))
        self.assertEqual(403, res.status_code)

    def test_member_cannot_open_an_image_detail_page(self):
        res = self.client.get(reverse("horizon:admin:consistency:"
                                      "image_detail", args=("any-image",)))
        self.assertEqual(403, res.status_code)

    @test.create_mocks(MOCKS)
    def test_member_menu_has_no_admin_entry(self):
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        res = self.client.get(reverse("horizon:project:consistency:index"))
        self.assertNotContains(res, 'href="%s"' % INDEX)


class AdminMenuTests(test.BaseAdminViewTests):

    def test_panel_admits_an_admin(self):
        request = self.client.get(
            reverse("horizon:admin:consistency:diagnosis_search")
        ).wsgi_request
        self.assertTrue(request.user.has_perms(admin_panel().permissions))

    @test.create_mocks(MOCKS)
    def test_admin_menu_has_the_panel(self):
        self._cloud = None
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        self.mock_tenant_list.return_value = ([], False)
        self.mock_image_list_detailed.return_value = ([], False, False)
        self.mock_server_list_all_tenants_page.return_value = ([], False)
        res = self.client.get(INDEX)
        self.assertContains(res, 'href="%s"' % INDEX)
        self.assertContains(res, "Snapshot Consistency")


class WholeCloudExportTests(test.BaseAdminViewTests):
    """scope=all: every instance of the cloud, read page by page while the
    file streams; the calls grow with pages, not rows."""

    def _cloud(self, n):
        projects, images, servers = fleet(n, projects=40, images=5)
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        self.mock_tenant_list.return_value = (projects, False)
        self.mock_image_list_detailed.return_value = (images, False, False)
        self.mock_volume_list.return_value = [
            fixtures.Volume(s["id"], GOOD) for s in servers if not s["image"]]

        def pages(request, marker=None, search_opts=None, page_size=1000):
            ids = [s["id"] for s in servers]
            start = ids.index(marker) + 1 if marker else 0
            return (servers[start:start + page_size],
                    start + page_size < len(servers))
        self.mock_server_list_all_tenants_page.side_effect = pages
        return servers

    @test.create_mocks(MOCKS)
    def test_all_pages_streamed_with_filters(self):
        servers = self._cloud(2500)
        res = self.client.get(export_url("instances", "csv"),
                              {"scope": "all", "attention": "1"})
        records = list(csv.DictReader(io.StringIO(body(res))))
        expected = [s["name"] for i, s in enumerate(servers)
                    if s["image"] and i % 3 == 0]
        self.assertEqual(sorted(expected),
                         sorted(r["name"] for r in records))
        calls = self.mock_server_list_all_tenants_page.call_args_list
        self.assertEqual([None, servers[999]["id"], servers[1999]["id"]],
                         [c.kwargs["marker"] for c in calls])
        self.mock_tenant_list.assert_called_once_with(test.IsHttpRequest())
        self.mock_image_list_detailed.assert_called_once()
        self.mock_volume_list.assert_called_once()

    @test.create_mocks(MOCKS)
    def test_nova_failing_midway_ends_the_stream_saying_so(self):
        servers = self._cloud(1500)
        first = self.mock_server_list_all_tenants_page.side_effect
        self.mock_server_list_all_tenants_page.side_effect = [
            first(None), ks_exc.ConnectFailure("refused")]
        res = self.client.get(export_url("instances", "csv"),
                              {"scope": "all"})
        text = body(res)
        self.assertEqual(200, res.status_code)
        lines = text.strip().splitlines()
        self.assertEqual("# export stopped after 1000 instances: Nova could "
                         "not be reached; try again later", lines[-1])
        self.assertEqual(1001, len(lines) - 1)
        self.assertIn(servers[999]["name"], text)

        self.mock_server_list_all_tenants_page.side_effect = [
            first(None), ks_exc.ConnectFailure("refused")]
        data = json.loads(body(self.client.get(
            export_url("instances", "json"), {"scope": "all"})))
        self.assertEqual(1000, len(data["rows"]))
        self.assertEqual(1000, data["stopped"]["after_instances"])
        self.assertEqual("all", data["meta"]["scope"])

    @test.create_mocks(MOCKS)
    def test_a_repeated_page_stops_the_export_saying_so(self):
        servers = self._cloud(1500)
        first = self.mock_server_list_all_tenants_page.side_effect
        # Nova (or a cache in front of it) answers the first page again.
        self.mock_server_list_all_tenants_page.side_effect = \
            lambda request, marker=None, **kw: first(request, None)
        res = self.client.get(export_url("instances", "csv"),
                              {"scope": "all"})
        lines = body(res).strip().splitlines()
        self.assertTrue(lines[-1].startswith(
            "# export stopped after 2000 instances: Nova returned a page "
            "that ends with the same instance (%s)" % servers[999]["id"]),
            lines[-1])
        self.assertEqual(2, self.mock_server_list_all_tenants_page.call_count)

    @test.create_mocks(MOCKS)
    def test_the_page_cap_stops_the_export_saying_so(self):
        self._cloud(2500)
        with self.settings(CONSISTENCY_EXPORT_MAX_PAGES=2):
            data = json.loads(body(self.client.get(
                export_url("instances", "json"), {"scope": "all"})))
        self.assertEqual(2000, len(data["rows"]))
        self.assertEqual(2000, data["stopped"]["after_instances"])
        self.assertIn("at most 2 pages of 1000 instances",
                      data["stopped"]["why"])
        self.assertEqual(2, self.mock_server_list_all_tenants_page.call_count)


class AdminImageDetailTests(test.BaseAdminViewTests):
    """The audit's images table: one line per image, the name opening an
    admin detail page with every reason, for any project's image."""

    DETAIL_MOCKS = {api.glance: ("image_get", "image_update_properties"),
                    api.keystone: ("tenant_get",),
                    api.nova: ("server_list",)}

    def _detail(self, image_id):
        return reverse("horizon:admin:consistency:image_detail",
                       args=(image_id,))

    @test.create_mocks(MOCKS)
    def test_image_rows_are_one_line_and_link_the_detail_page(self):
        neither = fixtures.make_image("neither", owner="pb")
        refused = fixtures.make_image("quiesce-only", owner="pb",
                                      os_require_quiesce="1")
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        self.mock_tenant_list.return_value = ([project("pb", "Beta")], False)
        self.mock_image_list_detailed.return_value = ([neither, refused],
                                                      False, False)
        self.mock_server_list_all_tenants_page.return_value = ([
            admin_server("vm", "pb", neither.id, {})], False)
        self.mock_volume_list.return_value = []
        res = self.client.get(INDEX)
        table = res.context["audit_images_table"].render()
        # The badge and the one short line of what differs.
        self.assertIn("crash-consistent only", table)
        self.assertIn("no guest agent property", table)
        self.assertIn("quiesce required without the guest agent property",
                      table)
        self.assertIn('href="%s"' % self._detail(neither.id), table)
        # The sentences are on the detail page, the common text once above
        # the table.
        self.assertNotIn("Snapshots of running instances are "
                         "crash-consistent only.", table)
        self.assertNotIn("Live snapshots fail", table)
        self.assertNotIn("Nova never reports", table)
        self.assertContains(res, "Nova never reports whether it did", 1)

    @test.create_mocks(DETAIL_MOCKS)
    def test_detail_page_of_another_projects_private_image(self):
        image = fixtures.make_image("quiesce-only", owner="pb",
                                    visibility="private",
                                    os_require_quiesce="1")
        self.mock_image_get.return_value = image
        self.mock_tenant_get.return_value = project("pb", "Beta")
        self.mock_server_list.return_value = ([object(), object()], False)
        res = self.client.get(self._detail(image.id))
        self.assertTemplateUsed(res, "horizon/common/_detail.html")
        self.assertTemplateUsed(
            res, "consistency_dashboard/admin/_image_overview.html")
        for text in ("snapshot refused unless the agent channel exists",
                     "Live snapshots fail: enable the guest agent",
                     "Nova refuses live snapshots of running instances",
                     "Snapshots of stopped instances, and Ceph RBD direct "
                     "snapshots, are not affected.",
                     "Image-backed on Ceph RBD",
                     "Beta", "instances of every project booted from the "
                     "image", "Owned by another project"):
            self.assertContains(res, text)
        self.assertContains(res, "<dd>2\n", html=False)
        self.assertContains(res, 'href="%s"' % INDEX)
        self.mock_image_get.assert_called_once_with(test.IsHttpRequest(),
                                                    image.id)
        self.mock_tenant_get.assert_called_once_with(
            test.IsHttpRequest(), "pb", admin=True)
        self.mock_server_list.assert_called_once_with(
            test.IsHttpRequest(), search_opts={"image": image.id,
                                               "all_tenants": True})
        # GET never writes.
        self.mock_image_update_properties.assert_not_called()

    @test.create_mocks(DETAIL_MOCKS)
    def test_detail_page_with_keystone_and_nova_down(self):
        image = fixtures.make_image("neither", owner="pb")
        self.mock_image_get.return_value = image
        self.mock_tenant_get.side_effect = ks_exc.ConnectFailure("down")
        self.mock_server_list.side_effect = ks_exc.ConnectFailure("down")
        res = self.client.get(self._detail(image.id))
        self.assertEqual(200, res.status_code)
        self.assertContains(res, "crash-consistent only")
        self.assertContains(res, "pb")
        self.assertMessageCount(res, error=1)

    @test.create_mocks(DETAIL_MOCKS)
    def test_unknown_image_is_said_in_words(self):
        from glanceclient import exc as glance_exc
        self.mock_image_get.side_effect = glance_exc.HTTPNotFound()
        res = self.client.get(self._detail("no-such-image"))
        self.assertRedirectsNoFollow(res, INDEX)
        self.assertEqual(["Unable to show this image: it does not exist."],
                         [str(m) for m in res.wsgi_request._messages])
        self.mock_server_list.assert_not_called()
