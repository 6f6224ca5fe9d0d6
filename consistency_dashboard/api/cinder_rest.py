"""Block Storage calls that ``openstack_dashboard.api.cinder`` does not make.

Horizon has no call for a volume's image metadata (Cinder
``os-set_image_metadata``), which is where a volume-backed server's
properties live (DOMAIN.md, "Properties are captured at boot", option 4)."""

from openstack_dashboard.api import cinder


def volume_set_image_metadata(request, volume_id, metadata):
    """Set keys in the volume's ``volume_image_metadata``."""
    return cinder.cinderclient(request).volumes.set_image_metadata(
        volume_id, metadata)
