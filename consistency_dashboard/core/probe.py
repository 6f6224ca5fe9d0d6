"""Parser for the consistency probe lines (docs/probe-format.md, version 1)
in a console log read through Nova's ``os-getConsoleOutput``.

Everything here is reported by the guest: the tenant's own claim about their
own VM.  The parser's job is to never turn damaged, foreign or forged text
into a wrong claim:

* a probe line is accepted only when every field after the marker is a
  well-formed ``key=value`` and the line carries all the fields its event
  needs; a kernel timestamp or a second marker after the marker means another
  console line broke into it (it is reported as interrupted, never
  half-read);
* a final line without a line end may still be being written: ignored;
* lines of another version (``v2``) are counted as unsupported, not read;
* pairs are matched by ``seq`` within one boot of the guest (a kernel
  ``Linux version`` banner starts a new boot, where ``seq`` restarts at 1);
  duplicate freezes, ``seq`` going backwards, thaws before or without their
  freeze, and clocks running backwards are reported as anomalies, and any
  pair they touch is marked ``disputed``.

Baseline.  The dashboard reads the console just before ``createImage`` and
again after the image settled; only lines written after the first read
count.  Nova returns the LAST ``length`` lines (and libvirt only the last
100 KiB of the log), so the first read is not a prefix of the second.  The
baseline therefore keeps a fingerprint of the first read's last complete
lines (CRC-32 of up to 16 non-empty lines) and its last probe line's
``seq``/``mono``; it fits in one Glance property (<= 255 characters) so it
survives between the requests of the flow.  In the later read, in order:

1. ``overlap``: the last place where the fingerprinted lines appear in a row
   (retried without the oldest line, which may have been cut by the read);
   only lines after it count;
2. ``partial-overlap``: the later read starts inside the fingerprinted lines
   (the log moved on by almost a whole read); only lines after them count;
3. ``probe-anchor``: the fingerprint is gone (the guest wrote more than a
   read's worth); only probe lines whose ``mono`` is later than the
   baseline's last probe line count;
4. ``not-found``: no anchor at all; every line counts and the caller must
   rely on the guest's wall clock (verdict.py does, with a tolerance).

An empty first read (``empty``) or no first read at all (``none``) make every
line count.

An anomaly's reason is a marked sentence (core/i18n.py): English here,
translated where a page shows it.
"""

import dataclasses
import enum
import re
import zlib

from consistency_dashboard.core.i18n import fill
from consistency_dashboard.core.i18n import gettext_noop

MARKER = "CONSISTENCY-PROBE"
VERSIONS = ("v1", "v2")
VERSION = VERSIONS[-1]          # what the guest kit writes today

FINGERPRINT_LINES = 16
MAX_ANOMALIES = 200
# A guest writes a few probe lines per snapshot.  Beyond this many after the
# baseline the log is abnormal (a loop, or forged); only the newest are read.
MAX_PROBE_LINES = 10000
# A kernel message inside a probe line: "[  812.004211] ".
_KERNEL_TIMESTAMP = re.compile(r"\[\s*\d+\.\d+\]")
# The start of a kernel message on the console: the printk timestamp (and,
# with CONFIG_PRINTK_CALLER, the caller id), then the message.
_KMSG_START = re.compile(
    r"\[\s*([0-9]{1,12}\.[0-9]{1,9})\](?:\[\s*[TC][0-9]{1,9}\])? ")
_MOUNT = re.compile(r"/[A-Za-z0-9/._%-]{0,1000}\Z")
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_TOKEN = re.compile(r"([a-z][a-z0-9_]*)=(\S+)\Z")
_VERSION_TOKEN = re.compile(r"v\d+\Z")
_SEQ = re.compile(r"[0-9]{1,12}\Z")
_SECONDS = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,9})?\Z")
_APP_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}\Z")
_RC = re.compile(r"-?[0-9]{1,5}\Z")
_LINE_ENDS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_BOOT_BANNER = "Linux version "
_POWER_DOWN = "reboot: Power down"

APP_RESULTS = ("ok", "fail", "skipped", "released")
# When two reports of one application disagree, the less reassuring wins.
_RESULT_PRECEDENCE = {"ok": 0, "skipped": 1, "released": 2, "fail": 3}
_REQUIRED = {
    "freeze": ("seq", "mono", "wall", "apps"),
    "thaw": ("seq", "mono", "wall", "apps"),
    "guard": ("seq", "mono", "wall", "apps"),
    "app": ("seq", "app", "phase", "result"),
}
# Clock jitter allowed before "mono went backwards" is reported.
_MONO_SLACK = 0.001
# How far a line's own clock (``logged``, else ``mono``: /proc/uptime, the
# kernel's boot time) may stand from the printk timestamp of the message
# that carries it (the kernel's local clock).  Measured in the test guest
# under QEMU TCG: the printk clock runs 0.04-0.06 s behind /proc/uptime,
# and the hook writes its line 0.01-0.4 s after reading the clock (on a
# loaded host).  The two clocks drift apart over a long uptime (NTP slews
# one, not the other), so the allowance grows by 0.01% of the uptime.
KMSG_MONO_AHEAD = 1.0       # line clock later than the kernel timestamp
KMSG_MONO_BEHIND = 5.0      # line clock earlier than the kernel timestamp
KMSG_MONO_DRIFT = 1e-4


