"""The consistency verdict of a test snapshot, as a pure function of the
evidence collected around it.

Where each signal comes from (DOMAIN.md "Where a failure shows up"):

* synchronous errors: the ``createImage`` response (400/409/500 with
  Nova's message; 403 quota; 404 instance gone) from
  nova/api/openstack/compute/servers.py ``_create_image``;
* an image-backed snapshot that fails is deleted (``delete_image_on_error``
  in nova/compute/manager.py): the image vanishes (404) or shows
  ``deleted``.  That is the one signal on every release;
* the ``compute_snapshot_instance`` event (``api_snapshot_instance`` for a
  volume-backed snapshot) says Error up to Nova 32; its ``details`` are
  admin-only by default policy.  From Nova 33.0.0 the compute event says
  Success even when the snapshot fails (commit 9e678b83eb), so an Error
  event is always believed, a Success event never proves anything.

Whether an active snapshot was taken frozen rests on ranked evidence
(DOMAIN.md "What a freeze/thaw pair does not prove"), strongest first:

1. the snapshot's own bytes: ``ext4_freeze`` (fs/ext4/super.c) clears the
   journal's ``needs_recovery`` flag before it commits the superblock, so a
   copy taken frozen has it clear and a crash copy of a mounted ext3/ext4
   has it set.  No guest can forge it;
2. the guest's held writes: a write to a frozen filesystem blocks until the
   thaw, so a write the probe saw held proves the freeze;
3. Nova's synchronous quiesce: a volume-backed snapshot of an ACTIVE server
   with ``os_require_quiesce`` fails unless the freeze happened
   (nova/compute/api.py ``snapshot_volume_backed``), known exactly only
   from the keys the test snapshot inherited;
4. the hook pair: qemu-ga runs the freeze hook before FIFREEZE and the thaw
   hook even when FIFREEZE failed, so it proves only that hooks ran.

*filesystem-consistent* needs one of the first three.  When the bytes and
the guest disagree the verdict follows the bytes and says so loudly.
"""

import dataclasses
import enum
import json

from consistency_dashboard.core import captured as captured_mod
from consistency_dashboard.core import causes
from consistency_dashboard.core import microversions
from consistency_dashboard.core import probe as probe_mod
from consistency_dashboard.core import properties as props
from consistency_dashboard.core import snapshot_bytes
from consistency_dashboard.core import snapshot_paths as paths
from consistency_dashboard.core import timestamps
from consistency_dashboard.core.i18n import fill
from consistency_dashboard.core.i18n import from_data
from consistency_dashboard.core.i18n import gettext_noop
from consistency_dashboard.core.i18n import Text
from consistency_dashboard.core.i18n import to_data
from consistency_dashboard.core.i18n import unstopped
from consistency_dashboard.core.poll import ImageFate


class Level(enum.Enum):
    FAILED = gettext_noop("failed")
    CRASH_CONSISTENT = gettext_noop("crash-consistent")
    UNKNOWN = gettext_noop("unknown")
    FILESYSTEM_CONSISTENT = gettext_noop("filesystem-consistent")
    APPLICATION_CONSISTENT = gettext_noop("application-consistent")
    IN_PROGRESS = gettext_noop("still running")

    @property
    def final(self):
        return self is not Level.IN_PROGRESS


class Strength(enum.Enum):
    """How much an evidence item can prove, strongest first.  Only the
    first three prove a freeze."""
    SNAPSHOT_BYTES = gettext_noop("strongest: the snapshot's own bytes")
    HELD_WRITES = gettext_noop("strong: writes held in the guest")
    NOVA_QUIESCE = gettext_noop("strong: Nova's enforced quiesce")
    HOOK_PAIR = gettext_noop("weak: hooks ran")
    GUEST_REPORT = gettext_noop("reported by the guest")
    CLOUD = gettext_noop("stated by the cloud")
    PREDICTION = gettext_noop("predicted")

    @property
    def rank(self):
        return _RANKS.get(self, 0)


_RANKS = {Strength.SNAPSHOT_BYTES: 4, Strength.HELD_WRITES: 3,
          Strength.NOVA_QUIESCE: 2, Strength.HOOK_PAIR: 1}

SRC_NOVA = gettext_noop("Nova createImage response")
SRC_GLANCE = gettext_noop("Glance image status")
SRC_LOCATIONS = gettext_noop("Glance image locations")
SRC_EVENTS = gettext_noop("Nova instance action events")
SRC_GUEST = gettext_noop("reported by the guest (console log)")
SRC_HELD = gettext_noop("writes held in the guest (console log)")
SRC_BYTES = gettext_noop("the snapshot's own bytes (read from Glance)")
SRC_QUIESCE = gettext_noop(
    "Nova's synchronous quiesce (volume-backed, os_require_quiesce)")
SRC_CONSOLE = gettext_noop("Nova console output")
SRC_CINDER = gettext_noop("Cinder volume snapshots")
SRC_SERVER = gettext_noop("Nova server state at the request")
SRC_STORAGE = gettext_noop("cloud storage setting")
SRC_PREDICTION = gettext_noop(
    "predicted from what is known (Nova does not say)")
SRC_CAPTURED = gettext_noop("properties captured at boot")
SRC_INHERITED = gettext_noop(
    "inherited by the test snapshot image from the instance")
SRC_VOLUME_METADATA = gettext_noop(
    "the boot volume's current image metadata (not necessarily what the "
    "server was started with)")

LOUD_STILL_FROZEN = gettext_noop(
    "The guest reported a freeze with no thaw: the guest may still be "
    "frozen. Check it now: writes inside it block until the filesystems are "
    "thawed (a hard reboot of the instance thaws them, as does an admin's "
    "virsh domfsthaw).")
LOUD_CONTRADICTION = gettext_noop(
    "CONTRADICTION: {claim}, but the snapshot's own bytes say {fs} journal "
    "needs recovery, so the copy was not taken frozen. The verdict follows "
    "the snapshot's bytes, which no guest can forge.")

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
    disk_check: snapshot_bytes.DiskCheck = None  # the snapshot's bytes

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


SRC_CAPTURED_SERVER = gettext_noop(
    "properties captured at boot, as Nova reports them for the server")
SRC_CAPTURED_SNAPSHOT = gettext_noop(
    "properties captured at boot, from an earlier snapshot of the instance")
SRC_CAPTURED_UNKNOWN = gettext_noop(
    "properties captured at boot, source unknown")
SRC_DRIVER = gettext_noop("cloud hypervisor setting")

_SOURCE_NAMES = {
    captured_mod.CapturedSource.SERVER: SRC_CAPTURED_SERVER,
    captured_mod.CapturedSource.SNAPSHOT: SRC_CAPTURED_SNAPSHOT,
    captured_mod.CapturedSource.BOOT_VOLUME: SRC_VOLUME_METADATA,
    captured_mod.CapturedSource.UNKNOWN: SRC_CAPTURED_UNKNOWN,
}

# code -> source, the short name an evidence item stored on an image keeps
SOURCES = {
    "nova": SRC_NOVA, "glance": SRC_GLANCE, "locations": SRC_LOCATIONS,
    "events": SRC_EVENTS, "guest": SRC_GUEST, "held": SRC_HELD,
    "bytes": SRC_BYTES, "quiesce": SRC_QUIESCE, "console": SRC_CONSOLE,
    "cinder": SRC_CINDER, "server": SRC_SERVER, "storage": SRC_STORAGE,
    "prediction": SRC_PREDICTION, "captured": SRC_CAPTURED,
    "inherited": SRC_INHERITED, "volume_metadata": SRC_VOLUME_METADATA,
    "captured_server": SRC_CAPTURED_SERVER,
    "captured_snapshot": SRC_CAPTURED_SNAPSHOT,
    "captured_unknown": SRC_CAPTURED_UNKNOWN, "driver": SRC_DRIVER,
}
_SOURCE_CODES = {str(source): code for code, source in SOURCES.items()}

_ITEM = gettext_noop("{observation} ({source}; {strength})")

