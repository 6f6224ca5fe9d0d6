"""Test data for the plugin's views: Glance images and Nova servers shaped
like the ones Horizon's own test data uses."""
import uuid

from novaclient.v2 import servers as nova_servers

from openstack_dashboard import api
from openstack_dashboard.test.test_data import glance_data

PROJECT_ID = "1"  # openstack_dashboard.test.test_data keystone tenant id


def make_image(name, owner=PROJECT_ID, visibility="private",
               status="active", image_id=None, **properties):
    data = {
        "id": image_id or str(uuid.uuid4()),
        "name": name,
        "status": status,
        "visibility": visibility,
        "owner": owner,
        "protected": False,
        "disk_format": "qcow2",
        "container_format": "bare",
        "size": 1024,
        "min_disk": 0,
        "min_ram": 0,
        "created_at": "2026-11-01T10:00:00Z",
        "updated_at": "2026-11-01T10:00:00Z",
    }
    data.update(properties)
    return api.glance.Image(glance_data.APIResourceV2(data))


def make_server(name, image_id=None, server_id=None, status="ACTIVE",
                metadata=None, task_state=None):
    info = {
        "id": server_id or str(uuid.uuid4()),
        "name": name,
        "status": status,
        "tenant_id": PROJECT_ID,
        "image": {"id": image_id} if image_id else "",
        "created": "2026-11-02T10:00:00Z",
        "metadata": dict(metadata or {}),
        "OS-EXT-STS:task_state": task_state,
    }
    return api.nova.Server(nova_servers.Server(
        nova_servers.ServerManager(None), info), None)


def story_images():
    """One image per posture of the story, plus oddities."""
    return [
        make_image("agent-and-quiesce", hw_qemu_guest_agent="yes",
                   os_require_quiesce="yes"),
        make_image("agent-only", hw_qemu_guest_agent="True"),
        make_image("neither"),
        make_image("quiesce-without-agent", os_require_quiesce="1"),
        make_image("dead-fsfreeze", hw_qemu_guest_agent="yes",
                   os_require_quiesce="yes", hw_require_fsfreeze="yes"),
        make_image("unparseable-agent", hw_qemu_guest_agent="enabled"),
        make_image("someone-elses", owner="other-project",
                   visibility="public"),
    ]


def server_dict(name, image_id=None, captured=None, status="ACTIVE",
                server_id=None, created="2026-11-02T10:00:00Z",
                task_state=None, tenant_id=PROJECT_ID):
    """A server as GET /servers/detail returns it at microversion 2.98:
    ``image.properties`` holds what Nova captured at boot."""
    image = ""
    if image_id:
        image = {"id": image_id, "properties": dict(captured or {})}
    return {
        "id": server_id or str(uuid.uuid4()),
        "name": name,
        "status": status,
        "tenant_id": tenant_id,
        "created": created,
        "image": image,
        "metadata": {},
        "OS-EXT-STS:task_state": task_state,
    }


class Volume(object):
    def __init__(self, server_id, image_metadata, name="boot-vol",
                 device="/dev/vda", volume_id=None):
        self.id = volume_id or str(uuid.uuid4())
        self.name = name
        self.bootable = "true"
        self.attachments = [{"server_id": server_id, "device": device}]
        self.volume_image_metadata = dict(image_metadata)
