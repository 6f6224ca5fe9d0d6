"""Probe format v1 (docs/probe-format.md) read from recorded console logs:
one case per probe pattern, then the baseline strategies, then robustness."""

import os
import random
import re

import pytest

from consistency_dashboard.core import probe

A = probe.AnomalyKind
DATA = os.path.join(os.path.dirname(__file__), "data")


def log(name):
    with open(os.path.join(DATA, name), newline="") as f:
        return f.read()


def kinds(report):
    return [a.kind for a in report.anomalies]


def kmsg(text):
    """Lines as the serial console shows messages written to /dev/kmsg: the
    kernel's timestamp, a few ms after the clock the line read, before each
    (1.0 for a line without a clock)."""
    out = []
    for line in text.splitlines(True):
        clock = re.search(r" (?:logged|mono)=([0-9]+(?:\.[0-9]+)?)"
                          r"(?!.* logged=)", line)
        stamp = float(clock.group(1)) + 0.004 if clock else 1.0
        out.append("[%12.6f] %s" % (stamp, line))
    return "".join(out)


# (id, file, clean pair seqs, unmatched seqs, may still be frozen,
#  application-consistent pairs, anomaly kinds)
PATTERNS = [
    ("freeze-thaw-pair", "fs_verified.log", [1], [], False, [], []),
    ("application-hooks-all-ok", "app_consistent.log", [3], [], False, [3],
     []),
    ("hook-failed-strict-dispatcher-no-thaw", "hook_failed_strict.log", [],
     [4], True, [], []),
    ("freeze-without-thaw-agent-hung", "freeze_no_thaw.log", [], [2], True,
     [], []),
    ("guard-then-late-thaw", "guard_then_late_thaw.log", [5], [], False, [],
     []),
    ("interleaved-kernel-lines", "interleaved.log", [10], [], False, [],
     [A.INTERRUPTED, A.THAW_WITHOUT_FREEZE, A.MALFORMED, A.MALFORMED]),
    ("forged-and-out-of-order", "forged.log", [15], [], False, [],
     [A.THAW_BEFORE_FREEZE, A.CLOCK_BACKWARDS, A.DUPLICATE_FREEZE,
      A.SEQ_BACKWARDS, A.THAW_WITHOUT_FREEZE, A.DUPLICATE_THAW,
      A.CLOCK_BACKWARDS]),
    ("future-version-and-malformed-fields", "future_and_malformed.log", [20],
     [], False, [],
     [A.UNSUPPORTED_VERSION, A.UNSUPPORTED_VERSION] + [A.MALFORMED] * 6 +
     [A.UNKNOWN_EVENT, A.MALFORMED, A.MALFORMED]),
    ("reboot-seq-restarts", "reboot_seq_restart.log", [1], [6], False, [],
     []),
    ("garbage-cr-escape-replacement", "garbage.log", [2], [], False, [],
     [A.MALFORMED, A.MALFORMED]),
    ("no-probe-clean-poweroff", "clean_poweroff.log", [], [], False, [], []),
]


@pytest.mark.parametrize("name,clean,unmatched,frozen,app_ok,anomalies",
                         [p[1:] for p in PATTERNS],
                         ids=[p[0] for p in PATTERNS])
def test_probe_patterns(name, clean, unmatched, frozen, app_ok, anomalies):
    report = probe.parse_console(log(name))
    assert [p.seq for p in report.clean_pairs] == clean
    assert [p.seq for p in report.unmatched_freezes] == unmatched
    assert report.may_still_be_frozen is frozen
    assert [p.seq for p in report.pairs if p.application_consistent] == \
        app_ok
    assert kinds(report) == anomalies
    for anomaly in report.anomalies:
        assert anomaly.reason.endswith(".") and anomaly.line_no > 0


