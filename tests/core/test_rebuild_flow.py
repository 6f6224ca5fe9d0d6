"""The guided rebuild-from-own-snapshot flow, one case per state."""
import pytest

from consistency_dashboard.core import rebuild_flow as flow

A, S = "ACTIVE", "SHUTOFF"
SNAP = "snap-1"
GOOD = {"hw_qemu_guest_agent": "yes", "os_require_quiesce": "yes"}
TAKEN = "2026-11-20T10:00:00Z"
BEFORE = "2026-11-20T09:00:00.000000"
AFTER = "2026-11-21T08:00:00.000000"


def rec(**kw):
    return flow.Record(**kw)


def snap(status=S, record=None, actions=(), **kw):
    """A server with the flow's snapshot recorded, active and fixed."""
    kw.setdefault("snapshot_status", "active")
    kw.setdefault("snapshot_properties", GOOD)
    kw.setdefault("server_image_id", "base")
    return flow.Observed(status, record=record or rec(snapshot_id=SNAP),
                         snapshot_created_at=TAKEN, actions=actions, **kw)


N, ST, SN, SP, RB, STA, FIN, ACC, ADO = (
    flow.Action.NONE, flow.Action.STOP, flow.Action.SNAPSHOT,
    flow.Action.SET_PROPERTIES, flow.Action.REBUILD, flow.Action.START,
    flow.Action.FINISH, flow.Action.ACCEPT, flow.Action.ADOPT)

CASES = [
    # (id, observed, action, stale, failed, states of the steps so far)
    ("no_record_asks_for_the_name",
     flow.Observed(A), N, None, False, {}),
    ("confirmed_running_instance_is_stopped_first",
     flow.Observed(A, confirmed=True), ST, None, False, {"stop": "running"}),
    ("confirmed_stopped_instance_is_snapshotted",
     flow.Observed(S, confirmed=True), SN, None, False,
     {"stop": "done", "snapshot": "running"}),
    ("stopping_waits",
     flow.Observed(A, task_state="powering-off", record=rec()),
     N, None, False, {"stop": "running"}),
    ("stopped_instance_is_snapshotted",
     flow.Observed(S, record=rec()), SN, None, False,
     {"stop": "done", "snapshot": "running"}),
    ("requested_snapshot_in_progress_waits",
     flow.Observed(S, task_state="image_uploading",
                   record=rec(snapshot_requested=True)),
     N, None, False, {"snapshot": "running"}),
    ("requested_snapshot_found_by_its_tag_is_adopted_not_repeated",
     flow.Observed(S, record=rec(snapshot_requested=True),
                   found_snapshot_id=SNAP), ADO, None, False,
     {"snapshot": "running"}),
    ("snapshot_in_progress_waits",
     snap(snapshot_status="saving"), N, None, False,
     {"stop": "done", "snapshot": "running"}),
    ("active_snapshot_gets_properties",
     snap(snapshot_properties={"hw_qemu_guest_agent": "yes"}), SP, None,
     False, {"snapshot": "done", "set_properties": "running"}),
    ("fixed_snapshot_is_rebuilt_from_a_shutoff_server",
     snap(), RB, None, False, {"set_properties": "done",
                               "rebuild": "running"}),
    ("run_before_the_snapshot_is_not_stale",
     snap(actions=(("start", BEFORE), ("stop", BEFORE))), RB, None, False,
     {}),
    ("busy_server_is_not_rebuilt",
     snap(task_state="migrating"), N, None, False, {}),
    # The reported data loss: a recorded snapshot, the server started since.
    ("active_server_with_recorded_snapshot_is_stale_not_rebuilt",
     snap(A), N, flow.Stale.RAN_AFTER, False, {}),
    ("server_started_and_stopped_again_is_stale",
     snap(actions=(("stop", AFTER), ("start", AFTER))), N,
     flow.Stale.RAN_AFTER, False, {}),
    ("reboot_after_the_snapshot_is_stale",
     snap(actions=(("reboot", AFTER),)), N, flow.Stale.RAN_AFTER, False, {}),
    ("unreadable_history_is_stale",
     snap(actions=None), N, flow.Stale.HISTORY_UNKNOWN, False, {}),
    ("deleted_snapshot_is_stale",
     snap(snapshot_gone=True, snapshot_status=None), N,
     flow.Stale.SNAPSHOT_GONE, False, {}),
    ("killed_snapshot_is_stale",
     snap(snapshot_status="killed"), N, flow.Stale.SNAPSHOT_GONE, False, {}),
    ("restarted_after_the_flow_stopped_it_is_stale",
     flow.Observed(A, record=rec()), N, flow.Stale.RESTARTED, False, {}),
    ("lost_record_with_a_tagged_snapshot_is_stale",
     flow.Observed(S, server_image_id="base", found_snapshot_id=SNAP,
                   found_snapshot_created_at=TAKEN, actions=()),
     N, flow.Stale.LOST_RECORD, False, {}),
    ("tagged_snapshot_the_server_runs_from_is_not_lost",
     flow.Observed(A, server_image_id=SNAP, found_snapshot_id=SNAP,
                   actions=()), N, None, False, {}),
    ("confirmed_stale_record_is_accepted_and_nothing_else",
     snap(A, confirmed=True, actions=(("start", AFTER),)), ACC, None, False,
     {}),
    ("confirmed_restarted_instance_is_stopped",
     flow.Observed(A, record=rec(), confirmed=True), ST, None, False,
     {"stop": "running"}),
    ("accepted_run_is_not_stale_and_the_server_is_stopped_first",
     snap(A, record=rec(snapshot_id=SNAP, accepted="2026-11-21T08:00:00Z"),
          actions=(("start", AFTER),)), ST, None, False, {}),
    ("run_after_the_accepted_one_is_stale_again",
     snap(record=rec(snapshot_id=SNAP, accepted="2026-11-21T08:00:00Z"),
          actions=(("start", "2026-11-22T08:00:00Z"),)), N,
     flow.Stale.RAN_AFTER, False, {}),
    ("flow_own_rebuild_is_not_a_run",
     snap(record=rec(snapshot_id=SNAP, rebuild_requested=True),
          actions=(("rebuild", AFTER),)), RB, None, False, {}),
    ("foreign_rebuild_before_the_flow_asked_is_a_run",
     snap(actions=(("rebuild", AFTER),)), N, flow.Stale.RAN_AFTER, False,
     {}),
    ("rebuild_in_progress_waits",
     snap(task_state="rebuilding", server_image_id=SNAP,
          record=rec(snapshot_id=SNAP, rebuild_requested=True)),
     N, None, False, {"rebuild": "running"}),
    ("server_running_from_the_snapshot_is_rebuilt_whatever_the_record",
     snap(server_image_id=SNAP), STA, None, False,
     {"rebuild": "done", "start": "running"}),
    ("instance_that_was_stopped_stays_stopped",
     snap(server_image_id=SNAP, record=rec(snapshot_id=SNAP,
                                           rebuild_requested=True,
                                           was_running=False)),
     FIN, None, False, {"start": "done"}),
    ("started_instance_finishes",
     snap(A, server_image_id=SNAP, actions=(("start", AFTER),)), FIN, None,
     False, {"start": "done"}),
    ("error_state_stops_without_deleting",
     snap("ERROR"), N, None, True, {}),
    ("rebuild_that_failed_into_error_is_not_rebuilt",
     snap("ERROR", server_image_id=SNAP), N, None, True, {}),
    ("paused_instance_cannot_start_the_flow",
     flow.Observed("PAUSED", confirmed=True), N, None, True, {}),
]