class AnomalyKind(enum.Enum):
    MALFORMED = "malformed"
    INTERRUPTED = "interrupted"
    INCOMPLETE = "incomplete"
    UNSUPPORTED_VERSION = "unsupported version"
    UNKNOWN_EVENT = "unknown event"
    DUPLICATE_FREEZE = "duplicate freeze"
    SEQ_BACKWARDS = "seq went backwards"
    THAW_WITHOUT_FREEZE = "thaw without freeze"
    THAW_BEFORE_FREEZE = "thaw before freeze"
    DUPLICATE_THAW = "duplicate thaw"
    CLOCK_BACKWARDS = "guest clock went backwards"
    GUARD_WITHOUT_FREEZE = "guard without freeze"
    APP_CONFLICT = "conflicting application results"
    APP_WITHOUT_FREEZE = "application line without freeze"
    TOO_MANY_LINES = "too many probe lines"
    NOT_KERNEL_MESSAGE = "not a kernel message"
    CLOCK_MISMATCH = "clock disagrees with the kernel timestamp"


class BaselineMatch(enum.Enum):
    NONE = "none"
    EMPTY = "empty"
    OVERLAP = "overlap"
    PARTIAL_OVERLAP = "partial-overlap"
    PROBE_ANCHOR = "probe-anchor"
    NOT_FOUND = "not-found"

    @property
    def positional(self):
        """True when only lines written after the first read are counted,
        by their place in the log (not by the guest's clocks)."""
        return self in (BaselineMatch.EMPTY, BaselineMatch.OVERLAP,
                        BaselineMatch.PARTIAL_OVERLAP)


@dataclasses.dataclass(frozen=True)
class ProbeLine:
    line_no: int            # 1-based, in the console text parsed
    event: str              # freeze, thaw, guard, app
    seq: int
    mono: float             # None only for app lines without mono
    wall: float             # None only for app lines
    apps: tuple             # ((name, result), ...) for freeze/thaw/guard
    fields: dict            # every key=value, unknown keys included
    text: str               # the line from the marker on
    boot: int = 0           # 0 for the first boot seen after the baseline
    version: str = "v1"
    kmsg_time: float = None  # printk timestamp of the kernel message
    held: tuple = ()        # ((mount, seconds), ...): v2 thaw lines
    free: tuple = ()        # mounts whose writes were not held
    stuck: tuple = ()       # mounts whose write was still blocked at thaw

    @property
    def app(self):
        return self.fields.get("app")

    @property
    def phase(self):
        return self.fields.get("phase")

    @property
    def result(self):
        return self.fields.get("result")


@dataclasses.dataclass(frozen=True)
class Anomaly:
    kind: AnomalyKind
    line_no: int
    reason: str             # one sentence for the user
    text: str = ""


@dataclasses.dataclass(frozen=True)
class FreezePair:
    """One freeze and its thaw (``thaw`` None: no thaw seen)."""
    seq: int
    boot: int
    freeze: ProbeLine
    thaw: ProbeLine = None
    guards: tuple = ()
    app_lines: tuple = ()
    disputed: bool = False          # touched by an anomaly
    ended_by_reboot: bool = False   # no thaw, but the guest rebooted after

    @property
    def complete(self):
        return self.thaw is not None

    @property
    def version(self):
        """The probe format of the pair ("v1": hooks ran; "v2": with the
        watcher's held writes), read from the thaw line when there is one."""
        return (self.thaw or self.freeze).version

    @property
    def held(self):
        """``((mount, seconds), ...)``: filesystems whose write was held by
        the freeze, and for how long; empty for v1 or when none was."""
        return self.thaw.held if self.thaw is not None else ()

    @property
    def stuck(self):
        """Mounts whose write was still blocked when the thaw line was
        written (the filesystem may still be frozen)."""
        return self.thaw.stuck if self.thaw is not None else ()

    @property
    def freeze_proven_by_writes(self):
        """True when a write was held on at least one filesystem: the guest
        saw the freeze itself, not only its hooks run."""
        return bool(self.held)

    @property
    def held_seconds(self):
        """The longest held write in seconds, or None."""
        return max(seconds for _, seconds in self.held) if self.held else None

    @property
    def duration(self):
        """Seconds frozen, from the guest's monotonic clock."""
        if self.thaw is None:
            return None
        return round(self.thaw.mono - self.freeze.mono, 6)

    def app_results(self, phase):
        """``{app: result}`` for ``phase`` ("freeze" or "thaw"), merging the
        phase line's ``apps`` with the applications' own lines (the less
        reassuring result wins when they disagree)."""
        line = self.freeze if phase == "freeze" else self.thaw
        merged = dict(line.apps) if line is not None else {}
        for detail in self.app_lines:
            if detail.phase != phase:
                continue
            old = merged.get(detail.app)
            if old is None or (_RESULT_PRECEDENCE[detail.result] >
                               _RESULT_PRECEDENCE[old]):
                merged[detail.app] = detail.result
        return merged

    @property
    def application_consistent(self):
        """At least one application held its data (``ok``) on the freeze
        path and none failed or was released early; applications reported
        ``skipped`` were not running, so they had nothing to flush."""
        results = self.app_results("freeze")
        if any(r in ("fail", "released") for r in results.values()):
            return False
        if any(g for g in self.guards):
            return False
        return any(r == "ok" for r in results.values())


