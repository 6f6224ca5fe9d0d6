"""Calls to OpenStack that Horizon's ``openstack_dashboard.api`` does not
cover, one module per service call family, and how to read their failures.
Everything else goes through ``openstack_dashboard.api`` directly; no other
package of the plugin builds a client or a URL.

Modules:

* ``servers.py``: Compute servers.  The entry points
  ``project_servers_page``, ``all_projects_servers`` and
  ``server_with_properties`` read servers with the properties Nova captured
  at boot (``GET /servers`` at 2.98 with ``image.properties``, REST on one
  keystoneauth session per request; Horizon's ``api.nova`` on older
  clouds) and return plain dicts; ``max_microversion`` (cached per login);
  ``create_image``: ``createImage`` with the test snapshot's marker
  metadata;
* ``actions.py``: Compute instance actions: one action with its events
  (``instance_action_get``, ``instance_action_events``), where a failed
  snapshot shows up;
* ``images.py``: Image Service: the members of a shared image
  (``member_status``) and the bounded ranged reads of a snapshot image's
  data (``check_snapshot``).  The Images tab's fix itself is Horizon's
  ``api.glance.image_update_properties``
  (dashboards/project/consistency/images/forms.py);
* ``volumes.py``: Block Storage: ``volume_set_image_metadata`` (a
  volume-backed server's properties);
* ``resources.py``: ``plain``, the one way a client resource becomes the
  plain dict the core reads;
* ``errors.py``: a failed call as a status and a sentence a user can act on.

Every call is traced like Horizon's own (``@profiler.trace``).
"""
