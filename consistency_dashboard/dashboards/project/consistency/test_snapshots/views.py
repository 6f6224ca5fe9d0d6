from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from horizon import exceptions
from horizon import forms
from horizon import messages

from consistency_dashboard.dashboards.project.consistency.instances \
    import views as instance_views
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import evidence
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import forms as test_forms
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import rows
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import start as start_mod
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import tables


class TestSnapshotView(instance_views._InstanceMixin, forms.ModalFormView):
    """Shows the core's predicted outcome first; on submit starts the test
    snapshot (start.py) and goes to the Test snapshots tab."""
    form_class = test_forms.TestSnapshotForm
    template_name = "consistency_dashboard/project/test_snapshots/create.html"
    modal_id = "test_snapshot_modal"
    modal_header = _("Test snapshot")
    page_title = _("Test snapshot")
    submit_label = _("Take a test snapshot")

    @property
    def submit_url(self):
        return reverse("horizon:project:consistency:test_snapshot",
                       args=(self.kwargs["instance_id"],))

    def get_success_url(self):
        return tables.tab_url()

    cancel_url = property(lambda self: instance_views.instances_tab_url())

    load_error = _("Unable to read instance %s from Nova: "
                   "no test snapshot was taken.")

    def get_initial(self):
        return {"name": start_mod.default_name(self.get_row().name,
                                               rows.now())}

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["row"] = self.get_row()
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        row = self.get_row()
        context["row"] = row
        context["prediction"] = row.prediction
        context["captured_label"] = row.captured.source_label
        context["busy"] = bool(row.task_state)
        return context


class KeepAsBackupView(forms.ModalFormView):
    form_class = test_forms.KeepAsBackupForm
    template_name = "consistency_dashboard/project/test_snapshots/keep.html"
    modal_id = "keep_test_snapshot_modal"
    modal_header = _("Keep as a real backup")
    page_title = _("Keep as a real backup")
    submit_label = _("Keep as a backup")

    @property
    def submit_url(self):
        return reverse("horizon:project:consistency:keep_test_snapshot",
                       args=(self.kwargs["row_id"],))

    def get_success_url(self):
        return tables.tab_url()

    cancel_url = property(lambda self: tables.tab_url())

    def get_row(self):
        if not hasattr(self, "_row"):
            try:
                self._row = evidence.refresh(self.request,
                                             self.kwargs["row_id"])
            except Exception:
                exceptions.handle(self.request,
                                  _("Unable to read this test snapshot."),
                                  redirect=tables.tab_url())
            if not self._row.can_keep:
                messages.error(self.request, _(
                    "Only a settled test snapshot made by this dashboard, "
                    "whose image is active, can be kept: nothing was "
                    "changed."))
                raise exceptions.Http302(tables.tab_url())
        return self._row

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["row"] = self.get_row()
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["row"] = self.get_row()
        return context
