"""The Instances tab and the ways to fix an instance, mocked at the
openstack_dashboard.api and consistency_dashboard.api boundaries."""
import json
from unittest import mock

from django.urls import reverse
from novaclient import exceptions as nova_exc

from openstack_dashboard import api
from openstack_dashboard.test import helpers as test

from consistency_dashboard.api import servers as server_calls
from consistency_dashboard.api import volumes as volume_calls
from consistency_dashboard.core import rebuild_flow
from tests import fixtures

INDEX_URL = reverse("horizon:project:consistency:index")
TAB = INDEX_URL + "?tab=consistency__instances"
GOOD = {"hw_qemu_guest_agent": "yes", "os_require_quiesce": "yes"}
UUID = "7c0b5a63-7f4e-4f7a-9a43-1d0b6a2b1c11"
# The modal form's submit button (horizon/common/_modal_form.html).
SUBMIT = '<input class="btn btn-primary" type="submit"'


def url(name, *args):
    return reverse("horizon:project:consistency:%s" % name, args=args)


class InstancesTabTests(test.TestCase):

    def _rows(self, response):
        table = response.context["tab_group"].get_tab(
            "instances")._tables["instances"]
        return {row.name: row for row in table.data}

    def _cloud(self, servers, images, maximum="2.104", volumes=()):
        self.mock_compute_version_range.return_value = ("2.1", maximum)
        self.mock_server_list_page.return_value = (servers, False)
        self.mock_image_list_detailed.return_value = (images, False, False)
        self.mock_volume_list.return_value = list(volumes)

    @test.create_mocks({server_calls: ("compute_version_range",
                                       "server_list_page"),
                        api.glance: ("image_list_detailed",),
                        api.cinder: ("volume_list",)})
    def test_captured_beside_current_and_rebuild_needed(self):
        fixed = fixtures.make_image("fixed-later", **GOOD)
        healthy_image = fixtures.make_image("healthy", **GOOD)
        servers = [
            fixtures.server_dict("booted-before-fix", fixed.id, {}),
            fixtures.server_dict("healthy", healthy_image.id, GOOD),
        ]
        self._cloud(servers, [fixed, healthy_image])

        res = self.client.get(TAB)

        rows = self._rows(res)
        stale = rows["booted-before-fix"]
        self.assertTrue(stale.rebuild_needed)
        self.assertTrue(stale.action_needed)
        self.assertEqual("action needed: rebuild needed",
                         stale.prediction.badge)
        self.assertIn("crash-consistent only", stale.prediction.summary)
        self.assertIn("rebuild needed", stale.prediction.summary)
        self.assertFalse(stale.captured.properties.guest_agent.value)
        self.assertTrue(stale.current.guest_agent.value)
        self.assertFalse(rows["healthy"].action_needed)
        self.assertContains(res, "action needed: rebuild needed")
        # One line per row: the outcome, its short cause; where the values
        # come from and the sentences why are on the detail page
        # (InstanceDetailTests).
        self.assertContains(res, '<div class="consistency-headline">booted '
                                 'without the guest agent channel; rebuild '
                                 'needed</div>')
        self.assertNotContains(res, "compute API 2.98 or later")
        self.assertContains(res, url("instance_detail", servers[0]["id"]))
        # Constant calls: one server page, one image list, no volume list.
        self.mock_server_list_page.assert_called_once_with(
            test.IsHttpRequest(), marker=None, search_opts={})
        self.mock_image_list_detailed.assert_called_once_with(
            test.IsHttpRequest(), filters={
                "id": "in:" + ",".join(sorted([fixed.id, healthy_image.id])),
                "visibility": "all"})
        self.mock_volume_list.assert_not_called()
        # Fix options offered where they apply.
        self.assertContains(res, url("rebuild_from_image",
                                     servers[0]["id"]))
        self.assertNotContains(res, url("rebuild_from_image",
                                        servers[1]["id"]))
        self.assertContains(res, url("rebuild_from_snapshot",
                                     servers[0]["id"]))

    @test.create_mocks({server_calls: ("compute_version_range",
                                       "server_list_page"),
                        api.glance: ("image_list_detailed",),
                        api.cinder: ("volume_list",)})
    def test_calls_do_not_grow_with_servers(self):
        for count in (1, 30):
            for m in (self.mock_server_list_page,
                      self.mock_image_list_detailed, self.mock_volume_list):
                m.reset_mock()
            images = [fixtures.make_image("i%d" % i) for i in range(count)]
            servers = [fixtures.server_dict("s%02d" % i, images[i].id, {})
                       for i in range(count)]
            servers.append(fixtures.server_dict("vol", None))
            volume = fixtures.Volume(servers[-1]["id"], GOOD)
            self._cloud(servers, images, volumes=[volume])
            res = self.client.get(TAB)
            self.assertEqual(count + 1, len(self._rows(res)))
            self.assertEqual(1, self.mock_server_list_page.call_count)
            self.assertEqual(1, self.mock_image_list_detailed.call_count)
            self.assertEqual(1, self.mock_volume_list.call_count)

    @test.create_mocks({server_calls: ("compute_version_range",
                                       "server_list_page"),
                        api.glance: ("image_list_detailed",),
                        api.cinder: ("volume_list",)})
    def test_volume_backed_reads_the_boot_volume(self):
        server = fixtures.server_dict("on-volume", None)
        volume = fixtures.Volume(server["id"], {"hw_qemu_guest_agent": "yes"},
                                 name="root-vol")
        self._cloud([server], [], volumes=[volume])
        res = self.client.get(TAB)
        row = self._rows(res)["on-volume"]
        self.assertTrue(row.volume_backed)
        self.assertEqual("boot_volume", row.captured.source.value)
        self.assertContains(res, "root-vol")
        self.assertContains(res, url("recreate_from_volume", server["id"]))
        self.assertNotContains(res, url("rebuild_from_image", server["id"]))
        self.mock_image_list_detailed.assert_not_called()

    @test.create_mocks({server_calls: ("compute_version_range",),
                        api.nova: ("server_list_paged",),
                        api.glance: ("image_list_detailed",),
                        api.cinder: ("volume_list",)})
    def test_older_cloud_reads_the_newest_snapshot(self):
        self.mock_compute_version_range.return_value = ("2.1", "2.96")
        image = fixtures.make_image("base", **GOOD)
        server = fixtures.make_server("old", image.id)
        snapshot = fixtures.make_image(
            "snap", image_type="snapshot", instance_uuid=server.id,
            created_at="2026-11-10T10:00:00Z", hw_qemu_guest_agent="no")
        self.mock_server_list_paged.return_value = ([server], False, False)
        self.mock_image_list_detailed.side_effect = [
            ([image], False, False), ([snapshot], False, False)]
        res = self.client.get(TAB)
        row = self._rows(res)["old"]
        self.assertEqual("snapshot", row.captured.source.value)
        self.assertTrue(row.rebuild_needed)
        self.mock_server_list_paged.assert_called_once_with(
            test.IsHttpRequest(),
            search_opts={"marker": None, "paginate": True})
        self.assertEqual(2, self.mock_image_list_detailed.call_count)
        self.mock_image_list_detailed.assert_called_with(
            test.IsHttpRequest(), filters={"image_type": "snapshot",
                                           "owner": self.tenant.id})

    @test.create_mocks({server_calls: ("compute_version_range",
                                       "server_list_page"),
                        api.glance: ("image_list_detailed",),
                        api.cinder: ("volume_list",)})
    def test_image_filter_is_sent_to_nova_and_attention_filter(self):
        image = fixtures.make_image("img", **GOOD)
        servers = [fixtures.server_dict("stale", image.id, {}),
                   fixtures.server_dict("fine", image.id, GOOD)]
        self._cloud(servers, [image])
        res = self.client.get(TAB + "&image=%s&attention=1" % image.id)
        self.assertEqual({"stale"}, set(self._rows(res)))
        self.mock_server_list_page.assert_called_once_with(
            test.IsHttpRequest(), marker=None,
            search_opts={"image": image.id})
        self.assertContains(res, "Show all instances")

    @test.create_mocks({server_calls: ("compute_version_range",
                                       "server_list_page"),
                        api.glance: ("image_list_detailed",),
                        api.cinder: ("volume_list",)})
    def test_nova_down_renders_the_page_with_a_message(self):
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        self.mock_server_list_page.side_effect = nova_exc.ClientException(
            503, "down")
        res = self.client.get(TAB)
        self.assertEqual(200, res.status_code)
        self.assertEqual({}, self._rows(res))
        self.assertMessageCount(res, error=1)