@dataclasses.dataclass(frozen=True)
class ProbeCounts:
    lines: int = 0                 # lines in the console text
    lines_counted: int = 0         # lines after the baseline
    probe_lines: int = 0           # lines with the marker, after baseline
    accepted: int = 0
    malformed: int = 0             # malformed, interrupted or incomplete
    unsupported: int = 0           # other versions
    not_kernel: int = 0            # not a kernel message, or its clock
                                   # disagrees with the kernel timestamp
    before_baseline: int = 0       # probe lines before the baseline
    not_read: int = 0              # beyond MAX_PROBE_LINES


@dataclasses.dataclass(frozen=True)
class ProbeReport:
    pairs: tuple                   # complete FreezePairs, log order
    unmatched_freezes: tuple       # FreezePairs without thaw
    guards: tuple                  # guard ProbeLines
    anomalies: tuple
    counts: ProbeCounts
    baseline_match: BaselineMatch
    lines: tuple = ()              # every accepted ProbeLine
    anomalies_dropped: int = 0
    probe_seen_before_baseline: bool = False  # in the same boot
    reboot_after_baseline: bool = False
    power_down_seen: bool = False  # the last boot ended in a clean power-off

    @property
    def clean_pairs(self):
        return tuple(p for p in self.pairs if not p.disputed)

    @property
    def may_still_be_frozen(self):
        return any(not p.ended_by_reboot for p in self.unmatched_freezes)

    @property
    def reported_anything(self):
        return bool(self.lines) or self.counts.probe_lines > 0


# --- baseline ---------------------------------------------------------------

def _split(text):
    """Lines with their ends, and whether the last line is complete."""
    lines = (text or "").splitlines(True)
    complete = True
    if lines:
        last = lines[-1]
        complete = last != last.rstrip(_LINE_ENDS)
    return lines, complete


def _normal(line):
    return line.rstrip()


def _hash(line):
    return zlib.crc32(line.encode("utf-8", "replace")) & 0xFFFFFFFF


@dataclasses.dataclass(frozen=True)
class Baseline:
    """A fingerprint of the console read just before ``createImage``."""
    line_hashes: tuple = ()          # CRC-32 of the last complete lines
    last_probe_seq: int = None
    last_probe_mono: float = None
    probe_in_current_boot: bool = False
    empty: bool = False
    last_line_length: int = None     # cheap filter before hashing

    def to_property(self):
        """A compact text for one Glance property (<= 255 characters)."""
        parts = ["b1"]
        if self.empty:
            parts.append("e")
        if self.last_probe_seq is not None:
            parts.append("s=%d" % self.last_probe_seq)
        if self.last_probe_mono is not None:
            parts.append("m=%s" % repr(float(self.last_probe_mono)))
        if self.probe_in_current_boot:
            parts.append("c")
        if self.last_line_length is not None:
            parts.append("n=%d" % self.last_line_length)
        parts.append("h=" + ",".join("%08x" % h for h in self.line_hashes))
        return ";".join(parts)

    @classmethod
    def from_property(cls, text):
        """The Baseline stored by :meth:`to_property`; None when the text is
        not one."""
        if not text or not str(text).startswith("b1"):
            return None
        values = {"empty": False, "probe_in_current_boot": False}
        try:
            for part in str(text).split(";")[1:]:
                if part == "e":
                    values["empty"] = True
                elif part == "c":
                    values["probe_in_current_boot"] = True
                elif part.startswith("s="):
                    values["last_probe_seq"] = int(part[2:])
                elif part.startswith("n="):
                    values["last_line_length"] = int(part[2:])
                elif part.startswith("m="):
                    values["last_probe_mono"] = float(part[2:])
                elif part.startswith("h="):
                    values["line_hashes"] = tuple(
                        int(h, 16) for h in part[2:].split(",") if h)
        except ValueError:
            return None
        return cls(**values)


def baseline_from_console(text):
    """The :class:`Baseline` of a console read (str)."""
    lines, complete = _split(text)
    if not complete:
        lines = lines[:-1]
    hashes = []
    last_length = None
    last_probe = None
    banner_after_probe = False
    for line in reversed(lines):
        normal = _normal(line)
        if len(hashes) < FINGERPRINT_LINES and normal:
            if last_length is None:
                last_length = len(normal)
            hashes.append(_hash(normal))
        if last_probe is None:
            if _BOOT_BANNER in line and MARKER not in line:
                banner_after_probe = True
            elif MARKER in line:
                parsed = _parse_line(line, 0)
                if isinstance(parsed, ProbeLine) and parsed.mono is not None:
                    last_probe = parsed
        if len(hashes) >= FINGERPRINT_LINES and last_probe is not None:
            break
    if not hashes and last_probe is None:
        return Baseline(empty=True)
    return Baseline(
        line_hashes=tuple(reversed(hashes)),
        last_probe_seq=last_probe.seq if last_probe else None,
        last_probe_mono=last_probe.mono if last_probe else None,
        probe_in_current_boot=last_probe is not None
        and not banner_after_probe,
        last_line_length=last_length)


