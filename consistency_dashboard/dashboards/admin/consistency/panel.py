from django.conf import settings
from django.utils.translation import gettext_lazy as _

import horizon


class AdminSnapshotConsistency(horizon.Panel):
    """Admin > Compute > Snapshot Consistency: the fleet audit and the
    failed-snapshot diagnosis for cloud support staff."""
    name = _("Snapshot Consistency")
    slug = 'consistency'
    # Admin role and both services, like Horizon's own Admin > Instances.
    # Horizon ORs the rules of policy_rules and ANDs the pairs inside one
    # rule: one rule, so the panel needs Nova's admin rule, the server list
    # and the image list together (the audit lists servers of all
    # projects, which only Nova's admin rule allows).
    permissions = ('openstack.roles.admin', 'openstack.services.compute',
                   'openstack.services.image')
    policy_rules = ((("compute", "context_is_admin"),
                     ("compute", "os_compute_api:servers:detail"),
                     ("image", "get_images")),)

    def allowed(self, context):
        # Same rule as Horizon's admin panels: shown to the scope (system
        # or project) that owns compute administration.
        if (('compute' in settings.SYSTEM_SCOPE_SERVICES) !=
                bool(context['request'].user.system_scoped)):
            return False
        return super().allowed(context)
