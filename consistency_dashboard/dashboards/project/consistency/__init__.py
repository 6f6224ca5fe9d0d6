"""Project > Compute > Snapshot Consistency: for the images and instances of
the current project, whether a live snapshot is consistent, the fixes, and
test snapshots that prove it.

The panel root holds only what the tabs share; each tab is a subpackage
with its own map:

* ``images/``: the Images tab, the image detail page and the properties
  fix (the fix calls Glance in ``images/forms.py``: Horizon's
  ``api.glance.image_update_properties``);
* ``instances/``: the Instances tab, the instance detail page and the
  fixes of what Nova captured at boot;
* ``test_snapshots/``: test snapshots and their verdicts (the evidence is
  gathered in ``test_snapshots/evidence.py``; the verdict is decided in
  ``core/verdict.py`` ``decide``);
* ``guest_setup/``: the guest kit, no OpenStack call.

At the root:

* ``panel.py``: the panel (name, slug, policy);
* ``urls.py``: the index and every tab's URLs, in one flat namespace
  (``horizon:project:consistency:<name>``);
* ``views.py``: the index view; ``tabs.py``: the tab group;
* ``tables.py``: what the tabs' tables share (``tab_url``, the outcome
  badge, boolean cells, the needs-attention toggle);
* ``paging.py``: paginated table tabs; ``detail_base.py``: what the detail
  pages share; ``modal_base.py``: what the modal forms share (submit URL,
  where success and cancel lead, the row given to the form).

The decisions are the core's (``consistency_dashboard/core``); the calls
Horizon's ``openstack_dashboard.api`` does not make are in
``consistency_dashboard/api``.  Templates and static files are in the
repository's top-level ``templates/`` and ``static/`` (shipped inside the
package, see setup.py).
"""
