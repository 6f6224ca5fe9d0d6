import datetime

from django import http
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import generic

from horizon import exceptions
from horizon import forms
from horizon import views

from openstack_dashboard import api

from consistency_dashboard.api import errors
from consistency_dashboard.core import rebuild_flow as flow
from consistency_dashboard.core import snapshot_paths as paths
from consistency_dashboard.dashboards.project.consistency \
    import tables as project_tables
from consistency_dashboard.dashboards.project.consistency.instances \
    import forms as instance_forms
from consistency_dashboard.dashboards.project.consistency.instances \
    import loading


# Nova's 404 for an id that is not (or no longer) one of the project's
# instances; keystoneauth words it "Unrecognized schema in response body".
INSTANCE_GONE = _("This instance no longer exists (or is not in this "
                  "project).")


def instances_tab_url():
    return project_tables.tab_url("instances")


class _InstanceMixin(object):
    """Loads the row of the instance in the URL, or says why it cannot."""
    load_error = _("Unable to read instance %s from Nova.")

    def get_row(self):
        if not hasattr(self, "_row"):
            try:
                self._row = loading.load_row(self.request,
                                             self.kwargs["instance_id"])
            except Exception as exc:
                status, _why = errors.explain(exc, _("Nova"))
                gone = status == 404 or type(exc).__name__ == "NotFound"
                exceptions.handle(self.request,
                                  INSTANCE_GONE if gone else
                                  self.load_error % self.kwargs["instance_id"],
                                  redirect=instances_tab_url(), details="")
        return self._row


class RebuildFromImageView(_InstanceMixin, forms.ModalFormView):
    form_class = instance_forms.RebuildFromImageForm
    template_name = "consistency_dashboard/project/instances/rebuild.html"
    modal_id = "rebuild_from_image_modal"
    modal_header = _("Rebuild from the image")
    page_title = _("Rebuild from the image")
    submit_label = _("Rebuild")

    @property
    def submit_url(self):
        return reverse("horizon:project:consistency:rebuild_from_image",
                       args=(self.kwargs["instance_id"],))

    def get_success_url(self):
        return instances_tab_url()

    cancel_url = property(lambda self: instances_tab_url())

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["row"] = self.get_row()
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        row = self.get_row()
        context["row"] = row
        context["tradeoff"] = paths.FIX_OPTION_TRADEOFFS[
            paths.FixOption.REBUILD_FROM_IMAGE]
        context["step"] = row.step(paths.FixOption.REBUILD_FROM_IMAGE)
        return context


class RecreateFromVolumeView(_InstanceMixin, forms.ModalFormView):
    form_class = instance_forms.FixBootVolumeForm
    template_name = "consistency_dashboard/project/instances/boot_volume.html"
    modal_id = "boot_volume_modal"
    modal_header = _("Fix the boot volume")
    page_title = _("Fix the boot volume")
    submit_label = _("Set the properties on the volume")

    @property
    def submit_url(self):
        return reverse("horizon:project:consistency:recreate_from_volume",
                       args=(self.kwargs["instance_id"],))

    def get_success_url(self):
        return instances_tab_url()

    cancel_url = property(lambda self: instances_tab_url())

    def _to_set(self):
        step = self.get_row().step(paths.FixOption.VOLUME_RECREATE)
        return dict(step.set_properties) if step else {}

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["row"] = self.get_row()
        kwargs["to_set"] = self._to_set()
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["row"] = self.get_row()
        context["to_set"] = sorted(self._to_set().items())
        context["tradeoff"] = paths.FIX_OPTION_TRADEOFFS[
            paths.FixOption.VOLUME_RECREATE]
        return context


class OperatorCommandsView(views.HorizonTemplateView):
    """The exact nova-manage commands for support staff (admin role):
    DOMAIN.md option 3, no data loss, Nova 25.0.0 Yoga and later."""
    template_name = "consistency_dashboard/project/instances/operator.html"
    page_title = _("Operator commands")

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_superuser:
            raise http.Http404()
        return super().dispatch(request, *args, **kwargs)

    def get_template_names(self):
        if self.request.headers.get("x-requested-with") == "XMLHttpRequest":
            return ["consistency_dashboard/project/instances/_operator.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        ids = ([kwargs["instance_id"]] if kwargs.get("instance_id") else
               self.request.GET.getlist("instance_id"))
        rows, missing = [], []
        try:
            if kwargs.get("instance_id"):
                rows = [loading.load_row(self.request, ids[0])]
            else:
                rows, missing = loading.load_rows(self.request, ids)
        except Exception:
            exceptions.handle(self.request, _("Unable to read the instances "
                                              "from Nova."),
                              redirect=instances_tab_url(), details="")
        entries = []
        for row in rows:
            step = row.step(paths.FixOption.OPERATOR_NOVA_MANAGE)
            entries.append({"row": row, "step": step,
                            "commands": step.commands if step else ()})
        context.update(entries=entries, missing=missing,
                       tradeoff=paths.FIX_OPTION_TRADEOFFS[
                           paths.FixOption.OPERATOR_NOVA_MANAGE],
                       back_url=instances_tab_url())
        return context


