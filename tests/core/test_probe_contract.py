"""The parser reads what the guest kit's hooks really write: run the hooks
from consistency_dashboard/guest/scripts with their test environment
variables, put the lines on a console the way the kernel does, parse."""

import os
import re
import shutil
import subprocess

import pytest

from consistency_dashboard.core import probe

SCRIPTS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "consistency_dashboard", "guest", "scripts")
HOOKS = ("10-consistency-mysql", "10-consistency-postgresql",
         "50-consistency-testapp", "99-consistency-probe")

pytestmark = pytest.mark.skipif(
    shutil.which("sh") is None or not all(
        os.path.exists(os.path.join(SCRIPTS, h)) for h in HOOKS),
    reason="the guest kit's hooks or sh are not available")


def run_hooks(tmp_path, phase, mono):
    (tmp_path / "uptime").write_text("%s 10.00\n" % mono)
    env = dict(os.environ,
               CONSISTENCY_PROBE_STATE_DIR=str(tmp_path / "state"),
               CONSISTENCY_PROBE_KMSG=str(tmp_path / "kmsg"),
               CONSISTENCY_PROBE_UPTIME=str(tmp_path / "uptime"),
               CONSISTENCY_PROBE_CONFIG=str(tmp_path / "no-config"),
               # No filesystem for the watcher: never the host's own.
               CONSISTENCY_PROBE_MOUNTS=str(tmp_path / "no-mounts"),
               # Not installed: each application hook reports "skipped".
               CONSISTENCY_MYSQL="consistency-test-no-mysql",
               CONSISTENCY_PSQL="consistency-test-no-psql",
               CONSISTENCY_PG_ISREADY="consistency-test-no-pg-isready")
    for hook in HOOKS:
        done = subprocess.run(["sh", os.path.join(SCRIPTS, hook), phase],
                              env=env, capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr


def as_console(kmsg_text):
    """What the serial console shows for lines written to /dev/kmsg: the
    kernel's timestamp a few milliseconds after the line read its clock."""
    lines = []
    for i, line in enumerate(kmsg_text.splitlines()):
        clock = re.search(r" (?:logged|mono)=([0-9.]+)(?!.* logged=)", line)
        lines.append("[%12.6f] %s\r\n" % (float(clock.group(1)) + 0.004 +
                                           i * 1e-6, line))
    return "".join(lines)


def test_guest_kit_lines_parse_into_a_clean_pair(tmp_path):
    before = "[    0.000000] Linux version 6.1.0-27-amd64\r\nlogin: \r\n"
    run_hooks(tmp_path, "freeze", "812.00")
    run_hooks(tmp_path, "thaw", "812.71")
    console = before + as_console((tmp_path / "kmsg").read_text())
    report = probe.parse_console(console, before)
    assert report.anomalies == ()
    assert report.baseline_match is probe.BaselineMatch.OVERLAP
    [pair] = report.pairs
    assert pair.seq == 1 and not pair.disputed
    assert pair.duration == pytest.approx(0.71)
    # No database runs here: every application reports skipped, so the
    # freeze is filesystem-consistent, not application-consistent.
    results = pair.app_results("freeze")
    assert results and set(results.values()) == {"skipped"}
    assert not pair.application_consistent


def test_guest_kit_seq_counts_up(tmp_path):
    for mono in ("100.00", "200.00"):
        run_hooks(tmp_path, "freeze", mono)
        run_hooks(tmp_path, "thaw", mono.replace(".00", ".50"))
    report = probe.parse_console(as_console((tmp_path / "kmsg").read_text()))
    assert [p.seq for p in report.clean_pairs] == [1, 2]