# code -> template of an evidence item's observation (the item is stored
# on the image by code, with its values)
OBSERVATIONS = {
    # what the properties captured at boot read
    "captured": gettext_noop(
        "hw_qemu_guest_agent {agent}, os_require_quiesce {quiesce}"),
    "not_set": props.NOT_SET,
    "not_a_boolean": props.NOT_A_BOOLEAN,
    "nova_reads": props.NOVA_READS,
    # Nova's answer and the image
    "http_error": gettext_noop("HTTP {status}: {message}"),
    "no_message": causes.NO_MESSAGE,
    "no_answer": gettext_noop("no answer"),
    "accepted": gettext_noop("accepted: image {image}"),
    "id_not_returned": gettext_noop("(id not returned)"),
    "power_at_request": gettext_noop("instance {power} at the request"),
    "image_vanished": gettext_noop("image {image} vanished (HTTP 404)"),
    "image_is": gettext_noop("image {image} is {status}"),
    "id_not_known": gettext_noop("(id not known)"),
    "image_status": gettext_noop("image is {status}"),
    "image_deactivated": gettext_noop("image is deactivated"),
    "event": gettext_noop("{event}: {result}"),
    "event_details": gettext_noop("{event}: {result}: {details}"),
    "no_result": gettext_noop("(no result yet)"),
    "event_says_success": gettext_noop(
        "{event} (from Nova 33.0.0 this event says Success even when the "
        "snapshot fails)"),
    # the guest's report
    "pair": gettext_noop("freeze seq {seq} then thaw seq {seq}, {gap} apart"),
    "held": gettext_noop("writes held while frozen: {held}"),
    "none_held": gettext_noop("no write was held during the freeze"),
    "apps": gettext_noop("applications at freeze: {apps}"),
    "no_thaw": gettext_noop("freeze seq {seq} with no thaw"),
    "probe_silent": gettext_noop(
        "the probe reported earlier freezes in this boot but none for this "
        "snapshot"),
    "power_off": gettext_noop(
        "the guest reported a power-off (reboot: Power down) before the "
        "snapshot"),
    "console_unavailable": gettext_noop(
        "console output unavailable: {error}"),
    # where the disks are
    "rbd_location": gettext_noop(
        "rbd:// location: Glance keeps this image on Ceph RBD"),
    "root_disks": gettext_noop("root disks: {storage}"),
    # the snapshot's bytes
    "bytes_not_checked": gettext_noop("snapshot's bytes not checked: {why}"),
    "no_ranges": gettext_noop("this Glance does not serve ranges"),
    "unreadable": gettext_noop("the snapshot could not be read"),
    "fs_needs_recovery": gettext_noop(
        "{kind} journal needs recovery in the snapshot ({where})"),
    "fs_labelled": gettext_noop("{where}, label {label}"),
    "fs_state": gettext_noop("{kind} ({where}): {state}"),
    "fs_state_reason": gettext_noop("{kind} ({where}): {state}: {reason}"),
    "fs_clean": gettext_noop("journal clean (needs_recovery clear)"),
    "fs_no_journal": gettext_noop("no journal, so the snapshot cannot tell"),
    "fs_not_checkable": gettext_noop("not checkable from the snapshot"),
}


def _observed(code, **params):
    """An observation: the template of ``code`` filled with ``params``."""
    return fill(OBSERVATIONS[code], **params)


@dataclasses.dataclass(frozen=True)
class EvidenceItem:
    """One observation, where it comes from and how much it can prove.
    The words are marked texts (core/i18n.py), translated where they are
    shown; on an image the item is stored without its language
    (:meth:`to_property`).  ``strength`` None: an item read back from an
    image written before items were stored that way, whose text did not
    name its source."""
    observation: str
    source: str
    strength: Strength = Strength.CLOUD

    @property
    def text(self):
        if self.strength is None:
            return self.observation
        return fill(_ITEM, observation=self.observation, source=self.source,
                    strength=self.strength.value)

    def to_property(self):
        """The item as one property value (at most ``MAX_VALUE``
        characters): JSON with the observation's msgid and values (``o``,
        core/i18n.py ``to_data``), the source's code (``s``, see
        ``SOURCES``; an unknown source as its words) and the strength's
        name (``k``).  Values too long are clipped; an item that still
        does not fit is stored as its English words, as older versions
        stored every item."""
        data = {"o": to_data(self.observation, _STORED_CODES),
                "s": _SOURCE_CODES.get(str(self.source),
                                       to_data(self.source)),
                "k": self.strength.name if self.strength else ""}
        return _fitted_json(data) or _clip(self.text)

    @classmethod
    def from_property(cls, value, sources=()):
        """The item stored by :meth:`to_property`; for an item stored as
        its words (an older version's) the same words, with the source and
        strength split off when the words end with a known pair
        (``sources``: further sources to look for)."""
        data = _json_object(value)
        if data is not None and "o" in data:
            try:
                source = data.get("s")
                return cls(_older_places(from_data(data["o"], STORED_TEXTS)),
                           SOURCES.get(source) if source in SOURCES
                           else from_data(source or ""),
                           Strength[data["k"]] if data.get("k") else None)
            except (KeyError, ValueError, TypeError):
                pass
        return _item_from_words(value, sources)


def _item_from_words(text, sources=()):
    """An evidence item stored as "observation (source; strength)"."""
    known = list(SOURCES.values()) + [Text(s) for s in sources if s]
    for strength in Strength:
        for source in known:
            suffix = " (%s; %s)" % (source, strength.value)
            if text.endswith(suffix) and len(text) > len(suffix):
                return EvidenceItem(text[:-len(suffix)], source, strength)
    return EvidenceItem(text, "", None)


def _json_object(value):
    """``value`` parsed as a JSON object, or None."""
    if not isinstance(value, str) or not value.startswith("{"):
        return None
    try:
        found = json.loads(value)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def _dump(data):
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"),
                      sort_keys=True)


def _values(data):
    """``(holder, key)`` of every value in stored text data that is data
    (a name, an ID, Nova's message), not a msgid: what may be clipped."""
    found = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key in ("p", "parts") and isinstance(value, (dict, list)):
                keys = value.keys() if isinstance(value, dict) \
                    else range(len(value))
                for inner in keys:
                    if isinstance(value[inner], str):
                        found.append((value, inner))
                    else:
                        found.extend(_values(value[inner]))
            elif isinstance(value, dict):
                found.extend(_values(value))
    return found


def _fitted_json(data):
    """``data`` as JSON of at most ``MAX_VALUE`` characters, its longest
    values clipped as needed; None when even that does not fit."""
    text = _dump(data)
    while len(text) > MAX_VALUE:
        values = _values(data)
        if not values:
            return None
        holder, key = max(values, key=lambda v: len(v[0][v[1]]))
        value = holder[key]
        keep = len(value) - (len(text) - MAX_VALUE) - 1
        if keep < 8:
            return None
        holder[key] = value[:keep] + _ELLIPSIS
        text = _dump(data)
    return text


def text_property(text):
    """A marked text as one property value: a sentence with values as JSON
    of its msgid and values (core/i18n.py ``to_data``), so it is shown in
    the reader's language; a text without values as its words, which are
    the catalogue's msgid.  Clipped words when the JSON does not fit."""
    if isinstance(text, Text) and (
            text.params or text.plural is not None or text.template != text):
        found = _fitted_json(to_data(text, _STORED_CODES))
        if found is not None and found.startswith("{"):
            return found
    return _clip(text)


def text_from_property(value):
    """The text :func:`text_property` stored (a :class:`Text`), or the
    stored words themselves (an older version's, or clipped)."""
    data = _json_object(value)
    if data is not None:
        try:
            return _older_places(from_data(data, STORED_TEXTS))
        except ValueError:
            pass
    return value or ""


# the values that name where a filesystem is, and how words an older
# version stored as data become the disk reader's marked words
_PLACES = {
    "where": lambda words: _where_words(words),
    "fs": lambda words: snapshot_bytes.located_from_code(words) or words,
}


def _older_places(text):
    """``text`` read back, with the places of filesystems an older version
    stored as English words (data) marked, so they are translated too."""
    if type(text) is not Text:
        return text
    params = {name: _PLACES[name](value)
              if name in _PLACES and not isinstance(value, Text)
              else _older_places(value)
              for name, value in text.params.items()}
    if all(params[name] is value for name, value in text.params.items()):
        return text
    return Text(text.template, params, str(text), text.plural, text.number)


class _Basis:
    """What a verdict rests on, in one line: the same for a verdict just
    decided and one read back from an image."""

    @property
    def basis(self):
        """One line naming what the verdict rests on."""
        return basis_text(self.proof, self.rests_on, self.strength)

    @property
    def summary(self):
        return fill(_SUMMARY, label=self.label, basis=self.basis) \
            if self.basis else self.label


_SUMMARY = gettext_noop("{label}, {basis}")


