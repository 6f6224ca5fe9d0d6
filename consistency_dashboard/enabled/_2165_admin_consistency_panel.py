# Registers Admin > Compute > Snapshot Consistency (support staff: fleet
# audit, failed-snapshot diagnosis, recent snapshots).  Copy this file into
# openstack_dashboard/local/enabled/ beside _1065_project_consistency_panel.py.
PANEL = 'consistency'
PANEL_DASHBOARD = 'admin'
PANEL_GROUP = 'compute'
ADD_PANEL = ('consistency_dashboard.dashboards.admin.consistency.panel.'
             'AdminSnapshotConsistency')
# The app itself is added by _1065_project_consistency_panel.py: Horizon
# refuses the same app twice ("Application labels aren't unique").
