"""The guided "rebuild from its own snapshot" fix, as a pure state machine.

DOMAIN.md, "Properties are captured at boot", option 2: stop the instance,
snapshot it, set the properties on that snapshot, rebuild from it, start it.
Keeps the ID, the IP addresses and the root disk as of the snapshot; every
write after the snapshot is lost, so the flow must never rebuild a server
that ran after its snapshot without the user saying so.

The flow keeps no state of its own: each call to :func:`advance` looks at
what OpenStack shows now (the server, its instance actions, the flow's
record in the server's metadata, the snapshot image) and says which steps
are done, which action to take next (at most one), the record to write
*before* taking it (the intent), or why it stopped and what the user must
decide.

Rules:
- REBUILD is only ever proposed for a SHUTOFF server with no task; the flow
  stops it first.  "Rebuilt" means the server runs from the snapshot
  (``server.image.id == snapshot``), not that the record says so.
- A record is *stale* when the server ran after the snapshot was taken, when
  its snapshot no longer exists, or when the instance runs again although
  the flow stopped it.  A stale record is never resumed without the user's
  typed confirmation; :func:`advance` then returns the accepted record.
- The snapshot is tagged through createImage metadata
  (:func:`snapshot_metadata`), so a snapshot whose record was lost is found
  again and offered the same way.
"""

import dataclasses
import enum

from consistency_dashboard.core import properties as props
from consistency_dashboard.core import timestamps
from consistency_dashboard.core.i18n import fill
from consistency_dashboard.core.i18n import gettext_noop

RECORD_KEY = "consistency_fix_flow"
RECORD_VERSION = "v1"
SNAPSHOT_TAG = "consistency_fix_flow_snapshot"
SNAPSHOT_INSTANCE = "consistency_instance"
SNAPSHOT_TAG_VERSION = "v1"
# Written over the tag when the flow finishes: the server runs from the
# snapshot, so a later rebuild elsewhere must not make it look like a
# snapshot whose record was lost.
SNAPSHOT_TAG_DONE = "done"

STEPS = ("stop", "snapshot", "set_properties", "rebuild", "start")
STEP_LABELS = {
    "stop": gettext_noop("Stop the instance"),
    "snapshot": gettext_noop("Snapshot the instance"),
    "set_properties": gettext_noop("Set the properties on the snapshot"),
    "rebuild": gettext_noop("Rebuild the instance from the snapshot"),
    "start": gettext_noop("Start the instance"),
}

# Instance actions (nova/compute/instance_actions.py) after which the guest
# may have run and written to its disks.  Chosen from the action history
# rather than the server's fields: ``OS-SRV-USG:launched_at`` is set only
# when Nova spawns the guest (build, rebuild, unshelve, resize), not on
# start or reboot, so it misses the plain "started it and used it" case;
# ``updated`` moves on every task-state change, including the flow's own
# stop and snapshot.  The list errs towards "ran": a false alarm costs one
# confirmation, a miss costs the user's writes.  ``rebuild`` counts only
# until the flow has asked for its own rebuild.
RUN_ACTIONS = frozenset((
    "start", "reboot", "resume", "unpause", "unshelve", "rescue", "unrescue",
    "restore", "revertResize", "confirmResize", "resize", "migrate",
    "evacuate", "live-migration"))

_GONE_STATUSES = ("killed", "deleted", "pending_delete")


class Action(enum.Enum):
    NONE = "none"            # wait, or stop: see Progress.failed / decision
    ACCEPT = "accept"        # write the accepted record, nothing else
    ADOPT = "adopt"          # record the tagged snapshot found
    STOP = "stop"
    SNAPSHOT = "snapshot"
    SET_PROPERTIES = "set_properties"
    REBUILD = "rebuild"
    START = "start"
    FINISH = "finish"        # clear the record: all done


