"""Reading snapshot actions per release, and the ticket paragraph: one case
per row, named after the case."""
import pytest

from consistency_dashboard.core import captured as captured_mod
from consistency_dashboard.core import diagnosis as d
from consistency_dashboard.core import probe
from consistency_dashboard.core import snapshot_paths as paths
from consistency_dashboard.core import verdict

UUID = "7c0b5a63-7f4e-4f7a-9a43-1d0b6a2b1c11"
STARTED = "2026-11-22T04:00:00.000000"


def action(result="Success", details=None, traceback=None, message=None,
           events=True, start=STARTED):
    found = {"action": "createImage", "request_id": "req-1",
             "start_time": start, "message": message, "events": []}
    if events:
        found["events"].append({"event": "compute_snapshot_instance",
                                "result": result, "details": details,
                                "traceback": traceback})
    return found


def image(status="active", created="2026-11-22T04:00:02Z", image_id="img"):
    return {"id": image_id, "status": status, "created_at": created}


READINGS = [
    # (case, action, reports_failure, snapshots, known, outcome, words)
    ("error event up to Nova 32, with details (2.84)",
     action("Error", details="Guest agent timeout"), True, [], True,
     d.ActionOutcome.FAILED, "Guest agent timeout"),
    ("error event without details (older than 2.84)",
     action("Error"), True, [], True, d.ActionOutcome.FAILED, "2.84"),
    ("error event is believed on Nova 33+ too (rolling upgrade)",
     action("Error", details="boom"), False, [], True,
     d.ActionOutcome.FAILED, "boom"),
    ("success up to Nova 32 is a success",
     action("Success"), True, [], True, d.ActionOutcome.SUCCEEDED,
     "would say Error"),
    ("success on Nova 33+ with the image active",
     action("Success"), False, [image()], True, d.ActionOutcome.SUCCEEDED,
     "exists and is active"),
    ("success on Nova 33+ with the image gone: failed",
     action("Success"), False, [], True, d.ActionOutcome.FAILED,
     "Nova deletes the image"),
    ("success on Nova 33+ with an image from another time: failed",
     action("Success"), False, [image(created="2026-11-21T04:00:00Z")], True,
     d.ActionOutcome.FAILED, "most likely failed"),
    ("success on Nova 33+ with the image still saving",
     action("Success"), False, [image(status="saving")], True,
     d.ActionOutcome.RUNNING, "still saving"),
    ("success on Nova 33+ and Glance unreadable: not proven",
     action("Success"), False, [], False, d.ActionOutcome.NOT_PROVEN,
     "could not be read"),
    ("success on an unknown release: the image decides",
     action("Success"), None, [], True, d.ActionOutcome.FAILED,
     "release is not known"),
    ("event without result: still running",
     action(None), False, [], True, d.ActionOutcome.RUNNING, "still taking"),
    ("no event but an action message: stopped before the host",
     action(events=False, message="Error"), True, [], True,
     d.ActionOutcome.FAILED, "before the compute host"),
    ("volume-backed api_snapshot_instance success",
     dict(action("Success"), events=[{"event": "api_snapshot_instance",
                                      "result": "Success"}]),
     False, [], True, d.ActionOutcome.SUCCEEDED, "volume-backed"),
    ("volume-backed api_snapshot_instance error",
     dict(action("Success"), events=[{"event": "api_snapshot_instance",
                                      "result": "Error"}]),
     False, [], True, d.ActionOutcome.FAILED, "admin"),
    ("error without details from 2.84: details are admin-only",
     action("Error"), True, [], True, d.ActionOutcome.FAILED,
     "policy keeps them for administrators"),
    ("no event and no message yet",
     action(events=False), True, [], True, d.ActionOutcome.RUNNING,
     "no snapshot event"),
]


@pytest.mark.parametrize("case,act,reports,snaps,known,outcome,words",
                         READINGS, ids=[r[0] for r in READINGS])
def test_read_snapshot_action(case, act, reports, snaps, known, outcome,
                              words):
    reading = d.read_snapshot_action(act, reports, snaps, known)
    assert reading.outcome is outcome
    assert words in reading.reading + (reading.details or "")
    assert reading.request_id == "req-1"