@dataclasses.dataclass(frozen=True)
class Verdict(_Basis):
    level: Level
    cause: str
    evidence: tuple            # EvidenceItem
    next_step: str
    warnings: tuple = ()
    freeze_seconds: float = None
    verified_by: str = None    # "snapshot", "guest", "nova" or None
    rests_on: str = None       # the source the verdict rests on
    strength: Strength = None  # that source's strength
    cause_code: str = None
    cause_params: tuple = ()
    proof: str = ""            # "proven by the snapshot (ext4 / clean)"
    freeze_measured_by: str = None   # MEASURED_BY_HELD or MEASURED_BY_HOOKS

    @property
    def label(self):
        return self.level.value

    @property
    def final(self):
        return self.level.final



# (the source's strength is known) -> the line naming what a verdict rests on
_RESTS_ON = {
    True: gettext_noop("rests on {source} ({strength})"),
    False: gettext_noop("rests on {source}"),
}


def basis_text(proof, rests_on, strength):
    if proof:
        return proof
    if rests_on:
        label = getattr(strength, "value", strength)
        # A source read back from a record is the plain English words of
        # one of the SRC_* names: still the catalogue's msgid.
        return fill(_RESTS_ON[bool(label)], source=Text(rests_on),
                    strength=Text(label or ""))
    return ""


def _verdict(level, cause, items, step, **kw):
    """A Verdict from a causes.Cause."""
    return Verdict(level, cause.text, tuple(items), step,
                   cause_code=cause.code, cause_params=cause.params, **kw)


# --- helpers ----------------------------------------------------------------

SNAPSHOT_EVENTS = ("compute_snapshot_instance", "api_snapshot_instance")


def _snapshot_event(events):
    """The snapshot's event: ``compute_snapshot_instance`` (image-backed) or
    ``api_snapshot_instance`` (volume-backed, nova/compute/api.py
    ``snapshot_volume_backed``)."""
    found = None
    for event in events or ():
        if (event.get("event") or "") in SNAPSHOT_EVENTS:
            found = event
    return found


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


_CLOCK_NOTE = gettext_noop(
    "The guest's clock disagrees with the cloud's by more than {seconds} s; "
    "the probe lines count because of their place in the console log.")


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
                    self.clock_note = fill(_CLOCK_NOTE,
                                           seconds="%d" % ev.wall_tolerance)
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
    def held(self):
        """``((mount, seconds), ...)`` the probe saw held (v2), or ()."""
        return tuple(getattr(self.pair, "held", None) or ()) \
            if self.pair is not None else ()

    @property
    def held_seconds(self):
        if not self.held:
            return None
        found = getattr(self.pair, "held_seconds", None)
        return found if found is not None else max(s for _m, s in self.held)

    @property
    def writes_proved(self):
        """The probe's own word (v2) that its writes were held."""
        if self.pair is None:
            return False
        found = getattr(self.pair, "freeze_proven_by_writes", None)
        return bool(self.held) if found is None else bool(found)

    @property
    def version(self):
        return getattr(self.pair, "version", "v1") if self.pair else None

    @property
    def failed_hook(self):
        for pair in self.unmatched:
            if any(r == "fail" for r in pair.app_results("freeze").values()):
                return pair
        return None


def _describe(captured):
    return _observed("captured", agent=captured.guest_agent.describe(),
                     quiesce=captured.require_quiesce.describe())


def _captured(ev, items):
    """(captured properties to use, exact?), noting where they came from.

    The test snapshot image is the best source: Nova copies the instance's
    captured properties into it when it creates the image
    (nova/compute/utils.py initialize_instance_snapshot_metadata, used by
    both API.snapshot and API.snapshot_volume_backed), so they are exact for
    the moment of the snapshot.  If neither key is on the image, the operator
    may have listed them in non_inheritable_image_properties, so the
    properties resolved for the instance (captured.py) win.  A boot volume's
    ``volume_image_metadata`` is what it holds NOW (the "recreate from the
    boot volume" fix changes it), never exact.
    """
    inherited = None
    if ev.image_properties is not None:
        found = captured_mod.image_properties(ev.image_properties)
        inherited = props.read_properties(found)
        if props.GUEST_AGENT in found or props.REQUIRE_QUIESCE in found:
            items.append(EvidenceItem(_describe(inherited), SRC_INHERITED))
            return inherited, True
    if ev.captured is not None:
        items.append(EvidenceItem(
            _describe(ev.captured),
            _SOURCE_NAMES.get(ev.captured_source, SRC_CAPTURED)))
        return ev.captured, (ev.captured_source is
                             captured_mod.CapturedSource.SERVER)
    if inherited is not None:
        items.append(EvidenceItem(_describe(inherited), SRC_INHERITED))
        return inherited, False
    return None, False


def _rbd_location(ev):
    return any(str(loc.get("url") if isinstance(loc, dict) else loc)
               .startswith("rbd://") for loc in ev.image_locations or ())


_STEP_AGENT = gettext_noop(
    "Check that qemu-guest-agent runs in the guest and that its fsfreeze "
    "hooks succeed, then test again.")
_STEP_GIVE_AGENT = gettext_noop(
    "Give the instance hw_qemu_guest_agent (Instances tab, ways to fix), or "
    "stop it before snapshotting.")


def _sync_cause(ev, status, message):
    """(cause, next step) for a refused createImage."""
    lowered = message.lower()
    volume = ev.boot_source is paths.BootSource.VOLUME
    if status == 409 and "quiesce" in lowered:
        return causes.cause("refused_quiesce_failed", message=message), \
            _STEP_AGENT
    if status == 409:
        return causes.cause("refused_busy", message=message), \
            gettext_noop(
                "Wait until the instance's current task ends, then test "
                "again.")
    if status == 400 and "guest agent is not enabled" in lowered:
        return causes.cause("refused_no_agent", message=message), \
            _STEP_GIVE_AGENT
    if status == 400 and "quiescing is not supported" in lowered:
        return causes.cause("refused_quiesce_unsupported",
                            message=message), \
            gettext_noop(
                "Remove os_require_quiesce, or stop the instance before "
                "snapshotting.")
    quiesce = ev.captured.require_quiesce.value if ev.captured else None
    if status == 500 and volume and quiesce is not False:
        # snapshot_volume_backed: libvirt's InternalError (a failing hook,
        # a FIFREEZE error) and NotImplementedError of other drivers are
        # HTTP 500, not 409 (nova/compute/api.py).
        return causes.cause("refused_freeze_error", message=message), \
            gettext_noop(
                "Check the guest's fsfreeze hooks and the agent's log "
                "(guest-fsfreeze-freeze), then test again; the compute log "
                "has libvirt's error.")
    if status == 413 or (status == 403 and "quota" in lowered):
        return causes.cause("refused_quota", message=message), \
            gettext_noop(
                "Delete old snapshots or test snapshots, or ask for more "
                "quota, then test again.")
    if status == 403:
        return causes.cause("refused_policy", message=message), \
            gettext_noop(
                "Ask an administrator for the right to snapshot this "
                "instance.")
    if status == 404:
        return causes.cause("refused_gone", message=message), \
            gettext_noop("Nothing to test: the instance is gone.")
    return causes.cause("refused_other", status=status, message=message), \
        gettext_noop(
            "Test again later; if it persists, ask the cloud operator.")


def _sync_failure(ev, prediction):
    status = ev.nova.status
    message = (ev.nova.message or "").strip()
    items = [EvidenceItem(_observed(
        "http_error", status=status,
        message=message or OBSERVATIONS["no_message"]), SRC_NOVA)]
    cause, step = _sync_cause(ev, status, message or causes.NO_MESSAGE)
    if prediction.outcome is paths.Outcome.FAILS and status in (400, 409,
                                                                500):
        items.append(EvidenceItem(prediction.summary, SRC_PREDICTION,
                                  Strength.PREDICTION))
    return _verdict(Level.FAILED, cause, items, step, rests_on=SRC_NOVA,
                    strength=Strength.CLOUD)


def _event_items(ev, event, reports_failure, items):
    if event is None:
        return
    result = event.get("result") or OBSERVATIONS["no_result"]
    text = _observed("event_details" if event.get("details") else "event",
                     event=str(event.get("event")), result=result,
                     details=event.get("details"))
    if (result or "").lower() == "success" and reports_failure is not True \
            and event.get("event") == "compute_snapshot_instance":
        text = _observed("event_says_success", event=text)
    items.append(EvidenceItem(text, SRC_EVENTS))


