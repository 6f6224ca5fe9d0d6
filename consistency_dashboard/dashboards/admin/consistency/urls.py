from django.urls import re_path

from consistency_dashboard.dashboards.admin.consistency import image_detail
from consistency_dashboard.dashboards.admin.consistency import views

# Every URL is horizon:admin:consistency:<name>.
urlpatterns = [
    re_path(r'^$', views.AuditView.as_view(), name='index'),
    re_path(r'^export/(?P<kind>instances|images)\.(?P<fmt>csv|json)$',
            views.ExportView.as_view(), name='export'),
    re_path(r'^diagnosis/$', views.DiagnosisSearchView.as_view(),
            name='diagnosis_search'),
    re_path(r'^diagnosis/(?P<instance_id>[0-9a-fA-F-]{32,36})/$',
            views.DiagnosisView.as_view(), name='diagnosis'),
    re_path(r'^snapshots/$', views.RecentSnapshotsView.as_view(),
            name='snapshots'),
    re_path(r'^images/(?P<image_id>[^/]+)/$',
            image_detail.AdminImageDetailView.as_view(),
            name='image_detail'),
]
