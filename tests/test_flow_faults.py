"""Fault matrix of the guided "rebuild from its own snapshot" flow, at the
view level: a stateful compute/image stand-in (tests/browser/
compute_fakes.py) behind the openstack_dashboard.api boundary, one fault per
case.  Each case checks what the user is told, that no snapshot or record
is orphaned, and that nothing is lost: a rebuild only ever reaches a
SHUTOFF server, and never one that ran after its snapshot unless the user
typed its name to accept that."""
import json
from unittest import mock

from keystoneauth1 import exceptions as ks_exc
from novaclient import exceptions as nova_exc

from django.urls import reverse

from openstack_dashboard import api
from openstack_dashboard.test import helpers as test

from consistency_dashboard.core import rebuild_flow as flow
from tests import fakes
from tests import fixtures
from tests.browser.compute_fakes import FakeCompute

UUID = "7c0b5a63-7f4e-4f7a-9a43-1d0b6a2b1c11"
NAME = "web-1"
ADVANCE = reverse("horizon:project:consistency:rebuild_from_snapshot_advance",
                  args=(UUID,))
PAGE = reverse("horizon:project:consistency:rebuild_from_snapshot",
               args=(UUID,))
GOOD = {"hw_qemu_guest_agent": "yes", "os_require_quiesce": "yes"}


def table(rows, prefix):
    """One named test method per row of a fault table."""
    def decorate(cls):
        for row in rows:
            def method(self, row=row):
                self._case(*row[1:])
            setattr(cls, "test_%s_%s" % (prefix, row[0]), method)
        return cls
    return decorate


class FlowCase(test.TestCase):
    """A project server booted without the properties, in a small cloud."""

    def setUp(self):
        super().setUp()
        base = fixtures.make_image("base")
        self.glance = fakes.FakeGlance([base])
        self.compute = FakeCompute(self.glance, [
            fixtures.server_dict(NAME, base.id, {}, server_id=UUID)])
        self.base_id = base.id
        patchers = fakes.start(self.glance.patch() + self.compute.patch())
        self.addCleanup(fakes.stop, patchers)

    # driving the page as its script does
    def post(self, decision="continue", name=None):
        data = {"decision": decision}
        if name is not None:
            data["confirm_name"] = name
        res = self.client.post(ADVANCE, data,
                               HTTP_X_REQUESTED_WITH="XMLHttpRequest")
        return res.status_code, json.loads(res.content)

    def drive(self, until=None, limit=20):
        """Poll like the page until ``until`` was called, or the flow
        stops (done, failed, or asking the user)."""
        data = None
        for _ in range(limit):
            _status, data = self.post()
            if until and until in self.calls():
                return data
            if data["done"] or data["failed"] or data["needs_confirmation"]:
                return data
        raise AssertionError("the flow did not settle: %r" % data)

    def start(self, until=None):
        _status, data = self.post("go", NAME)
        assert not data["failed"], data["message"]
        if until and until in self.calls():
            return data
        return self.drive(until)

    def calls(self):
        return self.compute.calls + [c[0] for c in self.glance.calls]

    # what is left behind
    @property
    def server(self):
        return self.compute.servers.get(UUID)

    def record(self):
        return flow.decode_record(
            (self.server or {}).get("metadata", {}).get(flow.RECORD_KEY))

    def flow_snapshots(self):
        return sorted(i["id"] for i in self.glance.images.values()
                      if i.get(flow.SNAPSHOT_TAG) == "v1")

    def assert_nothing_orphaned(self):
        """Every tagged snapshot is the record's (or the server runs from
        it), and a record names an existing snapshot or none."""
        record = self.record()
        for image_id in self.flow_snapshots():
            assert (record and record.snapshot_id == image_id) or (
                record and record.snapshot_requested), \
                "orphaned snapshot %s" % image_id
        if record and record.snapshot_id:
            assert record.snapshot_id in self.glance.images

    def assert_rebuilds_only_when_shutoff(self):
        assert set(self.compute.rebuilt_while) <= {"SHUTOFF"}

    def assert_done(self):
        assert self.server["status"] == "ACTIVE"
        assert self.server["image"]["properties"] == GOOD
        assert self.record() is None
        self.assert_rebuilds_only_when_shutoff()


# Interrupted after each step, the instance started by the user in between.
INTERRUPTIONS = [
    # (case, after this call, the stale kind the page shows: None when the
    #  flow may simply finish)
    ("after_stop", "server_stop", "restarted"),
    ("after_snapshot", "snapshot_create", "ran_after"),
    ("after_properties", "image_update_properties", "ran_after"),
    ("after_rebuild", "server_rebuild", None),
]


