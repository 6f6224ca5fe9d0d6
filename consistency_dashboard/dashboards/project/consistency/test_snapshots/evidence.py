"""Gathering the evidence around one test snapshot from the APIs, as the
plain values the core's verdict function takes (core/verdict.py
``Evidence``), and writing the verdict where it outlives the page.

Every call here goes through ``openstack_dashboard.api`` or
``consistency_dashboard.api``; nothing here decides: ``core.poll`` says
which stage a snapshot is in and when to stop polling, ``core.verdict``
says what the evidence means.
"""

import json
import logging

from django.utils.translation import gettext_lazy as _

from horizon import exceptions

from openstack_dashboard import api

from consistency_dashboard.api import actions as action_calls
from consistency_dashboard.api import errors
from consistency_dashboard.api import images as image_calls
from consistency_dashboard.api import resources
from consistency_dashboard.api import servers as server_calls
from consistency_dashboard.core import captured as core_captured
from consistency_dashboard.core import microversions
from consistency_dashboard.core import poll as core_poll
from consistency_dashboard.core import probe as core_probe
from consistency_dashboard.core import snapshot_bytes
from consistency_dashboard.core import snapshot_paths as paths
from consistency_dashboard.core import verdict as core_verdict
from consistency_dashboard.dashboards.project.consistency.instances \
    import rows as instance_rows
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import records
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import rows

LOG = logging.getLogger(__name__)


def console_text(request, instance_id):
    """``(text, error)``: the console log, or why it cannot be read (501
    when the driver has no console log, 404 when Nova cannot find it: a
    clear fact for the verdict, not a failure of the test)."""
    try:
        output = api.nova.server_console_output(request, instance_id)
    except Exception as exc:
        status = errors.status_of(exc)
        # Nova's own sentence only, never the client's exception text.
        detail = errors.service_message(exc)
        if status is not None and detail:
            return None, "%s: %s" % (status, detail)
        _status, why = errors.explain(exc, _("Nova"))
        return None, str(why)
    if isinstance(output, bytes):
        output = output.decode("utf-8", "replace")
    return output or "", None


def _not_found(exc):
    # keystoneauth's NotFound may carry its status only in its class.
    return errors.status_of(exc) == 404 or \
        type(exc).__name__ in ("NotFound", "HTTPNotFound")


def read_server(request, instance_id, maximum):
    """``(server dict, state)``: state None, "deleted" (404) or
    "unreachable" (no answer)."""
    try:
        return server_calls.server_with_properties(
            request, instance_id, maximum)[0], None
    except Exception as exc:
        if errors.status_of(exc) == 401:
            raise   # the login expired: tables.UpdateRow says so
        if _not_found(exc):
            return None, "deleted"
        LOG.info("server %s not readable", instance_id, exc_info=True)
        return None, "unreachable"


def read_image(request, image_id=None, instance_id=None, stamp=None):
    """``(image dict, http status, reachable)`` of a test snapshot: by id
    when the record knows it, else by the marker properties."""
    try:
        if image_id:
            return resources.plain(api.glance.image_get(request, image_id)), \
                None, True
        found, _more, _prev = api.glance.image_list_detailed(
            request, filters={
                core_verdict.TEST_SNAPSHOT_MARKER:
                    core_verdict.TEST_SNAPSHOT_VERSION,
                core_verdict.INSTANCE: instance_id,
                core_verdict.REQUESTED_AT:
                    records.requested_at_of(stamp).strftime(
                        "%Y-%m-%dT%H:%M:%SZ")})
        found = [resources.plain(i) for i in found]
        return (found[0] if found else None), None, True
    except Exception as exc:
        status = errors.status_of(exc)
        if status == 401:
            raise   # the login expired, not the image: nothing is decided
        if _not_found(exc):
            return None, 404, True
        if status is not None and status < 500:
            return None, status, True
        LOG.info("image of %s not readable", instance_id, exc_info=True)
        return None, None, False


def _volume_snapshot_ids(image):
    """The Cinder snapshots of a volume-backed snapshot image
    (``block_device_mapping``, a JSON list, DOMAIN.md "Snapshot images")."""
    mapping = (image or {}).get("block_device_mapping")
    if isinstance(mapping, str):
        try:
            mapping = json.loads(mapping)
        except ValueError:
            return ()
    return tuple(m.get("snapshot_id") for m in mapping or ()
                 if isinstance(m, dict) and m.get("snapshot_id"))


def volume_snapshot_statuses(request, image):
    ids = _volume_snapshot_ids(image)
    if not ids:
        return ()
    try:
        found = api.cinder.volume_snapshot_list(request)
    except Exception:
        LOG.info("volume snapshots not readable", exc_info=True)
        return ()
    by_id = {getattr(s, "id", None): getattr(s, "status", None)
             for s in found}
    return tuple(by_id.get(i) or "missing" for i in ids)


