"""The verdict rules: one case per failure signal of DOMAIN.md "Where
a failure shows up", per row of the snapshot-path table, and per probe
pattern, then the verdict stored on the image."""

import dataclasses
import datetime
import os
import json

import pytest

from consistency_dashboard.core import i18n
from consistency_dashboard.core import poll
from consistency_dashboard.core import probe
from consistency_dashboard.core import snapshot_bytes as sb
from consistency_dashboard.core import verdict as v

L = v.Level
F = poll.ImageFate
UTC = datetime.timezone.utc
DATA = os.path.join(os.path.dirname(__file__), "data")
REQUESTED = datetime.datetime.fromtimestamp(1763790011, UTC)
SETTLED = REQUESTED + datetime.timedelta(seconds=8)

NONE = {}
AGENT = {"hw_qemu_guest_agent": "yes"}
QUIESCE = {"os_require_quiesce": "yes"}
BOTH = {"hw_qemu_guest_agent": "yes", "os_require_quiesce": "yes"}
OK = v.NovaAnswer(202, "", "img-1")


def log(name):
    with open(os.path.join(DATA, name), newline="") as f:
        return f.read()


BOOT = log("boot_prefix.txt")


def report(name):
    """The console after the snapshot, read against a baseline taken after
    boot (so every probe line of the file counts by position)."""
    return probe.parse_console(log(name), BOOT)


@dataclasses.dataclass(frozen=True)
class _HeldPair(probe.FreezePair):
    """A pair with held writes set directly (the parser computes them from
    a v2 thaw line; test_real_probe_v2_lines reads real ones), so the v1
    log files of tests/core/data serve the held-write cases too."""
    held: tuple = ()
    version: str = "v2"

    @property
    def freeze_proven_by_writes(self):
        return bool(self.held)

    @property
    def held_seconds(self):
        return max(s for _m, s in self.held) if self.held else None


def held(report_, seconds=0.5, mount="/"):
    """``report_`` with the guest's test writes held ``seconds`` on each
    pair (probe v2)."""
    def one(pair):
        if "held" in {f.name for f in dataclasses.fields(probe.FreezePair)}:
            return dataclasses.replace(pair, held=((mount, seconds),),
                                       version="v2")
        kw = {f.name: getattr(pair, f.name)
              for f in dataclasses.fields(pair)}
        kw.update(held=((mount, seconds),), version="v2")
        return _HeldPair(**kw)
    return dataclasses.replace(report_, pairs=tuple(
        one(p) for p in report_.pairs))


def disk(*states, kind="ext4"):
    """A DiskCheck of the snapshot's bytes with one filesystem per state."""
    where = ["whole disk"] if len(states) == 1 else [
        "partition %d" % (i + 1) for i in range(len(states))]
    return sb.DiskCheck(True, "qcow2", "" if len(states) == 1 else "gpt",
                        tuple(sb.FilesystemCheck(w, 0, kind, sb.FsState(s))
                              for w, s in zip(where, states)),
                        reads=5, bytes_read=20480)


CLEAN = disk("clean")
RECOVERY = disk("needs-recovery")
NO_RANGES = sb.DiskCheck(False, reason="this Glance does not serve ranges",
                         ranges_unsupported=True, reads=1)


def evidence(**kw):
    kw.setdefault("captured", BOTH)
    kw.setdefault("captured_source", "server")
    kw.setdefault("nova", OK)
    kw.setdefault("image_fate", F.ACTIVE)
    kw.setdefault("image_status", "active")
    kw.setdefault("storage", "file")
    kw.setdefault("requested_at", REQUESTED)
    kw.setdefault("settled_at", SETTLED)
    kw.setdefault("max_microversion", "2.104")
    return v.Evidence(**kw)


def decide(**kw):
    return v.decide(evidence(**kw))


def sources(verdict):
    return [item.source for item in verdict.evidence]


# --- failure signals ----------------------------------------------------

FAILURES = [
    ("sync-400-agent-not-enabled", dict(
        boot_source="volume", captured=QUIESCE,
        nova=v.NovaAnswer(400, "QEMU guest agent is not enabled")),
     L.FAILED, "booted without the guest agent channel"),
    ("sync-409-quiesce-failed", dict(
        boot_source="volume",
        nova=v.NovaAnswer(409, "Failed to quiesce instance: Error from "
                               "libvirt while quiescing")),
     L.FAILED, "did not freeze the filesystems"),
    ("sync-409-task-state", dict(
        nova=v.NovaAnswer(409, "Cannot 'createImage' instance x while it is "
                               "in task_state image_snapshot")),
     L.FAILED, "busy with another task"),
    ("sync-400-quiesce-not-supported", dict(
        boot_source="volume", virt_driver="other",
        nova=v.NovaAnswer(400, "Quiescing is not supported in instance x")),
     L.FAILED, "cannot freeze guests"),
    ("sync-403-quota", dict(
        nova=v.NovaAnswer(403, "Quota exceeded for resources: ['snapshots']")),
     L.FAILED, "Over quota"),
    ("sync-403-policy", dict(
        nova=v.NovaAnswer(403, "Policy doesn't allow create_image")),
     L.FAILED, "Not allowed"),
    ("sync-404-instance-gone", dict(
        nova=v.NovaAnswer(404, "Instance x could not be found.")),
     L.FAILED, "no longer exists"),
    ("sync-500", dict(nova=v.NovaAnswer(500, "Unexpected API Error.")),
     L.FAILED, "HTTP 500"),
    ("no-answer-no-image", dict(
        nova=v.NovaAnswer(None, "timed out"), image_fate=None),
     L.FAILED, "did not answer"),
    ("image-vanished-nova33-success-event-predicted-cause", dict(
        captured=QUIESCE, image_fate=F.VANISHED, image_status=None,
        max_microversion="2.103",
        events=({"event": "compute_snapshot_instance", "result": "Success"},)),
     L.FAILED, "Predicted cause"),
    ("image-vanished-nova32-error-event-details", dict(
        image_fate=F.VANISHED, max_microversion="2.100",
        events=({"event": "compute_snapshot_instance", "result": "Error",
                 "details": "No space left on device"},)),
     L.FAILED, "Nova reported: No space left on device"),
    ("error-event-before-image-vanishes", dict(
        image_fate=F.PENDING, image_status="saving",
        max_microversion="2.96",
        events=({"event": "compute_snapshot_instance", "result": "Error",
                 "details": "Connection to glance failed"},)),
     L.FAILED, "Connection to glance failed"),
    ("error-event-without-details-before-2.84", dict(
        image_fate=F.VANISHED, max_microversion="2.79",
        events=({"event": "compute_snapshot_instance", "result": "Error"},)),
     L.FAILED, "without saying why"),
    ("volume-backed-freeze-error-is-500", dict(
        boot_source="volume",
        nova=v.NovaAnswer(500, "Unexpected API Error.")),
     L.FAILED, "HTTP 500"),
    ("image-status-deleted", dict(image_fate=F.DELETED,
                                  image_status="deleted"),
     L.FAILED, "without saying why"),
    ("image-killed", dict(image_fate=F.KILLED, image_status="killed"),
     L.FAILED, "upload failed"),
    ("abandoned-by-a-restarted-compute", dict(image_fate=F.ABANDONED,
                                              image_status="queued"),
     L.FAILED, "stopped working on the snapshot"),
    ("instance-deleted-while-snapshotting", dict(
        image_fate=F.VANISHED, instance_deleted=True),
     L.FAILED, "deleted while it was being snapshotted"),
    ("still-queued-after-poll-bound-is-not-failed", dict(
        image_fate=F.TIMED_OUT, image_status="queued"),
     L.IN_PROGRESS, "not a failure"),
    ("still-saving", dict(image_fate=F.PENDING, image_status="saving"),
     L.IN_PROGRESS, "taking the snapshot"),
    ("glance-unreachable-while-polling", dict(image_fate=F.UNREACHABLE,
                                              image_status=None),
     L.IN_PROGRESS, "did not answer"),
    ("volume-snapshot-error", dict(
        boot_source="volume", volume_snapshot_statuses=("available",
                                                        "error")),
     L.FAILED, "Cinder volume snapshot failed"),
    ("volume-snapshot-still-creating", dict(
        boot_source="volume", volume_snapshot_statuses=("creating",)),
     L.IN_PROGRESS, "still creating"),
    ("deactivated-image", dict(image_fate=F.DEACTIVATED,
                               image_status="deactivated"),
     L.UNKNOWN, "deactivated"),
]


