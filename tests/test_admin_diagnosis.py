"""The admin diagnosis page for one instance, mocked at the
openstack_dashboard.api / consistency_dashboard.api boundaries."""
from django.urls import reverse
from keystoneauth1 import exceptions as ks_exc
from novaclient import exceptions as nova_exc
from novaclient.v2 import instance_action

from openstack_dashboard import api
from openstack_dashboard.test import helpers as test

from consistency_dashboard.api import actions as action_calls
from consistency_dashboard.api import servers as server_calls
from consistency_dashboard.core import verdict
from tests import fixtures
from tests.test_admin_data import GOOD
from tests.test_admin_data import admin_server

UUID = "7c0b5a63-7f4e-4f7a-9a43-1d0b6a2b1c11"
URL = reverse("horizon:admin:consistency:diagnosis", args=(UUID,))
SEARCH = reverse("horizon:admin:consistency:diagnosis_search")
MOCKS = {server_calls: ("compute_version_range", "server_get"),
         action_calls: ("instance_action_get",),
         api.nova: ("instance_action_list", "server_console_output"),
         api.glance: ("image_get", "image_list_detailed"),
         api.keystone: ("tenant_get",),
         api.cinder: ("volume_get",)}
PROBE = ("[  812.004211] CONSISTENCY-PROBE v1 event=freeze seq=1 mono=812.00 "
         "wall=1763790012.41 apps=-\n"
         "[  812.713925] CONSISTENCY-PROBE v1 event=thaw seq=1 mono=812.71 "
         "wall=1763790013.12 apps=-\n")
TRACEBACK = "Traceback (most recent call last):\n  QemuGuestAgentNotEnabled"


def action(request_id, start, name="createImage"):
    return instance_action.InstanceAction(None, {
        "action": name, "request_id": request_id, "start_time": start,
        "message": None, "user_id": "u", "project_id": "pa"}, loaded=True)


def with_event(request_id, start, result, details=None, traceback=None):
    return {"action": "createImage", "request_id": request_id,
            "start_time": start, "message": None,
            "events": [{"event": "compute_snapshot_instance",
                        "result": result, "details": details,
                        "traceback": traceback}]}