def snapshot_events(request, instance_id, request_id, maximum):
    """The events of the createImage action, read at 2.84 or 2.51 (never
    2.1: before 2.51 only admins see events).  Their ``details`` are
    admin-only by default policy, so a tenant usually gets none."""
    version = microversions.event_microversion(maximum)
    if not request_id or not instance_id or version is None:
        return ()
    try:
        return tuple(action_calls.instance_action_events(
            request, instance_id, request_id, microversion=version))
    except Exception:
        LOG.info("instance action %s not readable", request_id,
                 exc_info=True)
        return ()


# The formats whose bytes the reader understands (DOMAIN.md: qcow2 or raw
# snapshots; a volume-backed snapshot image has no data in Glance).
READABLE_FORMATS = ("qcow2", "raw")


def disk_check(request, image, boot_source):
    """``(DiskCheck or None, already stored?)`` for an active test snapshot:
    read back from the image when a first look stored it, else read ONCE
    from Glance with ranged requests (api/images.py, bounded)."""
    if image is None or (image.get("status") or "") != "active" or \
            boot_source is paths.BootSource.VOLUME:
        return None, False
    stored = core_captured.image_properties(image).get(
        core_verdict.DISK_CHECK)
    if stored:
        return snapshot_bytes.decode(stored), True
    if (image.get("disk_format") or "") not in READABLE_FORMATS or \
            not image.get("size"):
        return None, False
    return image_calls.check_snapshot(request, image.get("id"),
                                      size=image.get("size")), False


def boot_source_of(server, image):
    if server is not None:
        return (paths.BootSource.VOLUME if
                core_captured.is_volume_backed(server)
                else paths.BootSource.IMAGE)
    if _volume_snapshot_ids(image) or \
            (image or {}).get("block_device_mapping"):
        return paths.BootSource.VOLUME
    return paths.BootSource.IMAGE


def captured_of(server, maximum):
    if server is None:
        return None
    # The microversion the server was read at (servers.server_with_properties)
    found = core_captured.server_image_properties(
        server, server_calls.property_version(maximum))
    if found is None:
        return None
    return core_captured.resolve_captured("image",
                                          server_image_properties=found)


def refresh(request, row_id):
    """The current row of one test snapshot for Horizon's ajax row update:
    two reads per poll (the server, the image); when the image settled, the
    evidence is gathered, the core decides and the verdict is written on
    the image (and on the record).  Never raises for an unreachable
    service: the row says it is retrying (an error would stop the row's
    updates)."""
    instance_id, stamp, known_image_id = rows.split_row_id(row_id)
    maximum = server_calls.max_microversion(request)
    server, server_state = read_server(request, instance_id, maximum)
    record = None
    if server is not None:
        for found in records.records_of(instance_id, server.get("metadata")):
            if found.stamp == stamp:
                record = found
    image_id = (record.image_id if record else None) or known_image_id
    image, http_status, reachable = read_image(
        request, image_id=image_id, instance_id=instance_id, stamp=stamp)
    notes = []
    if server_state == "unreachable":
        notes.append(str(_("Nova did not answer; the row checks again.")))
    row = rows.TestSnapshotRow(instance_id, stamp, image=image,
                               record=record, server=server, notes=notes,
                               server_state=server_state,
                               image_unchecked=not reachable)
    if row.final:
        return row
    if image is None and not image_id and reachable and (
            server_state == "deleted" or
            (server is not None and record is None)):
        # Nothing left of this test (deleted by the user, or with its
        # instance before Nova created an image): Horizon removes a row
        # answered with 404.
        raise exceptions.NotFound()
    if image is None and not image_id and reachable:
        # The record was written before createImage, which has not
        # answered yet.
        state = core_poll.poll_state(
            row.elapsed_seconds, image_status=None,
            task_state=(server or {}).get("OS-EXT-STS:task_state"))
        return rows.TestSnapshotRow(instance_id, stamp, record=record,
                                    server=server, poll_state=state,
                                    notes=notes, server_state=server_state)
    volume_statuses = ()
    if image is not None and image.get("status") == "active":
        volume_statuses = volume_snapshot_statuses(request, image)
    state = core_poll.poll_state(
        row.elapsed_seconds, image_status=(image or {}).get("status"),
        task_state=(server or {}).get("OS-EXT-STS:task_state"),
        http_status=(404 if image is None and reachable else http_status),
        reachable=reachable, volume_snapshot_statuses=volume_statuses,
        server_idle=server is not None and
        not server.get("OS-EXT-STS:task_state"))
    if image is None and reachable:
        # Known image id, gone: keep the id on the row for the verdict.
        record = record or records.Record(instance_id=instance_id,
                                          stamp=stamp, image_id=image_id)
    row = rows.TestSnapshotRow(instance_id, stamp, image=image,
                               record=record, server=server,
                               poll_state=state, notes=notes,
                               server_state=server_state)
    if state.fate.final and state.stage is core_poll.Stage.DONE and \
            server_state != "unreachable":
        return settle(request, row, state, maximum, volume_statuses)
    return row


