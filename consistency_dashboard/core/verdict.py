"""The consistency verdict of a test snapshot, as a pure function of the
evidence collected around it (issue 5).

Where each signal comes from (DOMAIN.md "Where a failure shows up"):

* synchronous errors: the ``createImage`` response (400/409 with Nova's
  message; 403 quota; 404 instance gone) from
  nova/api/openstack/compute/servers.py ``_create_image``;
* an image-backed snapshot that fails is deleted (``delete_image_on_error``
  in nova/compute/manager.py): the image vanishes (404) or shows
  ``deleted``.  That is the one signal on every release;
* the ``compute_snapshot_instance`` event says Error up to Nova 32, with
  ``details`` for users from microversion 2.84; from Nova 33.0.0 (2026.1,
  maximum microversion 2.103; Nova 34.0.0 has 2.104) it says Success even
  when the snapshot fails, because ``snapshot_instance`` only starts the
  work on the long task executor (commit 9e678b83eb).  So an Error event
  is always believed, a Success event never proves anything;
* a volume-backed snapshot with ``os_require_quiesce`` can only succeed if
  the freeze happened (nova/compute/api.py ``snapshot_volume_backed``);
* an image-backed snapshot never says whether it froze: only the guest's
  probe lines can tell, and they are labelled "reported by the guest".
"""

import dataclasses
import enum

from consistency_dashboard.core import captured as captured_mod
from consistency_dashboard.core import microversions
from consistency_dashboard.core import probe as probe_mod
from consistency_dashboard.core import properties as props
from consistency_dashboard.core import snapshot_paths as paths
from consistency_dashboard.core import timestamps
from consistency_dashboard.core.poll import ImageFate


class Level(enum.Enum):
    FAILED = "failed"
    CRASH_CONSISTENT = "crash-consistent"
    UNKNOWN = "unknown"
    FILESYSTEM_CONSISTENT = "filesystem-consistent"
    APPLICATION_CONSISTENT = "application-consistent"
    IN_PROGRESS = "still running"

    @property
    def final(self):
        return self is not Level.IN_PROGRESS


SRC_NOVA = "Nova createImage response"
SRC_GLANCE = "Glance image status"
SRC_LOCATIONS = "Glance image locations"
SRC_EVENTS = "Nova instance action events"
SRC_GUEST = "reported by the guest (console log)"
SRC_CONSOLE = "Nova console output"
SRC_CINDER = "Cinder volume snapshots"
SRC_SERVER = "Nova server state at the request"
SRC_STORAGE = "cloud storage setting"
SRC_PREDICTION = "predicted from what is known (Nova does not say)"
SRC_CAPTURED = "properties captured at boot"

LOUD_STILL_FROZEN = ("The guest reported a freeze with no thaw: the guest may "
                     "still be frozen. Check it now: writes inside it block "
                     "until the filesystems are thawed.")

DEFAULT_WALL_TOLERANCE = 120.0


@dataclasses.dataclass(frozen=True)
class NovaAnswer:
    """Nova's synchronous answer to createImage.  ``status`` None: no answer
    (timeout, connection error)."""
    status: int = None
    message: str = ""
    image_id: str = None

    @property
    def accepted(self):
        return self.status is not None and 200 <= self.status < 300


@dataclasses.dataclass(frozen=True)
class Evidence:
    """Everything collected around one test snapshot, as plain values.
    Strings are accepted for the enums."""
    boot_source: paths.BootSource = paths.BootSource.IMAGE
    captured: props.ConsistencyProperties = None
    captured_source: captured_mod.CapturedSource = None
    power_at_request: paths.Power = paths.Power.RUNNING
    storage: paths.Storage = paths.Storage.UNKNOWN
    virt_driver: paths.VirtDriver = paths.VirtDriver.UNKNOWN
    nova: NovaAnswer = NovaAnswer()
    image_fate: ImageFate = None
    image_status: str = None
    image_properties: dict = None        # of the test snapshot image
    image_locations: tuple = ()          # of the test snapshot image
    volume_snapshot_statuses: tuple = ()
    events: tuple = ()                   # dicts: event, result, details
    probe: probe_mod.ProbeReport = None  # after-read parsed with baseline
    console_error: str = None            # e.g. "501: not implemented"
    requested_at: object = None
    settled_at: object = None
    max_microversion: str = None
    nova_major: int = None               # explicit release hint
    instance_deleted: bool = False
    wall_tolerance: float = DEFAULT_WALL_TOLERANCE

    def __post_init__(self):
        for name, enum_class in (("boot_source", paths.BootSource),
                                 ("power_at_request", paths.Power),
                                 ("storage", paths.Storage),
                                 ("virt_driver", paths.VirtDriver)):
            value = getattr(self, name)
            if not isinstance(value, enum_class):
                object.__setattr__(self, name, enum_class(value))
        if self.image_fate is not None and \
                not isinstance(self.image_fate, ImageFate):
            object.__setattr__(self, "image_fate", ImageFate(self.image_fate))
        if isinstance(self.captured, captured_mod.CapturedProperties):
            if self.captured_source is None:
                object.__setattr__(self, "captured_source",
                                   self.captured.source)
            object.__setattr__(self, "captured", self.captured.properties)
        if isinstance(self.captured, dict):
            object.__setattr__(self, "captured",
                               props.read_properties(self.captured))
        if self.captured_source is not None and not isinstance(
                self.captured_source, captured_mod.CapturedSource):
            object.__setattr__(self, "captured_source",
                               captured_mod.CapturedSource(
                                   self.captured_source))


