"""Server-side render of Admin > Snapshot Consistency's fleet audit against
Horizon's own Admin > Instances (AdminIndexView) on the same fleet, in the
same run, with OpenStack replaced at the openstack_dashboard.api /
consistency_dashboard.api boundary.  Not a test: it prints figures.

The fleet: N instances across 500 projects and 200 images (one in three
instances booted before its image was fixed, one in seven volume-backed).
Both views render one page of PAGE rows (our CONSISTENCY_AUDIT_ROWS and
Horizon's API_RESULT_PAGE_SIZE, default 1000): per-row figures compare like
with like.  Our server list is a fake that pages like Nova (at most
NOVA_MAX_LIMIT per call, markers).  Besides the rendered page, the script
walks the whole fleet with the audit's loader (every page, not rendered) to
show that the calls grow with the number of pages, never with rows.

Prints per N: API calls per page view and to audit the whole fleet; wall
and CPU ms per page and per row; the per-row ratio (ours / Horizon's; below
1.0 means faster).  Wall time depends on what else runs on the machine; CPU
time (this process) less so.

    .venv/bin/python benchmarks/admin_audit_render.py [N ...]
    CONSISTENCY_BENCH_PAGE=500 .venv/bin/python benchmarks/...
"""
import copy
import os
import sys
import time
from unittest import mock

import harness  # noqa: F401  (sets up Django)

from django.conf import settings  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from novaclient.v2 import servers as nova_servers  # noqa: E402

from openstack_dashboard import api  # noqa: E402
from openstack_dashboard.test import helpers as test  # noqa: E402

from consistency_dashboard.api import servers as server_calls  # noqa: E402
from consistency_dashboard.dashboards.admin.consistency \
    import fleet as audit_fleet  # noqa: E402
from tests import fixtures  # noqa: E402
from tests.test_admin_data import fleet  # noqa: E402

SIZES = [int(a) for a in sys.argv[1:]] or [1000, 10000]
PAGE = int(os.environ.get("CONSISTENCY_BENCH_PAGE", "1000"))
PROJECTS = 500
IMAGES = 200


def production_templates():
    """The test settings' template engine with the cached loader and
    without template debug, as Horizon runs in production
    (openstack_dashboard/settings.py wraps its loaders in
    django.template.loaders.cached.Loader): both views are measured so;
    otherwise every row re-reads and re-compiles its templates."""
    engines = copy.deepcopy(settings.TEMPLATES)
    for engine in engines:
        options = engine["OPTIONS"]
        loaders = options.get("loaders") or [
            "django.template.loaders.filesystem.Loader",
            "django.template.loaders.app_directories.Loader"]
        options["loaders"] = [("django.template.loaders.cached.Loader",
                               loaders)]
        options["debug"] = False
    return engines


class PagedServers(object):
    """``server_list_all_tenants_page`` over a fixed fleet, paging like
    Nova: newest first, ``page_size`` at most, resuming after ``marker``."""

    def __init__(self, servers):
        self.servers = servers
        self.index = {s["id"]: i for i, s in enumerate(servers)}

    def __call__(self, request, marker=None, search_opts=None,
                 page_size=server_calls.NOVA_MAX_LIMIT, **kwargs):
        start = self.index[marker] + 1 if marker else 0
        page = self.servers[start:start + page_size]
        return page, start + page_size < len(self.servers)


def timed_get(client, url, rows_marker, rows):
    wall = time.perf_counter()
    cpu = time.process_time()
    response = client.get(url)
    cpu = (time.process_time() - cpu) * 1000
    wall = (time.perf_counter() - wall) * 1000
    if response.status_code != 200:
        raise RuntimeError("GET %s: %s" % (url, response.status_code))
    found = response.content.count(rows_marker)
    if found != rows:
        raise RuntimeError("GET %s: %d rows, expected %d" % (url, found,
                                                             rows))
    return wall, cpu


