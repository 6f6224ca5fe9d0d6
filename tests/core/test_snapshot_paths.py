"""DOMAIN.md "What a snapshot actually does (libvirt driver)", one case per
row that applies to an instance, plus "Properties are captured at boot"."""

import pytest

from consistency_dashboard.core import properties as props
from consistency_dashboard.core import snapshot_paths as sp

O = sp.Outcome
UUID = "6f1c5a3e-2b7d-4c1e-9a0b-1d2e3f405162"

NONE = {}
AGENT = {"hw_qemu_guest_agent": "yes"}
QUIESCE = {"os_require_quiesce": "yes"}
BOTH = {"hw_qemu_guest_agent": "yes", "os_require_quiesce": "yes"}


def facts(captured=BOTH, **kw):
    kw.setdefault("instance_id", UUID)
    return sp.InstanceFacts(
        captured=None if captured is None else props.read_properties(captured),
        **kw)


PATH_TABLE = [
    # (id, facts kwargs, captured, expected outcome, cause contains)
    ("image-file-live/agent", dict(storage="file"), AGENT,
     O.FILESYSTEM_IF_AGENT, "agent channel"),
    ("image-file-live/agent+quiesce", dict(storage="file"), BOTH,
     O.FILESYSTEM_IF_AGENT, "agent channel"),
    ("image-file-live/no-agent", dict(storage="file"), NONE,
     O.CRASH_CONSISTENT, "without the guest agent channel"),
    ("image-file-live/quiesce-without-agent-fails", dict(storage="file"),
     QUIESCE, O.FAILS, "quiesce required"),
    ("image-rbd/agent+quiesce-never-frozen", dict(storage="rbd"), BOTH,
     O.CRASH_CONSISTENT, "Ceph RBD"),
    ("image-rbd/quiesce-without-agent-no-effect", dict(storage="rbd"),
     QUIESCE, O.CRASH_CONSISTENT, "Ceph RBD"),
    ("image-cold-stopped/agent", dict(storage="file", power="stopped"),
     AGENT, O.CONSISTENT_IF_CLEAN_SHUTDOWN, "stopped"),
    ("image-cold-stopped/quiesce-without-agent-not-refused",
     dict(storage="file", power="stopped"), QUIESCE,
     O.CONSISTENT_IF_CLEAN_SHUTDOWN, "stopped"),
    ("image-no-live-snapshot/agent+quiesce",
     dict(storage="no_live_snapshot"), BOTH, O.CRASH_CONSISTENT,
     "live snapshot unavailable"),
    ("image-no-live-snapshot/quiesce-without-agent-no-effect",
     dict(storage="no_live_snapshot"), QUIESCE, O.CRASH_CONSISTENT,
     "live snapshot unavailable"),
    ("volume-backed/agent+quiesce-enforced", dict(boot_source="volume"),
     BOTH, O.FILESYSTEM_ENFORCED, "os_require_quiesce"),
    ("volume-backed/agent-only", dict(boot_source="volume"), AGENT,
     O.FILESYSTEM_IF_AGENT, "not enforced"),
    ("volume-backed/quiesce-without-agent-400", dict(boot_source="volume"),
     QUIESCE, O.FAILS, "quiesce required"),
    ("volume-backed/no-agent", dict(boot_source="volume"), NONE,
     O.CRASH_CONSISTENT, "without the guest agent channel"),
    ("volume-backed/stopped", dict(boot_source="volume", power="stopped"),
     BOTH, O.CONSISTENT_IF_CLEAN_SHUTDOWN, "stopped"),
    ("volume-backed/not-active/paused-not-quiesced",
     dict(boot_source="volume", power="paused"), BOTH, O.CRASH_CONSISTENT,
     "paused"),
    # Changed: image-backed on other drivers (LXC/Parallels cold path,
    # others never read os_require_quiesce) is crash-consistent.
    ("non-libvirt/image/quiesce-is-crash-consistent-not-a-failure",
     dict(virt_driver="other"), BOTH, O.CRASH_CONSISTENT, "not supported"),
    ("non-libvirt/image/quiesce-without-agent-still-crash",
     dict(virt_driver="other"), QUIESCE, O.CRASH_CONSISTENT,
     "not supported"),
    ("non-libvirt/image/no-quiesce", dict(virt_driver="other"), AGENT,
     O.CRASH_CONSISTENT, "not supported"),
    ("non-libvirt/volume/quiesce-fails",
     dict(virt_driver="other", boot_source="volume"), BOTH, O.FAILS,
     "not supported"),
    ("non-libvirt/volume/no-quiesce",
     dict(virt_driver="other", boot_source="volume"), AGENT,
     O.CRASH_CONSISTENT, "not supported"),
    # Not rows of the table but states an instance can be in.
    ("image-paused/agent-cannot-answer", dict(storage="file", power="paused"),
     BOTH, O.CRASH_CONSISTENT, "paused"),
    ("image-paused/quiesce-without-agent-fails",
     dict(storage="file", power="paused"), QUIESCE, O.FAILS,
     "quiesce required"),
    ("image-suspended", dict(storage="file", power="suspended"), BOTH,
     O.CRASH_CONSISTENT, "suspended"),
    ("image-other-state", dict(storage="file", power="other"), BOTH,
     O.UNKNOWN, "unusual state"),
    ("captured-unknown/image-running", dict(storage="file"), None, O.UNKNOWN,
     "unknown"),
    ("captured-unknown/volume-running", dict(boot_source="volume"), None,
     O.UNKNOWN, "unknown"),
    ("captured-unknown/stopped-still-known", dict(power="stopped"), None,
     O.CONSISTENT_IF_CLEAN_SHUTDOWN, "stopped"),
    ("captured-unknown/rbd-still-known", dict(storage="rbd"), None,
     O.CRASH_CONSISTENT, "Ceph RBD"),
    ("storage-unknown/agent-assumes-file", dict(storage="unknown"), AGENT,
     O.FILESYSTEM_IF_AGENT, "agent channel"),
]


