"""What support staff read on the Admin diagnosis page: how to read an
instance's snapshot actions on this cloud's release, and one plain-language
paragraph to paste into a ticket.  Pure: plain values in, plain values out,
built from the words of the rest of the core (posture, snapshot_paths,
verdict), so the admin page says what the project panel says.

Why the reading depends on the release (DOMAIN.md "Where a failure shows
up"): up to Nova 32 a failed image-backed snapshot marks the
``compute_snapshot_instance`` event Error (with ``details`` from
microversion 2.84 and, for admins, a traceback).  From Nova 33.0.0 the event
wraps only the start of the work on the long task executor
(nova/compute/manager.py ``snapshot_instance``, commit 9e678b83eb) and says
Success even when the snapshot fails; the one signal left is the image
itself, deleted on error (``delete_image_on_error``).

Every sentence is marked for translation (core/i18n.py) and the page
translates it where it shows it; the English words are what they were.
"""

import dataclasses
import datetime
import enum

from consistency_dashboard.core import captured as captured_mod
from consistency_dashboard.core import snapshot_paths as paths
from consistency_dashboard.core.i18n import fill
from consistency_dashboard.core.i18n import gettext_noop
from consistency_dashboard.core.i18n import join
from consistency_dashboard.core.i18n import ngettext_lazy
from consistency_dashboard.core.i18n import Text
from consistency_dashboard.core import timestamps

SNAPSHOT_ACTION = "createImage"
SNAPSHOT_EVENT = "compute_snapshot_instance"
# A volume-backed snapshot records this one instead (nova/compute/api.py
# ``snapshot_volume_backed``); a freeze that fails there synchronously
# leaves no action at all.
VOLUME_SNAPSHOT_EVENT = "api_snapshot_instance"
SNAPSHOT_EVENTS = (SNAPSHOT_EVENT, VOLUME_SNAPSHOT_EVENT)

# A snapshot image is created by the API before the compute host starts
# (nova/compute/api.py ``snapshot``), so its created_at follows the action's
# start within seconds; the window allows for clock skew between services.
MATCH_BEFORE = datetime.timedelta(seconds=30)
MATCH_AFTER = datetime.timedelta(minutes=10)

EVENT_SAYS_NOTHING = gettext_noop(
    "From Nova 33.0.0 this event says Success even when the snapshot fails: "
    "it only wraps the start of the work.")
# The same words, after the release is said to be unknown.
_RELEASE_UNKNOWN = gettext_noop(
    "This cloud's Nova release is not known; from Nova 33.0.0 this event "
    "says Success even when the snapshot fails: it only wraps the start of "
    "the work.")


class ActionOutcome(enum.Enum):
    FAILED = gettext_noop("failed")
    SUCCEEDED = gettext_noop("succeeded")
    NOT_PROVEN = gettext_noop("not proven by Nova")
    RUNNING = gettext_noop("still running")


@dataclasses.dataclass(frozen=True)
class ActionReading:
    request_id: str
    started: object          # aware datetime or None
    outcome: ActionOutcome
    reading: str             # one or two sentences (a marked Text)
    event_result: str = None
    details: str = None      # the event's fault message (2.84+)
    traceback: str = None    # admins only
    image_id: str = None     # the snapshot image found for this request

    @property
    def label(self):
        return self.outcome.value


def snapshot_event(action):
    """The snapshot event (``compute_snapshot_instance``, or
    ``api_snapshot_instance`` for a volume-backed snapshot) of an action
    dict, or None."""
    found = None
    for event in (action or {}).get("events") or ():
        if (event.get("event") or "") in SNAPSHOT_EVENTS:
            found = event
    return found