class InstanceDetailTests(test.TestCase):
    """Everything an Instances row sums up, one page per instance, with the
    calls the row makes."""

    def _cloud(self, server, images=(), volumes=None):
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        self.mock_server_get.return_value = server
        self.mock_image_list_detailed.return_value = (list(images), False,
                                                      False)
        if volumes is not None:
            self.mock_volume_list.return_value = list(volumes)

    @test.create_mocks({server_calls: ("compute_version_range", "server_get"),
                        api.glance: ("image_list_detailed",),
                        api.cinder: ("volume_list",)})
    def test_captured_current_reasons_and_fix_options(self):
        fixed = fixtures.make_image("fixed-later", **GOOD)
        server = fixtures.server_dict("booted-before-fix", fixed.id, {},
                                      server_id=UUID)
        self._cloud(server, [fixed])

        res = self.client.get(url("instance_detail", UUID))

        self.assertTemplateUsed(res, "horizon/common/_detail.html")
        self.assertContains(res, "booted-before-fix")
        # Where the captured values come from.
        self.assertContains(res, "compute API 2.98 or later")
        # The prediction with every reason.
        self.assertContains(res, "crash-consistent only: booted without the "
                                 "guest agent channel; rebuild needed")
        self.assertContains(res, "org.qemu.guest_agent.0 channel")
        # Captured beside current, full property names.
        content = res.content.decode()
        table = content.split("consistency-captured-vs-current", 1)[1]
        self.assertIn("hw_qemu_guest_agent", table)
        self.assertIn("not set (false)", table)
        self.assertIn('<code class="consistency-raw">yes</code> &rarr; true',
                      table)
        # Fix options with their trade-offs, and the actions that apply.
        self.assertContains(res, "Replaces the root disk and the ephemeral "
                                 "disks: data on them is lost.")
        self.assertContains(res, "No data loss and the ID and IP addresses "
                                 "are kept.")
        self.assertContains(res, url("rebuild_from_image", UUID))
        # The row's calls, once each.
        self.mock_compute_version_range.assert_called_once_with(
            test.IsHttpRequest())
        self.mock_server_get.assert_called_once_with(test.IsHttpRequest(),
                                                     UUID)
        self.mock_image_list_detailed.assert_called_once_with(
            test.IsHttpRequest(), filters={"id": "in:" + fixed.id,
                                           "visibility": "all"})
        self.mock_volume_list.assert_not_called()

    @test.create_mocks({server_calls: ("compute_version_range", "server_get"),
                        api.glance: ("image_list_detailed",),
                        api.cinder: ("volume_list",)})
    def test_volume_backed_after_the_volume_fix_says_recreate(self):
        server = fixtures.server_dict("on-volume", None, server_id=UUID)
        volume = fixtures.Volume(UUID, {"hw_qemu_guest_agent": "yes"},
                                 name="root-vol")
        self._cloud(server, volumes=[volume])
        res = self.client.get(url("instance_detail", UUID))
        self.assertContains(res, "root-vol")
        self.assertContains(res, "Rebuilding a volume-backed server would "
                                 "re-image the volume")
        self.mock_volume_list.assert_called_once_with(test.IsHttpRequest())
        self.mock_image_list_detailed.assert_not_called()

    @test.create_mocks({server_calls: ("compute_version_range", "server_get"),
                        api.glance: ("image_list_detailed",),
                        api.cinder: ("volume_list",)})
    def test_missing_instance_redirects_with_a_sentence(self):
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        self.mock_server_get.side_effect = nova_exc.NotFound(404, "gone")
        res = self.client.get(url("instance_detail", UUID))
        self.assertRedirectsNoFollow(res, TAB)
        self.assertEqual(["Unable to show this instance: it no longer exists "
                          "(or is not in this project)."],
                         [str(m) for m in res.wsgi_request._messages])
        self.mock_image_list_detailed.assert_not_called()

    @test.create_mocks({server_calls: ("compute_version_range", "server_get"),
                        api.glance: ("image_list_detailed",),
                        api.cinder: ("volume_list",)})
    def test_another_projects_instance_is_not_shown(self):
        image = fixtures.make_image("img", **GOOD)
        self._cloud(fixtures.server_dict("theirs", image.id, GOOD,
                                         server_id=UUID,
                                         tenant_id="other-project"),
                    [image])
        res = self.client.get(url("instance_detail", UUID))
        self.assertRedirectsNoFollow(res, TAB)
        self.assertMessageCount(error=1)
        self.assertNotIn("theirs", res.content.decode())


