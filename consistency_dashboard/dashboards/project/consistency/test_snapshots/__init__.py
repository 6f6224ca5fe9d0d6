"""Test snapshots: take a real snapshot of an instance and learn,
with evidence, which consistency level its snapshots reach.

Modules:

* ``start.py``: the request (console baseline, record on the instance,
  ``createImage`` with the marker metadata, record of Nova's answer);
* ``records.py``: the record kept in the instance's server metadata
  (``consistency_test_<requested at>``, written before ``createImage``), so
  a test whose image vanished is not lost; a request Nova refused leaves
  none; at most ``start.KEEP_SETTLED`` settled records per instance;
* ``rows.py``: one row per test, joined from the marked image and the
  record; what the row shows comes from the core (``core.poll``,
  ``core.verdict``); the ownership rules (``may_write_image``,
  ``may_write_record``, ``shown_to_project``): a GET writes only to the
  project's own marked test snapshot;
* ``evidence.py``: the reads per ajax poll (server, image), and at the end
  the evidence for ``core.verdict.decide``: the snapshot's own bytes read
  once (``api.images.check_snapshot``), the console, the action
  events; the verdict written on the image
  (``core.verdict.image_properties_for``) and on the record;
* ``tabs.py``/``tables.py``: the Test snapshots tab, Horizon ajax rows
  (``status_columns``), delete and keep-as-backup actions;
* ``views.py``/``forms.py``/``urls.py``: the Test snapshot modal
  (``horizon:project:consistency:test_snapshot``) and the keep confirmation
  (``horizon:project:consistency:keep_test_snapshot``);
* ``detail.py``: the detail page of one test snapshot (Verdict /
  Evidence: every evidence item with its source and strength);
* ``detail_tab.py``: a Consistency tab for Horizon's instance detail page
  (``EXTRA_TABS``).

API calls: the tab lists with one Glance call and one server list; each
poll of a running test reads the server and the image; settling adds the
console output, the instance action's events, the ranged reads of the
snapshot (2 for a qcow2 ext4 snapshot, at most 32) and the writes.
"""
