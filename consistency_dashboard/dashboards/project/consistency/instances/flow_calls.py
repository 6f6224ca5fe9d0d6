"""The OpenStack calls of the guided "rebuild from its own snapshot" flow:
read what the core needs (:func:`observe`), then take the one action it
chose (:func:`act`), writing the flow's record *before* each call and
re-reading the server right before each call to Nova.  The core
(core/rebuild_flow.py) decides; this module only calls."""

import datetime
import logging

from django.utils.translation import gettext_lazy as _

from openstack_dashboard import api

from consistency_dashboard.api import errors
from consistency_dashboard.api import resources
from consistency_dashboard.api import servers as server_calls
from consistency_dashboard.core import rebuild_flow as flow
from consistency_dashboard.core import timestamps

LOG = logging.getLogger(__name__)


class FlowStopped(Exception):
    """A refusal with a sentence for the user; nothing more was done."""

    def __init__(self, message, status=409):
        super().__init__(message)
        self.message = message
        self.status = status


def server_image_id(server):
    image = getattr(server, "image", None)
    return image.get("id") if isinstance(image, dict) else None


def get_project_server(request, instance_id):
    """The server, only when it belongs to the current project (an admin's
    token can read any project's server)."""
    server = api.nova.server_get(request, instance_id)
    if getattr(server, "tenant_id", None) != request.user.project_id:
        raise FlowStopped(_("Instance %s is not in the current project: "
                            "nothing was done.") % instance_id, status=404)
    return server


def _snapshot(request, instance_id, snapshot_id):
    """``(plain image dict or None, gone, ours)``.  An image that is not a
    snapshot of this instance owned by this project is treated as gone: the
    flow never writes to it, rebuilds from it or deletes it."""
    try:
        image = resources.plain(api.glance.image_get(request, snapshot_id))
    except Exception as exc:
        if errors.status_of(exc) != 404:
            raise
        return None, True, False
    ours = flow.is_flow_snapshot(image, instance_id,
                                 request.user.project_id)
    legacy = (image.get("owner") == request.user.project_id and
              image.get("instance_uuid") == instance_id)
    if not (ours or legacy):
        LOG.warning("Flow record of %s names image %s, not its own "
                    "snapshot", instance_id, snapshot_id)
        return None, True, False
    return image, image.get("status") == "deleted", ours


def find_tagged_snapshot(request, instance_id):
    """The newest snapshot the flow tagged for this instance (createImage
    metadata), owned by this project, or None."""
    found, _more, _prev = api.glance.image_list_detailed(
        request, filters={flow.SNAPSHOT_TAG: flow.SNAPSHOT_TAG_VERSION,
                          flow.SNAPSHOT_INSTANCE: instance_id,
                          "owner": request.user.project_id})
    ours = [i for i in (resources.plain(f) for f in found)
            if flow.is_flow_snapshot(i, instance_id, request.user.project_id)]
    ours.sort(key=lambda i: timestamps.parse_timestamp(
        i.get("created_at")) or datetime.datetime.min.replace(
            tzinfo=timestamps.UTC))
    return ours[-1] if ours else None


def _actions(request, instance_id):
    """(action, start_time) pairs, or None when the history is unreadable
    (the core then asks the user instead of assuming)."""
    try:
        found = api.nova.instance_action_list(request, instance_id)
    except Exception:
        LOG.warning("Instance actions of %s unreadable", instance_id,
                    exc_info=True)
        return None
    return tuple((getattr(a, "action", None), getattr(a, "start_time", None))
                 for a in found)


def observe(request, instance_id, typed_name=None):
    """``(server, Observed, snapshot_is_ours)`` as OpenStack shows it now;
    reads only."""
    server = get_project_server(request, instance_id)
    metadata = getattr(server, "metadata", None) or {}
    record = flow.decode_record(metadata.get(flow.RECORD_KEY))
    image, gone, ours, found = None, False, False, None
    if record and record.snapshot_id:
        image, gone, ours = _snapshot(request, instance_id,
                                      record.snapshot_id)
    elif record is None or record.snapshot_requested:
        found = find_tagged_snapshot(request, instance_id)
        ours = found is not None
    running_from = server_image_id(server)
    history_needed = (found is not None or (
        record is not None and record.snapshot_id and not gone and
        running_from != record.snapshot_id))
    observed = flow.Observed(
        server_status=server.status,
        task_state=getattr(server, "OS-EXT-STS:task_state", None),
        server_image_id=running_from,
        record=record,
        snapshot_status=(image or {}).get("status"),
        snapshot_gone=gone,
        snapshot_properties=image,
        snapshot_created_at=(image or {}).get("created_at"),
        actions=_actions(request, instance_id) if history_needed else (),
        found_snapshot_id=(found or {}).get("id"),
        found_snapshot_created_at=(found or {}).get("created_at"),
        confirmed=bool(typed_name) and typed_name == server.name)
    return server, observed, ours


def _put_record(request, instance_id, record):
    """The flow's record on the instance: written, or removed when None."""
    if record is None:
        api.nova.server_metadata_delete(request, instance_id,
                                        [flow.RECORD_KEY])
    else:
        api.nova.server_metadata_update(
            request, instance_id, {flow.RECORD_KEY: record.encode()})


