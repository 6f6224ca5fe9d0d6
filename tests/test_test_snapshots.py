"""Test snapshots: the start flow, the Test snapshots tab, its
ajax rows settling to a verdict, and every failure path; mocked only at the
openstack_dashboard.api and consistency_dashboard.api boundaries, with the
exact calls asserted."""
import datetime
from unittest import mock

from django.urls import reverse
from glanceclient import exc as glance_exc
from keystoneauth1 import exceptions as ks_exc
from novaclient import exceptions as nova_exc

from openstack_dashboard import api
from openstack_dashboard.test import helpers as test

from consistency_dashboard.api import actions as action_calls
from consistency_dashboard.api import images as image_calls
from consistency_dashboard.api import servers as server_calls
from consistency_dashboard.core import probe
from consistency_dashboard.core import snapshot_bytes
from consistency_dashboard.core import verdict as core_verdict
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import records
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import rows
from tests import fixtures

INDEX_URL = reverse("horizon:project:consistency:index")
TAB = INDEX_URL + "?tab=consistency__test_snapshots"
GOOD = {"hw_qemu_guest_agent": "yes", "os_require_quiesce": "yes"}
SERVER_ID = "5a8b3c1e-0d6f-4c5e-9f6a-7b2d1e0c9a11"
IMAGE_ID = "0f5e3d2c-1b4a-4e9d-8c7b-6a5f4e3d2c1b"
REQUEST_ID = "req-4d3c2b1a-0f9e-4d8c-b7a6-f5e4d3c2b1a0"
UTC = datetime.timezone.utc
# Horizon's ajax rows poll only rows with both classes (horizon.tables.js).
POLLING_ROW = 'class="ajax-update warning"'

BOOT = "".join("[    %d.000000] boot line %d\n" % (i, i) for i in range(20))


def probe_lines(seq=7, thaw=True, apps="-"):
    text = ("[  812.004211] CONSISTENCY-PROBE v1 event=freeze seq=%d "
            "mono=812.00 wall=1763790012.41 apps=%s\n" % (seq, apps))
    if thaw:
        text += ("[  812.713925] CONSISTENCY-PROBE v1 event=thaw seq=%d "
                 "mono=812.71 wall=1763790013.12 apps=%s\n" % (seq, apps))
    return text


CLEAN = snapshot_bytes.DiskCheck(
    True, "qcow2", "", (snapshot_bytes.FilesystemCheck(
        "whole disk", 0, "ext4", snapshot_bytes.FsState.CLEAN),),
    reads=5, bytes_read=20480, reason_code="clean")
RECOVERY = snapshot_bytes.DiskCheck(
    True, "qcow2", "", (snapshot_bytes.FilesystemCheck(
        "whole disk", 0, "ext4", snapshot_bytes.FsState.NEEDS_RECOVERY),),
    reads=5, bytes_read=20480, reason_code="needs-recovery")
NO_RANGES = snapshot_bytes.not_checkable("ranges", reads=1)


def url(name, *args):
    return reverse("horizon:project:consistency:%s" % name, args=args)


def ago(seconds):
    return datetime.datetime.now(UTC) - datetime.timedelta(seconds=seconds)


def stamp_ago(seconds):
    return records.stamp_of(ago(seconds))


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def marked_image(requested_at, status="active", image_id=IMAGE_ID,
               instance_id=SERVER_ID, baseline=BOOT, **extra):
    props = core_verdict.marker_metadata(
        requested_at, instance_id, probe.baseline_from_console(baseline)
        if baseline is not None else None)
    props[rows.POWER_AT_REQUEST] = "running"
    props.update(GOOD)
    props.update(image_type="snapshot", instance_uuid=instance_id)
    props.update(extra)
    return fixtures.make_image("consistency-test-web", status=status,
                               image_id=image_id, **props)


def server(metadata=None, task_state=None, status="ACTIVE"):
    found = fixtures.server_dict("web", "base-image", GOOD,
                                 server_id=SERVER_ID, status=status,
                                 task_state=task_state)
    found["metadata"] = dict(metadata or {})
    return found


def record_meta(stamp, **fields):
    record = records.Record(instance_id=SERVER_ID, stamp=stamp, **fields)
    return {record.key: record.to_value()}


def row_url(row_id):
    return TAB + "&" + "action=row_update&table=test_snapshots&obj_id=%s" % \
        row_id


def settled_detail(case, stamp):
    """The detail page of the test a row update just settled, reading back
    what the update wrote: the verdict on the image, the record on the
    instance (the mocks of server_calls.server_get and api.glance.image_get
    then answer with them)."""
    found = case.mock_server_get.return_value
    if case.mock_server_metadata_update.called and isinstance(found, dict):
        written = case.mock_server_metadata_update.call_args[0][2]
        case.mock_server_get.return_value = dict(found, metadata=dict(
            found.get("metadata") or {}, **written))
    image = case.mock_image_get.return_value
    if case.mock_image_update_properties.called and \
            case.mock_image_get.side_effect is None and image is not None:
        image._apiresource.update(
            case.mock_image_update_properties.call_args[1])
    return case.client.get(url("test_snapshot_detail",
                               rows.row_id(SERVER_ID, stamp, IMAGE_ID)))