def _find_block(lines, block, last_length=None):
    """Index just after the last run of non-empty lines whose hashes are
    ``block``, or None.  Scans from the end; linear in practice."""
    if not block:
        return None
    last = block[-1]
    size = len(block)
    for i in range(len(lines) - 1, -1, -1):
        normal = lines[i].rstrip()
        if not normal or (last_length is not None and
                          len(normal) != last_length):
            continue
        if _hash(normal) != last:
            continue
        j = i - 1
        k = size - 2
        while k >= 0 and j >= 0:
            previous = _normal(lines[j])
            if not previous:
                j -= 1
                continue
            if _hash(previous) != block[k]:
                break
            k -= 1
            j -= 1
        if k < 0:
            return i + 1
    return None


def _find_partial_overlap(lines, block, minimum=3):
    """When the later read starts inside the fingerprinted lines: index just
    after the longest suffix of ``block`` that the read starts with."""
    heads = []
    for i, line in enumerate(lines):
        normal = _normal(line)
        if normal:
            heads.append((i, _hash(normal)))
            if len(heads) >= len(block):
                break
    need = min(minimum, len(block))
    for length in range(min(len(block), len(heads)), need - 1, -1):
        if [h for _, h in heads[:length]] == list(block[-length:]):
            return heads[length - 1][0] + 1
    return None


def _locate(lines, baseline):
    """(first counted line index, BaselineMatch, probe mono anchor)."""
    if baseline is None:
        return 0, BaselineMatch.NONE, None
    if baseline.empty:
        return 0, BaselineMatch.EMPTY, None
    block = tuple(baseline.line_hashes)
    found = _find_block(lines, block, baseline.last_line_length)
    if found is None and len(block) > 1:
        found = _find_block(lines, block[1:], baseline.last_line_length)
    if found is not None:
        return found, BaselineMatch.OVERLAP, None
    found = _find_partial_overlap(lines, block)
    if found is not None:
        return found, BaselineMatch.PARTIAL_OVERLAP, None
    if baseline.last_probe_mono is not None:
        return 0, BaselineMatch.PROBE_ANCHOR, baseline.last_probe_mono
    return 0, BaselineMatch.NOT_FOUND, None


# --- one line ---------------------------------------------------------------

class _Rejected:
    __slots__ = ("kind", "reason")

    def __init__(self, kind, reason):
        self.kind = kind
        self.reason = reason


def _parse_apps(value):
    if value == "-":
        return ()
    apps = []
    seen = set()
    for entry in value.split(","):
        name, sep, result = entry.partition(":")
        if not sep or not _APP_NAME.match(name) or result not in APP_RESULTS \
                or name in seen:
            return None
        seen.add(name)
        apps.append((name, result))
    return tuple(apps)


def _decode_mount(value):
    """A percent-encoded mount point (docs/probe-format.md), or None."""
    if not _MOUNT.match(value) or "%" in _PERCENT.sub("", value):
        return None
    raw = _PERCENT.sub(lambda m: chr(int(m.group(1), 16)), value)
    return raw.encode("latin-1").decode("utf-8", "replace")


def _parse_mounts(value):
    """``held=``/``free=``/``stuck=``: "-" or comma-separated mounts; None
    when malformed."""
    if value == "-":
        return ()
    mounts = tuple(_decode_mount(v) for v in value.split(","))
    if None in mounts or len(set(mounts)) != len(mounts):
        return None
    return mounts


def _parse_held(value):
    """``held=/:1.21,/data%20x:1.20`` -> ((mount, seconds), ...) or None."""
    if value == "-":
        return ()
    held = []
    for entry in value.split(","):
        mount, sep, seconds = entry.rpartition(":")
        mount = _decode_mount(mount) if sep else None
        if mount is None or not _SECONDS.match(seconds):
            return None
        held.append((mount, float(seconds)))
    if len({m for m, _ in held}) != len(held):
        return None
    return tuple(held)


def _kmsg_time(line, at):
    """The printk timestamp of the kernel message whose text starts at
    ``at``, or None when the marker is not at the start of a kernel message
    (a line relayed by syslog or written to a terminal)."""
    # Nearly always the message starts the console line: one anchored match.
    first = _KMSG_START.match(line, 0, at + 1) if line[:1] == "[" else None
    if first is None:
        first = _KMSG_START.search(line, 0, at + 1)
    if first is None or first.end() != at:
        return None
    return float(first.group(1))


# The lines the guest kit wrote as v1, fields in the documented order: read
# with one regular expression; anything else takes the general path below.
_CANONICAL = re.compile(
    r"CONSISTENCY-PROBE v1 event=(freeze|thaw|guard) seq=([1-9][0-9]{0,11}) "
    r"mono=([0-9]{1,12}(?:\.[0-9]{1,9})?) wall=([0-9]{1,12}(?:\.[0-9]{1,9})?) "
    r"apps=(-|[A-Za-z0-9_.:,-]+)[ \t]*[\r\n]*\Z")


