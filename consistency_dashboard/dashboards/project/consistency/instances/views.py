import logging

from django import http
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import generic

from horizon import exceptions
from horizon import views

from consistency_dashboard.api import errors
from consistency_dashboard.core import rebuild_flow as flow
from consistency_dashboard.core import snapshot_paths as paths
from consistency_dashboard.dashboards.project.consistency import \
    modal_base
from consistency_dashboard.dashboards.project.consistency \
    import tables as project_tables
from consistency_dashboard.dashboards.project.consistency.instances \
    import forms as instance_forms
from consistency_dashboard.dashboards.project.consistency.instances \
    import flow_calls
from consistency_dashboard.dashboards.project.consistency.instances \
    import loading
from consistency_dashboard.dashboards.translation import core_text

LOG = logging.getLogger(__name__)


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


class _FixModalView(_InstanceMixin, modal_base.RowModalFormView):
    """A fix of one instance in a modal: the form and the page get the row
    and why this project may not run the fix (``refusal``, None when it
    may), the page also the fix's trade-off."""
    url_kwarg = "instance_id"
    option = None    # the core's snapshot_paths.FixOption

    def back_url(self):
        return instances_tab_url()

    def refusal(self, row):
        raise NotImplementedError

    def form_kwargs(self):
        row = self.get_row()
        return {"row": row, "refusal": self.refusal(row)}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        row = self.get_row()
        context.update(row=row, refusal=self.refusal(row),
                       tradeoff=paths.FIX_OPTION_TRADEOFFS[self.option])
        return context


class RebuildFromImageView(_FixModalView):
    form_class = instance_forms.RebuildFromImageForm
    template_name = "consistency_dashboard/project/instances/rebuild.html"
    modal_id = "rebuild_from_image_modal"
    modal_header = _("Rebuild from the image")
    submit_label = _("Rebuild")
    submit_url_name = "horizon:project:consistency:rebuild_from_image"
    option = paths.FixOption.REBUILD_FROM_IMAGE

    def refusal(self, row):
        return row.rebuild_from_image_refusal(self.request.user.project_id)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["step"] = context["row"].step(self.option)
        return context


class RecreateFromVolumeView(_FixModalView):
    form_class = instance_forms.FixBootVolumeForm
    template_name = "consistency_dashboard/project/instances/boot_volume.html"
    modal_id = "boot_volume_modal"
    modal_header = _("Fix the boot volume")
    submit_label = _("Set the properties on the volume")
    submit_url_name = "horizon:project:consistency:recreate_from_volume"
    option = paths.FixOption.VOLUME_RECREATE

    def refusal(self, row):
        return row.boot_volume_refusal(self.request.user.project_id)

    def _to_set(self):
        return self.get_row().volume_to_set()

    def form_kwargs(self):
        return dict(super().form_kwargs(), to_set=self._to_set())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["to_set"] = sorted(self._to_set().items())
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


def _progress_json(progress, observed=None, ours=False):
    allowed = False
    if observed is not None:
        allowed, _image = flow.discard_target(observed, ours)
    return {
        "steps": [[name, state.value] for name, state in progress.steps],
        "done": progress.done, "failed": progress.failed,
        "message": core_text(progress.message),
        "stale": progress.stale.value if progress.stale else None,
        "needs_confirmation": progress.needs_confirmation,
        "can_discard": allowed,
        "runs": [list(run) for run in progress.runs]}


def _stopped_json(message, status=200, observed=None):
    steps = ([[name, "pending"] for name in flow.STEPS] if observed is None
             else [[name, state.value]
                   for name, state in flow.advance(observed).steps])
    return http.JsonResponse({
        "steps": steps, "done": False, "failed": True,
        "message": str(message), "stale": None,
        "needs_confirmation": False, "can_discard": False, "runs": []},
        status=status)


SESSION_EXPIRED = _("Your session has expired: log in again and reopen "
                    "this page. The fix resumes where it stopped; nothing "
                    "was lost.")