_SOURCE_NAMES = {
    captured_mod.CapturedSource.SERVER: "as Nova reports them for the server",
    captured_mod.CapturedSource.BOOT_VOLUME:
        "from the boot volume's image metadata",
    captured_mod.CapturedSource.SNAPSHOT:
        "from an earlier snapshot of the instance",
    captured_mod.CapturedSource.UNKNOWN: "source unknown",
}


@dataclasses.dataclass(frozen=True)
class EvidenceItem:
    observation: str
    source: str

    @property
    def text(self):
        return "%s (%s)" % (self.observation, self.source)


@dataclasses.dataclass(frozen=True)
class Verdict:
    level: Level
    cause: str
    evidence: tuple            # EvidenceItem
    next_step: str
    warnings: tuple = ()
    freeze_seconds: float = None
    verified_by: str = None    # "nova", "guest" or None

    @property
    def label(self):
        return self.level.value

    @property
    def final(self):
        return self.level.final


# --- helpers ----------------------------------------------------------------

def _snapshot_event(events):
    found = None
    for event in events or ():
        if (event.get("event") or "") == "compute_snapshot_instance":
            found = event
    return found


def _sentence(text):
    text = " ".join(str(text).split()).rstrip(": ")
    return text if text.endswith((".", "!", "?")) else text + "."


def _fmt_seconds(value):
    return "%.2f s" % value


def _in_window(line, requested, settled, tolerance):
    """True/False when the guest's wall clock can be compared, None when
    not."""
    if line is None or line.wall is None or requested is None:
        return None
    low = requested.timestamp() - tolerance
    high = (settled.timestamp() if settled is not None
            else requested.timestamp() + 3600) + tolerance
    return low <= line.wall <= high


class _Guest:
    """The guest's report, restricted to the snapshot's window."""

    def __init__(self, ev):
        self.report = ev.probe
        self.pair = None
        self.unmatched = ()
        self.disputed = ()
        self.other_pairs = 0
        self.clock_note = None
        if self.report is None:
            return
        requested = timestamps.parse_timestamp(ev.requested_at)
        settled = timestamps.parse_timestamp(ev.settled_at)
        match = self.report.baseline_match
        by_position = match.positional or \
            match is probe_mod.BaselineMatch.PROBE_ANCHOR

        def counts(line):
            inside = _in_window(line, requested, settled, ev.wall_tolerance)
            if by_position:
                if inside is False:
                    self.clock_note = (
                        "The guest's clock disagrees with the cloud's by more "
                        "than %d s; the probe lines count because of their "
                        "place in the console log." % ev.wall_tolerance)
                return True
            return bool(inside)

        clean = [p for p in self.report.pairs
                 if not p.disputed and counts(p.freeze)]
        if clean:
            self.pair = clean[0]
            self.other_pairs = len(clean) - 1
        self.disputed = tuple(p for p in self.report.pairs
                              if p.disputed and counts(p.freeze))
        self.unmatched = tuple(p for p in self.report.unmatched_freezes
                               if counts(p.freeze))

    @property
    def still_frozen(self):
        return any(not p.ended_by_reboot for p in self.unmatched)

    @property
    def failed_hook(self):
        for pair in self.unmatched:
            if any(r == "fail" for r in pair.app_results("freeze").values()):
                return pair
        return None


def _describe(captured):
    return "hw_qemu_guest_agent %s, os_require_quiesce %s" % (
        captured.guest_agent.describe(), captured.require_quiesce.describe())


