from django.urls import re_path

from consistency_dashboard.dashboards.project.consistency import views

urlpatterns = [
    re_path(r'^$', views.IndexView.as_view(), name='index'),
    re_path(r'^fix/(?P<fix>[a-z_]+)/$', views.ApplyFixView.as_view(),
            name='fix'),
]
