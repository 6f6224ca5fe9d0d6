from django.urls import re_path

from consistency_dashboard.dashboards.project.consistency.images \
    import detail
from consistency_dashboard.dashboards.project.consistency.images \
    import views

urlpatterns = [
    re_path(r'^fix/(?P<fix>[a-z_]+)/$', views.ApplyFixView.as_view(),
            name='fix'),
    re_path(r'^images/(?P<image_id>[^/]+)/$',
            detail.ImageDetailView.as_view(), name='image_detail'),
]