def _captured(ev, items):
    """(captured properties to use, exact?), noting where they came from.

    The test snapshot image is the best source: Nova copies the instance's
    captured properties into it when it creates the image
    (nova/compute/utils.py initialize_instance_snapshot_metadata, used by
    both API.snapshot and API.snapshot_volume_backed), so they are exact for
    the moment of the snapshot.  If neither key is on the image, the operator
    may have listed them in non_inheritable_image_properties, so the
    properties resolved for the instance (captured.py) win.
    """
    inherited = None
    if ev.image_properties is not None:
        found = captured_mod.image_properties(ev.image_properties)
        inherited = props.read_properties(found)
        if props.GUEST_AGENT in found or props.REQUIRE_QUIESCE in found:
            items.append(EvidenceItem(
                _describe(inherited),
                "inherited by the test snapshot image from the instance"))
            return inherited, True
    if ev.captured is not None:
        items.append(EvidenceItem(
            _describe(ev.captured),
            SRC_CAPTURED + (", " + _SOURCE_NAMES[ev.captured_source]
                            if ev.captured_source else "")))
        return ev.captured, (ev.captured_source is
                             captured_mod.CapturedSource.SERVER)
    if inherited is not None:
        items.append(EvidenceItem(
            _describe(inherited),
            "inherited by the test snapshot image from the instance"))
        return inherited, False
    return None, False


def _rbd_location(ev):
    return any(str(loc.get("url") if isinstance(loc, dict) else loc)
               .startswith("rbd://") for loc in ev.image_locations or ())


def _sync_failure(ev, prediction):
    status = ev.nova.status
    message = (ev.nova.message or "").strip()
    lowered = message.lower()
    items = [EvidenceItem("HTTP %d: %s" % (status, message or
                                            "(no message)"), SRC_NOVA)]
    if status == 409 and "quiesce" in lowered:
        cause = ("The guest agent did not freeze the filesystems and "
                 "os_require_quiesce is set, so Nova refused the snapshot "
                 "(nothing was created): %s" % message)
        step = ("Check that qemu-guest-agent runs in the guest and that its "
                "fsfreeze hooks succeed, then test again.")
    elif status == 409:
        cause = ("Nova refused because the instance is busy with another "
                 "task or in a state that cannot be snapshotted: %s" % message)
        step = "Wait until the instance's current task ends, then test again."
    elif status == 400 and "guest agent is not enabled" in lowered:
        cause = ("os_require_quiesce is set on an instance booted without "
                 "the guest agent channel, so Nova refused the snapshot: %s"
                 % message)
        step = ("Give the instance hw_qemu_guest_agent (Instances tab, ways "
                "to fix), or stop it before snapshotting.")
    elif status == 400 and "quiescing is not supported" in lowered:
        cause = ("This hypervisor cannot freeze guests and "
                 "os_require_quiesce is set: %s" % message)
        step = ("Remove os_require_quiesce, or stop the instance before "
                "snapshotting.")
    elif status == 413 or (status == 403 and "quota" in lowered):
        cause = "Over quota: %s" % message
        step = ("Delete old snapshots or test snapshots, or ask for more "
                "quota, then test again.")
    elif status == 403:
        cause = "Not allowed: %s" % message
        step = "Ask an administrator for the right to snapshot this instance."
    elif status == 404:
        cause = "The instance no longer exists: %s" % message
        step = "Nothing to test: the instance is gone."
    else:
        cause = "Nova refused the snapshot (HTTP %d): %s" % (status, message)
        step = "Test again later; if it persists, ask the cloud operator."
    if prediction.outcome is paths.Outcome.FAILS and status in (400, 409):
        items.append(EvidenceItem(prediction.summary, SRC_PREDICTION))
    return Verdict(Level.FAILED, _sentence(cause), tuple(items), step)


def _event_items(ev, event, reports_failure, items):
    if event is None:
        return
    result = event.get("result") or "(no result yet)"
    text = "compute_snapshot_instance: %s" % result
    if event.get("details"):
        text += ": %s" % event["details"]
    if (result or "").lower() == "success" and reports_failure is not True:
        text += (" (from Nova 33.0.0 this event says Success even when the "
                 "snapshot fails)")
    items.append(EvidenceItem(text, SRC_EVENTS))