class DiagnosisTests(test.BaseAdminViewTests):

    def _cloud(self, maximum="2.103"):
        image = fixtures.make_image("debian-12", owner="pa", **GOOD)
        server = admin_server("db-1", "pa", image.id, {}, server_id=UUID,
                              host="cmp-3")
        self.mock_compute_version_range.return_value = ("2.1", maximum)
        self.mock_server_get.return_value = server
        self.mock_image_get.return_value = image
        self.mock_tenant_get.return_value = type(
            "P", (), {"id": "pa", "name": "Acme"})()
        test_snapshot = fixtures.make_image(
            "db-1-test", owner="pa", image_type="snapshot",
            instance_uuid=UUID, created_at="2026-11-20T10:00:05Z",
            **{verdict.TEST_SNAPSHOT_MARKER: "v1",
               verdict.VERDICT: "crash-consistent",
               verdict.CAUSE: "The instance was booted without the guest "
                              "agent channel.",
               verdict.EVIDENCE: "image active (Glance image status)"})
        self.mock_image_list_detailed.return_value = ([test_snapshot],
                                                      False, False)
        actions = [action("req-%d" % i, "2026-11-2%dT10:00:00.000000" % i)
                   for i in range(7)]
        actions.append(action("req-reboot", "2026-11-29T10:00:00.000000",
                              "reboot"))
        self.mock_instance_action_list.return_value = actions
        events = {
            "req-6": with_event("req-6", "2026-11-26T10:00:00.000000",
                                "Success"),
            "req-5": with_event("req-5", "2026-11-25T10:00:00.000000",
                                "Error", "QemuGuestAgentNotEnabled",
                                TRACEBACK),
        }
        self.mock_instance_action_get.side_effect = \
            lambda request, server_id, request_id, microversion: events.get(
                request_id, with_event(request_id, None, "Success"))
        self.mock_server_console_output.return_value = PROBE
        return server, image

    @test.create_mocks(MOCKS)
    def test_everything_support_needs_in_bounded_calls(self):
        self._cloud()
        res = self.client.get(URL)

        self.assertEqual(200, res.status_code)
        d = res.context["diagnosis"]
        self.assertEqual("Acme", d.project_name)
        self.assertContains(res, "cmp-3")
        self.assertContains(res, "cmp-3.example.org")
        # Captured beside current, the core's prediction and badge.
        self.assertTrue(d.row.rebuild_needed)
        self.assertContains(res, "action needed: rebuild needed")
        # Events for the 5 newest createImage actions only, at 2.84.
        requested = [c.args[2] for c in
                     self.mock_instance_action_get.call_args_list]
        self.assertEqual(["req-6", "req-5", "req-4", "req-3", "req-2"],
                         requested)
        for call in self.mock_instance_action_get.call_args_list:
            self.assertEqual("2.84", call.kwargs["microversion"])
        # Release-aware: Nova 33+ (2.103) Success proves nothing and no
        # image from that time exists: failed.
        self.assertFalse(d.reports_failure)
        self.assertEqual("failed", d.readings[0].label)
        self.assertContains(res, "Success even when the snapshot fails")
        # Admin-only details and traceback.
        self.assertEqual("QemuGuestAgentNotEnabled", d.readings[1].details)
        self.assertContains(res, "traceback (admin only)")
        self.assertContains(res, "QemuGuestAgentNotEnabled")
        # The plugin's test snapshot and its verdict.
        self.assertEqual("crash-consistent", d.latest_verdict.label)
        self.assertContains(res, "booted without the guest agent channel")
        # Console probe evidence.
        self.assertEqual(1, len(d.probe.pairs))
        self.assertContains(res, "1 freeze/thaw pairs")
        # nova-manage commands, exact.
        self.assertContains(
            res, "nova-manage image_property set %s --property "
                 "hw_qemu_guest_agent=yes --property os_require_quiesce=yes"
            % UUID)
        self.assertContains(res, "openstack server stop %s" % UUID)
        # The paragraph for the ticket, from the core's words.
        self.assertIn("Instance db-1 (%s) in project Acme" % UUID,
                      d.explanation)
        self.assertIn("Its last snapshot request (2026-11-26T10:00:00Z): "
                      "failed", d.explanation)
        self.assertContains(res, 'id="consistency-explanation"')
        # Exact calls, none per row.
        self.mock_server_get.assert_called_once_with(test.IsHttpRequest(),
                                                     UUID)
        self.mock_image_list_detailed.assert_called_once_with(
            test.IsHttpRequest(), filters={"instance_uuid": UUID,
                                           "visibility": "all"},
            sort_key="created_at", sort_dir="desc")
        self.mock_instance_action_list.assert_called_once_with(
            test.IsHttpRequest(), UUID)
        self.mock_server_console_output.assert_called_once_with(
            test.IsHttpRequest(), UUID, tail_length=1000)
        self.mock_tenant_get.assert_called_once_with(
            test.IsHttpRequest(), "pa", admin=True)
        self.mock_volume_get.assert_not_called()

    @test.create_mocks(MOCKS)
    def test_test_snapshot_of_another_project_is_not_its_verdict(self):
        self._cloud()
        planted, = self.mock_image_list_detailed.return_value[0]
        planted._apiresource["owner"] = "someone-else"
        res = self.client.get(URL)
        d = res.context["diagnosis"]
        self.assertEqual([], d.test_snapshots)
        self.assertIsNone(d.latest_verdict)
        self.assertNotContains(res, "booted without the guest agent "
                                    "channel.</")

    @test.create_mocks(MOCKS)
    def test_nova_32_success_is_a_success(self):
        self._cloud(maximum="2.100")
        res = self.client.get(URL)
        d = res.context["diagnosis"]
        self.assertTrue(d.reports_failure)
        self.assertEqual("succeeded", d.readings[0].label)
        self.assertContains(res, "older than 33.0.0")

    @test.create_mocks(MOCKS)
    def test_console_unavailable_is_a_message(self):
        self._cloud()
        self.mock_server_console_output.side_effect = \
            nova_exc.HTTPNotImplemented(501)
        res = self.client.get(URL)
        self.assertEqual(200, res.status_code)
        self.assertContains(res, "console output is not available on this "
                                 "cloud or hypervisor (501)")
        self.assertIn("console log is unavailable",
                      res.context["diagnosis"].explanation)

    @test.create_mocks(MOCKS)
    def test_console_404_says_the_console_is_unavailable(self):
        self._cloud()
        missing = nova_exc.NotFound(404, "no console log")
        self.mock_server_console_output.side_effect = missing
        res = self.client.get(URL)
        self.assertContains(res, "the console log is unavailable (404)")
        self.assertNotContains(res, "clean power-off")

    @test.create_mocks(MOCKS)
    def test_a_failed_test_snapshot_on_the_server_is_not_denied(self):
        from consistency_dashboard.dashboards.project.consistency.\
            test_snapshots import records
        from consistency_dashboard.core import causes
        server, _image = self._cloud()
        self.mock_image_list_detailed.return_value = ([], False, False)
        cause = causes.cause("vanished_no_channel")
        record = records.Record(
            instance_id=UUID, stamp="20261128T100000Z",
            state=records.SETTLED, image_id="gone-image", request_id="req-9",
            power="running", verdict="failed", cause_code=cause.code,
            cause_params=cause.params)
        server["metadata"] = {record.key: record.to_value()}
        res = self.client.get(URL)
        self.assertNotContains(res, "has not test-snapshotted this instance")
        d = res.context["diagnosis"]
        self.assertEqual(["gone-image"], [s.id for s in d.test_snapshots])
        self.assertEqual("failed", d.latest_verdict.label)
        self.assertContains(res, "Predicted cause")
        self.assertIn("latest test snapshot of it was failed",
                      d.explanation)

    @test.create_mocks(MOCKS)
    def test_volume_backed_with_no_action_at_all(self):
        self._cloud()
        server = admin_server("on-volume", "pa", None, server_id=UUID)
        server["os-extended-volumes:volumes_attached"] = [{"id": "v1"}]
        self.mock_server_get.return_value = server
        self.mock_volume_get.return_value = fixtures.Volume(
            UUID, GOOD, name="root-vol", volume_id="v1")
        self.mock_instance_action_list.return_value = []
        res = self.client.get(URL)
        d = res.context["diagnosis"]
        self.assertEqual((), d.readings)
        self.assertIn("leaves no action at all", d.explanation)
        self.mock_instance_action_get.assert_not_called()

    @test.create_mocks(MOCKS)
    def test_api_snapshot_instance_event_is_read(self):
        self._cloud()
        self.mock_instance_action_get.side_effect = None
        self.mock_instance_action_get.return_value = {
            "action": "createImage", "request_id": "req-6",
            "start_time": "2026-11-26T10:00:00.000000", "message": None,
            "events": [{"event": "api_snapshot_instance",
                        "result": "Success"}]}
        res = self.client.get(URL)
        self.assertEqual("succeeded",
                         res.context["diagnosis"].readings[0].label)


    @test.create_mocks(MOCKS)
    def test_unknown_instance(self):
        self._cloud()
        missing = ks_exc.NotFound()
        missing.http_status = 404  # as keystoneauth's from_response sets it
        self.mock_server_get.side_effect = missing
        res = self.client.get(URL)
        self.assertEqual(200, res.status_code)
        self.assertContains(res, "Nova has no instance %s" % UUID)
        self.mock_instance_action_list.assert_not_called()

    @test.create_mocks(MOCKS)
    def test_nova_down(self):
        self._cloud()
        self.mock_server_get.side_effect = ks_exc.ConnectFailure("refused")
        res = self.client.get(URL)
        self.assertEqual(200, res.status_code)
        self.assertContains(res, "Nova could not be reached")
        # What Glance knows is still shown.
        self.assertContains(res, "db-1-test")

    @test.create_mocks(MOCKS)
    def test_glance_down(self):
        self._cloud()
        self.mock_image_list_detailed.side_effect = self.exceptions.glance
        self.mock_image_get.side_effect = self.exceptions.glance
        res = self.client.get(URL)
        self.assertEqual(200, res.status_code)
        d = res.context["diagnosis"]
        self.assertIsNone(d.row.current)
        self.assertEqual("not proven by Nova", d.readings[0].label)
        self.assertContains(res, "Unable to list this instance&#x27;s "
                                 "snapshots from Glance")

    @test.create_mocks(MOCKS)
    def test_keystone_down(self):
        self._cloud()
        self.mock_tenant_get.side_effect = self.exceptions.keystone
        res = self.client.get(URL)
        self.assertEqual(200, res.status_code)
        self.assertIn("in project pa", res.context["diagnosis"].explanation)
        self.assertContains(res, "Unable to read the project from Keystone")

    @test.create_mocks(MOCKS)
    def test_volume_backed_reads_the_attached_volume(self):
        self._cloud()
        server = admin_server("on-volume", "pa", None, server_id=UUID)
        server["os-extended-volumes:volumes_attached"] = [{"id": "v1"}]
        self.mock_server_get.return_value = server
        self.mock_volume_get.return_value = fixtures.Volume(
            UUID, GOOD, name="root-vol", volume_id="v1")
        res = self.client.get(URL)
        d = res.context["diagnosis"]
        self.assertTrue(d.row.volume_backed)
        self.assertEqual("boot_volume", d.row.captured.source.value)
        self.assertContains(res, "root-vol")
        self.mock_volume_get.assert_called_once_with(test.IsHttpRequest(),
                                                     "v1")
        self.mock_image_get.assert_not_called()

    def test_search_box_goes_to_the_instance(self):
        res = self.client.get(SEARCH, {"instance": " %s " % UUID})
        self.assertRedirectsNoFollow(res, URL)

    def test_search_box_refuses_what_is_not_a_uuid(self):
        res = self.client.get(SEARCH, {"instance": "<script>"})
        self.assertRedirectsNoFollow(
            res, reverse("horizon:admin:consistency:index"))