def _new_line(**values):
    """A ProbeLine without the frozen dataclass's per-field __init__ (a
    console can hold 10000 probe lines: this is the parser's hot path)."""
    line = object.__new__(ProbeLine)
    line.__dict__.update(_LINE_DEFAULTS, **values)
    return line


_LINE_DEFAULTS = {f.name: f.default for f in dataclasses.fields(ProbeLine)
                  if f.default is not dataclasses.MISSING}


def _parse_canonical(line, at, line_no, boot, kmsg_time):
    fast = _CANONICAL.match(line, at)
    if fast is None:
        return None
    apps = _parse_apps(fast.group(5))
    if apps is None:
        return None
    event, seq, mono, wall, apps_text = fast.groups()
    return _new_line(
        line_no=line_no, event=event, seq=int(seq), mono=float(mono),
        wall=float(wall), apps=apps,
        fields={"event": event, "seq": seq, "mono": mono, "wall": wall,
                "apps": apps_text},
        text=line[at:].rstrip(_LINE_ENDS + " \t"), boot=boot,
        kmsg_time=kmsg_time)


def _tokenize(rest):
    """(version, fields) of the text after the marker, or a _Rejected."""
    if not rest or rest[0] not in " \t":
        return _Rejected(AnomalyKind.MALFORMED,
                         gettext_noop("The marker is not followed by a "
                                      "version."))
    tokens = rest.split()
    version = tokens[0]
    if version not in VERSIONS:
        if _VERSION_TOKEN.match(version):
            return _Rejected(AnomalyKind.UNSUPPORTED_VERSION,
                             fill(gettext_noop(
                                 "Probe format {version} is not supported "
                                 "by this dashboard (it reads {versions}); "
                                 "the line was not read."), version=version,
                                 versions=" and ".join(VERSIONS)))
        return _Rejected(AnomalyKind.MALFORMED,
                         gettext_noop("The marker is not followed by a "
                                      "version."))
    if MARKER in rest or _KERNEL_TIMESTAMP.search(rest):
        return _Rejected(AnomalyKind.INTERRUPTED,
                         gettext_noop("Another console line broke into "
                                      "this probe line; it was not read."))
    fields = {}
    for token in tokens[1:]:
        match = _TOKEN.match(token)
        if not match:
            return _Rejected(AnomalyKind.MALFORMED,
                             fill(gettext_noop("{token} is not a key=value "
                                               "field."),
                                  token=repr(token[:40])))
        key, value = match.group(1), match.group(2)
        if key in fields:
            return _Rejected(AnomalyKind.MALFORMED,
                             fill(gettext_noop("The field {key} appears "
                                               "twice."), key=key))
        fields[key] = value
    return version, fields


def _check_required(version, fields):
    """None when the event and its fields are there, else a _Rejected."""
    event = fields.get("event")
    if event is None or "seq" not in fields:
        return _Rejected(AnomalyKind.MALFORMED,
                         gettext_noop("The line has no event or no "
                                      "seq."))
    if event not in _REQUIRED:
        return _Rejected(AnomalyKind.UNKNOWN_EVENT,
                         fill(gettext_noop("Unknown event {event}; the line "
                                           "was ignored."),
                              event=repr(event[:40])))
    required = _REQUIRED[event]
    if version == "v2" and event == "thaw":
        # Without held= a cut line would read as "nothing was held".
        required = required + ("held",)
    missing = [k for k in required if k not in fields]
    if missing:
        return _Rejected(AnomalyKind.MALFORMED,
                         fill(gettext_noop("The {event} line lacks "
                                           "{missing} (cut short?)."),
                              event=event, missing=", ".join(missing)))
    if not _SEQ.match(fields["seq"]) or int(fields["seq"]) < 1:
        return _Rejected(AnomalyKind.MALFORMED,
                         fill(gettext_noop("seq={seq} is not a positive "
                                           "integer."),
                              seq=repr(fields["seq"][:40])))
    return None


def _typed_values(event, fields):
    """The typed values of a line's fields as a dict, or a _Rejected."""
    values = {}
    for key in ("mono", "wall", "logged"):
        if key in fields:
            if not _SECONDS.match(fields[key]):
                return _Rejected(AnomalyKind.MALFORMED,
                                 fill(gettext_noop(
                                     "{key}={value} is not a number of "
                                     "seconds."), key=key,
                                     value=repr(fields[key][:40])))
            values[key] = float(fields[key])
    if event == "app":
        if not _APP_NAME.match(fields["app"]) or \
                fields["phase"] not in ("freeze", "thaw") or \
                fields["result"] not in APP_RESULTS or \
                ("rc" in fields and not _RC.match(fields["rc"])):
            return _Rejected(AnomalyKind.MALFORMED,
                             gettext_noop("The application line has a "
                                          "malformed app, phase, result or "
                                          "rc."))
        return values
    values["apps"] = _parse_apps(fields["apps"])
    if values["apps"] is None:
        return _Rejected(AnomalyKind.MALFORMED,
                         fill(gettext_noop("apps={apps} is not a list of "
                                           "name:result."),
                              apps=repr(fields["apps"][:60])))
    for key, parse in (("held", _parse_held), ("free", _parse_mounts),
                       ("stuck", _parse_mounts)):
        if key in fields:
            values[key] = parse(fields[key])
            if values[key] is None:
                return _Rejected(AnomalyKind.MALFORMED,
                                 fill(gettext_noop(
                                     "{key}={value} is not a list of mount "
                                     "points."), key=key,
                                     value=repr(fields[key][:60])))
    return values