def test_pair_fields_and_duration():
    pair = probe.parse_console(log("app_consistent.log")).pairs[0]
    assert (pair.freeze.mono, pair.thaw.mono) == (812.00, 812.71)
    assert (pair.freeze.wall, pair.thaw.wall) == (1763790012.41,
                                                  1763790013.12)
    assert pair.duration == pytest.approx(0.71)
    assert pair.app_results("freeze") == {"postgresql": "ok", "mysql": "ok"}
    assert pair.app_results("thaw") == {"postgresql": "ok", "mysql": "ok"}
    assert [(a.app, a.phase) for a in pair.app_lines] == [
        ("postgresql", "freeze"), ("mysql", "freeze"), ("mysql", "thaw")]


def test_failed_hook_is_visible():
    report = probe.parse_console(log("hook_failed_strict.log"))
    pair = report.unmatched_freezes[0]
    assert pair.app_results("freeze") == {"postgresql": "ok", "mysql": "fail"}
    assert [l.app for l in app_lines_failed(report)] == ["mysql"]


def app_lines_failed(report):
    """Application lines (``event=app``) reporting ``fail`` after the
    baseline, including those of a freeze that never got its freeze line."""
    return tuple(line for line in report.lines
                 if line.event == "app" and line.result == "fail")


def test_guard_blocks_application_consistency():
    report = probe.parse_console(log("guard_then_late_thaw.log"))
    pair = report.pairs[0]
    assert [g.seq for g in pair.guards] == [5] == [g.seq for g in
                                                    report.guards]
    assert pair.app_results("freeze") == {"postgresql": "ok"}
    assert not pair.application_consistent
    assert pair.duration == pytest.approx(61.5)


def test_forged_pairs_are_disputed_not_dropped():
    report = probe.parse_console(log("forged.log"))
    disputed = {p.seq: p.disputed for p in report.pairs}
    assert disputed == {11: True, 12: True, 9: True, 13: True, 14: True,
                        15: False}


def test_skipped_apps_do_not_block_but_need_one_ok():
    text = ("CONSISTENCY-PROBE v1 event=freeze seq=1 mono=1.0 wall=2.0 "
            "apps=mysql:skipped,postgresql:ok\n"
            "CONSISTENCY-PROBE v1 event=thaw seq=1 mono=1.5 wall=2.5 "
            "apps=mysql:skipped,postgresql:ok\n"
            "CONSISTENCY-PROBE v1 event=freeze seq=2 mono=3.0 wall=4.0 "
            "apps=mysql:skipped\n"
            "CONSISTENCY-PROBE v1 event=thaw seq=2 mono=3.5 wall=4.5 "
            "apps=mysql:skipped\n")
    pairs = probe.parse_console(kmsg(text)).pairs
    assert [p.application_consistent for p in pairs] == [True, False]


def test_app_line_contradicting_summary_wins_and_is_reported():
    text = ("CONSISTENCY-PROBE v1 event=app seq=1 app=mysql phase=freeze "
            "result=fail rc=1 mono=0.9\n"
            "CONSISTENCY-PROBE v1 event=freeze seq=1 mono=1.0 wall=2.0 "
            "apps=mysql:ok\n"
            "CONSISTENCY-PROBE v1 event=thaw seq=1 mono=1.5 wall=2.5 "
            "apps=mysql:ok\n")
    report = probe.parse_console(kmsg(text))
    assert report.pairs[0].app_results("freeze") == {"mysql": "fail"}
    assert not report.pairs[0].application_consistent
    assert kinds(report) == [A.APP_CONFLICT]


def test_unknown_keys_are_kept_and_ignored():
    report = probe.parse_console(log("future_and_malformed.log"))
    assert report.pairs[0].freeze.fields["future_key"] == "x"
    assert report.counts.unsupported == 2
    assert report.counts.malformed == 9
    assert report.counts.accepted == 2


def test_reboot_ends_unmatched_freeze():
    report = probe.parse_console(log("reboot_seq_restart.log"))
    assert report.unmatched_freezes[0].ended_by_reboot
    assert report.pairs[0].boot > report.unmatched_freezes[0].boot


