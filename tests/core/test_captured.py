"""DOMAIN.md "Properties are captured at boot": how to know what an instance
was booted with, one case per source."""

import pytest

from consistency_dashboard.core import captured as cap

S = cap.CapturedSource

SERVER_298 = {"id": "i1", "image": {"id": "img", "links": [], "properties": {
    "hw_qemu_guest_agent": "yes", "os_require_quiesce": "no"}}}
SERVER_298_NO_PROPS = {"id": "i1", "image": {"id": "img", "properties": {}}}
SERVER_296 = {"id": "i1", "image": {"id": "img", "links": []}}
SERVER_VOLUME = {"id": "i1", "image": ""}


@pytest.mark.parametrize("server,mv,expected", [
    (SERVER_298, "2.98", {"hw_qemu_guest_agent": "yes",
                          "os_require_quiesce": "no"}),
    (SERVER_298, "2.100", {"hw_qemu_guest_agent": "yes",
                           "os_require_quiesce": "no"}),
    (SERVER_298_NO_PROPS, "2.98", {}),
    (SERVER_298, "2.96", None),
    (SERVER_296, "2.98", None),
    (SERVER_VOLUME, "2.98", None),
    (SERVER_298, None, None),
], ids=["2.98-exact", "2.100", "2.98-image-without-properties",
        "2.96-novaclient-max", "properties-missing",
        "volume-backed-empty-image",
        "microversion-unknown"])
def test_server_image_properties(server, mv, expected):
    assert cap.server_image_properties(server, mv) == expected


def test_is_volume_backed():
    assert cap.is_volume_backed(SERVER_VOLUME)
    assert not cap.is_volume_backed(SERVER_298)


SNAP = {"id": "s1", "name": "web-snap", "created_at": "2026-11-20T10:00:00Z",
        "status": "active", "image_type": "snapshot", "instance_uuid": "i1",
        "hw_qemu_guest_agent": "no"}


SOURCES = [
    ("2.98-server-image-properties", dict(
        boot_source="image",
        server_image_properties={"hw_qemu_guest_agent": "yes"},
        newest_snapshot=SNAP), S.SERVER, True),
    ("2.98-empty-properties-is-an-answer", dict(
        boot_source="image", server_image_properties={},
        newest_snapshot=SNAP), S.SERVER, False),
    ("volume-backed-boot-volume-metadata", dict(
        boot_source="volume",
        boot_volume_image_metadata={"hw_qemu_guest_agent": "True"},
        newest_snapshot=SNAP), S.BOOT_VOLUME, True),
    ("volume-backed-2.98-ignored", dict(
        boot_source="volume",
        server_image_properties={"hw_qemu_guest_agent": "yes"},
        newest_snapshot=SNAP), S.SNAPSHOT, False),
    ("older-cloud-newest-snapshot", dict(
        boot_source="image", newest_snapshot=SNAP), S.SNAPSHOT, False),
    ("volume-without-metadata-falls-to-snapshot", dict(
        boot_source="volume", newest_snapshot=SNAP), S.SNAPSHOT, False),
    ("nothing-known", dict(boot_source="image"), S.UNKNOWN, None),
]


@pytest.mark.parametrize("kw,source,agent", [r[1:] for r in SOURCES],
                         ids=[r[0] for r in SOURCES])
def test_resolve_captured_sources(kw, source, agent):
    result = cap.resolve_captured(**kw)
    assert result.source is source
    assert result.source_label
    if agent is None:
        assert result.properties is None and not result.known
    else:
        assert result.properties.guest_agent.value is agent


def test_snapshot_source_label_names_the_snapshot():
    result = cap.resolve_captured("image", newest_snapshot=SNAP)
    assert "web-snap" in result.source_label
    assert "2026-11-20T10:00:00Z" in result.source_label
    assert result.snapshot_id == "s1"
    assert not result.exact


@pytest.mark.parametrize("created,updated,stale", [
    ("2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z", True),
    ("2026-11-02T00:00:00Z", "2026-11-01T00:00:00Z", False),
    ("2026-11-01T00:00:00Z", "2026-11-01T00:00:00Z", False),
    (None, "2026-11-02T00:00:00Z", False),
    ("2026-11-01T00:00:00Z", None, False),
    ("2026-11-01T01:00:00+01:00", "2026-11-01T00:30:00", True),
], ids=["image-changed-after-boot", "image-older", "same-second",
        "created-unknown", "updated-unknown", "timezones-compared-in-utc"])
def test_stale_heuristic(created, updated, stale):
    result = cap.resolve_captured("image", instance_created_at=created,
                                  image_updated_at=updated)
    assert result.stale_suspected is stale
    assert (cap.STALE_LABEL in result.source_label) is stale


def test_stale_heuristic_only_when_unknown():
    result = cap.resolve_captured(
        "image", server_image_properties={}, instance_created_at="2026-01-01",
        image_updated_at="2026-02-01")
    assert result.stale_suspected is False


def test_newest_snapshot_per_instance_one_pass():
    images = [
        {"id": "base", "created_at": "2026-11-25T00:00:00Z",
         "status": "active"},
        dict(SNAP, id="old", created_at="2026-11-01T00:00:00Z"),
        dict(SNAP, id="new", created_at="2026-11-21T00:00:00Z"),
        dict(SNAP, id="mid", created_at="2026-11-10T00:00:00Z"),
        dict(SNAP, id="killed", created_at="2026-11-22T00:00:00Z",
             status="killed"),
        dict(SNAP, id="other", instance_uuid="i2"),
        {"id": "nested", "created_at": "2026-11-30T00:00:00Z",
         "status": "active",
         "properties": {"image_type": "snapshot", "instance_uuid": "i3"}},
        dict(SNAP, id="no-instance", instance_uuid=None),
        dict(SNAP, id="no-date", instance_uuid="i4", created_at=None),
    ]
    newest = cap.newest_snapshot_per_instance(images)
    assert {k: v["id"] for k, v in newest.items()} == {
        "i1": "new", "i2": "other", "i3": "nested", "i4": "no-date"}


def test_newest_snapshot_empty():
    assert cap.newest_snapshot_per_instance(None) == {}
    assert cap.newest_snapshot_per_instance([]) == {}
