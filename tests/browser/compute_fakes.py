"""A small stateful stand-in for the compute calls of the Instances tab and
its fixes, at the openstack_dashboard.api / consistency_dashboard.api
boundary: servers change state when the UI stops, snapshots, rebuilds or
starts them, the way Nova would (instantly)."""
import copy
import uuid
from unittest import mock

from novaclient.v2 import servers as nova_servers

from openstack_dashboard import api

from consistency_dashboard.api import nova_rest


class FakeCompute(object):
    def __init__(self, glance, servers):
        self.glance = glance
        self.servers = {s["id"]: copy.deepcopy(s) for s in servers}
        self.calls = []

    # consistency_dashboard.api.nova_rest
    def compute_version_range(self, request):
        return "2.1", "2.104"

    def server_list_page(self, request, marker=None, search_opts=None,
                         **kwargs):
        self.calls.append("server_list_page")
        servers = list(self.servers.values())
        image = (search_opts or {}).get("image")
        if image:
            servers = [s for s in servers
                       if isinstance(s["image"], dict)
                       and s["image"]["id"] == image]
        return copy.deepcopy(servers), False

    def server_get_dict(self, request, server_id, **kwargs):
        return copy.deepcopy(self.servers[server_id])

    # openstack_dashboard.api.nova
    def server_get(self, request, server_id):
        return api.nova.Server(nova_servers.Server(
            nova_servers.ServerManager(None),
            copy.deepcopy(self.servers[server_id])), request)

    def server_stop(self, request, server_id):
        self.calls.append("server_stop")
        self.servers[server_id]["status"] = "SHUTOFF"

    def server_start(self, request, server_id):
        self.calls.append("server_start")
        self.servers[server_id]["status"] = "ACTIVE"

    def snapshot_create(self, request, server_id, name):
        self.calls.append("snapshot_create")
        server = self.servers[server_id]
        image_id = str(uuid.uuid4())
        props = dict(server["image"].get("properties") or {})
        self.glance.images[image_id] = dict(
            props, id=image_id, name=name, status="active",
            visibility="private", owner="1", image_type="snapshot",
            instance_uuid=server_id, created_at="2026-11-22T10:00:00Z",
            updated_at="2026-11-22T10:00:00Z")
        return image_id

    def server_rebuild(self, request, server_id, image_id, *args, **kwargs):
        self.calls.append("server_rebuild")
        image = self.glance.images[image_id]
        props = {k: v for k, v in image.items()
                 if k.startswith(("hw_", "os_"))}
        self.servers[server_id]["image"] = {"id": image_id,
                                            "properties": props}

    def server_metadata_update(self, request, server_id, metadata):
        self.servers[server_id].setdefault("metadata", {}).update(metadata)

    def server_metadata_delete(self, request, server_id, keys):
        for key in keys:
            self.servers[server_id].get("metadata", {}).pop(key, None)

    def patch(self):
        patchers = [
            mock.patch.object(nova_rest, "compute_version_range",
                              self.compute_version_range),
            mock.patch.object(nova_rest, "server_list_page",
                              self.server_list_page),
            mock.patch.object(nova_rest, "server_get", self.server_get_dict),
            mock.patch.object(api.cinder, "volume_list",
                              lambda request, *a, **k: []),
            mock.patch.object(api.glance, "image_get",
                              lambda request, image_id:
                              self.glance._wrap(self.glance.images[image_id])),
        ]
        for name in ("server_get", "server_stop", "server_start",
                     "snapshot_create", "server_rebuild",
                     "server_metadata_update", "server_metadata_delete"):
            patchers.append(mock.patch.object(api.nova, name,
                                              getattr(self, name)))
        return patchers