def test_success_on_nova_33_says_it_proves_nothing():
    reading = d.read_snapshot_action(action("Success"), False, [image()])
    assert d.EVENT_SAYS_NOTHING in reading.reading
    assert reading.image_id == "img"


def test_traceback_and_details_are_kept_for_admins():
    reading = d.read_snapshot_action(
        action("Error", details="QemuGuestAgentNotEnabled",
               traceback="Traceback (most recent call last): ..."), True)
    assert reading.details == "QemuGuestAgentNotEnabled"
    assert reading.traceback.startswith("Traceback")


MATCHES = [
    ("created 2 s after the start", STARTED, [image()], "img"),
    ("created before the start within skew", STARTED,
     [image(created="2026-11-22T03:59:50Z")], "img"),
    ("too early", STARTED, [image(created="2026-11-22T03:50:00Z")], None),
    ("too late", STARTED, [image(created="2026-11-22T04:30:00Z")], None),
    ("earliest of two in the window", STARTED,
     [image(created="2026-11-22T04:05:00Z", image_id="late"),
      image(created="2026-11-22T04:00:01Z", image_id="early")], "early"),
    ("unknown start", None, [image()], None),
    ("image without time", STARTED, [{"id": "x", "created_at": None}], None),
]


@pytest.mark.parametrize("case,start,images,expected", MATCHES,
                         ids=[m[0] for m in MATCHES])
def test_snapshot_for_action(case, start, images, expected):
    found = d.snapshot_for_action(start, images)
    assert (found or {}).get("id") == expected


def test_only_create_image_actions_are_read():
    actions = [dict(action("Error"), action="reboot"), action("Error")]
    readings = d.read_snapshot_actions(actions, True)
    assert len(readings) == 1


# --- the ticket paragraph ---------------------------------------------------

def facts(captured_props, boot="image", current=None, status="ACTIVE",
          **extra):
    if captured_props is None:
        resolved = captured_mod.resolve_captured(boot)
    elif boot == "volume":
        resolved = captured_mod.resolve_captured(
            boot, boot_volume_image_metadata=captured_props)
    else:
        resolved = captured_mod.resolve_captured(
            boot, server_image_properties=captured_props)
    prediction = paths.predict(paths.InstanceFacts(
        instance_id=UUID, boot_source=boot, captured=resolved,
        current_image_properties=current if boot == "image" else None,
        power=paths.power_from_status(status),
        nova_max_microversion="2.104"))
    commands = (paths.operator_commands(UUID, resolved.properties,
                                        paths.power_from_status(status))
                if prediction.action_needed else ())
    from consistency_dashboard.core import properties as props
    values = dict(
        instance_name="db-1", instance_id=UUID, project_name="acme",
        volume_backed=boot == "volume", image_name="debian-12",
        captured=resolved,
        current=props.read_properties(current) if current is not None
        else None,
        prediction=prediction, commands=commands)
    values.update(extra)
    return d.DiagnosisFacts(**values)


GOOD = {"hw_qemu_guest_agent": "yes", "os_require_quiesce": "yes"}
FAILED_EVENT = d.read_snapshot_action(action("Success"), False, [])
STORED = verdict.verdict_from_image_properties({
    verdict.TEST_SNAPSHOT_MARKER: "v1", verdict.VERDICT: "crash-consistent",
    verdict.CAUSE: "The instance was booted without the guest agent "
                   "channel"})
FS_LOG = ("[   10.004000] CONSISTENCY-PROBE v1 event=freeze seq=1 mono=10.0 "
          "wall=1795000000.0 apps=-\n"
          "[   10.254000] CONSISTENCY-PROBE v1 event=thaw seq=1 mono=10.25 "
          "wall=1795000000.25 apps=-\n")

