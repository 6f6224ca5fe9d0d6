"""The causes a verdict gives, as codes with short parameters.

A verdict's cause is a full sentence, often longer than the 255 characters
a Glance property or a Nova metadata value holds.  What outlives the page
(the test snapshot image's ``consistency_*`` properties, the record in the
server metadata) therefore keeps the cause's CODE and its short parameters,
and the sentence is rendered here, from the same templates the verdict used,
so it is never cut off.  Records written before codes existed carry the
sentence itself; readers fall back to it.

Parameters are plain short strings (a sequence number, seconds, an HTTP
status, Nova's message clipped to what fits).  A parameter that stands for
words keeps them language-neutral and is shown as marked text: a note's
code, the filesystems as the disk reader's short codes ("d:ext4",
"p1:ext4,p2:ext4"; an older record's English words read the same way).
"""

import dataclasses
from urllib import parse

from consistency_dashboard.core import snapshot_bytes
from consistency_dashboard.core.i18n import gettext_noop
from consistency_dashboard.core.i18n import ngettext_lazy
from consistency_dashboard.core.i18n import placeholders
from consistency_dashboard.core.i18n import Text

# code -> template (str.format with the parameters by name)
TEMPLATES = {
    # Nova's synchronous answer (nova/api/openstack/compute/servers.py
    # _create_image)
    "no_answer": gettext_noop(
        "Nova did not answer the createImage request{colon_message}; no "
        "test snapshot is known."),
    "refused_quiesce_failed":
        gettext_noop(
            "The guest agent did not freeze the filesystems and "
            "os_require_quiesce is set, so Nova refused the snapshot "
            "(nothing was created): {message}"),
    "refused_busy": gettext_noop(
        "Nova refused because the instance is busy with another task or in "
        "a state that cannot be snapshotted: {message}"),
    "refused_no_agent":
        gettext_noop(
            "os_require_quiesce is set on an instance booted without the "
            "guest agent channel, so Nova refused the snapshot: {message}"),
    "refused_quiesce_unsupported":
        gettext_noop(
            "This hypervisor cannot freeze guests and os_require_quiesce "
            "is set: {message}"),
    "refused_freeze_error":
        gettext_noop(
            "Nova answered HTTP 500. For a volume-backed instance with "
            "os_require_quiesce that is how a freeze shows that failed for "
            "another reason than an unresponsive agent (a failing fsfreeze "
            "hook, a FIFREEZE error; NotImplementedError on drivers other "
            "than libvirt): {message}"),
    "refused_quota": gettext_noop("Over quota: {message}"),
    "refused_policy": gettext_noop("Not allowed: {message}"),
    "refused_gone": gettext_noop("The instance no longer exists: {message}"),
    "refused_other": gettext_noop(
        "Nova refused the snapshot (HTTP {status}): {message}"),
    # after createImage was accepted
    "event_error": gettext_noop("Nova reported: {details}"),
    "instance_deleted": gettext_noop(
        "The instance was deleted while it was being snapshotted."),
    "abandoned": gettext_noop(
        "Nova stopped working on the snapshot and left its image "
        "unfinished: the instance has no snapshot task any more (its "
        "compute service was restarted in the middle of it), so the image "
        "will never be completed."),
    "image_killed": gettext_noop(
        "The image upload failed (Glance marked the image killed); Nova "
        "did not say why."),
    "vanished_no_channel":
        gettext_noop(
            "Nova deleted the snapshot image. Predicted cause: "
            "os_require_quiesce is set but the instance was booted without "
            "hw_qemu_guest_agent, so Nova cannot freeze it and refuses the "
            "live snapshot."),
    "vanished_quiesce_unsupported":
        gettext_noop(
            "Nova deleted the snapshot image. Predicted cause: this "
            "hypervisor cannot quiesce (InstanceQuiesceNotSupported) and "
            "os_require_quiesce is set."),
    "vanished_unexplained":
        gettext_noop(
            "The snapshot image was deleted without saying why: Nova "
            "deletes it when the snapshot fails (for example the compute "
            "host's disk was full or the upload to the image service "
            "failed), and anyone in the project can delete it by hand."),
    "details_admin_only":
        gettext_noop(
            "Nova keeps the error's details for administrators (policy "
            "os_compute_api:os-instance-actions:events:details defaults to "
            "admin)."),
    "details_before_2_84":
        gettext_noop(
            "Nova shows the error's details only from compute API 2.84; "
            "this cloud is older (an administrator can read them)."),
    "volume_snapshot_error": gettext_noop(
        "A Cinder volume snapshot failed: the image is not usable."),
    "deactivated": gettext_noop(
        "The snapshot image exists but an administrator deactivated it; "
        "its data cannot be read."),
    # still running
    "in_progress": gettext_noop("Nova is taking the snapshot."),
    "in_progress_timed_out":
        gettext_noop(
            "Nova is still working on the snapshot after the page stopped "
            "checking; a slow snapshot is not a failure."),
    "in_progress_unreachable":
        gettext_noop(
            "The image service did not answer; the snapshot's outcome is "
            "not known yet."),
    "in_progress_cinder": gettext_noop(
        "Cinder is still creating the volume snapshots."),
    "in_progress_thaw": gettext_noop(
        "The volume snapshots are done; waiting for the guest's thaw, which "
        "Nova sends after them."),
    # an active image: proven
    # the number of filesystems picks the form (see _number)
    "bytes_clean":
        ngettext_lazy(
            "The snapshot's own bytes prove it: {filesystems} in the "
            "snapshot has a clean journal (needs_recovery clear), which a "
            "copy of a mounted read-write filesystem has only when it was "
            "frozen or cleanly unmounted. {apps_note}",
            "The snapshot's own bytes prove it: {filesystems} in the "
            "snapshot have a clean journal (needs_recovery clear), which a "
            "copy of a mounted read-write filesystem has only when it was "
            "frozen or cleanly unmounted. {apps_note}", 1),
    "bytes_clean_apps":
        gettext_noop(
            "The snapshot's own bytes prove the freeze ({filesystems}: "
            "clean journal, needs_recovery clear) and every application "
            "hook held its data: {apps}."),
    "bytes_needs_recovery":
        gettext_noop(
            "{filesystems}: journal needs recovery in the snapshot, so the "
            "copy was taken while the filesystem was mounted and not "
            "frozen, like pulling the power plug."),
    "held_writes":
        gettext_noop(
            "The guest's test writes were held while the filesystems were "
            "frozen ({held}): the freeze happened (seq {seq}). {apps_note}"),
    "held_writes_apps":
        gettext_noop(
            "The guest's test writes were held while the filesystems were "
            "frozen ({held}) and every application hook held its data: "
            "{apps}."),
    "nova_enforced":
        gettext_noop(
            "Nova froze the filesystems before the volume snapshots: the "
            "instance was ACTIVE and volume-backed with "
            "hw_qemu_guest_agent and os_require_quiesce, so the request "
            "would have failed without the freeze. {apps_note}"),
    "nova_enforced_apps":
        gettext_noop(
            "Nova enforced the freeze (volume-backed with "
            "os_require_quiesce) and every application hook held its data: "
            "{apps}."),
    # an active image: not proven
    "hooks_ran_unproven":
        gettext_noop(
            "The guest's hooks ran (freeze seq {seq}, thaw {gap} later), "
            "but the freeze is not proven: hooks ran, freeze not proven. "
            "qemu-ga runs the freeze hook before FIFREEZE and the thaw "
            "hook even when FIFREEZE failed."),
    "hooks_ran_not_held":
        gettext_noop(
            "The guest's hooks ran (freeze seq {seq}) but none of its test "
            "writes was seen held: hooks ran, freeze not proven (FIFREEZE "
            "may have failed, the filesystems may not support it, or the "
            "freeze was shorter than the probe's write interval)."),
    "stopped_power_off_reported":
        gettext_noop(
            "The instance was stopped and the guest reported a power-off "
            "(reboot: Power down), which is not proof that its filesystems "
            "were unmounted cleanly."),
    "stopped_no_report":
        gettext_noop(
            "The instance was stopped: the copy is consistent if the guest "
            "shut down cleanly, and nothing read shows whether it did "
            "(Nova forces the power off after its shutdown timeout)."),
    "stopped_console_unavailable":
        gettext_noop(
            "The instance was stopped: the copy is consistent if the guest "
            "shut down cleanly; its console log is not available ({error}) "
            "and nothing else read shows whether it did."),
    "rbd_setting":
        gettext_noop(
            "Root disks on Ceph RBD are snapshotted with an RBD snapshot "
            "and clone, which never freezes the guest."),
    "rbd_location_only":
        gettext_noop(
            "The snapshot is stored on Ceph (rbd:// location), which says "
            "where Glance keeps images, not where the instance's disks "
            "are; whether Nova could freeze the guest is not known."),
    "no_live_snapshot":
        gettext_noop(
            "Live snapshots are not available for this instance's storage: "
            "Nova suspended the guest for the copy without freezing it."),
    "paused": gettext_noop(
        "The instance was {power}: its agent could not freeze the "
        "filesystems."),
    "other_driver": gettext_noop("This hypervisor cannot freeze guests."),
    "no_agent_channel":
        gettext_noop(
            "The instance was booted without the guest agent channel "
            "(hw_qemu_guest_agent), so no freeze is possible."),
    "hook_failed":
        gettext_noop(
            "An application hook failed ({apps}), so the agent did not "
            "freeze the filesystems; Nova skips a failed freeze silently."),
    "freeze_no_thaw":
        gettext_noop(
            "The guest reported a freeze but no thaw: whether the copy was "
            "taken while frozen is not known."),
    "probe_silent":
        gettext_noop(
            "The guest probe is installed (it reported earlier freezes) "
            "but reported no freeze for this snapshot: the agent did not "
            "freeze, and Nova skips the freeze silently."),
    "console_unavailable":
        gettext_noop(
            "Nova does not report whether it froze the guest, and the "
            "console log cannot be read on this cloud ({error})."),
    "captured_unknown":
        gettext_noop(
            "The properties this instance was booted with are not known, "
            "Nova does not report whether it froze the guest, and the "
            "guest reported nothing."),
    "volume_not_enforced":
        gettext_noop(
            "Nova asked the agent to freeze but, without "
            "os_require_quiesce, skips a failed freeze silently; the guest "
            "reported nothing."),
    "volume_not_exact":
        gettext_noop(
            "The boot volume's image metadata has hw_qemu_guest_agent and "
            "os_require_quiesce now, but that is not necessarily what this "
            "server was started with, so the freeze cannot be taken as "
            "enforced by Nova; the guest reported nothing that proves it."),
    "image_silent":
        gettext_noop(
            "Nova asks the agent to freeze but never reports whether it "
            "did (a failed freeze is skipped silently), and the guest "
            "reported nothing."),
}

