"""The one line a table row shows: what differs from
hw_qemu_guest_agent=yes with os_require_quiesce=yes, the deciding thing
first."""
import pytest

from consistency_dashboard.core import posture

CASES = [
    ("recommended", {"hw_qemu_guest_agent": "yes",
                     "os_require_quiesce": "yes"}, None, ""),
    ("nothing set", {}, None, "no guest agent property"),
    ("agent only", {"hw_qemu_guest_agent": "True"}, None,
     "quiesce not required"),
    ("quiesce without agent", {"os_require_quiesce": "1"}, None,
     "quiesce required without the guest agent property"),
    ("unparseable agent", {"hw_qemu_guest_agent": "enabled"}, None,
     "hw_qemu_guest_agent value not a boolean (read as false)"),
    ("unparseable quiesce", {"hw_qemu_guest_agent": "yes",
                             "os_require_quiesce": "sure"}, None,
     "os_require_quiesce value not a boolean (read as false)"),
    ("dead property only", {"hw_qemu_guest_agent": "yes",
                            "os_require_quiesce": "yes",
                            "hw_require_fsfreeze": "yes"}, None,
     "hw_require_fsfreeze set: no effect"),
    ("no agent and dead property: the agent decides",
     {"hw_require_fsfreeze": "yes"}, None, "no guest agent property"),
    ("recommended on Ceph RBD", {"hw_qemu_guest_agent": "yes",
                                 "os_require_quiesce": "yes"}, "rbd",
     "Ceph RBD: never frozen"),
    ("recommended without live snapshots", {"hw_qemu_guest_agent": "yes",
                                            "os_require_quiesce": "yes"},
     "no_live_snapshot", "no live snapshots: guest suspended, not frozen"),
    ("unknown storage: the properties decide", {}, "unknown",
     "no guest agent property"),
]


@pytest.mark.parametrize("case,properties,storage,headline", CASES,
                         ids=[c[0] for c in CASES])
def test_headline(case, properties, storage, headline):
    found = posture.image_posture(properties, storage)
    assert found.headline == headline
    # A row with nothing to say is one that needs no attention, unless the
    # storage path alone makes it crash-consistent.
    if not headline:
        assert not found.needs_attention