def collect(request, row, state, maximum, volume_statuses=(),
            checked=None):
    """The :class:`core.verdict.Evidence` of a settled test snapshot.
    ``checked``: the snapshot's DiskCheck (see :func:`disk_check`)."""
    image = row.image
    props = row.properties
    deleted = row.instance_gone
    console, console_error = (None, None)
    if row.server_state != "deleted":
        console, console_error = console_text(request, row.instance_id)
    else:
        console_error = str(_("the instance was deleted, its console log "
                              "with it"))
    baseline = core_probe.Baseline.from_property(
        props.get(core_verdict.BASELINE))
    report = (core_probe.parse_console(console, baseline)
              if console is not None else None)
    power = (props.get(rows.POWER_AT_REQUEST) or
             (row.record.power if row.record else None) or "running")
    server_id = row.instance_id
    request_id = row.record.request_id if row.record else None
    image_id = row.image_id
    return core_verdict.Evidence(
        disk_check=checked,
        boot_source=boot_source_of(row.server, image),
        captured=captured_of(row.server, maximum),
        power_at_request=power,
        storage=instance_rows.storage_hint(),
        nova=core_verdict.NovaAnswer(202, "", image_id),
        image_fate=state.fate,
        image_status=(image or {}).get("status"),
        image_properties=props if image is not None else None,
        image_locations=tuple((image or {}).get("locations") or ()),
        volume_snapshot_statuses=tuple(volume_statuses),
        events=snapshot_events(request, server_id, request_id, maximum),
        probe=report,
        console_error=console_error,
        requested_at=row.requested_at,
        settled_at=rows.now(),
        max_microversion=maximum,
        instance_deleted=deleted)


def settle(request, row, state, maximum, volume_statuses=()):
    """Decide, write the verdict on the image (namespaced properties,
    core.verdict.image_properties_for) and on the record, and return the
    final row.  A write that fails is said in the row, the verdict is still
    shown (and written again on the next look)."""
    checked, stored = disk_check(request, row.image,
                                 boot_source_of(row.server, row.image))
    evidence = collect(request, row, state, maximum, volume_statuses,
                       checked)
    verdict = core_verdict.decide(evidence)
    notes = list(row.notes)
    extra = {}
    if checked is not None and not stored:
        extra = _disk_check_property(checked)
    if verdict.final:
        notes.extend(write_verdict(request, row, verdict, extra))
    return rows.TestSnapshotRow(
        row.instance_id, row.stamp, image=row.image, record=row.record,
        server=row.server, verdict=verdict, poll_state=state, notes=notes,
        server_state=row.server_state)


def _disk_check_property(checked):
    try:
        return {core_verdict.DISK_CHECK: snapshot_bytes.encode(checked)}
    except ValueError:
        LOG.info("disk check not storable: %r", checked)
        return {}


def write_verdict(request, row, verdict, extra=None):
    """Returns the notes for the user about writes that failed.  ``extra``:
    more ``consistency_*`` properties written with the verdict (the
    snapshot's stored bytes check)."""
    notes = []
    checked_at = rows.now()
    # A GET writes only to the project's own test snapshot and its record
    # (rows.may_write_image / may_write_record): the row id comes from the
    # URL.
    if row.image is not None and not rows.may_write_image(request, row):
        pass
    elif row.image is not None and verdict.level is not \
            core_verdict.Level.FAILED:
        try:
            api.glance.image_update_properties(
                request, row.image_id, **dict(
                    core_verdict.image_properties_for(verdict, checked_at),
                    **(extra or {})))
        except Exception as exc:
            _status, why = errors.explain(exc, _("Glance"))
            notes.append(str(_("The verdict was not saved on the image: "
                               "%s.") % why))
    elif row.image is not None:
        # A failed test whose image still exists (killed, deleted status):
        # keep the verdict on it too, when Glance accepts it.
        try:
            api.glance.image_update_properties(
                request, row.image_id,
                **core_verdict.image_properties_for(verdict, checked_at))
        except Exception:
            LOG.info("verdict not written on failed image", exc_info=True)
    if row.server is not None and not rows.may_write_record(request, row):
        pass
    elif row.server is not None and not row.instance_gone:
        record = row.record or records.Record(
            instance_id=row.instance_id, stamp=row.stamp,
            image_id=row.image_id)
        record = record.replace(state=records.SETTLED,
                                verdict=verdict.level.value,
                                message="" if verdict.cause_code else
                                verdict.cause,
                                cause_code=verdict.cause_code,
                                cause_params=verdict.cause_params)
        try:
            api.nova.server_metadata_update(request, row.instance_id,
                                            {record.key: record.to_value()})
        except Exception as exc:
            _status, why = errors.explain(exc, _("Nova"))
            if row.image is None:
                notes.append(str(_("The verdict was not recorded on the "
                                   "instance: %s.") % why))
    elif row.image is None and row.instance_gone:
        # (a server Nova is deleting gets no record: it goes with it)
        notes.append(str(_("The instance and the image are both gone: this "
                           "verdict is shown only here.")))
    return notes
