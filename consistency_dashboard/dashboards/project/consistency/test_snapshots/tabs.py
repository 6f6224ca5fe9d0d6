from django.utils.translation import gettext_lazy as _

from horizon import tabs


class TestSnapshotsTab(tabs.Tab):
    """Placeholder until this tab lands (see its issue)."""
    name = _("Test snapshots")
    slug = "test_snapshots"
    template_name = "consistency_dashboard/project/_not_yet.html"
    preload = False

    def allowed(self, request):
        return False