def _vanished_cause(ev, prediction, event):
    details = (event or {}).get("details")
    error_event = event is not None and \
        (event.get("result") or "").lower() == "error"
    if error_event and details:
        return causes.cause("event_error", details=details)
    if ev.instance_deleted:
        return causes.cause("instance_deleted")
    if ev.image_fate is ImageFate.KILLED:
        return causes.cause("image_killed")
    if ev.image_fate is ImageFate.ABANDONED:
        return causes.cause("abandoned")
    if prediction.outcome is paths.Outcome.FAILS:
        if ev.virt_driver is paths.VirtDriver.OTHER:
            return causes.cause("vanished_quiesce_unsupported")
        return causes.cause("vanished_no_channel")
    return causes.cause("vanished_unexplained")


def _details_note(ev, event):
    """Why an Error event has no details: before 2.84 Nova has none for
    anyone; from 2.84 policy ``os_compute_api:os-instance-actions:events:
    details`` keeps them for admins by default."""
    if event is None or (event.get("result") or "").lower() != "error" or \
            event.get("details"):
        return None
    newer = microversions.at_least(ev.max_microversion,
                                   microversions.EVENT_DETAILS)
    if newer is False:
        return causes.render("details_before_2_84")
    return causes.render("details_admin_only")


def _failed_after_accept(ev, prediction, event, reports_failure, items,
                         fate):
    if fate is ImageFate.VANISHED:
        items.append(EvidenceItem(_observed(
            "image_vanished", image=ev.nova.image_id or "?"), SRC_GLANCE))
    elif fate is not None:
        items.append(EvidenceItem(_observed(
            "image_is", image=ev.nova.image_id or "?",
            status=ev.image_status or fate.value), SRC_GLANCE))
    _event_items(ev, event, reports_failure, items)
    cause = _vanished_cause(ev, prediction, event)
    warnings = []
    note = _details_note(ev, event)
    if note:
        warnings.append(note)
    if cause.code.startswith("vanished_no") or \
            cause.code == "vanished_quiesce_unsupported":
        items.append(EvidenceItem(prediction.summary, SRC_PREDICTION,
                                  Strength.PREDICTION))
        step = _STEP_GIVE_AGENT
    elif cause.code == "abandoned":
        step = gettext_noop(
            "Delete this test snapshot (its unfinished image goes with it) "
            "and test again.")
    else:
        step = gettext_noop(
            "Test again; if it fails again, ask the cloud operator to look "
            "for the instance's snapshot error in the compute log.")
    # A snapshot that failed after the guest froze (nova-compute stopped
    # between the freeze and the thaw: its restart does not thaw) can
    # leave the guest frozen: that cannot wait for the next test.
    guest = _Guest(ev)
    if guest.still_frozen:
        _no_thaw_items(guest, items, warnings)
    rests = SRC_EVENTS if cause.code == "event_error" else SRC_GLANCE
    return _verdict(Level.FAILED, cause, items, step, warnings=tuple(warnings),
                    rests_on=rests, strength=Strength.CLOUD)


def _in_progress(ev, fate, items, cause=None):
    if fate is ImageFate.TIMED_OUT:
        cause = cause or causes.cause("in_progress_timed_out")
        step = gettext_noop("Check the Test snapshots tab later.")
    elif fate is ImageFate.UNREACHABLE:
        cause = cause or causes.cause("in_progress_unreachable")
        step = gettext_noop("The page checks again.")
    else:
        cause = cause or causes.cause("in_progress")
        step = gettext_noop(
            "The page checks again; a slow snapshot is not a failure.")
    if ev.image_status:
        items.append(EvidenceItem(_observed("image_status",
                                            status=ev.image_status),
                                  SRC_GLANCE))
    return _verdict(Level.IN_PROGRESS, cause, items, step,
                    rests_on=SRC_GLANCE, strength=Strength.CLOUD)


_THAW_FAILED = gettext_noop(
    "Application hooks failed on thaw ({apps}): check that these "
    "applications resumed.")
_GUARD_RELEASED = gettext_noop(
    "An application hook gave up waiting for the thaw of seq {seq} and "
    "released its locks on its own: the freeze lasted too long.")
_DISPUTED = gettext_noop(
    "The console log has conflicting probe lines (seq {seqs}): they were not "
    "used as evidence.")
_OTHER_PAIRS = gettext_noop(
    "The guest reported {count} more freeze(s) in the same window (another "
    "backup tool?); the first was used.")
_NEWER_PROBE = gettext_noop(
    "The guest writes a newer probe format that this dashboard does not "
    "read ({count} lines): update the dashboard.")


def _held(guest):
    """"/ 0.31 s, /data 0.30 s": the mounts whose writes were held."""
    return ", ".join("%s %s" % (mount, _fmt_seconds(seconds))
                     for mount, seconds in guest.held)


def _pair_items(guest, items, warnings):
    pair = guest.pair
    apps = pair.app_results("freeze")
    items.append(EvidenceItem(
        _observed("pair", seq=pair.seq, gap=_fmt_seconds(pair.duration)),
        SRC_GUEST, Strength.HOOK_PAIR))
    if guest.held:
        items.append(EvidenceItem(_observed("held", held=_held(guest)),
                                  SRC_HELD, Strength.HELD_WRITES))
    elif guest.version not in (None, "v1"):
        items.append(EvidenceItem(_observed("none_held"), SRC_HELD,
                                  Strength.GUEST_REPORT))
    if apps:
        items.append(EvidenceItem(
            _observed("apps", apps=", ".join(
                "%s %s" % kv for kv in sorted(apps.items()))),
            SRC_GUEST, Strength.GUEST_REPORT))
    thaw_fail = [a for a, r in pair.app_results("thaw").items()
                 if r == "fail"]
    if thaw_fail:
        warnings.append(fill(_THAW_FAILED, apps=", ".join(sorted(thaw_fail))))
    if pair.guards:
        warnings.append(fill(_GUARD_RELEASED, seq=pair.seq))


def _no_thaw_items(guest, items, warnings):
    """The freezes without a thaw, and the loud warning first when the
    guest may still be frozen."""
    for unmatched in guest.unmatched:
        items.append(EvidenceItem(_observed("no_thaw", seq=unmatched.seq),
                                  SRC_GUEST, Strength.GUEST_REPORT))
    if guest.still_frozen:
        warnings.insert(0, LOUD_STILL_FROZEN)


def _guest_items(guest, items, warnings):
    report = guest.report
    if guest.pair is not None:
        _pair_items(guest, items, warnings)
    _no_thaw_items(guest, items, warnings)
    if guest.disputed:
        warnings.append(fill(_DISPUTED, seqs=", ".join(
            str(p.seq) for p in guest.disputed)))
    if guest.other_pairs:
        warnings.append(fill(_OTHER_PAIRS, count=guest.other_pairs))
    if guest.clock_note:
        warnings.append(guest.clock_note)
    if report.counts.unsupported:
        warnings.append(fill(_NEWER_PROBE,
                             count=report.counts.unsupported))
    if report.baseline_match is probe_mod.BaselineMatch.NOT_FOUND:
        warnings.append(
            gettext_noop(
                "The console read before the snapshot was not found in the "
                "one after it; the guest's clock was used to place the "
                "probe lines."))


# --- the verdict ------------------------------------------------------------

def _no_answer(ev, items):
    message = ev.nova.message
    cause = causes.cause("no_answer", colon_message=(
        ": " + message) if message else "")
    return _verdict(
        Level.FAILED, cause,
        items + [EvidenceItem(_observed("no_answer"), SRC_NOVA)],
        gettext_noop(
            "Look at the Test snapshots tab: if Nova created the image "
            "after all, it is listed there; otherwise test again."),
        rests_on=SRC_NOVA, strength=Strength.CLOUD)


def _prediction(ev, captured, exact):
    return paths.predict(paths.InstanceFacts(
        boot_source=ev.boot_source, captured=captured,
        captured_exact=exact, power=ev.power_at_request, storage=ev.storage,
        virt_driver=ev.virt_driver,
        nova_max_microversion=ev.max_microversion, nova_major=ev.nova_major))


