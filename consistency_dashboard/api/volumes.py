"""Block Storage calls that ``openstack_dashboard.api.cinder`` does not make.

Horizon has no call for a volume's image metadata (Cinder
``os-set_image_metadata``), which is where a volume-backed server's
properties live (DOMAIN.md, "Properties are captured at boot", option 4).
Reading it needs no call of ours: Horizon's ``api.cinder.volume_list`` and
``volume_get`` carry ``volume_image_metadata``."""

from openstack_dashboard.api import cinder
from openstack_dashboard.contrib.developer.profiler import api as profiler


@profiler.trace
def volume_set_image_metadata(request, volume_id, metadata):
    """Set keys in the volume's ``volume_image_metadata``."""
    return cinder.cinderclient(request).volumes.set_image_metadata(
        volume_id, metadata)