class RebuildFromImageTests(test.TestCase):

    def _setup(self):
        image = fixtures.make_image("fixed", **GOOD)
        server = fixtures.server_dict("web-1", image.id, {}, server_id=UUID)
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        self.mock_server_get.return_value = server
        self.mock_image_list_detailed.return_value = ([image], False, False)
        return image, server

    @test.create_mocks({server_calls: ("compute_version_range", "server_get"),
                        api.glance: ("image_list_detailed",)})
    def test_confirmation_names_what_is_lost_and_kept(self):
        self._setup()
        res = self.client.get(url("rebuild_from_image", UUID))
        self.assertContains(res, "Replaces the root disk and the ephemeral "
                                 "disks: data on them is lost")
        self.assertContains(res, "The instance ID, its IP addresses and its "
                                 "attached volumes.")
        self.assertContains(res, "Type the instance name to confirm")
        self.assertContains(res, SUBMIT)

    @test.create_mocks({server_calls: ("compute_version_range", "server_get"),
                        api.glance: ("image_list_detailed",),
                        api.nova: ("server_rebuild",)})
    def test_wrong_name_rebuilds_nothing(self):
        self._setup()
        res = self.client.post(url("rebuild_from_image", UUID),
                               {"confirm_name": "web-2"})
        self.assertFormErrors(res, 1)
        self.assertIn("nothing was rebuilt",
                      res.context["form"].errors["confirm_name"][0])
        self.mock_server_rebuild.assert_not_called()

    @test.create_mocks({server_calls: ("compute_version_range", "server_get"),
                        api.glance: ("image_list_detailed",),
                        api.nova: ("server_rebuild",)})
    def test_right_name_rebuilds_from_the_image(self):
        image, _server = self._setup()
        res = self.client.post(url("rebuild_from_image", UUID),
                               {"confirm_name": "web-1"})
        self.assertNoFormErrors(res)
        self.mock_server_rebuild.assert_called_once_with(
            test.IsHttpRequest(), UUID, image.id)
        self.assertMessageCount(success=1)

    @test.create_mocks({server_calls: ("compute_version_range", "server_get"),
                        api.glance: ("image_list_detailed",),
                        api.nova: ("server_rebuild",)})
    def test_wrong_state_409_says_nothing_changed(self):
        self._setup()
        self.mock_server_rebuild.side_effect = nova_exc.Conflict(
            409, "Cannot 'rebuild' instance while it is in task_state "
                 "image_snapshot")
        res = self.client.post(url("rebuild_from_image", UUID),
                               {"confirm_name": "web-1"})
        msgs = [str(m) for m in res.wsgi_request._messages]
        self.assertTrue(any("refused (409)" in m and "Nothing was changed"
                            in m for m in msgs), msgs)

    @test.create_mocks({server_calls: ("compute_version_range", "server_get")})
    def test_deleted_instance_redirects_with_a_message(self):
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        self.mock_server_get.side_effect = nova_exc.NotFound(404, "gone")
        res = self.client.get(url("rebuild_from_image", UUID))
        self.assertRedirectsNoFollow(res, TAB)