class RebuildFromSnapshotView(_InstanceMixin, views.HorizonTemplateView):
    template_name = \
        "consistency_dashboard/project/instances/rebuild_from_snapshot.html"
    page_title = _("Rebuild from its own snapshot")

    def _initial(self, row):
        """Where the flow stands, read only (GET never writes)."""
        try:
            _server, observed, ours = flow_calls.observe(self.request,
                                                         row.id)
        except flow_calls.FlowStopped as exc:
            exceptions.handle(self.request, exc.message,
                              redirect=instances_tab_url())
        except Exception:
            exceptions.handle(self.request, _(
                "Unable to read where the fix of %s stands.") % row.name,
                redirect=instances_tab_url())
        if observed.record is None and observed.found_snapshot_id is None \
                and not row.allows(paths.FixOption.REBUILD_FROM_OWN_SNAPSHOT):
            return None
        progress = flow.advance(observed)
        data = _progress_json(progress, observed, ours)
        if observed.record is not None and progress.stale is None and \
                not progress.done and not progress.failed:
            data["message"] = str(_("This fix was started earlier and is "
                                    "not finished. Next: %s") %
                                  core_text(progress.message))
        return data

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        row = self.get_row()
        initial = self._initial(row)
        context.update(
            row=row,
            initial=initial,
            refusal=(None if initial is not None else _(
                "%s does not need this fix: nothing to do.") % row.name),
            tradeoff=paths.FIX_OPTION_TRADEOFFS[
                paths.FixOption.REBUILD_FROM_OWN_SNAPSHOT],
            steps=[(name, flow.STEP_LABELS[name]) for name in flow.STEPS],
            advance_url=reverse(
                "horizon:project:consistency:rebuild_from_snapshot_advance",
                args=(row.id,)),
            back_url=instances_tab_url())
        return context


class AdvanceRebuildFromSnapshotView(generic.View):
    """One step of the guided flow per POST: look at OpenStack, take at most
    one action, answer with the steps' states as JSON.  The flow's only
    state is its record in the server metadata (no database of our own).
    ``confirm_name`` (the typed instance name) is required to start a flow
    or to resume a stale one; ``decision=discard`` discards it."""

    def post(self, request, instance_id):
        observed = None
        try:
            _server, observed, ours = flow_calls.observe(
                request, instance_id, request.POST.get("confirm_name"))
            if request.POST.get("decision") == "discard":
                return self._discard(request, instance_id, observed, ours)
            progress = flow.advance(observed)
            self._check_eligible(request, instance_id, observed, progress)
            flow_calls.act(request, instance_id, observed, progress, ours)
        except flow_calls.FlowStopped as exc:
            return _stopped_json(exc.message, observed=observed)
        except Exception as exc:
            return self._failed(request, instance_id, exc, observed)
        return http.JsonResponse(_progress_json(progress, observed, ours))

    @staticmethod
    def _check_eligible(request, instance_id, observed, progress):
        """Starting a flow needs an instance that needs the fix, read now
        (the link's allowed() is not a check)."""
        if observed.record is not None or progress.action not in (
                flow.Action.STOP, flow.Action.SNAPSHOT):
            return
        row = loading.load_row(request, instance_id)
        if not row.allows(paths.FixOption.REBUILD_FROM_OWN_SNAPSHOT):
            raise flow_calls.FlowStopped(_(
                "%s does not need this fix: nothing was done.") % row.name)

    def _discard(self, request, instance_id, observed, ours):
        deleted = flow_calls.discard(request, instance_id, observed, ours)
        message = (_("Discarded: the fix's record is removed and its "
                     "snapshot %s deleted. Nothing else was changed.")
                   % deleted if deleted else
                   _("Discarded: the fix's record is removed. Nothing else "
                     "was changed."))
        return http.JsonResponse({
            "steps": [[name, "pending"] for name in flow.STEPS],
            "done": False, "failed": False, "discarded": True,
            "message": str(message), "stale": None,
            "needs_confirmation": True, "can_discard": False, "runs": []})

    @staticmethod
    def _kept_snapshot(request, instance_id):
        """The sentence naming the fix's snapshot of a deleted instance: it
        is kept (the last copy of that disk), never deleted silently."""
        try:
            found = flow_calls.find_tagged_snapshot(request, instance_id)
        except Exception:
            return ""
        if not found:
            return ""
        return str(_(" Snapshot %(name)s (%(id)s), taken by this fix, is "
                     "kept in Images: it holds the instance's disk as it "
                     "was then. Delete it there when you no longer need "
                     "it.") % {"name": found.get("name"),
                               "id": found.get("id")})

    def _failed(self, request, instance_id, exc, observed):
        status, why = errors.explain(exc, _("Nova or Glance"))
        if status == 401:
            return _stopped_json(SESSION_EXPIRED, status=401,
                                 observed=observed)
        LOG.warning("Guided flow step failed", exc_info=True)
        kept = (self._kept_snapshot(request, instance_id)
                if status == 404 and observed is None else "")
        return _stopped_json(_("Stopped: %(why)s. %(where)s%(kept)s") % {
            "why": why, "where": core_text(flow.where(observed)),
            "kept": kept}, observed=observed)