class MemberTests(test.TestCase):
    def test_member_gets_no_diagnosis(self):
        res = self.client.get(URL)
        self.assertEqual(403, res.status_code)


class OlderCloudDiagnosisTests(test.BaseAdminViewTests):

    @test.create_mocks({server_calls: ("compute_version_range",),
                        action_calls: ("instance_action_get",),
                        api.nova: ("server_get", "instance_action_list",
                                   "server_console_output"),
                        api.glance: ("image_get", "image_list_detailed"),
                        api.keystone: ("tenant_get",)})
    def test_2_80_cloud_reads_a_snapshot_and_asks_events_at_2_51(self):
        self.mock_compute_version_range.return_value = ("2.1", "2.80")
        image = fixtures.make_image("base", owner="pa", **GOOD)
        server = fixtures.make_server("old", image.id, server_id=UUID)
        self.mock_server_get.return_value = server
        self.mock_image_get.return_value = image
        snapshot = fixtures.make_image(
            "nightly", owner="pa", image_type="snapshot", instance_uuid=UUID,
            created_at="2026-11-10T10:00:00Z", hw_qemu_guest_agent="no")
        self.mock_image_list_detailed.return_value = ([snapshot], False,
                                                      False)
        self.mock_tenant_get.return_value = type(
            "P", (), {"id": "1", "name": "Demo"})()
        self.mock_instance_action_list.return_value = [
            action("req-1", "2026-11-10T10:00:00.000000")]
        self.mock_instance_action_get.return_value = with_event(
            "req-1", "2026-11-10T10:00:00.000000", "Error")
        self.mock_server_console_output.return_value = ""
        res = self.client.get(URL)
        d = res.context["diagnosis"]
        self.mock_server_get.assert_called_once_with(test.IsHttpRequest(),
                                                     UUID)
        self.assertEqual("snapshot", d.row.captured.source.value)
        self.assertTrue(d.row.rebuild_needed)
        self.assertTrue(d.reports_failure)
        self.assertEqual("2.51", self.mock_instance_action_get.call_args
                         .kwargs["microversion"])
        self.assertEqual("failed", d.readings[0].label)
        self.assertIn("older than microversion 2.84", d.readings[0].reading)
        # The snapshot listed once serves both the captured properties and
        # the "other snapshots" list.
        self.assertEqual(["nightly"], [s.name for s in d.other_snapshots])
        self.assertIn("no consistency probe lines", d.explanation)
