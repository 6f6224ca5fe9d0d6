from django.urls import re_path

from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import detail
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import views

urlpatterns = [
    re_path(r'^instances/(?P<instance_id>[^/]+)/test_snapshot/$',
            views.TestSnapshotView.as_view(), name='test_snapshot'),
    re_path(r'^test_snapshots/(?P<row_id>[^/]+)/$',
            detail.TestSnapshotDetailView.as_view(),
            name='test_snapshot_detail'),
    re_path(r'^test_snapshots/(?P<row_id>[^/]+)/keep/$',
            views.KeepAsBackupView.as_view(), name='keep_test_snapshot'),
]