class StartFlowTests(test.TestCase):
    """The Test snapshot modal: the predicted outcome first, then the
    request with the marker, recorded on the instance."""

    def _instance(self, captured=GOOD, task_state=None):
        base = fixtures.make_image("base", image_id="base-image", **GOOD)
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        self.mock_server_get.return_value = fixtures.server_dict(
            "web", base.id, captured, server_id=SERVER_ID,
            task_state=task_state)
        self.mock_image_list_detailed.return_value = ([base], False, False)
        return base

    @test.create_mocks({server_calls: ("compute_version_range", "server_get"),
                        api.glance: ("image_list_detailed",),
                        api.cinder: ("volume_list",)})
    def test_modal_shows_the_predicted_outcome_first(self):
        self._instance(captured={}, task_state="image_snapshot")
        res = self.client.get(url("test_snapshot", SERVER_ID))
        self.assertContains(res, "The instance is busy (image_snapshot)")
        self.assertTemplateUsed(
            res, "consistency_dashboard/project/test_snapshots/create.html")
        self.assertContains(res, "Predicted outcome")
        self.assertContains(res, "booted without the guest agent channel")
        self.assertContains(res, "consistency-test-web-")
        self.assertContains(res, "Only the 3 newest settled records are "
                                 "kept per instance")
        self.mock_server_get.assert_called_once_with(test.IsHttpRequest(),
                                                     SERVER_ID)

    @test.create_mocks({server_calls: ("compute_version_range", "server_get",
                                       "create_image"),
                        api.glance: ("image_list_detailed",),
                        api.cinder: ("volume_list",),
                        api.nova: ("server_console_output",
                                   "server_metadata_update")})
    def test_submit_reads_baseline_marks_and_records(self):
        self._instance()
        self.mock_server_console_output.return_value = BOOT + probe_lines(3)
        self.mock_create_image.return_value = (IMAGE_ID, REQUEST_ID)

        res = self.client.post(url("test_snapshot", SERVER_ID),
                               {"name": "t1"})

        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, TAB)
        self.mock_server_console_output.assert_called_once_with(
            test.IsHttpRequest(), SERVER_ID)
        args = self.mock_create_image.call_args[0]
        self.assertEqual(SERVER_ID, args[1])
        self.assertEqual("t1", args[2])
        metadata = args[3]
        self.assertEqual("v1", metadata[core_verdict.TEST_SNAPSHOT_MARKER])
        self.assertEqual(SERVER_ID, metadata[core_verdict.INSTANCE])
        self.assertEqual("running", metadata[rows.POWER_AT_REQUEST])
        baseline = probe.Baseline.from_property(
            metadata[core_verdict.BASELINE])
        self.assertEqual(3, baseline.last_probe_seq)
        self.assertTrue(all(len(str(v)) <= 255 for v in metadata.values()))
        # Recorded before createImage, then with its answer.
        self.assertEqual(2, self.mock_server_metadata_update.call_count)
        first, second = [c[0][2] for c in
                         self.mock_server_metadata_update.call_args_list]
        key = records.key_for(metadata[core_verdict.REQUESTED_AT])
        self.assertEqual([key], list(first))
        self.assertTrue(first[key].startswith("v1;s=requested"))
        parsed = records.parse(SERVER_ID, key, second[key])
        self.assertEqual(records.ACCEPTED, parsed.state)
        self.assertEqual(IMAGE_ID, parsed.image_id)
        self.assertEqual(REQUEST_ID, parsed.request_id)
        self.assertTrue(len(second[key]) <= 255)

    @test.create_mocks({server_calls: ("compute_version_range", "server_get"),
                        api.glance: ("image_list_detailed",),
                        api.cinder: ("volume_list",)})
    def test_unknown_instance_is_said_in_words(self):
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        # What keystoneauth raises for Nova's 404 on the 2.98 REST call.
        self.mock_server_get.side_effect = ks_exc.NotFound(
            "Unrecognized schema in response body.", http_status=404)
        res = self.client.get(url("test_snapshot", OTHER_SERVER))
        self.assertEqual(302, res.status_code)
        found = [str(m) for m in res.wsgi_request._messages]
        self.assertEqual(["This instance no longer exists (or is not in "
                          "this project)."], found)

    @test.create_mocks({
        server_calls: ("compute_version_range", "server_get",
                       "create_image"),
        api.glance: ("image_list_detailed",), api.cinder: ("volume_list",),
        api.nova: ("server_console_output", "server_metadata_update")})
    def test_instance_of_another_project_is_refused_on_post_too(self):
        self._instance()
        self.mock_server_get.return_value["tenant_id"] = "other-project"
        for res in (self.client.get(url("test_snapshot", SERVER_ID)),
                    self.client.post(url("test_snapshot", SERVER_ID),
                                     {"name": "t1"})):
            self.assertEqual(302, res.status_code)
            self.assertIn("not one of this project",
                          " ".join(str(m) for m in
                                   res.wsgi_request._messages))
        self.mock_server_metadata_update.assert_not_called()
        self.mock_create_image.assert_not_called()
        self.mock_server_console_output.assert_not_called()

    def _refused(self, exc):
        self._instance()
        self.mock_server_console_output.return_value = BOOT
        self.mock_create_image.side_effect = exc
        return self.client.post(url("test_snapshot", SERVER_ID),
                                {"name": "t1"}, follow=True)

    def _assert_intent_written_then_removed(self):
        # The intent record first; removed when Nova refused: no row.
        (key, value), = self.mock_server_metadata_update.call_args[0][
            2].items()
        self.assertEqual(1, self.mock_server_metadata_update.call_count)
        self.assertTrue(value.startswith("v1;s=requested"))
        self.mock_server_metadata_delete.assert_called_once_with(
            test.IsHttpRequest(), SERVER_ID, [key])

    REFUSAL_MOCKS = {server_calls: ("compute_version_range", "server_get",
                                    "create_image"),
                     api.glance: ("image_list_detailed",),
                     api.cinder: ("volume_list",),
                     api.nova: ("server_console_output",
                                "server_metadata_update",
                                "server_metadata_delete", "server_list")}

    @test.create_mocks(REFUSAL_MOCKS)
    def test_409_another_snapshot_running_is_explained_and_leaves_no_row(
            self):
        self.mock_server_list.return_value = ([], False)
        res = self._refused(nova_exc.Conflict(
            409, "Cannot 'createImage' instance %s while it is in "
                 "task_state image_snapshot" % SERVER_ID))
        self.assertContains(res, "Nova refused the test snapshot of web")
        self.assertContains(res, "busy with another task")
        self.assertContains(res, "Wait until the instance")
        self.assertContains(res, "This was not a test: nothing was created "
                                 "and nothing is listed.")
        self._assert_intent_written_then_removed()

    @test.create_mocks(REFUSAL_MOCKS)
    def test_refused_record_that_cannot_be_removed_names_its_key(self):
        self.mock_server_list.return_value = ([], False)
        self.mock_server_metadata_delete.side_effect = \
            nova_exc.ClientException(503, "Service Unavailable")
        res = self._refused(nova_exc.Conflict(409, "task_state busy"))
        self.assertContains(res, "This was not a test")
        self.assertContains(res, "remove its metadata key "
                                 "consistency_test_")

    @test.create_mocks(REFUSAL_MOCKS)
    def test_403_policy_and_quota(self):
        self.mock_server_list.return_value = ([], False)
        res = self._refused(nova_exc.Forbidden(
            403, "Quota exceeded for resources: ['snapshots']"))
        self.assertContains(res, "Over quota")
        self.assertContains(res, "ask for more quota")
        self._assert_intent_written_then_removed()
        self.mock_server_metadata_update.reset_mock()
        self.mock_server_metadata_delete.reset_mock()
        res = self._refused(nova_exc.Forbidden(
            403, "Policy doesn't allow os_compute_api:servers:create_image"))
        self.assertContains(res, "Not allowed")
        self._assert_intent_written_then_removed()

    @test.create_mocks(REFUSAL_MOCKS)
    def test_413_over_limit(self):
        self.mock_server_list.return_value = ([], False)
        res = self._refused(nova_exc.OverLimit(
            413, "Maximum number of images exceeded"))
        self.assertContains(res, "Over quota: Maximum number of images "
                                 "exceeded")
        self._assert_intent_written_then_removed()

    @test.create_mocks(REFUSAL_MOCKS)
    def test_404_instance_gone_writes_no_record_after(self):
        self.mock_server_list.return_value = ([], False)
        res = self._refused(nova_exc.NotFound(
            404, "Instance %s could not be found." % SERVER_ID))
        self.assertContains(res, "no longer exists")
        # Only the record written before the request, gone with the
        # instance.
        self.assertEqual(1, self.mock_server_metadata_update.call_count)
        self.mock_server_metadata_delete.assert_not_called()

    @test.create_mocks(REFUSAL_MOCKS)
    def test_metadata_quota_stops_before_the_snapshot(self):
        self._instance()
        self.mock_server_list.return_value = ([], False)
        self.mock_server_console_output.return_value = BOOT
        self.mock_server_metadata_update.side_effect = nova_exc.Forbidden(
            403, "Quota exceeded for metadata items")
        res = self.client.post(url("test_snapshot", SERVER_ID),
                               {"name": "t1"}, follow=True)
        self.assertContains(res, "was not started")
        self.assertContains(res, "the instance&#x27;s metadata is full")
        self.assertContains(res, "Nothing was created.")
        self.mock_create_image.assert_not_called()

    @test.create_mocks(REFUSAL_MOCKS)
    def test_new_test_prunes_the_oldest_settled_records(self):
        self._instance()
        meta = {"owner": "ops"}
        stamps = [stamp_ago(3600 * (i + 1)) for i in range(5)]
        for stamp in stamps:
            meta.update(record_meta(stamp, state=records.SETTLED,
                                    verdict="unknown"))
        running = stamp_ago(30)
        meta.update(record_meta(running, state=records.ACCEPTED,
                                image_id=IMAGE_ID))
        self.mock_server_get.return_value["metadata"] = meta
        self.mock_server_list.return_value = ([], False)
        self.mock_server_console_output.return_value = BOOT
        self.mock_create_image.return_value = (IMAGE_ID, REQUEST_ID)
        res = self.client.post(url("test_snapshot", SERVER_ID),
                               {"name": "t1"}, follow=True)
        # The three newest settled records, the running one and the
        # user's own key stay.
        self.mock_server_metadata_delete.assert_called_once_with(
            test.IsHttpRequest(), SERVER_ID,
            sorted("consistency_test_" + s for s in stamps[3:]))
        self.assertContains(res, "2 older settled test records were "
                                 "removed")
        self.assertEqual(1, self.mock_create_image.call_count)

    @test.create_mocks({server_calls: ("compute_version_range", "server_get",
                                       "create_image"),
                        api.glance: ("image_list_detailed",),
                        api.cinder: ("volume_list",),
                        api.nova: ("server_console_output",
                                   "server_metadata_update", "server_list")})
    def test_console_disabled_501_still_takes_the_snapshot(self):
        self._instance()
        self.mock_server_list.return_value = ([], False)
        self.mock_server_console_output.side_effect = \
            nova_exc.HTTPNotImplemented(501, "Unable to get console")
        self.mock_create_image.return_value = (IMAGE_ID, REQUEST_ID)
        res = self.client.post(url("test_snapshot", SERVER_ID),
                               {"name": "t1"}, follow=True)
        self.assertContains(res, "cannot be read (501: Unable to get "
                                 "console)")
        self.assertContains(res, "requested (image %s)" % IMAGE_ID)
        metadata = self.mock_create_image.call_args[0][3]
        self.assertNotIn(core_verdict.BASELINE, metadata)


class TestSnapshotsTabTests(test.TestCase):

    def _rows(self, response):
        table = response.context["tab_group"].get_tab(
            "test_snapshots")._tables["test_snapshots"]
        return table.data

    @test.create_mocks({api.glance: ("image_list_detailed",),
                        api.nova: ("server_list",)})
    def test_constant_calls_and_vanished_records(self):
        for count in (1, 20):
            self.mock_image_list_detailed.reset_mock()
            self.mock_server_list.reset_mock()
            images, metadata = [], {}
            for i in range(count):
                requested = ago(3600 + i * 60)
                image = marked_image(requested, image_id="img-%02d" % i)
                image._apiresource.update(core_verdict.image_properties_for(
                    core_verdict.Verdict(
                        core_verdict.Level.CRASH_CONSISTENT, "No channel.",
                        (core_verdict.EvidenceItem("x", "y"),), "Fix it."),
                    requested))
                images.append(image)
            refused = stamp_ago(100)
            vanished = stamp_ago(200)
            metadata.update(record_meta(refused, state=records.REFUSED,
                                        http_status=409, verdict="failed",
                                        message="task_state image_snapshot"))
            metadata.update(record_meta(vanished, state=records.SETTLED,
                                        image_id="gone-image",
                                        verdict="failed",
                                        message="Nova deleted it."))
            self.mock_image_list_detailed.return_value = (images, False,
                                                          False)
            self.mock_server_list.return_value = (
                [fixtures.make_server("web", server_id=SERVER_ID,
                                      metadata=metadata)], False)

            res = self.client.get(TAB)

            found = self._rows(res)
            self.assertEqual(count + 2, len(found))
            self.mock_image_list_detailed.assert_called_once_with(
                test.IsHttpRequest(), filters={
                    "consistency_test_snapshot": "v1",
                    "owner": self.tenant.id},
                sort_key="created_at", sort_dir="desc")
            self.mock_server_list.assert_called_once_with(
                test.IsHttpRequest())
        by_stamp = {r.stamp: r for r in found}
        self.assertEqual("failed", by_stamp[refused].level_label)
        self.assertIn("busy with another task",
                      by_stamp[refused].verdict.cause)
        self.assertEqual("Nova deleted it.", by_stamp[vanished].verdict.cause)
        self.assertContains(res, "image gone-image is gone")
        self.assertContains(res, "only the 3 newest settled records are "
                                 "kept per instance")
        self.assertContains(res, "crash-consistent")
        # Settled rows do not poll.
        self.assertNotContains(res, POLLING_ROW)
        self.assertEqual({"settled", "failed"},
                         {r.poll_status for r in found})

    @test.create_mocks({api.glance: ("image_list_detailed",),
                        api.nova: ("server_list",)})
    def test_pending_row_polls_and_slow_one_is_still_running(self):
        pending = marked_image(ago(30), status="saving", image_id="img-new")
        slow = marked_image(ago(3600), status="saving", image_id="img-slow")
        self.mock_image_list_detailed.return_value = ([pending, slow], False,
                                                      False)
        self.mock_server_list.return_value = ([fixtures.make_server(
            "web", server_id=SERVER_ID, task_state="image_uploading")],
            False)
        res = self.client.get(TAB)
        found = {r.image_id: r for r in self._rows(res)}
        self.assertEqual("polling", found["img-new"].poll_status)
        self.assertEqual("uploading", found["img-new"].stage)
        self.assertEqual("still running", found["img-slow"].poll_status)
        self.assertEqual("still running", found["img-slow"].stage)
        self.assertNotEqual("failed", found["img-slow"].level_label)
        self.assertContains(res, POLLING_ROW, count=1)

    @test.create_mocks({api.glance: ("image_list_detailed",),
                        api.nova: ("server_list",),
                        server_calls: ("compute_version_range", "server_get")})
    def test_glance_down_still_shows_the_records(self):
        stamp = stamp_ago(50)
        self.mock_image_list_detailed.side_effect = \
            glance_exc.CommunicationError("glance down")
        metadata = record_meta(stamp, state=records.REFUSED, http_status=403,
                               verdict="failed", message="Quota exceeded")
        self.mock_server_list.return_value = ([fixtures.make_server(
            "web", server_id=SERVER_ID, metadata=metadata)], False)
        res = self.client.get(TAB)
        self.assertEqual(1, len(self._rows(res)))
        self.assertMessageCount(res, error=1)
        # The row: the verdict and Nova's answer it rests on.
        self.assertContains(res, 'data-verdict="failed"')
        self.assertContains(res, "HTTP 403: Quota exceeded")
        self.assertContains(res, "(Nova createImage response)")
        # The detail page: the cause.
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        self.mock_server_get.return_value = server(metadata)
        res = self.client.get(url("test_snapshot_detail",
                                  rows.row_id(SERVER_ID, stamp)))
        self.assertContains(res, "Over quota")


    @test.create_mocks({api.glance: ("image_list_detailed",),
                        api.nova: ("server_list",)})
    def test_nova_down_still_shows_the_images(self):
        image = marked_image(ago(600), status="saving")
        self.mock_image_list_detailed.return_value = ([image], False, False)
        self.mock_server_list.side_effect = nova_exc.ClientException(
            503, "Service Unavailable")
        res = self.client.get(TAB)
        found, = self._rows(res)
        self.assertEqual(IMAGE_ID, found.image_id)
        self.assertEqual("polling", found.poll_status)
        self.assertMessageCount(res, error=1)

    @test.create_mocks({api.glance: ("image_list_detailed",),
                        api.nova: ("server_list",)})
    def test_request_never_completed_is_failed_after_the_bound(self):
        old, new = stamp_ago(7200), stamp_ago(10)
        metadata = dict(record_meta(old), **record_meta(new))
        self.mock_image_list_detailed.return_value = ([], False, False)
        self.mock_server_list.return_value = ([fixtures.make_server(
            "web", server_id=SERVER_ID, metadata=metadata)], False)
        res = self.client.get(TAB)
        found = {r.stamp: r for r in self._rows(res)}
        self.assertEqual("polling", found[new].poll_status)
        self.assertEqual("requested", found[new].stage)
        self.assertEqual("failed", found[old].level_label)
        self.assertIn("did not answer", found[old].verdict.cause)

