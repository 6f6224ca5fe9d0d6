from django.conf import settings
from django.utils.translation import gettext_lazy as _

import horizon


class AdminSnapshotConsistency(horizon.Panel):
    """Admin > Compute > Snapshot Consistency: the fleet audit and the
    failed-snapshot diagnosis for cloud support staff (issue 7)."""
    name = _("Snapshot Consistency")
    slug = 'consistency'
    # Admin role, both services, and the admin rule of both policies, like
    # Horizon's own Admin > Instances and Admin > Images panels.
    permissions = ('openstack.roles.admin', 'openstack.services.compute',
                   'openstack.services.image')
    policy_rules = ((("compute", "context_is_admin"),
                     ("compute", "os_compute_api:servers:detail")),
                    (("image", "context_is_admin"),
                     ("image", "get_images")))

    def allowed(self, context):
        # Same rule as Horizon's admin panels: shown to the scope (system
        # or project) that owns compute administration.
        if (('compute' in settings.SYSTEM_SCOPE_SERVICES) !=
                bool(context['request'].user.system_scoped)):
            return False
        return super().allowed(context)
