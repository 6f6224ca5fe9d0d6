from django.utils.translation import gettext_lazy as _

from horizon import tabs


class GuestSetupTab(tabs.Tab):
    """Placeholder until this tab lands (see its issue)."""
    name = _("Guest setup")
    slug = "guest_setup"
    template_name = "consistency_dashboard/project/_not_yet.html"
    preload = False

    def allowed(self, request):
        return False