PARAGRAPHS = [
    ("booted before the fix: rebuild needed, nova-manage offered",
     dict(captured_props={}, current=GOOD),
     ["Instance db-1 (%s) in project acme boots from image debian-12."
      % UUID,
      "hw_qemu_guest_agent not set (Nova reads: false)",
      "as Nova reports them",
      "crash-consistent only: booted without the guest agent channel; "
      "rebuild needed",
      "Nova keeps the properties captured at boot",
      "`nova-manage image_property set %s --property hw_qemu_guest_agent=yes"
      " --property os_require_quiesce=yes`" % UUID]),
    ("healthy: no change needed",
     dict(captured_props=GOOD, current=GOOD),
     ["filesystem-consistent if the agent answers",
      "No change to the instance is needed."]),
    ("quiesce without agent: snapshots fail",
     dict(captured_props={"os_require_quiesce": "yes"},
          current={"os_require_quiesce": "yes"}),
     ["snapshot fails: booted without the guest agent channel but quiesce "
      "required"]),
    # Changed: the boot volume's metadata now is not what the server was
    # started with: never "booted with", never "enforced by Nova".
    ("volume-backed with both in the volume metadata: not exact",
     dict(captured_props=GOOD, boot="volume"),
     ["is volume-backed", "Its boot volume's image metadata has",
      "not necessarily what this server was started with",
      "enforced only if started with this metadata",
      "Whether a change is needed is not known exactly"]),
    ("no createImage action at all",
     dict(captured_props=GOOD, current=GOOD),
     ["no createImage action", "leaves no action at all"]),
    ("test snapshot recorded without verdict",
     dict(captured_props=GOOD, current=GOOD, test_snapshots=1),
     ["has test-snapshotted it (1 test) but recorded no verdict"]),
    ("captured unknown on an old cloud",
     dict(captured_props=None, current=GOOD),
     ["not known on this cloud; a test snapshot would reveal them"]),
    ("last snapshot failed on Nova 33 with Success",
     dict(captured_props={}, current=GOOD, last_action=FAILED_EVENT),
     ["Its last snapshot request (2026-11-22T04:00:00Z): failed",
      "Nova deletes the image when the snapshot fails"]),
    ("a stored verdict",
     dict(captured_props={}, current={}, verdict=STORED),
     ["latest test snapshot of it was crash-consistent: The instance was "
      "booted without the guest agent channel."]),
    ("console unavailable",
     dict(captured_props=GOOD, current=GOOD, console_error="501"),
     ["console log is unavailable (501)"]),
    ("guest probe pair",
     dict(captured_props=GOOD, current=GOOD,
          probe=probe.parse_console(FS_LOG)),
     # Changed: a v1 hook pair proves the hooks ran, not the freeze.
     ["1 freeze/thaw pair reported by the guest", "hooks 0.25 s apart",
      "does not prove the freeze"]),
    ("guest probe freeze without thaw",
     dict(captured_props=GOOD, current=GOOD,
          probe=probe.parse_console(FS_LOG.splitlines(True)[0])),
     ["may still be frozen"]),
    ("stopped instance: nova-manage without stop",
     dict(captured_props={}, current={}, status="SHUTOFF"),
     ["instance stopped", "nova-manage image_property set"]),
]


@pytest.mark.parametrize("case,kwargs,words", PARAGRAPHS,
                         ids=[p[0] for p in PARAGRAPHS])
def test_explain(case, kwargs, words):
    text = d.explain(facts(**kwargs))
    for word in words:
        assert word in text
    assert "\n" not in text  # one paragraph


def test_explain_without_project_or_image():
    text = d.explain(facts({}, current=None, project_name="",
                           image_name=None))
    assert "in project" not in text
    assert "debian-12" not in text
    assert "(deleted or not visible)" in text


def test_volume_metadata_is_never_called_booted_with():
    text = d.explain(facts(GOOD, boot="volume"))
    assert "It was booted with" not in text
    assert "enforced by Nova" not in text


EVENT_VERSIONS = [
    # Rule: events at 2.84 or 2.51 (details admin-only), never 2.1.
    ("nova-34", "2.104", "2.84"),
    ("before-2.84", "2.80", "2.51"),
    ("unknown-release", None, "2.51"),
    ("older-than-2.51-not-read", "2.40", None),
]


@pytest.mark.parametrize("maximum,expected", [e[1:] for e in EVENT_VERSIONS],
                         ids=[e[0] for e in EVENT_VERSIONS])
def test_event_microversion_never_2_1(maximum, expected):
    from consistency_dashboard.core import microversions
    assert microversions.event_microversion(maximum) == expected