def decide(ev):
    """The :class:`Verdict` for one test snapshot."""
    if not isinstance(ev, Evidence):
        raise TypeError("decide() takes Evidence")
    items = []
    captured, exact = _captured(ev, items)
    prediction = _prediction(ev, captured, exact)

    # 1. Nova's synchronous answer.
    if ev.nova.status is None and ev.image_fate in (None,
                                                   ImageFate.NOT_CREATED):
        return _no_answer(ev, items)
    if ev.nova.status is not None and not ev.nova.accepted:
        verdict = _sync_failure(ev, prediction)
        return dataclasses.replace(verdict, evidence=tuple(items) +
                                   verdict.evidence)
    if ev.nova.status is not None:
        items.append(EvidenceItem(_observed(
            "accepted",
            image=ev.nova.image_id or OBSERVATIONS["id_not_returned"]),
            SRC_NOVA))
    items.append(EvidenceItem(_observed(
        "power_at_request", power=ev.power_at_request.value), SRC_SERVER))
    return _after_accept(ev, captured, exact, prediction, items)


def _after_accept(ev, captured, exact, prediction, items):
    """2. The image's fate, and the event where it still tells."""
    warnings = []
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
        items.append(EvidenceItem(_observed("image_deactivated"),
                                  SRC_GLANCE))
        return _verdict(Level.UNKNOWN, causes.cause("deactivated"), items,
                        gettext_noop("Ask the cloud operator."),
                        rests_on=SRC_GLANCE, strength=Strength.CLOUD)
    if fate is not ImageFate.ACTIVE:
        return _in_progress(ev, fate, items)
    if error_event:
        warnings.append(gettext_noop(
            "Nova's event says Error although the image is active; the "
            "image was kept."))
    items.append(EvidenceItem(_observed(
        "image_is", image=ev.nova.image_id or OBSERVATIONS["id_not_known"],
        status="active"), SRC_GLANCE))
    _event_items(ev, event, reports_failure, items)
    if ev.boot_source is paths.BootSource.VOLUME:
        pending = _volume_snapshots(ev, items)
        if pending is not None:
            return pending
    return _active(ev, captured, exact, items, warnings)


def _volume_snapshots(ev, items):
    statuses = [(s or "").lower() for s in ev.volume_snapshot_statuses]
    if statuses:
        items.append(EvidenceItem(", ".join(statuses), SRC_CINDER))
    if "error" in statuses:
        return _verdict(Level.FAILED, causes.cause("volume_snapshot_error"),
                        items, gettext_noop(
                            "Delete this test snapshot and test again; ask "
                            "the cloud operator if it fails again."),
                        rests_on=SRC_CINDER, strength=Strength.CLOUD)
    if any(s in ("creating", "backing-up") for s in statuses):
        return _in_progress(ev, ImageFate.PENDING, items,
                            causes.cause("in_progress_cinder"))
    if _awaiting_volume_thaw(ev):
        return _in_progress(ev, ImageFate.PENDING, items,
                            causes.cause("in_progress_thaw"))
    return None


# nova/compute/api.py snapshot_volume_backed sends the thaw (a one-way
# unquiesce_instance) only after the volume snapshots left "creating", after
# the image is active: the guest's thaw line can come seconds later (11-34 s
# measured on the demo's loaded TCG guests).  A freeze without its thaw is
# read as "still frozen" only after this long.
VOLUME_THAW_GRACE = 120.0


def _awaiting_volume_thaw(ev):
    if ev.probe is None or ev.requested_at is None or ev.settled_at is None:
        return False
    if not any(not p.ended_by_reboot for p in ev.probe.unmatched_freezes):
        return False
    elapsed = timestamps.seconds_between(ev.requested_at, ev.settled_at)
    return elapsed is not None and 0 <= elapsed < VOLUME_THAW_GRACE


# --- an active image: ranked evidence ----------------------------------------

@dataclasses.dataclass(frozen=True)
class _Path:
    """The snapshot path's facts, as far as they are known."""
    volume: bool
    power: paths.Power
    agent: object            # True / False / None (unknown)
    quiesce: object
    exact: bool              # captured properties known exactly
    captured_source: str     # the evidence source of agent/quiesce
    storage: paths.Storage
    rbd_location: bool
    other_driver: bool

    @property
    def running(self):
        return self.power is paths.Power.RUNNING

    @property
    def enforced(self):
        """Nova's synchronous quiesce proves the freeze: volume-backed,
        ACTIVE, agent channel and os_require_quiesce known exactly
        (nova/compute/api.py ``snapshot_volume_backed``)."""
        return (self.volume and self.running and bool(self.agent) and
                bool(self.quiesce) and not self.other_driver and
                self.exact)

    def ruled_out(self):
        """(cause, next step, source) when Nova could not have frozen the
        guest on this path, else None."""
        if not self.volume and self.storage is paths.Storage.RBD:
            return (causes.cause("rbd_setting"), _STEP_RBD, SRC_STORAGE)
        if not self.volume and \
                self.storage is paths.Storage.NO_LIVE_SNAPSHOT:
            return (causes.cause("no_live_snapshot"), _STEP_STOP_CLEANLY,
                    SRC_STORAGE)
        if self.power in (paths.Power.PAUSED, paths.Power.SUSPENDED):
            return (causes.cause("paused", power=self.power.value),
                    gettext_noop(
                        "Resume the instance before snapshotting (so the "
                        "agent can freeze it), or stop it cleanly."),
                    SRC_SERVER)
        if self.other_driver:
            return (causes.cause("other_driver"), _STEP_STOP_CLEANLY,
                    SRC_DRIVER)
        if self.agent is False and self.exact:
            return (causes.cause("no_agent_channel"), _STEP_NO_CHANNEL,
                    self.captured_source)
        return None


_STEP_RBD = gettext_noop(
    "Stop the instance before snapshotting, or use a volume-backed instance "
    "with os_require_quiesce, for a consistent snapshot.")
_STEP_STOP_CLEANLY = gettext_noop(
    "Stop the instance cleanly before snapshotting for a consistent copy.")
_STEP_NO_CHANNEL = gettext_noop(
    "Give the instance hw_qemu_guest_agent (Instances tab, ways to fix) and "
    "run qemu-guest-agent in the guest.")


def _path_of(ev, captured, exact, items):
    source = next((i.source for i in items
                   if i.source in (SRC_INHERITED,) + tuple(
                       _SOURCE_NAMES.values())), SRC_CAPTURED)
    return _Path(
        volume=ev.boot_source is paths.BootSource.VOLUME,
        power=ev.power_at_request,
        agent=captured.guest_agent.value if captured is not None else None,
        quiesce=(captured.require_quiesce.value if captured is not None
                 else None),
        exact=exact, captured_source=source, storage=ev.storage,
        rbd_location=_rbd_location(ev),
        other_driver=ev.virt_driver is paths.VirtDriver.OTHER)


@dataclasses.dataclass(frozen=True)
class _Bytes:
    """What the snapshot's own bytes settle."""
    clean: bool = False
    recovery: bool = False
    filesystems: str = ""    # "ext4 on the whole disk" (a marked text)
    located: str = ""        # the same as stored with a cause: "d:ext4"
    proof: str = ""          # "ext4 / clean": kinds and states, as data
    why_not: str = ""        # why they settle nothing (when read)

    @property
    def shown(self):
        """The basis of a verdict the bytes settle against a freeze."""
        return fill(PROOFS["proof_bytes_shown"], proof=self.proof)

    @property
    def proven(self):
        """The basis of a freeze the bytes prove."""
        return fill(PROOFS["proof_bytes"], proof=self.proof)


_NO_JOURNAL_FLAG = gettext_noop(
    "no filesystem in it keeps a journal flag the dashboard can read "
    "({kinds})")
_NONE_FOUND = gettext_noop("none found")

# code -> the line naming what a settled verdict rests on (Verdict.proof)
PROOFS = {
    "proof_bytes": gettext_noop("proven by the snapshot ({proof})"),
    "proof_bytes_shown": gettext_noop("shown by the snapshot ({proof})"),
    "proof_held_writes": gettext_noop(
        "proven by the guest's held writes ({held})"),
    "proof_nova": gettext_noop("enforced by Nova"),
}


_FS_WORDS = {
    snapshot_bytes.FsState.CLEAN: OBSERVATIONS["fs_clean"],
    snapshot_bytes.FsState.NO_JOURNAL: OBSERVATIONS["fs_no_journal"],
    snapshot_bytes.FsState.NOT_CHECKABLE: OBSERVATIONS["fs_not_checkable"],
}


def _where_words(where):
    """Where a filesystem is, as the disk reader's marked words (also for
    a check made with plain English words)."""
    code = snapshot_bytes.where_code(where)
    return snapshot_bytes.where_text(code) if code else where


