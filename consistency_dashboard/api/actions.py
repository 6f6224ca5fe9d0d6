"""Compute instance actions: one action with its events.

Horizon's ``api.nova.instance_action_list`` lists the actions of a server
but does not read one action's events (``GET /servers/{id}/
os-instance-actions/{request_id}``).  Those events tell how a snapshot went:
the ``compute_snapshot_instance`` event says Error up to Nova 32, with
``details`` from microversion 2.84 (admin-only by default policy; admins
also get each event's ``traceback``) (DOMAIN.md "Where a failure shows
up").  Horizon's cached novaclient makes the call, at the microversion the
caller asks for (core/microversions.py ``event_microversion``: 2.84 or
2.51, never 2.1, where only admins see events).
"""

from openstack_dashboard.api import _nova
from openstack_dashboard.contrib.developer.profiler import api as profiler


def _event(event):
    if isinstance(event, dict):
        return dict(event)
    return dict(getattr(event, "_info", {}))


@profiler.trace
def instance_action_get(request, server_id, request_id, microversion=None):
    """One instance action as a plain dict (``action``, ``request_id``,
    ``start_time``, ``message``...) whose ``events`` are plain dicts
    (``event``, ``result``, ``start_time``, ``finish_time`` and, from 2.84,
    ``details``).  ``microversion`` None: Horizon's default."""
    action = _nova.novaclient(request, version=microversion) \
        .instance_action.get(server_id, request_id)
    info = getattr(action, "_info", None)
    found = dict(info) if isinstance(info, dict) else {}
    found["events"] = [_event(e)
                       for e in getattr(action, "events", None) or []]
    return found


def instance_action_events(request, server_id, request_id, microversion=None):
    """Only the events of ``instance_action_get``."""
    return instance_action_get(request, server_id, request_id,
                               microversion=microversion)["events"]
