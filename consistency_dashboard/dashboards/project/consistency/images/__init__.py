"""Images: the Glance images this project can boot from, whether their
properties let Nova take a consistent live snapshot, and the one-click fix.

Modules:

* ``tabs.py``: the Images tab: one paginated Glance list
  (``visibility=all``, narrowed to what a member of the project can use),
  one server list for the instance counts;
* ``rows.py``: one row per image: the core's reading of its properties
  (``core.properties``) and posture (``core.posture``), whether this user
  may change it (policy, owner, status); what an admin's list holds that a
  member cannot use (``usable_by_project``, the members call in
  ``api/images.py``);
* ``tables.py``: the Images table: properties raw beside what Nova reads,
  the best live snapshot badge, one-image and bulk fix actions;
* ``views.py``/``forms.py``: the fix: a confirmation listing what changes
  on each selected image, then ``forms.ApplyFixForm.handle`` calls Glance
  (Horizon's ``api.glance.image_update_properties``), image by image, each
  failure with its reason (``api/errors.py``);
* ``detail.py``: the detail page of one image (Overview, Why, Fix tabs);
* ``urls.py``: ``horizon:project:consistency:fix`` and ``image_detail``.

API calls: the tab makes one Glance list and one Nova server list, plus the
members of shared images of other projects when the user is an admin; the
detail page one image get and one server list.
"""