def _fs_observation(fs):
    # where ("whole disk", "partition 1") and the reason are the disk
    # reader's marked words (core/snapshot_bytes.py); the kind is data
    where = _where_words(fs.where)
    where = _observed("fs_labelled", where=where, label=fs.label) \
        if fs.label else where
    if fs.state is snapshot_bytes.FsState.NEEDS_RECOVERY:
        return _observed("fs_needs_recovery", kind=fs.kind, where=where)
    return _observed("fs_state_reason" if fs.reason else "fs_state",
                     kind=fs.kind, where=where, state=_FS_WORDS[fs.state],
                     reason=fs.reason)


def _read_bytes(ev, items):
    check = ev.disk_check
    if check is None:
        return _Bytes()
    if not check.checkable:
        why = OBSERVATIONS["no_ranges"] if check.ranges_unsupported else \
            unstopped(check.reason or "") or OBSERVATIONS["unreadable"]
        items.append(EvidenceItem(_observed("bytes_not_checked", why=why),
                                  SRC_BYTES))
        for fs in check.filesystems:
            items.append(EvidenceItem(_fs_observation(fs), SRC_BYTES))
        return _Bytes(why_not=why)
    for fs in check.filesystems:
        items.append(EvidenceItem(
            _fs_observation(fs), SRC_BYTES,
            Strength.SNAPSHOT_BYTES if fs in check.journaled
            else Strength.CLOUD))
    state = snapshot_bytes.FsState
    wanted = state.NEEDS_RECOVERY if check.any_needs_recovery else \
        state.CLEAN if check.all_clean else None
    if wanted is None:
        return _Bytes(why_not=fill(
            _NO_JOURNAL_FLAG, kinds=", ".join(
                f.kind for f in check.filesystems) or _NONE_FOUND))
    found = [f for f in check.filesystems if f.state is wanted]
    return _Bytes(clean=wanted is state.CLEAN,
                  recovery=wanted is state.NEEDS_RECOVERY,
                  filesystems=snapshot_bytes.located(found),
                  located=_located_param(found),
                  proof=", ".join("%s / %s" % (f.kind, f.state.value)
                                  for f in found))


def _located_param(found):
    """The filesystems as a cause's parameter keeps them (language-neutral
    codes; the words for a filesystem the disk reader could not have
    found)."""
    try:
        return snapshot_bytes.located_code(found)
    except ValueError:
        return str(snapshot_bytes.located(found))


@dataclasses.dataclass(frozen=True)
class _Judgement:
    level: Level
    cause: causes.Cause
    step: str
    rests_on: str
    strength: Strength
    verified_by: str = None
    proof: str = ""
    uses_pair: bool = False      # the guest's freeze time applies


def _apps(pair):
    return ", ".join(a for a, r in sorted(pair.app_results(
        "freeze").items()) if r == "ok")


def _apps_note(pair):
    if pair is None:
        return ""
    apps = pair.app_results("freeze")
    if any(r in ("fail", "released") for r in apps.values()) or pair.guards:
        return "apps_failed"    # causes.NOTES
    return ""


def _proven(pair, code, apps_code, rests_on, strength, verified_by, proof,
            **params):
    """A proven freeze; application-consistent only when the app hooks
    held their data too."""
    if pair is not None and pair.application_consistent:
        return _Judgement(Level.APPLICATION_CONSISTENT,
                          causes.cause(apps_code, apps=_apps(pair), **params),
                          _next_for_verified(pair), rests_on, strength,
                          verified_by, proof, True)
    return _Judgement(Level.FILESYSTEM_CONSISTENT,
                      causes.cause(code, apps_note=_apps_note(pair),
                                   **params),
                      _next_for_verified(pair), rests_on, strength,
                      verified_by, proof, pair is not None)


def _next_for_verified(pair):
    if pair is not None and pair.application_consistent:
        return gettext_noop(
            "Nothing to do: keep this snapshot as a backup or delete it.")
    if _apps_note(pair):
        return gettext_noop(
            "Fix the failing application hooks (see the guest's "
            "fsfreeze-hook log), then test again.")
    return gettext_noop(
        "For application consistency, add fsfreeze hooks for the "
        "applications in this guest (the guest probe kit has examples).")


def _judge_by_bytes(path, found, guest, warnings):
    if found.recovery:
        _contradiction(guest, found, warnings)
        return _Judgement(
            Level.CRASH_CONSISTENT,
            causes.cause("bytes_needs_recovery",
                         filesystems=found.located),
            _crash_step(path, guest), SRC_BYTES, Strength.SNAPSHOT_BYTES,
            "snapshot", found.shown)
    if not found.clean:
        return None
    if path.ruled_out() is not None:
        warnings.append(
            gettext_noop(
                "The snapshot's journal is clean although Nova could not "
                "have frozen the guest on this path: the filesystem was "
                "probably not mounted read-write when it was copied."))
    pair = guest.pair if guest.pair is not None and path.running else None
    return _proven(pair, "bytes_clean", "bytes_clean_apps", SRC_BYTES,
                   Strength.SNAPSHOT_BYTES, "snapshot", found.proven,
                   filesystems=found.located)


_CLAIM_HELD = gettext_noop(
    "The guest reported its writes held while frozen (seq {seq})")
_CLAIM_PAIR = gettext_noop("The guest reported a freeze and thaw (seq {seq})")


def _contradiction(guest, found, warnings):
    if guest.pair is None:
        return
    claim = _CLAIM_HELD if guest.writes_proved else _CLAIM_PAIR
    warnings.insert(0, fill(LOUD_CONTRADICTION,
                            claim=fill(claim, seq=guest.pair.seq),
                            fs=found.filesystems))


def _crash_step(path, guest):
    ruled = path.ruled_out()
    if ruled is not None:
        return ruled[1]
    if path.agent is False:
        return _STEP_NO_CHANNEL
    if guest.pair is not None:
        return gettext_noop(
            "The guest's freeze report does not match the snapshot: check "
            "the agent's log (guest-fsfreeze-freeze) and that FIFREEZE "
            "succeeds in the guest, then test again.")
    if path.agent is None:
        return gettext_noop(
            "Check that the instance has hw_qemu_guest_agent and that "
            "qemu-guest-agent runs and answers in the guest, then test "
            "again.")
    return gettext_noop(
        "Check that qemu-guest-agent is running and answering in the guest "
        "(the instance has the agent channel), then test again.")


def _judge_proven(path, guest, warnings):
    pair = guest.pair
    if pair is not None and guest.writes_proved:
        held = _held(guest)
        if path.rbd_location and path.storage is paths.Storage.UNKNOWN:
            warnings.append(
                gettext_noop(
                    "The image is stored on Ceph (rbd:// location), but "
                    "the guest's freeze shows Nova took the live snapshot "
                    "path: instance disks are not on Ceph here."))
        return _proven(pair, "held_writes", "held_writes_apps", SRC_HELD,
                       Strength.HELD_WRITES, "guest",
                       fill(PROOFS["proof_held_writes"], held=held),
                       held=held, seq=pair.seq)
    if path.enforced:
        return _proven(pair, "nova_enforced", "nova_enforced_apps",
                       SRC_QUIESCE, Strength.NOVA_QUIESCE, "nova",
                       PROOFS["proof_nova"])
    return None


def _unknown(cause, step, rests_on=SRC_PREDICTION,
             strength=Strength.PREDICTION):
    return _Judgement(Level.UNKNOWN, cause, step, rests_on, strength)


def _judge_guest_only(path, found, guest):
    """The guest's words without a proven freeze: a failed hook, a freeze
    without thaw, a hook pair."""
    failed_hook = guest.failed_hook
    if failed_hook is not None:
        failed = sorted(a for a, r in failed_hook.app_results(
            "freeze").items() if r == "fail")
        return _Judgement(
            Level.CRASH_CONSISTENT,
            causes.cause("hook_failed", apps=", ".join(failed)),
            gettext_noop(
                "Fix the failing application hook, check that the guest is "
                "not left frozen, then test again."), SRC_GUEST,
            Strength.GUEST_REPORT)
    if guest.unmatched:
        return _unknown(causes.cause("freeze_no_thaw"),
                        gettext_noop(
                            "Check the guest now: it may still be frozen "
                            "(writes in it hang). A hard reboot of the "
                            "instance thaws it, as does an admin's virsh "
                            "domfsthaw on its compute host; then read the "
                            "agent's log and test again."),
                        SRC_GUEST,
                        Strength.GUEST_REPORT)
    pair = guest.pair
    if pair is None:
        return None
    if guest.version not in (None, "v1"):
        return _unknown(
            causes.cause("hooks_ran_not_held", seq=pair.seq),
            gettext_noop(
                "Check the agent's log for the freeze "
                "(guest-fsfreeze-freeze): FIFREEZE failed or the "
                "filesystems cannot be frozen (vfat); then test again."),
            SRC_GUEST, Strength.HOOK_PAIR)
    return _unknown(
        causes.cause("hooks_ran_unproven", seq=pair.seq,
                     gap=_fmt_seconds(pair.duration)),
        _with_bytes_note(_STEP_UPDATE_KIT, found), SRC_GUEST,
        Strength.HOOK_PAIR)