# A rebuild form opened by URL where it does not apply refuses when it
# opens (no submit button) and again on POST (the link's allowed() is not a
# check).
REBUILD_REFUSALS = [
    # (case, server changes, image listed?, image properties, refusal text)
    ("image_gone", {}, False, GOOD, "is gone or not visible"),
    ("nothing_to_fix", {"captured": GOOD}, True, GOOD, "Nothing to fix."),
    ("image_not_fixed", {}, True, {},
     "The image does not have the properties either"),
    ("busy", {"task_state": "image_snapshot"}, True, GOOD,
     "no task running"),
    ("paused", {"status": "PAUSED"}, True, GOOD, "ACTIVE or SHUTOFF"),
    ("other_project", {"tenant_id": "other-project"}, True, GOOD,
     "not in the current project"),
]


def _refusal_tests(cls):
    for row in REBUILD_REFUSALS:
        def method(self, row=row):
            self._refused(*row[1:])
        setattr(cls, "test_refused_%s" % row[0], method)
    return cls


@_refusal_tests
class RebuildFromImageRefusalTests(test.TestCase):

    @test.create_mocks({server_calls: ("compute_version_range", "server_get"),
                        api.glance: ("image_list_detailed",),
                        api.nova: ("server_rebuild",)})
    def _refused(self, changes, listed, image_props, text):
        image = fixtures.make_image("img", **image_props)
        changes = dict(changes)
        server = fixtures.server_dict(
            "web-1", image.id, changes.pop("captured", {}), server_id=UUID,
            status=changes.pop("status", "ACTIVE"),
            task_state=changes.pop("task_state", None))
        server["tenant_id"] = changes.pop("tenant_id", self.tenant.id)
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        self.mock_server_get.return_value = server
        self.mock_image_list_detailed.return_value = (
            [image] if listed else [], False, False)
        res = self.client.get(url("rebuild_from_image", UUID))
        self.assertContains(res, text)
        self.assertNotContains(res, SUBMIT)
        self.assertNotContains(res, "id_confirm_name")
        res = self.client.post(url("rebuild_from_image", UUID),
                               {"confirm_name": "web-1"})
        self.mock_server_rebuild.assert_not_called()
        self.assertContains(res, text)


