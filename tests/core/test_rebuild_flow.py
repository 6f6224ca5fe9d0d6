"""The guided rebuild-from-own-snapshot flow, one case per state."""
import pytest

from consistency_dashboard.core import rebuild_flow as flow

A, S = "ACTIVE", "SHUTOFF"
SNAP = "snap-1"
GOOD = {"hw_qemu_guest_agent": "yes", "os_require_quiesce": "yes"}


def rec(**kw):
    return flow.Record(**kw)


CASES = [
    # (id, observed, action, done, failed, states of the steps so far)
    ("running_instance_is_stopped_first",
     flow.Observed(A), flow.Action.STOP, False, False,
     {"stop": "running"}),
    ("stopping_waits",
     flow.Observed(A, task_state="powering-off", record=rec()),
     flow.Action.NONE, False, False, {"stop": "running"}),
    ("stopped_instance_is_snapshotted",
     flow.Observed(S, record=rec()), flow.Action.SNAPSHOT, False, False,
     {"stop": "done", "snapshot": "running"}),
    ("snapshot_in_progress_waits",
     flow.Observed(S, record=rec(snapshot_id=SNAP), snapshot_status="saving"),
     flow.Action.NONE, False, False, {"stop": "done", "snapshot": "running"}),
    ("snapshot_gone_stops_and_says_so",
     flow.Observed(S, record=rec(snapshot_id=SNAP), snapshot_gone=True),
     flow.Action.NONE, False, True, {"snapshot": "failed"}),
    ("active_snapshot_gets_properties",
     flow.Observed(S, record=rec(snapshot_id=SNAP), snapshot_status="active",
                   snapshot_properties={"hw_qemu_guest_agent": "yes"}),
     flow.Action.SET_PROPERTIES, False, False,
     {"snapshot": "done", "set_properties": "running"}),
    ("fixed_snapshot_is_rebuilt_from",
     flow.Observed(S, server_image_id="base", record=rec(snapshot_id=SNAP),
                   snapshot_status="active", snapshot_properties=GOOD),
     flow.Action.REBUILD, False, False,
     {"set_properties": "done", "rebuild": "running"}),
    ("rebuild_in_progress_waits",
     flow.Observed(S, task_state="rebuilding", server_image_id=SNAP,
                   record=rec(snapshot_id=SNAP, rebuild_requested=True),
                   snapshot_status="active", snapshot_properties=GOOD),
     flow.Action.NONE, False, False, {"rebuild": "running"}),
    ("rebuilt_instance_that_was_running_is_started",
     flow.Observed(S, server_image_id=SNAP,
                   record=rec(snapshot_id=SNAP, rebuild_requested=True),
                   snapshot_status="active", snapshot_properties=GOOD),
     flow.Action.START, False, False, {"rebuild": "done", "start": "running"}),
    ("instance_that_was_stopped_stays_stopped",
     flow.Observed(S, server_image_id=SNAP,
                   record=rec(snapshot_id=SNAP, rebuild_requested=True,
                              was_running=False),
                   snapshot_status="active", snapshot_properties=GOOD),
     flow.Action.FINISH, True, False, {"start": "done"}),
    ("started_instance_finishes",
     flow.Observed(A, server_image_id=SNAP,
                   record=rec(snapshot_id=SNAP, rebuild_requested=True),
                   snapshot_status="active", snapshot_properties=GOOD),
     flow.Action.FINISH, True, False, {"start": "done"}),
    ("error_state_stops_without_deleting",
     flow.Observed("ERROR", record=rec(snapshot_id=SNAP),
                   snapshot_status="active"),
     flow.Action.NONE, False, True, {}),
    ("paused_instance_cannot_start_the_flow",
     flow.Observed("PAUSED"), flow.Action.NONE, False, True, {}),
]


@pytest.mark.parametrize("observed,action,done,failed,states",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_advance(observed, action, done, failed, states):
    progress = flow.advance(observed)
    assert progress.action is action
    assert progress.done is done
    assert progress.failed is failed
    got = {name: state.value for name, state in progress.steps}
    for name, state in states.items():
        assert got[name] == state, (name, got)
    if failed:
        assert "Nothing was deleted." in progress.message


def test_properties_to_set_only_what_is_missing():
    progress = flow.advance(flow.Observed(
        S, record=rec(snapshot_id=SNAP), snapshot_status="active",
        snapshot_properties={"hw_qemu_guest_agent": "True"}))
    assert progress.properties_to_set == {"os_require_quiesce": "yes"}


@pytest.mark.parametrize("record", [
    rec(), rec(snapshot_id=SNAP), rec(snapshot_id=SNAP,
                                      rebuild_requested=True,
                                      was_running=False)])
def test_record_round_trip_fits_server_metadata(record):
    encoded = record.encode()
    assert len(encoded) <= 255
    assert flow.decode_record(encoded) == record


@pytest.mark.parametrize("value", [None, "", "v2;snapshot=x", "garbage"])
def test_foreign_records_are_ignored(value):
    assert flow.decode_record(value) is None
