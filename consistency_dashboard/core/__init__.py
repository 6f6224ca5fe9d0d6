"""The pure core: what the product knows about snapshot consistency.

Plain Python only: no Django, Horizon or OpenStack client imports (a test
enforces this).  Every outcome carries its reasons as data, so the UI, the
tests and any future CLI show the same words.

Modules:

* ``properties.py``: the image properties that decide consistency, parsed
  as Nova parses them (``read_properties``);
* ``posture.py``: what a live snapshot of an instance booted from an image
  can be at best, and the fixes (``image_posture``, ``plan_fix``);
* ``captured.py``: where an instance's boot-time (captured) properties
  come from (``resolve_captured``);
* ``snapshot_paths.py``: what Nova will do when an instance is snapshotted
  now, per boot source, power state and storage (``predict``);
* ``verdict.py``: where the verdict is decided: the evidence around one
  test snapshot in, a consistency level with its reasons out
  (``decide``), and how it is stored on the image, without a language
  (``image_properties_for``, ``verdict_from_image_properties``);
* ``causes.py``: the verdict's causes as codes that fit in a Glance
  property, rendered back into sentences;
* ``snapshot_bytes.py``: what a snapshot's own bytes say (ext4/XFS
  superblocks read through a few ranged reads);
* ``probe.py``: the guest's freeze/thaw probe lines in a console log;
* ``poll.py``: the stage of a running test snapshot and when to poll again;
* ``diagnosis.py``: the admin diagnosis: snapshot actions read per Nova
  release, one paragraph for a ticket;
* ``rebuild_flow.py``: the "rebuild from its own snapshot" fix as a state
  machine; ``fix_eligibility.py``: whether a fix still applies now;
* ``microversions.py``: the compute microversions that change what can be
  known; ``timestamps.py``: the APIs' timestamps as aware datetimes;
* ``i18n.py``: the core's words marked for translation without Django
  (``gettext_noop``, ``fill``, ``join``) and kept without a language for
  storage (``to_data``, ``from_data``); the dashboards translate them
  (``dashboards/translation.py``).
"""