_BYTES_NOTE = gettext_noop(
    "{step} (The snapshot's bytes could not settle it: {why_not}.)")
# The next steps that may get that note
_STEP_UPDATE_KIT = gettext_noop(
    "Update the guest probe kit: its newer version holds a test write on "
    "each filesystem during the freeze, which proves it.")
_STEP_ASK_STORAGE = gettext_noop(
    "Ask the cloud operator where instance disks are kept (the dashboard's "
    "CONSISTENCY_DASHBOARD_STORAGE setting), or install the guest probe "
    "kit.")
_STEP_SET_QUIESCE = gettext_noop(
    "Set os_require_quiesce so Nova enforces the freeze.")
_STEP_CONSOLE_NEEDED = gettext_noop(
    "Console output is needed for the guest's report; ask the operator to "
    "enable it.")
_STEP_SHUT_DOWN = gettext_noop(
    "Shut the guest down from inside (so it unmounts its filesystems) "
    "before snapshotting, then test again.")


def _with_bytes_note(step, found):
    if found.why_not:
        return fill(_BYTES_NOTE, step=step, why_not=found.why_not)
    return step


def _probe_silent(report, guest):
    return (report is not None and guest.pair is None and
            report.probe_seen_before_baseline and
            not report.reboot_after_baseline and
            (report.baseline_match.positional or report.baseline_match is
             probe_mod.BaselineMatch.PROBE_ANCHOR))


def _judge_nothing_proven(ev, path, found, guest, items):
    report = ev.probe
    if path.rbd_location and path.storage is paths.Storage.UNKNOWN:
        return _unknown(causes.cause("rbd_location_only"),
                        _with_bytes_note(_STEP_ASK_STORAGE, found),
                        SRC_LOCATIONS, Strength.CLOUD)
    if _probe_silent(report, guest):
        items.append(EvidenceItem(_observed("probe_silent"), SRC_GUEST,
                                  Strength.GUEST_REPORT))
        return _Judgement(
            Level.CRASH_CONSISTENT, causes.cause("probe_silent"),
            gettext_noop(
                "Check that qemu-guest-agent is running and answering in "
                "the guest, then test again."),
            SRC_GUEST, Strength.GUEST_REPORT)
    if report is None and ev.console_error:
        return _unknown(
            causes.cause("console_unavailable", error=ev.console_error),
            _with_bytes_note(_STEP_SET_QUIESCE if path.volume
                             else _STEP_CONSOLE_NEEDED, found))
    return _silent(path, found)


_STEP_KIT = gettext_noop(
    "Install the guest probe kit: its fsfreeze hooks hold a test write "
    "during the freeze, which proves it.")
_STEP_KIT_OR_RECREATE = gettext_noop(
    "Install the guest probe kit: its fsfreeze hooks hold a test write "
    "during the freeze, which proves it; or recreate the server from its "
    "boot volume (Instances tab, ways to fix) so it runs with the volume's "
    "metadata.")
_STEP_KIT_OR_QUIESCE = gettext_noop(
    "Install the guest probe kit: its fsfreeze hooks hold a test write "
    "during the freeze, which proves it, or set os_require_quiesce so Nova "
    "enforces the freeze.")


def _silent(path, found):
    """Nothing from the guest and no proof: say what is missing."""
    if path.agent is None:
        return _unknown(causes.cause("captured_unknown"),
                        _with_bytes_note(_STEP_KIT, found))
    if path.volume and path.quiesce and not path.exact:
        return _unknown(causes.cause("volume_not_exact"),
                        _with_bytes_note(_STEP_KIT_OR_RECREATE, found))
    if path.volume:
        return _unknown(causes.cause("volume_not_enforced"),
                        _with_bytes_note(_STEP_KIT_OR_QUIESCE, found))
    return _unknown(causes.cause("image_silent"),
                    _with_bytes_note(_STEP_KIT, found))


def _judge_running(ev, path, found, guest, items, warnings):
    if guest.pair is not None and (path.ruled_out() is not None or
                                   not path.running):
        warnings.append(
            gettext_noop(
                "The guest reported a freeze during the snapshot, but Nova "
                "could not have frozen it on this path: the freeze came "
                "from somewhere else."))
        guest.pair = None
    judged = _judge_by_bytes(path, found, guest, warnings) or \
        _judge_proven(path, guest, warnings)
    if judged is not None:
        return judged
    ruled = path.ruled_out()
    if ruled is not None:
        return _Judgement(Level.CRASH_CONSISTENT, ruled[0], ruled[1],
                          ruled[2], Strength.CLOUD)
    if path.agent is False:
        return _Judgement(Level.CRASH_CONSISTENT,
                          causes.cause("no_agent_channel"), _STEP_NO_CHANNEL,
                          path.captured_source, Strength.CLOUD)
    return _judge_guest_only(path, found, guest) or \
        _judge_nothing_proven(ev, path, found, guest, items)


def _judge_stopped(ev, found, items):
    """A cold snapshot: consistent if the guest shut down cleanly
    (LibvirtDriver.snapshot takes no live snapshot of a SHUTDOWN guest)."""
    step = _with_bytes_note(_STEP_SHUT_DOWN, found)
    if found.clean:
        return _proven(None, "bytes_clean", "bytes_clean_apps", SRC_BYTES,
                       Strength.SNAPSHOT_BYTES, "snapshot", found.proven,
                       filesystems=found.located)
    if found.recovery:
        return _Judgement(
            Level.CRASH_CONSISTENT,
            causes.cause("bytes_needs_recovery",
                         filesystems=found.located),
            gettext_noop(
                "Shut the guest down from inside before snapshotting: Nova "
                "forces the power off after its shutdown timeout, which "
                "leaves the journal dirty."),
            SRC_BYTES, Strength.SNAPSHOT_BYTES, "snapshot", found.shown)
    report = ev.probe
    if report is not None and report.power_down_seen:
        items.append(EvidenceItem(_observed("power_off"), SRC_GUEST,
                                  Strength.GUEST_REPORT))
        return _unknown(causes.cause("stopped_power_off_reported"), step,
                        SRC_GUEST, Strength.GUEST_REPORT)
    if report is None and ev.console_error:
        return _unknown(causes.cause("stopped_console_unavailable",
                                     error=ev.console_error), step,
                        SRC_CONSOLE, Strength.CLOUD)
    return _unknown(causes.cause("stopped_no_report"), step, SRC_SERVER,
                    Strength.CLOUD)


def _storage_items(ev, path, items):
    if path.rbd_location:
        items.append(EvidenceItem(_observed("rbd_location"), SRC_LOCATIONS))
    if ev.storage is not paths.Storage.UNKNOWN:
        items.append(EvidenceItem(
            _observed("root_disks", storage=ev.storage.value), SRC_STORAGE))


# How the freeze time shown was measured (Verdict.freeze_measured_by)
MEASURED_BY_HELD = gettext_noop("held writes")
MEASURED_BY_HOOKS = gettext_noop("hook gap")


def _freeze_time(guest, judged):
    """The freeze time shown: the held-write time (the freeze itself, seen
    from inside) before the hook gap (which includes the hooks' own
    time)."""
    if not judged.uses_pair or guest.pair is None:
        return None, None
    if guest.held_seconds is not None:
        return guest.held_seconds, MEASURED_BY_HELD
    return guest.pair.duration, MEASURED_BY_HOOKS


