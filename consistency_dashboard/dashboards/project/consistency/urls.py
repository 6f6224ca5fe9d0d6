from django.urls import re_path

from consistency_dashboard.dashboards.project.consistency.guest_setup \
    import urls as guest_setup_urls
from consistency_dashboard.dashboards.project.consistency.images \
    import urls as images_urls
from consistency_dashboard.dashboards.project.consistency.instances \
    import urls as instances_urls
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import urls as test_snapshots_urls
from consistency_dashboard.dashboards.project.consistency import views

# One flat namespace: every URL is horizon:project:consistency:<name>.
urlpatterns = [
    re_path(r'^$', views.IndexView.as_view(), name='index'),
] + (images_urls.urlpatterns + instances_urls.urlpatterns +
     test_snapshots_urls.urlpatterns + guest_setup_urls.urlpatterns)
