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
