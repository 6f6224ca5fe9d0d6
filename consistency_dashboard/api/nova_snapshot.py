"""Compute calls for test snapshots that ``openstack_dashboard.api.nova``
does not make.

* ``createImage`` WITH ``metadata``: Horizon's ``api.nova.snapshot_create``
  passes no metadata, but the plugin must mark its own test snapshots
  (DOMAIN.md "Snapshot images": createImage accepts ``metadata``, and the
  snapshot keeps it), so it never touches an image it did not create;
* the events of one instance action (``GET /servers/{id}/
  os-instance-actions/{request_id}``): the ``compute_snapshot_instance``
  event says Error up to Nova 32, with ``details`` for users from
  microversion 2.84 (DOMAIN.md "Where a failure shows up").

Both use Horizon's cached novaclient for the user's token.
"""

from openstack_dashboard.api import _nova


def create_image(request, server_id, name, metadata):
    """``POST /servers/{id}/action`` ``createImage`` with ``metadata``.

    Returns ``(image_id, request_id)``; ``request_id`` (the
    ``x-openstack-request-id`` of the call) names the instance action whose
    events tell how the snapshot went (None when the answer carried none).
    """
    result = _nova.novaclient(request).servers.create_image(
        server_id, name, metadata=dict(metadata))
    request_ids = [r for r in getattr(result, "request_ids", None) or []
                   if isinstance(r, str) and r]
    return str(result), (request_ids[0] if request_ids else None)


def instance_action_events(request, server_id, request_id, microversion=None):
    """The events of one instance action as plain dicts (``event``,
    ``result``, ``start_time``, ``finish_time`` and, from 2.84,
    ``details``).  ``microversion`` None: Horizon's default."""
    action = _nova.novaclient(request, version=microversion) \
        .instance_action.get(server_id, request_id)
    events = getattr(action, "events", None) or []
    return [dict(e) if isinstance(e, dict) else dict(getattr(e, "_info", {}))
            for e in events]