def snapshot_for_action(action_started, snapshots):
    """The snapshot image (plain dict) created for a createImage action that
    started at ``action_started``: the earliest image created in the window
    after it.  None when none matches or the time is unknown."""
    started = timestamps.parse_timestamp(action_started)
    if started is None:
        return None
    best = None
    best_created = None
    for image in snapshots or ():
        created = timestamps.parse_timestamp(image.get("created_at"))
        if created is None:
            continue
        if started - MATCH_BEFORE <= created <= started + MATCH_AFTER:
            if best_created is None or created < best_created:
                best, best_created = image, created
    return best


def _sentence(text):
    text = " ".join(str(text).split()).rstrip(": ")
    return text if text.endswith((".", "!", "?")) else text + "."


class _Sentence(Text):
    """A sentence ending in a full stop; a translation gets the same
    finish."""

    @staticmethod
    def finish(text):
        return _sentence(text)


def _filled_sentence(template, **params):
    """``template`` filled with ``params`` and finished as a sentence."""
    return _Sentence(template, params,
                     _sentence(template.format(**params)))


def _as_sentence(text):
    """``text`` (a marked text, or plain English words that are one)
    finished as a sentence."""
    if not isinstance(text, Text):
        text = Text(text or "")
    return _filled_sentence("{text}", text=text)


def read_snapshot_action(action, reports_failure, snapshots=None,
                         snapshots_known=True):
    """An :class:`ActionReading` for one createImage action dict (with its
    events, as ``GET /servers/{id}/os-instance-actions/{request_id}``
    returns it).

    ``reports_failure``: microversions.snapshot_event_reports_failure() of
    the cloud (True up to Nova 32, False from 33, None unknown).
    ``snapshots``: plain Glance dicts of this instance's snapshot images,
    to find the image the request made; ``snapshots_known`` False when
    Glance could not be read (then a missing image proves nothing).
    """
    action = action or {}
    event = snapshot_event(action)
    started = timestamps.parse_timestamp(action.get("start_time"))
    image = snapshot_for_action(started, snapshots) if snapshots_known \
        else None
    image_status = (image or {}).get("status")
    common = dict(request_id=action.get("request_id") or "",
                  started=started,
                  image_id=(image or {}).get("id"))
    if event is None:
        return _without_event(action, started, image_status, common)
    result = event.get("result")
    details = (event.get("details") or "").strip() or None
    common.update(event_result=result, details=details,
                  traceback=(event.get("traceback") or "").strip() or None)
    lowered = (result or "").lower()
    if not result:
        return ActionReading(outcome=ActionOutcome.RUNNING,
                             reading=gettext_noop(
                                 "The compute host is still taking the "
                                 "snapshot."), **common)
    if lowered == "error":
        if details:
            text = _filled_sentence(gettext_noop(
                "Nova reports the snapshot failed: {details}"),
                details=details)
        else:
            text = gettext_noop(
                "Nova reports the snapshot failed (no details: the cloud's "
                "API is older than microversion 2.84, or policy keeps them "
                "for administrators, as it does by default).")
        return ActionReading(outcome=ActionOutcome.FAILED,
                             reading=text, **common)
    if event.get("event") == VOLUME_SNAPSHOT_EVENT:
        # Not moved to the background by commit 9e678b83eb: the API's own
        # work, so its Success holds on every release.
        return ActionReading(outcome=ActionOutcome.SUCCEEDED,
                             reading=gettext_noop(
                                 "Nova reports the volume-backed snapshot "
                                 "succeeded (api_snapshot_instance)."),
                             **common)
    return _read_success(reports_failure, image, snapshots_known, common)


def _without_event(action, started, image_status, common):
    message = (action.get("message") or "").strip()
    if message:
        return ActionReading(
            outcome=ActionOutcome.FAILED,
            reading=_filled_sentence(gettext_noop(
                "Nova recorded no snapshot event: the request stopped "
                "before the compute host started ({message})"),
                message=message), **common)
    return ActionReading(
        outcome=ActionOutcome.RUNNING if started is not None and
        image_status not in ("active",) else ActionOutcome.NOT_PROVEN,
        reading=gettext_noop("Nova has recorded no snapshot event for this "
                             "request yet."), **common)