class RowUpdateTests(test.TestCase):
    """Horizon's ajax row update: two reads per poll; at the end the
    evidence, the core's verdict, and the verdict written down."""

    def _get(self, row_id):
        return self.client.get(row_url(row_id),
                               HTTP_X_REQUESTED_WITH="XMLHttpRequest")

    def _cloud(self, stamp, image=None, image_error=None, server_meta=None,
               server_error=None, task_state=None, console=None,
               console_error=None, events=(), disk=NO_RANGES):
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        self.mock_check_snapshot.return_value = disk
        if server_error is not None:
            self.mock_server_get.side_effect = server_error
        else:
            meta = record_meta(stamp, state=records.ACCEPTED,
                               image_id=IMAGE_ID, request_id=REQUEST_ID,
                               power="running") \
                if server_meta is None else server_meta
            self.mock_server_get.return_value = server(meta, task_state)
        if image_error is not None:
            self.mock_image_get.side_effect = image_error
        else:
            self.mock_image_get.return_value = image
        if console_error is not None:
            self.mock_server_console_output.side_effect = console_error
        else:
            self.mock_server_console_output.return_value = console
        self.mock_instance_action_events.return_value = list(events)

    MOCKS = {server_calls: ("compute_version_range", "server_get"),
             api.glance: ("image_get", "image_update_properties",
                          "image_list_detailed"),
             api.cinder: ("volume_snapshot_list",),
             api.nova: ("server_console_output", "server_metadata_update"),
             action_calls: ("instance_action_events",),
             image_calls: ("check_snapshot",)}

    @test.create_mocks(MOCKS)
    def test_uploading_row_keeps_polling_with_two_reads(self):
        stamp = stamp_ago(20)
        self._cloud(stamp, image=marked_image(records.requested_at_of(stamp),
                                            status="saving"),
                    task_state="image_uploading")
        res = self._get(rows.row_id(SERVER_ID, stamp))
        self.assertEqual(200, res.status_code)
        self.assertContains(res, 'data-stage="uploading"')
        self.assertContains(res, POLLING_ROW)
        self.mock_server_get.assert_called_once_with(test.IsHttpRequest(),
                                                     SERVER_ID)
        self.mock_image_get.assert_called_once_with(test.IsHttpRequest(),
                                                    IMAGE_ID)
        self.mock_server_console_output.assert_not_called()
        self.mock_image_update_properties.assert_not_called()

    @test.create_mocks(MOCKS)
    def test_active_image_settles_proven_by_the_snapshot_read_once(self):
        stamp = stamp_ago(20)
        image = marked_image(records.requested_at_of(stamp))
        self._cloud(stamp, image=image, console=BOOT + probe_lines(7),
                    events=[{"event": "compute_snapshot_instance",
                             "result": "Success"}], disk=CLEAN)
        res = self._get(rows.row_id(SERVER_ID, stamp))
        self.assertContains(res, 'data-verdict="filesystem-consistent"')
        self.assertContains(res, "proven by the snapshot (ext4 / clean)")
        # One piece of evidence in the row, the others one click away.
        self.assertContains(res, "6 more")
        self.assertNotContains(res, "freeze seq 7")
        # The snapshot's bytes: read once, through the API function that
        # keeps the budget, and stored with the verdict.
        self.mock_check_snapshot.assert_called_once_with(
            test.IsHttpRequest(), IMAGE_ID, size=1024)
        self.assertNotContains(res, POLLING_ROW)
        self.mock_server_console_output.assert_called_once_with(
            test.IsHttpRequest(), SERVER_ID)
        self.mock_instance_action_events.assert_called_once_with(
            test.IsHttpRequest(), SERVER_ID, REQUEST_ID, microversion="2.84")
        kwargs = self.mock_image_update_properties.call_args[1]
        self.assertEqual(IMAGE_ID,
                         self.mock_image_update_properties.call_args[0][1])
        self.assertEqual("filesystem-consistent",
                         kwargs[core_verdict.VERDICT])
        self.assertEqual("snapshot", kwargs[core_verdict.VERIFIED_BY])
        self.assertEqual("0.710", kwargs[core_verdict.FREEZE_SECONDS])
        self.assertEqual(snapshot_bytes.encode(CLEAN),
                         kwargs[core_verdict.DISK_CHECK])
        self.assertEqual("bytes_clean", kwargs[core_verdict.CAUSE_CODE])
        self.assertTrue(all(len(v) <= 255 for v in kwargs.values()))
        record = records.parse(SERVER_ID, *list(
            self.mock_server_metadata_update.call_args[0][2].items())[0])
        self.assertEqual(records.SETTLED, record.state)
        self.assertEqual("filesystem-consistent", record.verdict)
        self.assertEqual("bytes_clean", record.cause_code)
        self.mock_volume_snapshot_list.assert_not_called()

        # The next refresh reads the stored verdict back: no bytes, no
        # console, no writes.
        stored = marked_image(records.requested_at_of(stamp), **kwargs)
        self.mock_image_get.return_value = stored
        res = self._get(rows.row_id(SERVER_ID, stamp))
        self.assertContains(res, "proven by the snapshot (ext4 / clean)")
        self.assertEqual(1, self.mock_check_snapshot.call_count)
        self.assertEqual(1, self.mock_server_console_output.call_count)
        self.assertEqual(1, self.mock_image_update_properties.call_count)

        # The detail page reads the same verdict back: every item.
        res = settled_detail(self, stamp)
        self.assertContains(res, "proven by the snapshot (ext4 / clean)")
        # Read back with its source and strength, in their own cells.
        self.assertContains(res, "<td>freeze seq 7 then thaw seq 7, 0.71 s "
                                 "apart</td><td>reported by the guest "
                                 "(console log)</td><td>weak: hooks ran"
                                 "</td>", html=False)
        self.assertContains(res, "frozen 0.71 s (hook gap)")
        self.assertEqual(1, self.mock_check_snapshot.call_count)
        self.assertEqual(1, self.mock_image_update_properties.call_count)

    @test.create_mocks(MOCKS)
    def test_a_stored_disk_check_is_read_back_not_read_again(self):
        stamp = stamp_ago(20)
        self._cloud(stamp, image=marked_image(
            records.requested_at_of(stamp),
            **{core_verdict.DISK_CHECK: snapshot_bytes.encode(RECOVERY)}),
            console=BOOT + probe_lines(7))
        res = self._get(rows.row_id(SERVER_ID, stamp))
        self.assertContains(res, 'data-verdict="crash-consistent"')
        self.assertContains(res, "shown by the snapshot (ext4 / "
                                 "needs-recovery)")
        self.mock_check_snapshot.assert_not_called()
        kwargs = self.mock_image_update_properties.call_args[1]
        self.assertNotIn(core_verdict.DISK_CHECK, kwargs)
        res = settled_detail(self, stamp)
        self.assertContains(res, "ext4 journal needs recovery in the "
                                 "snapshot")
        self.assertContains(res, "CONTRADICTION")

    @test.create_mocks(MOCKS)
    def test_the_read_budget_is_kept_on_a_real_snapshot(self):
        import tempfile
        from tests import disk_images
        stamp = stamp_ago(20)
        self._cloud(stamp, image=marked_image(records.requested_at_of(stamp)),
                    console=BOOT)
        with tempfile.TemporaryDirectory() as root:
            try:
                path = disk_images.make(root, "ext4.qcow2")
            except disk_images.Missing as missing:
                self.skipTest("tool missing: %s" % missing)
            with open(path, "rb") as data:
                blob = data.read()
        reads = []

        def read(offset, length):
            reads.append(length)
            return blob[offset:offset + length]

        def check(request, image_id, size=None):
            return snapshot_bytes.check_disk(
                read, size=len(blob), max_reads=image_calls.MAX_READS,
                max_bytes=image_calls.MAX_BYTES)
        self.mock_check_snapshot.side_effect = check
        res = self._get(rows.row_id(SERVER_ID, stamp))
        self.assertContains(res, 'data-verdict="filesystem-consistent"')
        self.assertLessEqual(len(reads), image_calls.MAX_READS)
        self.assertLessEqual(sum(reads), image_calls.MAX_BYTES)
        print("snapshot read: %d reads, %d bytes" % (len(reads), sum(reads)))

    @test.create_mocks(MOCKS)
    def test_freeze_without_thaw_is_a_loud_warning(self):
        stamp = stamp_ago(20)
        self._cloud(stamp, image=marked_image(records.requested_at_of(stamp)),
                    console=BOOT + probe_lines(8, thaw=False))
        res = self._get(rows.row_id(SERVER_ID, stamp))
        self.assertContains(res, "consistency-still-frozen")
        self.assertContains(res, "the guest may still be frozen")
        self.assertContains(res, "freeze seq 8 with no thaw")
        res = settled_detail(self, stamp)
        self.assertContains(res, "consistency-still-frozen")
        self.assertContains(res, "the guest may still be frozen. Check it "
                                 "now: writes inside it block")

    @test.create_mocks(MOCKS)
    def test_vanished_image_fails_with_predicted_cause_and_is_recorded(self):
        stamp = stamp_ago(20)
        no_channel = server(record_meta(stamp, state=records.ACCEPTED,
                                        image_id=IMAGE_ID,
                                        request_id=REQUEST_ID))
        no_channel["image"]["properties"] = {"os_require_quiesce": "yes"}
        self._cloud(stamp, image_error=glance_exc.HTTPNotFound(),
                    console=BOOT,
                    events=[{"event": "compute_snapshot_instance",
                             "result": "Success"}])
        self.mock_server_get.return_value = no_channel
        res = self._get(rows.row_id(SERVER_ID, stamp))
        self.assertContains(res, 'data-verdict="failed"')
        self.assertContains(res, "vanished (HTTP 404)")
        self.assertContains(res, "(Glance image status)")
        self.mock_image_update_properties.assert_not_called()
        self.mock_check_snapshot.assert_not_called()
        record = records.parse(SERVER_ID, *list(
            self.mock_server_metadata_update.call_args[0][2].items())[0])
        self.assertEqual("failed", record.verdict)
        self.assertEqual(IMAGE_ID, record.image_id)
        # Changed: a cause code, rendered whole, never cut off.
        self.assertEqual("vanished_no_channel", record.cause_code)
        self.assertIn("Predicted cause", record.cause)
        self.assertFalse(record.cause.endswith("\u2026"))
        # The detail page reads the record back.
        res = settled_detail(self, stamp)
        self.assertContains(res, 'data-verdict="failed"')
        self.assertContains(res, "Predicted cause")
        self.assertContains(res, "image %s is gone" % IMAGE_ID)

    @test.create_mocks(MOCKS)
    def test_instance_deleted_while_snapshotting(self):
        stamp = stamp_ago(20)
        self._cloud(stamp, server_error=ks_exc.NotFound(),
                    image_error=glance_exc.HTTPNotFound())
        res = self._get(rows.row_id(SERVER_ID, stamp, IMAGE_ID))
        self.assertEqual(200, res.status_code)
        self.assertContains(res, 'data-verdict="failed"')
        self.assertContains(res, "deleted while it was being snapshotted")
        self.assertContains(res, "shown only here")
        self.mock_server_console_output.assert_not_called()
        self.mock_server_metadata_update.assert_not_called()

    @test.create_mocks(MOCKS)
    def test_instance_being_deleted_while_snapshotting(self):
        # Nova deleted the snapshot's image while the server still answered,
        # task_state "deleting", before its 404 (seen in a cloud run): the
        # row says so as for a deleted instance, and writes no record on a
        # server that is going.
        stamp = stamp_ago(20)
        self._cloud(stamp, task_state="deleting",
                    image_error=glance_exc.HTTPNotFound(),
                    events=[{"event": "compute_snapshot_instance",
                             "result": "Success"}])
        res = self._get(rows.row_id(SERVER_ID, stamp, IMAGE_ID))
        self.assertEqual(200, res.status_code)
        self.assertContains(res, 'data-verdict="failed"')
        self.assertContains(res, "instance deleted")
        self.assertContains(res, "deleted while it was being snapshotted")
        self.assertContains(res, "shown only here")
        self.mock_server_metadata_update.assert_not_called()

    @test.create_mocks(MOCKS)
    def test_glance_unreachable_while_polling_is_not_a_failure(self):
        stamp = stamp_ago(20)
        self._cloud(stamp, image_error=glance_exc.CommunicationError(
            "connection refused"), task_state="image_uploading")
        res = self._get(rows.row_id(SERVER_ID, stamp))
        self.assertEqual(200, res.status_code)
        self.assertContains(res, "the image service did not answer; "
                                 "retrying")
        self.assertContains(res, POLLING_ROW)
        self.assertNotContains(res, 'data-verdict="failed"')
        self.mock_image_update_properties.assert_not_called()

    @test.create_mocks(MOCKS)
    def test_nova_unreachable_while_polling_is_not_a_failure(self):
        stamp = stamp_ago(20)
        self._cloud(stamp, server_error=ks_exc.ConnectFailure("down"),
                    image=marked_image(records.requested_at_of(stamp)))
        res = self._get(rows.row_id(SERVER_ID, stamp, IMAGE_ID))
        self.assertEqual(200, res.status_code)
        self.assertContains(res, "Nova did not answer")
        self.assertContains(res, POLLING_ROW)
        self.mock_server_console_output.assert_not_called()
        self.mock_image_update_properties.assert_not_called()

    @test.create_mocks(MOCKS)
    def test_console_disabled_at_settle_gives_unknown_saying_why(self):
        stamp = stamp_ago(20)
        self._cloud(stamp, image=marked_image(records.requested_at_of(stamp),
                                            baseline=None),
                    console_error=nova_exc.NotFound(404, "no console log"))
        res = self._get(rows.row_id(SERVER_ID, stamp))
        self.assertContains(res, 'data-verdict="unknown"')
        # No item from the source it rests on: the row names the source.
        self.assertContains(res, "rests on predicted from what is known")
        kwargs = self.mock_image_update_properties.call_args[1]
        self.assertEqual("unknown", kwargs[core_verdict.VERDICT])
        res = settled_detail(self, stamp)
        self.assertContains(res, "console output unavailable: 404")
        self.assertContains(res, "this Glance does not serve ranges")

    @test.create_mocks(MOCKS)
    def test_slow_snapshot_after_the_bound_is_still_running(self):
        stamp = stamp_ago(3600)
        self._cloud(stamp, image=marked_image(records.requested_at_of(stamp),
                                            status="queued"),
                    task_state="image_snapshot")
        res = self._get(rows.row_id(SERVER_ID, stamp))
        self.assertContains(res, 'data-stage="still running"')
        self.assertNotContains(res, POLLING_ROW)
        self.assertNotContains(res, 'data-verdict="failed"')

    @test.create_mocks(MOCKS)
    def test_record_without_image_id_looks_the_image_up_by_marker(self):
        stamp = stamp_ago(5)
        self._cloud(stamp, server_meta=record_meta(stamp),
                    task_state="image_snapshot_pending")
        self.mock_image_list_detailed.return_value = ([], False, False)
        res = self._get(rows.row_id(SERVER_ID, stamp))
        self.assertContains(res, 'data-stage="requested"')
        self.mock_image_list_detailed.assert_called_once_with(
            test.IsHttpRequest(), filters={
                "consistency_test_snapshot": "v1",
                "consistency_instance": SERVER_ID,
                "consistency_requested_at": iso(
                    records.requested_at_of(stamp))})
        self.mock_image_get.assert_not_called()


    @test.create_mocks(MOCKS)
    def test_verdict_not_saved_is_said_and_shown_anyway(self):
        stamp = stamp_ago(20)
        self._cloud(stamp, image=marked_image(records.requested_at_of(stamp)),
                    console=BOOT + probe_lines(7), disk=CLEAN)
        self.mock_image_update_properties.side_effect = \
            glance_exc.HTTPForbidden()
        res = self._get(rows.row_id(SERVER_ID, stamp))
        self.assertContains(res, 'data-verdict="filesystem-consistent"')
        self.assertContains(res, "The verdict was not saved on the image: "
                                 "not allowed (403)")
        # Recorded on the instance all the same.
        record = records.parse(SERVER_ID, *list(
            self.mock_server_metadata_update.call_args[0][2].items())[0])
        self.assertEqual("filesystem-consistent", record.verdict)

