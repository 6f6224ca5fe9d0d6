"""The fault matrix, view-test part: faults injected at the
``openstack_dashboard.api`` / ``consistency_dashboard.api`` boundary into a
stateful fake cloud (tests/fakes.py FakeSnapshotCloud), one row per fault.
Each row checks what the user sees (a sentence they can act on, never the
exception's text) and what is left behind in the fake cloud (test snapshot
images and records on the instance): no orphan, nothing lost.

The cloud-layer suite injects the faults that can be made for real; these
are the ones a view test makes exactly (quota answers, a revoked token, a
race between two requests)."""
import dataclasses
import typing

from django.urls import reverse
from glanceclient import exc as glance_exc
from novaclient import exceptions as nova_exc

from openstack_dashboard.test import helpers as test

from consistency_dashboard.core import verdict as core_verdict
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import records
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import rows
from tests import fakes
from tests import fixtures

GOOD = {"hw_qemu_guest_agent": "yes", "os_require_quiesce": "yes"}
SERVER_ID = "aaaaaaaa-1111-4222-8333-555555555555"
INDEX_URL = reverse("horizon:project:consistency:index")
TAB = INDEX_URL + "?tab=consistency__test_snapshots"


def _start_url():
    return reverse("horizon:project:consistency:test_snapshot",
                   args=(SERVER_ID,))


def _row_url(row_id):
    return TAB + "&action=row_update&table=test_snapshots&obj_id=" + row_id


# --- faults: each changes the fake cloud at the API boundary ---------------

def _raise_on_create(exc):
    def inject(case, cloud):
        def create_image(request, server_id, name, metadata):
            cloud.calls.append("create_image")
            raise exc
        case.patch(cloud, "create_image", create_image)
    return inject


def _metadata_quota(case, cloud):
    def update(request, instance_id, metadata):
        cloud.calls.append("server_metadata_update")
        raise nova_exc.Forbidden(403, "Quota exceeded for metadata items")
    case.patch(cloud, "server_metadata_update", update)


def _metadata_limit(case, cloud):
    # The words of Nova 34's server metadata API (MetadataLimitExceeded).
    def update(request, instance_id, metadata):
        cloud.calls.append("server_metadata_update")
        raise nova_exc.Forbidden(403, "Maximum number of metadata items "
                                      "exceeds 128")
    case.patch(cloud, "server_metadata_update", update)


def _second_while_first_runs(case, cloud):
    # The first test is accepted; Nova refuses the second while it runs.
    case.start()
    _raise_on_create(nova_exc.Conflict(
        409, "Cannot 'createImage' instance %s while it is in task_state "
             "image_snapshot" % SERVER_ID))(case, cloud)


def _image_deleted_by_hand(case, cloud):
    case.start()
    case.poll()                     # queued -> saving
    for image_id in list(cloud.images):
        if core_verdict.is_test_snapshot(cloud.images[image_id]):
            del cloud.images[image_id]


def _instance_deleted(case, cloud):
    case.start()
    case.poll()
    # Nova deletes the failed snapshot's image with the instance.
    del cloud.servers[SERVER_ID]
    for image_id in list(cloud.images):
        if core_verdict.is_test_snapshot(cloud.images[image_id]):
            del cloud.images[image_id]


def _token_revoked(case, cloud):
    case.start()

    def image_get(request, image_id):
        raise glance_exc.HTTPUnauthorized("The request you have made "
                                          "requires authentication.")
    case.patch(cloud, "image_get", image_get)


def _console_500(case, cloud):
    # What Nova answers when nova-compute does not answer the console call
    # (seen on the real cloud with nova-compute stopped).
    def console(request, instance_id):
        raise nova_exc.ClientException(
            500, "Unexpected API Error. Please contact the administrator "
                 "<class 'oslo_messaging.exceptions.MessagingTimeout'>")
    case.patch(cloud, "server_console_output", console)


def _compute_restarted_mid_snapshot(case, cloud):
    """nova-compute stopped in the middle of the snapshot and started
    again: it cleared the instance's task state and left the image queued
    (seen on the real cloud); a minute later the row looks again."""
    import datetime
    from unittest import mock
    case.start()

    def abandoned(image):
        server = cloud.servers.get(image.get("instance_uuid"))
        if server is not None:
            server["OS-EXT-STS:task_state"] = None
    later = rows.now() + datetime.timedelta(seconds=60)
    for patcher in (mock.patch.object(cloud, "_advance", abandoned),
                    mock.patch.object(rows, "now", lambda: later)):
        patcher.start()
        case.extra.append(patcher)


def _status(status):
    def inject(case, cloud):
        cloud.servers[SERVER_ID]["status"] = status
        case.start()
    return inject


