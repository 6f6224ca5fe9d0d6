"""Starting a test snapshot: read the console baseline, record the request
on the instance, call createImage with the plugin's marker, record the
answer.  Nothing is decided here: a refusal is explained by the core
(core/verdict.py ``decide`` on Nova's answer).

Order, so nothing is lost whatever fails:

1. console baseline (``os-getConsoleOutput``): 501/404 means no console on
   this cloud; the test goes on and the verdict says so;
2. the oldest settled records beyond ``KEEP_SETTLED`` are removed from the
   server metadata (Nova allows 128 items per server by default, shared
   with the user's own keys; a settled verdict also lives on its image);
3. record ``requested`` in the server metadata BEFORE createImage: if Nova
   accepts and the image later vanishes, the record remains.  If it cannot
   be written, the test is not started (its failure could otherwise be
   lost with the image Nova deletes);
4. createImage with the marker metadata (``core.verdict.marker_metadata``,
   plus the power state at the request); the image carries the marker, the
   instance id, the request time and the baseline;
5. record ``accepted`` with the image id and request id.  A request Nova
   refused (4xx/5xx) is not a test: the record is removed and the user is
   told why.  No answer at all keeps the record (``noanswer``): Nova may
   have created the image after all.
"""

import dataclasses
import datetime

from django.utils.translation import gettext_lazy as _

from openstack_dashboard import api

from consistency_dashboard.api import errors
from consistency_dashboard.api import servers as server_calls
from consistency_dashboard.core import poll as core_poll
from consistency_dashboard.core import probe as core_probe
from consistency_dashboard.core import snapshot_paths as paths
from consistency_dashboard.core import verdict as core_verdict
from consistency_dashboard.dashboards.project.consistency.instances \
    import rows as instance_rows
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import evidence
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import records
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import rows


# Settled records kept per server when a new test starts; older ones go.
KEEP_SETTLED = 3
_PRUNABLE = (records.SETTLED, records.REFUSED)


@dataclasses.dataclass
class Started:
    record: records.Record
    image_id: str = None
    verdict: object = None          # core Verdict when Nova refused
    console_error: str = None
    record_error: str = None        # why the record could not be written
    refused: bool = False           # Nova answered 4xx/5xx: not a test
    cleanup_error: str = None       # why a refused request's record stayed
    pruned: tuple = ()              # keys of older settled records removed
    prune_error: str = None

    @property
    def accepted(self):
        return self.image_id is not None

    @property
    def started(self):
        """The request reached Nova (accepted, refused or unanswered)."""
        return self.record_error is None or self.accepted or self.refused


def default_name(instance_name, requested_at):
    return "consistency-test-%s-%s" % (instance_name,
                                       records.stamp_of(requested_at))


def power_of(instance_row):
    return paths.power_from_status(instance_row.status).value


def _write_record(request, record):
    try:
        api.nova.server_metadata_update(request, record.instance_id,
                                        {record.key: record.to_value()})
        return None
    except Exception as exc:
        _status, why = errors.explain(exc, _("Nova"))
        return str(why)


def _remove_keys(request, instance_id, keys):
    try:
        api.nova.server_metadata_delete(request, instance_id, list(keys))
        return None
    except Exception as exc:
        _status, why = errors.explain(exc, _("Nova"))
        return str(why)


def stale_record_keys(metadata, keep=KEEP_SETTLED):
    """The keys of the settled records beyond the newest ``keep`` (plain
    dict in, sorted keys out)."""
    settled = [r for r in records.records_of(None, metadata)
               if r.state in _PRUNABLE]
    return sorted(r.key for r in settled[keep:])


def _nova_answer(exc):
    status = errors.status_of(exc)
    # Nova's own sentence only: never the client's exception text.
    message = errors.service_message(exc)
    if status is None or status in (502, 503, 504):
        _s, why = errors.explain(exc, _("Nova"))
        return core_verdict.NovaAnswer(None, str(why))
    return core_verdict.NovaAnswer(status, message)


def start(request, instance_row, name, requested_at=None):
    """Start one test snapshot of ``instance_row`` (an Instances tab row,
    instances/rows.py).  Returns :class:`Started`."""
    requested_at = (requested_at or rows.now()).replace(microsecond=0)
    power = power_of(instance_row)
    metadata_now = (getattr(instance_row, "server", None) or {}) \
        .get("metadata") or {}
    # One key per second: a second request in the same second (a double
    # click, two tabs) must not overwrite, then remove, the first one's
    # record.
    for _taken in range(len(metadata_now)):
        if records.key_for(requested_at) not in metadata_now:
            break
        requested_at += datetime.timedelta(seconds=1)
    record = records.Record(instance_id=instance_row.id,
                            stamp=records.stamp_of(requested_at),
                            state=records.REQUESTED, power=power)
    console, console_error = evidence.console_text(request, instance_row.id)
    baseline = (core_probe.baseline_from_console(console)
                if console is not None else None)
    pruned = tuple(stale_record_keys(metadata_now))
    prune_error = (_remove_keys(request, instance_row.id, pruned)
                   if pruned else None)
    if prune_error:
        pruned = ()
    record_error = _write_record(request, record)
    if record_error is not None:
        # Intent first: without its record a failed test (whose image Nova
        # deletes) would leave no trace, so nothing is started.
        return Started(record=record, console_error=console_error,
                       record_error=record_error, pruned=pruned,
                       prune_error=prune_error)

    metadata = core_verdict.marker_metadata(requested_at, instance_row.id,
                                            baseline)
    metadata[rows.POWER_AT_REQUEST] = power
    try:
        image_id, request_id = server_calls.create_image(
            request, instance_row.id, name, metadata)
    except Exception as exc:
        answer = _nova_answer(exc)
        verdict = core_verdict.decide(core_verdict.Evidence(
            boot_source=(paths.BootSource.VOLUME if
                         instance_row.volume_backed else
                         paths.BootSource.IMAGE),
            captured=instance_row.captured,
            power_at_request=power,
            storage=instance_rows.storage_hint(),
            nova=answer,
            image_fate=(core_poll.ImageFate.NOT_CREATED
                        if answer.status is not None else None),
            requested_at=requested_at,
            max_microversion=server_calls.max_microversion(request)))
        if answer.status is None:
            # No answer: Nova may have created the image after all; it
            # carries the marker and is matched to this record.
            record = record.replace(state=records.NO_ANSWER,
                                    message=answer.message)
            return Started(record=record, verdict=verdict,
                           console_error=console_error,
                           record_error=_write_record(request, record),
                           pruned=pruned, prune_error=prune_error)
        # Refused: not a test.  Its intent record goes (the instance is gone
        # on 404, and its metadata with it).
        cleanup_error = None
        if answer.status != 404:
            cleanup_error = _remove_keys(request, instance_row.id,
                                         [record.key])
        record = record.replace(state=records.REFUSED,
                                http_status=answer.status,
                                verdict=verdict.level.value,
                                message=answer.message)
        return Started(record=record, verdict=verdict,
                       console_error=console_error, refused=True,
                       cleanup_error=cleanup_error, pruned=pruned,
                       prune_error=prune_error)

    record = record.replace(state=records.ACCEPTED, image_id=image_id,
                            request_id=request_id)
    second_error = _write_record(request, record)
    return Started(record=record, image_id=image_id,
                   console_error=console_error,
                   record_error=second_error, pruned=pruned,
                   prune_error=prune_error)