class RowActionTests(test.TestCase):

    def _listing(self, image, metadata):
        self.mock_image_list_detailed.return_value = ([image], False, False)
        self.mock_server_list.return_value = ([fixtures.make_server(
            "web", server_id=SERVER_ID, metadata=metadata)], False)

    def _settled_image(self, requested):
        image = marked_image(requested)
        image._apiresource.update(core_verdict.image_properties_for(
            core_verdict.Verdict(core_verdict.Level.UNKNOWN, "Not known.",
                                 (), "Install the probe."), requested))
        return image

    @test.create_mocks({api.glance: ("image_list_detailed", "image_get",
                                     "image_delete"),
                        api.nova: ("server_list", "server_metadata_delete")})
    def test_delete_removes_the_marked_image_and_its_record(self):
        requested = ago(100)
        stamp = records.stamp_of(requested)
        image = self._settled_image(requested)
        meta = record_meta(stamp, state=records.SETTLED, image_id=IMAGE_ID)
        self._listing(image, meta)
        self.mock_image_get.return_value = image
        row_id = rows.row_id(SERVER_ID, stamp, IMAGE_ID)
        res = self.client.post(TAB, {
            "action": "test_snapshots__delete__%s" % row_id})
        self.assertRedirectsNoFollow(res, TAB)
        self.mock_image_delete.assert_called_once_with(test.IsHttpRequest(),
                                                       IMAGE_ID)
        self.mock_server_metadata_delete.assert_called_once_with(
            test.IsHttpRequest(), SERVER_ID, [records.key_for(requested)])

    @test.create_mocks({api.glance: ("image_list_detailed", "image_get",
                                     "image_delete"),
                        api.nova: ("server_list", "server_metadata_delete")})
    def test_delete_refuses_an_image_without_the_marker(self):
        requested = ago(100)
        image = self._settled_image(requested)
        self._listing(image, {})
        unmarked = fixtures.make_image("someone-elses", image_id=IMAGE_ID)
        self.mock_image_get.return_value = unmarked
        row_id = rows.row_id(SERVER_ID, records.stamp_of(requested), IMAGE_ID)
        self.client.post(TAB, {
            "action": "test_snapshots__delete__%s" % row_id})
        self.mock_image_delete.assert_not_called()
        self.mock_server_metadata_delete.assert_not_called()

    @test.create_mocks({server_calls: ("compute_version_range", "server_get"),
                        api.glance: ("image_get",
                                     "image_update_properties"),
                        api.nova: ("server_metadata_delete",)})
    def test_keep_as_backup_removes_marker_and_record(self):
        requested = ago(100)
        stamp = records.stamp_of(requested)
        image = self._settled_image(requested)
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        self.mock_server_get.return_value = server(record_meta(
            stamp, state=records.SETTLED, image_id=IMAGE_ID))
        self.mock_image_get.return_value = image
        keep = url("keep_test_snapshot", rows.row_id(SERVER_ID, stamp,
                                                     IMAGE_ID))
        res = self.client.get(keep)
        self.assertContains(res, "will never touch this image")
        # No browser-side "required": Horizon's themable checkbox hides the
        # input, and the browser then blocked the submit without a word.
        self.assertContains(res, '<input type="checkbox" name="understood" '
                                 'id="id_understood">', html=True)
        res = self.client.post(keep, {})
        self.assertFormErrors(res, 1)
        self.assertContains(res, "Tick this box to keep the image")
        self.mock_image_update_properties.assert_not_called()
        res = self.client.post(keep, {"understood": "on"})
        self.assertRedirectsNoFollow(res, TAB)
        self.mock_image_update_properties.assert_called_once_with(
            test.IsHttpRequest(), IMAGE_ID,
            remove_props=[core_verdict.TEST_SNAPSHOT_MARKER])
        self.mock_server_metadata_delete.assert_called_once_with(
            test.IsHttpRequest(), SERVER_ID, [records.key_for(requested)])


    def test_delete_button_survives_a_parallel_row_update(self):
        # Horizon shares one action object between the instances of a table
        # class and points it at the newest one: a row update's table,
        # created while the page renders, has no data loaded yet.
        from consistency_dashboard.dashboards.project.consistency\
            .test_snapshots import tables as ts_tables
        page = ts_tables.TestSnapshotsTable(self.request, data=[
            rows.TestSnapshotRow(SERVER_ID, stamp_ago(100),
                                 image=rows.plain(self._settled_image(
                                     ago(100))))])
        ts_tables.TestSnapshotsTable(self.request)
        self.assertEqual(["delete"],
                         [a.name for a in page.get_table_actions()])