def _read_success(reports_failure, image, snapshots_known, common):
    """A Success event: proof up to Nova 32; from 33 only the image
    tells."""
    image_status = (image or {}).get("status")
    if reports_failure is True:
        return ActionReading(outcome=ActionOutcome.SUCCEEDED,
                             reading=gettext_noop(
                                 "Nova reports the snapshot succeeded (on "
                                 "this release a failure would say "
                                 "Error)."), **common)
    # Success on Nova 33+ (or an unknown release): only the image tells.
    prefix = EVENT_SAYS_NOTHING if reports_failure is False else \
        _RELEASE_UNKNOWN
    if image is not None and image_status == "active":
        return ActionReading(
            outcome=ActionOutcome.SUCCEEDED,
            reading=_filled_sentence(gettext_noop(
                "{prefix} The image {image} exists and is active, so this "
                "snapshot worked"), prefix=prefix, image=image.get("id")),
            **common)
    if image is not None and image_status in ("queued", "saving",
                                              "importing", "uploading"):
        return ActionReading(
            outcome=ActionOutcome.RUNNING,
            reading=_filled_sentence(gettext_noop(
                "{prefix} The image {image} is still {status}"),
                prefix=prefix, image=image.get("id"), status=image_status),
            **common)
    if not snapshots_known:
        return ActionReading(
            outcome=ActionOutcome.NOT_PROVEN,
            reading=_filled_sentence(gettext_noop(
                "{prefix} The images could not be read, so whether it "
                "worked is not known"), prefix=prefix), **common)
    return ActionReading(
        outcome=ActionOutcome.FAILED,
        reading=_filled_sentence(gettext_noop(
            "{prefix} No snapshot image of this instance from that time "
            "exists: Nova deletes the image when the snapshot fails, so it "
            "most likely failed"), prefix=prefix),
        **common)


def read_snapshot_actions(actions, reports_failure, snapshots=None,
                          snapshots_known=True):
    """Readings for the createImage actions among ``actions`` (dicts with
    events), in the order given."""
    return tuple(read_snapshot_action(a, reports_failure, snapshots,
                                      snapshots_known)
                 for a in actions or ()
                 if (a or {}).get("action") == SNAPSHOT_ACTION)


@dataclasses.dataclass(frozen=True)
class DiagnosisFacts:
    """What the diagnosis page knows about one instance, as core values.

    ``prediction``: a snapshot_paths.Prediction; ``captured``: a
    captured.CapturedProperties; ``current``: the image's (or boot
    volume's) current ConsistencyProperties or None; ``last_action``: the
    newest ActionReading or None; ``verdict``: the newest stored verdict of
    a test snapshot (verdict.StoredVerdict) or None; ``probe``: a
    probe.ProbeReport of the console or None; ``console_error``: why the
    console could not be read, or None; ``commands``: operator commands.
    """
    instance_name: str
    instance_id: str
    project_name: str
    volume_backed: bool
    image_name: str
    captured: object
    current: object
    prediction: object
    last_action: object = None
    actions_known: bool = True       # False: the action list was not read
    verdict: object = None
    test_snapshots: int = 0          # the dashboard's test snapshots known
    probe: object = None
    console_error: str = None
    commands: tuple = ()


NO_ACTIONS = gettext_noop(
    "Nova recorded no createImage action for it. A volume-backed snapshot "
    "whose freeze fails synchronously leaves no action at all (the error "
    "was in the createImage answer); otherwise no snapshot was requested.")


def _booleans(properties):
    return fill(gettext_noop("hw_qemu_guest_agent {agent} and "
                             "os_require_quiesce {quiesce}"),
                agent=properties.guest_agent.describe(),
                quiesce=properties.require_quiesce.describe())