class Bench(test.BaseAdminViewTests):

    def setUp(self):
        super().setUp()
        self._mine = []

    def _patch(self, target, name, **kwargs):
        patcher = mock.patch.object(target, name, **kwargs)
        self._mine.append(patcher)
        return patcher.start()

    def _unpatch(self):
        while self._mine:
            self._mine.pop().stop()

    def _horizon_servers(self, plain):
        """The same servers as novaclient objects shaped like Horizon's test
        data (flavor, addresses), for Horizon's own view."""
        first = self.servers.first()
        template = getattr(first, "_apiresource", first)._info
        out = []
        for s in plain:
            info = copy.deepcopy(template)
            info.update(id=s["id"], name=s["name"], tenant_id=s["tenant_id"],
                        image=({"id": s["image"]["id"]} if s["image"]
                               else ""))
            info["OS-EXT-SRV-ATTR:host"] = s["OS-EXT-SRV-ATTR:host"]
            out.append(api.nova.Server(nova_servers.Server(
                nova_servers.ServerManager(None), info), self.request))
        return out

    def _ours(self, projects, images, plain, volumes, page):
        """(wall ms, cpu ms, calls) of the audit's first page."""
        with override_settings(CONSISTENCY_AUDIT_ROWS=page):
            mocks = [
                self._patch(server_calls, "compute_version_range",
                            return_value=("2.1", "2.104")),
                self._patch(server_calls, "server_list_all_tenants_page",
                            side_effect=PagedServers(plain)),
                self._patch(api.keystone, "tenant_list",
                            return_value=(projects, False)),
                self._patch(api.glance, "image_list_detailed",
                            return_value=(images, False, False)),
                self._patch(api.cinder, "volume_list",
                            return_value=volumes),
            ]
            wall, cpu = timed_get(self.client, "/admin/consistency/",
                                  b'id="audit_instances__row__',
                                  min(page, len(plain)))
            # compute_version_range is cached per login session in
            # production (one call per session): not counted.
            calls = harness.count_calls(mocks[1:])
            self._unpatch()
        return wall, cpu, calls

    def _walk(self, projects, images, plain, volumes, page):
        """(pages, calls) to audit the whole fleet, page after page, with
        the view's loader (not rendered)."""
        with override_settings(CONSISTENCY_AUDIT_ROWS=page):
            mocks = [
                self._patch(server_calls, "compute_version_range",
                            return_value=("2.1", "2.104")),
                self._patch(server_calls, "server_list_all_tenants_page",
                            side_effect=PagedServers(plain)),
                self._patch(api.keystone, "tenant_list",
                            return_value=(projects, False)),
                self._patch(api.glance, "image_list_detailed",
                            return_value=(images, False, False)),
                self._patch(api.cinder, "volume_list",
                            return_value=volumes),
            ]
            request = self.client.get(
                "/admin/consistency/diagnosis/?instance=x").wsgi_request
            marker, pages, rows = None, 0, 0
            while True:
                found = audit_fleet.load_fleet(request, marker=marker)
                pages += 1
                rows += len(found.instance_rows)
                if not found.has_more:
                    break
                marker = found.next_marker
            assert rows == len(plain), rows
            calls = harness.count_calls(mocks[1:])
            self._unpatch()
        return pages, calls

    def _horizon(self, projects, images, plain, volumes, page):
        wrapped = self._horizon_servers(plain[:page])
        with override_settings(API_RESULT_PAGE_SIZE=page):
            mocks = [
                self._patch(api.nova, "server_list_paged",
                            return_value=(wrapped, len(plain) > page,
                                          False)),
                self._patch(api.nova, "flavor_list",
                            return_value=self.flavors.list()),
                self._patch(api.glance, "image_list_detailed",
                            return_value=(images, False, False)),
                self._patch(api.keystone, "tenant_list",
                            return_value=(projects, False)),
                self._patch(api.cinder, "volume_list",
                            return_value=volumes),
                self._patch(api.network, "servers_update_addresses"),
                self._patch(api.nova, "is_feature_available",
                            return_value=True),
            ]
            wall, cpu = timed_get(self.client, "/admin/instances/",
                                  b'id="instances__row__',
                                  min(page, len(plain)))
            calls = harness.count_calls(mocks)
            self._unpatch()
        return wall, cpu, calls

    def _data(self, n):
        projects, images, plain = fleet(n, projects=PROJECTS, images=IMAGES)
        volumes = [fixtures.Volume(s["id"], {}) for s in plain
                   if not s["image"]]
        for volume in volumes:
            # Horizon's view finds the boot volume by attachment id.
            volume.attachments[0]["id"] = volume.id
        return projects, images, plain, volumes

    def test_audit_vs_admin_instances(self):
        with override_settings(TEMPLATES=production_templates()):
            self._compare()

    def _compare(self):
        # Warm both views (template cache, SCSS, first imports).
        small = self._data(20)
        self._ours(*small, page=20)
        self._horizon(*small, page=20)
        print()
        print("fleet: N instances, %d projects, %d images; each view "
              "renders one page of %d rows" % (PROJECTS, IMAGES, PAGE))
        for n in SIZES:
            started = time.perf_counter()
            data = self._data(n)
            page = min(PAGE, n)
            o_wall, o_cpu, o_calls = self._ours(*data, page=PAGE)
            h_wall, h_cpu, h_calls = self._horizon(*data, page=PAGE)
            pages, walk_calls = self._walk(*data, page=PAGE)
            print("N=%5d page=%d rows\n"
                  "  API calls per page view: ours %d, Horizon %d; ours to "
                  "audit all %d instances: %d calls over %d pages\n"
                  "  ms per page  wall ours %.0f Horizon %.0f | cpu ours %.0f "
                  "Horizon %.0f\n"
                  "  ms per row   wall ours %.2f Horizon %.2f | cpu ours %.2f "
                  "Horizon %.2f\n"
                  "  ratio per row (ours/Horizon): wall %.2f, cpu %.2f   "
                  "(case took %.0f s)" % (
                      n, page, o_calls, h_calls, n, walk_calls, pages,
                      o_wall, h_wall, o_cpu, h_cpu,
                      o_wall / page, h_wall / page, o_cpu / page,
                      h_cpu / page, o_wall / h_wall, o_cpu / h_cpu,
                      time.perf_counter() - started))
            sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(0 if harness.run_case(Bench) else 1)