@pytest.mark.parametrize("kw,captured,outcome,cause",
                         [r[1:] for r in PATH_TABLE],
                         ids=[r[0] for r in PATH_TABLE])
def test_snapshot_path_table(kw, captured, outcome, cause):
    prediction = sp.predict(facts(captured, **kw))
    assert prediction.outcome is outcome
    assert cause in prediction.cause
    assert prediction.label == outcome.value
    assert prediction.reasons and all(r.endswith(".") for r in
                                      prediction.reasons)


def test_path_table_cases_name_the_rows_of_the_code():
    """A case named after a row of DOMAIN.md's table ("image-rbd/...",
    "volume-backed/stopped") follows the core's row of that name."""
    by_name = {path.value: path for path in sp.Path}
    unnamed = []
    for case_id, kw, captured, _outcome, _cause in PATH_TABLE:
        prefix = max((name for name in by_name
                      if case_id.startswith(name + "/") or case_id == name),
                     key=len, default=None)
        if prefix is None:
            unnamed.append(case_id)
            continue
        assert sp.predict(facts(captured, **kw)).path is by_name[prefix], \
            case_id
    # The others are named after what is known, not after a path.
    assert unnamed and all(case_id.startswith(("captured-unknown/",
                                               "storage-unknown/"))
                           for case_id in unnamed)


def test_every_path_and_captured_case_has_one_deciding_row():
    for path in sp.Path:
        for case in sp.Captured:
            row = sp.path_row(path, case)
            assert path in row.paths and case in row.captured
            assert row.cause and all(r.endswith(".") for r in row.reasons)


def test_each_row_of_the_table_decides_some_case():
    deciding = {sp.path_row(path, case) for path in sp.Path
                for case in sp.Captured}
    assert set(sp.PATH_ROWS) == deciding


RELEASE_WORDS = [
    # Rule: the silent-agent skip is Nova 25.0.0 Yoga (caf5faf556).
    ("yoga-or-later-2.93", "2.93", "Nova 25.0.0 Yoga or later"),
    ("xena-or-older-2.88", "2.88", "older than Nova 25.0.0 Yoga"),
    ("2.90-is-xena-or-yoga", "2.90", "depends on the Nova release"),
    ("unknown-release", None, "depends on the Nova release"),
]


@pytest.mark.parametrize("mv,words", [r[1:] for r in RELEASE_WORDS],
                         ids=[r[0] for r in RELEASE_WORDS])
