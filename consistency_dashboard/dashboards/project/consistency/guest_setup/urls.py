from django.urls import re_path

from consistency_dashboard.dashboards.project.consistency.guest_setup \
    import views

urlpatterns = [
    re_path(r'^guest_setup/scripts/(?P<name>[A-Za-z0-9_.-]+)/$',
            views.ScriptDownloadView.as_view(), name='guest_script'),
    re_path(r'^guest_setup/user-data/$',
            views.UserDataDownloadView.as_view(), name='guest_user_data'),
]