def _clock_agrees(parsed):
    """The line's own clock against the printk timestamp of its message."""
    logged = parsed.fields.get("logged")
    stamp = parsed.mono if logged is None else float(logged)
    if stamp is None or parsed.kmsg_time is None:
        return True
    late = parsed.kmsg_time - stamp
    drift = KMSG_MONO_DRIFT * parsed.kmsg_time
    return -(KMSG_MONO_AHEAD + drift) <= late <= KMSG_MONO_BEHIND + drift


def _parse_line(line, line_no, boot=0):
    """A ProbeLine, or a _Rejected saying why not."""
    at = line.find(MARKER)
    kmsg_time = _kmsg_time(line, at)
    if kmsg_time is None:
        return _Rejected(AnomalyKind.NOT_KERNEL_MESSAGE,
                         gettext_noop(
                             "The probe marker does not start a kernel "
                             "message (no kernel timestamp right before it): "
                             "a line relayed by a logger or a terminal is not "
                             "evidence."))
    parsed = _parse_canonical(line, at, line_no, boot, kmsg_time)
    if parsed is None:
        parsed = _parse_general(line, at, line_no, boot, kmsg_time)
    if isinstance(parsed, ProbeLine) and not _clock_agrees(parsed):
        return _Rejected(AnomalyKind.CLOCK_MISMATCH,
                         fill(gettext_noop(
                             "The line's clock ({clock}) disagrees with the "
                             "kernel timestamp of its message ({kernel}): not "
                             "read."), clock=str(parsed.fields.get(
                                 "logged", parsed.fields.get("mono"))),
                             kernel="%.6f" % kmsg_time))
    return parsed


def _parse_general(line, at, line_no, boot, kmsg_time):
    text = line[at:].rstrip(_LINE_ENDS + " \t")
    tokens = _tokenize(line[at + len(MARKER):].rstrip(_LINE_ENDS + " \t"))
    if isinstance(tokens, _Rejected):
        return tokens
    version, fields = tokens
    rejected = _check_required(version, fields)
    if rejected is not None:
        return rejected
    values = _typed_values(fields["event"], fields)
    if isinstance(values, _Rejected):
        return values
    return _new_line(
        line_no=line_no, event=fields["event"], seq=int(fields["seq"]),
        mono=values.get("mono"), wall=values.get("wall"),
        apps=values.get("apps", ()), fields=fields, text=text, boot=boot,
        version=version, kmsg_time=kmsg_time, held=values.get("held", ()),
        free=values.get("free", ()), stuck=values.get("stuck", ()))


# --- the whole log ----------------------------------------------------------

class _Builder:
    __slots__ = ("freeze", "thaw", "guards", "disputed", "ended_by_reboot")

    def __init__(self, freeze, disputed=False):
        self.freeze = freeze
        self.thaw = None
        self.guards = []
        self.disputed = disputed
        self.ended_by_reboot = False


class _Collector:
    def __init__(self):
        self.anomalies = []
        self.dropped = 0

    def add(self, kind, line_no, reason, text=""):
        if len(self.anomalies) < MAX_ANOMALIES:
            self.anomalies.append(Anomaly(kind, line_no, reason, text[:200]))
        else:
            self.dropped += 1


@dataclasses.dataclass
class _Start:
    """Where the counted lines start, and what was seen before them."""
    index: int
    match: BaselineMatch
    mono_anchor: float
    counts_reboots: bool
    before: int = 0
    probe_seen_before: bool = False
    last_banner: int = -1
    last_power_down: int = -1


def _find_start(lines, baseline):
    """Stage 1, the baseline: the first line that counts."""
    start, match, mono_anchor = _locate(lines, baseline)
    if match is BaselineMatch.PROBE_ANCHOR:
        # The guest's monotonic clock restarts at boot: the anchor only
        # means something in the last boot of the log.
        for i in range(len(lines) - 1, -1, -1):
            if _BOOT_BANNER in lines[i] and MARKER not in lines[i]:
                start = i + 1
                break
    return _Start(index=start, match=match, mono_anchor=mono_anchor,
                  counts_reboots=match.positional)


def _read_before(lines, found, baseline):
    """Stage 2, the lines before the baseline: probe lines, the last boot
    banner and power-off there."""
    probe_before = -1
    for i in range(found.index):
        line = lines[i]
        if MARKER in line:
            found.before += 1
            probe_before = i
        elif _BOOT_BANNER in line:
            found.last_banner = i
        elif _POWER_DOWN in line:
            found.last_power_down = i
    found.probe_seen_before = probe_before > found.last_banner or (
        baseline is not None and baseline.probe_in_current_boot)


