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
"""

import dataclasses
import enum
import re
import zlib

MARKER = "CONSISTENCY-PROBE"
VERSION = "v1"

FINGERPRINT_LINES = 16
MAX_ANOMALIES = 200
# A guest writes a few probe lines per snapshot.  Beyond this many after the
# baseline the log is abnormal (a loop, or forged); only the newest are read.
MAX_PROBE_LINES = 10000
# A kernel message inside a probe line: "[  812.004211] ".
_KERNEL_TIMESTAMP = re.compile(r"\[\s*\d+\.\d+\]")
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
    def freeze_mono(self):
        return self.freeze.mono

    @property
    def freeze_wall(self):
        return self.freeze.wall

    @property
    def thaw_mono(self):
        return self.thaw.mono if self.thaw else None

    @property
    def thaw_wall(self):
        return self.thaw.wall if self.thaw else None

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


# The lines the guest kit writes, fields in the documented order: read with
# one regular expression; anything else takes the general path below.
_CANONICAL = re.compile(
    r"CONSISTENCY-PROBE v1 event=(freeze|thaw|guard) seq=([1-9][0-9]{0,11}) "
    r"mono=([0-9]{1,12}(?:\.[0-9]{1,9})?) wall=([0-9]{1,12}(?:\.[0-9]{1,9})?) "
    r"apps=(-|[A-Za-z0-9_.:,-]+)[ \t]*[\r\n]*\Z")


def _parse_line(line, line_no, boot=0):
    """A ProbeLine, or a _Rejected saying why not."""
    at = line.find(MARKER)
    fast = _CANONICAL.match(line, at)
    if fast is not None:
        apps = _parse_apps(fast.group(5))
        if apps is not None:
            event, seq, mono, wall, apps_text = fast.groups()
            return ProbeLine(
                line_no=line_no, event=event, seq=int(seq),
                mono=float(mono), wall=float(wall), apps=apps,
                fields={"event": event, "seq": seq, "mono": mono,
                        "wall": wall, "apps": apps_text},
                text=line[at:].rstrip(_LINE_ENDS + " \t"), boot=boot)
    rest = line[at + len(MARKER):].rstrip(_LINE_ENDS + " \t")
    text = line[at:].rstrip(_LINE_ENDS + " \t")
    if not rest or rest[0] not in " \t":
        return _Rejected(AnomalyKind.MALFORMED,
                         "The marker is not followed by a version.")
    tokens = rest.split()
    version = tokens[0]
    if version != VERSION:
        if _VERSION_TOKEN.match(version):
            return _Rejected(AnomalyKind.UNSUPPORTED_VERSION,
                             "Probe format %s is not supported by this "
                             "dashboard (it reads v1); the line was not "
                             "read." % version)
        return _Rejected(AnomalyKind.MALFORMED,
                         "The marker is not followed by a version.")
    if MARKER in rest or _KERNEL_TIMESTAMP.search(rest):
        return _Rejected(AnomalyKind.INTERRUPTED,
                         "Another console line broke into this probe line; "
                         "it was not read.")
    fields = {}
    for token in tokens[1:]:
        match = _TOKEN.match(token)
        if not match:
            return _Rejected(AnomalyKind.MALFORMED,
                             "%r is not a key=value field." % token[:40])
        key, value = match.group(1), match.group(2)
        if key in fields:
            return _Rejected(AnomalyKind.MALFORMED,
                             "The field %s appears twice." % key)
        fields[key] = value
    event = fields.get("event")
    if event is None or "seq" not in fields:
        return _Rejected(AnomalyKind.MALFORMED,
                         "The line has no event or no seq.")
    if event not in _REQUIRED:
        return _Rejected(AnomalyKind.UNKNOWN_EVENT,
                         "Unknown event %r; the line was ignored." %
                         event[:40])
    missing = [k for k in _REQUIRED[event] if k not in fields]
    if missing:
        return _Rejected(AnomalyKind.MALFORMED,
                         "The %s line lacks %s (cut short?)." %
                         (event, ", ".join(missing)))
    if not _SEQ.match(fields["seq"]) or int(fields["seq"]) < 1:
        return _Rejected(AnomalyKind.MALFORMED,
                         "seq=%r is not a positive integer." %
                         fields["seq"][:40])
    seconds = {}
    for key in ("mono", "wall"):
        if key in fields:
            if not _SECONDS.match(fields[key]):
                return _Rejected(AnomalyKind.MALFORMED,
                                 "%s=%r is not a number of seconds." %
                                 (key, fields[key][:40]))
            seconds[key] = float(fields[key])
    apps = ()
    if event == "app":
        if not _APP_NAME.match(fields["app"]) or \
                fields["phase"] not in ("freeze", "thaw") or \
                fields["result"] not in APP_RESULTS or \
                ("rc" in fields and not _RC.match(fields["rc"])):
            return _Rejected(AnomalyKind.MALFORMED,
                             "The application line has a malformed app, "
                             "phase, result or rc.")
    else:
        apps = _parse_apps(fields["apps"])
        if apps is None:
            return _Rejected(AnomalyKind.MALFORMED,
                             "apps=%r is not a list of name:result." %
                             fields["apps"][:60])
    return ProbeLine(line_no=line_no, event=event, seq=int(fields["seq"]),
                     mono=seconds.get("mono"), wall=seconds.get("wall"),
                     apps=apps, fields=fields, text=text, boot=boot)


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


def parse_console(text, baseline=None):
    """Parse a console log ``text`` (str, already decoded with replacement)
    into a :class:`ProbeReport`.  ``baseline``: a :class:`Baseline`, the
    console text read before ``createImage`` (str), or None."""
    if isinstance(baseline, str):
        baseline = baseline_from_console(baseline)
    lines, complete = _split(text)
    start, match, mono_anchor = _locate(lines, baseline)
    if match is BaselineMatch.PROBE_ANCHOR:
        # The guest's monotonic clock restarts at boot: the anchor only
        # means something in the last boot of the log.
        for i in range(len(lines) - 1, -1, -1):
            if _BOOT_BANNER in lines[i] and MARKER not in lines[i]:
                start = i + 1
                break
    counts_reboots = match in (BaselineMatch.EMPTY, BaselineMatch.OVERLAP,
                               BaselineMatch.PARTIAL_OVERLAP)

    before = 0
    banner_before = -1
    probe_before = -1
    for i in range(start):
        line = lines[i]
        if MARKER in line:
            before += 1
            probe_before = i
        elif _BOOT_BANNER in line:
            banner_before = i
    probe_seen_before = probe_before > banner_before
    if baseline is not None and baseline.probe_in_current_boot:
        probe_seen_before = True

    issues = _Collector()
    accepted = []
    builders = {}          # (boot, seq) -> _Builder, insertion = log order
    orphan_thaws = {}      # (boot, seq) -> ProbeLine
    app_lines = {}         # (boot, seq) -> [ProbeLine]
    guards = []
    max_freeze_seq = {}    # boot -> highest freeze seq
    last_mono = None
    boot = 0
    probe_count = malformed = unsupported = not_read = 0
    reboot_after = False
    last_banner = banner_before
    last_power_down = -1
    for i in range(0, start):
        if _POWER_DOWN in lines[i]:
            last_power_down = i

    total = len(lines)
    skip_until = start
    marked = [i for i in range(start, total) if MARKER in lines[i]]
    if len(marked) > MAX_PROBE_LINES:
        skip_until = marked[-MAX_PROBE_LINES]
        issues.add(AnomalyKind.TOO_MANY_LINES, marked[0] + 1,
                   "%d probe lines after the baseline, far more than a "
                   "guest writes: only the newest %d were read." % (
                       len(marked), MAX_PROBE_LINES))
    for i in range(start, total):
        line = lines[i]
        if MARKER not in line:
            if _BOOT_BANNER in line:
                boot += 1
                reboot_after = reboot_after or counts_reboots
                last_banner = i
                last_mono = None
                for builder in builders.values():
                    if builder.thaw is None:
                        builder.ended_by_reboot = True
            elif _POWER_DOWN in line:
                last_power_down = i
            continue
        probe_count += 1
        line_no = i + 1
        if i < skip_until:
            not_read += 1
            continue
        if i == total - 1 and not complete:
            malformed += 1
            issues.add(AnomalyKind.INCOMPLETE, line_no,
                       "The last console line is still being written; read "
                       "the console again to include it.", line)
            continue
        parsed = _parse_line(line, line_no, boot)
        if isinstance(parsed, _Rejected):
            if parsed.kind is AnomalyKind.UNSUPPORTED_VERSION:
                unsupported += 1
            else:
                malformed += 1
            issues.add(parsed.kind, line_no, parsed.reason, line.strip())
            continue
        if mono_anchor is not None and parsed.mono is not None and \
                parsed.mono <= mono_anchor:
            before += 1
            continue
        accepted.append(parsed)
        key = (boot, parsed.seq)
        clock_backwards = (parsed.mono is not None and last_mono is not None
                           and parsed.mono < last_mono - _MONO_SLACK)
        if clock_backwards:
            issues.add(AnomalyKind.CLOCK_BACKWARDS, line_no,
                       "The guest's monotonic clock went backwards without "
                       "a reboot: a forged or out-of-order line.",
                       parsed.text)
        if parsed.mono is not None:
            last_mono = parsed.mono if last_mono is None else max(
                last_mono, parsed.mono)

        if parsed.event == "freeze":
            if key in builders:
                builders[key].disputed = True
                issues.add(AnomalyKind.DUPLICATE_FREEZE, line_no,
                           "A second freeze with seq %d: the seq pairs are "
                           "ambiguous." % parsed.seq, parsed.text)
                continue
            disputed = clock_backwards
            if parsed.seq < max_freeze_seq.get(boot, 0):
                disputed = True
                issues.add(AnomalyKind.SEQ_BACKWARDS, line_no,
                           "Freeze seq %d after seq %d in the same boot: the "
                           "guest counts up, so a line is forged or out of "
                           "order." % (parsed.seq, max_freeze_seq[boot]),
                           parsed.text)
            max_freeze_seq[boot] = max(max_freeze_seq.get(boot, 0),
                                       parsed.seq)
            builder = _Builder(parsed, disputed)
            builders[key] = builder
            early = orphan_thaws.pop(key, None)
            if early is not None:
                builder.thaw = early
                builder.disputed = True
                issues.add(AnomalyKind.THAW_BEFORE_FREEZE, early.line_no,
                           "The thaw with seq %d came before its freeze." %
                           parsed.seq, early.text)
        elif parsed.event == "thaw":
            builder = builders.get(key)
            if builder is None:
                if key in orphan_thaws:
                    issues.add(AnomalyKind.DUPLICATE_THAW, line_no,
                               "A second thaw with seq %d." % parsed.seq,
                               parsed.text)
                else:
                    orphan_thaws[key] = parsed
                continue
            if builder.thaw is not None:
                builder.disputed = True
                issues.add(AnomalyKind.DUPLICATE_THAW, line_no,
                           "A second thaw with seq %d." % parsed.seq,
                           parsed.text)
                continue
            builder.thaw = parsed
            if clock_backwards or parsed.mono < builder.freeze.mono:
                builder.disputed = True
        elif parsed.event == "guard":
            guards.append(parsed)
            builder = builders.get(key)
            if builder is None:
                issues.add(AnomalyKind.GUARD_WITHOUT_FREEZE, line_no,
                           "An application gave up waiting for the thaw of "
                           "seq %d, whose freeze is not in the log." %
                           parsed.seq, parsed.text)
            else:
                builder.guards.append(parsed)
        else:
            app_lines.setdefault(key, []).append(parsed)

    for key, thaw in orphan_thaws.items():
        issues.add(AnomalyKind.THAW_WITHOUT_FREEZE, thaw.line_no,
                   "A thaw with seq %d but no freeze after the baseline." %
                   key[1], thaw.text)

    pairs = []
    unmatched = []
    for key, builder in builders.items():
        details = tuple(app_lines.pop(key, ()))
        pair = FreezePair(
            seq=key[1], boot=key[0], freeze=builder.freeze,
            thaw=builder.thaw, guards=tuple(builder.guards),
            app_lines=details, disputed=builder.disputed,
            ended_by_reboot=builder.ended_by_reboot and builder.thaw is None)
        for phase in ("freeze", "thaw"):
            line = pair.freeze if phase == "freeze" else pair.thaw
            if line is None:
                continue
            summary = dict(line.apps)
            for detail in details:
                if detail.phase == phase and detail.app in summary and \
                        summary[detail.app] != detail.result:
                    issues.add(AnomalyKind.APP_CONFLICT, detail.line_no,
                               "%s reported %s for %s, but the %s line says "
                               "%s; the less reassuring result is used." % (
                                   detail.app, detail.result, phase, phase,
                                   summary[detail.app]), detail.text)
        (pairs if pair.complete else unmatched).append(pair)
    for key, details in app_lines.items():
        issues.add(AnomalyKind.APP_WITHOUT_FREEZE, details[0].line_no,
                   "Application lines for seq %d without a freeze line "
                   "(the freeze failed or was not logged)." % key[1],
                   details[0].text)

    return ProbeReport(
        pairs=tuple(pairs),
        unmatched_freezes=tuple(unmatched),
        guards=tuple(guards),
        anomalies=tuple(sorted(issues.anomalies, key=lambda a: a.line_no)),
        counts=ProbeCounts(
            lines=total, lines_counted=total - start,
            probe_lines=probe_count, accepted=len(accepted),
            malformed=malformed, unsupported=unsupported,
            before_baseline=before, not_read=not_read),
        baseline_match=match,
        lines=tuple(accepted),
        anomalies_dropped=issues.dropped,
        probe_seen_before_baseline=probe_seen_before and not reboot_after,
        reboot_after_baseline=reboot_after,
        power_down_seen=last_power_down > last_banner,
    )


def app_lines_failed(report):
    """Application lines (``event=app``) reporting ``fail`` after the
    baseline, including those of a freeze that never got its freeze line."""
    return tuple(line for line in report.lines
                 if line.event == "app" and line.result == "fail")