def _failed_after_accept(ev, prediction, event, reports_failure, items,
                         fate):
    if fate is ImageFate.VANISHED:
        items.append(EvidenceItem("image %s vanished (HTTP 404)" %
                                  (ev.nova.image_id or "?"), SRC_GLANCE))
    elif fate is not None:
        items.append(EvidenceItem("image %s is %s" % (
            ev.nova.image_id or "?", ev.image_status or fate.value),
            SRC_GLANCE))
    _event_items(ev, event, reports_failure, items)
    details = (event or {}).get("details")
    error_event = event is not None and \
        (event.get("result") or "").lower() == "error"
    if error_event and details:
        cause = "Nova reported: %s" % details
    elif ev.instance_deleted:
        cause = "The instance was deleted while it was being snapshotted."
    elif fate is ImageFate.KILLED:
        cause = ("The image upload failed (Glance marked the image killed); "
                 "Nova did not say why.")
    elif prediction.outcome is paths.Outcome.FAILS:
        cause = ("Nova deleted the snapshot image. Predicted cause: %s." %
                 prediction.reasons[0].rstrip("."))
        items.append(EvidenceItem(prediction.summary, SRC_PREDICTION))
    else:
        cause = ("Nova deleted the snapshot image without saying why (for "
                 "example the compute host's disk was full or the upload to "
                 "the image service failed).")
    if error_event and not details and \
            microversions.at_least(ev.max_microversion,
                                   microversions.EVENT_DETAILS) is False:
        cause += (" Nova shows the error's details to users only from "
                  "compute API 2.84; this cloud is older (an administrator "
                  "can read them).")
    if prediction.outcome is paths.Outcome.FAILS:
        step = ("Give the instance hw_qemu_guest_agent (Instances tab, ways "
                "to fix), or stop it before snapshotting.")
    else:
        step = ("Test again; if it fails again, ask the cloud operator to "
                "look for the instance's snapshot error in the compute log.")
    return Verdict(Level.FAILED, _sentence(cause), tuple(items), step)


def _guest_items(guest, items, warnings):
    report = guest.report
    pair = guest.pair
    if pair is not None:
        apps = pair.app_results("freeze")
        items.append(EvidenceItem(
            "freeze seq %d then thaw seq %d, %s frozen" % (
                pair.seq, pair.seq, _fmt_seconds(pair.duration)), SRC_GUEST))
        if apps:
            items.append(EvidenceItem(
                "applications at freeze: %s" % ", ".join(
                    "%s %s" % kv for kv in sorted(apps.items())), SRC_GUEST))
        thaw_fail = [a for a, r in pair.app_results("thaw").items()
                     if r == "fail"]
        if thaw_fail:
            warnings.append("Application hooks failed on thaw (%s): check "
                            "that these applications resumed." %
                            ", ".join(sorted(thaw_fail)))
        if pair.guards:
            warnings.append(
                "An application hook gave up waiting for the thaw of seq %d "
                "and released its locks on its own: the freeze lasted too "
                "long." % pair.seq)
    for unmatched in guest.unmatched:
        items.append(EvidenceItem(
            "freeze seq %d with no thaw" % unmatched.seq, SRC_GUEST))
    if guest.still_frozen:
        warnings.insert(0, LOUD_STILL_FROZEN)
    if guest.disputed:
        warnings.append(
            "The console log has conflicting probe lines (seq %s): they were "
            "not used as evidence." % ", ".join(
                str(p.seq) for p in guest.disputed))
    if guest.other_pairs:
        warnings.append("The guest reported %d more freeze(s) in the same "
                        "window (another backup tool?); the first was used."
                        % guest.other_pairs)
    if guest.clock_note:
        warnings.append(guest.clock_note)
    if report is not None:
        if report.counts.unsupported:
            warnings.append(
                "The guest writes a newer probe format that this dashboard "
                "does not read (%d lines): update the dashboard." %
                report.counts.unsupported)
        if report.baseline_match is probe_mod.BaselineMatch.NOT_FOUND:
            warnings.append(
                "The console read before the snapshot was not found in the "
                "one after it; the guest's clock was used to place the probe "
                "lines.")


def _verified_level(pair):
    if pair.application_consistent:
        return Level.APPLICATION_CONSISTENT
    return Level.FILESYSTEM_CONSISTENT


def _verified_cause(pair, enforced=False):
    apps = pair.app_results("freeze")
    if pair.application_consistent:
        text = ("The guest reported the freeze and thaw (seq %d, %s frozen) "
                "and every application hook held its data: %s." % (
                    pair.seq, _fmt_seconds(pair.duration),
                    ", ".join(a for a, r in sorted(apps.items())
                              if r == "ok")))
    else:
        text = ("The guest reported the freeze and thaw (seq %d, %s frozen)."
                % (pair.seq, _fmt_seconds(pair.duration)))
        if any(r in ("fail", "released") for r in apps.values()) or \
                pair.guards:
            text += " Not every application hook succeeded."
    if enforced:
        text = ("Nova enforced the freeze (volume-backed with "
                "os_require_quiesce). " + text)
    return text