@pytest.mark.parametrize("kw,level,cause", [f[1:] for f in FAILURES],
                         ids=[f[0] for f in FAILURES])
def test_failure_signals(kw, level, cause):
    verdict = decide(**kw)
    assert verdict.level is level
    assert cause in verdict.cause
    assert verdict.next_step
    assert verdict.final is (level is not L.IN_PROGRESS)
    assert verdict.cause.endswith(".")


@pytest.mark.parametrize("maximum,words", [
    ("2.79", "only from compute API 2.84"),
    ("2.104", "defaults to admin"),
], ids=["before-2.84-no-details-for-anyone", "details-admin-only-by-policy"])
def test_error_event_without_details_says_why(maximum, words):
    verdict = decide(image_fate=F.VANISHED, max_microversion=maximum,
                     events=({"event": "compute_snapshot_instance",
                              "result": "Error"},))
    assert any(words in w for w in verdict.warnings), verdict.warnings


def test_sync_failure_quotes_nova():
    verdict = decide(nova=v.NovaAnswer(409, "Failed to quiesce instance: x"))
    assert verdict.evidence[-1] == v.EvidenceItem(
        "HTTP 409: Failed to quiesce instance: x", v.SRC_NOVA)


def test_nova33_success_event_is_explained_not_believed():
    verdict = decide(captured=QUIESCE, image_fate=F.VANISHED,
                     max_microversion="2.103",
                     events=({"event": "compute_snapshot_instance",
                              "result": "Success"},))
    texts = [i.text for i in verdict.evidence]
    assert any("says Success even when the snapshot fails" in t
               for t in texts)
    assert v.SRC_PREDICTION in sources(verdict)


def test_no_answer_but_image_found_by_marker_is_judged():
    verdict = decide(nova=v.NovaAnswer(None, "timed out", "img-9"),
                     probe=held(report("fs_verified.log")), captured=AGENT)
    assert verdict.level is L.FILESYSTEM_CONSISTENT


# --- consistency of an active image: ranked evidence ----------------------

HOOKS_ONLY = "hooks ran, freeze not proven"