def test_clean_power_off_seen_only_when_last():
    assert probe.parse_console(log("clean_poweroff.log")).power_down_seen
    assert not probe.parse_console(log("fs_verified.log")).power_down_seen
    rebooted = log("clean_poweroff.log") + log("boot_prefix.txt")
    assert not probe.parse_console(rebooted).power_down_seen


def test_incomplete_last_line_is_not_read():
    text = log("fs_verified.log").replace(
        "[  813.002001] EXT4-fs (vda): unfreezing filesystem\n", "")
    cut = text[:-25]            # the thaw line is still being written
    report = probe.parse_console(cut)
    assert report.pairs == ()
    assert kinds(report) == [A.INCOMPLETE]
    assert [p.seq for p in probe.parse_console(text).pairs] == [1]


@pytest.mark.parametrize("line,kind", [
    ("CONSISTENCY-PROBE v1 event=freeze seq=3 mono=1.0 wall=2.0 apps=- "
     "[  812.1] CONSISTENCY-PROBE v1 event=thaw seq=3 mono=1.5 wall=2.5 "
     "apps=-", A.INTERRUPTED),
    ("CONSISTENCY-PROBE v1 event=freeze seq=3 mono=1.0 wall=2.0 apps=-"
     "CONSISTENCY-PROBE v1 event=thaw", A.INTERRUPTED),
    ("CONSISTENCY-PROBE v1 event=freeze seq=3 mono=1.0 wall=2.0 "
     "apps=a:ok,a:ok",
     A.MALFORMED),
    ("CONSISTENCY-PROBE v1 event=freeze seq=3 mono=1.0 wall=2.0 apps=a:ok,",
     A.MALFORMED),
    ("CONSISTENCY-PROBE v1 event=freeze seq=3 mono=-1.0 wall=2.0 apps=-",
     A.MALFORMED),
    ("CONSISTENCY-PROBE v1 event=freeze seq=99999999999999 mono=1 wall=2 "
     "apps=-", A.MALFORMED),
    ("CONSISTENCY-PROBE v1 event=app seq=3 app=mysql phase=during result=ok",
     A.MALFORMED),
    ("CONSISTENCY-PROBE v1 event=app seq=3 app=mysql phase=freeze result=ok "
     "rc=x", A.MALFORMED),
    ("CONSISTENCY-PROBE v10 event=freeze seq=3", A.UNSUPPORTED_VERSION),
    ("CONSISTENCY-PROBE version1 event=freeze seq=3", A.MALFORMED),
    ("CONSISTENCY-PROBE", A.MALFORMED),
    ("CONSISTENCY-PROBE v1 event=freeze  seq=3 mono=1.0 wall=2.0 apps=-",
     None),
    ("CONSISTENCY-PROBE v1 apps=- wall=2.0 mono=1.0 seq=3 event=freeze",
     None),
], ids=["second-probe-line-glued", "second-marker", "duplicate-app",
        "trailing-comma", "negative-mono", "seq-too-long", "bad-phase",
        "bad-rc", "v10-unsupported", "bad-version", "marker-only",
        "double-space-tolerated", "any-field-order"])
def test_single_line_rules(line, kind):
    report = probe.parse_console(kmsg(line + "\n"))
    if kind is None:
        assert report.counts.accepted == 1 and kinds(report) == []
        assert report.lines[0].seq == 3 and report.lines[0].mono == 1.0
    else:
        assert report.counts.accepted == 0
        assert kinds(report) == [kind]


# --- baseline -----------------------------------------------------------

FIRST_SNAPSHOT = (
    "[  500.000000] CONSISTENCY-PROBE v1 event=freeze seq=1 mono=500.00 "
    "wall=1763789700.00 apps=-\n"
    "[  500.500000] CONSISTENCY-PROBE v1 event=thaw seq=1 mono=500.50 "
    "wall=1763789700.50 apps=-\n")