def _next_for_verified(pair):
    if pair.application_consistent:
        return "Nothing to do: keep this snapshot as a backup or delete it."
    apps = pair.app_results("freeze")
    if any(r in ("fail", "released") for r in apps.values()) or pair.guards:
        return ("Fix the failing application hooks (see the guest's "
                "fsfreeze-hook log), then test again.")
    return ("For application consistency, add fsfreeze hooks for the "
            "applications in this guest (the guest probe kit has examples).")


def _unknown_step(ev):
    if ev.boot_source is paths.BootSource.VOLUME:
        return ("Install the guest probe kit (its fsfreeze hooks report the "
                "freeze on the console), or set os_require_quiesce so Nova "
                "enforces the freeze.")
    return ("Install the guest probe kit: its fsfreeze hooks report the "
            "freeze on the console, which settles it.")


# --- the verdict ------------------------------------------------------------

def decide(ev):
    """The :class:`Verdict` for one test snapshot."""
    if not isinstance(ev, Evidence):
        raise TypeError("decide() takes Evidence")
    items = []
    warnings = []
    captured, exact = _captured(ev, items)
    facts = paths.InstanceFacts(
        boot_source=ev.boot_source, captured=captured,
        power=ev.power_at_request, storage=ev.storage,
        virt_driver=ev.virt_driver,
        nova_max_microversion=ev.max_microversion, nova_major=ev.nova_major)
    prediction = paths.predict(facts)

    # 1. Nova's synchronous answer.
    if ev.nova.status is None and ev.image_fate in (None,
                                                   ImageFate.NOT_CREATED):
        return Verdict(
            Level.FAILED,
            "Nova did not answer the createImage request%s; no test "
            "snapshot is known." % (
                ": " + ev.nova.message if ev.nova.message else ""),
            tuple(items + [EvidenceItem("no answer", SRC_NOVA)]),
            "Look at the Test snapshots tab: if Nova created the image after "
            "all, it is listed there; otherwise test again.")
    if ev.nova.status is not None and not ev.nova.accepted:
        verdict = _sync_failure(ev, prediction)
        return dataclasses.replace(verdict, evidence=tuple(items) +
                                   verdict.evidence)
    if ev.nova.status is not None:
        items.append(EvidenceItem("accepted: image %s" % (
            ev.nova.image_id or "(id not returned)"), SRC_NOVA))
    items.append(EvidenceItem("instance %s at the request" %
                              ev.power_at_request.value, SRC_SERVER))

    # 2. The image's fate, and the event where it still tells.
    event = _snapshot_event(ev.events)
    reports_failure = microversions.snapshot_event_reports_failure(
        ev.max_microversion, ev.nova_major)
    error_event = event is not None and \
        (event.get("result") or "").lower() == "error"
    fate = ev.image_fate
    if fate is not None and fate.failed or \
            (error_event and fate is not ImageFate.ACTIVE):
        return _failed_after_accept(ev, prediction, event, reports_failure,
                                    items, fate)
    if fate is ImageFate.DEACTIVATED:
        items.append(EvidenceItem("image is deactivated", SRC_GLANCE))
        return Verdict(Level.UNKNOWN,
                       "The snapshot image exists but an administrator "
                       "deactivated it; its data cannot be read.",
                       tuple(items), "Ask the cloud operator.")
    if fate is not ImageFate.ACTIVE:
        return _in_progress(ev, fate, items)
    if error_event:
        warnings.append("Nova's event says Error although the image is "
                        "active; the image was kept.")

    items.append(EvidenceItem("image %s is active" % (
        ev.nova.image_id or "(id not known)"), SRC_GLANCE))
    _event_items(ev, event, reports_failure, items)
    if ev.boot_source is paths.BootSource.VOLUME:
        statuses = [(s or "").lower() for s in ev.volume_snapshot_statuses]
        if statuses:
            items.append(EvidenceItem(", ".join(statuses), SRC_CINDER))
        if "error" in statuses:
            return Verdict(Level.FAILED,
                           "A Cinder volume snapshot failed: the image is "
                           "not usable.", tuple(items),
                           "Delete this test snapshot and test again; ask "
                           "the cloud operator if it fails again.")
        if any(s in ("creating", "backing-up") for s in statuses):
            return _in_progress(ev, ImageFate.PENDING, items,
                                "Cinder is still creating the volume "
                                "snapshots.")

    # 3. How consistent is the active image?
    guest = _Guest(ev)
    if ev.probe is not None:
        _guest_items(guest, items, warnings)
    elif ev.console_error:
        items.append(EvidenceItem("console output unavailable: %s" %
                                  ev.console_error, SRC_CONSOLE))
    level, cause, step, verified_by = _consistency(ev, captured, exact,
                                                   guest, items, warnings)
    freeze = None
    if verified_by == "guest" or (verified_by == "nova" and guest.pair):
        freeze = guest.pair.duration if guest.pair else None
    return Verdict(level, cause, tuple(items), step, tuple(warnings),
                   freeze, verified_by)


