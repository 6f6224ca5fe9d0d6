from django.urls import re_path

from consistency_dashboard.dashboards.project.consistency.instances \
    import detail
from consistency_dashboard.dashboards.project.consistency.instances \
    import views

urlpatterns = [
    re_path(r'^instances/(?P<instance_id>[^/]+)/$',
            detail.InstanceDetailView.as_view(), name='instance_detail'),
    re_path(r'^instances/(?P<instance_id>[^/]+)/rebuild/$',
            views.RebuildFromImageView.as_view(), name='rebuild_from_image'),
    re_path(r'^instances/(?P<instance_id>[^/]+)/rebuild_from_snapshot/$',
            views.RebuildFromSnapshotView.as_view(),
            name='rebuild_from_snapshot'),
    re_path(r'^instances/(?P<instance_id>[^/]+)/rebuild_from_snapshot/'
            r'advance/$', views.AdvanceRebuildFromSnapshotView.as_view(),
            name='rebuild_from_snapshot_advance'),
    re_path(r'^instances/(?P<instance_id>[^/]+)/boot_volume/$',
            views.RecreateFromVolumeView.as_view(),
            name='recreate_from_volume'),
    re_path(r'^instances/(?P<instance_id>[^/]+)/operator_commands/$',
            views.OperatorCommandsView.as_view(), name='operator_commands'),
    re_path(r'^instances/operator_commands/$',
            views.OperatorCommandsView.as_view(),
            name='operator_commands_bulk'),
]