ACTIVE = [
    # Nova's enforced quiesce (volume-backed, exact properties)
    ("volume-backed/agent+quiesce-enforced-by-nova", dict(
        boot_source="volume", probe=report("clean_poweroff.log")),
     L.FILESYSTEM_CONSISTENT, "nova", "Nova froze the filesystems"),
    ("volume-backed/enforced-plus-app-hooks", dict(
        boot_source="volume", probe=report("app_consistent.log")),
     L.APPLICATION_CONSISTENT, "nova", "every application hook"),
    ("volume-backed/agent-only-no-probe", dict(
        boot_source="volume", captured=AGENT), L.UNKNOWN, None,
     "without os_require_quiesce"),
    # Changed: a hook pair alone proves only that hooks ran.
    ("volume-backed/agent-only-probe-pair-hooks-only", dict(
        boot_source="volume", captured=AGENT, probe=report("fs_verified.log")),
     L.UNKNOWN, None, HOOKS_ONLY),
    ("volume-backed/agent-only-held-writes", dict(
        boot_source="volume", captured=AGENT,
        probe=held(report("fs_verified.log"))),
     L.FILESYSTEM_CONSISTENT, "guest", "writes were held"),
    ("volume-backed/no-agent", dict(boot_source="volume", captured=NONE),
     L.CRASH_CONSISTENT, None, "without the guest agent channel"),
    ("volume-backed/paused", dict(boot_source="volume",
                                  power_at_request="paused"),
     L.CRASH_CONSISTENT, None, "paused"),
    # Rule: the boot volume's metadata now is not what the server was
    # started with, so "enforced by Nova" is not said from it.
    ("volume-backed/boot-volume-metadata-is-not-exact", dict(
        boot_source="volume", captured=BOTH, captured_source="boot_volume"),
     L.UNKNOWN, None, "not necessarily what this server was started with"),
    ("volume-backed/keys-inherited-by-the-test-snapshot-are-exact", dict(
        boot_source="volume", captured=None, captured_source=None,
        image_properties=dict(BOTH, image_type="snapshot")),
     L.FILESYSTEM_CONSISTENT, "nova", "Nova froze the filesystems"),
    # Changed: hooks alone (probe v1) are not a proven freeze.
    ("image-file-live/probe-freeze-thaw-hooks-only", dict(
        captured=AGENT, probe=report("fs_verified.log")),
     L.UNKNOWN, None, HOOKS_ONLY),
    ("image-file-live/held-writes", dict(
        captured=AGENT, probe=held(report("fs_verified.log"), 0.42)),
     L.FILESYSTEM_CONSISTENT, "guest", "writes were held while the "
                                       "filesystems were frozen (/ 0.42 s)"),
    ("image-file-live/probe-app-hooks-ok-hooks-only", dict(
        probe=report("app_consistent.log")),
     L.UNKNOWN, None, HOOKS_ONLY),
    ("image-file-live/app-hooks-ok-held-writes", dict(
        probe=held(report("app_consistent.log"))),
     L.APPLICATION_CONSISTENT, "guest", "postgresql"),
    ("image-file-live/app-hooks-ok-bytes-clean", dict(
        probe=report("app_consistent.log"), disk_check=CLEAN),
     L.APPLICATION_CONSISTENT, "snapshot", "postgresql"),
    # The snapshot's own bytes
    ("bytes/clean-without-guest-evidence", dict(disk_check=CLEAN),
     L.FILESYSTEM_CONSISTENT, "snapshot", "snapshot's own bytes prove it"),
    ("bytes/needs-recovery", dict(disk_check=RECOVERY),
     L.CRASH_CONSISTENT, "snapshot",
     "journal needs recovery in the snapshot"),
    ("bytes/needs-recovery-beats-held-writes", dict(
        disk_check=RECOVERY, probe=held(report("fs_verified.log"))),
     L.CRASH_CONSISTENT, "snapshot",
     "journal needs recovery in the snapshot"),
    ("bytes/one-of-two-needs-recovery", dict(
        disk_check=disk("clean", "needs-recovery")),
     L.CRASH_CONSISTENT, "snapshot", "ext4 on partition 2"),
    ("bytes/xfs-not-checkable-falls-back-to-held-writes", dict(
        disk_check=disk("not-checkable", kind="xfs"),
        probe=held(report("fs_verified.log"))),
     L.FILESYSTEM_CONSISTENT, "guest", "writes were held"),
    ("bytes/ranges-unsupported-falls-back-to-hooks", dict(
        disk_check=NO_RANGES, probe=report("fs_verified.log")),
     L.UNKNOWN, None, HOOKS_ONLY),
    ("bytes/clean-beats-an-unknown-path", dict(
        captured=None, captured_source=None, disk_check=CLEAN),
     L.FILESYSTEM_CONSISTENT, "snapshot", "clean journal"),
    ("image-file-live/agent-stopped-probe-installed-no-freeze", dict(
        probe=probe.parse_console(log("fs_verified.log") + BOOT[:0] +
                                  "[  900.000000] sshd[300]: Accepted\n",
                                  log("fs_verified.log"))),
     L.CRASH_CONSISTENT, None, "reported no freeze for this snapshot"),
    ("image-file-live/no-probe-kit", dict(probe=probe.parse_console(
        BOOT + "[  100.000000] sshd[300]: Server listening\n", BOOT)),
     L.UNKNOWN, None, "never reports whether"),
    ("image-file-live/no-agent-channel", dict(captured=NONE),
     L.CRASH_CONSISTENT, None, "without the guest agent channel"),
    ("image-file-live/props-added-after-boot", dict(
        captured=NONE, image_properties={"image_type": "snapshot"}),
     L.CRASH_CONSISTENT, None, "without the guest agent channel"),
    ("volume-backed/metadata-fixed-but-not-recreated", dict(
        boot_source="volume", captured=BOTH, captured_source="boot_volume",
        image_properties={"image_type": "snapshot",
                          "hw_qemu_guest_agent": "yes"}),
     L.UNKNOWN, None, "without os_require_quiesce"),
    ("image-rbd/storage-setting", dict(storage="rbd"),
     L.CRASH_CONSISTENT, None, "Ceph RBD"),
    # Changed: an rbd:// location says where Glance keeps images.
    ("image-rbd/rbd-location-seen-storage-unknown", dict(
        storage="unknown",
        image_locations=("rbd://fsid/images/img-1/snap",)),
     L.UNKNOWN, None, "not where the instance's disks are"),
    ("image-rbd-location-but-guest-writes-held", dict(
        storage="unknown", image_locations=({"url": "rbd://f/p/i/snap"},),
        probe=held(report("fs_verified.log"))),
     L.FILESYSTEM_CONSISTENT, "guest", "writes were held"),
    # Changed: "reboot: Power down" is the guest's report of a power-off.
    ("image-cold-stopped/power-off-reported", dict(
        power_at_request="stopped", probe=report("clean_poweroff.log")),
     L.UNKNOWN, None, "not proof that its filesystems were unmounted"),
    ("image-cold-stopped/bytes-clean", dict(
        power_at_request="stopped", disk_check=CLEAN),
     L.FILESYSTEM_CONSISTENT, "snapshot", "clean journal"),
    ("image-cold-stopped/bytes-need-recovery", dict(
        power_at_request="stopped", disk_check=RECOVERY),
     L.CRASH_CONSISTENT, "snapshot", "needs recovery"),
    ("image-cold-stopped/no-power-off-seen", dict(
        power_at_request="stopped", probe=report("freeze_no_thaw.log")),
     L.UNKNOWN, None, "consistent if the guest shut down cleanly"),
    ("image-cold-stopped/console-404", dict(
        power_at_request="stopped", console_error="404: not found"),
     L.UNKNOWN, None, "console log is not available (404: not found)"),
    ("image-no-live-snapshot", dict(storage="no_live_snapshot",
                                    probe=held(report("fs_verified.log"))),
     L.CRASH_CONSISTENT, None, "Live snapshots are not available"),
    ("image-paused", dict(power_at_request="paused"),
     L.CRASH_CONSISTENT, None, "paused"),
    ("non-libvirt", dict(virt_driver="other", captured=AGENT),
     L.CRASH_CONSISTENT, None, "cannot freeze"),
    ("probe/hook-failed-strict-dispatcher", dict(
        probe=report("hook_failed_strict.log")),
     L.CRASH_CONSISTENT, None, "application hook failed (mysql)"),
    ("probe/freeze-without-thaw", dict(probe=report("freeze_no_thaw.log")),
     L.UNKNOWN, None, "freeze but no thaw"),
    ("probe/guard-then-late-thaw", dict(
        probe=held(report("guard_then_late_thaw.log"))),
     L.FILESYSTEM_CONSISTENT, "guest", "Not every application hook"),
    ("probe/interleaved-clean-pair-used", dict(
        probe=held(report("interleaved.log"))),
     L.FILESYSTEM_CONSISTENT, "guest", "seq 10"),
    ("probe/forged-only-clean-pair-used", dict(
        probe=held(report("forged.log"))),
     L.FILESYSTEM_CONSISTENT, "guest", "seq 15"),
    ("probe/garbage", dict(probe=held(report("garbage.log"))),
     L.FILESYSTEM_CONSISTENT, "guest", "seq 2"),
    ("console-disabled-501", dict(console_error="501: not implemented"),
     L.UNKNOWN, None, "501"),
    ("console-404-volume-backed-agent-only", dict(
        boot_source="volume", captured=AGENT,
        console_error="404: console log not found"), L.UNKNOWN, None, "404"),
    ("captured-unknown-no-evidence", dict(captured=None,
                                          captured_source=None),
     L.UNKNOWN, None, "not known"),
]