MAX_PARAM = 120

# code -> the note a cause's ``{..._note}`` is filled with: the parameter
# keeps the code, the sentence is marked (a record written by an older
# version keeps the English words, read the same way)
NOTES = {
    "apps_failed": gettext_noop("Not every application hook succeeded."),
}
_NOTE_WORDS = {str(text): text for text in NOTES.values()}

# what a ``{message}`` parameter holds when Nova gave no message: stored as
# these English words (the catalogue's msgid), shown translated
NO_MESSAGE = gettext_noop("(no message)")
_MESSAGE_WORDS = {str(NO_MESSAGE): NO_MESSAGE}


def _note(value):
    """A ``{..._note}`` parameter's value as a marked text when it names a
    note, else as it is."""
    value = str(value)
    return NOTES.get(value) or _NOTE_WORDS.get(value.strip()) or value


def _value(name, value):
    """A parameter's value as it is shown: a marked text when it stands for
    words (a note, no message, the filesystems), else the data as it is."""
    if name.endswith("_note"):
        return _note(value)
    if name == "message":
        return _MESSAGE_WORDS.get(str(value), value)
    if name == "filesystems":
        return snapshot_bytes.located_from_code(value) or value
    return value


def _number(values, stored):
    """The number a cause with plural forms counts: its filesystems (an
    older record that could not be read back said "have" for several)."""
    parts = getattr(values.get("filesystems"), "parts", None)
    if parts is not None:
        return len(parts)
    return 1 if stored.get("has_have", "has") == "has" else 2


