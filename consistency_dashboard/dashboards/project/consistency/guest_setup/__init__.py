"""Guest setup: what to install in a guest so its snapshots can be frozen
and proven (the probe and application hooks for qemu-guest-agent), with no
OpenStack call at all; the texts come from ``consistency_dashboard.guest``.

Modules:

* ``tabs.py``: the Guest setup tab: the kit, its downloads and the
  cloud-init user-data generator;
* ``forms.py``: the generator's GET form;
* ``views.py``: the downloads (scripts and generated user-data);
* ``urls.py``: ``horizon:project:consistency:guest_script`` and the
  user-data download (``guest_user_data``).
"""
