"""When a fix form refuses, one case per reason."""
import pytest

from consistency_dashboard.core import fix_eligibility as fe


def now(**kw):
    base = dict(name="web-1", in_project=True, status="ACTIVE",
                step_applicable=True, step_note="ok")
    base.update(kw)
    return fe.InstanceNow(**base)


REBUILD = [
    ("eligible", now(), True, None),
    ("other_project", now(in_project=False), True,
     "not in the current project"),
    ("image_gone", now(), False, "is gone or not visible"),
    ("not_applicable_says_why", now(step_applicable=False,
                                    step_note="Nothing to fix."), True,
     "Nothing to fix."),
    ("busy", now(task_state="rebuilding"), True, "(rebuilding)"),
    ("error", now(status="ERROR"), True, "ACTIVE or SHUTOFF"),
    ("stopped_is_fine", now(status="SHUTOFF"), True, None),
]


@pytest.mark.parametrize("instance,image_known,text",
                         [c[1:] for c in REBUILD], ids=[c[0] for c in REBUILD])
def test_rebuild_from_image_refusal(instance, image_known, text):
    got = fe.rebuild_from_image_refusal(instance, image_known, "img-1")
    if text is None:
        assert got is None
    else:
        assert text in got


VOLUME = [
    ("eligible", now(), True, True, {"a": "yes"}, None),
    ("other_project_instance", now(in_project=False), True, True,
     {"a": "yes"}, "not in the current project"),
    ("no_volume", now(), False, False, {"a": "yes"}, "was not found"),
    ("other_project_volume", now(), True, False, {"a": "yes"},
     "belongs to another project"),
    ("not_applicable", now(step_applicable=False, step_note="Nothing to "
                           "fix."), True, True, {}, "Nothing to fix."),
    ("already_set_still_needs_recreate", now(), True, True, {},
     "Re-create it from the volume"),
]


@pytest.mark.parametrize("instance,found,ours,to_set,text",
                         [c[1:] for c in VOLUME], ids=[c[0] for c in VOLUME])
def test_boot_volume_refusal(instance, found, ours, to_set, text):
    got = fe.boot_volume_refusal(instance, found, ours, to_set)
    if text is None:
        assert got is None
    else:
        assert text in got


@pytest.mark.parametrize("before", [
    {}, {"hw_qemu_guest_agent": "no"},
    {"hw_qemu_guest_agent": "x" * 300, "os_require_quiesce": "a;b"}],
    ids=["absent", "one_value", "long_and_odd_values"])
def test_volume_fix_record_round_trip_fits_server_metadata(before):
    keys = ("hw_qemu_guest_agent", "os_require_quiesce")
    encoded = fe.encode_volume_fix(before, keys)
    assert len(encoded) <= 255
    decoded = fe.decode_volume_fix(encoded)
    assert set(decoded) == set(keys)
    for key in keys:
        value = before.get(key)
        assert decoded[key] == (value[:60].replace(";", ",")
                                if value is not None else None)


@pytest.mark.parametrize("value", [None, "", "v2;a=b", "junk"])
def test_foreign_volume_fix_records_are_ignored(value):
    assert fe.decode_volume_fix(value) is None


def test_captured_after_volume_fix_puts_the_recorded_values_back():
    fixed = {"hw_qemu_guest_agent": "yes", "os_require_quiesce": "yes",
             "hw_disk_bus": "virtio"}
    recorded = {"hw_qemu_guest_agent": "no", "os_require_quiesce": None}
    assert fe.captured_after_volume_fix(fixed, recorded) == {
        "hw_qemu_guest_agent": "no", "hw_disk_bus": "virtio"}