class BootVolumeAndOperatorTests(test.TestCase):

    def _volume_server(self):
        server = fixtures.server_dict("on-volume", None, server_id=UUID)
        volume = fixtures.Volume(UUID, {}, name="root-vol")
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        self.mock_server_get.return_value = server
        self.mock_volume_list.return_value = [volume]
        return volume

    @test.create_mocks({server_calls: ("compute_version_range", "server_get"),
                        api.nova: ("server_metadata_update",),
                        api.cinder: ("volume_list",),
                        volume_calls: ("volume_set_image_metadata",)})
    def test_boot_volume_gets_the_properties_and_steps_are_shown(self):
        volume = self._volume_server()
        res = self.client.get(url("recreate_from_volume", UUID))
        self.assertContains(res, "Delete the server, keeping the volume.")
        self.assertContains(res, "re-images the volume")
        res = self.client.post(url("recreate_from_volume", UUID), {})
        self.assertNoFormErrors(res)
        self.mock_volume_set_image_metadata.assert_called_once_with(
            test.IsHttpRequest(), volume.id, GOOD)

    @test.create_mocks({server_calls: ("compute_version_range", "server_get"),
                        api.nova: ("server_metadata_update",),
                        api.cinder: ("volume_list",),
                        volume_calls: ("volume_set_image_metadata",)})
    def test_boot_volume_403_changes_nothing_and_says_why(self):
        self._volume_server()
        self.mock_volume_set_image_metadata.side_effect = \
            self.exceptions.cinder_unauthorized if hasattr(
                self.exceptions, "cinder_unauthorized") else \
            type("Forbidden", (Exception,), {"code": 403})()
        res = self.client.post(url("recreate_from_volume", UUID), {})
        msgs = [str(m) for m in res.wsgi_request._messages]
        self.assertTrue(any("was not changed" in m for m in msgs), msgs)

    @test.create_mocks({server_calls: ("compute_version_range", "server_get",
                                       "server_list_page"),
                        api.nova: ("server_metadata_update",),
                        api.cinder: ("volume_list",),
                        api.glance: ("image_list_detailed",),
                        volume_calls: ("volume_set_image_metadata",)})
    def test_after_the_fix_the_row_still_says_recreate(self):
        server = fixtures.server_dict("on-volume", None, server_id=UUID)
        volume = fixtures.Volume(UUID, {"hw_qemu_guest_agent": "no"},
                                 name="root-vol")
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        self.mock_server_get.return_value = server
        self.mock_server_list_page.return_value = ([server], False)
        self.mock_volume_list.return_value = [volume]
        self.mock_server_metadata_update.side_effect = \
            lambda request, sid, meta: server["metadata"].update(meta)
        self.mock_volume_set_image_metadata.side_effect = \
            lambda request, vid, meta: volume.volume_image_metadata.update(
                meta)
        order = mock.Mock()
        order.attach_mock(self.mock_server_metadata_update, "record")
        order.attach_mock(self.mock_volume_set_image_metadata, "volume")
        res = self.client.post(url("recreate_from_volume", UUID), {})
        self.assertNoFormErrors(res)
        # The old values are recorded on the server before the volume
        # changes.
        self.assertEqual(["record", "volume"],
                         [c[0] for c in order.mock_calls])
        self.assertEqual(GOOD, volume.volume_image_metadata)
        res = self.client.get(TAB)
        row = InstancesTabTests._rows(self, res)["on-volume"]
        self.assertTrue(row.action_needed)
        self.assertFalse(row.captured.properties.guest_agent.value)
        self.assertTrue(row.current.guest_agent.value)
        self.assertContains(res, "volume fixed: re-create the server")
        # The sentence is on the instance's detail page.
        self.mock_image_list_detailed.return_value = ([], False, False)
        res = self.client.get(url("instance_detail", UUID))
        self.assertContains(res, "The boot volume is fixed: re-create the "
                                 "server from the volume to use it.")
        # Opened again, the form refuses and shows the re-create steps.
        res = self.client.get(url("recreate_from_volume", UUID))
        self.assertContains(res, "already has the properties")
        self.assertContains(res, "Delete the server, keeping the volume.")
        self.assertNotContains(res, SUBMIT)
        self.mock_volume_set_image_metadata.reset_mock()
        self.client.post(url("recreate_from_volume", UUID), {})
        self.mock_volume_set_image_metadata.assert_not_called()

    @test.create_mocks({server_calls: ("compute_version_range", "server_get"),
                        api.nova: ("server_metadata_update",),
                        api.cinder: ("volume_list",),
                        volume_calls: ("volume_set_image_metadata",)})
    def test_another_projects_volume_is_not_changed(self):
        volume = self._volume_server()
        setattr(volume, "os-vol-tenant-attr:tenant_id", "other-project")
        res = self.client.get(url("recreate_from_volume", UUID))
        self.assertContains(res, "belongs to another project")
        self.assertNotContains(res, SUBMIT)
        self.client.post(url("recreate_from_volume", UUID), {})
        self.mock_volume_set_image_metadata.assert_not_called()
        self.mock_server_metadata_update.assert_not_called()

    @test.create_mocks({server_calls: ("compute_version_range", "server_get"),
                        api.nova: ("server_metadata_update",),
                        api.cinder: ("volume_list",),
                        volume_calls: ("volume_set_image_metadata",)})
    def test_record_refused_leaves_the_volume_unchanged(self):
        self._volume_server()
        self.mock_server_metadata_update.side_effect = nova_exc.Forbidden(
            403, "Maximum number of metadata items exceeds 128")
        res = self.client.post(url("recreate_from_volume", UUID), {})
        msgs = [str(m) for m in res.wsgi_request._messages]
        self.assertTrue(any("was not changed" in m and
                            "metadata is full" in m for m in msgs), msgs)
        self.mock_volume_set_image_metadata.assert_not_called()

    @test.create_mocks({server_calls: ("compute_version_range", "server_get"),
                        api.glance: ("image_list_detailed",)})
    def test_operator_commands_are_for_admins_only(self):
        image = fixtures.make_image("img", **GOOD)
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        self.mock_server_get.return_value = fixtures.server_dict(
            "web-1", image.id, {}, server_id=UUID)
        self.mock_image_list_detailed.return_value = ([image], False, False)
        res = self.client.get(url("operator_commands", UUID))
        self.assertEqual(404, res.status_code)
        self.setActiveUser(id=self.user.id, token=self.token,
                           username=self.user.name, tenant_id=self.tenant.id,
                           service_catalog=self.service_catalog,
                           authorized_tenants=self.tenants.list(),
                           roles=[{"id": "1", "name": "admin"}])
        res = self.client.get(url("operator_commands", UUID))
        self.assertContains(res, "openstack server stop %s" % UUID)
        self.assertContains(
            res, "nova-manage image_property set %s --property "
                 "hw_qemu_guest_agent=yes --property os_require_quiesce=yes"
                 % UUID)
        self.assertContains(res, "openstack server start %s" % UUID)