class _Scan:
    """Stage 3: the counted lines, one at a time."""

    def __init__(self, found):
        self.found = found
        self.issues = _Collector()
        self.accepted = []
        self.builders = {}       # (boot, seq) -> _Builder, insertion = order
        self.orphan_thaws = {}   # (boot, seq) -> ProbeLine
        self.app_lines = {}      # (boot, seq) -> [ProbeLine]
        self.guards = []
        self.max_freeze_seq = {}  # boot -> highest freeze seq
        self.last_mono = None
        self.boot = 0
        self.probe_count = self.malformed = self.unsupported = 0
        self.not_read = self.not_kernel = 0
        self.reboot_after = False
        self.last_banner = found.last_banner
        self.last_power_down = found.last_power_down

    def run(self, lines, complete):
        total = len(lines)
        skip_until = self._limit(lines)
        # The probe lines not read (beyond MAX_PROBE_LINES) are only
        # counted; the other lines are only looked at for banners.
        for i in range(self.found.index, skip_until):
            if MARKER in lines[i]:
                self.not_read += 1
            else:
                self._other_line(i, lines[i])
        probe_line = self._probe_line
        for i in range(skip_until, total):
            line = lines[i]
            if MARKER not in line:
                self._other_line(i, line)
            elif i == total - 1 and not complete:
                self.probe_count += 1
                self.malformed += 1
                self.issues.add(AnomalyKind.INCOMPLETE, i + 1,
                                gettext_noop(
                                    "The last console line is still being "
                                    "written; read the console again to "
                                    "include it."), line)
            else:
                probe_line(i + 1, line)
        self.probe_count += self.not_read
        return self

    def _limit(self, lines):
        marked = [i for i in range(self.found.index, len(lines))
                  if MARKER in lines[i]]
        if len(marked) <= MAX_PROBE_LINES:
            return self.found.index
        self.issues.add(AnomalyKind.TOO_MANY_LINES, marked[0] + 1,
                        fill(gettext_noop(
                            "{count} probe lines after the baseline, far "
                            "more than a guest writes: only the newest "
                            "{newest} were read."), count=len(marked),
                            newest=MAX_PROBE_LINES))
        return marked[-MAX_PROBE_LINES]

    def _other_line(self, i, line):
        if _BOOT_BANNER in line:
            self.boot += 1
            self.reboot_after = self.reboot_after or \
                self.found.counts_reboots
            self.last_banner = i
            self.last_mono = None
            for builder in self.builders.values():
                if builder.thaw is None:
                    builder.ended_by_reboot = True
        elif _POWER_DOWN in line:
            self.last_power_down = i

    def _probe_line(self, line_no, line):
        self.probe_count += 1
        parsed = _parse_line(line, line_no, self.boot)
        if isinstance(parsed, _Rejected):
            if parsed.kind is AnomalyKind.UNSUPPORTED_VERSION:
                self.unsupported += 1
            elif parsed.kind in (AnomalyKind.NOT_KERNEL_MESSAGE,
                                 AnomalyKind.CLOCK_MISMATCH):
                self.not_kernel += 1
            else:
                self.malformed += 1
            self.issues.add(parsed.kind, line_no, parsed.reason, line.strip())
            return
        anchor = self.found.mono_anchor
        if anchor is not None and parsed.mono is not None and \
                parsed.mono <= anchor:
            self.found.before += 1
            return
        self.accepted.append(parsed)
        backwards = self._clock(parsed)
        key = (self.boot, parsed.seq)
        if parsed.event == "freeze":
            self._freeze(key, parsed, backwards)
        elif parsed.event == "thaw":
            self._thaw(key, parsed, backwards)
        elif parsed.event == "guard":
            self._guard(key, parsed)
        else:
            self.app_lines.setdefault(key, []).append(parsed)

    def _clock(self, parsed):
        """True (and reported) when the lines' clock went backwards in this
        boot.  A v2 thaw line is stamped when the freeze ended but written
        later (``logged``): its place in the log follows ``logged``."""
        mono = parsed.mono
        if "logged" in parsed.fields:
            mono = float(parsed.fields["logged"])
        backwards = (mono is not None and self.last_mono is not None
                     and mono < self.last_mono - _MONO_SLACK)
        if backwards:
            self.issues.add(AnomalyKind.CLOCK_BACKWARDS, parsed.line_no,
                            gettext_noop(
                                "The guest's monotonic clock went backwards "
                                "without a reboot: a forged or out-of-order "
                                "line."), parsed.text)
        if mono is not None:
            self.last_mono = mono if self.last_mono is None else max(
                self.last_mono, mono)
        return backwards

    def _freeze(self, key, parsed, backwards):
        if key in self.builders:
            self.builders[key].disputed = True
            self.issues.add(AnomalyKind.DUPLICATE_FREEZE, parsed.line_no,
                            fill(gettext_noop(
                                "A second freeze with seq {seq}: the seq "
                                "pairs are ambiguous."), seq=parsed.seq),
                            parsed.text)
            return
        disputed = backwards
        highest = self.max_freeze_seq.get(self.boot, 0)
        if parsed.seq < highest:
            disputed = True
            self.issues.add(AnomalyKind.SEQ_BACKWARDS, parsed.line_no,
                            fill(gettext_noop(
                                "Freeze seq {seq} after seq {highest} in the "
                                "same boot: the guest counts up, so a line is "
                                "forged or out of order."), seq=parsed.seq,
                                highest=highest), parsed.text)
        self.max_freeze_seq[self.boot] = max(highest, parsed.seq)
        builder = _Builder(parsed, disputed)
        self.builders[key] = builder
        early = self.orphan_thaws.pop(key, None)
        if early is not None:
            builder.thaw = early
            builder.disputed = True
            self.issues.add(AnomalyKind.THAW_BEFORE_FREEZE, early.line_no,
                            fill(gettext_noop(
                                "The thaw with seq {seq} came before its "
                                "freeze."), seq=parsed.seq), early.text)

    def _thaw(self, key, parsed, backwards):
        builder = self.builders.get(key)
        if builder is None and key not in self.orphan_thaws:
            self.orphan_thaws[key] = parsed
            return
        if builder is None or builder.thaw is not None:
            if builder is not None:
                builder.disputed = True
            self.issues.add(AnomalyKind.DUPLICATE_THAW, parsed.line_no,
                            fill(gettext_noop("A second thaw with seq "
                                              "{seq}."), seq=parsed.seq),
                            parsed.text)
            return
        builder.thaw = parsed
        if backwards or parsed.mono < builder.freeze.mono:
            builder.disputed = True

    def _guard(self, key, parsed):
        self.guards.append(parsed)
        builder = self.builders.get(key)
        if builder is None:
            self.issues.add(AnomalyKind.GUARD_WITHOUT_FREEZE, parsed.line_no,
                            fill(gettext_noop(
                                "An application gave up waiting for the thaw "
                                "of seq {seq}, whose freeze is not in the "
                                "log."), seq=parsed.seq), parsed.text)
        else:
            builder.guards.append(parsed)


