"""A small stateful stand-in for the compute calls of the Instances tab and
its fixes, at the openstack_dashboard.api / consistency_dashboard.api
boundary: servers change state when the UI stops, snapshots, rebuilds or
starts them, the way Nova would (instantly), with an instance action
history and a clock.  Faults are injected per call (``fail``), and the user
can act on a server between two steps (``user_start``).  Used by the
browser tests and by the guided flow's fault matrix (tests/test_flow_faults.py).
"""
import copy
import datetime
import uuid
from unittest import mock

from glanceclient import exc as glance_exc
from novaclient import exceptions as nova_exc
from novaclient.v2 import servers as nova_servers

from openstack_dashboard import api

from consistency_dashboard.api import servers as server_calls

PROJECT_ID = "1"
START = datetime.datetime(2026, 11, 22, 10, 0, 0)


class _Action(object):
    def __init__(self, action, start_time):
        self.action = action
        self.start_time = start_time


class FakeCompute(object):
    def __init__(self, glance, servers):
        self.glance = glance
        self.servers = {s["id"]: dict(copy.deepcopy(s)) for s in servers}
        for server in self.servers.values():
            server.setdefault("tenant_id", PROJECT_ID)
        self.actions = {s: [] for s in self.servers}
        self.calls = []
        self.faults = {}          # call name -> [exception, ...]
        self.rebuilt_while = []   # server status when each rebuild came
        self.ticks = 0
        self.hooks = {}           # call name -> callable run first (once)

    # the clock, the faults and the user
    def now(self, z=False):
        self.ticks += 1
        moment = START + datetime.timedelta(minutes=self.ticks)
        return moment.strftime("%Y-%m-%dT%H:%M:%S") + (
            "Z" if z else ".000000")

    def fail(self, name, exc, times=1):
        self.faults.setdefault(name, []).extend([exc] * times)

    def _call(self, name):
        self.calls.append(name)
        hook = self.hooks.pop(name, None)
        if hook is not None:
            hook()
        pending = self.faults.get(name)
        if pending:
            raise pending.pop(0)

    def _action(self, server_id, name):
        self.actions[server_id].insert(0, (name, self.now()))

    def user_start(self, server_id):
        """The user starts the instance outside the flow (and uses it)."""
        self.servers[server_id]["status"] = "ACTIVE"
        self._action(server_id, "start")

    def user_stop(self, server_id):
        self.servers[server_id]["status"] = "SHUTOFF"
        self._action(server_id, "stop")

    def _server(self, server_id):
        if server_id not in self.servers:
            raise nova_exc.NotFound(404, "Instance could not be found")
        return self.servers[server_id]

    # consistency_dashboard.api.servers
    def compute_version_range(self, request):
        return "2.1", "2.104"

    def server_list_page(self, request, marker=None, search_opts=None,
                         **kwargs):
        self._call("server_list_page")
        servers = list(self.servers.values())
        image = (search_opts or {}).get("image")
        if image:
            servers = [s for s in servers
                       if isinstance(s["image"], dict)
                       and s["image"]["id"] == image]
        return copy.deepcopy(servers), False

    def server_get_dict(self, request, server_id, **kwargs):
        self._call("server_get")
        return copy.deepcopy(self._server(server_id))

    # openstack_dashboard.api.nova
    def server_get(self, request, server_id):
        self._call("server_get")
        return api.nova.Server(nova_servers.Server(
            nova_servers.ServerManager(None),
            copy.deepcopy(self._server(server_id))), request)

    def instance_action_list(self, request, server_id):
        self._call("instance_action_list")
        self._server(server_id)
        return [_Action(*a) for a in self.actions[server_id]]

    def server_stop(self, request, server_id):
        self._call("server_stop")
        server = self._server(server_id)
        if server["status"] != "ACTIVE":
            raise nova_exc.Conflict(409, "Cannot 'stop' instance while it "
                                         "is in vm_state stopped")
        server["status"] = "SHUTOFF"
        self._action(server_id, "stop")

    def server_start(self, request, server_id):
        self._call("server_start")
        server = self._server(server_id)
        if server["status"] != "SHUTOFF":
            raise nova_exc.Conflict(409, "Cannot 'start' instance")
        server["status"] = "ACTIVE"
        self._action(server_id, "start")

    def create_image(self, request, server_id, name, metadata):
        self._call("snapshot_create")
        server = self._server(server_id)
        image_id = str(uuid.uuid4())
        props = dict(server["image"].get("properties") or {}) \
            if isinstance(server["image"], dict) else {}
        self.glance.images[image_id] = dict(
            props, id=image_id, name=name, status="active",
            visibility="private", owner=server["tenant_id"],
            image_type="snapshot", instance_uuid=server_id,
            created_at=self.now(z=True), updated_at=self.now(z=True),
            **metadata)
        self._action(server_id, "createImage")
        return image_id, "req-" + image_id[:8]

    def server_rebuild(self, request, server_id, image_id, *args, **kwargs):
        self._call("server_rebuild")
        server = self._server(server_id)
        self.rebuilt_while.append(server["status"])
        image = self.glance.images[image_id]
        props = {k: v for k, v in image.items()
                 if k.startswith(("hw_", "os_"))}
        server["image"] = {"id": image_id, "properties": props}
        self._action(server_id, "rebuild")

    def server_metadata_update(self, request, server_id, metadata):
        self._call("server_metadata_update")
        self._server(server_id).setdefault("metadata", {}).update(metadata)

    def server_metadata_delete(self, request, server_id, keys):
        self._call("server_metadata_delete")
        for key in keys:
            self._server(server_id).get("metadata", {}).pop(key, None)

    # openstack_dashboard.api.glance (the calls FakeGlance does not make)
    def image_get(self, request, image_id):
        self._call("image_get")
        if image_id not in self.glance.images:
            raise glance_exc.HTTPNotFound("no image")
        return self.glance._wrap(self.glance.images[image_id])

    def image_delete(self, request, image_id):
        self._call("image_delete")
        if image_id not in self.glance.images:
            raise glance_exc.HTTPNotFound("no image")
        del self.glance.images[image_id]

    def delete_server(self, server_id):
        """Deleted by the user in another tab: the metadata goes with it."""
        del self.servers[server_id]

    def patch(self):
        patchers = [
            mock.patch.object(server_calls, "compute_version_range",
                              self.compute_version_range),
            mock.patch.object(server_calls, "server_list_page",
                              self.server_list_page),
            mock.patch.object(server_calls, "server_get",
                              self.server_get_dict),
            mock.patch.object(server_calls, "create_image",
                              self.create_image),
            mock.patch.object(api.cinder, "volume_list",
                              lambda request, *a, **k: []),
            mock.patch.object(api.glance, "image_get", self.image_get),
            mock.patch.object(api.glance, "image_delete", self.image_delete),
        ]
        for name in ("server_get", "server_stop", "server_start",
                     "server_rebuild", "instance_action_list",
                     "server_metadata_update", "server_metadata_delete"):
            patchers.append(mock.patch.object(api.nova, name,
                                              getattr(self, name)))
        return patchers