SECOND_SNAPSHOT = (
    "[  812.004211] CONSISTENCY-PROBE v1 event=freeze seq=2 mono=812.00 "
    "wall=1763790012.41 apps=-\n"
    "[  812.713925] CONSISTENCY-PROBE v1 event=thaw seq=2 mono=812.71 "
    "wall=1763790013.12 apps=-\n")


def noise(start, count):
    return "".join("[ %10.6f] systemd[1]: Started session-%d.scope.\n"
                   % (start + i * 0.01, i) for i in range(count))


BOOT = log("boot_prefix.txt")
BEFORE = BOOT + noise(100, 30) + FIRST_SNAPSHOT + noise(600, 30)
AFTER = BEFORE + noise(700, 5) + SECOND_SNAPSHOT + noise(900, 5)


def tail(text, count):
    """What Nova returns for os-getConsoleOutput with length=count."""
    return "".join(text.splitlines(True)[-count:])


BASELINES = [
    ("full-log-overlap", BEFORE, AFTER, probe.BaselineMatch.OVERLAP, [2]),
    ("nova-tail-reads-overlap", tail(BEFORE, 40), tail(AFTER, 60),
     probe.BaselineMatch.OVERLAP, [2]),
    ("baseline-oldest-line-cut", tail(BEFORE, 10)[7:], tail(AFTER, 50),
     probe.BaselineMatch.OVERLAP, [2]),
    ("later-read-starts-inside-baseline", tail(BEFORE, 16),
     tail(AFTER, 16), probe.BaselineMatch.PARTIAL_OVERLAP, [2]),
    ("fingerprint-gone-probe-anchor", tail(BEFORE, 40),
     tail(AFTER + noise(1000, 40), 48), probe.BaselineMatch.PROBE_ANCHOR,
     [2]),
    ("no-anchor-not-found", noise(100, 20), tail(AFTER, 12),
     probe.BaselineMatch.NOT_FOUND, [2]),
    ("empty-console-before", "", FIRST_SNAPSHOT,
     probe.BaselineMatch.EMPTY, [1]),
    ("no-baseline", None, AFTER, probe.BaselineMatch.NONE, [1, 2]),
    ("nothing-new", BEFORE, BEFORE, probe.BaselineMatch.OVERLAP, []),
]


@pytest.mark.parametrize("before,after,match,seqs",
                         [b[1:] for b in BASELINES],
                         ids=[b[0] for b in BASELINES])
def test_baseline_strategies(before, after, match, seqs):
    report = probe.parse_console(after, before)
    assert report.baseline_match is match
    assert [p.seq for p in report.pairs] == seqs
    assert match.positional is (match in (probe.BaselineMatch.EMPTY,
                                          probe.BaselineMatch.OVERLAP,
                                          probe.BaselineMatch.PARTIAL_OVERLAP))


def test_probe_anchor_ignores_old_lines_in_same_boot():
    before = tail(BEFORE, 40)
    after = tail(AFTER + noise(1000, 40), 48)
    report = probe.parse_console(after, probe.baseline_from_console(before))
    assert report.counts.before_baseline >= 0
    assert all(line.mono > 500.5 for line in report.lines)


def test_baseline_taken_mid_line():
    half = SECOND_SNAPSHOT.splitlines(True)[0][:30]
    before = BEFORE + half
    report = probe.parse_console(AFTER, before)
    assert report.baseline_match is probe.BaselineMatch.OVERLAP
    assert [p.seq for p in report.pairs] == [2]


def test_baseline_remembers_probe_in_current_boot():
    b = probe.baseline_from_console(BEFORE)
    assert (b.last_probe_seq, b.last_probe_mono) == (1, 500.5)
    assert b.probe_in_current_boot
    report = probe.parse_console(AFTER, b)
    assert report.probe_seen_before_baseline
    assert report.counts.before_baseline == 2
    rebooted = probe.baseline_from_console(BEFORE + BOOT)
    assert not rebooted.probe_in_current_boot


def test_reboot_after_baseline_is_reported():
    report = probe.parse_console(BEFORE + BOOT + SECOND_SNAPSHOT, BEFORE)
    assert report.reboot_after_baseline
    assert not report.probe_seen_before_baseline
    assert not probe.parse_console(AFTER).reboot_after_baseline