class RebuildFromSnapshotFlowTests(test.TestCase):
    """The exact calls of the flow's steps, mocked at the API boundary (the
    fault matrix with a stateful cloud is tests/test_flow_faults.py)."""

    def _post(self, **data):
        res = self.client.post(url("rebuild_from_snapshot_advance", UUID),
                               data)
        return json.loads(res.content)

    def _server(self, status="ACTIVE", record=None, image="base"):
        metadata = {rebuild_flow.RECORD_KEY: record} if record else {}
        server = fixtures.make_server("web-1", image, server_id=UUID,
                                      status=status, metadata=metadata)
        self.mock_server_get.return_value = server
        return server

    @test.create_mocks({api.nova: ("server_get", "server_stop",
                                   "server_metadata_update"),
                        api.glance: ("image_list_detailed",)})
    def test_start_without_the_typed_name_does_nothing(self):
        self._server()
        self.mock_image_list_detailed.return_value = ([], False, False)
        for data in ({}, {"decision": "go", "confirm_name": "web-2"}):
            result = self._post(**data)
            self.assertTrue(result["needs_confirmation"])
            self.assertIn("Type the instance name", result["message"])
        self.mock_server_metadata_update.assert_not_called()
        self.mock_server_stop.assert_not_called()

    @test.create_mocks({api.nova: ("server_get", "server_stop",
                                   "server_metadata_update"),
                        api.glance: ("image_list_detailed",),
                        server_calls: ("compute_version_range",
                                       ("server_get", "rest_server_get"))})
    def test_first_step_writes_the_record_then_looks_again_then_stops(self):
        self._server()
        # Eligible, read again on the POST: booted without the properties.
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        self.mock_rest_server_get.return_value = fixtures.server_dict(
            "web-1", "base", {}, server_id=UUID)
        self.mock_image_list_detailed.return_value = ([], False, False)
        order = mock.Mock()
        order.attach_mock(self.mock_server_metadata_update, "record")
        order.attach_mock(self.mock_server_get, "get")
        order.attach_mock(self.mock_server_stop, "stop")
        result = self._post(decision="go", confirm_name="web-1")
        self.assertFalse(result["failed"], result["message"])
        self.assertEqual(["stop", "running"], result["steps"][0])
        names = [c[0] for c in order.mock_calls]
        self.assertEqual(["record", "get", "stop"], names[-3:])
        self.mock_server_metadata_update.assert_called_once_with(
            test.IsHttpRequest(), UUID,
            {rebuild_flow.RECORD_KEY: "v1;was=running"})

    @test.create_mocks({api.nova: ("server_get", "server_metadata_update"),
                        api.glance: ("image_list_detailed",),
                        server_calls: ("create_image",)})
    def test_snapshot_is_tagged_and_its_intent_recorded_first(self):
        self._server("SHUTOFF", "v1;was=running")
        self.mock_image_list_detailed.return_value = ([], False, False)
        self.mock_create_image.return_value = ("snap-1", "req-1")
        result = self._post()
        self.assertEqual(["snapshot", "running"], result["steps"][1])
        self.mock_create_image.assert_called_once_with(
            test.IsHttpRequest(), UUID, mock.ANY,
            {"consistency_fix_flow_snapshot": "v1",
             "consistency_instance": UUID})
        self.assertEqual(
            [mock.call(test.IsHttpRequest(), UUID, {
                rebuild_flow.RECORD_KEY: "v1;was=running;snapshot=requested"}),
             mock.call(test.IsHttpRequest(), UUID, {
                 rebuild_flow.RECORD_KEY: "v1;was=running;snapshot=snap-1"})],
            self.mock_server_metadata_update.call_args_list)

    @test.create_mocks({api.nova: ("server_get", "server_rebuild",
                                   "server_metadata_update",
                                   "instance_action_list"),
                        api.glance: ("image_get",)})
    def test_active_server_with_a_recorded_snapshot_is_not_rebuilt(self):
        # The reported data loss: stopped after the snapshot, started and
        # used since, then Start clicked again.
        self._server("ACTIVE", "v1;was=running;snapshot=snap-1")
        self.mock_image_get.return_value = fixtures.make_image(
            "snap", image_id="snap-1", instance_uuid=UUID,
            created_at="2026-11-20T10:00:00Z", **GOOD)
        self.mock_instance_action_list.return_value = [
            mock.Mock(action="start", start_time="2026-11-21T08:00:00.000")]
        result = self._post(decision="go")
        self.assertEqual("ran_after", result["stale"])
        self.assertIn("lose everything written since then",
                      result["message"])
        self.mock_server_rebuild.assert_not_called()
        self.mock_server_metadata_update.assert_not_called()

    @test.create_mocks({api.nova: ("server_get", "server_rebuild",
                                   "server_metadata_update",
                                   "instance_action_list"),
                        api.glance: ("image_get",)})
    def test_rebuild_refused_stops_and_reports_the_state(self):
        self._server("SHUTOFF", "v1;was=running;snapshot=snap-1")
        self.mock_image_get.return_value = fixtures.make_image(
            "snap", image_id="snap-1", instance_uuid=UUID, **GOOD)
        self.mock_instance_action_list.return_value = []
        self.mock_server_rebuild.side_effect = nova_exc.Conflict(
            409, "busy")
        data = self._post()
        self.assertTrue(data["failed"])
        self.assertIn("refused (409)", data["message"])
        self.assertIn("Snapshot snap-1 is active", data["message"])
        self.assertIn("Nothing was deleted", data["message"])
        self.mock_server_rebuild.assert_called_once_with(
            test.IsHttpRequest(), UUID, "snap-1")
        # The intent was written before the call.
        self.mock_server_metadata_update.assert_called_once_with(
            test.IsHttpRequest(), UUID, {rebuild_flow.RECORD_KEY:
                                         "v1;was=running;snapshot=snap-1;"
                                         "rebuild=requested"})

    @test.create_mocks({api.nova: ("server_get", "server_rebuild"),
                        api.glance: ("image_get", "image_list_detailed")})
    def test_record_naming_an_image_that_is_not_its_snapshot(self):
        self._server("SHUTOFF", "v1;was=running;snapshot=public-1")
        self.mock_image_get.return_value = fixtures.make_image(
            "someone-elses", image_id="public-1", owner="other",
            visibility="public", **GOOD)
        data = self._post()
        self.assertEqual("snapshot_gone", data["stale"])
        self.mock_server_rebuild.assert_not_called()