@pytest.mark.parametrize("kw,level,verified_by,cause",
                         [a[1:] for a in ACTIVE], ids=[a[0] for a in ACTIVE])
def test_active_image_consistency(kw, level, verified_by, cause):
    verdict = decide(**kw)
    assert verdict.level is level, verdict.cause
    assert verdict.verified_by == verified_by
    assert cause in verdict.cause
    assert verdict.next_step
    # Every verdict names the source it rests on and its strength.
    assert verdict.rests_on and verdict.strength is not None
    assert verdict.basis
    proven = level in (L.FILESYSTEM_CONSISTENT, L.APPLICATION_CONSISTENT)
    if proven:
        # Only the first three strengths prove a freeze.
        assert verdict.strength.rank >= v.Strength.NOVA_QUIESCE.rank
    if verified_by == "guest":
        assert verdict.rests_on == v.SRC_HELD
        assert verdict.freeze_measured_by == "held writes"
        assert verdict.freeze_seconds is not None
    if not proven:
        assert verdict.freeze_seconds is None


def test_hook_pair_alone_names_the_next_step():
    verdict = decide(captured=AGENT, probe=report("fs_verified.log"))
    assert "hooks ran, freeze not proven" in verdict.cause
    assert verdict.strength is v.Strength.HOOK_PAIR
    assert verdict.rests_on == v.SRC_GUEST
    assert "newer version holds a test write" in verdict.next_step


def test_bytes_clean_reads_proven_by_the_snapshot():
    verdict = decide(disk_check=CLEAN, probe=held(report("fs_verified.log"),
                                                  1.21))
    assert verdict.summary.startswith(
        "filesystem-consistent, proven by the snapshot (ext4 / clean)")
    assert verdict.rests_on == v.SRC_BYTES
    assert verdict.strength is v.Strength.SNAPSHOT_BYTES
    # The held-write time, not the hook gap (0.71 s), is the freeze time.
    assert verdict.freeze_seconds == pytest.approx(1.21)
    assert verdict.freeze_measured_by == "held writes"
    bytes_items = [i for i in verdict.evidence if i.source == v.SRC_BYTES]
    assert bytes_items[0].strength is v.Strength.SNAPSHOT_BYTES


def test_bytes_needing_recovery_override_the_guest_loudly():
    verdict = decide(disk_check=RECOVERY,
                     probe=held(report("fs_verified.log")))
    assert verdict.level is L.CRASH_CONSISTENT
    assert verdict.warnings[0].startswith("CONTRADICTION: The guest reported "
                                          "its writes held while frozen")
    assert "ext4 on the whole disk journal needs recovery" in \
        verdict.warnings[0]
    assert any(i.text.startswith("ext4 journal needs recovery in the "
                                 "snapshot") for i in verdict.evidence)
    assert "does not match the snapshot" in verdict.next_step
    assert verdict.freeze_seconds is None


def test_agent_stopped_guest_by_bytes_is_not_told_to_install_the_kit():
    verdict = decide(disk_check=RECOVERY, probe=probe.parse_console(
        BOOT + "[  9.0] consistency-init: agent disabled\n", BOOT))
    assert verdict.level is L.CRASH_CONSISTENT
    assert "Install" not in verdict.next_step
    assert "qemu-guest-agent is running and answering" in verdict.next_step


def test_ranges_unsupported_is_said_and_falls_back():
    verdict = decide(disk_check=NO_RANGES)
    assert "snapshot's bytes not checked: this Glance does not serve " \
        "ranges" in [i.observation for i in verdict.evidence]
    assert verdict.level is L.UNKNOWN
    assert "does not serve ranges" in verdict.next_step


@pytest.mark.parametrize("kw,unwanted", [
    (dict(console_error="404: not found"), "console"),
    (dict(probe=report("freeze_no_thaw.log")), "reboot: Power down"),
    (dict(probe=report("clean_poweroff.log")), "console"),
], ids=["console-404", "no-power-off", "power-off-reported"])
def test_stopped_instance_gets_no_console_advice(kw, unwanted):
    verdict = decide(power_at_request="stopped", **kw)
    assert unwanted not in verdict.next_step
    assert "Shut the guest down from inside" in verdict.next_step


def test_cause_is_rendered_from_its_code():
    from consistency_dashboard.core import causes
    for kw in (dict(disk_check=CLEAN), dict(disk_check=RECOVERY),
               dict(probe=report("fs_verified.log")),
               dict(nova=v.NovaAnswer(409, "Failed to quiesce: x"))):
        verdict = decide(**kw)
        assert causes.render(verdict.cause_code,
                             verdict.cause_params) == verdict.cause


def test_every_cause_template_renders_and_every_step_fits():
    from consistency_dashboard.core import causes
    for code in causes.TEMPLATES:
        assert causes.render(code)
    for row in ACTIVE + FAILURES:
        assert len(decide(**row[1]).next_step) <= v.MAX_VALUE, row[0]


def test_freeze_duration_prefers_held_writes_over_the_hook_gap():
    verdict = decide(probe=held(report("fs_verified.log"), 0.42))
    assert verdict.freeze_seconds == pytest.approx(0.42)
    assert verdict.freeze_measured_by == "held writes"
    assert v.EvidenceItem("freeze seq 1 then thaw seq 1, 0.71 s apart",
                          v.SRC_GUEST, v.Strength.HOOK_PAIR) in \
        verdict.evidence
    # Bytes prove it, the guest's v1 probe only has the hook gap.
    verdict = decide(probe=report("fs_verified.log"), disk_check=CLEAN)
    assert verdict.freeze_seconds == pytest.approx(0.71)
    assert verdict.freeze_measured_by == "hook gap"


@pytest.mark.parametrize("name", ["freeze_no_thaw.log",
                                  "hook_failed_strict.log"])
def test_loud_warning_when_guest_may_still_be_frozen(name):
    verdict = decide(probe=report(name))
    assert verdict.warnings[0] == v.LOUD_STILL_FROZEN


