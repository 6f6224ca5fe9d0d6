"""Server-side render of the Images and Instances tabs against Horizon's own
Project > Images and Project > Instances views, on the same data, in the same
run, with OpenStack replaced at the openstack_dashboard.api boundary.

Prints, per page size: OpenStack API calls, median ms per page, ms per row,
and the per-row ratio (ours / Horizon's; below 1.0 means faster).

    .venv/bin/python benchmarks/project_tabs_render.py [rows ...]
"""
import sys
from unittest import mock

import harness  # noqa: F401  (sets up Django)

from django.test.utils import override_settings  # noqa: E402

from openstack_dashboard import api  # noqa: E402
from openstack_dashboard.test import helpers as test  # noqa: E402

from consistency_dashboard.api import servers as server_calls  # noqa: E402
from tests import fixtures  # noqa: E402

ROWS = [int(a) for a in sys.argv[1:]] or [20, 100]


def images(n):
    out = []
    for i in range(n):
        props = [{}, {"hw_qemu_guest_agent": "yes"},
                 {"hw_qemu_guest_agent": "yes", "os_require_quiesce": "yes"},
                 {"os_require_quiesce": "1", "hw_require_fsfreeze": "yes"}][i % 4]
        out.append(fixtures.make_image("image-%05d" % i, **props))
    return out


class Bench(test.TestCase):

    def _patch(self, target, name, **kwargs):
        patcher = mock.patch.object(target, name, **kwargs)
        self._mine.append(patcher)
        return patcher.start()

    def setUp(self):
        super().setUp()
        self._mine = []

    def _unpatch(self):
        # Only ours: Horizon's TestCase keeps its own panel mocks running.
        while self._mine:
            self._mine.pop().stop()

    def _horizon_servers(self, plain):
        """Servers shaped like Horizon's test data (flavor, addresses...),
        with the same ids, names and images as ours."""
        import copy
        from novaclient.v2 import servers as nova_servers
        first = self.servers.first()
        template = getattr(first, "_apiresource", first)._info
        out = []
        for s in plain:
            info = copy.deepcopy(template)
            info.update(id=s["id"], name=s["name"],
                        image={"id": s["image"]["id"]})
            out.append(api.nova.Server(nova_servers.Server(
                nova_servers.ServerManager(None), info), self.request))
        return out

    def test_images(self):
        for n in ROWS:
            data = images(n)
            servers = [fixtures.make_server("vm-%d" % i, data[i % n].id)
                       for i in range(n)]
            with override_settings(API_RESULT_PAGE_SIZE=n):
                lst = self._patch(api.glance, "image_list_detailed",
                                  return_value=(data, False, False))
                srv = self._patch(api.nova, "server_list",
                                  return_value=(servers, False))
                ours, _all, res = harness.time_get(
                    self.client, "/project/consistency/?tab="
                    "consistency__images")
                assert res.content.count(b'data-object-id=') == n
                runs = lst.call_count
                calls_ours = (lst.call_count + srv.call_count) / runs
                self._unpatch()
                lst = self._patch(api.glance, "image_list_detailed",
                                  return_value=(data, False, False))
                ten = self._patch(api.keystone, "tenant_list",
                                  return_value=(self.tenants.list(), False))
                theirs, _all, res = harness.time_get(self.client,
                                                     "/project/images/")
                runs_h = lst.call_count
                calls_h = (lst.call_count + ten.call_count) / runs_h
                self._unpatch()
            print("images     rows=%5d  calls ours=%g horizon=%g  ms/page "
                  "ours=%.1f horizon=%.1f  ms/row ours=%.3f horizon=%.3f  "
                  "ratio/row=%.2f" % (n, calls_ours, calls_h, ours, theirs,
                                      ours / n, theirs / n, ours / theirs))

    def test_instances(self):
        for n in ROWS:
            data = images(n)
            plain = [fixtures.server_dict(
                "vm-%05d" % i, data[i % n].id,
                {"hw_qemu_guest_agent": "yes"} if i % 2 else {})
                for i in range(n)]
            wrapped = self._horizon_servers(plain)
            with override_settings(API_RESULT_PAGE_SIZE=n):
                mocks = [
                    self._patch(server_calls, "compute_version_range",
                                return_value=("2.1", "2.104")),
                    self._patch(server_calls, "server_list_page",
                                return_value=(plain, False)),
                    self._patch(api.glance, "image_list_detailed",
                                return_value=(data, False, False)),
                    self._patch(api.cinder, "volume_list", return_value=[]),
                ]
                ours, _all, res = harness.time_get(
                    self.client, "/project/consistency/?tab="
                    "consistency__instances")
                assert res.content.count(b'data-object-id=') == n
                runs = mocks[1].call_count
                calls_ours = (harness.count_calls(mocks[1:])) / runs
                self._unpatch()
                mocks = [
                    self._patch(api.nova, "server_list_paged",
                                return_value=(wrapped, False, False)),
                    self._patch(api.nova, "flavor_list",
                                return_value=self.flavors.list()),
                    self._patch(api.glance, "image_list_detailed",
                                return_value=(data, False, False)),
                    self._patch(api.network, "servers_update_addresses"),
                    self._patch(api.cinder, "volume_list", return_value=[]),
                    self._patch(api.nova, "is_feature_available",
                                return_value=True),
                    self._patch(api.nova, "tenant_absolute_limits",
                                return_value=self.limits["absolute"]),
                    self._patch(api.neutron, "floating_ip_supported",
                                return_value=True),
                    self._patch(api.neutron, "floating_ip_simple_associate_"
                                "supported", return_value=True),
                ]
                theirs, _all, res = harness.time_get(self.client,
                                                     "/project/instances/")
                runs_h = mocks[0].call_count
                calls_h = harness.count_calls(mocks) / runs_h
                self._unpatch()
            print("instances  rows=%5d  calls ours=%g horizon=%g  ms/page "
                  "ours=%.1f horizon=%.1f  ms/row ours=%.3f horizon=%.3f  "
                  "ratio/row=%.2f" % (n, calls_ours, calls_h, ours, theirs,
                                      ours / n, theirs / n, ours / theirs))


if __name__ == "__main__":
    sys.exit(0 if harness.run_case(Bench) else 1)
