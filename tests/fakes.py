"""In-memory stand-ins for the ``openstack_dashboard.api`` functions the
plugin calls, for browser tests and benchmarks (view tests use plain mocks).
They keep state, so a change made through the UI shows on the next page."""
import copy
from unittest import mock

from glanceclient import exc as glance_exc

from openstack_dashboard import api
from openstack_dashboard.test.test_data import glance_data


class FakeGlance(object):
    def __init__(self, images=()):
        self.images = {}
        self.calls = []
        self.failures = {}  # image id -> exception raised on update
        for image in images:
            self.add(image)

    def add(self, image):
        self.images[image.id] = dict(image._apiresource)

    def _wrap(self, data):
        return api.glance.Image(glance_data.APIResourceV2(copy.deepcopy(data)))

    def image_list_detailed(self, request, marker=None, paginate=False,
                            filters=None, sort_dir="desc", sort_key="created_at",
                            reversed_order=False, **kwargs):
        self.calls.append(("image_list_detailed", filters))
        filters = dict(filters or {})
        items = sorted(self.images.values(),
                       key=lambda i: (i.get(sort_key) or "").lower())
        if "id" in filters:
            wanted = filters["id"].split(":", 1)[1].split(",")
            items = [i for i in items if i["id"] in wanted]
        if "name" in filters:
            items = [i for i in items if i["name"] == filters["name"]]
        return [self._wrap(i) for i in items], False, False

    def image_get(self, request, image_id):
        self.calls.append(("image_get", image_id))
        if image_id not in self.images:
            raise glance_exc.HTTPNotFound("no image %s" % image_id)
        return self._wrap(self.images[image_id])

    def image_update_properties(self, request, image_id, remove_props=None,
                                **kwargs):
        self.calls.append(("image_update_properties", image_id))
        if image_id in self.failures:
            raise self.failures[image_id]
        image = self.images[image_id]
        image.update(kwargs)
        for key in remove_props or ():
            image.pop(key, None)
        return self._wrap(image)

    def patch(self):
        return [mock.patch.object(api.glance, name, getattr(self, name))
                for name in ("image_list_detailed", "image_get",
                             "image_update_properties")]


class FakeNova(object):
    def __init__(self, servers=()):
        self.servers = list(servers)
        self.calls = []

    def server_list(self, request, search_opts=None, detailed=True):
        self.calls.append(("server_list", search_opts))
        return list(self.servers), False

    def patch(self):
        return [mock.patch.object(api.nova, "server_list", self.server_list)]


def start(patchers):
    for patcher in patchers:
        patcher.start()
    return patchers


def stop(patchers):
    for patcher in patchers:
        patcher.stop()