@table(INTERRUPTIONS, "interrupted")
class InterruptedThenStartedTests(FlowCase):

    def _interrupt(self, after):
        self.start(until=after)
        self.compute.user_start(UUID) if self.server["status"] == \
            "SHUTOFF" else None
        return len(self.compute.rebuilt_while)

    def _case(self, after, stale):
        rebuilds = self._interrupt(after)
        data = self.drive()
        if stale is None:
            # Rebuilt already: the user's run is on the fixed disk.
            assert data["done"], data["message"]
            self.assert_done()
            return
        # Never a silent resume: the page asks, nothing was sent.
        assert data["stale"] == stale, data
        assert data["needs_confirmation"] and data["can_discard"]
        assert len(self.compute.rebuilt_while) == rebuilds
        assert self.server["status"] == "ACTIVE"
        # Polling again without the name changes nothing.
        _s, again = self.post()
        assert again["stale"] == stale
        assert self.server["status"] == "ACTIVE"
        # A wrong name is not a confirmation.
        _s, wrong = self.post("go", "web-2")
        assert wrong["stale"] == stale
        self.assert_nothing_orphaned()

    def test_resume_after_run_says_what_is_lost_then_finishes(self):
        self.start(until="snapshot_create")
        self.compute.user_start(UUID)
        data = self.drive()
        assert "lose everything written since then" in data["message"]
        _s, data = self.post("go", NAME)
        assert not data["failed"]
        data = self.drive()
        assert data["done"], data["message"]
        self.assert_done()
        self.assert_nothing_orphaned()

    def test_discard_after_run_deletes_the_stale_snapshot_and_record(self):
        self.start(until="snapshot_create")
        stale_snapshot = self.flow_snapshots()[0]
        self.compute.user_start(UUID)
        self.drive()
        _s, data = self.post("discard")
        assert data["discarded"]
        assert stale_snapshot in data["message"]
        assert self.record() is None and self.flow_snapshots() == []
        assert self.server["status"] == "ACTIVE"
        # Start again: the new snapshot is taken after the user's run.
        data = self.start()
        assert data["done"], data["message"]
        self.assert_done()

    def test_restarted_resume_stops_it_again_and_snapshots_after(self):
        self.start(until="server_stop")
        self.compute.user_start(UUID)
        user_run = self.compute.actions[UUID][0][1]
        self.drive()
        _s, data = self.post("go", NAME)
        data = self.drive()
        assert data["done"], data["message"]
        snapshot = self.glance.images[self.server["image"]["id"]]
        # Nothing lost: the snapshot is later than the user's run.
        assert snapshot["created_at"].rstrip("Z") > user_run[:19]


class OtherFaultTests(FlowCase):

    def test_instance_deleted_mid_flow_names_the_kept_snapshot(self):
        self.start(until="snapshot_create")
        snapshot = self.flow_snapshots()[0]
        self.compute.delete_server(UUID)
        status, data = self.post()
        assert data["failed"]
        assert "not found (404)" in data["message"]
        assert snapshot in data["message"] and "kept in Images" in \
            data["message"]
        assert snapshot in self.glance.images   # the last copy of the disk

    def test_snapshot_deleted_by_hand_is_stale_and_resume_takes_a_new(self):
        self.start(until="snapshot_create")
        old = self.flow_snapshots()[0]
        del self.glance.images[old]
        data = self.drive()
        assert data["stale"] == "snapshot_gone", data
        assert old in data["message"]
        assert "server_rebuild" not in self.calls()
        self.post("go", NAME)
        data = self.drive()
        assert data["done"], data["message"]
        assert self.server["image"]["id"] != old
        self.assert_done()
        self.assert_nothing_orphaned()

    def test_nova_refusing_the_snapshot_leaves_no_record_of_it(self):
        self.compute.user_stop(UUID)   # start from SHUTOFF
        self.compute.fail("snapshot_create", nova_exc.ClientException(
            413, "Quota exceeded for images"))
        _s, data = self.post("go", NAME)
        assert data["failed"] and "quota exceeded (413)" in data["message"]
        assert self.record() is None and self.flow_snapshots() == []


QUOTA = nova_exc.Forbidden(403, "Maximum number of metadata items exceeds "
                                "128")

# The record write that fails, counted from the flow's start: 1 the first
# intent (before the stop), 2 the snapshot intent, 3 the snapshot's id,
# 4 the rebuild intent.
RECORD_WRITE_FAULTS = [
    # (case, nth write, snapshots left, rebuilds sent)
    ("first_intent", 1, 0, 0),
    ("snapshot_intent", 2, 0, 0),
    ("snapshot_id", 3, 1, 0),
    ("rebuild_intent", 4, 1, 0),
]