def _in_progress(ev, fate, items, cause=None):
    if fate is ImageFate.TIMED_OUT:
        cause = cause or ("Nova is still working on the snapshot after the "
                          "page stopped checking; a slow snapshot is not a "
                          "failure.")
        step = "Check the Test snapshots tab later."
    elif fate is ImageFate.UNREACHABLE:
        cause = cause or ("The image service did not answer; the snapshot's "
                          "outcome is not known yet.")
        step = "The page checks again."
    else:
        cause = cause or "Nova is taking the snapshot."
        step = "The page checks again; a slow snapshot is not a failure."
    if ev.image_status:
        items.append(EvidenceItem("image is %s" % ev.image_status,
                                  SRC_GLANCE))
    return Verdict(Level.IN_PROGRESS, cause, tuple(items), step)


def _consistency(ev, captured, exact, guest, items, warnings):
    """(level, cause, next step, verified_by) for an active image."""
    pair = guest.pair
    power = ev.power_at_request
    volume = ev.boot_source is paths.BootSource.VOLUME
    agent = captured.guest_agent.value if captured is not None else None
    quiesce = captured.require_quiesce.value if captured is not None \
        else None
    report = ev.probe

    if power is paths.Power.STOPPED:
        if report is not None and report.power_down_seen:
            items.append(EvidenceItem("clean power-off (reboot: Power down) "
                                      "before the snapshot", SRC_GUEST))
            return (Level.FILESYSTEM_CONSISTENT,
                    "The instance was stopped and the guest's kernel "
                    "reported a clean power-off, so the filesystems were "
                    "unmounted before the copy.",
                    "Nothing to do: a clean shutdown is the safest moment "
                    "for a snapshot.", "guest")
        return (Level.UNKNOWN,
                "The instance was stopped: the copy is consistent if the "
                "guest shut down cleanly, but the console log does not show "
                "a clean power-off (Nova forces the power off after its "
                "shutdown timeout).",
                "Shut the guest down from inside before snapshotting, or "
                "check its console log for 'reboot: Power down'.", None)

    rbd_hint = not volume and (
        ev.storage is paths.Storage.RBD or
        (ev.storage is paths.Storage.UNKNOWN and _rbd_location(ev)))
    if rbd_hint and _rbd_location(ev):
        items.append(EvidenceItem("rbd:// location (Ceph RBD)",
                                  SRC_LOCATIONS))
    elif ev.storage is not paths.Storage.UNKNOWN:
        items.append(EvidenceItem("root disks: %s" % ev.storage.value,
                                  SRC_STORAGE))

    if volume and power is paths.Power.RUNNING and agent and quiesce and \
            ev.virt_driver is not paths.VirtDriver.OTHER:
        cause = ("Nova froze the filesystems before the volume snapshots: "
                 "the instance is volume-backed with hw_qemu_guest_agent and "
                 "os_require_quiesce, so the request would have failed "
                 "without the freeze.")
        if pair is not None:
            return (_verified_level(pair), _verified_cause(pair, True),
                    _next_for_verified(pair), "nova")
        return (Level.FILESYSTEM_CONSISTENT, cause,
                "For application consistency, add fsfreeze hooks for the "
                "applications in this guest.", "nova")

    # Exact facts that rule out a freeze by Nova on this path.
    contradicted = (
        (not volume and ev.storage is paths.Storage.RBD) or
        (agent is False and exact))
    if pair is not None and not contradicted and \
            power is paths.Power.RUNNING and \
            ev.virt_driver is not paths.VirtDriver.OTHER and \
            not (not volume and ev.storage is
                 paths.Storage.NO_LIVE_SNAPSHOT):
        if rbd_hint:
            warnings.append(
                "The image is stored on Ceph (rbd:// location), but the "
                "guest's freeze shows Nova took the live snapshot path: "
                "instance disks are not on Ceph here.")
        return (_verified_level(pair), _verified_cause(pair),
                _next_for_verified(pair), "guest")
    if pair is not None:
        warnings.append(
            "The guest reported a freeze during the snapshot, but Nova "
            "could not have frozen it on this path: the freeze came from "
            "somewhere else.")

    if rbd_hint:
        return (Level.CRASH_CONSISTENT,
                "Root disks on Ceph RBD are snapshotted with an RBD snapshot "
                "and clone, which never freezes the guest.",
                "Stop the instance before snapshotting, or use a "
                "volume-backed instance with os_require_quiesce, for a "
                "consistent snapshot.", None)
    if not volume and ev.storage is paths.Storage.NO_LIVE_SNAPSHOT:
        return (Level.CRASH_CONSISTENT,
                "Live snapshots are not available for this instance's "
                "storage: Nova suspended the guest for the copy without "
                "freezing it.",
                "Stop the instance cleanly before snapshotting for a "
                "consistent copy.", None)
    if power in (paths.Power.PAUSED, paths.Power.SUSPENDED):
        return (Level.CRASH_CONSISTENT,
                "The instance was %s: its agent could not freeze the "
                "filesystems." % power.value,
                "Resume the instance before snapshotting (so the agent can "
                "freeze it), or stop it cleanly.", None)
    if ev.virt_driver is paths.VirtDriver.OTHER:
        return (Level.CRASH_CONSISTENT,
                "This hypervisor cannot freeze guests.",
                "Stop the instance cleanly before snapshotting for a "
                "consistent copy.", None)
    if agent is False:
        return (Level.CRASH_CONSISTENT,
                "The instance was booted without the guest agent channel "
                "(hw_qemu_guest_agent), so no freeze is possible.",
                "Give the instance hw_qemu_guest_agent (Instances tab, ways "
                "to fix) and run qemu-guest-agent in the guest.", None)

    failed_hook = guest.failed_hook
    if failed_hook is not None:
        failed = sorted(a for a, r in failed_hook.app_results(
            "freeze").items() if r == "fail")
        return (Level.CRASH_CONSISTENT,
                "An application hook failed (%s), so the agent did not "
                "freeze the filesystems; Nova skips a failed freeze "
                "silently." % ", ".join(failed),
                "Fix the failing application hook, check that the guest is "
                "not left frozen, then test again.", None)
    if guest.unmatched:
        return (Level.UNKNOWN,
                "The guest reported a freeze but no thaw: whether the copy "
                "was taken while frozen is not known.",
                "Check the guest now (it may still be frozen) and the "
                "agent's log, then test again.", None)

    if report is not None and guest.pair is None and \
            report.probe_seen_before_baseline and \
            not report.reboot_after_baseline and \
            (report.baseline_match.positional or report.baseline_match is
             probe_mod.BaselineMatch.PROBE_ANCHOR):
        items.append(EvidenceItem(
            "the probe reported earlier freezes in this boot but none for "
            "this snapshot", SRC_GUEST))
        return (Level.CRASH_CONSISTENT,
                "The guest probe is installed (it reported earlier freezes) "
                "but reported no freeze for this snapshot: the agent did not "
                "freeze, and Nova skips the freeze silently.",
                "Check that qemu-guest-agent is running and answering in "
                "the guest, then test again.", None)

    if report is None and ev.console_error:
        cause = ("Nova does not report whether it froze the guest, and the "
                 "console log cannot be read on this cloud (%s)." %
                 ev.console_error)
        step = ("Console output is needed for the guest's report; ask the "
                "operator to enable it." if not volume else
                "Set os_require_quiesce so Nova enforces the freeze.")
        return Level.UNKNOWN, cause, step, None
    if agent is None:
        cause = ("The properties this instance was booted with are not "
                 "known, Nova does not report whether it froze the guest, "
                 "and the guest reported nothing.")
    elif volume:
        cause = ("Nova asked the agent to freeze but, without "
                 "os_require_quiesce, skips a failed freeze silently; the "
                 "guest reported nothing.")
    else:
        cause = ("Nova asks the agent to freeze but never reports whether "
                 "it did (a failed freeze is skipped silently), and the "
                 "guest reported nothing.")
    return Level.UNKNOWN, cause, _unknown_step(ev), None