def test_baseline_property_round_trip():
    for text in (BEFORE, "", noise(1, 3), tail(BEFORE, 40)):
        b = probe.baseline_from_console(text)
        stored = b.to_property()
        assert len(stored) <= 255
        assert probe.Baseline.from_property(stored) == b


@pytest.mark.parametrize("bad", [None, "", "x", "b1;s=abc", "b1;h=zz"])
def test_baseline_property_rejects_garbage(bad):
    assert probe.Baseline.from_property(bad) is None


# --- robustness -----------------------------------------------------------

def test_random_bytes_decoded_with_replacement():
    rng = random.Random(5)
    blob = bytes(rng.randrange(256) for _ in range(300000))
    text = blob.decode("utf-8", "replace")
    text += "\n" + SECOND_SNAPSHOT
    report = probe.parse_console(text)
    assert [p.seq for p in report.clean_pairs] == [2]


def test_ten_megabytes_of_other_lines_find_the_pair():
    parts = []
    size = 0
    i = 0
    while size < 10 * 1024 * 1024:
        line = ("[ %10.6f] audit: type=1400 audit(1763789505.540:%d): "
                "apparmor=\"STATUS\" operation=\"profile_load\"\r\n"
                % (i / 1000.0, i))
        parts.append(line)
        size += len(line)
        i += 1
    early = len(parts) // 50
    before = "".join(parts[:early])
    parts.insert(len(parts) - 10, SECOND_SNAPSHOT)
    text = "".join(parts)
    # How long this takes is printed by benchmarks/probe_parse.py, not
    # asserted here: a timed test fails on a loaded machine.
    report = probe.parse_console(text, before)
    assert report.baseline_match is probe.BaselineMatch.OVERLAP
    assert [p.seq for p in report.pairs] == [2]


def test_flood_of_probe_lines_is_bounded():
    lines = []
    for seq in range(1, 60001):
        lines.append("CONSISTENCY-PROBE v1 event=freeze seq=%d mono=%d.0 "
                     "wall=%d.0 apps=-\n" % (seq, seq * 2, seq * 2))
        lines.append("CONSISTENCY-PROBE v1 event=thaw seq=%d mono=%d.5 "
                     "wall=%d.5 apps=-\n" % (seq, seq * 2, seq * 2))
    text = kmsg("".join(lines))
    report = probe.parse_console(text)
    assert len(text) > 6 * 1024 * 1024
    assert report.counts.accepted == probe.MAX_PROBE_LINES
    assert report.counts.not_read == 120000 - probe.MAX_PROBE_LINES
    assert kinds(report)[0] is A.TOO_MANY_LINES
    assert report.pairs[-1].seq == 60000


def test_anomalies_are_capped():
    text = "[    1.000000] CONSISTENCY-PROBE v1 garbage\n" * 1000
    report = probe.parse_console(text)
    assert len(report.anomalies) == probe.MAX_ANOMALIES
    assert report.anomalies_dropped == 1000 - probe.MAX_ANOMALIES
    assert report.counts.malformed == 1000


# --- version 2 and the kernel-message rule ----------------------------------

V1_PAIR = ("[  812.004211] CONSISTENCY-PROBE v1 event=freeze seq=1 "
           "mono=812.00 wall=1763790012.41 apps=-\n"
           "[  812.713925] CONSISTENCY-PROBE v1 event=thaw seq=1 mono=812.71 "
           "wall=1763790013.12 apps=-\n")
V2_FREEZE = ("[  812.004211] CONSISTENCY-PROBE v2 event=freeze seq=1 "
             "mono=812.00 wall=1763790012.41 apps=-\n")


def v2_thaw(held="/:1.19", free="-", stuck="-", mono="813.21",
            logged="813.30", stamp="[  813.304100] "):
    return ("%sCONSISTENCY-PROBE v2 event=thaw seq=1 mono=%s "
            "wall=1763790013.62 logged=%s apps=- held=%s free=%s stuck=%s\n"
            % (stamp, mono, logged, held, free, stuck))


