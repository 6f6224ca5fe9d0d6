"""The plugin's own overhead per test snapshot: OpenStack API
calls made and wall time spent in the plugin, with Nova, Glance and Cinder
faked at the API boundary (tests/fakes.py FakeSnapshotCloud, instantaneous;
the time spent inside the fake is measured and subtracted, so what is left
is the plugin plus Horizon/Django around it).

One test snapshot, phase by phase: the modal (predicted outcome), the
submit (baseline, record, createImage, record), the Test snapshots tab,
each ajax row poll until the verdict (the last one settles: evidence,
verdict, writes), and the tab again.  Then the tab's cost with 1 and 50
test snapshots, to show it stays constant in calls.

    .venv/bin/python benchmarks/test_snapshot_overhead.py

Not a test: it prints figures and fails only if the flow itself breaks.
"""
import collections
import sys
import time

import harness  # noqa: F401  (sets up Django)

from django.urls import reverse  # noqa: E402

from openstack_dashboard.test import helpers as test  # noqa: E402

from consistency_dashboard.core import verdict as core_verdict  # noqa: E402
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import rows  # noqa: E402
from tests import fakes  # noqa: E402
from tests import fixtures  # noqa: E402

GOOD = {"hw_qemu_guest_agent": "yes", "os_require_quiesce": "yes"}
SERVER_ID = "aaaaaaaa-1111-4222-8333-444444444444"
TAB = reverse("horizon:project:consistency:index") + \
    "?tab=consistency__test_snapshots"
RUNS = 5


class TimedCloud(fakes.FakeSnapshotCloud):
    """The fake, with the time spent inside it (the "API" time) added up."""

    api_seconds = 0.0

    def patch(self):
        for name in ("compute_version_range", "server_get_dict",
                     "server_list_page", "create_image",
                     "instance_action_events", "server_list",
                     "server_console_output", "server_metadata_update",
                     "server_metadata_delete", "image_list_detailed",
                     "image_get", "image_update_properties", "image_delete",
                     "volume_list", "volume_snapshot_list", "check_snapshot"):
            setattr(self, name, self._timed(getattr(self, name)))
        return super().patch()

    def _timed(self, function):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.api_seconds += time.perf_counter() - start
        return timed


class Phase(object):
    def __init__(self, cloud):
        self.cloud = cloud

    def __enter__(self):
        self.calls_before = len(self.cloud.calls)
        self.api_before = self.cloud.api_seconds
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.start
        self.api = self.cloud.api_seconds - self.api_before
        self.calls = self.cloud.calls[self.calls_before:]
        self.plugin_ms = (self.wall - self.api) * 1000


