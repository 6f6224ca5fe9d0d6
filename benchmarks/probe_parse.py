"""Prints how long the console parser takes on the two worst inputs the
core tests feed it (10 MiB of other kernel lines with one probe pair near
the end, and a flood of 120,000 probe lines, of which it reads the newest
MAX_PROBE_LINES).  Figures only: nothing here fails on a slow machine.

    .venv/bin/python benchmarks/probe_parse.py [runs]
"""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from consistency_dashboard.core import probe  # noqa: E402


def kmsg_line(t, body):
    return "[%12.6f] %s\n" % (t, body)


def ten_megabytes():
    parts, size, i = [], 0, 0
    while size < 10 * 1024 * 1024:
        line = ("[ %10.6f] audit: type=1400 audit(1763789505.540:%d): "
                "apparmor=\"STATUS\" operation=\"profile_load\"\r\n"
                % (i / 1000.0, i))
        parts.append(line)
        size += len(line)
        i += 1
    before = "".join(parts[:len(parts) // 50])
    t = i / 1000.0 + 1
    parts.insert(len(parts) - 10, kmsg_line(
        t, "CONSISTENCY-PROBE v1 event=freeze seq=2 mono=%.2f wall=1.0 apps=-"
        % t) + kmsg_line(
        t + 1, "CONSISTENCY-PROBE v1 event=thaw seq=2 mono=%.2f wall=2.0 "
        "apps=-" % (t + 1)))
    return "".join(parts), before


def flood():
    lines = []
    for seq in range(1, 60001):
        lines.append(kmsg_line(seq * 2, "CONSISTENCY-PROBE v1 event=freeze "
                               "seq=%d mono=%d.0 wall=%d.0 apps=-"
                               % (seq, seq * 2, seq * 2)))
        lines.append(kmsg_line(seq * 2 + 0.5, "CONSISTENCY-PROBE v1 "
                               "event=thaw seq=%d mono=%d.5 wall=%d.5 apps=-"
                               % (seq, seq * 2, seq * 2)))
    return "".join(lines), None


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    for name, make in (("10 MiB of other lines", ten_megabytes),
                       ("120,000 probe lines", flood)):
        text, before = make()
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            report = probe.parse_console(text, before)
            times.append(time.perf_counter() - started)
        print("%-24s %6.1f MiB  pairs %5d  min %.3f s  median %.3f s  "
              "max %.3f s  (load %.1f)" % (
                  name, len(text) / 1048576.0, len(report.pairs), min(times),
                  statistics.median(times), max(times), os.getloadavg()[0]))


if __name__ == "__main__":
    main()