def test_a_failed_snapshot_that_left_the_guest_frozen_says_so_first():
    """nova-compute stopped between the freeze and the thaw: the image is
    left queued (abandoned) and nothing thaws the guest; seen in the cloud
    fault matrix.  A failed snapshot without that line has no warning."""
    verdict = decide(image_fate=F.ABANDONED, image_status="queued",
                     probe=report("freeze_no_thaw.log"))
    assert verdict.level is L.FAILED, verdict.cause
    assert verdict.warnings[0] == v.LOUD_STILL_FROZEN, verdict.warnings
    assert "virsh domfsthaw" in verdict.warnings[0]
    assert any(i.observation.startswith("freeze seq") and "no thaw" in
               i.observation for i in verdict.evidence), \
        [i.observation for i in verdict.evidence]
    calm = decide(image_fate=F.ABANDONED, image_status="queued")
    assert v.LOUD_STILL_FROZEN not in calm.warnings


def test_a_guest_left_frozen_is_told_how_to_thaw():
    """A tenant cannot call the agent: the next step names what thaws the
    guest (a hard reboot; an admin's virsh domfsthaw)."""
    step = decide(probe=report("freeze_no_thaw.log")).next_step
    assert "hard reboot" in step and "virsh domfsthaw" in step, step


# Nova thaws a volume-backed guest only after the volume snapshots left
# "creating" (nova/compute/api.py snapshot_volume_backed): a freeze without
# its thaw right after that is a thaw on its way, not a frozen guest.
VOLUME_THAW = [
    ("thaw-on-its-way", 8, L.IN_PROGRESS, False),
    ("just-inside-the-grace", v.VOLUME_THAW_GRACE - 1, L.IN_PROGRESS, False),
    ("thaw-never-came", v.VOLUME_THAW_GRACE + 1, None, True),
]


@pytest.mark.parametrize("name,after,level,loud", VOLUME_THAW,
                         ids=[row[0] for row in VOLUME_THAW])
def test_volume_backed_waits_for_the_thaw_before_saying_frozen(
        name, after, level, loud):
    verdict = decide(boot_source="volume", probe=report("freeze_no_thaw.log"),
                     volume_snapshot_statuses=("available",),
                     settled_at=REQUESTED + datetime.timedelta(seconds=after))
    if level is not None:
        assert verdict.level is level and not verdict.final
        assert "waiting for the guest's thaw" in verdict.cause
    else:
        assert verdict.final
    assert (v.LOUD_STILL_FROZEN in verdict.warnings) is loud


def test_image_backed_freeze_without_thaw_is_not_waited_for():
    verdict = decide(probe=report("freeze_no_thaw.log"),
                     settled_at=REQUESTED + datetime.timedelta(seconds=8))
    assert verdict.final and verdict.warnings[0] == v.LOUD_STILL_FROZEN


def test_no_loud_warning_when_reboot_ended_the_freeze():
    verdict = decide(probe=probe.parse_console(
        log("reboot_seq_restart.log"), BOOT))
    assert v.LOUD_STILL_FROZEN not in verdict.warnings


def test_guard_warning():
    verdict = decide(probe=report("guard_then_late_thaw.log"))
    assert any("gave up waiting" in w for w in verdict.warnings)


def test_forged_lines_warn():
    verdict = decide(probe=report("forged.log"))
    assert any("conflicting probe lines (seq 11, 12, 9, 13, 14)" in w
               for w in verdict.warnings)


def test_only_disputed_pairs_is_not_verified():
    text = ("[    1.004000] CONSISTENCY-PROBE v1 event=freeze seq=4 mono=1.0 "
            "wall=1763790012.0 apps=-\n"
            "[    1.104000] CONSISTENCY-PROBE v1 event=freeze seq=4 mono=1.1 "
            "wall=1763790012.1 apps=-\n"
            "[    1.504000] CONSISTENCY-PROBE v1 event=thaw seq=4 mono=1.5 "
            "wall=1763790012.5 apps=-\n")
    verdict = decide(probe=probe.parse_console(text, ""))
    assert verdict.level is L.UNKNOWN
    assert any("conflicting" in w for w in verdict.warnings)


def test_future_version_warns_to_update():
    verdict = decide(probe=report("future_and_malformed.log"))
    assert any("newer probe format" in w for w in verdict.warnings)


def test_rbd_location_with_freeze_explains():
    verdict = decide(storage="unknown",
                     image_locations=("rbd://f/p/i/snap",),
                     probe=held(report("fs_verified.log")))
    assert any("live snapshot path" in w for w in verdict.warnings)


def test_exact_no_agent_beats_a_guest_freeze():
    verdict = decide(captured=NONE, probe=report("fs_verified.log"))
    assert verdict.level is L.CRASH_CONSISTENT
    assert any("somewhere else" in w for w in verdict.warnings)


WINDOW = [
    ("no-baseline-freeze-inside-window", 0, L.FILESYSTEM_CONSISTENT),
    ("no-baseline-freeze-hours-before", -7200, L.UNKNOWN),
    ("no-baseline-freeze-after-settle", 3600, L.UNKNOWN),
]


@pytest.mark.parametrize("shift,level", [w[1:] for w in WINDOW],
                         ids=[w[0] for w in WINDOW])
def test_without_baseline_the_guest_clock_places_lines(shift, level):
    text = log("fs_verified.log").replace(
        "wall=17637900", "wall=XX").replace(
        "wall=XX12.41", "wall=%.2f" % (1763790012.41 + shift)).replace(
        "wall=XX13.12", "wall=%.2f" % (1763790013.12 + shift))
    verdict = decide(probe=held(probe.parse_console(text)))
    assert verdict.level is level


def test_with_baseline_position_wins_over_a_wrong_guest_clock():
    text = log("fs_verified.log").replace("wall=1763790012.41",
                                          "wall=1700000000.00")
    verdict = decide(probe=held(probe.parse_console(text, BOOT)))
    assert verdict.level is L.FILESYSTEM_CONSISTENT
    assert any("clock disagrees" in w for w in verdict.warnings)


def test_captured_from_test_snapshot_image_when_unknown():
    verdict = decide(captured=None, captured_source=None,
                     image_properties={"hw_qemu_guest_agent": "no",
                                       "image_type": "snapshot"})
    assert verdict.level is L.CRASH_CONSISTENT
    assert "inherited by the test snapshot image from the instance" in \
        sources(verdict)


def test_evidence_names_its_sources():
    verdict = decide(probe=report("app_consistent.log"))
    assert sources(verdict)[:4] == [
        "properties captured at boot, as Nova reports them for the server",
        v.SRC_NOVA, v.SRC_SERVER, v.SRC_GLANCE]
    assert sources(verdict).count(v.SRC_GUEST) == 2


