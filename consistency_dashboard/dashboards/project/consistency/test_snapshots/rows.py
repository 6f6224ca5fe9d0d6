"""Rows of the Test snapshots tab: one test snapshot request, joined from
its image (marked by the plugin, carrying the verdict once known) and its
record in the instance's server metadata (records.py).  Plain dicts in; the
core decides the stage and the verdict, not this module."""

import datetime

from django.utils.translation import gettext_lazy as _

from openstack_dashboard import api

from consistency_dashboard.api import errors
# The one "resource to plain dict" helper; this package's modules call it
# as ``rows.plain``.
from consistency_dashboard.api.resources import plain  # noqa: F401
from consistency_dashboard.core import captured as core_captured
from consistency_dashboard.core import poll as core_poll
from consistency_dashboard.core import timestamps
from consistency_dashboard.core import verdict as core_verdict
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import records

# Our own addition to the createImage metadata (the core's marker_metadata
# does not carry it): the power state at the request decides the snapshot
# path (a stopped instance gets a cold snapshot).
POWER_AT_REQUEST = "consistency_power_at_request"

# What the row's status column says to Horizon's ajax rows: "polling" keeps
# the row updating itself, anything else stops it.
POLLING = "polling"
SETTLED = "settled"
FAILED = "failed"
STILL_RUNNING = "still running"
LOGIN_EXPIRED = "log in again"
LOGIN_EXPIRED_NOTE = _("Your login has expired: log in again. The test "
                       "snapshot goes on in Nova; nothing was decided or "
                       "lost, and this row resumes after you log in.")

# Row id: <instance id>_<requested at, compact>[_<image id>].  The image id
# rides along so a row whose instance was deleted (record gone with it) can
# still find out what became of its image.  OpenStack ids have no "_".
SEPARATOR = "_"


def now():
    return datetime.datetime.now(timestamps.UTC)


def row_id(instance_id, stamp, image_id=None):
    parts = [instance_id, stamp] + ([image_id] if image_id else [])
    return SEPARATOR.join(parts)


def split_row_id(value):
    """``(instance_id, stamp, image_id or None)``; ValueError when it is
    not a row id."""
    parts = str(value).split(SEPARATOR)
    if len(parts) not in (2, 3) or not parts[0] or \
            records.requested_at_of(parts[1]) is None:
        raise ValueError("not a test snapshot row id: %r" % value)
    return parts[0], parts[1], (parts[2] if len(parts) == 3 else None)


def image_key(image):
    """``(instance_id, stamp)`` of a test snapshot image, or None."""
    found = core_captured.image_properties(image)
    if not core_verdict.is_test_snapshot(found):
        return None
    stamp = records.stamp_of(found.get(core_verdict.REQUESTED_AT))
    instance_id = found.get(core_verdict.INSTANCE)
    if not stamp or not instance_id:
        return None
    return instance_id, stamp


def project_of_server(server):
    """The project a server belongs to (``tenant_id`` in Nova's server
    show), or None when the answer does not say."""
    server = server or {}
    return server.get("tenant_id") or server.get("project_id") or None


def server_in_project(server, project_id):
    """The server is one of the current project's (an admin's token reads
    any project's server: Nova's show does not filter by project)."""
    return bool(project_id) and project_of_server(server) == project_id


def owned_test_snapshot(image, instance_id, project_id):
    """The image is a test snapshot this plugin made of ``instance_id``,
    owned by ``project_id``: the only images the plugin writes to or
    deletes.  The marker alone is not enough: anyone may set properties on
    an image of their own, naming any instance."""
    if not image or not project_id:
        return False
    found = core_captured.image_properties(image)
    return core_verdict.is_test_snapshot(found) and \
        found.get(core_verdict.INSTANCE) == instance_id and \
        image.get("owner") == project_id


REREAD_GONE = _("Test snapshot %s no longer exists (it was deleted, "
                "perhaps in another tab): nothing was changed.")
REREAD_FAILED = _("Test snapshot %(name)s could not be read again before "
                  "changing it (%(why)s). %(outcome)s")
REREAD_NOT_OURS = _("Image %(image)s is not (or no longer) a test snapshot "
                    "of this instance made by this dashboard in this "
                    "project: it was kept as a backup, perhaps in another "
                    "tab, or is someone else's. %(outcome)s")