def _active(ev, captured, exact, items, warnings):
    """3. How consistent is the active image?"""
    guest = _Guest(ev)
    if ev.probe is not None:
        _guest_items(guest, items, warnings)
    elif ev.console_error:
        items.append(EvidenceItem(
            _observed("console_unavailable", error=ev.console_error),
            SRC_CONSOLE))
    path = _path_of(ev, captured, exact, items)
    _storage_items(ev, path, items)
    found = _read_bytes(ev, items)
    if path.power is paths.Power.STOPPED:
        judged = _judge_stopped(ev, found, items)
    else:
        judged = _judge_running(ev, path, found, guest, items, warnings)
    freeze, measured = _freeze_time(guest, judged)
    return _verdict(judged.level, judged.cause, items, judged.step,
                    warnings=tuple(warnings), freeze_seconds=freeze,
                    verified_by=judged.verified_by, rests_on=judged.rests_on,
                    strength=judged.strength, proof=judged.proof,
                    freeze_measured_by=measured)


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
CAUSE_CODE = "consistency_cause_code"
CAUSE_PARAMS = "consistency_cause_params"
RESTS_ON = "consistency_rests_on"
STRENGTH = "consistency_strength"
PROOF = "consistency_proof"
FREEZE_MEASURED_BY = "consistency_freeze_measured_by"
# The snapshot's bytes, read once when the image became active
# (api/images.py check_snapshot), stored so they are never read again.
DISK_CHECK = "consistency_disk_check"

MAX_VALUE = 255
# code -> the texts a next step or a warning with values is made of (their
# msgids are too long to be stored in a property as they are)
NOTES = {
    "bytes_note": _BYTES_NOTE, "no_journal_flag": _NO_JOURNAL_FLAG,
    "none_found": _NONE_FOUND, "step_kit": _STEP_KIT,
    "step_kit_or_recreate": _STEP_KIT_OR_RECREATE,
    "step_kit_or_quiesce": _STEP_KIT_OR_QUIESCE,
    "step_update_kit": _STEP_UPDATE_KIT, "step_ask_storage": _STEP_ASK_STORAGE,
    "step_set_quiesce": _STEP_SET_QUIESCE,
    "step_console_needed": _STEP_CONSOLE_NEEDED,
    "step_shut_down": _STEP_SHUT_DOWN,
    "contradiction": LOUD_CONTRADICTION, "claim_held": _CLAIM_HELD,
    "claim_pair": _CLAIM_PAIR, "thaw_failed": _THAW_FAILED,
    "guard_released": _GUARD_RELEASED, "disputed": _DISPUTED,
    "other_pairs": _OTHER_PAIRS, "newer_probe": _NEWER_PROBE,
    "clock": _CLOCK_NOTE,
}
# code -> template: the texts stored on an image by code (short, and the
# same code when the words change)
STORED_TEXTS = dict(
    OBSERVATIONS, **PROOFS, **NOTES,
    # the disk reader's sentences, quoted in evidence items
    **{"disk_reason_" + code: text
       for code, text in snapshot_bytes.REASONS.items()},
    **{"fs_reason_" + code: text
       for code, text in snapshot_bytes.FS_REASONS.items()},
    # where a filesystem is, alone and with its kind
    **{"where_" + code: text for code, text in snapshot_bytes.WHERE.items()},
    **{"located_" + code: text
       for code, text in snapshot_bytes.LOCATED.items()})


# msgid -> code: how a text stored by code is found (the inverse of
# STORED_TEXTS)
_STORED_CODES = {str(template): code
                 for code, template in STORED_TEXTS.items()}

MAX_EVIDENCE_ITEMS = 12
MAX_WARNINGS = 4
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


def _numbered(name, values, count):
    """``name_1`` .. ``name_<count>``: the values, then empty ones."""
    return {"%s_%d" % (name, i + 1): (values[i] if i < len(values) else "")
            for i in range(count)}


def image_properties_for(verdict, checked_at):
    """The verdict and its key evidence as namespaced Glance properties.

    What a user reads is stored without its language, so a reader in
    another language sees it in theirs: the cause as a code with short
    parameters (rendered whole by core/causes.py), beside the sentence
    clipped for older readers; each evidence item (``consistency_evidence_N``)
    as JSON of its observation's msgid and values, its source's code and its
    strength (``EvidenceItem.to_property``); the proof, the next step and
    each warning (``consistency_warnings_N``) with values as JSON of their
    msgid and values, without values as their words, which are the msgid
    (``text_property``).  ``consistency_evidence`` and
    ``consistency_warnings`` join the English words, for a person reading
    the image's properties; ``consistency_rests_on`` is the source's msgid.
    Every value is at most 255 characters."""
    texts = [item.text for item in verdict.evidence]
    found = {
        VERDICT: verdict.level.value,
        CAUSE: _clip(verdict.cause),
        CAUSE_CODE: verdict.cause_code or "",
        CAUSE_PARAMS: _clip(causes.encode_params(verdict.cause_params)),
        EVIDENCE: _join(texts),
        # Each item also whole in its own property (values are capped at 255
        # characters, so one joined property cuts the later items off).
        **_numbered(EVIDENCE, [item.to_property()
                               for item in verdict.evidence],
                    MAX_EVIDENCE_ITEMS),
        NEXT_STEP: text_property(verdict.next_step),
        WARNINGS: _join(verdict.warnings),
        **_numbered(WARNINGS, [text_property(w) for w in verdict.warnings],
                    MAX_WARNINGS),
        CHECKED_AT: timestamps.format_timestamp(checked_at),
        VERIFIED_BY: verdict.verified_by or "",
        RESTS_ON: _clip(verdict.rests_on or ""),
        STRENGTH: verdict.strength.name if verdict.strength else "",
        PROOF: text_property(verdict.proof or ""),
        FREEZE_MEASURED_BY: verdict.freeze_measured_by or "",
        FREEZE_SECONDS: ("%.3f" % verdict.freeze_seconds
                         if verdict.freeze_seconds is not None else ""),
    }
    return found


@dataclasses.dataclass(frozen=True)
class StoredVerdict(_Basis):
    """A verdict read back from a test snapshot's properties."""
    level: Level
    cause: str
    evidence: tuple         # EvidenceItem
    next_step: str
    warnings: tuple
    freeze_seconds: float
    verified_by: str
    checked_at: object      # aware datetime or None
    requested_at: object
    rests_on: str = None
    strength: Strength = None
    proof: str = ""
    cause_code: str = None
    cause_params: tuple = ()
    freeze_measured_by: str = None

    @property
    def label(self):
        return self.level.value


def _split(text):
    return tuple(p for p in (text or "").split(_SEPARATOR) if p)


def _numbered_back(found, name, count):
    return tuple(found["%s_%d" % (name, i + 1)] for i in range(count)
                 if found.get("%s_%d" % (name, i + 1)))


def _float(text):
    try:
        return float(text) if text else None
    except ValueError:
        return None


def stored_cause(code, params, sentence):
    """The full cause sentence from its code, or the stored sentence for a
    record written before codes (or by a newer dashboard)."""
    return causes.render(code, params) or sentence or ""


def verdict_from_image_properties(image_properties):
    """The :class:`StoredVerdict` on a test snapshot, or None when it has no
    (readable) verdict."""
    found = captured_mod.image_properties(image_properties or {})
    try:
        level = Level(found.get(VERDICT))
    except ValueError:
        return None
    params = causes.decode_params(found.get(CAUSE_PARAMS))
    code = found.get(CAUSE_CODE) or None
    rests_on = found.get(RESTS_ON) or None
    return StoredVerdict(
        level=level,
        cause=stored_cause(code, params, found.get(CAUSE, "")),
        evidence=tuple(
            EvidenceItem.from_property(text, sources=(rests_on,))
            for text in (_numbered_back(found, EVIDENCE, MAX_EVIDENCE_ITEMS)
                         or _split(found.get(EVIDENCE)))),
        next_step=text_from_property(found.get(NEXT_STEP)),
        warnings=tuple(text_from_property(w) for w in (
            _numbered_back(found, WARNINGS, MAX_WARNINGS) or
            _split(found.get(WARNINGS)))),
        freeze_seconds=_float(found.get(FREEZE_SECONDS)),
        verified_by=found.get(VERIFIED_BY) or None,
        checked_at=timestamps.parse_timestamp(found.get(CHECKED_AT)),
        requested_at=timestamps.parse_timestamp(found.get(REQUESTED_AT)),
        rests_on=rests_on,
        strength=Strength.__members__.get(found.get(STRENGTH) or ""),
        proof=text_from_property(found.get(PROOF)),
        cause_code=code, cause_params=params,
        freeze_measured_by=found.get(FREEZE_MEASURED_BY) or None,
    )