# (id, console, version, held, not held, proven by writes, duration,
#  anomaly kinds)
V2_CASES = [
    ("v1-pair-hooks-ran", V1_PAIR, "v1", (), (), False, 0.71, []),
    ("v2-held-root", V2_FREEZE + v2_thaw(), "v2", (("/", 1.19),), (), True,
     1.21, []),
    ("v2-held-two-mounts-vfat-free",
     V2_FREEZE + v2_thaw(held="/:1.19,/data:1.17", free="/boot/efi"), "v2",
     (("/", 1.19), ("/data", 1.17)), ("/boot/efi",), True, 1.21, []),
    ("v2-nothing-held-vfat-only",
     V2_FREEZE + v2_thaw(held="-", free="/,/mnt/vfat"), "v2", (),
     ("/", "/mnt/vfat"), False, 1.21, []),
    ("v2-percent-encoded-mounts",
     V2_FREEZE + v2_thaw(held="/srv/my%20data%2Cx%3A%25:1.19",
                         free="/caf%C3%A9"), "v2",
     (("/srv/my data,x:%", 1.19),), ("/caf\u00e9",), True, 1.21, []),
    ("v2-mixed-with-v1-app-lines",
     "[  811.900120] CONSISTENCY-PROBE v1 event=app seq=1 app=mysql "
     "phase=freeze result=ok rc=0 mono=811.90\n" + V2_FREEZE + v2_thaw(),
     "v2", (("/", 1.19),), (), True, 1.21, []),
    # Application thaw hooks write their lines after the freeze ended and
    # before the probe's thaw line, stamped when the freeze ended: the log
    # order follows ``logged``, not ``mono``.
    ("v2-thaw-stamped-before-slow-app-thaw-hooks",
     V2_FREEZE + "[  815.552753] CONSISTENCY-PROBE v1 event=app seq=1 "
     "app=mysql phase=thaw result=ok rc=0 mono=815.55\n" +
     v2_thaw(logged="816.82", stamp="[  816.755736] "),
     "v2", (("/", 1.19),), (), True, 1.21, []),
]


@pytest.mark.parametrize("text,version,held,not_held,proven,duration,"
                         "anomalies", [c[1:] for c in V2_CASES],
                         ids=[c[0] for c in V2_CASES])
def test_v2_pairs(text, version, held, not_held, proven, duration,
                  anomalies):
    report = probe.parse_console(text)
    assert kinds(report) == anomalies
    [pair] = report.clean_pairs
    assert pair.version == version
    assert pair.held == held
    assert pair.thaw.free == not_held
    assert pair.freeze_proven_by_writes is proven
    assert pair.held_seconds == (max(s for _, s in held) if held else None)
    assert pair.duration == pytest.approx(duration)


def test_v2_stuck_mount_is_reported():
    pair = probe.parse_console(
        V2_FREEZE + v2_thaw(held="-", stuck="/data")).pairs[0]
    assert pair.stuck == ("/data",)
    assert not pair.freeze_proven_by_writes


