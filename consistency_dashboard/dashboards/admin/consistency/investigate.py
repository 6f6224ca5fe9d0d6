"""Everything the diagnosis page shows about one instance, in a bounded
number of calls:

* Nova: the compute version range (cached per session), the server
  (api/servers.py: 2.98 REST with ``image.properties``, or Horizon's get
  on older clouds), the
  instance action list, one action with its events (api/actions.py) for at
  most ``ACTIONS_WITH_EVENTS`` newest createImage actions (events with the
  admin-only ``details`` and traceback), the console output (tail);
* Glance: the boot image, and one list of the images whose
  ``instance_uuid`` is this instance (its snapshots and the plugin's test
  snapshots);
* Keystone: the project; Cinder: the attached volumes of a volume-backed
  server (at most ``MAX_VOLUMES``).

The core reads it all; every failure leaves the rest of the page.
"""
import dataclasses

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from openstack_dashboard import api

from consistency_dashboard.api import actions as action_calls
from consistency_dashboard.api import errors
from consistency_dashboard.api import resources
from consistency_dashboard.api import servers as server_calls
from consistency_dashboard.core import captured as core_captured
from consistency_dashboard.core import diagnosis as core_diagnosis
from consistency_dashboard.core import microversions
from consistency_dashboard.core import probe as core_probe
from consistency_dashboard.core import snapshot_paths as paths
from consistency_dashboard.core import timestamps
from consistency_dashboard.core import verdict as core_verdict
from consistency_dashboard.dashboards.admin.consistency import fleet
from consistency_dashboard.dashboards.project.consistency.instances \
    import rows
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import records as test_records
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import rows as test_rows

ACTIONS_WITH_EVENTS = 5
MAX_VOLUMES = 4


def console_lines():
    return int(getattr(settings, "CONSISTENCY_CONSOLE_LINES", 1000))


@dataclasses.dataclass
class SnapshotImage:
    id: str
    name: str
    status: str
    created_at: str
    test_snapshot: bool
    verdict: object          # verdict.StoredVerdict or None
    key: tuple = None        # (instance id, requested-at stamp) of a test
    owner: str = None        # the image's owner, when read from Glance
    from_glance: bool = False


@dataclasses.dataclass
class Diagnosis:
    instance_id: str
    server: dict = None
    row: object = None                 # fleet.AuditInstanceRow
    not_found: bool = False
    nova_error: str = None
    project_name: str = None
    max_microversion: str = None
    reports_failure: object = None     # True / False / None
    actions: list = dataclasses.field(default_factory=list)
    actions_error: str = None
    readings: tuple = ()
    events_errors: list = dataclasses.field(default_factory=list)
    snapshots: list = dataclasses.field(default_factory=list)
    snapshots_error: str = None
    probe: object = None
    console_error: str = None
    console_lines_read: int = 0
    commands: tuple = ()
    commands_note: str = ""
    explanation: str = ""

    @property
    def test_snapshots(self):
        return [s for s in self.snapshots if s.test_snapshot]

    @property
    def other_snapshots(self):
        return [s for s in self.snapshots if not s.test_snapshot]

    @property
    def latest_verdict(self):
        for snapshot in self.test_snapshots:
            if snapshot.verdict is not None:
                return snapshot.verdict
        return None

    @property
    def release_reading(self):
        if self.reports_failure is True:
            return _("This cloud's Nova (maximum compute microversion %s) is "
                     "older than 33.0.0: a failed snapshot's "
                     "compute_snapshot_instance event says Error.") % \
                self.max_microversion
        if self.reports_failure is False:
            return _("This cloud's Nova (maximum compute microversion %s) is "
                     "33.0.0 or later: the compute_snapshot_instance event "
                     "says Success even when the snapshot fails, so a "
                     "Success proves nothing; only the snapshot image "
                     "(deleted on failure) tells.") % self.max_microversion
        return _("This cloud's Nova release is not known: a Success event "
                 "is not taken as proof.")


def _event_version(maximum):
    """2.84 (``details``, admin-only by default policy, and the admin's
    traceback) or 2.51, never 2.1 (core/microversions.py)."""
    return microversions.event_microversion(maximum)