def reread_own_test_snapshot(request, image_id, instance_id, name, outcome):
    """Read a test snapshot image again right before deleting or keeping
    it (another tab may have deleted it or kept it as a backup since the
    page was loaded), and check that it is still the current project's own
    test snapshot of ``instance_id``: the only images the plugin changes.

    Returns ``(image dict, None)``, or ``(None, message)`` saying why
    nothing happens; ``outcome`` ends the message when the image is still
    there ("It was not deleted.")."""
    try:
        image = plain(api.glance.image_get(request, image_id))
    except Exception as exc:
        status, why = errors.explain(exc, _("Glance"))
        if status == 404:
            return None, REREAD_GONE % name
        return None, REREAD_FAILED % {"name": name, "why": why,
                                      "outcome": outcome}
    if not owned_test_snapshot(image, instance_id, request.user.project_id):
        return None, REREAD_NOT_OURS % {"image": image_id,
                                        "outcome": outcome}
    return image, None


def may_write_image(request, row):
    """The verdict may be written on the row's image: a marked test
    snapshot of the row's instance, owned by the current project, and the
    instance (when Nova still knows it) is the project's."""
    project_id = request.user.project_id
    if row.server is not None and not server_in_project(row.server,
                                                        project_id):
        return False
    return owned_test_snapshot(row.image, row.instance_id, project_id)


def may_write_record(request, row):
    """The verdict may be written in the row's record on its instance: the
    instance is the project's, and the record is already there (written
    when the test started) or the image is the project's own test snapshot
    of it.  Never a new record for a test that only a URL names."""
    project_id = request.user.project_id
    if row.server is None or not server_in_project(row.server, project_id):
        return False
    metadata = row.server.get("metadata") or {}
    if row.record is not None and row.record.key in metadata:
        recorded = records.parse(row.instance_id, row.record.key,
                                 metadata[row.record.key])
        if recorded is not None and (not recorded.image_id or
                                     not row.image_id or
                                     recorded.image_id == row.image_id):
            return True
    return owned_test_snapshot(row.image, row.instance_id, project_id)


def shown_to_project(request, row):
    """A refreshed row may be shown: its instance (when known) is the
    project's and its image (when there is one) is the project's own test
    snapshot of it.  Anything else came from a crafted row id."""
    project_id = request.user.project_id
    if row.server is not None and not server_in_project(row.server,
                                                        project_id):
        return False
    if row.image is not None and not owned_test_snapshot(
            row.image, row.instance_id, project_id):
        return False
    return True


def disagreement(row, image_id_asked):
    """Why the request and the record disagree, or None: the URL names an
    image but the record of this test names another."""
    recorded = row.record.image_id if row.record is not None else None
    if image_id_asked and recorded and image_id_asked != recorded:
        return _("The link names image %(asked)s, but the record of this "
                 "test on the instance names image %(recorded)s: nothing "
                 "was changed.") % {"asked": image_id_asked,
                                    "recorded": recorded}
    return None


# What became of the image a record names, when the row has none:
IMAGE_GONE = "gone"          # Glance's list or a read by id did not have it
IMAGE_UNCHECKED = "unchecked"  # Glance did not answer: nothing is known


def record_verdict(record, image_state=IMAGE_GONE):
    """The verdict a record keeps for a test without an image: recomputed by
    the core from Nova's answer for a refused request, else the level and
    cause stored when it settled.  ``image_state``: what became of the
    image the record names (``IMAGE_GONE`` or ``IMAGE_UNCHECKED``)."""
    if record is None:
        return None
    if record.state == records.REFUSED and record.http_status:
        return core_verdict.decide(core_verdict.Evidence(
            nova=core_verdict.NovaAnswer(record.http_status, record.message),
            image_fate=core_poll.ImageFate.NOT_CREATED,
            power_at_request=record.power or "running"))
    if record.state == records.NO_ANSWER or (
            record.state == records.REQUESTED and not record.image_id and
            _older_than_bound(record)):
        # Written before createImage, never completed: the request got no
        # answer the dashboard saw.  A late image would be matched first.
        return core_verdict.decide(core_verdict.Evidence(
            nova=core_verdict.NovaAnswer(None, record.message),
            power_at_request=record.power or "running"))
    if record.verdict:
        try:
            level = core_verdict.Level(record.verdict)
        except ValueError:
            return None
        evidence, step = (), _RECORD_NEXT_STEP
        if record.image_id and image_state == IMAGE_UNCHECKED:
            evidence = (core_verdict.EvidenceItem(
                str(_("image %s not checked: Glance did not answer") %
                    record.image_id), core_verdict.SRC_GLANCE),)
            if level is not core_verdict.Level.FAILED:
                step = str(_UNCHECKED_NEXT_STEP)
        elif record.image_id and level is core_verdict.Level.FAILED:
            evidence = (core_verdict.EvidenceItem(
                str(_("image %s is gone") % record.image_id),
                core_verdict.SRC_GLANCE),)
        elif record.image_id:
            # Only a snapshot image that reached Glance gets a verdict other
            # than failed: this one was deleted since, by hand or in
            # another tab.  The verdict stands as recorded; the snapshot is
            # no more.
            evidence = (core_verdict.EvidenceItem(
                str(_("image %s was deleted after the verdict") %
                    record.image_id), core_verdict.SRC_GLANCE),)
            step = str(_DELETED_NEXT_STEP)
        return core_verdict.StoredVerdict(
            level=level, cause=record.cause, evidence=evidence,
            next_step=step, warnings=(), freeze_seconds=None,
            verified_by=None, checked_at=None,
            requested_at=record.requested_at)
    return None