_SOURCE_SHORT = {
    captured_mod.CapturedSource.SERVER: gettext_noop("as Nova reports them"),
    captured_mod.CapturedSource.BOOT_VOLUME:
        gettext_noop("read from the boot volume's image metadata"),
    captured_mod.CapturedSource.SNAPSHOT:
        gettext_noop("read from an earlier snapshot of it"),
}


def _pairs_text(kind, count, seconds=None):
    # Written out for makemessages: it reads only literal arguments.
    if kind == "held":
        template = ngettext_lazy(
            "Its console shows {count} freeze/thaw pair reported by the "
            "guest, the last one with its test writes held {seconds} s (the "
            "freeze, proven from inside).",
            "Its console shows {count} freeze/thaw pairs reported by the "
            "guest, the last one with its test writes held {seconds} s (the "
            "freeze, proven from inside).", count)
    elif kind == "hooks":
        template = ngettext_lazy(
            "Its console shows {count} freeze/thaw pair reported by the "
            "guest, the last one's hooks {seconds} s apart (hooks ran; that "
            "alone does not prove the freeze).",
            "Its console shows {count} freeze/thaw pairs reported by the "
            "guest, the last one's hooks {seconds} s apart (hooks ran; that "
            "alone does not prove the freeze).", count)
    else:
        template = ngettext_lazy(
            "Its console shows {count} freeze/thaw pair reported by the "
            "guest.",
            "Its console shows {count} freeze/thaw pairs reported by the "
            "guest.", count)
    if seconds is None:
        return fill(template, count=count)
    return fill(template, count=count, seconds="%.2f" % seconds)


def _probe_sentence(report, console_error):
    if console_error:
        return fill(gettext_noop("Its console log is unavailable ({error}), "
                                 "so there is no evidence from inside the "
                                 "guest."), error=console_error)
    if report is None:
        return None
    if report.may_still_be_frozen:
        return gettext_noop("Its console shows a freeze reported by the "
                            "guest with no thaw: the guest may still be "
                            "frozen.")
    clean = report.clean_pairs
    if clean:
        last = clean[-1]
        held = getattr(last, "held_seconds", None)
        if held is not None:
            return _pairs_text("held", len(clean), held)
        if last.duration is not None:
            # A hook pair proves the hooks ran, not the freeze (qemu-ga runs
            # the freeze hook before FIFREEZE).
            return _pairs_text("hooks", len(clean), last.duration)
        return _pairs_text(None, len(clean))
    if report.reported_anything:
        return gettext_noop("The guest's probe wrote to the console, but no "
                            "complete freeze/thaw pair.")
    return gettext_noop("Its console shows no consistency probe lines, so "
                        "the guest has not reported any freeze.")


# (in a project, volume-backed) -> the first sentence of the paragraph
_WHO = {
    (True, True): gettext_noop(
        "Instance {name} ({id}) in project {project} is volume-backed."),
    (False, True): gettext_noop("Instance {name} ({id}) is volume-backed."),
    (True, False): gettext_noop(
        "Instance {name} ({id}) in project {project} boots from image "
        "{image}."),
    (False, False): gettext_noop(
        "Instance {name} ({id}) boots from image {image}."),
}


def _who(f):
    values = dict(name=f.instance_name or f.instance_id, id=f.instance_id)
    if f.project_name:
        values["project"] = f.project_name
    if not f.volume_backed:
        values["image"] = f.image_name or gettext_noop(
            "(deleted or not visible)")
    return fill(_WHO[bool(f.project_name), bool(f.volume_backed)], **values)