# --- stored on the image --------------------------------------------------

def test_marker_metadata_and_is_test_snapshot():
    baseline = probe.baseline_from_console(log("fs_verified.log"))
    meta = v.marker_metadata(REQUESTED, "6f1c5a3e-2b7d-4c1e-9a0b-1d2e3f405162",
                             baseline)
    assert meta[v.TEST_SNAPSHOT_MARKER] == "v1"
    assert meta[v.REQUESTED_AT] == "2025-11-22T05:40:11Z"
    assert probe.Baseline.from_property(meta[v.BASELINE]) == baseline
    assert all(len(x) <= 255 for x in meta.values())
    assert v.is_test_snapshot(meta)
    assert v.is_test_snapshot({"properties": meta})
    assert not v.is_test_snapshot({})
    assert not v.is_test_snapshot(None)
    assert not v.is_test_snapshot({v.TEST_SNAPSHOT_MARKER: "yes"})


@pytest.mark.parametrize("kw", [
    dict(probe=report("app_consistent.log")),
    dict(probe=report("freeze_no_thaw.log")),
    dict(nova=v.NovaAnswer(409, "Failed to quiesce instance: " + "x" * 400)),
    dict(image_fate=F.TIMED_OUT),
], ids=["application-consistent", "loud-warning", "long-cause-clipped",
        "still-running"])
def test_verdict_round_trip_through_image_properties(kw):
    verdict = decide(**kw)
    stored_props = v.image_properties_for(verdict, SETTLED)
    assert all(k.startswith("consistency_") for k in stored_props)
    assert all(len(val) <= 255 for val in stored_props.values())
    back = v.verdict_from_image_properties(dict(
        stored_props, **v.marker_metadata(REQUESTED)))
    assert back.level is verdict.level and back.label == verdict.label
    assert back.checked_at == SETTLED
    assert back.requested_at == REQUESTED
    assert back.verified_by == verdict.verified_by
    if len(verdict.cause) <= 255:
        assert back.cause == verdict.cause
    else:
        assert back.cause.endswith("\u2026") and len(back.cause) == 255
        assert verdict.cause.startswith(back.cause[:-1])
    if verdict.freeze_seconds is not None:
        assert back.freeze_seconds == pytest.approx(verdict.freeze_seconds)
    joined = " | ".join(i.text for i in verdict.evidence)
    if len(joined) <= 255:
        assert tuple(i.text for i in back.evidence) == \
            tuple(i.text for i in verdict.evidence)
    else:
        assert back.evidence[0].text == verdict.evidence[0].text
    for stored, original in zip(back.warnings, verdict.warnings):
        assert original.startswith(stored.rstrip("\u2026"))


@pytest.mark.parametrize("props_", [None, {}, {"consistency_verdict": "great"},
                                    {"hw_qemu_guest_agent": "yes"}])
def test_no_stored_verdict(props_):
    assert v.verdict_from_image_properties(props_) is None


# --- polling ----------------------------------------------------------------

POLL = [
    ("accepted-pending", 1, "queued", "image_snapshot_pending", None, True,
     poll.Stage.REQUESTED, "requested"),
    ("compute-snapshotting", 3, "queued", "image_snapshot", None, True,
     poll.Stage.SNAPSHOTTING, "snapshotting"),
    ("pending-upload", 4, "queued", "image_pending_upload", None, True,
     poll.Stage.SNAPSHOTTING, "snapshotting"),
    ("uploading", 5, "saving", "image_uploading", None, True,
     poll.Stage.UPLOADING, "uploading"),
    ("saving-task-cleared", 6, "saving", None, None, True,
     poll.Stage.UPLOADING, "uploading"),
    ("active-done", 7, "active", None, None, False, poll.Stage.DONE, "done"),
    ("vanished-404-done", 2, None, None, 404, False, poll.Stage.DONE, "done"),
    ("deleted-done", 2, "deleted", None, None, False, poll.Stage.DONE,
     "done"),
    ("slow-after-bound-still-running", 901, "saving", "image_uploading",
     None, False, poll.Stage.UPLOADING, "still running"),
    ("glance-5xx-retry", 10, None, "image_uploading", 503, True,
     poll.Stage.UPLOADING,
     "uploading (the image service did not answer; retrying)"),
]


@pytest.mark.parametrize("elapsed,status,task,http,keep,stage,label",
                         [p[1:] for p in POLL], ids=[p[0] for p in POLL])
def test_poll_state(elapsed, status, task, http, keep, stage, label):
    state = poll.poll_state(elapsed, status, task, http)
    assert state.keep_polling is keep
    assert state.stage is stage
    assert state.label == label
    assert (state.next_poll_seconds is not None) is keep


def test_poll_volume_backed_waits_for_cinder():
    state = poll.poll_state(3, "active", None,
                            volume_snapshot_statuses=("creating",))
    assert state.keep_polling and state.stage is poll.Stage.UPLOADING
    state = poll.poll_state(3, "active", None,
                            volume_snapshot_statuses=("available",))
    assert not state.keep_polling and state.final


def test_poll_unreachable_past_bound_stops_without_failing():
    state = poll.poll_state(1000, None, None, reachable=False)
    assert not state.keep_polling and state.fate is F.TIMED_OUT
    assert not state.fate.failed and state.label == "still running"


def test_poll_pending_image_on_an_idle_instance_was_abandoned():
    # nova-compute stopped mid-snapshot and started again: it cleared the
    # task state and left the image queued.
    state = poll.poll_state(45, "queued", None, server_idle=True)
    assert not state.keep_polling and state.final
    assert state.fate is F.ABANDONED and state.fate.failed
    assert poll.poll_state(1000, "saving", None,
                           server_idle=True).fate is F.ABANDONED
    # Not right after the request, not when the server was not read, not
    # while Nova has a task on it, not for an active image.
    assert poll.poll_state(10, "queued", None, server_idle=True).keep_polling
    assert poll.poll_state(45, "queued", None).keep_polling
    assert poll.poll_state(45, "saving", "image_uploading",
                           server_idle=True).keep_polling
    assert poll.poll_state(45, "active", None,
                           server_idle=True).fate is F.ACTIVE


def test_a_vanished_image_is_not_said_to_be_deleted_by_nova():
    # Nothing proves who deleted it: anyone in the project can.
    from consistency_dashboard.core import causes
    said = causes.render("vanished_unexplained")
    assert "Nova deleted" not in said and "by hand" in said