def test_silent_agent_skip_depends_on_the_release(mv, words):
    p = sp.predict(facts(BOTH, storage="file", nova_max_microversion=mv))
    assert any(words in r for r in p.reasons), p.reasons
    assert not any("24 Xena and later" in r for r in p.reasons)
    assert any("Nova 25.0.0 Yoga and later" in r for r in p.reasons)


def test_refused_image_backed_has_no_unverified_timing():
    p = sp.predict(facts(QUIESCE, storage="file"))
    assert not any("about a second" in r for r in p.reasons)
    assert any("the snapshot image is deleted" in r for r in p.reasons)


def test_volume_backed_freeze_errors_are_500_not_only_409():
    p = sp.predict(facts(BOTH, boot_source="volume"))
    assert "500" in p.reasons[0] and "409" in p.reasons[0]
    p = sp.predict(facts(BOTH, boot_source="volume", virt_driver="other"))
    assert "NotImplementedError" in p.reasons[0]


def test_boot_volume_metadata_is_not_enforced_by_nova():
    from consistency_dashboard.core import captured as cap
    from_volume = cap.resolve_captured("volume",
                                       boot_volume_image_metadata=BOTH)
    p = sp.predict(sp.InstanceFacts(boot_source="volume",
                                    captured=from_volume))
    assert p.outcome is O.FILESYSTEM_IF_AGENT
    assert "enforced only if" in p.cause
    # "No action needed" only from exact data.
    assert p.action_needed and p.badge == sp.CHECK_VOLUME_METADATA
    recreate = _steps(p)[sp.FixOption.VOLUME_RECREATE]
    assert recreate.set_properties == BOTH
    assert sp.FixOption.TEST_SNAPSHOT in [s.option for s in
                                          p.applicable_next_steps]
    inherited = cap.resolve_captured(
        "volume", newest_snapshot=dict(BOTH, id="s", name="s",
                                       image_type="snapshot"))
    p = sp.predict(sp.InstanceFacts(boot_source="volume",
                                    captured=inherited))
    assert p.outcome is O.FILESYSTEM_ENFORCED


def test_same_words_as_image_posture():
    from consistency_dashboard.core import posture
    assert O.CRASH_CONSISTENT.value == posture.Posture.CRASH_ONLY.value \
        == "crash-consistent only"
    assert O.FILESYSTEM_IF_AGENT.value == \
        posture.Posture.FILESYSTEM_IF_AGENT.value


def test_unknown_storage_warns_about_rbd():
    p = sp.predict(facts(AGENT, storage="unknown"))
    assert any("Ceph RBD" in r for r in p.reasons)
    p = sp.predict(facts(AGENT, storage="file"))
    assert not any("Ceph RBD" in r for r in p.reasons)


def test_summary_matches_issue_wording():
    p = sp.predict(facts(NONE, storage="file",
                         current_image_properties=BOTH))
    assert p.summary == ("crash-consistent only: booted without the guest "
                         "agent channel; rebuild needed")


ACTION_TABLE = [
    # (id, kwargs, captured, current image, rebuild_needed, action, badge)
    ("booted-before-fix/no-agent", dict(storage="file"), NONE, BOTH, True,
     True, "action needed: rebuild needed"),
    ("booted-before-fix/quiesce-only-added-image-backed",
     dict(storage="file"), AGENT, BOTH, False, False, None),
    ("image-never-fixed/no-agent", dict(storage="file"), NONE, NONE, False,
     True, "action needed: crash-consistent only"),
    ("refused/quiesce-without-agent", dict(storage="file"), QUIESCE, QUIESCE,
     False, True, "action needed: snapshots fail"),
    ("refused-but-image-fixed", dict(storage="file"), QUIESCE, BOTH, True,
     True, "action needed: snapshots fail"),
    ("all-good/image-backed", dict(storage="file"), BOTH, BOTH, False, False,
     None),
    ("all-good/agent-only-image-backed", dict(storage="file"), AGENT, AGENT,
     False, False, None),
    ("volume-backed/freeze-not-enforced", dict(boot_source="volume"), AGENT,
     AGENT, False, True, "action needed: freeze not enforced"),
    ("volume-backed/no-rebuild-wording", dict(boot_source="volume"), NONE,
     BOTH, False, True, "action needed: crash-consistent only"),
    ("rbd/booted-before-fix-changes-nothing", dict(storage="rbd"), NONE,
     BOTH, False, False, None),
    ("stopped/booted-before-fix-still-flagged",
     dict(storage="file", power="stopped"), NONE, BOTH, True, True,
     "action needed: rebuild needed"),
    ("unknown/stale-suspected", dict(storage="file", stale_suspected=True),
     None, BOTH, False, True, "check needed: image changed after boot"),
    ("unknown/not-stale", dict(storage="file"), None, BOTH, False, False,
     None),
    ("image-unknown/no-agent", dict(storage="file"), NONE, None, False, True,
     "action needed: crash-consistent only"),
]