def explain(facts):
    """One paragraph a support engineer can paste into a ticket (a marked
    text: each sentence is translated on its own)."""
    f = facts
    parts = [_who(f)]
    captured = f.captured
    exact = captured is not None and captured.source in (
        captured_mod.CapturedSource.SERVER,
        captured_mod.CapturedSource.SNAPSHOT)
    if captured is not None and captured.source is \
            captured_mod.CapturedSource.BOOT_VOLUME and \
            captured.properties is not None:
        parts.append(fill(gettext_noop(
            "Its boot volume's image metadata has {properties} now (what a "
            "server created from the volume gets; not necessarily what this "
            "server was started with)."),
            properties=_booleans(captured.properties)))
    elif captured is not None and captured.properties is not None:
        parts.append(fill(gettext_noop("It was booted with {properties} "
                                       "({source})."),
                          properties=_booleans(captured.properties),
                          source=_SOURCE_SHORT.get(
                              captured.source,
                              gettext_noop("source unknown"))))
    else:
        parts.append(gettext_noop(
            "The properties it was booted with are not known on this cloud; "
            "a test snapshot would reveal them."))
    prediction = f.prediction
    parts.append(fill(gettext_noop("A live snapshot taken now: {summary}."),
                      summary=prediction.summary))
    if prediction.reasons:
        parts.append(_as_sentence(prediction.reasons[0]))
    if prediction.rebuild_needed and f.current is not None:
        parts.append(fill(gettext_noop(
            "The image has since been changed to {properties}, but Nova "
            "keeps the properties captured at boot, so the change does not "
            "apply to this instance."), properties=_booleans(f.current)))
    parts.extend(_history(f))
    probe_text = _probe_sentence(f.probe, f.console_error)
    if probe_text:
        parts.append(probe_text)
    if prediction.action_needed and \
            prediction.badge != paths.CHECK_VOLUME_METADATA:
        parts.append(_fix_sentence(f, prediction))
    elif exact:
        parts.append(gettext_noop("No change to the instance is needed."))
    else:
        parts.append(gettext_noop(
            "Whether a change is needed is not known exactly: a test "
            "snapshot shows the properties it runs with."))
    return join(" ", [p for p in parts if p])


def _fix_sentence(f, prediction):
    manage = next((c for c in f.commands or ()
                   if c.startswith("nova-manage")), None)
    if manage:
        return fill(gettext_noop(
            "To fix it without data loss, an operator can run `{command}` on "
            "a control-plane host with the instance stopped (Nova 25.0.0 "
            "Yoga or later), then start it; the other ways are a rebuild "
            "(the root disk is replaced) or, for a volume-backed instance, a "
            "new server from the fixed boot volume."), command=manage)
    steps = [s.label for s in prediction.applicable_next_steps]
    return fill(gettext_noop("Ways to fix it: {steps}."),
                steps=join("; ", steps)) if steps else ""


def _marked(words):
    """Words read back as plain English are still the catalogue's msgid."""
    return words if isinstance(words, Text) else Text(words or "")


def _history(f):
    """Its snapshot requests and the dashboard's test snapshots."""
    parts = []
    if f.last_action is not None:
        when = timestamps.format_timestamp(f.last_action.started)
        values = dict(outcome=f.last_action.label,
                      reading=_marked(f.last_action.reading))
        if when:
            parts.append(fill(gettext_noop(
                "Its last snapshot request ({when}): {outcome}. {reading}"),
                when=when, **values))
        else:
            parts.append(fill(gettext_noop(
                "Its last snapshot request: {outcome}. {reading}"),
                **values))
    elif f.actions_known:
        parts.append(NO_ACTIONS)
    if f.verdict is not None:
        parts.append(fill(gettext_noop(
            "The dashboard's latest test snapshot of it was {label}: "
            "{cause}"), label=_marked(f.verdict.label),
            cause=_as_sentence(f.verdict.cause)))
    elif f.test_snapshots:
        parts.append(fill(ngettext_lazy(
            "The dashboard has test-snapshotted it ({count} test) but "
            "recorded no verdict yet.",
            "The dashboard has test-snapshotted it ({count} tests) but "
            "recorded no verdict yet.", f.test_snapshots),
            count=f.test_snapshots))
    return parts
