"""The panel's tab group: Images, Instances, Test snapshots, Guest setup
(each tab lives in its subpackage)."""
from horizon import tabs

from consistency_dashboard.dashboards.project.consistency.guest_setup \
    import tabs as guest_setup_tabs
from consistency_dashboard.dashboards.project.consistency.images \
    import tabs as images_tabs
from consistency_dashboard.dashboards.project.consistency.instances \
    import tabs as instances_tabs
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import tabs as test_snapshots_tabs


class ConsistencyTabs(tabs.TabGroup):
    slug = "consistency"
    tabs = (images_tabs.ImagesTab, instances_tabs.InstancesTab,
            test_snapshots_tabs.TestSnapshotsTab,
            guest_setup_tabs.GuestSetupTab)
    sticky = True