@pytest.mark.parametrize("kw,captured,current,rebuild,action,badge",
                         [r[1:] for r in ACTION_TABLE],
                         ids=[r[0] for r in ACTION_TABLE])
def test_action_needed(kw, captured, current, rebuild, action, badge):
    p = sp.predict(facts(captured, current_image_properties=current, **kw))
    assert p.rebuild_needed is rebuild
    assert p.action_needed is action
    assert p.badge == badge


def _steps(p):
    return {s.option: s for s in p.next_steps}


def test_next_steps_image_backed_booted_before_fix():
    p = sp.predict(facts(NONE, storage="file", current_image_properties=BOTH,
                         nova_max_microversion="2.100"))
    steps = _steps(p)
    assert [s.option for s in p.applicable_next_steps] == [
        sp.FixOption.REBUILD_FROM_IMAGE,
        sp.FixOption.REBUILD_FROM_OWN_SNAPSHOT,
        sp.FixOption.OPERATOR_NOVA_MANAGE]
    assert "data on them is lost" in steps[
        sp.FixOption.REBUILD_FROM_IMAGE].tradeoff
    assert steps[sp.FixOption.REBUILD_FROM_OWN_SNAPSHOT].set_properties == \
        BOTH
    assert steps[sp.FixOption.OPERATOR_NOVA_MANAGE].commands == (
        "openstack server stop %s" % UUID,
        "nova-manage image_property set %s --property hw_qemu_guest_agent=yes"
        " --property os_require_quiesce=yes" % UUID,
        "openstack server start %s" % UUID)
    assert sp.FixOption.VOLUME_RECREATE not in steps


def test_next_steps_image_not_fixed_says_fix_image_first():
    p = sp.predict(facts(NONE, storage="file", current_image_properties=NONE))
    step = _steps(p)[sp.FixOption.REBUILD_FROM_IMAGE]
    assert not step.applicable and "fix the image first" in step.note
    assert _steps(p)[sp.FixOption.REBUILD_FROM_OWN_SNAPSHOT].applicable


def test_next_steps_volume_backed():
    p = sp.predict(facts(AGENT, boot_source="volume",
                         nova_max_microversion="2.96"))
    steps = _steps(p)
    assert sp.FixOption.REBUILD_FROM_IMAGE not in steps
    assert sp.FixOption.REBUILD_FROM_OWN_SNAPSHOT not in steps
    assert steps[sp.FixOption.VOLUME_RECREATE].applicable
    assert steps[sp.FixOption.VOLUME_RECREATE].set_properties == QUIESCE
    assert "re-image the volume" in \
        steps[sp.FixOption.VOLUME_RECREATE].tradeoff
    assert steps[sp.FixOption.OPERATOR_NOVA_MANAGE].commands[1] == (
        "nova-manage image_property set %s --property os_require_quiesce=yes"
        % UUID)


@pytest.mark.parametrize("mv,applicable,note", [
    ("2.88", False, "older than 25.0.0"),
    ("2.90", True, "Needs Nova 25.0.0"),   # Xena and Yoga share 2.90
    (None, True, "Needs Nova 25.0.0"),
    ("2.93", True, None),
], ids=["pre-yoga", "xena-or-yoga", "unknown-release", "zed"])
def test_nova_manage_release_gate(mv, applicable, note):
    p = sp.predict(facts(NONE, storage="file", nova_max_microversion=mv))
    step = _steps(p)[sp.FixOption.OPERATOR_NOVA_MANAGE]
    assert step.applicable is applicable
    if note:
        assert note in step.note
    else:
        assert "Needs Nova" not in step.note