def _action_dict(action):
    data = resources.plain(action)
    return {k: data.get(k) for k in ("action", "request_id", "start_time",
                                     "message", "user_id", "project_id")}


def _load_server(request, instance_id, result):
    maximum = server_calls.max_microversion(request)
    result.max_microversion = maximum
    result.reports_failure = microversions.snapshot_event_reports_failure(
        maximum)
    try:
        return server_calls.server_with_properties(request, instance_id,
                                                   maximum)
    except Exception as exc:
        if errors.status_of(exc) == 404:
            result.not_found = True
            result.nova_error = _("Nova has no instance %s (deleted, or "
                                  "not an instance UUID).") % instance_id
            return None, None
        result.nova_error = fleet.degrade(
            request, _("Unable to read instance %s from Nova.") % instance_id,
            _("Nova"))
        return None, None


def _load_snapshots(request, instance_id, result):
    try:
        images, _more, _prev = api.glance.image_list_detailed(
            request, filters={"instance_uuid": instance_id,
                              "visibility": "all"},
            sort_key="created_at", sort_dir="desc")
    except Exception:
        result.snapshots_error = fleet.degrade(
            request, _("Unable to list this instance's snapshots from "
                       "Glance."), _("Glance"))
        return None
    plain = [core_captured.image_properties(resources.plain(i))
             for i in images]
    for data in plain:
        test = core_verdict.is_test_snapshot(data)
        result.snapshots.append(SnapshotImage(
            id=data.get("id"), name=data.get("name") or data.get("id"),
            status=data.get("status"), created_at=data.get("created_at"),
            test_snapshot=test,
            verdict=(core_verdict.verdict_from_image_properties(data)
                     if test else None),
            key=test_rows.image_key(data) if test else None,
            owner=data.get("owner"), from_glance=True))
    return plain


def _add_records(server, result):
    """The dashboard's test snapshots recorded in the server metadata whose
    image is gone (Nova deletes a failed snapshot's image) or was never
    created: they exist, with their recorded verdict."""
    shown = set()
    for snapshot in result.snapshots:
        if snapshot.test_snapshot and snapshot.key:
            shown.add(snapshot.key)
    instance_id = server.get("id") or result.instance_id
    for record in test_records.records_of(instance_id,
                                          server.get("metadata")):
        if (instance_id, record.stamp) in shown:
            continue
        result.snapshots.append(SnapshotImage(
            id=record.image_id or "", name=record.image_id or record.key,
            status=_("image gone") if record.image_id else record.state,
            created_at=timestamps.format_timestamp(record.requested_at),
            test_snapshot=True, verdict=test_rows.record_verdict(record),
            key=(instance_id, record.stamp)))


def _load_image(request, server):
    image = server.get("image")
    if not isinstance(image, dict) or not image.get("id"):
        return None
    try:
        return api.glance.image_get(request, image["id"])
    except Exception as exc:
        if errors.status_of(exc) != 404:
            fleet.degrade(request, _("Unable to read the boot image from "
                                     "Glance: its current properties are "
                                     "not shown."), _("Glance"))
        return None


def _load_volume(request, server):
    if not core_captured.is_volume_backed(server):
        return None
    attached = server.get("os-extended-volumes:volumes_attached") or []
    volumes = []
    try:
        for item in attached[:MAX_VOLUMES]:
            volumes.append(api.cinder.volume_get(request, item.get("id")))
    except Exception:
        fleet.degrade(request, _("Unable to read the boot volume from "
                                 "Cinder."), _("Cinder"))
    return rows.boot_volume(server, {server.get("id"): volumes})


def _load_project_name(request, project_id):
    if not project_id:
        return None
    try:
        return api.keystone.tenant_get(request, project_id, admin=True).name
    except Exception:
        fleet.degrade(request, _("Unable to read the project from "
                                 "Keystone: its id is shown."),
                      _("Keystone"))
        return None


