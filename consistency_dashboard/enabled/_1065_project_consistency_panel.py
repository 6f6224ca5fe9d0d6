# Registers Project > Compute > Snapshot Consistency.
# Copy this file into openstack_dashboard/local/enabled/ (the DevStack plugin
# in devstack/plugin.sh does this).
PANEL = 'consistency'
PANEL_DASHBOARD = 'project'
PANEL_GROUP = 'compute'
ADD_PANEL = ('consistency_dashboard.dashboards.project.consistency.panel.'
             'SnapshotConsistency')
ADD_INSTALLED_APPS = ['consistency_dashboard']
ADD_SCSS_FILES = ['consistency_dashboard/css/consistency.scss']
# The Guest kit step of Launch Instance (Angular workflow extension): puts
# the guest kit's cloud-init user-data into Configuration > Customization
# Script.
ADD_JS_FILES = ['consistency_dashboard/js/guest_setup.js']
ADD_ANGULAR_MODULES = ['consistency_dashboard.guest_setup']
# A Consistency tab on Horizon's own instance detail page: the prediction,
# a Test snapshot button and this instance's verdicts.
EXTRA_TABS = {
    'openstack_dashboard.dashboards.project.instances.tabs.'
    'InstanceDetailTabs': (
        (100, 'consistency_dashboard.dashboards.project.consistency.'
              'test_snapshots.detail_tab.ConsistencyTab'),
    ),
}