# (id, line, anomaly kind): lines that must never count.
REJECTED = [
    ("logger-relayed", "[  900.100000] logger[412]: CONSISTENCY-PROBE v1 "
     "event=freeze seq=1 mono=900.00 wall=1763790012.41 apps=-",
     A.NOT_KERNEL_MESSAGE),
    ("relayed-with-a-fake-timestamp-inside",
     "[  900.100000] user[412]: [  900.010000] CONSISTENCY-PROBE v1 "
     "event=freeze seq=1 mono=900.00 wall=1763790012.41 apps=-",
     A.NOT_KERNEL_MESSAGE),
    ("tty-no-timestamp", "CONSISTENCY-PROBE v1 event=freeze seq=1 "
     "mono=900.00 wall=1763790012.41 apps=-", A.NOT_KERNEL_MESSAGE),
    ("text-between-timestamp-and-marker", "[  900.010000] x "
     "CONSISTENCY-PROBE v1 event=freeze seq=1 mono=900.00 "
     "wall=1763790012.41 apps=-", A.NOT_KERNEL_MESSAGE),
    ("mono-far-behind-kernel-time", "[ 1900.000000] CONSISTENCY-PROBE v1 "
     "event=freeze seq=1 mono=900.00 wall=1763790012.41 apps=-",
     A.CLOCK_MISMATCH),
    ("mono-ahead-of-kernel-time", "[  898.000000] CONSISTENCY-PROBE v1 "
     "event=freeze seq=1 mono=900.00 wall=1763790012.41 apps=-",
     A.CLOCK_MISMATCH),
    ("v2-logged-disagrees", V2_FREEZE + v2_thaw(logged="900.00"),
     A.CLOCK_MISMATCH),
    ("v2-thaw-without-held", "[  813.304100] CONSISTENCY-PROBE v2 "
     "event=thaw seq=1 mono=813.21 wall=1763790013.62 logged=813.30 "
     "apps=-", A.MALFORMED),
    ("v2-held-not-a-path", V2_FREEZE + v2_thaw(held="data:1.2"),
     A.MALFORMED),
    ("v2-held-space-not-encoded", V2_FREEZE + v2_thaw(held="/a%2:1.2"),
     A.MALFORMED),
    ("v2-held-no-seconds", V2_FREEZE + v2_thaw(held="/:"), A.MALFORMED),
    ("v2-held-twice", V2_FREEZE + v2_thaw(held="/:1.2,/:1.3"), A.MALFORMED),
    ("v2-free-garbage", V2_FREEZE + v2_thaw(free="/,"), A.MALFORMED),
    ("v2-garbage", "[  813.304100] CONSISTENCY-PROBE v2 \x00\ufffd held=",
     A.MALFORMED),
]


@pytest.mark.parametrize("text,kind", [c[1:] for c in REJECTED],
                         ids=[c[0] for c in REJECTED])
def test_lines_that_do_not_count(text, kind):
    report = probe.parse_console(text + ("" if text.endswith("\n")
                                         else "\n"))
    assert kind in kinds(report)
    assert not any(p.freeze_proven_by_writes for p in report.pairs)
    assert all(line.event != "thaw" for line in report.lines)


def test_not_kernel_lines_are_counted_apart():
    report = probe.parse_console(
        "[  900.100000] logger[412]: CONSISTENCY-PROBE v1 event=freeze "
        "seq=1 mono=900.00 wall=1763790012.41 apps=-\n" + V1_PAIR)
    assert report.counts.not_kernel == 1
    assert report.counts.malformed == 0
    assert [p.seq for p in report.clean_pairs] == [1]
    assert report.anomalies[0].kind.value == "not a kernel message"


def test_console_noise_before_the_kernel_message_is_allowed():
    # Userspace output without a line end, then a kernel message: the
    # console shows both on one line; the message still starts at its
    # timestamp.
    report = probe.parse_console("progress 50%" + V1_PAIR)
    assert [p.seq for p in report.clean_pairs] == [1]


def test_printk_caller_id_is_allowed():
    report = probe.parse_console(V1_PAIR.replace("] CONS", "][  T412] CONS"))
    assert [p.seq for p in report.clean_pairs] == [1]


def test_clock_tolerance_grows_with_uptime():
    # After 30 days the two clocks may have drifted apart by seconds.
    uptime = 30 * 86400
    line = ("[%12.6f] CONSISTENCY-PROBE v1 event=freeze seq=1 mono=%.2f "
            "wall=1763790012.41 apps=-\n")
    drifted = probe.parse_console(line % (uptime + 100, uptime))
    assert drifted.counts.accepted == 1
    young = probe.parse_console(line % (1000 + 100, 1000))
    assert kinds(young) == [A.CLOCK_MISMATCH]