@dataclasses.dataclass
class Fault:
    name: str
    inject: typing.Callable
    act: str                    # "start" or "poll" (until settled)
    says: tuple                 # what the user sees
    images_left: int            # marked test snapshot images in the cloud
    records_left: int           # consistency_test_* keys on the instance
    not_said: tuple = ()
    on_detail: tuple = ()       # what the test snapshot's detail page says


FAULTS = (
    Fault("quota exceeded on snapshot (413)",
          _raise_on_create(nova_exc.OverLimit(
              413, "Maximum number of images exceeded")), "start",
          ("Nova refused the test snapshot", "Over quota: Maximum number "
           "of images exceeded", "This was not a test"), 0, 0),
    Fault("quota exceeded on snapshot (403)",
          _raise_on_create(nova_exc.Forbidden(
              403, "Quota exceeded for resources: ['snapshots']")), "start",
          ("Over quota", "ask for more quota", "This was not a test"), 0, 0),
    Fault("server metadata quota hit", _metadata_quota, "start",
          ("was not started", "metadata is full", "Nothing was created"),
          0, 0),
    Fault("server metadata limit hit (Nova 34's words)", _metadata_limit,
          "start", ("was not started", "metadata is full",
                    "Nothing was created"), 0, 0),
    Fault("two test snapshots at once (Nova 409)", _second_while_first_runs,
          "start", ("busy with another task", "Wait until the instance",
                    "This was not a test"), 1, 1),
    Fault("test snapshot image deleted by hand while polling",
          _image_deleted_by_hand, "poll",
          ('data-verdict="failed"', "vanished (HTTP 404)"), 0, 1),
    Fault("instance deleted mid-snapshot", _instance_deleted, "poll",
          ('data-verdict="failed"', "deleted while it was being "
           "snapshotted", "shown only here"), 0, 0),
    Fault("Keystone token expiry (401) during polling", _token_revoked,
          "poll", ('data-stage="log in again"', "log in again",
                   "nothing was decided or lost"), 1, 1,
          not_said=('data-verdict="failed"', "requires authentication")),
    Fault("nova-compute restarted mid-snapshot (image left queued)",
          _compute_restarted_mid_snapshot, "poll",
          ('data-verdict="failed"', 'data-stage="done"', "is queued"), 1, 1,
          not_said=("not a failure", "still running")),
    Fault("console read fails with Nova's 500 (nova-compute down)",
          _console_500, "start",
          ("cannot be read (failed (500): an internal error of Nova",
           "requested (image"), 1, 1,
          not_said=("Unexpected API Error", "<class", "MessagingTimeout")),
    # The snapshot path follows the power state at the request (a cold
    # copy of a stopped instance, no freeze of a paused one): the row
    # settles with a verdict that names it, never "failed".
    Fault("stopped instance", _status("SHUTOFF"), "poll",
          ('data-stage="done"',), 1, 1,
          not_said=('data-verdict="failed"', 'data-verdict="in progress"'),
          on_detail=("instance stopped at the request",)),
    Fault("paused instance", _status("PAUSED"), "poll",
          ('data-stage="done"',), 1, 1,
          not_said=('data-verdict="failed"', 'data-verdict="in progress"'),
          on_detail=("instance paused at the request",)),
)


