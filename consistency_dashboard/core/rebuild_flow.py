"""The guided "rebuild from its own snapshot" fix, as a pure state machine.

DOMAIN.md, "Properties are captured at boot", option 2: stop the instance,
snapshot it, set the properties on that snapshot, rebuild from it, start it.
Keeps the ID, the IP addresses and the root disk as of the snapshot.

The flow keeps no state of its own: each call to :func:`advance` looks at
what OpenStack shows now (the server, the flow's record in the server's
metadata, the snapshot image) and says which steps are done, which action to
take next (at most one), or why it stopped.  Nothing is ever deleted: on a
failure the instance and the snapshot are left as they are and the message
says what state they are in.
"""

import dataclasses
import enum

from consistency_dashboard.core import properties as props

RECORD_KEY = "consistency_fix_flow"
RECORD_VERSION = "v1"

STEPS = ("stop", "snapshot", "set_properties", "rebuild", "start")
STEP_LABELS = {
    "stop": "Stop the instance",
    "snapshot": "Snapshot the instance",
    "set_properties": "Set the properties on the snapshot",
    "rebuild": "Rebuild the instance from the snapshot",
    "start": "Start the instance",
}


class Action(enum.Enum):
    NONE = "none"            # wait: Nova or Glance is still working
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


@dataclasses.dataclass(frozen=True)
class Record:
    """The flow's record in the server metadata: the snapshot it made."""
    snapshot_id: str = None
    rebuild_requested: bool = False
    was_running: bool = True   # start it again at the end

    def encode(self):
        parts = [RECORD_VERSION, "was=%s" % ("running" if self.was_running
                                             else "stopped")]
        if self.snapshot_id:
            parts.append("snapshot=%s" % self.snapshot_id)
        if self.rebuild_requested:
            parts.append("rebuild=requested")
        return ";".join(parts)


def decode_record(value):
    """The record from the metadata value, or None when there is none (or it
    is not one this version wrote)."""
    if not value or not str(value).startswith(RECORD_VERSION):
        return None
    fields = dict(p.split("=", 1) for p in str(value).split(";")[1:]
                  if "=" in p)
    return Record(snapshot_id=fields.get("snapshot") or None,
                  rebuild_requested=fields.get("rebuild") == "requested",
                  was_running=fields.get("was", "running") == "running")


@dataclasses.dataclass(frozen=True)
class Observed:
    """What the APIs show now."""
    server_status: str                 # ACTIVE, SHUTOFF, ERROR, ...
    task_state: str = None
    server_image_id: str = None        # the image the server runs from now
    record: Record = None              # None: the flow has not started
    snapshot_status: str = None        # None: no snapshot, or it is gone
    snapshot_gone: bool = False        # Glance says 404 / deleted
    snapshot_properties: dict = None

    @property
    def started_running(self):
        if self.record is not None:
            return self.record.was_running
        return self.server_status == "ACTIVE"


@dataclasses.dataclass(frozen=True)
class Progress:
    steps: tuple          # (step, StepState) in STEPS order
    action: Action
    done: bool
    failed: bool
    message: str
    properties_to_set: dict


def _wanted(snapshot_properties):
    current = props.read_properties(snapshot_properties or {})
    wanted = {}
    if not current.guest_agent.value:
        wanted[props.GUEST_AGENT] = props.FIX_VALUE
    if not current.require_quiesce.value:
        wanted[props.REQUIRE_QUIESCE] = props.FIX_VALUE
    return wanted


def _progress(states, action, message, done=False, failed=False, wanted=None):
    steps = tuple((name, states.get(name, StepState.PENDING))
                  for name in STEPS)
    return Progress(steps, action, done, failed, message, wanted or {})


def _where(observed):
    text = "The instance is %s" % observed.server_status
    if observed.task_state:
        text += " (task: %s)" % observed.task_state
    if observed.record and observed.record.snapshot_id:
        if observed.snapshot_gone:
            text += "; its snapshot %s is gone" % observed.record.snapshot_id
        else:
            text += "; snapshot %s is %s" % (observed.record.snapshot_id,
                                             observed.snapshot_status)
    return text + ". Nothing was deleted."


def advance(observed):
    """The :class:`Progress` of the flow and the one action to take now."""
    s = {}
    status = observed.server_status
    record = observed.record or Record()
    busy = bool(observed.task_state)

    if status == "ERROR":
        return _progress(s, Action.NONE, "Stopped: " + _where(observed),
                         failed=True)

    # 1. stop
    if not record.snapshot_id:
        if status == "SHUTOFF" and not busy:
            s["stop"] = StepState.DONE
        elif status == "ACTIVE" and not busy:
            s["stop"] = StepState.RUNNING
            return _progress(s, Action.STOP, "Stopping the instance.")
        elif busy:
            s["stop"] = StepState.RUNNING
            return _progress(s, Action.NONE,
                             "Waiting for the instance to stop.")
        else:
            return _progress(s, Action.NONE,
                             "Stopped: the instance must be ACTIVE or "
                             "SHUTOFF to start this fix. " + _where(observed),
                             failed=True)
        s["snapshot"] = StepState.RUNNING
        return _progress(s, Action.SNAPSHOT, "Snapshotting the instance.")
    s["stop"] = StepState.DONE

    # 2. snapshot
    if observed.snapshot_gone or observed.snapshot_status in (
            "killed", "deleted", "pending_delete"):
        s["snapshot"] = StepState.FAILED
        return _progress(s, Action.NONE,
                         "Stopped: the snapshot failed. " + _where(observed),
                         failed=True)
    if observed.snapshot_status != "active":
        s["snapshot"] = StepState.RUNNING
        return _progress(s, Action.NONE, "Waiting for the snapshot (%s)." %
                         (observed.snapshot_status or "requested"))
    s["snapshot"] = StepState.DONE

    # 3. properties on the snapshot
    wanted = _wanted(observed.snapshot_properties)
    if wanted:
        s["set_properties"] = StepState.RUNNING
        return _progress(s, Action.SET_PROPERTIES,
                         "Setting the properties on the snapshot.",
                         wanted=wanted)
    s["set_properties"] = StepState.DONE

    # 4. rebuild from the snapshot
    rebuilt = (observed.server_image_id == record.snapshot_id and
               record.rebuild_requested)
    if not rebuilt:
        if record.rebuild_requested and busy:
            s["rebuild"] = StepState.RUNNING
            return _progress(s, Action.NONE, "Waiting for the rebuild.")
        if busy:
            s["rebuild"] = StepState.PENDING
            return _progress(s, Action.NONE,
                             "Waiting for the instance (task: %s)." %
                             observed.task_state)
        s["rebuild"] = StepState.RUNNING
        return _progress(s, Action.REBUILD,
                         "Rebuilding the instance from the snapshot.")
    if busy:
        s["rebuild"] = StepState.RUNNING
        return _progress(s, Action.NONE, "Waiting for the rebuild.")
    s["rebuild"] = StepState.DONE

    # 5. start it again (only if it was running before the fix)
    if status == "SHUTOFF" and observed.started_running:
        s["start"] = StepState.RUNNING
        return _progress(s, Action.START, "Starting the instance.")
    if status != "ACTIVE" and observed.started_running:
        s["start"] = StepState.RUNNING
        return _progress(s, Action.NONE, "Waiting for the instance to start.")
    s["start"] = StepState.DONE
    return _progress(s, Action.FINISH,
                     "Done: the instance now runs from snapshot %s with the "
                     "guest agent channel and required quiesce." %
                     record.snapshot_id, done=True)