def write_record(request, instance_id, record, doing):
    """Write the record or stop the flow with a sentence: nothing after it
    runs, so no snapshot or rebuild is ever sent without its record."""
    try:
        _put_record(request, instance_id, record)
    except Exception as exc:
        LOG.warning("Flow record of %s not written", instance_id,
                    exc_info=True)
        status, why = errors.explain(exc, _("Nova"))
        if status == 401:
            raise
        raise FlowStopped(_(
            "The fix's record on the instance could not be written (%(why)s), "
            "so %(doing)s was not done. Nothing is repeated when you "
            "continue. If the instance has many metadata items, remove some "
            "you do not need.") % {"why": why, "doing": doing})


# What the server must look like right before each call to Nova.
_EXPECTED = {
    flow.Action.STOP: ("ACTIVE", _("stopping the instance")),
    flow.Action.SNAPSHOT: ("SHUTOFF", _("the snapshot")),
    flow.Action.REBUILD: ("SHUTOFF", _("the rebuild")),
    flow.Action.START: ("SHUTOFF", _("starting the instance")),
}


def recheck(request, instance_id, action, snapshot_id):
    """Re-read the server right before the call (fresh GET): another user,
    a second tab or Nova may have changed it since it was observed."""
    status, doing = _EXPECTED[action]
    server = get_project_server(request, instance_id)
    task = getattr(server, "OS-EXT-STS:task_state", None)
    if server.status != status or task or (
            action is flow.Action.REBUILD and
            server_image_id(server) == snapshot_id):
        raise FlowStopped(_(
            "The instance is %(status)s%(task)s now, not %(expected)s: "
            "%(doing)s was not sent. Reload this page to see where the fix "
            "stands.") % {"status": server.status,
                          "task": " (%s)" % task if task else "",
                          "expected": status, "doing": doing})


def _snapshot_name(instance_id):
    return "consistency-fix-%s-%s" % (
        instance_id[:8],
        datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y%m%dT%H%M%S"))


def _withdraw(request, instance_id, previous):
    """Nova refused the snapshot, so none exists: put the record back as it
    was (best effort: a left-over intent only makes the next step look for
    a tagged snapshot, find none and take it then)."""
    try:
        _put_record(request, instance_id, previous)
    except Exception:
        LOG.warning("Snapshot intent of %s not withdrawn", instance_id,
                    exc_info=True)


def _take_snapshot(request, instance_id, intent, previous):
    try:
        image_id, _request_id = server_calls.create_image(
            request, instance_id, _snapshot_name(instance_id),
            flow.snapshot_metadata(instance_id))
    except Exception:
        _withdraw(request, instance_id, previous)
        raise
    record = flow.Record(snapshot_id=image_id,
                         was_running=intent.was_running)
    write_record(request, instance_id, record,
                 _("recording snapshot %s (it was taken and is tagged as "
                   "this fix's, so continuing finds it)") % image_id)


def act(request, instance_id, observed, progress, snapshot_is_ours):
    """Take the action the core chose: the intent record first, then a
    fresh look at the server, then the call."""
    action = progress.action
    record = progress.intent or observed.record
    if progress.intent is not None and progress.intent != observed.record:
        write_record(request, instance_id, progress.intent,
                     _("this step"))
    if action in _EXPECTED:
        recheck(request, instance_id, action,
                record.snapshot_id if record else None)
    if action is flow.Action.STOP:
        api.nova.server_stop(request, instance_id)
    elif action is flow.Action.SNAPSHOT:
        _take_snapshot(request, instance_id, record, observed.record)
    elif action is flow.Action.SET_PROPERTIES:
        if observed.snapshot_properties is None:
            raise FlowStopped(_("The snapshot is not this fix's own: its "
                                "properties were not changed."))
        api.glance.image_update_properties(
            request, record.snapshot_id, None, **progress.properties_to_set)
    elif action is flow.Action.REBUILD:
        api.nova.server_rebuild(request, instance_id, record.snapshot_id)
    elif action is flow.Action.START:
        api.nova.server_start(request, instance_id)
    elif action is flow.Action.FINISH:
        if snapshot_is_ours:
            api.glance.image_update_properties(
                request, record.snapshot_id, None,
                **{flow.SNAPSHOT_TAG: flow.SNAPSHOT_TAG_DONE})
        write_record(request, instance_id, None, _("clearing the record"))


def discard(request, instance_id, observed, snapshot_is_ours):
    """Discard the record (and the flow's own stale snapshot); returns the
    id of the deleted snapshot or None."""
    allowed, image_id = flow.discard_target(observed, snapshot_is_ours)
    if not allowed:
        raise FlowStopped(_("There is nothing to discard now (the instance "
                            "is busy or already runs from the fix's "
                            "snapshot): nothing was done."))
    if image_id:
        # The snapshot first: if the record then cannot be removed, it
        # names a gone snapshot and Discard finishes the job next time.
        api.glance.image_delete(request, image_id)
    if observed.record is not None:
        write_record(request, instance_id, None, _("removing the record"))
    return image_id