class FaultMatrixTests(test.TestCase):

    def setUp(self):
        super().setUp()
        self.patchers, self.extra = [], []
        self.addCleanup(lambda: fakes.stop(self.extra + self.patchers))

    def fresh_cloud(self):
        fakes.stop(self.extra + self.patchers)
        base = fixtures.make_image("base", image_id="base-image", **GOOD)
        self.cloud = fakes.FakeSnapshotCloud(
            [fixtures.server_dict("web", base.id, GOOD,
                                  server_id=SERVER_ID)],
            images=[base], guest_probe={SERVER_ID: "fs"})
        self.patchers = fakes.start(self.cloud.patch())
        self.extra = []
        self.stamp = self.image_id = None

    # -- what the user does ---------------------------------------------------
    def patch(self, cloud, name, replacement):
        """Replace one boundary call of the fake (the fault)."""
        from unittest import mock
        from openstack_dashboard import api
        from consistency_dashboard.api import servers as server_calls
        owner = {"create_image": server_calls,
                 "image_get": api.glance}.get(name, api.nova)
        patcher = mock.patch.object(owner, name, replacement)
        patcher.start()
        self.extra.append(patcher)

    def start(self):
        # Only this request's messages (earlier ones wait in a cookie).
        self.client.cookies.pop("messages", None)
        res = self.client.post(_start_url(), {"name": "t1"})
        return " ".join(str(m) for m in res.wsgi_request._messages)

    def row_id(self):
        server = self.cloud.servers.get(SERVER_ID) or {}
        found = records.records_of(SERVER_ID, server.get("metadata"))
        stamp = found[0].stamp if found else self.stamp
        image_id = found[0].image_id if found else self.image_id
        return rows.row_id(SERVER_ID, stamp, image_id)

    def poll(self, times=1):
        text = ""
        for _ in range(times):
            self.stamp_and_image()
            text = self.client.get(
                _row_url(self.row_id()),
                HTTP_X_REQUESTED_WITH="XMLHttpRequest").content.decode()
            if 'class="ajax-update warning"' not in text:
                break
        return text

    def stamp_and_image(self):
        server = self.cloud.servers.get(SERVER_ID)
        if server is None:
            return
        found = records.records_of(SERVER_ID, server.get("metadata"))
        if found:
            self.stamp, self.image_id = found[0].stamp, found[0].image_id

    # -- what is left behind ------------------------------------------------
    def images_left(self):
        return sum(1 for i in self.cloud.images.values()
                   if core_verdict.is_test_snapshot(i))

    def records_left(self):
        server = self.cloud.servers.get(SERVER_ID) or {}
        return len(records.records_of(SERVER_ID, server.get("metadata")))

    def test_fault_matrix(self):
        for fault in FAULTS:
            with self.subTest(fault=fault.name):
                self.fresh_cloud()
                fault.inject(self, self.cloud)
                seen = self.start() if fault.act == "start" else \
                    self.poll(times=6)
                for text in fault.says:
                    self.assertIn(text, seen)
                for text in fault.not_said:
                    self.assertNotIn(text, seen)
                if fault.on_detail:
                    detail = self.client.get(reverse(
                        "horizon:project:consistency:test_snapshot_detail",
                        args=(self.row_id(),))).content.decode()
                    for text in fault.on_detail:
                        self.assertIn(text, detail)
                self.assertEqual(fault.images_left, self.images_left())
                self.assertEqual(fault.records_left, self.records_left())

    def test_token_expiry_loses_nothing_once_logged_in_again(self):
        self.fresh_cloud()
        _token_revoked(self, self.cloud)
        self.poll()
        record, = records.records_of(
            SERVER_ID, self.cloud.servers[SERVER_ID]["metadata"])
        # Nothing decided or written while the token was refused.
        self.assertEqual(records.ACCEPTED, record.state)
        self.assertNotIn("image_update_properties", self.cloud.calls)
        fakes.stop(self.extra)
        self.extra = []
        text = self.poll(times=6)
        self.assertIn('data-verdict="filesystem-consistent"', text)
        record, = records.records_of(
            SERVER_ID, self.cloud.servers[SERVER_ID]["metadata"])
        self.assertEqual(records.SETTLED, record.state)


class BulkFixFaultTests(test.TestCase):
    """Glance goes down in the middle of a bulk fix: the user is told
    exactly which images changed and which did not."""

    def test_glance_down_during_a_bulk_fix(self):
        images = [fixtures.make_image(name) for name in
                  ("alpha", "bravo", "charlie")]
        glance = fakes.FakeGlance(images)
        nova = fakes.FakeNova()
        glance.failures[images[1].id] = glance_exc.CommunicationError(
            "[Errno 111] ECONNREFUSED http://glance.example:9292/v2/images")
        patchers = fakes.start(glance.patch() + nova.patch())
        self.addCleanup(fakes.stop, patchers)
        res = self.client.post(
            reverse("horizon:project:consistency:fix",
                    args=("make_consistent",)),
            {"fix": "make_consistent",
             "image_ids": ",".join(i.id for i in images)})
        said = " ".join(str(m) for m in res.wsgi_request._messages)
        self.assertIn("Changed 1 image(s): alpha (set hw_qemu_guest_agent="
                      "yes, os_require_quiesce=yes).", said)
        # The update of bravo may have landed before Glance went away (its
        # PATCH, then the read that failed): not confirmed either way; the
        # rest is not sent to a Glance that stopped answering.
        self.assertIn("Not confirmed, perhaps changed: bravo (Glance could "
                      "not be reached; try again later)", said)
        self.assertIn("Failed, not changed: charlie (not tried: Glance "
                      "stopped answering)", said)
        self.assertNotIn("ECONNREFUSED", said)
        left = {glance.images[i.id]["name"]:
                glance.images[i.id].get("hw_qemu_guest_agent")
                for i in images}
        self.assertEqual({"alpha": "yes", "bravo": None, "charlie": None},
                         left)