def test_poll_backs_off():
    assert [poll.next_interval(t) for t in (0, 29, 30, 119, 120)] == [
        2.0, 2.0, 5.0, 5.0, 15.0]


def test_baseline_lost_warns_that_the_guest_clock_was_used():
    fresh = probe.baseline_from_console("[ 1.0] unrelated line\n" * 3)
    report_ = probe.parse_console(log("fs_verified.log"), fresh)
    assert report_.baseline_match is probe.BaselineMatch.NOT_FOUND
    verdict = decide(probe=held(report_))
    assert verdict.level is L.FILESYSTEM_CONSISTENT
    assert any("guest's clock was used" in w for w in verdict.warnings)


def test_thaw_phase_failure_warns():
    text = ("[    1.004000] CONSISTENCY-PROBE v1 event=freeze seq=1 mono=1.0 "
            "wall=1763790012.0 apps=mysql:ok\n"
            "[    1.504000] CONSISTENCY-PROBE v1 event=thaw seq=1 mono=1.5 "
            "wall=1763790012.5 apps=mysql:fail\n")
    verdict = decide(probe=held(probe.parse_console(text, "")))
    assert verdict.level is L.APPLICATION_CONSISTENT
    assert any("failed on thaw (mysql)" in w for w in verdict.warnings)


def test_second_freeze_in_window_is_mentioned():
    text = ("[    1.004000] CONSISTENCY-PROBE v1 event=freeze seq=1 mono=1.0 "
            "wall=1763790012.0 apps=-\n"
            "[    1.504000] CONSISTENCY-PROBE v1 event=thaw seq=1 mono=1.5 "
            "wall=1763790012.5 apps=-\n"
            "[    3.004000] CONSISTENCY-PROBE v1 event=freeze seq=2 mono=3.0 "
            "wall=1763790014.0 apps=-\n"
            "[    3.204000] CONSISTENCY-PROBE v1 event=thaw seq=2 mono=3.2 "
            "wall=1763790014.2 apps=-\n")
    verdict = decide(probe=probe.parse_console(text, ""), disk_check=CLEAN)
    assert verdict.freeze_seconds == pytest.approx(0.5)
    assert any("1 more freeze" in w for w in verdict.warnings)


def test_evidence_takes_resolved_captured_properties():
    # Changed: the boot volume's metadata now is not exact, so Nova's
    # quiesce is not taken as proof from it.
    from consistency_dashboard.core import captured as cap
    resolved = cap.resolve_captured("volume",
                                    boot_volume_image_metadata=BOTH)
    ev = v.Evidence(boot_source="volume", captured=resolved, nova=OK,
                    image_fate=F.ACTIVE)
    assert ev.captured_source is cap.CapturedSource.BOOT_VOLUME
    decided = v.decide(ev)
    assert decided.verified_by is None and decided.level is L.UNKNOWN
    assert v.SRC_VOLUME_METADATA in sources(decided)
    assert not any("captured at boot" in s for s in sources(decided))


def test_snapshot_image_without_the_keys_defers_to_resolved_properties():
    # non_inheritable_image_properties may strip the keys from snapshots.
    verdict = decide(boot_source="volume", captured=BOTH,
                     captured_source="server",
                     image_properties={"image_type": "snapshot"})
    assert verdict.verified_by == "nova"
    assert sources(verdict)[0] == ("properties captured at boot, as Nova "
                                   "reports them for the server")


def test_snapshot_image_keys_are_exact():
    verdict = decide(captured=None, captured_source=None,
                     image_properties={"hw_qemu_guest_agent": "no"},
                     probe=report("fs_verified.log"))
    assert verdict.level is L.CRASH_CONSISTENT
    assert any("somewhere else" in w for w in verdict.warnings)


def test_every_evidence_item_survives_the_round_trip_whole():
    items = tuple(v.EvidenceItem("observation number %d " % i + "x" * 120,
                                       "source %d" % i) for i in range(5))
    decided = v.Verdict(v.Level.CRASH_CONSISTENT, "cause", items,
                              "next")
    stored = v.image_properties_for(decided, "2026-11-22T05:00:00Z")
    assert all(len(value) <= v.MAX_VALUE for value in stored.values())
    back = v.verdict_from_image_properties(stored)
    assert tuple(i.text for i in back.evidence) == \
        tuple(i.text for i in items)


def test_quota_413_is_read_as_quota():
    decided = v.decide(v.Evidence(
        boot_source="image", nova=v.NovaAnswer(
            413, "Quota exceeded for snapshots")))
    assert decided.level is v.Level.FAILED
    assert decided.cause.startswith("Over quota")


V2 = ("[  812.004211] CONSISTENCY-PROBE v2 event=freeze seq=3 mono=812.00 "
      "wall=1763790012.41 apps=-\n"
      "[  813.304100] CONSISTENCY-PROBE v2 event=thaw seq=3 mono=813.21 "
      "wall=1763790013.62 logged=813.30 apps=- held={held} free=-"
      " stuck=-\n")


@pytest.mark.parametrize("held_field,level,measured", [
    ("/:1.19,/srv/my%20data:1.18", L.FILESYSTEM_CONSISTENT, "held writes"),
    ("-", L.UNKNOWN, None),
], ids=["v2-writes-held-prove-the-freeze", "v2-nothing-held-not-proven"])
def test_real_probe_v2_lines(held_field, level, measured):
    verdict = decide(captured=AGENT, probe=probe.parse_console(
        BOOT + V2.format(held=held_field), BOOT))
    assert verdict.level is level, verdict.cause
    assert verdict.freeze_measured_by == measured
    if measured:
        assert verdict.freeze_seconds == pytest.approx(1.19)
        assert "proven by the guest's held writes (/ 1.19 s" in \
            verdict.summary
    else:
        assert "writes was seen held" in verdict.cause


# --- what is stored on the image is language-neutral ----------------------

EVERY_VERDICT = [a[1] for a in ACTIVE] + [f[1] for f in FAILURES]


@pytest.mark.parametrize("kw", EVERY_VERDICT,
                         ids=[a[0] for a in ACTIVE] + [f[0] for f in FAILURES])
def test_stored_words_are_msgids_and_values(kw):
    """Each evidence item, the proof, the next step and the warnings come
    back from the image as the same marked texts: the same English words,
    the same msgids and values, so they can be shown in another language."""
    verdict = decide(**kw)
    stored = v.image_properties_for(verdict, SETTLED)
    assert all(len(value) <= v.MAX_VALUE for value in stored.values())
    back = v.verdict_from_image_properties(stored)
    assert len(back.evidence) == len(verdict.evidence)
    for original, read in zip(verdict.evidence, back.evidence):
        assert read == original, read
        assert i18n.to_data(read.observation) == \
            i18n.to_data(original.observation)
    assert str(back.basis) == str(verdict.basis)
    # A text with values comes back as its msgid and values; one without
    # as its words, which are its msgid.
    assert len(back.warnings) == len(verdict.warnings)
    for original, read in zip((verdict.proof, verdict.next_step) +
                              verdict.warnings,
                              (back.proof, back.next_step) + back.warnings):
        assert str(read) == str(original)
        if getattr(original, "params", None):
            assert i18n.to_data(read) == i18n.to_data(original)