class RecordFormatTests(test.TestCase):
    def test_record_value_fits_and_round_trips(self):
        record = records.Record(
            instance_id=SERVER_ID, stamp="20261122T053012Z",
            state=records.REFUSED, image_id=IMAGE_ID, request_id=REQUEST_ID,
            power="running", http_status=409, verdict="failed",
            message="x;" * 400)
        value = record.to_value()
        self.assertLessEqual(len(value), 255)
        parsed = records.parse(SERVER_ID, record.key, value)
        self.assertEqual(409, parsed.http_status)
        self.assertEqual(IMAGE_ID, parsed.image_id)
        self.assertTrue(parsed.message.startswith("x,x,"))
        self.assertIsNone(records.parse(SERVER_ID, "other_key", value))
        self.assertIsNone(records.parse(SERVER_ID, record.key, "v2;s=x"))
        self.assertEqual(datetime.datetime(2026, 11, 22, 5, 30, 12,
                                           tzinfo=UTC), record.requested_at)

    def test_cause_is_a_code_rendered_whole_and_old_records_still_read(self):
        from consistency_dashboard.core import causes
        long_details = "No valid host was found. " * 12
        cause = causes.cause("event_error", details=long_details)
        record = records.Record(
            instance_id=SERVER_ID, stamp="20261122T053012Z",
            state=records.SETTLED, image_id=IMAGE_ID, request_id=REQUEST_ID,
            power="running", verdict="failed", cause_code=cause.code,
            cause_params=cause.params)
        value = record.to_value()
        self.assertLessEqual(len(value), 255)
        parsed = records.parse(SERVER_ID, record.key, value)
        self.assertEqual("event_error", parsed.cause_code)
        self.assertTrue(parsed.cause.startswith("Nova reported: No valid "
                                                "host was found."))
        whole = causes.render("vanished_no_channel")
        self.assertGreater(len(whole), 150)
        coded = records.parse(SERVER_ID, record.key, record.replace(
            cause_code="vanished_no_channel", cause_params=()).to_value())
        self.assertEqual(whole, coded.cause)
        # A record written before cause codes: its sentence is shown.
        old = records.parse(SERVER_ID, record.key,
                            "v1;s=settled;v=failed;m=An old cause.")
        self.assertEqual("An old cause.", old.cause)

    def test_row_ids_round_trip(self):
        self.assertEqual((SERVER_ID, "20261122T053012Z", None),
                         rows.split_row_id(rows.row_id(
                             SERVER_ID, "20261122T053012Z")))
        self.assertEqual((SERVER_ID, "20261122T053012Z", IMAGE_ID),
                         rows.split_row_id(rows.row_id(
                             SERVER_ID, "20261122T053012Z", IMAGE_ID)))
        with self.assertRaises(ValueError):
            rows.split_row_id("garbage")



class ErrorWordsTests(test.TestCase):
    """api/errors.py: a sentence to act on, never the exception's text."""

    def test_unexpected_errors_never_show_their_text(self):
        from consistency_dashboard.api import errors
        for exc in (ValueError("Expecting value: line 1 column 1 (char 0)"),
                    RuntimeError("GET http://10.0.0.5:8774/v2.1/servers "
                                 "failed")):
            status, why = errors.explain(exc, "Nova")
            self.assertEqual("error", status)
            self.assertNotIn(str(exc), str(why))
            self.assertIn("the details are in the dashboard's log", str(why))

    def test_service_messages_kept_bodies_and_urls_dropped(self):
        from consistency_dashboard.api import errors
        self.assertIn("Quota exceeded for resources", str(errors.explain(
            nova_exc.Forbidden(403, "Quota exceeded for resources: "
                                    "['snapshots']"), "Nova")[1]))
        html = glance_exc.HTTPForbidden(
            "<html><body>403 Forbidden</body></html>")
        html.details = "<html><body>403 Forbidden</body></html>"
        self.assertNotIn("<html>", str(errors.explain(html, "Glance")[1]))
        self.assertIn("metadata is full", str(errors.explain(
            nova_exc.Forbidden(403, "Quota exceeded for metadata items"),
            "Nova")[1]))


