"""Admin > Compute > Snapshot Consistency: the fleet audit, the failed
snapshot diagnosis and the recent snapshots, for cloud support staff.  It
reuses the project panel's rows and the same core, so both panels say the
same words; it writes nothing.

Modules:

* ``panel.py``: the panel (admin role, compute and image services);
* ``fleet.py``: the audit's data: every project's instances and every
  image in paginated list calls (``api/servers.py``
  ``all_projects_servers``), turned into the project panel's rows plus the
  project and host (``AuditInstanceRow``, ``AuditImageRow``); each failed
  call degrades to a partial page with a message;
* ``investigate.py``: everything the diagnosis page shows about one
  instance in a bounded number of calls (the server, its actions and their
  events through ``api/actions.py``, the console, its snapshots); the
  reading per Nova release is ``core/diagnosis.py``;
* ``snapshots.py``: recent snapshots across projects with the plugin's
  stored verdicts (``core/verdict.py``);
* ``tables.py``: the audit, snapshot and diagnosis tables;
* ``export.py``: the audit's rows as CSV and JSON;
* ``views.py``/``urls.py``: the audit (``horizon:admin:consistency:index``),
  the export, the diagnosis search and page, the recent snapshots.
"""