def test_nothing_to_fix_offers_nothing():
    p = sp.predict(facts(BOTH, storage="file", current_image_properties=BOTH))
    assert p.applicable_next_steps == ()


def test_captured_unknown_offers_test_snapshot():
    p = sp.predict(facts(None, storage="file"))
    assert [s.option for s in p.applicable_next_steps] == [
        sp.FixOption.TEST_SNAPSHOT]


def test_dead_fsfreeze_is_explained():
    p = sp.predict(facts({"hw_require_fsfreeze": "yes"}, storage="file"))
    assert props.DEAD_PROPERTY_REASON in p.reasons
    assert p.outcome is O.CRASH_CONSISTENT


def test_unparseable_value_reads_false_like_nova():
    p = sp.predict(facts({"hw_qemu_guest_agent": "enabled"}, storage="file"))
    assert p.outcome is O.CRASH_CONSISTENT


@pytest.mark.parametrize("captured,power,expected", [
    (NONE, "running", ("openstack server stop {u}",
                       "nova-manage image_property set {u} --property "
                       "hw_qemu_guest_agent=yes --property "
                       "os_require_quiesce=yes",
                       "openstack server start {u}")),
    (AGENT, "running", ("openstack server stop {u}",
                        "nova-manage image_property set {u} --property "
                        "os_require_quiesce=yes",
                        "openstack server start {u}")),
    (QUIESCE, "stopped", ("nova-manage image_property set {u} --property "
                          "hw_qemu_guest_agent=yes",)),
    (BOTH, "running", ()),
    (None, "running", ("openstack server stop {u}",
                       "nova-manage image_property set {u} --property "
                       "hw_qemu_guest_agent=yes --property "
                       "os_require_quiesce=yes",
                       "openstack server start {u}")),
], ids=["nothing-set", "agent-set", "stopped-no-stop-start", "all-set",
        "unknown-sets-both"])
def test_operator_commands(captured, power, expected):
    cap = None if captured is None else props.read_properties(captured)
    assert sp.operator_commands(UUID, cap, power) == tuple(
        e.format(u=UUID) for e in expected)


@pytest.mark.parametrize("bad", ["", "x; rm -rf /", UUID + " && reboot",
                                 None])
def test_operator_commands_refuse_non_uuid(bad):
    with pytest.raises(ValueError):
        sp.operator_commands(bad)


def test_facts_accept_strings_and_reject_unknown_words():
    f = sp.InstanceFacts(boot_source="volume", power="paused",
                         storage="rbd", virt_driver="libvirt",
                         captured={"hw_qemu_guest_agent": "1"})
    assert f.boot_source is sp.BootSource.VOLUME
    assert f.captured.guest_agent.value is True
    with pytest.raises(ValueError):
        sp.InstanceFacts(power="hibernating")


@pytest.mark.parametrize("status,power", [
    ("ACTIVE", sp.Power.RUNNING), ("SHUTOFF", sp.Power.STOPPED),
    ("PAUSED", sp.Power.PAUSED), ("SUSPENDED", sp.Power.SUSPENDED),
    ("SHELVED_OFFLOADED", sp.Power.OTHER), ("ERROR", sp.Power.OTHER),
    (None, sp.Power.OTHER), ("active", sp.Power.RUNNING)])
def test_power_from_status(status, power):
    assert sp.power_from_status(status) is power


def test_facts_take_resolved_captured_properties():
    from consistency_dashboard.core import captured as cap
    unknown = cap.resolve_captured("image",
                                   instance_created_at="2026-01-01T00:00:00Z",
                                   image_updated_at="2026-02-01T00:00:00Z")
    p = sp.predict(sp.InstanceFacts(captured=unknown, storage="file"))
    assert p.facts.captured is None and p.facts.stale_suspected
    assert p.badge == "check needed: image changed after boot"
    known = cap.resolve_captured("image", server_image_properties=AGENT)
    p = sp.predict(sp.InstanceFacts(captured=known, storage="file"))
    assert p.outcome is O.FILESYSTEM_IF_AGENT
