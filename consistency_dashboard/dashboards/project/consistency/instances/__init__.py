"""Instances: the project's instances, whether a snapshot taken now would be
consistent (from the properties Nova captured at boot, not the image's
current ones), and the fixes that change what Nova captured.

Modules:

* ``tabs.py``: the Instances tab: one page of servers with their captured
  properties (``api/servers.py`` ``project_servers_page``: the 2.98 list
  or Horizon's), then at most three lists (their images, the project's
  snapshots on older clouds, the volumes) whatever the number of rows
  (``instance_rows``);
* ``rows.py``: one row per server: captured beside current properties
  (``core.captured``) and the prediction (``core.snapshot_paths.predict``);
* ``loading.py``: the row of one or a few instances, with the tab's calls;
* ``tables.py``: the Instances table, its cells and row actions;
* ``detail.py``: the detail page of one instance;
* ``views.py``/``forms.py``: the fixes: rebuild from the fixed image
  (Horizon's ``api.nova.server_rebuild``), set the boot volume's image
  metadata (``api/volumes.py``), the operator commands page, and the guided
  "rebuild from its own snapshot" page with its ajax step view;
* ``flow_calls.py``: the calls of that guided flow; the state machine that
  decides each step is ``core/rebuild_flow.py``;
* ``urls.py``: ``horizon:project:consistency:instance_detail`` and the fix
  URLs.
"""