class MoreVerdictPathTests(test.TestCase):
    """Volume-backed snapshots wait for Cinder; Nova 32's Error event
    details; application hooks; a request Nova never answered."""

    MOCKS = RowUpdateTests.MOCKS

    def _server(self, stamp, volume=False):
        found = server(record_meta(stamp, state=records.ACCEPTED,
                                   image_id=IMAGE_ID, request_id=REQUEST_ID,
                                   power="running"))
        if volume:
            found["image"] = ""
        return found

    @test.create_mocks(MOCKS)
    def test_volume_backed_waits_for_cinder_then_nova_enforced(self):
        import json
        stamp = stamp_ago(20)
        image = marked_image(records.requested_at_of(stamp), baseline=None,
                             block_device_mapping=json.dumps(
                                 [{"snapshot_id": "snap-1",
                                   "boot_index": 0}]))
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        self.mock_server_get.return_value = self._server(stamp, volume=True)
        self.mock_image_get.return_value = image
        self.mock_server_console_output.return_value = BOOT
        self.mock_instance_action_events.return_value = []
        snapshot = mock.Mock(id="snap-1", status="creating")
        self.mock_volume_snapshot_list.return_value = [snapshot]
        res = self.client.get(row_url(rows.row_id(SERVER_ID, stamp)),
                              HTTP_X_REQUESTED_WITH="XMLHttpRequest")
        self.assertContains(res, 'data-stage="uploading"')
        self.assertContains(res, POLLING_ROW)
        self.mock_image_update_properties.assert_not_called()

        snapshot.status = "available"
        res = self.client.get(row_url(rows.row_id(SERVER_ID, stamp)),
                              HTTP_X_REQUESTED_WITH="XMLHttpRequest")
        self.assertContains(res, 'data-verdict="filesystem-consistent"')
        self.assertContains(res, "enforced by Nova")
        self.mock_check_snapshot.assert_not_called()
        self.assertEqual(2, self.mock_volume_snapshot_list.call_count)
        kwargs = self.mock_image_update_properties.call_args[1]
        self.assertEqual("nova", kwargs[core_verdict.VERIFIED_BY])
        res = settled_detail(self, stamp)
        self.assertContains(res, "enforced by Nova")
        self.assertContains(res, "<td>available</td><td>Cinder volume "
                                 "snapshots</td>", html=False)
        self.assertEqual(2, self.mock_volume_snapshot_list.call_count)

    @test.create_mocks(MOCKS)
    def test_nova_32_error_event_details_are_the_cause(self):
        stamp = stamp_ago(20)
        self.mock_compute_version_range.return_value = ("2.1", "2.100")
        self.mock_server_get.return_value = self._server(stamp)
        self.mock_image_get.side_effect = glance_exc.HTTPNotFound()
        self.mock_server_console_output.return_value = BOOT
        self.mock_instance_action_events.return_value = [
            {"event": "compute_snapshot_instance", "result": "Error",
             "details": "No space left on device"}]
        res = self.client.get(row_url(rows.row_id(SERVER_ID, stamp)),
                              HTTP_X_REQUESTED_WITH="XMLHttpRequest")
        self.assertContains(res, 'data-verdict="failed"')
        self.assertContains(res, "compute_snapshot_instance: Error: No space "
                                 "left on device")
        self.assertContains(res, "(Nova instance action events)")
        self.mock_instance_action_events.assert_called_once_with(
            test.IsHttpRequest(), SERVER_ID, REQUEST_ID,
            microversion="2.84")
        res = settled_detail(self, stamp)
        self.assertContains(res, "Nova reported: No space left on device")

    @test.create_mocks(MOCKS)
    def test_every_application_hook_ok_is_application_consistent(self):
        stamp = stamp_ago(20)
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        self.mock_server_get.return_value = self._server(stamp)
        self.mock_image_get.return_value = marked_image(
            records.requested_at_of(stamp))
        self.mock_server_console_output.return_value = BOOT + probe_lines(
            4, apps="mysql:ok,postgresql:ok")
        self.mock_instance_action_events.return_value = []
        # Changed: the app hooks need a proven freeze (here the bytes).
        self.mock_check_snapshot.return_value = CLEAN
        res = self.client.get(row_url(rows.row_id(SERVER_ID, stamp)),
                              HTTP_X_REQUESTED_WITH="XMLHttpRequest")
        self.assertContains(res, 'data-verdict="application-consistent"')
        self.assertContains(res, "proven by the snapshot (ext4 / clean)")
        res = settled_detail(self, stamp)
        self.assertContains(res, "applications at freeze: mysql ok, "
                                 "postgresql ok")

    @test.create_mocks({server_calls: ("compute_version_range", "server_get",
                                       "create_image"),
                        api.glance: ("image_list_detailed",),
                        api.cinder: ("volume_list",),
                        api.nova: ("server_console_output",
                                   "server_metadata_update", "server_list")})
    def test_no_answer_is_recorded_and_a_late_image_still_matches(self):
        base = fixtures.make_image("base", image_id="base-image", **GOOD)
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        self.mock_server_get.return_value = fixtures.server_dict(
            "web", base.id, GOOD, server_id=SERVER_ID)
        self.mock_server_console_output.return_value = BOOT
        self.mock_create_image.side_effect = ks_exc.ConnectTimeout("slow")
        self.mock_image_list_detailed.return_value = ([base], False, False)
        self.mock_server_list.return_value = ([], False)
        res = self.client.post(url("test_snapshot", SERVER_ID),
                               {"name": "t1"}, follow=True)
        self.assertContains(res, "did not answer")
        metadata = self.mock_server_metadata_update.call_args[0][2]
        (key, value), = metadata.items()
        record = records.parse(SERVER_ID, key, value)
        self.assertEqual(records.NO_ANSWER, record.state)

        # Nova created the image after all: the image's row replaces the
        # record's "no answer".
        requested = self.mock_create_image.call_args[0][3][
            core_verdict.REQUESTED_AT]
        late = marked_image(requested, status="saving")
        self.mock_image_list_detailed.return_value = ([late], False, False)
        self.mock_server_list.return_value = ([fixtures.make_server(
            "web", server_id=SERVER_ID, metadata=metadata)], False)
        res = self.client.get(TAB)
        row, = res.context["tab_group"].get_tab(
            "test_snapshots")._tables["test_snapshots"].data
        self.assertEqual(IMAGE_ID, row.image_id)
        self.assertEqual("polling", row.poll_status)

    @test.create_mocks({api.glance: ("image_list_detailed", "image_delete"),
                        api.nova: ("server_list", "server_metadata_delete")})
    def test_delete_a_refused_record(self):
        stamp = stamp_ago(60)
        self.mock_image_list_detailed.return_value = ([], False, False)
        self.mock_server_list.return_value = ([fixtures.make_server(
            "web", server_id=SERVER_ID, metadata=record_meta(
                stamp, state=records.REFUSED, http_status=409,
                verdict="failed", message="busy"))], False)
        self.client.post(TAB, {"action": "test_snapshots__delete__%s" %
                               rows.row_id(SERVER_ID, stamp)})
        self.mock_image_delete.assert_not_called()
        self.mock_server_metadata_delete.assert_called_once_with(
            test.IsHttpRequest(), SERVER_ID, ["consistency_test_" + stamp])


class InstanceDetailTabTests(test.TestCase):
    """The Consistency tab for Horizon's instance detail page (EXTRA_TABS
    of InstanceDetailTabs): rendered on its own, with the calls asserted."""

    @test.create_mocks({server_calls: ("compute_version_range", "server_get"),
                        api.glance: ("image_list_detailed",),
                        api.cinder: ("volume_list",)})
    def test_prediction_button_and_this_instances_verdicts(self):
        import types
        from consistency_dashboard.dashboards.project.consistency\
            .test_snapshots import detail_tab
        base = fixtures.make_image("base", image_id="base-image", **GOOD)
        stamp = stamp_ago(300)
        settled = marked_image(ago(100))
        settled._apiresource.update(core_verdict.image_properties_for(
            core_verdict.Verdict(core_verdict.Level.UNKNOWN, "Not known.",
                                 (), "Install the probe kit."), ago(90)))
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        found = server(record_meta(stamp, state=records.REFUSED,
                                   http_status=409, verdict="failed",
                                   message="task_state image_snapshot"))
        found["image"]["id"] = base.id
        self.mock_server_get.return_value = found
        planted = marked_image(ago(50), image_id=OTHER_IMAGE,
                               owner="other-project")
        planted._apiresource.update(core_verdict.image_properties_for(
            core_verdict.Verdict(core_verdict.Level.APPLICATION_CONSISTENT,
                                 "Planted by another project.", (),
                                 "Nothing."), ago(40)))
        self.mock_image_list_detailed.side_effect = [
            ([base], False, False), ([settled, planted], False, False)]
        group = types.SimpleNamespace(kwargs={
            "instance": types.SimpleNamespace(id=SERVER_ID)})
        tab = detail_tab.ConsistencyTab(group, self.request)
        tab.preload = True  # render as if it were the active tab
        html = tab.render()
        self.assertIn("filesystem-consistent", html)
        self.assertIn(url("test_snapshot", SERVER_ID), html)
        self.assertIn('data-verdict="unknown"', html)
        self.assertIn("Install the probe kit.", html)
        self.assertIn('data-verdict="failed"', html)
        self.assertIn("busy with another task", html)
        self.assertEqual(2, self.mock_image_list_detailed.call_count)
        self.assertNotIn("Planted by another project", html)
        self.mock_image_list_detailed.assert_called_with(
            test.IsHttpRequest(), filters={
                "consistency_test_snapshot": "v1",
                "consistency_instance": SERVER_ID,
                "owner": fixtures.PROJECT_ID},
            sort_key="created_at", sort_dir="desc")
        self.mock_server_get.assert_called_once_with(test.IsHttpRequest(),
                                                     SERVER_ID)


    def test_extra_tabs_entry_loads_the_tab(self):
        from django.conf import settings
        from openstack_dashboard.dashboards.project.instances import \
            tabs as instance_tabs
        from consistency_dashboard.dashboards.project.consistency\
            .test_snapshots import detail_tab
        # The entry requested for the enabled file (EXTRA_TABS).
        key = ("openstack_dashboard.dashboards.project.instances.tabs."
               "InstanceDetailTabs")
        entry = (100, "consistency_dashboard.dashboards.project."
                      "consistency.test_snapshots.detail_tab."
                      "ConsistencyTab")
        group = object.__new__(instance_tabs.InstanceDetailTabs)
        with mock.patch.dict(settings.HORIZON_CONFIG,
                             {"extra_tabs": {key: (entry,)}}):
            self.assertEqual((detail_tab.ConsistencyTab,),
                             group._load_tabs_from_config())

class NovaSnapshotApiTests(test.TestCase):
    """consistency_dashboard.api.servers.create_image and
    consistency_dashboard.api.actions over novaclient."""

    def test_create_image_passes_metadata_and_returns_the_request_id(self):
        from novaclient import base as nova_base
        from openstack_dashboard.api import _nova
        import requests
        response = requests.Response()
        response.headers["x-openstack-request-id"] = REQUEST_ID
        client = mock.Mock()
        client.servers.create_image.return_value = nova_base.StrWithMeta(
            IMAGE_ID, response)
        with mock.patch.object(_nova, "novaclient", return_value=client):
            found = server_calls.create_image(self.request, SERVER_ID,
                                              "t1", {"a": "b"})
        self.assertEqual((IMAGE_ID, REQUEST_ID), found)
        client.servers.create_image.assert_called_once_with(
            SERVER_ID, "t1", metadata={"a": "b"})

    def test_instance_action_events_at_the_asked_microversion(self):
        from openstack_dashboard.api import _nova
        client = mock.Mock()
        client.instance_action.get.return_value = mock.Mock(events=[
            {"event": "compute_snapshot_instance", "result": "Error",
             "details": "boom"}])
        with mock.patch.object(_nova, "novaclient",
                               return_value=client) as novaclient:
            events = action_calls.instance_action_events(
                self.request, SERVER_ID, REQUEST_ID, microversion="2.84")
        novaclient.assert_called_once_with(self.request, version="2.84")
        client.instance_action.get.assert_called_once_with(SERVER_ID,
                                                           REQUEST_ID)
        self.assertEqual("boom", events[0]["details"])



OTHER_SERVER = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"
OTHER_IMAGE = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
FAR_STAMP = "20980101T000000Z"


def settled_image(requested, **extra):
    image = marked_image(requested, **extra)
    image._apiresource.update(core_verdict.image_properties_for(
        core_verdict.Verdict(core_verdict.Level.UNKNOWN, "Not known.", (),
                             "Install the probe."), requested))
    return image