class RebuildFromSnapshotEligibilityTests(test.TestCase):
    """The flow opened by URL for an instance that does not need it."""

    @test.create_mocks({server_calls: ("compute_version_range",
                                       ("server_get", "rest_server_get")),
                        api.nova: ("server_get", "server_stop",
                                   "server_metadata_update"),
                        api.glance: ("image_list_detailed",)})
    def test_healthy_instance_refuses_on_open_and_on_post(self):
        image = fixtures.make_image("img", image_id="img", **GOOD)
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        self.mock_rest_server_get.return_value = fixtures.server_dict(
            "web-1", "img", GOOD, server_id=UUID)
        self.mock_server_get.return_value = fixtures.make_server(
            "web-1", "img", server_id=UUID)
        self.mock_image_list_detailed.return_value = ([image], False, False)
        res = self.client.get(url("rebuild_from_snapshot", UUID))
        self.assertContains(res, "does not need this fix")
        self.assertNotContains(res, "consistency-flow-start")
        res = self.client.post(url("rebuild_from_snapshot_advance", UUID),
                               {"decision": "go", "confirm_name": "web-1"})
        data = json.loads(res.content)
        self.assertTrue(data["failed"])
        self.assertIn("does not need this fix", data["message"])
        self.mock_server_metadata_update.assert_not_called()
        self.mock_server_stop.assert_not_called()


