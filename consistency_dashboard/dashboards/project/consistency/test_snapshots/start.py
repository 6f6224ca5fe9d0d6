"""Starting a test snapshot: read the console baseline, record the request
on the instance, call createImage with the plugin's marker, record the
answer.  Nothing is decided here: a refusal is turned into a verdict by the
core (core/verdict.py ``decide`` on Nova's answer).

Order, so nothing is lost whatever fails:

1. console baseline (``os-getConsoleOutput``): 501/404 means no console on
   this cloud; the test goes on and the verdict says so;
2. record ``requested`` in the server metadata BEFORE createImage: if Nova
   accepts and the image later vanishes, the record remains;
3. createImage with the marker metadata (``core.verdict.marker_metadata``,
   plus the power state at the request); the image carries the marker, the
   instance id, the request time and the baseline;
4. record ``accepted`` with the image id and request id, or ``refused``
   with Nova's status and message.
"""

import dataclasses

from django.utils.translation import gettext_lazy as _

from openstack_dashboard import api

from consistency_dashboard.api import errors
from consistency_dashboard.api import nova_snapshot
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


@dataclasses.dataclass
class Started:
    record: records.Record
    image_id: str = None
    verdict: object = None          # core Verdict when Nova refused
    console_error: str = None
    record_error: str = None        # why the record could not be written

    @property
    def accepted(self):
        return self.image_id is not None


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


def _nova_answer(exc):
    status = errors.status_of(exc)
    message = str(getattr(exc, "details", "") or
                  getattr(exc, "message", "") or exc or "").strip()
    if status is None or status in (502, 503, 504):
        _s, why = errors.explain(exc, _("Nova"))
        return core_verdict.NovaAnswer(None, str(why))
    return core_verdict.NovaAnswer(status, message)


def start(request, instance_row, name, requested_at=None):
    """Start one test snapshot of ``instance_row`` (an Instances tab row,
    instances/rows.py).  Returns :class:`Started`."""
    requested_at = requested_at or rows.now()
    power = power_of(instance_row)
    record = records.Record(instance_id=instance_row.id,
                            stamp=records.stamp_of(requested_at),
                            state=records.REQUESTED, power=power)
    console, console_error = evidence.console_text(request, instance_row.id)
    baseline = (core_probe.baseline_from_console(console)
                if console is not None else None)
    record_error = _write_record(request, record)

    metadata = core_verdict.marker_metadata(requested_at, instance_row.id,
                                            baseline)
    metadata[rows.POWER_AT_REQUEST] = power
    try:
        image_id, request_id = nova_snapshot.create_image(
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
            max_microversion=evidence.max_microversion(request)))
        if answer.status is None:
            # No answer: Nova may have created the image after all; it
            # carries the marker and is matched to this record.
            record = record.replace(state=records.NO_ANSWER,
                                    message=answer.message)
        else:
            record = record.replace(state=records.REFUSED,
                                    http_status=answer.status,
                                    verdict=verdict.level.value,
                                    message=answer.message)
        if answer.status != 404 and record_error is None:
            record_error = _write_record(request, record)
        elif answer.status == 404:
            record_error = str(_("the instance no longer exists"))
        return Started(record=record, verdict=verdict,
                       console_error=console_error,
                       record_error=record_error)

    record = record.replace(state=records.ACCEPTED, image_id=image_id,
                            request_id=request_id)
    second_error = _write_record(request, record)
    return Started(record=record, image_id=image_id,
                   console_error=console_error,
                   record_error=record_error or second_error)
