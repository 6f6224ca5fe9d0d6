"""In-memory stand-ins for the ``openstack_dashboard.api`` functions the
plugin calls, for browser tests and benchmarks (view tests use plain mocks).
They keep state, so a change made through the UI shows on the next page."""
import copy
from unittest import mock

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
                for name in ("image_list_detailed",
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