class StepState(enum.Enum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Stale(enum.Enum):
    RAN_AFTER = "ran_after"            # the server ran after the snapshot
    HISTORY_UNKNOWN = "history_unknown"  # cannot tell whether it ran
    SNAPSHOT_GONE = "snapshot_gone"    # the recorded snapshot is gone
    RESTARTED = "restarted"            # runs although the flow stopped it
    LOST_RECORD = "lost_record"        # a tagged snapshot, no record


@dataclasses.dataclass(frozen=True)
class Record:
    """The flow's record in the server metadata."""
    snapshot_id: str = None
    snapshot_requested: bool = False   # intent written, id not yet known
    rebuild_requested: bool = False
    was_running: bool = True           # start it again at the end
    accepted: str = None   # newest run (Nova's clock) the user accepted

    def encode(self):
        parts = [RECORD_VERSION, "was=%s" % ("running" if self.was_running
                                             else "stopped")]
        if self.snapshot_id:
            parts.append("snapshot=%s" % self.snapshot_id)
        elif self.snapshot_requested:
            parts.append("snapshot=requested")
        if self.rebuild_requested:
            parts.append("rebuild=requested")
        if self.accepted:
            parts.append("accepted=%s" % self.accepted)
        return ";".join(parts)


def decode_record(value):
    """The record from the metadata value, or None when there is none (or it
    is not one this version wrote)."""
    if not value or not str(value).startswith(RECORD_VERSION + ";"):
        return None
    fields = dict(p.split("=", 1) for p in str(value).split(";")[1:]
                  if "=" in p)
    snapshot = fields.get("snapshot") or None
    return Record(
        snapshot_id=None if snapshot == "requested" else snapshot,
        snapshot_requested=snapshot == "requested",
        rebuild_requested=fields.get("rebuild") == "requested",
        was_running=fields.get("was", "running") == "running",
        accepted=fields.get("accepted") or None)


def snapshot_metadata(instance_id):
    """createImage ``metadata`` that marks the flow's own snapshot (the
    snapshot keeps it: DOMAIN.md "Snapshot images")."""
    return {SNAPSHOT_TAG: SNAPSHOT_TAG_VERSION, SNAPSHOT_INSTANCE: instance_id}


def is_flow_snapshot(image, instance_id, project_id):
    """Whether a plain Glance image dict is this flow's snapshot of this
    instance, owned by this project: the only images the flow writes to or
    deletes."""
    return (bool(image) and image.get(SNAPSHOT_TAG) == SNAPSHOT_TAG_VERSION
            and image.get(SNAPSHOT_INSTANCE) == instance_id
            and bool(project_id) and image.get("owner") == project_id
            and image.get("status") not in _GONE_STATUSES)


@dataclasses.dataclass(frozen=True)
class Observed:
    """What the APIs show now, plus what the user confirmed on this
    request."""
    server_status: str                 # ACTIVE, SHUTOFF, ERROR, ...
    task_state: str = None
    server_image_id: str = None        # the image the server runs from now
    record: Record = None              # None: no record
    snapshot_status: str = None        # of the recorded snapshot
    snapshot_gone: bool = False        # Glance says 404 / deleted
    snapshot_properties: dict = None
    snapshot_created_at: str = None
    # (action, start_time) pairs from the instance action list; None when
    # it could not be read.
    actions: tuple = None
    found_snapshot_id: str = None      # a tagged snapshot (record lost)
    found_snapshot_created_at: str = None
    confirmed: bool = False            # the name was typed on this request


@dataclasses.dataclass(frozen=True)
class Progress:
    steps: tuple          # (step, StepState) in STEPS order
    action: Action
    done: bool
    failed: bool
    message: str
    properties_to_set: dict
    intent: Record = None          # write this record before the action
    stale: Stale = None            # the user must decide: Resume/Discard
    needs_confirmation: bool = False   # the instance name must be typed
    runs: tuple = ()               # (action, time) after the snapshot


def _wanted(snapshot_properties):
    current = props.read_properties(snapshot_properties or {})
    wanted = {}
    if not current.guest_agent.value:
        wanted[props.GUEST_AGENT] = props.FIX_VALUE
    if not current.require_quiesce.value:
        wanted[props.REQUIRE_QUIESCE] = props.FIX_VALUE
    return wanted


def _progress(states, action, message, done=False, failed=False, **extra):
    steps = tuple((name, states.get(name, StepState.PENDING))
                  for name in STEPS)
    extra.setdefault("properties_to_set", {})
    return Progress(steps, action, done, failed, message, **extra)


def _later(value, than):
    moment, limit = (timestamps.parse_timestamp(value),
                     timestamps.parse_timestamp(than))
    return moment is not None and (limit is None or moment > limit)


def runs_after(observed, snapshot_created_at):
    """The (action, start_time) runs after the snapshot and after what the
    user accepted; None when the history could not be read."""
    if observed.actions is None:
        return None
    record = observed.record or Record()
    since = snapshot_created_at
    if record.accepted and _later(record.accepted, since):
        since = record.accepted
    counted = RUN_ACTIONS | ({"rebuild"} if not record.rebuild_requested
                             else set())
    return tuple((name, when) for name, when in observed.actions
                 if name in counted and _later(when, since))


def rebuilt(observed):
    snapshot = (observed.record or Record()).snapshot_id
    return bool(snapshot) and observed.server_image_id == snapshot and \
        observed.server_status != "ERROR"


def staleness(observed):
    """``(Stale or None, runs)`` for the flow's record as observed."""
    record = observed.record
    if record is None:
        if observed.found_snapshot_id and not observed.server_image_id == \
                observed.found_snapshot_id:
            return Stale.LOST_RECORD, runs_after(
                observed, observed.found_snapshot_created_at) or ()
        return None, ()
    if rebuilt(observed):
        return None, ()
    if record.snapshot_id is None:
        running = observed.server_status != "SHUTOFF" and \
            not observed.task_state
        return (Stale.RESTARTED if running else None), ()
    if observed.snapshot_gone or observed.snapshot_status in _GONE_STATUSES:
        return Stale.SNAPSHOT_GONE, ()
    runs = runs_after(observed, observed.snapshot_created_at)
    if runs is None:
        return (None if record.accepted else Stale.HISTORY_UNKNOWN), ()
    if runs or (observed.server_status != "SHUTOFF" and not record.accepted):
        return Stale.RAN_AFTER, runs
    return None, ()


STALE_TEXT = {
    Stale.RAN_AFTER: gettext_noop(
        "The instance ran after snapshot {snapshot} was taken ({when}). "
        "Rebuilding from it now would lose everything written since then "
        "(and the ephemeral disks)."),
    Stale.HISTORY_UNKNOWN: gettext_noop(
        "The instance's action history could not be read, so it is not "
        "known whether it ran after snapshot {snapshot} was taken ({when}). "
        "If it did, rebuilding from it loses everything written since."),
    Stale.SNAPSHOT_GONE: gettext_noop(
        "Snapshot {snapshot} of this fix no longer exists (deleted, or the "
        "snapshot failed). Resuming takes a new snapshot after stopping the "
        "instance; nothing on its disks is lost by that."),
    Stale.RESTARTED: gettext_noop(
        "The instance is running although this fix had stopped it (or could "
        "not stop it). Resuming stops it again; the snapshot is taken after "
        "the stop, so nothing on its root disk is lost."),
    Stale.LOST_RECORD: gettext_noop(
        "Snapshot {snapshot} ({when}) was made by an earlier run of this "
        "fix, but the fix's record on the instance is gone. Resuming "
        "rebuilds from it: everything written since it was taken is lost."),
}


_TIME_UNKNOWN = gettext_noop("time unknown")


def stale_text(observed, kind):
    snapshot = (observed.record.snapshot_id if observed.record
                else observed.found_snapshot_id)
    when = (observed.snapshot_created_at if observed.record
            else observed.found_snapshot_created_at)
    return fill(STALE_TEXT[kind], snapshot=snapshot,
                when=timestamps.format_timestamp(when) or _TIME_UNKNOWN)


def accept(observed, kind, runs):
    """The record that says the user accepted this stale state (Resume), or
    None when the accepted action needs no record change."""
    record = observed.record
    newest = max((when for _name, when in runs),
                 key=lambda w: timestamps.parse_timestamp(w), default=None)
    if kind is Stale.SNAPSHOT_GONE:
        return Record(was_running=record.was_running)
    if kind is Stale.RESTARTED:
        return None
    if kind is Stale.LOST_RECORD:
        return Record(snapshot_id=observed.found_snapshot_id,
                      was_running=observed.server_status == "ACTIVE",
                      accepted=timestamps.format_timestamp(
                          newest or observed.found_snapshot_created_at))
    return dataclasses.replace(record, accepted=timestamps.format_timestamp(
        newest or observed.snapshot_created_at))


_RESUMING = gettext_noop("Resuming: {text}")


def _decide(observed, kind, runs):
    """The progress when the record is stale: ask, or take the accepted
    step."""
    text = stale_text(observed, kind)
    if not observed.confirmed:
        return _progress({}, Action.NONE, text, stale=kind, runs=runs,
                         needs_confirmation=True)
    if kind is Stale.RESTARTED:
        return _stop({}, observed, observed.record)
    return _progress({}, Action.ACCEPT, fill(_RESUMING, text=text),
                     intent=accept(observed, kind, runs))


# (task known, the fix's snapshot known) -> where things are.
_WHERE = {
    (False, False): gettext_noop(
        "The instance is {status}. Nothing was deleted."),
    (True, False): gettext_noop(
        "The instance is {status} (task: {task}). Nothing was deleted."),
    (False, True): gettext_noop(
        "The instance is {status}. Snapshot {snapshot} is "
        "{snapshot_status}. Nothing was deleted."),
    (True, True): gettext_noop(
        "The instance is {status} (task: {task}). Snapshot {snapshot} is "
        "{snapshot_status}. Nothing was deleted."),
}
_GONE = gettext_noop("gone")
NOTHING_DELETED = gettext_noop("Nothing was deleted.")


def where(observed):
    """Where the instance and the fix's snapshot are, in the words every
    stopped flow ends with; only "Nothing was deleted." when nothing could
    be read (``observed`` None)."""
    if observed is None:
        return NOTHING_DELETED
    record = observed.record
    snapshot = record.snapshot_id if record else None
    return fill(_WHERE[(bool(observed.task_state), bool(snapshot))],
                status=observed.server_status, task=observed.task_state,
                snapshot=snapshot,
                snapshot_status=_GONE if observed.snapshot_gone
                else observed.snapshot_status)


_WAITING_TASK = gettext_noop("Waiting for the instance (task: {task}).")
_NOT_ACTIVE_OR_SHUTOFF = gettext_noop(
    "Stopped: the instance must be ACTIVE or SHUTOFF for this fix. {where}")
_STOPPED = gettext_noop("Stopped: {where}")
_WAITING_SNAPSHOT = gettext_noop("Waiting for the snapshot ({status}).")
_DONE = gettext_noop(
    "Done: the instance now runs from snapshot {snapshot} with the guest "
    "agent channel and required quiesce.")


def _stop(s, observed, record):
    """Stop first: snapshots and rebuilds go to a SHUTOFF server only."""
    status = observed.server_status
    if observed.task_state:
        s["stop"] = StepState.RUNNING
        return _progress(s, Action.NONE, fill(_WAITING_TASK,
                                              task=observed.task_state))
    # Nova stops ACTIVE servers only (compute/api.py ``stop``; ERROR is
    # handled above and RESCUED servers are left to the user).
    if status == "ACTIVE":
        s["stop"] = StepState.RUNNING
        intent = record or Record(was_running=status == "ACTIVE")
        return _progress(s, Action.STOP, gettext_noop(
            "Stopping the instance."),
                         intent=intent)
    return _progress(s, Action.NONE, fill(_NOT_ACTIVE_OR_SHUTOFF,
                                          where=where(observed)),
                     failed=True)


def _snapshot_step(s, observed, record):
    if record.snapshot_requested and observed.found_snapshot_id:
        s["snapshot"] = StepState.RUNNING
        return _progress(s, Action.ADOPT, gettext_noop(
            "Recording the snapshot."),
                         intent=dataclasses.replace(
                             record, snapshot_id=observed.found_snapshot_id,
                             snapshot_requested=False))
    if observed.server_status != "SHUTOFF" or observed.task_state:
        return _stop(s, observed, record)
    s["stop"] = StepState.DONE
    s["snapshot"] = StepState.RUNNING
    return _progress(s, Action.SNAPSHOT, gettext_noop(
        "Snapshotting the instance."),
                     intent=dataclasses.replace(record,
                                                snapshot_requested=True))


def _rebuild_step(s, observed, record):
    if observed.server_status != "SHUTOFF" or observed.task_state:
        if record.rebuild_requested and observed.task_state:
            s["rebuild"] = StepState.RUNNING
            return _progress(s, Action.NONE, gettext_noop(
                "Waiting for the rebuild."))
        return _stop(s, observed, record)
    s["rebuild"] = StepState.RUNNING
    return _progress(s, Action.REBUILD,
                     gettext_noop(
                         "Rebuilding the instance from the snapshot."),
                     intent=dataclasses.replace(record,
                                                rebuild_requested=True))


_REQUESTED = gettext_noop("requested")


def _before_rebuild(s, observed, record):
    if not record.snapshot_id:
        if record.snapshot_requested and observed.task_state in (
                "image_snapshot", "image_snapshot_pending",
                "image_pending_upload", "image_uploading"):
            s["snapshot"] = StepState.RUNNING
            return _progress(s, Action.NONE, gettext_noop(
                "Waiting for the snapshot."))
        return _snapshot_step(s, observed, record)
    s["stop"] = StepState.DONE
    if observed.snapshot_status != "active":
        s["snapshot"] = StepState.RUNNING
        return _progress(s, Action.NONE, fill(
            _WAITING_SNAPSHOT,
            status=observed.snapshot_status or _REQUESTED))
    s["snapshot"] = StepState.DONE
    wanted = _wanted(observed.snapshot_properties)
    if wanted:
        s["set_properties"] = StepState.RUNNING
        return _progress(s, Action.SET_PROPERTIES,
                         gettext_noop(
                             "Setting the properties on the snapshot."),
                         properties_to_set=wanted)
    s["set_properties"] = StepState.DONE
    return _rebuild_step(s, observed, record)


def _after_rebuild(s, observed, record):
    for name in ("stop", "snapshot", "set_properties"):
        s[name] = StepState.DONE
    if observed.task_state:
        s["rebuild"] = StepState.RUNNING
        return _progress(s, Action.NONE, gettext_noop(
            "Waiting for the rebuild."))
    s["rebuild"] = StepState.DONE
    status = observed.server_status
    if status == "SHUTOFF" and record.was_running:
        s["start"] = StepState.RUNNING
        return _progress(s, Action.START, gettext_noop(
            "Starting the instance."))
    if status != "ACTIVE" and record.was_running:
        s["start"] = StepState.RUNNING
        return _progress(s, Action.NONE, gettext_noop(
            "Waiting for the instance to start."))
    s["start"] = StepState.DONE
    return _progress(s, Action.FINISH,
                     fill(_DONE, snapshot=record.snapshot_id), done=True)


def discard_target(observed, snapshot_is_ours):
    """``(allowed, image_id)`` for Discard: the record (or the tagged
    snapshot whose record was lost) can be discarded until the server runs
    from the snapshot; the snapshot is deleted only when it is the flow's
    own and the server does not run from it."""
    record = observed.record
    image = record.snapshot_id if record else observed.found_snapshot_id
    if record is None and image is None:
        return False, None
    if rebuilt(observed) or observed.task_state:
        return False, None
    if not image or not snapshot_is_ours or observed.snapshot_gone or \
            observed.server_image_id == image:
        return True, None
    return True, image


def advance(observed):
    """The :class:`Progress` of the flow and the one action to take now."""
    if observed.server_status == "ERROR":
        return _progress({}, Action.NONE,
                         fill(_STOPPED, where=where(observed)), failed=True)
    kind, runs = staleness(observed)
    if kind is not None:
        return _decide(observed, kind, runs)
    record = observed.record
    if record is None:
        if not observed.confirmed:
            return _progress({}, Action.NONE, gettext_noop(
                "Type the instance name to start the fix."),
                needs_confirmation=True)
        record = Record(was_running=observed.server_status == "ACTIVE")
    if rebuilt(observed):
        return _after_rebuild({}, observed, record)
    return _before_rebuild({}, observed, record)