class Bench(test.TestCase):

    def _cloud(self, extra_tests=0):
        base = fixtures.make_image("base", image_id="base-image", **GOOD)
        server = fixtures.server_dict("db", base.id, GOOD,
                                      server_id=SERVER_ID)
        cloud = TimedCloud([server], images=[base],
                           guest_probe={SERVER_ID: "fs"})
        for i in range(extra_tests):
            requested = rows.now().replace(microsecond=0)
            requested = requested.replace(minute=i % 60, second=i % 60)
            props = core_verdict.marker_metadata(requested, SERVER_ID)
            props.update(core_verdict.image_properties_for(
                core_verdict.Verdict(core_verdict.Level.UNKNOWN, "x", (),
                                     "y"), requested))
            image_id = "11111111-0000-4000-8000-%012d" % i
            cloud.images[image_id] = dict(
                props, id=image_id, name="t%d" % i, status="active",
                owner="1", visibility="private", instance_uuid=SERVER_ID,
                created_at="2026-11-22T10:00:00Z")
        return cloud

    def _one_flow(self):
        cloud = self._cloud()
        patchers = fakes.start(cloud.patch())
        phases = collections.OrderedDict()
        try:
            url = reverse("horizon:project:consistency:test_snapshot",
                          args=(SERVER_ID,))
            with Phase(cloud) as phases["modal (predicted outcome)"]:
                assert self.client.get(url).status_code == 200
            with Phase(cloud) as phases["submit (start the test)"]:
                res = self.client.post(url, {"name": "bench"})
                assert res.status_code == 302, res.status_code
            with Phase(cloud) as phases["Test snapshots tab"]:
                res = self.client.get(TAB)
                table = res.context["tab_group"].get_tab(
                    "test_snapshots")._tables["test_snapshots"]
                row_id = table.data[0].id
            polls = 0
            while True:
                polls += 1
                name = "poll %d" % polls
                with Phase(cloud) as phases[name]:
                    res = self.client.get(
                        TAB + "&action=row_update&table=test_snapshots"
                        "&obj_id=" + row_id,
                        HTTP_X_REQUESTED_WITH="XMLHttpRequest")
                    assert res.status_code == 200, res.status_code
                if b'data-stage="done"' in res.content and \
                        b'data-verdict="still running"' not in res.content:
                    phases[name + " (settles)"] = phases.pop(name)
                    break
                assert polls < 10, "never settled"
            assert b"filesystem-consistent" in res.content
            with Phase(cloud) as phases["Test snapshots tab (settled)"]:
                self.client.get(TAB)
        finally:
            fakes.stop(patchers)
        return phases

    def test_overhead_per_test_snapshot(self):
        runs = [self._one_flow() for _ in range(RUNS)]
        print("\nOne test snapshot, median of %d runs (API faked, time "
              "inside the fake subtracted):" % RUNS)
        print("  %-34s %5s  %9s  %s" % ("phase", "calls", "plugin ms",
                                       "API calls"))
        total_calls = 0
        total_ms = 0.0
        for name in runs[0]:
            found = [r[name] for r in runs if name in r]
            ms = sorted(p.plugin_ms for p in found)[len(found) // 2]
            calls = found[0].calls
            counted = [c for c in calls if c != "compute_version_range"]
            total_calls += len(counted)
            total_ms += ms
            summary = collections.Counter(counted)
            print("  %-34s %5d  %9.1f  %s" % (
                name, len(counted), ms, ", ".join(
                    "%s x%d" % kv if kv[1] > 1 else kv[0]
                    for kv in summary.items())))
        print("  %-34s %5d  %9.1f" % ("total per test snapshot",
                                       total_calls, total_ms))
        print("  (compute_version_range is cached in the login session: "
              "one call per session, not counted)")

    def test_tab_calls_stay_constant(self):
        print("\nTest snapshots tab, API calls and plugin ms by number of "
              "test snapshots:")
        from unittest import mock
        join_seconds = []
        real_join = rows.join

        def timed_join(*args, **kwargs):
            start = time.perf_counter()
            try:
                return real_join(*args, **kwargs)
            finally:
                join_seconds.append(time.perf_counter() - start)

        for count in (1, 50):
            cloud = self._cloud(extra_tests=count)
            patchers = fakes.start(cloud.patch() + [
                mock.patch.object(rows, "join", timed_join)])
            del join_seconds[:]
            try:
                self.client.get(TAB)
                samples = []
                for _ in range(RUNS):
                    with Phase(cloud) as phase:
                        res = self.client.get(TAB)
                    samples.append(phase)
                table = res.context["tab_group"].get_tab(
                    "test_snapshots")._tables["test_snapshots"]
                assert len(table.data) == count, len(table.data)
            finally:
                fakes.stop(patchers)
            ms = sorted(p.plugin_ms for p in samples)[RUNS // 2]
            joined = sorted(join_seconds)[len(join_seconds) // 2] * 1000
            print("  %3d test snapshots: %d calls (%s), %.1f ms median "
                  "(%.2f ms per row); of which row assembly (join, stored "
                  "verdicts, poll stages) %.2f ms, the rest page and table "
                  "rendering (Horizon templates, cell functions)" % (
                      count, len(samples[0].calls),
                      ", ".join(samples[0].calls), ms, ms / count, joined))


if __name__ == "__main__":
    sys.exit(0 if harness.run_case(Bench) else 1)