def _older_than_bound(record):
    moment = record.requested_at
    return moment is not None and (now() - moment).total_seconds() >= \
        core_poll.DEFAULT_BOUND_SECONDS


_RECORD_NEXT_STEP = ("Test again; if it fails again, ask the cloud operator "
                     "to look for the instance's snapshot error in the "
                     "compute log.")
_DELETED_NEXT_STEP = _("The verdict stands as recorded, but the snapshot "
                       "no longer exists, so it cannot be restored. Take a "
                       "new test snapshot to have one to restore; this "
                       "record can be discarded (Delete Test Snapshot "
                       "removes only the record).")
_UNCHECKED_NEXT_STEP = _("Reload when Glance answers: whether the test "
                         "snapshot image still exists is not known.")


class TestSnapshotRow(object):
    """One test snapshot request as the tab shows it."""

    def __init__(self, instance_id, stamp, image=None, record=None,
                 server=None, verdict=None, poll_state=None, notes=(),
                 server_state=None, login_expired=False,
                 image_unchecked=False):
        self.login_expired = login_expired
        # Glance did not answer: a missing image is not known to be gone.
        self.image_unchecked = image_unchecked
        self.instance_id = instance_id
        self.stamp = stamp
        self.requested_at = records.requested_at_of(stamp)
        self.image = image
        self.record = record
        self.server = server
        # "deleted" when Nova said 404, "unreachable" when it did not answer
        self.server_state = server_state
        self.properties = core_captured.image_properties(image or {})
        self.image_id = (image or {}).get("id") or (
            record.image_id if record else None)
        self.name = (image or {}).get("name") or self.image_id or \
            _("(no image)")
        self.image_status = (image or {}).get("status")
        self.id = row_id(instance_id, stamp, self.image_id)
        self.instance_name = ((server or {}).get("name") or
                              instance_id)
        self.task_state = (server or {}).get("OS-EXT-STS:task_state")
        self.notes = tuple(notes)
        self.verdict = verdict or (None if login_expired else
                                   self._stored_verdict())
        self.poll_state = poll_state
        if self.poll_state is None and not self.final and \
                not login_expired:
            self.poll_state = core_poll.poll_state(
                self.elapsed_seconds, image_status=self.image_status,
                task_state=self.task_state,
                http_status=404 if self._image_known_gone else None)

    def _stored_verdict(self):
        stored = None
        if self.image is not None:
            stored = core_verdict.verdict_from_image_properties(
                self.properties)
        if stored is None and self.image is None:
            stored = record_verdict(self.record, IMAGE_UNCHECKED
                                    if self.image_unchecked else IMAGE_GONE)
        return stored

    @property
    def _image_known_gone(self):
        return self.image is None and not self.image_unchecked and \
            bool(self.record and self.record.image_id)

    @property
    def elapsed_seconds(self):
        if self.requested_at is None:
            return 0.0
        return max(0.0, (now() - self.requested_at).total_seconds())

    @property
    def final(self):
        return self.verdict is not None and self.verdict.level.final

    @property
    def is_test_snapshot(self):
        """The image carries the plugin's marker (only those images may be
        deleted or kept by the plugin)."""
        return self.image is not None and \
            core_verdict.is_test_snapshot(self.properties)

    @property
    def stage(self):
        if self.login_expired:
            return LOGIN_EXPIRED
        if self.final:
            return core_poll.Stage.DONE.value
        if self.poll_state is None:
            return core_poll.Stage.REQUESTED.value
        if not self.poll_state.keep_polling and \
                self.poll_state.fate is core_poll.ImageFate.TIMED_OUT:
            return STILL_RUNNING
        return self.poll_state.stage.value

    @property
    def stage_label(self):
        if self.final or self.poll_state is None:
            return self.stage
        if self.poll_state.fate.final and not self.final:
            return _("%s (reading the evidence)") % self.stage
        return self.poll_state.label

    @property
    def poll_status(self):
        """Drives Horizon's ajax rows: POLLING rows update themselves."""
        if self.login_expired:
            # Stop polling: every look would be refused until the login.
            return LOGIN_EXPIRED
        if self.final:
            if self.verdict.level is core_verdict.Level.FAILED:
                return FAILED
            return SETTLED
        if self.poll_state is not None and not self.poll_state.keep_polling \
                and self.poll_state.fate is core_poll.ImageFate.TIMED_OUT:
            # Bounded: a slow snapshot is "still running", never "failed";
            # the next page load looks again.
            return STILL_RUNNING
        return POLLING

    @property
    def level_label(self):
        if self.verdict is None:
            return core_verdict.Level.IN_PROGRESS.value
        return self.verdict.level.value

    @property
    def has_detail_page(self):
        """The detail page can load this test again: its instance or its
        image still exists (the page reads them by the row id)."""
        return (self.server is not None and not self.instance_gone) or \
            self.image is not None

    @property
    def instance_gone(self):
        """The instance is deleted (Nova answers 404) or Nova is deleting
        it: task_state ``deleting`` or status ``DELETED``/``SOFT_DELETED``.
        Nova deletes a snapshot's image when the instance goes during the
        snapshot, and can do so while the server still answers."""
        if self.server_state == "deleted":
            return True
        server = self.server or {}
        return server.get("OS-EXT-STS:task_state") == "deleting" or \
            server.get("status") in ("DELETED", "SOFT_DELETED")

    @property
    def resting_item(self):
        """The evidence item the verdict rests on: the first from the source
        the core names; when the core names none (a record's verdict), the
        first item; None otherwise."""
        items = self.verdict.evidence if self.verdict is not None else ()
        rests_on = self.verdict.rests_on if self.verdict is not None else None
        if not rests_on:
            return items[0] if items else None
        return next((item for item in items if item.source == rests_on),
                    None)

    @property
    def rests_on_line(self):
        """``(what, source)``: the one piece of evidence the row shows.  The
        core's proof when it has one ("proven by the snapshot (ext4 /
        clean)", naming its source), else the resting item's observation and
        source, else the basis ("rests on ..."); None while running."""
        verdict = self.verdict
        if verdict is None:
            return None
        if getattr(verdict, "proof", ""):
            return verdict.proof, None
        item = self.resting_item
        if item is None:
            return (verdict.basis, None) if verdict.basis else None
        return item.observation, item.source or None

    @property
    def more_count(self):
        """How many evidence items the row does not show."""
        items = self.verdict.evidence if self.verdict is not None else ()
        return max(0, len(items) - 1)

    @property
    def warnings(self):
        found = tuple(self.verdict.warnings) if self.verdict else ()
        return found + self.notes

    @property
    def may_still_be_frozen(self):
        return any(w == core_verdict.LOUD_STILL_FROZEN or
                   "may still be frozen" in w for w in self.warnings)

    @property
    def can_keep(self):
        return self.is_test_snapshot and self.image_status == "active" and \
            self.final and self.verdict.level is not \
            core_verdict.Level.FAILED


def join(images, servers):
    """Rows for the project's test snapshots from ONE image list (marked
    images, plain dicts; None when Glance did not answer) and ONE server
    list (plain dicts with metadata): images matched to records by
    (instance, requested at); records whose image is gone or never existed
    become rows of their own."""
    unchecked = images is None
    servers_by_id = {s.get("id"): s for s in servers or ()}
    entries = {}
    for server in servers or ():
        for record in records.records_of(server.get("id"),
                                         server.get("metadata")):
            entries[(record.instance_id, record.stamp)] = [record, None]
    for image in images or ():
        key = image_key(image)
        if key is None:
            continue
        entries.setdefault(key, [None, None])[1] = image
    result = [TestSnapshotRow(instance_id, stamp, image=image, record=record,
                              server=servers_by_id.get(instance_id),
                              image_unchecked=unchecked)
              for (instance_id, stamp), (record, image) in entries.items()]
    return sorted(result, key=lambda r: (r.stamp, r.instance_id),
                  reverse=True)