def _pairs(scan):
    """Stage 4a: the FreezePairs (complete, unmatched) of a finished scan,
    with the anomalies only visible once every line was read."""
    issues = scan.issues
    for key, thaw in scan.orphan_thaws.items():
        issues.add(AnomalyKind.THAW_WITHOUT_FREEZE, thaw.line_no,
                   fill(gettext_noop("A thaw with seq {seq} but no freeze "
                                     "after the baseline."), seq=key[1]),
                   thaw.text)
    pairs = []
    unmatched = []
    for key, builder in scan.builders.items():
        pair = FreezePair(
            seq=key[1], boot=key[0], freeze=builder.freeze,
            thaw=builder.thaw, guards=tuple(builder.guards),
            app_lines=tuple(scan.app_lines.pop(key, ())),
            disputed=builder.disputed,
            ended_by_reboot=builder.ended_by_reboot and builder.thaw is None)
        _app_conflicts(pair, issues)
        (pairs if pair.complete else unmatched).append(pair)
    for key, details in scan.app_lines.items():
        issues.add(AnomalyKind.APP_WITHOUT_FREEZE, details[0].line_no,
                   fill(gettext_noop("Application lines for seq {seq} "
                                     "without a freeze line (the freeze "
                                     "failed or was not logged)."),
                        seq=key[1]), details[0].text)
    return tuple(pairs), tuple(unmatched)


def _app_conflicts(pair, issues):
    if not pair.app_lines:
        return
    for phase in ("freeze", "thaw"):
        line = pair.freeze if phase == "freeze" else pair.thaw
        if line is None:
            continue
        summary = dict(line.apps)
        for detail in pair.app_lines:
            if detail.phase == phase and detail.app in summary and \
                    summary[detail.app] != detail.result:
                issues.add(AnomalyKind.APP_CONFLICT, detail.line_no,
                           fill(gettext_noop(
                               "{app} reported {result} for {phase}, but the "
                               "{phase} line says {summary}; the less "
                               "reassuring result is used."), app=detail.app,
                               result=detail.result, phase=phase,
                               summary=summary[detail.app]), detail.text)


def _report(lines, found, scan):
    """Stage 4: the ProbeReport."""
    pairs, unmatched = _pairs(scan)
    total = len(lines)
    return ProbeReport(
        pairs=pairs,
        unmatched_freezes=unmatched,
        guards=tuple(scan.guards),
        anomalies=tuple(sorted(scan.issues.anomalies,
                               key=lambda a: a.line_no)),
        counts=ProbeCounts(
            lines=total, lines_counted=total - found.index,
            probe_lines=scan.probe_count, accepted=len(scan.accepted),
            malformed=scan.malformed, unsupported=scan.unsupported,
            before_baseline=found.before, not_read=scan.not_read,
            not_kernel=scan.not_kernel),
        baseline_match=found.match,
        lines=tuple(scan.accepted),
        anomalies_dropped=scan.issues.dropped,
        probe_seen_before_baseline=found.probe_seen_before and
        not scan.reboot_after,
        reboot_after_baseline=scan.reboot_after,
        power_down_seen=scan.last_power_down > scan.last_banner,
    )


def parse_console(text, baseline=None):
    """Parse a console log ``text`` (str, already decoded with replacement)
    into a :class:`ProbeReport`.  ``baseline``: a :class:`Baseline`, the
    console text read before ``createImage`` (str), or None."""
    if isinstance(baseline, str):
        baseline = baseline_from_console(baseline)
    lines, complete = _split(text)
    found = _find_start(lines, baseline)
    _read_before(lines, found, baseline)
    scan = _Scan(found).run(lines, complete)
    return _report(lines, found, scan)