# --- image properties -------------------------------------------------------

TEST_SNAPSHOT_MARKER = "consistency_test_snapshot"
TEST_SNAPSHOT_VERSION = "v1"
REQUESTED_AT = "consistency_requested_at"
BASELINE = "consistency_baseline"
INSTANCE = "consistency_instance"
VERDICT = "consistency_verdict"
CAUSE = "consistency_cause"
EVIDENCE = "consistency_evidence"
NEXT_STEP = "consistency_next_step"
WARNINGS = "consistency_warnings"
FREEZE_SECONDS = "consistency_freeze_seconds"
VERIFIED_BY = "consistency_verified_by"
CHECKED_AT = "consistency_checked_at"

MAX_VALUE = 255
MAX_EVIDENCE_ITEMS = 8
_SEPARATOR = " | "
_ELLIPSIS = "\u2026"


def _clip(text):
    text = " ".join(str(text).split())
    if len(text) <= MAX_VALUE:
        return text
    return text[:MAX_VALUE - 1] + _ELLIPSIS


def _join(parts):
    parts = [" ".join(str(p).split()).replace(_SEPARATOR, " / ")
             for p in parts]
    return _clip(_SEPARATOR.join(parts))


def marker_metadata(requested_at, instance_id=None, baseline=None):
    """The ``metadata`` for createImage that marks a test snapshot made by
    this plugin (values <= 255 characters)."""
    metadata = {TEST_SNAPSHOT_MARKER: TEST_SNAPSHOT_VERSION,
                REQUESTED_AT: timestamps.format_timestamp(requested_at)}
    if instance_id:
        metadata[INSTANCE] = _clip(instance_id)
    if baseline is not None:
        metadata[BASELINE] = _clip(baseline.to_property())
    return metadata