@table(RECORD_WRITE_FAULTS, "quota_403_on_write")
class RecordWriteFailsTests(FlowCase):

    def _case(self, nth, snapshots, rebuilds):
        calls = {"n": 0}
        original = self.compute.server_metadata_update

        def counting(request, server_id, metadata):
            calls["n"] += 1
            if calls["n"] == nth:
                self.compute.calls.append("server_metadata_update")
                raise QUOTA
            return original(request, server_id, metadata)

        with mock.patch.object(api.nova, "server_metadata_update", counting):
            _s, data = self.post("go", NAME)
            if not data["failed"]:
                data = self.drive()
        assert data["failed"], data
        assert "could not be written" in data["message"]
        assert "metadata is full" in data["message"]
        assert "Nothing is repeated" in data["message"]
        assert len(self.flow_snapshots()) == snapshots
        assert len(self.compute.rebuilt_while) == rebuilds
        # Continuing once the quota allows it repeats nothing and finishes
        # (a flow whose first record was never written was never started).
        data = self.drive()
        if data["needs_confirmation"] and not data["stale"]:
            _s, data = self.post("go", NAME)
            data = self.drive()
        assert data["done"], data["message"]
        assert self.compute.calls.count("snapshot_create") == 1
        assert self.compute.calls.count("server_rebuild") == 1
        self.assert_done()


NOVA_DOWN = [
    ("503", "server_get", nova_exc.ClientException(503, "Unavailable")),
    ("connection_refused", "server_get", ks_exc.ConnectFailure("refused")),
    ("503_on_the_rebuild", "server_rebuild",
     nova_exc.ClientException(503, "Unavailable")),
]


def keystone_404(url, method):
    """A 404 as keystoneauth's session raises it (from_response sets the
    status, the URL and the method on the instance)."""
    exc = ks_exc.NotFound()
    exc.http_status, exc.url, exc.method = 404, url, method
    return exc


@table(NOVA_DOWN, "nova_down")
class NovaDownAndSessionTests(FlowCase):

    def _case(self, call, exc):
        self.start(until="snapshot_create")
        self.compute.fail(call, exc)
        data = self.drive()
        assert data["failed"], data
        assert "could not be reached" in data["message"]
        assert self.compute.rebuilt_while == []
        data = self.drive()
        assert data["done"], data["message"]
        self.assert_done()
        assert self.compute.calls.count("snapshot_create") == 1

    def test_token_expired_mid_flow_answers_401_with_a_sentence(self):
        self.start(until="snapshot_create")
        self.compute.fail("server_get", nova_exc.Unauthorized(401, "expired"))
        status, data = self.post()
        assert status == 401
        assert "session has expired" in data["message"]
        assert "nothing was lost" in data["message"]
        assert len(self.flow_snapshots()) == 1 and self.record().snapshot_id
        data = self.drive()
        assert data["done"], data["message"]

    def test_token_revoked_mid_flow_keystone_404_is_a_401(self):
        # Seen on the real cloud: with the user's tokens revoked, the
        # clients' token plugin re-scopes at Keystone and gets 404 "Failed
        # to validate token"; that is the login ending, not a lost server.
        self.start(until="snapshot_create")
        self.compute.fail("server_get", keystone_404(
            "http://keystone/v3/auth/tokens", "POST"))
        status, data = self.post()
        assert status == 401, data
        assert "session has expired" in data["message"]
        assert "not found" not in data["message"]
        data = self.drive()
        assert data["done"], data["message"]

    def test_a_server_404_is_still_not_found(self):
        self.start(until="snapshot_create")
        self.compute.fail("server_get", keystone_404(
            "http://nova/v2.1/servers/%s" % UUID, "GET"))
        status, data = self.post()
        assert status == 200 and data["failed"], data
        assert "not found (404)" in data["message"]

    # A Django session that expires makes Horizon's middleware answer the
    # page's POST with an empty 401 (horizon/middleware/base.py); the page's
    # script turns it into the same sentence (browser test).


class RecheckBeforeEachStepTests(FlowCase):

    def test_server_started_between_the_look_and_the_rebuild(self):
        self.start(until="image_update_properties")
        # The user starts it right after the flow wrote its rebuild intent.
        self.compute.hooks["server_metadata_update"] = \
            lambda: self.compute.user_start(UUID)
        _s, data = self.post()
        assert data["failed"]
        assert "was not sent" in data["message"]
        assert self.compute.rebuilt_while == []
        data = self.drive()
        assert data["stale"] == "ran_after"

    def test_lost_record_is_found_by_the_snapshot_tag(self):
        self.start(until="snapshot_create")
        snapshot = self.flow_snapshots()[0]
        del self.server["metadata"][flow.RECORD_KEY]
        self.compute.user_start(UUID)
        res = self.client.get(PAGE)
        self.assertContains(res, "lost_record")
        _s, data = self.post()
        assert data["stale"] == "lost_record"
        assert snapshot in data["message"]
        _s, data = self.post("go", NAME)
        data = self.drive()
        assert data["done"], data["message"]
        assert self.server["image"]["id"] == snapshot
        assert self.compute.calls.count("snapshot_create") == 1
        # Finished: the tag says so, the snapshot is not "lost" again.
        assert self.glance.images[snapshot][flow.SNAPSHOT_TAG] == "done"
        self.assert_done()

    def test_other_projects_instance_is_refused(self):
        self.server["tenant_id"] = "other-project"
        status, data = self.post("go", NAME)
        assert data["failed"]
        assert "not in the current project" in data["message"]
        assert "server_stop" not in self.calls()
        assert self.record() is None

