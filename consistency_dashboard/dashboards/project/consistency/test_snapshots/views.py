import logging

from django.utils.translation import gettext_lazy as _

from horizon import exceptions
from horizon import messages

from consistency_dashboard.api import errors
from consistency_dashboard.api import servers as server_calls
from consistency_dashboard.dashboards.project.consistency import \
    modal_base
from consistency_dashboard.dashboards.project.consistency.instances \
    import views as instance_views
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import records
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import forms as test_forms
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import rows
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import start as start_mod
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import tables

LOG = logging.getLogger(__name__)

NOT_IN_PROJECT = _("This instance is not one of this project's: nothing was "
                   "changed.")


def load_server(request, instance_id):
    """``(server dict, gone)`` of the instance a link names, read only;
    Nova's 404 is ``(None, True)``; any other failure is said and sends the
    user back to the tab."""
    try:
        server, _version = server_calls.server_with_properties(
            request, instance_id, server_calls.max_microversion(request))
        return server, False
    except Exception as exc:
        status, _why = errors.explain(exc, _("Nova"))
        if status == 404 or type(exc).__name__ in ("NotFound",
                                                   "HTTPNotFound"):
            return None, True
        exceptions.handle(request, _("Unable to read the instance of this "
                                     "test snapshot from Nova: nothing was "
                                     "changed."),
                          redirect=tables.tab_url(), details="")


class TestSnapshotView(instance_views._InstanceMixin,
                       modal_base.RowModalFormView):
    """Shows the core's predicted outcome first; on submit starts the test
    snapshot (start.py) and goes to the Test snapshots tab."""
    form_class = test_forms.TestSnapshotForm
    template_name = "consistency_dashboard/project/test_snapshots/create.html"
    modal_id = "test_snapshot_modal"
    modal_header = _("Test snapshot")
    submit_label = _("Take a test snapshot")
    submit_url_name = "horizon:project:consistency:test_snapshot"
    url_kwarg = "instance_id"

    def back_url(self):
        return tables.tab_url()

    # Cancel goes back where the user came from: the Instances tab.
    cancel_url = property(lambda self: instance_views.instances_tab_url())

    load_error = _("Unable to read instance %s from Nova: "
                   "no test snapshot was taken.")

    def get_row(self):
        row = super().get_row()
        # Checked on every request, the POST included: an admin's token
        # reads any project's server, and a test writes a record on it.
        if not rows.server_in_project(row.server,
                                      self.request.user.project_id):
            messages.error(self.request, NOT_IN_PROJECT)
            raise exceptions.Http302(instance_views.instances_tab_url())
        return row

    def get_initial(self):
        return {"name": start_mod.default_name(self.get_row().name,
                                               rows.now())}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        row = self.get_row()
        context["row"] = row
        context["prediction"] = row.prediction
        context["captured_label"] = row.captured.source_label
        context["busy"] = bool(row.task_state)
        context["keep_settled"] = start_mod.KEEP_SETTLED
        return context


class KeepAsBackupView(modal_base.RowModalFormView):
    form_class = test_forms.KeepAsBackupForm
    template_name = "consistency_dashboard/project/test_snapshots/keep.html"
    modal_id = "keep_test_snapshot_modal"
    modal_header = _("Keep as a real backup")
    submit_label = _("Keep as a backup")
    submit_url_name = "horizon:project:consistency:keep_test_snapshot"
    url_kwarg = "row_id"

    def back_url(self):
        return tables.tab_url()

    def _refuse(self, message):
        messages.error(self.request, message)
        raise exceptions.Http302(tables.tab_url())

    def get_row(self):
        """The test snapshot the URL names, read without writing anything
        (this view's GET must not write: the verdict is written by the
        Test snapshots tab's own row updates), and only when the URL, the
        record on the instance and the image agree."""
        if not hasattr(self, "_row"):
            self._row = self._load_row()
        return self._row

    def _load_row(self):
        request = self.request
        try:
            instance_id, stamp, image_asked = rows.split_row_id(
                self.kwargs["row_id"])
        except ValueError:
            self._refuse(_("This link does not name a test snapshot: "
                           "nothing was changed."))
        project_id = request.user.project_id
        server, gone = load_server(request, instance_id)
        if server is not None and not rows.server_in_project(server,
                                                             project_id):
            self._refuse(NOT_IN_PROJECT)
        record = None
        for found in records.records_of(instance_id,
                                        (server or {}).get("metadata")):
            if found.stamp == stamp:
                record = found
        row = rows.TestSnapshotRow(instance_id, stamp, record=record,
                                   server=server)
        why = rows.disagreement(row, image_asked)
        if why:
            self._refuse(why)
        image_id = image_asked or (record.image_id if record else None)
        if not image_id:
            self._refuse(_("This test snapshot has no image to keep: "
                           "nothing was changed."))
        image, why = rows.reread_own_test_snapshot(
            request, image_id, instance_id, image_id,
            _("Nothing was changed."))
        if why:
            self._refuse(why)
        row = rows.TestSnapshotRow(instance_id, stamp, image=image,
                                   record=record, server=server,
                                   server_state="deleted" if gone else None)
        if not row.can_keep:
            self._refuse(_(
                "Only a settled test snapshot made by this dashboard, "
                "whose image is active, can be kept: nothing was "
                "changed."))
        return row

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["row"] = self.get_row()
        return context