class RebuildFromSnapshotView(_InstanceMixin, views.HorizonTemplateView):
    template_name = \
        "consistency_dashboard/project/instances/rebuild_from_snapshot.html"
    page_title = _("Rebuild from its own snapshot")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        row = self.get_row()
        context.update(
            row=row,
            tradeoff=paths.FIX_OPTION_TRADEOFFS[
                paths.FixOption.REBUILD_FROM_OWN_SNAPSHOT],
            steps=[(name, flow.STEP_LABELS[name]) for name in flow.STEPS],
            advance_url=reverse(
                "horizon:project:consistency:rebuild_from_snapshot_advance",
                args=(row.id,)),
            back_url=instances_tab_url())
        return context


def _server_image_id(server):
    image = getattr(server, "image", None)
    return image.get("id") if isinstance(image, dict) else None


class AdvanceRebuildFromSnapshotView(generic.View):
    """One step of the guided flow per POST: look at OpenStack, take at most
    one action, answer with the steps' states as JSON.  The flow's only
    state is its record in the server metadata (no database of our own)."""

    def post(self, request, instance_id):
        observed = None
        try:
            observed = self._observe(request, instance_id)
            progress = flow.advance(observed)
            message = progress.message
            self._act(request, instance_id, observed, progress)
        except Exception as exc:
            _status, why = errors.explain(exc)
            return http.JsonResponse({
                "steps": self._steps(observed),
                "done": False, "failed": True,
                "message": "Stopped: %s. %s Nothing was deleted." % (
                    why, self._state_text(observed))})
        return http.JsonResponse({
            "steps": [[name, state.value] for name, state in progress.steps],
            "done": progress.done, "failed": progress.failed,
            "message": message})

    @staticmethod
    def _state_text(observed):
        if observed is None:
            return ""
        text = "The instance is %s." % observed.server_status
        if observed.record and observed.record.snapshot_id:
            text += " Snapshot %s is %s." % (
                observed.record.snapshot_id,
                "gone" if observed.snapshot_gone
                else observed.snapshot_status)
        return text

    @staticmethod
    def _steps(observed):
        if observed is None:
            return [[name, "pending"] for name in flow.STEPS]
        return [[name, state.value]
                for name, state in flow.advance(observed).steps]

    def _observe(self, request, instance_id):
        server = api.nova.server_get(request, instance_id)
        metadata = getattr(server, "metadata", None) or {}
        record = flow.decode_record(metadata.get(flow.RECORD_KEY))
        snapshot, gone = None, False
        if record and record.snapshot_id:
            try:
                snapshot = api.glance.image_get(request, record.snapshot_id)
            except Exception as exc:
                if errors.status_of(exc) != 404:
                    raise
                gone = True
        return flow.Observed(
            server_status=server.status,
            task_state=getattr(server, "OS-EXT-STS:task_state", None),
            server_image_id=_server_image_id(server),
            record=record,
            snapshot_status=getattr(snapshot, "status", None),
            snapshot_gone=gone or getattr(snapshot, "status",
                                          None) == "deleted",
            snapshot_properties=(dict(snapshot.properties)
                                 if snapshot is not None else None))

    def _act(self, request, instance_id, observed, progress):
        record = observed.record or flow.Record(
            was_running=observed.server_status == "ACTIVE")
        action = progress.action
        if action is flow.Action.STOP:
            api.nova.server_metadata_update(
                request, instance_id, {flow.RECORD_KEY: record.encode()})
            api.nova.server_stop(request, instance_id)
        elif action is flow.Action.SNAPSHOT:
            name = "consistency-fix-%s-%s" % (
                instance_id[:8],
                datetime.datetime.utcnow().strftime("%Y%m%dT%H%M%S"))
            image_id = api.nova.snapshot_create(request, instance_id, name)
            record = flow.Record(snapshot_id=image_id,
                                 was_running=record.was_running)
            api.nova.server_metadata_update(
                request, instance_id, {flow.RECORD_KEY: record.encode()})
        elif action is flow.Action.SET_PROPERTIES:
            api.glance.image_update_properties(
                request, record.snapshot_id, None,
                **progress.properties_to_set)
        elif action is flow.Action.REBUILD:
            api.nova.server_rebuild(request, instance_id, record.snapshot_id)
            record = flow.Record(snapshot_id=record.snapshot_id,
                                 rebuild_requested=True,
                                 was_running=record.was_running)
            api.nova.server_metadata_update(
                request, instance_id, {flow.RECORD_KEY: record.encode()})
        elif action is flow.Action.START:
            api.nova.server_start(request, instance_id)
        elif action is flow.Action.FINISH:
            api.nova.server_metadata_delete(request, instance_id,
                                            [flow.RECORD_KEY])