def test_a_stored_item_keeps_no_english_of_its_own():
    verdict = decide(disk_check=CLEAN, probe=report("fs_verified.log"))
    stored = v.image_properties_for(verdict, SETTLED)
    item = json.loads(stored[v.EVIDENCE + "_1"])
    # The observation's code and values, the source's code, the strength's
    # name.
    assert item == {"k": "CLOUD", "s": "captured_server", "o": {
        "c": "captured",
        "p": {"agent": {"c": "nova_reads",
                        "p": {"raw": "yes", "value": "true"}},
              "quiesce": {"c": "nova_reads",
                          "p": {"raw": "yes", "value": "true"}}}}}
    assert v.STORED_TEXTS["captured"] == \
        "hw_qemu_guest_agent {agent}, os_require_quiesce {quiesce}"
    assert json.loads(stored[v.PROOF]) == {
        "c": "proof_bytes", "p": {"proof": "ext4 / clean"}}
    # A text without values is stored as its words: they are its msgid.
    assert stored[v.NEXT_STEP] == str(verdict.next_step)


def test_a_next_step_with_the_bytes_note_reads_back_with_its_values():
    unreadable = sb.DiskCheck(False, reason="The snapshot's bytes could not "
                                            "be read (timeout).", reads=1)
    verdict = decide(captured=AGENT, boot_source="volume",
                     disk_check=unreadable)
    assert "could not settle it" in verdict.next_step
    stored = v.image_properties_for(verdict, SETTLED)
    assert json.loads(stored[v.NEXT_STEP])["c"] == "bytes_note"
    back = v.verdict_from_image_properties(stored)
    assert str(back.next_step) == str(verdict.next_step)
    assert i18n.to_data(back.next_step) == i18n.to_data(verdict.next_step)


def test_a_long_value_is_clipped_so_the_item_still_reads_back():
    message = "Failed to quiesce instance: " + "x" * 400
    verdict = decide(nova=v.NovaAnswer(409, message))
    stored = v.image_properties_for(verdict, SETTLED)
    assert all(len(value) <= v.MAX_VALUE for value in stored.values())
    back = v.verdict_from_image_properties(stored)
    [nova] = [i for i in back.evidence if i.source == v.SRC_NOVA]
    assert nova.observation.template == "HTTP {status}: {message}"
    assert nova.observation.params["status"] == 409
    assert nova.observation.params["message"].endswith("\u2026")
    assert message.startswith(nova.observation.params["message"][:-1])
    assert nova.strength is v.Strength.CLOUD


def test_words_stored_by_an_older_version_still_read_back():
    """An older version stored each item as its English words: they are
    shown as they are, the source and strength split off when known."""
    stored = {
        v.VERDICT: "filesystem-consistent",
        v.EVIDENCE + "_1": "ext4 (whole disk): journal clean (needs_recovery "
                           "clear) (the snapshot's own bytes (read from "
                           "Glance); strongest: the snapshot's own bytes)",
        v.EVIDENCE + "_2": "something a newer version said",
        v.EVIDENCE + "_3": "snapshot image active (Glance; stated by the "
                           "cloud)",
        v.RESTS_ON: "Glance",
        v.PROOF: "proven by the snapshot (ext4 / clean)",
        v.NEXT_STEP: "Nothing to do.",
        v.WARNINGS + "_1": "{not json",
    }
    back = v.verdict_from_image_properties(stored)
    first, second, third = back.evidence
    assert (first.observation, first.source, first.strength) == (
        "ext4 (whole disk): journal clean (needs_recovery clear)",
        v.SRC_BYTES, v.Strength.SNAPSHOT_BYTES)
    assert (second.observation, second.source, second.strength) == (
        "something a newer version said", "", None)
    assert second.text == "something a newer version said"
    # The source the verdict rests on is recognised too.
    assert (third.observation, third.source) == ("snapshot image active",
                                                 "Glance")
    assert back.proof == "proven by the snapshot (ext4 / clean)"
    assert back.basis == "proven by the snapshot (ext4 / clean)"
    assert back.next_step == "Nothing to do."
    assert back.warnings == ("{not json",)


def test_a_text_survives_to_data_and_back():
    from consistency_dashboard.core import diagnosis
    from tests.core import test_diagnosis as cases
    texts = [
        i18n.fill(i18n.gettext_noop("{a} and {b}"), a="x",
                  b=i18n.fill(i18n.gettext_noop("({c})"), c=3)),
        i18n.ngettext_lazy("{n} test", "{n} tests", 2),
        diagnosis.explain(cases.facts(cases.GOOD, test_snapshots=3)),
        i18n.unstopped(sb.disk_reason("read", "timeout")),
    ]
    for text in texts:
        data = i18n.to_data(text)
        assert json.loads(json.dumps(data)) == data
        back = i18n.from_data(data)
        assert str(back) == str(text)
        assert i18n.to_data(back) == data
    assert str(texts[-1]) == "The snapshot's bytes could not be read " \
        "(timeout)"
    assert i18n.unstopped("A sentence.") == "A sentence"
    # Codes for long msgids, given both ways.
    coded = i18n.to_data(texts[0], {"{a} and {b}": "and"})
    assert coded["c"] == "and" and "t" not in coded
    assert str(i18n.from_data(coded, {"and": "{a} and {b}"})) == "x and (3)"
    for bad in ({"c": "unknown"}, [1, 2], {"t": 3}, {"t": "{a}", "p": 1},
                {"t": "{a}", "p": {"b": 1}}):
        with pytest.raises(ValueError):
            i18n.from_data(bad, {"and": "{a} and {b}"})


def test_every_stored_code_names_one_text():
    tables = (v.OBSERVATIONS, v.PROOFS, v.NOTES, v.SOURCES)
    codes = [code for table in tables[:3] for code in table]
    assert len(codes) == len(set(codes))
    for table in tables[:3]:
        for code, text in table.items():
            assert v.STORED_TEXTS[code] is text
    assert len(set(map(str, v.STORED_TEXTS.values()))) == \
        len(v.STORED_TEXTS)
