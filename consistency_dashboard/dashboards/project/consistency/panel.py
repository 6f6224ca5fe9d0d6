from django.utils.translation import gettext_lazy as _

import horizon


class SnapshotConsistency(horizon.Panel):
    name = _("Snapshot Consistency")
    slug = 'consistency'
    permissions = ('openstack.services.image', 'openstack.services.compute')
    policy_rules = (("image", "get_images"),)