def _load_actions(request, instance_id, result, snapshot_images):
    try:
        listed = api.nova.instance_action_list(request, instance_id)
    except Exception:
        result.actions_error = fleet.degrade(
            request, _("Unable to list the instance's actions from Nova."),
            _("Nova"))
        return
    result.actions = [_action_dict(a) for a in listed]
    result.actions.sort(key=lambda a: a.get("start_time") or "",
                        reverse=True)
    wanted = [a for a in result.actions
              if a.get("action") == core_diagnosis.SNAPSHOT_ACTION]
    version = _event_version(result.max_microversion)
    detailed = []
    if version is None:
        result.events_errors.append(str(_(
            "this cloud's compute API is older than 2.51: the events of "
            "its actions are not read")))
        wanted = []
    for action in wanted[:ACTIONS_WITH_EVENTS]:
        try:
            detailed.append(action_calls.instance_action_get(
                request, instance_id, action["request_id"],
                microversion=version))
        except Exception as exc:
            _status, why = errors.explain(exc, _("Nova"))
            result.events_errors.append("%s: %s" % (action["request_id"],
                                                    why))
            detailed.append(dict(action, events=[]))
    result.readings = core_diagnosis.read_snapshot_actions(
        detailed, result.reports_failure, snapshot_images or (),
        snapshots_known=snapshot_images is not None)


def _load_console(request, instance_id, result):
    try:
        text = api.nova.server_console_output(request, instance_id,
                                              tail_length=console_lines())
    except Exception as exc:
        status, why = errors.explain(exc, _("Nova"))
        if status == 501:
            why = _("console output is not available on this cloud or "
                    "hypervisor (501)")
        elif status == 409:
            why = _("the instance is not running (409)")
        elif status == 404:
            why = _("the console log is unavailable (404)")
        result.console_error = str(why)
        return
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = text or ""
    result.console_lines_read = len(text.splitlines())
    result.probe = core_probe.parse_console(text)


def diagnose(request, instance_id):
    result = Diagnosis(instance_id=instance_id)
    server, version = _load_server(request, instance_id, result)
    snapshot_images = _load_snapshots(request, instance_id, result)
    if server is None:
        return result
    result.server = server
    project_id = server.get("tenant_id") or server.get("project_id")
    # Any project may mark an image of its own as a test snapshot of this
    # instance: only those its own project owns count (filtered before the
    # server's records are joined, so a foreign image cannot hide one).
    for snapshot in result.snapshots:
        if snapshot.test_snapshot and snapshot.from_glance and \
                snapshot.owner != project_id:
            snapshot.test_snapshot = False
            snapshot.verdict = None
            snapshot.key = None
    _add_records(server, result)
    result.project_name = _load_project_name(request, project_id)
    image = _load_image(request, server)
    volume = _load_volume(request, server)
    newest = None
    if version is None and snapshot_images:
        newest = core_captured.newest_snapshot_per_instance(
            snapshot_images).get(instance_id)
    projects = {project_id: result.project_name} if result.project_name \
        else None
    row = fleet.AuditInstanceRow(server, image, volume, newest,
                                 result.max_microversion, version, projects)
    result.row = row
    _load_actions(request, instance_id, result, snapshot_images)
    _load_console(request, instance_id, result)

    if row.action_needed:
        try:
            result.commands = paths.operator_commands(
                instance_id, row.captured.properties,
                paths.power_from_status(row.status))
        except ValueError:
            result.commands = ()
        step = row.step(paths.FixOption.OPERATOR_NOVA_MANAGE)
        result.commands_note = step.note if step is not None else ""
    else:
        result.commands_note = _("Nothing to set: the instance needs no "
                                 "change.")
    result.explanation = core_diagnosis.explain(core_diagnosis.DiagnosisFacts(
        instance_name=row.name, instance_id=instance_id,
        project_name=result.project_name or project_id,
        volume_backed=row.volume_backed, image_name=row.image_name,
        captured=row.captured, current=row.current,
        prediction=row.prediction,
        last_action=result.readings[0] if result.readings else None,
        actions_known=result.actions_error is None,
        verdict=result.latest_verdict,
        test_snapshots=len(result.test_snapshots), probe=result.probe,
        console_error=result.console_error, commands=result.commands))
    return result