class FakeSnapshotCloud(object):
    """Nova, Glance and Cinder for the test snapshot flow, at the
    openstack_dashboard.api / consistency_dashboard.api boundary, keeping
    state like the real services do:

    * ``createImage`` creates a ``queued`` image carrying the instance's
      captured properties and the metadata given (as Nova does), and sets the
      server's task state; each later ``image_get`` moves the snapshot one
      step on (``saving`` with task ``image_uploading``, then ``active`` or,
      for an instance in ``fail_snapshot``, gone as Nova deletes a failed
      image-backed snapshot);
    * the guest writes probe lines to its console during the snapshot when
      its id is in ``guest_probe`` (``"fs"``: freeze and thaw, ``"frozen"``:
      freeze only);
    * the snapshot's bytes (``check_snapshot``): the ext4 journal is clean
      in a snapshot of a guest that froze (``"fs"``) and needs recovery in
      the others, as on the demo cloud;
    * ``calls`` lists every call made, by name, for the benchmark and the
      assertions.
    """

    def __init__(self, servers, images=(), guest_probe=None,
                 fail_snapshot=(), console_error=None):
        self.servers = {s["id"]: copy.deepcopy(s) for s in servers}
        self.images = {}
        for image in images:
            data = getattr(image, "_apiresource", image)
            self.images[data["id"]] = dict(data)
        self.guest_probe = dict(guest_probe or {})
        self.fail_snapshot = set(fail_snapshot)
        self.console_error = console_error
        self.consoles = {sid: "".join("[    %d.000000] boot line %d\n" %
                                      (i, i) for i in range(20))
                         for sid in self.servers}
        self.calls = []
        self._seq = 0
        self._counter = 0

    # -- helpers ------------------------------------------------------------
    def _wrap(self, data):
        return api.glance.Image(glance_data.APIResourceV2(copy.deepcopy(data)))

    def _not_found(self, what):
        from glanceclient import exc as glance_exc
        raise glance_exc.HTTPNotFound("%s not found" % what)

    def _server_wrap(self, data):
        from novaclient.v2 import servers as nova_servers
        return api.nova.Server(nova_servers.Server(
            nova_servers.ServerManager(None), copy.deepcopy(data)), None)

    def _advance(self, image):
        """One step of Nova's work on a snapshot per look at it."""
        server = self.servers.get(image.get("instance_uuid"))
        if image["status"] == "queued":
            image["status"] = "saving"
            if server is not None:
                server["OS-EXT-STS:task_state"] = "image_uploading"
            return
        if image["status"] == "saving":
            if server is not None:
                server["OS-EXT-STS:task_state"] = None
            if image.get("instance_uuid") in self.fail_snapshot:
                del self.images[image["id"]]
                return
            image["status"] = "active"
            image["size"] = 1 << 30      # the uploaded snapshot's data

    # -- consistency_dashboard.api.images ------------------------------
    def check_snapshot(self, request, image_id, size=None):
        from consistency_dashboard.core import snapshot_bytes as sb
        self.calls.append("check_snapshot")
        image = self.images.get(image_id) or {}
        frozen = self.guest_probe.get(image.get("instance_uuid")) == "fs"
        state = sb.FsState.CLEAN if frozen else sb.FsState.NEEDS_RECOVERY
        return sb.DiskCheck(True, "qcow2", "", (sb.FilesystemCheck(
            "whole disk", 0, "ext4", state),), reads=2, bytes_read=331776,
            reason_code=state.value)

    # -- consistency_dashboard.api.servers ----------------------------------
    def compute_version_range(self, request):
        self.calls.append("compute_version_range")
        return "2.1", "2.104"

    def server_get_dict(self, request, server_id, **kwargs):
        self.calls.append("server_get")
        if server_id not in self.servers:
            from keystoneauth1 import exceptions as ks_exc
            raise ks_exc.NotFound()
        return copy.deepcopy(self.servers[server_id])

    def server_list_page(self, request, marker=None, search_opts=None,
                         **kwargs):
        self.calls.append("server_list_page")
        return copy.deepcopy(list(self.servers.values())), False

    # -- consistency_dashboard.api.servers (createImage), actions ------------
    def create_image(self, request, server_id, name, metadata):
        self.calls.append("create_image")
        server = self.servers[server_id]
        self._counter += 1
        image_id = "00000000-0000-4000-8000-%012d" % self._counter
        props = dict((server.get("image") or {}).get("properties") or {})
        props.update(metadata)
        self.images[image_id] = dict(
            props, id=image_id, name=name, status="queued",
            visibility="private", owner="1", image_type="snapshot",
            instance_uuid=server_id, base_image_ref=server["image"]["id"],
            created_at="2026-11-22T10:00:00Z",
            updated_at="2026-11-22T10:00:00Z", protected=False, size=0,
            disk_format="qcow2", container_format="bare", min_disk=0,
            min_ram=0)
        server["OS-EXT-STS:task_state"] = "image_snapshot"
        probe = self.guest_probe.get(server_id)
        if probe:
            self._seq += 1
            import time
            wall = time.time()
            line = ("[  812.%06d] CONSISTENCY-PROBE v1 event=%s seq=%d "
                    "mono=%s wall=%.2f apps=-\n")
            self.consoles[server_id] += line % (self._seq, "freeze",
                                                self._seq, "812.00", wall)
            if probe == "fs":
                self.consoles[server_id] += line % (
                    self._seq + 1, "thaw", self._seq, "812.64", wall + 0.64)
        return image_id, "req-%s" % image_id

    def instance_action_events(self, request, server_id, request_id,
                               microversion=None):
        self.calls.append("instance_action_events")
        # Nova 33+: the event says Success even when the snapshot fails.
        return [{"event": "compute_snapshot_instance", "result": "Success"}]

    # -- openstack_dashboard.api.nova ------------------------------------------
    def server_list(self, request, search_opts=None, detailed=True):
        self.calls.append("server_list")
        return [self._server_wrap(s) for s in self.servers.values()], False

    def server_console_output(self, request, instance_id, tail_length=None):
        self.calls.append("server_console_output")
        if self.console_error is not None:
            raise self.console_error
        return self.consoles[instance_id]

    def server_metadata_update(self, request, instance_id, metadata):
        self.calls.append("server_metadata_update")
        self.servers[instance_id].setdefault("metadata", {}).update(metadata)

    def server_metadata_delete(self, request, instance_id, keys):
        self.calls.append("server_metadata_delete")
        for key in keys:
            self.servers[instance_id].get("metadata", {}).pop(key, None)

    # -- openstack_dashboard.api.glance ----------------------------------------
    def image_list_detailed(self, request, marker=None, paginate=False,
                            filters=None, sort_dir="desc",
                            sort_key="created_at", reversed_order=False,
                            **kwargs):
        self.calls.append("image_list_detailed")
        filters = dict(filters or {})
        items = list(self.images.values())
        if "id" in filters:
            wanted = filters.pop("id").split(":", 1)[1].split(",")
            items = [i for i in items if i["id"] in wanted]
        filters.pop("visibility", None)
        for key, value in filters.items():
            items = [i for i in items if str(i.get(key)) == str(value)]
        items.sort(key=lambda i: i.get("created_at") or "",
                   reverse=sort_dir == "desc")
        return [self._wrap(i) for i in items], False, False

    def image_get(self, request, image_id):
        self.calls.append("image_get")
        image = self.images.get(image_id)
        if image is None:
            self._not_found("image %s" % image_id)
        self._advance(image)
        image = self.images.get(image_id)
        if image is None:
            self._not_found("image %s" % image_id)
        return self._wrap(image)

    def image_update_properties(self, request, image_id, remove_props=None,
                                **kwargs):
        self.calls.append("image_update_properties")
        image = self.images.get(image_id)
        if image is None:
            self._not_found("image %s" % image_id)
        image.update(kwargs)
        for key in remove_props or ():
            image.pop(key, None)
        return self._wrap(image)

    def image_delete(self, request, image_id):
        self.calls.append("image_delete")
        if self.images.pop(image_id, None) is None:
            self._not_found("image %s" % image_id)

    # -- openstack_dashboard.api.cinder ----------------------------------------
    def volume_list(self, request, *args, **kwargs):
        self.calls.append("volume_list")
        return []

    def volume_snapshot_list(self, request, *args, **kwargs):
        self.calls.append("volume_snapshot_list")
        return []

    def patch(self):
        from consistency_dashboard.api import actions as action_calls
        from consistency_dashboard.api import images as image_calls
        from consistency_dashboard.api import servers as server_calls
        patchers = [
            mock.patch.object(image_calls, "check_snapshot",
                              self.check_snapshot),
            mock.patch.object(server_calls, "compute_version_range",
                              self.compute_version_range),
            mock.patch.object(server_calls, "server_get",
                              self.server_get_dict),
            mock.patch.object(server_calls, "server_list_page",
                              self.server_list_page),
            mock.patch.object(server_calls, "create_image",
                              self.create_image),
            mock.patch.object(action_calls, "instance_action_events",
                              self.instance_action_events),
        ]
        for name in ("server_list", "server_console_output",
                     "server_metadata_update", "server_metadata_delete"):
            patchers.append(mock.patch.object(api.nova, name,
                                              getattr(self, name)))
        for name in ("image_list_detailed", "image_get",
                     "image_update_properties", "image_delete"):
            patchers.append(mock.patch.object(api.glance, name,
                                              getattr(self, name)))
        for name in ("volume_list", "volume_snapshot_list"):
            patchers.append(mock.patch.object(api.cinder, name,
                                              getattr(self, name)))
        return patchers
