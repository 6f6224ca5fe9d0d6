"""A stopped demo guest is cleanly stopped, as a real cloud image is: Nova's
stop (libvirt's shutdown: the agent's guest-shutdown when the agent channel
is up, else the ACPI power button) makes the guest's init stop its
processes, remount the root file system read-only and power off, so the
snapshot of the stopped instance has a clean ext4 journal (the
needs_recovery flag clear), read from the snapshot's own bytes in Glance
with the plugin's core (snapshot_bytes.check_disk).  Before, the guest
ignored the button: Nova forced the power off after its 60 s timeout and
the journal needed recovery.
"""

import time

import pytest

from consistency_dashboard.core import snapshot_bytes

from tests.cloud import cloudlib

pytestmark = pytest.mark.cloud

# Nova waits [DEFAULT]shutdown_timeout (60 s) for a clean shutdown before it
# destroys the domain; a clean stop of the demo guest takes a few seconds.
CLEAN_STOP_SECONDS = 40


def glance_reader(cloud, image_id):
    """read(offset, length) over the image's data through Glance ranged
    requests, as the plugin's API layer does."""
    url = cloud.glance + "/v2/images/%s/file" % image_id

    def read(offset, length):
        r = cloud.demo.get(url, headers={"Range": "bytes=%d-%d" % (offset, offset + length - 1)},
                           raise_exc=False)
        if r.status_code not in (200, 206):
            raise snapshot_bytes.ReadFailed("HTTP %s" % r.status_code)
        if r.status_code == 200:
            return r.content[offset:offset + length]
        return r.content
    return read


def stop_and_wait(cloud, server_id, timeout=180):
    t0 = time.monotonic()
    cloud.demo.post(cloud.nova + "/servers/%s/action" % server_id,
                    headers=cloudlib.NOVA_HEADERS, json={"os-stop": None})

    def stopped():
        s = cloud.server(server_id)
        return s if s["status"] == "SHUTOFF" and not s.get("OS-EXT-STS:task_state") else None
    cloudlib.wait_for("server %s SHUTOFF" % server_id, stopped, timeout, 1)
    return time.monotonic() - t0


@pytest.mark.parametrize("image_name, path", [
    ("demo-plain", "the ACPI power button"),
    ("demo-agent-only", "the agent's guest-shutdown"),
], ids=["power-button", "agent-shutdown"])
def test_a_stopped_guest_is_cleanly_stopped_and_its_snapshot_journal_is_clean(
        cloud, cleanup, image_name, path):
    image = cloud.image_by_name(image_name)
    server = cloud.boot(cloudlib.unique("cd-test-stop"), image["id"])
    cleanup.append(("server", server["id"]))
    ready = "qemu-ga started" if image.get("hw_qemu_guest_agent") == "yes" \
        else "consistency-init: ready"
    cloudlib.wait_for("the guest's init ready", lambda: ready in cloud.console(server["id"]),
                      240, 3)
    if ready == "qemu-ga started":
        time.sleep(5)  # the agent opens its channel

    seconds = stop_and_wait(cloud, server["id"])
    print("stop through %s: %.1f s" % (path, seconds))
    assert seconds < CLEAN_STOP_SECONDS, (
        "Nova's stop took %.0f s: the guest did not shut down on %s and "
        "was powered off by force" % (seconds, path))

    status, body, _ = cloud.create_snapshot(server["id"], cloudlib.unique("cd-test-stopped"), {})
    assert status == 202, body
    snap_id = body["image_id"]
    cleanup.append(("image", snap_id))
    snap = cloudlib.wait_for("the stopped instance's snapshot active",
                             lambda: (lambda i: i if i and i["status"] == "active" else None)(
                                 cloud.image(snap_id)), 300, 2)
    check = snapshot_bytes.check_disk(glance_reader(cloud, snap_id), size=snap.get("size"))
    assert check.checkable, check.reason
    [fs] = check.journaled
    assert fs.kind == "ext4"
    assert fs.state is snapshot_bytes.FsState.CLEAN, fs.reason