class OwnershipTests(test.TestCase):
    """No GET writes to an image or a server that is not the project's own
    marked test snapshot of a project instance; crafted links and actions
    are refused with a sentence, and Keep and Delete in two tabs never
    delete a kept image."""

    MOCKS = dict(RowUpdateTests.MOCKS)
    MOCKS[api.nova] = ("server_console_output", "server_metadata_update",
                       "server_metadata_delete")

    def _poll(self, row_id, image=None, image_error=None, meta=None,
              tenant_id=fixtures.PROJECT_ID):
        _instance, stamp, _image = rows.split_row_id(row_id)
        RowUpdateTests._cloud(self, stamp, image=image,
                              image_error=image_error,
                              server_meta=meta or {},
                              console=BOOT + probe_lines(7))
        self.mock_server_get.return_value["tenant_id"] = tenant_id
        return self.client.get(row_url(row_id),
                               HTTP_X_REQUESTED_WITH="XMLHttpRequest")

    def assertIn_message(self, res, text):
        from django.contrib import messages as django_messages
        found = [str(m) for m in
                 django_messages.get_messages(res.wsgi_request)]
        self.assertTrue(any(text in m for m in found),
                        "%r not in %r" % (text, found))

    def _assert_nothing_written(self):
        self.mock_image_update_properties.assert_not_called()
        self.mock_server_metadata_update.assert_not_called()
        self.mock_server_metadata_delete.assert_not_called()

    @test.create_mocks(MOCKS)
    def test_row_update_naming_an_unmarked_image_writes_nothing(self):
        stamp = stamp_ago(20)
        someone = fixtures.make_image("someone-elses", image_id=OTHER_IMAGE)
        res = self._poll(rows.row_id(SERVER_ID, stamp, OTHER_IMAGE),
                         image=someone)
        self.assertEqual(404, res.status_code)
        self._assert_nothing_written()

    @test.create_mocks(MOCKS)
    def test_row_update_naming_another_projects_test_snapshot(self):
        stamp = stamp_ago(20)
        theirs = marked_image(records.requested_at_of(stamp),
                              image_id=OTHER_IMAGE, owner="other-project")
        res = self._poll(rows.row_id(SERVER_ID, stamp, OTHER_IMAGE),
                         image=theirs)
        self.assertEqual(404, res.status_code)
        self._assert_nothing_written()

    @test.create_mocks(MOCKS)
    def test_row_update_naming_a_test_snapshot_of_another_instance(self):
        stamp = stamp_ago(20)
        other = marked_image(records.requested_at_of(stamp),
                             image_id=OTHER_IMAGE, instance_id=OTHER_SERVER)
        res = self._poll(rows.row_id(SERVER_ID, stamp, OTHER_IMAGE),
                         image=other)
        self.assertEqual(404, res.status_code)
        self._assert_nothing_written()

    @test.create_mocks(MOCKS)
    def test_row_update_of_another_projects_instance_writes_nothing(self):
        # An admin's token reads any project's server.
        stamp = stamp_ago(20)
        image = marked_image(records.requested_at_of(stamp),
                             owner="other-project")
        res = self._poll(rows.row_id(SERVER_ID, stamp, IMAGE_ID),
                         image=image, tenant_id="other-project",
                         meta=record_meta(stamp, state=records.ACCEPTED,
                                          image_id=IMAGE_ID))
        self.assertEqual(404, res.status_code)
        self._assert_nothing_written()

    @test.create_mocks(MOCKS)
    def test_row_update_naming_a_gone_image_plants_no_record(self):
        res = self._poll(rows.row_id(SERVER_ID, FAR_STAMP, OTHER_IMAGE),
                         image_error=glance_exc.HTTPNotFound())
        self.assertEqual(200, res.status_code)
        self._assert_nothing_written()

    @test.create_mocks(MOCKS)
    def test_row_update_of_own_test_snapshot_still_writes(self):
        stamp = stamp_ago(20)
        res = self._poll(rows.row_id(SERVER_ID, stamp, IMAGE_ID),
                         image=marked_image(records.requested_at_of(stamp)),
                         meta=record_meta(stamp, state=records.ACCEPTED,
                                          image_id=IMAGE_ID))
        self.assertContains(res, 'data-stage="done"')
        self.assertEqual(1, self.mock_image_update_properties.call_count)
        self.assertEqual(1, self.mock_server_metadata_update.call_count)

    @test.create_mocks(MOCKS)
    def test_keep_link_with_a_made_up_stamp_writes_nothing(self):
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        self.mock_server_get.return_value = server({})
        self.mock_image_get.side_effect = glance_exc.HTTPNotFound()
        keep = url("keep_test_snapshot", rows.row_id(SERVER_ID, FAR_STAMP,
                                                     OTHER_IMAGE))
        res = self.client.get(keep)
        self.assertIn_message(res, "no longer exists")
        self._assert_nothing_written()
        self.mock_server_console_output.assert_not_called()

    @test.create_mocks(MOCKS)
    def test_keep_get_of_an_unsettled_test_writes_nothing(self):
        stamp = stamp_ago(20)
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        self.mock_server_get.return_value = server(record_meta(
            stamp, state=records.ACCEPTED, image_id=IMAGE_ID))
        self.mock_image_get.return_value = marked_image(
            records.requested_at_of(stamp))
        res = self.client.get(url("keep_test_snapshot", rows.row_id(
            SERVER_ID, stamp, IMAGE_ID)))
        self.assertIn_message(res, "Only a settled test snapshot")
        self._assert_nothing_written()

    @test.create_mocks(MOCKS)
    def test_keep_link_naming_another_image_than_the_record(self):
        requested = ago(100)
        stamp = records.stamp_of(requested)
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        self.mock_server_get.return_value = server(record_meta(
            stamp, state=records.SETTLED, image_id=IMAGE_ID))
        self.mock_image_get.return_value = settled_image(
            requested, image_id=OTHER_IMAGE)
        keep = url("keep_test_snapshot", rows.row_id(SERVER_ID, stamp,
                                                     OTHER_IMAGE))
        for res in (self.client.get(keep),
                    self.client.post(keep, {"understood": "on"},
                                     )):
            self.assertIn_message(res, "but the record of this test on the "
                                     "instance names image %s" % IMAGE_ID)
        self._assert_nothing_written()

    @test.create_mocks(MOCKS)
    def test_keep_of_another_projects_instance_is_refused(self):
        requested = ago(100)
        stamp = records.stamp_of(requested)
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        found = server(record_meta(stamp, state=records.SETTLED,
                                   image_id=IMAGE_ID))
        found["tenant_id"] = "other-project"
        self.mock_server_get.return_value = found
        self.mock_image_get.return_value = settled_image(requested)
        res = self.client.post(url("keep_test_snapshot", rows.row_id(
            SERVER_ID, stamp, IMAGE_ID)), {"understood": "on"})
        self.assertIn_message(res, "not one of this project")
        self._assert_nothing_written()

    @test.create_mocks(MOCKS)
    def test_keep_after_delete_in_another_tab_says_so(self):
        requested = ago(100)
        stamp = records.stamp_of(requested)
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        self.mock_server_get.return_value = server(record_meta(
            stamp, state=records.SETTLED, image_id=IMAGE_ID))
        # The modal opened; the other tab deleted the image before submit.
        self.mock_image_get.side_effect = [settled_image(requested),
                                           glance_exc.HTTPNotFound()]
        res = self.client.post(url("keep_test_snapshot", rows.row_id(
            SERVER_ID, stamp, IMAGE_ID)), {"understood": "on"})
        self.assertIn_message(res, "no longer exists (it was deleted, "
                                 "perhaps in another tab)")
        self._assert_nothing_written()

    @test.create_mocks({api.glance: ("image_list_detailed", "image_get",
                                     "image_delete"),
                        api.nova: ("server_list", "server_metadata_delete")})
    def test_delete_after_keep_in_another_tab_never_deletes(self):
        requested = ago(100)
        stamp = records.stamp_of(requested)
        image = settled_image(requested)
        self.mock_image_list_detailed.return_value = ([image], False, False)
        self.mock_server_list.return_value = ([fixtures.make_server(
            "web", server_id=SERVER_ID, metadata=record_meta(
                stamp, state=records.SETTLED, image_id=IMAGE_ID))], False)
        # Kept in the other tab: the marker is gone when Delete re-reads.
        kept = settled_image(requested)
        del kept._apiresource[core_verdict.TEST_SNAPSHOT_MARKER]
        self.mock_image_get.return_value = kept
        res = self.client.post(TAB, {"action": "test_snapshots__delete__%s"
                                     % rows.row_id(SERVER_ID, stamp,
                                                   IMAGE_ID)})
        self.assertIn_message(res, "kept as a backup, perhaps in another tab")
        self.mock_image_delete.assert_not_called()
        self.mock_server_metadata_delete.assert_not_called()

    @test.create_mocks({api.glance: ("image_list_detailed", "image_get",
                                     "image_delete"),
                        api.nova: ("server_list", "server_metadata_delete")})
    def test_delete_after_delete_or_with_glance_down_says_so(self):
        requested = ago(100)
        stamp = records.stamp_of(requested)
        self.mock_image_list_detailed.return_value = (
            [settled_image(requested)], False, False)
        self.mock_server_list.return_value = ([fixtures.make_server(
            "web", server_id=SERVER_ID, metadata=record_meta(
                stamp, state=records.SETTLED, image_id=IMAGE_ID))], False)
        action = {"action": "test_snapshots__delete__%s" % rows.row_id(
            SERVER_ID, stamp, IMAGE_ID)}
        # The same re-read as the keep form's, with the same words.
        self.mock_image_get.side_effect = glance_exc.HTTPNotFound()
        res = self.client.post(TAB, action)
        self.assertIn_message(res, "no longer exists (it was deleted, "
                                 "perhaps in another tab): nothing was "
                                 "changed")
        self.mock_image_get.side_effect = glance_exc.HTTPServiceUnavailable()
        res = self.client.post(TAB, action)
        self.assertIn_message(res, "could not be read again before changing "
                                 "it")
        self.assertIn_message(res, "It was not deleted.")
        self.mock_image_delete.assert_not_called()
        self.mock_server_metadata_delete.assert_not_called()

    @test.create_mocks({api.glance: ("image_list_detailed", "image_get",
                                     "image_delete"),
                        api.nova: ("server_list", "server_metadata_delete")})
    def test_delete_of_a_row_no_longer_listed_says_so(self):
        # Another test snapshot is listed; the one the action names is not
        # (deleted or kept in another tab, or a made-up id).
        self.mock_image_list_detailed.return_value = (
            [settled_image(ago(100))], False, False)
        self.mock_server_list.return_value = ([], False)
        res = self.client.post(TAB, {"action": "test_snapshots__delete__%s"
                                     % rows.row_id(SERVER_ID, FAR_STAMP,
                                                   OTHER_IMAGE)})
        self.assertIn_message(res, "no longer listed")
        self.mock_image_get.assert_not_called()
        self.mock_image_delete.assert_not_called()

    @test.create_mocks({api.glance: ("image_list_detailed", "image_get",
                                     "image_delete"),
                        api.nova: ("server_list", "server_metadata_delete")})
    def test_delete_when_the_record_names_another_image(self):
        requested = ago(100)
        stamp = records.stamp_of(requested)
        image = settled_image(requested)
        self.mock_image_list_detailed.return_value = ([image], False, False)
        self.mock_server_list.return_value = ([fixtures.make_server(
            "web", server_id=SERVER_ID, metadata=record_meta(
                stamp, state=records.SETTLED, image_id=OTHER_IMAGE))], False)
        self.mock_image_get.return_value = image
        res = self.client.post(TAB, {"action": "test_snapshots__delete__%s"
                                     % rows.row_id(SERVER_ID, stamp,
                                                   IMAGE_ID)})
        self.assertIn_message(res, "names image %s" % OTHER_IMAGE)
        self.mock_image_delete.assert_not_called()
        self.mock_server_metadata_delete.assert_not_called()