@pytest.mark.parametrize("observed,action,stale,failed,states",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_advance(observed, action, stale, failed, states):
    progress = flow.advance(observed)
    assert progress.action is action, progress.message
    assert progress.stale is stale
    assert progress.failed is failed
    got = {name: state.value for name, state in progress.steps}
    for name, state in states.items():
        assert got[name] == state, (name, got)
    if failed:
        assert "Nothing was deleted." in progress.message
    if stale is not None:
        assert progress.needs_confirmation


def _all_observed():
    return [c[1] for c in CASES]


@pytest.mark.parametrize("observed", _all_observed(),
                         ids=[c[0] for c in CASES])
def test_rebuild_only_ever_goes_to_an_idle_shutoff_server(observed):
    progress = flow.advance(observed)
    if progress.action is flow.Action.REBUILD:
        assert observed.server_status == "SHUTOFF"
        assert not observed.task_state
        assert progress.intent.rebuild_requested


@pytest.mark.parametrize("observed", _all_observed(),
                         ids=[c[0] for c in CASES])
def test_every_acting_step_has_its_intent_written_first(observed):
    progress = flow.advance(observed)
    if progress.action in (ST, SN, RB, ACC, ADO):
        assert progress.intent is not None or (
            progress.action is ST and observed.record is not None)
    if progress.action is SN:
        assert progress.intent.snapshot_requested


def test_properties_to_set_only_what_is_missing():
    progress = flow.advance(snap(snapshot_properties={
        "hw_qemu_guest_agent": "True"}))
    assert progress.properties_to_set == {"os_require_quiesce": "yes"}


ACCEPT_CASES = [
    ("ran_after_accepts_up_to_the_newest_run",
     snap(A, actions=(("start", AFTER), ("reboot", BEFORE))),
     flow.Stale.RAN_AFTER,
     rec(snapshot_id=SNAP, accepted="2026-11-21T08:00:00Z")),
    ("running_with_no_run_listed_accepts_up_to_the_snapshot",
     snap(A), flow.Stale.RAN_AFTER,
     rec(snapshot_id=SNAP, accepted="2026-11-20T10:00:00Z")),
    ("gone_snapshot_restarts_from_a_new_snapshot",
     snap(snapshot_gone=True, record=rec(snapshot_id=SNAP,
                                         was_running=False)),
     flow.Stale.SNAPSHOT_GONE, rec(was_running=False)),
    ("lost_record_is_recreated_from_the_tagged_snapshot",
     flow.Observed(A, server_image_id="base", found_snapshot_id=SNAP,
                   found_snapshot_created_at=TAKEN, actions=()),
     flow.Stale.LOST_RECORD,
     rec(snapshot_id=SNAP, was_running=True,
         accepted="2026-11-20T10:00:00Z")),
]


@pytest.mark.parametrize("observed,kind,record",
                         [c[1:] for c in ACCEPT_CASES],
                         ids=[c[0] for c in ACCEPT_CASES])
def test_accept(observed, kind, record):
    got_kind, runs = flow.staleness(observed)
    assert got_kind is kind
    assert flow.accept(observed, kind, runs) == record
    # Once accepted, the same observation is no longer stale.
    if kind in (flow.Stale.RAN_AFTER, flow.Stale.LOST_RECORD):
        again = flow.dataclasses.replace(observed, record=record,
                                         snapshot_created_at=TAKEN)
        assert flow.staleness(again)[0] is None


def test_stale_text_says_what_is_lost_and_when():
    text = flow.advance(snap(A, actions=(("start", AFTER),))).message
    assert "ran after snapshot snap-1 was taken (2026-11-20T10:00:00Z)" \
        in text
    assert "lose everything written since then" in text


@pytest.mark.parametrize("record", [
    rec(), rec(snapshot_id=SNAP), rec(snapshot_requested=True),
    rec(snapshot_id=SNAP, rebuild_requested=True, was_running=False),
    rec(snapshot_id="6f1c1c9e-4c1e-4d7e-9d2c-1b2b3c4d5e6f",
        rebuild_requested=True, accepted="2026-11-21T08:00:00Z")])
def test_record_round_trip_fits_server_metadata(record):
    encoded = record.encode()
    assert len(encoded) <= 255
    assert flow.decode_record(encoded) == record


@pytest.mark.parametrize("value", [None, "", "v2;snapshot=x", "garbage",
                                   "v10;snapshot=x"])
def test_foreign_records_are_ignored(value):
    assert flow.decode_record(value) is None


IMAGE = {"consistency_fix_flow_snapshot": "v1",
         "consistency_instance": "i-1", "owner": "p-1", "status": "active"}


@pytest.mark.parametrize("image,ours", [
    (IMAGE, True),
    (dict(IMAGE, owner="p-2"), False),
    (dict(IMAGE, consistency_instance="i-2"), False),
    (dict(IMAGE, consistency_fix_flow_snapshot="done"), False),
    (dict(IMAGE, status="deleted"), False),
    ({"owner": "p-1"}, False),
], ids=["own_tagged_snapshot", "other_project", "other_instance",
        "finished_flow", "deleted", "untagged"])
def test_is_flow_snapshot(image, ours):
    assert flow.is_flow_snapshot(image, "i-1", "p-1") is ours


def test_snapshot_metadata_is_what_is_flow_snapshot_reads():
    image = dict(flow.snapshot_metadata("i-1"), owner="p-1",
                 status="active")
    assert flow.is_flow_snapshot(image, "i-1", "p-1")


DISCARD_CASES = [
    ("stale_record_and_own_snapshot", snap(A), True, (True, SNAP)),
    ("snapshot_not_ours_is_kept", snap(A), False, (True, None)),
    ("gone_snapshot_record_only", snap(snapshot_gone=True), True,
     (True, None)),
    ("lost_record_snapshot",
     flow.Observed(S, server_image_id="base", found_snapshot_id=SNAP),
     True, (True, SNAP)),
    ("nothing_to_discard", flow.Observed(S), True, (False, None)),
    ("rebuilt_server_keeps_its_image", snap(server_image_id=SNAP), True,
     (False, None)),
    ("busy_server_waits", snap(task_state="image_uploading"), True,
     (False, None)),
]


@pytest.mark.parametrize("observed,ours,expected",
                         [c[1:] for c in DISCARD_CASES],
                         ids=[c[0] for c in DISCARD_CASES])
def test_discard_target(observed, ours, expected):
    assert flow.discard_target(observed, ours) == expected
