"""Volume-backed instances on real Cinder (RBD driver) and single-node Ceph
in the embedded cloud: the path where Nova enforces os_require_quiesce in
the API call itself (DOMAIN.md: `snapshot_volume_backed` in
nova/compute/api.py quiesces synchronously before the Cinder snapshots, and
a failed freeze with os_require_quiesce set fails createImage with 400, 409
or 500).  The guests are seeded by democloud/seed.py (demo-volume-*).
"""

import os

import pytest

from consistency_dashboard.core import verdict as core_verdict
from consistency_dashboard.core.poll import ImageFate

from tests.cloud import cloudlib

pytestmark = pytest.mark.cloud

CONSISTENT_LEVELS = (core_verdict.Level.FILESYSTEM_CONSISTENT,
                     core_verdict.Level.APPLICATION_CONSISTENT)


@pytest.fixture(scope="module")
def volumes(cloud):
    if cloud.cinder is None:
        if os.environ.get("CONSISTENCY_DEMO_VOLUMES") != "0":
            cloudlib.require_cloud_or_skip(
                "the demo cloud has no volumev3 endpoint: it was started with "
                "CONSISTENCY_DEMO_VOLUMES=0 (or by an older demo.sh)")
        pytest.skip("the demo cloud runs without volumes (CONSISTENCY_DEMO_VOLUMES=0)")
    return cloud


def seeded(cloud, name):
    server = cloud.server_by_name(name)
    assert not server.get("image"), "%s should be volume-backed" % name
    vol = cloud.boot_volume(server)
    assert vol is not None and vol["bootable"] == "true"
    return server, vol


def snapshot(cloud, server):
    verdict, evidence, image, seconds = cloudlib.run_test_snapshot(cloud, server["id"])
    if image is not None:
        cloudlib.forget_volume_snapshot(cloud, image)
    return verdict, evidence, seconds


def test_volume_healthy_snapshot_is_frozen_by_nova_and_verified(volumes):
    server, vol = seeded(volumes, "demo-volume-healthy")
    meta = vol["volume_image_metadata"]
    assert meta["hw_qemu_guest_agent"] == "yes" and meta["os_require_quiesce"] == "yes"
    cloudlib.wait_agent_ready(volumes, server["id"])
    verdict, evidence, seconds = snapshot(volumes, server)
    print("volume-backed createImage to verdict: %.1f s" % seconds)
    assert evidence.boot_source.value == "volume"
    assert evidence.nova.accepted, evidence.nova
    assert evidence.image_fate is ImageFate.ACTIVE
    assert evidence.probe.clean_pairs, evidence.probe
    assert verdict.level in CONSISTENT_LEVELS, (verdict.level, verdict.cause)


def test_volume_without_agent_channel_is_refused_with_400(volumes):
    server, vol = seeded(volumes, "demo-volume-no-agent")
    assert "hw_qemu_guest_agent" not in vol["volume_image_metadata"]
    verdict, evidence, _ = snapshot(volumes, server)
    assert evidence.nova.status == 400, evidence.nova
    assert "QEMU guest agent is not enabled".lower() in evidence.nova.message.lower()
    assert evidence.image_fate is ImageFate.NOT_CREATED
    assert verdict.level is core_verdict.Level.FAILED
    assert "guest agent is not enabled" in verdict.cause.lower()


def test_volume_with_agent_stopped_is_refused_with_409(volumes):
    server, _vol = seeded(volumes, "demo-volume-agent-stopped")
    cloudlib.wait_for("the guest to finish booting",
                      lambda: "consistency-init: ready" in volumes.console(server["id"]), 240, 3)
    verdict, evidence, _ = snapshot(volumes, server)
    assert evidence.nova.status == 409, evidence.nova
    assert "quiesce" in evidence.nova.message.lower()
    assert verdict.level is core_verdict.Level.FAILED
    assert "did not freeze" in verdict.cause


def test_volume_whose_fsfreeze_hook_fails_is_refused_with_500(volumes):
    server, _vol = seeded(volumes, "demo-volume-hook-fails")
    cloudlib.wait_agent_ready(volumes, server["id"])
    verdict, evidence, _ = snapshot(volumes, server)
    assert evidence.nova.status == 500, evidence.nova
    assert evidence.image_fate is ImageFate.NOT_CREATED
    assert verdict.level is core_verdict.Level.FAILED


def set_volume_image_metadata(cloud, volume_id, metadata):
    """What the "Fix the boot volume" form writes (Cinder
    os-set_image_metadata, consistency_dashboard.api.volumes)."""
    cloud.demo.post(cloud.cinder + "/volumes/%s/action" % volume_id,
                    json={"os-set_image_metadata": {"metadata": metadata}})


def test_fix_the_boot_volume_needs_a_new_server_then_the_snapshot_is_frozen(volumes, cleanup):
    """The fix writes the volume's image metadata; Nova keeps what it
    captured at boot (the instance's system_metadata), so the same server
    is still refused (400) and only a server created from the fixed volume
    gets the agent channel and a frozen snapshot."""
    image = volumes.image_by_name("demo-quiesce-no-agent")
    name = cloudlib.unique("cd-test-fixvol")
    first = volumes.demo.post(volumes.nova + "/servers", headers=cloudlib.NOVA_HEADERS, json={
        "server": {"name": name, "flavorRef": volumes.flavor_id(), "networks": "none",
                   "block_device_mapping_v2": [{
                       "boot_index": 0, "uuid": image["id"], "source_type": "image",
                       "destination_type": "volume", "volume_size": 1,
                       "delete_on_termination": False}]}}).json()["server"]
    cleanup.append(("server", first["id"]))
    first = volumes.wait_active(first["id"])
    vol = volumes.boot_volume(first)
    cleanup.insert(0, ("volume", vol["id"]))  # deleted last, after the servers

    set_volume_image_metadata(volumes, vol["id"], {"hw_qemu_guest_agent": "yes"})
    assert volumes.volume(vol["id"])["volume_image_metadata"]["hw_qemu_guest_agent"] == "yes"
    _verdict, evidence, _ = snapshot(volumes, volumes.server(first["id"]))
    assert evidence.nova.status == 400, evidence.nova   # what Nova captured still rules

    volumes.delete_server(first["id"])                  # the volume is kept
    volumes.wait_volume_available(vol["id"])
    second = volumes.demo.post(volumes.nova + "/servers", headers=cloudlib.NOVA_HEADERS, json={
        "server": {"name": name + "-new", "flavorRef": volumes.flavor_id(), "networks": "none",
                   "block_device_mapping_v2": [{
                       "boot_index": 0, "uuid": vol["id"], "source_type": "volume",
                       "destination_type": "volume", "delete_on_termination": False}]}}
    ).json()["server"]
    cleanup.append(("server", second["id"]))
    second = volumes.wait_active(second["id"])
    cloudlib.wait_agent_ready(volumes, second["id"])
    verdict, evidence, _ = snapshot(volumes, second)
    assert evidence.nova.accepted, evidence.nova
    assert evidence.probe.clean_pairs, evidence.probe
    assert verdict.level in CONSISTENT_LEVELS, (verdict.level, verdict.cause)