def is_test_snapshot(image_properties):
    """True only for images this plugin created (so it never touches an image
    it did not create)."""
    found = captured_mod.image_properties(image_properties or {})
    return found.get(TEST_SNAPSHOT_MARKER) == TEST_SNAPSHOT_VERSION


def image_properties_for(verdict, checked_at):
    """The verdict and its key evidence as namespaced Glance properties."""
    found = {
        VERDICT: verdict.level.value,
        CAUSE: _clip(verdict.cause),
        EVIDENCE: _join(item.text for item in verdict.evidence),
        # Each item also whole in its own property (values are capped at 255
        # characters, so one joined property cuts the later items off).
        **{"%s_%d" % (EVIDENCE, i + 1):
           (_clip(verdict.evidence[i].text) if i < len(verdict.evidence)
            else "")
           for i in range(MAX_EVIDENCE_ITEMS)},
        NEXT_STEP: _clip(verdict.next_step),
        WARNINGS: _join(verdict.warnings),
        CHECKED_AT: timestamps.format_timestamp(checked_at),
        VERIFIED_BY: verdict.verified_by or "",
        FREEZE_SECONDS: ("%.3f" % verdict.freeze_seconds
                         if verdict.freeze_seconds is not None else ""),
    }
    return found


@dataclasses.dataclass(frozen=True)
class StoredVerdict:
    """A verdict read back from a test snapshot's properties."""
    level: Level
    cause: str
    evidence: tuple         # the evidence texts
    next_step: str
    warnings: tuple
    freeze_seconds: float
    verified_by: str
    checked_at: object      # aware datetime or None
    requested_at: object

    @property
    def label(self):
        return self.level.value


def _split(text):
    return tuple(p for p in (text or "").split(_SEPARATOR) if p)


def verdict_from_image_properties(image_properties):
    """The :class:`StoredVerdict` on a test snapshot, or None when it has no
    (readable) verdict."""
    found = captured_mod.image_properties(image_properties or {})
    try:
        level = Level(found.get(VERDICT))
    except ValueError:
        return None
    freeze = found.get(FREEZE_SECONDS)
    try:
        freeze = float(freeze) if freeze else None
    except ValueError:
        freeze = None
    return StoredVerdict(
        level=level,
        cause=found.get(CAUSE, ""),
        evidence=(tuple(found["%s_%d" % (EVIDENCE, i + 1)]
                        for i in range(MAX_EVIDENCE_ITEMS)
                        if found.get("%s_%d" % (EVIDENCE, i + 1)))
                  or _split(found.get(EVIDENCE))),
        next_step=found.get(NEXT_STEP, ""),
        warnings=_split(found.get(WARNINGS)),
        freeze_seconds=freeze,
        verified_by=found.get(VERIFIED_BY) or None,
        checked_at=timestamps.parse_timestamp(found.get(CHECKED_AT)),
        requested_at=timestamps.parse_timestamp(found.get(REQUESTED_AT)),
    )