class RebuildFromSnapshotFailureTests(test.TestCase):
    """Every failure of the snapshot step stops the flow safely and says
    what state things are in."""

    @test.create_mocks({api.nova: ("server_get", "server_metadata_update"),
                        api.glance: ("image_list_detailed",),
                        server_calls: ("create_image",)})
    def _fail_snapshot(self, exc):
        self.mock_server_get.return_value = fixtures.make_server(
            "web-1", "base", server_id=UUID, status="SHUTOFF",
            metadata={rebuild_flow.RECORD_KEY: "v1;was=running"})
        self.mock_image_list_detailed.return_value = ([], False, False)
        self.mock_create_image.side_effect = exc
        res = self.client.post(url("rebuild_from_snapshot_advance", UUID))
        data = json.loads(res.content)
        self.assertTrue(data["failed"])
        self.assertIn("The instance is SHUTOFF.", data["message"])
        self.assertIn("Nothing was deleted", data["message"])
        # The intent, then its withdrawal: the record is as it was.
        self.assertEqual(
            {rebuild_flow.RECORD_KEY: "v1;was=running"},
            self.mock_server_metadata_update.call_args_list[-1][0][2])
        return data

    def test_quota_exceeded(self):
        data = self._fail_snapshot(nova_exc.ClientException(
            413, "Quota exceeded for images"))
        self.assertIn("quota exceeded (413)", data["message"])

    def test_forbidden(self):
        data = self._fail_snapshot(nova_exc.Forbidden(
            403, "Policy doesn't allow os_compute_api:servers:create_image"))
        self.assertIn("not allowed (403)", data["message"])

    @test.create_mocks({api.nova: ("server_get",),
                        api.glance: ("image_list_detailed",)})
    def test_deleted_instance(self):
        self.mock_server_get.side_effect = nova_exc.NotFound(404, "gone")
        self.mock_image_list_detailed.return_value = ([], False, False)
        res = self.client.post(url("rebuild_from_snapshot_advance", UUID))
        data = json.loads(res.content)
        self.assertTrue(data["failed"])
        self.assertIn("not found (404)", data["message"])