@dataclasses.dataclass(frozen=True)
class Cause:
    code: str
    params: tuple = ()       # ((name, value), ...), values short strings

    @property
    def text(self):
        return render(self.code, self.params)


def _sentence(text):
    text = " ".join(str(text).split()).rstrip(": ")
    return text if text.endswith((".", "!", "?")) else text + "."


def _clip(value, limit=MAX_PARAM):
    value = " ".join(str(value).split())
    return value if len(value) <= limit else value[:limit - 1] + "\u2026"


def cause(code, **params):
    """A :class:`Cause`; parameters are clipped to ``MAX_PARAM``
    characters (they are quotes of Nova's messages at most)."""
    if code not in TEMPLATES:
        raise KeyError(code)
    return Cause(code, tuple(sorted((k, _clip(v)) for k, v in
                                    params.items())))


class _Sentence(Text):
    """A cause's sentence: a translation gets the same finish."""

    @staticmethod
    def finish(text):
        return _sentence(text)


def render(code, params=()):
    """The full sentence of a cause code (a :class:`Text`), or None for a
    code this version does not know (a newer dashboard wrote it)."""
    template = TEMPLATES.get(code or "")
    if template is None:
        return None
    stored = _Missing(dict(params or ()))
    values = {name: _value(name, stored[name])
              for name in placeholders(template)}
    number = None if template.plural is None else _number(values, stored)
    words = Text(template.template, values, plural=template.plural,
                 number=number)
    return _Sentence(template.template, values, _sentence(words),
                     plural=template.plural, number=number)


class _Missing(dict):
    def __missing__(self, key):
        return "" if key.endswith("_note") else "?"


def encode_params(params):
    """Short parameters as one property value (URL query encoding: no
    ``;``, so they also fit in a server metadata record)."""
    return parse.urlencode(list(params or ()))


def decode_params(text):
    try:
        return tuple(parse.parse_qsl(text or "", keep_blank_values=True))
    except ValueError:
        return ()
