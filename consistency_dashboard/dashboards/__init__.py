"""The Horizon side of the plugin.

* ``project/consistency/``: Project > Compute > Snapshot Consistency (its
  own map says where each tab's calls and decisions are);
* ``admin/consistency/``: Admin > Compute > Snapshot Consistency;
* ``translation.py``: where the core's words are translated
  (``core_text``, and the ``core_text`` template filter of
  ``templatetags/consistency_text.py``).
"""
