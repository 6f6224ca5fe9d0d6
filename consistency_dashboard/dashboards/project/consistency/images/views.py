"""The fix view: the confirmation of one fix on the selected images, and
its submit (forms.py sets the properties through Horizon's
``api.glance.image_update_properties``)."""
from django import http
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from consistency_dashboard.core import posture as core_posture
from consistency_dashboard.dashboards.project.consistency.images \
    import forms as fix_forms
from consistency_dashboard.dashboards.project.consistency.images \
    import rows as image_rows
from consistency_dashboard.dashboards.project.consistency import \
    modal_base
from consistency_dashboard.dashboards.project.consistency import \
    tables as panel_tables
from consistency_dashboard.dashboards.translation import core_text


class ApplyFixView(modal_base.RowModalFormView):
    form_class = fix_forms.ApplyFixForm
    template_name = "consistency_dashboard/project/fix.html"
    modal_id = "apply_fix_modal"
    submit_label = _("Apply")
    submit_url_name = "horizon:project:consistency:fix"
    url_kwarg = "fix"

    def back_url(self):
        return panel_tables.tab_url()

    def dispatch(self, request, *args, **kwargs):
        self.fix = image_rows.FIX_BY_SLUG.get(kwargs.get("fix"))
        if self.fix is None:
            raise http.Http404(_("Unknown fix."))
        return super().dispatch(request, *args, **kwargs)

    @property
    def modal_header(self):
        return core_text(core_posture.FIX_LABELS[self.fix])

    def image_ids(self):
        source = self.request.POST if self.request.method == "POST" \
            else self.request.GET
        ids = source.getlist("image_id")
        if not ids and source.get("image_ids"):
            ids = source.get("image_ids").split(",")
        # Keep the user's order, drop duplicates and blanks.
        return list(dict.fromkeys(i.strip() for i in ids if i.strip()))

    def get_initial(self):
        return {"fix": self.fix.value, "image_ids": ",".join(self.image_ids())}

    def form_kwargs(self):
        return {"fix": self.fix}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        ids = self.image_ids()
        context["fix_description"] = core_text(
            core_posture.FIX_DESCRIPTIONS[self.fix])
        context["existing_instances_warning"] = core_text(
            core_posture.EXISTING_INSTANCES_WARNING)
        context["selection"] = fix_forms.preview(self.request, self.fix, ids)
        context["instances_url"] = "%s?tab=consistency__instances" % reverse(
            "horizon:project:consistency:index")
        return context