class TestSnapshotDetailTests(test.TestCase):
    """One page per test snapshot: every evidence item with its source and
    strength, the cause, the warnings, the next step; three reads, no
    write."""

    MOCKS = {server_calls: ("compute_version_range", "server_get"),
             api.glance: ("image_get", "image_update_properties"),
             api.nova: ("server_metadata_update",)}

    def _settled(self, stamp):
        strengths = list(core_verdict.Strength)
        verdict = core_verdict.Verdict(
            core_verdict.Level.FILESYSTEM_CONSISTENT,
            "The guest agent froze the filesystems.",
            (core_verdict.EvidenceItem(
                "ext4 journal clean in the snapshot", "the snapshot's bytes",
                core_verdict.Strength.SNAPSHOT_BYTES),
             core_verdict.EvidenceItem(
                 "freeze seq 7 then thaw seq 7, 0.71 s apart",
                 "the guest console", core_verdict.Strength.HOOK_PAIR),
             core_verdict.EvidenceItem("snapshot image active", "Glance")),
            "Nothing to do: keep it as a backup or delete it.",
            warnings=("The probe kit is older than this dashboard.",),
            rests_on="the snapshot's bytes", strength=strengths[0])
        image = marked_image(records.requested_at_of(stamp))
        image._apiresource.update(core_verdict.image_properties_for(
            verdict, records.requested_at_of(stamp)))
        return image

    @test.create_mocks(MOCKS)
    def test_every_evidence_item_cause_warning_and_next_step(self):
        stamp = stamp_ago(600)
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        self.mock_server_get.return_value = server(
            record_meta(stamp, image_id=IMAGE_ID))
        self.mock_image_get.return_value = self._settled(stamp)
        row_id = rows.row_id(SERVER_ID, stamp, IMAGE_ID)

        res = self.client.get(url("test_snapshot_detail", row_id))

        self.assertTemplateUsed(res, "horizon/common/_detail.html")
        self.assertContains(res, 'data-verdict="filesystem-consistent"')
        # Each item read back with its source and strength in their own
        # cells, the one the verdict rests on marked.
        for text in ("<td>ext4 journal clean in the snapshot <span class="
                     "\"label label-info\">the verdict rests on this</span>"
                     "</td><td>the snapshot&#x27;s bytes</td><td>strongest: "
                     "the snapshot&#x27;s own bytes</td>",
                     "<td>freeze seq 7 then thaw seq 7, 0.71 s apart</td>"
                     "<td>the guest console</td><td>weak: hooks ran</td>",
                     "<td>snapshot image active</td><td>Glance</td><td>"
                     "stated by the cloud</td>",
                     "The guest agent froze the filesystems.",
                     "The probe kit is older than this dashboard.",
                     "Nothing to do: keep it as a backup or delete it.",
                     "the verdict rests on this"):
            self.assertContains(res, text)
        self.mock_compute_version_range.assert_called_once_with(
            test.IsHttpRequest())
        self.mock_server_get.assert_called_once_with(test.IsHttpRequest(),
                                                     SERVER_ID)
        self.mock_image_get.assert_called_once_with(test.IsHttpRequest(),
                                                    IMAGE_ID)
        # GET never writes.
        self.mock_image_update_properties.assert_not_called()
        self.mock_server_metadata_update.assert_not_called()

    @test.create_mocks(MOCKS)
    def test_the_row_links_its_detail_page(self):
        stamp = stamp_ago(600)
        row = rows.TestSnapshotRow(SERVER_ID, stamp,
                                   image=rows.plain(self._settled(stamp)))
        from consistency_dashboard.dashboards.project.consistency\
            .test_snapshots import tables as ts_tables
        self.assertIn(url("test_snapshot_detail", row.id),
                      str(ts_tables.name_cell(row)))

    @test.create_mocks({api.glance: ("image_list_detailed",),
                        api.nova: ("server_list",)})
    def test_the_row_is_the_verdict_one_item_and_n_more(self):
        stamp = stamp_ago(600)
        self.mock_image_list_detailed.return_value = (
            [self._settled(stamp)], False, False)
        self.mock_server_list.return_value = ([fixtures.make_server(
            "web", server_id=SERVER_ID, metadata=record_meta(
                stamp, state=records.SETTLED, image_id=IMAGE_ID))], False)
        res = self.client.get(TAB)
        detail = url("test_snapshot_detail",
                     rows.row_id(SERVER_ID, stamp, IMAGE_ID))
        self.assertContains(res, 'data-verdict="filesystem-consistent"')
        # The item from the source the verdict rests on, with its source,
        # and the count of the others, linking to the detail page.
        self.assertContains(res, '<span class="consistency-rests-on"> ext4 '
                                 'journal clean in the snapshot</span>')
        self.assertContains(res, "(the snapshot&#x27;s bytes)")
        self.assertContains(res, '<a href="%s" class="consistency-more">'
                                 '2 more</a>' % detail, html=True)
        # The name opens the same page.
        self.assertContains(res, '<a href="%s" class="consistency-test-link">'
                                 'consistency-test-web</a>' % detail,
                            html=True)
        # Everything else is on the detail page only.
        for text in ("freeze seq 7", "snapshot image active",
                     "The guest agent froze the filesystems.",
                     "The probe kit is older than this dashboard.",
                     "Nothing to do: keep it as a backup"):
            self.assertNotContains(res, text)

    @test.create_mocks(MOCKS)
    def test_another_projects_image_is_not_shown(self):
        stamp = stamp_ago(600)
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        self.mock_server_get.return_value = server()
        image = self._settled(stamp)
        image._apiresource["owner"] = "other-project"
        self.mock_image_get.return_value = image
        res = self.client.get(url("test_snapshot_detail", rows.row_id(
            SERVER_ID, stamp, IMAGE_ID)))
        self.assertRedirectsNoFollow(res, TAB)
        self.assertEqual(["Unable to show this test snapshot: it no longer "
                          "exists (or is not this project's)."],
                         [str(m) for m in res.wsgi_request._messages])
        self.mock_image_update_properties.assert_not_called()

    @test.create_mocks(MOCKS)
    def test_a_crafted_row_id_is_refused_in_words(self):
        res = self.client.get(url("test_snapshot_detail", "not-a-row-id"))
        self.assertRedirectsNoFollow(res, TAB)
        self.assertMessageCount(error=1)
        self.mock_server_get.assert_not_called()


class ImageDeletedAfterVerdictTests(test.TestCase):
    """A test snapshot image deleted by hand after its verdict settled: the
    verdict stands as recorded, but the row and the detail page say the
    snapshot no longer exists (it cannot be restored) instead of the
    failure path's "test again"."""

    def _record(self, stamp):
        return record_meta(stamp, state=records.SETTLED, image_id="gone-image",
                           verdict="filesystem-consistent",
                           cause_code="bytes_clean",
                           cause_params=(
                               ("filesystems", "ext4 on the whole disk"),
                               ("has_have", "has"), ("apps_note", "")))

    @test.create_mocks({api.glance: ("image_list_detailed",),
                        api.nova: ("server_list",)})
    def test_tab_row_says_the_image_was_deleted_after_the_verdict(self):
        stamp = stamp_ago(3600)
        self.mock_image_list_detailed.return_value = ([], False, False)
        self.mock_server_list.return_value = ([fixtures.make_server(
            "web", server_id=SERVER_ID, metadata=self._record(stamp))],
            False)
        res = self.client.get(TAB)
        found, = res.context["tab_group"].get_tab(
            "test_snapshots")._tables["test_snapshots"].data
        self.assertEqual("filesystem-consistent", found.level_label)
        self.assertIn("deleted after the verdict", found.verdict.next_step +
                      " ".join(getattr(item, "text", item)
                               for item in found.verdict.evidence))
        self.assertNotIn("if it fails again", found.verdict.next_step)
        self.assertContains(res, 'data-verdict="filesystem-consistent"')
        self.assertContains(res, "deleted after the verdict")
        self.assertNotContains(res, "if it fails again")

    @test.create_mocks({server_calls: ("compute_version_range", "server_get"),
                        api.glance: ("image_get",)})
    def test_detail_page_says_it_cannot_be_restored(self):
        stamp = stamp_ago(3600)
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        self.mock_server_get.return_value = server(self._record(stamp))
        self.mock_image_get.side_effect = glance_exc.HTTPNotFound()
        res = self.client.get(url("test_snapshot_detail", rows.row_id(
            SERVER_ID, stamp, "gone-image")))
        self.assertContains(res, 'data-verdict="filesystem-consistent"')
        # The verdict stands as recorded: its cause is still shown.
        self.assertContains(res, "clean journal")
        self.assertContains(res, "image gone-image was deleted after the "
                                 "verdict")
        self.assertContains(res, "cannot be restored")
        self.assertContains(res, "Take a new test snapshot")
        self.assertNotContains(res, "if it fails again")

    @test.create_mocks({api.glance: ("image_list_detailed",),
                        api.nova: ("server_list",)})
    def test_glance_down_claims_no_deletion(self):
        stamp = stamp_ago(3600)
        self.mock_image_list_detailed.side_effect = \
            glance_exc.CommunicationError("glance down")
        self.mock_server_list.return_value = ([fixtures.make_server(
            "web", server_id=SERVER_ID, metadata=self._record(stamp))],
            False)
        res = self.client.get(TAB)
        self.assertContains(res, 'data-verdict="filesystem-consistent"')
        self.assertNotContains(res, "deleted after the verdict")
        self.assertNotContains(res, "if it fails again")
        self.assertContains(res, "not checked")
